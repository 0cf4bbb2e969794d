/* cell: the runc commands that act on a running container: exec, pause,
 * resume, update, ps, events. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "options.h"
#include "runtime.h"
#include "strutil.h"

enum {
        OPT_PROCESS = 1,
        OPT_TTY,
        OPT_CONSOLE_SOCKET,
        OPT_ENV,
        OPT_CWD,
        OPT_USER,
        OPT_ADDITIONAL_GIDS,
        OPT_CAP,
        OPT_NO_NEW_PRIVS,
        OPT_DETACH,
        OPT_PID_FILE,
        OPT_PRESERVE_FDS,
        OPT_IGNORE_PAUSED,
        OPT_IGNORED_VALUE,
        OPT_FORMAT,
        OPT_STATS,
        OPT_INTERVAL,
        OPT_RESOURCES,
        /* update's resource flags */
        OPT_BLKIO_WEIGHT,
        OPT_CPU_PERIOD,
        OPT_CPU_QUOTA,
        OPT_CPU_SHARE,
        OPT_CPU_RT_PERIOD,
        OPT_CPU_RT_RUNTIME,
        OPT_CPUSET_CPUS,
        OPT_CPUSET_MEMS,
        OPT_MEMORY,
        OPT_MEMORY_RESERVATION,
        OPT_MEMORY_SWAP,
        OPT_PIDS_LIMIT,
        OPT_KERNEL_MEMORY,
        OPT_CPU_IDLE,
};

static int one_id(const char *cmd, cli_parser_t *p, const char **ret)
{
        int n = p->argc - p->index;

        if (n < 1)
                return cli_usage_error(cmd, "missing container id");
        if (n > 1)
                return cli_usage_error(cmd, "unexpected argument \"%s\"", p->argv[p->index + 1]);
        *ret = p->argv[p->index];
        return 0;
}

int cmd_exec(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"process", 'p', true, OPT_PROCESS},
                {"tty", 't', false, OPT_TTY},
                {"console-socket", 0, true, OPT_CONSOLE_SOCKET},
                {"env", 'e', true, OPT_ENV},
                {"cwd", 0, true, OPT_CWD},
                {"user", 'u', true, OPT_USER},
                {"additional-gids", 'g', true, OPT_ADDITIONAL_GIDS},
                {"cap", 'c', true, OPT_CAP},
                {"no-new-privs", 0, false, OPT_NO_NEW_PRIVS},
                {"detach", 'd', false, OPT_DETACH},
                {"pid-file", 0, true, OPT_PID_FILE},
                {"preserve-fds", 0, true, OPT_PRESERVE_FDS},
                {"ignore-paused", 0, false, OPT_IGNORE_PAUSED},
                {"apparmor", 0, true, OPT_IGNORED_VALUE},
                {"process-label", 0, true, OPT_IGNORED_VALUE},
                {"cgroup", 0, true, OPT_IGNORED_VALUE},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        runtime_exec_opts_t o = {.root = g->root};
        _cleanup_strv_ char **env = NULL;
        _cleanup_strv_ char **caps = NULL;
        _cleanup_free_ gid_t *gids = NULL;
        cell_error_t err = {0};
        int id, status = 0;
        long n;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        return cli_usage_error("exec", "%s", p.errbuf);
                case OPT_PROCESS:
                        o.process_path = p.value;
                        break;
                case OPT_TTY:
                        o.tty = !p.value;
                        break;
                case OPT_CONSOLE_SOCKET:
                        o.console_socket = p.value;
                        break;
                case OPT_ENV:
                        if (strv_push(&env, p.value) < 0)
                                return 1;
                        break;
                case OPT_CWD:
                        o.cwd = p.value;
                        break;
                case OPT_USER:
                        o.user = p.value;
                        break;
                case OPT_ADDITIONAL_GIDS: {
                        gid_t *ng;
                        if (str_to_long(p.value, 0, UINT32_MAX - 1, &n) < 0)
                                return cli_usage_error(
                                        "exec", "--additional-gids: expected a number, not \"%s\"", p.value);
                        ng = realloc(gids, (o.n_additional_gids + 1) * sizeof(*gids));
                        if (!ng)
                                return 1;
                        gids = ng;
                        gids[o.n_additional_gids++] = (gid_t)n;
                        break;
                }
                case OPT_CAP:
                        if (strv_push(&caps, p.value) < 0)
                                return 1;
                        break;
                case OPT_NO_NEW_PRIVS:
                        o.no_new_privs = !p.value;
                        break;
                case OPT_DETACH:
                        o.detach = !p.value;
                        break;
                case OPT_PID_FILE:
                        o.pid_file = p.value;
                        break;
                case OPT_PRESERVE_FDS:
                        if (str_to_long(p.value, 0, 65536, &n) < 0)
                                return cli_usage_error(
                                        "exec", "--preserve-fds: expected a number, not \"%s\"", p.value);
                        o.preserve_fds = (int)n;
                        break;
                case OPT_IGNORE_PAUSED:
                        o.ignore_paused = !p.value;
                        break;
                case OPT_IGNORED_VALUE:
                        break; /* AppArmor / SELinux labels and sub-cgroups: not applied */
                default:
                        return 2;
                }
        }
        if (p.index >= argc)
                return cli_usage_error("exec", "missing container id");
        o.id = argv[p.index++];
        if (o.process_path && p.index < argc)
                return cli_usage_error("exec", "--process and a command line exclude each other");
        if (!o.process_path && p.index >= argc)
                return cli_usage_error("exec", "missing the command to run (or --process FILE)");
        o.args = argv + p.index;
        o.env = env;
        o.caps = caps;
        o.additional_gids = gids;
        if (runtime_exec(&o, &status, &err) < 0)
                return cli_fail("exec", &err);
        return status;
}

static int freeze_command(const cli_global_t *g, int argc, char **argv, bool pause)
{
        static const cli_option_t none[] = {{NULL, 0, false, 0}};
        const char *cmd = pause ? "pause" : "resume";
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        const char *id = NULL;

        if (cli_next_option(&p, none) < 0)
                return cli_usage_error(cmd, "%s", p.errbuf);
        if (one_id(cmd, &p, &id) != 0)
                return 2;
        if ((pause ? runtime_pause(g->root, id, &err) : runtime_resume(g->root, id, &err)) < 0)
                return cli_fail(cmd, &err);
        return 0;
}

int cmd_pause(const cli_global_t *g, int argc, char **argv)
{
        return freeze_command(g, argc, argv, true);
}

int cmd_resume(const cli_global_t *g, int argc, char **argv)
{
        return freeze_command(g, argc, argv, false);
}

/* "64m", "1g", "512" (bytes), "-1" (unlimited). */
static int parse_bytes(const char *s, long long *ret)
{
        char *end;
        long long v;
        long long mul = 1;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (*end) {
                switch (*end | 0x20) {
                case 'b':
                        break;
                case 'k':
                        mul = 1LL << 10;
                        break;
                case 'm':
                        mul = 1LL << 20;
                        break;
                case 'g':
                        mul = 1LL << 30;
                        break;
                case 't':
                        mul = 1LL << 40;
                        break;
                default:
                        return -EINVAL;
                }
                end++;
                if ((*end | 0x20) == 'b')
                        end++;
                if (*end)
                        return -EINVAL;
        }
        if (v > 0 && v > INT64_MAX / mul)
                return -ERANGE;
        *ret = v < 0 ? -1 : v * mul;
        return 0;
}

/* Set .section.key in the resources object. */
static int set_resource(json_t *res, const char *section, const char *key, json_t *v)
{
        json_t *s = json_object_get(res, section);

        if (!v)
                return -ENOMEM;
        if (!s) {
                s = json_object();
                json_object_set_new(res, section, s);
        }
        return json_object_set_new(s, key, v) < 0 ? -ENOMEM : 0;
}

int cmd_update(const cli_global_t *g, int argc, char **argv)
{
        static const struct {
                const char *name;
                int id;
                const char *section, *key;
                bool bytes, string;
        } flags[] = {
                {"blkio-weight", OPT_BLKIO_WEIGHT, "blockIO", "weight", false, false},
                {"cpu-period", OPT_CPU_PERIOD, "cpu", "period", false, false},
                {"cpu-quota", OPT_CPU_QUOTA, "cpu", "quota", false, false},
                {"cpu-share", OPT_CPU_SHARE, "cpu", "shares", false, false},
                {"cpu-rt-period", OPT_CPU_RT_PERIOD, "cpu", "realtimePeriod", false, false},
                {"cpu-rt-runtime", OPT_CPU_RT_RUNTIME, "cpu", "realtimeRuntime", false, false},
                {"cpu-idle", OPT_CPU_IDLE, "cpu", "idle", false, false},
                {"cpuset-cpus", OPT_CPUSET_CPUS, "cpu", "cpus", false, true},
                {"cpuset-mems", OPT_CPUSET_MEMS, "cpu", "mems", false, true},
                {"memory", OPT_MEMORY, "memory", "limit", true, false},
                {"memory-reservation", OPT_MEMORY_RESERVATION, "memory", "reservation", true, false},
                {"memory-swap", OPT_MEMORY_SWAP, "memory", "swap", true, false},
                {"kernel-memory", OPT_KERNEL_MEMORY, "memory", "kernel", true, false},
                {"pids-limit", OPT_PIDS_LIMIT, "pids", "limit", false, false},
        };
        cli_option_t opts[ARRAY_SIZE(flags) + 3];
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        const char *resources_path = NULL;
        const char *cid = NULL;
        json_t *res = json_object();
        bool any_flag = false;
        int id, r;

        if (!res)
                return 1;
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
                opts[i] = (cli_option_t){flags[i].name, 0, true, flags[i].id};
        opts[ARRAY_SIZE(flags)] = (cli_option_t){"resources", 'r', true, OPT_RESOURCES};
        opts[ARRAY_SIZE(flags) + 1] = (cli_option_t){"l3-cache-schema", 0, true, OPT_FORMAT};
        opts[ARRAY_SIZE(flags) + 2] = (cli_option_t){NULL, 0, false, 0};
        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0) {
                        json_decref(res);
                        return cli_usage_error("update", "%s", p.errbuf);
                }
                if (id == OPT_RESOURCES) {
                        resources_path = p.value;
                        continue;
                }
                if (id == OPT_FORMAT) {
                        json_decref(res);
                        return cli_usage_error("update", "--l3-cache-schema: Intel RDT is not supported");
                }
                for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                        long long v = 0;

                        if (flags[i].id != id)
                                continue;
                        any_flag = true;
                        if (flags[i].string) {
                                r = set_resource(res, flags[i].section, flags[i].key, json_string(p.value));
                        } else {
                                char *end;
                                if (flags[i].bytes) {
                                        r = parse_bytes(p.value, &v);
                                } else {
                                        errno = 0;
                                        v = strtoll(p.value, &end, 10);
                                        r = (errno || end == p.value || *end) ? -EINVAL : 0;
                                }
                                if (r < 0) {
                                        json_decref(res);
                                        return cli_usage_error("update",
                                                               "--%s: expected a number, not \"%s\"",
                                                               flags[i].name, p.value);
                                }
                                r = set_resource(res, flags[i].section, flags[i].key, json_integer(v));
                        }
                        if (r < 0) {
                                json_decref(res);
                                return 1;
                        }
                }
        }
        if (one_id("update", &p, &cid) != 0) {
                json_decref(res);
                return 2;
        }
        if (resources_path) {
                json_error_t jerr;
                json_t *file;

                if (any_flag) {
                        json_decref(res);
                        return cli_usage_error("update", "--resources and resource flags exclude each other");
                }
                file = strcmp(resources_path, "-") == 0 ? json_loadf(stdin, 0, &jerr)
                                                        : json_load_file(resources_path, 0, &jerr);
                if (!file) {
                        json_decref(res);
                        cell_error_set(&err, EINVAL, "--resources %s: line %d: %s", resources_path, jerr.line,
                                       jerr.text);
                        return cli_fail("update", &err);
                }
                json_decref(res);
                res = file;
        } else if (!any_flag) {
                json_decref(res);
                return cli_usage_error("update", "nothing to update (--resources FILE or resource flags)");
        }
        r = runtime_update(g->root, cid, res, &err);
        json_decref(res);
        if (r < 0)
                return cli_fail("update", &err);
        return 0;
}

static int print_compact(json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT);

        if (!s)
                return -1;
        puts(s);
        free(s);
        return fflush(stdout) == 0 ? 0 : -1;
}

int cmd_ps(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {{"format", 'f', true, OPT_FORMAT}, {NULL, 0, false, 0}};
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        _cleanup_free_ pid_t *pids = NULL;
        const char *format = "table";
        const char *cid;
        size_t n = 0;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("ps", "%s", p.errbuf);
                format = p.value;
        }
        if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
                return cli_usage_error("ps", "--format: expected table or json, not \"%s\"", format);
        if (p.index >= argc)
                return cli_usage_error("ps", "missing container id");
        cid = argv[p.index++];
        if (runtime_ps(g->root, cid, &pids, &n, &err) < 0)
                return cli_fail("ps", &err);
        if (strcmp(format, "json") == 0) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, json_integer(pids[i]));
                print_compact(arr);
                json_decref(arr);
                return 0;
        }
        if (p.index < argc && strcmp(format, "json") == 0)
                return cli_usage_error("ps", "ps options cannot be used with --format json");
        {
                /* Like runc: run ps (default -ef) and keep the header and the
                 * lines whose PID column is one of the container's. */
                _cleanup_strv_ char **args = NULL;
                _cleanup_free_ char *out = NULL;
                int pfd[2];
                pid_t child;
                int pid_col = -1, status = 0;
                char *line, *save = NULL;
                size_t len = 0, cap = 0;

                strv_push(&args, "ps");
                if (p.index >= argc)
                        strv_push(&args, "-ef");
                for (int i = p.index; i < argc; i++)
                        strv_push(&args, argv[i]);
                if (!args || pipe2(pfd, O_CLOEXEC) < 0)
                        return 1;
                child = fork();
                if (child == 0) {
                        dup2(pfd[1], 1);
                        execvp("ps", args);
                        _exit(127);
                }
                close(pfd[1]);
                for (;;) {
                        ssize_t k;
                        if (len + 4096 + 1 > cap) {
                                char *nb = realloc(out, cap = cap * 2 + 8192);
                                if (!nb)
                                        break;
                                out = nb;
                        }
                        k = read(pfd[0], out + len, cap - len - 1);
                        if (k <= 0)
                                break;
                        len += (size_t)k;
                }
                close(pfd[0]);
                while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
                        ;
                if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        cell_error_set(&err, EIO, "ps %s failed", p.index < argc ? argv[p.index] : "-ef");
                        return cli_fail("ps", &err);
                }
                out[len] = '\0';
                for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        char *copy, *tok, *s2 = NULL;
                        int col = 0;
                        long pid = -1;

                        if (pid_col < 0) {
                                _cleanup_free_ char *hdr = strdup(line);
                                for (tok = hdr ? strtok_r(hdr, " \t", &s2) : NULL; tok;
                                     tok = strtok_r(NULL, " \t", &s2), col++)
                                        if (strcmp(tok, "PID") == 0)
                                                pid_col = col;
                                if (pid_col < 0) {
                                        cell_error_set(&err, EINVAL, "ps output has no PID column");
                                        return cli_fail("ps", &err);
                                }
                                puts(line);
                                continue;
                        }
                        copy = strdup(line);
                        if (!copy)
                                return 1;
                        for (tok = strtok_r(copy, " \t", &s2); tok && col < pid_col;
                             tok = strtok_r(NULL, " \t", &s2))
                                col++;
                        if (tok)
                                str_to_long(tok, 0, INT32_MAX, &pid);
                        free(copy);
                        for (size_t i = 0; i < n; i++)
                                if (pids[i] == (pid_t)pid) {
                                        puts(line);
                                        break;
                                }
                }
        }
        return 0;
}

static int emit_event(json_t *ev, void *data)
{
        (void)data;
        return print_compact(ev);
}

/* "5s", "500ms", "1m", or plain seconds. */
static int parse_duration_ms(const char *s, unsigned *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || v <= 0)
                return -EINVAL;
        if (strcmp(end, "ms") == 0)
                ;
        else if (*end == '\0' || strcmp(end, "s") == 0)
                v *= 1000;
        else if (strcmp(end, "m") == 0)
                v *= 60000;
        else
                return -EINVAL;
        if (v < 1 || v > 86400000.0)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int cmd_events(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"stats", 0, false, OPT_STATS},
                {"interval", 0, true, OPT_INTERVAL},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        const char *cid = NULL;
        unsigned interval = 5000;
        bool stats = false;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("events", "%s", p.errbuf);
                if (id == OPT_STATS)
                        stats = !p.value;
                if (id == OPT_INTERVAL && parse_duration_ms(p.value, &interval) < 0)
                        return cli_usage_error(
                                "events", "--interval: expected a duration like 5s, not \"%s\"", p.value);
        }
        if (one_id("events", &p, &cid) != 0)
                return 2;
        if (stats) {
                json_t *ev = NULL;
                if (runtime_stats(g->root, cid, &ev, &err) < 0)
                        return cli_fail("events", &err);
                print_compact(ev);
                json_decref(ev);
                return 0;
        }
        signal(SIGPIPE, SIG_IGN);
        if (runtime_events(g->root, cid, interval, emit_event, NULL, &err) < 0)
                return cli_fail("events", &err);
        return 0;
}
