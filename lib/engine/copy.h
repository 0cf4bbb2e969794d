/* cell: `cell cp` — files between a container's root file system and the
 * host, with Docker's path rules.
 *
 * Every path inside the container is resolved beneath the container's root
 * (an fd of STORAGE/containers/<id>/merged) with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): a symlink in the container, absolute or made of
 * "..", is followed as the container itself would see it and never out of
 * its root. Below the first resolved directory every entry is read and
 * written with *at() calls relative to directory fds, never following a
 * symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW): an entry is replaced, not
 * written through. See docs/design/engine.md ("cp").
 *
 * Docker's rules (SRC, DEST):
 *   SRC a file:  DEST missing -> written as DEST (its parent must exist;
 *                a DEST ending in '/' must be an existing directory);
 *                DEST a file -> overwritten; DEST a directory -> DEST/base(SRC)
 *   SRC a dir:   DEST missing -> made, SRC's content copied into it;
 *                DEST a file -> error; DEST a directory -> DEST/base(SRC),
 *                or SRC's content into DEST when SRC ends in "/."
 *   SRC ending in '/' must be a directory.
 * Owners: with archive (-a) the source's uid/gid; otherwise root (0:0) in
 * the container and the caller's uid/gid on the host. Modes and times are
 * kept. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

typedef struct engine_copy_opts {
        bool archive;     /* -a: keep the source's uid and gid */
        bool follow;      /* -L: follow SRC when it is a symlink */
        const char *name; /* the container's name, for messages */
} engine_copy_opts_t;

/* Docker's reading of a cp argument: "CONTAINER:PATH" unless the argument
 * is an absolute path, has no ':' or its part before ':' starts with '.'.
 * Returns true (and the two halves, newly allocated) for a container path. */
bool engine_cp_split(const char *arg, char **ret_container, char **ret_path);

/* Container -> host. src is a path in the container (rootfd), dest a host
 * path. */
int engine_copy_out(int rootfd, const char *src, const char *dest, const engine_copy_opts_t *o,
                    cell_error_t *err);

/* Container -> a tar stream on out_fd (`cell cp C:SRC -`): entries named
 * base(SRC)/..., owners and modes as they are in the container. */
int engine_copy_out_tar(int rootfd, const char *src, int out_fd, const engine_copy_opts_t *o,
                        cell_error_t *err);

/* Host -> container. src is a host path, dest a path in the container. */
int engine_copy_in(int rootfd, const char *src, const char *dest, const engine_copy_opts_t *o,
                   cell_error_t *err);

/* A tar stream on in_fd -> the existing directory dest in the container
 * (`cell cp - C:DEST`). Entries with ".." are refused; a symlink of the
 * archive is never followed out of dest. */
int engine_copy_in_tar(int rootfd, int in_fd, const char *dest, const engine_copy_opts_t *o,
                       cell_error_t *err);
