/* cell: unit tests for the OCI layout image store (lib/image/store.c):
 * atomic blobs, the locked index, gc, check, and reading by skopeo/umoci. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "store.h"
#include "strutil.h"
#include "testutil.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_LAYER    "application/vnd.oci.image.layer.v1.tar"

static char *sub(const char *dir, const char *name)
{
        char *p = str_printf("%s/%s", dir, name);

        assert_non_null(p);
        return p;
}

static image_store_t *open_store(const char *dir)
{
        image_store_t *s = NULL;
        cell_error_t err = {0};
        char *root = sub(dir, "images");

        if (image_store_open(root, &s, &err) < 0)
                fail_msg("open: %s", err.msg);
        free(root);
        return s;
}

/* Entries in blobs/sha256 or blobs/ whose name starts with prefix. */
static int count_entries(const char *dir, const char *subdir, const char *prefix)
{
        char *p = str_printf("%s/images/%s", dir, subdir);
        DIR *d = opendir(p);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' || (prefix[0] && str_has_prefix(de->d_name, prefix)))
                        if (!prefix[0] || str_has_prefix(de->d_name, prefix))
                                n++;
        closedir(d);
        free(p);
        return n;
}

static void put(image_store_t *s, const char *data, char digest[IMAGE_DIGEST_STR_SIZE])
{
        cell_error_t err = {0};

        if (image_store_blob_put(s, data, strlen(data), NULL, digest, &err) < 0)
                fail_msg("put: %s", err.msg);
}

/* A manifest naming config and layers (digests of blobs already put). */
static void put_manifest(image_store_t *s, const char *config, const char *layer,
                         char digest[IMAGE_DIGEST_STR_SIZE], size_t *ret_size)
{
        json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:i}]}", "schemaVersion", 2,
                              "mediaType", MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", config,
                              "size", 2, "layers", "mediaType", MT_LAYER, "digest", layer, "size", 1);
        char *text = json_dumps(m, JSON_COMPACT);

        put(s, text, digest);
        *ret_size = strlen(text);
        free(text);
        json_decref(m);
}

static void test_open_creates_layout(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char *layout = sub(dir, "images/oci-layout"), *buf = NULL;
        cell_error_t err = {0};
        image_store_entry_t *v = NULL;
        size_t n = 99;

        assert_int_equal(fs_read_file(layout, 0, &buf, NULL, &err), 0);
        assert_string_equal(buf, "{\"imageLayoutVersion\":\"1.0.0\"}");
        assert_int_equal(image_store_list(s, &v, &n, &err), 0);
        assert_int_equal(n, 0);
        image_store_entries_free(v, n);
        image_store_close(s);
        /* opening again keeps what is there */
        s = open_store(dir);
        image_store_close(s);
        free(buf);
        free(layout);

        /* A directory that is some other layout is refused. */
        layout = sub(dir, "images/oci-layout");
        assert_int_equal(fs_write_atomic(layout, "{}", 2, 0644, &err), 0);
        {
                char *root = sub(dir, "images");

                assert_true(image_store_open(root, &s, &err) < 0);
                assert_non_null(strstr(err.msg, "not an OCI image layout"));
                free(root);
        }
        free(layout);
}

static void test_blob_roundtrip(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        image_blob_writer_t *w = NULL;
        char d[IMAGE_DIGEST_STR_SIZE], buf[16] = {0};
        cell_error_t err = {0};
        uint64_t size = 0;
        char *path = NULL, *data = NULL;
        size_t len = 0;
        int fd;

        assert_int_equal(image_store_blob_begin(s, &w, &err), 0);
        assert_int_equal(image_store_blob_write(w, "ab", 2, &err), 0);
        assert_int_equal(image_store_blob_write(w, "c", 1, &err), 0);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 1);
        assert_int_equal(image_store_blob_commit(
                                 w, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                 d, &err),
                         0);
        assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
        assert_true(image_store_blob_exists(s, d));
        assert_int_equal(image_store_blob_size(s, d, &size, &err), 0);
        assert_int_equal(size, 3);
        fd = image_store_blob_open(s, d, &err);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), 3);
        assert_string_equal(buf, "abc");
        close(fd);
        assert_int_equal(image_store_blob_path(s, d, &path, &err), 0);
        assert_non_null(strstr(path, "/images/blobs/sha256/ba7816bf"));
        assert_int_equal(image_store_blob_read(s, d, 0, &data, &len, &err), 0);
        assert_int_equal(len, 3);
        free(data);
        free(path);

        /* Same content again: same blob, no error. */
        put(s, "abc", d);
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 1);

        /* Absent and malformed digests. */
        assert_false(image_store_blob_exists(
                s, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_int_equal(
                image_store_blob_open(
                        s, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &err),
                -ENOENT);
        assert_non_null(strstr(err.msg, "is not in the store"));
        assert_int_equal(image_store_blob_open(s, "sha256:../../oci-layout", &err), -EINVAL);
        assert_false(image_store_blob_exists(s, "sha256:../../oci-layout"));

        /* An aborted writer leaves nothing. */
        assert_int_equal(image_store_blob_begin(s, &w, &err), 0);
        assert_int_equal(image_store_blob_write(w, "xyz", 3, &err), 0);
        image_store_blob_abort(w);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 1);
        image_store_close(s);
}

static void test_digest_mismatch(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char d[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};

        assert_int_equal(image_store_blob_put(
                                 s, "abd", 3,
                                 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d,
                                 &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg,
                               "digest mismatch: expected "
                               "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad, got "
                               "sha256:"));
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 0);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
        /* A malformed expected digest is refused before anything lands. */
        assert_int_equal(image_store_blob_put(s, "abc", 3, "md5:abc", d, &err), -EINVAL);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
        image_store_close(s);
}

static void test_tags(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char m1[IMAGE_DIGEST_STR_SIZE], m2[IMAGE_DIGEST_STR_SIZE];
        image_store_entry_t e = {0}, *v = NULL;
        cell_error_t err = {0};
        size_t n = 0;

        put(s, "{\"one\":1}", m1);
        put(s, "{\"two\":2}", m2);
        assert_int_equal(image_store_tag(s, "debian", MT_MANIFEST, m1, 9, &err), 0);
        assert_int_equal(image_store_tag(s, "localhost:5000/ns/app:v1", MT_MANIFEST, m2, 9, &err), 0);
        assert_int_equal(image_store_lookup(s, "docker.io/library/debian:latest", &e, &err), 0);
        assert_string_equal(e.ref, "docker.io/library/debian:latest");
        assert_string_equal(e.digest, m1);
        assert_string_equal(e.media_type, MT_MANIFEST);
        assert_int_equal(e.size, 9);
        image_store_entry_clear(&e);

        /* Re-tagging replaces the entry of that name. */
        assert_int_equal(image_store_tag(s, "debian:latest", MT_MANIFEST, m2, 9, &err), 0);
        assert_int_equal(image_store_list(s, &v, &n, &err), 0);
        assert_int_equal(n, 2);
        image_store_entries_free(v, n);
        assert_int_equal(image_store_lookup(s, "debian", &e, &err), 0);
        assert_string_equal(e.digest, m2);
        image_store_entry_clear(&e);

        /* Refusals. */
        assert_int_equal(image_store_tag(s, "Bad", MT_MANIFEST, m1, 9, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "must be lowercase"));
        assert_int_equal(
                image_store_tag(s, "x", MT_MANIFEST,
                                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0,
                                &err),
                -ENOENT);
        assert_int_equal(image_store_untag(s, "nosuch", &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no such image: docker.io/library/nosuch:latest"));
        assert_int_equal(image_store_lookup(s, "nosuch", &e, &err), -ENOENT);

        assert_int_equal(image_store_untag(s, "debian", &err), 0);
        assert_int_equal(image_store_list(s, &v, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].ref, "localhost:5000/ns/app:v1");
        image_store_entries_free(v, n);
        image_store_close(s);
}

#define WRITERS 16

static void test_concurrent_writers(void **state)
{
        const char *dir = *state;
        image_store_t *s = NULL;
        pid_t pids[WRITERS];
        image_store_entry_t *v = NULL;
        cell_error_t err = {0};
        size_t n = 0;

        /* The store does not exist yet: the first openers race to create
         * it too. */
        for (int i = 0; i < WRITERS; i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        char d[IMAGE_DIGEST_STR_SIZE], ref[32], body[64];
                        image_store_t *cs = NULL;
                        cell_error_t cerr = {0};

                        /* Each child opens the store itself, as separate
                         * commands would. */
                        snprintf(ref, sizeof(ref), "app%d:v%d", i, i);
                        snprintf(body, sizeof(body), "{\"n\":%d}", i);
                        {
                                char *root = str_printf("%s/images", dir);

                                if (image_store_open(root, &cs, &cerr) < 0 ||
                                    image_store_blob_put(cs, body, strlen(body), NULL, d, &cerr) < 0 ||
                                    image_store_tag(cs, ref, MT_MANIFEST, d, (int64_t)strlen(body), &cerr) <
                                            0) {
                                        fprintf(stderr, "writer %d: %s\n", i, cerr.msg);
                                        _exit(1);
                                }
                        }
                        _exit(0);
                }
        }
        for (int i = 0; i < WRITERS; i++) {
                int st = 0;

                assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        s = open_store(dir);
        assert_int_equal(image_store_list(s, &v, &n, &err), 0);
        assert_int_equal(n, WRITERS);
        for (int i = 0; i < WRITERS; i++) {
                char want[64];
                bool found = false;

                snprintf(want, sizeof(want), "docker.io/library/app%d:v%d", i, i);
                for (size_t k = 0; k < n; k++)
                        found = found || str_eq(v[k].ref, want);
                assert_true(found);
        }
        image_store_entries_free(v, n);
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);
        image_store_close(s);
}

static void test_killed_writer(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        image_blob_writer_t *live = NULL;
        cell_error_t err = {0};
        char **problems = NULL;
        int p[2], st = 0;
        pid_t pid;
        char c;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static char chunk[65536];
                image_blob_writer_t *w = NULL;
                image_store_t *cs = NULL;
                char *root = str_printf("%s/images", dir);

                memset(chunk, 'x', sizeof(chunk));
                if (image_store_open(root, &cs, &err) < 0 || image_store_blob_begin(cs, &w, &err) < 0)
                        _exit(1);
                for (int i = 0; i < 16; i++)
                        image_store_blob_write(w, chunk, sizeof(chunk), &err);
                /* tell the parent we are mid-blob, then wait to be killed */
                if (write(p[1], "x", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        assert_int_equal(read(p[0], &c, 1), 1);
        close(p[0]);
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));

        /* Nothing visible as a blob; only the temporary file. */
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 0);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 1);

        /* A live writer's temporary file is not touched by check. */
        assert_int_equal(image_store_blob_begin(s, &live, &err), 0);
        assert_int_equal(image_store_blob_write(live, "live", 4, &err), 0);

        assert_int_equal(image_store_check(s, false, &problems, &err), 1);
        assert_non_null(strstr(problems[0], "leftover temporary file blobs/.tmp-"));
        strv_free(problems);
        problems = NULL;
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 2);
        assert_int_equal(image_store_check(s, true, &problems, &err), 1);
        assert_non_null(strstr(problems[0], "(removed)"));
        strv_free(problems);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 1);
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);

        assert_int_equal(image_store_blob_commit(live, NULL, NULL, &err), 0);
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 1);
        assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
        image_store_close(s);
}

/* The writer of the crash test: images (a layer of a few hundred KiB
 * written in chunks, a config, a manifest, a tag) until it is killed. */
static void crash_writer(const char *dir)
{
        static char chunk[32768];
        char *root = str_printf("%s/images", dir);
        image_store_t *s = NULL;
        cell_error_t err = {0};

        if (image_store_open(root, &s, &err) < 0 || image_store_pin(s, &err) < 0)
                _exit(1);
        for (unsigned i = 0;; i++) {
                char cfg[IMAGE_DIGEST_STR_SIZE], layer[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
                char body[64], ref[64];
                image_blob_writer_t *w = NULL;
                size_t msize = 0;

                snprintf(body, sizeof(body), "{\"pid\":%d,\"i\":%u}", (int)getpid(), i);
                memset(chunk, (int)(i & 0xff), sizeof(chunk));
                memcpy(chunk, body, strlen(body));
                if (image_store_blob_begin(s, &w, &err) < 0)
                        _exit(1);
                for (unsigned k = 0; k < 4 + i % 8; k++)
                        if (image_store_blob_write(w, chunk, sizeof(chunk), &err) < 0)
                                _exit(1);
                if (image_store_blob_commit(w, NULL, layer, &err) < 0 ||
                    image_store_blob_put(s, body, strlen(body), NULL, cfg, &err) < 0)
                        _exit(1);
                put_manifest(s, cfg, layer, man, &msize);
                snprintf(ref, sizeof(ref), "crash:p%d-%u", (int)getpid(), i);
                if (image_store_tag(s, ref, MT_MANIFEST, man, (int64_t)msize, &err) < 0)
                        _exit(1);
        }
}

/* SIGKILL at random points, 25 times: after each, the next open leaves the
 * store check clean, and every image that was tagged is whole. */
static void test_crash_at_random_points(void **state)
{
        const char *dir = *state;
        image_store_entry_t *v = NULL;
        cell_error_t err = {0};
        size_t n = 0;

        srandom((unsigned)getpid());
        for (int round = 0; round < 25; round++) {
                char **problems = NULL;
                image_store_t *s = NULL;
                int st = 0;
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0)
                        crash_writer(dir);
                usleep(2000 + (useconds_t)(random() % 40000));
                kill(pid, SIGKILL);
                assert_int_equal(waitpid(pid, &st, 0), pid);
                /* killed, not failed */
                assert_true(WIFSIGNALED(st));
                s = open_store(dir);
                if (image_store_check(s, false, &problems, &err) != 0) {
                        for (char **p = problems; p && *p; p++)
                                print_error("round %d: %s\n", round, *p);
                        fail();
                }
                strv_free(problems);
                image_store_close(s);
        }
        {
                image_store_t *s = open_store(dir);
                uint64_t removed = 0;

                assert_int_equal(image_store_list(s, &v, &n, &err), 0);
                print_message("%zu images tagged across the kills\n", n);
                assert_true(n > 0);
                image_store_entries_free(v, n);
                assert_int_equal(image_store_gc(s, &removed, NULL, &err), 0);
                assert_int_equal(image_store_check(s, false, NULL, &err), 0);
                assert_int_equal(count_entries(dir, "blobs", ".tmp-"), 0);
                image_store_close(s);
        }
}

static void test_open_sweeps_dead_tmps(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char *tmp = sub(dir, "images/blobs/.tmp-1-dead");
        cell_error_t err = {0};

        /* A file nobody holds a lock on: its writer is gone. */
        assert_int_equal(fs_write_atomic(tmp, "half", 4, 0644, &err), 0);
        image_store_close(s);
        s = open_store(dir);
        assert_false(fs_exists(tmp));
        image_store_close(s);
        free(tmp);

        /* And an index writer's that died before its rename. */
        tmp = sub(dir, "images/.index.json.tmp-12345");
        assert_int_equal(fs_write_atomic(tmp, "{", 1, 0644, &err), 0);
        s = open_store(dir);
        assert_false(fs_exists(tmp));
        image_store_close(s);
        free(tmp);
}

static void test_gc(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir), *other = NULL;
        char cfg[IMAGE_DIGEST_STR_SIZE], layer[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
        char loose[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        uint64_t removed = 99, bytes = 99;
        size_t msize = 0;

        put(s, "{}", cfg);
        put(s, "L", layer);
        put_manifest(s, cfg, layer, man, &msize);
        put(s, "unreferenced", loose);
        assert_int_equal(image_store_tag(s, "keep", MT_MANIFEST, man, (int64_t)msize, &err), 0);

        /* A pin (another handle, as another process would) holds gc off. */
        other = open_store(dir);
        assert_int_equal(image_store_pin(other, &err), 0);
        assert_int_equal(image_store_gc(s, &removed, &bytes, &err), -EBUSY);
        assert_int_equal(image_store_pin(other, &err), 0); /* nested */
        image_store_unpin(other);
        assert_int_equal(image_store_gc(s, &removed, &bytes, &err), -EBUSY);
        image_store_unpin(other);
        image_store_close(other);

        assert_int_equal(image_store_gc(s, &removed, &bytes, &err), 0);
        assert_int_equal(removed, 1);
        assert_int_equal(bytes, strlen("unreferenced"));
        assert_true(image_store_blob_exists(s, cfg));
        assert_true(image_store_blob_exists(s, layer));
        assert_true(image_store_blob_exists(s, man));
        assert_false(image_store_blob_exists(s, loose));

        assert_int_equal(image_store_untag(s, "keep", &err), 0);
        assert_int_equal(image_store_gc(s, &removed, &bytes, &err), 0);
        assert_int_equal(removed, 3);
        assert_int_equal(count_entries(dir, "blobs/sha256", ""), 0);
        image_store_close(s);
}

static void test_gc_through_index(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char cfg[IMAGE_DIGEST_STR_SIZE], layer[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
        char idx[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        uint64_t removed = 99;
        size_t msize = 0;
        json_t *j;
        char *text;

        put(s, "{}", cfg);
        put(s, "L", layer);
        put_manifest(s, cfg, layer, man, &msize);
        /* an index naming the manifest and a second platform we do not have */
        j = json_pack("{s:i, s:s, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}", "schemaVersion", 2, "mediaType",
                      "application/vnd.oci.image.index.v1+json", "manifests", "mediaType", MT_MANIFEST,
                      "digest", man, "size", (int)msize, "mediaType", MT_MANIFEST, "digest",
                      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size", 0);
        text = json_dumps(j, JSON_COMPACT);
        put(s, text, idx);
        assert_int_equal(image_store_tag(s, "multi", "application/vnd.oci.image.index.v1+json", idx,
                                         (int64_t)strlen(text), &err),
                         0);
        free(text);
        json_decref(j);
        assert_int_equal(image_store_gc(s, &removed, NULL, &err), 0);
        assert_int_equal(removed, 0);
        /* the absent platform is not a problem */
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);
        image_store_close(s);
}

static void test_check_corrupt_and_missing(void **state)
{
        const char *dir = *state;
        image_store_t *s = open_store(dir);
        char cfg[IMAGE_DIGEST_STR_SIZE], layer[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
        char cfg2[IMAGE_DIGEST_STR_SIZE], layer2[IMAGE_DIGEST_STR_SIZE], man2[IMAGE_DIGEST_STR_SIZE];
        cell_error_t err = {0};
        char **problems = NULL, *path = NULL;
        image_store_entry_t *v = NULL;
        size_t msize = 0, msize2 = 0, n = 0;

        put(s, "{}", cfg);
        put(s, "L", layer);
        put_manifest(s, cfg, layer, man, &msize);
        assert_int_equal(image_store_tag(s, "good", MT_MANIFEST, man, (int64_t)msize, &err), 0);
        put(s, "{\"c\":2}", cfg2);
        put(s, "L2", layer2);
        put_manifest(s, cfg2, layer2, man2, &msize2);
        assert_int_equal(image_store_tag(s, "bad", MT_MANIFEST, man2, (int64_t)msize2, &err), 0);
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);

        /* Damage the layer on disk (bit rot, a bad disk, a careless hand). */
        assert_int_equal(image_store_blob_path(s, layer2, &path, &err), 0);
        assert_int_equal(fs_write_atomic(path, "X2", 2, 0644, &err), 0);
        free(path);
        assert_int_equal(image_store_check(s, false, &problems, &err), 2);
        assert_non_null(strstr(problems[0], "is corrupt: its content hashes to"));
        assert_non_null(strstr(problems[1], "index entry docker.io/library/bad:latest: layer"));
        assert_non_null(strstr(problems[1], " is corrupt"));
        strv_free(problems);
        problems = NULL;

        assert_int_equal(image_store_check(s, true, &problems, &err), 2);
        assert_non_null(strstr(problems[1], "(entry dropped)"));
        strv_free(problems);
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);
        assert_false(image_store_blob_exists(s, layer2));
        assert_int_equal(image_store_list(s, &v, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].ref, "docker.io/library/good:latest");
        image_store_entries_free(v, n);

        /* A missing config breaks its entry too. */
        assert_int_equal(image_store_blob_path(s, cfg, &path, &err), 0);
        assert_int_equal(unlink(path), 0);
        free(path);
        problems = NULL;
        assert_int_equal(image_store_check(s, true, &problems, &err), 1);
        assert_non_null(strstr(problems[0], "config sha256:"));
        assert_non_null(strstr(problems[0], "is missing"));
        strv_free(problems);
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);
        image_store_close(s);
}

/* Run argv with stdout into a string; returns the exit status, or -1. */
static int run_capture(const char *const argv[], char **out)
{
        char tmpl[] = "/var/tmp/cell-test-out-XXXXXX";
        int fd = mkstemp(tmpl), st = 0;
        cell_error_t err = {0};
        pid_t pid;

        assert_true(fd >= 0);
        unlink(tmpl);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fd, 1);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        lseek(fd, 0, SEEK_SET);
        {
                char path[64];

                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                if (fs_read_file(path, 0, out, NULL, &err) < 0)
                        *out = strdup("");
        }
        close(fd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool in_path(const char *prog)
{
        const char *path = getenv("PATH");
        char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
        bool found = false;

        for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                char *p = str_printf("%s/%s", d, prog);

                found = access(p, X_OK) == 0;
                free(p);
        }
        free(copy);
        return found;
}

static void test_interop_skopeo_umoci(void **state)
{
        const char *dir = *state;
        char *root = sub(dir, "images"), *src = sub(dir, "src"), *file = sub(dir, "src/hello.txt");
        char *tarpath = sub(dir, "layer.tar"), *tarbuf = NULL, *out = NULL, *ocisrc = NULL;
        char cfg[IMAGE_DIGEST_STR_SIZE], layer[IMAGE_DIGEST_STR_SIZE], man[IMAGE_DIGEST_STR_SIZE];
        image_store_t *s = NULL;
        cell_error_t err = {0};
        size_t tarlen = 0;
        json_t *j;
        char *text;

        if (!in_path("skopeo") || !in_path("tar")) {
                print_message("skipped: skopeo or tar is not installed\n");
                skip();
        }
        s = open_store(dir);
        assert_int_equal(fs_mkdir_p(src, 0755, &err), 0);
        assert_int_equal(fs_write_atomic(file, "hello\n", 6, 0644, &err), 0);
        {
                const char *argv[] = {"tar", "-C", src, "-cf", tarpath, "hello.txt", NULL};

                assert_int_equal(run_capture(argv, &out), 0);
                free(out);
        }
        assert_int_equal(fs_read_file(tarpath, 0, &tarbuf, &tarlen, &err), 0);
        assert_int_equal(image_store_blob_put(s, tarbuf, tarlen, NULL, layer, &err), 0);
        j = json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}}", "created", "2026-01-01T00:00:00Z",
                      "architecture", "amd64", "os", "linux", "config", "Cmd", "/bin/sh", "rootfs", "type",
                      "layers", "diff_ids", layer);
        text = json_dumps(j, JSON_COMPACT);
        put(s, text, cfg);
        json_decref(j);
        j = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType",
                      MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", cfg, "size",
                      (json_int_t)strlen(text), "layers", "mediaType", MT_LAYER, "digest", layer, "size",
                      (json_int_t)tarlen);
        free(text);
        text = json_dumps(j, JSON_COMPACT);
        put(s, text, man);
        json_decref(j);
        assert_int_equal(
                image_store_tag(s, "localhost/tiny:1", MT_MANIFEST, man, (int64_t)strlen(text), &err), 0);
        free(text);

        ocisrc = str_printf("oci:%s:localhost/tiny:1", root);
        {
                const char *argv[] = {"skopeo", "inspect", ocisrc, NULL};

                assert_int_equal(run_capture(argv, &out), 0);
                j = json_loads(out, 0, NULL);
                assert_non_null(j);
                assert_string_equal(json_string_value(json_object_get(j, "Digest")), man);
                assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Layers"), 0)),
                                    layer);
                assert_string_equal(json_string_value(json_object_get(j, "Os")), "linux");
                json_decref(j);
                free(out);
        }
        {
                const char *argv[] = {"skopeo", "inspect", "--config", ocisrc, NULL};

                assert_int_equal(run_capture(argv, &out), 0);
                assert_non_null(strstr(out, layer));
                free(out);
        }
        if (in_path("umoci")) {
                const char *argv[] = {"umoci", "ls", "--layout", root, NULL};

                assert_int_equal(run_capture(argv, &out), 0);
                assert_non_null(strstr(out, "localhost/tiny:1"));
                free(out);
        } else {
                print_message("umoci part skipped: umoci is not installed\n");
        }
        assert_int_equal(image_store_check(s, false, NULL, &err), 0);
        image_store_close(s);
        free(ocisrc);
        free(tarbuf);
        free(root);
        free(src);
        free(file);
        free(tarpath);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup_tmpdir, tu_teardown_tmpdir)
        const struct CMUnitTest tests[] = {
                T(test_open_creates_layout),
                T(test_blob_roundtrip),
                T(test_digest_mismatch),
                T(test_tags),
                T(test_concurrent_writers),
                T(test_killed_writer),
                T(test_crash_at_random_points),
                T(test_open_sweeps_dead_tmps),
                T(test_gc),
                T(test_gc_through_index),
                T(test_check_corrupt_and_missing),
                T(test_interop_skopeo_umoci),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
