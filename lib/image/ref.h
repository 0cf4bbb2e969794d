/* cell: Docker-style image references, parsed and normalised.
 *
 * The grammar is Docker's (distribution/reference):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path
 *   domain     := host [ ":" port ]          host: DNS name, IPv4 or [IPv6]
 *   path       := component ( "/" component )*
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first "/"-separated part is the domain when it contains "." or ":",
 * is "localhost", or has an upper-case letter (which a path cannot have);
 * otherwise the domain is docker.io, and a single-component path on
 * docker.io gets "library/" in front. "index.docker.io" is read as docker.io.
 * A reference with neither tag nor digest gets the tag "latest". The
 * normalised name (domain + "/" + path) is at most 255 characters. */
#pragma once

#include "error.h"

#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG    "latest"
#define IMAGE_REF_NAME_MAX       255

typedef struct image_ref {
        char *domain; /* "docker.io", "host:5000" */
        char *path;   /* "library/debian", "ns/name" */
        char *tag;    /* "latest"; NULL when only a digest was given */
        char *digest; /* "sha256:…" or NULL */
} image_ref_t;

/* Parse and normalise s. Errors read
 * 'invalid reference "Foo": repository name must be lowercase'. */
int image_ref_parse(const char *s, image_ref_t **ret, cell_error_t *err);
void image_ref_free(image_ref_t *r);

static inline void image_ref_freep(image_ref_t **r)
{
        image_ref_free(*r);
}
#define _cleanup_image_ref_ __attribute__((cleanup(image_ref_freep)))

/* Newly allocated strings (NULL on allocation failure):
 *   image_ref_string    "docker.io/library/debian:latest", "h:5000/a/b@sha256:…"
 *   image_ref_name      "docker.io/library/debian" (no tag, no digest)
 *   image_ref_familiar  the short form Docker shows: "debian:latest",
 *                       "user/app:1", "quay.io/x/y:2" */
char *image_ref_string(const image_ref_t *r);
char *image_ref_name(const image_ref_t *r);
char *image_ref_familiar(const image_ref_t *r);

/* Parse s and return its normalised string in one step. */
int image_ref_normalize(const char *s, char **ret, cell_error_t *err);
