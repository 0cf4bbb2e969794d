/* cell: unit tests for --env-file and -e (lib/engine/envfile.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "envfile.h"
#include "strutil.h"
#include "testutil.h"

/* Write data (len bytes) to dir/name and return the path. */
static const char *write_env(void **state, const char *name, const char *data, size_t len)
{
        char *path = tu_path("%s/%s", (char *)*state, name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        return path;
}

#define WRITE_ENV(name, literal) write_env(state, (name), (literal), sizeof(literal) - 1)

static char **read_ok(const char *path)
{
        char **env = NULL;
        cell_error_t e = {0};

        if (engine_env_file_read(path, &env, &e) < 0)
                fail_msg("engine_env_file_read(%s): %s", path, e.msg);
        assert_non_null(env);
        return env;
}

static void read_err(const char *path, const char *message)
{
        char **env = NULL;
        cell_error_t e = {0};

        assert_true(engine_env_file_read(path, &env, &e) < 0);
        assert_string_equal(e.msg, message);
        assert_null(env);
}

static void assert_env(char **env, const char *const *want, size_t n)
{
        assert_int_equal(strv_length(env), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(env[i], want[i]);
}

static void test_env_file_basic(void **state)
{
        const char *p = WRITE_ENV("basic", "A=1\n"
                                           "B=two words\n"
                                           "\n"
                                           "# a comment\n"
                                           "   # an indented comment\n"
                                           "C=\n"
                                           "D==x=y\n"
                                           "E=#not a comment\n");
        char **env = read_ok(p);
        const char *const want[] = {"A=1", "B=two words", "C=", "D==x=y", "E=#not a comment"};

        assert_env(env, want, 5);
        strv_free(env);
}

static void test_env_file_values_literal(void **state)
{
        /* docker keeps quotes, trailing space and leading space of a value */
        const char *p = WRITE_ENV("literal", "Q=\"quoted\"\n"
                                             "S='single'\n"
                                             "T=trailing  \n"
                                             "L=  leading\n"
                                             "U=caf\xc3\xa9\n"
                                             "X=$HOME\n");
        char **env = read_ok(p);
        const char *const want[] = {"Q=\"quoted\"", "S='single'",    "T=trailing  ",
                                    "L=  leading",  "U=caf\xc3\xa9", "X=$HOME"};

        assert_env(env, want, 6);
        strv_free(env);
}

static void test_env_file_leading_whitespace_and_crlf(void **state)
{
        const char *p = WRITE_ENV("ws", "  A=1\r\n"
                                        "\tB=2\r\n"
                                        " \t \n"
                                        "\r\n"
                                        "C=3"); /* no final newline */
        char **env = read_ok(p);
        const char *const want[] = {"A=1", "B=2", "C=3"};

        assert_env(env, want, 3);
        strv_free(env);
}

static void test_env_file_bom(void **state)
{
        const char *p = WRITE_ENV("bom", "\xef\xbb\xbf"
                                         "A=1\n"
                                         "B=2\n");
        char **env = read_ok(p);
        const char *const want[] = {"A=1", "B=2"};

        assert_env(env, want, 2);
        strv_free(env);
        /* only at the start of the file: later it is part of a name */
        p = WRITE_ENV("bom2", "A=1\n"
                              "\xef\xbb\xbf"
                              "B=2\n");
        env = read_ok(p);
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(env[1], "\xef\xbb\xbf"
                                    "B=2");
        strv_free(env);
}

static void test_env_file_bare_key(void **state)
{
        const char *p;
        char **env;

        setenv("CELL_TEST_SET", "from the caller", 1);
        setenv("CELL_TEST_EMPTY", "", 1);
        unsetenv("CELL_TEST_UNSET");
        p = WRITE_ENV("bare", "CELL_TEST_SET\n"
                              "CELL_TEST_UNSET\n"
                              "  CELL_TEST_EMPTY\n"
                              "Z=1\n");
        env = read_ok(p);
        {
                const char *const want[] = {"CELL_TEST_SET=from the caller", "CELL_TEST_EMPTY=", "Z=1"};

                assert_env(env, want, 3);
        }
        strv_free(env);
        unsetenv("CELL_TEST_SET");
        unsetenv("CELL_TEST_EMPTY");
}

static void test_env_file_empty(void **state)
{
        const char *p = WRITE_ENV("empty", "");
        char **env = read_ok(p);

        assert_int_equal(strv_length(env), 0);
        strv_free(env);
        p = WRITE_ENV("comments", "# nothing\n\n   \n");
        env = read_ok(p);
        assert_int_equal(strv_length(env), 0);
        strv_free(env);
}

static void test_env_file_replaces_ret(void **state)
{
        const char *p = WRITE_ENV("replace", "A=1\n");
        char **env = NULL;
        cell_error_t e = {0};

        assert_int_equal(strv_push(&env, "OLD=1"), 0);
        assert_int_equal(engine_env_file_read(p, &env, &e), 0);
        assert_int_equal(strv_length(env), 1);
        assert_string_equal(env[0], "A=1");
        strv_free(env);
}

static void test_env_file_errors(void **state)
{
        const char *p;

        p = WRITE_ENV("space", "A=1\n"
                               "B=2\n"
                               "A B=3\n");
        read_err(p, tu_path("%s:3: variable 'A B' contains whitespaces", p));

        p = WRITE_ENV("tab", "A\tB=1\n");
        read_err(p, tu_path("%s:1: variable 'A\tB' contains whitespaces", p));

        /* a bare key with trailing space is a name with a space in it */
        p = WRITE_ENV("trailing", "# c\nKEY \n");
        read_err(p, tu_path("%s:2: variable 'KEY ' contains whitespaces", p));

        p = WRITE_ENV("noname", "\n=value\n");
        read_err(p, tu_path("%s:2: no variable name on line '=value'", p));

        p = WRITE_ENV("utf8", "A=1\nB=\xff\xfe\n");
        read_err(p, tu_path("%s:2: invalid UTF-8", p));

        p = WRITE_ENV("overlong", "A=\xc0\xaf\n");
        read_err(p, tu_path("%s:1: invalid UTF-8", p));

        p = WRITE_ENV("surrogate", "A=\xed\xa0\x80\n");
        read_err(p, tu_path("%s:1: invalid UTF-8", p));

        p = WRITE_ENV("truncated", "A=\xe2\x82");
        read_err(p, tu_path("%s:1: invalid UTF-8", p));

        p = write_env(state, "nul", "A=1\nB=x\0y\n", 10);
        read_err(p, tu_path("%s:2: contains a NUL byte", p));

        p = tu_path("%s/missing", (char *)*state);
        read_err(p, tu_path("open %s: No such file or directory", p));
}

static void test_env_merge(void **state)
{
        char **env = NULL;
        cell_error_t e = {0};

        setenv("CELL_TEST_MERGE", "host value", 1);
        unsetenv("CELL_TEST_MERGE_UNSET");
        assert_int_equal(engine_env_merge(&env, "A=1", &e), 0);
        assert_int_equal(engine_env_merge(&env, "B=2", &e), 0);
        assert_int_equal(engine_env_merge(&env, "A=3", &e), 0); /* overrides in place */
        assert_int_equal(engine_env_merge(&env, "C=", &e), 0);
        assert_int_equal(engine_env_merge(&env, "CELL_TEST_MERGE", &e), 0);
        assert_int_equal(engine_env_merge(&env, "CELL_TEST_MERGE_UNSET", &e), 0); /* ignored */
        assert_int_equal(engine_env_merge(&env, "D=a=b", &e), 0);
        assert_int_equal(engine_env_merge(&env, "AB=x", &e), 0); /* a prefix of no other name */
        {
                const char *const want[] = {"A=3",   "B=2", "C=", "CELL_TEST_MERGE=host value",
                                            "D=a=b", "AB=x"};

                assert_env(env, want, 6);
        }
        /* a bare key replaces an earlier value with the caller's */
        assert_int_equal(engine_env_merge(&env, "B=local", &e), 0);
        setenv("B", "caller", 1);
        assert_int_equal(engine_env_merge(&env, "B", &e), 0);
        assert_string_equal(env[1], "B=caller");
        unsetenv("B");
        /* and an unset bare key leaves an earlier value alone */
        assert_int_equal(engine_env_merge(&env, "B", &e), 0);
        assert_string_equal(env[1], "B=caller");
        strv_free(env);
        unsetenv("CELL_TEST_MERGE");
}

static void test_env_merge_errors(void **state)
{
        char **env = NULL;
        cell_error_t e = {0};

        assert_true(engine_env_merge(&env, "=VALUE", &e) < 0);
        assert_string_equal(e.msg, "invalid environment variable: =VALUE");
        assert_true(engine_env_merge(&env, "", &e) < 0);
        assert_string_equal(e.msg, "invalid environment variable: ");
        assert_true(engine_env_merge(&env, "=", &e) < 0);
        assert_string_equal(e.msg, "invalid environment variable: =");
        assert_null(env);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup_tmpdir, tu_teardown_tmpdir)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_env_file_basic),
                T(test_env_file_values_literal),
                T(test_env_file_leading_whitespace_and_crlf),
                T(test_env_file_bom),
                T(test_env_file_bare_key),
                T(test_env_file_empty),
                T(test_env_file_replaces_ret),
                T(test_env_file_errors),
                cmocka_unit_test(test_env_merge),
                cmocka_unit_test(test_env_merge_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
