/* cell: unit tests for the runc-style option parser (cli/options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

enum { OPT_NAME = 1, OPT_DETACH, OPT_BUNDLE, OPT_PID_FILE, OPT_ROOTLESS };

static const cli_option_t opts[] = {
        {"name", 0, true, OPT_NAME},          {"detach", 'd', false, OPT_DETACH},
        {"bundle", 'b', true, OPT_BUNDLE},    {"pid-file", 0, true, OPT_PID_FILE},
        {"rootless", 0, false, OPT_ROOTLESS}, {NULL, 0, false, 0},
};

/* The parser never writes to argv; string literals stand in for it. */
#define PARSER(...)                                                                                          \
        const char *argv_[] = {__VA_ARGS__};                                                                 \
        cli_parser_t p = {.argc = (int)(sizeof(argv_) / sizeof(argv_[0])), .argv = (char **)argv_, .index = 0}

static void test_long_with_separate_value(void **state)
{
        PARSER("--name", "box", "--pid-file", "/run/box.pid");

        assert_int_equal(cli_next_option(&p, opts), OPT_NAME);
        assert_string_equal(p.value, "box");
        assert_int_equal(cli_next_option(&p, opts), OPT_PID_FILE);
        assert_string_equal(p.value, "/run/box.pid");
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 4);
}

static void test_long_with_equals(void **state)
{
        PARSER("--name=box", "--bundle=/a=b", "--name=");

        assert_int_equal(cli_next_option(&p, opts), OPT_NAME);
        assert_string_equal(p.value, "box");
        assert_int_equal(cli_next_option(&p, opts), OPT_BUNDLE);
        assert_string_equal(p.value, "/a=b"); /* only the first '=' separates */
        assert_int_equal(cli_next_option(&p, opts), OPT_NAME);
        assert_string_equal(p.value, "");
        assert_int_equal(cli_next_option(&p, opts), 0);
}

/* runc (urfave/cli) accepts a single dash on long names. */
static void test_single_dash_long_name(void **state)
{
        PARSER("-name", "box", "-bundle=/b", "-rootless");

        assert_int_equal(cli_next_option(&p, opts), OPT_NAME);
        assert_string_equal(p.value, "box");
        assert_int_equal(cli_next_option(&p, opts), OPT_BUNDLE);
        assert_string_equal(p.value, "/b");
        assert_int_equal(cli_next_option(&p, opts), OPT_ROOTLESS);
        assert_null(p.value);
        assert_int_equal(cli_next_option(&p, opts), 0);
}

static void test_short_options(void **state)
{
        PARSER("-d", "-b", "/bundle", "--detach");

        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_null(p.value);
        assert_int_equal(cli_next_option(&p, opts), OPT_BUNDLE);
        assert_string_equal(p.value, "/bundle");
        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 4);
}

static void test_bool_flag_false(void **state)
{
        PARSER("--detach=false", "--detach=true");

        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_string_equal(p.value, "false");
        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_null(p.value);
}

/* The container's command line is never taken for cell's options. */
static void test_stops_at_first_positional(void **state)
{
        PARSER("-d", "box", "--name", "x", "-d");

        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 1);
        assert_string_equal(p.argv[p.index], "box");
        /* and stays stopped */
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 1);
}

static void test_value_that_looks_like_an_option(void **state)
{
        PARSER("--name", "-d", "ctr");

        assert_int_equal(cli_next_option(&p, opts), OPT_NAME);
        assert_string_equal(p.value, "-d");
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 2);
}

static void test_single_dash_is_positional(void **state)
{
        PARSER("-", "-d");

        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 0);
}

static void test_double_dash_ends_options(void **state)
{
        PARSER("-d", "--", "--name", "x");

        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_int_equal(cli_next_option(&p, opts), 0);
        assert_int_equal(p.index, 2); /* "--" is consumed */
        assert_string_equal(p.argv[p.index], "--name");
}

static void test_no_arguments(void **state)
{
        cli_parser_t p = {.argc = 0, .argv = NULL, .index = 0};

        assert_int_equal(cli_next_option(&p, opts), 0);
}

static void test_unknown_option(void **state)
{
        PARSER("--bogus", "x");

        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "unknown option"));
        assert_non_null(strstr(p.errbuf, "--bogus"));
}

static void test_unknown_short_option(void **state)
{
        PARSER("-z");

        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "-z"));
}

/* "--d" is not the short option -d, and an unknown name with '=' is reported whole. */
static void test_double_dash_short_name_unknown(void **state)
{
        PARSER("--d", "--nam=x");

        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "--d"));
        p.index = 1;
        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "--nam=x"));
}

static void test_missing_value(void **state)
{
        PARSER("-d", "--name");

        assert_int_equal(cli_next_option(&p, opts), OPT_DETACH);
        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "--name"));
        assert_non_null(strstr(p.errbuf, "needs a value"));
}

static void test_missing_value_short(void **state)
{
        PARSER("-b");

        assert_int_equal(cli_next_option(&p, opts), -1);
        assert_non_null(strstr(p.errbuf, "-b"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_long_with_separate_value),
                cmocka_unit_test(test_long_with_equals),
                cmocka_unit_test(test_single_dash_long_name),
                cmocka_unit_test(test_short_options),
                cmocka_unit_test(test_bool_flag_false),
                cmocka_unit_test(test_stops_at_first_positional),
                cmocka_unit_test(test_value_that_looks_like_an_option),
                cmocka_unit_test(test_single_dash_is_positional),
                cmocka_unit_test(test_double_dash_ends_options),
                cmocka_unit_test(test_no_arguments),
                cmocka_unit_test(test_unknown_option),
                cmocka_unit_test(test_unknown_short_option),
                cmocka_unit_test(test_double_dash_short_name_unknown),
                cmocka_unit_test(test_missing_value),
                cmocka_unit_test(test_missing_value_short),
        };

        return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
