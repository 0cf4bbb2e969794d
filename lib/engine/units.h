/* cell: the values of a `cell run` command line that are not plain strings.
 *
 * Each parser follows the docker CLI's rules (and, where docker has one, its
 * error text), so that a docker user's command line means the same here.
 * They are pure: no printing, no global state (engine_parse_timestamp takes
 * "now" from its caller and reads only the local time zone). On failure they
 * return a negative errno (-EINVAL, -ERANGE) and leave the output alone.
 * docs/design/engine.md, "Command-line values", lists the rules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

/* --memory, --shm-size, --memory-reservation...: "512", "512b", "10k",
 * "10kb", "10KiB", "64m", "1.5g" (case-insensitive, 1k = 1024, a fraction is
 * truncated to whole bytes). Negative, empty or junk: "invalid size: '...'";
 * an unknown unit: "invalid suffix: '...'". */
int engine_parse_bytes(const char *s, int64_t *ret, cell_error_t *err);
/* The same, and "-1" (unlimited, as --memory-swap takes it) gives -1. */
int engine_parse_bytes_or_unlimited(const char *s, int64_t *ret, cell_error_t *err);

/* --cpus: a decimal number of CPUs ("1.5", "0.25", "2") in NanoCPUs
 * (1e9 per CPU). More than nine decimals: "value is too precise". */
int engine_parse_cpus(const char *s, int64_t *ret_nano, cell_error_t *err);

/* Go's time.ParseDuration: "10s", "1m30s", "1.5h", "300ms", "2h45m",
 * "1us", "1µs", "-5s", "0"; units ns us µs ms s m h. Errors read as Go's:
 * `time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`. */
int engine_parse_duration(const char *s, int64_t *ret_ns, cell_error_t *err);

/* docker logs --since/--until (and events): RFC 3339 with Z or an offset
 * (fraction optional), the same without a zone in local time (the offset of
 * the local zone at now, as docker does), a date alone, a Unix timestamp
 * ("1700000000", "1700000000.123456789"), or a Go duration that counts back
 * from now (to whole seconds, as docker does). Returns nanoseconds since
 * the epoch. */
int engine_parse_timestamp(const char *s, time_t now, int64_t *ret_unix_ns, cell_error_t *err);

/* --ulimit name=soft[:hard]. */
typedef struct engine_ulimit {
        char type[24]; /* the OCI name: "RLIMIT_NOFILE" */
        uint64_t soft; /* RLIM_INFINITY for "unlimited" or -1 */
        uint64_t hard;
} engine_ulimit_t;

int engine_parse_ulimit(const char *s, engine_ulimit_t *ret, cell_error_t *err);

/* --restart no|always|unless-stopped|on-failure[:N]. */
typedef enum engine_restart_mode {
        ENGINE_RESTART_NO = 0,
        ENGINE_RESTART_ALWAYS,
        ENGINE_RESTART_UNLESS_STOPPED,
        ENGINE_RESTART_ON_FAILURE,
} engine_restart_mode_t;

typedef struct engine_restart {
        engine_restart_mode_t mode;
        int max_retries; /* on-failure only; 0 = no limit */
} engine_restart_t;

int engine_parse_restart(const char *s, engine_restart_t *ret, cell_error_t *err);
/* "no", "always", "unless-stopped", "on-failure"; NULL for a bad mode. */
const char *engine_restart_mode_name(engine_restart_mode_t mode);

/* --stop-signal, kill --signal: "SIGTERM", "TERM", "term", "15",
 * "SIGRTMIN+3", "RTMAX-2". The real-time signals are numbered as docker
 * and glibc number them (SIGRTMIN = 34, SIGRTMAX = 64), fixed rather than
 * this process's SIGRTMIN: they name signals for another process. */
int engine_parse_signal(const char *s, int *ret, cell_error_t *err);
/* "SIGTERM", "SIGRTMIN+3"; NULL for a number that is no signal. */
const char *engine_signal_name(int sig);
