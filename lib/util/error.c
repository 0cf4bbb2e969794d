#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int error_vset(cell_error_t *err, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
static int error_vset(cell_error_t *err, int code, const char *fmt, va_list ap)
{
        if (err) {
                int n;

                err->code = code;
                n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                if (n < 0)
                        n = 0;
                if (code != 0 && (size_t)n < sizeof(err->msg))
                        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(code));
        }
        return code > 0 ? -code : -1;
}

int cell_error_set(cell_error_t *err, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, code, fmt, ap);
        va_end(ap);
        return r;
}

int cell_error_plain(cell_error_t *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                err->code = code;
        }
        return -code;
}

int cell_error_errno(cell_error_t *err, const char *fmt, ...)
{
        int code = errno;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, code, fmt, ap);
        va_end(ap);
        return r;
}

int cell_error_prefix(cell_error_t *err, const char *fmt, ...)
{
        char prefix[512];
        char old[CELL_ERROR_MAX];
        va_list ap;

        if (!err)
                return -1;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
        return err->code > 0 ? -err->code : -1;
}
