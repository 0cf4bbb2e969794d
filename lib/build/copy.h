/* cell: the files of COPY and ADD, with Docker's rules.
 *
 * Sources are read from a root: the build context (with its .dockerignore)
 * or another stage's or image's root file system (COPY --from, no ignore
 * file). Source paths are relative to that root (a leading '/' is the
 * root), cleaned, and never leave it: ".." stops at the root and symlinks
 * are resolved inside it (openat2 RESOLVE_IN_ROOT). Excluded paths are
 * invisible: they match nothing and are neither copied nor hashed.
 *
 * The destination is resolved inside the image's root (dst_rootfd) the same
 * way: a symlink in the image such as /etc -> /tmp/x or -> ../../.. leads to
 * a place inside that root, never outside it. Below the resolved
 * directories every entry is made with *at() calls on directory fds and
 * never followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW): an existing entry is
 * replaced, not written through. See docs/design/build.md ("COPY and ADD"). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"
#include "ignore.h"

/* The matches of one COPY/ADD source: a path, or a pattern with * ? [...]
 * in any element (Go's filepath.Match per element), such as "src/[ab]?.c".
 * *ret_paths is a NULL-terminated vector of cleaned paths relative to the
 * root ("." for the root itself), sorted. No match is an error naming the
 * source as BuildKit does: `failed to compute cache key: failed to
 * calculate checksum of ref: "/x": not found`. ig may be NULL. */
int build_sources_match(int rootfd, const dockerignore_t *ig, const char *pattern, char ***ret_paths,
                        cell_error_t *err);

/* A content key for the build cache ("sha256:<hex>") over everything below
 * paths (as build_sources_match returns them), in sorted order: for every
 * file, directory, symlink or special file its path, type, permission bits,
 * size, symlink target, device number and content. Owners and times are
 * not part of it (Docker's cache ignores them; ownership comes from
 * --chown). A top-level symlink is followed inside the root, as the copy
 * follows it. */
int build_sources_hash(int rootfd, const dockerignore_t *ig, char *const *paths,
                       char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);

typedef struct build_copy_opts {
        bool have_chown; /* --chown: uid/gid for every entry copied and every directory made */
        uid_t uid;
        gid_t gid;
        bool have_chmod; /* --chmod: mode of every file and directory copied */
        mode_t chmod;
        /* ADD: a local source that is a tar archive (plain, gzip, bzip2, xz,
         * zstd; recognised by its content, not its name) is unpacked into
         * dest instead of copied. Anything else is copied as a file. */
        bool add;
        const char *workdir; /* a relative dest is relative to it (NULL: "/") */
        const char *tmp_dir; /* ADD: where archives are unpacked first (NULL: /var/tmp) */
} build_copy_opts_t;

/* Copy paths (from build_sources_match, relative to src_rootfd) to dest in
 * dst_rootfd, as COPY/ADD do:
 *   - a directory source copies its contents, not the directory itself;
 *   - dest ending in '/', several sources, or an existing directory at dest:
 *     dest is a directory (made if missing), a file goes in as dest/NAME;
 *     otherwise dest is the file's new name;
 *   - missing parents are made 0755, owned 0:0 (or --chown);
 *   - files keep their permission bits and times; owners become 0:0 unless
 *     --chown; --chmod sets the mode of files and directories copied;
 *   - symlinks are copied as symlinks; a top-level source that is a symlink
 *     is followed inside the source root; hardlinks become separate files;
 *     devices, fifos and sockets are made as they are.
 * o may be NULL (COPY, no flags). */
int build_copy(int src_rootfd, const dockerignore_t *ig, char *const *paths, int dst_rootfd, const char *dest,
               const build_copy_opts_t *o, cell_error_t *err);
