/* cell: base images made on this machine (see base.h). */
#include "archive_load.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "fsutil.h"
#include "manifest.h"
#include "strutil.h"

extern char **environ;

#define BASE_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int64_t image_base_epoch(void)
{
        const char *s = getenv("SOURCE_DATE_EPOCH");
        long v;

        if (s && str_to_long(s, 0, 253402300799L, &v) == 0)
                return v;
        return 0;
}

static int rfc3339(int64_t t, char *buf, size_t n)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        return 0;
}

/* Run ARGV (argv[0] a path) with stdout into a malloc'd string. */
static int run_capture(char *const *argv, char **ret, cell_error_t *err)
{
        posix_spawn_file_actions_t fa;
        _cleanup_close_ int rd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        int p[2], status, r;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return cell_error_errno(err, "pipe");
        rd = p[0];
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
        r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(p[1]);
        if (r != 0)
                return cell_error_set(err, r, "running %s", argv[0]);
        for (;;) {
                ssize_t k;

                if (len + 4096 + 1 > cap) {
                        char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
                        if (!nb) {
                                r = cell_error_set(err, ENOMEM, "reading %s", argv[0]);
                                break;
                        }
                        buf = nb;
                }
                k = TEMP_FAILURE_RETRY_INT(read(rd, buf + len, cap - len - 1));
                if (k < 0) {
                        r = cell_error_errno(err, "reading from %s", argv[0]);
                        break;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return cell_error_errno(err, "waiting for %s", argv[0]);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cell_error_set(err, EIO, "%s %s failed (status %d)", argv[0], argv[1] ? argv[1] : "",
                                      status);
        buf[len] = '\0';
        *ret = steal_pointer(&buf);
        return 0;
}

/* Config, manifest and index entry for a one-layer image whose layer blob is
 * an uncompressed tar (so its digest is its diff id). */
static int commit_image(image_store_t *s, const char *layer_digest, uint64_t layer_size, const char *ref,
                        char *const *cmd, char *const *env, int64_t created, const char *created_by,
                        image_base_result_t *ret, cell_error_t *err)
{
        image_platform_t plat = {0};
        image_config_t c = {0};
        image_history_t h = {0};
        image_manifest_t m = {0};
        image_descriptor_t layer = {0};
        char date[64], *diff_ids[2] = {(char *)layer_digest, NULL};
        char cfg_digest[IMAGE_DIGEST_STR_SIZE], man_digest[IMAGE_DIGEST_STR_SIZE];
        _cleanup_free_ char *cfg = NULL, *man = NULL;
        size_t cfg_len = 0, man_len = 0;
        int r;

        if (rfc3339(created, date, sizeof(date)) < 0)
                return cell_error_set(err, EINVAL, "the creation time %lld is out of range",
                                      (long long)created);
        r = image_platform_host(&plat, err);
        if (r < 0)
                return r;
        c.architecture = plat.architecture;
        c.os = plat.os;
        /* Docker writes a variant for arm only (amd64 "v1" is implied). */
        c.variant = str_has_prefix(plat.architecture, "arm") ? plat.variant : NULL;
        c.created = date;
        c.has_config = true;
        c.config.env = (char **)env;
        c.config.cmd = (char **)cmd;
        c.diff_ids = diff_ids;
        c.n_diff_ids = 1;
        h.created = date;
        h.created_by = (char *)created_by;
        c.history = &h;
        c.n_history = 1;
        cfg = image_config_serialize(&c, &cfg_len, err);
        image_platform_free(&plat);
        if (!cfg)
                return -ENOMEM;
        r = image_store_blob_put(s, cfg, cfg_len, NULL, cfg_digest, err);
        if (r < 0)
                return cell_error_prefix(err, "storing the config");

        m.kind = IMAGE_DOC_OCI_MANIFEST;
        m.media_type_present = true;
        m.config.media_type = IMAGE_MT_OCI_CONFIG;
        str_copy(m.config.digest, sizeof(m.config.digest), cfg_digest);
        m.config.size = (int64_t)cfg_len;
        layer.media_type = IMAGE_MT_OCI_LAYER_TAR;
        str_copy(layer.digest, sizeof(layer.digest), layer_digest);
        layer.size = (int64_t)layer_size;
        m.layers = &layer;
        m.n_layers = 1;
        man = image_manifest_serialize(&m, &man_len, err);
        if (!man)
                return -ENOMEM;
        r = image_store_blob_put(s, man, man_len, NULL, man_digest, err);
        if (r < 0)
                return cell_error_prefix(err, "storing the manifest");
        r = image_store_tag(s, ref, image_media_type_string(IMAGE_MT_OCI_MANIFEST), man_digest,
                            (int64_t)man_len, err);
        if (r < 0)
                return r;
        if (ret) {
                str_copy(ret->image_id, sizeof(ret->image_id), cfg_digest);
                str_copy(ret->manifest_digest, sizeof(ret->manifest_digest), man_digest);
                str_copy(ret->layer_digest, sizeof(ret->layer_digest), layer_digest);
                ret->layer_size = layer_size;
        }
        return 0;
}

int image_base_from_tar(image_store_t *s, int tar_fd, const char *ref, char *const *cmd, char *const *env,
                        int64_t created, const char *created_by, image_base_result_t *ret, cell_error_t *err)
{
        image_blob_writer_t *w = NULL;
        char digest[IMAGE_DIGEST_STR_SIZE];
        uint64_t size = 0;
        _cleanup_free_ char *buf = malloc(1 << 20);
        int r;

        if (!buf)
                return cell_error_set(err, ENOMEM, "importing a layer");
        r = image_store_pin(s, err);
        if (r < 0)
                return r;
        r = image_store_blob_begin(s, &w, err);
        if (r < 0)
                goto out;
        for (;;) {
                ssize_t k = TEMP_FAILURE_RETRY_INT(read(tar_fd, buf, 1 << 20));

                if (k < 0) {
                        r = cell_error_errno(err, "reading the layer");
                        image_store_blob_abort(w);
                        goto out;
                }
                if (k == 0)
                        break;
                r = image_store_blob_write(w, buf, (size_t)k, err);
                if (r < 0) {
                        image_store_blob_abort(w);
                        goto out;
                }
                size += (uint64_t)k;
        }
        r = image_store_blob_commit(w, NULL, digest, err);
        if (r < 0)
                goto out;
        r = commit_image(s, digest, size, ref, cmd, env, created, created_by, ret, err);
out:
        image_store_unpin(s);
        return r;
}

/* The busybox layer. */

typedef struct base_entry {
        char *path;
        mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK */
        mode_t perm;
        char *target; /* symlinks */
        const char *content;
        int from_fd; /* AE_IFREG from the busybox binary when content is NULL */
} base_entry_t;

typedef struct base_list {
        base_entry_t *v;
        size_t n, cap;
} base_list_t;

static void base_list_clear(base_list_t *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].path);
                free(l->v[i].target);
        }
        free(l->v);
}

static int base_add(base_list_t *l, const char *path, mode_t type, mode_t perm, const char *target,
                    const char *content)
{
        base_entry_t *e;

        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].path, path) == 0)
                        return 0; /* an applet listed twice */
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 512;
                base_entry_t *nv = realloc(l->v, cap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                l->v = nv;
                l->cap = cap;
        }
        e = &l->v[l->n];
        memset(e, 0, sizeof(*e));
        e->path = strdup(path);
        e->target = target ? strdup(target) : NULL;
        if (!e->path || (target && !e->target)) {
                free(e->path);
                free(e->target);
                return -ENOMEM;
        }
        e->type = type;
        e->perm = perm;
        e->content = content;
        l->n++;
        return 0;
}

static int base_entry_cmp(const void *a, const void *b)
{
        return strcmp(((const base_entry_t *)a)->path, ((const base_entry_t *)b)->path);
}

static bool applet_name_ok(const char *s)
{
        if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (; *s; s++)
                if (*s == '/' || (unsigned char)*s < 0x21)
                        return false;
        return true;
}

/* bin/<applet> for every applet; sbin/<applet> too for the applets busybox
 * itself places in sbin or usr/sbin (--list-full), so that PATH lookups of
 * scripts written for a full system find them. */
static int busybox_entries(const char *busybox, base_list_t *l, cell_error_t *err)
{
        static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
        static const char group[] = "root:x:0:\nnobody:x:65534:\n";
        static const struct {
                const char *path;
                mode_t perm;
        } dirs[] = {{"bin", 0755},  {"dev", 0755}, {"etc", 0755},  {"proc", 0555}, {"root", 0700},
                    {"sbin", 0755}, {"sys", 0555}, {"tmp", 01777}, {"usr", 0755},  {"var", 0755}};
        char *argv_list[] = {(char *)busybox, (char *)"--list", NULL};
        char *argv_full[] = {(char *)busybox, (char *)"--list-full", NULL};
        _cleanup_free_ char *list = NULL, *full = NULL;
        char *save = NULL;
        int r;

        r = run_capture(argv_list, &list, err);
        if (r < 0)
                return r;
        if (run_capture(argv_full, &full, NULL) < 0)
                full = NULL; /* an old busybox: no sbin links */
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                if (base_add(l, dirs[i].path, AE_IFDIR, dirs[i].perm, NULL, NULL) < 0)
                        goto nomem;
        if (base_add(l, "bin/busybox", AE_IFREG, 0755, NULL, NULL) < 0 ||
            base_add(l, "etc/passwd", AE_IFREG, 0644, NULL, passwd) < 0 ||
            base_add(l, "etc/group", AE_IFREG, 0644, NULL, group) < 0)
                goto nomem;
        for (char *a = strtok_r(list, "\n", &save); a; a = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *p = NULL;

                if (!applet_name_ok(a) || strcmp(a, "busybox") == 0)
                        continue;
                p = str_printf("bin/%s", a);
                if (!p || base_add(l, p, AE_IFLNK, 0777, "busybox", NULL) < 0)
                        goto nomem;
        }
        save = NULL;
        for (char *a = full ? strtok_r(full, "\n", &save) : NULL; a; a = strtok_r(NULL, "\n", &save)) {
                const char *name = NULL;
                _cleanup_free_ char *p = NULL;

                if (str_has_prefix(a, "sbin/"))
                        name = a + 5;
                else if (str_has_prefix(a, "usr/sbin/"))
                        name = a + 9;
                if (!name || !applet_name_ok(name))
                        continue;
                p = str_printf("sbin/%s", name);
                if (!p || base_add(l, p, AE_IFLNK, 0777, "../bin/busybox", NULL) < 0)
                        goto nomem;
        }
        qsort(l->v, l->n, sizeof(*l->v), base_entry_cmp);
        return 0;
nomem:
        return cell_error_set(err, ENOMEM, "listing the busybox image");
}

typedef struct tar_sink {
        image_blob_writer_t *w;
        uint64_t size;
        cell_error_t *err;
        int failed;
} tar_sink_t;

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
        tar_sink_t *k = ctx;
        int r = image_store_blob_write(k->w, buf, len, k->err);

        if (r < 0) {
                k->failed = r;
                archive_set_error(a, -r, "writing the layer");
                return -1;
        }
        k->size += len;
        return (la_ssize_t)len;
}

static int write_entry(struct archive *a, struct archive_entry *ae, const base_entry_t *e, int bb_fd,
                       int64_t bb_size, int64_t epoch, cell_error_t *err)
{
        int64_t size = e->type != AE_IFREG ? 0 : e->content ? (int64_t)strlen(e->content) : bb_size;

        archive_entry_clear(ae);
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_filetype(ae, e->type);
        archive_entry_set_perm(ae, e->perm);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        archive_entry_set_mtime(ae, epoch, 0);
        archive_entry_set_size(ae, size);
        if (e->target)
                archive_entry_set_symlink(ae, e->target);
        if (archive_write_header(a, ae) != ARCHIVE_OK)
                return cell_error_set(err, EIO, "writing %s: %s", e->path, archive_error_string(a));
        if (e->type != AE_IFREG)
                return 0;
        if (e->content) {
                if (archive_write_data(a, e->content, (size_t)size) != (la_ssize_t)size)
                        return cell_error_set(err, EIO, "writing %s: %s", e->path, archive_error_string(a));
                return 0;
        }
        {
                _cleanup_free_ char *buf = malloc(1 << 16);
                int64_t left = size;
                off_t off = 0;

                if (!buf)
                        return cell_error_set(err, ENOMEM, "writing %s", e->path);
                while (left > 0) {
                        ssize_t k = TEMP_FAILURE_RETRY_INT(pread(bb_fd, buf, 1 << 16, off));

                        if (k < 0)
                                return cell_error_errno(err, "reading busybox");
                        if (k == 0)
                                return cell_error_set(err, EIO, "busybox shrank while it was read");
                        if (k > left)
                                k = (ssize_t)left;
                        if (archive_write_data(a, buf, (size_t)k) != k)
                                return cell_error_set(err, EIO, "writing %s: %s", e->path,
                                                      archive_error_string(a));
                        left -= k;
                        off += k;
                }
        }
        return 0;
}

static int write_busybox_layer(image_store_t *s, const base_list_t *l, int bb_fd, int64_t bb_size,
                               int64_t epoch, char digest[IMAGE_DIGEST_STR_SIZE], uint64_t *ret_size,
                               cell_error_t *err)
{
        struct archive *a = NULL;
        struct archive_entry *ae = NULL;
        tar_sink_t k = {.err = err};
        int r = 0;

        if (image_archive_ready(err) < 0)
                return -1;
        a = archive_write_new();
        ae = archive_entry_new();
        if (!a || !ae) {
                r = cell_error_set(err, ENOMEM, "writing the layer");
                goto out;
        }
        r = image_store_blob_begin(s, &k.w, err);
        if (r < 0)
                goto out;
        /* pax_restricted: plain ustar headers unless an entry needs more, and
         * no pax timestamps or pids that would change the bytes. */
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_add_filter_none(a) != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) ||
            archive_write_open2(a, &k, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
                r = cell_error_set(err, EIO, "writing the layer: %s", archive_error_string(a));
                goto abort;
        }
        for (size_t i = 0; i < l->n; i++) {
                r = write_entry(a, ae, &l->v[i], bb_fd, bb_size, epoch, err);
                if (r < 0)
                        goto abort;
        }
        if (archive_write_close(a) != ARCHIVE_OK || k.failed) {
                r = k.failed ? k.failed
                             : cell_error_set(err, EIO, "writing the layer: %s", archive_error_string(a));
                goto abort;
        }
        *ret_size = k.size;
        r = image_store_blob_commit(k.w, NULL, digest, err);
        k.w = NULL;
        goto out;
abort:
        image_store_blob_abort(k.w);
out:
        archive_entry_free(ae);
        if (a)
                archive_write_free(a);
        return r;
}

int image_base_busybox(image_store_t *s, const char *busybox, const char *ref, image_base_result_t *ret,
                       cell_error_t *err)
{
        static char *const cmd[] = {(char *)"sh", NULL};
        static char *const env[] = {(char *)BASE_PATH_ENV, NULL};
        base_list_t l = {0};
        _cleanup_close_ int fd = -1;
        char digest[IMAGE_DIGEST_STR_SIZE];
        uint64_t size = 0;
        int64_t epoch = image_base_epoch();
        struct stat st;
        int r;

        if (!busybox)
                busybox = "/bin/busybox";
        if (!ref)
                ref = IMAGE_BASE_BUSYBOX_REF;
        fd = open(busybox, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cell_error_errno(err, "%s (install busybox-static)", busybox);
        if (fstat(fd, &st) < 0)
                return cell_error_errno(err, "%s", busybox);
        if (!S_ISREG(st.st_mode))
                return cell_error_set(err, EINVAL, "%s is not a regular file", busybox);
        r = busybox_entries(busybox, &l, err);
        if (r < 0)
                goto out;
        r = image_store_pin(s, err);
        if (r < 0)
                goto out;
        r = write_busybox_layer(s, &l, fd, st.st_size, epoch, digest, &size, err);
        if (r >= 0)
                r = commit_image(s, digest, size, ref, cmd, env, epoch, "cell image base busybox", ret, err);
        image_store_unpin(s);
out:
        base_list_clear(&l);
        return r;
}

/* Debian with mmdebstrap. */

static int find_in_path(const char *name, char **ret)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p = str_printf("%s/%s", d, name);
                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = p;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}

static bool suite_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
                        return false;
        return true;
}

int image_base_debian(image_store_t *s, const image_base_debian_opts_t *opts, image_base_result_t *ret,
                      cell_error_t *err)
{
        static char *const cmd[] = {(char *)"bash", NULL};
        static char *const env[] = {(char *)BASE_PATH_ENV, NULL};
        const char *suite = opts && opts->suite ? opts->suite : IMAGE_BASE_DEBIAN_SUITE;
        const char *mirror = opts && opts->mirror ? opts->mirror : IMAGE_BASE_DEBIAN_MIRROR;
        const char *cache = opts && opts->cache_dir ? opts->cache_dir : IMAGE_BASE_DEBIAN_CACHE;
        const char *ref = opts && opts->ref ? opts->ref : IMAGE_BASE_DEBIAN_REF;
        _cleanup_free_ char *mmdebstrap = NULL, *tarball = NULL, *tmp = NULL, *created_by = NULL;
        char mirror_digest[IMAGE_DIGEST_STR_SIZE], day[16];
        _cleanup_close_ int fd = -1;
        time_t now = time(NULL);
        struct tm tm;
        struct stat st;
        int r;

        if (!suite_ok(suite))
                return cell_error_set(err, EINVAL, "invalid suite \"%s\"", suite);
        r = image_digest_data(mirror, strlen(mirror), mirror_digest, err);
        if (r < 0)
                return r;
        if (!gmtime_r(&now, &tm) || strftime(day, sizeof(day), "%Y%m%d", &tm) == 0)
                return cell_error_set(err, EINVAL, "the date");
        r = fs_mkdir_p(cache, 0700, err);
        if (r < 0)
                return r;
        /* The key: suite, mirror (hashed: it is a URL) and day. */
        tarball = str_printf("%s/debian-%s-%.12s-%s.tar", cache, suite, mirror_digest + 7, day);
        created_by = str_printf("mmdebstrap --variant=minbase %s %s", suite, mirror);
        if (!tarball || !created_by)
                return cell_error_set(err, ENOMEM, "debian");
        if (ret)
                ret->from_cache = fs_exists(tarball);
        if (!fs_exists(tarball)) {
                char *argv[8];
                _cleanup_free_ char *out = NULL;

                r = find_in_path("mmdebstrap", &mmdebstrap);
                if (r < 0)
                        return cell_error_set(err, -r,
                                              "mmdebstrap is not installed (scripts/deps.sh installs it)");
                tmp = str_printf("%s.tmp-%d", tarball, (int)getpid());
                if (!tmp)
                        return cell_error_set(err, ENOMEM, "debian");
                argv[0] = mmdebstrap;
                argv[1] = (char *)"--quiet";
                argv[2] = (char *)"--variant=minbase";
                argv[3] = (char *)"--format=tar";
                argv[4] = (char *)suite;
                argv[5] = tmp;
                argv[6] = (char *)mirror;
                argv[7] = NULL;
                r = run_capture(argv, &out, err);
                if (r < 0) {
                        unlink(tmp);
                        return r;
                }
                if (rename(tmp, tarball) < 0) {
                        r = cell_error_errno(err, "rename %s", tmp);
                        unlink(tmp);
                        return r;
                }
        }
        fd = open(tarball, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return cell_error_errno(err, "%s", tarball);
        /* The image's date is the tarball's (or SOURCE_DATE_EPOCH): the same
         * cached tarball gives the same image id. */
        return image_base_from_tar(s, fd, ref, cmd, env,
                                   getenv("SOURCE_DATE_EPOCH") ? image_base_epoch() : st.st_mtime, created_by,
                                   ret, err);
}
