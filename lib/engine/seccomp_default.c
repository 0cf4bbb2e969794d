/* cell: the built-in default seccomp profile.
 *
 * The same effect as Docker's default profile, written as a table here and
 * turned into a Docker-format profile, so that the default takes the very
 * path a user's --security-opt seccomp=FILE takes (engine_seccomp_convert)
 * and the capability- and architecture-dependent parts are resolved in one
 * place.
 *
 * The policy: refuse by default with EPERM (not ENOSYS: a program that
 * probes for a syscall must learn that it exists and is not permitted,
 * rather than fall back to code paths written for old kernels — except for
 * clone3, below). Allow what an ordinary program uses. What reaches beyond
 * the container — the kernel's keyring, module loading, kexec, mounting,
 * new namespaces, the clock, raw I/O ports, BPF, performance counters,
 * userfaultfd, swap — is allowed only together with the capability that
 * would let a process do it anyway, so that --cap-add gives what a user
 * expects; some of it (keyctl, kexec_load, swapon, io_uring...) is never
 * allowed: those syscalls have a history of kernel bugs reachable from an
 * unprivileged process and no ordinary program needs them. Syscall names
 * newer than the installed libseccomp are skipped by seccomp_compile. */
#include "jsonutil.h"
#include "seccomp_profile.h"

#include <errno.h>
#include <stdint.h>

#include "cleanup.h"

typedef struct {
        unsigned int index;
        uint64_t value;
        uint64_t value_two;
        const char *op;
} default_arg_t;

typedef struct {
        const char *const *names;
        const char *action; /* NULL: SCMP_ACT_ALLOW */
        int errno_ret;      /* with SCMP_ACT_ERRNO */
        const default_arg_t *args;
        size_t n_args;
        const char *const *inc_caps;
        const char *const *exc_caps;
        const char *const *inc_arches;
        const char *const *exc_arches;
        const char *min_kernel;
        const char *comment;
} default_rule_t;

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Namespace flags of clone(2): CLONE_NEWNS 0x00020000, CLONE_NEWCGROUP
 * 0x02000000, CLONE_NEWUTS 0x04000000, CLONE_NEWIPC 0x08000000,
 * CLONE_NEWUSER 0x10000000, CLONE_NEWPID 0x20000000, CLONE_NEWNET
 * 0x40000000. */
#define DEFAULT_CLONE_NS_FLAGS 0x7E020000ULL

/* personality(2) personas a program may ask for: PER_LINUX (0),
 * PER_LINUX32 (8), UNAME26 (0x20000), PER_LINUX32|UNAME26 (0x20008), and
 * 0xffffffff, which only queries. Others (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE,
 * ...) would weaken the address space's hardening. */
static const default_arg_t default_persona[][1] = {
        {{0, 0x0, 0, "SCMP_CMP_EQ"}},        {{0, 0x8, 0, "SCMP_CMP_EQ"}},
        {{0, 0x20000, 0, "SCMP_CMP_EQ"}},    {{0, 0x20008, 0, "SCMP_CMP_EQ"}},
        {{0, 0xffffffff, 0, "SCMP_CMP_EQ"}},
};

static const default_arg_t default_clone_no_ns[] = {{0, DEFAULT_CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"}};
/* s390 passes the flags of clone in the second argument. */
static const default_arg_t default_clone_no_ns_s390[] = {
        {1, DEFAULT_CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"}};
/* AF_VSOCK (40): talks to the hypervisor and other VMs, past the
 * container's network namespace. */
static const default_arg_t default_socket_no_vsock[] = {{0, 40, 0, "SCMP_CMP_NE"}};

static const default_rule_t default_rules[] = {
        {
                .comment = "ordinary syscalls",
                .names = LIST(
                        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
                        "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
                        "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
                        "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
                        "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
                        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
                        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
                        "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
                        "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
                        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
                        "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
                        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
                        "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
                        "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
                        "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
                        "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
                        "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
                        "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname",
                        "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
                        "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
                        "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
                        "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
                        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
                        "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
                        "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
                        "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
                        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
                        "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
                        "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
                        "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
                        "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
                        "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
                        "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
                        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
                        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
                        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
                        "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
                        "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
                        "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
                        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
                        "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
                        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
                        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
                        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
                        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
                        "sendto", "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid",
                        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
                        "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
                        "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
                        "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat",
                        "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
                        "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
                        "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
                        "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
                        "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
                        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
                        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
                        "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
                        "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid",
                        "write", "writev"),
        },
        {
                .comment = "sockets of every family but AF_VSOCK",
                .names = LIST("socket"),
                .args = default_socket_no_vsock,
                .n_args = 1,
        },
        {.comment = "personality: Linux personas only",
         .names = LIST("personality"),
         .args = default_persona[0],
         .n_args = 1},
        {.comment = "personality: Linux personas only",
         .names = LIST("personality"),
         .args = default_persona[1],
         .n_args = 1},
        {.comment = "personality: Linux personas only",
         .names = LIST("personality"),
         .args = default_persona[2],
         .n_args = 1},
        {.comment = "personality: Linux personas only",
         .names = LIST("personality"),
         .args = default_persona[3],
         .n_args = 1},
        {.comment = "personality: Linux personas only",
         .names = LIST("personality"),
         .args = default_persona[4],
         .n_args = 1},
        {
                /* Since 4.8 a seccomp filter is checked again after the
                 * tracer changed a syscall, so ptrace can no longer be
                 * used to step around the filter. */
                .comment = "tracing of the container's own processes",
                .names = LIST("process_vm_readv", "process_vm_writev", "ptrace"),
                .min_kernel = "4.8",
        },
        /* Architecture-specific ones. */
        {
                .names = LIST("arch_prctl", "modify_ldt"),
                .inc_arches = LIST("amd64", "x32", "x86"),
        },
        {
                .names = LIST("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                              "cacheflush", "set_tls"),
                .inc_arches = LIST("arm", "arm64"),
        },
        {
                .names = LIST("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
                .inc_arches = LIST("s390", "s390x"),
        },
        {
                .names = LIST("riscv_flush_icache"),
                .inc_arches = LIST("riscv64"),
        },
        {
                .names = LIST("sync_file_range2", "swapcontext"),
                .inc_arches = LIST("ppc64le"),
        },
        /* clone: new threads and processes for everyone, new namespaces
         * only with CAP_SYS_ADMIN (the kernel asks for it too, except for a
         * user namespace, which is how an unprivileged process would reach
         * the rest). */
        {
                .comment = "clone without namespace flags",
                .names = LIST("clone"),
                .args = default_clone_no_ns,
                .n_args = 1,
                .exc_caps = LIST("CAP_SYS_ADMIN"),
                .exc_arches = LIST("s390", "s390x"),
        },
        {
                .comment = "clone without namespace flags (s390: flags in the second argument)",
                .names = LIST("clone"),
                .args = default_clone_no_ns_s390,
                .n_args = 1,
                .exc_caps = LIST("CAP_SYS_ADMIN"),
                .inc_arches = LIST("s390", "s390x"),
        },
        {
                /* clone3 passes its flags in memory, which a filter cannot
                 * read: ENOSYS makes the C library fall back to clone,
                 * whose flags the rule above checks. */
                .comment = "clone3: use clone",
                .names = LIST("clone3"),
                .action = "SCMP_ACT_ERRNO",
                .errno_ret = ENOSYS,
                .exc_caps = LIST("CAP_SYS_ADMIN"),
        },
        /* What a capability allows anyway. */
        {
                .names = LIST("open_by_handle_at"),
                .inc_caps = LIST("CAP_DAC_READ_SEARCH"),
        },
        {
                .names = LIST("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                              "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
                              "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
                              "setns", "syslog", "umount", "umount2", "unshare"),
                .inc_caps = LIST("CAP_SYS_ADMIN"),
        },
        {
                .names = LIST("reboot"),
                .inc_caps = LIST("CAP_SYS_BOOT"),
        },
        {
                .names = LIST("chroot"),
                .inc_caps = LIST("CAP_SYS_CHROOT"),
        },
        {
                .names = LIST("delete_module", "init_module", "finit_module"),
                .inc_caps = LIST("CAP_SYS_MODULE"),
        },
        {
                .names = LIST("acct"),
                .inc_caps = LIST("CAP_SYS_PACCT"),
        },
        {
                .names = LIST("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                              "process_vm_writev", "ptrace"),
                .inc_caps = LIST("CAP_SYS_PTRACE"),
        },
        {
                .names = LIST("iopl", "ioperm"),
                .inc_caps = LIST("CAP_SYS_RAWIO"),
        },
        {
                .names = LIST("settimeofday", "stime", "clock_settime", "clock_settime64"),
                .inc_caps = LIST("CAP_SYS_TIME"),
        },
        {
                .names = LIST("vhangup"),
                .inc_caps = LIST("CAP_SYS_TTY_CONFIG"),
        },
        {
                .names = LIST("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
                .inc_caps = LIST("CAP_SYS_NICE"),
        },
        {
                .names = LIST("syslog"),
                .inc_caps = LIST("CAP_SYSLOG"),
        },
        {
                .names = LIST("bpf"),
                .inc_caps = LIST("CAP_BPF"),
        },
        {
                .names = LIST("perf_event_open"),
                .inc_caps = LIST("CAP_PERFMON"),
        },
};

/* The architectures a filter for a native one also covers. */
static const struct {
        const char *arch;
        const char *const *subs;
} default_arch_map[] = {
        {"SCMP_ARCH_X86_64", LIST("SCMP_ARCH_X86", "SCMP_ARCH_X32")},
        {"SCMP_ARCH_AARCH64", LIST("SCMP_ARCH_ARM")},
        {"SCMP_ARCH_MIPS64", LIST("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32")},
        {"SCMP_ARCH_MIPSEL64", LIST("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32")},
        {"SCMP_ARCH_PPC64LE", NULL},
        {"SCMP_ARCH_S390X", LIST("SCMP_ARCH_S390")},
        {"SCMP_ARCH_RISCV64", NULL},
};

/* {"caps": [...], "arches": [...], "minKernel": "..."} or NULL when empty. */
static int default_condition(json_t *entry, const char *key, const char *const *caps,
                             const char *const *arches, const char *min_kernel)
{
        json_t *cond;

        if (!caps && !arches && !min_kernel)
                return 0;
        cond = json_object();
        if (!cond || json_object_set_new(entry, key, cond) < 0)
                return -ENOMEM;
        if (caps && json_object_set_new(cond, "caps", json_string_array(caps)) < 0)
                return -ENOMEM;
        if (arches && json_object_set_new(cond, "arches", json_string_array(arches)) < 0)
                return -ENOMEM;
        if (min_kernel && json_object_set_new(cond, "minKernel", json_string(min_kernel)) < 0)
                return -ENOMEM;
        return 0;
}

static json_t *default_rule(const default_rule_t *rule)
{
        json_t *e = json_object(), *args;

        if (!e)
                return NULL;
        if (json_object_set_new(e, "names", json_string_array(rule->names)) < 0 ||
            json_object_set_new(e, "action", json_string(rule->action ? rule->action : "SCMP_ACT_ALLOW")) <
                    0 ||
            (rule->errno_ret && json_object_set_new(e, "errnoRet", json_integer(rule->errno_ret)) < 0) ||
            (rule->comment && json_object_set_new(e, "comment", json_string(rule->comment)) < 0) ||
            default_condition(e, "includes", rule->inc_caps, rule->inc_arches, rule->min_kernel) < 0 ||
            default_condition(e, "excludes", rule->exc_caps, rule->exc_arches, NULL) < 0)
                goto fail;
        if (rule->n_args > 0) {
                args = json_array();
                if (!args || json_object_set_new(e, "args", args) < 0)
                        goto fail;
                for (size_t i = 0; i < rule->n_args; i++) {
                        const default_arg_t *a = &rule->args[i];
                        json_t *o = json_pack("{s:I, s:I, s:I, s:s}", "index", (json_int_t)a->index, "value",
                                              (json_int_t)a->value, "valueTwo", (json_int_t)a->value_two,
                                              "op", a->op);

                        if (!o || json_array_append_new(args, o) < 0)
                                goto fail;
                }
        }
        return e;
fail:
        json_decref(e);
        return NULL;
}

json_t *engine_seccomp_default_profile(void)
{
        json_t *p, *arch_map, *syscalls;

        p = json_pack("{s:s, s:i}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", EPERM);
        if (!p)
                return NULL;
        /* json_object_set_new takes its reference even when it fails. */
        arch_map = json_array();
        if (json_object_set_new(p, "archMap", arch_map) < 0)
                goto fail;
        syscalls = json_array();
        if (json_object_set_new(p, "syscalls", syscalls) < 0)
                goto fail;
        for (size_t i = 0; i < ARRAY_SIZE(default_arch_map); i++) {
                json_t *m = json_pack("{s:s, s:o}", "architecture", default_arch_map[i].arch,
                                      "subArchitectures", json_string_array(default_arch_map[i].subs));

                if (!m || json_array_append_new(arch_map, m) < 0)
                        goto fail;
        }
        for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++) {
                json_t *e = default_rule(&default_rules[i]);

                if (!e || json_array_append_new(syscalls, e) < 0)
                        goto fail;
        }
        return p;
fail:
        json_decref(p);
        return NULL;
}

json_t *engine_seccomp_default(char *const *caps, cell_error_t *err)
{
        json_t *profile = engine_seccomp_default_profile(), *out;

        if (!profile)
                return cell_error_set(err, ENOMEM, "default seccomp profile"), NULL;
        out = engine_seccomp_from_docker(profile, caps, err);
        json_decref(profile);
        if (!out)
                cell_error_prefix(err, "default seccomp profile");
        return out;
}
