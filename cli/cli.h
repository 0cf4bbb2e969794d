/* cell: the command line. main.c holds the dispatch table; each command
 * family lives in a file of its own. */
#pragma once

#include <stdbool.h>

#include "error.h"

typedef struct {
        const char *root;
        bool debug;
        bool systemd_cgroup;
} cli_global_t;

typedef int (*cli_command_fn)(const cli_global_t *g, int argc, char **argv);

typedef struct {
        const char *name;
        cli_command_fn fn;
        bool starts_containers; /* runs from the sealed binary copy */
        const char *summary;
} cli_command_t;

/* Print an error the way every command does: stderr, and the log. */
int cli_fail(const char *cmd, const cell_error_t *err);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
