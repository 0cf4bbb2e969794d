/* cell: cgroup helpers shared by the backends: controller names, reading
 * and writing a cgroup's files (errors name the OCI field and the file),
 * making and removing a hierarchy's directories. */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

/* ---- controller names ---- */

static const struct {
        uint32_t bit;
        const char *v1, *v2; /* NULL: no such controller on that version */
} controllers[] = {
        {CG_CPUSET, "cpuset", "cpuset"},
        {CG_CPU, "cpu", "cpu"},
        {CG_CPUACCT, "cpuacct", NULL},
        {CG_MEMORY, "memory", "memory"},
        {CG_DEVICES, "devices", NULL},
        {CG_FREEZER, "freezer", NULL},
        {CG_NET_CLS, "net_cls", NULL},
        {CG_NET_PRIO, "net_prio", NULL},
        {CG_IO, "blkio", "io"},
        {CG_PERF_EVENT, "perf_event", "perf_event"},
        {CG_HUGETLB, "hugetlb", "hugetlb"},
        {CG_PIDS, "pids", "pids"},
        {CG_RDMA, "rdma", "rdma"},
        {CG_MISC, "misc", "misc"},
};

uint32_t cg_controller_bit(const char *name, size_t len, bool v2)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                const char *n = v2 ? controllers[i].v2 : controllers[i].v1;

                if (n && strlen(n) == len && memcmp(n, name, len) == 0)
                        return controllers[i].bit;
        }
        return 0;
}

const char *cg_controller_name(uint32_t bit, bool v2)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++)
                if (controllers[i].bit == bit)
                        return v2 && controllers[i].v2 ? controllers[i].v2 : controllers[i].v1;
        return "?";
}

/* ---- file access ---- */

int cg_dirfd(cg_hier_t *h, cell_error_t *err)
{
        if (h->fd >= 0)
                return h->fd;
        /* Not O_PATH: bpf(BPF_PROG_ATTACH) and fdopendir need a real open file. */
        h->fd = TEMP_FAILURE_RETRY_INT(open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (h->fd < 0)
                return cell_error_errno(err, "open %s", h->path);
        return h->fd;
}

static int file_error(cg_hier_t *h, const char *file, const char *field, int code, cell_error_t *err)
{
        if (field)
                return cell_error_set(err, code, "%s: write %s/%s", field, h->path, file);
        return cell_error_set(err, code, "write %s/%s", h->path, file);
}

/* A file of the cgroup: relative to the directory fd once that is open,
 * otherwise by its absolute path. Measured: one path walk is cheaper than
 * opening the directory and then the file, and most v1 hierarchies only
 * ever get cgroup.procs. Returns the fd or -1 with errno. */
int cg_open(cg_hier_t *h, const char *file, int flags)
{
        char path[PATH_MAX];

        flags |= O_CLOEXEC | O_NOCTTY;
        if (h->fd < 0 && (size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path))
                return TEMP_FAILURE_RETRY_INT(open(path, flags));
        if (cg_dirfd(h, NULL) < 0)
                return -1;
        return TEMP_FAILURE_RETRY_INT(openat(h->fd, file, flags));
}

int cg_write(cg_hier_t *h, const char *file, const char *value, const char *field, cell_error_t *err)
{
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = cg_open(h, file, O_WRONLY);
        if (fd < 0)
                return file_error(h, file, field, errno, err);
        /* A cgroup knob takes the whole value in one write (kernfs does not
         * accumulate), so a short write is a failure too. */
        n = TEMP_FAILURE_RETRY_INT(write(fd, value, len));
        if (n < 0)
                return file_error(h, file, field, errno, err);
        if ((size_t)n != len)
                return file_error(h, file, field, EIO, err);
        return 0;
}

int cg_writef(cg_hier_t *h, const char *file, const char *field, cell_error_t *err, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return cell_error_plain(err, EINVAL, "%s: value too long for %s", field ? field : "cgroup",
                                        file);
        return cg_write(h, file, buf, field, err);
}

int cg_write_if_exists(cg_hier_t *h, const char *file, const char *value, const char *field, bool *absent,
                       cell_error_t *err)
{
        int r = cg_write(h, file, value, field, err);

        if (absent)
                *absent = r == -ENOENT;
        if (r == -ENOENT) {
                cell_error_clear(err);
                return 0;
        }
        return r;
}

ssize_t cg_read(cg_hier_t *h, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = cg_open(h, file, O_RDONLY);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (len + 1 >= size)
                        return -EFBIG;
                n = TEMP_FAILURE_RETRY_INT(read(fd, buf + len, size - len - 1));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return (ssize_t)len;
}

int cg_read_alloc(cg_hier_t *h, const char *file, char **ret, cell_error_t *err)
{
        char path[PATH_MAX];
        int r;

        if (h->fd >= 0)
                r = fs_read_file_at(h->fd, file, 0, ret, NULL, err);
        else if ((size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path))
                r = fs_read_file(path, 0, ret, NULL, err);
        else
                return cell_error_set(err, ENAMETOOLONG, "%s/%s", h->path, file);
        if (r < 0)
                return h->fd >= 0 ? cell_error_prefix(err, "%s", h->path) : r;
        return 0;
}

int cg_read_u64(cg_hier_t *h, const char *file, uint64_t *ret)
{
        char buf[64], *end;
        ssize_t n = cg_read(h, file, buf, sizeof(buf));
        unsigned long long v;

        if (n < 0)
                return (int)n;
        if (strncmp(buf, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno || end == buf)
                return -EINVAL;
        *ret = v;
        return 0;
}

bool cg_keyed_u64(const char *text, const char *key, uint64_t *ret)
{
        size_t kl = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
                        *ret = strtoull(p + kl + 1, NULL, 10);
                        return true;
                }
        }
        return false;
}

bool cg_has_file(cg_hier_t *h, const char *file)
{
        char path[PATH_MAX];

        if (h->fd >= 0)
                return faccessat(h->fd, file, F_OK, 0) == 0;
        return (size_t)snprintf(path, sizeof(path), "%s/%s", h->path, file) < sizeof(path) &&
               access(path, F_OK) == 0;
}

int cg_add_pid_to(cg_hier_t *h, pid_t pid, cell_error_t *err)
{
        char buf[24];

        snprintf(buf, sizeof(buf), "%d", (int)pid);
        return cg_write(h, "cgroup.procs", buf, NULL, err);
}

void cg_json_u64(json_t *obj, const char *key, uint64_t v)
{
        json_object_set_new(obj, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

const char *cg_devnum(char *buf, size_t n, int64_t major, int64_t minor)
{
        char a[24] = "*", b[24] = "*";

        if (major >= 0)
                snprintf(a, sizeof(a), "%lld", (long long)major);
        if (minor >= 0)
                snprintf(b, sizeof(b), "%lld", (long long)minor);
        snprintf(buf, n, "%s:%s", a, b);
        return buf;
}

/* "dev hca_handle=N hca_object=N", for v1 and v2 alike. */
int cg_rdma_write(cg_hier_t *h, const cg_res_t *res, cell_error_t *err)
{
        char field[160], line[192];
        int r;

        for (size_t i = 0; i < res->n_rdma; i++) {
                const cg_rdma_t *d = &res->rdma[i];
                size_t len;

                if (!d->handles.set && !d->objects.set)
                        continue;
                snprintf(field, sizeof(field), "linux.resources.rdma.%s", d->device);
                len = (size_t)snprintf(line, sizeof(line), "%s", d->device);
                if (d->handles.set && len < sizeof(line))
                        len += (size_t)snprintf(line + len, sizeof(line) - len, " hca_handle=%lld",
                                                (long long)d->handles.v);
                if (d->objects.set && len < sizeof(line))
                        snprintf(line + len, sizeof(line) - len, " hca_object=%lld", (long long)d->objects.v);
                if ((r = cg_write(h, "rdma.max", line, field, err)) < 0)
                        return r;
        }
        return 0;
}

char **cg_hugepage_sizes(void)
{
        _cleanup_closedir_ DIR *d = opendir("/sys/kernel/mm/hugepages");
        char **out = NULL;
        struct dirent *de;

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                unsigned long long kb;
                char name[32], *end;

                if (strncmp(de->d_name, "hugepages-", 10) != 0)
                        continue;
                kb = strtoull(de->d_name + 10, &end, 10);
                if (strcmp(end, "kB") != 0 || kb == 0)
                        continue;
                if (kb % (1024 * 1024) == 0)
                        snprintf(name, sizeof(name), "%lluGB", kb / (1024 * 1024));
                else if (kb % 1024 == 0)
                        snprintf(name, sizeof(name), "%lluMB", kb / 1024);
                else
                        snprintf(name, sizeof(name), "%lluKB", kb);
                if (strv_push(&out, name) < 0) {
                        strv_free(out);
                        return NULL;
                }
        }
        return out;
}

/* mkdir -p of the container's path in one hierarchy, counting the levels
 * made so that a failure removes exactly those. */
int cg_hier_mkdir(cg_hier_t *h, cell_error_t *err)
{
        h->created = 0;
        /* The usual case: the parent (/cell) is there already. */
        if (mkdir(h->path, 0755) == 0) {
                h->created = 1;
        } else if (errno == ENOENT) {
                for (char *p = h->path + h->mount_len + 1;; p++) {
                        bool last = *p == '\0';

                        if (*p != '/' && !last)
                                continue;
                        *p = '\0';
                        if (mkdir(h->path, 0755) == 0)
                                h->created++;
                        else if (errno != EEXIST) {
                                int r = cell_error_errno(err, "mkdir %s", h->path);

                                if (!last)
                                        *p = '/';
                                return r;
                        }
                        if (last)
                                break;
                        *p = '/';
                }
        } else if (errno != EEXIST) {
                return cell_error_errno(err, "mkdir %s", h->path);
        }
        return 0;
}

void cg_sleep_us(long us)
{
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

long long cg_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* rmdir every child cgroup of dirfd, deepest first. Failures are left for
 * the caller's retry of the parent to notice. */
static void remove_children(int dirfd)
{
        _cleanup_closedir_ DIR *d = NULL;
        int dfd = TEMP_FAILURE_RETRY_INT(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;

        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        while ((de = readdir(d))) {
                int cfd;

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                cfd = TEMP_FAILURE_RETRY_INT(openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (cfd >= 0) {
                        remove_children(cfd);
                        close(cfd);
                }
                unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
        }
}

/* rmdir the cgroup and its children; EBUSY while the kernel drains exiting
 * processes is retried until the deadline. */
int cg_hier_remove(cg_hier_t *h, long long deadline, cell_error_t *err)
{
        long delay = 1000;

        for (;;) {
                int e;

                if (rmdir(h->path) == 0 || errno == ENOENT)
                        return 0;
                e = errno;
                if (e != EBUSY && e != ENOTEMPTY)
                        return cell_error_set(err, e, "rmdir %s", h->path);
                {
                        _cleanup_close_ int fd =
                                TEMP_FAILURE_RETRY_INT(open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));

                        if (fd >= 0)
                                remove_children(fd);
                }
                if (rmdir(h->path) == 0 || errno == ENOENT)
                        return 0;
                e = errno;
                if (cg_now_us() >= deadline)
                        return cell_error_set(err, e, "rmdir %s", h->path);
                cg_sleep_us(delay);
                if (delay < 32000)
                        delay *= 2;
        }
}

/* "key value" lines (memory.stat) into an object of numbers. */
json_t *cg_keyed_object(const char *text)
{
        json_t *o = json_object();

        for (const char *p = text; o && *p;) {
                const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
                char key[128];

                if (!nl)
                        nl = p + strlen(p);
                if (sp && sp < nl && (size_t)(sp - p) < sizeof(key)) {
                        memcpy(key, p, (size_t)(sp - p));
                        key[sp - p] = '\0';
                        cg_json_u64(o, key, strtoull(sp + 1, NULL, 10));
                }
                p = *nl ? nl + 1 : nl;
        }
        return o;
}
