/* cell: the container's root file system: mounts, /dev, pivot_root, masked
 * and read-only paths.
 *
 * Security: every mount destination is resolved inside the rootfs with
 * openat2(RESOLVE_IN_ROOT) to an O_PATH fd, and the mount is attached to that
 * fd with the new mount API (move_mount). No path is resolved twice, so a
 * symlink swapped into the rootfs between the check and the mount cannot
 * redirect the mount to the host (the CVE-2021-30465 class). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "strutil.h"

static unsigned long long flags_to_attr(unsigned long flags)
{
        unsigned long long a = 0;

        if (flags & MS_RDONLY)
                a |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                a |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                a |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                a |= MOUNT_ATTR_NOEXEC;
        if (flags & MS_NODIRATIME)
                a |= MOUNT_ATTR_NODIRATIME;
        if (flags & MS_NOATIME)
                a |= MOUNT_ATTR_NOATIME;
        else if (flags & MS_STRICTATIME)
                a |= MOUNT_ATTR_STRICTATIME;
        return a;
}

static int attach(int tree, int target, const char *what, cell_error_t *err)
{
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return cell_error_errno(err, "attach the mount on %s", what);
        return 0;
}

/* The kernel explains fsconfig() failures in messages read from the fs fd. */
static void fs_context_message(int fsfd, char *buf, size_t n)
{
        ssize_t r;

        buf[0] = '\0';
        r = read(fsfd, buf, n - 1);
        if (r > 2) {
                buf[r] = '\0';
                memmove(buf, buf + 2, (size_t)r - 1); /* drop "e " */
                buf[strcspn(buf, "\n")] = '\0';
        } else {
                buf[0] = '\0';
        }
}

/* fsopen/fsconfig/fsmount: a new, detached mount of a file system. */
static int new_fs_mount(const char *type, const char *source, const char *data, unsigned long flags,
                        unsigned long long attr, const char *field, cell_error_t *err)
{
        _cleanup_close_ int fsfd = -1;
        _cleanup_free_ char *copy = NULL;
        char msg[256];
        char *save = NULL;
        int mfd;

        fsfd = fsopen(type, FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return cell_error_errno(err, "%s: file system type \"%s\"", field, type);
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source && *source ? source : type, 0) < 0)
                return cell_error_errno(err, "%s: source", field);
        if (data && *data) {
                copy = strdup(data);
                if (!copy)
                        return cell_error_set(err, ENOMEM, "%s", field);
                for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
                        char *eq = strchr(opt, '=');
                        int r;

                        if (eq) {
                                *eq = '\0';
                                r = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
                        } else {
                                r = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
                        }
                        if (r < 0) {
                                int e = errno;
                                fs_context_message(fsfd, msg, sizeof(msg));
                                return cell_error_set(err, e, "%s: option \"%s%s%s\"%s%s", field, opt,
                                                      eq ? "=" : "", eq ? eq + 1 : "", *msg ? " " : "", msg);
                        }
                }
        }
        if (flags & MS_SYNCHRONOUS)
                fsconfig(fsfd, FSCONFIG_SET_FLAG, "sync", NULL, 0);
        if (flags & MS_DIRSYNC)
                fsconfig(fsfd, FSCONFIG_SET_FLAG, "dirsync", NULL, 0);
        if (flags & MS_LAZYTIME)
                fsconfig(fsfd, FSCONFIG_SET_FLAG, "lazytime", NULL, 0);
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
                int e = errno;
                fs_context_message(fsfd, msg, sizeof(msg));
                return cell_error_set(err, e, "%s: mount %s%s%s", field, type, *msg ? ": " : "", msg);
        }
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned int)attr);
        if (mfd < 0)
                return cell_error_errno(err, "%s: mount %s", field, type);
        return mfd;
}

static int clone_tree(int dirfd, const char *path, bool recursive, const char *field, cell_error_t *err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        int fd;

        if (!path || !*path) {
                flags |= AT_EMPTY_PATH;
                path = "";
        }
        fd = open_tree(dirfd, path, flags);
        if (fd < 0)
                return cell_error_errno(err, "%s: bind %s", field, *path ? path : "(fd)");
        return fd;
}

static int set_attr(int fd, unsigned long long set, unsigned long long clr, bool recursive, const char *field,
                    cell_error_t *err)
{
        struct mount_attr a = {.attr_set = set, .attr_clr = clr};

        if (!set && !clr)
                return 0;
        if ((set & MOUNT_ATTR__ATIME) || (clr & MOUNT_ATTR__ATIME))
                a.attr_clr |= MOUNT_ATTR__ATIME;
        if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
                return cell_error_errno(err, "%s: set mount flags", field);
        return 0;
}

static int set_propagation(int fd, unsigned long flag, bool recursive, const char *field, cell_error_t *err)
{
        struct mount_attr a = {.propagation = flag};

        if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
                return cell_error_errno(err, "%s: set propagation", field);
        return 0;
}

/* ---- cgroup mounts ---- */

typedef struct {
        char mountpoint[PATH_MAX];
        char fstype[16];
        char options[512]; /* super options: controllers, name=... */
} cg_hier_t;

static int read_cgroup_hierarchies(cg_hier_t *out, size_t max, size_t *n, cell_error_t *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];

        struct statfs sfs;

        *n = 0;
        /* Pure v2 when /sys/fs/cgroup itself is cgroup2, whatever older
         * mounts it may hide (as in a test's private mount namespace). */
        if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
                str_copy(out[0].mountpoint, sizeof(out[0].mountpoint), "/sys/fs/cgroup");
                str_copy(out[0].fstype, sizeof(out[0].fstype), "cgroup2");
                out[0].options[0] = '\0';
                *n = 1;
                return 0;
        }
        if (!f)
                return cell_error_errno(err, "open /proc/self/mountinfo");
        while (fgets(line, sizeof(line), f) && *n < max) {
                char *mp = NULL, *sep, *fstype, *src, *sopts;
                char *save = NULL, *tok;
                int i = 0;

                for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save), i++)
                        if (i == 4)
                                mp = tok;
                sep = tok;
                while (sep && strcmp(sep, "-") != 0)
                        sep = strtok_r(NULL, " ", &save);
                fstype = strtok_r(NULL, " ", &save);
                src = strtok_r(NULL, " ", &save);
                sopts = strtok_r(NULL, " \n", &save);
                (void)src;
                if (!mp || !fstype || (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0))
                        continue;
                /* Skip hierarchies hidden under a later mount. */
                if (statfs(mp, &sfs) < 0 ||
                    (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
                        continue;
                str_copy(out[*n].mountpoint, sizeof(out[*n].mountpoint), mp);
                str_copy(out[*n].fstype, sizeof(out[*n].fstype), fstype);
                str_copy(out[*n].options, sizeof(out[*n].options), sopts ? sopts : "");
                (*n)++;
        }
        return 0;
}

/* The cgroup path of this process in the hierarchy with these super options. */
static int own_cgroup_path(const cg_hier_t *h, char *buf, size_t n)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                char ctrls[512];

                if (!c2)
                        continue;
                *c2 = '\0';
                str_copy(ctrls, sizeof(ctrls), c1 + 1);
                c2[1 + strcspn(c2 + 1, "\n")] = '\0';
                if (strcmp(h->fstype, "cgroup2") == 0) {
                        if (ctrls[0] == '\0') {
                                str_copy(buf, n, c2 + 1);
                                return 0;
                        }
                        continue;
                }
                /* every controller of the line must appear in the super options */
                if (ctrls[0] != '\0') {
                        bool all = true;
                        char *save = NULL;
                        for (char *t = strtok_r(ctrls, ",", &save); t; t = strtok_r(NULL, ",", &save))
                                if (!strstr(h->options, t))
                                        all = false;
                        if (all) {
                                str_copy(buf, n, c2 + 1);
                                return 0;
                        }
                }
        }
        return -ENOENT;
}

static int mount_cgroup(int rootfd, const spec_mount_t *m, bool own_cgroupns, int target, const char *field,
                        cell_error_t *err)
{
        cg_hier_t hier[32];
        size_t n = 0;
        _cleanup_close_ int top = -1;
        int r;

        if ((r = read_cgroup_hierarchies(hier, ARRAY_SIZE(hier), &n, err)) < 0)
                return r;
        if (n == 1 && strcmp(hier[0].fstype, "cgroup2") == 0) {
                /* Pure cgroup v2. */
                if (own_cgroupns) {
                        top = new_fs_mount("cgroup2", "cgroup", NULL, 0, flags_to_attr(m->flags), field, err);
                } else {
                        char path[PATH_MAX], host[PATH_MAX * 2];
                        if (own_cgroup_path(&hier[0], path, sizeof(path)) < 0)
                                str_copy(path, sizeof(path), "/");
                        snprintf(host, sizeof(host), "%s%s", hier[0].mountpoint, path);
                        top = clone_tree(AT_FDCWD, host, false, field, err);
                        if (top >= 0 && set_attr(top, flags_to_attr(m->flags), 0, false, field, err) < 0)
                                return -1;
                }
                if (top < 0)
                        return top;
                return attach(top, target, m->destination, err);
        }
        /* v1 or hybrid: a tmpfs holding one directory per hierarchy. */
        top = new_fs_mount("tmpfs", "cgroup", "mode=755", 0, flags_to_attr(m->flags) & ~MOUNT_ATTR_RDONLY,
                           field, err);
        if (top < 0)
                return top;
        if ((r = attach(top, target, m->destination, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const char *name = strrchr(hier[i].mountpoint, '/');
                _cleanup_close_ int dir = -1;
                _cleanup_close_ int mfd = -1;
                char sub[PATH_MAX + 64];

                name = name ? name + 1 : hier[i].mountpoint;
                if (!*name)
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", m->destination, name);
                dir = fs_mkdir_p_in_root(rootfd, sub, 0755, err);
                if (dir < 0)
                        return dir;
                if (own_cgroupns) {
                        _cleanup_free_ char *opts = NULL;
                        char copy[512], *save = NULL;

                        str_copy(copy, sizeof(copy), hier[i].options);
                        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                                char *o2;
                                if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0)
                                        continue;
                                o2 = opts ? str_printf("%s,%s", opts, t) : strdup(t);
                                free(opts);
                                opts = o2;
                        }
                        mfd = new_fs_mount(hier[i].fstype, "cgroup", opts, 0, flags_to_attr(m->flags), field,
                                           err);
                } else {
                        char path[PATH_MAX], host[PATH_MAX * 2];
                        if (own_cgroup_path(&hier[i], path, sizeof(path)) < 0)
                                str_copy(path, sizeof(path), "/");
                        snprintf(host, sizeof(host), "%s%s", hier[i].mountpoint, path);
                        mfd = clone_tree(AT_FDCWD, host, false, field, err);
                        if (mfd >= 0 && set_attr(mfd, flags_to_attr(m->flags), 0, false, field, err) < 0)
                                return -1;
                }
                if (mfd < 0)
                        return mfd;
                if ((r = attach(mfd, dir, sub, err)) < 0)
                        return r;
        }
        if (m->flags & MS_RDONLY)
                return set_attr(top, MOUNT_ATTR_RDONLY, 0, true, field, err);
        return 0;
}

/* ---- idmapped mounts ----
 *
 * An idmapped bind mount shows the files of its source with their owners
 * translated through a user namespace: a file whose owner on disk is
 * containerID appears (to the host) as hostID, which the container's own
 * user namespace then shows as it shows any host id. This is the "direct"
 * reading of mounts[].uidMappings that runc, crun and podman share; with the
 * same mappings as linux.uidMappings, an unshifted tree appears to the
 * container with its owners as they are on disk.
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the user namespace
 * that owns the source's superblock (the host's, for a host directory),
 * which the init, already in the container's user namespace, does not have.
 * So the runtime makes each idmapped mount as a detached tree and passes it
 * to the init over the sync socket; the init attaches it like any bind. */

/* Both sides decide from the same spec, so they agree on how many trees
 * travel. Without a mount namespace no mount is made at all. */
static bool wants_idmap_tree(const spec_t *spec, const spec_mount_t *m)
{
        return spec->namespaces[SPEC_NS_MOUNT].present && m->idmap && m->bind && !(m->flags & MS_REMOUNT);
}

static const char *idmap_hint(int e)
{
        switch (e) {
        case EINVAL:
                return " (the file system does not support idmapped mounts)";
        case EPERM:
                return geteuid() != 0 ? " (idmapping a mount of the host's file systems needs root)" : "";
        case ENOSYS:
                return " (the kernel has no mount_setattr: idmapped mounts need Linux 5.12 or later)";
        default:
                return "";
        }
}

static int make_idmapped_tree(const spec_mount_t *m, size_t idx, const char *bundle, pid_t init,
                              int *ctr_userns, cell_error_t *err)
{
        _cleanup_free_ char *src = NULL;
        _cleanup_close_ int own_userns = -1;
        _cleanup_close_ int tree = -1;
        struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP};
        char field[256], where[32];
        int e;

        snprintf(field, sizeof(field), "mounts[%zu] (%s)", idx, m->destination);
        snprintf(where, sizeof(where), "mounts[%zu]", idx);
        /* Relative sources are relative to the bundle, as the init sees them. */
        src = m->source[0] == '/' ? strdup(m->source) : str_printf("%s/%s", bundle, m->source);
        if (!src)
                return cell_error_set(err, ENOMEM, "%s", field);
        if (m->n_uid_mappings) {
                own_userns = userns_open_with_maps(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
                                                   m->n_gid_mappings, where, err);
                if (own_userns < 0)
                        return -1;
                a.userns_fd = (uint64_t)own_userns;
        } else {
                /* "idmap" alone: the container's own user namespace, however
                 * it was made (new with linux.uidMappings, or joined). */
                if (*ctr_userns < 0) {
                        char path[64];

                        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init);
                        *ctr_userns = open(path, O_RDONLY | O_CLOEXEC);
                        if (*ctr_userns < 0)
                                return cell_error_errno(err, "%s: idmapped mount: open %s", field, path);
                }
                a.userns_fd = (uint64_t)*ctr_userns;
        }
        tree = open_tree(AT_FDCWD, src,
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive_bind ? AT_RECURSIVE : 0));
        if (tree >= 0 && mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &a,
                                       sizeof(a)) == 0)
                return steal_fd(&tree);
        e = errno;
        /* strerror before the hint, so the hint reads as the reason. An
         * unprivileged runtime fails already at open_tree: cloning a mount of
         * the host's mount namespace is as much beyond it as idmapping. */
        cell_error_set(err, 0, "%s: idmapped mount of %s: %s%s", field, src, strerror(e),
                       tree < 0 && e != EPERM ? "" : idmap_hint(e));
        err->code = e;
        return -e;
}

int mounts_send_idmapped(const spec_t *spec, const char *bundle, pid_t init, int sync_fd, cell_error_t *err)
{
        _cleanup_close_ int ctr_userns = -1;

        for (size_t i = 0; i < spec->n_mounts; i++) {
                _cleanup_close_ int tree = -1;
                int r;

                if (!wants_idmap_tree(spec, &spec->mounts[i]))
                        continue;
                tree = make_idmapped_tree(&spec->mounts[i], i, bundle, init, &ctr_userns, err);
                if (tree < 0)
                        return -1;
                r = sync_send(sync_fd, SYNC_MOUNT_FD, (int)i, 0, NULL, 0, tree);
                if (r < 0)
                        return cell_error_set(err, -r,
                                              "mounts[%zu]: pass the idmapped mount to the container", i);
        }
        return 0;
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; fds && i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}

int mounts_recv_idmapped(const spec_t *spec, int sync_fd, int **ret_fds, cell_error_t *err)
{
        size_t want = 0;
        int *fds;

        *ret_fds = NULL;
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (wants_idmap_tree(spec, &spec->mounts[i]))
                        want++;
        if (want == 0)
                return 0;
        fds = malloc(spec->n_mounts * sizeof(int));
        if (!fds)
                return cell_error_set(err, ENOMEM, "idmapped mounts");
        for (size_t i = 0; i < spec->n_mounts; i++)
                fds[i] = -1;
        for (size_t k = 0; k < want; k++) {
                sync_hdr_t hdr;
                int fd = -1;
                int r = sync_recv(sync_fd, &hdr, NULL, &fd);

                if (r < 0) {
                        close_fds(fds, spec->n_mounts);
                        return cell_error_set(err, -r, "waiting for the idmapped mounts");
                }
                if (hdr.type != SYNC_MOUNT_FD || fd < 0 || hdr.code < 0 ||
                    (size_t)hdr.code >= spec->n_mounts || fds[hdr.code] >= 0 ||
                    !wants_idmap_tree(spec, &spec->mounts[hdr.code])) {
                        if (fd >= 0)
                                close(fd);
                        close_fds(fds, spec->n_mounts);
                        return cell_error_set(err, EPROTO, "unexpected message %d from the runtime",
                                              hdr.type);
                }
                fds[hdr.code] = fd;
        }
        *ret_fds = fds;
        return 0;
}

/* ---- file systems a user namespace may not mount ---- */

/* data without its gid= option. */
static char *data_without_gid(const char *data)
{
        _cleanup_free_ char *copy = strdup(data);
        char *out = NULL, *save = NULL;

        if (!copy)
                return NULL;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                char *next;

                if (strncmp(o, "gid=", 4) == 0)
                        continue;
                next = out ? str_printf("%s,%s", out, o) : strdup(o);
                free(out);
                if (!next)
                        return NULL;
                out = next;
        }
        return out ? out : strdup("");
}

/* A new instance of some file systems is refused in a user namespace (the
 * rootless case, or root with linux.uidMappings): the kernel wants the
 * mounter to own the namespace the instance shows. When the container shares
 * that namespace with the runtime anyway, the host's instance shows nothing
 * new, so it is bound instead, as runc does:
 *   sysfs   without a network namespace owned by the user namespace;
 *   proc    without a pid namespace of the container's own;
 *   mqueue  without an ipc namespace of the container's own.
 * And devpts refuses gid=N when N is not mapped (the tty group, gid 5, in a
 * config written for root): the mount is made without it, as crun does; the
 * ptys then belong to the opener's group. Called after new_fs_mount failed;
 * returns the tree, or -1 with the first error kept. */
static int mount_in_userns_fallback(const spec_t *spec, const spec_mount_t *m, const char *field,
                                    cell_error_t *err)
{
        const char *host = NULL;
        cell_error_t err2 = {0};
        int tree;

        if (strcmp(m->type, "devpts") == 0 && err->code == EINVAL && m->data && strstr(m->data, "gid=")) {
                _cleanup_free_ char *data = data_without_gid(m->data);

                if (!data)
                        return -1;
                tree = new_fs_mount(m->type, m->source, data, m->flags, flags_to_attr(m->flags), field,
                                    &err2);
                if (tree >= 0)
                        log_debug("%s: gid is not mapped in the user namespace, mounted without it", field);
                return tree >= 0 ? tree : -1;
        }
        if (err->code != EPERM && err->code != EACCES)
                return -1;
        if (strcmp(m->type, "sysfs") == 0)
                host = "/sys";
        else if (strcmp(m->type, "proc") == 0 && !spec->namespaces[SPEC_NS_PID].present)
                host = "/proc";
        else if (strcmp(m->type, "mqueue") == 0 && !spec->namespaces[SPEC_NS_IPC].present)
                host = "/dev/mqueue";
        if (!host)
                return -1;
        tree = clone_tree(AT_FDCWD, host, true, field, &err2);
        if (tree >= 0 && set_attr(tree, flags_to_attr(m->flags), 0, true, field, &err2) < 0) {
                close(tree);
                tree = -1;
        }
        if (tree < 0) {
                cell_error_t first = *err;
                const char *why = strrchr(err2.msg, ':');

                cell_error_set(err, 0, "%s (in a user namespace; binding the host's %s instead failed:%s)",
                               first.msg, host, why ? why + 1 : " ?");
                err->code = first.code;
                return -1;
        }
        log_debug("%s: %s cannot be mounted in this user namespace, bound the host's %s", field, m->type,
                  host);
        return tree;
}

/* ---- one mount ---- */

static int mount_one(int rootfd, const spec_t *spec, const spec_mount_t *m, size_t idx, int *idmap_fd,
                     cell_error_t *err)
{
        _cleanup_close_ int target = -1;
        _cleanup_close_ int tree = -1;
        char field[64];
        bool userns = spec->namespaces[SPEC_NS_USER].present;
        int r;

        snprintf(field, sizeof(field), "mounts[%zu] (%s)", idx, m->destination);
        if (m->bind) {
                struct stat st;

                if (idmap_fd && *idmap_fd >= 0) {
                        /* The runtime made it (see mounts_send_idmapped). */
                        tree = steal_fd(idmap_fd);
                        if (fstat(tree, &st) < 0)
                                return cell_error_errno(err, "%s: idmapped mount", field);
                } else if (stat(m->source, &st) < 0) {
                        return cell_error_errno(err, "%s: source %s", field, m->source);
                }
                if (S_ISDIR(st.st_mode))
                        target = fs_mkdir_p_in_root(rootfd, m->destination, 0755, err);
                else
                        target = fs_mkfile_in_root(rootfd, m->destination, 0644, err);
                if (target < 0)
                        return cell_error_prefix(err, "%s", field);
                if (tree < 0)
                        tree = clone_tree(AT_FDCWD, m->source, m->recursive_bind, field, err);
                if (tree < 0)
                        return tree;
                if ((r = set_attr(tree, flags_to_attr(m->flags), flags_to_attr(m->clear_flags), false, field,
                                  err)) < 0)
                        return r;
        } else {
                bool own_cgroupns = spec->namespaces[SPEC_NS_CGROUP].present;

                target = fs_mkdir_p_in_root(rootfd, m->destination, 0755, err);
                if (target < 0)
                        return cell_error_prefix(err, "%s", field);
                if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
                        if (strcmp(m->type, "cgroup2") == 0) {
                                tree = new_fs_mount("cgroup2", m->source, m->data, m->flags,
                                                    flags_to_attr(m->flags), field, err);
                                if (tree < 0)
                                        return tree;
                        } else {
                                return mount_cgroup(rootfd, m, own_cgroupns, target, field, err);
                        }
                } else {
                        tree = new_fs_mount(m->type, m->source, m->data, m->flags, flags_to_attr(m->flags),
                                            field, err);
                        if (tree < 0 && userns)
                                tree = mount_in_userns_fallback(spec, m, field, err);
                        if (tree < 0)
                                return tree;
                }
        }
        if (m->attr_set || m->attr_clr) {
                if ((r = set_attr(tree, m->attr_set, m->attr_clr, true, field, err)) < 0)
                        return r;
        }
        if ((r = attach(tree, target, m->destination, err)) < 0)
                return cell_error_prefix(err, "%s", field);
        for (size_t i = 0; i < m->n_propagation; i++)
                if ((r = set_propagation(tree, m->propagation[i].flag, m->propagation[i].recursive, field,
                                         err)) < 0)
                        return r;
        return 0;
}

int mounts_setup_rootfs(const spec_t *spec, const char *rootfs, bool no_pivot, int *idmap_fds,
                        int *ret_rootfd, cell_error_t *err)
{
        _cleanup_close_ int tree = -1;
        _cleanup_close_ int rootfd = -1;
        int r;

        /* Nothing mounted from here on may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return cell_error_errno(err, "make / a slave mount");
        /* The rootfs becomes a mount point of its own, as pivot_root needs. */
        tree = clone_tree(AT_FDCWD, rootfs, true, "root.path", err);
        if (tree < 0)
                return tree;
        if (move_mount(tree, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return cell_error_errno(err, "root.path: bind %s", rootfs);
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return cell_error_errno(err, "root.path: open %s", rootfs);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const spec_mount_t *m = &spec->mounts[i];

                if (m->flags & MS_REMOUNT) {
                        _cleanup_close_ int t = fs_open_in_root(rootfd, m->destination, O_PATH, 0, err);
                        char p[64];

                        if (t < 0)
                                return cell_error_prefix(err, "mounts[%zu]", i);
                        if (mount(NULL, fs_fd_path(t, p, sizeof(p)), NULL, m->flags | (m->bind ? MS_BIND : 0),
                                  m->data) < 0)
                                return cell_error_errno(err, "mounts[%zu] (%s): remount", i, m->destination);
                        continue;
                }
                if ((r = mount_one(rootfd, spec, m, i, idmap_fds ? &idmap_fds[i] : NULL, err)) < 0)
                        return r;
        }
        *ret_rootfd = steal_fd(&rootfd);
        (void)no_pivot;
        return 0;
}

/* ---- /dev ---- */

typedef struct {
        const char *path;
        char type;
        unsigned major, minor;
        mode_t mode;
        uid_t uid;
        gid_t gid;
} dev_entry_t;

static const dev_entry_t default_devices[] = {
        {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
        {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
        {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static int make_device(int rootfd, const dev_entry_t *d, bool userns, cell_error_t *err)
{
        char dir[PATH_MAX];
        _cleanup_close_ int parent = -1;
        const char *base;
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

        if (!str_copy(dir, sizeof(dir), d->path))
                return cell_error_set(err, ENAMETOOLONG, "device %s", d->path);
        base = strrchr(d->path, '/') + 1;
        dir[base - d->path] = '\0';
        parent = fs_mkdir_p_in_root(rootfd, dir, 0755, err);
        if (parent < 0)
                return cell_error_prefix(err, "device %s", d->path);
        /* Whatever the image left at that path (a symlink to the host, say)
         * is removed, never followed. */
        if (unlinkat(parent, base, 0) < 0 && errno != ENOENT && errno != EISDIR)
                return cell_error_errno(err, "device %s: remove the old entry", d->path);
        if (!userns && mknodat(parent, base, type | (d->mode & 07777), makedev(d->major, d->minor)) == 0) {
                if (fchownat(parent, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return cell_error_errno(err, "device %s: chown", d->path);
                return 0;
        }
        if (!userns && errno != EPERM)
                return cell_error_errno(err, "device %s: mknod", d->path);
        /* In a user namespace device nodes cannot be made: bind the host's. */
        {
                _cleanup_close_ int target = -1;
                _cleanup_close_ int tree = -1;
                int fd = openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);

                if (fd < 0 && errno != EEXIST)
                        return cell_error_errno(err, "device %s: create the mount point", d->path);
                if (fd >= 0)
                        close(fd);
                target = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (target < 0)
                        return cell_error_errno(err, "device %s", d->path);
                tree = clone_tree(AT_FDCWD, d->path, false, d->path, err);
                if (tree < 0)
                        return tree;
                return attach(tree, target, d->path, err);
        }
}

int mounts_setup_dev(const spec_t *spec, int rootfd, bool userns, cell_error_t *err)
{
        static const struct {
                const char *target, *name;
        } links[] = {
                {"/proc/self/fd", "fd"},
                {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"},
        };
        _cleanup_close_ int devfd = -1;
        int r;

        for (size_t i = 0; i < spec->n_mounts; i++)
                if (strcmp(spec->mounts[i].destination, "/dev") == 0 && spec->mounts[i].bind)
                        return 0; /* the caller brought its own /dev */
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                bool overridden = false;

                for (size_t j = 0; j < spec->n_devices; j++)
                        if (strcmp(spec->devices[j].path, default_devices[i].path) == 0)
                                overridden = true;
                if (!overridden && (r = make_device(rootfd, &default_devices[i], userns, err)) < 0)
                        return r;
        }
        for (size_t j = 0; j < spec->n_devices; j++) {
                const spec_device_t *sd = &spec->devices[j];
                dev_entry_t d = {
                        .path = sd->path,
                        .type = sd->type == 'u' ? 'c' : sd->type,
                        .major = (unsigned)sd->major,
                        .minor = (unsigned)sd->minor,
                        .mode = sd->has_file_mode ? sd->file_mode : 0666,
                        .uid = sd->has_uid ? sd->uid : 0,
                        .gid = sd->has_gid ? sd->gid : 0,
                };

                if ((r = make_device(rootfd, &d, userns, err)) < 0)
                        return cell_error_prefix(err, "linux.devices[%zu]", j);
        }
        devfd = fs_mkdir_p_in_root(rootfd, "/dev", 0755, err);
        if (devfd < 0)
                return devfd;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
                        return cell_error_errno(err, "symlink /dev/%s", links[i].name);
        /* /dev/ptmx must be the container's devpts instance, never the host's. */
        if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
                return cell_error_errno(err, "remove /dev/ptmx");
        if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
                return cell_error_errno(err, "symlink /dev/ptmx");
        if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
            errno != EEXIST)
                return cell_error_errno(err, "symlink /dev/core");
        return 0;
}

int mounts_bind_console(int rootfd, int slave_fd, cell_error_t *err)
{
        _cleanup_close_ int target = -1;
        _cleanup_close_ int tree = -1;

        target = fs_mkfile_in_root(rootfd, "/dev/console", 0666, err);
        if (target < 0)
                return target;
        tree = clone_tree(slave_fd, NULL, false, "/dev/console", err);
        if (tree < 0)
                return tree;
        return attach(tree, target, "/dev/console", err);
}

int mounts_pivot_root(int rootfd, bool no_pivot, cell_error_t *err)
{
        _cleanup_close_ int oldroot = -1;

        if (fchdir(rootfd) < 0)
                return cell_error_errno(err, "chdir to the rootfs");
        if (no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return cell_error_errno(err, "move the rootfs to /");
                if (chroot(".") < 0)
                        return cell_error_errno(err, "chroot");
                if (chdir("/") < 0)
                        return cell_error_errno(err, "chdir /");
                return 0;
        }
        oldroot = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (oldroot < 0)
                return cell_error_errno(err, "open /");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return cell_error_errno(err, "pivot_root");
        /* The old root is now stacked on "."; detach it without letting the
         * unmount propagate anywhere. */
        if (fchdir(oldroot) < 0)
                return cell_error_errno(err, "chdir to the old root");
        if (mount(NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return cell_error_errno(err, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
                return cell_error_errno(err, "unmount the old root");
        if (chdir("/") < 0)
                return cell_error_errno(err, "chdir /");
        return 0;
}

static int open_in_container(const char *path, int flags)
{
        struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

        return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

int mounts_finalize(const spec_t *spec, cell_error_t *err)
{
        int r;

        if (spec->has_rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
                return cell_error_errno(err, "linux.rootfsPropagation");
        /* sysctl before the read-only paths: /proc/sys is usually one. */
        for (size_t i = 0; i < spec->n_sysctl; i++) {
                char path[PATH_MAX];
                size_t n;

                n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", spec->sysctl[i].key);
                if (n >= sizeof(path))
                        return cell_error_set(err, ENAMETOOLONG, "linux.sysctl.%s", spec->sysctl[i].key);
                for (char *c = path + 10; *c; c++)
                        if (*c == '.')
                                *c = '/';
                if (fs_write_existing(path, spec->sysctl[i].value, strlen(spec->sysctl[i].value), err) < 0)
                        return cell_error_prefix(err, "linux.sysctl.%s", spec->sysctl[i].key);
        }
        for (size_t i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
                const char *p = spec->readonly_paths[i];
                _cleanup_close_ int fd = open_in_container(p, O_PATH | O_NOFOLLOW);
                _cleanup_close_ int tree = -1;
                char field[64];

                snprintf(field, sizeof(field), "linux.readonlyPaths[%zu]", i);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;
                        return cell_error_errno(err, "%s: %s", field, p);
                }
                tree = clone_tree(fd, NULL, true, field, err);
                if (tree < 0)
                        return tree;
                if ((r = set_attr(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, true,
                                  field, err)) < 0)
                        return r;
                if ((r = attach(tree, fd, p, err)) < 0)
                        return cell_error_prefix(err, "%s", field);
        }
        for (size_t i = 0; spec->masked_paths && spec->masked_paths[i]; i++) {
                const char *p = spec->masked_paths[i];
                _cleanup_close_ int fd = open_in_container(p, O_PATH | O_NOFOLLOW);
                _cleanup_close_ int tree = -1;
                struct stat st;
                char field[64];

                snprintf(field, sizeof(field), "linux.maskedPaths[%zu]", i);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;
                        return cell_error_errno(err, "%s: %s", field, p);
                }
                if (fstat(fd, &st) < 0)
                        return cell_error_errno(err, "%s: %s", field, p);
                if (S_ISDIR(st.st_mode))
                        tree = new_fs_mount("tmpfs", "tmpfs", NULL, 0, MOUNT_ATTR_RDONLY, field, err);
                else
                        tree = clone_tree(AT_FDCWD, "/dev/null", false, field, err);
                if (tree < 0)
                        return tree;
                if ((r = attach(tree, fd, p, err)) < 0)
                        return cell_error_prefix(err, "%s", field);
        }
        if (spec->root_readonly) {
                struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

                if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0)
                        return cell_error_errno(err, "root.readonly");
        }
        return 0;
}
