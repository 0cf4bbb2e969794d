/* cell: the container's control group, on cgroup v1 (including the hybrid
 * layout: v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified) and
 * on the unified cgroup v2 hierarchy.
 *
 * The rest of the runtime sees only this header. Which backend serves a
 * container is decided once, from what is mounted at the cgroup root
 * (statfs of <root>: CGROUP2_SUPER_MAGIC means v2, a tmpfs holding v1
 * hierarchies means v1/hybrid), and recorded in the state so that later
 * commands (update, pause, events, delete) reuse the same paths.
 *
 * Resources are the OCI linux.resources object (already checked for shape
 * by spec.c) plus linux.resources.unified; every write that fails names the
 * resource ("linux.resources.memory.limit: write memory.limit_in_bytes:
 * Permission denied"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

typedef struct cgroup cgroup_t;

typedef struct {
        const char *root;         /* cgroup file system root; NULL = /sys/fs/cgroup. Tests point it
                           * at a private cgroup2 mount. */
        const char *cgroups_path; /* linux.cgroupsPath, may be NULL (then default) */
        const char *id;           /* container id: the default path is /cell/<id> */
        bool systemd;             /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
        bool rootless;            /* not root: failing to create is a warning when no
                                   * resources are asked for */
} cgroup_config_t;

/* Create the container's cgroup (every v1 hierarchy that is mounted, or one
 * v2 directory with the controllers the resources need enabled in its
 * ancestors' cgroup.subtree_control), apply `resources` (may be NULL) and
 * move `pid` into it (pid 0: move nothing). On a failure nothing that was
 * created is left behind. *ret is NULL (and 0 returned) when a rootless
 * caller may not create cgroups and asked for no resources. */
int cgroup_create(const cgroup_config_t *cfg, json_t *resources, pid_t pid, cgroup_t **ret,
                  cell_error_t *err);

/* What the state keeps: {"version":1|2, "paths":{controller: abs path} or
 * "path": abs path}. cgroup_load rebuilds the handle from it. */
json_t *cgroup_to_json(const cgroup_t *cg);
int cgroup_load(json_t *saved, cgroup_t **ret, cell_error_t *err);
void cgroup_free(cgroup_t *cg);

/* "v1" or "v2". */
const char *cgroup_version_name(const cgroup_t *cg);

/* Apply resources again (update): only the fields present are written. */
int cgroup_update(cgroup_t *cg, json_t *resources, cell_error_t *err);

/* Move a process into the cgroup (exec joins the container's cgroup). */
int cgroup_add_pid(cgroup_t *cg, pid_t pid, cell_error_t *err);

/* Freeze (pause) or thaw (resume); waits until the kernel reports the new
 * state. */
int cgroup_freeze(cgroup_t *cg, bool frozen, cell_error_t *err);
/* True when the cgroup is frozen (status "paused"). */
bool cgroup_is_frozen(cgroup_t *cg);

/* The pids in the cgroup (and its descendants), malloc'd array. */
int cgroup_pids(cgroup_t *cg, pid_t **ret, size_t *ret_n, cell_error_t *err);

/* Send sig to every process in the cgroup (v2: cgroup.kill for SIGKILL;
 * a frozen cgroup is thawed after the signal so that it is delivered). */
int cgroup_kill_all(cgroup_t *cg, int sig, cell_error_t *err);

/* Usage in the shape of runc's `events --stats` "data" object:
 * {"cpu":{"usage":{"total","percpu","kernel","user"},"throttling":{…}},
 *  "memory":{"usage":{"limit","usage","max","failcnt"},"swap":{…},"kernel":{…},"raw":{…}},
 *  "pids":{"current","limit"}, "blkio":{…}, "hugetlb":{…}}. */
int cgroup_stats(cgroup_t *cg, json_t **ret, cell_error_t *err);

/* How many times the cgroup hit its memory limit and the OOM killer ran
 * (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
uint64_t cgroup_oom_kills(cgroup_t *cg);

/* Remove the cgroup (after its processes are gone: kills what is left,
 * thaws, and retries rmdir while the kernel drains it). Removing a cgroup
 * that no longer exists succeeds. */
int cgroup_destroy(cgroup_t *cg, cell_error_t *err);

/* Joining without the global lock. Every write of a pid to cgroup.procs
 * takes the kernel's threadgroup lock for writing, which waits for an RCU
 * grace period: milliseconds, most of a container's start. Two ways around
 * it, used by create when the cgroup exists before the init:
 *
 * - cgroup v2 (and the unified hierarchy of a hybrid host): clone3 with
 *   CLONE_INTO_CGROUP and this directory fd (-1: none);
 * - cgroup v1: the init, still single-threaded, moves itself by writing "0"
 *   to each hierarchy's `tasks` file through these fds, opened by the
 *   runtime (the kernel checks the opener's credentials, so this works from
 *   inside a user namespace too). */
int cgroup_v2_dir_fd(cgroup_t *cg);
int cgroup_v1_self_join_fds(cgroup_t *cg, int **ret_fds, size_t *ret_n, cell_error_t *err);
