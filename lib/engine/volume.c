/* cell: the engine's named volumes (see volume.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"
#include "volume.h"

void engine_volume_free(engine_volume_t *v)
{
        if (!v)
                return;
        free(v->name);
        free(v->mountpoint);
        free(v->created_at);
        json_decref(v->labels);
        json_decref(v->options);
        free(v);
}

bool engine_volume_name_valid(const char *n)
{
        if (!n || !n[0] ||
            !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= '0' && n[0] <= '9')))
                return false;
        for (const char *p = n; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

static char *volume_dir(engine_t *e, const char *name, const char *leaf)
{
        return leaf ? str_printf("%s/volumes/%s/%s", e->storage_root, name, leaf)
                    : str_printf("%s/volumes/%s", e->storage_root, name);
}

static char *time_rfc3339(time_t t)
{
        struct tm tm;
        char buf[32];

        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return strdup("");
        return strdup(buf);
}

int engine_volume_get(engine_t *e, const char *name, engine_volume_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *dir = NULL, *meta_path = NULL, *text = NULL;
        engine_volume_t *v = NULL;
        json_t *meta = NULL;
        struct stat st;

        /* A name with a '/' or a leading '.' would reach outside
         * STORAGE/volumes or into its bookkeeping. */
        if (!engine_volume_name_valid(name))
                return cell_error_plain(err, ENOENT, "no such volume");
        dir = volume_dir(e, name, NULL);
        meta_path = volume_dir(e, name, "meta.json");
        if (!dir || !meta_path)
                return cell_error_set(err, ENOMEM, "volume");
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return cell_error_plain(err, ENOENT, "no such volume");
        v = calloc(1, sizeof(*v));
        if (!v)
                return cell_error_set(err, ENOMEM, "volume");
        v->name = strdup(name);
        v->mountpoint = volume_dir(e, name, "_data");
        if (fs_read_file(meta_path, 1 << 20, &text, NULL, NULL) == 0)
                meta = json_loads(text, 0, NULL);
        if (meta && json_string_value(json_object_get(meta, "CreatedAt")))
                v->created_at = strdup(json_string_value(json_object_get(meta, "CreatedAt")));
        else
                v->created_at = time_rfc3339(st.st_mtime);
        if (meta && json_is_object(json_object_get(meta, "Labels")))
                v->labels = json_incref(json_object_get(meta, "Labels"));
        if (meta && json_is_object(json_object_get(meta, "Options")))
                v->options = json_incref(json_object_get(meta, "Options"));
        json_decref(meta);
        if (!v->name || !v->mountpoint || !v->created_at) {
                engine_volume_free(v);
                return cell_error_set(err, ENOMEM, "volume");
        }
        *ret = v;
        return 0;
}

int engine_volume_create(engine_t *e, const char *name, json_t *labels, json_t *options,
                         engine_volume_t **ret, cell_error_t *err)
{
        char gen[ENGINE_ID_LEN + 1];
        _cleanup_free_ char *top = str_printf("%s/volumes", e->storage_root);
        _cleanup_free_ char *dir = NULL, *data = NULL, *meta_path = NULL, *text = NULL, *now = NULL;
        json_t *meta;

        if (!name) {
                if (engine_new_id(gen, err) < 0)
                        return -1;
                name = gen;
        }
        if (!engine_volume_name_valid(name))
                return cell_error_plain(
                        err, EINVAL,
                        "create %s: \"%s\" includes invalid characters for a local volume name, "
                        "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to "
                        "pass a host directory, use absolute path",
                        name, name);
        dir = volume_dir(e, name, NULL);
        data = volume_dir(e, name, "_data");
        meta_path = volume_dir(e, name, "meta.json");
        if (!top || !dir || !data || !meta_path)
                return cell_error_set(err, ENOMEM, "volume");
        if (fs_mkdir_p(top, 0700, err) < 0)
                return -1;
        /* mkdir decides who made it: the loser of a race, like a second
         * create, gets the volume as it is. */
        if (mkdir(dir, 0755) < 0) {
                if (errno != EEXIST)
                        return cell_error_errno(err, "create %s", name);
                if (fs_mkdir_p(data, 0755, err) < 0)
                        return -1;
                return engine_volume_get(e, name, ret, err);
        }
        if (mkdir(data, 0755) < 0 && errno != EEXIST)
                return cell_error_errno(err, "create %s", name);
        now = time_rfc3339(time(NULL));
        meta = json_object();
        if (meta) {
                json_object_set_new(meta, "CreatedAt", json_string(now ? now : ""));
                json_object_set_new(meta, "Labels", labels ? json_deep_copy(labels) : json_object());
                json_object_set_new(meta, "Options", options ? json_deep_copy(options) : json_object());
        }
        text = meta ? json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(meta);
        if (!text)
                return cell_error_set(err, ENOMEM, "volume");
        if (fs_write_atomic(meta_path, text, strlen(text), 0600, err) < 0)
                return -1;
        return engine_volume_get(e, name, ret, err);
}

int engine_volume_list(engine_t *e, char ***ret, cell_error_t *err)
{
        _cleanup_free_ char *top = str_printf("%s/volumes", e->storage_root);
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_ char **names = NULL;
        struct dirent *de;

        if (!top)
                return cell_error_set(err, ENOMEM, "volumes");
        names = calloc(1, sizeof(*names)); /* a non-NULL empty list */
        if (!names)
                return cell_error_set(err, ENOMEM, "volumes");
        d = opendir(top);
        if (!d) {
                if (errno != ENOENT)
                        return cell_error_errno(err, "%s", top);
                *ret = steal_pointer(&names);
                return 0;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (!engine_volume_name_valid(de->d_name))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (strv_push(&names, de->d_name) < 0)
                        return cell_error_set(err, ENOMEM, "volumes");
        }
        if (strv_length(names) > 1)
                strv_sort(names, strv_length(names));
        *ret = steal_pointer(&names);
        return 0;
}

int engine_volume_users(engine_t *e, json_t **ret, cell_error_t *err)
{
        _cleanup_strv_ char **ids = NULL;
        json_t *users = json_object();

        if (!users)
                return cell_error_set(err, ENOMEM, "volumes");
        if (engine_container_list(e, &ids, err) < 0) {
                json_decref(users);
                return -1;
        }
        for (size_t i = 0; ids && ids[i]; i++) {
                json_t *rec = NULL, *m;
                size_t j;

                /* A record being removed under us is no user. */
                if (engine_record_read(e, ids[i], &rec, NULL) < 0)
                        continue;
                json_array_foreach(json_object_get(rec, "Mounts"), j, m)
                {
                        const char *name = json_string_value(json_object_get(m, "Name"));
                        json_t *list;

                        if (!name || !str_eq(json_string_value(json_object_get(m, "Type")), "volume"))
                                continue;
                        list = json_object_get(users, name);
                        if (!list) {
                                list = json_array();
                                json_object_set_new(users, name, list);
                        }
                        json_array_append_new(list, json_string(ids[i]));
                }
                json_decref(rec);
        }
        *ret = users;
        return 0;
}

int engine_volumes_lock(engine_t *e, bool exclusive, cell_error_t *err)
{
        _cleanup_free_ char *top = str_printf("%s/volumes", e->storage_root);
        _cleanup_free_ char *path = str_printf("%s/volumes/.lock", e->storage_root);
        int op = exclusive ? LOCK_EX : LOCK_SH;
        cell_error_t first = {0};
        int fd;

        if (!top || !path)
                return cell_error_set(err, ENOMEM, "volumes");
        /* The volumes directory comes with the first volume: made here
         * when missing. */
        fd = fs_lock_file(path, op, &first);
        if (fd == -ENOENT && (mkdir(top, 0700) == 0 || errno == EEXIST))
                return fs_lock_file(path, op, err);
        if (fd < 0)
                *err = first;
        return fd;
}

int engine_volume_remove(engine_t *e, const char *name, uint64_t *ret_bytes, cell_error_t *err)
{
        _cleanup_engine_volume_ engine_volume_t *v = NULL;
        _cleanup_free_ char *dir = NULL, *ids = NULL;
        json_t *users = NULL, *list, *id;
        _cleanup_close_ int lock = engine_volumes_lock(e, true, err);
        size_t i;

        if (lock < 0)
                return -1;
        if (engine_volume_get(e, name, &v, err) < 0)
                return -1;
        if (engine_volume_users(e, &users, err) < 0)
                return -1;
        list = json_object_get(users, name);
        if (json_array_size(list) > 0) {
                json_array_foreach(list, i, id)
                {
                        char *more =
                                str_printf("%s%s%s", ids ? ids : "", ids ? " " : "", json_string_value(id));

                        free(ids);
                        ids = more;
                }
                json_decref(users);
                return cell_error_plain(err, EBUSY, "remove %s: volume is in use - [%s]", name,
                                        ids ? ids : "");
        }
        json_decref(users);
        dir = volume_dir(e, name, NULL);
        if (!dir)
                return cell_error_set(err, ENOMEM, "volume");
        if (ret_bytes)
                *ret_bytes = engine_path_size(v->mountpoint);
        if (fs_rm_rf(dir, err) < 0) {
                cell_error_prefix(err, "remove %s", name);
                return -1;
        }
        return 0;
}

json_t *engine_volume_json(const engine_volume_t *v)
{
        return json_pack("{s:s, s:s, s:O?, s:s, s:s, s:O?, s:s}", "CreatedAt", v->created_at, "Driver",
                         "local", "Labels", v->labels, "Mountpoint", v->mountpoint, "Name", v->name,
                         "Options", v->options, "Scope", "local");
}

typedef struct seen_inodes {
        struct {
                dev_t dev;
                ino_t ino;
        } * v;
        size_t n, cap;
} seen_inodes_t;

/* Whether a file with several links was counted already (and mark it). */
static bool seen_before(seen_inodes_t *seen, const struct stat *st)
{
        for (size_t i = 0; i < seen->n; i++)
                if (seen->v[i].dev == st->st_dev && seen->v[i].ino == st->st_ino)
                        return true;
        if (seen->n == seen->cap) {
                size_t cap = seen->cap ? seen->cap * 2 : 16;
                void *nv = realloc(seen->v, cap * sizeof(*seen->v));

                if (!nv)
                        return false;
                seen->v = nv;
                seen->cap = cap;
        }
        seen->v[seen->n].dev = st->st_dev;
        seen->v[seen->n].ino = st->st_ino;
        seen->n++;
        return false;
}

static uint64_t dir_size_at(int dfd, seen_inodes_t *seen, int depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        uint64_t total = 0;

        /* fdopendir owns dfd from here, even on failure paths below. */
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        int sub;

                        if (depth > 256)
                                continue;
                        sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                total += dir_size_at(sub, seen, depth + 1);
                        continue;
                }
                if (st.st_nlink > 1 && seen_before(seen, &st))
                        continue;
                total += (uint64_t)st.st_size;
        }
        return total;
}

uint64_t engine_path_size(const char *path)
{
        seen_inodes_t seen = {0};
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        uint64_t n;

        if (fd < 0)
                return 0;
        n = dir_size_at(fd, &seen, 0);
        free(seen.v);
        return n;
}
