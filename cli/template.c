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

/* An argument of an action, at *pp (blanks skipped first): a path
 * (.A.B), a parenthesized expression with a path after it ((index .A
 * "k").B), `index X KEY...` (a "string" key of a map, an integer of a
 * list), a "string" or an integer. *ret is borrowed from data, or a new
 * value for a literal (*ret_owned). */
typedef struct term {
        json_t *v;
        bool owned;
} term_t;

static void skip_blanks(const char **pp, const char *e)
{
        while (*pp < e && **pp == ' ')
                (*pp)++;
}

static int eval_expr(const char **pp, const char *e, json_t *data, term_t *ret, cell_error_t *err);

static int eval_term(const char **pp, const char *e, json_t *data, term_t *ret, cell_error_t *err)
{
        const char *p;

        skip_blanks(pp, e);
        p = *pp;
        ret->v = NULL;
        ret->owned = false;
        if (p >= e)
                return cell_error_plain(err, EINVAL, "template: missing value");
        if (*p == '(') {
                int depth = 0;
                const char *q = p, *close = NULL;

                for (; q < e; q++) {
                        if (*q == '"')
                                for (q++; q < e && *q != '"'; q++)
                                        ;
                        else if (*q == '(')
                                depth++;
                        else if (*q == ')' && --depth == 0) {
                                close = q;
                                break;
                        }
                }
                if (!close)
                        return cell_error_plain(err, EINVAL, "template: unclosed ( in \"%.*s\"", (int)(e - p),
                                                p);
                {
                        const char *inner = p + 1;

                        if (eval_expr(&inner, close, data, ret, err) < 0)
                                return -1;
                }
                p = close + 1;
                if (p < e && *p == '.') {
                        const char *q2 = p;

                        while (q2 < e && *q2 != ' ' && *q2 != ')')
                                q2++;
                        if (ret->v) {
                                json_t *v = lookup(ret->v, p, (size_t)(q2 - p));

                                if (ret->owned) {
                                        json_incref(v);
                                        json_decref(ret->v);
                                }
                                ret->v = v;
                        }
                        p = q2;
                }
                *pp = p;
                return 0;
        }
        if (*p == '.') {
                const char *q = p;

                while (q < e && *q != ' ' && *q != ')')
                        q++;
                ret->v = lookup(data, p, (size_t)(q - p));
                *pp = q;
                return 0;
        }
        if (*p == '"') {
                const char *q = p + 1;

                while (q < e && *q != '"')
                        q++;
                if (q >= e)
                        return cell_error_plain(err, EINVAL, "template: unterminated string");
                ret->v = json_stringn(p + 1, (size_t)(q - p - 1));
                ret->owned = true;
                *pp = q + 1;
                return 0;
        }
        if ((*p >= '0' && *p <= '9') || *p == '-') {
                char *end = NULL;
                long long n = strtoll(p, &end, 10);

                ret->v = json_integer(n);
                ret->owned = true;
                *pp = end;
                return 0;
        }
        return cell_error_plain(err, EINVAL, "template: unsupported action \"{{%.*s}}\"", (int)(e - p), p);
}

/* A term, or `index X KEY...`. */
static int eval_expr(const char **pp, const char *e, json_t *data, term_t *ret, cell_error_t *err)
{
        skip_blanks(pp, e);
        if ((size_t)(e - *pp) > 6 && strncmp(*pp, "index ", 6) == 0) {
                term_t x;

                *pp += 6;
                if (eval_term(pp, e, data, &x, err) < 0)
                        return -1;
                for (;;) {
                        term_t k;
                        json_t *v = NULL;

                        skip_blanks(pp, e);
                        if (*pp >= e)
                                break;
                        if (eval_term(pp, e, data, &k, err) < 0) {
                                if (x.owned)
                                        json_decref(x.v);
                                return -1;
                        }
                        if (json_is_object(x.v) && json_is_string(k.v))
                                v = json_object_get(x.v, json_string_value(k.v));
                        else if (json_is_array(x.v) && json_is_integer(k.v) && json_integer_value(k.v) >= 0)
                                v = json_array_get(x.v, (size_t)json_integer_value(k.v));
                        else if (x.v && !json_is_null(x.v)) {
                                if (k.owned)
                                        json_decref(k.v);
                                if (x.owned)
                                        json_decref(x.v);
                                return cell_error_plain(
                                        err, EINVAL,
                                        "template: error calling index: cannot index with this key");
                        }
                        if (k.owned)
                                json_decref(k.v);
                        if (x.owned) {
                                json_incref(v);
                                json_decref(x.v);
                        }
                        x.v = v;
                }
                *ret = x;
                return 0;
        }
        return eval_term(pp, e, data, ret, err);
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
                        term_t rt = {0};
                        json_t *v;
                        int rr = 0;

                        while (path < e && *path == ' ')
                                path++;
                        body_end = find_end(close + 2, &after);
                        if (!body_end)
                                return cell_error_plain(err, EINVAL, "template: no {{end}} for \"{{%.*s}}\"",
                                                        (int)(e - a), a);
                        {
                                const char *q = path;

                                if (path >= e)
                                        return cell_error_plain(err, EINVAL,
                                                                "template: unsupported action \"{{%.*s}}\"",
                                                                (int)(e - a), a);
                                if (eval_expr(&q, e, data, &rt, err) < 0)
                                        return -1;
                                v = rt.v;
                        }
                        if (is_range) {
                                size_t i;
                                json_t *el;
                                const char *k;

                                if (json_is_array(v)) {
                                        json_array_foreach(v, i, el)
                                        {
                                                if (rr == 0 &&
                                                    render_range(b, close + 2, body_end, el, err) < 0)
                                                        rr = -1;
                                        }
                                } else if (json_is_object(v)) {
                                        json_object_foreach(v, k, el)
                                        {
                                                if (rr == 0 &&
                                                    render_range(b, close + 2, body_end, el, err) < 0)
                                                        rr = -1;
                                        }
                                }
                        } else if (v && !json_is_false(v) && !json_is_null(v) &&
                                   !(json_is_string(v) && json_string_length(v) == 0) &&
                                   !(json_is_integer(v) && json_integer_value(v) == 0) &&
                                   !((json_is_array(v) && json_array_size(v) == 0)) &&
                                   !((json_is_object(v) && json_object_size(v) == 0))) {
                                if (render_range(b, close + 2, body_end, data, err) < 0)
                                        rr = -1;
                        }
                        if (rt.owned)
                                json_decref(rt.v);
                        if (rr < 0)
                                return -1;
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
                        if (a >= e || (*a != '.' && *a != '(' && !action_is(a, e, "index")))
                                return cell_error_plain(err, EINVAL,
                                                        "template: unsupported action \"{{%.*s}}\"",
                                                        (int)(close - open - 2), open + 2);
                        {
                                term_t t;
                                const char *q = a;
                                int r = 0;

                                if (eval_expr(&q, e, data, &t, err) < 0)
                                        return -1;
                                skip_blanks(&q, e);
                                if (q < e)
                                        r = cell_error_plain(err, EINVAL,
                                                             "template: unsupported action \"{{%.*s}}\"",
                                                             (int)(close - open - 2), open + 2);
                                v = t.v;
                                if (r == 0 && !v && !(e - a == 1)) {
                                        /* Go's template on a map prints
                                         * <no value> for a missing key. */
                                        buf_add(b, "<no value>", 10);
                                } else if (r == 0 && render_value(b, v, as_json) < 0) {
                                        r = cell_error_set(err, ENOMEM, "template");
                                }
                                if (t.owned)
                                        json_decref(t.v);
                                if (r < 0)
                                        return -1;
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

int cli_print_inspect(json_t *all, const char *format, cell_error_t *err)
{
        size_t i;
        json_t *o;

        if (!format) {
                _cleanup_free_ char *out = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

                printf("%s\n", out ? out : "[]");
                return 0;
        }
        json_array_foreach(all, i, o)
        {
                _cleanup_free_ char *out = cli_template_render(format, o, err);

                if (!out)
                        return -1;
                printf("%s\n", out);
        }
        return 0;
}
