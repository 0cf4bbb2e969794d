/* cell: unit tests for overlay snapshots and diffs (lib/storage/snapshot.c).
 *
 * Real overlay mounts, made in a private mount namespace of a forked child
 * so that nothing reaches the host's mount table even when a test fails;
 * the child reports through its exit status. Needs root (overlay, mounts). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "snapshot.h"

static char tmp[PATH_MAX];

static void put_file(const char *path, const char *content)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

#define p tu_path

static int setup(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                print_message("skipped: overlay mounts need root\n");
                return 0;
        }
        snprintf(tmp, sizeof(tmp), "/var/tmp/cell-snapshot-test.XXXXXX");
        assert_non_null(mkdtemp(tmp));
        return 0;
}

static int teardown(void **state)
{
        char cmd[PATH_MAX + 16];

        (void)state;
        if (tmp[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
                if (system(cmd) != 0)
                        print_message("could not remove %s\n", tmp);
        }
        tmp[0] = '\0';
        return 0;
}

/* Run fn in a child with a private mount namespace; its exit status is the
 * result (0 = pass, else the failing check's line). */
static void in_private_mounts(int (*fn)(void))
{
        pid_t pid;
        int status = 0;

        if (geteuid() != 0)
                skip();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(200);
                _exit(fn());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
                print_message("child failed at line %d\n", WEXITSTATUS(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

#define CHECK(cond)                                                                                          \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        fprintf(stderr, "check failed: %s\n", #cond);                                        \
                        return __LINE__ % 250 + 1;                                                           \
                }                                                                                            \
        } while (0)

static bool file_is(const char *path, const char *want)
{
        char buf[256] = "";
        FILE *f = fopen(path, "r");
        size_t n;

        if (!f)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strcmp(buf, want) == 0;
}

/* Three layers, a writable upper: the merged view, then changes that land in
 * the upper directory as overlayfs writes them, then the diff. */
static int three_layers(void)
{
        const char *layers[3];
        snapshot_overlay_t o = {0};
        cell_error_t err = {0};
        json_t *diff = NULL;
        char *s;

        for (int i = 0; i < 3; i++) {
                CHECK(mkdir(p("%s/l%d", tmp, i), 0755) == 0);
                layers[i] = strdup(p("%s/l%d", tmp, i));
        }
        CHECK(mkdir(p("%s/l0/etc", tmp), 0755) == 0);
        put_file(p("%s/l0/etc/base", tmp), "base\n");
        put_file(p("%s/l0/etc/gone", tmp), "gone\n");
        put_file(p("%s/l1/top", tmp), "l1\n");
        put_file(p("%s/l2/top", tmp), "l2\n");
        CHECK(mkdir(p("%s/l2/opq", tmp), 0755) == 0);
        CHECK(mkdir(p("%s/l1/opq", tmp), 0755) == 0);
        put_file(p("%s/l1/opq/hidden", tmp), "x\n");
        CHECK(setxattr(p("%s/l2/opq", tmp), "trusted.overlay.opaque", "y", 1, 0) == 0);
        for (const char *d = "upper\0work\0merged\0"; *d; d += strlen(d) + 1)
                CHECK(mkdir(p("%s/%s", tmp, d), 0755) == 0);

        o.layers = layers;
        o.n_layers = 3;
        o.upper = strdup(p("%s/upper", tmp));
        o.work = strdup(p("%s/work", tmp));
        if (snapshot_mount(&o, p("%s/merged", tmp), &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 100;
        }
        CHECK(file_is(p("%s/merged/top", tmp), "l2\n"));         /* the top layer wins */
        CHECK(file_is(p("%s/merged/etc/base", tmp), "base\n"));  /* from the bottom one */
        CHECK(access(p("%s/merged/opq/hidden", tmp), F_OK) < 0); /* opaque in l2 */

        put_file(p("%s/merged/etc/new", tmp), "new\n");
        put_file(p("%s/merged/etc/base", tmp), "changed\n");
        CHECK(unlink(p("%s/merged/etc/gone", tmp)) == 0);
        CHECK(file_is(p("%s/upper/etc/new", tmp), "new\n"));
        CHECK(umount2(p("%s/merged", tmp), 0) == 0);

        if (snapshot_diff(o.upper, layers, 3, &diff, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 101;
        }
        s = json_dumps(diff, JSON_COMPACT);
        fprintf(stderr, "diff: %s\n", s);
        CHECK(strcmp(s, "[{\"Path\":\"/etc\",\"Kind\":0},{\"Path\":\"/etc/base\",\"Kind\":0},"
                        "{\"Path\":\"/etc/gone\",\"Kind\":2},{\"Path\":\"/etc/new\",\"Kind\":1}]") == 0);
        free(s);
        json_decref(diff);
        return 0;
}

static void test_three_layers_and_diff(void **state)
{
        (void)state;
        in_private_mounts(three_layers);
}

/* More layers, with longer paths, than a page of mount options holds. */
static int many_layers(void)
{
        enum { N = 300 };
        const char **layers = calloc(N, sizeof(*layers));
        snapshot_overlay_t o = {0};
        cell_error_t err = {0};
        size_t total = 0;

        CHECK(layers != NULL);
        for (int i = 0; i < N; i++) {
                char *d =
                        strdup(p("%s/layer-with-a-rather-long-name-to-use-up-the-option-page-%04d", tmp, i));

                if (!d)
                        return 99;
                CHECK(mkdir(d, 0755) == 0);
                put_file(p("%s/f%d", d, i), "x");
                layers[i] = d;
                total += strlen(d) + 1;
        }
        CHECK(total > 4096 * 4);
        CHECK(mkdir(p("%s/merged", tmp), 0755) == 0);
        o.layers = layers;
        o.n_layers = N;
        if (snapshot_mount(&o, p("%s/merged", tmp), &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 100;
        }
        CHECK(access(p("%s/merged/f0", tmp), F_OK) == 0);
        CHECK(access(p("%s/merged/f299", tmp), F_OK) == 0);
        /* Read-only without an upper directory. */
        CHECK(open(p("%s/merged/new", tmp), O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
        CHECK(umount2(p("%s/merged", tmp), 0) == 0);
        return 0;
}

static void test_many_layers(void **state)
{
        (void)state;
        in_private_mounts(many_layers);
}

/* A layer that is not there: the error names it and the kernel's reason. */
static int missing_layer(void)
{
        const char *layers[2];
        snapshot_overlay_t o = {0};
        cell_error_t err = {0};

        CHECK(mkdir(p("%s/a", tmp), 0755) == 0);
        CHECK(mkdir(p("%s/merged", tmp), 0755) == 0);
        layers[0] = strdup(p("%s/a", tmp));
        layers[1] = strdup(p("%s/does-not-exist", tmp));
        o.layers = layers;
        o.n_layers = 2;
        CHECK(snapshot_mount(&o, p("%s/merged", tmp), &err) < 0);
        fprintf(stderr, "error: %s\n", err.msg);
        CHECK(strstr(err.msg, "layer 1") != NULL);
        CHECK(strstr(err.msg, "does-not-exist") != NULL);
        return 0;
}

static void test_missing_layer(void **state)
{
        (void)state;
        in_private_mounts(missing_layer);
}

/* A whiteout made by hand (as a layer tar's .wh. entry becomes) is a deletion. */
static int diff_whiteout(void)
{
        const char *layers[1];
        cell_error_t err = {0};
        json_t *diff = NULL;
        char *s;

        CHECK(mkdir(p("%s/l0", tmp), 0755) == 0);
        CHECK(mkdir(p("%s/up", tmp), 0755) == 0);
        put_file(p("%s/l0/a", tmp), "a");
        CHECK(mknod(p("%s/up/a", tmp), S_IFCHR | 0000, makedev(0, 0)) == 0);
        put_file(p("%s/up/b", tmp), "b");
        layers[0] = strdup(p("%s/l0", tmp));
        CHECK(snapshot_diff(p("%s/up", tmp), layers, 1, &diff, &err) == 0);
        s = json_dumps(diff, JSON_COMPACT);
        fprintf(stderr, "diff: %s\n", s);
        CHECK(strcmp(s, "[{\"Path\":\"/a\",\"Kind\":2},{\"Path\":\"/b\",\"Kind\":1}]") == 0);
        free(s);
        json_decref(diff);
        return 0;
}

static void test_diff_whiteout(void **state)
{
        (void)state;
        in_private_mounts(diff_whiteout);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_three_layers_and_diff, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_layer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_diff_whiteout, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
