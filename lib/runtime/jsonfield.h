/* cell: reading named members of parsed JSON documents (config.json,
 * linux.resources, an update's resources) with errors that name the field,
 * shared by every parser of the runtime. */
#pragma once

#include <jansson.h>

#include "error.h"

/* "FIELD: expected WHAT" (EINVAL). */
int jf_type_error(cell_error_t *err, const char *field, const char *what);

/* obj[key] as an object or an array: NULL when absent or null (*r = 0),
 * NULL with *r < 0 on a wrong type. */
json_t *jf_object(json_t *obj, const char *key, const char *field, int *r, cell_error_t *err);
json_t *jf_array(json_t *obj, const char *key, const char *field, int *r, cell_error_t *err);
