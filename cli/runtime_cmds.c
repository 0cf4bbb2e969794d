/* cell: the runc-compatible runtime commands, so that anything that drives
 * runc (containerd, podman, CRI-O) can drive cell at the same path. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "options.h"
#include "runtime.h"
#include "spec.h"
#include "strutil.h"

enum {
        OPT_BUNDLE = 1,
        OPT_PID_FILE,
        OPT_CONSOLE_SOCKET,
        OPT_PRESERVE_FDS,
        OPT_NO_PIVOT,
        OPT_NO_NEW_KEYRING,
        OPT_DETACH,
        OPT_KEEP,
        OPT_ALL,
        OPT_FORCE,
        OPT_FORMAT,
        OPT_QUIET,
        OPT_ROOTLESS,
        OPT_NO_SUBREAPER,
        OPT_PID_FILE_IGNORED,
};

static int positional(const char *cmd, cli_parser_t *p, int want_min, int want_max, const char *what)
{
        int n = p->argc - p->index;

        if (n < want_min)
                return cli_usage_error(cmd, "missing %s", what);
        if (want_max >= 0 && n > want_max)
                return cli_usage_error(cmd, "unexpected argument \"%s\"", p->argv[p->index + want_max]);
        return 0;
}

static int parse_create_options(const char *cmd, cli_parser_t *p, runtime_create_opts_t *o, bool run)
{
        static const cli_option_t opts[] = {
                {"bundle", 'b', true, OPT_BUNDLE},
                {"pid-file", 0, true, OPT_PID_FILE},
                {"console-socket", 0, true, OPT_CONSOLE_SOCKET},
                {"preserve-fds", 0, true, OPT_PRESERVE_FDS},
                {"no-pivot", 0, false, OPT_NO_PIVOT},
                {"no-new-keyring", 0, false, OPT_NO_NEW_KEYRING},
                {"detach", 'd', false, OPT_DETACH},
                {"keep", 0, false, OPT_KEEP},
                {"no-subreaper", 0, false, OPT_NO_SUBREAPER},
                {NULL, 0, false, 0},
        };
        int id;

        while ((id = cli_next_option(p, opts)) != 0) {
                long n;

                switch (id) {
                case -1:
                        return cli_usage_error(cmd, "%s", p->errbuf);
                case OPT_BUNDLE:
                        o->bundle = p->value;
                        break;
                case OPT_PID_FILE:
                        o->pid_file = p->value;
                        break;
                case OPT_CONSOLE_SOCKET:
                        o->console_socket = p->value;
                        break;
                case OPT_PRESERVE_FDS:
                        if (str_to_long(p->value, 0, 65536, &n) < 0)
                                return cli_usage_error(cmd, "--preserve-fds: expected a number, not \"%s\"",
                                                       p->value);
                        o->preserve_fds = (int)n;
                        break;
                case OPT_NO_PIVOT:
                        o->no_pivot = true;
                        break;
                case OPT_NO_NEW_KEYRING:
                        o->no_new_keyring = true;
                        break;
                case OPT_DETACH:
                        if (!run)
                                return cli_usage_error(cmd, "unknown option --detach");
                        o->detach = true;
                        break;
                case OPT_KEEP:
                        if (!run)
                                return cli_usage_error(cmd, "unknown option --keep");
                        o->keep = true;
                        break;
                case OPT_NO_SUBREAPER:
                        break;
                default:
                        return 2;
                }
        }
        if (positional(cmd, p, 1, 1, "container id") != 0)
                return 2;
        o->id = p->argv[p->index];
        if (!o->bundle)
                o->bundle = ".";
        return 0;
}

int cmd_create(const cli_global_t *g, int argc, char **argv)
{
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        runtime_create_opts_t o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
        cell_error_t err = {0};
        int r = parse_create_options("create", &p, &o, false);

        if (r != 0)
                return r;
        if ((r = cli_seal_for_bundle(g, "create", o.bundle, o.config_path)) != 0)
                return r;
        if (runtime_create(&o, &err) < 0)
                return cli_fail("create", &err);
        return 0;
}

int cmd_run(const cli_global_t *g, int argc, char **argv)
{
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        runtime_create_opts_t o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
        cell_error_t err = {0};
        int status = 0;
        int r = parse_create_options("run", &p, &o, true);

        if (r != 0)
                return r;
        if ((r = cli_seal_for_bundle(g, "run", o.bundle, o.config_path)) != 0)
                return r;
        if (runtime_run(&o, &status, &err) < 0)
                return cli_fail("run", &err);
        return status;
}

static int simple_id_command(const char *cmd, int argc, char **argv, const char **ret_id)
{
        static const cli_option_t none[] = {{NULL, 0, false, 0}};
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        int id = cli_next_option(&p, none);

        if (id < 0)
                return cli_usage_error(cmd, "%s", p.errbuf);
        if (positional(cmd, &p, 1, 1, "container id") != 0)
                return 2;
        *ret_id = argv[p.index];
        return 0;
}

int cmd_start(const cli_global_t *g, int argc, char **argv)
{
        cell_error_t err = {0};
        const char *id = NULL;
        int r = simple_id_command("start", argc, argv, &id);

        if (r != 0)
                return r;
        if (runtime_start(g->root, id, &err) < 0)
                return cli_fail("start", &err);
        return 0;
}

static int print_json(json_t *o, size_t flags)
{
        char *s = json_dumps(o, flags);

        if (!s)
                return 1;
        puts(s);
        free(s);
        return 0;
}

int cmd_state(const cli_global_t *g, int argc, char **argv)
{
        cell_error_t err = {0};
        const char *id = NULL;
        json_t *o = NULL;
        int r = simple_id_command("state", argc, argv, &id);

        if (r != 0)
                return r;
        if (runtime_state(g->root, id, &o, &err) < 0)
                return cli_fail("state", &err);
        r = print_json(o, JSON_INDENT(2));
        json_decref(o);
        return r;
}

int cmd_kill(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {{"all", 'a', false, OPT_ALL}, {NULL, 0, false, 0}};
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        bool all = false;
        int id, sig = SIGTERM;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("kill", "%s", p.errbuf);
                if (id == OPT_ALL)
                        all = !p.value;
        }
        if (positional("kill", &p, 1, 2, "container id") != 0)
                return 2;
        if (argc - p.index == 2) {
                sig = spec_parse_signal(argv[p.index + 1]);
                if (sig < 0)
                        return cli_usage_error("kill", "unknown signal \"%s\"", argv[p.index + 1]);
        }
        if (runtime_kill(g->root, argv[p.index], sig, all, &err) < 0)
                return cli_fail("kill", &err);
        return 0;
}

int cmd_delete(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {{"force", 'f', false, OPT_FORCE}, {NULL, 0, false, 0}};
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        bool force = false;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("delete", "%s", p.errbuf);
                if (id == OPT_FORCE)
                        force = !p.value;
        }
        if (positional("delete", &p, 1, -1, "container id") != 0)
                return 2;
        for (int i = p.index; i < argc; i++) {
                if (runtime_delete(g->root, argv[i], force, &err) < 0) {
                        /* runc: deleting a missing container with --force is not an error */
                        if (force && err.code == ENOENT)
                                continue;
                        return cli_fail("delete", &err);
                }
        }
        return 0;
}

int cmd_list(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"format", 'f', true, OPT_FORMAT},
                {"quiet", 'q', false, OPT_QUIET},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        const char *format = "table";
        bool quiet = false;
        json_t *arr = NULL, *e;
        size_t i;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("list", "%s", p.errbuf);
                if (id == OPT_FORMAT)
                        format = p.value;
                if (id == OPT_QUIET)
                        quiet = true;
        }
        if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
                return cli_usage_error("list", "--format: expected table or json, not \"%s\"", format);
        if (positional("list", &p, 0, 0, "") != 0)
                return 2;
        if (runtime_list(g->root, &arr, &err) < 0)
                return cli_fail("list", &err);
        if (quiet) {
                json_array_foreach(arr, i, e) puts(json_string_value(json_object_get(e, "id")));
        } else if (strcmp(format, "json") == 0) {
                print_json(arr, JSON_COMPACT);
        } else {
                printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                       "OWNER");
                json_array_foreach(arr, i, e)
                {
                        printf("%-12s %-8lld %-10s %-40s %-31s %lld\n",
                               json_string_value(json_object_get(e, "id")),
                               (long long)json_integer_value(json_object_get(e, "pid")),
                               json_string_value(json_object_get(e, "status")),
                               json_string_value(json_object_get(e, "bundle")),
                               json_string_value(json_object_get(e, "created")),
                               (long long)json_integer_value(json_object_get(e, "owner")));
                }
        }
        json_decref(arr);
        return 0;
}

int cmd_spec(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"bundle", 'b', true, OPT_BUNDLE},
                {"rootless", 0, false, OPT_ROOTLESS},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cell_error_t err = {0};
        const char *bundle = ".";
        _cleanup_free_ char *path = NULL;
        char *s = NULL;
        bool rootless = false;
        json_t *spec;
        int id, r;

        (void)g;
        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id < 0)
                        return cli_usage_error("spec", "%s", p.errbuf);
                if (id == OPT_BUNDLE)
                        bundle = p.value;
                if (id == OPT_ROOTLESS)
                        rootless = true;
        }
        if (positional("spec", &p, 0, 0, "") != 0)
                return 2;
        path = str_printf("%s/config.json", bundle);
        if (!path)
                return 1;
        if (fs_exists(path)) {
                cell_error_set(&err, EEXIST, "%s", path);
                return cli_fail("spec", &err);
        }
        spec = spec_default(rootless);
        s = spec ? json_dumps(spec, JSON_INDENT(8)) : NULL;
        json_decref(spec);
        if (!s)
                return 1;
        r = fs_write_atomic(path, s, strlen(s), 0644, &err);
        free(s);
        if (r < 0)
                return cli_fail("spec", &err);
        return 0;
}

int cmd_features(const cli_global_t *g, int argc, char **argv)
{
        json_t *f = runtime_features();
        int r;

        (void)g;
        (void)argc;
        (void)argv;
        r = print_json(f, JSON_INDENT(4));
        json_decref(f);
        return r;
}
