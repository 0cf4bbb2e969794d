/* cell: volume create|ls|inspect|rm|prune, container prune and system
 * prune — Docker's flags and output (docker 20.10's prune semantics: a
 * volume no container names is unused, whatever made it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "dockeropt.h"
#include "image_cmds.h"
#include "lifecycle.h"
#include "strutil.h"
#include "template.h"
#include "volume.h"

/* go-units' HumanSize: 4 significant digits, decimal units. */
void cli_prune_size(uint64_t bytes, char *buf, size_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)bytes;
        size_t i = 0;

        while (v >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, n, "%.4g%s", v, units[i]);
}

bool cli_confirm(const char *warning)
{
        char answer[16] = "";

        printf("%s\nAre you sure you want to continue? [y/N] ", warning);
        fflush(stdout);
        return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

void cli_put_kv(json_t *obj, const char *kv)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *key = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);

        if (key)
                json_object_set_new(obj, key, json_string(eq ? eq + 1 : ""));
}

/* ---- volume create ---- */

static int volume_create(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"name", 0, true, 1},  {"label", 0, true, 2}, {"driver", 'd', true, 3},
                {"opt", 'o', true, 4}, {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_volume_ engine_volume_t *v = NULL;
        const char *name = NULL, *driver = "local";
        json_t *labels = json_object(), *options = json_object();
        cell_error_t err = {0};
        int id, r;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        json_decref(labels);
                        json_decref(options);
                        return cli_flag_error("volume create", p.errbuf);
                case 1:
                        name = p.value;
                        break;
                case 2:
                        cli_put_kv(labels, p.value);
                        break;
                case 3:
                        driver = p.value;
                        break;
                case 4:
                        cli_put_kv(options, p.value);
                        break;
                default:
                        break;
                }
        }
        r = 0;
        if (p.index < argc) {
                if (name && !str_eq(name, argv[p.index])) {
                        fprintf(stderr, "cell volume create: conflicting options: either specify --name or "
                                        "provide positional arg, not both\n");
                        r = 1;
                }
                name = argv[p.index];
                if (p.index + 1 < argc) {
                        fprintf(stderr,
                                "cell volume create: \"volume create\" requires at most 1 argument.\n");
                        r = 1;
                }
        }
        if (r == 0 && !str_eq(driver, "local")) {
                cell_error_plain(&err, ENOENT,
                                 "create %s: error looking up volume plugin %s: plugin \"%s\" not found",
                                 name ? name : "", driver, driver);
                r = cli_daemon_error(&err);
        }
        if (r == 0 && engine_volume_create(e, name, labels, options, &v, &err) < 0)
                r = cli_daemon_error(&err);
        json_decref(labels);
        json_decref(options);
        if (r == 0)
                printf("%s\n", v->name);
        return r;
}

/* ---- volume ls ---- */

static char *labels_string(json_t *labels)
{
        _cleanup_strv_ char **keys = NULL;
        char *out = strdup("");
        const char *k;
        json_t *val;

        json_object_foreach(labels, k, val) strv_push(&keys, k);
        for (size_t i = 0; keys && keys[i] && out; i++) {
                char *more = str_printf("%s%s%s=%s", out, i ? "," : "", keys[i],
                                        json_string_value(json_object_get(labels, keys[i])));

                free(out);
                out = more;
        }
        return out;
}

static json_t *ls_row(const engine_volume_t *v)
{
        _cleanup_free_ char *labels = labels_string(v->labels);

        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", v->name, "Driver", "local",
                         "Mountpoint", v->mountpoint, "Labels", labels ? labels : "", "Scope", "local",
                         "Size", "N/A", "Links", "N/A", "CreatedAt", v->created_at);
}

/* docker's volume filters: name (a part of the name), label=k or k=v,
 * dangling=true|false (1|0), driver. */
static int ls_match(const engine_volume_t *v, json_t *users, char *const *filters, bool *ret,
                    cell_error_t *err)
{
        *ret = true;
        for (size_t i = 0; filters && filters[i]; i++) {
                const char *f = filters[i], *eq = strchr(f, '=');
                const char *val = eq ? eq + 1 : "";
                size_t klen = eq ? (size_t)(eq - f) : strlen(f);

                if (klen == 4 && strncmp(f, "name", 4) == 0) {
                        *ret = *ret && strstr(v->name, val);
                } else if (klen == 6 && strncmp(f, "driver", 6) == 0) {
                        *ret = *ret && str_eq(val, "local");
                } else if (klen == 5 && strncmp(f, "label", 5) == 0) {
                        const char *leq = strchr(val, '=');
                        _cleanup_free_ char *key = leq ? strndup(val, (size_t)(leq - val)) : strdup(val);
                        json_t *lv = key ? json_object_get(v->labels, key) : NULL;

                        *ret = *ret && lv && (!leq || str_eq(json_string_value(lv), leq + 1));
                } else if (klen == 8 && strncmp(f, "dangling", 8) == 0) {
                        bool want, unused = json_array_size(json_object_get(users, v->name)) == 0;

                        if (str_eq(val, "true") || str_eq(val, "1"))
                                want = true;
                        else if (str_eq(val, "false") || str_eq(val, "0"))
                                want = false;
                        else
                                return cell_error_plain(err, EINVAL,
                                                        "invalid filter 'dangling=%s': invalid value", val);
                        *ret = *ret && unused == want;
                } else {
                        return cell_error_plain(err, EINVAL, "invalid filter '%.*s'", (int)klen, f);
                }
        }
        return 0;
}

static int print_rows(json_t *rows, const char *format, bool quiet, cell_error_t *err)
{
        size_t i;
        json_t *row;

        if (quiet) {
                json_array_foreach(rows, i, row)
                        printf("%s\n", json_string_value(json_object_get(row, "Name")));
                return 0;
        }
        if (!format || str_eq(format, "table") || str_eq(format, "")) {
                printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
                json_array_foreach(rows, i, row)
                        printf("%-10s%s\n", "local", json_string_value(json_object_get(row, "Name")));
                return 0;
        }
        if (str_has_prefix(format, "table ")) {
                /* The header: each field's column name, as docker's table
                 * formats print it. */
                json_t *head =
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME", "Driver",
                                  "DRIVER", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS", "Scope", "SCOPE",
                                  "Size", "SIZE", "Links", "LINKS", "CreatedAt", "CREATED");
                _cleanup_free_ char *out = NULL;

                format += 6;
                out = cli_template_render(format, head, err);
                json_decref(head);
                if (!out)
                        return -1;
                printf("%s\n", out);
        }
        json_array_foreach(rows, i, row)
        {
                _cleanup_free_ char *out = str_eq(format, "json") ? json_dumps(row, JSON_COMPACT)
                                                                  : cli_template_render(format, row, err);

                if (!out)
                        return -1;
                printf("%s\n", out);
        }
        return 0;
}

static int volume_ls(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, 1},
                {"filter", 'f', true, 2},
                {"format", 0, true, 3},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_strv_ char **names = NULL, **filters = NULL;
        const char *format = NULL;
        bool quiet = false;
        cell_error_t err = {0};
        json_t *users = NULL, *rows = NULL;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("volume ls", p.errbuf);
                if (id == 1)
                        quiet = !p.value;
                else if (id == 2)
                        strv_push(&filters, p.value);
                else if (id == 3)
                        format = p.value;
        }
        if (p.index < argc) {
                fprintf(stderr, "cell volume ls: \"volume ls\" accepts no arguments.\n");
                return 1;
        }
        if (engine_volume_list(e, &names, &err) < 0 || engine_volume_users(e, &users, &err) < 0)
                return cli_daemon_error(&err);
        rows = json_array();
        for (size_t i = 0; names[i] && rc == 0; i++) {
                _cleanup_engine_volume_ engine_volume_t *v = NULL;
                bool keep = false;

                /* Gone since the listing: not there. */
                if (engine_volume_get(e, names[i], &v, NULL) < 0)
                        continue;
                if (ls_match(v, users, filters, &keep, &err) < 0)
                        rc = cli_daemon_error(&err);
                else if (keep)
                        json_array_append_new(rows, ls_row(v));
        }
        if (rc == 0 && print_rows(rows, format, quiet, &err) < 0)
                rc = cli_flag_error("volume ls", err.msg);
        json_decref(rows);
        json_decref(users);
        return rc;
}

/* ---- volume inspect ---- */

static int volume_inspect(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"format", 'f', true, 1},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        const char *format = NULL;
        cell_error_t err = {0};
        json_t *all;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("volume inspect", p.errbuf);
                if (id == 1)
                        format = p.value;
        }
        if (p.index >= argc) {
                fprintf(stderr, "cell volume inspect: \"volume inspect\" requires at least 1 argument.\n");
                return 1;
        }
        all = json_array();
        for (int i = p.index; i < argc; i++) {
                _cleanup_engine_volume_ engine_volume_t *v = NULL;

                if (engine_volume_get(e, argv[i], &v, &err) < 0) {
                        fprintf(stderr, "Error: No such volume: %s\n", argv[i]);
                        rc = 1;
                        continue;
                }
                json_array_append_new(all, engine_volume_json(v));
        }
        if (cli_print_inspect(all, format, &err) < 0)
                rc = cli_flag_error("volume inspect", err.msg);
        json_decref(all);
        return rc;
}

/* ---- volume rm ---- */

static int volume_rm(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        bool force = false;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("volume rm", p.errbuf);
                if (id == 1)
                        force = !p.value;
        }
        if (p.index >= argc) {
                fprintf(stderr, "cell volume rm: \"volume rm\" requires at least 1 argument.\n");
                return 1;
        }
        for (int i = p.index; i < argc; i++) {
                cell_error_t err = {0};

                if (engine_volume_remove(e, argv[i], NULL, &err) == 0) {
                        printf("%s\n", argv[i]);
                        continue;
                }
                /* -f: a volume that is not there is no error; one in use
                 * still is (docker's force is about the driver). */
                if (err.code == ENOENT) {
                        if (!force) {
                                fprintf(stderr, "Error: No such volume: %s\n", argv[i]);
                                rc = 1;
                        }
                        continue;
                }
                rc = cli_daemon_error(&err);
        }
        return rc;
}

/* ---- prune ---- */

/* Remove every volume no container names; docker's "Deleted Volumes:"
 * block (no blank line after it) when one went. */
static int prune_volumes(engine_t *e, uint64_t *ret_bytes, bool *ret_any, cell_error_t *err)
{
        _cleanup_strv_ char **names = NULL;
        json_t *users = NULL;
        int rc = 0;

        *ret_bytes = 0;
        *ret_any = false;
        if (engine_volume_list(e, &names, err) < 0 || engine_volume_users(e, &users, err) < 0)
                return -1;
        for (size_t i = 0; names[i]; i++) {
                cell_error_t one = {0};
                uint64_t bytes = 0;

                if (json_array_size(json_object_get(users, names[i])) > 0)
                        continue;
                /* engine_volume_remove looks again: a container made since
                 * the scan keeps its volume. */
                if (engine_volume_remove(e, names[i], &bytes, &one) < 0) {
                        if (one.code != ENOENT && one.code != EBUSY) {
                                *err = one;
                                rc = -1;
                        }
                        continue;
                }
                if (!*ret_any)
                        printf("Deleted Volumes:\n");
                *ret_any = true;
                *ret_bytes += bytes;
                printf("%s\n", names[i]);
        }
        json_decref(users);
        return rc;
}

static int volume_prune(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1},
                {"all", 'a', false, 2},
                {"filter", 0, true, 3},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        bool force = false, any = false;
        uint64_t bytes = 0;
        cell_error_t err = {0};
        char size[32];
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("volume prune", p.errbuf);
                if (id == 1)
                        force = !p.value;
                else if (id == 3)
                        return cli_flag_error("volume prune", "--filter is not supported yet");
        }
        if (p.index < argc) {
                fprintf(stderr, "cell volume prune: \"volume prune\" accepts no arguments.\n");
                return 1;
        }
        if (!force &&
            !cli_confirm("WARNING! This will remove all local volumes not used by at least one container."))
                return 0;
        if (prune_volumes(e, &bytes, &any, &err) < 0)
                rc = cli_daemon_error(&err);
        cli_prune_size(bytes, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", any ? "\n" : "", size);
        return rc;
}

/* Remove every container that is not running (created, exited, dead);
 * docker's "Deleted Containers:" block. The space is their writable
 * layers'. */
static int prune_containers(engine_t *e, uint64_t *ret_bytes, bool *ret_any, cell_error_t *err)
{
        _cleanup_strv_ char **ids = NULL;
        int rc = 0;

        *ret_bytes = 0;
        *ret_any = false;
        if (engine_container_list(e, &ids, err) < 0)
                return -1;
        for (size_t i = 0; ids && ids[i]; i++) {
                _cleanup_free_ char *upper = engine_container_path(e, ids[i], "upper");
                json_t *rec = NULL;
                const char *status;
                bool stopped;
                uint64_t bytes;
                cell_error_t one = {0};

                if (engine_inspect(e, ids[i], &rec, NULL) < 0)
                        continue;
                status = json_string_value(json_object_get(json_object_get(rec, "State"), "Status"));
                stopped = str_eq(status, "created") || str_eq(status, "exited") || str_eq(status, "dead");
                json_decref(rec);
                if (!stopped)
                        continue;
                bytes = upper ? engine_path_size(upper) : 0;
                /* Not forced: one started since is refused, and kept. */
                if (engine_remove(e, ids[i], false, false, &one) < 0) {
                        if (one.code != EBUSY && one.code != ENOENT) {
                                *err = one;
                                rc = -1;
                        }
                        continue;
                }
                if (!*ret_any)
                        printf("Deleted Containers:\n");
                *ret_any = true;
                *ret_bytes += bytes;
                printf("%s\n", ids[i]);
        }
        return rc;
}

int cmd_engine_container_prune(const cli_global_t *g, int argc, char **argv);
int cmd_engine_container_prune(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1},
                {"filter", 0, true, 2},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        bool force = false, any = false;
        uint64_t bytes = 0;
        cell_error_t err = {0};
        char size[32];
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("container prune", p.errbuf);
                if (id == 1)
                        force = !p.value;
                else if (id == 2)
                        return cli_flag_error("container prune", "--filter is not supported yet");
        }
        if (p.index < argc) {
                fprintf(stderr, "cell container prune: \"container prune\" accepts no arguments.\n");
                return 1;
        }
        if (!force && !cli_confirm("WARNING! This will remove all stopped containers."))
                return 0;
        if (cli_open_engine(g, &e, &err) < 0)
                return cli_daemon_error(&err);
        if (prune_containers(e, &bytes, &any, &err) < 0)
                rc = cli_daemon_error(&err);
        cli_prune_size(bytes, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", any ? "\n" : "", size);
        return rc;
}

/* system prune: stopped containers, then the networks no container
 * names, then (--volumes) the volumes no container names any more, then
 * dangling images (-a: every image no
 * container was made from) — in that order, so what the removed
 * containers held goes in the same run, as docker's does. */
int cmd_system_prune(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1}, {"all", 'a', false, 2}, {"volumes", 0, false, 3},
                {"filter", 0, true, 4},   {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        bool force = false, all = false, volumes = false, any = false;
        uint64_t bytes = 0, total = 0;
        cell_error_t err = {0};
        char size[32];
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("system prune", p.errbuf);
                if (id == 1)
                        force = !p.value;
                else if (id == 2)
                        all = !p.value;
                else if (id == 3)
                        volumes = !p.value;
                else if (id == 4)
                        return cli_flag_error("system prune", "--filter is not supported yet");
        }
        if (p.index < argc) {
                fprintf(stderr, "cell system prune: \"system prune\" accepts no arguments.\n");
                return 1;
        }
        if (!force) {
                _cleanup_free_ char *warning =
                        str_printf("WARNING! This will remove:\n  - all stopped containers\n"
                                   "  - all networks not used by at least one container\n%s  - %s\n",
                                   volumes ? "  - all volumes not used by at least one container\n" : "",
                                   all ? "all images without at least one container associated to them"
                                       : "all dangling images");

                if (!cli_confirm(warning ? warning : "WARNING! This will remove unused data."))
                        return 0;
        }
        if (cli_open_engine(g, &e, &err) < 0)
                return cli_daemon_error(&err);
        if (prune_containers(e, &bytes, &any, &err) < 0)
                rc = cli_daemon_error(&err);
        total += bytes;
        if (any)
                printf("\n");
        cell_error_clear(&err);
        if (cli_prune_networks(e, &any, &err) < 0)
                rc = cli_daemon_error(&err);
        if (any)
                printf("\n");
        if (volumes) {
                cell_error_clear(&err);
                if (prune_volumes(e, &bytes, &any, &err) < 0)
                        rc = cli_daemon_error(&err);
                total += bytes;
                if (any)
                        printf("\n");
        }
        cell_error_clear(&err);
        if (img_prune(g, all, &bytes, &any, &err) < 0)
                rc = cli_daemon_error(&err);
        total += bytes;
        if (any)
                printf("\n");
        cli_prune_size(total, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return rc;
}

/* ---- volume ---- */

int cmd_engine_volume(const cli_global_t *g, int argc, char **argv);
int cmd_engine_volume(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        const char *sub = argc > 1 ? argv[1] : NULL;

        if (!sub) {
                fprintf(stderr, "cell volume: a subcommand is needed (create, ls, inspect, rm, prune)\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0)
                return cli_daemon_error(&err);
        if (str_eq(sub, "create"))
                return volume_create(e, argc - 1, argv + 1);
        if (str_eq(sub, "ls") || str_eq(sub, "list"))
                return volume_ls(e, argc - 1, argv + 1);
        if (str_eq(sub, "inspect"))
                return volume_inspect(e, argc - 1, argv + 1);
        if (str_eq(sub, "rm") || str_eq(sub, "remove"))
                return volume_rm(e, argc - 1, argv + 1);
        if (str_eq(sub, "prune"))
                return volume_prune(e, argc - 1, argv + 1);
        fprintf(stderr, "cell volume: unknown command \"%s\"\n", sub);
        return 1;
}
