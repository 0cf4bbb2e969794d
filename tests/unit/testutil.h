/* cell: small helpers the unit tests share (header only: each test program
 * is one translation unit). */
#pragma once

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "fsutil.h"

/* A path made with printf, from a small ring of buffers: several may be
 * used in one expression. */
static inline char *tu_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *tu_path(const char *fmt, ...)
{
        static char bufs[8][PATH_MAX];
        static int next;
        char *b = bufs[next++ % 8];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b, PATH_MAX, fmt, ap);
        va_end(ap);
        return b;
}

/* cmocka setup/teardown: a fresh directory under /var/tmp as the state. */
static inline int tu_setup_tmpdir(void **state)
{
        char *dir = strdup("/var/tmp/cell-unit-XXXXXX");

        if (!dir || !mkdtemp(dir)) {
                free(dir);
                return -1;
        }
        *state = dir;
        return 0;
}

static inline int tu_teardown_tmpdir(void **state)
{
        cell_error_t err = {0};

        fs_rm_rf(*state, &err);
        free(*state);
        return 0;
}
