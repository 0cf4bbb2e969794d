/* cell: unit tests for COPY/ADD's files (lib/build/copy.c).
 *
 * Each test has a build context (tmp/ctx), an image root (tmp/img) and a
 * directory outside both (tmp/outside) that nothing may reach: the image
 * holds symlinks aimed at it by absolute path and by "..", and the sources
 * try ".." too. */
#include <archive.h>
#include <archive_entry.h>
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

#include "cleanup.h"
#include "copy.h"
#include "ignore.h"
#include "strutil.h"
#include "testutil.h"

typedef struct {
        char *tmp;
        int ctx; /* O_PATH fd of tmp/ctx */
        int img; /* O_PATH fd of tmp/img */
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

static void mkdirs(const char *path)
{
        cell_error_t e = {0};

        assert_int_equal(fs_mkdir_p(path, 0755, &e), 0);
}

static int setup(void **state)
{
        fixture_t *f = calloc(1, sizeof(*f));
        void *tmp = NULL;

        if (!f || tu_setup_tmpdir(&tmp) < 0)
                return -1;
        f->tmp = tmp;
        mkdirs(tu_path("%s/ctx/sub/deep", f->tmp));
        mkdirs(tu_path("%s/img/etc", f->tmp));
        mkdirs(tu_path("%s/outside", f->tmp));
        put(tu_path("%s/outside/secret", f->tmp), "outside");
        put(tu_path("%s/ctx/a.txt", f->tmp), "A");
        put(tu_path("%s/ctx/b.txt", f->tmp), "B");
        put(tu_path("%s/ctx/c.md", f->tmp), "C");
        put(tu_path("%s/ctx/sub/x.txt", f->tmp), "X");
        put(tu_path("%s/ctx/sub/deep/y.txt", f->tmp), "Y");
        /* The image's hostile links: absolute, climbing, and to a file. */
        if (symlink(tu_path("%s/outside", f->tmp), tu_path("%s/img/abs", f->tmp)) < 0 ||
            symlink("../../../../../../../../..", tu_path("%s/img/up", f->tmp)) < 0 ||
            symlink("/", tu_path("%s/img/slash", f->tmp)) < 0 ||
            symlink(tu_path("%s/outside/secret", f->tmp), tu_path("%s/img/absfile", f->tmp)) < 0)
                return -1;
        f->ctx = open(tu_path("%s/ctx", f->tmp), O_PATH | O_DIRECTORY | O_CLOEXEC);
        f->img = open(tu_path("%s/img", f->tmp), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (f->ctx < 0 || f->img < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fixture_t *f = *state;
        void *tmp = f->tmp;

        close(f->ctx);
        close(f->img);
        tu_teardown_tmpdir(&tmp);
        free(f);
        return 0;
}

static void outside_untouched(fixture_t *f)
{
        char *s = slurp(tu_path("%s/outside/secret", f->tmp));

        assert_non_null(s);
        assert_string_equal(s, "outside");
        assert_false(fs_exists(tu_path("%s/outside/x", f->tmp)));
        assert_false(fs_exists(tu_path("%s/outside/a.txt", f->tmp)));
        assert_false(fs_exists(tu_path("%s/x", f->tmp)));
        assert_false(fs_exists(tu_path("%s/a.txt", f->tmp)));
}

static dockerignore_t *ignore_of(const char *text)
{
        dockerignore_t *ig = NULL;
        cell_error_t e = {0};

        if (dockerignore_parse(text, strlen(text), &ig, &e) < 0)
                fail_msg("dockerignore_parse: %s", e.msg);
        return ig;
}

/* The matches of pattern, joined with ',' (or "ERR:<message>"). */
static const char *matches(int root, const dockerignore_t *ig, const char *pattern)
{
        static char out[1024];
        _cleanup_strv_ char **v = NULL;
        cell_error_t e = {0};

        if (build_sources_match(root, ig, pattern, &v, &e) < 0) {
                snprintf(out, sizeof(out), "ERR:%s", e.msg);
                return out;
        }
        out[0] = '\0';
        for (char **p = v; *p; p++) {
                if (p != v)
                        strncat(out, ",", sizeof(out) - strlen(out) - 1);
                strncat(out, *p, sizeof(out) - strlen(out) - 1);
        }
        return out;
}

static void test_match(void **state)
{
        fixture_t *f = *state;

        assert_string_equal(matches(f->ctx, NULL, "a.txt"), "a.txt");
        assert_string_equal(matches(f->ctx, NULL, "/sub/../a.txt"), "a.txt");
        assert_string_equal(matches(f->ctx, NULL, "./sub//x.txt"), "sub/x.txt");
        assert_string_equal(matches(f->ctx, NULL, "*.txt"), "a.txt,b.txt");
        assert_string_equal(matches(f->ctx, NULL, "[ab].*"), "a.txt,b.txt");
        assert_string_equal(matches(f->ctx, NULL, "?.md"), "c.md");
        assert_string_equal(matches(f->ctx, NULL, "s*/*.txt"), "sub/x.txt");
        assert_string_equal(matches(f->ctx, NULL, "*/*/y.txt"), "sub/deep/y.txt");
        assert_string_equal(matches(f->ctx, NULL, "*"), "a.txt,b.txt,c.md,sub");
        assert_string_equal(matches(f->ctx, NULL, "."), ".");
        assert_string_equal(matches(f->ctx, NULL, "sub"), "sub");
        /* ".." stops at the root. */
        assert_string_equal(matches(f->ctx, NULL, "../../a.txt"), "a.txt");
        assert_string_equal(matches(f->ctx, NULL, "missing"),
                            "ERR:failed to compute cache key: failed to calculate checksum of ref: "
                            "\"/missing\": not found");
        assert_string_equal(matches(f->ctx, NULL, "*.none"),
                            "ERR:failed to compute cache key: failed to calculate checksum of ref: "
                            "\"/*.none\": not found");
        assert_string_equal(matches(f->ctx, NULL, "a.txt/*"),
                            "ERR:failed to compute cache key: failed to calculate checksum of ref: "
                            "\"/a.txt/*\": not found");
}

static void test_match_symlinks_stay_inside(void **state)
{
        fixture_t *f = *state;

        /* Links in the source root lead to its own root, never out. */
        assert_int_equal(symlink(tu_path("%s/outside", f->tmp), tu_path("%s/ctx/abs", f->tmp)), 0);
        assert_int_equal(symlink("../../../..", tu_path("%s/ctx/up", f->tmp)), 0);
        assert_string_equal(matches(f->ctx, NULL, "up/a.txt"), "up/a.txt");
        assert_true(str_has_prefix(matches(f->ctx, NULL, "abs/secret"), "ERR:"));
        assert_true(str_has_prefix(matches(f->ctx, NULL, "up/outside/secret"), "ERR:"));
}

static void test_match_ignore(void **state)
{
        fixture_t *f = *state;
        dockerignore_t *ig = ignore_of("*.md\nsub\n!sub/deep/y.txt\n");

        assert_string_equal(matches(f->ctx, ig, "*"), "a.txt,b.txt,sub");
        assert_true(str_has_prefix(matches(f->ctx, ig, "c.md"), "ERR:"));
        assert_true(str_has_prefix(matches(f->ctx, ig, "sub/x.txt"), "ERR:"));
        assert_string_equal(matches(f->ctx, ig, "sub/deep/y.txt"), "sub/deep/y.txt");
        assert_string_equal(matches(f->ctx, ig, "sub/*/*.txt"), "sub/deep/y.txt");
        dockerignore_free(ig);
}

static void copy_ok(fixture_t *f, const dockerignore_t *ig, const char *pattern, const char *dest,
                    const build_copy_opts_t *o)
{
        _cleanup_strv_ char **v = NULL;
        cell_error_t e = {0};

        if (build_sources_match(f->ctx, ig, pattern, &v, &e) < 0)
                fail_msg("match %s: %s", pattern, e.msg);
        if (build_copy(f->ctx, ig, v, f->img, dest, o, &e) < 0)
                fail_msg("copy %s %s: %s", pattern, dest, e.msg);
}

static void copy_many_ok(fixture_t *f, char *const *paths, const char *dest, const build_copy_opts_t *o)
{
        cell_error_t e = {0};

        if (build_copy(f->ctx, NULL, paths, f->img, dest, o, &e) < 0)
                fail_msg("copy to %s: %s", dest, e.msg);
}

static const char *img(fixture_t *f, const char *rel)
{
        return tu_path("%s/img/%s", f->tmp, rel);
}

static void test_dir_contents(void **state)
{
        fixture_t *f = *state;
        dockerignore_t *ig = ignore_of("sub/x.txt\n");

        copy_ok(f, NULL, "sub", "/dst/", NULL);
        assert_string_equal(slurp(img(f, "dst/x.txt")), "X");
        assert_string_equal(slurp(img(f, "dst/deep/y.txt")), "Y");
        assert_false(fs_exists(img(f, "dst/sub")));
        /* Without a trailing slash: still the contents into dst2. */
        copy_ok(f, ig, "sub", "/dst2", NULL);
        assert_false(fs_exists(img(f, "dst2/x.txt")));
        assert_string_equal(slurp(img(f, "dst2/deep/y.txt")), "Y");
        /* The whole context, .dockerignore applied. */
        dockerignore_free(ig);
        ig = ignore_of("*.md\nsub\n!sub/deep/y.txt\n");
        copy_ok(f, ig, ".", "/all", NULL);
        assert_string_equal(slurp(img(f, "all/a.txt")), "A");
        assert_false(fs_exists(img(f, "all/c.md")));
        assert_false(fs_exists(img(f, "all/sub/x.txt")));
        assert_string_equal(slurp(img(f, "all/sub/deep/y.txt")), "Y");
        dockerignore_free(ig);
        ig = ignore_of("sub\n");
        copy_ok(f, ig, ".", "/none", NULL);
        assert_false(fs_exists(img(f, "none/sub")));
        dockerignore_free(ig);
}

static void test_dest_rules(void **state)
{
        fixture_t *f = *state;
        char a[] = "a.txt", b[] = "b.txt";
        char *two[] = {a, b, NULL};
        build_copy_opts_t wd = {.workdir = "/work/dir"};
        struct stat st;

        /* A file renamed; missing parents 0755 root-owned. */
        copy_ok(f, NULL, "a.txt", "/p/q/new.txt", NULL);
        assert_string_equal(slurp(img(f, "p/q/new.txt")), "A");
        assert_int_equal(stat(img(f, "p/q"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(st.st_uid, 0);
        /* A trailing slash: a directory. */
        copy_ok(f, NULL, "a.txt", "/d/", NULL);
        assert_string_equal(slurp(img(f, "d/a.txt")), "A");
        /* Several sources: a directory, even without the slash. */
        copy_many_ok(f, two, "/multi", NULL);
        assert_string_equal(slurp(img(f, "multi/a.txt")), "A");
        assert_string_equal(slurp(img(f, "multi/b.txt")), "B");
        copy_ok(f, NULL, "*.txt", "/wild/", NULL);
        assert_string_equal(slurp(img(f, "wild/b.txt")), "B");
        /* An existing directory: into it. */
        copy_ok(f, NULL, "c.md", "/etc", NULL);
        assert_string_equal(slurp(img(f, "etc/c.md")), "C");
        /* An existing file: replaced. */
        copy_ok(f, NULL, "b.txt", "/p/q/new.txt", NULL);
        assert_string_equal(slurp(img(f, "p/q/new.txt")), "B");
        /* Relative to WORKDIR. */
        copy_ok(f, NULL, "a.txt", "rel.txt", &wd);
        assert_string_equal(slurp(img(f, "work/dir/rel.txt")), "A");
        copy_ok(f, NULL, "b.txt", ".", &wd);
        assert_string_equal(slurp(img(f, "work/dir/b.txt")), "B");
        copy_ok(f, NULL, "c.md", "./", &wd);
        assert_string_equal(slurp(img(f, "work/dir/c.md")), "C");
}

static void test_chown_chmod_times(void **state)
{
        fixture_t *f = *state;
        build_copy_opts_t own = {.have_chown = true, .uid = 1000, .gid = 1001};
        build_copy_opts_t mod = {.have_chmod = true, .chmod = 0640};
        struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
        struct stat st;

        assert_int_equal(chown(tu_path("%s/ctx/sub/x.txt", f->tmp), 1234, 1234), 0);
        assert_int_equal(chmod(tu_path("%s/ctx/sub/x.txt", f->tmp), 0751), 0);
        assert_int_equal(utimensat(AT_FDCWD, tu_path("%s/ctx/sub/x.txt", f->tmp), old, 0), 0);
        /* Plain COPY: 0:0, mode and mtime kept. */
        copy_ok(f, NULL, "sub", "/plain/", NULL);
        assert_int_equal(stat(img(f, "plain/x.txt"), &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0751);
        assert_int_equal(st.st_mtim.tv_sec, 1000000000);
        /* --chown: the files, the directories copied and those made. */
        copy_ok(f, NULL, "sub", "/own/made/", &own);
        assert_int_equal(stat(img(f, "own/made/x.txt"), &st), 0);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_gid, 1001);
        assert_int_equal(st.st_mode & 07777, 0751);
        assert_int_equal(stat(img(f, "own/made/deep"), &st), 0);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(stat(img(f, "own/made"), &st), 0);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(stat(img(f, "own"), &st), 0);
        assert_int_equal(st.st_uid, 1000);
        /* An existing directory keeps its owner. */
        assert_int_equal(stat(img(f, "etc"), &st), 0);
        copy_ok(f, NULL, "a.txt", "/etc/", &own);
        assert_int_equal(stat(img(f, "etc"), &st), 0);
        assert_int_equal(st.st_uid, 0);
        /* --chmod: files and directories copied. */
        copy_ok(f, NULL, "sub", "/mod", &mod);
        assert_int_equal(stat(img(f, "mod/x.txt"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(stat(img(f, "mod/deep"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_links_and_specials(void **state)
{
        fixture_t *f = *state;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;

        assert_int_equal(symlink("x.txt", tu_path("%s/ctx/sub/link", f->tmp)), 0);
        assert_int_equal(symlink("/etc/passwd", tu_path("%s/ctx/sub/abslink", f->tmp)), 0);
        assert_int_equal(mkfifo(tu_path("%s/ctx/sub/fifo", f->tmp), 0640), 0);
        assert_int_equal(symlink("sub/x.txt", tu_path("%s/ctx/top", f->tmp)), 0);
        copy_ok(f, NULL, "sub", "/l/", NULL);
        n = readlink(img(f, "l/link"), target, sizeof(target) - 1);
        assert_int_equal(n, 5);
        target[n] = '\0';
        assert_string_equal(target, "x.txt");
        assert_int_equal(lstat(img(f, "l/abslink"), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(lstat(img(f, "l/fifo"), &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0640);
        /* A source that is a symlink is followed (inside the context). */
        copy_ok(f, NULL, "top", "/t", NULL);
        assert_int_equal(lstat(img(f, "t"), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_string_equal(slurp(img(f, "t")), "X");
}

static void test_escape(void **state)
{
        fixture_t *f = *state;
        struct stat st;

        /* Destinations through the image's hostile links land inside it. */
        copy_ok(f, NULL, "a.txt", "/abs/x", NULL);
        copy_ok(f, NULL, "a.txt", "/up/x", NULL);
        copy_ok(f, NULL, "a.txt", "/slash/up/abs/", NULL);
        copy_ok(f, NULL, "sub", "/up/../../", NULL);
        outside_untouched(f);
        assert_string_equal(slurp(img(f, tu_path("%s/outside/x", f->tmp) + 1)), "A");
        assert_string_equal(slurp(img(f, "x")), "A");
        assert_string_equal(slurp(img(f, "x.txt")), "X");
        /* A link as the destination's last name is followed, as docker's
         * COPY does, but inside the image: its absolute target names the
         * image's own path, never the host's. */
        copy_ok(f, NULL, "b.txt", "/absfile", NULL);
        assert_int_equal(lstat(img(f, "absfile"), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_string_equal(slurp(img(f, tu_path("%s/outside/secret", f->tmp) + 1)), "B");
        outside_untouched(f);
        /* A source that climbs is the context's own file. */
        copy_ok(f, NULL, "../../../a.txt", "/climb", NULL);
        assert_string_equal(slurp(img(f, "climb")), "A");
        assert_int_equal(symlink("../../outside/secret", tu_path("%s/ctx/esc", f->tmp)), 0);
        {
                _cleanup_strv_ char **v = NULL;
                cell_error_t e = {0};

                assert_true(build_sources_match(f->ctx, NULL, "esc", &v, &e) < 0);
        }
        outside_untouched(f);
}

static void test_merge_through_links(void **state)
{
        fixture_t *f = *state;
        struct stat st;

        /* merged /usr: /lib -> usr/lib in the image; the copy goes through. */
        mkdirs(img(f, "usr/lib"));
        assert_int_equal(symlink("usr/lib", img(f, "lib")), 0);
        mkdirs(tu_path("%s/ctx/rootfs/lib", f->tmp));
        mkdirs(tu_path("%s/ctx/rootfs/abs", f->tmp));
        mkdirs(tu_path("%s/ctx/rootfs/up", f->tmp));
        put(tu_path("%s/ctx/rootfs/lib/libx.so", f->tmp), "lib");
        put(tu_path("%s/ctx/rootfs/abs/x", f->tmp), "abs");
        put(tu_path("%s/ctx/rootfs/up/x", f->tmp), "up");
        copy_ok(f, NULL, "rootfs", "/", NULL);
        assert_int_equal(lstat(img(f, "lib"), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_string_equal(slurp(img(f, "usr/lib/libx.so")), "lib");
        /* abs leads to a place missing inside the image: replaced by a
         * directory; up leads to the image's root: merged there. */
        assert_int_equal(lstat(img(f, "abs"), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_string_equal(slurp(img(f, "abs/x")), "abs");
        assert_string_equal(slurp(img(f, "x")), "up");
        outside_untouched(f);
}

/* A tar of name/content pairs through libarchive with filter (NULL: none). */
static void make_tar(const char *file, const char *filter, const char *const *ents)
{
        struct archive *a = archive_write_new();

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (filter)
                assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, file), ARCHIVE_OK);
        for (size_t i = 0; ents[i]; i += 2) {
                struct archive_entry *e = archive_entry_new();
                size_t len = strlen(ents[i + 1]);
                bool dir = ents[i][strlen(ents[i]) - 1] == '/';

                archive_entry_set_pathname(e, ents[i]);
                archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
                archive_entry_set_perm(e, dir ? 0755 : 0604);
                archive_entry_set_uid(e, 42);
                archive_entry_set_gid(e, 43);
                archive_entry_set_size(e, dir ? 0 : (la_int64_t)len);
                archive_entry_set_mtime(e, 1234567890, 0);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (!dir)
                        assert_int_equal(archive_write_data(a, ents[i + 1], len), (la_ssize_t)len);
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

static void test_add_archives(void **state)
{
        fixture_t *f = *state;
        static const char *const ents[] = {"top/", "", "top/f.txt", "in tar", "g.txt", "G", NULL};
        static const char *const filters[] = {NULL, "gzip", "bzip2", "xz", "zstd"};
        build_copy_opts_t add = {.add = true, .tmp_dir = f->tmp};
        build_copy_opts_t add_own = {.add = true, .tmp_dir = f->tmp, .have_chown = true, .uid = 7, .gid = 8};
        struct stat st;

        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                char dest[64];

                make_tar(tu_path("%s/ctx/arch", f->tmp), filters[i], ents);
                snprintf(dest, sizeof(dest), "/x%zu", i);
                copy_ok(f, NULL, "arch", dest, &add);
                assert_string_equal(slurp(img(f, tu_path("x%zu/top/f.txt", i))), "in tar");
                assert_string_equal(slurp(img(f, tu_path("x%zu/g.txt", i))), "G");
                assert_int_equal(stat(img(f, tu_path("x%zu/g.txt", i)), &st), 0);
                assert_int_equal(st.st_uid, 42);
                assert_int_equal(st.st_mode & 07777, 0604);
                assert_int_equal(st.st_mtim.tv_sec, 1234567890);
        }
        /* What the archive holds keeps its owners despite --chown, as
         * docker 20.10's BuildKit (the equivalence corpus checks it). */
        copy_ok(f, NULL, "arch", "/own", &add_own);
        assert_int_equal(stat(img(f, "own/g.txt"), &st), 0);
        assert_int_equal(st.st_uid, 42);
        /* COPY copies the archive as a file; ADD of a non-archive copies it. */
        copy_ok(f, NULL, "arch", "/copied", NULL);
        assert_int_equal(stat(img(f, "copied"), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        copy_ok(f, NULL, "a.txt", "/added", &add);
        assert_string_equal(slurp(img(f, "added")), "A");
        /* Through a hostile link in the image: still inside. */
        copy_ok(f, NULL, "arch", "/abs/", &add);
        assert_string_equal(slurp(img(f, tu_path("%s/outside/g.txt", f->tmp) + 1)), "G");
        outside_untouched(f);
        assert_false(fs_exists(tu_path("%s/outside/g.txt", f->tmp)));
}

static const char *key(fixture_t *f, const dockerignore_t *ig, const char *pattern)
{
        static char out[4][IMAGE_DIGEST_STR_SIZE];
        static int next;
        char *k = out[next++ % 4];
        _cleanup_strv_ char **v = NULL;
        cell_error_t e = {0};

        if (build_sources_match(f->ctx, ig, pattern, &v, &e) < 0 ||
            build_sources_hash(f->ctx, ig, v, k, &e) < 0)
                fail_msg("hash %s: %s", pattern, e.msg);
        return k;
}

static void test_hash(void **state)
{
        fixture_t *f = *state;
        dockerignore_t *ig = ignore_of("sub/x.txt\n");
        struct timespec t[2] = {{.tv_sec = 5}, {.tv_sec = 5}};
        char k0[IMAGE_DIGEST_STR_SIZE], k1[IMAGE_DIGEST_STR_SIZE];

        snprintf(k0, sizeof(k0), "%s", key(f, NULL, "."));
        assert_true(image_digest_valid(k0));
        assert_string_equal(key(f, NULL, "."), k0);
        /* Times and owners do not count. */
        assert_int_equal(utimensat(AT_FDCWD, tu_path("%s/ctx/a.txt", f->tmp), t, 0), 0);
        assert_int_equal(chown(tu_path("%s/ctx/a.txt", f->tmp), 99, 99), 0);
        assert_string_equal(key(f, NULL, "."), k0);
        /* Content and mode do. */
        put(tu_path("%s/ctx/a.txt", f->tmp), "a");
        assert_string_not_equal(key(f, NULL, "."), k0);
        put(tu_path("%s/ctx/a.txt", f->tmp), "A");
        assert_string_equal(key(f, NULL, "."), k0);
        assert_int_equal(chmod(tu_path("%s/ctx/a.txt", f->tmp), 0600), 0);
        assert_string_not_equal(key(f, NULL, "."), k0);
        /* Excluded files do not count. */
        snprintf(k1, sizeof(k1), "%s", key(f, ig, "sub"));
        put(tu_path("%s/ctx/sub/x.txt", f->tmp), "changed");
        assert_string_equal(key(f, ig, "sub"), k1);
        assert_string_not_equal(key(f, NULL, "sub"), k1);
        /* A rename counts; a new file counts; a symlink's target counts. */
        snprintf(k1, sizeof(k1), "%s", key(f, NULL, "sub"));
        assert_int_equal(rename(tu_path("%s/ctx/sub/x.txt", f->tmp), tu_path("%s/ctx/sub/z.txt", f->tmp)), 0);
        assert_string_not_equal(key(f, NULL, "sub"), k1);
        snprintf(k1, sizeof(k1), "%s", key(f, NULL, "sub"));
        assert_int_equal(symlink("a", tu_path("%s/ctx/sub/l", f->tmp)), 0);
        assert_string_not_equal(key(f, NULL, "sub"), k1);
        snprintf(k1, sizeof(k1), "%s", key(f, NULL, "sub"));
        assert_int_equal(unlink(tu_path("%s/ctx/sub/l", f->tmp)), 0);
        assert_int_equal(symlink("b", tu_path("%s/ctx/sub/l", f->tmp)), 0);
        assert_string_not_equal(key(f, NULL, "sub"), k1);
        /* The order of the paths given does not matter. */
        {
                char a[] = "a.txt", b[] = "b.txt";
                char *ab[] = {a, b, NULL}, *ba[] = {b, a, NULL};
                cell_error_t e = {0};

                assert_int_equal(build_sources_hash(f->ctx, NULL, ab, k0, &e), 0);
                assert_int_equal(build_sources_hash(f->ctx, NULL, ba, k1, &e), 0);
                assert_string_equal(k0, k1);
        }
        dockerignore_free(ig);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_match, setup, teardown),
                cmocka_unit_test_setup_teardown(test_match_symlinks_stay_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_match_ignore, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_contents, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dest_rules, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chown_chmod_times, setup, teardown),
                cmocka_unit_test_setup_teardown(test_links_and_specials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escape, setup, teardown),
                cmocka_unit_test_setup_teardown(test_merge_through_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_add_archives, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
