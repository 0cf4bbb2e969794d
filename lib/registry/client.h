/* cell: an HTTP client for one registry, over libcurl.
 *
 * A registry_t knows where the registry is (https, or plain http for
 * loopback and for registries named in CELL_INSECURE_REGISTRIES), which CA
 * certificates to trust (the system's, plus certs.d/HOST:PORT/ca.crt under
 * /etc/cell and $CELL_CONFIG_DIR), the user's credentials, and the token it
 * was last given. Each request is answered with authentication as the
 * registry asks for it: a 401 with a WWW-Authenticate challenge is met once
 * (a Bearer token fetched from the realm, with the credentials when there
 * are any, or Basic credentials) and the request is sent again. Bodies
 * stream both ways: a request body may be a file, a response body may go to
 * a callback (which only ever sees the body of a 2xx answer). Several
 * requests can run at once (registry_run_many, curl's multi interface, on
 * one thread). See docs/design/registry.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct registry registry_t;

/* Open a client for DOMAIN (as a reference names it: "docker.io",
 * "localhost:5000"). USER/PASS (may be NULL) override the credential files. */
int registry_open(const char *domain, const char *user, const char *pass, registry_t **ret,
                  cell_error_t *err);
/* A client for a mirror of DOMAIN at URL ("https://mirror.example",
 * "http://127.0.0.1:5001"): the same API at another place, with the
 * mirror's own credentials and CA. */
int registry_open_mirror(const char *domain, const char *url, registry_t **ret, cell_error_t *err);
void registry_close(registry_t *r);
static inline void registry_closep(registry_t **r)
{
        registry_close(*r);
}
#define _cleanup_registry_ __attribute__((cleanup(registry_closep)))
const char *registry_domain(const registry_t *r);
bool registry_has_credentials(const registry_t *r);

/* Return a negative number to stop the transfer (the request then fails
 * with the error the callback filled in through its own context). */
typedef int (*registry_write_fn)(void *ctx, const void *data, size_t len);

typedef struct registry_request {
        const char *method;       /* GET, HEAD, PUT, POST, PATCH */
        const char *url;          /* "/v2/..." (on the registry) or an absolute URL */
        const char *accept;       /* may be NULL */
        const char *range;        /* "bytes=N-": a resumed download (206 expected); may be NULL */
        const char *content_type; /* of the body; may be NULL */
        const char *scope;        /* "repository:NAME:pull[,push]": what to ask a token for */
        const void *body;         /* an in-memory body, or */
        size_t body_len;
        int body_fd; /* a body read from this fd with pread from body_off (-1: none) */
        uint64_t body_off;
        uint64_t body_size;
        const char *content_range; /* a PATCH chunk's "FIRST-LAST"; may be NULL */
        /* Bytes of a body_fd body sent so far (may be NULL). */
        void (*upload_progress)(void *ctx, uint64_t sent, uint64_t size);
        void *upload_ctx;
        registry_write_fn write; /* the 2xx body; NULL: kept in the response */
        void *write_ctx;
        size_t max_body; /* for a kept body; 0 = 4 MiB */
        bool follow;     /* follow redirects (blob GETs) */
} registry_request_t;

typedef struct registry_response {
        long status;
        char *content_type;
        char *digest;    /* Docker-Content-Digest */
        char *location;  /* Location */
        char *challenge; /* WWW-Authenticate */
        int64_t length;  /* Content-Length, -1 when absent */
        char *body;      /* the kept body (NUL-terminated), or an error body */
        size_t body_len;
} registry_response_t;
void registry_response_clear(registry_response_t *resp);

/* One request, with authentication. Returns 0 when an HTTP answer came
 * (whatever its status: the caller decides), negative for a transport
 * failure, a failing write callback, or an authentication that could not
 * be done. */
int registry_do(registry_t *r, const registry_request_t *req, registry_response_t *resp, cell_error_t *err);

/* N requests, at most PARALLEL at a time. DONE is called for each as it
 * ends (result 0 with its response, or negative with an error); a negative
 * return from DONE stops the others and is returned. */
typedef int (*registry_done_fn)(void *ctx, size_t i, int result, registry_response_t *resp,
                                cell_error_t *err);
int registry_run_many(registry_t *r, const registry_request_t *reqs, size_t n, size_t parallel,
                      registry_done_fn done, void *ctx, cell_error_t *err);

/* An error for an answer that was not what was wanted: "GET URL: HTTP 404:
 * MANIFEST_UNKNOWN: manifest unknown"; a 401 to a client without
 * credentials says how to give some ("cell login HOST"). Returns a negative
 * errno (EACCES for 401/403, ENOENT for 404, EPROTO otherwise). */
int registry_status_error(const registry_t *r, const registry_request_t *req, const registry_response_t *resp,
                          cell_error_t *err);
