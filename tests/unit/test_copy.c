/* cell: unit tests for `cell cp` (lib/engine/copy.c).
 *
 * Each test builds a container root in a temporary directory, next to a
 * "host" directory with a file the container must never reach. The root is
 * hostile: a symlink aimed at the host directory by its absolute path, one
 * that climbs out with "..", and a symlink as the destination's last name.
 * What must hold: reads and writes through them land inside the root (or
 * fail), and the host's file and directory stay as they were. */
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

#include "copy.h"
#include "testutil.h"

typedef struct {
        char *tmp; /* tmp/root: the container's root; tmp/host: the host's */
        int rootfd;
} fixture_t;

static void put(const char *path, const char *text)
{
        FILE *fp = fopen(path, "we");

        assert_non_null(fp);
        assert_true(fputs(text, fp) >= 0);
        assert_int_equal(fclose(fp), 0);
}

static char *slurp(const char *path)
{
        static char buf[4096];
        FILE *fp = fopen(path, "re");
        size_t n;

        if (!fp)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        buf[n] = '\0';
        fclose(fp);
        return buf;
}

static int setup(void **state)
{
        fixture_t *f = calloc(1, sizeof(*f));
        void *tmp = NULL;
        cell_error_t e = {0};

        if (!f || tu_setup_tmpdir(&tmp) < 0)
                return -1;
        f->tmp = tmp;
        if (fs_mkdir_p(tu_path("%s/root/etc", f->tmp), 0755, &e) < 0 ||
            fs_mkdir_p(tu_path("%s/host", f->tmp), 0755, &e) < 0 ||
            fs_mkdir_p(tu_path("%s/root%s/host", f->tmp, f->tmp), 0755, &e) < 0)
                return -1;
        put(tu_path("%s/host/secret", f->tmp), "host");
        put(tu_path("%s/root%s/host/secret", f->tmp, f->tmp), "inside");
        put(tu_path("%s/root/etc/marker", f->tmp), "marker");
        put(tu_path("%s/src", f->tmp), "payload");
        if (symlink(tu_path("%s/host", f->tmp), tu_path("%s/root/abs", f->tmp)) < 0 ||
            symlink("../../../../../../../../..", tu_path("%s/root/up", f->tmp)) < 0 ||
            symlink(tu_path("%s/host/secret", f->tmp), tu_path("%s/root/absfile", f->tmp)) < 0)
                return -1;
        f->rootfd = open(tu_path("%s/root", f->tmp), O_PATH | O_DIRECTORY | O_CLOEXEC);
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

static void assert_host_intact(fixture_t *f)
{
        struct stat st;

        assert_string_equal(slurp(tu_path("%s/host/secret", f->tmp)), "host");
        assert_int_equal(stat(tu_path("%s/host/new", f->tmp), &st), -1);
        assert_int_equal(stat(tu_path("%s/host/src", f->tmp), &st), -1);
}

static void test_split(void **state)
{
        char *c = NULL, *p = NULL;

        (void)state;
        assert_true(engine_cp_split("ctr:/a/b", &c, &p));
        assert_string_equal(c, "ctr");
        assert_string_equal(p, "/a/b");
        free(c);
        free(p);
        assert_true(engine_cp_split("ctr:", &c, &p));
        assert_string_equal(p, "");
        free(c);
        free(p);
        assert_false(engine_cp_split("/abs/x:y", &c, &p));
        assert_null(c);
        assert_false(engine_cp_split("./x:y", &c, &p));
        assert_false(engine_cp_split("plain", &c, &p));
        assert_false(engine_cp_split("-", &c, &p));
}

static void test_read_through_absolute_link(void **state)
{
        fixture_t *f = *state;
        engine_copy_opts_t o = {.name = "c"};
        cell_error_t e = {0};

        assert_int_equal(engine_copy_out(f->rootfd, "/abs/secret", tu_path("%s/out", f->tmp), &o, &e), 0);
        assert_string_equal(slurp(tu_path("%s/out", f->tmp)), "inside");
        o.follow = true;
        assert_int_equal(engine_copy_out(f->rootfd, "/absfile", tu_path("%s/out2", f->tmp), &o, &e), 0);
        assert_string_equal(slurp(tu_path("%s/out2", f->tmp)), "inside");
        assert_host_intact(f);
}

static void test_read_through_dotdot_link(void **state)
{
        fixture_t *f = *state;
        engine_copy_opts_t o = {.name = "c"};
        cell_error_t e = {0};

        assert_int_equal(engine_copy_out(f->rootfd, "/up/up/etc/marker", tu_path("%s/out", f->tmp), &o, &e),
                         0);
        assert_string_equal(slurp(tu_path("%s/out", f->tmp)), "marker");
        assert_int_equal(engine_copy_out(f->rootfd, tu_path("/up%s/host/secret", f->tmp),
                                         tu_path("%s/out2", f->tmp), &o, &e),
                         0);
        assert_string_equal(slurp(tu_path("%s/out2", f->tmp)), "inside");
        /* Missing in the container (present on the host): not found. */
        assert_true(engine_copy_out(f->rootfd, "/up/etc/hostname-nope", tu_path("%s/out3", f->tmp), &o, &e) <
                    0);
        assert_string_equal(e.msg, "Could not find the file /up/etc/hostname-nope in container c");
}

static void test_write_through_links(void **state)
{
        fixture_t *f = *state;
        engine_copy_opts_t o = {.name = "c"};
        cell_error_t e = {0};
        const char *src = tu_path("%s/src", f->tmp);

        /* An existing file behind an absolute link: overwritten in the root. */
        assert_int_equal(engine_copy_in(f->rootfd, src, "/absfile", &o, &e), 0);
        assert_string_equal(slurp(tu_path("%s/root%s/host/secret", f->tmp, f->tmp)), "payload");
        /* A directory behind links: the new file lands in the root. */
        assert_int_equal(engine_copy_in(f->rootfd, src, "/abs/new", &o, &e), 0);
        assert_string_equal(slurp(tu_path("%s/root%s/host/new", f->tmp, f->tmp)), "payload");
        assert_int_equal(engine_copy_in(f->rootfd, src, tu_path("/up%s/host/", f->tmp), &o, &e), 0);
        assert_string_equal(slurp(tu_path("%s/root%s/host/src", f->tmp, f->tmp)), "payload");
        assert_host_intact(f);
}

static void test_symlink_replaced_not_followed(void **state)
{
        fixture_t *f = *state;
        engine_copy_opts_t o = {.name = "c"};
        cell_error_t e = {0};
        char buf[PATH_MAX];
        ssize_t n;

        /* A host symlink copied onto a container symlink replaces it. */
        assert_int_equal(symlink("target", tu_path("%s/hostlink", f->tmp)), 0);
        assert_int_equal(engine_copy_in(f->rootfd, tu_path("%s/hostlink", f->tmp), "/absfile", &o, &e), 0);
        n = readlink(tu_path("%s/root/absfile", f->tmp), buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_string_equal(buf, "target");
        assert_host_intact(f);
}

static void test_tar_dotdot_refused(void **state)
{
        fixture_t *f = *state;
        engine_copy_opts_t o = {.name = "c"};
        cell_error_t e = {0};
        int fds[2];

        /* A tar of "../x" made by engine_copy_out_tar's counterpart would be
         * refused; build one by hand: a ustar header with that name. */
        {
                char hdr[512] = {0}, zero[1024] = {0};
                unsigned sum = 0;

                memcpy(hdr, "../escape", 9);
                memcpy(hdr + 100, "0000644", 7);
                memcpy(hdr + 108, "0000000", 7);
                memcpy(hdr + 116, "0000000", 7);
                memcpy(hdr + 124, "00000000000", 11);
                memcpy(hdr + 136, "00000000000", 11);
                hdr[156] = '0';
                memcpy(hdr + 257, "ustar", 6);
                memcpy(hdr + 263, "00", 2);
                memset(hdr + 148, ' ', 8);
                for (size_t i = 0; i < sizeof(hdr); i++)
                        sum += (unsigned char)hdr[i];
                snprintf(hdr + 148, 8, "%06o", sum);
                assert_int_equal(pipe(fds), 0);
                assert_int_equal(write(fds[1], hdr, sizeof(hdr)), 512);
                assert_int_equal(write(fds[1], zero, sizeof(zero)), 1024);
                close(fds[1]);
        }
        assert_true(engine_copy_in_tar(f->rootfd, fds[0], "/etc", &o, &e) < 0);
        close(fds[0]);
        assert_string_equal(e.msg, "archive entry \"../escape\": a path with \"..\"");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),          T(test_read_through_absolute_link),
                T(test_read_through_dotdot_link),      T(test_write_through_links),
                T(test_symlink_replaced_not_followed), T(test_tar_dotdot_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
