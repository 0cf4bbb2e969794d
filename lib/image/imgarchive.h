/* cell: reading image archives (named imgarchive.h because archive.h is
 * libarchive's): a docker-archive (what `docker save` and skopeo's
 * docker-archive: write: manifest.json [{Config, RepoTags, Layers}],
 * repositories, <id>.json, layer tars, in newer Docker under blobs/sha256/)
 * and an OCI layout tar (oci-archive: oci-layout, index.json, blobs/sha256/).
 *
 * One pass over a file descriptor, compressed or not (gzip, zstd, xz,
 * bzip2: libarchive detects it), since the input may be a pipe. Every
 * regular member is handed to a callback as it streams by, so that the store
 * (another module) can ingest it without a temporary copy; the small JSON
 * members are also kept here and resolved, at the end, into a list of images
 * with their config, manifest and layer members. This module stores nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "manifest.h"

typedef enum image_archive_format {
        IMAGE_ARCHIVE_DOCKER, /* manifest.json */
        IMAGE_ARCHIVE_OCI,    /* oci-layout + index.json */
} image_archive_format_t;

/* Reads the member the callback was called for: bytes, 0 at its end, -1
 * with err filled on a read error. */
typedef ssize_t (*image_archive_read_fn)(void *read_ctx, void *buf, size_t n, cell_error_t *err);

/* Called once per regular member, in archive order. PATH is normalised (no
 * "./"); DIGEST is "sha256:<hex>" when the path names one (blobs/sha256/<hex>,
 * or <hex>.json / <hex>.tar as docker-archive writers name configs and
 * layers), else NULL: it is what the member should hash to, not a promise,
 * so the callback verifies it. The callback may read all, part or none of
 * the member. A negative return stops the read with that error. */
typedef int (*image_archive_member_fn)(const char *path, const char *digest, int64_t size,
                                       image_archive_read_fn read, void *read_ctx, void *userdata,
                                       cell_error_t *err);

typedef struct image_archive_layer {
        char *path; /* the member holding the layer, symlinks resolved */
        int64_t size;
        image_media_type_t media_type; /* from the manifest; docker-archive layers are
                                        * IMAGE_MT_OCI_LAYER_TAR (or compressed: the store
                                        * detects it from the bytes) */
} image_archive_layer_t;

typedef struct image_archive_image {
        char **repo_tags;                         /* names given in the archive; never NULL, may be empty */
        char *config_path;                        /* the member holding the config */
        char config_digest[IMAGE_DIGEST_LEN + 1]; /* sha256 of its bytes: the image id */
        image_config_t *config;
        char *manifest_path;        /* OCI: the member holding the manifest; else NULL */
        image_manifest_t *manifest; /* OCI: the manifest; else NULL */
        image_archive_layer_t *layers;
        size_t n_layers;
} image_archive_image_t;

typedef struct image_archive {
        image_archive_format_t format;
        image_archive_image_t *images;
        size_t n_images;
} image_archive_t;

/* Read the archive on FD (not closed). CB may be NULL (enumeration only).
 * For an index inside an OCI layout that lists several platforms, the
 * manifest for PLATFORM (NULL: this machine's) is taken. Errors name the
 * member: "archive: manifest.json[0].Layers[1]: no member
 * \"abc.tar\" in the archive". */
image_archive_t *image_archive_read(int fd, image_archive_member_fn cb, void *userdata,
                                    const image_platform_t *platform, cell_error_t *err);
void image_archive_free(image_archive_t *a);
