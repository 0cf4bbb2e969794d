/* cell: more of the engine's container commands — cp, commit, top, stats,
 * port — with Docker's flags and output. The work is in lib/engine (copy.c,
 * imagecommit.c) and lib/runtime (runtime_ps, runtime_stats). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "copy.h"
#include "dockeropt.h"
#include "image_cmds.h"
#include "imagecommit.h"
#include "layers.h"
#include "lifecycle.h"
#include "rootfs.h"
#include "runtime.h"
#include "strutil.h"
#include "template.h"

extern char **environ;

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* The container's record (State up to date), its full id. */
static int find_container(engine_t *e, const char *name, char cid[ENGINE_ID_LEN + 1], json_t **ret,
                          cell_error_t *err)
{
        if (engine_container_find(e, name, cid, err) < 0)
                return -1;
        return ret ? engine_inspect(e, cid, ret, err) : 0;
}

static const char *name_of(json_t *rec)
{
        const char *n = jstr(rec, "Name");

        return n ? (n[0] == '/' ? n + 1 : n) : "";
}

/* ---- cp ---- */

/* A container path under one of its mounts (-v, --mount: a volume or a
 * host directory) is the mount's source on the host, as docker's cp sees
 * the container's mounts: *ret_root gets that source (NULL: the root file
 * system) and *ret_path the rest. -1 with err for what cannot be reached
 * from outside (tmpfs) or written (read-only, when writing). */
static int cp_mount_of(json_t *rec, const char *path, bool writing, char **ret_root, char **ret_path,
                       cell_error_t *err)
{
        json_t *best = NULL, *m;
        size_t i, best_len = 0;
        const char *rest;

        *ret_root = NULL;
        *ret_path = NULL;
        json_array_foreach(json_object_get(rec, "Mounts"), i, m)
        {
                const char *d = jstr(m, "Destination");
                size_t n = d ? strlen(d) : 0;

                while (n > 1 && d[n - 1] == '/')
                        n--;
                if (n <= 1 || strncmp(path, d, n) != 0 || (path[n] != '\0' && path[n] != '/'))
                        continue;
                if (n > best_len) {
                        best = m;
                        best_len = n;
                }
        }
        if (!best)
                return 0;
        if (!jstr(best, "Source") || !*jstr(best, "Source") || str_eq(jstr(best, "Type"), "tmpfs"))
                return cell_error_plain(err, ENOTSUP,
                                        "%s is on a tmpfs mount of the container: cp cannot reach it", path);
        if (writing && json_is_false(json_object_get(best, "RW")))
                return cell_error_plain(err, EROFS, "mounted volume is marked read-only");
        rest = path + best_len;
        *ret_root = strdup(jstr(best, "Source"));
        *ret_path = strdup(*rest ? rest : "/");
        if (!*ret_root || !*ret_path)
                return cell_error_set(err, ENOMEM, "cp");
        return 0;
}

int cmd_engine_cp(const cli_global_t *g, int argc, char **argv);
int cmd_engine_cp(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"archive", 'a', false, 1},
                {"follow-link", 'L', false, 2},
                {"quiet", 'q', false, 3},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_storage_ storage_t *st = NULL;
        _cleanup_free_ char *sc = NULL, *sp = NULL, *dc = NULL, *dp = NULL, *rootfs = NULL, *mroot = NULL,
                            *mpath = NULL;
        _cleanup_close_ int rootfd = -1;
        engine_copy_opts_t o = {0};
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        bool src_in, dst_in;
        const char *src, *dest;
        int id, r;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0) {
                        fprintf(stderr, "cell cp: %s\n", p.errbuf);
                        return 1;
                }
                if (id == 1)
                        o.archive = !p.value;
                else if (id == 2)
                        o.follow = !p.value;
        }
        if (p.index + 2 != argc) {
                fprintf(stderr, "cell cp: \"cell cp\" requires exactly 2 arguments.\n");
                return 1;
        }
        src = argv[p.index];
        dest = argv[p.index + 1];
        src_in = engine_cp_split(src, &sc, &sp);
        dst_in = engine_cp_split(dest, &dc, &dp);
        if (src_in && dst_in) {
                fprintf(stderr, "copying between containers is not supported\n");
                return 1;
        }
        if (!src_in && !dst_in) {
                fprintf(stderr, "must specify at least one container source\n");
                return 1;
        }
        o.name = src_in ? sc : dc;
        {
                json_t *rec = NULL;
                _cleanup_free_ char *abs = NULL;
                const char *cpath = src_in ? sp : dp;

                if (cli_open_engine(g, &e, &err) < 0 || find_container(e, o.name, cid, &rec, &err) < 0)
                        return cli_daemon_error(&err);
                /* Container paths are from its root ("a/b" is "/a/b"). */
                abs = cpath[0] == '/' ? strdup(cpath) : str_printf("/%s", cpath);
                r = abs ? cp_mount_of(rec, abs, !src_in, &mroot, &mpath, &err) : -ENOMEM;
                json_decref(rec);
                if (r < 0)
                        return cli_daemon_error(&err);
                if (mpath) {
                        /* Keep a trailing "/." or "/" the user wrote. */
                        if (src_in) {
                                free(sp);
                                sp = steal_pointer(&mpath);
                        } else {
                                free(dp);
                                dp = steal_pointer(&mpath);
                        }
                }
        }
        if (!mroot &&
            (storage_open(g->storage_root, &st, &err) < 0 || storage_rootfs_path(st, cid, &rootfs, &err) < 0))
                return cli_daemon_error(&err);
        /* The root is mounted from create until rm, so a stopped container
         * copies too; a path under a volume or a bind mount is in its
         * source, resolved inside it all the same. */
        rootfd = open(mroot ? mroot : rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                cell_error_errno(&err, "open the root of %s", o.name);
                return cli_daemon_error(&err);
        }
        if (src_in && str_eq(dest, "-"))
                r = engine_copy_out_tar(rootfd, sp, 1, &o, &err);
        else if (src_in)
                r = engine_copy_out(rootfd, sp, dest, &o, &err);
        else if (str_eq(src, "-"))
                r = engine_copy_in_tar(rootfd, 0, dp, &o, &err);
        else
                r = engine_copy_in(rootfd, src, dp, &o, &err);
        if (r < 0) {
                /* docker: what is missing on the host is the client's own
                 * error; the rest comes from the daemon. */
                if (str_has_prefix(err.msg, "lstat ") || str_eq(err.msg, "cannot copy directory") ||
                    str_eq(err.msg, "no such directory") || str_has_prefix(err.msg, "destination \""))
                        fprintf(stderr, "%s\n", err.msg);
                else
                        return cli_daemon_error(&err);
                return 1;
        }
        return 0;
}

/* ---- commit ---- */

int cmd_engine_commit(const cli_global_t *g, int argc, char **argv);
int cmd_engine_commit(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"author", 'a', true, 1}, {"change", 'c', true, 2}, {"message", 'm', true, 3},
                {"pause", 'p', false, 4}, {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **changes = NULL;
        engine_commit_req_t req = {.pause = true};
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1], image_id[IMAGE_DIGEST_STR_SIZE];
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        fprintf(stderr, "cell commit: %s\n", p.errbuf);
                        return 1;
                case 1:
                        req.author = p.value;
                        break;
                case 2:
                        strv_push(&changes, p.value);
                        break;
                case 3:
                        req.comment = p.value;
                        break;
                case 4:
                        req.pause = !p.value;
                        break;
                default:
                        break;
                }
        }
        if (p.index >= argc || p.index + 2 < argc) {
                fprintf(stderr,
                        "cell commit: \"cell commit\" requires at least 1 and at most 2 arguments.\n");
                return 1;
        }
        req.changes = changes;
        req.ref = p.index + 1 < argc ? argv[p.index + 1] : NULL;
        if (cli_open_engine(g, &e, &err) < 0 || find_container(e, argv[p.index], cid, NULL, &err) < 0 ||
            engine_commit(e, cid, &req, image_id, &err) < 0)
                return cli_daemon_error(&err);
        printf("%s\n", image_id);
        return 0;
}

/* ---- top ---- */

/* Run argv with its stdout into a string; its stderr in ret_err. */
static int capture(char **args, char **ret_out, char **ret_err, int *ret_status)
{
        int out[2] = {-1, -1}, errp[2] = {-1, -1};
        posix_spawn_file_actions_t fa;
        FILE *fo = NULL, *fe = NULL;
        size_t lo = 0, le = 0;
        pid_t pid;
        int r, status = 0;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
        r = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        close(errp[1]);
        if (r != 0) {
                close(out[0]);
                close(errp[0]);
                return -r;
        }
        /* ps writes little to stderr: read stdout to the end first. */
        fo = open_memstream(ret_out, &lo);
        fe = open_memstream(ret_err, &le);
        for (int fd = out[0]; fd >= 0; fd = fd == out[0] ? errp[0] : -1) {
                char buf[8192];
                ssize_t k;

                while ((k = read(fd, buf, sizeof(buf))) > 0 || (k < 0 && errno == EINTR))
                        if (k > 0)
                                fwrite(buf, 1, (size_t)k, fd == out[0] ? fo : fe);
        }
        fclose(fo);
        fclose(fe);
        close(out[0]);
        close(errp[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *ret_status = status;
        return 0;
}

static char **split_fields(const char *line)
{
        char **v = calloc(1, sizeof(*v));
        _cleanup_free_ char *copy = strdup(line);
        char *save = NULL;

        if (!v || !copy) {
                free(v);
                return NULL;
        }
        for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                strv_push(&v, t);
        return v;
}

/* Docker's tabwriter for top: cells at least 20 wide, 3 spaces of padding;
 * the last cell of a line as it is. */
static void print_padded(json_t *rows, size_t ncols, size_t minwidth)
{
        size_t width[64] = {0}, i;
        json_t *row;

        json_array_foreach(rows, i, row)
        {
                for (size_t c = 0; c < ncols && c < 64; c++) {
                        size_t n = strlen(json_string_value(json_array_get(row, c)) ?: "") + 3;

                        if (n < minwidth)
                                n = minwidth;
                        if (n > width[c])
                                width[c] = n;
                }
        }
        json_array_foreach(rows, i, row)
        {
                for (size_t c = 0; c < ncols && c < 64; c++) {
                        const char *s = json_string_value(json_array_get(row, c)) ?: "";

                        if (c + 1 < ncols)
                                printf("%-*s", (int)width[c], s);
                        else
                                printf("%s\n", s);
                }
        }
}

int cmd_engine_top(const cli_global_t *g, int argc, char **argv);
int cmd_engine_top(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *out = NULL, *errout = NULL;
        _cleanup_strv_ char **args = NULL, **titles = NULL;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        json_t *rec = NULL, *rows;
        size_t npids = 0, ncols, pid_col = (size_t)-1;
        int status = 0, r;
        char *save = NULL, *line;

        if (argc < 2) {
                fprintf(stderr, "cell top: \"cell top\" requires at least 1 argument.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || find_container(e, argv[1], cid, &rec, &err) < 0)
                return cli_daemon_error(&err);
        if (!json_is_true(json_object_get(json_object_get(rec, "State"), "Running"))) {
                json_decref(rec);
                fprintf(stderr, "Error response from daemon: Container %s is not running\n", cid);
                return 1;
        }
        json_decref(rec);
        if (runtime_ps(e->runtime_root, cid, &pids, &npids, &err) < 0)
                return cli_daemon_error(&err);
        strv_push(&args, "ps");
        if (argc == 2)
                strv_push(&args, "-ef");
        for (int i = 2; i < argc; i++)
                strv_push(&args, argv[i]);
        r = capture(args, &out, &errout, &status);
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                /* docker shows the first line of what ps said. */
                if (errout)
                        errout[strcspn(errout, "\n")] = '\0';
                fprintf(stderr, "Error response from daemon: ps: %s\n",
                        r < 0 ? strerror(-r) : (errout && *errout ? errout : "failed"));
                return 1;
        }
        line = strtok_r(out, "\n", &save);
        titles = line ? split_fields(line) : NULL;
        ncols = strv_length(titles);
        for (size_t i = 0; i < ncols; i++)
                if (str_eq(titles[i], "PID"))
                        pid_col = i;
        if (pid_col == (size_t)-1) {
                fprintf(stderr, "Error response from daemon: Couldn't find PID field in ps output\n");
                return 1;
        }
        rows = json_array();
        {
                json_t *head = json_array();

                for (size_t i = 0; i < ncols; i++)
                        json_array_append_new(head, json_string(titles[i]));
                json_array_append_new(rows, head);
        }
        while ((line = strtok_r(NULL, "\n", &save))) {
                _cleanup_strv_ char **f = split_fields(line);
                size_t nf = strv_length(f);
                long pid = -1;
                bool ours = false;
                json_t *row;

                if (nf <= pid_col || str_to_long(f[pid_col], 0, 1L << 30, &pid) < 0)
                        continue;
                for (size_t i = 0; i < npids; i++)
                        ours |= pids[i] == (pid_t)pid;
                if (!ours)
                        continue;
                /* The last column (the command) takes the rest of the line. */
                row = json_array();
                for (size_t i = 0; i + 1 < ncols && i < nf; i++)
                        json_array_append_new(row, json_string(f[i]));
                {
                        _cleanup_free_ char *rest = strdup("");

                        for (size_t i = ncols - 1; i < nf && rest; i++) {
                                char *n = str_printf("%s%s%s", rest, *rest ? " " : "", f[i]);

                                free(rest);
                                rest = n;
                        }
                        json_array_append_new(row, json_string(rest ? rest : ""));
                }
                json_array_append_new(rows, row);
        }
        print_padded(rows, ncols, 20);
        json_decref(rows);
        return 0;
}

/* ---- stats ---- */

/* Docker's units.BytesSize: binary units, 4 significant digits. */
static char *bytes_size(double v)
{
        static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        size_t i = 0;

        while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
                v /= 1024;
                i++;
        }
        return str_printf("%.4g%s", v, u[i]);
}

/* Docker's units.HumanSizeWithPrecision(v, 3): decimal units. */
static char *human_size(double v)
{
        static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        size_t i = 0;

        while (v >= 1000 && i + 1 < ARRAY_SIZE(u)) {
                v /= 1000;
                i++;
        }
        return str_printf("%.3g%s", v, u[i]);
}

static uint64_t ju64(json_t *o, const char *a, const char *b, const char *c)
{
        json_t *v = json_object_get(o, a);

        if (b)
                v = json_object_get(v, b);
        if (c)
                v = json_object_get(v, c);
        return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

typedef struct stats_sample {
        bool ok;
        uint64_t cpu_ns;
        struct timespec at;
        json_t *data;
} stats_sample_t;

static void stats_take(engine_t *e, const char *id, stats_sample_t *s)
{
        json_t *ev = NULL;

        json_decref(s->data);
        s->data = NULL;
        s->ok = runtime_stats(e->runtime_root, id, &ev, NULL) == 0;
        clock_gettime(CLOCK_MONOTONIC, &s->at);
        if (s->ok) {
                s->data = json_incref(json_object_get(ev, "data"));
                s->cpu_ns = ju64(s->data, "cpu", "usage", "total");
        }
        json_decref(ev);
}

static uint64_t blkio_sum(json_t *data, const char *op)
{
        json_t *arr = json_object_get(json_object_get(data, "blkio"), "ioServiceBytesRecursive"), *x;
        uint64_t sum = 0;
        size_t i;

        json_array_foreach(arr, i, x)
        {
                if (str_eq(jstr(x, "op"), op))
                        sum += (uint64_t)json_integer_value(json_object_get(x, "value"));
        }
        return sum;
}

/* NET I/O: the bytes received and sent by the container's interfaces but
 * its loopback (docker counts its networks' endpoints), from its network
 * namespace's /proc/PID/net/dev. */
static void net_io(json_t *rec, uint64_t *ret_rx, uint64_t *ret_tx)
{
        json_int_t pid = json_integer_value(json_object_get(json_object_get(rec, "State"), "Pid"));
        char path[64], line[512];
        FILE *f;

        *ret_rx = *ret_tx = 0;
        if (pid <= 0)
                return;
        snprintf(path, sizeof(path), "/proc/%lld/net/dev", (long long)pid);
        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *colon = strchr(line, ':'), *name = line;
                unsigned long long rx, tx;

                if (!colon)
                        continue;
                *colon = '\0';
                while (*name == ' ')
                        name++;
                if (str_eq(name, "lo"))
                        continue;
                if (sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) == 2) {
                        *ret_rx += rx;
                        *ret_tx += tx;
                }
        }
        fclose(f);
}

static json_t *stats_row(json_t *rec, const stats_sample_t *prev, const stats_sample_t *cur)
{
        const char *id = jstr(rec, "Id") ? jstr(rec, "Id") : "";
        double cpu = 0, mem = 0, limit = 0, memp = 0;
        _cleanup_free_ char *cpu_s = NULL, *mem_s = NULL, *memp_s = NULL, *blk_s = NULL, *pids_s = NULL,
                            *a = NULL, *b = NULL, *r = NULL, *w = NULL, *net_s = NULL;
        uint64_t pids = 0;

        if (cur && cur->ok) {
                uint64_t inactive = ju64(cur->data, "memory", "raw", "inactive_file");
                struct sysinfo si;

                mem = (double)ju64(cur->data, "memory", "usage", "usage");
                /* docker: the page cache that can go is not usage. */
                if (inactive < mem)
                        mem -= (double)inactive;
                limit = (double)ju64(cur->data, "memory", "usage", "limit");
                if ((limit <= 0 || limit >= (double)(1ULL << 62)) && sysinfo(&si) == 0)
                        limit = (double)si.totalram * si.mem_unit;
                if (limit > 0)
                        memp = mem / limit * 100.0;
                if (prev && prev->ok && cur->cpu_ns >= prev->cpu_ns) {
                        double wall = (double)(cur->at.tv_sec - prev->at.tv_sec) * 1e9 +
                                      (double)(cur->at.tv_nsec - prev->at.tv_nsec);

                        if (wall > 0)
                                cpu = (double)(cur->cpu_ns - prev->cpu_ns) / wall * 100.0;
                }
                pids = ju64(cur->data, "pids", "current", NULL);
        }
        cpu_s = str_printf("%.2f%%", cpu);
        a = bytes_size(mem);
        b = bytes_size(limit);
        mem_s = str_printf("%s / %s", a ? a : "", b ? b : "");
        memp_s = str_printf("%.2f%%", memp);
        r = human_size(cur && cur->ok ? (double)blkio_sum(cur->data, "Read") : 0);
        w = human_size(cur && cur->ok ? (double)blkio_sum(cur->data, "Write") : 0);
        blk_s = str_printf("%s / %s", r ? r : "", w ? w : "");
        pids_s = str_printf("%llu", (unsigned long long)pids);
        {
                uint64_t rx = 0, tx = 0;

                if (cur && cur->ok)
                        net_io(rec, &rx, &tx);
                free(r);
                free(w);
                r = human_size((double)rx);
                w = human_size((double)tx);
                net_s = str_printf("%s / %s", r ? r : "", w ? w : "");
        }
        return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", id, "ID", id,
                         (size_t)12, "Name", name_of(rec), "CPUPerc", cpu_s ? cpu_s : "", "MemUsage",
                         mem_s ? mem_s : "", "MemPerc", memp_s ? memp_s : "", "NetIO", net_s ? net_s : "",
                         "BlockIO", blk_s ? blk_s : "", "PIDs", pids_s ? pids_s : "");
}

/* Docker's formatter: a tabwriter with cells at least 10 wide and 3 spaces
 * of padding. */
static void stats_table(json_t *rows)
{
        static const char *const cols[] = {"ID",      "Name",  "CPUPerc", "MemUsage",
                                           "MemPerc", "NetIO", "BlockIO", "PIDs"};
        static const char *const heads[] = {"CONTAINER ID", "NAME",    "CPU %",     "MEM USAGE / LIMIT",
                                            "MEM %",        "NET I/O", "BLOCK I/O", "PIDS"};
        json_t *t = json_array(), *row;
        size_t i;

        {
                json_t *h = json_array();

                for (size_t c = 0; c < ARRAY_SIZE(heads); c++)
                        json_array_append_new(h, json_string(heads[c]));
                json_array_append_new(t, h);
        }
        json_array_foreach(rows, i, row)
        {
                json_t *r = json_array();

                for (size_t c = 0; c < ARRAY_SIZE(cols); c++)
                        json_array_append_new(r, json_string(jstr(row, cols[c]) ? jstr(row, cols[c]) : ""));
                json_array_append_new(t, r);
        }
        print_padded(t, ARRAY_SIZE(cols), 10);
        json_decref(t);
}

static volatile sig_atomic_t stats_stop;

static void stats_on_signal(int sig)
{
        (void)sig;
        stats_stop = 1;
}

int cmd_engine_stats(const cli_global_t *g, int argc, char **argv);
int cmd_engine_stats(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"all", 'a', false, 1},    {"no-stream", 0, false, 2}, {"format", 0, true, 3},
                {"no-trunc", 0, false, 4}, {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **ids = NULL;
        bool all = false, no_stream = false;
        const char *format = NULL;
        cell_error_t err = {0};
        stats_sample_t *prev = NULL, *cur = NULL;
        size_t n;
        int id, rc = 0;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0) {
                        fprintf(stderr, "cell stats: %s\n", p.errbuf);
                        return 1;
                }
                if (id == 1)
                        all = !p.value;
                else if (id == 2)
                        no_stream = !p.value;
                else if (id == 3)
                        format = p.value;
        }
        if (cli_open_engine(g, &e, &err) < 0)
                return cli_daemon_error(&err);
        if (p.index < argc) {
                for (int i = p.index; i < argc; i++) {
                        char cid[ENGINE_ID_LEN + 1];

                        if (find_container(e, argv[i], cid, NULL, &err) < 0)
                                return cli_daemon_error(&err);
                        strv_push(&ids, cid);
                }
        } else {
                _cleanup_strv_ char **every = NULL;

                if (engine_container_list(e, &every, &err) < 0)
                        return cli_daemon_error(&err);
                for (size_t i = 0; every[i]; i++) {
                        json_t *rec = NULL;

                        if (engine_inspect(e, every[i], &rec, NULL) < 0)
                                continue;
                        if (all || json_is_true(json_object_get(json_object_get(rec, "State"), "Running")))
                                strv_push(&ids, every[i]);
                        json_decref(rec);
                }
        }
        n = strv_length(ids);
        prev = calloc(n + 1, sizeof(*prev));
        cur = calloc(n + 1, sizeof(*cur));
        if (!prev || !cur) {
                free(prev);
                free(cur);
                return 1;
        }
        for (size_t i = 0; i < n; i++)
                stats_take(e, ids[i], &prev[i]);
        if (!no_stream) {
                struct sigaction sa = {.sa_handler = stats_on_signal};

                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
        }
        while (!stats_stop) {
                struct timespec second = {.tv_sec = 1};
                json_t *rows = json_array();

                /* Two samples a second apart give the CPU %, as docker's. */
                nanosleep(&second, NULL);
                if (stats_stop) {
                        json_decref(rows);
                        break;
                }
                for (size_t i = 0; i < n; i++) {
                        json_t *rec = NULL;

                        if (engine_inspect(e, ids[i], &rec, NULL) < 0)
                                continue;
                        stats_take(e, ids[i], &cur[i]);
                        json_array_append_new(rows, stats_row(rec, &prev[i], &cur[i]));
                        json_decref(rec);
                        json_decref(prev[i].data);
                        prev[i] = cur[i];
                        cur[i].data = NULL;
                }
                if (!no_stream)
                        printf("\033[2J\033[H");
                if (format && !str_has_prefix(format, "table")) {
                        size_t i;
                        json_t *row;

                        json_array_foreach(rows, i, row)
                        {
                                _cleanup_free_ char *s = str_eq(format, "json")
                                                                 ? json_dumps(row, JSON_COMPACT)
                                                                 : cli_template_render(format, row, &err);

                                if (!s) {
                                        fprintf(stderr, "cell stats: %s\n", err.msg);
                                        rc = 1;
                                        stats_stop = 1;
                                        break;
                                }
                                printf("%s\n", s);
                        }
                } else {
                        stats_table(rows);
                }
                fflush(stdout);
                json_decref(rows);
                if (no_stream)
                        break;
        }
        for (size_t i = 0; i < n; i++) {
                json_decref(prev[i].data);
                json_decref(cur[i].data);
        }
        free(prev);
        free(cur);
        return rc;
}

/* ---- port ---- */

int cmd_engine_port(const cli_global_t *g, int argc, char **argv);
int cmd_engine_port(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **lines = NULL;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        json_t *rec = NULL;
        int r;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "cell port: \"cell port\" requires at least 1 and at most 2 arguments.\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || find_container(e, argv[1], cid, &rec, &err) < 0)
                return cli_daemon_error(&err);
        r = cli_port_lines(json_object_get(json_object_get(rec, "NetworkSettings"), "Ports"),
                           argc == 3 ? argv[2] : NULL, &lines);
        json_decref(rec);
        if (r == -EINVAL) {
                fprintf(stderr, "Error: invalid port '%s'\n", argv[2]);
                return 1;
        }
        if (r < 0) {
                /* docker names the port and the container as they were
                 * given ('80', not '80/tcp': tests/parity's case). */
                fprintf(stderr, "Error: No public port '%s' published for %s\n", argv[2], argv[1]);
                return 1;
        }
        for (size_t i = 0; lines && lines[i]; i++)
                printf("%s\n", lines[i]);
        return 0;
}

/* ---- attach ---- */

int cmd_engine_attach(const cli_global_t *g, int argc, char **argv);
int cmd_engine_attach(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"no-stdin", 0, false, 1},
                {"sig-proxy", 0, false, 2},
                {"detach-keys", 0, true, 3},
                {NULL, 0, false, 0},
        };
        cli_dparser_t p = {.argc = argc, .argv = argv, .index = 1};
        engine_attach_opts_t o = {.sig_proxy = true};
        _cleanup_engine_ engine_t *e = NULL;
        cell_error_t err = {0};
        char cid[ENGINE_ID_LEN + 1];
        json_t *rec = NULL, *st;
        int id;

        while ((id = cli_docker_next(&p, opts)) != 0) {
                if (id < 0) {
                        fprintf(stderr, "cell attach: %s\n", p.errbuf);
                        return 1;
                }
                if (id == 1)
                        o.no_stdin = !p.value;
                else if (id == 2)
                        o.sig_proxy = !p.value;
                else if (id == 3)
                        o.detach_keys = p.value;
        }
        if (p.index + 1 != argc) {
                fprintf(stderr, "\"cell attach\" requires exactly 1 argument.\nSee 'cell attach --help'.\n\n"
                                "Usage:  cell attach [OPTIONS] CONTAINER\n\n"
                                "Attach local standard input, output, and error streams to a running "
                                "container\n");
                return 1;
        }
        if (cli_open_engine(g, &e, &err) < 0 || find_container(e, argv[p.index], cid, &rec, &err) < 0)
                return cli_daemon_error(&err);
        st = json_object_get(rec, "State");
        if (json_is_true(json_object_get(st, "Paused"))) {
                json_decref(rec);
                fprintf(stderr, "You cannot attach to a paused container, unpause it first\n");
                return 1;
        }
        if (!json_is_true(json_object_get(st, "Running"))) {
                json_decref(rec);
                fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
                return 1;
        }
        json_decref(rec);
        if (engine_attach(e, cid, &o, &err) < 0)
                return cli_daemon_error(&err);
        if (o.detached) {
                /* docker's client says so and exits 1. */
                fprintf(stderr, "read escape sequence\n");
                return 1;
        }
        return o.exit_code;
}
