/* cell: a container's monitor (see monitor.h). */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "fsutil.h"
#include "health.h"
#include "monitor.h"
#include "network.h"
#include "proc.h"
#include "runtime.h"
#include "strutil.h"

#define LOG_LINE_MAX (16 * 1024)

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

void engine_record_set_exited(json_t *rec, int code, const char *error)
{
        json_t *s = engine_record_state(rec);
        _cleanup_free_ char *now = engine_time_now();

        json_object_set_new(s, "Status", json_string("exited"));
        json_object_set_new(s, "Running", json_false());
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "Pid", json_integer(0));
        json_object_set_new(s, "ExitCode", json_integer(code));
        json_object_set_new(s, "FinishedAt", json_string(now ? now : ENGINE_ZERO_TIME));
        if (error)
                json_object_set_new(s, "Error", json_string(error));
        json_object_del(rec, "MonitorPid");
        json_object_del(rec, "MonitorStart");
        /* An exited container has no addresses (its networks' teardown
         * may still run: engine_net_release). */
        engine_net_record_clear(rec);
}

/* ---- logging ---- */

typedef struct log_stream {
        const char *name; /* "stdout", "stderr" */
        int no;           /* 1, 2 */
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
        j = json_pack("{s:s%, s:s, s:s}", "log", data, len, "stream", stream, "time",
                      now ? now : ENGINE_ZERO_TIME);
        if (!j) {
                /* Not UTF-8: jansson refuses it; keep the bytes' shape. */
                _cleanup_free_ char *safe = malloc(len);

                if (!safe)
                        return;
                for (size_t i = 0; i < len; i++)
                        safe[i] = (data[i] & 0x80) ? '?' : data[i];
                j = json_pack("{s:s%, s:s, s:s}", "log", safe, len, "stream", stream, "time",
                              now ? now : ENGINE_ZERO_TIME);
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

/* Read what is there; complete lines go to the log. false at EOF. */
static bool log_pump(log_stream_t *ls, int log_fd, engine_attach_srv_t *attach)
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
                (void)fs_write_all(ls->copy_fd, tmp, (size_t)k);
        if (attach)
                engine_attach_output(attach, ls->no, tmp, (size_t)k);
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

static int record_update_running(engine_t *e, const char *id, pid_t pid, bool monitor, cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, err);
        _cleanup_free_ char *now = engine_time_now();
        json_t *rec = NULL, *s;
        int r;

        if (lock < 0 || engine_record_read(e, id, &rec, err) < 0)
                return -1;
        s = engine_record_state(rec);
        json_object_set_new(s, "Status", json_string("running"));
        json_object_set_new(s, "Running", json_true());
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "Pid", json_integer(pid));
        json_object_set_new(s, "ExitCode", json_integer(0));
        json_object_set_new(s, "Error", json_string(""));
        json_object_set_new(s, "StartedAt", json_string(now ? now : ENGINE_ZERO_TIME));
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
        engine_record_set_exited(rec, code, NULL);
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
                        json_object_set_new(engine_record_state(rec), "Restarting", json_true());
                        json_object_set_new(engine_record_state(rec), "Status", json_string("restarting"));
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
static int run_once(engine_t *e, const char *id, engine_run_io_t *io, int *ret_code, cell_error_t *err)
{
        _cleanup_free_ char *bundle = engine_container_path(e, id, NULL);
        _cleanup_free_ char *log_path = str_printf("%s/%s-json.log", bundle ? bundle : "", id);
        _cleanup_close_ int log_fd = -1, sfd = -1, devnull = -1;
        int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1}, saved[3] = {-1, -1, -1},
            master = -1;
        log_stream_t streams[2] = {{.name = "stdout", .no = 1, .fd = -1, .copy_fd = -1},
                                   {.name = "stderr", .no = 2, .fd = -1, .copy_fd = -1}};
        runtime_create_opts_t ro = {.root = e->runtime_root, .id = id, .bundle = bundle};
        struct termios saved_tio;
        engine_health_t health = {.probe = -1, .probe_fd = -1};
        bool raw = false, stdin_open = false, net_begun = false;
        engine_net_setup_t *net = NULL;
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
        /* Its network namespace, and its networks set up by a child while
         * the runtime builds the container (waited for before start). */
        if (io->net) {
                net = io->net;
                io->net = NULL;
        } else if (engine_net_begin(e, id, NULL, &net, err) < 0) {
                return -1;
        }
        net_begun = true;
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
        /* A detached container with OpenStdin (run -d -i) reads a pipe
         * that stays open for `cell attach`; the monitor's end does not
         * block (see engine_attach_srv_t's pend). */
        if (!io->foreground && io->open_stdin && !io->tty) {
                if (pipe2(in_pipe, O_CLOEXEC) < 0) {
                        r = cell_error_errno(err, "pipe");
                        goto out;
                }
                fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
        }
        /* The container's stdio is ours at the moment of create. */
        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        if (!io->direct) {
                dup2(io->foreground && io->interactive && !io->tty ? saved[0]
                     : in_pipe[0] >= 0                             ? in_pipe[0]
                                                                   : devnull,
                     0);
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
        if (in_pipe[0] >= 0) {
                close(in_pipe[0]);
                in_pipe[0] = -1;
        }
        if (r < 0)
                goto out;
        r = engine_net_finish(e, id, net, err);
        net = NULL;
        if (r < 0) {
                cell_error_t ignored = {0};

                runtime_delete(e->runtime_root, id, true, &ignored);
                waitpid(pid, NULL, 0);
                goto out;
        }
        if (io->attach) {
                int in_fd = in_pipe[1] >= 0 ? in_pipe[1] : master >= 0 && io->open_stdin ? master : -1;

                engine_attach_set_target(io->attach, in_fd, in_fd == in_pipe[1], io->stdin_once, master, pid);
                in_pipe[1] = -1;
                /* Detached, the monitor never blocks on the terminal: its
                 * reads and attached clients' writes wait in poll. */
                if (master >= 0 && !io->foreground)
                        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        }
        /* The window size before the program runs: it may ask at once. */
        if (master >= 0 && io->foreground && saved[0] >= 0 && isatty(saved[0]))
                copy_winsize(saved[0], master);
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
        /* Creating the container (the spec, the seccomp filter) used a
         * megabyte of heap that is free now: give it back, since a monitor
         * stays for the container's whole life, one per container. */
        if (!io->foreground)
                malloc_trim(0);
        {
                json_t *rec = NULL;

                if (engine_record_read(e, id, &rec, NULL) == 0)
                        engine_health_init(e, id, json_object_get(rec, "Config"), &health);
                json_decref(rec);
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

                        /* Raw both ways, as docker's client: the
                         * container's own terminal already made its
                         * newlines \r\n. */
                        cfmakeraw(&t);
                        if (tcsetattr(saved[0], TCSANOW, &t) == 0)
                                raw = true;
                        copy_winsize(saved[0], master);
                }
        }
        for (;;) {
                struct pollfd p[5 + ENGINE_ATTACH_POLLFDS] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = streams[0].fd, .events = POLLIN},
                        {.fd = streams[1].fd, .events = POLLIN},
                        {.fd = stdin_open ? saved[0] : -1, .events = POLLIN},
                        {.fd = health.probe_fd, .events = POLLIN}};
                size_t na = io->attach ? engine_attach_pollfds(io->attach, p + 5) : 0;
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (TEMP_FAILURE_RETRY_INT(poll(p, 5 + na, engine_health_poll_ms(&health))) < 0)
                        break;
                engine_health_tick(e, id, &health);
                if (na)
                        engine_attach_events(io->attach, p + 5, na);
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
                            !log_pump(&streams[i], log_fd, io->attach)) {
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
                                (void)fs_write_all(master, b, (size_t)k);
                }
        }
        /* What was written just before the exit. */
        for (int i = 0; i < 2; i++) {
                if (streams[i].fd < 0)
                        continue;
                fcntl(streams[i].fd, F_SETFL, O_NONBLOCK);
                while (log_pump(&streams[i], log_fd, io->attach)) {
                        struct pollfd p = {.fd = streams[i].fd, .events = POLLIN};

                        if (poll(&p, 1, 0) <= 0)
                                break;
                }
                log_emit(log_fd, streams[i].name, streams[i].buf, streams[i].len);
                streams[i].len = 0;
        }
        engine_health_clear(&health);
        if (raw)
                tcsetattr(saved[0], TCSANOW, &saved_tio);
        *ret_code = exit_code_of(status);
        {
                cell_error_t ignored = {0};

                runtime_delete(e->runtime_root, id, true, &ignored);
        }
        r = 0;
out:
        if (net) {
                cell_error_t ignored = {0};

                /* Create failed: wait for the child, then undo below. */
                engine_net_finish(e, id, net, &ignored);
        }
        if (net_begun) {
                if (r == 0)
                        engine_net_release(e, id);
                else
                        engine_net_end(e, id, true);
        }
        engine_health_clear(&health);
        if (io->attach)
                engine_attach_clear_target(io->attach);
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
                if (in_pipe[i] >= 0)
                        close(in_pipe[i]);
        }
        for (int i = 0; i < 3; i++)
                if (saved[i] >= 0)
                        close(saved[i]);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

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
 * policy. *ret_auto_remove says the container wants removing (--rm): the
 * caller does it (a monitor by exec'ing `cell rm`, which holds the storage
 * code this small process does not map). */
void engine_run_io_from_config(engine_run_io_t *io, json_t *config)
{
        io->tty = json_is_true(json_object_get(config, "Tty"));
        io->open_stdin = json_is_true(json_object_get(config, "OpenStdin"));
        io->stdin_once = json_is_true(json_object_get(config, "StdinOnce"));
}

static void record_start_failure(engine_t *e, const char *id, const cell_error_t *err)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, NULL);
        json_t *rec = NULL;

        if (lock >= 0 && engine_record_read(e, id, &rec, NULL) == 0) {
                engine_record_set_exited(rec, start_failure_exit_code(err), err->msg);
                json_object_set_new(engine_record_state(rec), "Status", json_string("created"));
                engine_record_write(e, id, rec, NULL);
                json_decref(rec);
        }
}

int engine_supervise(engine_t *e, const char *id, engine_run_io_t *io, int *ret_code, bool *ret_auto_remove,
                     cell_error_t *err)
{
        engine_attach_srv_t attach = ENGINE_ATTACH_SRV_INIT;
        int r = 0;

        *ret_auto_remove = false;
        /* The attach socket lives as long as the supervision: clients of
         * one run are told its exit and let go; a restarted container takes
         * new ones. */
        if (engine_attach_listen(e, id, &attach, err) < 0) {
                engine_net_cancel(e, id, io->net);
                io->net = NULL;
                record_start_failure(e, id, err);
                return -1;
        }
        io->attach = &attach;
        for (;;) {
                json_t *rec = NULL;
                bool again;
                int code = 0;

                if (run_once(e, id, io, &code, err) < 0) {
                        record_start_failure(e, id, err);
                        r = -1;
                        break;
                }
                *ret_code = code;
                /* A foreground run returns at the first exit, as docker run
                 * does; the policy applies to detached containers. */
                again = record_exit(e, id, code, !io->foreground);
                /* After the record: an attached client that returns sees
                 * the container exited in `ps` and `inspect`. */
                engine_attach_exit(&attach, code);
                if (engine_record_read(e, id, &rec, NULL) < 0)
                        break;
                if (!again) {
                        *ret_auto_remove = json_is_true(
                                json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove"));
                        json_decref(rec);
                        break;
                }
                json_decref(rec);
                {
                        /* Docker's back-off starts at 100 ms and doubles;
                         * kept short here. */
                        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};

                        nanosleep(&ts, NULL);
                }
        }
        engine_attach_close(&attach);
        io->attach = NULL;
        return r;
}

int engine_monitor_main(const char *storage_root, const char *run_root, const char *id, int sync_fd,
                        int err_fd)
{
        _cleanup_engine_ engine_t *e = NULL;
        engine_run_io_t io = {.sync_fd = sync_fd};
        cell_error_t err = {0};
        bool auto_remove = false;
        int code = 0;

        fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
        fcntl(err_fd, F_SETFD, FD_CLOEXEC);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        if (engine_open(storage_root, run_root, &e, &err) == 0) {
                json_t *rec = NULL;

                if (engine_record_read(e, id, &rec, &err) == 0)
                        engine_run_io_from_config(&io, json_object_get(rec, "Config"));
                json_decref(rec);
        }
        if (!e || err.msg[0] || engine_supervise(e, id, &io, &code, &auto_remove, &err) < 0) {
                if (io.sync_fd >= 0)
                        (void)!write(err_fd, err.msg, strlen(err.msg));
                return 1;
        }
        close(err_fd);
        if (auto_remove)
                execl("/proc/self/exe", "cell", "--storage-root", storage_root, "--runroot", run_root, "rm",
                      "-f", "-v", id, (char *)NULL);
        return 0;
}
