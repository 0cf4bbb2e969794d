/* cell: the engine's commands that look at containers or reach into them:
 * ps, logs, inspect, exec, rename, diff — Docker's flags and output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "dockeropt.h"
#include "envfile.h"
#include "fsutil.h"
#include "layers.h"
#include "lifecycle.h"
#include "passwd.h"
#include "rootfs.h"
#include "runtime.h"
#include "spec.h"
#include "strutil.h"
#include "specgen.h"
#include "image_cmds.h"
#include "template.h"
#include "units.h"

static int fail(const char *cmd, const cell_error_t *err, int code)
{
        fprintf(stderr, "cell %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
        return code;
}

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* ---- ps ---- */

static char *ago(const char *rfc3339)
{
        int64_t t = 0;
        int64_t secs;
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        if (engine_time_parse(rfc3339, &t) < 0)
                return strdup("");
        secs = now.tv_sec - t / 1000000000LL;
        if (secs < 1)
                return strdup("Less than a second ago");
        if (secs == 1)
                return strdup("1 second ago");
        if (secs < 60)
                return str_printf("%lld seconds ago", (long long)secs);
        if (secs < 120)
                return strdup("About a minute ago");
        if (secs < 3600)
                return str_printf("%lld minutes ago", (long long)(secs / 60));
        if (secs < 7200)
                return strdup("About an hour ago");
        if (secs < 48 * 3600)
                return str_printf("%lld hours ago", (long long)(secs / 3600));
        return str_printf("%lld days ago", (long long)(secs / 86400));
}

/* "sh -c 'x'" as docker's ps shows it: quoted, cut to 20 runes with "…". */
static char *command_of(json_t *rec, bool no_trunc)
{
        _cleanup_free_ char *cmd = NULL;
        size_t len = 0, i;
        json_t *v;

        cmd = strdup(jstr(rec, "Path") ? jstr(rec, "Path") : "");
        /* An argument with a blank in single quotes, as docker's daemon
         * joins them (daemon/list.go). */
        json_array_foreach(json_object_get(rec, "Args"), i, v)
        {
                const char *a = json_string_value(v) ? json_string_value(v) : "";
                char *n = str_printf(strchr(a, ' ') ? "%s '%s'" : "%s %s", cmd ? cmd : "", a);

                free(cmd);
                cmd = n;
        }
        if (!cmd)
                return NULL;
        len = strlen(cmd);
        if (!no_trunc && len > 20) {
                /* 19 characters then "…" (UTF-8); an ASCII command is the
                 * common case, so bytes stand for runes. */
                char *t = str_printf("\"%.19s…\"", cmd);

                return t;
        }
        return str_printf("\"%s\"", cmd);
}

/* docker ps's .Mounts: each mount's volume name, or its source for a bind,
 * cut to 15 runes with "…" unless --no-trunc; joined with ",". */
static char *mounts_of(json_t *rec, bool no_trunc)
{
        char *out = strdup("");
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(rec, "Mounts"), i, m)
        {
                const char *name = jstr(m, "Name") && *jstr(m, "Name") ? jstr(m, "Name") : jstr(m, "Source");
                char *n;

                if (!out)
                        return NULL;
                if (!name)
                        name = "";
                if (!no_trunc && strlen(name) > 15)
                        n = str_printf("%s%s%.14s…", out, *out ? "," : "", name);
                else
                        n = str_printf("%s%s%s", out, *out ? "," : "", name);
                free(out);
                out = n;
        }
        return out;
}

static json_t *ps_row(engine_t *e, json_t *rec, bool no_trunc)
{
        _cleanup_free_ char *status = engine_status_line(rec), *cmd = command_of(rec, no_trunc),
                            *running_for = ago(jstr(rec, "Created")), *mounts = mounts_of(rec, no_trunc);
        const char *id = jstr(rec, "Id"), *name = jstr(rec, "Name");
        json_t *labels = json_object_get(json_object_get(rec, "Config"), "Labels");
        _cleanup_free_ char *label_str = NULL, *created = NULL, *networks = NULL;
        json_t *settings = json_object_get(rec, "NetworkSettings");
        _cleanup_free_ char *ports = cli_ports_string(json_object_get(settings, "Ports"));
        _cleanup_strv_ char **net_names = NULL;
        const char *k;
        json_t *v;

        /* docker's .Networks: the names, sorted, joined with ",". */
        json_object_foreach(json_object_get(settings, "Networks"), k, v) strv_push(&net_names, k);
        strv_sort(net_names, strv_length(net_names));
        networks = net_names ? strv_join(net_names, ",") : strdup("");

        label_str = strdup("");
        json_object_foreach(labels, k, v)
        {
                char *n = str_printf("%s%s%s=%s", label_str, label_str[0] ? "," : "", k,
                                     json_string_value(v) ? json_string_value(v) : "");

                free(label_str);
                label_str = n;
                if (!label_str)
                        return NULL;
        }
        {
                int64_t t = 0;
                time_t secs;
                struct tm tm;
                char buf[64];

                engine_time_parse(jstr(rec, "Created"), &t);
                secs = (time_t)(t / 1000000000LL);
                localtime_r(&secs, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
                created = strdup(buf);
        }
        return json_pack(
                "{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id ? id : "",
                no_trunc ? (size_t)64 : (size_t)12, "Image",
                jstr(json_object_get(rec, "Config"), "Image") ? jstr(json_object_get(rec, "Config"), "Image")
                                                              : "",
                "Command", cmd ? cmd : "", "CreatedAt", created ? created : "", "RunningFor",
                running_for ? running_for : "", "Ports", ports ? ports : "", "Status", status ? status : "",
                "State",
                jstr(json_object_get(rec, "State"), "Status") ? jstr(json_object_get(rec, "State"), "Status")
                                                              : "",
                "Names", name ? (name[0] == '/' ? name + 1 : name) : "", "Labels", label_str ? label_str : "",
                "Mounts", mounts ? mounts : "", "Networks", networks ? networks : "");
}

static bool filter_match(json_t *rec, json_t *row, char *const *filters)
{
        for (size_t i = 0; filters && filters[i]; i++) {
                const char *f = filters[i], *eq = strchr(f, '=');
                const char *val = eq ? eq + 1 : "";
                size_t klen = eq ? (size_t)(eq - f) : strlen(f);

                if (strncmp(f, "status", klen) == 0 && klen == 6) {
                        if (!str_eq(jstr(row, "State"), val))
                                return false;
                } else if (strncmp(f, "name", klen) == 0 && klen == 4) {
                        if (!strstr(jstr(row, "Names"), val))
                                return false;
                } else if (strncmp(f, "id", klen) == 0 && klen == 2) {
                        if (!str_has_prefix(jstr(rec, "Id"), val))
                                return false;
                } else if (strncmp(f, "exited", klen) == 0 && klen == 6) {
                        json_t *s = json_object_get(rec, "State");

                        if (!str_eq(jstr(s, "Status"), "exited") ||
                            json_integer_value(json_object_get(s, "ExitCode")) != strtol(val, NULL, 10))
                                return false;
                } else if (strncmp(f, "label", klen) == 0 && klen == 5) {
                        json_t *labels = json_object_get(json_object_get(rec, "Config"), "Labels");
                        const char *leq = strchr(val, '=');
                        _cleanup_free_ char *key = leq ? strndup(val, (size_t)(leq - val)) : strdup(val);
                        json_t *lv = key ? json_object_get(labels, key) : NULL;

                        if (!lv || (leq && !str_eq(json_string_value(lv), leq + 1)))
                                return false;
                } else if (strncmp(f, "ancestor", klen) == 0 && klen == 8) {
                        if (!str_eq(jstr(json_object_get(rec, "Config"), "Image"), val) &&
                            !str_has_prefix(jstr(rec, "Image"), val))
                                return false;
                }
        }
        return true;
}

static size_t utf8_width(const char *s, size_t n)
{
        size_t w = 0;

        for (size_t i = 0; i < n; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        w++;
        return w;
}

/* The text after a line's last tab is not padded. */
void cli_print_tabbed(char *const *lines)
{
        size_t width[32] = {0};

        for (size_t l = 0; lines && lines[l]; l++) {
                const char *p = lines[l], *t;

                for (size_t c = 0; (t = strchr(p, '\t')) && c < ARRAY_SIZE(width); c++, p = t + 1) {
                        size_t w = utf8_width(p, (size_t)(t - p)) + 3;

                        if (w < 10)
                                w = 10;
                        if (w > width[c])
                                width[c] = w;
                }
        }
        for (size_t l = 0; lines && lines[l]; l++) {
                const char *p = lines[l], *t;
                size_t c;

                for (c = 0; (t = strchr(p, '\t')) && c < ARRAY_SIZE(width); c++, p = t + 1) {
                        size_t w = utf8_width(p, (size_t)(t - p));

                        printf("%.*s%*s", (int)(t - p), p, (int)(width[c] - w), "");
                }
                printf("%s\n", p);
        }
}

static void print_table(json_t *rows, const char *const *cols, const char *const *heads, size_t ncols)
{
        _cleanup_strv_ char **lines = NULL;
        _cleanup_free_ char *head = strdup("");
        size_t i;
        json_t *row;

        for (size_t c = 0; c < ncols && head; c++) {
                char *n = str_printf("%s%s%s", head, heads[c], c + 1 < ncols ? "\t" : "");

                free(head);
                head = n;
        }
        strv_push(&lines, head ? head : "");
        json_array_foreach(rows, i, row)
        {
                _cleanup_free_ char *line = strdup("");

                for (size_t c = 0; c < ncols && line; c++) {
                        const char *v = jstr(row, cols[c]) ? jstr(row, cols[c]) : "";
                        char *n = str_printf("%s%s%s", line, v, c + 1 < ncols ? "\t" : "");

                        free(line);
                        line = n;
                }
                strv_push(&lines, line ? line : "");
        }
        cli_print_tabbed(lines);
}

/* --format "table ...": a header from the same template over the columns'
 * names, then a line per row, aligned at the tabs. */
static int print_custom_table(json_t *rows, const char *format, cell_error_t *err)
{
        static const char *const fields[][2] = {
                {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
                {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
                {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
                {"Status", "STATUS"},      {"State", "STATE"},
                {"Size", "SIZE"},          {"Names", "NAMES"},
                {"Labels", "LABELS"},      {"Mounts", "MOUNTS"},
                {"Networks", "NETWORKS"},  {"LocalVolumes", "LOCAL VOLUMES"},
        };
        json_t *heads = json_object();

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
                json_object_set_new(heads, fields[i][0], json_string(fields[i][1]));
        return cli_print_table(rows, format + strlen("table"), heads, err);
}

int cli_print_table(json_t *rows, const char *body, json_t *heads, cell_error_t *err)
{
        _cleanup_strv_ char **lines = NULL;
        json_t *row;
        size_t i;

        while (*body == ' ')
                body++;
        {
                _cleanup_free_ char *h = cli_template_render(body, heads, err);

                json_decref(heads);
                if (!h)
                        return -1;
                strv_push(&lines, h);
        }
        json_array_foreach(rows, i, row)
        {
                _cleanup_free_ char *out = cli_template_render(body, row, err);

                if (!out)
                        return -1;
                strv_push(&lines, out);
        }
        cli_print_tabbed(lines);
        return 0;
}

int cmd_engine_ps(const cli_global_t *g, int argc, char **argv);
int cmd_engine_ps(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"all", 'a', false, 1},    {"quiet", 'q', false, 2}, {"no-trunc", 0, false, 3},
                {"filter", 'f', true, 4},  {"format", 0, true, 5},   {"size", 's', false, 6},
                {"latest", 'l', false, 7}, {"last", 'n', true, 8},   {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **ids = NULL, **filters = NULL;
        const char *format = NULL;
        bool all = false, quiet = false, no_trunc = false;
        long last = -1;
        cell_error_t err = {0};
        json_t *rows = json_array();
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        json_decref(rows);
                        fprintf(stderr, "cell ps: %s\n", p.errbuf);
                        return 125;
                case 1:
                        all = !p.value;
                        break;
                case 2:
                        quiet = !p.value;
                        break;
                case 3:
                        no_trunc = !p.value;
                        break;
                case 4:
                        strv_push(&filters, p.value);
                        break;
                case 5:
                        format = p.value;
                        break;
                case 7:
                        last = 1;
                        all = true;
                        break;
                case 8:
                        str_to_long(p.value, 0, 1 << 30, &last);
                        all = true;
                        break;
                default:
                        break;
                }
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_list(e, &ids, &err) < 0) {
                json_decref(rows);
                return fail("ps", &err, 1);
        }
        /* before=C and since=C: created before or after container C. */
        int64_t before_ns = 0, since_ns = 0;

        for (size_t i = 0; filters && filters[i]; i++) {
                bool before = str_has_prefix(filters[i], "before="),
                     since = str_has_prefix(filters[i], "since=");
                char rid[ENGINE_ID_LEN + 1];
                json_t *ref = NULL;
                int64_t t = 0;

                if (!before && !since)
                        continue;
                if (engine_container_find(e, strchr(filters[i], '=') + 1, rid, &err) < 0 ||
                    engine_inspect(e, rid, &ref, &err) < 0) {
                        json_decref(rows);
                        fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                        return 1;
                }
                engine_time_parse(jstr(ref, "Created"), &t);
                json_decref(ref);
                if (before)
                        before_ns = t;
                else
                        since_ns = t;
        }
        for (size_t i = 0; ids[i] && (last < 0 || (long)json_array_size(rows) < last); i++) {
                json_t *rec = NULL, *row;
                bool running;

                if (engine_inspect(e, ids[i], &rec, NULL) < 0)
                        continue;
                if (before_ns || since_ns) {
                        int64_t t = 0;

                        engine_time_parse(jstr(rec, "Created"), &t);
                        if ((before_ns && t >= before_ns) || (since_ns && t <= since_ns)) {
                                json_decref(rec);
                                continue;
                        }
                }
                running = json_is_true(json_object_get(json_object_get(rec, "State"), "Running"));
                row = ps_row(e, rec, no_trunc);
                if (row && (all || running || (filters && strstr(filters[0], "status"))) &&
                    filter_match(rec, row, filters))
                        json_array_append(rows, row);
                json_decref(row);
                json_decref(rec);
        }
        if (quiet) {
                size_t i;
                json_t *row;

                json_array_foreach(rows, i, row) printf("%s\n", jstr(row, "ID"));
        } else if (format && !str_has_prefix(format, "table")) {
                size_t i;
                json_t *row;

                json_array_foreach(rows, i, row)
                {
                        _cleanup_free_ char *out = str_eq(format, "json")
                                                           ? json_dumps(row, JSON_COMPACT)
                                                           : cli_template_render(format, row, &err);

                        if (!out) {
                                json_decref(rows);
                                return fail("ps", &err, 1);
                        }
                        printf("%s\n", out);
                }
        } else if (format && strcmp(format, "table") != 0) {
                if (print_custom_table(rows, format, &err) < 0) {
                        json_decref(rows);
                        return fail("ps", &err, 1);
                }
        } else {
                static const char *const cols[] = {"ID",     "Image", "Command", "RunningFor",
                                                   "Status", "Ports", "Names"};
                static const char *const heads[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                                    "STATUS",       "PORTS", "NAMES"};

                print_table(rows, cols, heads, ARRAY_SIZE(cols));
        }
        json_decref(rows);
        return 0;
}

/* ---- inspect ---- */

static json_t *public_record(json_t *rec)
{
        json_t *out = json_deep_copy(rec);

        /* The monitor's bookkeeping is not Docker's inspect. */
        json_object_del(out, "MonitorPid");
        json_object_del(out, "MonitorStart");
        json_object_del(out, "PidStart");
        json_object_del(out, "Foreground");
        json_object_del(json_object_get(out, "State"), "ManuallyStopped");
        return out;
}

int cmd_engine_inspect(const cli_global_t *g, int argc, char **argv);
int cmd_engine_inspect(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"format", 'f', true, 1},
                {"size", 's', false, 2},
                {"type", 0, true, 3},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        const char *format = NULL, *type = NULL;
        cell_error_t err = {0};
        json_t *all = json_array();
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0) {
                        json_decref(all);
                        fprintf(stderr, "cell inspect: %s\n", p.errbuf);
                        return 125;
                }
                if (id == 1)
                        format = p.value;
                else if (id == 3)
                        type = p.value;
        }
        if (p.index >= argc) {
                json_decref(all);
                fprintf(stderr, "cell inspect: \"cell inspect\" requires at least 1 argument.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0) {
                json_decref(all);
                return fail("inspect", &err, 1);
        }
        for (int i = p.index; i < argc; i++) {
                char cid[ENGINE_ID_LEN + 1];
                json_t *rec = NULL;

                cell_error_clear(&err);
                if (!str_eq(type, "image") && engine_container_find(e, argv[i], cid, NULL) == 0) {
                        if (engine_inspect(e, cid, &rec, &err) < 0) {
                                fprintf(stderr, "Error: %s\n", err.msg);
                                rc = 1;
                                continue;
                        }
                } else if (!str_eq(type, "container") && img_inspect_one(g, argv[i], &rec, NULL) == 0) {
                        /* docker inspect: a container, else an image. */
                        json_array_append_new(all, rec);
                        continue;
                } else {
                        if (type)
                                fprintf(stderr, "Error response from daemon: No such %s: %s\n", type,
                                        argv[i]);
                        else
                                fprintf(stderr, "Error: No such object: %s\n", argv[i]);
                        rc = 1;
                        continue;
                }
                json_array_append_new(all, public_record(rec));
                json_decref(rec);
        }
        if (cli_print_inspect(all, format, &err) < 0)
                rc = fail("inspect", &err, 1);
        json_decref(all);
        return rc;
}

/* ---- logs ---- */

typedef struct logs_opts {
        bool follow, timestamps;
        int64_t since, until; /* unix ns; 0: none */
        long tail;            /* -1: all */
} logs_opts_t;

static void logs_print_line(json_t *j, const logs_opts_t *o)
{
        const char *log = jstr(j, "log"), *stream = jstr(j, "stream"), *time = jstr(j, "time");
        FILE *f = str_eq(stream, "stderr") ? stderr : stdout;
        int64_t t = 0;

        if (!log)
                return;
        if ((o->since || o->until) && engine_time_parse(time, &t) == 0) {
                if (o->since && t < o->since)
                        return;
                if (o->until && t > o->until)
                        return;
        }
        if (o->timestamps)
                fprintf(f, "%s ", time ? time : "");
        fwrite(log, 1, json_string_length(json_object_get(j, "log")), f);
        fflush(f);
}

static bool container_running(engine_t *e, const char *id)
{
        json_t *rec = NULL;
        bool r;

        if (engine_inspect(e, id, &rec, NULL) < 0)
                return false;
        r = json_is_true(json_object_get(json_object_get(rec, "State"), "Running")) ||
            json_is_true(json_object_get(json_object_get(rec, "State"), "Restarting"));
        json_decref(rec);
        return r;
}

int cmd_engine_logs(const cli_global_t *g, int argc, char **argv);
int cmd_engine_logs(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"follow", 'f', false, 1}, {"timestamps", 't', false, 2}, {"since", 0, true, 3},
                {"until", 0, true, 4},     {"tail", 'n', true, 5},        {"details", 0, false, 6},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        logs_opts_t o = {.tail = -1};
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        json_t *rec = NULL, *lines = json_array();
        char *line = NULL;
        size_t cap = 0;
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        json_decref(lines);
                        fprintf(stderr, "cell logs: %s\n", p.errbuf);
                        return 125;
                case 1:
                        o.follow = !p.value;
                        break;
                case 2:
                        o.timestamps = !p.value;
                        break;
                case 3:
                case 4:
                        if (engine_parse_timestamp(p.value, time(NULL), id == 3 ? &o.since : &o.until, &err) <
                            0) {
                                json_decref(lines);
                                return fail("logs", &err, 1);
                        }
                        break;
                case 5:
                        if (str_eq(p.value, "all"))
                                o.tail = -1;
                        else if (str_to_long(p.value, -1, 1L << 40, &o.tail) < 0) {
                                json_decref(lines);
                                fprintf(stderr, "cell logs: invalid --tail \"%s\"\n", p.value);
                                return 1;
                        }
                        break;
                default:
                        break;
                }
        }
        if (p.index + 1 != argc) {
                json_decref(lines);
                fprintf(stderr, "cell logs: \"cell logs\" requires exactly 1 argument.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_find(e, argv[p.index], cid, &err) < 0 ||
            engine_inspect(e, cid, &rec, &err) < 0) {
                json_decref(lines);
                fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                return 1;
        }
        if (str_eq(jstr(json_object_get(json_object_get(rec, "HostConfig"), "LogConfig"), "Type"), "none")) {
                json_decref(rec);
                json_decref(lines);
                fprintf(stderr,
                        "Error response from daemon: configured logging driver does not support reading\n");
                return 1;
        }
        path = str_printf("%s", jstr(rec, "LogPath") ? jstr(rec, "LogPath") : "");
        json_decref(rec);
        f = path ? fopen(path, "re") : NULL;
        if (f) {
                ssize_t n;

                while ((n = getline(&line, &cap, f)) > 0) {
                        json_t *j = json_loadb(line, (size_t)n, 0, NULL);

                        if (j)
                                json_array_append_new(lines, j);
                }
        }
        {
                size_t total = json_array_size(lines), start = 0;

                if (o.tail >= 0 && (size_t)o.tail < total)
                        start = total - (size_t)o.tail;
                for (size_t i = start; i < total; i++)
                        logs_print_line(json_array_get(lines, i), &o);
        }
        json_decref(lines);
        while (o.follow) {
                struct timespec step = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
                bool running = container_running(e, cid);
                ssize_t n;

                if (!f && path)
                        f = fopen(path, "re");
                while (f && (n = getline(&line, &cap, f)) > 0) {
                        json_t *j = line[n - 1] == '\n' ? json_loadb(line, (size_t)n, 0, NULL) : NULL;

                        if (!j && line[n - 1] != '\n') {
                                /* A line being written: read it again whole. */
                                fseeko(f, -(off_t)n, SEEK_CUR);
                                break;
                        }
                        logs_print_line(j, &o);
                        json_decref(j);
                }
                if (f)
                        clearerr(f);
                if (!running)
                        break;
                nanosleep(&step, NULL);
        }
        free(line);
        return 0;
}

/* ---- exec ---- */

int cmd_engine_exec(const cli_global_t *g, int argc, char **argv);
int cmd_engine_exec(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"interactive", 'i', false, 1}, {"tty", 't', false, 2},   {"detach", 'd', false, 3},
                {"env", 'e', true, 4},          {"user", 'u', true, 5},   {"workdir", 'w', true, 6},
                {"privileged", 0, false, 7},    {"env-file", 0, true, 8}, {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **env = NULL, **args = NULL, **caps = NULL;
        _cleanup_free_ char *rootfs = NULL, *user_str = NULL;
        const char *user = NULL, *workdir = NULL;
        bool interactive = false, tty = false, detach = false, privileged = false;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        engine_user_t u = {0};
        json_t *rec = NULL;
        int id, status = 0, r;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        fprintf(stderr, "cell exec: %s\n", p.errbuf);
                        return 125;
                case 1:
                        interactive = !p.value;
                        break;
                case 2:
                        tty = !p.value;
                        break;
                case 3:
                        detach = !p.value;
                        break;
                case 4:
                        if (engine_env_merge(&env, p.value, &err) < 0)
                                return fail("exec", &err, 125);
                        break;
                case 5:
                        user = p.value;
                        break;
                case 6:
                        workdir = p.value;
                        break;
                case 7:
                        privileged = !p.value;
                        break;
                case 8: {
                        _cleanup_strv_ char **fenv = NULL;

                        if (engine_env_file_read(p.value, &fenv, &err) < 0)
                                return fail("exec", &err, 125);
                        for (size_t i = 0; fenv && fenv[i]; i++)
                                engine_env_merge(&env, fenv[i], &err);
                        break;
                }
                default:
                        break;
                }
        }
        if (p.index + 2 > argc) {
                fprintf(stderr, "cell exec: \"cell exec\" requires at least 2 arguments.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_find(e, argv[p.index], cid, &err) < 0 ||
            engine_inspect(e, cid, &rec, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                return 1;
        }
        if (!json_is_true(json_object_get(json_object_get(rec, "State"), "Running"))) {
                json_decref(rec);
                fprintf(stderr, "Error response from daemon: Container %s is not running\n", cid);
                return 1;
        }
        if (json_is_true(json_object_get(json_object_get(rec, "State"), "Paused"))) {
                json_decref(rec);
                fprintf(stderr,
                        "Error response from daemon: Container %s is paused, unpause the container before "
                        "exec\n",
                        cid);
                return 1;
        }
        if (!user)
                user = jstr(json_object_get(rec, "Config"), "User");
        /* The user is resolved in the container's own files, as for run. */
        {
                _cleanup_storage_ storage_t *st = NULL;
                _cleanup_close_ int rootfd = -1;

                if (storage_open(g->storage_root, &st, &err) < 0 ||
                    storage_rootfs_path(st, cid, &rootfs, &err) < 0) {
                        json_decref(rec);
                        return fail("exec", &err, 126);
                }
                rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0 || engine_user_resolve(rootfd, user ? user : "", &u, &err) < 0 ||
                    engine_user_groups_docker(rootfd,
                                              json_object_get(json_object_get(rec, "HostConfig"), "GroupAdd"),
                                              &u, &err) < 0) {
                        json_decref(rec);
                        engine_user_clear(&u);
                        if (rootfd < 0)
                                cell_error_errno(&err, "open %s", rootfs);
                        return fail("exec", &err, 126);
                }
        }
        user_str = str_printf("%u:%u", (unsigned)u.uid, (unsigned)u.gid);
        for (int i = p.index + 1; i < argc; i++)
                strv_push(&args, argv[i]);
        if (privileged) {
                for (int c = 0; c <= spec_cap_last(); c++)
                        if (spec_cap_name(c))
                                strv_push(&caps, spec_cap_name(c));
        }
        {
                int devnull = -1, saved = -1;
                runtime_exec_opts_t xo = {.root = e->runtime_root,
                                          .id = cid,
                                          .args = args,
                                          .env = env,
                                          .cwd = workdir,
                                          .user = user_str,
                                          .additional_gids = u.additional_gids,
                                          .n_additional_gids = u.n_additional_gids,
                                          .caps = caps,
                                          .tty = tty,
                                          .detach = detach};

                /* Without -i the process reads nothing, as docker's. */
                if (!interactive) {
                        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                        saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
                        if (devnull >= 0)
                                dup2(devnull, 0);
                }
                r = runtime_exec(&xo, &status, &err);
                if (saved >= 0) {
                        dup2(saved, 0);
                        close(saved);
                }
                if (devnull >= 0)
                        close(devnull);
        }
        engine_user_clear(&u);
        json_decref(rec);
        if (r < 0) {
                /* 126 for every process that could not start, a missing
                 * command too: docker's daemon sets an exec's exit code to
                 * 126 when its start fails (daemon/exec.go), unlike run's
                 * 127. */
                /* docker prints the runtime's refusal on stdout, in runc's
                 * words ("exec: \"x\": executable file not found in
                 * $PATH"), which scripts match: say it the same way (with
                 * its "\r\n", a line written for a terminal). */
                const char *q = strstr(err.msg, "exec \"");

                if (q && strstr(q, "executable file not found in $PATH")) {
                        const char *name = q + 6, *end = strchr(name, '"');

                        printf("OCI runtime exec failed: exec failed: unable to start container process: "
                               "exec: "
                               "\"%.*s\": executable file not found in $PATH: unknown\r\n",
                               end ? (int)(end - name) : 0, name);
                        return 126;
                }
                printf("OCI runtime exec failed: exec failed: unable to start container process: %s: "
                       "unknown\n",
                       err.msg);
                return 126;
        }
        return status;
}

/* ---- rename, diff ---- */

int cmd_engine_rename(const cli_global_t *g, int argc, char **argv);
int cmd_engine_rename(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];

        if (argc != 3) {
                fprintf(stderr, "cell rename: \"cell rename\" requires exactly 2 arguments.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_find(e, argv[1], cid, &err) < 0 ||
            engine_rename(e, cid, argv[2], &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                return 1;
        }
        return 0;
}

/* What docker's init layer holds (daemon/initlayer): the mount points and
 * files the runtime puts in every container. Docker diffs against that
 * layer, so they are never a container's change; /etc, their parent, only
 * when something else under it changed (then "C", the init layer has it). */
static const char *const init_layer_paths[] = {
        "/dev",        "/dev/pts",         "/dev/shm",   "/dev/console",  "/proc",     "/sys",
        "/.dockerenv", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/etc/mtab", NULL};

static bool in_init_layer(const char *path)
{
        for (size_t i = 0; init_layer_paths[i]; i++)
                if (strcmp(path, init_layer_paths[i]) == 0)
                        return true;
        return false;
}

static bool other_change_under(json_t *changes, const char *dir)
{
        size_t i, n = strlen(dir);
        json_t *c;

        json_array_foreach(changes, i, c)
        {
                const char *p = jstr(c, "Path") ? jstr(c, "Path") : "";

                if (strncmp(p, dir, n) == 0 && p[n] == '/' && !in_init_layer(p))
                        return true;
        }
        return false;
}

int cmd_engine_diff(const cli_global_t *g, int argc, char **argv);
int cmd_engine_diff(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        json_t *changes = NULL, *c;
        size_t i;

        if (argc != 2) {
                fprintf(stderr, "cell diff: \"cell diff\" requires exactly 1 argument.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || engine_container_find(e, argv[1], cid, &err) < 0 ||
            storage_open(g->storage_root, &st, &err) < 0 ||
            storage_rootfs_diff(st, cid, &changes, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", err.msg);
                return 1;
        }
        json_array_foreach(changes, i, c)
        {
                json_int_t kind = json_integer_value(json_object_get(c, "Kind"));
                const char *path = jstr(c, "Path") ? jstr(c, "Path") : "";

                if (kind != 2 && in_init_layer(path))
                        continue;
                if (kind != 2 && strcmp(path, "/etc") == 0) {
                        if (!other_change_under(changes, "/etc"))
                                continue;
                        kind = 0;
                }
                printf("%c %s\n", kind == 0 ? 'C' : kind == 1 ? 'A' : 'D', path);
        }
        json_decref(changes);
        return 0;
}
