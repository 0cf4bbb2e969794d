#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "strutil.h"

int fs_read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap;

        if (max == 0)
                max = 64u << 20;
        fd = TEMP_FAILURE_RETRY_INT(openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (fd < 0)
                return cell_error_errno(err, "open %s", path);
        /* Room for max bytes, one more to notice a longer file, and the NUL. */
        cap = max + 2 < 4096 ? max + 2 : 4096;
        buf = malloc(cap);
        if (!buf)
                return cell_error_set(err, ENOMEM, "read %s", path);
        for (;;) {
                ssize_t n;

                if (len + 1 == cap) {
                        size_t ncap = cap * 2 < max + 2 ? cap * 2 : max + 2;
                        char *nb = realloc(buf, ncap);

                        if (!nb)
                                return cell_error_set(err, ENOMEM, "read %s", path);
                        buf = nb;
                        cap = ncap;
                }
                n = TEMP_FAILURE_RETRY_INT(read(fd, buf + len, cap - len - 1));
                if (n < 0)
                        return cell_error_errno(err, "read %s", path);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return cell_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = steal_pointer(&buf);
        return 0;
}

int fs_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cell_error_t *err)
{
        return fs_read_file_at(AT_FDCWD, path, max, ret, ret_len, err);
}

static int write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = TEMP_FAILURE_RETRY_INT(write(fd, data, len));

                if (n < 0)
                        return -errno;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

int fs_write_existing(const char *path, const char *data, size_t len, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        int r;

        fd = TEMP_FAILURE_RETRY_INT(open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY));
        if (fd < 0)
                return cell_error_errno(err, "open %s", path);
        r = write_all(fd, data, len);
        if (r < 0)
                return cell_error_set(err, -r, "write %s", path);
        return 0;
}

static int write_renamed(const char *path, const char *data, size_t len, mode_t mode, bool sync,
                         cell_error_t *err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        tmp = str_printf("%s.tmp.%d", path, (int)getpid());
        if (!tmp)
                return cell_error_set(err, ENOMEM, "write %s", path);
        fd = TEMP_FAILURE_RETRY_INT(open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
        if (fd < 0)
                return cell_error_errno(err, "create %s", tmp);
        r = write_all(fd, data, len);
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return cell_error_set(err, -r, "write %s", path);
        }
        return 0;
}

int fs_write_atomic(const char *path, const char *data, size_t len, mode_t mode, cell_error_t *err)
{
        return write_renamed(path, data, len, mode, true, err);
}

int fs_write_replace(const char *path, const char *data, size_t len, mode_t mode, cell_error_t *err)
{
        return write_renamed(path, data, len, mode, false, err);
}

int fs_mkdir_p(const char *path, mode_t mode, cell_error_t *err)
{
        char buf[PATH_MAX];

        if (!str_copy(buf, sizeof(buf), path))
                return cell_error_set(err, ENAMETOOLONG, "mkdir %s", path);
        for (char *p = buf + 1;; p++) {
                if (*p == '/' || *p == '\0') {
                        char saved = *p;

                        *p = '\0';
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return cell_error_errno(err, "mkdir %s", buf);
                        *p = saved;
                        if (saved == '\0')
                                break;
                }
        }
        return 0;
}

int fs_openat2_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long r;

        while (*path == '/')
                path++;
        if (*path == '\0')
                path = ".";
        do
                r = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        while (r < 0 && (errno == EINTR || errno == EAGAIN));
        return (int)r;
}

int fs_write_all(int fd, const void *p, size_t n)
{
        const char *c = p;

        while (n > 0) {
                ssize_t k = write(fd, c, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -1;
                if (k == 0) {
                        errno = EIO;
                        return -1;
                }
                c += k;
                n -= (size_t)k;
        }
        return 0;
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, cell_error_t *err)
{
        int fd = fs_openat2_in_root(rootfd, path, flags, mode);

        if (fd < 0)
                return cell_error_errno(err, "open %s in the container root", path);
        return fd;
}

int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, cell_error_t *err)
{
        char prefix[PATH_MAX] = "";
        size_t plen = 0;
        const char *p = path;
        int cur;

        cur = fs_openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
        if (cur < 0)
                return cell_error_errno(err, "open the container root");
        /* Walk from the top, creating what is missing. Each prefix is resolved
         * again inside root, so a symlink planted along the way is followed
         * only within root, and mkdirat() happens in a directory that was
         * itself resolved inside root. */
        while (*p) {
                const char *end;
                size_t clen;
                int fd;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                end = strchrnul(p, '/');
                clen = (size_t)(end - p);
                if (plen + clen + 2 > sizeof(prefix)) {
                        close(cur);
                        return cell_error_set(err, ENAMETOOLONG, "mkdir %s", path);
                }
                prefix[plen++] = '/';
                memcpy(prefix + plen, p, clen);
                plen += clen;
                prefix[plen] = '\0';
                fd = fs_openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
                if (fd < 0 && errno == ENOENT) {
                        char name[NAME_MAX + 1];

                        if (clen > NAME_MAX) {
                                close(cur);
                                return cell_error_set(err, ENAMETOOLONG, "mkdir %s", prefix);
                        }
                        memcpy(name, p, clen);
                        name[clen] = '\0';
                        if (mkdirat(cur, name, mode) < 0 && errno != EEXIST) {
                                int e = errno;
                                close(cur);
                                return cell_error_set(err, e, "mkdir %s in the container root", prefix);
                        }
                        fd = fs_openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
                }
                if (fd < 0) {
                        int e = errno;
                        close(cur);
                        return cell_error_set(err, e, "open %s in the container root", prefix);
                }
                close(cur);
                cur = fd;
                p = end;
        }
        return cur;
}

int fs_mkfile_in_root(int rootfd, const char *path, mode_t mode, cell_error_t *err)
{
        char buf[PATH_MAX];
        _cleanup_close_ int parent = -1;
        char *slash;
        int fd;

        fd = fs_openat2_in_root(rootfd, path, O_PATH, 0);
        if (fd >= 0)
                return fd;
        if (errno != ENOENT)
                return cell_error_errno(err, "open %s in the container root", path);
        if (!str_copy(buf, sizeof(buf), path))
                return cell_error_set(err, ENAMETOOLONG, "create %s", path);
        slash = strrchr(buf, '/');
        if (slash) {
                *slash = '\0';
                parent = fs_mkdir_p_in_root(rootfd, *buf ? buf : "/", 0755, err);
                if (parent < 0)
                        return parent;
                *slash = '/';
        }
        fd = fs_openat2_in_root(rootfd, path, O_CREAT | O_WRONLY | O_NOFOLLOW, mode);
        if (fd < 0 && errno != EEXIST)
                return cell_error_errno(err, "create %s in the container root", path);
        if (fd >= 0)
                close(fd);
        fd = fs_openat2_in_root(rootfd, path, O_PATH, 0);
        if (fd < 0)
                return cell_error_errno(err, "open %s in the container root", path);
        return fd;
}

const char *fs_fd_path(int fd, char *buf, size_t n)
{
        snprintf(buf, n, "/proc/self/fd/%d", fd);
        return buf;
}

static int rm_rf_at(int parent, const char *name, int depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd;

        if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        /* A bound, so that a hostile tree cannot exhaust the stack or fds. */
        if (depth > 4096)
                return -ELOOP;
        /* O_NOFOLLOW|O_DIRECTORY: a symlink here was unlinked above, never entered. */
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                int r;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = rm_rf_at(dirfd(d), de->d_name, depth + 1);
                if (r < 0)
                        return r;
        }
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int fs_rm_rf_at(int parent, const char *name)
{
        return rm_rf_at(parent, name, 0);
}

int fs_rm_rf(const char *path, cell_error_t *err)
{
        int r = rm_rf_at(AT_FDCWD, path, 0);

        if (r < 0)
                return cell_error_set(err, -r, "remove %s", path);
        return 0;
}

bool fs_exists(const char *path)
{
        return access(path, F_OK) == 0;
}

int fs_lock_file(const char *path, int op, cell_error_t *err)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return cell_error_errno(err, "open %s", path);
        if (TEMP_FAILURE_RETRY_INT(flock(fd, op)) < 0)
                return cell_error_errno(err, "lock %s", path);
        return steal_fd(&fd);
}
