/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cellprobe — a tiny static helper that runs inside test containers and reports
 * what the container sees. The system tests (tests/system/, bats) copy it into a
 * bundle's rootfs and run `cellprobe SUBCOMMAND ...` as the container process.
 *
 * Output contract (kept stable because the bats tests match on it):
 *   - results go to stdout as `key=value` lines or plain values;
 *   - exit 0 on success; on failure a message on stderr of the form
 *     `cellprobe: WHAT: strerror (ENAME)` and a non-zero exit (1 unless noted);
 *   - paths that may contain blanks (mount points, link targets) are printed with
 *     space, tab, newline and backslash escaped as \040 \011 \012 \134, the way
 *     /proc/self/mountinfo does, so every line splits cleanly on whitespace.
 *
 * It depends on nothing but libc so that it can be linked with -static and run
 * in a rootfs that has no dynamic loader.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_FILE_SIZE (4 * 1024 * 1024)
#define UNUSED        __attribute__((unused))

static const char *errno_name(int e)
{
        const char *name = strerrorname_np(e);

        return name != NULL ? name : "EUNKNOWN";
}

/* Print "cellprobe: WHAT: strerror (ENAME)" on stderr; returns 1 for `return fail(...)`. */
static int fail(const char *what, const char *arg, int e)
{
        fprintf(stderr, "cellprobe: %s%s%s: %s (%s)\n", what, arg != NULL ? " " : "", arg != NULL ? arg : "",
                strerror(e), errno_name(e));
        return 1;
}

static int usage_error(const char *msg)
{
        fprintf(stderr, "cellprobe: %s (try `cellprobe help`)\n", msg);
        return 2;
}

/* Write a string with blanks and backslashes escaped as octal, like mountinfo. */
static void put_escaped(const char *s)
{
        for (; *s != '\0'; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
                        printf("\\%03o", c);
                else
                        putchar(c);
        }
}

static void chomp(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = '\0';
}

/*
 * Read a whole (small) file into a NUL-terminated buffer. Returns the buffer and
 * its length, or NULL with *ret_errno set. /proc files report st_size 0, so read
 * until EOF.
 */
static char *read_file(const char *path, size_t *ret_len, int *ret_errno)
{
        size_t cap = 4096, len = 0;
        char *buf;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                *ret_errno = errno;
                return NULL;
        }
        buf = malloc(cap);
        if (buf == NULL) {
                *ret_errno = ENOMEM;
                close(fd);
                return NULL;
        }
        for (;;) {
                ssize_t n;

                if (len + 1 >= cap) {
                        char *bigger = NULL;

                        if (cap < MAX_FILE_SIZE)
                                bigger = realloc(buf, cap * 2);
                        if (bigger == NULL) {
                                *ret_errno = cap < MAX_FILE_SIZE ? ENOMEM : EFBIG;
                                goto fail;
                        }
                        buf = bigger;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        *ret_errno = errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        if (ret_len != NULL)
                *ret_len = len;
        return buf;
fail:
        free(buf);
        close(fd);
        return NULL;
}

/* Find "Key:\tvalue" in /proc/self/status; copies the trimmed value. */
static int status_field(const char *key, char *ret_value, size_t size)
{
        char *buf, *line, *save = NULL;
        size_t klen = strlen(key);
        int ret = -ENOENT, e = 0;

        buf = read_file("/proc/self/status", NULL, &e);
        if (buf == NULL)
                return -e;
        for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        const char *v = line + klen + 1;

                        v += strspn(v, " \t");
                        snprintf(ret_value, size, "%s", v);
                        ret = 0;
                        break;
                }
        }
        free(buf);
        return ret;
}

static int write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

static int parse_long(const char *s, long min, long max, long *ret)
{
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* ---- subcommands ---------------------------------------------------------------------- */

static int cmd_hostname(UNUSED char **argv)
{
        struct utsname u;

        if (uname(&u) < 0)
                return fail("uname", NULL, errno);
        printf("%s\n", u.nodename);
        return 0;
}

static int cmd_domainname(UNUSED char **argv)
{
        struct utsname u;

        if (uname(&u) < 0)
                return fail("uname", NULL, errno);
        printf("%s\n", u.domainname);
        return 0;
}

static int cmd_pid(UNUSED char **argv)
{
        printf("%ld\n", (long)getpid());
        return 0;
}

static int print_groups(void)
{
        gid_t *groups = NULL;
        int n;

        n = getgroups(0, NULL);
        if (n < 0)
                return fail("getgroups", NULL, errno);
        groups = calloc((size_t)n + 1, sizeof(*groups));
        if (groups == NULL)
                return fail("calloc", NULL, ENOMEM);
        n = getgroups(n, groups);
        if (n < 0) {
                int e = errno;

                free(groups);
                return fail("getgroups", NULL, e);
        }
        printf("groups=");
        for (int i = 0; i < n; i++)
                printf("%s%lu", i > 0 ? "," : "", (unsigned long)groups[i]);
        printf("\n");
        free(groups);
        return 0;
}

static int cmd_ids(UNUSED char **argv)
{
        printf("uid=%lu\ngid=%lu\neuid=%lu\negid=%lu\n", (unsigned long)getuid(), (unsigned long)getgid(),
               (unsigned long)geteuid(), (unsigned long)getegid());
        return print_groups();
}

static int cmd_umask(UNUSED char **argv)
{
        /* umask(2) can only be read by setting it; put the old value straight back. */
        mode_t old = umask(022);

        umask(old);
        printf("%04o\n", (unsigned)old);
        return 0;
}

static int cmd_cwd(UNUSED char **argv)
{
        char buf[PATH_MAX];

        if (getcwd(buf, sizeof(buf)) == NULL)
                return fail("getcwd", NULL, errno);
        printf("%s\n", buf);
        return 0;
}

static int cmd_caps(UNUSED char **argv)
{
        static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};

        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
                char value[64];
                int r = status_field(sets[i], value, sizeof(value));

                if (r < 0)
                        return fail("/proc/self/status", sets[i], -r);
                printf("%s=%s\n", sets[i], value);
        }
        return 0;
}

static int cmd_nnp(UNUSED char **argv)
{
        char value[32];
        int r = status_field("NoNewPrivs", value, sizeof(value));

        if (r < 0) {
                /* No /proc in this container: ask the kernel directly. */
                int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

                if (v < 0)
                        return fail("prctl PR_GET_NO_NEW_PRIVS", NULL, errno);
                printf("%d\n", v);
                return 0;
        }
        printf("%s\n", value);
        return 0;
}

struct rlimit_name {
        const char *name;
        int resource;
};

static const struct rlimit_name rlimit_names[] = {
        {"AS", RLIMIT_AS},           {"CORE", RLIMIT_CORE},         {"CPU", RLIMIT_CPU},
        {"DATA", RLIMIT_DATA},       {"FSIZE", RLIMIT_FSIZE},       {"LOCKS", RLIMIT_LOCKS},
        {"MEMLOCK", RLIMIT_MEMLOCK}, {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
        {"NOFILE", RLIMIT_NOFILE},   {"NPROC", RLIMIT_NPROC},       {"RSS", RLIMIT_RSS},
        {"RTPRIO", RLIMIT_RTPRIO},   {"RTTIME", RLIMIT_RTTIME},     {"SIGPENDING", RLIMIT_SIGPENDING},
        {"STACK", RLIMIT_STACK},
};

static void print_rlim(const char *key, rlim_t v)
{
        if (v == RLIM_INFINITY)
                printf("%s=unlimited", key);
        else
                printf("%s=%llu", key, (unsigned long long)v);
}

static int cmd_rlimit(char **argv)
{
        const char *name = argv[0];
        struct rlimit rl;

        /* Accept RLIMIT_NOFILE, NOFILE and nofile alike. */
        if (strncasecmp(name, "RLIMIT_", 7) == 0)
                name += 7;
        for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++) {
                if (strcasecmp(name, rlimit_names[i].name) != 0)
                        continue;
                if (getrlimit((__rlimit_resource_t)rlimit_names[i].resource, &rl) < 0)
                        return fail("getrlimit", argv[0], errno);
                print_rlim("soft", rl.rlim_cur);
                putchar(' ');
                print_rlim("hard", rl.rlim_max);
                putchar('\n');
                return 0;
        }
        fprintf(stderr, "cellprobe: rlimit: unknown limit '%s'\n", argv[0]);
        return 2;
}

static int print_trimmed_file(const char *path)
{
        int e = 0;
        char *buf = read_file(path, NULL, &e);

        if (buf == NULL)
                return fail("read", path, e);
        chomp(buf);
        printf("%s\n", buf);
        free(buf);
        return 0;
}

static int cmd_oomscore(UNUSED char **argv)
{
        return print_trimmed_file("/proc/self/oom_score_adj");
}

/*
 * mountinfo line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
 * Printed as "MOUNTPOINT FSTYPE OPTIONS" where OPTIONS are the per-mount flags
 * (ro/rw, nosuid, nodev, noexec, relatime...), which is what tests assert on.
 * MOUNTPOINT keeps mountinfo's octal escapes.
 */
static int print_mounts(void)
{
        char *buf, *line, *save = NULL;
        int e = 0;

        buf = read_file("/proc/self/mountinfo", NULL, &e);
        if (buf == NULL)
                return fail("read", "/proc/self/mountinfo", e);
        for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
                char *field[6] = {NULL}, *tok, *fsave = NULL, *fstype = NULL;
                int i = 0;
                bool after_sep = false;

                for (tok = strtok_r(line, " ", &fsave); tok != NULL; tok = strtok_r(NULL, " ", &fsave)) {
                        if (i < 6) {
                                field[i++] = tok;
                        } else if (after_sep) {
                                fstype = tok;
                                break;
                        } else if (strcmp(tok, "-") == 0) {
                                after_sep = true;
                        }
                }
                if (i < 6 || fstype == NULL)
                        continue;
                printf("%s %s %s\n", field[4], fstype, field[5]);
        }
        free(buf);
        return 0;
}

static int cmd_mounts(UNUSED char **argv)
{
        return print_mounts();
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

static int cmd_fds(UNUSED char **argv)
{
        int fds[4096];
        size_t count = 0;
        struct dirent *de;
        DIR *dir;

        dir = opendir("/proc/self/fd");
        if (dir == NULL)
                return fail("opendir", "/proc/self/fd", errno);
        while ((de = readdir(dir)) != NULL && count < sizeof(fds) / sizeof(fds[0])) {
                long fd;

                if (parse_long(de->d_name, 0, INT_MAX, &fd) < 0)
                        continue;
                /* The directory we are reading is not one the container was given. */
                if (fd == dirfd(dir))
                        continue;
                fds[count++] = (int)fd;
        }
        closedir(dir);
        qsort(fds, count, sizeof(fds[0]), cmp_int);
        for (size_t i = 0; i < count; i++) {
                char path[64], target[PATH_MAX];
                ssize_t n;

                snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
                n = readlink(path, target, sizeof(target) - 1);
                if (n < 0) {
                        /* Closed between readdir and readlink (e.g. by stdio); skip it. */
                        if (errno == ENOENT)
                                continue;
                        snprintf(target, sizeof(target), "?%s", errno_name(errno));
                        n = (ssize_t)strlen(target);
                }
                target[n] = '\0';
                printf("%d ", fds[i]);
                put_escaped(target);
                putchar('\n');
        }
        return 0;
}

static int cmd_read(char **argv)
{
        size_t len = 0;
        int e = 0;
        char *buf = read_file(argv[0], &len, &e);

        if (buf == NULL)
                return fail("read", argv[0], e);
        fwrite(buf, 1, len, stdout);
        free(buf);
        return 0;
}

static int cmd_write(char **argv)
{
        int fd, r;

        fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return fail("open", argv[0], errno);
        r = write_all(fd, argv[1], strlen(argv[1]));
        if (r < 0) {
                close(fd);
                return fail("write", argv[0], -r);
        }
        if (close(fd) < 0)
                return fail("close", argv[0], errno);
        return 0;
}

static const char *file_type(mode_t m)
{
        switch (m & S_IFMT) {
        case S_IFREG:
                return "file";
        case S_IFDIR:
                return "dir";
        case S_IFLNK:
                return "symlink";
        case S_IFCHR:
                return "chr";
        case S_IFBLK:
                return "blk";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        default:
                return "unknown";
        }
}

/* lstat, so that a symlink (e.g. /dev/ptmx -> pts/ptmx) is reported as one. */
static int cmd_stat(char **argv)
{
        struct stat st;

        if (lstat(argv[0], &st) < 0)
                return fail("stat", argv[0], errno);
        printf("type=%s\nmode=%04o\nuid=%lu\ngid=%lu\nrdev=%u:%u\n", file_type(st.st_mode),
               (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid, (unsigned long)st.st_gid,
               major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

/* chown PATH UID GID with numeric ids (no name lookup: the rootfs may have
 * no /etc/passwd entry for them); lchown, so a symlink is never followed. */
static int cmd_chown(char **argv)
{
        char *end = NULL;
        unsigned long uid, gid;

        errno = 0;
        uid = strtoul(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0')
                return usage_error("chown: UID must be a number");
        gid = strtoul(argv[2], &end, 10);
        if (errno != 0 || end == argv[2] || *end != '\0')
                return usage_error("chown: GID must be a number");
        if (lchown(argv[0], (uid_t)uid, (gid_t)gid) < 0)
                return fail("chown", argv[0], errno);
        return 0;
}

/* try SYSCALL: attempt a privileged system call and print "ok" or the
 * errno's name (EPERM, ENOSYS...), what a seccomp profile or a missing
 * capability makes of it. Exit 0 either way: the output is the answer. */
static int cmd_try(char **argv)
{
        const char *what = argv[0];
        long r;

        errno = 0;
        if (strcmp(what, "unshare") == 0)
                r = unshare(CLONE_NEWUTS);
        else if (strcmp(what, "mount") == 0)
                r = mount("none", "/tmp", "tmpfs", 0, NULL);
        else if (strcmp(what, "keyctl") == 0)
                r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
        else if (strcmp(what, "kexec_load") == 0)
                r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
        else if (strcmp(what, "chmod") == 0)
                r = chmod("/", 0755);
        else
                return usage_error("try: unshare, mount, keyctl, kexec_load or chmod");
        if (r >= 0) {
                printf("ok\n");
                return 0;
        }
        printf("%s\n", errno == EPERM    ? "EPERM"
                       : errno == EACCES ? "EACCES"
                       : errno == ENOSYS ? "ENOSYS"
                       : errno == EINVAL ? "EINVAL"
                                         : strerror(errno));
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_ns(UNUSED char **argv)
{
        char *names[64];
        size_t count = 0;
        struct dirent *de;
        DIR *dir;
        int fd;

        fd = open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail("open", "/proc/self/ns", errno);
        dir = fdopendir(fd);
        if (dir == NULL) {
                int e = errno;

                close(fd);
                return fail("fdopendir", "/proc/self/ns", e);
        }
        while ((de = readdir(dir)) != NULL && count < sizeof(names) / sizeof(names[0])) {
                if (de->d_name[0] == '.')
                        continue;
                names[count] = strdup(de->d_name);
                if (names[count] != NULL)
                        count++;
        }
        qsort(names, count, sizeof(names[0]), cmp_str);
        for (size_t i = 0; i < count; i++) {
                char target[256];
                ssize_t n = readlinkat(dirfd(dir), names[i], target, sizeof(target) - 1);

                if (n < 0)
                        snprintf(target, sizeof(target), "?%s", errno_name(errno));
                else
                        target[n] = '\0';
                printf("%s=%s\n", names[i], target);
                free(names[i]);
        }
        closedir(dir);
        return 0;
}

static int cmd_sysctl(char **argv)
{
        char path[PATH_MAX];
        int n;

        n = snprintf(path, sizeof(path), "/proc/sys/%s", argv[0]);
        if (n < 0 || (size_t)n >= sizeof(path))
                return usage_error("sysctl: name too long");
        for (char *p = path + strlen("/proc/sys/"); *p != '\0'; p++) {
                if (*p == '.')
                        *p = '/';
        }
        return print_trimmed_file(path);
}

static int cmd_env(UNUSED char **argv)
{
        for (char **e = environ; e != NULL && *e != NULL; e++)
                printf("%s\n", *e);
        return 0;
}

/*
 * Is PATH (relative to the cwd the runtime gave us) reachable? Used to prove that
 * a cwd or a relative path cannot lead out of the rootfs (CVE-2024-21626 style).
 * ENOENT/ENOTDIR mean "not there"; any other error is reported rather than being
 * mistaken for "invisible", because e.g. EACCES means something does exist.
 */
static int cmd_ls_escape(char **argv)
{
        struct stat st;

        if (fstatat(AT_FDCWD, argv[0], &st, AT_SYMLINK_NOFOLLOW) == 0) {
                printf("visible\n");
                return 0;
        }
        if (errno == ENOENT || errno == ENOTDIR) {
                printf("invisible\n");
                return 0;
        }
        fail("stat", argv[0], errno);
        return 2;
}

static int sleep_seconds(double seconds)
{
        struct timespec ts;

        ts.tv_sec = (time_t)seconds;
        ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        return 0;
}

static int cmd_sleep(char **argv)
{
        char *end = NULL;
        double s;

        errno = 0;
        s = strtod(argv[0], &end);
        if (errno != 0 || end == argv[0] || *end != '\0' || !(s >= 0) || s > 1e9)
                return usage_error("sleep: expected a number of seconds");
        if (sleep_seconds(s) < 0)
                return fail("nanosleep", NULL, errno);
        return 0;
}

static int cmd_exit(char **argv)
{
        long code;

        if (parse_long(argv[0], 0, 255, &code) < 0)
                return usage_error("exit: expected a code from 0 to 255");
        fflush(stdout);
        _exit((int)code);
}

/*
 * alloc MIB: map MIB MiB of anonymous memory and write to every page, so that
 * the memory is really charged (a memory limit below it gets the process
 * OOM-killed). Prints `allocated=MIB` when all of it was touched.
 */
static int cmd_alloc(char **argv)
{
        long mib;
        long page = sysconf(_SC_PAGESIZE);
        char *p;

        if (parse_long(argv[0], 1, 1L << 20, &mib) < 0)
                return usage_error("alloc: expected a size in MiB");
        p = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return fail("mmap", argv[0], errno);
        for (size_t off = 0; off < (size_t)mib << 20; off += (size_t)page)
                p[off] = 1;
        printf("allocated=%ld\n", mib);
        return 0;
}

/*
 * forks N: fork N children that wait to be killed, then kill and reap them.
 * Prints `forked=K failed=F` and, if a fork failed, `error=ENAME` of the first
 * failure (EAGAIN under a pids limit).
 */
static int cmd_forks(char **argv)
{
        long n, forked = 0, failed = 0;
        int first_errno = 0;
        pid_t *pids;

        if (parse_long(argv[0], 1, 10000, &n) < 0)
                return usage_error("forks: expected a count from 1 to 10000");
        pids = calloc((size_t)n, sizeof(*pids));
        if (pids == NULL)
                return fail("calloc", NULL, errno);
        fflush(stdout);
        for (long i = 0; i < n; i++) {
                pid_t pid = fork();

                if (pid == 0) {
                        pause();
                        _exit(0);
                }
                if (pid < 0) {
                        if (first_errno == 0)
                                first_errno = errno;
                        failed++;
                        continue;
                }
                pids[forked++] = pid;
        }
        for (long i = 0; i < forked; i++)
                kill(pids[i], SIGKILL);
        for (long i = 0; i < forked; i++)
                waitpid(pids[i], NULL, 0);
        free(pids);
        printf("forked=%ld failed=%ld\n", forked, failed);
        if (first_errno != 0)
                printf("error=%s\n", errno_name(first_errno));
        return 0;
}

/*
 * CVE-2019-5736 emulation. A process inside the container holds an O_PATH fd on
 * /proc/PID/exe of a runtime process that has joined the container (e.g. during
 * `exec`), waits until that process has exec'd the container program (so the
 * runtime binary is no longer "text busy" through it), then tries to re-open the
 * held fd for writing through /proc/self/fd/N. A safe runtime either makes
 * /proc/PID/exe unreachable (non-dumpable: EACCES/EPERM at the O_PATH step) or
 * runs from a sealed memfd copy (target "/memfd:..."), so the host binary can
 * never be opened for writing. We never write a byte: opening is the proof.
 */
/*
 * Wait (every 10 ms, up to 10 s) until the process behind EXE_PATH no longer runs
 * INITIAL, then try to re-open the held O_PATH fd for writing. Returns 0 if the
 * open succeeded, else its errno; *ret_waited says why the wait ended.
 */
static int exe_attack_reopen(int path_fd, const char *exe_path, const char *initial, const char **ret_waited)
{
        char fd_path[64];
        int wfd;

        *ret_waited = "timeout";
        for (int i = 0; i < 1000; i++) {
                char now[PATH_MAX];
                ssize_t n = readlink(exe_path, now, sizeof(now) - 1);

                if (n < 0) {
                        *ret_waited = "exited";
                        break;
                }
                now[n] = '\0';
                if (strcmp(now, initial) != 0) {
                        *ret_waited = "exec";
                        break;
                }
                sleep_seconds(0.01);
        }

        snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", path_fd);
        wfd = open(fd_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        if (wfd < 0)
                return errno;
        close(wfd); /* being able to open it for writing is the finding; never write */
        return 0;
}

static int cmd_exe_attack(char **argv)
{
        char exe_path[64], initial[PATH_MAX] = "", target[PATH_MAX] = "";
        const char *stage = "reopen", *waited = "-";
        long pid;
        int path_fd, out_fd, r, open_errno = 0;
        ssize_t n;

        if (parse_long(argv[0], 1, INT_MAX, &pid) < 0)
                return usage_error("exe-attack: expected a PID");
        snprintf(exe_path, sizeof(exe_path), "/proc/%ld/exe", pid);

        n = readlink(exe_path, initial, sizeof(initial) - 1);
        if (n >= 0)
                initial[n] = '\0';
        path_fd = open(exe_path, O_PATH | O_CLOEXEC);
        if (path_fd < 0) {
                /* A non-dumpable runtime process stops the attack right here. */
                open_errno = errno;
                stage = "opath";
        } else {
                char fd_path[64];

                snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", path_fd);
                n = readlink(fd_path, target, sizeof(target) - 1);
                target[n >= 0 ? n : 0] = '\0';
        }

        /* Tell the test driver to go ahead and let the runtime process exec. */
        out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (out_fd < 0)
                r = -errno;
        else
                r = write_all(out_fd, "ready\n", 6);
        if (out_fd >= 0)
                close(out_fd);
        if (r < 0) {
                if (path_fd >= 0)
                        close(path_fd);
                return fail("writing", argv[1], -r);
        }

        if (path_fd >= 0) {
                open_errno = exe_attack_reopen(path_fd, exe_path, initial, &waited);
                close(path_fd);
        }

        printf("open=%s target=", open_errno == 0 ? "ok" : errno_name(open_errno));
        put_escaped(target[0] != '\0' ? target : "-");
        if (strncmp(target, "/memfd:", 7) == 0)
                printf(" fstype=memfd");
        printf(" stage=%s waited=%s\n", stage, waited);
        return 0;
}

static int cmd_report(UNUSED char **argv)
{
        char host[HOST_NAME_MAX + 1] = "";

        if (gethostname(host, sizeof(host)) < 0)
                snprintf(host, sizeof(host), "?");
        printf("hostname=%s\npid=%ld\nuid=%lu\ngid=%lu\nmounts:\n", host, (long)getpid(),
               (unsigned long)getuid(), (unsigned long)getgid());
        return print_mounts();
}

/* ---- dispatch -------------------------------------------------------------------------- */

struct command {
        const char *name;
        int nargs;
        int (*run)(char **argv);
        const char *args;
};

static int cmd_help(char **argv);

static const struct command commands[] = {
        {"hostname", 0, cmd_hostname, ""},
        {"domainname", 0, cmd_domainname, ""},
        {"pid", 0, cmd_pid, ""},
        {"ids", 0, cmd_ids, ""},
        {"umask", 0, cmd_umask, ""},
        {"cwd", 0, cmd_cwd, ""},
        {"caps", 0, cmd_caps, ""},
        {"nnp", 0, cmd_nnp, ""},
        {"rlimit", 1, cmd_rlimit, " NAME"},
        {"oomscore", 0, cmd_oomscore, ""},
        {"mounts", 0, cmd_mounts, ""},
        {"fds", 0, cmd_fds, ""},
        {"read", 1, cmd_read, " PATH"},
        {"write", 2, cmd_write, " PATH TEXT"},
        {"stat", 1, cmd_stat, " PATH"},
        {"chown", 3, cmd_chown, " PATH UID GID"},
        {"try", 1, cmd_try, " unshare|mount|keyctl|kexec_load|chmod"},
        {"ns", 0, cmd_ns, ""},
        {"sysctl", 1, cmd_sysctl, " NAME"},
        {"env", 0, cmd_env, ""},
        {"ls-escape", 1, cmd_ls_escape, " PATH"},
        {"sleep", 1, cmd_sleep, " SECONDS"},
        {"exit", 1, cmd_exit, " CODE"},
        {"alloc", 1, cmd_alloc, " MIB"},
        {"forks", 1, cmd_forks, " N"},
        {"exe-attack", 2, cmd_exe_attack, " PID OUT"},
        {"report", 0, cmd_report, ""},
        {"help", 0, cmd_help, ""},
};

static int cmd_help(UNUSED char **argv)
{
        printf("usage: cellprobe COMMAND [ARGS]\ncommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                printf("  %s%s\n", commands[i].name, commands[i].args);
        return 0;
}

int main(int argc, char **argv)
{
        int ret;

        if (argc < 2)
                return usage_error("missing command");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                const struct command *c = &commands[i];

                if (strcmp(argv[1], c->name) != 0)
                        continue;
                if (argc - 2 != c->nargs) {
                        fprintf(stderr, "cellprobe: usage: cellprobe %s%s\n", c->name, c->args);
                        return 2;
                }
                ret = c->run(argv + 2);
                /* A result that could not be written is a failure, not a silent pass. */
                if (fflush(stdout) != 0 || ferror(stdout)) {
                        fprintf(stderr, "cellprobe: writing stdout: %s\n", strerror(errno));
                        return 1;
                }
                return ret;
        }
        fprintf(stderr, "cellprobe: unknown command '%s' (try `cellprobe help`)\n", argv[1]);
        return 2;
}
