/* cell: the container's control group — what v1 and v2 share.
 *
 * Here: linux.cgroupsPath to a path, which hierarchies are mounted (once, at
 * create; later commands reopen the paths saved in the state), making and
 * removing the directories, cgroup.procs, signalling every process, and
 * dispatch to the backend (cgroup_v1.c, cgroup_v2.c) for the rest.
 *
 * Speed matters: a container's creation is timed against runc and crun. A
 * hierarchy's directory is opened once and every knob is written relative
 * to that fd; nothing is read unless a decision depends on it. */
#include "cgroup_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"

int cg_fail(cell_error_t *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                err->code = code;
        }
        return -code;
}

/* ---- controller names ---- */

static const struct {
        uint32_t bit;
        const char *v1, *v2; /* NULL: no such controller on that version */
} controllers[] = {
        {CG_CPUSET, "cpuset", "cpuset"},
        {CG_CPU, "cpu", "cpu"},
        {CG_CPUACCT, "cpuacct", NULL},
        {CG_MEMORY, "memory", "memory"},
        {CG_DEVICES, "devices", NULL},
        {CG_FREEZER, "freezer", NULL},
        {CG_NET_CLS, "net_cls", NULL},
        {CG_NET_PRIO, "net_prio", NULL},
        {CG_IO, "blkio", "io"},
        {CG_PERF_EVENT, "perf_event", "perf_event"},
        {CG_HUGETLB, "hugetlb", "hugetlb"},
        {CG_PIDS, "pids", "pids"},
        {CG_RDMA, "rdma", "rdma"},
        {CG_MISC, "misc", "misc"},
};

uint32_t cg_controller_bit(const char *name, size_t len, bool v2)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                const char *n = v2 ? controllers[i].v2 : controllers[i].v1;

                if (n && strlen(n) == len && memcmp(n, name, len) == 0)
                        return controllers[i].bit;
        }
        return 0;
}

const char *cg_controller_name(uint32_t bit, bool v2)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++)
                if (controllers[i].bit == bit)
                        return v2 && controllers[i].v2 ? controllers[i].v2 : controllers[i].v1;
        return "?";
}

/* The controller bits named in a comma-separated list ("cpu,cpuacct"). */
static uint32_t mask_of_list(const char *s)
{
        uint32_t mask = 0;

        while (*s) {
                size_t len = strcspn(s, ",");

                mask |= cg_controller_bit(s, len, false);
                s += len;
                if (*s == ',')
                        s++;
        }
        return mask;
}

/* ---- linux.cgroupsPath ---- */

/* Lexically clean an absolute or relative path into "/a/b" (as runc does
 * with filepath.Clean): empty and "." components go, ".." drops the one
 * before it and never climbs above the hierarchy's root. */
static int clean_path(const char *in, char **ret, cell_error_t *err)
{
        size_t n = strlen(in);
        _cleanup_free_ char *out = malloc(n + 2);
        size_t len = 0;
        const char *p = in;

        if (!out)
                return cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        while (*p) {
                size_t c;

                while (*p == '/')
                        p++;
                c = strcspn(p, "/");
                if (c == 0)
                        break;
                if (c == 1 && p[0] == '.') {
                        /* nothing */
                } else if (c == 2 && p[0] == '.' && p[1] == '.') {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--;
                } else {
                        out[len++] = '/';
                        memcpy(out + len, p, c);
                        len += c;
                }
                p += c;
        }
        out[len] = '\0';
        if (len == 0)
                return cg_fail(err, EINVAL, "linux.cgroupsPath: \"%s\" is the root cgroup", in);
        *ret = steal_pointer(&out);
        return 0;
}

int cgroup_expand_slice(const char *slice, char **ret, cell_error_t *err)
{
        const char *suffix = ".slice";
        size_t n = strlen(slice), base, len = 0;
        _cleanup_free_ char *out = NULL;

        if (strcmp(slice, "-.slice") == 0) {
                *ret = strdup("");
                return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        }
        if (n <= strlen(suffix) || strcmp(slice + n - strlen(suffix), suffix) != 0 || strchr(slice, '/'))
                return cg_fail(err, EINVAL,
                               "linux.cgroupsPath: \"%s\" is not a slice name (like \"a-b.slice\")", slice);
        base = n - strlen(suffix);
        if (slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2))
                return cg_fail(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a valid slice name", slice);
        /* Every dash starts a parent: a-b-c.slice lives in a-b.slice, which
         * lives in a.slice. At most base/2 + 1 levels of base + 7 bytes. */
        out = malloc((base / 2 + 1) * (base + 8) + 1);
        if (!out)
                return cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        for (size_t i = 0; i <= base; i++) {
                if (i < base && slice[i] != '-')
                        continue;
                out[len++] = '/';
                memcpy(out + len, slice, i);
                len += i;
                memcpy(out + len, suffix, strlen(suffix));
                len += strlen(suffix);
        }
        out[len] = '\0';
        *ret = steal_pointer(&out);
        return 0;
}

/* systemd's "slice:prefix:name". There is no systemd (nor D-Bus) to ask
 * for a scope unit, so the form is mapped straight to the cgroupfs paths
 * systemd would have used: the slice expanded into its parents and the
 * leaf named like the scope unit, "<prefix>-<name>.scope". */
static int resolve_systemd(const char *path, const char *id, char **ret, cell_error_t *err)
{
        _cleanup_free_ char *copy = NULL, *parent = NULL;
        const char *slice, *prefix, *name;
        char *c1, *c2;
        size_t nl;

        if (!path || !path[0]) {
                if (!id || !id[0])
                        return cg_fail(err, EINVAL, "linux.cgroupsPath: no path and no container id");
                *ret = str_printf("/system.slice/cell-%s.scope", id);
                return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        }
        copy = strdup(path);
        if (!copy)
                return cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        c1 = strchr(copy, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':'))
                return cg_fail(
                        err, EINVAL,
                        "linux.cgroupsPath: expected \"slice:prefix:name\" for systemd cgroups, not \"%s\"",
                        path);
        *c1 = *c2 = '\0';
        slice = copy[0] ? copy : "system.slice";
        prefix = c1 + 1;
        name = c2 + 1;
        if (!name[0] || strchr(name, '/') || strchr(prefix, '/'))
                return cg_fail(err, EINVAL, "linux.cgroupsPath: \"%s\": bad unit name", path);
        if (cgroup_expand_slice(slice, &parent, err) < 0)
                return -EINVAL;
        nl = strlen(name);
        /* A name that is itself a slice is used as it is; otherwise a scope. */
        if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
                *ret = str_printf("%s/%s", parent, name);
        else if (prefix[0])
                *ret = str_printf("%s/%s-%s.scope", parent, prefix, name);
        else
                *ret = str_printf("%s/%s.scope", parent, name);
        return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
}

int cgroup_resolve_path(const cgroup_config_t *cfg, char **ret, cell_error_t *err)
{
        if (cfg->systemd)
                return resolve_systemd(cfg->cgroups_path, cfg->id, ret, err);
        if (cfg->cgroups_path && cfg->cgroups_path[0])
                return clean_path(cfg->cgroups_path, ret, err);
        if (!cfg->id || !cfg->id[0] || strchr(cfg->id, '/') || strcmp(cfg->id, "..") == 0 ||
            strcmp(cfg->id, ".") == 0)
                return cg_fail(err, EINVAL, "linux.cgroupsPath: no path and no usable container id");
        *ret = str_printf("/cell/%s", cfg->id);
        return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
}

/* ---- file access ---- */

int cg_dirfd(cg_hier_t *h, cell_error_t *err)
{
        if (h->fd >= 0)
                return h->fd;
        /* Not O_PATH: bpf(BPF_PROG_ATTACH) and fdopendir need a real open file. */
        h->fd = TEMP_FAILURE_RETRY_INT(open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (h->fd < 0)
                return cell_error_errno(err, "open %s", h->path);
        return h->fd;
}

static int file_error(cg_hier_t *h, const char *file, const char *field, int code, cell_error_t *err)
{
        if (field)
                return cell_error_set(err, code, "%s: write %s/%s", field, h->path, file);
        return cell_error_set(err, code, "write %s/%s", h->path, file);
}

/* A file of the cgroup: relative to the directory fd once that is open,
 * otherwise by its absolute path. Measured: one path walk is cheaper than
 * opening the directory and then the file, and most v1 hierarchies only
 * ever get cgroup.procs. Returns the fd or -1 with errno. */
int cg_open(cg_hier_t *h, const char *file, int flags)
{
        char path[PATH_MAX];

        flags |= O_CLOEXEC | O_NOCTTY;
        if (h->fd < 0 && (size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path))
                return TEMP_FAILURE_RETRY_INT(open(path, flags));
        if (cg_dirfd(h, NULL) < 0)
                return -1;
        return TEMP_FAILURE_RETRY_INT(openat(h->fd, file, flags));
}

int cg_write(cg_hier_t *h, const char *file, const char *value, const char *field, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = cg_open(h, file, O_WRONLY);
        if (fd < 0)
                return file_error(h, file, field, errno, err);
        /* A cgroup knob takes the whole value in one write (kernfs does not
         * accumulate), so a short write is a failure too. */
        n = TEMP_FAILURE_RETRY_INT(write(fd, value, len));
        if (n < 0)
                return file_error(h, file, field, errno, err);
        if ((size_t)n != len)
                return file_error(h, file, field, EIO, err);
        return 0;
}

int cg_writef(cg_hier_t *h, const char *file, const char *field, cell_error_t *err, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return cg_fail(err, EINVAL, "%s: value too long for %s", field ? field : "cgroup", file);
        return cg_write(h, file, buf, field, err);
}

int cg_write_if_exists(cg_hier_t *h, const char *file, const char *value, const char *field, bool *absent,
                       cell_error_t *err)
{
        int r = cg_write(h, file, value, field, err);

        if (absent)
                *absent = r == -ENOENT;
        if (r == -ENOENT) {
                cell_error_clear(err);
                return 0;
        }
        return r;
}

ssize_t cg_read(cg_hier_t *h, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = cg_open(h, file, O_RDONLY);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (len + 1 >= size)
                        return -EFBIG;
                n = TEMP_FAILURE_RETRY_INT(read(fd, buf + len, size - len - 1));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return (ssize_t)len;
}

int cg_read_alloc(cg_hier_t *h, const char *file, char **ret, cell_error_t *err)
{
        char path[PATH_MAX];
        int r;

        if (h->fd >= 0)
                r = fs_read_file_at(h->fd, file, 0, ret, NULL, err);
        else if ((size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path))
                r = fs_read_file(path, 0, ret, NULL, err);
        else
                return cell_error_set(err, ENAMETOOLONG, "%s/%s", h->path, file);
        if (r < 0)
                return h->fd >= 0 ? cell_error_prefix(err, "%s", h->path) : r;
        return 0;
}

int cg_read_u64(cg_hier_t *h, const char *file, uint64_t *ret)
{
        char buf[64], *end;
        ssize_t n = cg_read(h, file, buf, sizeof(buf));
        unsigned long long v;

        if (n < 0)
                return (int)n;
        if (strncmp(buf, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno || end == buf)
                return -EINVAL;
        *ret = v;
        return 0;
}

bool cg_keyed_u64(const char *text, const char *key, uint64_t *ret)
{
        size_t kl = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
                        *ret = strtoull(p + kl + 1, NULL, 10);
                        return true;
                }
        }
        return false;
}

bool cg_has_file(cg_hier_t *h, const char *file)
{
        char path[PATH_MAX];

        if (h->fd >= 0)
                return faccessat(h->fd, file, F_OK, 0) == 0;
        return (size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path) &&
               access(path, F_OK) == 0;
}

int cg_add_pid_to(cg_hier_t *h, pid_t pid, cell_error_t *err)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%d", (int)pid);
        return cg_write(h, "cgroup.procs", buf, NULL, err);
}

void cg_json_u64(json_t *obj, const char *key, uint64_t v)
{
        json_object_set_new(obj, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

const char *cg_devnum(char *buf, size_t n, int64_t major, int64_t minor)
{
        char a[24] = "*", b[24] = "*";

        if (major >= 0)
                snprintf(a, sizeof(a), "%lld", (long long)major);
        if (minor >= 0)
                snprintf(b, sizeof(b), "%lld", (long long)minor);
        snprintf(buf, n, "%s:%s", a, b);
        return buf;
}

/* "dev hca_handle=N hca_object=N", for v1 and v2 alike. */
int cg_rdma_write(cg_hier_t *h, const cg_res_t *res, cell_error_t *err)
{
        char field[160], line[192];
        int r;

        for (size_t i = 0; i < res->n_rdma; i++) {
                const cg_rdma_t *d = &res->rdma[i];
                size_t len;

                if (!d->handles.set && !d->objects.set)
                        continue;
                snprintf(field, sizeof(field), "linux.resources.rdma.%s", d->device);
                len = (size_t)snprintf(line, sizeof(line), "%s", d->device);
                if (d->handles.set && len < sizeof(line))
                        len += (size_t)snprintf(line + len, sizeof(line) - len, " hca_handle=%lld",
                                                (long long)d->handles.v);
                if (d->objects.set && len < sizeof(line))
                        snprintf(line + len, sizeof(line) - len, " hca_object=%lld", (long long)d->objects.v);
                if ((r = cg_write(h, "rdma.max", line, field, err)) < 0)
                        return r;
        }
        return 0;
}

char **cg_hugepage_sizes(void)
{
        _cleanup_closedir_ DIR *d = opendir("/sys/kernel/mm/hugepages");
        char **out = NULL;
        struct dirent *de;

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                unsigned long long kb;
                char name[32], *end;

                if (strncmp(de->d_name, "hugepages-", 10) != 0)
                        continue;
                kb = strtoull(de->d_name + 10, &end, 10);
                if (strcmp(end, "kB") != 0 || kb == 0)
                        continue;
                if (kb % (1024 * 1024) == 0)
                        snprintf(name, sizeof(name), "%lluGB", kb / (1024 * 1024));
                else if (kb % 1024 == 0)
                        snprintf(name, sizeof(name), "%lluMB", kb / 1024);
                else
                        snprintf(name, sizeof(name), "%lluKB", kb);
                if (strv_push(&out, name) < 0) {
                        strv_free(out);
                        return NULL;
                }
        }
        return out;
}

/* ---- the handle ---- */

static void hier_release(cg_hier_t *h)
{
        free(h->key);
        free(h->path);
        if (h->fd >= 0)
                close(h->fd);
}

void cgroup_free(cgroup_t *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n; i++)
                hier_release(&cg->h[i]);
        free(cg->h);
        free(cg->root);
        free(cg->rel);
        free(cg);
}

static inline void cgroup_freep(cgroup_t **cg)
{
        cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

const char *cgroup_version_name(const cgroup_t *cg)
{
        return cg->ops->name;
}

static int hier_add(cgroup_t *cg, const char *key, const char *mount, bool v2, cell_error_t *err)
{
        cg_hier_t *nh = realloc(cg->h, (cg->n + 1) * sizeof(*nh));
        cg_hier_t *h;

        if (!nh)
                return cell_error_set(err, ENOMEM, "cgroup");
        cg->h = nh;
        h = &cg->h[cg->n];
        memset(h, 0, sizeof(*h));
        h->fd = -1;
        h->v2 = v2;
        h->key = strdup(key);
        h->path = str_printf("%s%s", mount, cg->rel);
        h->mount_len = strlen(mount);
        h->mask = v2 ? 0 : mask_of_list(key);
        cg->n++;
        if (!h->key || !h->path)
                return cell_error_set(err, ENOMEM, "cgroup");
        return 0;
}

/* The pointers into cg->h move when it grows: set v2dir once the list is
 * complete. */
static void find_v2dir(cgroup_t *cg)
{
        cg->v2dir = NULL;
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2)
                        cg->v2dir = &cg->h[i];
}

/* mountinfo escapes blanks and backslashes in paths as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 4;
                } else {
                        *w++ = *r++;
                }
        }
        *w = '\0';
}

/* The controllers of a v1 mount from its super options ("rw,cpu,cpuacct",
 * "rw,xattr,name=systemd"), in buf; empty when it names none we know. */
static void v1_key_of_options(const char *opts, char *buf, size_t n)
{
        size_t len = 0;

        buf[0] = '\0';
        while (*opts) {
                size_t tl = strcspn(opts, ",");

                if ((cg_controller_bit(opts, tl, false) || (tl > 5 && strncmp(opts, "name=", 5) == 0)) &&
                    len + tl + 2 < n) {
                        if (len)
                                buf[len++] = ',';
                        memcpy(buf + len, opts, tl);
                        len += tl;
                        buf[len] = '\0';
                }
                opts += tl;
                if (*opts == ',')
                        opts++;
        }
}

/* The v1 hierarchies (and a cgroup2 one, the hybrid layout's "unified")
 * mounted right below root, from /proc/self/mountinfo. */
static int scan_v1(cgroup_t *cg, cell_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        size_t rl = strlen(cg->root);
        bool have_unified = false;
        char *save_line = NULL;
        int r;

        /* One read of the whole table: it is generated anew on every read. */
        if ((r = fs_read_file("/proc/self/mountinfo", 0, &text, NULL, err)) < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
                char *save = NULL, *fields[5], *sep, *fstype, *opts, *mp, key[256];
                int i;

                sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                fstype = strtok_r(sep + 3, " ", &save);
                if (!fstype || (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0))
                        continue;
                (void)strtok_r(NULL, " ", &save); /* source */
                opts = strtok_r(NULL, " ", &save);
                save = NULL;
                for (i = 0; i < 5; i++)
                        if (!(fields[i] = strtok_r(i ? NULL : line, " ", &save)))
                                break;
                if (i < 5 || !opts)
                        continue;
                mp = fields[4];
                unescape_octal(mp);
                /* Right below root: <root>/<name>, one component. */
                if (strncmp(mp, cg->root, rl) != 0 || mp[rl] != '/' || !mp[rl + 1] ||
                    strchr(mp + rl + 1, '/'))
                        continue;
                if (strcmp(fstype, "cgroup2") == 0) {
                        if (have_unified)
                                continue;
                        have_unified = true;
                        r = hier_add(cg, "unified", mp, true, err);
                } else {
                        bool dup = false;

                        v1_key_of_options(opts, key, sizeof(key));
                        if (!key[0])
                                continue;
                        /* The same hierarchy bind-mounted twice counts once. */
                        for (size_t j = 0; j < cg->n; j++)
                                dup = dup || strcmp(cg->h[j].key, key) == 0;
                        if (dup)
                                continue;
                        r = hier_add(cg, key, mp, false, err);
                }
                if (r < 0)
                        return r;
        }
        if (cg->n == 0 || (cg->n == 1 && have_unified))
                return cg_fail(err, ENOENT, "cgroup: no cgroup v1 hierarchy is mounted under %s", cg->root);
        find_v2dir(cg);
        return 0;
}

/* v2 when the root itself is cgroup2; otherwise the v1 hierarchies below it. */
static int detect(cgroup_t *cg, cell_error_t *err)
{
        struct statfs sfs;

        if (TEMP_FAILURE_RETRY_INT(statfs(cg->root, &sfs)) < 0)
                return cell_error_errno(err, "cgroup: statfs %s", cg->root);
        if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
                int r;

                cg->version = 2;
                cg->ops = &cgroup_v2_ops;
                if ((r = hier_add(cg, "", cg->root, true, err)) < 0)
                        return r;
                find_v2dir(cg);
                return 0;
        }
        cg->version = 1;
        cg->ops = &cgroup_v1_ops;
        return scan_v1(cg, err);
}

static cgroup_t *cgroup_new(const char *root, const char *rel)
{
        cgroup_t *cg = calloc(1, sizeof(*cg));
        size_t rl;

        if (!cg)
                return NULL;
        cg->root = strdup(root ? root : DEFAULT_ROOT);
        cg->rel = strdup(rel);
        if (!cg->root || !cg->rel) {
                cgroup_free(cg);
                return NULL;
        }
        /* "/sys/fs/cgroup/" must match the mount points as written in mountinfo. */
        rl = strlen(cg->root);
        while (rl > 1 && cg->root[rl - 1] == '/')
                cg->root[--rl] = '\0';
        return cg;
}

/* ---- directories ---- */

/* mkdir -p of the container's path in one hierarchy, counting the levels
 * made so that a failure removes exactly those. */
int cg_hier_mkdir(cg_hier_t *h, cell_error_t *err)
{
        h->created = 0;
        /* The usual case: the parent (/cell) is there already. */
        if (mkdir(h->path, 0755) == 0) {
                h->created = 1;
        } else if (errno == ENOENT) {
                for (char *p = h->path + h->mount_len + 1;; p++) {
                        bool last = *p == '\0';

                        if (*p != '/' && !last)
                                continue;
                        *p = '\0';
                        if (mkdir(h->path, 0755) == 0)
                                h->created++;
                        else if (errno != EEXIST) {
                                int r = cell_error_errno(err, "mkdir %s", h->path);

                                if (!last)
                                        *p = '/';
                                return r;
                        }
                        if (last)
                                break;
                        *p = '/';
                }
        } else if (errno != EEXIST) {
                return cell_error_errno(err, "mkdir %s", h->path);
        }
        return 0;
}

/* Remove the directories create made, deepest first; a failure here has no
 * one to report to. */
static void hier_rollback(cg_hier_t *h, pid_t pid)
{
        if (h->joined && pid > 0) {
                /* The process was moved in: move it back to the hierarchy's
                 * root cgroup (always allowed, even on v2) so the directory
                 * can go. */
                _cleanup_free_ char *procs = str_printf("%.*s/cgroup.procs", (int)h->mount_len, h->path);
                char buf[24];

                snprintf(buf, sizeof(buf), "%d", (int)pid);
                if (procs)
                        fs_write_existing(procs, buf, strlen(buf), NULL);
                h->joined = false;
        }
        if (h->fd >= 0) {
                close(h->fd);
                h->fd = -1;
        }
        if (h->created) {
                _cleanup_free_ char *p = strdup(h->path);

                for (unsigned i = 0; p && i < h->created; i++) {
                        char *slash;

                        if (rmdir(p) < 0 && errno != ENOENT)
                                break;
                        slash = strrchr(p, '/');
                        if (!slash || (size_t)(slash - p) < h->mount_len)
                                break;
                        *slash = '\0';
                }
        }
        h->created = 0;
}

static void cgroup_rollback(cgroup_t *cg, pid_t pid)
{
        for (size_t i = cg->n; i-- > 0;)
                hier_rollback(&cg->h[i], pid);
}

static void sleep_us(long us)
{
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static long long now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* rmdir every child cgroup of dirfd, deepest first. Failures are left for
 * the caller's retry of the parent to notice. */
static void remove_children(int dirfd)
{
        _cleanup_closedir_ DIR *d = NULL;
        int dfd = TEMP_FAILURE_RETRY_INT(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;

        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        while ((de = readdir(d))) {
                int cfd;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                cfd = TEMP_FAILURE_RETRY_INT(openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (cfd >= 0) {
                        remove_children(cfd);
                        close(cfd);
                }
                unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
        }
}

/* rmdir the cgroup and its children; EBUSY while the kernel drains exiting
 * processes is retried until the deadline. */
static int remove_cgroup_dir(cg_hier_t *h, long long deadline, cell_error_t *err)
{
        long delay = 1000;

        for (;;) {
                int e;

                if (rmdir(h->path) == 0 || errno == ENOENT)
                        return 0;
                e = errno;
                if (e != EBUSY && e != ENOTEMPTY)
                        return cell_error_set(err, e, "rmdir %s", h->path);
                {
                        _cleanup_close_ int fd =
                                TEMP_FAILURE_RETRY_INT(open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));

                        if (fd >= 0)
                                remove_children(fd);
                }
                if (rmdir(h->path) == 0 || errno == ENOENT)
                        return 0;
                e = errno;
                if (now_us() >= deadline)
                        return cell_error_set(err, e, "rmdir %s", h->path);
                sleep_us(delay);
                if (delay < 32000)
                        delay *= 2;
        }
}

/* ---- the interface ---- */

int cgroup_create(const cgroup_config_t *cfg, json_t *resources, pid_t pid, cgroup_t **ret, cell_error_t *err)
{
        _cleanup_cgroup_ cgroup_t *cg = NULL;
        _cleanup_free_ char *rel = NULL;
        cg_res_t res;
        int r;

        *ret = NULL;
        if ((r = cgroup_resolve_path(cfg, &rel, err)) < 0)
                return r;
        if ((r = cg_res_parse(resources, &res, err)) < 0)
                return r;
        cg = cgroup_new(cfg->root, rel);
        if (!cg) {
                cg_res_release(&res);
                return cell_error_set(err, ENOMEM, "cgroup");
        }
        if ((r = detect(cg, err)) < 0)
                goto out;
        if ((r = cg->ops->setup(cg, &res, err)) < 0) {
                int code = err ? err->code : -r;

                cgroup_rollback(cg, 0);
                /* Unprivileged and asking for nothing: run without a cgroup
                 * of our own, as runc does. */
                if (cfg->rootless && (code == EPERM || code == EACCES || code == EROFS) &&
                    cg_res_json_empty(resources)) {
                        cell_error_clear(err);
                        r = 0;
                }
                goto out;
        }
        if ((r = cg->ops->apply(cg, &res, false, err)) < 0)
                goto fail;
        if (pid > 0) {
                for (size_t i = 0; i < cg->n; i++) {
                        if ((r = cg_add_pid_to(&cg->h[i], pid, err)) < 0)
                                goto fail;
                        cg->h[i].joined = true;
                }
        }
        for (size_t i = 0; i < cg->n; i++)
                cg->h[i].joined = false;
        *ret = steal_pointer(&cg);
        r = 0;
        goto out;
fail:
        cgroup_rollback(cg, pid);
out:
        cg_res_release(&res);
        return r;
}

json_t *cgroup_to_json(const cgroup_t *cg)
{
        json_t *o = json_object();

        if (!o)
                return NULL;
        json_object_set_new(o, "version", json_integer(cg->version));
        json_object_set_new(o, "root", json_string(cg->root));
        json_object_set_new(o, "cgroupsPath", json_string(cg->rel));
        if (cg->version == 2) {
                json_object_set_new(o, "path", json_string(cg->h[0].path));
                if (cg->bpf_prog_id)
                        json_object_set_new(o, "devicesProgramId", json_integer(cg->bpf_prog_id));
        } else {
                json_t *paths = json_object();

                for (size_t i = 0; i < cg->n; i++)
                        json_object_set_new(paths, cg->h[i].key, json_string(cg->h[i].path));
                json_object_set_new(o, "paths", paths);
        }
        return o;
}

static int load_hier(cgroup_t *cg, const char *key, json_t *v, bool v2, cell_error_t *err)
{
        const char *path = json_string_value(v);
        size_t pl, rl = strlen(cg->rel);
        cg_hier_t *h;

        if (!path || path[0] != '/')
                return cg_fail(err, EINVAL, "cgroup state: bad path for \"%s\"", key);
        pl = strlen(path);
        if (pl <= rl || strcmp(path + pl - rl, cg->rel) != 0)
                return cg_fail(err, EINVAL, "cgroup state: %s is not a path to %s", path, cg->rel);
        cg_hier_t *nh = realloc(cg->h, (cg->n + 1) * sizeof(*nh));
        if (!nh)
                return cell_error_set(err, ENOMEM, "cgroup state");
        cg->h = nh;
        h = &cg->h[cg->n++];
        memset(h, 0, sizeof(*h));
        h->fd = -1;
        h->v2 = v2;
        h->key = strdup(key);
        h->path = strdup(path);
        h->mount_len = pl - rl;
        h->mask = v2 ? 0 : mask_of_list(key);
        if (!h->key || !h->path)
                return cell_error_set(err, ENOMEM, "cgroup state");
        return 0;
}

int cgroup_load(json_t *saved, cgroup_t **ret, cell_error_t *err)
{
        _cleanup_cgroup_ cgroup_t *cg = NULL;
        json_t *version = json_object_get(saved, "version");
        const char *rel = json_string_value(json_object_get(saved, "cgroupsPath"));
        const char *root = json_string_value(json_object_get(saved, "root"));
        int r;

        *ret = NULL;
        if (!json_is_integer(version) || !rel || rel[0] != '/')
                return cg_fail(err, EINVAL, "cgroup state: missing version or cgroupsPath");
        cg = cgroup_new(root, rel);
        if (!cg)
                return cell_error_set(err, ENOMEM, "cgroup state");
        cg->version = (int)json_integer_value(version);
        if (cg->version == 2) {
                json_t *id = json_object_get(saved, "devicesProgramId");

                cg->ops = &cgroup_v2_ops;
                if ((r = load_hier(cg, "", json_object_get(saved, "path"), true, err)) < 0)
                        return r;
                if (json_is_integer(id) && json_integer_value(id) > 0 && json_integer_value(id) <= UINT32_MAX)
                        cg->bpf_prog_id = (uint32_t)json_integer_value(id);
        } else if (cg->version == 1) {
                json_t *paths = json_object_get(saved, "paths"), *v;
                const char *key;

                cg->ops = &cgroup_v1_ops;
                if (!json_is_object(paths) || json_object_size(paths) == 0)
                        return cg_fail(err, EINVAL, "cgroup state: no paths");
                json_object_foreach(paths, key, v)
                {
                        if ((r = load_hier(cg, key, v, strcmp(key, "unified") == 0, err)) < 0)
                                return r;
                }
        } else {
                return cg_fail(err, EINVAL, "cgroup state: unknown version %d", cg->version);
        }
        find_v2dir(cg);
        *ret = steal_pointer(&cg);
        return 0;
}

int cgroup_update(cgroup_t *cg, json_t *resources, cell_error_t *err)
{
        cg_res_t res;
        int r;

        if ((r = cg_res_parse(resources, &res, err)) < 0)
                return r;
        r = cg->ops->apply(cg, &res, true, err);
        cg_res_release(&res);
        return r;
}

int cgroup_add_pid(cgroup_t *cg, pid_t pid, cell_error_t *err)
{
        for (size_t i = 0; i < cg->n; i++) {
                int r = cg_add_pid_to(&cg->h[i], pid, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_freeze(cgroup_t *cg, bool frozen, cell_error_t *err)
{
        return cg->ops->freeze(cg, frozen, err);
}

bool cgroup_is_frozen(cgroup_t *cg)
{
        return cg->ops->is_frozen(cg);
}

/* ---- processes ---- */

typedef struct {
        pid_t *v;
        size_t n, cap;
} pidv_t;

static int pidv_parse(pidv_t *pv, const char *text)
{
        for (const char *p = text; *p;) {
                char *end;
                long v = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (v > 0) {
                        if (pv->n == pv->cap) {
                                size_t nc = pv->cap ? pv->cap * 2 : 64;
                                pid_t *nv = realloc(pv->v, nc * sizeof(*nv));

                                if (!nv)
                                        return -ENOMEM;
                                pv->v = nv;
                                pv->cap = nc;
                        }
                        pv->v[pv->n++] = (pid_t)v;
                }
                p = end;
                while (*p == '\n')
                        p++;
        }
        return 0;
}

/* cgroup.procs of dirfd and of every cgroup below it. */
static int collect_pids(int dirfd, const char *path, pidv_t *pv, cell_error_t *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd, r;

        if ((r = fs_read_file_at(dirfd, "cgroup.procs", 0, &text, NULL, err)) < 0)
                return cell_error_prefix(err, "%s", path);
        if (pidv_parse(pv, text) < 0)
                return cell_error_set(err, ENOMEM, "%s/cgroup.procs", path);
        fd = TEMP_FAILURE_RETRY_INT(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (fd < 0)
                return cell_error_errno(err, "open %s", path);
        if (!(d = fdopendir(fd))) {
                close(fd);
                return cell_error_errno(err, "open %s", path);
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int cfd = -1;
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                cfd = TEMP_FAILURE_RETRY_INT(openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (cfd < 0) {
                        if (errno == ENOENT) /* removed meanwhile */
                                continue;
                        return cell_error_errno(err, "open %s/%s", path, de->d_name);
                }
                sub = str_printf("%s/%s", path, de->d_name);
                if (!sub)
                        return cell_error_set(err, ENOMEM, "%s", path);
                if ((r = collect_pids(cfd, sub, pv, err)) < 0) {
                        /* A child cgroup that went away while we read is fine. */
                        if (err && err->code == ENOENT) {
                                cell_error_clear(err);
                                continue;
                        }
                        return r;
                }
        }
        return 0;
}

static int pid_cmp(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

        return x < y ? -1 : x > y;
}

int cgroup_pids(cgroup_t *cg, pid_t **ret, size_t *ret_n, cell_error_t *err)
{
        cg_hier_t *h = cg->ops->procs_hier(cg);
        pidv_t pv = {0};
        size_t w = 0;
        int dfd, r;

        *ret = NULL;
        *ret_n = 0;
        dfd = cg_dirfd(h, err);
        if (dfd < 0) {
                /* A cgroup that is gone holds no process. */
                if (errno == ENOENT) {
                        cell_error_clear(err);
                        return 0;
                }
                return dfd;
        }
        if ((r = collect_pids(dfd, h->path, &pv, err)) < 0) {
                free(pv.v);
                return r;
        }
        if (pv.n > 1) {
                qsort(pv.v, pv.n, sizeof(*pv.v), pid_cmp);
                for (size_t i = 0; i < pv.n; i++)
                        if (w == 0 || pv.v[w - 1] != pv.v[i])
                                pv.v[w++] = pv.v[i];
                pv.n = w;
        }
        *ret = pv.v;
        *ret_n = pv.n;
        return 0;
}

int cgroup_kill_all(cgroup_t *cg, int sig, cell_error_t *err)
{
        bool frozen = false;
        int r;

        if (sig == SIGKILL && cg->ops->kill_all) {
                r = cg->ops->kill_all(cg, err);
                if (r < 0)
                        return r;
                if (r == 1)
                        return cgroup_is_frozen(cg) ? cgroup_freeze(cg, false, err) : 0;
        }
        /* SIGKILL again while something is left: a process may have forked
         * between reading cgroup.procs and the signal. */
        for (int round = 0; round < (sig == SIGKILL ? 5 : 1); round++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;

                if (round > 0)
                        sleep_us(1000L * round);
                if ((r = cgroup_pids(cg, &pids, &n, err)) < 0)
                        return r;
                if (n == 0)
                        break;
                if (round == 0)
                        frozen = cgroup_is_frozen(cg);
                for (size_t i = 0; i < n; i++)
                        if (kill(pids[i], sig) < 0 && errno != ESRCH)
                                return cell_error_errno(err, "kill %d", (int)pids[i]);
                /* A frozen process only takes the signal once thawed. */
                if (frozen) {
                        if ((r = cgroup_freeze(cg, false, err)) < 0)
                                return r;
                        frozen = false;
                }
        }
        return 0;
}

int cgroup_stats(cgroup_t *cg, json_t **ret, cell_error_t *err)
{
        json_t *o = json_object();
        int r;

        *ret = NULL;
        if (!o)
                return cell_error_set(err, ENOMEM, "cgroup stats");
        if ((r = cg->ops->stats(cg, o, err)) < 0) {
                json_decref(o);
                return r;
        }
        *ret = o;
        return 0;
}

uint64_t cgroup_oom_kills(cgroup_t *cg)
{
        return cg->ops->oom_kills(cg);
}

int cgroup_destroy(cgroup_t *cg, cell_error_t *err)
{
        long long deadline = now_us() + 1000000;
        cell_error_t ignored = {0};
        bool killed = false;
        int ret = 0;

        for (size_t i = 0; i < cg->n; i++) {
                cg_hier_t *h = &cg->h[i];
                int r = 0;

                /* The usual case: the processes are gone, one rmdir does it. */
                if (rmdir(h->path) < 0 && errno != ENOENT) {
                        if ((errno == EBUSY || errno == ENOTEMPTY) && !killed) {
                                /* Best effort: what cannot be killed shows up
                                 * as EBUSY below. */
                                cgroup_kill_all(cg, SIGKILL, &ignored);
                                killed = true;
                        }
                        r = remove_cgroup_dir(h, deadline, ret < 0 ? &ignored : err);
                }
                if (h->fd >= 0) {
                        close(h->fd);
                        h->fd = -1;
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (ret == 0)
                cg->bpf_prog_id = 0;
        return ret;
}
