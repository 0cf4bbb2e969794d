#include "ref.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "strutil.h"

#define TAG_MAX 128

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || is_digit(c);
}

static bool is_alnum(char c)
{
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_image_id(const char *s)
{
        for (; *s; s++)
                if (!is_digit(*s) && !(*s >= 'a' && *s <= 'f'))
                        return false;
        return true;
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] >= 'A' && s[i] <= 'Z')
                        return true;
        return false;
}

/* The error of the whole parse, with the input quoted (shortened: a
 * reference can come from a hostile manifest or a fuzzer). */
__attribute__((format(printf, 3, 4))) static int ref_error(cell_error_t *err, const char *s, const char *fmt,
                                                           ...)
{
        char why[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        return cell_error_set(err, EINVAL, "invalid reference \"%.200s%s\": %s", s,
                              strlen(s) > 200 ? "…" : "", why);
}

/* One path component: [a-z0-9]+ ((.|_|__|-+)[a-z0-9]+)* */
static const char *component_error(const char *c, size_t n)
{
        size_t i = 0;

        if (n == 0)
                return "empty path component";
        if (has_upper(c, n))
                return "repository name must be lowercase";
        while (i < n) {
                size_t start = i;

                while (i < n && is_lower_alnum(c[i]))
                        i++;
                if (i == start)
                        return i == 0 ? "path component must start with a letter or digit"
                                      : "path component has a misplaced separator";
                if (i == n)
                        return NULL;
                /* a separator */
                if (c[i] == '.') {
                        i++;
                } else if (c[i] == '_') {
                        i++;
                        if (i < n && c[i] == '_')
                                i++;
                } else if (c[i] == '-') {
                        while (i < n && c[i] == '-')
                                i++;
                } else {
                        return "path component has a character other than a-z, 0-9, '.', '_' or '-'";
                }
                if (i == n)
                        return "path component must end with a letter or digit";
        }
        return NULL;
}

static const char *path_error(const char *p, size_t n)
{
        size_t start = 0;

        if (n == 0)
                return "repository name must have at least one component";
        for (size_t i = 0; i <= n; i++) {
                if (i == n || p[i] == '/') {
                        const char *e = component_error(p + start, i - start);

                        if (e)
                                return e;
                        start = i + 1;
                }
        }
        return NULL;
}

/* host [":" port]; host is dns-name (components of [A-Za-z0-9-], not starting
 * or ending with '-', joined by '.'), or "[" IPv6 "]". */
static const char *domain_error(const char *d, size_t n)
{
        size_t hostlen = n, i;
        const char *colon = NULL;

        if (n == 0)
                return "empty domain";
        if (d[0] == '[') {
                const char *close = memchr(d, ']', n);

                if (!close || close == d + 1)
                        return "malformed IPv6 address in domain";
                for (const char *q = d + 1; q < close; q++)
                        if (!is_hex(*q) && *q != ':' && *q != '.')
                                return "malformed IPv6 address in domain";
                hostlen = (size_t)(close - d) + 1;
                if (hostlen < n && d[hostlen] != ':')
                        return "malformed domain after IPv6 address";
                if (hostlen < n)
                        colon = d + hostlen;
        } else {
                colon = memchr(d, ':', n);
                if (colon)
                        hostlen = (size_t)(colon - d);
                if (hostlen == 0)
                        return "empty host in domain";
                i = 0;
                while (i < hostlen) {
                        size_t start = i;

                        while (i < hostlen && (is_alnum(d[i]) || d[i] == '-'))
                                i++;
                        if (i == start)
                                return "empty or malformed domain component";
                        if (d[start] == '-' || d[i - 1] == '-')
                                return "domain component must not start or end with '-'";
                        if (i < hostlen) {
                                if (d[i] != '.')
                                        return "domain has a character other than letters, digits, '-' and "
                                               "'.'";
                                i++;
                                if (i == hostlen)
                                        return "domain must not end with '.'";
                        }
                }
        }
        if (colon) {
                size_t plen = n - (size_t)(colon - d) - 1;

                if (plen == 0)
                        return "empty port in domain";
                for (i = 0; i < plen; i++)
                        if (!is_digit(colon[1 + i]))
                                return "port must be a number";
        }
        return NULL;
}

static const char *tag_error(const char *t)
{
        size_t n = strlen(t);

        if (n == 0)
                return "empty tag";
        if (n > TAG_MAX)
                return "tag longer than 128 characters";
        if (!is_alnum(t[0]) && t[0] != '_')
                return "tag must start with a letter, digit or '_'";
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(t[i]) && !strchr("_.-", t[i]))
                        return "tag may only contain letters, digits, '_', '.' and '-'";
        return NULL;
}

/* Docker's rule for "is the first component a domain?" */
static bool is_domain(const char *first, size_t n)
{
        return memchr(first, '.', n) || memchr(first, ':', n) ||
               (n == 9 && !strncmp(first, "localhost", 9)) || has_upper(first, n);
}

void image_ref_free(image_ref_t *r)
{
        if (!r)
                return;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
}

int image_ref_parse(const char *s, image_ref_t **ret, cell_error_t *err)
{
        _cleanup_image_ref_ image_ref_t *r = NULL;
        _cleanup_free_ char *buf = NULL;
        char *name, *at, *slash, *colon, *rest;
        const char *why;
        size_t len;

        if (!s || !*s)
                return cell_error_set(err, EINVAL, "invalid reference: empty");
        len = strlen(s);
        /* Docker refuses a bare 64-hex string: it is an image id, and taking
         * it for docker.io/library/<hex> would surprise. */
        if (len == IMAGE_DIGEST_HEX_LEN && is_image_id(s))
                return ref_error(err, s, "a 64-character hexadecimal string is an image id, not a name");
        buf = strdup(s);
        r = calloc(1, sizeof(*r));
        if (!buf || !r)
                return cell_error_set(err, ENOMEM, "parse reference");
        name = buf;

        at = strchr(name, '@');
        if (at) {
                cell_error_t derr = {0};

                *at = '\0';
                if (image_digest_parse(at + 1, NULL, &derr) < 0)
                        return ref_error(err, s, "%s", derr.msg);
                r->digest = strdup(at + 1);
                if (!r->digest)
                        return cell_error_set(err, ENOMEM, "parse reference");
        }
        /* The tag is after the last ':' that follows the last '/' (a ':'
         * before a '/' is a port). */
        slash = strrchr(name, '/');
        colon = strrchr(slash ? slash : name, ':');
        if (colon) {
                *colon = '\0';
                why = tag_error(colon + 1);
                if (why)
                        return ref_error(err, s, "%s", why);
                r->tag = strdup(colon + 1);
                if (!r->tag)
                        return cell_error_set(err, ENOMEM, "parse reference");
        }
        if (!*name)
                return ref_error(err, s, "repository name must have at least one component");

        slash = strchr(name, '/');
        rest = name;
        if (slash && is_domain(name, (size_t)(slash - name))) {
                why = domain_error(name, (size_t)(slash - name));
                if (why)
                        return ref_error(err, s, "%s", why);
                *slash = '\0';
                r->domain = strdup(str_eq(name, "index.docker.io") ? IMAGE_REF_DEFAULT_DOMAIN : name);
                rest = slash + 1;
        } else {
                r->domain = strdup(IMAGE_REF_DEFAULT_DOMAIN);
        }
        if (!r->domain)
                return cell_error_set(err, ENOMEM, "parse reference");
        why = path_error(rest, strlen(rest));
        if (why)
                return ref_error(err, s, "%s", why);
        if (str_eq(r->domain, IMAGE_REF_DEFAULT_DOMAIN) && !strchr(rest, '/'))
                r->path = str_printf("library/%s", rest);
        else
                r->path = strdup(rest);
        if (!r->path)
                return cell_error_set(err, ENOMEM, "parse reference");
        if (strlen(r->domain) + 1 + strlen(r->path) > IMAGE_REF_NAME_MAX)
                return ref_error(err, s, "repository name longer than %d characters", IMAGE_REF_NAME_MAX);
        if (!r->tag && !r->digest) {
                r->tag = strdup(IMAGE_REF_DEFAULT_TAG);
                if (!r->tag)
                        return cell_error_set(err, ENOMEM, "parse reference");
        }
        *ret = steal_pointer(&r);
        return 0;
}

static char *with_suffixes(const char *name, const image_ref_t *r)
{
        if (!name)
                return NULL;
        return str_printf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "",
                          r->digest ? r->digest : "");
}

char *image_ref_name(const image_ref_t *r)
{
        return str_printf("%s/%s", r->domain, r->path);
}

char *image_ref_string(const image_ref_t *r)
{
        _cleanup_free_ char *name = image_ref_name(r);

        return with_suffixes(name, r);
}

char *image_ref_familiar(const image_ref_t *r)
{
        const char *p = r->path;

        if (!str_eq(r->domain, IMAGE_REF_DEFAULT_DOMAIN)) {
                _cleanup_free_ char *name = image_ref_name(r);

                return with_suffixes(name, r);
        }
        /* Official images: library/NAME, never library/A/B. */
        if (str_has_prefix(p, "library/") && strchr(p, '/') == strrchr(p, '/'))
                p += strlen("library/");
        /* docker.io/foo.com/app shortened to foo.com/app would read back
         * with foo.com as its domain (Docker shows it so all the same): keep
         * the domain there, so the short form always means what it shows. */
        {
                const char *slash = strchr(p, '/');

                if (slash && is_domain(p, (size_t)(slash - p))) {
                        _cleanup_free_ char *name = image_ref_name(r);

                        return with_suffixes(name, r);
                }
        }
        return with_suffixes(p, r);
}

int image_ref_normalize(const char *s, char **ret, cell_error_t *err)
{
        _cleanup_image_ref_ image_ref_t *r = NULL;
        int q;

        q = image_ref_parse(s, &r, err);
        if (q < 0)
                return q;
        *ret = image_ref_string(r);
        if (!*ret)
                return cell_error_set(err, ENOMEM, "parse reference");
        return 0;
}
