/* cell: unit tests for the registry protocol's text (lib/registry/proto.c):
 * WWW-Authenticate challenges, token and error answers, base64, credential
 * files (docker's config.json, containers' auth.json) and their updates,
 * tag lists and catalogs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "regconf.h"
#include "strutil.h"

static void test_challenge_bearer(void **state)
{
        registry_challenge_t c = {0};
        cell_error_t err = {0};

        (void)state;
        assert_int_equal(registry_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
                                                  "service=\"registry.docker.io\","
                                                  "scope=\"repository:library/busybox:pull\"",
                                                  &c, &err),
                         0);
        assert_string_equal(c.scheme, "bearer");
        assert_string_equal(c.realm, "https://auth.docker.io/token");
        assert_string_equal(c.service, "registry.docker.io");
        assert_string_equal(c.scope, "repository:library/busybox:pull");
        assert_null(c.error);
        registry_challenge_clear(&c);

        /* Case-insensitive names, spaces around '=' and ',', escapes in a
         * quoted value, a scope with two actions, unknown parameters. */
        assert_int_equal(registry_challenge_parse("  bearer REALM = \"http://h:5001/t\" ,  Service=reg, "
                                                  "scope=\"repository:a/b:pull,push\",foo=\"x\\\"y\","
                                                  "error=\"insufficient_scope\"",
                                                  &c, &err),
                         0);
        assert_string_equal(c.realm, "http://h:5001/t");
        assert_string_equal(c.service, "reg");
        assert_string_equal(c.scope, "repository:a/b:pull,push");
        assert_string_equal(c.error, "insufficient_scope");
        registry_challenge_clear(&c);
}

static void test_challenge_basic_and_several(void **state)
{
        registry_challenge_t c = {0};
        cell_error_t err = {0};

        (void)state;
        assert_int_equal(registry_challenge_parse("Basic realm=\"cell-test\"", &c, &err), 0);
        assert_string_equal(c.scheme, "basic");
        assert_string_equal(c.realm, "cell-test");
        registry_challenge_clear(&c);
        assert_int_equal(registry_challenge_parse("Basic", &c, &err), 0);
        assert_string_equal(c.scheme, "basic");
        assert_null(c.realm);
        registry_challenge_clear(&c);
        /* Two challenges in one header: the first is answered. */
        assert_int_equal(
                registry_challenge_parse("Basic realm=\"x\", Bearer realm=\"https://a/t\"", &c, &err), 0);
        assert_string_equal(c.scheme, "basic");
        registry_challenge_clear(&c);
}

static void test_challenge_refused(void **state)
{
        static const struct {
                const char *in, *msg;
        } cases[] = {
                {"", "no scheme"},
                {"Bearer service=\"x\"", "without a realm"},
                {"Bearer realm=\"file:///etc/passwd\"", "not an http(s) URL"},
                {"Bearer realm=\"https://a/t", "malformed"},
                {"Bearer realm=\"https://a/t\" service=\"x\"", "malformed"},
                {"Bearer realm=", "malformed"},
                {"Bearer ,", "malformed"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                registry_challenge_t c = {0};
                cell_error_t err = {0};

                assert_int_equal(registry_challenge_parse(cases[i].in, &c, &err), -EINVAL);
                if (!strstr(err.msg, cases[i].msg))
                        fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].in, err.msg, cases[i].msg);
                assert_null(c.scheme);
        }
}

static char *tok(const char *s, cell_error_t *err)
{
        return registry_token_parse(s, strlen(s), err);
}

static char *errbody(const char *s)
{
        return registry_error_body_string(s, strlen(s));
}

static void test_token_and_errors(void **state)
{
        cell_error_t err = {0};
        char *t, *s;

        (void)state;
        t = tok("{\"token\":\"abc\",\"expires_in\":300}", &err);
        assert_string_equal(t, "abc");
        free(t);
        t = tok("{\"access_token\":\"def\"}", &err);
        assert_string_equal(t, "def");
        free(t);
        assert_null(tok("{\"token\":\"\"}", &err));
        assert_non_null(strstr(err.msg, "no token"));
        assert_null(tok("[", &err));

        s = errbody("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
                    "required\",\"detail\":null},{\"code\":\"DENIED\"}]}");
        assert_string_equal(s, "UNAUTHORIZED: authentication required; DENIED");
        free(s);
        assert_null(errbody("<html>"));
        assert_null(errbody("{\"errors\":[]}"));
}

static void test_base64(void **state)
{
        static const struct {
                const char *plain, *enc;
        } cases[] = {
                {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"user:pass", "dXNlcjpwYXNz"},
        };
        size_t len;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *e = registry_base64_encode(cases[i].plain, strlen(cases[i].plain));
                char *d = registry_base64_decode(cases[i].enc, &len);

                assert_string_equal(e, cases[i].enc);
                assert_string_equal(d, cases[i].plain);
                assert_int_equal(len, strlen(cases[i].plain));
                free(e);
                free(d);
        }
        assert_null(registry_base64_decode("Zg=", &len));
        assert_null(registry_base64_decode("Z===", &len));
        assert_null(registry_base64_decode("Zg=a", &len));
        assert_null(registry_base64_decode("Zm9v!A==", &len));
        assert_null(registry_base64_decode("Zg==Zg==", &len));
}

static void test_server_key(void **state)
{
        static const struct {
                const char *in, *key;
        } cases[] = {
                {"localhost:5000", "localhost:5000"},
                {"https://Registry.Example.com:443/v2/", "registry.example.com:443"},
                {"http://127.0.0.1:5000", "127.0.0.1:5000"},
                {"https://index.docker.io/v1/", "docker.io"},
                {"registry-1.docker.io", "docker.io"},
                {"docker.io", "docker.io"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *k = registry_server_key(cases[i].in);

                assert_string_equal(k, cases[i].key);
                free(k);
        }
        assert_null(registry_server_key("https://"));
        assert_null(registry_server_key(""));
}

static void test_auth_parse(void **state)
{
        const char *doc = "{\"auths\":{\"localhost:5000\":{\"auth\":\"dXNlcjpwYXNz\"},"
                          "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnA6dzpk\"},"
                          "\"bad.example\":{\"auth\":\"!!\"},\"nocolon.example\":{\"auth\":\"dXNlcg==\"},"
                          "\"h.example\":{\"identitytoken\":\"x\"}},\"credsStore\":\"desktop\"}";
        cell_error_t err = {0};
        char *u = NULL, *p = NULL;

        (void)state;
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "localhost:5000", &u, &p, &err), 0);
        assert_string_equal(u, "user");
        assert_string_equal(p, "pass");
        free(u);
        free(p);
        /* Docker Hub's key is a URL; a password may hold ':'. */
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "docker.io", &u, &p, &err), 0);
        assert_string_equal(u, "hub");
        assert_string_equal(p, "p:w:d");
        free(u);
        free(p);
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "other:5000", &u, &p, &err), -ENOENT);
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "bad.example", &u, &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "auths.bad.example.auth"));
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "nocolon.example", &u, &p, &err), -EINVAL);
        assert_int_equal(registry_auth_parse(doc, strlen(doc), "h.example", &u, &p, &err), -EINVAL);
        assert_int_equal(registry_auth_parse("{}", 2, "localhost:5000", &u, &p, &err), -ENOENT);
        assert_int_equal(registry_auth_parse("[]", 2, "localhost:5000", &u, &p, &err), -EINVAL);
        assert_int_equal(registry_auth_parse("{\"auths\":1}", 11, "x", &u, &p, &err), -EINVAL);
}

static void test_auth_update(void **state)
{
        const char *doc = "{\"auths\":{\"http://localhost:5000/\":{\"auth\":\"b2xkOm9sZA==\"},"
                          "\"quay.io\":{\"auth\":\"cTpx\"}},\"credsStore\":\"x\"}";
        cell_error_t err = {0};
        char *out, *out2, *u = NULL, *p = NULL;
        bool found = false;

        (void)state;
        out = registry_auth_update(doc, strlen(doc), "localhost:5000", "alice", "s3:cret", &found, &err);
        assert_non_null(out);
        assert_true(found);
        /* One entry per server, other entries and keys kept. */
        assert_null(strstr(out, "http://localhost:5000/"));
        assert_non_null(strstr(out, "\"credsStore\""));
        assert_int_equal(registry_auth_parse(out, strlen(out), "localhost:5000", &u, &p, &err), 0);
        assert_string_equal(u, "alice");
        assert_string_equal(p, "s3:cret");
        free(u);
        free(p);
        assert_int_equal(registry_auth_parse(out, strlen(out), "quay.io", &u, &p, &err), 0);
        free(u);
        free(p);
        out2 = registry_auth_update(out, strlen(out), "localhost:5000", NULL, NULL, &found, &err);
        assert_true(found);
        assert_int_equal(registry_auth_parse(out2, strlen(out2), "localhost:5000", &u, &p, &err), -ENOENT);
        free(out);
        out = registry_auth_update(out2, strlen(out2), "localhost:5000", NULL, NULL, &found, &err);
        assert_false(found);
        free(out);
        free(out2);
        /* A new document. */
        out = registry_auth_update(NULL, 0, "https://index.docker.io/v1/", "u", "p", &found, &err);
        assert_non_null(strstr(out, "\"docker.io\""));
        free(out);
        assert_null(registry_auth_update("[1]", 3, "h", "u", "p", NULL, &err));
        assert_null(registry_auth_update("{\"auths\":[]}", 12, "h", "u", "p", NULL, &err));
}

static void test_auth_lookup_files(void **state)
{
        char dir[] = "/tmp/cell-test-auth.XXXXXX";
        char path[128], home[128];
        const char *doc = "{\"auths\":{\"r.example:5000\":{\"auth\":\"YTpi\"}}}";
        cell_error_t err = {0};
        char *u = NULL, *p = NULL;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/auth.json", dir);
        snprintf(home, sizeof(home), "%s/home", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(doc, f);
        fclose(f);
        setenv("HOME", home, 1);
        unsetenv("XDG_RUNTIME_DIR");
        setenv("CELL_AUTH_FILE", path, 1);
        assert_int_equal(registry_auth_lookup("r.example:5000", &u, &p, &err), 0);
        assert_string_equal(u, "a");
        assert_string_equal(p, "b");
        free(u);
        free(p);
        assert_int_equal(registry_auth_lookup("other.example", &u, &p, &err), -ENOENT);
        u = registry_auth_write_path();
        assert_string_equal(u, path);
        free(u);
        unsetenv("CELL_AUTH_FILE");
        u = registry_auth_write_path();
        assert_non_null(strstr(u, "/home/.docker/config.json"));
        free(u);
        unlink(path);
        rmdir(dir);
}

/* registries.json: docker's keys, mirrors per registry, errors naming the field. */
static void test_conf(void **state)
{
        static const char good[] =
                "{\"insecure-registries\": [\"h:5000\"],"
                " \"registry-mirrors\": [\"https://hub-mirror.example\"],"
                " \"mirrors\": {\"quay.io\": [\"http://127.0.0.1:5001/\", \"https://q2\"]}}";
        registry_conf_t c = {0};
        cell_error_t err = {0};
        char **m;

        (void)state;
        assert_int_equal(registry_conf_parse(good, sizeof(good) - 1, "registries.json", &c, &err), 0);
        assert_true(registry_conf_insecure(&c, "h:5000"));
        assert_false(registry_conf_insecure(&c, "h:5001"));
        m = registry_conf_mirrors(&c, "quay.io");
        assert_non_null(m);
        assert_string_equal(m[0], "http://127.0.0.1:5001/");
        assert_string_equal(m[1], "https://q2");
        assert_null(m[2]);
        strv_free(m);
        /* Docker Hub's mirrors are registry-mirrors. */
        m = registry_conf_mirrors(&c, "docker.io");
        assert_string_equal(m[0], "https://hub-mirror.example");
        assert_null(m[1]);
        strv_free(m);
        m = registry_conf_mirrors(&c, "other.example");
        assert_null(m[0]);
        strv_free(m);
        registry_conf_clear(&c);
        assert_true(registry_conf_parse("{\"mirrors\": 3}", 14, "r.json", &c, &err) < 0);
        assert_non_null(strstr(err.msg, "r.json: mirrors: expected an object"));
        assert_true(registry_conf_parse("{\"registry-mirrors\": [\"ftp://x\"]}", 33, "r.json", &c, &err) < 0);
        assert_non_null(strstr(err.msg, "registry-mirrors[0]: expected an http:// or https:// URL"));
        assert_true(registry_conf_parse("{\"mirrors\": {\"q\": [1]}}", 23, "r.json", &c, &err) < 0);
        assert_non_null(strstr(err.msg, "mirrors.q[0]"));
        assert_true(registry_conf_parse("[", 1, "r.json", &c, &err) < 0);
        assert_non_null(strstr(err.msg, "r.json: line 1"));
}

static void test_name_list(void **state)
{
        const char tags[] = "{\"name\":\"bb\",\"tags\":[\"1\",\"latest\"]}";
        const char none[] = "{\"name\":\"bb\",\"tags\":null}";
        const char cat[] = "{\"repositories\":[\"a/b\",\"c\"]}";
        cell_error_t err = {0};
        char **v = NULL;

        (void)state;
        assert_int_equal(registry_name_list_parse(tags, strlen(tags), "tags", "t", &v, &err), 0);
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[0], "1");
        assert_string_equal(v[1], "latest");
        strv_free(v);
        v = NULL;
        /* Distribution's answer for a repository without tags. */
        assert_int_equal(registry_name_list_parse(none, strlen(none), "tags", "t", &v, &err), 0);
        assert_non_null(v);
        assert_null(v[0]);
        strv_free(v);
        v = NULL;
        assert_int_equal(registry_name_list_parse(cat, strlen(cat), "repositories", "c", &v, &err), 0);
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[0], "a/b");
        strv_free(v);
        v = NULL;
        /* Refused: not an object, not an array, not a string, an empty name. */
        assert_true(registry_name_list_parse("[]", 2, "tags", "GET x", &v, &err) < 0);
        assert_string_equal(err.msg, "GET x: not a JSON object");
        cell_error_clear(&err);
        assert_true(registry_name_list_parse("{\"tags\":\"1\"}", 12, "tags", "t", &v, &err) < 0);
        assert_non_null(strstr(err.msg, "is not an array"));
        cell_error_clear(&err);
        assert_true(registry_name_list_parse("{\"tags\":[1]}", 12, "tags", "t", &v, &err) < 0);
        assert_non_null(strstr(err.msg, "\"tags\"[0] is not a name"));
        cell_error_clear(&err);
        assert_true(registry_name_list_parse("{\"tags\":[\"\"]}", 13, "tags", "t", &v, &err) < 0);
        cell_error_clear(&err);
        assert_null(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_challenge_bearer),
                cmocka_unit_test(test_challenge_basic_and_several),
                cmocka_unit_test(test_challenge_refused),
                cmocka_unit_test(test_token_and_errors),
                cmocka_unit_test(test_base64),
                cmocka_unit_test(test_server_key),
                cmocka_unit_test(test_auth_parse),
                cmocka_unit_test(test_auth_update),
                cmocka_unit_test(test_auth_lookup_files),
                cmocka_unit_test(test_conf),
                cmocka_unit_test(test_name_list),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
