/* cell: a container's root file system from an image.
 *
 *   ROOT/containers/<id>/upper/        the writable layer
 *   ROOT/containers/<id>/work/         overlayfs's work directory
 *   ROOT/containers/<id>/merged/       the mount point of the snapshot
 *   ROOT/containers/<id>/layers.json   {"image","chain_ids","layers"}: the layers
 *                                      under it, which layer gc keeps
 *
 * prepare unpacks what is missing (storage_layers_ensure) and mounts the
 * overlay; release unmounts it and removes the directory; diff lists the
 * changes of the writable layer as `docker diff` does. */
#pragma once

#include <jansson.h>

#include "error.h"
#include "layers.h"
#include "store.h"

/* Make the root file system of container id (letters, digits, '_', '.', '-';
 * not starting with '.'; at most 128) from the image ref_or_id (see
 * storage_image_find) and mount it. ret_rootfs (may be NULL) gets the path
 * of the merged directory. -EEXIST when the container already has one. */
int storage_rootfs_prepare(storage_t *s, image_store_t *store, const char *ref_or_id, const char *id,
                           char **ret_rootfs, cell_error_t *err);

/* The same from an image the caller has found already (known; ref_or_id
 * only names it in errors). */
int storage_rootfs_prepare_image(storage_t *s, image_store_t *store, const storage_image_t *known,
                                 const char *ref_or_id, const char *id, char **ret_rootfs, cell_error_t *err);

/* Unmount (lazily when it is busy) and remove the container's root file
 * system. A container without one is not an error. */
int storage_rootfs_release(storage_t *s, const char *id, cell_error_t *err);

/* The changes of the container's writable layer: snapshot_diff's array. */
int storage_rootfs_diff(storage_t *s, const char *id, json_t **ret, cell_error_t *err);

/* The path of the container's merged directory (whether mounted or not). */
int storage_rootfs_path(storage_t *s, const char *id, char **ret, cell_error_t *err);
