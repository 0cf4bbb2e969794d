/* cell: the local image store, an OCI image layout on disk.
 *
 *   ROOT/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   ROOT/index.json              the image index: one manifest descriptor per
 *                                reference, named by the annotation
 *                                org.opencontainers.image.ref.name
 *   ROOT/blobs/sha256/<hex>      content-addressed blobs
 *   ROOT/blobs/.tmp-<pid>-<rnd>  blobs being written (never read as blobs)
 *   ROOT/.cell-index.lock        flock: writers of index.json serialise here
 *   ROOT/.cell-gc.lock           flock: shared by pins, exclusive for gc
 *
 * The layout is the one skopeo (oci:ROOT:REF) and umoci (--layout ROOT)
 * read. Blobs are written to a temporary file, hashed on the way, fsynced,
 * checked against the expected digest and renamed into place, so a reader
 * (or a writer killed with SIGKILL) never leaves a half blob under its name.
 * See docs/design/images.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

#define IMAGE_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
/* An image kept without a name (loaded or imported untagged) is an index
 * entry with this annotation holding its image id (the config digest). */
#define IMAGE_ANNOTATION_IMAGE_ID "io.cell.image.id"
/* On an unnamed entry kept for `cell build` (a step's image, its cache):
 * `images` shows it only with -a, as docker hides intermediate images. */
#define IMAGE_ANNOTATION_INTERMEDIATE "io.cell.build.intermediate"

typedef struct image_store image_store_t;
typedef struct image_blob_writer image_blob_writer_t;

/* Open the store at root, creating the layout when it is missing, and
 * remove temporary files left by writers that died. */
int image_store_open(const char *root, image_store_t **ret, cell_error_t *err);
void image_store_close(image_store_t *s);
const char *image_store_root(const image_store_t *s);

static inline void image_store_closep(image_store_t **s)
{
        image_store_close(*s);
}
#define _cleanup_image_store_ __attribute__((cleanup(image_store_closep)))

/* Blobs. begin → write* → commit (or abort). commit verifies the content
 * against expected when it is not NULL (a mismatch is an error and nothing
 * enters the store), stores the digest in ret_digest when that is not NULL,
 * and frees the writer whatever the outcome; abort frees it too. */
int image_store_blob_begin(image_store_t *s, image_blob_writer_t **ret, cell_error_t *err);
int image_store_blob_write(image_blob_writer_t *w, const void *data, size_t len, cell_error_t *err);
int image_store_blob_commit(image_blob_writer_t *w, const char *expected,
                            char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);
void image_store_blob_abort(image_blob_writer_t *w);
/* Instead of aborting: keep what was written so far as ROOT/partial/<hex>
 * of digest, for a later download to resume from (the writer is freed). */
void image_store_blob_keep_partial(image_blob_writer_t *w, const char *digest);
/* Begin a blob whose download stopped before: what was kept is written
 * (and hashed) first and removed from partial/; *ret_offset gets its size
 * (0 when nothing was kept). */
int image_store_blob_begin_resume(image_store_t *s, const char *digest, image_blob_writer_t **ret,
                                  uint64_t *ret_offset, cell_error_t *err);
/* The same in one call, for content already in memory (manifests, configs). */
int image_store_blob_put(image_store_t *s, const void *data, size_t len, const char *expected,
                         char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);

bool image_store_blob_exists(image_store_t *s, const char *digest);
/* A read-only fd of the blob; -ENOENT when it is not in the store. */
int image_store_blob_open(image_store_t *s, const char *digest, cell_error_t *err);
int image_store_blob_size(image_store_t *s, const char *digest, uint64_t *ret, cell_error_t *err);
/* "ROOT/blobs/sha256/<hex>", newly allocated. */
int image_store_blob_path(image_store_t *s, const char *digest, char **ret, cell_error_t *err);
/* Read a small blob (at most max bytes; 0 = 4 MiB) and verify its digest. */
int image_store_blob_read(image_store_t *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                          cell_error_t *err);

/* Pins hold garbage collection off while an image is being written (its
 * blobs are unreferenced until it is tagged). Nested pins count. */
int image_store_pin(image_store_t *s, cell_error_t *err);
void image_store_unpin(image_store_t *s);

/* index.json */
typedef struct image_store_entry {
        char *ref;        /* normalised reference, or NULL for an entry without a name */
        char *image_id;   /* IMAGE_ANNOTATION_IMAGE_ID of an unnamed entry, else NULL */
        char *media_type; /* of the manifest or index it points at */
        char *digest;
        int64_t size;
        bool intermediate; /* IMAGE_ANNOTATION_INTERMEDIATE */
} image_store_entry_t;

/* Point ref (normalised first: "debian" is docker.io/library/debian:latest)
 * at a manifest or index blob that is already in the store, replacing the
 * entry that had the same name. */
int image_store_tag(image_store_t *s, const char *ref, const char *media_type, const char *digest,
                    int64_t size, cell_error_t *err);
/* Keep an image that has no name: an entry without a ref name, annotated
 * with IMAGE_ANNOTATION_IMAGE_ID = image_id (replacing the entry that had the
 * same id). */
int image_store_tag_id(image_store_t *s, const char *image_id, const char *media_type, const char *digest,
                       int64_t size, cell_error_t *err);
/* The same, marked as a build's intermediate image. */
int image_store_tag_intermediate(image_store_t *s, const char *image_id, const char *media_type,
                                 const char *digest, int64_t size, cell_error_t *err);
/* Remove ref's entry (its blobs stay until gc); -ENOENT when there is none. */
int image_store_untag(image_store_t *s, const char *ref, cell_error_t *err);
/* Remove the entries without a name (written by other tools) that point at
 * digest; -ENOENT when there is none. */
int image_store_untag_unnamed(image_store_t *s, const char *digest, cell_error_t *err);
/* -ENOENT when ref has no entry. */
int image_store_lookup(image_store_t *s, const char *ref, image_store_entry_t *ret, cell_error_t *err);
int image_store_list(image_store_t *s, image_store_entry_t **ret, size_t *ret_n, cell_error_t *err);
void image_store_entry_clear(image_store_entry_t *e);
void image_store_entries_free(image_store_entry_t *v, size_t n);

/* Remove every blob that no index entry reaches (through manifests and
 * indexes), and temporary files of dead writers. -EBUSY while a pin is held
 * (by anyone). */
int image_store_gc(image_store_t *s, uint64_t *ret_removed, uint64_t *ret_bytes, cell_error_t *err);

/* Verify every blob's digest and that every index entry's manifest, config
 * and layers exist (children of an index may be absent: a store may hold one
 * platform of a multi-platform image). Returns the number of problems found
 * (0 = clean) with one message each in *ret_problems (when not NULL), or a
 * negative error. With repair, corrupt blobs and dead writers' temporary
 * files are removed and broken index entries are dropped. */
int image_store_check(image_store_t *s, bool repair, char ***ret_problems, cell_error_t *err);
