/* cell: `cell commit` (see imagecommit.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "commit.h"
#include "config.h"
#include "fsutil.h"
#include "imagecommit.h"
#include "layers.h"
#include "manifest.h"
#include "ref.h"
#include "runtime.h"
#include "store.h"
#include "strutil.h"
#include "transfer.h"

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* The layer directories under the container (lowest first), from the chain
 * ids its layers.json records (as storage_rootfs_diff reads them). */
static int layer_dirs(engine_t *e, const char *id, char ***ret, cell_error_t *err)
{
        _cleanup_free_ char *path = engine_container_path(e, id, "layers.json"), *data = NULL;
        _cleanup_strv_ char **dirs = NULL;
        size_t len = 0, i;
        json_t *j, *v;

        if (!path)
                return cell_error_set(err, ENOMEM, "commit");
        if (fs_read_file(path, 0, &data, &len, err) < 0)
                return -1;
        j = json_loadb(data, len, 0, NULL);
        json_array_foreach(json_object_get(j, "chain_ids"), i, v)
        {
                const char *cid = json_string_value(v);
                _cleanup_free_ char *d = NULL;

                if (!cid || !str_has_prefix(cid, "sha256:") || strlen(cid) != 71 || strchr(cid + 7, '/')) {
                        json_decref(j);
                        return cell_error_plain(err, EINVAL, "layers.json: chain_ids[%zu]", i);
                }
                d = str_printf("%s/layers/%s/diff", e->storage_root, cid + 7);
                if (!d || strv_push(&dirs, d) < 0) {
                        json_decref(j);
                        return cell_error_set(err, ENOMEM, "commit");
                }
        }
        json_decref(j);
        if (!dirs && !(dirs = calloc(1, sizeof(*dirs))))
                return cell_error_set(err, ENOMEM, "commit");
        *ret = steal_pointer(&dirs);
        return 0;
}

int engine_commit_store_layer(engine_t *e, image_store_t *store, const char *id, int64_t source_date_epoch,
                              image_descriptor_t *layer, char diff_id[IMAGE_DIGEST_STR_SIZE],
                              cell_error_t *err)
{
        storage_commit_opts_t co = STORAGE_COMMIT_OPTS_INIT;
        _cleanup_free_ char *upper = engine_container_path(e, id, "upper"),
                            *dir = engine_container_path(e, id, NULL), *buf = malloc(128 * 1024);
        _cleanup_strv_ char **dirs = NULL;
        _cleanup_close_ int fd = -1;
        storage_commit_result_t res;
        image_blob_writer_t *w = NULL;

        if (!upper || !dir || !buf)
                return cell_error_set(err, ENOMEM, "commit");
        if (layer_dirs(e, id, &dirs, err) < 0)
                return -1;
        /* An unnamed file next to the container: nothing to clean up. */
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return cell_error_errno(err, "a temporary file in %s", dir);
        co.source_date_epoch = source_date_epoch;
        if (storage_commit_layer(upper, (const char *const *)dirs, strv_length(dirs), fd, &co, &res, err) < 0)
                return -1;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return cell_error_errno(err, "seek");
        if (image_store_blob_begin(store, &w, err) < 0)
                return -1;
        for (;;) {
                ssize_t k = read(fd, buf, 128 * 1024);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        image_store_blob_abort(w);
                        return cell_error_errno(err, "read the layer");
                }
                if (k == 0)
                        break;
                if (image_store_blob_write(w, buf, (size_t)k, err) < 0) {
                        image_store_blob_abort(w);
                        return -1;
                }
        }
        if (image_store_blob_commit(w, res.digest, layer->digest, err) < 0)
                return -1;
        layer->size = (int64_t)res.size;
        layer->media_type = IMAGE_MT_OCI_LAYER_TAR;
        str_copy(diff_id, IMAGE_DIGEST_STR_SIZE, res.diff_id);
        return 0;
}

static char **strv_of_json(json_t *a)
{
        char **v = calloc(1, sizeof(*v));
        size_t i;
        json_t *x;

        json_array_foreach(a, i, x)
        {
                if (v && json_string_value(x) && strv_push(&v, json_string_value(x)) < 0) {
                        strv_free(v);
                        return NULL;
                }
        }
        return v;
}

/* Docker's commit takes the container's Config as the image's. */
static int apply_container_config(image_config_t *c, json_t *rec, cell_error_t *err)
{
        json_t *cfg = json_object_get(rec, "Config"), *v;
        image_run_config_t *rc = &c->config;

        c->has_config = true;
        if (json_is_array(v = json_object_get(cfg, "Cmd"))) {
                strv_free(rc->cmd);
                rc->cmd = strv_of_json(v);
        }
        if (json_is_array(v = json_object_get(cfg, "Entrypoint"))) {
                strv_free(rc->entrypoint);
                rc->entrypoint = json_array_size(v) ? strv_of_json(v) : NULL;
        }
        if (json_is_array(v = json_object_get(cfg, "Env"))) {
                strv_free(rc->env);
                rc->env = strv_of_json(v);
        }
        if (json_is_string(v = json_object_get(cfg, "WorkingDir"))) {
                free(rc->working_dir);
                rc->working_dir = *json_string_value(v) ? strdup(json_string_value(v)) : NULL;
        }
        if (json_is_string(v = json_object_get(cfg, "User"))) {
                free(rc->user);
                rc->user = *json_string_value(v) ? strdup(json_string_value(v)) : NULL;
        }
        (void)err;
        return 0;
}

static char *created_by(json_t *rec)
{
        char *s = strdup(jstr(rec, "Path") ? jstr(rec, "Path") : "");
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(rec, "Args"), i, v)
        {
                char *n = s ? str_printf("%s %s", s, json_string_value(v) ? json_string_value(v) : "") : NULL;

                free(s);
                s = n;
        }
        return s;
}

static int new_config(image_config_t *c, json_t *rec, const engine_commit_req_t *req, const char *diff_id,
                      cell_error_t *err)
{
        _cleanup_free_ char *now = engine_time_now(), *by = created_by(rec);

        if (!now || !by)
                return cell_error_set(err, ENOMEM, "commit");
        if (apply_container_config(c, rec, err) < 0)
                return -1;
        for (size_t i = 0; req->changes && req->changes[i]; i++)
                if (image_config_apply_change(&c->config, req->changes[i], err) < 0)
                        return -1;
        if (image_config_add_step(c, now, by, req->author, req->comment, diff_id, err) < 0)
                return -1;
        free(c->author);
        c->author = req->author && *req->author ? strdup(req->author) : NULL;
        if (req->author && *req->author && !c->author)
                return cell_error_set(err, ENOMEM, "commit");
        return 0;
}

static image_media_type_t oci_layer_type(image_media_type_t t)
{
        switch (t) {
        case IMAGE_MT_DOCKER_LAYER_GZIP:
                return IMAGE_MT_OCI_LAYER_GZIP;
        case IMAGE_MT_DOCKER_LAYER_FOREIGN_GZIP:
                return IMAGE_MT_OCI_LAYER_ND_GZIP;
        default:
                return t;
        }
}

int engine_image_write(image_store_t *store, image_config_t *c, const image_manifest_t *base,
                       const image_descriptor_t *layer, char *const *names, bool intermediate,
                       char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        image_manifest_t m = {.kind = IMAGE_DOC_OCI_MANIFEST, .media_type_present = true};
        size_t n_base = base ? base->n_layers : 0;
        _cleanup_free_ image_descriptor_t *layers = calloc(n_base + 1, sizeof(*layers));
        _cleanup_free_ char *cdata = NULL, *mdata = NULL;
        char mdigest[IMAGE_DIGEST_STR_SIZE];
        size_t clen = 0, mlen = 0;

        if (!layers)
                return cell_error_set(err, ENOMEM, "commit");
        /* The same blobs under the OCI names: a Docker gzip layer is an OCI
         * gzip layer byte for byte. */
        for (size_t i = 0; i < n_base; i++) {
                layers[i].media_type = oci_layer_type(base->layers[i].media_type);
                layers[i].media_type_str = base->layers[i].media_type_str;
                memcpy(layers[i].digest, base->layers[i].digest, sizeof(layers[i].digest));
                layers[i].size = base->layers[i].size;
                layers[i].urls = base->layers[i].urls;
        }
        if (layer)
                layers[n_base] = *layer;
        m.layers = layers;
        m.n_layers = n_base + (layer ? 1 : 0);
        cdata = image_config_serialize(c, &clen, err);
        if (!cdata || image_store_blob_put(store, cdata, clen, NULL, m.config.digest, err) < 0)
                return -1;
        m.config.media_type = IMAGE_MT_OCI_CONFIG;
        m.config.size = (int64_t)clen;
        mdata = image_manifest_serialize(&m, &mlen, err);
        if (!mdata || image_store_blob_put(store, mdata, mlen, NULL, mdigest, err) < 0)
                return -1;
        if ((intermediate ? image_store_tag_intermediate : image_store_tag_id)(
                    store, m.config.digest, image_media_type_string(IMAGE_MT_OCI_MANIFEST), mdigest,
                    (int64_t)mlen, err) < 0)
                return -1;
        for (size_t i = 0; names && names[i]; i++)
                if (image_store_tag(store, names[i], image_media_type_string(IMAGE_MT_OCI_MANIFEST), mdigest,
                                    (int64_t)mlen, err) < 0)
                        return -1;
        str_copy(ret_id, IMAGE_DIGEST_STR_SIZE, m.config.digest);
        return 0;
}

int engine_commit(engine_t *e, const char *id, const engine_commit_req_t *req,
                  char ret_id[IMAGE_DIGEST_STR_SIZE], cell_error_t *err)
{
        _cleanup_free_ char *images = str_printf("%s/images", e->storage_root), *name = NULL;
        _cleanup_image_store_ image_store_t *store = NULL;
        storage_image_t img = {0};
        image_descriptor_t layer = {0};
        char diff_id[IMAGE_DIGEST_STR_SIZE];
        json_t *rec = NULL, *state;
        bool paused = false;
        int r;

        if (!images)
                return cell_error_set(err, ENOMEM, "commit");
        if (req->ref && image_ref_normalize(req->ref, &name, err) < 0)
                return -1;
        if (engine_record_read(e, id, &rec, err) < 0)
                return -1;
        r = image_store_open(images, &store, err);
        if (r >= 0)
                r = storage_image_find(store, jstr(rec, "Image") ? jstr(rec, "Image") : "", &img, err);
        if (r < 0)
                goto out;
        state = json_object_get(rec, "State");
        /* As docker does: the processes are frozen while the layer is read,
         * so the image holds one moment of the container. */
        if (req->pause && json_is_true(json_object_get(state, "Running")) &&
            !json_is_true(json_object_get(state, "Paused")) && runtime_pause(e->runtime_root, id, NULL) == 0)
                paused = true;
        r = image_store_pin(store, err);
        if (r >= 0) {
                r = engine_commit_store_layer(e, store, id, -1, &layer, diff_id, err);
                if (paused)
                        runtime_resume(e->runtime_root, id, NULL);
                paused = false;
                if (r >= 0)
                        r = new_config(img.config, rec, req, diff_id, err);
                if (r >= 0) {
                        char *names[2] = {name, NULL};

                        r = engine_image_write(store, img.config, img.manifest, &layer, name ? names : NULL,
                                               false, ret_id, err);
                }
                image_store_unpin(store);
        }
out:
        if (paused)
                runtime_resume(e->runtime_root, id, NULL);
        storage_image_clear(&img);
        json_decref(rec);
        return r < 0 ? -1 : 0;
}
