/* decode_text.c: the text formats: plain lines with level detection, classic
 * syslog, the Apache error log, Apache/nginx access logs and logfmt.
 *
 * A decoder that finds no usable time in the line sets SL_EV_TS_RECEIVED;
 * sl_decode_record() then gives the event the previous event's time or the
 * receive time. */
#include "decode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode_internal.h"
#include "timeparse.h"
#include "util.h"

/* A span of the line being decoded. */
typedef struct span {
	const char *s;
	size_t n;
} span;

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

static int is_alpha(char c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z');
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

/* Maps a level word, also when it carries a numeric suffix ("trace1",
 * "DEBUG5") or a module prefix ("core:error", as Apache 2.4 writes it). */
static sl_level level_word(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	sl_level level;

	if (colon && colon + 1 < s + n) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	level = sl_level_parse(s, n);
	while (level == SL_LEVEL_UNKNOWN && n > 1 && is_digit(s[n - 1]))
		level = sl_level_parse(s, --n);
	return level;
}

/* ---- level detection ---- */

/* Reads a level in brackets at s[p]: "[error]", "<E>", "(WARN)". Single
 * letters count here, because brackets mark the token as a level. */
static sl_level bracketed_level(const char *s, size_t n, size_t p, size_t *end)
{
	static const char open[] = "[<(", close[] = "]>)";
	const char *o = p < n ? memchr(open, s[p], 3) : NULL;
	size_t q;

	if (!o || s[p] == '\0')
		return SL_LEVEL_UNKNOWN;
	for (q = p + 1; q < n && q - p <= 16 && s[q] != close[o - open]; q++)
		if (is_space(s[q]))
			return SL_LEVEL_UNKNOWN;
	if (q >= n || s[q] != close[o - open] || q == p + 1)
		return SL_LEVEL_UNKNOWN;
	*end = q + 1;
	return level_word(s + p + 1, q - p - 1);
}

/* Reads a bare level word at s[p] that opens the message: "ERROR ",
 * "error:", "WARN:", and after a timestamp the one-letter forms "E " and
 * "I0727" (glog writes the level letter before the date). A word in a sentence ("Error
 * opening") counts only in capitals or with a colon. */
static sl_level bare_level(const char *s, size_t n, size_t p, int after_time, size_t *end)
{
	size_t letters = p, q;
	int upper = 1;
	sl_level level;

	while (letters < n && is_alpha(s[letters])) {
		upper &= is_upper(s[letters]);
		letters++;
	}
	q = letters;
	while (q < n && is_digit(s[q]))
		q++;
	if (letters == p || (q < n && !is_space(s[q]) && s[q] != ':' && s[q] != '\x1b'))
		return SL_LEVEL_UNKNOWN;

	/* Right after a timestamp the level is the next word, so lower case
	 * counts there too ("12:00:01 debug2 text", "12:00:01 err text"), from
	 * three letters on. */
	if (letters - p == 1) {
		if (!after_time || !upper || !memchr("TDIWEF", s[p], 6))
			return SL_LEVEL_UNKNOWN;
	} else if (!upper && (q >= n || s[q] != ':') && !(after_time && letters - p >= 3)) {
		return SL_LEVEL_UNKNOWN;
	}
	level = sl_level_parse(s + p, q - p);
	if (level == SL_LEVEL_UNKNOWN && (letters - p == 1 || q == letters))
		level = sl_level_parse(s + p, letters - p);
	if (level == SL_LEVEL_UNKNOWN)
		return level;
	*end = q < n && s[q] == ':' ? q + 1 : q;
	return level;
}

size_t sl_decode_skip_ansi(const char *s, size_t n)
{
	size_t p = 0;

	while (p + 1 < n && s[p] == '\x1b') {
		size_t q = p + 2;

		if (s[p + 1] != '[') {
			p += 2;
			continue;
		}
		/* CSI: parameter and intermediate bytes, then one final byte. */
		while (q < n && (unsigned char)s[q] >= 0x20 && (unsigned char)s[q] <= 0x3f)
			q++;
		if (q >= n || (unsigned char)s[q] < 0x40 || (unsigned char)s[q] > 0x7e)
			return p;
		p = q + 1;
	}
	return p;
}

/* Detects a level that opens s; sets *rest to where the message starts.
 * Colour codes before the level ("\x1b[31mERROR") are looked through, and
 * when the level is stripped they go with it. */
static sl_level prefix_level(const char *s, size_t n, int after_time, size_t *rest)
{
	size_t ansi = sl_decode_skip_ansi(s, n), end = 0;
	sl_level level = bracketed_level(s, n, ansi, &end);

	if (level == SL_LEVEL_UNKNOWN)
		level = bare_level(s, n, ansi, after_time, &end);
	if (level == SL_LEVEL_UNKNOWN)
		return level;
	end += sl_decode_skip_ansi(s + end, n - end);
	if (end < n && s[end] == ':')
		end++;
	end += sl_decode_skip_ansi(s + end, n - end);
	*rest = skip_spaces(s, n, end);
	return level;
}

/* Reads "level=warn" style tokens (also lvl, severity, loglevel). */
static sl_level keyed_level(const char *s, size_t n, size_t p)
{
	static const char *const keys[] = {"level=", "lvl=", "severity=", "loglevel=", NULL};
	size_t i, k, end;

	for (k = 0; keys[k]; k++) {
		size_t kl = strlen(keys[k]);

		if (n - p <= kl || strncasecmp(s + p, keys[k], kl) != 0)
			continue;
		i = p + kl;
		if (s[i] == '"')
			i++;
		for (end = i; end < n && is_alpha(s[end]); end++)
			;
		return level_word(s + i, end - i);
	}
	return SL_LEVEL_UNKNOWN;
}

/* Returns where the level starts in a Monolog "channel.LEVEL" token
 * s[p..end), just past the last dot; p when the token has no dot. */
static size_t channel_level_start(const char *s, size_t p, size_t end)
{
	size_t q = end;

	while (q > p && s[q - 1] != '.')
		q--;
	return q > p + 1 ? q : p;
}

/* Looks for a level inside the line: a bracketed level or level=... token
 * anywhere, or a capitalised level word of four letters or more among the
 * first tokens ("RAS KERNEL INFO", "148 INFO dfs.DataNode"). */
static sl_level scan_level(const char *s, size_t n)
{
	size_t p = 0, end;
	unsigned tokens = 0;
	sl_level level;

	while (p < n) {
		p = skip_spaces(s, n, p);
		if (p >= n)
			break;
		level = bracketed_level(s, n, p, &end);
		if (level == SL_LEVEL_UNKNOWN)
			level = keyed_level(s, n, p);
		end = token_end(s, n, p);
		/* BlueGene/L puts its level in the ninth token, and Monolog
		 * writes it after the channel: "laravel.EMERGENCY:". */
		if (level == SL_LEVEL_UNKNOWN && tokens < 10 && end - p >= 4) {
			size_t w = s[end - 1] == ':' ? end - 1 : end;
			size_t start = channel_level_start(s, p, w), q = start;

			while (q < w && is_upper(s[q]))
				q++;
			if (q == w && w > start)
				level = sl_level_parse(s + start, w - start);
		}
		if (level != SL_LEVEL_UNKNOWN)
			return level;
		tokens++;
		p = end;
	}
	return SL_LEVEL_UNKNOWN;
}

sl_level sl_decode_text_level(const char *s, size_t n)
{
	size_t rest;
	sl_level level = prefix_level(s, n, 0, &rest);

	return level != SL_LEVEL_UNKNOWN ? level : scan_level(s, n);
}

/* Sets the level and message from the text after the time: a level prefix is
 * cut from the message, a level found further in is not. */
static void set_level_message(const char *s, size_t n, int after_time, int strip, sl_event *ev)
{
	size_t rest = 0;
	sl_level level = prefix_level(s, n, after_time, &rest);

	if (level == SL_LEVEL_UNKNOWN)
		level = scan_level(s, n);
	else if (!strip)
		rest = 0;
	if (ev->level == SL_LEVEL_UNKNOWN)
		ev->level = level;
	sl_event_set_str(&ev->message, s + rest, n - rest);
}

/* ---- plain text ---- */

/* Returns 1 when the token at s[p..end) looks like a date or a clock
 * ("29/01", "10:15:02,9") although no known form matched: digits with '-',
 * '/' or ':' between them. Dotted numbers such as IP addresses do not count. */
static int looks_like_time(const char *s, size_t p, size_t end)
{
	size_t digits = 0, seps = 0, i;

	if (p >= end || !is_digit(s[p]))
		return 0;
	for (i = p; i < end; i++) {
		if (is_digit(s[i]))
			digits++;
		else if (s[i] == '-' || s[i] == '/' || s[i] == ':')
			seps++;
		else if (!memchr(".,TZ+", s[i], 5))
			return 0;
	}
	return seps > 0 && digits >= 3;
}

/* Reads a time of day without a date ("10:11:12.345"), bare or in
 * brackets, dated as sl_time_of_day_latest() does. Returns the bytes it
 * takes, or 0. */
static size_t leading_clock(const char *s, size_t n, int64_t now_ms, int64_t *ts)
{
	size_t open = n > 2 && s[0] == '[', used = sl_time_parse_clock(s + open, n - open, ts);

	if (!used || (open && (open + used >= n || s[open + used] != ']')))
		return 0;
	if (open + used + open < n && !is_space(s[open + used + open]))
		return 0;
	*ts = sl_time_of_day_latest(*ts, now_ms);
	return open + used + open;
}

/* Reads a leading timestamp, bare or in brackets. Returns the bytes it
 * takes, or 0; sets *bad when the line opens with a time that no known form
 * matches, which is then skipped, and *clock for a time of day alone. */
static size_t leading_time(const char *s, size_t n, int64_t now_ms, int64_t *ts, int *bad,
			   int *clock)
{
	size_t used = sl_time_parse(s, n, now_ms, ts);
	size_t p = 0, end;
	unsigned skipped = 0;

	*bad = 0;
	*clock = 0;
	if (used)
		return used;
	if (n > 2 && s[0] == '[') {
		used = sl_time_parse(s + 1, n - 1, now_ms, ts);
		if (used && used + 1 < n && s[used + 1] == ']')
			return used + 2;
	}
	used = leading_clock(s, n, now_ms, ts);
	if (used) {
		*clock = 1;
		return used;
	}
	while (skipped < 3) {
		end = token_end(s, n, p);
		if (!looks_like_time(s, p, end))
			break;
		skipped++;
		p = skip_spaces(s, n, end);
	}
	*bad = skipped > 0;
	return p;
}

/* Finds a timestamp that opens one of the tokens after the first, up to
 * the sixth, for lines that put an id, a file name or a node first
 * (OpenStack, BlueGene/L, HPC). Only long forms count: an epoch needs nine
 * digits and a token of its own. Returns 1 and sets *ts when found. */
static int embedded_time(const char *s, size_t n, int64_t now_ms, int64_t *ts)
{
	size_t p = token_end(s, n, 0);
	unsigned k;

	for (k = 1; k < 6 && p < n; k++) {
		size_t used;

		p = skip_spaces(s, n, p);
		if (p >= n)
			break;
		used = is_digit(s[p]) ? sl_time_parse(s + p, n - p, now_ms, ts) : 0;
		if (used >= 9 && (p + used >= n || is_space(s[p + used])))
			return 1;
		p = token_end(s, n, p);
	}
	return 0;
}

static int plain_probe(const char *line, size_t len)
{
	(void)line;
	(void)len;
	return 1;
}

static int plain_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	int64_t ts = 0;
	int bad, clock;
	size_t p = leading_time(line, len, now_ms, &ts, &bad, &clock);
	int has_time = p > 0 && !bad;

	if (has_time) {
		ev->ts_ms = ts;
		if (clock)
			ev->flags |= SL_EV_TIME_OF_DAY;
	} else if (p == 0 && embedded_time(line, len, now_ms, &ts)) {
		ev->ts_ms = ts;
	} else {
		ev->flags |= SL_EV_TS_RECEIVED;
	}
	p = skip_spaces(line, len, p);
	set_level_message(line + p, len - p, p > 0, 1, ev);
	return 0;
}

const sl_decoder sl_decoder_plain = {
	.name = "plain",
	.probe = plain_probe,
	.decode = plain_decode,
};

/* ---- Apache error log ---- */

/* Reads "[Sun Dec 04 04:47:44 2005]" at the start. Returns the bytes taken,
 * or 0. */
static size_t bracketed_ctime(const char *s, size_t n, int64_t now_ms, int64_t *ts)
{
	size_t used;

	if (n < 3 || s[0] != '[' || !is_alpha(s[1]))
		return 0;
	used = sl_time_parse(s + 1, n - 1, now_ms, ts);
	/* The syslog form has no year; the error log form always has one. */
	if (!used || used + 1 >= n || s[used + 1] != ']' || !is_digit(s[used]))
		return 0;
	return used + 2;
}

static int apache_error_probe(const char *line, size_t len)
{
	int64_t ts;
	size_t p = bracketed_ctime(line, len, 0, &ts);

	if (!p)
		return 0;
	p = skip_spaces(line, len, p);
	return p < len && line[p] == '[' ? 85 : 40;
}

/* Sets the field of one group's value v[0..end): "pid 812:tid 140" gives
 * the fields pid and tid. */
static void set_apache_group(sl_event *ev, const char *name, const char *v, const char *end)
{
	const char *tid = NULL, *colon;
	size_t nl = strlen(name);

	if (strcmp(name, "pid") == 0 && (colon = memchr(v, ':', (size_t)(end - v))) != NULL &&
	    end - colon > 5 && strncmp(colon + 1, "tid ", 4) == 0) {
		tid = colon + 5;
		sl_event_set_field(ev, "tid", 3, tid, (size_t)(end - tid));
		end = colon;
	}
	sl_event_set_field(ev, name, nl, v, (size_t)(end - v));
}

/* Moves "[pid 35708:tid 4328636416]" and "[client 1.2.3.4:5]" groups, which
 * Apache 2.4 writes after the level, into fields. Returns the new position. */
static size_t apache_groups(const char *s, size_t n, size_t p, sl_event *ev)
{
	static const char *const names[] = {"pid", "client", NULL};
	unsigned k;

	for (;;) {
		const char *close;
		int found = 0;

		if (p >= n || s[p] != '[')
			return p;
		close = memchr(s + p, ']', n - p);
		if (!close)
			return p;
		for (k = 0; names[k]; k++) {
			size_t kl = strlen(names[k]);

			if (s + p + 1 + kl < close && strncmp(s + p + 1, names[k], kl) == 0 &&
			    s[p + 1 + kl] == ' ') {
				set_apache_group(ev, names[k], s + p + 2 + kl, close);
				found = 1;
			}
		}
		if (!found)
			return p;
		p = skip_spaces(s, n, (size_t)(close - s) + 1);
	}
}

static int apache_error_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	size_t p = bracketed_ctime(line, len, now_ms, &ev->ts_ms), end = 0;

	if (!p)
		return -1;
	p = skip_spaces(line, len, p);
	ev->level = bracketed_level(line, len, p, &end);
	if (ev->level != SL_LEVEL_UNKNOWN) {
		/* Apache 2.4 names the module before the level: "[core:error]". */
		const char *colon = memchr(line + p, ':', end - p);

		if (colon && colon > line + p + 1)
			sl_event_set_field(ev, "module", 6, line + p + 1, (size_t)(colon - (line + p + 1)));
		p = skip_spaces(line, len, end);
	}
	p = apache_groups(line, len, p, ev);
	sl_event_set_str(&ev->message, line + p, len - p);
	return 0;
}

const sl_decoder sl_decoder_apache_error = {
	.name = "apache_error",
	.probe = apache_error_probe,
	.decode = apache_error_decode,
};

/* ---- syslog ---- */

/* Returns 1 when the stamp at s is "Mmm dd yyyy ...", which has a year
 * where a classic syslog stamp has its clock. */
static int year_after_day(const char *s, size_t n)
{
	size_t p = skip_spaces(s, n, 3), digits = 0;

	while (p < n && is_digit(s[p]))
		p++;
	p = skip_spaces(s, n, p);
	while (p + digits < n && is_digit(s[p + digits]))
		digits++;
	return digits == 4 && p + 4 < n && s[p + 4] == ' ';
}

/* Maps the severity in a syslog PRI (facility * 8 + severity). */
static sl_level pri_level(unsigned pri)
{
	static const sl_level levels[8] = {
		SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_ERROR,
		SL_LEVEL_WARN,  SL_LEVEL_INFO,  SL_LEVEL_INFO,  SL_LEVEL_DEBUG,
	};

	return levels[pri & 7];
}

/* Reads "<34>" (0..191). Returns the bytes taken, or 0. */
static size_t read_pri(const char *s, size_t n, unsigned *pri)
{
	size_t p = 1;
	unsigned v = 0;

	if (n < 3 || s[0] != '<')
		return 0;
	while (p < n && p <= 3 && is_digit(s[p]))
		v = v * 10 + (unsigned)(s[p++] - '0');
	if (p == 1 || p >= n || s[p] != '>' || v > 191)
		return 0;
	*pri = v;
	return p + 1;
}

/* The parts of "<PRI>Mmm dd HH:MM:SS host prog[pid]: message". */
typedef struct syslog_line {
	int has_pri;
	unsigned pri;
	int64_t ts;
	span host, prog, pid, msg;
} syslog_line;

/* Splits "prog[pid]: msg" or "prog: msg". Without a tag the whole text is
 * the message. */
static void split_tag(const char *s, size_t n, syslog_line *sl)
{
	size_t p = 0;

	while (p < n && s[p] != '[' && s[p] != ':' && !is_space(s[p]))
		p++;
	sl->msg = (span){s, n};
	if (p == 0 || p >= n)
		return;
	if (s[p] == '[') {
		const char *close = memchr(s + p, ']', n - p);

		if (!close || close + 1 >= s + n || close[1] != ':')
			return;
		sl->pid = (span){s + p + 1, (size_t)(close - s) - p - 1};
		sl->prog = (span){s, p};
		p = (size_t)(close - s) + 2;
	} else if (s[p] == ':') {
		sl->prog = (span){s, p};
		p++;
	} else {
		return;
	}
	if (p < n && s[p] == ' ')
		p++;
	sl->msg = (span){s + p, n - p};
}

/* Returns the length of the frame length RFC 6587 octet counting puts
 * before a message ("215 " in "215 <86>1 ..."), or 0. */
static size_t octet_count_len(const char *s, size_t n)
{
	size_t p = 0;

	while (p < n && p < 9 && is_digit(s[p]))
		p++;
	if (p > 0 && p + 1 < n && s[p] == ' ' && s[p + 1] == '<')
		return p + 1;
	return 0;
}

static int parse_syslog(const char *s, size_t n, int64_t now_ms, syslog_line *sl)
{
	size_t p, used, end;

	memset(sl, 0, sizeof *sl);
	p = octet_count_len(s, n);
	s += p;
	n -= p;
	p = read_pri(s, n, &sl->pri);
	sl->has_pri = p > 0;
	/* Without a PRI only the classic "Mmm dd" stamp marks a syslog line;
	 * with one, any timestamp form is accepted. */
	if (!sl->has_pri && (p >= n || !is_alpha(s[p]) || year_after_day(s + p, n - p)))
		return -1;
	used = sl_time_parse(s + p, n - p, now_ms, &sl->ts);
	if (!used)
		return -1;
	p += used;
	if (p >= n || s[p] != ' ')
		return -1;
	p = skip_spaces(s, n, p);
	end = token_end(s, n, p);
	if (end == p || end >= n)
		return -1;
	sl->host = (span){s + p, end - p};
	p = skip_spaces(s, n, end);
	split_tag(s + p, n - p, sl);
	return 0;
}

/* Reads one RFC 5424 header field ending in a space ("-" is empty).
 * Returns -1 when the line ends first. */
static int header_field(const char *s, size_t n, size_t *p, span *out)
{
	size_t end = token_end(s, n, *p);

	if (end == *p || end >= n)
		return -1;
	*out = (end - *p == 1 && s[*p] == '-') ? (span){NULL, 0} : (span){s + *p, end - *p};
	*p = end + 1;
	return 0;
}

/* Reads the structured data: "-" or one or more "[id k="v" ...]" elements,
 * where \] inside a value does not close the element. */
static int structured_data(const char *s, size_t n, size_t *p, span *out)
{
	size_t q = *p;

	*out = (span){NULL, 0};
	if (q < n && s[q] == '-') {
		*p = q + 1;
		return 0;
	}
	while (q < n && s[q] == '[') {
		int quoted = 0;

		for (q++; q < n && (quoted || s[q] != ']'); q++) {
			if (s[q] == '\\' && q + 1 < n)
				q++;
			else if (s[q] == '"')
				quoted = !quoted;
		}
		if (q >= n)
			return -1;
		q++;
	}
	if (q == *p)
		return -1;
	*out = (span){s + *p, q - *p};
	*p = q;
	return 0;
}

/* The parts of "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" (RFC 5424).
 * The PRI may be missing, as some relays strip it. */
typedef struct rfc5424_line {
	int has_pri;
	unsigned pri;
	int64_t ts;
	int has_ts;
	span host, app, procid, msgid, sd, msg;
} rfc5424_line;

static int parse_rfc5424(const char *s, size_t n, int64_t now_ms, rfc5424_line *rl)
{
	size_t p, used;

	memset(rl, 0, sizeof *rl);
	p = octet_count_len(s, n);
	s += p;
	n -= p;
	p = read_pri(s, n, &rl->pri);
	rl->has_pri = p > 0;
	if (p + 2 >= n || s[p] != '1' || s[p + 1] != ' ')
		return -1;
	p += 2;
	if (s[p] == '-') {
		p++;
	} else {
		used = sl_time_parse(s + p, n - p, now_ms, &rl->ts);
		if (!used || !is_digit(s[p]))
			return -1;
		rl->has_ts = 1;
		p += used;
	}
	if (p >= n || s[p] != ' ')
		return -1;
	p++;
	if (header_field(s, n, &p, &rl->host) || header_field(s, n, &p, &rl->app) ||
	    header_field(s, n, &p, &rl->procid) || header_field(s, n, &p, &rl->msgid) ||
	    structured_data(s, n, &p, &rl->sd))
		return -1;
	p = skip_spaces(s, n, p);
	/* A message may open with a UTF-8 byte order mark. */
	if (n - p >= 3 && memcmp(s + p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	rl->msg = (span){s + p, n - p};
	return 0;
}

/* Keeps each SD-PARAM as a field "sd.<SD-ID>.<name>"; the value's \" \\
 * and \] escapes are undone. */
static void set_sd_fields(sl_event *ev, span sd)
{
	const char *s = sd.s, *end;

	/* No structured data ("-") leaves sd.s NULL, and NULL + 0 is undefined. */
	if (!s)
		return;
	end = s + sd.n;
	while (s < end && *s == '[') {
		const char *id = ++s;
		size_t idn;

		while (s < end && *s != ' ' && *s != ']')
			s++;
		idn = (size_t)(s - id);
		while (s < end && *s == ' ') {
			const char *name = ++s, *eq;
			sl_buf key, val;

			eq = memchr(name, '=', (size_t)(end - name));
			if (!eq || eq + 1 >= end || eq[1] != '"')
				return;
			sl_buf_init(&key);
			sl_buf_init(&val);
			sl_buf_printf(&key, "sd.%.*s.%.*s", (int)idn, id, (int)(eq - name), name);
			for (s = eq + 2; s < end && *s != '"'; s++) {
				if (*s == '\\' && s + 1 < end)
					s++;
				sl_buf_putc(&val, *s);
			}
			sl_event_set_field(ev, key.data, key.len, val.data ? val.data : "", val.len);
			sl_buf_free(&key);
			sl_buf_free(&val);
			if (s < end)
				s++;
		}
		if (s < end && *s == ']')
			s++;
	}
}

static int rfc5424_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	rfc5424_line rl;

	if (parse_rfc5424(line, len, now_ms, &rl))
		return -1;
	if (rl.has_ts)
		ev->ts_ms = rl.ts;
	else
		ev->flags |= SL_EV_TS_RECEIVED;
	if (rl.host.n)
		sl_event_set_str(&ev->host, rl.host.s, rl.host.n);
	if (rl.app.n)
		sl_event_set_str(&ev->service, rl.app.s, rl.app.n);
	if (rl.procid.n)
		sl_event_set_field(ev, "pid", 3, rl.procid.s, rl.procid.n);
	if (rl.msgid.n)
		sl_event_set_field(ev, "msgid", 5, rl.msgid.s, rl.msgid.n);
	set_sd_fields(ev, rl.sd);
	if (rl.has_pri)
		ev->level = pri_level(rl.pri);
	set_level_message(rl.msg.s, rl.msg.n, 0, 0, ev);
	return 0;
}

static int syslog_probe(const char *line, size_t len)
{
	syslog_line sl;
	rfc5424_line rl;

	if (parse_rfc5424(line, len, 0, &rl) == 0)
		return rl.has_pri ? 85 : 60;

	/* The year only matters for the decoded time, not for the match. */
	if (parse_syslog(line, len, 0, &sl))
		return 0;
	return sl.prog.n || sl.has_pri ? 80 : 50;
}

static int syslog_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	syslog_line sl;

	if (rfc5424_decode(line, len, now_ms, ev) == 0)
		return 0;
	if (parse_syslog(line, len, now_ms, &sl))
		return -1;
	ev->ts_ms = sl.ts;
	sl_event_set_str(&ev->host, sl.host.s, sl.host.n);
	if (sl.prog.n)
		sl_event_set_str(&ev->service, sl.prog.s, sl.prog.n);
	if (sl.pid.n)
		sl_event_set_field(ev, "pid", 3, sl.pid.s, sl.pid.n);
	if (sl.has_pri)
		ev->level = pri_level(sl.pri);
	/* The message stays verbatim; a level word in it only sets the level. */
	set_level_message(sl.msg.s, sl.msg.n, 0, 0, ev);
	return 0;
}

const sl_decoder sl_decoder_syslog = {
	.name = "syslog",
	.probe = syslog_probe,
	.decode = syslog_decode,
};

/* ---- access logs ---- */

/* The parts of a common or combined access log line:
 * host ident user [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326
 * "referer" "user agent" */
typedef struct access_line {
	span client, ident, user, request, status, bytes, referer, agent;
	int64_t ts;
} access_line;

/* Reads a double-quoted string at s[*p], where \" does not end it. */
static int read_quoted(const char *s, size_t n, size_t *p, span *out)
{
	size_t q = *p + 1;

	if (*p >= n || s[*p] != '"')
		return -1;
	while (q < n && s[q] != '"') {
		if (s[q] == '\\' && q + 1 < n)
			q++;
		q++;
	}
	if (q >= n)
		return -1;
	*out = (span){s + *p + 1, q - *p - 1};
	*p = q + 1;
	return 0;
}

static int read_token(const char *s, size_t n, size_t *p, span *out)
{
	size_t end = token_end(s, n, *p);

	if (end == *p || end >= n)
		return -1;
	*out = (span){s + *p, end - *p};
	*p = end + 1;
	return 0;
}

static int parse_access(const char *s, size_t n, access_line *al)
{
	size_t p = 0, used, end;

	memset(al, 0, sizeof *al);
	if (read_token(s, n, &p, &al->client) || read_token(s, n, &p, &al->ident) ||
	    read_token(s, n, &p, &al->user) || p >= n || s[p] != '[')
		return -1;
	used = sl_time_parse(s + p + 1, n - p - 1, 0, &al->ts);
	if (!used || !is_digit(s[p + 1]) || p + 1 + used >= n || s[p + 1 + used] != ']')
		return -1;
	p += used + 2;
	if (p >= n || s[p] != ' ')
		return -1;
	p++;
	if (read_quoted(s, n, &p, &al->request) || p >= n || s[p] != ' ')
		return -1;
	p++;
	end = token_end(s, n, p);
	if (end - p != 3 || !is_digit(s[p]) || !is_digit(s[p + 1]) || !is_digit(s[p + 2]))
		return -1;
	al->status = (span){s + p, 3};
	p = skip_spaces(s, n, end);
	end = token_end(s, n, p);
	al->bytes = (span){s + p, end - p};
	p = skip_spaces(s, n, end);

	/* The combined form adds referer and user agent. */
	if (read_quoted(s, n, &p, &al->referer) == 0) {
		p = skip_spaces(s, n, p);
		read_quoted(s, n, &p, &al->agent);
	}
	return 0;
}

static int combined_probe(const char *line, size_t len)
{
	access_line al;

	return parse_access(line, len, &al) ? 0 : 90;
}

static void set_span_field(sl_event *ev, const char *key, span v)
{
	/* "-" is how access logs write an empty value. */
	if (v.s && !(v.n == 1 && v.s[0] == '-'))
		sl_event_set_field(ev, key, strlen(key), v.s, v.n);
}

/* Splits "GET /path HTTP/1.1" into method, path and protocol fields; a
 * request line of another shape is kept whole. */
static void set_request_fields(sl_event *ev, span req)
{
	const char *sp1 = memchr(req.s, ' ', req.n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(req.s + req.n - sp1 - 1)) : NULL;

	if (!sp1 || !sp2) {
		set_span_field(ev, "request", req);
		return;
	}
	set_span_field(ev, "method", (span){req.s, (size_t)(sp1 - req.s)});
	set_span_field(ev, "path", (span){sp1 + 1, (size_t)(sp2 - sp1 - 1)});
	set_span_field(ev, "protocol", (span){sp2 + 1, (size_t)(req.s + req.n - sp2 - 1)});
}

static int combined_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	access_line al;
	sl_buf msg;

	(void)now_ms;
	if (parse_access(line, len, &al))
		return -1;
	ev->ts_ms = al.ts;
	if (al.status.s[0] == '5')
		ev->level = SL_LEVEL_ERROR;
	else if (al.status.s[0] == '4')
		ev->level = SL_LEVEL_WARN;
	else
		ev->level = SL_LEVEL_INFO;

	set_span_field(ev, "client", al.client);
	set_span_field(ev, "user", al.user);
	set_request_fields(ev, al.request);
	set_span_field(ev, "status", al.status);
	set_span_field(ev, "bytes", al.bytes);
	set_span_field(ev, "referer", al.referer);
	set_span_field(ev, "user_agent", al.agent);

	/* The message is what a reader scans for: request, status and size. */
	sl_buf_init(&msg);
	sl_buf_append(&msg, al.request.s, al.request.n);
	sl_buf_putc(&msg, ' ');
	sl_buf_append(&msg, al.status.s, al.status.n);
	sl_buf_putc(&msg, ' ');
	sl_buf_append(&msg, al.bytes.s, al.bytes.n);
	free(ev->message);
	ev->message = sl_buf_steal(&msg);
	return 0;
}

const sl_decoder sl_decoder_combined = {
	.name = "combined",
	.probe = combined_probe,
	.decode = combined_decode,
};

/* ---- logfmt ---- */

/* Reads the next key=value pair at s[*p]. A key without '=' gets an empty
 * value and *bare is set. Returns -1 at the end of the line or on an
 * unterminated quote. */
static int next_pair(const char *s, size_t n, size_t *p, span *key, span *val, int *quoted,
		     int *bare)
{
	size_t q = skip_spaces(s, n, *p);

	if (q >= n)
		return -1;
	key->s = s + q;
	while (q < n && s[q] != '=' && !is_space(s[q]))
		q++;
	key->n = (size_t)(s + q - key->s);
	*bare = q >= n || s[q] != '=' || key->n == 0;
	*quoted = 0;
	*val = (span){s + q, 0};
	if (*bare) {
		*p = q < n && s[q] == '=' ? q + 1 : q;
		return 0;
	}
	q++;
	if (q < n && s[q] == '"') {
		if (read_quoted(s, n, &q, val))
			return -1;
		*quoted = 1;
	} else {
		size_t end = token_end(s, n, q);

		*val = (span){s + q, end - q};
		q = end;
	}
	*p = q;
	return 0;
}

/* Returns 1 when a bare key may stand in a logfmt line: a word without
 * quotes, which logfmt reads as a flag set to true. */
static int valid_bare_key(span key)
{
	return key.n > 0 && !memchr(key.s, '"', key.n);
}

/* Returns 1 when the counts of key=value pairs and bare keys in a line
 * make it logfmt: it opens with a pair, has two pairs or more, and fewer
 * bare keys than pairs, so plain text with one "level=warn" in it stays
 * plain text. */
static int logfmt_shape(unsigned pairs, unsigned bare_keys, int opens_with_pair)
{
	return opens_with_pair && pairs >= 2 && bare_keys < pairs;
}

static int logfmt_probe(const char *line, size_t len)
{
	size_t p = 0;
	unsigned pairs = 0, bare_keys = 0;
	int known = 0, opens_with_pair = -1;
	span key, val;
	int quoted, bare;

	while (next_pair(line, len, &p, &key, &val, &quoted, &bare) == 0) {
		if (opens_with_pair < 0)
			opens_with_pair = !bare;
		if (bare) {
			if (!valid_bare_key(key))
				return 0;
			bare_keys++;
			continue;
		}
		pairs++;
		if ((key.n == 3 && strncmp(key.s, "msg", 3) == 0) ||
		    (key.n == 5 && strncmp(key.s, "level", 5) == 0))
			known = 10;
	}
	/* Text left over means a quote was never closed. */
	if (skip_spaces(line, len, p) < len)
		return 0;
	return logfmt_shape(pairs, bare_keys, opens_with_pair == 1) ? 70 + known : 0;
}

/* Copies a logfmt value, undoing \" \\ \n and \t in quoted values. */
static char *logfmt_value(span v, int quoted)
{
	sl_buf out;
	size_t i;

	sl_buf_init(&out);
	for (i = 0; i < v.n; i++) {
		char c = v.s[i];

		if (quoted && c == '\\' && i + 1 < v.n) {
			c = v.s[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
		}
		sl_buf_putc(&out, c);
	}
	return sl_buf_steal(&out);
}

static int key_in(span key, const char *const *names)
{
	size_t k;

	for (k = 0; names[k]; k++) {
		if (strlen(names[k]) == key.n && strncmp(names[k], key.s, key.n) == 0)
			return 1;
	}
	return 0;
}

/* Puts one pair into its event slot, or into the fields. */
static void logfmt_assign(sl_event *ev, span key, char *value, int64_t now_ms, int *has_time)
{
	static const char *const time_keys[] = {"time", "ts", "timestamp", "t", "date", "@timestamp", NULL};
	static const char *const level_keys[] = {"level", "lvl", "severity", "loglevel", NULL};
	static const char *const msg_keys[] = {"msg", "message", NULL};
	static const char *const service_keys[] = {"service", "app", "logger", NULL};
	static const char *const host_keys[] = {"host", "hostname", NULL};
	sl_level level;

	if (key_in(key, time_keys) && sl_time_parse_value(value, strlen(value), now_ms, &ev->ts_ms) == 0) {
		*has_time = 1;
		return;
	}
	level = level_word(value, strlen(value));
	if (key_in(key, level_keys) && level != SL_LEVEL_UNKNOWN) {
		ev->level = level;
		return;
	}
	if (key_in(key, msg_keys))
		sl_event_set_str(&ev->message, value, strlen(value));
	else if (key_in(key, service_keys))
		sl_event_set_str(&ev->service, value, strlen(value));
	else if (key_in(key, host_keys))
		sl_event_set_str(&ev->host, value, strlen(value));
	else
		sl_event_set_field(ev, key.s, key.n, value, strlen(value));
}

static int logfmt_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	size_t p = 0;
	unsigned pairs = 0, bare_keys = 0;
	int has_time = 0, opens_with_pair = -1, quoted, bare;
	span key, val;

	while (next_pair(line, len, &p, &key, &val, &quoted, &bare) == 0) {
		char *value;

		if (opens_with_pair < 0)
			opens_with_pair = !bare;
		if (bare) {
			if (!valid_bare_key(key))
				return -1;
			sl_event_set_field(ev, key.s, key.n, "true", 4);
			bare_keys++;
			continue;
		}
		value = logfmt_value(val, quoted);
		logfmt_assign(ev, key, value, now_ms, &has_time);
		free(value);
		pairs++;
	}
	if (skip_spaces(line, len, p) < len || pairs == 0)
		return -1;
	/* Bare keys are accepted only in a line of the shape the probe
	 * checks, so plain text with one pair in it is rejected. */
	if (bare_keys > 0 && !logfmt_shape(pairs, bare_keys, opens_with_pair == 1))
		return -1;
	if (!has_time)
		ev->flags |= SL_EV_TS_RECEIVED;
	if (!ev->message)
		ev->message = sl_strndup(line, len);
	return 0;
}

const sl_decoder sl_decoder_logfmt = {
	.name = "logfmt",
	.probe = logfmt_probe,
	.decode = logfmt_decode,
};
