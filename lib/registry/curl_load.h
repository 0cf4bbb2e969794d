/* cell: libcurl, loaded when first needed.
 *
 * The module that holds cell's image and engine commands is not linked
 * against libcurl: libcurl brings thirty libraries (nghttp2, ssh2, rtmp,
 * ldap, kerberos, psl, idn2, brotli, ...) whose loading would cost every
 * `cell run` and `cell ps` that goes through the module (measured on the
 * development VM: `cell ps` 2.2 ms, 6.4 ms with libcurl mapped, medians of
 * 300), though only pull, push and login talk HTTP.
 * registry_open() calls registry_curl_ready() first; it dlopens libcurl with
 * RTLD_GLOBAL, so the module's calls (bound lazily, at their first use) find
 * it. Programs linked against libcurl (the tests) have it already, and the
 * call only finds it loaded. The same scheme as libarchive
 * (lib/image/archive_load.h). */
#pragma once

#include "error.h"

/* libcurl's soname: Debian 12's libcurl4 (OpenSSL flavour). */
#define REGISTRY_CURL_SONAME "libcurl.so.4"

int registry_curl_ready(cell_error_t *err);
