/* cell: libarchive, loaded when first needed.
 *
 * The module that holds cell's image and engine commands is not linked
 * against libarchive: libarchive brings libxml2, ICU and libstdc++, whose
 * loading and relocation cost every `cell run` about 2 ms though a run on
 * unpacked layers never reads a tar. Code that uses libarchive calls
 * image_archive_ready() first; it dlopens libarchive with RTLD_GLOBAL, so
 * the module's calls (bound lazily, at their first use) find it. Programs
 * linked against libarchive (the tests, the fuzzers) have it already, and
 * the call only finds it loaded. */
#pragma once

#include "error.h"

int image_archive_ready(cell_error_t *err);
