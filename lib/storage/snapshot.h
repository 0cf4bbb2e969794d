/* cell: root file systems from layers — overlay snapshots and the changes of
 * a writable layer.
 *
 * A snapshot is an overlay mount of unpacked layer directories (the lowest
 * layer first in the list the caller gives, as images list them) with, for a
 * container, a writable upper directory and overlayfs's work directory next
 * to it. The layers are passed to the kernel one at a time (fsconfig
 * "lowerdir+", Linux 6.8+), so an image with hundreds of layers mounts however
 * long their paths are; older kernels get the classic single "lowerdir="
 * string, with the paths made relative to their common parent to fit in a
 * page. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

typedef struct {
        const char *const *layers; /* unpacked layer directories, lowest first */
        size_t n_layers;
        const char *upper; /* writable directory, or NULL for a read-only view */
        const char *work;  /* overlayfs work directory (same file system as upper) */
        bool userxattr;    /* in a user namespace: user.overlay.* instead of trusted.* */
} snapshot_overlay_t;

/* Mount the overlay on target (an existing directory). An empty list with
 * an upper directory mounts just the upper one (a bind mount); a read-only
 * view of a single layer is a read-only bind mount. */
int snapshot_mount(const snapshot_overlay_t *o, const char *target, cell_error_t *err);

/* The changes of a writable layer, as `docker diff` prints them: an array of
 * {"Path": "/etc/x", "Kind": 0|1|2} (0 = changed, 1 = added, 2 = deleted),
 * sorted by path. upper is the writable directory; layers (lowest first) tell
 * added from changed. Overlay whiteouts (0:0 character devices) are
 * deletions; an opaque directory (trusted.overlay.opaque or
 * user.overlay.opaque = "y") hides everything below it in the layers. */
int snapshot_diff(const char *upper, const char *const *layers, size_t n_layers, json_t **ret,
                  cell_error_t *err);

/* Whether rel ("etc/passwd", no leading slash) exists in the merged view of
 * layers (lowest first): a whiteout or an opaque directory in a layer hides
 * what the layers below it hold. */
bool snapshot_lower_exists(const char *const *layers, size_t n_layers, const char *rel);
