/* cell: the registry HTTP client over libcurl. See client.h. */
#include "client.h"
#include "regconf.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "curl_load.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "strutil.h"

#define ERROR_BODY_MAX   (64 * 1024)
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct registry {
        char *domain; /* as the reference names it */
        char *base;   /* "https://registry-1.docker.io", "http://127.0.0.1:5000" */
        char *user, *pass;
        char *token;     /* the last bearer token given */
        bool basic;      /* the registry asked for Basic credentials */
        char *ca_bundle; /* the system CAs and the registry's own, when it has one */
        size_t ca_len;
};

typedef struct xfer {
        registry_t *r;
        const registry_request_t *req;
        registry_response_t *resp;
        CURL *h;
        struct curl_slist *hdrs;
        char *url;
        uint64_t off; /* of the request body */
        bool write_failed;
        bool retried;
        char errbuf[CURL_ERROR_SIZE];
} xfer_t;

const char *registry_domain(const registry_t *r)
{
        return r->domain;
}

bool registry_has_credentials(const registry_t *r)
{
        return r->user != NULL;
}

void registry_response_clear(registry_response_t *resp)
{
        if (!resp)
                return;
        free(resp->content_type);
        free(resp->digest);
        free(resp->location);
        free(resp->challenge);
        free(resp->body);
        *resp = (registry_response_t){.length = -1};
}

/* Plain HTTP only where nothing on the way can read or change the
 * traffic (loopback), or where the user said so. */
static bool domain_insecure(const char *domain)
{
        const char *list = getenv("CELL_INSECURE_REGISTRIES");
        size_t hn = strcspn(domain, ":");

        if (str_has_prefix(domain, "[::1]") || (hn == 9 && strncmp(domain, "localhost", 9) == 0) ||
            (hn >= 4 && strncmp(domain, "127.", 4) == 0))
                return true;
        while (list && *list) {
                size_t n = strcspn(list, ",");

                if (n == strlen(domain) && strncmp(list, domain, n) == 0)
                        return true;
                list += n;
                if (*list == ',')
                        list++;
        }
        return false;
}

/* The system's CAs plus certs.d/DOMAIN/ca.crt from /etc/cell and
 * $CELL_CONFIG_DIR, as docker's /etc/docker/certs.d: a private CA is added
 * to the ones trusted, not put in their place. */
static int load_ca(registry_t *r, cell_error_t *err)
{
        const char *cfg = getenv("CELL_CONFIG_DIR");
        const char *dirs[] = {"/etc/cell", cfg && *cfg ? cfg : NULL};
        _cleanup_free_ char *bundle = NULL;
        size_t len = 0;
        bool extra = false;

        if (fs_read_file(SYSTEM_CA_BUNDLE, 16 << 20, &bundle, &len, NULL) < 0) {
                bundle = NULL;
                len = 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                size_t dlen = 0;
                char *nb;

                if (!dirs[i])
                        continue;
                path = str_printf("%s/certs.d/%s/ca.crt", dirs[i], r->domain);
                if (!path)
                        return cell_error_set(err, ENOMEM, "CA");
                if (!fs_exists(path))
                        continue;
                if (fs_read_file(path, 1 << 20, &data, &dlen, err) < 0)
                        return cell_error_prefix(err, "CA certificates for %s", r->domain);
                nb = realloc(bundle, len + dlen + 2);
                if (!nb)
                        return cell_error_set(err, ENOMEM, "CA");
                bundle = nb;
                bundle[len++] = '\n';
                memcpy(bundle + len, data, dlen);
                len += dlen;
                bundle[len] = '\0';
                extra = true;
        }
        if (extra) {
                r->ca_bundle = steal_pointer(&bundle);
                r->ca_len = len;
        }
        return 0;
}

/* base: where the registry's API is (NULL: from domain); cred: whose
 * credentials (a mirror's host, else domain). */
static int open_at(const char *domain, const char *base, const char *cred, const char *user, const char *pass,
                   registry_t **ret, cell_error_t *err)
{
        registry_conf_t conf = {0};
        registry_t *r;
        const char *host = domain;
        bool insecure;
        int k;

        if (registry_conf_load(&conf, err) < 0)
                return -1;
        insecure = domain_insecure(domain) || registry_conf_insecure(&conf, domain);
        registry_conf_clear(&conf);
        if (registry_curl_ready(err) < 0)
                return -1;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return cell_error_set(err, EIO, "libcurl initialisation");
        r = calloc(1, sizeof(*r));
        if (!r) {
                curl_global_cleanup();
                return cell_error_set(err, ENOMEM, "registry");
        }
        /* Docker Hub's API is not at its name. */
        if (str_eq(domain, "docker.io"))
                host = "registry-1.docker.io";
        r->domain = strdup(cred);
        if (base) {
                size_t n = strlen(base);

                while (n > 0 && base[n - 1] == '/')
                        n--;
                r->base = strndup(base, n);
        } else {
                r->base = str_printf("%s://%s", insecure ? "http" : "https", host);
        }
        if (!r->domain || !r->base) {
                registry_close(r);
                return cell_error_set(err, ENOMEM, "registry");
        }
        if (user) {
                r->user = strdup(user);
                r->pass = strdup(pass ? pass : "");
        } else {
                k = registry_auth_lookup(cred, &r->user, &r->pass, err);
                if (k < 0 && k != -ENOENT) {
                        registry_close(r);
                        return cell_error_prefix(err, "credentials for %s", cred);
                }
        }
        if (load_ca(r, err) < 0) {
                registry_close(r);
                return -1;
        }
        *ret = r;
        return 0;
}

int registry_open(const char *domain, const char *user, const char *pass, registry_t **ret, cell_error_t *err)
{
        return open_at(domain, NULL, domain, user, pass, ret, err);
}

int registry_open_mirror(const char *domain, const char *url, registry_t **ret, cell_error_t *err)
{
        const char *h = strstr(url, "://");
        _cleanup_free_ char *host = NULL;

        if (!h)
                return cell_error_plain(err, EINVAL, "mirror %s: not a URL", url);
        h += 3;
        host = strndup(h, strcspn(h, "/"));
        if (!host || !*host)
                return cell_error_plain(err, EINVAL, "mirror %s: no host", url);
        (void)domain;
        return open_at(host, url, host, NULL, NULL, ret, err);
}

void registry_close(registry_t *r)
{
        if (!r)
                return;
        free(r->domain);
        free(r->base);
        free(r->user);
        if (r->pass)
                explicit_bzero(r->pass, strlen(r->pass));
        free(r->pass);
        free(r->token);
        free(r->ca_bundle);
        free(r);
        curl_global_cleanup();
}

static char *trimmed_dup(const char *s, size_t n)
{
        while (n && isspace((unsigned char)*s)) {
                s++;
                n--;
        }
        while (n && isspace((unsigned char)s[n - 1]))
                n--;
        return strndup(s, n);
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
        xfer_t *x = ud;
        size_t len = size * n;
        const char *colon = memchr(buf, ':', len);
        char **slot = NULL;
        size_t name_len;

        /* A new status line (a redirect followed, a 100 Continue): the
         * headers of the answer before are not this answer's. */
        if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
                free(x->resp->content_type);
                free(x->resp->digest);
                free(x->resp->location);
                free(x->resp->challenge);
                x->resp->content_type = x->resp->digest = x->resp->location = x->resp->challenge = NULL;
                x->resp->length = -1;
                return len;
        }
        if (!colon)
                return len;
        name_len = (size_t)(colon - buf);
        if (name_len == 12 && strncasecmp(buf, "content-type", 12) == 0)
                slot = &x->resp->content_type;
        else if (name_len == 21 && strncasecmp(buf, "docker-content-digest", 21) == 0)
                slot = &x->resp->digest;
        else if (name_len == 8 && strncasecmp(buf, "location", 8) == 0)
                slot = &x->resp->location;
        else if (name_len == 16 && strncasecmp(buf, "www-authenticate", 16) == 0)
                slot = &x->resp->challenge;
        else if (name_len == 14 && strncasecmp(buf, "content-length", 14) == 0) {
                _cleanup_free_ char *v = trimmed_dup(colon + 1, len - name_len - 1);
                long l;

                if (v && str_to_long(v, 0, LONG_MAX, &l) == 0)
                        x->resp->length = l;
                return len;
        }
        if (slot && !*slot)
                *slot = trimmed_dup(colon + 1, len - name_len - 1);
        return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
        xfer_t *x = ud;
        size_t len = size * n;
        long status = 0;
        size_t max;
        char *nb;

        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300 && x->req->write) {
                if (x->req->write(x->req->write_ctx, buf, len) < 0) {
                        x->write_failed = true;
                        return 0;
                }
                return len;
        }
        max = (status >= 200 && status < 300) ? (x->req->max_body ? x->req->max_body : 4u << 20)
                                              : ERROR_BODY_MAX;
        if (x->resp->body_len + len > max) {
                if (status >= 200 && status < 300) {
                        x->write_failed = true;
                        snprintf(x->errbuf, sizeof(x->errbuf), "the answer is larger than %zu bytes", max);
                        return 0;
                }
                /* An error body is only for the message: keep its start. */
                len = max - x->resp->body_len;
                if (len == 0)
                        return size * n;
        }
        nb = realloc(x->resp->body, x->resp->body_len + len + 1);
        if (!nb)
                return 0;
        x->resp->body = nb;
        memcpy(nb + x->resp->body_len, buf, len);
        x->resp->body_len += len;
        nb[x->resp->body_len] = '\0';
        return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
        xfer_t *x = ud;
        const registry_request_t *q = x->req;
        size_t want = size * n;
        ssize_t k;

        if (q->body_fd >= 0) {
                if (x->off >= q->body_size)
                        return 0;
                if (want > q->body_size - x->off)
                        want = (size_t)(q->body_size - x->off);
                do
                        k = pread(q->body_fd, buf, want, (off_t)(q->body_off + x->off));
                while (k < 0 && errno == EINTR);
                if (k < 0)
                        return CURL_READFUNC_ABORT;
                x->off += (uint64_t)k;
                if (q->upload_progress)
                        q->upload_progress(q->upload_ctx, x->off, q->body_size);
                return (size_t)k;
        }
        if (x->off >= q->body_len)
                return 0;
        if (want > q->body_len - x->off)
                want = (size_t)(q->body_len - x->off);
        memcpy(buf, (const char *)q->body + x->off, want);
        x->off += want;
        return want;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
        xfer_t *x = ud;

        if (origin != SEEK_SET || offset < 0)
                return CURL_SEEKFUNC_CANTSEEK;
        x->off = (uint64_t)offset;
        return CURL_SEEKFUNC_OK;
}

static void xfer_reset(xfer_t *x)
{
        if (x->h)
                curl_easy_cleanup(x->h);
        curl_slist_free_all(x->hdrs);
        free(x->url);
        x->h = NULL;
        x->hdrs = NULL;
        x->url = NULL;
        x->off = 0;
        x->write_failed = false;
        x->errbuf[0] = '\0';
}

static int add_header(xfer_t *x, const char *h)
{
        struct curl_slist *l = curl_slist_append(x->hdrs, h);

        if (!l)
                return -1;
        x->hdrs = l;
        return 0;
}

static int set_common(CURL *h, registry_t *r, char *errbuf)
{
        CURLcode c = CURLE_OK;

        c |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        c |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        c |= curl_easy_setopt(h, CURLOPT_USERAGENT, "cell/0.1.0");
        c |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        c |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        c |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A stalled transfer ends: less than 1 KiB/s for a minute. */
        c |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        c |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
        c |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "identity");
        if (r->ca_bundle) {
                struct curl_blob blob = {.data = r->ca_bundle, .len = r->ca_len, .flags = CURL_BLOB_NOCOPY};

                c |= curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
        }
        return c == CURLE_OK ? 0 : -1;
}

static int xfer_setup(xfer_t *x, cell_error_t *err)
{
        registry_t *r = x->r;
        const registry_request_t *q = x->req;
        _cleanup_free_ char *auth = NULL;
        CURLcode c = CURLE_OK;
        bool upload = !str_eq(q->method, "GET") && !str_eq(q->method, "HEAD");

        xfer_reset(x);
        registry_response_clear(x->resp);
        x->url = str_has_prefix(q->url, "http://") || str_has_prefix(q->url, "https://")
                         ? strdup(q->url)
                         : str_printf("%s%s", r->base, q->url);
        x->h = curl_easy_init();
        if (!x->url || !x->h)
                return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        if (r->token)
                auth = str_printf("Authorization: Bearer %s", r->token);
        else if (r->basic && r->user) {
                _cleanup_free_ char *plain = str_printf("%s:%s", r->user, r->pass);
                _cleanup_free_ char *enc = plain ? registry_base64_encode(plain, strlen(plain)) : NULL;

                if (plain)
                        explicit_bzero(plain, strlen(plain));
                auth = enc ? str_printf("Authorization: Basic %s", enc) : NULL;
                if (!auth)
                        return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        }
        if ((auth && add_header(x, auth) < 0) || add_header(x, "Expect:") < 0)
                return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (q->accept) {
                _cleanup_free_ char *h = str_printf("Accept: %s", q->accept);

                if (!h || add_header(x, h) < 0)
                        return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        }
        if (q->range) {
                _cleanup_free_ char *h = str_printf("Range: %s", q->range);

                if (!h || add_header(x, h) < 0)
                        return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        }
        if (q->content_range) {
                _cleanup_free_ char *h = str_printf("Content-Range: %s", q->content_range);

                if (!h || add_header(x, h) < 0)
                        return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        }
        if (q->content_type) {
                _cleanup_free_ char *h = str_printf("Content-Type: %s", q->content_type);

                if (!h || add_header(x, h) < 0)
                        return cell_error_set(err, ENOMEM, "%s %s", q->method, q->url);
        }
        if (set_common(x->h, r, x->errbuf) < 0)
                return cell_error_set(err, EINVAL, "%s %s: libcurl options", q->method, q->url);
        c |= curl_easy_setopt(x->h, CURLOPT_URL, x->url);
        c |= curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
        c |= curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
        c |= curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
        c |= curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
        c |= curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
        c |= curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
        /* Blobs are redirected to storage elsewhere (S3, a CDN); curl
         * drops our Authorization header when the host changes. */
        c |= curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
        c |= curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, 10L);
        if (str_eq(q->method, "HEAD"))
                c |= curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
        if (upload) {
                curl_off_t size = (curl_off_t)(q->body_fd >= 0 ? q->body_size : q->body_len);

                c |= curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
                c |= curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, q->method);
                c |= curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, size);
                c |= curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_read);
                c |= curl_easy_setopt(x->h, CURLOPT_READDATA, x);
                c |= curl_easy_setopt(x->h, CURLOPT_SEEKFUNCTION, on_seek);
                c |= curl_easy_setopt(x->h, CURLOPT_SEEKDATA, x);
        }
        if (c != CURLE_OK)
                return cell_error_set(err, EINVAL, "%s %s: libcurl options", q->method, q->url);
        return 0;
}

/* A token from the realm of a Bearer challenge, asked for with the user's
 * credentials when there are any (anonymous otherwise). */
static int fetch_token(registry_t *r, const registry_challenge_t *ch, const char *scope, cell_error_t *err)
{
        _cleanup_free_ char *url = NULL, *esvc = NULL, *escope = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        registry_response_t resp = {.length = -1};
        registry_request_t q = {.method = "GET", .body_fd = -1, .max_body = 1 << 20};
        xfer_t x = {.r = r, .req = &q, .resp = &resp};
        CURL *h = curl_easy_init();
        CURLcode c = CURLE_OK;
        const char *sc = ch->scope ? ch->scope : scope;
        int ret = -1;

        if (!h)
                return cell_error_set(err, ENOMEM, "token");
        if (ch->service)
                esvc = curl_easy_escape(h, ch->service, 0);
        if (sc)
                escope = curl_easy_escape(h, sc, 0);
        url = str_printf("%s%sservice=%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?",
                         esvc ? esvc : "", escope ? "&scope=" : "", escope ? escope : "");
        if (!url) {
                curl_easy_cleanup(h);
                return cell_error_set(err, ENOMEM, "token");
        }
        x.h = h;
        if (set_common(h, r, errbuf) < 0)
                c = CURLE_FAILED_INIT;
        c |= curl_easy_setopt(h, CURLOPT_URL, url);
        c |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        c |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        c |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        c |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        c |= curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        if (r->user) {
                c |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
                c |= curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
                c |= curl_easy_setopt(h, CURLOPT_PASSWORD, r->pass);
        }
        if (c != CURLE_OK) {
                cell_error_set(err, EINVAL, "token: libcurl options");
                goto out;
        }
        c = curl_easy_perform(h);
        if (c != CURLE_OK) {
                cell_error_plain(err, EIO, "token from %s: %s", ch->realm,
                                 errbuf[0] ? errbuf : curl_easy_strerror(c));
                goto out;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
        if (resp.status == 401 || resp.status == 403) {
                cell_error_plain(err, EACCES, "unauthorized: %s",
                                 r->user ? "incorrect username or password" : "authentication required");
                goto out;
        }
        if (resp.status != 200) {
                cell_error_plain(err, EPROTO, "token from %s: HTTP %ld", ch->realm, resp.status);
                goto out;
        }
        free(r->token);
        r->token = registry_token_parse(resp.body ? resp.body : "", resp.body_len, err);
        if (!r->token) {
                cell_error_prefix(err, "token from %s", ch->realm);
                goto out;
        }
        ret = 0;
out:
        registry_response_clear(&resp);
        curl_easy_cleanup(h);
        return ret;
}

/* Meet the challenge of a 401, so that the request can be sent again. */
static int authenticate(registry_t *r, const registry_response_t *resp, const char *scope, cell_error_t *err)
{
        registry_challenge_t ch = {0};
        int k;

        if (!resp->challenge)
                return cell_error_plain(err, EACCES, "unauthorized (the registry sent no WWW-Authenticate)");
        if (registry_challenge_parse(resp->challenge, &ch, err) < 0)
                return -1;
        if (str_eq(ch.scheme, "basic")) {
                registry_challenge_clear(&ch);
                if (!r->user)
                        return cell_error_plain(
                                err, EACCES,
                                "unauthorized: authentication required (no credentials for %s: "
                                "cell login %s)",
                                r->domain, r->domain);
                if (r->basic)
                        return cell_error_plain(err, EACCES, "unauthorized: incorrect username or password");
                r->basic = true;
                return 0;
        }
        if (!str_eq(ch.scheme, "bearer")) {
                k = cell_error_plain(err, EACCES, "unauthorized: unsupported authentication scheme \"%s\"",
                                     ch.scheme);
                registry_challenge_clear(&ch);
                return k;
        }
        k = fetch_token(r, &ch, scope, err);
        registry_challenge_clear(&ch);
        return k;
}

static int xfer_result(xfer_t *x, CURLcode c, cell_error_t *err)
{
        const registry_request_t *q = x->req;

        if (x->write_failed) {
                if (x->errbuf[0])
                        return cell_error_plain(err, EIO, "%s %s: %s", q->method, q->url, x->errbuf);
                /* The callback's own error is in its context. */
                return -EIO;
        }
        if (c != CURLE_OK)
                return cell_error_plain(err, EIO, "%s %s%s: %s", q->method, x->r->base,
                                        str_has_prefix(q->url, "/") ? q->url : "",
                                        x->errbuf[0] ? x->errbuf : curl_easy_strerror(c));
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->resp->status);
        return 0;
}

int registry_do(registry_t *r, const registry_request_t *req, registry_response_t *resp, cell_error_t *err)
{
        xfer_t x = {.r = r, .req = req, .resp = resp};
        int ret = -1;

        *resp = (registry_response_t){.length = -1};
        for (int attempt = 0; attempt < 2; attempt++) {
                CURLcode c;

                if (xfer_setup(&x, err) < 0)
                        break;
                c = curl_easy_perform(x.h);
                ret = xfer_result(&x, c, err);
                if (ret < 0 || resp->status != 401 || attempt == 1)
                        break;
                ret = authenticate(r, resp, req->scope, err);
                if (ret < 0)
                        break;
        }
        xfer_reset(&x);
        return ret;
}

int registry_run_many(registry_t *r, const registry_request_t *reqs, size_t n, size_t parallel,
                      registry_done_fn done, void *ctx, cell_error_t *err)
{
        CURLM *m = curl_multi_init();
        xfer_t *xs = calloc(n ? n : 1, sizeof(*xs));
        registry_response_t *resps = calloc(n ? n : 1, sizeof(*resps));
        size_t next = 0, running = 0, finished = 0;
        int ret = 0;

        if (!m || !xs || !resps) {
                ret = cell_error_set(err, ENOMEM, "transfers");
                goto out;
        }
        if (parallel == 0)
                parallel = 1;
        while (finished < n && ret == 0) {
                int still = 0, left = 0;
                CURLMsg *msg;

                while (next < n && running < parallel) {
                        xs[next] = (xfer_t){.r = r, .req = &reqs[next], .resp = &resps[next]};
                        resps[next].length = -1;
                        if (xfer_setup(&xs[next], err) < 0 ||
                            curl_multi_add_handle(m, xs[next].h) != CURLM_OK) {
                                ret = -1;
                                break;
                        }
                        next++;
                        running++;
                }
                if (ret < 0)
                        break;
                if (curl_multi_perform(m, &still) != CURLM_OK) {
                        ret = cell_error_plain(err, EIO, "transfers: libcurl failed");
                        break;
                }
                while ((msg = curl_multi_info_read(m, &left))) {
                        xfer_t *x = NULL;
                        size_t i;
                        int k;

                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                        i = (size_t)(x - xs);
                        curl_multi_remove_handle(m, x->h);
                        k = xfer_result(x, msg->data.result, err);
                        if (k == 0 && x->resp->status == 401 && !x->retried) {
                                x->retried = true;
                                k = authenticate(r, x->resp, x->req->scope, err);
                                if (k == 0 &&
                                    (xfer_setup(x, err) < 0 || curl_multi_add_handle(m, x->h) != CURLM_OK))
                                        k = -1;
                                if (k == 0)
                                        continue;
                        }
                        running--;
                        finished++;
                        k = done(ctx, i, k, x->resp, err);
                        xfer_reset(x);
                        registry_response_clear(x->resp);
                        if (k < 0) {
                                ret = k;
                                break;
                        }
                }
                if (ret == 0 && finished < n && still > 0 &&
                    curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
                        ret = cell_error_plain(err, EIO, "transfers: libcurl poll failed");
                        break;
                }
        }
out:
        for (size_t i = 0; xs && i < n; i++) {
                if (xs[i].h) {
                        curl_multi_remove_handle(m, xs[i].h);
                        xfer_reset(&xs[i]);
                }
                registry_response_clear(&resps[i]);
        }
        free(xs);
        free(resps);
        if (m)
                curl_multi_cleanup(m);
        return ret;
}

int registry_status_error(const registry_t *r, const registry_request_t *req, const registry_response_t *resp,
                          cell_error_t *err)
{
        _cleanup_free_ char *detail =
                resp->body ? registry_error_body_string(resp->body, resp->body_len) : NULL;
        int code = (resp->status == 401 || resp->status == 403) ? EACCES
                   : resp->status == 404                        ? ENOENT
                                                                : EPROTO;
        bool hint = resp->status == 401 && r && !r->user;

        return cell_error_plain(err, code, "%s %s: HTTP %ld%s%s%s%s%s", req->method, req->url, resp->status,
                                detail ? ": " : "", detail ? detail : "", hint ? " (no credentials for " : "",
                                hint ? r->domain : "", hint ? ": cell login)" : "");
}
