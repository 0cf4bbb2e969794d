/* cell: user namespaces: the uid and gid maps of a new user namespace, and
 * short-lived user namespaces that only carry a mapping for an idmapped
 * mount.
 *
 * The maps are written by the runtime (the parent), since a process cannot
 * map ids for itself beyond its own. Who may write what (user_namespaces(7)):
 *   - root (CAP_SETUID/CAP_SETGID over the ids) writes any map directly;
 *   - an unprivileged runtime may write one line mapping its own euid (egid),
 *     and for gid_map only after "deny" went to setgroups;
 *   - anything more needs the setuid helpers newuidmap and newgidmap (package
 *     uidmap), which allow the ranges /etc/subuid and /etc/subgid grant the
 *     user. The helpers are the only judges of that: this file never parses
 *     /etc/subuid itself, so it cannot disagree with them. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

typedef struct {
        const char *file;   /* in /proc/PID */
        const char *helper; /* the setuid program for unprivileged callers */
        const char *field;  /* the config's name for the list */
} id_kind_t;

static const id_kind_t uid_kind = {"uid_map", "newuidmap", "uidMappings"};
static const id_kind_t gid_kind = {"gid_map", "newgidmap", "gidMappings"};

/* The kernel reads a map in one write of less than a page. */
#define MAP_TEXT_MAX 4096

static int format_map(const spec_id_map_t *maps, size_t n, char *buf, size_t size, size_t *ret_len)
{
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                int w = snprintf(buf + len, size - len, "%u %u %u\n", maps[i].container_id, maps[i].host_id,
                                 maps[i].size);

                if (w < 0 || (size_t)w >= size - len)
                        return -E2BIG;
                len += (size_t)w;
        }
        *ret_len = len;
        return 0;
}

static int write_map_file(pid_t pid, const id_kind_t *k, const spec_id_map_t *maps, size_t n,
                          const char *where, cell_error_t *err)
{
        char path[64], buf[MAP_TEXT_MAX];
        size_t len = 0;

        if (format_map(maps, n, buf, sizeof(buf), &len) < 0)
                return cell_error_set(err, E2BIG, "%s.%s: the map is longer than the kernel reads", where,
                                      k->field);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, k->file);
        if (fs_write_existing(path, buf, len, err) < 0)
                return cell_error_prefix(err, "%s.%s", where, k->field);
        return 0;
}

/* The helper as execvp would find it. It runs with the caller's own
 * privileges unless it is the real setuid program, so taking it from PATH
 * gives the caller nothing it did not have. */
static char *find_helper(const char *name)
{
        const char *path = getenv("PATH");

        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                size_t n = strcspn(path, ":");

                if (n > 0) {
                        char *cand = str_printf("%.*s/%s", (int)n, path, name);

                        if (cand && access(cand, X_OK) == 0)
                                return cand;
                        free(cand);
                }
                path += n;
                if (*path == ':')
                        path++;
        }
        return NULL;
}

/* Reads what the helper said on stderr, joined on one line. */
static void read_stderr(int fd, char *buf, size_t size)
{
        size_t len = 0;
        char scratch[256];

        for (;;) {
                ssize_t r = len + 1 < size ? read(fd, buf + len, size - 1 - len)
                                           : read(fd, scratch, sizeof(scratch));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                if (len + 1 < size)
                        len += (size_t)r;
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        buf[len] = '\0';
        for (size_t i = 0; i < len; i++)
                if (buf[i] == '\n')
                        buf[i] = ' ';
}

/* newuidmap PID ctr host size [ctr host size ...]; the error names the helper,
 * its arguments and what it printed, which is where it says why (usually a
 * range /etc/subuid does not grant). */
static int run_map_helper(pid_t pid, const id_kind_t *k, const spec_id_map_t *maps, size_t n,
                          const char *where, cell_error_t *err)
{
        _cleanup_free_ char *helper = find_helper(k->helper);
        _cleanup_free_ char *cmdline = NULL;
        _cleanup_close_ int rd = -1;
        char **argv = NULL;
        char msg[1024];
        size_t argc = 0;
        int pipefd[2] = {-1, -1};
        pid_t child;
        int status = 0, r = -1;

        if (!helper)
                return cell_error_set(err, ENOENT,
                                      "%s.%s: %s is not installed (package uidmap), and an unprivileged user "
                                      "needs it to map more than their own id",
                                      where, k->field, k->helper);
        argv = calloc(2 + 3 * n + 1, sizeof(char *));
        if (!argv)
                return cell_error_set(err, ENOMEM, "%s.%s", where, k->field);
        argv[argc++] = strdup(k->helper);
        argv[argc++] = str_printf("%d", (int)pid);
        for (size_t i = 0; i < n; i++) {
                argv[argc++] = str_printf("%u", maps[i].container_id);
                argv[argc++] = str_printf("%u", maps[i].host_id);
                argv[argc++] = str_printf("%u", maps[i].size);
        }
        for (size_t i = 0; i < argc; i++) {
                char *next;

                if (!argv[i])
                        goto nomem;
                next = cmdline ? str_printf("%s %s", cmdline, argv[i]) : strdup(argv[i]);
                if (!next)
                        goto nomem;
                free(cmdline);
                cmdline = next;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = cell_error_errno(err, "%s.%s: %s: pipe", where, k->field, cmdline);
                goto out;
        }
        rd = pipefd[0];
        child = fork();
        if (child < 0) {
                close(pipefd[1]);
                r = cell_error_errno(err, "%s.%s: %s: fork", where, k->field, cmdline);
                goto out;
        }
        if (child == 0) {
                int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(pipefd[1], 2) < 0)
                        _exit(127);
                execv(helper, argv);
                dprintf(2, "exec %s: %s", helper, strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        read_stderr(rd, msg, sizeof(msg));
        while (waitpid(child, &status, 0) < 0) {
                if (errno != EINTR) {
                        r = cell_error_errno(err, "%s.%s: %s: wait", where, k->field, cmdline);
                        goto out;
                }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                r = 0;
                goto out;
        }
        if (!*msg) {
                if (WIFEXITED(status))
                        snprintf(msg, sizeof(msg), "exited with status %d", WEXITSTATUS(status));
                else
                        snprintf(msg, sizeof(msg), "killed by signal %d", WTERMSIG(status));
        }
        /* The helper's words already say why; strerror would only add noise. */
        cell_error_set(err, 0, "%s.%s: %s: %s", where, k->field, cmdline, msg);
        err->code = EPERM;
        r = -EPERM;
        goto out;
nomem:
        r = cell_error_set(err, ENOMEM, "%s.%s", where, k->field);
out:
        for (size_t i = 0; i < argc; i++)
                free(argv[i]);
        free(argv);
        return r;
}

static bool maps_only(const spec_id_map_t *maps, size_t n, uint32_t id)
{
        return n == 1 && maps[0].size == 1 && maps[0].host_id == id;
}

int userns_write_id_maps(pid_t pid, const spec_id_map_t *uid_maps, size_t n_uid,
                         const spec_id_map_t *gid_maps, size_t n_gid, const char *where, cell_error_t *err)
{
        bool root = geteuid() == 0;

        if (n_uid > 0) {
                if (root || maps_only(uid_maps, n_uid, geteuid())) {
                        if (write_map_file(pid, &uid_kind, uid_maps, n_uid, where, err) < 0)
                                return -1;
                } else if (run_map_helper(pid, &uid_kind, uid_maps, n_uid, where, err) < 0) {
                        return -1;
                }
        }
        if (n_gid > 0) {
                if (root) {
                        if (write_map_file(pid, &gid_kind, gid_maps, n_gid, where, err) < 0)
                                return -1;
                } else if (maps_only(gid_maps, n_gid, getegid())) {
                        char path[64];

                        /* Without this an unprivileged writer may not map even
                         * its own gid: the container could otherwise drop a
                         * group that is used to deny it access. */
                        snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
                        if (fs_write_existing(path, "deny", 4, err) < 0)
                                return cell_error_prefix(err, "%s.gidMappings", where);
                        if (write_map_file(pid, &gid_kind, gid_maps, n_gid, where, err) < 0)
                                return -1;
                } else if (run_map_helper(pid, &gid_kind, gid_maps, n_gid, where, err) < 0) {
                        return -1;
                }
        }
        return 0;
}

int userns_write_maps(const spec_t *spec, pid_t pid, cell_error_t *err)
{
        return userns_write_id_maps(pid, spec->uid_mappings, spec->n_uid_mappings, spec->gid_mappings,
                                    spec->n_gid_mappings, "linux", err);
}

int userns_open_with_maps(const spec_id_map_t *uid_maps, size_t n_uid, const spec_id_map_t *gid_maps,
                          size_t n_gid, const char *where, cell_error_t *err)
{
        struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
        _cleanup_pid_ pid_t child = -1;
        _cleanup_close_ int hold = -1;
        int pipefd[2];
        char path[64];
        int fd;

        /* The child lives only while the runtime holds the pipe's write end:
         * it exits on EOF, so it cannot outlive a runtime that dies. */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return cell_error_errno(err, "%s: idmapped mount: pipe", where);
        child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (child == 0) {
                char c;

                close(pipefd[1]);
                while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(pipefd[0]);
        hold = pipefd[1];
        if (child < 0)
                return cell_error_errno(err, "%s: idmapped mount: a user namespace for the mapping", where);
        if (userns_write_id_maps(child, uid_maps, n_uid, gid_maps, n_gid, where, err) < 0)
                return -1;
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cell_error_errno(err, "%s: idmapped mount: open %s", where, path);
        return fd;
}
