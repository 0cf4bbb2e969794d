/* cell: unit tests for image configs and chain ids (lib/image/config.c).
 *
 * The config decides what a container runs and which layers make its root
 * filesystem; a config that parses wrong runs the wrong thing, and a chain id
 * that is computed wrong shares an unpacked layer between images that do not
 * have it. Chain id vectors were computed with sha256sum, not with this code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "config.h"
#include "strutil.h"

#define DIFF0 "sha256:22ddbb23bf2f4358dd9e6a6811abfe93dba3010bced8432a85f06e6f7170a3cd"
#define DIFF1 "sha256:7b7fa71fbd7941bc83816154c85537e34b18465a9f372aa517e5f94f7d982ccb"

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

static image_config_t *parse_file(const char *name)
{
        size_t len;
        _cleanup_free_ char *doc = read_data(name, &len);
        cell_error_t err = {0};
        image_config_t *c = image_config_parse(doc, len, &err);

        if (!c)
                fail_msg("%s: %s", name, err.msg);
        return c;
}

static void test_oci_config_from_umoci(void **state)
{
        image_config_t *c = parse_file("oci-config.json");

        (void)state;
        assert_string_equal(c->architecture, "amd64");
        assert_string_equal(c->os, "linux");
        assert_string_equal(c->author, "cell-tests");
        assert_string_equal(c->created, "2026-11-23T18:07:01.153802121Z");
        assert_true(c->has_config);
        assert_string_equal(c->config.env[0], "FOO=bar");
        assert_null(c->config.env[1]);
        assert_string_equal(c->config.cmd[0], "/bin/sh");
        assert_null(c->config.entrypoint);
        assert_string_equal(c->config.exposed_ports[0], "80/tcp");
        assert_string_equal(c->config.working_dir, "/srv");
        assert_string_equal(image_kv_get(c->config.labels, c->config.n_labels, "a"), "b");
        assert_int_equal(c->n_diff_ids, 2);
        assert_string_equal(c->diff_ids[0], DIFF0);
        assert_string_equal(c->diff_ids[1], DIFF1);
        assert_int_equal(c->n_history, 3);
        assert_true(c->history[0].empty_layer);
        assert_string_equal(c->history[2].created_by, "COPY hello /etc/hello");
        assert_false(c->history_mismatch);
        image_config_free(c);
}

static void test_docker_config(void **state)
{
        image_config_t *c = parse_file("docker-config.json");

        (void)state;
        assert_string_equal(c->config.user, "nobody");
        /* Sorted, as Go's maps are written. */
        assert_string_equal(c->config.exposed_ports[0], "53/udp");
        assert_string_equal(c->config.exposed_ports[1], "8080/tcp");
        assert_null(c->config.exposed_ports[2]);
        assert_string_equal(c->config.entrypoint[0], "/app/server");
        assert_string_equal(c->config.cmd[0], "--help");
        assert_string_equal(c->config.volumes[0], "/data");
        assert_null(c->config.on_build); /* "OnBuild": null */
        assert_string_equal(c->config.stop_signal, "SIGQUIT");
        assert_true(c->config.args_escaped);
        assert_string_equal(c->config.shell[1], "-c");
        assert_non_null(c->config.healthcheck);
        assert_string_equal(c->config.healthcheck->test[0], "CMD-SHELL");
        assert_int_equal(c->config.healthcheck->interval_ns, 30000000000LL);
        assert_int_equal(c->config.healthcheck->timeout_ns, 5000000000LL);
        assert_int_equal(c->config.healthcheck->start_period_ns, 1000000000LL);
        assert_int_equal(c->config.healthcheck->retries, 3);
        assert_string_equal(image_kv_get(c->config.labels, c->config.n_labels, "maintainer"), "cell tests");
        assert_int_equal(c->n_history, 4);
        assert_string_equal(c->history[2].comment, "buildkit.dockerfile.v0");
        assert_non_null(strstr(c->history[2].created_by, "update && apt-get"));
        assert_string_equal(c->history[3].author, "cell tests");
        assert_false(c->history_mismatch);
        image_config_free(c);
}

static void test_history_mismatch_is_kept_not_fatal(void **state)
{
        const char *doc =
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                "\"" DIFF0 "\"]},\"history\":[{\"created_by\":\"a\"},{\"created_by\":\"b\"}]}";
        const char *no_history = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
                                 "\"layers\",\"diff_ids\":[\"" DIFF0 "\"]}}";
        cell_error_t err = {0};
        image_config_t *c = image_config_parse(doc, strlen(doc), &err);

        (void)state;
        assert_non_null(c);
        assert_true(c->history_mismatch);
        image_config_free(c);
        c = image_config_parse(no_history, strlen(no_history), &err);
        assert_non_null(c);
        assert_false(c->history_mismatch);
        assert_null(c->history);
        assert_false(c->has_config);
        image_config_free(c);
}

static void test_dates(void **state)
{
        (void)state;
        assert_true(image_config_date_valid("2024-03-05T10:11:12Z"));
        assert_true(image_config_date_valid("2024-03-05T10:11:12.123456789Z"));
        assert_true(image_config_date_valid("2024-03-05T10:11:10.5+01:00"));
        assert_true(image_config_date_valid("0001-01-01T00:00:00Z"));
        assert_false(image_config_date_valid("2024-03-05 10:11:12Z"));
        assert_false(image_config_date_valid("2024-03-05T10:11:12"));
        assert_false(image_config_date_valid("2024-03-05T10:11:12.Z"));
        assert_false(image_config_date_valid("2024-03-05T10:11:12+0100"));
        assert_false(image_config_date_valid("2024-03-05T10:11:12Zjunk"));
        assert_false(image_config_date_valid(""));
}

/* Serialise, parse, serialise: the same bytes, keys sorted, no whitespace;
 * and what cell models survives the trip. */
static void test_serialize_round_trip(void **state)
{
        const char *files[] = {"oci-config.json", "docker-config.json"};
        cell_error_t err = {0};

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                image_config_t *c = parse_file(files[i]), *c2;
                size_t l1, l2;
                _cleanup_free_ char *s1 = image_config_serialize(c, &l1, &err);
                _cleanup_free_ char *s2 = NULL;

                assert_non_null(s1);
                assert_null(strpbrk(s1, "\n\t"));
                c2 = image_config_parse(s1, l1, &err);
                if (!c2)
                        fail_msg("%s: %s\n%s", files[i], err.msg, s1);
                s2 = image_config_serialize(c2, &l2, &err);
                assert_string_equal(s1, s2);
                assert_int_equal(c2->n_history, c->n_history);
                assert_int_equal(c2->n_diff_ids, c->n_diff_ids);
                assert_int_equal(c2->config.args_escaped, c->config.args_escaped);
                if (c->config.healthcheck)
                        assert_int_equal(c2->config.healthcheck->retries, c->config.healthcheck->retries);
                image_config_free(c);
                image_config_free(c2);
        }
}

static void test_serialize_exact_bytes(void **state)
{
        const char *in =
                "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Labels\":{\"z\":\"1\",\"a\":"
                "\"2\"},"
                "\"Entrypoint\":[],\"Cmd\":null,\"Env\":[\"B=1\",\"A=2\"]},"
                "\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"},\"history\":[{\"empty_layer\":false,"
                "\"created_by\":\"x\"}]}";
        /* Env keeps its order (later entries override earlier ones);
         * "Entrypoint": [] survives, "Cmd": null goes. */
        const char *want =
                "{\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[],\"Env\":[\"B=1\",\"A=2\"],"
                "\"Labels\":{\"a\":\"2\",\"z\":\"1\"}},\"history\":[{\"created_by\":\"x\"}],\"os\":\"linux\","
                "\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"}}";
        cell_error_t err = {0};
        image_config_t *c = image_config_parse(in, strlen(in), &err);
        _cleanup_free_ char *s = NULL;

        (void)state;
        if (!c)
                fail_msg("%s", err.msg);
        assert_non_null(c->config.entrypoint);
        assert_null(c->config.entrypoint[0]);
        assert_null(c->config.cmd);
        assert_true(c->history_mismatch); /* one layer in history, none in rootfs */
        s = image_config_serialize(c, NULL, &err);
        assert_string_equal(s, want);
        image_config_free(c);
}

static void test_chain_ids(void **state)
{
        /* printf 'sha256:22dd... sha256:7b7f...' | sha256sum, and the next
         * one from that result and DIFF0 again. */
        char d0[] = DIFF0, d1[] = DIFF1, bad1[] = "sha256:xyz";
        char *diffs[] = {d0, d1, d0, NULL};
        cell_error_t err = {0};
        _cleanup_strv_ char **chain = NULL;
        char *bad[] = {d0, bad1, NULL};
        char **none = NULL;

        (void)state;
        assert_int_equal(image_chain_ids(diffs, 3, &chain, &err), 0);
        assert_string_equal(chain[0], DIFF0);
        assert_string_equal(chain[1],
                            "sha256:7725015b9247610976412be4bbd7afee857e2c042f65d1c2dc524e4a48758237");
        assert_string_equal(chain[2],
                            "sha256:137e2fa11f86a95fc095e4da196b4a149b9c1f26f952965f58f37025148b7f88");
        assert_null(chain[3]);
        assert_true(image_chain_ids(bad, 2, &none, &err) < 0);
        assert_string_equal(err.msg, "diff_ids[1]: expected sha256:<64 lowercase hex>");
        assert_null(none);
        assert_int_equal(image_chain_ids(diffs, 0, &none, &err), 0);
        assert_null(none[0]);
        free(none);
}

#define ROOTFS "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"
#define BASE   "\"architecture\":\"amd64\",\"os\":\"linux\""

static const struct {
        const char *doc;
        const char *want;
} config_errors[] = {
        {"nope", "config: invalid JSON"},
        {"\"x\"", "config: invalid JSON"},
        {"[1]", "config: expected a JSON object"},
        {"{\"os\":\"linux\"," ROOTFS "}", "config.architecture: expected a string (it is required)"},
        {"{\"architecture\":\"amd64\"," ROOTFS "}", "config.os: expected a string (it is required)"},
        {"{\"architecture\":1,\"os\":\"linux\"," ROOTFS "}", "config.architecture: expected a string"},
        {"{" BASE "}", "config.rootfs: expected an object (it is required)"},
        {"{" BASE ",\"rootfs\":{\"type\":\"layers\"}}",
         "config.rootfs.diff_ids: expected an array (it is required)"},
        {"{" BASE ",\"rootfs\":{\"type\":\"tarball\",\"diff_ids\":[]}}",
         "config.rootfs.type: expected \"layers\""},
        {"{" BASE ",\"rootfs\":{\"diff_ids\":[]}}", "config.rootfs.type: expected a string (it is required)"},
        {"{" BASE ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIFF0 "\",\"sha256:ABC\"]}}",
         "config.rootfs.diff_ids[1]: expected sha256:<64 lowercase hex>"},
        {"{" BASE ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[7]}}",
         "config.rootfs.diff_ids[0]: expected a string"},
        {"{" BASE ",\"created\":\"yesterday\"," ROOTFS "}", "config.created: expected an RFC 3339 date"},
        {"{" BASE ",\"os.features\":[1]," ROOTFS "}", "config.os.features[0]: expected a string"},
        {"{" BASE ",\"config\":[]," ROOTFS "}", "config.config: expected an object"},
        {"{" BASE ",\"config\":{\"User\":0}," ROOTFS "}", "config.config.User: expected a string"},
        {"{" BASE ",\"config\":{\"Env\":[\"A=1\",\"B\"]}," ROOTFS "}",
         "config.config.Env[1]: expected NAME=VALUE"},
        {"{" BASE ",\"config\":{\"Env\":[\"=x\"]}," ROOTFS "}", "config.config.Env[0]: expected NAME=VALUE"},
        {"{" BASE ",\"config\":{\"Env\":\"A=1\"}," ROOTFS "}", "config.config.Env: expected an array"},
        {"{" BASE ",\"config\":{\"Cmd\":\"/bin/sh\"}," ROOTFS "}", "config.config.Cmd: expected an array"},
        {"{" BASE ",\"config\":{\"Entrypoint\":[\"/a\",null]}," ROOTFS "}",
         "config.config.Entrypoint[1]: expected a string"},
        {"{" BASE ",\"config\":{\"ExposedPorts\":{\"80/tcp\":{},\"http\":{}}}," ROOTFS "}",
         "config.config.ExposedPorts.http: expected PORT[/tcp|/udp|/sctp]"},
        {"{" BASE ",\"config\":{\"ExposedPorts\":{\"70000/tcp\":{}}}," ROOTFS "}",
         "config.config.ExposedPorts.70000/tcp: expected PORT"},
        {"{" BASE ",\"config\":{\"ExposedPorts\":{\"80/icmp\":{}}}," ROOTFS "}",
         "config.config.ExposedPorts.80/icmp: expected PORT"},
        {"{" BASE ",\"config\":{\"ExposedPorts\":{\"80\":1}}," ROOTFS "}",
         "config.config.ExposedPorts.80: expected an object ({})"},
        {"{" BASE ",\"config\":{\"ExposedPorts\":[\"80\"]}," ROOTFS "}",
         "config.config.ExposedPorts: expected an object"},
        {"{" BASE ",\"config\":{\"Volumes\":{\"/data\":\"yes\"}}," ROOTFS "}",
         "config.config.Volumes./data: expected an object ({})"},
        {"{" BASE ",\"config\":{\"Labels\":{\"a\":1}}," ROOTFS "}",
         "config.config.Labels.a: expected a string"},
        {"{" BASE ",\"config\":{\"WorkingDir\":[]}," ROOTFS "}",
         "config.config.WorkingDir: expected a string"},
        {"{" BASE ",\"config\":{\"StopSignal\":9}," ROOTFS "}",
         "config.config.StopSignal: expected a string"},
        {"{" BASE ",\"config\":{\"ArgsEscaped\":\"true\"}," ROOTFS "}",
         "config.config.ArgsEscaped: expected a boolean"},
        {"{" BASE ",\"config\":{\"OnBuild\":[1]}," ROOTFS "}", "config.config.OnBuild[0]: expected a string"},
        {"{" BASE ",\"config\":{\"Shell\":{}}," ROOTFS "}", "config.config.Shell: expected an array"},
        {"{" BASE ",\"config\":{\"Healthcheck\":{\"Test\":\"x\"}}," ROOTFS "}",
         "config.config.Healthcheck.Test: expected an array"},
        {"{" BASE ",\"config\":{\"Healthcheck\":{\"Interval\":-1}}," ROOTFS "}",
         "config.config.Healthcheck.Interval: expected an integer in [0, "},
        {"{" BASE ",\"config\":{\"Healthcheck\":{\"Retries\":1.5}}," ROOTFS "}",
         "config.config.Healthcheck.Retries: expected an integer"},
        {"{" BASE "," ROOTFS ",\"history\":{}}", "config.history: expected an array"},
        {"{" BASE "," ROOTFS ",\"history\":[{},3]}", "config.history[1]: expected an object"},
        {"{" BASE "," ROOTFS ",\"history\":[{\"created\":\"2024\"}]}",
         "config.history[0].created: expected an RFC 3339 date"},
        {"{" BASE "," ROOTFS ",\"history\":[{\"created_by\":[]}]}",
         "config.history[0].created_by: expected a string"},
        {"{" BASE "," ROOTFS ",\"history\":[{\"author\":1}]}", "config.history[0].author: expected a string"},
        {"{" BASE "," ROOTFS ",\"history\":[{\"comment\":{}}]}",
         "config.history[0].comment: expected a string"},
        {"{" BASE "," ROOTFS ",\"history\":[{\"empty_layer\":1}]}",
         "config.history[0].empty_layer: expected a boolean"},
        {"{" BASE ",\"os\":\"linux\"," ROOTFS "}", "config: invalid JSON"}, /* duplicate key */
};

static void test_config_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(config_errors); i++) {
                cell_error_t err = {0};
                image_config_t *c =
                        image_config_parse(config_errors[i].doc, strlen(config_errors[i].doc), &err);

                if (c)
                        fail_msg("case %zu parsed: %s", i, config_errors[i].doc);
                if (strncmp(err.msg, config_errors[i].want, strlen(config_errors[i].want)) != 0)
                        fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, config_errors[i].want);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oci_config_from_umoci),
                cmocka_unit_test(test_docker_config),
                cmocka_unit_test(test_history_mismatch_is_kept_not_fatal),
                cmocka_unit_test(test_dates),
                cmocka_unit_test(test_serialize_round_trip),
                cmocka_unit_test(test_serialize_exact_bytes),
                cmocka_unit_test(test_chain_ids),
                cmocka_unit_test(test_config_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
