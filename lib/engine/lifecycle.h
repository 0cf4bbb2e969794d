/* cell: containers from images, daemonless: create, start (a monitor per
 * container, or the caller itself in the foreground), stop, kill, wait,
 * pause, remove, and the truth about a container whose monitor died.
 * See docs/design/engine.md ("Lifecycle" and "The monitor"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "container.h"
#include "error.h"

typedef struct engine_create_req {
        json_t *config;      /* Docker's Config: Image (as given), Cmd, Env, ... */
        json_t *host_config; /* Docker's HostConfig */
        const char *name;    /* NULL: a generated name */
        json_t *endpoint;    /* Docker's EndpointSettings for NetworkMode's network (aliases, IP) or NULL */
        /* When the caller starts the container next, in this process: its
         * networks' setup starts here, while the root file system and
         * the spec are made, and is handed to engine_start. */
        struct engine_net_setup **ret_net;
} engine_create_req_t;

/* Make a container from an image: its record, root file system (mounted),
 * spec and name. The image must be in the store ("Unable to find image
 * 'x' locally" otherwise). */
int engine_create(engine_t *e, const engine_create_req_t *req, char ret_id[ENGINE_ID_LEN + 1],
                  cell_error_t *err);

typedef struct engine_start_opts {
        /* Stay with the container: its output goes to the caller's stdout
         * and stderr (and the log), signals are forwarded, and start returns
         * its exit code when it ends. Otherwise a monitor process is left
         * behind and start returns once the container runs. */
        bool foreground;
        bool interactive;             /* foreground: the caller's stdin is the container's */
        int exit_code;                /* foreground: set on return */
        struct engine_net_setup *net; /* foreground: from engine_create's ret_net (taken) */
} engine_start_opts_t;

int engine_start(engine_t *e, const char *id, engine_start_opts_t *o, cell_error_t *err);

/* The record, with State brought up to date: a container whose processes
 * are gone while its monitor died too is recorded as exited (code 255). */
int engine_inspect(engine_t *e, const char *id, json_t **ret, cell_error_t *err);

/* Docker's status line for ps: "Up 3 seconds", "Exited (0) 2 minutes ago",
 * "Created", "Up 1 second (Paused)". */
char *engine_status_line(json_t *rec);

/* Signal the container's processes (its init) and mark it stopped by hand
 * (no restart by policy). -EINVAL "Container X is not running" when it
 * does not run. */
int engine_kill(engine_t *e, const char *id, int sig, cell_error_t *err);

/* StopSignal (or SIGTERM), then SIGKILL after timeout seconds (< 0: the
 * container's StopTimeout, else 10); returns once it has exited. */
/* sig 0: the container's StopSignal, else SIGTERM (docker stop -s gives
 * another); SIGKILL after timeout seconds (< 0: its StopTimeout, else 10). */
int engine_stop(engine_t *e, const char *id, int sig, int timeout, cell_error_t *err);

/* Block until the container is not running; its exit code. */
int engine_wait(engine_t *e, const char *id, int *ret_exit, cell_error_t *err);

int engine_pause(engine_t *e, const char *id, bool pause, cell_error_t *err);

/* Remove a container: a running one only with force (killed first);
 * volumes: its anonymous volumes too. */
int engine_remove(engine_t *e, const char *id, bool force, bool volumes, cell_error_t *err);

/* Give a container another name. */
int engine_rename(engine_t *e, const char *id, const char *name, cell_error_t *err);
