/* cell: a repository's tags and a registry's catalog. See listing.h. */
#include "listing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "proto.h"
#include "ref.h"
#include "strutil.h"

#define LIST_MAX 1000

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
                k = registry_name_list_parse(resp.body, resp.body_len, key, url, ret, err);
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
