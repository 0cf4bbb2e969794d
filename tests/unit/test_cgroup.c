/* cell: unit tests for the cgroup module (lib/runtime/cgroup*.c).
 *
 * The pure parts (linux.cgroupsPath, linux.resources parsing, the device
 * program's logic, run on a small interpreter of the instructions we emit)
 * run anywhere. The rest drives the kernel and needs root: a v1 (or hybrid)
 * host for the v1 tests, and for v2 a private mount namespace with a fresh
 * cgroup2 mount used as the root. Every cgroup lives below a name unique to
 * this run (/cell-unit-<pid>), and teardown removes whatever is left there,
 * even after a failed test. The only processes signalled are the test's own
 * sleeping children. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#define ROOT "/sys/fs/cgroup"

static char base[64]; /* "/cell-unit-<pid>": every cgroup of this run is below it */

/* ---- helpers ---- */

static bool need_root(void)
{
        if (geteuid() != 0) {
                print_message("skipped: cgroup tests need root (creating cgroups, moving processes)\n");
                return false;
        }
        return true;
}

static bool host_is_v1(void)
{
        struct statfs sfs;

        return statfs(ROOT, &sfs) == 0 && sfs.f_type != CGROUP2_SUPER_MAGIC;
}

static char *read_text(const char *path)
{
        char *buf = NULL;
        size_t len = 0;

        if (fs_read_file(path, 0, &buf, &len, NULL) < 0)
                return NULL;
        return buf;
}

/* The first line of a file, without its newline, in a static buffer. */
static const char *read_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *read_line(const char *fmt, ...)
{
        static char out[4096];
        char path[PATH_MAX];
        _cleanup_free_ char *t = NULL;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        t = read_text(path);
        if (!t)
                return NULL;
        str_copy(out, sizeof(out), t);
        out[strcspn(out, "\n")] = '\0';
        return out;
}

static bool path_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool path_exists(const char *fmt, ...)
{
        char path[PATH_MAX];
        struct stat st;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        return lstat(path, &st) == 0;
}

/* Remove a cgroup directory tree, deepest first. */
static void rm_cgroup_tree(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                rm_cgroup_tree(sub);
        }
        closedir(d);
        for (int i = 0; i < 100 && rmdir(path) < 0 && errno == EBUSY; i++)
                usleep(10000);
}

/* Whatever this run left below /cell-unit-<pid> in any hierarchy. */
static void cleanup_all(void)
{
        DIR *d = opendir(ROOT);
        struct dirent *de;
        char path[PATH_MAX];

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s%s", ROOT, de->d_name, base);
                rm_cgroup_tree(path);
                snprintf(path, sizeof(path), "%s/%s%s-v2", ROOT, de->d_name, base);
                rm_cgroup_tree(path);
        }
        closedir(d);
        snprintf(path, sizeof(path), "%s%s", ROOT, base);
        rm_cgroup_tree(path);
}

static bool left_anywhere(const char *rel)
{
        DIR *d = opendir(ROOT);
        struct dirent *de;
        bool found = false;

        if (!d)
                return false;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && path_exists("%s/%s%s", ROOT, de->d_name, rel))
                        found = true;
        closedir(d);
        return found;
}

/* A child that sleeps until killed. */
static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static json_t *parse_json(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);

        if (!j)
                fail_msg("bad test JSON: %s: %s", jerr.text, text);
        return j;
}

static bool pid_in_cgroup_procs(const char *procs_path, pid_t pid)
{
        _cleanup_free_ char *t = read_text(procs_path);
        char want[24];

        if (!t)
                return false;
        snprintf(want, sizeof(want), "%d", (int)pid);
        for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                if (strcmp(l, want) == 0)
                        return true;
        return false;
}

static int setup_group(void **state)
{
        snprintf(base, sizeof(base), "/cell-unit-%d", (int)getpid());
        return 0;
}

static int teardown_group(void **state)
{
        if (geteuid() == 0)
                cleanup_all();
        return 0;
}

/* ---- linux.cgroupsPath ---- */

static void expect_path(bool systemd, const char *in, const char *id, const char *want)
{
        cgroup_config_t cfg = {.cgroups_path = in, .id = id, .systemd = systemd};
        cell_error_t err = {0};
        _cleanup_free_ char *got = NULL;

        if (cgroup_resolve_path(&cfg, &got, &err) < 0)
                fail_msg("resolve \"%s\": %s", in ? in : "(null)", err.msg);
        if (strcmp(got, want) != 0)
                fail_msg("resolve \"%s\": got \"%s\", want \"%s\"", in ? in : "(null)", got, want);
}

static void expect_path_error(bool systemd, const char *in, const char *want_msg)
{
        cgroup_config_t cfg = {.cgroups_path = in, .id = "x", .systemd = systemd};
        cell_error_t err = {0};
        _cleanup_free_ char *got = NULL;

        if (cgroup_resolve_path(&cfg, &got, &err) == 0)
                fail_msg("resolve \"%s\" should fail, got \"%s\"", in, got);
        if (!strstr(err.msg, want_msg))
                fail_msg("resolve \"%s\": message \"%s\" lacks \"%s\"", in, err.msg, want_msg);
}

static void test_path_cgroupfs(void **state)
{
        expect_path(false, "/a/b", "x", "/a/b");
        expect_path(false, "a/b", "x", "/a/b");
        expect_path(false, NULL, "ctr1", "/cell/ctr1");
        expect_path(false, "", "ctr1", "/cell/ctr1");
        expect_path(false, "//a/./b//", "x", "/a/b");
        expect_path(false, "/a/../../b/c", "x", "/b/c");
        expect_path_error(false, "/", "root cgroup");
        expect_path_error(false, "/a/..", "root cgroup");
}

static void test_path_systemd(void **state)
{
        _cleanup_free_ char *s = NULL;
        cell_error_t err = {0};

        expect_path(true, "system.slice:cell:abc", "x", "/system.slice/cell-abc.scope");
        expect_path(true, "a-b-c.slice:p:n", "x", "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
        expect_path(true, ":p:n", "x", "/system.slice/p-n.scope");
        expect_path(true, "-.slice:p:n", "x", "/p-n.scope");
        expect_path(true, "user.slice::n", "x", "/user.slice/n.scope");
        expect_path(true, "machine.slice:p:inner.slice", "x", "/machine.slice/inner.slice");
        expect_path(true, NULL, "ctr", "/system.slice/cell-ctr.scope");
        expect_path_error(true, "noslice:p:n", "not a slice name");
        expect_path_error(true, "a.slice:b", "slice:prefix:name");
        expect_path_error(true, "a.slice:b:c:d", "slice:prefix:name");
        expect_path_error(true, "a--b.slice:p:n", "not a valid slice name");
        expect_path_error(true, "-a.slice:p:n", "not a valid slice name");
        expect_path_error(true, "a-.slice:p:n", "not a valid slice name");
        expect_path_error(true, "a.slice:p:", "bad unit name");
        expect_path_error(true, "a.slice:p:x/y", "bad unit name");

        assert_int_equal(cgroup_expand_slice("a-b-c-d.slice", &s, &err), 0);
        assert_string_equal(s, "/a.slice/a-b.slice/a-b-c.slice/a-b-c-d.slice");
}

/* ---- linux.resources ---- */

static void expect_res_error(const char *doc, const char *want)
{
        json_t *j = parse_json(doc);
        cell_error_t err = {0};
        cg_res_t res;

        if (cg_res_parse(j, &res, &err) == 0) {
                cg_res_release(&res);
                fail_msg("%s should be refused", doc);
        }
        if (!strstr(err.msg, want))
                fail_msg("%s: message \"%s\" lacks \"%s\"", doc, err.msg, want);
        json_decref(j);
}

static void test_resources_parse(void **state)
{
        json_t *j = parse_json("{\"memory\":{\"limit\":1048576,\"swap\":0,\"swappiness\":10},"
                               "\"cpu\":{\"shares\":1024,\"quota\":-1,\"cpus\":\"\"},"
                               "\"pids\":{\"limit\":0},"
                               "\"blockIO\":{\"weight\":300,\"throttleReadBpsDevice\":[{\"major\":8,"
                               "\"minor\":0,\"rate\":1e6}]},"
                               "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],"
                               "\"unified\":{\"memory.high\":\"max\"},"
                               "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":"
                               "\"u\",\"major\":1,\"minor\":3},"
                               "{\"allow\":true,\"type\":\"p\"}]}");
        cell_error_t err = {0};
        cg_res_t res;

        assert_int_equal(cg_res_parse(j, &res, &err), 0);
        assert_true(res.mem_limit.set);
        assert_int_equal(res.mem_limit.v, 1048576);
        assert_false(res.mem_swap.set); /* 0 = not set, as runc */
        assert_int_equal(res.mem_swappiness.v, 10);
        assert_int_equal(res.cpu_shares.v, 1024);
        assert_int_equal(res.cpu_quota.v, -1);
        assert_null(res.cpu_cpus);
        assert_true(res.pids_limit.set);
        assert_int_equal(res.n_throttle[CG_READ_BPS], 1);
        assert_int_equal(res.throttle[CG_READ_BPS][0].rate, 1000000);
        assert_string_equal(res.hugepages[0].page_size, "2MB");
        assert_string_equal(res.unified[0].key, "memory.high");
        assert_true(res.devices_set);
        assert_int_equal(res.n_devices, 2); /* the FIFO rule does not reach the device controller */
        assert_int_equal(res.devices[0].type, 'a');
        assert_int_equal(res.devices[0].access, CG_DEV_ALL);
        assert_int_equal(res.devices[1].type, 'c');
        assert_int_equal(res.devices[1].major, 1);
        cg_res_release(&res);
        json_decref(j);

        assert_true(cg_res_json_empty(NULL, false));
        j = parse_json("{\"devices\":[],\"memory\":{},\"unified\":null}");
        assert_true(cg_res_json_empty(j, false));
        json_decref(j);
        j = parse_json("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":null}}");
        assert_false(cg_res_json_empty(j, false));
        assert_true(cg_res_json_empty(j, true));
        json_decref(j);

        expect_res_error("{\"memory\":{\"limit\":\"1G\"}}",
                         "linux.resources.memory.limit: expected an integer");
        expect_res_error("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness");
        expect_res_error("{\"cpu\":[]}", "linux.resources.cpu: expected an object");
        expect_res_error("{\"unified\":{\"../memory.max\":\"1\"}}", "not a cgroup file name");
        expect_res_error("{\"unified\":{\"memory.max\":1}}",
                         "linux.resources.unified.memory.max: expected a string");
        expect_res_error("{\"hugepageLimits\":[{\"pageSize\":\"../2MB\",\"limit\":1}]}", "not a page size");
        expect_res_error("{\"devices\":[{\"allow\":true,\"access\":\"rx\"}]}",
                         "linux.resources.devices[0].access");
        expect_res_error("{\"devices\":[{\"access\":\"r\"}]}", "linux.resources.devices[0].allow: missing");
        expect_res_error("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"weight\":10}]}}",
                         "linux.resources.blockIO.weightDevice[0].minor: missing");
}

/* ---- the device program, run on an interpreter of what we emit ---- */

static int run_prog(const struct bpf_insn *p, size_t n, char type, uint32_t major, uint32_t minor,
                    uint32_t access)
{
        uint32_t ctx[3] = {(access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major,
                           minor};
        uint64_t r[11] = {0};

        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];

                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        assert_int_equal(i->src_reg, 1);
                        r[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        r[i->dst_reg] = (uint32_t)r[i->src_reg];
                        break;
                case BPF_ALU | BPF_MOV | BPF_K:
                        r[i->dst_reg] = (uint32_t)i->imm;
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
                        break;
                case BPF_JMP32 | BPF_JEQ | BPF_K:
                        if ((uint32_t)r[i->dst_reg] == (uint32_t)i->imm)
                                pc += (size_t)(long)i->off;
                        break;
                case BPF_JMP32 | BPF_JNE | BPF_K:
                        if ((uint32_t)r[i->dst_reg] != (uint32_t)i->imm)
                                pc += (size_t)(long)i->off;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += (size_t)(long)i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)r[0];
                default:
                        fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
                }
        }
        fail_msg("the program runs off its end");
        return -1;
}

/* The verifier refuses unreachable instructions and backward jumps. */
static void check_reachable(const struct bpf_insn *p, size_t n)
{
        bool *seen = calloc(n, 1);

        assert_non_null(seen);
        seen[0] = true;
        for (size_t pc = 0; pc < n; pc++) {
                uint8_t cls = p[pc].code & 0x07;

                if (!seen[pc])
                        fail_msg("instruction %zu is unreachable", pc);
                if (cls == BPF_JMP || cls == BPF_JMP32) {
                        if (p[pc].code == (BPF_JMP | BPF_EXIT))
                                continue;
                        assert_true(p[pc].off >= 0);
                        assert_true(pc + 1 + (size_t)p[pc].off < n);
                        seen[pc + 1 + (size_t)p[pc].off] = true;
                        if (p[pc].code == (BPF_JMP | BPF_JA))
                                continue;
                }
                if (pc + 1 < n)
                        seen[pc + 1] = true;
        }
        free(seen);
}

static void build(const char *doc, struct bpf_insn **ret, size_t *n)
{
        json_t *j = parse_json(doc);
        cell_error_t err = {0};
        cg_res_t res;
        void *v = NULL;

        assert_int_equal(cg_res_parse(j, &res, &err), 0);
        if (cgroup_bpf_build(res.devices, res.n_devices, &v, n, &err) < 0)
                fail_msg("build: %s", err.msg);
        *ret = v;
        check_reachable(*ret, *n);
        cg_res_release(&res);
        json_decref(j);
}

#define R CG_DEV_READ
#define W CG_DEV_WRITE
#define M CG_DEV_MKNOD

static void test_bpf_program_logic(void **state)
{
        struct bpf_insn *p = NULL;
        size_t n = 0;

        /* The usual container list: deny all, then a few devices. */
        build("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
              "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
              "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
              "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rw\"}]}",
              &p, &n);
        assert_int_equal(run_prog(p, n, 'c', 1, 3, R | W), 1);
        assert_int_equal(run_prog(p, n, 'c', 1, 3, M), 1);
        assert_int_equal(run_prog(p, n, 'b', 1, 3, R), 0); /* type matters */
        assert_int_equal(run_prog(p, n, 'c', 1, 5, R), 1);
        assert_int_equal(run_prog(p, n, 'c', 1, 5, R | W), 0); /* only read was allowed */
        assert_int_equal(run_prog(p, n, 'c', 136, 7, W), 1);   /* wildcard minor */
        assert_int_equal(run_prog(p, n, 'c', 136, 7, M), 0);
        assert_int_equal(run_prog(p, n, 'c', 1, 7, R), 0);
        free(p);

        /* Last match wins; access bits are decided one by one. */
        build("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
              "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
              "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"w\"},"
              "{\"allow\":true,\"type\":\"a\",\"major\":10,\"access\":\"rwm\"},"
              "{\"allow\":false,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"w\"}]}",
              &p, &n);
        assert_int_equal(run_prog(p, n, 'c', 1, 5, R | W), 1);
        assert_int_equal(run_prog(p, n, 'b', 10, 1, R | W | M), 1);
        assert_int_equal(run_prog(p, n, 'c', 10, 200, R), 1);
        assert_int_equal(run_prog(p, n, 'c', 10, 200, R | W), 0);
        free(p);

        /* Allow all, then deny one: the default is no longer deny. */
        build("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
              "{\"allow\":false,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"rw\"}]}",
              &p, &n);
        assert_int_equal(run_prog(p, n, 'c', 4, 1, R | W), 1);
        assert_int_equal(run_prog(p, n, 'b', 8, 0, R), 0);
        assert_int_equal(run_prog(p, n, 'b', 8, 0, M), 1);
        free(p);

        /* An empty list denies everything (the rules are the whole list). */
        build("{\"devices\":[]}", &p, &n);
        assert_int_equal(run_prog(p, n, 'c', 1, 3, R), 0);
        free(p);

        /* A rule list ending in allow-all allows everything. */
        build("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"a\"}]}", &p, &n);
        assert_int_equal(run_prog(p, n, 'b', 259, 0, R | W | M), 1);
        free(p);
}

/* ---- v1 (and hybrid) on the host ---- */

static bool v1_ready(void)
{
        if (!need_root())
                return false;
        if (!host_is_v1()) {
                print_message("skipped: %s is cgroup v2, not v1/hybrid\n", ROOT);
                return false;
        }
        return true;
}

static const char *v1_file(const char *ctrl, const char *rel, const char *file)
{
        return read_line("%s/%s%s/%s", ROOT, ctrl, rel, file);
}

static void test_v1_lifecycle(void **state)
{
        char rel[128], cgpath[160], want[64];
        _cleanup_pid_ pid_t child = -1;
        cgroup_config_t cfg = {0};
        cgroup_t *cg = NULL, *cg2 = NULL;
        cell_error_t err = {0};
        json_t *res, *saved, *stats, *upd;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *devlist = NULL, *own = NULL;
        size_t n = 0;
        int status;

        if (!v1_ready()) {
                skip();
                return;
        }
        snprintf(rel, sizeof(rel), "%s/life", base);
        cfg.cgroups_path = rel;
        cfg.id = "life";
        res = parse_json(
                "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
                "\"disableOOMKiller\":false,\"kernel\":-1},"
                "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\",\"mems\":\"0\"},"
                "\"pids\":{\"limit\":42},"
                "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
                "{\"allow\":true,\"type\":\"a\",\"major\":136,\"access\":\"rw\"}]}");
        child = spawn_sleeper();
        if (cgroup_create(&cfg, res, child, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        json_decref(res);
        assert_non_null(cg);
        assert_string_equal(cgroup_version_name(cg), "v1");

        assert_string_equal(v1_file("memory", rel, "memory.limit_in_bytes"), "67108864");
        assert_string_equal(v1_file("memory", rel, "memory.soft_limit_in_bytes"), "33554432");
        if (path_exists("%s/memory%s/memory.memsw.limit_in_bytes", ROOT, rel))
                assert_string_equal(v1_file("memory", rel, "memory.memsw.limit_in_bytes"), "134217728");
        assert_string_equal(v1_file("pids", rel, "pids.max"), "42");
        assert_string_equal(v1_file("cpu", rel, "cpu.shares"), "512");
        assert_string_equal(v1_file("cpu", rel, "cpu.cfs_quota_us"), "50000");
        assert_string_equal(v1_file("cpu", rel, "cpu.cfs_period_us"), "100000");
        assert_string_equal(v1_file("cpuset", rel, "cpuset.cpus"), "0");
        assert_string_equal(v1_file("cpuset", rel, "cpuset.mems"), "0");
        snprintf(cgpath, sizeof(cgpath), "%s/devices%s/devices.list", ROOT, rel);
        devlist = read_text(cgpath);
        assert_non_null(devlist);
        assert_non_null(strstr(devlist, "c 1:3 rwm"));
        assert_non_null(strstr(devlist, "c 1:5 r\n"));
        assert_non_null(strstr(devlist, "c 136:* rw"));
        assert_non_null(strstr(devlist, "b 136:* rw"));
        assert_null(strstr(devlist, "a *:* rwm"));

        /* The child is in every hierarchy, the unified one included. */
        snprintf(cgpath, sizeof(cgpath), "/proc/%d/cgroup", (int)child);
        own = read_text(cgpath);
        assert_non_null(own);
        snprintf(want, sizeof(want), ":memory:%s\n", rel);
        assert_non_null(strstr(own, want));
        snprintf(want, sizeof(want), ":name=systemd:%s\n", rel);
        assert_non_null(strstr(own, want));
        if (path_exists("%s/unified", ROOT)) {
                snprintf(want, sizeof(want), "0::%s\n", rel);
                assert_non_null(strstr(own, want));
        }

        /* pids */
        assert_int_equal(cgroup_pids(cg, &pids, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(pids[0], child);

        /* freeze and thaw */
        assert_false(cgroup_is_frozen(cg));
        if (cgroup_freeze(cg, true, &err) < 0)
                fail_msg("freeze: %s", err.msg);
        assert_string_equal(v1_file("freezer", rel, "freezer.state"), "FROZEN");
        assert_true(cgroup_is_frozen(cg));
        if (cgroup_freeze(cg, false, &err) < 0)
                fail_msg("thaw: %s", err.msg);
        assert_string_equal(v1_file("freezer", rel, "freezer.state"), "THAWED");
        assert_false(cgroup_is_frozen(cg));

        /* stats */
        assert_int_equal(cgroup_stats(cg, &stats, &err), 0);
        assert_true(json_is_integer(
                json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "total")));
        assert_true(json_is_array(
                json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "percpu")));
        assert_true(json_is_object(json_object_get(json_object_get(stats, "cpu"), "throttling")));
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(json_object_get(stats, "memory"), "usage"), "limit")),
                         67108864);
        assert_true(json_is_object(json_object_get(json_object_get(stats, "memory"), "raw")));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(stats, "pids"), "current")), 1);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(stats, "pids"), "limit")), 42);
        assert_true(json_is_object(json_object_get(stats, "blkio")));
        json_decref(stats);
        assert_int_equal(cgroup_oom_kills(cg), 0);

        /* The state round-trips: a later process reopens the same cgroups. */
        saved = cgroup_to_json(cg);
        assert_int_equal(json_integer_value(json_object_get(saved, "version")), 1);
        snprintf(cgpath, sizeof(cgpath), "%s/memory%s", ROOT, rel);
        assert_string_equal(json_string_value(json_object_get(json_object_get(saved, "paths"), "memory")),
                            cgpath);
        if (cgroup_load(saved, &cg2, &err) < 0)
                fail_msg("load: %s", err.msg);
        json_decref(saved);

        /* Update through the reloaded handle: lower both (memsw first), then
         * raise both (limit... no: memsw first again, since it is above the
         * current limit). */
        upd = parse_json("{\"memory\":{\"limit\":16777216,\"swap\":33554432},\"pids\":{\"limit\":-1}}");
        if (cgroup_update(cg2, upd, &err) < 0)
                fail_msg("update down: %s", err.msg);
        json_decref(upd);
        assert_string_equal(v1_file("memory", rel, "memory.limit_in_bytes"), "16777216");
        assert_string_equal(v1_file("pids", rel, "pids.max"), "max");
        upd = parse_json("{\"memory\":{\"limit\":268435456,\"swap\":536870912}}");
        if (cgroup_update(cg2, upd, &err) < 0)
                fail_msg("update up: %s", err.msg);
        json_decref(upd);
        assert_string_equal(v1_file("memory", rel, "memory.limit_in_bytes"), "268435456");
        upd = parse_json("{\"memory\":{\"limit\":-1}}");
        if (cgroup_update(cg2, upd, &err) < 0)
                fail_msg("update unlimited: %s", err.msg);
        json_decref(upd);

        /* A device update writes the difference: 1:5 loses read, 1:9 comes,
         * 136:* keeps only read, and the default stays deny. */
        upd = parse_json("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rw\"},"
                         "{\"allow\":true,\"type\":\"a\",\"major\":136,\"access\":\"rw\"},"
                         "{\"allow\":false,\"type\":\"a\",\"major\":136,\"access\":\"w\"}]}");
        if (cgroup_update(cg2, upd, &err) < 0)
                fail_msg("update devices: %s", err.msg);
        free(devlist);
        snprintf(cgpath, sizeof(cgpath), "%s/devices%s/devices.list", ROOT, rel);
        devlist = read_text(cgpath);
        assert_non_null(devlist);
        if (strcmp(devlist, "c 1:3 rwm\nc 136:* r\nb 136:* r\nc 1:9 rw\n") != 0)
                fail_msg("devices.list after update:\n%s", devlist);
        /* The same list again changes nothing. */
        if (cgroup_update(cg2, upd, &err) < 0)
                fail_msg("update devices again: %s", err.msg);
        json_decref(upd);
        free(devlist);
        devlist = read_text(cgpath);
        assert_string_equal(devlist, "c 1:3 rwm\nc 136:* r\nb 136:* r\nc 1:9 rw\n");

        /* kill_all reaches the child */
        if (cgroup_kill_all(cg2, SIGKILL, &err) < 0)
                fail_msg("kill_all: %s", err.msg);
        assert_int_equal(waitpid(child, &status, 0), child);
        child = -1;
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        if (cgroup_destroy(cg2, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        assert_false(left_anywhere(rel));
        /* Destroying what is gone is fine. */
        assert_int_equal(cgroup_destroy(cg, &err), 0);
        cgroup_free(cg);
        cgroup_free(cg2);
}

static void test_v1_kill_frozen(void **state)
{
        char rel[128];
        _cleanup_pid_ pid_t child = -1;
        cgroup_config_t cfg = {0};
        cgroup_t *cg = NULL;
        cell_error_t err = {0};
        int status;

        if (!v1_ready()) {
                skip();
                return;
        }
        snprintf(rel, sizeof(rel), "%s/frozen", base);
        cfg.cgroups_path = rel;
        child = spawn_sleeper();
        if (cgroup_create(&cfg, NULL, child, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        assert_int_equal(cgroup_freeze(cg, true, &err), 0);
        /* A frozen process takes SIGKILL only once thawed: kill_all thaws. */
        if (cgroup_kill_all(cg, SIGKILL, &err) < 0)
                fail_msg("kill_all: %s", err.msg);
        assert_int_equal(waitpid(child, &status, 0), child);
        child = -1;
        assert_true(WIFSIGNALED(status));
        assert_false(cgroup_is_frozen(cg));
        assert_int_equal(cgroup_destroy(cg, &err), 0);
        assert_false(left_anywhere(rel));
        cgroup_free(cg);
}

/* Destroy kills what is left and removes child cgroups too. */
static void test_v1_destroy_busy(void **state)
{
        char rel[128], sub[PATH_MAX];
        _cleanup_pid_ pid_t child = -1;
        cgroup_config_t cfg = {0};
        cgroup_t *cg = NULL;
        cell_error_t err = {0};
        int status;

        if (!v1_ready()) {
                skip();
                return;
        }
        snprintf(rel, sizeof(rel), "%s/busy", base);
        cfg.cgroups_path = rel;
        child = spawn_sleeper();
        if (cgroup_create(&cfg, NULL, child, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        snprintf(sub, sizeof(sub), "%s/memory%s/nested", ROOT, rel);
        assert_int_equal(mkdir(sub, 0755), 0);
        if (cgroup_destroy(cg, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        assert_int_equal(waitpid(child, &status, 0), child);
        child = -1;
        assert_false(left_anywhere(rel));
        cgroup_free(cg);
}

static void test_v1_errors_name_the_field(void **state)
{
        char rel[128], parent[PATH_MAX];
        cgroup_config_t cfg = {0};
        cgroup_t *cg = NULL;
        cell_error_t err = {0};
        json_t *res;

        if (!v1_ready()) {
                skip();
                return;
        }
        /* A parent that does not exist yet: the failure must remove it too. */
        snprintf(rel, sizeof(rel), "%s/fresh-parent/bad", base);
        cfg.cgroups_path = rel;
        res = parse_json("{\"pids\":{\"limit\":10},\"blockIO\":{\"throttleReadBpsDevice\":"
                         "[{\"major\":999,\"minor\":999,\"rate\":1048576}]}}");
        assert_true(cgroup_create(&cfg, res, 0, &cg, &err) < 0);
        json_decref(res);
        assert_null(cg);
        if (!strstr(err.msg, "linux.resources.blockIO.throttleReadBpsDevice[0]: write ") ||
            !strstr(err.msg, rel) || !strstr(err.msg, "/blkio.throttle.read_bps_device: "))
                fail_msg("unexpected message: %s", err.msg);
        assert_false(left_anywhere(rel));
        snprintf(parent, sizeof(parent), "%s/fresh-parent", base);
        assert_false(left_anywhere(parent));

        /* A bad value is named too. */
        snprintf(rel, sizeof(rel), "%s/badcpus", base);
        cfg.cgroups_path = rel;
        res = parse_json("{\"cpu\":{\"cpus\":\"4096\"}}");
        assert_true(cgroup_create(&cfg, res, 0, &cg, &err) < 0);
        json_decref(res);
        if (!strstr(err.msg, "linux.resources.cpu.cpus: write ") || !strstr(err.msg, "cpuset.cpus: "))
                fail_msg("unexpected message: %s", err.msg);
        assert_false(left_anywhere(rel));

        /* Hybrid: the unified hierarchy has no memory controller. */
        if (path_exists("%s/unified", ROOT)) {
                _cleanup_free_ char *ctl = read_text(ROOT "/unified/cgroup.controllers");

                if (ctl && !strstr(ctl, "memory")) {
                        snprintf(rel, sizeof(rel), "%s/unified-mem", base);
                        cfg.cgroups_path = rel;
                        res = parse_json("{\"unified\":{\"memory.max\":\"1000000\"}}");
                        assert_true(cgroup_create(&cfg, res, 0, &cg, &err) < 0);
                        json_decref(res);
                        if (!strstr(err.msg,
                                    "linux.resources.unified: the memory controller is not available in "
                                    "the cgroup v2 hierarchy (cgroup.controllers: "))
                                fail_msg("unexpected message: %s", err.msg);
                        assert_false(left_anywhere(rel));
                }
        }
}

/* Hybrid: hugetlb limits and the unified map go to the unified cgroup. */
static void test_hybrid_unified(void **state)
{
        char rel[128];
        cgroup_config_t cfg = {0};
        cgroup_t *cg = NULL;
        cell_error_t err = {0};
        _cleanup_free_ char *ctl = NULL;
        json_t *res, *stats;

        if (!v1_ready()) {
                skip();
                return;
        }
        ctl = read_text(ROOT "/unified/cgroup.controllers");
        if (!ctl || !strstr(ctl, "hugetlb") || !path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) {
                print_message("skipped: no hybrid unified hierarchy with hugetlb and 2MB pages\n");
                skip();
                return;
        }
        snprintf(rel, sizeof(rel), "%s/hybrid", base);
        cfg.cgroups_path = rel;
        res = parse_json("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
                         "\"unified\":{\"cgroup.max.descendants\":\"3\"}}");
        if (cgroup_create(&cfg, res, 0, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        json_decref(res);
        assert_string_equal(read_line("%s/unified%s/hugetlb.2MB.max", ROOT, rel), "4194304");
        assert_string_equal(read_line("%s/unified%s/cgroup.max.descendants", ROOT, rel), "3");
        assert_int_equal(cgroup_destroy(cg, &err), 0);
        cgroup_free(cg);

        /* Created without hugetlb limits (so without the controller in the
         * ancestors of a fresh parent), then updated with one. */
        snprintf(rel, sizeof(rel), "%s/hybrid-fresh/ctr", base);
        cfg.cgroups_path = rel;
        if (cgroup_create(&cfg, NULL, 0, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        res = parse_json("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}");
        if (cgroup_update(cg, res, &err) < 0)
                fail_msg("update: %s", err.msg);
        json_decref(res);
        assert_string_equal(read_line("%s/unified%s/hugetlb.2MB.max", ROOT, rel), "2097152");
        assert_int_equal(cgroup_stats(cg, &stats, &err), 0);
        assert_true(json_is_object(json_object_get(json_object_get(stats, "hugetlb"), "2MB")));
        json_decref(stats);
        assert_int_equal(cgroup_destroy(cg, &err), 0);
        assert_false(left_anywhere(rel));
        cgroup_free(cg);
}

/* Unprivileged and asking for nothing: no cgroup, no error. */
static void test_rootless(void **state)
{
        pid_t pid;
        int status;

        if (!v1_ready()) {
                skip();
                return;
        }
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char rel[128];
                cgroup_config_t cfg = {.rootless = true};
                cgroup_t *cg = (cgroup_t *)1;
                cell_error_t err = {0};
                json_t *res;

                snprintf(rel, sizeof(rel), "%s/rootless", base);
                cfg.cgroups_path = rel;
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(10);
                res = json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm");
                if (cgroup_create(&cfg, res, 0, &cg, &err) != 0 || cg != NULL)
                        _exit(11);
                json_decref(res);
                res = json_pack("{s:{s:i}}", "pids", "limit", 10);
                if (cgroup_create(&cfg, res, 0, &cg, &err) == 0)
                        _exit(12);
                _exit(err.code == EACCES || err.code == EPERM ? 0 : 13);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- v2, in a private mount namespace with a fresh cgroup2 mount ----
 * The body runs in a forked child (the mount namespace must not leak into
 * the test runner), so it reports with CHECK instead of cmocka asserts. */

static pid_t v2_kids[8];
static size_t v2_nkids;

static void v2_kill_kids(void)
{
        for (size_t i = 0; i < v2_nkids; i++) {
                if (v2_kids[i] > 0) {
                        kill(v2_kids[i], SIGKILL);
                        waitpid(v2_kids[i], NULL, 0);
                }
        }
        v2_nkids = 0;
}

#define CHECK(cond, ...)                                                                                     \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);             \
                        fprintf(stderr, __VA_ARGS__);                                                        \
                        fprintf(stderr, "\n");                                                               \
                        v2_kill_kids();                                                                      \
                        _exit(1);                                                                            \
                }                                                                                            \
        } while (0)

/* A child that waits for a byte on `go`, then tries the two device nodes
 * and exits 0 when /dev/null opens and `denied` fails with EPERM (or, with
 * expect_open, opens too). */
static pid_t spawn_device_probe(int go, const char *denied, bool expect_open)
{
        pid_t pid = fork();

        if (pid == 0) {
                char c;
                int fd;

                if (read(go, &c, 1) != 1)
                        _exit(20);
                fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        _exit(21);
                close(fd);
                fd = open(denied, O_RDONLY | O_CLOEXEC);
                if (expect_open)
                        _exit(fd >= 0 ? 0 : 22);
                _exit(fd < 0 && errno == EPERM ? 0 : 23);
        }
        if (pid > 0 && v2_nkids < ARRAY_SIZE(v2_kids))
                v2_kids[v2_nkids++] = pid;
        return pid;
}

static int wait_kid(pid_t pid)
{
        int status = 0;

        if (waitpid(pid, &status, 0) != pid)
                return -1;
        for (size_t i = 0; i < v2_nkids; i++)
                if (v2_kids[i] == pid)
                        v2_kids[i] = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static uint32_t attached_programs(const char *path)
{
        union bpf_attr attr;
        uint32_t ids[16];
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return 0;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
        attr.query.prog_cnt = ARRAY_SIZE(ids);
        if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
                attr.query.prog_cnt = 0;
        close(fd);
        return attr.query.prog_cnt;
}

static void v2_body(const char *mnt, const char *tmp)
{
        char rel[128], dir[PATH_MAX], zero[PATH_MAX], file[PATH_MAX];
        cgroup_config_t cfg = {.root = mnt};
        cgroup_t *cg = NULL, *cg2 = NULL;
        cell_error_t err = {0};
        json_t *res, *saved, *stats;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *ctl = NULL;
        size_t n = 0;
        int go[2], status;
        pid_t probe, sleeper;
        bool want_huge;

        snprintf(zero, sizeof(zero), "%s/zero", tmp);
        CHECK(mknod(zero, S_IFCHR | 0666, makedev(1, 5)) == 0, "mknod %s: %s", zero, strerror(errno));
        snprintf(rel, sizeof(rel), "%s-v2/ctr", base);
        snprintf(dir, sizeof(dir), "%s%s", mnt, rel);
        cfg.cgroups_path = rel;

        /* The device program: all denied but /dev/null. */
        snprintf(file, sizeof(file), "%s/cgroup.controllers", mnt);
        ctl = read_text(file);
        CHECK(ctl != NULL, "read %s", file);
        res = parse_json("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}],"
                         "\"unified\":{\"cgroup.max.descendants\":\"5\"}}");
        if (strstr(ctl, "hugetlb") && path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
                json_object_set_new(res, "hugepageLimits",
                                    json_pack("[{s:s,s:i}]", "pageSize", "2MB", "limit", 0));
        CHECK(pipe2(go, O_CLOEXEC) == 0, "pipe");
        probe = spawn_device_probe(go[0], zero, false);
        CHECK(probe > 0, "fork");
        CHECK(cgroup_create(&cfg, res, probe, &cg, &err) == 0, "create: %s", err.msg);
        json_decref(res);
        CHECK(strcmp(cgroup_version_name(cg), "v2") == 0, "version %s", cgroup_version_name(cg));
        snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
        CHECK(pid_in_cgroup_procs(file, probe), "probe not in %s", file);
        CHECK(write(go[1], "x", 1) == 1, "write");
        status = wait_kid(probe);
        CHECK(status == 0, "device probe exit %d (21: /dev/null refused, 23: zero not refused)", status);
        CHECK(attached_programs(dir) == 1, "programs attached: %u", attached_programs(dir));
        CHECK(strcmp(read_line("%s/cgroup.max.descendants", dir), "5") == 0, "unified map not written");
        if (strstr(ctl, "hugetlb") && path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
                CHECK(strcmp(read_line("%s/hugetlb.2MB.max", dir), "0") == 0, "hugetlb.2MB.max: %s",
                      read_line("%s/hugetlb.2MB.max", dir));

        /* freeze a sleeper through cgroup.freeze */
        sleeper = fork();
        CHECK(sleeper >= 0, "fork");
        if (sleeper == 0) {
                for (;;)
                        pause();
        }
        v2_kids[v2_nkids++] = sleeper;
        CHECK(cgroup_add_pid(cg, sleeper, &err) == 0, "add_pid: %s", err.msg);
        CHECK(cgroup_pids(cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == sleeper, "pids: n=%zu", n);
        CHECK(cgroup_freeze(cg, true, &err) == 0, "freeze: %s", err.msg);
        CHECK(cgroup_is_frozen(cg), "not frozen");
        CHECK(strcmp(read_line("%s/cgroup.freeze", dir), "1") == 0, "cgroup.freeze");
        CHECK(cgroup_freeze(cg, false, &err) == 0, "thaw: %s", err.msg);
        CHECK(!cgroup_is_frozen(cg), "still frozen");

        CHECK(cgroup_stats(cg, &stats, &err) == 0, "stats: %s", err.msg);
        CHECK(json_is_integer(
                      json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "total")),
              "stats: no cpu.usage.total");
        json_decref(stats);

        /* A later process updates the devices: the program is replaced, not added. */
        saved = cgroup_to_json(cg);
        CHECK(json_is_string(json_object_get(saved, "path")) &&
                      strcmp(json_string_value(json_object_get(saved, "path")), dir) == 0,
              "saved path");
        CHECK(json_integer_value(json_object_get(saved, "devicesProgramId")) > 0, "no program id saved");
        CHECK(cgroup_load(saved, &cg2, &err) == 0, "load: %s", err.msg);
        json_decref(saved);
        res = parse_json("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                         "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"}]}");
        CHECK(cgroup_update(cg2, res, &err) == 0, "update: %s", err.msg);
        json_decref(res);
        CHECK(attached_programs(dir) == 1, "programs attached after update: %u", attached_programs(dir));
        probe = spawn_device_probe(go[0], zero, true);
        CHECK(probe > 0, "fork");
        CHECK(cgroup_add_pid(cg2, probe, &err) == 0, "add_pid: %s", err.msg);
        CHECK(write(go[1], "x", 1) == 1, "write");
        status = wait_kid(probe);
        CHECK(status == 0, "device probe after update exit %d", status);
        /* The first handle's program id is stale now: the update still
         * replaces ours instead of adding a second program. */
        res = parse_json("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}");
        CHECK(cgroup_update(cg, res, &err) == 0, "update (stale id): %s", err.msg);
        json_decref(res);
        CHECK(attached_programs(dir) == 1, "programs attached after a stale update: %u",
              attached_programs(dir));

        /* kill_all (cgroup.kill) and destroy */
        CHECK(cgroup_kill_all(cg2, SIGKILL, &err) == 0, "kill_all: %s", err.msg);
        status = wait_kid(sleeper);
        CHECK(status == 128 + SIGKILL, "sleeper exit %d", status);
        CHECK(cgroup_destroy(cg2, &err) == 0, "destroy: %s", err.msg);
        CHECK(!path_exists("%s", dir), "%s is left", dir);
        cgroup_free(cg);
        cgroup_free(cg2);

        /* A resource whose controller the hierarchy lacks is refused, naming both. */
        if (!strstr(ctl, "memory")) {
                snprintf(rel, sizeof(rel), "%s-v2/nomem", base);
                cfg.cgroups_path = rel;
                res = parse_json("{\"memory\":{\"limit\":1048576}}");
                CHECK(cgroup_create(&cfg, res, 0, &cg, &err) < 0, "memory limit accepted");
                json_decref(res);
                CHECK(strstr(err.msg,
                             "linux.resources.memory: the memory controller is not available in the cgroup "
                             "v2 hierarchy (cgroup.controllers: ") != NULL,
                      "message: %s", err.msg);
                CHECK(!path_exists("%s%s", mnt, rel), "%s%s is left", mnt, rel);
        }
        /* A user's delegated cgroup: the directory is theirs, the device
         * program is not (loading one needs privilege), and a rootless
         * container goes without it, as with runc and crun. */
        snprintf(dir, sizeof(dir), "%s%s-v2/delegated", mnt, base);
        CHECK(mkdir(dir, 0755) == 0 && chown(dir, 65534, 65534) == 0, "delegate %s: %s", dir,
              strerror(errno));
        snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
        CHECK(chown(file, 65534, 65534) == 0, "chown %s", file);
        snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
        CHECK(chown(file, 65534, 65534) == 0, "chown %s", file);
        /* What a delegating systemd does: the controllers enabled above. */
        want_huge = strstr(ctl, "hugetlb") && path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
        if (want_huge) {
                snprintf(file, sizeof(file), "%s%s-v2/cgroup.subtree_control", mnt, base);
                CHECK(fs_write_existing(file, "+hugetlb", 8, &err) == 0, "%s", err.msg);
        }
        sleeper = fork();
        CHECK(sleeper >= 0, "fork");
        if (sleeper == 0) {
                cgroup_config_t ucfg = {.root = mnt, .rootless = true};
                char urel[160];

                snprintf(urel, sizeof(urel), "%s-v2/delegated/ctr", base);
                ucfg.cgroups_path = urel;
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(10);
                res = parse_json("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
                if (want_huge)
                        json_object_set_new(res, "hugepageLimits",
                                            json_pack("[{s:s,s:i}]", "pageSize", "2MB", "limit", 0));
                if (cgroup_create(&ucfg, res, 0, &cg, &err) < 0) {
                        fprintf(stderr, "rootless create: %s\n", err.msg);
                        _exit(11);
                }
                _exit(cg && cg->bpf_prog_id == 0 && cg->rootless ? 0 : 12);
        }
        status = wait_kid(sleeper);
        CHECK(status == 0, "rootless create in a delegated cgroup: exit %d", status);
        if (want_huge)
                CHECK(strcmp(read_line("%s/ctr/hugetlb.2MB.max", dir), "0") == 0, "delegated hugetlb limit");
        snprintf(file, sizeof(file), "%s/ctr", dir);
        CHECK(rmdir(file) == 0 && rmdir(dir) == 0, "rmdir %s: %s", file, strerror(errno));

        snprintf(dir, sizeof(dir), "%s%s-v2", mnt, base);
        CHECK(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
        close(go[0]);
        close(go[1]);
}

static void test_v2_private_mount(void **state)
{
        char tmp[] = "/tmp/cell-cgroup-v2-XXXXXX";
        pid_t pid;
        int status;

        if (!need_root()) {
                skip();
                return;
        }
        assert_non_null(mkdtemp(tmp));
        /* The rootless case below runs as nobody and must reach the mount. */
        assert_int_equal(chmod(tmp, 0755), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char mnt[PATH_MAX];

                snprintf(mnt, sizeof(mnt), "%s/cg", tmp);
                CHECK(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
                CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s",
                      strerror(errno));
                CHECK(mkdir(mnt, 0755) == 0, "mkdir");
                CHECK(mount("cgroup2", mnt, "cgroup2", 0, NULL) == 0, "mount cgroup2: %s", strerror(errno));
                v2_body(mnt, tmp);
                umount2(mnt, MNT_DETACH);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        /* Whatever the child left (after a failure) is in the host's view of
         * the same hierarchy; teardown removes it. */
        {
                char p[PATH_MAX];

                snprintf(p, sizeof(p), "%s/zero", tmp);
                unlink(p);
                snprintf(p, sizeof(p), "%s/cg", tmp);
                rmdir(p);
                rmdir(tmp);
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_cgroupfs),    cmocka_unit_test(test_path_systemd),
                cmocka_unit_test(test_resources_parse),  cmocka_unit_test(test_bpf_program_logic),
                cmocka_unit_test(test_v1_lifecycle),     cmocka_unit_test(test_v1_kill_frozen),
                cmocka_unit_test(test_v1_destroy_busy),  cmocka_unit_test(test_v1_errors_name_the_field),
                cmocka_unit_test(test_hybrid_unified),   cmocka_unit_test(test_rootless),
                cmocka_unit_test(test_v2_private_mount),
        };

        return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
