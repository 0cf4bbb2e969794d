/* cell: health checks, run by a container's monitor (or its foreground
 * run): Config.Healthcheck's Test every Interval as `cell exec` would run
 * it, Timeout per probe, Retries failures in a row make it unhealthy,
 * failures during StartPeriod do not count. The result is the record's
 * State.Health, in Docker's shape (Status, FailingStreak, Log of the last
 * five probes). See docs/design/engine.md ("Health checks"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "container.h"

typedef struct engine_health {
        bool enabled;
        char **argv; /* the probe: cell exec ID TEST... */
        int64_t interval_ms, timeout_ms, start_period_ms;
        int retries;
        int64_t started_ms, next_ms;
        pid_t probe;  /* running probe, or -1 */
        int probe_fd; /* its output, or -1 */
        int64_t probe_started_ms;
        char *probe_start; /* RFC 3339 */
        char out[4096];
        size_t out_len;
        int streak;
} engine_health_t;

/* From the record's Config.Healthcheck; records State.Health "starting".
 * Disabled (and nothing recorded) without a Test or with ["NONE"]. */
void engine_health_init(engine_t *e, const char *id, json_t *config, engine_health_t *h);
/* How long poll may sleep before the next probe or timeout (-1: forever). */
int engine_health_poll_ms(const engine_health_t *h);
/* Launch a due probe, read its output, reap it, kill it past its timeout,
 * record results. Cheap when nothing is due. */
void engine_health_tick(engine_t *e, const char *id, engine_health_t *h);
/* Kill a running probe, free. */
void engine_health_clear(engine_health_t *h);
