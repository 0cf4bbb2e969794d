/* cell: a container's network namespace as a file (RUN/netns/<id>), the
 * way CNI plugins are given one: made before the container, so its
 * networks are set up while the runtime builds the rest of it, and bound
 * to a file so plugins can enter it by path. See docs/design/network.md. */
#pragma once

#include <stdbool.h>

#include "error.h"

/* A new network namespace with its loopback up, bound at PATH (an empty
 * file is made). The caller's own namespace is unchanged. */
int engine_netns_create(const char *path, cell_error_t *err);

/* Bind the namespace at SOURCE (/proc/<pid>/ns/net: another container's)
 * at PATH. */
int engine_netns_bind(const char *path, const char *source, cell_error_t *err);

/* Unbind and remove PATH; nothing there is no error. The namespace itself
 * goes when its last process does, and the kernel removes its interfaces
 * (the host ends of veth pairs too) then. */
void engine_netns_remove(const char *path);

/* Bring the interface NAME of the caller's namespace up or down. */
int engine_link_set_up(const char *name, bool up, cell_error_t *err);
