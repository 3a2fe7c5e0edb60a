/* log.h: the internal log. It goes to stderr by default, or to a file once
 * sl_log_open() is called (the TUI does that, so it never writes to the
 * screen ncurses owns). The last warning or error is kept for the status bar. */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stddef.h>

enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR };

void sl_log_set_level(enum sl_log_level level);
/* Sends the log to path (appending). Returns 0, or -1 with errno set. */
int sl_log_open(const char *path);
/* Reopens the log file, for SIGHUP after rotation. */
void sl_log_reopen(void);
/* Async-signal-safe: requests a reopen, which the next log write performs. */
void sl_log_request_reopen(void);
void sl_log_close(void);
void sl_log_write(enum sl_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies the last warning or error line into out; returns its wall time in
 * ms, or 0 when there was none. */
long long sl_log_last_error(char *out, size_t outlen);

#define sl_debug(comp, ...) do { sl_log_write(SL_LOG_DEBUG, comp, __VA_ARGS__); } while (0)
#define sl_info(comp, ...) do { sl_log_write(SL_LOG_INFO, comp, __VA_ARGS__); } while (0)
#define sl_warn(comp, ...) do { sl_log_write(SL_LOG_WARN, comp, __VA_ARGS__); } while (0)
#define sl_error(comp, ...) do { sl_log_write(SL_LOG_ERROR, comp, __VA_ARGS__); } while (0)

#endif
