/* cell: named members of image documents. */
#include "imgjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strutil.h"

void image_kv_free(image_kv_t *kv, size_t n)
{
        if (!kv)
                return;
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

const char *image_kv_get(const image_kv_t *kv, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(kv[i].key, key) == 0)
                        return kv[i].value;
        return NULL;
}

int ij_error(cell_error_t *err, const char *at, const char *what)
{
        return cell_error_plain(err, EINVAL, "%s: expected %s", at, what);
}

const char *ij_path(char *buf, size_t n, const char *at, const char *key)
{
        snprintf(buf, n, "%s.%s", at, key);
        return buf;
}

const char *ij_index(char *buf, size_t n, const char *at, size_t i)
{
        snprintf(buf, n, "%s[%zu]", at, i);
        return buf;
}

static const char *type_name(json_type type)
{
        switch (type) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_REAL:
        case JSON_NULL:
        default:
                return "a value";
        }
}

json_t *ij_member(json_t *obj, const char *key, json_type type, const char *at, int *r, cell_error_t *err)
{
        json_t *v = json_object_get(obj, key);
        char f[512];

        *r = 0;
        if (!v || json_is_null(v))
                return NULL;
        if (type == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != type) {
                *r = ij_error(err, ij_path(f, sizeof f, at, key), type_name(type));
                return NULL;
        }
        return v;
}

int ij_string(json_t *obj, const char *key, bool required, const char *at, char **ret, cell_error_t *err)
{
        char f[512];
        int r;
        json_t *v = ij_member(obj, key, JSON_STRING, at, &r, err);

        if (r < 0)
                return r;
        if (!v) {
                if (required)
                        return ij_error(err, ij_path(f, sizeof f, at, key), "a string (it is required)");
                *ret = NULL;
                return 0;
        }
        /* A NUL inside a JSON string would make the C string say less than
         * the document; refuse rather than silently truncate. */
        if (strlen(json_string_value(v)) != json_string_length(v))
                return ij_error(err, ij_path(f, sizeof f, at, key), "a string without NUL characters");
        *ret = strdup(json_string_value(v));
        if (!*ret)
                return cell_error_set(err, ENOMEM, "%s", at);
        return 0;
}

int ij_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, const char *at,
           int64_t *ret, bool *ret_present, cell_error_t *err)
{
        char f[512], what[96];
        int r;
        json_t *v = ij_member(obj, key, JSON_INTEGER, at, &r, err);

        if (ret_present)
                *ret_present = false;
        if (r < 0)
                return r;
        if (!v) {
                if (required)
                        return ij_error(err, ij_path(f, sizeof f, at, key), "an integer (it is required)");
                return 0;
        }
        if (json_integer_value(v) < min || json_integer_value(v) > max) {
                snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)min, (long long)max);
                return ij_error(err, ij_path(f, sizeof f, at, key), what);
        }
        *ret = json_integer_value(v);
        if (ret_present)
                *ret_present = true;
        return 0;
}

int ij_bool(json_t *obj, const char *key, const char *at, bool *ret, cell_error_t *err)
{
        int r;
        json_t *v = ij_member(obj, key, JSON_TRUE, at, &r, err);

        if (r < 0)
                return r;
        if (v)
                *ret = json_is_true(v);
        return 0;
}

static int string_item(json_t *v, const char *at, char **ret, cell_error_t *err)
{
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return ij_error(err, at, "a string");
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : cell_error_set(err, ENOMEM, "%s", at);
}

int ij_strv(json_t *obj, const char *key, const char *at, char ***ret, cell_error_t *err)
{
        char f[512], fi[560];
        _cleanup_strv_ char **v = NULL;
        size_t n;
        int r;
        json_t *a = ij_member(obj, key, JSON_ARRAY, at, &r, err);

        *ret = NULL;
        if (r < 0 || !a)
                return r;
        ij_path(f, sizeof f, at, key);
        n = json_array_size(a);
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return cell_error_set(err, ENOMEM, "%s", f);
        for (size_t i = 0; i < n; i++) {
                r = string_item(json_array_get(a, i), ij_index(fi, sizeof fi, f, i), &v[i], err);
                if (r < 0)
                        return r;
        }
        *ret = steal_pointer(&v);
        return 0;
}

static int cmp_kv(const void *a, const void *b)
{
        return strcmp(((const image_kv_t *)a)->key, ((const image_kv_t *)b)->key);
}

int ij_kv(json_t *obj, const char *key, const char *at, image_kv_t **ret, size_t *ret_n, cell_error_t *err)
{
        char f[512], fk[1024];
        image_kv_t *kv = NULL;
        size_t n = 0;
        const char *k;
        json_t *v;
        int r;
        json_t *o = ij_member(obj, key, JSON_OBJECT, at, &r, err);

        *ret = NULL;
        *ret_n = 0;
        if (r < 0 || !o)
                return r;
        ij_path(f, sizeof f, at, key);
        kv = calloc(json_object_size(o) + 1, sizeof(*kv));
        if (!kv)
                return cell_error_set(err, ENOMEM, "%s", f);
        json_object_foreach(o, k, v)
        {
                ij_path(fk, sizeof fk, f, k);
                kv[n].key = strdup(k);
                if (!kv[n].key) {
                        r = cell_error_set(err, ENOMEM, "%s", fk);
                        goto fail;
                }
                n++;
                r = string_item(v, fk, &kv[n - 1].value, err);
                if (r < 0)
                        goto fail;
        }
        qsort(kv, n, sizeof(*kv), cmp_kv);
        *ret = kv;
        *ret_n = n;
        return 0;
fail:
        image_kv_free(kv, n);
        return r;
}

int ij_keys(json_t *obj, const char *key, const char *at, char ***ret, cell_error_t *err)
{
        char f[512], fk[1024];
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        const char *k;
        json_t *val;
        int r;
        json_t *o = ij_member(obj, key, JSON_OBJECT, at, &r, err);

        *ret = NULL;
        if (r < 0 || !o)
                return r;
        ij_path(f, sizeof f, at, key);
        v = calloc(json_object_size(o) + 1, sizeof(char *));
        if (!v)
                return cell_error_set(err, ENOMEM, "%s", f);
        json_object_foreach(o, k, val)
        {
                /* Docker writes {} as the value; null is what Go's
                 * encoding of an empty struct pointer gives, so take both. */
                if (!json_is_object(val) && !json_is_null(val))
                        return ij_error(err, ij_path(fk, sizeof fk, f, k), "an object ({})");
                v[n] = strdup(k);
                if (!v[n])
                        return cell_error_set(err, ENOMEM, "%s", f);
                n++;
        }
        strv_sort(v, n);
        *ret = steal_pointer(&v);
        return 0;
}

int ij_set_string(json_t *obj, const char *key, const char *value)
{
        if (!value)
                return 0;
        return json_object_set_new(obj, key, json_string(value)) < 0 ? -ENOMEM : 0;
}

int ij_set_strv(json_t *obj, const char *key, char *const *v)
{
        json_t *a;

        if (!v)
                return 0;
        a = json_array();
        if (!a)
                return -ENOMEM;
        for (char *const *i = v; *i; i++)
                if (json_array_append_new(a, json_string(*i)) < 0) {
                        json_decref(a);
                        return -ENOMEM;
                }
        return json_object_set_new(obj, key, a) < 0 ? -ENOMEM : 0;
}

int ij_set_kv(json_t *obj, const char *key, const image_kv_t *kv, size_t n)
{
        json_t *o;

        if (!kv)
                return 0;
        o = json_object();
        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (json_object_set_new(o, kv[i].key, json_string(kv[i].value)) < 0) {
                        json_decref(o);
                        return -ENOMEM;
                }
        return json_object_set_new(obj, key, o) < 0 ? -ENOMEM : 0;
}

int ij_set_keys(json_t *obj, const char *key, char *const *keys)
{
        json_t *o;

        if (!keys)
                return 0;
        o = json_object();
        if (!o)
                return -ENOMEM;
        for (char *const *i = keys; *i; i++)
                if (json_object_set_new(o, *i, json_object()) < 0) {
                        json_decref(o);
                        return -ENOMEM;
                }
        return json_object_set_new(obj, key, o) < 0 ? -ENOMEM : 0;
}

int ij_set_int(json_t *obj, const char *key, int64_t value)
{
        return json_object_set_new(obj, key, json_integer(value)) < 0 ? -ENOMEM : 0;
}
