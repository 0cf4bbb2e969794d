/* cell: the build context: the directory (or the tar stream given as
 * `cell build -`) whose files COPY and ADD read, with its .dockerignore.
 *
 * Everything read from the context is resolved beneath its root with
 * openat2(RESOLVE_IN_ROOT): a symlink in the context, absolute or made of
 * "..", never leads outside it. A tar context is unpacked by the layer
 * extractor (lib/image/layer.h), which refuses ".." and never writes
 * through a symlink, into a fresh temporary directory that the context
 * owns and removes. */
#pragma once

#include <stddef.h>

#include "error.h"
#include "ignore.h"

typedef struct build_context build_context_t;

/* A directory context; DIR/.dockerignore is read when present. */
int build_context_open(const char *dir, build_context_t **ret, cell_error_t *err);

/* A context given as a tar stream (plain, gzip or zstd) on fd: unpacked into
 * a new directory under tmp_parent (which must exist), removed again by
 * build_context_free. */
int build_context_from_tar(int fd, const char *tmp_parent, build_context_t **ret, cell_error_t *err);

void build_context_free(build_context_t *c);

/* Docker's Dockerfile-specific ignore file: when host_path (for example
 * "dir/Dockerfile.dockerignore", next to the Dockerfile given with -f)
 * exists, its patterns replace the context's .dockerignore. Returns 1 when
 * it was used, 0 when there is no such file. */
int build_context_use_ignore_file(build_context_t *c, const char *host_path, cell_error_t *err);

/* An O_PATH|O_DIRECTORY fd of the context's root (owned by the context). */
int build_context_rootfd(const build_context_t *c);

/* The context's .dockerignore, or NULL when it has none. */
const dockerignore_t *build_context_ignore(const build_context_t *c);

/* The context's root directory on the host (the temporary one for a tar). */
const char *build_context_dir(const build_context_t *c);

/* A regular file of the context (the Dockerfile), resolved inside the root;
 * at most 64 MiB. *ret is NUL-terminated. */
int build_context_read_file(build_context_t *c, const char *relpath, char **ret, size_t *ret_len,
                            cell_error_t *err);

static inline void build_context_freep(build_context_t **c)
{
        build_context_free(*c);
}
#define _cleanup_build_context_ __attribute__((cleanup(build_context_freep)))
