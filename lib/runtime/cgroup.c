/* cell: the container's control group — what v1 and v2 share.
 *
 * Here: linux.cgroupsPath to a path, which hierarchies are mounted (once, at
 * create; later commands reopen the paths saved in the state), making and
 * removing the directories, cgroup.procs, signalling every process, and
 * dispatch to the backend (cgroup_v1.c, cgroup_v2.c) for the rest.
 *
 * Speed matters: a container's creation is timed against runc and crun.
 * mountinfo is read once, at create; a knob is opened by its absolute path
 * (one path walk: measured cheaper than opening the directory first, for
 * the one or two files most v1 hierarchies get), a directory is opened at
 * most once and only where a real fd is needed (bpf attach, listing child
 * cgroups); nothing is read unless a decision depends on it, and destroy
 * tries rmdir before looking for processes. */
#include "cgroup_internal.h"

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
                return cell_error_plain(err, EINVAL, "linux.cgroupsPath: \"%s\" is the root cgroup", in);
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
                return cell_error_plain(err, EINVAL,
                                        "linux.cgroupsPath: \"%s\" is not a slice name (like \"a-b.slice\")",
                                        slice);
        base = n - strlen(suffix);
        if (slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2))
                return cell_error_plain(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a valid slice name",
                                        slice);
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
                        return cell_error_plain(err, EINVAL,
                                                "linux.cgroupsPath: no path and no container id");
                *ret = str_printf("/system.slice/cell-%s.scope", id);
                return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        }
        copy = strdup(path);
        if (!copy)
                return cell_error_set(err, ENOMEM, "linux.cgroupsPath");
        c1 = strchr(copy, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strchr(c2 + 1, ':'))
                return cell_error_plain(
                        err, EINVAL,
                        "linux.cgroupsPath: expected \"slice:prefix:name\" for systemd cgroups, not \"%s\"",
                        path);
        *c1 = *c2 = '\0';
        slice = copy[0] ? copy : "system.slice";
        prefix = c1 + 1;
        name = c2 + 1;
        if (!name[0] || strchr(name, '/') || strchr(prefix, '/'))
                return cell_error_plain(err, EINVAL, "linux.cgroupsPath: \"%s\": bad unit name", path);
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
                return cell_error_plain(err, EINVAL, "linux.cgroupsPath: no path and no usable container id");
        *ret = str_printf("/cell/%s", cfg->id);
        return *ret ? 0 : cell_error_set(err, ENOMEM, "linux.cgroupsPath");
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
                return cell_error_plain(err, ENOENT, "cgroup: no cgroup v1 hierarchy is mounted under %s",
                                        cg->root);
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
        cg->rootless = cfg->rootless;
        if ((r = detect(cg, err)) < 0)
                goto out;
        if ((r = cg->ops->setup(cg, &res, err)) < 0) {
                int code = err ? err->code : -r;

                cgroup_rollback(cg, 0);
                /* Unprivileged and asking for nothing: run without a cgroup
                 * of our own, as runc does. Device rules do not count: such
                 * a container cannot make device nodes, and the ones it gets
                 * are bind mounts the host's permissions already guard. */
                if (cfg->rootless && (code == EPERM || code == EACCES || code == EROFS) &&
                    cg_res_json_empty(resources, true)) {
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
        if (cg->rootless)
                json_object_set_new(o, "rootless", json_true());
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
                return cell_error_plain(err, EINVAL, "cgroup state: bad path for \"%s\"", key);
        pl = strlen(path);
        if (pl <= rl || strcmp(path + pl - rl, cg->rel) != 0)
                return cell_error_plain(err, EINVAL, "cgroup state: %s is not a path to %s", path, cg->rel);
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
                return cell_error_plain(err, EINVAL, "cgroup state: missing version or cgroupsPath");
        cg = cgroup_new(root, rel);
        if (!cg)
                return cell_error_set(err, ENOMEM, "cgroup state");
        cg->version = (int)json_integer_value(version);
        cg->rootless = json_is_true(json_object_get(saved, "rootless"));
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
                        return cell_error_plain(err, EINVAL, "cgroup state: no paths");
                json_object_foreach(paths, key, v)
                {
                        if ((r = load_hier(cg, key, v, strcmp(key, "unified") == 0, err)) < 0)
                                return r;
                }
        } else {
                return cell_error_plain(err, EINVAL, "cgroup state: unknown version %d", cg->version);
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
        struct stat st;
        int fd, r;

        if (fs_read_file_at(dirfd, "cgroup.procs", 0, &text, NULL, err) < 0)
                return cell_error_prefix(err, "%s", path);
        if (pidv_parse(pv, text) < 0)
                return cell_error_set(err, ENOMEM, "%s/cgroup.procs", path);
        /* cgroupfs counts subdirectories in the link count: a leaf (the
         * usual case) has 2, and needs no directory scan. */
        if (fstat(dirfd, &st) == 0 && st.st_nlink <= 2)
                return 0;
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
                        cg_sleep_us(1000L * round);
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
        long long deadline = cg_now_us() + 1000000;
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
                        r = cg_hier_remove(h, deadline, ret < 0 ? &ignored : err);
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

int cgroup_v2_dir_fd(cgroup_t *cg)
{
        if (!cg || !cg->v2dir)
                return -1;
        return open(cg->v2dir->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int cgroup_v1_self_join_fds(cgroup_t *cg, int **ret_fds, size_t *ret_n, cell_error_t *err)
{
        _cleanup_free_ int *fds = NULL;
        size_t n = 0;

        *ret_fds = NULL;
        *ret_n = 0;
        if (!cg || cg->version != 1)
                return 0;
        fds = calloc(cg->n ? cg->n : 1, sizeof(*fds));
        if (!fds)
                return cell_error_set(err, ENOMEM, "cgroup");
        for (size_t i = 0; i < cg->n; i++) {
                _cleanup_free_ char *p = NULL;
                int fd;

                if (cg->h[i].v2)
                        continue;
                p = str_printf("%s/tasks", cg->h[i].path);
                fd = p ? open(p, O_WRONLY | O_CLOEXEC) : -1;
                if (fd < 0) {
                        int e = p ? errno : ENOMEM;
                        for (size_t k = 0; k < n; k++)
                                close(fds[k]);
                        return cell_error_set(err, e, "open %s", p ? p : "tasks");
                }
                fds[n++] = fd;
        }
        *ret_fds = steal_pointer(&fds);
        *ret_n = n;
        return 0;
}
