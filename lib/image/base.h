/* cell: base images made on this machine, since no public registry is
 * reachable from where cell is built and tested.
 *
 *   busybox  one layer from the host's static busybox: bin/busybox, a
 *            symlink per applet, a minimal /etc, the usual empty
 *            directories. Written deterministically (sorted entries, uid and
 *            gid 0, mtime SOURCE_DATE_EPOCH or 0, an uncompressed tar), so
 *            the same busybox gives the same image id every time.
 *   debian   one layer from an mmdebstrap --variant=minbase tarball, which
 *            is cached (key: suite, mirror, day) because making it takes a
 *            minute and the network.
 *
 * Both run a host program (busybox --list, mmdebstrap): a tool of the host,
 * never a container. See docs/design/images.md ("Base images"). */
#pragma once

#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "store.h"

#define IMAGE_BASE_BUSYBOX_REF   "localhost/busybox:latest"
#define IMAGE_BASE_DEBIAN_REF    "localhost/debian:latest"
#define IMAGE_BASE_DEBIAN_SUITE  "bookworm"
#define IMAGE_BASE_DEBIAN_MIRROR "http://deb.debian.org/debian"
#define IMAGE_BASE_DEBIAN_CACHE  "/var/tmp/cell-base-cache"

typedef struct image_base_result {
        char image_id[IMAGE_DIGEST_STR_SIZE];        /* the config digest */
        char manifest_digest[IMAGE_DIGEST_STR_SIZE]; /* what the index entry names */
        char layer_digest[IMAGE_DIGEST_STR_SIZE];    /* uncompressed: also the diff id */
        uint64_t layer_size;
        bool from_cache; /* debian: the tarball was already made */
} image_base_result_t;

/* The timestamp of everything a base image holds: SOURCE_DATE_EPOCH when it
 * is a number, else 0. */
int64_t image_base_epoch(void);

/* Make the busybox image from BUSYBOX (NULL: /bin/busybox) and tag it REF
 * (NULL: IMAGE_BASE_BUSYBOX_REF). ret may be NULL. */
int image_base_busybox(image_store_t *s, const char *busybox, const char *ref, image_base_result_t *ret,
                       cell_error_t *err);

typedef struct image_base_debian_opts {
        const char *suite;     /* NULL: bookworm */
        const char *mirror;    /* NULL: IMAGE_BASE_DEBIAN_MIRROR */
        const char *cache_dir; /* NULL: IMAGE_BASE_DEBIAN_CACHE */
        const char *ref;       /* NULL: IMAGE_BASE_DEBIAN_REF */
} image_base_debian_opts_t;

/* Make (or take from the cache) the minbase tarball of opts->suite with
 * mmdebstrap and store it as a one-layer image. -ENOENT when mmdebstrap is
 * not installed. */
int image_base_debian(image_store_t *s, const image_base_debian_opts_t *opts, image_base_result_t *ret,
                      cell_error_t *err);

/* Store the uncompressed tar read from TAR_FD as the only layer of an image
 * whose container runs CMD (a NULL-terminated vector) with ENV, and tag it
 * REF. CREATED_BY goes into the history. */
int image_base_from_tar(image_store_t *s, int tar_fd, const char *ref, char *const *cmd, char *const *env,
                        int64_t created, const char *created_by, image_base_result_t *ret, cell_error_t *err);
