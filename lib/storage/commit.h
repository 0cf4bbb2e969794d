/* cell: a layer tar from the changes of a writable layer (commit).
 *
 * storage_commit_layer() turns an overlay upper directory into the layer an
 * image carries: every entry of the upper directory (files with their
 * contents, directories, symlinks, hardlinks, devices, fifos, xattrs), a
 * ".wh.NAME" for every overlay whiteout and a ".wh..wh..opq" in every opaque
 * directory. The tar is deterministic: entries sorted by path (bytewise),
 * numeric owners only, no atime/ctime, whole-second mtimes clamped to
 * SOURCE_DATE_EPOCH when one is given; the same upper directory gives the same
 * bytes. See docs/design/images.md ("Commit"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

typedef struct storage_commit_opts {
        /* >= 0: every mtime later than this is written as this (and the
         * gzip stream is the same whenever the tar is); < 0: mtimes as they
         * are (whole seconds). Use STORAGE_COMMIT_OPTS_INIT for the default. */
        int64_t source_date_epoch;
        /* Write a gzip stream (no name, no mtime in its header) instead of
         * the plain tar. */
        bool gzip;
} storage_commit_opts_t;

#define STORAGE_COMMIT_OPTS_INIT                                                                             \
        {                                                                                                    \
                .source_date_epoch = -1, .gzip = false                                                       \
        }

typedef struct storage_commit_result {
        char diff_id[IMAGE_DIGEST_STR_SIZE]; /* sha256 of the uncompressed tar */
        char digest[IMAGE_DIGEST_STR_SIZE];  /* sha256 of the bytes written (= diff_id without gzip) */
        uint64_t size;                       /* bytes written to out_fd */
        uint64_t tar_size;                   /* bytes of the uncompressed tar */
        uint64_t entries;                    /* tar entries, whiteouts included */
        uint64_t whiteouts;                  /* ".wh." entries (deletions and opaque markers) */
} storage_commit_result_t;

/* Write the changes of upper (an overlay upper directory) as a layer tar to
 * out_fd. layers (lowest first, as for snapshot_diff) are the layers below
 * it: a whiteout that hides nothing in them is left out. Every file is read
 * through an fd opened beneath upper that never follows a symlink; an entry
 * that changes while it is read fails the commit (EAGAIN). opts may be NULL
 * (STORAGE_COMMIT_OPTS_INIT); ret may be NULL. On failure out_fd may hold
 * part of a tar. */
int storage_commit_layer(const char *upper, const char *const *layers, size_t n_layers, int out_fd,
                         const storage_commit_opts_t *opts, storage_commit_result_t *ret, cell_error_t *err);

/* Parse a SOURCE_DATE_EPOCH value (decimal seconds, >= 0). NULL or "" is -1
 * (not set). */
int storage_parse_source_date_epoch(const char *s, int64_t *ret, cell_error_t *err);
