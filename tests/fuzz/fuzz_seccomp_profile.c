/* cell: libFuzzer target for the Docker-format seccomp profile converter
 * (lib/engine/seccomp_profile.c).
 *
 * The profile is a file a user hands to `--security-opt seccomp=FILE`: the
 * converter must refuse what it cannot read with an error naming the place
 * and never crash, leak or read out of bounds. What it accepts is handed to
 * seccomp_compile, as the engine does (compiled only, never installed).
 * The first input byte picks the host the profile is converted for.
 * Build and run: scripts/fuzz.sh 60 seccomp_profile. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "seccomp.h"
#include "seccomp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const machines[] = {"x86_64", "aarch64", "s390x", "riscv64", "i686", "sparc64"};
        static const char *const releases[] = {"6.1.0-18-amd64", "4.4.0", "5.8", "3.10.0-1160.el7.x86_64"};
        /* The API takes char *const * (argv-like vectors); literals are const. */
        static const char *const caps_default[] = {"CAP_CHOWN", "CAP_KILL", NULL};
        static const char *const caps_admin[] = {"CAP_SYS_ADMIN", "cap_sys_ptrace", "BPF", NULL};
        cell_error_t err = {0};
        seccomp_prog_t *p = NULL;
        json_error_t jerr;
        json_t *j, *oci;
        uint8_t pick;

        if (size < 1)
                return 0;
        pick = data[0];
        data++;
        size--;
        j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!j && strstr(jerr.text, "too big integer"))
                j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
                               &jerr);
        if (!j)
                return 0;
        oci = engine_seccomp_convert(
                j, (char *const *)((pick & 0x80) ? caps_admin : caps_default),
                machines[(pick & 0x0f) % (sizeof(machines) / sizeof(machines[0]))],
                releases[((pick >> 4) & 0x07) % (sizeof(releases) / sizeof(releases[0]))], &err);
        if (!oci) {
                /* A refusal always says why. */
                if (err.msg[0] == '\0')
                        __builtin_trap();
        } else {
                /* What the converter accepts has the shape seccomp_compile
                 * reads; it may still refuse a value (an unknown action). */
                cell_error_clear(&err);
                if (seccomp_compile(oci, &p, &err) < 0 && err.msg[0] == '\0')
                        __builtin_trap();
                seccomp_prog_free(p);
                json_decref(oci);
        }
        json_decref(j);
        return 0;
}
