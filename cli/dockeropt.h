/* cell: Docker-style option parsing for the engine's commands: --name,
 * --name=value, --name value, -x, -xVALUE, -x=VALUE, clusters of short
 * flags (-it, -dit), "--" ends the options. Parsing stops at the first
 * positional argument (the image, the container), so a command line given
 * to the container is never taken for cell's options. */
#pragma once

#include <stdbool.h>

#include "options.h"

typedef struct {
        int argc;
        char **argv;
        int index;         /* next argument to look at */
        int pos;           /* inside a cluster of short flags: the next letter */
        const char *value; /* the option's value; "false" for --flag=false */
        char errbuf[256];
} cli_dparser_t;

/* The id of the next option, 0 at the end of the options, -1 on an error
 * (message in p->errbuf, worded as docker's: "unknown flag: --x"). */
int cli_docker_next(cli_dparser_t *p, const cli_option_t *opts);
