/* util.h: allocation, growable buffers, time and small parsing helpers. */
#ifndef SL_UTIL_H
#define SL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Allocators that never return NULL: on out-of-memory they run the fatal
 * hook (which restores the terminal) and abort. */
void *sl_malloc(size_t n);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);

/* Registers a function that sl_fatal() and the allocators call before they
 * abort, so the TUI can call endwin() first. */
void sl_set_fatal_hook(void (*hook)(void));
void sl_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Growable byte buffer, always NUL-terminated after any append. */
typedef struct sl_buf {
	char *data;
	size_t len;
	size_t cap;
} sl_buf;

void sl_buf_init(sl_buf *b);
void sl_buf_free(sl_buf *b);
void sl_buf_reset(sl_buf *b);
void sl_buf_reserve(sl_buf *b, size_t extra);
/* Inline because the JSON decoder calls it for every key and value of
 * every record. */
static inline void sl_buf_append(sl_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap)
		sl_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}
void sl_buf_puts(sl_buf *b, const char *s);
/* Inline because decoders and encoders call it once per byte. */
static inline void sl_buf_putc(sl_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		sl_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, cheaper than sl_buf_printf() in per-event paths. */
void sl_buf_put_u64(sl_buf *b, uint64_t v);
void sl_buf_put_i64(sl_buf *b, int64_t v);
/* Appends v as printf's %.17g does, which reads back as the same double.
 * Integers take a path without printf. */
void sl_buf_put_double(sl_buf *b, double v);
void sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap);
/* Appends s (n bytes, assumed valid UTF-8) as a quoted JSON string: quotes,
 * backslashes and every control character are escaped, C0 (below 0x20),
 * DEL and C1 (U+0080..U+009F), so no terminal control reaches an output. */
void sl_buf_json_str(sl_buf *b, const char *s, size_t n);
/* Appends s escaped as sl_buf_json_str() does, without the quotes. */
void sl_buf_json_chars(sl_buf *b, const char *s, size_t n);
/* Appends code point cp as UTF-8. NUL, surrogates and values past
 * U+10FFFF become U+FFFD, since event strings hold none of them. */
void sl_buf_put_utf8(sl_buf *b, unsigned cp);
/* Reads four hex digits at s, of which n bytes are readable. Returns 0 and
 * sets *out, or -1 when they are not four hex digits. */
int sl_parse_hex4(const char *s, size_t n, unsigned *out);
/* Moves the contents out as a malloc'd string and leaves b empty. */
char *sl_buf_steal(sl_buf *b);

/* Wall clock and monotonic clock in milliseconds. */
int64_t sl_now_ms(void);

/* Removes the files directly in dir, then dir itself. Subdirectories are
 * not removed, so dir stays when it has one. */
void sl_remove_flat_dir(const char *dir);
int64_t sl_mono_ms(void);

/* Formats a UTC millisecond timestamp as RFC 3339 with milliseconds,
 * "2026-01-02T03:04:05.678Z"; out must hold SL_TIME_STRLEN bytes. */
#define SL_TIME_STRLEN 32
void sl_format_time(int64_t ms, char *out, size_t outlen);

/* Days since 1970-01-01 of a proleptic Gregorian date; month is 1..12. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Sets *y, *m and *d to the proleptic Gregorian date of days since
 * 1970-01-01, the inverse of sl_days_from_civil(). */
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Writes v as width decimal digits, zero-padded, and returns the end. */
char *sl_put_digits(char *p, unsigned v, int width);

/* Parses a duration such as "90s", "15m", "2h", "7d", "1w" (a bare number is
 * seconds) into milliseconds. Returns 0, or -1 when s is not a duration. */
int sl_parse_duration(const char *s, int64_t *out_ms);

/* Parses a decimal integer in [min, max]. Returns 0, or -1 when s is not a
 * whole number in range. */
int sl_parse_int(const char *s, long long min, long long max, long long *out);

#endif
