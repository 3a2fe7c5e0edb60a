/* decode.h: turns raw records into events. Each format is an sl_decoder in a
 * table, so a new format plugs in without touching callers. */
#ifndef SL_DECODE_H
#define SL_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "record.h"

typedef struct sl_decoder {
	const char *name; /* as given to --format */
	/* Returns a confidence 0..100 that the line is in this format. */
	int (*probe)(const char *line, size_t len);
	/* Fills ev (already holding id, recv_ms and a sanitised raw) from the
	 * line. Returns 0, or -1 when the line is not in this format, in which
	 * case ev may be partly filled and the caller falls back to plain text. */
	int (*decode)(const char *line, size_t len, int64_t now_ms, sl_event *ev);
} sl_decoder;

/* The built-in formats, defined in decode_json.c, decode_text.c and
 * decode_app.c. */
extern const sl_decoder sl_decoder_json;
extern const sl_decoder sl_decoder_syslog;
extern const sl_decoder sl_decoder_combined;
extern const sl_decoder sl_decoder_logfmt;
extern const sl_decoder sl_decoder_apache_error;
extern const sl_decoder sl_decoder_log4j;
extern const sl_decoder sl_decoder_python;
extern const sl_decoder sl_decoder_glog;
extern const sl_decoder sl_decoder_zap;
extern const sl_decoder sl_decoder_zerolog;
extern const sl_decoder sl_decoder_logcat;
extern const sl_decoder sl_decoder_redis;
extern const sl_decoder sl_decoder_plain;

/* Room for one vote counter per built-in decoder. */
#define SL_DECODERS_MAX 16
/* Number of records at the start of a source whose formats auto detection
 * counts to choose the source's preferred format. */
#define SL_DECODE_SAMPLE 32

/* Per-source decoding state. */
typedef struct sl_decode_ctx {
	const sl_decoder *forced;    /* NULL for auto detection */
	const sl_decoder *preferred; /* format of most sampled records, or NULL */
	unsigned votes[SL_DECODERS_MAX]; /* sampled records per decoder */
	unsigned sampled;                /* records counted in votes */
	int64_t last_ts_ms;          /* previous event time, for lines without one */
	uint64_t decoded;
	uint64_t undecoded;
} sl_decode_ctx;

/* Looks a decoder up by --format name or alias ("auto" returns NULL and sets
 * *ok; an unknown name returns NULL and clears *ok). */
const sl_decoder *sl_decoder_find(const char *name, int *ok);
/* Names of all formats, NULL-terminated, for --help and errors. */
const char *const *sl_decoder_names(void);
/* The --format names and aliases as one comma-separated list, for errors. */
const char *sl_decoder_names_text(void);

void sl_decode_ctx_init(sl_decode_ctx *ctx, const sl_decoder *forced);
/* Decodes one record into ev (initialised by the caller). Never fails: a
 * record no decoder understands is stored as a plain message with
 * SL_EV_UNDECODED. A record without a time takes the previous event's time
 * (SL_EV_TS_INHERITED), or the receive time when the source has none yet
 * (SL_EV_TS_RECEIVED). Invalid UTF-8 becomes U+FFFD. */
void sl_decode_record(sl_decode_ctx *ctx, const sl_record *rec, sl_event *ev);

/* sl_decode_record in two parts, so that several threads can decode the
 * records of one source. The first reads ctx without changing it and
 * returns the decoder that took the record (NULL when it is stored
 * undecoded), and ev's time may still be unresolved. The second, called for
 * each record in the source's order, resolves the time and counts the
 * record. Only for a settled ctx does the order of the first parts not
 * matter, because before that each record's format votes on the next. */
const sl_decoder *sl_decode_record_detached(const sl_decode_ctx *ctx, const sl_record *rec,
					    sl_event *ev);
void sl_decode_settle(sl_decode_ctx *ctx, const sl_decoder *dec, sl_event *ev);
/* Returns 1 when the format is forced or the sample that chooses the
 * preferred format is complete. */
int sl_decode_ctx_settled(const sl_decode_ctx *ctx);

/* Copies n bytes into a NUL-terminated malloc'd string, replacing each
 * invalid UTF-8 byte with U+FFFD and dropping NUL bytes. Sets *bad to the
 * number of replaced bytes when bad is not NULL. */
char *sl_utf8_sanitize(const char *s, size_t n, size_t *bad);

#endif
