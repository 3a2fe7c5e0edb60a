/* decode_json.c: JSON lines, one object per line, split into tokens by
 * json_scan.c. Nested
 * objects are flattened to dotted keys; well-known keys fill the event's
 * time, level, service, host and message, and every other key is a field. */
#include "decode.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "json_scan.h"
#include "timeparse.h"
#include "util.h"

/* Objects nested deeper than this are kept as JSON text in one field, so a
 * hostile line cannot exhaust the stack. */
#define MAX_DEPTH 32

/* Tokens and members a typical record fits in without a heap allocation. */
#define STACK_TOKENS 128
#define STACK_MEMBERS 32
/* Bytes of a scratch buffer a thread keeps for its next record. */
#define SCRATCH_KEEP_MAX (64 * 1024)

/* One flattened member: dotted key and its value as text, both
 * NUL-terminated in the document's text buffer. While the document is
 * being flattened the buffer may move, so only the offsets are set. Key
 * and value point into it once parse_doc returns. */
typedef struct json_member {
	const char *key;
	const char *value;
	size_t key_off, key_len;
	size_t value_off, value_len;
	int is_string;
} json_member;

/* Buffers a thread reuses from one document to the next, so parsing a
 * record allocates nothing once they have grown to fit. */
typedef struct doc_scratch {
	sl_buf text;   /* every member's key and value */
	sl_buf prefix; /* the dotted key being built */
	sl_buf views;  /* the fields as sl_strview keys, then values */
} doc_scratch;

typedef struct json_doc {
	const char *js;
	sl_json_tok *tok;
	int ntok;
	json_member *members;
	size_t nmembers, cap;
	doc_scratch *scratch;
	sl_buf *text; /* scratch->text */
	int malformed; /* a key without a value */
	sl_json_tok tok_stack[STACK_TOKENS];
	json_member member_stack[STACK_MEMBERS];
} json_doc;

/* Keys of each slot, most preferred first. After the common names come
 * journald's export names (__REALTIME_TIMESTAMP in microseconds, PRIORITY
 * as a syslog severity), OpenTelemetry's JSON log record names in OTLP's
 * camelCase and in the data model's spelling ("Timestamp", "SeverityText",
 * "Body"). Then come Serilog's compact names (@t, @l, @m), GELF's
 * short_message, Monolog's level_name and datetime, python-json-logger's
 * asctime and levelname, and the request start times of HTTP logs
 * (Cloudflare's EdgeStartTimestamp, started_at). */
static const char *const time_keys[] = {
	"timestamp", "Timestamp", "@timestamp", "ts", "time", "date", "t", "@t", "datetime", "asctime",
	"timeMillis", "__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP", "timeUnixNano",
	"time_unix_nano", "observedTimeUnixNano", "eventTime", "event.created", "time_local",
	"started_at", "start_time", "startTime", "EdgeStartTimestamp", "created", NULL,
};
static const char *const level_keys[] = {
	"level", "lvl", "severity", "log.level", "loglevel", "log_level", "levelname",
	"level_name", "@l", "severityText", "severity_text", "SeverityText", "PRIORITY",
	"severityNumber", "severity_number", "SeverityNumber", NULL,
};
static const char *const message_keys[] = {
	"message", "msg", "log", "text", "MESSAGE", "@m", "@mt", "short_message", "body",
	"body.stringValue", "Body", "Body.stringValue", NULL,
};
static const char *const service_keys[] = {
	"service", "service.name", "app", "logger", "logger_name", "SYSLOG_IDENTIFIER", "_COMM",
	"resource.service.name", "Resource.service.name", "attributes.service.name", NULL,
};
static const char *const host_keys[] = {
	"host", "hostname", "host.name", "_HOSTNAME", "resource.host.name", "Resource.host.name",
	"attributes.host.name", NULL,
};
/* HTTP status keys; an event without a level key takes its level from the
 * status as access logs do: 5xx error, 4xx warn, else info. */
static const char *const status_keys[] = {
	"status", "response.status", "http.response.status_code", "status_code", "statusCode",
	"http.status_code", "response_status", "EdgeResponseStatus", "OriginResponseStatus", NULL,
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

/* Tokenizes js into doc->tok, which starts as the document's own array and
 * moves to the heap when a record needs more. Returns the token count, or
 * a negative SL_JSON_ERROR. */
static int parse_tokens(const char *js, size_t len, json_doc *doc)
{
	sl_json_tokens t;
	int r;

	sl_json_tokens_init(&t, doc->tok_stack, STACK_TOKENS);
	r = sl_json_scan(js, len, &t);
	doc->tok = t.tok;
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

/* Reads the four hex digits the tokenizer has already checked, or returns
 * U+FFFD when they are not hex digits. */
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

/* Appends the decoded contents of a JSON string. The tokenizer has already
 * checked that every escape is well formed. */
static void decode_string(const char *s, size_t n, sl_buf *out)
{
	size_t i = 0;

	while (i < n) {
		const char *esc = memchr(s + i, '\\', n - i);
		size_t run = esc ? (size_t)(esc - s) - i : n - i;
		char c;

		/* Copy the bytes up to the next escape at once. */
		if (run > 0) {
			sl_buf_append(out, s + i, run);
			i += run;
			continue;
		}
		if (i + 1 >= n) {
			sl_buf_putc(out, '\\');
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

/* Appends the contents of string token t. Only a string with an escape
 * needs decoding. */
static void append_string(const json_doc *doc, const sl_json_tok *t, sl_buf *out)
{
	const char *s = doc->js + t->start;
	size_t n = (size_t)(t->end - t->start);

	if (t->escaped)
		decode_string(s, n, out);
	else
		sl_buf_append(out, s, n);
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

/* Starts a member under key. The caller appends its value to doc->text
 * and ends it with end_member. */
static json_member *begin_member(json_doc *doc, const sl_buf *key, int is_string)
{
	json_member *m;

	if (doc->nmembers == doc->cap) {
		doc->cap *= 2;
		if (doc->members == doc->member_stack) {
			doc->members = sl_malloc(doc->cap * sizeof *doc->members);
			memcpy(doc->members, doc->member_stack, sizeof doc->member_stack);
		} else {
			doc->members = sl_realloc(doc->members, doc->cap * sizeof *doc->members);
		}
	}
	m = &doc->members[doc->nmembers++];
	m->key_off = doc->text->len;
	m->key_len = key->len;
	sl_buf_append(doc->text, key->data ? key->data : "", key->len);
	sl_buf_putc(doc->text, '\0');
	m->value_off = doc->text->len;
	m->is_string = is_string;
	return m;
}

static void end_member(json_doc *doc, json_member *m)
{
	m->value_len = doc->text->len - m->value_off;
	sl_buf_putc(doc->text, '\0');
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
		const sl_json_tok *kt = &doc->tok[i];

		/* The tokenizer lets a key without a value through ("{\"a\": }"). */
		if (kt->type != SL_JSON_STRING || kt->size != 1 || i + 1 >= doc->ntok) {
			doc->malformed = 1;
			return doc->ntok;
		}
		prefix->len = base;
		if (base)
			sl_buf_putc(prefix, '.');
		append_string(doc, kt, prefix);
		i = flatten_value(doc, i + 1, prefix, depth);
	}
	prefix->len = base;
	if (prefix->data)
		prefix->data[base] = '\0';
	return i;
}

/* Returns 1 when the token at i is the string s. */
static int token_is(const json_doc *doc, int i, const char *s)
{
	const sl_json_tok *t = &doc->tok[i];
	size_t n = strlen(s);

	return t->type == SL_JSON_STRING && (size_t)(t->end - t->start) == n &&
	       memcmp(doc->js + t->start, s, n) == 0;
}

/* Finds the "key" string and the typed value of the OpenTelemetry KeyValue
 * object at token i, {"key":"k","value":{"stringValue":"v"}}. Returns 0
 * and sets *key_at and *value_at (the token inside the "value" object), or
 * -1 when the object is not a KeyValue. */
static int otel_key_value(const json_doc *doc, int i, int *key_at, int *value_at)
{
	int nkeys = doc->tok[i].size, k, end = skip_token(doc, i);

	*key_at = *value_at = -1;
	if (doc->tok[i].type != SL_JSON_OBJECT)
		return -1;
	for (i++, k = 0; k < nkeys && i + 1 < end; k++) {
		if (token_is(doc, i, "key") && doc->tok[i + 1].type == SL_JSON_STRING)
			*key_at = i + 1;
		else if (token_is(doc, i, "value") && doc->tok[i + 1].type == SL_JSON_OBJECT &&
			 doc->tok[i + 1].size == 1 && i + 3 < end)
			*value_at = i + 3;
		i = skip_token(doc, i + 1);
	}
	return *key_at >= 0 && *value_at >= 0 ? 0 : -1;
}

/* Returns 1 when the array at token i is a non-empty list of OpenTelemetry
 * KeyValue objects, the form OTLP JSON gives attributes in. */
static int is_otel_attributes(const json_doc *doc, int i)
{
	int n = doc->tok[i].size, k, key_at, value_at;

	if (doc->tok[i].type != SL_JSON_ARRAY || n == 0)
		return 0;
	for (i++, k = 0; k < n; k++) {
		if (i >= doc->ntok || otel_key_value(doc, i, &key_at, &value_at) != 0)
			return 0;
		i = skip_token(doc, i);
	}
	return 1;
}

/* Flattens an OTLP attributes array at token i into one member per
 * attribute holding its typed value: "resource.attributes" gives
 * "resource.<key>", so service.name lands on "resource.service.name", and
 * a log record's own "attributes" gives "attributes.<key>". Returns the
 * index past the array. */
static int flatten_otel_attributes(json_doc *doc, int i, sl_buf *key, int depth)
{
	int n = doc->tok[i].size, end = skip_token(doc, i), k, key_at, value_at;
	size_t base = key->len;

	if (base > 11 && strcmp(key->data + base - 11, ".attributes") == 0)
		base -= 11;
	for (i++, k = 0; k < n; k++) {
		const sl_json_tok *kt;

		otel_key_value(doc, i, &key_at, &value_at);
		kt = &doc->tok[key_at];
		key->len = base;
		sl_buf_putc(key, '.');
		append_string(doc, kt, key);
		flatten_value(doc, value_at, key, depth + 1);
		i = skip_token(doc, i);
	}
	key->len = base;
	return end;
}

static int flatten_value(json_doc *doc, int i, sl_buf *key, int depth)
{
	const sl_json_tok *t = &doc->tok[i];
	const char *text = doc->js + t->start;
	size_t n = (size_t)(t->end - t->start);
	json_member *m;

	if (t->type == SL_JSON_OBJECT && depth < MAX_DEPTH)
		return flatten_object(doc, i, key, depth + 1);
	if (t->type == SL_JSON_ARRAY && depth < MAX_DEPTH && key->len >= 10 &&
	    strcmp(key->data + key->len - 10, "attributes") == 0 && is_otel_attributes(doc, i))
		return flatten_otel_attributes(doc, i, key, depth);

	m = begin_member(doc, key, t->type == SL_JSON_STRING);
	if (t->type == SL_JSON_STRING)
		append_string(doc, t, doc->text);
	else if (t->type == SL_JSON_PRIMITIVE)
		sl_buf_append(doc->text, text, n);
	else
		compact_json(text, n, doc->text);
	end_member(doc, m);
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

/* The event slots a member can fill, in the order of slot_keys. */
enum { SLOT_TIME, SLOT_LEVEL, SLOT_MESSAGE, SLOT_SERVICE, SLOT_HOST, SLOT_STATUS, NSLOTS };

static const char *const *const slot_keys[NSLOTS] = {
	time_keys, level_keys, message_keys, service_keys, host_keys, status_keys,
};

/* Every slot key in one open-addressing hash table, so each member's key is
 * looked up once rather than compared with every key of every slot. */
#define SLOT_TABLE_SIZE 256 /* a power of two, over twice the number of keys */

static struct slot_entry {
	const char *key;
	size_t len;
	int slot, rank;
} slot_table[SLOT_TABLE_SIZE];
static pthread_once_t slot_table_once = PTHREAD_ONCE_INIT;

/* FNV-1a. */
static unsigned key_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void slot_table_build(void)
{
	int slot, rank;

	for (slot = 0; slot < NSLOTS; slot++) {
		for (rank = 0; slot_keys[slot][rank]; rank++) {
			const char *key = slot_keys[slot][rank];
			size_t len = strlen(key);
			unsigned i = key_hash(key, len) & (SLOT_TABLE_SIZE - 1);

			while (slot_table[i].key)
				i = (i + 1) & (SLOT_TABLE_SIZE - 1);
			slot_table[i] = (struct slot_entry){key, len, slot, rank};
		}
	}
}

/* Sets best[s] to the member that fills slot s, as pick_member(doc,
 * slot_keys[s]) would, for every slot in one pass over the members. */
static void pick_slots(const json_doc *doc, long best[NSLOTS])
{
	int best_rank[NSLOTS];
	size_t m;
	int s;

	pthread_once(&slot_table_once, slot_table_build);
	for (s = 0; s < NSLOTS; s++) {
		best[s] = -1;
		best_rank[s] = 1 << 30;
	}
	for (m = 0; m < doc->nmembers; m++) {
		const json_member *jm = &doc->members[m];
		unsigned i = key_hash(jm->key, jm->key_len) & (SLOT_TABLE_SIZE - 1);

		/* A key may be in several slots' lists, so probe to the end. */
		for (; slot_table[i].key; i = (i + 1) & (SLOT_TABLE_SIZE - 1)) {
			const struct slot_entry *e = &slot_table[i];

			if (e->len != jm->key_len || memcmp(e->key, jm->key, e->len) != 0)
				continue;
			if (e->rank <= best_rank[e->slot]) {
				best[e->slot] = (long)m;
				best_rank[e->slot] = e->rank;
			}
		}
	}
}

/* Returns the member that fills a slot from one object down, for records
 * that wrap their fields ({"@fields":{"lvl":..,"msg":..}} as Logstash's
 * first JSON event format does): a string member "<name>.<key>" with one
 * dot, best-ranked key first; -1 when there is none. Numbers do not count,
 * so {"battery":{"level":80}} sets no level. */
static long pick_wrapped(const json_doc *doc, const char *const *keys)
{
	long best = -1;
	int best_rank = 1 << 30;
	size_t m;

	for (m = 0; m < doc->nmembers; m++) {
		const char *key = doc->members[m].key, *dot = strchr(key, '.');
		int r;

		if (!dot || dot == key || strchr(dot + 1, '.') || !doc->members[m].is_string)
			continue;
		r = key_rank(keys, dot + 1);
		if (r >= 0 && r < best_rank) {
			best = (long)m;
			best_rank = r;
		}
	}
	return best;
}

/* Returns 1 for the keys of OpenTelemetry's SeverityNumber. */
static int is_severity_number_key(const char *key)
{
	return strcmp(key, "severityNumber") == 0 || strcmp(key, "severity_number") == 0 ||
	       strcmp(key, "SeverityNumber") == 0;
}

/* Maps OpenTelemetry's SeverityNumber, four numbers per level from 1
 * TRACE to 21..24 FATAL, as the logs data model defines it. */
static sl_level severity_number_level(long v)
{
	if (v < 1 || v > 24)
		return SL_LEVEL_UNKNOWN;
	return (sl_level)(SL_LEVEL_TRACE + (v - 1) / 4);
}

/* Maps a numeric level: OpenTelemetry severity numbers for their keys,
 * syslog severities 0..7 (always for the "severity" key), and bunyan/pino
 * levels 10 trace .. 60 fatal. */
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
	if (is_severity_number_key(key))
		return severity_number_level(v);
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

/* Finds a time split into whole seconds and nanoseconds under one parent,
 * as log4j2's JsonLayout writes {"instant":{"epochSecond":..,
 * "nanoOfSecond":..}} and protobuf's JSON mapping writes {"timestamp":
 * {"seconds":..,"nanos":..}}. Returns 0 and sets *ms and the two member
 * indexes (*nanos_at -1 when absent), or -1. */
static int split_time(const json_doc *doc, int64_t *ms, long *secs_at, long *nanos_at)
{
	static const char *const parents[] = {"instant", "timestamp", "time", "ts", NULL};
	static const char *const pairs[][2] = {{"epochSecond", "nanoOfSecond"}, {"seconds", "nanos"}};
	size_t m, k, p;

	for (m = 0; m < doc->nmembers; m++) {
		const char *key = doc->members[m].key;

		for (p = 0; parents[p]; p++) {
			size_t pl = strlen(parents[p]);

			if (strncmp(key, parents[p], pl) != 0 || key[pl] != '.')
				continue;
			for (k = 0; k < 2; k++) {
				char nanos_key[64];
				char *end;
				long long secs;
				long n;

				if (strcmp(key + pl + 1, pairs[k][0]) != 0)
					continue;
				secs = strtoll(doc->members[m].value, &end, 10);
				if (end == doc->members[m].value || *end || secs < 0 || secs > 100000000000LL)
					return -1;
				*ms = secs * 1000;
				*secs_at = (long)m;
				*nanos_at = -1;
				snprintf(nanos_key, sizeof nanos_key, "%s.%s", parents[p], pairs[k][1]);
				n = pick_member(doc, (const char *const[]){nanos_key, NULL});
				if (n >= 0) {
					long long ns = strtoll(doc->members[n].value, &end, 10);

					if (*end == '\0' && ns >= 0 && ns < 1000000000LL) {
						*ms += ns / 1000000;
						*nanos_at = n;
					}
				}
				return 0;
			}
		}
	}
	return -1;
}

/* Maps an HTTP status number to a level as access logs do; unknown when the
 * value is not a status from 100 to 599. */
static sl_level status_level(const char *v)
{
	char *end;
	long status = strtol(v, &end, 10);

	if (end == v || *end != '\0' || status < 100 || status > 599)
		return SL_LEVEL_UNKNOWN;
	if (status >= 500)
		return SL_LEVEL_ERROR;
	return status >= 400 ? SL_LEVEL_WARN : SL_LEVEL_INFO;
}

/* Sets the level of an event whose record has no level key: from an HTTP
 * status, else from a level word in its message key, as plain text would. */
static void fallback_level(const json_doc *doc, long si, int has_message, sl_strview message,
			   sl_event *ev)
{
	if (si >= 0)
		ev->level = status_level(doc->members[si].value);
	if (ev->level == SL_LEVEL_UNKNOWN && has_message)
		ev->level = sl_decode_text_level(message.s, message.len);
}

/* Returns the length of msg[0..n) without the line terminator it kept:
 * Docker's json-file driver stores each line in "log" with its "\n". */
static size_t strip_newline(const char *msg, size_t n)
{
	if (n > 0 && msg[n - 1] == '\n')
		n--;
	if (n > 0 && msg[n - 1] == '\r')
		n--;
	return n;
}

/* Returns 1 when member m is, or duplicates the key of, one of the slot
 * members in used[0..nused), which become event slots and not fields. */
static int is_slot_member(const json_doc *doc, long m, const long *used, size_t nused)
{
	size_t u;

	for (u = 0; u < nused; u++) {
		if (used[u] < 0)
			continue;
		/* An earlier duplicate of a slot key was overridden by the last. */
		if (m == used[u] || (doc->members[m].key_len == doc->members[used[u]].key_len &&
				     memcmp(doc->members[m].key, doc->members[used[u]].key,
					    doc->members[m].key_len) == 0))
			return 1;
	}
	return 0;
}

/* Decodes journald's form of a MESSAGE that is not valid UTF-8 or contains
 * control bytes, an array of byte values ("[69,84,72]"), into text with
 * invalid bytes replaced. Returns NULL when text is not such an array. */
static char *journald_bytes(const char *text)
{
	sl_buf bytes;
	const char *p = text;
	char *out = NULL;

	if (*p++ != '[')
		return NULL;
	sl_buf_init(&bytes);
	while (*p && *p != ']') {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 0 || v > 255)
			goto done;
		sl_buf_putc(&bytes, (char)v);
		p = end;
		if (*p == ',')
			p++;
	}
	if (*p == ']' && p[1] == '\0')
		out = sl_utf8_sanitize(bytes.data ? bytes.data : "", bytes.len, NULL);
done:
	sl_buf_free(&bytes);
	return out;
}

/* Returns 1 when the record looks like bunyan's or pino's: a numeric level
 * 10..60, or both "hostname" and "pid", the fields both write on every
 * record. Their "name" is the logger's name, which is the service. */
static int is_bunyan_record(const json_doc *doc)
{
	long li = pick_member(doc, (const char *const[]){"level", NULL});

	if (li >= 0 && !doc->members[li].is_string) {
		char *end;
		long v = strtol(doc->members[li].value, &end, 10);

		if (*end == '\0' && v >= 10 && v <= 60 && v % 10 == 0)
			return 1;
	}
	return pick_member(doc, (const char *const[]){"hostname", NULL}) >= 0 &&
	       pick_member(doc, (const char *const[]){"pid", NULL}) >= 0;
}

/* Returns the member that names the service of a bunyan or pino record,
 * or -1: "name" is too common a key to be a service anywhere else. */
static long pick_bunyan_name(const json_doc *doc)
{
	long ni = pick_member(doc, (const char *const[]){"name", NULL});

	if (ni < 0 || !doc->members[ni].is_string || !is_bunyan_record(doc))
		return -1;
	return ni;
}

/* Returns member m's value as a view, or a missing string when m is -1. */
static sl_strview member_value(const json_doc *doc, long m)
{
	sl_strview v = {NULL, 0};

	if (m >= 0) {
		v.s = doc->members[m].value;
		v.len = doc->members[m].value_len;
	}
	return v;
}

/* Sets parts' fields to the members that fill no slot, as
 * sl_event_set_field would add them one by one: a repeated key keeps the
 * place of its first member and the value of its last. */
static void collect_fields(json_doc *doc, const long *used, size_t nused, sl_event_parts *parts)
{
	sl_buf *views = &doc->scratch->views;
	sl_strview *keys, *values;
	size_t n = 0, j;
	long m;

	sl_buf_reserve(views, 2 * doc->nmembers * sizeof *keys);
	keys = (sl_strview *)(void *)views->data;
	values = keys + doc->nmembers;
	for (m = 0; m < (long)doc->nmembers; m++) {
		const json_member *jm = &doc->members[m];

		if (is_slot_member(doc, m, used, nused))
			continue;
		for (j = 0; j < n; j++) {
			if (keys[j].len == jm->key_len && memcmp(keys[j].s, jm->key, jm->key_len) == 0)
				break;
		}
		keys[j].s = jm->key;
		keys[j].len = jm->key_len;
		values[j] = member_value(doc, m);
		if (j == n)
			n++;
	}
	parts->keys = keys;
	parts->values = values;
	parts->nfields = n;
}

/* Sets the event's time from member ti, else from a time split into
 * seconds and nanoseconds. Returns the member that gave it, or -1, and
 * sets *nanos to the nanoseconds member or -1. */
static long assign_time(const json_doc *doc, long ti, int64_t now_ms, sl_event *ev, long *nanos)
{
	ev->flags |= SL_EV_TS_RECEIVED;
	if (ti >= 0 && sl_time_parse_value(doc->members[ti].value, doc->members[ti].value_len,
					   now_ms, &ev->ts_ms) == 0)
		ev->flags &= ~(unsigned)SL_EV_TS_RECEIVED;
	else if (split_time(doc, &ev->ts_ms, &ti, nanos) == 0)
		ev->flags &= ~(unsigned)SL_EV_TS_RECEIVED;
	else
		ti = -1;
	return ti;
}

/* Returns the message of the record: member mi, or the whole line when
 * there is none. A journald MESSAGE given as bytes is decoded into
 * *decoded, which the caller frees. */
static sl_strview pick_message(const json_doc *doc, long mi, const char *line, size_t len,
			       char **decoded)
{
	sl_strview msg = {line, len};

	*decoded = NULL;
	if (mi >= 0 && !doc->members[mi].is_string && strcmp(doc->members[mi].key, "MESSAGE") == 0)
		*decoded = journald_bytes(doc->members[mi].value);
	if (*decoded) {
		msg.s = *decoded;
		msg.len = strip_newline(*decoded, strlen(*decoded));
	} else if (mi >= 0) {
		msg = member_value(doc, mi);
		if (strcmp(doc->members[mi].key, "log") == 0)
			msg.len = strip_newline(msg.s, msg.len);
	}
	return msg;
}

/* Fills the event slots from the members and turns the rest into fields,
 * then packs the event, copying each string once from the document. A
 * time or level that cannot be read stays as a field, so nothing is lost.
 * Service and host are set to "" when the record has none, as
 * sl_decode_record would set them after a decoder. */
static void assign_members(json_doc *doc, const char *line, size_t len, int64_t now_ms,
			   sl_event *ev)
{
	static const sl_strview empty = {"", 0};
	long slots[NSLOTS], ti, li, mi, si, hi, nanos = -1;
	long used[6];
	sl_event_parts parts;
	char *decoded;

	pick_slots(doc, slots);
	li = slots[SLOT_LEVEL];
	mi = slots[SLOT_MESSAGE];
	si = slots[SLOT_SERVICE];
	hi = slots[SLOT_HOST];

	if (li < 0)
		li = pick_wrapped(doc, level_keys);
	if (mi < 0)
		mi = pick_wrapped(doc, message_keys);
	/* The bunyan name also stays the "name" field that queries used
	 * before it became the service. */
	parts.service = member_value(doc, si >= 0 ? si : pick_bunyan_name(doc));
	parts.host = member_value(doc, hi);

	ti = assign_time(doc, slots[SLOT_TIME], now_ms, ev, &nanos);
	if (li >= 0) {
		ev->level = level_from_member(&doc->members[li]);
		if (ev->level == SL_LEVEL_UNKNOWN)
			li = -1;
	}
	parts.message = pick_message(doc, mi, line, len, &decoded);
	if (li < 0)
		fallback_level(doc, slots[SLOT_STATUS], mi >= 0, parts.message, ev);

	used[0] = ti;
	used[1] = li;
	used[2] = mi;
	used[3] = si;
	used[4] = hi;
	used[5] = nanos;
	collect_fields(doc, used, 6, &parts);
	if (!parts.service.s)
		parts.service = empty;
	if (!parts.host.s)
		parts.host = empty;
	sl_event_pack_parts(ev, &parts);
	free(decoded);
}

/* The calling thread's doc_scratch while no document uses it. */
static pthread_key_t scratch_key;
static int scratch_key_ok;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *ptr)
{
	doc_scratch *sc = ptr;

	sl_buf_free(&sc->text);
	sl_buf_free(&sc->prefix);
	sl_buf_free(&sc->views);
	free(sc);
}

/* Without the key, each document allocates and frees its own scratch. */
static void scratch_key_create(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* Takes the calling thread's scratch, or a new one when another document
 * of this thread still uses it, as when parse_doc runs inside a decoder
 * that parses. */
static doc_scratch *scratch_take(void)
{
	doc_scratch *sc = NULL;

	pthread_once(&scratch_once, scratch_key_create);
	if (scratch_key_ok)
		sc = pthread_getspecific(scratch_key);
	if (sc) {
		pthread_setspecific(scratch_key, NULL);
	} else {
		sc = sl_malloc(sizeof *sc);
		sl_buf_init(&sc->text);
		sl_buf_init(&sc->prefix);
		sl_buf_init(&sc->views);
	}
	sl_buf_reset(&sc->text);
	sl_buf_reset(&sc->prefix);
	sl_buf_reset(&sc->views);
	return sc;
}

/* Gives the scratch back to the thread, or frees it when the thread has
 * one already. Buffers grown past SCRATCH_KEEP_MAX by a long record are
 * freed, so one such record does not pin its size for the thread's life. */
static void scratch_give(doc_scratch *sc)
{
	if (sc->text.cap > SCRATCH_KEEP_MAX)
		sl_buf_free(&sc->text);
	if (sc->prefix.cap > SCRATCH_KEEP_MAX)
		sl_buf_free(&sc->prefix);
	if (sc->views.cap > SCRATCH_KEEP_MAX)
		sl_buf_free(&sc->views);
	if (scratch_key_ok && !pthread_getspecific(scratch_key) &&
	    pthread_setspecific(scratch_key, sc) == 0)
		return;
	scratch_free(sc);
}

static void free_doc(json_doc *doc)
{
	if (doc->members != doc->member_stack)
		free(doc->members);
	if (doc->tok != doc->tok_stack)
		free(doc->tok);
	scratch_give(doc->scratch);
}

/* Parses the JSON object in line[0..len) and flattens its members into
 * doc. Returns 0, or -1 when the line is not one well-formed object; the
 * caller frees doc either way. */
static int parse_doc(const char *line, size_t len, json_doc *doc)
{
	size_t end, m;

	/* The stack arrays are left uninitialised: they are large, and only
	 * the first ntok and nmembers entries are read. */
	doc->js = line;
	doc->members = doc->member_stack;
	doc->nmembers = 0;
	doc->cap = STACK_MEMBERS;
	doc->malformed = 0;
	doc->scratch = scratch_take();
	doc->text = &doc->scratch->text;
	doc->ntok = parse_tokens(line, len, doc);
	if (doc->ntok < 1 || doc->tok[0].type != SL_JSON_OBJECT)
		return -1;
	/* Only whitespace may follow the object. */
	for (end = (size_t)doc->tok[0].end; end < len; end++) {
		if (line[end] != ' ' && line[end] != '\t')
			return -1;
	}

	/* Keys and values are read as NUL-terminated strings, so the text
	 * buffer needs room for two terminators per member. Reserve what most
	 * records need. */
	sl_buf_reserve(doc->text, len + 64);
	flatten_object(doc, 0, &doc->scratch->prefix, 0);
	for (m = 0; m < doc->nmembers; m++) {
		doc->members[m].key = doc->text->data + doc->members[m].key_off;
		doc->members[m].value = doc->text->data + doc->members[m].value_off;
	}
	return doc->malformed ? -1 : 0;
}

/* Appends the "log" value of the Docker json-file record in line[0..len)
 * to msg, or the line itself when it is not one. */
static void append_docker_log(const char *line, size_t len, sl_buf *msg)
{
	json_doc doc;
	long li = -1;

	if (parse_doc(line, len, &doc) == 0)
		li = pick_member(&doc, (const char *const[]){"log", NULL});
	if (li >= 0)
		sl_buf_puts(msg, doc.members[li].value);
	else
		sl_buf_append(msg, line, len);
	free_doc(&doc);
}

/* Decodes the records of one line that Docker's json-file driver split
 * into several, one per line of s, each "log" holding a part and only the
 * last ending in "\n". The first record gives the time and the other keys,
 * and the parts joined give the message. */
static int docker_joined_decode(const char *s, size_t len, int64_t now_ms, sl_event *ev)
{
	const char *nl = memchr(s, '\n', len);
	size_t first = (size_t)(nl - s), p;
	json_doc doc;
	sl_buf msg;
	long li = -1;
	int has_level;

	if (parse_doc(s, first, &doc) == 0)
		li = pick_member(&doc, (const char *const[]){"log", NULL});
	if (li < 0) {
		free_doc(&doc);
		return -1;
	}
	sl_buf_init(&msg);
	sl_buf_puts(&msg, doc.members[li].value);
	assign_members(&doc, s, first, now_ms, ev);
	has_level = pick_member(&doc, level_keys) >= 0 && ev->level != SL_LEVEL_UNKNOWN;
	free_doc(&doc);

	for (p = first + 1; p < len;) {
		const char *end = memchr(s + p, '\n', len - p);
		size_t part = end ? (size_t)(end - (s + p)) : len - p;

		append_docker_log(s + p, part, &msg);
		p += part + 1;
	}
	msg.len = strip_newline(msg.data, msg.len);
	msg.data[msg.len] = '\0';
	/* assign_members packed the event, so its strings move out again. */
	sl_event_unpack(ev);
	free(ev->message);
	ev->message = sl_buf_steal(&msg);
	if (!has_level)
		ev->level = sl_decode_text_level(ev->message, strlen(ev->message));
	return 0;
}

static int json_decode(const char *line, size_t len, int64_t now_ms, sl_event *ev)
{
	json_doc doc;
	int rc = -1;

	if (parse_doc(line, len, &doc) == 0) {
		assign_members(&doc, line, len, now_ms, ev);
		rc = 0;
	}
	free_doc(&doc);

	/* The line joiner puts the parts of a split Docker line one per line;
	 * one object over several lines (a Kafka message) parsed above. */
	if (rc != 0 && memchr(line, '\n', len))
		rc = docker_joined_decode(line, len, now_ms, ev);
	return rc;
}

/* Returns the value of the first member "key": "value" (or a number) in a
 * JSON text that may be cut, or NULL; sets *len. */
static const char *find_value(const char *s, size_t n, const char *key, size_t *len)
{
	size_t kl = strlen(key), p;

	for (p = 0; p + kl + 2 < n; p++) {
		size_t v;

		if (s[p] != '"' || memcmp(s + p + 1, key, kl) != 0 || s[p + 1 + kl] != '"')
			continue;
		for (v = p + kl + 2; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
			;
		if (v >= n || s[v] != ':')
			continue;
		for (v++; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
			;
		if (v < n && s[v] == '"') {
			const char *end = memchr(s + v + 1, '"', n - v - 1);

			if (!end)
				return NULL;
			*len = (size_t)(end - (s + v + 1));
			return s + v + 1;
		}
		for (*len = 0; v + *len < n && s[v + *len] >= '0' && s[v + *len] <= '9'; (*len)++)
			;
		return *len ? s + v : NULL;
	}
	return NULL;
}

int sl_decode_json_find_time(const char *s, size_t n, int64_t now_ms, int64_t *ts)
{
	size_t k, len;

	if (n == 0 || s[0] != '{')
		return -1;
	for (k = 0; time_keys[k]; k++) {
		const char *v = find_value(s, n, time_keys[k], &len);

		if (v && sl_time_parse_value(v, len, now_ms, ts) == 0)
			return 0;
	}
	return -1;
}

int sl_decode_json_fields(const char *s, size_t n, sl_event *ev)
{
	json_doc doc;
	size_t m;
	int rc = -1;

	if (parse_doc(s, n, &doc) == 0) {
		for (m = 0; m < doc.nmembers; m++) {
			const json_member *jm = &doc.members[m];

			sl_event_set_field(ev, jm->key, jm->key_len, jm->value, jm->value_len);
		}
		rc = 0;
	}
	free_doc(&doc);
	return rc;
}

const sl_decoder sl_decoder_json = {
	.name = "json",
	.probe = json_probe,
	.decode = json_decode,
};
