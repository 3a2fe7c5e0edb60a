/* util.c: allocation, buffers, time and parsing helpers. */
#define _POSIX_C_SOURCE 200809L

#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void (*fatal_hook)(void);

void sl_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

void sl_fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook)
		fatal_hook();
	fputs("streamlens: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *sl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sl_fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *sl_calloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		sl_fatal("out of memory allocating %zu x %zu bytes", count, size);
	return p;
}

void *sl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		sl_fatal("out of memory reallocating %zu bytes", n);
	return q;
}

char *sl_strdup(const char *s)
{
	return sl_strndup(s, strlen(s));
}

char *sl_strndup(const char *s, size_t n)
{
	char *p = sl_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void sl_buf_init(sl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sl_buf_free(sl_buf *b)
{
	free(b->data);
	sl_buf_init(b);
}

void sl_buf_reset(sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sl_buf_reserve(sl_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = sl_realloc(b->data, cap);
	b->cap = cap;
}

void sl_buf_puts(sl_buf *b, const char *s)
{
	sl_buf_append(b, s, strlen(s));
}

void sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	sl_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sl_buf_put_u64(sl_buf *b, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[sizeof digits - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sl_buf_append(b, digits + sizeof digits - n, n);
}

void sl_buf_put_i64(sl_buf *b, int64_t v)
{
	if (v < 0) {
		sl_buf_putc(b, '-');
		/* unsigned negation, so INT64_MIN has a magnitude too */
		sl_buf_put_u64(b, -(uint64_t)v);
		return;
	}
	sl_buf_put_u64(b, (uint64_t)v);
}

void sl_buf_put_double(sl_buf *b, double v)
{
	/* An integer below 1e17 has at most 17 digits, so %.17g prints it
	 * exactly, with neither a point nor an exponent. -0 keeps its sign. */
	if (v > -1e17 && v < 1e17 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
		sl_buf_put_i64(b, (int64_t)v);
		return;
	}
	sl_buf_printf(b, "%.17g", v);
}

/* 1 for the bytes that sl_buf_json_str() copies unchanged: printable ASCII
 * other than '"' (0x22) and '\\' (0x5c), and every byte from 0x80 on except
 * 0xc2, which starts the UTF-8 of a C1 control. */
static const unsigned char json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xa0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xb0 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xc0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xd0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xe0 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xf0 */
};

/* Writes to out, which has room for 6 bytes, the escape of the byte at s
 * (of n > 0 readable bytes) that json_plain marks as not plain. Sets *used
 * to the input bytes it consumed and returns the bytes it wrote. */
static size_t put_json_escape(char *out, const unsigned char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];

	*used = 1;
	/* A C1 control is 0xc2 0x80..0x9f in UTF-8, and some terminals act on
	 * it as they do on ESC (U+009B is CSI). */
	if (c == 0xc2) {
		if (n < 2 || s[1] < 0x80 || s[1] > 0x9f) {
			out[0] = (char)c;
			return 1;
		}
		c = s[1];
		*used = 2;
	}
	out[0] = '\\';
	switch (c) {
	case '"': out[1] = '"'; return 2;
	case '\\': out[1] = '\\'; return 2;
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	default:
		memcpy(out + 1, "u00", 3);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

void sl_buf_json_chars(sl_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, used;

	/* Room for the rest of the input and the terminator is reserved before
	 * each run and each escape, which writes at most 6 bytes, so both
	 * write to b->data without a check. */
	sl_buf_reserve(b, n + 1);
	while (i < n) {
		for (run = i; i < n && json_plain[u[i]]; i++)
			;
		memcpy(b->data + b->len, s + run, i - run);
		b->len += i - run;
		if (i == n)
			break;
		if (b->len + 6 + (n - i) + 1 > b->cap)
			sl_buf_reserve(b, 6 + (n - i));
		b->len += put_json_escape(b->data + b->len, u + i, n - i, &used);
		i += used;
	}
	b->data[b->len] = '\0';
}

void sl_buf_json_str(sl_buf *b, const char *s, size_t n)
{
	sl_buf_putc(b, '"');
	sl_buf_json_chars(b, s, n);
	sl_buf_putc(b, '"');
}

void sl_buf_put_utf8(sl_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sl_buf_append(b, u, n);
}

int sl_parse_hex4(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

char *sl_buf_steal(sl_buf *b)
{
	char *p = b->data ? b->data : sl_strdup("");

	sl_buf_init(b);
	return p;
}

int64_t sl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days-from-civil algorithm, valid for any Gregorian year. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The proleptic Gregorian date of days since 1970-01-01 is computed from
 * the same 400-year eras of 146097 days as sl_days_from_civil(). */
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	days += 719468; /* from 0000-03-01, so leap days end each year */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153; /* 0 is March */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

char *sl_put_digits(char *p, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void sl_format_time(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400, year;
	unsigned month, day, sod = (unsigned)(secs - days * 86400);
	struct tm tm;
	char *p = out;

	/* Years 0 to 9999 skip gmtime_r() and snprintf(), which took about a
	 * fifth of the instructions of sl_event_to_json() (callgrind of
	 * bench/redis_sink). Other years print as snprintf() does. */
	sl_civil_from_days(days, &year, &month, &day);
	if (year >= 0 && year <= 9999 && outlen >= sizeof "0000-00-00T00:00:00.000Z") {
		p = sl_put_digits(p, (unsigned)year, 4);
		*p++ = '-';
		p = sl_put_digits(p, month, 2);
		*p++ = '-';
		p = sl_put_digits(p, day, 2);
		*p++ = 'T';
		p = sl_put_digits(p, sod / 3600, 2);
		*p++ = ':';
		p = sl_put_digits(p, sod / 60 % 60, 2);
		*p++ = ':';
		p = sl_put_digits(p, sod % 60, 2);
		*p++ = '.';
		p = sl_put_digits(p, (unsigned)frac, 3);
		memcpy(p, "Z", 2);
		return;
	}

	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int sl_parse_duration(const char *s, int64_t *out_ms)
{
	char *end;
	double v;
	int64_t unit;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e12)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		unit = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		unit = 86400 * 1000;
	else if (strcmp(end, "w") == 0)
		unit = 7 * 86400 * (int64_t)1000;
	else
		return -1;
	*out_ms = (int64_t)(v * (double)unit);
	return 0;
}

int sl_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void sl_remove_flat_dir(const char *dir)
{
	char path[4400];
	struct dirent *entry;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((entry = readdir(d)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
