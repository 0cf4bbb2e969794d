/* cell: the files of COPY and ADD (see copy.h). */
#include "copy.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "archive_load.h"
#include "cleanup.h"
#include "fsutil.h"
#include "layer.h"
#include "sbuf.h"
#include "strutil.h"

#define COPY_BUF_SIZE  (128u * 1024)
#define COPY_MAX_DEPTH 1024

/* ---- paths ---- */

/* Go's path.Clean of "/" + p without the leading '/': ".." stops at the
 * root, so a source or destination can never name anything above it. The
 * root itself is ".". */
static char *clean_rel(const char *p)
{
        strvec_t parts = {0};
        sbuf_t out = {0};

        while (*p) {
                const char *end;
                size_t n;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                end = strchrnul(p, '/');
                n = (size_t)(end - p);
                if (n == 1 && p[0] == '.') {
                        /* nothing */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (parts.n > 0) {
                                free(parts.v[--parts.n]);
                                parts.v[parts.n] = NULL;
                        }
                } else if (strvec_push_owned(&parts, strndup(p, n)) < 0) {
                        strvec_free(&parts);
                        return NULL;
                }
                p = end;
        }
        for (size_t i = 0; i < parts.n; i++) {
                if (i > 0)
                        sbuf_addc(&out, '/');
                sbuf_add(&out, parts.v[i]);
        }
        if (parts.n == 0)
                sbuf_addc(&out, '.');
        strvec_free(&parts);
        return sbuf_steal(&out);
}

/* base/name, or name when base is the root ("."). */
static char *join_rel(const char *base, const char *name)
{
        if (str_eq(base, "."))
                return strdup(name);
        return str_printf("%s/%s", base, name);
}

static bool has_wildcard(const char *s)
{
        return strpbrk(s, "*?[\\") != NULL;
}

static int open_in_root(int rootfd, const char *path, int flags)
{
        return fs_openat2_in_root(rootfd, path, flags, 0);
}

static bool is_excluded(const dockerignore_t *ig, const char *rel)
{
        return ig && !str_eq(rel, ".") && dockerignore_excluded(ig, rel);
}

/* Whether an entry is visible at all: not excluded, or a directory that a
 * '!' pattern may re-include something below. */
static bool is_visible(const dockerignore_t *ig, const char *rel, bool is_dir)
{
        if (!is_excluded(ig, rel))
                return true;
        return is_dir && dockerignore_may_reinclude(ig, rel);
}

static int not_found(cell_error_t *err, const char *clean)
{
        return cell_error_plain(
                err, ENOENT,
                "failed to compute cache key: failed to calculate checksum of ref: \"/%s\": not found",
                str_eq(clean, ".") ? "" : clean);
}

/* The names in a directory (not "." and ".."), sorted. dirfd stays open. */
static int list_dir(int dirfd, char ***ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        strvec_t names = {0};
        struct dirent *de;
        int fd;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                int e = errno;
                close(fd);
                return -e;
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                        continue;
                if (strvec_push_owned(&names, strdup(de->d_name)) < 0) {
                        strvec_free(&names);
                        return -ENOMEM;
                }
                errno = 0;
        }
        if (errno) {
                int e = errno;
                strvec_free(&names);
                return -e;
        }
        if (names.n > 1)
                strv_sort(names.v, names.n);
        *ret = strvec_steal(&names);
        return *ret ? 0 : -ENOMEM;
}

/* ---- matching ---- */

/* One step of a wildcard walk: the entries of base matching elem. */
static int match_elem(int rootfd, const dockerignore_t *ig, const char *base, const char *elem, bool last,
                      strvec_t *next, cell_error_t *err)
{
        _cleanup_close_ int dfd = -1;
        _cleanup_strv_ char **names = NULL;
        int r;

        if (!has_wildcard(elem)) {
                _cleanup_free_ char *cand = join_rel(base, elem);
                _cleanup_close_ int fd = -1;
                struct stat st;

                if (!cand)
                        return cell_error_set(err, ENOMEM, "matching sources");
                fd = open_in_root(rootfd, cand, O_PATH | (last ? 0 : O_DIRECTORY));
                if (fd < 0 || fstat(fd, &st) < 0)
                        return 0;
                if (!is_visible(ig, cand, S_ISDIR(st.st_mode)))
                        return 0;
                return strvec_push_owned(next, steal_pointer(&cand)) < 0
                               ? cell_error_set(err, ENOMEM, "matching sources")
                               : 0;
        }
        dfd = open_in_root(rootfd, base, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return 0;
        r = list_dir(dfd, &names);
        if (r < 0)
                return cell_error_set(err, -r, "read /%s", str_eq(base, ".") ? "" : base);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *cand = NULL;
                _cleanup_close_ int fd = -1;
                struct stat st;

                if (!dockerignore_match(elem, *n))
                        continue;
                cand = join_rel(base, *n);
                if (!cand)
                        return cell_error_set(err, ENOMEM, "matching sources");
                /* Intermediate elements must be directories, reached through
                 * symlinks only inside the root. */
                fd = open_in_root(rootfd, cand, O_PATH | (last ? 0 : O_DIRECTORY));
                if (fd < 0) {
                        /* A dangling symlink matches as itself. */
                        if (!last || fstatat(dfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                } else if (fstat(fd, &st) < 0) {
                        continue;
                }
                if (!is_visible(ig, cand, S_ISDIR(st.st_mode)))
                        continue;
                if (strvec_push_owned(next, steal_pointer(&cand)) < 0)
                        return cell_error_set(err, ENOMEM, "matching sources");
        }
        return 0;
}

int build_sources_match(int rootfd, const dockerignore_t *ig, const char *pattern, char ***ret_paths,
                        cell_error_t *err)
{
        _cleanup_free_ char *clean = clean_rel(pattern);
        strvec_t cur = {0};
        const char *p;

        if (!clean)
                return cell_error_set(err, ENOMEM, "matching sources");
        if (!has_wildcard(clean)) {
                _cleanup_close_ int fd = open_in_root(rootfd, clean, O_PATH);
                struct stat st;

                if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
                        return cell_error_errno(err, "source /%s", clean);
                if (fd < 0 || fstat(fd, &st) < 0 || !is_visible(ig, clean, S_ISDIR(st.st_mode)))
                        return not_found(err, clean);
                if (strvec_push_owned(&cur, steal_pointer(&clean)) < 0)
                        return cell_error_set(err, ENOMEM, "matching sources");
                *ret_paths = strvec_steal(&cur);
                return 0;
        }
        if (strvec_push_owned(&cur, strdup(".")) < 0)
                return cell_error_set(err, ENOMEM, "matching sources");
        p = clean;
        while (*p) {
                const char *end = strchrnul(p, '/');
                _cleanup_free_ char *elem = strndup(p, (size_t)(end - p));
                strvec_t next = {0};

                if (!elem) {
                        strvec_free(&cur);
                        return cell_error_set(err, ENOMEM, "matching sources");
                }
                for (size_t i = 0; i < cur.n; i++)
                        if (match_elem(rootfd, ig, cur.v[i], elem, *end == '\0', &next, err) < 0) {
                                strvec_free(&next);
                                strvec_free(&cur);
                                return -1;
                        }
                strvec_free(&cur);
                cur = next;
                p = *end ? end + 1 : end;
        }
        if (cur.n == 0) {
                strvec_free(&cur);
                return not_found(err, clean);
        }
        *ret_paths = strvec_steal(&cur);
        return 0;
}

/* ---- the cache key ---- */

static int hash_str(image_hasher_t *h, const char *s, cell_error_t *err)
{
        return image_hasher_update(h, s, strlen(s) + 1, err);
}

static char type_char(mode_t m)
{
        switch (m & S_IFMT) {
        case S_IFREG:
                return 'f';
        case S_IFDIR:
                return 'd';
        case S_IFLNK:
                return 'l';
        case S_IFCHR:
                return 'c';
        case S_IFBLK:
                return 'b';
        case S_IFIFO:
                return 'p';
        case S_IFSOCK:
                return 's';
        default:
                return '?';
        }
}

/* Open the entry name of dirfd, or (name NULL) the entry that the O_PATH fd
 * dirfd itself is, through its /proc/self/fd link. Never follows a symlink
 * in the name. */
static int open_entry(int dirfd, const char *name, int flags)
{
        char path[64];

        if (!name)
                return TEMP_FAILURE_RETRY_INT(open(fs_fd_path(dirfd, path, sizeof(path)), flags | O_CLOEXEC));
        return TEMP_FAILURE_RETRY_INT(openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC));
}

/* The record of one entry: path, type, permission bits, size, device,
 * symlink target, content. Every field is NUL-terminated or of a length
 * that an earlier field gives, so no two trees hash the same bytes. */
static int hash_record(image_hasher_t *h, int dirfd, const char *name, const char *rel, const struct stat *st,
                       char *buf, cell_error_t *err)
{
        char head[128];
        bool reg = S_ISREG(st->st_mode);

        if (hash_str(h, rel, err) < 0)
                return -1;
        snprintf(head, sizeof(head), "%c %o %llu %u:%u", type_char(st->st_mode),
                 (unsigned)(st->st_mode & 07777), reg ? (unsigned long long)st->st_size : 0ULL,
                 S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? major(st->st_rdev) : 0,
                 S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? minor(st->st_rdev) : 0);
        if (hash_str(h, head, err) < 0)
                return -1;
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX + 1];
                ssize_t n = readlinkat(dirfd, name ? name : "", target, sizeof(target) - 1);

                if (n < 0)
                        return cell_error_errno(err, "readlink /%s", rel);
                target[n] = '\0';
                return hash_str(h, target, err);
        }
        if (reg) {
                _cleanup_close_ int fd = open_entry(dirfd, name, O_RDONLY | O_NOCTTY);
                unsigned long long left = (unsigned long long)st->st_size;

                if (fd < 0)
                        return cell_error_errno(err, "open /%s", rel);
                while (left > 0) {
                        ssize_t n = TEMP_FAILURE_RETRY_INT(read(fd, buf, COPY_BUF_SIZE));

                        if (n < 0)
                                return cell_error_errno(err, "read /%s", rel);
                        if (n == 0 || (unsigned long long)n > left)
                                return cell_error_plain(err, EAGAIN, "/%s changed while it was read", rel);
                        if (image_hasher_update(h, buf, (size_t)n, err) < 0)
                                return -1;
                        left -= (unsigned long long)n;
                }
        }
        return 0;
}

static int hash_tree(image_hasher_t *h, int dirfd, const char *rel, const dockerignore_t *ig, char *buf,
                     int depth, cell_error_t *err)
{
        _cleanup_strv_ char **names = NULL;
        int r;

        if (depth > COPY_MAX_DEPTH)
                return cell_error_set(err, ELOOP, "/%s: too deep", rel);
        r = list_dir(dirfd, &names);
        if (r < 0)
                return cell_error_set(err, -r, "read /%s", rel);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *crel = join_rel(rel, *n);
                struct stat st;

                if (!crel)
                        return cell_error_set(err, ENOMEM, "hashing sources");
                if (fstatat(dirfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return cell_error_errno(err, "stat /%s", crel);
                if (!is_visible(ig, crel, S_ISDIR(st.st_mode)))
                        continue;
                if (!is_excluded(ig, crel) && hash_record(h, dirfd, *n, crel, &st, buf, err) < 0)
                        return -1;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = open_entry(dirfd, *n, O_RDONLY | O_DIRECTORY);

                        if (sub < 0)
                                return cell_error_errno(err, "open /%s", crel);
                        if (hash_tree(h, sub, crel, ig, buf, depth + 1, err) < 0)
                                return -1;
                }
        }
        return 0;
}

int build_sources_hash(int rootfd, const dockerignore_t *ig, char *const *paths,
                       char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_hasher_ image_hasher_t *h = NULL;
        _cleanup_free_ char *buf = malloc(COPY_BUF_SIZE);
        _cleanup_strv_ char **sorted = strv_copy(paths);
        size_t n = strv_length(paths);

        if (!buf || !sorted)
                return cell_error_set(err, ENOMEM, "hashing sources");
        if (n > 1)
                strv_sort(sorted, n);
        if (image_hasher_new(&h, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *clean = clean_rel(sorted[i]);
                _cleanup_close_ int fd = -1;
                struct stat st;

                if (!clean)
                        return cell_error_set(err, ENOMEM, "hashing sources");
                fd = open_in_root(rootfd, clean, O_PATH);
                if (fd < 0 || fstat(fd, &st) < 0)
                        return not_found(err, clean);
                if (hash_record(h, fd, NULL, clean, &st, buf, err) < 0)
                        return -1;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int dfd = open_entry(fd, NULL, O_RDONLY | O_DIRECTORY);

                        if (dfd < 0)
                                return cell_error_errno(err, "open /%s", clean);
                        if (hash_tree(h, dfd, clean, ig, buf, 0, err) < 0)
                                return -1;
                }
        }
        return image_hasher_final(h, ret, err);
}

/* ---- copying ---- */

typedef struct copier {
        const dockerignore_t *ig;
        const build_copy_opts_t *o;
        bool keep_owner; /* ADD's unpacked archive: the archive's owners unless --chown */
        int dst_rootfd;
        char *buf;
} copier_t;

static void owner_of(const copier_t *c, const struct stat *st, uid_t *uid, gid_t *gid)
{
        if (c->o->have_chown) {
                *uid = c->o->uid;
                *gid = c->o->gid;
        } else if (c->keep_owner) {
                *uid = st->st_uid;
                *gid = st->st_gid;
        } else {
                *uid = 0;
                *gid = 0;
        }
}

static mode_t mode_of(const copier_t *c, const struct stat *st)
{
        return c->o->have_chmod ? (c->o->chmod & 07777) : (st->st_mode & 07777);
}

/* Make room for dname in dparent: an existing entry is removed (never
 * written through), except a directory when a directory is wanted, which
 * is merged. Returns 1 for that directory, 0 otherwise. */
static int make_room(int dparent, const char *dname, bool want_dir, const char *where, cell_error_t *err)
{
        struct stat st;
        int r;

        if (fstatat(dparent, dname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return cell_error_errno(err, "stat %s", where);
        }
        if (S_ISDIR(st.st_mode)) {
                if (want_dir)
                        return 1;
                r = fs_rm_rf_at(dparent, dname);
        } else {
                r = unlinkat(dparent, dname, 0) < 0 ? -errno : 0;
        }
        if (r < 0)
                return cell_error_set(err, -r, "replace %s", where);
        return 0;
}

static int copy_data(copier_t *c, int in, int out, const char *rel, cell_error_t *err)
{
        bool plain = false;

        for (;;) {
                ssize_t n;

                if (!plain) {
                        n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);
                        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                      errno == EOPNOTSUPP || errno == EBADF)) {
                                plain = true;
                                continue;
                        }
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return cell_error_errno(err, "copy /%s", rel);
                        if (n == 0)
                                return 0;
                        continue;
                }
                n = TEMP_FAILURE_RETRY_INT(read(in, c->buf, COPY_BUF_SIZE));
                if (n < 0)
                        return cell_error_errno(err, "read /%s", rel);
                if (n == 0)
                        return 0;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = TEMP_FAILURE_RETRY_INT(write(out, c->buf + off, (size_t)(n - off)));

                        if (w < 0)
                                return cell_error_errno(err, "write /%s", rel);
                        off += w;
                }
        }
}

static int copy_entry(copier_t *c, int sdir, const char *sname, const struct stat *st, int dparent,
                      const char *dname, const char *rel, const char *drel, int depth, cell_error_t *err);

/* The entries of the directory sfd into the directory dfd. Returns the
 * number of entries copied. */
static int copy_contents(copier_t *c, int sfd, int dfd, const char *rel, const char *drel, int depth,
                         cell_error_t *err)
{
        _cleanup_strv_ char **names = NULL;
        int r, count = 0;

        if (depth > COPY_MAX_DEPTH)
                return cell_error_set(err, ELOOP, "/%s: too deep", rel);
        r = list_dir(sfd, &names);
        if (r < 0)
                return cell_error_set(err, -r, "read /%s", rel);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *crel = join_rel(rel, *n), *cdrel = join_rel(drel, *n);
                struct stat st;

                if (!crel || !cdrel)
                        return cell_error_set(err, ENOMEM, "copy");
                if (fstatat(sfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return cell_error_errno(err, "stat /%s", crel);
                if (!is_visible(c->ig, crel, S_ISDIR(st.st_mode)))
                        continue;
                r = copy_entry(c, sfd, *n, &st, dfd, *n, crel, cdrel, depth + 1, err);
                if (r < 0)
                        return r;
                count += r;
        }
        return count;
}

static int finish_meta(copier_t *c, int fd, const struct stat *st, const char *rel, cell_error_t *err)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        uid_t uid;
        gid_t gid;

        owner_of(c, st, &uid, &gid);
        /* chown before chmod: chown clears the set-id bits. */
        if (fchown(fd, uid, gid) < 0)
                return cell_error_errno(err, "chown /%s", rel);
        if (fchmod(fd, mode_of(c, st)) < 0)
                return cell_error_errno(err, "chmod /%s", rel);
        if (futimens(fd, ts) < 0)
                return cell_error_errno(err, "set the times of /%s", rel);
        return 0;
}

static int copy_dir(copier_t *c, int sdir, const char *sname, const struct stat *st, int dparent,
                    const char *dname, const char *rel, const char *drel, int depth, cell_error_t *err)
{
        _cleanup_close_ int sfd = -1, dfd = -1;
        bool excluded = is_excluded(c->ig, rel);
        bool made = false, through_link = false;
        struct stat dst;
        int r, n;

        /* A symlink to a directory in the image (merged /usr: /lib ->
         * usr/lib) is merged into, as Docker does, not replaced. It is
         * resolved inside the destination root, and the directory it leads
         * to keeps its own owner and mode. */
        if (fstatat(dparent, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(dst.st_mode)) {
                dfd = open_in_root(c->dst_rootfd, drel, O_RDONLY | O_DIRECTORY);
                through_link = dfd >= 0;
        }
        r = through_link ? 1 : make_room(dparent, dname, true, rel, err);
        if (r < 0)
                return r;
        if (r == 0) {
                if (mkdirat(dparent, dname, 0700) < 0)
                        return cell_error_errno(err, "mkdir /%s", rel);
                made = true;
        }
        if (!through_link)
                dfd = open_entry(dparent, dname, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return cell_error_errno(err, "open the destination of /%s", rel);
        sfd = open_entry(sdir, sname, O_RDONLY | O_DIRECTORY);
        if (sfd < 0)
                return cell_error_errno(err, "open /%s", rel);
        n = copy_contents(c, sfd, dfd, rel, drel, depth, err);
        if (n < 0)
                return n;
        if (through_link)
                return n;
        if (excluded) {
                /* Entered only for what a '!' pattern re-includes: the
                 * directory exists in the copy only to hold that. */
                if (n == 0 && made && unlinkat(dparent, dname, AT_REMOVEDIR) < 0)
                        return cell_error_errno(err, "remove /%s", rel);
                /* BuildKit gives it the source directory's mode and owner
                 * all the same. */
                if (n > 0 && made && finish_meta(c, dfd, st, rel, err) < 0)
                        return -1;
                return n;
        }
        if (finish_meta(c, dfd, st, rel, err) < 0)
                return -1;
        return n + 1;
}

static int copy_entry(copier_t *c, int sdir, const char *sname, const struct stat *st, int dparent,
                      const char *dname, const char *rel, const char *drel, int depth, cell_error_t *err)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        uid_t uid;
        gid_t gid;

        if (S_ISDIR(st->st_mode))
                return copy_dir(c, sdir, sname, st, dparent, dname, rel, drel, depth, err);
        if (make_room(dparent, dname, false, rel, err) < 0)
                return -1;
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int in = -1, out = -1;

                in = open_entry(sdir, sname, O_RDONLY | O_NOCTTY);
                if (in < 0)
                        return cell_error_errno(err, "open /%s", rel);
                out = TEMP_FAILURE_RETRY_INT(
                        openat(dparent, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
                if (out < 0)
                        return cell_error_errno(err, "create the destination of /%s", rel);
                if (copy_data(c, in, out, rel, err) < 0 || finish_meta(c, out, st, rel, err) < 0)
                        return -1;
                return 1;
        }
        owner_of(c, st, &uid, &gid);
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX + 1];
                ssize_t n = readlinkat(sdir, sname ? sname : "", target, sizeof(target) - 1);

                if (n < 0)
                        return cell_error_errno(err, "readlink /%s", rel);
                target[n] = '\0';
                if (symlinkat(target, dparent, dname) < 0)
                        return cell_error_errno(err, "symlink /%s", rel);
        } else {
                if (mknodat(dparent, dname, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
                        return cell_error_errno(err, "mknod /%s", rel);
        }
        if (fchownat(dparent, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(err, "chown /%s", rel);
        if (!S_ISLNK(st->st_mode) && fchmodat(dparent, dname, mode_of(c, st), AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(err, "chmod /%s", rel);
        if (utimensat(dparent, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(err, "set the times of /%s", rel);
        return 1;
}

/* mkdir -p of rel inside root, every element resolved inside it. Missing
 * directories are made 0755 and owned 0:0, or by --chown as BuildKit does.
 * A dangling symlink on the way is followed (inside root) and its target
 * made, as mkdir -p would. Returns a directory fd of the last one;
 * *ret_made tells whether the last one was made here. */
static int mkdir_dest_hops(int rootfd, const char *rel, const build_copy_opts_t *o, bool *ret_made, int hops,
                           cell_error_t *err)
{
        _cleanup_close_ int cur = -1;
        char prefix[PATH_MAX] = "";
        size_t plen = 0;
        const char *p = str_eq(rel, ".") ? "" : rel;

        if (ret_made)
                *ret_made = false;
        if (hops > 40)
                return cell_error_set(err, ELOOP, "mkdir /%s", rel);
        cur = open_in_root(rootfd, "/", O_RDONLY | O_DIRECTORY);
        if (cur < 0)
                return cell_error_errno(err, "open the destination root");
        while (*p) {
                const char *end = strchrnul(p, '/');
                size_t clen = (size_t)(end - p), parent_len = plen;
                char name[NAME_MAX + 1];
                int fd;

                if (clen > NAME_MAX || plen + clen + 2 > sizeof(prefix))
                        return cell_error_set(err, ENAMETOOLONG, "mkdir /%s", rel);
                memcpy(name, p, clen);
                name[clen] = '\0';
                if (plen)
                        prefix[plen++] = '/';
                memcpy(prefix + plen, p, clen);
                plen += clen;
                prefix[plen] = '\0';
                if (ret_made)
                        *ret_made = false;
                fd = open_in_root(rootfd, prefix, O_RDONLY | O_DIRECTORY);
                if (fd < 0 && errno == ENOENT) {
                        /* cur was itself resolved inside root and name has no
                         * '/': the new directory cannot land outside. */
                        if (mkdirat(cur, name, 0700) < 0) {
                                char target[PATH_MAX];
                                _cleanup_free_ char *next = NULL, *clean = NULL;
                                ssize_t n;

                                if (errno != EEXIST)
                                        return cell_error_errno(err, "mkdir /%s", prefix);
                                n = readlinkat(cur, name, target, sizeof(target) - 1);
                                if (n < 0)
                                        return cell_error_set(err, EEXIST, "mkdir /%s", prefix);
                                target[n] = '\0';
                                prefix[parent_len] = '\0';
                                next = str_printf("%s/%s/%s", target[0] == '/' ? "" : prefix, target, end);
                                clean = next ? clean_rel(next) : NULL;
                                if (!clean)
                                        return cell_error_set(err, ENOMEM, "mkdir /%s", rel);
                                return mkdir_dest_hops(rootfd, clean, o, ret_made, hops + 1, err);
                        }
                        fd = open_entry(cur, name, O_RDONLY | O_DIRECTORY);
                        if (fd >= 0 &&
                            (fchown(fd, o->have_chown ? o->uid : 0, o->have_chown ? o->gid : 0) < 0 ||
                             fchmod(fd, 0755) < 0)) {
                                int e = errno;
                                close(fd);
                                return cell_error_set(err, e, "mkdir /%s", prefix);
                        }
                        if (ret_made)
                                *ret_made = true;
                }
                if (fd < 0)
                        return cell_error_errno(err, "open /%s in the destination", prefix);
                close(cur);
                cur = fd;
                p = *end ? end + 1 : end;
        }
        return steal_fd(&cur);
}

static int mkdir_dest(int rootfd, const char *rel, const build_copy_opts_t *o, bool *ret_made,
                      cell_error_t *err)
{
        return mkdir_dest_hops(rootfd, rel, o, ret_made, 0, err);
}

/* The compressions Docker's ADD recognises: gzip, bzip2, xz, zstd. Not
 * libarchive's "all", which includes filters that run external programs
 * (lrzip, lzop, grzip) on what is untrusted input. */
static int support_filters(struct archive *a)
{
        if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
            archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
            archive_read_support_filter_xz(a) != ARCHIVE_OK ||
            archive_read_support_filter_zstd(a) != ARCHIVE_OK)
                return -1;
        return 0;
}

/* Whether fd holds a tar archive (plain or compressed), as ADD decides. */
static bool is_archive(int fd)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        bool yes = false;

        if (!a)
                return false;
        if (support_filters(a) == 0 && archive_read_support_format_tar(a) == ARCHIVE_OK &&
            archive_read_support_format_gnutar(a) == ARCHIVE_OK &&
            archive_read_open_fd(a, fd, COPY_BUF_SIZE) == ARCHIVE_OK)
                yes = archive_read_next_header(a, &e) == ARCHIVE_OK;
        archive_read_free(a);
        return yes;
}

/* The archive in fd, decompressed (gzip, bzip2, xz, zstd, ...) into an
 * anonymous file in tmp_dir, so that the layer extractor reads a plain tar. */
static int decompress(int fd, const char *tmp_dir, char *buf, cell_error_t *err)
{
        _cleanup_close_ int out = -1;
        struct archive *a = NULL;
        struct archive_entry *e;
        int r = 0;

        out = TEMP_FAILURE_RETRY_INT(open(tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (out < 0)
                return cell_error_errno(err, "create a temporary file in %s", tmp_dir);
        a = archive_read_new();
        if (!a)
                return cell_error_set(err, ENOMEM, "unpack");
        if (support_filters(a) < 0 || archive_read_support_format_raw(a) != ARCHIVE_OK ||
            archive_read_open_fd(a, fd, COPY_BUF_SIZE) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK) {
                r = cell_error_plain(err, EINVAL, "%s", archive_error_string(a) ?: "unreadable archive");
                goto out;
        }
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, COPY_BUF_SIZE);

                if (n < 0) {
                        r = cell_error_plain(err, EINVAL, "%s",
                                             archive_error_string(a) ?: "unreadable archive");
                        goto out;
                }
                if (n == 0)
                        break;
                for (la_ssize_t off = 0; off < n;) {
                        ssize_t w = TEMP_FAILURE_RETRY_INT(write(out, buf + off, (size_t)(n - off)));

                        if (w < 0) {
                                r = cell_error_errno(err, "write a temporary file");
                                goto out;
                        }
                        off += w;
                }
        }
        if (lseek(out, 0, SEEK_SET) < 0)
                r = cell_error_errno(err, "seek a temporary file");
out:
        archive_read_free(a);
        return r < 0 ? r : steal_fd(&out);
}

/* ADD of a local archive: unpacked by the layer extractor (which refuses
 * ".." and never writes through a symlink) into a fresh directory, then
 * copied into dest with the copy's rules, so that --chown/--chmod and the
 * destination's symlinks are handled exactly as for COPY. */
static int add_archive(copier_t *c, int srcfd, const char *rel, int dfd, const char *drel, cell_error_t *err)
{
        layer_apply_opts_t lo = {.apply_whiteouts_directly = true};
        const char *tmp_dir = c->o->tmp_dir ? c->o->tmp_dir : "/var/tmp";
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int tar = -1, in = -1, xfd = -1;
        copier_t unpacked = *c;
        int r;

        in = open_entry(srcfd, NULL, O_RDONLY | O_NOCTTY);
        if (in < 0)
                return cell_error_errno(err, "open /%s", rel);
        tar = decompress(in, tmp_dir, c->buf, err);
        if (tar < 0)
                return cell_error_prefix(err, "ADD /%s", rel);
        dir = str_printf("%s/cell-add-XXXXXX", tmp_dir);
        if (!dir)
                return cell_error_set(err, ENOMEM, "ADD /%s", rel);
        if (!mkdtemp(dir))
                return cell_error_errno(err, "ADD /%s: create a directory in %s", rel, tmp_dir);
        xfd = TEMP_FAILURE_RETRY_INT(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (xfd < 0)
                r = cell_error_errno(err, "open %s", dir);
        else if (layer_apply(xfd, tar, &lo, NULL, err) < 0)
                r = cell_error_prefix(err, "ADD /%s", rel);
        else {
                build_copy_opts_t o = *c->o;

                /* docker 20.10's BuildKit gives unpacked files the
                 * archive's owners and modes even with --chown and
                 * --chmod (the directory made for them takes --chown). */
                o.have_chown = false;
                o.have_chmod = false;
                unpacked.o = &o;
                unpacked.ig = NULL;
                unpacked.keep_owner = true;
                r = copy_contents(&unpacked, xfd, dfd, ".", drel, 0, err);
        }
        fs_rm_rf(dir, NULL);
        return r < 0 ? r : 0;
}

/* A directory source: its contents go into dfd. A directory made here for
 * it keeps what mkdir_dest gave it (0755, owned by --chown or root), not
 * the source directory's mode or --chmod: so docker 20.10's BuildKit
 * makes it (COPY --chmod=600 dir /new/ gives a 0755 /new). One that
 * existed keeps its own. */
static int copy_dir_into(copier_t *c, int sfd, int dfd, const char *rel, const char *drel, cell_error_t *err)
{
        _cleanup_close_ int sdir = open_entry(sfd, NULL, O_RDONLY | O_DIRECTORY);

        if (sdir < 0)
                return cell_error_errno(err, "open /%s", rel);
        if (copy_contents(c, sdir, dfd, rel, drel, 0, err) < 0)
                return -1;
        return 0;
}

static const char *base_name(const char *rel)
{
        const char *s = strrchr(rel, '/');

        return s ? s + 1 : rel;
}

static bool dest_says_dir(const char *dest)
{
        size_t n = strlen(dest);

        return n == 0 || dest[n - 1] == '/' || str_eq(dest, ".") || str_eq(dest, "..") ||
               (n >= 2 && str_eq(dest + n - 2, "/.")) || (n >= 3 && str_eq(dest + n - 3, "/.."));
}

static int copy_one(copier_t *c, int src_rootfd, const char *path, int dst_rootfd, const char *dest,
                    bool to_dir, cell_error_t *err)
{
        _cleanup_free_ char *clean = clean_rel(path);
        _cleanup_close_ int sfd = -1, dfd = -1;
        struct stat st;
        int r;

        if (!clean)
                return cell_error_set(err, ENOMEM, "copy");
        /* The source itself is followed, inside its root (Docker follows a
         * top-level symlink); everything below it is copied as it is. */
        sfd = open_in_root(src_rootfd, clean, O_PATH);
        if (sfd < 0 || fstat(sfd, &st) < 0)
                return not_found(err, clean);
        if (S_ISDIR(st.st_mode)) {
                dfd = mkdir_dest(dst_rootfd, dest, c->o, NULL, err);
                if (dfd < 0)
                        return -1;
                return copy_dir_into(c, sfd, dfd, clean, dest, err);
        }
        if (c->o->add && S_ISREG(st.st_mode)) {
                _cleanup_close_ int probe = open_entry(sfd, NULL, O_RDONLY | O_NOCTTY);

                if (probe < 0)
                        return cell_error_errno(err, "open /%s", clean);
                if (is_archive(probe)) {
                        dfd = mkdir_dest(dst_rootfd, dest, c->o, NULL, err);
                        if (dfd < 0)
                                return -1;
                        return add_archive(c, sfd, clean, dfd, dest, err);
                }
        }
        if (to_dir) {
                dfd = mkdir_dest(dst_rootfd, dest, c->o, NULL, err);
                if (dfd < 0)
                        return -1;
                _cleanup_free_ char *drel = join_rel(dest, base_name(clean));

                if (!drel)
                        return cell_error_set(err, ENOMEM, "copy");
                r = copy_entry(c, sfd, NULL, &st, dfd, base_name(clean), clean, drel, 0, err);
        } else {
                _cleanup_free_ char *parent = strdup(dest);
                char *slash;

                if (!parent)
                        return cell_error_set(err, ENOMEM, "copy");
                slash = strrchr(parent, '/');
                if (slash)
                        *slash = '\0';
                dfd = mkdir_dest(dst_rootfd, slash ? parent : ".", c->o, NULL, err);
                if (dfd < 0)
                        return -1;
                r = copy_entry(c, sfd, NULL, &st, dfd, base_name(dest), clean, dest, 0, err);
        }
        return r < 0 ? r : 0;
}

/* A destination that is a symlink (dangling or not) is followed, as
 * BuildKit resolves the destination path: COPY f /link writes the file
 * where the link points, and the link stays. The target is taken as a path
 * inside the root (an absolute target from the root, ".." stopping there),
 * so it cannot leave it. Returns the resolved path (cdest itself when it is
 * no link), newly allocated; NULL when out of memory. */
static char *resolve_dest_link(int rootfd, const char *cdest)
{
        _cleanup_free_ char *cur = strdup(cdest);

        for (int hops = 0; cur && hops < 40; hops++) {
                _cleanup_free_ char *parent = strdup(cur);
                char *slash = parent ? strrchr(parent, '/') : NULL;
                const char *name = slash ? slash + 1 : cur;
                _cleanup_close_ int pfd = -1;
                char target[PATH_MAX + 1];
                struct stat st;
                ssize_t k;
                char *next;

                if (!parent)
                        return NULL;
                if (slash)
                        *slash = '\0';
                pfd = open_in_root(rootfd, slash ? parent : "/", O_PATH | O_DIRECTORY);
                if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        break;
                k = readlinkat(pfd, name, target, sizeof(target) - 1);
                if (k <= 0)
                        break;
                target[k] = '\0';
                if (target[0] == '/' || !slash)
                        next = clean_rel(target);
                else {
                        _cleanup_free_ char *joined = str_printf("%s/%s", parent, target);

                        next = joined ? clean_rel(joined) : NULL;
                }
                free(cur);
                cur = next;
        }
        return steal_pointer(&cur);
}

int build_copy(int src_rootfd, const dockerignore_t *ig, char *const *paths, int dst_rootfd, const char *dest,
               const build_copy_opts_t *o, cell_error_t *err)
{
        static const build_copy_opts_t none = {0};
        _cleanup_free_ char *buf = NULL, *full = NULL, *cdest = NULL;
        copier_t c = {.ig = ig, .o = o ? o : &none, .dst_rootfd = dst_rootfd};
        size_t n = strv_length(paths);
        bool to_dir;

        if (n == 0)
                return cell_error_plain(err, EINVAL, "copy: no source");
        if (dest[0] == '/')
                full = strdup(dest);
        else
                full = str_printf("%s/%s", c.o->workdir ? c.o->workdir : "/", dest);
        cdest = full ? clean_rel(full) : NULL;
        buf = malloc(COPY_BUF_SIZE);
        if (!cdest || !buf)
                return cell_error_set(err, ENOMEM, "copy");
        c.buf = buf;
        if (c.o->add && image_archive_ready(err) < 0)
                return cell_error_prefix(err, "ADD");
        to_dir = n > 1 || dest_says_dir(dest) || str_eq(cdest, ".");
        if (!to_dir) {
                char *r = resolve_dest_link(dst_rootfd, cdest);

                if (!r)
                        return cell_error_set(err, ENOMEM, "copy");
                free(cdest);
                cdest = r;
        }
        if (!to_dir) {
                _cleanup_close_ int fd = open_in_root(dst_rootfd, cdest, O_PATH | O_DIRECTORY);

                to_dir = fd >= 0;
        }
        for (size_t i = 0; i < n; i++)
                if (copy_one(&c, src_rootfd, paths[i], dst_rootfd, cdest, to_dir, err) < 0)
                        return -1;
        return 0;
}
