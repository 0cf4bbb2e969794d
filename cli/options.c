#include "options.h"

#include <stdio.h>
#include <string.h>

int cli_next_option(cli_parser_t *p, const cli_option_t *opts)
{
        const char *arg, *name, *eq;
        size_t len;

        if (p->index >= p->argc)
                return 0;
        arg = p->argv[p->index];
        if (arg[0] != '-' || arg[1] == '\0')
                return 0;
        if (strcmp(arg, "--") == 0) {
                p->index++;
                return 0;
        }
        name = arg + 1;
        if (*name == '-')
                name++;
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        for (const cli_option_t *o = opts; o->name; o++) {
                bool match = (strlen(o->name) == len && strncmp(o->name, name, len) == 0) ||
                             (o->short_name && len == 1 && name[0] == o->short_name && arg[1] != '-');

                if (!match)
                        continue;
                p->index++;
                p->value = NULL;
                if (o->has_arg) {
                        if (eq) {
                                p->value = eq + 1;
                        } else if (p->index < p->argc) {
                                p->value = p->argv[p->index++];
                        } else {
                                snprintf(p->errbuf, sizeof(p->errbuf), "option %s needs a value", arg);
                                return -1;
                        }
                } else if (eq) {
                        /* --flag=true / --flag=false, as urfave/cli accepts */
                        if (strcmp(eq + 1, "false") == 0)
                                p->value = "false";
                }
                return o->id;
        }
        snprintf(p->errbuf, sizeof(p->errbuf), "unknown option %s", arg);
        return -1;
}
