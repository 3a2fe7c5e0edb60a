/* decode_internal.h: helpers the decoder files share; not for callers of
 * decode.h. */
#ifndef SL_DECODE_INTERNAL_H
#define SL_DECODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Returns the length of the ANSI escape sequences (CSI such as "\x1b[31m"
 * and two-byte ESC sequences) that open s, or 0. */
size_t sl_decode_skip_ansi(const char *s, size_t n);

/* Detects a level in free text the way the plain decoder does: a level word
 * or bracketed level that opens the text, else one found among its first
 * tokens. Returns SL_LEVEL_UNKNOWN when there is none. */
sl_level sl_decode_text_level(const char *s, size_t n);

/* Adds the members of the JSON object in s[0..n) to ev as fields, nested
 * objects flattened to dotted keys. Returns 0, or -1 when s is not one JSON
 * object, in which case ev is unchanged. */
int sl_decode_json_fields(const char *s, size_t n, sl_event *ev);

#endif
