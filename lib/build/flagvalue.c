/* cell: the values of instruction flags: RUN --mount and the Go durations
 * of HEALTHCHECK (see dockerfile.h, flagvalue.h). Messages say what is wrong
 * with the value; the parser adds the place ("Dockerfile:7: "). */
#include "flagvalue.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "sbuf.h"
#include "strutil.h"

void dockerfile_mount_clear(dockerfile_mount_t *m)
{
        free(m->target);
        free(m->source);
        free(m->from);
        free(m->id);
        free(m->mode);
        free(m->env);
        free(m->size);
        *m = (dockerfile_mount_t){0};
}

/* The fields of a --mount value: comma separated, a field may be quoted
 * CSV-style ("a,b" with "" for a quote). */
static int mount_fields(const char *s, char ***ret)
{
        strvec_t v = {0};
        sbuf_t w = {0};

        for (;;) {
                if (*s == '"') {
                        for (s++; *s; s++) {
                                if (*s == '"' && s[1] == '"') {
                                        sbuf_addc(&w, '"');
                                        s++;
                                } else if (*s == '"') {
                                        s++;
                                        break;
                                } else {
                                        sbuf_addc(&w, *s);
                                }
                        }
                }
                while (*s && *s != ',')
                        sbuf_addc(&w, *s++);
                if (strvec_push_owned(&v, sbuf_steal(&w)) < 0) {
                        strvec_free(&v);
                        return -ENOMEM;
                }
                if (*s != ',')
                        break;
                s++;
        }
        *ret = strvec_steal(&v);
        return *ret ? 0 : -ENOMEM;
}

static int parse_bool_value(const char *v, bool *ret)
{
        if (!v || strcasecmp(v, "true") == 0 || str_eq(v, "1")) {
                *ret = true;
                return 0;
        }
        if (strcasecmp(v, "false") == 0 || str_eq(v, "0")) {
                *ret = false;
                return 0;
        }
        return -EINVAL;
}

static int mount_set(cell_error_t *err, char **field, const char *value, const char *key)
{
        if (!value || !*value)
                return cell_error_plain(err, EINVAL, "--mount: %s needs a value", key);
        free(*field);
        if (!(*field = strdup(value)))
                return cell_error_set(err, ENOMEM, "--mount");
        return 0;
}

static int mount_field(cell_error_t *err, dockerfile_mount_t *m, const char *field)
{
        _cleanup_free_ char *key = NULL;
        const char *eq = strchr(field, '='), *val = eq ? eq + 1 : NULL;
        bool b = false;
        long n;

        key = strndup(field, eq ? (size_t)(eq - field) : strlen(field));
        if (!key)
                return cell_error_set(err, ENOMEM, "--mount");
        for (char *k = key; *k; k++)
                *k = (char)tolower((unsigned char)*k);
        if (str_eq(key, "type"))
                return 0; /* taken first, by the caller */
        if (str_eq(key, "target") || str_eq(key, "dst") || str_eq(key, "destination"))
                return mount_set(err, &m->target, val, key);
        if (str_eq(key, "source") || str_eq(key, "src"))
                return mount_set(err, &m->source, val, key);
        if (str_eq(key, "from"))
                return mount_set(err, &m->from, val, key);
        if (str_eq(key, "id"))
                return mount_set(err, &m->id, val, key);
        if (str_eq(key, "mode"))
                return mount_set(err, &m->mode, val, key);
        if (str_eq(key, "env"))
                return mount_set(err, &m->env, val, key);
        if (str_eq(key, "size"))
                return mount_set(err, &m->size, val, key);
        if (str_eq(key, "uid") || str_eq(key, "gid")) {
                if (!val || str_to_long(val, 0, INT_MAX, &n) < 0)
                        return cell_error_plain(err, EINVAL, "--mount: invalid %s: %s", key, val ? val : "");
                *(str_eq(key, "uid") ? &m->uid : &m->gid) = n;
                return 0;
        }
        if (str_eq(key, "sharing")) {
                if (str_eq(val, "shared"))
                        m->sharing = DOCKERFILE_SHARING_SHARED;
                else if (str_eq(val, "private"))
                        m->sharing = DOCKERFILE_SHARING_PRIVATE;
                else if (str_eq(val, "locked"))
                        m->sharing = DOCKERFILE_SHARING_LOCKED;
                else
                        return cell_error_plain(err, EINVAL, "--mount: unsupported sharing value \"%s\"",
                                                val ? val : "");
                return 0;
        }
        if (str_eq(key, "required") || str_eq(key, "readonly") || str_eq(key, "ro") || str_eq(key, "rw") ||
            str_eq(key, "readwrite")) {
                if (parse_bool_value(val, &b) < 0)
                        return cell_error_plain(err, EINVAL, "--mount: invalid value for %s: %s", key, val);
                if (str_eq(key, "required")) {
                        m->required = b;
                } else {
                        m->readonly = (str_eq(key, "rw") || str_eq(key, "readwrite")) ? !b : b;
                }
                return 0;
        }
        return cell_error_plain(err, EINVAL, "--mount: unexpected key '%s' in '%s'", key, field);
}

int dockerfile_parse_mount(const char *value, dockerfile_mount_t *m, cell_error_t *err)
{
        _cleanup_strv_ char **fields = NULL;
        int r;

        *m = (dockerfile_mount_t){.type = DOCKERFILE_MOUNT_BIND, .uid = -1, .gid = -1};
        if (mount_fields(value, &fields) < 0)
                return cell_error_set(err, ENOMEM, "--mount");
        for (char **f = fields; *f; f++) {
                const char *t;

                if (strncasecmp(*f, "type=", 5) != 0)
                        continue;
                t = *f + 5;
                if (str_eq(t, "bind"))
                        m->type = DOCKERFILE_MOUNT_BIND;
                else if (str_eq(t, "cache"))
                        m->type = DOCKERFILE_MOUNT_CACHE;
                else if (str_eq(t, "tmpfs"))
                        m->type = DOCKERFILE_MOUNT_TMPFS;
                else if (str_eq(t, "secret"))
                        m->type = DOCKERFILE_MOUNT_SECRET;
                else if (str_eq(t, "ssh"))
                        m->type = DOCKERFILE_MOUNT_SSH;
                else
                        return cell_error_plain(err, EINVAL, "--mount: unsupported mount type \"%s\"", t);
        }
        /* A bind mount of the context or a stage is read-only unless rw. */
        m->readonly = m->type == DOCKERFILE_MOUNT_BIND;
        for (char **f = fields; *f; f++) {
                if (**f == '\0')
                        continue;
                r = mount_field(err, m, *f);
                if (r < 0)
                        return r;
        }
        switch (m->type) {
        case DOCKERFILE_MOUNT_SECRET:
                /* Docker's defaults: id from the target's base name, target
                 * /run/secrets/<id>. */
                if (!m->id && m->target) {
                        const char *base = strrchr(m->target, '/');

                        if (!(m->id = strdup(base ? base + 1 : m->target)))
                                return cell_error_set(err, ENOMEM, "--mount");
                }
                if (!m->id || !*m->id)
                        return cell_error_plain(err, EINVAL,
                                                "--mount: a secret mount needs an id or a target");
                if (!m->target && !m->env && !(m->target = str_printf("/run/secrets/%s", m->id)))
                        return cell_error_set(err, ENOMEM, "--mount");
                break;
        case DOCKERFILE_MOUNT_SSH:
                if (!m->id && !(m->id = strdup("default")))
                        return cell_error_set(err, ENOMEM, "--mount");
                break;
        case DOCKERFILE_MOUNT_CACHE:
                if (!m->target)
                        return cell_error_plain(err, EINVAL, "--mount: a cache mount needs a target");
                if (!m->id && !(m->id = strdup(m->target)))
                        return cell_error_set(err, ENOMEM, "--mount");
                break;
        case DOCKERFILE_MOUNT_BIND:
        case DOCKERFILE_MOUNT_TMPFS:
        default:
                if (!m->target)
                        return cell_error_plain(err, EINVAL, "--mount: a %s mount needs a target",
                                                m->type == DOCKERFILE_MOUNT_BIND ? "bind" : "tmpfs");
                break;
        }
        return 0;
}

int dockerfile_parse_duration(const char *s, int64_t *ret_ns)
{
        static const struct {
                const char *unit;
                int64_t ns;
        } units[] = {
                {"ns", 1},       {"us", 1000},        {"\xc2\xb5s", 1000},      {"\xce\xbcs", 1000},
                {"ms", 1000000}, {"s", 1000000000LL}, {"m", 60 * 1000000000LL}, {"h", 3600 * 1000000000LL},
        };
        bool neg = false;
        int64_t total = 0;

        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (str_eq(s, "0")) {
                *ret_ns = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                int64_t whole = 0, frac = 0, scale = 1, unit = 0, v;
                bool digits = false;
                size_t ulen = 0;

                for (; *s >= '0' && *s <= '9'; s++, digits = true) {
                        if (whole > (INT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (*s - '0');
                }
                if (*s == '.') {
                        for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
                                if (scale > INT64_MAX / 10)
                                        continue; /* digits past nanoseconds change nothing */
                                frac = frac * 10 + (*s - '0');
                                scale *= 10;
                        }
                }
                if (!digits)
                        return -EINVAL;
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        size_t l = strlen(units[i].unit);

                        /* The longest unit that fits: "ms" before "m". */
                        if (strncmp(s, units[i].unit, l) == 0 && l > ulen) {
                                ulen = l;
                                unit = units[i].ns;
                        }
                }
                if (!unit)
                        return -EINVAL;
                s += ulen;
                if (whole > INT64_MAX / unit)
                        return -ERANGE;
                v = whole * unit + (int64_t)((long double)frac * (long double)unit / (long double)scale);
                if (v < 0 || total > INT64_MAX - v)
                        return -ERANGE;
                total += v;
        }
        *ret_ns = neg ? -total : total;
        return 0;
}
