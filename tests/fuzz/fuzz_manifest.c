/* cell: libFuzzer target for the manifest and index parsers.
 *
 * Manifests and indexes come from registries and archives nobody vouches
 * for, so both parsers must refuse anything malformed with an error and never
 * crash, leak or read out of bounds. Whatever parses must also serialise and
 * parse again to the same bytes, since commit and push rely on that.
 * Build: scripts/fuzz.sh 30 manifest. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const image_descriptor_t *d)
{
        (void)strlen(d->digest);
        if (d->platform)
                (void)strlen(d->platform->os);
        for (size_t i = 0; i < d->n_annotations; i++)
                (void)strlen(d->annotations[i].value);
}

static void round_trip_manifest(const image_manifest_t *m)
{
        cell_error_t err = {0};
        size_t l1, l2;
        char *s1 = image_manifest_serialize(m, &l1, &err), *s2;
        image_manifest_t *m2;

        if (!s1)
                __builtin_trap();
        m2 = image_manifest_parse(s1, l1, NULL, &err);
        if (!m2)
                __builtin_trap();
        s2 = image_manifest_serialize(m2, &l2, &err);
        if (!s2 || l1 != l2 || memcmp(s1, s2, l1) != 0)
                __builtin_trap();
        free(s1);
        free(s2);
        image_manifest_free(m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        image_manifest_t *m = image_manifest_parse((const char *)data, size, NULL, &err);
        image_index_t *idx;
        image_platform_t p = {0};

        if (m) {
                touch(&m->config);
                for (size_t i = 0; i < m->n_layers; i++)
                        touch(&m->layers[i]);
                round_trip_manifest(m);
                image_manifest_free(m);
        } else if (err.msg[0] == '\0') {
                __builtin_trap(); /* a refusal always says why */
        }
        err.msg[0] = '\0';
        idx = image_index_parse((const char *)data, size, NULL, &err);
        if (idx) {
                char *s;

                for (size_t i = 0; i < idx->n_manifests; i++)
                        touch(&idx->manifests[i]);
                if (image_platform_parse("linux/arm/v7", &p, &err) == 0) {
                        (void)image_index_match(idx, &p, &err);
                        image_platform_free(&p);
                }
                s = image_index_serialize(idx, NULL, &err);
                if (!s)
                        __builtin_trap();
                free(s);
                image_index_free(idx);
        } else if (err.msg[0] == '\0') {
                __builtin_trap();
        }
        return 0;
}
