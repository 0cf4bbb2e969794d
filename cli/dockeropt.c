/* cell: Docker-style option parsing (see dockeropt.h). */
#include "dockeropt.h"

#include <stdio.h>
#include <string.h>

static int take_value(cli_dparser_t *p, const cli_option_t *o, const char *inline_value, const char *shown)
{
        p->value = NULL;
        if (o->has_arg) {
                if (inline_value) {
                        p->value = inline_value;
                } else if (p->index < p->argc) {
                        p->value = p->argv[p->index++];
                } else {
                        snprintf(p->errbuf, sizeof(p->errbuf), "flag needs an argument: %s", shown);
                        return -1;
                }
        } else if (inline_value) {
                if (strcmp(inline_value, "false") == 0)
                        p->value = "false";
                else if (strcmp(inline_value, "true") != 0) {
                        snprintf(p->errbuf, sizeof(p->errbuf), "invalid argument \"%s\" for \"%s\" flag",
                                 inline_value, shown);
                        return -1;
                }
        }
        return o->id;
}

int cli_docker_next(cli_dparser_t *p, const cli_option_t *opts)
{
        const char *arg;

        if (p->pos > 0) {
                /* The rest of a cluster: -it is -i then -t; a letter that
                 * takes a value takes the rest (-p8080:80) or the next
                 * argument. */
                arg = p->argv[p->index];
                char c = arg[p->pos];

                for (const cli_option_t *o = opts; o->name; o++) {
                        if (!o->short_name || o->short_name != c)
                                continue;
                        p->pos++;
                        if (o->has_arg) {
                                const char *rest = arg + p->pos;

                                p->pos = 0;
                                p->index++;
                                if (*rest == '=')
                                        rest++;
                                return take_value(p, o, *rest ? rest : NULL, (char[]){'-', c, '\0'});
                        }
                        if (arg[p->pos] == '\0') {
                                p->pos = 0;
                                p->index++;
                        }
                        p->value = NULL;
                        return o->id;
                }
                snprintf(p->errbuf, sizeof(p->errbuf), "unknown shorthand flag: '%c' in %s", c, arg);
                return -1;
        }
        if (p->index >= p->argc)
                return 0;
        arg = p->argv[p->index];
        if (arg[0] != '-' || arg[1] == '\0')
                return 0;
        if (strcmp(arg, "--") == 0) {
                p->index++;
                return 0;
        }
        if (arg[1] == '-') {
                const char *name = arg + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t)(eq - name) : strlen(name);

                for (const cli_option_t *o = opts; o->name; o++) {
                        if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
                                continue;
                        p->index++;
                        return take_value(p, o, eq ? eq + 1 : NULL, arg);
                }
                snprintf(p->errbuf, sizeof(p->errbuf), "unknown flag: --%.*s", (int)len, name);
                return -1;
        }
        p->pos = 1;
        return cli_docker_next(p, opts);
}
