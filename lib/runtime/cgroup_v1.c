/* cell: the cgroup v1 backend, including the hybrid layout.
 *
 * Every v1 hierarchy mounted below the root gets the container's directory
 * (even those with no resource to set, such as name=systemd, so that tools
 * reading /proc/PID/cgroup find the container everywhere). In the hybrid
 * layout the unified (v2) hierarchy gets one too; what only exists there
 * (hugetlb on a kernel that binds it to v2, linux.resources.unified) is
 * written in v2 format through cgroup_v2.c's helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#define FREEZE_TIMEOUT_US (5 * 1000000LL)

static cg_hier_t *v1_find(cgroup_t *cg, uint32_t bit)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2 && (cg->h[i].mask & bit))
                        return &cg->h[i];
        return NULL;
}

/* The hierarchy of a controller a resource needs; an error naming the
 * resource when it is not mounted. */
static cg_hier_t *v1_need(cgroup_t *cg, uint32_t bit, const char *field, cell_error_t *err)
{
        cg_hier_t *h = v1_find(cg, bit);

        if (!h)
                cell_error_plain(err, ENOENT, "%s: the %s controller is not mounted under %s", field,
                                 cg_controller_name(bit, false), cg->root);
        return h;
}

/* Refuse a config whose controllers are missing before making anything. */
static int v1_check(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        if (cg_res_wants_memory(res) && !v1_need(cg, CG_MEMORY, "linux.resources.memory", err))
                return -ENOENT;
        if (cg_res_wants_cpu(res) && !v1_need(cg, CG_CPU, "linux.resources.cpu", err))
                return -ENOENT;
        if ((res->cpu_cpus || res->cpu_mems) && !v1_need(cg, CG_CPUSET, "linux.resources.cpu", err))
                return -ENOENT;
        if (res->pids_limit.set && !v1_need(cg, CG_PIDS, "linux.resources.pids", err))
                return -ENOENT;
        if (cg_res_wants_blkio(res) && !v1_need(cg, CG_IO, "linux.resources.blockIO", err))
                return -ENOENT;
        if (res->net_classid.set && !v1_need(cg, CG_NET_CLS, "linux.resources.network.classID", err))
                return -ENOENT;
        if (res->n_net_prios && !v1_need(cg, CG_NET_PRIO, "linux.resources.network.priorities", err))
                return -ENOENT;
        if (res->devices_set && !v1_need(cg, CG_DEVICES, "linux.resources.devices", err))
                return -ENOENT;
        if (res->n_hugepages && !v1_find(cg, CG_HUGETLB) && !cg->v2dir)
                return cell_error_plain(
                        err, ENOENT,
                        "linux.resources.hugepageLimits: the hugetlb controller is not mounted under %s",
                        cg->root);
        if (res->n_unified && !cg->v2dir)
                return cell_error_plain(
                        err, EINVAL,
                        "linux.resources.unified: needs cgroup v2, and %s has only v1 hierarchies", cg->root);
        return 0;
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes, and no
 * process can join it: give each level we made its parent's (the leaf's
 * own values, when the resources set them, come a moment later). */
static int v1_cpuset_fill(cg_hier_t *h, const cg_res_t *res, cell_error_t *err)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        size_t len = strlen(h->path), ends[128], n = 0;

        /* ends[i]: where the path of level i ends; level 0 is the mount point. */
        ends[n++] = h->mount_len;
        for (size_t i = h->mount_len + 1; i < len && n < ARRAY_SIZE(ends) - 1; i++)
                if (h->path[i] == '/')
                        ends[n++] = i;
        ends[n++] = len;
        if (h->created >= n)
                return cell_error_plain(err, EINVAL, "cpuset: %s: too deep", h->path);
        for (size_t lvl = n - h->created; lvl < n; lvl++) {
                for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
                        _cleanup_free_ char *src =
                                str_printf("%.*s/%s", (int)ends[lvl - 1], h->path, files[f]);
                        _cleanup_free_ char *dst = str_printf("%.*s/%s", (int)ends[lvl], h->path, files[f]);
                        _cleanup_free_ char *value = NULL;
                        size_t vl = 0;
                        int r;

                        if (lvl == n - 1 && (f == 0 ? res->cpu_cpus : res->cpu_mems))
                                continue;
                        if (!src || !dst)
                                return cell_error_set(err, ENOMEM, "cpuset");
                        if ((r = fs_read_file(src, 4096, &value, &vl, err)) < 0)
                                return r;
                        /* An empty parent has nothing to give. */
                        if (vl <= 1)
                                continue;
                        if ((r = fs_write_existing(dst, value, vl, err)) < 0)
                                return r;
                }
        }
        return 0;
}

static int v1_setup(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        int r;

        if ((r = v1_check(cg, res, err)) < 0)
                return r;
        for (size_t i = 0; i < cg->n; i++) {
                cg_hier_t *h = &cg->h[i];

                if ((r = cg_hier_mkdir(h, err)) < 0)
                        return r;
                if ((h->mask & CG_CPUSET) && h->created && (r = v1_cpuset_fill(h, res, err)) < 0)
                        return r;
        }
        if (cg->v2dir) {
                const char *need_field[32] = {0};
                uint32_t need = cgroup_v2_needs(res, false, !v1_find(cg, CG_HUGETLB), need_field);

                /* Only what is asked for: the unified hierarchy of the hybrid
                 * layout holds little (hugetlb here), and each write to an
                 * ancestor's subtree_control costs. */
                if (need && (r = cgroup_v2_enable_controllers(cg->v2dir, need, need_field, false, err)) < 0)
                        return r;
        }
        return 0;
}

/* ---- resources ---- */

static int write_i64(cg_hier_t *h, const char *file, int64_t v, const char *field, cell_error_t *err)
{
        return cg_writef(h, file, field, err, "%lld", (long long)v);
}

static int v1_memory(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err)
{
        cg_opt_t limit = res->mem_limit, swap = res->mem_swap;
        bool swap_first = false, absent;
        cg_hier_t *h;
        int r;

        if (!cg_res_wants_memory(res))
                return 0;
        if (!(h = v1_need(cg, CG_MEMORY, "linux.resources.memory", err)))
                return -ENOENT;
        if (update && res->mem_check_before_update.v && limit.set && limit.v > 0) {
                uint64_t usage;

                if (cg_read_u64(h, "memory.usage_in_bytes", &usage) == 0 && usage > (uint64_t)limit.v)
                        return cell_error_plain(
                                err, EBUSY,
                                "linux.resources.memory.limit: %lld is below the current usage %llu",
                                (long long)limit.v, (unsigned long long)usage);
        }
        /* An unlimited memory limit with no word on swap means no swap
         * limit either; otherwise the kernel refuses a memory limit above
         * the memory+swap one. */
        if (limit.set && limit.v == -1 && !swap.set) {
                swap.set = true;
                swap.v = -1;
        }
        /* The kernel keeps memory.limit <= memsw.limit at every step. From
         * (l, s) to (L, S): writing S first works when S >= l, and when it
         * does not, L <= S < l <= s lets L go first. At creation both are
         * unlimited, so the limit goes first without reading anything. */
        if (limit.set && swap.set) {
                if (swap.v == -1) {
                        swap_first = true;
                } else if (update) {
                        uint64_t cur;

                        swap_first =
                                cg_read_u64(h, "memory.limit_in_bytes", &cur) == 0 && (uint64_t)swap.v >= cur;
                }
        }
        if (swap_first && swap.set) {
                if (swap.v == -1)
                        r = cg_write_if_exists(h, "memory.memsw.limit_in_bytes", "-1",
                                               "linux.resources.memory.swap", NULL, err);
                else
                        r = write_i64(h, "memory.memsw.limit_in_bytes", swap.v, "linux.resources.memory.swap",
                                      err);
                if (r < 0)
                        return r;
        }
        if (limit.set &&
            (r = write_i64(h, "memory.limit_in_bytes", limit.v, "linux.resources.memory.limit", err)) < 0)
                return r;
        if (!swap_first && swap.set) {
                if (swap.v == -1)
                        r = cg_write_if_exists(h, "memory.memsw.limit_in_bytes", "-1",
                                               "linux.resources.memory.swap", NULL, err);
                else
                        r = write_i64(h, "memory.memsw.limit_in_bytes", swap.v, "linux.resources.memory.swap",
                                      err);
                if (r < 0)
                        return r;
        }
        if (res->mem_reservation.set &&
            (r = write_i64(h, "memory.soft_limit_in_bytes", res->mem_reservation.v,
                           "linux.resources.memory.reservation", err)) < 0)
                return r;
        /* Kernel memory limits are gone from recent kernels (the files
         * vanish, or refuse with EOPNOTSUPP): skipped there, as runc does. */
        if (res->mem_kernel.set) {
                r = write_i64(h, "memory.kmem.limit_in_bytes", res->mem_kernel.v,
                              "linux.resources.memory.kernel", err);
                if (r == -ENOENT || r == -EOPNOTSUPP)
                        cell_error_clear(err);
                else if (r < 0)
                        return r;
        }
        if (res->mem_kernel_tcp.set) {
                r = write_i64(h, "memory.kmem.tcp.limit_in_bytes", res->mem_kernel_tcp.v,
                              "linux.resources.memory.kernelTCP", err);
                if (r == -ENOENT || r == -EOPNOTSUPP)
                        cell_error_clear(err);
                else if (r < 0)
                        return r;
        }
        if (res->mem_swappiness.set && (r = write_i64(h, "memory.swappiness", res->mem_swappiness.v,
                                                      "linux.resources.memory.swappiness", err)) < 0)
                return r;
        if (res->mem_disable_oom.set &&
            (r = cg_write(h, "memory.oom_control", res->mem_disable_oom.v ? "1" : "0",
                          "linux.resources.memory.disableOOMKiller", err)) < 0)
                return r;
        if (res->mem_use_hierarchy.set &&
            (r = cg_write_if_exists(h, "memory.use_hierarchy", res->mem_use_hierarchy.v ? "1" : "0",
                                    "linux.resources.memory.useHierarchy", &absent, err)) < 0)
                return r;
        return 0;
}

/* Two values the kernel checks against each other (CFS period and quota,
 * RT period and runtime): first in the usual order, and if the kernel
 * refuses the first because of the old second, the other way round. */
static int write_pair(cg_hier_t *h, const char *f1, const cg_opt_t *v1, const char *field1, const char *f2,
                      const cg_opt_t *v2, const char *field2, cell_error_t *err)
{
        int r;

        if (v1->set) {
                r = write_i64(h, f1, v1->v, field1, err);
                if (r == -EINVAL && v2->set) {
                        cell_error_clear(err);
                        if ((r = write_i64(h, f2, v2->v, field2, err)) < 0)
                                return r;
                        return write_i64(h, f1, v1->v, field1, err);
                }
                if (r < 0)
                        return r;
        }
        if (v2->set)
                return write_i64(h, f2, v2->v, field2, err);
        return 0;
}

static int v1_cpu(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        cg_hier_t *h;
        int r;

        if (cg_res_wants_cpu(res)) {
                if (!(h = v1_need(cg, CG_CPU, "linux.resources.cpu", err)))
                        return -ENOENT;
                if (res->cpu_shares.set && (r = write_i64(h, "cpu.shares", res->cpu_shares.v,
                                                          "linux.resources.cpu.shares", err)) < 0)
                        return r;
                if ((r = write_pair(h, "cpu.cfs_period_us", &res->cpu_period, "linux.resources.cpu.period",
                                    "cpu.cfs_quota_us", &res->cpu_quota, "linux.resources.cpu.quota", err)) <
                    0)
                        return r;
                if (res->cpu_burst.set && (r = write_i64(h, "cpu.cfs_burst_us", res->cpu_burst.v,
                                                         "linux.resources.cpu.burst", err)) < 0)
                        return r;
                if ((r = write_pair(h, "cpu.rt_period_us", &res->cpu_rt_period,
                                    "linux.resources.cpu.realtimePeriod", "cpu.rt_runtime_us",
                                    &res->cpu_rt_runtime, "linux.resources.cpu.realtimeRuntime", err)) < 0)
                        return r;
                if (res->cpu_idle.set) {
                        bool absent;

                        r = cg_write_if_exists(h, "cpu.idle", res->cpu_idle.v ? "1" : "0",
                                               "linux.resources.cpu.idle", &absent, err);
                        if (r < 0)
                                return r;
                        /* Older kernels have no idle knob: only asking for
                         * idle is an error there. */
                        if (absent && res->cpu_idle.v)
                                return cell_error_plain(
                                        err, ENOTSUP,
                                        "linux.resources.cpu.idle: %s/cpu.idle: not supported by this kernel",
                                        h->path);
                }
        }
        if (res->cpu_cpus || res->cpu_mems) {
                if (!(h = v1_need(cg, CG_CPUSET, "linux.resources.cpu", err)))
                        return -ENOENT;
                if (res->cpu_cpus &&
                    (r = cg_write(h, "cpuset.cpus", res->cpu_cpus, "linux.resources.cpu.cpus", err)) < 0)
                        return r;
                if (res->cpu_mems &&
                    (r = cg_write(h, "cpuset.mems", res->cpu_mems, "linux.resources.cpu.mems", err)) < 0)
                        return r;
        }
        return 0;
}

static int v1_pids(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        cg_hier_t *h;

        if (!res->pids_limit.set)
                return 0;
        if (!(h = v1_need(cg, CG_PIDS, "linux.resources.pids", err)))
                return -ENOENT;
        if (res->pids_limit.v <= 0)
                return cg_write(h, "pids.max", "max", "linux.resources.pids.limit", err);
        return write_i64(h, "pids.max", res->pids_limit.v, "linux.resources.pids.limit", err);
}

static int v1_blkio(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        static const char *const throttle_files[CG_THROTTLE__MAX] = {
                [CG_READ_BPS] = "blkio.throttle.read_bps_device",
                [CG_WRITE_BPS] = "blkio.throttle.write_bps_device",
                [CG_READ_IOPS] = "blkio.throttle.read_iops_device",
                [CG_WRITE_IOPS] = "blkio.throttle.write_iops_device",
        };
        /* CFQ had blkio.weight; with it gone, BFQ's files take the same values. */
        const char *weight_file = "blkio.weight", *weight_dev_file = "blkio.weight_device";
        char field[160], dev[48];
        cg_hier_t *h;
        int r;

        if (!cg_res_wants_blkio(res))
                return 0;
        if (!(h = v1_need(cg, CG_IO, "linux.resources.blockIO", err)))
                return -ENOENT;
        if ((res->blkio_weight.set || res->n_weight_devs) && !cg_has_file(h, weight_file)) {
                weight_file = "blkio.bfq.weight";
                weight_dev_file = "blkio.bfq.weight_device";
        }
        if (res->blkio_weight.set &&
            (r = write_i64(h, weight_file, res->blkio_weight.v, "linux.resources.blockIO.weight", err)) < 0)
                return r;
        if (res->blkio_leaf_weight.set && (r = write_i64(h, "blkio.leaf_weight", res->blkio_leaf_weight.v,
                                                         "linux.resources.blockIO.leafWeight", err)) < 0)
                return r;
        for (size_t i = 0; i < res->n_weight_devs; i++) {
                const cg_weight_dev_t *w = &res->weight_devs[i];

                snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu]", i);
                cg_devnum(dev, sizeof(dev), w->major, w->minor);
                if (w->weight.set && (r = cg_writef(h, weight_dev_file, field, err, "%s %lld", dev,
                                                    (long long)w->weight.v)) < 0)
                        return r;
                if (w->leaf_weight.set && (r = cg_writef(h, "blkio.leaf_weight_device", field, err, "%s %lld",
                                                         dev, (long long)w->leaf_weight.v)) < 0)
                        return r;
        }
        for (int k = 0; k < CG_THROTTLE__MAX; k++) {
                for (size_t i = 0; i < res->n_throttle[k]; i++) {
                        const cg_throttle_t *t = &res->throttle[k][i];

                        snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]",
                                 cg_throttle_field[k], i);
                        cg_devnum(dev, sizeof(dev), t->major, t->minor);
                        if ((r = cg_writef(h, throttle_files[k], field, err, "%s %llu", dev,
                                           (unsigned long long)t->rate)) < 0)
                                return r;
                }
        }
        return 0;
}

static int v1_hugetlb(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        cg_hier_t *h;
        char field[96], file[96];
        int r;

        if (!res->n_hugepages)
                return 0;
        if (!(h = v1_find(cg, CG_HUGETLB)))
                return cgroup_v2_apply_hugetlb(cg->v2dir, res, err);
        for (size_t i = 0; i < res->n_hugepages; i++) {
                snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
                snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", res->hugepages[i].page_size);
                if ((r = cg_writef(h, file, field, err, "%llu",
                                   (unsigned long long)res->hugepages[i].limit)) < 0)
                        return r;
        }
        return 0;
}

static int v1_network(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        char field[96];
        cg_hier_t *h;
        int r;

        if (res->net_classid.set) {
                if (!(h = v1_need(cg, CG_NET_CLS, "linux.resources.network.classID", err)))
                        return -ENOENT;
                if ((r = write_i64(h, "net_cls.classid", res->net_classid.v,
                                   "linux.resources.network.classID", err)) < 0)
                        return r;
        }
        if (res->n_net_prios) {
                if (!(h = v1_need(cg, CG_NET_PRIO, "linux.resources.network.priorities", err)))
                        return -ENOENT;
                for (size_t i = 0; i < res->n_net_prios; i++) {
                        snprintf(field, sizeof(field), "linux.resources.network.priorities[%zu]", i);
                        if ((r = cg_writef(h, "net_prio.ifpriomap", field, err, "%s %u",
                                           res->net_prios[i].name, res->net_prios[i].priority)) < 0)
                                return r;
                }
        }
        return 0;
}

static int v1_devices(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err)
{
        cg_hier_t *h;

        if (!res->devices_set)
                return 0;
        if (!(h = v1_need(cg, CG_DEVICES, "linux.resources.devices", err)))
                return -ENOENT;
        return cgroup_v1_devices(h, res, update, err);
}

static int v1_apply(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err)
{
        int r;

        /* Create enabled only what its resources needed in the unified
         * hierarchy; an update may need more. */
        if (update && cg->v2dir) {
                const char *need_field[32] = {0};
                uint32_t need = cgroup_v2_needs(res, false, !v1_find(cg, CG_HUGETLB), need_field);

                if (need && (r = cgroup_v2_enable_controllers(cg->v2dir, need, need_field, false, err)) < 0)
                        return r;
        }

        if ((r = v1_memory(cg, res, update, err)) < 0 || (r = v1_cpu(cg, res, err)) < 0 ||
            (r = v1_pids(cg, res, err)) < 0 || (r = v1_blkio(cg, res, err)) < 0 ||
            (r = v1_hugetlb(cg, res, err)) < 0 || (r = v1_network(cg, res, err)) < 0 ||
            (r = v1_devices(cg, res, update, err)) < 0)
                return r;
        if (res->n_rdma) {
                cg_hier_t *h = v1_find(cg, CG_RDMA);

                /* Only where the controller is mounted (the kernel may lack it). */
                if (h && (r = cg_rdma_write(h, res, err)) < 0)
                        return r;
        }
        if (res->n_unified) {
                if (!cg->v2dir)
                        return cell_error_plain(
                                err, EINVAL,
                                "linux.resources.unified: needs cgroup v2, and %s has only v1 hierarchies",
                                cg->root);
                if ((r = cgroup_v2_apply_unified(cg->v2dir, res, err)) < 0)
                        return r;
        }
        return 0;
}

/* ---- freezer ---- */

static int v1_freeze(cgroup_t *cg, bool frozen, cell_error_t *err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        long long deadline = cg_now_us() + FREEZE_TIMEOUT_US;
        cg_hier_t *h = v1_find(cg, CG_FREEZER);
        long delay = 50;
        char state[64] = "";
        int r;

        if (!h)
                return cell_error_plain(err, ENOENT, "%s: the freezer controller is not mounted under %s",
                                        frozen ? "pause" : "resume", cg->root);
        for (int i = 0;; i++) {
                ssize_t n;

                /* The write is repeated now and then: a freeze that races
                 * with a fork can stay FREEZING until asked again. */
                if ((i == 0 || (frozen && i % 8 == 0)) &&
                    (r = cg_write(h, "freezer.state", want, NULL, err)) < 0)
                        return r;
                n = cg_read(h, "freezer.state", state, sizeof(state));
                if (n < 0)
                        return cell_error_set(err, (int)-n, "read %s/freezer.state", h->path);
                state[strcspn(state, "\n")] = '\0';
                if (strcmp(state, want) == 0)
                        return 0;
                if (cg_now_us() >= deadline)
                        break;
                cg_sleep_us(delay);
                if (delay < 10000)
                        delay *= 2;
        }
        /* Do not leave it half frozen. */
        if (frozen)
                cg_write(h, "freezer.state", "THAWED", NULL, NULL);
        return cell_error_plain(err, ETIMEDOUT, "%s: %s/freezer.state stays %s", frozen ? "pause" : "resume",
                                h->path, state);
}

static bool v1_is_frozen(cgroup_t *cg)
{
        cg_hier_t *h = v1_find(cg, CG_FREEZER);
        char state[64];

        return h && cg_read(h, "freezer.state", state, sizeof(state)) > 0 && strncmp(state, "FROZEN", 6) == 0;
}

static cg_hier_t *v1_procs_hier(cgroup_t *cg)
{
        static const uint32_t pref[] = {CG_PIDS, CG_MEMORY, CG_FREEZER, CG_CPU};

        for (size_t i = 0; i < ARRAY_SIZE(pref); i++) {
                cg_hier_t *h = v1_find(cg, pref[i]);

                if (h)
                        return h;
        }
        return &cg->h[0];
}

/* ---- stats (runc's `events --stats` shape) ---- */

static void stat_entry(cg_hier_t *h, json_t *parent, const char *key, const char *prefix)
{
        static const struct {
                const char *suffix, *key;
        } files[] = {
                {"usage_in_bytes", "usage"},
                {"max_usage_in_bytes", "max"},
                {"limit_in_bytes", "limit"},
                {"failcnt", "failcnt"},
        };
        json_t *o = json_object();
        char file[96];

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                uint64_t v;

                snprintf(file, sizeof(file), "%s%s", prefix, files[i].suffix);
                if (cg_read_u64(h, file, &v) == 0)
                        cg_json_u64(o, files[i].key, v);
        }
        if (json_object_size(o))
                json_object_set_new(parent, key, o);
        else
                json_decref(o);
}

static void v1_stats_cpu(cgroup_t *cg, json_t *out)
{
        cg_hier_t *acct = v1_find(cg, CG_CPUACCT), *cpu = v1_find(cg, CG_CPU);
        json_t *o = json_object(), *usage = json_object();
        char buf[8192];
        uint64_t v;

        if (acct) {
                if (cg_read_u64(acct, "cpuacct.usage", &v) == 0)
                        cg_json_u64(usage, "total", v);
                _cleanup_free_ char *percpu = NULL;

                if (cg_read_alloc(acct, "cpuacct.usage_percpu", &percpu, NULL) == 0) {
                        json_t *arr = json_array();
                        char *p = percpu, *end;

                        for (;;) {
                                unsigned long long x = strtoull(p, &end, 10);

                                if (end == p)
                                        break;
                                json_array_append_new(
                                        arr, json_integer(x > INT64_MAX ? INT64_MAX : (json_int_t)x));
                                p = end;
                        }
                        json_object_set_new(usage, "percpu", arr);
                }
                /* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
                if (cg_read(acct, "cpuacct.stat", buf, sizeof(buf)) > 0) {
                        long hz = sysconf(_SC_CLK_TCK);

                        if (hz <= 0)
                                hz = 100;
                        if (cg_keyed_u64(buf, "user", &v))
                                cg_json_u64(usage, "user", v * (1000000000ULL / (uint64_t)hz));
                        if (cg_keyed_u64(buf, "system", &v))
                                cg_json_u64(usage, "kernel", v * (1000000000ULL / (uint64_t)hz));
                }
        }
        if (json_object_size(usage))
                json_object_set_new(o, "usage", usage);
        else
                json_decref(usage);
        if (cpu && cg_read(cpu, "cpu.stat", buf, sizeof(buf)) > 0) {
                json_t *t = json_object();

                if (cg_keyed_u64(buf, "nr_periods", &v))
                        cg_json_u64(t, "periods", v);
                if (cg_keyed_u64(buf, "nr_throttled", &v))
                        cg_json_u64(t, "throttledPeriods", v);
                if (cg_keyed_u64(buf, "throttled_time", &v))
                        cg_json_u64(t, "throttledTime", v);
                json_object_set_new(o, "throttling", t);
        }
        if (json_object_size(o))
                json_object_set_new(out, "cpu", o);
        else
                json_decref(o);
}

static void v1_stats_memory(cgroup_t *cg, json_t *out)
{
        cg_hier_t *h = v1_find(cg, CG_MEMORY);
        _cleanup_free_ char *stat = NULL;
        json_t *o;

        if (!h)
                return;
        o = json_object();
        stat_entry(h, o, "usage", "memory.");
        stat_entry(h, o, "swap", "memory.memsw.");
        stat_entry(h, o, "kernel", "memory.kmem.");
        stat_entry(h, o, "kernelTCP", "memory.kmem.tcp.");
        if (cg_read_alloc(h, "memory.stat", &stat, NULL) == 0) {
                json_t *raw = cg_keyed_object(stat);
                uint64_t cache;

                if (cg_keyed_u64(stat, "total_cache", &cache) || cg_keyed_u64(stat, "cache", &cache))
                        cg_json_u64(o, "cache", cache);
                json_object_set_new(o, "raw", raw);
        }
        if (json_object_size(o))
                json_object_set_new(out, "memory", o);
        else
                json_decref(o);
}

static void v1_stats_pids(cgroup_t *cg, json_t *out)
{
        cg_hier_t *h = v1_find(cg, CG_PIDS);
        json_t *o;
        uint64_t v;

        if (!h)
                return;
        o = json_object();
        if (cg_read_u64(h, "pids.current", &v) == 0)
                cg_json_u64(o, "current", v);
        /* "max" is no limit: left out, as runc does (its limit 0 is omitted). */
        if (cg_read_u64(h, "pids.max", &v) == 0 && v != UINT64_MAX)
                cg_json_u64(o, "limit", v);
        if (json_object_size(o))
                json_object_set_new(out, "pids", o);
        else
                json_decref(o);
}

/* "MAJ:MIN Op N" lines into [{major, minor, op, value}]. */
static json_t *blkio_entries(const char *text)
{
        json_t *arr = json_array();

        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                unsigned long major, minor;
                unsigned long long value;
                char op[32];

                if (!nl)
                        nl = p + strlen(p);
                if (sscanf(p, "%lu:%lu %31s %llu", &major, &minor, op, &value) == 4) {
                        json_t *e = json_object();

                        cg_json_u64(e, "major", major);
                        cg_json_u64(e, "minor", minor);
                        json_object_set_new(e, "op", json_string(op));
                        cg_json_u64(e, "value", value);
                        json_array_append_new(arr, e);
                }
                p = *nl ? nl + 1 : nl;
        }
        return arr;
}

static void v1_stats_blkio(cgroup_t *cg, json_t *out)
{
        static const struct {
                const char *key, *files[2];
        } stats[] = {
                {"ioServiceBytesRecursive",
                 {"blkio.throttle.io_service_bytes_recursive", "blkio.io_service_bytes_recursive"}},
                {"ioServicedRecursive",
                 {"blkio.throttle.io_serviced_recursive", "blkio.io_serviced_recursive"}},
        };
        cg_hier_t *h = v1_find(cg, CG_IO);
        json_t *o;

        if (!h)
                return;
        o = json_object();
        for (size_t i = 0; i < ARRAY_SIZE(stats); i++) {
                for (size_t f = 0; f < 2; f++) {
                        _cleanup_free_ char *text = NULL;

                        if (cg_read_alloc(h, stats[i].files[f], &text, NULL) == 0) {
                                json_object_set_new(o, stats[i].key, blkio_entries(text));
                                break;
                        }
                }
        }
        json_object_set_new(out, "blkio", o);
}

static void v1_stats_hugetlb(cgroup_t *cg, json_t *out)
{
        cg_hier_t *h = v1_find(cg, CG_HUGETLB);
        _cleanup_strv_ char **sizes = NULL;
        json_t *o;

        if (!h) {
                if (cg->v2dir)
                        cgroup_v2_stats_hugetlb(cg->v2dir, out);
                return;
        }
        sizes = cg_hugepage_sizes();
        o = json_object();
        for (char **s = sizes; s && *s; s++) {
                json_t *e = json_object();
                char file[96];
                uint64_t v;

                snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", *s);
                if (cg_read_u64(h, file, &v) == 0)
                        cg_json_u64(e, "usage", v);
                snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", *s);
                if (cg_read_u64(h, file, &v) == 0)
                        cg_json_u64(e, "max", v);
                snprintf(file, sizeof(file), "hugetlb.%s.failcnt", *s);
                if (cg_read_u64(h, file, &v) == 0)
                        cg_json_u64(e, "failcnt", v);
                if (json_object_size(e))
                        json_object_set_new(o, *s, e);
                else
                        json_decref(e);
        }
        json_object_set_new(out, "hugetlb", o);
}

static int v1_stats(cgroup_t *cg, json_t *out, cell_error_t *err)
{
        v1_stats_cpu(cg, out);
        v1_stats_memory(cg, out);
        v1_stats_pids(cg, out);
        v1_stats_blkio(cg, out);
        v1_stats_hugetlb(cg, out);
        return 0;
}

static uint64_t v1_oom_kills(cgroup_t *cg)
{
        cg_hier_t *h = v1_find(cg, CG_MEMORY);
        char buf[512];
        uint64_t v = 0;

        if (h && cg_read(h, "memory.oom_control", buf, sizeof(buf)) > 0)
                cg_keyed_u64(buf, "oom_kill", &v);
        return v;
}

const cgroup_ops_t cgroup_v1_ops = {
        .name = "v1",
        .setup = v1_setup,
        .apply = v1_apply,
        .freeze = v1_freeze,
        .is_frozen = v1_is_frozen,
        .procs_hier = v1_procs_hier,
        .kill_all = NULL,
        .stats = v1_stats,
        .oom_kills = v1_oom_kills,
};
