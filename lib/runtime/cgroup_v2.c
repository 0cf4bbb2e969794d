/* cell: the cgroup v2 backend (one unified hierarchy).
 *
 * A controller's files only appear in a cgroup when every ancestor enables
 * it in cgroup.subtree_control, so creation enables them from the root
 * down; a resource whose controller the hierarchy does not offer is refused
 * with both names. v1 values are converted as runc and crun do (shares to
 * weight, memory+swap to swap alone); the v1-only memory knobs (kernel,
 * kernelTCP, swappiness, disableOOMKiller, useHierarchy) have no v2 file and
 * are ignored, as runc does. Devices are an eBPF program (cgroup_bpf.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "strutil.h"

#define FREEZE_TIMEOUT_US (5 * 1000000LL)

static inline unsigned bit_index(uint32_t bit)
{
        return (unsigned)__builtin_ctz(bit);
}

static void need_add(uint32_t *need, const char *need_field[32], uint32_t bit, const char *field)
{
        if (!(*need & bit)) {
                *need |= bit;
                need_field[bit_index(bit)] = field;
        }
}

/* The controller a unified key belongs to: "memory.high" -> memory; core
 * files (cgroup.*, *.pressure) need none. */
static uint32_t unified_key_controller(const char *key)
{
        size_t kl = strlen(key), pl = strcspn(key, ".");

        if (kl > 9 && strcmp(key + kl - 9, ".pressure") == 0)
                return 0;
        return cg_controller_bit(key, pl, true);
}

uint32_t cgroup_v2_needs(const cg_res_t *res, bool all_resources, bool hugetlb_here,
                         const char *need_field[32])
{
        uint32_t need = 0;

        if (all_resources) {
                if (res->mem_limit.set || res->mem_reservation.set || res->mem_swap.set)
                        need_add(&need, need_field, CG_MEMORY, "linux.resources.memory");
                if (res->cpu_shares.set || res->cpu_quota.set || res->cpu_period.set || res->cpu_burst.set ||
                    res->cpu_idle.set)
                        need_add(&need, need_field, CG_CPU, "linux.resources.cpu");
                if (res->cpu_cpus || res->cpu_mems)
                        need_add(&need, need_field, CG_CPUSET, "linux.resources.cpu");
                if (res->pids_limit.set)
                        need_add(&need, need_field, CG_PIDS, "linux.resources.pids");
                if (res->blkio_weight.set || res->n_weight_devs || res->n_throttle[0] || res->n_throttle[1] ||
                    res->n_throttle[2] || res->n_throttle[3])
                        need_add(&need, need_field, CG_IO, "linux.resources.blockIO");
                if (res->n_rdma)
                        need_add(&need, need_field, CG_RDMA, "linux.resources.rdma");
        }
        if (hugetlb_here && res->n_hugepages)
                need_add(&need, need_field, CG_HUGETLB, "linux.resources.hugepageLimits");
        for (size_t i = 0; i < res->n_unified; i++) {
                uint32_t bit = unified_key_controller(res->unified[i].key);

                if (bit)
                        need_add(&need, need_field, bit, "linux.resources.unified");
        }
        return need;
}

/* Controllers named in a cgroup.controllers text. */
static uint32_t mask_of_words(const char *s)
{
        uint32_t mask = 0;

        while (*s) {
                size_t len;

                s += strspn(s, " \n");
                len = strcspn(s, " \n");
                mask |= cg_controller_bit(s, len, true);
                s += len;
        }
        return mask;
}

/* Whether a controller is listed in a space-separated text. */
static bool has_word(const char *text, const char *word)
{
        size_t wl = strlen(word);

        for (const char *p = text; (p = strstr(p, word)); p += wl)
                if ((p == text || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
                        return true;
        return false;
}

/* Enable words ("+a +b") in one subtree_control. If the kernel refuses the
 * lot, each on its own: one already enabled is fine (the ancestors of a
 * user's delegated cgroup are not ours to write, but systemd has enabled
 * controllers there), a controller we need must succeed, one we only offer
 * may fail and is dropped from the levels below. */
static int enable_at(const char *dir, char *words, uint32_t need, const char *const need_field[32],
                     cell_error_t *err)
{
        _cleanup_free_ char *file = str_printf("%s/cgroup.subtree_control", dir);
        _cleanup_free_ char *copy = NULL, *enabled = NULL;
        size_t w = 0, cap = strlen(words) + 1;

        if (!file)
                return cell_error_set(err, ENOMEM, "cgroup.subtree_control");
        if (fs_write_existing(file, words, strlen(words), NULL) == 0)
                return 0;
        copy = strdup(words);
        if (!copy)
                return cell_error_set(err, ENOMEM, "cgroup.subtree_control");
        if (fs_read_file(file, 4096, &enabled, NULL, NULL) < 0)
                enabled = NULL;
        words[0] = '\0';
        for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                uint32_t bit = cg_controller_bit(tok + 1, strlen(tok + 1), true);
                int e;

                if ((enabled && has_word(enabled, tok + 1)) ||
                    fs_write_existing(file, tok, strlen(tok), NULL) == 0) {
                        /* A subset of the original words: always fits. */
                        w += (size_t)snprintf(words + w, cap - w, "%s%s", w ? " " : "", tok);
                        continue;
                }
                e = errno;
                if (bit & need)
                        return cell_error_set(err, e, "%s: enable the %s controller: write %s",
                                              need_field[bit_index(bit)], tok + 1, file);
        }
        return 0;
}

int cgroup_v2_enable_controllers(cg_hier_t *h, uint32_t need, const char *const need_field[32], bool all,
                                 cell_error_t *err)
{
        _cleanup_free_ char *avail_text = NULL, *words = NULL, *ctl = NULL, *dir = NULL;
        uint32_t avail, missing;
        size_t wl = 0;
        int r;

        ctl = str_printf("%.*s/cgroup.controllers", (int)h->mount_len, h->path);
        if (!ctl)
                return cell_error_set(err, ENOMEM, "cgroup.controllers");
        if ((r = fs_read_file(ctl, 4096, &avail_text, NULL, err)) < 0)
                return r;
        avail_text[strcspn(avail_text, "\n")] = '\0';
        avail = mask_of_words(avail_text);
        missing = need & ~avail;
        if (missing) {
                uint32_t bit = missing & -missing;

                return cell_error_plain(err, ENOTSUP,
                                        "%s: the %s controller is not available in the cgroup v2 hierarchy "
                                        "(cgroup.controllers: %s)",
                                        need_field[bit_index(bit)], cg_controller_name(bit, true),
                                        avail_text[0] ? avail_text : "none");
        }
        /* "+a +b": every available one (as runc: stats and nested use want
         * them), or only those needed. */
        words = malloc(strlen(avail_text) * 2 + 2);
        if (!words)
                return cell_error_set(err, ENOMEM, "cgroup.subtree_control");
        words[0] = '\0';
        for (const char *p = avail_text; *p;) {
                size_t len;

                p += strspn(p, " ");
                len = strcspn(p, " ");
                if (len && (all || (cg_controller_bit(p, len, true) & need)))
                        wl += (size_t)snprintf(words + wl, strlen(avail_text) * 2 + 2 - wl, "%s+%.*s",
                                               wl ? " " : "", (int)len, p);
                p += len;
        }
        if (!wl)
                return 0;
        /* Every ancestor of the leaf, from the root down. */
        dir = strdup(h->path);
        if (!dir)
                return cell_error_set(err, ENOMEM, "cgroup.subtree_control");
        for (size_t i = h->mount_len;; i++) {
                if (dir[i] != '/' && dir[i] != '\0')
                        continue;
                if (dir[i] == '\0')
                        break; /* the leaf itself holds the processes */
                dir[i] = '\0';
                r = enable_at(dir, words, need, need_field, err);
                dir[i] = '/';
                if (r < 0)
                        return r;
                if (!words[0])
                        break;
        }
        return 0;
}

static int v2_setup(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        const char *need_field[32] = {0};
        uint32_t need = cgroup_v2_needs(res, true, true, need_field);
        int r;

        if ((r = cg_hier_mkdir(&cg->h[0], err)) < 0)
                return r;
        return cgroup_v2_enable_controllers(&cg->h[0], need, need_field, true, err);
}

/* ---- resources ---- */

static int v2_memory(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err)
{
        cg_hier_t *h = &cg->h[0];
        cg_opt_t limit = res->mem_limit, swap = res->mem_swap;
        char sbuf[32] = "";
        int r;

        if (!limit.set && !swap.set && !res->mem_reservation.set)
                return 0;
        if (update && res->mem_check_before_update.v && limit.set && limit.v > 0) {
                uint64_t usage;

                if (cg_read_u64(h, "memory.current", &usage) == 0 && usage > (uint64_t)limit.v)
                        return cell_error_plain(
                                err, EBUSY,
                                "linux.resources.memory.limit: %lld is below the current usage %llu",
                                (long long)limit.v, (unsigned long long)usage);
        }
        /* OCI's swap is memory+swap (the v1 meaning); v2 limits swap alone. */
        if (swap.set) {
                if (swap.v == -1) {
                        snprintf(sbuf, sizeof(sbuf), "max");
                } else if (!limit.set || limit.v == -1) {
                        return cell_error_plain(
                                err, EINVAL,
                                "linux.resources.memory.swap: a swap limit needs a memory limit");
                } else if (swap.v < limit.v) {
                        return cell_error_plain(
                                err, EINVAL,
                                "linux.resources.memory.swap: %lld is below linux.resources.memory.limit "
                                "%lld (swap is memory+swap)",
                                (long long)swap.v, (long long)limit.v);
                } else {
                        snprintf(sbuf, sizeof(sbuf), "%lld", (long long)(swap.v - limit.v));
                }
        } else if (limit.set && limit.v == -1) {
                /* No memory limit and no word on swap: no swap limit either. */
                snprintf(sbuf, sizeof(sbuf), "max");
        }
        if (sbuf[0]) {
                bool absent = false;

                if (strcmp(sbuf, "max") == 0)
                        r = cg_write_if_exists(h, "memory.swap.max", sbuf, "linux.resources.memory.swap",
                                               &absent, err);
                else
                        r = cg_write(h, "memory.swap.max", sbuf, "linux.resources.memory.swap", err);
                if (r < 0)
                        return r;
        }
        if (limit.set) {
                if (limit.v == -1)
                        r = cg_write(h, "memory.max", "max", "linux.resources.memory.limit", err);
                else
                        r = cg_writef(h, "memory.max", "linux.resources.memory.limit", err, "%lld",
                                      (long long)limit.v);
                if (r < 0)
                        return r;
        }
        if (res->mem_reservation.set) {
                if (res->mem_reservation.v == -1)
                        r = cg_write(h, "memory.low", "max", "linux.resources.memory.reservation", err);
                else
                        r = cg_writef(h, "memory.low", "linux.resources.memory.reservation", err, "%lld",
                                      (long long)res->mem_reservation.v);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* runc's mapping of v1 shares [2, 262144] onto v2 weight [1, 10000]. */
static uint64_t shares_to_weight(int64_t shares)
{
        uint64_t s = shares < 2 ? 2 : shares > 262144 ? 262144 : (uint64_t)shares;

        return 1 + ((s - 2) * 9999) / 262142;
}

/* blkio weight [10, 1000] onto io.weight [1, 10000]. */
static uint64_t blkio_to_io_weight(int64_t w)
{
        uint64_t x = w < 10 ? 10 : w > 1000 ? 1000 : (uint64_t)w;

        return 1 + (x - 10) * 9999 / 990;
}

static int v2_cpu(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        cg_hier_t *h = &cg->h[0];
        int r;

        if (res->cpu_rt_runtime.set || res->cpu_rt_period.set)
                return cell_error_plain(err, ENOTSUP, "%s: realtime scheduling has no cgroup v2 knob",
                                        res->cpu_rt_runtime.set ? "linux.resources.cpu.realtimeRuntime"
                                                                : "linux.resources.cpu.realtimePeriod");
        if (res->cpu_shares.set &&
            (r = cg_writef(h, "cpu.weight", "linux.resources.cpu.shares", err, "%llu",
                           (unsigned long long)shares_to_weight(res->cpu_shares.v))) < 0)
                return r;
        if (res->cpu_quota.set || res->cpu_period.set) {
                char quota[32] = "max";
                const char *field =
                        res->cpu_quota.set ? "linux.resources.cpu.quota" : "linux.resources.cpu.period";

                /* Without a period the kernel keeps the current one. */
                if (res->cpu_quota.set && res->cpu_quota.v > 0)
                        snprintf(quota, sizeof(quota), "%lld", (long long)res->cpu_quota.v);
                if (res->cpu_period.set)
                        r = cg_writef(h, "cpu.max", field, err, "%s %lld", quota,
                                      (long long)res->cpu_period.v);
                else
                        r = cg_write(h, "cpu.max", quota, field, err);
                if (r < 0)
                        return r;
        }
        if (res->cpu_burst.set && (r = cg_writef(h, "cpu.max.burst", "linux.resources.cpu.burst", err, "%lld",
                                                 (long long)res->cpu_burst.v)) < 0)
                return r;
        if (res->cpu_idle.set &&
            (r = cg_write(h, "cpu.idle", res->cpu_idle.v ? "1" : "0", "linux.resources.cpu.idle", err)) < 0)
                return r;
        if (res->cpu_cpus &&
            (r = cg_write(h, "cpuset.cpus", res->cpu_cpus, "linux.resources.cpu.cpus", err)) < 0)
                return r;
        if (res->cpu_mems &&
            (r = cg_write(h, "cpuset.mems", res->cpu_mems, "linux.resources.cpu.mems", err)) < 0)
                return r;
        return 0;
}

static int v2_io(cgroup_t *cg, const cg_res_t *res, cell_error_t *err)
{
        static const char *const keys[CG_THROTTLE__MAX] = {
                [CG_READ_BPS] = "rbps",
                [CG_WRITE_BPS] = "wbps",
                [CG_READ_IOPS] = "riops",
                [CG_WRITE_IOPS] = "wiops",
        };
        cg_hier_t *h = &cg->h[0];
        char field[160], dev[48];
        bool bfq = false;
        int r;

        /* BFQ's io.bfq.weight takes blkio's own scale; io.weight its own. */
        if (res->blkio_weight.set || res->n_weight_devs)
                bfq = cg_has_file(h, "io.bfq.weight");
        if (res->blkio_weight.set) {
                if (bfq)
                        r = cg_writef(h, "io.bfq.weight", "linux.resources.blockIO.weight", err, "%lld",
                                      (long long)res->blkio_weight.v);
                else
                        r = cg_writef(h, "io.weight", "linux.resources.blockIO.weight", err, "default %llu",
                                      (unsigned long long)blkio_to_io_weight(res->blkio_weight.v));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < res->n_weight_devs; i++) {
                const cg_weight_dev_t *w = &res->weight_devs[i];

                if (!w->weight.set)
                        continue;
                snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu]", i);
                cg_devnum(dev, sizeof(dev), w->major, w->minor);
                if (bfq)
                        r = cg_writef(h, "io.bfq.weight", field, err, "%s %lld", dev, (long long)w->weight.v);
                else
                        r = cg_writef(h, "io.weight", field, err, "%s %llu", dev,
                                      (unsigned long long)blkio_to_io_weight(w->weight.v));
                if (r < 0)
                        return r;
        }
        for (int k = 0; k < CG_THROTTLE__MAX; k++) {
                for (size_t i = 0; i < res->n_throttle[k]; i++) {
                        const cg_throttle_t *t = &res->throttle[k][i];

                        snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]",
                                 cg_throttle_field[k], i);
                        cg_devnum(dev, sizeof(dev), t->major, t->minor);
                        if ((r = cg_writef(h, "io.max", field, err, "%s %s=%llu", dev, keys[k],
                                           (unsigned long long)t->rate)) < 0)
                                return r;
                }
        }
        return 0;
}

int cgroup_v2_apply_hugetlb(cg_hier_t *h, const cg_res_t *res, cell_error_t *err)
{
        char field[96], file[96];
        int r;

        for (size_t i = 0; i < res->n_hugepages; i++) {
                char value[32];

                snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
                snprintf(value, sizeof(value), "%llu", (unsigned long long)res->hugepages[i].limit);
                snprintf(file, sizeof(file), "hugetlb.%s.max", res->hugepages[i].page_size);
                if ((r = cg_write(h, file, value, field, err)) < 0)
                        return r;
                /* Reservations too where the kernel accounts them, or a
                 * mapping could reserve past the limit. */
                snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", res->hugepages[i].page_size);
                if ((r = cg_write_if_exists(h, file, value, field, NULL, err)) < 0)
                        return r;
        }
        return 0;
}

int cgroup_v2_apply_unified(cg_hier_t *h, const cg_res_t *res, cell_error_t *err)
{
        char field[320];
        int r;

        for (size_t i = 0; i < res->n_unified; i++) {
                snprintf(field, sizeof(field), "linux.resources.unified.%s", res->unified[i].key);
                if ((r = cg_write(h, res->unified[i].key, res->unified[i].value, field, err)) < 0)
                        return r;
        }
        return 0;
}

static int v2_apply(cgroup_t *cg, const cg_res_t *res, bool update, cell_error_t *err)
{
        cg_hier_t *h = &cg->h[0];
        int r;

        if (res->net_classid.set || res->n_net_prios)
                return cell_error_plain(
                        err, ENOTSUP,
                        "linux.resources.network: net_cls and net_prio do not exist on cgroup v2");
        if ((r = v2_memory(cg, res, update, err)) < 0 || (r = v2_cpu(cg, res, err)) < 0)
                return r;
        if (res->pids_limit.set) {
                if (res->pids_limit.v <= 0)
                        r = cg_write(h, "pids.max", "max", "linux.resources.pids.limit", err);
                else
                        r = cg_writef(h, "pids.max", "linux.resources.pids.limit", err, "%lld",
                                      (long long)res->pids_limit.v);
                if (r < 0)
                        return r;
        }
        if ((r = v2_io(cg, res, err)) < 0 || (r = cgroup_v2_apply_hugetlb(h, res, err)) < 0 ||
            (r = cg_rdma_write(h, res, err)) < 0)
                return r;
        if (res->devices_set) {
                int dfd = cg_dirfd(h, err);

                if (dfd < 0)
                        return cell_error_prefix(err, "linux.resources.devices");
                r = cgroup_bpf_devices(dfd, h->path, res->devices, res->n_devices, !update && h->created > 0,
                                       &cg->bpf_prog_id, err);
                /* Loading a device program needs privilege a user's delegated
                 * cgroup does not give; runc and crun go without, and so do
                 * we: such a user cannot make device nodes anyway. */
                if (r == -EPERM && cg->rootless) {
                        log_debug("%s: no device program for a rootless container", h->path);
                        cell_error_clear(err);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        /* Last: unified entries win over the converted values, as in runc. */
        return cgroup_v2_apply_unified(h, res, err);
}

/* ---- freezer ---- */

/* Wait for "frozen 0|1" in cgroup.events. The kernel signals a change of
 * the file with POLLPRI; the poll has a short timeout anyway, so a missed
 * notification only costs a little time. */
static int wait_frozen(cg_hier_t *h, bool frozen, cell_error_t *err)
{
        long long deadline = cg_now_us() + FREEZE_TIMEOUT_US;
        _cleanup_close_ int fd = cg_open(h, "cgroup.events", O_RDONLY);

        if (fd < 0)
                return cell_error_errno(err, "open %s/cgroup.events", h->path);
        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = POLLPRI};
                char buf[256];
                ssize_t n = TEMP_FAILURE_RETRY_INT(pread(fd, buf, sizeof(buf) - 1, 0));
                uint64_t v;
                long long left;

                if (n < 0)
                        return cell_error_errno(err, "read %s/cgroup.events", h->path);
                buf[n] = '\0';
                if (cg_keyed_u64(buf, "frozen", &v) && (v != 0) == frozen)
                        return 0;
                left = deadline - cg_now_us();
                if (left <= 0)
                        return cell_error_plain(err, ETIMEDOUT, "%s: %s/cgroup.events does not say frozen %d",
                                                frozen ? "pause" : "resume", h->path, frozen);
                poll(&pfd, 1, left > 10000 ? 10 : (int)(left / 1000) + 1);
        }
}

static int v2_freeze(cgroup_t *cg, bool frozen, cell_error_t *err)
{
        cg_hier_t *h = &cg->h[0];
        int r;

        if ((r = cg_write(h, "cgroup.freeze", frozen ? "1" : "0", NULL, err)) < 0)
                return r;
        if ((r = wait_frozen(h, frozen, err)) < 0) {
                if (frozen)
                        cg_write(h, "cgroup.freeze", "0", NULL, NULL);
                return r;
        }
        return 0;
}

static bool v2_is_frozen(cgroup_t *cg)
{
        char buf[16];

        return cg_read(&cg->h[0], "cgroup.freeze", buf, sizeof(buf)) > 0 && buf[0] == '1';
}

static cg_hier_t *v2_procs_hier(cgroup_t *cg)
{
        return &cg->h[0];
}

static int v2_kill_all(cgroup_t *cg, cell_error_t *err)
{
        bool absent = false;
        /* Absent: an older kernel, or the cgroup is gone already. */
        int r = cg_write_if_exists(&cg->h[0], "cgroup.kill", "1", NULL, &absent, err);

        if (r < 0)
                return r;
        return absent ? 0 : 1;
}

/* ---- stats ---- */

static void v2_stats_cpu(cg_hier_t *h, json_t *out)
{
        char buf[4096];
        json_t *o, *usage, *t;
        uint64_t v;

        if (cg_read(h, "cpu.stat", buf, sizeof(buf)) <= 0)
                return;
        o = json_object();
        usage = json_object();
        t = json_object();
        if (cg_keyed_u64(buf, "usage_usec", &v))
                cg_json_u64(usage, "total", v * 1000);
        if (cg_keyed_u64(buf, "system_usec", &v))
                cg_json_u64(usage, "kernel", v * 1000);
        if (cg_keyed_u64(buf, "user_usec", &v))
                cg_json_u64(usage, "user", v * 1000);
        if (cg_keyed_u64(buf, "nr_periods", &v))
                cg_json_u64(t, "periods", v);
        if (cg_keyed_u64(buf, "nr_throttled", &v))
                cg_json_u64(t, "throttledPeriods", v);
        if (cg_keyed_u64(buf, "throttled_usec", &v))
                cg_json_u64(t, "throttledTime", v * 1000);
        json_object_set_new(o, "usage", usage);
        json_object_set_new(o, "throttling", t);
        json_object_set_new(out, "cpu", o);
}

static void v2_stats_memory(cg_hier_t *h, json_t *out)
{
        _cleanup_free_ char *stat = NULL;
        json_t *o, *usage, *swap;
        uint64_t cur = 0, max = UINT64_MAX, v;
        char buf[1024];

        if (cg_read_u64(h, "memory.current", &cur) < 0)
                return; /* no memory controller here */
        o = json_object();
        usage = json_object();
        cg_json_u64(usage, "usage", cur);
        if (cg_read_u64(h, "memory.max", &max) == 0)
                cg_json_u64(usage, "limit", max);
        if (cg_read_u64(h, "memory.peak", &v) == 0)
                cg_json_u64(usage, "max", v);
        if (cg_read(h, "memory.events", buf, sizeof(buf)) > 0 && cg_keyed_u64(buf, "max", &v))
                cg_json_u64(usage, "failcnt", v);
        json_object_set_new(o, "usage", usage);
        /* v1's swap figures are memory+swap; runc reports v2 the same way. */
        if (cg_read_u64(h, "memory.swap.current", &v) == 0) {
                uint64_t smax;

                swap = json_object();
                cg_json_u64(swap, "usage", v + cur);
                if (cg_read_u64(h, "memory.swap.max", &smax) == 0)
                        cg_json_u64(swap, "limit",
                                    smax == UINT64_MAX || max == UINT64_MAX ? UINT64_MAX : smax + max);
                json_object_set_new(o, "swap", swap);
        }
        if (cg_read_alloc(h, "memory.stat", &stat, NULL) == 0) {
                json_t *raw = cg_keyed_object(stat);

                if (cg_keyed_u64(stat, "file", &v))
                        cg_json_u64(o, "cache", v);
                json_object_set_new(o, "raw", raw);
        }
        json_object_set_new(out, "memory", o);
}

static void v2_stats_pids(cg_hier_t *h, json_t *out)
{
        json_t *o;
        uint64_t v;

        if (cg_read_u64(h, "pids.current", &v) < 0)
                return;
        o = json_object();
        cg_json_u64(o, "current", v);
        if (cg_read_u64(h, "pids.max", &v) == 0 && v != UINT64_MAX)
                cg_json_u64(o, "limit", v);
        json_object_set_new(out, "pids", o);
}

/* io.stat "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." as runc's v1-shaped
 * entries: bytes in ioServiceBytesRecursive, counts in ioServicedRecursive. */
static void v2_stats_io(cg_hier_t *h, json_t *out)
{
        static const struct {
                const char *key;
                bool bytes;
                const char *op;
        } map[] = {
                {"rbytes", true, "Read"},
                {"wbytes", true, "Write"},
                {"rios", false, "Read"},
                {"wios", false, "Write"},
        };
        _cleanup_free_ char *text = NULL;
        json_t *o, *bytes, *ios;

        if (cg_read_alloc(h, "io.stat", &text, NULL) < 0)
                return;
        o = json_object();
        bytes = json_array();
        ios = json_array();
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                unsigned long major, minor;
                char *save2 = NULL, *tok;

                if (sscanf(line, "%lu:%lu", &major, &minor) != 2)
                        continue;
                strtok_r(line, " ", &save2);
                while ((tok = strtok_r(NULL, " ", &save2))) {
                        char *eq = strchr(tok, '=');

                        if (!eq)
                                continue;
                        *eq = '\0';
                        for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
                                json_t *e;

                                if (strcmp(tok, map[i].key) != 0)
                                        continue;
                                e = json_object();
                                cg_json_u64(e, "major", major);
                                cg_json_u64(e, "minor", minor);
                                json_object_set_new(e, "op", json_string(map[i].op));
                                cg_json_u64(e, "value", strtoull(eq + 1, NULL, 10));
                                json_array_append_new(map[i].bytes ? bytes : ios, e);
                        }
                }
        }
        json_object_set_new(o, "ioServiceBytesRecursive", bytes);
        json_object_set_new(o, "ioServicedRecursive", ios);
        json_object_set_new(out, "blkio", o);
}

void cgroup_v2_stats_hugetlb(cg_hier_t *h, json_t *out)
{
        _cleanup_strv_ char **sizes = cg_hugepage_sizes();
        json_t *o = json_object();

        for (char **s = sizes; s && *s; s++) {
                char file[96], buf[256];
                uint64_t v;
                json_t *e;

                snprintf(file, sizeof(file), "hugetlb.%s.current", *s);
                if (cg_read_u64(h, file, &v) < 0)
                        continue;
                e = json_object();
                cg_json_u64(e, "usage", v);
                snprintf(file, sizeof(file), "hugetlb.%s.events", *s);
                if (cg_read(h, file, buf, sizeof(buf)) > 0 && cg_keyed_u64(buf, "max", &v))
                        cg_json_u64(e, "failcnt", v);
                json_object_set_new(o, *s, e);
        }
        if (json_object_size(o))
                json_object_set_new(out, "hugetlb", o);
        else
                json_decref(o);
}

static int v2_stats(cgroup_t *cg, json_t *out, cell_error_t *err)
{
        cg_hier_t *h = &cg->h[0];

        v2_stats_cpu(h, out);
        v2_stats_memory(h, out);
        v2_stats_pids(h, out);
        v2_stats_io(h, out);
        cgroup_v2_stats_hugetlb(h, out);
        return 0;
}

static uint64_t v2_oom_kills(cgroup_t *cg)
{
        char buf[1024];
        uint64_t v = 0;

        if (cg_read(&cg->h[0], "memory.events", buf, sizeof(buf)) > 0)
                cg_keyed_u64(buf, "oom_kill", &v);
        return v;
}

const cgroup_ops_t cgroup_v2_ops = {
        .name = "v2",
        .setup = v2_setup,
        .apply = v2_apply,
        .freeze = v2_freeze,
        .is_frozen = v2_is_frozen,
        .procs_hier = v2_procs_hier,
        .kill_all = v2_kill_all,
        .stats = v2_stats,
        .oom_kills = v2_oom_kills,
};
