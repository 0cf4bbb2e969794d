/* cell: SHA-256 of a buffer in memory, without libcrypto.
 *
 * Every `cell run` verifies the few small blobs it reads from the store
 * (index, manifest, config: under a kilobyte each). libcrypto's first
 * digest initialises its provider tables, about 1 ms per process, measured
 * with perf — more than the hashing of all of them. This plain FIPS 180-4
 * implementation does those; streams and large data (layers) keep
 * libcrypto's accelerated one (digest.c decides by size). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_SMALL_MAX (64 * 1024)

void sha256_small(const void *data, size_t len, uint8_t out[32]);
