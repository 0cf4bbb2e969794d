/* cell: unit tests for the base images (lib/image/base.c): the busybox image
 * is deterministic, an imported tar becomes a one-layer image whose config
 * names it, and the store stays clean. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "config.h"
#include "fsutil.h"
#include "store.h"
#include "strutil.h"
#include "testutil.h"

static image_store_t *open_store(const char *dir, const char *name)
{
        image_store_t *s = NULL;
        cell_error_t err = {0};
        char *root = str_printf("%s/%s", dir, name);

        assert_non_null(root);
        assert_int_equal(image_store_open(root, &s, &err), 0);
        free(root);
        return s;
}

static void test_busybox_deterministic(void **state)
{
        image_base_result_t a = {0}, b = {0};
        cell_error_t err = {0};
        image_store_t *s1, *s2;
        char **problems = NULL;

        if (access("/bin/busybox", X_OK) != 0)
                skip();
        unsetenv("SOURCE_DATE_EPOCH");
        s1 = open_store(*state, "one");
        s2 = open_store(*state, "two");
        assert_int_equal(image_base_busybox(s1, NULL, NULL, &a, &err), 0);
        assert_int_equal(image_base_busybox(s2, "/bin/busybox", NULL, &b, &err), 0);
        assert_string_equal(a.image_id, b.image_id);
        assert_string_equal(a.manifest_digest, b.manifest_digest);
        assert_string_equal(a.layer_digest, b.layer_digest);
        assert_true(a.layer_size > 100000);
        assert_int_equal(image_store_check(s1, false, &problems, &err), 0);
        strv_free(problems);
        image_store_close(s1);
        image_store_close(s2);
}

static void test_busybox_missing(void **state)
{
        image_base_result_t r = {0};
        cell_error_t err = {0};
        image_store_t *s = open_store(*state, "s");

        assert_true(image_base_busybox(s, "/nonexistent/busybox", NULL, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "busybox-static"));
        image_store_close(s);
}

static void test_from_tar(void **state)
{
        static char *const cmd[] = {(char *)"true", NULL};
        static char *const env[] = {(char *)"A=b", NULL};
        image_base_result_t r = {0};
        image_store_entry_t e = {0};
        cell_error_t err = {0};
        image_store_t *s = open_store(*state, "s");
        char *tar = str_printf("%s/x.tar", (char *)*state), *cfg = NULL, block[1024] = {0};
        image_config_t *c;
        size_t len = 0;
        int fd;

        assert_non_null(tar);
        /* two zero blocks: an empty tar */
        assert_int_equal(fs_write_atomic(tar, block, sizeof(block), 0644, &err), 0);
        fd = open(tar, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(image_base_from_tar(s, fd, "localhost/x:1", cmd, env, 1700000000, "test", &r, &err),
                         0);
        close(fd);
        assert_int_equal(r.layer_size, sizeof(block));
        assert_int_equal(image_store_lookup(s, "localhost/x:1", &e, &err), 0);
        assert_string_equal(e.digest, r.manifest_digest);
        assert_int_equal(image_store_blob_read(s, r.image_id, 0, &cfg, &len, &err), 0);
        c = image_config_parse(cfg, len, &err);
        assert_non_null(c);
        assert_int_equal(c->n_diff_ids, 1);
        assert_string_equal(c->diff_ids[0], r.layer_digest);
        assert_string_equal(c->created, "2023-11-14T22:13:20Z");
        assert_string_equal(c->config.cmd[0], "true");
        assert_string_equal(c->history[0].created_by, "test");
        image_config_free(c);
        free(cfg);
        free(tar);
        image_store_entry_clear(&e);
        image_store_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_busybox_deterministic, tu_setup_tmpdir,
                                                tu_teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_busybox_missing, tu_setup_tmpdir, tu_teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_from_tar, tu_setup_tmpdir, tu_teardown_tmpdir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
