/* cell: the unpacked-layer cache.
 *
 *   ROOT/layers/<chain-id hex>/diff/       the layer's tree, overlay whiteouts as
 *                                          layer_apply makes them
 *   ROOT/layers/<chain-id hex>/meta.json   {"chain_id","diff_id","parent","digest",
 *                                          "size","tar_size"}
 *   ROOT/layers/.tmp-<random>/             a layer being unpacked (or removed);
 *                                          flock-held by its writer
 *   ROOT/layers/.locks/<chain-id hex>      flock: one unpacker per chain id
 *   ROOT/layers/.gc.lock                   flock: shared by ensure and prepare,
 *                                          exclusive for gc
 *   ROOT/containers/<id>/                  a container's writable layer (rootfs.h)
 *
 * A layer is keyed by its chain id, so it is unpacked once and shared by every
 * image that has the same stack of layers up to it. A layer directory appears
 * under its name only complete (unpacked into a temporary directory, its diffID
 * verified, renamed into place; not synced: meta.json names the boot); the temporary directories of dead
 * writers (their flock is free) are removed by the next call. Which layers are
 * used is found by walking the image store and the containers (mark and
 * sweep), not by counters that a crash could leave wrong. See
 * docs/design/images.md ("Layer cache and root file systems"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "manifest.h"
#include "store.h"
#include "transfer.h"

typedef struct storage storage_t;

/* Open the storage under root (layers/ and containers/ are made when
 * missing). Nothing is locked while the handle is merely open. */
int storage_open(const char *root, storage_t **ret, cell_error_t *err);
void storage_close(storage_t *s);
const char *storage_root(const storage_t *s);

static inline void storage_closep(storage_t **s)
{
        storage_close(*s);
}
#define _cleanup_storage_ __attribute__((cleanup(storage_closep)))

/* An image as the cache needs it: its manifest, its config and its digest
 * (the image id). */
typedef struct storage_image {
        image_manifest_t *manifest;
        image_config_t *config;
        char id[IMAGE_DIGEST_LEN + 1]; /* the config digest */
} storage_image_t;

void storage_image_clear(storage_image_t *img);

/* Find an image in the store by reference ("debian", "host/x:tag", "x@sha256:…")
 * or by id (the config digest: "sha256:<hex>", "<hex>" or a unique prefix of
 * at least 4 hex digits). An index resolves to the entry for this machine's
 * platform. -ENOENT when nothing matches. */
int storage_image_find(image_store_t *store, const char *ref_or_id, storage_image_t *ret, cell_error_t *err);

/* Make sure every layer of the image is unpacked, lowest first; returns a
 * NULL-terminated vector of the layers' diff/ directories (lowest first) in
 * ret_dirs and, when ret_chain_ids is not NULL, their chain ids. A layer whose
 * content does not hash to the config's diff_id is refused (the error names
 * the layer) and leaves nothing behind. Concurrent calls for the same layer
 * serialise: one unpacks, the others wait and reuse it. */
int storage_layers_ensure(storage_t *s, image_store_t *store, const image_manifest_t *m,
                          const image_config_t *c, char ***ret_dirs, char ***ret_chain_ids,
                          cell_error_t *err);

/* Unpacking while loading: a stage is the sink of image_load_sink()
 * (lib/image/transfer.h). Each layer-like member of the archive is piped to a
 * thread that applies it into a locked temporary directory of the cache
 * while the store writes the blob; when an image's blobs are all stored, its
 * staged layers are renamed into place under their chain ids (a layer whose
 * stream did not apply, or did not hash to the config's diff_id, is unpacked
 * again from its blob by storage_layers_ensure, whose error is the load's),
 * so a load leaves every image it stores unpacked, as docker and podman do.
 * storage_stage_free() removes what no image used; a killed load leaves
 * temporary directories whose lock died with it, which the next ensure or gc
 * sweeps. */
typedef struct storage_stage storage_stage_t;

int storage_stage_new(storage_t *s, image_store_t *store, storage_stage_t **ret, cell_error_t *err);
/* The sink to hand to image_load_sink(); valid while the stage lives. */
const image_load_sink_t *storage_stage_sink(storage_stage_t *st);
void storage_stage_free(storage_stage_t *st);

static inline void storage_stage_freep(storage_stage_t **st)
{
        storage_stage_free(*st);
}
#define _cleanup_storage_stage_ __attribute__((cleanup(storage_stage_freep)))

/* The chain ids of every image the store's index reaches (through indexes to
 * the manifests present): the layers that gc keeps. NULL-terminated. */
int storage_layers_keep_set(image_store_t *store, char ***ret, cell_error_t *err);

/* Remove every unpacked layer that is neither in keep (chain ids,
 * NULL-terminated; may be NULL) nor used by a container's root file system,
 * and the temporary directories of dead writers. ret_removed (may be NULL)
 * gets the number of layers removed. -EBUSY when an ensure or a prepare runs
 * (it would use layers the keep set does not know yet). */
int storage_layers_gc(storage_t *s, char *const *keep, uint64_t *ret_removed, cell_error_t *err);

/* The unpacked layers present (chain ids, sorted, NULL-terminated). */
int storage_layers_list(storage_t *s, char ***ret, cell_error_t *err);

/* Internal to lib/storage: the shared side of the gc lock (held by ensure and
 * by rootfs prepare across ensure and recording the layers it uses). */
int storage_gc_lock_shared(storage_t *s, cell_error_t *err);
void storage_gc_unlock(storage_t *s);
