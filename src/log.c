/* log.c: the internal log, to stderr or to a file. */
#define _POSIX_C_SOURCE 200809L

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* A message longer than this is cut, so untrusted text cannot flood the log. */
#define LOG_LINE_MAX 1024

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static char *log_path;
static enum sl_log_level log_min = SL_LOG_INFO;
static char last_error[LOG_LINE_MAX];
static long long last_error_ms;
static volatile sig_atomic_t reopen_requested;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sl_log_set_level(enum sl_log_level level)
{
	log_min = level;
}

int sl_log_open(const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	free(log_path);
	log_path = sl_strdup(path);
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void sl_log_reopen(void)
{
	char *path;

	pthread_mutex_lock(&log_lock);
	path = log_path ? sl_strdup(log_path) : NULL;
	pthread_mutex_unlock(&log_lock);
	if (path && sl_log_open(path) != 0)
		sl_warn("log", "cannot reopen log file %s: %s", path, strerror(errno));
	free(path);
}

void sl_log_request_reopen(void)
{
	reopen_requested = 1;
}

void sl_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Replaces control characters so a logged value cannot drive the terminal. */
static void scrub_controls(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

void sl_log_write(enum sl_log_level level, const char *component, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX], stamp[SL_TIME_STRLEN];
	int64_t now = sl_now_ms();
	va_list ap;

	if (reopen_requested) {
		reopen_requested = 0;
		sl_log_reopen();
	}
	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	scrub_controls(msg);
	sl_format_time(now, stamp, sizeof stamp);

	pthread_mutex_lock(&log_lock);
	fprintf(log_file ? log_file : stderr, "%s %s %s: %s\n", stamp, level_names[level],
		component, msg);
	if (level >= SL_LOG_WARN) {
		snprintf(last_error, sizeof last_error, "%s: %s", component, msg);
		last_error_ms = now;
	}
	pthread_mutex_unlock(&log_lock);
}

long long sl_log_last_error(char *out, size_t outlen)
{
	long long when;

	pthread_mutex_lock(&log_lock);
	snprintf(out, outlen, "%s", last_error);
	when = last_error_ms;
	pthread_mutex_unlock(&log_lock);
	return when;
}
