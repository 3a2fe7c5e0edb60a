/* libFuzzer target for the query language: parses the input and compiles
 * the tree to SQL (the plain form and the store's indexed form), to the
 * Elasticsearch query DSL and, with a '|', to an aggregation body. Build
 * with clang -fsanitize=fuzzer,address. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/query.h"
#include "../src/query_es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-01-02T03:04:05Z, so relative times do not depend on the clock. */
#define NOW_MS 1767323045000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	sl_error err = {{0}, 0};
	sl_query *q;
	sl_sql sql;
	sl_buf es;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	q = sl_query_parse(text, NOW_MS, &err);
	if (q) {
		if (sl_query_to_sql(q, &sql, &err) == 0)
			sl_sql_free(&sql);
		if (sl_query_to_sql_indexed(q, &sql, &err) == 0)
			sl_sql_free(&sql);
		sl_buf_init(&es);
		sl_es_search_body(q, INT64_MIN, INT64_MAX, 100, &es, &err);
		sl_buf_free(&es);
		if (q->agg.kind != SL_AGG_NONE) {
			sl_buf_init(&es);
			sl_es_agg_body(q, INT64_MIN, INT64_MAX, &es, &err);
			sl_buf_free(&es);
		}
		sl_query_free(q);
	}
	free(text);
	return 0;
}
