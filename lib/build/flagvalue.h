/* cell: the values of instruction flags (internal to lib/build). */
#pragma once

#include "dockerfile.h"
#include "error.h"

/* RUN --mount=<value>: CSV fields into *m (reset first), with Docker's
 * defaults filled in. The message names no place; the caller adds it. On
 * failure *m may hold some strings: release it with dockerfile_mount_clear. */
int dockerfile_parse_mount(const char *value, dockerfile_mount_t *m, cell_error_t *err);
void dockerfile_mount_clear(dockerfile_mount_t *m);
