/* cell: unit tests for the networks' pure parts: a container's /etc/hosts
 * and /etc/resolv.conf (lib/engine/netattach.c), the CNI exec protocol
 * (lib/engine/cni.c: chaining of results, a plugin's error, undoing what
 * was added when a later plugin fails) with small shell plugins standing in
 * for the real ones (tests/system/network*.bats run the real ones), and
 * spawn_capture (lib/util/subprocess.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cni.h"
#include "network.h"
#include "strutil.h"
#include "subprocess.h"
#include "testutil.h"

static void test_hosts_text(void **state)
{
        json_t *hc = json_pack("{s:[s, s]}", "ExtraHosts", "db.example:192.0.2.7", "gw:10.0.0.1");
        char *t = engine_hosts_text(hc, "box", "10.87.0.5", false);

        (void)state;
        assert_non_null(t);
        assert_non_null(strstr(t, "127.0.0.1\tlocalhost\n"));
        assert_non_null(strstr(t, "ff02::2\tip6-allrouters\n"));
        assert_non_null(strstr(t, "192.0.2.7\tdb.example\n10.0.0.1\tgw\n"));
        /* The container's own address last, under its hostname. */
        assert_string_equal(t + strlen(t) - strlen("10.87.0.5\tbox\n"), "10.87.0.5\tbox\n");
        free(t);
        t = engine_hosts_text(hc, "box", NULL, false);
        assert_null(strstr(t, "\tbox\n"));
        free(t);
        json_decref(hc);
}

static void test_resolv_text(void **state)
{
        json_t *hc = json_pack("{s:[s, s], s:[s], s:[s]}", "Dns", "192.0.2.53", "192.0.2.54", "DnsSearch",
                               "example.org", "DnsOptions", "ndots:2");
        json_t *empty = json_object();
        char *t = engine_resolv_text(hc, NULL, false);

        (void)state;
        /* --dns replaces the host's resolvers; search and options as given. */
        assert_non_null(strstr(t, "nameserver 192.0.2.53\nnameserver 192.0.2.54\n"));
        assert_int_equal(strstr(strstr(t, "nameserver 192.0.2.54\n") + 1, "nameserver"), NULL);
        assert_non_null(strstr(t, "search example.org\n"));
        assert_non_null(strstr(t, "options ndots:2\n"));
        free(t);
        /* A user network: its resolver first, names under dns.cell. */
        t = engine_resolv_text(empty, "10.86.0.1", false);
        assert_true(str_has_prefix(t, "nameserver 10.86.0.1\n"));
        assert_non_null(strstr(t, "search dns.cell\n"));
        assert_null(strstr(t, "nameserver 127."));
        free(t);
        json_decref(hc);
        json_decref(empty);
}

/* A plugin: a shell script in DIR that logs its command and stdin and
 * answers OUT (or fails with the CNI error MSG). */
static void plugin(const char *dir, const char *type, const char *out, const char *msg)
{
        char *p = tu_path("%s/%s", dir, type);
        FILE *f = fopen(p, "we");

        assert_non_null(f);
        fprintf(f,
                "#!/bin/sh\ncat > \"%s/%s.$CNI_COMMAND.in\"\necho \"$CNI_COMMAND $CNI_IFNAME $CNI_NETNS\" >> "
                "\"%s/log\"\n",
                dir, type, dir);
        if (msg)
                fprintf(f,
                        "echo "
                        "'{\"cniVersion\":\"0.4.0\",\"code\":7,\"msg\":\"%s\",\"details\":\"more\"}'\nexit "
                        "1\n",
                        msg);
        else if (out)
                fprintf(f, "[ \"$CNI_COMMAND\" = ADD ] && echo '%s'\nexit 0\n", out);
        fclose(f);
        assert_int_equal(chmod(p, 0755), 0);
}

static char *slurp(const char *path)
{
        char *buf = calloc(1, 65536);
        FILE *f = fopen(path, "re");

        assert_non_null(buf);
        if (f) {
                size_t n = fread(buf, 1, 65535, f);

                buf[n] = '\0';
                fclose(f);
        }
        return buf;
}

static void test_cni_chain(void **state)
{
        const char *dir = *state;
        json_t *list = json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:{s:b}}]}", "cniVersion", "0.4.0", "name",
                                 "t", "plugins", "type", "first", "bridge", "br0", "type", "second",
                                 "capabilities", "portMappings", 1);
        json_t *rc = json_pack("{s:[{s:i}], s:{}}", "portMappings", "hostPort", 8080, "aliases");
        engine_cni_call_t call = {.container_id = "abc",
                                  .netns = "/run/netns/x",
                                  .ifname = "eth0",
                                  .args = "IgnoreUnknown=1",
                                  .runtime_config = rc};
        json_t *res = NULL, *in;
        cell_error_t err = {0};
        char *text, *path;

        plugin(dir, "first", "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}", NULL);
        plugin(dir, "second", "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}],\"dns\":{}}",
               NULL);
        setenv("CELL_CNI_PATH", dir, 1);
        if (engine_cni_add(list, &call, &res, &err) < 0)
                fail_msg("add: %s", err.msg);
        assert_non_null(json_object_get(res, "dns"));
        /* The second got the first's result, the list's name and version,
         * and only the runtime values its capabilities ask for. */
        path = tu_path("%s/second.ADD.in", dir);
        text = slurp(path);
        in = json_loads(text, 0, NULL);
        assert_non_null(in);
        assert_string_equal(json_string_value(json_object_get(in, "name")), "t");
        assert_string_equal(json_string_value(json_object_get(in, "cniVersion")), "0.4.0");
        assert_non_null(json_object_get(in, "prevResult"));
        assert_non_null(json_object_get(json_object_get(in, "runtimeConfig"), "portMappings"));
        assert_null(json_object_get(json_object_get(in, "runtimeConfig"), "aliases"));
        json_decref(in);
        free(text);
        in = json_loads((text = slurp(tu_path("%s/first.ADD.in", dir))), 0, NULL);
        assert_null(json_object_get(in, "runtimeConfig"));
        assert_string_equal(json_string_value(json_object_get(in, "bridge")), "br0");
        json_decref(in);
        free(text);
        /* DEL runs backwards, each with the ADD's result. */
        unlink(tu_path("%s/log", dir));
        if (engine_cni_del(list, &call, res, &err) < 0)
                fail_msg("del: %s", err.msg);
        text = slurp(tu_path("%s/log", dir));
        assert_string_equal(text, "DEL eth0 /run/netns/x\nDEL eth0 /run/netns/x\n");
        free(text);
        text = slurp(tu_path("%s/first.DEL.in", dir));
        assert_non_null(strstr(text, "\"prevResult\""));
        free(text);
        json_decref(res);

        /* A failing second plugin: its error as the spec gives it, and the
         * first undone (DEL after the ADDs). */
        plugin(dir, "second", NULL, "no room on the bridge");
        unlink(tu_path("%s/log", dir));
        res = NULL;
        assert_true(engine_cni_add(list, &call, &res, &err) < 0);
        assert_null(res);
        assert_non_null(strstr(err.msg, "CNI plugin second ADD: no room on the bridge: more"));
        text = slurp(tu_path("%s/log", dir));
        assert_string_equal(text, "ADD eth0 /run/netns/x\nADD eth0 /run/netns/x\nDEL eth0 /run/netns/x\n"
                                  "DEL eth0 /run/netns/x\n");
        free(text);

        /* A plugin that is not there: named, with where it was looked for. */
        json_object_set_new(json_array_get(json_object_get(list, "plugins"), 0), "type",
                            json_string("nosuch"));
        assert_true(engine_cni_add(list, &call, &res, &err) < 0);
        assert_non_null(strstr(err.msg, "the CNI plugin \"nosuch\" is not in"));
        unsetenv("CELL_CNI_PATH");
        json_decref(list);
        json_decref(rc);
}

static void test_spawn_capture(void **state)
{
        char a0[] = "sh", a1[] = "-c", a2[] = "cat; echo to-err >&2; exit 3";
        char *argv[] = {a0, a1, a2, NULL};
        spawn_result_t r = {0};
        cell_error_t err = {0};

        (void)state;
        assert_int_equal(spawn_capture("/bin/sh", argv, NULL, "from-stdin\n", &r, &err), 0);
        assert_int_equal(r.status, 3);
        assert_string_equal(r.out, "from-stdin\n");
        assert_string_equal(r.errtext, "to-err\n");
        spawn_result_clear(&r);
        assert_true(spawn_capture("/nonexistent/x", argv, NULL, NULL, &r, &err) < 0);
        assert_non_null(strstr(err.msg, "/nonexistent/x"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hosts_text),
                cmocka_unit_test(test_resolv_text),
                cmocka_unit_test_setup_teardown(test_cni_chain, tu_setup_tmpdir, tu_teardown_tmpdir),
                cmocka_unit_test(test_spawn_capture),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
