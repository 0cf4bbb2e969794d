/* cell: a container's monitor — what stays with a detached container (the
 * cell binary's hidden `__monitor` command, a fresh small process) and what
 * a foreground `run` does in process: create and start the container with
 * its stdio on pipes or a pty, relay its output into the json-file log (and
 * to the caller in the foreground), run its health checks, record its exit,
 * restart it by policy. Linked into the cell executable (with container.c
 * and health.c), not into the module, so a monitor maps no image code.
 * See docs/design/engine.md ("Lifecycle and the monitor"). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "container.h"
#include "error.h"

typedef struct engine_attach_srv engine_attach_srv_t;

typedef struct engine_run_io {
        bool foreground, interactive, tty, direct;
        /* Config.OpenStdin and StdinOnce: a detached container with
         * OpenStdin reads a pipe that attached clients write. */
        bool open_stdin, stdin_once;
        int sync_fd;                  /* monitor: tell the starter it runs (or why not) */
        engine_attach_srv_t *attach;  /* set by engine_supervise */
        struct engine_net_setup *net; /* networks being set up already (engine_create's), for the first run */
} engine_run_io_t;

/* io's tty, open_stdin and stdin_once from a record's Config. */
void engine_run_io_from_config(engine_run_io_t *io, json_t *config);

int engine_supervise(engine_t *e, const char *id, engine_run_io_t *io, int *ret_code, bool *ret_auto_remove,
                     cell_error_t *err);

/* State: exited with code (and an error when not NULL), no pid, no monitor. */
void engine_record_set_exited(json_t *rec, int code, const char *error);

/* `cell __monitor ID SYNC_FD ERR_FD`: supervise the container; with --rm,
 * end by exec'ing `cell rm -f -v ID`. */
int engine_monitor_main(const char *storage_root, const char *run_root, const char *id, int sync_fd,
                        int err_fd);
