/* decode.c: the decoder table, auto detection and the dispatch that turns a
 * raw record into an event whatever the record holds. */
#include "decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode_internal.h"
#include "multiline.h"
#include "timeparse.h"
#include "util.h"

/* Probe order decides ties: the more specific formats come first, and plain
 * text, which accepts anything, is last. */
static const sl_decoder *const decoders[] = {
	&sl_decoder_json,    &sl_decoder_combined, &sl_decoder_apache_error, &sl_decoder_syslog,
	&sl_decoder_glog,    &sl_decoder_logcat,   &sl_decoder_zap,          &sl_decoder_zerolog,
	&sl_decoder_redis,   &sl_decoder_python,   &sl_decoder_log4j,        &sl_decoder_logfmt,
	&sl_decoder_plain,
};

#define NDECODERS (sizeof decoders / sizeof decoders[0])
_Static_assert(NDECODERS <= SL_DECODERS_MAX, "SL_DECODERS_MAX is too small");

#define MS_PER_DAY (86400 * (int64_t)1000)

/* Marks ctx->last_ts_ms as holding no time yet. */
#define NO_TIME INT64_MIN

/* A format needs this many of the sampled records, and more than half of
 * them, to become the source's preferred format. */
#define MIN_VOTES 3

static const char *const format_names[] = {
	"auto",   "json",   "logfmt", "syslog", "combined", "apache_error", "log4j",
	"python", "glog",   "zap",    "zerolog", "logcat",  "redis",        "plain", NULL,
};

/* Other names people know these formats by. */
static const struct {
	const char *alias;
	const sl_decoder *decoder;
} aliases[] = {
	{"common", &sl_decoder_combined},
	{"nginx", &sl_decoder_combined},
	{"logback", &sl_decoder_log4j},
	{"android", &sl_decoder_logcat},
};

const char *const *sl_decoder_names(void)
{
	return format_names;
}

const char *sl_decoder_names_text(void)
{
	return "auto, json, logfmt, syslog, combined (or common, nginx), apache_error, "
	       "log4j (or logback), python, glog, zap, zerolog, logcat (or android), redis, plain";
}

const sl_decoder *sl_decoder_find(const char *name, int *ok)
{
	size_t i;

	*ok = 1;
	if (!name || strcasecmp(name, "auto") == 0)
		return NULL;
	/* Names match in any case, so "JSON" is json. */
	for (i = 0; i < NDECODERS; i++) {
		if (strcasecmp(decoders[i]->name, name) == 0)
			return decoders[i];
	}
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcasecmp(aliases[i].alias, name) == 0)
			return aliases[i].decoder;
	}
	*ok = 0;
	return NULL;
}

void sl_decode_ctx_init(sl_decode_ctx *ctx, const sl_decoder *forced)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->forced = forced;
	ctx->last_ts_ms = NO_TIME;
}

/* Returns the length of the valid UTF-8 sequence at s[0..n), or 0 when the
 * byte at s starts no valid sequence: overlong forms, surrogates
 * (U+D800..U+DFFF), code points past U+10FFFF and cut-off sequences. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;

	/* The second byte's range excludes overlong forms, surrogates and
	 * values past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;

	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

char *sl_utf8_sanitize(const char *s, size_t n, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	sl_buf out;
	size_t i = 0, replaced = 0;

	sl_buf_init(&out);
	sl_buf_reserve(&out, n);
	while (i < n) {
		size_t run = i, len;

		/* Plain ASCII needs no check: copy the whole run at once. Eight
		 * bytes at a time while none is NUL or has its high bit set. */
		while (run + 8 <= n) {
			uint64_t w;

			memcpy(&w, u + run, 8);
			if (((w - 0x0101010101010101ULL) | w) & 0x8080808080808080ULL)
				break;
			run += 8;
		}
		while (run < n && u[run] >= 0x01 && u[run] < 0x80)
			run++;
		if (run > i) {
			sl_buf_append(&out, s + i, run - i);
			i = run;
			continue;
		}
		if (u[i] == 0) {
			i++;
			continue;
		}
		len = utf8_valid_len(u + i, n - i);
		if (len == 0) {
			sl_buf_append(&out, "\xef\xbf\xbd", 3);
			replaced++;
			i++;
			continue;
		}
		sl_buf_append(&out, s + i, len);
		i += len;
	}
	/* An empty line appended nothing, so terminate the reserved buffer. */
	sl_buf_append(&out, "", 0);
	if (bad)
		*bad = replaced;
	return sl_buf_steal(&out);
}

char *sl_decode_strip_ansi(const char *s, size_t n, size_t *out_len)
{
	sl_buf out;
	size_t p = 0;

	if (!memchr(s, '\x1b', n))
		return NULL;
	sl_buf_init(&out);
	while (p < n) {
		size_t esc = sl_decode_skip_ansi(s + p, n - p);

		if (esc) {
			p += esc;
			continue;
		}
		sl_buf_putc(&out, s[p++]);
	}
	sl_buf_append(&out, "", 0);
	*out_len = out.len;
	return sl_buf_steal(&out);
}

/* Frees what a failed decoder may have left in ev, keeping id, recv_ms, raw
 * and the flags that describe the record itself. */
static void reset_decoded(sl_event *ev, unsigned keep_flags)
{
	sl_event tmp;

	sl_event_init(&tmp);
	memcpy(tmp.id, ev->id, sizeof tmp.id);
	tmp.recv_ms = ev->recv_ms;
	tmp.raw = ev->raw;
	tmp.flags = keep_flags;
	ev->raw = NULL;
	sl_event_clear(ev);
	*ev = tmp;
}

static size_t decoder_index(const sl_decoder *dec)
{
	size_t i;

	for (i = 0; i < NDECODERS; i++) {
		if (decoders[i] == dec)
			return i;
	}
	return NDECODERS - 1;
}

/* Returns the decoder for the line: the source's preferred format when it
 * accepts the line, else the one whose probe is most confident about it,
 * plain text when none is. skip, when not NULL, is left out (it already
 * rejected the line). Plain text accepts every line, so a source preferring
 * it still has each line probed, and mixed sources keep working. */
static const sl_decoder *pick_decoder(const sl_decode_ctx *ctx, const char *line, size_t len,
				      const sl_decoder *skip)
{
	const sl_decoder *best = &sl_decoder_plain;
	int best_score = 0;
	size_t i;

	if (ctx->preferred && ctx->preferred != skip && ctx->preferred != &sl_decoder_plain &&
	    ctx->preferred->probe(line, len) > 0)
		return ctx->preferred;
	for (i = 0; i < NDECODERS; i++) {
		int score;

		if (decoders[i] == skip)
			continue;
		score = decoders[i]->probe(line, len);
		if (score > best_score) {
			best = decoders[i];
			best_score = score;
		}
	}
	return best;
}

/* Counts the format a sampled record decoded as, and makes the format of
 * most of the sample so far the preferred one. Mixed sources, where no
 * format has a majority, keep choosing per record alone. */
static void vote(sl_decode_ctx *ctx, const sl_decoder *dec)
{
	size_t i, best = 0;

	if (ctx->forced || ctx->sampled >= SL_DECODE_SAMPLE)
		return;
	ctx->votes[decoder_index(dec)]++;
	ctx->sampled++;
	for (i = 1; i < NDECODERS; i++) {
		if (ctx->votes[i] > ctx->votes[best])
			best = i;
	}
	if (ctx->votes[best] >= MIN_VOTES && ctx->votes[best] * 2 > ctx->sampled)
		ctx->preferred = decoders[best];
	else
		ctx->preferred = NULL;
}

/* Gives an event without a time of its own the previous event's time, or
 * the receive time when there was none, and an event with a time of day
 * alone the previous event's date. */
static void resolve_time(sl_decode_ctx *ctx, sl_event *ev)
{
	if (ev->flags & SL_EV_TIME_OF_DAY) {
		int64_t tod = ev->ts_ms % MS_PER_DAY;

		ev->flags &= ~SL_EV_TIME_OF_DAY;
		if (tod < 0)
			tod += MS_PER_DAY;
		if (ctx->last_ts_ms != NO_TIME)
			ev->ts_ms = sl_time_of_day_after(tod, ctx->last_ts_ms);
	}
	if (!(ev->flags & (SL_EV_TS_RECEIVED | SL_EV_TS_INHERITED))) {
		ctx->last_ts_ms = ev->ts_ms;
		return;
	}
	ev->flags &= ~(unsigned)(SL_EV_TS_RECEIVED | SL_EV_TS_INHERITED);
	/* NOTE: only times read from records are remembered, so a source
	 * without any timestamps gets receive times rather than the first
	 * line's time forever. */
	if (ctx->last_ts_ms != NO_TIME) {
		ev->ts_ms = ctx->last_ts_ms;
		ev->flags |= SL_EV_TS_INHERITED;
	} else {
		ev->ts_ms = ev->recv_ms;
		ev->flags |= SL_EV_TS_RECEIVED;
	}
}

/* Stores the line as plain text after the chosen decoder rejected it.
 * Plain text never fails, so its time, level detection and message still
 * apply. A leading timestamp it reads, or the time key of a JSON object
 * (cut short, or rejected by a forced format), is the event's time, and a line without one takes the previous
 * event's time like any other. */
static void decode_as_undecoded(const char *line, size_t len, sl_event *ev, unsigned keep)
{
	reset_decoded(ev, keep);
	sl_decoder_plain.decode(line, len, ev->recv_ms, ev);
	ev->flags |= SL_EV_UNDECODED;
	if ((ev->flags & SL_EV_TS_RECEIVED) &&
	    sl_decode_json_find_time(line, len, ev->recv_ms, &ev->ts_ms) == 0)
		ev->flags &= ~(unsigned)SL_EV_TS_RECEIVED;
}

/* Sets a missing string of ev to "". The JSON decoder packs its events
 * with every string set, and other decoders leave them unpacked. */
static void fill_empty(sl_event *ev, char **slot)
{
	if (*slot)
		return;
	sl_event_unpack(ev);
	*slot = sl_strdup("");
}

/* Returns the length of the first line of a multi-line record, which the
 * decoders read, or len when the record is one line or a JSON document. */
static size_t first_line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (!nl || (i < len && s[i] == '{'))
		return len;
	return (size_t)(nl - s);
}

/* Appends the continuation lines of a multi-line record, rest[0..n), to the
 * message, so a stack trace is searchable with the event that logged it. */
static void append_continuation(sl_event *ev, const char *rest, size_t n)
{
	sl_buf msg;

	if (n == 0)
		return;
	sl_event_unpack(ev);
	sl_buf_init(&msg);
	sl_buf_puts(&msg, ev->message ? ev->message : "");
	sl_buf_append(&msg, rest, n);
	free(ev->message);
	ev->message = sl_buf_steal(&msg);
}

/* Returns the length of a "docker compose logs" prefix ("web-1  | ", with
 * the colour and line-erase codes compose writes before it) and sets *name
 * to the service name in it; 0 when the line has none. */
static size_t compose_prefix(const char *s, size_t n, const char **name, size_t *name_len)
{
	size_t p = sl_decode_skip_ansi(s, n), start, end;

	start = p;
	while (p < n && (isalnum((unsigned char)s[p]) || s[p] == '-' || s[p] == '_' || s[p] == '.'))
		p++;
	end = p;
	if (end == start)
		return 0;
	p += sl_decode_skip_ansi(s + p, n - p);
	/* Compose pads the name with at least one space before the bar. */
	if (p >= n || s[p] != ' ')
		return 0;
	while (p < n && s[p] == ' ')
		p++;
	if (p + 1 >= n || s[p] != '|' || (s[p + 1] != ' ' && s[p + 1] != '\x1b'))
		return 0;
	p++;
	p += sl_decode_skip_ansi(s + p, n - p);
	if (p < n && s[p] == ' ')
		p++;
	*name = s + start;
	*name_len = end - start;
	return p;
}

/* Makes the compose service the event's service, because users filter
 * compose output by it. A service the line named itself (a logger) moves
 * to the "logger" field. */
static void set_compose_service(sl_event *ev, const char *name, size_t len)
{
	sl_event_unpack(ev);
	if (ev->service && *ev->service && !sl_event_get_field(ev, "logger"))
		sl_event_set_field(ev, "logger", 6, ev->service, strlen(ev->service));
	sl_event_set_str(&ev->service, name, len);
}

/* Decodes text[0..len) with the forced format, or else with the best
 * format for it and then the next best. Returns the decoder that took the
 * line. Returns NULL when only plain text would, and then ev holds only
 * what keep describes. */
static const sl_decoder *decode_with_best(const sl_decode_ctx *ctx, const char *text, size_t len,
					  int64_t now_ms, sl_event *ev, unsigned keep)
{
	const sl_decoder *dec = ctx->forced ? ctx->forced : pick_decoder(ctx, text, len, NULL);

	if (dec->decode(text, len, now_ms, ev) == 0)
		return dec;
	reset_decoded(ev, keep);
	if (ctx->forced)
		return NULL;
	/* Plain text takes any line, so falling back to it would hide that the
	 * line is broken (a cut JSON object): that is the undecoded case. */
	dec = pick_decoder(ctx, text, len, dec);
	if (dec != &sl_decoder_plain && dec->decode(text, len, now_ms, ev) == 0)
		return dec;
	reset_decoded(ev, keep);
	return NULL;
}

/* Returns the content of a record of CRI lines (containerd, CRI-O) as a
 * malloc'd string without their prefixes, with the parts of a split line
 * joined. Sets *cri to the first line's prefix and *out_len. Returns NULL
 * when the record does not open with a CRI prefix. */
static char *cri_content(const char *s, size_t n, sl_cri_prefix *cri, size_t *out_len)
{
	sl_buf out;
	size_t p = 0;
	int after_part = 0;

	if (!sl_cri_prefix_parse(s, n, cri))
		return NULL;
	sl_buf_init(&out);
	while (p < n) {
		const char *nl = memchr(s + p, '\n', n - p);
		size_t line = nl ? (size_t)(nl - (s + p)) : n - p;
		sl_cri_prefix part;

		if (p > 0 && !after_part)
			sl_buf_putc(&out, '\n');
		if (sl_cri_prefix_parse(s + p, line, &part)) {
			sl_buf_append(&out, s + p + part.len, line - part.len);
			after_part = part.partial;
		} else {
			sl_buf_append(&out, s + p, line);
			after_part = 0;
		}
		p += line + 1;
	}
	sl_buf_append(&out, "", 0);
	*out_len = out.len;
	return sl_buf_steal(&out);
}

/* Decodes text[0..text_len), the record without its prefixes, into ev,
 * leaving its time to sl_decode_settle. A CRI prefix, when cri is not NULL,
 * gives the time of content without one and the "stream" field. Returns
 * the decoder that took the text, or NULL when it is stored undecoded. */
static const sl_decoder *decode_text(const sl_decode_ctx *ctx, const char *text,
				     size_t text_len, int64_t recv_ms, const sl_cri_prefix *cri,
				     unsigned keep, sl_event *ev)
{
	size_t first = first_line_len(text, text_len);
	const sl_decoder *dec = decode_with_best(ctx, text, first, recv_ms, ev, keep);

	if (dec)
		ev->flags |= keep;
	else
		decode_as_undecoded(text, first, ev, keep);
	if (cri && (ev->flags & SL_EV_TS_RECEIVED)) {
		ev->ts_ms = cri->ts_ms;
		ev->flags &= ~(unsigned)SL_EV_TS_RECEIVED;
	}
	if (cri && !sl_event_get_field(ev, "stream"))
		sl_event_set_field(ev, "stream", 6, cri->stream, cri->stream_len);
	append_continuation(ev, text + first, text_len - first);
	return dec;
}

int sl_decode_ctx_settled(const sl_decode_ctx *ctx)
{
	return ctx->forced || ctx->sampled >= SL_DECODE_SAMPLE;
}

void sl_decode_settle(sl_decode_ctx *ctx, const sl_decoder *dec, sl_event *ev)
{
	resolve_time(ctx, ev);
	if (dec) {
		vote(ctx, dec);
		ctx->decoded++;
	} else {
		ctx->undecoded++;
	}
}

void sl_decode_record(sl_decode_ctx *ctx, const sl_record *rec, sl_event *ev)
{
	sl_decode_settle(ctx, sl_decode_record_detached(ctx, rec, ev), ev);
}

const sl_decoder *sl_decode_record_detached(const sl_decode_ctx *ctx, const sl_record *rec,
					    sl_event *ev)
{
	const sl_decoder *dec;
	const char *compose = NULL, *text;
	char *cri_copy, *plain_copy;
	size_t bad = 0, len, skip, compose_len = 0, text_len;
	sl_cri_prefix cri;
	unsigned keep = 0;

	sl_event_clear(ev);
	memcpy(ev->id, rec->id, sizeof ev->id);
	ev->id[SL_ID_MAX - 1] = '\0';
	ev->recv_ms = rec->recv_ms;
	ev->raw = sl_utf8_sanitize(rec->data ? rec->data : "", rec->data ? rec->len : 0, &bad);
	len = strlen(ev->raw);
	if (bad)
		keep |= SL_EV_INVALID_UTF8;
	if (rec->flags & SL_REC_TRUNCATED)
		keep |= SL_EV_TRUNCATED;
	ev->flags = keep;

	/* Decoders read the sanitised copy, so every string they cut from it is
	 * valid UTF-8 without NUL bytes. A "docker compose logs" prefix names
	 * the service and is not part of the line the service wrote. */
	skip = compose_prefix(ev->raw, len, &compose, &compose_len);
	text = ev->raw + skip;
	text_len = len - skip;

	/* The prefix containerd and CRI-O write before each line is no part
	 * of what the container wrote, just as the compose prefix. */
	cri_copy = cri_content(text, text_len, &cri, &text_len);
	if (cri_copy)
		text = cri_copy;

	/* Colour codes are no part of the text: decoders read and messages
	 * keep the line without them, and raw keeps them. */
	plain_copy = sl_decode_strip_ansi(text, text_len, &text_len);
	if (plain_copy)
		text = plain_copy;
	dec = decode_text(ctx, text, text_len, rec->recv_ms, cri_copy ? &cri : NULL, keep, ev);
	free(plain_copy);
	free(cri_copy);
	if (compose)
		set_compose_service(ev, compose, compose_len);

	fill_empty(ev, &ev->service);
	fill_empty(ev, &ev->host);
	fill_empty(ev, &ev->message);
	/* Events are freed on the writer thread, where two frees per event
	 * (the block and raw) are much cheaper than one per string. */
	sl_event_pack(ev);
	return dec;
}
