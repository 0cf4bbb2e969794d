/* cell: unit tests for the layer unpacker (lib/image/layer.c).
 *
 * The tars are crafted here with libarchive's writer. Each hostile case runs
 * in a temporary directory TMP with the layer at TMP/a/b/layer, so that "..",
 * symlinks and hardlinks that escape land in TMP (whose tree is compared
 * before and after) or on the host under a name that exists nowhere (checked
 * to be still absent). Runs as root (devices, chown, trusted xattrs). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <sched.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layer.h"

typedef struct tent {
        const char *path;
        mode_t type; /* AE_IF*; 0 with link set = hardlink */
        const char *data;
        const char *link;
        mode_t perm;
        unsigned rmaj, rmin;
        int64_t uid, gid;
        time_t mtime;
        const char *xname;
        const char *xval;
        size_t xlen;
} tent_t;

static char tmp[PATH_MAX], layer[PATH_MAX], unique[64];

static void make_tar(const char *file, const char *filter, const tent_t *ents, size_t n)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (filter && strcmp(filter, "gzip") == 0)
                assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        if (filter && strcmp(filter, "zstd") == 0)
                assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, file), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                const tent_t *t = &ents[i];

                archive_entry_clear(e);
                archive_entry_copy_pathname(e, t->path);
                if (t->type == 0 && t->link) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_copy_hardlink(e, t->link);
                        archive_entry_set_size(e, 0);
                } else {
                        archive_entry_set_filetype(e, t->type ? t->type : AE_IFREG);
                        if (t->type == AE_IFLNK)
                                archive_entry_copy_symlink(e, t->link);
                        archive_entry_set_size(e, t->data ? (la_int64_t)strlen(t->data) : 0);
                }
                archive_entry_set_perm(e, t->perm ? t->perm : (t->type == AE_IFDIR ? 0755 : 0644));
                archive_entry_set_rdevmajor(e, t->rmaj);
                archive_entry_set_rdevminor(e, t->rmin);
                archive_entry_set_uid(e, t->uid);
                archive_entry_set_gid(e, t->gid);
                archive_entry_set_mtime(e, t->mtime ? t->mtime : 1000000000, 0);
                if (t->xname)
                        archive_entry_xattr_add_entry(e, t->xname, t->xval,
                                                      t->xlen ? t->xlen : strlen(t->xval));
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (t->data && t->type != AE_IFLNK && !(t->type == 0 && t->link))
                        assert_int_equal(archive_write_data(a, t->data, strlen(t->data)),
                                         (la_ssize_t)strlen(t->data));
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        archive_entry_free(e);
}

static char *path_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_of(const char *fmt, ...)
{
        static char buf[16][PATH_MAX];
        static int k;
        va_list ap;
        char *b = buf[k++ % 16];

        va_start(ap, fmt);
        vsnprintf(b, PATH_MAX, fmt, ap);
        va_end(ap);
        return b;
}

/* ---- the outside tree, before and after ---- */

static char *snap;
static size_t snap_len, snap_cap;

static int snap_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        char line[PATH_MAX + 128];
        int n;

        if (strncmp(p, layer, strlen(layer)) == 0)
                return 0;
        n = snprintf(line, sizeof(line), "%s %o %lld %lld %lu\n", p, st->st_mode, (long long)st->st_size,
                     (long long)st->st_mtim.tv_nsec + (long long)st->st_mtim.tv_sec * 1000000000LL,
                     (unsigned long)st->st_nlink);
        if (snap_len + (size_t)n + 1 > snap_cap) {
                snap_cap = (snap_len + (size_t)n + 1) * 2;
                snap = realloc(snap, snap_cap);
        }
        memcpy(snap + snap_len, line, (size_t)n + 1);
        snap_len += (size_t)n;
        return 0;
}

static char *snapshot(void)
{
        snap = NULL;
        snap_len = snap_cap = 0;
        assert_int_equal(nftw(tmp, snap_one, 32, FTW_PHYS), 0);
        return snap;
}

static void host_absent(const char *name)
{
        static const char *dirs[] = {"/etc/", "/", "/abs/", "/var/tmp/"};
        char p[PATH_MAX];
        struct stat st;

        for (size_t i = 0; i < 4; i++) {
                snprintf(p, sizeof(p), "%s%s", dirs[i], name);
                assert_int_not_equal(lstat(p, &st), 0);
        }
}

static int setup(void **state)
{
        cell_error_t err;
        int fd;

        if (geteuid() != 0) {
                printf("test_layer: skipped, needs root (mknod, chown, trusted.* xattrs)\n");
                return 0;
        }
        snprintf(tmp, sizeof(tmp), "/var/tmp/cell-layer-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(layer, sizeof(layer), "%s/a/b/layer", tmp);
        assert_int_equal(fs_mkdir_p(layer, 0755, &err), 0);
        assert_int_equal(fs_mkdir_p(path_of("%s/outside", tmp), 0755, &err), 0);
        fd = open(path_of("%s/outside/target", tmp), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "orig", 4), 4);
        close(fd);
        snprintf(unique, sizeof(unique), "cell-layer-test-%d-%ld", (int)getpid(), (long)random());
        return 0;
}

static int teardown(void **state)
{
        cell_error_t err;

        if (geteuid() == 0)
                fs_rm_rf(tmp, &err);
        return 0;
}

#define NEED_ROOT()                                                                                          \
        do {                                                                                                 \
                if (geteuid() != 0)                                                                          \
                        skip();                                                                              \
        } while (0)

/* Apply a fresh layer dir from a tar; returns layer_apply's result. */
static int apply(const char *tarfile, const layer_apply_opts_t *opts, layer_apply_result_t *res,
                 cell_error_t *err)
{
        int dfd, tfd, r;

        dfd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        tfd = open(tarfile, O_RDONLY | O_CLOEXEC);
        assert_true(dfd >= 0 && tfd >= 0);
        r = layer_apply(dfd, tfd, opts, res, err);
        close(dfd);
        close(tfd);
        return r;
}

static void reset_layer(void)
{
        cell_error_t err;

        assert_int_equal(fs_rm_rf(layer, &err), 0);
        assert_int_equal(mkdir(layer, 0755), 0);
}

/* Run one hostile tar in every compression; check the outside tree. Returns
 * the result of the last run (all runs must agree). */
static int hostile(const tent_t *ents, size_t n, char *msg, size_t msglen)
{
        static const char *filters[] = {NULL, "gzip", "zstd"};
        int first = 0;

        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                char tarfile[PATH_MAX];
                layer_apply_result_t res;
                cell_error_t err = {0};
                char *before, *after;
                int r;

                snprintf(tarfile, sizeof(tarfile), "%s/t.tar", tmp);
                reset_layer();
                make_tar(tarfile, filters[i], ents, n);
                before = snapshot();
                r = apply(tarfile, NULL, &res, &err);
                after = snapshot();
                assert_string_equal(before, after);
                free(before);
                free(after);
                host_absent(unique);
                if (i == 0)
                        first = r;
                assert_int_equal(r < 0, first < 0);
                if (r < 0) {
                        assert_true(err.msg[0] != '\0');
                        snprintf(msg, msglen, "%s", err.msg);
                }
                unlink(tarfile);
        }
        return first;
}

static bool exists(const char *p)
{
        struct stat st;

        return lstat(p, &st) == 0;
}

/* ---- hostile layers ---- */

static void test_dotdot(void **state)
{
        char msg[CELL_ERROR_MAX];
        tent_t t[] = {{.path = path_of("../../%s", unique), .data = "x"}};

        NEED_ROOT();
        assert_true(hostile(t, 1, msg, sizeof(msg)) < 0);
        assert_non_null(strstr(msg, ".."));
        assert_non_null(strstr(msg, "offset"));
        tent_t t2[] = {{.path = path_of("x/../../../../etc/%s", unique), .data = "x"}};
        assert_true(hostile(t2, 1, msg, sizeof(msg)) < 0);
}

static void test_absolute(void **state)
{
        char msg[CELL_ERROR_MAX];
        tent_t t[] = {{.path = path_of("/abs/%s", unique), .data = "x"}};

        NEED_ROOT();
        assert_int_equal(hostile(t, 1, msg, sizeof(msg)), 0);
        assert_true(exists(path_of("%s/abs/%s", layer, unique)));
}

static void test_symlink_to_etc(void **state)
{
        char msg[CELL_ERROR_MAX];
        tent_t t[] = {{.path = "link", .type = AE_IFLNK, .link = "/etc"},
                      {.path = path_of("link/%s", unique), .data = "x"}};
        tent_t t2[] = {{.path = "etc", .type = AE_IFDIR},
                       {.path = "link", .type = AE_IFLNK, .link = "/etc"},
                       {.path = path_of("link/%s", unique), .data = "x"}};

        NEED_ROOT();
        /* No etc in the layer: the parent does not exist inside the root. */
        assert_true(hostile(t, 2, msg, sizeof(msg)) < 0);
        /* With one: the entry lands in the layer's etc. */
        assert_int_equal(hostile(t2, 3, msg, sizeof(msg)), 0);
        assert_true(exists(path_of("%s/etc/%s", layer, unique)));
        assert_true(exists(path_of("%s/link", layer)));
}

static void test_symlink_up(void **state)
{
        char msg[CELL_ERROR_MAX];
        tent_t t[] = {{.path = "link", .type = AE_IFLNK, .link = "../../.."},
                      {.path = path_of("link/%s", unique), .data = "x"},
                      {.path = "l2", .type = AE_IFLNK, .link = path_of("%s/outside", tmp)},
                      {.path = "l2/target", .data = "evil"}};

        NEED_ROOT();
        assert_int_equal(hostile(t, 2, msg, sizeof(msg)), 0);
        assert_true(exists(path_of("%s/%s", layer, unique)));
        /* An absolute symlink to the real outside dir resolves to a missing
         * directory inside the root: an error, the outside file untouched. */
        assert_true(hostile(t, 4, msg, sizeof(msg)) < 0);
}

static void test_hardlink_out(void **state)
{
        char msg[CELL_ERROR_MAX];
        struct stat before, after;
        tent_t t[] = {{.path = "passwd", .link = "/etc/passwd"}};
        tent_t t2[] = {{.path = "h", .link = "../../../outside/target"}};
        tent_t t3[] = {{.path = "s", .type = AE_IFLNK, .link = "/etc/passwd"}, {.path = "h", .link = "s"}};
        tent_t t4[] = {{.path = "s", .type = AE_IFLNK, .link = "../../../outside"},
                       {.path = "h", .link = "s/target"}};

        NEED_ROOT();
        assert_int_equal(lstat("/etc/passwd", &before), 0);
        assert_true(hostile(t, 1, msg, sizeof(msg)) < 0);
        assert_true(hostile(t2, 1, msg, sizeof(msg)) < 0);
        /* A hardlink to a symlink is a second name of the symlink. */
        assert_int_equal(hostile(t3, 2, msg, sizeof(msg)), 0);
        struct stat st;
        assert_int_equal(lstat(path_of("%s/h", layer), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(st.st_nlink, 2);
        /* Through a symlink that points up: resolves in root, no target there. */
        assert_true(hostile(t4, 2, msg, sizeof(msg)) < 0);
        assert_int_equal(lstat("/etc/passwd", &after), 0);
        assert_int_equal(before.st_nlink, after.st_nlink);
        assert_int_equal(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
}

static void test_whiteout_hostile(void **state)
{
        char msg[CELL_ERROR_MAX];
        tent_t t[] = {{.path = "a/.wh..", .data = ""}};
        tent_t t2[] = {{.path = path_of("../.wh.%s", unique), .data = ""}};
        tent_t t3[] = {{.path = "link", .type = AE_IFLNK, .link = path_of("%s/outside", tmp)},
                       {.path = "link/.wh.target", .data = ""}};
        tent_t t4[] = {{.path = ".wh..wh..opq", .data = ""}, {.path = ".wh.", .data = ""}};
        tent_t t5[] = {{.path = ".wh..wh..opq", .data = ""}, {.path = "x/.wh..wh..opq/y", .data = "z"}};
        char v[8];

        NEED_ROOT();
        assert_true(hostile(t, 1, msg, sizeof(msg)) < 0);
        assert_true(hostile(t2, 1, msg, sizeof(msg)) < 0);
        /* The whiteout's parent resolves in root (to a missing directory,
         * which is then made inside the root). */
        hostile(t3, 2, msg, sizeof(msg));
        assert_true(hostile(t4, 2, msg, sizeof(msg)) < 0);
        /* Opaque marker at the top: the layer root is marked, nothing else. */
        tent_t t4b[] = {{.path = ".wh..wh..opq", .data = ""}};
        assert_int_equal(hostile(t4b, 1, msg, sizeof(msg)), 0);
        assert_int_equal(getxattr(layer, "trusted.overlay.opaque", v, sizeof(v)), 1);
        /* ".wh..wh..opq" as a directory name in the middle of a path. */
        hostile(t5, 2, msg, sizeof(msg));
}

static void test_file_over_symlink(void **state)
{
        char msg[CELL_ERROR_MAX];
        char buf[16] = "";
        struct stat st;
        tent_t t[] = {{.path = "f", .type = AE_IFLNK, .link = path_of("%s/outside/target", tmp)},
                      {.path = "f", .data = "new"},
                      {.path = "d", .type = AE_IFLNK, .link = path_of("%s/outside", tmp)},
                      {.path = "d", .type = AE_IFDIR},
                      {.path = "d/target", .data = "new"}};
        int fd;

        NEED_ROOT();
        assert_int_equal(hostile(t, 5, msg, sizeof(msg)), 0);
        assert_int_equal(lstat(path_of("%s/f", layer), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(lstat(path_of("%s/d", layer), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        fd = open(path_of("%s/outside/target", tmp), O_RDONLY | O_CLOEXEC);
        assert_int_equal(read(fd, buf, sizeof(buf) - 1), 4);
        close(fd);
        assert_string_equal(buf, "orig");
}

static void test_truncated(void **state)
{
        char *tarfile = path_of("%s/trunc.tar", tmp);
        static char big[4 << 20];
        layer_apply_result_t res;
        cell_error_t err = {0};
        static const char *filters[] = {NULL, "gzip", "zstd"};

        NEED_ROOT();
        /* Incompressible, so that a compressed layer is cut inside the
         * entry too and the error can name it. */
        srandom(42);
        for (size_t i = 0; i < sizeof(big) - 1; i++)
                big[i] = (char)('a' + random() % 26);
        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                tent_t t[] = {{.path = "first", .data = "1"}, {.path = "bigfile", .data = big}};
                struct stat st;
                char *before, *after;

                reset_layer();
                make_tar(tarfile, filters[i], t, 2);
                assert_int_equal(stat(tarfile, &st), 0);
                assert_int_equal(truncate(tarfile, st.st_size / 2), 0);
                before = snapshot();
                assert_true(apply(tarfile, NULL, &res, &err) < 0);
                after = snapshot();
                assert_string_equal(before, after);
                free(before);
                free(after);
                printf("truncated (%s): %s\n", filters[i] ? filters[i] : "tar", err.msg);
                assert_non_null(strstr(err.msg, "bigfile"));
                assert_non_null(strstr(err.msg, "offset"));
        }
        /* Garbage. */
        int fd = open(tarfile, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(write(fd, big, 5000), 5000);
        close(fd);
        assert_true(apply(tarfile, NULL, &res, &err) < 0);
        printf("garbage: %s\n", err.msg);
}

static void test_sparse(void **state)
{
        char *src = path_of("%s/sparse-src", tmp);
        char *tarfile = path_of("%s/sparse.tar", tmp);
        char cmd[PATH_MAX * 3];
        layer_apply_result_t res;
        cell_error_t err = {0};
        struct stat st;
        int fd;

        NEED_ROOT();
        reset_layer();
        assert_int_equal(mkdir(src, 0755), 0);
        fd = open(path_of("%s/huge", src), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "start", 5, 0), 5);
        assert_int_equal(pwrite(fd, "middle", 6, 32LL << 30), 6);
        assert_int_equal(ftruncate(fd, 64LL << 30), 0);
        close(fd);
        snprintf(cmd, sizeof(cmd), "tar -C %s --sparse --format=pax -cf %s huge", src, tarfile);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(apply(tarfile, NULL, &res, &err), 0);
        assert_int_equal(lstat(path_of("%s/huge", layer), &st), 0);
        assert_int_equal(st.st_size, 64LL << 30);
        assert_true(st.st_blocks * 512 < (1 << 20));
        char buf[8] = "";
        fd = open(path_of("%s/huge", layer), O_RDONLY | O_CLOEXEC);
        assert_int_equal(pread(fd, buf, 6, 32LL << 30), 6);
        close(fd);
        assert_memory_equal(buf, "middle", 6);
        assert_int_equal(res.unpacked_size, 64ULL << 30);
}

/* ---- good layers ---- */

static void check_diffid(const char *tarfile, const char *filter, const char *diff_id)
{
        char cmd[PATH_MAX * 2], out[128] = "";
        FILE *p;

        snprintf(cmd, sizeof(cmd), "%s %s | sha256sum",
                 filter ? (strcmp(filter, "gzip") == 0 ? "zcat" : "zstdcat") : "cat", tarfile);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(out, sizeof(out), p));
        pclose(p);
        assert_memory_equal(diff_id, "sha256:", 7);
        assert_memory_equal(diff_id + 7, out, 64);
}

static void test_good_tree(void **state)
{
        static const char *filters[] = {NULL, "gzip", "zstd"};
        static const char cap[] = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

        NEED_ROOT();
        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                char *tarfile = path_of("%s/good.tar", tmp);
                tent_t t[] = {
                        {.path = "./", .type = AE_IFDIR, .perm = 0755},
                        {.path = "usr/", .type = AE_IFDIR, .perm = 0755, .mtime = 1111111111},
                        {.path = "usr/bin/", .type = AE_IFDIR, .perm = 0755, .mtime = 1222222222},
                        {.path = "usr/bin/su",
                         .data = "#!su",
                         .perm = 04755,
                         .uid = 1000,
                         .gid = 1001,
                         .mtime = 1234567890},
                        {.path = "usr/bin/ping",
                         .data = "ping",
                         .perm = 0755,
                         .xname = "security.capability",
                         .xval = cap,
                         .xlen = sizeof(cap)},
                        {.path = "usr/bin/x", .data = "x", .xname = "user.note", .xval = "hello"},
                        {.path = "usr/bin/ov",
                         .data = "x",
                         .xname = "trusted.overlay.redirect",
                         .xval = "/etc"},
                        {.path = "usr/bin/sh", .type = AE_IFLNK, .link = "/bin/busybox"},
                        {.path = "usr/bin/su2", .link = "usr/bin/su"},
                        {.path = "tmp/", .type = AE_IFDIR, .perm = 01777},
                        {.path = "dev/null", .type = AE_IFCHR, .rmaj = 1, .rmin = 3, .perm = 0666},
                        {.path = "dev/sda", .type = AE_IFBLK, .rmaj = 8, .rmin = 0, .perm = 0660},
                        {.path = "run/fifo", .type = AE_IFIFO, .perm = 0620},
                        {.path = "gone/.wh.old", .data = ""},
                        {.path = "opq/.wh..wh..opq", .data = ""},
                        {.path = "opq/kept", .data = "k"},
                };
                layer_apply_result_t res;
                cell_error_t err = {0};
                struct stat st;
                char v[64];

                reset_layer();
                make_tar(tarfile, filters[i], t, ARRAY_SIZE(t));
                assert_int_equal(apply(tarfile, NULL, &res, &err), 0);
                check_diffid(tarfile, filters[i], res.diff_id);

                assert_int_equal(lstat(path_of("%s/usr/bin/su", layer), &st), 0);
                assert_int_equal(st.st_mode & 07777, 04755);
                assert_int_equal(st.st_uid, 1000);
                assert_int_equal(st.st_gid, 1001);
                assert_int_equal(st.st_mtim.tv_sec, 1234567890);
                assert_int_equal(st.st_nlink, 2);
                assert_int_equal(lstat(path_of("%s/usr/bin", layer), &st), 0);
                assert_int_equal(st.st_mtim.tv_sec, 1222222222);
                assert_int_equal(lstat(path_of("%s/usr", layer), &st), 0);
                assert_int_equal(st.st_mtim.tv_sec, 1111111111);
                assert_int_equal(
                        getxattr(path_of("%s/usr/bin/ping", layer), "security.capability", v, sizeof(v)),
                        (ssize_t)sizeof(cap));
                assert_memory_equal(v, cap, sizeof(cap));
                assert_int_equal(getxattr(path_of("%s/usr/bin/x", layer), "user.note", v, sizeof(v)), 5);
                assert_true(getxattr(path_of("%s/usr/bin/ov", layer), "trusted.overlay.redirect", v,
                                     sizeof(v)) < 0);
                assert_int_equal(readlink(path_of("%s/usr/bin/sh", layer), v, sizeof(v)), 12);
                assert_int_equal(lstat(path_of("%s/tmp", layer), &st), 0);
                assert_int_equal(st.st_mode & 07777, 01777);
                assert_int_equal(lstat(path_of("%s/dev/null", layer), &st), 0);
                assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
                assert_int_equal(st.st_mode & 07777, 0666);
                assert_int_equal(lstat(path_of("%s/dev/sda", layer), &st), 0);
                assert_true(S_ISBLK(st.st_mode) && st.st_rdev == makedev(8, 0));
                assert_int_equal(lstat(path_of("%s/run/fifo", layer), &st), 0);
                assert_true(S_ISFIFO(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0620);
                assert_int_equal(lstat(path_of("%s/gone/old", layer), &st), 0);
                assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
                assert_false(exists(path_of("%s/gone/.wh.old", layer)));
                assert_int_equal(getxattr(path_of("%s/opq", layer), "trusted.overlay.opaque", v, sizeof(v)),
                                 1);
                assert_int_equal(v[0], 'y');
                assert_true(exists(path_of("%s/opq/kept", layer)));
                assert_false(exists(path_of("%s/opq/.wh..wh..opq", layer)));
                assert_int_equal(res.entries, ARRAY_SIZE(t));
                assert_int_equal(res.whiteouts, 2);
                assert_int_equal(res.unpacked_size, 4 + 4 + 1 + 1 + 1);
        }
}

static void test_replace_and_direct(void **state)
{
        char *tarfile = path_of("%s/direct.tar", tmp);
        layer_apply_opts_t o = {.apply_whiteouts_directly = true};
        layer_apply_result_t res;
        cell_error_t err = {0};
        struct stat st;
        int fd;
        tent_t lower[] = {{.path = "lower/a", .data = "a"},
                          {.path = "lower/b", .data = "b"},
                          {.path = "opq/c", .data = "c"},
                          {.path = "merge/old", .data = "o"},
                          {.path = "dir2file/x", .data = "x"}};
        tent_t upper[] = {{.path = "lower/.wh.a", .data = ""},       {.path = "opq/early", .data = "e"},
                          {.path = "opq/.wh..wh..opq", .data = ""},  {.path = "opq/new", .data = "n"},
                          {.path = "merge", .type = AE_IFDIR},       {.path = "merge/new", .data = "n"},
                          {.path = "dir2file", .data = "now a file"}};

        NEED_ROOT();
        reset_layer();
        make_tar(tarfile, NULL, lower, ARRAY_SIZE(lower));
        assert_int_equal(apply(tarfile, &o, &res, &err), 0);
        make_tar(tarfile, NULL, upper, ARRAY_SIZE(upper));
        assert_int_equal(apply(tarfile, &o, &res, &err), 0);
        assert_false(exists(path_of("%s/lower/a", layer)));
        assert_true(exists(path_of("%s/lower/b", layer)));
        assert_false(exists(path_of("%s/opq/c", layer)));
        assert_true(exists(path_of("%s/opq/early", layer)));
        assert_true(exists(path_of("%s/opq/new", layer)));
        assert_true(exists(path_of("%s/merge/old", layer)));
        assert_true(exists(path_of("%s/merge/new", layer)));
        assert_int_equal(lstat(path_of("%s/dir2file", layer), &st), 0);
        assert_true(S_ISREG(st.st_mode));

        /* Opaque markers for overlay mounts with userxattr. */
        layer_apply_opts_t ou = {.userxattr = true};
        tent_t opq[] = {{.path = "d/.wh..wh..opq", .data = ""}};
        char v[4];
        reset_layer();
        make_tar(tarfile, NULL, opq, 1);
        assert_int_equal(apply(tarfile, &ou, &res, &err), 0);
        assert_int_equal(getxattr(path_of("%s/d", layer), "user.overlay.opaque", v, sizeof(v)), 1);
        assert_true(getxattr(path_of("%s/d", layer), "trusted.overlay.opaque", v, sizeof(v)) < 0);

        /* Id mapping. */
        layer_id_map_t m = {.container_id = 0, .host_id = 100000, .size = 65536};
        layer_apply_opts_t o2 = {.uid_map = &m, .n_uid_map = 1, .gid_map = &m, .n_gid_map = 1};
        tent_t ids[] = {{.path = "owned", .data = "x", .uid = 1000, .gid = 5}};
        tent_t bad[] = {{.path = "owned", .data = "x", .uid = 70000}};
        reset_layer();
        make_tar(tarfile, NULL, ids, 1);
        assert_int_equal(apply(tarfile, &o2, &res, &err), 0);
        assert_int_equal(lstat(path_of("%s/owned", layer), &st), 0);
        assert_int_equal(st.st_uid, 101000);
        assert_int_equal(st.st_gid, 100005);
        make_tar(tarfile, NULL, bad, 1);
        assert_true(apply(tarfile, &o2, &res, &err) < 0);
        assert_non_null(strstr(err.msg, "mapping"));
        (void)fd;
}

static int write_str(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, s, strlen(s));
        close(fd);
        return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* In a user namespace mknod of a device fails (no CAP_MKNOD in the initial
 * one): a clear error, or with skip_devices the device is left out; fifos and
 * overlay whiteouts (0:0) are still made. */
static void test_userns_devices(void **state)
{
        char *tarfile = path_of("%s/userns.tar", tmp);
        tent_t t[] = {{.path = "dev/null", .type = AE_IFCHR, .rmaj = 1, .rmin = 3},
                      {.path = "fifo", .type = AE_IFIFO},
                      {.path = ".wh.gone", .data = ""}};
        int status;
        pid_t pid;

        NEED_ROOT();
        reset_layer();
        make_tar(tarfile, NULL, t, ARRAY_SIZE(t));
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                layer_apply_opts_t o = {.skip_devices = true};
                layer_apply_result_t res;
                cell_error_t err = {0};

                if (unshare(CLONE_NEWUSER) < 0 || write_str("/proc/self/uid_map", "0 0 1") < 0 ||
                    write_str("/proc/self/setgroups", "deny") < 0 ||
                    write_str("/proc/self/gid_map", "0 0 1") < 0)
                        _exit(10);
                if (apply(tarfile, NULL, &res, &err) == 0 || !strstr(err.msg, "CAP_MKNOD"))
                        _exit(11);
                reset_layer();
                if (apply(tarfile, &o, &res, &err) < 0) {
                        printf("userns apply: %s\n", err.msg);
                        _exit(12);
                }
                if (res.skipped_devices != 1 || exists(path_of("%s/dev/null", layer)) ||
                    !exists(path_of("%s/fifo", layer)) || !exists(path_of("%s/gone", layer)))
                        _exit(13);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 10) {
                printf("test_userns_devices: skipped, no user namespaces here\n");
                skip();
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dotdot),
                cmocka_unit_test(test_absolute),
                cmocka_unit_test(test_symlink_to_etc),
                cmocka_unit_test(test_symlink_up),
                cmocka_unit_test(test_hardlink_out),
                cmocka_unit_test(test_whiteout_hostile),
                cmocka_unit_test(test_file_over_symlink),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_sparse),
                cmocka_unit_test(test_good_tree),
                cmocka_unit_test(test_replace_and_direct),
                cmocka_unit_test(test_userns_devices),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
