/* cell: unit tests for load, save and import (lib/image/transfer.c): the
 * --change parser, and import → save → load round trips between stores in
 * both archive formats. Interop with skopeo, podman and umoci is in
 * tests/system/image_load.bats. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "fsutil.h"
#include "store.h"
#include "strutil.h"
#include "testutil.h"
#include "transfer.h"

static image_store_t *open_store(const char *dir, const char *name)
{
        char *root = str_printf("%s/%s", dir, name);
        image_store_t *s = NULL;
        cell_error_t err = {0};

        assert_non_null(root);
        if (image_store_open(root, &s, &err) < 0)
                fail_msg("open %s: %s", root, err.msg);
        free(root);
        return s;
}

/* A small root file system tar in a memfd: a directory and two files. */
static int rootfs_tar(void)
{
        int fd = memfd_create("rootfs", MFD_CLOEXEC);
        struct archive *a = archive_write_new();
        static const char *names[] = {"etc/", "etc/hostname", "bin/hello"};

        assert_true(fd >= 0);
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        for (size_t i = 0; i < 3; i++) {
                struct archive_entry *e = archive_entry_new();
                bool dir = names[i][strlen(names[i]) - 1] == '/';

                archive_entry_set_pathname(e, names[i]);
                archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
                archive_entry_set_perm(e, 0755);
                archive_entry_set_size(e, dir ? 0 : 6);
                archive_entry_set_mtime(e, 1700000000, 0);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (!dir)
                        assert_int_equal(archive_write_data(a, "hello\n", 6), 6);
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static void test_changes(void **state)
{
        image_run_config_t rc = {0};
        cell_error_t err = {0};
        static const char *good[] = {
                "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]",
                "entrypoint /usr/bin/app --flag",
                "ENV A=1 B=\"two words\"",
                "ENV LEGACY the rest of the line",
                "EXPOSE 80 53/udp 80",
                "LABEL a=b \"c d\"=e",
                "USER 1000:1000",
                "VOLUME [\"/data\", \"/cache\"]",
                "VOLUME /logs",
                "WORKDIR /srv",
                "STOPSIGNAL SIGINT",
        };
        static const struct {
                const char *change, *msg;
        } bad[] = {
                {"RUN echo", "change \"RUN echo\": RUN is not an instruction import can apply"},
                {"CMD", "change \"CMD\": CMD needs an argument"},
                {"EXPOSE 0", "change \"EXPOSE 0\": invalid port \"0\""},
                {"EXPOSE 80/icmp", "invalid port \"80/icmp\""},
                {"LABEL x", "change \"LABEL x\": LABEL needs KEY=VALUE, not \"x\""},
                {"ENV =x", "ENV needs KEY=VALUE, not \"=x\""},
                {"WORKDIR rel", "WORKDIR must be an absolute path"},
                {"LABEL a=\"open", "unterminated quote"},
                {"CMD [\"a\", 1]", "element 1 is not a string"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (image_config_apply_change(&rc, good[i], &err) < 0)
                        fail_msg("%s: %s", good[i], err.msg);
        assert_string_equal(rc.cmd[2], "echo hi");
        assert_string_equal(rc.entrypoint[0], "/bin/sh");
        assert_string_equal(rc.entrypoint[2], "/usr/bin/app --flag");
        assert_int_equal(strv_length(rc.env), 3);
        assert_string_equal(rc.env[1], "B=two words");
        assert_string_equal(rc.env[2], "LEGACY=the rest of the line");
        assert_int_equal(strv_length(rc.exposed_ports), 2);
        assert_string_equal(rc.exposed_ports[0], "53/udp");
        assert_string_equal(rc.exposed_ports[1], "80/tcp");
        assert_int_equal(rc.n_labels, 2);
        assert_string_equal(rc.labels[0].key, "a");
        assert_string_equal(rc.labels[1].key, "c d");
        assert_string_equal(rc.user, "1000:1000");
        assert_int_equal(strv_length(rc.volumes), 3);
        assert_string_equal(rc.volumes[0], "/cache");
        assert_string_equal(rc.working_dir, "/srv");
        assert_string_equal(rc.stop_signal, "SIGINT");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                cell_error_clear(&err);
                assert_true(image_config_apply_change(&rc, bad[i].change, &err) < 0);
                if (!strstr(err.msg, bad[i].msg))
                        fail_msg("%s: got \"%s\", want \"%s\"", bad[i].change, err.msg, bad[i].msg);
        }
        /* the struct is freed the way a config frees it */
        image_config_t *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->config = rc;
        c->diff_ids = calloc(1, sizeof(char *));
        image_config_free(c);
}

/* import into A, save in FORMAT, load into B: the same image id and name. */
static void round_trip(const char *dir, image_save_format_t format, const char *b_name)
{
        image_store_t *a = open_store(dir, "a"), *b = open_store(dir, b_name);
        char id[IMAGE_DIGEST_STR_SIZE];
        char change[] = "CMD [\"/bin/hello\"]", ref[] = "example/rt:1";
        char *const changes[] = {change, NULL};
        char *const refs[] = {ref, NULL};
        image_loaded_t *loaded = NULL;
        image_store_entry_t ea = {0}, eb = {0};
        cell_error_t err = {0};
        size_t n = 0;
        int fd = rootfs_tar(), out = memfd_create("archive", MFD_CLOEXEC);
        char **problems = NULL;
        char prefix[20];

        setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
        if (image_import(a, fd, "example/rt:1", changes, NULL, id, &err) < 0)
                fail_msg("import: %s", err.msg);
        close(fd);
        if (image_save(a, refs, 1, format, out, &err) < 0)
                fail_msg("save: %s", err.msg);
        assert_int_equal(lseek(out, 0, SEEK_SET), 0);
        if (image_load(b, out, NULL, &loaded, &n, &err) < 0)
                fail_msg("load: %s", err.msg);
        close(out);
        assert_int_equal(n, 1);
        assert_string_equal(loaded[0].id, id);
        assert_string_equal(loaded[0].names[0], "docker.io/example/rt:1");
        assert_null(loaded[0].names[1]);
        image_loaded_free(loaded, n);
        assert_int_equal(image_store_lookup(a, "example/rt:1", &ea, &err), 0);
        assert_int_equal(image_store_lookup(b, "example/rt:1", &eb, &err), 0);
        /* OCI keeps the manifest; a docker-archive's is made again the same way. */
        assert_string_equal(ea.digest, eb.digest);
        image_store_entry_clear(&ea);
        image_store_entry_clear(&eb);
        assert_int_equal(image_store_check(b, false, &problems, &err), 0);
        strv_free(problems);
        /* The id resolves too, by a 12-digit prefix. */
        str_copy(prefix, 13, id + 7);
        if (image_store_resolve(b, prefix, &eb, &err) < 0)
                fail_msg("resolve %s: %s", prefix, err.msg);
        assert_string_equal(eb.ref, "docker.io/example/rt:1");
        image_store_entry_clear(&eb);
        image_store_close(a);
        image_store_close(b);
}

static void test_round_trip_docker(void **state)
{
        round_trip(*state, IMAGE_SAVE_DOCKER_ARCHIVE, "b");
}

static void test_round_trip_oci(void **state)
{
        round_trip(*state, IMAGE_SAVE_OCI_ARCHIVE, "c");
}

static void test_untagged_and_tag_override(void **state)
{
        image_store_t *a = open_store(*state, "a"), *b = open_store(*state, "b");
        char id[IMAGE_DIGEST_STR_SIZE], id_refs[IMAGE_DIGEST_STR_SIZE + 8];
        image_loaded_t *loaded = NULL;
        image_store_entry_t *v = NULL;
        cell_error_t err = {0};
        size_t n = 0, nv = 0, unnamed = 0;
        int fd = rootfs_tar(), out = memfd_create("archive", MFD_CLOEXEC);

        if (image_import(a, fd, NULL, NULL, "hand made", id, &err) < 0)
                fail_msg("import: %s", err.msg);
        close(fd);
        assert_int_equal(image_store_list(a, &v, &nv, &err), 0);
        for (size_t i = 0; i < nv; i++)
                if (!v[i].ref && str_eq(v[i].image_id, id))
                        unnamed++;
        assert_int_equal(unnamed, 1);
        image_store_entries_free(v, nv);
        /* Saved by id: no name in the archive; loaded with a tag, it has one. */
        str_copy(id_refs, sizeof(id_refs), id);
        if (image_save(a, (char *const[]){id_refs, NULL}, 1, IMAGE_SAVE_DOCKER_ARCHIVE, out, &err) < 0)
                fail_msg("save: %s", err.msg);
        assert_int_equal(lseek(out, 0, SEEK_SET), 0);
        if (image_load(b, out, "example/named:2", &loaded, &n, &err) < 0)
                fail_msg("load: %s", err.msg);
        assert_int_equal(n, 1);
        assert_string_equal(loaded[0].id, id);
        assert_string_equal(loaded[0].names[0], "docker.io/example/named:2");
        image_loaded_free(loaded, n);
        /* Without the tag: kept under its id. */
        assert_int_equal(lseek(out, 0, SEEK_SET), 0);
        if (image_load(b, out, NULL, &loaded, &n, &err) < 0)
                fail_msg("load: %s", err.msg);
        assert_null(loaded[0].names[0]);
        image_loaded_free(loaded, n);
        close(out);
        image_store_close(a);
        image_store_close(b);
}

static void test_import_refuses_non_tar(void **state)
{
        image_store_t *a = open_store(*state, "a");
        cell_error_t err = {0};
        char id[IMAGE_DIGEST_STR_SIZE];
        int fd = memfd_create("junk", MFD_CLOEXEC);
        char junk[1024];
        char **problems = NULL;

        memset(junk, 'x', sizeof(junk));
        assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_true(image_import(a, fd, "x:1", NULL, NULL, id, &err) < 0);
        assert_non_null(strstr(err.msg, "not a tar archive"));
        close(fd);
        assert_int_equal(image_store_check(a, false, &problems, &err), 0);
        strv_free(problems);
        image_store_close(a);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tu_setup_tmpdir, tu_teardown_tmpdir)
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changes),    T(test_round_trip_docker),      T(test_round_trip_oci),
                T(test_untagged_and_tag_override), T(test_import_refuses_non_tar),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
