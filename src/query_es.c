/* query_es.c: the query tree compiled to the Elasticsearch/OpenSearch query
 * DSL, matching what query_sql.c selects in SQLite:
 *
 * - words and phrases are FTS5 phrases there, so here they are phrase
 *   queries over message and streamlens.extra (service, host and field
 *   values), whose analyzer splits and folds text as FTS5's unicode61
 *   tokenizer does (see the index template in store_es.c);
 * - service:, host: and other fields compare whole values ignoring case
 *   (COLLATE NOCASE and LIKE there, "case_insensitive" here; it needs
 *   OpenSearch 1.0+ or Elasticsearch 7.10+);
 * - NOT keeps events that lack the field, as coalesce() does there.
 *
 * Runs of the same operator become one bool query, so a long chain of
 * words is one flat list of clauses, not a tree hundreds deep. */
#include "query_es.h"

#include <inttypes.h>
#include <string.h>

/* The fields a word or phrase is looked up in. */
#define TEXT_FIELDS "[\"message\",\"streamlens.extra\"]"

static int compile_node(sl_buf *b, const sl_qnode *n, sl_error *err);

static void put_str(sl_buf *b, const char *s)
{
	sl_buf_json_str(b, s, strlen(s));
}

/* {"term"|"prefix": {"FIELD": {"value": V, "case_insensitive": true}}} */
static void put_keyword(sl_buf *b, const char *field, const sl_qnode *n)
{
	sl_buf_printf(b, "{\"%s\":{\"%s\":{\"value\":", n->prefix ? "prefix" : "term", field);
	put_str(b, n->text);
	sl_buf_puts(b, ",\"case_insensitive\":true}}}");
}

static void put_text(sl_buf *b, const sl_qnode *n)
{
	sl_buf_puts(b, "{\"multi_match\":{\"query\":");
	put_str(b, n->text);
	if (n->prefix)
		sl_buf_printf(b, ",\"type\":\"phrase_prefix\",\"max_expansions\":%d",
			      SL_ES_PREFIX_EXPANSIONS);
	else
		sl_buf_puts(b, ",\"type\":\"phrase\"");
	sl_buf_puts(b, ",\"fields\":" TEXT_FIELDS "}}");
}

static void put_message(sl_buf *b, const sl_qnode *n)
{
	if (n->prefix) {
		sl_buf_puts(b, "{\"match_phrase_prefix\":{\"message\":{\"query\":");
		put_str(b, n->text);
		sl_buf_printf(b, ",\"max_expansions\":%d}}}", SL_ES_PREFIX_EXPANSIONS);
	} else {
		sl_buf_puts(b, "{\"match_phrase\":{\"message\":{\"query\":");
		put_str(b, n->text);
		sl_buf_puts(b, "}}}");
	}
}

/* An extra field: one nested pair whose key is the name, exactly, and whose
 * value equals or starts with the text, ignoring case. */
static void put_extra_field(sl_buf *b, const sl_qnode *n)
{
	sl_buf_puts(b, "{\"nested\":{\"path\":\"fields\",\"query\":{\"bool\":{\"filter\":["
		       "{\"term\":{\"fields.key\":{\"value\":");
	put_str(b, n->field);
	sl_buf_puts(b, "}}},");
	put_keyword(b, "fields.value", n);
	sl_buf_puts(b, "]}}}}");
}

static int compile_field(sl_buf *b, const sl_qnode *n, sl_error *err)
{
	sl_level level;

	if (strcmp(n->field, "level") == 0) {
		level = sl_level_parse(n->text, strlen(n->text));
		if (level == SL_LEVEL_UNKNOWN && strcmp(n->text, "unknown") != 0) {
			sl_error_set(err, n->column, "column %d: unknown level '%s'", n->column,
				     n->text);
			return -1;
		}
		sl_buf_printf(b, "{\"term\":{\"log.level\":\"%s\"}}", sl_level_name(level));
	} else if (strcmp(n->field, "service") == 0) {
		put_keyword(b, "service.name", n);
	} else if (strcmp(n->field, "host") == 0) {
		put_keyword(b, "host.name", n);
	} else if (strcmp(n->field, "message") == 0) {
		put_message(b, n);
	} else {
		put_extra_field(b, n);
	}
	return 0;
}

/* Appends the operands of a run of n's operator, left to right, separated
 * by commas. */
static int compile_operands(sl_buf *b, const sl_qnode *n, sl_qkind kind, int *first,
			    sl_error *err)
{
	if (n->kind == kind) {
		if (compile_operands(b, n->left, kind, first, err) < 0)
			return -1;
		return compile_operands(b, n->right, kind, first, err);
	}
	if (!*first)
		sl_buf_putc(b, ',');
	*first = 0;
	return compile_node(b, n, err);
}

static int compile_bool(sl_buf *b, const sl_qnode *n, sl_error *err)
{
	int first = 1;

	sl_buf_puts(b, n->kind == SL_Q_AND ? "{\"bool\":{\"filter\":[" : "{\"bool\":{\"should\":[");
	if (compile_operands(b, n, n->kind, &first, err) < 0)
		return -1;
	sl_buf_puts(b, n->kind == SL_Q_AND ? "]}}" : "],\"minimum_should_match\":1}}");
	return 0;
}

static int compile_node(sl_buf *b, const sl_qnode *n, sl_error *err)
{
	switch (n->kind) {
	case SL_Q_ALL:
		sl_buf_puts(b, "{\"match_all\":{}}");
		return 0;
	case SL_Q_TEXT:
		put_text(b, n);
		return 0;
	case SL_Q_FIELD:
		return compile_field(b, n, err);
	case SL_Q_TIME:
		sl_buf_printf(b,
			      "{\"range\":{\"@timestamp\":{\"%s\":%" PRId64
			      ",\"format\":\"epoch_millis\"}}}",
			      n->since ? "gte" : "lte", n->time_ms);
		return 0;
	case SL_Q_AND:
	case SL_Q_OR:
		return compile_bool(b, n, err);
	case SL_Q_NOT:
		sl_buf_puts(b, "{\"bool\":{\"must_not\":[");
		if (compile_node(b, n->left, err) < 0)
			return -1;
		sl_buf_puts(b, "]}}");
		return 0;
	}
	sl_error_set(err, n->column, "column %d: invalid query node", n->column);
	return -1;
}

int sl_query_to_es(const sl_query *q, sl_buf *out, sl_error *err)
{
	if (!q || !q->root) {
		sl_error_set(err, 0, "empty query tree");
		return -1;
	}
	return compile_node(out, q->root, err);
}

/* Appends the time window as a range on @timestamp, both ends inclusive. */
static void put_window(sl_buf *b, int64_t from_ms, int64_t to_ms)
{
	sl_buf_puts(b, "{\"range\":{\"@timestamp\":{");
	if (from_ms != INT64_MIN)
		sl_buf_printf(b, "\"gte\":%" PRId64 ",", from_ms);
	if (to_ms != INT64_MAX)
		sl_buf_printf(b, "\"lte\":%" PRId64 ",", to_ms);
	sl_buf_puts(b, "\"format\":\"epoch_millis\"}}}");
}

int sl_es_search_body(const sl_query *q, int64_t from_ms, int64_t to_ms, size_t size,
		      sl_buf *out, sl_error *err)
{
	int windowed = from_ms != INT64_MIN || to_ms != INT64_MAX;

	sl_buf_puts(out, "{\"query\":");
	if (windowed)
		sl_buf_puts(out, "{\"bool\":{\"filter\":[");
	if (sl_query_to_es(q, out, err) < 0)
		return -1;
	if (windowed) {
		sl_buf_putc(out, ',');
		put_window(out, from_ms, to_ms);
		sl_buf_puts(out, "]}}");
	}
	sl_buf_printf(out,
		      ",\"size\":%zu,\"track_total_hits\":true,\"sort\":["
		      "{\"@timestamp\":{\"order\":\"desc\"}},"
		      "{\"event.sequence\":{\"order\":\"desc\",\"unmapped_type\":\"long\"}}]}",
		      size);
	return 0;
}
