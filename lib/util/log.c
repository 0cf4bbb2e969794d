#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static struct {
        int fd;
        cell_log_format_t format;
        bool debug;
        bool to_file;
} log_config = {.fd = 2, .format = CELL_LOG_TEXT, .debug = false, .to_file = false};

int cell_log_init(const char *path, cell_log_format_t format, bool debug)
{
        log_config.format = format;
        log_config.debug = debug;
        if (path && *path) {
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

                if (fd < 0)
                        return -errno;
                log_config.fd = fd;
                log_config.to_file = true;
        }
        return 0;
}

bool cell_log_debug_enabled(void)
{
        return log_config.debug;
}

int cell_log_fd(void)
{
        return log_config.to_file ? log_config.fd : -1;
}

static const char *level_name(cell_log_level_t level)
{
        switch (level) {
        case CELL_LOG_DEBUG:
                return "debug";
        case CELL_LOG_INFO:
                return "info";
        case CELL_LOG_WARN:
                return "warning";
        case CELL_LOG_ERROR:
                return "error";
        default:
                return "info";
        }
}

void cell_log(cell_log_level_t level, const char *fmt, ...)
{
        char msg[2048], when[64], line[4096];
        struct timespec ts;
        struct tm tm;
        va_list ap;
        int n;

        if (level == CELL_LOG_DEBUG && !log_config.debug)
                return;
        /* Without a log file only warnings and errors reach stderr, and the
         * CLI prints errors itself: keep stderr for what the user must see. */
        if (!log_config.to_file && level < CELL_LOG_WARN && !log_config.debug)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = (int)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof(when) - (size_t)n, ".%09ldZ", ts.tv_nsec);
        if (log_config.format == CELL_LOG_JSON) {
                json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_name(level), "msg", msg, "time", when);
                char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

                n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
                free(s);
                json_decref(o);
        } else {
                n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"%s\"\n", when, level_name(level),
                             msg);
        }
        if (n > (int)sizeof(line))
                n = (int)sizeof(line);
        if (n > 0 && write(log_config.fd, line, (size_t)n) < 0) {
                /* Nowhere left to report a failure to log. */
        }
}
