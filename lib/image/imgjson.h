/* cell: reading members of image documents (manifests, indexes, configs) with
 * errors that name the field ("manifest.layers[2].digest: expected ...").
 *
 * lib/image keeps its own small helpers rather than reaching into
 * lib/runtime: the two layers know nothing of each other. Every reader takes
 * the path of the member it reads (AT) so that a refusal names the place. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A key and its value, kept sorted by key (labels, annotations). */
typedef struct image_kv {
        char *key;
        char *value;
} image_kv_t;

void image_kv_free(image_kv_t *kv, size_t n);
/* The value of KEY, or NULL. */
const char *image_kv_get(const image_kv_t *kv, size_t n, const char *key);

/* "AT: expected WHAT" (EINVAL); returns a negative number. */
int ij_error(cell_error_t *err, const char *at, const char *what);

/* AT + "." + KEY into BUF (truncated silently: it only names a place). */
const char *ij_path(char *buf, size_t n, const char *at, const char *key);
/* AT + "[I]" into BUF. */
const char *ij_index(char *buf, size_t n, const char *at, size_t i);

/* obj[key] when of TYPE: NULL when absent or null (*r = 0); NULL with
 * *r < 0 on a wrong type. */
json_t *ij_member(json_t *obj, const char *key, json_type type, const char *at, int *r, cell_error_t *err);

/* A string member, copied into *ret (NULL when absent and not REQUIRED). */
int ij_string(json_t *obj, const char *key, bool required, const char *at, char **ret, cell_error_t *err);
/* An integer member in [min, max]; *ret untouched when absent. Sets
 * *ret_present when given. */
int ij_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, const char *at,
           int64_t *ret, bool *ret_present, cell_error_t *err);
int ij_bool(json_t *obj, const char *key, const char *at, bool *ret, cell_error_t *err);
/* An array of strings as a NULL-terminated vector: NULL when absent or null,
 * an empty vector for [] (the two differ: "Cmd": [] clears a Cmd). */
int ij_strv(json_t *obj, const char *key, const char *at, char ***ret, cell_error_t *err);
/* An object of strings, sorted by key. */
int ij_kv(json_t *obj, const char *key, const char *at, image_kv_t **ret, size_t *ret_n, cell_error_t *err);
/* The keys of an object whose values are objects ({"80/tcp": {}}), sorted. */
int ij_keys(json_t *obj, const char *key, const char *at, char ***ret, cell_error_t *err);

/* Writers for the serialisers; each returns 0 or -ENOMEM. Absent (NULL)
 * values are left out. */
int ij_set_string(json_t *obj, const char *key, const char *value);
int ij_set_strv(json_t *obj, const char *key, char *const *v);
int ij_set_kv(json_t *obj, const char *key, const image_kv_t *kv, size_t n);
int ij_set_keys(json_t *obj, const char *key, char *const *keys);
int ij_set_int(json_t *obj, const char *key, int64_t value);
