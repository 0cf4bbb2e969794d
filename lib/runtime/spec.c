/* cell: config.json → spec_t. Every error names the field it is about. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "fsutil.h"
#include "jsonfield.h"
#include "strutil.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY      0x00000001
#define MOUNT_ATTR_NOSUID      0x00000002
#define MOUNT_ATTR_NODEV       0x00000004
#define MOUNT_ATTR_NOEXEC      0x00000008
#define MOUNT_ATTR__ATIME      0x00000070
#define MOUNT_ATTR_RELATIME    0x00000000
#define MOUNT_ATTR_NOATIME     0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME  0x00000080
#endif

static const char *const ns_names[SPEC_NS__MAX] = {
        [SPEC_NS_PID] = "pid",       [SPEC_NS_NET] = "network", [SPEC_NS_MOUNT] = "mount",
        [SPEC_NS_IPC] = "ipc",       [SPEC_NS_UTS] = "uts",     [SPEC_NS_USER] = "user",
        [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const int ns_flags[SPEC_NS__MAX] = {
        [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NET] = CLONE_NEWNET,
        [SPEC_NS_MOUNT] = CLONE_NEWNS,      [SPEC_NS_IPC] = CLONE_NEWIPC,
        [SPEC_NS_UTS] = CLONE_NEWUTS,       [SPEC_NS_USER] = CLONE_NEWUSER,
        [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = 0x00000080 /* CLONE_NEWTIME */,
};

const char *spec_ns_name(spec_ns_type_t t)
{
        return t < SPEC_NS__MAX ? ns_names[t] : "?";
}

int spec_ns_clone_flag(spec_ns_type_t t)
{
        return t < SPEC_NS__MAX ? ns_flags[t] : 0;
}

static const char *const hook_names[SPEC_HOOK__MAX] = {
        [SPEC_HOOK_PRESTART] = "prestart",
        [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
        [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
        [SPEC_HOOK_START_CONTAINER] = "startContainer",
        [SPEC_HOOK_POSTSTART] = "poststart",
        [SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_name(spec_hook_kind_t k)
{
        return k < SPEC_HOOK__MAX ? hook_names[k] : "?";
}

/* ---- capabilities ---- */

static const char *const cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(cap_names[i], name) == 0 || strcasecmp(cap_names[i] + 4, name) == 0)
                        return (int)i;
        return -1;
}

const char *spec_cap_name(int cap)
{
        return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

int spec_cap_last(void)
{
        static int last = -1;
        _cleanup_free_ char *s = NULL;
        long v;

        if (last >= 0)
                return last;
        if (fs_read_file("/proc/sys/kernel/cap_last_cap", 64, &s, NULL, NULL) == 0) {
                s[strcspn(s, "\n")] = '\0';
                if (str_to_long(s, 0, 63, &v) == 0)
                        return last = (int)v;
        }
        return last = (int)ARRAY_SIZE(cap_names) - 1;
}

/* ---- signals ---- */

static const struct {
        const char *name;
        int num;
} signal_table[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
        {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
        {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
        {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
        {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int spec_parse_signal(const char *s)
{
        long v;

        if (!s || !*s)
                return -1;
        if (str_to_long(s, 1, 64, &v) == 0)
                return (int)v;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
                if (strcasecmp(signal_table[i].name, s) == 0)
                        return signal_table[i].num;
        if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
                bool min = strncasecmp(s, "RTMIN", 5) == 0;
                long off = 0;
                const char *rest = s + 5;

                if (*rest == '+' || *rest == '-') {
                        if (str_to_long(rest + 1, 0, 32, &off) < 0)
                                return -1;
                        if (*rest == '-')
                                off = -off;
                } else if (*rest) {
                        return -1;
                }
                v = (min ? SIGRTMIN : SIGRTMAX) + off;
                return v >= SIGRTMIN && v <= SIGRTMAX ? (int)v : -1;
        }
        return -1;
}

/* ---- JSON field helpers ---- */

#define FIELD_MAX 256

static int get_string(json_t *obj, const char *key, const char *field, bool required, char **ret,
                      cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                if (required)
                        return cell_error_set(err, EINVAL, "%s: missing", field);
                return 0;
        }
        if (!json_is_string(v))
                return jf_type_error(err, field, "a string");
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : cell_error_set(err, ENOMEM, "%s", field);
}

static int get_bool(json_t *obj, const char *key, const char *field, bool *ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return jf_type_error(err, field, "true or false");
        *ret = json_is_true(v);
        return 0;
}

static int as_int(json_t *v, const char *field, long long min, long long max, long long *ret,
                  cell_error_t *err)
{
        if (!json_is_integer(v)) {
                if (json_is_real(v)) {
                        double d = json_real_value(v);
                        /* Range first: converting a double outside long long's
                         * range is undefined behaviour. */
                        if (d >= -0x1p63 && d < 0x1p63 && d == trunc(d)) {
                                long long i = (long long)d;
                                if (i < min || i > max)
                                        return cell_error_set(err, ERANGE,
                                                              "%s: %lld is out of range [%lld, %lld]", field,
                                                              i, min, max);
                                *ret = i;
                                return 0;
                        }
                }
                return jf_type_error(err, field, "an integer");
        }
        *ret = json_integer_value(v);
        if (*ret < min || *ret > max)
                return cell_error_set(err, ERANGE, "%s: %lld is out of range [%lld, %lld]", field, *ret, min,
                                      max);
        return 0;
}

static int get_int(json_t *obj, const char *key, const char *field, long long min, long long max,
                   bool *present, long long *ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (present)
                *present = false;
        if (!v || json_is_null(v))
                return 0;
        if (present)
                *present = true;
        return as_int(v, field, min, max, ret, err);
}

/* uint64 fields (rlimits) may exceed what jansson's signed integers hold;
 * jansson then fails to parse the number at all, so accept reals too. */
static int get_u64(json_t *obj, const char *key, const char *field, uint64_t *ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);

        if (!v)
                return cell_error_set(err, EINVAL, "%s: missing", field);
        if (json_is_integer(v)) {
                if (json_integer_value(v) < 0)
                        return cell_error_set(err, ERANGE, "%s: must not be negative", field);
                *ret = (uint64_t)json_integer_value(v);
                return 0;
        }
        if (json_is_real(v) && json_real_value(v) >= 0) {
                double d = json_real_value(v);
                *ret = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
                return 0;
        }
        return jf_type_error(err, field, "an unsigned integer");
}

static int get_strv(json_t *obj, const char *key, const char *field, char ***ret, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);
        _cleanup_strv_ char **out = NULL;
        size_t i;
        json_t *e;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return jf_type_error(err, field, "an array of strings");
        out = calloc(json_array_size(v) + 1, sizeof(char *));
        if (!out)
                return cell_error_set(err, ENOMEM, "%s", field);
        json_array_foreach(v, i, e)
        {
                if (!json_is_string(e))
                        return cell_error_set(err, EINVAL, "%s[%zu]: expected a string", field, i);
                out[i] = strdup(json_string_value(e));
                if (!out[i])
                        return cell_error_set(err, ENOMEM, "%s", field);
        }
        *ret = steal_pointer(&out);
        return 0;
}

/* ---- mounts ---- */

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flag_table[] = {
        {"ro", false, MS_RDONLY},
        {"rw", true, MS_RDONLY},
        {"nosuid", false, MS_NOSUID},
        {"suid", true, MS_NOSUID},
        {"nodev", false, MS_NODEV},
        {"dev", true, MS_NODEV},
        {"noexec", false, MS_NOEXEC},
        {"exec", true, MS_NOEXEC},
        {"sync", false, MS_SYNCHRONOUS},
        {"async", true, MS_SYNCHRONOUS},
        {"dirsync", false, MS_DIRSYNC},
        {"remount", false, MS_REMOUNT},
        {"mand", false, MS_MANDLOCK},
        {"nomand", true, MS_MANDLOCK},
        {"atime", true, MS_NOATIME},
        {"noatime", false, MS_NOATIME},
        {"diratime", true, MS_NODIRATIME},
        {"nodiratime", false, MS_NODIRATIME},
        {"relatime", false, MS_RELATIME},
        {"norelatime", true, MS_RELATIME},
        {"strictatime", false, MS_STRICTATIME},
        {"nostrictatime", true, MS_STRICTATIME},
        {"silent", false, MS_SILENT},
        {"loud", true, MS_SILENT},
        {"lazytime", false, MS_LAZYTIME},
        {"nolazytime", true, MS_LAZYTIME},
        {"iversion", false, MS_I_VERSION},
        {"noiversion", true, MS_I_VERSION},
};

static const struct {
        const char *name;
        bool clear;
        unsigned long long attr;
} mount_attr_table[] = {
        {"rro", false, MOUNT_ATTR_RDONLY},
        {"rrw", true, MOUNT_ATTR_RDONLY},
        {"rnosuid", false, MOUNT_ATTR_NOSUID},
        {"rsuid", true, MOUNT_ATTR_NOSUID},
        {"rnodev", false, MOUNT_ATTR_NODEV},
        {"rdev", true, MOUNT_ATTR_NODEV},
        {"rnoexec", false, MOUNT_ATTR_NOEXEC},
        {"rexec", true, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
        {"rnoatime", false, MOUNT_ATTR_NOATIME},
        {"rrelatime", false, MOUNT_ATTR_RELATIME},
        {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
};

static const struct {
        const char *name;
        unsigned long flag;
        bool recursive;
} propagation_table[] = {
        {"private", MS_PRIVATE, false},       {"rprivate", MS_PRIVATE, true},
        {"shared", MS_SHARED, false},         {"rshared", MS_SHARED, true},
        {"slave", MS_SLAVE, false},           {"rslave", MS_SLAVE, true},
        {"unbindable", MS_UNBINDABLE, false}, {"runbindable", MS_UNBINDABLE, true},
};

static int append_data(char **data, const char *opt)
{
        char *n = *data ? str_printf("%s,%s", *data, opt) : strdup(opt);

        if (!n)
                return -ENOMEM;
        free(*data);
        *data = n;
        return 0;
}

static int parse_mount_options(spec_mount_t *m, const char *field, cell_error_t *err)
{
        for (size_t i = 0; m->options && m->options[i]; i++) {
                const char *o = m->options[i];
                bool known = false;

                if (strcmp(o, "bind") == 0) {
                        m->bind = true;
                        continue;
                }
                if (strcmp(o, "rbind") == 0) {
                        m->bind = m->recursive_bind = true;
                        continue;
                }
                for (size_t j = 0; j < ARRAY_SIZE(mount_flag_table) && !known; j++) {
                        if (strcmp(o, mount_flag_table[j].name) == 0) {
                                known = true;
                                if (mount_flag_table[j].clear) {
                                        m->flags &= ~mount_flag_table[j].flag;
                                        m->clear_flags |= mount_flag_table[j].flag;
                                } else {
                                        m->flags |= mount_flag_table[j].flag;
                                        m->clear_flags &= ~mount_flag_table[j].flag;
                                }
                        }
                }
                for (size_t j = 0; j < ARRAY_SIZE(mount_attr_table) && !known; j++) {
                        if (strcmp(o, mount_attr_table[j].name) == 0) {
                                known = true;
                                if (mount_attr_table[j].clear)
                                        m->attr_clr |= mount_attr_table[j].attr;
                                else
                                        m->attr_set |= mount_attr_table[j].attr;
                                if (mount_attr_table[j].attr & MOUNT_ATTR__ATIME || !mount_attr_table[j].attr)
                                        m->attr_clr |= MOUNT_ATTR__ATIME;
                        }
                }
                for (size_t j = 0; j < ARRAY_SIZE(propagation_table) && !known; j++) {
                        if (strcmp(o, propagation_table[j].name) == 0) {
                                known = true;
                                if (m->n_propagation >= ARRAY_SIZE(m->propagation))
                                        return cell_error_set(err, EINVAL,
                                                              "%s.options: too many propagation options",
                                                              field);
                                m->propagation[m->n_propagation].flag = propagation_table[j].flag;
                                m->propagation[m->n_propagation].recursive = propagation_table[j].recursive;
                                m->n_propagation++;
                        }
                }
                if (known)
                        continue;
                if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
                        m->idmap = true;
                        m->idmap_recursive = m->idmap_recursive || strcmp(o, "ridmap") == 0;
                        continue;
                }
                /* Options that concern other runtimes or later stages. */
                if (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "notmpcopyup") == 0 ||
                    strcmp(o, "copy-symlink") == 0 || strcmp(o, "z") == 0 || strcmp(o, "Z") == 0)
                        continue;
                if (append_data(&m->data, o) < 0)
                        return cell_error_set(err, ENOMEM, "%s.options", field);
        }
        /* A "bind" type with no bind option still means a bind mount. */
        if (m->type && (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0)) {
                m->bind = true;
                if (strcmp(m->type, "rbind") == 0)
                        m->recursive_bind = true;
        }
        return 0;
}

static int parse_id_maps(json_t *arr, const char *field, spec_id_map_t **ret, size_t *n, cell_error_t *err);

/* mounts[i].uidMappings and gidMappings: both or neither, as the spec says,
 * and only on a bind mount, the one kind an idmapping is applied to here. */
static int parse_mount_id_maps(spec_mount_t *m, json_t *e, const char *field, cell_error_t *err)
{
        char fu[FIELD_MAX + 32], fg[FIELD_MAX + 32];
        json_t *u = json_object_get(e, "uidMappings"), *g = json_object_get(e, "gidMappings");
        int r;

        snprintf(fu, sizeof(fu), "%s.uidMappings", field);
        snprintf(fg, sizeof(fg), "%s.gidMappings", field);
        if (u && !json_is_null(u) &&
            (r = parse_id_maps(u, fu, &m->uid_mappings, &m->n_uid_mappings, err)) < 0)
                return r;
        if (g && !json_is_null(g) &&
            (r = parse_id_maps(g, fg, &m->gid_mappings, &m->n_gid_mappings, err)) < 0)
                return r;
        if (m->n_uid_mappings && !m->n_gid_mappings)
                return cell_error_set(err, EINVAL,
                                      "%s: missing (uidMappings is given, and the two go together)", fg);
        if (m->n_gid_mappings && !m->n_uid_mappings)
                return cell_error_set(err, EINVAL,
                                      "%s: missing (gidMappings is given, and the two go together)", fu);
        /* Mappings without the option still ask for an idmapped mount, as in
         * runc: ignoring them would hand the container the wrong owners. */
        if (m->n_uid_mappings)
                m->idmap = true;
        if (m->idmap && !m->bind)
                return cell_error_set(err, EINVAL, "%s.options: an idmapped mount must be a bind mount",
                                      field);
        return 0;
}

static int parse_mounts(spec_t *s, json_t *root, cell_error_t *err)
{
        json_t *arr, *e;
        size_t i;
        int r;

        arr = jf_array(root, "mounts", "mounts", &r, err);
        if (r < 0 || !arr)
                return r;
        s->mounts = calloc(json_array_size(arr) + 1, sizeof(spec_mount_t));
        if (!s->mounts)
                return cell_error_set(err, ENOMEM, "mounts");
        json_array_foreach(arr, i, e)
        {
                spec_mount_t *m = &s->mounts[i];
                char field[FIELD_MAX];

                snprintf(field, sizeof(field), "mounts[%zu]", i);
                s->n_mounts = i + 1;
                if (!json_is_object(e))
                        return jf_type_error(err, field, "an object");
                {
                        char f[FIELD_MAX + 32];

                        snprintf(f, sizeof(f), "%s.destination", field);
                        if ((r = get_string(e, "destination", f, true, &m->destination, err)) < 0)
                                return r;
                        if (m->destination[0] != '/')
                                return cell_error_set(err, EINVAL, "%s: must be an absolute path, not %s", f,
                                                      m->destination);
                        snprintf(f, sizeof(f), "%s.type", field);
                        if ((r = get_string(e, "type", f, false, &m->type, err)) < 0)
                                return r;
                        snprintf(f, sizeof(f), "%s.source", field);
                        if ((r = get_string(e, "source", f, false, &m->source, err)) < 0)
                                return r;
                        snprintf(f, sizeof(f), "%s.options", field);
                        if ((r = get_strv(e, "options", f, &m->options, err)) < 0)
                                return r;
                }
                if ((r = parse_mount_options(m, field, err)) < 0)
                        return r;
                if (m->bind && !m->source)
                        return cell_error_set(err, EINVAL, "%s.source: a bind mount needs a source", field);
                if (!m->bind && !m->type)
                        return cell_error_set(err, EINVAL,
                                              "%s.type: missing (and the mount is not a bind mount)", field);
                if ((r = parse_mount_id_maps(m, e, field, err)) < 0)
                        return r;
        }
        return 0;
}

/* ---- process ---- */

static const struct {
        const char *name;
        int resource;
} rlimit_table[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

const char *spec_rlimit_name(int resource)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
                if (rlimit_table[i].resource == resource)
                        return rlimit_table[i].name;
        return "RLIMIT_?";
}

static int parse_caps(spec_process_t *p, json_t *caps, cell_error_t *err)
{
        static const char *const sets[SPEC_CAP__MAX] = {"bounding", "effective", "inheritable", "permitted",
                                                        "ambient"};
        int last = spec_cap_last();

        if (!json_is_object(caps))
                return jf_type_error(err, "process.capabilities", "an object");
        p->has_capabilities = true;
        for (int s = 0; s < SPEC_CAP__MAX; s++) {
                json_t *arr = json_object_get(caps, sets[s]), *e;
                size_t i;

                if (!arr || json_is_null(arr))
                        continue;
                if (!json_is_array(arr))
                        return cell_error_set(err, EINVAL, "process.capabilities.%s: expected an array",
                                              sets[s]);
                p->cap_listed[s] = true;
                json_array_foreach(arr, i, e)
                {
                        int c;

                        if (!json_is_string(e))
                                return cell_error_set(err, EINVAL,
                                                      "process.capabilities.%s[%zu]: expected a string",
                                                      sets[s], i);
                        c = spec_cap_from_name(json_string_value(e));
                        if (c < 0)
                                return cell_error_set(err, EINVAL,
                                                      "process.capabilities.%s[%zu]: unknown capability %s",
                                                      sets[s], i, json_string_value(e));
                        /* A capability newer than the running kernel is left out,
                         * as runc does, so that new configs run on old kernels. */
                        if (c <= last)
                                p->caps[s] |= 1ULL << c;
                }
        }
        return 0;
}

static int parse_process(spec_t *s, json_t *proc, cell_error_t *err)
{
        spec_process_t *p = &s->process;
        json_t *o, *arr, *e;
        long long v;
        bool present;
        size_t i;
        int r;

        if (!json_is_object(proc))
                return jf_type_error(err, "process", "an object");
        s->has_process = true;
        if ((r = get_bool(proc, "terminal", "process.terminal", &p->terminal, err)) < 0)
                return r;
        if ((o = jf_object(proc, "consoleSize", "process.consoleSize", &r, err))) {
                if ((r = get_int(o, "height", "process.consoleSize.height", 0, UINT16_MAX, NULL, &v, err)) <
                    0)
                        return r;
                p->console_height = (unsigned)v;
                v = 0;
                if ((r = get_int(o, "width", "process.consoleSize.width", 0, UINT16_MAX, NULL, &v, err)) < 0)
                        return r;
                p->console_width = (unsigned)v;
        } else if (r < 0) {
                return r;
        }
        if ((o = jf_object(proc, "user", "process.user", &r, err))) {
                v = 0;
                if ((r = get_int(o, "uid", "process.user.uid", 0, UINT32_MAX, NULL, &v, err)) < 0)
                        return r;
                p->uid = (uint32_t)v;
                v = 0;
                if ((r = get_int(o, "gid", "process.user.gid", 0, UINT32_MAX, NULL, &v, err)) < 0)
                        return r;
                p->gid = (uint32_t)v;
                if ((r = get_int(o, "umask", "process.user.umask", 0, 0777, &present, &v, err)) < 0)
                        return r;
                p->has_umask = present;
                p->umask = (uint32_t)v;
                if ((arr = jf_array(o, "additionalGids", "process.user.additionalGids", &r, err))) {
                        p->additional_gids = calloc(json_array_size(arr) + 1, sizeof(gid_t));
                        if (!p->additional_gids)
                                return cell_error_set(err, ENOMEM, "process.user");
                        json_array_foreach(arr, i, e)
                        {
                                char f[FIELD_MAX];

                                snprintf(f, sizeof(f), "process.user.additionalGids[%zu]", i);
                                if ((r = as_int(e, f, 0, UINT32_MAX, &v, err)) < 0)
                                        return r;
                                p->additional_gids[i] = (gid_t)v;
                                p->n_additional_gids = i + 1;
                        }
                } else if (r < 0) {
                        return r;
                }
        } else if (r < 0) {
                return r;
        }
        if ((r = get_strv(proc, "args", "process.args", &p->args, err)) < 0)
                return r;
        if (!p->args || !p->args[0])
                return cell_error_set(err, EINVAL, "process.args: must name at least the program to run");
        if ((r = get_strv(proc, "env", "process.env", &p->env, err)) < 0)
                return r;
        for (i = 0; p->env && p->env[i]; i++)
                if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
                        return cell_error_set(err, EINVAL, "process.env[%zu]: expected KEY=VALUE, not \"%s\"",
                                              i, p->env[i]);
        if ((r = get_string(proc, "cwd", "process.cwd", true, &p->cwd, err)) < 0)
                return r;
        if (p->cwd[0] != '/')
                return cell_error_set(err, EINVAL, "process.cwd: must be an absolute path, not \"%s\"",
                                      p->cwd);
        if ((o = json_object_get(proc, "capabilities")) && !json_is_null(o) &&
            (r = parse_caps(p, o, err)) < 0)
                return r;
        if ((arr = jf_array(proc, "rlimits", "process.rlimits", &r, err))) {
                p->rlimits = calloc(json_array_size(arr) + 1, sizeof(spec_rlimit_t));
                if (!p->rlimits)
                        return cell_error_set(err, ENOMEM, "process.rlimits");
                json_array_foreach(arr, i, e)
                {
                        char f[FIELD_MAX];
                        json_t *t;
                        bool found = false;

                        snprintf(f, sizeof(f), "process.rlimits[%zu]", i);
                        if (!json_is_object(e))
                                return jf_type_error(err, f, "an object");
                        t = json_object_get(e, "type");
                        if (!json_is_string(t))
                                return cell_error_set(err, EINVAL, "%s.type: expected a string", f);
                        for (size_t j = 0; j < ARRAY_SIZE(rlimit_table); j++)
                                if (strcmp(rlimit_table[j].name, json_string_value(t)) == 0) {
                                        p->rlimits[i].resource = rlimit_table[j].resource;
                                        found = true;
                                }
                        if (!found)
                                return cell_error_set(err, EINVAL, "%s.type: unknown rlimit %s", f,
                                                      json_string_value(t));
                        for (size_t j = 0; j < i; j++)
                                if (p->rlimits[j].resource == p->rlimits[i].resource)
                                        return cell_error_set(err, EINVAL, "%s.type: %s is set twice", f,
                                                              json_string_value(t));
                        {
                                char f2[FIELD_MAX + 8];

                                snprintf(f2, sizeof(f2), "%s.hard", f);
                                if ((r = get_u64(e, "hard", f2, &p->rlimits[i].hard, err)) < 0)
                                        return r;
                                snprintf(f2, sizeof(f2), "%s.soft", f);
                                if ((r = get_u64(e, "soft", f2, &p->rlimits[i].soft, err)) < 0)
                                        return r;
                        }
                        p->n_rlimits = i + 1;
                }
        } else if (r < 0) {
                return r;
        }
        if ((r = get_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges, err)) <
            0)
                return r;
        if ((r = get_string(proc, "apparmorProfile", "process.apparmorProfile", false, &p->apparmor_profile,
                            err)) < 0)
                return r;
        if ((r = get_string(proc, "selinuxLabel", "process.selinuxLabel", false, &p->selinux_label, err)) < 0)
                return r;
        if ((r = get_int(proc, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &present, &v, err)) < 0)
                return r;
        p->has_oom_score_adj = present;
        p->oom_score_adj = (int)v;
        if ((o = jf_object(proc, "ioPriority", "process.ioPriority", &r, err))) {
                static const char *const classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                                      "IOPRIO_CLASS_IDLE"};
                json_t *c = json_object_get(o, "class");

                if (!json_is_string(c))
                        return cell_error_set(err, EINVAL, "process.ioPriority.class: expected a string");
                p->io_priority_class = -1;
                for (size_t j = 0; j < ARRAY_SIZE(classes); j++)
                        if (strcmp(classes[j], json_string_value(c)) == 0)
                                p->io_priority_class = (int)j + 1;
                if (p->io_priority_class < 0)
                        return cell_error_set(err, EINVAL, "process.ioPriority.class: unknown class %s",
                                              json_string_value(c));
                v = 0;
                if ((r = get_int(o, "priority", "process.ioPriority.priority", 0, 7, NULL, &v, err)) < 0)
                        return r;
                p->io_priority = (int)v;
                p->has_io_priority = true;
        } else if (r < 0) {
                return r;
        }
        return 0;
}

/* ---- hooks ---- */

static int parse_hooks(spec_t *s, json_t *hooks, cell_error_t *err)
{
        if (!json_is_object(hooks))
                return jf_type_error(err, "hooks", "an object");
        for (int k = 0; k < SPEC_HOOK__MAX; k++) {
                json_t *arr = json_object_get(hooks, hook_names[k]), *e;
                size_t i;
                int r;

                if (!arr || json_is_null(arr))
                        continue;
                if (!json_is_array(arr))
                        return cell_error_set(err, EINVAL, "hooks.%s: expected an array", hook_names[k]);
                s->hooks[k] = calloc(json_array_size(arr) + 1, sizeof(spec_hook_t));
                if (!s->hooks[k])
                        return cell_error_set(err, ENOMEM, "hooks");
                json_array_foreach(arr, i, e)
                {
                        spec_hook_t *h = &s->hooks[k][i];
                        char f[FIELD_MAX], f2[FIELD_MAX + 16];
                        long long v = 0;

                        s->n_hooks[k] = i + 1;
                        snprintf(f, sizeof(f), "hooks.%s[%zu]", hook_names[k], i);
                        if (!json_is_object(e))
                                return jf_type_error(err, f, "an object");
                        snprintf(f2, sizeof(f2), "%s.path", f);
                        if ((r = get_string(e, "path", f2, true, &h->path, err)) < 0)
                                return r;
                        if (h->path[0] != '/')
                                return cell_error_set(err, EINVAL, "%s: must be an absolute path, not %s", f2,
                                                      h->path);
                        snprintf(f2, sizeof(f2), "%s.args", f);
                        if ((r = get_strv(e, "args", f2, &h->args, err)) < 0)
                                return r;
                        snprintf(f2, sizeof(f2), "%s.env", f);
                        if ((r = get_strv(e, "env", f2, &h->env, err)) < 0)
                                return r;
                        snprintf(f2, sizeof(f2), "%s.timeout", f);
                        if ((r = get_int(e, "timeout", f2, 1, INT_MAX, NULL, &v, err)) < 0)
                                return r;
                        if (json_object_get(e, "timeout") && !json_is_null(json_object_get(e, "timeout")) &&
                            v <= 0)
                                return cell_error_set(err, EINVAL, "%s: must be greater than zero", f2);
                        h->timeout = (int)v;
                }
        }
        return 0;
}

/* ---- linux ---- */

/* The kernel refuses a map whose ranges wrap past 2^32 - 1 (that id means
 * "no id") or overlap, and takes at most 340 lines; saying which entry is
 * wrong here beats "write uid_map: Invalid argument" at create time. */
#define ID_MAP_MAX 340

static bool ranges_overlap(uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
        return (uint64_t)a < (uint64_t)b + nb && (uint64_t)b < (uint64_t)a + na;
}

static int check_id_map(const spec_id_map_t *maps, size_t i, const char *f, cell_error_t *err)
{
        const spec_id_map_t *m = &maps[i];

        if ((uint64_t)m->container_id + m->size > UINT32_MAX)
                return cell_error_set(err, EINVAL, "%s: containerID + size must not exceed %u", f,
                                      (unsigned)UINT32_MAX);
        if ((uint64_t)m->host_id + m->size > UINT32_MAX)
                return cell_error_set(err, EINVAL, "%s: hostID + size must not exceed %u", f,
                                      (unsigned)UINT32_MAX);
        for (size_t j = 0; j < i; j++) {
                if (ranges_overlap(m->container_id, m->size, maps[j].container_id, maps[j].size))
                        return cell_error_set(err, EINVAL, "%s: its containerID range overlaps entry %zu", f,
                                              j);
                if (ranges_overlap(m->host_id, m->size, maps[j].host_id, maps[j].size))
                        return cell_error_set(err, EINVAL, "%s: its hostID range overlaps entry %zu", f, j);
        }
        return 0;
}

static int parse_id_maps(json_t *arr, const char *field, spec_id_map_t **ret, size_t *n, cell_error_t *err)
{
        json_t *e;
        size_t i;

        if (!json_is_array(arr))
                return jf_type_error(err, field, "an array");
        if (json_array_size(arr) > ID_MAP_MAX)
                return cell_error_set(err, EINVAL, "%s: at most %d entries (the kernel's limit)", field,
                                      ID_MAP_MAX);
        *ret = calloc(json_array_size(arr) + 1, sizeof(spec_id_map_t));
        if (!*ret)
                return cell_error_set(err, ENOMEM, "%s", field);
        json_array_foreach(arr, i, e)
        {
                char f[FIELD_MAX], f2[FIELD_MAX + 16];
                long long v = 0;
                int r;

                snprintf(f, sizeof(f), "%s[%zu]", field, i);
                if (!json_is_object(e))
                        return jf_type_error(err, f, "an object");
                snprintf(f2, sizeof(f2), "%s.containerID", f);
                if ((r = get_int(e, "containerID", f2, 0, UINT32_MAX, NULL, &v, err)) < 0)
                        return r;
                (*ret)[i].container_id = (uint32_t)v;
                v = 0;
                snprintf(f2, sizeof(f2), "%s.hostID", f);
                if ((r = get_int(e, "hostID", f2, 0, UINT32_MAX, NULL, &v, err)) < 0)
                        return r;
                (*ret)[i].host_id = (uint32_t)v;
                v = 0;
                snprintf(f2, sizeof(f2), "%s.size", f);
                if ((r = get_int(e, "size", f2, 1, UINT32_MAX, NULL, &v, err)) < 0)
                        return r;
                if (v == 0)
                        return cell_error_set(err, EINVAL, "%s: missing", f2);
                (*ret)[i].size = (uint32_t)v;
                *n = i + 1;
                if ((r = check_id_map(*ret, i, f, err)) < 0)
                        return r;
        }
        return 0;
}

static int parse_devices(spec_t *s, json_t *arr, cell_error_t *err)
{
        json_t *e;
        size_t i;

        if (!json_is_array(arr))
                return jf_type_error(err, "linux.devices", "an array");
        s->devices = calloc(json_array_size(arr) + 1, sizeof(spec_device_t));
        if (!s->devices)
                return cell_error_set(err, ENOMEM, "linux.devices");
        json_array_foreach(arr, i, e)
        {
                spec_device_t *d = &s->devices[i];
                char f[FIELD_MAX], f2[FIELD_MAX + 16];
                _cleanup_free_ char *type = NULL;
                long long v = 0;
                bool present;
                int r;

                s->n_devices = i + 1;
                snprintf(f, sizeof(f), "linux.devices[%zu]", i);
                if (!json_is_object(e))
                        return jf_type_error(err, f, "an object");
                snprintf(f2, sizeof(f2), "%s.path", f);
                if ((r = get_string(e, "path", f2, true, &d->path, err)) < 0)
                        return r;
                if (d->path[0] != '/')
                        return cell_error_set(err, EINVAL, "%s: must be an absolute path", f2);
                snprintf(f2, sizeof(f2), "%s.type", f);
                if ((r = get_string(e, "type", f2, true, &type, err)) < 0)
                        return r;
                if (strlen(type) != 1 || !strchr("cbup", type[0]))
                        return cell_error_set(err, EINVAL, "%s: expected one of c, b, u, p; not \"%s\"", f2,
                                              type);
                d->type = type[0];
                snprintf(f2, sizeof(f2), "%s.major", f);
                if ((r = get_int(e, "major", f2, 0, INT64_MAX, &present, &v, err)) < 0)
                        return r;
                if (!present && d->type != 'p')
                        return cell_error_set(err, EINVAL, "%s: missing", f2);
                d->major = v;
                v = 0;
                snprintf(f2, sizeof(f2), "%s.minor", f);
                if ((r = get_int(e, "minor", f2, 0, INT64_MAX, &present, &v, err)) < 0)
                        return r;
                if (!present && d->type != 'p')
                        return cell_error_set(err, EINVAL, "%s: missing", f2);
                d->minor = v;
                snprintf(f2, sizeof(f2), "%s.fileMode", f);
                if ((r = get_int(e, "fileMode", f2, 0, 07777, &d->has_file_mode, &v, err)) < 0)
                        return r;
                d->file_mode = (uint32_t)v;
                snprintf(f2, sizeof(f2), "%s.uid", f);
                if ((r = get_int(e, "uid", f2, 0, UINT32_MAX, &d->has_uid, &v, err)) < 0)
                        return r;
                d->uid = (uint32_t)v;
                snprintf(f2, sizeof(f2), "%s.gid", f);
                if ((r = get_int(e, "gid", f2, 0, UINT32_MAX, &d->has_gid, &v, err)) < 0)
                        return r;
                d->gid = (uint32_t)v;
        }
        return 0;
}

/* Only namespaced sysctls may be set, and only in a namespace of the
 * container's own: anything else would change the host. */
static int check_sysctl(const spec_t *s, const char *key, cell_error_t *err)
{
        static const char *const ipc_prefixes[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                                   "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                                   "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue."};
        spec_ns_type_t need;

        if (strncmp(key, "net.", 4) == 0) {
                need = SPEC_NS_NET;
        } else if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
                need = SPEC_NS_UTS;
        } else {
                bool ipc = false;
                for (size_t i = 0; i < ARRAY_SIZE(ipc_prefixes); i++)
                        if (strncmp(key, ipc_prefixes[i], strlen(ipc_prefixes[i])) == 0)
                                ipc = true;
                if (!ipc)
                        return cell_error_set(err, EINVAL, "linux.sysctl.%s: not a namespaced sysctl", key);
                need = SPEC_NS_IPC;
        }
        if (!s->namespaces[need].present)
                return cell_error_set(err, EINVAL,
                                      "linux.sysctl.%s: needs a %s namespace of the container's own", key,
                                      spec_ns_name(need));
        return 0;
}

static int parse_linux(spec_t *s, json_t *lx, cell_error_t *err)
{
        json_t *o, *arr, *e;
        const char *key;
        size_t i;
        int r;

        if (!json_is_object(lx))
                return jf_type_error(err, "linux", "an object");
        if ((arr = jf_array(lx, "namespaces", "linux.namespaces", &r, err))) {
                json_array_foreach(arr, i, e)
                {
                        char f[FIELD_MAX];
                        json_t *t = json_object_get(e, "type"), *p = json_object_get(e, "path");
                        int found = -1;

                        snprintf(f, sizeof(f), "linux.namespaces[%zu]", i);
                        if (!json_is_object(e))
                                return jf_type_error(err, f, "an object");
                        if (!json_is_string(t))
                                return cell_error_set(err, EINVAL, "%s.type: expected a string", f);
                        for (int n = 0; n < SPEC_NS__MAX; n++)
                                if (strcmp(ns_names[n], json_string_value(t)) == 0)
                                        found = n;
                        if (found < 0)
                                return cell_error_set(err, EINVAL, "%s.type: unknown namespace type \"%s\"",
                                                      f, json_string_value(t));
                        if (s->namespaces[found].present)
                                return cell_error_set(err, EINVAL,
                                                      "%s.type: namespace \"%s\" is listed twice", f,
                                                      json_string_value(t));
                        s->namespaces[found].present = true;
                        if (p && !json_is_null(p)) {
                                if (!json_is_string(p))
                                        return cell_error_set(err, EINVAL, "%s.path: expected a string", f);
                                if (json_string_value(p)[0] != '/' && json_string_value(p)[0] != '\0')
                                        return cell_error_set(err, EINVAL,
                                                              "%s.path: must be an absolute path", f);
                                if (json_string_value(p)[0] == '/') {
                                        s->namespaces[found].path = strdup(json_string_value(p));
                                        if (!s->namespaces[found].path)
                                                return cell_error_set(err, ENOMEM, "%s", f);
                                }
                        }
                }
        } else if (r < 0) {
                return r;
        }
        if ((o = json_object_get(lx, "uidMappings")) && !json_is_null(o) &&
            (r = parse_id_maps(o, "linux.uidMappings", &s->uid_mappings, &s->n_uid_mappings, err)) < 0)
                return r;
        if ((o = json_object_get(lx, "gidMappings")) && !json_is_null(o) &&
            (r = parse_id_maps(o, "linux.gidMappings", &s->gid_mappings, &s->n_gid_mappings, err)) < 0)
                return r;
        if ((s->n_uid_mappings || s->n_gid_mappings) && !s->namespaces[SPEC_NS_USER].present)
                return cell_error_set(err, EINVAL,
                                      "%s: id mappings need a user namespace in linux.namespaces",
                                      s->n_uid_mappings ? "linux.uidMappings" : "linux.gidMappings");
        if ((o = jf_object(lx, "timeOffsets", "linux.timeOffsets", &r, err))) {
                static const char *const clocks[2] = {"monotonic", "boottime"};

                s->has_time_offsets = true;
                json_object_foreach(o, key, e)
                {
                        int c = strcmp(key, "monotonic") == 0 ? 0 : strcmp(key, "boottime") == 0 ? 1 : -1;
                        char f[FIELD_MAX], f2[FIELD_MAX + 16];
                        long long v = 0;

                        if (c < 0)
                                return cell_error_set(err, EINVAL, "linux.timeOffsets.%s: unknown clock",
                                                      key);
                        snprintf(f, sizeof(f), "linux.timeOffsets.%s", clocks[c]);
                        if (!json_is_object(e))
                                return jf_type_error(err, f, "an object");
                        snprintf(f2, sizeof(f2), "%s.secs", f);
                        if ((r = get_int(e, "secs", f2, INT64_MIN, INT64_MAX, NULL, &v, err)) < 0)
                                return r;
                        s->time_offset_secs[c] = v;
                        v = 0;
                        snprintf(f2, sizeof(f2), "%s.nanosecs", f);
                        if ((r = get_int(e, "nanosecs", f2, 0, 999999999, NULL, &v, err)) < 0)
                                return r;
                        s->time_offset_nsecs[c] = (uint32_t)v;
                }
                if (!s->namespaces[SPEC_NS_TIME].present || s->namespaces[SPEC_NS_TIME].path)
                        return cell_error_set(err, EINVAL, "linux.timeOffsets: need a new time namespace");
        } else if (r < 0) {
                return r;
        }
        if ((o = json_object_get(lx, "devices")) && !json_is_null(o) && (r = parse_devices(s, o, err)) < 0)
                return r;
        if ((r = get_string(lx, "cgroupsPath", "linux.cgroupsPath", false, &s->cgroups_path, err)) < 0)
                return r;
        if ((o = jf_object(lx, "resources", "linux.resources", &r, err)))
                s->resources = json_incref(o);
        else if (r < 0)
                return r;
        if ((o = jf_object(lx, "seccomp", "linux.seccomp", &r, err)))
                s->seccomp = json_incref(o);
        else if (r < 0)
                return r;
        if ((o = json_object_get(lx, "rootfsPropagation")) && !json_is_null(o)) {
                bool found = false;

                if (!json_is_string(o))
                        return jf_type_error(err, "linux.rootfsPropagation", "a string");
                for (size_t j = 0; j < ARRAY_SIZE(propagation_table); j++)
                        if (strcmp(propagation_table[j].name, json_string_value(o)) == 0) {
                                s->rootfs_propagation = propagation_table[j].flag |
                                                        (propagation_table[j].recursive ? MS_REC : 0);
                                found = true;
                        }
                if (!found)
                        return cell_error_set(err, EINVAL,
                                              "linux.rootfsPropagation: unknown propagation \"%s\"",
                                              json_string_value(o));
                s->has_rootfs_propagation = true;
        }
        if ((r = get_strv(lx, "maskedPaths", "linux.maskedPaths", &s->masked_paths, err)) < 0)
                return r;
        if ((r = get_strv(lx, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths, err)) < 0)
                return r;
        for (i = 0; s->masked_paths && s->masked_paths[i]; i++)
                if (s->masked_paths[i][0] != '/')
                        return cell_error_set(err, EINVAL, "linux.maskedPaths[%zu]: must be an absolute path",
                                              i);
        for (i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
                if (s->readonly_paths[i][0] != '/')
                        return cell_error_set(err, EINVAL,
                                              "linux.readonlyPaths[%zu]: must be an absolute path", i);
        if ((o = jf_object(lx, "sysctl", "linux.sysctl", &r, err))) {
                s->sysctl = calloc(json_object_size(o) + 1, sizeof(spec_kv_t));
                if (!s->sysctl)
                        return cell_error_set(err, ENOMEM, "linux.sysctl");
                json_object_foreach(o, key, e)
                {
                        if (!json_is_string(e))
                                return cell_error_set(err, EINVAL, "linux.sysctl.%s: expected a string", key);
                        if (!*key || strstr(key, "..") || key[0] == '/' || key[0] == '.')
                                return cell_error_set(err, EINVAL, "linux.sysctl.%s: invalid name", key);
                        if ((r = check_sysctl(s, key, err)) < 0)
                                return r;
                        s->sysctl[s->n_sysctl].key = strdup(key);
                        s->sysctl[s->n_sysctl].value = strdup(json_string_value(e));
                        if (!s->sysctl[s->n_sysctl].key || !s->sysctl[s->n_sysctl].value)
                                return cell_error_set(err, ENOMEM, "linux.sysctl");
                        s->n_sysctl++;
                }
        } else if (r < 0) {
                return r;
        }
        if ((r = get_string(lx, "mountLabel", "linux.mountLabel", false, &s->mount_label, err)) < 0)
                return r;
        if ((o = jf_object(lx, "personality", "linux.personality", &r, err))) {
                json_t *d = json_object_get(o, "domain");

                if (!json_is_string(d))
                        return cell_error_set(err, EINVAL, "linux.personality.domain: expected a string");
                if (strcmp(json_string_value(d), "LINUX") == 0)
                        s->personality = PER_LINUX;
                else if (strcmp(json_string_value(d), "LINUX32") == 0)
                        s->personality = PER_LINUX32;
                else
                        return cell_error_set(err, EINVAL, "linux.personality.domain: unknown domain \"%s\"",
                                              json_string_value(d));
                s->has_personality = true;
        } else if (r < 0) {
                return r;
        }
        return 0;
}

spec_t *spec_parse(const char *data, size_t len, cell_error_t *err)
{
        spec_t *s = NULL;
        json_error_t jerr;
        json_t *root, *o;
        int r;

        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        /* jansson refuses integers above INT64_MAX, and Go writes an unlimited
         * rlimit as 18446744073709551615: read such a document with every
         * number as a double (exact below 2^53, which covers ids and modes). */
        if (!root && strstr(jerr.text, "too big integer"))
                root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
        if (!root) {
                cell_error_set(err, EINVAL, "config.json: line %d, column %d: %s", jerr.line, jerr.column,
                               jerr.text);
                return NULL;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                cell_error_set(err, EINVAL, "config.json: expected a JSON object");
                return NULL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                json_decref(root);
                cell_error_set(err, ENOMEM, "config.json");
                return NULL;
        }
        s->raw = root;
        if ((r = get_string(root, "ociVersion", "ociVersion", true, &s->oci_version, err)) < 0)
                goto fail;
        if ((o = jf_object(root, "root", "root", &r, err))) {
                if ((r = get_string(o, "path", "root.path", true, &s->root_path, err)) < 0)
                        goto fail;
                if ((r = get_bool(o, "readonly", "root.readonly", &s->root_readonly, err)) < 0)
                        goto fail;
        } else {
                if (r == 0)
                        cell_error_set(err, EINVAL, "root: missing");
                goto fail;
        }
        if ((r = get_string(root, "hostname", "hostname", false, &s->hostname, err)) < 0)
                goto fail;
        if ((r = get_string(root, "domainname", "domainname", false, &s->domainname, err)) < 0)
                goto fail;
        if ((r = parse_mounts(s, root, err)) < 0)
                goto fail;
        if ((o = json_object_get(root, "process")) && !json_is_null(o) && (r = parse_process(s, o, err)) < 0)
                goto fail;
        if ((o = json_object_get(root, "hooks")) && !json_is_null(o) && (r = parse_hooks(s, o, err)) < 0)
                goto fail;
        if ((o = jf_object(root, "annotations", "annotations", &r, err))) {
                const char *key;
                json_t *v;

                json_object_foreach(o, key, v) if (!json_is_string(v))
                {
                        cell_error_set(err, EINVAL, "annotations.%s: expected a string", key);
                        goto fail;
                }
                s->annotations = json_incref(o);
        } else if (r < 0) {
                goto fail;
        }
        if ((o = json_object_get(root, "linux")) && !json_is_null(o) && (r = parse_linux(s, o, err)) < 0)
                goto fail;
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].idmap && !s->mounts[i].n_uid_mappings &&
                    !s->namespaces[SPEC_NS_USER].present) {
                        cell_error_set(err, EINVAL,
                                       "mounts[%zu]: idmap without uidMappings and gidMappings takes the "
                                       "container's user namespace, and linux.namespaces has none",
                                       i);
                        goto fail;
                }
        if ((s->hostname && *s->hostname) && !s->namespaces[SPEC_NS_UTS].present) {
                cell_error_set(err, EINVAL, "hostname: setting it needs a uts namespace in linux.namespaces");
                goto fail;
        }
        if ((s->domainname && *s->domainname) && !s->namespaces[SPEC_NS_UTS].present) {
                cell_error_set(err, EINVAL,
                               "domainname: setting it needs a uts namespace in linux.namespaces");
                goto fail;
        }
        return s;
fail:
        spec_free(s);
        return NULL;
}

spec_t *spec_load(const char *path, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        spec_t *s;

        if (fs_read_file(path, 16u << 20, &data, &len, err) < 0)
                return NULL;
        s = spec_parse(data, len, err);
        if (!s)
                cell_error_prefix(err, "%s", path);
        return s;
}

static void process_free_fields(spec_process_t *p)
{
        free(p->additional_gids);
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p->selinux_label);
        memset(p, 0, sizeof(*p));
}

int spec_replace_process(spec_t *s, json_t *proc, cell_error_t *err)
{
        int r;

        process_free_fields(&s->process);
        s->has_process = false;
        r = parse_process(s, proc, err);
        if (r < 0)
                process_free_fields(&s->process);
        return r;
}

void spec_free(spec_t *s)
{
        if (!s)
                return;
        free(s->oci_version);
        free(s->root_path);
        free(s->hostname);
        free(s->domainname);
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].destination);
                free(s->mounts[i].type);
                free(s->mounts[i].source);
                strv_free(s->mounts[i].options);
                free(s->mounts[i].data);
                free(s->mounts[i].uid_mappings);
                free(s->mounts[i].gid_mappings);
        }
        free(s->mounts);
        process_free_fields(&s->process);
        for (int k = 0; k < SPEC_HOOK__MAX; k++) {
                for (size_t i = 0; i < s->n_hooks[k]; i++) {
                        free(s->hooks[k][i].path);
                        strv_free(s->hooks[k][i].args);
                        strv_free(s->hooks[k][i].env);
                }
                free(s->hooks[k]);
        }
        json_decref(s->annotations);
        for (int n = 0; n < SPEC_NS__MAX; n++)
                free(s->namespaces[n].path);
        free(s->uid_mappings);
        free(s->gid_mappings);
        for (size_t i = 0; i < s->n_devices; i++)
                free(s->devices[i].path);
        free(s->devices);
        free(s->cgroups_path);
        json_decref(s->resources);
        json_decref(s->seccomp);
        strv_free(s->masked_paths);
        strv_free(s->readonly_paths);
        for (size_t i = 0; i < s->n_sysctl; i++) {
                free(s->sysctl[i].key);
                free(s->sysctl[i].value);
        }
        free(s->sysctl);
        free(s->mount_label);
        json_decref(s->raw);
        free(s);
}
