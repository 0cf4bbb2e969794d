/* cell: the registries' configuration — which registries may be reached
 * over plain HTTP and which mirrors to try first, from a JSON file:
 * $CELL_CONFIG_DIR/registries.json, else /etc/cell/registries.json (none:
 * nothing configured). Docker's daemon.json keys, plus mirrors for any
 * registry:
 *
 *   {"insecure-registries": ["myhost:5000"],
 *    "registry-mirrors": ["https://mirror.example"],            (Docker Hub's)
 *    "mirrors": {"quay.io": ["https://quay-mirror.example"]}}
 *
 * A mirror is tried before its registry, in order; a mirror that cannot
 * give the image (unreachable, no such manifest, refused) is passed over,
 * and the registry itself comes last. Kept apart from the HTTP client so
 * unit tests reach it without libcurl. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

typedef struct registry_conf {
        char **insecure;
        char **hub_mirrors;
        json_t *mirrors; /* domain -> [url...] */
} registry_conf_t;

/* A missing file is an empty configuration; a malformed one an error that
 * names the file and the field. */
int registry_conf_load(registry_conf_t *c, cell_error_t *err);
int registry_conf_parse(const char *data, size_t len, const char *name, registry_conf_t *c,
                        cell_error_t *err);
void registry_conf_clear(registry_conf_t *c);

bool registry_conf_insecure(const registry_conf_t *c, const char *domain);
/* The mirrors of domain ("docker.io": registry-mirrors too), in order, as
 * a new NULL-terminated vector (empty when none). */
char **registry_conf_mirrors(const registry_conf_t *c, const char *domain);
