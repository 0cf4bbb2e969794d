/* cell: unit tests for .dockerignore matching (lib/build/ignore.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ignore.h"

static dockerignore_t *ig_ok(const char *text)
{
        dockerignore_t *ig = NULL;
        cell_error_t e = {0};

        if (dockerignore_parse(text, strlen(text), &ig, &e) < 0)
                fail_msg("dockerignore_parse: %s", e.msg);
        assert_non_null(ig);
        return ig;
}

static void ig_err(const char *text, const char *message)
{
        dockerignore_t *ig = NULL;
        cell_error_t e = {0};

        assert_true(dockerignore_parse(text, strlen(text), &ig, &e) < 0);
        assert_string_equal(e.msg, message);
        assert_null(ig);
}

static void assert_patterns(const dockerignore_t *ig, const char *const *want, size_t n)
{
        assert_int_equal(dockerignore_count(ig), n);
        for (size_t i = 0; i < n; i++) {
                bool exclusion = false;
                const char *p = dockerignore_pattern(ig, i, &exclusion);
                char buf[256];

                snprintf(buf, sizeof(buf), "%s%s", exclusion ? "!" : "", p);
                assert_string_equal(buf, want[i]);
        }
}

#define EXCLUDED(ig, path)     assert_true(dockerignore_excluded((ig), (path)))
#define NOT_EXCLUDED(ig, path) assert_false(dockerignore_excluded((ig), (path)))

static void test_syntax(void **state)
{
        dockerignore_t *ig = ig_ok("\xef\xbb\xbf# a comment\n"
                                   "\n"
                                   "   \n"
                                   "  foo  \n"
                                   "/bar\n"
                                   "./baz/\n"
                                   "a//b/../c\n"
                                   "! keep\n"
                                   " #not-a-comment\n"
                                   "dir/.\r\n"
                                   "../up\n"
                                   "/\n");

        assert_patterns(ig,
                        (const char *const[]){"foo", "bar", "baz", "a/c", "!keep", "#not-a-comment", "dir",
                                              "../up", "/"},
                        9);
        dockerignore_free(ig);

        ig = ig_ok("");
        assert_int_equal(dockerignore_count(ig), 0);
        NOT_EXCLUDED(ig, "anything");
        dockerignore_free(ig);
}

static void test_errors(void **state)
{
        ig_err("ok\n[a\n", ".dockerignore:2: bad pattern \"[a\"");
        ig_err("a\\", ".dockerignore:1: bad pattern \"a\\\"");
        ig_err("x\n\n!\n", ".dockerignore:3: illegal exclusion pattern: \"!\"");
        ig_err("[]a\n", ".dockerignore:1: bad pattern \"[]a\"");
        ig_err("[a-]\n", ".dockerignore:1: bad pattern \"[a-]\"");
        ig_err("x[z-a]\n", ".dockerignore:1: bad pattern \"x[z-a]\"");
}

static void test_match_star_question(void **state)
{
        assert_true(dockerignore_match("*.log", "a.log"));
        assert_true(dockerignore_match("*.log", ".log"));
        assert_false(dockerignore_match("*.log", "dir/a.log"));
        assert_true(dockerignore_match("*/a.log", "dir/a.log"));
        assert_false(dockerignore_match("*/a.log", "x/dir/a.log"));
        assert_true(dockerignore_match("a?c", "abc"));
        assert_false(dockerignore_match("a?c", "a/c"));
        assert_false(dockerignore_match("a?c", "ac"));
        assert_true(dockerignore_match("a?c", "a\xc3\xa9"
                                              "c")); /* one character, two bytes */
        assert_true(dockerignore_match("*", "anything"));
        assert_false(dockerignore_match("*", "a/b"));
        assert_true(dockerignore_match("a*b*c", "a-b-b-c"));
        assert_false(dockerignore_match("a*b*c", "a-b-b-d"));
        assert_true(dockerignore_match("exact", "exact"));
        assert_false(dockerignore_match("exact", "exactly"));
}

static void test_match_classes_escapes(void **state)
{
        assert_true(dockerignore_match("[a-c]x", "bx"));
        assert_false(dockerignore_match("[a-c]x", "dx"));
        assert_true(dockerignore_match("[^a]x", "bx"));
        assert_false(dockerignore_match("[^a]x", "ax"));
        assert_true(dockerignore_match("[abc]", "c"));
        assert_true(dockerignore_match("[!a]", "!")); /* ! is a member, ^ negates */
        assert_false(dockerignore_match("[!a]", "b"));
        assert_true(dockerignore_match("a.c", "a.c"));
        assert_false(dockerignore_match("a.c", "abc"));
        assert_true(dockerignore_match("a**", "a/b/c"));
        assert_true(dockerignore_match("a**b", "ab"));
        assert_true(dockerignore_match("a**b", "ax/b"));
        assert_true(dockerignore_match("[\\]]", "]"));
        assert_true(dockerignore_match("\\*", "*"));
        assert_false(dockerignore_match("\\*", "a"));
        assert_true(dockerignore_match("a\\?", "a?"));
        assert_false(dockerignore_match("a\\?", "ab"));
        assert_true(dockerignore_match("[\xc3\xa0-\xc3\xbf]", "\xc3\xa9"));
}

static void test_match_doublestar(void **state)
{
        assert_true(dockerignore_match("**", "a/b/c"));
        assert_true(dockerignore_match("**/*.log", "a.log"));
        assert_true(dockerignore_match("**/*.log", "x/y/a.log"));
        assert_false(dockerignore_match("**/*.log", "x/y/a.txt"));
        assert_true(dockerignore_match("a/**/b", "a/b"));
        assert_true(dockerignore_match("a/**/b", "a/x/y/b"));
        assert_false(dockerignore_match("a/**/b", "a/x/y/c"));
        assert_false(dockerignore_match("a/**/b", "ab"));
        assert_true(dockerignore_match("a/**", "a/x"));
        assert_true(dockerignore_match("a/**", "a/x/y"));
        assert_false(dockerignore_match("a/**", "a"));
        assert_true(dockerignore_match("**/node_modules", "node_modules"));
        assert_true(dockerignore_match("**/node_modules", "pkg/node_modules"));
        assert_false(dockerignore_match("**/node_modules", "pkg/node_modules2"));
        /* Many stars against a long path stay fast. */
        assert_false(dockerignore_match("**/*a*a*a*a*a*a*a*a*a*b",
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_excluded_parents(void **state)
{
        dockerignore_t *ig = ig_ok("node_modules\n*.log\n/build/out\n");

        EXCLUDED(ig, "node_modules");
        EXCLUDED(ig, "node_modules/x/y.js");
        NOT_EXCLUDED(ig, "src/node_modules"); /* patterns are anchored at the root */
        EXCLUDED(ig, "a.log");
        NOT_EXCLUDED(ig, "logs/a.log");
        EXCLUDED(ig, "build/out/bin");
        NOT_EXCLUDED(ig, "build/other");
        EXCLUDED(ig, "./node_modules//x");
        EXCLUDED(ig, "/a.log");
        NOT_EXCLUDED(ig, "src/main.c");
        dockerignore_free(ig);
}

static void test_exclusions_last_wins(void **state)
{
        dockerignore_t *ig = ig_ok("*.md\n!README.md\n");

        EXCLUDED(ig, "CHANGES.md");
        NOT_EXCLUDED(ig, "README.md");
        dockerignore_free(ig);

        ig = ig_ok("!README.md\n*.md\n");
        EXCLUDED(ig, "README.md");
        dockerignore_free(ig);

        ig = ig_ok("*\n!src\nsrc/*.tmp\n!src/keep.tmp\n");
        EXCLUDED(ig, "Makefile");
        NOT_EXCLUDED(ig, "src");
        NOT_EXCLUDED(ig, "src/a.c");
        EXCLUDED(ig, "src/b.tmp");
        NOT_EXCLUDED(ig, "src/keep.tmp");
        dockerignore_free(ig);

        ig = ig_ok("**\n!**/*.go\n");
        EXCLUDED(ig, "README");
        NOT_EXCLUDED(ig, "cmd/main.go");
        dockerignore_free(ig);
}

static void test_may_reinclude(void **state)
{
        dockerignore_t *ig = ig_ok("build\n!build/keep.txt\nvendor\n!a/*/c\n");

        EXCLUDED(ig, "build");
        NOT_EXCLUDED(ig, "build/keep.txt");
        EXCLUDED(ig, "build/other");
        assert_true(dockerignore_may_reinclude(ig, "build"));
        assert_false(dockerignore_may_reinclude(ig, "build/sub"));
        assert_false(dockerignore_may_reinclude(ig, "vendor"));
        assert_true(dockerignore_may_reinclude(ig, "a"));
        assert_true(dockerignore_may_reinclude(ig, "a/b"));
        assert_true(dockerignore_may_reinclude(ig, "a/b/c"));
        assert_false(dockerignore_may_reinclude(ig, "x/b"));
        dockerignore_free(ig);

        ig = ig_ok("*\n!**/keep\n");
        assert_true(dockerignore_may_reinclude(ig, "any/dir"));
        dockerignore_free(ig);

        ig = ig_ok("*\n!x*/**/keep\n");
        assert_true(dockerignore_may_reinclude(ig, "xa/b/c"));
        assert_false(dockerignore_may_reinclude(ig, "ya/b/c"));
        dockerignore_free(ig);

        ig = ig_ok("data\n");
        assert_false(dockerignore_may_reinclude(ig, "data"));
        dockerignore_free(ig);
}

static void test_doublestar_lists(void **state)
{
        dockerignore_t *ig = ig_ok("**\n!**/\n");

        /* A trailing slash is cleaned away: everything comes back. */
        NOT_EXCLUDED(ig, "a/b");
        dockerignore_free(ig);

        ig = ig_ok("**/.git\n**/*.pyc\n!keep/**/*.pyc\n");
        EXCLUDED(ig, ".git");
        EXCLUDED(ig, "sub/.git/config");
        EXCLUDED(ig, "a/b/c.pyc");
        NOT_EXCLUDED(ig, "keep/c.pyc");
        NOT_EXCLUDED(ig, "keep/x/y/c.pyc");
        NOT_EXCLUDED(ig, "a/b/c.py");
        assert_true(dockerignore_may_reinclude(ig, "keep/x"));
        assert_false(dockerignore_may_reinclude(ig, "other"));
        dockerignore_free(ig);
}

static void test_new_from_list(void **state)
{
        const char *pats[] = {"*.tmp", "!/keep.tmp", NULL};
        dockerignore_t *ig = NULL;
        cell_error_t e = {0};

        assert_int_equal(dockerignore_new(pats, &ig, &e), 0);
        EXCLUDED(ig, "x.tmp");
        NOT_EXCLUDED(ig, "keep.tmp");
        dockerignore_free(ig);

        const char *bad[] = {"[z", NULL};
        ig = NULL;
        assert_true(dockerignore_new(bad, &ig, &e) < 0);
        assert_string_equal(e.msg, "bad pattern \"[z\"");
        assert_null(ig);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_match_star_question),
                cmocka_unit_test(test_match_classes_escapes),
                cmocka_unit_test(test_match_doublestar),
                cmocka_unit_test(test_excluded_parents),
                cmocka_unit_test(test_exclusions_last_wins),
                cmocka_unit_test(test_may_reinclude),
                cmocka_unit_test(test_doublestar_lists),
                cmocka_unit_test(test_new_from_list),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
