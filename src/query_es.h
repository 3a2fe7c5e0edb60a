/* query_es.h: compiles a parsed query (query.h) to the Elasticsearch and
 * OpenSearch query DSL. Every piece of user text becomes a JSON string value
 * of a structured query (match_phrase, term, prefix, range), never part of a
 * query_string, so no query syntax of the engine is ever read from it. */
#ifndef SL_QUERY_ES_H
#define SL_QUERY_ES_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "util.h"

/* Terms a phrase prefix such as "foo*" expands to at most. A prefix shared
 * by more distinct words than this matches fewer events than in SQLite. */
#define SL_ES_PREFIX_EXPANSIONS 1024

/* Appends q as one query DSL object to out. Returns 0, or -1 with err set
 * (out then contains a partial object). */
int sl_query_to_es(const sl_query *q, sl_buf *out, sl_error *err);

/* Appends a whole _search body: q limited to event times in [from_ms, to_ms]
 * (INT64_MIN / INT64_MAX when open), size hits sorted newest first by
 * @timestamp, then arrival sequence, with an exact total. Returns 0 or -1. */
int sl_es_search_body(const sl_query *q, int64_t from_ms, int64_t to_ms, size_t size,
		      sl_buf *out, sl_error *err);

/* Terms buckets an aggregation requests from each shard. With no more distinct
 * values than this every count is exact; with more, the parser reports
 * sum_other_doc_count and the store fails the request. */
#define SL_ES_AGG_TERMS 10000

/* Appends a _search body for q's aggregation (q->agg, not SL_AGG_NONE):
 * no hits, an exact total, and the aggregation "g" (terms on a keyword or,
 * for an extra field, nested > filter "k" > terms "v") or "t" (a
 * date_histogram with "g" under it). Returns 0 or -1 with err set. */
int sl_es_agg_body(const sl_query *q, int64_t from_ms, int64_t to_ms, sl_buf *out,
		   sl_error *err);

#endif
