/* cell: what the cgroup files (cgroup.c, cgroup_res.c, cgroup_v1.c,
 * cgroup_v2.c, cgroup_bpf.c) share among themselves.
 *
 * A container's cgroup is a list of hierarchies, each with the absolute path
 * of the container's directory in it: one entry per v1 mount (cpu, memory,
 * name=systemd...), plus the unified hierarchy in the hybrid layout; a single
 * entry on cgroup v2. What differs between v1 and v2 (file names, value
 * conversions, how to freeze) sits behind cgroup_ops_t; the directory work
 * (mkdir, rmdir, reading cgroup.procs) is shared. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "cgroup.h"
#include "error.h"

/* Controllers, as bits. The v1 and v2 names differ only for block I/O
 * (blkio / io). */
enum {
        CG_CPUSET = 1u << 0,
        CG_CPU = 1u << 1,
        CG_CPUACCT = 1u << 2,
        CG_MEMORY = 1u << 3,
        CG_DEVICES = 1u << 4,
        CG_FREEZER = 1u << 5,
        CG_NET_CLS = 1u << 6,
        CG_NET_PRIO = 1u << 7,
        CG_IO = 1u << 8,
        CG_PERF_EVENT = 1u << 9,
        CG_HUGETLB = 1u << 10,
        CG_PIDS = 1u << 11,
        CG_RDMA = 1u << 12,
        CG_MISC = 1u << 13,
};

/* The controller bit of a name ("memory", "blkio", "io"); 0 when unknown. */
uint32_t cg_controller_bit(const char *name, size_t len, bool v2);
/* The name of one controller bit in v1 or v2 spelling. */
const char *cg_controller_name(uint32_t bit, bool v2);

typedef struct {
        char *key;        /* v1: the mount's controllers ("cpu,cpuacct", "name=systemd");
                           * "unified" for the hybrid v2 hierarchy; "" on pure v2 */
        char *path;       /* absolute path of the container's cgroup in this hierarchy */
        size_t mount_len; /* path[0, mount_len) is where the hierarchy is mounted */
        uint32_t mask;    /* CG_* controllers of this hierarchy (v2: unknown, 0) */
        bool v2;          /* a cgroup2 hierarchy (files in v2 format) */
        int fd;           /* O_DIRECTORY fd of path; -1 until first used */
        unsigned created; /* how many trailing levels of the path cgroup_create made */
        bool joined;      /* create wrote the pid into this hierarchy */
} cg_hier_t;

typedef struct cgroup_ops cgroup_ops_t;

struct cgroup {
        const cgroup_ops_t *ops;
        int version;          /* 1 (including hybrid) or 2 */
        char *root;           /* the cgroup file system root, e.g. /sys/fs/cgroup */
        char *rel;            /* the container's path inside every hierarchy, "/cell/id" */
        cg_hier_t *h;         /* the hierarchies */
        size_t n;             /* how many */
        cg_hier_t *v2dir;     /* the cgroup2 entry: all of it on v2, the unified one on hybrid */
        uint32_t bpf_prog_id; /* v2: the device program we attached (0 = none) */
        bool rootless;        /* created for an unprivileged user (kept in the state) */
};

/* ---- linux.resources, parsed (cgroup_res.c) ----
 * Parsed once at the boundary with errors that name the field; the backends
 * only convert and write. Strings point into the JSON, which must outlive
 * the struct. */
typedef struct {
        bool set;
        int64_t v; /* uint64 fields above INT64_MAX saturate to INT64_MAX */
} cg_opt_t;

typedef struct {
        int64_t major, minor;
        uint64_t rate;
} cg_throttle_t;

enum { CG_READ_BPS = 0, CG_WRITE_BPS, CG_READ_IOPS, CG_WRITE_IOPS, CG_THROTTLE__MAX };

typedef struct {
        int64_t major, minor;
        cg_opt_t weight, leaf_weight;
} cg_weight_dev_t;

enum { CG_DEV_MKNOD = 1u << 0, CG_DEV_READ = 1u << 1, CG_DEV_WRITE = 1u << 2, CG_DEV_ALL = 7u };

typedef struct {
        bool allow;
        char type;            /* 'a', 'c' or 'b' ('u' is stored as 'c') */
        int64_t major, minor; /* -1 = any */
        unsigned access;      /* CG_DEV_* */
} cg_dev_rule_t;

typedef struct {
        const char *page_size; /* "2MB", "1GB": checked to be digits and a unit */
        uint64_t limit;
} cg_hugepage_t;

typedef struct {
        const char *name;
        uint32_t priority;
} cg_prio_t;

typedef struct {
        const char *device;
        cg_opt_t handles, objects;
} cg_rdma_t;

typedef struct {
        const char *key, *value;
} cg_kv_t;

typedef struct {
        bool memory;
        cg_opt_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp, mem_swappiness;
        cg_opt_t mem_disable_oom, mem_use_hierarchy, mem_check_before_update; /* booleans as 0/1 */

        cg_opt_t cpu_shares, cpu_quota, cpu_burst, cpu_period, cpu_rt_runtime, cpu_rt_period, cpu_idle;
        const char *cpu_cpus, *cpu_mems; /* NULL or "" = not set */

        cg_opt_t pids_limit;

        cg_opt_t blkio_weight, blkio_leaf_weight;
        cg_weight_dev_t *weight_devs;
        size_t n_weight_devs;
        cg_throttle_t *throttle[CG_THROTTLE__MAX];
        size_t n_throttle[CG_THROTTLE__MAX];

        cg_hugepage_t *hugepages;
        size_t n_hugepages;

        cg_opt_t net_classid;
        cg_prio_t *net_prios;
        size_t n_net_prios;

        cg_rdma_t *rdma;
        size_t n_rdma;

        cg_kv_t *unified;
        size_t n_unified;

        bool devices_set; /* linux.resources.devices present (even empty): the rules replace all */
        cg_dev_rule_t *devices;
        size_t n_devices;
} cg_res_t;

/* Parse linux.resources (NULL gives an empty struct). */
int cg_res_parse(json_t *resources, cg_res_t *res, cell_error_t *err);
void cg_res_release(cg_res_t *res);
/* True when the object asks for nothing (NULL, {}, or only nulls and empty
 * members), device rules aside when ignore_devices. */
bool cg_res_json_empty(json_t *resources, bool ignore_devices);
/* Whether any CPU bandwidth / weight field is set (the cpu controller). */
bool cg_res_wants_cpu(const cg_res_t *res);
bool cg_res_wants_blkio(const cg_res_t *res);
bool cg_res_wants_memory(const cg_res_t *res);
extern const char *const cg_throttle_field[CG_THROTTLE__MAX];

/* ---- backends ---- */
struct cgroup_ops {
        const char *name; /* "v1", "v2" */
        /* Make the directories (cgroup_create only): on failure the caller
         * removes what the hierarchies' `created` counts say was made. */
        int (*setup)(cgroup_t *cg, const cg_res_t *res, cell_error_t *err);
        /* Write the resources; update = a later `cell update` (read current
         * values where the order of writes depends on them). */
        int (*apply)(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err);
        int (*freeze)(cgroup_t *cg, bool frozen, cell_error_t *err);
        bool (*is_frozen)(cgroup_t *cg);
        /* The hierarchy whose cgroup.procs lists every process. */
        cg_hier_t *(*procs_hier)(cgroup_t *cg);
        /* Kill every process at once when the kernel can (v2 cgroup.kill):
         * 1 = done, 0 = not available, negative = error. */
        int (*kill_all)(cgroup_t *cg, cell_error_t *err);
        int (*stats)(cgroup_t *cg, json_t *out, cell_error_t *err);
        uint64_t (*oom_kills)(cgroup_t *cg);
};

extern const cgroup_ops_t cgroup_v1_ops;
extern const cgroup_ops_t cgroup_v2_ops;

/* ---- shared helpers (cgroup_util.c, path resolution in cgroup.c) ---- */

/* The resolved path of the container's cgroup inside each hierarchy,
 * "/a/b"; malloc'd. The systemd form is mapped to cgroupfs paths. */
int cgroup_resolve_path(const cgroup_config_t *cfg, char **ret, cell_error_t *err);
/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
int cgroup_expand_slice(const char *slice, char **ret, cell_error_t *err);

/* The directory fd of a hierarchy's cgroup (opened on first use, for what
 * needs a real fd: bpf attach, listing child cgroups). */
int cg_dirfd(cg_hier_t *h, cell_error_t *err);

/* Open a file of the cgroup (relative to the directory fd when open, else
 * by absolute path); -1 with errno on failure. */
int cg_open(cg_hier_t *h, const char *file, int flags);

/* Write value into file of the cgroup. On failure the error reads
 * "<field>: write <path>/<file>: <strerror>" and -errno is returned. */
int cg_write(cg_hier_t *h, const char *file, const char *value, const char *field, cell_error_t *err);
/* Same, with a printf-formatted value. */
int cg_writef(cg_hier_t *h, const char *file, const char *field, cell_error_t *err, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* Same as cg_write, but an absent file is not an error: returns 0 and sets
 * *absent (when given). */
int cg_write_if_exists(cg_hier_t *h, const char *file, const char *value, const char *field, bool *absent,
                       cell_error_t *err);

/* Read a small file of the cgroup into buf (NUL-terminated, trailing newline
 * kept). Returns the length or -errno (no error object: callers decide
 * whether absence matters). */
ssize_t cg_read(cg_hier_t *h, const char *file, char *buf, size_t size);
/* Read a file of any size; malloc'd. */
int cg_read_alloc(cg_hier_t *h, const char *file, char **ret, cell_error_t *err);
/* Read a single unsigned number ("max" reads as UINT64_MAX). */
int cg_read_u64(cg_hier_t *h, const char *file, uint64_t *ret);
/* Find "key N" in a flat keyed file (memory.events, cpu.stat...). */
bool cg_keyed_u64(const char *text, const char *key, uint64_t *ret);
/* "key value" lines (memory.stat) into an object of numbers. */
json_t *cg_keyed_object(const char *text);

/* Whether file exists in the cgroup directory. */
bool cg_has_file(cg_hier_t *h, const char *file);

/* mkdir -p of the container's path in one hierarchy; h->created counts the
 * levels made. */
int cg_hier_mkdir(cg_hier_t *h, cell_error_t *err);

/* rmdir the hierarchy's cgroup and its child cgroups (deepest first),
 * retrying EBUSY while the kernel drains exiting processes until deadline
 * (cg_now_us() time). A cgroup that is gone already is fine. */
int cg_hier_remove(cg_hier_t *h, long long deadline, cell_error_t *err);

void cg_sleep_us(long us);
long long cg_now_us(void); /* CLOCK_MONOTONIC */

/* Write pid into the hierarchy's cgroup.procs. */
int cg_add_pid_to(cg_hier_t *h, pid_t pid, cell_error_t *err);

/* Add a u64 to a JSON object; values above INT64_MAX (jansson's integers
 * are signed) are stored as INT64_MAX. */
void cg_json_u64(json_t *obj, const char *key, uint64_t v);

/* "MAJ:MIN" with "*" for -1, in buf. */
const char *cg_devnum(char *buf, size_t n, int64_t major, int64_t minor);

/* ---- v2 pieces that the hybrid layout reuses for its unified cgroup (cgroup_v2.c) ---- */

/* Enable controllers in every ancestor's cgroup.subtree_control, from the
 * root down: all that are available when `all` (as runc does), else only
 * those in need; those in need must be available and must succeed.
 * need_field names the resource that needs each controller (index = bit
 * number), for the error message. */
int cgroup_v2_enable_controllers(cg_hier_t *h, uint32_t need, const char *const need_field[32], bool all,
                                 cell_error_t *err);
/* Which v2 controllers the resources need, with the field asking for each:
 * all of them on v2 (all_resources), or on the hybrid layout's unified
 * hierarchy only hugetlb (when no v1 hierarchy has it) and unified keys. */
uint32_t cgroup_v2_needs(const cg_res_t *res, bool all_resources, bool hugetlb_here,
                         const char *need_field[32]);
int cgroup_v2_apply_hugetlb(cg_hier_t *h, const cg_res_t *res, cell_error_t *err);
int cgroup_v2_apply_unified(cg_hier_t *h, const cg_res_t *res, cell_error_t *err);
void cgroup_v2_stats_hugetlb(cg_hier_t *h, json_t *out);

/* linux.resources.rdma into rdma.max (the same format on v1 and v2). */
int cg_rdma_write(cg_hier_t *h, const cg_res_t *res, cell_error_t *err);

/* The huge page sizes the kernel supports ("2MB", "1GB"), for stats. */
char **cg_hugepage_sizes(void);

/* ---- the v1 device controller (cgroup_v1_devices.c) ---- */

/* Write the rules into devices.allow / devices.deny of h: in full at
 * creation, as the difference from devices.list on update. */
int cgroup_v1_devices(cg_hier_t *h, const cg_res_t *res, bool update, cell_error_t *err);

/* ---- the v2 device controller: an eBPF program (cgroup_bpf.c) ---- */

/* Build the BPF_PROG_TYPE_CGROUP_DEVICE program for rules, load it, and
 * attach it to the cgroup directory dirfd (BPF_F_ALLOW_MULTI). A program of
 * ours already attached there (the one *prog_id names, else one with our
 * name) is replaced atomically; fresh = the directory was just made, so
 * there is none to look for. *prog_id is set to the new program's id. */
int cgroup_bpf_devices(int dirfd, const char *path, const cg_dev_rule_t *rules, size_t n, bool fresh,
                       uint32_t *prog_id, cell_error_t *err);

/* The instructions for rules (exposed for tests): malloc'd array of struct
 * bpf_insn, count in *ret_n. */
int cgroup_bpf_build(const cg_dev_rule_t *rules, size_t n, void **ret, size_t *ret_n, cell_error_t *err);
