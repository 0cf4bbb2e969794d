/* cell: exec — a new process in a running container.
 *
 * The process joins every namespace of the container's init at once with
 * setns(pidfd, flags), which orders the joins itself (user first) and
 * cannot race with a pid reuse. A pid or time namespace applies to
 * children only, so the joining process (the "joiner") clones the real one
 * with CLONE_PARENT: the new process is the runtime's own child, which a
 * foreground exec can wait for without being a subreaper, and a detached
 * exec hands to whoever reaps the runtime's children (containerd's shim is
 * a subreaper).
 *
 * The runtime moves the process into the container's cgroup before letting
 * it go on, so nothing it does is ever charged outside the container. It
 * then gets the container's capabilities, user and seccomp filter unless
 * the caller overrides them, exactly as the init did. Its errors before
 * execve come back over the sync socket, which is close-on-exec: EOF means
 * the program is executing. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "seccomp.h"
#include "strutil.h"

typedef struct {
        const spec_t *spec; /* the container's config with the exec'd process */
        const runtime_exec_opts_t *opts;
        const runtime_state_t *st;
        const seccomp_prog_t *seccomp;
        int pidfd;
        int ns_flags;
        int sync_fd;
} exec_ctx_t;

__attribute__((noreturn)) static void exec_fail(int sync_fd, cell_error_t *err)
{
        sync_send_error(sync_fd, err);
        _exit(127);
}

/* The process itself: inside every namespace, waiting for the runtime to
 * put it in the cgroup. */
__attribute__((noreturn)) static void exec_process(exec_ctx_t *x)
{
        const spec_t *spec = x->spec;
        const spec_process_t *proc = &spec->process;
        bool userns = spec->namespaces[SPEC_NS_USER].present;
        int preserve = x->opts->preserve_fds;
        cell_error_t err = {0};
        sync_hdr_t hdr;
        int r;

        r = sync_recv(x->sync_fd, &hdr, NULL, NULL);
        if (r < 0 || hdr.type != SYNC_GO)
                _exit(127);
        /* setns() put the root and cwd at the root of the container's mount
         * namespace; with --no-pivot that is still the host's root. */
        if (x->st->no_pivot && (chroot(x->st->rootfs) < 0 || chdir("/") < 0)) {
                cell_error_errno(&err, "chroot %s", x->st->rootfs);
                exec_fail(x->sync_fd, &err);
        }
        if (process_apply_rlimits(spec, &err) < 0)
                exec_fail(x->sync_fd, &err);
        if (proc->terminal) {
                _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                int master = -1, slave = -1;

                if (rootfd < 0) {
                        cell_error_errno(&err, "open /");
                        exec_fail(x->sync_fd, &err);
                }
                if (terminal_open_in_root(rootfd, proc->console_height, proc->console_width, &master, &slave,
                                          &err) < 0)
                        exec_fail(x->sync_fd, &err);
                if (sync_send(x->sync_fd, SYNC_PTY, 0, 0, NULL, 0, master) < 0)
                        _exit(127);
                close(master);
                if (terminal_make_controlling(slave, &err) < 0)
                        exec_fail(x->sync_fd, &err);
        }
        /* No descriptor of the runtime may follow the process in: the
         * preserved ones and stdio stay, the sync socket closes at execve. */
        for (int fd = 3; fd < 3 + preserve; fd++)
                fcntl(fd, F_SETFD, 0);
        if (syscall(SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                cell_error_errno(&err, "close_range");
                exec_fail(x->sync_fd, &err);
        }
        if (process_chdir(proc->cwd, &err) < 0) {
                cell_error_t err2 = {0};
                if (process_set_user_and_caps(spec, userns, x->seccomp, &err2) < 0)
                        exec_fail(x->sync_fd, &err2);
                if (process_chdir(proc->cwd, &err) < 0)
                        exec_fail(x->sync_fd, &err);
        } else if (process_set_user_and_caps(spec, userns, x->seccomp, &err) < 0) {
                exec_fail(x->sync_fd, &err);
        }
        process_exec(spec, &err);
        exec_fail(x->sync_fd, &err);
}

/* The joiner: enters the namespaces, clones the process, says its pid. */
__attribute__((noreturn)) static void exec_joiner(exec_ctx_t *x)
{
        struct clone_args ca = {.flags = CLONE_PARENT};
        cell_error_t err = {0};
        pid_t child;

        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (x->ns_flags && setns(x->pidfd, x->ns_flags) < 0) {
                cell_error_errno(&err, "join the namespaces of container \"%s\"", x->st->id);
                exec_fail(x->sync_fd, &err);
        }
        child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (child < 0) {
                cell_error_errno(&err, "clone the process");
                exec_fail(x->sync_fd, &err);
        }
        if (child == 0) {
                close(x->pidfd);
                exec_process(x);
        }
        sync_send(x->sync_fd, SYNC_NS_READY, 0, child, NULL, 0, -1);
        _exit(0);
}

static int parse_user(const char *s, spec_process_t *p, cell_error_t *err)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || v > UINT32_MAX || (*end && *end != ':'))
                return cell_error_set(err, EINVAL, "--user \"%s\": expected UID[:GID] as numbers", s);
        p->uid = (uint32_t)v;
        if (*end == ':') {
                const char *g = end + 1;
                errno = 0;
                v = strtoul(g, &end, 10);
                if (errno || end == g || *end || v > UINT32_MAX)
                        return cell_error_set(err, EINVAL, "--user \"%s\": expected UID[:GID] as numbers", s);
                p->gid = (uint32_t)v;
        }
        return 0;
}

/* The exec'd process from the command line: the container's process with
 * the caller's changes (runc exec's rules). */
static int process_from_flags(spec_t *spec, const runtime_exec_opts_t *o, cell_error_t *err)
{
        spec_process_t *p = &spec->process;

        if (!o->args || !o->args[0])
                return cell_error_set(err, EINVAL, "exec: no command given (args or --process)");
        strv_free(p->args);
        p->args = strv_copy(o->args);
        if (!p->args)
                return cell_error_set(err, ENOMEM, "exec");
        p->terminal = o->tty;
        for (size_t i = 0; o->env && o->env[i]; i++) {
                if (!strchr(o->env[i], '='))
                        return cell_error_set(err, EINVAL, "--env \"%s\": expected NAME=VALUE", o->env[i]);
                if (strv_set_env(&p->env, o->env[i]) < 0)
                        return cell_error_set(err, ENOMEM, "exec");
        }
        if (o->cwd) {
                if (o->cwd[0] != '/')
                        return cell_error_set(err, EINVAL, "--cwd \"%s\": must be an absolute path", o->cwd);
                free(p->cwd);
                p->cwd = strdup(o->cwd);
                if (!p->cwd)
                        return cell_error_set(err, ENOMEM, "exec");
        }
        if (o->user && parse_user(o->user, p, err) < 0)
                return -1;
        if (o->n_additional_gids > 0) {
                gid_t *g = calloc(o->n_additional_gids, sizeof(*g));
                if (!g)
                        return cell_error_set(err, ENOMEM, "exec");
                memcpy(g, o->additional_gids, o->n_additional_gids * sizeof(*g));
                free(p->additional_gids);
                p->additional_gids = g;
                p->n_additional_gids = o->n_additional_gids;
        }
        for (size_t i = 0; o->caps && o->caps[i]; i++) {
                int c = spec_cap_from_name(o->caps[i]);
                if (c < 0)
                        return cell_error_set(err, EINVAL, "--cap \"%s\": unknown capability", o->caps[i]);
                p->caps[SPEC_CAP_BOUNDING] |= 1ULL << c;
                p->caps[SPEC_CAP_EFFECTIVE] |= 1ULL << c;
                p->caps[SPEC_CAP_PERMITTED] |= 1ULL << c;
                /* Ambient needs inheritable: only when the config gives some. */
                if (p->caps[SPEC_CAP_INHERITABLE]) {
                        p->caps[SPEC_CAP_INHERITABLE] |= 1ULL << c;
                        p->caps[SPEC_CAP_AMBIENT] |= 1ULL << c;
                }
        }
        if (o->no_new_privs)
                p->no_new_privileges = true;
        return 0;
}

static int build_process(spec_t *spec, const runtime_exec_opts_t *o, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL;
        json_error_t jerr;
        json_t *proc;
        int r;

        if (!o->process_path)
                return process_from_flags(spec, o, err);
        if (fs_read_file(o->process_path, 4u << 20, &data, NULL, err) < 0)
                return cell_error_prefix(err, "--process");
        proc = json_loads(data, 0, &jerr);
        if (!proc)
                return cell_error_set(err, EINVAL, "--process %s: line %d: %s", o->process_path, jerr.line,
                                      jerr.text);
        r = spec_replace_process(spec, proc, err);
        json_decref(proc);
        if (r < 0)
                return cell_error_prefix(err, "--process %s", o->process_path);
        /* Flags given next to --process still apply, as with runc. */
        if (o->no_new_privs)
                spec->process.no_new_privileges = true;
        return 0;
}

int runtime_exec(const runtime_exec_opts_t *o, int *ret_status, cell_error_t *err)
{
        char seccomp_cache[PATH_MAX];
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *config = NULL;
        _cleanup_close_ int pidfd = -1;
        _cleanup_close_ int master = -1;
        seccomp_prog_t *filter = NULL;
        cgroup_t *cg = NULL;
        spec_t *spec = NULL;
        exec_ctx_t x = {0};
        runtime_status_t status;
        int sv[2] = {-1, -1};
        pid_t joiner = -1, child = -1;
        sync_hdr_t hdr;
        sigset_t fwd, old;
        bool blocked = false;
        int r = -1;

        *ret_status = 0;
        if (state_load(o->root, o->id, &st, &dir, err) < 0)
                return -1;
        status = state_status(dir, st);
        if (status == RUNTIME_STOPPED) {
                cell_error_set(err, EINVAL, "cannot exec in container \"%s\": it is stopped", o->id);
                goto out;
        }
        if (status == RUNTIME_PAUSED && !o->ignore_paused) {
                cell_error_set(err, EINVAL, "cannot exec in container \"%s\": it is paused", o->id);
                goto out;
        }
        config = str_printf("%s/config.json", dir);
        spec = config ? spec_load(config, err) : NULL;
        if (!spec)
                goto out;
        if (build_process(spec, o, err) < 0)
                goto out;
        /* The other half of sealed.c's reasoning: before start, an init that
         * runs the runtime's own binary is protected by being non-dumpable,
         * which CAP_SYS_PTRACE would get around. */
        if (status == RUNTIME_CREATED && st->init_unsealed && !spec->namespaces[SPEC_NS_USER].present &&
            (spec->process.caps[SPEC_CAP_BOUNDING] & (1ULL << 19 /* CAP_SYS_PTRACE */))) {
                cell_error_set(err, EPERM,
                               "container \"%s\" is not started yet and its init still runs the runtime's "
                               "binary: a process with CAP_SYS_PTRACE may join it only after start "
                               "(CVE-2019-5736)",
                               o->id);
                goto out;
        }
        if (spec->process.terminal && o->detach && !o->console_socket) {
                cell_error_set(err, EINVAL, "a detached exec with a terminal needs --console-socket");
                goto out;
        }
        /* Compiled programs are kept under the state root (see seccomp.c). */
        snprintf(seccomp_cache, sizeof(seccomp_cache), "%s/#seccomp", o->root);
        if (spec->seccomp && seccomp_compile_cached(spec->seccomp, seccomp_cache, &filter, err) < 0)
                goto out;
        if (st->cgroup && cgroup_load(st->cgroup, &cg, err) < 0)
                goto out;
        pidfd = proc_pidfd_open(st->pid);
        if (pidfd < 0 || proc_starttime(st->pid, NULL) != st->starttime) {
                cell_error_set(err, ESRCH, "cannot exec in container \"%s\": its init is gone", o->id);
                goto out;
        }
        for (int t = 0; t < SPEC_NS__MAX; t++)
                if (spec->namespaces[t].present)
                        x.ns_flags |= spec_ns_clone_flag(t);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                cell_error_errno(err, "socketpair");
                goto out;
        }
        x.spec = spec;
        x.opts = o;
        x.st = st;
        x.seccomp = filter;
        x.pidfd = pidfd;
        x.sync_fd = sv[1];
        if (!o->detach) {
                run_block_forwarded_signals(&fwd, &old);
                blocked = true;
        }
        joiner = fork();
        if (joiner < 0) {
                cell_error_errno(err, "fork");
                goto out;
        }
        if (joiner == 0) {
                close(sv[0]);
                exec_joiner(&x);
        }
        close(sv[1]);
        sv[1] = -1;
        {
                int rr = sync_recv(sv[0], &hdr, NULL, NULL);
                while (waitpid(joiner, NULL, 0) < 0 && errno == EINTR)
                        ;
                joiner = -1;
                if (rr < 0 || hdr.type != SYNC_NS_READY) {
                        if (rr == 0 && hdr.type == SYNC_ERROR)
                                cell_error_set(err, hdr.code, "exec: could not join the container");
                        else
                                cell_error_set(err, EPROTO, "exec: the process could not be started");
                        goto fail;
                }
        }
        child = hdr.pid;
        if (cg && cgroup_add_pid(cg, child, err) < 0)
                goto fail;
        if (sync_send(sv[0], SYNC_GO, 0, 0, NULL, 0, -1) < 0) {
                cell_error_errno(err, "sync");
                goto fail;
        }
        for (;;) {
                _cleanup_free_ char *payload = NULL;
                int fd = -1;
                int rr = sync_recv(sv[0], &hdr, &payload, &fd);

                if (rr == -EPIPE)
                        break; /* close-on-exec: the program runs */
                if (rr < 0) {
                        cell_error_set(err, -rr, "exec: reading from the process");
                        goto fail;
                }
                if (hdr.type == SYNC_ERROR) {
                        cell_error_set(err, 0, "%s", payload && *payload ? payload : "exec failed");
                        err->code = hdr.code;
                        goto fail;
                }
                if (hdr.type == SYNC_PTY && fd >= 0) {
                        if (o->console_socket) {
                                int sr = terminal_send_to_socket(o->console_socket, fd, err);
                                close(fd);
                                if (sr < 0)
                                        goto fail;
                        } else {
                                master = fd;
                        }
                        continue;
                }
                if (fd >= 0)
                        close(fd);
        }
        if (o->pid_file) {
                char buf[32];
                int n = snprintf(buf, sizeof(buf), "%d", (int)child);

                if (fs_write_replace(o->pid_file, buf, (size_t)n, 0644, err) < 0)
                        goto fail;
        }
        if (o->detach) {
                r = 0;
                goto out;
        }
        r = run_wait_foreground(child, master, ret_status, err);
        goto out;

fail:
        if (child > 0) {
                kill(child, SIGKILL);
                while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        r = -1;
out:
        if (joiner > 0) {
                kill(joiner, SIGKILL);
                while (waitpid(joiner, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (blocked)
                sigprocmask(SIG_SETMASK, &old, NULL);
        if (sv[0] >= 0)
                close(sv[0]);
        if (sv[1] >= 0)
                close(sv[1]);
        cgroup_free(cg);
        seccomp_prog_free(filter);
        spec_free(spec);
        state_free(st);
        return r;
}
