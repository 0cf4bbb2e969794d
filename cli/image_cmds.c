/* cell: the image commands, with Docker's flags and output: images (image
 * ls), tag, rmi, history, image inspect, image prune, image base, image
 * check, image layers, system df. The store is <storage_root>/images. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base.h"
#include "cleanup.h"
#include "cli.h"
#include "config.h"
#include "container.h"
#include "image_cmds.h"
#include "template.h"
#include "lifecycle.h"
#include "layers.h"
#include "manifest.h"
#include "options.h"
#include "ref.h"
#include "store.h"
#include "strutil.h"

/* Formatting as Docker's go-units does it. */

void img_human_size(int64_t size, char *buf, size_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)size;
        size_t i = 0;

        while (v >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, n, "%.3g%s", v, units[i]);
}

static void human_duration(int64_t secs, char *buf, size_t n)
{
        int64_t hours = (secs + 1800) / 3600;

        if (secs < 1)
                snprintf(buf, n, "Less than a second");
        else if (secs == 1)
                snprintf(buf, n, "1 second");
        else if (secs < 60)
                snprintf(buf, n, "%lld seconds", (long long)secs);
        else if (secs / 60 == 1)
                snprintf(buf, n, "About a minute");
        else if (secs / 60 < 60)
                snprintf(buf, n, "%lld minutes", (long long)(secs / 60));
        else if (hours == 1)
                snprintf(buf, n, "About an hour");
        else if (hours < 48)
                snprintf(buf, n, "%lld hours", (long long)hours);
        else if (hours < 24 * 7 * 2)
                snprintf(buf, n, "%lld days", (long long)(hours / 24));
        else if (hours < 24 * 30 * 2)
                snprintf(buf, n, "%lld weeks", (long long)(hours / 24 / 7));
        else if (hours < 24 * 365 * 2)
                snprintf(buf, n, "%lld months", (long long)(hours / 24 / 30));
        else
                snprintf(buf, n, "%lld years", (long long)(secs / 3600 / 24 / 365));
}

void img_since(int64_t created, bool known, char *buf, size_t n)
{
        char d[64];

        if (!known) {
                snprintf(buf, n, "N/A");
                return;
        }
        human_duration((int64_t)time(NULL) - created, d, sizeof(d));
        snprintf(buf, n, "%s ago", d);
}

/* RFC 3339 to seconds since the epoch (the fraction is dropped). */
bool img_parse_time(const char *s, int64_t *ret)
{
        struct tm tm = {0};
        const char *p;
        int64_t t;

        if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
                return false;
        if (*p == '.')
                while (isdigit((unsigned char)*++p))
                        ;
        t = (int64_t)timegm(&tm);
        if (*p == 'Z' || *p == 'z') {
                *ret = t;
                return true;
        }
        if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
            p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
                int64_t off =
                        ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
                *ret = *p == '+' ? t - off : t + off;
                return true;
        }
        return false;
}

static void created_at(const img_t *im, char *buf, size_t n)
{
        time_t t = (time_t)im->created;
        struct tm tm;

        if (!im->created_known || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm))
                snprintf(buf, n, "N/A");
}

/* The image set: every index entry, grouped by image id (config digest). */

void img_set_free(img_set_t *set)
{
        for (size_t i = 0; i < set->n; i++)
                img_set_free_one(&set->v[i]);
        free(set->v);
        memset(set, 0, sizeof(*set));
}

/* The manifest an entry stands for: itself, or the host's platform of an
 * index (which must be in the store). */
static int entry_manifest(image_store_t *s, const char *digest, const char *media_type, char **ret_digest,
                          image_manifest_t **ret, cell_error_t *err)
{
        _cleanup_free_ char *data = NULL, *child = NULL;
        size_t len = 0;
        image_doc_kind_t kind;
        int r;

        r = image_store_blob_read(s, digest, 0, &data, &len, err);
        if (r < 0)
                return r;
        r = image_doc_detect(data, len, media_type, &kind, err);
        if (r < 0)
                return r;
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(data, len, media_type, err);
                image_platform_t host = {0};
                const image_descriptor_t *d;

                if (!idx)
                        return -EINVAL;
                if (image_platform_host(&host, err) < 0) {
                        image_index_free(idx);
                        return -ENOMEM;
                }
                d = image_index_match(idx, &host, err);
                image_platform_free(&host);
                if (d)
                        child = strdup(d->digest);
                image_index_free(idx);
                if (!d)
                        return -ENOENT;
                if (!child)
                        return cell_error_set(err, ENOMEM, "index");
                free(data);
                data = NULL;
                r = image_store_blob_read(s, child, 0, &data, &len, err);
                if (r < 0)
                        return r;
                digest = child;
                media_type = NULL;
        }
        *ret = image_manifest_parse(data, len, media_type, err);
        if (!*ret)
                return -EINVAL;
        *ret_digest = strdup(digest);
        if (!*ret_digest) {
                image_manifest_free(*ret);
                *ret = NULL;
                return cell_error_set(err, ENOMEM, "manifest");
        }
        return 0;
}

static int load_image(image_store_t *s, const image_store_entry_t *e, img_t *im, cell_error_t *err)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len = 0;
        json_error_t jerr;
        int r;

        r = entry_manifest(s, e->digest, e->media_type, &im->manifest_digest, &im->manifest, err);
        if (r < 0)
                return r;
        r = image_store_blob_read(s, im->manifest->config.digest, 16 << 20, &cfg, &len, err);
        if (r < 0)
                return cell_error_prefix(err, "config %s", im->manifest->config.digest);
        im->config = image_config_parse(cfg, len, err);
        if (!im->config)
                return -EINVAL;
        im->config_json = json_loadb(cfg, len, 0, &jerr);
        str_copy(im->id, sizeof(im->id), im->manifest->config.digest);
        im->media_type = strdup(e->media_type ? e->media_type : "");
        im->created_known = img_parse_time(im->config->created, &im->created);
        for (size_t i = 0; i < im->manifest->n_layers; i++)
                im->size += im->manifest->layers[i].size;
        return 0;
}

int img_set_load(image_store_t *s, img_set_t *set, cell_error_t *err)
{
        image_store_entry_t *entries = NULL;
        size_t n = 0;
        int r;

        memset(set, 0, sizeof(*set));
        r = image_store_list(s, &entries, &n, err);
        if (r < 0)
                return r;
        set->v = calloc(n ? n : 1, sizeof(img_t));
        if (!set->v) {
                image_store_entries_free(entries, n);
                return cell_error_set(err, ENOMEM, "images");
        }
        for (size_t i = 0; i < n; i++) {
                img_t im = {0}, *have = NULL;
                cell_error_t e2 = {0};

                if (load_image(s, &entries[i], &im, &e2) < 0) {
                        /* One broken entry does not hide the others; `image
                         * check` is where it is reported. */
                        fprintf(stderr, "cell: warning: skipping %s: %s\n",
                                entries[i].ref ? entries[i].ref : entries[i].digest, e2.msg);
                        img_set_free_one(&im);
                        continue;
                }
                for (size_t j = 0; j < set->n; j++)
                        if (strcmp(set->v[j].id, im.id) == 0)
                                have = &set->v[j];
                if (!have) {
                        set->v[set->n] = im;
                        have = &set->v[set->n++];
                } else {
                        img_set_free_one(&im);
                }
                if (entries[i].ref) {
                        if (strv_push(&have->refs, entries[i].ref) < 0) {
                                image_store_entries_free(entries, n);
                                return cell_error_set(err, ENOMEM, "images");
                        }
                } else {
                        have->unnamed = true;
                        have->intermediate = entries[i].intermediate;
                }
        }
        image_store_entries_free(entries, n);
        return 0;
}

void img_set_free_one(img_t *im)
{
        strv_free(im->refs);
        free(im->manifest_digest);
        free(im->media_type);
        image_manifest_free(im->manifest);
        image_config_free(im->config);
        json_decref(im->config_json);
        memset(im, 0, sizeof(*im));
}

/* "docker.io/library/debian:latest" → repository "debian", tag "latest". */
static int split_ref(const char *ref, char **ret_repo, char **ret_tag, char **ret_familiar)
{
        _cleanup_image_ref_ image_ref_t *r = NULL;
        cell_error_t err = {0};
        _cleanup_free_ char *fam = NULL;
        size_t len;

        if (image_ref_parse(ref, &r, &err) < 0)
                return -EINVAL;
        fam = image_ref_familiar(r);
        if (!fam)
                return -ENOMEM;
        len = strlen(fam);
        if (r->digest) {
                char *at = strchr(fam, '@');
                if (at)
                        len = (size_t)(at - fam);
        }
        if (r->tag && len > strlen(r->tag) + 1)
                len -= strlen(r->tag) + 1;
        *ret_repo = strndup(fam, len);
        *ret_tag = strdup(r->tag ? r->tag : "<none>");
        if (ret_familiar)
                *ret_familiar = steal_pointer(&fam);
        return *ret_repo && *ret_tag ? 0 : -ENOMEM;
}

static char *familiar(const char *ref)
{
        _cleanup_free_ char *repo = NULL, *tag = NULL;
        char *fam = NULL;

        if (split_ref(ref, &repo, &tag, &fam) < 0)
                return strdup(ref);
        return fam;
}

static bool all_hex(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* IMAGE as Docker takes it: a reference, else a prefix of an image id (or
 * of a manifest digest). *ret_ref is the normalised reference when ARG named
 * one, else NULL. */
int img_find(img_set_t *set, const char *arg, img_t **ret, char **ret_ref, cell_error_t *err)
{
        _cleanup_free_ char *name = NULL;
        const char *hex = str_has_prefix(arg, "sha256:") ? arg + 7 : arg;
        img_t *found = NULL;

        if (ret_ref)
                *ret_ref = NULL;
        if (image_ref_normalize(arg, &name, NULL) == 0)
                for (size_t i = 0; i < set->n; i++)
                        for (char **r = set->v[i].refs; r && *r; r++)
                                if (strcmp(*r, name) == 0) {
                                        *ret = &set->v[i];
                                        if (ret_ref)
                                                *ret_ref = steal_pointer(&name);
                                        return 0;
                                }
        if (all_hex(hex) && strlen(hex) <= 64) {
                for (size_t i = 0; i < set->n; i++) {
                        if (!str_has_prefix(set->v[i].id + 7, hex) &&
                            !(strlen(hex) == 64 && str_eq(set->v[i].manifest_digest + 7, hex)))
                                continue;
                        if (found && found != &set->v[i])
                                return cell_error_set(err, EINVAL, "%s: the prefix names several images",
                                                      arg);
                        found = &set->v[i];
                }
                if (found) {
                        *ret = found;
                        return 0;
                }
        }
        cell_error_set(err, 0, "No such image: %s", arg);
        if (err)
                err->code = ENOENT;
        return -ENOENT;
}

int img_open_store(const cli_global_t *g, image_store_t **ret, cell_error_t *err)
{
        return cli_open_image_store(g, ret, err);
}

/* The first container (newest first) whose record was made from IM: any
 * container, running or stopped, holds its image, as docker's do. */
bool img_container_using(const cli_global_t *g, const img_t *im, char ret_id[ENGINE_ID_LEN + 1],
                         bool *ret_running)
{
        _cleanup_engine_ engine_t *e = NULL;
        _cleanup_strv_ char **ids = NULL;
        if (cli_open_engine(g, &e, NULL) < 0 || engine_container_list(e, &ids, NULL) < 0)
                return false;
        for (size_t i = 0; ids && ids[i]; i++) {
                json_t *rec = NULL;
                bool same;

                if (engine_inspect(e, ids[i], &rec, NULL) < 0)
                        continue;
                same = str_eq(json_string_value(json_object_get(rec, "Image")), im->id);
                if (same) {
                        if (ret_id)
                                str_copy(ret_id, ENGINE_ID_LEN + 1, ids[i]);
                        if (ret_running)
                                *ret_running = json_is_true(
                                        json_object_get(json_object_get(rec, "State"), "Running"));
                }
                json_decref(rec);
                if (same)
                        return true;
        }
        return false;
}

/* The one place rmi, prune and system df ask. */
bool img_in_use_by_container(const cli_global_t *g, const img_t *im)
{
        return img_container_using(g, im, NULL, NULL);
}

static const char *short_id(const char *id, bool no_trunc, char *buf, size_t n)
{
        if (no_trunc)
                return id;
        snprintf(buf, n, "%.12s", id + 7);
        return buf;
}

/* images / image ls */

typedef struct row {
        img_t *im;
        char *repo, *tag, *ref;
} row_t;

static int row_cmp(const void *a, const void *b)
{
        const row_t *x = a, *y = b;
        int c;

        if (x->im->created != y->im->created)
                return x->im->created > y->im->created ? -1 : 1;
        c = strcmp(x->repo, y->repo);
        return c ? c : strcmp(x->tag, y->tag);
}

typedef struct filters {
        char **reference;
        int dangling; /* -1: no filter */
        char **label;
        bool before_set, since_set;
        int64_t before, since;
} filters_t;

static bool match_filters(const filters_t *f, const row_t *r)
{
        if (f->dangling >= 0 && (r->ref == NULL) != (f->dangling == 1))
                return false;
        if (f->reference) {
                bool ok = false;
                for (char **p = f->reference; *p && !ok; p++) {
                        _cleanup_free_ char *rt = str_printf("%s:%s", r->repo, r->tag);
                        ok = r->ref && (fnmatch(*p, r->repo, 0) == 0 || (rt && fnmatch(*p, rt, 0) == 0) ||
                                        fnmatch(*p, r->ref, 0) == 0);
                }
                if (!ok)
                        return false;
        }
        for (char **p = f->label; p && *p; p++) {
                const image_run_config_t *c = &r->im->config->config;
                const char *eq = strchr(*p, '=');
                _cleanup_free_ char *key = eq ? strndup(*p, (size_t)(eq - *p)) : strdup(*p);
                const char *v = key ? image_kv_get(c->labels, c->n_labels, key) : NULL;

                if (!v || (eq && strcmp(v, eq + 1) != 0))
                        return false;
        }
        if (f->before_set && !(r->im->created < f->before))
                return false;
        if (f->since_set && !(r->im->created > f->since))
                return false;
        return true;
}

enum {
        OPT_QUIET = 1,
        OPT_ALL,
        OPT_DIGESTS,
        OPT_NO_TRUNC,
        OPT_FORMAT,
        OPT_FILTER,
        OPT_FORCE,
        OPT_REPAIR,
        OPT_SUITE,
        OPT_MIRROR,
        OPT_BUSYBOX,
        OPT_TOP,
        OPT_CACHE_DIR,
};

static int parse_filter(const char *cmd, img_set_t *set, filters_t *f, const char *v)
{
        const char *eq = strchr(v, '=');
        img_t *im = NULL;
        cell_error_t err = {0};

        if (!eq)
                return cli_usage_error(cmd, "bad format of filter (expected name=value): %s", v);
        if (str_has_prefix(v, "reference="))
                return strv_push(&f->reference, eq + 1) < 0 ? 1 : 0;
        if (str_has_prefix(v, "label="))
                return strv_push(&f->label, eq + 1) < 0 ? 1 : 0;
        if (str_has_prefix(v, "dangling=")) {
                if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0)
                        f->dangling = 1;
                else if (strcmp(eq + 1, "false") == 0 || strcmp(eq + 1, "0") == 0)
                        f->dangling = 0;
                else
                        return cli_usage_error(cmd, "invalid filter 'dangling=%s'", eq + 1);
                return 0;
        }
        if (str_has_prefix(v, "before=") || str_has_prefix(v, "since=")) {
                if (img_find(set, eq + 1, &im, NULL, &err) < 0)
                        return cli_fail(cmd, &err);
                if (v[0] == 'b') {
                        f->before_set = true;
                        f->before = im->created;
                } else {
                        f->since_set = true;
                        f->since = im->created;
                }
                return 0;
        }
        return cli_usage_error(cmd, "invalid filter '%.*s'", (int)(eq - v), v);
}

static int images_list(const cli_global_t *g, const char *cmd, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"quiet", 'q', false, OPT_QUIET},
                {"all", 'a', false, OPT_ALL},
                {"digests", 0, false, OPT_DIGESTS},
                {"no-trunc", 0, false, OPT_NO_TRUNC},
                {"format", 0, true, OPT_FORMAT},
                {"filter", 'f', true, OPT_FILTER},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        filters_t f = {.dangling = -1};
        bool quiet = false, digests = false, no_trunc = false, json = false, all = false;
        _cleanup_strv_ char **filter_args = NULL, **seen = NULL;
        row_t *rows = NULL;
        size_t nrows = 0;
        cell_error_t err = {0};
        int id, rc = 0;

        while ((id = cli_next_option(&p, opts)) != 0) {
                switch (id) {
                case -1:
                        return cli_usage_error(cmd, "%s", p.errbuf);
                case OPT_QUIET:
                        quiet = true;
                        break;
                case OPT_ALL:
                        all = true; /* a build's intermediate images too */
                        break;
                case OPT_DIGESTS:
                        digests = true;
                        break;
                case OPT_NO_TRUNC:
                        no_trunc = true;
                        break;
                case OPT_FORMAT:
                        if (strcmp(p.value, "json") != 0 && strcmp(p.value, "{{json .}}") != 0)
                                return cli_usage_error(cmd, "--format: only json is supported, not \"%s\"",
                                                       p.value);
                        json = true;
                        break;
                case OPT_FILTER:
                        if (strv_push(&filter_args, p.value) < 0)
                                return 1;
                        break;
                default:
                        return 2;
                }
        }
        if (p.index < argc) {
                /* docker images REPOSITORY[:TAG] is a reference filter */
                if (p.index + 1 < argc)
                        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[p.index + 1]);
                if (strv_push(&f.reference, argv[p.index]) < 0)
                        return 1;
        }
        if (img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0)
                return cli_fail(cmd, &err);
        for (char **a = filter_args; a && *a; a++) {
                rc = parse_filter(cmd, &set, &f, *a);
                if (rc)
                        goto out;
        }
        rows = calloc(1, sizeof(row_t));
        for (size_t i = 0; rows && i < set.n; i++) {
                size_t nr = strv_length(set.v[i].refs) + (set.v[i].refs ? 0 : 1);
                row_t *nv = realloc(rows, (nrows + nr + 1) * sizeof(row_t));
                if (!nv) {
                        rc = 1;
                        goto out;
                }
                rows = nv;
                if (!set.v[i].refs && set.v[i].intermediate && !all)
                        continue;
                if (!set.v[i].refs) {
                        rows[nrows++] =
                                (row_t){.im = &set.v[i], .repo = strdup("<none>"), .tag = strdup("<none>")};
                        continue;
                }
                for (char **r = set.v[i].refs; *r; r++) {
                        row_t *row = &rows[nrows];
                        memset(row, 0, sizeof(*row));
                        row->im = &set.v[i];
                        row->ref = *r;
                        if (split_ref(*r, &row->repo, &row->tag, NULL) < 0) {
                                free(row->repo);
                                free(row->tag);
                                row->repo = strdup(*r);
                                row->tag = strdup("<none>");
                        }
                        nrows++;
                }
        }
        if (!rows) {
                rc = 1;
                goto out;
        }
        qsort(rows, nrows, sizeof(row_t), row_cmp);
        if (!quiet && !json) {
                if (digests)
                        printf("%-30s %-10s %-71s %-15s %-15s %s\n", "REPOSITORY", "TAG", "DIGEST",
                               "IMAGE ID", "CREATED", "SIZE");
                else
                        printf("%-30s %-10s %-15s %-15s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                               "SIZE");
        }
        for (size_t i = 0; i < nrows; i++) {
                row_t *r = &rows[i];
                char idb[80], since[64], size[32], at[64];
                const char *shown = short_id(r->im->id, no_trunc, idb, sizeof(idb));
                bool dup = false;

                if (!match_filters(&f, r))
                        continue;
                img_since(r->im->created, r->im->created_known, since, sizeof(since));
                img_human_size(r->im->size, size, sizeof(size));
                if (quiet) {
                        /* one line per image, as docker images -q */
                        for (char **v = seen; v && *v; v++)
                                dup = dup || strcmp(*v, r->im->id) == 0;
                        if (!dup) {
                                printf("%s\n", shown);
                                if (strv_push(&seen, r->im->id) < 0)
                                        rc = 1;
                        }
                        continue;
                }
                if (json) {
                        json_t *o;
                        char *line;

                        created_at(r->im, at, sizeof(at));
                        o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Containers", "N/A",
                                      "CreatedAt", at, "CreatedSince", since, "Digest",
                                      r->im->manifest_digest, "ID", shown, "Repository", r->repo,
                                      "SharedSize", "N/A", "Size", size, "Tag", r->tag, "UniqueSize", "N/A",
                                      "VirtualSize", size);
                        line = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                        json_decref(o);
                        if (!line) {
                                rc = 1;
                                break;
                        }
                        printf("%s\n", line);
                        free(line);
                        continue;
                }
                if (digests)
                        printf("%-30s %-10s %-71s %-15s %-15s %s\n", r->repo, r->tag, r->im->manifest_digest,
                               shown, since, size);
                else
                        printf("%-30s %-10s %-15s %-15s %s\n", r->repo, r->tag, shown, since, size);
        }
out:
        for (size_t i = 0; i < nrows; i++) {
                free(rows[i].repo);
                free(rows[i].tag);
        }
        free(rows);
        strv_free(f.reference);
        strv_free(f.label);
        img_set_free(&set);
        return rc;
}

int cmd_images(const cli_global_t *g, int argc, char **argv)
{
        return images_list(g, "images", argc, argv);
}

/* tag */

int cmd_tag(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        image_store_entry_t e = {0};
        _cleanup_free_ char *ref = NULL;
        img_t *im = NULL;
        cell_error_t err = {0};
        int r;

        if (argc != 3)
                return cli_usage_error("tag", "usage: cell tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
        if (img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0)
                return cli_fail("tag", &err);
        r = img_find(&set, argv[1], &im, &ref, &err);
        if (r == 0 && ref)
                r = image_store_lookup(s, ref, &e, &err);
        if (r == 0)
                r = image_store_tag(s, argv[2], e.media_type ? e.media_type : im->media_type,
                                    e.digest ? e.digest : im->manifest_digest, e.digest ? e.size : 0, &err);
        if (r == 0 && !e.digest) {
                /* by id: the entry's size is the manifest's */
                uint64_t sz = 0;
                if (image_store_blob_size(s, im->manifest_digest, &sz, &err) == 0)
                        r = image_store_tag(s, argv[2], im->media_type, im->manifest_digest, (int64_t)sz,
                                            &err);
        }
        image_store_entry_clear(&e);
        img_set_free(&set);
        return r < 0 ? cli_fail("tag", &err) : 0;
}

/* rmi */

static int run_gc(image_store_t *s, uint64_t *ret_bytes, cell_error_t *err)
{
        uint64_t removed = 0, bytes = 0;
        int r = image_store_gc(s, &removed, &bytes, err);

        if (ret_bytes)
                *ret_bytes = r < 0 ? 0 : bytes;
        if (r == 0) {
                /* The unpacked layers no image needs any more go too (best
                 * effort: a container being prepared holds them off). */
                _cleanup_free_ char *root = strdup(image_store_root(s));
                char *slash = root ? strrchr(root, '/') : NULL;
                storage_t *st = NULL;
                char **keep = NULL;

                if (slash && slash != root) {
                        *slash = '\0';
                        if (storage_open(root, &st, NULL) == 0 &&
                            storage_layers_keep_set(s, &keep, NULL) == 0)
                                storage_layers_gc(st, keep, NULL, NULL);
                }
                strv_free(keep);
                storage_close(st);
        }
        return r;
}

/* image unpack: every layer of the images unpacked into the layer cache (what
 * a container's root file system is made of), once. */
static int image_unpack(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        storage_t *st = NULL;
        cell_error_t err = {0};
        int r = 0;

        if (argc < 2)
                return cli_usage_error("image unpack", "usage: cell image unpack IMAGE...");
        if (img_open_store(g, &s, &err) < 0 || storage_open(g->storage_root, &st, &err) < 0)
                return cli_fail("image unpack", &err);
        for (int i = 1; i < argc && r == 0; i++) {
                storage_image_t img = {0};
                char **dirs = NULL;

                r = storage_image_find(s, argv[i], &img, &err);
                if (r == 0)
                        r = storage_layers_ensure(st, s, img.manifest, img.config, &dirs, NULL, &err);
                if (r == 0)
                        printf("%s\n", img.id);
                else
                        cell_error_prefix(&err, "%s", argv[i]);
                strv_free(dirs);
                storage_image_clear(&img);
        }
        storage_close(st);
        return r < 0 ? cli_fail("image unpack", &err) : 0;
}

/* Remove every name of IM (printing Untagged: lines) and its unnamed
 * entries, and print Deleted:. */
static int delete_image(image_store_t *s, img_t *im, cell_error_t *err)
{
        for (char **r = im->refs; r && *r; r++) {
                _cleanup_free_ char *fam = familiar(*r);
                if (image_store_untag(s, *r, err) < 0)
                        return -1;
                printf("Untagged: %s\n", fam ? fam : *r);
        }
        if (im->unnamed && image_store_untag_unnamed(s, im->manifest_digest, err) < 0 && err->code != ENOENT)
                return -1;
        printf("Deleted: %s\n", im->id);
        return 0;
}

/* Docker's refusals to delete an image a container was made from (running
 * or stopped): by name without -f; by id without -f, or at all while the
 * container runs. Printed here; true when refused. */
static bool rmi_conflict(const cli_global_t *g, const img_t *im, const char *ref, const char *given,
                         bool force)
{
        char cid[ENGINE_ID_LEN + 1], idb[16];
        bool running = false;

        if (!img_container_using(g, im, cid, &running))
                return false;
        short_id(im->id, false, idb, sizeof(idb));
        if (ref && !force) {
                fprintf(stderr,
                        "cell rmi: conflict: unable to remove repository reference \"%s\" (must force) - "
                        "container %.12s is using its referenced image %s\n",
                        given, cid, idb);
                return true;
        }
        if (running) {
                fprintf(stderr,
                        "cell rmi: conflict: unable to delete %s (cannot be forced) - image is being used by "
                        "running container %.12s\n",
                        idb, cid);
                return true;
        }
        if (!force) {
                fprintf(stderr,
                        "cell rmi: conflict: unable to delete %s (must be forced) - image is being used by "
                        "stopped container %.12s\n",
                        idb, cid);
                return true;
        }
        return false;
}

int cmd_rmi(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"force", 'f', false, OPT_FORCE},
                {"no-prune", 0, false, OPT_ALL},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        bool force = false, changed = false;
        cell_error_t err = {0};
        int id, rc = 0;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1)
                        return cli_usage_error("rmi", "%s", p.errbuf);
                if (id == OPT_FORCE)
                        force = true;
        }
        if (p.index >= argc)
                return cli_usage_error("rmi", "requires at least 1 argument");
        if (img_open_store(g, &s, &err) < 0)
                return cli_fail("rmi", &err);
        for (int i = p.index; i < argc; i++) {
                img_set_t set = {0};
                _cleanup_free_ char *ref = NULL;
                img_t *im = NULL;

                /* Reloaded for each argument: the one before may have changed it. */
                cell_error_clear(&err);
                if (img_set_load(s, &set, &err) < 0 || img_find(&set, argv[i], &im, &ref, &err) < 0) {
                        rc = cli_fail("rmi", &err);
                        img_set_free(&set);
                        continue;
                }
                if (ref && strv_length(im->refs) > 1) {
                        _cleanup_free_ char *fam = familiar(ref);
                        if (image_store_untag(s, ref, &err) < 0)
                                rc = cli_fail("rmi", &err);
                        else
                                printf("Untagged: %s\n", fam ? fam : ref);
                        changed = true;
                } else if (!ref && strv_length(im->refs) > 1 && !force) {
                        char idb[16];
                        fprintf(stderr,
                                "cell rmi: conflict: unable to delete %s (must be forced) - image is "
                                "referenced in "
                                "multiple repositories\n",
                                short_id(im->id, false, idb, sizeof(idb)));
                        rc = 1;
                } else if (rmi_conflict(g, im, ref, argv[i], force)) {
                        rc = 1;
                } else {
                        if (delete_image(s, im, &err) < 0)
                                rc = cli_fail("rmi", &err);
                        changed = true;
                }
                img_set_free(&set);
        }
        if (changed && run_gc(s, NULL, &err) < 0)
                rc = cli_fail("rmi", &err);
        return rc;
}

/* history */

int cmd_history(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"no-trunc", 0, false, OPT_NO_TRUNC},
                {"quiet", 'q', false, OPT_QUIET},
                {"human", 'H', true, OPT_ALL},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        bool no_trunc = false, quiet = false;
        img_t *im = NULL;
        cell_error_t err = {0};
        size_t layer;
        int id;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1)
                        return cli_usage_error("history", "%s", p.errbuf);
                if (id == OPT_NO_TRUNC)
                        no_trunc = true;
                else if (id == OPT_QUIET)
                        quiet = true;
        }
        if (p.index + 1 != argc)
                return cli_usage_error("history", "requires exactly 1 argument");
        if (img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0 ||
            img_find(&set, argv[p.index], &im, NULL, &err) < 0) {
                img_set_free(&set);
                return cli_fail("history", &err);
        }
        if (!quiet)
                printf("%-15s %-15s %-45s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
        /* Non-empty history entries take the layers in order; the newest
         * entry is printed first, as docker does. */
        layer = 0;
        for (size_t i = 0; i < im->config->n_history; i++)
                if (!im->config->history[i].empty_layer)
                        layer++;
        for (size_t k = im->config->n_history; k-- > 0;) {
                const image_history_t *h = &im->config->history[k];
                char idb[80], since[64], size[32];
                const char *shown = k + 1 == im->config->n_history
                                            ? short_id(im->id, no_trunc, idb, sizeof(idb))
                                            : "<missing>";
                int64_t lsize = 0;
                int64_t t = 0;
                bool known = img_parse_time(h->created, &t);
                const char *by = h->created_by ? h->created_by : "";
                char byb[64];

                if (!h->empty_layer) {
                        layer--;
                        if (layer < im->manifest->n_layers)
                                lsize = im->manifest->layers[layer].size;
                }
                if (quiet) {
                        printf("%s\n", shown);
                        continue;
                }
                img_since(t, known, since, sizeof(since));
                img_human_size(lsize, size, sizeof(size));
                if (!no_trunc && strlen(by) > 45) {
                        snprintf(byb, sizeof(byb), "%.44s…", by);
                        by = byb;
                }
                printf("%-15s %-15s %-45s %-10s %s\n", shown, since, by, size, h->comment ? h->comment : "");
        }
        img_set_free(&set);
        return 0;
}

/* image inspect */

static json_t *inspect_json(img_t *im)
{
        json_t *o = json_object(), *tags = json_array(), *digests = json_array(), *layers = json_array();
        json_t *cfg = im->config_json ? json_object_get(im->config_json, "config") : NULL;
        const image_config_t *c = im->config;
        const char *comment = NULL;

        if (!o || !tags || !digests || !layers)
                goto fail;
        for (char **r = im->refs; r && *r; r++) {
                _cleanup_free_ char *repo = NULL, *tag = NULL, *fam = NULL, *rd = NULL;
                bool dup = false;

                if (split_ref(*r, &repo, &tag, &fam) < 0)
                        continue;
                json_array_append_new(tags, json_string(fam));
                rd = str_printf("%s@%s", repo, im->manifest_digest);
                for (size_t i = 0; rd && i < json_array_size(digests); i++)
                        dup = dup || str_eq(json_string_value(json_array_get(digests, i)), rd);
                if (rd && !dup)
                        json_array_append_new(digests, json_string(rd));
        }
        for (size_t i = 0; i < c->n_diff_ids; i++)
                json_array_append_new(layers, json_string(c->diff_ids[i]));
        if (c->n_history > 0)
                comment = c->history[c->n_history - 1].comment;
        json_object_set_new(o, "Id", json_string(im->id));
        json_object_set_new(o, "RepoTags", tags);
        json_object_set_new(o, "RepoDigests", digests);
        json_object_set_new(o, "Parent", json_string(""));
        json_object_set_new(o, "Comment", json_string(comment ? comment : ""));
        json_object_set_new(o, "Created", json_string(c->created ? c->created : ""));
        json_object_set_new(o, "DockerVersion", json_string(""));
        json_object_set_new(o, "Author", json_string(c->author ? c->author : ""));
        json_object_set_new(o, "Config", cfg ? json_deep_copy(cfg) : json_null());
        json_object_set_new(o, "Architecture", json_string(c->architecture ? c->architecture : ""));
        if (c->variant)
                json_object_set_new(o, "Variant", json_string(c->variant));
        json_object_set_new(o, "Os", json_string(c->os ? c->os : ""));
        json_object_set_new(o, "Size", json_integer(im->size));
        json_object_set_new(o, "RootFS", json_pack("{s:s,s:O}", "Type", "layers", "Layers", layers));
        json_decref(layers);
        json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
        json_object_set_new(
                o, "Descriptor",
                json_pack("{s:s,s:s}", "mediaType", im->media_type, "digest", im->manifest_digest));
        return o;
fail:
        json_decref(o);
        json_decref(tags);
        json_decref(digests);
        json_decref(layers);
        return NULL;
}

static int image_inspect(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"format", 'f', true, OPT_FORMAT},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        json_t *arr = json_array();
        cell_error_t err = {0};
        const char *format = NULL;
        int id, rc = 0;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1) {
                        json_decref(arr);
                        return cli_usage_error("image inspect", "%s", p.errbuf);
                }
                if (id == OPT_FORMAT)
                        format = p.value;
        }
        if (p.index >= argc) {
                json_decref(arr);
                return cli_usage_error("image inspect", "requires at least 1 argument");
        }
        if (img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0) {
                json_decref(arr);
                return cli_fail("image inspect", &err);
        }
        for (int i = p.index; i < argc; i++) {
                img_t *im = NULL;
                cell_error_clear(&err);
                if (img_find(&set, argv[i], &im, NULL, &err) < 0) {
                        rc = cli_fail("image inspect", &err);
                        continue;
                }
                json_array_append_new(arr, inspect_json(im));
        }
        if (cli_print_inspect(arr, format, &err) < 0)
                rc = cli_fail("image inspect", &err);
        json_decref(arr);
        img_set_free(&set);
        return rc;
}

/* An image's `docker image inspect` object, for `inspect` of a name that
 * is no container. -ENOENT when there is no such image. */
int img_inspect_one(const cli_global_t *g, const char *name, json_t **ret, cell_error_t *err)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        img_t *im = NULL;
        int r;

        if (img_open_store(g, &s, err) < 0 || img_set_load(s, &set, err) < 0)
                return -1;
        r = img_find(&set, name, &im, NULL, err);
        if (r == 0)
                *ret = inspect_json(im);
        img_set_free(&set);
        return r < 0 ? r : 0;
}

/* image prune */

static int image_prune(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"all", 'a', false, OPT_ALL},
                {"force", 'f', false, OPT_FORCE},
                {"filter", 0, true, OPT_FILTER},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        bool all = false, force = false, header = false;
        uint64_t bytes = 0;
        char size[32];
        cell_error_t err = {0};
        int id, rc = 0;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1)
                        return cli_usage_error("image prune", "%s", p.errbuf);
                if (id == OPT_ALL)
                        all = true;
                else if (id == OPT_FORCE)
                        force = true;
                else if (id == OPT_FILTER)
                        return cli_usage_error("image prune", "--filter is not supported yet");
        }
        if (!force) {
                char answer[16] = "";
                printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
                       all ? "images without at least one container associated to them" : "dangling images");
                fflush(stdout);
                if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
                        return 0;
        }
        if (img_prune(g, all, &bytes, &header, &err) < 0)
                rc = cli_fail("image prune", &err);
        cli_prune_size(bytes, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", header ? "\n" : "", size);
        return rc;
}

int img_prune(const cli_global_t *g, bool all, uint64_t *ret_bytes, bool *ret_any, cell_error_t *err)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        bool header = false;
        int rc = 0;

        *ret_bytes = 0;
        *ret_any = false;
        if (img_open_store(g, &s, err) < 0 || img_set_load(s, &set, err) < 0)
                return -1;
        for (size_t i = 0; i < set.n; i++) {
                img_t *im = &set.v[i];

                if ((!all && im->refs) || img_in_use_by_container(g, im))
                        continue;
                if (!header) {
                        printf("Deleted Images:\n");
                        header = true;
                }
                for (char **r = im->refs; r && *r; r++) {
                        _cleanup_free_ char *fam = familiar(*r);
                        if (image_store_untag(s, *r, err) < 0) {
                                rc = -1;
                                continue;
                        }
                        printf("untagged: %s\n", fam ? fam : *r);
                }
                if (im->unnamed)
                        (void)image_store_untag_unnamed(s, im->manifest_digest, NULL);
                printf("deleted: %s\n", im->id);
        }
        img_set_free(&set);
        *ret_any = header;
        if (run_gc(s, ret_bytes, rc < 0 ? NULL : err) < 0)
                rc = -1;
        return rc;
}

/* image check */

static int image_check(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"repair", 0, false, OPT_REPAIR},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        _cleanup_strv_ char **problems = NULL, **left = NULL;
        bool repair = false;
        cell_error_t err = {0};
        int id, n;

        while ((id = cli_next_option(&p, opts)) != 0) {
                if (id == -1)
                        return cli_usage_error("image check", "%s", p.errbuf);
                if (id == OPT_REPAIR)
                        repair = true;
        }
        if (p.index < argc)
                return cli_usage_error("image check", "unexpected argument \"%s\"", argv[p.index]);
        if (img_open_store(g, &s, &err) < 0)
                return cli_fail("image check", &err);
        n = image_store_check(s, repair, &problems, &err);
        if (n < 0)
                return cli_fail("image check", &err);
        for (char **m = problems; m && *m; m++)
                printf("%s%s\n", repair ? "repaired: " : "", *m);
        if (!repair) {
                if (n == 0)
                        printf("the store is clean\n");
                else
                        printf("%d problem%s\n", n, n == 1 ? "" : "s");
                return n == 0 ? 0 : 1;
        }
        /* What the repair dropped from the index is garbage now. */
        if (run_gc(s, NULL, &err) < 0)
                return cli_fail("image check", &err);
        n = image_store_check(s, false, &left, &err);
        if (n < 0)
                return cli_fail("image check", &err);
        for (char **m = left; m && *m; m++)
                printf("remaining: %s\n", *m);
        printf(n == 0 ? "the store is clean\n" : "%d problem%s remain\n", n, n == 1 ? "" : "s");
        return n == 0 ? 0 : 1;
}

/* image base */

static int image_base(const cli_global_t *g, int argc, char **argv)
{
        static const cli_option_t opts[] = {
                {"suite", 0, true, OPT_SUITE},
                {"mirror", 0, true, OPT_MIRROR},
                {"busybox", 0, true, OPT_BUSYBOX},
                {"cache-dir", 0, true, OPT_CACHE_DIR},
                {NULL, 0, false, 0},
        };
        cli_parser_t p = {.argc = argc, .argv = argv, .index = 1};
        _cleanup_image_store_ image_store_t *s = NULL;
        image_base_debian_opts_t dopts = {0};
        image_base_result_t res = {0};
        const char *kind = NULL, *ref = NULL, *busybox = NULL;
        cell_error_t err = {0};
        int id, r;

        /* Options may come before or after the positional arguments. */
        while (p.index < argc) {
                while ((id = cli_next_option(&p, opts)) != 0) {
                        switch (id) {
                        case -1:
                                return cli_usage_error("image base", "%s", p.errbuf);
                        case OPT_SUITE:
                                dopts.suite = p.value;
                                break;
                        case OPT_MIRROR:
                                dopts.mirror = p.value;
                                break;
                        case OPT_CACHE_DIR:
                                dopts.cache_dir = p.value;
                                break;
                        case OPT_BUSYBOX:
                                busybox = p.value;
                                break;
                        default:
                                return 2;
                        }
                }
                if (p.index >= argc)
                        break;
                if (!kind)
                        kind = argv[p.index++];
                else if (!ref)
                        ref = argv[p.index++];
                else
                        return cli_usage_error("image base", "unexpected argument \"%s\"", argv[p.index]);
        }
        if (!kind || (strcmp(kind, "busybox") != 0 && strcmp(kind, "debian") != 0))
                return cli_usage_error("image base",
                                       "usage: cell image base busybox|debian [REF] [--suite SUITE]");
        if (img_open_store(g, &s, &err) < 0)
                return cli_fail("image base", &err);
        if (strcmp(kind, "busybox") == 0) {
                r = image_base_busybox(s, busybox, ref, &res, &err);
        } else {
                dopts.ref = ref;
                r = image_base_debian(s, &dopts, &res, &err);
        }
        if (r < 0)
                return cli_fail("image base", &err);
        printf("%s\n", res.image_id);
        return 0;
}

int cmd_image(const cli_global_t *g, int argc, char **argv)
{
        const char *sub = argc > 1 ? argv[1] : NULL;

        if (!sub)
                return cli_usage_error(
                        "image", "usage: cell image "
                                 "ls|inspect|rm|tag|history|prune|base|check|layers|load|save|import ...");
        if (strcmp(sub, "unpack") == 0)
                return image_unpack(g, argc - 1, argv + 1);
        if (strcmp(sub, "load") == 0)
                return cmd_load(g, argc - 1, argv + 1);
        if (strcmp(sub, "save") == 0)
                return cmd_save(g, argc - 1, argv + 1);
        if (strcmp(sub, "import") == 0)
                return cmd_import(g, argc - 1, argv + 1);
        if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
                return images_list(g, "image ls", argc - 1, argv + 1);
        if (strcmp(sub, "inspect") == 0)
                return image_inspect(g, argc - 1, argv + 1);
        if (strcmp(sub, "rm") == 0)
                return cmd_rmi(g, argc - 1, argv + 1);
        if (strcmp(sub, "tag") == 0)
                return cmd_tag(g, argc - 1, argv + 1);
        if (strcmp(sub, "history") == 0)
                return cmd_history(g, argc - 1, argv + 1);
        if (strcmp(sub, "prune") == 0)
                return image_prune(g, argc - 1, argv + 1);
        if (strcmp(sub, "base") == 0)
                return image_base(g, argc - 1, argv + 1);
        if (strcmp(sub, "check") == 0)
                return image_check(g, argc - 1, argv + 1);
        if (strcmp(sub, "layers") == 0)
                return cmd_image_layers(g, argc - 1, argv + 1);
        return cli_usage_error("image", "unknown command \"%s\"", sub);
}

/* system df */

static int system_df(const cli_global_t *g, int argc, char **argv)
{
        _cleanup_image_store_ image_store_t *s = NULL;
        img_set_t set = {0};
        _cleanup_strv_ char **counted = NULL;
        uint64_t total = 0, reclaim = 0;
        size_t active = 0;
        char size[32], rec[48], recs[32];
        cell_error_t err = {0};

        if (argc > 1)
                return cli_usage_error("system df", "unexpected argument \"%s\"", argv[1]);
        if (img_open_store(g, &s, &err) < 0 || img_set_load(s, &set, &err) < 0)
                return cli_fail("system df", &err);
        /* Shared blobs count once, as docker counts shared layers once. */
        for (size_t i = 0; i < set.n; i++) {
                img_t *im = &set.v[i];
                bool used = img_in_use_by_container(g, im);

                active += used;
                for (size_t l = 0; l < im->manifest->n_layers; l++) {
                        const char *d = im->manifest->layers[l].digest;
                        bool dup = false;

                        for (char **c = counted; c && *c; c++)
                                dup = dup || strcmp(*c, d) == 0;
                        if (dup)
                                continue;
                        if (strv_push(&counted, d) < 0)
                                break;
                        total += (uint64_t)im->manifest->layers[l].size;
                        if (!used)
                                reclaim += (uint64_t)im->manifest->layers[l].size;
                }
        }
        img_human_size((int64_t)total, size, sizeof(size));
        img_human_size((int64_t)reclaim, recs, sizeof(recs));
        snprintf(rec, sizeof(rec), "%s (%d%%)", recs, total ? (int)(reclaim * 100 / total) : 0);
        printf("%-15s %-10s %-10s %-10s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        printf("%-15s %-10zu %-10zu %-10s %s\n", "Images", set.n, active, size, rec);
        printf("%-15s %-10d %-10d %-10s %s\n", "Containers", 0, 0, "0B", "0B");
        printf("%-15s %-10d %-10d %-10s %s\n", "Local Volumes", 0, 0, "0B", "0B");
        printf("%-15s %-10d %-10d %-10s %s\n", "Build Cache", 0, 0, "0B", "0B");
        img_set_free(&set);
        return 0;
}

int cmd_system(const cli_global_t *g, int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "df") == 0)
                return system_df(g, argc - 1, argv + 1);
        if (argc > 1 && strcmp(argv[1], "prune") == 0)
                return cmd_system_prune(g, argc - 1, argv + 1);
        return cli_usage_error("system", "usage: cell system df|prune");
}
