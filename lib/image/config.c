/* cell: image configs: parse, validate, serialise; chain ids. */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"
#include "strutil.h"

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

bool image_config_date_valid(const char *s)
{
        /* 2006-01-02T15:04:05 */
        if (!s || strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
            !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
            !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
                return false;
        s += 19;
        if (*s == '.') {
                s++;
                if (!digits(s, 1))
                        return false;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        if (*s == 'Z' || *s == 'z')
                return s[1] == '\0';
        return (*s == '+' || *s == '-') && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2) &&
               s[6] == '\0';
}

static void healthcheck_free(image_healthcheck_t *h)
{
        if (!h)
                return;
        strv_free(h->test);
        free(h);
}

static void run_config_clear(image_run_config_t *r)
{
        free(r->user);
        strv_free(r->exposed_ports);
        strv_free(r->env);
        strv_free(r->entrypoint);
        strv_free(r->cmd);
        strv_free(r->volumes);
        free(r->working_dir);
        image_kv_free(r->labels, r->n_labels);
        free(r->stop_signal);
        healthcheck_free(r->healthcheck);
        strv_free(r->on_build);
        strv_free(r->shell);
}

void image_config_free(image_config_t *c)
{
        if (!c)
                return;
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->os_version);
        strv_free(c->os_features);
        free(c->created);
        free(c->author);
        run_config_clear(&c->config);
        strv_free(c->diff_ids);
        for (size_t i = 0; i < c->n_history; i++) {
                free(c->history[i].created);
                free(c->history[i].created_by);
                free(c->history[i].author);
                free(c->history[i].comment);
        }
        free(c->history);
        free(c);
}

static int parse_date(json_t *o, const char *key, const char *at, char **ret, cell_error_t *err)
{
        char f[512];
        int r = ij_string(o, key, false, at, ret, err);

        if (r < 0)
                return r;
        if (*ret && !image_config_date_valid(*ret))
                return ij_error(err, ij_path(f, sizeof f, at, key),
                                "an RFC 3339 date (2006-01-02T15:04:05Z)");
        return 0;
}

/* "80", "80/tcp", "53/udp", "132/sctp": what Docker accepts in EXPOSE. */
static bool port_valid(const char *p)
{
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        long v;
        char buf[8];

        if (n == 0 || n > 5 || !digits(p, n))
                return false;
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (str_to_long(buf, 0, 65535, &v) < 0)
                return false;
        return !slash || str_eq(slash + 1, "tcp") || str_eq(slash + 1, "udp") || str_eq(slash + 1, "sctp");
}

static int parse_healthcheck(json_t *o, const char *at, image_healthcheck_t **ret, cell_error_t *err)
{
        image_healthcheck_t *h;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return cell_error_set(err, ENOMEM, "%s", at);
        r = ij_strv(o, "Test", at, &h->test, err);
        if (r >= 0)
                r = ij_int(o, "Interval", false, 0, INT64_MAX, at, &h->interval_ns, NULL, err);
        if (r >= 0)
                r = ij_int(o, "Timeout", false, 0, INT64_MAX, at, &h->timeout_ns, NULL, err);
        if (r >= 0)
                r = ij_int(o, "StartPeriod", false, 0, INT64_MAX, at, &h->start_period_ns, NULL, err);
        if (r >= 0)
                r = ij_int(o, "StartInterval", false, 0, INT64_MAX, at, &h->start_interval_ns, NULL, err);
        if (r >= 0)
                r = ij_int(o, "Retries", false, 0, INT32_MAX, at, &h->retries, NULL, err);
        if (r < 0) {
                healthcheck_free(h);
                return r;
        }
        *ret = h;
        return 0;
}

static int parse_run_config(json_t *o, const char *at, image_run_config_t *rc, cell_error_t *err)
{
        char f[512], fi[1024];
        json_t *h;
        int r;

        if ((r = ij_string(o, "User", false, at, &rc->user, err)) < 0 ||
            (r = ij_keys(o, "ExposedPorts", at, &rc->exposed_ports, err)) < 0 ||
            (r = ij_strv(o, "Env", at, &rc->env, err)) < 0 ||
            (r = ij_strv(o, "Entrypoint", at, &rc->entrypoint, err)) < 0 ||
            (r = ij_strv(o, "Cmd", at, &rc->cmd, err)) < 0 ||
            (r = ij_keys(o, "Volumes", at, &rc->volumes, err)) < 0 ||
            (r = ij_string(o, "WorkingDir", false, at, &rc->working_dir, err)) < 0 ||
            (r = ij_kv(o, "Labels", at, &rc->labels, &rc->n_labels, err)) < 0 ||
            (r = ij_string(o, "StopSignal", false, at, &rc->stop_signal, err)) < 0 ||
            (r = ij_bool(o, "ArgsEscaped", at, &rc->args_escaped, err)) < 0 ||
            (r = ij_strv(o, "OnBuild", at, &rc->on_build, err)) < 0 ||
            (r = ij_strv(o, "Shell", at, &rc->shell, err)) < 0)
                return r;
        for (size_t i = 0; rc->exposed_ports && rc->exposed_ports[i]; i++)
                if (!port_valid(rc->exposed_ports[i])) {
                        snprintf(fi, sizeof fi, "%s.ExposedPorts.%s", at, rc->exposed_ports[i]);
                        return ij_error(err, fi, "PORT[/tcp|/udp|/sctp] with PORT in 0-65535");
                }
        /* An environment entry without "=" cannot be passed to execve as
         * the image meant it; the spec says VARNAME=VARVALUE. */
        for (size_t i = 0; rc->env && rc->env[i]; i++)
                if (!strchr(rc->env[i], '=') || rc->env[i][0] == '=')
                        return ij_error(err, ij_index(fi, sizeof fi, ij_path(f, sizeof f, at, "Env"), i),
                                        "NAME=VALUE");
        h = ij_member(o, "Healthcheck", JSON_OBJECT, at, &r, err);
        if (r < 0)
                return r;
        if (h)
                return parse_healthcheck(h, ij_path(f, sizeof f, at, "Healthcheck"), &rc->healthcheck, err);
        return 0;
}

static int parse_history(json_t *root, const char *at, image_config_t *c, cell_error_t *err)
{
        char f[512], fi[560];
        size_t non_empty = 0;
        int r;
        json_t *a = ij_member(root, "history", JSON_ARRAY, at, &r, err);

        if (r < 0 || !a)
                return r;
        ij_path(f, sizeof f, at, "history");
        c->history = calloc(json_array_size(a) + 1, sizeof(*c->history));
        if (!c->history)
                return cell_error_set(err, ENOMEM, "%s", f);
        for (size_t i = 0; i < json_array_size(a); i++) {
                json_t *e = json_array_get(a, i);
                image_history_t *h = &c->history[i];

                ij_index(fi, sizeof fi, f, i);
                if (!json_is_object(e))
                        return ij_error(err, fi, "an object");
                c->n_history = i + 1;
                if ((r = parse_date(e, "created", fi, &h->created, err)) < 0 ||
                    (r = ij_string(e, "created_by", false, fi, &h->created_by, err)) < 0 ||
                    (r = ij_string(e, "author", false, fi, &h->author, err)) < 0 ||
                    (r = ij_string(e, "comment", false, fi, &h->comment, err)) < 0 ||
                    (r = ij_bool(e, "empty_layer", fi, &h->empty_layer, err)) < 0)
                        return r;
                if (!h->empty_layer)
                        non_empty++;
        }
        c->history_mismatch = non_empty != c->n_diff_ids;
        return 0;
}

static int parse_rootfs(json_t *root, const char *at, image_config_t *c, cell_error_t *err)
{
        char f[512], fi[560];
        _cleanup_free_ char *type = NULL;
        json_t *rootfs;
        int r;

        rootfs = ij_member(root, "rootfs", JSON_OBJECT, at, &r, err);
        if (r < 0)
                return r;
        ij_path(f, sizeof f, at, "rootfs");
        if (!rootfs)
                return ij_error(err, f, "an object (it is required)");
        r = ij_string(rootfs, "type", true, f, &type, err);
        if (r < 0)
                return r;
        if (strcmp(type, "layers") != 0)
                return ij_error(err, ij_path(fi, sizeof fi, f, "type"), "\"layers\"");
        r = ij_strv(rootfs, "diff_ids", f, &c->diff_ids, err);
        if (r < 0)
                return r;
        if (!c->diff_ids)
                return ij_error(err, ij_path(fi, sizeof fi, f, "diff_ids"), "an array (it is required)");
        c->n_diff_ids = strv_length(c->diff_ids);
        for (size_t i = 0; i < c->n_diff_ids; i++)
                if (!image_descriptor_digest_valid(c->diff_ids[i])) {
                        char fd[600];

                        snprintf(fd, sizeof fd, "%s.diff_ids[%zu]", f, i);
                        return ij_error(err, fd, "sha256:<64 lowercase hex>");
                }
        return 0;
}

image_config_t *image_config_parse(const char *data, size_t len, cell_error_t *err)
{
        const char *at = "config";
        _cleanup_free_ image_config_t *c = NULL;
        json_error_t jerr;
        json_t *root, *rc;
        int r;

        /* Duplicate keys refused for the reason given in manifest.c: one
         * digest must mean one image to every reader. */
        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                cell_error_plain(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", at, jerr.line,
                                 jerr.column, jerr.text);
                return NULL;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                cell_error_plain(err, EINVAL, "%s: expected a JSON object", at);
                return NULL;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                json_decref(root);
                cell_error_set(err, ENOMEM, "%s", at);
                return NULL;
        }
        if ((r = ij_string(root, "architecture", true, at, &c->architecture, err)) < 0 ||
            (r = ij_string(root, "os", true, at, &c->os, err)) < 0 ||
            (r = ij_string(root, "variant", false, at, &c->variant, err)) < 0 ||
            (r = ij_string(root, "os.version", false, at, &c->os_version, err)) < 0 ||
            (r = ij_strv(root, "os.features", at, &c->os_features, err)) < 0 ||
            (r = parse_date(root, "created", at, &c->created, err)) < 0 ||
            (r = ij_string(root, "author", false, at, &c->author, err)) < 0)
                goto fail;
        rc = ij_member(root, "config", JSON_OBJECT, at, &r, err);
        if (r < 0)
                goto fail;
        if (rc) {
                c->has_config = true;
                r = parse_run_config(rc, "config.config", &c->config, err);
                if (r < 0)
                        goto fail;
        }
        if ((r = parse_rootfs(root, at, c, err)) < 0 || (r = parse_history(root, at, c, err)) < 0)
                goto fail;
        json_decref(root);
        return steal_pointer(&c);
fail:
        json_decref(root);
        image_config_free(steal_pointer(&c));
        return NULL;
}

static int set_ns(json_t *o, const char *key, int64_t v)
{
        return v ? ij_set_int(o, key, v) : 0;
}

static json_t *run_config_json(const image_run_config_t *rc)
{
        json_t *o = json_object(), *h = NULL;

        if (!o || ij_set_string(o, "User", rc->user) < 0 ||
            ij_set_keys(o, "ExposedPorts", rc->exposed_ports) < 0 || ij_set_strv(o, "Env", rc->env) < 0 ||
            ij_set_strv(o, "Entrypoint", rc->entrypoint) < 0 || ij_set_strv(o, "Cmd", rc->cmd) < 0 ||
            ij_set_keys(o, "Volumes", rc->volumes) < 0 ||
            ij_set_string(o, "WorkingDir", rc->working_dir) < 0 ||
            ij_set_kv(o, "Labels", rc->labels, rc->n_labels) < 0 ||
            ij_set_string(o, "StopSignal", rc->stop_signal) < 0 ||
            (rc->args_escaped && json_object_set_new(o, "ArgsEscaped", json_true()) < 0) ||
            ij_set_strv(o, "OnBuild", rc->on_build) < 0 || ij_set_strv(o, "Shell", rc->shell) < 0)
                goto fail;
        if (rc->healthcheck) {
                const image_healthcheck_t *hc = rc->healthcheck;

                h = json_object();
                if (!h || ij_set_strv(h, "Test", hc->test) < 0 ||
                    set_ns(h, "Interval", hc->interval_ns) < 0 || set_ns(h, "Timeout", hc->timeout_ns) < 0 ||
                    set_ns(h, "StartPeriod", hc->start_period_ns) < 0 ||
                    set_ns(h, "StartInterval", hc->start_interval_ns) < 0 ||
                    set_ns(h, "Retries", hc->retries) < 0)
                        goto fail;
                if (json_object_set_new(o, "Healthcheck", h) < 0) {
                        h = NULL;
                        goto fail;
                }
        }
        return o;
fail:
        json_decref(h);
        json_decref(o);
        return NULL;
}

static json_t *history_json(const image_config_t *c)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < c->n_history; i++) {
                const image_history_t *h = &c->history[i];
                json_t *e = json_object();

                if (!e || ij_set_string(e, "created", h->created) < 0 ||
                    ij_set_string(e, "created_by", h->created_by) < 0 ||
                    ij_set_string(e, "author", h->author) < 0 ||
                    ij_set_string(e, "comment", h->comment) < 0 ||
                    (h->empty_layer && json_object_set_new(e, "empty_layer", json_true()) < 0) ||
                    json_array_append_new(a, e) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

char *image_config_serialize(const image_config_t *c, size_t *ret_len, cell_error_t *err)
{
        json_t *o = json_object(), *rootfs = json_object();
        char *s;

        if (!o || !rootfs || ij_set_string(rootfs, "type", "layers") < 0 ||
            ij_set_strv(rootfs, "diff_ids", c->diff_ids) < 0 ||
            (!c->diff_ids && json_object_set_new(rootfs, "diff_ids", json_array()) < 0))
                goto fail;
        if (json_object_set_new(o, "rootfs", rootfs) < 0) {
                rootfs = NULL;
                goto fail;
        }
        rootfs = NULL;
        if (ij_set_string(o, "architecture", c->architecture) < 0 || ij_set_string(o, "os", c->os) < 0 ||
            ij_set_string(o, "variant", c->variant) < 0 ||
            ij_set_string(o, "os.version", c->os_version) < 0 ||
            ij_set_strv(o, "os.features", c->os_features) < 0 ||
            ij_set_string(o, "created", c->created) < 0 || ij_set_string(o, "author", c->author) < 0 ||
            (c->has_config && json_object_set_new(o, "config", run_config_json(&c->config)) < 0) ||
            (c->history && json_object_set_new(o, "history", history_json(c)) < 0))
                goto fail;
        /* Sorted keys, no whitespace: see image_manifest_serialize. */
        s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (!s) {
                cell_error_set(err, ENOMEM, "serialising the config");
                return NULL;
        }
        if (ret_len)
                *ret_len = strlen(s);
        return s;
fail:
        json_decref(rootfs);
        json_decref(o);
        cell_error_set(err, ENOMEM, "serialising the config");
        return NULL;
}

int image_config_digest_of(const void *data, size_t len, char out[IMAGE_DIGEST_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;

        if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
                return -EIO;
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < md_len; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        out[IMAGE_DIGEST_LEN] = '\0';
        return 0;
}

int image_chain_ids(char *const *diff_ids, size_t n, char ***ret, cell_error_t *err)
{
        _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
        char buf[2 * IMAGE_DIGEST_LEN + 2];

        if (!v)
                return cell_error_set(err, ENOMEM, "chain ids");
        for (size_t i = 0; i < n; i++) {
                if (!image_descriptor_digest_valid(diff_ids[i]))
                        return cell_error_plain(err, EINVAL,
                                                "diff_ids[%zu]: expected sha256:<64 lowercase hex>", i);
                v[i] = malloc(IMAGE_DIGEST_LEN + 1);
                if (!v[i])
                        return cell_error_set(err, ENOMEM, "chain ids");
                if (i == 0) {
                        memcpy(v[i], diff_ids[0], IMAGE_DIGEST_LEN + 1);
                        continue;
                }
                snprintf(buf, sizeof buf, "%s %s", v[i - 1], diff_ids[i]);
                if (image_config_digest_of(buf, strlen(buf), v[i]) < 0)
                        return cell_error_set(err, EIO, "chain ids: sha256 failed");
        }
        *ret = steal_pointer(&v);
        return 0;
}

int image_config_add_step(image_config_t *c, const char *created, const char *created_by, const char *author,
                          const char *comment, const char *diff_id, cell_error_t *err)
{
        image_history_t *h;

        if (diff_id) {
                char **ids = realloc(c->diff_ids, (c->n_diff_ids + 2) * sizeof(*ids));

                if (!ids)
                        return cell_error_set(err, ENOMEM, "history");
                c->diff_ids = ids;
                ids[c->n_diff_ids] = strdup(diff_id);
                ids[c->n_diff_ids + 1] = NULL;
                if (!ids[c->n_diff_ids])
                        return cell_error_set(err, ENOMEM, "history");
                c->n_diff_ids++;
        }
        h = realloc(c->history, (c->n_history + 1) * sizeof(*h));
        if (!h)
                return cell_error_set(err, ENOMEM, "history");
        c->history = h;
        h = &c->history[c->n_history++];
        memset(h, 0, sizeof(*h));
        h->created = strdup(created);
        h->created_by = strdup(created_by ? created_by : "");
        h->author = author && *author ? strdup(author) : NULL;
        h->comment = comment && *comment ? strdup(comment) : NULL;
        h->empty_layer = diff_id == NULL;
        free(c->created);
        c->created = strdup(created);
        if (!h->created || !h->created_by || !c->created)
                return cell_error_set(err, ENOMEM, "history");
        return 0;
}
