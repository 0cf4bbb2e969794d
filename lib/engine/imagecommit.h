/* cell: `cell commit` — a new image from a container: the container's image
 * plus one layer holding the changes of its writable layer (made by
 * storage_commit_layer, deterministic), with the container's Config (Cmd,
 * Entrypoint, Env, WorkingDir, User) and Dockerfile-style changes on top.
 * See docs/design/engine.md ("commit"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "container.h"
#include "digest.h"
#include "error.h"
#include "manifest.h"
#include "config.h"
#include "store.h"

typedef struct engine_commit_req {
        const char *ref;      /* REPO[:TAG]; NULL: an image without a name */
        const char *comment;  /* -m */
        const char *author;   /* -a */
        char *const *changes; /* -c, NULL-terminated; may be NULL */
        bool pause;           /* freeze a running container while its layer is read */
} engine_commit_req_t;

/* ret_id gets the new image's id ("sha256:<hex>", the config digest). */
int engine_commit(engine_t *e, const char *id, const engine_commit_req_t *req,
                  char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);

/* The building blocks, for `cell build` too. */

/* The container's writable layer as a layer blob in the store (plain tar,
 * deterministic; mtimes clamped to source_date_epoch when >= 0): layer gets
 * its descriptor, diff_id the tar's digest. */
int engine_commit_store_layer(engine_t *e, image_store_t *store, const char *id, int64_t source_date_epoch,
                              image_descriptor_t *layer, char diff_id[IMAGE_DIGEST_STR_SIZE],
                              cell_error_t *err);

/* An image of config c over base's layers (base may be NULL: none) plus
 * layer (NULL: no new layer), stored and known by its id, and tagged with
 * names (normalized references, NULL-terminated; may be NULL); intermediate
 * marks its unnamed entry as a build step's (hidden by `images`). The caller
 * has made c's diff_ids and history match. */
int engine_image_write(image_store_t *store, image_config_t *c, const image_manifest_t *base,
                       const image_descriptor_t *layer, char *const *names, bool intermediate,
                       char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);
