/* cell: the container's init, from clone to execve.
 *
 * It talks to the runtime over the sync socket until the container is
 * created, then blocks opening exec.fifo for writing until `start` opens it
 * for reading. The write end is close-on-exec, so `start` sees EOF exactly
 * when the user's program is executing; an error after that point is
 * written into the fifo for `start` to report. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "seccomp.h"
#include "strutil.h"

__attribute__((noreturn)) static void fail_sync(int sync_fd, cell_error_t *err)
{
        sync_send_error(sync_fd, err);
        _exit(1);
}

__attribute__((noreturn)) static void fail_fifo(int fifo, cell_error_t *err)
{
        char buf[CELL_ERROR_MAX + 2];
        int n = snprintf(buf, sizeof(buf), "E%s", err->msg);

        if (n > 0 && write(fifo, buf, (size_t)n) < 0) {
                /* start will see EOF without a message. */
        }
        _exit(127);
}

static int join_namespaces(init_ctx_t *ctx, bool user_only, cell_error_t *err)
{
        /* user first, mount last: joining the mount namespace changes how
         * every later path resolves. */
        static const spec_ns_type_t order[] = {SPEC_NS_USER, SPEC_NS_PID,    SPEC_NS_NET,  SPEC_NS_IPC,
                                               SPEC_NS_UTS,  SPEC_NS_CGROUP, SPEC_NS_TIME, SPEC_NS_MOUNT};

        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                spec_ns_type_t t = order[i];

                if (ctx->ns_fds[t] < 0 || (user_only && t != SPEC_NS_USER) ||
                    (!user_only && t == SPEC_NS_USER))
                        continue;
                if (setns(ctx->ns_fds[t], spec_ns_clone_flag(t)) < 0)
                        return cell_error_errno(err, "linux.namespaces: join the %s namespace %s",
                                                spec_ns_name(t), ctx->spec->namespaces[t].path);
                close(ctx->ns_fds[t]);
                ctx->ns_fds[t] = -1;
        }
        return 0;
}

static int wait_for(int sync_fd, sync_type_t type, char **payload, cell_error_t *err)
{
        sync_hdr_t hdr;
        int r = sync_recv(sync_fd, &hdr, payload, NULL);

        if (r < 0)
                return cell_error_set(err, -r, "waiting for the runtime");
        if (hdr.type != (int)type)
                return cell_error_set(err, EPROTO, "unexpected message %d from the runtime", hdr.type);
        return 0;
}

/* Before the go, the runtime may send the container's v1 cgroups as `tasks`
 * fds: writing "0" moves this (single-threaded) process without the
 * kernel's global threadgroup lock, whose write side waits for an RCU grace
 * period (see cgroup.h). */
static int wait_for_go(int sync_fd, char **state_json, cell_error_t *err)
{
        for (;;) {
                sync_hdr_t hdr;
                char *payload = NULL;
                int fd = -1;
                int r = sync_recv(sync_fd, &hdr, &payload, &fd);

                if (r < 0)
                        return cell_error_set(err, -r, "waiting for the runtime");
                if (hdr.type == SYNC_GO) {
                        if (fd >= 0)
                                close(fd);
                        *state_json = payload;
                        return 0;
                }
                free(payload);
                if (hdr.type == SYNC_CGROUP_FD && fd < 0) {
                        /* The last one: tell the runtime we are in (its
                         * hooks may look). */
                        if (sync_send(sync_fd, SYNC_CGROUP_FD, 0, 0, NULL, 0, -1) < 0)
                                return cell_error_errno(err, "sync");
                        continue;
                }
                if (hdr.type != SYNC_CGROUP_FD) {
                        if (fd >= 0)
                                close(fd);
                        return cell_error_set(err, EPROTO, "unexpected message %d from the runtime",
                                              hdr.type);
                }
                r = (int)TEMP_FAILURE_RETRY_INT(write(fd, "0", 1));
                if (r != 1) {
                        int e = errno;
                        close(fd);
                        return cell_error_set(err, e, "join the container's cgroup");
                }
                close(fd);
        }
}

static int write_time_offsets(const spec_t *spec, cell_error_t *err)
{
        char buf[256];
        int n;

        if (!spec->has_time_offsets)
                return 0;
        n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
                     (long long)spec->time_offset_secs[0], spec->time_offset_nsecs[0],
                     (long long)spec->time_offset_secs[1], spec->time_offset_nsecs[1]);
        if (fs_write_existing("/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
                return cell_error_prefix(err, "linux.timeOffsets");
        return 0;
}

static int apply_process_attributes(const spec_t *spec, cell_error_t *err)
{
        const spec_process_t *p = &spec->process;

        if (p->has_oom_score_adj) {
                char buf[16];
                int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);

                if (fs_write_existing("/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
                        return cell_error_prefix(err, "process.oomScoreAdj");
        }
        if (spec->has_personality && personality(spec->personality) < 0)
                return cell_error_errno(err, "linux.personality");
        if (p->has_io_priority && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
                                          (p->io_priority_class << 13) | p->io_priority) < 0)
                return cell_error_errno(err, "process.ioPriority");
        return process_apply_rlimits(spec, err);
}

static char *state_with_status(const char *state_json, const char *status)
{
        json_t *o = json_loads(state_json ? state_json : "{}", 0, NULL);
        char *s;

        if (!o)
                return strdup(state_json ? state_json : "{}");
        json_object_set_new(o, "status", json_string(status));
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

void init_main(init_ctx_t *ctx)
{
        const spec_t *spec = ctx->spec;
        const spec_process_t *proc = &spec->process;
        int sync_fd = ctx->sync_fd;
        bool userns = spec->namespaces[SPEC_NS_USER].present;
        bool new_userns = userns && !spec->namespaces[SPEC_NS_USER].path;
        _cleanup_free_ char *state_json = NULL;
        _cleanup_free_ char *hook_state = NULL;
        _cleanup_free_ int *idmap_fds = NULL;
        cell_error_t err = {0};
        int rootfd = -1, procfd = -1, master = -1, slave = -1, fifo = -1;
        int preserve = ctx->opts->preserve_fds;

        cell_error_clear(&err);
        /* Non-dumpable until execve: /proc/1/exe (the runtime's binary when
         * it is not running from the sealed copy) then opens only for
         * CAP_SYS_PTRACE in the initial user namespace (see sealed.c). In a
         * user namespace the /proc/self files would then belong to the
         * host's root and be out of our reach; there the binary's owner is
         * what protects it. */
        if (!userns)
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (ctx->fast)
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        umask(0);

        if (!ctx->fast) {
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                if (join_namespaces(ctx, true, &err) < 0 || join_namespaces(ctx, false, &err) < 0)
                        fail_sync(sync_fd, &err);
                if (ctx->unshare_flags && unshare(ctx->unshare_flags) < 0) {
                        cell_error_errno(&err, "linux.namespaces: unshare");
                        fail_sync(sync_fd, &err);
                }
        }
        if (new_userns) {
                if (sync_send(sync_fd, SYNC_USERMAP, 0, 0, NULL, 0, -1) < 0 ||
                    wait_for(sync_fd, SYNC_USERMAP_DONE, NULL, &err) < 0)
                        _exit(1);
        }
        /* Before the uid change: that makes us non-dumpable, and /proc/self
         * files then belong to the host's root. */
        if (!ctx->fast && write_time_offsets(spec, &err) < 0)
                fail_sync(sync_fd, &err);
        if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
                cell_error_errno(&err, "become root in the user namespace (is uid 0 mapped?)");
                fail_sync(sync_fd, &err);
        }
        if (!ctx->fast && ctx->fork_init) {
                /* CLONE_PARENT: the init is the runtime's own child, which
                 * it waits for (and reaps on delete) without becoming a
                 * subreaper. */
                struct clone_args ca = {.flags = CLONE_PARENT};
                pid_t child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));

                if (child < 0) {
                        cell_error_errno(&err, "fork the container init");
                        fail_sync(sync_fd, &err);
                }
                if (child > 0) {
                        sync_send(sync_fd, SYNC_NS_READY, 0, child, NULL, 0, -1);
                        _exit(0);
                }
                /* The intermediate process exits at once: no parent-death
                 * signal here, the runtime watches this process by pid. */
        } else {
                sync_send(sync_fd, SYNC_NS_READY, 0, 0, NULL, 0, -1);
        }

        /* Idmapped mounts arrive before the go: the runtime makes them. */
        if (mounts_recv_idmapped(spec, sync_fd, &idmap_fds, &err) < 0)
                fail_sync(sync_fd, &err);
        if (wait_for_go(sync_fd, &state_json, &err) < 0)
                fail_sync(sync_fd, &err);
        /* Relative bind-mount sources are relative to the bundle. */
        if (chdir(ctx->bundle) < 0) {
                cell_error_errno(&err, "chdir to the bundle %s", ctx->bundle);
                fail_sync(sync_fd, &err);
        }
        if (spec->namespaces[SPEC_NS_CGROUP].present && !spec->namespaces[SPEC_NS_CGROUP].path &&
            unshare(CLONE_NEWCGROUP) < 0) {
                cell_error_errno(&err, "linux.namespaces: unshare the cgroup namespace");
                fail_sync(sync_fd, &err);
        }
        if (apply_process_attributes(spec, &err) < 0)
                fail_sync(sync_fd, &err);

        hook_state = state_with_status(state_json, "creating");
        if (spec->namespaces[SPEC_NS_MOUNT].present) {
                if (mounts_setup_rootfs(spec, ctx->rootfs, ctx->opts->no_pivot, idmap_fds, &rootfd, &err) < 0)
                        fail_sync(sync_fd, &err);
                if (mounts_setup_dev(spec, rootfd, userns, &err) < 0)
                        fail_sync(sync_fd, &err);
                if (proc->terminal) {
                        if (terminal_open_in_root(rootfd, proc->console_height, proc->console_width, &master,
                                                  &slave, &err) < 0 ||
                            mounts_bind_console(rootfd, slave, &err) < 0)
                                fail_sync(sync_fd, &err);
                        if (sync_send(sync_fd, SYNC_PTY, 0, 0, NULL, 0, master) < 0)
                                _exit(1);
                        close(master);
                }
                if (hooks_run(spec, SPEC_HOOK_CREATE_CONTAINER, hook_state, &err) < 0)
                        fail_sync(sync_fd, &err);
                procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (procfd < 0) {
                        cell_error_errno(&err, "open /proc");
                        fail_sync(sync_fd, &err);
                }
                if (mounts_pivot_root(rootfd, ctx->opts->no_pivot, &err) < 0)
                        fail_sync(sync_fd, &err);
                close(rootfd);
                if (mounts_finalize(spec, &err) < 0)
                        fail_sync(sync_fd, &err);
        } else {
                if (proc->terminal) {
                        cell_error_set(&err, EINVAL, "process.terminal: needs a mount namespace");
                        fail_sync(sync_fd, &err);
                }
                if (hooks_run(spec, SPEC_HOOK_CREATE_CONTAINER, hook_state, &err) < 0)
                        fail_sync(sync_fd, &err);
                procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (procfd < 0 || chroot(ctx->rootfs) < 0 || chdir("/") < 0) {
                        cell_error_errno(&err, "chroot %s", ctx->rootfs);
                        fail_sync(sync_fd, &err);
                }
        }
        if (spec->hostname && spec->namespaces[SPEC_NS_UTS].present &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
                cell_error_errno(&err, "hostname");
                fail_sync(sync_fd, &err);
        }
        if (spec->domainname && spec->namespaces[SPEC_NS_UTS].present &&
            setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
                cell_error_errno(&err, "domainname");
                fail_sync(sync_fd, &err);
        }

        /* A filter with a listener goes on now, while the runtime can still
         * take the listener to its agent; the rest of the set-up is then
         * filtered too (the agent answers for it). */
        if (ctx->seccomp && seccomp_has_listener(ctx->seccomp)) {
                int listener = -1;

                if (seccomp_install(ctx->seccomp, &listener, &err) < 0) {
                        cell_error_prefix(&err, "linux.seccomp");
                        fail_sync(sync_fd, &err);
                }
                if (sync_send(sync_fd, SYNC_SECCOMP, 0, 0, NULL, 0, listener) < 0)
                        _exit(1);
                close(listener);
                ctx->seccomp = NULL;
        }

        /* From here on the container outlives `create`: drop the parent-death
         * signal before saying so, or the runtime's exit could kill us. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (sync_send(sync_fd, SYNC_CREATED, 0, 0, NULL, 0, -1) < 0)
                _exit(1);
        close(sync_fd);

        {
                char path[64];
                int wfd;

                snprintf(path, sizeof(path), "self/fd/%d", ctx->fifo_fd);
                wfd = TEMP_FAILURE_RETRY_INT(openat(procfd, path, O_WRONLY | O_CLOEXEC));
                if (wfd < 0)
                        _exit(1);
                /* Keep the fifo above the preserved range. */
                fifo = fcntl(wfd, F_DUPFD_CLOEXEC, 3 + preserve);
                close(wfd);
                close(procfd);
                close(ctx->fifo_fd);
                if (fifo < 0 || write(fifo, "0", 1) != 1)
                        _exit(1);
        }
        hook_state = (free(hook_state), state_with_status(state_json, "created"));
        if (hooks_run(spec, SPEC_HOOK_START_CONTAINER, hook_state, &err) < 0)
                fail_fifo(fifo, &err);
        if (proc->terminal && terminal_make_controlling(slave, &err) < 0)
                fail_fifo(fifo, &err);
        /* Only stdio, the preserved descriptors and the fifo survive; the
         * rest is closed before the cwd is entered, so that no descriptor of
         * the runtime can serve as a way out of the root (CVE-2024-21626). */
        for (int fd = 3; fd < 3 + preserve; fd++)
                fcntl(fd, F_SETFD, 0);
        if (fifo > 3 + preserve)
                syscall(SYS_close_range, 3 + preserve, fifo - 1, 0);
        syscall(SYS_close_range, fifo + 1, ~0U, 0);
        if (process_chdir(proc->cwd, &err) < 0) {
                /* The directory may be reachable only as the user. */
                cell_error_t err2 = {0};
                if (process_set_user_and_caps(spec, userns, ctx->seccomp, &err2) < 0)
                        fail_fifo(fifo, &err2);
                if (process_chdir(proc->cwd, &err) < 0)
                        fail_fifo(fifo, &err);
        } else if (process_set_user_and_caps(spec, userns, ctx->seccomp, &err) < 0) {
                fail_fifo(fifo, &err);
        }
        process_exec(spec, &err);
        fail_fifo(fifo, &err);
}
