/* cell: the image config (OCI application/vnd.oci.image.config.v1+json and
 * Docker application/vnd.docker.container.image.v1+json, one JSON shape).
 *
 * Parsed once into typed structs with errors that name the field
 * ("config.rootfs.diff_ids[1]: expected sha256:<64 lowercase hex>"), and
 * written back deterministically for commit and build. Members cell does not
 * model (Docker's container_config, docker_version...) are not kept: a config
 * loaded from elsewhere is stored as its own bytes, since its digest is the
 * image id; only configs made here are serialised. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "imgjson.h"
#include "manifest.h"

typedef struct image_healthcheck {
        char **test; /* ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]; NULL inherits */
        int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: default */
        int64_t retries;
} image_healthcheck_t;

/* config.config: what a container of the image runs. Vectors are NULL when
 * absent and empty (non-NULL, first entry NULL) for [], since Docker tells
 * the two apart ("ENTRYPOINT []" clears an inherited entrypoint). */
typedef struct image_run_config {
        char *user;
        char **exposed_ports; /* "80/tcp", sorted */
        char **env;           /* NAME=VALUE, in order */
        char **entrypoint;
        char **cmd;
        char **volumes; /* sorted */
        char *working_dir;
        image_kv_t *labels; /* sorted */
        size_t n_labels;
        char *stop_signal;
        image_healthcheck_t *healthcheck; /* NULL when absent */
        bool args_escaped;
        char **on_build;
        char **shell;
} image_run_config_t;

typedef struct image_history {
        char *created; /* RFC 3339, NULL when absent */
        char *created_by;
        char *author;
        char *comment;
        bool empty_layer;
} image_history_t;

typedef struct image_config {
        char *architecture;
        char *os;
        char *variant;
        char *os_version;
        char **os_features;
        char *created; /* RFC 3339, NULL when absent */
        char *author;
        bool has_config;
        image_run_config_t config;
        char **diff_ids; /* rootfs.diff_ids, "sha256:..." each; never NULL */
        size_t n_diff_ids;
        image_history_t *history;
        size_t n_history;
        /* History is present and its non-empty entries do not number the
         * layers. Docker and the OCI spec expect them to match, but images in
         * the wild break it; "history" shows what it can, nothing fails. */
        bool history_mismatch;
} image_config_t;

image_config_t *image_config_parse(const char *data, size_t len, cell_error_t *err);
void image_config_free(image_config_t *c);

/* One more step of the image's history, made now (created: RFC 3339):
 * with diff_id, one more layer; without, an empty_layer entry. author and
 * comment may be NULL. c->created becomes created too. */
int image_config_add_step(image_config_t *c, const char *created, const char *created_by, const char *author,
                          const char *comment, const char *diff_id, cell_error_t *err);

/* Deterministic JSON (sorted keys, no whitespace; absent members left out). */
char *image_config_serialize(const image_config_t *c, size_t *ret_len, cell_error_t *err);

/* An RFC 3339 date-time as the spec requires of "created"
 * (2006-01-02T15:04:05[.frac](Z|+07:00)). */
bool image_config_date_valid(const char *s);

/* "sha256:<hex>" of DATA into RET; 0 or -EIO. */
int image_config_digest_of(const void *data, size_t len, char ret[IMAGE_DIGEST_LEN + 1]);

/* The chain ids of a stack of layers, from their diff ids (OCI image-spec):
 * ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
 * DiffID(Ln)), each as "sha256:<hex>". The unpacked-layer cache is keyed by
 * them, so one layer below different parents is unpacked apart. RET gets a
 * NULL-terminated vector of N entries. */
int image_chain_ids(char *const *diff_ids, size_t n, char ***ret, cell_error_t *err);
