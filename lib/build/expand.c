/* cell: variable substitution in Dockerfile words (see expand.h). */
#include "expand.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "strutil.h"

typedef struct lexer {
        const char *p;
        char esc;
        dockerfile_lookup_fn lookup;
        void *ud;
        cell_error_t *err;
        /* Splitting: finished words go to words; in_word says the current
         * one has begun (an empty "" still makes a word). */
        bool split;
        bool in_word;
        strvec_t words;
} lexer_t;

static int lex(lexer_t *lx, sbuf_t *out, char stop, bool split);

static bool is_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A name after '$' as the shell reads it: a positional parameter is its
 * digits only ($1abc is $1 then "abc"), a special parameter one character,
 * otherwise letters, digits and '_'. */
static void read_name(lexer_t *lx, sbuf_t *name)
{
        char c = *lx->p;

        if (c >= '0' && c <= '9') {
                while (*lx->p >= '0' && *lx->p <= '9')
                        sbuf_addc(name, *lx->p++);
                return;
        }
        if (c && strchr("@*#?-$!", c)) {
                sbuf_addc(name, *lx->p++);
                return;
        }
        while (is_name_char(*lx->p))
                sbuf_addc(name, *lx->p++);
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int end_word(lexer_t *lx, sbuf_t *out)
{
        if (!lx->in_word)
                return 0;
        if (strvec_push_owned(&lx->words, sbuf_steal(out)) < 0)
                return cell_error_set(lx->err, ENOMEM, "expanding");
        lx->in_word = false;
        return 0;
}

/* Text produced in unquoted context: when splitting, its whitespace ends words. */
static int add_unquoted(lexer_t *lx, sbuf_t *out, const char *s, bool split)
{
        if (!split) {
                sbuf_add(out, s);
                return 0;
        }
        for (; *s; s++) {
                if (is_space(*s)) {
                        if (end_word(lx, out) < 0)
                                return -ENOMEM;
                        continue;
                }
                sbuf_addc(out, *s);
                lx->in_word = true;
        }
        return 0;
}

static const char *lookup(lexer_t *lx, const char *name)
{
        return lx->lookup ? lx->lookup(name, lx->ud) : NULL;
}

/* After "${": the name, an optional modifier and its word, up to '}'. */
static int lex_braced(lexer_t *lx, sbuf_t *val, bool *ret_set)
{
        sbuf_t name = {0}, word = {0};
        const char *v;
        bool colon = false, set, saved_in_word;
        char mod;
        int r = 0;

        read_name(lx, &name);
        if (name.len == 0) {
                sbuf_free(&name);
                return cell_error_plain(lx->err, EINVAL, "bad substitution");
        }
        if (name.oom) {
                sbuf_free(&name);
                return cell_error_set(lx->err, ENOMEM, "expanding");
        }
        v = lookup(lx, name.s);
        if (*lx->p == '}') {
                lx->p++;
                sbuf_add(val, v ? v : "");
                *ret_set = true;
                goto out;
        }
        if (*lx->p == '\0') {
                r = cell_error_plain(lx->err, EINVAL, "missing '}' in ${%s", name.s);
                goto out;
        }
        if (*lx->p == ':') {
                colon = true;
                lx->p++;
        }
        mod = *lx->p;
        if (mod != '-' && mod != '+' && mod != '?') {
                if (mod == '\0')
                        r = cell_error_plain(lx->err, EINVAL, "missing '}' in ${%s", name.s);
                else
                        r = cell_error_plain(lx->err, EINVAL,
                                             "unsupported modifier (%c) in substitution of %s", mod, name.s);
                goto out;
        }
        lx->p++;
        saved_in_word = lx->in_word;
        /* The word is lexed (quotes and nested expansions) even when unused,
         * as the shell does: it has to find the closing brace. */
        r = lex(lx, &word, '}', false);
        lx->in_word = saved_in_word;
        if (r < 0)
                goto out;
        if (word.oom) {
                r = cell_error_set(lx->err, ENOMEM, "expanding");
                goto out;
        }
        set = colon ? (v && *v) : v != NULL;
        switch (mod) {
        case '-':
                sbuf_add(val, set ? v : (word.s ? word.s : ""));
                break;
        case '+':
                sbuf_add(val, set ? (word.s ? word.s : "") : "");
                break;
        default: /* '?' */
                if (!set) {
                        r = cell_error_plain(lx->err, EINVAL, "%s: %s", name.s,
                                             word.len ? word.s : "is not allowed to be unset");
                        goto out;
                }
                sbuf_add(val, v);
                break;
        }
        *ret_set = true;
out:
        sbuf_free(&name);
        sbuf_free(&word);
        return r;
}

/* After "$": the value to insert, or "$" itself when no name follows. */
static int lex_dollar(lexer_t *lx, sbuf_t *val)
{
        bool set = false;
        sbuf_t name = {0};
        const char *v;

        if (*lx->p == '{') {
                lx->p++;
                return lex_braced(lx, val, &set);
        }
        read_name(lx, &name);
        if (name.oom) {
                sbuf_free(&name);
                return cell_error_set(lx->err, ENOMEM, "expanding");
        }
        if (name.len == 0) {
                sbuf_addc(val, '$');
                return 0;
        }
        v = lookup(lx, name.s);
        sbuf_add(val, v ? v : "");
        sbuf_free(&name);
        return 0;
}

static int lex_double(lexer_t *lx, sbuf_t *out)
{
        for (;;) {
                char c = *lx->p;

                if (c == '\0')
                        return cell_error_plain(
                                lx->err, EINVAL,
                                "unexpected end of statement while looking for matching double-quote");
                lx->p++;
                if (c == '"')
                        return 0;
                if (c == '$') {
                        sbuf_t val = {0};
                        int r = lex_dollar(lx, &val);

                        if (r < 0) {
                                sbuf_free(&val);
                                return r;
                        }
                        if (val.s)
                                sbuf_add(out, val.s);
                        sbuf_free(&val);
                        continue;
                }
                if (c == lx->esc) {
                        char n = *lx->p;

                        if (n == '\0')
                                continue;
                        /* Only these are escapes inside double quotes;
                         * elsewhere the escape character stays. */
                        if (n == '"' || n == '$' || n == lx->esc) {
                                c = n;
                                lx->p++;
                        }
                }
                sbuf_addc(out, c);
        }
}

static int lex(lexer_t *lx, sbuf_t *out, char stop, bool split)
{
        for (;;) {
                char c = *lx->p;

                if (c == '\0') {
                        if (stop)
                                return cell_error_plain(lx->err, EINVAL, "missing '%c'", stop);
                        return 0;
                }
                lx->p++;
                if (stop && c == stop)
                        return 0;
                if (c == lx->esc) {
                        c = *lx->p;
                        if (c == '\0')
                                return stop ? cell_error_plain(lx->err, EINVAL, "missing '%c'", stop) : 0;
                        lx->p++;
                        sbuf_addc(out, c);
                        lx->in_word = true;
                        continue;
                }
                if (c == '\'') {
                        const char *end = strchr(lx->p, '\'');

                        if (!end)
                                return cell_error_plain(lx->err, EINVAL,
                                                        "unexpected end of statement while looking for "
                                                        "matching single-quote");
                        sbuf_addn(out, lx->p, (size_t)(end - lx->p));
                        lx->p = end + 1;
                        lx->in_word = true;
                        continue;
                }
                if (c == '"') {
                        int r = lex_double(lx, out);

                        if (r < 0)
                                return r;
                        lx->in_word = true;
                        continue;
                }
                if (c == '$') {
                        sbuf_t val = {0};
                        int r = lex_dollar(lx, &val);

                        if (r >= 0 && val.oom)
                                r = cell_error_set(lx->err, ENOMEM, "expanding");
                        if (r >= 0 && val.s)
                                r = add_unquoted(lx, out, val.s, split);
                        sbuf_free(&val);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (split && is_space(c)) {
                        if (end_word(lx, out) < 0)
                                return -ENOMEM;
                        continue;
                }
                sbuf_addc(out, c);
                lx->in_word = true;
        }
}

int dockerfile_expand(const char *in, char escape, dockerfile_lookup_fn lookup_fn, void *ud, char **ret,
                      cell_error_t *err)
{
        lexer_t lx = {.p = in, .esc = escape, .lookup = lookup_fn, .ud = ud, .err = err};
        sbuf_t out = {0};
        char *s;
        int r;

        r = lex(&lx, &out, '\0', false);
        if (r < 0) {
                sbuf_free(&out);
                return r;
        }
        s = sbuf_steal(&out);
        if (!s)
                return cell_error_set(err, ENOMEM, "expanding");
        *ret = s;
        return 0;
}

int dockerfile_expand_words(const char *in, char escape, dockerfile_lookup_fn lookup_fn, void *ud,
                            char ***ret, cell_error_t *err)
{
        lexer_t lx = {.p = in, .esc = escape, .lookup = lookup_fn, .ud = ud, .err = err, .split = true};
        sbuf_t out = {0};
        int r;

        r = lex(&lx, &out, '\0', true);
        if (r >= 0 && out.oom)
                r = cell_error_set(err, ENOMEM, "expanding");
        if (r >= 0)
                r = end_word(&lx, &out);
        sbuf_free(&out);
        if (r < 0) {
                strvec_free(&lx.words);
                return r;
        }
        *ret = strvec_steal(&lx.words);
        if (!*ret)
                return cell_error_set(err, ENOMEM, "expanding");
        return 0;
}

int dockerfile_expand_heredoc(const char *body, char escape, dockerfile_lookup_fn lookup_fn, void *ud,
                              char **ret, cell_error_t *err)
{
        lexer_t lx = {.p = body, .esc = escape, .lookup = lookup_fn, .ud = ud, .err = err};
        sbuf_t out = {0};
        char *s;

        while (*lx.p) {
                char c = *lx.p++;

                /* Quotes are text in a here-document; only $ and the escape
                 * character before $ or itself are special, as in the shell. */
                if (c == escape && (*lx.p == '$' || *lx.p == escape)) {
                        sbuf_addc(&out, *lx.p++);
                        continue;
                }
                if (c == '$') {
                        int r = lex_dollar(&lx, &out);

                        if (r < 0) {
                                sbuf_free(&out);
                                return r;
                        }
                        continue;
                }
                sbuf_addc(&out, c);
        }
        s = sbuf_steal(&out);
        if (!s)
                return cell_error_set(err, ENOMEM, "expanding");
        *ret = s;
        return 0;
}
