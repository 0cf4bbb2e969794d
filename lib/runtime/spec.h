/* cell: the OCI runtime-spec model.
 *
 * config.json is parsed and validated once, at the boundary, into these typed
 * structs; an invalid document gets an error naming the field
 * ("process.user.uid: expected an unsigned 32-bit integer"). Code below the
 * boundary trusts them. Sections handled by a later stage of the runtime
 * (linux.resources, linux.seccomp) are validated for shape and kept as JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

typedef enum {
        SPEC_NS_PID = 0,
        SPEC_NS_NET,
        SPEC_NS_MOUNT,
        SPEC_NS_IPC,
        SPEC_NS_UTS,
        SPEC_NS_USER,
        SPEC_NS_CGROUP,
        SPEC_NS_TIME,
        SPEC_NS__MAX
} spec_ns_type_t;

typedef struct {
        bool present; /* listed in linux.namespaces */
        char *path;   /* join this one; NULL = create a new one */
} spec_namespace_t;

typedef struct {
        uint32_t container_id, host_id, size;
} spec_id_map_t;

typedef struct {
        unsigned long flag;
        bool recursive;
} spec_propagation_t;

typedef struct {
        char *destination;
        char *type;
        char *source;
        char **options;

        /* Derived from options when parsed. */
        unsigned long flags;       /* MS_* to set */
        unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, dev, exec...) */
        bool bind, recursive_bind;
        unsigned long long attr_set, attr_clr; /* recursive (rro, rnosuid...) mount_setattr */
        spec_propagation_t propagation[4];
        size_t n_propagation;
        char *data; /* options the kernel's file system parses */

        /* An idmapped bind mount: options "idmap" (or "ridmap", applied to
         * every mount of an rbind), or uidMappings/gidMappings given. Without
         * mappings of its own the mount takes the container's user namespace. */
        bool idmap, idmap_recursive;
        spec_id_map_t *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
} spec_mount_t;

typedef enum {
        SPEC_HOOK_PRESTART = 0,
        SPEC_HOOK_CREATE_RUNTIME,
        SPEC_HOOK_CREATE_CONTAINER,
        SPEC_HOOK_START_CONTAINER,
        SPEC_HOOK_POSTSTART,
        SPEC_HOOK_POSTSTOP,
        SPEC_HOOK__MAX
} spec_hook_kind_t;

typedef struct {
        char *path;
        char **args;
        char **env;
        int timeout; /* seconds; 0 = none */
} spec_hook_t;

typedef struct {
        int resource;
        uint64_t hard, soft;
} spec_rlimit_t;

typedef struct {
        char *path;
        char type; /* c, b, u, p */
        int64_t major, minor;
        uint32_t file_mode;
        bool has_file_mode;
        uint32_t uid, gid;
        bool has_uid, has_gid;
} spec_device_t;

enum {
        SPEC_CAP_BOUNDING = 0,
        SPEC_CAP_EFFECTIVE,
        SPEC_CAP_INHERITABLE,
        SPEC_CAP_PERMITTED,
        SPEC_CAP_AMBIENT,
        SPEC_CAP__MAX
};

typedef struct {
        bool terminal;
        unsigned console_height, console_width;
        uint32_t uid, gid;
        bool has_umask;
        uint32_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
        char **args;
        char **env;
        char *cwd;
        bool has_capabilities;
        uint64_t caps[SPEC_CAP__MAX];
        bool cap_listed[SPEC_CAP__MAX];
        spec_rlimit_t *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile;
        char *selinux_label;
        bool has_oom_score_adj;
        int oom_score_adj;
        bool has_io_priority;
        int io_priority_class, io_priority;
} spec_process_t;

typedef struct {
        char *key, *value;
} spec_kv_t;

typedef struct {
        char *oci_version;
        char *root_path;
        bool root_readonly;
        char *hostname;
        char *domainname;
        spec_mount_t *mounts;
        size_t n_mounts;
        bool has_process;
        spec_process_t process;
        spec_hook_t *hooks[SPEC_HOOK__MAX];
        size_t n_hooks[SPEC_HOOK__MAX];
        json_t *annotations; /* object or NULL */

        /* linux */
        spec_namespace_t namespaces[SPEC_NS__MAX];
        spec_id_map_t *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        bool has_time_offsets;
        int64_t time_offset_secs[2]; /* monotonic, boottime */
        uint32_t time_offset_nsecs[2];
        spec_device_t *devices;
        size_t n_devices;
        char *cgroups_path;
        json_t *resources; /* kept for the cgroup stage */
        json_t *seccomp;   /* kept for the seccomp stage */
        bool has_rootfs_propagation;
        unsigned long rootfs_propagation;
        char **masked_paths;
        char **readonly_paths;
        spec_kv_t *sysctl;
        size_t n_sysctl;
        char *mount_label;
        bool has_personality;
        unsigned long personality;

        json_t *raw; /* the document as read */
} spec_t;

const char *spec_ns_name(spec_ns_type_t t);
int spec_ns_clone_flag(spec_ns_type_t t);
const char *spec_hook_name(spec_hook_kind_t k);

/* Parse a config.json document. The result is owned by the caller (spec_free). */
spec_t *spec_parse(const char *data, size_t len, cell_error_t *err);
spec_t *spec_load(const char *path, cell_error_t *err);
void spec_free(spec_t *spec);

/* Replace the process of a parsed spec with another process object (exec
 * --process): the same checks and the same error names ("process.args"). */
int spec_replace_process(spec_t *spec, json_t *process, cell_error_t *err);

/* The config `spec` writes: runc's default, or its rootless variant. */
json_t *spec_default(bool rootless);

/* Signal names and numbers ("KILL", "SIGKILL", "9"). Returns the number or -1. */
int spec_parse_signal(const char *s);

/* Capability name (CAP_CHOWN) to number, or -1. */
int spec_cap_from_name(const char *name);
const char *spec_cap_name(int cap);
int spec_cap_last(void);

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE. */
const char *spec_rlimit_name(int resource);
