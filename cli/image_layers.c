/* cell: `cell image layers IMAGE` — what each layer of an image adds, changes
 * and deletes, with the largest files of each kind (what people install
 * dive for). Each layer tar is read once with libarchive (any compression);
 * a path is "changed" when a lower layer has it, "deleted" when the layer
 * holds its .wh. whiteout (an opaque marker deletes what lower layers put in
 * its directory). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "archive_load.h"
#include "cleanup.h"
#include "cli.h"
#include "image_cmds.h"
#include "options.h"
#include "strutil.h"

typedef struct change {
        char *path;
        int64_t size;
} change_t;

typedef struct change_list {
        change_t *v;
        size_t n, cap;
        int64_t total;
} change_list_t;

static int change_add(change_list_t *l, const char *path, int64_t size)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 64;
                change_t *nv = realloc(l->v, cap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                l->v = nv;
                l->cap = cap;
        }
        l->v[l->n].path = strdup(path);
        if (!l->v[l->n].path)
                return -ENOMEM;
        l->v[l->n++].size = size;
        l->total += size;
        return 0;
}

static void change_list_clear(change_list_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

static int change_cmp(const void *a, const void *b)
{
        const change_t *x = a, *y = b;

        if (x->size != y->size)
                return x->size > y->size ? -1 : 1;
        return strcmp(x->path, y->path);
}

/* "./a/b/" → "a/b" in place. */
static char *clean_path(char *p)
{
        size_t n;

        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (p[0] == '/')
                p++;
        n = strlen(p);
        while (n > 0 && p[n - 1] == '/')
                p[--n] = '\0';
        return p;
}

/* The size of PATH and everything under it in LOWER; with remove, they go. */
static int64_t lower_subtree(json_t *lower, const char *path, bool remove, bool children_only)
{
        size_t n = strlen(path);
        int64_t sum = 0;
        const char *key;
        json_t *v, *tmp;

        json_object_foreach_safe(lower, tmp, key, v)
        {
                bool self = strcmp(key, path) == 0;
                bool child = n == 0 || (strncmp(key, path, n) == 0 && key[n] == '/');

                if ((self && !children_only) || child) {
                        sum += json_integer_value(v);
                        if (remove)
                                json_object_del(lower, key);
                }
        }
        return sum;
}

typedef struct layer_view {
        change_list_t added, changed, deleted;
        json_t *here; /* path → size, applied to lower afterwards */
        char **gone;  /* whiteouts: removed from lower afterwards */
        char **opaque;
} layer_view_t;

static int read_layer(int fd, json_t *lower, layer_view_t *lv, cell_error_t *err)
{
        struct archive *a = NULL;
        struct archive_entry *ae;
        int r = 0, ar;

        if (image_archive_ready(err) < 0)
                return -1;
        a = archive_read_new();
        if (!a)
                return cell_error_set(err, ENOMEM, "reading a layer");
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
                r = cell_error_set(err, EIO, "reading a layer: %s", archive_error_string(a));
                goto out;
        }
        while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
                const char *name = archive_entry_pathname(ae);
                _cleanup_free_ char *copy = strdup(name ? name : "");
                char *p, *base;
                int64_t size = archive_entry_filetype(ae) == AE_IFREG ? archive_entry_size(ae) : 0;

                if (!copy) {
                        r = cell_error_set(err, ENOMEM, "reading a layer");
                        goto out;
                }
                p = clean_path(copy);
                if (!*p)
                        continue;
                base = strrchr(p, '/');
                base = base ? base + 1 : p;
                if (strcmp(base, ".wh..wh..opq") == 0) {
                        _cleanup_free_ char *dir = strndup(p, (size_t)(base - p > 0 ? base - p - 1 : 0));
                        _cleanup_free_ char *shown = dir ? str_printf("%s/ (opaque)", dir) : NULL;

                        if (!shown || strv_push(&lv->opaque, dir) < 0 ||
                            change_add(&lv->deleted, shown, lower_subtree(lower, dir, false, true)) < 0) {
                                r = cell_error_set(err, ENOMEM, "reading a layer");
                                goto out;
                        }
                } else if (str_has_prefix(base, ".wh.")) {
                        _cleanup_free_ char *target = NULL;

                        target = base == p ? strdup(base + 4)
                                           : str_printf("%.*s%s", (int)(base - p), p, base + 4);
                        if (!target || strv_push(&lv->gone, target) < 0 ||
                            change_add(&lv->deleted, target, lower_subtree(lower, target, false, false)) <
                                    0) {
                                r = cell_error_set(err, ENOMEM, "reading a layer");
                                goto out;
                        }
                } else {
                        bool changed = json_object_get(lower, p) != NULL;

                        if (json_object_set_new(lv->here, p, json_integer(size)) < 0 ||
                            change_add(changed ? &lv->changed : &lv->added, p, size) < 0) {
                                r = cell_error_set(err, ENOMEM, "reading a layer");
                                goto out;
                        }
                }
                archive_read_data_skip(a);
        }
        if (ar != ARCHIVE_EOF)
                r = cell_error_set(err, EIO, "reading a layer: %s", archive_error_string(a));
out:
        archive_read_free(a);
        return r;
}

/* Directories and links (size 0) are left out of the added and changed
 * lists; a deleted name is news whatever its size. */
static void print_list(const char *what, change_list_t *l, size_t top, bool zero_too)
{
        char size[32];

        if (l->n == 0 || top == 0)
                return;
        qsort(l->v, l->n, sizeof(*l->v), change_cmp);
        if (!zero_too && l->v[0].size == 0)
                return;
        printf("  largest %s:\n", what);
        for (size_t i = 0; i < l->n && i < top && (zero_too || l->v[i].size > 0); i++) {
                img_human_size(l->v[i].size, size, sizeof(size));
                printf("    %-10s %s\n", size, l->v[i].path);
        }
}

int cmd_image_layers(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"top", 'n', true, 1},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        img_t *im = NULL;
        json_t *lower = json_object();
        cell_error_t err = {0};
        long top = 5;
        size_t hist = 0;
        int id, rc = 0;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1 || str_to_long(p.value, 0, 100000, &top) < 0) {
                        json_decref(lower);
                        return cli_usage_error("image layers", "%s",
                                               id == -1 ? p.errbuf : "--top: expected a number");
                }
        }
        if (p.index + 1 != argc) {
                json_decref(lower);
                return cli_usage_error("image layers", "usage: cell image layers [--top N] IMAGE");
        }
        if (!lower || img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0 ||
            img_find(&set, argv[p.index], &im, NULL, &err) < 0) {
                json_decref(lower);
                img_set_free(&set);
                return cli_fail("image layers", &err);
        }
        for (size_t i = 0; i < im->manifest->n_layers; i++) {
                const image_descriptor_t *d = &im->manifest->layers[i];
                layer_view_t lv = {.here = json_object()};
                _cleanup_close_ int fd = -1;
                const char *by = "";
                char size[32], a[32], c[32], del[32];

                /* the i-th history entry that made a layer */
                for (; hist < im->config->n_history; hist++)
                        if (!im->config->history[hist].empty_layer) {
                                by = im->config->history[hist].created_by
                                             ? im->config->history[hist].created_by
                                             : "";
                                hist++;
                                break;
                        }
                fd = image_store_blob_open(s, d->digest, &err);
                if (fd < 0 || !lv.here || read_layer(fd, lower, &lv, &err) < 0) {
                        rc = cli_fail("image layers", &err);
                        json_decref(lv.here);
                        change_list_clear(&lv.added);
                        change_list_clear(&lv.changed);
                        change_list_clear(&lv.deleted);
                        strv_free(lv.gone);
                        strv_free(lv.opaque);
                        break;
                }
                img_human_size(d->size, size, sizeof(size));
                img_human_size(lv.added.total, a, sizeof(a));
                img_human_size(lv.changed.total, c, sizeof(c));
                img_human_size(lv.deleted.total, del, sizeof(del));
                printf("Layer %zu/%zu  %s  %s  %s\n", i + 1, im->manifest->n_layers, d->digest, size, by);
                printf("  added %zu (%s), changed %zu (%s), deleted %zu (%s)\n", lv.added.n, a, lv.changed.n,
                       c, lv.deleted.n, del);
                print_list("added", &lv.added, (size_t)top, false);
                print_list("changed", &lv.changed, (size_t)top, false);
                print_list("deleted", &lv.deleted, (size_t)top, true);
                /* This layer now lies under the next: deletions first (a
                 * layer may delete and re-add a path), then its entries. */
                for (char **o = lv.opaque; o && *o; o++)
                        lower_subtree(lower, *o, true, true);
                for (char **w = lv.gone; w && *w; w++)
                        lower_subtree(lower, *w, true, false);
                json_object_update(lower, lv.here);
                json_decref(lv.here);
                change_list_clear(&lv.added);
                change_list_clear(&lv.changed);
                change_list_clear(&lv.deleted);
                strv_free(lv.gone);
                strv_free(lv.opaque);
        }
        json_decref(lower);
        img_set_free(&set);
        return rc;
}
