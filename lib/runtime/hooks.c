/* cell: OCI hooks. Each gets the container state on stdin; a timeout kills
 * it. Whether a failure stops the container is the caller's decision, by
 * the spec's rules for each hook kind. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int run_one(const spec_hook_t *h, const char *field, const char *state_json, cell_error_t *err)
{
        _cleanup_pid_ pid_t pid = -1;
        _cleanup_close_ int pidfd = -1;
        int pipefd[2];
        int status = 0;
        size_t len = strlen(state_json);
        long deadline;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return cell_error_errno(err, "%s: pipe", field);
        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                pid = -1;
                return cell_error_errno(err, "%s: fork", field);
        }
        if (pid == 0) {
                char *const empty[] = {NULL};
                char *argv0[] = {h->path, NULL};

                if (dup2(pipefd[0], 0) < 0)
                        _exit(127);
                /* A hook must not inherit any of the runtime's descriptors but stdio. */
                syscall(SYS_close_range, 3, ~0U, 0);
                setsid();
                execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty);
                dprintf(2, "cell: %s: exec %s: %s\n", field, h->path, strerror(errno));
                _exit(127);
        }
        close(pipefd[0]);
        /* The state fits a pipe buffer in practice; a hook that does not read
         * it gets EPIPE on our side, which is not its failure. */
        {
                struct sigaction ign = {.sa_handler = SIG_IGN}, old;
                sigaction(SIGPIPE, &ign, &old);
                if (write(pipefd[1], state_json, len) < 0 && errno != EPIPE)
                        log_debug("%s: writing the state: %s", field, strerror(errno));
                sigaction(SIGPIPE, &old, NULL);
        }
        close(pipefd[1]);
        pidfd = proc_pidfd_open(pid);
        deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
        for (;;) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                int timeout = deadline < 0 ? -1 : (int)(deadline - now_ms());
                int r;

                if (pidfd < 0)
                        break;
                if (deadline >= 0 && timeout <= 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        pid = -1;
                        return cell_error_set(err, ETIMEDOUT, "%s: %s did not finish within %d s", field,
                                              h->path, h->timeout);
                }
                r = poll(&p, 1, timeout);
                if (r < 0 && errno != EINTR)
                        return cell_error_errno(err, "%s: waiting", field);
                if (r > 0)
                        break;
        }
        if (TEMP_FAILURE_RETRY_INT(waitpid(pid, &status, 0)) < 0)
                return cell_error_errno(err, "%s: waiting", field);
        pid = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFSIGNALED(status))
                return cell_error_set(err, ECANCELED, "%s: %s was killed by signal %d", field, h->path,
                                      WTERMSIG(status));
        return cell_error_set(err, ECANCELED, "%s: %s exited with status %d", field, h->path,
                              WEXITSTATUS(status));
}

int hooks_run(const spec_t *spec, spec_hook_kind_t kind, const char *state_json, cell_error_t *err)
{
        for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
                char field[128];
                int r;

                snprintf(field, sizeof(field), "hooks.%s[%zu]", spec_hook_name(kind), i);
                log_debug("running %s: %s", field, spec->hooks[kind][i].path);
                r = run_one(&spec->hooks[kind][i], field, state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void hooks_run_all(const spec_t *spec, spec_hook_kind_t kind, const char *state_json)
{
        for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
                cell_error_t err = {0};
                char field[128];

                snprintf(field, sizeof(field), "hooks.%s[%zu]", spec_hook_name(kind), i);
                if (run_one(&spec->hooks[kind][i], field, state_json, &err) < 0)
                        log_warn("%s", err.msg);
        }
}
