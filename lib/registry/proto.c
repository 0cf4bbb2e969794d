/* cell: Distribution protocol text — challenges, tokens, error bodies,
 * base64 and credential files. See proto.h. */
#include "proto.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

void registry_challenge_clear(registry_challenge_t *c)
{
        if (!c)
                return;
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        *c = (registry_challenge_t){0};
}

static bool is_tchar(char ch)
{
        return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static const char *skip_ws(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* A token or a quoted string at *pp; newly allocated, or NULL when there is
 * neither (or out of memory: the caller reports both as malformed). */
static char *parse_value(const char **pp)
{
        const char *p = *pp;
        char *out;
        size_t n = 0;

        if (*p == '"') {
                out = malloc(strlen(p) + 1);
                if (!out)
                        return NULL;
                for (p++; *p && *p != '"'; p++) {
                        if (*p == '\\' && p[1])
                                p++;
                        out[n++] = *p;
                }
                if (*p != '"') {
                        free(out);
                        return NULL;
                }
                out[n] = '\0';
                *pp = p + 1;
                return out;
        }
        /* token68 allows '/' and '=' too; realm URLs are quoted by every
         * registry seen, but accept them bare. */
        while (p[n] && (is_tchar(p[n]) || p[n] == '/' || p[n] == '=' || p[n] == ':'))
                n++;
        if (n == 0)
                return NULL;
        out = strndup(p, n);
        *pp = p + n;
        return out;
}

static char *lower_dup(const char *s, size_t n)
{
        char *out = strndup(s, n);

        for (size_t i = 0; out && out[i]; i++)
                out[i] = (char)tolower((unsigned char)out[i]);
        return out;
}

int registry_challenge_parse(const char *header, registry_challenge_t *ret, cell_error_t *err)
{
        const char *p = header ? skip_ws(header) : "";
        registry_challenge_t c = {0};
        size_t n = 0;

        while (is_tchar(p[n]))
                n++;
        if (n == 0)
                return cell_error_plain(err, EINVAL, "WWW-Authenticate \"%.200s\": no scheme",
                                        header ? header : "");
        c.scheme = lower_dup(p, n);
        if (!c.scheme)
                return cell_error_set(err, ENOMEM, "WWW-Authenticate");
        p = skip_ws(p + n);
        while (*p) {
                _cleanup_free_ char *name = NULL, *value = NULL;
                char **slot = NULL;

                for (n = 0; is_tchar(p[n]); n++)
                        ;
                if (n == 0)
                        goto bad;
                name = lower_dup(p, n);
                p = skip_ws(p + n);
                if (*p != '=') {
                        /* The name of a next challenge ("Basic realm=..., Bearer ..."):
                         * the first one is what we answer. */
                        break;
                }
                p = skip_ws(p + 1);
                value = parse_value(&p);
                if (!name || !value)
                        goto bad;
                if (str_eq(name, "realm"))
                        slot = &c.realm;
                else if (str_eq(name, "service"))
                        slot = &c.service;
                else if (str_eq(name, "scope"))
                        slot = &c.scope;
                else if (str_eq(name, "error"))
                        slot = &c.error;
                if (slot) {
                        free(*slot);
                        *slot = steal_pointer(&value);
                }
                p = skip_ws(p);
                if (*p == ',')
                        p = skip_ws(p + 1);
                else if (*p)
                        goto bad;
        }
        if (str_eq(c.scheme, "bearer")) {
                if (!c.realm) {
                        registry_challenge_clear(&c);
                        return cell_error_plain(
                                err, EINVAL, "WWW-Authenticate \"%.200s\": Bearer without a realm", header);
                }
                if (!str_has_prefix(c.realm, "https://") && !str_has_prefix(c.realm, "http://")) {
                        registry_challenge_clear(&c);
                        return cell_error_plain(
                                err, EINVAL, "WWW-Authenticate \"%.200s\": the realm is not an http(s) URL",
                                header);
                }
        }
        *ret = c;
        return 0;
bad:
        registry_challenge_clear(&c);
        return cell_error_plain(err, EINVAL, "WWW-Authenticate \"%.200s\": malformed near \"%.40s\"", header,
                                p);
}

char *registry_token_parse(const char *data, size_t len, cell_error_t *err)
{
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
        const char *tok = NULL;
        char *out;

        if (root && json_is_object(root)) {
                tok = json_string_value(json_object_get(root, "token"));
                if (!tok || !*tok)
                        tok = json_string_value(json_object_get(root, "access_token"));
        }
        if (!tok || !*tok) {
                json_decref(root);
                cell_error_plain(err, EINVAL, "the token server's answer has no token");
                return NULL;
        }
        out = strdup(tok);
        json_decref(root);
        if (!out)
                cell_error_set(err, ENOMEM, "token");
        return out;
}

char *registry_error_body_string(const char *data, size_t len)
{
        json_t *root = json_loadb(data, len, 0, NULL);
        json_t *errors = root ? json_object_get(root, "errors") : NULL;
        char *out = NULL;
        size_t i;
        json_t *e;

        if (!json_is_array(errors) || json_array_size(errors) == 0) {
                json_decref(root);
                return NULL;
        }
        json_array_foreach(errors, i, e)
        {
                const char *code = json_string_value(json_object_get(e, "code"));
                const char *msg = json_string_value(json_object_get(e, "message"));
                char *next;

                if (i >= 4)
                        break;
                next = str_printf("%s%s%s%s%s", out ? out : "", out ? "; " : "", code ? code : "error",
                                  msg ? ": " : "", msg ? msg : "");
                free(out);
                out = next;
                if (!out)
                        break;
        }
        json_decref(root);
        return out;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *registry_base64_encode(const void *data, size_t len)
{
        const unsigned char *in = data;
        char *out = malloc((len + 2) / 3 * 4 + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 3) {
                unsigned v = (unsigned)in[i] << 16;

                if (i + 1 < len)
                        v |= (unsigned)in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                out[o++] = b64[(v >> 18) & 63];
                out[o++] = b64[(v >> 12) & 63];
                out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
                out[o++] = i + 2 < len ? b64[v & 63] : '=';
        }
        out[o] = '\0';
        return out;
}

char *registry_base64_decode(const char *s, size_t *ret_len)
{
        size_t len = strlen(s), o = 0;
        char *out;

        if (len % 4 != 0)
                return NULL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 4) {
                unsigned v = 0;
                int pad = 0;

                for (size_t j = 0; j < 4; j++) {
                        const char *c = s[i + j] ? strchr(b64, s[i + j]) : NULL;

                        if (s[i + j] == '=' && i + 4 == len && j >= 2) {
                                pad++;
                                v <<= 6;
                                continue;
                        }
                        if (!c || pad) {
                                free(out);
                                return NULL;
                        }
                        v = (v << 6) | (unsigned)(c - b64);
                }
                out[o++] = (char)((v >> 16) & 0xff);
                if (pad < 2)
                        out[o++] = (char)((v >> 8) & 0xff);
                if (pad < 1)
                        out[o++] = (char)(v & 0xff);
        }
        out[o] = '\0';
        if (ret_len)
                *ret_len = o;
        return out;
}

static bool is_hub(const char *k)
{
        return str_eq(k, "docker.io") || str_eq(k, "index.docker.io") || str_eq(k, "registry-1.docker.io");
}

char *registry_server_key(const char *server)
{
        const char *p = server;
        size_t n;
        char *out;

        if (str_has_prefix(p, "https://"))
                p += 8;
        else if (str_has_prefix(p, "http://"))
                p += 7;
        n = strcspn(p, "/");
        if (n == 0)
                return NULL;
        out = lower_dup(p, n);
        if (out && is_hub(out)) {
                free(out);
                out = strdup("docker.io");
        }
        return out;
}

static bool key_matches(const char *key, const char *host)
{
        _cleanup_free_ char *k = registry_server_key(key);
        _cleanup_free_ char *h = registry_server_key(host);

        return k && h && str_eq(k, h);
}

int registry_auth_parse(const char *data, size_t len, const char *host, char **ret_user, char **ret_pass,
                        cell_error_t *err)
{
        json_t *root = json_loadb(data, len, 0, NULL);
        json_t *auths, *entry = NULL, *v;
        const char *key, *b;
        _cleanup_free_ char *dec = NULL;
        char *colon;
        size_t dlen = 0;
        int r = -ENOENT;

        if (!root || !json_is_object(root)) {
                json_decref(root);
                return cell_error_plain(err, EINVAL, "not a JSON object");
        }
        auths = json_object_get(root, "auths");
        if (auths && !json_is_object(auths)) {
                json_decref(root);
                return cell_error_plain(err, EINVAL, "auths: expected an object");
        }
        json_object_foreach(auths, key, v)
        {
                if (key_matches(key, host)) {
                        entry = v;
                        break;
                }
        }
        if (!entry) {
                json_decref(root);
                return cell_error_plain(err, ENOENT, "no credentials for %s", host);
        }
        b = json_string_value(json_object_get(entry, "auth"));
        if (!json_is_object(entry) || !b) {
                r = cell_error_plain(err, EINVAL, "auths.%s.auth: expected a string", key);
                goto out;
        }
        dec = registry_base64_decode(b, &dlen);
        colon = dec ? strchr(dec, ':') : NULL;
        if (!dec || !colon || strlen(dec) != dlen || colon == dec) {
                r = cell_error_plain(err, EINVAL, "auths.%s.auth: expected base64 of \"user:password\"", key);
                goto out;
        }
        *colon = '\0';
        *ret_user = strdup(dec);
        *ret_pass = strdup(colon + 1);
        if (!*ret_user || !*ret_pass) {
                free(*ret_user);
                free(*ret_pass);
                *ret_user = *ret_pass = NULL;
                r = cell_error_set(err, ENOMEM, "credentials");
                goto out;
        }
        r = 0;
out:
        if (dec)
                explicit_bzero(dec, dlen);
        json_decref(root);
        return r;
}

char *registry_auth_update(const char *data, size_t len, const char *host, const char *user, const char *pass,
                           bool *ret_found, cell_error_t *err)
{
        json_t *root = NULL, *auths;
        _cleanup_free_ char *key = registry_server_key(host);
        const char *k;
        json_t *v;
        void *tmp;
        bool found = false;
        char *out = NULL;

        if (!key) {
                cell_error_plain(err, EINVAL, "invalid server \"%s\"", host);
                return NULL;
        }
        root = (data && len) ? json_loadb(data, len, 0, NULL) : json_object();
        if (!root || !json_is_object(root)) {
                cell_error_plain(err, EINVAL, "not a JSON object");
                goto out;
        }
        auths = json_object_get(root, "auths");
        if (!auths) {
                auths = json_object();
                if (!auths || json_object_set_new(root, "auths", auths) < 0)
                        goto nomem;
        }
        if (!json_is_object(auths)) {
                cell_error_plain(err, EINVAL, "auths: expected an object");
                goto out;
        }
        /* Every spelling of the host goes: one server, one entry. */
        json_object_foreach_safe(auths, tmp, k, v)
        {
                if (key_matches(k, key)) {
                        found = true;
                        json_object_del(auths, k);
                }
        }
        if (user) {
                _cleanup_free_ char *plain = str_printf("%s:%s", user, pass ? pass : "");
                _cleanup_free_ char *enc = plain ? registry_base64_encode(plain, strlen(plain)) : NULL;

                if (plain)
                        explicit_bzero(plain, strlen(plain));
                if (!enc || json_object_set_new(auths, key, json_pack("{s:s}", "auth", enc)) < 0)
                        goto nomem;
        }
        {
                char *dumped = json_dumps(root, JSON_INDENT(8) | JSON_SORT_KEYS);

                out = dumped ? str_printf("%s\n", dumped) : NULL;
                if (dumped)
                        explicit_bzero(dumped, strlen(dumped));
                free(dumped);
        }
        if (!out)
                goto nomem;
        if (ret_found)
                *ret_found = found;
        goto out;
nomem:
        cell_error_set(err, ENOMEM, "credentials");
out:
        json_decref(root);
        return out;
}

char **registry_auth_files(void)
{
        const char *auth = getenv("CELL_AUTH_FILE");
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        char **v = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (xdg && *xdg)
                a = str_printf("%s/containers/auth.json", xdg);
        if (home && *home)
                b = str_printf("%s/.docker/config.json", home);
        if ((auth && *auth && strv_push(&v, auth) < 0) || (a && strv_push(&v, a) < 0) ||
            (b && strv_push(&v, b) < 0)) {
                strv_free(v);
                return NULL;
        }
        if (!v)
                v = calloc(1, sizeof(*v));
        return v;
}

char *registry_auth_write_path(void)
{
        const char *auth = getenv("CELL_AUTH_FILE");
        const char *home = getenv("HOME");

        if (auth && *auth)
                return strdup(auth);
        return str_printf("%s/.docker/config.json", home && *home ? home : "/root");
}

int registry_auth_lookup(const char *host, char **ret_user, char **ret_pass, cell_error_t *err)
{
        _cleanup_strv_ char **files = registry_auth_files();

        if (!files)
                return cell_error_set(err, ENOMEM, "credentials");
        for (size_t i = 0; files[i]; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                int r;

                if (fs_read_file(files[i], 1 << 20, &data, &len, NULL) < 0)
                        continue;
                r = registry_auth_parse(data, len, host, ret_user, ret_pass, err);
                if (data)
                        explicit_bzero(data, len);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return cell_error_prefix(err, "%s", files[i]);
                return 0;
        }
        return -ENOENT;
}

int registry_name_list_parse(const char *body, size_t len, const char *key, const char *what, char ***ret,
                             cell_error_t *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(body, len, 0, &jerr);
        json_t *arr, *v;
        _cleanup_strv_ char **out = NULL;
        size_t i;
        int k = 0;

        if (!root || !json_is_object(root)) {
                json_decref(root);
                return cell_error_plain(err, EPROTO, "%s: not a JSON object", what);
        }
        out = calloc(1, sizeof(char *));
        if (!out) {
                json_decref(root);
                return cell_error_set(err, ENOMEM, "%s", what);
        }
        arr = json_object_get(root, key);
        if (arr && !json_is_null(arr) && !json_is_array(arr))
                k = cell_error_plain(err, EPROTO, "%s: \"%s\" is not an array", what, key);
        json_array_foreach(arr, i, v)
        {
                if (k < 0)
                        break;
                if (!json_is_string(v) || !*json_string_value(v))
                        k = cell_error_plain(err, EPROTO, "%s: \"%s\"[%zu] is not a name", what, key, i);
                else if (strv_push(&out, json_string_value(v)) < 0)
                        k = cell_error_set(err, ENOMEM, "%s", what);
        }
        json_decref(root);
        if (k < 0)
                return k;
        *ret = steal_pointer(&out);
        return 0;
}
