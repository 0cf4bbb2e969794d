/* cell: runc-style option parsing. Options may be written -name or --name,
 * with the value as the next argument or after '='. Parsing stops at the
 * first positional argument, as runc's does, so that a command line given to
 * the container is never taken for cell's options. */
#pragma once

#include <stdbool.h>

typedef struct {
        const char *name; /* long name */
        char short_name;  /* 0 if none */
        bool has_arg;
        int id;
} cli_option_t;

typedef struct {
        int argc;
        char **argv;
        int index; /* next argument to look at */
        const char *value;
        char errbuf[256];
} cli_parser_t;

/* Returns the id of the next option, 0 at the end of the options, -1 on an
 * error (message in p->errbuf). */
int cli_next_option(cli_parser_t *p, const cli_option_t *opts);
