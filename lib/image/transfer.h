/* cell: moving images in and out of the store as files: load (a
 * docker-archive or an OCI layout tar), save (docker-archive or oci-archive)
 * and import (a root file system tarball becomes a one-layer image).
 * See docs/design/images.md ("Load, save, import"). */
#pragma once

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "manifest.h"
#include "store.h"

typedef enum image_save_format {
        IMAGE_SAVE_DOCKER_ARCHIVE, /* manifest.json, <hex>.json, <hex>.tar, repositories */
        IMAGE_SAVE_OCI_ARCHIVE,    /* oci-layout, index.json, blobs/sha256/ */
} image_save_format_t;

/* One image a load stored: its id (the config digest) and the names it was
 * tagged with (normalised; empty when it is kept by id only). */
typedef struct image_loaded {
        char id[IMAGE_DIGEST_STR_SIZE];
        char **names; /* never NULL */
} image_loaded_t;

void image_loaded_free(image_loaded_t *v, size_t n);

/* Where a load sends a copy of each member that starts like a layer (a tar,
 * gzip or zstd stream) while it stores it, so that the layer is unpacked from
 * the same read rather than from the stored blob afterwards (lib/storage's
 * staging is the one sink). Every callback may be NULL. */
typedef struct image_load_sink {
        void *ctx;
        /* A layer-like member begins: an fd to copy its bytes to, or -1 for
         * none. Declining is never an error: the layer is unpacked later. */
        int (*begin)(void *ctx, const char *path);
        /* The member's bytes are all written to FD and it is stored as the
         * blob DIGEST, or its storing failed (DIGEST is NULL). The sink
         * closes FD. A copy that stopped short (EPIPE) is reported the same
         * way: the sink knows what it got. */
        void (*end)(void *ctx, int fd, const char *digest);
        /* Every blob of an image is stored and verified, and nothing is
         * tagged yet: a failure here fails the load before any name points
         * at the image. */
        int (*image)(void *ctx, const image_manifest_t *m, const image_config_t *c, cell_error_t *err);
} image_load_sink_t;

/* Read an archive from FD (a pipe is fine: one pass) into the store. Every
 * blob is written through the store's verifying writer; each layer's diffID
 * (the sha256 of its uncompressed tar) must equal the config's
 * rootfs.diff_ids entry. A docker-archive image gets an OCI manifest made
 * here. Names are tagged only after every blob of every image is stored, so
 * a load that dies leaves no name pointing at a partial image. TAG (may be
 * NULL) names the image instead of the archive's names (the archive must hold
 * one image then). Images without a name are kept under their id. */
int image_load(image_store_t *s, int fd, const char *tag, image_loaded_t **ret, size_t *ret_n,
               cell_error_t *err);

/* image_load with a sink (may be NULL) that gets each layer as it streams by. */
int image_load_sink(image_store_t *s, int fd, const char *tag, const image_load_sink_t *sink,
                    image_loaded_t **ret, size_t *ret_n, cell_error_t *err);

/* Write the images named by REFS (references, or image ids / unique id
 * prefixes of at least 12 hex digits) to FD as one archive. Deterministic:
 * the same images give the same bytes (fixed mtimes, owners, order). */
int image_save(image_store_t *s, char *const *refs, size_t n, image_save_format_t format, int fd,
               cell_error_t *err);

/* Import a root file system tar (plain, gzip, zstd, xz, bzip2) from FD as a
 * one-layer image, stored uncompressed (its digest is its diffID). CHANGES
 * are Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER,
 * VOLUME, WORKDIR, STOPSIGNAL) applied to the config; MESSAGE (NULL: "Imported
 * from -") is the history comment; REF (may be NULL) names the image. The
 * image id (config digest) goes to RET_ID. */
int image_import(image_store_t *s, int fd, const char *ref, char *const *changes, const char *message,
                 char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);

/* Apply one Dockerfile-style change to a run config; errors name it. */
int image_config_apply_change(image_run_config_t *rc, const char *change, cell_error_t *err);

/* Resolve a reference or an image id to the store's entry. */
int image_store_resolve(image_store_t *s, const char *name, image_store_entry_t *ret, cell_error_t *err);
