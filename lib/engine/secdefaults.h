/* cell: the security defaults a Docker user expects of a container made
 * from an image — the capability set and its --cap-add/--cap-drop rules,
 * and the masked and read-only /proc and /sys paths — as pure functions
 * that give their result in OCI runtime-spec form. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

/* Docker's default bounding/effective/permitted capability set, "CAP_"
 * names in Docker's order, NULL-terminated. Static storage: not freed. */
const char *const *engine_default_caps(void);

/* The capability set of a container: Docker's --cap-add/--cap-drop rules
 * applied to engine_default_caps().
 *
 * Names are accepted with or without the "CAP_" prefix, in any case, and
 * "ALL" stands for every capability this kernel knows
 * (/proc/sys/kernel/cap_last_cap). "ALL" in ADD gives every capability
 * except those dropped; "ALL" in DROP gives exactly ADD; otherwise the
 * defaults minus DROP plus ADD. PRIVILEGED gives every capability the
 * kernel knows whatever ADD and DROP say (as docker run --privileged does),
 * but the names in them are still checked. An unknown name is an error that
 * names the flag and the value ("--cap-add: unknown capability \"FOO\"").
 *
 * *ret: sorted, without duplicates, "CAP_" form, NULL-terminated; free with
 * strv_free. ADD and DROP may be NULL. */
int engine_caps_resolve(char *const *add, char *const *drop, bool privileged, char ***ret, cell_error_t *err);

/* linux.maskedPaths and linux.readonlyPaths of a Docker container: new
 * arrays of strings (NULL on allocation failure). */
json_t *engine_default_masked_paths(void);
json_t *engine_default_readonly_paths(void);
