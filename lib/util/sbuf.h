/* cell: a growable byte buffer (the build parsers', the firewall's rule
 * text).
 *
 * Strings are built a piece at a time; a failed allocation is remembered
 * (oom) and reported once by the caller, so the loops stay free of error
 * branches. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
        char *s;
        size_t len, cap;
        bool oom;
} sbuf_t;

static inline bool sbuf_reserve(sbuf_t *b, size_t more)
{
        size_t need;
        char *n;

        if (b->oom)
                return false;
        need = b->len + more + 1;
        if (need <= b->cap)
                return true;
        if (b->cap * 2 > need)
                need = b->cap * 2;
        if (need < 32)
                need = 32;
        n = realloc(b->s, need);
        if (!n) {
                b->oom = true;
                return false;
        }
        b->s = n;
        b->cap = need;
        return true;
}

static inline void sbuf_addn(sbuf_t *b, const char *p, size_t n)
{
        if (!sbuf_reserve(b, n))
                return;
        memcpy(b->s + b->len, p, n);
        b->len += n;
        b->s[b->len] = '\0';
}

static inline void sbuf_add(sbuf_t *b, const char *p)
{
        sbuf_addn(b, p, strlen(p));
}

static inline void sbuf_addc(sbuf_t *b, char c)
{
        sbuf_addn(b, &c, 1);
}

/* printf into the buffer. */
static inline void sbuf_addf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void sbuf_addf(sbuf_t *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if (!sbuf_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

/* The finished string (never NULL unless out of memory); the buffer is reset. */
static inline char *sbuf_steal(sbuf_t *b)
{
        char *s;

        if (!b->oom && !b->s)
                sbuf_reserve(b, 0);
        if (b->oom) {
                free(b->s);
                *b = (sbuf_t){0};
                return NULL;
        }
        b->s[b->len] = '\0';
        s = b->s;
        *b = (sbuf_t){0};
        return s;
}

static inline void sbuf_free(sbuf_t *b)
{
        free(b->s);
        *b = (sbuf_t){0};
}

/* A NULL-terminated string vector that grows by doubling: strv_push walks
 * the vector on every call, quadratic on a line of many words. */
typedef struct strvec {
        char **v;
        size_t n, cap;
} strvec_t;

/* Takes ownership of s (freed on failure). Returns 0 or -1. */
static inline int strvec_push_owned(strvec_t *sv, char *s)
{
        if (!s)
                return -1;
        if (sv->n + 2 > sv->cap) {
                size_t cap = sv->cap ? sv->cap * 2 : 8;
                char **n = realloc(sv->v, cap * sizeof(char *));

                if (!n) {
                        free(s);
                        return -1;
                }
                sv->v = n;
                sv->cap = cap;
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
        return 0;
}

static inline void strvec_free(strvec_t *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        *sv = (strvec_t){0};
}

/* The vector (an empty one when nothing was pushed), or NULL without memory. */
static inline char **strvec_steal(strvec_t *sv)
{
        char **v = sv->v;

        if (!v)
                v = calloc(1, sizeof(char *));
        *sv = (strvec_t){0};
        return v;
}
