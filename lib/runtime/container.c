/* cell: the lifecycle operations of the runtime (create, start, state,
 * kill, delete, list), run on top of them, and the runtime side of the
 * conversation with the container's init. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "seccomp.h"
#include "strutil.h"

static char *now_rfc3339(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];
        size_t n;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
        return strdup(buf);
}

/* The host uid that is root in the container, for files the init opens. */
static uid_t host_root_uid(const spec_t *spec)
{
        for (size_t i = 0; i < spec->n_uid_mappings; i++)
                if (spec->uid_mappings[i].container_id == 0)
                        return spec->uid_mappings[i].host_id;
        return 0;
}

static gid_t host_root_gid(const spec_t *spec)
{
        for (size_t i = 0; i < spec->n_gid_mappings; i++)
                if (spec->gid_mappings[i].container_id == 0)
                        return spec->gid_mappings[i].host_id;
        return 0;
}

static int recv_expect(int sync_fd, sync_hdr_t *hdr, char **payload, int *fd, cell_error_t *err)
{
        int r = sync_recv(sync_fd, hdr, payload, fd);

        if (r == -EPIPE)
                return cell_error_set(err, ECHILD, "the container's init exited during set-up");
        if (r < 0)
                return cell_error_set(err, -r, "reading from the container's init");
        if (hdr->type == SYNC_ERROR) {
                /* The message already carries strerror; keep its code only. */
                cell_error_set(err, 0, "%s", payload && *payload ? *payload : "unknown error");
                err->code = hdr->code;
                return hdr->code > 0 ? -hdr->code : -1;
        }
        return 0;
}

static void kill_and_reap(pid_t first, pid_t init)
{
        if (init > 0)
                kill(init, SIGKILL);
        if (first > 0) {
                kill(first, SIGKILL);
                while (waitpid(first, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (init > 0 && init != first)
                waitpid(init, NULL, WNOHANG);
}

/* The device rules the cgroup gets: the config's own, then allow rules for
 * the devices every container has (the ones mounts_setup_dev makes, the pty
 * and console, mknod of anything — the node is useless without access) and
 * for linux.devices. Later rules win, so a deny-all in the config cannot
 * take /dev/null away from the container, as with runc. */
static json_t *effective_resources(const spec_t *spec)
{
        static const struct {
                char type;
                int major, minor; /* -1 = any */
                const char *access;
        } defaults[] = {
                {'c', -1, -1, "m"}, {'b', -1, -1, "m"},    {'c', 1, 3, "rwm"}, {'c', 1, 8, "rwm"},
                {'c', 1, 7, "rwm"}, {'c', 5, 0, "rwm"},    {'c', 1, 5, "rwm"}, {'c', 1, 9, "rwm"},
                {'c', 5, 1, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 10, 200, "rwm"},
        };
        json_t *res = spec->resources ? json_deep_copy(spec->resources) : json_object();
        json_t *devs;

        /* An unprivileged runtime has no device controller to write to: the
         * config's rules go through as they are (none, usually). */
        if (!res || geteuid() != 0)
                return res;
        devs = json_object_get(res, "devices");
        if (!json_is_array(devs)) {
                devs = json_array();
                json_object_set_new(res, "devices", devs);
        }
        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
                json_t *d = json_pack("{s:b,s:s%,s:s}", "allow", 1, "type", &defaults[i].type, (size_t)1,
                                      "access", defaults[i].access);
                if (defaults[i].major >= 0)
                        json_object_set_new(d, "major", json_integer(defaults[i].major));
                if (defaults[i].minor >= 0)
                        json_object_set_new(d, "minor", json_integer(defaults[i].minor));
                json_array_append_new(devs, d);
        }
        for (size_t i = 0; i < spec->n_devices; i++) {
                const spec_device_t *sd = &spec->devices[i];
                char t[2] = {sd->type == 'u' ? 'c' : sd->type, 0};

                if (sd->type == 'p')
                        continue; /* a fifo is no device for the cgroup */
                json_array_append_new(devs, json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", t, "major",
                                                      (json_int_t)sd->major, "minor", (json_int_t)sd->minor,
                                                      "access", "rwm"));
        }
        return res;
}

int create_container(const runtime_create_opts_t *o, bool keep_master, created_t *out, cell_error_t *err)
{
        char seccomp_cache[PATH_MAX];
        _cleanup_free_ char *bundle = NULL;
        _cleanup_free_ char *config_path = NULL;
        _cleanup_free_ char *rootfs = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *fifo_path = NULL;
        _cleanup_free_ char *config_copy = NULL;
        _cleanup_free_ char *config_data = NULL;
        _cleanup_close_ int fifo_fd = -1;
        _cleanup_close_ int master = -1;
        spec_t *spec = NULL;
        seccomp_prog_t *filter = NULL;
        cgroup_t *cg = NULL;
        runtime_state_t st = {0};
        init_ctx_t ctx = {0};
        int sv[2] = {-1, -1};
        pid_t first = -1, init = -1;
        size_t config_len = 0;
        bool dir_made = false;
        bool cloned_into_v2 = false; /* or there is no v2 hierarchy: the init may join v1 itself */
        sync_hdr_t hdr;
        int r = -1;

        for (int i = 0; i < SPEC_NS__MAX; i++)
                ctx.ns_fds[i] = -1;
        out->pid = -1;
        out->master = -1;
        if (runtime_check_id(o->id, err) < 0)
                return -EINVAL;
        bundle = realpath(o->bundle ? o->bundle : ".", NULL);
        if (!bundle)
                return cell_error_errno(err, "bundle %s", o->bundle ? o->bundle : ".");
        config_path = o->config_path ? strdup(o->config_path) : str_printf("%s/config.json", bundle);
        if (!config_path)
                return cell_error_set(err, ENOMEM, "create");
        if (fs_read_file(config_path, 16u << 20, &config_data, &config_len, err) < 0)
                return -1;
        spec = spec_parse(config_data, config_len, err);
        if (!spec)
                return cell_error_prefix(err, "%s", config_path);
        /* A config without a process may be created (the spec allows it);
         * start refuses it. */
        if (spec->process.terminal && !o->console_socket && !keep_master) {
                r = cell_error_set(err, EINVAL,
                                   "process.terminal is true: a detached container needs --console-socket");
                goto out;
        }
        if (spec->root_path[0] == '/') {
                rootfs = realpath(spec->root_path, NULL);
        } else {
                _cleanup_free_ char *joined = str_printf("%s/%s", bundle, spec->root_path);
                rootfs = joined ? realpath(joined, NULL) : NULL;
        }
        if (!rootfs) {
                r = cell_error_errno(err, "root.path %s", spec->root_path);
                goto out;
        }

        /* Compiled before anything exists: a bad filter fails early, and the
         * init inherits the program without allocating. */
        /* Compiled programs are kept under the state root (see seccomp.c). */
        snprintf(seccomp_cache, sizeof(seccomp_cache), "%s/#seccomp", o->root);
        if (spec->seccomp && seccomp_compile_cached(spec->seccomp, seccomp_cache, &filter, err) < 0)
                goto out;

        if (fs_mkdir_p(o->root, 0700, err) < 0)
                goto out;
        dir = state_dir(o->root, o->id);
        fifo_path = str_printf("%s/exec.fifo", dir ? dir : "");
        config_copy = str_printf("%s/config.json", dir ? dir : "");
        if (!dir || !fifo_path || !config_copy) {
                r = cell_error_set(err, ENOMEM, "create");
                goto out;
        }
        if (mkdir(dir, 0700) < 0) {
                if (errno == EEXIST)
                        r = cell_error_set(err, EEXIST, "container \"%s\" already exists", o->id);
                else
                        r = cell_error_errno(err, "mkdir %s", dir);
                goto out;
        }
        dir_made = true;
        if (fs_write_replace(config_copy, config_data, config_len, 0600, err) < 0)
                goto out;
        if (mkfifo(fifo_path, 0622) < 0) {
                r = cell_error_errno(err, "mkfifo %s", fifo_path);
                goto out;
        }
        /* The init opens the fifo as root of its user namespace, which may be
         * another host uid: root hands the fifo over; an unprivileged runtime
         * cannot, and restores the write bits for others the umask took. */
        if (spec->namespaces[SPEC_NS_USER].present &&
            (geteuid() == 0 ? chown(fifo_path, host_root_uid(spec), host_root_gid(spec))
                            : chmod(fifo_path, 0622)) < 0) {
                r = cell_error_errno(err, "%s %s", geteuid() == 0 ? "chown" : "chmod", fifo_path);
                goto out;
        }
        fifo_fd = open(fifo_path, O_PATH | O_CLOEXEC);
        if (fifo_fd < 0) {
                r = cell_error_errno(err, "open %s", fifo_path);
                goto out;
        }

        /* Plan the namespaces: with nothing to join and no time namespace,
         * one clone3() creates them all (the fast path). Otherwise the child
         * joins, then unshares, then forks the init if a pid or time
         * namespace needs it. */
        ctx.fast = true;
        for (int t = 0; t < SPEC_NS__MAX; t++) {
                if (!spec->namespaces[t].present)
                        continue;
                if (spec->namespaces[t].path) {
                        ctx.fast = false;
                        ctx.ns_fds[t] = open(spec->namespaces[t].path, O_RDONLY | O_CLOEXEC);
                        if (ctx.ns_fds[t] < 0) {
                                r = cell_error_errno(err, "linux.namespaces: open the %s namespace %s",
                                                     spec_ns_name(t), spec->namespaces[t].path);
                                goto out;
                        }
                        if (t == SPEC_NS_PID || t == SPEC_NS_TIME)
                                ctx.fork_init = true;
                } else if (t == SPEC_NS_TIME) {
                        ctx.fast = false;
                        ctx.fork_init = true;
                }
        }
        if (!ctx.fast) {
                for (int t = 0; t < SPEC_NS__MAX; t++)
                        if (spec->namespaces[t].present && !spec->namespaces[t].path && t != SPEC_NS_CGROUP) {
                                ctx.unshare_flags |= spec_ns_clone_flag(t);
                                if (t == SPEC_NS_PID)
                                        ctx.fork_init = true;
                        }
        }
        /* The cgroup exists before the init, so that the init is born in it
         * (v2) or moves itself into it (v1) without the kernel's global
         * lock. */
        {
                cgroup_config_t cc = {.cgroups_path = spec->cgroups_path,
                                      .id = o->id,
                                      .systemd = o->systemd_cgroup,
                                      .rootless = geteuid() != 0};
                json_t *res = effective_resources(spec);

                if (!res) {
                        r = cell_error_set(err, ENOMEM, "create");
                        goto out;
                }
                r = cgroup_create(&cc, res, 0, &cg, err);
                json_decref(res);
                if (r < 0)
                        goto out;
                r = -1;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = cell_error_errno(err, "socketpair");
                goto out;
        }
        ctx.spec = spec;
        ctx.opts = o;
        ctx.rootfs = rootfs;
        ctx.bundle = bundle;
        ctx.sync_fd = sv[1];
        ctx.fifo_fd = fifo_fd;
        ctx.seccomp = filter;
        {
                struct clone_args ca = {.exit_signal = SIGCHLD};

                if (ctx.fast)
                        for (int t = 0; t < SPEC_NS__MAX; t++)
                                if (spec->namespaces[t].present && t != SPEC_NS_CGROUP)
                                        ca.flags |= (unsigned long long)spec_ns_clone_flag(t);
                _cleanup_close_ int v2fd = cgroup_v2_dir_fd(cg);

                if (v2fd < 0)
                        cloned_into_v2 = true;

                if (v2fd >= 0) {
                        ca.flags |= CLONE_INTO_CGROUP;
                        ca.cgroup = (unsigned long long)v2fd;
                }
                first = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
                if (first < 0 && v2fd >= 0) {
                        /* A kernel or a cgroup that refuses it: the pid is
                         * written for the init instead. */
                        ca.flags &= ~(unsigned long long)CLONE_INTO_CGROUP;
                        ca.cgroup = 0;
                        first = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
                } else if (first >= 0) {
                        cloned_into_v2 = true;
                }
        }
        if (first < 0) {
                r = cell_error_errno(err, "clone3 (new namespaces)");
                goto out;
        }
        if (first == 0) {
                close(sv[0]);
                init_main(&ctx);
        }
        close(sv[1]);
        sv[1] = -1;
        for (int t = 0; t < SPEC_NS__MAX; t++)
                if (ctx.ns_fds[t] >= 0) {
                        close(ctx.ns_fds[t]);
                        ctx.ns_fds[t] = -1;
                }

        if (spec->namespaces[SPEC_NS_USER].present && !spec->namespaces[SPEC_NS_USER].path) {
                if (recv_expect(sv[0], &hdr, NULL, NULL, err) < 0)
                        goto fail;
                if (userns_write_maps(spec, first, err) < 0)
                        goto fail;
                if (sync_send(sv[0], SYNC_USERMAP_DONE, 0, 0, NULL, 0, -1) < 0) {
                        r = cell_error_errno(err, "sync");
                        goto fail;
                }
        }
        {
                _cleanup_free_ char *payload = NULL;
                if (recv_expect(sv[0], &hdr, &payload, NULL, err) < 0)
                        goto fail;
        }
        init = hdr.pid > 0 ? hdr.pid : first;
        if (init != first) {
                while (waitpid(first, NULL, 0) < 0 && errno == EINTR)
                        ;
                first = -1;
        }
        if (mounts_send_idmapped(spec, bundle, init, sv[0], err) < 0)
                goto fail;

        /* The init waits for SYNC_GO: it is in its cgroup before it mounts,
         * allocates or unshares the cgroup namespace. v2 put it there at
         * clone; on v1 it moves itself through the fds sent here (see
         * cgroup.h: no global lock, no grace period); otherwise the pid is
         * written for it. */
        if (cg) {
                _cleanup_free_ int *fds = NULL;
                size_t nfds = 0;

                if (!cloned_into_v2) {
                        if (cgroup_add_pid(cg, init, err) < 0)
                                goto fail;
                } else if (cgroup_v1_self_join_fds(cg, &fds, &nfds, err) < 0) {
                        goto fail;
                }
                for (size_t i = 0; i < nfds; i++) {
                        int sr = sync_send(sv[0], SYNC_CGROUP_FD, 0, 0, NULL, 0, fds[i]);

                        close(fds[i]);
                        if (sr < 0) {
                                for (size_t k = i + 1; k < nfds; k++)
                                        close(fds[k]);
                                r = cell_error_errno(err, "sync");
                                goto fail;
                        }
                }
                /* The end of the list; the init answers once it is in, so
                 * that the hooks below see it in its cgroup. */
                if (nfds > 0) {
                        if (sync_send(sv[0], SYNC_CGROUP_FD, 0, 0, NULL, 0, -1) < 0) {
                                r = cell_error_errno(err, "sync");
                                goto fail;
                        }
                        if (recv_expect(sv[0], &hdr, NULL, NULL, err) < 0)
                                goto fail;
                        if (hdr.type != SYNC_CGROUP_FD) {
                                r = cell_error_set(err, EPROTO,
                                                   "unexpected message %d from the container's init",
                                                   hdr.type);
                                goto fail;
                        }
                }
        }
        st.id = (char *)o->id;
        st.bundle = bundle;
        st.rootfs = rootfs;
        st.created = now_rfc3339();
        st.oci_version = spec->oci_version;
        st.pid = init;
        st.starttime = proc_starttime(init, NULL);
        st.owner = geteuid();
        st.own_pidns = spec->namespaces[SPEC_NS_PID].present && !spec->namespaces[SPEC_NS_PID].path;
        st.annotations = spec->annotations;
        st.no_pivot = o->no_pivot;
        st.init_unsealed = !sealed_running_sealed();
        st.cgroup = cg ? cgroup_to_json(cg) : NULL;
        if (state_save(dir, &st, err) < 0)
                goto fail;
        {
                _cleanup_free_ char *state_json = state_to_oci_string(&st, RUNTIME_CREATING);

                if (!state_json) {
                        r = cell_error_set(err, ENOMEM, "state");
                        goto fail;
                }
                /* prestart (deprecated) and createRuntime run in the runtime's
                 * namespaces once the container's exist. */
                if (hooks_run(spec, SPEC_HOOK_PRESTART, state_json, err) < 0 ||
                    hooks_run(spec, SPEC_HOOK_CREATE_RUNTIME, state_json, err) < 0)
                        goto fail_poststop;
                if (sync_send(sv[0], SYNC_GO, 0, 0, state_json, strlen(state_json), -1) < 0) {
                        r = cell_error_errno(err, "sync");
                        goto fail;
                }
        }
        for (;;) {
                _cleanup_free_ char *payload = NULL;
                int fd = -1;

                if (recv_expect(sv[0], &hdr, &payload, &fd, err) < 0) {
                        if (strstr(err->msg, "hooks.createContainer"))
                                goto fail_poststop;
                        goto fail;
                }
                if (hdr.type == SYNC_PTY) {
                        master = fd;
                        if (o->console_socket) {
                                if (terminal_send_to_socket(o->console_socket, master, err) < 0)
                                        goto fail;
                                close(master);
                                master = -1;
                        }
                        continue;
                }
                if (hdr.type == SYNC_SECCOMP && fd >= 0) {
                        _cleanup_free_ char *state_json = state_to_oci_string(&st, RUNTIME_CREATING);
                        int sr = seccomp_send_listener(filter, fd, init, state_json ? state_json : "{}", err);

                        close(fd);
                        if (sr < 0)
                                goto fail;
                        continue;
                }
                if (fd >= 0)
                        close(fd);
                if (hdr.type == SYNC_CREATED)
                        break;
                r = cell_error_set(err, EPROTO, "unexpected message %d from the container's init", hdr.type);
                goto fail;
        }
        if (o->pid_file) {
                char buf[32];
                int n = snprintf(buf, sizeof(buf), "%d", (int)init);

                if (fs_write_replace(o->pid_file, buf, (size_t)n, 0644, err) < 0)
                        goto fail;
        }
        out->pid = init;
        out->master = steal_fd(&master);
        r = 0;
        goto out;

fail_poststop : {
        _cleanup_free_ char *stopped = state_to_oci_string(&st, RUNTIME_STOPPED);
        kill_and_reap(first, init);
        first = init = -1;
        if (stopped)
                hooks_run_all(spec, SPEC_HOOK_POSTSTOP, stopped);
}
fail:
        r = err && err->code > 0 ? -err->code : -1;
        kill_and_reap(first, init);
        if (dir_made)
                fs_rm_rf(dir, NULL);
out:
        /* Whatever failed, after the processes are gone. */
        if (r < 0 && cg)
                cgroup_destroy(cg, NULL);
        free(st.created);
        json_decref(st.cgroup);
        cgroup_free(cg);
        seccomp_prog_free(filter);
        if (sv[0] >= 0)
                close(sv[0]);
        if (sv[1] >= 0)
                close(sv[1]);
        for (int t = 0; t < SPEC_NS__MAX; t++)
                if (ctx.ns_fds[t] >= 0)
                        close(ctx.ns_fds[t]);
        if (r < 0 && dir_made && dir)
                fs_rm_rf(dir, NULL);
        spec_free(spec);
        return r;
}

int runtime_create(const runtime_create_opts_t *o, cell_error_t *err)
{
        created_t c;
        int r = create_container(o, false, &c, err);

        if (c.master >= 0)
                close(c.master);
        return r;
}

static spec_t *load_state_spec(const char *dir, cell_error_t *err)
{
        _cleanup_free_ char *path = str_printf("%s/config.json", dir);

        return path ? spec_load(path, err) : NULL;
}

int runtime_start(const char *root, const char *id, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *fifo_path = NULL;
        _cleanup_close_ int fifo = -1;
        _cleanup_close_ int pidfd = -1;
        char msg[CELL_ERROR_MAX + 2];
        size_t got = 0;
        bool started = false;
        runtime_status_t status;
        spec_t *spec = NULL;
        int r = 0;

        if (state_load(root, id, &st, &dir, err) < 0)
                return -1;
        status = state_status(dir, st);
        if (status != RUNTIME_CREATED) {
                r = cell_error_set(err, EINVAL, "container \"%s\" is %s, not created: cannot start it", id,
                                   runtime_status_name(status));
                goto out;
        }
        spec = load_state_spec(dir, err);
        if (!spec) {
                r = -1;
                goto out;
        }
        if (!spec->has_process) {
                /* Nothing can ever run in it: stop the waiting init so that the
                 * container is stopped rather than created forever. */
                kill(st->pid, SIGKILL);
                r = cell_error_set(err, EINVAL,
                                   "container \"%s\": process: not set in config.json, nothing to start", id);
                goto out;
        }
        fifo_path = str_printf("%s/exec.fifo", dir);
        fifo = fifo_path ? open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
        if (fifo < 0) {
                r = cell_error_errno(err, "container \"%s\": open exec.fifo", id);
                goto out;
        }
        pidfd = proc_pidfd_open(st->pid);
        for (;;) {
                struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
                ssize_t n;

                if (TEMP_FAILURE_RETRY_INT(poll(p, pidfd >= 0 ? 2 : 1, -1)) < 0) {
                        r = cell_error_errno(err, "start: poll");
                        goto out;
                }
                if (p[0].revents & (POLLIN | POLLHUP)) {
                        n = read(fifo, msg + got, sizeof(msg) - 1 - got);
                        if (n < 0 && errno == EAGAIN)
                                continue;
                        if (n > 0) {
                                if (!started) {
                                        started = true;
                                        /* The container is running from here on. */
                                        unlink(fifo_path);
                                }
                                got += (size_t)n;
                                if (got < sizeof(msg) - 1)
                                        continue;
                        }
                        if (n == 0 && !started && !(pidfd >= 0 && (p[1].revents & POLLIN)))
                                continue; /* no writer yet */
                        if (n == 0 && !started) {
                                unlink(fifo_path);
                                r = cell_error_set(err, ECHILD,
                                                   "container \"%s\": the init exited before start", id);
                                goto out;
                        }
                        break;
                }
                if (pidfd >= 0 && (p[1].revents & POLLIN)) {
                        /* The init died; drain anything it managed to say. */
                        n = read(fifo, msg + got, sizeof(msg) - 1 - got);
                        if (n > 0)
                                got += (size_t)n;
                        if (!started)
                                unlink(fifo_path);
                        if (got <= 1) {
                                r = cell_error_set(err, ECHILD,
                                                   "container \"%s\": the init exited before start", id);
                                goto out;
                        }
                        break;
                }
        }
        msg[got] = '\0';
        if (got > 1 && msg[1] == 'E') {
                r = cell_error_set(err, 0, "%s", msg + 2);
                goto out;
        }
        {
                _cleanup_free_ char *state_json = state_to_oci_string(st, RUNTIME_RUNNING);

                /* A failed poststart hook is a warning: the process runs. */
                if (state_json)
                        hooks_run_all(spec, SPEC_HOOK_POSTSTART, state_json);
        }
out:
        spec_free(spec);
        state_free(st);
        return r;
}

static int signal_all_in_pidns(pid_t init, int sig)
{
        char path[64], want[64], buf[64];
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
        n = readlink(path, want, sizeof(want) - 1);
        if (n < 0)
                return -errno;
        want[n] = '\0';
        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                long pid;

                if (str_to_long(de->d_name, 1, INT32_MAX, &pid) < 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
                n = readlink(path, buf, sizeof(buf) - 1);
                if (n < 0)
                        continue;
                buf[n] = '\0';
                if (strcmp(buf, want) == 0)
                        kill((pid_t)pid, sig);
        }
        return 0;
}

int runtime_kill(const char *root, const char *id, int sig, bool all, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int pidfd = -1;
        runtime_status_t status;
        int r = 0;

        if (state_load(root, id, &st, &dir, err) < 0)
                return -1;
        status = state_status(dir, st);
        if (status == RUNTIME_STOPPED) {
                r = cell_error_set(err, ESRCH, "container \"%s\" is not running", id);
                goto out;
        }
        /* A pidfd pins the process: the signal cannot reach a reused pid. */
        pidfd = proc_pidfd_open(st->pid);
        if (pidfd < 0 || proc_starttime(st->pid, NULL) != st->starttime) {
                r = cell_error_set(err, ESRCH, "container \"%s\" is not running", id);
                goto out;
        }
        if (all && st->cgroup) {
                /* The cgroup knows every process, pid namespace or not. */
                cgroup_t *cg = NULL;

                if (cgroup_load(st->cgroup, &cg, err) < 0 || cgroup_kill_all(cg, sig, err) < 0)
                        r = cell_error_prefix(err, "kill --all container \"%s\"", id);
                cgroup_free(cg);
                goto out;
        }
        if (all && st->own_pidns && sig != SIGKILL)
                signal_all_in_pidns(st->pid, sig);
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                r = cell_error_errno(err, "kill container \"%s\"", id);
out:
        state_free(st);
        return r;
}

/* In process (an engine calling the library), the container's init and a
 * detached exec's process are the caller's own children: reap them once
 * they are gone, or they stay zombies — and a pid namespace whose member is
 * a zombie of an outside parent keeps its init waiting. */
static void reap_if_ours(pid_t pid, bool wait)
{
        if (pid > 0 && proc_ppid(pid) == getpid())
                while (waitpid(pid, NULL, wait ? 0 : WNOHANG) < 0 && errno == EINTR)
                        ;
}

static void wait_gone(pid_t pid, unsigned long long starttime, int timeout_ms)
{
        _cleanup_close_ int pidfd = proc_pidfd_open(pid);

        if (pidfd >= 0 && proc_starttime(pid, NULL) == starttime) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                TEMP_FAILURE_RETRY_INT(poll(&p, 1, timeout_ms));
        }
}

int runtime_delete(const char *root, const char *id, bool force, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;
        runtime_status_t status;
        cgroup_t *cg = NULL;
        spec_t *spec;
        int r = 0;

        if (state_load(root, id, &st, &dir, err) < 0)
                return -1;
        status = state_status(dir, st);
        if ((status == RUNTIME_RUNNING || status == RUNTIME_PAUSED) && !force) {
                r = cell_error_set(err, EBUSY, "cannot delete container \"%s\": it is %s (use --force)", id,
                                   runtime_status_name(status));
                goto out;
        }
        if (st->cgroup && cgroup_load(st->cgroup, &cg, err) < 0) {
                r = cell_error_prefix(err, "delete container \"%s\"", id);
                goto out;
        }
        if (status != RUNTIME_STOPPED) {
                /* The cgroup reaches every process of the container (and
                 * thaws a paused one so that SIGKILL lands); without one,
                 * a pid namespace of its own takes them all with the init. */
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;

                if (cg && cgroup_pids(cg, &pids, &n, NULL) < 0)
                        n = 0;
                if (cg)
                        cgroup_kill_all(cg, SIGKILL, NULL);
                if (proc_starttime(st->pid, NULL) == st->starttime)
                        kill(st->pid, SIGKILL);
                for (size_t i = 0; i < n; i++)
                        if (pids[i] != st->pid)
                                reap_if_ours(pids[i], true);
                wait_gone(st->pid, st->starttime, 10000);
        }
        {
                bool zombie = false;

                if (proc_starttime(st->pid, &zombie) == st->starttime && zombie)
                        reap_if_ours(st->pid, false);
        }
        if (cg && cgroup_destroy(cg, err) < 0) {
                r = cell_error_prefix(err, "delete container \"%s\"", id);
                goto out;
        }
        spec = load_state_spec(dir, NULL);
        if (spec) {
                _cleanup_free_ char *state_json = state_to_oci_string(st, RUNTIME_STOPPED);

                if (state_json)
                        hooks_run_all(spec, SPEC_HOOK_POSTSTOP, state_json);
                spec_free(spec);
        }
        if (fs_rm_rf(dir, err) < 0)
                r = -1;
out:
        cgroup_free(cg);
        state_free(st);
        return r;
}

int runtime_state(const char *root, const char *id, json_t **ret, cell_error_t *err)
{
        runtime_state_t *st = NULL;
        _cleanup_free_ char *dir = NULL;

        if (state_load(root, id, &st, &dir, err) < 0)
                return -1;
        *ret = state_to_oci(st, state_status(dir, st));
        state_free(st);
        return *ret ? 0 : cell_error_set(err, ENOMEM, "state");
}

int runtime_list(const char *root, json_t **ret, cell_error_t *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        json_t *arr = json_array();

        if (!arr)
                return cell_error_set(err, ENOMEM, "list");
        d = opendir(root);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = arr;
                        return 0;
                }
                json_decref(arr);
                return cell_error_errno(err, "list %s", root);
        }
        while ((de = readdir(d))) {
                runtime_state_t *st = NULL;
                _cleanup_free_ char *dir = NULL;
                runtime_status_t status;
                json_t *o;

                if (de->d_name[0] == '.')
                        continue;
                if (state_load(root, de->d_name, &st, &dir, NULL) < 0)
                        continue;
                status = state_status(dir, st);
                o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i}", "id", st->id, "pid",
                              status == RUNTIME_STOPPED ? 0 : (int)st->pid, "status",
                              runtime_status_name(status), "bundle", st->bundle, "created", st->created,
                              "owner", (int)st->owner);
                if (o) {
                        json_object_set_new(o, "rootfs", json_string(st->rootfs));
                        json_object_set_new(o, "annotations",
                                            st->annotations ? json_copy(st->annotations) : json_object());
                        json_array_append_new(arr, o);
                }
                state_free(st);
        }
        *ret = arr;
        return 0;
}
