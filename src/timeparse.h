/* timeparse.h: timestamp recognition for the decoders. */
#ifndef SL_TIMEPARSE_H
#define SL_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses a timestamp at the start of s (up to n bytes) into UTC ms. Accepted:
 * RFC 3339 / ISO 8601 ("2026-01-02T03:04:05.678Z", "+02:00" offsets, space in
 * place of T, no zone means UTC, comma before the fraction), the classic
 * syslog form "Jan  2 03:04:05" (year taken from now_ms: the latest year that
 * does not put the event more than a day in the future), "Dec 04 2026 10:11:12",
 * the Apache error log form "Sun Dec 04 04:47:44 2005", the access log form
 * "10/Oct/2000:13:55:36 -0700", HDFS "081109 203615" and "17/06/09 20:10:40"
 * (years 20yy), Android "03-17 16:13:38.811" and Proxifier "10.30 16:49:06"
 * (no year: found as for syslog), TAI64N "@4000000043322583...", and epoch
 * numbers (seconds, ms, us or ns by magnitude). Returns the number of bytes consumed, or 0 when s does not start
 * with a timestamp. */
size_t sl_time_parse(const char *s, size_t n, int64_t now_ms, int64_t *out_ms);

/* Converts a UTC date and time of day to ms. A negative year means the
 * record carries none (syslog, glog, logcat): the year is found from now_ms
 * as for syslog stamps. Returns 0, or -1 when the date does not exist. */
int sl_time_from_parts(int64_t year, unsigned month, unsigned day, unsigned hour,
		       unsigned minute, unsigned second, unsigned ms, int64_t now_ms, int64_t *out_ms);

/* Most a time of day without a date may lie after now_ms and still be
 * dated today: clock skew between the writer and the reader. */
#define SL_TIME_OF_DAY_SKEW_MS (60 * 60 * 1000)

/* Parses a time of day without a date, "HH:MM:SS" with an optional
 * fraction after '.' or ',', at the start of s into ms since midnight.
 * Returns the bytes consumed, or 0. */
size_t sl_time_parse_clock(const char *s, size_t n, int64_t *tod_ms);

/* Dates a time of day (ms since midnight UTC) on the latest day that puts
 * it at most SL_TIME_OF_DAY_SKEW_MS after now_ms. Returns UTC ms. */
int64_t sl_time_of_day_latest(int64_t tod_ms, int64_t now_ms);

/* Dates a time of day from the previous event of the source: on prev_ms's
 * day, or the next day when that would put it more than 12 hours before
 * prev_ms (the log passed midnight). Returns UTC ms. */
int64_t sl_time_of_day_after(int64_t tod_ms, int64_t prev_ms);

/* Parses a JSON timestamp value: an RFC 3339 string, or an epoch number or
 * numeric string whose unit is found from its magnitude. Returns 0 or -1. */
int sl_time_parse_value(const char *s, size_t n, int64_t now_ms, int64_t *out_ms);

#endif
