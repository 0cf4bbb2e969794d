/* cell: linux.seccomp → a BPF program, compiled with libseccomp and loaded
 * with seccomp(2) by hand.
 *
 * libseccomp does the hard part (syscall tables per architecture, the
 * argument comparisons, the BPF layout). Its seccomp_load() is not usable
 * here: it allocates, may set no_new_privs, and the context must be kept
 * alive until the init installs the filter. So the filter is compiled in the
 * runtime, exported once into memory, and the context released; what the
 * init later hands to seccomp(2) is a plain array of instructions that
 * needs no allocation (the init may run after a fork of a threaded parent,
 * where only async-signal-safe calls are allowed). */
#include "seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Our own header is also called seccomp.h and lib/runtime is on the include
 * path, so <seccomp.h> would find it again: meson passes libseccomp's header
 * by its full path (from pkg-config's includedir). */
#include CELL_LIBSECCOMP_H

#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "strutil.h"

/* Flags of seccomp(2) that older kernel headers lack. */
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The runtime-spec version of the container process state sent to a seccomp
 * agent: the newest one cell implements (features reports it as
 * ociVersionMax). */
#define SECCOMP_STATE_OCI_VERSION "1.2.0"

#define SECCOMP_FIELD_MAX 128

struct seccomp_prog {
        struct sock_filter *insns;
        unsigned short n_insns;
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
        bool listener;      /* SCMP_ACT_NOTIFY used and listenerPath set */
        char *listener_path;
        char *listener_metadata;
};

static void seccomp_json_decrefp(json_t **j)
{
        json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(seccomp_json_decrefp)))

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* ---- JSON fields ---- */

/* Unsigned integers up to max. spec_parse reads a document holding an
 * integer above INT64_MAX (Go writes unlimited rlimits that way) with every
 * number as a double, so an integral double is accepted too; a double at or
 * above 2^64 can only come from UINT64_MAX rounded up, and is read as it. */
static int seccomp_json_uint(json_t *v, const char *field, uint64_t max, uint64_t *ret, cell_error_t *err)
{
        if (json_is_integer(v)) {
                json_int_t i = json_integer_value(v);

                if (i < 0 || (uint64_t)i > max)
                        return cell_error_plain(err, ERANGE, "%s: %lld is out of range [0, %llu]", field,
                                                (long long)i, (unsigned long long)max);
                *ret = (uint64_t)i;
                return 0;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);
                uint64_t u;

                if (d >= 0x1p64 && max == UINT64_MAX) {
                        *ret = UINT64_MAX;
                        return 0;
                }
                /* Range first: converting an out-of-range double is undefined. */
                if (d >= 0 && d < 0x1p64) {
                        u = (uint64_t)d;
                        if ((double)u == d) {
                                if (u > max)
                                        return cell_error_plain(
                                                err, ERANGE, "%s: %llu is out of range [0, %llu]", field,
                                                (unsigned long long)u, (unsigned long long)max);
                                *ret = u;
                                return 0;
                        }
                }
        }
        return cell_error_plain(err, EINVAL, "%s: expected an unsigned integer", field);
}

/* A string member; NULL when absent or null. */
static int seccomp_json_string(json_t *obj, const char *key, const char *field, const char **ret,
                               cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return cell_error_plain(err, EINVAL, "%s: expected a string", field);
        *ret = json_string_value(v);
        return 0;
}

/* An array member; NULL when absent or null. */
static int seccomp_json_array(json_t *obj, const char *key, const char *field, json_t **ret,
                              cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return cell_error_plain(err, EINVAL, "%s: expected an array", field);
        *ret = v;
        return 0;
}

/* ---- actions ---- */

static const struct {
        const char *name;
        uint32_t action;
        bool takes_errno; /* the low 16 bits carry errnoRet */
} seccomp_actions[] = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

/* The action named by obj[action_key], with obj[errno_key] folded in for
 * the actions that carry a value. The spec: errnoRet defaults to EPERM, and
 * naming one for an action that cannot carry it is an error. */
static int seccomp_parse_action(json_t *obj, const char *action_key, const char *errno_key,
                                const char *action_field, const char *errno_field, uint32_t *ret,
                                cell_error_t *err)
{
        json_t *errno_json = json_object_get(obj, errno_key);
        const char *name = NULL;
        uint64_t errno_ret = EPERM;
        int r;

        if ((r = seccomp_json_string(obj, action_key, action_field, &name, err)) < 0)
                return r;
        if (!name)
                return cell_error_plain(err, EINVAL, "%s: missing", action_field);
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++) {
                if (strcmp(name, seccomp_actions[i].name) != 0)
                        continue;
                if (errno_json && !json_is_null(errno_json)) {
                        if (!seccomp_actions[i].takes_errno)
                                return cell_error_plain(err, EINVAL,
                                                        "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
                                                        "errno, not %s",
                                                        errno_field, name);
                        /* SECCOMP_RET_DATA is 16 bits wide. */
                        if ((r = seccomp_json_uint(errno_json, errno_field, 0xffff, &errno_ret, err)) < 0)
                                return r;
                }
                *ret = seccomp_actions[i].takes_errno ? seccomp_actions[i].action | (uint32_t)errno_ret
                                                      : seccomp_actions[i].action;
                return 0;
        }
        return cell_error_plain(err, EINVAL, "%s: unknown action \"%s\"", action_field, name);
}

static bool seccomp_action_is_notify(uint32_t action)
{
        return action == SCMP_ACT_NOTIFY;
}

/* ---- architectures and flags ---- */

static int seccomp_add_arch(scmp_filter_ctx ctx, const char *name, const char *field, cell_error_t *err)
{
        static const char prefix[] = "SCMP_ARCH_";
        char lower[32];
        uint32_t arch;
        size_t n;
        int r;

        /* libseccomp names its architectures as the OCI constants without
         * the prefix, in lower case ("SCMP_ARCH_X86_64" → "x86_64"), so any
         * architecture the installed libseccomp knows is accepted. */
        n = strlen(name);
        if (n <= sizeof(prefix) - 1 || strncmp(name, prefix, sizeof(prefix) - 1) != 0 ||
            n - (sizeof(prefix) - 1) >= sizeof(lower))
                return cell_error_plain(err, EINVAL, "%s: unknown architecture \"%s\"", field, name);
        for (size_t i = sizeof(prefix) - 1; i <= n; i++)
                lower[i - (sizeof(prefix) - 1)] = (char)tolower((unsigned char)name[i]);
        arch = seccomp_arch_resolve_name(lower);
        if (arch == 0)
                return cell_error_plain(err, EINVAL, "%s: unknown architecture \"%s\"", field, name);
        r = seccomp_arch_add(ctx, arch);
        /* EEXIST: the native architecture (always in the filter) or a
         * duplicate. EDOM: an architecture of the other byte order, which
         * libseccomp cannot put in one filter with the native one; no
         * syscall of it can reach this kernel, so leaving it out changes
         * nothing (a profile written for many machines lists them all). */
        if (r == -EEXIST)
                return 0;
        if (r == -EDOM) {
                log_debug("%s: %s cannot share a filter with the native architecture; left out", field, name);
                return 0;
        }
        if (r < 0)
                return cell_error_set(err, -r, "%s: adding architecture %s", field, name);
        return 0;
}

static const struct {
        const char *name;
        unsigned int flag;
} seccomp_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static int seccomp_parse_flags(json_t *arr, unsigned int *ret, cell_error_t *err)
{
        json_t *v;
        size_t i;

        *ret = 0;
        json_array_foreach(arr, i, v)
        {
                const char *name = json_string_value(v);
                size_t k;

                if (!name)
                        return cell_error_plain(err, EINVAL, "linux.seccomp.flags[%zu]: expected a string",
                                                i);
                for (k = 0; k < ARRAY_SIZE(seccomp_flags); k++)
                        if (strcmp(name, seccomp_flags[k].name) == 0)
                                break;
                if (k == ARRAY_SIZE(seccomp_flags))
                        return cell_error_plain(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"",
                                                i, name);
                *ret |= seccomp_flags[k].flag;
        }
        return 0;
}

/* ---- rules ---- */

static const struct {
        const char *name;
        enum scmp_compare op;
} seccomp_ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

#define SECCOMP_MAX_ARGS 6 /* a syscall has at most six arguments */

static int seccomp_parse_arg(json_t *a, const char *field, struct scmp_arg_cmp *ret, cell_error_t *err)
{
        char sub[SECCOMP_FIELD_MAX + 16];
        const char *op = NULL;
        uint64_t index = 0, value = 0, value_two = 0;
        json_t *v;
        size_t k;
        int r;

        if (!json_is_object(a))
                return cell_error_plain(err, EINVAL, "%s: expected an object", field);

        snprintf(sub, sizeof(sub), "%s.index", field);
        if (!(v = json_object_get(a, "index")))
                return cell_error_plain(err, EINVAL, "%s: missing", sub);
        if ((r = seccomp_json_uint(v, sub, SECCOMP_MAX_ARGS - 1, &index, err)) < 0)
                return r;

        snprintf(sub, sizeof(sub), "%s.value", field);
        if (!(v = json_object_get(a, "value")))
                return cell_error_plain(err, EINVAL, "%s: missing", sub);
        if ((r = seccomp_json_uint(v, sub, UINT64_MAX, &value, err)) < 0)
                return r;

        snprintf(sub, sizeof(sub), "%s.valueTwo", field);
        if ((v = json_object_get(a, "valueTwo")) && !json_is_null(v) &&
            (r = seccomp_json_uint(v, sub, UINT64_MAX, &value_two, err)) < 0)
                return r;

        snprintf(sub, sizeof(sub), "%s.op", field);
        if ((r = seccomp_json_string(a, "op", sub, &op, err)) < 0)
                return r;
        if (!op)
                return cell_error_plain(err, EINVAL, "%s: missing", sub);
        for (k = 0; k < ARRAY_SIZE(seccomp_ops); k++)
                if (strcmp(op, seccomp_ops[k].name) == 0)
                        break;
        if (k == ARRAY_SIZE(seccomp_ops))
                return cell_error_plain(err, EINVAL, "%s: unknown operator \"%s\"", sub, op);

        /* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the value
         * the masked argument must equal, which is libseccomp's order. */
        *ret = (struct scmp_arg_cmp){
                .arg = (unsigned int)index,
                .op = seccomp_ops[k].op,
                .datum_a = value,
                .datum_b = value_two,
        };
        return 0;
}

/* Add the rules of linux.seccomp.syscalls[i].
 *
 * Names libseccomp does not know: profiles (Docker's default one among
 * them) list syscalls newer than the installed libseccomp, always next to
 * older ones in the same entry, and runc and crun skip them; an entry whose
 * names are all unknown, on the other hand, can only have been meant for
 * what it names, which is most likely a typo ("opne"), so that is an error
 * rather than a rule that silently does nothing.
 *
 * Several comparisons of one argument: libseccomp compares each argument
 * at most once per rule (seccomp_rule_add(3); it returns EINVAL). runc then
 * adds every comparison of the entry as a rule of its own, so that they
 * combine with OR, and profiles are written against runc: cell does the
 * same. Comparisons of distinct arguments stay in one rule, where they
 * combine with AND. */
/* The rules added so far that compare several arguments at once, by
 * syscall: libseccomp 2.5.4 never finishes merging two such rules of one
 * syscall that share an ordered comparison (arg1 <= 9 in both, say; found by
 * fuzz_seccomp), so that case is refused before libseccomp sees it. */
typedef struct seccomp_multi {
        struct {
                int nr;
                size_t entry;
                unsigned int n;
                struct scmp_arg_cmp cmp[SECCOMP_MAX_ARGS];
        } * v;
        size_t n;
} seccomp_multi_t;

static const struct scmp_arg_cmp *seccomp_multi_shared(const seccomp_multi_t *m, int nr,
                                                       const struct scmp_arg_cmp *cmp, size_t n_cmp,
                                                       size_t *ret_entry)
{
        for (size_t r = 0; r < m->n; r++) {
                if (m->v[r].nr != nr)
                        continue;
                for (size_t a = 0; a < n_cmp; a++)
                        for (unsigned int b = 0; b < m->v[r].n; b++) {
                                const struct scmp_arg_cmp *x = &cmp[a], *y = &m->v[r].cmp[b];

                                if (x->op != SCMP_CMP_EQ && x->arg == y->arg && x->op == y->op &&
                                    x->datum_a == y->datum_a && x->datum_b == y->datum_b) {
                                        *ret_entry = m->v[r].entry;
                                        return x;
                                }
                        }
        }
        return NULL;
}

static int seccomp_add_rules(scmp_filter_ctx ctx, json_t *entry, size_t i, uint32_t def_action,
                             seccomp_multi_t *multi, bool *uses_notify, cell_error_t *err)
{
        char field[SECCOMP_FIELD_MAX], action_field[SECCOMP_FIELD_MAX], errno_field[SECCOMP_FIELD_MAX];
        _cleanup_free_ struct scmp_arg_cmp *cmp = NULL;
        _cleanup_free_ int *nrs = NULL;
        unsigned int per_arg[SECCOMP_MAX_ARGS] = {0};
        size_t n_names, n_cmp = 0, n_known = 0, first_unknown = SIZE_MAX;
        bool split = false;
        json_t *names, *args, *v;
        uint32_t action;
        size_t k;
        int r;

        snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", i);
        if (!json_is_object(entry))
                return cell_error_plain(err, EINVAL, "%s: expected an object", field);

        snprintf(action_field, sizeof(action_field), "%s.action", field);
        snprintf(errno_field, sizeof(errno_field), "%s.errnoRet", field);
        if ((r = seccomp_parse_action(entry, "action", "errnoRet", action_field, errno_field, &action, err)) <
            0)
                return r;

        snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].args", i);
        if ((r = seccomp_json_array(entry, "args", field, &args, err)) < 0)
                return r;
        if (args && json_array_size(args) > 0) {
                cmp = calloc(json_array_size(args), sizeof(*cmp));
                if (!cmp)
                        return cell_error_set(err, ENOMEM, "%s", field);
                json_array_foreach(args, k, v)
                {
                        char sub[SECCOMP_FIELD_MAX];

                        snprintf(sub, sizeof(sub), "%s[%zu]", field, k);
                        if ((r = seccomp_parse_arg(v, sub, &cmp[k], err)) < 0)
                                return r;
                        if (++per_arg[cmp[k].arg] > 1)
                                split = true;
                }
                n_cmp = json_array_size(args);
        }

        snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].names", i);
        names = json_object_get(entry, "names");
        if (!names || !json_is_array(names) || json_array_size(names) == 0)
                return cell_error_plain(err, EINVAL, "%s: expected a non-empty array of syscall names",
                                        field);
        n_names = json_array_size(names);
        nrs = calloc(n_names, sizeof(*nrs));
        if (!nrs)
                return cell_error_set(err, ENOMEM, "%s", field);
        json_array_foreach(names, k, v)
        {
                const char *name = json_string_value(v);

                if (!name)
                        return cell_error_plain(err, EINVAL, "%s[%zu]: expected a string", field, k);
                nrs[k] = seccomp_syscall_resolve_name(name);
                if (nrs[k] == __NR_SCMP_ERROR) {
                        if (first_unknown == SIZE_MAX)
                                first_unknown = k;
                } else {
                        n_known++;
                }
        }
        if (n_known == 0)
                return cell_error_plain(err, EINVAL, "%s[%zu]: unknown syscall \"%s\"", field, first_unknown,
                                        json_string_value(json_array_get(names, first_unknown)));

        /* libseccomp refuses a rule whose action is the default one (EACCES);
         * such a rule changes nothing, so it is left out. */
        if (action == def_action)
                return 0;
        if (seccomp_action_is_notify(action))
                *uses_notify = true;

        for (k = 0; k < n_names; k++) {
                const char *name = json_string_value(json_array_get(names, k));

                if (nrs[k] == __NR_SCMP_ERROR) {
                        log_debug("%s[%zu]: skipping \"%s\": the installed libseccomp does not know it",
                                  field, k, name);
                        continue;
                }
                if (split) {
                        for (size_t c = 0; c < n_cmp; c++) {
                                r = seccomp_rule_add_array(ctx, action, nrs[k], 1, &cmp[c]);
                                if (r < 0)
                                        return cell_error_set(err, -r, "%s[%zu]: adding the rule for \"%s\"",
                                                              field, k, name);
                        }
                } else {
                        if (n_cmp >= 2 && n_cmp <= SECCOMP_MAX_ARGS) {
                                size_t other = 0;
                                const struct scmp_arg_cmp *same =
                                        seccomp_multi_shared(multi, nrs[k], cmp, n_cmp, &other);
                                void *grown;

                                if (same)
                                        return cell_error_plain(err, EINVAL,
                                                                "%s[%zu]: \"%s\" has another rule comparing "
                                                                "several arguments "
                                                                "(linux.seccomp.syscalls[%zu]) with the same "
                                                                "ordered comparison of "
                                                                "argument %u: libseccomp 2.5 cannot compile "
                                                                "the two (it never "
                                                                "finishes); write them as one rule, or with "
                                                                "one comparison each",
                                                                field, k, name, other, same->arg);
                                grown = realloc(multi->v, (multi->n + 1) * sizeof(*multi->v));
                                if (!grown)
                                        return cell_error_set(err, ENOMEM, "%s", field);
                                multi->v = grown;
                                multi->v[multi->n].nr = nrs[k];
                                multi->v[multi->n].entry = i;
                                multi->v[multi->n].n = (unsigned int)n_cmp;
                                memcpy(multi->v[multi->n].cmp, cmp, n_cmp * sizeof(*cmp));
                                multi->n++;
                        }
                        r = seccomp_rule_add_array(ctx, action, nrs[k], (unsigned int)n_cmp, cmp);
                        if (r < 0)
                                return cell_error_set(err, -r, "%s[%zu]: adding the rule for \"%s\"", field,
                                                      k, name);
                }
        }
        return 0;
}

/* ---- export ---- */

/* libseccomp 2.5 exports only to a file descriptor: write the program into
 * a memfd and read it back. */
static int seccomp_export(scmp_filter_ctx ctx, seccomp_prog_t *p, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        size_t size, done = 0;
        int r;

        fd = memfd_create("cell-seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return cell_error_errno(err, "linux.seccomp: memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return cell_error_set(err, -r, "linux.seccomp: exporting the BPF program");
        if (fstat(fd, &st) < 0)
                return cell_error_errno(err, "linux.seccomp: exporting the BPF program");
        size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return cell_error_plain(err, EINVAL,
                                        "linux.seccomp: libseccomp exported %zu bytes, not a program", size);
        /* The kernel refuses longer programs (EINVAL); say so now, before
         * anything is created, rather than from inside the container. */
        if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return cell_error_plain(err, E2BIG,
                                        "linux.seccomp: the filter has %zu instructions, more than the "
                                        "kernel's %d",
                                        size / sizeof(struct sock_filter), BPF_MAXINSNS);
        insns = malloc(size);
        if (!insns)
                return cell_error_set(err, ENOMEM, "linux.seccomp");
        while (done < size) {
                ssize_t n = pread(fd, (char *)insns + done, size - done, (off_t)done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cell_error_errno(err, "linux.seccomp: reading the BPF program back");
                if (n == 0)
                        return cell_error_set(err, EIO, "linux.seccomp: the BPF program was cut short");
                done += (size_t)n;
        }
        p->insns = steal_pointer(&insns);
        p->n_insns = (unsigned short)(size / sizeof(struct sock_filter));
        return 0;
}

/* ---- compile ---- */

void seccomp_prog_free(seccomp_prog_t *p)
{
        if (!p)
                return;
        free(p->insns);
        free(p->listener_path);
        free(p->listener_metadata);
        free(p);
}

static void seccomp_prog_freep(seccomp_prog_t **p)
{
        seccomp_prog_free(*p);
}

/* ---- the compiled-filter cache ----
 *
 * libseccomp takes ~10 ms to compile a profile the size of Docker's, more
 * than the rest of a container's start; the same profile gives the same
 * program on the same host and libseccomp. So a program is kept in
 * CACHE_DIR/<fnv64 of the key> with the whole key (the profile, serialised
 * canonically, and the libseccomp version and native architecture) in
 * front of it, and used only when the key read back is byte for byte the
 * one asked for: the name is an index, a colliding name is a miss, not
 * another profile's program. The directory is the runtime's own state root
 * (0700, the caller's); entries are written to a temporary file and
 * renamed, and anything malformed is a miss. */

#define SECCOMP_CACHE_MAGIC "cell-seccomp-cache-1\n"

static char *seccomp_cache_key(json_t *seccomp)
{
        const struct scmp_version *ver = seccomp_version();
        _cleanup_free_ char *doc = json_dumps(seccomp, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

        if (!doc || !ver)
                return NULL;
        return str_printf("libseccomp %u.%u.%u arch %u\n%s", ver->major, ver->minor, ver->micro,
                          seccomp_arch_native(), doc);
}

static uint64_t fnv1a64(const char *s, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* Layout: magic, u32 key length, key, u8 uses_notify, u16 n_insns, insns. */
static bool seccomp_cache_load(const char *dir, const char *key, seccomp_prog_t *p, bool *ret_notify)
{
        char path[PATH_MAX];
        _cleanup_free_ char *data = NULL;
        size_t len = 0, klen = strlen(key), off = sizeof(SECCOMP_CACHE_MAGIC) - 1;
        uint32_t stored_klen;
        uint16_t n;

        snprintf(path, sizeof(path), "%s/%016llx", dir, (unsigned long long)fnv1a64(key, klen));
        if (fs_read_file(path, 4u << 20, &data, &len, NULL) < 0)
                return false;
        if (len < off + 4 || memcmp(data, SECCOMP_CACHE_MAGIC, off) != 0)
                return false;
        memcpy(&stored_klen, data + off, 4);
        off += 4;
        if (stored_klen != klen || len < off + klen + 3 || memcmp(data + off, key, klen) != 0)
                return false;
        off += klen;
        *ret_notify = data[off] != 0;
        memcpy(&n, data + off + 1, 2);
        off += 3;
        if (n == 0 || n > BPF_MAXINSNS || len != off + (size_t)n * sizeof(struct sock_filter))
                return false;
        p->insns = malloc((size_t)n * sizeof(struct sock_filter));
        if (!p->insns)
                return false;
        memcpy(p->insns, data + off, (size_t)n * sizeof(struct sock_filter));
        p->n_insns = n;
        return true;
}

static void seccomp_cache_store(const char *dir, const char *key, const seccomp_prog_t *p, bool uses_notify)
{
        size_t klen = strlen(key), mlen = sizeof(SECCOMP_CACHE_MAGIC) - 1;
        size_t ilen = (size_t)p->n_insns * sizeof(struct sock_filter), len = mlen + 4 + klen + 3 + ilen;
        _cleanup_free_ char *data = malloc(len);
        char path[PATH_MAX];
        uint32_t k32 = (uint32_t)klen;
        uint16_t n = p->n_insns;

        if (!data || fs_mkdir_p(dir, 0700, NULL) < 0)
                return;
        memcpy(data, SECCOMP_CACHE_MAGIC, mlen);
        memcpy(data + mlen, &k32, 4);
        memcpy(data + mlen + 4, key, klen);
        data[mlen + 4 + klen] = uses_notify ? 1 : 0;
        memcpy(data + mlen + 4 + klen + 1, &n, 2);
        memcpy(data + mlen + 4 + klen + 3, p->insns, ilen);
        snprintf(path, sizeof(path), "%s/%016llx", dir, (unsigned long long)fnv1a64(key, klen));
        /* Best effort: a cache that cannot be written is only slower. */
        (void)fs_write_replace(path, data, len, 0600, NULL);
}

int seccomp_compile(json_t *seccomp, seccomp_prog_t **ret, cell_error_t *err)
{
        return seccomp_compile_cached(seccomp, NULL, ret, err);
}

int seccomp_compile_cached(json_t *seccomp, const char *cache_dir, seccomp_prog_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *cache_key = NULL;
        bool cached = false;
        __attribute__((cleanup(seccomp_ctx_releasep))) scmp_filter_ctx ctx = NULL;
        __attribute__((cleanup(seccomp_prog_freep))) seccomp_prog_t *p = NULL;
        const char *listener_path = NULL, *listener_metadata = NULL;
        json_t *arr, *v;
        uint32_t def_action;
        bool uses_notify;
        size_t i;
        int r;

        *ret = NULL;
        if (!seccomp || json_is_null(seccomp))
                return 0;
        if (!json_is_object(seccomp))
                return cell_error_plain(err, EINVAL, "linux.seccomp: expected an object");

        p = calloc(1, sizeof(*p));
        if (!p)
                return cell_error_set(err, ENOMEM, "linux.seccomp");

        if ((r = seccomp_parse_action(seccomp, "defaultAction", "defaultErrnoRet",
                                      "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet",
                                      &def_action, err)) < 0)
                return r;
        uses_notify = seccomp_action_is_notify(def_action);

        if ((r = seccomp_json_string(seccomp, "listenerPath", "linux.seccomp.listenerPath", &listener_path,
                                     err)) < 0)
                return r;
        if ((r = seccomp_json_string(seccomp, "listenerMetadata", "linux.seccomp.listenerMetadata",
                                     &listener_metadata, err)) < 0)
                return r;
        if (listener_path && !*listener_path)
                listener_path = NULL;
        if (listener_metadata && !listener_path)
                return cell_error_plain(err, EINVAL,
                                        "linux.seccomp.listenerMetadata: set without listenerPath");
        if (listener_path && strlen(listener_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
                return cell_error_plain(
                        err, ENAMETOOLONG,
                        "linux.seccomp.listenerPath: a unix socket path holds at most %zu bytes",
                        sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);

        if ((r = seccomp_json_array(seccomp, "flags", "linux.seccomp.flags", &arr, err)) < 0)
                return r;
        if (arr && (r = seccomp_parse_flags(arr, &p->flags, err)) < 0)
                return r;

        if (cache_dir) {
                cache_key = seccomp_cache_key(seccomp);
                cached = cache_key && seccomp_cache_load(cache_dir, cache_key, p, &uses_notify);
        }
        if (cached)
                goto compiled;

        ctx = seccomp_init(def_action);
        if (!ctx)
                return cell_error_plain(err, EINVAL, "linux.seccomp.defaultAction: libseccomp refused it");

        if ((r = seccomp_json_array(seccomp, "architectures", "linux.seccomp.architectures", &arr, err)) < 0)
                return r;
        json_array_foreach(arr, i, v)
        {
                char field[SECCOMP_FIELD_MAX];

                snprintf(field, sizeof(field), "linux.seccomp.architectures[%zu]", i);
                if (!json_is_string(v))
                        return cell_error_plain(err, EINVAL, "%s: expected a string", field);
                if ((r = seccomp_add_arch(ctx, json_string_value(v), field, err)) < 0)
                        return r;
        }

        if ((r = seccomp_json_array(seccomp, "syscalls", "linux.seccomp.syscalls", &arr, err)) < 0)
                return r;
        {
                seccomp_multi_t multi = {0};

                json_array_foreach(arr, i, v)
                {
                        if ((r = seccomp_add_rules(ctx, v, i, def_action, &multi, &uses_notify, err)) < 0)
                                break;
                }
                free(multi.v);
                if (r < 0)
                        return r;
        }

compiled:
        /* The spec ignores listenerPath when no rule notifies; a notifying
         * filter without a listener would fail those syscalls with ENOSYS
         * instead of asking anyone, which is not what the profile says. */
        if (uses_notify && !listener_path)
                return cell_error_plain(err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
        if ((p->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !uses_notify)
                return cell_error_plain(err, EINVAL,
                                        "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs "
                                        "SCMP_ACT_NOTIFY and a listenerPath");
        if (uses_notify) {
                p->listener = true;
                p->listener_path = strdup(listener_path);
                if (!p->listener_path)
                        return cell_error_set(err, ENOMEM, "linux.seccomp");
                if (listener_metadata && !(p->listener_metadata = strdup(listener_metadata)))
                        return cell_error_set(err, ENOMEM, "linux.seccomp");
        }

        if (!cached) {
                if ((r = seccomp_export(ctx, p, err)) < 0)
                        return r;
                if (cache_key)
                        seccomp_cache_store(cache_dir, cache_key, p, uses_notify);
        }
        *ret = steal_pointer(&p);
        return 0;
}

bool seccomp_has_listener(const seccomp_prog_t *p)
{
        return p && p->listener;
}

const char *seccomp_listener_path(const seccomp_prog_t *p)
{
        return p && p->listener ? p->listener_path : NULL;
}

/* ---- install (async-signal-safe) ---- */

/* cell_error_set formats with vsnprintf and strerror, neither of which is
 * async-signal-safe; the install path builds its message by hand. */
static size_t seccomp_msg_add(cell_error_t *err, size_t at, const char *s)
{
        while (*s && at + 1 < sizeof(err->msg))
                err->msg[at++] = *s++;
        err->msg[at] = '\0';
        return at;
}

static size_t seccomp_msg_add_long(cell_error_t *err, size_t at, long v)
{
        char digits[24];
        size_t n = 0;
        unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

        do {
                digits[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u && n < sizeof(digits));
        if (v < 0)
                at = seccomp_msg_add(err, at, "-");
        while (n > 0 && at + 1 < sizeof(err->msg))
                err->msg[at++] = digits[--n];
        err->msg[at] = '\0';
        return at;
}

static int seccomp_install_error(cell_error_t *err, int code, const char *what)
{
        size_t at;
        const char *desc;

        if (!err)
                return code > 0 ? -code : -1;
        err->code = code;
        at = seccomp_msg_add(err, 0, "seccomp: ");
        at = seccomp_msg_add(err, at, what);
        if (code > 0) {
                /* strerrordesc_np reads a constant table: no locale, no
                 * allocation. */
                desc = strerrordesc_np(code);
                at = seccomp_msg_add(err, at, ": ");
                if (desc)
                        seccomp_msg_add(err, at, desc);
                else
                        seccomp_msg_add_long(err, seccomp_msg_add(err, at, "errno "), code);
        }
        return code > 0 ? -code : -1;
}

int seccomp_install(const seccomp_prog_t *p, int *ret_listener, cell_error_t *err)
{
        struct sock_fprog prog;
        unsigned long flags;
        long r;

        if (ret_listener)
                *ret_listener = -1;
        if (!p)
                return 0;
        /* The kernel only reads the program; sock_fprog just lacks const. */
        prog.len = p->n_insns;
        prog.filter = (struct sock_filter *)p->insns;
        flags = p->flags;
        if (p->listener) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* With a listener the return value is the fd, so a thread
                 * that TSYNC cannot move must be reported as ESRCH instead
                 * of by its id; the kernel refuses the pair otherwise. */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }

        do
                r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        while (r < 0 && errno == EINTR);

        if (r < 0) {
                int e = errno;

                if (e == EACCES)
                        return seccomp_install_error(
                                err, e, "a filter without no_new_privileges needs CAP_SYS_ADMIN");
                if (e == ESRCH)
                        return seccomp_install_error(err, e,
                                                     "another thread could not be synchronized "
                                                     "(SECCOMP_FILTER_FLAG_TSYNC)");
                if (e == EINVAL)
                        return seccomp_install_error(err, e,
                                                     "the kernel refused the filter or one of its flags");
                return seccomp_install_error(err, e, "installing the filter");
        }
        if (p->listener) {
                if (ret_listener)
                        *ret_listener = (int)r;
                else
                        close((int)r);
                return 0;
        }
        if (r > 0) {
                /* TSYNC without a listener: r is the id of a thread that
                 * could not be moved to the new filter. */
                size_t at;

                if (!err)
                        return -ESRCH;
                err->code = ESRCH;
                at = seccomp_msg_add(err, 0, "seccomp: thread ");
                at = seccomp_msg_add_long(err, at, r);
                seccomp_msg_add(err, at, " could not be synchronized (SECCOMP_FILTER_FLAG_TSYNC)");
                return -ESRCH;
        }
        return 0;
}

/* ---- the seccomp agent ---- */

static int seccomp_connect(const char *path, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(path);
        int r;

        if (len >= sizeof(addr.sun_path))
                return cell_error_set(err, ENAMETOOLONG, "%s", path);
        memcpy(addr.sun_path, path, len + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cell_error_errno(err, "socket");
        r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
        /* An interrupted connect goes on in the background: wait for it by
         * asking again until the socket says it is connected. */
        while (r < 0 && (errno == EINTR || errno == EALREADY))
                r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
        if (r < 0 && errno != EISCONN)
                return cell_error_errno(err, "connecting to %s", path);
        return steal_fd(&fd);
}

int seccomp_send_listener(const seccomp_prog_t *p, int listener_fd, pid_t pid, const char *state_json,
                          cell_error_t *err)
{
        _cleanup_json_ json_t *msg = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int sock = -1;
        json_t *state;
        json_error_t jerr;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct cmsghdr *cmsg;
        struct msghdr mh;
        struct iovec iov;
        size_t len, done = 0;
        bool first = true;

        if (!p || !p->listener)
                return cell_error_plain(err, EINVAL, "seccomp: the filter has no listener");
        if (listener_fd < 0)
                return cell_error_plain(err, EBADF, "seccomp: no listener fd to send");

        state = json_loads(state_json ? state_json : "", 0, &jerr);
        if (!state || !json_is_object(state)) {
                json_decref(state);
                return cell_error_plain(err, EINVAL, "seccomp: the container state is not a JSON object");
        }
        /* "o" hands the reference to state over to msg, also on failure. */
        msg = json_pack("{s:s, s:[s], s:I, s:o}", "ociVersion", SECCOMP_STATE_OCI_VERSION, "fds", "seccompFd",
                        "pid", (json_int_t)pid, "state", state);
        if (!msg)
                return cell_error_set(err, ENOMEM, "seccomp: building the container process state");
        if (p->listener_metadata &&
            json_object_set_new(msg, "metadata", json_string(p->listener_metadata)) < 0)
                return cell_error_plain(err, EINVAL, "linux.seccomp.listenerMetadata: not valid UTF-8");
        data = json_dumps(msg, JSON_COMPACT);
        if (!data)
                return cell_error_set(err, ENOMEM, "seccomp: building the container process state");
        len = strlen(data);

        sock = seccomp_connect(p->listener_path, err);
        if (sock < 0)
                return cell_error_prefix(err, "seccomp: sending the listener to the agent");

        /* One message per connection; when the socket takes it in pieces,
         * the fd goes with the first, as the spec requires. */
        while (done < len) {
                ssize_t n;

                iov = (struct iovec){.iov_base = data + done, .iov_len = len - done};
                mh = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
                if (first) {
                        memset(&control, 0, sizeof(control));
                        mh.msg_control = control.buf;
                        mh.msg_controllen = sizeof(control.buf);
                        cmsg = CMSG_FIRSTHDR(&mh);
                        cmsg->cmsg_level = SOL_SOCKET;
                        cmsg->cmsg_type = SCM_RIGHTS;
                        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(cmsg), &listener_fd, sizeof(int));
                }
                n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cell_error_errno(err, "seccomp: sending the listener to the agent at %s",
                                                p->listener_path);
                first = false;
                done += (size_t)n;
        }
        return 0;
}

json_t *seccomp_features(void)
{
        static const char *const archs[] = {"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",
                                            "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPSEL",
                                            "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_PPC64LE"};
        json_t *f = json_object(), *a = json_array(), *o = json_array(), *fl = json_array(),
               *ar = json_array();

        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++)
                json_array_append_new(a, json_string(seccomp_actions[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_ops); i++)
                json_array_append_new(o, json_string(seccomp_ops[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++)
                json_array_append_new(fl, json_string(seccomp_flags[i].name));
        for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
                json_array_append_new(ar, json_string(archs[i]));
        json_object_set_new(f, "enabled", json_true());
        json_object_set_new(f, "actions", a);
        json_object_set_new(f, "operators", o);
        json_object_set_new(f, "archs", ar);
        json_object_set_new(f, "knownFlags", json_copy(fl));
        json_object_set_new(f, "supportedFlags", fl);
        return f;
}
