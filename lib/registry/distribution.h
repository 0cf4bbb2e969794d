/* cell: pull and push through the Distribution (v2) API.
 *
 * pull: the manifest (or index, resolved to this machine's platform) is
 * fetched and verified against the digest asked for or announced, the
 * config and the layers the store lacks are downloaded (several at once),
 * each verified by sha256 as it streams into the store's blob writer and,
 * through a load sink (lib/storage's stage), unpacked as it arrives; only
 * when every blob is stored and verified and the sink has the image ready
 * is the name tagged. A digest mismatch stores nothing under the name.
 *
 * push: each blob is asked for with HEAD and uploaded (POST, then one PUT
 * with ?digest=) only when the registry lacks it, then the manifest is PUT
 * as the store holds its bytes, so its digest stays the same.
 *
 * The library prints nothing: progress goes to an event callback. See
 * docs/design/registry.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "digest.h"
#include "error.h"
#include "store.h"
#include "transfer.h"

/* What happened to one blob, for the command's output. */
typedef enum registry_event_kind {
        REGISTRY_EV_RESOLVED,       /* the manifest is known (text: its digest) */
        REGISTRY_EV_LAYER_EXISTS,   /* pull: in the store already; push: in the registry already */
        REGISTRY_EV_LAYER_WAITING,  /* pull: to be downloaded; push: to be uploaded */
        REGISTRY_EV_LAYER_COMPLETE, /* pull: downloaded and verified; push: uploaded */
        REGISTRY_EV_MIRROR,         /* pull: a mirror has the image (text: its URL) */
        REGISTRY_EV_LAYER_RESUMED,  /* pull: an interrupted download goes on from where it stopped */
        REGISTRY_EV_LAYER_MOUNTED,  /* push: mounted from another repository (text: "DIGEST REPO") */
} registry_event_kind_t;

typedef struct registry_events {
        void *ctx;
        void (*event)(void *ctx, registry_event_kind_t kind, const char *digest);
        /* pull: bytes of a layer in so far (total: its size, -1 unknown);
         * may be NULL. Called for every piece: the receiver throttles. */
        void (*progress)(void *ctx, const char *digest, uint64_t done, int64_t total);
} registry_events_t;

typedef struct registry_pull_result {
        char *name;                           /* the normalised reference tagged */
        char digest[IMAGE_DIGEST_STR_SIZE];   /* of what the reference names (manifest or index) */
        char image_id[IMAGE_DIGEST_STR_SIZE]; /* the config digest */
        bool downloaded;                      /* something new was stored, or the name moved */
} registry_pull_result_t;
void registry_pull_result_clear(registry_pull_result_t *res);

/* The media types a manifest GET accepts. */
extern const char registry_manifest_accept[];

/* Pull REF (normalised here) into the store. SINK (may be NULL) gets each
 * downloaded layer as it streams, and the image before it is tagged. */
int registry_pull(image_store_t *s, const char *ref, const image_load_sink_t *sink,
                  const registry_events_t *ev, registry_pull_result_t *ret, cell_error_t *err);

typedef struct registry_push_result {
        char *name; /* the destination, normalised */
        char *tag;  /* NULL when pushed by digest */
        char digest[IMAGE_DIGEST_STR_SIZE];
        uint64_t size; /* of the manifest */
} registry_push_result_t;
void registry_push_result_clear(registry_push_result_t *res);

/* Push the local image SRC (a reference or an image id) to DEST (a
 * reference; NULL: SRC itself). */
int registry_push(image_store_t *s, const char *src, const char *dest, const registry_events_t *ev,
                  registry_push_result_t *ret, cell_error_t *err);

/* Check credentials against SERVER's /v2/ (as login does): 0 when they are
 * accepted (or none are needed), -EACCES when they are refused. */
int registry_login_check(const char *server_key, const char *user, const char *pass, cell_error_t *err);
