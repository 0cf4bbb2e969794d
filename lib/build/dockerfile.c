/* cell: the Dockerfile parser (see dockerfile.h and docs/design/build.md).
 *
 * Two passes over the text, as Docker's builder does: physical lines become
 * logical lines (parser directives, comments, continuations, here-documents),
 * then each logical line becomes one typed instruction. Words are kept as
 * written; expansion belongs to the executor (expand.h). */
#include "dockerfile.h"
#include "flagvalue.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cleanup.h"
#include "sbuf.h"
#include "strutil.h"

typedef struct parser {
        const char *name;
        char esc;
        char **lines; /* physical lines, pointing into one buffer */
        size_t n_lines;
        size_t next; /* index of the next physical line to read */
        cell_error_t *err;
} parser_t;

static int perr(parser_t *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser_t *p, int line, const char *fmt, ...)
{
        char msg[CELL_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return cell_error_plain(p->err, EINVAL, "%s:%d: %s", p->name, line, msg);
}

static int oom(parser_t *p)
{
        return cell_error_set(p->err, ENOMEM, "%s: parsing", p->name);
}

static const struct {
        const char *name;
        dockerfile_kind_t kind;
} kinds[] = {
        {"FROM", DOCKERFILE_FROM},
        {"RUN", DOCKERFILE_RUN},
        {"CMD", DOCKERFILE_CMD},
        {"ENTRYPOINT", DOCKERFILE_ENTRYPOINT},
        {"ENV", DOCKERFILE_ENV},
        {"ARG", DOCKERFILE_ARG},
        {"LABEL", DOCKERFILE_LABEL},
        {"EXPOSE", DOCKERFILE_EXPOSE},
        {"WORKDIR", DOCKERFILE_WORKDIR},
        {"USER", DOCKERFILE_USER},
        {"VOLUME", DOCKERFILE_VOLUME},
        {"COPY", DOCKERFILE_COPY},
        {"ADD", DOCKERFILE_ADD},
        {"STOPSIGNAL", DOCKERFILE_STOPSIGNAL},
        {"HEALTHCHECK", DOCKERFILE_HEALTHCHECK},
        {"ONBUILD", DOCKERFILE_ONBUILD},
        {"MAINTAINER", DOCKERFILE_MAINTAINER},
        {"SHELL", DOCKERFILE_SHELL},
};

const char *dockerfile_kind_name(dockerfile_kind_t kind)
{
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (kinds[i].kind == kind)
                        return kinds[i].name;
        return "?";
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static const char *skip_blank(const char *s)
{
        while (is_blank(*s))
                s++;
        return s;
}

/* ---- freeing ---- */

static void command_clear(dockerfile_command_t *c)
{
        strv_free(c->argv);
        c->argv = NULL;
}

static void instr_clear(dockerfile_instr_t *in)
{
        free(in->original);
        free(in->image);
        free(in->stage_name);
        free(in->platform);
        command_clear(&in->cmd);
        for (size_t i = 0; i < in->n_mounts; i++)
                dockerfile_mount_clear(&in->mounts[i]);
        free(in->mounts);
        free(in->network);
        free(in->security);
        for (size_t i = 0; i < in->n_kvs; i++) {
                free(in->kvs[i].key);
                free(in->kvs[i].value);
        }
        free(in->kvs);
        strv_free(in->args);
        free(in->from);
        free(in->chown);
        free(in->chmod);
        free(in->checksum);
        strv_free(in->excludes);
        for (size_t i = 0; i < in->n_heredocs; i++) {
                free(in->heredocs[i].name);
                free(in->heredocs[i].content);
        }
        free(in->heredocs);
        if (in->trigger) {
                instr_clear(in->trigger);
                free(in->trigger);
        }
        *in = (dockerfile_instr_t){0};
}

void dockerfile_free(dockerfile_t *df)
{
        if (!df)
                return;
        for (size_t i = 0; i < df->n_instrs; i++)
                instr_clear(&df->instrs[i]);
        free(df->instrs);
        for (size_t i = 0; i < df->n_stages; i++)
                free(df->stages[i].name);
        free(df->stages);
        free(df->name);
        free(df->syntax);
        free(df->check);
        free(df);
}

/* ---- words ---- */

/* Split at blanks; quotes mean nothing (FROM, EXPOSE, VOLUME, COPY). */
static int split_blank(const char *s, char ***ret, size_t *ret_n)
{
        strvec_t v = {0};
        size_t n;

        for (;;) {
                const char *start;

                s = skip_blank(s);
                if (!*s)
                        break;
                start = s;
                while (*s && !is_blank(*s))
                        s++;
                if (strvec_push_owned(&v, strndup(start, (size_t)(s - start))) < 0) {
                        strvec_free(&v);
                        return -ENOMEM;
                }
        }
        n = v.n;
        if (!(*ret = strvec_steal(&v)))
                return -ENOMEM;
        *ret_n = n;
        return 0;
}

/* Split at blanks outside quotes, keeping quotes and escapes in the words
 * (ENV, LABEL, ARG): the executor's expansion removes them. A word that had
 * quotes is kept even when empty. */
static int split_quoted(const char *s, char esc, char ***ret, size_t *ret_n)
{
        strvec_t v = {0};
        sbuf_t w = {0};
        size_t n;
        bool in_word = false, blank_ok = false;
        char quote = 0;

        for (;; s++) {
                char c = *s;

                if (!quote && (c == '\0' || is_blank(c))) {
                        if (in_word && (blank_ok || w.len > 0)) {
                                if (strvec_push_owned(&v, sbuf_steal(&w)) < 0)
                                        goto fail;
                        }
                        sbuf_free(&w);
                        in_word = blank_ok = false;
                        if (c == '\0')
                                break;
                        continue;
                }
                if (c == '\0') { /* unterminated quote: the word ends here */
                        quote = 0;
                        s--;
                        continue;
                }
                in_word = true;
                if (quote) {
                        if (c == quote) {
                                quote = 0;
                        } else if (c == esc && quote != '\'') {
                                if (s[1] == '\0')
                                        continue;
                                sbuf_addc(&w, c);
                                c = *++s;
                        }
                        sbuf_addc(&w, c);
                        continue;
                }
                if (c == '\'' || c == '"') {
                        quote = c;
                        blank_ok = true;
                } else if (c == esc) {
                        if (s[1] == '\0')
                                continue;
                        sbuf_addc(&w, c);
                        c = *++s;
                }
                sbuf_addc(&w, c);
        }
        if (w.oom)
                goto fail;
        n = v.n;
        if (!(*ret = strvec_steal(&v)))
                return -ENOMEM;
        *ret_n = n;
        return 0;
fail:
        sbuf_free(&w);
        strvec_free(&v);
        return -ENOMEM;
}

/* A JSON array of strings: 1 parsed, 0 not JSON (the caller falls back to
 * words), -EINVAL an array with something other than strings (Docker
 * refuses that rather than guessing), -ENOMEM. Text after the array is
 * ignored, as Docker's decoder does. */
static int parse_json_array(const char *s, char ***ret, size_t *ret_n)
{
        json_error_t jerr;
        json_t *a, *item;
        strvec_t v = {0};
        size_t i, n;
        int r = 1;

        if (*s != '[')
                return 0;
        a = json_loads(s, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
        if (!a)
                return 0;
        if (!json_is_array(a)) {
                json_decref(a);
                return 0;
        }
        json_array_foreach(a, i, item)
        {
                const char *str = json_string_value(item);

                if (!str || strlen(str) != json_string_length(item)) {
                        r = -EINVAL;
                        break;
                }
                if (strvec_push_owned(&v, strdup(str)) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        json_decref(a);
        if (r < 0) {
                strvec_free(&v);
                return r;
        }
        n = v.n;
        if (!(*ret = strvec_steal(&v)))
                return -ENOMEM;
        *ret_n = n;
        return 1;
}

static int json_refused(parser_t *p, int line, int r)
{
        if (r == -ENOMEM)
                return oom(p);
        return perr(p, line, "when using JSON array syntax, arrays must be comprised of strings only");
}

/* RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD: exec form, or the line as written. */
static int parse_command(parser_t *p, int line, const char *rest, dockerfile_command_t *cmd)
{
        size_t n = 0;
        int r = parse_json_array(rest, &cmd->argv, &n);

        if (r < 0)
                return json_refused(p, line, r);
        if (r == 1) {
                cmd->exec_form = true;
                return 0;
        }
        if (strv_push(&cmd->argv, rest) < 0)
                return oom(p);
        cmd->exec_form = false;
        return 0;
}

/* VOLUME, COPY, ADD: a JSON array, or words split at blanks. */
static int parse_list(parser_t *p, int line, const char *rest, char ***ret, size_t *ret_n)
{
        int r = parse_json_array(rest, ret, ret_n);

        if (r < 0)
                return json_refused(p, line, r);
        if (r == 1)
                return 0;
        if (split_blank(rest, ret, ret_n) < 0)
                return oom(p);
        return 0;
}

/* ---- flags (--name=value before the arguments) ---- */

typedef struct flag {
        char *name;
        char *value; /* NULL for --name alone */
        bool used;
} flag_t;

typedef struct flags {
        flag_t *v;
        size_t n;
} flags_t;

static void flags_clear(flags_t *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i].name);
                free(f->v[i].value);
        }
        free(f->v);
        *f = (flags_t){0};
}

/* Take the leading --flags off *rest. "--" alone ends them. */
static int flags_take(parser_t *p, int line, const char **rest, flags_t *f)
{
        const char *s = *rest;

        for (;;) {
                const char *start, *eq, *end;
                flag_t *nv;

                s = skip_blank(s);
                if (s[0] != '-' || s[1] != '-')
                        break;
                start = s + 2;
                end = start;
                while (*end && !is_blank(*end))
                        end++;
                s = end;
                if (end == start)
                        break;
                eq = memchr(start, '=', (size_t)(end - start));
                nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
                if (!nv)
                        return oom(p);
                f->v = nv;
                nv = &f->v[f->n++];
                *nv = (flag_t){0};
                nv->name = strndup(start, (size_t)((eq ? eq : end) - start));
                if (eq)
                        nv->value = strndup(eq + 1, (size_t)(end - eq - 1));
                if (!nv->name || (eq && !nv->value))
                        return oom(p);
                if (nv->name[0] == '\0')
                        return perr(p, line, "invalid flag: --%.*s", (int)(end - start), start);
        }
        *rest = skip_blank(s);
        return 0;
}

/* A string flag given at most once; *ret stays NULL when absent. */
static int flag_string(parser_t *p, int line, flags_t *f, const char *name, char **ret)
{
        for (size_t i = 0; i < f->n; i++) {
                if (!str_eq(f->v[i].name, name))
                        continue;
                f->v[i].used = true;
                if (!f->v[i].value)
                        return perr(p, line, "missing a value on flag: %s", name);
                if (*ret)
                        return perr(p, line, "duplicate flag specified: %s", name);
                if (!(*ret = strdup(f->v[i].value)))
                        return oom(p);
        }
        return 0;
}

static int flag_bool(parser_t *p, int line, flags_t *f, const char *name, bool *ret)
{
        for (size_t i = 0; i < f->n; i++) {
                const char *v = f->v[i].value;

                if (!str_eq(f->v[i].name, name))
                        continue;
                f->v[i].used = true;
                if (!v || strcasecmp(v, "true") == 0 || str_eq(v, "1"))
                        *ret = true;
                else if (strcasecmp(v, "false") == 0 || str_eq(v, "0"))
                        *ret = false;
                else
                        return perr(p, line, "expecting boolean value for flag %s, not: %s", name, v);
        }
        return 0;
}

/* Every flag given must be one the instruction knows. */
static int flags_done(parser_t *p, int line, flags_t *f)
{
        for (size_t i = 0; i < f->n; i++)
                if (!f->v[i].used)
                        return perr(p, line, "unknown flag: %s", f->v[i].name);
        return 0;
}

/* ---- here-documents ---- */

/* The <<NAME markers of a line (outside quotes, at the start of a word),
 * then their bodies from the lines that follow, in order. */
static int read_heredocs(parser_t *p, int line, const char *rest, dockerfile_instr_t *in)
{
        char quote = 0;

        for (const char *s = rest; *s; s++) {
                dockerfile_heredoc_t h = {.expand = true};
                sbuf_t name = {0}, body = {0};
                dockerfile_heredoc_t *nv;
                bool done = false;

                if (quote) {
                        if (*s == quote)
                                quote = 0;
                        else if (*s == p->esc && quote == '"' && s[1])
                                s++;
                        continue;
                }
                if (*s == p->esc && s[1]) {
                        s++;
                        continue;
                }
                if (*s == '"' || *s == '\'') {
                        quote = *s;
                        continue;
                }
                if (s[0] != '<' || s[1] != '<' || s[2] == '<' || (s > rest && !is_blank(s[-1])))
                        continue;
                s += 2;
                if (*s == '-') {
                        h.strip_tabs = true;
                        s++;
                }
                for (; *s && !is_blank(*s); s++) {
                        if (*s == '"' || *s == '\'')
                                h.expand = false;
                        else
                                sbuf_addc(&name, *s);
                }
                s--;
                if (name.oom)
                        return oom(p);
                if (name.len == 0) {
                        sbuf_free(&name);
                        continue;
                }
                h.name = sbuf_steal(&name);
                while (p->next < p->n_lines) {
                        const char *l = p->lines[p->next++];

                        if (h.strip_tabs)
                                while (*l == '\t')
                                        l++;
                        if (str_eq(l, h.name)) {
                                done = true;
                                break;
                        }
                        sbuf_add(&body, l);
                        sbuf_addc(&body, '\n');
                }
                if (!done) {
                        int r = perr(p, line, "unterminated heredoc %s", h.name);

                        free(h.name);
                        sbuf_free(&body);
                        return r;
                }
                h.content = sbuf_steal(&body);
                nv = h.content ? realloc(in->heredocs, (in->n_heredocs + 1) * sizeof(*nv)) : NULL;
                if (!nv) {
                        free(h.name);
                        free(h.content);
                        return oom(p);
                }
                in->heredocs = nv;
                in->heredocs[in->n_heredocs++] = h;
        }
        return 0;
}

/* ---- instructions ---- */

static int kv_push(parser_t *p, dockerfile_instr_t *in, const char *key, size_t key_len, const char *value)
{
        dockerfile_kv_t *nv = realloc(in->kvs, (in->n_kvs + 1) * sizeof(*nv));
        dockerfile_kv_t *kv;

        if (!nv)
                return oom(p);
        in->kvs = nv;
        kv = &in->kvs[in->n_kvs];
        *kv = (dockerfile_kv_t){.has_value = value != NULL};
        kv->key = strndup(key, key_len);
        kv->value = value ? strdup(value) : NULL;
        in->n_kvs++;
        if (!kv->key || (value && !kv->value))
                return oom(p);
        return 0;
}

/* ENV and LABEL: name=value pairs, or the legacy "ENV name value words". */
static int parse_name_values(parser_t *p, int line, const char *rest, dockerfile_instr_t *in)
{
        const char *kw = dockerfile_kind_name(in->kind);
        _cleanup_strv_ char **words = NULL;
        size_t n = 0;

        if (split_quoted(rest, p->esc, &words, &n) < 0)
                return oom(p);
        if (n == 0)
                return perr(p, line, "%s requires at least one argument", kw);
        if (!strchr(words[0], '=')) {
                /* Legacy form: the first word is the name, the rest of the
                 * line (as written) the value. */
                const char *v = rest;

                while (*v && !is_blank(*v))
                        v++;
                v = skip_blank(v);
                if (!*v)
                        return perr(p, line, "%s must have two arguments", kw);
                return kv_push(p, in, rest, strcspn(rest, " \t\v\f\r"), v);
        }
        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(words[i], '=');
                int r;

                if (!eq)
                        return perr(p, line,
                                    "Syntax error - can't find = in \"%s\". Must be of the form: name=value",
                                    words[i]);
                if (eq == words[i])
                        return perr(p, line, "%s names can not be blank", kw);
                r = kv_push(p, in, words[i], (size_t)(eq - words[i]), eq + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_arg(parser_t *p, int line, const char *rest, dockerfile_instr_t *in)
{
        _cleanup_strv_ char **words = NULL;
        size_t n = 0;

        if (split_quoted(rest, p->esc, &words, &n) < 0)
                return oom(p);
        if (n == 0)
                return perr(p, line, "ARG requires at least one argument");
        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(words[i], '=');
                int r;

                if (eq == words[i])
                        return perr(p, line, "ARG names can not be blank");
                r = kv_push(p, in, words[i], eq ? (size_t)(eq - words[i]) : strlen(words[i]),
                            eq ? eq + 1 : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool valid_stage_name(const char *s)
{
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

static int parse_from(parser_t *p, int line, const char *rest, flags_t *f, dockerfile_instr_t *in)
{
        _cleanup_strv_ char **w = NULL;
        size_t n = 0;
        int r;

        r = flag_string(p, line, f, "platform", &in->platform);
        if (r < 0)
                return r;
        if (split_blank(rest, &w, &n) < 0)
                return oom(p);
        if (n == 0)
                return perr(p, line, "FROM requires either one or three arguments");
        if (n != 1 && !(n == 3 && strcasecmp(w[1], "AS") == 0))
                return perr(p, line, "FROM requires either one or three arguments");
        if (!(in->image = strdup(w[0])))
                return oom(p);
        if (n == 3) {
                if (!valid_stage_name(w[2]))
                        return perr(p, line,
                                    "invalid name for build stage: \"%s\", name can't start with a number or "
                                    "contain symbols",
                                    w[2]);
                if (!(in->stage_name = strdup(w[2])))
                        return oom(p);
                for (char *c = in->stage_name; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
        }
        return 0;
}

static int parse_run(parser_t *p, int line, const char *rest, flags_t *f, dockerfile_instr_t *in)
{
        int r;

        for (size_t i = 0; i < f->n; i++) {
                dockerfile_mount_t *nv;

                if (!str_eq(f->v[i].name, "mount"))
                        continue;
                f->v[i].used = true;
                if (!f->v[i].value)
                        return perr(p, line, "missing a value on flag: mount");
                nv = realloc(in->mounts, (in->n_mounts + 1) * sizeof(*nv));
                if (!nv)
                        return oom(p);
                in->mounts = nv;
                r = dockerfile_parse_mount(f->v[i].value, &in->mounts[in->n_mounts], p->err);
                in->n_mounts++;
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return cell_error_prefix(p->err, "%s:%d", p->name, line);
        }
        r = flag_string(p, line, f, "network", &in->network);
        if (r >= 0)
                r = flag_string(p, line, f, "security", &in->security);
        if (r < 0)
                return r;
        if (in->network && !str_eq(in->network, "none") && !str_eq(in->network, "host") &&
            !str_eq(in->network, "default"))
                return perr(p, line, "unsupported network mode \"%s\"", in->network);
        if (in->security && !str_eq(in->security, "insecure") && !str_eq(in->security, "sandbox"))
                return perr(p, line, "unsupported security mode \"%s\"", in->security);
        if (!*rest)
                return perr(p, line, "RUN requires at least one argument");
        return parse_command(p, line, rest, &in->cmd);
}

static int parse_copy(parser_t *p, int line, const char *rest, flags_t *f, dockerfile_instr_t *in)
{
        const char *kw = dockerfile_kind_name(in->kind);
        int r;

        r = flag_string(p, line, f, "chown", &in->chown);
        if (r >= 0)
                r = flag_string(p, line, f, "chmod", &in->chmod);
        if (r >= 0)
                r = flag_bool(p, line, f, "link", &in->link);
        if (r >= 0 && in->kind == DOCKERFILE_COPY)
                r = flag_string(p, line, f, "from", &in->from);
        if (r >= 0 && in->kind == DOCKERFILE_COPY)
                r = flag_bool(p, line, f, "parents", &in->parents);
        if (r >= 0 && in->kind == DOCKERFILE_ADD)
                r = flag_string(p, line, f, "checksum", &in->checksum);
        if (r >= 0 && in->kind == DOCKERFILE_ADD)
                r = flag_bool(p, line, f, "keep-git-dir", &in->keep_git_dir);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->n; i++) {
                if (!str_eq(f->v[i].name, "exclude"))
                        continue;
                f->v[i].used = true;
                if (!f->v[i].value)
                        return perr(p, line, "missing a value on flag: exclude");
                if (strv_push(&in->excludes, f->v[i].value) < 0)
                        return oom(p);
        }
        r = parse_list(p, line, rest, &in->args, &in->n_args);
        if (r < 0)
                return r;
        if (in->n_args == 0)
                return perr(p, line, "%s requires at least two arguments", kw);
        if (in->n_args == 1)
                return perr(
                        p, line,
                        "%s requires at least two arguments, but only one was provided. Destination could "
                        "not be determined.",
                        kw);
        return 0;
}

static int parse_health_duration(parser_t *p, int line, flags_t *f, const char *name, int64_t *ret)
{
        _cleanup_free_ char *v = NULL;
        int r = flag_string(p, line, f, name, &v);

        if (r < 0 || !v)
                return r;
        if (dockerfile_parse_duration(v, ret) < 0)
                return perr(p, line, "invalid duration for --%s: %s", name, v);
        /* Docker's floor: a probe more often than every millisecond is a mistake. */
        if (*ret != 0 && *ret < 1000000)
                return perr(p, line, "Interval \"%s\" cannot be less than 1ms", name);
        return 0;
}

static int parse_healthcheck(parser_t *p, int line, const char *rest, flags_t *f, dockerfile_instr_t *in)
{
        _cleanup_free_ char *retries = NULL;
        size_t kwlen = strcspn(rest, " \t\v\f\r");
        const char *args = skip_blank(rest + kwlen);
        long n;
        int r;

        in->retries = -1;
        if (!*rest)
                return perr(p, line, "HEALTHCHECK requires at least one argument");
        if (kwlen == 4 && strncasecmp(rest, "NONE", 4) == 0) {
                if (*args || f->n > 0)
                        return perr(p, line, "HEALTHCHECK NONE takes no arguments");
                in->health_none = true;
                return 0;
        }
        if (kwlen != 3 || strncasecmp(rest, "CMD", 3) != 0)
                return perr(p, line, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)", (int)kwlen, rest);
        r = parse_health_duration(p, line, f, "interval", &in->interval_ns);
        if (r >= 0)
                r = parse_health_duration(p, line, f, "timeout", &in->timeout_ns);
        if (r >= 0)
                r = parse_health_duration(p, line, f, "start-period", &in->start_period_ns);
        if (r >= 0)
                r = parse_health_duration(p, line, f, "start-interval", &in->start_interval_ns);
        if (r >= 0)
                r = flag_string(p, line, f, "retries", &retries);
        if (r < 0)
                return r;
        if (retries) {
                if (str_to_long(retries, LONG_MIN, LONG_MAX, &n) < 0 || n > INT_MAX)
                        return perr(p, line, "invalid value for --retries: %s", retries);
                if (n < 0)
                        return perr(p, line, "--retries cannot be negative (%ld)", n);
                in->retries = (int)n;
        }
        if (!*args)
                return perr(p, line, "HEALTHCHECK CMD requires at least one argument");
        return parse_command(p, line, args, &in->cmd);
}

static int parse_one_arg(parser_t *p, int line, const char *rest, dockerfile_instr_t *in)
{
        if (!*rest)
                return perr(p, line, "%s requires exactly one argument", dockerfile_kind_name(in->kind));
        if (strv_push(&in->args, rest) < 0)
                return oom(p);
        in->n_args = 1;
        return 0;
}

static int parse_instruction(parser_t *p, const char *text, int line, bool nested, dockerfile_instr_t *in);

static int parse_onbuild(parser_t *p, int line, const char *rest, dockerfile_instr_t *in)
{
        size_t kwlen = strcspn(rest, " \t\v\f\r");

        if (!*rest)
                return perr(p, line, "ONBUILD requires at least one argument");
        if (kwlen == 7 && strncasecmp(rest, "ONBUILD", 7) == 0)
                return perr(p, line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if ((kwlen == 4 && strncasecmp(rest, "FROM", 4) == 0) ||
            (kwlen == 10 && strncasecmp(rest, "MAINTAINER", 10) == 0))
                return perr(p, line, "%.*s isn't allowed as an ONBUILD trigger", (int)kwlen, rest);
        if (!(in->trigger = calloc(1, sizeof(*in->trigger))))
                return oom(p);
        return parse_instruction(p, rest, line, true, in->trigger);
}

static int parse_args(parser_t *p, int line, const char *rest, flags_t *f, dockerfile_instr_t *in)
{
        const char *kw = dockerfile_kind_name(in->kind);
        int r;

        switch (in->kind) {
        case DOCKERFILE_FROM:
                return parse_from(p, line, rest, f, in);
        case DOCKERFILE_RUN:
                return parse_run(p, line, rest, f, in);
        case DOCKERFILE_CMD:
        case DOCKERFILE_ENTRYPOINT:
                if (!*rest)
                        return perr(p, line, "%s requires at least one argument", kw);
                return parse_command(p, line, rest, &in->cmd);
        case DOCKERFILE_SHELL:
                if (!*rest)
                        return perr(p, line, "SHELL requires at least one argument");
                r = parse_json_array(rest, &in->cmd.argv, &in->n_args);
                if (r == 0 || r == -EINVAL)
                        return perr(p, line, "SHELL requires the arguments to be in JSON form");
                if (r < 0)
                        return oom(p);
                in->n_args = 0;
                in->cmd.exec_form = true;
                if (!in->cmd.argv[0])
                        return perr(p, line, "SHELL requires at least one argument");
                return 0;
        case DOCKERFILE_ENV:
        case DOCKERFILE_LABEL:
                return parse_name_values(p, line, rest, in);
        case DOCKERFILE_ARG:
                return parse_arg(p, line, rest, in);
        case DOCKERFILE_EXPOSE:
                if (split_blank(rest, &in->args, &in->n_args) < 0)
                        return oom(p);
                if (in->n_args == 0)
                        return perr(p, line, "EXPOSE requires at least one argument");
                return 0;
        case DOCKERFILE_VOLUME:
                r = parse_list(p, line, rest, &in->args, &in->n_args);
                if (r < 0)
                        return r;
                if (in->n_args == 0)
                        return perr(p, line, "VOLUME requires at least one argument");
                for (size_t i = 0; i < in->n_args; i++)
                        if (!*skip_blank(in->args[i]))
                                return perr(p, line, "VOLUME specified can not be an empty string");
                return 0;
        case DOCKERFILE_COPY:
        case DOCKERFILE_ADD:
                return parse_copy(p, line, rest, f, in);
        case DOCKERFILE_HEALTHCHECK:
                return parse_healthcheck(p, line, rest, f, in);
        case DOCKERFILE_ONBUILD:
                return parse_onbuild(p, line, rest, in);
        case DOCKERFILE_WORKDIR:
        case DOCKERFILE_USER:
        case DOCKERFILE_STOPSIGNAL:
        case DOCKERFILE_MAINTAINER:
        default:
                return parse_one_arg(p, line, rest, in);
        }
}

/* text: a logical line, trimmed, not empty. nested: an ONBUILD trigger
 * (its here-documents, if any, are not read from the file). */
static int parse_instruction(parser_t *p, const char *text, int line, bool nested, dockerfile_instr_t *in)
{
        size_t kwlen = strcspn(text, " \t\v\f\r");
        const char *rest = skip_blank(text + kwlen);
        flags_t f = {0};
        bool found = false;
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                if (strlen(kinds[i].name) == kwlen && strncasecmp(kinds[i].name, text, kwlen) == 0) {
                        in->kind = kinds[i].kind;
                        found = true;
                        break;
                }
        }
        if (!found) {
                _cleanup_free_ char *kw = strndup(text, kwlen);

                if (!kw)
                        return oom(p);
                for (char *c = kw; *c; c++)
                        *c = (char)toupper((unsigned char)*c);
                return perr(p, line, "unknown instruction: %s", kw);
        }
        in->line = line;
        if (!(in->original = strdup(text)))
                return oom(p);
        if (in->kind == DOCKERFILE_ONBUILD)
                return parse_args(p, line, rest, &f, in);
        r = flags_take(p, line, &rest, &f);
        if (r >= 0 && !nested && *rest != '[' &&
            (in->kind == DOCKERFILE_RUN || in->kind == DOCKERFILE_COPY || in->kind == DOCKERFILE_ADD))
                r = read_heredocs(p, line, rest, in);
        if (r >= 0)
                r = parse_args(p, line, rest, &f, in);
        if (r >= 0)
                r = flags_done(p, line, &f);
        flags_clear(&f);
        return r;
}

/* ---- lines ---- */

static bool is_comment_or_empty(const char *l)
{
        l = skip_blank(l);
        return *l == '\0' || *l == '#';
}

/* Whether l ends with the escape character (blanks after it allowed); if
 * so, cut it off there. */
static bool cut_continuation(char *l, char esc)
{
        size_t n = strlen(l);

        while (n > 0 && is_blank(l[n - 1]))
                n--;
        if (n == 0 || l[n - 1] != esc)
                return false;
        l[n - 1] = '\0';
        return true;
}

/* The next logical line: comments and empty lines skipped, continuations
 * joined (a comment or an empty line inside a continuation is dropped, as
 * Docker does). 1 with *ret and *ret_line, 0 at the end. */
static int next_logical(parser_t *p, char **ret, int *ret_line)
{
        sbuf_t b = {0};
        char *start, *s;
        size_t i;

        while (p->next < p->n_lines && is_comment_or_empty(p->lines[p->next]))
                p->next++;
        if (p->next >= p->n_lines)
                return 0;
        i = p->next++;
        *ret_line = (int)i + 1;
        if (!cut_continuation(p->lines[i], p->esc)) {
                sbuf_add(&b, p->lines[i]);
        } else {
                sbuf_add(&b, p->lines[i]);
                while (p->next < p->n_lines) {
                        char *l = p->lines[p->next++];

                        if (is_comment_or_empty(l))
                                continue;
                        if (!cut_continuation(l, p->esc)) {
                                sbuf_add(&b, l);
                                break;
                        }
                        sbuf_add(&b, l);
                }
        }
        s = sbuf_steal(&b);
        if (!s)
                return oom(p);
        /* Trim both ends in place. */
        start = (char *)skip_blank(s);
        i = strlen(start);
        while (i > 0 && is_blank(start[i - 1]))
                i--;
        memmove(s, start, i);
        s[i] = '\0';
        *ret = s;
        return 1;
}

/* "# key=value" lines at the very top. The first line that is not one ends
 * them (a comment, an empty line or an instruction). */
static int parse_directives(parser_t *p, dockerfile_t *df)
{
        bool seen_escape = false;

        for (; p->next < p->n_lines; p->next++) {
                const char *l = p->lines[p->next], *k, *v;
                size_t klen, vlen;
                int line = (int)p->next + 1;

                if (*l != '#')
                        break;
                k = skip_blank(l + 1);
                klen = 0;
                if (!isalpha((unsigned char)k[0]))
                        break;
                while (isalnum((unsigned char)k[klen]))
                        klen++;
                v = skip_blank(k + klen);
                if (*v != '=')
                        break;
                v = skip_blank(v + 1);
                vlen = strlen(v);
                while (vlen > 0 && is_blank(v[vlen - 1]))
                        vlen--;
                if (vlen == 0)
                        break;
                if (klen == 6 && strncasecmp(k, "escape", 6) == 0) {
                        if (seen_escape)
                                return perr(p, line, "only one escape parser directive can be used");
                        seen_escape = true;
                        if (vlen != 1 || (v[0] != '\\' && v[0] != '`'))
                                return perr(p, line, "invalid escape token '%.*s' does not validate",
                                            (int)vlen, v);
                        df->escape = v[0];
                        p->esc = v[0];
                } else if ((klen == 6 && strncasecmp(k, "syntax", 6) == 0) ||
                           (klen == 5 && strncasecmp(k, "check", 5) == 0)) {
                        char **slot = klen == 6 ? &df->syntax : &df->check;

                        if (*slot)
                                return perr(p, line, "only one %.*s parser directive can be used", (int)klen,
                                            k);
                        if (!(*slot = strndup(v, vlen)))
                                return oom(p);
                }
                /* Other directives are comments to us, as to Docker. */
        }
        return 0;
}

/* Group instructions into stages; only ARG may come before the first FROM. */
static int make_stages(parser_t *p, dockerfile_t *df)
{
        size_t i;

        for (i = 0; i < df->n_instrs && df->instrs[i].kind != DOCKERFILE_FROM; i++)
                if (df->instrs[i].kind != DOCKERFILE_ARG)
                        return perr(p, df->instrs[i].line, "no build stage in current context");
        df->n_global_args = i;
        if (i == df->n_instrs) {
                if (df->n_instrs == 0)
                        return cell_error_plain(p->err, EINVAL, "%s: file with no instructions", p->name);
                return perr(p, df->instrs[0].line, "no FROM instruction: a build needs at least one stage");
        }
        for (; i < df->n_instrs; i++) {
                dockerfile_stage_t *nv;
                const dockerfile_instr_t *in = &df->instrs[i];

                if (in->kind != DOCKERFILE_FROM) {
                        df->stages[df->n_stages - 1].count++;
                        continue;
                }
                if (in->stage_name)
                        for (size_t s = 0; s < df->n_stages; s++)
                                if (str_eq(df->stages[s].name, in->stage_name))
                                        return perr(p, in->line, "duplicate stage name \"%s\"",
                                                    in->stage_name);
                nv = realloc(df->stages, (df->n_stages + 1) * sizeof(*nv));
                if (!nv)
                        return oom(p);
                df->stages = nv;
                nv[df->n_stages] = (dockerfile_stage_t){.first = i, .count = 1};
                if (in->stage_name && !(nv[df->n_stages].name = strdup(in->stage_name)))
                        return oom(p);
                df->n_stages++;
        }
        return 0;
}

static int parse_all(parser_t *p, dockerfile_t *df)
{
        int r = parse_directives(p, df);
        size_t cap = 0;

        while (r >= 0) {
                _cleanup_free_ char *text = NULL;
                dockerfile_instr_t *nv;
                int line = 0;

                r = next_logical(p, &text, &line);
                if (r <= 0)
                        break;
                if (!text || !*text)
                        continue; /* only an escape character */
                if (df->n_instrs == cap) {
                        cap = cap ? cap * 2 : 16;
                        nv = realloc(df->instrs, cap * sizeof(*nv));
                        if (!nv)
                                return oom(p);
                        df->instrs = nv;
                }
                nv = df->instrs;
                nv[df->n_instrs] = (dockerfile_instr_t){0};
                r = parse_instruction(p, text, line, false, &nv[df->n_instrs]);
                df->n_instrs++; /* freed with the rest, even half filled */
        }
        if (r < 0)
                return r;
        return make_stages(p, df);
}

int dockerfile_parse(const char *data, size_t len, const char *name, dockerfile_t **ret, cell_error_t *err)
{
        parser_t p = {.name = name ? name : "Dockerfile", .esc = '\\', .err = err};
        _cleanup_free_ char *buf = NULL;
        dockerfile_t *df = NULL;
        size_t n_lines = 0;
        char *s;
        int r;

        if (len > 0 && memchr(data, '\0', len))
                return cell_error_plain(err, EINVAL, "%s: not a text file (it holds a NUL byte)", p.name);
        /* A UTF-8 byte order mark is not part of the first instruction. */
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
                data += 3;
                len -= 3;
        }
        buf = malloc(len + 1);
        df = calloc(1, sizeof(*df));
        if (!buf || !df || !(df->name = strdup(p.name))) {
                dockerfile_free(df);
                return oom(&p);
        }
        df->escape = '\\';
        if (len > 0)
                memcpy(buf, data, len);
        buf[len] = '\0';
        for (size_t i = 0; i < len; i++)
                n_lines += buf[i] == '\n';
        p.lines = calloc(n_lines + 1, sizeof(char *));
        if (!p.lines) {
                dockerfile_free(df);
                return oom(&p);
        }
        for (s = buf;;) {
                char *nl = strchr(s, '\n');
                size_t l;

                if (!nl && !*s)
                        break;
                if (nl)
                        *nl = '\0';
                l = strlen(s);
                if (l > 0 && s[l - 1] == '\r')
                        s[l - 1] = '\0';
                p.lines[p.n_lines++] = s;
                if (!nl)
                        break;
                s = nl + 1;
        }
        r = parse_all(&p, df);
        free(p.lines);
        if (r < 0) {
                dockerfile_free(df);
                return r;
        }
        *ret = df;
        return 0;
}

const dockerfile_stage_t *dockerfile_find_stage(const dockerfile_t *df, const char *name_or_index)
{
        long idx;

        for (size_t i = 0; i < df->n_stages; i++)
                if (df->stages[i].name && strcasecmp(df->stages[i].name, name_or_index) == 0)
                        return &df->stages[i];
        if (str_to_long(name_or_index, 0, LONG_MAX, &idx) == 0 && (size_t)idx < df->n_stages)
                return &df->stages[idx];
        return NULL;
}
