/* cell: the part of Go's text/template that docker's --format users write:
 * literal text, {{.Field}} and {{.A.B}} paths into a JSON object,
 * {{json .}} and {{json .Path}}, with \t and \n in the format turned into
 * a tab and a newline. Strings print bare, numbers as integers when they
 * are, booleans as true/false, null as <nil>, objects and arrays as JSON. */
#pragma once

#include <jansson.h>

#include "error.h"

/* The rendered text (malloc'ed), or NULL with err set ("template: no such
 * field: .Foo" or a syntax error naming the place). */
char *cli_template_render(const char *format, json_t *data, cell_error_t *err);
