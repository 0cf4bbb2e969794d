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

#include "cleanup.h"
#include "fsutil.h"
#include "layers.h"
#include "lifecycle.h"
#include "log.h"
#include "proc.h"
#include "rootfs.h"
#include "runtime.h"
#include "spec.h"
#include "specgen.h"
#include "store.h"
#include "strutil.h"

#define ZERO_TIME    "0001-01-01T00:00:00Z"
#define LOG_LINE_MAX (16 * 1024)

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static json_t *state_of(json_t *rec)
{
        json_t *s = json_object_get(rec, "State");

        if (!json_is_object(s)) {
                s = json_object();
                json_object_set_new(rec, "State", s);
        }
        return s;
}

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
        json_t *spec = NULL, *rec = NULL, *mounts = json_array(), *config = NULL;
        char id[ENGINE_ID_LEN + 1];
        bool made = false;
        int r;

        if (!image || !*image)
                return cell_error_plain(err, EINVAL, "no image given");
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
        /* The root file system makes the container's directory (and says
         * EEXIST should a random id ever repeat). */
        made = true;
        r = storage_rootfs_prepare(st, store, img.id, id, &rootfs, err);
        if (r < 0)
                goto fail;
        config = json_deep_copy(req->config);
        if (!config ||
            engine_config_merge(config,
                                img.config->has_config ? &img.config->config : &(image_run_config_t){0},
                                err) < 0) {
                r = -1;
                goto fail;
        }
        volumes = str_printf("%s/volumes", e->storage_root);
        {
                engine_spec_in_t in = {.id = id,
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
                        "s:s}, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:O, s:O, s:O, s:O}",
                        "Id", id, "Created", now ? now : ZERO_TIME, "Path", path, "Args",
                        args ? args : json_array(), "State", "Status", "created", "Running", 0, "Paused", 0,
                        "Restarting", 0, "OOMKilled", 0, "Dead", 0, "ManuallyStopped", 0, "Pid", 0,
                        "ExitCode", 0, "Error", "", "StartedAt", ZERO_TIME, "FinishedAt", ZERO_TIME, "Image",
                        img.id, "ResolvConfPath", "", "HostnamePath", "", "HostsPath", "", "LogPath",
                        log_path ? log_path : "", "RestartCount", 0, "Driver", "overlay", "Platform", "linux",
                        "Mounts", mounts, "Config", config, "HostConfig", req->host_config, "NetworkSettings",
                        json_object());
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
        r = 0;
        goto out;
fail:
        if (made)
                undo_create(e, st, id, name);
        if (r >= 0)
                r = -1;
out:
        storage_image_clear(&img);
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

static void set_exited(json_t *rec, int code, const char *error)
{
        json_t *s = state_of(rec);
        _cleanup_free_ char *now = engine_time_now();

        json_object_set_new(s, "Status", json_string("exited"));
        json_object_set_new(s, "Running", json_false());
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "Pid", json_integer(0));
        json_object_set_new(s, "ExitCode", json_integer(code));
        json_object_set_new(s, "FinishedAt", json_string(now ? now : ZERO_TIME));
        if (error)
                json_object_set_new(s, "Error", json_string(error));
        json_object_del(rec, "MonitorPid");
        json_object_del(rec, "MonitorStart");
}

/* A running record whose monitor is gone: the container's processes may
 * still run (the monitor only watches them), or not. */
static bool refresh(engine_t *e, const char *id, json_t *rec)
{
        json_t *s = json_object_get(rec, "State");
        cell_error_t ignored = {0};

        if (!json_is_true(json_object_get(s, "Running")) || monitor_alive(rec) || init_alive(rec))
                return false;
        set_exited(rec, 255, "the container's monitor died: its exit code is unknown");
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
                d = human_duration(now - t / 1000000000LL);
                return str_printf("Up %s%s", d ? d : "", str_eq(status, "paused") ? " (Paused)" : "");
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

/* ---- logging ---- */

typedef struct log_stream {
        const char *name; /* "stdout", "stderr" */
        int fd;           /* the pipe's read end, -1 when closed */
        int copy_fd;      /* the caller's fd in the foreground, else -1 */
        char buf[LOG_LINE_MAX];
        size_t len;
} log_stream_t;

static void log_emit(int log_fd, const char *stream, const char *data, size_t len)
{
        _cleanup_free_ char *now = NULL, *line = NULL;
        json_t *j;

        if (log_fd < 0 || len == 0)
                return;
        now = engine_time_now();
        j = json_pack("{s:s%, s:s, s:s}", "log", data, len, "stream", stream, "time", now ? now : ZERO_TIME);
        if (!j) {
                /* Not UTF-8: jansson refuses it; keep the bytes' shape. */
                _cleanup_free_ char *safe = malloc(len);

                if (!safe)
                        return;
                for (size_t i = 0; i < len; i++)
                        safe[i] = (data[i] & 0x80) ? '?' : data[i];
                j = json_pack("{s:s%, s:s, s:s}", "log", safe, len, "stream", stream, "time",
                              now ? now : ZERO_TIME);
        }
        line = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (line) {
                size_t n = strlen(line);

                line[n] = '\n';
                /* One write per line, O_APPEND: readers see whole lines. */
                (void)!write(log_fd, line, n + 1);
                line[n] = '\0';
        }
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                p += k;
                n -= (size_t)k;
        }
}

/* Read what is there; complete lines go to the log. false at EOF. */
static bool log_pump(log_stream_t *ls, int log_fd)
{
        char tmp[LOG_LINE_MAX];
        ssize_t k = read(ls->fd, tmp, sizeof(tmp));

        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (k <= 0) {
                log_emit(log_fd, ls->name, ls->buf, ls->len);
                ls->len = 0;
                return false;
        }
        if (ls->copy_fd >= 0)
                write_all(ls->copy_fd, tmp, (size_t)k);
        for (ssize_t i = 0; i < k; i++) {
                ls->buf[ls->len++] = tmp[i];
                if (tmp[i] == '\n' || ls->len == sizeof(ls->buf)) {
                        log_emit(log_fd, ls->name, ls->buf, ls->len);
                        ls->len = 0;
                }
        }
        return true;
}

/* ---- running ---- */

static const int forwarded_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

typedef struct run_io {
        bool foreground, interactive, tty, direct;
        int sync_fd; /* monitor: tell the starter it runs (or why not) */
} run_io_t;

static int record_update_running(engine_t *e, const char *id, pid_t pid, bool monitor, cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        _cleanup_free_ char *now = engine_time_now();
        json_t *rec = NULL, *s;
        int r;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        s = state_of(rec);
        json_object_set_new(s, "Status", json_string("running"));
        json_object_set_new(s, "Running", json_true());
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "Pid", json_integer(pid));
        json_object_set_new(s, "ExitCode", json_integer(0));
        json_object_set_new(s, "Error", json_string(""));
        json_object_set_new(s, "StartedAt", json_string(now ? now : ZERO_TIME));
        json_object_set_new(rec, "PidStart", json_integer((json_int_t)proc_starttime(pid, NULL)));
        json_object_set_new(rec, "MonitorPid", json_integer(getpid()));
        json_object_set_new(rec, "MonitorStart", json_integer((json_int_t)proc_starttime(getpid(), NULL)));
        json_object_set_new(rec, "Foreground", json_boolean(!monitor));
        r = engine_record_write(e, id, rec, err);
        json_decref(rec);
        return r;
}

/* The exit, recorded; returns whether the restart policy asks for another
 * run (and counts it). */
static bool record_exit(engine_t *e, const char *id, int code, bool can_restart)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, NULL);
        json_t *rec = NULL, *policy;
        const char *name;
        bool again = false;

        if (lock < 0 || engine_record_read(e, id, &rec, NULL) < 0)
                return false;
        set_exited(rec, code, NULL);
        policy = json_object_get(json_object_get(rec, "HostConfig"), "RestartPolicy");
        name = jstr(policy, "Name");
        if (can_restart && !json_is_true(json_object_get(json_object_get(rec, "State"), "ManuallyStopped"))) {
                json_int_t max = json_integer_value(json_object_get(policy, "MaximumRetryCount"));
                json_int_t count = json_integer_value(json_object_get(rec, "RestartCount"));

                if (str_eq(name, "always") || str_eq(name, "unless-stopped"))
                        again = true;
                else if (str_eq(name, "on-failure") && code != 0 && (max <= 0 || count < max))
                        again = true;
                if (again) {
                        json_object_set_new(rec, "RestartCount", json_integer(count + 1));
                        json_object_set_new(state_of(rec), "Restarting", json_true());
                        json_object_set_new(state_of(rec), "Status", json_string("restarting"));
                }
        }
        engine_record_write(e, id, rec, NULL);
        json_decref(rec);
        return again;
}

static int exit_code_of(int status)
{
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

static void copy_winsize(int from, int to)
{
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Create and start the container once with the stdio io asks for, relay
 * its output until it exits, record the exit. */
static int run_once(engine_t *e, const char *id, run_io_t *io, int *ret_code, cell_error_t *err)
{
        _cleanup_free_ char *bundle = engine_container_path(e, id, NULL);
        _cleanup_free_ char *log_path = str_printf("%s/%s-json.log", bundle ? bundle : "", id);
        _cleanup_close_ int log_fd = -1, sfd = -1, devnull = -1;
        int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, saved[3] = {-1, -1, -1}, master = -1;
        log_stream_t streams[2] = {{.name = "stdout", .fd = -1, .copy_fd = -1},
                                   {.name = "stderr", .fd = -1, .copy_fd = -1}};
        runtime_create_opts_t ro = {.root = e->runtime_root, .id = id, .bundle = bundle};
        struct termios saved_tio;
        bool raw = false, stdin_open = false;
        sigset_t set, old;
        pid_t pid = -1;
        int r, status = 0;

        if (!bundle || !log_path)
                return cell_error_set(err, ENOMEM, "start");
        /* A container that ran before: the runtime's state of that run. */
        {
                cell_error_t ignored = {0};

                runtime_delete(e->runtime_root, id, true, &ignored);
        }
        if (!io->direct) {
                log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                if (log_fd < 0)
                        return cell_error_errno(err, "open %s", log_path);
        }
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return cell_error_errno(err, "open /dev/null");
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        if (io->foreground)
                for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
                        sigaddset(&set, forwarded_signals[i]);
        sigprocmask(SIG_BLOCK, &set, &old);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                r = cell_error_errno(err, "signalfd");
                goto out;
        }
        if (!io->tty && !io->direct && (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)) {
                r = cell_error_errno(err, "pipe");
                goto out;
        }
        /* The container's stdio is ours at the moment of create. */
        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        if (!io->direct) {
                dup2(io->foreground && io->interactive && !io->tty ? saved[0] : devnull, 0);
                if (!io->tty) {
                        dup2(out_pipe[1], 1);
                        dup2(err_pipe[1], 2);
                } else {
                        dup2(devnull, 1);
                        dup2(devnull, 2);
                }
        } else if (!(io->foreground && io->interactive)) {
                dup2(devnull, 0);
        }
        r = runtime_create_attached(&ro, &pid, &master, err);
        for (int i = 0; i < 3; i++)
                if (saved[i] >= 0)
                        dup2(saved[i], i);
        if (out_pipe[1] >= 0) {
                close(out_pipe[1]);
                close(err_pipe[1]);
                out_pipe[1] = err_pipe[1] = -1;
        }
        if (r < 0)
                goto out;
        if (runtime_start(e->runtime_root, id, err) < 0) {
                cell_error_t ignored = {0};

                r = -1;
                runtime_delete(e->runtime_root, id, true, &ignored);
                waitpid(pid, NULL, 0);
                goto out;
        }
        if (record_update_running(e, id, pid, !io->foreground, err) < 0) {
                r = -1;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                goto out;
        }
        if (io->sync_fd >= 0) {
                (void)!write(io->sync_fd, "", 1);
                close(io->sync_fd);
                io->sync_fd = -1;
        }
        streams[0].fd = out_pipe[0];
        streams[1].fd = err_pipe[0];
        out_pipe[0] = err_pipe[0] = -1;
        if (io->foreground) {
                streams[0].copy_fd = saved[1];
                streams[1].copy_fd = saved[2];
        }
        if (master >= 0) {
                streams[0].fd = master;
                streams[0].copy_fd = io->foreground ? saved[1] : -1;
                if (io->foreground && io->interactive)
                        stdin_open = true;
                if (io->foreground && isatty(saved[0]) && tcgetattr(saved[0], &saved_tio) == 0) {
                        struct termios t = saved_tio;

                        cfmakeraw(&t);
                        t.c_oflag |= OPOST;
                        if (tcsetattr(saved[0], TCSANOW, &t) == 0)
                                raw = true;
                        copy_winsize(saved[0], master);
                }
        }
        for (;;) {
                struct pollfd p[4] = {{.fd = sfd, .events = POLLIN},
                                      {.fd = streams[0].fd, .events = POLLIN},
                                      {.fd = streams[1].fd, .events = POLLIN},
                                      {.fd = stdin_open ? saved[0] : -1, .events = POLLIN}};
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (TEMP_FAILURE_RETRY_INT(poll(p, 4, -1)) < 0)
                        break;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                if (si.ssi_signo == SIGCHLD)
                                        continue;
                                if (si.ssi_signo == SIGWINCH) {
                                        if (master >= 0 && saved[0] >= 0)
                                                copy_winsize(saved[0], master);
                                        continue;
                                }
                                /* docker run's --sig-proxy: the container
                                 * gets what the CLI got. */
                                kill(pid, (int)si.ssi_signo);
                        }
                }
                for (int i = 0; i < 2; i++)
                        if (streams[i].fd >= 0 && (p[1 + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                            !log_pump(&streams[i], log_fd)) {
                                if (streams[i].fd != master)
                                        close(streams[i].fd);
                                streams[i].fd = -1;
                        }
                if (stdin_open && (p[3].revents & (POLLIN | POLLHUP))) {
                        char b[4096];
                        ssize_t k = read(saved[0], b, sizeof(b));

                        if (k <= 0)
                                stdin_open = false;
                        else
                                write_all(master, b, (size_t)k);
                }
        }
        /* What was written just before the exit. */
        for (int i = 0; i < 2; i++) {
                if (streams[i].fd < 0)
                        continue;
                fcntl(streams[i].fd, F_SETFL, O_NONBLOCK);
                while (log_pump(&streams[i], log_fd)) {
                        struct pollfd p = {.fd = streams[i].fd, .events = POLLIN};

                        if (poll(&p, 1, 0) <= 0)
                                break;
                }
                log_emit(log_fd, streams[i].name, streams[i].buf, streams[i].len);
                streams[i].len = 0;
        }
        if (raw)
                tcsetattr(saved[0], TCSANOW, &saved_tio);
        *ret_code = exit_code_of(status);
        {
                cell_error_t ignored = {0};

                runtime_delete(e->runtime_root, id, true, &ignored);
        }
        r = 0;
out:
        for (int i = 0; i < 2; i++)
                if (streams[i].fd >= 0 && streams[i].fd != master)
                        close(streams[i].fd);
        if (master >= 0)
                close(master);
        for (int i = 0; i < 2; i++) {
                if (out_pipe[i] >= 0)
                        close(out_pipe[i]);
                if (err_pipe[i] >= 0)
                        close(err_pipe[i]);
        }
        for (int i = 0; i < 3; i++)
                if (saved[i] >= 0)
                        close(saved[i]);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

static int remove_container(engine_t *e, const char *id, json_t *rec, bool volumes, cell_error_t *err);

/* State.ExitCode of a container that could not start, as docker's daemon
 * sets it: 127 for a command not found, 126 for one that cannot be run
 * (permission denied), else 128. */
static int start_failure_exit_code(const cell_error_t *err)
{
        if (err->code == ENOENT || strstr(err->msg, "not found") ||
            strstr(err->msg, "No such file or directory"))
                return 127;
        if (err->code == EACCES || strstr(err->msg, "Permission denied"))
                return 126;
        return 128;
}

/* The monitor's life, or a foreground run's: run, record, restart by
 * policy, remove (--rm). */
static int supervise(engine_t *e, const char *id, run_io_t *io, int *ret_code, cell_error_t *err)
{
        for (;;) {
                json_t *rec = NULL;
                bool auto_remove, again;
                int code = 0;

                if (run_once(e, id, io, &code, err) < 0) {
                        _cleanup_close_ int lock = engine_record_lock(e, id, NULL);
                        json_t *r2 = NULL;

                        if (lock >= 0 && engine_record_read(e, id, &r2, NULL) == 0) {
                                set_exited(r2, start_failure_exit_code(err), err->msg);
                                json_object_set_new(state_of(r2), "Status", json_string("created"));
                                engine_record_write(e, id, r2, NULL);
                                json_decref(r2);
                        }
                        return -1;
                }
                *ret_code = code;
                /* A foreground run returns at the first exit, as docker run
                 * does; the policy applies to detached containers. */
                again = record_exit(e, id, code, !io->foreground);
                if (engine_record_read(e, id, &rec, NULL) < 0)
                        return 0;
                auto_remove = json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove"));
                if (!again) {
                        if (auto_remove)
                                remove_container(e, id, rec, true, NULL);
                        json_decref(rec);
                        return 0;
                }
                json_decref(rec);
                {
                        /* Docker's back-off starts at 100 ms and doubles;
                         * kept short here and capped at 1 s. */
                        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};

                        nanosleep(&ts, NULL);
                }
        }
}

/* Detach a monitor: double fork, own session; the starter learns through
 * sync whether the container runs. */
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
                pid_t m;

                close(sync[0]);
                close(errp[0]);
                setsid();
                m = fork();
                if (m != 0)
                        _exit(m < 0 ? 1 : 0);
                {
                        run_io_t io = {.sync_fd = sync[1]};
                        cell_error_t merr = {0};
                        int code = 0, null = open("/dev/null", O_RDWR | O_CLOEXEC);

                        /* The monitor holds no terminal and no caller fd. */
                        if (null >= 0) {
                                dup2(null, 0);
                                dup2(null, 1);
                                dup2(null, 2);
                        }
                        signal(SIGHUP, SIG_IGN);
                        signal(SIGPIPE, SIG_IGN);
                        if (supervise(e, id, &io, &code, &merr) < 0 && io.sync_fd >= 0)
                                (void)!write(errp[1], merr.msg, strlen(merr.msg));
                        _exit(0);
                }
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
        run_io_t io = {.foreground = o->foreground, .interactive = o->interactive, .sync_fd = -1};
        const char *log_type;

        if (engine_inspect(e, id, &rec, err) < 0)
                return -1;
        if (json_is_true(json_object_get(json_object_get(rec, "State"), "Running"))) {
                json_decref(rec);
                return o->foreground ? cell_error_plain(err, EBUSY, "container %.12s is already running", id)
                                     : 0;
        }
        c = json_object_get(rec, "Config");
        hc = json_object_get(rec, "HostConfig");
        io.tty = json_is_true(json_object_get(c, "Tty"));
        log_type = jstr(json_object_get(hc, "LogConfig"), "Type");
        /* In the foreground with nobody to read a log afterwards (--rm, or
         * --log-driver none), the container writes to the caller's own
         * stdout and stderr: no pipe, no copy. */
        io.direct = o->foreground && !io.tty &&
                    (json_is_true(json_object_get(hc, "AutoRemove")) || str_eq(log_type, "none"));
        {
                _cleanup_close_ int lock = engine_record_lock(e, id, err);

                if (lock < 0) {
                        json_decref(rec);
                        return -1;
                }
                json_decref(rec);
                if (engine_record_read(e, id, &rec, err) < 0)
                        return -1;
                json_object_set_new(state_of(rec), "ManuallyStopped", json_false());
                engine_record_write(e, id, rec, NULL);
                json_decref(rec);
        }
        if (!o->foreground)
                return spawn_monitor(e, id, err);
        return supervise(e, id, &io, &o->exit_code, err);
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
        json_object_set_new(state_of(rec), "ManuallyStopped", json_true());
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

int engine_stop(engine_t *e, const char *id, int timeout, cell_error_t *err)
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
        s = state_of(rec);
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
