/* cell: the part of Go's text/template that docker's --format users write:
 * literal text, {{.Field}} and {{.A.B}} paths into a JSON object,
 * {{json .}} and {{json .Path}}, {{range .X}}, {{if .X}}, {{index .X "k" 0}}
 * and {{(index .X "k").Field}}, with \t and \n in the format turned into
 * a tab and a newline. Strings print bare, numbers as integers when they
 * are, booleans as true/false, null as <nil>, objects and arrays as JSON. */
#pragma once

#include <jansson.h>

#include "error.h"

/* The rendered text (malloc'ed), or NULL with err set ("template: no such
 * field: .Foo" or a syntax error naming the place). */
char *cli_template_render(const char *format, json_t *data, cell_error_t *err);

/* What every `inspect` prints: with FORMAT, the template rendered for each
 * element of ALL, a line each (-1 at the first one that fails, with err);
 * without, ALL as docker indents it (4 spaces, keys in order). */
int cli_print_inspect(json_t *all, const char *format, cell_error_t *err);
