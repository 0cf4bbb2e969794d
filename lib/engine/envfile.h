/* cell: --env-file and -e, with docker's rules.
 *
 * docker keeps a value exactly as written (no quotes removed, no trailing
 * space trimmed), takes a bare KEY from the environment of the command, and
 * refuses a name with whitespace in it. */
#pragma once

#include "error.h"

/* Read an env file into a new NULL-terminated vector of "KEY=VALUE"
 * (*ret is replaced; free it with strv_free). Lines: KEY=VALUE; "#" starts
 * a comment line; blank lines are skipped; leading whitespace is dropped; a
 * bare KEY takes its value from this process's environment and is left out
 * when unset; a UTF-8 byte order mark at the start is ignored. Errors name
 * the file and line: "path:3: variable 'A B' contains whitespaces". */
int engine_env_file_read(const char *path, char ***ret, cell_error_t *err);

/* One -e argument applied to *env: KEY=VALUE sets or replaces KEY; a bare
 * KEY copies this process's value, or changes nothing when it is unset.
 * "=VALUE" is "invalid environment variable: =VALUE". */
int engine_env_merge(char ***env, const char *kv_or_key, cell_error_t *err);
