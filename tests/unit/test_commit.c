/* cell: unit tests for layer tars made from a writable layer
 * (lib/storage/commit.c).
 *
 * The layer directory and the overlay upper directory are made by hand, as
 * overlayfs would leave them (a 0:0 character device for a deletion,
 * trusted.overlay.opaque on a directory made anew): no mount is needed. The
 * tar is read back with libarchive and applied with layer_apply onto a copy
 * of the lower layer, and the tree compared with the merged view expected.
 * Needs root (mknod, trusted.* and security.* xattrs). */
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
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "commit.h"
#include "digest.h"
#include "layer.h"

static char tmp[PATH_MAX];

#define p tu_path

static void put_file(const char *path, const char *content)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

static void set_mtime(const char *path, time_t t)
{
        struct timespec ts[2] = {{t, 0}, {t, 0}};

        assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A v2 file capability blob (cap_net_bind_service=ep). */
static const unsigned char cap_blob[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0,
                                           0,    0,    0,    0,    0,    0,    0,    0,    0, 0};

/* lower: the layer below; upper: the writable layer over it. */
static void make_trees(void)
{
        char lo[PATH_MAX], up[PATH_MAX];

        snprintf(lo, sizeof(lo), "%s/lower", tmp);
        snprintf(up, sizeof(up), "%s/upper", tmp);

        assert_int_equal(mkdir(lo, 0755), 0);
        assert_int_equal(mkdir(p("%s/etc", lo), 0755), 0);
        put_file(p("%s/etc/passwd", lo), "root:x:0:0::/root:/bin/sh\n");
        put_file(p("%s/etc/gone", lo), "deleted above\n");
        assert_int_equal(mkdir(p("%s/keep", lo), 0755), 0);
        put_file(p("%s/keep/a", lo), "kept\n");
        assert_int_equal(mkdir(p("%s/opq", lo), 0755), 0);
        put_file(p("%s/opq/old1", lo), "hidden\n");
        assert_int_equal(mkdir(p("%s/opq/sub", lo), 0755), 0);
        put_file(p("%s/opq/sub/old2", lo), "hidden too\n");

        assert_int_equal(mkdir(up, 0755), 0);
        assert_int_equal(mkdir(p("%s/etc", up), 0755), 0);
        put_file(p("%s/etc/passwd", up), "root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n");
        assert_int_equal(chown(p("%s/etc/passwd", up), 0, 0), 0);
        assert_int_equal(mknod(p("%s/etc/gone", up), S_IFCHR | 0, makedev(0, 0)), 0);
        /* A whiteout of something no layer has: left out of the tar. */
        assert_int_equal(mknod(p("%s/stale", up), S_IFCHR | 0, makedev(0, 0)), 0);
        assert_int_equal(mkdir(p("%s/opq", up), 0700), 0);
        assert_int_equal(setxattr(p("%s/opq", up), "trusted.overlay.opaque", "y", 1, 0), 0);
        put_file(p("%s/opq/new", up), "new in the opaque dir\n");
        assert_int_equal(mkdir(p("%s/newdir", up), 0750), 0);
        assert_int_equal(chown(p("%s/newdir", up), 1000, 1001), 0);
        assert_int_equal(symlink("/etc/shadow", p("%s/newdir/escape", up)), 0);
        assert_int_equal(symlink("../etc/passwd", p("%s/newdir/pw", up)), 0);
        put_file(p("%s/newdir/hl1", up), "two names\n");
        assert_int_equal(link(p("%s/newdir/hl1", up), p("%s/newdir/hl2", up)), 0);
        put_file(p("%s/ping", up), "#!/bin/sh\n");
        assert_int_equal(chmod(p("%s/ping", up), 0755), 0);
        assert_int_equal(setxattr(p("%s/ping", up), "security.capability", cap_blob, sizeof(cap_blob), 0), 0);
        assert_int_equal(setxattr(p("%s/ping", up), "trusted.overlay.origin", "x", 1, 0), 0);
        assert_int_equal(setxattr(p("%s/ping", up), "trusted.test", "kept", 4, 0), 0);
        assert_int_equal(mkfifo(p("%s/fifo", up), 0600), 0);
        assert_int_equal(mknod(p("%s/null", up), S_IFCHR | 0666, makedev(1, 3)), 0);
        put_file(p("%s/big", up), "");
        assert_int_equal(truncate(p("%s/big", up), 300 * 1024 + 7), 0);
        set_mtime(p("%s/ping", up), 4000000000);   /* 2096 */
        set_mtime(p("%s/opq/new", up), 100000000); /* 1973 */
}

static int setup(void **state)
{
        (void)state;
        if (geteuid() != 0)
                return 0;
        snprintf(tmp, sizeof(tmp), "/var/tmp/cell-commit-test.XXXXXX");
        assert_non_null(mkdtemp(tmp));
        make_trees();
        return 0;
}

static int teardown(void **state)
{
        char cmd[PATH_MAX + 16];

        (void)state;
        if (tmp[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
                if (system(cmd) != 0)
                        print_message("could not remove %s\n", tmp);
        }
        tmp[0] = '\0';
        return 0;
}

static const char *layers[1];

static int commit_to(const char *out, const storage_commit_opts_t *opts, storage_commit_result_t *res)
{
        cell_error_t err = {0};
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int r;

        assert_true(fd >= 0);
        layers[0] = p("%s/lower", tmp);
        r = storage_commit_layer(p("%s/upper", tmp), layers, 1, fd, opts, res, &err);
        if (r < 0)
                print_message("commit: %s\n", err.msg);
        assert_int_equal(close(fd), 0);
        return r;
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "r");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static void file_digest(const char *path, char out[IMAGE_DIGEST_STR_SIZE])
{
        cell_error_t err = {0};
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(image_digest_fd(fd, out, &err), 0);
        close(fd);
}

static void test_deterministic(void **state)
{
        storage_commit_opts_t opts = STORAGE_COMMIT_OPTS_INIT;
        storage_commit_result_t r1, r2;
        char d[IMAGE_DIGEST_STR_SIZE];
        size_t n1, n2;
        char *b1, *b2;

        (void)state;
        if (geteuid() != 0)
                skip();
        assert_int_equal(commit_to(p("%s/one.tar", tmp), &opts, &r1), 0);
        /* Touch the upper directory's atimes between the two commits. */
        sleep(1);
        assert_int_equal(commit_to(p("%s/two.tar", tmp), &opts, &r2), 0);
        b1 = slurp(p("%s/one.tar", tmp), &n1);
        b2 = slurp(p("%s/two.tar", tmp), &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(b1, b2, n1);
        assert_string_equal(r1.diff_id, r2.diff_id);
        assert_string_equal(r1.diff_id, r1.digest);
        assert_int_equal(r1.size, n1);
        assert_int_equal(r1.tar_size, n1);
        file_digest(p("%s/one.tar", tmp), d);
        assert_string_equal(d, r1.diff_id);
        /* etc/.wh.gone and opq/.wh..wh..opq; "stale" hides nothing. */
        assert_int_equal(r1.whiteouts, 2);
        free(b1);
        free(b2);
}

typedef struct {
        char path[PATH_MAX];
        mode_t mode;
        int64_t mtime;
} seen_t;

static void test_entries(void **state)
{
        storage_commit_opts_t opts = {.source_date_epoch = 1000000000};
        storage_commit_result_t res;
        struct archive *a;
        struct archive_entry *e;
        char prev[PATH_MAX] = "";
        bool saw_wh = false, saw_opq = false, saw_cap = false, saw_hl = false, saw_link = false,
             saw_dev = false, saw_fifo = false, saw_new = false, saw_ping = false;
        uint64_t n = 0;

        (void)state;
        if (geteuid() != 0)
                skip();
        assert_int_equal(commit_to(p("%s/sde.tar", tmp), &opts, &res), 0);
        a = archive_read_new();
        assert_non_null(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, p("%s/sde.tar", tmp), 10240), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                char path[PATH_MAX];
                const char *name, *value;
                size_t size, len;

                snprintf(path, sizeof(path), "%s", archive_entry_pathname(e));
                len = strlen(path);
                if (len > 1 && path[len - 1] == '/')
                        path[len - 1] = '\0';
                /* Sorted, bytewise, no duplicates. */
                assert_true(strcmp(prev, path) < 0);
                snprintf(prev, sizeof(prev), "%s", path);
                n++;
                /* No names: numeric owners only. */
                assert_true(!archive_entry_uname(e) || !archive_entry_uname(e)[0]);
                assert_true(!archive_entry_gname(e) || !archive_entry_gname(e)[0]);
                assert_false(archive_entry_atime_is_set(e));
                assert_false(archive_entry_ctime_is_set(e));
                assert_true(archive_entry_mtime(e) <= 1000000000);
                assert_null(strstr(path, "stale"));
                assert_true(strncmp(path, "opq/old", 7) != 0);
                if (strcmp(path, "etc/.wh.gone") == 0)
                        saw_wh = true;
                if (strcmp(path, "opq/.wh..wh..opq") == 0)
                        saw_opq = true;
                if (strcmp(path, "opq/new") == 0) {
                        saw_new = true;
                        assert_int_equal(archive_entry_mtime(e), 100000000); /* older: kept */
                }
                if (strcmp(path, "newdir") == 0) {
                        assert_int_equal(archive_entry_uid(e), 1000);
                        assert_int_equal(archive_entry_gid(e), 1001);
                        assert_int_equal(archive_entry_perm(e), 0750);
                }
                if (strcmp(path, "newdir/hl2") == 0) {
                        assert_non_null(archive_entry_hardlink(e));
                        assert_string_equal(archive_entry_hardlink(e), "newdir/hl1");
                        saw_hl = true;
                }
                if (strcmp(path, "newdir/hl1") == 0)
                        assert_null(archive_entry_hardlink(e));
                if (strcmp(path, "newdir/escape") == 0) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFLNK);
                        assert_string_equal(archive_entry_symlink(e), "/etc/shadow");
                        assert_int_equal(archive_entry_size(e), 0);
                        saw_link = true;
                }
                if (strcmp(path, "null") == 0) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFCHR);
                        assert_int_equal(archive_entry_rdevmajor(e), 1);
                        assert_int_equal(archive_entry_rdevminor(e), 3);
                        saw_dev = true;
                }
                if (strcmp(path, "fifo") == 0) {
                        assert_int_equal(archive_entry_filetype(e), AE_IFIFO);
                        saw_fifo = true;
                }
                if (strcmp(path, "ping") == 0) {
                        saw_ping = true;
                        assert_int_equal(archive_entry_mtime(e), 1000000000); /* clamped */
                        assert_int_equal(archive_entry_perm(e), 0755);
                }
                if (strcmp(path, "big") == 0)
                        assert_int_equal(archive_entry_size(e), 300 * 1024 + 7);
                archive_entry_xattr_reset(e);
                while (archive_entry_xattr_next(e, &name, (const void **)&value, &size) == ARCHIVE_OK) {
                        assert_true(strncmp(name, "trusted.overlay.", 16) != 0);
                        assert_true(strncmp(name, "user.overlay.", 13) != 0);
                        if (strcmp(name, "security.capability") == 0) {
                                assert_string_equal(path, "ping");
                                assert_int_equal(size, sizeof(cap_blob));
                                assert_memory_equal(value, cap_blob, sizeof(cap_blob));
                                saw_cap = true;
                        }
                }
        }
        archive_read_free(a);
        assert_true(saw_wh && saw_opq && saw_cap && saw_hl && saw_link && saw_dev && saw_fifo && saw_new &&
                    saw_ping);
        assert_int_equal(n, res.entries);
}

/* "path type mode uid:gid [target]" for every entry under dir, sorted. */
static char *listing(const char *dir)
{
        char cmd[PATH_MAX + 128];
        FILE *f;
        char *out = NULL;
        size_t len = 0;
        int c;
        FILE *m = open_memstream(&out, &len);

        assert_non_null(m);
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && find . -mindepth 1 -printf '%%p %%y %%m %%U:%%G %%l\\n' | LC_ALL=C sort", dir);
        f = popen(cmd, "r");
        assert_non_null(f);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        assert_int_equal(pclose(f), 0);
        fclose(m);
        return out;
}

static void apply(const char *tar, const char *dir)
{
        layer_apply_opts_t o = {.apply_whiteouts_directly = true};
        layer_apply_result_t res;
        cell_error_t err = {0};
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int tfd = open(tar, O_RDONLY | O_CLOEXEC);
        int r;

        assert_true(dfd >= 0 && tfd >= 0);
        r = layer_apply(dfd, tfd, &o, &res, &err);
        if (r < 0)
                print_message("layer_apply: %s\n", err.msg);
        assert_int_equal(r, 0);
        close(dfd);
        close(tfd);
}

static void test_round_trip(void **state)
{
        storage_commit_opts_t opts = STORAGE_COMMIT_OPTS_INIT;
        storage_commit_result_t res;
        char got[PATH_MAX], want[PATH_MAX];
        char cmd[4 * PATH_MAX];
        char *lg, *lw;
        struct stat a, b;
        unsigned char cap[64];

        (void)state;
        if (geteuid() != 0)
                skip();
        snprintf(got, sizeof(got), "%s/got", tmp);
        snprintf(want, sizeof(want), "%s/want", tmp);
        assert_int_equal(commit_to(p("%s/rt.tar", tmp), &opts, &res), 0);
        /* got: the lower layer with the tar applied, flattened. */
        snprintf(cmd, sizeof(cmd), "cp -a '%s/lower' '%s'", tmp, got);
        assert_int_equal(system(cmd), 0);
        apply(p("%s/rt.tar", tmp), got);
        /* want: the merged view built by hand — lower, minus the deleted and
         * hidden entries, plus upper without its whiteouts. */
        snprintf(cmd, sizeof(cmd),
                 "cp -a '%s/lower' '%s' && rm -rf '%s/etc/gone' '%s/opq' && cp -a '%s/upper/.' '%s' && "
                 "rm -f '%s/etc/gone' '%s/stale'",
                 tmp, want, want, want, tmp, want, want, want);
        assert_int_equal(system(cmd), 0);
        lg = listing(got);
        lw = listing(want);
        if (strcmp(lg, lw) != 0)
                print_message("got:\n%s\nwant:\n%s\n", lg, lw);
        assert_string_equal(lg, lw);
        free(lg);
        free(lw);
        /* Contents, hardlinks, xattrs survive; overlay's own do not. */
        snprintf(cmd, sizeof(cmd), "cmp '%s/upper/big' '%s/big' && cmp '%s/upper/etc/passwd' '%s/etc/passwd'",
                 tmp, got, tmp, got);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(stat(p("%s/newdir/hl1", got), &a), 0);
        assert_int_equal(stat(p("%s/newdir/hl2", got), &b), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(getxattr(p("%s/ping", got), "security.capability", cap, sizeof(cap)),
                         (ssize_t)sizeof(cap_blob));
        assert_memory_equal(cap, cap_blob, sizeof(cap_blob));
        assert_int_equal(getxattr(p("%s/ping", got), "trusted.test", cap, sizeof(cap)), 4);
        assert_true(getxattr(p("%s/ping", got), "trusted.overlay.origin", cap, sizeof(cap)) < 0);
        assert_true(getxattr(p("%s/opq", got), "trusted.overlay.opaque", cap, sizeof(cap)) < 0);
}

static void test_gzip(void **state)
{
        storage_commit_opts_t plain = {.source_date_epoch = 0}, gz = {.source_date_epoch = 0, .gzip = true};
        storage_commit_result_t rp, r1, r2;
        char d[IMAGE_DIGEST_STR_SIZE];
        size_t n1, n2;
        char *b1, *b2;
        char got[PATH_MAX];
        layer_apply_result_t ares;
        layer_apply_opts_t o = {.apply_whiteouts_directly = true};
        cell_error_t err = {0};
        int dfd, tfd;

        (void)state;
        if (geteuid() != 0)
                skip();
        snprintf(got, sizeof(got), "%s/gotgz", tmp);
        assert_int_equal(commit_to(p("%s/p.tar", tmp), &plain, &rp), 0);
        assert_int_equal(commit_to(p("%s/1.tar.gz", tmp), &gz, &r1), 0);
        assert_int_equal(commit_to(p("%s/2.tar.gz", tmp), &gz, &r2), 0);
        b1 = slurp(p("%s/1.tar.gz", tmp), &n1);
        b2 = slurp(p("%s/2.tar.gz", tmp), &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(b1, b2, n1);
        /* gzip magic, deflate, no flags (no name), mtime 0. */
        assert_true(n1 > 10);
        assert_int_equal((unsigned char)b1[0], 0x1f);
        assert_int_equal((unsigned char)b1[1], 0x8b);
        assert_int_equal(b1[3], 0);
        assert_int_equal(b1[4] | b1[5] | b1[6] | b1[7], 0);
        assert_int_equal(r1.size, n1);
        assert_int_equal(r1.tar_size, rp.tar_size);
        assert_string_equal(r1.diff_id, rp.diff_id);
        assert_string_not_equal(r1.digest, r1.diff_id);
        file_digest(p("%s/1.tar.gz", tmp), d);
        assert_string_equal(d, r1.digest);
        free(b1);
        free(b2);
        /* layer_apply reads it back and finds the same diffID. */
        assert_int_equal(mkdir(got, 0755), 0);
        dfd = open(got, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        tfd = open(p("%s/1.tar.gz", tmp), O_RDONLY | O_CLOEXEC);
        assert_true(dfd >= 0 && tfd >= 0);
        assert_int_equal(layer_apply(dfd, tfd, &o, &ares, &err), 0);
        assert_string_equal(ares.diff_id, rp.diff_id);
        close(dfd);
        close(tfd);
}

static void test_refusals(void **state)
{
        storage_commit_result_t res;
        cell_error_t err = {0};
        int fd;

        (void)state;
        if (geteuid() != 0)
                skip();
        /* A ".wh." name in the upper directory cannot be told from a whiteout. */
        put_file(p("%s/upper/.wh.sneaky", tmp), "x");
        fd = open(p("%s/refused.tar", tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_true(storage_commit_layer(p("%s/upper", tmp), NULL, 0, fd, NULL, &res, &err) < 0);
        assert_non_null(strstr(err.msg, ".wh.sneaky"));
        close(fd);
        /* A missing upper directory names itself. */
        fd = open(p("%s/refused.tar", tmp), O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(storage_commit_layer(p("%s/nope", tmp), NULL, 0, fd, NULL, &res, &err) < 0);
        assert_int_equal(err.code, ENOENT);
        close(fd);
}

static void test_source_date_epoch(void **state)
{
        cell_error_t err = {0};
        int64_t v = 5;

        (void)state;
        assert_int_equal(storage_parse_source_date_epoch(NULL, &v, &err), 0);
        assert_int_equal(v, -1);
        assert_int_equal(storage_parse_source_date_epoch("", &v, &err), 0);
        assert_int_equal(v, -1);
        assert_int_equal(storage_parse_source_date_epoch("1700000000", &v, &err), 0);
        assert_int_equal(v, 1700000000);
        assert_int_equal(storage_parse_source_date_epoch("0", &v, &err), 0);
        assert_int_equal(v, 0);
        assert_true(storage_parse_source_date_epoch("-1", &v, &err) < 0);
        assert_true(storage_parse_source_date_epoch("12x", &v, &err) < 0);
        assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_entries, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
                cmocka_unit_test(test_source_date_epoch),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
