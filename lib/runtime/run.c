/* cell: run = create + start, and for a foreground container: wait for it,
 * forward signals, relay its terminal, report its exit and delete it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static const int forwarded[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGWINCH, SIGCHLD, SIGCONT};

static void copy_winsize(int from, int to)
{
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable from `from` to `to`; returns false at EOF/error. */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n <= 0)
                return n < 0 && (errno == EAGAIN || errno == EINTR);
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(to, buf + off, (size_t)(n - off));
                if (w < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return false;
                }
                off += w;
        }
        return true;
}

void run_block_forwarded_signals(sigset_t *set, sigset_t *old)
{
        sigemptyset(set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(set, forwarded[i]);
        sigprocmask(SIG_BLOCK, set, old);
}

int run_wait_foreground(pid_t init, int master, int *ret_status, cell_error_t *err)
{
        _cleanup_close_ int sfd = -1;
        struct termios saved;
        bool raw = false, stdin_open = master >= 0;
        sigset_t set;
        int status = 0;

        sigemptyset(&set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return cell_error_errno(err, "signalfd");
        if (master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0) {
                struct termios t = saved;
                cfmakeraw(&t);
                t.c_oflag |= OPOST; /* keep output post-processing like runc does */
                if (tcsetattr(0, TCSANOW, &t) == 0)
                        raw = true;
                copy_winsize(0, master);
        }
        for (;;) {
                struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                                      {.fd = master, .events = POLLIN},
                                      {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
                pid_t w;

                /* Only our own process: the caller (an engine running many
                 * containers in process) may have other children whose
                 * status is not ours to take. */
                w = waitpid(init, &status, WNOHANG);
                if (w == init)
                        goto done;
                if (w < 0 && errno != EINTR)
                        break;
                if (TEMP_FAILURE_RETRY_INT(poll(p, 3, -1)) < 0)
                        break;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGCHLD)
                                        continue;
                                if (si.ssi_signo == SIGWINCH && master >= 0) {
                                        copy_winsize(0, master);
                                        continue;
                                }
                                kill(init, (int)si.ssi_signo);
                        }
                }
                if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        if (!pump(master, 1) && !(p[1].revents & POLLIN))
                                master = -1; /* pty closed: keep waiting for the exit */
                }
                if (stdin_open && (p[2].revents & (POLLIN | POLLHUP))) {
                        if (!pump(0, master))
                                stdin_open = false;
                }
        }
        status = 0;
done:
        if (master >= 0) {
                /* Drain what the program wrote just before exiting. */
                fcntl(master, F_SETFL, O_NONBLOCK);
                while (pump(master, 1)) {
                        struct pollfd p = {.fd = master, .events = POLLIN};
                        if (poll(&p, 1, 0) <= 0)
                                break;
                }
        }
        if (raw)
                tcsetattr(0, TCSANOW, &saved);
        if (WIFSIGNALED(status))
                *ret_status = 128 + WTERMSIG(status);
        else
                *ret_status = WEXITSTATUS(status);
        return 0;
}

int runtime_create_attached(const runtime_create_opts_t *o, pid_t *ret_pid, int *ret_master,
                            cell_error_t *err)
{
        created_t c = {.pid = -1, .master = -1};
        int r = create_container(o, true, &c, err);

        if (r < 0)
                return r;
        *ret_pid = c.pid;
        *ret_master = c.master;
        return 0;
}

int runtime_run(const runtime_create_opts_t *o, int *ret_status, cell_error_t *err)
{
        created_t c = {.pid = -1, .master = -1};
        sigset_t set, old;
        int r;

        *ret_status = 0;
        if (o->detach) {
                r = create_container(o, false, &c, err);
                if (r < 0)
                        return r;
                if (c.master >= 0)
                        close(c.master);
                r = runtime_start(o->root, o->id, err);
                if (r < 0) {
                        cell_error_t ignored = {0};
                        runtime_delete(o->root, o->id, true, &ignored);
                }
                return r;
        }
        /* The init is always our own child (the slow path clones it with
         * CLONE_PARENT), so no subreaper flag is needed: the caller's
         * process stays as it was. */
        run_block_forwarded_signals(&set, &old);
        r = create_container(o, true, &c, err);
        if (r == 0)
                r = runtime_start(o->root, o->id, err);
        if (r == 0)
                r = run_wait_foreground(c.pid, c.master, ret_status, err);
        if (c.master >= 0)
                close(c.master);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (c.pid > 0 && !o->keep) {
                cell_error_t derr = {0};
                if (runtime_delete(o->root, o->id, true, &derr) < 0 && r == 0) {
                        *err = derr;
                        r = -1;
                }
        }
        return r;
}
