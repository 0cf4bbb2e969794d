#include "strutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

char *str_printf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

bool str_copy(char *dst, size_t n, const char *src)
{
        size_t len = strlen(src);

        if (n == 0)
                return false;
        if (len >= n) {
                memcpy(dst, src, n - 1);
                dst[n - 1] = '\0';
                return false;
        }
        memcpy(dst, src, len + 1);
        return true;
}

size_t strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}

int strv_push(char ***v, const char *s)
{
        size_t n = strv_length(*v);
        char **nv;
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[n] = copy;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int str_to_long(const char *s, long min, long max, long *ret)
{
        char *end = NULL;
        long v;

        /* strtol would skip spaces and accept '+': a number here is digits. */
        if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v, size_t n)
{
        if (v && n > 1)
                qsort(v, n, sizeof(*v), cmp_str);
}

char *strv_join(char *const *v, const char *sep)
{
        size_t n = 1, k = strlen(sep);
        char *out, *p;

        for (size_t i = 0; v && v[i]; i++)
                n += strlen(v[i]) + k;
        out = p = malloc(n);
        if (!out)
                return NULL;
        *p = '\0';
        for (size_t i = 0; v && v[i]; i++) {
                size_t len = strlen(v[i]);

                if (i) {
                        memcpy(p, sep, k);
                        p += k;
                }
                memcpy(p, v[i], len);
                p += len;
                *p = '\0';
        }
        return out;
}

char **strv_copy(char *const *v)
{
        size_t n = strv_length(v);
        char **c = calloc(n + 1, sizeof(*c));

        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(v[i]);
                if (!c[i]) {
                        strv_free(c);
                        return NULL;
                }
        }
        return c;
}

int strv_set_env(char ***env, const char *name_value)
{
        const char *eq = strchr(name_value, '=');
        size_t klen = eq ? (size_t)(eq - name_value) : strlen(name_value);

        for (size_t i = 0; *env && (*env)[i]; i++) {
                if (strncmp((*env)[i], name_value, klen) == 0 && (*env)[i][klen] == '=') {
                        char *s = strdup(name_value);
                        if (!s)
                                return -ENOMEM;
                        free((*env)[i]);
                        (*env)[i] = s;
                        return 0;
                }
        }
        return strv_push(env, name_value);
}
