/* cell: unit tests for linux.seccomp (lib/runtime/seccomp.c).
 *
 * A filter is compiled here, in the test process, and installed only in a
 * forked child, which then makes the syscalls in question and reports back
 * through its exit status (and, for the line of a failed check, through a
 * shared page: a filtered child may not be able to write anywhere). The test
 * runner itself is never filtered. Children set no_new_privs before they
 * install, as the runtime does for a process with noNewPrivileges, so the
 * tests need no CAP_SYS_ADMIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "seccomp.h"

/* ---- documents ---- */

/* The profiles below are written with ' for " to stay readable. */
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

static seccomp_prog_t *compile_json(json_t *j)
{
        cell_error_t err = {0};
        seccomp_prog_t *p = NULL;

        if (seccomp_compile(j, &p, &err) < 0)
                fail_msg("seccomp_compile failed: %s", err.msg);
        assert_non_null(p);
        return p;
}

static seccomp_prog_t *compile_ok(const char *text)
{
        json_t *j = doc(text);
        seccomp_prog_t *p = compile_json(j);

        json_decref(j);
        return p;
}

/* ---- running a body under a filter ---- */

/* Where a filtered child records the line of the check that failed. */
static volatile int *child_line;

#define CHILD_CHECK(cond)                                                                                    \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        *child_line = __LINE__;                                                              \
                        return 1;                                                                            \
                }                                                                                            \
        } while (0)

/* r is a raw syscall result that must be -1 with errno e. */
#define CHILD_FAILS_WITH(r, e) CHILD_CHECK((r) == -1 && errno == (e))

typedef int (*body_fn)(void *arg);

static void setup_shared_page(void)
{
        if (!child_line) {
                void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

                assert_true(m != MAP_FAILED);
                child_line = m;
        }
        *child_line = 0;
}

/* Children end with the raw syscall: under ASan, _exit() first runs the
 * leak check, which needs syscalls a filter may deny (and would report the
 * parent's memory in flight as leaked). */
static _Noreturn void child_exit(int code)
{
        for (;;)
                syscall(SYS_exit_group, code);
}

static void reset_signals(void)
{
        static const int sigs[] = {SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                signal(sigs[i], SIG_DFL);
}

/* Fork; the child installs p (with no_new_privs) and exits with body's
 * result. Returns the child's wait status. */
static int run_filtered(const seccomp_prog_t *p, body_fn body, void *arg)
{
        int status = 0;
        pid_t pid;

        setup_shared_page();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit no_core = {0, 0};
                cell_error_t err = {0};
                int listener = -1;

                /* cmocka catches SIGSYS (and SIGSEGV...) to report a failed
                 * test; a child that inherited its handler would jump back
                 * into the test runner instead of dying. */
                reset_signals();
                /* A filter that kills with SIGSYS would otherwise dump core. */
                setrlimit(RLIMIT_CORE, &no_core);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_exit(200);
                if (seccomp_install(p, &listener, &err) < 0) {
                        /* Unfiltered still: printing is fine here. */
                        fprintf(stderr, "seccomp_install: %s\n", err.msg);
                        child_exit(201);
                }
                if (listener >= 0)
                        close(listener);
                child_exit(body(arg));
        }
        while (waitpid(pid, &status, 0) < 0)
                assert_int_equal(errno, EINTR);
        return status;
}

static void assert_exited_ok(int status)
{
        if (WIFSIGNALED(status))
                fail_msg("the filtered child was killed by signal %d", WTERMSIG(status));
        if (WEXITSTATUS(status) == 201)
                fail_msg("the child could not install the filter");
        if (WEXITSTATUS(status) != 0)
                fail_msg("the filtered child failed the check at line %d (exit status %d)", *child_line,
                         WEXITSTATUS(status));
}

static void run_ok(const char *text, body_fn body)
{
        seccomp_prog_t *p = compile_ok(text);

        assert_exited_ok(run_filtered(p, body, NULL));
        seccomp_prog_free(p);
}

static void assert_killed_by_sigsys(int status)
{
        if (!WIFSIGNALED(status))
                fail_msg("the child was not killed: exit status %d, check at line %d", WEXITSTATUS(status),
                         *child_line);
        assert_int_equal(WTERMSIG(status), SIGSYS);
}

#define NO_SUCH_DIR "/nonexistent-cell-seccomp-test/d"

/* ---- default action and errnoRet ----
 *
 * The profiles that deny by default allow sigaltstack besides exit: under
 * ASan, every call of a noreturn function (child_exit) first asks for the
 * signal stack. */

static int body_everything_exdev(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_getppid), EXDEV);
        CHILD_FAILS_WITH(syscall(SYS_getpid), EXDEV);
        CHILD_FAILS_WITH(syscall(SYS_mkdir, NO_SUCH_DIR, 0700), EXDEV);
        return 0;
}

static void test_default_errno_with_errno_ret(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 18,"
               " 'syscalls': [{'names': ['exit_group', 'exit', 'sigaltstack'], 'action': 'SCMP_ACT_ALLOW'}]}",
               body_everything_exdev);
}

static int body_everything_eperm(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_getppid), EPERM);
        CHILD_FAILS_WITH(syscall(SYS_uname, NULL), EPERM);
        return 0;
}

static void test_default_errno_is_eperm(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ERRNO',"
               " 'syscalls': [{'names': ['exit_group', 'exit', 'sigaltstack'], 'action': 'SCMP_ACT_ALLOW'}]}",
               body_everything_eperm);
}

static int body_mkdir_eacces(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_mkdir, NO_SUCH_DIR, 0700), EACCES);
        /* mkdirat is not in the rule: the kernel's own answer comes through. */
        CHILD_FAILS_WITH(syscall(SYS_mkdirat, AT_FDCWD, NO_SUCH_DIR, 0700), ENOENT);
        /* A rule's ERRNO without errnoRet means EPERM. */
        CHILD_FAILS_WITH(syscall(SYS_rmdir, NO_SUCH_DIR), EPERM);
        CHILD_CHECK(syscall(SYS_getppid) > 0);
        CHILD_CHECK(syscall(SYS_getpid) > 0);
        return 0;
}

static void test_rule_errno_ret(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},"
               " {'names': ['rmdir'], 'action': 'SCMP_ACT_ERRNO'}]}",
               body_mkdir_eacces);
}

static int body_mkdir_eacces_only(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_mkdir, NO_SUCH_DIR, 0700), EACCES);
        CHILD_CHECK(syscall(SYS_getppid) > 0);
        return 0;
}

/* An entry whose action is the default one is left out (libseccomp would
 * refuse it), also when it is ERRNO with the same errno. */
static void test_rule_same_as_default_is_skipped(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['getppid'], 'action': 'SCMP_ACT_ALLOW'},"
               " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}",
               body_mkdir_eacces_only);
}

/* ---- argument comparisons ---- */

static int body_personality(void *arg)
{
        CHILD_CHECK(syscall(SYS_personality, 0xffffffffUL) >= 0);
        CHILD_FAILS_WITH(syscall(SYS_personality, 8UL), EPERM);
        CHILD_FAILS_WITH(syscall(SYS_personality, 0x20000UL), EPERM);
        return 0;
}

/* Docker's way: everything denied, personality(0xffffffff) (the query)
 * allowed. */
static void test_arg_eq_allows(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': ["
               " {'names': ['exit_group', 'exit', 'sigaltstack'], 'action': 'SCMP_ACT_ALLOW'},"
               " {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',"
               "  'args': [{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'}]}]}",
               body_personality);
}

static int body_umask(void *arg)
{
        /* (mask & 077) == 022 is refused, whatever the other bits. */
        CHILD_FAILS_WITH(syscall(SYS_umask, 022), EACCES);
        CHILD_FAILS_WITH(syscall(SYS_umask, 0722), EACCES);
        CHILD_CHECK(syscall(SYS_umask, 027) >= 0);
        CHILD_CHECK(syscall(SYS_umask, 0) == 027);
        return 0;
}

static void test_arg_masked_eq(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['umask'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13,"
               "  'args': [{'index': 0, 'value': 63, 'valueTwo': 18, 'op': 'SCMP_CMP_MASKED_EQ'}]}]}",
               body_umask);
}

static int body_personality_or(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_personality, 8UL), EPERM);
        CHILD_FAILS_WITH(syscall(SYS_personality, 0x20000UL), EPERM);
        CHILD_CHECK(syscall(SYS_personality, 0xffffffffUL) >= 0);
        return 0;
}

/* Two comparisons of one argument cannot share a libseccomp rule; each
 * becomes a rule of its own, so they combine with OR (as in runc). */
static void test_arg_same_index_twice(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['personality'], 'action': 'SCMP_ACT_ERRNO',"
               "  'args': [{'index': 0, 'value': 8, 'op': 'SCMP_CMP_EQ'},"
               "           {'index': 0, 'value': 131072, 'op': 'SCMP_CMP_EQ'}]}]}",
               body_personality_or);
}

static int body_socket_and(void *arg)
{
        long fd;

        /* Both comparisons match: refused. */
        CHILD_FAILS_WITH(syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9), EXDEV);
        /* Only the first matches: allowed (AND). */
        fd = syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
        CHILD_CHECK(fd >= 0);
        syscall(SYS_close, fd);
        /* Only the second matches: the kernel's own answer, not EXDEV. */
        CHILD_CHECK(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 9) == -1 && errno != EXDEV);
        return 0;
}

/* Comparisons of distinct arguments stay in one rule: AND. */
static void test_arg_distinct_indexes_and(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 18,"
               "  'args': [{'index': 0, 'value': 16, 'op': 'SCMP_CMP_EQ'},"
               "           {'index': 2, 'value': 9, 'op': 'SCMP_CMP_EQ'}]}]}",
               body_socket_and);
}

static int body_getpriority_or(void *arg)
{
        /* Only the comparison of argument 1 matches, and that is enough. */
        CHILD_FAILS_WITH(syscall(SYS_getpriority, PRIO_PROCESS, 7), EXDEV);
        CHILD_FAILS_WITH(syscall(SYS_getpriority, 1, 0), EXDEV);
        CHILD_CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) >= 0);
        return 0;
}

/* Once one argument is compared twice, every comparison of the entry is a
 * rule of its own, including those of other arguments: runc's semantics
 * (opencontainers/runc#2735), which profiles are written against. */
/* libseccomp 2.5.4 never finishes merging two rules of one syscall that
 * compare several arguments and share an ordered comparison: refused with
 * the reason (fuzz_seccomp found it); sharing only an equality is fine. */
static void test_arg_multi_rules_sharing_ordered_comparison(void **state)
{
        json_t *j = doc("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                        " {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'args': ["
                        "   {'index': 1, 'value': 9, 'op': 'SCMP_CMP_LE'}, {'index': 2, 'value': 7, 'op': "
                        "'SCMP_CMP_LE'}]},"
                        " {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'args': ["
                        "   {'index': 1, 'value': 9, 'op': 'SCMP_CMP_LE'}, {'index': 3, 'value': 7, 'op': "
                        "'SCMP_CMP_LE'}]}]}");
        seccomp_prog_t *p = NULL;
        cell_error_t err = {0};

        (void)state;
        assert_true(seccomp_compile(j, &p, &err) < 0);
        assert_null(p);
        assert_non_null(strstr(err.msg, "linux.seccomp.syscalls[1].names[0]: \"socket\" has another rule"));
        assert_non_null(strstr(err.msg, "(linux.seccomp.syscalls[0])"));
        json_decref(j);
        seccomp_prog_free(compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                                     " {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'args': ["
                                     "   {'index': 0, 'value': 9, 'op': 'SCMP_CMP_EQ'}, {'index': 2, "
                                     "'value': 7, 'op': 'SCMP_CMP_LE'}]},"
                                     " {'names': ['socket'], 'action': 'SCMP_ACT_ERRNO', 'args': ["
                                     "   {'index': 0, 'value': 9, 'op': 'SCMP_CMP_EQ'}, {'index': 3, "
                                     "'value': 7, 'op': 'SCMP_CMP_LE'}]}]}"));
}

static void test_arg_repeated_index_splits_all(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['getpriority'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 18,"
               "  'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'},"
               "           {'index': 0, 'value': 2, 'op': 'SCMP_CMP_EQ'},"
               "           {'index': 1, 'value': 7, 'op': 'SCMP_CMP_EQ'}]}]}",
               body_getpriority_or);
}

static int body_ops(void *arg)
{
        /* GT 100 → EXDEV; LE 1 → EPERM; other values reach the kernel. */
        CHILD_FAILS_WITH(syscall(SYS_getpriority, PRIO_PROCESS, 101), EXDEV);
        CHILD_FAILS_WITH(syscall(SYS_getpriority, 1, 0), EPERM);
        CHILD_CHECK(syscall(SYS_getpriority, 2, 0) != -1 || (errno != EXDEV && errno != EPERM));
        return 0;
}

static void test_arg_ops(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['getpriority'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 18,"
               "  'args': [{'index': 1, 'value': 100, 'op': 'SCMP_CMP_GT'}]},"
               " {'names': ['getpriority'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1,"
               "  'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_LE'},"
               "           {'index': 1, 'value': 100, 'op': 'SCMP_CMP_LT'}]}]}",
               body_ops);
}

/* ---- the other actions ---- */

static int body_getppid_then_ok(void *arg)
{
        syscall(SYS_getppid);
        return 0;
}

static void test_kill_process(void **state)
{
        seccomp_prog_t *p = compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                                       " {'names': ['getppid'], 'action': 'SCMP_ACT_KILL_PROCESS'}]}");

        assert_killed_by_sigsys(run_filtered(p, body_getppid_then_ok, NULL));
        seccomp_prog_free(p);
}

static void test_kill_thread_and_kill(void **state)
{
        /* A single-threaded process dies with its thread. */
        static const char *const actions[] = {"SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL"};

        for (size_t i = 0; i < 2; i++) {
                char text[256];
                seccomp_prog_t *p;

                snprintf(text, sizeof(text),
                         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'], 'action': "
                         "'%s'}]}",
                         actions[i]);
                p = compile_ok(text);
                assert_killed_by_sigsys(run_filtered(p, body_getppid_then_ok, NULL));
                seccomp_prog_free(p);
        }
}

static void test_trap(void **state)
{
        /* SIGSYS is delivered; with no handler it ends the process. */
        seccomp_prog_t *p = compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                                       " {'names': ['getppid'], 'action': 'SCMP_ACT_TRAP'}]}");

        assert_killed_by_sigsys(run_filtered(p, body_getppid_then_ok, NULL));
        seccomp_prog_free(p);
}

static int body_log(void *arg)
{
        CHILD_CHECK(syscall(SYS_getppid) > 0);
        CHILD_CHECK(syscall(SYS_getpid) > 0);
        CHILD_FAILS_WITH(syscall(SYS_mkdir, NO_SUCH_DIR, 0700), EACCES);
        return 0;
}

static void test_log_default_allows(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_LOG', 'syscalls': ["
               " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},"
               " {'names': ['getpid'], 'action': 'SCMP_ACT_ALLOW'}]}",
               body_log);
}

static int body_trace(void *arg)
{
        /* No tracer: the kernel fails a TRACE syscall with ENOSYS. */
        CHILD_FAILS_WITH(syscall(SYS_getppid), ENOSYS);
        CHILD_CHECK(syscall(SYS_getpid) > 0);
        return 0;
}

static void test_trace_without_tracer(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['getppid'], 'action': 'SCMP_ACT_TRACE', 'errnoRet': 1234}]}",
               body_trace);
}

/* ---- architectures, flags, names ---- */

static void test_architectures(void **state)
{
        /* X86_64 is the native one (already in the filter); S390X has the
         * other byte order and is left out. */
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW',"
               " 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64',"
               "                   'SCMP_ARCH_S390X', 'SCMP_ARCH_X86'],"
               " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}",
               body_mkdir_eacces_only);
}

static void test_flags(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW',"
               " 'flags': ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG',"
               "           'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
               " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}",
               body_mkdir_eacces_only);
}

static void test_flag_wait_killable_recv(void **state)
{
        /* The flag needs a listener; the agent is never asked here. */
        seccomp_prog_t *p =
                compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW',"
                           " 'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',"
                           "           'SECCOMP_FILTER_FLAG_TSYNC'],"
                           " 'listenerPath': '/nonexistent/agent.sock',"
                           " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13},"
                           "  {'names': ['acct'], 'action': 'SCMP_ACT_NOTIFY'}]}");

        assert_true(seccomp_has_listener(p));
        assert_string_equal(seccomp_listener_path(p), "/nonexistent/agent.sock");
        assert_exited_ok(run_filtered(p, body_mkdir_eacces_only, NULL));
        seccomp_prog_free(p);
}

/* Profiles list syscalls newer than the installed libseccomp next to
 * known ones: the unknown names are skipped, the rule still holds. */
static void test_unknown_name_next_to_known_is_skipped(void **state)
{
        run_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
               " {'names': ['no_such_syscall_1', 'mkdir', 'no_such_syscall_2'],"
               "  'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}",
               body_mkdir_eacces_only);
}

static void test_no_seccomp(void **state)
{
        cell_error_t err = {0};
        seccomp_prog_t *p = (seccomp_prog_t *)&err; /* must be overwritten */
        int listener = 7;

        assert_int_equal(seccomp_compile(NULL, &p, &err), 0);
        assert_null(p);
        assert_int_equal(seccomp_compile(json_null(), &p, &err), 0);
        assert_null(p);
        assert_false(seccomp_has_listener(NULL));
        assert_int_equal(seccomp_install(NULL, &listener, &err), 0);
        assert_int_equal(listener, -1);
}

static void test_no_listener_without_notify(void **state)
{
        /* The spec ignores listenerPath when nothing notifies. */
        seccomp_prog_t *p =
                compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/run/agent.sock',"
                           " 'listenerMetadata': 'x'}");

        assert_false(seccomp_has_listener(p));
        assert_null(seccomp_listener_path(p));
        seccomp_prog_free(p);
}

/* ---- installing without no_new_privs ---- */

static void test_install_without_nnp_needs_cap_sys_admin(void **state)
{
        seccomp_prog_t *p = compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW'}");
        int status = 0;
        pid_t pid;

        setup_shared_page();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
                struct __user_cap_data_struct data[2];
                cell_error_t err = {0};
                int listener = -1;

                reset_signals();
                if (syscall(SYS_capget, &hdr, data) < 0)
                        child_exit(2);
                data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
                if (syscall(SYS_capset, &hdr, data) < 0)
                        child_exit(3);
                if (seccomp_install(p, &listener, &err) == 0)
                        child_exit(4);
                if (err.code != EACCES)
                        child_exit(5);
                if (strcmp(err.msg, "seccomp: a filter without no_new_privileges needs CAP_SYS_ADMIN: "
                                    "Permission denied") != 0) {
                        fprintf(stderr, "message: %s\n", err.msg);
                        child_exit(6);
                }
                child_exit(0);
        }
        while (waitpid(pid, &status, 0) < 0)
                assert_int_equal(errno, EINTR);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        seccomp_prog_free(p);
}

/* ---- the listener and the seccomp agent ---- */

struct notify_child {
        seccomp_prog_t *p;
        const char *state_json;
};

static int body_notify(void *arg)
{
        (void)arg;
        /* The agent answers 4242. */
        CHILD_CHECK(syscall(SYS_getppid) == 4242);
        CHILD_CHECK(syscall(SYS_getpid) > 0);
        return 0;
}

static void test_notify_listener(void **state)
{
        char dir[] = "/tmp/cell-seccomp-XXXXXX";
        char path[PATH_MAX], text[1024];
        const char *state_json = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":1,"
                                 "\"bundle\":\"/b\"}";
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        seccomp_prog_t *p;
        int srv, conn, seccomp_fd = -1, status = 0;
        pid_t pid;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/agent.sock", dir);
        snprintf(
                text, sizeof(text),
                "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '%s', 'listenerMetadata': 'hello agent',"
                " 'syscalls': [{'names': ['getppid'], 'action': 'SCMP_ACT_NOTIFY'}]}",
                path);
        p = compile_ok(text);
        assert_true(seccomp_has_listener(p));
        assert_string_equal(seccomp_listener_path(p), path);

        srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(srv >= 0);
        memcpy(addr.sun_path, path, strlen(path) + 1);
        assert_int_equal(bind(srv, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(listen(srv, 1), 0);

        setup_shared_page();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                cell_error_t err = {0};
                int listener = -1;

                reset_signals();
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_exit(200);
                if (seccomp_install(p, &listener, &err) < 0 || listener < 0) {
                        fprintf(stderr, "seccomp_install: %s\n", err.msg);
                        child_exit(201);
                }
                /* The runtime sends from its own process; here the child
                 * does, which only getppid would stop. */
                if (seccomp_send_listener(p, listener, getpid(), state_json, &err) < 0) {
                        fprintf(stderr, "seccomp_send_listener: %s\n", err.msg);
                        child_exit(202);
                }
                close(listener);
                child_exit(body_notify(NULL));
        }

        {
                struct pollfd pfd = {.fd = srv, .events = POLLIN};
                char buf[4096] = {0};
                union {
                        char b[CMSG_SPACE(sizeof(int))];
                        struct cmsghdr align;
                } control;
                struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.b,
                        .msg_controllen = sizeof(control.b),
                };
                struct cmsghdr *cmsg;
                json_t *msg, *want_state;
                ssize_t n;

                assert_int_equal(poll(&pfd, 1, 10000), 1);
                conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
                assert_true(conn >= 0);
                n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
                assert_true(n > 0);
                cmsg = CMSG_FIRSTHDR(&mh);
                if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
                        fail_msg("the agent got no file descriptor");
                else
                        memcpy(&seccomp_fd, CMSG_DATA(cmsg), sizeof(int));
                assert_true(seccomp_fd >= 0);
                /* The sender closes the connection after its one message. */
                {
                        char more;

                        while ((n = recv(conn, &more, 1, 0)) < 0 && errno == EINTR)
                                ;
                        assert_int_equal(n, 0);
                }
                close(conn);

                msg = json_loads(buf, 0, NULL);
                if (!msg)
                        fail_msg("the agent got no JSON: %s", buf);
                assert_string_equal(json_string_value(json_object_get(msg, "ociVersion")), "1.2.0");
                assert_int_equal(json_array_size(json_object_get(msg, "fds")), 1);
                assert_string_equal(json_string_value(json_array_get(json_object_get(msg, "fds"), 0)),
                                    "seccompFd");
                assert_int_equal(json_integer_value(json_object_get(msg, "pid")), pid);
                assert_string_equal(json_string_value(json_object_get(msg, "metadata")), "hello agent");
                want_state = json_loads(state_json, 0, NULL);
                assert_true(json_equal(json_object_get(msg, "state"), want_state));
                json_decref(want_state);
                json_decref(msg);
        }

        {
                struct pollfd pfd = {.fd = seccomp_fd, .events = POLLIN};
                struct seccomp_notif req;
                struct seccomp_notif_resp resp;

                assert_int_equal(poll(&pfd, 1, 10000), 1);
                memset(&req, 0, sizeof(req));
                assert_int_equal(ioctl(seccomp_fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
                assert_int_equal(req.data.nr, SYS_getppid);
                assert_int_equal(req.pid, pid);
                memset(&resp, 0, sizeof(resp));
                resp.id = req.id;
                resp.val = 4242;
                assert_int_equal(ioctl(seccomp_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
        }

        while (waitpid(pid, &status, 0) < 0)
                assert_int_equal(errno, EINTR);
        close(seccomp_fd);
        close(srv);
        unlink(path);
        rmdir(dir);
        assert_exited_ok(status);
        seccomp_prog_free(p);
}

static void test_send_listener_errors(void **state)
{
        seccomp_prog_t *p = compile_ok("{'defaultAction': 'SCMP_ACT_NOTIFY',"
                                       " 'listenerPath': '/nonexistent-cell-test/agent.sock'}");
        seccomp_prog_t *plain = compile_ok("{'defaultAction': 'SCMP_ACT_ALLOW'}");
        cell_error_t err = {0};

        assert_true(seccomp_send_listener(p, 0, 1, "not json", &err) < 0);
        assert_string_equal(err.msg, "seccomp: the container state is not a JSON object");
        assert_true(seccomp_send_listener(p, 0, 1, "{}", &err) < 0);
        assert_string_equal(err.msg, "seccomp: sending the listener to the agent: connecting to "
                                     "/nonexistent-cell-test/agent.sock: No such file or directory");
        assert_true(seccomp_send_listener(plain, 0, 1, "{}", &err) < 0);
        assert_string_equal(err.msg, "seccomp: the filter has no listener");
        seccomp_prog_free(p);
        seccomp_prog_free(plain);
}

/* ---- the Docker/podman default profile ---- */

/* Docker's default capabilities, those the profile's includes/excludes are
 * resolved against (as podman does for a container with the defaults). */
static const char *const default_caps[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
        NULL,
};

static bool in_strv(const char *const *v, const char *s)
{
        for (; *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

static bool json_has_string(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach(arr, i, v)
        {
                if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
                        return true;
        }
        return false;
}

/* Does a Docker profile's includes/excludes object keep the entry? */
static bool docker_cond_matches(json_t *cond, bool include)
{
        json_t *caps = json_object_get(cond, "caps"), *arches = json_object_get(cond, "arches");
        size_t i;
        json_t *v;

        if (include) {
                json_array_foreach(caps, i, v)
                {
                        if (!in_strv(default_caps, json_string_value(v)))
                                return false;
                }
                if (json_array_size(arches) > 0 && !json_has_string(arches, "amd64"))
                        return false;
                return true;
        }
        json_array_foreach(caps, i, v)
        {
                if (in_strv(default_caps, json_string_value(v)))
                        return false;
        }
        if (json_has_string(arches, "amd64"))
                return false;
        return true;
}

/* The Docker profile format (archMap, includes/excludes) → linux.seccomp,
 * for x86_64 and the default capabilities, the way the engines convert it. */
static json_t *docker_to_oci(json_t *profile)
{
        json_t *out = json_object(), *arches = json_array(), *calls = json_array();
        json_t *v;
        size_t i;

        json_object_set(out, "defaultAction", json_object_get(profile, "defaultAction"));
        if ((v = json_object_get(profile, "defaultErrnoRet")))
                json_object_set(out, "defaultErrnoRet", v);
        json_array_foreach(json_object_get(profile, "archMap"), i, v)
        {
                const char *arch = json_string_value(json_object_get(v, "architecture"));
                json_t *sub;
                size_t k;

                if (!arch || strcmp(arch, "SCMP_ARCH_X86_64") != 0)
                        continue;
                json_array_append_new(arches, json_string(arch));
                json_array_foreach(json_object_get(v, "subArchitectures"), k, sub)
                        json_array_append(arches, sub);
        }
        json_object_set_new(out, "architectures", arches);
        json_array_foreach(json_object_get(profile, "syscalls"), i, v)
        {
                json_t *rule, *args;

                if (!docker_cond_matches(json_object_get(v, "includes"), true) ||
                    !docker_cond_matches(json_object_get(v, "excludes"), false))
                        continue;
                rule = json_object();
                json_object_set(rule, "names", json_object_get(v, "names"));
                json_object_set(rule, "action", json_object_get(v, "action"));
                if (json_object_get(v, "errnoRet"))
                        json_object_set(rule, "errnoRet", json_object_get(v, "errnoRet"));
                args = json_object_get(v, "args");
                if (json_array_size(args) > 0)
                        json_object_set(rule, "args", args);
                json_array_append_new(calls, rule);
        }
        json_object_set_new(out, "syscalls", calls);
        return out;
}

static json_t *load_docker_profile(const char *path)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, 0, &jerr);

        if (!j)
                fail_msg("%s: %s", path, jerr.text);
        return j;
}

static int body_default_profile(void *arg)
{
        static char arg0[] = "true";
        char *const argv[] = {arg0, NULL};
        char *const envp[] = {NULL};
        int status = 0;
        pid_t pid;

        /* An ordinary program still runs. */
        pid = fork();
        CHILD_CHECK(pid >= 0);
        if (pid == 0) {
                execve("/bin/true", argv, envp);
                child_exit(127);
        }
        CHILD_CHECK(waitpid(pid, &status, 0) == pid);
        CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHILD_CHECK(syscall(SYS_getppid) > 0);
        /* Listed as denied (errnoRet 1). */
        CHILD_FAILS_WITH(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
        /* Allowed with CAP_SYS_ADMIN only, which the defaults lack. */
        CHILD_FAILS_WITH(syscall(SYS_sethostname, "x", 1), EPERM);
        /* Not listed: the default action, ENOSYS (defaultErrnoRet 38). */
        CHILD_FAILS_WITH(syscall(SYS_add_key, "user", "k", "v", 1, 0), ENOSYS);
        return 0;
}

static void check_default_profile(const char *path, bool add_unknown_names)
{
        json_t *docker = load_docker_profile(path);
        json_t *oci = docker_to_oci(docker);
        seccomp_prog_t *p;

        if (add_unknown_names) {
                /* A newer profile: syscalls this libseccomp may not know, in
                 * the entry of allowed ones (the first ALLOW entry). */
                size_t i;
                json_t *rule;

                json_array_foreach(json_object_get(oci, "syscalls"), i, rule)
                {
                        const char *action = json_string_value(json_object_get(rule, "action"));

                        if (action && strcmp(action, "SCMP_ACT_ALLOW") == 0) {
                                json_t *names = json_deep_copy(json_object_get(rule, "names"));

                                json_array_append_new(names, json_string("mseal"));
                                json_array_append_new(names, json_string("listmount"));
                                json_array_append_new(names, json_string("cell_syscall_from_the_future"));
                                json_object_set_new(rule, "names", names);
                                break;
                        }
                }
        }
        assert_true(json_array_size(json_object_get(oci, "syscalls")) > 10);
        p = compile_json(oci);
        assert_exited_ok(run_filtered(p, body_default_profile, NULL));
        seccomp_prog_free(p);
        json_decref(oci);
        json_decref(docker);
}

static const char *data_path(const char *name, char *buf, size_t size)
{
        const char *dir = getenv("CELL_TEST_DATA");

        snprintf(buf, size, "%s/%s", dir ? dir : "tests/unit/data", name);
        return buf;
}

static void test_podman_default_profile_fixture(void **state)
{
        char path[PATH_MAX];

        check_default_profile(data_path("containers-common-seccomp.json", path, sizeof(path)), false);
}

static void test_newer_profile_with_unknown_names(void **state)
{
        char path[PATH_MAX];

        check_default_profile(data_path("containers-common-seccomp.json", path, sizeof(path)), true);
}

static void test_installed_podman_profile(void **state)
{
        static const char installed[] = "/usr/share/containers/seccomp.json";

        if (access(installed, R_OK) < 0)
                skip();
        check_default_profile(installed, false);
}

/* ---- errors: each names the place ---- */

struct bad_case {
        const char *name;
        const char *doc;
        const char *msg;
};

static const struct bad_case bad_cases[] = {
        {"unknown syscall",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO'},"
         " {'names': ['rmdir'], 'action': 'SCMP_ACT_ERRNO'}, {'names': ['getpid'], 'action': "
         "'SCMP_ACT_ERRNO'},"
         " {'names': ['opne'], 'action': 'SCMP_ACT_ERRNO'}]}",
         "linux.seccomp.syscalls[3].names[0]: unknown syscall \"opne\""},
        {"all names unknown",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['opne', 'clsoe'], 'action': "
         "'SCMP_ACT_ERRNO'}]}",
         "linux.seccomp.syscalls[0].names[0]: unknown syscall \"opne\""},
        {"unknown default action", "{'defaultAction': 'SCMP_ACT_FOO'}",
         "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\""},
        {"missing default action", "{'syscalls': []}", "linux.seccomp.defaultAction: missing"},
        {"unknown rule action",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_DENY'}]}",
         "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_DENY\""},
        {"missing rule action", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir']}]}",
         "linux.seccomp.syscalls[0].action: missing"},
        {"unknown architecture", "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_VAX']}",
         "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_VAX\""},
        {"architecture without prefix", "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['x86_64']}",
         "linux.seccomp.architectures[0]: unknown architecture \"x86_64\""},
        {"unknown flag",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_LOG', "
         "'SECCOMP_FILTER_FLAG_FOO']}",
         "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""},
        {"listener flag is not the profile's",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_NEW_LISTENER']}",
         "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\""},
        {"unknown operator",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO',"
         " 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_ABOUT'}]}]}",
         "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""},
        {"argument index out of range",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO',"
         " 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'}, {'index': 6, 'value': 1, 'op': "
         "'SCMP_CMP_EQ'}]}]}",
         "linux.seccomp.syscalls[0].args[1].index: 6 is out of range [0, 5]"},
        {"negative argument value",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO',"
         " 'args': [{'index': 0, 'value': -1, 'op': 'SCMP_CMP_EQ'}]}]}",
         "linux.seccomp.syscalls[0].args[0].value: -1 is out of range [0, 18446744073709551615]"},
        {"argument without op",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO',"
         " 'args': [{'index': 0, 'value': 1}]}]}",
         "linux.seccomp.syscalls[0].args[0].op: missing"},
        {"errnoRet for ALLOW",
         "{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ALLOW',"
         " 'errnoRet': 1}]}",
         "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
         "SCMP_ACT_ALLOW"},
        {"defaultErrnoRet for KILL", "{'defaultAction': 'SCMP_ACT_KILL', 'defaultErrnoRet': 1}",
         "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
         "SCMP_ACT_KILL"},
        {"errnoRet too large", "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 65536}",
         "linux.seccomp.defaultErrnoRet: 65536 is out of range [0, 65535]"},
        {"errnoRet not a number", "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 'EPERM'}",
         "linux.seccomp.defaultErrnoRet: expected an unsigned integer"},
        {"empty names",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': [], 'action': 'SCMP_ACT_ERRNO'}]}",
         "linux.seccomp.syscalls[0].names: expected a non-empty array of syscall names"},
        {"name not a string",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir', 7], 'action': "
         "'SCMP_ACT_ERRNO'}]}",
         "linux.seccomp.syscalls[0].names[1]: expected a string"},
        {"syscalls not an array", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': {}}",
         "linux.seccomp.syscalls: expected an array"},
        {"notify without listenerPath",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': "
         "'SCMP_ACT_NOTIFY'}]}",
         "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath"},
        {"metadata without listenerPath", "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerMetadata': 'x'}",
         "linux.seccomp.listenerMetadata: set without listenerPath"},
        {"listenerPath too long",
         "{'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': "
         "'/run/"
         "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
         "9/agent.sock'}",
         "linux.seccomp.listenerPath: a unix socket path holds at most 107 bytes"},
        {"wait killable recv without listener",
         "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}",
         "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs SCMP_ACT_NOTIFY and a "
         "listenerPath"},
        {"not an object", "[]", "linux.seccomp: expected an object"},
};

static void test_bad_profile(void **state)
{
        const struct bad_case *c = *state;
        json_t *j = doc(c->doc);
        cell_error_t err = {0};
        seccomp_prog_t *p = NULL;

        if (seccomp_compile(j, &p, &err) >= 0)
                fail_msg("accepted: %s", c->doc);
        assert_null(p);
        assert_string_equal(err.msg, c->msg);
        json_decref(j);
}

/* The compiled-filter cache: a hit gives the same program; an entry whose
 * key is another profile's (a colliding name) is a miss, never the other
 * profile's program. */
static int body_mkdir_eacces_rmdir_allowed(void *arg)
{
        CHILD_FAILS_WITH(syscall(SYS_mkdir, NO_SUCH_DIR, 0700), EACCES);
        CHILD_FAILS_WITH(syscall(SYS_rmdir, NO_SUCH_DIR), ENOENT);
        return 0;
}

static void test_compile_cache(void **state)
{
        char dir[] = "/tmp/cell-seccomp-cache.XXXXXX";
        const char *a_text = "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                             " {'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}";
        const char *b_text = "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                             " {'names': ['rmdir'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 13}]}";
        json_t *a = doc(a_text), *b = doc(b_text);
        seccomp_prog_t *p = NULL;
        cell_error_t err = {0};
        struct dirent *de;
        char a_entry[512] = "", b_entry[512] = "";
        DIR *d;

        (void)state;
        assert_non_null(mkdtemp(dir));
        /* Miss, then hit: the same behaviour both times. */
        for (int round = 0; round < 2; round++) {
                assert_int_equal(seccomp_compile_cached(a, dir, &p, &err), 0);
                assert_exited_ok(run_filtered(p, body_mkdir_eacces_rmdir_allowed, NULL));
                seccomp_prog_free(p);
                p = NULL;
        }
        d = opendir(dir);
        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        snprintf(a_entry, sizeof(a_entry), "%s/%s", dir, de->d_name);
        closedir(d);
        assert_true(a_entry[0]);
        /* B's entry, copied over A's name: A must be compiled again, not
         * get B's program. */
        assert_int_equal(seccomp_compile_cached(b, dir, &p, &err), 0);
        seccomp_prog_free(p);
        p = NULL;
        d = opendir(dir);
        while ((de = readdir(d))) {
                char path[512];

                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (de->d_name[0] != '.' && strcmp(path, a_entry) != 0)
                        snprintf(b_entry, sizeof(b_entry), "%s", path);
        }
        closedir(d);
        assert_true(b_entry[0]);
        assert_int_equal(rename(b_entry, a_entry), 0);
        assert_int_equal(seccomp_compile_cached(a, dir, &p, &err), 0);
        assert_exited_ok(run_filtered(p, body_mkdir_eacces_rmdir_allowed, NULL));
        seccomp_prog_free(p);
        json_decref(a);
        json_decref(b);
        assert_int_equal(fs_rm_rf(dir, NULL), 0);
}

int main(void)
{
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_default_errno_with_errno_ret),
                cmocka_unit_test(test_default_errno_is_eperm),
                cmocka_unit_test(test_rule_errno_ret),
                cmocka_unit_test(test_rule_same_as_default_is_skipped),
                cmocka_unit_test(test_arg_eq_allows),
                cmocka_unit_test(test_arg_masked_eq),
                cmocka_unit_test(test_arg_same_index_twice),
                cmocka_unit_test(test_arg_distinct_indexes_and),
                cmocka_unit_test(test_arg_repeated_index_splits_all),
                cmocka_unit_test(test_arg_multi_rules_sharing_ordered_comparison),
                cmocka_unit_test(test_arg_ops),
                cmocka_unit_test(test_kill_process),
                cmocka_unit_test(test_kill_thread_and_kill),
                cmocka_unit_test(test_trap),
                cmocka_unit_test(test_log_default_allows),
                cmocka_unit_test(test_trace_without_tracer),
                cmocka_unit_test(test_architectures),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_flag_wait_killable_recv),
                cmocka_unit_test(test_unknown_name_next_to_known_is_skipped),
                cmocka_unit_test(test_no_seccomp),
                cmocka_unit_test(test_no_listener_without_notify),
                cmocka_unit_test(test_install_without_nnp_needs_cap_sys_admin),
                cmocka_unit_test(test_notify_listener),
                cmocka_unit_test(test_send_listener_errors),
                cmocka_unit_test(test_podman_default_profile_fixture),
                cmocka_unit_test(test_newer_profile_with_unknown_names),
                cmocka_unit_test(test_installed_podman_profile),
                cmocka_unit_test(test_compile_cache),
        };
        size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
        size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
        struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof(*tests));
        int r;

        if (!tests)
                return 1;
        memcpy(tests, fixed, sizeof(fixed));
        /* One test per invalid profile, named after what is wrong with it. */
        for (size_t i = 0; i < n_bad; i++) {
                tests[n_fixed + i].name = bad_cases[i].name;
                tests[n_fixed + i].test_func = test_bad_profile;
                tests[n_fixed + i].initial_state = (void *)&bad_cases[i];
        }
        r = _cmocka_run_group_tests("seccomp", tests, n_fixed + n_bad, NULL, NULL);
        free(tests);
        return r;
}
