/* cell: error objects.
 *
 * A function that can fail returns a negative number (or NULL) and fills the
 * error object passed last. Callers add context on the way up with
 * cell_error_prefix(), so the message a user sees reads from the outside in:
 * "create: mount /proc: Operation not permitted". */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define CELL_ERROR_MAX 2048

typedef struct cell_error {
        int code; /* errno, or 0 when the failure is not a system call's */
        char msg[CELL_ERROR_MAX];
} cell_error_t;

/* Fill err with a formatted message; when code != 0, ": strerror(code)" is
 * appended. Returns -1 (or -code when code != 0) so callers can
 * `return cell_error_set(...)`. err may be NULL. */
int cell_error_set(cell_error_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* For a mistake in a document (config, profile, manifest): the message names
 * the place and says what is wrong, so no strerror text follows; err->code
 * still carries the kind of failure. Returns -code. err may be NULL. */
int cell_error_plain(cell_error_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same as cell_error_set with code = errno. */
int cell_error_errno(cell_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepend "context: " to an existing message. Returns -1 or -code. */
int cell_error_prefix(cell_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void cell_error_clear(cell_error_t *err)
{
        if (err) {
                err->code = 0;
                err->msg[0] = '\0';
        }
}
