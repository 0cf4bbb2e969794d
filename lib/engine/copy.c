/* cell: `cell cp` — see copy.h for the rules and docs/design/engine.md
 * ("cp") for why they are safe.
 *
 * The container side of a copy is untrusted: a process of the container may
 * have planted symlinks (absolute ones, chains of "..") anywhere, and may be
 * changing the tree while we copy. So
 *   - the one path the user names is resolved inside the container's root
 *     (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): whatever a symlink
 *     says, it lands inside the root, as the container itself would see it;
 *   - below that, every entry is opened with O_PATH | O_NOFOLLOW relative to
 *     its parent's fd and created with *at() calls relative to the fd of a
 *     directory that was itself opened that way: a name in the container is
 *     replaced (unlink + create with O_EXCL | O_NOFOLLOW), never written
 *     through;
 *   - a regular file's content is read from the fd that was checked to be a
 *     regular file (reopened through /proc/self/fd), so a swap after the
 *     check cannot turn the read into one of something else. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive_load.h"
#include "cleanup.h"
#include "copy.h"
#include "fsutil.h"
#include "strutil.h"

#define COPY_BUF       (128 * 1024)
#define COPY_MAX_DEPTH 4096

typedef struct copy_ctx {
        int src_root; /* -1: the host */
        int dst_root; /* -1: the host */
        bool keep_owner;
        uid_t uid; /* the owner of what is made, unless keep_owner */
        gid_t gid;
        const char *name; /* the container's, for messages */
        char *buf;
        cell_error_t *err;
} copy_ctx_t;

typedef int (*copy_data_fn)(void *data, int out_fd, copy_ctx_t *c);

bool engine_cp_split(const char *arg, char **ret_container, char **ret_path)
{
        const char *colon;

        *ret_container = NULL;
        *ret_path = NULL;
        if (!arg || arg[0] == '/')
                return false;
        colon = strchr(arg, ':');
        /* docker: a local path may hold a ':' when it starts with '.'
         * ("./a:b") or is absolute. */
        if (!colon || arg[0] == '.')
                return false;
        *ret_container = strndup(arg, (size_t)(colon - arg));
        *ret_path = strdup(colon + 1);
        if (!*ret_container || !*ret_path) {
                free(*ret_container);
                free(*ret_path);
                *ret_container = *ret_path = NULL;
                return false;
        }
        return true;
}

/* Open path on a side: inside the container's root, or on the host. */
static int side_open(int root, const char *path, int flags)
{
        struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        long r;

        if (root < 0)
                return openat(AT_FDCWD, path, flags | O_CLOEXEC);
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        do
                r = syscall(SYS_openat2, root, path, &how, sizeof(how));
        while (r < 0 && (errno == EINTR || errno == EAGAIN));
        return (int)r;
}

static int not_found(copy_ctx_t *c, int root, const char *path)
{
        if (root >= 0)
                return cell_error_plain(c->err, ENOENT, "Could not find the file %s in container %s", path,
                                        c->name ? c->name : "");
        return cell_error_plain(c->err, ENOENT, "lstat %s: no such file or directory", path);
}

/* path without trailing slashes ("/" stays "/"); ret_dir and ret_base its
 * parent ("." when it has none) and last name ("." for "/"). */
static int split_path(const char *path, char **ret_clean, char **ret_dir, char **ret_base)
{
        _cleanup_free_ char *p = strdup(path);
        size_t n;
        char *slash;

        if (!p)
                return -ENOMEM;
        n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        if (str_eq(p, "/")) {
                *ret_dir = strdup("/");
                *ret_base = strdup(".");
        } else if ((slash = strrchr(p, '/'))) {
                *ret_base = strdup(slash + 1);
                *ret_dir = slash == p ? strdup("/") : strndup(p, (size_t)(slash - p));
        } else {
                *ret_dir = strdup(".");
                *ret_base = strdup(p);
        }
        if (!*ret_dir || !*ret_base) {
                free(*ret_dir);
                free(*ret_base);
                return -ENOMEM;
        }
        *ret_clean = steal_pointer(&p);
        return 0;
}

static int reopen_read(int opath_fd)
{
        char buf[64];

        return open(fs_fd_path(opath_fd, buf, sizeof(buf)), O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

static int data_from_fd(void *data, int out_fd, copy_ctx_t *c)
{
        int in = *(int *)data;

        for (;;) {
                ssize_t k = read(in, c->buf, COPY_BUF), w = 0;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return cell_error_errno(c->err, "read");
                if (k == 0)
                        return 0;
                while (w < k) {
                        ssize_t m = write(out_fd, c->buf + w, (size_t)(k - w));

                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m < 0)
                                return cell_error_errno(c->err, "write");
                        w += m;
                }
        }
}

static void owner_of(const copy_ctx_t *c, const struct stat *st, uid_t *u, gid_t *g)
{
        *u = c->keep_owner ? st->st_uid : c->uid;
        *g = c->keep_owner ? st->st_gid : c->gid;
}

/* Owner, mode and times on an fd we made. An owner we may not give (an
 * unprivileged caller with -a) is left as it is, as `cp -a` does. */
static int set_meta_fd(copy_ctx_t *c, int fd, const struct stat *st, const char *what)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        uid_t u;
        gid_t g;

        owner_of(c, st, &u, &g);
        if (fchown(fd, u, g) < 0 && errno != EPERM)
                return cell_error_errno(c->err, "chown %s", what);
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return cell_error_errno(c->err, "chmod %s", what);
        if (futimens(fd, ts) < 0)
                return cell_error_errno(c->err, "set the times of %s", what);
        return 0;
}

/* Make name in pfd a directory (an existing directory is kept, anything
 * else there is replaced); returns an fd of it, opened without following. */
static int make_dir(copy_ctx_t *c, int pfd, const char *name)
{
        struct stat cur;
        int fd;

        if (fstatat(pfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(cur.st_mode) &&
            unlinkat(pfd, name, 0) < 0)
                return cell_error_errno(c->err, "remove %s", name);
        if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
                return cell_error_errno(c->err, "mkdir %s", name);
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cell_error_errno(c->err, "open %s", name);
        return fd;
}

/* Make name in pfd anything but a directory: a regular file (content from
 * data), a symlink (to link), a device or a fifo. What was there is
 * replaced, never written through; a directory there is an error. */
static int make_nondir(copy_ctx_t *c, int pfd, const char *name, const struct stat *st, const char *link,
                       copy_data_fn data, void *data_arg)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        struct stat cur;
        uid_t u;
        gid_t g;

        if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode) && !S_ISCHR(st->st_mode) &&
            !S_ISBLK(st->st_mode) && !S_ISFIFO(st->st_mode))
                return 0; /* sockets: docker leaves them out too */
        if (fstatat(pfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(cur.st_mode))
                        return cell_error_plain(c->err, EISDIR,
                                                "cannot overwrite directory \"%s\" with non-directory", name);
                if (unlinkat(pfd, name, 0) < 0)
                        return cell_error_errno(c->err, "remove %s", name);
        }
        owner_of(c, st, &u, &g);
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int out =
                        openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

                if (out < 0)
                        return cell_error_errno(c->err, "create %s", name);
                if (data && data(data_arg, out, c) < 0)
                        return cell_error_prefix(c->err, "copying %s", name);
                return set_meta_fd(c, out, st, name);
        }
        if (S_ISLNK(st->st_mode)) {
                if (symlinkat(link ? link : "", pfd, name) < 0)
                        return cell_error_errno(c->err, "symlink %s", name);
        } else if (mknodat(pfd, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0) {
                return cell_error_errno(c->err, "mknod %s", name);
        }
        if (fchownat(pfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
                return cell_error_errno(c->err, "chown %s", name);
        if (!S_ISLNK(st->st_mode) && fchmodat(pfd, name, st->st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(c->err, "chmod %s", name);
        if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return cell_error_errno(c->err, "set the times of %s", name);
        return 0;
}

static int read_link(copy_ctx_t *c, int fd, char buf[PATH_MAX])
{
        ssize_t n = readlinkat(fd, "", buf, PATH_MAX - 1);

        if (n < 0)
                return cell_error_errno(c->err, "readlink");
        buf[n] = '\0';
        return 0;
}

static int copy_entry(copy_ctx_t *c, int src_fd, const struct stat *st, int pfd, const char *name, int depth);

/* Every entry of the directory src_fd (an O_PATH fd) into dst_fd. */
static int copy_children(copy_ctx_t *c, int src_fd, int dst_fd, int depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        int dfd = openat(src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (depth > COPY_MAX_DEPTH)
                return cell_error_plain(c->err, ELOOP, "directories nested too deep");
        if (dfd < 0 || !(d = fdopendir(dfd))) {
                if (dfd >= 0)
                        close(dfd);
                return cell_error_errno(c->err, "open a directory");
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_close_ int cfd = -1;
                struct stat cst;

                if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                        continue;
                cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0 && errno == ENOENT)
                        continue; /* gone meanwhile */
                if (cfd < 0 || fstat(cfd, &cst) < 0)
                        return cell_error_errno(c->err, "open %s", de->d_name);
                if (copy_entry(c, cfd, &cst, dst_fd, de->d_name, depth + 1) < 0)
                        return -1;
        }
        if (errno)
                return cell_error_errno(c->err, "read a directory");
        return 0;
}

/* The entry src_fd (an O_PATH fd, st its stat) as name in pfd. */
static int copy_entry(copy_ctx_t *c, int src_fd, const struct stat *st, int pfd, const char *name, int depth)
{
        if (S_ISDIR(st->st_mode)) {
                _cleanup_close_ int dfd = make_dir(c, pfd, name);

                if (dfd < 0 || copy_children(c, src_fd, dfd, depth) < 0)
                        return -1;
                /* Last, so that the children leave the times alone. */
                return set_meta_fd(c, dfd, st, name);
        }
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int in = reopen_read(src_fd);

                if (in < 0)
                        return cell_error_errno(c->err, "open %s", name);
                return make_nondir(c, pfd, name, st, NULL, data_from_fd, &in);
        }
        if (S_ISLNK(st->st_mode)) {
                char link[PATH_MAX];

                if (read_link(c, src_fd, link) < 0)
                        return -1;
                return make_nondir(c, pfd, name, st, link, NULL, NULL);
        }
        return make_nondir(c, pfd, name, st, NULL, NULL, NULL);
}

typedef struct copy_src {
        int fd; /* O_PATH */
        struct stat st;
        char *clean;   /* the path without trailing "/." or '/' */
        char *base;    /* its last name */
        bool contents; /* SRC ended in "/." (or is "/"): the directory's content */
} copy_src_t;

static void copy_src_clear(copy_src_t *s)
{
        if (s->fd >= 0)
                close(s->fd);
        free(s->clean);
        free(s->base);
}

static int open_src(copy_ctx_t *c, const char *src, bool follow, copy_src_t *ret)
{
        _cleanup_free_ char *p = strdup(src), *dir = NULL;
        size_t n = p ? strlen(p) : 0;
        bool must_dir = false;

        ret->fd = -1;
        if (!p)
                return cell_error_set(c->err, ENOMEM, "cp");
        if (!*p)
                return not_found(c, c->src_root, src);
        if (n >= 2 && str_eq(p + n - 2, "/.")) {
                ret->contents = must_dir = true;
                p[n - 1] = '\0';
        } else if (str_eq(p, ".")) {
                ret->contents = must_dir = true;
        }
        if (p[strlen(p) - 1] == '/')
                must_dir = true;
        if (split_path(p, &ret->clean, &dir, &ret->base) < 0)
                return cell_error_set(c->err, ENOMEM, "cp");
        if (str_eq(ret->clean, "/"))
                ret->contents = true;
        /* A trailing '/' names the directory a symlink points at. */
        ret->fd = side_open(c->src_root, ret->clean, O_PATH | (follow || must_dir ? 0 : O_NOFOLLOW));
        if (ret->fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return not_found(c, c->src_root, src);
        if (ret->fd < 0 || fstat(ret->fd, &ret->st) < 0)
                return cell_error_errno(c->err, "open %s", src);
        if (must_dir && !S_ISDIR(ret->st.st_mode))
                return cell_error_plain(c->err, ENOTDIR, "%s: not a directory", src);
        return 0;
}

/* Overwrite the existing regular file fd (O_PATH, resolved on its side)
 * in place: the destination named a file, perhaps through a symlink that
 * was resolved inside the root. */
static int overwrite_file(copy_ctx_t *c, int dst_fd, const copy_src_t *s, const char *dest)
{
        char buf[64];
        _cleanup_close_ int out = -1, in = -1;
        struct stat a, b;

        if (fstat(dst_fd, &a) < 0)
                return cell_error_errno(c->err, "stat %s", dest);
        /* Our own fd's magic link reopens the very inode that was resolved
         * inside the root (checked again below); O_NONBLOCK so that a fifo
         * swapped in cannot hang us. */
        out = open(fs_fd_path(dst_fd, buf, sizeof(buf)), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (out < 0 || fstat(out, &b) < 0)
                return cell_error_errno(c->err, "open %s", dest);
        if (!S_ISREG(b.st_mode) || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                return cell_error_plain(c->err, EINVAL, "%s changed while it was copied", dest);
        if (ftruncate(out, 0) < 0)
                return cell_error_errno(c->err, "truncate %s", dest);
        in = reopen_read(s->fd);
        if (in < 0)
                return cell_error_errno(c->err, "open %s", s->clean);
        if (data_from_fd(&in, out, c) < 0)
                return cell_error_prefix(c->err, "copying to %s", dest);
        return set_meta_fd(c, out, &s->st, dest);
}

/* Copy the opened source to dest on the destination side, by Docker's
 * rules (copy.h). */
static int copy_to(copy_ctx_t *c, const copy_src_t *s, const char *dest)
{
        _cleanup_free_ char *clean = NULL, *dir = NULL, *base = NULL;
        _cleanup_close_ int dfd = -1, pfd = -1;
        bool dest_dir = dest[0] && dest[strlen(dest) - 1] == '/';
        bool src_dir = S_ISDIR(s->st.st_mode);
        struct stat dst;

        if (!*dest)
                return cell_error_plain(c->err, EINVAL, "empty destination path");
        if (split_path(dest, &clean, &dir, &base) < 0)
                return cell_error_set(c->err, ENOMEM, "cp");
        dfd = side_open(c->dst_root, clean, O_PATH);
        if (dfd >= 0 && fstat(dfd, &dst) < 0)
                return cell_error_errno(c->err, "stat %s", dest);
        if (dfd >= 0 && S_ISDIR(dst.st_mode)) {
                _cleanup_close_ int wfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                if (wfd < 0)
                        return cell_error_errno(c->err, "open %s", dest);
                if (src_dir && s->contents)
                        return copy_children(c, s->fd, wfd, 0);
                return copy_entry(c, s->fd, &s->st, wfd, s->base, 0);
        }
        if (dfd >= 0) {
                if (dest_dir)
                        return cell_error_plain(c->err, ENOTDIR, "%s: not a directory", dest);
                if (src_dir)
                        return cell_error_plain(c->err, EISDIR, "cannot copy directory");
                if (S_ISREG(s->st.st_mode) && S_ISREG(dst.st_mode))
                        return overwrite_file(c, dfd, s, dest);
        } else if (errno != ENOENT) {
                return cell_error_errno(c->err, "open %s", dest);
        } else if (dest_dir) {
                return cell_error_plain(c->err, ENOENT, "no such directory");
        }
        /* A new name (or a non-regular one to replace) in an existing
         * parent, itself resolved on its side. */
        pfd = side_open(c->dst_root, dir, O_RDONLY | O_DIRECTORY);
        if (pfd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return not_found(c, c->dst_root, dir);
        if (pfd < 0)
                return cell_error_errno(c->err, "open %s", dir);
        if (str_eq(base, ".") || str_eq(base, ".."))
                return cell_error_plain(c->err, EINVAL, "invalid destination %s", dest);
        return copy_entry(c, s->fd, &s->st, pfd, base, 0);
}

static int run_copy(copy_ctx_t *c, const char *src, const char *dest, const engine_copy_opts_t *o)
{
        copy_src_t s = {.fd = -1};
        int r;

        c->buf = malloc(COPY_BUF);
        if (!c->buf)
                return cell_error_set(c->err, ENOMEM, "cp");
        r = open_src(c, src, o && o->follow, &s);
        if (r >= 0)
                r = copy_to(c, &s, dest);
        copy_src_clear(&s);
        free(c->buf);
        return r < 0 ? r : 0;
}

int engine_copy_out(int rootfd, const char *src, const char *dest, const engine_copy_opts_t *o,
                    cell_error_t *err)
{
        copy_ctx_t c = {.src_root = rootfd,
                        .dst_root = -1,
                        .keep_owner = o && o->archive,
                        .uid = getuid(),
                        .gid = getgid(),
                        .name = o ? o->name : NULL,
                        .err = err};

        return run_copy(&c, src, dest, o);
}

int engine_copy_in(int rootfd, const char *src, const char *dest, const engine_copy_opts_t *o,
                   cell_error_t *err)
{
        copy_ctx_t c = {.src_root = -1,
                        .dst_root = rootfd,
                        .keep_owner = o && o->archive,
                        .uid = 0,
                        .gid = 0,
                        .name = o ? o->name : NULL,
                        .err = err};

        return run_copy(&c, src, dest, o);
}

/* ---- tar streams ---- */

static void archive_write_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

#define _cleanup_archive_w_ __attribute__((cleanup(archive_write_freep)))
#define _cleanup_archive_r_ __attribute__((cleanup(archive_read_freep)))

static int tar_entry(copy_ctx_t *c, struct archive *a, int fd, const struct stat *st, const char *path,
                     int depth)
{
        struct archive_entry *e;
        char link[PATH_MAX];
        int r;

        if (depth > COPY_MAX_DEPTH)
                return cell_error_plain(c->err, ELOOP, "directories nested too deep");
        if (S_ISSOCK(st->st_mode))
                return 0;
        if (S_ISLNK(st->st_mode) && read_link(c, fd, link) < 0)
                return -1;
        e = archive_entry_new();
        if (!e)
                return cell_error_set(c->err, ENOMEM, "tar");
        archive_entry_copy_stat(e, st);
        archive_entry_set_pathname(e, path);
        if (S_ISLNK(st->st_mode))
                archive_entry_set_symlink(e, link);
        if (!S_ISREG(st->st_mode))
                archive_entry_set_size(e, 0);
        r = archive_write_header(a, e);
        archive_entry_free(e);
        if (r < ARCHIVE_WARN)
                return cell_error_plain(c->err, EIO, "tar %s: %s", path, archive_error_string(a));
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int in = reopen_read(fd);
                int64_t left = st->st_size;

                if (in < 0)
                        return cell_error_errno(c->err, "open %s", path);
                /* Exactly the size in the header, even when the file grows
                 * or shrinks meanwhile. */
                while (left > 0) {
                        ssize_t k = read(in, c->buf, left < COPY_BUF ? (size_t)left : COPY_BUF);

                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return cell_error_errno(c->err, "read %s", path);
                        if (k == 0) {
                                memset(c->buf, 0, COPY_BUF);
                                k = left < COPY_BUF ? (ssize_t)left : COPY_BUF;
                        }
                        if (archive_write_data(a, c->buf, (size_t)k) < 0)
                                return cell_error_plain(c->err, EIO, "tar %s: %s", path,
                                                        archive_error_string(a));
                        left -= k;
                }
        }
        if (S_ISDIR(st->st_mode)) {
                _cleanup_closedir_ DIR *d = NULL;
                int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct dirent *de;

                if (dfd < 0 || !(d = fdopendir(dfd))) {
                        if (dfd >= 0)
                                close(dfd);
                        return cell_error_errno(c->err, "open %s", path);
                }
                while ((errno = 0, de = readdir(d))) {
                        _cleanup_close_ int cfd = -1;
                        _cleanup_free_ char *cpath = NULL;
                        struct stat cst;

                        if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                                continue;
                        cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0 && errno == ENOENT)
                                continue;
                        if (cfd < 0 || fstat(cfd, &cst) < 0)
                                return cell_error_errno(c->err, "open %s/%s", path, de->d_name);
                        cpath = str_printf("%s/%s", path, de->d_name);
                        if (!cpath)
                                return cell_error_set(c->err, ENOMEM, "tar");
                        if (tar_entry(c, a, cfd, &cst, cpath, depth + 1) < 0)
                                return -1;
                }
                if (errno)
                        return cell_error_errno(c->err, "read %s", path);
        }
        return 0;
}

int engine_copy_out_tar(int rootfd, const char *src, int out_fd, const engine_copy_opts_t *o,
                        cell_error_t *err)
{
        copy_ctx_t c = {.src_root = rootfd, .name = o ? o->name : NULL, .err = err};
        _cleanup_archive_w_ struct archive *a = NULL;
        copy_src_t s = {.fd = -1};
        int r;

        if (image_archive_ready(err) < 0)
                return -1;
        c.buf = malloc(COPY_BUF);
        if (!c.buf)
                return cell_error_set(err, ENOMEM, "cp");
        r = open_src(&c, src, o && o->follow, &s);
        if (r >= 0) {
                a = archive_write_new();
                if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
                    archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
                        r = cell_error_plain(err, EIO, "tar: %s", a ? archive_error_string(a) : "no memory");
        }
        if (r >= 0)
                r = tar_entry(&c, a, s.fd, &s.st, s.contents ? "." : s.base, 0);
        if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
                r = cell_error_plain(err, EIO, "tar: %s", archive_error_string(a));
        copy_src_clear(&s);
        free(c.buf);
        return r < 0 ? r : 0;
}

/* An archive's path made relative and clean: no leading '/', no "." or
 * empty parts; NULL for one with ".." (refused) — "" for the top. */
static char *tar_clean_path(const char *p)
{
        _cleanup_free_ char *out = calloc(1, strlen(p) + 1);
        size_t n = 0;

        if (!out)
                return NULL;
        while (*p) {
                const char *end = strchrnul(p, '/');
                size_t len = (size_t)(end - p);

                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return NULL;
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (n)
                                out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p = *end ? end + 1 : end;
        }
        out[n] = '\0';
        return steal_pointer(&out);
}

static int data_from_archive(void *data, int out_fd, copy_ctx_t *c)
{
        struct archive *a = data;

        for (;;) {
                la_ssize_t k = archive_read_data(a, c->buf, COPY_BUF);
                ssize_t w = 0;

                if (k < 0)
                        return cell_error_plain(c->err, EIO, "reading the archive: %s",
                                                archive_error_string(a));
                if (k == 0)
                        return 0;
                while (w < k) {
                        ssize_t m = write(out_fd, c->buf + w, (size_t)(k - w));

                        if (m < 0 && errno == EINTR)
                                continue;
                        if (m < 0)
                                return cell_error_errno(c->err, "write");
                        w += m;
                }
        }
}

static int tar_extract_one(copy_ctx_t *c, struct archive *a, struct archive_entry *e, int dest_fd)
{
        _cleanup_free_ char *path =
                tar_clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        _cleanup_close_ int pfd = -1;
        const char *base;
        char *slash;
        struct stat st = *archive_entry_stat(e);

        if (!path)
                return cell_error_plain(c->err, EINVAL, "archive entry \"%s\": a path with \"..\"",
                                        archive_entry_pathname(e));
        if (!*path)
                return 0; /* the top directory itself: dest is kept as it is */
        slash = strrchr(path, '/');
        if (slash) {
                *slash = '\0';
                base = slash + 1;
                /* Missing parents are made; a symlink on the way is
                 * resolved with dest as the root, so never out of dest. */
                pfd = fs_mkdir_p_in_root(dest_fd, path, 0755, c->err);
                if (pfd < 0)
                        return -1;
                {
                        int w = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                        close(pfd);
                        pfd = w;
                }
        } else {
                base = path;
                pfd = openat(dest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (pfd < 0)
                return cell_error_errno(c->err, "open the directory of %s", base);
        if (archive_entry_hardlink(e)) {
                _cleanup_free_ char *target = tar_clean_path(archive_entry_hardlink(e));
                _cleanup_close_ int tfd = -1;
                struct stat cur;

                if (!target || !*target)
                        return cell_error_plain(c->err, EINVAL, "archive entry \"%s\": a bad hardlink",
                                                archive_entry_pathname(e));
                tfd = fs_open_in_root(dest_fd, target, O_PATH | O_NOFOLLOW, 0, c->err);
                if (tfd < 0)
                        return -1;
                if (fstatat(pfd, base, &cur, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(cur.st_mode))
                        unlinkat(pfd, base, 0);
                if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
                        return cell_error_errno(c->err, "link %s", base);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int dfd = make_dir(c, pfd, base);

                return dfd < 0 ? -1 : set_meta_fd(c, dfd, &st, base);
        }
        return make_nondir(c, pfd, base, &st, archive_entry_symlink(e), data_from_archive, a);
}

int engine_copy_in_tar(int rootfd, int in_fd, const char *dest, const engine_copy_opts_t *o,
                       cell_error_t *err)
{
        copy_ctx_t c = {.dst_root = rootfd,
                        .src_root = -1,
                        .keep_owner = o && o->archive,
                        .name = o ? o->name : NULL,
                        .err = err};
        _cleanup_archive_r_ struct archive *a = NULL;
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *buf = NULL;
        struct archive_entry *e;
        int r = 0;

        if (image_archive_ready(err) < 0)
                return -1;
        dfd = side_open(rootfd, dest, O_RDONLY | O_DIRECTORY);
        if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return cell_error_plain(err, ENOTDIR, "destination \"%s:%s\" must be a directory",
                                        c.name ? c.name : "", dest);
        if (dfd < 0)
                return cell_error_errno(err, "open %s", dest);
        buf = c.buf = malloc(COPY_BUF);
        a = archive_read_new();
        if (!buf || !a)
                return cell_error_set(err, ENOMEM, "cp");
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, in_fd, 64 * 1024) != ARCHIVE_OK)
                return cell_error_plain(err, EIO, "reading the archive: %s", archive_error_string(a));
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                if (tar_extract_one(&c, a, e, dfd) < 0)
                        return -1;
        }
        if (r != ARCHIVE_EOF)
                return cell_error_plain(err, EIO, "reading the archive: %s", archive_error_string(a));
        return 0;
}
