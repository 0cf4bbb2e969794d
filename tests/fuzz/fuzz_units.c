/* cell: libFuzzer target for the command-line value parsers
 * (lib/engine/units.c, and -e of lib/engine/envfile.c).
 *
 * The values come from a user's command line and from compose files other
 * people wrote. Each input goes to every parser: each must accept it with a
 * result in its documented range, or refuse it with a message, never crash,
 * overflow or read out of bounds. Build: scripts/fuzz.sh 30 units. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "envfile.h"
#include "strutil.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refusal carries a message; the error is cleared for the next parser. */
static void check_refused(int r, cell_error_t *err)
{
        if (r < 0 && err->msg[0] == '\0')
                __builtin_trap();
        if (r > 0)
                __builtin_trap();
        cell_error_clear(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        cell_error_t err = {0};
        engine_ulimit_t ul;
        engine_restart_t rp;
        int64_t v;
        char **env = NULL;
        int sig, r;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        r = engine_parse_bytes(s, &v, &err);
        check_refused(r, &err);
        if (r == 0 && v < 0)
                __builtin_trap();
        r = engine_parse_bytes_or_unlimited(s, &v, &err);
        check_refused(r, &err);
        if (r == 0 && v < -1)
                __builtin_trap();
        r = engine_parse_cpus(s, &v, &err);
        check_refused(r, &err);
        if (r == 0 && v < 0)
                __builtin_trap();
        check_refused(engine_parse_duration(s, &v, &err), &err);
        check_refused(engine_parse_timestamp(s, 1767366245, &v, &err), &err);
        r = engine_parse_ulimit(s, &ul, &err);
        check_refused(r, &err);
        if (r == 0 && (ul.soft > ul.hard || strncmp(ul.type, "RLIMIT_", 7) != 0))
                __builtin_trap();
        r = engine_parse_restart(s, &rp, &err);
        check_refused(r, &err);
        if (r == 0 && (!engine_restart_mode_name(rp.mode) || rp.max_retries < 0 ||
                       (rp.max_retries > 0 && rp.mode != ENGINE_RESTART_ON_FAILURE)))
                __builtin_trap();
        r = engine_parse_signal(s, &sig, &err);
        check_refused(r, &err);
        if (r == 0) {
                const char *name = engine_signal_name(sig);
                int back = 0;

                if (sig < 1 || sig > 64)
                        __builtin_trap();
                if (name && (engine_parse_signal(name, &back, &err) < 0 || back != sig))
                        __builtin_trap();
        }
        r = engine_env_merge(&env, s, &err);
        check_refused(r, &err);
        if (r == 0 && strchr(s, '=') && (strv_length(env) != 1 || strcmp(env[0], s) != 0))
                __builtin_trap();
        strv_free(env);
        free(s);
        return 0;
}
