/* cell: the unpacked-layer cache (see layers.h for the layout). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "fsutil.h"
#include "layer.h"
#include "layers.h"
#include "log.h"
#include "strutil.h"

struct storage {
        char *root;
        char *layers;     /* ROOT/layers */
        char *containers; /* ROOT/containers */
        int layers_fd;
        int gc_lock_fd;
        unsigned gc_shared; /* nesting of storage_gc_lock_shared */
};

#define SHA256_PREFIX "sha256:"

int storage_open(const char *root, storage_t **ret, cell_error_t *err)
{
        storage_t *s = calloc(1, sizeof(*s));
        _cleanup_free_ char *locks = NULL, *gcl = NULL;

        if (!s)
                return cell_error_set(err, ENOMEM, "open storage %s", root);
        s->layers_fd = s->gc_lock_fd = -1;
        s->root = strdup(root);
        s->layers = str_printf("%s/layers", root);
        s->containers = str_printf("%s/containers", root);
        locks = str_printf("%s/layers/.locks", root);
        gcl = str_printf("%s/layers/.gc.lock", root);
        if (!s->root || !s->layers || !s->containers || !locks || !gcl) {
                storage_close(s);
                return cell_error_set(err, ENOMEM, "open storage %s", root);
        }
        if (fs_mkdir_p(locks, 0700, err) < 0 || fs_mkdir_p(s->containers, 0700, err) < 0) {
                storage_close(s);
                return cell_error_prefix(err, "open storage %s", root);
        }
        s->layers_fd = open(s->layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        s->gc_lock_fd = open(gcl, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->layers_fd < 0 || s->gc_lock_fd < 0) {
                int r = cell_error_errno(err, "open storage %s", root);

                storage_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

void storage_close(storage_t *s)
{
        if (!s)
                return;
        if (s->layers_fd >= 0)
                close(s->layers_fd);
        if (s->gc_lock_fd >= 0)
                close(s->gc_lock_fd);
        free(s->root);
        free(s->layers);
        free(s->containers);
        free(s);
}

const char *storage_root(const storage_t *s)
{
        return s->root;
}

int storage_gc_lock_shared(storage_t *s, cell_error_t *err)
{
        if (s->gc_shared == 0 && TEMP_FAILURE_RETRY_INT(flock(s->gc_lock_fd, LOCK_SH)) < 0)
                return cell_error_errno(err, "lock %s/.gc.lock", s->layers);
        s->gc_shared++;
        return 0;
}

void storage_gc_unlock(storage_t *s)
{
        if (s->gc_shared > 0 && --s->gc_shared == 0)
                flock(s->gc_lock_fd, LOCK_UN);
}

void storage_image_clear(storage_image_t *img)
{
        image_manifest_free(img->manifest);
        image_config_free(img->config);
        img->manifest = NULL;
        img->config = NULL;
        img->id[0] = '\0';
}

/* ---- finding images ---------------------------------------------------- */

/* Load the manifest (following an index to this platform's entry, at most
 * a few levels deep) and the config of the document at digest. */
static int load_image(image_store_t *store, const char *media_type, const char *digest, int depth,
                      storage_image_t *ret, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL, *cdata = NULL;
        size_t len = 0, clen = 0;
        image_doc_kind_t kind;
        image_manifest_t *m;
        image_config_t *c;

        if (depth > 4)
                return cell_error_set(err, ELOOP, "%s: indexes nested too deep", digest);
        if (image_store_blob_read(store, digest, 0, &data, &len, err) < 0)
                return -1;
        if (image_doc_detect(data, len, media_type, &kind, err) < 0)
                return cell_error_prefix(err, "%s", digest);
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(data, len, media_type, err);
                image_platform_t host = {0};
                const image_descriptor_t *d;
                int r;

                if (!idx)
                        return cell_error_prefix(err, "%s", digest);
                if (image_platform_host(&host, err) < 0) {
                        image_index_free(idx);
                        return -1;
                }
                d = image_index_match(idx, &host, err);
                image_platform_free(&host);
                r = d ? load_image(store, d->media_type_str, d->digest, depth + 1, ret, err) : -1;
                image_index_free(idx);
                return r;
        }
        m = image_manifest_parse(data, len, media_type, err);
        if (!m)
                return cell_error_prefix(err, "%s", digest);
        if (image_store_blob_read(store, m->config.digest, 0, &cdata, &clen, err) < 0) {
                image_manifest_free(m);
                return cell_error_prefix(err, "config of %s", digest);
        }
        c = image_config_parse(cdata, clen, err);
        if (!c) {
                image_manifest_free(m);
                return cell_error_prefix(err, "config %s", m->config.digest);
        }
        ret->manifest = m;
        ret->config = c;
        memcpy(ret->id, m->config.digest, sizeof(ret->id));
        return 0;
}

static bool is_hex_prefix(const char *s)
{
        size_t n = strlen(s);

        if (n < 4 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int storage_image_find(image_store_t *store, const char *ref_or_id, storage_image_t *ret, cell_error_t *err)
{
        image_store_entry_t e = {0};
        image_store_entry_t *v = NULL;
        size_t n = 0;
        const char *hex = ref_or_id;
        int r, found = 0;
        cell_error_t lerr = {0};

        *ret = (storage_image_t){0};
        if (str_has_prefix(hex, SHA256_PREFIX))
                hex += strlen(SHA256_PREFIX);
        if (!is_hex_prefix(hex) || hex == ref_or_id) {
                r = image_store_lookup(store, ref_or_id, &e, &lerr);
                if (r == 0) {
                        r = load_image(store, e.media_type, e.digest, 0, ret, err);
                        image_store_entry_clear(&e);
                        return r < 0 ? cell_error_prefix(err, "image %s", ref_or_id) : 0;
                }
                if (!is_hex_prefix(hex)) {
                        *err = lerr;
                        return r;
                }
        }
        /* An id: the config digest of one of the images. */
        if (image_store_list(store, &v, &n, err) < 0)
                return -1;
        /* A whole id kept by an unnamed entry (commit, build, load of an
         * unnamed image) is found from its annotation, without reading
         * every image of the store: a build asks for its steps by id. */
        if (strlen(hex) == IMAGE_DIGEST_HEX_LEN) {
                for (size_t i = 0; i < n; i++) {
                        if (!v[i].image_id || strcmp(v[i].image_id + strlen(SHA256_PREFIX), hex) != 0)
                                continue;
                        if (load_image(store, v[i].media_type, v[i].digest, 0, ret, &lerr) == 0 &&
                            str_eq(ret->id, v[i].image_id)) {
                                image_store_entries_free(v, n);
                                return 0;
                        }
                        storage_image_clear(ret);
                }
        }
        for (size_t i = 0; i < n; i++) {
                storage_image_t img = {0};

                if (load_image(store, v[i].media_type, v[i].digest, 0, &img, &lerr) < 0)
                        continue;
                if (strncmp(img.id + strlen(SHA256_PREFIX), hex, strlen(hex)) != 0) {
                        storage_image_clear(&img);
                        continue;
                }
                if (found && strcmp(ret->id, img.id) != 0) {
                        storage_image_clear(&img);
                        storage_image_clear(ret);
                        image_store_entries_free(v, n);
                        return cell_error_set(err, EINVAL, "image id %s is ambiguous", ref_or_id);
                }
                if (!found) {
                        *ret = img;
                        found = 1;
                } else {
                        storage_image_clear(&img);
                }
        }
        image_store_entries_free(v, n);
        if (!found) {
                cell_error_set(err, ENOENT, "image %s: no such image", ref_or_id);
                return -ENOENT;
        }
        return 0;
}

/* ---- temporary directories and locks ----------------------------------- */

/* A temporary directory belongs to a live writer exactly when its flock is
 * held: the kernel drops the lock however the writer dies, so no pid or
 * clock decides what is stale. Returns an fd of the new directory, locked,
 * and its name in name (".tmp-<16 hex>"). */
static int tmpdir_make(storage_t *s, char name[32], cell_error_t *err)
{
        for (int attempt = 0; attempt < 100; attempt++) {
                _cleanup_close_ int fd = -1;
                uint64_t rnd;
                struct stat st, st_name;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return cell_error_errno(err, "getrandom");
                snprintf(name, 32, ".tmp-%016" PRIx64, rnd);
                if (mkdirat(s->layers_fd, name, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return cell_error_errno(err, "make %s/%s", s->layers, name);
                }
                fd = openat(s->layers_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue; /* a sweeper took it before we could lock it */
                if (TEMP_FAILURE_RETRY_INT(flock(fd, LOCK_EX)) < 0)
                        return cell_error_errno(err, "lock %s/%s", s->layers, name);
                /* A sweeper may have locked and removed it between our mkdir
                 * and our flock: then start over with a new name. */
                if (fstat(fd, &st) < 0 || st.st_nlink == 0 ||
                    fstatat(s->layers_fd, name, &st_name, AT_SYMLINK_NOFOLLOW) < 0 ||
                    st.st_ino != st_name.st_ino || st.st_dev != st_name.st_dev)
                        continue;
                return steal_fd(&fd);
        }
        return cell_error_set(err, EEXIST, "make a temporary directory in %s", s->layers);
}

/* Remove the temporary directories of dead writers. Returns how many were
 * removed or -errno. */
static int sweep_tmpdirs(storage_t *s, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd = dup(s->layers_fd), removed = 0;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return cell_error_errno(err, "read %s", s->layers);
        }
        rewinddir(d);
        while ((de = readdir(d))) {
                _cleanup_close_ int tfd = -1;
                struct stat st, st_name;
                int r;

                if (!str_has_prefix(de->d_name, ".tmp-"))
                        continue;
                tfd = openat(s->layers_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (tfd < 0)
                        continue;
                if (flock(tfd, LOCK_EX | LOCK_NB) < 0)
                        continue; /* a live writer */
                /* The writer may have renamed it into place and let go of its
                 * lock between our open and our flock. */
                if (fstat(tfd, &st) < 0 || st.st_nlink == 0 ||
                    fstatat(s->layers_fd, de->d_name, &st_name, AT_SYMLINK_NOFOLLOW) < 0 ||
                    st.st_ino != st_name.st_ino || st.st_dev != st_name.st_dev)
                        continue;
                {
                        _cleanup_free_ char *path = str_printf("%s/%s", s->layers, de->d_name);

                        if (!path)
                                return cell_error_set(err, ENOMEM, "sweep %s", s->layers);
                        r = fs_rm_rf(path, err);
                        if (r < 0)
                                return r;
                }
                removed++;
        }
        return removed;
}

/* Lock the chain id's lock file exclusively (blocking unless nonblock).
 * Lock files may be unlinked by gc while it holds them: a lock taken on an
 * unlinked file is retried on the new one. Returns the fd, -EWOULDBLOCK
 * when nonblock and held. */
static int chain_lock(storage_t *s, const char *hex, bool nonblock, cell_error_t *err)
{
        _cleanup_free_ char *name = str_printf(".locks/%s", hex);

        if (!name)
                return cell_error_set(err, ENOMEM, "lock layer %s", hex);
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct stat st, st_name;

                fd = openat(s->layers_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return cell_error_errno(err, "open %s/%s", s->layers, name);
                if (TEMP_FAILURE_RETRY_INT(flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0))) < 0) {
                        if (errno == EWOULDBLOCK)
                                return -EWOULDBLOCK;
                        return cell_error_errno(err, "lock %s/%s", s->layers, name);
                }
                if (fstat(fd, &st) == 0 && st.st_nlink > 0 &&
                    fstatat(s->layers_fd, name, &st_name, AT_SYMLINK_NOFOLLOW) == 0 &&
                    st.st_ino == st_name.st_ino && st.st_dev == st_name.st_dev)
                        return steal_fd(&fd);
        }
}

/* ---- unpacking --------------------------------------------------------- */

/* This boot's id: a layer unpacked without a sync is trusted only in the
 * boot that wrote it (see unpack_layer). */
static void boot_id(char buf[64])
{
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, 63) : -1;

        if (n < 0)
                n = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = '\0';
}

static bool layer_present(storage_t *s, const char *hex)
{
        _cleanup_free_ char *meta = str_printf("%s/meta.json", hex);
        _cleanup_free_ char *data = NULL;
        char now[64];
        const char *written;
        json_t *j;
        bool ok;

        if (!meta)
                return false;
        size_t len = 0;

        /* One read: json_loadfd reads a byte per system call. */
        if (fs_read_file_at(s->layers_fd, meta, 1 << 20, &data, &len, NULL) < 0)
                return false;
        j = json_loadb(data, len, 0, NULL);
        if (!j)
                return false; /* a meta.json a crash emptied: unpack again */
        written = json_string_value(json_object_get(j, "boot_id"));
        boot_id(now);
        /* Unpacked without a sync in another boot: a crash may have left
         * files empty under a complete-looking tree. */
        ok = !written || (now[0] && strcmp(written, now) == 0);
        json_decref(j);
        return ok;
}

/* Record a layer unpacked into the temporary directory tmp (fd tfd) and
 * rename it into place as the chain id's hex. The caller holds the chain
 * id's lock and has seen that hex is not there (or is stale). */
static int layer_finish(storage_t *s, int tfd, const char *tmp, const char *chain_id, const char *diff_id,
                        const char *parent, const char *digest, const layer_apply_result_t *res,
                        cell_error_t *err)
{
        const char *hex = chain_id + strlen(SHA256_PREFIX);
        _cleanup_free_ char *meta = NULL;
        _cleanup_close_ int mfd = -1;
        char boot[64];
        size_t len;
        json_t *j;
        int r;

        boot_id(boot);
        j = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:s}", "chain_id", chain_id, "diff_id", diff_id,
                      "parent", parent, "digest", digest, "size", (json_int_t)res->unpacked_size, "tar_size",
                      (json_int_t)res->tar_size, "boot_id", boot);
        meta = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        if (!meta)
                return cell_error_set(err, ENOMEM, "layer %s: meta.json", hex);
        len = strlen(meta);
        mfd = openat(tfd, "meta.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (mfd < 0 || write(mfd, meta, len) != (ssize_t)len)
                return cell_error_errno(err, "write %s/%s/meta.json", s->layers, tmp);
        /* No sync: after a crash (a new boot) a layer that was not synced is
         * not trusted — meta.json records the boot that wrote it, and
         * layer_present unpacks it again in another boot. Syncing here
         * flushed the whole file system (the blobs just loaded too) and was
         * most of the time of an unpack. A stale tree under the name (from
         * another boot) goes first. */
        if ((r = fs_rm_rf_at(s->layers_fd, hex)) < 0)
                return cell_error_set(err, -r, "remove the stale layer %s/%s", s->layers, hex);
        if (renameat(s->layers_fd, tmp, s->layers_fd, hex) < 0)
                return cell_error_errno(err, "rename %s/%s to %s", s->layers, tmp, hex);
        if (fsync(s->layers_fd) < 0)
                return cell_error_errno(err, "sync %s", s->layers);
        return 0;
}

static void tmpdir_remove(storage_t *s, const char *tmp)
{
        _cleanup_free_ char *path = str_printf("%s/%s", s->layers, tmp);

        if (path)
                fs_rm_rf(path, NULL);
}

/* A fresh locked temporary directory with an empty diff/ in it. */
static int tmpdir_make_diff(storage_t *s, char tmp[32], int *ret_dfd, cell_error_t *err)
{
        _cleanup_close_ int tfd = tmpdir_make(s, tmp, err);

        if (tfd < 0)
                return -1;
        if (mkdirat(tfd, "diff", 0755) < 0 ||
            (*ret_dfd = openat(tfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                cell_error_errno(err, "make %s/%s/diff", s->layers, tmp);
                tmpdir_remove(s, tmp);
                return -1;
        }
        return steal_fd(&tfd);
}

/* Unpack one layer from its blob into a temporary directory and rename it
 * into place. The caller holds the chain id's lock and has seen that the
 * layer is not there. */
static int unpack_layer(storage_t *s, image_store_t *store, const image_descriptor_t *desc,
                        const char *diff_id, const char *chain_id, const char *parent, size_t index,
                        cell_error_t *err)
{
        _cleanup_close_ int tfd = -1, dfd = -1, blob = -1;
        layer_apply_result_t res = {0};
        char tmp[32];
        int r;

        if (!image_media_type_is_layer(desc->media_type))
                return cell_error_set(err, EINVAL, "layer %zu (%s): media type %s is not a layer", index,
                                      desc->digest, desc->media_type_str ? desc->media_type_str : "(none)");
        blob = image_store_blob_open(store, desc->digest, err);
        if (blob < 0)
                return cell_error_prefix(err, "layer %zu (%s)", index, desc->digest);
        tfd = tmpdir_make_diff(s, tmp, &dfd, err);
        if (tfd < 0)
                return -1;
        r = layer_apply(dfd, blob, NULL, &res, err);
        if (r < 0) {
                cell_error_prefix(err, "unpack layer %zu (%s)", index, desc->digest);
                goto fail;
        }
        if (strcmp(res.diff_id, diff_id) != 0) {
                r = cell_error_set(err, EINVAL,
                                   "layer %zu (%s): its content hashes to %s, but the config's diff_id is %s",
                                   index, desc->digest, res.diff_id, diff_id);
                goto fail;
        }
        r = layer_finish(s, tfd, tmp, chain_id, diff_id, parent, desc->digest, &res, err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        tmpdir_remove(s, tmp);
        return r < 0 ? r : -1;
}

int storage_layers_ensure(storage_t *s, image_store_t *store, const image_manifest_t *m,
                          const image_config_t *c, char ***ret_dirs, char ***ret_chain_ids, cell_error_t *err)
{
        _cleanup_strv_ char **chain = NULL, **dirs = NULL;
        int r;

        if (m->n_layers != c->n_diff_ids)
                return cell_error_set(err, EINVAL, "the manifest has %zu layers but the config %zu diff_ids",
                                      m->n_layers, c->n_diff_ids);
        if (image_chain_ids(c->diff_ids, c->n_diff_ids, &chain, err) < 0)
                return -1;
        dirs = calloc(m->n_layers + 1, sizeof(*dirs));
        if (!dirs)
                return cell_error_set(err, ENOMEM, "ensure layers");
        /* The store's gc must not take the blobs away while they are read. */
        r = image_store_pin(store, err);
        if (r < 0)
                return r;
        r = storage_gc_lock_shared(s, err);
        if (r < 0) {
                image_store_unpin(store);
                return r;
        }
        /* Dead writers' leftovers go on every call (one readdir of layers/),
         * not only when something is unpacked: a crash must not leave
         * garbage that waits for the next new layer or for gc. */
        r = sweep_tmpdirs(s, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < m->n_layers; i++) {
                const char *hex = chain[i] + strlen(SHA256_PREFIX);

                if (!layer_present(s, hex)) {
                        _cleanup_close_ int lock = chain_lock(s, hex, false, err);

                        if (lock < 0) {
                                r = -1;
                                goto out;
                        }
                        /* Another process may have unpacked it while we waited. */
                        if (!layer_present(s, hex)) {
                                r = unpack_layer(s, store, &m->layers[i], c->diff_ids[i], chain[i],
                                                 i > 0 ? chain[i - 1] : NULL, i, err);
                                if (r < 0)
                                        goto out;
                        }
                }
                dirs[i] = str_printf("%s/%s/diff", s->layers, hex);
                if (!dirs[i]) {
                        r = cell_error_set(err, ENOMEM, "ensure layers");
                        goto out;
                }
        }
        *ret_dirs = steal_pointer(&dirs);
        if (ret_chain_ids)
                *ret_chain_ids = steal_pointer(&chain);
        r = 0;
out:
        storage_gc_unlock(s);
        image_store_unpin(store);
        return r;
}

/* ---- unpacking while loading (storage_stage_*) -------------------------- */

typedef struct staged {
        char tmp[32]; /* the temporary directory, locked through tfd */
        int tfd, dfd; /* it and its diff/ */
        int rfd;      /* the pipe's read end, the thread's */
        int wfd;      /* its write end, the loader's: how stage_end finds the entry */
        pthread_t thread;
        bool joined;
        int r; /* layer_apply's result, once joined */
        cell_error_t err;
        layer_apply_result_t res;
        char digest[IMAGE_DIGEST_STR_SIZE]; /* the blob it came from; "" when storing failed */
        bool placed;
} staged_t;

struct storage_stage {
        storage_t *s;
        image_store_t *store;
        image_load_sink_t sink;
        staged_t **v;
        size_t n;
        bool gc_locked;
};

/* The thread: apply the stream, then read whatever is left, so that the
 * loader's writes never block on a reader that gave up (nor raise
 * SIGPIPE): it sees the whole member go by either way. */
static void *stage_thread(void *arg)
{
        staged_t *e = arg;
        char buf[64 * 1024];
        ssize_t k;

        e->r = layer_apply(e->dfd, e->rfd, NULL, &e->res, &e->err);
        while ((k = read(e->rfd, buf, sizeof(buf))) > 0 || (k < 0 && errno == EINTR))
                ;
        return NULL;
}

static void staged_free(storage_t *s, staged_t *e)
{
        if (!e)
                return;
        if (!e->placed && e->tmp[0])
                tmpdir_remove(s, e->tmp);
        if (e->rfd >= 0)
                close(e->rfd);
        if (e->dfd >= 0)
                close(e->dfd);
        if (e->tfd >= 0)
                close(e->tfd);
        free(e);
}

static int stage_begin(void *ctx, const char *path)
{
        storage_stage_t *st = ctx;
        staged_t *e, **v;
        int p[2];

        v = realloc(st->v, (st->n + 1) * sizeof(*v));
        if (!v)
                return -1;
        st->v = v;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -1;
        e->tfd = e->dfd = e->rfd = e->wfd = -1;
        e->joined = true;
        e->tfd = tmpdir_make_diff(st->s, e->tmp, &e->dfd, NULL);
        if (e->tfd < 0) {
                e->tmp[0] = '\0';
                staged_free(st->s, e);
                return -1;
        }
        if (pipe2(p, O_CLOEXEC) < 0) {
                staged_free(st->s, e);
                return -1;
        }
        /* A bigger pipe lets the two sides run on without waking each other
         * for every chunk; the default size works too. */
        (void)fcntl(p[1], F_SETPIPE_SZ, 1024 * 1024);
        e->rfd = p[0];
        e->wfd = p[1];
        if (pthread_create(&e->thread, NULL, stage_thread, e) != 0) {
                close(p[1]);
                staged_free(st->s, e);
                return -1;
        }
        e->joined = false;
        st->v[st->n++] = e;
        log_debug("staging %s in %s/%s", path, st->s->layers, e->tmp);
        return p[1];
}

static void stage_end(void *ctx, int fd, const char *digest)
{
        storage_stage_t *st = ctx;
        staged_t *e = NULL;

        /* A pull streams several layers at once, so the entry is the one
         * whose pipe this is, not the last one begun. */
        for (size_t i = st->n; i-- > 0 && !e;)
                if (st->v[i]->wfd == fd && !st->v[i]->joined)
                        e = st->v[i];
        /* EOF for the thread: it finishes the layer (or its draining). */
        close(fd);
        if (!e || e->joined)
                return;
        pthread_join(e->thread, NULL);
        e->joined = true;
        close(e->rfd);
        e->rfd = -1;
        close(e->dfd);
        e->dfd = -1;
        if (digest && e->r == 0) {
                str_copy(e->digest, sizeof(e->digest), digest);
                return;
        }
        /* Not stored, or not a layer that applies: nothing to keep (the
         * blob, if it is one of an image's layers, is unpacked again by
         * ensure, whose error then names it). */
        if (e->r < 0)
                log_debug("staged layer %s not kept: %s", e->tmp, e->err.msg);
        tmpdir_remove(st->s, e->tmp);
        e->tmp[0] = '\0';
}

static staged_t *stage_find(storage_stage_t *st, const char *digest, const char *diff_id)
{
        for (size_t i = 0; i < st->n; i++) {
                staged_t *e = st->v[i];

                if (e->joined && !e->placed && e->tmp[0] && e->r == 0 && str_eq(e->digest, digest) &&
                    str_eq(e->res.diff_id, diff_id))
                        return e;
        }
        return NULL;
}

static int stage_image(void *ctx, const image_manifest_t *m, const image_config_t *c, cell_error_t *err)
{
        storage_stage_t *st = ctx;
        _cleanup_strv_ char **chain = NULL, **dirs = NULL;

        if (m->n_layers != c->n_diff_ids)
                return cell_error_set(err, EINVAL, "the manifest has %zu layers but the config %zu diff_ids",
                                      m->n_layers, c->n_diff_ids);
        if (image_chain_ids(c->diff_ids, c->n_diff_ids, &chain, err) < 0)
                return -1;
        for (size_t i = 0; i < m->n_layers; i++) {
                const char *hex = chain[i] + strlen(SHA256_PREFIX);
                staged_t *e = stage_find(st, m->layers[i].digest, c->diff_ids[i]);
                _cleanup_close_ int lock = -1;

                if (!e || layer_present(st->s, hex))
                        continue;
                lock = chain_lock(st->s, hex, false, err);
                if (lock < 0)
                        return -1;
                if (layer_present(st->s, hex))
                        continue;
                if (layer_finish(st->s, e->tfd, e->tmp, chain[i], c->diff_ids[i], i > 0 ? chain[i - 1] : NULL,
                                 e->digest, &e->res, err) < 0)
                        return cell_error_prefix(err, "layer %zu (%s)", i, m->layers[i].digest);
                e->placed = true;
        }
        /* What was not staged (a layer the archive held twice, a stream
         * that did not apply) is unpacked from its blob now. */
        return storage_layers_ensure(st->s, st->store, m, c, &dirs, NULL, err);
}

int storage_stage_new(storage_t *s, image_store_t *store, storage_stage_t **ret, cell_error_t *err)
{
        storage_stage_t *st = calloc(1, sizeof(*st));
        int r;

        if (!st)
                return cell_error_set(err, ENOMEM, "stage layers");
        st->s = s;
        st->store = store;
        st->sink =
                (image_load_sink_t){.ctx = st, .begin = stage_begin, .end = stage_end, .image = stage_image};
        /* Held until the stage is freed: a gc must not take a layer placed
         * here before the load tags its image. */
        r = storage_gc_lock_shared(s, err);
        if (r < 0) {
                free(st);
                return r;
        }
        st->gc_locked = true;
        *ret = st;
        return 0;
}

const image_load_sink_t *storage_stage_sink(storage_stage_t *st)
{
        return &st->sink;
}

void storage_stage_free(storage_stage_t *st)
{
        if (!st)
                return;
        for (size_t i = 0; i < st->n; i++) {
                staged_t *e = st->v[i];

                /* Only after a failed load can a thread still run: its
                 * writer has gone, so it reads to EOF and ends. */
                if (!e->joined)
                        pthread_join(e->thread, NULL);
                staged_free(st->s, e);
        }
        free(st->v);
        if (st->gc_locked)
                storage_gc_unlock(st->s);
        free(st);
}

/* ---- what is used, gc -------------------------------------------------- */

static int strv_push_unique(char ***v, const char *s)
{
        for (char **i = *v; i && *i; i++)
                if (strcmp(*i, s) == 0)
                        return 0;
        return strv_push(v, s);
}

static int keep_doc(image_store_t *store, const char *media_type, const char *digest, int depth, char ***keep,
                    cell_error_t *err)
{
        _cleanup_free_ char *data = NULL, *cdata = NULL;
        size_t len = 0, clen = 0;
        image_doc_kind_t kind;

        if (depth > 4)
                return 0;
        /* Absent children of an index are fine: a store may hold one
         * platform of a multi-platform image. */
        if (!image_store_blob_exists(store, digest))
                return 0;
        if (image_store_blob_read(store, digest, 0, &data, &len, err) < 0 ||
            image_doc_detect(data, len, media_type, &kind, err) < 0)
                return cell_error_prefix(err, "%s", digest);
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(data, len, media_type, err);

                if (!idx)
                        return cell_error_prefix(err, "%s", digest);
                for (size_t i = 0; i < idx->n_manifests; i++)
                        if (keep_doc(store, idx->manifests[i].media_type_str, idx->manifests[i].digest,
                                     depth + 1, keep, err) < 0) {
                                image_index_free(idx);
                                return -1;
                        }
                image_index_free(idx);
                return 0;
        }
        {
                image_manifest_t *m = image_manifest_parse(data, len, media_type, err);
                image_config_t *c = NULL;
                char **chain = NULL;
                int r = 0;

                if (!m)
                        return cell_error_prefix(err, "%s", digest);
                if (image_store_blob_read(store, m->config.digest, 0, &cdata, &clen, err) < 0 ||
                    !(c = image_config_parse(cdata, clen, err)) ||
                    image_chain_ids(c->diff_ids, c->n_diff_ids, &chain, err) < 0)
                        r = cell_error_prefix(err, "%s", digest);
                for (char **i = chain; r == 0 && i && *i; i++)
                        if (strv_push_unique(keep, *i) < 0)
                                r = cell_error_set(err, ENOMEM, "keep set");
                strv_free(chain);
                image_config_free(c);
                image_manifest_free(m);
                return r;
        }
}

int storage_layers_keep_set(image_store_t *store, char ***ret, cell_error_t *err)
{
        _cleanup_strv_ char **keep = NULL;
        image_store_entry_t *v = NULL;
        size_t n = 0;

        if (image_store_list(store, &v, &n, err) < 0)
                return -1;
        keep = calloc(1, sizeof(*keep));
        if (!keep) {
                image_store_entries_free(v, n);
                return cell_error_set(err, ENOMEM, "keep set");
        }
        for (size_t i = 0; i < n; i++)
                if (keep_doc(store, v[i].media_type, v[i].digest, 0, &keep, err) < 0) {
                        image_store_entries_free(v, n);
                        return cell_error_prefix(err, "image %s", v[i].ref ? v[i].ref : "(unnamed)");
                }
        image_store_entries_free(v, n);
        *ret = steal_pointer(&keep);
        return 0;
}

static bool is_chain_hex(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int storage_layers_list(storage_t *s, char ***ret, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_ char **v = calloc(1, sizeof(char *));
        struct dirent *de;
        int fd = dup(s->layers_fd);
        size_t n;

        if (!v || fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return cell_error_errno(err, "read %s", s->layers);
        }
        rewinddir(d);
        while ((de = readdir(d)))
                if (is_chain_hex(de->d_name) && layer_present(s, de->d_name)) {
                        _cleanup_free_ char *id = str_printf(SHA256_PREFIX "%s", de->d_name);

                        if (!id || strv_push(&v, id) < 0)
                                return cell_error_set(err, ENOMEM, "list layers");
                }
        n = strv_length(v);
        strv_sort(v, n);
        *ret = steal_pointer(&v);
        return 0;
}

/* The chain ids a container's rootfs uses, from containers/<id>/layers.json
 * (written by storage_rootfs_prepare). */
static int keep_containers(storage_t *s, char ***keep, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = opendir(s->containers);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : cell_error_errno(err, "read %s", s->containers);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                json_t *j, *ids, *id;
                size_t len = 0, i;

                if (de->d_name[0] == '.')
                        continue;
                path = str_printf("%s/%s/layers.json", s->containers, de->d_name);
                if (!path)
                        return cell_error_set(err, ENOMEM, "gc");
                if (fs_read_file(path, 0, &data, &len, NULL) < 0)
                        continue; /* a container being made holds the gc lock until this exists */
                j = json_loadb(data, len, 0, NULL);
                ids = json_object_get(j, "chain_ids");
                json_array_foreach(ids, i, id)
                {
                        if (json_is_string(id) && strv_push_unique(keep, json_string_value(id)) < 0) {
                                json_decref(j);
                                return cell_error_set(err, ENOMEM, "gc");
                        }
                }
                json_decref(j);
        }
        return 0;
}

int storage_layers_gc(storage_t *s, char *const *keep, uint64_t *ret_removed, cell_error_t *err)
{
        _cleanup_strv_ char **used = calloc(1, sizeof(char *)), **present = NULL;
        uint64_t removed = 0;
        int r;

        if (!used)
                return cell_error_set(err, ENOMEM, "gc layers");
        if (TEMP_FAILURE_RETRY_INT(flock(s->gc_lock_fd, LOCK_EX | LOCK_NB)) < 0) {
                if (errno == EWOULDBLOCK)
                        return cell_error_set(err, EBUSY, "gc layers: layers are being unpacked or used");
                return cell_error_errno(err, "lock %s/.gc.lock", s->layers);
        }
        for (char *const *i = keep; i && *i; i++)
                if (strv_push_unique(&used, *i) < 0) {
                        r = cell_error_set(err, ENOMEM, "gc layers");
                        goto out;
                }
        r = keep_containers(s, &used, err);
        if (r < 0)
                goto out;
        r = storage_layers_list(s, &present, err);
        if (r < 0)
                goto out;
        for (char **i = present; *i; i++) {
                const char *hex = *i + strlen(SHA256_PREFIX);
                _cleanup_close_ int lock = -1, tfd = -1;
                bool in_use = false;
                char tmp[32];

                for (char **k = used; *k && !in_use; k++)
                        in_use = strcmp(*k, *i) == 0;
                if (in_use)
                        continue;
                lock = chain_lock(s, hex, true, err);
                if (lock == -EWOULDBLOCK)
                        continue;
                if (lock < 0) {
                        r = -1;
                        goto out;
                }
                /* Out of its name first, in one rename, so that a crash in the
                 * middle of the removal leaves a dead temporary directory and
                 * never half a layer under its name. */
                tfd = openat(s->layers_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (tfd < 0 || TEMP_FAILURE_RETRY_INT(flock(tfd, LOCK_EX)) < 0) {
                        r = cell_error_errno(err, "remove layer %s", *i);
                        goto out;
                }
                for (int attempt = 0;; attempt++) {
                        uint64_t rnd;

                        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
                                r = cell_error_errno(err, "getrandom");
                                goto out;
                        }
                        snprintf(tmp, sizeof(tmp), ".tmp-%016" PRIx64, rnd);
                        if (renameat2(s->layers_fd, hex, s->layers_fd, tmp, RENAME_NOREPLACE) == 0)
                                break;
                        if (errno != EEXIST || attempt > 100) {
                                r = cell_error_errno(err, "remove layer %s", *i);
                                goto out;
                        }
                }
                {
                        _cleanup_free_ char *path = str_printf("%s/%s", s->layers, tmp);
                        _cleanup_free_ char *lockname = str_printf(".locks/%s", hex);

                        if (!path || !lockname) {
                                r = cell_error_set(err, ENOMEM, "gc layers");
                                goto out;
                        }
                        r = fs_rm_rf(path, err);
                        if (r < 0)
                                goto out;
                        unlinkat(s->layers_fd, lockname, 0);
                }
                removed++;
        }
        r = sweep_tmpdirs(s, err);
        if (r >= 0)
                r = 0;
out:
        flock(s->gc_lock_fd, LOCK_UN);
        if (r == 0 && ret_removed)
                *ret_removed = removed;
        return r;
}
