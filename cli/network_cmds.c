/* cell: network create|ls|inspect|rm|connect|disconnect|prune — docker
 * 20.10's flags and output over lib/engine/network.h; and the rendering of
 * a container's published ports that ps and port share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "dockeropt.h"
#include "image_cmds.h"
#include "network.h"
#include "strutil.h"
#include "template.h"

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* ---- network create ---- */

static int network_create(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"driver", 'd', true, 1},     {"subnet", 0, true, 2},      {"gateway", 0, true, 3},
                {"ip-range", 0, true, 4},     {"internal", 0, false, 5},   {"label", 0, true, 6},
                {"opt", 'o', true, 7},        {"attachable", 0, false, 8}, {"ipv6", 0, false, 9},
                {"ipam-driver", 0, true, 10}, {"scope", 0, true, 11},      {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        engine_network_create_req_t req = {0};
        json_t *labels = json_object(), *options = json_object(), *rec = NULL;
        cell_error_t err = {0};
        int id, nsubnet = 0, rc = 0;
        bool ipv6 = false;

        req.labels = labels;
        req.options = options;
        while ((id = cli_docker_next(&p, opts)) != 0 && rc == 0) {
                switch (id) {
                case -1:
                        rc = cli_flag_error("network create", p.errbuf);
                        break;
                case 1:
                        req.driver = p.value;
                        break;
                case 2:
                        req.subnet = p.value;
                        nsubnet++;
                        break;
                case 3:
                        req.gateway = p.value;
                        break;
                case 4:
                        req.ip_range = p.value;
                        break;
                case 5:
                        req.internal = !p.value;
                        break;
                case 6:
                        cli_put_kv(labels, p.value);
                        break;
                case 7:
                        cli_put_kv(options, p.value);
                        break;
                case 9:
                        ipv6 = !p.value;
                        break;
                case 10:
                        if (!str_eq(p.value, "default")) {
                                cell_error_plain(&err, EINVAL, "plugin \"%s\" not found", p.value);
                                rc = cli_daemon_error(&err);
                        }
                        break;
                case 11:
                        if (!str_eq(p.value, "local")) {
                                cell_error_plain(&err, EINVAL, "scope %s is not supported (only local)",
                                                 p.value);
                                rc = cli_daemon_error(&err);
                        }
                        break;
                default: /* --attachable: every cell network is */
                        break;
                }
        }
        if (rc == 0 && p.index + 1 != argc) {
                fprintf(stderr, "\"cell network create\" requires exactly 1 argument.\n"
                                "See 'cell network create --help'.\n\n"
                                "Usage:  cell network create [OPTIONS] NETWORK\n\n"
                                "Create a network\n");
                rc = 1;
        }
        if (rc == 0 && nsubnet > 1) {
                fprintf(stderr, "Error response from daemon: cell networks have one IPv4 subnet\n");
                rc = 1;
        }
        /* docker's client refuses these before asking the daemon. */
        if (rc == 0 && !req.subnet && (req.gateway || req.ip_range)) {
                fprintf(stderr, "every ip-range or gateway must have a corresponding subnet\n");
                rc = 1;
        }
        if (rc == 0 && ipv6) {
                cell_error_plain(&err, EINVAL, "IPv6 is not supported");
                rc = cli_daemon_error(&err);
        }
        if (rc == 0) {
                req.name = argv[p.index];
                if (engine_network_create(e, &req, &rec, &err) < 0)
                        rc = cli_daemon_error(&err);
                else
                        printf("%s\n", jstr(rec, "Id") ? jstr(rec, "Id") : "");
        }
        json_decref(rec);
        json_decref(labels);
        json_decref(options);
        return rc;
}

/* ---- network ls ---- */

static char *labels_string(json_t *labels)
{
        _cleanup_strv_ char **pairs = NULL;
        const char *k;
        json_t *v;

        json_object_foreach(labels, k, v)
        {
                _cleanup_free_ char *kv =
                        str_printf("%s=%s", k, json_string_value(v) ? json_string_value(v) : "");

                if (!kv || strv_push(&pairs, kv) < 0)
                        return NULL;
        }
        strv_sort(pairs, strv_length(pairs));
        return pairs ? strv_join(pairs, ",") : strdup("");
}

/* Go's time.Time.String() ("2006-01-02 15:04:05.999999999 -0700 MST"), as
 * docker's .CreatedAt of a network prints it. */
static char *created_string(const char *rfc3339)
{
        int64_t ns = 0;
        time_t secs;
        struct tm tm;
        char date[64], zone[32], frac[16] = "";
        long sub;

        engine_time_parse(rfc3339, &ns);
        secs = (time_t)(ns / 1000000000LL);
        sub = (long)(ns % 1000000000LL);
        localtime_r(&secs, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        strftime(zone, sizeof(zone), "%z %Z", &tm);
        if (sub > 0) {
                size_t n;

                snprintf(frac, sizeof(frac), ".%09ld", sub);
                n = strlen(frac);
                while (n > 1 && frac[n - 1] == '0')
                        frac[--n] = '\0';
        }
        return str_printf("%s%s %s", date, frac, zone);
}

static json_t *ls_row(json_t *rec, bool no_trunc)
{
        _cleanup_free_ char *labels = labels_string(json_object_get(rec, "Labels")),
                            *created = created_string(jstr(rec, "Created"));
        const char *nid = jstr(rec, "Id") ? jstr(rec, "Id") : "";

        return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", nid,
                         no_trunc ? strlen(nid) : strnlen(nid, 12), "Name", jstr(rec, "Name"), "Driver",
                         jstr(rec, "Driver") ? jstr(rec, "Driver") : "", "Scope",
                         jstr(rec, "Scope") ? jstr(rec, "Scope") : "local", "IPv6",
                         json_is_true(json_object_get(rec, "EnableIPv6")) ? "true" : "false", "Internal",
                         json_is_true(json_object_get(rec, "Internal")) ? "true" : "false", "Labels",
                         labels ? labels : "", "CreatedAt", created ? created : "");
}

/* docker's network filters: driver, id, label (k or k=v), name, scope,
 * type (custom|builtin). name and id match a part, as docker's do. */
static int ls_match(json_t *rec, char *const *filters, bool *ret, cell_error_t *err)
{
        *ret = true;
        for (size_t i = 0; filters && filters[i]; i++) {
                const char *f = filters[i], *eq = strchr(f, '=');
                const char *val = eq ? eq + 1 : "";
                size_t klen = eq ? (size_t)(eq - f) : strlen(f);
                _cleanup_free_ char *key = strndup(f, klen);

                if (!key)
                        return cell_error_set(err, ENOMEM, "filter");
                if (str_eq(key, "name")) {
                        *ret = *ret && strstr(jstr(rec, "Name"), val);
                } else if (str_eq(key, "id")) {
                        *ret = *ret && jstr(rec, "Id") && strstr(jstr(rec, "Id"), val);
                } else if (str_eq(key, "driver")) {
                        *ret = *ret && str_eq(jstr(rec, "Driver"), val);
                } else if (str_eq(key, "scope")) {
                        *ret = *ret && str_eq(jstr(rec, "Scope"), val);
                } else if (str_eq(key, "type")) {
                        if (!str_eq(val, "custom") && !str_eq(val, "builtin"))
                                return cell_error_plain(err, EINVAL, "invalid filter: 'type'='%s'", val);
                        *ret = *ret &&
                               engine_network_is_predefined(jstr(rec, "Name")) == str_eq(val, "builtin");
                } else if (str_eq(key, "label")) {
                        const char *leq = strchr(val, '=');
                        _cleanup_free_ char *lkey = leq ? strndup(val, (size_t)(leq - val)) : strdup(val);
                        json_t *lv = lkey ? json_object_get(json_object_get(rec, "Labels"), lkey) : NULL;

                        *ret = *ret && lv && (!leq || str_eq(json_string_value(lv), leq + 1));
                } else {
                        return cell_error_plain(err, EINVAL, "invalid filter '%s'", key);
                }
        }
        return 0;
}

static int print_rows(json_t *rows, const char *format, bool quiet, cell_error_t *err)
{
        size_t i;
        json_t *row;

        if (quiet) {
                json_array_foreach(rows, i, row) printf("%s\n", jstr(row, "ID"));
                return 0;
        }
        if (!format || str_eq(format, "") || str_eq(format, "table"))
                format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
        if (!str_has_prefix(format, "table")) {
                json_array_foreach(rows, i, row)
                {
                        _cleanup_free_ char *out = str_eq(format, "json")
                                                           ? json_dumps(row, JSON_COMPACT)
                                                           : cli_template_render(format, row, err);

                        if (!out)
                                return -1;
                        printf("%s\n", out);
                }
                return 0;
        }
        /* "table ...": a header from the same template over the columns'
         * names, the rows, aligned as docker's tabwriter does. */
        return cli_print_table(rows, format + strlen("table"),
                               json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID",
                                         "Name", "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6", "IPV6",
                                         "Internal", "INTERNAL", "Labels", "LABELS", "CreatedAt",
                                         "CREATED AT"),
                               err);
}

static int network_ls(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, 1},  {"filter", 'f', true, 2}, {"format", 0, true, 3},
                {"no-trunc", 0, false, 4}, {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_strv_ char **filters = NULL;
        const char *format = NULL;
        bool quiet = false, no_trunc = false;
        cell_error_t err = {0};
        json_t *list = NULL, *rows, *rec;
        size_t i;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("network ls", p.errbuf);
                if (id == 1)
                        quiet = !p.value;
                else if (id == 2)
                        strv_push(&filters, p.value);
                else if (id == 3)
                        format = p.value;
                else if (id == 4)
                        no_trunc = !p.value;
        }
        if (p.index < argc) {
                fprintf(stderr, "\"cell network ls\" accepts no arguments.\n");
                return 1;
        }
        if (engine_network_list(e, &list, &err) < 0)
                return cli_daemon_error(&err);
        rows = json_array();
        json_array_foreach(list, i, rec)
        {
                bool keep = false;

                if (ls_match(rec, filters, &keep, &err) < 0) {
                        rc = cli_daemon_error(&err);
                        break;
                }
                if (keep)
                        json_array_append_new(rows, ls_row(rec, no_trunc));
        }
        if (rc == 0 && print_rows(rows, format, quiet, &err) < 0)
                rc = cli_flag_error("network ls", err.msg);
        json_decref(rows);
        json_decref(list);
        return rc;
}

/* ---- network inspect ---- */

/* OBJ's KEYS first, in that order, then the rest (a new object). */
static json_t *keys_first(json_t *obj, const char *const *keys, size_t n)
{
        json_t *out = json_object(), *v;
        const char *k;

        for (size_t i = 0; i < n; i++)
                if ((v = json_object_get(obj, keys[i])))
                        json_object_set(out, keys[i], v);
        json_object_foreach(obj, k, v) if (!json_object_get(out, k)) json_object_set(out, k, v);
        return out;
}

/* The record with its keys in docker's order (the store's are sorted). */
static json_t *docker_order(json_t *rec)
{
        static const char *const keys[] = {"Name",       "Id",         "Created",    "Scope",      "Driver",
                                           "EnableIPv6", "IPAM",       "Internal",   "Attachable", "Ingress",
                                           "ConfigFrom", "ConfigOnly", "Containers", "Options",    "Labels"};
        static const char *const ipam_keys[] = {"Driver", "Options", "Config"};
        static const char *const cfg_keys[] = {"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"};
        json_t *out = keys_first(rec, keys, ARRAY_SIZE(keys)), *ipam = json_object_get(rec, "IPAM"), *cfgs,
               *cfg;
        size_t i;

        if (json_is_object(ipam)) {
                json_t *o = keys_first(ipam, ipam_keys, ARRAY_SIZE(ipam_keys));

                cfgs = json_array();
                json_array_foreach(json_object_get(ipam, "Config"), i, cfg) json_array_append_new(
                        cfgs, json_is_object(cfg) ? keys_first(cfg, cfg_keys, ARRAY_SIZE(cfg_keys))
                                                  : json_incref(cfg));
                if (json_is_array(json_object_get(ipam, "Config")))
                        json_object_set_new(o, "Config", cfgs);
                else
                        json_decref(cfgs);
                json_object_set_new(out, "IPAM", o);
        }
        return out;
}

static int network_inspect(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"format", 'f', true, 1},
                {"verbose", 'v', false, 2},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        const char *format = NULL;
        cell_error_t err = {0};
        json_t *all;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("network inspect", p.errbuf);
                if (id == 1)
                        format = p.value;
        }
        if (p.index >= argc) {
                fprintf(stderr, "\"cell network inspect\" requires at least 1 argument.\n");
                return 1;
        }
        all = json_array();
        for (int i = p.index; i < argc; i++) {
                json_t *rec = NULL;

                cell_error_clear(&err);
                if (engine_network_inspect(e, argv[i], &rec, &err) < 0) {
                        if (err.code == ENOENT)
                                fprintf(stderr, "Error: No such network: %s\n", argv[i]);
                        else
                                cli_daemon_error(&err);
                        rc = 1;
                        continue;
                }
                json_array_append_new(all, docker_order(rec));
                json_decref(rec);
        }
        if (cli_print_inspect(all, format, &err) < 0)
                rc = cli_flag_error("network inspect", err.msg);
        json_decref(all);
        return rc;
}

/* ---- network rm ---- */

static int network_rm(engine_t *e, int argc, char **argv)
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
                        return cli_flag_error("network rm", p.errbuf);
                if (id == 1)
                        force = !p.value;
        }
        if (p.index >= argc) {
                fprintf(stderr, "\"cell network rm\" requires at least 1 argument.\n");
                return 1;
        }
        for (int i = p.index; i < argc; i++) {
                cell_error_t err = {0};

                if (engine_network_remove(e, argv[i], &err) == 0) {
                        printf("%s\n", argv[i]);
                        continue;
                }
                /* -f (docker 23's): a network that is not there is no
                 * error. */
                if (err.code == ENOENT) {
                        if (!force) {
                                fprintf(stderr, "Error: No such network: %s\n", argv[i]);
                                rc = 1;
                        }
                        continue;
                }
                rc = cli_daemon_error(&err);
        }
        return rc;
}

/* ---- network connect, disconnect ---- */

static int network_connect(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"alias", 0, true, 1},         {"ip", 0, true, 2},
                {"ip6", 0, true, 3},           {"link", 0, true, 4},
                {"link-local-ip", 0, true, 5}, {"driver-opt", 0, true, 6},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        json_t *aliases = json_array(), *endpoint;
        const char *ip = NULL;
        cell_error_t err = {0};
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0 && rc == 0) {
                if (id < 0)
                        rc = cli_flag_error("network connect", p.errbuf);
                else if (id == 1)
                        json_array_append_new(aliases, json_string(p.value));
                else if (id == 2)
                        ip = p.value;
                else if (id == 3 || id == 4 || id == 5)
                        rc = cli_flag_error("network connect",
                                            id == 3   ? "--ip6: IPv6 is not supported"
                                            : id == 4 ? "--link is not supported (user networks resolve "
                                                        "container names)"
                                                      : "--link-local-ip is not supported");
        }
        if (rc == 0 && p.index + 2 != argc) {
                fprintf(stderr, "\"cell network connect\" requires exactly 2 arguments.\n"
                                "See 'cell network connect --help'.\n\n"
                                "Usage:  cell network connect [OPTIONS] NETWORK CONTAINER\n\n"
                                "Connect a container to a network\n");
                rc = 1;
        }
        if (rc != 0) {
                json_decref(aliases);
                return rc;
        }
        endpoint = json_pack("{s:o}", "Aliases", aliases);
        if (ip)
                json_object_set_new(endpoint, "IPAMConfig", json_pack("{s:s}", "IPv4Address", ip));
        if (engine_network_connect(e, argv[p.index], argv[p.index + 1], endpoint, &err) < 0)
                rc = cli_daemon_error(&err);
        json_decref(endpoint);
        return rc;
}

static int network_disconnect(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        bool force = false;
        cell_error_t err = {0};
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("network disconnect", p.errbuf);
                if (id == 1)
                        force = !p.value;
        }
        if (p.index + 2 != argc) {
                fprintf(stderr, "\"cell network disconnect\" requires exactly 2 arguments.\n"
                                "See 'cell network disconnect --help'.\n\n"
                                "Usage:  cell network disconnect [OPTIONS] NETWORK CONTAINER\n\n"
                                "Disconnect a container from a network\n");
                return 1;
        }
        if (engine_network_disconnect(e, argv[p.index], argv[p.index + 1], force, &err) < 0)
                return cli_daemon_error(&err);
        return 0;
}

/* ---- network prune ---- */

int cli_prune_networks(engine_t *e, bool *ret_any, cell_error_t *err)
{
        _cleanup_strv_ char **removed = NULL;

        *ret_any = false;
        if (engine_network_prune(e, &removed, err) < 0)
                return -1;
        for (size_t i = 0; removed && removed[i]; i++) {
                if (i == 0)
                        printf("Deleted Networks:\n");
                printf("%s\n", removed[i]);
                *ret_any = true;
        }
        return 0;
}

static int network_prune(engine_t *e, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, 1},
                {"filter", 0, true, 2},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        bool force = false, any = false;
        cell_error_t err = {0};
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0)
                        return cli_flag_error("network prune", p.errbuf);
                if (id == 1)
                        force = !p.value;
                else if (id == 2)
                        return cli_flag_error("network prune", "--filter is not supported yet");
        }
        if (p.index < argc) {
                fprintf(stderr, "\"cell network prune\" accepts no arguments.\n");
                return 1;
        }
        if (!force && !cli_confirm("WARNING! This will remove all custom networks not used by at least one "
                                   "container."))
                return 0;
        if (cli_prune_networks(e, &any, &err) < 0)
                return cli_daemon_error(&err);
        /* docker prints the block with Println: a blank line after it. */
        if (any)
                printf("\n");
        return 0;
}

/* ---- network ---- */

int cmd_engine_network(const cli_global_t *g, int argc, char **argv);
int cmd_engine_network(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        const char *sub = argc > 1 ? argv[1] : NULL;

        if (!sub) {
                fprintf(stderr, "cell network: a subcommand is needed (create, ls, inspect, rm, connect, "
                                "disconnect, prune)\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0)
                return cli_daemon_error(&err);
        if (str_eq(sub, "create"))
                return network_create(e, argc - 1, argv + 1);
        if (str_eq(sub, "ls") || str_eq(sub, "list"))
                return network_ls(e, argc - 1, argv + 1);
        if (str_eq(sub, "inspect"))
                return network_inspect(e, argc - 1, argv + 1);
        if (str_eq(sub, "rm") || str_eq(sub, "remove"))
                return network_rm(e, argc - 1, argv + 1);
        if (str_eq(sub, "connect"))
                return network_connect(e, argc - 1, argv + 1);
        if (str_eq(sub, "disconnect"))
                return network_disconnect(e, argc - 1, argv + 1);
        if (str_eq(sub, "prune"))
                return network_prune(e, argc - 1, argv + 1);
        fprintf(stderr, "cell network: unknown command \"%s\"\n", sub);
        return 1;
}

/* ---- published ports: ps's PORTS, port's lines ---- */

typedef struct port_entry {
        unsigned priv;
        unsigned pub; /* 0: not published */
        char proto[8];
        const char *ip; /* "" when not published */
} port_entry_t;

/* NetworkSettings.Ports ({"80/tcp": [{"HostIp", "HostPort"}] or null)
 * as docker's API lists them: one entry per binding, one for a port
 * exposed and not published. */
static size_t port_entries(json_t *ports, port_entry_t **ret)
{
        port_entry_t *v = calloc(1, sizeof(*v));
        size_t n = 0, cap = 1;
        const char *key;
        json_t *list;

        json_object_foreach(ports, key, list)
        {
                char proto[8] = "tcp";
                unsigned long priv = strtoul(key, NULL, 10);
                const char *slash = strchr(key, '/');
                size_t nb = json_is_array(list) && json_array_size(list) > 0 ? json_array_size(list) : 1;

                if (slash)
                        str_copy(proto, sizeof(proto), slash + 1);
                for (size_t b = 0; b < nb && v; b++) {
                        json_t *bind = json_is_array(list) ? json_array_get(list, b) : NULL;

                        if (n == cap) {
                                port_entry_t *nv = reallocarray(v, cap * 2, sizeof(*v));

                                if (!nv)
                                        break;
                                v = nv;
                                cap *= 2;
                        }
                        v[n] = (port_entry_t){.priv = (unsigned)priv};
                        str_copy(v[n].proto, sizeof(v[n].proto), proto);
                        v[n].ip = bind ? (jstr(bind, "HostIp") ? jstr(bind, "HostIp") : "") : "";
                        v[n].pub = bind && jstr(bind, "HostPort")
                                           ? (unsigned)strtoul(jstr(bind, "HostPort"), NULL, 10)
                                           : 0;
                        n++;
                }
        }
        *ret = v;
        return v ? n : 0;
}

static int cmp_port(const void *a, const void *b)
{
        const port_entry_t *x = a, *y = b;
        int c;

        if (x->priv != y->priv)
                return x->priv < y->priv ? -1 : 1;
        if ((c = strcmp(x->ip, y->ip)) != 0)
                return c;
        if (x->pub != y->pub)
                return x->pub < y->pub ? -1 : 1;
        return strcmp(x->proto, y->proto);
}

typedef struct port_group {
        char key[80]; /* "tcp" or "0.0.0.0/tcp" */
        unsigned first, last;
} port_group_t;

static char *group_text(const port_group_t *g)
{
        const char *slash = strchr(g->key, '/');
        _cleanup_free_ char *range =
                g->first == g->last ? str_printf("%u", g->first) : str_printf("%u-%u", g->first, g->last);

        if (!range)
                return NULL;
        if (!slash)
                return str_printf("%s/%s", range, g->key);
        return str_printf("%.*s:%s->%s/%s", (int)(slash - g->key), g->key, range, range, slash + 1);
}

/* docker ps's PORTS: ports sorted (private port, host address, public
 * port, protocol); runs of consecutive ports with the same address and
 * protocol, published on the same numbers or not at all, as one range
 * ("0.0.0.0:80-81->80-81/tcp", "443/tcp"); a port published on another
 * number alone and last ("0.0.0.0:8080->80/tcp"). */
char *cli_ports_string(json_t *ports)
{
        _cleanup_free_ port_entry_t *v = NULL;
        _cleanup_free_ port_group_t *groups = NULL;
        _cleanup_strv_ char **done = NULL, **mapped = NULL;
        size_t n = port_entries(ports, &v), ng = 0;

        if (n == 0)
                return strdup("");
        qsort(v, n, sizeof(*v), cmp_port);
        groups = calloc(n, sizeof(*groups));
        if (!groups)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char key[80];
                size_t g;

                if (*v[i].ip && v[i].pub != v[i].priv) {
                        bool v6 = strchr(v[i].ip, ':') != NULL;
                        _cleanup_free_ char *m = str_printf("%s%s%s:%u->%u/%s", v6 ? "[" : "", v[i].ip,
                                                            v6 ? "]" : "", v[i].pub, v[i].priv, v[i].proto);

                        if (m)
                                strv_push(&mapped, m);
                        continue;
                }
                if (*v[i].ip)
                        snprintf(key, sizeof(key), "%s/%s", v[i].ip, v[i].proto);
                else
                        str_copy(key, sizeof(key), v[i].proto);
                for (g = 0; g < ng && !str_eq(groups[g].key, key); g++)
                        ;
                if (g == ng) {
                        str_copy(groups[ng].key, sizeof(groups[ng].key), key);
                        groups[ng].first = groups[ng].last = v[i].priv;
                        ng++;
                        continue;
                }
                if (v[i].priv == groups[g].last + 1) {
                        groups[g].last = v[i].priv;
                        continue;
                }
                {
                        _cleanup_free_ char *t = group_text(&groups[g]);

                        if (t)
                                strv_push(&done, t);
                }
                groups[g].first = groups[g].last = v[i].priv;
        }
        for (size_t g = 0; g < ng; g++) {
                _cleanup_free_ char *t = group_text(&groups[g]);

                if (t)
                        strv_push(&done, t);
        }
        for (size_t i = 0; mapped && mapped[i]; i++)
                strv_push(&done, mapped[i]);
        return done ? strv_join(done, ", ") : strdup("");
}

/* docker port's lines ("80/tcp -> 0.0.0.0:8080"), in the sort order of
 * cli_ports_string; PORT ("80", "80/udp"): only its bindings
 * ("0.0.0.0:8080"). -ENOENT when PORT has none. */
int cli_port_lines(json_t *ports, const char *port, char ***ret)
{
        _cleanup_free_ port_entry_t *v = NULL;
        size_t n = port_entries(ports, &v);
        unsigned long want = 0;
        const char *want_proto = "tcp";
        char **lines = NULL;

        if (port) {
                const char *slash = strchr(port, '/');
                char *end;

                want = strtoul(port, &end, 10);
                if (end == port || (*end && *end != '/'))
                        return -EINVAL;
                if (slash && slash[1])
                        want_proto = slash + 1;
        }
        qsort(v, n, sizeof(*v), cmp_port);
        for (size_t i = 0; i < n; i++) {
                bool v6 = strchr(v[i].ip, ':') != NULL;
                _cleanup_free_ char *hostport = NULL, *line = NULL;

                if (!*v[i].ip && !v[i].pub)
                        continue;
                if (port && (v[i].priv != want || !str_eq(v[i].proto, want_proto)))
                        continue;
                hostport = str_printf("%s%s%s:%u", v6 ? "[" : "", v[i].ip, v6 ? "]" : "", v[i].pub);
                line = port ? strdup(hostport ? hostport : "")
                            : str_printf("%u/%s -> %s", v[i].priv, v[i].proto, hostport ? hostport : "");
                if (line)
                        strv_push(&lines, line);
        }
        *ret = lines;
        return port && !lines ? -ENOENT : 0;
}
