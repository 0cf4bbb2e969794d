/* cell: small string helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* asprintf that returns the string or NULL on allocation failure. */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline bool str_eq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

static inline bool str_has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Copy src into dst (size n), always terminating; returns false when truncated. */
bool str_copy(char *dst, size_t n, const char *src);

size_t strv_length(char *const *v);
void strv_free(char **v);
/* Append a copy of s to the NULL-terminated vector *v. Returns 0 or -ENOMEM. */
int strv_push(char ***v, const char *s);

/* Parse a decimal integer in [min, max]; returns 0 or -EINVAL/-ERANGE. */
int str_to_long(const char *s, long min, long max, long *ret);

/* Sort the first n strings of v by strcmp. */
void strv_sort(char **v, size_t n);
/* The strings of a NULL-terminated vector joined with sep (NULL: none), or
 * NULL on allocation failure. */
char *strv_join(char *const *v, const char *sep);

/* A deep copy of a NULL-terminated vector, or NULL on allocation failure. */
char **strv_copy(char *const *v);
/* Set NAME=VALUE in an environment vector: replaces the entry with the same
 * NAME or appends. Returns 0 or -ENOMEM. */
int strv_set_env(char ***env, const char *name_value);
