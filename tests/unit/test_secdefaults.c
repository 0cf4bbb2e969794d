/* cell: unit tests for the capability and path defaults
 * (lib/engine/secdefaults.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secdefaults.h"
#include "strutil.h"

/* Capabilities in our own bounding set: what --privileged and --cap-add
 * ALL can grant (a sandbox may lack some). */
static size_t caps_grantable(void)
{
        size_t n = 0;

        for (int v = 0; prctl(PR_CAPBSET_READ, v, 0, 0, 0) >= 0; v++)
                n += prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1;
        return n;
}

static bool has(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* Sorted and unique. */
static void assert_sorted(char *const *v)
{
        for (size_t i = 0; v[i] && v[i + 1]; i++)
                if (strcmp(v[i], v[i + 1]) >= 0)
                        fail_msg("not sorted and unique at %zu: %s, %s", i, v[i], v[i + 1]);
}

static char **resolve(char *const *add, char *const *drop, bool privileged)
{
        cell_error_t err = {0};
        char **caps = NULL;

        if (engine_caps_resolve(add, drop, privileged, &caps, &err) < 0)
                fail_msg("engine_caps_resolve: %s", err.msg);
        assert_non_null(caps);
        assert_sorted(caps);
        return caps;
}

/* The API takes char *const * (argv-like vectors); literals are const. */
#define V(...) ((char *const *)(const char *const[]){__VA_ARGS__, NULL})

static void test_default_caps(void **state)
{
        const char *const *d = engine_default_caps();
        char **caps = resolve(NULL, NULL, false);
        size_t n = 0;

        while (d[n])
                n++;
        assert_int_equal(n, 14);
        assert_int_equal(strv_length(caps), 14);
        for (size_t i = 0; d[i]; i++)
                assert_true(has(caps, d[i]));
        assert_false(has(caps, "CAP_SYS_ADMIN"));
        assert_false(has(caps, "CAP_NET_ADMIN"));
        strv_free(caps);
}

static void test_add_and_drop_spellings(void **state)
{
        char **caps = resolve(V("sys_admin", "CAP_NET_ADMIN", "Cap_Sys_Ptrace", "CHOWN"),
                              V("net_raw", "cap_mknod", "CAP_SYS_CHROOT"), false);

        assert_true(has(caps, "CAP_SYS_ADMIN"));
        assert_true(has(caps, "CAP_NET_ADMIN"));
        assert_true(has(caps, "CAP_SYS_PTRACE"));
        assert_true(has(caps, "CAP_CHOWN"));
        assert_false(has(caps, "CAP_NET_RAW"));
        assert_false(has(caps, "CAP_MKNOD"));
        assert_false(has(caps, "CAP_SYS_CHROOT"));
        assert_int_equal(strv_length(caps), 14 + 3 - 3);
        strv_free(caps);
}

static void test_add_all(void **state)
{
        char **caps = resolve(V("ALL"), NULL, false);

        assert_int_equal(strv_length(caps), caps_grantable());
        strv_free(caps);

        /* ALL in add keeps what is dropped out. */
        caps = resolve(V("all"), V("sys_admin", "CAP_SYS_MODULE"), false);
        assert_int_equal(strv_length(caps), caps_grantable() - 2);
        assert_false(has(caps, "CAP_SYS_ADMIN"));
        assert_false(has(caps, "CAP_SYS_MODULE"));
        assert_true(has(caps, "CAP_NET_ADMIN"));
        strv_free(caps);
}

static void test_drop_all_then_add(void **state)
{
        char **caps = resolve(V("NET_BIND_SERVICE"), V("ALL"), false);

        assert_int_equal(strv_length(caps), 1);
        assert_string_equal(caps[0], "CAP_NET_BIND_SERVICE");
        strv_free(caps);

        caps = resolve(NULL, V("all"), false);
        assert_int_equal(strv_length(caps), 0);
        strv_free(caps);
}

static void test_duplicates(void **state)
{
        char **caps = resolve(V("chown", "CAP_CHOWN", "sys_admin", "SYS_ADMIN"), NULL, false);

        assert_int_equal(strv_length(caps), 15);
        strv_free(caps);
}

static void test_privileged(void **state)
{
        char **caps = resolve(NULL, NULL, true);

        assert_int_equal(strv_length(caps), caps_grantable());
        assert_true(has(caps, "CAP_SYS_ADMIN"));
        strv_free(caps);

        /* --privileged wins over --cap-drop, as in Docker. */
        caps = resolve(NULL, V("ALL"), true);
        assert_int_equal(strv_length(caps), caps_grantable());
        strv_free(caps);
}

static void test_unknown_names(void **state)
{
        cell_error_t err = {0};
        char **caps = NULL;

        assert_true(engine_caps_resolve(V("CAP_FOO"), NULL, false, &caps, &err) < 0);
        assert_null(caps);
        assert_string_equal(err.msg, "--cap-add: unknown capability \"CAP_FOO\"");
        assert_int_equal(err.code, EINVAL);

        assert_true(engine_caps_resolve(NULL, V("chown", "sys-admin"), false, &caps, &err) < 0);
        assert_string_equal(err.msg, "--cap-drop: unknown capability \"sys-admin\"");

        /* libcap takes numbers; Docker and cell do not. */
        assert_true(engine_caps_resolve(V("21"), NULL, false, &caps, &err) < 0);
        assert_string_equal(err.msg, "--cap-add: unknown capability \"21\"");
        assert_true(engine_caps_resolve(V(""), NULL, false, &caps, &err) < 0);
        assert_true(engine_caps_resolve(V("CAP_"), NULL, false, &caps, &err) < 0);

        /* Names are checked for --privileged too. */
        assert_true(engine_caps_resolve(V("bogus"), NULL, true, &caps, &err) < 0);
        assert_null(caps);
}

static void assert_string_array(json_t *a, const char *const *want)
{
        size_t n = 0;

        assert_true(json_is_array(a));
        for (; want[n]; n++) {
                assert_true(json_is_string(json_array_get(a, n)));
                assert_string_equal(json_string_value(json_array_get(a, n)), want[n]);
        }
        assert_int_equal(json_array_size(a), n);
}

static void test_paths(void **state)
{
        json_t *m = engine_default_masked_paths(), *r = engine_default_readonly_paths();

        assert_string_array(m, (const char *const[]){"/proc/asound", "/proc/acpi", "/proc/kcore",
                                                     "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                                                     "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                                                     "/sys/firmware", "/sys/devices/virtual/powercap", NULL});
        assert_string_array(r, (const char *const[]){"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                     "/proc/sysrq-trigger", NULL});
        json_decref(m);
        json_decref(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_caps),  cmocka_unit_test(test_add_and_drop_spellings),
                cmocka_unit_test(test_add_all),       cmocka_unit_test(test_drop_all_then_add),
                cmocka_unit_test(test_duplicates),    cmocka_unit_test(test_privileged),
                cmocka_unit_test(test_unknown_names), cmocka_unit_test(test_paths),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
