/* cell: from root inside the container to the user's program: rlimits,
 * user and groups, capabilities, no_new_privs, cwd and execve. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp.h"
#include "strutil.h"

int process_apply_rlimits(const spec_t *spec, cell_error_t *err)
{
        const spec_process_t *p = &spec->process;

        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};

                if (setrlimit((__rlimit_resource_t)p->rlimits[i].resource, &rl) < 0) {
                        int e = errno;
                        struct rlimit cur = {0};

                        getrlimit((__rlimit_resource_t)p->rlimits[i].resource, &cur);
                        if (e == EPERM)
                                return cell_error_set(
                                        err, e,
                                        "process.rlimits[%zu]: %s %llu/%llu (soft/hard): the hard "
                                        "limit here is %llu and raising it needs CAP_SYS_RESOURCE",
                                        i, spec_rlimit_name(p->rlimits[i].resource),
                                        (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
                                        (unsigned long long)cur.rlim_max);
                        return cell_error_set(err, e, "process.rlimits[%zu]: %s %llu/%llu (soft/hard)", i,
                                              spec_rlimit_name(p->rlimits[i].resource),
                                              (unsigned long long)rl.rlim_cur,
                                              (unsigned long long)rl.rlim_max);
                }
        }
        return 0;
}

static int capset_sets(uint64_t eff, uint64_t perm, uint64_t inh)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {
                {.effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh},
                {.effective = (uint32_t)(eff >> 32),
                 .permitted = (uint32_t)(perm >> 32),
                 .inheritable = (uint32_t)(inh >> 32)},
        };

        return (int)syscall(SYS_capset, &h, d);
}

static int install_filter(const struct seccomp_prog *filter, cell_error_t *err)
{
        int listener = -1;

        if (!filter)
                return 0;
        if (seccomp_install(filter, &listener, err) < 0)
                return cell_error_prefix(err, "linux.seccomp");
        /* A listener is handed over by the init before this point (see
         * init.c); a late one has no agent to talk to. */
        if (listener >= 0)
                close(listener);
        return 0;
}

int process_set_user_and_caps(const spec_t *spec, bool userns, const struct seccomp_prog *filter,
                              cell_error_t *err)
{
        const spec_process_t *p = &spec->process;
        int last = spec_cap_last();
        uint64_t bounding = p->caps[SPEC_CAP_BOUNDING];

        /* Without a capabilities section the process gets none at all: the
         * safe reading of an absent list. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return cell_error_errno(err, "prctl(PR_SET_KEEPCAPS)");
        for (int c = 0; c <= last; c++) {
                if (bounding & (1ULL << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return cell_error_errno(err, "process.capabilities.bounding: drop %s",
                                                spec_cap_name(c) ? spec_cap_name(c) : "?");
        }
        /* Also with no additional gids: the groups inherited from the runtime
         * must not follow the process in. In a user namespace whose gid map
         * an unprivileged runtime wrote itself, setgroups is denied (dropping
         * a group could lift a deny-by-group permission) and they stay. */
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0 &&
            !(errno == EPERM && userns && p->n_additional_gids == 0))
                return cell_error_errno(err, "process.user.additionalGids: setgroups");
        /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN,
         * which the uid change below takes away from the effective set. */
        if (!p->no_new_privileges && install_filter(filter, err) < 0)
                return -1;
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return cell_error_errno(err, "process.user.gid: setgid %u", p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return cell_error_errno(err, "process.user.uid: setuid %u", p->uid);
        if (capset_sets(p->caps[SPEC_CAP_EFFECTIVE], p->caps[SPEC_CAP_PERMITTED],
                        p->caps[SPEC_CAP_INHERITABLE]) < 0) {
                int e = errno;

                /* Name the capability the runtime itself does not hold. */
                for (int c = 0; c <= last; c++)
                        if (((p->caps[SPEC_CAP_PERMITTED] | p->caps[SPEC_CAP_INHERITABLE]) & (1ULL << c)) &&
                            prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
                                return cell_error_set(
                                        err, e,
                                        "process.capabilities: %s is requested but not in the bounding "
                                        "set (process.capabilities.bounding, or the runtime's own)",
                                        spec_cap_name(c));
                return cell_error_set(err, e, "process.capabilities: capset");
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return cell_error_errno(err, "process.capabilities.ambient: clear");
        for (int c = 0; c <= last; c++) {
                if (!(p->caps[SPEC_CAP_AMBIENT] & (1ULL << c)))
                        continue;
                /* An ambient capability must also be permitted and inheritable;
                 * runc skips the ones that are not rather than failing. */
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
                        return cell_error_errno(err, "process.capabilities.ambient: raise %s",
                                                spec_cap_name(c));
        }
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return cell_error_errno(err, "prctl(PR_SET_KEEPCAPS)");
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return cell_error_errno(err, "process.noNewPrivileges");
        /* With no_new_privs nothing is needed: the filter goes on last, so
         * that none of the set-up above has to be allowed by it. */
        if (p->no_new_privileges && install_filter(filter, err) < 0)
                return -1;
        if (p->has_umask)
                umask(p->umask);
        else
                umask(022);
        return 0;
}

int process_chdir(const char *cwd, cell_error_t *err)
{
        char buf[PATH_MAX];

        if (chdir(cwd) < 0)
                return cell_error_errno(err, "process.cwd: chdir %s", cwd);
        /* A cwd reached through a descriptor that points outside the
         * container (/proc/self/fd/N, the CVE-2024-21626 class) shows up as an
         * unreachable directory: refuse to run there. */
        if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
                return cell_error_set(err, EPERM, "process.cwd: %s is outside the container's root", cwd);
        return 0;
}

static const char *env_path(char *const *env)
{
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], "PATH=", 5) == 0)
                        return env[i] + 5;
        return NULL;
}

/* The program starts with every signal deliverable and at its default
 * action, whatever its runtime's caller had: an engine that blocks the
 * signals it forwards (to read them from a signalfd), or a shell that
 * ignores SIGINT in background jobs, must not pass that on — a container's
 * pid 1 with SIGTERM blocked can never be stopped by it. execve keeps a
 * blocked mask and ignored signals, so they are reset here, last. */
static void reset_signals(void)
{
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &dfl, NULL); /* fails harmlessly for the few the libc reserves */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

int process_exec(const spec_t *spec, cell_error_t *err)
{
        char *const *argv = spec->process.args;
        char *const empty[] = {NULL};
        char *const *env = spec->process.env ? spec->process.env : empty;
        const char *path;
        char buf[PATH_MAX];
        int saved = ENOENT;

        reset_signals();

        if (strchr(argv[0], '/')) {
                execve(argv[0], argv, env);
                return cell_error_errno(err, "exec \"%s\"", argv[0]);
        }
        path = env_path(env);
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        while (*path) {
                const char *end = strchrnul(path, ':');
                size_t n = (size_t)(end - path);

                if (n == 0) {
                        snprintf(buf, sizeof(buf), "%s", argv[0]);
                } else if (n + strlen(argv[0]) + 2 <= sizeof(buf)) {
                        memcpy(buf, path, n);
                        buf[n] = '/';
                        memcpy(buf + n + 1, argv[0], strlen(argv[0]) + 1); /* length checked above */
                } else {
                        buf[0] = '\0';
                }
                if (buf[0]) {
                        execve(buf, argv, env);
                        if (errno != ENOENT && errno != ENOTDIR)
                                saved = errno;
                }
                path = *end ? end + 1 : end;
        }
        if (saved == ENOENT)
                return cell_error_set(err, ENOENT, "exec \"%s\": executable file not found in $PATH",
                                      argv[0]);
        return cell_error_set(err, saved, "exec \"%s\"", argv[0]);
}
