/* cell: what a registry lists: a repository's tags (/v2/NAME/tags/list,
 * for `cell pull --all-tags`) and the repositories it holds
 * (/v2/_catalog, for `cell search`). Distribution pages both lists with
 * ?n= (at most 1000) and a Link header to the next page; one page of 1000
 * is asked for and the Link header is not followed yet, so a longer list
 * is cut there. See docs/design/registry.md. */
#pragma once
#include <stddef.h>

#include "error.h"

/* The tags of REPO (a reference without tag or digest, normalised here:
 * "127.0.0.1:5000/bb", "debian"), in the registry's order (Distribution
 * sorts them). RET_NAME gets the normalised repository name ("host/path"). */
int registry_list_tags(const char *repo, char **ret_name, char ***ret_tags, cell_error_t *err);

/* Up to LIMIT (0: 1000) repository names of the registry DOMAIN
 * ("127.0.0.1:5000", "docker.io"). A registry that does not offer its
 * catalog (Docker Hub, most hosted registries) is an error that names it. */
int registry_catalog(const char *domain, size_t limit, char ***ret_names, cell_error_t *err);
