/* cell: a container's root file system from an image (see rootfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "rootfs.h"
#include "snapshot.h"
#include "strutil.h"

/* Container ids become path components: nothing that could climb out of
 * containers/ or hide there. */
static bool id_valid(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > 128 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

static char *cpath(storage_t *s, const char *id, const char *sub)
{
        return sub ? str_printf("%s/containers/%s/%s", storage_root(s), id, sub)
                   : str_printf("%s/containers/%s", storage_root(s), id);
}

int storage_rootfs_path(storage_t *s, const char *id, char **ret, cell_error_t *err)
{
        if (!id_valid(id))
                return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
        *ret = cpath(s, id, "merged");
        return *ret ? 0 : cell_error_set(err, ENOMEM, "rootfs path");
}

static int write_record(storage_t *s, const char *id, const storage_image_t *img, char **chain, char **dirs,
                        cell_error_t *err)
{
        _cleanup_free_ char *path = cpath(s, id, "layers.json"), *data = NULL;
        json_t *j = json_pack("{s:s, s:[], s:[]}", "image", img->id, "chain_ids", "layers");
        int r;

        for (size_t i = 0; j && chain[i]; i++) {
                json_array_append_new(json_object_get(j, "chain_ids"), json_string(chain[i]));
                json_array_append_new(json_object_get(j, "layers"), json_string(dirs[i]));
        }
        data = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        if (!path || !data)
                return cell_error_set(err, ENOMEM, "container %s: layers.json", id);
        r = fs_write_atomic(path, data, strlen(data), 0600, err);
        return r < 0 ? cell_error_prefix(err, "container %s", id) : 0;
}

/* The index of the top-most layer whose root directory is opaque (a layer
 * with "/.wh..wh..opq": nothing of the layers below shows), else 0.
 * overlayfs honours the opaque xattr on directories of a lower layer but not
 * on a lower layer's root (checked on Linux 6.18), so the layers below such a
 * layer are left out of the stack instead. */
static size_t opaque_root_layer(char **dirs)
{
        size_t n = strv_length(dirs);

        for (size_t i = n; i-- > 1;) {
                char v[2] = "";

                if (getxattr(dirs[i], "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y')
                        return i;
        }
        return 0;
}

int storage_rootfs_prepare(storage_t *s, image_store_t *store, const char *ref_or_id, const char *id,
                           char **ret_rootfs, cell_error_t *err)
{
        return storage_rootfs_prepare_image(s, store, NULL, ref_or_id, id, ret_rootfs, err);
}

int storage_rootfs_prepare_image(storage_t *s, image_store_t *store, const storage_image_t *known,
                                 const char *ref_or_id, const char *id, char **ret_rootfs, cell_error_t *err)
{
        _cleanup_free_ char *dir = NULL, *upper = NULL, *work = NULL, *merged = NULL;
        _cleanup_strv_ char **dirs = NULL, **chain = NULL;
        storage_image_t img = {0};
        snapshot_overlay_t o = {0};
        bool made = false;
        size_t lowest;
        int r;

        if (!id_valid(id))
                return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
        dir = cpath(s, id, NULL);
        upper = cpath(s, id, "upper");
        work = cpath(s, id, "work");
        merged = cpath(s, id, "merged");
        if (!dir || !upper || !work || !merged)
                return cell_error_set(err, ENOMEM, "prepare rootfs");
        /* Held from before the layers are ensured until layers.json names
         * them, so gc never removes a layer between the two. */
        r = storage_gc_lock_shared(s, err);
        if (r < 0)
                return r;
        if (known) {
                /* The caller's image (found by name): no second lookup,
                 * which by id reads every image of the store. */
                img.manifest = known->manifest;
                img.config = known->config;
                memcpy(img.id, known->id, sizeof(img.id));
        } else {
                r = storage_image_find(store, ref_or_id, &img, err);
                if (r < 0)
                        goto out;
        }
        r = storage_layers_ensure(s, store, img.manifest, img.config, &dirs, &chain, err);
        if (r < 0) {
                cell_error_prefix(err, "image %s", ref_or_id);
                goto out;
        }
        if (mkdir(dir, 0700) < 0) {
                r = errno == EEXIST
                            ? cell_error_set(err, EEXIST, "container %s already has a root file system", id)
                            : cell_error_errno(err, "make %s", dir);
                goto out;
        }
        made = true;
        if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(merged, 0755) < 0) {
                r = cell_error_errno(err, "make the directories of %s", dir);
                goto out;
        }
        lowest = opaque_root_layer(dirs);
        r = write_record(s, id, &img, chain + lowest, dirs + lowest, err);
        if (r < 0)
                goto out;
        o.layers = (const char *const *)dirs + lowest;
        o.n_layers = strv_length(dirs) - lowest;
        o.upper = upper;
        o.work = work;
        r = snapshot_mount(&o, merged, err);
        if (r < 0) {
                cell_error_prefix(err, "container %s", id);
                goto out;
        }
        if (ret_rootfs)
                *ret_rootfs = steal_pointer(&merged);
        r = 0;
out:
        if (r < 0 && made)
                fs_rm_rf(dir, NULL);
        storage_gc_unlock(s);
        if (!known)
                storage_image_clear(&img);
        return r;
}

int storage_rootfs_release(storage_t *s, const char *id, cell_error_t *err)
{
        _cleanup_free_ char *dir = NULL, *merged = NULL;

        if (!id_valid(id))
                return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
        dir = cpath(s, id, NULL);
        merged = cpath(s, id, "merged");
        if (!dir || !merged)
                return cell_error_set(err, ENOMEM, "release rootfs");
        if (!fs_exists(dir))
                return 0;
        /* Unmount every mount stacked there; a busy one (a process still
         * has a file open in it) is detached, and goes when it is let go. */
        for (int i = 0; i < 64; i++) {
                if (umount2(merged, UMOUNT_NOFOLLOW) == 0)
                        continue;
                if (errno == EBUSY) {
                        if (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                                continue;
                }
                if (errno == EINVAL || errno == ENOENT)
                        break; /* not a mount point (any more) */
                return cell_error_errno(err, "unmount %s", merged);
        }
        if (fs_rm_rf(dir, err) < 0)
                return cell_error_prefix(err, "container %s", id);
        return 0;
}

int storage_rootfs_diff(storage_t *s, const char *id, json_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *rec = NULL, *upper = NULL, *data = NULL;
        _cleanup_strv_ char **layers = NULL;
        json_t *j, *arr, *v;
        size_t len = 0, i, n;
        int r;

        if (!id_valid(id))
                return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
        rec = cpath(s, id, "layers.json");
        upper = cpath(s, id, "upper");
        if (!rec || !upper)
                return cell_error_set(err, ENOMEM, "diff");
        if (fs_read_file(rec, 0, &data, &len, err) < 0)
                return cell_error_prefix(err, "container %s", id);
        j = json_loadb(data, len, 0, NULL);
        arr = json_object_get(j, "chain_ids");
        if (!json_is_array(arr)) {
                json_decref(j);
                return cell_error_set(err, EINVAL, "container %s: layers.json: no \"chain_ids\" array", id);
        }
        n = json_array_size(arr);
        layers = calloc(n + 1, sizeof(*layers));
        if (!layers) {
                json_decref(j);
                return cell_error_set(err, ENOMEM, "diff");
        }
        /* From the chain ids rather than the recorded paths, so that a
         * storage root that was moved still diffs. */
        json_array_foreach(arr, i, v)
        {
                const char *cid = json_string_value(v);

                if (!cid || !str_has_prefix(cid, "sha256:") || strlen(cid) != 71 || strchr(cid + 7, '/')) {
                        json_decref(j);
                        return cell_error_set(err, EINVAL, "container %s: layers.json: chain_ids[%zu]", id,
                                              i);
                }
                layers[i] = str_printf("%s/layers/%s/diff", storage_root(s), cid + 7);
                if (!layers[i]) {
                        json_decref(j);
                        return cell_error_set(err, ENOMEM, "diff");
                }
        }
        r = snapshot_diff(upper, (const char *const *)layers, n, ret, err);
        json_decref(j);
        return r < 0 ? cell_error_prefix(err, "container %s", id) : 0;
}
