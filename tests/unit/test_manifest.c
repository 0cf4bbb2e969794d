/* cell: unit tests for manifests and indexes (lib/image/manifest.c).
 *
 * Real documents (tests/unit/data/image/, see its README) must come out as
 * the typed structs the store and the puller trust; every malformed one must
 * be refused with a message naming the field, since that message is all a
 * user gets when a registry or an archive hands over something broken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "manifest.h"
#include "strutil.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG  "sha256:" D64

static char *read_data(const char *name, size_t *ret_len)
{
        const char *dir = getenv("CELL_TEST_DATA");
        _cleanup_free_ char *path = str_printf("%s/image/%s", dir ? dir : "tests/unit/data", name);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf;
        long n;

        if (!f)
                fail_msg("cannot open %s", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        *ret_len = (size_t)n;
        return buf;
}

/* ---- media types and digests ---- */

static void test_media_types(void **state)
{
        image_compression_t c;

        (void)state;
        for (int t = IMAGE_MT_OTHER + 1; t < IMAGE_MT__MAX; t++)
                assert_int_equal(image_media_type_from_string(image_media_type_string((image_media_type_t)t)),
                                 t);
        assert_int_equal(image_media_type_from_string("application/x-nothing"), IMAGE_MT_OTHER);
        assert_int_equal(image_media_type_from_string(NULL), IMAGE_MT_NONE);
        assert_null(image_media_type_string(IMAGE_MT_OTHER));

        assert_int_equal(image_media_type_compression(IMAGE_MT_OCI_LAYER_TAR, &c), 0);
        assert_int_equal(c, IMAGE_COMPRESSION_NONE);
        assert_int_equal(image_media_type_compression(IMAGE_MT_OCI_LAYER_ND_ZSTD, &c), 0);
        assert_int_equal(c, IMAGE_COMPRESSION_ZSTD);
        assert_int_equal(image_media_type_compression(IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP, &c), 0);
        assert_int_equal(c, IMAGE_COMPRESSION_GZIP);
        assert_true(image_media_type_compression(IMAGE_MT_OCI_CONFIG, &c) < 0);
        assert_true(image_media_type_is_layer(IMAGE_MT_DOCKER_LAYER_GZIP));
        assert_false(image_media_type_is_layer(IMAGE_MT_OTHER));
        assert_true(image_media_type_is_nondistributable(IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP));
        assert_true(image_media_type_is_nondistributable(IMAGE_MT_OCI_LAYER_ND_GZIP));
        assert_false(image_media_type_is_nondistributable(IMAGE_MT_OCI_LAYER_GZIP));
}

static void test_digests(void **state)
{
        (void)state;
        assert_true(image_descriptor_digest_valid(DG));
        assert_false(image_descriptor_digest_valid("sha256:" D64 "0"));
        assert_false(image_descriptor_digest_valid(
                "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(image_descriptor_digest_valid("sha512:" D64));
        assert_false(image_descriptor_digest_valid(D64));
        assert_false(image_descriptor_digest_valid(
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"));
        assert_false(image_descriptor_digest_valid(NULL));
}

/* ---- real documents ---- */

static void test_oci_manifest_from_umoci(void **state)
{
        size_t len;
        _cleanup_free_ char *doc = read_data("oci-manifest.json", &len);
        cell_error_t err = {0};
        image_manifest_t *m = image_manifest_parse(doc, len, NULL, &err);
        image_doc_kind_t kind;

        (void)state;
        if (!m)
                fail_msg("%s", err.msg);
        assert_int_equal(m->kind, IMAGE_DOC_OCI_MANIFEST);
        assert_false(m->media_type_present); /* umoci leaves it out, as OCI allows */
        assert_int_equal(m->config.media_type, IMAGE_MT_OCI_CONFIG);
        assert_string_equal(m->config.digest,
                            "sha256:3afb39904d20622798d916d600c51ee8a201ab6595c6952b333f12f89e36e5fd");
        assert_int_equal(m->config.size, 684);
        assert_int_equal(m->n_layers, 2);
        assert_int_equal(m->layers[1].media_type, IMAGE_MT_OCI_LAYER_GZIP);
        assert_int_equal(m->layers[1].size, 99);
        assert_null(m->subject);
        assert_int_equal(image_doc_detect(doc, len, NULL, &kind, &err), 0);
        assert_int_equal(kind, IMAGE_DOC_OCI_MANIFEST);
        /* The descriptor that pointed at it agrees. */
        image_manifest_free(m);
        m = image_manifest_parse(doc, len, "application/vnd.oci.image.manifest.v1+json", &err);
        assert_non_null(m);
        image_manifest_free(m);
        /* A registry that calls it a Docker manifest is lying about something. */
        m = image_manifest_parse(doc, len, "application/vnd.docker.distribution.manifest.v2+json", &err);
        assert_null(m);
        assert_non_null(strstr(err.msg, "is an OCI image manifest but was announced as"));
}

static void test_docker_manifest_from_skopeo(void **state)
{
        size_t len;
        _cleanup_free_ char *doc = read_data("docker-manifest.json", &len);
        cell_error_t err = {0};
        image_manifest_t *m = image_manifest_parse(doc, len, "application/json", &err);

        (void)state;
        if (!m)
                fail_msg("%s", err.msg);
        assert_int_equal(m->kind, IMAGE_DOC_DOCKER_MANIFEST);
        assert_int_equal(m->config.media_type, IMAGE_MT_DOCKER_CONFIG);
        assert_int_equal(m->n_layers, 2);
        assert_int_equal(m->layers[0].media_type, IMAGE_MT_DOCKER_LAYER_GZIP);
        assert_string_equal(m->layers[0].digest,
                            "sha256:67e7f4919aa1fc94264c482c94ec1e340e608467656f56a81ba7e491f56c69cc");
        image_manifest_free(m);
        /* An index parser refuses a manifest, naming what it got. */
        assert_null(image_index_parse(doc, len, NULL, &err));
        assert_string_equal(err.msg, "index: expected an index, got a Docker schema 2 manifest");
}

static void test_oci_index_platforms(void **state)
{
        size_t len;
        _cleanup_free_ char *doc = read_data("oci-index.json", &len);
        cell_error_t err = {0};
        image_index_t *idx = image_index_parse(doc, len, NULL, &err);
        image_platform_t p = {0};
        const image_descriptor_t *d;

        (void)state;
        if (!idx)
                fail_msg("%s", err.msg);
        assert_int_equal(idx->kind, IMAGE_DOC_OCI_INDEX);
        assert_int_equal(idx->n_manifests, 6);
        assert_string_equal(idx->manifests[4].platform->os_version, "10.0.17763.5329");
        assert_string_equal(idx->manifests[4].platform->os_features[0], "win32k");
        assert_string_equal(image_kv_get(idx->manifests[5].annotations, idx->manifests[5].n_annotations,
                                         "vnd.docker.reference.type"),
                            "attestation-manifest");
        assert_string_equal(
                image_kv_get(idx->annotations, idx->n_annotations, "org.opencontainers.image.created"),
                "2024-01-01T00:00:00Z");

        /* linux/amd64 is the first entry, not the windows one. */
        assert_int_equal(image_platform_parse("linux/amd64", &p, &err), 0);
        d = image_index_match(idx, &p, &err);
        assert_ptr_equal(d, &idx->manifests[0]);
        image_platform_free(&p);
        /* Names as uname and Debian spell them. */
        assert_int_equal(image_platform_parse("linux/x86_64", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[0]);
        image_platform_free(&p);
        assert_int_equal(image_platform_parse("linux/aarch64", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[3]);
        image_platform_free(&p);
        /* arm: the exact variant wins over an older one listed first; armhf is v7. */
        assert_int_equal(image_platform_parse("linux/arm/v7", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[2]);
        image_platform_free(&p);
        assert_int_equal(image_platform_parse("linux/armhf", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[2]);
        image_platform_free(&p);
        assert_int_equal(image_platform_parse("linux/arm/6", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[1]);
        image_platform_free(&p);
        /* v5 cannot run v6 or v7 code. */
        assert_int_equal(image_platform_parse("linux/arm/v5", &p, &err), 0);
        assert_null(image_index_match(idx, &p, &err));
        assert_string_equal(err.msg,
                            "no manifest for linux/arm/v5 in the index (it has: linux/amd64, linux/arm/v6, "
                            "linux/arm/v7, linux/arm64/v8, windows/amd64, unknown/unknown)");
        image_platform_free(&p);
        assert_int_equal(image_platform_parse("windows/amd64", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[4]);
        image_platform_free(&p);
        /* The attestation entry is never picked. */
        assert_int_equal(image_platform_parse("unknown/unknown", &p, &err), 0);
        assert_null(image_index_match(idx, &p, &err));
        image_platform_free(&p);
        image_index_free(idx);
}

static void test_docker_manifest_list(void **state)
{
        size_t len;
        _cleanup_free_ char *doc = read_data("docker-manifest-list.json", &len);
        cell_error_t err = {0};
        image_index_t *idx = image_index_parse(doc, len, NULL, &err);
        image_platform_t p = {0};

        (void)state;
        if (!idx)
                fail_msg("%s", err.msg);
        assert_int_equal(idx->kind, IMAGE_DOC_DOCKER_MANIFEST_LIST);
        assert_int_equal(idx->n_manifests, 4);
        assert_int_equal(idx->manifests[0].media_type, IMAGE_MT_DOCKER_MANIFEST);
        assert_int_equal(image_platform_parse("linux/amd64", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[3]);
        image_platform_free(&p);
        /* arm64 with no variant written is v8. */
        assert_int_equal(image_platform_parse("linux/arm64/v8", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[1]);
        image_platform_free(&p);
        /* arm v7 runs the v5 build when nothing better is there. */
        assert_int_equal(image_platform_parse("linux/arm", &p, &err), 0);
        assert_ptr_equal(image_index_match(idx, &p, &err), &idx->manifests[2]);
        image_platform_free(&p);
        assert_int_equal(image_platform_parse("linux/riscv64", &p, &err), 0);
        assert_null(image_index_match(idx, &p, &err));
        image_platform_free(&p);
        /* A manifest parser refuses the list. */
        assert_null(image_manifest_parse(doc, len, NULL, &err));
        assert_string_equal(err.msg, "manifest: expected a manifest, got a Docker manifest list");
        image_index_free(idx);
}

static void test_host_platform(void **state)
{
        cell_error_t err = {0};
        image_platform_t p = {0};

        (void)state;
        assert_int_equal(image_platform_host(&p, &err), 0);
        assert_string_equal(p.os, "linux");
        assert_non_null(p.architecture);
#if defined(__x86_64__)
        assert_string_equal(p.architecture, "amd64");
#elif defined(__aarch64__)
        assert_string_equal(p.architecture, "arm64");
#endif
        image_platform_free(&p);
        assert_true(image_platform_parse("linux", &p, &err) < 0);
        assert_true(image_platform_parse("linux/", &p, &err) < 0);
        assert_true(image_platform_parse("/amd64", &p, &err) < 0);
        assert_true(image_platform_parse("linux/arm/v7/x", &p, &err) < 0);
        assert_string_equal(err.msg, "platform \"linux/arm/v7/x\": expected os/arch[/variant]");
        {
                image_index_t idx = {0};
                image_platform_t half = {.os = (char *)"linux"};

                assert_null(image_index_match(&idx, &half, &err));
                assert_string_equal(err.msg, "platform: an os and an architecture are required");
        }
}

/* ---- serialising ---- */

static void test_serialize_round_trip(void **state)
{
        const char *files[] = {"oci-manifest.json", "docker-manifest.json"};
        const char *indexes[] = {"oci-index.json", "docker-manifest-list.json", "oci-layout-index.json"};
        cell_error_t err = {0};

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                size_t len, l1, l2;
                _cleanup_free_ char *doc = read_data(files[i], &len);
                image_manifest_t *m = image_manifest_parse(doc, len, NULL, &err), *m2;
                _cleanup_free_ char *s1 = NULL, *s2 = NULL;

                assert_non_null(m);
                s1 = image_manifest_serialize(m, &l1, &err);
                assert_non_null(s1);
                assert_int_equal(l1, strlen(s1));
                /* No whitespace, and a second trip gives the same bytes. */
                assert_null(strpbrk(s1, " \n\t"));
                m2 = image_manifest_parse(s1, l1, NULL, &err);
                if (!m2)
                        fail_msg("%s: %s\n%s", files[i], err.msg, s1);
                s2 = image_manifest_serialize(m2, &l2, &err);
                assert_string_equal(s1, s2);
                assert_int_equal(m2->kind, m->kind);
                assert_int_equal(m2->n_layers, m->n_layers);
                image_manifest_free(m);
                image_manifest_free(m2);
        }
        for (size_t i = 0; i < ARRAY_SIZE(indexes); i++) {
                size_t len, l1, l2;
                _cleanup_free_ char *doc = read_data(indexes[i], &len);
                image_index_t *x = image_index_parse(doc, len, NULL, &err), *x2;
                _cleanup_free_ char *s1 = NULL, *s2 = NULL;

                if (!x)
                        fail_msg("%s: %s", indexes[i], err.msg);
                s1 = image_index_serialize(x, &l1, &err);
                assert_non_null(s1);
                x2 = image_index_parse(s1, l1, NULL, &err);
                if (!x2)
                        fail_msg("%s: %s\n%s", indexes[i], err.msg, s1);
                s2 = image_index_serialize(x2, &l2, &err);
                assert_string_equal(s1, s2);
                assert_int_equal(x2->n_manifests, x->n_manifests);
                image_index_free(x);
                image_index_free(x2);
        }
}

static void test_serialize_exact_bytes(void **state)
{
        /* Keys come out sorted whatever order they were written in. */
        const char *in =
                "{\"layers\":[{\"size\":3,\"digest\":\"" DG "\",\"mediaType\":"
                "\"application/vnd.oci.image.layer.v1.tar\",\"annotations\":{\"z\":\"1\",\"a\":\"2\"}}],"
                "\"config\":{\"size\":2,\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                "\"digest\":\"" DG "\"},\"schemaVersion\":2,"
                "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}";
        const char *want =
                "{\"config\":{\"digest\":\"" DG
                "\",\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                "\"size\":2},\"layers\":[{\"annotations\":{\"a\":\"2\",\"z\":\"1\"},\"digest\":\"" DG "\","
                "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"size\":3}],"
                "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"schemaVersion\":2}";
        cell_error_t err = {0};
        image_manifest_t *m = image_manifest_parse(in, strlen(in), NULL, &err);
        _cleanup_free_ char *s = NULL;

        (void)state;
        if (!m)
                fail_msg("%s", err.msg);
        s = image_manifest_serialize(m, NULL, &err);
        assert_string_equal(s, want);
        image_manifest_free(m);
}

/* ---- refusals ---- */

#define OCI_CFG                                                                                              \
        "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DG "\",\"size\":2}"
#define OCI_L                                                                                                \
        "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DG "\",\"size\":5}"

static const struct {
        const char *doc;
        const char *want;
} manifest_errors[] = {
        {"", "manifest: invalid JSON"},
        {"[]", "manifest: expected a JSON object"},
        {"{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[]}",
         "manifest: invalid JSON"},
        {"{\"config\":" OCI_CFG ",\"layers\":[]}",
         "manifest.schemaVersion: expected an integer (it is required)"},
        {"{\"schemaVersion\":\"2\",\"config\":" OCI_CFG ",\"layers\":[]}",
         "manifest.schemaVersion: expected an integer"},
        {"{\"schemaVersion\":3,\"config\":" OCI_CFG ",\"layers\":[]}", "manifest.schemaVersion: expected 2"},
        {"{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}",
         "manifest: Docker schema 1 manifests are not supported"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}",
         "manifest: Docker schema 1 manifests are not supported"},
        {"{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":" OCI_CFG ",\"layers\":[]}",
         "manifest.mediaType: expected a manifest or an index media type, not \"text/plain\""},
        {"{\"schemaVersion\":2,\"mediaType\":7,\"config\":" OCI_CFG ",\"layers\":[]}",
         "manifest.mediaType: expected a string"},
        {"{\"schemaVersion\":2}", "manifest: no mediaType, and the shape does not say"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[],\"manifests\":[]}",
         "manifest: no mediaType, and the shape"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/"
         "vnd.oci.image.manifest.v1+json\",\"config\":" OCI_CFG ",\"layers\":[],\"manifests\":[]}",
         "manifest: an OCI image manifest must not have \"manifests\""},
        {"{\"schemaVersion\":2,\"layers\":[]}", "manifest.config: expected a descriptor (it is required)"},
        {"{\"schemaVersion\":2,\"config\":[],\"layers\":[]}",
         "manifest.config: expected an object (a descriptor)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG "}",
         "manifest.layers: expected an array (it is required)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":{}}", "manifest.layers: expected an array"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[" OCI_L "," OCI_L ",3]}",
         "manifest.layers[2]: expected an object (a descriptor)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[" OCI_L "," OCI_L
         ",{\"mediaType\":\"a\",\"digest\":\"sha256:abc\",\"size\":1}]}",
         "manifest.layers[2].digest: expected sha256:<64 lowercase hex>"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"digest\":\"" DG "\",\"size\":1}]}",
         "manifest.layers[0].mediaType: expected a string (it is required)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\"}]}",
         "manifest.layers[0].size: expected an integer (it is required)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":-1}]}",
         "manifest.layers[0].size: expected an integer in [0, 9223372036854775807]"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1.5}]}",
         "manifest.layers[0].size: expected an integer"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"urls\":[1]}]}",
         "manifest.layers[0].urls[0]: expected a string"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"annotations\":{\"k\":true}}]}",
         "manifest.layers[0].annotations.k: expected a string"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG ",\"layers\":[],\"annotations\":[]}",
         "manifest.annotations: expected an object"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG
         ",\"layers\":[],\"subject\":{\"mediaType\":\"a\",\"size\":1}}",
         "manifest.subject.digest: expected a string (it is required)"},
        {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"platform\":{\"os\":\"linux\"}},\"layers\":[]}",
         "manifest.config.platform.architecture: expected a string (it is required)"},
        {"{\"schemaVersion\":2,\"config\":" OCI_CFG
         ",\"layers\":[{\"mediaType\":\"a\\u0000b\",\"digest\":\"" DG "\",\"size\":1}]}",
         "manifest: invalid JSON at line 1 column"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/"
         "vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":"
         "\"application/octet-stream\",\"digest\":\"" DG "\",\"size\":1},\"layers\":[]}",
         "manifest.config.mediaType: expected application/vnd.docker.container.image.v1+json"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
         "manifest: expected a manifest, got an OCI image index"},
};

static void test_manifest_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(manifest_errors); i++) {
                cell_error_t err = {0};
                image_manifest_t *m = image_manifest_parse(manifest_errors[i].doc,
                                                           strlen(manifest_errors[i].doc), NULL, &err);

                if (m)
                        fail_msg("case %zu parsed: %s", i, manifest_errors[i].doc);
                if (strncmp(err.msg, manifest_errors[i].want, strlen(manifest_errors[i].want)) != 0)
                        fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, manifest_errors[i].want);
        }
}

static const struct {
        const char *doc;
        const char *want;
} index_errors[] = {
        {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\"}",
         "index.manifests: expected an array (it is required)"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"platform\":[]}]}",
         "index.manifests[0].platform: expected an object"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\"}}]}",
         "index.manifests[0].platform.os: expected a string (it is required)"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"" DG
         "\",\"size\":1,\"platform\":{\"architecture\":"
         "\"amd64\",\"os\":\"windows\",\"os.features\":\"x\"}}]}",
         "index.manifests[0].platform.os.features: expected an array"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/"
         "vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[],"
         "\"layers\":[]}",
         "index: a Docker manifest list must not have \"layers\""},
        {"{\"schemaVersion\":2,\"manifests\":[]}", NULL}, /* an empty index is valid */
};

static void test_index_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(index_errors); i++) {
                cell_error_t err = {0};
                image_index_t *x = image_index_parse(index_errors[i].doc, strlen(index_errors[i].doc),
                                                     "application/vnd.oci.image.index.v1+json", &err);

                if (!index_errors[i].want) {
                        if (!x)
                                fail_msg("case %zu refused: %s", i, err.msg);
                        image_index_free(x);
                        continue;
                }
                if (x)
                        fail_msg("case %zu parsed: %s", i, index_errors[i].doc);
                if (strncmp(err.msg, index_errors[i].want, strlen(index_errors[i].want)) != 0)
                        fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, index_errors[i].want);
        }
}

static void test_too_large(void **state)
{
        size_t n = 4 * 1024 * 1024 + 1;
        _cleanup_free_ char *big = malloc(n);
        cell_error_t err = {0};

        (void)state;
        assert_non_null(big);
        memset(big, ' ', n);
        assert_null(image_manifest_parse(big, n, NULL, &err));
        assert_non_null(strstr(err.msg, "larger than"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_media_types),
                cmocka_unit_test(test_digests),
                cmocka_unit_test(test_oci_manifest_from_umoci),
                cmocka_unit_test(test_docker_manifest_from_skopeo),
                cmocka_unit_test(test_oci_index_platforms),
                cmocka_unit_test(test_docker_manifest_list),
                cmocka_unit_test(test_host_platform),
                cmocka_unit_test(test_serialize_round_trip),
                cmocka_unit_test(test_serialize_exact_bytes),
                cmocka_unit_test(test_manifest_errors),
                cmocka_unit_test(test_index_errors),
                cmocka_unit_test(test_too_large),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
