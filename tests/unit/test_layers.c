/* cell: unit tests for the unpacked-layer cache and container root file
 * systems (lib/storage/layers.c, rootfs.c).
 *
 * Images are built here in a temporary image store (layer tars written with
 * libarchive, a config with their diff_ids, an OCI manifest, a tag), then
 * unpacked and mounted in a private mount namespace of a forked child, as
 * test_snapshot does, so nothing reaches the host's mount table even when a
 * test fails; the child reports the failing line through its exit status.
 * Needs root (chown, trusted.* xattrs, overlay mounts). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* The child leaves with _exit, which skips LeakSanitizer's check at exit:
 * run it by hand so that leaks in the code under test still fail. */
static int leak_check(void)
{
        return __lsan_do_recoverable_leak_check() ? 249 : 0;
}
#else
static int leak_check(void)
{
        return 0;
}
#endif

#include "cleanup.h"
#include "fsutil.h"
#include "layers.h"
#include "rootfs.h"
#include "store.h"
#include "strutil.h"

static char tmp[PATH_MAX];

#define p tu_path

static int setup(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                print_message("skipped: layers and overlay mounts need root\n");
                return 0;
        }
        snprintf(tmp, sizeof(tmp), "/var/tmp/cell-layers-test.XXXXXX");
        assert_non_null(mkdtemp(tmp));
        return 0;
}

static int teardown(void **state)
{
        cell_error_t err = {0};

        (void)state;
        if (tmp[0] && fs_rm_rf(tmp, &err) < 0)
                print_message("could not remove %s: %s\n", tmp, err.msg);
        tmp[0] = '\0';
        return 0;
}

static void in_private_mounts(int (*fn)(void))
{
        pid_t pid;
        int status = 0;

        if (geteuid() != 0)
                skip();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(200);
                int r = fn();

                _exit(r ? r : leak_check());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
                print_message("child failed at line %d (mod 250)\n", WEXITSTATUS(status) - 1);
        assert_int_equal(WEXITSTATUS(status), 0);
}

#define CHECK(cond)                                                                                          \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        fprintf(stderr, "check failed at line %d: %s (%s)\n", __LINE__, #cond, err.msg);     \
                        return __LINE__ % 250 + 1;                                                           \
                }                                                                                            \
        } while (0)

/* ---- building images ----------------------------------------------------- */

typedef struct tent {
        const char *name;
        char type; /* 'd' directory, 'f' file, 'l' symlink (data is the target) */
        const char *data;
} tent_t;

static void add_entry(struct archive *a, const char *name, char type, const char *data, size_t len)
{
        struct archive_entry *e = archive_entry_new();

        archive_entry_set_pathname(e, name);
        archive_entry_set_mtime(e, 1700000000, 0);
        switch (type) {
        case 'd':
                archive_entry_set_filetype(e, AE_IFDIR);
                archive_entry_set_perm(e, 0755);
                break;
        case 'l':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_perm(e, 0777);
                archive_entry_set_symlink(e, data);
                break;
        default:
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t)len);
                break;
        }
        if (archive_write_header(a, e) != ARCHIVE_OK)
                abort();
        if (type == 'f' && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
                abort();
        archive_entry_free(e);
}

static struct archive *tar_begin(const char *file)
{
        struct archive *a = archive_write_new();

        if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, file) != ARCHIVE_OK)
                abort();
        return a;
}

static void tar_end(struct archive *a)
{
        if (archive_write_close(a) != ARCHIVE_OK)
                abort();
        archive_write_free(a);
}

typedef struct blob {
        char digest[IMAGE_DIGEST_STR_SIZE];
        size_t size;
} blob_t;

/* Put a file's bytes into the store as a blob. */
static int put_file_blob(image_store_t *store, const char *file, blob_t *ret, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        if (fs_read_file(file, 0, &data, &len, err) < 0 ||
            image_store_blob_put(store, data, len, NULL, ret->digest, err) < 0)
                return -1;
        ret->size = len;
        return 0;
}

/* A layer from a list of entries: an uncompressed tar, so its digest is its
 * diff_id. */
static int make_layer(image_store_t *store, const tent_t *ents, size_t n, blob_t *ret, cell_error_t *err)
{
        const char *file = p("%s/layer.tar", tmp);
        struct archive *a = tar_begin(file);

        for (size_t i = 0; i < n; i++)
                add_entry(a, ents[i].name, ents[i].type, ents[i].data,
                          ents[i].data ? strlen(ents[i].data) : 0);
        tar_end(a);
        return put_file_blob(store, file, ret, err);
}

/* A config and a manifest for the layers (diff_ids as given: the layers'
 * digests unless a test lies), tagged as ref. */
static int make_image(image_store_t *store, const char *ref, const blob_t *layers, char *const *diff_ids,
                      size_t n, cell_error_t *err)
{
        json_t *cfg = json_pack("{s:s, s:s, s:{s:s, s:[]}}", "architecture", "amd64", "os", "linux", "rootfs",
                                "type", "layers", "diff_ids");
        json_t *man = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                "application/vnd.oci.image.manifest.v1+json", "layers");
        char *cdata, *mdata;
        blob_t cblob, mblob;
        int r;

        for (size_t i = 0; i < n; i++) {
                json_array_append_new(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"),
                                      json_string(diff_ids ? diff_ids[i] : layers[i].digest));
                json_array_append_new(json_object_get(man, "layers"),
                                      json_pack("{s:s, s:s, s:I}", "mediaType",
                                                "application/vnd.oci.image.layer.v1.tar", "digest",
                                                layers[i].digest, "size", (json_int_t)layers[i].size));
        }
        cdata = json_dumps(cfg, JSON_COMPACT);
        json_decref(cfg);
        r = image_store_blob_put(store, cdata, strlen(cdata), NULL, cblob.digest, err);
        cblob.size = strlen(cdata);
        free(cdata);
        if (r < 0)
                return r;
        json_object_set_new(man, "config",
                            json_pack("{s:s, s:s, s:I}", "mediaType",
                                      "application/vnd.oci.image.config.v1+json", "digest", cblob.digest,
                                      "size", (json_int_t)cblob.size));
        mdata = json_dumps(man, JSON_COMPACT);
        json_decref(man);
        r = image_store_blob_put(store, mdata, strlen(mdata), NULL, mblob.digest, err);
        mblob.size = strlen(mdata);
        free(mdata);
        if (r < 0)
                return r;
        return image_store_tag(store, ref, "application/vnd.oci.image.manifest.v1+json", mblob.digest,
                               (int64_t)mblob.size, err);
}

static const tent_t layer1[] = {
        {"etc", 'd', NULL},         {"etc/a", 'f', "a1\n"}, {"etc/gone", 'f', "gone\n"}, {"opq", 'd', NULL},
        {"opq/hidden", 'f', "h\n"}, {"keep", 'f', "k\n"},   {"link", 'l', "etc/a"},
};
static const tent_t layer2[] = {
        {"etc", 'd', NULL}, {"etc/.wh.gone", 'f', ""},     {"etc/b", 'f', "b2\n"},
        {"opq", 'd', NULL}, {"opq/.wh..wh..opq", 'f', ""}, {"opq/new", 'f', "n\n"},
};
static const tent_t layer3[] = {
        {"only-b", 'f', "b\n"},
};

typedef struct env {
        image_store_t *store;
        storage_t *st;
        blob_t l1, l2, l3;
} env_t;

/* The store with images "a" (layers 1, 2) and "b" (layers 1, 3). */
static int env_open(env_t *e, cell_error_t *err)
{
        blob_t la[2], lb[2];

        if (image_store_open(p("%s/store", tmp), &e->store, err) < 0 ||
            storage_open(p("%s/storage", tmp), &e->st, err) < 0 ||
            make_layer(e->store, layer1, ARRAY_SIZE(layer1), &e->l1, err) < 0 ||
            make_layer(e->store, layer2, ARRAY_SIZE(layer2), &e->l2, err) < 0 ||
            make_layer(e->store, layer3, ARRAY_SIZE(layer3), &e->l3, err) < 0)
                return -1;
        la[0] = lb[0] = e->l1;
        la[1] = e->l2;
        lb[1] = e->l3;
        if (make_image(e->store, "a", la, NULL, 2, err) < 0 ||
            make_image(e->store, "b", lb, NULL, 2, err) < 0)
                return -1;
        return 0;
}

static void env_close(env_t *e)
{
        storage_close(e->st);
        image_store_close(e->store);
}

static int ensure_ref(env_t *e, const char *ref, char ***dirs, cell_error_t *err)
{
        storage_image_t img = {0};
        int r = storage_image_find(e->store, ref, &img, err);

        if (r == 0)
                r = storage_layers_ensure(e->st, e->store, img.manifest, img.config, dirs, NULL, err);
        storage_image_clear(&img);
        return r;
}

static size_t count_prefix(const char *dir, const char *prefix)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (str_has_prefix(de->d_name, prefix))
                        n++;
        closedir(d);
        return n;
}

static size_t count_layers(storage_t *st)
{
        char **v = NULL;
        size_t n;

        if (storage_layers_list(st, &v, NULL) < 0)
                return (size_t)-1;
        n = strv_length(v);
        strv_free(v);
        return n;
}

static bool file_is(const char *path, const char *want)
{
        char buf[256] = "";
        FILE *f = fopen(path, "r");
        size_t n;

        if (!f)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strcmp(buf, want) == 0;
}

static bool mounted_at(const char *path)
{
        char line[4096];
        FILE *f = fopen("/proc/self/mountinfo", "r");
        bool found = false;

        if (!f)
                return true;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, path))
                        found = true;
        fclose(f);
        return found;
}

/* ---- tests --------------------------------------------------------------- */

/* Both layers unpacked once; an image sharing layer 1 reuses its directory. */
static int ensure_shares(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char **dirs = NULL, **dirs2 = NULL, **dirsb = NULL;
        struct stat st1, st1b, stw;
        char val[4] = "";

        CHECK(env_open(&e, &err) == 0);
        CHECK(ensure_ref(&e, "a", &dirs, &err) == 0);
        CHECK(strv_length(dirs) == 2);
        CHECK(count_layers(e.st) == 2);
        CHECK(file_is(p("%s/etc/a", dirs[0]), "a1\n"));
        /* layer 2 as overlayfs wants it: a 0:0 whiteout, an opaque marker */
        CHECK(lstat(p("%s/etc/gone", dirs[1]), &stw) == 0);
        CHECK(S_ISCHR(stw.st_mode) && stw.st_rdev == makedev(0, 0));
        CHECK(getxattr(p("%s/opq", dirs[1]), "trusted.overlay.opaque", val, sizeof(val)) == 1 &&
              val[0] == 'y');
        CHECK(fs_exists(p("%s/../meta.json", dirs[1])));
        CHECK(stat(dirs[0], &st1) == 0);

        /* again: nothing new */
        CHECK(ensure_ref(&e, "a", &dirs2, &err) == 0);
        CHECK(strcmp(dirs[0], dirs2[0]) == 0 && strcmp(dirs[1], dirs2[1]) == 0);
        CHECK(count_layers(e.st) == 2);

        /* b shares layer 1 */
        CHECK(ensure_ref(&e, "b", &dirsb, &err) == 0);
        CHECK(strcmp(dirsb[0], dirs[0]) == 0);
        CHECK(stat(dirsb[0], &st1b) == 0 && st1b.st_ino == st1.st_ino);
        CHECK(count_layers(e.st) == 3);
        CHECK(count_prefix(p("%s/storage/layers", tmp), ".tmp-") == 0);
        strv_free(dirs);
        strv_free(dirs2);
        strv_free(dirsb);
        env_close(&e);
        return 0;
}

static void test_ensure_shares(void **state)
{
        (void)state;
        in_private_mounts(ensure_shares);
}

/* A layer unpacked (without a sync) in another boot is not trusted: after a
 * crash its files may be empty under a complete-looking tree, so it is
 * unpacked again; one from this boot is reused. */
static int other_boot(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char **dirs = NULL, **dirs2 = NULL;
        struct stat before, after;
        FILE *f;

        CHECK(env_open(&e, &err) == 0);
        CHECK(ensure_ref(&e, "a", &dirs, &err) == 0);
        CHECK(stat(dirs[0], &before) == 0);
        f = fopen(p("%s/../meta.json", dirs[0]), "w");
        CHECK(f != NULL);
        fputs("{\"boot_id\":\"00000000-0000-0000-0000-000000000000\"}", f);
        fclose(f);
        CHECK(ensure_ref(&e, "a", &dirs2, &err) == 0);
        CHECK(stat(dirs2[0], &after) == 0);
        CHECK(after.st_ino != before.st_ino); /* unpacked again */
        CHECK(file_is(p("%s/etc/a", dirs2[0]), "a1\n"));
        CHECK(count_layers(e.st) == 2);
        strv_free(dirs);
        strv_free(dirs2);
        env_close(&e);
        return 0;
}

static void test_other_boot(void **state)
{
        (void)state;
        in_private_mounts(other_boot);
}

/* prepare → the merged view; a write shows in diff; release → no mount, no
 * directory. */
static int rootfs_cycle(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char *root = NULL, *dir;
        json_t *diff = NULL;
        struct stat st;
        char *s;

        CHECK(env_open(&e, &err) == 0);
        CHECK(storage_rootfs_prepare(e.st, e.store, "a", "c1", &root, &err) == 0);
        CHECK(mounted_at(root));
        CHECK(file_is(p("%s/etc/a", root), "a1\n"));
        CHECK(file_is(p("%s/etc/b", root), "b2\n"));
        CHECK(file_is(p("%s/keep", root), "k\n"));
        CHECK(lstat(p("%s/etc/gone", root), &st) < 0 && errno == ENOENT);   /* whiteout */
        CHECK(lstat(p("%s/opq/hidden", root), &st) < 0 && errno == ENOENT); /* opaque */
        CHECK(file_is(p("%s/opq/new", root), "n\n"));
        CHECK(lstat(p("%s/link", root), &st) == 0 && S_ISLNK(st.st_mode));

        /* a second container of the same image, by id prefix */
        {
                storage_image_t img = {0};
                char *root2 = NULL;

                CHECK(storage_image_find(e.store, "a", &img, &err) == 0);
                CHECK(storage_rootfs_prepare(e.st, e.store, img.id + 7, "c2", &root2, &err) == 0);
                CHECK(file_is(p("%s/etc/b", root2), "b2\n"));
                CHECK(storage_rootfs_release(e.st, "c2", &err) == 0);
                CHECK(!mounted_at(root2));
                free(root2);
                storage_image_clear(&img);
        }
        CHECK(storage_rootfs_prepare(e.st, e.store, "a", "c1", NULL, &err) == -EEXIST);
        CHECK(storage_rootfs_prepare(e.st, e.store, "a", "../x", NULL, &err) < 0);
        CHECK(storage_rootfs_prepare(e.st, e.store, "nosuch", "c3", NULL, &err) < 0);
        CHECK(!fs_exists(p("%s/storage/containers/c3", tmp)));

        {
                FILE *f = fopen(p("%s/added", root), "w");

                CHECK(f != NULL);
                fputs("x\n", f);
                fclose(f);
        }
        CHECK(unlink(p("%s/keep", root)) == 0);
        CHECK(storage_rootfs_diff(e.st, "c1", &diff, &err) == 0);
        s = json_dumps(diff, JSON_COMPACT);
        CHECK(s && strstr(s, "{\"Path\":\"/added\",\"Kind\":1}") &&
              strstr(s, "{\"Path\":\"/keep\",\"Kind\":2}"));
        free(s);
        json_decref(diff);

        /* busy: a file open in it is no obstacle (detached) */
        {
                int fd = open(p("%s/etc/a", root), O_RDONLY | O_CLOEXEC);

                CHECK(fd >= 0);
                CHECK(storage_rootfs_release(e.st, "c1", &err) == 0);
                close(fd);
        }
        CHECK(!mounted_at(root));
        dir = p("%s/storage/containers/c1", tmp);
        CHECK(!fs_exists(dir));
        CHECK(storage_rootfs_release(e.st, "c1", &err) == 0); /* twice is fine */
        free(root);
        env_close(&e);
        return 0;
}

static void test_rootfs_cycle(void **state)
{
        (void)state;
        in_private_mounts(rootfs_cycle);
}

/* A layer that empties the root ("/.wh..wh..opq") hides every layer below
 * it, which overlayfs would not do by itself for a lower layer's root. */
static int opaque_root(void)
{
        static const tent_t reset[] = {
                {".wh..wh..opq", 'f', ""},
                {"fresh", 'f', "f\n"},
        };
        cell_error_t err = {0};
        env_t e = {0};
        blob_t ls[3];
        char *root = NULL;
        json_t *diff = NULL;
        struct stat st;

        CHECK(env_open(&e, &err) == 0);
        ls[0] = e.l1;
        CHECK(make_layer(e.store, reset, ARRAY_SIZE(reset), &ls[1], &err) == 0);
        ls[2] = e.l3;
        CHECK(make_image(e.store, "reset", ls, NULL, 3, &err) == 0);
        CHECK(storage_rootfs_prepare(e.st, e.store, "reset", "c1", &root, &err) == 0);
        CHECK(file_is(p("%s/fresh", root), "f\n"));
        CHECK(file_is(p("%s/only-b", root), "b\n"));
        CHECK(lstat(p("%s/etc", root), &st) < 0 && errno == ENOENT);
        CHECK(lstat(p("%s/keep", root), &st) < 0 && errno == ENOENT);
        CHECK(storage_rootfs_diff(e.st, "c1", &diff, &err) == 0);
        CHECK(json_array_size(diff) == 0);
        json_decref(diff);
        CHECK(storage_rootfs_release(e.st, "c1", &err) == 0);
        free(root);
        env_close(&e);
        return 0;
}

static void test_opaque_root(void **state)
{
        (void)state;
        in_private_mounts(opaque_root);
}

/* A layer whose content is not the config's diff_id is refused and leaves
 * nothing. */
static int diffid_mismatch(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char **dirs = NULL;
        char *lie[2];
        blob_t ls[2];

        CHECK(env_open(&e, &err) == 0);
        ls[0] = e.l1;
        ls[1] = e.l2;
        lie[0] = e.l1.digest;
        lie[1] = e.l3.digest; /* layer 2 claims to be layer 3 */
        CHECK(make_image(e.store, "liar", ls, lie, 2, &err) == 0);
        CHECK(ensure_ref(&e, "liar", &dirs, &err) < 0);
        CHECK(strstr(err.msg, "layer 1") && strstr(err.msg, "diff_id") && strstr(err.msg, e.l3.digest));
        /* layer 1 is fine and stays; the lying one left nothing */
        CHECK(count_layers(e.st) == 1);
        CHECK(count_prefix(p("%s/storage/layers", tmp), ".tmp-") == 0);
        CHECK(storage_rootfs_prepare(e.st, e.store, "liar", "c1", NULL, &err) < 0);
        CHECK(!fs_exists(p("%s/storage/containers/c1", tmp)));
        env_close(&e);
        return 0;
}

static void test_diffid_mismatch(void **state)
{
        (void)state;
        in_private_mounts(diffid_mismatch);
}

/* A layer big enough that unpacking it takes a while: n files of 8 KiB. */
static int make_big_image(env_t *e, const char *ref, int n, cell_error_t *err)
{
        char file[PATH_MAX];
        struct archive *a;
        static char data[8192];
        blob_t b;

        snprintf(file, sizeof(file), "%s/big.tar", tmp);
        a = tar_begin(file);
        memset(data, 'x', sizeof(data));
        add_entry(a, "big", 'd', NULL, 0);
        for (int i = 0; i < n; i++) {
                snprintf(data, 32, "%d", i);
                add_entry(a, p("big/f%05d", i), 'f', data, sizeof(data));
        }
        tar_end(a);
        if (put_file_blob(e->store, file, &b, err) < 0)
                return -1;
        return make_image(e->store, ref, &b, NULL, 1, err);
}

/* Two processes ensure the same image at once: both succeed, with the same
 * directory, and no temporary directory is left (a second unpack of the same
 * chain id could not have been renamed onto the first one). */
static int concurrent(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        pid_t pids[2];
        int pipes[2][2];
        struct stat st;
        ino_t ino[2];

        CHECK(env_open(&e, &err) == 0);
        CHECK(make_big_image(&e, "big", 1000, &err) == 0);
        for (int i = 0; i < 2; i++) {
                CHECK(pipe(pipes[i]) == 0);
                pids[i] = fork();
                CHECK(pids[i] >= 0);
                if (pids[i] == 0) {
                        char **dirs = NULL;
                        storage_t *st2 = NULL;

                        /* its own handle, as another process would have */
                        if (storage_open(p("%s/storage", tmp), &st2, &err) < 0)
                                _exit(1);
                        e.st = st2;
                        if (ensure_ref(&e, "big", &dirs, &err) < 0 || stat(dirs[0], &st) < 0) {
                                fprintf(stderr, "%s\n", err.msg);
                                _exit(2);
                        }
                        if (write(pipes[i][1], &st.st_ino, sizeof(st.st_ino)) != sizeof(st.st_ino))
                                _exit(3);
                        _exit(0);
                }
                close(pipes[i][1]);
        }
        for (int i = 0; i < 2; i++) {
                int status;

                CHECK(read(pipes[i][0], &ino[i], sizeof(ino[i])) == sizeof(ino[i]));
                CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
                      WEXITSTATUS(status) == 0);
                close(pipes[i][0]);
        }
        CHECK(ino[0] == ino[1]);
        CHECK(count_layers(e.st) == 1);
        CHECK(count_prefix(p("%s/storage/layers", tmp), ".tmp-") == 0);
        env_close(&e);
        return 0;
}

static void test_concurrent(void **state)
{
        (void)state;
        in_private_mounts(concurrent);
}

/* A writer killed while unpacking leaves a temporary directory; the next
 * ensure removes it and unpacks the layer. */
static int killed(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char layers[PATH_MAX];
        char **dirs = NULL;
        pid_t pid;
        int status;
        bool seen = false;

        CHECK(env_open(&e, &err) == 0);
        CHECK(make_big_image(&e, "big", 1500, &err) == 0);
        snprintf(layers, sizeof(layers), "%s/storage/layers", tmp);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                if (ensure_ref(&e, "big", &dirs, &err) < 0)
                        _exit(2);
                _exit(0);
        }
        /* kill it once its temporary directory has some of the layer */
        for (int i = 0; i < 20000 && !seen; i++) {
                seen = count_prefix(layers, ".tmp-") > 0;
                if (!seen)
                        usleep(200);
        }
        if (!seen) {
                CHECK(waitpid(pid, &status, 0) == pid);
                fprintf(stderr, "writer: status %d, layers %zu\n", status, count_layers(e.st));
        }
        CHECK(seen);
        usleep(1000);
        kill(pid, SIGKILL);
        CHECK(waitpid(pid, &status, 0) == pid);
        if (!(WIFSIGNALED(status))) {
                print_message("the writer finished before it was killed: nothing to check\n");
                env_close(&e);
                return 0;
        }
        CHECK(count_prefix(layers, ".tmp-") == 1);
        CHECK(count_layers(e.st) == 0);
        /* any ensure sweeps it, even of another image */
        CHECK(ensure_ref(&e, "a", &dirs, &err) == 0);
        strv_free(dirs);
        CHECK(count_prefix(layers, ".tmp-") == 0);
        CHECK(count_layers(e.st) == 2);
        CHECK(ensure_ref(&e, "big", &dirs, &err) == 0);
        CHECK(count_prefix(layers, ".tmp-") == 0);
        CHECK(count_layers(e.st) == 3);
        {
                struct stat st;

                CHECK(stat(p("%s/big/f01499", dirs[0]), &st) == 0 && st.st_size == 8192);
        }
        strv_free(dirs);
        env_close(&e);
        return 0;
}

static void test_killed(void **state)
{
        (void)state;
        in_private_mounts(killed);
}

/* gc removes what no image and no container uses. */
static int gc(void)
{
        cell_error_t err = {0};
        env_t e = {0};
        char **dirs = NULL, **keep = NULL;
        uint64_t removed = 99;

        CHECK(env_open(&e, &err) == 0);
        CHECK(ensure_ref(&e, "a", &dirs, &err) == 0);
        strv_free(dirs);
        CHECK(ensure_ref(&e, "b", &dirs, &err) == 0);
        strv_free(dirs);
        CHECK(count_layers(e.st) == 3);

        CHECK(storage_layers_keep_set(e.store, &keep, &err) == 0);
        CHECK(strv_length(keep) == 3);
        CHECK(storage_layers_gc(e.st, keep, &removed, &err) == 0);
        CHECK(removed == 0 && count_layers(e.st) == 3);
        strv_free(keep);

        /* b's own layer goes with b; layer 1 stays for a */
        CHECK(storage_rootfs_prepare(e.st, e.store, "a", "c1", NULL, &err) == 0);
        CHECK(image_store_untag(e.store, "b", &err) == 0);
        CHECK(storage_layers_keep_set(e.store, &keep, &err) == 0);
        CHECK(strv_length(keep) == 2);
        CHECK(storage_layers_gc(e.st, keep, &removed, &err) == 0);
        CHECK(removed == 1 && count_layers(e.st) == 2);
        strv_free(keep);

        /* a untagged: its container still holds its layers */
        CHECK(image_store_untag(e.store, "a", &err) == 0);
        CHECK(storage_layers_keep_set(e.store, &keep, &err) == 0);
        CHECK(strv_length(keep) == 0);
        CHECK(storage_layers_gc(e.st, keep, &removed, &err) == 0);
        CHECK(removed == 0 && count_layers(e.st) == 2);
        CHECK(file_is(p("%s/storage/containers/c1/merged/etc/b", tmp), "b2\n"));

        /* the container gone, nothing is used */
        CHECK(storage_rootfs_release(e.st, "c1", &err) == 0);
        CHECK(storage_layers_gc(e.st, keep, &removed, &err) == 0);
        CHECK(removed == 2 && count_layers(e.st) == 0);
        CHECK(count_prefix(p("%s/storage/layers", tmp), ".tmp-") == 0);
        strv_free(keep);

        /* busy while an ensure holds the shared lock */
        CHECK(storage_gc_lock_shared(e.st, &err) == 0);
        {
                storage_t *other = NULL;

                CHECK(storage_open(p("%s/storage", tmp), &other, &err) == 0);
                CHECK(storage_layers_gc(other, NULL, NULL, &err) == -EBUSY);
                storage_close(other);
        }
        storage_gc_unlock(e.st);
        env_close(&e);
        return 0;
}

static void test_gc(void **state)
{
        (void)state;
        in_private_mounts(gc);
}

/* An image of 210 tiny layers mounts (more than one page of lowerdir= could
 * name with these paths). */
static int many_layers(void)
{
        enum { N = 210 };
        cell_error_t err = {0};
        env_t e = {0};
        blob_t *ls = calloc(N, sizeof(*ls));
        char *root = NULL;

        CHECK(ls != NULL);
        CHECK(env_open(&e, &err) == 0);
        for (int i = 0; i < N; i++) {
                char name[16], content[16];
                tent_t t[2] = {{name, 'f', content}, {"top", 'f', content}};

                snprintf(name, sizeof(name), "f%03d", i);
                snprintf(content, sizeof(content), "%d\n", i);
                CHECK(make_layer(e.store, t, 2, &ls[i], &err) == 0);
        }
        CHECK(make_image(e.store, "many", ls, NULL, N, &err) == 0);
        CHECK(storage_rootfs_prepare(e.st, e.store, "many", "c1", &root, &err) == 0);
        CHECK(count_layers(e.st) == N);
        CHECK(file_is(p("%s/f000", root), "0\n"));
        CHECK(file_is(p("%s/f209", root), "209\n"));
        CHECK(file_is(p("%s/top", root), "209\n"));
        CHECK(storage_rootfs_release(e.st, "c1", &err) == 0);
        CHECK(!mounted_at(root));
        free(root);
        free(ls);
        env_close(&e);
        return 0;
}

static void test_many_layers(void **state)
{
        (void)state;
        in_private_mounts(many_layers);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ensure_shares, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_boot, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rootfs_cycle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_opaque_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_diffid_mismatch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_killed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_layers, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
