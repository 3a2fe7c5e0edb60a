/* timeparse.h: timestamp recognition for the decoders. */
#ifndef SL_TIMEPARSE_H
#define SL_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses a timestamp at the start of s (up to n bytes) into UTC ms. Accepted:
 * RFC 3339 / ISO 8601 ("2026-01-02T03:04:05.678Z", "+02:00" offsets, space in
 * place of T, no zone means UTC, comma before the fraction), the classic
 * syslog form "Jan  2 03:04:05" (year taken from now_ms: the latest year that
 * does not put the event more than a day in the future), the Apache error log
 * form "Sun Dec 04 04:47:44 2005", the access log form
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

/* Parses a JSON timestamp value: an RFC 3339 string, or an epoch number or
 * numeric string whose unit is found from its magnitude. Returns 0 or -1. */
int sl_time_parse_value(const char *s, size_t n, int64_t now_ms, int64_t *out_ms);

#endif
