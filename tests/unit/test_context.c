/* cell: unit tests for the build context (lib/build/context.c). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
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

#include "cleanup.h"
#include "context.h"
#include "copy.h"
#include "strutil.h"
#include "testutil.h"

static void put(const char *path, const char *text)
{
        FILE *fp = fopen(path, "we");

        assert_non_null(fp);
        assert_true(fputs(text, fp) >= 0);
        assert_int_equal(fclose(fp), 0);
}

static void test_directory(void **state)
{
        const char *tmp = *state;
        _cleanup_free_ char *data = NULL;
        build_context_t *c = NULL;
        cell_error_t e = {0};
        size_t len = 0;
        bool exclusion = false;

        put(tu_path("%s/Dockerfile", tmp), "FROM scratch\n");
        put(tu_path("%s/.dockerignore", tmp), "# comment\n*.log\n!keep.log\n");
        put(tu_path("%s/secret", tmp), "host");
        assert_int_equal(symlink("/etc/hostname", tu_path("%s/abs", tmp)), 0);
        assert_int_equal(symlink(tu_path("%s/secret", tmp), tu_path("%s/abs2", tmp)), 0);
        assert_int_equal(build_context_open(tmp, &c, &e), 0);
        assert_true(build_context_rootfd(c) >= 0);
        assert_string_equal(build_context_dir(c), tmp);
        assert_non_null(build_context_ignore(c));
        assert_int_equal(dockerignore_count(build_context_ignore(c)), 2);
        assert_string_equal(dockerignore_pattern(build_context_ignore(c), 1, &exclusion), "keep.log");
        assert_true(exclusion);
        assert_int_equal(build_context_read_file(c, "Dockerfile", &data, &len, &e), 0);
        assert_string_equal(data, "FROM scratch\n");
        assert_int_equal(len, 13);
        free(steal_pointer(&data));
        assert_int_equal(build_context_read_file(c, "/./Dockerfile", &data, &len, &e), 0);
        free(steal_pointer(&data));
        /* Nothing outside the root: "..", and links that point out. */
        assert_true(build_context_read_file(c, "../../../../etc/hostname", &data, &len, &e) < 0);
        assert_int_equal(e.code, ENOENT);
        assert_true(build_context_read_file(c, "abs", &data, &len, &e) < 0);
        assert_true(build_context_read_file(c, "abs2", &data, &len, &e) < 0);
        assert_true(build_context_read_file(c, "missing", &data, &len, &e) < 0);
        assert_non_null(strstr(e.msg, "missing"));
        assert_true(build_context_read_file(c, ".", &data, &len, &e) < 0);
        assert_null(data);
        /* Dockerfile.dockerignore replaces .dockerignore; none: unchanged. */
        assert_int_equal(build_context_use_ignore_file(c, tu_path("%s/Dockerfile.dockerignore", tmp), &e), 0);
        assert_int_equal(dockerignore_count(build_context_ignore(c)), 2);
        put(tu_path("%s/Dockerfile.dockerignore", tmp), "only\n");
        assert_int_equal(build_context_use_ignore_file(c, tu_path("%s/Dockerfile.dockerignore", tmp), &e), 1);
        assert_int_equal(dockerignore_count(build_context_ignore(c)), 1);
        assert_string_equal(dockerignore_pattern(build_context_ignore(c), 0, &exclusion), "only");
        put(tu_path("%s/Bad.dockerignore", tmp), "[x\n");
        assert_true(build_context_use_ignore_file(c, tu_path("%s/Bad.dockerignore", tmp), &e) < 0);
        assert_int_equal(dockerignore_count(build_context_ignore(c)), 1);
        build_context_free(c);
}

static void test_no_ignore_and_bad_ignore(void **state)
{
        const char *tmp = *state;
        build_context_t *c = NULL;
        cell_error_t e = {0};

        assert_int_equal(build_context_open(tmp, &c, &e), 0);
        assert_null(build_context_ignore(c));
        build_context_free(c);
        c = NULL;
        put(tu_path("%s/.dockerignore", tmp), "ok\n[bad\n");
        assert_true(build_context_open(tmp, &c, &e) < 0);
        assert_null(c);
        assert_non_null(strstr(e.msg, ".dockerignore:2"));
        assert_true(build_context_open(tu_path("%s/none", tmp), &c, &e) < 0);
        assert_null(c);
}

/* Write a tar of path/content pairs ("x/" is a directory) with libarchive. */
static void make_tar(const char *file, const char *filter, const char *const *ents)
{
        struct archive *a = archive_write_new();

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (filter)
                assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, file), ARCHIVE_OK);
        for (size_t i = 0; ents[i]; i += 2) {
                struct archive_entry *en = archive_entry_new();
                size_t len = strlen(ents[i + 1]);
                bool dir = ents[i][strlen(ents[i]) - 1] == '/';

                archive_entry_set_pathname(en, ents[i]);
                archive_entry_set_filetype(en, dir ? AE_IFDIR : AE_IFREG);
                archive_entry_set_perm(en, dir ? 0755 : 0644);
                archive_entry_set_size(en, dir ? 0 : (la_int64_t)len);
                assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
                if (!dir)
                        assert_int_equal(archive_write_data(a, ents[i + 1], len), (la_ssize_t)len);
                archive_entry_free(en);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

static void test_tar(void **state)
{
        const char *tmp = *state;
        static const char *const ents[] = {"Dockerfile",
                                           "FROM busybox\nCOPY . /\n",
                                           ".dockerignore",
                                           "*.md\n",
                                           "src/",
                                           "",
                                           "src/main.c",
                                           "int x;\n",
                                           "README.md",
                                           "readme",
                                           NULL};
        static const char *const filters[] = {NULL, "gzip", "zstd"};
        char dir[4096];

        assert_int_equal(mkdir(tu_path("%s/parent", tmp), 0700), 0);
        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                _cleanup_free_ char *data = NULL;
                _cleanup_strv_ char **v = NULL;
                _cleanup_close_ int fd = -1;
                build_context_t *c = NULL;
                cell_error_t e = {0};

                make_tar(tu_path("%s/ctx.tar", tmp), filters[i], ents);
                fd = open(tu_path("%s/ctx.tar", tmp), O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                if (build_context_from_tar(fd, tu_path("%s/parent", tmp), &c, &e) < 0)
                        fail_msg("from_tar: %s", e.msg);
                snprintf(dir, sizeof(dir), "%s", build_context_dir(c));
                {
                        struct stat st;

                        assert_int_equal(stat(dir, &st), 0);
                        assert_int_equal(st.st_mode & 07777, 0755);
                }
                assert_true(str_has_prefix(dir, tu_path("%s/parent/", tmp)));
                assert_int_equal(build_context_read_file(c, "Dockerfile", &data, NULL, &e), 0);
                assert_string_equal(data, "FROM busybox\nCOPY . /\n");
                assert_non_null(build_context_ignore(c));
                assert_true(build_sources_match(build_context_rootfd(c), build_context_ignore(c), "README.md",
                                                &v, &e) < 0);
                assert_int_equal(build_sources_match(build_context_rootfd(c), build_context_ignore(c),
                                                     "src/*.c", &v, &e),
                                 0);
                assert_string_equal(v[0], "src/main.c");
                build_context_free(c);
                /* The temporary directory goes with the context. */
                assert_false(fs_exists(dir));
        }
}

static void test_tar_hostile(void **state)
{
        const char *tmp = *state;
        static const char *const ents[] = {"Dockerfile", "FROM x\n", "../../escape", "bad", NULL};
        _cleanup_close_ int fd = -1;
        build_context_t *c = NULL;
        cell_error_t e = {0};
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        assert_int_equal(mkdir(tu_path("%s/parent", tmp), 0700), 0);
        assert_int_equal(mkdir(tu_path("%s/parent/inner", tmp), 0700), 0);
        make_tar(tu_path("%s/bad.tar", tmp), NULL, ents);
        fd = open(tu_path("%s/bad.tar", tmp), O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(build_context_from_tar(fd, tu_path("%s/parent/inner", tmp), &c, &e) < 0);
        assert_null(c);
        assert_false(fs_exists(tu_path("%s/escape", tmp)));
        assert_false(fs_exists(tu_path("%s/parent/escape", tmp)));
        /* Nothing left behind. */
        d = opendir(tu_path("%s/parent/inner", tmp));
        assert_non_null(d);
        while ((de = readdir(d)))
                assert_true(str_eq(de->d_name, ".") || str_eq(de->d_name, ".."));
        /* Not a tar at all. */
        put(tu_path("%s/junk", tmp), "this is not a tar archive, not even close to one..........");
        close(fd);
        fd = open(tu_path("%s/junk", tmp), O_RDONLY | O_CLOEXEC);
        assert_true(build_context_from_tar(fd, tu_path("%s/parent/inner", tmp), &c, &e) < 0);
        assert_null(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_directory, tu_setup_tmpdir, tu_teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_no_ignore_and_bad_ignore, tu_setup_tmpdir,
                                                tu_teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_tar, tu_setup_tmpdir, tu_teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_tar_hostile, tu_setup_tmpdir, tu_teardown_tmpdir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
