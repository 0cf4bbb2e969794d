/* cell: main — global options, then one command from the dispatch table. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "monitor.h"
#include "options.h"
#include "runtime.h"
#include "strutil.h"

#define CELL_VERSION "0.1.0"

/* The image commands are in a module loaded on demand (see cli/meson.build):
 * the command "images" runs the module's cmd_images. CELL_IMAGE_MODULE
 * overrides where it is; else the installed path, else the build tree's. */
static int cmd_from_image_module(const cli_global_t *g, int argc, char **argv)
{
        const char *const paths[] = {getenv("CELL_IMAGE_MODULE"), CELL_IMAGE_MODULE_INSTALLED,
                                     CELL_IMAGE_MODULE_BUILD};
        char sym[64];
        cli_command_fn fn;
        void *h = NULL;
        cell_error_t err = {0};

        const char *why = NULL;

        /* The module binds its libarchive and libcurl calls lazily, once
         * they are loaded (lib/image/archive_load.h,
         * lib/registry/curl_load.h); whoever asks for every binding at
         * load time gets them loaded first. */
        if (getenv("LD_BIND_NOW") && *getenv("LD_BIND_NOW")) {
                (void)dlopen("libarchive.so.13", RTLD_NOW | RTLD_GLOBAL);
                (void)dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
        }
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && !h; i++)
                if (paths[i] && *paths[i] && access(paths[i], R_OK) == 0) {
                        h = dlopen(paths[i], RTLD_LAZY | RTLD_LOCAL);
                        if (!h)
                                why = dlerror();
                }
        if (!h) {
                if (why)
                        cell_error_set(&err, ENOEXEC, "cannot load the image commands' module: %s", why);
                else
                        cell_error_set(&err, ENOENT,
                                       "the image commands' module (cell-image.so) is not installed: %s",
                                       CELL_IMAGE_MODULE_INSTALLED);
                return cli_fail(argv[0], &err);
        }
        snprintf(sym, sizeof(sym), "cmd_%s", argv[0]);
        *(void **)&fn = dlsym(h, sym);
        if (!fn) {
                cell_error_set(&err, ENOSYS, "%s: not in the image module", sym);
                return cli_fail(argv[0], &err);
        }
        return fn(g, argc, argv);
}

/* The engine's container commands are in the same module: "run" runs the
 * module's cmd_engine_run. */
static int cmd_from_engine_module(const cli_global_t *g, int argc, char **argv)
{
        char sym[64];
        char *saved = argv[0];
        int r;

        /* "container ls" is "ps", "container rm" is "rm", ... */
        if (strcmp(argv[0], "container") == 0) {
                if (argc < 2) {
                        fprintf(stderr, "cell container: a subcommand is needed (ls, rm, inspect, ...)\n");
                        return 2;
                }
                argc--;
                argv++;
                saved = argv[0];
                if (strcmp(argv[0], "ls") == 0 || strcmp(argv[0], "list") == 0)
                        argv[0] = (char *)"ps";
                /* "container prune" has no top-level twin. */
                else if (strcmp(argv[0], "prune") == 0)
                        argv[0] = (char *)"container_prune";
        }
        snprintf(sym, sizeof(sym), "engine_%s", argv[0]);
        argv[0] = sym;
        r = cmd_from_image_module(g, argc, argv);
        argv[0] = saved;
        return r;
}

/* The runc-compatible command set: what containerd, podman, CRI-O and the
 * OCI validation suite call (see main() for when it is chosen). */
static const cli_command_t commands[] = {
        {"create", cmd_create, CLI_SEAL_PER_BUNDLE, "create a container from a bundle"},
        {"start", cmd_start, CLI_SEAL_NEVER, "start a created container"},
        {"run", cmd_run, CLI_SEAL_PER_BUNDLE, "create and start a container"},
        {"state", cmd_state, CLI_SEAL_NEVER, "print the OCI state of a container"},
        {"kill", cmd_kill, CLI_SEAL_NEVER, "send a signal to a container"},
        {"delete", cmd_delete, CLI_SEAL_NEVER, "delete a container"},
        {"list", cmd_list, CLI_SEAL_NEVER, "list containers"},
        {"exec", cmd_exec, CLI_SEAL_ALWAYS, "run another process in a container"},
        {"pause", cmd_pause, CLI_SEAL_NEVER, "freeze every process of a container"},
        {"resume", cmd_resume, CLI_SEAL_NEVER, "thaw a paused container"},
        {"update", cmd_update, CLI_SEAL_NEVER, "change the resources of a container"},
        {"ps", cmd_ps, CLI_SEAL_NEVER, "list the processes of a container"},
        {"events", cmd_events, CLI_SEAL_NEVER, "stream a container's stats and OOM events"},
        {"spec", cmd_spec, CLI_SEAL_NEVER, "write a default config.json"},
        {"features", cmd_features, CLI_SEAL_NEVER, "print the runtime's features"},
        {"images", cmd_from_image_module, CLI_SEAL_NEVER, "list images"},
        {"image", cmd_from_image_module, CLI_SEAL_NEVER,
         "manage images (ls, base, inspect, prune, check, layers...)"},
        {"tag", cmd_from_image_module, CLI_SEAL_NEVER, "give an image another name"},
        {"rmi", cmd_from_image_module, CLI_SEAL_NEVER, "remove images"},
        {"history", cmd_from_image_module, CLI_SEAL_NEVER, "show the history of an image"},
        {"system", cmd_from_image_module, CLI_SEAL_NEVER, "system df: disk usage"},
        {"load", cmd_from_image_module, CLI_SEAL_NEVER, "load images from a tar archive or stdin"},
        {"save", cmd_from_image_module, CLI_SEAL_NEVER, "save images to a tar archive"},
        {"import", cmd_from_image_module, CLI_SEAL_NEVER, "make an image from a root file system tarball"},
        {NULL, NULL, false, NULL},
};

/* The engine's command set, Docker's: containers from images. */
enum { CLI_SEAL_ENGINE_RUN = 100 };
static const cli_command_t engine_commands[] = {
        {"run", cmd_from_engine_module, CLI_SEAL_ENGINE_RUN, "run a command in a new container"},
        {"create", cmd_from_engine_module, CLI_SEAL_NEVER, "create a new container"},
        {"start", cmd_from_engine_module, CLI_SEAL_ALWAYS, "start stopped containers"},
        {"stop", cmd_from_engine_module, CLI_SEAL_NEVER, "stop running containers"},
        {"restart", cmd_from_engine_module, CLI_SEAL_ALWAYS, "restart containers"},
        {"kill", cmd_from_engine_module, CLI_SEAL_NEVER, "kill running containers"},
        {"rm", cmd_from_engine_module, CLI_SEAL_NEVER, "remove containers"},
        {"ps", cmd_from_engine_module, CLI_SEAL_NEVER, "list containers"},
        {"logs", cmd_from_engine_module, CLI_SEAL_NEVER, "fetch the logs of a container"},
        {"wait", cmd_from_engine_module, CLI_SEAL_NEVER,
         "wait for containers to stop, print their exit codes"},
        {"inspect", cmd_from_engine_module, CLI_SEAL_NEVER, "show a container's record"},
        {"exec", cmd_from_engine_module, CLI_SEAL_ALWAYS, "run a command in a running container"},
        {"pause", cmd_from_engine_module, CLI_SEAL_NEVER, "pause every process of containers"},
        {"unpause", cmd_from_engine_module, CLI_SEAL_NEVER, "unpause containers"},
        {"rename", cmd_from_engine_module, CLI_SEAL_NEVER, "rename a container"},
        {"diff", cmd_from_engine_module, CLI_SEAL_NEVER, "the changes of a container's file system"},
        {"container", cmd_from_engine_module, CLI_SEAL_NEVER,
         "container commands (ls, rm, inspect, prune, ...)"},
        {"volume", cmd_from_engine_module, CLI_SEAL_NEVER, "manage volumes"},
        {"network", cmd_from_engine_module, CLI_SEAL_NEVER, "manage networks"},
        {"cp", cmd_from_engine_module, CLI_SEAL_NEVER, "copy files between a container and the host"},
        {"commit", cmd_from_engine_module, CLI_SEAL_NEVER, "make an image from a container's changes"},
        {"top", cmd_from_engine_module, CLI_SEAL_NEVER, "show the processes of a container"},
        {"stats", cmd_from_engine_module, CLI_SEAL_NEVER, "show containers' resource usage"},
        {"port", cmd_from_engine_module, CLI_SEAL_NEVER, "list a container's published ports"},
        {"build", cmd_from_engine_module, CLI_SEAL_NEVER, "build an image from a Dockerfile"},
        {"attach", cmd_from_engine_module, CLI_SEAL_NEVER,
         "attach to a running container's input and output"},
        {"images", cmd_from_image_module, CLI_SEAL_NEVER, "list images"},
        {"image", cmd_from_image_module, CLI_SEAL_NEVER,
         "manage images (ls, base, inspect, prune, check, layers...)"},
        {"tag", cmd_from_image_module, CLI_SEAL_NEVER, "give an image another name"},
        {"rmi", cmd_from_image_module, CLI_SEAL_NEVER, "remove images"},
        {"history", cmd_from_image_module, CLI_SEAL_NEVER, "show the history of an image"},
        {"system", cmd_from_image_module, CLI_SEAL_NEVER, "system df: disk usage; system prune: unused data"},
        {"load", cmd_from_image_module, CLI_SEAL_NEVER, "load images from a tar archive or stdin"},
        {"save", cmd_from_image_module, CLI_SEAL_NEVER, "save images to a tar archive"},
        {"import", cmd_from_image_module, CLI_SEAL_NEVER, "make an image from a root file system tarball"},
        {"pull", cmd_from_image_module, CLI_SEAL_NEVER, "download an image from a registry"},
        {"push", cmd_from_image_module, CLI_SEAL_NEVER, "upload an image to a registry"},
        {"search", cmd_from_image_module, CLI_SEAL_NEVER, "list a registry's repositories (its catalog)"},
        {"login", cmd_from_image_module, CLI_SEAL_NEVER, "keep credentials for a registry"},
        {"logout", cmd_from_image_module, CLI_SEAL_NEVER, "forget the credentials for a registry"},
        {"spec", cmd_spec, CLI_SEAL_NEVER, "write a default config.json (the runtime's)"},
        {"features", cmd_features, CLI_SEAL_NEVER, "print the runtime's features"},
        {NULL, NULL, false, NULL},
};

/* Whether `run`'s container could reach cell's binary before it is sealed
 * away: it shares the host's pid namespace (--pid host: the monitor is
 * visible and dumpable) or has CAP_SYS_PTRACE (--privileged, --cap-add).
 * Read conservatively from the whole command line: a false yes only costs
 * the copy into a sealed memfd. */
static bool engine_run_needs_seal(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--privileged") == 0 || strncmp(a, "--cap-add", 9) == 0 ||
                    strcmp(a, "--pid=host") == 0 ||
                    (strcmp(a, "--pid") == 0 && i + 1 < argc && strcmp(argv[i + 1], "host") == 0))
                        return true;
        }
        return false;
}

static char *last_cmd_name;

int cli_seal_for_bundle(const cli_global_t *g, const char *cmd, const char *bundle, const char *config_path)
{
        cell_error_t err = {0};

        if (getenv("CELL_NO_SEALED_BINARY") || !runtime_needs_sealed_binary(bundle, config_path))
                return 0;
        /* Returns only when already sealed or on failure. */
        if (runtime_ensure_sealed_binary(g->argv, g->envp, &err) < 0)
                return cli_fail(cmd, &err);
        return 0;
}

int cli_fail(const char *cmd, const cell_error_t *err)
{
        const char *msg = err->msg[0] ? err->msg : "failed";

        fprintf(stderr, "cell %s: %s\n", cmd, msg);
        if (cell_log_fd() >= 0)
                log_error("%s", msg);
        return 1;
}

int cli_daemon_error(const cell_error_t *err)
{
        fprintf(stderr, "Error response from daemon: %s\n", err->msg[0] ? err->msg : "failed");
        return 1;
}

int cli_flag_error(const char *cmd, const char *msg)
{
        fprintf(stderr, "cell %s: %s\n", cmd, msg);
        return 125;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        fprintf(stderr, "cell %s: %s\n", cmd, buf);
        if (cell_log_fd() >= 0)
                log_error("%s", buf);
        return 2;
}

static void usage(FILE *f, bool runtime_mode)
{
        if (runtime_mode) {
                fprintf(f, "usage: cell-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
                           "COMMAND [ARGS]\n\n"
                           "An OCI container runtime (runc-compatible command set; also `cell runtime "
                           "COMMAND`,\n"
                           "or cell with --root).\n\ncommands:\n");
                for (const cli_command_t *c = commands; c->name; c++)
                        fprintf(f, "  %-10s %s\n", c->name, c->summary);
                return;
        }
        fprintf(f, "usage: cell [--storage-root DIR] [--runroot DIR] [--debug] COMMAND [ARGS]\n\n"
                   "A daemonless container engine with Docker's commands. The OCI runtime's\n"
                   "runc-compatible commands: cell-runtime, `cell runtime COMMAND`, or cell --root DIR.\n\n"
                   "commands:\n");
        for (const cli_command_t *c = engine_commands; c->name; c++)
                fprintf(f, "  %-10s %s\n", c->name, c->summary);
}

static const char *default_root(void)
{
        static char buf[4096];
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (geteuid() == 0 || !xdg || !*xdg)
                return "/run/cell";
        snprintf(buf, sizeof(buf), "%s/cell", xdg);
        return buf;
}

enum {
        OPT_ROOT = 1,
        OPT_LOG,
        OPT_LOG_FORMAT,
        OPT_DEBUG,
        OPT_SYSTEMD_CGROUP,
        OPT_ROOTLESS,
        OPT_CRIU,
        OPT_HELP,
        OPT_VERSION,
        OPT_STORAGE_ROOT,
        OPT_RUNROOT,
};

int main(int argc, char **argv, char **envp)
{
        static const cli_option_t opts[] = {
                {"root", 0, true, OPT_ROOT},         {"storage-root", 0, true, OPT_STORAGE_ROOT},
                {"log", 0, true, OPT_LOG},           {"log-format", 0, true, OPT_LOG_FORMAT},
                {"debug", 0, false, OPT_DEBUG},      {"systemd-cgroup", 0, false, OPT_SYSTEMD_CGROUP},
                {"rootless", 0, true, OPT_ROOTLESS}, {"criu", 0, true, OPT_CRIU},
                {"help", 'h', false, OPT_HELP},      {"version", 'v', false, OPT_VERSION},
                {"runroot", 0, true, OPT_RUNROOT},   {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        cli_global_t g = {.root = NULL};
        const cli_command_t *table;
        const char *log_path = NULL, *base = strrchr(argv[0], '/');
        /* The runtime's command set when called as cell-runtime (what
         * containerd, podman and CRI-O are pointed at), as `cell runtime
         * ...`, or with one of runc's global options. */
        bool runtime_mode = strcmp(base ? base + 1 : argv[0], "cell-runtime") == 0;
        cell_log_format_t log_format = CELL_LOG_TEXT;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        fprintf(stderr, "cell: %s\n", p.errbuf);
                        return 2;
                case OPT_ROOT:
                        g.root = p.value;
                        runtime_mode = true;
                        break;
                case OPT_RUNROOT:
                        g.run_root = p.value;
                        break;
                case OPT_STORAGE_ROOT:
                        g.storage_root = p.value;
                        break;
                case OPT_LOG:
                        log_path = p.value;
                        runtime_mode = true;
                        break;
                case OPT_LOG_FORMAT:
                        if (strcmp(p.value, "json") == 0)
                                log_format = CELL_LOG_JSON;
                        else if (strcmp(p.value, "text") == 0)
                                log_format = CELL_LOG_TEXT;
                        else {
                                fprintf(stderr, "cell: --log-format: expected text or json, not \"%s\"\n",
                                        p.value);
                                return 2;
                        }
                        break;
                case OPT_DEBUG:
                        g.debug = !p.value;
                        break;
                case OPT_SYSTEMD_CGROUP:
                        g.systemd_cgroup = !p.value;
                        runtime_mode = true;
                        break;
                case OPT_ROOTLESS:
                case OPT_CRIU:
                        runtime_mode = true;
                        break; /* accepted for runc compatibility */
                case OPT_HELP:
                        usage(stdout, runtime_mode);
                        return 0;
                case OPT_VERSION:
                        printf("cell version %s\nspec: 1.2.0\n", CELL_VERSION);
                        return 0;
                default:
                        return 2;
                }
        }
        if (cell_log_init(log_path, log_format, g.debug) < 0) {
                fprintf(stderr, "cell: --log %s: %s\n", log_path, strerror(errno));
                return 1;
        }
        if (!g.root)
                g.root = default_root();
        if (!g.storage_root)
                g.storage_root = getenv("CELL_STORAGE_ROOT");
        if (!g.storage_root || !*g.storage_root)
                g.storage_root = "/var/lib/cell";
        if (!g.run_root)
                g.run_root = getenv("CELL_RUNROOT");
        if (!g.run_root || !*g.run_root)
                g.run_root = "/run/cell";
        if (p.index < argc && strcmp(argv[p.index], "runtime") == 0) {
                runtime_mode = true;
                p.index++;
        }
        /* A detached container's monitor (lib/engine/monitor.h), started
         * by run -d and start: not a command for users. */
        if (p.index + 4 == argc && strcmp(argv[p.index], "__monitor") == 0)
                return engine_monitor_main(g.storage_root, g.run_root, argv[p.index + 1],
                                           atoi(argv[p.index + 2]), atoi(argv[p.index + 3]));
        /* runc's create and run name a bundle (--bundle/-b), which docker's
         * never do; and a runc command the engine has no name for (state,
         * delete, list, resume, update, events) can only mean the runtime. */
        if (!runtime_mode && p.index < argc) {
                const char *cmd = argv[p.index];
                bool in_engine = false;

                for (const cli_command_t *c = engine_commands; c->name; c++)
                        in_engine = in_engine || strcmp(c->name, cmd) == 0;
                if (!in_engine)
                        runtime_mode = true;
                if (strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0)
                        for (int i = p.index + 1; i < argc && argv[i][0] == '-'; i++)
                                if (strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0 ||
                                    strncmp(argv[i], "--bundle=", 9) == 0 || strcmp(argv[i], "-bundle") == 0)
                                        runtime_mode = true;
        }
        table = runtime_mode ? commands : engine_commands;
        if (p.index >= argc) {
                usage(stderr, runtime_mode);
                return 2;
        }
        if (strcmp(argv[p.index], "version") == 0 || strcmp(argv[p.index], "--version") == 0) {
                printf("cell version %s\nspec: 1.2.0\n", CELL_VERSION);
                return 0;
        }
        if (strcmp(argv[p.index], "help") == 0) {
                usage(stdout, runtime_mode);
                return 0;
        }
        for (const cli_command_t *c = table; c->name; c++) {
                bool seal;

                if (strcmp(c->name, argv[p.index]) != 0)
                        continue;
                last_cmd_name = (char *)c->name;
                g.argv = argv;
                g.envp = envp;
                seal = c->starts_containers == CLI_SEAL_ALWAYS ||
                       (c->starts_containers == CLI_SEAL_ENGINE_RUN &&
                        engine_run_needs_seal(argc - p.index, argv + p.index));
                if (seal && !getenv("CELL_NO_SEALED_BINARY")) {
                        cell_error_t err = {0};
                        /* Returns only when already sealed or on failure. */
                        if (runtime_ensure_sealed_binary(argv, envp, &err) < 0)
                                return cli_fail(c->name, &err);
                }
                return c->fn(&g, argc - p.index, argv + p.index);
        }
        fprintf(stderr, "cell: unknown command \"%s\"\n", argv[p.index]);
        usage(stderr, runtime_mode);
        return 2;
}
