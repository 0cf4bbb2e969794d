/* cell: libFuzzer target for the config.json parser.
 *
 * config.json comes from whoever wrote the bundle (containerd, podman, a
 * user's hand), so spec_parse must refuse anything malformed with an error and
 * never crash, leak or read out of bounds. Build: scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cell_error_t err = {0};
        spec_t *s = spec_parse((const char *)data, size, &err);

        if (s) {
                /* Touch what the runtime reads first, so a struct that claims
                 * more entries than it holds shows up under ASan. */
                for (size_t i = 0; i < s->n_mounts; i++)
                        (void)strlen(s->mounts[i].destination);
                for (size_t i = 0; i < s->n_devices; i++)
                        (void)strlen(s->devices[i].path);
                for (int k = 0; k < SPEC_HOOK__MAX; k++)
                        for (size_t i = 0; i < s->n_hooks[k]; i++)
                                (void)strlen(s->hooks[k][i].path);
                for (size_t i = 0; i < s->n_sysctl; i++)
                        (void)strlen(s->sysctl[i].key);
                spec_free(s);
        } else {
                /* A refusal always says why. */
                if (err.msg[0] == '\0')
                        __builtin_trap();
        }
        return 0;
}
