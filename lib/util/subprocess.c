/* cell: run a program and capture its output. See subprocess.h. */
#include "subprocess.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

extern char **environ;

void spawn_result_clear(spawn_result_t *r)
{
        free(r->out);
        free(r->errtext);
        r->out = r->errtext = NULL;
}

static int memfd_with(const char *name, const char *data, cell_error_t *err)
{
        int fd = memfd_create(name, MFD_CLOEXEC);

        if (fd < 0)
                return cell_error_errno(err, "memfd_create");
        if (data && (fs_write_all(fd, data, strlen(data)) < 0 || lseek(fd, 0, SEEK_SET) < 0)) {
                int r = cell_error_errno(err, "memfd");

                close(fd);
                return r;
        }
        return fd;
}

static char *memfd_text(int fd)
{
        char *buf;
        off_t n = lseek(fd, 0, SEEK_END);

        if (n < 0 || n > (1 << 24) || !(buf = calloc(1, (size_t)n + 1)))
                return NULL;
        if (pread(fd, buf, (size_t)n, 0) != (ssize_t)n) {
                free(buf);
                return NULL;
        }
        return buf;
}

int spawn_capture(const char *exe, char *const argv[], char *const envp[], const char *stdin_text,
                  spawn_result_t *ret, cell_error_t *err)
{
        _cleanup_close_ int in = -1, out = -1, errfd = -1;
        posix_spawn_file_actions_t fa;
        int status = 0, r;
        pid_t pid;

        ret->out = ret->errtext = NULL;
        ret->status = -1;
        if ((in = memfd_with("spawn-in", stdin_text, err)) < 0 ||
            (out = memfd_with("spawn-out", NULL, err)) < 0 ||
            (errfd = memfd_with("spawn-err", NULL, err)) < 0)
                return -1;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
        r = posix_spawn(&pid, exe, &fa, NULL, argv, envp ? envp : environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                errno = r;
                return cell_error_errno(err, "running %s", exe);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return cell_error_errno(err, "waiting for %s", exe);
        ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        ret->out = memfd_text(out);
        ret->errtext = memfd_text(errfd);
        if (!ret->out || !ret->errtext) {
                spawn_result_clear(ret);
                return cell_error_set(err, ENOMEM, "the output of %s", exe);
        }
        return 0;
}
