/* cell: run a program to completion with text on its stdin, capturing its
 * stdout and stderr. */
#pragma once

#include "error.h"

typedef struct spawn_result {
        int status; /* the exit code, or 128 + the signal that ended it */
        char *out;  /* stdout and stderr, NUL-terminated (never NULL on success) */
        char *errtext;
} spawn_result_t;

void spawn_result_clear(spawn_result_t *r);

/* Run EXE with ARGV and ENVP (NULL: ours), STDIN_TEXT (NULL: empty) as its
 * stdin. stdin, stdout and stderr are memory files, not pipes: nothing
 * waits on a pipe's end, so a program that leaves a daemon behind with a
 * copy of its stdout cannot hold the caller up, and one that writes a lot
 * cannot block. posix_spawn (a vfork) keeps the cost of a call to the
 * program's own. -1 only when it could not be run; its exit status is in
 * ret->status. */
int spawn_capture(const char *exe, char *const argv[], char *const envp[], const char *stdin_text,
                  spawn_result_t *ret, cell_error_t *err);
