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

static int render_value(buf_t *b, json_t *v, bool as_json)
{
        _cleanup_free_ char *s = NULL;

        if (as_json) {
                s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        } else if (json_is_string(v)) {
                return buf_add(b, json_string_value(v), json_string_length(v));
        } else if (json_is_integer(v)) {
                s = str_printf("%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
                s = str_printf("%g", json_real_value(v));
        } else if (json_is_true(v) || json_is_false(v)) {
                s = strdup(json_is_true(v) ? "true" : "false");
        } else if (!v || json_is_null(v)) {
                s = strdup("<nil>");
        } else {
                s = json_dumps(v, JSON_COMPACT);
        }
        if (!s)
                return -ENOMEM;
        return buf_add(b, s, strlen(s));
}

char *cli_template_render(const char *format, json_t *data, cell_error_t *err)
{
        buf_t b = {0};
        const char *p = format;

        while (*p) {
                const char *open = strstr(p, "{{"), *close;
                const char *lit_end = open ? open : p + strlen(p);

                for (const char *q = p; q < lit_end; q++) {
                        if (q[0] == '\\' && q + 1 < lit_end && (q[1] == 't' || q[1] == 'n')) {
                                buf_add(&b, q[1] == 't' ? "\t" : "\n", 1);
                                q++;
                        } else {
                                buf_add(&b, q, 1);
                        }
                }
                if (!open)
                        break;
                close = strstr(open + 2, "}}");
                if (!close) {
                        free(b.p);
                        cell_error_plain(err, EINVAL, "template: unclosed action at \"%.20s\"", open);
                        return NULL;
                }
                {
                        const char *a = open + 2, *e = close;
                        bool as_json = false;
                        json_t *v;

                        while (a < e && (*a == ' ' || *a == '-'))
                                a++;
                        while (e > a && (e[-1] == ' ' || e[-1] == '-'))
                                e--;
                        if ((size_t)(e - a) > 5 && strncmp(a, "json ", 5) == 0) {
                                as_json = true;
                                a += 5;
                                while (a < e && *a == ' ')
                                        a++;
                        }
                        if (a >= e || *a != '.') {
                                free(b.p);
                                cell_error_plain(err, EINVAL, "template: unsupported action \"{{%.*s}}\"",
                                                 (int)(close - open - 2), open + 2);
                                return NULL;
                        }
                        v = lookup(data, a, (size_t)(e - a));
                        if (!v && !(e - a == 1)) {
                                /* Go's template on a map prints <no value>
                                 * for a missing key. */
                                buf_add(&b, "<no value>", 10);
                        } else if (render_value(&b, v, as_json) < 0) {
                                free(b.p);
                                cell_error_set(err, ENOMEM, "template");
                                return NULL;
                        }
                }
                p = close + 2;
        }
        if (!b.p)
                return strdup("");
        return b.p;
}
