/* cell: container lifecycle, daemonless (see lifecycle.h).
 *
 * Who writes a record: the command that creates it; then whoever runs the
 * container — the monitor of a detached one, or the foreground `run` itself
 * — writes running and exited; `stop`, `kill`, `pause`, `rename` and `rm`
 * write their own changes. Every write is a read-modify-write under the
 * record's flock. A monitor that died is noticed by the next reader: its
 * pid and start time are in the record. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "volume.h"
#include "cleanup.h"
#include "fsutil.h"
#include "health.h"
#include "layers.h"
#include "lifecycle.h"
#include "network.h"
#include "monitor.h"
#include "log.h"
#include "proc.h"
#include "rootfs.h"
#include "runtime.h"
#include "spec.h"
#include "specgen.h"
#include "store.h"
#include "strutil.h"

#define LOG_LINE_MAX (16 * 1024)

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static int remove_container(engine_t *e, const char *id, json_t *rec, bool volumes, cell_error_t *err);

/* ---- create ---- */

static int open_stores(engine_t *e, image_store_t **ret_store, storage_t **ret_storage, cell_error_t *err)
{
        _cleanup_free_ char *images = str_printf("%s/images", e->storage_root);

        if (!images)
                return cell_error_set(err, ENOMEM, "store");
        if (image_store_open(images, ret_store, err) < 0)
                return -1;
        if (storage_open(e->storage_root, ret_storage, err) < 0) {
                image_store_close(*ret_store);
                *ret_store = NULL;
                return -1;
        }
        return 0;
}

static void undo_create(engine_t *e, storage_t *st, const char *id, const char *name)
{
        _cleanup_free_ char *dir = engine_container_path(e, id, NULL);

        if (st)
                storage_rootfs_release(st, id, NULL);
        if (dir)
                fs_rm_rf(dir, NULL);
        engine_name_release(e, name, id);
}

int engine_create(engine_t *e, const engine_create_req_t *req, char ret_id[ENGINE_ID_LEN + 1],
                  cell_error_t *err)
{
        _cleanup_image_store_ image_store_t *store = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_free_ char *name = NULL, *dir = NULL, *rootfs = NULL, *now = NULL, *spec_path = NULL,
                            *spec_data = NULL, *log_path = NULL, *volumes = NULL;
        const char *image = jstr(req->config, "Image");
        storage_image_t img = {0};
        json_t *spec = NULL, *rec = NULL, *mounts = NULL, *config = NULL, *net_settings = NULL;
        engine_net_setup_t *net = NULL;
        _cleanup_free_ char *netns = NULL;
        char id[ENGINE_ID_LEN + 1];
        bool made = false;
        int r;

        _cleanup_close_ int vlock = -1;

        if (!image || !*image)
                return cell_error_plain(err, EINVAL, "no image given");
        /* Held until the record names the container's volumes. */
        vlock = engine_volumes_lock(e, false, err);
        if (vlock < 0)
                return -1;
        if (open_stores(e, &store, &st, err) < 0)
                return -1;
        r = storage_image_find(store, image, &img, err);
        if (r == -ENOENT) {
                cell_error_clear(err);
                return cell_error_plain(err, ENOENT, "Unable to find image '%s' locally", image);
        }
        if (r < 0)
                return r;
        if (engine_new_id(id, err) < 0)
                goto fail;
        dir = engine_container_path(e, id, NULL);
        if (!dir) {
                r = cell_error_set(err, ENOMEM, "create");
                goto fail;
        }
        if (engine_name_reserve(e, req->name, id, &name, err) < 0) {
                r = -1;
                goto fail;
        }
        made = true;
        config = json_deep_copy(req->config);
        if (!config ||
            engine_config_merge(config,
                                img.config->has_config ? &img.config->config : &(image_run_config_t){0},
                                err) < 0) {
                r = -1;
                goto fail;
        }
        /* Its networks exist (docker's "network x not found" at create). */
        r = engine_network_settings_init(e, req->host_config, req->endpoint, &net_settings, err);
        if (r < 0)
                goto fail;
        /* The networks' plugins take longer than the rest of create: they
         * start now, for a caller that starts the container next. */
        if (req->ret_net && !str_eq(jstr(req->host_config, "NetworkMode"), "host")) {
                _cleanup_free_ char *slashed = str_printf("/%s", name);
                json_t *pre =
                        json_pack("{s:s, s:O, s:O, s:O}", "Name", slashed ? slashed : "", "Config", config,
                                  "HostConfig", req->host_config, "NetworkSettings", net_settings);

                r = pre ? engine_net_begin(e, id, pre, &net, err) : cell_error_set(err, ENOMEM, "create");
                json_decref(pre);
                if (r < 0)
                        goto fail;
        }
        /* The root file system makes the container's directory (and says
         * EEXIST should a random id ever repeat). */
        r = storage_rootfs_prepare_image(st, store, &img, img.id, id, &rootfs, err);
        if (r < 0)
                goto fail;
        if (!str_eq(jstr(req->host_config, "NetworkMode"), "host"))
                netns = engine_netns_path(e, id);
        volumes = str_printf("%s/volumes", e->storage_root);
        mounts = json_array();
        {
                engine_spec_in_t in = {.id = id,
                                       .netns = netns,
                                       .config = config,
                                       .host_config = req->host_config,
                                       .rootfs = rootfs,
                                       .dir = dir,
                                       .volumes_dir = volumes,
                                       .mounts_out = mounts};

                r = engine_spec_generate(&in, &spec, err);
                if (r < 0)
                        goto fail;
        }
        spec_path = str_printf("%s/config.json", dir);
        spec_data = json_dumps(spec, JSON_COMPACT);
        if (!spec_path || !spec_data) {
                r = cell_error_set(err, ENOMEM, "spec");
                goto fail;
        }
        r = fs_write_replace(spec_path, spec_data, strlen(spec_data), 0600, err);
        if (r < 0)
                goto fail;
        now = engine_time_now();
        log_path = str_printf("%s/%s-json.log", dir, id);
        {
                json_t *args = json_deep_copy(json_object_get(json_object_get(spec, "process"), "args"));
                json_t *path = json_array_size(args) ? json_incref(json_array_get(args, 0)) : json_string("");

                if (json_array_size(args))
                        json_array_remove(args, 0);
                rec = json_pack(
                        "{s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, "
                        "s:s}, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:O, s:O, s:O, s:o}",
                        "Id", id, "Created", now ? now : ENGINE_ZERO_TIME, "Path", path, "Args",
                        args ? args : json_array(), "State", "Status", "created", "Running", 0, "Paused", 0,
                        "Restarting", 0, "OOMKilled", 0, "Dead", 0, "ManuallyStopped", 0, "Pid", 0,
                        "ExitCode", 0, "Error", "", "StartedAt", ENGINE_ZERO_TIME, "FinishedAt",
                        ENGINE_ZERO_TIME, "Image", img.id, "ResolvConfPath", "", "HostnamePath", "",
                        "HostsPath", "", "LogPath", log_path ? log_path : "", "RestartCount", 0, "Driver",
                        "overlay", "Platform", "linux", "Mounts", mounts, "Config", config, "HostConfig",
                        req->host_config, "NetworkSettings", net_settings);
                net_settings = NULL;
        }
        if (!rec) {
                r = cell_error_set(err, ENOMEM, "record");
                goto fail;
        }
        {
                _cleanup_free_ char *n = str_printf("/%s", name);

                json_object_set_new(rec, "Name", json_string(n ? n : name));
        }
        json_object_set_new(rec, "ResolvConfPath", json_string_nocheck(dir));
        {
                _cleanup_free_ char *p1 = str_printf("%s/resolv.conf", dir),
                                    *p2 = str_printf("%s/hostname", dir), *p3 = str_printf("%s/hosts", dir);

                json_object_set_new(rec, "ResolvConfPath", json_string(p1 ? p1 : ""));
                json_object_set_new(rec, "HostnamePath", json_string(p2 ? p2 : ""));
                json_object_set_new(rec, "HostsPath", json_string(p3 ? p3 : ""));
        }
        r = engine_record_write(e, id, rec, err);
        if (r < 0)
                goto fail;
        str_copy(ret_id, ENGINE_ID_LEN + 1, id);
        if (req->ret_net)
                *req->ret_net = steal_pointer(&net);
        r = 0;
        goto out;
fail:
        if (net)
                engine_net_cancel(e, id, steal_pointer(&net));
        if (made)
                undo_create(e, st, id, name);
        if (r >= 0)
                r = -1;
out:
        storage_image_clear(&img);
        json_decref(net_settings);
        json_decref(spec);
        json_decref(rec);
        json_decref(mounts);
        json_decref(config);
        return r;
}

/* ---- state ---- */

static bool monitor_alive(json_t *rec)
{
        json_int_t pid = json_integer_value(json_object_get(rec, "MonitorPid"));
        json_int_t start = json_integer_value(json_object_get(rec, "MonitorStart"));

        return pid > 0 && proc_alive((pid_t)pid, (unsigned long long)start);
}

static bool init_alive(json_t *rec)
{
        json_t *s = json_object_get(rec, "State");
        json_int_t pid = json_integer_value(json_object_get(s, "Pid"));
        json_int_t start = json_integer_value(json_object_get(rec, "PidStart"));

        return pid > 0 && proc_alive((pid_t)pid, (unsigned long long)start);
}

/* A running record whose monitor is gone: the container's processes may
 * still run (the monitor only watches them), or not. */
static bool refresh(engine_t *e, const char *id, json_t *rec)
{
        json_t *s = json_object_get(rec, "State");
        cell_error_t ignored = {0};

        if (!json_is_true(json_object_get(s, "Running")) || monitor_alive(rec) || init_alive(rec))
                return false;
        engine_record_set_exited(rec, 255, "the container's monitor died: its exit code is unknown");
        runtime_delete(e->runtime_root, id, true, &ignored);
        return true;
}

int engine_inspect(engine_t *e, const char *id, json_t **ret, cell_error_t *err)
{
        json_t *rec = NULL;

        if (engine_record_read(e, id, &rec, err) < 0)
                return -1;
        if (json_is_true(json_object_get(json_object_get(rec, "State"), "Running")) && !monitor_alive(rec) &&
            !init_alive(rec)) {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);

                json_decref(rec);
                rec = NULL;
                if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                        return -1;
                if (refresh(e, id, rec) && engine_record_write(e, id, rec, err) < 0) {
                        json_decref(rec);
                        return -1;
                }
        }
        *ret = rec;
        return 0;
}

static char *human_duration(int64_t secs)
{
        if (secs < 1)
                return strdup("Less than a second");
        if (secs == 1)
                return strdup("1 second");
        if (secs < 60)
                return str_printf("%lld seconds", (long long)secs);
        if (secs < 120)
                return strdup("About a minute");
        if (secs < 3600)
                return str_printf("%lld minutes", (long long)(secs / 60));
        if (secs < 7200)
                return strdup("About an hour");
        if (secs < 48 * 3600)
                return str_printf("%lld hours", (long long)(secs / 3600));
        if (secs < 14 * 86400)
                return str_printf("%lld days", (long long)(secs / 86400));
        if (secs < 60 * 86400)
                return str_printf("%lld weeks", (long long)(secs / (7 * 86400)));
        if (secs < 2 * 365 * 86400)
                return str_printf("%lld months", (long long)(secs / (30 * 86400)));
        return str_printf("%lld years", (long long)(secs / (365 * 86400)));
}

char *engine_status_line(json_t *rec)
{
        json_t *s = json_object_get(rec, "State");
        const char *status = jstr(s, "Status");
        int64_t t = 0, now;
        struct timespec ts;
        _cleanup_free_ char *d = NULL;

        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec;
        if (str_eq(status, "running") || str_eq(status, "paused")) {
                engine_time_parse(jstr(s, "StartedAt"), &t);
                const char *health = jstr(json_object_get(s, "Health"), "Status");

                d = human_duration(now - t / 1000000000LL);
                return str_printf("Up %s%s%s%s", d ? d : "", str_eq(status, "paused") ? " (Paused)" : "",
                                  !health                      ? ""
                                  : str_eq(health, "starting") ? " (health: starting)"
                                  : str_eq(health, "healthy")  ? " (healthy)"
                                                               : " (unhealthy)",
                                  "");
        }
        if (str_eq(status, "restarting")) {
                engine_time_parse(jstr(s, "FinishedAt"), &t);
                d = human_duration(now - t / 1000000000LL);
                return str_printf("Restarting (%lld) %s ago",
                                  (long long)json_integer_value(json_object_get(s, "ExitCode")), d ? d : "");
        }
        if (str_eq(status, "exited")) {
                engine_time_parse(jstr(s, "FinishedAt"), &t);
                d = human_duration(now - t / 1000000000LL);
                return str_printf("Exited (%lld) %s ago",
                                  (long long)json_integer_value(json_object_get(s, "ExitCode")), d ? d : "");
        }
        if (str_eq(status, "dead"))
                return strdup("Dead");
        return strdup("Created");
}

/* Detach a monitor: double fork, own session, and exec the cell binary's
 * `__monitor` command — a fresh, small process that maps neither this
 * module nor its libraries (libcrypto, libarchive...): one stays per
 * running container. The starter learns through a pipe whether the
 * container runs, or reads the error from another. */
static int spawn_monitor(engine_t *e, const char *id, cell_error_t *err)
{
        int sync[2], errp[2];
        pid_t child;
        char c;
        ssize_t k;

        if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
                return cell_error_errno(err, "pipe");
        child = fork();
        if (child < 0)
                return cell_error_errno(err, "fork");
        if (child == 0) {
                char sync_s[16], err_s[16];
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                sigset_t none;
                pid_t m;

                close(sync[0]);
                close(errp[0]);
                setsid();
                m = fork();
                if (m != 0)
                        _exit(m < 0 ? 1 : 0);
                /* The monitor holds no terminal and no caller fd. */
                if (null >= 0) {
                        dup2(null, 0);
                        dup2(null, 1);
                        dup2(null, 2);
                }
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                fcntl(sync[1], F_SETFD, 0);
                fcntl(errp[1], F_SETFD, 0);
                snprintf(sync_s, sizeof(sync_s), "%d", sync[1]);
                snprintf(err_s, sizeof(err_s), "%d", errp[1]);
                execl("/proc/self/exe", "cell", "--storage-root", e->storage_root, "--runroot", e->run_root,
                      "__monitor", id, sync_s, err_s, (char *)NULL);
                {
                        const char *msg = "exec the monitor (/proc/self/exe) failed";

                        (void)!write(errp[1], msg, strlen(msg));
                }
                _exit(127);
        }
        close(sync[1]);
        close(errp[1]);
        waitpid(child, NULL, 0);
        k = TEMP_FAILURE_RETRY(read(sync[0], &c, 1));
        close(sync[0]);
        if (k == 1) {
                close(errp[0]);
                return 0;
        }
        {
                char msg[sizeof(err->msg)];
                ssize_t n = TEMP_FAILURE_RETRY(read(errp[0], msg, sizeof(msg) - 1));

                close(errp[0]);
                msg[n > 0 ? n : 0] = '\0';
                return cell_error_plain(err, EIO, "%s",
                                        n > 0 ? msg : "the container's monitor ended before it ran");
        }
}

int engine_start(engine_t *e, const char *id, engine_start_opts_t *o, cell_error_t *err)
{
        json_t *rec = NULL, *c, *hc;
        engine_run_io_t io = {.foreground = o->foreground, .interactive = o->interactive, .sync_fd = -1};
        bool auto_remove = false;
        int r;
        const char *log_type;

        /* Networks set up by create: for a foreground start only. */
        if (o->net && !o->foreground)
                engine_net_cancel(e, id, o->net);
        else
                io.net = o->net;
        o->net = NULL;
        if (engine_inspect(e, id, &rec, err) < 0) {
                engine_net_cancel(e, id, io.net);
                return -1;
        }
        if (json_is_true(json_object_get(json_object_get(rec, "State"), "Running"))) {
                engine_net_cancel(e, id, io.net);
                json_decref(rec);
                return o->foreground ? cell_error_plain(err, EBUSY, "container %.12s is already running", id)
                                     : 0;
        }
        c = json_object_get(rec, "Config");
        hc = json_object_get(rec, "HostConfig");
        engine_run_io_from_config(&io, c);
        log_type = jstr(json_object_get(hc, "LogConfig"), "Type");
        /* In the foreground with nobody to read a log afterwards (--rm, or
         * --log-driver none), the container writes to the caller's own
         * stdout and stderr: no pipe, no copy. */
        io.direct = o->foreground && !io.tty &&
                    (json_is_true(json_object_get(hc, "AutoRemove")) || str_eq(log_type, "none"));
        {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);

                if (lock < 0) {
                        engine_net_cancel(e, id, io.net);
                        json_decref(rec);
                        return -1;
                }
                json_decref(rec);
                if (engine_record_read(e, id, &rec, err) < 0) {
                        engine_net_cancel(e, id, io.net);
                        return -1;
                }
                json_object_set_new(engine_record_state(rec), "ManuallyStopped", json_false());
                engine_record_write(e, id, rec, NULL);
                json_decref(rec);
        }
        if (!o->foreground)
                return spawn_monitor(e, id, err);
        r = engine_supervise(e, id, &io, &o->exit_code, &auto_remove, err);
        if (r == 0 && auto_remove) {
                json_t *last = NULL;

                if (engine_record_read(e, id, &last, NULL) == 0)
                        remove_container(e, id, last, true, NULL);
                json_decref(last);
        }
        return r;
}

/* ---- stop, kill, wait ---- */

static int wait_exit(engine_t *e, const char *id, int timeout_ms)
{
        struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

        for (int waited = 0; timeout_ms < 0 || waited <= timeout_ms; waited += 10) {
                json_t *rec = NULL;
                bool running;

                if (engine_inspect(e, id, &rec, NULL) < 0)
                        return 0; /* removed (--rm) */
                running = json_is_true(json_object_get(json_object_get(rec, "State"), "Running")) ||
                          json_is_true(json_object_get(json_object_get(rec, "State"), "Restarting"));
                json_decref(rec);
                if (!running)
                        return 0;
                nanosleep(&step, NULL);
        }
        return -ETIMEDOUT;
}

static int mark_stopped(engine_t *e, const char *id, json_t **ret, cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        json_t *rec = NULL;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        refresh(e, id, rec);
        json_object_set_new(engine_record_state(rec), "ManuallyStopped", json_true());
        if (engine_record_write(e, id, rec, err) < 0) {
                json_decref(rec);
                return -1;
        }
        *ret = rec;
        return 0;
}

int engine_kill(engine_t *e, const char *id, int sig, cell_error_t *err)
{
        json_t *rec = NULL;
        bool running;
        int r;

        if (mark_stopped(e, id, &rec, err) < 0)
                return -1;
        running = json_is_true(json_object_get(json_object_get(rec, "State"), "Running"));
        json_decref(rec);
        if (!running)
                return cell_error_plain(err, EINVAL, "Cannot kill container: %s: Container %s is not running",
                                        id, id);
        r = runtime_kill(e->runtime_root, id, sig, false, err);
        return r;
}

int engine_stop(engine_t *e, const char *id, int stop_sig, int timeout, cell_error_t *err)
{
        json_t *rec = NULL, *c;
        int sig = SIGTERM;
        bool running;

        if (mark_stopped(e, id, &rec, err) < 0)
                return -1;
        c = json_object_get(rec, "Config");
        running = json_is_true(json_object_get(json_object_get(rec, "State"), "Running"));
        if (jstr(c, "StopSignal")) {
                int s = spec_parse_signal(jstr(c, "StopSignal"));

                if (s > 0)
                        sig = s;
        }
        if (stop_sig > 0)
                sig = stop_sig;
        if (timeout < 0)
                timeout = json_is_integer(json_object_get(c, "StopTimeout"))
                                  ? (int)json_integer_value(json_object_get(c, "StopTimeout"))
                                  : 10;
        json_decref(rec);
        if (!running)
                return 0;
        {
                cell_error_t ignored = {0};

                runtime_kill(e->runtime_root, id, sig, false, &ignored);
                if (wait_exit(e, id, timeout * 1000) == 0)
                        return 0;
                runtime_kill(e->runtime_root, id, SIGKILL, true, &ignored);
        }
        if (wait_exit(e, id, 10000) < 0)
                return cell_error_plain(err, ETIMEDOUT, "container %.12s did not stop", id);
        return 0;
}

int engine_wait(engine_t *e, const char *id, int *ret_exit, cell_error_t *err)
{
        json_t *rec = NULL;

        wait_exit(e, id, -1);
        if (engine_inspect(e, id, &rec, err) < 0)
                return -1;
        *ret_exit = (int)json_integer_value(json_object_get(json_object_get(rec, "State"), "ExitCode"));
        json_decref(rec);
        return 0;
}

int engine_pause(engine_t *e, const char *id, bool pause, cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        json_t *rec = NULL, *s;
        int r;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        s = engine_record_state(rec);
        if (!json_is_true(json_object_get(s, "Running"))) {
                json_decref(rec);
                return cell_error_plain(err, EINVAL, "Container %s is not running", id);
        }
        if (pause == json_is_true(json_object_get(s, "Paused"))) {
                json_decref(rec);
                return cell_error_plain(
                        err, EINVAL, pause ? "Container %s is already paused" : "Container %s is not paused",
                        id);
        }
        r = pause ? runtime_pause(e->runtime_root, id, err) : runtime_resume(e->runtime_root, id, err);
        if (r == 0) {
                json_object_set_new(s, "Paused", json_boolean(pause));
                json_object_set_new(s, "Status", json_string(pause ? "paused" : "running"));
                r = engine_record_write(e, id, rec, err);
        }
        json_decref(rec);
        return r;
}

/* ---- remove, rename ---- */

static int remove_container(engine_t *e, const char *id, json_t *rec, bool volumes, cell_error_t *err)
{
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_free_ char *dir = engine_container_path(e, id, NULL);
        cell_error_t ignored = {0};
        size_t i;
        json_t *m;

        runtime_delete(e->runtime_root, id, true, &ignored);
        {
                /* Left behind by a monitor that was killed. */
                _cleanup_free_ char *sock = engine_attach_socket_path(e, id);

                if (sock)
                        unlink(sock);
        }
        if (storage_open(e->storage_root, &st, err) < 0)
                return -1;
        if (storage_rootfs_release(st, id, err) < 0)
                return -1;
        if (volumes) {
                json_array_foreach(json_object_get(rec, "Mounts"), i, m)
                {
                        if (json_is_true(json_object_get(m, "Anonymous"))) {
                                _cleanup_free_ char *v = str_printf("%s/volumes/%s", e->storage_root,
                                                                    jstr(m, "Name") ? jstr(m, "Name") : "");

                                if (v && jstr(m, "Name"))
                                        fs_rm_rf(v, NULL);
                        }
                }
        }
        engine_name_release(e, jstr(rec, "Name"), id);
        if (!dir || fs_rm_rf(dir, err) < 0)
                return -1;
        return 0;
}

int engine_remove(engine_t *e, const char *id, bool force, bool volumes, cell_error_t *err)
{
        json_t *rec = NULL;
        bool running;
        int r;

        if (engine_inspect(e, id, &rec, err) < 0)
                return -1;
        running = json_is_true(json_object_get(json_object_get(rec, "State"), "Running")) ||
                  json_is_true(json_object_get(json_object_get(rec, "State"), "Restarting"));
        json_decref(rec);
        if (running && !force)
                return cell_error_plain(err, EBUSY,
                                        "You cannot remove a running container %s. Stop the container before "
                                        "attempting removal or force remove",
                                        id);
        if (running) {
                cell_error_t ignored = {0};

                if (mark_stopped(e, id, &rec, err) < 0)
                        return -1;
                json_decref(rec);
                runtime_kill(e->runtime_root, id, SIGKILL, true, &ignored);
                if (wait_exit(e, id, 10000) < 0)
                        return cell_error_plain(err, ETIMEDOUT, "container %.12s did not stop", id);
        }
        /* Its networks, when its monitor died before undoing them (a
         * teardown under way is left to finish). */
        engine_net_end(e, id, false);
        {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);

                if (lock < 0)
                        return -1;
                if (engine_record_read(e, id, &rec, err) < 0)
                        return -1;
                r = remove_container(e, id, rec, volumes, err);
                json_decref(rec);
        }
        return r;
}

int engine_rename(engine_t *e, const char *id, const char *name, cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        _cleanup_free_ char *taken = NULL, *slash = NULL;
        json_t *rec = NULL;
        int r;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        if (engine_name_reserve(e, name, id, &taken, err) < 0) {
                json_decref(rec);
                return -1;
        }
        engine_name_release(e, jstr(rec, "Name"), id);
        slash = str_printf("/%s", taken);
        json_object_set_new(rec, "Name", json_string(slash ? slash : taken));
        r = engine_record_write(e, id, rec, err);
        json_decref(rec);
        return r;
}
