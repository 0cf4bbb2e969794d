/* cell: the registries' configuration (see regconf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "regconf.h"
#include "strutil.h"

void registry_conf_clear(registry_conf_t *c)
{
        strv_free(c->insecure);
        strv_free(c->hub_mirrors);
        json_decref(c->mirrors);
        memset(c, 0, sizeof(*c));
}

static bool url_ok(const char *u)
{
        return u && (str_has_prefix(u, "https://") || str_has_prefix(u, "http://")) && strlen(u) > 8 &&
               !strpbrk(u, " \t\r\n");
}

static int strings(json_t *a, const char *name, const char *field, bool urls, char ***ret, cell_error_t *err)
{
        size_t i;
        json_t *v;

        if (!a)
                return 0;
        if (!json_is_array(a))
                return cell_error_plain(err, EINVAL, "%s: %s: expected an array of strings", name, field);
        json_array_foreach(a, i, v)
        {
                const char *s = json_string_value(v);

                if (!s || !*s || (urls && !url_ok(s)))
                        return cell_error_plain(err, EINVAL, "%s: %s[%zu]: expected %s", name, field, i,
                                                urls ? "an http:// or https:// URL" : "a host[:port]");
                if (strv_push(ret, s) < 0)
                        return cell_error_set(err, ENOMEM, "%s", name);
        }
        return 0;
}

int registry_conf_parse(const char *data, size_t len, const char *name, registry_conf_t *c, cell_error_t *err)
{
        json_error_t je;
        json_t *root = json_loadb(data, len, 0, &je), *m;
        const char *domain;
        json_t *list;
        int r = 0;

        memset(c, 0, sizeof(*c));
        if (!root || !json_is_object(root)) {
                json_decref(root);
                return cell_error_plain(err, EINVAL, "%s: line %d: %s", name, je.line,
                                        root ? "expected an object" : je.text);
        }
        r = strings(json_object_get(root, "insecure-registries"), name, "insecure-registries", false,
                    &c->insecure, err);
        if (r == 0)
                r = strings(json_object_get(root, "registry-mirrors"), name, "registry-mirrors", true,
                            &c->hub_mirrors, err);
        m = json_object_get(root, "mirrors");
        if (r == 0 && m && !json_is_object(m))
                r = cell_error_plain(err, EINVAL, "%s: mirrors: expected an object of registry: [URL...]",
                                     name);
        json_object_foreach(r == 0 ? m : NULL, domain, list)
        {
                _cleanup_strv_ char **urls = NULL;
                _cleanup_free_ char *field = str_printf("mirrors.%s", domain);

                r = strings(list, name, field ? field : "mirrors", true, &urls, err);
                if (r < 0)
                        break;
        }
        if (r == 0 && m)
                c->mirrors = json_incref(m);
        json_decref(root);
        if (r < 0)
                registry_conf_clear(c);
        return r;
}

int registry_conf_load(registry_conf_t *c, cell_error_t *err)
{
        const char *dir = getenv("CELL_CONFIG_DIR");
        _cleanup_free_ char *path = str_printf("%s/registries.json", dir && *dir ? dir : "/etc/cell");
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        memset(c, 0, sizeof(*c));
        if (!path)
                return cell_error_set(err, ENOMEM, "registries.json");
        r = fs_read_file(path, 1 << 20, &data, &len, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return cell_error_errno(err, "read %s", path);
        return registry_conf_parse(data, len, path, c, err);
}

bool registry_conf_insecure(const registry_conf_t *c, const char *domain)
{
        for (size_t i = 0; c->insecure && c->insecure[i]; i++)
                if (str_eq(c->insecure[i], domain))
                        return true;
        return false;
}

char **registry_conf_mirrors(const registry_conf_t *c, const char *domain)
{
        char **out = calloc(1, sizeof(*out));
        size_t i;
        json_t *v;

        if (!out)
                return NULL;
        json_array_foreach(json_object_get(c->mirrors, domain), i, v)
        {
                if (json_string_value(v) && strv_push(&out, json_string_value(v)) < 0)
                        goto fail;
        }
        for (i = 0; str_eq(domain, "docker.io") && c->hub_mirrors && c->hub_mirrors[i]; i++)
                if (strv_push(&out, c->hub_mirrors[i]) < 0)
                        goto fail;
        return out;
fail:
        strv_free(out);
        return NULL;
}
