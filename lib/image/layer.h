/* cell: applying an image layer (a tar stream) to a directory.
 *
 * A layer comes from a registry or an archive somebody else made: every
 * header in it is hostile until proven otherwise. layer_apply() writes the
 * entries under a directory fd and nothing else: every parent is resolved
 * inside that directory with openat2(RESOLVE_IN_ROOT), every final component
 * is made with an *at() call on that parent and is never followed, ".." is
 * refused and absolute names are taken relative to the directory. See
 * docs/design/images.md ("Layers") for the rules and the reasons. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* One range of an id mapping: ids [container_id, container_id + size) of the
 * layer become [host_id, host_id + size) on disk. */
typedef struct layer_id_map {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
} layer_id_map_t;

typedef struct layer_apply_opts {
        /* Flattening: a ".wh.NAME" deletes NAME and ".wh..wh..opq" empties its
         * directory of what lower layers put there, instead of making overlay
         * whiteouts (a 0:0 character device, an opaque xattr). */
        bool apply_whiteouts_directly;
        /* Skip character and block devices that cannot be made (EPERM, as in a
         * user namespace) instead of failing; they are counted in the result. */
        bool skip_devices;
        /* Mark opaque directories with user.overlay.opaque (for overlay mounts
         * with the userxattr option, as rootless overlay needs) instead of
         * trusted.overlay.opaque. */
        bool userxattr;
        /* Refuse a layer whose uncompressed stream is longer than this many
         * bytes (0: no limit), against decompression bombs. */
        uint64_t max_size;
        /* Leave ownership as the caller's (no chown), for rootless unpacking. */
        bool no_chown;
        /* Optional id mappings (not used when no_chown); an id of the layer
         * outside every range is an error. */
        const layer_id_map_t *uid_map;
        size_t n_uid_map;
        const layer_id_map_t *gid_map;
        size_t n_gid_map;
} layer_apply_opts_t;

#define LAYER_DIGEST_MAX sizeof("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

typedef struct layer_apply_result {
        char diff_id[LAYER_DIGEST_MAX]; /* "sha256:<hex>" of the uncompressed tar stream */
        uint64_t tar_size;              /* bytes of the uncompressed tar stream */
        uint64_t unpacked_size;         /* sum of the sizes of the regular files written */
        uint64_t entries;               /* tar entries read */
        uint64_t whiteouts;             /* whiteouts and opaque markers applied */
        uint64_t skipped_devices;       /* devices skipped (skip_devices) */
} layer_apply_result_t;

/* Read a layer from tar_fd (gzip, zstd or uncompressed tar, ustar, pax or GNU
 * tar) and apply it under dirfd. On failure the directory may hold part of
 * the layer (the caller unpacks into a fresh directory and removes it), but
 * nothing outside it was touched. opts may be NULL (defaults: overlay
 * whiteouts, devices required, ownership as in the layer). ret may be NULL. */
int layer_apply(int dirfd, int tar_fd, const layer_apply_opts_t *opts, layer_apply_result_t *ret,
                cell_error_t *err);
