/* cell: the OCI and Docker image manifests and indexes.
 *
 * The boundary where a manifest or an index from a registry, an archive or the
 * store becomes typed structs: each document is parsed and validated once
 * here, with an error that names the field ("manifest.layers[2].digest:
 * expected sha256:<64 lowercase hex>"), and the code that pulls, stores and
 * unpacks trusts the structs. Both formats land in the same structs: a Docker
 * schema 2 manifest is an OCI manifest with other media types, a Docker
 * manifest list is an OCI index. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "imgjson.h"

/* The media types cell knows. Anything else parses as IMAGE_MT_OTHER with its
 * string kept, so that an artifact or a future layer type is refused by the
 * code that would have to understand it, not by the parser. */
typedef enum image_media_type {
        IMAGE_MT_NONE = 0, /* absent */
        IMAGE_MT_OTHER,
        IMAGE_MT_OCI_MANIFEST,
        IMAGE_MT_OCI_INDEX,
        IMAGE_MT_OCI_CONFIG,
        IMAGE_MT_OCI_EMPTY,
        IMAGE_MT_OCI_LAYER_TAR,
        IMAGE_MT_OCI_LAYER_GZIP,
        IMAGE_MT_OCI_LAYER_ZSTD,
        IMAGE_MT_OCI_LAYER_ND_TAR,
        IMAGE_MT_OCI_LAYER_ND_GZIP,
        IMAGE_MT_OCI_LAYER_ND_ZSTD,
        IMAGE_MT_DOCKER_MANIFEST,
        IMAGE_MT_DOCKER_MANIFEST_LIST,
        IMAGE_MT_DOCKER_CONFIG,
        IMAGE_MT_DOCKER_LAYER_GZIP,
        IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP,
        IMAGE_MT_DOCKER_SCHEMA1,
        IMAGE_MT_DOCKER_SCHEMA1_SIGNED,
        IMAGE_MT__MAX,
} image_media_type_t;

typedef enum image_compression {
        IMAGE_COMPRESSION_NONE,
        IMAGE_COMPRESSION_GZIP,
        IMAGE_COMPRESSION_ZSTD,
} image_compression_t;

image_media_type_t image_media_type_from_string(const char *s);
/* The string of a known type; NULL for NONE and OTHER. */
const char *image_media_type_string(image_media_type_t t);
bool image_media_type_is_layer(image_media_type_t t);
/* Layers that registries may refuse to carry (OCI non-distributable, Docker
 * foreign): their blobs may have to come from descriptor.urls. */
bool image_media_type_is_nondistributable(image_media_type_t t);
/* The compression of a layer type; -EINVAL when T is not a layer. */
int image_media_type_compression(image_media_type_t t, image_compression_t *ret);

/* "sha256:" + 64 lowercase hex digits: the only digest cell accepts, since
 * every blob is stored and verified under it. */
#define IMAGE_DIGEST_LEN (7 + 64)
bool image_descriptor_digest_valid(const char *s);

typedef struct image_platform {
        char *architecture;
        char *os;
        char *variant;      /* NULL when absent */
        char *os_version;   /* "os.version" */
        char **os_features; /* "os.features"; NULL when absent */
} image_platform_t;

typedef struct image_descriptor {
        image_media_type_t media_type;
        char *media_type_str; /* as written; kept for IMAGE_MT_OTHER */
        char digest[IMAGE_DIGEST_LEN + 1];
        int64_t size;
        char **urls; /* NULL when absent */
        image_kv_t *annotations;
        size_t n_annotations;
        image_platform_t *platform; /* NULL when absent */
        char *artifact_type;        /* NULL when absent */
} image_descriptor_t;

typedef enum image_doc_kind {
        IMAGE_DOC_OCI_MANIFEST,
        IMAGE_DOC_OCI_INDEX,
        IMAGE_DOC_DOCKER_MANIFEST,
        IMAGE_DOC_DOCKER_MANIFEST_LIST,
} image_doc_kind_t;

typedef struct image_manifest {
        image_doc_kind_t kind;   /* OCI_MANIFEST or DOCKER_MANIFEST */
        bool media_type_present; /* the document named its type */
        image_descriptor_t config;
        image_descriptor_t *layers;
        size_t n_layers;
        image_descriptor_t *subject; /* NULL when absent */
        char *artifact_type;
        image_kv_t *annotations;
        size_t n_annotations;
} image_manifest_t;

typedef struct image_index {
        image_doc_kind_t kind; /* OCI_INDEX or DOCKER_MANIFEST_LIST */
        bool media_type_present;
        image_descriptor_t *manifests;
        size_t n_manifests;
        image_descriptor_t *subject;
        char *artifact_type;
        image_kv_t *annotations;
        size_t n_annotations;
} image_index_t;

/* What a document is, from its mediaType member, else from its shape (OCI
 * lets a manifest or an index leave mediaType out). CONTENT_TYPE (the HTTP
 * Content-Type or the descriptor's mediaType that pointed at the document;
 * may be NULL) must agree with the document when both say something. Schema
 * 1 manifests are refused with a message that says so. */
int image_doc_detect(const char *data, size_t len, const char *content_type, image_doc_kind_t *ret,
                     cell_error_t *err);

/* Parse a manifest (OCI or Docker schema 2); an index is refused. */
image_manifest_t *image_manifest_parse(const char *data, size_t len, const char *content_type,
                                       cell_error_t *err);
void image_manifest_free(image_manifest_t *m);
/* Parse an index (OCI index or Docker manifest list); a manifest is refused. */
image_index_t *image_index_parse(const char *data, size_t len, const char *content_type, cell_error_t *err);
void image_index_free(image_index_t *idx);

/* Deterministic JSON (sorted keys, no whitespace): the same struct always
 * gives the same bytes, hence the same digest. mediaType is written for
 * Docker documents always and for OCI ones when the parsed document had it
 * or it was built here (media_type_present). Returns a malloc'd string and
 * its length, or NULL. */
char *image_manifest_serialize(const image_manifest_t *m, size_t *ret_len, cell_error_t *err);
char *image_index_serialize(const image_index_t *idx, size_t *ret_len, cell_error_t *err);

/* Platforms. */
void image_platform_free(image_platform_t *p);
/* The platform of this machine in the Go names images use (amd64, arm64,
 * arm with variant v7...). Fills RET with malloc'd strings. */
int image_platform_host(image_platform_t *ret, cell_error_t *err);
/* Parse "os/arch[/variant]" (as `--platform` takes it); names are
 * normalised (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7). */
int image_platform_parse(const char *s, image_platform_t *ret, cell_error_t *err);
/* The entry of IDX that runs on WANT: the os and the architecture must be
 * equal (after normalisation); among those, the exact variant wins, then for
 * arm the highest older variant (v7 runs v6 and v5 code), then an entry that
 * names no variant. Ties go to the first in the index, as the registry
 * ordered it. NULL with an error that lists what the index offers. */
const image_descriptor_t *image_index_match(const image_index_t *idx, const image_platform_t *want,
                                            cell_error_t *err);
