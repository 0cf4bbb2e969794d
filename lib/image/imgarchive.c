/* cell: docker-archive and OCI layout tars: one pass, a callback per member,
 * then the images the archive describes. */
#include "archive_load.h"
#include "imgarchive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strutil.h"

/* Members up to this size are read into memory before the callback sees
 * them, and kept when they look like JSON: manifests, indexes and configs
 * are needed after the pass, when the archive can no longer be re-read
 * (stdin). The total kept is bounded so that an archive of many small JSON
 * files cannot exhaust memory. */
#define SMALL_MAX      (4 * 1024 * 1024)
#define KEPT_TOTAL_MAX (64 * 1024 * 1024)
/* Members are found by a linear search (archives hold hundreds); the cap
 * keeps a hostile archive of tiny members from making that quadratic cost
 * matter. */
#define MEMBERS_MAX    16384
#define LINK_DEPTH_MAX 16

typedef struct member {
        char *path;
        int64_t size;
        char *link; /* symlink or hardlink target, normalised; NULL for a file */
        char *data; /* kept JSON, NUL-terminated */
        size_t data_len;
} member_t;

typedef struct members {
        member_t *v;
        size_t n, cap;
        size_t kept_total;
} members_t;

static void members_clear(members_t *ms)
{
        for (size_t i = 0; i < ms->n; i++) {
                free(ms->v[i].path);
                free(ms->v[i].link);
                free(ms->v[i].data);
        }
        free(ms->v);
}

/* Join DIR and REL and resolve "." and ".." lexically: NULL when the result
 * would leave the archive's root. Paths are names inside the archive, never
 * opened on the host, but a name outside the root cannot be a member. */
static char *normalise_path(const char *dir, const char *rel)
{
        _cleanup_free_ char *joined = NULL;
        char *out, *o, *save = NULL;

        if (rel[0] == '/')
                return NULL;
        joined = dir && *dir ? str_printf("%s/%s", dir, rel) : strdup(rel);
        if (!joined)
                return NULL;
        out = calloc(strlen(joined) + 1, 1);
        if (!out)
                return NULL;
        o = out;
        for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        char *slash;

                        if (o == out) {
                                free(out);
                                return NULL;
                        }
                        *o = '\0';
                        slash = strrchr(out, '/');
                        o = slash ? slash : out;
                        *o = '\0';
                        continue;
                }
                if (o != out)
                        *o++ = '/';
                memcpy(o, c, strlen(c));
                o += strlen(c);
                *o = '\0';
        }
        if (o == out) {
                free(out);
                return NULL;
        }
        return out;
}

static const member_t *find_member(const members_t *ms, const char *path)
{
        for (size_t i = 0; i < ms->n; i++)
                if (strcmp(ms->v[i].path, path) == 0)
                        return &ms->v[i];
        return NULL;
}

/* The file member PATH names, following links. */
static const member_t *lookup(const members_t *ms, const char *path, const char *at, cell_error_t *err)
{
        _cleanup_free_ char *norm = normalise_path(NULL, path);
        const member_t *m = norm ? find_member(ms, norm) : NULL;

        for (int depth = 0; m && m->link; depth++) {
                if (depth >= LINK_DEPTH_MAX) {
                        cell_error_plain(err, ELOOP, "%s: too many links from \"%s\"", at, path);
                        return NULL;
                }
                m = find_member(ms, m->link);
        }
        if (!m)
                cell_error_plain(err, ENOENT, "%s: no member \"%s\" in the archive", at, path);
        return m;
}

/* ---- the pass ---- */

typedef struct read_ctx {
        struct archive *a;
        const char *buf; /* the member in memory, or NULL to read from a */
        size_t len, off;
} read_ctx_t;

static ssize_t read_member(void *p, void *buf, size_t n, cell_error_t *err)
{
        read_ctx_t *c = p;
        la_ssize_t r;

        if (c->buf) {
                size_t k = c->len - c->off < n ? c->len - c->off : n;

                memcpy(buf, c->buf + c->off, k);
                c->off += k;
                return (ssize_t)k;
        }
        r = archive_read_data(c->a, buf, n);
        if (r < 0)
                return cell_error_plain(err, EIO, "%s", archive_error_string(c->a));
        return (ssize_t)r;
}

static const char *hex_name_digest(const char *path, char out[IMAGE_DIGEST_LEN + 1])
{
        size_t len = strlen(path);
        char d[IMAGE_DIGEST_LEN + 16];
        bool top = strchr(path, '/') == NULL;

        if (str_has_prefix(path, "blobs/sha256/") && len == 13 + 64)
                snprintf(d, sizeof d, "sha256:%s", path + 13);
        else if (top && ((len == 64 + 5 && memcmp(path + 64, ".json", 5) == 0) ||
                         (len == 64 + 4 && memcmp(path + 64, ".tar", 4) == 0)))
                snprintf(d, sizeof d, "sha256:%.64s", path);
        else
                return NULL;
        if (!image_descriptor_digest_valid(d))
                return NULL;
        memcpy(out, d, IMAGE_DIGEST_LEN + 1);
        return out;
}

static bool looks_like_json(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
                        continue;
                return s[i] == '{' || s[i] == '[';
        }
        return false;
}

static int read_small(struct archive *a, int64_t size, char **ret, size_t *ret_len, const char *path,
                      cell_error_t *err)
{
        _cleanup_free_ char *buf = malloc((size_t)size + 1);
        size_t got = 0;

        if (!buf)
                return cell_error_plain(err, ENOMEM, "%s: out of memory", path);
        while (got < (size_t)size) {
                la_ssize_t r = archive_read_data(a, buf + got, (size_t)size - got);

                if (r < 0)
                        return cell_error_plain(err, EIO, "%s: %s", path, archive_error_string(a));
                if (r == 0)
                        return cell_error_plain(err, EIO, "%s: shorter than its header says", path);
                got += (size_t)r;
        }
        buf[got] = '\0';
        *ret = steal_pointer(&buf);
        *ret_len = got;
        return 0;
}

static int add_member(members_t *ms, struct archive *a, struct archive_entry *e, image_archive_member_fn cb,
                      void *userdata, cell_error_t *err)
{
        const char *raw = archive_entry_pathname(e);
        _cleanup_free_ char *path = NULL, *link = NULL, *data = NULL;
        mode_t type = archive_entry_filetype(e);
        int64_t size = archive_entry_size(e);
        char digest_buf[IMAGE_DIGEST_LEN + 1];
        size_t data_len = 0;
        member_t *m;

        if (!raw)
                return cell_error_plain(err, EINVAL, "a member without a name");
        if (type == AE_IFDIR)
                return 0;
        path = normalise_path(NULL, raw);
        if (!path)
                return cell_error_plain(err, EINVAL, "member \"%s\": a path outside the archive", raw);
        /* One name, one content: a second "manifest.json" would let the
         * images we describe differ from the blobs the callback stored. */
        if (find_member(ms, path))
                return cell_error_plain(err, EINVAL, "member \"%s\" appears twice", path);
        if (ms->n >= MEMBERS_MAX)
                return cell_error_plain(err, E2BIG, "more than %d members", MEMBERS_MAX);

        if (archive_entry_hardlink(e)) {
                link = normalise_path(NULL, archive_entry_hardlink(e));
        } else if (type == AE_IFLNK) {
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;

                if (!dir)
                        return cell_error_plain(err, ENOMEM, "out of memory");
                if (slash)
                        *slash = '\0';
                link = normalise_path(slash ? dir : NULL,
                                      archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
        } else if (type != AE_IFREG) {
                return 0; /* devices, fifos: nothing an image archive holds */
        }
        if ((archive_entry_hardlink(e) || type == AE_IFLNK) && !link)
                return cell_error_plain(err, EINVAL, "member \"%s\": a link outside the archive", path);

        if (!link) {
                read_ctx_t rc = {.a = a};
                const char *digest = hex_name_digest(path, digest_buf);
                int r;

                if (size < 0)
                        return cell_error_plain(err, EINVAL, "member \"%s\": no size", path);
                if (size <= SMALL_MAX) {
                        r = read_small(a, size, &data, &data_len, path, err);
                        if (r < 0)
                                return r;
                        rc.buf = data;
                        rc.len = data_len;
                }
                if (cb) {
                        r = cb(path, digest, size, read_member, &rc, userdata, err);
                        if (r < 0)
                                return r;
                }
                if (data &&
                    (!looks_like_json(data, data_len) || ms->kept_total + data_len > KEPT_TOTAL_MAX)) {
                        free(data);
                        data = NULL;
                }
                if (data)
                        ms->kept_total += data_len;
        }

        if (ms->n == ms->cap) {
                size_t cap = ms->cap ? 2 * ms->cap : 64;
                member_t *v = realloc(ms->v, cap * sizeof(*v));

                if (!v)
                        return cell_error_plain(err, ENOMEM, "out of memory");
                ms->v = v;
                ms->cap = cap;
        }
        /* The size is taken before link is stolen: the order in which
         * initialisers run is unspecified. */
        if (link)
                size = 0;
        m = &ms->v[ms->n++];
        *m = (member_t){.path = steal_pointer(&path),
                        .size = size,
                        .link = steal_pointer(&link),
                        .data = steal_pointer(&data),
                        .data_len = data_len};
        return 0;
}

/* ---- resolving the images ---- */

static void image_clear(image_archive_image_t *im)
{
        strv_free(im->repo_tags);
        free(im->config_path);
        image_config_free(im->config);
        free(im->manifest_path);
        image_manifest_free(im->manifest);
        for (size_t i = 0; i < im->n_layers; i++)
                free(im->layers[i].path);
        free(im->layers);
}

void image_archive_free(image_archive_t *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_images; i++)
                image_clear(&a->images[i]);
        free(a->images);
        free(a);
}

/* The JSON document at PATH, which must have been kept. */
static const member_t *json_member(const members_t *ms, const char *path, const char *at, cell_error_t *err)
{
        const member_t *m = lookup(ms, path, at, err);

        if (m && !m->data) {
                cell_error_plain(err, EINVAL, "%s: \"%s\" is not a JSON document of at most %d bytes", at,
                                 path, SMALL_MAX);
                return NULL;
        }
        return m;
}

static int load_config(const members_t *ms, const char *path, const char *at, image_archive_image_t *im,
                       cell_error_t *err)
{
        const member_t *m = json_member(ms, path, at, err);

        if (!m)
                return -ENOENT;
        im->config_path = strdup(m->path);
        if (!im->config_path)
                return cell_error_plain(err, ENOMEM, "out of memory");
        if (image_config_digest_of(m->data, m->data_len, im->config_digest) < 0)
                return cell_error_plain(err, EIO, "sha256 failed");
        im->config = image_config_parse(m->data, m->data_len, err);
        if (!im->config)
                return cell_error_prefix(err, "%s", m->path);
        return 0;
}

static int check_layer_count(const image_archive_image_t *im, const char *at, cell_error_t *err)
{
        if (im->n_layers != im->config->n_diff_ids)
                return cell_error_plain(err, EINVAL, "%s: %zu layers, but the config (%s) has %zu diff_ids",
                                        at, im->n_layers, im->config_path, im->config->n_diff_ids);
        return 0;
}

static int resolve_docker(const members_t *ms, const member_t *mj, image_archive_t *out, cell_error_t *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(mj->data, mj->data_len, JSON_REJECT_DUPLICATES, &jerr);
        char at[64], f[128];
        int r = 0;

        if (!root)
                return cell_error_plain(err, EINVAL, "manifest.json: invalid JSON at line %d column %d: %s",
                                        jerr.line, jerr.column, jerr.text);
        if (!json_is_array(root)) {
                json_decref(root);
                return cell_error_plain(err, EINVAL, "manifest.json: expected an array");
        }
        out->images = calloc(json_array_size(root) + 1, sizeof(*out->images));
        if (!out->images) {
                json_decref(root);
                return cell_error_plain(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < json_array_size(root) && r >= 0; i++) {
                json_t *e = json_array_get(root, i);
                image_archive_image_t *im = &out->images[i];
                _cleanup_free_ char *config = NULL;
                _cleanup_strv_ char **layers = NULL;

                out->n_images = i + 1;
                snprintf(at, sizeof at, "manifest.json[%zu]", i);
                if (!json_is_object(e)) {
                        r = ij_error(err, at, "an object");
                        break;
                }
                if ((r = ij_string(e, "Config", true, at, &config, err)) < 0 ||
                    (r = ij_strv(e, "RepoTags", at, &im->repo_tags, err)) < 0 ||
                    (r = ij_strv(e, "Layers", at, &layers, err)) < 0)
                        break;
                if (!layers) {
                        r = ij_error(err, ij_path(f, sizeof f, at, "Layers"), "an array (it is required)");
                        break;
                }
                if (!im->repo_tags && !(im->repo_tags = calloc(1, sizeof(char *)))) {
                        r = cell_error_plain(err, ENOMEM, "out of memory");
                        break;
                }
                r = load_config(ms, config, ij_path(f, sizeof f, at, "Config"), im, err);
                if (r < 0)
                        break;
                im->n_layers = strv_length(layers);
                im->layers = calloc(im->n_layers + 1, sizeof(*im->layers));
                if (!im->layers) {
                        r = cell_error_plain(err, ENOMEM, "out of memory");
                        break;
                }
                for (size_t k = 0; k < im->n_layers && r >= 0; k++) {
                        char fl[160];
                        const member_t *m;

                        snprintf(fl, sizeof fl, "%s.Layers[%zu]", at, k);
                        m = lookup(ms, layers[k], fl, err);
                        if (!m) {
                                r = -ENOENT;
                                break;
                        }
                        im->layers[k].path = strdup(m->path);
                        im->layers[k].size = m->size;
                        im->layers[k].media_type = IMAGE_MT_OCI_LAYER_TAR;
                        if (!im->layers[k].path)
                                r = cell_error_plain(err, ENOMEM, "out of memory");
                }
                if (r >= 0)
                        r = check_layer_count(im, at, err);
        }
        json_decref(root);
        return r;
}

/* The blob a descriptor names: present, of the size it says and, since
 * JSON blobs are in memory, of the digest it says. */
static const member_t *blob(const members_t *ms, const image_descriptor_t *d, bool need_json, const char *at,
                            cell_error_t *err)
{
        _cleanup_free_ char *path = str_printf("blobs/sha256/%s", d->digest + 7);
        char digest[IMAGE_DIGEST_LEN + 1];
        const member_t *m;

        if (!path) {
                cell_error_plain(err, ENOMEM, "out of memory");
                return NULL;
        }
        m = need_json ? json_member(ms, path, at, err) : lookup(ms, path, at, err);
        if (!m)
                return NULL;
        if (m->size != d->size) {
                cell_error_plain(err, EINVAL, "%s: %s has %lld bytes, the descriptor says %lld", at, path,
                                 (long long)m->size, (long long)d->size);
                return NULL;
        }
        if (m->data) {
                if (image_config_digest_of(m->data, m->data_len, digest) < 0 ||
                    strcmp(digest, d->digest) != 0) {
                        cell_error_plain(err, EINVAL, "%s: the content of %s does not match its digest", at,
                                         path);
                        return NULL;
                }
        }
        return m;
}

static int resolve_oci_entry(const members_t *ms, const image_descriptor_t *d,
                             const image_platform_t *platform, int depth, const char *at,
                             image_archive_image_t *im, cell_error_t *err)
{
        const member_t *m;
        char f[256];

        if (depth > 4)
                return cell_error_plain(err, ELOOP, "%s: indexes nested too deep", at);
        m = blob(ms, d, true, at, err);
        if (!m)
                return -ENOENT;
        if (d->media_type == IMAGE_MT_OCI_INDEX || d->media_type == IMAGE_MT_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(m->data, m->data_len, d->media_type_str, err);
                const image_descriptor_t *pick;
                int r;

                if (!idx)
                        return cell_error_prefix(err, "%s", m->path);
                pick = image_index_match(idx, platform, err);
                r = pick ? resolve_oci_entry(ms, pick, platform, depth + 1, at, im, err)
                         : cell_error_prefix(err, "%s", m->path);
                image_index_free(idx);
                return r;
        }
        im->manifest = image_manifest_parse(m->data, m->data_len, d->media_type_str, err);
        if (!im->manifest)
                return cell_error_prefix(err, "%s", m->path);
        im->manifest_path = strdup(m->path);
        if (!im->manifest_path)
                return cell_error_plain(err, ENOMEM, "out of memory");
        snprintf(f, sizeof f, "%s: %s: config", at, m->path);
        m = blob(ms, &im->manifest->config, true, f, err);
        if (!m)
                return -ENOENT;
        if (load_config(ms, m->path, f, im, err) < 0)
                return -EINVAL;
        im->n_layers = im->manifest->n_layers;
        im->layers = calloc(im->n_layers + 1, sizeof(*im->layers));
        if (!im->layers)
                return cell_error_plain(err, ENOMEM, "out of memory");
        for (size_t k = 0; k < im->n_layers; k++) {
                snprintf(f, sizeof f, "%s: %s: layers[%zu]", at, im->manifest_path, k);
                m = blob(ms, &im->manifest->layers[k], false, f, err);
                if (!m)
                        return -ENOENT;
                im->layers[k].path = strdup(m->path);
                im->layers[k].size = m->size;
                im->layers[k].media_type = im->manifest->layers[k].media_type;
                if (!im->layers[k].path)
                        return cell_error_plain(err, ENOMEM, "out of memory");
        }
        return check_layer_count(im, at, err);
}

static int resolve_oci(const members_t *ms, const image_platform_t *platform, image_archive_t *out,
                       cell_error_t *err)
{
        const member_t *layout = json_member(ms, "oci-layout", "oci-layout", err);
        const member_t *mi;
        image_platform_t host = {0};
        image_index_t *idx = NULL;
        _cleanup_free_ char *version = NULL;
        json_t *root;
        size_t n = 0;
        int r;

        if (!layout)
                return -ENOENT;
        root = json_loadb(layout->data, layout->data_len, JSON_REJECT_DUPLICATES, NULL);
        r = root && json_is_object(root)
                    ? ij_string(root, "imageLayoutVersion", true, "oci-layout", &version, err)
                    : cell_error_plain(err, EINVAL, "oci-layout: expected a JSON object");
        json_decref(root);
        if (r < 0)
                return r;
        if (!str_has_prefix(version, "1."))
                return cell_error_plain(err, ENOTSUP, "oci-layout: imageLayoutVersion %s is not supported",
                                        version);
        mi = json_member(ms, "index.json", "index.json", err);
        if (!mi)
                return -ENOENT;
        idx = image_index_parse(mi->data, mi->data_len, NULL, err);
        if (!idx)
                return cell_error_prefix(err, "index.json");
        if (!platform) {
                r = image_platform_host(&host, err);
                if (r < 0)
                        goto out;
                platform = &host;
        }
        out->images = calloc(idx->n_manifests + 1, sizeof(*out->images));
        if (!out->images) {
                r = cell_error_plain(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < idx->n_manifests; i++) {
                const image_descriptor_t *d = &idx->manifests[i];
                image_archive_image_t *im = &out->images[n];
                const char *name;
                char at[64];

                /* Artifacts (signatures, SBOMs) sit beside images in a layout;
                 * they are not images to load. */
                if (d->media_type != IMAGE_MT_OCI_MANIFEST && d->media_type != IMAGE_MT_DOCKER_MANIFEST &&
                    d->media_type != IMAGE_MT_OCI_INDEX && d->media_type != IMAGE_MT_DOCKER_MANIFEST_LIST)
                        continue;
                out->n_images = ++n;
                im->repo_tags = calloc(2, sizeof(char *));
                if (!im->repo_tags) {
                        r = cell_error_plain(err, ENOMEM, "out of memory");
                        goto out;
                }
                /* containerd and Docker write the full name; other tools only
                 * the tag. The caller, which knows references, interprets it. */
                name = image_kv_get(d->annotations, d->n_annotations, "io.containerd.image.name");
                if (!name)
                        name = image_kv_get(d->annotations, d->n_annotations,
                                            "org.opencontainers.image.ref.name");
                if (name && !(im->repo_tags[0] = strdup(name))) {
                        r = cell_error_plain(err, ENOMEM, "out of memory");
                        goto out;
                }
                snprintf(at, sizeof at, "index.json.manifests[%zu]", i);
                r = resolve_oci_entry(ms, d, platform, 0, at, im, err);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        image_platform_free(&host);
        image_index_free(idx);
        return r;
}

image_archive_t *image_archive_read(int fd, image_archive_member_fn cb, void *userdata,
                                    const image_platform_t *platform, cell_error_t *err)
{
        struct archive *a = NULL;
        struct archive_entry *e;
        members_t ms = {0};
        image_archive_t *out = NULL;
        const member_t *mj;
        int r = 0, ar;

        if (image_archive_ready(err) < 0)
                return NULL;
        a = archive_read_new();
        if (!a) {
                cell_error_plain(err, ENOMEM, "out of memory");
                return NULL;
        }
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
                r = cell_error_plain(err, EINVAL, "%s", archive_error_string(a));
                goto out;
        }
        while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
                r = add_member(&ms, a, e, cb, userdata, err);
                if (r < 0)
                        goto out;
        }
        if (ar != ARCHIVE_EOF) {
                r = cell_error_plain(err, EINVAL, "%s", archive_error_string(a));
                goto out;
        }
        out = calloc(1, sizeof(*out));
        if (!out) {
                r = cell_error_plain(err, ENOMEM, "out of memory");
                goto out;
        }
        /* Docker 25 and later write both; manifest.json carries RepoTags as
         * `docker load` reads them, so it wins. */
        mj = find_member(&ms, "manifest.json");
        if (mj) {
                out->format = IMAGE_ARCHIVE_DOCKER;
                r = mj->data ? resolve_docker(&ms, mj, out, err)
                             : cell_error_plain(err, EINVAL, "manifest.json: not a JSON document");
        } else if (find_member(&ms, "index.json") || find_member(&ms, "oci-layout")) {
                out->format = IMAGE_ARCHIVE_OCI;
                r = resolve_oci(&ms, platform, out, err);
        } else {
                r = cell_error_plain(err, EINVAL,
                                     "neither manifest.json (docker-archive) nor index.json and oci-layout "
                                     "(OCI layout): not an image archive");
        }
out:
        archive_read_free(a);
        members_clear(&ms);
        if (r < 0)
                cell_error_prefix(err, "archive");
        if (r < 0) {
                image_archive_free(out);
                return NULL;
        }
        return out;
}
