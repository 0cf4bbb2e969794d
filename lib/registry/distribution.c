/* cell: pull and push (Distribution v2). See distribution.h. */
#include "distribution.h"
#include "regconf.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "config.h"
#include "manifest.h"
#include "ref.h"
#include "strutil.h"

/* Blob downloads at once: docker's default too (max-concurrent-downloads). */
#define PULL_PARALLEL 3

const char registry_manifest_accept[] =
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
        "application/vnd.docker.distribution.manifest.list.v2+json, "
        "application/vnd.docker.distribution.manifest.v2+json";

void registry_pull_result_clear(registry_pull_result_t *res)
{
        if (!res)
                return;
        free(res->name);
        *res = (registry_pull_result_t){0};
}

void registry_push_result_clear(registry_push_result_t *res)
{
        if (!res)
                return;
        free(res->name);
        free(res->tag);
        *res = (registry_push_result_t){0};
}

static void emit(const registry_events_t *ev, registry_event_kind_t kind, const char *digest)
{
        if (ev && ev->event)
                ev->event(ev->ctx, kind, digest);
}

static const char *desc_media_type(const image_descriptor_t *d)
{
        return d->media_type_str ? d->media_type_str : image_media_type_string(d->media_type);
}

/* A manifest or index, verified: against EXPECTED when the caller knows
 * its digest (a pull by digest, an index entry), else against the digest
 * the registry announces, when it announces one. */
static int fetch_manifest(registry_t *r, const char *path, const char *reference, const char *expected,
                          char **ret_body, size_t *ret_len, char **ret_ctype,
                          char ret_digest[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_free_ char *url = str_printf("/v2/%s/manifests/%s", path, reference);
        _cleanup_free_ char *scope = str_printf("repository:%s:pull", path);
        registry_request_t q = {.method = "GET",
                                .url = url,
                                .accept = registry_manifest_accept,
                                .scope = scope,
                                .body_fd = -1,
                                .max_body = 4u << 20,
                                .follow = true};
        registry_response_t resp = {0};
        int k;

        if (!url || !scope)
                return cell_error_set(err, ENOMEM, "manifest");
        k = registry_do(r, &q, &resp, err);
        if (k < 0)
                return k;
        if (resp.status != 200) {
                k = registry_status_error(r, &q, &resp, err);
                registry_response_clear(&resp);
                return k;
        }
        if (!resp.body) {
                registry_response_clear(&resp);
                return cell_error_plain(err, EPROTO, "GET %s: an empty manifest", url);
        }
        k = image_digest_data(resp.body, resp.body_len, ret_digest, err);
        if (k == 0 && expected && !str_eq(expected, ret_digest))
                k = cell_error_plain(err, EINVAL, "manifest %s: digest mismatch: expected %s, got %s",
                                     reference, expected, ret_digest);
        if (k == 0 && !expected && resp.digest && image_digest_valid(resp.digest) &&
            !str_eq(resp.digest, ret_digest))
                k = cell_error_plain(err, EINVAL,
                                     "manifest %s: digest mismatch: the registry says %s, got %s", reference,
                                     resp.digest, ret_digest);
        if (k < 0) {
                registry_response_clear(&resp);
                return k;
        }
        *ret_body = steal_pointer(&resp.body);
        *ret_len = resp.body_len;
        *ret_ctype = steal_pointer(&resp.content_type);
        registry_response_clear(&resp);
        return 0;
}

typedef struct blob_dl {
        const image_descriptor_t *d;
        image_store_t *s;
        const image_load_sink_t *sink;
        image_blob_writer_t *w;
        bool is_layer;
        bool sink_begun;
        bool sink_dead;
        int sink_fd;
        uint64_t got;
        cell_error_t err;
        bool failed;
        const registry_events_t *ev; /* progress */
        uint64_t resumed;            /* bytes kept from an earlier, interrupted download */
        char range[48];
        bool keep; /* a transport failure: keep what came for a resume */
} blob_dl_t;

typedef struct pull_ctx {
        registry_t *r;
        blob_dl_t *dl;
        const registry_events_t *ev;
} pull_ctx_t;

static void sink_copy(blob_dl_t *b, const char *p, size_t len)
{
        while (len > 0 && !b->sink_dead) {
                ssize_t k = write(b->sink_fd, p, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        /* The unpacker reads to EOF, so this is rare; the
                         * layer is unpacked from its blob instead. */
                        b->sink_dead = true;
                        break;
                }
                p += k;
                len -= (size_t)k;
        }
}

static int blob_write(void *ctx, const void *data, size_t len)
{
        blob_dl_t *b = ctx;

        if (b->d->size >= 0 && b->got + len > (uint64_t)b->d->size) {
                b->failed = true;
                return cell_error_plain(&b->err, EINVAL,
                                        "%s: more bytes than the %lld its descriptor declares", b->d->digest,
                                        (long long)b->d->size);
        }
        if (!b->w && image_store_blob_begin(b->s, &b->w, &b->err) < 0) {
                b->failed = true;
                return -1;
        }
        if (b->is_layer && b->sink && b->sink->begin && !b->sink_begun) {
                b->sink_begun = true;
                b->sink_fd = b->sink->begin(b->sink->ctx, b->d->digest);
                b->sink_dead = b->sink_fd < 0;
        }
        if (image_store_blob_write(b->w, data, len, &b->err) < 0) {
                b->failed = true;
                return -1;
        }
        sink_copy(b, data, len);
        b->got += len;
        if (b->is_layer && b->ev && b->ev->progress)
                b->ev->progress(b->ev->ctx, b->d->digest, b->got, b->d->size);
        return 0;
}

/* The end of a blob's stream, good or bad: the writer is committed (the
 * digest checked) or dropped, and the sink told which. */
static int blob_finish(blob_dl_t *b, bool ok)
{
        char got[IMAGE_DIGEST_STR_SIZE] = "";
        int k = 0;

        if (ok && b->d->size >= 0 && b->got != (uint64_t)b->d->size) {
                cell_error_plain(&b->err, EINVAL, "%s: %llu bytes, but its descriptor declares %lld",
                                 b->d->digest, (unsigned long long)b->got, (long long)b->d->size);
                ok = false;
        }
        if (ok && !b->w && image_store_blob_begin(b->s, &b->w, &b->err) < 0)
                ok = false;
        if (ok) {
                k = image_store_blob_commit(b->w, b->d->digest, got, &b->err);
                b->w = NULL;
                if (k < 0) {
                        cell_error_prefix(&b->err, "%s %s", b->is_layer ? "layer" : "config", b->d->digest);
                        ok = false;
                }
        } else if (b->w && b->keep) {
                /* Stopped by the network or the registry, not by bad
                 * content: what came in is kept for the next pull to
                 * resume from (a Range request). */
                image_store_blob_keep_partial(b->w, b->d->digest);
                b->w = NULL;
        } else if (b->w) {
                image_store_blob_abort(b->w);
                b->w = NULL;
        }
        if (b->sink_begun && b->sink_fd >= 0) {
                b->sink->end(b->sink->ctx, b->sink_fd, ok ? b->d->digest : NULL);
                b->sink_fd = -1;
        }
        if (!ok)
                b->failed = true;
        return ok ? 0 : -1;
}

static int blob_done(void *ctx, size_t i, int result, registry_response_t *resp, cell_error_t *err)
{
        pull_ctx_t *p = ctx;
        blob_dl_t *b = &p->dl[i];
        registry_request_t q = {.method = "GET", .url = b->d->digest};

        if (result == 0 && resp->status != 200 && !(b->resumed && resp->status == 206)) {
                registry_status_error(p->r, &q, resp, &b->err);
                cell_error_prefix(&b->err, "blob");
                b->failed = true;
        } else if (result < 0 && !b->failed) {
                b->err = *err;
                b->failed = true;
                b->keep = b->got > 0;
        }
        if (blob_finish(b, !b->failed) < 0) {
                *err = b->err;
                return -1;
        }
        if (b->is_layer)
                emit(p->ev, REGISTRY_EV_LAYER_COMPLETE, b->d->digest);
        return 0;
}

static int download_blobs(registry_t *r, image_store_t *s, const char *path, const image_descriptor_t **ds,
                          const bool *is_layer, size_t n, const image_load_sink_t *sink,
                          const registry_events_t *ev, cell_error_t *err)
{
        _cleanup_free_ char *scope = str_printf("repository:%s:pull", path);
        _cleanup_free_ registry_request_t *reqs = calloc(n ? n : 1, sizeof(*reqs));
        _cleanup_free_ blob_dl_t *dl = calloc(n ? n : 1, sizeof(*dl));
        _cleanup_strv_ char **urls = NULL;
        pull_ctx_t p = {.r = r, .dl = dl, .ev = ev};
        int k;

        if (!scope || !reqs || !dl)
                return cell_error_set(err, ENOMEM, "pull");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *u = str_printf("/v2/%s/blobs/%s", path, ds[i]->digest);

                if (!u || strv_push(&urls, u) < 0)
                        return cell_error_set(err, ENOMEM, "pull");
        }
        for (size_t i = 0; i < n; i++) {
                dl[i] = (blob_dl_t){
                        .d = ds[i], .s = s, .sink = sink, .is_layer = is_layer[i], .sink_fd = -1, .ev = ev};
                reqs[i] = (registry_request_t){.method = "GET",
                                               .url = urls[i],
                                               .scope = scope,
                                               .body_fd = -1,
                                               .write = blob_write,
                                               .write_ctx = &dl[i],
                                               .follow = true};
                /* A download that stopped before resumes where it stopped:
                 * the kept bytes are hashed again and the rest is asked
                 * for with a Range. Such a layer is unpacked from its blob
                 * afterwards (the stage needs the whole stream). */
                if (is_layer[i]) {
                        uint64_t off = 0;

                        if (image_store_blob_begin_resume(s, ds[i]->digest, &dl[i].w, &off, err) < 0)
                                return -1;
                        if (off > 0 && (ds[i]->size < 0 || off < (uint64_t)ds[i]->size)) {
                                dl[i].resumed = off;
                                dl[i].got = off;
                                dl[i].sink = NULL;
                                snprintf(dl[i].range, sizeof(dl[i].range), "bytes=%llu-",
                                         (unsigned long long)off);
                                reqs[i].range = dl[i].range;
                                emit(ev, REGISTRY_EV_LAYER_RESUMED, ds[i]->digest);
                        } else if (off > 0) {
                                /* A whole blob kept: start over, to be safe. */
                                image_store_blob_abort(dl[i].w);
                                dl[i].w = NULL;
                        }
                }
        }
        k = registry_run_many(r, reqs, n, PULL_PARALLEL, blob_done, &p, err);
        /* Transfers stopped half-way (another one failed, or the
         * registry went away): what they got is kept for a resume. */
        for (size_t i = 0; i < n; i++) {
                if (dl[i].w || (dl[i].sink_begun && dl[i].sink_fd >= 0)) {
                        dl[i].failed = true;
                        dl[i].keep = dl[i].got > 0;
                        blob_finish(&dl[i], false);
                }
        }
        if (k < 0) {
                for (size_t i = 0; i < n; i++)
                        if (dl[i].failed && dl[i].err.msg[0] && !err->msg[0])
                                *err = dl[i].err;
                if (err->code == 0 && !err->msg[0])
                        cell_error_plain(err, EIO, "pull: a transfer failed");
        }
        return k;
}

/* The manifest for this machine from an index. */
static const image_descriptor_t *index_pick(const image_index_t *idx, cell_error_t *err)
{
        image_platform_t host = {0};
        const image_descriptor_t *d;

        if (image_platform_host(&host, err) < 0)
                return NULL;
        d = image_index_match(idx, &host, err);
        image_platform_free(&host);
        return d;
}

typedef struct pull_state {
        char *top;
        size_t top_len;
        char *top_ctype;
        char top_digest[IMAGE_DIGEST_STR_SIZE];
        char *mbody;
        size_t mlen;
        char *mctype;
        char mdigest[IMAGE_DIGEST_STR_SIZE];
        image_index_t *idx;
        image_manifest_t *m;
        image_config_t *c;
} pull_state_t;

static void pull_state_clear(pull_state_t *st)
{
        free(st->top);
        free(st->top_ctype);
        if (st->mbody != st->top)
                free(st->mbody);
        free(st->mctype);
        image_index_free(st->idx);
        image_manifest_free(st->m);
        image_config_free(st->c);
}

static int pull_resolve(registry_t *r, const image_ref_t *rr, pull_state_t *st, cell_error_t *err)
{
        image_doc_kind_t kind;
        const image_descriptor_t *d;

        if (fetch_manifest(r, rr->path, rr->digest ? rr->digest : rr->tag, rr->digest, &st->top, &st->top_len,
                           &st->top_ctype, st->top_digest, err) < 0)
                return -1;
        if (image_doc_detect(st->top, st->top_len, st->top_ctype, &kind, err) < 0)
                return cell_error_prefix(err, "manifest");
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                st->idx = image_index_parse(st->top, st->top_len, st->top_ctype, err);
                if (!st->idx)
                        return cell_error_prefix(err, "index");
                d = index_pick(st->idx, err);
                if (!d)
                        return -1;
                if (fetch_manifest(r, rr->path, d->digest, d->digest, &st->mbody, &st->mlen, &st->mctype,
                                   st->mdigest, err) < 0)
                        return -1;
        } else {
                st->mbody = st->top;
                st->mlen = st->top_len;
                st->mctype = st->top_ctype ? strdup(st->top_ctype) : NULL;
                str_copy(st->mdigest, sizeof(st->mdigest), st->top_digest);
        }
        st->m = image_manifest_parse(st->mbody, st->mlen, st->mctype, err);
        if (!st->m)
                return cell_error_prefix(err, "manifest %s", st->mdigest);
        for (size_t i = 0; i < st->m->n_layers; i++)
                if (!image_media_type_is_layer(st->m->layers[i].media_type))
                        return cell_error_plain(
                                err, EINVAL,
                                "manifest %s: layer %zu has the media type \"%s\", "
                                "which is not an image layer",
                                st->mdigest, i,
                                desc_media_type(&st->m->layers[i]) ? desc_media_type(&st->m->layers[i]) : "");
        return 0;
}

static int pull_blobs(registry_t *r, image_store_t *s, const char *path, pull_state_t *st,
                      const image_load_sink_t *sink, const registry_events_t *ev, bool *ret_new,
                      cell_error_t *err)
{
        image_manifest_t *m = st->m;
        _cleanup_free_ const image_descriptor_t **ds = calloc(m->n_layers + 1, sizeof(*ds));
        _cleanup_free_ bool *is_layer = calloc(m->n_layers + 1, sizeof(*is_layer));
        size_t n = 0;

        if (!ds || !is_layer)
                return cell_error_set(err, ENOMEM, "pull");
        if (!image_store_blob_exists(s, m->config.digest)) {
                ds[n] = &m->config;
                is_layer[n++] = false;
        }
        for (size_t i = 0; i < m->n_layers; i++) {
                bool dup = false;

                for (size_t j = 0; j < i; j++)
                        dup |= str_eq(m->layers[j].digest, m->layers[i].digest);
                if (dup)
                        continue;
                if (image_store_blob_exists(s, m->layers[i].digest)) {
                        emit(ev, REGISTRY_EV_LAYER_EXISTS, m->layers[i].digest);
                        continue;
                }
                emit(ev, REGISTRY_EV_LAYER_WAITING, m->layers[i].digest);
                ds[n] = &m->layers[i];
                is_layer[n++] = true;
        }
        *ret_new = n > 0;
        if (n && download_blobs(r, s, path, ds, is_layer, n, sink, ev, err) < 0)
                return -1;
        return 0;
}

/* ---- where blobs came from: cross-repository mounts ---- */

/* ROOT/registry-sources.json: {"DOMAIN": {"DIGEST": ["REPO", ...]}}, the
 * repositories of a registry a blob was pulled from or pushed to. A push
 * of that blob to another repository of the same registry asks it to
 * mount it from there (no upload), as docker's push does with its
 * distribution metadata. A hint: lost updates between concurrent pulls
 * only cost an upload. */
static char *sources_path(image_store_t *s)
{
        return str_printf("%s/registry-sources.json", image_store_root(s));
}

static json_t *sources_load(image_store_t *s)
{
        _cleanup_free_ char *path = sources_path(s), *data = NULL;
        size_t len = 0;
        json_t *j = NULL;

        if (path && fs_read_file(path, 16 << 20, &data, &len, NULL) == 0)
                j = json_loadb(data, len, 0, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        return j;
}

static void sources_note(image_store_t *s, const char *domain, const char *repo, char *const *digests)
{
        _cleanup_free_ char *path = sources_path(s), *out = NULL;
        json_t *j = sources_load(s), *d;

        if (!path || !j)
                goto out;
        d = json_object_get(j, domain);
        if (!json_is_object(d)) {
                d = json_object();
                json_object_set_new(j, domain, d);
        }
        for (size_t i = 0; digests && digests[i]; i++) {
                json_t *repos = json_object_get(d, digests[i]), *v;
                size_t k;
                bool have = false;

                if (!json_is_array(repos)) {
                        repos = json_array();
                        json_object_set_new(d, digests[i], repos);
                }
                json_array_foreach(repos, k, v) have |= str_eq(json_string_value(v), repo);
                if (!have) {
                        json_array_append_new(repos, json_string(repo));
                        /* The last few repositories are enough to mount from. */
                        while (json_array_size(repos) > 8)
                                json_array_remove(repos, 0);
                }
        }
        out = json_dumps(j, JSON_COMPACT);
        if (out)
                fs_write_atomic(path, out, strlen(out), 0600, NULL);
out:
        json_decref(j);
}

/* Another repository of this registry that has the blob, or NULL. */
static char *sources_other(image_store_t *s, const char *domain, const char *repo, const char *digest)
{
        json_t *j = sources_load(s), *v;
        size_t i;
        char *found = NULL;

        json_array_foreach(json_object_get(json_object_get(j, domain), digest), i, v)
        {
                if (json_string_value(v) && !str_eq(json_string_value(v), repo)) {
                        free(found);
                        found = strdup(json_string_value(v));
                }
        }
        json_decref(j);
        return found;
}

int registry_pull(image_store_t *s, const char *ref, const image_load_sink_t *sink,
                  const registry_events_t *ev, registry_pull_result_t *ret, cell_error_t *err)
{
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_registry_ registry_t *r = NULL;
        _cleanup_free_ char *name = NULL, *cdata = NULL;
        image_store_entry_t old = {0};
        pull_state_t st = {0};
        size_t clen = 0;
        bool fresh = false, pinned = false;
        int k = -1;

        if (image_ref_parse(ref, &rr, err) < 0)
                return -1;
        name = image_ref_string(rr);
        if (!name)
                return cell_error_set(err, ENOMEM, "pull");
        /* The registry's mirrors first (registries.json), then itself. */
        {
                registry_conf_t conf = {0};
                _cleanup_strv_ char **mirrors = NULL;

                if (registry_conf_load(&conf, err) < 0)
                        return -1;
                mirrors = registry_conf_mirrors(&conf, rr->domain);
                registry_conf_clear(&conf);
                for (size_t i = 0; mirrors && mirrors[i]; i++) {
                        cell_error_t merr = {0};

                        if (registry_open_mirror(rr->domain, mirrors[i], &r, &merr) == 0 &&
                            pull_resolve(r, rr, &st, &merr) == 0) {
                                emit(ev, REGISTRY_EV_MIRROR, mirrors[i]);
                                break;
                        }
                        registry_close(r);
                        r = NULL;
                        pull_state_clear(&st);
                        st = (pull_state_t){0};
                }
        }
        if (!r) {
                if (registry_open(rr->domain, NULL, NULL, &r, err) < 0)
                        return -1;
                if (pull_resolve(r, rr, &st, err) < 0)
                        goto out;
        }
        emit(ev, REGISTRY_EV_RESOLVED, st.top_digest);
        /* The blobs are unnamed until the tag: gc must wait. */
        if (image_store_pin(s, err) < 0)
                goto out;
        pinned = true;
        if (pull_blobs(r, s, rr->path, &st, sink, ev, &fresh, err) < 0)
                goto out;
        if (image_store_blob_read(s, st.m->config.digest, 0, &cdata, &clen, err) < 0)
                goto out;
        st.c = image_config_parse(cdata, clen, err);
        if (!st.c) {
                cell_error_prefix(err, "config %s", st.m->config.digest);
                goto out;
        }
        if (image_store_blob_put(s, st.mbody, st.mlen, st.mdigest, NULL, err) < 0 ||
            (st.idx && image_store_blob_put(s, st.top, st.top_len, st.top_digest, NULL, err) < 0))
                goto out;
        /* The layers are unpacked (staged, or from their blobs) before the
         * name points at the image: a layer that does not apply or does not
         * match its diff_id fails the pull here. */
        if (sink && sink->image && sink->image(sink->ctx, st.m, st.c, err) < 0)
                goto out;
        if (image_store_lookup(s, name, &old, NULL) == 0 && str_eq(old.digest, st.top_digest) && !fresh)
                ret->downloaded = false;
        else
                ret->downloaded = true;
        image_store_entry_clear(&old);
        {
                image_doc_kind_t kind = st.idx ? st.idx->kind : st.m->kind;
                const char *mt = kind == IMAGE_DOC_OCI_INDEX ? "application/vnd.oci.image.index.v1+json"
                                 : kind == IMAGE_DOC_DOCKER_MANIFEST_LIST
                                         ? "application/vnd.docker.distribution.manifest.list.v2+json"
                                 : kind == IMAGE_DOC_OCI_MANIFEST
                                         ? "application/vnd.oci.image.manifest.v1+json"
                                         : "application/vnd.docker.distribution.manifest.v2+json";

                if (image_store_tag(s, name, mt, st.top_digest, (int64_t)st.top_len, err) < 0)
                        goto out;
        }
        ret->name = steal_pointer(&name);
        str_copy(ret->digest, sizeof(ret->digest), st.top_digest);
        str_copy(ret->image_id, sizeof(ret->image_id), st.m->config.digest);
        {
                _cleanup_strv_ char **all = NULL;

                for (size_t i = 0; i < st.m->n_layers; i++)
                        strv_push(&all, st.m->layers[i].digest);
                sources_note(s, rr->domain, rr->path, all);
        }
        k = 0;
out:
        if (pinned)
                image_store_unpin(s);
        if (k < 0 && rr)
                cell_error_prefix(err, "pulling %s", ref);
        pull_state_clear(&st);
        return k;
}

/* ---- push ---------------------------------------------------------------- */

/* Blobs bigger than this go up in chunks of it: CELL_PUSH_CHUNK_SIZE
 * (bytes; 0: always monolithic), else 128 MiB. */
static uint64_t push_chunk_size(void)
{
        const char *v = getenv("CELL_PUSH_CHUNK_SIZE");
        long n;

        if (v && *v && str_to_long(v, 0, LONG_MAX, &n) == 0)
                return (uint64_t)n;
        return 128ull << 20;
}

/* A push's upload progress, for the events' progress (a chunk's bytes
 * counted from where it starts). */
typedef struct push_prog {
        const registry_events_t *ev;
        const char *digest;
        uint64_t base, total;
} push_prog_t;

static void push_progress(void *ctx, uint64_t sent, uint64_t size)
{
        push_prog_t *p = ctx;

        (void)size;
        if (p->ev && p->ev->progress)
                p->ev->progress(p->ev->ctx, p->digest, p->base + sent, (int64_t)p->total);
}

static int push_blob(registry_t *r, image_store_t *s, const char *path, const char *scope, const char *digest,
                     const registry_events_t *ev, bool *ret_exists, char **ret_mounted, cell_error_t *err)
{
        push_prog_t prog = {.ev = ev, .digest = digest};
        _cleanup_free_ char *url = str_printf("/v2/%s/blobs/%s", path, digest);
        _cleanup_free_ char *up = str_printf("/v2/%s/blobs/uploads/", path);
        _cleanup_free_ char *put = NULL, *loc = NULL;
        _cleanup_close_ int fd = -1;
        registry_request_t q = {.method = "HEAD", .url = url, .scope = scope, .body_fd = -1};
        registry_response_t resp = {0};
        uint64_t size = 0, chunk;
        bool monolithic = true;
        int k;

        if (!url || !up)
                return cell_error_set(err, ENOMEM, "push");
        k = registry_do(r, &q, &resp, err);
        if (k < 0)
                return k;
        *ret_exists = resp.status == 200;
        if (resp.status != 200 && resp.status != 404) {
                k = registry_status_error(r, &q, &resp, err);
                registry_response_clear(&resp);
                return k;
        }
        registry_response_clear(&resp);
        if (*ret_exists)
                return 0;
        {
                /* The blob is in another repository here: mounted, no
                 * upload (201); a registry that declines starts an upload
                 * (202) whose Location serves all the same. */
                _cleanup_free_ char *from = sources_other(s, registry_domain(r), path, digest);
                _cleanup_free_ char *mount =
                        from ? str_printf("%s?mount=%s&from=%s", up, digest, from) : NULL;
                _cleanup_free_ char *mscope = from ? str_printf("%s repository:%s:pull", scope, from) : NULL;
                cell_error_t merr = {0};

                if (mount && mscope) {
                        q = (registry_request_t){
                                .method = "POST", .url = mount, .scope = mscope, .body_fd = -1};
                        if (registry_do(r, &q, &resp, &merr) == 0 && resp.status == 201) {
                                registry_response_clear(&resp);
                                *ret_mounted = steal_pointer(&from);
                                return 0;
                        }
                        if (merr.msg[0] == '\0' && resp.status == 202 && resp.location)
                                goto have_upload;
                        registry_response_clear(&resp);
                }
        }
        q = (registry_request_t){.method = "POST", .url = up, .scope = scope, .body_fd = -1};
        k = registry_do(r, &q, &resp, err);
        if (k < 0)
                return k;
have_upload:
        if (resp.status != 202 || !resp.location) {
                k = resp.status == 202 ? cell_error_plain(err, EPROTO, "POST %s: no Location", up)
                                       : registry_status_error(r, &q, &resp, err);
                registry_response_clear(&resp);
                return k;
        }
        loc = steal_pointer(&resp.location);
        registry_response_clear(&resp);
        fd = image_store_blob_open(s, digest, err);
        if (fd < 0)
                return fd;
        if (image_store_blob_size(s, digest, &size, err) < 0)
                return -1;
        /* A big blob goes in chunks (PATCH with Content-Range, each to the
         * Location the last one gave), then a PUT with the digest closes
         * the upload; a small one in the PUT itself (monolithic). */
        chunk = push_chunk_size();
        prog.total = size;
        if (chunk > 0 && size > chunk) {
                for (uint64_t off = 0; off < size; off += chunk) {
                        uint64_t len = size - off < chunk ? size - off : chunk;
                        char cr[64];

                        snprintf(cr, sizeof(cr), "%llu-%llu", (unsigned long long)off,
                                 (unsigned long long)(off + len - 1));
                        q = (registry_request_t){.method = "PATCH",
                                                 .url = loc,
                                                 .scope = scope,
                                                 .content_type = "application/octet-stream",
                                                 .content_range = cr,
                                                 .body_fd = fd,
                                                 .body_off = off,
                                                 .body_size = len,
                                                 .upload_progress = push_progress,
                                                 .upload_ctx = &prog};
                        prog.base = off;
                        k = registry_do(r, &q, &resp, err);
                        if (k < 0)
                                return k;
                        if (resp.status != 202 || !resp.location) {
                                k = resp.status == 202 ? cell_error_plain(err, EPROTO, "PATCH: no Location")
                                                       : registry_status_error(r, &q, &resp, err);
                                registry_response_clear(&resp);
                                return k;
                        }
                        free(loc);
                        loc = steal_pointer(&resp.location);
                        registry_response_clear(&resp);
                }
                monolithic = false;
        }
        put = str_printf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
        if (!put)
                return cell_error_set(err, ENOMEM, "push");
        q = (registry_request_t){.method = "PUT",
                                 .url = put,
                                 .scope = scope,
                                 .content_type = "application/octet-stream",
                                 .body_fd = monolithic ? fd : -1,
                                 .body_size = monolithic ? size : 0,
                                 .upload_progress = monolithic ? push_progress : NULL,
                                 .upload_ctx = &prog};
        k = registry_do(r, &q, &resp, err);
        if (k < 0)
                return k;
        if (resp.status != 201) {
                q.url = up;
                k = registry_status_error(r, &q, &resp, err);
        }
        registry_response_clear(&resp);
        return k;
}

int registry_push(image_store_t *s, const char *src, const char *dest, const registry_events_t *ev,
                  registry_push_result_t *ret, cell_error_t *err)
{
        _cleanup_image_ref_ image_ref_t *rr = NULL;
        _cleanup_registry_ registry_t *r = NULL;
        _cleanup_free_ char *data = NULL, *mdata = NULL, *scope = NULL, *url = NULL, *name = NULL;
        image_store_entry_t e = {0};
        image_manifest_t *m = NULL;
        image_index_t *idx = NULL;
        const char *mtype;
        char mdigest[IMAGE_DIGEST_STR_SIZE];
        image_doc_kind_t kind;
        registry_request_t q;
        registry_response_t resp = {0};
        size_t len = 0, mlen = 0;
        int k = -1;

        if (image_ref_parse(dest ? dest : src, &rr, err) < 0)
                return -1;
        if (image_store_resolve(s, src, &e, err) < 0)
                return -1;
        if (image_store_blob_read(s, e.digest, 0, &data, &len, err) < 0 ||
            image_doc_detect(data, len, e.media_type, &kind, err) < 0)
                goto out;
        str_copy(mdigest, sizeof(mdigest), e.digest);
        mtype = e.media_type;
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                /* The store keeps this machine's manifest of an index: that
                 * is what is pushed. */
                const image_descriptor_t *d;

                idx = image_index_parse(data, len, e.media_type, err);
                d = idx ? index_pick(idx, err) : NULL;
                if (!d)
                        goto out;
                str_copy(mdigest, sizeof(mdigest), d->digest);
                mtype = desc_media_type(d);
                if (image_store_blob_read(s, mdigest, 0, &mdata, &mlen, err) < 0)
                        goto out;
        } else {
                mdata = steal_pointer(&data);
                mlen = len;
        }
        m = image_manifest_parse(mdata, mlen, mtype, err);
        if (!m)
                goto out;
        if (!mtype)
                mtype = image_media_type_string(m->kind == IMAGE_DOC_OCI_MANIFEST ? IMAGE_MT_OCI_MANIFEST
                                                                                  : IMAGE_MT_DOCKER_MANIFEST);
        scope = str_printf("repository:%s:pull,push", rr->path);
        name = image_ref_name(rr);
        url = str_printf("/v2/%s/manifests/%s", rr->path, rr->tag ? rr->tag : rr->digest);
        if (!scope || !name || !url) {
                cell_error_set(err, ENOMEM, "push");
                goto out;
        }
        if (registry_open(rr->domain, NULL, NULL, &r, err) < 0)
                goto out;
        for (size_t i = 0; i <= m->n_layers; i++) {
                const char *digest = i < m->n_layers ? m->layers[i].digest : m->config.digest;
                _cleanup_free_ char *mounted = NULL;
                bool exists = false;

                if (i < m->n_layers)
                        emit(ev, REGISTRY_EV_LAYER_WAITING, digest);
                if (push_blob(r, s, rr->path, scope, digest, i < m->n_layers ? ev : NULL, &exists, &mounted,
                              err) < 0) {
                        cell_error_prefix(err, "%s %s", i < m->n_layers ? "layer" : "config", digest);
                        goto out;
                }
                if (i < m->n_layers && mounted) {
                        _cleanup_free_ char *text = str_printf("%s %s", digest, mounted);

                        emit(ev, REGISTRY_EV_LAYER_MOUNTED, text ? text : digest);
                } else if (i < m->n_layers) {
                        emit(ev, exists ? REGISTRY_EV_LAYER_EXISTS : REGISTRY_EV_LAYER_COMPLETE, digest);
                }
        }
        {
                _cleanup_strv_ char **all = NULL;

                for (size_t i = 0; i < m->n_layers; i++)
                        strv_push(&all, m->layers[i].digest);
                sources_note(s, rr->domain, rr->path, all);
        }
        /* The stored bytes, not a re-serialisation: the digest the
         * registry computes is the one the store has. */
        q = (registry_request_t){.method = "PUT",
                                 .url = url,
                                 .scope = scope,
                                 .content_type = mtype,
                                 .body = mdata,
                                 .body_len = mlen,
                                 .body_fd = -1};
        if (registry_do(r, &q, &resp, err) < 0)
                goto out;
        if (resp.status != 201) {
                registry_status_error(r, &q, &resp, err);
                goto out;
        }
        if (resp.digest && image_digest_valid(resp.digest) && !str_eq(resp.digest, mdigest)) {
                cell_error_plain(err, EPROTO, "the registry stored the manifest as %s, but it is %s",
                                 resp.digest, mdigest);
                goto out;
        }
        ret->name = steal_pointer(&name);
        ret->tag = rr->tag ? strdup(rr->tag) : NULL;
        str_copy(ret->digest, sizeof(ret->digest), mdigest);
        ret->size = mlen;
        k = 0;
out:
        registry_response_clear(&resp);
        image_store_entry_clear(&e);
        image_manifest_free(m);
        image_index_free(idx);
        if (k < 0)
                cell_error_prefix(err, "pushing %s", dest ? dest : src);
        return k;
}

int registry_login_check(const char *server_key, const char *user, const char *pass, cell_error_t *err)
{
        _cleanup_registry_ registry_t *r = NULL;
        registry_request_t q = {.method = "GET", .url = "/v2/", .body_fd = -1, .max_body = 1 << 20};
        registry_response_t resp = {0};
        int k;

        if (registry_open(server_key, user, pass, &r, err) < 0)
                return -1;
        k = registry_do(r, &q, &resp, err);
        if (k == 0 && resp.status == 401)
                k = cell_error_plain(err, EACCES, "unauthorized: incorrect username or password");
        else if (k == 0 && resp.status != 200)
                k = registry_status_error(r, &q, &resp, err);
        registry_response_clear(&resp);
        return k;
}
