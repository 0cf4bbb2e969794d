/* cell: the OCI runtime, callable in process.
 *
 * These are the lifecycle operations of the runtime-spec (create, start,
 * state, kill, delete) plus run. The CLI's runc-compatible commands are thin
 * wrappers around them; the engine calls them directly, without a re-exec. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

typedef struct {
        const char *root;           /* state root, e.g. /run/cell */
        const char *id;             /* container id */
        const char *bundle;         /* bundle directory (config.json + rootfs) */
        const char *config_path;    /* NULL = <bundle>/config.json */
        const char *pid_file;       /* write the init pid here */
        const char *console_socket; /* AF_UNIX path that receives the pty master */
        int preserve_fds;           /* fds 3 .. 3+n-1 pass into the container */
        bool no_pivot;              /* chroot instead of pivot_root */
        bool no_new_keyring;
        bool systemd_cgroup;
        /* run only */
        bool detach;
        bool keep; /* run: do not delete after exit */
} runtime_create_opts_t;

typedef enum {
        RUNTIME_CREATING = 0,
        RUNTIME_CREATED,
        RUNTIME_RUNNING,
        RUNTIME_PAUSED,
        RUNTIME_STOPPED,
} runtime_status_t;

const char *runtime_status_name(runtime_status_t s);

/* Validate a container id: [A-Za-z0-9_+.-], not "." or "..", at most 1024 bytes. */
int runtime_check_id(const char *id, cell_error_t *err);

int runtime_create(const runtime_create_opts_t *o, cell_error_t *err);

/* create for an engine that stays with the container (its monitor): the
 * init is the caller's child (ret_pid), and when process.terminal is set and
 * no console socket is given, the pty master stays in process (ret_master;
 * else -1). The container's stdio is the caller's fds 0, 1 and 2. */
int runtime_create_attached(const runtime_create_opts_t *o, pid_t *ret_pid, int *ret_master,
                            cell_error_t *err);
int runtime_start(const char *root, const char *id, cell_error_t *err);

/* create + start; unless detached, waits for the process, forwards signals,
 * relays a terminal and deletes the container. *ret_status is the exit code
 * as a shell reports it (128+signal when killed). */
int runtime_run(const runtime_create_opts_t *o, int *ret_status, cell_error_t *err);

int runtime_kill(const char *root, const char *id, int sig, bool all, cell_error_t *err);
int runtime_delete(const char *root, const char *id, bool force, cell_error_t *err);

/* The OCI state document of a container. */
int runtime_state(const char *root, const char *id, json_t **ret, cell_error_t *err);

/* One object per container: id, pid, status, bundle, created, owner. */
int runtime_list(const char *root, json_t **ret, cell_error_t *err);

typedef struct {
        const char *root;
        const char *id;
        const char *process_path; /* --process: a process object (JSON) */
        char **args;              /* or the program and its arguments */
        char **env;               /* --env NAME=VALUE, added to the container's */
        const char *cwd;
        const char *user; /* UID[:GID] */
        gid_t *additional_gids;
        size_t n_additional_gids;
        char **caps; /* --cap: added to the container's */
        bool tty;
        bool no_new_privs;
        bool detach;
        bool ignore_paused;
        const char *console_socket;
        const char *pid_file;
        int preserve_fds;
} runtime_exec_opts_t;

/* Run another process in a container; unless detached, waits for it like
 * run does (*ret_status = its exit code, 128+signal when killed). */
int runtime_exec(const runtime_exec_opts_t *o, int *ret_status, cell_error_t *err);

/* Freeze and thaw every process of the container (its cgroup's freezer). */
int runtime_pause(const char *root, const char *id, cell_error_t *err);
int runtime_resume(const char *root, const char *id, cell_error_t *err);

/* Apply an OCI linux.resources object to a running container; only the
 * fields present change, and the container's saved config follows. */
int runtime_update(const char *root, const char *id, json_t *resources, cell_error_t *err);

/* The pids (host view) of every process in the container. */
int runtime_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, cell_error_t *err);

/* One {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio,hugetlb}} event. */
int runtime_stats(const char *root, const char *id, json_t **ret, cell_error_t *err);

/* Events until the container stops: "stats" every interval_ms and "oom"
 * whenever the kernel OOM-kills a process of it. emit returns < 0 to stop;
 * it does not take ownership of the event. */
typedef int (*runtime_event_fn)(json_t *event, void *data);
int runtime_events(const char *root, const char *id, unsigned interval_ms, runtime_event_fn emit, void *data,
                   cell_error_t *err);

/* The OCI features document. */
json_t *runtime_features(void);

/* Re-execute the running binary from a sealed memfd unless it already is one,
 * so no container process can reach the host binary through /proc/PID/exe and
 * write to it (the CVE-2019-5736 class). Call at the top of main() of any
 * program that starts containers; returns only on failure or when nothing
 * had to be done. */
int runtime_ensure_sealed_binary(char **argv, char **envp, cell_error_t *err);

/* Whether creating the container of this bundle needs the sealed copy: true
 * unless no process of the container can reach the runtime's binary before
 * the init executes the user's program (see sealed.c for the conditions).
 * Any doubt, an unreadable config included, says true. */
bool runtime_needs_sealed_binary(const char *bundle, const char *config_path);
