/* cell: attaching to a running container (see attach.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#define ATTACH_MSG_MAX  (32 * 1024)
#define ATTACH_PEND_MAX (64 * 1024)

char *engine_attach_socket_path(engine_t *e, const char *id)
{
        return str_printf("%s/attach/%s", e->run_root, id);
}

/* A sockaddr for path; a path longer than sun_path goes through its
 * directory's fd (/proc/self/fd/N/name), which *dirfd holds open until
 * the caller has bound or connected. */
static int socket_addr(const char *path, struct sockaddr_un *sa, int *dirfd, cell_error_t *err)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        *dirfd = -1;
        if (strlen(path) < sizeof(sa->sun_path)) {
                memcpy(sa->sun_path, path, strlen(path) + 1);
                return 0;
        }
        {
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;

                if (!slash)
                        return cell_error_set(err, ENAMETOOLONG, "%s", path);
                *slash = '\0';
                *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*dirfd < 0)
                        return cell_error_errno(err, "open %s", dir);
                if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                                     slash + 1) >= sizeof(sa->sun_path)) {
                        close(*dirfd);
                        *dirfd = -1;
                        return cell_error_set(err, ENAMETOOLONG, "%s", path);
                }
        }
        return 0;
}

int engine_attach_listen(engine_t *e, const char *id, engine_attach_srv_t *s, cell_error_t *err)
{
        _cleanup_free_ char *path = engine_attach_socket_path(e, id);
        _cleanup_free_ char *dir = str_printf("%s/attach", e->run_root);
        _cleanup_close_ int fd = -1, dirfd = -1;
        struct sockaddr_un sa;

        if (!path || !dir)
                return cell_error_set(err, ENOMEM, "attach socket");
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cell_error_errno(err, "socket");
        /* Only the directory guards the socket: it is made 0700 before
         * anything is bound in it. */
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return cell_error_errno(err, "mkdir %s", dir);
        if (socket_addr(path, &sa, &dirfd, err) < 0)
                return -1;
        /* A socket left by a monitor that was killed. */
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return cell_error_errno(err, "bind %s", path);
        if (listen(fd, 8) < 0) {
                unlink(path);
                return cell_error_errno(err, "listen %s", path);
        }
        s->listen_fd = steal_fd(&fd);
        s->path = steal_pointer(&path);
        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++)
                s->clients[i].fd = -1;
        return 0;
}

void engine_attach_set_target(engine_attach_srv_t *s, int in_fd, bool in_owned, bool in_once, int winsize_fd,
                              pid_t pid)
{
        s->in_fd = in_fd;
        s->in_owned = in_owned;
        s->in_once = in_once;
        s->winsize_fd = winsize_fd;
        s->pid = pid;
        s->pend_len = s->pend_off = 0;
        s->close_in_after = false;
}

void engine_attach_clear_target(engine_attach_srv_t *s)
{
        if (s->in_owned && s->in_fd >= 0)
                close(s->in_fd);
        s->in_fd = s->winsize_fd = -1;
        s->in_owned = false;
        s->pid = 0;
        s->pend_len = s->pend_off = 0;
}

static void client_close(engine_attach_client_t *c)
{
        if (c->fd >= 0)
                close(c->fd);
        *c = (engine_attach_client_t){.fd = -1};
}

size_t engine_attach_pollfds(const engine_attach_srv_t *s, struct pollfd *p)
{
        size_t n = 0;
        bool pending = s->pend_len > s->pend_off;

        if (s->listen_fd < 0)
                return 0;
        p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = pending ? s->in_fd : -1, .events = POLLOUT};
        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++)
                /* While stdin is pending, clients are not read (POLLHUP
                 * still says when one leaves). */
                p[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = pending ? 0 : POLLIN};
        return n;
}

/* Write pending stdin as far as the container takes it now. */
static void flush_stdin(engine_attach_srv_t *s)
{
        while (s->in_fd >= 0 && s->pend_off < s->pend_len) {
                ssize_t k = write(s->in_fd, s->pend + s->pend_off, s->pend_len - s->pend_off);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return;
                if (k <= 0) {
                        /* The container closed its stdin: drop the rest. */
                        s->pend_off = s->pend_len;
                        break;
                }
                s->pend_off += (size_t)k;
        }
        s->pend_len = s->pend_off = 0;
        if (s->close_in_after && s->in_owned && s->in_fd >= 0) {
                close(s->in_fd);
                s->in_fd = -1;
                s->in_owned = false;
        }
}

static void client_message(engine_attach_srv_t *s, engine_attach_client_t *c, const char *m, size_t n)
{
        switch (m[0]) {
        case ENGINE_ATTACH_HELLO:
                if (n >= 4) {
                        c->in = m[1] != 0;
                        c->out = m[2] != 0;
                        c->err = m[3] != 0;
                        c->hello = true;
                }
                break;
        case ENGINE_ATTACH_STDIN:
                if (!c->in || s->in_fd < 0 || n < 2)
                        break;
                if (!s->pend && !(s->pend = malloc(ATTACH_PEND_MAX)))
                        break;
                n = n - 1 > ATTACH_PEND_MAX ? ATTACH_PEND_MAX : n - 1;
                memcpy(s->pend, m + 1, n);
                s->pend_len = n;
                s->pend_off = 0;
                flush_stdin(s);
                break;
        case ENGINE_ATTACH_STDIN_EOF:
                /* StdinOnce (docker run -i in the foreground, start -ai):
                 * the container's stdin ends with its client's. Otherwise
                 * it stays open for the next client. */
                if (c->in && s->in_once && s->in_owned) {
                        s->close_in_after = true;
                        flush_stdin(s);
                }
                break;
        case ENGINE_ATTACH_RESIZE:
                if (s->winsize_fd >= 0 && n >= 5) {
                        struct winsize ws = {0};
                        uint16_t rc[2];

                        memcpy(rc, m + 1, sizeof(rc));
                        ws.ws_row = rc[0];
                        ws.ws_col = rc[1];
                        /* The kernel sends SIGWINCH to the terminal's
                         * foreground process group. */
                        ioctl(s->winsize_fd, TIOCSWINSZ, &ws);
                }
                break;
        case ENGINE_ATTACH_SIGNAL:
                if (s->pid > 0 && n >= 5) {
                        int32_t sig;

                        memcpy(&sig, m + 1, sizeof(sig));
                        if (sig > 0 && sig < NSIG)
                                kill(s->pid, sig);
                }
                break;
        default:
                break;
        }
}

void engine_attach_events(engine_attach_srv_t *s, const struct pollfd *p, size_t n)
{
        if (n < 2)
                return;
        if (p[1].revents & (POLLOUT | POLLERR | POLLHUP))
                flush_stdin(s);
        if (p[0].revents & POLLIN) {
                int fd;

                while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
                        size_t i;

                        for (i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++)
                                if (s->clients[i].fd < 0)
                                        break;
                        if (i == ENGINE_ATTACH_MAX_CLIENTS) {
                                close(fd);
                                continue;
                        }
                        s->clients[i] = (engine_attach_client_t){.fd = fd};
                }
        }
        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS && 2 + i < n; i++) {
                engine_attach_client_t *c = &s->clients[i];
                short re = p[2 + i].revents;

                if (c->fd < 0 || p[2 + i].fd != c->fd || !re)
                        continue;
                if (re & POLLIN) {
                        char m[ATTACH_MSG_MAX + 1];
                        ssize_t k = recv(c->fd, m, sizeof(m), MSG_DONTWAIT);

                        if (k > 0) {
                                client_message(s, c, m, (size_t)k);
                                continue;
                        }
                        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        client_close(c);
                        continue;
                }
                if (re & (POLLHUP | POLLERR | POLLNVAL))
                        client_close(c);
        }
}

/* One packet to one client; a client that stays full for a second is
 * dropped: the container's output (and its log) must not wait on it. */
static void client_send(engine_attach_client_t *c, char type, const void *data, size_t len)
{
        struct iovec iov[2] = {{.iov_base = &type, .iov_len = 1}, {.iov_base = (void *)data, .iov_len = len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

        for (int tries = 0; tries < 2; tries++) {
                ssize_t k = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                struct pollfd p = {.fd = c->fd, .events = POLLOUT};

                if (k >= 0)
                        return;
                if (errno != EAGAIN && errno != EINTR)
                        break;
                if (TEMP_FAILURE_RETRY_INT(poll(&p, 1, 1000)) <= 0)
                        break;
        }
        client_close(c);
}

void engine_attach_output(engine_attach_srv_t *s, int stream, const char *data, size_t len)
{
        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++) {
                engine_attach_client_t *c = &s->clients[i];

                if (c->fd < 0 || !(stream == 1 ? c->out : c->err))
                        continue;
                for (size_t off = 0; off < len && c->fd >= 0; off += ATTACH_MSG_MAX) {
                        size_t k = len - off > ATTACH_MSG_MAX ? ATTACH_MSG_MAX : len - off;

                        client_send(c, stream == 1 ? ENGINE_ATTACH_STDOUT : ENGINE_ATTACH_STDERR, data + off,
                                    k);
                }
        }
}

void engine_attach_exit(engine_attach_srv_t *s, int code)
{
        int32_t c32 = code;

        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++) {
                if (s->clients[i].fd < 0)
                        continue;
                client_send(&s->clients[i], ENGINE_ATTACH_EXIT, &c32, sizeof(c32));
                client_close(&s->clients[i]);
        }
}

void engine_attach_close(engine_attach_srv_t *s)
{
        for (size_t i = 0; i < ENGINE_ATTACH_MAX_CLIENTS; i++)
                if (s->listen_fd >= 0)
                        client_close(&s->clients[i]);
        engine_attach_clear_target(s);
        if (s->listen_fd >= 0) {
                close(s->listen_fd);
                s->listen_fd = -1;
        }
        if (s->path) {
                unlink(s->path);
                free(s->path);
                s->path = NULL;
        }
        free(s->pend);
        s->pend = NULL;
}

/* ---- the client: cell attach ---- */

int engine_attach_parse_keys(const char *spec, char *keys, size_t size, cell_error_t *err)
{
        _cleanup_free_ char *copy = strdup(spec);
        char *save = NULL, *tok;
        size_t n = 0;

        if (!copy)
                return cell_error_set(err, ENOMEM, "detach keys");
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char c;

                if (n == size)
                        return cell_error_plain(err, EINVAL, "Invalid detach keys (%s) provided", spec);
                if (strlen(tok) == 1) {
                        c = tok[0];
                } else if (strncmp(tok, "ctrl-", 5) == 0 && strlen(tok) == 6) {
                        /* Docker's table: ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\, ctrl-], ctrl-^, ctrl-_ */
                        char k = tok[5];

                        if (k >= 'a' && k <= 'z')
                                c = (char)(k - 'a' + 1);
                        else if (k == '@' || k == '[' || k == '\\' || k == ']' || k == '^' || k == '_')
                                c = (char)(k - '@');
                        else
                                return cell_error_plain(err, EINVAL, "Invalid detach keys (%s) provided",
                                                        spec);
                } else {
                        return cell_error_plain(err, EINVAL, "Invalid detach keys (%s) provided", spec);
                }
                keys[n++] = c;
        }
        if (n == 0)
                return cell_error_plain(err, EINVAL, "Invalid detach keys (%s) provided", spec);
        return (int)n;
}

static int send_msg(int fd, char type, const void *data, size_t len)
{
        struct iovec iov[2] = {{.iov_base = &type, .iov_len = 1}, {.iov_base = (void *)data, .iov_len = len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

        return TEMP_FAILURE_RETRY_INT(sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 ? -1 : 0;
}

static void send_winsize(int sock)
{
        struct winsize ws;
        uint16_t rc[2];

        if (ioctl(0, TIOCGWINSZ, &ws) < 0)
                return;
        rc[0] = ws.ws_row;
        rc[1] = ws.ws_col;
        send_msg(sock, ENGINE_ATTACH_RESIZE, rc, sizeof(rc));
}

static const int proxied_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

typedef struct attach_client {
        int sock;
        char keys[16];
        size_t nkeys, matched; /* detach keys typed so far (held back) */
} attach_client_t;

/* Stdin to the container, holding back what may be the start of the
 * detach keys. true when they were typed whole. */
static bool forward_stdin(attach_client_t *ac, const char *b, size_t n)
{
        char out[4096 + 16];
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                if (ac->nkeys && b[i] == ac->keys[ac->matched]) {
                        if (++ac->matched == ac->nkeys)
                                return true;
                        continue;
                }
                if (ac->matched) {
                        memcpy(out + o, ac->keys, ac->matched);
                        o += ac->matched;
                        ac->matched = 0;
                        if (ac->nkeys && b[i] == ac->keys[0]) {
                                ac->matched = 1;
                                continue;
                        }
                }
                out[o++] = b[i];
                if (o >= 4096) {
                        send_msg(ac->sock, ENGINE_ATTACH_STDIN, out, o);
                        o = 0;
                }
        }
        if (o)
                send_msg(ac->sock, ENGINE_ATTACH_STDIN, out, o);
        return false;
}

int engine_attach(engine_t *e, const char *id, engine_attach_opts_t *o, cell_error_t *err)
{
        _cleanup_free_ char *path = engine_attach_socket_path(e, id);
        _cleanup_close_ int sock = -1, dirfd = -1, sfd = -1;
        json_t *rec = NULL, *c;
        attach_client_t ac = {0};
        struct sockaddr_un sa;
        struct termios saved_tio;
        bool tty, want_in, raw = false, in_open, got_exit = false;
        sigset_t set, old;
        int r = 0;

        o->exit_code = 0;
        o->detached = false;
        if (!path)
                return cell_error_set(err, ENOMEM, "attach");
        if (engine_record_read(e, id, &rec, err) < 0)
                return -1;
        c = json_object_get(rec, "Config");
        tty = json_is_true(json_object_get(c, "Tty"));
        want_in = !o->no_stdin && json_is_true(json_object_get(c, "OpenStdin"));
        json_decref(rec);
        {
                int n = engine_attach_parse_keys(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", ac.keys,
                                                 sizeof(ac.keys), err);

                if (n < 0)
                        return -1;
                /* Only a terminal's input is scanned for them: a pipe's
                 * bytes reach the container as they are. */
                ac.nkeys = tty && want_in ? (size_t)n : 0;
        }
        sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return cell_error_errno(err, "socket");
        if (socket_addr(path, &sa, &dirfd, err) < 0)
                return -1;
        if (TEMP_FAILURE_RETRY_INT(connect(sock, (struct sockaddr *)&sa, sizeof(sa))) < 0)
                return cell_error_errno(
                        err,
                        "cannot attach to container %.12s: its monitor is gone (nothing serves %s); "
                        "its processes run on until stop or rm -f",
                        id, path);
        ac.sock = sock;
        {
                char hello[3] = {want_in, 1, 1};

                if (send_msg(sock, ENGINE_ATTACH_HELLO, hello, sizeof(hello)) < 0)
                        return cell_error_errno(err, "attach %.12s", id);
        }
        sigemptyset(&set);
        if (tty)
                sigaddset(&set, SIGWINCH);
        /* docker attach --sig-proxy: without a terminal, the signals this
         * command gets go to the container (with one, ^C is a byte). */
        if (o->sig_proxy && !tty)
                for (size_t i = 0; i < ARRAY_SIZE(proxied_signals); i++)
                        sigaddset(&set, proxied_signals[i]);
        sigprocmask(SIG_BLOCK, &set, &old);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (tty && isatty(0)) {
                if (want_in && tcgetattr(0, &saved_tio) == 0) {
                        struct termios t = saved_tio;

                        cfmakeraw(&t);
                        raw = tcsetattr(0, TCSANOW, &t) == 0;
                }
                send_winsize(sock);
        }
        in_open = want_in;
        for (;;) {
                struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
                                      {.fd = in_open ? 0 : -1, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                char m[ATTACH_MSG_MAX + 1];

                if (TEMP_FAILURE_RETRY_INT(poll(p, 3, -1)) < 0) {
                        r = cell_error_errno(err, "poll");
                        break;
                }
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t k = TEMP_FAILURE_RETRY(recv(sock, m, sizeof(m), 0));

                        if (k <= 0)
                                break;
                        if (m[0] == ENGINE_ATTACH_STDOUT)
                                (void)fs_write_all(1, m + 1, (size_t)k - 1);
                        else if (m[0] == ENGINE_ATTACH_STDERR)
                                (void)fs_write_all(2, m + 1, (size_t)k - 1);
                        else if (m[0] == ENGINE_ATTACH_EXIT && k >= 5) {
                                int32_t code;

                                memcpy(&code, m + 1, sizeof(code));
                                o->exit_code = code;
                                got_exit = true;
                                break;
                        }
                        continue;
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t k = TEMP_FAILURE_RETRY(read(0, m, 4096));

                        if (k <= 0) {
                                in_open = false;
                                send_msg(sock, ENGINE_ATTACH_STDIN_EOF, NULL, 0);
                        } else if (forward_stdin(&ac, m, (size_t)k)) {
                                o->detached = true;
                                break;
                        }
                }
                if (sfd >= 0 && (p[2].revents & POLLIN)) {
                        struct signalfd_siginfo si;

                        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                int32_t sig = (int32_t)si.ssi_signo;

                                if (sig == SIGWINCH)
                                        send_winsize(sock);
                                else
                                        send_msg(sock, ENGINE_ATTACH_SIGNAL, &sig, sizeof(sig));
                        }
                }
        }
        if (raw)
                tcsetattr(0, TCSANOW, &saved_tio);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (r == 0 && !got_exit && !o->detached) {
                /* The monitor went away without a word (killed, or the
                 * container ended as we connected): the record knows. */
                for (int tries = 0; tries < 100; tries++) {
                        struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
                        json_t *last = NULL, *st;
                        bool running;

                        if (engine_record_read(e, id, &last, NULL) < 0)
                                break;
                        st = json_object_get(last, "State");
                        running = json_is_true(json_object_get(st, "Running"));
                        o->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
                        json_decref(last);
                        if (!running)
                                break;
                        nanosleep(&step, NULL);
                }
        }
        return r;
}
