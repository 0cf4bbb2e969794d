/* cell: load, save and import (see transfer.h). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "archive_load.h"
#include "cleanup.h"
#include "config.h"
#include "digest.h"
#include "imgarchive.h"
#include "imgjson.h"
#include "manifest.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"
#include "transfer.h"

#define COPY_BUF (256 * 1024)

void image_loaded_free(image_loaded_t *v, size_t n)
{
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                strv_free(v[i].names);
        free(v);
}

/* ---- compression ---- */

static image_compression_t detect_compression(const unsigned char *p, size_t n)
{
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
                return IMAGE_COMPRESSION_GZIP;
        if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
                return IMAGE_COMPRESSION_ZSTD;
        return IMAGE_COMPRESSION_NONE;
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}
#define _cleanup_archive_ __attribute__((cleanup(archive_freep)))

/* A reader of the decompressed stream of FD. Layers (untrusted) get gzip and
 * zstd only, in process; an import (the user's own file) also xz and bzip2. */
static struct archive *unz_open(int fd, bool more_filters, cell_error_t *err)
{
        struct archive *a = NULL;
        struct archive_entry *e;

        if (image_archive_ready(err) < 0)
                return NULL;
        a = archive_read_new();
        if (!a) {
                cell_error_set(err, ENOMEM, "archive_read_new");
                return NULL;
        }
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        if (more_filters) {
                archive_read_support_filter_xz(a);
                archive_read_support_filter_bzip2(a);
        }
        archive_read_support_format_raw(a);
        archive_read_support_format_empty(a);
        if (archive_read_open_fd(a, fd, COPY_BUF) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) < ARCHIVE_WARN) {
                cell_error_plain(err, EINVAL, "%s",
                                 archive_error_string(a) ? archive_error_string(a) : "unreadable");
                archive_read_free(a);
                return NULL;
        }
        return a;
}

/* sha256 and length of the decompressed stream of FD. */
static int hash_uncompressed(int fd, char ret[IMAGE_DIGEST_STR_SIZE], uint64_t *ret_len, cell_error_t *err)
{
        _cleanup_archive_ struct archive *a = unz_open(fd, false, err);
        _cleanup_hasher_ image_hasher_t *h = NULL;
        _cleanup_free_ char *buf = malloc(COPY_BUF);
        uint64_t total = 0;
        int r;

        if (!a)
                return -EINVAL;
        if (!buf)
                return cell_error_set(err, ENOMEM, "hash");
        r = image_hasher_new(&h, err);
        if (r < 0)
                return r;
        for (;;) {
                la_ssize_t k = archive_read_data(a, buf, COPY_BUF);

                if (k < 0)
                        return cell_error_plain(err, EIO, "decompressing: %s", archive_error_string(a));
                if (k == 0)
                        break;
                total += (uint64_t)k;
                r = image_hasher_update(h, buf, (size_t)k, err);
                if (r < 0)
                        return r;
        }
        if (ret_len)
                *ret_len = total;
        return image_hasher_final(h, ret, err);
}

static int layer_diff_id(image_store_t *s, const char *digest, image_compression_t comp,
                         char ret[IMAGE_DIGEST_STR_SIZE], uint64_t *ret_len, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (comp == IMAGE_COMPRESSION_NONE && !ret_len) {
                str_copy(ret, IMAGE_DIGEST_STR_SIZE, digest);
                return 0;
        }
        fd = image_store_blob_open(s, digest, err);
        if (fd < 0)
                return fd;
        r = hash_uncompressed(fd, ret, ret_len, err);
        if (r < 0)
                return cell_error_prefix(err, "layer %s", digest);
        return 0;
}

static const char *layer_media_type(image_compression_t c)
{
        switch (c) {
        case IMAGE_COMPRESSION_GZIP:
                return image_media_type_string(IMAGE_MT_OCI_LAYER_GZIP);
        case IMAGE_COMPRESSION_ZSTD:
                return image_media_type_string(IMAGE_MT_OCI_LAYER_ZSTD);
        case IMAGE_COMPRESSION_NONE:
        default:
                return image_media_type_string(IMAGE_MT_OCI_LAYER_TAR);
        }
}

/* ---- load ---- */

typedef struct stored {
        char *path;
        char digest[IMAGE_DIGEST_STR_SIZE];
        char named[IMAGE_DIGEST_STR_SIZE]; /* what the name says, or "" */
        int64_t size;
        image_compression_t comp;
} stored_t;

typedef struct load_ctx {
        image_store_t *s;
        const image_load_sink_t *sink;
        stored_t *v;
        size_t n, cap;
        char *buf;
} load_ctx_t;

/* A tar stream has "ustar" at offset 257 of its first header; a compressed
 * one is taken on its magic (only a layer is a compressed member). */
static bool looks_like_layer(const unsigned char *p, size_t n)
{
        if (detect_compression(p, n) != IMAGE_COMPRESSION_NONE)
                return true;
        return n >= 262 && memcmp(p + 257, "ustar", 5) == 0;
}

/* The whole chunk to the sink's fd; false when the sink stopped reading. */
static bool sink_write(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                p += k;
                len -= (size_t)k;
        }
        return true;
}

static void sink_end(const load_ctx_t *c, int *fd, const char *digest)
{
        if (*fd < 0)
                return;
        if (c->sink && c->sink->end)
                c->sink->end(c->sink->ctx, *fd, digest);
        else
                close(*fd);
        *fd = -1;
}

static bool metadata_member(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        /* index.json and manifest.json are read by the archive module; the
         * legacy per-layer "json" and "VERSION" files describe v1 ids. */
        return str_eq(path, "manifest.json") || str_eq(path, "repositories") || str_eq(path, "oci-layout") ||
               str_eq(path, "index.json") || str_eq(base, "json") || str_eq(base, "VERSION");
}

static int load_member(const char *path, const char *digest, int64_t size, image_archive_read_fn read,
                       void *read_ctx, void *userdata, cell_error_t *err)
{
        load_ctx_t *c = userdata;
        image_blob_writer_t *w = NULL;
        stored_t *st;
        bool first = true, strict = str_has_prefix(path, "blobs/");
        int r, sink_fd = -1;

        if (metadata_member(path))
                return 0;
        if (c->n == c->cap) {
                size_t cap = c->cap ? 2 * c->cap : 32;
                stored_t *v = realloc(c->v, cap * sizeof(*v));

                if (!v)
                        return cell_error_set(err, ENOMEM, "storing %s", path);
                c->v = v;
                c->cap = cap;
        }
        st = &c->v[c->n];
        *st = (stored_t){.size = size};
        if (digest)
                str_copy(st->named, sizeof(st->named), digest);
        r = image_store_blob_begin(c->s, &w, err);
        if (r < 0)
                return cell_error_prefix(err, "storing %s", path);
        for (;;) {
                ssize_t k = read(read_ctx, c->buf, COPY_BUF, err);

                if (k < 0) {
                        image_store_blob_abort(w);
                        sink_end(c, &sink_fd, NULL);
                        return cell_error_prefix(err, "storing %s", path);
                }
                if (k == 0)
                        break;
                if (first) {
                        st->comp = detect_compression((const unsigned char *)c->buf, (size_t)k);
                        if (c->sink && c->sink->begin &&
                            looks_like_layer((const unsigned char *)c->buf, (size_t)k))
                                sink_fd = c->sink->begin(c->sink->ctx, path);
                        first = false;
                }
                r = image_store_blob_write(w, c->buf, (size_t)k, err);
                if (r < 0) {
                        image_store_blob_abort(w);
                        sink_end(c, &sink_fd, NULL);
                        return cell_error_prefix(err, "storing %s", path);
                }
                /* The sink unpacks while the store hashes and writes: two
                 * cores on one read of the archive. */
                if (sink_fd >= 0 && !sink_write(sink_fd, c->buf, (size_t)k))
                        sink_end(c, &sink_fd, NULL);
        }
        /* blobs/sha256/<hex> must hash to its name; a docker-archive's
         * <hex>.tar may be named by its diffID, checked once it is known. */
        r = image_store_blob_commit(w, strict ? digest : NULL, st->digest, err);
        sink_end(c, &sink_fd, r < 0 ? NULL : st->digest);
        if (r < 0)
                return cell_error_prefix(err, "storing %s", path);
        st->path = strdup(path);
        if (!st->path)
                return cell_error_set(err, ENOMEM, "storing %s", path);
        c->n++;
        return 0;
}

static const stored_t *find_stored(const load_ctx_t *c, const char *path)
{
        for (size_t i = 0; i < c->n; i++)
                if (str_eq(c->v[i].path, path))
                        return &c->v[i];
        return NULL;
}

typedef struct pending {
        char id[IMAGE_DIGEST_STR_SIZE];
        char digest[IMAGE_DIGEST_STR_SIZE];
        const char *media_type;
        int64_t size;
        char **names;
} pending_t;

/* Store (or find) the manifest of IM; its descriptor goes to P. */
static int load_image(load_ctx_t *c, const image_archive_t *a, const image_archive_image_t *im, pending_t *p,
                      cell_error_t *err)
{
        const stored_t *cfg = find_stored(c, im->config_path);
        image_manifest_t m = {.kind = IMAGE_DOC_OCI_MANIFEST, .media_type_present = true};
        _cleanup_free_ image_descriptor_t *layers = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        if (!cfg)
                return cell_error_plain(err, ENOENT, "config %s was not stored", im->config_path);
        if (!str_eq(cfg->digest, im->config_digest))
                return cell_error_plain(err, EINVAL, "config %s: digest mismatch: expected %s, got %s",
                                        im->config_path, im->config_digest, cfg->digest);
        str_copy(p->id, sizeof(p->id), cfg->digest);
        layers = calloc(im->n_layers + 1, sizeof(*layers));
        if (!layers)
                return cell_error_set(err, ENOMEM, "load");
        for (size_t k = 0; k < im->n_layers; k++) {
                const stored_t *l = find_stored(c, im->layers[k].path);
                char diff_id[IMAGE_DIGEST_STR_SIZE];

                if (!l)
                        return cell_error_plain(err, ENOENT, "layer %s was not stored", im->layers[k].path);
                r = layer_diff_id(c->s, l->digest, l->comp, diff_id, NULL, err);
                if (r < 0)
                        return cell_error_prefix(err, "layer %zu (%s)", k, im->layers[k].path);
                if (!str_eq(diff_id, im->config->diff_ids[k]))
                        return cell_error_plain(
                                err, EINVAL,
                                "layer %zu (%s): its content has diffID %s but the config says %s", k,
                                im->layers[k].path, diff_id, im->config->diff_ids[k]);
                if (l->named[0] && !str_eq(l->named, l->digest) && !str_eq(l->named, diff_id))
                        return cell_error_plain(err, EINVAL,
                                                "layer %zu (%s): digest mismatch: its name says %s", k,
                                                im->layers[k].path, l->named);
                layers[k].media_type = image_media_type_from_string(layer_media_type(l->comp));
                str_copy(layers[k].digest, sizeof(layers[k].digest), l->digest);
                layers[k].size = l->size;
        }
        if (a->format == IMAGE_ARCHIVE_OCI) {
                const stored_t *ms = find_stored(c, im->manifest_path);

                if (!ms)
                        return cell_error_plain(err, ENOENT, "manifest %s was not stored", im->manifest_path);
                str_copy(p->digest, sizeof(p->digest), ms->digest);
                p->size = ms->size;
                p->media_type = image_media_type_string(im->manifest->kind == IMAGE_DOC_DOCKER_MANIFEST
                                                                ? IMAGE_MT_DOCKER_MANIFEST
                                                                : IMAGE_MT_OCI_MANIFEST);
                if (c->sink && c->sink->image)
                        return c->sink->image(c->sink->ctx, im->manifest, im->config, err);
                return 0;
        }
        /* docker-archive: a manifest made here, OCI types, the layers as they
         * were in the archive (usually uncompressed). */
        m.config.media_type = IMAGE_MT_OCI_CONFIG;
        str_copy(m.config.digest, sizeof(m.config.digest), cfg->digest);
        m.config.size = cfg->size;
        m.layers = layers;
        m.n_layers = im->n_layers;
        data = image_manifest_serialize(&m, &len, err);
        if (!data)
                return -EINVAL;
        r = image_store_blob_put(c->s, data, len, NULL, p->digest, err);
        if (r < 0)
                return cell_error_prefix(err, "manifest");
        p->size = (int64_t)len;
        p->media_type = image_media_type_string(IMAGE_MT_OCI_MANIFEST);
        if (c->sink && c->sink->image)
                return c->sink->image(c->sink->ctx, &m, im->config, err);
        return 0;
}

static int pending_names(const image_archive_t *a, const image_archive_image_t *im, const char *tag,
                         pending_t *p, cell_error_t *err)
{
        char **src = tag ? (char *[]){(char *)tag, NULL} : im->repo_tags;
        int r;

        p->names = calloc(1, sizeof(char *));
        if (!p->names)
                return cell_error_set(err, ENOMEM, "load");
        for (size_t i = 0; src[i]; i++) {
                _cleanup_free_ char *name = NULL;

                r = image_ref_normalize(src[i], &name, err);
                if (r < 0) {
                        /* An OCI layout's ref.name is often a bare tag ("1.0"),
                         * which names nothing here: the image is kept by id. */
                        if (a->format == IMAGE_ARCHIVE_OCI && !tag) {
                                cell_error_clear(err);
                                continue;
                        }
                        return r;
                }
                if (strv_push(&p->names, name) < 0)
                        return cell_error_set(err, ENOMEM, "load");
        }
        return 0;
}

int image_load(image_store_t *s, int fd, const char *tag, image_loaded_t **ret, size_t *ret_n,
               cell_error_t *err)
{
        return image_load_sink(s, fd, tag, NULL, ret, ret_n, err);
}

int image_load_sink(image_store_t *s, int fd, const char *tag, const image_load_sink_t *sink,
                    image_loaded_t **ret, size_t *ret_n, cell_error_t *err)
{
        load_ctx_t c = {.s = s, .sink = sink};
        image_archive_t *a = NULL;
        pending_t *p = NULL;
        image_loaded_t *out = NULL;
        size_t np = 0;
        int r;

        r = image_store_pin(s, err);
        if (r < 0)
                return r;
        c.buf = malloc(COPY_BUF);
        if (!c.buf) {
                r = cell_error_set(err, ENOMEM, "load");
                goto out;
        }
        a = image_archive_read(fd, load_member, &c, NULL, err);
        if (!a) {
                r = -EINVAL;
                goto out;
        }
        if (a->n_images == 0) {
                r = cell_error_plain(err, EINVAL, "the archive holds no image");
                goto out;
        }
        if (tag && a->n_images > 1) {
                r = cell_error_plain(err, EINVAL, "a tag was given but the archive holds %zu images",
                                     a->n_images);
                goto out;
        }
        p = calloc(a->n_images, sizeof(*p));
        if (!p) {
                r = cell_error_set(err, ENOMEM, "load");
                goto out;
        }
        for (np = 0; np < a->n_images; np++) {
                r = load_image(&c, a, &a->images[np], &p[np], err);
                if (r == 0)
                        r = pending_names(a, &a->images[np], tag, &p[np], err);
                if (r < 0) {
                        cell_error_prefix(err, "image %zu", np);
                        np++;
                        goto out;
                }
        }
        /* Every blob of every image is in the store: now the names. */
        for (size_t i = 0; i < np; i++) {
                if (!p[i].names[0])
                        r = image_store_tag_id(s, p[i].id, p[i].media_type, p[i].digest, p[i].size, err);
                for (size_t j = 0; r == 0 && p[i].names[j]; j++)
                        r = image_store_tag(s, p[i].names[j], p[i].media_type, p[i].digest, p[i].size, err);
                if (r < 0)
                        goto out;
        }
        out = calloc(np + 1, sizeof(*out));
        if (!out) {
                r = cell_error_set(err, ENOMEM, "load");
                goto out;
        }
        for (size_t i = 0; i < np; i++) {
                str_copy(out[i].id, sizeof(out[i].id), p[i].id);
                out[i].names = steal_pointer(&p[i].names);
        }
        *ret = steal_pointer(&out);
        *ret_n = np;
        r = 0;
out:
        for (size_t i = 0; p && i < np; i++)
                strv_free(p[i].names);
        free(p);
        for (size_t i = 0; i < c.n; i++)
                free(c.v[i].path);
        free(c.v);
        free(c.buf);
        image_archive_free(a);
        image_store_unpin(s);
        return r;
}

/* ---- resolving names ---- */

/* The manifest an entry names, for this machine when it names an index. */
static image_manifest_t *entry_manifest(image_store_t *s, const image_store_entry_t *e,
                                        char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        image_doc_kind_t kind;
        image_manifest_t *m;

        str_copy(ret_digest, IMAGE_DIGEST_STR_SIZE, e->digest);
        if (image_store_blob_read(s, e->digest, 0, &data, &len, err) < 0)
                return NULL;
        if (image_doc_detect(data, len, e->media_type, &kind, err) < 0)
                return NULL;
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(data, len, e->media_type, err);
                image_platform_t host = {0};
                const image_descriptor_t *d;
                image_store_entry_t child = {0};

                if (!idx)
                        return NULL;
                if (image_platform_host(&host, err) < 0) {
                        image_index_free(idx);
                        return NULL;
                }
                d = image_index_match(idx, &host, err);
                image_platform_free(&host);
                if (d) {
                        child.digest = (char *)d->digest;
                        child.media_type = d->media_type_str ? d->media_type_str
                                                             : (char *)image_media_type_string(d->media_type);
                        m = entry_manifest(s, &child, ret_digest, err);
                } else {
                        m = NULL;
                }
                image_index_free(idx);
                return m;
        }
        return image_manifest_parse(data, len, e->media_type, err);
}

static bool hex_prefix(const char *s)
{
        size_t n = strlen(s);

        if (n < 12 || n > IMAGE_DIGEST_HEX_LEN)
                return false;
        return strspn(s, "0123456789abcdef") == n;
}

int image_store_resolve(image_store_t *s, const char *name, image_store_entry_t *ret, cell_error_t *err)
{
        const char *hex = str_has_prefix(name, "sha256:") ? name + 7 : name;
        image_store_entry_t *v = NULL;
        size_t n = 0;
        int found = -1, r;

        if (!hex_prefix(hex)) {
                _cleanup_free_ char *norm = NULL;

                r = image_store_lookup(s, name, ret, err);
                /* "no such image: X", without ": No such file or directory" */
                if (r == -ENOENT && image_ref_normalize(name, &norm, NULL) == 0)
                        return cell_error_plain(err, ENOENT, "no such image: %s", norm);
                return r;
        }
        r = image_store_list(s, &v, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char md[IMAGE_DIGEST_STR_SIZE];
                image_manifest_t *m = entry_manifest(s, &v[i], md, err);
                bool match;

                if (!m) {
                        cell_error_clear(err);
                        continue;
                }
                match = strncmp(m->config.digest + 7, hex, strlen(hex)) == 0;
                image_manifest_free(m);
                if (!match)
                        continue;
                if (found >= 0 && !str_eq(v[found].digest, v[i].digest)) {
                        image_store_entries_free(v, n);
                        return cell_error_plain(err, EINVAL, "image id %s is ambiguous", name);
                }
                if (found < 0 || (!v[found].ref && v[i].ref))
                        found = (int)i;
        }
        if (found < 0) {
                image_store_entries_free(v, n);
                return cell_error_plain(err, ENOENT, "no such image: %s", name);
        }
        *ret = v[found];
        memset(&v[found], 0, sizeof(v[found]));
        image_store_entries_free(v, n);
        return 0;
}

/* ---- save ---- */

typedef struct save_image {
        char manifest_digest[IMAGE_DIGEST_STR_SIZE];
        image_manifest_t *manifest;
        image_config_t *config;
        char *config_data;
        size_t config_len;
        char *name; /* normalised reference, or NULL */
} save_image_t;

static void archive_write_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

static int tar_header(struct archive *w, const char *path, int64_t size, bool dir, cell_error_t *err)
{
        struct archive_entry *e = archive_entry_new();
        int r;

        if (!e)
                return cell_error_set(err, ENOMEM, "save");
        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(e, dir ? 0755 : 0644);
        archive_entry_set_size(e, dir ? 0 : size);
        archive_entry_set_mtime(e, 0, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        r = archive_write_header(w, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return cell_error_plain(err, EIO, "writing %s: %s", path, archive_error_string(w));
        return 0;
}

static int tar_data(struct archive *w, const char *path, const void *data, size_t len, cell_error_t *err)
{
        if (archive_write_data(w, data, len) != (la_ssize_t)len)
                return cell_error_plain(err, EIO, "writing %s: %s", path, archive_error_string(w));
        return 0;
}

static int tar_file(struct archive *w, const char *path, const void *data, size_t len, cell_error_t *err)
{
        int r = tar_header(w, path, (int64_t)len, false, err);

        return r < 0 ? r : tar_data(w, path, data, len, err);
}

/* The blob DIGEST as the member PATH, decompressed when UNCOMPRESS. */
static int tar_blob(struct archive *w, image_store_t *s, const char *path, const char *digest,
                    bool uncompress, int64_t size, char *buf, cell_error_t *err)
{
        _cleanup_close_ int fd = image_store_blob_open(s, digest, err);
        _cleanup_archive_ struct archive *a = NULL;
        int64_t done = 0;
        int r;

        if (fd < 0)
                return fd;
        if (uncompress && !(a = unz_open(fd, false, err)))
                return cell_error_prefix(err, "layer %s", digest);
        r = tar_header(w, path, size, false, err);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t k = a ? (ssize_t)archive_read_data(a, buf, COPY_BUF) : read(fd, buf, COPY_BUF);

                if (k < 0 && !a && errno == EINTR)
                        continue;
                if (k < 0)
                        return cell_error_plain(err, EIO, "reading blob %s", digest);
                if (k == 0)
                        break;
                if (done + k > size)
                        return cell_error_plain(err, EIO, "blob %s grew while it was saved", digest);
                done += k;
                r = tar_data(w, path, buf, (size_t)k, err);
                if (r < 0)
                        return r;
        }
        if (done != size)
                return cell_error_plain(err, EIO, "blob %s: %lld bytes instead of %lld", digest,
                                        (long long)done, (long long)size);
        return 0;
}

static bool seen(json_t *set, const char *key)
{
        if (json_object_get(set, key))
                return true;
        json_object_set_new(set, key, json_true());
        return false;
}

static int save_docker(image_store_t *s, save_image_t *v, size_t n, struct archive *w, char *buf,
                       cell_error_t *err)
{
        json_t *manifest = json_array(), *repos = json_object(), *done = json_object(),
               *by_config = json_object();
        _cleanup_free_ char *mdata = NULL, *rdata = NULL;
        int r = 0;

        if (!manifest || !repos || !done || !by_config) {
                r = cell_error_set(err, ENOMEM, "save");
                goto out;
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                save_image_t *im = &v[i];
                json_t *entry = NULL, *layers = json_array(), *tags = json_array();
                char cfg_path[IMAGE_DIGEST_HEX_LEN + 8];
                const char *last = NULL;

                snprintf(cfg_path, sizeof(cfg_path), "%s.json", im->manifest->config.digest + 7);
                /* One entry per image, as docker writes it: a second name of
                 * the same image only adds to its RepoTags. */
                entry = json_object_get(by_config, cfg_path);
                if (entry) {
                        json_decref(layers);
                        json_decref(tags);
                        layers = json_array();
                        tags = json_incref(json_object_get(entry, "RepoTags"));
                        entry = json_incref(entry);
                }
                if (!seen(done, cfg_path))
                        r = tar_file(w, cfg_path, im->config_data, im->config_len, err);
                for (size_t k = 0; r == 0 && k < im->manifest->n_layers; k++) {
                        const image_descriptor_t *l = &im->manifest->layers[k];
                        image_compression_t comp = IMAGE_COMPRESSION_NONE;
                        char path[IMAGE_DIGEST_HEX_LEN + 8], diff_id[IMAGE_DIGEST_STR_SIZE];
                        uint64_t len = (uint64_t)l->size;

                        image_media_type_compression(l->media_type, &comp);
                        snprintf(path, sizeof(path), "%s.tar", im->config->diff_ids[k] + 7);
                        json_array_append_new(layers, json_string(path));
                        last = im->config->diff_ids[k] + 7;
                        if (seen(done, path))
                                continue;
                        /* The tar header needs the length first: a compressed
                         * layer is read twice. */
                        if (comp != IMAGE_COMPRESSION_NONE) {
                                r = layer_diff_id(s, l->digest, comp, diff_id, &len, err);
                                if (r == 0 && !str_eq(diff_id, im->config->diff_ids[k]))
                                        r = cell_error_plain(err, EINVAL,
                                                             "layer %s: diffID %s, config says %s", l->digest,
                                                             diff_id, im->config->diff_ids[k]);
                        }
                        if (r == 0)
                                r = tar_blob(w, s, path, l->digest, comp != IMAGE_COMPRESSION_NONE,
                                             (int64_t)len, buf, err);
                }
                if (im->name) {
                        _cleanup_image_ref_ image_ref_t *ref = NULL;

                        if (image_ref_parse(im->name, &ref, NULL) == 0 && ref->tag) {
                                /* The full name: docker reads it back as the
                                 * same image, podman would put a short one
                                 * under localhost/. */
                                _cleanup_free_ char *fam = image_ref_string(ref);
                                _cleanup_free_ char *repo = fam ? strdup(fam) : NULL;
                                char *colon = repo ? strrchr(repo, ':') : NULL;

                                if (fam && colon) {
                                        json_t *rm = json_object_get(repos, (*colon = '\0', repo));

                                        json_array_append_new(tags, json_string(fam));
                                        if (!rm) {
                                                rm = json_object();
                                                json_object_set_new(repos, repo, rm);
                                        }
                                        if (last)
                                                json_object_set_new(rm, ref->tag, json_string(last));
                                }
                        }
                }
                if (entry) {
                        json_decref(entry);
                        json_decref(tags);
                        json_decref(layers);
                        continue;
                }
                entry = json_pack("{s:s, s:o, s:o}", "Config", cfg_path, "RepoTags", tags, "Layers", layers);
                if (!entry) {
                        r = cell_error_set(err, ENOMEM, "save");
                } else {
                        json_object_set(by_config, cfg_path, entry);
                        json_array_append_new(manifest, entry);
                }
        }
        if (r < 0)
                goto out;
        mdata = json_dumps(manifest, JSON_COMPACT);
        rdata = json_dumps(repos, JSON_COMPACT | JSON_SORT_KEYS);
        if (!mdata || !rdata) {
                r = cell_error_set(err, ENOMEM, "save");
                goto out;
        }
        r = tar_file(w, "manifest.json", mdata, strlen(mdata), err);
        if (r == 0)
                r = tar_file(w, "repositories", rdata, strlen(rdata), err);
out:
        json_decref(manifest);
        json_decref(repos);
        json_decref(done);
        json_decref(by_config);
        return r;
}

static int save_oci(image_store_t *s, save_image_t *v, size_t n, struct archive *w, char *buf,
                    cell_error_t *err)
{
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        json_t *done = json_object(), *manifests = json_array(), *index = NULL;
        _cleanup_free_ char *idata = NULL;
        int r;

        if (!done || !manifests) {
                r = cell_error_set(err, ENOMEM, "save");
                goto out;
        }
        r = tar_file(w, "oci-layout", layout, strlen(layout), err);
        if (r == 0)
                r = tar_header(w, "blobs", 0, true, err);
        if (r == 0)
                r = tar_header(w, "blobs/sha256", 0, true, err);
        for (size_t i = 0; i < n && r == 0; i++) {
                save_image_t *im = &v[i];
                const char *blobs[2] = {im->manifest_digest, im->manifest->config.digest};
                uint64_t msize = 0;
                json_t *d;

                for (size_t k = 0; r == 0 && k < 2 + im->manifest->n_layers; k++) {
                        const char *digest = k < 2 ? blobs[k] : im->manifest->layers[k - 2].digest;
                        char path[IMAGE_DIGEST_HEX_LEN + 16];
                        uint64_t size = 0;

                        r = image_store_blob_size(s, digest, &size, err);
                        if (k == 0)
                                msize = size;
                        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
                        if (r == 0 && !seen(done, path))
                                r = tar_blob(w, s, path, digest, false, (int64_t)size, buf, err);
                }
                if (r < 0)
                        break;
                d = json_pack("{s:s, s:s, s:I}", "mediaType",
                              image_media_type_string(im->manifest->kind == IMAGE_DOC_DOCKER_MANIFEST
                                                              ? IMAGE_MT_DOCKER_MANIFEST
                                                              : IMAGE_MT_OCI_MANIFEST),
                              "digest", im->manifest_digest, "size", (json_int_t)msize);
                if (d && im->name)
                        json_object_set_new(d, "annotations",
                                            json_pack("{s:s, s:s}", IMAGE_ANNOTATION_REF_NAME, im->name,
                                                      "io.containerd.image.name", im->name));
                if (!d)
                        r = cell_error_set(err, ENOMEM, "save");
                else
                        json_array_append_new(manifests, d);
        }
        if (r < 0)
                goto out;
        index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
                          image_media_type_string(IMAGE_MT_OCI_INDEX), "manifests", manifests);
        idata = index ? json_dumps(index, JSON_COMPACT) : NULL;
        if (!idata) {
                r = cell_error_set(err, ENOMEM, "save");
                goto out;
        }
        r = tar_file(w, "index.json", idata, strlen(idata), err);
out:
        json_decref(done);
        json_decref(manifests);
        json_decref(index);
        return r;
}

static void save_images_free(save_image_t *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                image_manifest_free(v[i].manifest);
                image_config_free(v[i].config);
                free(v[i].config_data);
                free(v[i].name);
        }
        free(v);
}

int image_save(image_store_t *s, char *const *refs, size_t n, image_save_format_t format, int fd,
               cell_error_t *err)
{
        save_image_t *v = calloc(n + 1, sizeof(*v));
        __attribute__((cleanup(archive_write_freep))) struct archive *w = NULL;
        _cleanup_free_ char *buf = malloc(COPY_BUF);
        int r = 0;

        if (!v || !buf) {
                save_images_free(v, n);
                return cell_error_set(err, ENOMEM, "save");
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                image_store_entry_t e = {0};

                r = image_store_resolve(s, refs[i], &e, err);
                if (r < 0)
                        break;
                v[i].manifest = entry_manifest(s, &e, v[i].manifest_digest, err);
                /* A name only when the user named it: an id saves unnamed. */
                if (e.ref && !hex_prefix(str_has_prefix(refs[i], "sha256:") ? refs[i] + 7 : refs[i]))
                        v[i].name = steal_pointer(&e.ref);
                image_store_entry_clear(&e);
                if (!v[i].manifest) {
                        r = cell_error_prefix(err, "%s", refs[i]);
                        break;
                }
                r = image_store_blob_read(s, v[i].manifest->config.digest, 0, &v[i].config_data,
                                          &v[i].config_len, err);
                if (r == 0 && !(v[i].config = image_config_parse(v[i].config_data, v[i].config_len, err)))
                        r = -EINVAL;
                if (r == 0 && v[i].config->n_diff_ids != v[i].manifest->n_layers)
                        r = cell_error_plain(err, EINVAL, "%zu layers but %zu diff ids",
                                             v[i].manifest->n_layers, v[i].config->n_diff_ids);
                if (r < 0)
                        cell_error_prefix(err, "%s", refs[i]);
        }
        if (r < 0)
                goto out;
        if (image_archive_ready(err) < 0) {
                r = -1;
                goto out;
        }
        w = archive_write_new();
        if (!w || archive_write_set_format_pax_restricted(w) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK ||
            archive_write_open_fd(w, fd) != ARCHIVE_OK) {
                r = cell_error_plain(err, EIO, "save: %s", w ? archive_error_string(w) : "archive_write_new");
                goto out;
        }
        r = format == IMAGE_SAVE_OCI_ARCHIVE ? save_oci(s, v, n, w, buf, err)
                                             : save_docker(s, v, n, w, buf, err);
        if (r == 0 && archive_write_close(w) != ARCHIVE_OK)
                r = cell_error_plain(err, EIO, "save: %s", archive_error_string(w));
out:
        save_images_free(v, n);
        return r;
}

/* ---- import ---- */

static int json_form(const char *args, char ***ret, bool *is_json, const char *change, cell_error_t *err)
{
        json_error_t jerr;
        json_t *j;
        char **v = NULL;

        *is_json = false;
        if (args[0] != '[')
                return 0;
        j = json_loads(args, 0, &jerr);
        if (!j || !json_is_array(j)) {
                json_decref(j);
                return 0; /* Docker treats a bad JSON array as the shell form */
        }
        v = calloc(json_array_size(j) + 1, sizeof(char *));
        for (size_t i = 0; v && i < json_array_size(j); i++) {
                const char *s = json_string_value(json_array_get(j, i));

                if (!s) {
                        json_decref(j);
                        strv_free(v);
                        return cell_error_plain(err, EINVAL, "change \"%s\": element %zu is not a string",
                                                change, i);
                }
                v[i] = strdup(s);
                if (!v[i]) {
                        strv_free(v);
                        v = NULL;
                }
        }
        json_decref(j);
        if (!v)
                return cell_error_set(err, ENOMEM, "change");
        *ret = v;
        *is_json = true;
        return 0;
}

/* Split on blanks, honouring "..." and '...' (LABEL, ENV, EXPOSE, VOLUME). */
static int split_words(const char *s, char ***ret, cell_error_t *err)
{
        char **v = calloc(1, sizeof(char *));
        _cleanup_free_ char *word = malloc(strlen(s) + 1);

        if (!v || !word) {
                free(v);
                return cell_error_set(err, ENOMEM, "change");
        }
        while (*s) {
                size_t n = 0;
                char q = 0;

                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                while (*s && (q || (*s != ' ' && *s != '\t'))) {
                        if (!q && (*s == '"' || *s == '\'')) {
                                q = *s++;
                                continue;
                        }
                        if (q && *s == q) {
                                q = 0;
                                s++;
                                continue;
                        }
                        if (*s == '\\' && s[1] && q != '\'')
                                s++;
                        word[n++] = *s++;
                }
                if (q) {
                        strv_free(v);
                        return cell_error_plain(err, EINVAL, "unterminated quote");
                }
                word[n] = '\0';
                if (strv_push(&v, word) < 0) {
                        strv_free(v);
                        return cell_error_set(err, ENOMEM, "change");
                }
        }
        *ret = v;
        return 0;
}

static int kv_set(image_kv_t **kv, size_t *n, const char *key, const char *value)
{
        image_kv_t *nv;
        size_t i = 0;

        while (i < *n && strcmp((*kv)[i].key, key) < 0)
                i++;
        if (i < *n && strcmp((*kv)[i].key, key) == 0) {
                char *v = strdup(value);

                if (!v)
                        return -ENOMEM;
                free((*kv)[i].value);
                (*kv)[i].value = v;
                return 0;
        }
        nv = realloc(*kv, (*n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        *kv = nv;
        memmove(&nv[i + 1], &nv[i], (*n - i) * sizeof(*nv));
        nv[i].key = strdup(key);
        nv[i].value = strdup(value);
        (*n)++;
        return nv[i].key && nv[i].value ? 0 : -ENOMEM;
}

static int strv_add_sorted_unique(char ***v, const char *s)
{
        for (size_t i = 0; *v && (*v)[i]; i++)
                if (strcmp((*v)[i], s) == 0)
                        return 0;
        if (strv_push(v, s) < 0)
                return -ENOMEM;
        /* small vectors: insertion sort of the new last element */
        for (size_t i = strv_length(*v) - 1; i > 0 && strcmp((*v)[i - 1], (*v)[i]) > 0; i--) {
                char *t = (*v)[i];

                (*v)[i] = (*v)[i - 1];
                (*v)[i - 1] = t;
        }
        return 0;
}

static bool port_valid(const char *p)
{
        const char *slash = strchr(p, '/');
        size_t digits = strspn(p, "0123456789");
        long n;
        _cleanup_free_ char *num = strndup(p, digits);

        if (!num || digits == 0 || str_to_long(num, 1, 65535, &n) < 0)
                return false;
        if (!slash)
                return p[digits] == '\0';
        return slash == p + digits &&
               (str_eq(slash + 1, "tcp") || str_eq(slash + 1, "udp") || str_eq(slash + 1, "sctp"));
}

int image_config_apply_change(image_run_config_t *rc, const char *change, cell_error_t *err)
{
        _cleanup_free_ char *word = NULL;
        _cleanup_strv_ char **argv = NULL;
        const char *args = change;
        bool is_json = false;
        size_t n;
        int r = 0;

        while (*args == ' ' || *args == '\t')
                args++;
        n = strcspn(args, " \t");
        word = strndup(args, n);
        if (!word)
                return cell_error_set(err, ENOMEM, "change");
        for (char *p = word; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        args += n;
        while (*args == ' ' || *args == '\t')
                args++;
        if (!*args)
                return cell_error_plain(err, EINVAL, "change \"%s\": %s needs an argument", change, word);

        if (str_eq(word, "CMD") || str_eq(word, "ENTRYPOINT")) {
                char ***dst = str_eq(word, "CMD") ? &rc->cmd : &rc->entrypoint;

                r = json_form(args, &argv, &is_json, change, err);
                if (r < 0)
                        return r;
                if (!is_json) {
                        argv = calloc(4, sizeof(char *));
                        if (!argv || !(argv[0] = strdup("/bin/sh")) || !(argv[1] = strdup("-c")) ||
                            !(argv[2] = strdup(args)))
                                return cell_error_set(err, ENOMEM, "change");
                }
                strv_free(*dst);
                *dst = steal_pointer(&argv);
                return 0;
        }
        if (str_eq(word, "USER") || str_eq(word, "WORKDIR") || str_eq(word, "STOPSIGNAL")) {
                char **dst = str_eq(word, "USER")      ? &rc->user
                             : str_eq(word, "WORKDIR") ? &rc->working_dir
                                                       : &rc->stop_signal;
                char *v = strdup(args);

                if (!v)
                        return cell_error_set(err, ENOMEM, "change");
                if (str_eq(word, "WORKDIR") && v[0] != '/') {
                        free(v);
                        return cell_error_plain(err, EINVAL,
                                                "change \"%s\": WORKDIR must be an absolute path", change);
                }
                free(*dst);
                *dst = v;
                return 0;
        }
        if (str_eq(word, "VOLUME")) {
                r = json_form(args, &argv, &is_json, change, err);
                if (r == 0 && !is_json)
                        r = split_words(args, &argv, err);
                for (size_t i = 0; r == 0 && argv[i]; i++)
                        if (strv_add_sorted_unique(&rc->volumes, argv[i]) < 0)
                                r = cell_error_set(err, ENOMEM, "change");
                return r < 0 ? cell_error_prefix(err, "change \"%s\"", change) : 0;
        }
        if (str_eq(word, "ENV") || str_eq(word, "LABEL") || str_eq(word, "EXPOSE")) {
                r = split_words(args, &argv, err);
                if (r < 0)
                        return cell_error_prefix(err, "change \"%s\"", change);
                /* ENV NAME VALUE... (the legacy form: one variable, the rest
                 * of the line its value) */
                if (str_eq(word, "ENV") && !strchr(argv[0], '=')) {
                        const char *value = args + strcspn(args, " \t");
                        _cleanup_free_ char *kv = NULL;

                        while (*value == ' ' || *value == '\t')
                                value++;
                        if (!*value)
                                return cell_error_plain(err, EINVAL, "change \"%s\": ENV needs NAME=VALUE",
                                                        change);
                        kv = str_printf("%s=%s", argv[0], value);
                        if (!kv || strv_set_env(&rc->env, kv) < 0)
                                return cell_error_set(err, ENOMEM, "change");
                        return 0;
                }
                for (size_t i = 0; argv[i]; i++) {
                        char *eq = strchr(argv[i], '=');

                        if (str_eq(word, "EXPOSE")) {
                                if (!port_valid(argv[i]))
                                        return cell_error_plain(
                                                err, EINVAL,
                                                "change \"%s\": invalid port \"%s\" (PORT[/tcp|udp|sctp])",
                                                change, argv[i]);
                                _cleanup_free_ char *p = strchr(argv[i], '/') ? strdup(argv[i])
                                                                              : str_printf("%s/tcp", argv[i]);
                                if (!p || strv_add_sorted_unique(&rc->exposed_ports, p) < 0)
                                        return cell_error_set(err, ENOMEM, "change");
                                continue;
                        }
                        if (!eq || eq == argv[i])
                                return cell_error_plain(err, EINVAL,
                                                        "change \"%s\": %s needs KEY=VALUE, not \"%s\"",
                                                        change, word, argv[i]);
                        if (str_eq(word, "ENV")) {
                                if (strv_set_env(&rc->env, argv[i]) < 0)
                                        return cell_error_set(err, ENOMEM, "change");
                        } else {
                                *eq = '\0';
                                if (kv_set(&rc->labels, &rc->n_labels, argv[i], eq + 1) < 0)
                                        return cell_error_set(err, ENOMEM, "change");
                        }
                }
                return 0;
        }
        return cell_error_plain(
                err, EINVAL,
                "change \"%s\": %s is not an instruction import can apply (CMD, ENTRYPOINT, ENV, "
                "EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)",
                change, word);
}

static char *created_now(void)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        time_t t = time(NULL);
        struct tm tm;
        char buf[32];
        long v;

        if (sde && *sde && str_to_long(sde, 0, 253402300799L, &v) == 0)
                t = (time_t)v;
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return strdup(buf);
}

/* Copy the decompressed tar on FD into a blob; its digest is the diffID. */
static int import_layer(image_store_t *s, int fd, char ret[IMAGE_DIGEST_STR_SIZE], int64_t *ret_size,
                        cell_error_t *err)
{
        _cleanup_archive_ struct archive *a = unz_open(fd, true, err);
        _cleanup_free_ char *buf = malloc(COPY_BUF);
        image_blob_writer_t *w = NULL;
        int64_t total = 0;
        int r;

        if (!a)
                return cell_error_prefix(err, "reading the tarball");
        if (!buf)
                return cell_error_set(err, ENOMEM, "import");
        r = image_store_blob_begin(s, &w, err);
        if (r < 0)
                return r;
        for (;;) {
                la_ssize_t k = archive_read_data(a, buf, COPY_BUF);

                if (k < 0) {
                        image_store_blob_abort(w);
                        return cell_error_plain(err, EIO, "reading the tarball: %s", archive_error_string(a));
                }
                if (k == 0)
                        break;
                /* A tar starts with a header whose magic is at offset 257. */
                if (total == 0 && (k < 263 || memcmp(buf + 257, "ustar", 5) != 0)) {
                        image_store_blob_abort(w);
                        return cell_error_plain(err, EINVAL, "the input is not a tar archive");
                }
                total += k;
                r = image_store_blob_write(w, buf, (size_t)k, err);
                if (r < 0) {
                        image_store_blob_abort(w);
                        return r;
                }
        }
        if (total == 0) {
                image_store_blob_abort(w);
                return cell_error_plain(err, EINVAL, "the tarball is empty");
        }
        *ret_size = total;
        return image_store_blob_commit(w, NULL, ret, err);
}

int image_import(image_store_t *s, int fd, const char *ref, char *const *changes, const char *message,
                 char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        image_config_t *c = NULL;
        image_platform_t host = {0};
        image_manifest_t m = {.kind = IMAGE_DOC_OCI_MANIFEST, .media_type_present = true};
        image_descriptor_t layer = {.media_type = IMAGE_MT_OCI_LAYER_TAR};
        _cleanup_free_ char *name = NULL, *cdata = NULL, *mdata = NULL;
        char mdigest[IMAGE_DIGEST_STR_SIZE];
        size_t clen = 0, mlen = 0;
        int r;

        if (ref) {
                r = image_ref_normalize(ref, &name, err);
                if (r < 0)
                        return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return cell_error_set(err, ENOMEM, "import");
        c->has_config = true;
        for (size_t i = 0; changes && changes[i]; i++) {
                r = image_config_apply_change(&c->config, changes[i], err);
                if (r < 0)
                        goto out;
        }
        r = image_platform_host(&host, err);
        if (r < 0)
                goto out;
        c->architecture = steal_pointer(&host.architecture);
        c->os = steal_pointer(&host.os);
        /* Docker names a variant for arm only. */
        if (str_has_prefix(c->architecture, "arm"))
                c->variant = steal_pointer(&host.variant);
        c->created = created_now();
        c->diff_ids = calloc(2, sizeof(char *));
        c->history = calloc(1, sizeof(*c->history));
        if (!c->created || !c->diff_ids || !c->history) {
                r = cell_error_set(err, ENOMEM, "import");
                goto out;
        }
        c->n_history = 1;
        c->history[0].created = strdup(c->created);
        c->history[0].comment = strdup(message ? message : "Imported from -");
        if (!c->history[0].created || !c->history[0].comment) {
                r = cell_error_set(err, ENOMEM, "import");
                goto out;
        }
        r = image_store_pin(s, err);
        if (r < 0)
                goto out;
        r = import_layer(s, fd, layer.digest, &layer.size, err);
        if (r == 0 && !(c->diff_ids[0] = strdup(layer.digest)))
                r = cell_error_set(err, ENOMEM, "import");
        c->n_diff_ids = 1;
        if (r == 0 && !(cdata = image_config_serialize(c, &clen, err)))
                r = -EINVAL;
        if (r == 0)
                r = image_store_blob_put(s, cdata, clen, NULL, m.config.digest, err);
        m.config.media_type = IMAGE_MT_OCI_CONFIG;
        m.config.size = (int64_t)clen;
        m.layers = &layer;
        m.n_layers = 1;
        if (r == 0 && !(mdata = image_manifest_serialize(&m, &mlen, err)))
                r = -EINVAL;
        if (r == 0)
                r = image_store_blob_put(s, mdata, mlen, NULL, mdigest, err);
        if (r == 0)
                r = name ? image_store_tag(s, name, image_media_type_string(IMAGE_MT_OCI_MANIFEST), mdigest,
                                           (int64_t)mlen, err)
                         : image_store_tag_id(s, m.config.digest,
                                              image_media_type_string(IMAGE_MT_OCI_MANIFEST), mdigest,
                                              (int64_t)mlen, err);
        image_store_unpin(s);
        if (r == 0)
                str_copy(ret_id, IMAGE_DIGEST_STR_SIZE, m.config.digest);
out:
        image_platform_free(&host);
        image_config_free(c);
        return r;
}
