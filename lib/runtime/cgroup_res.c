/* cell: linux.resources, parsed into cg_res_t.
 *
 * spec.c only checks that linux.resources is an object; the members are
 * checked here, once, before any directory is made, so that a typo fails
 * the container with a message naming the field instead of leaving half of
 * the limits applied. Where runc treats a zero as "not set" (memory limit,
 * swap, reservation, CPU shares, quota, period, realtime values, block I/O
 * weights), so do we: configs written for runc mean the same here. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "jsonfield.h"
#include "cleanup.h"

#define FIELD_MAX 192

const char *const cg_throttle_field[CG_THROTTLE__MAX] = {
        [CG_READ_BPS] = "throttleReadBpsDevice",
        [CG_WRITE_BPS] = "throttleWriteBpsDevice",
        [CG_READ_IOPS] = "throttleReadIOPSDevice",
        [CG_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

/* An integer member in [min, max]; integral reals are accepted (some
 * generators write 1e9), and for uint64 members (max == INT64_MAX with
 * saturate) a real beyond INT64_MAX saturates, since jansson cannot hold
 * such an integer. Absent or null leaves *ret unset. */
static int get_num(json_t *obj, const char *key, const char *field, long long min, long long max,
                   bool saturate, cg_opt_t *ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);
        long long i;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v)) {
                i = json_integer_value(v);
        } else if (json_is_real(v)) {
                double d = json_real_value(v);

                if (d != trunc(d))
                        return jf_type_error(err, field, "an integer");
                /* Range first: converting a double outside long long's range
                 * is undefined behaviour. */
                if (saturate && d >= 0x1p63)
                        i = INT64_MAX;
                else if (d >= -0x1p63 && d < 0x1p63)
                        i = (long long)d;
                else
                        return cell_error_plain(err, ERANGE, "%s: %g is out of range", field, d);
        } else {
                return jf_type_error(err, field, "an integer");
        }
        if (i < min || i > max)
                return cell_error_plain(err, ERANGE, "%s: %lld is out of range [%lld, %lld]", field, i, min,
                                        max);
        ret->set = true;
        ret->v = i;
        return 0;
}

static int get_bool(json_t *obj, const char *key, const char *field, cg_opt_t *ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return jf_type_error(err, field, "true or false");
        ret->set = true;
        ret->v = json_is_true(v);
        return 0;
}

static int get_str(json_t *obj, const char *key, const char *field, const char **ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return jf_type_error(err, field, "a string");
        *ret = json_string_value(v);
        return 0;
}

/* The member as an object (NULL when absent or null; *r < 0 on a wrong type). */
/* calloc for an array of n elements, at least one so that a present but
 * empty array still gives a non-NULL pointer. */
static void *alloc_array(size_t n, size_t size, const char *field, cell_error_t *err)
{
        void *p = calloc(n ? n : 1, size);

        if (!p)
                cell_error_set(err, ENOMEM, "%s", field);
        return p;
}

/* A device number member: -1 (or absent when optional) = any. Device
 * numbers are 32-bit in the kernel's device program context. */
static int get_devnum(json_t *obj, const char *key, const char *field, bool required, int64_t *ret,
                      cell_error_t *err)
{
        cg_opt_t o = {0};
        int r;

        if ((r = get_num(obj, key, field, -1, UINT32_MAX, false, &o, err)) < 0)
                return r;
        if (!o.set && required)
                return cell_error_plain(err, EINVAL, "%s: missing", field);
        *ret = o.set ? o.v : -1;
        return 0;
}

static int parse_memory(json_t *m, cg_res_t *res, cell_error_t *err)
{
        int r;

        res->memory = true;
        if ((r = get_num(m, "limit", "linux.resources.memory.limit", -1, INT64_MAX, true, &res->mem_limit,
                         err)) < 0 ||
            (r = get_num(m, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX, true,
                         &res->mem_reservation, err)) < 0 ||
            (r = get_num(m, "swap", "linux.resources.memory.swap", -1, INT64_MAX, true, &res->mem_swap,
                         err)) < 0 ||
            (r = get_num(m, "kernel", "linux.resources.memory.kernel", -1, INT64_MAX, true, &res->mem_kernel,
                         err)) < 0 ||
            (r = get_num(m, "kernelTCP", "linux.resources.memory.kernelTCP", -1, INT64_MAX, true,
                         &res->mem_kernel_tcp, err)) < 0 ||
            (r = get_num(m, "swappiness", "linux.resources.memory.swappiness", 0, 100, false,
                         &res->mem_swappiness, err)) < 0 ||
            (r = get_bool(m, "disableOOMKiller", "linux.resources.memory.disableOOMKiller",
                          &res->mem_disable_oom, err)) < 0 ||
            (r = get_bool(m, "useHierarchy", "linux.resources.memory.useHierarchy", &res->mem_use_hierarchy,
                          err)) < 0 ||
            (r = get_bool(m, "checkBeforeUpdate", "linux.resources.memory.checkBeforeUpdate",
                          &res->mem_check_before_update, err)) < 0)
                return r;
        /* Zero means "not set" for these, as in runc. */
        if (res->mem_limit.set && res->mem_limit.v == 0)
                res->mem_limit.set = false;
        if (res->mem_swap.set && res->mem_swap.v == 0)
                res->mem_swap.set = false;
        if (res->mem_reservation.set && res->mem_reservation.v == 0)
                res->mem_reservation.set = false;
        return 0;
}

static int parse_cpu(json_t *c, cg_res_t *res, cell_error_t *err)
{
        int r;

        if ((r = get_num(c, "shares", "linux.resources.cpu.shares", 0, INT64_MAX, true, &res->cpu_shares,
                         err)) < 0 ||
            (r = get_num(c, "quota", "linux.resources.cpu.quota", INT64_MIN, INT64_MAX, false,
                         &res->cpu_quota, err)) < 0 ||
            (r = get_num(c, "burst", "linux.resources.cpu.burst", 0, INT64_MAX, true, &res->cpu_burst, err)) <
                    0 ||
            (r = get_num(c, "period", "linux.resources.cpu.period", 0, INT64_MAX, true, &res->cpu_period,
                         err)) < 0 ||
            (r = get_num(c, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime", INT64_MIN, INT64_MAX,
                         false, &res->cpu_rt_runtime, err)) < 0 ||
            (r = get_num(c, "realtimePeriod", "linux.resources.cpu.realtimePeriod", 0, INT64_MAX, true,
                         &res->cpu_rt_period, err)) < 0 ||
            (r = get_num(c, "idle", "linux.resources.cpu.idle", INT64_MIN, INT64_MAX, false, &res->cpu_idle,
                         err)) < 0 ||
            (r = get_str(c, "cpus", "linux.resources.cpu.cpus", &res->cpu_cpus, err)) < 0 ||
            (r = get_str(c, "mems", "linux.resources.cpu.mems", &res->cpu_mems, err)) < 0)
                return r;
        if (res->cpu_shares.set && res->cpu_shares.v == 0)
                res->cpu_shares.set = false;
        if (res->cpu_quota.set && res->cpu_quota.v == 0)
                res->cpu_quota.set = false;
        if (res->cpu_period.set && res->cpu_period.v == 0)
                res->cpu_period.set = false;
        if (res->cpu_rt_runtime.set && res->cpu_rt_runtime.v == 0)
                res->cpu_rt_runtime.set = false;
        if (res->cpu_rt_period.set && res->cpu_rt_period.v == 0)
                res->cpu_rt_period.set = false;
        if (res->cpu_cpus && !res->cpu_cpus[0])
                res->cpu_cpus = NULL;
        if (res->cpu_mems && !res->cpu_mems[0])
                res->cpu_mems = NULL;
        return 0;
}

static int parse_throttle(json_t *b, int kind, cg_res_t *res, cell_error_t *err)
{
        char f[FIELD_MAX], f2[FIELD_MAX + 16];
        json_t *arr, *e;
        size_t i;
        int r;

        snprintf(f, sizeof(f), "linux.resources.blockIO.%s", cg_throttle_field[kind]);
        if (!(arr = jf_array(b, cg_throttle_field[kind], f, &r, err)))
                return r;
        if (!(res->throttle[kind] = alloc_array(json_array_size(arr), sizeof(cg_throttle_t), f, err)))
                return -ENOMEM;
        json_array_foreach(arr, i, e)
        {
                cg_throttle_t *t = &res->throttle[kind][i];
                cg_opt_t rate = {0};

                res->n_throttle[kind] = i + 1;
                snprintf(f2, sizeof(f2), "%s[%zu]", f, i);
                if (!json_is_object(e))
                        return jf_type_error(err, f2, "an object");
                snprintf(f2, sizeof(f2), "%s[%zu].major", f, i);
                if ((r = get_devnum(e, "major", f2, true, &t->major, err)) < 0)
                        return r;
                snprintf(f2, sizeof(f2), "%s[%zu].minor", f, i);
                if ((r = get_devnum(e, "minor", f2, true, &t->minor, err)) < 0)
                        return r;
                snprintf(f2, sizeof(f2), "%s[%zu].rate", f, i);
                if ((r = get_num(e, "rate", f2, 0, INT64_MAX, true, &rate, err)) < 0)
                        return r;
                if (!rate.set)
                        return cell_error_plain(err, EINVAL, "%s: missing", f2);
                if (t->major < 0 || t->minor < 0)
                        return cell_error_plain(err, EINVAL, "%s[%zu]: needs a device, not a wildcard", f, i);
                t->rate = (uint64_t)rate.v;
        }
        return 0;
}

static int parse_blkio(json_t *b, cg_res_t *res, cell_error_t *err)
{
        const char *f = "linux.resources.blockIO.weightDevice";
        char f2[FIELD_MAX];
        json_t *arr, *e;
        size_t i;
        int r;

        if ((r = get_num(b, "weight", "linux.resources.blockIO.weight", 0, UINT16_MAX, false,
                         &res->blkio_weight, err)) < 0 ||
            (r = get_num(b, "leafWeight", "linux.resources.blockIO.leafWeight", 0, UINT16_MAX, false,
                         &res->blkio_leaf_weight, err)) < 0)
                return r;
        if (res->blkio_weight.set && res->blkio_weight.v == 0)
                res->blkio_weight.set = false;
        if (res->blkio_leaf_weight.set && res->blkio_leaf_weight.v == 0)
                res->blkio_leaf_weight.set = false;
        if ((arr = jf_array(b, "weightDevice", f, &r, err))) {
                if (!(res->weight_devs = alloc_array(json_array_size(arr), sizeof(cg_weight_dev_t), f, err)))
                        return -ENOMEM;
                json_array_foreach(arr, i, e)
                {
                        cg_weight_dev_t *w = &res->weight_devs[i];

                        res->n_weight_devs = i + 1;
                        snprintf(f2, sizeof(f2), "%s[%zu]", f, i);
                        if (!json_is_object(e))
                                return jf_type_error(err, f2, "an object");
                        snprintf(f2, sizeof(f2), "%s[%zu].major", f, i);
                        if ((r = get_devnum(e, "major", f2, true, &w->major, err)) < 0)
                                return r;
                        snprintf(f2, sizeof(f2), "%s[%zu].minor", f, i);
                        if ((r = get_devnum(e, "minor", f2, true, &w->minor, err)) < 0)
                                return r;
                        snprintf(f2, sizeof(f2), "%s[%zu].weight", f, i);
                        if ((r = get_num(e, "weight", f2, 0, UINT16_MAX, false, &w->weight, err)) < 0)
                                return r;
                        snprintf(f2, sizeof(f2), "%s[%zu].leafWeight", f, i);
                        if ((r = get_num(e, "leafWeight", f2, 0, UINT16_MAX, false, &w->leaf_weight, err)) <
                            0)
                                return r;
                        if (w->major < 0 || w->minor < 0)
                                return cell_error_plain(err, EINVAL,
                                                        "%s[%zu]: needs a device, not a wildcard", f, i);
                }
        } else if (r < 0) {
                return r;
        }
        for (int k = 0; k < CG_THROTTLE__MAX; k++)
                if ((r = parse_throttle(b, k, res, err)) < 0)
                        return r;
        return 0;
}

/* "2MB", "1GB", "64KB": the page size becomes part of a file name
 * (hugetlb.2MB.max), so nothing but digits and a unit gets through. */
static bool page_size_valid(const char *s)
{
        size_t d = strspn(s, "0123456789");

        return d > 0 && d < 16 &&
               (strcmp(s + d, "KB") == 0 || strcmp(s + d, "MB") == 0 || strcmp(s + d, "GB") == 0 ||
                strcmp(s + d, "TB") == 0);
}

static int parse_hugepages(json_t *arr, cg_res_t *res, cell_error_t *err)
{
        const char *f = "linux.resources.hugepageLimits";
        char f2[FIELD_MAX];
        json_t *e;
        size_t i;
        int r;

        if (!(res->hugepages = alloc_array(json_array_size(arr), sizeof(cg_hugepage_t), f, err)))
                return -ENOMEM;
        json_array_foreach(arr, i, e)
        {
                cg_hugepage_t *h = &res->hugepages[i];
                cg_opt_t limit = {0};

                res->n_hugepages = i + 1;
                snprintf(f2, sizeof(f2), "%s[%zu]", f, i);
                if (!json_is_object(e))
                        return jf_type_error(err, f2, "an object");
                snprintf(f2, sizeof(f2), "%s[%zu].pageSize", f, i);
                if ((r = get_str(e, "pageSize", f2, &h->page_size, err)) < 0)
                        return r;
                if (!h->page_size)
                        return cell_error_plain(err, EINVAL, "%s: missing", f2);
                if (!page_size_valid(h->page_size))
                        return cell_error_plain(err, EINVAL, "%s: \"%s\" is not a page size like \"2MB\"", f2,
                                                h->page_size);
                snprintf(f2, sizeof(f2), "%s[%zu].limit", f, i);
                if ((r = get_num(e, "limit", f2, 0, INT64_MAX, true, &limit, err)) < 0)
                        return r;
                if (!limit.set)
                        return cell_error_plain(err, EINVAL, "%s: missing", f2);
                h->limit = (uint64_t)limit.v;
        }
        return 0;
}

/* A name written into a line of a cgroup file (interface, RDMA device):
 * whitespace would split the line. */
static bool name_valid(const char *s)
{
        return s[0] && !strpbrk(s, " \t\n\r");
}

static int parse_network(json_t *n, cg_res_t *res, cell_error_t *err)
{
        const char *f = "linux.resources.network.priorities";
        char f2[FIELD_MAX];
        json_t *arr, *e;
        size_t i;
        int r;

        if ((r = get_num(n, "classID", "linux.resources.network.classID", 0, UINT32_MAX, false,
                         &res->net_classid, err)) < 0)
                return r;
        if (!(arr = jf_array(n, "priorities", f, &r, err)))
                return r;
        if (!(res->net_prios = alloc_array(json_array_size(arr), sizeof(cg_prio_t), f, err)))
                return -ENOMEM;
        json_array_foreach(arr, i, e)
        {
                cg_prio_t *p = &res->net_prios[i];
                cg_opt_t prio = {0};

                res->n_net_prios = i + 1;
                snprintf(f2, sizeof(f2), "%s[%zu]", f, i);
                if (!json_is_object(e))
                        return jf_type_error(err, f2, "an object");
                snprintf(f2, sizeof(f2), "%s[%zu].name", f, i);
                if ((r = get_str(e, "name", f2, &p->name, err)) < 0)
                        return r;
                if (!p->name || !name_valid(p->name))
                        return cell_error_plain(err, EINVAL, "%s: expected an interface name", f2);
                snprintf(f2, sizeof(f2), "%s[%zu].priority", f, i);
                if ((r = get_num(e, "priority", f2, 0, UINT32_MAX, false, &prio, err)) < 0)
                        return r;
                p->priority = (uint32_t)prio.v;
        }
        return 0;
}

static int parse_rdma(json_t *o, cg_res_t *res, cell_error_t *err)
{
        char f[FIELD_MAX];
        const char *key;
        json_t *e;
        size_t i = 0;
        int r;

        if (!(res->rdma = alloc_array(json_object_size(o), sizeof(cg_rdma_t), "linux.resources.rdma", err)))
                return -ENOMEM;
        json_object_foreach(o, key, e)
        {
                cg_rdma_t *d = &res->rdma[i++];

                res->n_rdma = i;
                snprintf(f, sizeof(f), "linux.resources.rdma.%s", key);
                if (!name_valid(key))
                        return cell_error_plain(err, EINVAL, "%s: expected a device name", f);
                if (!json_is_object(e))
                        return jf_type_error(err, f, "an object");
                d->device = key;
                snprintf(f, sizeof(f), "linux.resources.rdma.%s.hcaHandles", key);
                if ((r = get_num(e, "hcaHandles", f, 0, UINT32_MAX, false, &d->handles, err)) < 0)
                        return r;
                snprintf(f, sizeof(f), "linux.resources.rdma.%s.hcaObjects", key);
                if ((r = get_num(e, "hcaObjects", f, 0, UINT32_MAX, false, &d->objects, err)) < 0)
                        return r;
        }
        return 0;
}

/* Keys of linux.resources.unified are file names inside the container's
 * cgroup: anything that could name another file is refused. */
static int parse_unified(json_t *o, cg_res_t *res, cell_error_t *err)
{
        char f[FIELD_MAX];
        const char *key;
        json_t *e;
        size_t i = 0;

        if (!(res->unified =
                      alloc_array(json_object_size(o), sizeof(cg_kv_t), "linux.resources.unified", err)))
                return -ENOMEM;
        json_object_foreach(o, key, e)
        {
                snprintf(f, sizeof(f), "linux.resources.unified.%s", key);
                if (!key[0] || strchr(key, '/') || strcmp(key, ".") == 0 || strstr(key, ".."))
                        return cell_error_plain(err, EINVAL, "%s: not a cgroup file name", f);
                if (!json_is_string(e))
                        return jf_type_error(err, f, "a string");
                res->unified[i].key = key;
                res->unified[i].value = json_string_value(e);
                res->n_unified = ++i;
        }
        return 0;
}

static int parse_devices(json_t *arr, cg_res_t *res, cell_error_t *err)
{
        const char *f = "linux.resources.devices";
        char f2[FIELD_MAX];
        json_t *e;
        size_t i;
        int r;

        res->devices_set = true;
        if (!(res->devices = alloc_array(json_array_size(arr), sizeof(cg_dev_rule_t), f, err)))
                return -ENOMEM;
        json_array_foreach(arr, i, e)
        {
                cg_dev_rule_t *d = &res->devices[res->n_devices];
                const char *type = NULL, *access = NULL;
                cg_opt_t allow = {0};

                snprintf(f2, sizeof(f2), "%s[%zu]", f, i);
                if (!json_is_object(e))
                        return jf_type_error(err, f2, "an object");
                snprintf(f2, sizeof(f2), "%s[%zu].allow", f, i);
                if ((r = get_bool(e, "allow", f2, &allow, err)) < 0)
                        return r;
                if (!allow.set)
                        return cell_error_plain(err, EINVAL, "%s: missing", f2);
                d->allow = allow.v;
                snprintf(f2, sizeof(f2), "%s[%zu].type", f, i);
                if ((r = get_str(e, "type", f2, &type, err)) < 0)
                        return r;
                if (!type || !type[0])
                        type = "a";
                if (strlen(type) != 1 || !strchr("acbup", type[0]))
                        return cell_error_plain(err, EINVAL, "%s: expected one of a, c, b, u, p; not \"%s\"",
                                                f2, type);
                d->type = type[0] == 'u' ? 'c' : type[0];
                snprintf(f2, sizeof(f2), "%s[%zu].major", f, i);
                if ((r = get_devnum(e, "major", f2, false, &d->major, err)) < 0)
                        return r;
                snprintf(f2, sizeof(f2), "%s[%zu].minor", f, i);
                if ((r = get_devnum(e, "minor", f2, false, &d->minor, err)) < 0)
                        return r;
                snprintf(f2, sizeof(f2), "%s[%zu].access", f, i);
                if ((r = get_str(e, "access", f2, &access, err)) < 0)
                        return r;
                if (!access || !access[0])
                        access = "rwm";
                d->access = 0;
                for (const char *c = access; *c; c++) {
                        if (*c == 'r')
                                d->access |= CG_DEV_READ;
                        else if (*c == 'w')
                                d->access |= CG_DEV_WRITE;
                        else if (*c == 'm')
                                d->access |= CG_DEV_MKNOD;
                        else
                                return cell_error_plain(err, EINVAL,
                                                        "%s: expected letters of \"rwm\", not \"%s\"", f2,
                                                        access);
                }
                /* FIFOs are not subject to the device controller. */
                if (d->type != 'p')
                        res->n_devices++;
        }
        return 0;
}

int cg_res_parse(json_t *resources, cg_res_t *res, cell_error_t *err)
{
        json_t *o;
        int r;

        memset(res, 0, sizeof(*res));
        if (!resources || json_is_null(resources))
                return 0;
        if (!json_is_object(resources))
                return jf_type_error(err, "linux.resources", "an object");
        if ((o = jf_object(resources, "memory", "linux.resources.memory", &r, err)) &&
            (r = parse_memory(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "cpu", "linux.resources.cpu", &r, err)) &&
            (r = parse_cpu(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "pids", "linux.resources.pids", &r, err)) &&
            (r = get_num(o, "limit", "linux.resources.pids.limit", INT64_MIN, INT64_MAX, false,
                         &res->pids_limit, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "blockIO", "linux.resources.blockIO", &r, err)) &&
            (r = parse_blkio(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_array(resources, "hugepageLimits", "linux.resources.hugepageLimits", &r, err)) &&
            (r = parse_hugepages(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "network", "linux.resources.network", &r, err)) &&
            (r = parse_network(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "rdma", "linux.resources.rdma", &r, err)) &&
            (r = parse_rdma(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_object(resources, "unified", "linux.resources.unified", &r, err)) &&
            (r = parse_unified(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        if ((o = jf_array(resources, "devices", "linux.resources.devices", &r, err)) &&
            (r = parse_devices(o, res, err)) < 0)
                goto fail;
        if (r < 0)
                goto fail;
        return 0;
fail:
        cg_res_release(res);
        return r;
}

void cg_res_release(cg_res_t *res)
{
        free(res->weight_devs);
        for (int k = 0; k < CG_THROTTLE__MAX; k++)
                free(res->throttle[k]);
        free(res->hugepages);
        free(res->net_prios);
        free(res->rdma);
        free(res->unified);
        free(res->devices);
        memset(res, 0, sizeof(*res));
}

static bool json_empty(json_t *v)
{
        const char *key;
        json_t *e;

        if (!v || json_is_null(v))
                return true;
        if (json_is_array(v))
                return json_array_size(v) == 0;
        if (!json_is_object(v))
                return false;
        json_object_foreach(v, key, e)
        {
                if (!json_empty(e))
                        return false;
        }
        return true;
}

bool cg_res_json_empty(json_t *resources, bool ignore_devices)
{
        const char *key;
        json_t *e;

        if (!json_is_object(resources))
                return json_empty(resources);
        json_object_foreach(resources, key, e)
        {
                if (!(ignore_devices && strcmp(key, "devices") == 0) && !json_empty(e))
                        return false;
        }
        return true;
}

bool cg_res_wants_cpu(const cg_res_t *res)
{
        return res->cpu_shares.set || res->cpu_quota.set || res->cpu_period.set || res->cpu_burst.set ||
               res->cpu_rt_runtime.set || res->cpu_rt_period.set || res->cpu_idle.set;
}

bool cg_res_wants_blkio(const cg_res_t *res)
{
        bool any = res->blkio_weight.set || res->blkio_leaf_weight.set || res->n_weight_devs;

        for (int k = 0; k < CG_THROTTLE__MAX; k++)
                any = any || res->n_throttle[k];
        return any;
}

bool cg_res_wants_memory(const cg_res_t *res)
{
        return res->mem_limit.set || res->mem_reservation.set || res->mem_swap.set || res->mem_kernel.set ||
               res->mem_kernel_tcp.set || res->mem_swappiness.set || res->mem_disable_oom.set ||
               res->mem_use_hierarchy.set;
}
