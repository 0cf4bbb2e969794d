/* cell: libFuzzer target for image references (and the digests inside them).
 *
 * References come from users, from Dockerfiles (FROM), compose files and
 * the annotations of archives someone else made, so image_ref_parse must
 * refuse anything malformed with an error and never crash, leak or read out
 * of bounds. What it accepts must normalise to a fixed point, and its
 * familiar form must read back as the same reference. Build: scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const image_ref_t *r)
{
        char *full = image_ref_string(r), *fam = image_ref_familiar(r), *again = NULL, *back = NULL;
        cell_error_t err = {0};

        if (!full || !fam)
                __builtin_trap();
        if (image_ref_normalize(full, &again, &err) < 0 || strcmp(again, full) != 0)
                __builtin_trap();
        if (image_ref_normalize(fam, &back, &err) < 0 || strcmp(back, full) != 0)
                __builtin_trap();
        if (r->digest && !image_digest_valid(r->digest))
                __builtin_trap();
        free(full);
        free(fam);
        free(again);
        free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        image_ref_t *r = NULL;
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (image_ref_parse(s, &r, &err) == 0) {
                check_roundtrip(r);
                image_ref_free(r);
        } else if (err.msg[0] == '\0') {
                /* A refusal always says why. */
                __builtin_trap();
        }
        (void)image_digest_parse(s, NULL, &err);
        free(s);
        return 0;
}
