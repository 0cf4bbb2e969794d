/* cell: unit tests for the string helpers (lib/util/strutil.c). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strutil.h"

static void test_str_to_long_in_range(void **state)
{
        long v = -1;

        assert_int_equal(str_to_long("42", 0, 100, &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(str_to_long("0", 0, 100, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(str_to_long("100", 0, 100, &v), 0); /* bounds are inclusive */
        assert_int_equal(v, 100);
        assert_int_equal(str_to_long("-7", -10, 10, &v), 0);
        assert_int_equal(v, -7);
        assert_int_equal(str_to_long("-10", -10, 10, &v), 0);
        assert_int_equal(v, -10);
        assert_int_equal(str_to_long("9223372036854775807", 0, LONG_MAX, &v), 0);
        assert_true(v == LONG_MAX);
        assert_int_equal(str_to_long("-9223372036854775808", LONG_MIN, 0, &v), 0);
        assert_true(v == LONG_MIN);
}

static void test_str_to_long_out_of_range(void **state)
{
        long v = 1234;

        assert_int_equal(str_to_long("101", 0, 100, &v), -ERANGE);
        assert_int_equal(str_to_long("-1", 0, 100, &v), -ERANGE);
        assert_int_equal(str_to_long("-11", -10, 10, &v), -ERANGE);
        assert_int_equal(str_to_long("9223372036854775808", LONG_MIN, LONG_MAX, &v), -ERANGE);
        assert_int_equal(str_to_long("-9223372036854775809", LONG_MIN, LONG_MAX, &v), -ERANGE);
        assert_int_equal(str_to_long("99999999999999999999999", 0, 10, &v), -ERANGE);
        /* an error leaves the output alone */
        assert_int_equal(v, 1234);
}

static void test_str_to_long_invalid(void **state)
{
        long v = 1234;

        assert_int_equal(str_to_long(NULL, 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("abc", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("12abc", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("12 ", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("1.5", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("-", 0, 100, &v), -EINVAL);
        assert_int_equal(str_to_long("0x10", 0, 100, &v), -EINVAL); /* decimal only */
        assert_int_equal(v, 1234);
        /* leading zeros are still decimal, not octal */
        assert_int_equal(str_to_long("010", 0, 100, &v), 0);
        assert_int_equal(v, 10);
}

static void test_strv(void **state)
{
        char **v = NULL;
        const char *word = "two";

        assert_int_equal(strv_length(NULL), 0);
        assert_int_equal(strv_length(v), 0);
        assert_int_equal(strv_push(&v, "one"), 0);
        assert_non_null(v);
        assert_int_equal(strv_length(v), 1);
        assert_int_equal(strv_push(&v, word), 0);
        assert_int_equal(strv_push(&v, ""), 0);
        assert_int_equal(strv_length(v), 3);
        assert_string_equal(v[0], "one");
        assert_string_equal(v[1], "two");
        assert_string_equal(v[2], "");
        assert_null(v[3]);
        /* the vector owns copies */
        assert_ptr_not_equal(v[1], word);
        strv_free(v);
        strv_free(NULL);
}

static void test_strv_many(void **state)
{
        char **v = NULL;
        char buf[32];

        for (int i = 0; i < 1000; i++) {
                snprintf(buf, sizeof(buf), "item-%d", i);
                assert_int_equal(strv_push(&v, buf), 0);
        }
        assert_int_equal(strv_length(v), 1000);
        assert_string_equal(v[999], "item-999");
        assert_null(v[1000]);
        strv_free(v);
}

static void test_str_copy(void **state)
{
        char buf[8];

        assert_true(str_copy(buf, sizeof(buf), "short"));
        assert_string_equal(buf, "short");
        assert_true(str_copy(buf, sizeof(buf), "1234567")); /* exactly fits with the NUL */
        assert_string_equal(buf, "1234567");
        assert_false(str_copy(buf, sizeof(buf), "12345678"));
        assert_string_equal(buf, "1234567"); /* truncated, still terminated */
        assert_false(str_copy(buf, sizeof(buf), "a much longer string"));
        assert_string_equal(buf, "a much ");
        assert_true(str_copy(buf, sizeof(buf), ""));
        assert_string_equal(buf, "");
        assert_false(str_copy(buf, 1, "x"));
        assert_string_equal(buf, "");
        buf[0] = 'q';
        assert_false(str_copy(buf, 0, "x")); /* nothing written */
        assert_int_equal(buf[0], 'q');
}

static void test_str_printf(void **state)
{
        char *s = str_printf("%s-%d", "abc", 42);

        assert_non_null(s);
        assert_string_equal(s, "abc-42");
        free(s);
}

static void test_str_eq_and_prefix(void **state)
{
        assert_true(str_eq("a", "a"));
        assert_false(str_eq("a", "b"));
        assert_false(str_eq(NULL, "a"));
        assert_false(str_eq("a", NULL));
        assert_false(str_eq(NULL, NULL));
        assert_true(str_has_prefix("RLIMIT_NOFILE", "RLIMIT_"));
        assert_true(str_has_prefix("abc", ""));
        assert_false(str_has_prefix("RL", "RLIMIT_"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_str_to_long_in_range),
                cmocka_unit_test(test_str_to_long_out_of_range),
                cmocka_unit_test(test_str_to_long_invalid),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_strv_many),
                cmocka_unit_test(test_str_copy),
                cmocka_unit_test(test_str_printf),
                cmocka_unit_test(test_str_eq_and_prefix),
        };

        return cmocka_run_group_tests_name("strutil", tests, NULL, NULL);
}
