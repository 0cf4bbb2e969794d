#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "ref.h"
#include "strutil.h"

#define OCI_LAYOUT_FILE    "oci-layout"
#define OCI_LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define INDEX_FILE         "index.json"
#define INDEX_TMP_PREFIX   ".index.json.tmp-"
#define INDEX_LOCK         ".cell-index.lock"
#define GC_LOCK            ".cell-gc.lock"
#define BLOB_TMP_PREFIX    ".tmp-"
#define MEDIA_OCI_INDEX    "application/vnd.oci.image.index.v1+json"
#define MANIFEST_MAX       (4u << 20)
#define INDEX_MAX          (64u << 20)
#define WALK_DEPTH_MAX     8

struct image_store {
        char *root;
        int root_fd;
        int blobs_fd;
        int sha_fd;
        int index_lock_fd;
        int gc_lock_fd;
        unsigned pins;
};

struct image_blob_writer {
        image_store_t *s;
        int fd;
        char tmp[64];
        image_hasher_t *h;
};

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = TEMP_FAILURE_RETRY_INT(write(fd, p, len));

                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int lock_fd(int fd, int op)
{
        if (TEMP_FAILURE_RETRY_INT(flock(fd, op)) < 0)
                return -errno;
        return 0;
}

/* Write name in dirfd atomically and durably: temporary file, fsync,
 * rename, fsync of the directory (without the last, a crash could bring
 * the old name back). */
static int write_durable_at(int dirfd, const char *name, const char *tmpname, const char *data, size_t len,
                            cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        int r;

        fd = TEMP_FAILURE_RETRY_INT(
                openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
        if (fd < 0)
                return cell_error_errno(err, "create %s", tmpname);
        r = write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmpname, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmpname, 0);
                return cell_error_set(err, -r, "write %s", name);
        }
        if (fsync(dirfd) < 0)
                return cell_error_errno(err, "fsync the directory of %s", name);
        return 0;
}

/* A temporary blob file belongs to a live writer exactly when its flock is
 * held (the kernel drops it when the writer dies, however it dies), so no
 * clock or pid guesswork decides what is stale. Returns 1 when the file was
 * stale (and removed when remove is set), 0 when a writer owns it. */
static int sweep_tmp(int dirfd, const char *name, bool remove)
{
        _cleanup_close_ int fd = -1;
        struct stat st, st_name;

        fd = TEMP_FAILURE_RETRY_INT(openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? 0 : -errno;
        /* The writer may have committed (renamed the file away) and let go
         * of its lock between our open and our flock: then the name is gone
         * or is another file, and nothing is stale. */
        if (fstat(fd, &st) < 0 || st.st_nlink == 0 ||
            fstatat(dirfd, name, &st_name, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != st_name.st_ino ||
            st.st_dev != st_name.st_dev)
                return 0;
        /* Unlinked while we hold the lock: a writer that locks it afterwards
         * sees st_nlink == 0 and starts over with a new file. */
        if (remove && unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 1;
}

/* Find (and with remove, delete) the temporary blob files of dead writers;
 * returns how many or -errno. */
static int sweep_tmps(image_store_t *s, bool remove, char ***problems)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd, n = 0;

        fd = openat(s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                int r;

                if (!str_has_prefix(de->d_name, BLOB_TMP_PREFIX))
                        continue;
                r = sweep_tmp(s->blobs_fd, de->d_name, remove);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                n++;
                if (problems) {
                        _cleanup_free_ char *m = str_printf("leftover temporary file blobs/%s%s", de->d_name,
                                                            remove ? " (removed)" : "");

                        if (!m || strv_push(problems, m) < 0)
                                return -ENOMEM;
                }
        }
        if (errno)
                return -errno;
        return n;
}

static int open_dir_at(int dirfd, const char *name, cell_error_t *err)
{
        int fd;

        if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
                return cell_error_errno(err, "mkdir %s", name);
        fd = TEMP_FAILURE_RETRY_INT(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (fd < 0)
                return cell_error_errno(err, "open %s", name);
        return fd;
}

static int open_lock(int dirfd, const char *name, cell_error_t *err)
{
        int fd = TEMP_FAILURE_RETRY_INT(openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));

        if (fd < 0)
                return cell_error_errno(err, "open %s", name);
        return fd;
}

/* An existing oci-layout must say it is one: a store root pointed at some
 * other directory is refused rather than filled. */
static int check_layout(image_store_t *s, cell_error_t *err)
{
        _cleanup_free_ char *buf = NULL;
        json_t *j;
        bool ok;
        int r;

        r = fs_read_file_at(s->root_fd, OCI_LAYOUT_FILE, 4096, &buf, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(buf, 0, NULL);
        ok = json_is_string(json_object_get(j, "imageLayoutVersion"));
        json_decref(j);
        if (!ok)
                return cell_error_set(err, EINVAL, "%s: not an OCI image layout (no imageLayoutVersion)",
                                      OCI_LAYOUT_FILE);
        return 0;
}

/* Create oci-layout and index.json when missing, under the index lock:
 * two first openers must not trip over one temporary file, and an opener
 * that found no index must not replace the one another process has just
 * created and tagged into. */
static int create_layout_files(image_store_t *s, cell_error_t *err)
{
        static const char empty[] =
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"manifests\":[]}";
        struct stat st;
        int r;

        if (fstatat(s->root_fd, OCI_LAYOUT_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            fstatat(s->root_fd, INDEX_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0)
                return cell_error_set(err, -r, "lock %s", INDEX_LOCK);
        if (fstatat(s->root_fd, OCI_LAYOUT_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0)
                r = write_durable_at(s->root_fd, OCI_LAYOUT_FILE, INDEX_TMP_PREFIX "layout",
                                     OCI_LAYOUT_CONTENT, strlen(OCI_LAYOUT_CONTENT), err);
        if (r == 0 && fstatat(s->root_fd, INDEX_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0)
                r = write_durable_at(s->root_fd, INDEX_FILE, INDEX_TMP_PREFIX "create", empty, strlen(empty),
                                     err);
        flock(s->index_lock_fd, LOCK_UN);
        return r;
}

static int check_index_tmps(image_store_t *s, bool repair, char ***problems, int *count, cell_error_t *err);

/* index.json temporaries of a writer that died before its rename. Only
 * looked for under the lock when one is there, so that an open of a clean
 * store takes no lock. */
static int sweep_index_tmps(image_store_t *s, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        bool found = false;
        int fd, count = 0, r;

        fd = openat(s->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return cell_error_errno(err, "open %s", s->root);
        }
        while (!found && (de = readdir(d)))
                found = str_has_prefix(de->d_name, INDEX_TMP_PREFIX);
        if (!found)
                return 0;
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0)
                return cell_error_set(err, -r, "lock %s", INDEX_LOCK);
        r = check_index_tmps(s, true, NULL, &count, err);
        flock(s->index_lock_fd, LOCK_UN);
        return r;
}

int image_store_open(const char *root, image_store_t **ret, cell_error_t *err)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return cell_error_set(err, ENOMEM, "open image store %s", root);
        s->root_fd = s->blobs_fd = s->sha_fd = s->index_lock_fd = s->gc_lock_fd = -1;
        s->root = strdup(root);
        if (!s->root)
                return cell_error_set(err, ENOMEM, "open image store %s", root);
        r = fs_mkdir_p(root, 0755, err);
        if (r < 0)
                return cell_error_prefix(err, "open image store %s", root);
        s->root_fd = TEMP_FAILURE_RETRY_INT(open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (s->root_fd < 0)
                return cell_error_errno(err, "open image store %s", root);
        if ((s->blobs_fd = open_dir_at(s->root_fd, "blobs", err)) < 0 ||
            (s->sha_fd = open_dir_at(s->blobs_fd, IMAGE_DIGEST_ALGO, err)) < 0 ||
            (s->index_lock_fd = open_lock(s->root_fd, INDEX_LOCK, err)) < 0 ||
            (s->gc_lock_fd = open_lock(s->root_fd, GC_LOCK, err)) < 0)
                return cell_error_prefix(err, "open image store %s", root);
        r = create_layout_files(s, err);
        if (r == 0)
                r = check_layout(s, err);
        if (r < 0)
                return cell_error_prefix(err, "open image store %s", root);
        r = sweep_tmps(s, true, NULL);
        if (r < 0)
                return cell_error_set(err, -r, "open image store %s: removing temporary files", root);
        r = sweep_index_tmps(s, err);
        if (r < 0)
                return cell_error_prefix(err, "open image store %s: removing temporary files", root);
        *ret = steal_pointer(&s);
        return 0;
}

void image_store_close(image_store_t *s)
{
        if (!s)
                return;
        cleanup_closep(&s->root_fd);
        cleanup_closep(&s->blobs_fd);
        cleanup_closep(&s->sha_fd);
        cleanup_closep(&s->index_lock_fd);
        cleanup_closep(&s->gc_lock_fd);
        free(s->root);
        free(s);
}

const char *image_store_root(const image_store_t *s)
{
        return s->root;
}

/* ---- blobs ---- */

int image_store_blob_begin(image_store_t *s, image_blob_writer_t **ret, cell_error_t *err)
{
        _cleanup_free_ image_blob_writer_t *w = NULL;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return cell_error_set(err, ENOMEM, "write blob");
        w->s = s;
        w->fd = -1;
        for (int attempt = 0; attempt < 100; attempt++) {
                uint64_t rnd = 0;
                struct stat st;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return cell_error_errno(err, "write blob: getrandom");
                snprintf(w->tmp, sizeof(w->tmp), BLOB_TMP_PREFIX "%d-%016" PRIx64, (int)getpid(), rnd);
                w->fd = TEMP_FAILURE_RETRY_INT(openat(
                        s->blobs_fd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
                if (w->fd < 0) {
                        if (errno == EEXIST)
                                continue;
                        return cell_error_errno(err, "write blob: create blobs/%s", w->tmp);
                }
                r = lock_fd(w->fd, LOCK_EX);
                if (r < 0) {
                        cleanup_closep(&w->fd);
                        unlinkat(s->blobs_fd, w->tmp, 0);
                        return cell_error_set(err, -r, "write blob: lock blobs/%s", w->tmp);
                }
                /* A sweeper may have taken the file for a dead writer's
                 * between our create and our lock (see sweep_tmp). */
                if (fstat(w->fd, &st) == 0 && st.st_nlink > 0)
                        break;
                cleanup_closep(&w->fd);
                w->fd = -1;
        }
        if (w->fd < 0)
                return cell_error_set(err, EEXIST, "write blob: cannot create a temporary file");
        r = image_hasher_new(&w->h, err);
        if (r < 0) {
                image_store_blob_abort(steal_pointer(&w));
                return r;
        }
        *ret = steal_pointer(&w);
        return 0;
}

int image_store_blob_write(image_blob_writer_t *w, const void *data, size_t len, cell_error_t *err)
{
        int r = write_all(w->fd, data, len);

        if (r < 0)
                return cell_error_set(err, -r, "write blob");
        return image_hasher_update(w->h, data, len, err);
}

void image_store_blob_abort(image_blob_writer_t *w)
{
        if (!w)
                return;
        if (w->fd >= 0) {
                unlinkat(w->s->blobs_fd, w->tmp, 0);
                close(w->fd);
        }
        image_hasher_free(w->h);
        free(w);
}

void image_store_blob_keep_partial(image_blob_writer_t *w, const char *digest)
{
        const char *hex;

        if (!w)
                return;
        if (w->fd >= 0 && image_digest_parse(digest, &hex, NULL) == 0 &&
            (mkdirat(w->s->root_fd, "partial", 0700) == 0 || errno == EEXIST)) {
                _cleanup_close_ int pfd =
                        openat(w->s->root_fd, "partial", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                /* Renamed while still locked: a sweeper never takes it. */
                if (pfd < 0 || fsync(w->fd) < 0 || renameat(w->s->blobs_fd, w->tmp, pfd, hex) < 0)
                        unlinkat(w->s->blobs_fd, w->tmp, 0);
                close(w->fd);
                w->fd = -1;
        }
        image_store_blob_abort(w);
}

int image_store_blob_begin_resume(image_store_t *s, const char *digest, image_blob_writer_t **ret,
                                  uint64_t *ret_offset, cell_error_t *err)
{
        _cleanup_close_ int pfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        const char *hex;
        uint64_t n = 0;

        *ret_offset = 0;
        if (image_digest_parse(digest, &hex, err) < 0)
                return -1;
        if (image_store_blob_begin(s, ret, err) < 0)
                return -1;
        pfd = openat(s->root_fd, "partial", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fd = pfd >= 0 ? openat(pfd, hex, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd < 0)
                return 0;
        /* Only this writer may take it: it goes from partial/ first. */
        if (unlinkat(pfd, hex, 0) < 0)
                return 0;
        buf = malloc(1 << 16);
        if (!buf)
                return 0;
        for (;;) {
                ssize_t k = TEMP_FAILURE_RETRY_INT(read(fd, buf, 1 << 16));

                if (k <= 0)
                        break;
                if (image_store_blob_write(*ret, buf, (size_t)k, err) < 0) {
                        image_store_blob_abort(*ret);
                        *ret = NULL;
                        return -1;
                }
                n += (uint64_t)k;
        }
        *ret_offset = n;
        return 0;
}

int image_store_blob_commit(image_blob_writer_t *w, const char *expected,
                            char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        char got[IMAGE_DIGEST_STR_SIZE];
        const char *hex = NULL;
        int r;

        if (expected && image_digest_parse(expected, NULL, err) < 0) {
                image_store_blob_abort(w);
                return -EINVAL;
        }
        r = image_hasher_final(w->h, got, err);
        if (r < 0)
                goto fail;
        if (expected && !str_eq(expected, got)) {
                r = cell_error_set(err, EINVAL, "write blob: digest mismatch: expected %s, got %s", expected,
                                   got);
                goto fail;
        }
        if (fsync(w->fd) < 0) {
                r = cell_error_errno(err, "write blob %s: fsync", got);
                goto fail;
        }
        (void)image_digest_parse(got, &hex, NULL);
        /* Renaming over an existing blob is harmless (same name, same
         * content) and heals one that was damaged on disk. */
        if (renameat(w->s->blobs_fd, w->tmp, w->s->sha_fd, hex) < 0) {
                r = cell_error_errno(err, "write blob %s: rename", got);
                goto fail;
        }
        if (fsync(w->s->sha_fd) < 0) {
                r = cell_error_errno(err, "write blob %s: fsync blobs/sha256", got);
                close(w->fd);
                w->fd = -1;
                goto fail;
        }
        if (ret_digest)
                memcpy(ret_digest, got, IMAGE_DIGEST_STR_SIZE);
        close(w->fd);
        w->fd = -1;
        image_store_blob_abort(w);
        return 0;
fail:
        image_store_blob_abort(w);
        return r;
}

int image_store_blob_put(image_store_t *s, const void *data, size_t len, const char *expected,
                         char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        image_blob_writer_t *w = NULL;
        int r;

        r = image_store_blob_begin(s, &w, err);
        if (r < 0)
                return r;
        r = image_store_blob_write(w, data, len, err);
        if (r < 0) {
                image_store_blob_abort(w);
                return r;
        }
        return image_store_blob_commit(w, expected, ret_digest, err);
}

bool image_store_blob_exists(image_store_t *s, const char *digest)
{
        const char *hex;
        struct stat st;

        if (image_digest_parse(digest, &hex, NULL) < 0)
                return false;
        return fstatat(s->sha_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int image_store_blob_open(image_store_t *s, const char *digest, cell_error_t *err)
{
        const char *hex;
        int fd, r;

        r = image_digest_parse(digest, &hex, err);
        if (r < 0)
                return r;
        fd = TEMP_FAILURE_RETRY_INT(openat(s->sha_fd, hex, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
        if (fd < 0) {
                if (errno == ENOENT)
                        return cell_error_set(err, ENOENT, "blob %s is not in the store", digest);
                return cell_error_errno(err, "open blob %s", digest);
        }
        return fd;
}

int image_store_blob_size(image_store_t *s, const char *digest, uint64_t *ret, cell_error_t *err)
{
        const char *hex;
        struct stat st;
        int r;

        r = image_digest_parse(digest, &hex, err);
        if (r < 0)
                return r;
        if (fstatat(s->sha_fd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return cell_error_set(err, ENOENT, "blob %s is not in the store", digest);
                return cell_error_errno(err, "stat blob %s", digest);
        }
        *ret = (uint64_t)st.st_size;
        return 0;
}

int image_store_blob_path(image_store_t *s, const char *digest, char **ret, cell_error_t *err)
{
        const char *hex;
        int r;

        r = image_digest_parse(digest, &hex, err);
        if (r < 0)
                return r;
        *ret = str_printf("%s/blobs/%s/%s", s->root, IMAGE_DIGEST_ALGO, hex);
        if (!*ret)
                return cell_error_set(err, ENOMEM, "blob path");
        return 0;
}

int image_store_blob_read(image_store_t *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                          cell_error_t *err)
{
        _cleanup_free_ char *buf = NULL;
        const char *hex;
        size_t len = 0;
        int r;

        r = image_digest_parse(digest, &hex, err);
        if (r < 0)
                return r;
        r = fs_read_file_at(s->sha_fd, hex, max ? max : MANIFEST_MAX, &buf, &len, err);
        if (r == -ENOENT)
                return cell_error_set(err, ENOENT, "blob %s is not in the store", digest);
        if (r < 0)
                return cell_error_prefix(err, "blob %s", digest);
        r = image_digest_verify_data(buf, len, digest, err);
        if (r < 0)
                return cell_error_prefix(err, "blob %s is corrupt", digest);
        if (ret_len)
                *ret_len = len;
        *ret = steal_pointer(&buf);
        return 0;
}

int image_store_pin(image_store_t *s, cell_error_t *err)
{
        if (s->pins == 0) {
                int r = lock_fd(s->gc_lock_fd, LOCK_SH);

                if (r < 0)
                        return cell_error_set(err, -r, "pin image store");
        }
        s->pins++;
        return 0;
}

void image_store_unpin(image_store_t *s)
{
        if (s->pins > 0 && --s->pins == 0)
                flock(s->gc_lock_fd, LOCK_UN);
}

/* ---- index.json ---- */

/* jansson's own json_decrefp. */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))

static int index_read(image_store_t *s, json_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *buf = NULL;
        json_error_t jerr;
        json_t *j, *m;
        size_t len = 0;
        int r;

        r = fs_read_file_at(s->root_fd, INDEX_FILE, INDEX_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        j = json_loadb(buf, len, 0, &jerr);
        if (!j)
                return cell_error_set(err, EINVAL, "%s: line %d: %s", INDEX_FILE, jerr.line, jerr.text);
        m = json_object_get(j, "manifests");
        if (!json_is_object(j) || (m && !json_is_array(m))) {
                json_decref(j);
                return cell_error_set(err, EINVAL, "%s: manifests: expected an array", INDEX_FILE);
        }
        if (!m)
                json_object_set_new(j, "manifests", json_array());
        *ret = j;
        return 0;
}

static int index_write(image_store_t *s, json_t *index, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        char tmp[64];

        data = json_dumps(index, JSON_COMPACT);
        if (!data)
                return cell_error_set(err, ENOMEM, "write %s", INDEX_FILE);
        snprintf(tmp, sizeof(tmp), INDEX_TMP_PREFIX "%d", (int)getpid());
        return write_durable_at(s->root_fd, INDEX_FILE, tmp, data, strlen(data), err);
}

static const char *entry_ref(json_t *desc)
{
        return json_string_value(
                json_object_get(json_object_get(desc, "annotations"), IMAGE_ANNOTATION_REF_NAME));
}

/* Drop every entry named ref; returns how many. */
static size_t index_remove(json_t *index, const char *ref)
{
        json_t *m = json_object_get(index, "manifests");
        size_t n = 0;

        for (size_t i = 0; i < json_array_size(m);) {
                if (str_eq(entry_ref(json_array_get(m, i)), ref)) {
                        json_array_remove(m, i);
                        n++;
                } else {
                        i++;
                }
        }
        return n;
}

static const char *entry_image_id(json_t *desc)
{
        return json_string_value(
                json_object_get(json_object_get(desc, "annotations"), IMAGE_ANNOTATION_IMAGE_ID));
}

/* Drop every unnamed entry kept under image id ID. */
static void index_remove_id(json_t *index, const char *id)
{
        json_t *m = json_object_get(index, "manifests");

        for (size_t i = 0; i < json_array_size(m);) {
                json_t *d = json_array_get(m, i);

                if (!entry_ref(d) && str_eq(entry_image_id(d), id))
                        json_array_remove(m, i);
                else
                        i++;
        }
}

/* Add an entry (name NAME, or unnamed with image id ID) under the index lock. */
static int tag_entry(image_store_t *s, const char *name, const char *id, bool intermediate,
                     const char *media_type, const char *digest, int64_t size, cell_error_t *err)
{
        _cleanup_json_ json_t *index = NULL;
        const char *what = name ? name : id;
        json_t *desc;
        int r;

        if (!media_type || !*media_type)
                return cell_error_set(err, EINVAL, "tag %s: no media type", what);
        if (size < 0)
                return cell_error_set(err, EINVAL, "tag %s: negative size", what);
        r = image_digest_parse(digest, NULL, err);
        if (r < 0)
                return cell_error_prefix(err, "tag %s", what);
        desc = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", digest, "size",
                         (json_int_t)size, "annotations",
                         name ? IMAGE_ANNOTATION_REF_NAME : IMAGE_ANNOTATION_IMAGE_ID, what);
        if (desc && intermediate)
                json_object_set_new(json_object_get(desc, "annotations"), IMAGE_ANNOTATION_INTERMEDIATE,
                                    json_string("true"));
        if (!desc)
                return cell_error_set(err, ENOMEM, "tag %s", what);
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0) {
                json_decref(desc);
                return cell_error_set(err, -r, "tag %s: lock", what);
        }
        /* Checked under the lock, which gc holds from its walk to its last
         * removal: either gc has finished (and the check fails cleanly) or
         * it will see this entry. */
        if (!image_store_blob_exists(s, digest))
                r = cell_error_set(err, ENOENT, "blob %s is not in the store", digest);
        if (r == 0)
                r = index_read(s, &index, err);
        if (r == 0) {
                if (name)
                        index_remove(index, name);
                else
                        index_remove_id(index, id);
                json_array_append_new(json_object_get(index, "manifests"), desc);
                desc = NULL;
                r = index_write(s, index, err);
        }
        json_decref(desc);
        flock(s->index_lock_fd, LOCK_UN);
        if (r < 0)
                return cell_error_prefix(err, "tag %s", what);
        return 0;
}

int image_store_tag(image_store_t *s, const char *ref, const char *media_type, const char *digest,
                    int64_t size, cell_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        int r;

        r = image_ref_normalize(ref, &name, err);
        if (r < 0)
                return r;
        return tag_entry(s, name, NULL, false, media_type, digest, size, err);
}

int image_store_tag_id(image_store_t *s, const char *image_id, const char *media_type, const char *digest,
                       int64_t size, cell_error_t *err)
{
        int r = image_digest_parse(image_id, NULL, err);

        if (r < 0)
                return cell_error_prefix(err, "image id");
        return tag_entry(s, NULL, image_id, false, media_type, digest, size, err);
}

int image_store_tag_intermediate(image_store_t *s, const char *image_id, const char *media_type,
                                 const char *digest, int64_t size, cell_error_t *err)
{
        int r = image_digest_parse(image_id, NULL, err);

        if (r < 0)
                return cell_error_prefix(err, "image id");
        return tag_entry(s, NULL, image_id, true, media_type, digest, size, err);
}

int image_store_untag(image_store_t *s, const char *ref, cell_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_json_ json_t *index = NULL;
        int r;

        r = image_ref_normalize(ref, &name, err);
        if (r < 0)
                return r;
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0)
                return cell_error_set(err, -r, "untag %s: lock", name);
        r = index_read(s, &index, err);
        if (r == 0) {
                if (index_remove(index, name) == 0)
                        r = cell_error_set(err, ENOENT, "no such image: %s", name);
                else
                        r = index_write(s, index, err);
        }
        flock(s->index_lock_fd, LOCK_UN);
        if (r < 0 && r != -ENOENT)
                return cell_error_prefix(err, "untag %s", name);
        return r;
}

int image_store_untag_unnamed(image_store_t *s, const char *digest, cell_error_t *err)
{
        _cleanup_json_ json_t *index = NULL;
        size_t n = 0;
        int r;

        if (!image_digest_valid(digest))
                return cell_error_set(err, EINVAL, "untag: invalid digest \"%s\"", digest);
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0)
                return cell_error_set(err, -r, "untag %s: lock", digest);
        r = index_read(s, &index, err);
        if (r == 0) {
                json_t *m = json_object_get(index, "manifests");

                for (size_t i = 0; i < json_array_size(m);) {
                        json_t *d = json_array_get(m, i);

                        if (!entry_ref(d) &&
                            str_eq(json_string_value(json_object_get(d, "digest")), digest)) {
                                json_array_remove(m, i);
                                n++;
                        } else {
                                i++;
                        }
                }
                if (n == 0)
                        r = cell_error_set(err, ENOENT, "no unnamed entry for %s", digest);
                else
                        r = index_write(s, index, err);
        }
        flock(s->index_lock_fd, LOCK_UN);
        if (r < 0 && r != -ENOENT)
                return cell_error_prefix(err, "untag %s", digest);
        return r;
}

void image_store_entry_clear(image_store_entry_t *e)
{
        free(e->ref);
        free(e->image_id);
        free(e->media_type);
        free(e->digest);
        memset(e, 0, sizeof(*e));
}

void image_store_entries_free(image_store_entry_t *v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                image_store_entry_clear(&v[i]);
        free(v);
}

static int entry_from_json(json_t *desc, image_store_entry_t *e, cell_error_t *err)
{
        const char *ref = entry_ref(desc), *mt = json_string_value(json_object_get(desc, "mediaType"));
        const char *digest = json_string_value(json_object_get(desc, "digest"));
        const char *id = ref ? NULL : entry_image_id(desc);

        memset(e, 0, sizeof(*e));
        if (!digest)
                return cell_error_set(err, EINVAL, "%s: an entry has no digest", INDEX_FILE);
        e->ref = ref ? strdup(ref) : NULL;
        e->image_id = id ? strdup(id) : NULL;
        e->media_type = strdup(mt ? mt : "");
        e->digest = strdup(digest);
        e->size = json_integer_value(json_object_get(desc, "size"));
        e->intermediate =
                !ref && str_eq(json_string_value(json_object_get(json_object_get(desc, "annotations"),
                                                                 IMAGE_ANNOTATION_INTERMEDIATE)),
                               "true");
        if ((ref && !e->ref) || (id && !e->image_id) || !e->media_type || !e->digest) {
                image_store_entry_clear(e);
                return cell_error_set(err, ENOMEM, "%s", INDEX_FILE);
        }
        return 0;
}

int image_store_list(image_store_t *s, image_store_entry_t **ret, size_t *ret_n, cell_error_t *err)
{
        _cleanup_json_ json_t *index = NULL;
        image_store_entry_t *v;
        json_t *m;
        size_t n;
        int r;

        /* No lock: index.json is only ever replaced by rename, so a reader
         * sees one complete version. */
        r = index_read(s, &index, err);
        if (r < 0)
                return r;
        m = json_object_get(index, "manifests");
        n = json_array_size(m);
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return cell_error_set(err, ENOMEM, "%s", INDEX_FILE);
        for (size_t i = 0; i < n; i++) {
                r = entry_from_json(json_array_get(m, i), &v[i], err);
                if (r < 0) {
                        image_store_entries_free(v, i);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int image_store_lookup(image_store_t *s, const char *ref, image_store_entry_t *ret, cell_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_json_ json_t *index = NULL;
        json_t *m;
        int r;

        r = image_ref_normalize(ref, &name, err);
        if (r < 0)
                return r;
        r = index_read(s, &index, err);
        if (r < 0)
                return r;
        m = json_object_get(index, "manifests");
        for (size_t i = json_array_size(m); i > 0; i--) {
                json_t *d = json_array_get(m, i - 1);

                if (str_eq(entry_ref(d), name))
                        return entry_from_json(d, ret, err);
        }
        return cell_error_set(err, ENOENT, "no such image: %s", name);
}

/* ---- reachability: what gc keeps and check expects ---- */

typedef struct walk {
        image_store_t *s;
        json_t *reached;   /* object used as a set of digests */
        json_t *corrupt;   /* digests check found damaged: treated as missing */
        char ***problems;  /* NULL when the caller does not want messages */
        const char *owner; /* the index entry being walked, for messages */
        bool broken;
} walk_t;

static int walk_problem(walk_t *w, const char *fmt, const char *a, const char *b)
{
        _cleanup_free_ char *m = NULL;

        w->broken = true;
        if (!w->problems)
                return 0;
        m = str_printf("index entry %s: %s %s%s", w->owner, fmt, a, b ? b : "");
        if (!m || strv_push(w->problems, m) < 0)
                return -ENOMEM;
        return 0;
}

static bool walk_present(walk_t *w, const char *digest)
{
        return image_store_blob_exists(w->s, digest) && !json_object_get(w->corrupt, digest);
}

/* Why a blob that is not present is not: check has found it damaged (and
 * may have removed it), or it was never there. */
static const char *walk_absence(walk_t *w, const char *digest)
{
        return json_object_get(w->corrupt, digest) ? " is corrupt" : " is missing";
}

/* A leaf (config, layer): reached, and expected to be present. */
static int walk_leaf(walk_t *w, json_t *desc, const char *what)
{
        const char *digest = json_string_value(json_object_get(desc, "digest"));

        if (!digest || !image_digest_valid(digest))
                return walk_problem(w, what, "has no valid digest", NULL);
        json_object_set_new(w->reached, digest, json_true());
        if (!walk_present(w, digest))
                return walk_problem(w, what, digest, walk_absence(w, digest));
        return 0;
}

/* A manifest or an index: only the fields that name children are read
 * (config, layers, manifests); the full model lives in the manifest module. */
static int walk_manifest(walk_t *w, const char *digest, bool optional, int depth)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_json_ json_t *j = NULL;
        cell_error_t rerr = {0};
        json_t *v;
        size_t len = 0, i;
        int r;

        if (!digest || !image_digest_valid(digest))
                return optional ? 0 : walk_problem(w, "manifest", "has no valid digest", NULL);
        if (json_object_get(w->reached, digest))
                return 0; /* reported when first reached */
        json_object_set_new(w->reached, digest, json_true());
        if (!walk_present(w, digest))
                return optional ? 0 : walk_problem(w, "manifest", digest, walk_absence(w, digest));
        if (depth > WALK_DEPTH_MAX)
                return walk_problem(w, "manifest", digest, " nests indexes too deeply");
        r = image_store_blob_read(w->s, digest, MANIFEST_MAX, &buf, &len, &rerr);
        if (r < 0)
                return walk_problem(w, "manifest", digest, " cannot be read");
        j = json_loadb(buf, len, 0, NULL);
        if (!json_is_object(j))
                return walk_problem(w, "manifest", digest, " is not a JSON object");
        v = json_object_get(j, "config");
        if (v && (r = walk_leaf(w, v, "config")) < 0)
                return r;
        json_t *layers = json_object_get(j, "layers");
        json_array_foreach(layers, i, v)
        {
                if ((r = walk_leaf(w, v, "layer")) < 0)
                        return r;
        }
        json_t *children = json_object_get(j, "manifests");
        json_array_foreach(children, i, v)
        {
                r = walk_manifest(w, json_string_value(json_object_get(v, "digest")), true, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Walk one index entry with a fresh set (so that an entry sharing a broken
 * manifest with an earlier one is found broken too) and add what it reaches
 * to all. */
static int walk_entry(image_store_t *s, json_t *desc, json_t *all, json_t *corrupt, char ***problems,
                      bool *ret_broken)
{
        const char *ref = entry_ref(desc);
        walk_t w = {.s = s, .corrupt = corrupt, .problems = problems};
        int r;

        w.owner = ref ? ref : json_string_value(json_object_get(desc, "digest"));
        if (!w.owner)
                w.owner = "(unnamed)";
        w.reached = json_object();
        if (!w.reached)
                return -ENOMEM;
        r = walk_manifest(&w, json_string_value(json_object_get(desc, "digest")), false, 0);
        if (r == 0 && json_object_update(all, w.reached) < 0)
                r = -ENOMEM;
        json_decref(w.reached);
        if (ret_broken)
                *ret_broken = w.broken;
        return r;
}

static DIR *open_sha_dir(image_store_t *s)
{
        int fd = openat(s->sha_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return NULL;
        d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

static int gc_locked(image_store_t *s, uint64_t *ret_removed, uint64_t *ret_bytes, cell_error_t *err)
{
        _cleanup_json_ json_t *index = NULL, *reached = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        uint64_t removed = 0, bytes = 0;
        struct dirent *de;
        json_t *desc;
        size_t i;
        int r;

        r = index_read(s, &index, err);
        if (r < 0)
                return r;
        reached = json_object();
        if (!reached)
                return cell_error_set(err, ENOMEM, "gc");
        json_array_foreach(json_object_get(index, "manifests"), i, desc)
        {
                r = walk_entry(s, desc, reached, NULL, NULL, NULL);
                if (r < 0)
                        return cell_error_set(err, -r, "gc");
        }
        d = open_sha_dir(s);
        if (!d)
                return cell_error_errno(err, "gc: open blobs/sha256");
        while ((errno = 0, de = readdir(d))) {
                char digest[IMAGE_DIGEST_STR_SIZE + 8];
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(digest, sizeof(digest), IMAGE_DIGEST_ALGO ":%s", de->d_name);
                /* Only blobs by name: anything else is check's business. */
                if (!image_digest_valid(digest) || json_object_get(reached, digest))
                        continue;
                if (fstatat(s->sha_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (unlinkat(s->sha_fd, de->d_name, 0) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return cell_error_errno(err, "gc: remove blob %s", digest);
                }
                removed++;
                bytes += (uint64_t)st.st_size;
        }
        if (errno)
                return cell_error_errno(err, "gc: read blobs/sha256");
        if (removed > 0 && fsync(s->sha_fd) < 0)
                return cell_error_errno(err, "gc: fsync blobs/sha256");
        r = sweep_tmps(s, true, NULL);
        if (r < 0)
                return cell_error_set(err, -r, "gc: removing temporary files");
        if (ret_removed)
                *ret_removed = removed;
        if (ret_bytes)
                *ret_bytes = bytes;
        return 0;
}

int image_store_gc(image_store_t *s, uint64_t *ret_removed, uint64_t *ret_bytes, cell_error_t *err)
{
        int r;

        if (s->pins > 0)
                return cell_error_set(err, EBUSY, "gc: this store handle holds a pin");
        /* Exclusive against every pin: a writer's blobs are unreferenced
         * until it tags them. Not waiting: a pull may take minutes. */
        if (TEMP_FAILURE_RETRY_INT(flock(s->gc_lock_fd, LOCK_EX | LOCK_NB)) < 0) {
                if (errno == EWOULDBLOCK)
                        return cell_error_set(err, EBUSY, "gc: an image is being written to the store");
                return cell_error_errno(err, "gc: lock");
        }
        /* And the index may not change under the walk. */
        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0) {
                flock(s->gc_lock_fd, LOCK_UN);
                return cell_error_set(err, -r, "gc: lock");
        }
        r = gc_locked(s, ret_removed, ret_bytes, err);
        flock(s->index_lock_fd, LOCK_UN);
        flock(s->gc_lock_fd, LOCK_UN);
        return r;
}

static int push_problem(char ***problems, int *count, const char *m)
{
        (*count)++;
        if (!problems)
                return 0;
        if (!m || strv_push(problems, m) < 0)
                return -ENOMEM;
        return 0;
}

/* Hash every blob; damaged ones go into corrupt (and away when repairing). */
static int check_blobs(image_store_t *s, bool repair, json_t *corrupt, char ***problems, int *count,
                       cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        d = open_sha_dir(s);
        if (!d)
                return cell_error_errno(err, "check: open blobs/sha256");
        while ((errno = 0, de = readdir(d))) {
                char digest[IMAGE_DIGEST_STR_SIZE + 8], got[IMAGE_DIGEST_STR_SIZE];
                _cleanup_free_ char *m = NULL;
                _cleanup_close_ int fd = -1;
                cell_error_t herr = {0};
                struct stat st;

                if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                        continue;
                snprintf(digest, sizeof(digest), IMAGE_DIGEST_ALGO ":%s", de->d_name);
                fd = TEMP_FAILURE_RETRY_INT(
                        openat(s->sha_fd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
                if (!image_digest_valid(digest) || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        m = str_printf("unexpected entry blobs/sha256/%s (not a blob)", de->d_name);
                        r = push_problem(problems, count, m);
                        if (r < 0)
                                return cell_error_set(err, -r, "check");
                        continue;
                }
                r = image_digest_fd(fd, got, &herr);
                if (r == 0 && str_eq(got, digest))
                        continue;
                if (r < 0)
                        m = str_printf("blob %s cannot be read: %s%s", digest, herr.msg,
                                       repair ? " (removed)" : "");
                else
                        m = str_printf("blob %s is corrupt: its content hashes to %s%s", digest, got,
                                       repair ? " (removed)" : "");
                r = push_problem(problems, count, m);
                if (r < 0 || json_object_set_new(corrupt, digest, json_true()) < 0)
                        return cell_error_set(err, ENOMEM, "check");
                if (repair && unlinkat(s->sha_fd, de->d_name, 0) < 0 && errno != ENOENT)
                        return cell_error_errno(err, "check: remove %s", digest);
        }
        if (errno)
                return cell_error_errno(err, "check: read blobs/sha256");
        if (repair && json_object_size(corrupt) > 0 && fsync(s->sha_fd) < 0)
                return cell_error_errno(err, "check: fsync blobs/sha256");
        return 0;
}

/* index.json temporaries are written only under the index lock, which the
 * caller holds: any that exists now is a dead writer's. */
static int check_index_tmps(image_store_t *s, bool repair, char ***problems, int *count, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd, r;

        fd = openat(s->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return cell_error_errno(err, "check: open %s", s->root);
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *m = NULL;

                if (!str_has_prefix(de->d_name, INDEX_TMP_PREFIX))
                        continue;
                m = str_printf("leftover temporary file %s%s", de->d_name, repair ? " (removed)" : "");
                r = push_problem(problems, count, m);
                if (r < 0)
                        return cell_error_set(err, -r, "check");
                if (repair && unlinkat(s->root_fd, de->d_name, 0) < 0 && errno != ENOENT)
                        return cell_error_errno(err, "check: remove %s", de->d_name);
        }
        return 0;
}

static int check_locked(image_store_t *s, bool repair, char ***problems, int *count, cell_error_t *err)
{
        _cleanup_json_ json_t *index = NULL, *corrupt = NULL, *reached = NULL;
        json_t *m;
        size_t dropped = 0;
        int r;

        r = sweep_tmps(s, repair, problems);
        if (r < 0)
                return cell_error_set(err, -r, "check: temporary files");
        *count += r;
        r = check_index_tmps(s, repair, problems, count, err);
        if (r < 0)
                return r;
        corrupt = json_object();
        reached = json_object();
        if (!corrupt || !reached)
                return cell_error_set(err, ENOMEM, "check");
        r = check_blobs(s, repair, corrupt, problems, count, err);
        if (r < 0)
                return r;
        r = index_read(s, &index, err);
        if (r < 0) {
                /* Not repairable here: rewriting an unreadable index would
                 * forget every image. */
                _cleanup_free_ char *msg = str_printf("%s", err->msg);

                cell_error_clear(err);
                return push_problem(problems, count, msg) < 0 ? cell_error_set(err, ENOMEM, "check") : 0;
        }
        m = json_object_get(index, "manifests");
        for (size_t i = 0; i < json_array_size(m);) {
                bool broken = false;
                char **entry_problems = NULL;

                r = walk_entry(s, json_array_get(m, i), reached, corrupt, problems ? &entry_problems : NULL,
                               &broken);
                if (r < 0) {
                        strv_free(entry_problems);
                        return cell_error_set(err, -r, "check");
                }
                for (char **p = entry_problems; p && *p; p++) {
                        _cleanup_free_ char *msg = str_printf("%s%s", *p, repair ? " (entry dropped)" : "");

                        if (push_problem(problems, count, msg) < 0) {
                                strv_free(entry_problems);
                                return cell_error_set(err, ENOMEM, "check");
                        }
                }
                if (broken && !problems)
                        (*count)++;
                strv_free(entry_problems);
                if (broken && repair) {
                        json_array_remove(m, i);
                        dropped++;
                } else {
                        i++;
                }
        }
        if (dropped > 0)
                return index_write(s, index, err);
        return 0;
}

int image_store_check(image_store_t *s, bool repair, char ***ret_problems, cell_error_t *err)
{
        char **problems = NULL;
        int count = 0, r;

        r = lock_fd(s->index_lock_fd, LOCK_EX);
        if (r < 0)
                return cell_error_set(err, -r, "check: lock");
        r = check_locked(s, repair, ret_problems ? &problems : NULL, &count, err);
        flock(s->index_lock_fd, LOCK_UN);
        if (r < 0) {
                strv_free(problems);
                return r;
        }
        if (ret_problems)
                *ret_problems = problems;
        return count;
}
