/* cell: `cell build` — a Dockerfile and a context into an image (layer 4).
 *
 * Parse (dockerfile.h), plan (the stages the target needs, in order), then
 * execute one instruction at a time. Every instruction makes an image in
 * the store, known by its id, from its parent's: metadata instructions
 * (ENV, CMD, LABEL...) a new config over the same layers; RUN a container
 * made from the parent image, run in the foreground, whose writable layer
 * becomes one more layer; COPY and ADD a container that is never started,
 * into whose root the files are copied (copy.h), then committed the same
 * way. A step's cache key is its parent image, the instruction as expanded,
 * the build args in scope and, for COPY/ADD, the content of what it reads;
 * a key seen before gives its image without running anything. See
 * docs/design/build.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "container.h"
#include "digest.h"
#include "error.h"

typedef struct build_opts {
        /* The context: a directory, or (context_dir NULL) a tar stream. */
        const char *context_dir;
        int context_tar_fd;
        /* The Dockerfile: its bytes when the caller has them (-f -), else
         * the path (absolute, or relative to the current directory as
         * docker's -f), else Dockerfile or Containerfile in the context. */
        const char *dockerfile_data;
        size_t dockerfile_len;
        const char *dockerfile_path;
        char *const *tags;       /* references, as given; may be NULL */
        char *const *build_args; /* KEY=VALUE, or KEY (its value from the environment) */
        char *const *labels;     /* KEY=VALUE, set on the final image */
        const char *target;      /* a stage name; NULL: the last stage */
        bool no_cache;
        bool check;                /* the advice (advice.h) fails the build */
        bool quiet;                /* no step output, no RUN output */
        const char *network;       /* RUN's network: NULL/"default"/"host" (the host's), "none" */
        char *const *secrets;      /* --secret id=ID,src=FILE: for RUN --mount=type=secret */
        int64_t source_date_epoch; /* >= 0: created times and layer mtimes clamped to it */
        FILE *out;                 /* progress; NULL: stdout */
} build_opts_t;

int build_run(engine_t *e, const build_opts_t *o, char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);
