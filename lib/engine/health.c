/* cell: health checks (see health.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "health.h"
#include "strutil.h"

#define DEFAULT_MS (30 * 1000)
#define LOG_KEEP   5

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ns_to_ms(json_t *v, int64_t dflt)
{
        json_int_t ns = json_integer_value(v);

        return ns > 0 ? (int64_t)(ns / 1000000) : dflt;
}

/* Read-modify-write of State.Health under the record's lock. */
static void record_health(engine_t *e, const char *id, const char *status, int streak, json_t *entry)
{
        _cleanup_close_ int lock = engine_record_lock(e, id, NULL);
        json_t *rec = NULL, *state, *health, *log;

        if (lock < 0 || engine_record_read(e, id, &rec, NULL) < 0) {
                json_decref(entry);
                return;
        }
        state = json_object_get(rec, "State");
        health = json_object_get(state, "Health");
        if (!json_is_object(health) || !entry) {
                health = json_pack("{s:s, s:i, s:[]}", "Status", status, "FailingStreak", 0, "Log");
                json_object_set_new(state, "Health", health);
        }
        /* NULL: failing, not yet past Retries — the status stays. */
        if (status || !json_is_string(json_object_get(health, "Status")))
                json_object_set_new(health, "Status", json_string(status ? status : "starting"));
        json_object_set_new(health, "FailingStreak", json_integer(streak));
        log = json_object_get(health, "Log");
        if (entry && json_is_array(log)) {
                json_array_append_new(log, entry);
                while (json_array_size(log) > LOG_KEEP)
                        json_array_remove(log, 0);
        } else {
                json_decref(entry);
        }
        engine_record_write(e, id, rec, NULL);
        json_decref(rec);
}

void engine_health_init(engine_t *e, const char *id, json_t *config, engine_health_t *h)
{
        json_t *hc = json_object_get(config, "Healthcheck"), *test = json_object_get(hc, "Test");
        const char *kind = json_string_value(json_array_get(test, 0));
        char exe[] = "/proc/self/exe";
        size_t i;
        json_t *v;

        *h = (engine_health_t){.probe = -1, .probe_fd = -1};
        if (!kind || str_eq(kind, "NONE") || json_array_size(test) < 2)
                return;
        /* The probe is `cell exec`, from our own binary, so it takes the
         * same path as a user's exec: sealed, in the container's
         * namespaces, cgroup and security settings. */
        if (strv_push(&h->argv, exe) < 0 || strv_push(&h->argv, "--storage-root") < 0 ||
            strv_push(&h->argv, e->storage_root) < 0 || strv_push(&h->argv, "--runroot") < 0 ||
            strv_push(&h->argv, e->run_root) < 0 || strv_push(&h->argv, "exec") < 0 ||
            strv_push(&h->argv, id) < 0)
                goto fail;
        if (str_eq(kind, "CMD-SHELL")) {
                if (strv_push(&h->argv, "/bin/sh") < 0 || strv_push(&h->argv, "-c") < 0 ||
                    strv_push(&h->argv, json_string_value(json_array_get(test, 1))
                                                ? json_string_value(json_array_get(test, 1))
                                                : "") < 0)
                        goto fail;
        } else {
                json_array_foreach(test, i, v)
                {
                        if (i > 0 && json_is_string(v) && strv_push(&h->argv, json_string_value(v)) < 0)
                                goto fail;
                }
        }
        h->interval_ms = ns_to_ms(json_object_get(hc, "Interval"), DEFAULT_MS);
        h->timeout_ms = ns_to_ms(json_object_get(hc, "Timeout"), DEFAULT_MS);
        h->start_period_ms = ns_to_ms(json_object_get(hc, "StartPeriod"), 0);
        h->retries = json_integer_value(json_object_get(hc, "Retries")) > 0
                             ? (int)json_integer_value(json_object_get(hc, "Retries"))
                             : 3;
        h->started_ms = now_ms();
        h->next_ms = h->started_ms + h->interval_ms;
        h->enabled = true;
        record_health(e, id, "starting", 0, NULL);
        return;
fail:
        strv_free(h->argv);
        h->argv = NULL;
}

int engine_health_poll_ms(const engine_health_t *h)
{
        int64_t due, left;

        if (!h->enabled)
                return -1;
        due = h->probe > 0 ? h->probe_started_ms + h->timeout_ms : h->next_ms;
        left = due - now_ms();
        return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static void launch(engine_health_t *h)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (null >= 0)
                        dup2(null, 0);
                dup2(p[1], 1);
                dup2(p[1], 2);
                execv(h->argv[0], h->argv);
                _exit(126);
        }
        close(p[1]);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        h->probe = pid;
        h->probe_fd = p[0];
        h->probe_started_ms = now_ms();
        h->out_len = 0;
        free(h->probe_start);
        h->probe_start = engine_time_now();
}

static void drain(engine_health_t *h)
{
        ssize_t k;

        while (h->probe_fd >= 0) {
                char tmp[1024];

                k = read(h->probe_fd, tmp, sizeof(tmp));
                if (k <= 0)
                        break;
                for (ssize_t i = 0; i < k && h->out_len + 1 < sizeof(h->out); i++)
                        h->out[h->out_len++] = tmp[i];
        }
}

static void finish(engine_t *e, const char *id, engine_health_t *h, int code, const char *output)
{
        _cleanup_free_ char *end = engine_time_now();
        bool in_start = now_ms() - h->started_ms < h->start_period_ms;
        const char *status;
        json_t *entry;

        if (code == 0)
                h->streak = 0;
        else if (!in_start)
                h->streak++;
        status = code == 0 ? "healthy" : h->streak >= h->retries ? "unhealthy" : NULL;
        entry = json_pack("{s:s, s:s, s:i, s:s%}", "Start", h->probe_start ? h->probe_start : "", "End",
                          end ? end : "", "ExitCode", code, "Output", output, strlen(output));
        record_health(e, id, status, h->streak, entry);
        if (h->probe_fd >= 0)
                close(h->probe_fd);
        h->probe_fd = -1;
        h->probe = -1;
        h->next_ms = now_ms() + h->interval_ms;
}

void engine_health_tick(engine_t *e, const char *id, engine_health_t *h)
{
        int status;

        if (!h->enabled)
                return;
        if (h->probe > 0) {
                drain(h);
                if (waitpid(h->probe, &status, WNOHANG) == h->probe) {
                        drain(h);
                        h->out[h->out_len] = '\0';
                        finish(e, id, h, WIFEXITED(status) ? WEXITSTATUS(status) : -1, h->out);
                } else if (now_ms() - h->probe_started_ms >= h->timeout_ms) {
                        kill(h->probe, SIGKILL);
                        waitpid(h->probe, NULL, 0);
                        finish(e, id, h, -1, "Health check exceeded timeout");
                }
                return;
        }
        if (now_ms() >= h->next_ms)
                launch(h);
}

void engine_health_clear(engine_health_t *h)
{
        if (h->probe > 0) {
                kill(h->probe, SIGKILL);
                waitpid(h->probe, NULL, 0);
        }
        if (h->probe_fd >= 0)
                close(h->probe_fd);
        strv_free(h->argv);
        free(h->probe_start);
        *h = (engine_health_t){.probe = -1, .probe_fd = -1};
}
