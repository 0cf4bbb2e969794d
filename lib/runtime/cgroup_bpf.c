/* cell: the cgroup v2 device controller, an eBPF program.
 *
 * cgroup v2 has no devices.allow: the kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup, which returns 1 (allow) or 0 (deny) for
 * (type, major, minor, access). We assemble the program by hand from the
 * OCI rules and load it with bpf(2) directly: the program is a few dozen
 * instructions, not worth a libbpf dependency.
 *
 * Semantics, the same as the v1 writes in cgroup_v1.c: the rules apply in
 * order over a deny-all start and the last rule that matches decides. A
 * request may ask for several kinds of access at once (open O_RDWR is read
 * and write); each one is decided on its own, and all must be allowed, so
 * "allow r" followed by "allow w" allows read-write as v1 does. So the
 * program has one section per access bit, and in each the rules that cover
 * that bit are tried last to first:
 *
 *     r2 = type, r3 = access, r4 = major, r5 = minor
 *     for bit in (mknod, read, write):
 *         if !(r3 & bit) goto next_bit
 *         for rule in reversed(rules) if bit in rule.access:
 *             if rule.type/major/minor do not match goto next_rule
 *             deny: return 0    allow: goto next_bit
 *         return 0                          (no rule: denied)
 *     next_bit: ...
 *     return 1
 *
 * A rule matching every device ends its section early: nothing before it
 * can be reached, and the verifier refuses unreachable instructions. */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"

#ifndef BPF_F_REPLACE
#define BPF_F_REPLACE (1U << 2)
#endif

#define PROG_NAME "cell_devices"

#define REG_CTX    1
#define REG_TYPE   2
#define REG_ACCESS 3
#define REG_MAJOR  4
#define REG_MINOR  5
#define REG_TMP    6

typedef struct {
        struct bpf_insn *v;
        size_t n, cap;
} prog_t;

static void emit(prog_t *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        /* The capacity is computed up front from the number of rules. */
        struct bpf_insn *i = &p->v[p->n++];

        memset(i, 0, sizeof(*i));
        i->code = code;
        i->dst_reg = dst & 0xf;
        i->src_reg = src & 0xf;
        i->off = off;
        i->imm = imm;
}

static void emit_return(prog_t *p, int32_t v)
{
        emit(p, BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, v);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Point the jump at index `at` to index `target`. */
static void patch(prog_t *p, size_t at, size_t target)
{
        p->v[at].off = (int16_t)((long)target - (long)at - 1);
}

static bool matches_all(const cg_dev_rule_t *r)
{
        return r->type == 'a' && r->major < 0 && r->minor < 0;
}

int cgroup_bpf_build(const cg_dev_rule_t *rules, size_t n, void **ret, size_t *ret_n, cell_error_t *err)
{
        static const unsigned bits[] = {CG_DEV_MKNOD, CG_DEV_READ, CG_DEV_WRITE};
        /* CG_DEV_* are the kernel's BPF_DEVCG_ACC_* values. */
        _Static_assert((int)CG_DEV_MKNOD == (int)BPF_DEVCG_ACC_MKNOD &&
                               (int)CG_DEV_READ == (int)BPF_DEVCG_ACC_READ &&
                               (int)CG_DEV_WRITE == (int)BPF_DEVCG_ACC_WRITE,
                       "access bits");
        prog_t p = {0};

        /* Per bit: 3 to test it, per rule at most 3 tests and 2 to decide, 2
         * for the default; 6 to load the context, 2 to allow at the end. */
        p.cap = 8 + ARRAY_SIZE(bits) * (5 + 5 * n);
        /* Jump offsets are 16 bits, and a section's jumps span its rules. */
        if (n > 6000)
                return cell_error_plain(err, E2BIG, "linux.resources.devices: too many rules (%zu)", n);
        p.v = calloc(p.cap, sizeof(*p.v));
        if (!p.v)
                return cell_error_set(err, ENOMEM, "linux.resources.devices");

        emit(&p, BPF_LDX | BPF_MEM | BPF_W, REG_TYPE, REG_CTX,
             offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        emit(&p, BPF_ALU | BPF_MOV | BPF_X, REG_ACCESS, REG_TYPE, 0, 0);
        emit(&p, BPF_ALU | BPF_RSH | BPF_K, REG_ACCESS, 0, 0, 16);
        emit(&p, BPF_ALU | BPF_AND | BPF_K, REG_TYPE, 0, 0, 0xffff);
        emit(&p, BPF_LDX | BPF_MEM | BPF_W, REG_MAJOR, REG_CTX, offsetof(struct bpf_cgroup_dev_ctx, major),
             0);
        emit(&p, BPF_LDX | BPF_MEM | BPF_W, REG_MINOR, REG_CTX, offsetof(struct bpf_cgroup_dev_ctx, minor),
             0);

        for (size_t b = 0; b < ARRAY_SIZE(bits); b++) {
                size_t *to_end = calloc(n + 1, sizeof(*to_end)), n_end = 0;
                bool decided = false;

                if (!to_end) {
                        free(p.v);
                        return cell_error_set(err, ENOMEM, "linux.resources.devices");
                }
                emit(&p, BPF_ALU | BPF_MOV | BPF_X, REG_TMP, REG_ACCESS, 0, 0);
                emit(&p, BPF_ALU | BPF_AND | BPF_K, REG_TMP, 0, 0, (int32_t)bits[b]);
                to_end[n_end++] = p.n;
                emit(&p, BPF_JMP32 | BPF_JEQ | BPF_K, REG_TMP, 0, 0, 0);
                for (size_t i = n; i-- > 0 && !decided;) {
                        const cg_dev_rule_t *r = &rules[i];
                        size_t to_next[3], n_next = 0;

                        if (!(r->access & bits[b]))
                                continue;
                        if (r->type != 'a') {
                                to_next[n_next++] = p.n;
                                emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, REG_TYPE, 0, 0,
                                     r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
                        }
                        if (r->major >= 0) {
                                to_next[n_next++] = p.n;
                                emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, REG_MAJOR, 0, 0,
                                     (int32_t)(uint32_t)r->major);
                        }
                        if (r->minor >= 0) {
                                to_next[n_next++] = p.n;
                                emit(&p, BPF_JMP32 | BPF_JNE | BPF_K, REG_MINOR, 0, 0,
                                     (int32_t)(uint32_t)r->minor);
                        }
                        if (r->allow) {
                                to_end[n_end++] = p.n;
                                emit(&p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
                        } else {
                                emit_return(&p, 0);
                        }
                        for (size_t j = 0; j < n_next; j++)
                                patch(&p, to_next[j], p.n);
                        decided = matches_all(r);
                }
                if (!decided)
                        emit_return(&p, 0);
                for (size_t j = 0; j < n_end; j++)
                        patch(&p, to_end[j], p.n);
                free(to_end);
        }
        emit_return(&p, 1);
        *ret = p.v;
        *ret_n = p.n;
        return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, cell_error_t *err)
{
        union bpf_attr attr;
        char log[4096];
        int fd;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)insns;
        attr.insn_cnt = (uint32_t)n;
        attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
        memcpy(attr.prog_name, PROG_NAME, sizeof(PROG_NAME));
        fd = (int)TEMP_FAILURE_RETRY_INT(sys_bpf(BPF_PROG_LOAD, &attr));
        if (fd >= 0)
                return fd;
        if (errno != EINVAL && errno != EACCES)
                return cell_error_errno(err, "linux.resources.devices: load the device program (bpf)");
        /* Load again with the verifier's log, for a message worth reading. */
        log[0] = '\0';
        attr.log_level = 1;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = sizeof(log);
        fd = (int)TEMP_FAILURE_RETRY_INT(sys_bpf(BPF_PROG_LOAD, &attr));
        if (fd >= 0)
                return fd;
        {
                int e = errno;
                size_t len = strnlen(log, sizeof(log));

                while (len > 0 && log[len - 1] == '\n')
                        log[--len] = '\0';
                return cell_error_set(err, e,
                                      "linux.resources.devices: the kernel refuses the device program (%s)",
                                      len > 200 ? log + len - 200 : log);
        }
}

static uint32_t prog_id(int fd)
{
        struct bpf_prog_info info;
        union bpf_attr attr;

        memset(&info, 0, sizeof(info));
        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (uint32_t)fd;
        attr.info.info_len = sizeof(info);
        attr.info.info = (uint64_t)(uintptr_t)&info;
        if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
                return 0;
        return info.id;
}

/* The program we attached before (a later `cell update` knows its id from
 * the state); -1 when it is gone. */
static int prog_fd_by_id(uint32_t id)
{
        union bpf_attr attr;

        if (!id)
                return -1;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        return (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

static bool prog_is_ours(int fd)
{
        struct bpf_prog_info info;
        union bpf_attr attr;

        memset(&info, 0, sizeof(info));
        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (uint32_t)fd;
        attr.info.info_len = sizeof(info);
        attr.info.info = (uint64_t)(uintptr_t)&info;
        return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0 && info.type == BPF_PROG_TYPE_CGROUP_DEVICE &&
               strcmp(info.name, PROG_NAME) == 0;
}

/* The device program of ours attached to this cgroup, to be replaced: the
 * one the state names if it is attached here, else one with our name (the
 * state a caller passes may predate the last update). -1 when none. */
static int find_ours(int cgfd, uint32_t id)
{
        union bpf_attr attr;
        uint32_t ids[64] = {0};
        int found = -1;

        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgfd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
        attr.query.prog_cnt = ARRAY_SIZE(ids);
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return -1;
        if (attr.query.prog_cnt > ARRAY_SIZE(ids))
                attr.query.prog_cnt = ARRAY_SIZE(ids);
        for (uint32_t i = 0; i < attr.query.prog_cnt; i++)
                if (id && ids[i] == id)
                        return prog_fd_by_id(id);
        for (uint32_t i = 0; i < attr.query.prog_cnt && found < 0; i++) {
                int fd = prog_fd_by_id(ids[i]);

                if (fd >= 0 && prog_is_ours(fd))
                        found = fd;
                else if (fd >= 0)
                        close(fd);
        }
        return found;
}

static int prog_attach(int cgfd, int progfd, int replacefd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgfd;
        attr.attach_bpf_fd = (uint32_t)progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (replacefd >= 0) {
                attr.attach_flags |= BPF_F_REPLACE;
                attr.replace_bpf_fd = (uint32_t)replacefd;
        }
        return (int)sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int prog_detach(int cgfd, int progfd)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgfd;
        attr.attach_bpf_fd = (uint32_t)progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        return (int)sys_bpf(BPF_PROG_DETACH, &attr);
}

int cgroup_bpf_devices(int dirfd, const char *path, const cg_dev_rule_t *rules, size_t n, bool fresh,
                       uint32_t *id, cell_error_t *err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_close_ int progfd = -1, oldfd = -1;
        size_t count = 0;
        void *v = NULL;
        int r;

        if ((r = cgroup_bpf_build(rules, n, &v, &count, err)) < 0)
                return r;
        insns = v;
        if ((progfd = prog_load(insns, count, err)) < 0)
                return progfd;
        /* A directory we just made has nothing attached: no need to look. */
        if (!fresh)
                oldfd = find_ours(dirfd, *id);
        /* Replacing in place leaves no moment with both programs (their
         * intersection) or with neither (no restriction at all). */
        if (oldfd >= 0 && prog_attach(dirfd, progfd, oldfd) == 0) {
                *id = prog_id(progfd);
                return 0;
        }
        if (prog_attach(dirfd, progfd, -1) < 0)
                return cell_error_errno(err, "linux.resources.devices: attach the device program to %s",
                                        path);
        /* Kernels before 5.6 cannot replace: the new one is in, now the old
         * one goes (meanwhile both apply, which only denies more). */
        if (oldfd >= 0)
                prog_detach(dirfd, oldfd);
        *id = prog_id(progfd);
        return 0;
}
