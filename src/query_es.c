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

static void put_levels(sl_buf *b, unsigned levels)
{
	int i, first = 1;

	if (!levels) {
		sl_buf_puts(b, "{\"match_none\":{}}");
		return;
	}
	sl_buf_puts(b, "{\"terms\":{\"log.level\":[");
	for (i = 0; i < SL_LEVEL_COUNT; i++) {
		if (!(levels & 1u << i))
			continue;
		sl_buf_printf(b, "%s\"%s\"", first ? "" : ",", sl_level_name((sl_level)i));
		first = 0;
	}
	sl_buf_puts(b, "]}}");
}

/* Appends "NAME":V with V printed so that it reads back as the same double. */
static void put_bound(sl_buf *b, const char *name, double v, int *first)
{
	sl_buf_printf(b, "%s\"%s\":%.17g", *first ? "" : ",", name, v);
	*first = 0;
}

/* A comparison or range on fields.num, the numeric form es_bulk.c stores
 * for values that sl_query_number accepts. */
static void put_numeric(sl_buf *b, const sl_qnode *n)
{
	int first = 1;

	sl_buf_puts(b, "{\"range\":{\"fields.num\":{");
	switch (n->op) {
	case SL_QOP_GT: put_bound(b, "gt", n->num, &first); break;
	case SL_QOP_GE: put_bound(b, "gte", n->num, &first); break;
	case SL_QOP_LT: put_bound(b, "lt", n->num, &first); break;
	case SL_QOP_LE: put_bound(b, "lte", n->num, &first); break;
	default:
		if (!n->lo_unbounded)
			put_bound(b, n->lo_open ? "gt" : "gte", n->num, &first);
		if (!n->hi_unbounded)
			put_bound(b, n->hi_open ? "lt" : "lte", n->num_hi, &first);
		break;
	}
	sl_buf_puts(b, "}}}");
}

/* An extra field: one nested pair whose key is the name, exactly, and whose
 * value matches n: present, equal or prefixed ignoring case, or compared
 * as a number. */
static void put_extra_field(sl_buf *b, const sl_qnode *n)
{
	sl_buf_puts(b, "{\"nested\":{\"path\":\"fields\",\"query\":{\"bool\":{\"filter\":["
		       "{\"term\":{\"fields.key\":{\"value\":");
	put_str(b, n->field);
	sl_buf_puts(b, "}}}");
	if (n->op == SL_QOP_EQ) {
		sl_buf_putc(b, ',');
		put_keyword(b, "fields.value", n);
	} else if (n->op != SL_QOP_EXISTS) {
		sl_buf_putc(b, ',');
		if (n->op == SL_QOP_RANGE && n->lo_unbounded && n->hi_unbounded)
			sl_buf_puts(b, "{\"exists\":{\"field\":\"fields.num\"}}");
		else
			put_numeric(b, n);
	}
	sl_buf_puts(b, "]}}}}");
}

/* field:* on a built-in field: the value is not empty, as in SQLite. */
static void put_builtin_exists(sl_buf *b, const char *field)
{
	if (strcmp(field, "message") == 0) {
		sl_buf_puts(b, "{\"exists\":{\"field\":\"message\"}}");
		return;
	}
	sl_buf_printf(b, "{\"bool\":{\"filter\":[{\"exists\":{\"field\":\"%s.name\"}}],"
		      "\"must_not\":[{\"term\":{\"%s.name\":\"\"}}]}}", field, field);
}

static int compile_field(sl_buf *b, const sl_qnode *n, sl_error *err)
{
	sl_level level;

	if (n->op == SL_QOP_LEVELS) {
		put_levels(b, n->levels);
	} else if (n->op == SL_QOP_EXISTS && (strcmp(n->field, "service") == 0 ||
					      strcmp(n->field, "host") == 0 ||
					      strcmp(n->field, "message") == 0)) {
		put_builtin_exists(b, n->field);
	} else if (strcmp(n->field, "level") == 0) {
		level = sl_level_parse(n->text, strlen(n->text));
		if (level == SL_LEVEL_UNKNOWN && strcmp(n->text, "unknown") != 0) {
			sl_error_set(err, n->column, "column %d: unknown level '%s'", n->column,
				     n->text);
			return -1;
		}
		sl_buf_printf(b, "{\"term\":{\"log.level\":\"%s\"}}", sl_level_name(level));
	} else if (n->op != SL_QOP_EQ) {
		put_extra_field(b, n);
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

/* Appends q limited to the time window as one query object. */
static int put_query(const sl_query *q, int64_t from_ms, int64_t to_ms, sl_buf *out,
		     sl_error *err)
{
	int windowed = from_ms != INT64_MIN || to_ms != INT64_MAX;

	if (windowed)
		sl_buf_puts(out, "{\"bool\":{\"filter\":[");
	if (sl_query_to_es(q, out, err) < 0)
		return -1;
	if (windowed) {
		sl_buf_putc(out, ',');
		put_window(out, from_ms, to_ms);
		sl_buf_puts(out, "]}}");
	}
	return 0;
}

int sl_es_search_body(const sl_query *q, int64_t from_ms, int64_t to_ms, size_t size,
		      sl_buf *out, sl_error *err)
{
	sl_buf_puts(out, "{\"query\":");
	if (put_query(q, from_ms, to_ms, out, err) < 0)
		return -1;
	sl_buf_printf(out,
		      ",\"size\":%zu,\"track_total_hits\":true,\"sort\":["
		      "{\"@timestamp\":{\"order\":\"desc\"}},"
		      "{\"event.sequence\":{\"order\":\"desc\",\"unmapped_type\":\"long\"}}]}",
		      size);
	return 0;
}


/* Appends the terms aggregation "g" over the grouping field. */
static void put_group(sl_buf *b, const char *field)
{
	const char *keyword = NULL;

	if (strcmp(field, "level") == 0)
		keyword = "log.level";
	else if (strcmp(field, "service") == 0)
		keyword = "service.name";
	else if (strcmp(field, "host") == 0)
		keyword = "host.name";
	if (keyword) {
		sl_buf_printf(b, "\"g\":{\"terms\":{\"field\":\"%s\",\"size\":%d,\"shard_size\":%d}}",
			      keyword, SL_ES_AGG_TERMS, SL_ES_AGG_TERMS);
		return;
	}
	sl_buf_puts(b, "\"g\":{\"nested\":{\"path\":\"fields\"},\"aggs\":{\"k\":{\"filter\":"
		       "{\"term\":{\"fields.key\":{\"value\":");
	put_str(b, field);
	sl_buf_printf(b, "}}},\"aggs\":{\"v\":{\"terms\":{\"field\":\"fields.value\",\"size\":%d,"
		      "\"shard_size\":%d}}}}}}", SL_ES_AGG_TERMS, SL_ES_AGG_TERMS);
}

int sl_es_agg_body(const sl_query *q, int64_t from_ms, int64_t to_ms, sl_buf *out,
		   sl_error *err)
{
	const sl_agg_req *agg = &q->agg;

	sl_buf_puts(out, "{\"size\":0,\"track_total_hits\":true,\"query\":");
	if (put_query(q, from_ms, to_ms, out, err) < 0)
		return -1;
	switch (agg->kind) {
	case SL_AGG_COUNT:
		break;
	case SL_AGG_COUNT_BY:
	case SL_AGG_TOP:
		sl_buf_puts(out, ",\"aggs\":{");
		put_group(out, agg->field);
		sl_buf_putc(out, '}');
		break;
	case SL_AGG_TIMECHART:
		/* min_doc_count 1: empty buckets are not rows, as in SQLite */
		sl_buf_printf(out, ",\"aggs\":{\"t\":{\"date_histogram\":{\"field\":\"@timestamp\","
			      "\"fixed_interval\":\"%" PRId64 "ms\",\"min_doc_count\":1}",
			      agg->span_ms);
		if (agg->field[0]) {
			sl_buf_puts(out, ",\"aggs\":{");
			put_group(out, agg->field);
			sl_buf_putc(out, '}');
		}
		sl_buf_puts(out, "}}");
		break;
	default:
		sl_error_set(err, 0, "the query has no aggregation");
		return -1;
	}
	sl_buf_putc(out, '}');
	return 0;
}
