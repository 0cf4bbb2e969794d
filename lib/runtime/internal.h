/* cell: what the files of lib/runtime share among themselves. */
#pragma once

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"
#include "proc.h"
#include "runtime.h"
#include "spec.h"

/* ---- state.c: the state directory <root>/<id>/ ----
 *   state.json   what `state` reports, and what later commands need
 *   config.json  the config as created (poststop hooks, kill --all)
 *   exec.fifo    exists from create until start: the init blocks opening it */
typedef struct {
        char *id;
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339 */
        char *oci_version;
        pid_t pid;
        unsigned long long starttime; /* /proc/PID/stat field 22: guards against pid reuse */
        uid_t owner;
        bool own_pidns;
        bool no_pivot;      /* chroot, not pivot_root: exec must chroot too */
        bool init_unsealed; /* the init forked from the runtime's own binary, not the sealed copy */
        json_t *annotations;
        json_t *cgroup; /* cgroup_to_json(), or NULL: no cgroup (rootless) */
} runtime_state_t;

char *state_dir(const char *root, const char *id);
int state_save(const char *dir, const runtime_state_t *st, cell_error_t *err);
int state_load(const char *root, const char *id, runtime_state_t **ret, char **ret_dir, cell_error_t *err);
void state_free(runtime_state_t *st);
runtime_status_t state_status(const char *dir, const runtime_state_t *st);
/* The OCI state JSON for hooks and `state`. */
json_t *state_to_oci(const runtime_state_t *st, runtime_status_t status);
char *state_to_oci_string(const runtime_state_t *st, runtime_status_t status);

bool state_pid_alive(const runtime_state_t *st);

/* ---- sealed.c ---- */
/* Whether this process runs from the sealed copy of the binary. */
bool sealed_running_sealed(void);

/* ---- container.c ---- */
typedef struct {
        pid_t pid;  /* the container's init */
        int master; /* pty master when terminal and no console socket (run) */
} created_t;
int create_container(const runtime_create_opts_t *o, bool keep_master, created_t *out, cell_error_t *err);

/* ---- userns.c ---- */
/* Write /proc/PID/{uid_map,gid_map} for the new user namespace of pid, from
 * linux.uidMappings and gidMappings: directly as root or when the caller maps
 * only its own id (then with setgroups denied), through newuidmap/newgidmap
 * otherwise. */
int userns_write_maps(const spec_t *spec, pid_t pid, cell_error_t *err);
/* The same for any maps; where names their place in the config for errors
 * ("linux", "mounts[3]"). */
int userns_write_id_maps(pid_t pid, const spec_id_map_t *uid_maps, size_t n_uid,
                         const spec_id_map_t *gid_maps, size_t n_gid, const char *where, cell_error_t *err);
/* A user namespace with these maps and no process in it, as an fd of its
 * /proc/PID/ns/user (what MOUNT_ATTR_IDMAP takes). */
int userns_open_with_maps(const spec_id_map_t *uid_maps, size_t n_uid, const spec_id_map_t *gid_maps,
                          size_t n_gid, const char *where, cell_error_t *err);

/* ---- run.c ---- */
/* Block the signals a foreground container gets forwarded (before the
 * process exists, so none is lost); *old is the mask to restore. */
void run_block_forwarded_signals(sigset_t *set, sigset_t *old);
/* Wait for a foreground process: forward signals, relay the pty master
 * (or -1), reap; *ret_status as a shell reports it (128+signal). */
int run_wait_foreground(pid_t pid, int master, int *ret_status, cell_error_t *err);

/* ---- hooks.c ---- */
/* Run the hooks of one kind in order; the first failure stops and is returned
 * (prestart, createRuntime, createContainer, startContainer). */
int hooks_run(const spec_t *spec, spec_hook_kind_t kind, const char *state_json, cell_error_t *err);
/* Run every hook of one kind; a failure is logged as a warning and the rest
 * still run (poststart, poststop). */
void hooks_run_all(const spec_t *spec, spec_hook_kind_t kind, const char *state_json);

/* ---- sync.c: parent ↔ init messages over a SOCK_SEQPACKET pair ---- */
typedef enum {
        SYNC_USERMAP = 1, /* init → parent: write the id maps of pid */
        SYNC_USERMAP_DONE,
        SYNC_NS_READY,  /* init → parent: namespaces exist; pid = the init */
        SYNC_GO,        /* parent → init: hooks ran, go on; payload = state JSON */
        SYNC_PTY,       /* init → parent: the pty master is attached */
        SYNC_SECCOMP,   /* init → parent: the seccomp listener fd, for listenerPath */
        SYNC_CGROUP_FD, /* parent → init: a v1 `tasks` fd to write "0" to (join it) */
        SYNC_CREATED,   /* init → parent: ready, waiting for start */
        SYNC_ERROR,     /* either way: payload = message, code = errno */
        SYNC_MOUNT_FD,  /* parent → init: an idmapped mount's tree; code = index in mounts */
} sync_type_t;

typedef struct {
        int type;
        int code;
        pid_t pid;
        unsigned len;
} sync_hdr_t;

#define SYNC_PAYLOAD_MAX (256 * 1024)

int sync_send(int fd, sync_type_t type, int code, pid_t pid, const void *payload, size_t len, int pass_fd);
/* Receives one message; payload is malloc'd and NUL-terminated (may be NULL);
 * a passed fd lands in *ret_fd (else -1). Returns 0, or -errno, or -EPIPE on EOF. */
int sync_recv(int fd, sync_hdr_t *hdr, char **payload, int *ret_fd);
int sync_send_error(int fd, const cell_error_t *err);

/* ---- init.c: the container's first process, before exec ---- */
typedef struct {
        const spec_t *spec;
        const runtime_create_opts_t *opts;
        const char *rootfs; /* absolute host path */
        const char *bundle; /* absolute host path */
        int sync_fd;
        int fifo_fd;                        /* O_PATH fd of exec.fifo */
        int ns_fds[SPEC_NS__MAX];           /* namespaces joined by path, opened by the parent */
        bool fast;                          /* clone3 already created the namespaces */
        int unshare_flags;                  /* slow path: namespaces to create */
        bool fork_init;                     /* slow path: a pid or time namespace needs one more fork */
        const struct seccomp_prog *seccomp; /* compiled before clone, or NULL */
} init_ctx_t;

/* Runs in the child; never returns. */
__attribute__((noreturn)) void init_main(init_ctx_t *ctx);

/* ---- mounts.c ---- */
/* Runtime side, once the container's user namespace exists and before
 * SYNC_GO: make each idmapped bind mount as a detached tree (this needs
 * CAP_SYS_ADMIN over the source's file system, which the init in its user
 * namespace lacks) and send it to the init, one SYNC_MOUNT_FD per mount. */
int mounts_send_idmapped(const spec_t *spec, const char *bundle, pid_t init, int sync_fd, cell_error_t *err);
/* Init side, before waiting for SYNC_GO: receive them. *ret_fds gets
 * spec->n_mounts entries, -1 for a mount that is not idmapped (NULL when
 * there is none). */
int mounts_recv_idmapped(const spec_t *spec, int sync_fd, int **ret_fds, cell_error_t *err);
/* idmap_fds: from mounts_recv_idmapped (may be NULL); the fds are consumed. */
int mounts_setup_rootfs(const spec_t *spec, const char *rootfs, bool no_pivot, int *idmap_fds,
                        int *ret_rootfd, cell_error_t *err);
int mounts_setup_dev(const spec_t *spec, int rootfd, bool userns, cell_error_t *err);
int mounts_bind_console(int rootfd, int slave_fd, cell_error_t *err);
int mounts_pivot_root(int rootfd, bool no_pivot, cell_error_t *err);
int mounts_finalize(const spec_t *spec, cell_error_t *err);

/* ---- process.c: from root in the container to the user's program ---- */
int process_apply_rlimits(const spec_t *spec, cell_error_t *err);
/* Also installs the seccomp filter (may be NULL) as late as it can: just
 * before execve with no_new_privileges, else before the uid change drops
 * CAP_SYS_ADMIN. */
struct seccomp_prog;
int process_set_user_and_caps(const spec_t *spec, bool userns, const struct seccomp_prog *filter,
                              cell_error_t *err);
int process_chdir(const char *cwd, cell_error_t *err);
/* execve with PATH looked up in the process's own env; returns only on failure. */
int process_exec(const spec_t *spec, cell_error_t *err);

/* ---- terminal.c ---- */
int terminal_open_in_root(int rootfd, unsigned rows, unsigned cols, int *ret_master, int *ret_slave,
                          cell_error_t *err);
int terminal_send_to_socket(const char *socket_path, int master, cell_error_t *err);
int terminal_make_controlling(int slave, cell_error_t *err);
