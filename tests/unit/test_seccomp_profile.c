/* cell: unit tests for Docker-format seccomp profiles and cell's default
 * profile (lib/engine/seccomp_profile.c, seccomp_default.c).
 *
 * The converted profiles are compiled with lib/runtime's seccomp_compile,
 * and the default one is installed in a forked child that then tries what
 * it must not do; the test runner itself is never filtered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "seccomp.h"
#include "seccomp_profile.h"
#include "secdefaults.h"
#include "strutil.h"

/* The API takes char *const * (argv-like vectors); literals are const. */
#define V(...) ((char *const *)(const char *const[]){__VA_ARGS__, NULL})

/* Test documents are written with ' for ". */
static json_t *doc(const char *text)
{
        char *s = strdup(text);
        json_error_t jerr;
        json_t *j;

        assert_non_null(s);
        for (char *c = s; *c; c++)
                if (*c == '\'')
                        *c = '"';
        j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                fail_msg("bad test document (line %d: %s):\n%s", jerr.line, jerr.text, s);
        free(s);
        return j;
}

static json_t *convert_on(const char *text, char *const *caps, const char *machine, const char *release)
{
        cell_error_t err = {0};
        json_t *in = doc(text), *out;

        out = engine_seccomp_convert(in, caps, machine, release, &err);
        if (!out)
                fail_msg("engine_seccomp_convert: %s", err.msg);
        json_decref(in);
        return out;
}

static void assert_convert_fails(const char *text, const char *want)
{
        cell_error_t err = {0};
        json_t *in = doc(text), *out;

        out = engine_seccomp_convert(in, NULL, "x86_64", "6.1.0", &err);
        if (out)
                fail_msg("converted, but expected: %s\n%s", want, text);
        assert_int_equal(err.code, EINVAL);
        assert_string_equal(err.msg, want);
        json_decref(in);
}

/* The names of syscalls[], one string "a,b|c|d" (entries split by '|'). */
static char *names_of(json_t *oci)
{
        static char buf[4096];
        json_t *e, *n;
        size_t i, k;

        buf[0] = '\0';
        json_array_foreach(json_object_get(oci, "syscalls"), i, e)
        {
                if (i > 0)
                        strcat(buf, "|");
                json_array_foreach(json_object_get(e, "names"), k, n)
                {
                        if (k > 0)
                                strcat(buf, ",");
                        strcat(buf, json_string_value(n));
                }
        }
        return buf;
}

/* ---- conversion ---- */

static const char caps_profile[] = "{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': ["
                                   " {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
                                   " {'name': 'mount', 'action': 'SCMP_ACT_ALLOW',"
                                   "  'includes': {'caps': ['CAP_SYS_ADMIN']}},"
                                   " {'names': ['acct'], 'action': 'SCMP_ACT_ALLOW',"
                                   "  'includes': {'caps': ['CAP_SYS_ADMIN', 'CAP_SYS_PACCT']}},"
                                   " {'names': ['clone'], 'action': 'SCMP_ACT_ALLOW',"
                                   "  'args': [{'index': 0, 'value': 2114060288, 'valueTwo': 0,"
                                   "            'op': 'SCMP_CMP_MASKED_EQ'}],"
                                   "  'excludes': {'caps': ['CAP_SYS_ADMIN']}, 'comment': 'no namespaces'}]}";

static void test_convert_caps(void **state)
{
        json_t *out = convert_on(caps_profile, V("CAP_CHOWN"), "x86_64", "6.1.0");

        assert_string_equal(names_of(out), "read,write|clone");
        /* The conditions and the comment are gone; args are kept. */
        assert_null(json_object_get(json_array_get(json_object_get(out, "syscalls"), 1), "excludes"));
        assert_null(json_object_get(json_array_get(json_object_get(out, "syscalls"), 1), "comment"));
        assert_int_equal(
                json_array_size(json_object_get(json_array_get(json_object_get(out, "syscalls"), 1), "args")),
                1);
        json_decref(out);

        out = convert_on(caps_profile, V("CAP_SYS_ADMIN"), "x86_64", "6.1.0");
        assert_string_equal(names_of(out), "read,write|mount");
        json_decref(out);

        /* Every cap of includes, in any spelling. */
        out = convert_on(caps_profile, V("sys_pacct", "CAP_SYS_ADMIN"), "x86_64", "6.1.0");
        assert_string_equal(names_of(out), "read,write|mount|acct");
        json_decref(out);

        out = convert_on(caps_profile, NULL, "x86_64", "6.1.0");
        assert_string_equal(names_of(out), "read,write|clone");
        json_decref(out);
}

static const char arch_profile[] =
        "{'defaultAction': 'SCMP_ACT_ERRNO',"
        " 'archMap': [{'architecture': 'SCMP_ARCH_X86_64',"
        "              'subArchitectures': ['SCMP_ARCH_X86', 'SCMP_ARCH_X32']},"
        "             {'architecture': 'SCMP_ARCH_AARCH64', 'subArchitectures': ['SCMP_ARCH_ARM']},"
        "             {'architecture': 'SCMP_ARCH_RISCV64'}],"
        " 'syscalls': ["
        "  {'names': ['arch_prctl'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': ['amd64', 'x86']}},"
        "  {'names': ['set_tls'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': ['arm', 'arm64']}},"
        "  {'names': ['iopl'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'arches': ['SCMP_ARCH_X86_64']}},"
        "  {'names': ['clone'], 'action': 'SCMP_ACT_ALLOW', 'excludes': {'arches': ['s390x', 'arm64']}}]}";

static void test_convert_arches(void **state)
{
        json_t *out = convert_on(arch_profile, NULL, "x86_64", "6.1.0"), *want;

        assert_string_equal(names_of(out), "arch_prctl|iopl|clone");
        want = doc("['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']");
        assert_true(json_equal(json_object_get(out, "architectures"), want));
        assert_null(json_object_get(out, "archMap"));
        json_decref(want);
        json_decref(out);

        out = convert_on(arch_profile, NULL, "aarch64", "6.1.0");
        assert_string_equal(names_of(out), "set_tls");
        want = doc("['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']");
        assert_true(json_equal(json_object_get(out, "architectures"), want));
        json_decref(want);
        json_decref(out);

        /* No subArchitectures. */
        out = convert_on(arch_profile, NULL, "riscv64", "6.1.0");
        assert_string_equal(names_of(out), "clone");
        want = doc("['SCMP_ARCH_RISCV64']");
        assert_true(json_equal(json_object_get(out, "architectures"), want));
        json_decref(want);
        json_decref(out);

        /* A machine archMap does not name: the native architecture only. */
        out = convert_on(arch_profile, NULL, "ppc64le", "6.1.0");
        assert_null(json_object_get(out, "architectures"));
        json_decref(out);
}

static const char kernel_profile[] =
        "{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': ["
        "  {'names': ['ptrace'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '4.8'}},"
        "  {'names': ['read'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '5.4'}},"
        "  {'names': ['write'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '5.5'}},"
        "  {'names': ['close'], 'action': 'SCMP_ACT_ALLOW', 'includes': {'minKernel': '5.4.1'}},"
        "  {'names': ['open'], 'action': 'SCMP_ACT_ALLOW', 'excludes': {'minKernel': '5.0'}},"
        "  {'names': ['openat'], 'action': 'SCMP_ACT_ALLOW', 'excludes': {'minKernel': '6.0'}}]}";

static void test_convert_min_kernel(void **state)
{
        json_t *out = convert_on(kernel_profile, NULL, "x86_64", "5.4.0-150-generic");

        assert_string_equal(names_of(out), "ptrace|read|openat");
        json_decref(out);

        out = convert_on(kernel_profile, NULL, "x86_64", "4.4");
        assert_string_equal(names_of(out), "open|openat");
        json_decref(out);

        out = convert_on(kernel_profile, NULL, "x86_64", "6.18.44-fc-v669");
        assert_string_equal(names_of(out), "ptrace|read|write|close");
        json_decref(out);
}

static void test_convert_host(void **state)
{
        cell_error_t err = {0};
        struct utsname u;
        json_t *in = doc(kernel_profile), *out, *same;

        /* engine_seccomp_from_docker is the conversion for this host. */
        assert_int_equal(uname(&u), 0);
        out = engine_seccomp_from_docker(in, NULL, &err);
        assert_non_null(out);
        same = engine_seccomp_convert(in, NULL, u.machine, u.release, &err);
        assert_non_null(same);
        assert_true(json_equal(out, same));
        json_decref(same);
        json_decref(out);
        json_decref(in);
}

static void test_oci_passthrough(void **state)
{
        static const char oci[] = "{'defaultAction': 'SCMP_ACT_KILL_PROCESS', 'defaultErrnoRet': 38,"
                                  " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],"
                                  " 'flags': ['SECCOMP_FILTER_FLAG_LOG'],"
                                  " 'listenerPath': '/run/agent.sock', 'listenerMetadata': 'm',"
                                  " 'syscalls': ["
                                  "  {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
                                  "  {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},"
                                  "  {'names': ['socket'], 'action': 'SCMP_ACT_ALLOW',"
                                  "   'args': [{'index': 0, 'value': 40, 'op': 'SCMP_CMP_NE'}]},"
                                  "  {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',"
                                  "   'args': [{'index': 0, 'value': 18446744073709551615, 'valueTwo': 0, "
                                  "'op': 'SCMP_CMP_EQ'}]}]}";
        cell_error_t err = {0};
        json_error_t jerr;
        char *s = strdup(oci);
        json_t *in, *out;

        /* A value above INT64_MAX: read with every number as a double, as
         * spec_parse reads such a document. */
        for (char *c = s; *c; c++)
                if (*c == '\'')
                        *c = '"';
        in = json_loads(s, JSON_DECODE_INT_AS_REAL, &jerr);
        free(s);
        assert_non_null(in);
        out = engine_seccomp_convert(in, NULL, "x86_64", "6.1.0", &err);
        if (!out)
                fail_msg("%s", err.msg);
        assert_true(json_equal(in, out));
        json_decref(out);
        json_decref(in);
}

static void test_convert_errors(void **state)
{
        static const struct {
                const char *doc;
                const char *msg;
        } cases[] = {
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW'},"
                 " {'names': ['socket'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, 'value': 1, 'op': "
                 "3}]}]}",
                 "syscalls[1].args[0].op: expected a string"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'comment': 'x'}", "comment: unknown field"},
                {"{'syscalls': []}", "defaultAction: missing"},
                {"{'defaultAction': 1}", "defaultAction: expected a string"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': -1}",
                 "defaultErrnoRet: expected an unsigned integer"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'flags': 'SECCOMP_FILTER_FLAG_LOG'}",
                 "flags: expected an array of strings"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': {}}", "syscalls: expected an array"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [3]}", "syscalls[0]: expected an object"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'bogus': 1}]}",
                 "syscalls[0].bogus: unknown field"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'name': 'read', 'names': ['write'],"
                 " 'action': 'SCMP_ACT_ALLOW'}]}",
                 "syscalls[0]: has both name and names; use one"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': [], 'action': "
                 "'SCMP_ACT_ALLOW'}]}",
                 "syscalls[0]: needs a name or a non-empty names array"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read', 7], 'action': 'x'}]}",
                 "syscalls[0].names[1]: expected a string"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read']}]}",
                 "syscalls[0].action: missing"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ERRNO',"
                 " 'errnoRet': '1'}]}",
                 "syscalls[0].errnoRet: expected an unsigned integer"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'args': {}}]}",
                 "syscalls[0].args: expected an array"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'args': [{'index': -1, 'value': 0, 'op': 'SCMP_CMP_EQ'}]}]}",
                 "syscalls[0].args[0].index: expected an unsigned integer"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'args': [{'index': 0, 'op': 'SCMP_CMP_EQ'}]}]}",
                 "syscalls[0].args[0].value: missing"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'args': [{'index': 0, 'value': 1.5, 'op': 'SCMP_CMP_EQ'}]}]}",
                 "syscalls[0].args[0].value: expected an unsigned integer"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ', 'mask': 3}]}]}",
                 "syscalls[0].args[0].mask: unknown field"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'includes': {'caps': 'CAP_SYS_ADMIN'}}]}",
                 "syscalls[0].includes.caps: expected an array of strings"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'excludes': {'arches': ['amd64', 5]}}]}",
                 "syscalls[0].excludes.arches[1]: expected a string"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'excludes': {'kernel': '5.0'}}]}",
                 "syscalls[0].excludes.kernel: unknown field"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'includes': []}]}",
                 "syscalls[0].includes: expected an object"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'includes': {'minKernel': 'five'}}]}",
                 "syscalls[0].includes.minKernel: expected a kernel version such as \"5.8\", not \"five\""},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['read'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'includes': {'minKernel': '5.8-rc1'}}]}",
                 "syscalls[0].includes.minKernel: expected a kernel version such as \"5.8\", not "
                 "\"5.8-rc1\""},
                /* An entry meant for another machine is still checked. */
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['set_tls'], 'action': "
                 "'SCMP_ACT_ALLOW',"
                 " 'includes': {'arches': ['arm']}, 'args': [{'index': 'zero', 'value': 0, 'op': "
                 "'SCMP_CMP_EQ'}]}]}",
                 "syscalls[0].args[0].index: expected an unsigned integer"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'archMap': {}}", "archMap: expected an array"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'archMap': [{'architecture': 'SCMP_ARCH_X86_64',"
                 " 'subArchitectures': 'SCMP_ARCH_X86'}]}",
                 "archMap[0].subArchitectures: expected an array of strings"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'archMap': [{'subArchitectures': []}]}",
                 "archMap[0].architecture: missing"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'archMap': [{'architecture': 'SCMP_ARCH_X86_64', 'x': "
                 "1}]}",
                 "archMap[0].x: unknown field"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': ['SCMP_ARCH_X86_64'],"
                 " 'archMap': [{'architecture': 'SCMP_ARCH_X86_64'}]}",
                 "archMap: set together with architectures; use one"},
                {"{'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': [1]}",
                 "architectures[0]: expected a string"},
                {"[]", "seccomp profile: expected an object"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_convert_fails(cases[i].doc, cases[i].msg);
}

/* ---- the default profile ---- */

/* Is NAME in an entry with ACTION? With args when ARGS, without when not. */
static bool has_rule(json_t *oci, const char *name, const char *action, bool args)
{
        json_t *e, *n;
        size_t i, k;

        json_array_foreach(json_object_get(oci, "syscalls"), i, e)
        {
                if (strcmp(json_string_value(json_object_get(e, "action")), action) != 0)
                        continue;
                if ((json_object_get(e, "args") != NULL) != args)
                        continue;
                json_array_foreach(json_object_get(e, "names"), k, n)
                {
                        if (strcmp(json_string_value(n), name) == 0)
                                return true;
                }
        }
        return false;
}

static bool allowed_at_all(json_t *oci, const char *name)
{
        return has_rule(oci, name, "SCMP_ACT_ALLOW", false) || has_rule(oci, name, "SCMP_ACT_ALLOW", true);
}

static char **default_caps_with(const char *extra)
{
        cell_error_t err = {0};
        char **caps = NULL;

        if (engine_caps_resolve(extra ? V(extra) : NULL, NULL, false, &caps, &err) < 0)
                fail_msg("%s", err.msg);
        return caps;
}

static json_t *default_for(char *const *caps)
{
        cell_error_t err = {0};
        json_t *oci = engine_seccomp_default(caps, &err);

        if (!oci)
                fail_msg("engine_seccomp_default: %s", err.msg);
        return oci;
}

static void compile_ok(json_t *oci)
{
        cell_error_t err = {0};
        seccomp_prog_t *p = NULL;

        if (seccomp_compile(oci, &p, &err) < 0)
                fail_msg("seccomp_compile: %s", err.msg);
        assert_non_null(p);
        seccomp_prog_free(p);
}

/* Refused for the default capabilities whatever the arguments. */
static const char *const never_by_default[] = {
        "mount",
        "umount2",
        "unshare",
        "setns",
        "keyctl",
        "add_key",
        "request_key",
        "kexec_load",
        "kexec_file_load",
        "open_by_handle_at",
        "init_module",
        "finit_module",
        "delete_module",
        "swapon",
        "swapoff",
        "reboot",
        "bpf",
        "userfaultfd",
        "perf_event_open",
        "iopl",
        "ioperm",
        "settimeofday",
        "clock_settime",
        "syslog",
        "acct",
        "pivot_root",
        "io_uring_setup",
        "sethostname",
        "quotactl",
        "fsopen",
        "open_tree",
        "move_mount",
        "lookup_dcookie",
        "vhangup",
        "mbind",
        "set_mempolicy",
        "kcmp",
        "pidfd_getfd",
        "process_madvise",
        "vm86",
        "nfsservctl",
        NULL,
};

static void test_default_profile(void **state)
{
        char **caps = default_caps_with(NULL);
        json_t *oci = default_for(caps), *want;

        assert_string_equal(json_string_value(json_object_get(oci, "defaultAction")), "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(oci, "defaultErrnoRet")), EPERM);
        for (size_t i = 0; never_by_default[i]; i++)
                if (allowed_at_all(oci, never_by_default[i]))
                        fail_msg("%s is allowed for the default capabilities", never_by_default[i]);
        /* Ordinary ones, and the conditional ones only with their
         * condition. */
        assert_true(has_rule(oci, "read", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "execve", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "chroot", "SCMP_ACT_ALLOW", false)); /* CAP_SYS_CHROOT is a default */
        assert_true(has_rule(oci, "clone", "SCMP_ACT_ALLOW", true));
        assert_false(has_rule(oci, "clone", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "clone3", "SCMP_ACT_ERRNO", false));
        assert_true(has_rule(oci, "socket", "SCMP_ACT_ALLOW", true));
        assert_false(has_rule(oci, "socket", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "personality", "SCMP_ACT_ALLOW", true));
        assert_false(has_rule(oci, "personality", "SCMP_ACT_ALLOW", false));
        /* This host is x86_64 in CI; elsewhere the list differs. */
        if (strcmp(json_string_value(json_array_get(json_object_get(oci, "architectures"), 0)),
                   "SCMP_ARCH_X86_64") == 0) {
                want = doc("['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']");
                assert_true(json_equal(json_object_get(oci, "architectures"), want));
                json_decref(want);
                assert_true(has_rule(oci, "arch_prctl", "SCMP_ACT_ALLOW", false));
                assert_false(allowed_at_all(oci, "set_tls"));
        }
        compile_ok(oci);
        json_decref(oci);
        strv_free(caps);
}

static void test_default_profile_sys_admin(void **state)
{
        char **caps = default_caps_with("SYS_ADMIN");
        json_t *oci = default_for(caps);

        assert_true(has_rule(oci, "mount", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "unshare", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "setns", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "clone", "SCMP_ACT_ALLOW", false));
        assert_true(has_rule(oci, "clone3", "SCMP_ACT_ALLOW", false));
        assert_false(has_rule(oci, "clone", "SCMP_ACT_ALLOW", true));
        assert_false(has_rule(oci, "clone3", "SCMP_ACT_ERRNO", false));
        /* Not with any capability. */
        assert_false(allowed_at_all(oci, "keyctl"));
        assert_false(allowed_at_all(oci, "kexec_load"));
        assert_false(allowed_at_all(oci, "init_module"));
        compile_ok(oci);
        json_decref(oci);
        strv_free(caps);
}

static void test_default_profile_other_caps(void **state)
{
        static const struct {
                const char *cap;
                const char *syscall;
        } gated[] = {
                {"SYS_PTRACE", "kcmp"},
                {"SYS_MODULE", "init_module"},
                {"SYS_BOOT", "reboot"},
                {"SYS_TIME", "settimeofday"},
                {"SYS_NICE", "mbind"},
                {"SYS_RAWIO", "iopl"},
                {"SYS_PACCT", "acct"},
                {"SYSLOG", "syslog"},
                {"BPF", "bpf"},
                {"PERFMON", "perf_event_open"},
                {"DAC_READ_SEARCH", "open_by_handle_at"},
                {"SYS_TTY_CONFIG", "vhangup"},
        };
        cell_error_t err = {0};
        char **all = NULL;
        json_t *oci;

        for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
                char **caps = default_caps_with(gated[i].cap);

                oci = default_for(caps);
                if (!has_rule(oci, gated[i].syscall, "SCMP_ACT_ALLOW", false))
                        fail_msg("%s not allowed with CAP_%s", gated[i].syscall, gated[i].cap);
                compile_ok(oci);
                json_decref(oci);
                strv_free(caps);
        }

        /* Every capability (--privileged with seccomp kept). */
        assert_int_equal(engine_caps_resolve(NULL, NULL, true, &all, &err), 0);
        oci = default_for(all);
        compile_ok(oci);
        assert_false(allowed_at_all(oci, "keyctl"));
        json_decref(oci);
        strv_free(all);
}

/* The default profile on other machines: the right entries and shapes. */
static void test_default_profile_other_arches(void **state)
{
        cell_error_t err = {0};
        json_t *p = engine_seccomp_default_profile(), *oci;

        assert_non_null(p);
        oci = engine_seccomp_convert(p, NULL, "aarch64", "6.1.0", &err);
        assert_non_null(oci);
        assert_true(allowed_at_all(oci, "set_tls"));
        assert_false(allowed_at_all(oci, "arch_prctl"));
        assert_true(has_rule(oci, "clone", "SCMP_ACT_ALLOW", true));
        json_decref(oci);

        oci = engine_seccomp_convert(p, NULL, "s390x", "6.1.0", &err);
        assert_non_null(oci);
        assert_true(allowed_at_all(oci, "s390_runtime_instr"));
        /* s390's clone rule compares the second argument. */
        {
                json_t *e;
                size_t i, n = 0;

                json_array_foreach(json_object_get(oci, "syscalls"), i, e)
                {
                        json_t *args = json_object_get(e, "args");

                        if (strcmp(json_string_value(json_array_get(json_object_get(e, "names"), 0)),
                                   "clone") == 0) {
                                n++;
                                assert_int_equal(
                                        json_integer_value(json_object_get(json_array_get(args, 0), "index")),
                                        1);
                        }
                }
                assert_int_equal(n, 1);
        }
        json_decref(oci);

        /* A kernel before 4.8: ptrace only with CAP_SYS_PTRACE. */
        oci = engine_seccomp_convert(p, NULL, "x86_64", "4.4.0", &err);
        assert_non_null(oci);
        assert_false(allowed_at_all(oci, "ptrace"));
        json_decref(oci);
        oci = engine_seccomp_convert(p, NULL, "x86_64", "4.8.0", &err);
        assert_non_null(oci);
        assert_true(allowed_at_all(oci, "ptrace"));
        json_decref(oci);
        json_decref(p);
}

/* Every name of the table is a syscall libseccomp knows on some
 * architecture: seccomp_compile refuses an entry whose names are all
 * unknown, so each name is compiled alone. (Debian 12's libseccomp knows
 * every one; an older one may not know the newest, which is then reported
 * here as a name to look at, not a failure of the table.) */
static void test_default_profile_names(void **state)
{
        json_t *p = engine_seccomp_default_profile(), *e, *n;
        size_t i, k, total = 0, unknown = 0;

        assert_non_null(p);
        json_array_foreach(json_object_get(p, "syscalls"), i, e)
        {
                json_array_foreach(json_object_get(e, "names"), k, n)
                {
                        json_t *one = json_pack("{s:s, s:[{s:[O], s:s}]}", "defaultAction", "SCMP_ACT_ERRNO",
                                                "syscalls", "names", n, "action", "SCMP_ACT_ALLOW");
                        cell_error_t err = {0};
                        seccomp_prog_t *prog = NULL;

                        assert_non_null(one);
                        total++;
                        if (seccomp_compile(one, &prog, &err) < 0) {
                                print_message("not known to this libseccomp: %s\n", json_string_value(n));
                                unknown++;
                        }
                        seccomp_prog_free(prog);
                        json_decref(one);
                }
        }
        assert_true(total > 300);
        /* A few new names may be missing from an old libseccomp; many
         * would mean typos. */
        assert_true(unknown <= 10);
        json_decref(p);
}

/* ---- on the running kernel ---- */

/* The child reports the first failed check as its exit status. */
static int child_body(void)
{
        cell_error_t err = {0};
        char **caps = NULL;
        seccomp_prog_t *p = NULL;
        json_t *oci;
        int listener = -1;
        pid_t me, pid;
        int status;
        long r;

        if (engine_caps_resolve(NULL, NULL, false, &caps, &err) < 0)
                return 2;
        oci = engine_seccomp_default(caps, &err);
        if (!oci)
                return 3;
        if (seccomp_compile(oci, &p, &err) < 0 || !p)
                return 4;
        me = getpid();
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 5;
        if (seccomp_install(p, &listener, &err) < 0)
                return 6;

        if (unshare(CLONE_NEWUTS) != -1 || errno != EPERM)
                return 10;
        /* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3). */
        if (syscall(SYS_keyctl, 0, -3, 0) != -1 || errno != EPERM)
                return 11;
        if (mount("none", "/", NULL, MS_REMOUNT, NULL) != -1 || errno != EPERM)
                return 12;
        if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
                return 13;
        /* clone with a namespace flag is refused before the kernel sees it. */
        r = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
        if (r == 0)
                syscall(SYS_exit_group, 0);
        if (r != -1 || errno != EPERM)
                return 14;
        if (syscall(SYS_getpid) != me || getpid() != me)
                return 15;
        /* A plain fork still works (clone without namespace flags). */
        pid = fork();
        if (pid == 0)
                syscall(SYS_exit_group, 7);
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
                return 16;
        return 0;
}

static void test_default_profile_installed(void **state)
{
        int status;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                syscall(SYS_exit_group, child_body());
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status))
                fail_msg("the child died of signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        if (WEXITSTATUS(status) != 0)
                fail_msg("the child's check %d failed (see child_body)", WEXITSTATUS(status));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_convert_caps),
                cmocka_unit_test(test_convert_arches),
                cmocka_unit_test(test_convert_min_kernel),
                cmocka_unit_test(test_convert_host),
                cmocka_unit_test(test_oci_passthrough),
                cmocka_unit_test(test_convert_errors),
                cmocka_unit_test(test_default_profile),
                cmocka_unit_test(test_default_profile_sys_admin),
                cmocka_unit_test(test_default_profile_other_caps),
                cmocka_unit_test(test_default_profile_other_arches),
                cmocka_unit_test(test_default_profile_names),
                cmocka_unit_test(test_default_profile_installed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
