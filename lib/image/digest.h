/* cell: content digests ("sha256:<64 lowercase hex>") for the image store.
 *
 * Everything in an image is named by the sha256 of its bytes; a digest that
 * arrives from outside (a manifest, a reference, a registry) is validated
 * here before it is ever used as a file name in the store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define IMAGE_DIGEST_ALGO    "sha256"
#define IMAGE_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define IMAGE_DIGEST_STR_SIZE (sizeof(IMAGE_DIGEST_ALGO ":") + IMAGE_DIGEST_HEX_LEN)

typedef struct image_hasher image_hasher_t;

/* A streaming sha256 hasher (OpenSSL EVP). */
int image_hasher_new(image_hasher_t **ret, cell_error_t *err);
int image_hasher_update(image_hasher_t *h, const void *data, size_t len, cell_error_t *err);
/* Writes "sha256:<hex>" into ret. The hasher cannot be updated afterwards. */
int image_hasher_final(image_hasher_t *h, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);
void image_hasher_free(image_hasher_t *h);

static inline void image_hasher_freep(image_hasher_t **h)
{
        image_hasher_free(*h);
}
#define _cleanup_hasher_ __attribute__((cleanup(image_hasher_freep)))

/* Validate s as "sha256:" followed by exactly 64 lowercase hex digits. Other
 * well-formed algorithms (sha512, …) are refused as unsupported. On success
 * *ret_hex (when not NULL) points at the hex part inside s. */
int image_digest_parse(const char *s, const char **ret_hex, cell_error_t *err);
bool image_digest_valid(const char *s);

/* The digest of a buffer, or of everything readable from fd (from its
 * current offset to the end). */
int image_digest_data(const void *data, size_t len, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);
int image_digest_fd(int fd, char ret[IMAGE_DIGEST_STR_SIZE], cell_error_t *err);

/* 0 when the content matches expected; -EINVAL with "digest mismatch:
 * expected X, got Y" when it does not (or when expected is not valid). */
int image_digest_verify_data(const void *data, size_t len, const char *expected, cell_error_t *err);
int image_digest_verify_fd(int fd, const char *expected, cell_error_t *err);
