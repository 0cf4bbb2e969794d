/* cell: the command line. main.c holds the dispatch table; each command
 * family lives in a file of its own. */
#pragma once

#include <stdbool.h>

#include "error.h"

typedef struct {
        const char *root;
        const char *storage_root; /* images, layers: --storage-root, $CELL_STORAGE_ROOT, /var/lib/cell */
        const char
                *run_root; /* the engine's volatile state: --runroot, $CELL_RUNROOT, /run/cell (never NULL) */
        bool debug;
        bool systemd_cgroup;
        char **argv; /* the whole command line and environment, to re-execute */
        char **envp; /* from the sealed copy (runtime_ensure_sealed_binary) */
} cli_global_t;

enum { CLI_SEAL_NEVER = 0, CLI_SEAL_ALWAYS, CLI_SEAL_PER_BUNDLE };

typedef int (*cli_command_fn)(const cli_global_t *g, int argc, char **argv);

typedef struct {
        const char *name;
        cli_command_fn fn;
        /* runs from the sealed binary copy: always, or (create, run) when
         * runtime_needs_sealed_binary says the container could reach it */
        int starts_containers;
        const char *summary;
} cli_command_t;

/* Print an error the way every command does: stderr, and the log. */
int cli_fail(const char *cmd, const cell_error_t *err);

/* docker's "Error response from daemon: MSG" on stderr; returns 1. */
int cli_daemon_error(const cell_error_t *err);

/* "cell CMD: MSG" for a bad command line; returns 125, docker's code. */
int cli_flag_error(const char *cmd, const char *msg);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* create and run: re-execute from the sealed copy when the container could
 * reach the runtime's binary. Returns 0 when nothing had to be done. */
int cli_seal_for_bundle(const cli_global_t *g, const char *cmd, const char *bundle, const char *config_path);

int cmd_spec(const cli_global_t *g, int argc, char **argv);
int cmd_create(const cli_global_t *g, int argc, char **argv);
int cmd_start(const cli_global_t *g, int argc, char **argv);
int cmd_run(const cli_global_t *g, int argc, char **argv);
int cmd_state(const cli_global_t *g, int argc, char **argv);
int cmd_kill(const cli_global_t *g, int argc, char **argv);
int cmd_delete(const cli_global_t *g, int argc, char **argv);
int cmd_list(const cli_global_t *g, int argc, char **argv);
int cmd_features(const cli_global_t *g, int argc, char **argv);
int cmd_exec(const cli_global_t *g, int argc, char **argv);
int cmd_pause(const cli_global_t *g, int argc, char **argv);
int cmd_resume(const cli_global_t *g, int argc, char **argv);
int cmd_update(const cli_global_t *g, int argc, char **argv);
int cmd_ps(const cli_global_t *g, int argc, char **argv);
int cmd_events(const cli_global_t *g, int argc, char **argv);

/* image_cmds.c: the image commands (images, image, tag, rmi, history, system). */
int cmd_images(const cli_global_t *g, int argc, char **argv);
int cmd_image(const cli_global_t *g, int argc, char **argv);
int cmd_tag(const cli_global_t *g, int argc, char **argv);
int cmd_rmi(const cli_global_t *g, int argc, char **argv);
int cmd_history(const cli_global_t *g, int argc, char **argv);
int cmd_system(const cli_global_t *g, int argc, char **argv);
/* image_io_cmds.c */
int cmd_load(const cli_global_t *g, int argc, char **argv);
int cmd_save(const cli_global_t *g, int argc, char **argv);
int cmd_import(const cli_global_t *g, int argc, char **argv);
/* registry_cmds.c */
int cmd_pull(const cli_global_t *g, int argc, char **argv);
int cmd_push(const cli_global_t *g, int argc, char **argv);
int cmd_search(const cli_global_t *g, int argc, char **argv);
int cmd_login(const cli_global_t *g, int argc, char **argv);
int cmd_logout(const cli_global_t *g, int argc, char **argv);
/* The engine (lib/engine/container.h) under g->storage_root and
 * g->run_root: for the container commands of the module. */
struct engine;
int cli_open_engine(const cli_global_t *g, struct engine **ret, cell_error_t *err);

/* The image store under g->storage_root ("<storage root>/images"). */
struct image_store;
int cli_open_image_store(const cli_global_t *g, struct image_store **ret, cell_error_t *err);
