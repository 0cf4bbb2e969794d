/* cell: a repository's tags and a registry's catalog. See listing.h. */
#include "listing.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "ref.h"
#include "strutil.h"

#define LIST_MAX 1000

/* {"KEY": ["a", "b", ...]} -> a string vector; anything else in the
 * array is refused (the answer is the registry's, so untrusted). A null
 * array (Distribution's answer for a repository without tags) is empty. */
static int string_array(const char *body, size_t len, const char *key, const char *what, char ***ret,
                        cell_error_t *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr);
        json_t *arr, *v;
        _cleanup_strv_ char **out = NULL;
        size_t i;
        int k = 0;

        if (!root || !json_is_object(root)) {
                json_decref(root);
                return cell_error_plain(err, EPROTO, "%s: not a JSON object", what);
        }
        out = calloc(1, sizeof(char *));
        if (!out) {
                json_decref(root);
                return cell_error_set(err, ENOMEM, "%s", what);
        }
        arr = json_object_get(root, key);
        if (arr && !json_is_null(arr) && !json_is_array(arr))
                k = cell_error_plain(err, EPROTO, "%s: \"%s\" is not an array", what, key);
        json_array_foreach(arr, i, v)
        {
                if (k < 0)
                        break;
                if (!json_is_string(v) || !*json_string_value(v))
                        k = cell_error_plain(err, EPROTO, "%s: \"%s\"[%zu] is not a name", what, key, i);
                else if (strv_push(&out, json_string_value(v)) < 0)
                        k = cell_error_set(err, ENOMEM, "%s", what);
        }
        json_decref(root);
        if (k < 0)
                return k;
        *ret = steal_pointer(&out);
        return 0;
}

static int get_list(registry_t *r, const char *url, const char *scope, const char *key, char ***ret,
                    cell_error_t *err)
{
        registry_request_t q = {.method = "GET",
                                .url = url,
                                .accept = "application/json",
                                .scope = scope,
                                .body_fd = -1,
                                .max_body = 16u << 20};
        registry_response_t resp = {0};
        int k = registry_do(r, &q, &resp, err);

        if (k < 0)
                return k;
        if (resp.status != 200)
                k = registry_status_error(r, &q, &resp, err);
        else if (!resp.body)
                k = cell_error_plain(err, EPROTO, "GET %s: an empty answer", url);
        else
                k = string_array(resp.body, resp.body_len, key, url, ret, err);
        registry_response_clear(&resp);
        return k;
}

int registry_list_tags(const char *repo, char **ret_name, char ***ret_tags, cell_error_t *err)
{
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_registry_ registry_t *r = NULL;
        _cleanup_free_ char *url = NULL, *scope = NULL, *name = NULL;
        int k;

        if (image_ref_parse(repo, &rr, err) < 0)
                return -1;
        url = str_printf("/v2/%s/tags/list?n=%d", rr->path, LIST_MAX);
        scope = str_printf("repository:%s:pull", rr->path);
        name = str_printf("%s/%s", rr->domain, rr->path);
        if (!url || !scope || !name)
                return cell_error_set(err, ENOMEM, "tags of %s", repo);
        if (registry_open(rr->domain, NULL, NULL, &r, err) < 0)
                return -1;
        k = get_list(r, url, scope, "tags", ret_tags, err);
        if (k < 0)
                return cell_error_prefix(err, "listing the tags of %s", name);
        if (ret_name)
                *ret_name = steal_pointer(&name);
        return 0;
}

int registry_catalog(const char *domain, size_t limit, char ***ret_names, cell_error_t *err)
{
        _cleanup_registry_ registry_t *r = NULL;
        _cleanup_free_ char *url = NULL;
        int k;

        if (limit == 0 || limit > LIST_MAX)
                limit = LIST_MAX;
        url = str_printf("/v2/_catalog?n=%zu", limit);
        if (!url)
                return cell_error_set(err, ENOMEM, "catalog");
        if (registry_open(domain, NULL, NULL, &r, err) < 0)
                return -1;
        k = get_list(r, url, "registry:catalog:*", "repositories", ret_names, err);
        if (k < 0 && err && (err->code == ENOENT || err->code == EACCES))
                return cell_error_prefix(err, "%s does not offer its catalog (/v2/_catalog)", domain);
        if (k < 0)
                return cell_error_prefix(err, "%s: catalog", domain);
        return 0;
}
