/* cell: .dockerignore, the build context's exclusion list.
 *
 * Docker's syntax and meaning (moby/patternmatcher): one pattern a line;
 * a line starting with '#' is a comment; blank lines are skipped; each line
 * is trimmed and cleaned like a path (a leading '/' or './' means the
 * context root, "a//b/../c" is "a/c"); '!' re-includes what an earlier
 * pattern excluded, and the last pattern that matches decides. Patterns
 * match paths relative to the context with '/' separators:
 *   *      any run of characters other than '/'
 *   ?      one character other than '/'
 *   [...]  a class ([^...] negated, a-z ranges), as Go's filepath.Match
 *   \c     c literally
 *   **     any number of directories, including none ("**" alone: anything)
 * A pattern that matches a directory also matches everything below it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct dockerignore dockerignore_t;

/* Parse a .dockerignore's bytes. A malformed pattern is an error naming
 * its line: ".dockerignore:3: bad pattern \"[a\"". */
int dockerignore_parse(const char *data, size_t len, dockerignore_t **ret, cell_error_t *err);

/* The same from a list of patterns (COPY --exclude, a compose file). */
int dockerignore_new(const char *const *patterns, dockerignore_t **ret, cell_error_t *err);

void dockerignore_free(dockerignore_t *ig);

/* The cleaned patterns, in order; *ret_exclusion is true for a '!' one. */
size_t dockerignore_count(const dockerignore_t *ig);
const char *dockerignore_pattern(const dockerignore_t *ig, size_t i, bool *ret_exclusion);

/* Whether path (relative to the context) is left out of the context. */
bool dockerignore_excluded(const dockerignore_t *ig, const char *path);

/* For an excluded directory: whether a '!' pattern could re-include
 * something below it, so the walker must still descend into it. May say
 * yes when in doubt, never no when a file below could be re-included. */
bool dockerignore_may_reinclude(const dockerignore_t *ig, const char *dir);

/* One pattern against one path, with the rules above (no parent matching). */
bool dockerignore_match(const char *pattern, const char *path);
