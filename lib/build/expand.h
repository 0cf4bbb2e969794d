/* cell: variable substitution in Dockerfile words (environment replacement).
 *
 * The parser keeps every word as written; the executor expands a word when
 * it runs the instruction, against the ARG and ENV values in effect at that
 * point. The rules are those of Docker's builder (BuildKit's shell lexer):
 *   $VAR ${VAR}                 the value, or "" when unset
 *   ${VAR:-word} ${VAR-word}    word when VAR is unset or empty (- : unset only)
 *   ${VAR:+word} ${VAR+word}    word when VAR is set and non-empty (+ : set)
 *   ${VAR:?msg}  ${VAR?msg}     an error when VAR is unset or empty (? : unset)
 *   'single quotes'             literal, quotes removed
 *   "double quotes"             expansion happens, quotes removed; the escape
 *                               character escapes only " $ and itself there
 *   <escape>c                   c literally (\$ is a literal $)
 * A name is letters, digits and '_'; as in the shell, $1 is the digits only
 * and $@ $* $# $? $- $$ $! one character (all unset in a build). A $ that
 * starts no name is literal ("$/" stays). */
#pragma once

#include "error.h"

/* The value of a variable, or NULL when it is not set. */
typedef const char *(*dockerfile_lookup_fn)(const char *name, void *ud);

/* Expand one word (quotes removed, no splitting): ENV/ARG/LABEL values,
 * WORKDIR, USER, STOPSIGNAL, COPY/ADD paths and flags, FROM. escape is '\\'
 * or '`'. lookup may be NULL (nothing is set). */
int dockerfile_expand(const char *in, char escape, dockerfile_lookup_fn lookup, void *ud, char **ret,
                      cell_error_t *err);

/* Expand and split into words at unquoted whitespace, including whitespace
 * that an unquoted expansion produced (EXPOSE $PORTS, VOLUME $DIRS). "" is
 * an empty word; a word of only whitespace gives none. *ret is a
 * NULL-terminated vector. */
int dockerfile_expand_words(const char *in, char escape, dockerfile_lookup_fn lookup, void *ud, char ***ret,
                            cell_error_t *err);

/* Expand a here-document body (COPY/ADD <<EOF with an unquoted delimiter) as
 * the shell expands an unquoted here-document: $VAR and ${VAR...} are
 * substituted, the escape character before $ or itself makes it literal,
 * quotes and everything else are text ("it's" stays as written). */
int dockerfile_expand_heredoc(const char *body, char escape, dockerfile_lookup_fn lookup, void *ud,
                              char **ret, cell_error_t *err);
