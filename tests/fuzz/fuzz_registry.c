/* cell: libFuzzer target for what a registry (or a credential file) sends
 * (lib/registry/proto.c and the manifest response path of a pull).
 *
 * The input is read as a registry answer: its first line is the
 * Content-Type, the rest the body. The body goes to the WWW-Authenticate
 * parser (as a header), the token and error-document parsers, the
 * credential-file parser and updater, base64, and — with the Content-Type —
 * to the manifest detection and the manifest or index parser, then to the
 * platform match, as a pull does. Each must accept with its fields set or
 * refuse with a message; never crash, leak or read out of bounds.
 * Build: scripts/fuzz.sh 30 registry. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "proto.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need_msg(int r, cell_error_t *err)
{
        if (r < 0 && err->msg[0] == '\0')
                __builtin_trap();
        cell_error_clear(err);
}

static void fuzz_text(const char *s, size_t len)
{
        registry_challenge_t c = {0};
        cell_error_t err = {0};
        char *u = NULL, *p = NULL, *t, *e, *doc, *k;
        size_t dlen = 0;
        bool found;
        int r;

        r = registry_challenge_parse(s, &c, &err);
        need_msg(r, &err);
        if (r == 0) {
                if (!c.scheme)
                        __builtin_trap();
                if (strcmp(c.scheme, "bearer") == 0 && !c.realm)
                        __builtin_trap();
        }
        registry_challenge_clear(&c);
        t = registry_token_parse(s, len, &err);
        if (!t && !err.msg[0])
                __builtin_trap();
        cell_error_clear(&err);
        free(t);
        free(registry_error_body_string(s, len));
        r = registry_auth_parse(s, len, "localhost:5000", &u, &p, &err);
        need_msg(r, &err);
        if (r == 0 && (!u || !p))
                __builtin_trap();
        free(u);
        free(p);
        doc = registry_auth_update(s, len, "localhost:5000", "user", "pa:ss", &found, &err);
        if (doc) {
                /* What was written reads back. */
                u = p = NULL;
                if (registry_auth_parse(doc, strlen(doc), "localhost:5000", &u, &p, &err) != 0 ||
                    strcmp(u, "user") != 0 || strcmp(p, "pa:ss") != 0)
                        __builtin_trap();
                free(u);
                free(p);
                free(doc);
        } else if (!err.msg[0]) {
                __builtin_trap();
        }
        cell_error_clear(&err);
        e = registry_base64_decode(s, &dlen);
        if (e) {
                /* encode(decode(x)) decodes to the same bytes. */
                char *again = registry_base64_encode(e, dlen);
                size_t alen = 0;
                char *back = again ? registry_base64_decode(again, &alen) : NULL;

                if (again && (!back || alen != dlen || memcmp(back, e, dlen) != 0))
                        __builtin_trap();
                free(again);
                free(back);
                free(e);
        }
        k = registry_server_key(s);
        free(k);
        for (int i = 0; i < 2; i++) {
                char **names = NULL;

                r = registry_name_list_parse(s, len, i ? "repositories" : "tags", "list", &names, &err);
                need_msg(r, &err);
                if (r == 0 && !names)
                        __builtin_trap();
                for (size_t j = 0; names && names[j]; j++)
                        if (!names[j][0])
                                __builtin_trap();
                strv_free(names);
        }
}

static void fuzz_manifest_response(const char *ctype, const char *body, size_t len)
{
        image_doc_kind_t kind;
        cell_error_t err = {0};
        image_platform_t host = {.os = (char *)"linux", .architecture = (char *)"amd64"};

        if (image_doc_detect(body, len, ctype, &kind, &err) < 0) {
                need_msg(-1, &err);
                return;
        }
        if (kind == IMAGE_DOC_OCI_INDEX || kind == IMAGE_DOC_DOCKER_MANIFEST_LIST) {
                image_index_t *idx = image_index_parse(body, len, ctype, &err);

                if (!idx) {
                        need_msg(-1, &err);
                        return;
                }
                if (!image_index_match(idx, &host, &err))
                        need_msg(-1, &err);
                image_index_free(idx);
        } else {
                image_manifest_t *m = image_manifest_parse(body, len, ctype, &err);

                if (!m)
                        need_msg(-1, &err);
                image_manifest_free(m);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        char *nl;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        fuzz_text(s, strlen(s));
        nl = memchr(s, '\n', strlen(s));
        if (nl) {
                *nl = '\0';
                fuzz_manifest_response(*s ? s : NULL, nl + 1, strlen(nl + 1));
        }
        free(s);
        return 0;
}
