/* cell: `cell commit` — a new image from a container: the container's image
 * plus one layer holding the changes of its writable layer (made by
 * storage_commit_layer, deterministic), with the container's Config (Cmd,
 * Entrypoint, Env, WorkingDir, User) and Dockerfile-style changes on top.
 * See docs/design/engine.md ("commit"). */
#pragma once

#include <stdbool.h>

#include "container.h"
#include "digest.h"
#include "error.h"

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
