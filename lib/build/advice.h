/* cell: advice on what makes an image unsafe — warnings `cell build` gives
 * by default, each with its Dockerfile line (`--check` makes them errors):
 *   - the base image is not pinned: no tag other than latest, no digest;
 *   - a secret-looking value passed in ARG or ENV (it stays in the image's
 *     config or history: RUN --mount=type=secret is the way);
 *   - ADD where COPY does (a local source that is not an archive);
 *   - the final image runs as root (no USER, or USER root/0);
 *   - setuid or setgid files in the final image.
 * The first three are read off the instructions as they run; the last two
 * off the final image (its root file system mounted read-only and walked;
 * the result is kept with the build cache under the image's id, so a cached
 * rebuild walks nothing). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "dockerfile.h"
#include "error.h"
#include "layers.h"
#include "store.h"

typedef struct build_advice {
        char **lines; /* "Dockerfile:3: warning: ..." */
} build_advice_t;

void build_advice_clear(build_advice_t *a);

/* FROM ref (expanded; not scratch, not a stage). */
void build_advice_from(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in,
                       const char *ref);
/* ARG or ENV name=value (value expanded; NULL when none). */
void build_advice_kv(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in,
                     const char *name, const char *value);
/* ADD with these sources (paths matched in the context; NULL-terminated),
 * rootfd the context's root. */
void build_advice_add(build_advice_t *a, const dockerfile_t *df, const dockerfile_instr_t *in, int rootfd,
                      char *const *sources);
/* The final image: its user (user_line: the line of the USER that set it,
 * or of the final FROM) and its setuid/setgid files. cache_dir keeps the
 * walk's result by image id. */
int build_advice_final(build_advice_t *a, const dockerfile_t *df, int user_line, storage_t *st,
                       image_store_t *store, const storage_image_t *img, const char *cache_dir,
                       const char *tmp_dir, cell_error_t *err);
