/* cell: the parts of the Distribution (v2) protocol that are text to parse
 * or to write, kept apart from the HTTP client so that unit tests and fuzz
 * targets reach them without libcurl: WWW-Authenticate challenges, token
 * and error responses, base64, and credential files (auth.json and
 * ~/.docker/config.json). Everything here reads untrusted input. See
 * docs/design/registry.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* One challenge of a WWW-Authenticate header:
 *   Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"
 *   Basic realm="Registry Realm"
 * Parameter names are case-insensitive, values are tokens or quoted strings
 * (with \-escapes). Unknown parameters are ignored. */
typedef struct registry_challenge {
        char *scheme; /* "bearer" or "basic" (lower-cased); other schemes are kept as written, lower-cased */
        char *realm;
        char *service;
        char *scope;
        char *error; /* error="insufficient_scope", ... */
} registry_challenge_t;

/* Parse the first challenge of HEADER (a header may list several; the first
 * Bearer or Basic one is taken). -EINVAL with a message that quotes the
 * problem. A Bearer challenge must have a realm, and it must be an http(s)
 * URL. */
int registry_challenge_parse(const char *header, registry_challenge_t *ret, cell_error_t *err);
void registry_challenge_clear(registry_challenge_t *c);

/* The token of a token server's JSON answer ("token", else "access_token").
 * Newly allocated, or NULL with an error. */
char *registry_token_parse(const char *data, size_t len, cell_error_t *err);

/* The registry's error document {"errors":[{"code","message","detail"}]}
 * as one line: "UNAUTHORIZED: authentication required; ...". NULL when the
 * body is not such a document. */
char *registry_error_body_string(const char *data, size_t len);

/* Base64 (RFC 4648, with padding). decode refuses anything else, and
 * returns a NUL-terminated buffer whose length (without the NUL) goes to
 * ret_len. */
char *registry_base64_encode(const void *data, size_t len);
char *registry_base64_decode(const char *s, size_t *ret_len);

/* Credential files. The format is docker's config.json / containers'
 * auth.json: {"auths": {"HOST[:PORT]": {"auth": base64("user:password")}}}.
 * Keys may also be written as URLs ("https://HOST/v1/", docker's for Docker
 * Hub): a key matches HOST when, without its scheme and path, it is HOST;
 * docker.io also matches index.docker.io and registry-1.docker.io.
 * registry_auth_parse returns 0 and the user and password, -ENOENT when the
 * document has no entry for HOST, -EINVAL for a malformed document or
 * entry. */
int registry_auth_parse(const char *data, size_t len, const char *host, char **ret_user, char **ret_pass,
                        cell_error_t *err);

/* The normalised key of a server argument: "https://host:5000/v2/" ->
 * "host:5000"; Docker Hub's names -> "docker.io". NULL when it is empty. */
char *registry_server_key(const char *server);

/* Set (user != NULL) or remove (user == NULL) HOST's entry in the document
 * DATA (NULL or empty: a new document), keeping everything else in it.
 * Returns the new document (newly allocated, pretty-printed), or NULL with
 * an error. ret_found (may be NULL) tells whether an entry was there. */
char *registry_auth_update(const char *data, size_t len, const char *host, const char *user, const char *pass,
                           bool *ret_found, cell_error_t *err);

/* Where credentials are looked for, in order: $CELL_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, $HOME/.docker/config.json (NULL
 * entries skipped). NULL-terminated, newly allocated. */
char **registry_auth_files(void);
/* Where login writes: $CELL_AUTH_FILE, else $HOME/.docker/config.json. */
char *registry_auth_write_path(void);

/* Look HOST up in the credential files; 0 with user and password, -ENOENT
 * when none has it (not an error for an anonymous pull), -EINVAL when a file
 * is malformed (the error names it). */
int registry_auth_lookup(const char *host, char **ret_user, char **ret_pass, cell_error_t *err);

/* A registry's list of names, {"KEY": ["a", "b", ...]} (KEY "tags" for
 * /v2/NAME/tags/list, "repositories" for /v2/_catalog), into a string
 * vector (empty, not NULL, when there are none). The answer is the
 * registry's, so untrusted: anything but non-empty strings in the array is
 * refused; a missing or null array (Distribution's answer for a repository
 * without tags) is empty. WHAT names the answer in errors. */
int registry_name_list_parse(const char *body, size_t len, const char *key, const char *what, char ***ret,
                             cell_error_t *err);
