/* cell: calling CNI plugins. See cni.h.
 * A plugin runs through spawn_capture: dnsname leaves dnsmasq behind with
 * a copy of its stdout, which must not hold us up (see subprocess.h). */
#include "cni.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "subprocess.h"
#include "strutil.h"

#define CNI_DEFAULT_PATH "/usr/lib/cni:/opt/cni/bin:/usr/libexec/cni"

static const char *cni_path(void)
{
        const char *p = getenv("CELL_CNI_PATH");

        return p && *p ? p : CNI_DEFAULT_PATH;
}

static char *find_plugin(const char *type, cell_error_t *err)
{
        _cleanup_free_ char *dirs = strdup(cni_path());
        char *save = NULL;

        if (!dirs) {
                cell_error_set(err, ENOMEM, "CNI path");
                return NULL;
        }
        if (!*type || strchr(type, '/')) {
                cell_error_plain(err, EINVAL, "invalid CNI plugin type \"%s\"", type);
                return NULL;
        }
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p = str_printf("%s/%s", d, type);

                if (p && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        cell_error_plain(err, ENOENT,
                         "the CNI plugin \"%s\" is not in %s (Debian's containernetworking-plugins; "
                         "CELL_CNI_PATH names other directories)",
                         type, cni_path());
        return NULL;
}

/* The plugin's stdin: its own object of the list, with the list's name
 * and version, the runtime values its capabilities ask for, and the result
 * so far. */
static json_t *plugin_config(json_t *list, json_t *plugin, const engine_cni_call_t *call, json_t *prev)
{
        json_t *c = json_deep_copy(plugin), *caps = json_object_get(plugin, "capabilities");
        const char *k;
        json_t *v;

        if (!c)
                return NULL;
        json_object_set(c, "cniVersion", json_object_get(list, "cniVersion"));
        json_object_set(c, "name", json_object_get(list, "name"));
        if (json_is_object(caps) && call->runtime_config) {
                json_t *rc = json_object();

                json_object_foreach(caps, k,
                                    v) if (json_is_true(v) && json_object_get(call->runtime_config, k))
                        json_object_set(rc, k, json_object_get(call->runtime_config, k));
                json_object_set_new(c, "runtimeConfig", rc);
        }
        if (prev)
                json_object_set(c, "prevResult", prev);
        return c;
}

/* The plugin's error as the spec gives it ({"code", "msg", "details"}),
 * else what it wrote to stderr, else its exit status. */
static int plugin_error(const char *type, const char *cmd, const char *out, const char *errtext, int status,
                        cell_error_t *err)
{
        json_t *j = out && *out ? json_loads(out, 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(j, "msg")),
                   *details = json_string_value(json_object_get(j, "details"));
        int r;

        if (msg)
                r = cell_error_plain(err, EIO, "CNI plugin %s %s: %s%s%s", type, cmd, msg,
                                     details && *details ? ": " : "", details ? details : "");
        else if (errtext && *errtext) {
                size_t n = strlen(errtext);

                while (n && errtext[n - 1] == '\n')
                        n--;
                r = cell_error_plain(err, EIO, "CNI plugin %s %s: %.*s", type, cmd, (int)n, errtext);
        } else
                r = cell_error_plain(err, EIO, "CNI plugin %s %s: exit status %d", type, cmd, status);
        json_decref(j);
        return r;
}

static int call_plugin(const char *cmd, json_t *list, json_t *plugin, const engine_cni_call_t *call,
                       json_t *prev, json_t **ret_result, cell_error_t *err)
{
        const char *type = json_string_value(json_object_get(plugin, "type"));
        _cleanup_free_ char *exe = NULL, *stdin_text = NULL;
        _cleanup_free_ char *e_cmd = NULL, *e_id = NULL, *e_ns = NULL, *e_if = NULL, *e_args = NULL,
                            *e_path = NULL;
        spawn_result_t sr = {0};
        json_t *conf;
        int r = 0;

        if (!type)
                return cell_error_plain(err, EINVAL, "a CNI plugin without a type");
        exe = find_plugin(type, err);
        if (!exe)
                return -1;
        conf = plugin_config(list, plugin, call, prev);
        stdin_text = conf ? json_dumps(conf, JSON_COMPACT) : NULL;
        json_decref(conf);
        e_cmd = str_printf("CNI_COMMAND=%s", cmd);
        e_id = str_printf("CNI_CONTAINERID=%s", call->container_id);
        e_ns = str_printf("CNI_NETNS=%s", call->netns ? call->netns : "");
        e_if = str_printf("CNI_IFNAME=%s", call->ifname);
        e_args = str_printf("CNI_ARGS=%s", call->args ? call->args : "");
        e_path = str_printf("CNI_PATH=%s", cni_path());
        if (!stdin_text || !e_cmd || !e_id || !e_ns || !e_if || !e_args || !e_path)
                return cell_error_set(err, ENOMEM, "CNI %s", type);
        /* The plugins run iptables and sysctl: a PATH of the system's. */
        char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char *envp[] = {e_cmd, e_id, e_ns, e_if, e_args, e_path, path_env, NULL};
        char *argv[] = {(char *)type, NULL};

        if (spawn_capture(exe, argv, envp, stdin_text, &sr, err) < 0)
                return cell_error_prefix(err, "CNI plugin %s", type);
        if (sr.status != 0)
                r = plugin_error(type, cmd, sr.out, sr.errtext, sr.status, err);
        else if (ret_result) {
                json_error_t je;

                *ret_result = NULL;
                if (*sr.out && !(*ret_result = json_loads(sr.out, 0, &je)))
                        r = cell_error_plain(err, EIO, "CNI plugin %s %s: its result is not JSON: %s", type,
                                             cmd, je.text);
        }
        spawn_result_clear(&sr);
        return r;
}

static json_t *plugins_of(json_t *conflist, cell_error_t *err)
{
        json_t *p = json_object_get(conflist, "plugins");

        if (!json_is_array(p) || json_array_size(p) == 0) {
                cell_error_plain(err, EINVAL, "a CNI network list without plugins");
                return NULL;
        }
        return p;
}

int engine_cni_del(json_t *conflist, const engine_cni_call_t *call, json_t *prev_result, cell_error_t *err)
{
        json_t *plugins = plugins_of(conflist, err);
        cell_error_t first = {0};
        int r = 0;

        if (!plugins)
                return -1;
        for (size_t i = json_array_size(plugins); i-- > 0;) {
                cell_error_t e1 = {0};

                if (call_plugin("DEL", conflist, json_array_get(plugins, i), call, prev_result, NULL, &e1) <
                            0 &&
                    r == 0) {
                        first = e1;
                        r = -1;
                }
        }
        if (r < 0)
                *err = first;
        return r;
}

int engine_cni_add(json_t *conflist, const engine_cni_call_t *call, json_t **ret_result, cell_error_t *err)
{
        json_t *plugins = plugins_of(conflist, err), *prev = NULL;
        size_t i;

        if (!plugins)
                return -1;
        for (i = 0; i < json_array_size(plugins); i++) {
                json_t *res = NULL;

                if (call_plugin("ADD", conflist, json_array_get(plugins, i), call, prev, &res, err) < 0)
                        break;
                if (res) {
                        json_decref(prev);
                        prev = res;
                }
        }
        if (i < json_array_size(plugins)) {
                cell_error_t ignored = {0};

                /* Undo the ones that did their part (and the one that
                 * failed: a plugin may have half done it). */
                json_t *done =
                        json_pack("{s:O, s:O, s:[]}", "cniVersion", json_object_get(conflist, "cniVersion"),
                                  "name", json_object_get(conflist, "name"), "plugins");

                for (size_t k = 0; k <= i; k++)
                        json_array_append(json_object_get(done, "plugins"), json_array_get(plugins, k));
                engine_cni_del(done, call, prev, &ignored);
                json_decref(done);
                json_decref(prev);
                return -1;
        }
        *ret_result = prev;
        return 0;
}
