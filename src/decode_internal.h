/* decode_internal.h: helpers the decoder files share; not for callers of
 * decode.h. */
#ifndef SL_DECODE_INTERNAL_H
#define SL_DECODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* A decoder sets this event flag when the record gave a time of day without
 * a date, dated as sl_time_of_day_latest() does. The dispatcher then dates
 * it from the source's previous event and clears the flag, so it is never
 * stored. */
#define SL_EV_TIME_OF_DAY 0x80000000u

/* Returns the length of the ANSI escape sequences (CSI such as "\x1b[31m"
 * and two-byte ESC sequences) that open s, or 0. */
size_t sl_decode_skip_ansi(const char *s, size_t n);

/* Returns a malloc'd copy of s[0..n) without ANSI escape sequences, which
 * console encoders write around levels and keys when they log to a
 * terminal, and sets *out_len; NULL when s has none. */
char *sl_decode_strip_ansi(const char *s, size_t n, size_t *out_len);

/* Detects a level in free text the way the plain decoder does: a level word
 * or bracketed level that opens the text, else one found among its first
 * tokens. Returns SL_LEVEL_UNKNOWN when there is none. */
sl_level sl_decode_text_level(const char *s, size_t n);

/* Reads the time of a JSON object without parsing it, so also of one cut
 * short, from the first time key whose value is complete. Returns 0 and
 * sets *ts, or -1. */
int sl_decode_json_find_time(const char *s, size_t n, int64_t now_ms, int64_t *ts);

/* Adds the members of the JSON object in s[0..n) to ev as fields, nested
 * objects flattened to dotted keys. Returns 0, or -1 when s is not one JSON
 * object, in which case ev is unchanged. */
int sl_decode_json_fields(const char *s, size_t n, sl_event *ev);

#endif
