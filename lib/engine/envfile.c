/* cell: --env-file and -e (see envfile.h). */
#include "envfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

/* An env file is the user's own, on the host; the cap only keeps a wrong
 * path (a disk image, /dev/zero) from eating memory. */
#define ENV_FILE_MAX (16u << 20)

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Go's unicode.IsSpace over ASCII, which is what leads a line. */
static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                size_t len;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        len = 2;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        len = 3;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        len = 4;
                        cp = c & 0x07;
                } else {
                        return false;
                }
                if (i + len > n)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                        return false;
                i += len;
        }
        return true;
}

/* One line (without its newline, a trailing '\r' already dropped). */
static int env_line(const char *path, unsigned lineno, char *line, size_t len, char ***env, cell_error_t *err)
{
        char *eq, *name_end;
        const char *value;

        if (memchr(line, '\0', len))
                return cell_error_plain(err, EINVAL, "%s:%u: contains a NUL byte", path, lineno);
        if (!utf8_valid((const unsigned char *)line, len))
                return cell_error_plain(err, EINVAL, "%s:%u: invalid UTF-8", path, lineno);
        while (is_space(*line))
                line++;
        if (*line == '\0' || *line == '#')
                return 0;
        eq = strchr(line, '=');
        name_end = eq ? eq : line + strlen(line);
        for (const char *c = line; c < name_end; c++) {
                if (is_blank(*c))
                        return cell_error_plain(err, EINVAL, "%s:%u: variable '%.*s' contains whitespaces",
                                                path, lineno, (int)(name_end - line), line);
        }
        if (name_end == line)
                return cell_error_plain(err, EINVAL, "%s:%u: no variable name on line '%s'", path, lineno,
                                        line);
        if (eq) {
                /* The value passes through as it is: quotes and all. */
                if (strv_push(env, line) < 0)
                        return cell_error_set(err, ENOMEM, "%s:%u", path, lineno);
                return 0;
        }
        value = getenv(line);
        if (value) {
                _cleanup_free_ char *kv = str_printf("%s=%s", line, value);

                if (!kv || strv_push(env, kv) < 0)
                        return cell_error_set(err, ENOMEM, "%s:%u", path, lineno);
        }
        return 0;
}

int engine_env_file_read(const char *path, char ***ret, cell_error_t *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_strv_ char **env = NULL;
        size_t len = 0;
        char *p, *end;
        unsigned lineno = 0;
        int r;

        r = fs_read_file(path, ENV_FILE_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        env = calloc(1, sizeof(*env));
        if (!env)
                return cell_error_set(err, ENOMEM, "%s", path);
        p = buf;
        end = buf + len;
        if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3;
        while (p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                char *le = nl ? nl : end;

                lineno++;
                if (le > p && le[-1] == '\r')
                        le--;
                *le = '\0';
                r = env_line(path, lineno, p, (size_t)(le - p), &env, err);
                if (r < 0)
                        return r;
                p = nl ? nl + 1 : end;
        }
        strv_free(*ret);
        *ret = steal_pointer(&env);
        return 0;
}

int engine_env_merge(char ***env, const char *kv_or_key, cell_error_t *err)
{
        const char *eq = strchr(kv_or_key, '='), *value;
        _cleanup_free_ char *kv = NULL;

        if (kv_or_key[0] == '\0' || eq == kv_or_key)
                return cell_error_plain(err, EINVAL, "invalid environment variable: %s", kv_or_key);
        if (eq) {
                if (strv_set_env(env, kv_or_key) < 0)
                        return cell_error_set(err, ENOMEM, "-e %s", kv_or_key);
                return 0;
        }
        value = getenv(kv_or_key);
        if (!value)
                return 0;
        kv = str_printf("%s=%s", kv_or_key, value);
        if (!kv || strv_set_env(env, kv) < 0)
                return cell_error_set(err, ENOMEM, "-e %s", kv_or_key);
        return 0;
}
