/* cell: logging. The one mutable global the house plan allows: where log
 * lines go and in which format (runc's --log and --log-format). Library code
 * logs; it never prints to the user's terminal. */
#pragma once

#include <stdbool.h>

typedef enum { CELL_LOG_DEBUG = 0, CELL_LOG_INFO, CELL_LOG_WARN, CELL_LOG_ERROR } cell_log_level_t;
typedef enum { CELL_LOG_TEXT = 0, CELL_LOG_JSON } cell_log_format_t;

/* Open path (append) as the log target; NULL keeps stderr for warnings and errors only. */
int cell_log_init(const char *path, cell_log_format_t format, bool debug);
void cell_log(cell_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cell_log_debug_enabled(void);
/* The fd log lines go to (-1 when none); kept open across fork for children. */
int cell_log_fd(void);

#define log_debug(...) cell_log(CELL_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  cell_log(CELL_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  cell_log(CELL_LOG_WARN, __VA_ARGS__)
#define log_error(...) cell_log(CELL_LOG_ERROR, __VA_ARGS__)
