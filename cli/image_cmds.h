/* cell: what the image commands share (image_cmds.c, image_layers.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "config.h"
#include "digest.h"
#include "manifest.h"
#include "store.h"

/* One image of the store: the index entries that reach the same config
 * (the image id), with the manifest and config parsed. */
typedef struct img {
        char id[IMAGE_DIGEST_STR_SIZE]; /* the config digest */
        char **refs;                    /* normalised names; NULL when none */
        bool unnamed;                   /* an entry without a name reaches it too */
        bool intermediate;              /* that entry is a build step's (io.cell.build.intermediate) */
        char *manifest_digest;          /* the manifest (for an index: the host's) */
        char *media_type;               /* of the index entry */
        image_manifest_t *manifest;
        image_config_t *config;
        json_t *config_json; /* the config as stored, for inspect's Config */
        int64_t created;     /* seconds; 0 when unknown */
        bool created_known;
        int64_t size; /* the layers' blob sizes */
} img_t;

typedef struct img_set {
        img_t *v;
        size_t n;
} img_set_t;

int img_open_store(const cli_global_t *g, image_store_t **ret, cell_error_t *err);
/* Entries that cannot be read are skipped with a warning on stderr. */
int img_set_load(image_store_t *s, img_set_t *set, cell_error_t *err);
void img_set_free(img_set_t *set);
void img_set_free_one(img_t *im);
int img_find(img_set_t *set, const char *arg, img_t **ret, char **ret_ref, cell_error_t *err);

/* Whether a container (running or stopped) was made from IM. */
bool img_in_use_by_container(const cli_global_t *g, const img_t *im);
/* The same, naming the newest such container (64 hex) and whether it runs. */
bool img_container_using(const cli_global_t *g, const img_t *im, char ret_id[65], bool *ret_running);

/* Remove the dangling images (all: every image no container was made
 * from), printing docker's "Deleted Images:" block as it goes; ret_any:
 * whether it printed one; ret_bytes: the blob bytes freed. */
int img_prune(const cli_global_t *g, bool all, uint64_t *ret_bytes, bool *ret_any, cell_error_t *err);

/* volume_cmds.c: system prune; docker's units.HumanSize (4 digits) for the
 * prune commands' "Total reclaimed space:". */
int cmd_system_prune(const cli_global_t *g, int argc, char **argv);
void cli_prune_size(uint64_t bytes, char *buf, size_t n);
/* docker's prompt ("... [y/N] "): true when the answer is yes. */
bool cli_confirm(const char *warning);
/* "k=v" (or "k": an empty value) into obj. */
void cli_put_kv(json_t *obj, const char *kv);

/* engine_info_cmds.c: lines of tab-separated cells aligned as docker's
 * tabwriter (minimum width 10, padding 3, blanks). */
void cli_print_tabbed(char *const *lines);

/* A --format "table BODY": the header (BODY over HEADS, the columns' names
 * by field; HEADS is taken), then BODY for each row, aligned as above. */
int cli_print_table(json_t *rows, const char *body, json_t *heads, cell_error_t *err);

/* network_cmds.c: remove the unused networks, printing docker's "Deleted
 * Networks:" block (ret_any: whether it printed one). */
int cli_prune_networks(struct engine *e, bool *ret_any, cell_error_t *err);
/* docker ps's PORTS of NetworkSettings.Ports ("0.0.0.0:8080->80/tcp,
 * 443/tcp"); NULL only without memory. */
char *cli_ports_string(json_t *ports);
/* docker port's lines ("80/tcp -> 0.0.0.0:8080"), sorted; with PORT
 * ("80", "80/udp") only its bindings ("0.0.0.0:8080"): -ENOENT when it
 * has none, -EINVAL when PORT is no port. */
int cli_port_lines(json_t *ports, const char *port, char ***ret);

/* go-units' HumanSizeWithPrecision(size, 3): "4.27MB". */
void img_human_size(int64_t size, char *buf, size_t n);
/* "3 days ago"; "N/A" when !known. */
void img_since(int64_t created, bool known, char *buf, size_t n);
bool img_parse_time(const char *s, int64_t *ret);

/* image_layers.c: cell image layers IMAGE */
int cmd_image_layers(const cli_global_t *g, int argc, char **argv);

/* An image's inspect object (for `inspect` of a name that is no container). */
int img_inspect_one(const cli_global_t *g, const char *name, json_t **ret, cell_error_t *err);
