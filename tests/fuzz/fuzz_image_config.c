/* cell: libFuzzer target for the image config parser.
 *
 * A config arrives with every pulled or loaded image; parsing it must refuse
 * anything malformed with an error, never crash or leak, and what parses must
 * serialise and parse back to the same bytes. Build: scripts/fuzz.sh 30
 * image_config. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        image_config_t *c = image_config_parse((const char *)data, size, &err), *c2;
        char **chain = NULL;
        char *s1, *s2;
        size_t l1, l2;

        if (!c) {
                if (err.msg[0] == '\0')
                        __builtin_trap();
                return 0;
        }
        if (image_chain_ids(c->diff_ids, c->n_diff_ids, &chain, &err) < 0)
                __builtin_trap(); /* diff ids were validated */
        for (size_t i = 0; i < c->n_diff_ids; i++)
                free(chain[i]);
        free(chain);
        for (size_t i = 0; c->config.env && c->config.env[i]; i++)
                (void)strlen(c->config.env[i]);
        s1 = image_config_serialize(c, &l1, &err);
        if (!s1)
                __builtin_trap();
        c2 = image_config_parse(s1, l1, &err);
        if (!c2)
                __builtin_trap();
        s2 = image_config_serialize(c2, &l2, &err);
        if (!s2 || l1 != l2 || memcmp(s1, s2, l1) != 0)
                __builtin_trap();
        free(s1);
        free(s2);
        image_config_free(c);
        image_config_free(c2);
        return 0;
}
