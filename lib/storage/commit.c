/* cell: a deterministic layer tar from a writable layer (see commit.h).
 *
 * Two passes: a walk of the upper directory collects every entry (its stat,
 * symlink target and xattrs, read through the parent directory's fd, never
 * following the entry), then the entries are sorted by their path in the tar
 * and written with libarchive (pax, restricted: ustar headers unless an entry
 * needs more). Contents are read in the second pass through an fd opened
 * beneath the upper directory with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), and must still be the inode the walk saw. */
#include "archive_load.h"
#include "commit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include "cleanup.h"
#include "snapshot.h"
#include "strutil.h"

#define COMMIT_XATTR_LIST_MAX  (64 * 1024)
#define COMMIT_XATTR_VALUE_MAX (64 * 1024)
#define COMMIT_BUF_SIZE        (128 * 1024)

typedef enum { ENT_PLAIN, ENT_WHITEOUT, ENT_OPAQUE } ent_kind_t;

typedef struct {
        char *name;
        void *value;
        size_t size;
} ent_xattr_t;

typedef struct {
        char *path;   /* the name in the tar ("etc/.wh.x" for a whiteout) */
        char *source; /* the entry in the upper directory */
        ent_kind_t kind;
        struct stat st;
        char *link; /* symlink target */
        ent_xattr_t *xattrs;
        size_t n_xattrs;
        const char *hardlink; /* an earlier entry's path, for a second name of an inode */
} ent_t;

typedef struct {
        ent_t *v;
        size_t n, cap;
} ent_list_t;

static void ent_list_free(ent_list_t *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].path);
                free(l->v[i].source);
                free(l->v[i].link);
                for (size_t k = 0; k < l->v[i].n_xattrs; k++) {
                        free(l->v[i].xattrs[k].name);
                        free(l->v[i].xattrs[k].value);
                }
                free(l->v[i].xattrs);
        }
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}

static ent_t *ent_add(ent_list_t *l)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                ent_t *v = realloc(l->v, cap * sizeof(*v));

                if (!v)
                        return NULL;
                l->v = v;
                l->cap = cap;
        }
        memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
        return &l->v[l->n++];
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

/* overlayfs's own attributes describe the upper directory, not the layer;
 * an SELinux label is the host's policy, not the image's. */
static bool xattr_skipped(const char *name)
{
        return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
               strcmp(name, "security.selinux") == 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const ent_xattr_t *)a)->name, ((const ent_xattr_t *)b)->name);
}

/* The xattrs of parent/name, without following name: the l*xattr calls on
 * "/proc/self/fd/PARENT/NAME" resolve the parent by its fd and leave the last
 * component alone. Sorted by name. *opaque tells whether overlay marked the
 * entry opaque. */
static int read_xattrs(int parentfd, const char *name, ent_t *e, bool *opaque, const char *rel,
                       cell_error_t *err)
{
        char path[PATH_MAX];
        _cleanup_free_ char *list = NULL;
        ssize_t n;

        *opaque = false;
        if ((size_t)snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", parentfd, name) >= sizeof(path))
                return cell_error_set(err, ENAMETOOLONG, "commit: /%s", rel);
        n = llistxattr(path, NULL, 0);
        if (n < 0) {
                if (errno == ENOTSUP)
                        return 0;
                return cell_error_errno(err, "commit: list the xattrs of /%s", rel);
        }
        if (n == 0)
                return 0;
        if (n > COMMIT_XATTR_LIST_MAX)
                return cell_error_set(err, E2BIG, "commit: /%s: xattr list too long", rel);
        list = malloc((size_t)n + 1);
        if (!list)
                return cell_error_set(err, ENOMEM, "commit");
        n = llistxattr(path, list, (size_t)n);
        if (n < 0)
                return cell_error_errno(err, "commit: list the xattrs of /%s", rel);
        list[n] = '\0';
        for (char *x = list; x < list + n; x += strlen(x) + 1) {
                char v[COMMIT_XATTR_VALUE_MAX];
                ssize_t vn;
                ent_xattr_t *nx;

                if (strcmp(x, "trusted.overlay.opaque") == 0 || strcmp(x, "user.overlay.opaque") == 0) {
                        char o[2];

                        if (lgetxattr(path, x, o, sizeof(o)) == 1 && o[0] == 'y')
                                *opaque = true;
                }
                if (xattr_skipped(x))
                        continue;
                vn = lgetxattr(path, x, v, sizeof(v));
                if (vn < 0) {
                        if (errno == ENODATA)
                                continue; /* removed meanwhile */
                        return cell_error_errno(err, "commit: xattr %s of /%s", x, rel);
                }
                nx = realloc(e->xattrs, (e->n_xattrs + 1) * sizeof(*nx));
                if (!nx)
                        return cell_error_set(err, ENOMEM, "commit");
                e->xattrs = nx;
                nx = &e->xattrs[e->n_xattrs];
                nx->name = strdup(x);
                nx->value = malloc(vn ? (size_t)vn : 1);
                if (!nx->name || !nx->value) {
                        free(nx->name);
                        free(nx->value);
                        return cell_error_set(err, ENOMEM, "commit");
                }
                memcpy(nx->value, v, (size_t)vn);
                nx->size = (size_t)vn;
                e->n_xattrs++;
        }
        if (e->n_xattrs > 1)
                qsort(e->xattrs, e->n_xattrs, sizeof(*e->xattrs), by_name);
        return 0;
}

/* "dir/.wh.name" (prefix ".wh.") or "dir/.wh..wh..opq". */
static char *whiteout_path(const char *dir, const char *name)
{
        return dir[0] ? str_printf("%s/.wh.%s", dir, name) : str_printf(".wh.%s", name);
}

static int walk(int dirfd, const char *rel, const char *const *layers, size_t n_layers, ent_list_t *l,
                cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return cell_error_errno(err, "commit: /%s", rel);
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return cell_error_errno(err, "commit: /%s", rel);
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;
                ent_t *e;
                bool opaque = false;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                child = rel[0] ? str_printf("%s/%s", rel, de->d_name) : strdup(de->d_name);
                if (!child)
                        return cell_error_set(err, ENOMEM, "commit");
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return cell_error_errno(err, "commit: /%s", child);
                if (strncmp(de->d_name, ".wh.", 4) == 0)
                        return cell_error_set(err, EINVAL, "commit: /%s: a name a layer cannot carry", child);
                if (is_whiteout(&st)) {
                        if (!snapshot_lower_exists(layers, n_layers, child))
                                continue; /* hides nothing */
                        e = ent_add(l);
                        if (!e || !(e->path = whiteout_path(rel, de->d_name)) || !(e->source = strdup(child)))
                                return cell_error_set(err, ENOMEM, "commit");
                        e->kind = ENT_WHITEOUT;
                        e->st = st;
                        continue;
                }
                e = ent_add(l);
                if (!e || !(e->path = strdup(child)) || !(e->source = strdup(child)))
                        return cell_error_set(err, ENOMEM, "commit");
                e->kind = ENT_PLAIN;
                e->st = st;
                if (read_xattrs(dirfd, de->d_name, e, &opaque, child, err) < 0)
                        return -1;
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target));

                        if (n < 0)
                                return cell_error_errno(err, "commit: readlink /%s", child);
                        if ((size_t)n >= sizeof(target))
                                return cell_error_set(err, ENAMETOOLONG, "commit: readlink /%s", child);
                        if (!(e->link = strndup(target, (size_t)n)))
                                return cell_error_set(err, ENOMEM, "commit");
                }
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub =
                                openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        struct stat sst;

                        if (sub < 0)
                                return cell_error_errno(err, "commit: /%s", child);
                        if (fstat(sub, &sst) < 0 || sst.st_ino != st.st_ino || sst.st_dev != st.st_dev)
                                return cell_error_set(err, EAGAIN, "commit: /%s changed while it was read",
                                                      child);
                        if (opaque) {
                                ent_t *o = ent_add(l);

                                /* ent_add may move the list: e is not used below. */
                                if (!o || !(o->path = whiteout_path(child, ".wh..opq")) ||
                                    !(o->source = strdup(child)))
                                        return cell_error_set(err, ENOMEM, "commit");
                                o->kind = ENT_OPAQUE;
                                o->st = st;
                        }
                        if (walk(sub, child, layers, n_layers, l, err) < 0)
                                return -1;
                }
        }
        if (errno != 0)
                return cell_error_errno(err, "commit: read /%s", rel);
        return 0;
}

static int by_path(const void *a, const void *b)
{
        return strcmp(((const ent_t *)a)->path, ((const ent_t *)b)->path);
}

/* A second name of an inode met earlier (in sorted order) becomes a hardlink
 * to the first. The list is sorted; a quadratic search is avoided by sorting
 * indexes of multiply-linked inodes by (dev, ino, position). */
typedef struct {
        dev_t dev;
        ino_t ino;
        size_t idx;
} link_key_t;

static int by_inode(const void *a, const void *b)
{
        const link_key_t *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int find_hardlinks(ent_list_t *l, cell_error_t *err)
{
        _cleanup_free_ link_key_t *keys = NULL;
        size_t n = 0;

        keys = calloc(l->n ? l->n : 1, sizeof(*keys));
        if (!keys)
                return cell_error_set(err, ENOMEM, "commit");
        for (size_t i = 0; i < l->n; i++) {
                const ent_t *e = &l->v[i];

                if (e->kind == ENT_PLAIN && !S_ISDIR(e->st.st_mode) && e->st.st_nlink > 1)
                        keys[n++] = (link_key_t){e->st.st_dev, e->st.st_ino, i};
        }
        qsort(keys, n, sizeof(*keys), by_inode);
        for (size_t i = 1; i < n; i++) {
                size_t first = i;

                while (first > 0 && keys[first - 1].dev == keys[i].dev && keys[first - 1].ino == keys[i].ino)
                        first--;
                if (first != i)
                        l->v[keys[i].idx].hardlink = l->v[keys[first].idx].path;
        }
        return 0;
}

/* ---- output: the tar bytes, hashed, optionally gzipped, written ---- */

typedef struct {
        int fd;
        bool gzip;
        z_stream z;
        bool z_init;
        image_hasher_t *tar_hash;
        image_hasher_t *out_hash;
        uint64_t tar_size, out_size;
        cell_error_t *err;
        int failed; /* an error is in err */
} sink_t;

static int write_all(sink_t *s, const unsigned char *p, size_t n)
{
        if (image_hasher_update(s->out_hash, p, n, s->err) < 0)
                return -1;
        while (n > 0) {
                ssize_t w = write(s->fd, p, n);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return cell_error_errno(s->err, "commit: write the layer");
                }
                p += w;
                n -= (size_t)w;
                s->out_size += (uint64_t)w;
        }
        return 0;
}

static int deflate_out(sink_t *s, const void *data, size_t len, int flush)
{
        unsigned char out[COMMIT_BUF_SIZE];

        s->z.next_in = (Bytef *)(uintptr_t)data;
        s->z.avail_in = (uInt)len;
        do {
                int r;

                s->z.next_out = out;
                s->z.avail_out = sizeof(out);
                r = deflate(&s->z, flush);
                if (r == Z_STREAM_ERROR)
                        return cell_error_set(s->err, EIO, "commit: gzip failed");
                if (write_all(s, out, sizeof(out) - s->z.avail_out) < 0)
                        return -1;
        } while (s->z.avail_out == 0 || (flush == Z_FINISH && s->z.avail_in > 0));
        return 0;
}

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
        sink_t *s = ctx;

        (void)a;
        if (s->failed)
                return -1;
        if (image_hasher_update(s->tar_hash, buf, len, s->err) < 0)
                goto fail;
        s->tar_size += len;
        if (s->gzip ? deflate_out(s, buf, len, Z_NO_FLUSH) < 0 : write_all(s, buf, len) < 0)
                goto fail;
        return (la_ssize_t)len;
fail:
        s->failed = 1;
        return -1;
}

static int archive_fail(struct archive *a, sink_t *s, const char *what)
{
        if (s->failed) {
                cell_error_prefix(s->err, "%s", what);
                return -1;
        }
        return cell_error_set(s->err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "commit: %s: %s", what,
                              archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
}

static int open_beneath(int rootfd, const char *path)
{
        struct open_how how = {
                .flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        long r;

        do
                r = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        while (r < 0 && errno == EINTR);
        return (int)r;
}

static int write_contents(struct archive *a, sink_t *s, int rootfd, const ent_t *e)
{
        _cleanup_close_ int fd = open_beneath(rootfd, e->source);
        unsigned char buf[COMMIT_BUF_SIZE];
        struct stat st;
        off_t left = e->st.st_size;

        if (fd < 0)
                return cell_error_errno(s->err, "commit: open /%s", e->source);
        if (fstat(fd, &st) < 0)
                return cell_error_errno(s->err, "commit: /%s", e->source);
        if (st.st_ino != e->st.st_ino || st.st_dev != e->st.st_dev || st.st_size != e->st.st_size)
                return cell_error_set(s->err, EAGAIN, "commit: /%s changed while it was read", e->source);
        while (left > 0) {
                size_t want = (size_t)left < sizeof(buf) ? (size_t)left : sizeof(buf);
                ssize_t n = read(fd, buf, want);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cell_error_errno(s->err, "commit: read /%s", e->source);
                if (n == 0)
                        return cell_error_set(s->err, EAGAIN, "commit: /%s shrank while it was read",
                                              e->source);
                if (archive_write_data(a, buf, (size_t)n) != n)
                        return archive_fail(a, s, e->path);
                left -= n;
        }
        return 0;
}

static int write_entry(struct archive *a, sink_t *s, int rootfd, const ent_t *e, int64_t sde)
{
        struct archive_entry *ae = archive_entry_new();
        time_t mtime = e->st.st_mtim.tv_sec;
        int r = -1;

        if (!ae)
                return cell_error_set(s->err, ENOMEM, "commit");
        if (sde >= 0 && (int64_t)mtime > sde)
                mtime = (time_t)sde;
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_mtime(ae, mtime, 0);
        if (e->kind != ENT_PLAIN) {
                /* ".wh.NAME" and ".wh..wh..opq": empty files owned by root. */
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_perm(ae, 0644);
                archive_entry_set_size(ae, 0);
        } else {
                archive_entry_set_mode(ae, e->st.st_mode);
                archive_entry_set_uid(ae, e->st.st_uid);
                archive_entry_set_gid(ae, e->st.st_gid);
                if (e->hardlink) {
                        archive_entry_set_hardlink(ae, e->hardlink);
                        archive_entry_set_size(ae, 0);
                } else if (S_ISREG(e->st.st_mode)) {
                        archive_entry_set_size(ae, e->st.st_size);
                } else if (S_ISLNK(e->st.st_mode)) {
                        archive_entry_set_symlink(ae, e->link);
                } else if (S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode)) {
                        archive_entry_set_rdevmajor(ae, major(e->st.st_rdev));
                        archive_entry_set_rdevminor(ae, minor(e->st.st_rdev));
                } else if (!S_ISDIR(e->st.st_mode) && !S_ISFIFO(e->st.st_mode)) {
                        r = cell_error_set(s->err, ENOTSUP, "commit: /%s: a socket cannot be in a layer",
                                           e->path);
                        goto out;
                }
                for (size_t k = 0; k < e->n_xattrs; k++)
                        archive_entry_xattr_add_entry(ae, e->xattrs[k].name, e->xattrs[k].value,
                                                      e->xattrs[k].size);
        }
        if (archive_write_header(a, ae) != ARCHIVE_OK) {
                r = archive_fail(a, s, e->path);
                goto out;
        }
        if (e->kind == ENT_PLAIN && !e->hardlink && S_ISREG(e->st.st_mode) && e->st.st_size > 0 &&
            write_contents(a, s, rootfd, e) < 0)
                goto out;
        r = 0;
out:
        archive_entry_free(ae);
        return r;
}

int storage_commit_layer(const char *upper, const char *const *layers, size_t n_layers, int out_fd,
                         const storage_commit_opts_t *opts, storage_commit_result_t *ret, cell_error_t *err)
{
        storage_commit_opts_t o = STORAGE_COMMIT_OPTS_INIT;
        _cleanup_close_ int rootfd = -1;
        ent_list_t l = {0};
        sink_t s = {.fd = out_fd, .err = err};
        struct archive *a = NULL;
        uint64_t whiteouts = 0;
        int r = -1;

        if (opts)
                o = *opts;
        if (ret)
                memset(ret, 0, sizeof(*ret));
        s.gzip = o.gzip;
        rootfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return cell_error_errno(err, "commit: %s", upper);
        if (walk(rootfd, "", layers, n_layers, &l, err) < 0)
                goto out;
        qsort(l.v, l.n, sizeof(*l.v), by_path);
        if (find_hardlinks(&l, err) < 0)
                goto out;

        if (image_hasher_new(&s.tar_hash, err) < 0 || image_hasher_new(&s.out_hash, err) < 0)
                goto out;
        if (s.gzip) {
                /* windowBits 15 + 16: a gzip wrapper with zlib's default
                 * header (no name, mtime 0). */
                if (deflateInit2(&s.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
                    Z_OK) {
                        cell_error_set(err, ENOMEM, "commit: gzip");
                        goto out;
                }
                s.z_init = true;
        }
        if (image_archive_ready(err) < 0)
                goto out;
        a = archive_write_new();
        if (!a) {
                cell_error_set(err, ENOMEM, "commit");
                goto out;
        }
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
                archive_fail(a, &s, "start the tar");
                goto out;
        }
        for (size_t i = 0; i < l.n; i++) {
                if (write_entry(a, &s, rootfd, &l.v[i], o.source_date_epoch) < 0)
                        goto out;
                if (l.v[i].kind != ENT_PLAIN)
                        whiteouts++;
        }
        if (archive_write_close(a) != ARCHIVE_OK) {
                archive_fail(a, &s, "finish the tar");
                goto out;
        }
        if (s.gzip && deflate_out(&s, NULL, 0, Z_FINISH) < 0)
                goto out;
        if (ret) {
                ret->size = s.out_size;
                ret->tar_size = s.tar_size;
                ret->entries = l.n;
                ret->whiteouts = whiteouts;
                if (image_hasher_final(s.tar_hash, ret->diff_id, err) < 0 ||
                    image_hasher_final(s.out_hash, ret->digest, err) < 0)
                        goto out;
        }
        r = 0;
out:
        if (a)
                archive_write_free(a);
        if (s.z_init)
                deflateEnd(&s.z);
        image_hasher_free(s.tar_hash);
        image_hasher_free(s.out_hash);
        ent_list_free(&l);
        return r;
}

int storage_parse_source_date_epoch(const char *s, int64_t *ret, cell_error_t *err)
{
        char *end = NULL;
        long long v;

        *ret = -1;
        if (!s || !*s)
                return 0;
        if (*s < '0' || *s > '9')
                return cell_error_set(err, EINVAL,
                                      "SOURCE_DATE_EPOCH: expected seconds since 1970, got \"%s\"", s);
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return cell_error_set(err, EINVAL,
                                      "SOURCE_DATE_EPOCH: expected seconds since 1970, got \"%s\"", s);
        *ret = (int64_t)v;
        return 0;
}
