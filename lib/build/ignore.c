/* cell: .dockerignore matching (see ignore.h and docs/design/build.md).
 *
 * The matcher walks the pattern and the path together rather than building
 * a regular expression; failed (pattern, path) positions are remembered so
 * that patterns with many stars stay linear in practice instead of
 * backtracking exponentially on a long path (the context is untrusted
 * input when building someone else's repository). */
#include "ignore.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "sbuf.h"
#include "strutil.h"

typedef struct ig_pattern {
        char *text; /* cleaned, without the '!' */
        bool exclusion;
} ig_pattern_t;

struct dockerignore {
        ig_pattern_t *v;
        size_t n;
};

/* Go's filepath.Clean on a '/' path: no empty or "." elements, ".."
 * resolved where it can be, "" becomes ".". */
static char *clean_path(const char *in)
{
        bool rooted = in[0] == '/';
        size_t n = strlen(in), out = 0, dotdot = 0;
        char *b = malloc(n + 2);

        if (!b)
                return NULL;
        if (rooted)
                b[out++] = '/';
        dotdot = out;
        for (size_t i = 0; i < n;) {
                size_t j = i;

                while (j < n && in[j] != '/')
                        j++;
                if (j == i || (j - i == 1 && in[i] == '.')) {
                        /* empty or "." */
                } else if (j - i == 2 && in[i] == '.' && in[i + 1] == '.') {
                        if (out > dotdot) {
                                /* drop the last element */
                                while (out > dotdot && b[out - 1] != '/')
                                        out--;
                                if (out > dotdot)
                                        out--;
                                else if (rooted && out == 0)
                                        out = 1;
                        } else if (!rooted) {
                                if (out > 0)
                                        b[out++] = '/';
                                b[out++] = '.';
                                b[out++] = '.';
                                dotdot = out;
                        }
                } else {
                        if (out > 0 && b[out - 1] != '/')
                                b[out++] = '/';
                        memcpy(b + out, in + i, j - i);
                        out += j - i;
                }
                i = j + 1;
        }
        if (out == 0)
                b[out++] = '.';
        b[out] = '\0';
        return b;
}

/* ---- one pattern against one path ---- */

static size_t utf8_len(const char *s)
{
        unsigned char c = (unsigned char)*s;
        size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

        for (size_t i = 1; i < n; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        return 1;
        return n;
}

static uint32_t utf8_get(const char *s, size_t *ret_len)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t n = utf8_len(s);

        *ret_len = n;
        switch (n) {
        case 2:
                return (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
        case 3:
                return (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
        case 4:
                return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
                       (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
        default:
                return u[0];
        }
}

/* One class member character (with \ escapes); false when malformed. */
static bool class_char(const char **pp, uint32_t *ret)
{
        const char *p = *pp;
        size_t l;

        if (*p == '\0' || *p == ']' || *p == '-')
                return false;
        if (*p == '\\') {
                p++;
                if (*p == '\0')
                        return false;
        }
        *ret = utf8_get(p, &l);
        *pp = p + l;
        return true;
}

/* A class at p (just after '['): whether it is well formed, its end (after
 * ']') and, when c is given, whether c is in it. */
static bool class_match(const char *p, uint32_t c, const char **ret_end, bool *ret_in)
{
        bool negate = false, in = false;

        if (*p == '^') {
                negate = true;
                p++;
        }
        do {
                uint32_t lo, hi;

                if (!class_char(&p, &lo))
                        return false;
                hi = lo;
                if (*p == '-') {
                        p++;
                        /* Go's regexp (moby compiles patterns to one) refuses z-a. */
                        if (!class_char(&p, &hi) || hi < lo)
                                return false;
                }
                if (lo <= c && c <= hi)
                        in = true;
        } while (*p != ']');
        *ret_end = p + 1;
        *ret_in = in != negate;
        return true;
}

typedef struct matcher {
        const char *p0, *s0;
        size_t slen;
        uint8_t *failed; /* (pattern offset, path offset) pairs known to fail */
} matcher_t;

static bool memo_failed(matcher_t *m, const char *p, const char *s)
{
        size_t k;

        if (!m->failed)
                return false;
        k = (size_t)(p - m->p0) * (m->slen + 1) + (size_t)(s - m->s0);
        return m->failed[k / 8] & (1u << (k % 8));
}

static bool memo_fail(matcher_t *m, const char *p, const char *s)
{
        size_t k;

        if (m->failed) {
                k = (size_t)(p - m->p0) * (m->slen + 1) + (size_t)(s - m->s0);
                m->failed[k / 8] |= (uint8_t)(1u << (k % 8));
        }
        return false;
}

static bool match_at(matcher_t *m, const char *p, const char *s)
{
        const char *p_start = p, *s_start = s;

        if (memo_failed(m, p, s))
                return false;
        while (*p) {
                if (p[0] == '*' && p[1] == '*') {
                        p += 2;
                        if (*p == '/')
                                p++;
                        if (!*p)
                                return true; /* "**" at the end: anything */
                        /* Zero or more whole directories: here, or after any
                         * '/' further on. */
                        if (match_at(m, p, s))
                                return true;
                        for (; *s; s++)
                                if (*s == '/' && match_at(m, p, s + 1))
                                        return true;
                        return memo_fail(m, p_start, s_start);
                }
                if (*p == '*') {
                        p++;
                        for (;; s += utf8_len(s)) {
                                if (match_at(m, p, s))
                                        return true;
                                if (!*s || *s == '/')
                                        return memo_fail(m, p_start, s_start);
                        }
                }
                if (*p == '?') {
                        if (!*s || *s == '/')
                                return memo_fail(m, p_start, s_start);
                        s += utf8_len(s);
                        p++;
                        continue;
                }
                if (*p == '[') {
                        const char *end;
                        size_t l;
                        uint32_t c;
                        bool in;

                        if (!*s)
                                return memo_fail(m, p_start, s_start);
                        c = utf8_get(s, &l);
                        if (!class_match(p + 1, c, &end, &in) || !in)
                                return memo_fail(m, p_start, s_start);
                        p = end;
                        s += l;
                        continue;
                }
                if (*p == '\\' && p[1])
                        p++;
                if (*p != *s)
                        return memo_fail(m, p_start, s_start);
                p++;
                s++;
        }
        if (*s)
                return memo_fail(m, p_start, s_start);
        return true;
}

bool dockerignore_match(const char *pattern, const char *path)
{
        matcher_t m = {.p0 = pattern, .s0 = path, .slen = strlen(path)};
        size_t bits = (strlen(pattern) + 1) * (m.slen + 1);
        bool r;

        /* Only stars backtrack, so only they need the memo. Its size is
         * bounded (2 MiB: a 4 KiB pattern against a PATH_MAX path); beyond
         * that, or without memory, the match runs without it. */
        if (strchr(pattern, '*') && bits <= (size_t)16 * 1024 * 1024)
                m.failed = calloc(bits / 8 + 1, 1);
        r = match_at(&m, pattern, path);
        free(m.failed);
        return r;
}

/* What Go's filepath.Match reports as ErrBadPattern. */
static bool pattern_valid(const char *p)
{
        for (; *p; p++) {
                if (*p == '\\') {
                        if (!p[1])
                                return false;
                        p++;
                } else if (*p == '[') {
                        const char *end;
                        bool in;

                        if (!class_match(p + 1, 0, &end, &in))
                                return false;
                        p = end - 1;
                }
        }
        return true;
}

/* ---- the list ---- */

void dockerignore_free(dockerignore_t *ig)
{
        if (!ig)
                return;
        for (size_t i = 0; i < ig->n; i++)
                free(ig->v[i].text);
        free(ig->v);
        free(ig);
}

static const char *trim(char *s)
{
        size_t n;

        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
                s++;
        n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\v' ||
                         s[n - 1] == '\f'))
                s[--n] = '\0';
        return s;
}

/* Add one pattern line (already known not to be a comment). where names it
 * in errors. Blank lines add nothing. */
static int add_pattern(dockerignore_t *ig, char *line, const char *where, cell_error_t *err)
{
        const char *t = trim(line);
        bool exclusion = false;
        ig_pattern_t *nv;
        char *clean;

        if (!*t)
                return 0;
        if (*t == '!') {
                exclusion = true;
                t = trim((char *)t + 1);
                if (!*t)
                        return cell_error_plain(err, EINVAL, "%sillegal exclusion pattern: \"!\"", where);
        }
        clean = clean_path(t);
        if (!clean)
                return cell_error_set(err, ENOMEM, "parsing .dockerignore");
        /* The context root is "/": "/a" and "a" are the same pattern. */
        if (clean[0] == '/' && clean[1])
                memmove(clean, clean + 1, strlen(clean));
        if (!pattern_valid(clean)) {
                int r = cell_error_plain(err, EINVAL, "%sbad pattern \"%s\"", where, t);

                free(clean);
                return r;
        }
        nv = realloc(ig->v, (ig->n + 1) * sizeof(*nv));
        if (!nv) {
                free(clean);
                return cell_error_set(err, ENOMEM, "parsing .dockerignore");
        }
        ig->v = nv;
        ig->v[ig->n++] = (ig_pattern_t){.text = clean, .exclusion = exclusion};
        return 0;
}

int dockerignore_parse(const char *data, size_t len, dockerignore_t **ret, cell_error_t *err)
{
        dockerignore_t *ig = calloc(1, sizeof(*ig));
        size_t i = 0;
        int line = 0;

        if (!ig)
                return cell_error_set(err, ENOMEM, "parsing .dockerignore");
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                i = 3;
        while (i < len) {
                const char *nl = memchr(data + i, '\n', len - i);
                size_t l = nl ? (size_t)(nl - (data + i)) : len - i;
                char where[64];
                char *copy;
                int r;

                line++;
                /* A '#' starts a comment only in the first column (Docker
                 * checks before trimming). */
                if (l > 0 && data[i] != '#') {
                        if (!(copy = strndup(data + i, l))) {
                                dockerignore_free(ig);
                                return cell_error_set(err, ENOMEM, "parsing .dockerignore");
                        }
                        if (strlen(copy) != l) {
                                free(copy);
                                dockerignore_free(ig);
                                return cell_error_plain(err, EINVAL, ".dockerignore:%d: a NUL byte", line);
                        }
                        snprintf(where, sizeof(where), ".dockerignore:%d: ", line);
                        r = add_pattern(ig, copy, where, err);
                        free(copy);
                        if (r < 0) {
                                dockerignore_free(ig);
                                return r;
                        }
                }
                i += l + 1;
        }
        *ret = ig;
        return 0;
}

int dockerignore_new(const char *const *patterns, dockerignore_t **ret, cell_error_t *err)
{
        dockerignore_t *ig = calloc(1, sizeof(*ig));

        if (!ig)
                return cell_error_set(err, ENOMEM, "exclude patterns");
        for (size_t i = 0; patterns && patterns[i]; i++) {
                char *copy = strdup(patterns[i]);
                int r;

                if (!copy) {
                        dockerignore_free(ig);
                        return cell_error_set(err, ENOMEM, "exclude patterns");
                }
                r = add_pattern(ig, copy, "", err);
                free(copy);
                if (r < 0) {
                        dockerignore_free(ig);
                        return r;
                }
        }
        *ret = ig;
        return 0;
}

size_t dockerignore_count(const dockerignore_t *ig)
{
        return ig ? ig->n : 0;
}

const char *dockerignore_pattern(const dockerignore_t *ig, size_t i, bool *ret_exclusion)
{
        if (!ig || i >= ig->n)
                return NULL;
        if (ret_exclusion)
                *ret_exclusion = ig->v[i].exclusion;
        return ig->v[i].text;
}

/* The pattern matches the path or one of its parent directories. */
static bool matches_or_parent(const char *pattern, char *path)
{
        if (dockerignore_match(pattern, path))
                return true;
        for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                bool m;

                *s = '\0';
                m = dockerignore_match(pattern, path);
                *s = '/';
                if (m)
                        return true;
        }
        return false;
}

static char *relative_clean(const char *path)
{
        char *c = clean_path(path);

        if (c && c[0] == '/')
                memmove(c, c + 1, strlen(c));
        return c;
}

bool dockerignore_excluded(const dockerignore_t *ig, const char *path)
{
        _cleanup_free_ char *p = NULL;
        bool excluded = false;

        if (!ig || ig->n == 0 || !(p = relative_clean(path)))
                return false;
        for (size_t i = 0; i < ig->n; i++) {
                /* Only a pattern that could change the answer is tried. */
                if (ig->v[i].exclusion != excluded)
                        continue;
                if (matches_or_parent(ig->v[i].text, p))
                        excluded = !ig->v[i].exclusion;
        }
        return excluded;
}

/* One path element of a pattern (up to '/', or the end) against one of
 * the directory. */
static bool element_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
        _cleanup_free_ char *p = strndup(pat, plen);
        _cleanup_free_ char *n = strndup(name, nlen);

        /* Out of memory: say "may match", the safe answer for the walker. */
        if (!p || !n)
                return true;
        return dockerignore_match(p, n);
}

bool dockerignore_may_reinclude(const dockerignore_t *ig, const char *dir)
{
        _cleanup_free_ char *d = NULL;

        if (!ig)
                return false;
        if (!(d = relative_clean(dir)))
                return true;
        for (size_t i = 0; i < ig->n; i++) {
                const char *pat = ig->v[i].text, *ds = d;
                bool possible = true;

                if (!ig->v[i].exclusion)
                        continue;
                /* Walk the directory's elements against the pattern's: a
                 * "**" or a pattern that runs out first could match below
                 * the directory; one element that cannot match rules the
                 * pattern out. */
                while (*ds) {
                        size_t dl = strcspn(ds, "/"), pl;

                        if (!*pat || strstr(pat, "**") == pat ||
                            (pat[0] && strstr(pat, "**") &&
                             (size_t)(strstr(pat, "**") - pat) < strcspn(pat, "/")))
                                break;
                        pl = strcspn(pat, "/");
                        if (!element_match(pat, pl, ds, dl)) {
                                possible = false;
                                break;
                        }
                        pat += pl;
                        if (*pat == '/')
                                pat++;
                        ds += dl;
                        if (*ds == '/')
                                ds++;
                }
                if (possible)
                        return true;
        }
        return false;
}
