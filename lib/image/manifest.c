/* cell: OCI and Docker manifests and indexes: parse, validate, serialise,
 * and pick the manifest of an index for a platform. */
#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "strutil.h"

/* Registries refuse manifests above 4 MiB; so do we, before jansson
 * allocates for a hostile document. */
#define MANIFEST_MAX (4 * 1024 * 1024)

static const char *const media_types[IMAGE_MT__MAX] = {
        [IMAGE_MT_OCI_MANIFEST] = "application/vnd.oci.image.manifest.v1+json",
        [IMAGE_MT_OCI_INDEX] = "application/vnd.oci.image.index.v1+json",
        [IMAGE_MT_OCI_CONFIG] = "application/vnd.oci.image.config.v1+json",
        [IMAGE_MT_OCI_EMPTY] = "application/vnd.oci.empty.v1+json",
        [IMAGE_MT_OCI_LAYER_TAR] = "application/vnd.oci.image.layer.v1.tar",
        [IMAGE_MT_OCI_LAYER_GZIP] = "application/vnd.oci.image.layer.v1.tar+gzip",
        [IMAGE_MT_OCI_LAYER_ZSTD] = "application/vnd.oci.image.layer.v1.tar+zstd",
        [IMAGE_MT_OCI_LAYER_ND_TAR] = "application/vnd.oci.image.layer.nondistributable.v1.tar",
        [IMAGE_MT_OCI_LAYER_ND_GZIP] = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        [IMAGE_MT_OCI_LAYER_ND_ZSTD] = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        [IMAGE_MT_DOCKER_MANIFEST] = "application/vnd.docker.distribution.manifest.v2+json",
        [IMAGE_MT_DOCKER_MANIFEST_LIST] = "application/vnd.docker.distribution.manifest.list.v2+json",
        [IMAGE_MT_DOCKER_CONFIG] = "application/vnd.docker.container.image.v1+json",
        [IMAGE_MT_DOCKER_LAYER_GZIP] = "application/vnd.docker.image.rootfs.diff.tar.gzip",
        [IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        [IMAGE_MT_DOCKER_SCHEMA1] = "application/vnd.docker.distribution.manifest.v1+json",
        [IMAGE_MT_DOCKER_SCHEMA1_SIGNED] = "application/vnd.docker.distribution.manifest.v1+prettyjws",
};

image_media_type_t image_media_type_from_string(const char *s)
{
        if (!s)
                return IMAGE_MT_NONE;
        for (int t = IMAGE_MT_OTHER + 1; t < IMAGE_MT__MAX; t++)
                if (strcmp(s, media_types[t]) == 0)
                        return (image_media_type_t)t;
        return IMAGE_MT_OTHER;
}

const char *image_media_type_string(image_media_type_t t)
{
        if (t <= IMAGE_MT_OTHER || t >= IMAGE_MT__MAX)
                return NULL;
        return media_types[t];
}

int image_media_type_compression(image_media_type_t t, image_compression_t *ret)
{
        switch (t) {
        case IMAGE_MT_OCI_LAYER_TAR:
        case IMAGE_MT_OCI_LAYER_ND_TAR:
                *ret = IMAGE_COMPRESSION_NONE;
                return 0;
        case IMAGE_MT_OCI_LAYER_GZIP:
        case IMAGE_MT_OCI_LAYER_ND_GZIP:
        case IMAGE_MT_DOCKER_LAYER_GZIP:
        case IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP:
                *ret = IMAGE_COMPRESSION_GZIP;
                return 0;
        case IMAGE_MT_OCI_LAYER_ZSTD:
        case IMAGE_MT_OCI_LAYER_ND_ZSTD:
                *ret = IMAGE_COMPRESSION_ZSTD;
                return 0;
        default:
                return -EINVAL;
        }
}

bool image_media_type_is_layer(image_media_type_t t)
{
        image_compression_t c;

        return image_media_type_compression(t, &c) == 0;
}

bool image_media_type_is_nondistributable(image_media_type_t t)
{
        return t == IMAGE_MT_OCI_LAYER_ND_TAR || t == IMAGE_MT_OCI_LAYER_ND_GZIP ||
               t == IMAGE_MT_OCI_LAYER_ND_ZSTD || t == IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP;
}

bool image_descriptor_digest_valid(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != IMAGE_DIGEST_LEN)
                return false;
        for (const char *p = s + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* ---- parsing ---- */

void image_platform_free(image_platform_t *p)
{
        if (!p)
                return;
        free(p->architecture);
        free(p->os);
        free(p->variant);
        free(p->os_version);
        strv_free(p->os_features);
        memset(p, 0, sizeof(*p));
}

static void descriptor_clear(image_descriptor_t *d)
{
        free(d->media_type_str);
        strv_free(d->urls);
        image_kv_free(d->annotations, d->n_annotations);
        if (d->platform) {
                image_platform_free(d->platform);
                free(d->platform);
        }
        free(d->artifact_type);
        memset(d, 0, sizeof(*d));
}

static void descriptors_free(image_descriptor_t *d, size_t n)
{
        if (!d)
                return;
        for (size_t i = 0; i < n; i++)
                descriptor_clear(&d[i]);
        free(d);
}

static int parse_platform(json_t *o, const char *at, image_platform_t *p, cell_error_t *err)
{
        int r;

        r = ij_string(o, "architecture", true, at, &p->architecture, err);
        if (r >= 0)
                r = ij_string(o, "os", true, at, &p->os, err);
        if (r >= 0)
                r = ij_string(o, "variant", false, at, &p->variant, err);
        if (r >= 0)
                r = ij_string(o, "os.version", false, at, &p->os_version, err);
        if (r >= 0)
                r = ij_strv(o, "os.features", at, &p->os_features, err);
        return r;
}

static int parse_descriptor(json_t *o, const char *at, image_descriptor_t *d, cell_error_t *err)
{
        char f[512];
        _cleanup_free_ char *digest = NULL;
        json_t *pl;
        int r;

        if (!json_is_object(o))
                return ij_error(err, at, "an object (a descriptor)");
        r = ij_string(o, "mediaType", true, at, &d->media_type_str, err);
        if (r < 0)
                return r;
        d->media_type = image_media_type_from_string(d->media_type_str);
        r = ij_string(o, "digest", true, at, &digest, err);
        if (r < 0)
                return r;
        if (!image_descriptor_digest_valid(digest))
                return ij_error(err, ij_path(f, sizeof f, at, "digest"), "sha256:<64 lowercase hex>");
        memcpy(d->digest, digest, IMAGE_DIGEST_LEN + 1);
        r = ij_int(o, "size", true, 0, INT64_MAX, at, &d->size, NULL, err);
        if (r < 0)
                return r;
        r = ij_strv(o, "urls", at, &d->urls, err);
        if (r < 0)
                return r;
        r = ij_kv(o, "annotations", at, &d->annotations, &d->n_annotations, err);
        if (r < 0)
                return r;
        r = ij_string(o, "artifactType", false, at, &d->artifact_type, err);
        if (r < 0)
                return r;
        pl = ij_member(o, "platform", JSON_OBJECT, at, &r, err);
        if (r < 0)
                return r;
        if (pl) {
                d->platform = calloc(1, sizeof(*d->platform));
                if (!d->platform)
                        return cell_error_set(err, ENOMEM, "%s", at);
                r = parse_platform(pl, ij_path(f, sizeof f, at, "platform"), d->platform, err);
        }
        return r;
}

static int parse_descriptors(json_t *obj, const char *key, const char *at, image_descriptor_t **ret,
                             size_t *ret_n, cell_error_t *err)
{
        char f[512], fi[560];
        image_descriptor_t *d;
        size_t n;
        int r;
        json_t *a = ij_member(obj, key, JSON_ARRAY, at, &r, err);

        if (r < 0)
                return r;
        ij_path(f, sizeof f, at, key);
        if (!a)
                return ij_error(err, f, "an array (it is required)");
        n = json_array_size(a);
        d = calloc(n + 1, sizeof(*d));
        if (!d)
                return cell_error_set(err, ENOMEM, "%s", f);
        for (size_t i = 0; i < n; i++) {
                r = parse_descriptor(json_array_get(a, i), ij_index(fi, sizeof fi, f, i), &d[i], err);
                if (r < 0) {
                        descriptors_free(d, i + 1);
                        return r;
                }
        }
        *ret = d;
        *ret_n = n;
        return 0;
}

static json_t *load_document(const char *data, size_t len, const char *what, cell_error_t *err)
{
        json_error_t jerr;
        json_t *root;

        if (len > MANIFEST_MAX) {
                cell_error_plain(err, EFBIG, "%s: larger than %d bytes", what, MANIFEST_MAX);
                return NULL;
        }
        /* Duplicate keys are refused: two parsers that keep different copies
         * of "layers" would see two different images under one digest. */
        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                cell_error_plain(err, EINVAL, "%s: invalid JSON at line %d column %d: %s", what, jerr.line,
                                 jerr.column, jerr.text);
                return NULL;
        }
        if (!json_is_object(root)) {
                json_decref(root);
                cell_error_plain(err, EINVAL, "%s: expected a JSON object", what);
                return NULL;
        }
        return root;
}

static const char *kind_name(image_doc_kind_t k)
{
        switch (k) {
        case IMAGE_DOC_OCI_MANIFEST:
                return "an OCI image manifest";
        case IMAGE_DOC_OCI_INDEX:
                return "an OCI image index";
        case IMAGE_DOC_DOCKER_MANIFEST:
                return "a Docker schema 2 manifest";
        case IMAGE_DOC_DOCKER_MANIFEST_LIST:
                return "a Docker manifest list";
        default:
                return "an unknown document";
        }
}

static int kind_of_media_type(image_media_type_t t, image_doc_kind_t *ret)
{
        switch (t) {
        case IMAGE_MT_OCI_MANIFEST:
                *ret = IMAGE_DOC_OCI_MANIFEST;
                return 0;
        case IMAGE_MT_OCI_INDEX:
                *ret = IMAGE_DOC_OCI_INDEX;
                return 0;
        case IMAGE_MT_DOCKER_MANIFEST:
                *ret = IMAGE_DOC_DOCKER_MANIFEST;
                return 0;
        case IMAGE_MT_DOCKER_MANIFEST_LIST:
                *ret = IMAGE_DOC_DOCKER_MANIFEST_LIST;
                return 0;
        default:
                return -EINVAL;
        }
}

static bool is_index_kind(image_doc_kind_t k)
{
        return k == IMAGE_DOC_OCI_INDEX || k == IMAGE_DOC_DOCKER_MANIFEST_LIST;
}

static int refuse_schema1(cell_error_t *err, const char *at)
{
        return cell_error_plain(err, ENOTSUP,
                                "%s: Docker schema 1 manifests are not supported (deprecated by Docker and "
                                "removed from registries); push the image again with a current client",
                                at);
}

static int detect_json(json_t *root, const char *content_type, const char *at, image_doc_kind_t *ret,
                       cell_error_t *err)
{
        _cleanup_free_ char *mt = NULL;
        image_media_type_t t;
        image_doc_kind_t kind;
        char f[512];
        int64_t version = 0;
        bool has_manifests, has_image_parts;
        int r;

        r = ij_string(root, "mediaType", false, at, &mt, err);
        if (r < 0)
                return r;
        t = image_media_type_from_string(mt);
        if (t == IMAGE_MT_DOCKER_SCHEMA1 || t == IMAGE_MT_DOCKER_SCHEMA1_SIGNED ||
            json_object_get(root, "fsLayers") || json_object_get(root, "signatures"))
                return refuse_schema1(err, at);
        r = ij_int(root, "schemaVersion", true, INT64_MIN, INT64_MAX, at, &version, NULL, err);
        if (r < 0)
                return r;
        if (version == 1)
                return refuse_schema1(err, at);
        if (version != 2)
                return ij_error(err, ij_path(f, sizeof f, at, "schemaVersion"), "2");

        has_manifests = json_object_get(root, "manifests") != NULL;
        has_image_parts = json_object_get(root, "config") || json_object_get(root, "layers");
        if (t != IMAGE_MT_NONE) {
                if (kind_of_media_type(t, &kind) < 0)
                        return cell_error_plain(
                                err, EINVAL,
                                "%s.mediaType: expected a manifest or an index media type, not "
                                "\"%s\"",
                                at, mt);
        } else if (has_manifests && !has_image_parts) {
                kind = IMAGE_DOC_OCI_INDEX;
        } else if (has_image_parts && !has_manifests) {
                kind = IMAGE_DOC_OCI_MANIFEST;
        } else {
                return cell_error_plain(
                        err, EINVAL,
                        "%s: no mediaType, and the shape does not say whether it is a manifest "
                        "(config, layers) or an index (manifests)",
                        at);
        }
        /* A document that is both a manifest and an index would be read as
         * one by us and as the other by another tool; refuse it whatever its
         * mediaType says. */
        if (is_index_kind(kind) ? has_image_parts : has_manifests)
                return cell_error_plain(err, EINVAL, "%s: %s must not have \"%s\"", at, kind_name(kind),
                                        is_index_kind(kind)
                                                ? (json_object_get(root, "config") ? "config" : "layers")
                                                : "manifests");

        if (content_type) {
                image_media_type_t ct = image_media_type_from_string(content_type);
                image_doc_kind_t ck;

                if (ct == IMAGE_MT_DOCKER_SCHEMA1 || ct == IMAGE_MT_DOCKER_SCHEMA1_SIGNED)
                        return refuse_schema1(err, at);
                /* application/json and other generic types say nothing. */
                if (kind_of_media_type(ct, &ck) == 0 && ck != kind)
                        return cell_error_plain(err, EINVAL, "%s: the document is %s but was announced as %s",
                                                at, kind_name(kind), content_type);
        }
        *ret = kind;
        return 0;
}

int image_doc_detect(const char *data, size_t len, const char *content_type, image_doc_kind_t *ret,
                     cell_error_t *err)
{
        json_t *root = load_document(data, len, "manifest", err);
        int r;

        if (!root)
                return -EINVAL;
        r = detect_json(root, content_type, "manifest", ret, err);
        json_decref(root);
        return r;
}

void image_manifest_free(image_manifest_t *m)
{
        if (!m)
                return;
        descriptor_clear(&m->config);
        descriptors_free(m->layers, m->n_layers);
        if (m->subject) {
                descriptor_clear(m->subject);
                free(m->subject);
        }
        free(m->artifact_type);
        image_kv_free(m->annotations, m->n_annotations);
        free(m);
}

void image_index_free(image_index_t *idx)
{
        if (!idx)
                return;
        descriptors_free(idx->manifests, idx->n_manifests);
        if (idx->subject) {
                descriptor_clear(idx->subject);
                free(idx->subject);
        }
        free(idx->artifact_type);
        image_kv_free(idx->annotations, idx->n_annotations);
        free(idx);
}

/* subject, artifactType and annotations: the same in a manifest and an index. */
static int parse_common(json_t *root, const char *at, image_descriptor_t **subject, char **artifact_type,
                        image_kv_t **ann, size_t *n_ann, cell_error_t *err)
{
        char f[512];
        json_t *s;
        int r;

        r = ij_string(root, "artifactType", false, at, artifact_type, err);
        if (r < 0)
                return r;
        r = ij_kv(root, "annotations", at, ann, n_ann, err);
        if (r < 0)
                return r;
        s = ij_member(root, "subject", JSON_OBJECT, at, &r, err);
        if (r < 0 || !s)
                return r;
        *subject = calloc(1, sizeof(**subject));
        if (!*subject)
                return cell_error_set(err, ENOMEM, "%s", at);
        return parse_descriptor(s, ij_path(f, sizeof f, at, "subject"), *subject, err);
}

image_manifest_t *image_manifest_parse(const char *data, size_t len, const char *content_type,
                                       cell_error_t *err)
{
        const char *at = "manifest";
        json_t *root = load_document(data, len, at, err);
        image_manifest_t *m = NULL;
        image_doc_kind_t kind;
        json_t *c;
        char f[512];
        int r;

        if (!root)
                return NULL;
        r = detect_json(root, content_type, at, &kind, err);
        if (r < 0)
                goto out;
        if (is_index_kind(kind)) {
                r = cell_error_plain(err, EINVAL, "%s: expected a manifest, got %s", at, kind_name(kind));
                goto out;
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                r = cell_error_set(err, ENOMEM, "%s", at);
                goto out;
        }
        m->kind = kind;
        m->media_type_present = json_object_get(root, "mediaType") != NULL;
        c = json_object_get(root, "config");
        if (!c) {
                r = ij_error(err, ij_path(f, sizeof f, at, "config"), "a descriptor (it is required)");
                goto out;
        }
        r = parse_descriptor(c, ij_path(f, sizeof f, at, "config"), &m->config, err);
        if (r < 0)
                goto out;
        r = parse_descriptors(root, "layers", at, &m->layers, &m->n_layers, err);
        if (r < 0)
                goto out;
        r = parse_common(root, at, &m->subject, &m->artifact_type, &m->annotations, &m->n_annotations, err);
        if (r < 0)
                goto out;
        /* Docker's format has no artifacts: its config is always an image
         * config. (An OCI manifest may carry anything; the code that runs
         * an image checks the config type, the parser does not.) */
        if (kind == IMAGE_DOC_DOCKER_MANIFEST && m->config.media_type != IMAGE_MT_DOCKER_CONFIG &&
            m->config.media_type != IMAGE_MT_OCI_CONFIG) {
                r = ij_error(err, "manifest.config.mediaType", media_types[IMAGE_MT_DOCKER_CONFIG]);
                goto out;
        }
out:
        json_decref(root);
        if (r < 0) {
                image_manifest_free(m);
                return NULL;
        }
        return m;
}

image_index_t *image_index_parse(const char *data, size_t len, const char *content_type, cell_error_t *err)
{
        const char *at = "index";
        json_t *root = load_document(data, len, at, err);
        image_index_t *idx = NULL;
        image_doc_kind_t kind;
        int r;

        if (!root)
                return NULL;
        r = detect_json(root, content_type, at, &kind, err);
        if (r < 0)
                goto out;
        if (!is_index_kind(kind)) {
                r = cell_error_plain(err, EINVAL, "%s: expected an index, got %s", at, kind_name(kind));
                goto out;
        }
        idx = calloc(1, sizeof(*idx));
        if (!idx) {
                r = cell_error_set(err, ENOMEM, "%s", at);
                goto out;
        }
        idx->kind = kind;
        idx->media_type_present = json_object_get(root, "mediaType") != NULL;
        r = parse_descriptors(root, "manifests", at, &idx->manifests, &idx->n_manifests, err);
        if (r < 0)
                goto out;
        r = parse_common(root, at, &idx->subject, &idx->artifact_type, &idx->annotations, &idx->n_annotations,
                         err);
out:
        json_decref(root);
        if (r < 0) {
                image_index_free(idx);
                return NULL;
        }
        return idx;
}

/* ---- serialising ---- */

static json_t *platform_json(const image_platform_t *p)
{
        json_t *o = json_object();

        if (!o || ij_set_string(o, "architecture", p->architecture) < 0 ||
            ij_set_string(o, "os", p->os) < 0 || ij_set_string(o, "variant", p->variant) < 0 ||
            ij_set_string(o, "os.version", p->os_version) < 0 ||
            ij_set_strv(o, "os.features", p->os_features) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *descriptor_json(const image_descriptor_t *d)
{
        const char *mt = d->media_type_str ? d->media_type_str : image_media_type_string(d->media_type);
        json_t *o = json_object();

        if (!o || ij_set_string(o, "mediaType", mt) < 0 || ij_set_string(o, "digest", d->digest) < 0 ||
            ij_set_int(o, "size", d->size) < 0 || ij_set_strv(o, "urls", d->urls) < 0 ||
            ij_set_kv(o, "annotations", d->annotations, d->n_annotations) < 0 ||
            ij_set_string(o, "artifactType", d->artifact_type) < 0)
                goto fail;
        if (d->platform && json_object_set_new(o, "platform", platform_json(d->platform)) < 0)
                goto fail;
        return o;
fail:
        json_decref(o);
        return NULL;
}

static int set_descriptors(json_t *o, const char *key, const image_descriptor_t *d, size_t n)
{
        json_t *a = json_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, descriptor_json(&d[i])) < 0) {
                        json_decref(a);
                        return -ENOMEM;
                }
        return json_object_set_new(o, key, a) < 0 ? -ENOMEM : 0;
}

static int set_common(json_t *o, const image_descriptor_t *subject, const char *artifact_type,
                      const image_kv_t *ann, size_t n_ann)
{
        if (ij_set_string(o, "artifactType", artifact_type) < 0 ||
            ij_set_kv(o, "annotations", ann, n_ann) < 0)
                return -ENOMEM;
        if (subject && json_object_set_new(o, "subject", descriptor_json(subject)) < 0)
                return -ENOMEM;
        return 0;
}

static char *dump(json_t *o, size_t *ret_len, const char *what, cell_error_t *err)
{
        /* Sorted keys and no whitespace: the bytes depend on the content
         * only, so a rebuilt document has the digest it had before. */
        char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

        json_decref(o);
        if (!s) {
                cell_error_set(err, ENOMEM, "serialising the %s", what);
                return NULL;
        }
        if (ret_len)
                *ret_len = strlen(s);
        return s;
}

char *image_manifest_serialize(const image_manifest_t *m, size_t *ret_len, cell_error_t *err)
{
        json_t *o = json_object();
        bool docker = m->kind == IMAGE_DOC_DOCKER_MANIFEST;

        if (!o || ij_set_int(o, "schemaVersion", 2) < 0 ||
            ((docker || m->media_type_present) &&
             ij_set_string(o, "mediaType",
                           media_types[docker ? IMAGE_MT_DOCKER_MANIFEST : IMAGE_MT_OCI_MANIFEST]) < 0) ||
            json_object_set_new(o, "config", descriptor_json(&m->config)) < 0 ||
            set_descriptors(o, "layers", m->layers, m->n_layers) < 0 ||
            set_common(o, m->subject, m->artifact_type, m->annotations, m->n_annotations) < 0) {
                json_decref(o);
                cell_error_set(err, ENOMEM, "serialising the manifest");
                return NULL;
        }
        return dump(o, ret_len, "manifest", err);
}

char *image_index_serialize(const image_index_t *idx, size_t *ret_len, cell_error_t *err)
{
        json_t *o = json_object();
        bool docker = idx->kind == IMAGE_DOC_DOCKER_MANIFEST_LIST;

        if (!o || ij_set_int(o, "schemaVersion", 2) < 0 ||
            ((docker || idx->media_type_present) &&
             ij_set_string(o, "mediaType",
                           media_types[docker ? IMAGE_MT_DOCKER_MANIFEST_LIST : IMAGE_MT_OCI_INDEX]) < 0) ||
            set_descriptors(o, "manifests", idx->manifests, idx->n_manifests) < 0 ||
            set_common(o, idx->subject, idx->artifact_type, idx->annotations, idx->n_annotations) < 0) {
                json_decref(o);
                cell_error_set(err, ENOMEM, "serialising the index");
                return NULL;
        }
        return dump(o, ret_len, "index", err);
}

/* ---- platforms ---- */

/* The Go names images use for what uname and distributions call otherwise;
 * the variant is the one the alias implies (armhf is arm v7). */
static const struct {
        const char *alias, *arch, *variant;
} arch_aliases[] = {
        {"x86_64", "amd64", NULL},    {"x86-64", "amd64", NULL},    {"aarch64", "arm64", NULL},
        {"armhf", "arm", "v7"},       {"armel", "arm", "v6"},       {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},      {"armv5l", "arm", "v5"},      {"i386", "386", NULL},
        {"i686", "386", NULL},        {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},
        {"riscv64", "riscv64", NULL},
};

static char *lower_dup(const char *s)
{
        char *d = strdup(s);

        for (char *p = d; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return d;
}

/* Normalise ARCH and VARIANT in place (both malloc'd; VARIANT may be NULL):
 * Go names, "v" prefix on numeric variants, and the default variant of the
 * architecture filled in, so that "arm64" and "arm64/v8" compare equal. */
static int normalise(char **arch, char **variant)
{
        char *a = lower_dup(*arch), *v = NULL;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
                if (strcmp(a, arch_aliases[i].alias) == 0) {
                        free(a);
                        a = strdup(arch_aliases[i].arch);
                        if (arch_aliases[i].variant && !*variant)
                                v = strdup(arch_aliases[i].variant);
                        break;
                }
        if (!v && *variant && **variant)
                v = isdigit((unsigned char)**variant) ? str_printf("v%s", *variant) : lower_dup(*variant);
        if (!v) {
                if (a && strcmp(a, "arm64") == 0)
                        v = strdup("v8");
                else if (a && strcmp(a, "arm") == 0)
                        v = strdup("v7");
                else if (a && strcmp(a, "amd64") == 0)
                        v = strdup("v1");
        }
        free(*arch);
        free(*variant);
        *arch = a;
        *variant = v;
        return a ? 0 : -ENOMEM;
}

int image_platform_parse(const char *s, image_platform_t *ret, cell_error_t *err)
{
        _cleanup_free_ char *copy = strdup(s);
        char *arch, *variant, *extra = NULL;

        memset(ret, 0, sizeof(*ret));
        if (!copy)
                return cell_error_set(err, ENOMEM, "platform");
        arch = strchr(copy, '/');
        if (!arch || arch == copy || !arch[1])
                return cell_error_plain(err, EINVAL, "platform \"%s\": expected os/arch[/variant]", s);
        *arch++ = '\0';
        variant = strchr(arch, '/');
        if (variant) {
                *variant++ = '\0';
                extra = strchr(variant, '/');
                if (!*variant || extra)
                        return cell_error_plain(err, EINVAL, "platform \"%s\": expected os/arch[/variant]",
                                                s);
        }
        ret->os = lower_dup(copy);
        ret->architecture = strdup(arch);
        ret->variant = variant ? strdup(variant) : NULL;
        if (!ret->os || !ret->architecture || (variant && !ret->variant) ||
            normalise(&ret->architecture, &ret->variant) < 0) {
                image_platform_free(ret);
                return cell_error_set(err, ENOMEM, "platform");
        }
        return 0;
}

int image_platform_host(image_platform_t *ret, cell_error_t *err)
{
        struct utsname u;

        memset(ret, 0, sizeof(*ret));
        if (uname(&u) < 0)
                return cell_error_errno(err, "uname");
        ret->os = strdup("linux");
        ret->architecture = strdup(u.machine);
        if (!ret->os || !ret->architecture || normalise(&ret->architecture, &ret->variant) < 0) {
                image_platform_free(ret);
                return cell_error_set(err, ENOMEM, "platform");
        }
        return 0;
}

/* "vN" as N, or -1. */
static long variant_level(const char *v)
{
        long n;

        if (!v || v[0] != 'v' || str_to_long(v + 1, 0, 1000, &n) < 0)
                return -1;
        return n;
}

static bool is_manifest_type(image_media_type_t t)
{
        return t == IMAGE_MT_OCI_MANIFEST || t == IMAGE_MT_DOCKER_MANIFEST;
}

/* How well CAND runs on WANT (both normalised): 0 not at all, higher better. */
static long platform_score(const image_platform_t *want, const char *os, const char *arch,
                           const char *variant)
{
        long w, c;

        if (strcmp(want->os, os) != 0 || strcmp(want->architecture, arch) != 0)
                return 0;
        if (str_eq(want->variant, variant) || (!want->variant && !variant))
                return 2000;
        /* A newer CPU runs the code of an older level of its architecture
         * (arm v7 runs v6, an amd64 v3 machine runs v2); never the reverse. */
        w = variant_level(want->variant);
        c = variant_level(variant);
        if (w >= 0 && c >= 0 && c < w)
                return 1 + c;
        return 0;
}

const image_descriptor_t *image_index_match(const image_index_t *idx, const image_platform_t *want,
                                            cell_error_t *err)
{
        _cleanup_free_ char *offered = NULL;
        image_platform_t w = {0};
        const image_descriptor_t *best = NULL;
        long best_score = 0;
        size_t len = 0;

        if (!want->os || !want->architecture) {
                cell_error_plain(err, EINVAL, "platform: an os and an architecture are required");
                return NULL;
        }
        w.os = lower_dup(want->os);
        w.architecture = strdup(want->architecture);
        w.variant = want->variant ? strdup(want->variant) : NULL;
        if (!w.os || !w.architecture || (want->variant && !w.variant) ||
            normalise(&w.architecture, &w.variant) < 0) {
                image_platform_free(&w);
                cell_error_set(err, ENOMEM, "platform");
                return NULL;
        }
        for (size_t i = 0; i < idx->n_manifests; i++) {
                const image_descriptor_t *d = &idx->manifests[i];
                _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
                long score;

                /* Entries with no platform (and the unknown/unknown of build
                 * attestations) run nowhere. */
                if (!d->platform || !is_manifest_type(d->media_type) || str_eq(d->platform->os, "unknown") ||
                    str_eq(d->platform->architecture, "unknown") ||
                    str_eq(image_kv_get(d->annotations, d->n_annotations, "vnd.docker.reference.type"),
                           "attestation-manifest"))
                        continue;
                os = lower_dup(d->platform->os);
                arch = strdup(d->platform->architecture);
                variant = d->platform->variant ? strdup(d->platform->variant) : NULL;
                if (!os || !arch || (d->platform->variant && !variant) || normalise(&arch, &variant) < 0) {
                        image_platform_free(&w);
                        cell_error_set(err, ENOMEM, "platform");
                        return NULL;
                }
                score = platform_score(&w, os, arch, variant);
                if (score > best_score) {
                        best = d;
                        best_score = score;
                }
        }
        if (!best) {
                FILE *f = open_memstream(&offered, &len);

                for (size_t i = 0; f && i < idx->n_manifests; i++) {
                        const image_platform_t *p = idx->manifests[i].platform;

                        if (!p)
                                continue;
                        fprintf(f, "%s%s/%s%s%s", ftell(f) > 0 ? ", " : "", p->os, p->architecture,
                                p->variant ? "/" : "", p->variant ? p->variant : "");
                }
                if (f)
                        fclose(f);
                cell_error_plain(err, ENOENT, "no manifest for %s/%s%s%s in the index (it has: %s)", want->os,
                                 want->architecture, want->variant ? "/" : "",
                                 want->variant ? want->variant : "",
                                 offered && *offered ? offered : "no platforms");
        }
        image_platform_free(&w);
        return best;
}
