/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leak_cycles BUNDLE STATE_ROOT N — N container life cycles through the
 * runtime library, in process, as the engine runs them; then a check that
 * nothing was left behind.
 *
 * The engine calls lib/runtime in its own long-lived process, so a file
 * descriptor, a child, a zombie, a mount or a cgroup that one create/start/
 * delete leaves behind adds up over the life of the engine. This program
 * counts, before and after the cycles:
 *   fds       its own open file descriptors (/proc/self/fd)
 *   children  processes whose parent it is, and how many of them are zombies
 *   marked    processes anywhere on the host that carry the run's marker in
 *             their environment: CELL_LEAK_MARK=<prefix> is in this program's
 *             own environment (a forked helper or an init that never reached
 *             execve shares it) and in the container process's (set in the
 *             config), so a stray process is found even once reparented
 *   mounts    lines of /proc/self/mountinfo
 *   cgroups   directories named <prefix>* under every mounted cgroup hierarchy
 *   state     entries of STATE_ROOT
 *   heap      bytes allocated and not freed, growth after a warm-up
 *             (mallinfo2; with ASan its allocator's own count, which leaves
 *             out the quarantine of freed blocks)
 *   rss       resident memory growth after a warm-up (VmRSS)
 *   threads and the blocked, ignored and caught signals, which must come
 *             back as they were
 * and exits 1 naming what leaked and by how much, 2 when a cycle itself fails.
 * A cycle that takes more than 5 s is reported as slow (something it waits
 * for did not go away); after 3 slow cycles, or 150 s in all, the program
 * stops, checks what it has done so far and fails.
 *
 * The cycles mix the ways a container ends (i % 11):
 *   0-4  create, start, the process of the bundle's config runs to its exit,
 *        wait (pidfd, then runtime_state says stopped), delete
 *   5    the same, but the caller reaps the init with waitpid() when it is
 *        its child, as an engine with a SIGCHLD handler would
 *   6    a long-running process killed (runtime_kill SIGKILL), then delete
 *   7    delete --force of a running container
 *   8    delete --force of a created container that was never started
 *   9    pause and resume a running container, then delete --force
 *   10   as 0
 * and once every 100 cycles (i % 100 == 50) exec into a running container:
 * /bin/true in the foreground, then a detached sleep; then delete --force.
 * Few, because the detached process must be reaped before the container's
 * init (pid 1 of its namespace) can finish dying, and where that is the
 * host's init it may take it a second or two.
 * with, among the run-to-exit ones, 3 with a seccomp filter in the config
 * and 4 through runtime_run (foreground: it waits and deletes itself).
 * Two children of the program's own, one exited and one running, must still
 * be there at the end: the library must not reap what it did not start.
 *
 * Unless --host-mountns is given, the program first moves into a private
 * mount namespace of its own: every mount it can see is then the host's
 * as of that moment plus what the runtime does, so other activity on the
 * machine cannot change the count while a leaked mount still shows.
 *
 * Environment:
 *   LEAK_RSS_MAX_KIB  heap and RSS growth that count as a leak (default
 *                     8192; with ASan, whose quarantine of freed memory
 *                     makes RSS grow, RSS is only reported unless this is set)
 *   LEAK_VERBOSE=1    print every cycle
 *   LEAK_ONLY=NAME    run only cycles of one kind (a name printed by
 *                     LEAK_VERBOSE=1: kill, exec, ...), to narrow a leak down
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <malloc.h>

#include <jansson.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "runtime.h"
#include "strutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define LEAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LEAK_ASAN 1
#endif
#endif

#ifdef LEAK_ASAN
/* From <sanitizer/allocator_interface.h>, which gcc does not ship. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MARK_VAR        "CELL_LEAK_MARK"
#define RSS_DEFAULT_KIB 8192
#define WAIT_MS         10000
#define SLOW_CYCLE_MS   5000
#define MAX_SLOW_CYCLES 3
#define MAX_TOTAL_MS    (150 * 1000)

typedef struct {
        char **v;
        size_t n;
} list_t;

typedef struct {
        list_t fds;      /* "N -> target" */
        list_t children; /* "pid state comm" */
        long zombies;
        list_t marked;  /* "pid state comm" */
        list_t mounts;  /* mountinfo lines */
        list_t cgroups; /* paths */
        list_t state;   /* names */
        list_t attrs;   /* "Threads: 1", "SigBlk: ..." */
        long heap_kib;
        long rss_kib;
} snapshot_t;

typedef enum {
        V_TRUE,
        V_SECCOMP,
        V_RUN,
        V_WAITPID,
        V_KILL,
        V_FORCE,
        V_CREATED,
        V_EXEC,
        V_PAUSE,
} variant_t;

static const char *const variant_names[] = {
        "run-to-exit",  "run-to-exit+seccomp",  "runtime_run", "run-to-exit+waitpid", "kill",
        "delete-force", "created-delete-force", "exec",        "pause-resume"};

typedef struct {
        const char *bundle;
        const char *root;
        char prefix[64];
        char *cfg_true;    /* config with the bundle's process */
        char *cfg_seccomp; /* the same with a seccomp filter */
        char *cfg_sleep;   /* config with a long-running process */
        char *cfg_dir;
        bool verbose;
        int only; /* a variant_t, or -1 for the mix */
} ctx_t;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
        va_list ap;

        fputs("leak_cycles: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(2);
}

static void list_add(list_t *l, const char *s)
{
        char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

        if (!v)
                die("out of memory");
        l->v = v;
        l->v[l->n] = strdup(s);
        if (!l->v[l->n])
                die("out of memory");
        l->n++;
}

static void list_free(list_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static bool list_has(const list_t *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], s) == 0)
                        return true;
        return false;
}

static void snapshot_free(snapshot_t *s)
{
        list_free(&s->fds);
        list_free(&s->children);
        list_free(&s->marked);
        list_free(&s->mounts);
        list_free(&s->cgroups);
        list_free(&s->state);
        list_free(&s->attrs);
}

static long elapsed_ms(const struct timespec *t0)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- counting ---- */

static void count_fds(list_t *out)
{
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        if (!d)
                die("opendir /proc/self/fd: %s", strerror(errno));
        while ((de = readdir(d))) {
                char path[300], target[4096], line[4400];
                ssize_t n;

                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                target[n < 0 ? 0 : n] = '\0';
                snprintf(line, sizeof(line), "%s -> %s", de->d_name, target);
                list_add(out, line);
        }
}

/* Fields of /proc/PID/stat: state and ppid (after the last ')'), comm. */
static bool proc_stat(const char *pid, char *state, long *ppid, char *comm, size_t comm_n)
{
        char path[300], buf[1024];
        _cleanup_close_ int fd = -1;
        char *open_paren, *close_paren;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        open_paren = strchr(buf, '(');
        close_paren = strrchr(buf, ')');
        if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
                return false;
        snprintf(comm, comm_n, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
        return sscanf(close_paren + 2, "%c %ld", state, ppid) == 2;
}

/* Does /proc/PID/environ hold exactly want ("VAR=value")? */
static bool environ_has(const char *pid, const char *want)
{
        char path[300];
        _cleanup_free_ char *data = NULL;
        size_t len = 0, wlen = strlen(want);

        snprintf(path, sizeof(path), "/proc/%s/environ", pid);
        if (fs_read_file(path, 1u << 20, &data, &len, NULL) < 0)
                return false;
        for (size_t off = 0; off < len;) {
                const char *s = data + off;
                size_t slen = strnlen(s, len - off);

                if (slen == wlen && memcmp(s, want, wlen) == 0)
                        return true;
                off += slen + 1;
        }
        return false;
}

static void count_processes(const char *mark, list_t *children, long *zombies, list_t *marked)
{
        _cleanup_closedir_ DIR *d = opendir("/proc");
        long self = (long)getpid();
        struct dirent *de;

        if (!d)
                die("opendir /proc: %s", strerror(errno));
        *zombies = 0;
        while ((de = readdir(d))) {
                char comm[64], line[128], state;
                long pid, ppid;

                if (str_to_long(de->d_name, 1, INT32_MAX, &pid) < 0 || pid == self)
                        continue;
                if (!proc_stat(de->d_name, &state, &ppid, comm, sizeof(comm)))
                        continue; /* gone meanwhile */
                snprintf(line, sizeof(line), "%ld %c %s", pid, state, comm);
                if (ppid == self) {
                        list_add(children, line);
                        if (state == 'Z')
                                (*zombies)++;
                }
                if (environ_has(de->d_name, mark))
                        list_add(marked, line);
        }
}

static void count_mounts(list_t *out)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        if (!f)
                die("open /proc/self/mountinfo: %s", strerror(errno));
        while ((n = getline(&line, &cap, f)) > 0) {
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                list_add(out, line);
        }
        free(line);
}

static void walk_cgroups(const char *dir, const char *prefix, int depth, list_t *out)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (depth > 32)
                return;
        d = opendir(dir);
        if (!d)
                return; /* removed meanwhile, or not readable */
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (de->d_type != DT_DIR || str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                        continue;
                path = str_printf("%s/%s", dir, de->d_name);
                if (!path)
                        die("out of memory");
                if (str_has_prefix(de->d_name, prefix))
                        list_add(out, path);
                walk_cgroups(path, prefix, depth + 1, out);
        }
}

/* Every cgroup (v1) and cgroup2 mount point of our mount namespace. */
static void count_cgroups(const char *prefix, list_t *out)
{
        list_t mounts = {0}, seen = {0};

        count_mounts(&mounts);
        for (size_t i = 0; i < mounts.n; i++) {
                char mnt[4096], fstype[64];
                const char *sep = strstr(mounts.v[i], " - ");

                /* id parent major:minor root mount-point ... - fstype ... */
                if (!sep || sscanf(mounts.v[i], "%*s %*s %*s %*s %4095s", mnt) != 1 ||
                    sscanf(sep + 3, "%63s", fstype) != 1)
                        continue;
                if (!str_eq(fstype, "cgroup") && !str_eq(fstype, "cgroup2"))
                        continue;
                if (list_has(&seen, mnt))
                        continue;
                list_add(&seen, mnt);
                walk_cgroups(mnt, prefix, 0, out);
        }
        list_free(&mounts);
        list_free(&seen);
}

static void count_state(const char *root, list_t *out)
{
        _cleanup_closedir_ DIR *d = opendir(root);
        struct dirent *de;

        if (!d) {
                if (errno == ENOENT)
                        return;
                die("opendir %s: %s", root, strerror(errno));
        }
        /* #seccomp is the runtime's cache of compiled filters: one entry
         * per distinct profile, made by the first create (not per cycle). */
        while ((de = readdir(d)))
                if (!str_eq(de->d_name, ".") && !str_eq(de->d_name, "..") && !str_eq(de->d_name, "#seccomp"))
                        list_add(out, de->d_name);
}

/* VmRSS, and the lines of /proc/self/status that describe the state a
 * library must hand back as it found it: threads, blocked, ignored and
 * caught signals. */
static long read_status(list_t *attrs)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
                        continue;
                if (attrs && (str_has_prefix(line, "Threads:") || str_has_prefix(line, "SigBlk:") ||
                              str_has_prefix(line, "SigIgn:") || str_has_prefix(line, "SigCgt:")))
                        list_add(attrs, line);
        }
        return v;
}

static long rss_kib(void)
{
        return read_status(NULL);
}

static long heap_kib(void)
{
#ifdef LEAK_ASAN
        return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
        struct mallinfo2 mi = mallinfo2();

        return (long)((mi.uordblks + mi.hblkhd) / 1024);
#endif
}

static void snapshot(const ctx_t *c, snapshot_t *s)
{
        _cleanup_free_ char *mark = str_printf(MARK_VAR "=%s", c->prefix);

        memset(s, 0, sizeof(*s));
        /* Before this snapshot's own lists are allocated. */
        s->heap_kib = heap_kib();
        if (!mark)
                die("out of memory");
        count_fds(&s->fds);
        count_processes(mark, &s->children, &s->zombies, &s->marked);
        count_mounts(&s->mounts);
        count_cgroups(c->prefix, &s->cgroups);
        count_state(c->root, &s->state);
        s->rss_kib = read_status(&s->attrs);
}

static void print_counts(const char *label, const snapshot_t *s)
{
        printf("%s: fds %zu, children %zu (zombies %ld), marked processes %zu, mountinfo lines %zu, "
               "cgroup dirs %zu, state entries %zu, heap %ld KiB, rss %ld KiB\n",
               label, s->fds.n, s->children.n, s->zombies, s->marked.n, s->mounts.n, s->cgroups.n, s->state.n,
               s->heap_kib, s->rss_kib);
        fflush(stdout);
}

/* Compare one list; print what is new. Returns true on a leak. */
static bool compare_list(const char *what, const list_t *before, const list_t *after)
{
        long delta = (long)after->n - (long)before->n;
        size_t shown = 0;

        if (delta <= 0 && after->n == before->n)
                return false;
        if (delta <= 0) {
                printf("  %s: %zu before, %zu after (fewer: not a leak)\n", what, before->n, after->n);
                return false;
        }
        printf("LEAK: %s: %zu before, %zu after (+%ld)\n", what, before->n, after->n, delta);
        for (size_t i = 0; i < after->n; i++)
                if (!list_has(before, after->v[i]) && shown++ < 20)
                        printf("  new: %s\n", after->v[i]);
        if (shown > 20)
                printf("  ... and %zu more\n", shown - 20);
        return true;
}

/* The counts that must come back exactly (everything but rss). */
static bool leaked(const snapshot_t *b, const snapshot_t *a)
{
        return a->fds.n > b->fds.n || a->children.n > b->children.n || a->zombies > b->zombies ||
               a->marked.n > b->marked.n || a->mounts.n > b->mounts.n || a->cgroups.n > b->cgroups.n ||
               a->state.n > b->state.n;
}

/* ---- the cycles ---- */

static int state_of(const ctx_t *c, const char *id, char *status, size_t n, pid_t *pid, cell_error_t *err)
{
        json_t *st = NULL;

        if (runtime_state(c->root, id, &st, err) < 0)
                return -1;
        snprintf(status, n, "%s", json_string_value(json_object_get(st, "status")) ?: "?");
        if (pid)
                *pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
        json_decref(st);
        return 0;
}

static int expect_status(const ctx_t *c, const char *id, const char *want, cell_error_t *err)
{
        char status[32];

        if (state_of(c, id, status, sizeof(status), NULL, err) < 0)
                return -1;
        if (!str_eq(status, want))
                return cell_error_set(err, 0, "%s: status %s, expected %s", id, status, want);
        return 0;
}

/* Wait until the container's init has exited (its pidfd becomes readable)
 * and runtime_state reports it stopped. */
static int wait_stopped(const ctx_t *c, const char *id, pid_t pid, cell_error_t *err)
{
        struct timespec t0;
        char status[32];

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (pid > 0) {
                _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

                if (pidfd >= 0) {
                        struct pollfd p = {.fd = pidfd, .events = POLLIN};

                        TEMP_FAILURE_RETRY_INT(poll(&p, 1, WAIT_MS));
                }
        }
        for (;;) {
                if (state_of(c, id, status, sizeof(status), NULL, err) < 0)
                        return -1;
                if (str_eq(status, "stopped"))
                        return 0;
                if (elapsed_ms(&t0) > WAIT_MS)
                        return cell_error_set(err, 0, "%s: still %s after %d ms", id, status, WAIT_MS);
                sleep_ms(1);
        }
}

/* A foreground exec that exits, then a detached one that runs until the
 * container is deleted. */
static int exec_in(const ctx_t *c, const char *id, cell_error_t *err)
{
        char *fg_args[] = {(char *)"/bin/true", NULL};
        char *bg_args[] = {(char *)"/bin/sleep", (char *)"600", NULL};
        runtime_exec_opts_t eo = {.root = c->root, .id = id, .args = fg_args};
        int ws = -1;

        if (runtime_exec(&eo, &ws, err) < 0)
                return cell_error_prefix(err, "exec /bin/true");
        if (ws != 0)
                return cell_error_set(err, 0, "exec /bin/true: exited with %d", ws);
        eo.args = bg_args;
        eo.detach = true;
        if (runtime_exec(&eo, &ws, err) < 0)
                return cell_error_prefix(err, "exec --detach /bin/sleep");
        return 0;
}

static int pause_resume(const ctx_t *c, const char *id, cell_error_t *err)
{
        if (runtime_pause(c->root, id, err) < 0)
                return cell_error_prefix(err, "pause");
        if (expect_status(c, id, "paused", err) < 0)
                return -1;
        if (runtime_resume(c->root, id, err) < 0)
                return cell_error_prefix(err, "resume");
        return expect_status(c, id, "running", err);
}

static int one_cycle(const ctx_t *c, const char *id, variant_t v, cell_error_t *err)
{
        bool long_running = v == V_KILL || v == V_FORCE || v == V_CREATED || v == V_EXEC || v == V_PAUSE;
        runtime_create_opts_t o = {
                .root = c->root,
                .id = id,
                .bundle = c->bundle,
                .config_path = long_running     ? c->cfg_sleep
                               : v == V_SECCOMP ? c->cfg_seccomp
                                                : c->cfg_true,
        };
        char status[32];
        pid_t pid = -1;

        if (v == V_RUN) {
                int ws = -1;
                json_t *st = NULL;
                cell_error_t ignored = {0};

                if (runtime_run(&o, &ws, err) < 0)
                        return cell_error_prefix(err, "run");
                if (ws != 0)
                        return cell_error_set(err, 0, "run: the process exited with %d", ws);
                if (runtime_state(c->root, id, &st, &ignored) == 0) {
                        json_decref(st);
                        return cell_error_set(err, 0, "run: the container still exists after its exit");
                }
                return 0;
        }
        if (runtime_create(&o, err) < 0)
                return cell_error_prefix(err, "create");
        if (state_of(c, id, status, sizeof(status), &pid, err) < 0)
                return cell_error_prefix(err, "state after create");
        if (!str_eq(status, "created"))
                return cell_error_set(err, 0, "after create: status %s, expected created", status);
        if (v == V_CREATED)
                return runtime_delete(c->root, id, true, err) < 0 ? cell_error_prefix(err, "delete --force")
                                                                  : 0;
        if (runtime_start(c->root, id, err) < 0)
                return cell_error_prefix(err, "start");
        switch (v) {
        case V_WAITPID: {
                int ws;
                pid_t w;

                while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
                        ;
                if (w < 0 && errno != ECHILD)
                        return cell_error_errno(err, "waitpid %d", (int)pid);
                if (w < 0 && wait_stopped(c, id, pid, err) < 0)
                        return -1;
                if (expect_status(c, id, "stopped", err) < 0)
                        return -1;
                break;
        }
        case V_KILL:
                if (expect_status(c, id, "running", err) < 0)
                        return -1;
                if (runtime_kill(c->root, id, SIGKILL, false, err) < 0)
                        return cell_error_prefix(err, "kill");
                if (wait_stopped(c, id, pid, err) < 0)
                        return -1;
                break;
        case V_FORCE:
        case V_EXEC:
        case V_PAUSE:
                if (expect_status(c, id, "running", err) < 0)
                        return -1;
                if (v == V_EXEC && exec_in(c, id, err) < 0)
                        return -1;
                if (v == V_PAUSE && pause_resume(c, id, err) < 0)
                        return -1;
                return runtime_delete(c->root, id, true, err) < 0 ? cell_error_prefix(err, "delete --force")
                                                                  : 0;
        case V_TRUE:
        case V_SECCOMP:
        case V_RUN:
        case V_CREATED:
        default:
                if (wait_stopped(c, id, pid, err) < 0)
                        return -1;
                break;
        }
        if (runtime_delete(c->root, id, false, err) < 0)
                return cell_error_prefix(err, "delete");
        return 0;
}

static variant_t variant_of(long i)
{
        /* An exec cycle costs a reap by the host's init (see above): few. */
        if (i % 100 == 50)
                return V_EXEC;
        switch (i % 11) {
        case 3:
                return V_SECCOMP;
        case 4:
                return V_RUN;
        case 5:
                return V_WAITPID;
        case 6:
                return V_KILL;
        case 7:
                return V_FORCE;
        case 8:
                return V_CREATED;
        case 9:
                return V_PAUSE;
        default:
                return V_TRUE;
        }
}

/* ---- set-up ---- */

/* A filter that every program passes: it refuses only mknod. */
static const char seccomp_profile[] =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mknod\", \"mknodat\"], "
        "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}";

/* Write the bundle's config with the marker in process.env and, for the
 * long-running variant, process.args replaced. */
static char *write_config(const ctx_t *c, const char *name, bool long_running, bool seccomp)
{
        _cleanup_free_ char *src = str_printf("%s/config.json", c->bundle);
        _cleanup_free_ char *mark = str_printf(MARK_VAR "=%s", c->prefix);
        char *dest = str_printf("%s/%s", c->cfg_dir, name);
        json_error_t jerr;
        json_t *cfg, *process, *env;

        if (!src || !mark || !dest)
                die("out of memory");
        cfg = json_load_file(src, 0, &jerr);
        if (!cfg)
                die("%s: %s", src, jerr.text);
        process = json_object_get(cfg, "process");
        if (!json_is_object(process))
                die("%s: no process object", src);
        env = json_object_get(process, "env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(process, "env", env);
        }
        json_array_append_new(env, json_string(mark));
        json_object_set_new(process, "terminal", json_false());
        if (long_running)
                json_object_set_new(process, "args", json_pack("[ss]", "/bin/sleep", "600"));
        if (seccomp) {
                json_t *linux_obj = json_object_get(cfg, "linux");
                json_t *profile = json_loads(seccomp_profile, 0, &jerr);

                if (!profile)
                        die("seccomp profile: %s", jerr.text);
                if (!json_is_object(linux_obj)) {
                        linux_obj = json_object();
                        json_object_set_new(cfg, "linux", linux_obj);
                }
                json_object_set_new(linux_obj, "seccomp", profile);
        }
        if (json_dump_file(cfg, dest, JSON_INDENT(1)) < 0)
                die("write %s", dest);
        json_decref(cfg);
        return dest;
}

/* Put the marker in our own environment at exec time, so that every process
 * forked from us shows it in /proc/PID/environ. */
static void ensure_marked(char **argv, const char *prefix)
{
        const char *cur = getenv(MARK_VAR);

        if (cur && str_eq(cur, prefix))
                return;
        if (setenv(MARK_VAR, prefix, 1) < 0)
                die("setenv: %s", strerror(errno));
        execv("/proc/self/exe", argv);
        die("re-execute /proc/self/exe: %s", strerror(errno));
}

/* Two children of our own that the library must leave alone: one that has
 * exited and waits to be reaped, one that runs. A library that reaps with
 * waitpid(-1) would take the engine's children (and their exit statuses). */
static void start_sentinels(pid_t sentinel[2])
{
        for (int i = 0; i < 2; i++) {
                sentinel[i] = fork();
                if (sentinel[i] < 0)
                        die("fork: %s", strerror(errno));
                if (sentinel[i] == 0) {
                        if (i == 1)
                                pause();
                        _exit(0);
                }
        }
        /* Until the first one is a zombie. */
        for (int t = 0; t < 5000; t++) {
                siginfo_t si = {0};

                if (waitid(P_PID, (id_t)sentinel[0], &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
                        return;
                sleep_ms(1);
        }
        die("the sentinel child %d did not exit", (int)sentinel[0]);
}

/* Returns true when both sentinels are still ours; reaps them. */
static bool check_sentinels(const pid_t sentinel[2])
{
        bool ok = true;
        siginfo_t si = {0};

        if (waitid(P_PID, (id_t)sentinel[0], &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
            si.si_pid != sentinel[0]) {
                printf("LEAK: the library reaped child %d of the caller, which it did not start\n",
                       (int)sentinel[0]);
                ok = false;
        }
        memset(&si, 0, sizeof(si));
        if (kill(sentinel[1], 0) < 0 ||
            (waitid(P_PID, (id_t)sentinel[1], &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)) {
                printf("LEAK: child %d of the caller, which the library did not start, was killed or "
                       "reaped\n",
                       (int)sentinel[1]);
                ok = false;
        }
        kill(sentinel[1], SIGKILL);
        waitpid(sentinel[1], NULL, 0);
        waitpid(sentinel[0], NULL, WNOHANG);
        return ok;
}

static int get_subreaper(void)
{
        int v = -1;

        prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
        return v;
}

static void cleanup_leftovers(const ctx_t *c)
{
        list_t names = {0};

        count_state(c->root, &names);
        for (size_t i = 0; i < names.n; i++) {
                cell_error_t err = {0};

                if (str_has_prefix(names.v[i], c->prefix) &&
                    runtime_delete(c->root, names.v[i], true, &err) < 0)
                        fprintf(stderr, "leak_cycles: cleaning up %s: %s\n", names.v[i], err.msg);
        }
        list_free(&names);
        /* Reap what the library left to us, so that the next run starts clean. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

static void usage(void)
{
        fprintf(stderr, "usage: leak_cycles [--host-mountns] BUNDLE STATE_ROOT N\n");
        exit(2);
}

int main(int argc, char **argv)
{
        snapshot_t before, warm = {0}, after;
        pid_t sentinel[2];
        int subreaper_before;
        ctx_t c = {0};
        struct timespec t0;
        bool private_mountns = true, leak = false, warm_taken = false;
        long n = 0, rss_max = RSS_DEFAULT_KIB, rss_growth, heap_growth;
        bool rss_enforced = true;
        const char *e;
        int argi = 1, failed = 0;
        long slow = 0;
        bool stopped = false;

        if (argi < argc && str_eq(argv[argi], "--host-mountns")) {
                private_mountns = false;
                argi++;
        }
        if (argc - argi != 3 || str_to_long(argv[argi + 2], 1, 1000000, &n) < 0)
                usage();
        c.bundle = argv[argi];
        c.root = argv[argi + 1];
        snprintf(c.prefix, sizeof(c.prefix), "leakc-%d-", (int)getpid());
        c.verbose = (e = getenv("LEAK_VERBOSE")) && str_eq(e, "1");
        c.only = -1;
        if ((e = getenv("LEAK_ONLY")) && *e) {
                for (size_t k = 0; k < ARRAY_SIZE(variant_names); k++)
                        if (str_eq(e, variant_names[k]))
                                c.only = (int)k;
                if (c.only < 0)
                        die("LEAK_ONLY=%s: not a kind of cycle", e);
        }
#ifdef LEAK_ASAN
        rss_enforced = false;
#endif
        if ((e = getenv("LEAK_RSS_MAX_KIB")) && *e) {
                if (str_to_long(e, 0, 1L << 40, &rss_max) < 0)
                        die("LEAK_RSS_MAX_KIB=%s: not a number", e);
                rss_enforced = true;
        }
        ensure_marked(argv, c.prefix);
        /* Line-buffered output keeps the progress readable when redirected. */
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (private_mountns) {
                if (unshare(CLONE_NEWNS) < 0)
                        die("unshare(CLONE_NEWNS): %s (run as root, or pass --host-mountns)",
                            strerror(errno));
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        die("make / private: %s", strerror(errno));
        }
        {
                char tmpl[] = "/tmp/leak_cycles.XXXXXX";

                if (!mkdtemp(tmpl))
                        die("mkdtemp: %s", strerror(errno));
                c.cfg_dir = strdup(tmpl);
        }
        c.cfg_true = write_config(&c, "true.json", false, false);
        c.cfg_seccomp = write_config(&c, "seccomp.json", false, true);
        c.cfg_sleep = write_config(&c, "sleep.json", true, false);
        {
                cell_error_t err = {0};

                if (fs_mkdir_p(c.root, 0700, &err) < 0)
                        die("%s", err.msg);
        }

        printf("leak_cycles: %ld cycles, ids %s*, bundle %s, state root %s, %s mount namespace%s\n", n,
               c.prefix, c.bundle, c.root, private_mountns ? "private" : "host",
#ifdef LEAK_ASAN
               ", ASan build"
#else
               ""
#endif
        );
        start_sentinels(sentinel);
        subreaper_before = get_subreaper();
        snapshot(&c, &before);
        print_counts("before", &before);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
                variant_t v = c.only >= 0 ? (variant_t)c.only : variant_of(i);
                cell_error_t err = {0};
                struct timespec tc;
                char id[96];
                long ms;

                snprintf(id, sizeof(id), "%s%ld", c.prefix, i);
                if (c.verbose)
                        printf("cycle %ld: %s %s\n", i, id, variant_names[v]);
                clock_gettime(CLOCK_MONOTONIC, &tc);
                if (one_cycle(&c, id, v, &err) < 0) {
                        fprintf(stderr, "leak_cycles: cycle %ld (%s, %s): %s\n", i, id, variant_names[v],
                                err.msg);
                        failed = 1;
                        break;
                }
                /* A cycle that takes seconds waits on something that did
                 * not go away (a process, a cgroup): a leak in the making,
                 * and the test must stay short. */
                ms = elapsed_ms(&tc);
                if (ms > SLOW_CYCLE_MS) {
                        printf("SLOW: cycle %ld (%s, %s) took %ld ms\n", i, id, variant_names[v], ms);
                        slow++;
                }
                if (slow >= MAX_SLOW_CYCLES || elapsed_ms(&t0) > MAX_TOTAL_MS) {
                        printf("leak_cycles: stopping after %ld cycles: %s\n", i + 1,
                               slow >= MAX_SLOW_CYCLES ? "too many slow cycles" : "out of time");
                        n = i + 1;
                        stopped = true;
                }
                /* RSS is measured from after a warm-up: the first cycles
                 * fill caches (libc, jansson) once. */
                if (!warm_taken && (i + 1 == 20 || i + 1 == n)) {
                        warm.heap_kib = heap_kib();
                        warm.rss_kib = rss_kib();
                        warm_taken = true;
                }
                if ((i + 1) % 100 == 0 || i + 1 == n) {
                        snapshot_t s;
                        char label[96];

                        snapshot(&c, &s);
                        snprintf(label, sizeof(label), "%ld/%ld cycles, %.1f s", i + 1, n,
                                 (double)elapsed_ms(&t0) / 1000.0);
                        print_counts(label, &s);
                        snapshot_free(&s);
                }
        }
        if (failed) {
                cleanup_leftovers(&c);
                fs_rm_rf(c.cfg_dir, NULL);
                return 2;
        }
        printf("leak_cycles: %ld cycles in %.1f s (%.1f ms each)\n", n, (double)elapsed_ms(&t0) / 1000.0,
               (double)elapsed_ms(&t0) / (double)n);

        /* Anything the runtime ends asynchronously gets up to 2 s to go. */
        for (int tries = 0;; tries++) {
                snapshot(&c, &after);
                if (!leaked(&before, &after) || tries == 40)
                        break;
                snapshot_free(&after);
                sleep_ms(50);
        }
        print_counts("after", &after);
        leak |= compare_list("open fds", &before.fds, &after.fds);
        leak |= compare_list("children", &before.children, &after.children);
        if (after.zombies > before.zombies) {
                printf("LEAK: zombies (unreaped children): %ld before, %ld after (+%ld)\n", before.zombies,
                       after.zombies, after.zombies - before.zombies);
                leak = true;
        }
        leak |= compare_list("processes marked " MARK_VAR, &before.marked, &after.marked);
        leak |= compare_list("mountinfo lines", &before.mounts, &after.mounts);
        leak |= compare_list("cgroup dirs", &before.cgroups, &after.cgroups);
        leak |= compare_list("state root entries", &before.state, &after.state);
        for (size_t i = 0; i < before.attrs.n; i++)
                if (!list_has(&after.attrs, before.attrs.v[i])) {
                        printf("LEAK: process state changed: before \"%s\", after \"%s\"\n",
                               before.attrs.v[i], i < after.attrs.n ? after.attrs.v[i] : "");
                        leak = true;
                }
        leak |= !check_sentinels(sentinel);
        if (get_subreaper() != subreaper_before)
                printf("note: the child-subreaper flag of the caller changed from %d to %d (orphans of the "
                       "containers now come to it to be reaped)\n",
                       subreaper_before, get_subreaper());
        heap_growth = after.heap_kib - warm.heap_kib;
        printf("heap in use: %ld KiB before, %ld KiB after warm-up, %ld KiB after (%+ld KiB since warm-up, "
               "limit %ld KiB)\n",
               before.heap_kib, warm.heap_kib, after.heap_kib, heap_growth, rss_max);
        if (heap_growth > rss_max) {
                printf("LEAK: heap in use grew by %ld KiB over %ld cycles (limit %ld KiB)\n", heap_growth, n,
                       rss_max);
                leak = true;
        }
        rss_growth = after.rss_kib - warm.rss_kib;
        printf("rss: %ld KiB before, %ld KiB after warm-up, %ld KiB after (%+ld KiB since warm-up, limit %ld "
               "KiB%s)\n",
               before.rss_kib, warm.rss_kib, after.rss_kib, rss_growth, rss_max,
               rss_enforced ? "" : ", not enforced under ASan");
        if (rss_enforced && rss_growth > rss_max) {
                printf("LEAK: rss grew by %ld KiB over %ld cycles (limit %ld KiB)\n", rss_growth, n, rss_max);
                leak = true;
        }

        cleanup_leftovers(&c);
        fs_rm_rf(c.cfg_dir, NULL);
        free(c.cfg_true);
        free(c.cfg_seccomp);
        free(c.cfg_sleep);
        free(c.cfg_dir);
        snapshot_free(&before);
        snapshot_free(&after);
        if (stopped) {
                printf("LEAK: the cycles were stopped early (%ld slow cycles of more than %d ms)\n", slow,
                       SLOW_CYCLE_MS);
                leak = true;
        }
        if (leak) {
                printf("leak_cycles: FAILED: resources leaked over %ld cycles (see LEAK lines above)\n", n);
                return 1;
        }
        printf("leak_cycles: ok: nothing left behind after %ld cycles\n", n);
        return 0;
}
