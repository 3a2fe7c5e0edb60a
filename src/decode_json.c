/* decode_json.c: JSON lines, one object per line, parsed with jsmn. Nested
 * objects are flattened to dotted keys; well-known keys fill the event's
 * time, level, service, host and message, and every other key is a field. */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "timeparse.h"
#include "util.h"

/* Objects nested deeper than this are kept as JSON text in one field, so a
 * hostile line cannot exhaust the stack. */
#define MAX_DEPTH 32

/* One flattened member: dotted key and its value as text. */
typedef struct json_member {
	char *key;
	char *value;
	int is_string;
} json_member;

typedef struct json_doc {
	const char *js;
	jsmntok_t *tok;
	int ntok;
	json_member *members;
	size_t nmembers, cap;
	int malformed; /* a key without a value */
} json_doc;

/* Well-known keys for each event slot, best first. */
/* Keys of each slot, most preferred first. After the common names come
 * journald's export names (__REALTIME_TIMESTAMP in microseconds, PRIORITY
 * as a syslog severity) and OpenTelemetry's JSON log record names. */
static const char *const time_keys[] = {
	"timestamp", "@timestamp", "ts", "time", "date", "t", "__REALTIME_TIMESTAMP",
	"_SOURCE_REALTIME_TIMESTAMP", "timeUnixNano", "time_unix_nano", "observedTimeUnixNano",
	NULL,
};
static const char *const level_keys[] = {
	"level", "lvl", "severity", "log.level", "loglevel", "severityText", "severity_text",
	"PRIORITY", NULL,
};
static const char *const message_keys[] = {
	"message", "msg", "log", "text", "MESSAGE", "body", "body.stringValue", NULL,
};
static const char *const service_keys[] = {
	"service", "service.name", "app", "logger", "SYSLOG_IDENTIFIER", "_COMM",
	"resource.service.name", NULL,
};
static const char *const host_keys[] = {
	"host", "hostname", "host.name", "_HOSTNAME", "resource.host.name", NULL,
};

static int json_probe(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '{')
		return 0;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return line[len - 1] == '}' ? 95 : 60;
}

/* Parses js into a token array that grows until it fits. Returns the token
 * count, or a negative jsmn error. */
static int parse_tokens(const char *js, size_t len, jsmntok_t **out)
{
	jsmn_parser parser;
	unsigned cap = 64;
	jsmntok_t *tok = sl_malloc(cap * sizeof *tok);
	int r;

	jsmn_init(&parser);
	for (;;) {
		r = jsmn_parse(&parser, js, len, tok, cap);
		if (r != JSMN_ERROR_NOMEM)
			break;
		/* jsmn resumes where it stopped when given a larger array. */
		cap *= 2;
		tok = sl_realloc(tok, cap * sizeof *tok);
	}
	*out = tok;
	return r;
}

/* Returns the index just past token i and everything nested in it; nested
 * tokens lie inside their parent's byte range. */
static int skip_token(const json_doc *doc, int i)
{
	int end = doc->tok[i].end;

	for (i++; i < doc->ntok && doc->tok[i].start < end; i++)
		;
	return i;
}

/* Reads the four hex digits jsmn has already checked; U+FFFD if not. */
static unsigned hex_value(const char *s)
{
	unsigned v = 0xfffd;

	sl_parse_hex4(s, 4, &v);
	return v;
}

/* Decodes a \uXXXX escape at s[*i] (pointing at 'u'), joining a surrogate
 * pair. A lone surrogate and U+0000 become U+FFFD, because event strings
 * are valid UTF-8 without NUL bytes. */
static void decode_u_escape(const char *s, size_t n, size_t *i, sl_buf *out)
{
	unsigned cp = hex_value(s + *i + 1);

	*i += 5;
	if (cp >= 0xd800 && cp <= 0xdbff && *i + 6 <= n && s[*i] == '\\' && s[*i + 1] == 'u') {
		unsigned lo = hex_value(s + *i + 2);

		if (lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			*i += 6;
		}
	}
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	sl_buf_put_utf8(out, cp);
}

/* Appends the decoded contents of a JSON string token. jsmn has already
 * checked that every escape is well formed. */
static void decode_string(const char *s, size_t n, sl_buf *out)
{
	size_t i = 0;

	while (i < n) {
		char c = s[i];

		if (c != '\\' || i + 1 >= n) {
			sl_buf_putc(out, c);
			i++;
			continue;
		}
		c = s[i + 1];
		if (c == 'u' && i + 6 <= n) {
			i++;
			decode_u_escape(s, n, &i, out);
			continue;
		}
		switch (c) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		default: break; /* '"', '\\' and '/' stand for themselves */
		}
		sl_buf_putc(out, c);
		i += 2;
	}
}

/* Appends the JSON text of s without the whitespace between tokens. */
static void compact_json(const char *s, size_t n, sl_buf *out)
{
	int in_string = 0, escaped = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		sl_buf_putc(out, c);
	}
}

static void add_member(json_doc *doc, const sl_buf *key, const sl_buf *value, int is_string)
{
	json_member *m;

	if (doc->nmembers == doc->cap) {
		doc->cap = doc->cap ? doc->cap * 2 : 16;
		doc->members = sl_realloc(doc->members, doc->cap * sizeof *doc->members);
	}
	m = &doc->members[doc->nmembers++];
	m->key = sl_strndup(key->data ? key->data : "", key->len);
	m->value = sl_strndup(value->data ? value->data : "", value->len);
	m->is_string = is_string;
}

/* Adds the value token i under key (a dotted path) and returns the index
 * past it. Objects recurse with the key as prefix, up to MAX_DEPTH. */
static int flatten_value(json_doc *doc, int i, sl_buf *key, int depth);

static int flatten_object(json_doc *doc, int i, sl_buf *prefix, int depth)
{
	int nkeys = doc->tok[i].size;
	size_t base = prefix->len;
	int k;

	i++;
	for (k = 0; k < nkeys && i < doc->ntok; k++) {
		const jsmntok_t *kt = &doc->tok[i];

		/* jsmn lets a key without a value through ("{\"a\": }"). */
		if (kt->type != JSMN_STRING || kt->size != 1 || i + 1 >= doc->ntok) {
			doc->malformed = 1;
			return doc->ntok;
		}
		prefix->len = base;
		if (base)
			sl_buf_putc(prefix, '.');
		decode_string(doc->js + kt->start, (size_t)(kt->end - kt->start), prefix);
		i = flatten_value(doc, i + 1, prefix, depth);
	}
	prefix->len = base;
	if (prefix->data)
		prefix->data[base] = '\0';
	return i;
}

static int flatten_value(json_doc *doc, int i, sl_buf *key, int depth)
{
	const jsmntok_t *t = &doc->tok[i];
	const char *text = doc->js + t->start;
	size_t n = (size_t)(t->end - t->start);
	sl_buf value;

	if (t->type == JSMN_OBJECT && depth < MAX_DEPTH)
		return flatten_object(doc, i, key, depth + 1);

	sl_buf_init(&value);
	if (t->type == JSMN_STRING)
		decode_string(text, n, &value);
	else if (t->type == JSMN_PRIMITIVE)
		sl_buf_append(&value, text, n);
	else
		compact_json(text, n, &value);
	add_member(doc, key, &value, t->type == JSMN_STRING);
	sl_buf_free(&value);
	return skip_token(doc, i);
}

static int key_rank(const char *const *keys, const char *key)
{
	int r;

	for (r = 0; keys[r]; r++) {
		if (strcmp(keys[r], key) == 0)
			return r;
	}
	return -1;
}

/* Returns the index of the member that fills a slot: the best-ranked key
 * present, its last occurrence when repeated; -1 when none is present. */
static long pick_member(const json_doc *doc, const char *const *keys)
{
	long best = -1;
	int best_rank = 1 << 30;
	size_t m;

	for (m = 0; m < doc->nmembers; m++) {
		int r = key_rank(keys, doc->members[m].key);

		if (r >= 0 && r <= best_rank) {
			best = (long)m;
			best_rank = r;
		}
	}
	return best;
}

/* Maps a numeric level: syslog severities 0..7 (always for the "severity"
 * key), and bunyan/pino levels 10 trace .. 60 fatal. */
static sl_level numeric_level(const char *key, const char *text)
{
	static const sl_level syslog_levels[8] = {
		SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_ERROR,
		SL_LEVEL_WARN,  SL_LEVEL_INFO,  SL_LEVEL_INFO,  SL_LEVEL_DEBUG,
	};
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end != '\0' || v < 0)
		return SL_LEVEL_UNKNOWN;
	if (v <= 7 && (strcmp(key, "severity") == 0 || v < 10))
		return syslog_levels[v];
	if (v < 10)
		return SL_LEVEL_UNKNOWN;
	if (v >= 60)
		return SL_LEVEL_FATAL;
	return (sl_level)(SL_LEVEL_TRACE + (v / 10 - 1));
}

/* Maps a level value; a word with a numeric suffix ("DEBUG5") falls back to
 * the word. */
static sl_level level_from_member(const json_member *m)
{
	const char *v = m->value;
	size_t n = strlen(v);
	sl_level level;

	if (!m->is_string || (n > 0 && v[0] >= '0' && v[0] <= '9'))
		return numeric_level(m->key, v);
	level = sl_level_parse(v, n);
	while (level == SL_LEVEL_UNKNOWN && n > 1 && v[n - 1] >= '0' && v[n - 1] <= '9') {
		n--;
		level = sl_level_parse(v, n);
	}
	return level;
}

/* Fills the event slots from the members and turns the rest into fields.
 * A time or level that cannot be read stays as a field, so nothing is lost. */
static void assign_members(json_doc *doc, const char *line, size_t len, int64_t now_ms,
			   sl_event *ev)
{
	long ti = pick_member(doc, time_keys), li = pick_member(doc, level_keys);
	long mi = pick_member(doc, message_keys), si = pick_member(doc, service_keys);
	long hi = pick_member(doc, host_keys);
	long m;

	ev->flags |= SL_EV_TS_RECEIVED;
	if (ti >= 0 && sl_time_parse_value(doc->members[ti].value, strlen(doc->members[ti].value),
					   now_ms, &ev->ts_ms) == 0)
		ev->flags &= ~(unsigned)SL_EV_TS_RECEIVED;
	else
		ti = -1;
	if (li >= 0) {
		ev->level = level_from_member(&doc->members[li]);
		if (ev->level == SL_LEVEL_UNKNOWN)
			li = -1;
	}
	if (mi >= 0)
		ev->message = sl_strdup(doc->members[mi].value);
	else
		ev->message = sl_strndup(line, len);
	if (si >= 0)
		ev->service = sl_strdup(doc->members[si].value);
	if (hi >= 0)
		ev->host = sl_strdup(doc->members[hi].value);

	for (m = 0; m < (long)doc->nmembers; m++) {
		const json_member *jm = &doc->members[m];

		if (m == ti || m == li || m == mi || m == si || m == hi)
			continue;
		/* An earlier duplicate of a slot key was overridden by the last. */
		if ((ti >= 0 && strcmp(jm->key, doc->members[ti].key) == 0) ||
		    (li >= 0 && strcmp(jm->key, doc->members[li].key) == 0) ||
		    (mi >= 0 && strcmp(jm->key, doc->members[mi].key) == 0) ||
		    (si >= 0 && strcmp(jm->key, doc->members[si].key) == 0) ||
		    (hi >= 0 && strcmp(jm->key, doc->members[hi].key) == 0))
			continue;
		sl_event_set_field(ev, jm->key, strlen(jm->key), jm->value, strlen(jm->value));
	}
}

static void free_doc(json_doc *doc)
{
	size_t m;

	for (m = 0; m < doc->nmembers; m++) {
		free(doc->members[m].key);
		free(doc->members[m].value);
	}
	free(doc->members);
	free(doc->tok);
}

static int json_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	json_doc doc = {0};
	sl_buf prefix;
	size_t end;
	int rc = -1;

	doc.js = line;
	doc.ntok = parse_tokens(line, len, &doc.tok);
	if (doc.ntok < 1 || doc.tok[0].type != JSMN_OBJECT)
		goto out;
	/* Only whitespace may follow the object. */
	for (end = (size_t)doc.tok[0].end; end < len; end++) {
		if (line[end] != ' ' && line[end] != '\t')
			goto out;
	}

	sl_buf_init(&prefix);
	flatten_object(&doc, 0, &prefix, 0);
	sl_buf_free(&prefix);
	if (doc.malformed)
		goto out;
	assign_members(&doc, line, len, now_ms, ev);
	rc = 0;
out:
	free_doc(&doc);
	return rc;
}

const sl_decoder sl_decoder_json = {
	.name = "json",
	.probe = json_probe,
	.decode = json_decode,
};
