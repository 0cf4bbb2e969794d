/* cell: unit tests for the image archive reader (lib/image/imgarchive.c).
 *
 * Archives written by skopeo (docker-archive and oci-archive, plain, gzip
 * and zstd) must enumerate to their images with every member handed to the
 * callback once; archives that lack a member, name one twice, or point
 * outside themselves must be refused with an error naming the member, since
 * `cell load` reads them from whoever sent them. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "cleanup.h"
#include "imgarchive.h"
#include "strutil.h"

#define CONFIG_HEX    "3afb39904d20622798d916d600c51ee8a201ab6595c6952b333f12f89e36e5fd"
#define CONFIG_DIGEST "sha256:" CONFIG_HEX
#define DIFF0         "22ddbb23bf2f4358dd9e6a6811abfe93dba3010bced8432a85f06e6f7170a3cd"

static int open_data(const char *name)
{
        const char *dir = getenv("CELL_TEST_DATA");
        _cleanup_free_ char *path = str_printf("%s/image/%s", dir ? dir : "tests/unit/data", name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                fail_msg("cannot open %s", path);
        return fd;
}

typedef struct seen {
        size_t n;
        size_t n_with_digest;
        size_t n_digest_ok;
        bool saw_manifest_json;
        int fail_on; /* fail at the member with this index, or -1 */
} seen_t;

static int on_member(const char *path, const char *digest, int64_t size, image_archive_read_fn read,
                     void *ctx, void *userdata, cell_error_t *err)
{
        seen_t *s = userdata;
        _cleanup_free_ char *buf = malloc((size_t)size + 1);
        size_t got = 0;
        char d[IMAGE_DIGEST_LEN + 1];

        assert_non_null(buf);
        if (s->fail_on >= 0 && (size_t)s->fail_on == s->n)
                return cell_error_set(err, ENOSPC, "storing %s", path);
        s->n++;
        if (strcmp(path, "manifest.json") == 0)
                s->saw_manifest_json = true;
        /* Read in small pieces, as a store would through a buffer. */
        for (;;) {
                ssize_t r = read(ctx, buf + got, 7, err);

                assert_true(r >= 0);
                if (r == 0)
                        break;
                got += (size_t)r;
                assert_true(got <= (size_t)size);
        }
        assert_int_equal(got, (size_t)size);
        if (digest) {
                s->n_with_digest++;
                assert_int_equal(image_config_digest_of(buf, got, d), 0);
                if (strcmp(d, digest) == 0)
                        s->n_digest_ok++;
        }
        return 0;
}

static void check_docker(const char *file)
{
        int fd = open_data(file);
        cell_error_t err = {0};
        seen_t s = {.fail_on = -1};
        image_archive_t *a = image_archive_read(fd, on_member, &s, NULL, &err);
        const image_archive_image_t *im;

        close(fd);
        if (!a)
                fail_msg("%s: %s", file, err.msg);
        assert_int_equal(a->format, IMAGE_ARCHIVE_DOCKER);
        assert_int_equal(a->n_images, 1);
        im = &a->images[0];
        assert_string_equal(im->repo_tags[0], "docker.io/cell/test:1");
        assert_null(im->repo_tags[1]);
        assert_string_equal(im->config_digest, CONFIG_DIGEST);
        assert_string_equal(im->config_path, CONFIG_HEX ".json");
        assert_int_equal(im->config->n_diff_ids, 2);
        assert_null(im->manifest);
        assert_int_equal(im->n_layers, 2);
        assert_string_equal(im->layers[0].path, DIFF0 ".tar");
        assert_int_equal(im->layers[0].size, 518);
        /* 2 layer tars, the config, manifest.json, repositories, and the
         * VERSION and json of the two legacy layer directories; the two
         * layer.tar symlinks are not members of their own. */
        assert_int_equal(s.n, 9);
        assert_true(s.saw_manifest_json);
        /* <hex>.tar and <hex>.json are named by their content's digest. */
        assert_int_equal(s.n_with_digest, 3);
        assert_int_equal(s.n_digest_ok, 3);
        image_archive_free(a);
}

static void test_skopeo_docker_archive(void **state)
{
        (void)state;
        check_docker("skopeo-docker-archive.tar");
        check_docker("skopeo-docker-archive.tar.gz");
}

static void check_oci(const char *file)
{
        int fd = open_data(file);
        cell_error_t err = {0};
        seen_t s = {.fail_on = -1};
        image_archive_t *a = image_archive_read(fd, on_member, &s, NULL, &err);
        const image_archive_image_t *im;

        close(fd);
        if (!a)
                fail_msg("%s: %s", file, err.msg);
        assert_int_equal(a->format, IMAGE_ARCHIVE_OCI);
        assert_int_equal(a->n_images, 1);
        im = &a->images[0];
        assert_string_equal(im->repo_tags[0], "t");
        assert_string_equal(im->config_digest, CONFIG_DIGEST);
        assert_string_equal(im->manifest_path,
                            "blobs/sha256/334f53752fc0b698067fee9adf376e580208eb0b24ae68c32721b244078f1e94");
        assert_int_equal(im->manifest->n_layers, 2);
        assert_int_equal(im->n_layers, 2);
        assert_int_equal(im->layers[1].media_type, IMAGE_MT_OCI_LAYER_GZIP);
        assert_int_equal(im->layers[1].size, 99);
        assert_int_equal(s.n, 6);
        assert_int_equal(s.n_with_digest, 4);
        assert_int_equal(s.n_digest_ok, 4);
        image_archive_free(a);
}

static void test_skopeo_oci_archive(void **state)
{
        (void)state;
        check_oci("skopeo-oci-archive.tar");
        check_oci("skopeo-oci-archive.tar.zst");
}

/* ---- crafted archives ---- */

typedef struct m {
        const char *name;
        const char *content; /* NULL with link: a symlink */
        const char *link;
} m_t;

/* A tar of MEMBERS in a temporary file, opened for reading. */
static int make_tar(const m_t *members, size_t n)
{
        char path[] = "/tmp/cell-test-imgarchive-XXXXXX";
        int fd = mkstemp(path);
        struct archive *a = archive_write_new();

        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_pathname(e, members[i].name);
                if (members[i].link) {
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, members[i].link);
                        archive_entry_set_perm(e, 0777);
                        archive_entry_set_size(e, 0);
                } else {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_perm(e, 0644);
                        archive_entry_set_size(e, (la_int64_t)strlen(members[i].content));
                }
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (!members[i].link)
                        assert_int_equal(
                                archive_write_data(a, members[i].content, strlen(members[i].content)),
                                (la_ssize_t)strlen(members[i].content));
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static void refused(const m_t *members, size_t n, const char *want)
{
        int fd = make_tar(members, n);
        cell_error_t err = {0};
        image_archive_t *a = image_archive_read(fd, NULL, NULL, NULL, &err);

        close(fd);
        if (a)
                fail_msg("archive accepted, wanted: %s", want);
        if (!strstr(err.msg, want))
                fail_msg("\n got  %s\n want %s", err.msg, want);
}

#define CFG1                                                                                                 \
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["        \
        "\"sha256:" DIFF0 "\"]}}"
/* CFG1 with one byte changed: same size, another digest. */
#define CFG1_ARM                                                                                             \
        "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["        \
        "\"sha256:" DIFF0 "\"]}}"
#define MJ(layers) "[{\"Config\":\"c.json\",\"RepoTags\":[\"a:b\"],\"Layers\":" layers "}]"

static void test_docker_symlinked_layer(void **state)
{
        /* docker-archive writers link legacy layer paths to the real tar. */
        const m_t ok[] = {
                {"c.json", CFG1, NULL},
                {"./blobs/sha256/x", "layer bytes", NULL},
                {"id/layer.tar", NULL, "../blobs/sha256/x"},
                {"manifest.json", MJ("[\"id/layer.tar\"]"), NULL},
        };
        int fd = make_tar(ok, ARRAY_SIZE(ok));
        cell_error_t err = {0};
        image_archive_t *a = image_archive_read(fd, NULL, NULL, NULL, &err);

        (void)state;
        close(fd);
        if (!a)
                fail_msg("%s", err.msg);
        assert_string_equal(a->images[0].layers[0].path, "blobs/sha256/x");
        assert_int_equal(a->images[0].layers[0].size, 11);
        assert_string_equal(a->images[0].repo_tags[0], "a:b");
        image_archive_free(a);
}

static void test_docker_refusals(void **state)
{
        const m_t missing_layer[] = {{"c.json", CFG1, NULL}, {"manifest.json", MJ("[\"nope.tar\"]"), NULL}};
        const m_t missing_config[] = {{"l.tar", "x", NULL}, {"manifest.json", MJ("[\"l.tar\"]"), NULL}};
        const m_t count[] = {{"c.json", CFG1, NULL},
                             {"l.tar", "x", NULL},
                             {"manifest.json", MJ("[\"l.tar\",\"l.tar\"]"), NULL}};
        const m_t twice[] = {{"c.json", CFG1, NULL},
                             {"l.tar", "x", NULL},
                             {"./l.tar", "y", NULL},
                             {"manifest.json", MJ("[\"l.tar\"]"), NULL}};
        const m_t outside[] = {{"../l.tar", "x", NULL}};
        const m_t link_out[] = {{"l.tar", NULL, "../../etc/passwd"}};
        const m_t loop[] = {{"c.json", CFG1, NULL},
                            {"a", NULL, "b"},
                            {"b", NULL, "a"},
                            {"manifest.json", MJ("[\"a\"]"), NULL}};
        const m_t escape_name[] = {{"c.json", CFG1, NULL},
                                   {"manifest.json", MJ("[\"../../etc/passwd\"]"), NULL}};
        const m_t not_json[] = {{"c.json", "not json", NULL},
                                {"l.tar", "x", NULL},
                                {"manifest.json", MJ("[\"l.tar\"]"), NULL}};
        const m_t bad_config[] = {{"c.json", "{\"os\":\"linux\"}", NULL},
                                  {"l.tar", "x", NULL},
                                  {"manifest.json", MJ("[\"l.tar\"]"), NULL}};
        const m_t no_layers[] = {{"c.json", CFG1, NULL},
                                 {"manifest.json", "[{\"Config\":\"c.json\"}]", NULL}};
        const m_t mj_object[] = {{"manifest.json", "{}", NULL}};
        const m_t nothing[] = {{"hello", "world", NULL}};

        (void)state;
        refused(missing_layer, ARRAY_SIZE(missing_layer),
                "archive: manifest.json[0].Layers[0]: no member \"nope.tar\" in the archive");
        refused(missing_config, ARRAY_SIZE(missing_config),
                "archive: manifest.json[0].Config: no member \"c.json\" in the archive");
        refused(count, ARRAY_SIZE(count),
                "archive: manifest.json[0]: 2 layers, but the config (c.json) has 1 diff_ids");
        refused(twice, ARRAY_SIZE(twice), "archive: member \"l.tar\" appears twice");
        refused(outside, ARRAY_SIZE(outside), "archive: member \"../l.tar\": a path outside the archive");
        refused(link_out, ARRAY_SIZE(link_out), "archive: member \"l.tar\": a link outside the archive");
        refused(loop, ARRAY_SIZE(loop), "archive: manifest.json[0].Layers[0]: too many links from \"a\"");
        refused(escape_name, ARRAY_SIZE(escape_name),
                "manifest.json[0].Layers[0]: no member \"../../etc/passwd\"");
        refused(not_json, ARRAY_SIZE(not_json), "manifest.json[0].Config: \"c.json\" is not a JSON document");
        refused(bad_config, ARRAY_SIZE(bad_config),
                "archive: c.json: config.architecture: expected a string (it is required)");
        refused(no_layers, ARRAY_SIZE(no_layers),
                "archive: manifest.json[0].Layers: expected an array (it is required)");
        refused(mj_object, ARRAY_SIZE(mj_object), "archive: manifest.json: expected an array");
        refused(nothing, ARRAY_SIZE(nothing),
                "archive: neither manifest.json (docker-archive) nor index.json");
}

/* An OCI layout whose index points at MANIFEST (and the blobs given). */
static void test_oci_refusals(void **state)
{
        char cfg_d[IMAGE_DIGEST_LEN + 1], man_d[IMAGE_DIGEST_LEN + 1];
        _cleanup_free_ char *man = NULL, *index = NULL, *cfg_path = NULL, *man_path = NULL, *index_bad = NULL;
        const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";

        (void)state;
        assert_int_equal(image_config_digest_of(CFG1, strlen(CFG1), cfg_d), 0);
        man = str_printf(
                "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
                "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" DIFF0 "\",\"size\":5}]}",
                cfg_d, strlen(CFG1));
        assert_int_equal(image_config_digest_of(man, strlen(man), man_d), 0);
        index = str_printf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                           "vnd.oci.image.manifest.v1+json\","
                           "\"digest\":\"%s\",\"size\":%zu}]}",
                           man_d, strlen(man));
        index_bad = str_printf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                               "vnd.oci.image.manifest.v1+json\","
                               "\"digest\":\"%s\",\"size\":%zu}]}",
                               man_d, strlen(man) + 1);
        cfg_path = str_printf("blobs/sha256/%s", cfg_d + 7);
        man_path = str_printf("blobs/sha256/%s", man_d + 7);
        {
                const m_t ok[] = {{"oci-layout", layout, NULL},
                                  {"index.json", index, NULL},
                                  {man_path, man, NULL},
                                  {cfg_path, CFG1, NULL},
                                  {"blobs/sha256/" DIFF0, "12345", NULL}};
                int fd = make_tar(ok, ARRAY_SIZE(ok));
                cell_error_t err = {0};
                image_archive_t *a = image_archive_read(fd, NULL, NULL, NULL, &err);

                close(fd);
                if (!a)
                        fail_msg("%s", err.msg);
                assert_null(a->images[0].repo_tags[0]);
                image_archive_free(a);
        }
        {
                const m_t no_layer[] = {{"oci-layout", layout, NULL},
                                        {"index.json", index, NULL},
                                        {man_path, man, NULL},
                                        {cfg_path, CFG1, NULL}};
                const m_t short_layer[] = {{"oci-layout", layout, NULL},
                                           {"index.json", index, NULL},
                                           {man_path, man, NULL},
                                           {cfg_path, CFG1, NULL},
                                           {"blobs/sha256/" DIFF0, "1234", NULL}};
                const m_t wrong_content[] = {{"oci-layout", layout, NULL},
                                             {"index.json", index, NULL},
                                             {man_path, man, NULL},
                                             {cfg_path, CFG1_ARM, NULL}};
                const m_t wrong_size[] = {
                        {"oci-layout", layout, NULL}, {"index.json", index_bad, NULL}, {man_path, man, NULL}};
                const m_t no_layout[] = {{"index.json", index, NULL}};
                const m_t layout_v2[] = {{"oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}", NULL},
                                         {"index.json", index, NULL}};
                const m_t no_index[] = {{"oci-layout", layout, NULL}};
                const m_t bad_index[] = {{"oci-layout", layout, NULL},
                                         {"index.json", "{\"schemaVersion\":2,\"manifests\":{}}", NULL}};

                refused(no_layer, ARRAY_SIZE(no_layer),
                        "layers[0]: no member \"blobs/sha256/" DIFF0 "\" in the archive");
                refused(short_layer, ARRAY_SIZE(short_layer), "has 4 bytes, the descriptor says 5");
                refused(wrong_content, ARRAY_SIZE(wrong_content), "config: the content of blobs/sha256/");
                refused(wrong_size, ARRAY_SIZE(wrong_size),
                        "archive: index.json.manifests[0]: blobs/sha256/");
                refused(no_layout, ARRAY_SIZE(no_layout),
                        "archive: oci-layout: no member \"oci-layout\" in the archive");
                refused(layout_v2, ARRAY_SIZE(layout_v2),
                        "archive: oci-layout: imageLayoutVersion 2.0.0 is not supported");
                refused(no_index, ARRAY_SIZE(no_index),
                        "archive: index.json: no member \"index.json\" in the archive");
                refused(bad_index, ARRAY_SIZE(bad_index),
                        "archive: index.json: index.manifests: expected an array");
        }
}

static char *digest_of(const char *s)
{
        char d[IMAGE_DIGEST_LEN + 1];

        assert_int_equal(image_config_digest_of(s, strlen(s), d), 0);
        return strdup(d);
}

#define OCI_MANIFEST_FMT                                                                                     \
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","       \
        "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"                                        \
        "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" DIFF0 "\",\"size\":5}]}"

/* A multi-platform image in an OCI layout: index.json -> an index blob ->
 * one manifest per platform; the one for the platform asked for is taken. */
static void test_oci_nested_index(void **state)
{
        _cleanup_free_ char *cfg_d = digest_of(CFG1), *cfg_arm_d = digest_of(CFG1_ARM);
        _cleanup_free_ char *man_amd = str_printf(OCI_MANIFEST_FMT, cfg_d, strlen(CFG1));
        _cleanup_free_ char *man_arm = str_printf(OCI_MANIFEST_FMT, cfg_arm_d, strlen(CFG1_ARM));
        _cleanup_free_ char *amd_d = digest_of(man_amd), *arm_d = digest_of(man_arm);
        _cleanup_free_ char *inner =
                str_printf("{\"schemaVersion\":2,\"mediaType\":\"application/"
                           "vnd.oci.image.index.v1+json\",\"manifests\":["
                           "{\"mediaType\":\"application/"
                           "vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
                           "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
                           "{\"mediaType\":\"application/"
                           "vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
                           "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
                           amd_d, strlen(man_amd), arm_d, strlen(man_arm));
        _cleanup_free_ char *inner_d = digest_of(inner);
        _cleanup_free_ char *index =
                str_printf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                           "vnd.oci.image.index.v1+json\","
                           "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"io.containerd.image.name\":"
                           "\"docker.io/library/multi:1\",\"org.opencontainers.image.ref.name\":\"1\"}}]}",
                           inner_d, strlen(inner));
        _cleanup_free_ char *p_cfg = str_printf("blobs/sha256/%s", cfg_d + 7);
        _cleanup_free_ char *p_cfg_arm = str_printf("blobs/sha256/%s", cfg_arm_d + 7);
        _cleanup_free_ char *p_amd = str_printf("blobs/sha256/%s", amd_d + 7);
        _cleanup_free_ char *p_arm = str_printf("blobs/sha256/%s", arm_d + 7);
        _cleanup_free_ char *p_inner = str_printf("blobs/sha256/%s", inner_d + 7);
        const m_t members[] = {
                {"oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", NULL},
                {"index.json", index, NULL},
                {p_inner, inner, NULL},
                {p_amd, man_amd, NULL},
                {p_arm, man_arm, NULL},
                {p_cfg, CFG1, NULL},
                {p_cfg_arm, CFG1_ARM, NULL},
                {"blobs/sha256/" DIFF0, "12345", NULL},
        };
        const char *platforms[] = {"linux/amd64", "linux/arm64"};
        const char *want_arch[] = {"amd64", "arm64"};

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(platforms); i++) {
                image_platform_t p = {0};
                cell_error_t err = {0};
                int fd = make_tar(members, ARRAY_SIZE(members));
                image_archive_t *a;

                assert_int_equal(image_platform_parse(platforms[i], &p, &err), 0);
                a = image_archive_read(fd, NULL, NULL, &p, &err);
                close(fd);
                if (!a)
                        fail_msg("%s: %s", platforms[i], err.msg);
                assert_int_equal(a->n_images, 1);
                /* The containerd name wins over the bare tag. */
                assert_string_equal(a->images[0].repo_tags[0], "docker.io/library/multi:1");
                assert_string_equal(a->images[0].config->architecture, want_arch[i]);
                assert_string_equal(a->images[0].manifest_path, i == 0 ? p_amd : p_arm);
                image_archive_free(a);
                image_platform_free(&p);
        }
        {
                image_platform_t p = {0};
                cell_error_t err = {0};
                int fd = make_tar(members, ARRAY_SIZE(members));

                assert_int_equal(image_platform_parse("linux/s390x", &p, &err), 0);
                assert_null(image_archive_read(fd, NULL, NULL, &p, &err));
                close(fd);
                assert_non_null(strstr(err.msg,
                                       "no manifest for linux/s390x in the index (it has: linux/amd64, "
                                       "linux/arm64)"));
                image_platform_free(&p);
        }
}

/* Docker 25 and later: manifest.json beside an OCI layout, layers under
 * blobs/sha256/; manifest.json is what is read. */
static void test_docker25_layout(void **state)
{
        _cleanup_free_ char *cfg_d = digest_of(CFG1);
        _cleanup_free_ char *p_cfg = str_printf("blobs/sha256/%s", cfg_d + 7);
        _cleanup_free_ char *mj =
                str_printf("[{\"Config\":\"%s\",\"RepoTags\":[\"busybox:latest\"],\"Layers\":"
                           "[\"blobs/sha256/" DIFF0 "\"]}]",
                           p_cfg);
        const m_t members[] = {
                {"blobs/sha256/" DIFF0, "12345", NULL},
                {p_cfg, CFG1, NULL},
                {"index.json", "{\"schemaVersion\":2,\"manifests\":[]}", NULL},
                {"manifest.json", mj, NULL},
                {"oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", NULL},
        };
        int fd = make_tar(members, ARRAY_SIZE(members));
        cell_error_t err = {0};
        image_archive_t *a = image_archive_read(fd, NULL, NULL, NULL, &err);

        (void)state;
        close(fd);
        if (!a)
                fail_msg("%s", err.msg);
        assert_int_equal(a->format, IMAGE_ARCHIVE_DOCKER);
        assert_string_equal(a->images[0].repo_tags[0], "busybox:latest");
        assert_string_equal(a->images[0].config_digest, cfg_d);
        assert_string_equal(a->images[0].layers[0].path, "blobs/sha256/" DIFF0);
        image_archive_free(a);
}

static void test_callback_error_stops(void **state)
{
        int fd = open_data("skopeo-oci-archive.tar");
        cell_error_t err = {0};
        seen_t s = {.fail_on = 2};
        image_archive_t *a = image_archive_read(fd, on_member, &s, NULL, &err);

        (void)state;
        close(fd);
        assert_null(a);
        assert_int_equal(s.n, 2);
        assert_non_null(strstr(err.msg, "storing blobs/sha256/"));
        assert_int_equal(err.code, ENOSPC);
}

static void test_not_a_tar(void **state)
{
        char path[] = "/tmp/cell-test-imgarchive-XXXXXX";
        int fd = mkstemp(path);
        cell_error_t err = {0};

        (void)state;
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, "this is not a tar archive at all\n", 33), 33);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_null(image_archive_read(fd, NULL, NULL, NULL, &err));
        assert_true(str_has_prefix(err.msg, "archive: "));
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_skopeo_docker_archive),
                cmocka_unit_test(test_skopeo_oci_archive),
                cmocka_unit_test(test_docker_symlinked_layer),
                cmocka_unit_test(test_docker_refusals),
                cmocka_unit_test(test_oci_refusals),
                cmocka_unit_test(test_callback_error_stops),
                cmocka_unit_test(test_not_a_tar),
                cmocka_unit_test(test_oci_nested_index),
                cmocka_unit_test(test_docker25_layout),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
