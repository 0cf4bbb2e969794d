/* cell: unit tests for the file system helpers (lib/util/fsutil.c).
 *
 * The in-root helpers are the runtime's defence against a hostile rootfs:
 * symlinks and ".." inside it must never lead to a file being created or
 * opened outside it. Each test builds a small "root" in a temporary directory
 * with symlinks pointing out of it (absolute, relative, dangling) and checks
 * that whatever is made lands inside the root and nothing appears outside. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "strutil.h"

typedef struct {
        char tmp[PATH_MAX];     /* the temporary directory */
        char root[PATH_MAX];    /* tmp/root: the container's root */
        char outside[PATH_MAX]; /* tmp/outside: a sibling the root must not reach */
        char unique[64];        /* a name that exists nowhere on the host */
        int rootfd;
} fixture_t;

static char *join(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        char *s = malloc(la + lb + 2);

        assert_non_null(s);
        memcpy(s, a, la);
        s[la] = '/';
        memcpy(s + la + 1, b, lb + 1);
        return s;
}

static void write_file(const char *path, const char *data)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
        close(fd);
}

static bool is_dir(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

/* The path an fd refers to, as the kernel sees it. */
static void fd_target(int fd, char *buf, size_t n)
{
        char proc[64];
        ssize_t len;

        fs_fd_path(fd, proc, sizeof(proc));
        len = readlink(proc, buf, n - 1);
        assert_true(len > 0);
        buf[len] = '\0';
}

static void assert_fd_inside(int fd, const char *root)
{
        char target[PATH_MAX];

        fd_target(fd, target, sizeof(target));
        if (!str_has_prefix(target, root) || (target[strlen(root)] != '/' && target[strlen(root)] != '\0'))
                fail_msg("fd %d refers to %s, outside %s", fd, target, root);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static void rm_tree(const char *path)
{
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Something made by a broken helper on the host must not outlive the test. */
static void remove_host_leftover(const char *dir, const char *name)
{
        char *p = join(dir, name);

        if (exists(p)) {
                rm_tree(p);
                free(p);
                fail_msg("%s/%s was created on the host", dir, name);
        }
        free(p);
}

static int setup(void **state)
{
        fixture_t *f = calloc(1, sizeof(*f));
        char *p;

        if (!f)
                return -1;
        snprintf(f->tmp, sizeof(f->tmp), "%s/cell-unit-fsutil-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(f->tmp))
                return -1;
        snprintf(f->root, sizeof(f->root), "%s/root", f->tmp);
        snprintf(f->outside, sizeof(f->outside), "%s/outside", f->tmp);
        snprintf(f->unique, sizeof(f->unique), "cell-unit-%d-%ld", (int)getpid(), (long)random());
        if (mkdir(f->root, 0755) < 0 || mkdir(f->outside, 0755) < 0)
                return -1;

        /* root/etc        a real directory, holding "hostname"
         * root/evil   ->  /etc                   (absolute: means root/etc inside the root)
         * root/up     ->  ../..                  (climbs to tmp/.. on the host)
         * root/hn     ->  /etc/hostname          (absolute link to a file)
         * root/dangling -> /<unique>             (target exists nowhere)
         * outside/secret                          (must stay untouched and unreachable) */
        p = join(f->root, "etc");
        mkdir(p, 0755);
        free(p);
        p = join(f->root, "etc/hostname");
        write_file(p, "inside\n");
        free(p);
        p = join(f->root, "evil");
        if (symlink("/etc", p) < 0)
                return -1;
        free(p);
        p = join(f->root, "up");
        if (symlink("../..", p) < 0)
                return -1;
        free(p);
        p = join(f->root, "hn");
        if (symlink("/etc/hostname", p) < 0)
                return -1;
        free(p);
        p = join(f->root, "dangling");
        {
                char target[128];

                snprintf(target, sizeof(target), "/%s", f->unique);
                if (symlink(target, p) < 0)
                        return -1;
        }
        free(p);
        p = join(f->outside, "secret");
        write_file(p, "secret\n");
        free(p);

        f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (f->rootfd < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture_t *f = *state;

        close(f->rootfd);
        rm_tree(f->tmp);
        free(f);
        return 0;
}

/* ---- fs_mkdir_p_in_root ---- */

static void test_mkdir_p_in_root_plain(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd = fs_mkdir_p_in_root(f->rootfd, "/a/b//c/", 0755, &err);
        char *p = join(f->root, "a/b/c");

        if (fd < 0)
                fail_msg("%s", err.msg);
        assert_true(is_dir(p));
        assert_fd_inside(fd, f->root);
        close(fd);
        /* again: everything exists already */
        fd = fs_mkdir_p_in_root(f->rootfd, "a/b/c", 0755, &err);
        assert_true(fd >= 0);
        close(fd);
        free(p);
}

/* "/etc/x" through an absolute symlink: made in root/etc, not in the host's /etc. */
static void test_mkdir_p_in_root_absolute_symlink(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char path[128], target[PATH_MAX];
        char *inside;
        int fd;

        snprintf(path, sizeof(path), "/evil/%s", f->unique);
        fd = fs_mkdir_p_in_root(f->rootfd, path, 0755, &err);
        remove_host_leftover("/etc", f->unique);
        if (fd < 0)
                fail_msg("%s", err.msg);
        snprintf(target, sizeof(target), "%s/etc/%s", f->root, f->unique);
        assert_true(is_dir(target));
        assert_fd_inside(fd, f->root);
        close(fd);

        /* the same through the plain name */
        snprintf(path, sizeof(path), "/etc/%s/sub", f->unique);
        fd = fs_mkdir_p_in_root(f->rootfd, path, 0755, &err);
        remove_host_leftover("/etc", f->unique);
        assert_true(fd >= 0);
        inside = join(target, "sub");
        assert_true(is_dir(inside));
        free(inside);
        close(fd);
}

/* ".." and a relative symlink that climbs out both stop at the root. */
static void test_mkdir_p_in_root_dotdot(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *in_root = join(f->root, "outside/made");
        char *on_host = join(f->outside, "made");
        int fd;

        fd = fs_mkdir_p_in_root(f->rootfd, "/up/up/outside/made", 0755, &err);
        if (fd < 0)
                fail_msg("%s", err.msg);
        assert_false(exists(on_host));
        assert_true(is_dir(in_root));
        assert_fd_inside(fd, f->root);
        close(fd);

        fd = fs_mkdir_p_in_root(f->rootfd, "../../../outside/made2", 0755, &err);
        assert_true(fd >= 0);
        close(fd);
        free(on_host);
        on_host = join(f->outside, "made2");
        assert_false(exists(on_host));
        free(in_root);
        in_root = join(f->root, "outside/made2");
        assert_true(is_dir(in_root));
        free(in_root);
        free(on_host);
}

/* A symlink loop ("etc -> /etc" with etc being the link itself) fails and makes nothing. */
static void test_mkdir_p_in_root_self_link(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *root2 = join(f->tmp, "root2");
        char *link = join(root2, "etc");
        char path[128];
        int rootfd, fd;

        assert_int_equal(mkdir(root2, 0755), 0);
        assert_int_equal(symlink("/etc", link), 0);
        rootfd = open(root2, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);
        snprintf(path, sizeof(path), "/etc/%s", f->unique);
        fd = fs_mkdir_p_in_root(rootfd, path, 0755, &err);
        remove_host_leftover("/etc", f->unique);
        assert_true(fd < 0);
        assert_int_equal(err.code, ELOOP);
        assert_non_null(strstr(err.msg, "/etc"));
        close(rootfd);
        free(link);
        free(root2);
}

/* A dangling absolute symlink is not followed out of the root to create its target. */
static void test_mkdir_p_in_root_dangling(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd = fs_mkdir_p_in_root(f->rootfd, "/dangling/x", 0755, &err);

        remove_host_leftover("", f->unique);
        if (fd >= 0) {
                /* acceptable only if it was made inside */
                char *p = join(f->root, f->unique);

                assert_true(is_dir(p));
                assert_fd_inside(fd, f->root);
                free(p);
                close(fd);
        }
}

static void test_mkdir_p_in_root_through_file(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd = fs_mkdir_p_in_root(f->rootfd, "/etc/hostname/x", 0755, &err);

        assert_true(fd < 0);
        assert_int_equal(err.code, ENOTDIR);
        assert_non_null(strstr(err.msg, "/etc/hostname"));
}

/* ---- fs_open_in_root ---- */

static void read_fd(int fd, char *buf, size_t n)
{
        ssize_t len = read(fd, buf, n - 1);

        assert_true(len >= 0);
        buf[len] = '\0';
}

static void test_open_in_root_stays_inside(void **state)
{
        fixture_t *f = *state;
        static const char *const paths[] = {
                "/etc/hostname",    "etc/hostname", "/evil/hostname",     "/hn",
                "/up/etc/hostname", "/up/up/up/hn", "../../etc/hostname", "/etc/../../../etc/hostname",
        };
        cell_error_t err = {0};
        char buf[64];

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                int fd = fs_open_in_root(f->rootfd, paths[i], O_RDONLY, 0, &err);

                if (fd < 0)
                        fail_msg("open %s: %s", paths[i], err.msg);
                read_fd(fd, buf, sizeof(buf));
                if (strcmp(buf, "inside\n") != 0)
                        fail_msg("%s opened a file outside the root (read \"%s\")", paths[i], buf);
                assert_fd_inside(fd, f->root);
                close(fd);
        }
}

static void test_open_in_root_cannot_reach_sibling(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd;

        fd = fs_open_in_root(f->rootfd, "../outside/secret", O_RDONLY, 0, &err);
        assert_true(fd < 0);
        assert_int_equal(err.code, ENOENT);
        assert_non_null(strstr(err.msg, "../outside/secret"));
        fd = fs_open_in_root(f->rootfd, "/up/outside/secret", O_RDONLY, 0, &err);
        assert_true(fd < 0);
        assert_int_equal(err.code, ENOENT);
}

static void test_open_in_root_create(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *in_root = join(f->root, "etc/created");
        int fd;

        fd = fs_open_in_root(f->rootfd, "/up/up/evil/created", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
        if (fd < 0)
                fail_msg("%s", err.msg);
        close(fd);
        remove_host_leftover("/etc", "created");
        assert_true(is_file(in_root));
        free(in_root);
}

static void test_open_in_root_sets_cloexec(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd = fs_open_in_root(f->rootfd, "/", O_PATH | O_DIRECTORY, 0, &err);

        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_fd_inside(fd, f->root);
        close(fd);
}

/* ---- fs_mkfile_in_root ---- */

static void test_mkfile_in_root_through_absolute_symlink(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char path[128], target[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "/evil/%s/file", f->unique);
        fd = fs_mkfile_in_root(f->rootfd, path, 0644, &err);
        remove_host_leftover("/etc", f->unique);
        if (fd < 0)
                fail_msg("%s", err.msg);
        snprintf(target, sizeof(target), "%s/etc/%s/file", f->root, f->unique);
        assert_true(is_file(target));
        assert_fd_inside(fd, f->root);
        close(fd);
}

static void test_mkfile_in_root_existing(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char buf[64];
        int fd, rfd;

        /* an existing file (through a link) is accepted as it is, not truncated */
        fd = fs_mkfile_in_root(f->rootfd, "/hn", 0644, &err);
        if (fd < 0)
                fail_msg("%s", err.msg);
        assert_fd_inside(fd, f->root);
        close(fd);
        rfd = fs_open_in_root(f->rootfd, "/etc/hostname", O_RDONLY, 0, &err);
        assert_true(rfd >= 0);
        read_fd(rfd, buf, sizeof(buf));
        assert_string_equal(buf, "inside\n");
        close(rfd);
}

static void test_mkfile_in_root_dotdot(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *on_host = join(f->outside, "f");
        char *in_root = join(f->root, "outside/f");
        int fd;

        fd = fs_mkfile_in_root(f->rootfd, "/up/up/outside/f", 0644, &err);
        if (fd < 0)
                fail_msg("%s", err.msg);
        close(fd);
        assert_false(exists(on_host));
        assert_true(is_file(in_root));
        free(on_host);
        free(in_root);
}

/* The last component a dangling link to an absolute path: nothing made on the host. */
static void test_mkfile_in_root_dangling_link(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        int fd = fs_mkfile_in_root(f->rootfd, "/dangling", 0644, &err);

        remove_host_leftover("", f->unique);
        if (fd >= 0) {
                assert_fd_inside(fd, f->root);
                close(fd);
        }
}

/* ---- fs_write_atomic ---- */

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void test_write_atomic(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *dir = join(f->tmp, "atomic");
        char *path = join(dir, "state.json");
        char *data = NULL;
        size_t len = 0;
        struct stat st;

        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(fs_write_atomic(path, "{\"a\":1}", 7, 0640, &err), 0);
        assert_int_equal(fs_read_file(path, 0, &data, &len, &err), 0);
        assert_int_equal(len, 7);
        assert_string_equal(data, "{\"a\":1}");
        free(data);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0640);
        assert_int_equal(count_entries(dir), 1); /* no temporary file left */

        /* replacing */
        assert_int_equal(fs_write_atomic(path, "x", 1, 0640, &err), 0);
        assert_int_equal(fs_read_file(path, 0, &data, &len, &err), 0);
        assert_string_equal(data, "x");
        free(data);
        assert_int_equal(count_entries(dir), 1);

        /* empty content */
        assert_int_equal(fs_write_atomic(path, "", 0, 0640, &err), 0);
        assert_int_equal(fs_read_file(path, 0, &data, &len, &err), 0);
        assert_int_equal(len, 0);
        free(data);
        assert_int_equal(count_entries(dir), 1);
        free(path);
        free(dir);
}

static void test_write_atomic_failure_leaves_nothing(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *dir = join(f->tmp, "atomic2");
        char *path = join(dir, "sub");

        assert_int_equal(mkdir(dir, 0755), 0);
        /* the target is a non-empty directory: rename() fails */
        assert_int_equal(mkdir(path, 0755), 0);
        {
                char *inner = join(path, "keep");

                write_file(inner, "k");
                free(inner);
        }
        assert_true(fs_write_atomic(path, "data", 4, 0644, &err) < 0);
        assert_non_null(strstr(err.msg, path));
        assert_int_equal(count_entries(dir), 1); /* only "sub", no temporary file */
        free(path);
        path = join(dir, "missing/file");
        assert_true(fs_write_atomic(path, "data", 4, 0644, &err) < 0);
        assert_int_equal(err.code, ENOENT);
        free(path);
        free(dir);
}

/* ---- fs_rm_rf ---- */

static void test_rm_rf_does_not_follow_symlinks(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *tree = join(f->tmp, "tree");
        char *p;
        char *secret = join(f->outside, "secret");

        assert_int_equal(mkdir(tree, 0755), 0);
        p = join(tree, "a");
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
        p = join(tree, "a/b");
        assert_int_equal(mkdir(p, 0700), 0);
        free(p);
        p = join(tree, "a/b/file");
        write_file(p, "x");
        free(p);
        p = join(tree, "to-outside-dir");
        assert_int_equal(symlink(f->outside, p), 0);
        free(p);
        p = join(tree, "a/to-outside-file");
        assert_int_equal(symlink(secret, p), 0);
        free(p);
        p = join(tree, "a/relative-up");
        assert_int_equal(symlink("../../outside", p), 0);
        free(p);

        assert_int_equal(fs_rm_rf(tree, &err), 0);
        assert_false(exists(tree));
        assert_true(is_dir(f->outside));
        assert_true(is_file(secret));
        assert_int_equal(count_entries(f->outside), 1);

        /* missing is not an error */
        assert_int_equal(fs_rm_rf(tree, &err), 0);
        free(secret);
        free(tree);
}

/* A symlink given as the top itself is removed, not its target. */
static void test_rm_rf_top_symlink(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *link = join(f->tmp, "link");
        char *secret = join(f->outside, "secret");

        assert_int_equal(symlink(f->outside, link), 0);
        assert_int_equal(fs_rm_rf(link, &err), 0);
        assert_false(exists(link));
        assert_true(is_file(secret));
        free(secret);
        free(link);
}

/* ---- smaller helpers ---- */

static void test_read_file(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *path = join(f->tmp, "big");
        char *data = NULL;
        size_t len = 0;

        write_file(path, "0123456789");
        assert_int_equal(fs_read_file(path, 10, &data, &len, &err), 0);
        assert_int_equal(len, 10);
        assert_string_equal(data, "0123456789");
        free(data);
        data = NULL;
        assert_true(fs_read_file("/nonexistent/cell-unit", 0, &data, &len, &err) < 0);
        assert_int_equal(err.code, ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/cell-unit"));
        free(path);
}

/* "at most max bytes": a file of exactly max bytes is read, one more is refused,
 * whether max is below or above the first buffer's size. */
static void test_read_file_exact_limit(void **state)
{
        fixture_t *f = *state;
        static const size_t sizes[] = {64, 4094, 4095, 4096, 5000, 10000};
        cell_error_t err = {0};
        char *path = join(f->tmp, "sized");
        int failures = 0;

        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                size_t n = sizes[i], len = 0;
                char *buf = malloc(n + 1), *data = NULL;

                assert_non_null(buf);
                memset(buf, 'a', n);
                buf[n] = '\0';
                write_file(path, buf);
                free(buf);
                if (fs_read_file(path, n, &data, &len, &err) < 0) {
                        print_message("a %zu-byte file with max %zu: %s\n", n, n, err.msg);
                        failures++;
                } else if (len != n) {
                        print_message("a %zu-byte file read as %zu bytes\n", n, len);
                        failures++;
                }
                free(data);
                data = NULL;
                if (fs_read_file(path, n - 1, &data, &len, &err) == 0) {
                        print_message("a %zu-byte file with max %zu was read whole\n", n, n - 1);
                        free(data);
                        failures++;
                } else if (err.code != EFBIG) {
                        print_message("a %zu-byte file with max %zu: %s (expected EFBIG)\n", n, n - 1,
                                      err.msg);
                        failures++;
                }
        }
        free(path);
        assert_int_equal(failures, 0);
}

static void test_mkdir_p_host(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *path = join(f->tmp, "x/y/z");

        assert_int_equal(fs_mkdir_p(path, 0755, &err), 0);
        assert_true(is_dir(path));
        assert_int_equal(fs_mkdir_p(path, 0755, &err), 0);
        assert_true(fs_exists(path));
        free(path);
        path = join(f->outside, "secret/sub");
        assert_true(fs_mkdir_p(path, 0755, &err) < 0);
        assert_int_equal(err.code, ENOTDIR);
        free(path);
}

static void test_write_existing(void **state)
{
        fixture_t *f = *state;
        cell_error_t err = {0};
        char *path = join(f->tmp, "knob");
        char *data = NULL;

        assert_true(fs_write_existing(path, "1", 1, &err) < 0); /* never creates */
        assert_int_equal(err.code, ENOENT);
        assert_false(exists(path));
        write_file(path, "0000");
        assert_int_equal(fs_write_existing(path, "11", 2, &err), 0);
        assert_int_equal(fs_read_file(path, 0, &data, NULL, &err), 0);
        assert_string_equal(data, "1100"); /* no truncation */
        free(data);
        free(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_mkdir_p_in_root_plain),
                T(test_mkdir_p_in_root_absolute_symlink),
                T(test_mkdir_p_in_root_dotdot),
                T(test_mkdir_p_in_root_self_link),
                T(test_mkdir_p_in_root_dangling),
                T(test_mkdir_p_in_root_through_file),
                T(test_open_in_root_stays_inside),
                T(test_open_in_root_cannot_reach_sibling),
                T(test_open_in_root_create),
                T(test_open_in_root_sets_cloexec),
                T(test_mkfile_in_root_through_absolute_symlink),
                T(test_mkfile_in_root_existing),
                T(test_mkfile_in_root_dotdot),
                T(test_mkfile_in_root_dangling_link),
                T(test_write_atomic),
                T(test_write_atomic_failure_leaves_nothing),
                T(test_rm_rf_does_not_follow_symlinks),
                T(test_rm_rf_top_symlink),
                T(test_read_file),
                T(test_read_file_exact_limit),
                T(test_mkdir_p_host),
                T(test_write_existing),
        };

        srandom((unsigned)getpid());
        return cmocka_run_group_tests_name("fsutil", tests, NULL, NULL);
}
