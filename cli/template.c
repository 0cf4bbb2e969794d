/* cell: a small subset of Go templates for --format (see template.h). */
#include "template.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strutil.h"

typedef struct buf {
        char *p;
        size_t len, cap;
} buf_t;

static int buf_add(buf_t *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 128;
                char *p;

                while (cap < b->len + n + 1)
                        cap *= 2;
                p = realloc(b->p, cap);
                if (!p)
                        return -ENOMEM;
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
        return 0;
}

static json_t *lookup(json_t *data, const char *path, size_t n)
{
        json_t *v = data;
        size_t i = 0;

        if (n == 1 && path[0] == '.')
                return data;
        while (i < n && v) {
                size_t j;
                char key[256];

                if (path[i] != '.')
                        return NULL;
                i++;
                for (j = i; j < n && path[j] != '.'; j++)
                        ;
                if (j - i == 0 || j - i >= sizeof(key))
                        return NULL;
                memcpy(key, path + i, j - i);
                key[j - i] = '\0';
                v = json_is_object(v) ? json_object_get(v, key) : NULL;
                i = j;
        }
        return v;
}

static int render_go(buf_t *b, json_t *v);

/* Go's fmt of the values docker's structs hold: a slice as [a b], a map as
 * map[k:v] with sorted keys, nil as <nil>. */
static int render_go(buf_t *b, json_t *v)
{
        _cleanup_free_ char *s = NULL;

        if (json_is_string(v))
                return buf_add(b, json_string_value(v), json_string_length(v));
        if (json_is_array(v)) {
                size_t i;
                json_t *e;

                buf_add(b, "[", 1);
                json_array_foreach(v, i, e)
                {
                        if (i > 0)
                                buf_add(b, " ", 1);
                        if (render_go(b, e) < 0)
                                return -ENOMEM;
                }
                return buf_add(b, "]", 1);
        }
        if (json_is_object(v)) {
                const char **keys = calloc(json_object_size(v) + 1, sizeof(*keys));
                const char *k;
                json_t *e;
                size_t n = 0;

                if (!keys)
                        return -ENOMEM;
                json_object_foreach(v, k, e) keys[n++] = k;
                for (size_t i = 1; i < n; i++)
                        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                                const char *t = keys[j];

                                keys[j] = keys[j - 1];
                                keys[j - 1] = t;
                        }
                buf_add(b, "map[", 4);
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                buf_add(b, " ", 1);
                        buf_add(b, keys[i], strlen(keys[i]));
                        buf_add(b, ":", 1);
                        render_go(b, json_object_get(v, keys[i]));
                }
                free(keys);
                return buf_add(b, "]", 1);
        }
        if (json_is_integer(v))
                s = str_printf("%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
                s = str_printf("%g", json_real_value(v));
        else if (json_is_true(v) || json_is_false(v))
                s = strdup(json_is_true(v) ? "true" : "false");
        else
                s = strdup("<nil>");
        if (!s)
                return -ENOMEM;
        return buf_add(b, s, strlen(s));
}

static int render_value(buf_t *b, json_t *v, bool as_json)
{
        _cleanup_free_ char *s = NULL;

        if (!as_json)
                return render_go(b, v);
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
                return -ENOMEM;
        return buf_add(b, s, strlen(s));
}

/* The action's text, trimmed of blanks and "-" trim markers. */
static void action_bounds(const char *open, const char *close, const char **ra, const char **re)
{
        const char *a = open + 2, *e = close;

        while (a < e && (*a == ' ' || *a == '-'))
                a++;
        while (e > a && (e[-1] == ' ' || e[-1] == '-'))
                e--;
        *ra = a;
        *re = e;
}

static bool action_is(const char *a, const char *e, const char *word)
{
        size_t n = strlen(word);

        return (size_t)(e - a) >= n && strncmp(a, word, n) == 0 && ((size_t)(e - a) == n || a[n] == ' ');
}

/* The {{end}} that closes the block opened just before p. */
static const char *find_end(const char *p, const char **ret_after)
{
        int depth = 1;

        while ((p = strstr(p, "{{"))) {
                const char *close = strstr(p + 2, "}}"), *a, *e;

                if (!close)
                        return NULL;
                action_bounds(p, close, &a, &e);
                if (action_is(a, e, "range") || action_is(a, e, "if") || action_is(a, e, "with"))
                        depth++;
                else if (action_is(a, e, "end") && --depth == 0) {
                        *ret_after = close + 2;
                        return p;
                }
                p = close + 2;
        }
        return NULL;
}

static int render_range(buf_t *b, const char *p, const char *end, json_t *data, cell_error_t *err);

static int render_range(buf_t *b, const char *p, const char *end, json_t *data, cell_error_t *err)
{
        while (p < end) {
                const char *open = strstr(p, "{{"), *close, *a, *e;
                const char *lit_end = open && open < end ? open : end;

                for (const char *q = p; q < lit_end; q++) {
                        if (q[0] == '\\' && q + 1 < lit_end && (q[1] == 't' || q[1] == 'n')) {
                                buf_add(b, q[1] == 't' ? "\t" : "\n", 1);
                                q++;
                        } else {
                                buf_add(b, q, 1);
                        }
                }
                if (!open || open >= end)
                        break;
                close = strstr(open + 2, "}}");
                if (!close || close >= end)
                        return cell_error_plain(err, EINVAL, "template: unclosed action at \"%.20s\"", open);
                action_bounds(open, close, &a, &e);
                if (action_is(a, e, "range") || action_is(a, e, "if")) {
                        bool is_range = action_is(a, e, "range");
                        const char *path = a + (is_range ? 5 : 2), *after = NULL, *body_end;
                        json_t *v;

                        while (path < e && *path == ' ')
                                path++;
                        body_end = find_end(close + 2, &after);
                        if (!body_end)
                                return cell_error_plain(err, EINVAL, "template: no {{end}} for \"{{%.*s}}\"",
                                                        (int)(e - a), a);
                        if (path >= e || *path != '.')
                                return cell_error_plain(err, EINVAL,
                                                        "template: unsupported action \"{{%.*s}}\"",
                                                        (int)(e - a), a);
                        v = lookup(data, path, (size_t)(e - path));
                        if (is_range) {
                                size_t i;
                                json_t *el;
                                const char *k;

                                if (json_is_array(v)) {
                                        json_array_foreach(v, i, el)
                                        {
                                                if (render_range(b, close + 2, body_end, el, err) < 0)
                                                        return -1;
                                        }
                                } else if (json_is_object(v)) {
                                        json_object_foreach(v, k, el)
                                        {
                                                if (render_range(b, close + 2, body_end, el, err) < 0)
                                                        return -1;
                                        }
                                }
                        } else if (v && !json_is_false(v) && !json_is_null(v) &&
                                   !(json_is_string(v) && json_string_length(v) == 0) &&
                                   !(json_is_integer(v) && json_integer_value(v) == 0) &&
                                   !((json_is_array(v) && json_array_size(v) == 0)) &&
                                   !((json_is_object(v) && json_object_size(v) == 0))) {
                                if (render_range(b, close + 2, body_end, data, err) < 0)
                                        return -1;
                        }
                        p = after;
                        continue;
                }
                {
                        bool as_json = false;
                        json_t *v;

                        if ((size_t)(e - a) > 5 && strncmp(a, "json ", 5) == 0) {
                                as_json = true;
                                a += 5;
                                while (a < e && *a == ' ')
                                        a++;
                        }
                        if (a >= e || *a != '.')
                                return cell_error_plain(err, EINVAL,
                                                        "template: unsupported action \"{{%.*s}}\"",
                                                        (int)(close - open - 2), open + 2);
                        v = lookup(data, a, (size_t)(e - a));
                        if (!v && !(e - a == 1)) {
                                /* Go's template on a map prints <no value>
                                 * for a missing key. */
                                buf_add(b, "<no value>", 10);
                        } else if (render_value(b, v, as_json) < 0) {
                                return cell_error_set(err, ENOMEM, "template");
                        }
                }
                p = close + 2;
        }
        return 0;
}

char *cli_template_render(const char *format, json_t *data, cell_error_t *err)
{
        buf_t b = {0};

        if (render_range(&b, format, format + strlen(format), data, err) < 0) {
                free(b.p);
                return NULL;
        }
        if (!b.p)
                return strdup("");
        return b.p;
}
