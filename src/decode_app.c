/* decode_app.c: the line formats of application logging libraries and
 * programs: log4j and logback layouts, Python's logging module, glog, the
 * console encoders of zap and zerolog, Android logcat and Redis. Each reads
 * the level its own way and keeps the logger or tag as the service, which
 * the plain decoder's level detection cannot do.
 *
 * A decoder that finds no time in the line sets SL_EV_TS_RECEIVED, and
 * sl_decode_record() then gives the event the previous event's time. */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "timeparse.h"
#include "util.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static size_t skip_spaces(const char *s, size_t n, size_t p)
{
	while (p < n && is_space(s[p]))
		p++;
	return p;
}

static size_t token_end(const char *s, size_t n, size_t p)
{
	while (p < n && !is_space(s[p]))
		p++;
	return p;
}

/* Reads the digits at s[*p], at most max of them. Returns how many. */
static unsigned read_number(const char *s, size_t n, size_t *p, unsigned max, unsigned *out)
{
	unsigned digits = 0, v = 0;

	while (*p < n && is_digit(s[*p]) && digits < max) {
		v = v * 10 + (unsigned)(s[*p] - '0');
		(*p)++;
		digits++;
	}
	*out = v;
	return digits;
}

static int has_at(const char *s, size_t n, size_t p, const char *text)
{
	size_t tn = strlen(text);

	return p + tn <= n && memcmp(s + p, text, tn) == 0;
}

/* ---- glog ---- */

/* The parts of "I1204 10:11:12.123456 1234 file.go:42] msg"; glog 0.7
 * writes the year too ("I20261204 ..."). */
typedef struct glog_line {
	sl_level level;
	int64_t ts;
	size_t thread, thread_len, source, source_len, msg;
} glog_line;

static sl_level glog_level(char c)
{
	switch (c) {
	case 'I': return SL_LEVEL_INFO;
	case 'W': return SL_LEVEL_WARN;
	case 'E': return SL_LEVEL_ERROR;
	case 'F': return SL_LEVEL_FATAL;
	default: return SL_LEVEL_UNKNOWN;
	}
}

/* Reads the date and clock after the level letter. Returns 0 or -1. */
static int glog_time(const char *s, size_t n, size_t *p, int64_t now_ms, int64_t *ts)
{
	unsigned date, hour, minute, second, frac = 0, digits;
	int64_t year = -1;
	size_t q = *p;

	digits = read_number(s, n, &q, 8, &date);
	if (digits == 8) {
		year = date / 10000;
		date %= 10000;
	} else if (digits != 4) {
		return -1;
	}
	if (q >= n || s[q++] != ' ' || read_number(s, n, &q, 2, &hour) != 2 || q >= n ||
	    s[q++] != ':' || read_number(s, n, &q, 2, &minute) != 2 || q >= n || s[q++] != ':' ||
	    read_number(s, n, &q, 2, &second) != 2)
		return -1;
	if (q < n && s[q] == '.') {
		size_t f = ++q;

		read_number(s, n, &q, 3, &frac);
		while (q - f < 3 && q > f) {
			frac *= 10;
			f--;
		}
		while (q < n && is_digit(s[q]))
			q++;
	}
	if (sl_time_from_parts(year, date / 100, date % 100, hour, minute, second, frac, now_ms, ts))
		return -1;
	*p = q;
	return 0;
}

static int parse_glog(const char *s, size_t n, int64_t now_ms, glog_line *gl)
{
	size_t p = 1, end;

	memset(gl, 0, sizeof *gl);
	if (n < 20 || (gl->level = glog_level(s[0])) == SL_LEVEL_UNKNOWN)
		return -1;
	if (glog_time(s, n, &p, now_ms, &gl->ts))
		return -1;
	p = skip_spaces(s, n, p);
	end = p;
	while (end < n && is_digit(s[end]))
		end++;
	if (end == p || end >= n || s[end] != ' ')
		return -1;
	gl->thread = p;
	gl->thread_len = end - p;
	p = end + 1;
	end = p;
	while (end < n && s[end] != ']' && !is_space(s[end]))
		end++;
	if (end >= n || s[end] != ']' || !memchr(s + p, ':', end - p))
		return -1;
	gl->source = p;
	gl->source_len = end - p;
	gl->msg = skip_spaces(s, n, end + 1);
	return 0;
}

static int glog_probe(const char *line, size_t len)
{
	glog_line gl;

	return parse_glog(line, len, 0, &gl) ? 0 : 90;
}

static int glog_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	glog_line gl;

	if (parse_glog(line, len, now_ms, &gl))
		return -1;
	ev->ts_ms = gl.ts;
	ev->level = gl.level;
	sl_event_set_field(ev, "thread", 6, line + gl.thread, gl.thread_len);
	sl_event_set_field(ev, "source", 6, line + gl.source, gl.source_len);
	sl_event_set_str(&ev->message, line + gl.msg, len - gl.msg);
	return 0;
}

const sl_decoder sl_decoder_glog = {
	.name = "glog",
	.probe = glog_probe,
	.decode = glog_decode,
};

/* ---- Android logcat ---- */

/* Maps logcat's priority letter; A is an assertion (Log.wtf). */
static sl_level logcat_level(char c)
{
	switch (c) {
	case 'V': return SL_LEVEL_TRACE;
	case 'D': return SL_LEVEL_DEBUG;
	case 'I': return SL_LEVEL_INFO;
	case 'W': return SL_LEVEL_WARN;
	case 'E': return SL_LEVEL_ERROR;
	case 'F':
	case 'A': return SL_LEVEL_FATAL;
	default: return SL_LEVEL_UNKNOWN;
	}
}

/* The parts of the threadtime form "12-04 10:11:12.123  1234  5678 I Tag:
 * msg" (also with a year, as "logcat -v year" writes). */
typedef struct logcat_line {
	int64_t ts;
	sl_level level;
	size_t pid, pid_len, tid, tid_len, tag, tag_len, msg;
} logcat_line;

static int parse_logcat(const char *s, size_t n, int64_t now_ms, logcat_line *ll)
{
	size_t p, end, colon;

	memset(ll, 0, sizeof *ll);
	if (n < 20 || !is_digit(s[0]))
		return -1;
	p = sl_time_parse(s, n, now_ms, &ll->ts);
	if (!p || p >= n || s[p] != ' ')
		return -1;
	p = skip_spaces(s, n, p);
	for (end = p; end < n && is_digit(s[end]); end++)
		;
	if (end == p || end >= n || s[end] != ' ')
		return -1;
	ll->pid = p;
	ll->pid_len = end - p;
	p = skip_spaces(s, n, end);
	for (end = p; end < n && is_digit(s[end]); end++)
		;
	if (end == p || end + 2 >= n || s[end] != ' ')
		return -1;
	ll->tid = p;
	ll->tid_len = end - p;
	p = end + 1;
	ll->level = logcat_level(s[p]);
	if (ll->level == SL_LEVEL_UNKNOWN || s[p + 1] != ' ')
		return -1;
	p += 2;

	/* The tag runs to the first ": " and logcat may pad it with spaces. */
	ll->tag = p;
	for (colon = p; colon < n && s[colon] != ':'; colon++)
		;
	if (colon >= n) {
		ll->msg = p;
		return 0;
	}
	end = colon;
	while (end > p && is_space(s[end - 1]))
		end--;
	ll->tag_len = end - p;
	ll->msg = skip_spaces(s, n, colon + 1);
	return 0;
}

static int logcat_probe(const char *line, size_t len)
{
	logcat_line ll;

	return parse_logcat(line, len, 0, &ll) ? 0 : 90;
}

static int logcat_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	logcat_line ll;

	if (parse_logcat(line, len, now_ms, &ll))
		return -1;
	ev->ts_ms = ll.ts;
	ev->level = ll.level;
	if (ll.tag_len)
		sl_event_set_str(&ev->service, line + ll.tag, ll.tag_len);
	sl_event_set_field(ev, "pid", 3, line + ll.pid, ll.pid_len);
	sl_event_set_field(ev, "tid", 3, line + ll.tid, ll.tid_len);
	sl_event_set_str(&ev->message, line + ll.msg, len - ll.msg);
	return 0;
}

const sl_decoder sl_decoder_logcat = {
	.name = "logcat",
	.probe = logcat_probe,
	.decode = logcat_decode,
};

/* ---- Python logging ---- */

/* The parts of "%(asctime)s - %(name)s - %(levelname)s - %(message)s" and
 * of the module's default "%(levelname)s:%(name)s:%(message)s". */
typedef struct python_line {
	int has_time;
	int64_t ts;
	sl_level level;
	size_t name, name_len, msg;
} python_line;

/* Returns the level for a Python level name, which the logging module
 * writes in capitals; unknown for anything else. */
static sl_level python_level(const char *s, size_t n)
{
	size_t i;

	if (n < 4)
		return SL_LEVEL_UNKNOWN;
	for (i = 0; i < n; i++) {
		if (!is_upper(s[i]))
			return SL_LEVEL_UNKNOWN;
	}
	return sl_level_parse(s, n);
}

/* Finds " - " at or after p. Returns its position, or n. */
static size_t find_dash(const char *s, size_t n, size_t p)
{
	for (; p + 3 <= n; p++) {
		if (s[p] == ' ' && s[p + 1] == '-' && s[p + 2] == ' ')
			return p;
	}
	return n;
}

static int parse_python_dashes(const char *s, size_t n, int64_t now_ms, python_line *pl)
{
	size_t p = sl_time_parse(s, n, now_ms, &pl->ts), dash;

	if (!p || !has_at(s, n, p, " - "))
		return -1;
	pl->has_time = 1;
	p += 3;
	dash = find_dash(s, n, p);
	if (dash >= n || dash == p || memchr(s + p, ' ', dash - p))
		return -1;
	pl->name = p;
	pl->name_len = dash - p;
	p = dash + 3;
	dash = find_dash(s, n, p);
	if (dash >= n)
		return -1;
	pl->level = python_level(s + p, dash - p);
	if (pl->level == SL_LEVEL_UNKNOWN)
		return -1;
	pl->msg = dash + 3;
	return 0;
}

static int parse_python_colons(const char *s, size_t n, python_line *pl)
{
	const char *c1 = memchr(s, ':', n), *c2;
	size_t p;

	if (!c1)
		return -1;
	pl->level = python_level(s, (size_t)(c1 - s));
	if (pl->level == SL_LEVEL_UNKNOWN)
		return -1;
	p = (size_t)(c1 - s) + 1;
	c2 = memchr(s + p, ':', n - p);
	if (!c2 || c2 == s + p)
		return -1;
	pl->name = p;
	pl->name_len = (size_t)(c2 - s) - p;
	/* Logger names are dotted identifiers without spaces. */
	if (memchr(s + p, ' ', pl->name_len))
		return -1;
	pl->msg = (size_t)(c2 - s) + 1;
	return 0;
}

static int parse_python(const char *s, size_t n, int64_t now_ms, python_line *pl)
{
	memset(pl, 0, sizeof *pl);
	if (n > 0 && is_digit(s[0]))
		return parse_python_dashes(s, n, now_ms, pl);
	return parse_python_colons(s, n, pl);
}

static int python_probe(const char *line, size_t len)
{
	python_line pl;

	if (parse_python(line, len, 0, &pl))
		return 0;
	return pl.has_time ? 80 : 60;
}

static int python_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	python_line pl;

	if (parse_python(line, len, now_ms, &pl))
		return -1;
	if (pl.has_time)
		ev->ts_ms = pl.ts;
	else
		ev->flags |= SL_EV_TS_RECEIVED;
	ev->level = pl.level;
	sl_event_set_str(&ev->service, line + pl.name, pl.name_len);
	sl_event_set_str(&ev->message, line + pl.msg, len - pl.msg);
	return 0;
}

const sl_decoder sl_decoder_python = {
	.name = "python",
	.probe = python_probe,
	.decode = python_decode,
};

/* ---- log4j and logback ---- */

/* The parts of a log4j or logback pattern layout line: a time, bare or in
 * brackets, then in some order a level in capitals, a [thread] and a logger
 * before " - " or ":", then the message. The layouts read are these:
 *
 *   2015-10-18 18:01:47,978 INFO [main] org.apache.App: msg       (Hadoop)
 *   2015-07-29 17:41:44,747 - INFO  [thread:Class@774] - msg      (ZooKeeper)
 *   [2016-12-19 20:39:48,918] WARN msg (kafka.server.Class)       (Kafka)
 *   2026-12-04 10:11:12.345 [main] INFO  c.e.App - msg            (logback)
 *   2026-12-04 10:11:12.345  INFO 1234 --- [main] c.e.App : msg   (Spring Boot 2)
 *   2026-12-04T10:11:12.345Z  INFO 1234 --- [app] [main] c.e.App : msg (Spring Boot 3)
 *   10:11:12.345 [main] DEBUG c.e.App - msg                       (logback default)
 *
 * The logger is the service, except that Spring Boot 3's application name,
 * when the line has one, is the service and the logger moves to the
 * "logger" field. */
typedef struct log4j_line {
	int64_t ts;
	int time_of_day; /* the line's time has no date ("10:11:12.345") */
	sl_level level;
	size_t thread, thread_len, logger, logger_len, app, app_len, msg;
	size_t correlation, correlation_len; /* Spring Boot's "[trace-span]" */
} log4j_line;

/* Reads a leading time, bare or in brackets, or logback's default time of
 * day "10:11:12.345" (then sets ll->time_of_day). Returns the bytes taken. */
static size_t log4j_time(const char *s, size_t n, int64_t now_ms, log4j_line *ll)
{
	size_t used;
	int64_t tod;

	if (n > 2 && s[0] == '[') {
		used = sl_time_parse(s + 1, n - 1, now_ms, &ll->ts);
		return used && used + 1 < n && s[used + 1] == ']' ? used + 2 : 0;
	}
	if (n == 0 || !is_digit(s[0]))
		return 0;
	used = sl_time_parse(s, n, now_ms, &ll->ts);
	if (!used && (used = sl_time_parse_clock(s, n, &tod)) > 0) {
		ll->ts = sl_time_of_day_latest(tod, now_ms);
		ll->time_of_day = 1;
		return used;
	}
	/* A bare epoch number is too weak a sign of these layouts. */
	return used >= 10 ? used : 0;
}

/* Reads "[thread]" at s[*p], brackets nesting ("[QuorumPeer[myid=1]/..]").
 * A group followed by a comma belongs to the message, as Kafka writes
 * "[ReplicaFetcherThread-0-2], Error ...". Returns 0 or -1. */
static int log4j_thread(const char *s, size_t n, size_t *p, log4j_line *ll)
{
	size_t q = *p + 1, start, end;
	int depth = 1;

	if (*p >= n || s[*p] != '[')
		return -1;
	for (; q < n && depth > 0; q++) {
		if (s[q] == '[')
			depth++;
		else if (s[q] == ']')
			depth--;
	}
	if (depth > 0 || (q < n && s[q] != ' '))
		return -1;
	start = skip_spaces(s, q - 1, *p + 1);
	end = q - 1;
	while (end > start && is_space(s[end - 1]))
		end--;
	ll->thread = start;
	ll->thread_len = end - start;
	*p = skip_spaces(s, n, q);
	return 0;
}

/* Reads a level word in capitals at s[*p]. Returns 0 or -1. */
static int log4j_level(const char *s, size_t n, size_t *p, log4j_line *ll)
{
	size_t end = *p;

	while (end < n && is_upper(s[end]))
		end++;
	if (end - *p < 4 || (end < n && !is_space(s[end])))
		return -1;
	ll->level = sl_level_parse(s + *p, end - *p);
	if (ll->level == SL_LEVEL_UNKNOWN)
		return -1;
	*p = skip_spaces(s, n, end);
	return 0;
}

static int is_logger_char(char c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' ||
	       c == '$' || c == '-';
}

/* Reads a logger name before its separator: "pkg.Class: ", "Name   : " or
 * "c.e.App - ". A name directly followed by ':' must be dotted, so a
 * message such as "Error: disk full" keeps its first word. Returns 0 and
 * moves *p to the message, or -1 with *p unchanged. */
static int log4j_logger(const char *s, size_t n, size_t *p, log4j_line *ll)
{
	size_t end = *p, q;

	while (end < n && is_logger_char(s[end]))
		end++;
	if (end == *p)
		return -1;
	if (end < n && s[end] == ':' && memchr(s + *p, '.', end - *p) &&
	    (end + 1 >= n || s[end + 1] == ' ')) {
		q = end + 1;
	} else {
		q = skip_spaces(s, n, end);
		if (q == end || q + 1 >= n || (s[q] != ':' && s[q] != '-') || s[q + 1] != ' ')
			return -1;
		q++;
	}
	ll->logger = *p;
	ll->logger_len = end - *p;
	*p = skip_spaces(s, n, q);
	return 0;
}

/* Skips Spring Boot's "1234 --- " between the level and the thread.
 * Returns 1 when it was there. */
static int skip_spring_pid(const char *s, size_t n, size_t *p)
{
	size_t q = *p;

	while (q < n && is_digit(s[q]))
		q++;
	if (q == *p || !has_at(s, n, q, " --- "))
		return 0;
	*p = skip_spaces(s, n, q + 5);
	return 1;
}

/* Reads Spring Boot's "[app] [thread] [trace-span] logger : " after the
 * pid. "[app] " is there when Spring Boot 3 logs the application name, and
 * "[trace-span] " with tracing; the span ids go to the "correlation" field.
 * The logger, cut to fit its column, may contain brackets and slashes
 * ("o.a.c.c.C.[.[.[/].[dispatcherServlet]"). Returns 0 or -1. */
static int spring_parts(const char *s, size_t n, size_t *p, log4j_line *ll)
{
	size_t end, q;

	if (*p < n && s[*p] == '[' && log4j_thread(s, n, p, ll) == 0 && *p < n && s[*p] == '[') {
		ll->app = ll->thread;
		ll->app_len = ll->thread_len;
		if (log4j_thread(s, n, p, ll))
			return -1;
	}
	if (*p < n && s[*p] == '[') {
		log4j_line ids = *ll;

		if (log4j_thread(s, n, p, &ids))
			return -1;
		ll->correlation = ids.thread;
		ll->correlation_len = ids.thread_len;
	}
	end = token_end(s, n, *p);
	q = skip_spaces(s, n, end);
	if (end == *p || q + 1 >= n || s[q] != ':' || s[q + 1] != ' ')
		return -1;
	ll->logger = *p;
	ll->logger_len = end - *p;
	*p = skip_spaces(s, n, q + 1);
	return 0;
}

static int parse_log4j(const char *s, size_t n, int64_t now_ms, log4j_line *ll)
{
	size_t p;

	memset(ll, 0, sizeof *ll);
	p = log4j_time(s, n, now_ms, ll);
	if (!p || p >= n || !is_space(s[p]))
		return -1;
	p = skip_spaces(s, n, p);
	if (has_at(s, n, p, "- "))
		p = skip_spaces(s, n, p + 2);
	if (p < n && s[p] == '[' && log4j_thread(s, n, &p, ll))
		return -1;
	if (log4j_level(s, n, &p, ll))
		return -1;
	if (skip_spring_pid(s, n, &p)) {
		size_t spring = p;

		if (spring_parts(s, n, &spring, ll) == 0) {
			ll->msg = spring;
			return 0;
		}
		ll->app_len = ll->thread_len = ll->correlation_len = 0;
	}
	if (p < n && s[p] == '[')
		log4j_thread(s, n, &p, ll);
	if (has_at(s, n, p, "- "))
		p = skip_spaces(s, n, p + 2);
	else
		log4j_logger(s, n, &p, ll);
	ll->msg = p;
	return 0;
}

/* Finds Kafka's trailing "(kafka.server.Class)", the logger name. */
static void trailing_logger(const char *s, size_t n, log4j_line *ll)
{
	size_t open = n, p;

	if (n < 4 || s[n - 1] != ')')
		return;
	while (open > 0 && s[open - 1] != '(')
		open--;
	if (open == 0 || open < 2 || s[open - 2] != ' ')
		return;
	for (p = open; p < n - 1; p++) {
		if (!is_logger_char(s[p]))
			return;
	}
	if (!memchr(s + open, '.', n - 1 - open))
		return;
	ll->logger = open;
	ll->logger_len = n - 1 - open;
}

static int log4j_probe(const char *line, size_t len)
{
	log4j_line ll;

	if (parse_log4j(line, len, 0, &ll))
		return 0;
	return ll.thread_len || ll.logger_len ? 75 : 65;
}

static int log4j_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	log4j_line ll;

	if (parse_log4j(line, len, now_ms, &ll))
		return -1;
	if (!ll.logger_len)
		trailing_logger(line, len, &ll);
	ev->ts_ms = ll.ts;
	if (ll.time_of_day)
		ev->flags |= SL_EV_TIME_OF_DAY;
	ev->level = ll.level;
	if (ll.app_len) {
		sl_event_set_str(&ev->service, line + ll.app, ll.app_len);
		if (ll.logger_len)
			sl_event_set_field(ev, "logger", 6, line + ll.logger, ll.logger_len);
	} else if (ll.logger_len) {
		sl_event_set_str(&ev->service, line + ll.logger, ll.logger_len);
	}
	if (ll.thread_len)
		sl_event_set_field(ev, "thread", 6, line + ll.thread, ll.thread_len);
	/* Spring writes "[-]" or blanks when there is no trace. */
	if (ll.correlation_len > 1)
		sl_event_set_field(ev, "correlation", 11, line + ll.correlation, ll.correlation_len);
	sl_event_set_str(&ev->message, line + ll.msg, len - ll.msg);
	return 0;
}

const sl_decoder sl_decoder_log4j = {
	.name = "log4j",
	.probe = log4j_probe,
	.decode = log4j_decode,
};

/* ---- zap console encoder ---- */

/* "2026-12-04T10:11:12.123Z\tINFO\tlogger\tmain.go:42\tmsg\t{"k":"v"}": tab
 * separated time, level, then the logger name and caller when configured,
 * the message, and the context fields as one JSON object. */
#define ZAP_MAX_PARTS 8

typedef struct zap_line {
	char *copy;       /* the line without colour codes, NULL when it has none */
	const char *text; /* copy, or the line itself */
	size_t len;
	size_t start[ZAP_MAX_PARTS], end[ZAP_MAX_PARTS];
	unsigned nparts;
	int64_t ts;
	sl_level level;
} zap_line;

/* Returns 1 for a caller such as "server/main.go:42". */
static int is_caller(const char *s, size_t n)
{
	const char *colon = n ? memchr(s, ':', n) : NULL;
	size_t p;

	if (!colon || colon == s || colon + 1 >= s + n || memchr(s, ' ', n))
		return 0;
	for (p = (size_t)(colon - s) + 1; p < n; p++) {
		if (!is_digit(s[p]))
			return 0;
	}
	return 1;
}

static int parse_zap(const char *s, size_t n, int64_t now_ms, zap_line *zl)
{
	size_t p = 0, used;
	const char *t;

	memset(zl, 0, sizeof *zl);
	if (!memchr(s, '\t', n))
		return -1;
	zl->copy = sl_decode_strip_ansi(s, n, &zl->len);
	zl->text = zl->copy ? zl->copy : s;
	if (!zl->copy)
		zl->len = n;
	t = zl->text;
	while (zl->nparts < ZAP_MAX_PARTS) {
		const char *tab = memchr(t + p, '\t', zl->len - p);
		size_t end = tab ? (size_t)(tab - t) : zl->len;

		zl->start[zl->nparts] = p;
		zl->end[zl->nparts++] = end;
		if (!tab)
			break;
		p = end + 1;
	}
	/* The last part takes whatever tabs remain. */
	zl->end[zl->nparts - 1] = zl->len;
	if (zl->nparts < 3)
		return -1;
	used = sl_time_parse(t, zl->end[0], now_ms, &zl->ts);
	if (used != zl->end[0])
		return -1;
	zl->level = sl_level_parse(t + zl->start[1], zl->end[1] - zl->start[1]);
	return zl->level == SL_LEVEL_UNKNOWN ? -1 : 0;
}

static int zap_probe(const char *line, size_t len)
{
	zap_line zl;
	int rc = parse_zap(line, len, 0, &zl);

	free(zl.copy);
	return rc ? 0 : 90;
}

static int zap_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	zap_line zl;
	unsigned last, i;
	const char *t;

	(void)line;
	if (parse_zap(line, len, now_ms, &zl)) {
		free(zl.copy);
		return -1;
	}
	t = zl.text;
	ev->ts_ms = zl.ts;
	ev->level = zl.level;

	/* A trailing JSON object contains the context fields. */
	last = zl.nparts - 1;
	if (last > 2 && t[zl.start[last]] == '{' &&
	    sl_decode_json_fields(t + zl.start[last], zl.end[last] - zl.start[last], ev) == 0)
		last--;
	for (i = 2; i < last; i++) {
		const char *part = t + zl.start[i];
		size_t n = zl.end[i] - zl.start[i];

		if (is_caller(part, n))
			sl_event_set_field(ev, "caller", 6, part, n);
		else if (!ev->service)
			sl_event_set_str(&ev->service, part, n);
		else
			sl_event_set_field(ev, "function", 8, part, n);
	}
	sl_event_set_str(&ev->message, t + zl.start[last], zl.end[last] - zl.start[last]);
	free(zl.copy);
	return 0;
}

const sl_decoder sl_decoder_zap = {
	.name = "zap",
	.probe = zap_probe,
	.decode = zap_decode,
};

/* ---- zerolog console writer ---- */

/* Maps zerolog's three-letter console levels. */
static sl_level zerolog_level(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "PNC", 3) == 0)
		return SL_LEVEL_FATAL;
	if (n != 3 || !is_upper(s[0]) || !is_upper(s[1]) || !is_upper(s[2]))
		return SL_LEVEL_UNKNOWN;
	return sl_level_parse(s, n);
}

/* Reads Go's time.Kitchen form "3:04PM", the console writer's default,
 * which has no date: dated as sl_time_of_day_latest() does, and later from
 * the previous event. Returns the bytes taken, or 0. */
static size_t kitchen_time(const char *s, size_t n, int64_t now_ms, int64_t *ts)
{
	unsigned hour, minute;
	size_t p = 0;

	if (read_number(s, n, &p, 2, &hour) == 0 || hour < 1 || hour > 12 || p >= n ||
	    s[p++] != ':' || read_number(s, n, &p, 2, &minute) != 2 || minute > 59 || p + 2 > n ||
	    (s[p] != 'A' && s[p] != 'P') || s[p + 1] != 'M')
		return 0;
	hour %= 12;
	if (s[p] == 'P')
		hour += 12;
	*ts = sl_time_of_day_latest(((int64_t)hour * 60 + minute) * 60000, now_ms);
	return p + 2;
}

/* Returns the end of a key=value token at s[p] (the value may be quoted
 * with \" escapes), or 0 when the token is not one. */
static size_t pair_end(const char *s, size_t n, size_t p)
{
	size_t q = p;

	while (q < n && s[q] != '=' && !is_space(s[q]) && s[q] != '"')
		q++;
	if (q == p || q >= n || s[q] != '=')
		return 0;
	q++;
	if (q < n && s[q] == '"') {
		for (q++; q < n && s[q] != '"'; q++) {
			if (s[q] == '\\' && q + 1 < n)
				q++;
		}
		if (q >= n)
			return 0;
		q++;
		return q >= n || is_space(s[q]) ? q : 0;
	}
	return token_end(s, n, q);
}

/* Returns where the trailing key=value fields of s[p..n) start, or n. */
static size_t fields_start(const char *s, size_t n, size_t p)
{
	size_t start = n;

	while (p < n) {
		size_t end = pair_end(s, n, p);

		if (end) {
			if (start == n)
				start = p;
			p = skip_spaces(s, n, end);
			continue;
		}
		start = n;
		p = skip_spaces(s, n, token_end(s, n, p));
	}
	return start;
}

/* Adds the key=value tokens of s[p..n) as fields, unquoting the values. */
static void add_pairs(const char *s, size_t n, size_t p, sl_event *ev)
{
	while (p < n) {
		size_t end = pair_end(s, n, p), eq = p;
		sl_buf val;

		if (!end)
			return;
		while (s[eq] != '=')
			eq++;
		sl_buf_init(&val);
		if (s[eq + 1] == '"') {
			size_t q;

			for (q = eq + 2; q < end - 1; q++) {
				if (s[q] == '\\' && q + 1 < end - 1)
					q++;
				sl_buf_putc(&val, s[q]);
			}
		} else {
			sl_buf_append(&val, s + eq + 1, end - eq - 1);
		}
		sl_event_set_field(ev, s + p, eq - p, val.data ? val.data : "", val.len);
		sl_buf_free(&val);
		p = skip_spaces(s, n, end);
	}
}

/* The parts of "10:11AM INF main.go:42 > msg k=v" after colour codes are
 * removed; the time may also be a full timestamp. */
typedef struct zerolog_line {
	int64_t ts;
	sl_level level;
	size_t caller, caller_len, msg, fields;
	int kitchen;
} zerolog_line;

static int parse_zerolog(const char *t, size_t n, int64_t now_ms, zerolog_line *zl)
{
	size_t p, end;

	memset(zl, 0, sizeof *zl);
	p = kitchen_time(t, n, now_ms, &zl->ts);
	zl->kitchen = p > 0;
	if (!p && n > 0 && is_digit(t[0]))
		p = sl_time_parse(t, n, now_ms, &zl->ts);
	if (!p || p >= n || t[p] != ' ')
		return -1;
	p++;
	end = token_end(t, n, p);
	zl->level = zerolog_level(t + p, end - p);
	if (zl->level == SL_LEVEL_UNKNOWN)
		return -1;
	p = skip_spaces(t, n, end);
	end = token_end(t, n, p);
	if (end < n && has_at(t, n, end, " > ") && is_caller(t + p, end - p)) {
		zl->caller = p;
		zl->caller_len = end - p;
		p = end + 3;
	}
	zl->msg = p;
	zl->fields = fields_start(t, n, p);
	return 0;
}

static int zerolog_probe(const char *line, size_t len)
{
	zerolog_line zl;
	size_t n = len;
	char *copy;
	int rc;

	/* The line opens with the time or with the colour code before it. */
	if (len == 0 || (!is_digit(line[0]) && line[0] != '\x1b'))
		return 0;
	copy = sl_decode_strip_ansi(line, len, &n);
	rc = parse_zerolog(copy ? copy : line, n, 0, &zl);
	free(copy);
	if (rc)
		return 0;
	return zl.kitchen ? 85 : 70;
}

static int zerolog_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	zerolog_line zl;
	size_t n = len, msg_end;
	char *copy = sl_decode_strip_ansi(line, len, &n);
	const char *t = copy ? copy : line;

	if (parse_zerolog(t, n, now_ms, &zl)) {
		free(copy);
		return -1;
	}
	ev->ts_ms = zl.ts;
	if (zl.kitchen)
		ev->flags |= SL_EV_TIME_OF_DAY;
	ev->level = zl.level;
	if (zl.caller_len)
		sl_event_set_field(ev, "caller", 6, t + zl.caller, zl.caller_len);
	add_pairs(t, n, zl.fields, ev);
	msg_end = zl.fields;
	while (msg_end > zl.msg && is_space(t[msg_end - 1]))
		msg_end--;
	sl_event_set_str(&ev->message, t + zl.msg, msg_end - zl.msg);
	free(copy);
	return 0;
}

const sl_decoder sl_decoder_zerolog = {
	.name = "zerolog",
	.probe = zerolog_probe,
	.decode = zerolog_decode,
};

/* ---- Redis ---- */

/* Maps the mark Redis writes after the time: '.' debug, '-' verbose,
 * '*' notice, '#' warning. */
static sl_level redis_level(char c)
{
	switch (c) {
	case '.':
	case '-': return SL_LEVEL_DEBUG;
	case '*': return SL_LEVEL_INFO;
	case '#': return SL_LEVEL_WARN;
	default: return SL_LEVEL_UNKNOWN;
	}
}

/* Returns the month 1..12 for a three-letter English name, or 0. */
static unsigned month_number(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned m;

	for (m = 0; m < 12; m++) {
		if (memcmp(s, names + 3 * m, 3) == 0)
			return m + 1;
	}
	return 0;
}

/* The parts of "1:M 25 Apr 2024 05:32:35.018 * Ready to accept
 * connections": pid, role letter, time, level mark, message. */
typedef struct redis_line {
	int64_t ts;
	sl_level level;
	size_t pid_len, role, msg;
} redis_line;

static int parse_redis(const char *s, size_t n, redis_line *rl)
{
	unsigned day, year, hour, minute, second, ms = 0, month;
	size_t p = 0;

	memset(rl, 0, sizeof *rl);
	while (p < n && is_digit(s[p]))
		p++;
	rl->pid_len = p;
	if (p == 0 || p + 4 >= n || s[p] != ':' || !memchr("XCSM", s[p + 1], 4) || s[p + 2] != ' ')
		return -1;
	rl->role = p + 1;
	p += 3;
	if (read_number(s, n, &p, 2, &day) == 0 || p + 5 >= n || s[p] != ' ')
		return -1;
	month = month_number(s + p + 1);
	p += 4;
	if (!month || s[p] != ' ')
		return -1;
	p++;
	if (read_number(s, n, &p, 4, &year) != 4 || p >= n || s[p++] != ' ' ||
	    read_number(s, n, &p, 2, &hour) != 2 || p >= n || s[p++] != ':' ||
	    read_number(s, n, &p, 2, &minute) != 2 || p >= n || s[p++] != ':' ||
	    read_number(s, n, &p, 2, &second) != 2)
		return -1;
	if (p < n && s[p] == '.') {
		p++;
		if (read_number(s, n, &p, 3, &ms) != 3)
			return -1;
	}
	if (p + 2 >= n || s[p] != ' ' || s[p + 2] != ' ')
		return -1;
	rl->level = redis_level(s[p + 1]);
	if (rl->level == SL_LEVEL_UNKNOWN ||
	    sl_time_from_parts(year, month, day, hour, minute, second, ms, 0, &rl->ts))
		return -1;
	rl->msg = p + 3;
	return 0;
}

static int redis_probe(const char *line, size_t len)
{
	redis_line rl;

	return parse_redis(line, len, &rl) ? 0 : 90;
}

static int redis_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	redis_line rl;

	(void)now_ms;
	if (parse_redis(line, len, &rl))
		return -1;
	ev->ts_ms = rl.ts;
	ev->level = rl.level;
	sl_event_set_field(ev, "pid", 3, line, rl.pid_len);
	sl_event_set_field(ev, "role", 4, line + rl.role, 1);
	sl_event_set_str(&ev->message, line + rl.msg, len - rl.msg);
	return 0;
}

const sl_decoder sl_decoder_redis = {
	.name = "redis",
	.probe = redis_probe,
	.decode = redis_decode,
};
