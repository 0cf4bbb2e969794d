/* cell: small jansson helpers the layers share. */
#pragma once

#include <jansson.h>

/* A JSON array of the strings of a NULL-terminated vector (v may be NULL:
 * an empty array), or NULL on allocation failure. */
json_t *json_string_array(const char *const *v);
