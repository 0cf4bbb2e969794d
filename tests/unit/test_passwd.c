/* cell: unit tests for --user resolution (lib/engine/passwd.c).
 *
 * Each test builds a small container root in a temporary directory. The
 * root is hostile in some of them: etc/passwd a symlink aimed at the host's
 * /etc/passwd, or out of the root with "..", a FIFO, a directory, a huge
 * file. What must hold: the host's files are never read (the answers below
 * would differ from the host's: the host has a root user with home /root),
 * nothing blocks, and the read is bounded. */
#include <errno.h>
#include <fcntl.h>
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

#include "passwd.h"
#include "testutil.h"

typedef struct {
        char *tmp; /* the temporary directory; tmp/root is the container's root */
        int rootfd;
} fixture_t;

static int setup(void **state)
{
        fixture_t *f = calloc(1, sizeof(*f));
        void *tmp = NULL;

        if (!f || tu_setup_tmpdir(&tmp) < 0)
                return -1;
        f->tmp = tmp;
        if (mkdir(tu_path("%s/root", f->tmp), 0755) < 0)
                return -1;
        f->rootfd = open(tu_path("%s/root", f->tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->rootfd < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture_t *f = *state;
        void *tmp = f->tmp;

        close(f->rootfd);
        tu_teardown_tmpdir(&tmp);
        free(f);
        return 0;
}

/* Write text to tmp/root/rel (or tmp/rel when outside), making parents. */
static void put(fixture_t *f, bool outside, const char *rel, const char *text)
{
        char *path = tu_path("%s%s/%s", f->tmp, outside ? "" : "/root", rel);
        char *slash = strrchr(path, '/');
        cell_error_t e = {0};
        FILE *fp;

        *slash = '\0';
        assert_int_equal(fs_mkdir_p(path, 0755, &e), 0);
        *slash = '/';
        fp = fopen(path, "we");
        assert_non_null(fp);
        assert_int_equal(fputs(text, fp) >= 0, 1);
        assert_int_equal(fclose(fp), 0);
}

static void put_symlink(fixture_t *f, const char *rel, const char *target)
{
        cell_error_t e = {0};

        assert_int_equal(fs_mkdir_p(tu_path("%s/root/etc", f->tmp), 0755, &e), 0);
        assert_int_equal(symlink(target, tu_path("%s/root/%s", f->tmp, rel)), 0);
}

static const char passwd_text[] = "root:x:0:0:root:/root:/bin/sh\n"
                                  "# a comment\n"
                                  "\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  "alice:x:1000:1001:Alice:/home/alice:/bin/sh\n"
                                  "bob:x:1002:1002::/home/bob:/bin/sh\n"
                                  "nohome:x:1003:1003:::/bin/sh\n"
                                  "broken:x:abc:0::/:/bin/sh\n"
                                  "short\n"
                                  "alice:x:2000:2000:second alice:/elsewhere:/bin/sh\n"
                                  "big:x:2147483647:0::/:/bin/sh\n";

static const char group_text[] = "root:x:0:\n"
                                 "wheel:x:10:alice,bob\n"
                                 "users:x:100:bob\n"
                                 "# comment:x:30:alice\n"
                                 "dev:x:20:carol,alice\n"
                                 "alice:x:1001:\n"
                                 "bad:x:zz:alice\n"
                                 "1234:x:5:\n"
                                 "staff:x:50:\n";

static void standard_root(fixture_t *f)
{
        put(f, false, "etc/passwd", passwd_text);
        put(f, false, "etc/group", group_text);
}

static void resolve_ok(fixture_t *f, const char *spec, uid_t uid, gid_t gid, const char *home,
                       const gid_t *extra, size_t n_extra)
{
        engine_user_t u = {0};
        cell_error_t e = {0};

        if (engine_user_resolve(f->rootfd, spec, &u, &e) < 0)
                fail_msg("engine_user_resolve(\"%s\"): %s", spec, e.msg);
        assert_int_equal(u.uid, uid);
        assert_int_equal(u.gid, gid);
        assert_non_null(u.home);
        assert_string_equal(u.home, home);
        assert_int_equal(u.n_additional_gids, n_extra);
        for (size_t i = 0; i < n_extra; i++)
                assert_int_equal(u.additional_gids[i], extra[i]);
        engine_user_clear(&u);
        assert_null(u.home);
        assert_null(u.additional_gids);
}

static void resolve_err(fixture_t *f, const char *spec, const char *message)
{
        engine_user_t u = {.uid = 7, .gid = 8};
        cell_error_t e = {0};

        if (engine_user_resolve(f->rootfd, spec, &u, &e) >= 0)
                fail_msg("engine_user_resolve(\"%s\") succeeded", spec);
        assert_string_equal(e.msg, message);
        /* a failure leaves the output alone */
        assert_int_equal(u.uid, 7);
        assert_int_equal(u.gid, 8);
        assert_null(u.home);
}

static void test_user_default(void **state)
{
        fixture_t *f = *state;

        standard_root(f);
        resolve_ok(f, "", 0, 0, "/root", NULL, 0);
        resolve_ok(f, NULL, 0, 0, "/root", NULL, 0);
        resolve_ok(f, "root", 0, 0, "/root", NULL, 0);
        resolve_ok(f, "0", 0, 0, "/root", NULL, 0);
}

static void test_user_name(void **state)
{
        fixture_t *f = *state;
        const gid_t alice_groups[] = {10, 20};
        const gid_t bob_groups[] = {10, 100};

        standard_root(f);
        /* the first entry of a name wins; groups list it by name */
        resolve_ok(f, "alice", 1000, 1001, "/home/alice", alice_groups, 2);
        resolve_ok(f, "bob", 1002, 1002, "/home/bob", bob_groups, 2);
        resolve_ok(f, "daemon", 1, 1, "/usr/sbin", NULL, 0);
        /* an empty home field is "/" */
        resolve_ok(f, "nohome", 1003, 1003, "/", NULL, 0);
        /* "name:" is the implicit form */
        resolve_ok(f, "alice:", 1000, 1001, "/home/alice", alice_groups, 2);
}

static void test_user_uid(void **state)
{
        fixture_t *f = *state;
        const gid_t alice_groups[] = {10, 20};

        standard_root(f);
        /* a uid in passwd brings its name's gid, home and groups */
        resolve_ok(f, "1000", 1000, 1001, "/home/alice", alice_groups, 2);
        resolve_ok(f, "2000", 2000, 2000, "/elsewhere", alice_groups, 2);
        /* a uid that is not there is fine: gid 0, home "/" */
        resolve_ok(f, "4242", 4242, 0, "/", NULL, 0);
        resolve_ok(f, "2147483646", 2147483646, 0, "/", NULL, 0);
        resolve_ok(f, "007", 7, 0, "/", NULL, 0);
}

static void test_user_explicit_group(void **state)
{
        fixture_t *f = *state;

        standard_root(f);
        /* an explicit group sets the gid and there are no additional gids */
        resolve_ok(f, "alice:users", 1000, 100, "/home/alice", NULL, 0);
        resolve_ok(f, "alice:20", 1000, 20, "/home/alice", NULL, 0);
        resolve_ok(f, "1000:555", 1000, 555, "/home/alice", NULL, 0);
        resolve_ok(f, "4242:wheel", 4242, 10, "/", NULL, 0);
        resolve_ok(f, "4242:4343", 4242, 4343, "/", NULL, 0);
        resolve_ok(f, "root:staff", 0, 50, "/root", NULL, 0);
        resolve_ok(f, ":staff", 0, 50, "/root", NULL, 0);
        /* a group named "1234" is found by its name before a number */
        resolve_ok(f, "alice:1234", 1000, 5, "/home/alice", NULL, 0);
        resolve_ok(f, "alice:0", 1000, 0, "/home/alice", NULL, 0);
}

static void test_user_errors(void **state)
{
        fixture_t *f = *state;

        standard_root(f);
        resolve_err(f, "nobody_here", "unable to find user nobody_here: no matching entries in passwd file");
        resolve_err(f, "Alice", "unable to find user Alice: no matching entries in passwd file");
        resolve_err(f, "broken", "unable to find user broken: no matching entries in passwd file");
        resolve_err(f, "short", "unable to find user short: no matching entries in passwd file");
        resolve_err(f, "alice:nogroup", "unable to find group nogroup: no matching entries in group file");
        resolve_err(f, "4242:nogroup", "unable to find group nogroup: no matching entries in group file");
        resolve_err(f, "alice:staff:x", "unable to find group staff:x: no matching entries in group file");
        resolve_err(f, "2147483647", "uids and gids must be in range 0-2147483646");
        resolve_err(f, "4294967295", "uids and gids must be in range 0-2147483646");
        resolve_err(f, "99999999999999999999", "uids and gids must be in range 0-2147483646");
        resolve_err(f, "-1", "uids and gids must be in range 0-2147483646");
        resolve_err(f, "1000:2147483647", "uids and gids must be in range 0-2147483646");
        resolve_err(f, "1000:-5", "uids and gids must be in range 0-2147483646");
        /* an entry of the file beyond the range is refused too */
        resolve_err(f, "big", "etc/passwd: user big: uids and gids must be in range 0-2147483646");
}

static void test_user_group_out_of_range(void **state)
{
        fixture_t *f = *state;

        put(f, false, "etc/passwd", passwd_text);
        put(f, false, "etc/group", "huge:x:3000000000:alice\n");
        resolve_err(f, "alice", "etc/group: group huge: uids and gids must be in range 0-2147483646");
        resolve_err(f, "alice:huge", "etc/group: group huge: uids and gids must be in range 0-2147483646");
        resolve_ok(f, "bob", 1002, 1002, "/home/bob", NULL, 0);
}

static void test_user_no_files(void **state)
{
        fixture_t *f = *state;

        /* no etc at all: numbers work, names do not */
        resolve_ok(f, "", 0, 0, "/", NULL, 0);
        resolve_ok(f, "1000", 1000, 0, "/", NULL, 0);
        resolve_ok(f, "1000:50", 1000, 50, "/", NULL, 0);
        resolve_err(f, "alice", "unable to find user alice: no matching entries in passwd file");
        resolve_err(f, "root", "unable to find user root: no matching entries in passwd file");
        resolve_err(f, "1000:staff", "unable to find group staff: no matching entries in group file");
}

static void test_user_no_group_file(void **state)
{
        fixture_t *f = *state;

        put(f, false, "etc/passwd", passwd_text);
        resolve_ok(f, "alice", 1000, 1001, "/home/alice", NULL, 0);
        resolve_ok(f, "alice:77", 1000, 77, "/home/alice", NULL, 0);
        resolve_err(f, "alice:wheel", "unable to find group wheel: no matching entries in group file");
}

static void test_user_no_passwd_file(void **state)
{
        fixture_t *f = *state;

        put(f, false, "etc/group", group_text);
        resolve_ok(f, "1000", 1000, 0, "/", NULL, 0);
        resolve_ok(f, "1000:wheel", 1000, 10, "/", NULL, 0);
        resolve_err(f, "alice", "unable to find user alice: no matching entries in passwd file");
}

/* etc/passwd -> /etc/passwd: inside the root that is the link itself, a
 * loop, so there is no passwd: the host's (which has root, with home /root)
 * must not be read. */
static void test_symlink_to_host_absolute(void **state)
{
        fixture_t *f = *state;

        put_symlink(f, "etc/passwd", "/etc/passwd");
        put_symlink(f, "etc/group", "/etc/group");
        resolve_err(f, "root", "unable to find user root: no matching entries in passwd file");
        resolve_ok(f, "0", 0, 0, "/", NULL, 0);
        resolve_ok(f, "", 0, 0, "/", NULL, 0);
        resolve_err(f, "0:root", "unable to find group root: no matching entries in group file");
}

/* An absolute symlink resolves inside the root, to the root's own file. */
static void test_symlink_absolute_inside(void **state)
{
        fixture_t *f = *state;

        put(f, false, "usr/lib/cell-passwd", "root:x:0:4242:inside:/inside:/bin/sh\n");
        put(f, false, "usr/lib/cell-group", "wheel:x:4343:root\n");
        put_symlink(f, "etc/passwd", "/usr/lib/cell-passwd");
        put_symlink(f, "etc/group", "/usr/lib/cell-group");
        {
                const gid_t extra[] = {4343};

                resolve_ok(f, "root", 0, 4242, "/inside", extra, 1);
        }
}

/* ".." out of the root stops at the root: root/etc/../../passwd is the
 * root's passwd, not the one beside the root. */
static void test_symlink_relative_escape(void **state)
{
        fixture_t *f = *state;

        put(f, true, "passwd", "root:x:0:777:outside:/outside:/bin/sh\n");
        put(f, true, "group", "outside:x:778:root\n");
        put_symlink(f, "etc/passwd", "../../passwd");
        put_symlink(f, "etc/group", "../../../../../../group");
        /* the root has neither yet: nothing to read */
        resolve_err(f, "root", "unable to find user root: no matching entries in passwd file");
        /* now the root's own */
        put(f, false, "passwd", "root:x:0:4242:inside:/inside:/bin/sh\n");
        put(f, false, "group", "inside:x:4343:root\n");
        {
                const gid_t extra[] = {4343};

                resolve_ok(f, "root", 0, 4242, "/inside", extra, 1);
        }
        resolve_err(f, "root:outside", "unable to find group outside: no matching entries in group file");
}

/* A directory symlink out of the root is followed inside it too. */
static void test_symlink_etc_dir(void **state)
{
        fixture_t *f = *state;

        assert_int_equal(symlink("/etc", tu_path("%s/root/etc", f->tmp)), 0);
        resolve_err(f, "root", "unable to find user root: no matching entries in passwd file");
        resolve_ok(f, "0", 0, 0, "/", NULL, 0);
}

static void test_not_regular(void **state)
{
        fixture_t *f = *state;
        cell_error_t e = {0};

        /* a FIFO: refused without waiting for a writer */
        assert_int_equal(fs_mkdir_p(tu_path("%s/root/etc", f->tmp), 0755, &e), 0);
        assert_int_equal(mkfifo(tu_path("%s/root/etc/passwd", f->tmp), 0644), 0);
        resolve_err(f, "0", "etc/passwd in the container root is not a regular file");
        resolve_err(f, "root", "etc/passwd in the container root is not a regular file");
        assert_int_equal(unlink(tu_path("%s/root/etc/passwd", f->tmp)), 0);
        /* a directory */
        assert_int_equal(mkdir(tu_path("%s/root/etc/passwd", f->tmp), 0755), 0);
        resolve_err(f, "0", "etc/passwd in the container root is not a regular file");
        assert_int_equal(rmdir(tu_path("%s/root/etc/passwd", f->tmp)), 0);
        /* the same for group */
        put(f, false, "etc/passwd", passwd_text);
        assert_int_equal(mkfifo(tu_path("%s/root/etc/group", f->tmp), 0644), 0);
        resolve_err(f, "alice", "etc/group in the container root is not a regular file");
        resolve_err(f, "0:wheel", "etc/group in the container root is not a regular file");
        /* a number alone needs no group file */
        resolve_ok(f, "4242", 4242, 0, "/", NULL, 0);
}

static void test_too_large(void **state)
{
        fixture_t *f = *state;
        int fd;

        put(f, false, "etc/passwd", "");
        fd = open(tu_path("%s/root/etc/passwd", f->tmp), O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
        close(fd);
        resolve_err(f, "0", "etc/passwd in the container root is larger than 4194304 bytes");
        /* exactly the cap is fine (a sparse file of NULs has no entries) */
        fd = open(tu_path("%s/root/etc/passwd", f->tmp), O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 4 << 20), 0);
        close(fd);
        resolve_ok(f, "0", 0, 0, "/", NULL, 0);
}

static void test_user_clear(void **state)
{
        engine_user_t u = {0};

        engine_user_clear(&u);
        engine_user_clear(&u);
        engine_user_clear(NULL);
        assert_null(u.home);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_user_default),
                T(test_user_name),
                T(test_user_uid),
                T(test_user_explicit_group),
                T(test_user_errors),
                T(test_user_group_out_of_range),
                T(test_user_no_files),
                T(test_user_no_group_file),
                T(test_user_no_passwd_file),
                T(test_symlink_to_host_absolute),
                T(test_symlink_absolute_inside),
                T(test_symlink_relative_escape),
                T(test_symlink_etc_dir),
                T(test_not_regular),
                T(test_too_large),
                cmocka_unit_test(test_user_clear),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
