/* es_bulk.c: bulk bodies for the Elasticsearch/OpenSearch store and the
 * parsing of every response it reads, with jsmn. Pure functions: no I/O. */
#include "es_bulk.h"
#include "query.h"
#include "query_es.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
/* Parent links let jsmn close an object without scanning back over every
 * earlier token. Without them a bulk response of N items costs N^2 steps. */
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "timeparse.h"

/* Elasticsearch rejects an _id longer than 512 bytes. */
#define ID_BYTES_MAX 512

/* --- formatting ------------------------------------------------------------ */

/* Length of an index name's date, "YYYY.MM.DD". */
#define INDEX_DATE_LEN 10

/* Writes the UTC date of ts_ms as "YYYY.MM.DD", clamped to years 1 to 9999
 * so every index name has the same shape. */
static void index_date(char out[INDEX_DATE_LEN], int64_t ts_ms)
{
	int64_t first = sl_days_from_civil(1, 1, 1), last = sl_days_from_civil(9999, 12, 31);
	int64_t days = ts_ms / 86400000, y;
	unsigned m, d;
	char *p = out;

	if (ts_ms % 86400000 < 0)
		days--; /* floor, for times before 1970 */
	if (days < first)
		days = first;
	if (days > last)
		days = last;
	sl_civil_from_days(days, &y, &m, &d);
	p = sl_put_digits(p, (unsigned)y, 4);
	*p++ = '.';
	p = sl_put_digits(p, m, 2);
	*p++ = '.';
	sl_put_digits(p, d, 2);
}

void sl_es_index_name(sl_buf *out, const char *prefix, int64_t ts_ms)
{
	char date[INDEX_DATE_LEN];

	index_date(date, ts_ms);
	sl_buf_puts(out, prefix);
	sl_buf_putc(out, '-');
	sl_buf_append(out, date, sizeof date);
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static void put_member(sl_buf *out, const char *name, const char *value)
{
	value = str_or_empty(value);
	sl_buf_putc(out, '"');
	sl_buf_puts(out, name);
	sl_buf_append(out, "\":", 2);
	sl_buf_json_str(out, value, strlen(value));
}

/* Appends service, host and the field values joined by single spaces,
 * skipping empty ones: the same text the SQLite store indexes as `extra`,
 * so a phrase spanning two of them matches in both stores. */
static void put_extra_text(sl_buf *out, const sl_event *ev)
{
	size_t i, parts = 0;

	sl_buf_putc(out, '"');
	for (i = 0; i < ev->nfields + 2; i++) {
		const char *s;

		if (i == 0)
			s = ev->service;
		else if (i == 1)
			s = ev->host;
		else
			s = ev->fields[i - 2].value;

		if (!s || !*s)
			continue;
		if (parts++)
			sl_buf_putc(out, ' ');
		sl_buf_json_chars(out, s, strlen(s));
	}
	sl_buf_putc(out, '"');
}

/* Appends ,"num":N when the value is a number by sl_query_number, so
 * comparisons such as status:>=500 run on a numeric field, as the SQLite
 * store compares sl_number() of the value. %.17g reads back as the same
 * double. */
static void put_number(sl_buf *out, const char *value)
{
	double v;

	if (value && sl_query_number(value, &v)) {
		sl_buf_append(out, ",\"num\":", 7);
		sl_buf_put_double(out, v);
	}
}

static void put_fields(sl_buf *out, const sl_event *ev)
{
	size_t i;

	sl_buf_puts(out, "\"fields\":[");
	for (i = 0; i < ev->nfields; i++) {
		if (i)
			sl_buf_putc(out, ',');
		sl_buf_putc(out, '{');
		put_member(out, "key", ev->fields[i].key);
		sl_buf_putc(out, ',');
		put_member(out, "value", ev->fields[i].value);
		put_number(out, ev->fields[i].value);
		sl_buf_putc(out, '}');
	}
	sl_buf_putc(out, ']');
}

void sl_es_event_doc(sl_buf *out, const sl_event *ev, int64_t seq)
{
	char stamp[SL_TIME_STRLEN], ingested[SL_TIME_STRLEN];

	sl_format_time(ev->ts_ms, stamp, sizeof stamp);
	sl_format_time(ev->recv_ms, ingested, sizeof ingested);

	sl_buf_putc(out, '{');
	put_member(out, "@timestamp", stamp);
	sl_buf_puts(out, ",\"event\":{");
	put_member(out, "id", ev->id);
	sl_buf_putc(out, ',');
	put_member(out, "ingested", ingested);
	sl_buf_puts(out, ",\"sequence\":");
	sl_buf_put_i64(out, seq);
	sl_buf_putc(out, ',');
	put_member(out, "original", ev->raw);
	sl_buf_puts(out, "},\"log\":{");
	put_member(out, "level", sl_level_name(ev->level));
	sl_buf_puts(out, "},\"service\":{");
	put_member(out, "name", ev->service);
	sl_buf_puts(out, "},\"host\":{");
	put_member(out, "name", ev->host);
	sl_buf_puts(out, "},");
	put_member(out, "message", ev->message);
	sl_buf_putc(out, ',');
	put_fields(out, ev);
	sl_buf_puts(out, ",\"streamlens\":{\"flags\":");
	sl_buf_put_u64(out, ev->flags);
	sl_buf_puts(out, ",\"extra\":");
	put_extra_text(out, ev);
	sl_buf_puts(out, "}}");
}

void sl_es_bulk_event(sl_buf *out, const char *prefix, const sl_event *ev, int64_t seq)
{
	char date[INDEX_DATE_LEN];

	/* The index name is prefix-date, and the date needs no escaping. */
	index_date(date, ev->ts_ms);
	sl_buf_puts(out, "{\"create\":{\"_index\":\"");
	sl_buf_json_chars(out, prefix, strlen(prefix));
	sl_buf_putc(out, '-');
	sl_buf_append(out, date, sizeof date);
	sl_buf_puts(out, "\",\"_id\":");
	sl_buf_json_str(out, ev->id, strlen(ev->id));
	sl_buf_puts(out, "}}\n");
	sl_es_event_doc(out, ev, seq);
	sl_buf_putc(out, '\n');
}

void sl_es_mget_sequence_doc(sl_buf *out, const char *prefix, const sl_event *ev)
{
	sl_buf index;

	sl_buf_init(&index);
	sl_es_index_name(&index, prefix, ev->ts_ms);
	sl_buf_puts(out, "{\"_index\":");
	sl_buf_json_str(out, index.data, index.len);
	sl_buf_puts(out, ",\"_id\":");
	sl_buf_json_str(out, ev->id, strlen(ev->id));
	sl_buf_puts(out, ",\"_source\":[\"event.sequence\"]}");
	sl_buf_free(&index);
}

void sl_es_position_id(sl_buf *out, const char *key)
{
	uint64_t hash = 14695981039346656037ULL; /* FNV-1a, 64 bits */
	size_t len = strlen(key), i;

	if (len > 0 && len <= ID_BYTES_MAX) {
		sl_buf_puts(out, key);
		return;
	}
	for (i = 0; i < len; i++) {
		hash ^= (unsigned char)key[i];
		hash *= 1099511628211ULL;
	}
	sl_buf_printf(out, "h:%016" PRIx64 ":%zu", hash, len);
}

void sl_es_bulk_position(sl_buf *out, const char *prefix, const sl_source_pos *pos)
{
	const char *key = str_or_empty(pos->key);
	sl_buf id;

	sl_buf_init(&id);
	sl_es_position_id(&id, key);
	sl_buf_printf(out, "{\"index\":{\"_index\":\"%s-%s\",\"_id\":", prefix,
		      SL_ES_POSITIONS_SUFFIX);
	sl_buf_json_str(out, id.data, id.len);
	sl_buf_puts(out, "}}\n{");
	put_member(out, "key", key);
	sl_buf_putc(out, ',');
	put_member(out, "identity", pos->identity);
	sl_buf_printf(out, ",\"offset\":%" PRIu64 "}\n", pos->offset);
	sl_buf_free(&id);
}

/* --- a small reader over jsmn tokens --------------------------------------- */

typedef struct json_doc {
	const char *js;
	jsmntok_t *tok;
	int ntok;
} json_doc;

/* Tokenizes js. Returns 0, or -1 when it is not one complete JSON value. */
static int json_open(json_doc *doc, const char *js, size_t len)
{
	jsmn_parser parser;
	unsigned cap = 256;
	int r;

	doc->js = js;
	doc->tok = sl_malloc(cap * sizeof *doc->tok);
	jsmn_init(&parser);
	for (;;) {
		r = jsmn_parse(&parser, js, len, doc->tok, cap);
		if (r != JSMN_ERROR_NOMEM)
			break;
		/* jsmn resumes where it stopped when given a larger array */
		cap *= 2;
		doc->tok = sl_realloc(doc->tok, cap * sizeof *doc->tok);
	}
	doc->ntok = r;
	return r > 0 ? 0 : -1;
}

static void json_close(json_doc *doc)
{
	free(doc->tok);
	doc->tok = NULL;
}

/* Returns the index just past token i and everything nested in it. */
static int json_skip(const json_doc *doc, int i)
{
	int end = doc->tok[i].end;

	for (i++; i < doc->ntok && doc->tok[i].start < end; i++)
		;
	return i;
}

/* Tells whether token i (-1 for a missing member) is the string s. */
static int json_eq(const json_doc *doc, int i, const char *s)
{
	const jsmntok_t *t;
	size_t n = strlen(s);

	if (i < 0 || i >= doc->ntok)
		return 0;
	t = &doc->tok[i];
	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
	       memcmp(doc->js + t->start, s, n) == 0;
}

/* Tells whether token i (-1 for a missing member) is the literal s, such
 * as true or null. */
static int json_eq_primitive(const json_doc *doc, int i, const char *s)
{
	const jsmntok_t *t;
	size_t n = strlen(s);

	if (i < 0 || i >= doc->ntok)
		return 0;
	t = &doc->tok[i];
	return t->type == JSMN_PRIMITIVE && (size_t)(t->end - t->start) == n &&
	       memcmp(doc->js + t->start, s, n) == 0;
}

/* Returns the value token of member name in object obj, or -1. */
static int json_member(const json_doc *doc, int obj, const char *name)
{
	int i, k;

	if (obj < 0 || obj >= doc->ntok || doc->tok[obj].type != JSMN_OBJECT)
		return -1;
	i = obj + 1;
	for (k = 0; k < doc->tok[obj].size && i + 1 < doc->ntok; k++) {
		if (json_eq(doc, i, name))
			return i + 1;
		i = json_skip(doc, i + 1);
	}
	return -1;
}

/* Follows a dotted path of member names from obj. Returns the token or -1. */
static int json_path(const json_doc *doc, int obj, const char *path)
{
	char name[64];
	const char *dot;
	size_t n;

	while (obj >= 0 && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof name)
			return -1;
		memcpy(name, path, n);
		name[n] = '\0';
		obj = json_member(doc, obj, name);
		path += n + (dot != NULL);
	}
	return obj;
}

/* Decodes the \u escape at s[0..n) (just past the 'u') into b, joining a
 * surrogate pair. A lone surrogate or bad hex becomes U+FFFD. Returns the
 * bytes consumed. */
static size_t unescape_unicode(const char *s, size_t n, sl_buf *b)
{
	unsigned cp, lo;

	if (sl_parse_hex4(s, n, &cp) != 0) {
		sl_buf_put_utf8(b, 0xfffd);
		return 0;
	}
	if (cp >= 0xd800 && cp < 0xdc00 && n >= 10 && s[4] == '\\' && s[5] == 'u') {
		if (sl_parse_hex4(s + 6, n - 6, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
			sl_buf_put_utf8(b, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
			return 10;
		}
	}
	sl_buf_put_utf8(b, cp);
	return 4;
}

/* Appends the text of token i: a string unescaped, a primitive as written. */
static void json_text(const json_doc *doc, int i, sl_buf *b)
{
	const char *s = doc->js + doc->tok[i].start;
	size_t n = (size_t)(doc->tok[i].end - doc->tok[i].start), k = 0;

	sl_buf_reserve(b, n);
	/* reserve leaves new space unterminated, and "" appends nothing */
	b->data[b->len] = '\0';
	if (doc->tok[i].type != JSMN_STRING) {
		sl_buf_append(b, s, n);
		return;
	}
	while (k < n) {
		char c = s[k++];

		if (c != '\\' || k == n) {
			sl_buf_putc(b, c);
			continue;
		}
		c = s[k++];
		switch (c) {
		case 'b': sl_buf_putc(b, '\b'); break;
		case 'f': sl_buf_putc(b, '\f'); break;
		case 'n': sl_buf_putc(b, '\n'); break;
		case 'r': sl_buf_putc(b, '\r'); break;
		case 't': sl_buf_putc(b, '\t'); break;
		case 'u': k += unescape_unicode(s + k, n - k, b); break;
		default: sl_buf_putc(b, c); break;
		}
	}
}

/* Returns a new string with the text of token i, "" when i < 0. */
static char *json_strdup(const json_doc *doc, int i)
{
	sl_buf b;

	if (i < 0)
		return sl_strdup("");
	sl_buf_init(&b);
	json_text(doc, i, &b);
	return b.data ? sl_buf_steal(&b) : sl_strdup("");
}

/* Reads a primitive integer. Returns 0, or -1 when i is not one. */
static int json_int(const json_doc *doc, int i, int64_t *out)
{
	char num[32];
	char *end;
	int n;

	if (i < 0 || doc->tok[i].type != JSMN_PRIMITIVE)
		return -1;
	n = doc->tok[i].end - doc->tok[i].start;
	if (n <= 0 || n >= (int)sizeof num)
		return -1;
	memcpy(num, doc->js + doc->tok[i].start, (size_t)n);
	num[n] = '\0';
	*out = strtoll(num, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static int json_uint(const json_doc *doc, int i, uint64_t *out)
{
	char num[32];
	char *end;
	int n;

	if (i < 0 || doc->tok[i].type != JSMN_PRIMITIVE)
		return -1;
	n = doc->tok[i].end - doc->tok[i].start;
	if (n <= 0 || n >= (int)sizeof num || doc->js[doc->tok[i].start] == '-')
		return -1;
	memcpy(num, doc->js + doc->tok[i].start, (size_t)n);
	num[n] = '\0';
	*out = strtoull(num, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* Reads a timestamp value (RFC 3339 string or epoch number) as UTC ms. */
static int json_time(const json_doc *doc, int i, int64_t *out)
{
	const jsmntok_t *t;

	if (i < 0)
		return -1;
	t = &doc->tok[i];
	if (t->type != JSMN_STRING && t->type != JSMN_PRIMITIVE)
		return -1;
	return sl_time_parse_value(doc->js + t->start, (size_t)(t->end - t->start), 0, out);
}

/* Writes "type: reason" of the error object (or string) at i into out. */
static void error_text(const json_doc *doc, int i, char *out, size_t outlen)
{
	char *type, *reason;

	if (doc->tok[i].type != JSMN_OBJECT) {
		reason = json_strdup(doc, i);
		snprintf(out, outlen, "%s", reason);
		free(reason);
		return;
	}
	type = json_strdup(doc, json_member(doc, i, "type"));
	reason = json_strdup(doc, json_member(doc, i, "reason"));
	snprintf(out, outlen, "%s%s%s", type, *type && *reason ? ": " : "", reason);
	free(type);
	free(reason);
}

/* --- bulk responses -------------------------------------------------------- */

/* Classifies one item object, {"create": {"status": ..., ...}}. */
static void parse_item(const json_doc *doc, int i, sl_es_item *item)
{
	int64_t status = 0;
	int body = i + 2, error;

	memset(item, 0, sizeof *item);
	if (doc->tok[i].type != JSMN_OBJECT || doc->tok[i].size < 1 || body >= doc->ntok ||
	    json_int(doc, json_member(doc, body, "status"), &status) < 0) {
		item->state = SL_ES_ITEM_RETRY;
		snprintf(item->reason, sizeof item->reason, "bulk item without a status");
		return;
	}
	item->status = (int)status;
	error = json_member(doc, body, "error");
	if (error >= 0)
		error_text(doc, error, item->reason, sizeof item->reason);

	if (status == 201 || (status == 200 && json_eq(doc, json_member(doc, body, "result"),
							"created")))
		item->state = SL_ES_ITEM_CREATED;
	else if ((status >= 200 && status < 300) || status == 409)
		item->state = SL_ES_ITEM_EXISTS;
	else if (status == 429 || status >= 500)
		item->state = SL_ES_ITEM_RETRY;
	else if (status >= 400)
		item->state = SL_ES_ITEM_REJECTED;
	else
		item->state = SL_ES_ITEM_RETRY;
	if (item->state != SL_ES_ITEM_CREATED && item->state != SL_ES_ITEM_EXISTS &&
	    !item->reason[0])
		snprintf(item->reason, sizeof item->reason, "HTTP status %d", item->status);
}

int sl_es_parse_bulk(const char *body, size_t len, sl_es_item *items, size_t nitems,
		     sl_error *err)
{
	json_doc doc;
	int arr, i;
	size_t k;
	int rc = SL_ERR;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "bulk response is not valid JSON");
		goto out;
	}
	arr = json_member(&doc, 0, "items");
	if (arr < 0 || doc.tok[arr].type != JSMN_ARRAY) {
		sl_error_set(err, 0, "bulk response has no items array");
		goto out;
	}
	if ((size_t)doc.tok[arr].size != nitems) {
		sl_error_set(err, 0, "bulk response has %d items for %zu requests",
			     doc.tok[arr].size, nitems);
		goto out;
	}
	for (k = 0, i = arr + 1; k < nitems; k++, i = json_skip(&doc, i))
		parse_item(&doc, i, &items[k]);
	rc = SL_OK;
out:
	json_close(&doc);
	return rc;
}

/* --- search responses ------------------------------------------------------ */

static void decode_fields(const json_doc *doc, int arr, sl_event *ev)
{
	sl_buf key, value;
	int i, k;

	if (arr < 0 || doc->tok[arr].type != JSMN_ARRAY)
		return;
	sl_buf_init(&key);
	sl_buf_init(&value);
	for (k = 0, i = arr + 1; k < doc->tok[arr].size; k++, i = json_skip(doc, i)) {
		int kt = json_member(doc, i, "key"), vt = json_member(doc, i, "value");

		if (kt < 0 || vt < 0)
			continue;
		sl_buf_reset(&key);
		sl_buf_reset(&value);
		json_text(doc, kt, &key);
		json_text(doc, vt, &value);
		sl_event_set_field(ev, key.data ? key.data : "", key.len,
				   value.data ? value.data : "", value.len);
	}
	sl_buf_free(&key);
	sl_buf_free(&value);
}

/* Fills ev (initialised) from a hit object with _id and _source. */
static void decode_hit(const json_doc *doc, int hit, sl_event *ev)
{
	int src = json_member(doc, hit, "_source");
	int id = json_path(doc, src, "event.id");
	int64_t flags = 0;
	char *s;

	s = json_strdup(doc, id >= 0 ? id : json_member(doc, hit, "_id"));
	snprintf(ev->id, sizeof ev->id, "%s", s);
	free(s);
	json_time(doc, json_member(doc, src, "@timestamp"), &ev->ts_ms);
	json_time(doc, json_path(doc, src, "event.ingested"), &ev->recv_ms);
	s = json_strdup(doc, json_path(doc, src, "log.level"));
	ev->level = sl_level_parse(s, strlen(s));
	free(s);
	if (json_int(doc, json_path(doc, src, "streamlens.flags"), &flags) == 0)
		ev->flags = (unsigned)flags;
	ev->service = json_strdup(doc, json_path(doc, src, "service.name"));
	ev->host = json_strdup(doc, json_path(doc, src, "host.name"));
	ev->message = json_strdup(doc, json_member(doc, src, "message"));
	ev->raw = json_strdup(doc, json_path(doc, src, "event.original"));
	decode_fields(doc, json_member(doc, src, "fields"), ev);
}

/* Reads hits.total: {"value": N} or, with rest_total_hits_as_int, N. */
static int read_total(const json_doc *doc, int hits, uint64_t *total)
{
	int t = json_member(doc, hits, "total");

	if (t >= 0 && doc->tok[t].type == JSMN_OBJECT)
		t = json_member(doc, t, "value");
	return json_uint(doc, t, total);
}

int sl_es_parse_search(const char *body, size_t len, sl_search_res *res, sl_error *err)
{
	json_doc doc;
	int hits, arr, i, k;
	int rc = SL_ERR;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "search response is not valid JSON");
		goto out;
	}
	hits = json_member(&doc, 0, "hits");
	if (read_total(&doc, hits, &res->total) < 0) {
		sl_error_set(err, 0, "search response has no total");
		goto out;
	}
	/* filter_path leaves out an empty hits array */
	arr = json_member(&doc, hits, "hits");
	if (arr < 0) {
		rc = SL_OK;
		goto out;
	}
	if (doc.tok[arr].type != JSMN_ARRAY) {
		sl_error_set(err, 0, "search response has no hits array");
		goto out;
	}
	res->hits = sl_calloc(doc.tok[arr].size ? (size_t)doc.tok[arr].size : 1, sizeof *res->hits);
	for (k = 0, i = arr + 1; k < doc.tok[arr].size; k++, i = json_skip(&doc, i)) {
		sl_event_init(&res->hits[k]);
		decode_hit(&doc, i, &res->hits[k]);
	}
	res->nhits = (size_t)doc.tok[arr].size;
	rc = SL_OK;
out:
	json_close(&doc);
	return rc;
}

/* --- aggregation responses ---------------------------------------------- */

static sl_agg_row *agg_row_add(sl_agg_res *res, size_t *cap)
{
	sl_agg_row *row;

	if (res->nrows == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		res->rows = sl_realloc(res->rows, *cap * sizeof *res->rows);
	}
	row = &res->rows[res->nrows++];
	memset(row, 0, sizeof *row);
	return row;
}

/* Adds a row per bucket of the terms aggregation "g" in container (for an
 * extra field "g" > "k" > "v"), skipping the empty key as SQLite does.
 * Returns SL_OK, SL_ERR_QUERY when the terms were cut off, or SL_ERR. */
static int add_terms(const json_doc *doc, int container, int64_t time_ms, sl_agg_res *res,
		     size_t *cap, sl_error *err)
{
	int g = json_member(doc, container, "g"), arr, i, k;
	uint64_t other = 0, count;
	sl_agg_row *row;
	char *key;

	if (json_member(doc, g, "k") >= 0)
		g = json_path(doc, g, "k.v");
	arr = json_member(doc, g, "buckets");
	if (arr < 0 || doc->tok[arr].type != JSMN_ARRAY) {
		sl_error_set(err, 0, "aggregation response has no terms buckets");
		return SL_ERR;
	}
	if (json_uint(doc, json_member(doc, g, "sum_other_doc_count"), &other) == 0 && other) {
		sl_error_set(err, 0, "the field has more than %d distinct values, so the counts "
			     "would not be exact; narrow the query", SL_ES_AGG_TERMS);
		return SL_ERR_QUERY;
	}
	for (k = 0, i = arr + 1; k < doc->tok[arr].size; k++, i = json_skip(doc, i)) {
		if (json_uint(doc, json_member(doc, i, "doc_count"), &count) < 0)
			continue;
		key = json_strdup(doc, json_member(doc, i, "key"));
		if (!key[0]) {
			free(key);
			continue;
		}
		row = agg_row_add(res, cap);
		row->key = key;
		row->time_ms = time_ms;
		row->count = count;
	}
	return SL_OK;
}

/* Adds the rows of the date_histogram "t", with the terms under each
 * bucket when the timechart has a field. */
static int add_timechart(const json_doc *doc, int aggs, const sl_agg_req *req,
			 sl_agg_res *res, size_t *cap, sl_error *err)
{
	int arr = json_path(doc, aggs, "t.buckets"), i, k, rc;
	uint64_t count;
	int64_t t;
	sl_agg_row *row;

	if (arr < 0 || doc->tok[arr].type != JSMN_ARRAY) {
		sl_error_set(err, 0, "aggregation response has no time buckets");
		return SL_ERR;
	}
	for (k = 0, i = arr + 1; k < doc->tok[arr].size; k++, i = json_skip(doc, i)) {
		if (json_int(doc, json_member(doc, i, "key"), &t) < 0 ||
		    json_uint(doc, json_member(doc, i, "doc_count"), &count) < 0)
			continue;
		if (req->field[0]) {
			rc = add_terms(doc, i, t, res, cap, err);
			if (rc < 0)
				return rc;
			continue;
		}
		row = agg_row_add(res, cap);
		row->time_ms = t;
		row->count = count;
	}
	return SL_OK;
}

int sl_es_parse_agg(const char *body, size_t len, const sl_agg_req *req, sl_agg_res *res,
		    sl_error *err)
{
	json_doc doc;
	size_t cap = 0;
	int aggs, rc = SL_ERR;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "aggregation response is not valid JSON");
		goto out;
	}
	if (read_total(&doc, json_member(&doc, 0, "hits"), &res->total) < 0) {
		sl_error_set(err, 0, "aggregation response has no total");
		goto out;
	}
	aggs = json_member(&doc, 0, "aggregations");
	if (req->kind == SL_AGG_COUNT) {
		agg_row_add(res, &cap)->count = res->total;
		rc = SL_OK;
	} else if (req->kind == SL_AGG_TIMECHART) {
		rc = add_timechart(&doc, aggs, req, res, &cap, err);
	} else {
		rc = add_terms(&doc, aggs, 0, res, &cap, err);
	}
	if (rc == SL_OK && res->nrows > SL_AGG_ROWS_MAX) {
		sl_error_set(err, 0, "the aggregation has more than %d rows; use top N, a wider "
			     "span or a narrower query", SL_AGG_ROWS_MAX);
		rc = SL_ERR_QUERY;
	}
	sl_agg_rows_sort(res->rows, res->nrows);
	if (rc == SL_OK && req->kind == SL_AGG_TOP) {
		while (res->nrows > req->n)
			free(res->rows[--res->nrows].key);
	}
out:
	if (rc < 0)
		sl_agg_res_free(res);
	json_close(&doc);
	return rc;
}

int sl_es_parse_count(const char *body, size_t len, uint64_t *count, sl_error *err)
{
	json_doc doc;
	int rc = SL_ERR;

	if (json_open(&doc, body, len) < 0 ||
	    json_uint(&doc, json_member(&doc, 0, "count"), count) < 0)
		sl_error_set(err, 0, "count response has no count");
	else
		rc = SL_OK;
	json_close(&doc);
	return rc;
}

int sl_es_parse_mget_sequences(const char *body, size_t len, int64_t *seqs, size_t n,
			       sl_error *err)
{
	json_doc doc;
	int arr, i;
	size_t k;
	int rc = SL_ERR;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "mget response is not valid JSON");
		goto out;
	}
	arr = json_member(&doc, 0, "docs");
	if (arr < 0 || doc.tok[arr].type != JSMN_ARRAY || (size_t)doc.tok[arr].size != n) {
		sl_error_set(err, 0, "mget response has no docs array of %zu entries", n);
		goto out;
	}
	for (k = 0, i = arr + 1; k < n; k++, i = json_skip(&doc, i)) {
		seqs[k] = -1;
		if (doc.tok[i].type != JSMN_OBJECT ||
		    !json_eq_primitive(&doc, json_member(&doc, i, "found"), "true"))
			continue;
		if (json_int(&doc, json_path(&doc, i, "_source.event.sequence"), &seqs[k]) < 0 ||
		    seqs[k] < 0) {
			sl_error_set(err, 0, "mget response: document %zu has no event.sequence", k);
			goto out;
		}
	}
	rc = SL_OK;
out:
	json_close(&doc);
	return rc;
}

int sl_es_parse_position(const char *body, size_t len, const char *key, char **identity,
			 uint64_t *offset, sl_error *err)
{
	json_doc doc;
	int src, rc = SL_ERR;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "position response is not valid JSON");
		goto out;
	}
	src = json_member(&doc, 0, "_source");
	rc = 0;
	/* a hashed _id can collide, so the stored key must match too */
	if (src < 0 || !json_eq(&doc, json_member(&doc, src, "key"), key))
		goto out;
	if (json_uint(&doc, json_member(&doc, src, "offset"), offset) < 0) {
		sl_error_set(err, 0, "position document for '%s' has no offset", key);
		rc = SL_ERR;
		goto out;
	}
	*identity = json_strdup(&doc, json_member(&doc, src, "identity"));
	rc = 1;
out:
	json_close(&doc);
	return rc;
}

/* Adds one composite bucket {"key": {"minute", "level"}, "doc_count"}. */
static void add_minute_row(const json_doc *doc, int bucket, sl_minute_counts *mc,
			   void (*cb)(void *ud, const sl_minute_counts *mc), void *ud)
{
	int key = json_member(doc, bucket, "key");
	int64_t minute, count;
	sl_level level;
	char *name;

	if (json_int(doc, json_member(doc, key, "minute"), &minute) < 0 ||
	    json_int(doc, json_member(doc, bucket, "doc_count"), &count) < 0)
		return;
	if (minute != mc->minute) {
		if (mc->minute != INT64_MIN)
			cb(ud, mc);
		memset(mc, 0, sizeof *mc);
		mc->minute = minute;
	}
	name = json_strdup(doc, json_member(doc, key, "level"));
	level = sl_level_parse(name, strlen(name));
	free(name);
	mc->counts[level] += (uint32_t)count;
}

/* Rebuilds after_key from its two values, so nothing from the response is
 * copied into the next request unescaped. */
static char *after_key_json(const json_doc *doc, int after)
{
	int64_t minute;
	char *level;
	sl_buf b;

	if (json_int(doc, json_member(doc, after, "minute"), &minute) < 0)
		return NULL;
	level = json_strdup(doc, json_member(doc, after, "level"));
	sl_buf_init(&b);
	sl_buf_printf(&b, "{\"minute\":%" PRId64 ",\"level\":", minute);
	sl_buf_json_str(&b, level, strlen(level));
	sl_buf_putc(&b, '}');
	free(level);
	return sl_buf_steal(&b);
}

int sl_es_parse_minutes(const char *body, size_t len, sl_minute_counts *mc,
			void (*cb)(void *ud, const sl_minute_counts *mc), void *ud, char **after,
			sl_error *err)
{
	json_doc doc;
	int agg, arr, i, k;
	int rc = SL_ERR;

	*after = NULL;
	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "aggregation response is not valid JSON");
		goto out;
	}
	agg = json_path(&doc, 0, "aggregations.minutes");
	/* a search over no index at all returns no aggregations */
	if (agg < 0 && json_member(&doc, 0, "aggregations") < 0 &&
	    json_member(&doc, 0, "_shards") >= 0) {
		rc = SL_OK;
		goto out;
	}
	arr = json_member(&doc, agg, "buckets");
	if (arr < 0 || doc.tok[arr].type != JSMN_ARRAY) {
		sl_error_set(err, 0, "aggregation response has no minute buckets");
		goto out;
	}
	for (k = 0, i = arr + 1; k < doc.tok[arr].size; k++, i = json_skip(&doc, i))
		add_minute_row(&doc, i, mc, cb, ud);
	if (doc.tok[arr].size > 0)
		*after = after_key_json(&doc, json_member(&doc, agg, "after_key"));
	rc = SL_OK;
out:
	json_close(&doc);
	return rc;
}

int sl_es_parse_root(const char *body, size_t len, int *is_opensearch, int *major,
		     sl_error *err)
{
	json_doc doc;
	int version, rc = SL_ERR;
	char *number;

	if (json_open(&doc, body, len) < 0) {
		sl_error_set(err, 0, "GET / response is not valid JSON");
		goto out;
	}
	version = json_member(&doc, 0, "version");
	if (version < 0) {
		sl_error_set(err, 0, "GET / response has no version: not Elasticsearch or OpenSearch");
		goto out;
	}
	*is_opensearch = json_eq(&doc, json_member(&doc, version, "distribution"), "opensearch");
	number = json_strdup(&doc, json_member(&doc, version, "number"));
	*major = atoi(number);
	free(number);
	rc = SL_OK;
out:
	json_close(&doc);
	return rc;
}

void sl_es_error_reason(const char *body, size_t len, char *out, size_t outlen)
{
	json_doc doc;
	int error;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (body && json_open(&doc, body, len) == 0) {
		error = json_member(&doc, 0, "error");
		if (error >= 0)
			error_text(&doc, error, out, outlen);
	}
	if (body)
		json_close(&doc);
	if (!out[0] && body)
		snprintf(out, outlen, "%.*s", (int)(len < 160 ? len : 160), body);
}
