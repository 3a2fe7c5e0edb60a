/* event.h: the decoded log event, the unit every stage passes on. */
#ifndef SL_EVENT_H
#define SL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef enum sl_level {
	SL_LEVEL_UNKNOWN = 0,
	SL_LEVEL_TRACE,
	SL_LEVEL_DEBUG,
	SL_LEVEL_INFO,
	SL_LEVEL_WARN,
	SL_LEVEL_ERROR,
	SL_LEVEL_FATAL,
	SL_LEVEL_COUNT
} sl_level;

/* Event flags, stored with the event. */
#define SL_EV_TS_RECEIVED 0x01  /* no timestamp in the record: receive time used */
#define SL_EV_TS_INHERITED 0x02 /* no or unparsable timestamp: previous event's time used */
#define SL_EV_TRUNCATED 0x04    /* the line was cut at the line-length cap */
#define SL_EV_UNDECODED 0x08    /* no decoder understood it: stored as plain text */
#define SL_EV_INVALID_UTF8 0x10 /* invalid bytes were replaced with U+FFFD */

/* An extra field: key and scalar value as UTF-8 text. Both live in one
 * allocation owned by key, with value just past the key's NUL. Only
 * sl_event_set_field, sl_event_copy and sl_event_clear create or free them. */
typedef struct sl_field {
	char *key;
	char *value;
} sl_field;

#define SL_ID_MAX 80

/* All strings are owned by the event, valid UTF-8 and NUL-terminated; service,
 * host, message and raw are never NULL once decoded (empty when unknown). */
typedef struct sl_event {
	char id[SL_ID_MAX]; /* from the record's position; same record, same id */
	int64_t ts_ms;      /* event time, UTC, ms since the epoch */
	int64_t recv_ms;    /* when StreamLens read it */
	sl_level level;
	unsigned flags;
	char *service;
	char *host;
	char *message;
	char *raw;
	sl_field *fields;
	size_t nfields;
	size_t fields_cap;
	/* When not NULL, service, host, message and the fields array all live
	 * in this one allocation of block_len bytes (see sl_event_pack). raw
	 * keeps its own, so the record a decoder reads from raw stays where
	 * it is when the decoder packs the event. */
	char *block;
	size_t block_len;
} sl_event;

const char *sl_level_name(sl_level level);
/* Maps a level word ("ERROR", "warn", "E", "crit", ...) to a level, case
 * insensitive; returns SL_LEVEL_UNKNOWN when the word is not a level. */
sl_level sl_level_parse(const char *s, size_t n);

void sl_event_init(sl_event *ev);
/* Frees everything the event owns and leaves it initialised. */
void sl_event_clear(sl_event *ev);
/* Deep copy, packed when src is packed; dst must be initialised or cleared. */
void sl_event_copy(sl_event *dst, const sl_event *src);
/* Adds a field, copying key and value; a key already present is replaced, so
 * the last duplicate wins. */
void sl_event_set_field(sl_event *ev, const char *key, size_t klen, const char *val, size_t vlen);
const char *sl_event_get_field(const sl_event *ev, const char *key);
/* Replaces the string in *slot. On a packed event, call sl_event_unpack
 * first. */
void sl_event_set_str(char **slot, const char *s, size_t n);
/* Moves every string but raw and the fields array into one allocation, so
 * the event costs two frees instead of one per string. The decoder packs
 * each event it finishes, and sl_event_set_field unpacks on its own. */
void sl_event_pack(sl_event *ev);
/* Gives every string its own allocation again. */
void sl_event_unpack(sl_event *ev);

/* A string the event does not own: len bytes at s without NUL bytes, not
 * necessarily NUL-terminated. A NULL s is a missing string. */
typedef struct sl_strview {
	const char *s;
	size_t len;
} sl_strview;

/* The decoded parts of an event, none owned by it. Field i has the key
 * keys[i] and the value values[i], and no two fields have the same key. */
typedef struct sl_event_parts {
	sl_strview service, host, message;
	const sl_strview *keys, *values;
	size_t nfields;
} sl_event_parts;

/* Packs ev with copies of the parts in one allocation, as sl_event_pack
 * would after setting them, without an allocation per string. ev must be
 * unpacked and hold no service, host, message or field. Its raw is left
 * as it is. */
void sl_event_pack_parts(sl_event *ev, const sl_event_parts *parts);
/* Appends the event as one JSON object with id, timestamp, level, service,
 * host, message and fields. With with_raw (the stored form) it adds raw and
 * flags as a number. Without it (the form users read) it adds flags as a
 * list of names when any flag is set. */
void sl_event_to_json(const sl_event *ev, sl_buf *out, int with_raw);
/* Encodes the fields as a JSON object, the form the SQLite store keeps. */
void sl_fields_to_json(const sl_event *ev, sl_buf *out);

#endif
