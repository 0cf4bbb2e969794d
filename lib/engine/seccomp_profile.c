/* cell: Docker-format seccomp profile → OCI linux.seccomp.
 *
 * The conversion resolves what a Docker profile leaves open — which
 * architectures, which capabilities, which kernel — and checks the shape of
 * everything it copies, so that a mistake is reported with its place in the
 * profile the user wrote rather than in the OCI object made from it. The
 * values themselves (action and operator names, architecture names, syscall
 * names) are checked once, by seccomp_compile. */
#include "seccomp_profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "strutil.h"

#define PROFILE_PATH_MAX 160

static void profile_json_decrefp(json_t **j)
{
        json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(profile_json_decrefp)))

/* ---- the host ---- */

/* The native architecture under its three spellings: uname's, Go's (which
 * Docker profiles use in includes.arches: "amd64") and libseccomp's (which
 * archMap and OCI use: "SCMP_ARCH_X86_64"). */
typedef struct {
        const char *machine;
        const char *goarch;
        const char *scmp;
} profile_arch_t;

static const profile_arch_t profile_arches[] = {
        {"x86_64", "amd64", "SCMP_ARCH_X86_64"},
        {"i386", "386", "SCMP_ARCH_X86"},
        {"i486", "386", "SCMP_ARCH_X86"},
        {"i586", "386", "SCMP_ARCH_X86"},
        {"i686", "386", "SCMP_ARCH_X86"},
        {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
        {"armv6l", "arm", "SCMP_ARCH_ARM"},
        {"armv7l", "arm", "SCMP_ARCH_ARM"},
        {"armv8l", "arm", "SCMP_ARCH_ARM"},
        {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
        {"ppc64", "ppc64", "SCMP_ARCH_PPC64"},
        {"s390x", "s390x", "SCMP_ARCH_S390X"},
        {"s390", "s390", "SCMP_ARCH_S390"},
        {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
        {"mips64", "mips64", "SCMP_ARCH_MIPS64"},
        {"mips", "mips", "SCMP_ARCH_MIPS"},
        {"loongarch64", "loong64", "SCMP_ARCH_LOONGARCH64"},
};

static profile_arch_t profile_arch_of(const char *machine)
{
        for (size_t i = 0; i < ARRAY_SIZE(profile_arches); i++)
                if (strcmp(machine, profile_arches[i].machine) == 0)
                        return profile_arches[i];
        /* Unknown to us: only an entry that names it as uname does can
         * match, and archMap adds nothing. */
        return (profile_arch_t){machine, machine, NULL};
}

/* An architecture named in includes/excludes.arches, in any of the three
 * spellings ("amd64", "x86_64", "SCMP_ARCH_X86_64"). */
static bool profile_arch_matches(const profile_arch_t *native, const char *name)
{
        if (strcasecmp(name, native->machine) == 0 || strcasecmp(name, native->goarch) == 0)
                return true;
        return native->scmp && (strcasecmp(name, native->scmp) == 0 ||
                                strcasecmp(name, native->scmp + strlen("SCMP_ARCH_")) == 0);
}

typedef struct {
        long v[3];
} profile_kver_t;

/* "5.8", "4.14.2" or a uname release "6.1.0-18-amd64": up to three
 * numbers; when STRICT, nothing may follow them. */
static int profile_kver_parse(const char *s, bool strict, profile_kver_t *ret)
{
        const char *p = s;
        int n = 0;

        *ret = (profile_kver_t){{0, 0, 0}};
        while (n < 3) {
                char *end;
                long v;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                v = strtol(p, &end, 10);
                if (errno || v > 1000000)
                        return -EINVAL;
                ret->v[n++] = v;
                p = end;
                if (*p != '.')
                        break;
                p++;
        }
        if (n < 2 || (strict && *p))
                return -EINVAL;
        return 0;
}

static int profile_kver_cmp(const profile_kver_t *a, const profile_kver_t *b)
{
        for (int i = 0; i < 3; i++)
                if (a->v[i] != b->v[i])
                        return a->v[i] < b->v[i] ? -1 : 1;
        return 0;
}

/* ---- the conversion's state ---- */

typedef struct {
        profile_arch_t arch;
        profile_kver_t kernel;
        char *const *caps;
        cell_error_t *err;
} profile_ctx_t;

/* Capabilities compare without the "CAP_" prefix and without case, as
 * Docker's flags are written. */
static bool profile_has_cap(char *const *caps, const char *name)
{
        const char *n = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;

        for (size_t i = 0; caps && caps[i]; i++) {
                const char *c = strncasecmp(caps[i], "CAP_", 4) == 0 ? caps[i] + 4 : caps[i];

                if (strcasecmp(c, n) == 0)
                        return true;
        }
        return false;
}

/* ---- shapes ---- */

static void profile_join(char *buf, const char *path, const char *key)
{
        if (*path)
                snprintf(buf, PROFILE_PATH_MAX, "%s.%s", path, key);
        else
                snprintf(buf, PROFILE_PATH_MAX, "%s", key);
}

static int profile_check_keys(json_t *obj, const char *path, const char *const *known, cell_error_t *err)
{
        const char *key;
        json_t *v;

        json_object_foreach(obj, key, v)
        {
                size_t i;
                char field[PROFILE_PATH_MAX];

                for (i = 0; known[i]; i++)
                        if (strcmp(key, known[i]) == 0)
                                break;
                if (!known[i]) {
                        profile_join(field, path, key);
                        return cell_error_plain(err, EINVAL, "%s: unknown field", field);
                }
        }
        return 0;
}

/* obj[key] when present and not null. */
static json_t *profile_get(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        return v && !json_is_null(v) ? v : NULL;
}

static int profile_string(json_t *obj, const char *key, const char *path, bool required, const char **ret,
                          cell_error_t *err)
{
        char field[PROFILE_PATH_MAX];
        json_t *v = profile_get(obj, key);

        *ret = NULL;
        profile_join(field, path, key);
        if (!v)
                return required ? cell_error_plain(err, EINVAL, "%s: missing", field) : 0;
        if (!json_is_string(v))
                return cell_error_plain(err, EINVAL, "%s: expected a string", field);
        *ret = json_string_value(v);
        return 0;
}

/* A non-negative integer. seccomp_compile reads an integral double as a
 * number too (a document holding a value above INT64_MAX is read with every
 * number as a double), so it is accepted here as well. */
static bool profile_is_uint(json_t *v)
{
        if (json_is_integer(v))
                return json_integer_value(v) >= 0;
        if (json_is_real(v)) {
                double d = json_real_value(v);

                /* Range first: converting an out-of-range double is
                 * undefined. At or above 2^64 it can only be UINT64_MAX
                 * rounded up. */
                if (d >= 0x1p64)
                        return true;
                return d >= 0 && (double)(uint64_t)d == d;
        }
        return false;
}

static int profile_uint(json_t *obj, const char *key, const char *path, bool required, json_t **ret,
                        cell_error_t *err)
{
        char field[PROFILE_PATH_MAX];
        json_t *v = profile_get(obj, key);

        *ret = NULL;
        profile_join(field, path, key);
        if (!v)
                return required ? cell_error_plain(err, EINVAL, "%s: missing", field) : 0;
        if (!profile_is_uint(v))
                return cell_error_plain(err, EINVAL, "%s: expected an unsigned integer", field);
        *ret = v;
        return 0;
}

/* An array of strings (NULL when absent). */
static int profile_strings(json_t *obj, const char *key, const char *path, json_t **ret, cell_error_t *err)
{
        char field[PROFILE_PATH_MAX];
        json_t *v = profile_get(obj, key), *s;
        size_t i;

        *ret = NULL;
        profile_join(field, path, key);
        if (!v)
                return 0;
        if (!json_is_array(v))
                return cell_error_plain(err, EINVAL, "%s: expected an array of strings", field);
        json_array_foreach(v, i, s)
        {
                if (!json_is_string(s))
                        return cell_error_plain(err, EINVAL, "%s[%zu]: expected a string", field, i);
        }
        *ret = v;
        return 0;
}

static int profile_set(json_t *obj, const char *key, json_t *v, cell_error_t *err)
{
        if (json_object_set(obj, key, v) < 0)
                return cell_error_set(err, ENOMEM, "seccomp profile");
        return 0;
}

/* ---- includes / excludes ---- */

/* Does the condition object at PATH hold for this container? For
 * "includes" every stated condition must hold; for "excludes" the entry is
 * left out as soon as one of them does. */
static int profile_condition(profile_ctx_t *ctx, json_t *entry, const char *key, const char *path, bool *ret)
{
        static const char *const known[] = {"caps", "arches", "minKernel", NULL};
        bool include = strcmp(key, "includes") == 0;
        char field[PROFILE_PATH_MAX];
        json_t *cond = profile_get(entry, key), *caps, *arches, *v;
        const char *min_kernel;
        size_t i;
        int r;

        /* No condition: an entry is included, and not excluded. */
        *ret = include;
        profile_join(field, path, key);
        if (!cond)
                return 0;
        if (!json_is_object(cond))
                return cell_error_plain(ctx->err, EINVAL, "%s: expected an object", field);
        if ((r = profile_check_keys(cond, field, known, ctx->err)) < 0)
                return r;
        if ((r = profile_strings(cond, "caps", field, &caps, ctx->err)) < 0 ||
            (r = profile_strings(cond, "arches", field, &arches, ctx->err)) < 0 ||
            (r = profile_string(cond, "minKernel", field, false, &min_kernel, ctx->err)) < 0)
                return r;

        if (min_kernel) {
                char sub[PROFILE_PATH_MAX];
                profile_kver_t want;
                bool at_least;

                profile_join(sub, field, "minKernel");
                if (profile_kver_parse(min_kernel, true, &want) < 0)
                        return cell_error_plain(ctx->err, EINVAL,
                                                "%s: expected a kernel version such as \"5.8\", not \"%s\"",
                                                sub, min_kernel);
                at_least = profile_kver_cmp(&ctx->kernel, &want) >= 0;
                if (at_least != include) {
                        *ret = !include;
                        return 0;
                }
        }
        if (json_array_size(arches) > 0) {
                bool named = false;

                json_array_foreach(arches, i, v)
                {
                        if (profile_arch_matches(&ctx->arch, json_string_value(v)))
                                named = true;
                }
                if (named != include) {
                        *ret = !include;
                        return 0;
                }
        }
        json_array_foreach(caps, i, v)
        {
                if (profile_has_cap(ctx->caps, json_string_value(v)) != include) {
                        *ret = !include;
                        return 0;
                }
        }
        return 0;
}

/* ---- syscalls ---- */

static int profile_arg(profile_ctx_t *ctx, json_t *a, const char *path, json_t **ret)
{
        static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
        _cleanup_json_ json_t *out = NULL;
        json_t *index, *value, *value_two;
        const char *op;
        int r;

        *ret = NULL;
        if (!json_is_object(a))
                return cell_error_plain(ctx->err, EINVAL, "%s: expected an object", path);
        if ((r = profile_check_keys(a, path, known, ctx->err)) < 0)
                return r;
        if ((r = profile_uint(a, "index", path, true, &index, ctx->err)) < 0 ||
            (r = profile_uint(a, "value", path, true, &value, ctx->err)) < 0 ||
            (r = profile_uint(a, "valueTwo", path, false, &value_two, ctx->err)) < 0 ||
            (r = profile_string(a, "op", path, true, &op, ctx->err)) < 0)
                return r;
        out = json_object();
        if (!out)
                return cell_error_set(ctx->err, ENOMEM, "%s", path);
        if ((r = profile_set(out, "index", index, ctx->err)) < 0 ||
            (r = profile_set(out, "value", value, ctx->err)) < 0 ||
            (value_two && (r = profile_set(out, "valueTwo", value_two, ctx->err)) < 0) ||
            (r = profile_set(out, "op", json_object_get(a, "op"), ctx->err)) < 0)
                return r;
        *ret = steal_pointer(&out);
        return 0;
}

/* syscalls[i] → its OCI entry, or *ret = NULL when the conditions leave it
 * out. The shape is checked either way: a mistake in an entry meant for
 * another machine is still a mistake. */
static int profile_syscall(profile_ctx_t *ctx, json_t *entry, size_t i, json_t **ret)
{
        static const char *const known[] = {"name",    "names",    "action",   "errnoRet", "args",
                                            "comment", "includes", "excludes", NULL};
        char path[PROFILE_PATH_MAX], field[PROFILE_PATH_MAX];
        _cleanup_json_ json_t *out = NULL, *names = NULL, *args = NULL;
        json_t *names_in, *args_in, *errno_ret, *v;
        const char *name, *action, *comment;
        bool included, excluded;
        size_t k;
        int r;

        *ret = NULL;
        snprintf(path, sizeof(path), "syscalls[%zu]", i);
        if (!json_is_object(entry))
                return cell_error_plain(ctx->err, EINVAL, "%s: expected an object", path);
        if ((r = profile_check_keys(entry, path, known, ctx->err)) < 0)
                return r;
        if ((r = profile_string(entry, "name", path, false, &name, ctx->err)) < 0 ||
            (r = profile_strings(entry, "names", path, &names_in, ctx->err)) < 0 ||
            (r = profile_string(entry, "action", path, true, &action, ctx->err)) < 0 ||
            (r = profile_uint(entry, "errnoRet", path, false, &errno_ret, ctx->err)) < 0 ||
            (r = profile_string(entry, "comment", path, false, &comment, ctx->err)) < 0)
                return r;
        if (name && names_in)
                return cell_error_plain(ctx->err, EINVAL, "%s: has both name and names; use one", path);
        if (!name && json_array_size(names_in) == 0)
                return cell_error_plain(ctx->err, EINVAL, "%s: needs a name or a non-empty names array",
                                        path);

        profile_join(field, path, "args");
        args_in = profile_get(entry, "args");
        if (args_in && !json_is_array(args_in))
                return cell_error_plain(ctx->err, EINVAL, "%s: expected an array", field);
        args = json_array();
        if (!args)
                return cell_error_set(ctx->err, ENOMEM, "%s", path);
        json_array_foreach(args_in, k, v)
        {
                char sub[PROFILE_PATH_MAX];
                json_t *arg;

                snprintf(sub, sizeof(sub), "%s[%zu]", field, k);
                if ((r = profile_arg(ctx, v, sub, &arg)) < 0)
                        return r;
                if (json_array_append_new(args, arg) < 0)
                        return cell_error_set(ctx->err, ENOMEM, "%s", sub);
        }

        if ((r = profile_condition(ctx, entry, "includes", path, &included)) < 0 ||
            (r = profile_condition(ctx, entry, "excludes", path, &excluded)) < 0)
                return r;
        if (!included || excluded)
                return 0;

        if (name) {
                names = json_array();
                if (!names || json_array_append_new(names, json_string(name)) < 0)
                        return cell_error_set(ctx->err, ENOMEM, "%s", path);
        } else {
                names = json_deep_copy(names_in);
                if (!names)
                        return cell_error_set(ctx->err, ENOMEM, "%s", path);
        }
        out = json_object();
        if (!out)
                return cell_error_set(ctx->err, ENOMEM, "%s", path);
        if ((r = profile_set(out, "names", names, ctx->err)) < 0 ||
            (r = profile_set(out, "action", json_object_get(entry, "action"), ctx->err)) < 0 ||
            (errno_ret && (r = profile_set(out, "errnoRet", errno_ret, ctx->err)) < 0) ||
            (json_array_size(args) > 0 && (r = profile_set(out, "args", args, ctx->err)) < 0))
                return r;
        *ret = steal_pointer(&out);
        return 0;
}

/* ---- architectures ---- */

/* The architectures of the filter: the profile's own list, or the native
 * architecture's archMap entry with its sub-architectures (a 64-bit x86
 * kernel also runs i386 and x32 programs, whose syscalls must meet the same
 * rules rather than the default action). */
static int profile_architectures(profile_ctx_t *ctx, json_t *profile, json_t *out)
{
        static const char *const known[] = {"architecture", "subArchitectures", NULL};
        _cleanup_json_ json_t *archs = NULL;
        json_t *list, *map, *v;
        size_t i;
        int r;

        if ((r = profile_strings(profile, "architectures", "", &list, ctx->err)) < 0)
                return r;
        map = profile_get(profile, "archMap");
        if (map && !json_is_array(map))
                return cell_error_plain(ctx->err, EINVAL, "archMap: expected an array");
        if (json_array_size(list) > 0 && json_array_size(map) > 0)
                return cell_error_plain(ctx->err, EINVAL,
                                        "archMap: set together with architectures; use one");

        archs = list ? json_deep_copy(list) : json_array();
        if (!archs)
                return cell_error_set(ctx->err, ENOMEM, "architectures");
        json_array_foreach(map, i, v)
        {
                char path[PROFILE_PATH_MAX];
                const char *arch;
                json_t *subs, *s;
                size_t k;

                snprintf(path, sizeof(path), "archMap[%zu]", i);
                if (!json_is_object(v))
                        return cell_error_plain(ctx->err, EINVAL, "%s: expected an object", path);
                if ((r = profile_check_keys(v, path, known, ctx->err)) < 0 ||
                    (r = profile_string(v, "architecture", path, true, &arch, ctx->err)) < 0 ||
                    (r = profile_strings(v, "subArchitectures", path, &subs, ctx->err)) < 0)
                        return r;
                if (!ctx->arch.scmp || strcmp(arch, ctx->arch.scmp) != 0)
                        continue;
                if (json_array_append_new(archs, json_string(arch)) < 0)
                        return cell_error_set(ctx->err, ENOMEM, "%s", path);
                json_array_foreach(subs, k, s)
                {
                        if (json_array_append(archs, s) < 0)
                                return cell_error_set(ctx->err, ENOMEM, "%s", path);
                }
        }
        if (json_array_size(archs) > 0)
                return profile_set(out, "architectures", archs, ctx->err);
        return 0;
}

/* ---- the whole ---- */

json_t *engine_seccomp_convert(json_t *profile, char *const *caps, const char *machine, const char *release,
                               cell_error_t *err)
{
        static const char *const known[] = {"defaultAction", "defaultErrnoRet",  "architectures",
                                            "archMap",       "syscalls",         "flags",
                                            "listenerPath",  "listenerMetadata", NULL};
        static const char *const copied[] = {"defaultAction", "defaultErrnoRet", "flags", "listenerPath",
                                             "listenerMetadata"};
        _cleanup_json_ json_t *out = NULL, *syscalls = NULL;
        profile_ctx_t ctx = {.caps = caps, .err = err};
        const char *s;
        json_t *v, *syscalls_in;
        size_t i;

        if (!json_is_object(profile))
                return cell_error_plain(err, EINVAL, "seccomp profile: expected an object"), NULL;
        ctx.arch = profile_arch_of(machine);
        if (profile_kver_parse(release, false, &ctx.kernel) < 0)
                return cell_error_plain(err, EINVAL, "kernel release \"%s\": not a version", release), NULL;
        if (profile_check_keys(profile, "", known, err) < 0 ||
            profile_string(profile, "defaultAction", "", true, &s, err) < 0 ||
            profile_uint(profile, "defaultErrnoRet", "", false, &v, err) < 0 ||
            profile_strings(profile, "flags", "", &v, err) < 0 ||
            profile_string(profile, "listenerPath", "", false, &s, err) < 0 ||
            profile_string(profile, "listenerMetadata", "", false, &s, err) < 0)
                return NULL;

        out = json_object();
        syscalls = json_array();
        if (!out || !syscalls)
                return cell_error_set(err, ENOMEM, "seccomp profile"), NULL;
        for (i = 0; i < ARRAY_SIZE(copied); i++)
                if ((v = profile_get(profile, copied[i])) && profile_set(out, copied[i], v, err) < 0)
                        return NULL;
        if (profile_architectures(&ctx, profile, out) < 0)
                return NULL;

        syscalls_in = profile_get(profile, "syscalls");
        if (syscalls_in && !json_is_array(syscalls_in))
                return cell_error_plain(err, EINVAL, "syscalls: expected an array"), NULL;
        json_array_foreach(syscalls_in, i, v)
        {
                json_t *entry;

                if (profile_syscall(&ctx, v, i, &entry) < 0)
                        return NULL;
                if (entry && json_array_append_new(syscalls, entry) < 0)
                        return cell_error_set(err, ENOMEM, "seccomp profile"), NULL;
        }
        if (profile_set(out, "syscalls", syscalls, err) < 0)
                return NULL;
        return steal_pointer(&out);
}

json_t *engine_seccomp_from_docker(json_t *profile, char *const *caps, cell_error_t *err)
{
        struct utsname u;

        if (uname(&u) < 0)
                return cell_error_errno(err, "uname"), NULL;
        return engine_seccomp_convert(profile, caps, u.machine, u.release, err);
}
