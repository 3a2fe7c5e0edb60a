/* Unit tests for the Elasticsearch bulk bodies and response parsers; no
 * server is involved. Case files are read from SL_CASES_DIR, by default
 * ../shared/cases, and their tests are skipped when it is missing. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/es_bulk.h"

/* 2026-01-02T03:04:00Z */
#define T0 1767323040000LL

/* Reads a case file into a new string; NULL (and the test is skipped) when
 * the cases directory is not there. */
static char *read_case(const char *name, size_t *len)
{
	const char *dir = getenv("SL_CASES_DIR");
	char path[512];
	sl_buf b;
	FILE *f;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/cases", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	sl_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sl_buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return sl_buf_steal(&b);
}

static void make_event(sl_event *ev)
{
	static const char msg[] = "tab\there \x1b[31mred\x1b[0m caf\xc3\xa9 \xe2\x9c\x93 \"q\" \\";

	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "f:1:0");
	ev->ts_ms = T0;
	ev->recv_ms = T0 + 500;
	ev->level = SL_LEVEL_ERROR;
	ev->flags = SL_EV_INVALID_UTF8;
	sl_event_set_str(&ev->service, "api", 3);
	sl_event_set_str(&ev->host, "web-1", 5);
	sl_event_set_str(&ev->message, msg, strlen(msg));
	sl_event_set_str(&ev->raw, "raw\x01", 4);
	sl_event_set_field(ev, "app", 3, "billing", 7);
	sl_event_set_field(ev, "app.kubernetes.io/name", 22, "ledger", 6);
}

Test(es_bulk, index_name_by_utc_day)
{
	sl_buf b;

	sl_buf_init(&b);
	sl_es_index_name(&b, "sl", T0);
	cr_assert_str_eq(b.data, "sl-2026.01.02");
	sl_buf_reset(&b);
	sl_es_index_name(&b, "sl", T0 - 3 * 3600 * 1000 - 4 * 60 * 1000 - 1);
	cr_assert_str_eq(b.data, "sl-2026.01.01");
	sl_buf_reset(&b);
	sl_es_index_name(&b, "sl", -1);
	cr_assert_str_eq(b.data, "sl-1969.12.31");
	sl_buf_reset(&b);
	sl_es_index_name(&b, "sl", INT64_MAX);
	cr_assert_str_eq(b.data, "sl-9999.12.31");
	sl_buf_reset(&b);
	sl_es_index_name(&b, "sl", INT64_MIN);
	cr_assert_str_eq(b.data, "sl-0001.01.01");
	sl_buf_free(&b);
}

Test(es_bulk, event_ndjson_exact)
{
	static const char expected[] =
		"{\"create\":{\"_index\":\"sl-2026.01.02\",\"_id\":\"f:1:0\"}}\n"
		"{\"@timestamp\":\"2026-01-02T03:04:00.000Z\",\"event\":{\"id\":\"f:1:0\","
		"\"ingested\":\"2026-01-02T03:04:00.500Z\",\"sequence\":42,"
		"\"original\":\"raw\\u0001\"},\"log\":{\"level\":\"error\"},"
		"\"service\":{\"name\":\"api\"},\"host\":{\"name\":\"web-1\"},"
		"\"message\":\"tab\\there \\u001b[31mred\\u001b[0m caf\xc3\xa9 \xe2\x9c\x93 "
		"\\\"q\\\" \\\\\","
		"\"fields\":[{\"key\":\"app\",\"value\":\"billing\"},"
		"{\"key\":\"app.kubernetes.io/name\",\"value\":\"ledger\"}],"
		"\"streamlens\":{\"flags\":16,\"extra\":\"api web-1 billing ledger\"}}\n";
	sl_event ev;
	sl_buf b;

	make_event(&ev);
	sl_buf_init(&b);
	sl_es_bulk_event(&b, "sl", &ev, 42);
	cr_assert_str_eq(b.data, expected);
	sl_buf_free(&b);
	sl_event_clear(&ev);
}

Test(es_bulk, empty_event_ndjson_exact)
{
	static const char expected[] =
		"{\"create\":{\"_index\":\"p-1970.01.01\",\"_id\":\"g:0\"}}\n"
		"{\"@timestamp\":\"1970-01-01T00:00:00.001Z\",\"event\":{\"id\":\"g:0\","
		"\"ingested\":\"1970-01-01T00:00:00.002Z\",\"sequence\":7,\"original\":\"\"},"
		"\"log\":{\"level\":\"unknown\"},\"service\":{\"name\":\"\"},"
		"\"host\":{\"name\":\"\"},\"message\":\"\",\"fields\":[],"
		"\"streamlens\":{\"flags\":0,\"extra\":\"\"}}\n";
	sl_event ev;
	sl_buf b;

	sl_event_init(&ev);
	snprintf(ev.id, sizeof ev.id, "g:0");
	ev.ts_ms = 1;
	ev.recv_ms = 2;
	sl_buf_init(&b);
	sl_es_bulk_event(&b, "p", &ev, 7);
	cr_assert_str_eq(b.data, expected);
	sl_buf_free(&b);
}

Test(es_bulk, position_ndjson_exact)
{
	sl_source_pos pos = {"file:/var/log/a \"b\".log", "2049:77", 1234567890123ULL};
	sl_buf b;

	sl_buf_init(&b);
	sl_es_bulk_position(&b, "sl", &pos);
	cr_assert_str_eq(b.data,
			 "{\"index\":{\"_index\":\"sl-positions\",\"_id\":\"file:/var/log/a \\\"b\\\".log\"}}\n"
			 "{\"key\":\"file:/var/log/a \\\"b\\\".log\",\"identity\":\"2049:77\","
			 "\"offset\":1234567890123}\n");
	sl_buf_free(&b);
}

Test(es_bulk, long_position_key_hashed)
{
	char key[700], other[700];
	sl_buf a, b;

	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	memcpy(other, key, sizeof other);
	other[100] = 'x';
	sl_buf_init(&a);
	sl_buf_init(&b);
	sl_es_position_id(&a, key);
	sl_es_position_id(&b, other);
	cr_assert(a.len <= 512, "id is %zu bytes", a.len);
	cr_assert_eq(strncmp(a.data, "h:", 2), 0);
	cr_assert_str_neq(a.data, b.data);
	sl_buf_reset(&a);
	sl_es_position_id(&a, "");
	cr_assert_eq(strncmp(a.data, "h:", 2), 0, "an empty _id is invalid, got '%s'", a.data);
	sl_buf_free(&a);
	sl_buf_free(&b);
}

Test(es_bulk, c06_partial_429)
{
	size_t len;
	char *body = read_case("C06-es-bulk-partial-429.response.json", &len);
	sl_es_item items[5];
	sl_error err = {{0}, 0};

	if (!body)
		cr_skip_test("C06 case file not found (set SL_CASES_DIR)");
	cr_assert_eq(sl_es_parse_bulk(body, len, items, 5, &err), SL_OK, "%s", err.message);
	cr_assert_eq(items[0].state, SL_ES_ITEM_CREATED);
	cr_assert_eq(items[1].state, SL_ES_ITEM_RETRY);
	cr_assert_eq(items[1].status, 429);
	cr_assert_eq(items[2].state, SL_ES_ITEM_REJECTED);
	cr_assert_eq(items[2].status, 400);
	cr_assert_str_eq(items[2].reason, "mapper_parsing_exception: failed to parse field [pid] "
					  "of type [long] in document with id 'a3'");
	cr_assert_eq(items[3].state, SL_ES_ITEM_CREATED);
	cr_assert_eq(items[4].state, SL_ES_ITEM_RETRY);
	cr_assert(strstr(items[4].reason, "es_rejected_execution_exception") != NULL);

	/* the response must cover exactly the items sent */
	cr_assert_eq(sl_es_parse_bulk(body, len, items, 4, &err), SL_ERR);
	cr_assert(strstr(err.message, "5 items for 4") != NULL, "%s", err.message);
	free(body);
}

Test(es_bulk, item_states)
{
	static const char body[] =
		"{\"items\":[{\"create\":{\"status\":409,\"error\":{\"type\":"
		"\"version_conflict_engine_exception\",\"reason\":\"exists\"}}},"
		"{\"index\":{\"status\":200,\"result\":\"updated\"}},"
		"{\"index\":{\"status\":200,\"result\":\"noop\"}},"
		"{\"index\":{\"status\":200,\"result\":\"created\"}},"
		"{\"create\":{\"status\":503,\"error\":\"unavailable\"}},"
		"{\"create\":{\"status\":413}},"
		"{\"create\":{}}]}";
	sl_es_item items[7];
	sl_error err = {{0}, 0};

	cr_assert_eq(sl_es_parse_bulk(body, strlen(body), items, 7, &err), SL_OK, "%s", err.message);
	cr_assert_eq(items[0].state, SL_ES_ITEM_EXISTS);
	cr_assert_eq(items[1].state, SL_ES_ITEM_EXISTS);
	cr_assert_eq(items[2].state, SL_ES_ITEM_EXISTS);
	cr_assert_eq(items[3].state, SL_ES_ITEM_CREATED);
	cr_assert_eq(items[4].state, SL_ES_ITEM_RETRY);
	cr_assert_str_eq(items[4].reason, "unavailable");
	cr_assert_eq(items[5].state, SL_ES_ITEM_REJECTED);
	cr_assert_str_eq(items[5].reason, "HTTP status 413");
	cr_assert_eq(items[6].state, SL_ES_ITEM_RETRY);
}

Test(es_bulk, malformed_answers_rejected)
{
	static const char *const bodies[] = {
		"", "{", "{\"items\":", "{\"items\":{}}", "[1,2]", "{\"items\":[1]}x",
		"{\"took\":1}", "\x01\x02", "{\"items\":[{\"create\":{\"status\":\"201\"}}]",
	};
	sl_es_item item;
	sl_error err = {{0}, 0};
	size_t i;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		cr_assert_eq(sl_es_parse_bulk(bodies[i], strlen(bodies[i]), &item, 1, &err), SL_ERR,
			     "body %zu parsed", i);
}

/* Formats ev as a document, wraps it in a search response and decodes it. */
Test(es_bulk, search_round_trip)
{
	sl_search_res res;
	sl_error err = {{0}, 0};
	sl_event ev;
	sl_buf b;
	const sl_event *got;

	make_event(&ev);
	sl_buf_init(&b);
	sl_buf_puts(&b, "{\"hits\":{\"total\":{\"value\":12,\"relation\":\"eq\"},\"hits\":["
			"{\"_index\":\"sl-2026.01.02\",\"_id\":\"f:1:0\",\"_source\":");
	sl_es_event_doc(&b, &ev, 9);
	sl_buf_puts(&b, "},{\"_id\":\"only-id\",\"_source\":{}}]}}");
	memset(&res, 0, sizeof res);
	cr_assert_eq(sl_es_parse_search(b.data, b.len, &res, &err), SL_OK, "%s", err.message);
	cr_assert_eq(res.total, 12);
	cr_assert_eq(res.nhits, 2);
	got = &res.hits[0];
	cr_assert_str_eq(got->id, ev.id);
	cr_assert_eq(got->ts_ms, ev.ts_ms);
	cr_assert_eq(got->recv_ms, ev.recv_ms);
	cr_assert_eq(got->level, ev.level);
	cr_assert_eq(got->flags, ev.flags);
	cr_assert_str_eq(got->service, ev.service);
	cr_assert_str_eq(got->host, ev.host);
	cr_assert_str_eq(got->message, ev.message);
	cr_assert_str_eq(got->raw, ev.raw);
	cr_assert_eq(got->nfields, 2);
	cr_assert_str_eq(sl_event_get_field(got, "app"), "billing");
	cr_assert_str_eq(sl_event_get_field(got, "app.kubernetes.io/name"), "ledger");
	cr_assert_str_eq(res.hits[1].id, "only-id");
	cr_assert_str_eq(res.hits[1].message, "");
	sl_search_res_free(&res);
	sl_buf_free(&b);
	sl_event_clear(&ev);
}

Test(es_bulk, search_unicode_escapes)
{
	static const char body[] =
		"{\"hits\":{\"total\":3,\"hits\":[{\"_id\":\"x\",\"_source\":{"
		"\"message\":\"\\u00e9\\ud83d\\ude00\\ud800z\\u001b\\/\\\\\"}}]}}";
	sl_search_res res;
	sl_error err = {{0}, 0};

	memset(&res, 0, sizeof res);
	cr_assert_eq(sl_es_parse_search(body, strlen(body), &res, &err), SL_OK, "%s", err.message);
	cr_assert_eq(res.total, 3);
	cr_assert_str_eq(res.hits[0].message, "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdz\x1b/\\");
	sl_search_res_free(&res);
}

struct minutes {
	sl_minute_counts rows[8];
	size_t n;
};

static void collect_minute(void *ud, const sl_minute_counts *mc)
{
	struct minutes *m = ud;

	cr_assert(m->n < 8);
	m->rows[m->n++] = *mc;
}

/* filter_path drops the empty hits array of a search without matches */
Test(es_bulk, search_without_hits_array)
{
	static const char body[] = "{\"hits\":{\"total\":{\"value\":0,\"relation\":\"eq\"}}}";
	sl_search_res res;
	sl_error err = {{0}, 0};

	memset(&res, 0, sizeof res);
	cr_assert_eq(sl_es_parse_search(body, strlen(body), &res, &err), SL_OK, "%s", err.message);
	cr_assert_eq(res.total, 0);
	cr_assert_eq(res.nhits, 0);
}

Test(es_bulk, minutes_without_indices)
{
	static const char none[] = "{\"took\":0,\"_shards\":{\"total\":0},\"hits\":{\"hits\":[]}}";
	static const char bad[] = "{\"took\":0,\"aggregations\":{}}";
	struct minutes m = {0};
	sl_minute_counts mc;
	sl_error err = {{0}, 0};
	char *after = (char *)"x";

	memset(&mc, 0, sizeof mc);
	mc.minute = INT64_MIN;
	cr_assert_eq(sl_es_parse_minutes(none, strlen(none), &mc, collect_minute, &m, &after, &err),
		     SL_OK, "%s", err.message);
	cr_assert_null(after);
	cr_assert_eq(m.n, 0);
	cr_assert_eq(mc.minute, INT64_MIN);
	cr_assert_eq(sl_es_parse_minutes(bad, strlen(bad), &mc, collect_minute, &m, &after, &err),
		     SL_ERR);
}

Test(es_bulk, search_malformed)
{
	static const char *const bodies[] = {
		"", "{}", "{\"hits\":{}}", "{\"hits\":{\"hits\":[]}}",
		"{\"hits\":{\"total\":{\"value\":-1},\"hits\":[]}}", "{\"hits\":{\"total\":1,\"hits\":[",
		"{\"hits\":{\"total\":1,\"hits\":{}}}",
	};
	sl_search_res res;
	sl_error err = {{0}, 0};
	size_t i;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		memset(&res, 0, sizeof res);
		cr_assert_eq(sl_es_parse_search(bodies[i], strlen(bodies[i]), &res, &err), SL_ERR,
			     "body %zu parsed", i);
		cr_assert_eq(res.nhits, 0);
	}
}

Test(es_bulk, minutes_across_pages)
{
	static const char page1[] =
		"{\"aggregations\":{\"minutes\":{\"after_key\":{\"minute\":60000,\"level\":\"info\"},"
		"\"buckets\":[{\"key\":{\"minute\":0,\"level\":\"error\"},\"doc_count\":2},"
		"{\"key\":{\"minute\":60000,\"level\":\"debug\"},\"doc_count\":1},"
		"{\"key\":{\"minute\":60000,\"level\":\"info\"},\"doc_count\":4}]}}}";
	static const char page2[] =
		"{\"aggregations\":{\"minutes\":{\"after_key\":{\"minute\":120000,\"level\":\"x\\\"\"},"
		"\"buckets\":[{\"key\":{\"minute\":60000,\"level\":\"warn\"},\"doc_count\":3},"
		"{\"key\":{\"minute\":120000,\"level\":\"x\\\"\"},\"doc_count\":5}]}}}";
	static const char page3[] = "{\"aggregations\":{\"minutes\":{\"buckets\":[]}}}";
	struct minutes m = {0};
	sl_minute_counts mc;
	sl_error err = {{0}, 0};
	char *after;

	memset(&mc, 0, sizeof mc);
	mc.minute = INT64_MIN;
	cr_assert_eq(sl_es_parse_minutes(page1, strlen(page1), &mc, collect_minute, &m, &after,
					 &err), SL_OK, "%s", err.message);
	cr_assert_str_eq(after, "{\"minute\":60000,\"level\":\"info\"}");
	free(after);
	cr_assert_eq(sl_es_parse_minutes(page2, strlen(page2), &mc, collect_minute, &m, &after,
					 &err), SL_OK);
	cr_assert_str_eq(after, "{\"minute\":120000,\"level\":\"x\\\"\"}");
	free(after);
	cr_assert_eq(sl_es_parse_minutes(page3, strlen(page3), &mc, collect_minute, &m, &after,
					 &err), SL_OK);
	cr_assert_null(after);
	collect_minute(&m, &mc);

	cr_assert_eq(m.n, 3);
	cr_assert_eq(m.rows[0].minute, 0);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_ERROR], 2);
	cr_assert_eq(m.rows[1].minute, 60000);
	cr_assert_eq(m.rows[1].counts[SL_LEVEL_DEBUG], 1);
	cr_assert_eq(m.rows[1].counts[SL_LEVEL_INFO], 4);
	cr_assert_eq(m.rows[1].counts[SL_LEVEL_WARN], 3);
	cr_assert_eq(m.rows[2].minute, 120000);
	cr_assert_eq(m.rows[2].counts[SL_LEVEL_UNKNOWN], 5);
}

Test(es_bulk, position_answers)
{
	static const char found[] = "{\"_id\":\"k\",\"found\":true,\"_source\":{\"key\":\"file:/a\","
				    "\"identity\":\"1:2\",\"offset\":18446744073709551615}}";
	static const char missing[] = "{\"_id\":\"k\",\"found\":false}";
	static const char bad[] = "{\"_source\":{\"key\":\"file:/a\",\"offset\":-5}}";
	sl_error err = {{0}, 0};
	char *identity = NULL;
	uint64_t offset = 0;

	cr_assert_eq(sl_es_parse_position(found, strlen(found), "file:/a", &identity, &offset, &err),
		     1);
	cr_assert_str_eq(identity, "1:2");
	cr_assert_eq(offset, UINT64_MAX);
	free(identity);
	cr_assert_eq(sl_es_parse_position(found, strlen(found), "file:/b", &identity, &offset, &err),
		     0, "a document of another key (hash collision) must not match");
	cr_assert_eq(sl_es_parse_position(missing, strlen(missing), "k", &identity, &offset, &err), 0);
	cr_assert_eq(sl_es_parse_position(bad, strlen(bad), "file:/a", &identity, &offset, &err),
		     SL_ERR);
	cr_assert_eq(sl_es_parse_position("", 0, "k", &identity, &offset, &err), SL_ERR);
}

Test(es_bulk, root_and_errors)
{
	static const char os[] = "{\"name\":\"n\",\"version\":{\"distribution\":\"opensearch\","
				 "\"number\":\"2.19.1\"},\"tagline\":\"The OpenSearch Project\"}";
	static const char es[] = "{\"name\":\"n\",\"version\":{\"number\":\"8.15.0\"}}";
	static const char error[] = "{\"error\":{\"root_cause\":[],\"type\":\"index_not_found_exception\","
				    "\"reason\":\"no such index [x]\"},\"status\":404}";
	sl_error err = {{0}, 0};
	int is_os = -1, major = 0;
	char reason[64];

	cr_assert_eq(sl_es_parse_root(os, strlen(os), &is_os, &major, &err), SL_OK);
	cr_assert_eq(is_os, 1);
	cr_assert_eq(major, 2);
	cr_assert_eq(sl_es_parse_root(es, strlen(es), &is_os, &major, &err), SL_OK);
	cr_assert_eq(is_os, 0);
	cr_assert_eq(major, 8);
	cr_assert_eq(sl_es_parse_root("{}", 2, &is_os, &major, &err), SL_ERR);

	sl_es_error_reason(error, strlen(error), reason, sizeof reason);
	cr_assert_str_eq(reason, "index_not_found_exception: no such index [x]");
	sl_es_error_reason("<html>bad gateway</html>", 24, reason, sizeof reason);
	cr_assert_str_eq(reason, "<html>bad gateway</html>");
	sl_es_error_reason("{\"error\":\"plain\"}", 17, reason, sizeof reason);
	cr_assert_str_eq(reason, "plain");
}

static void ignore_minute(void *ud, const sl_minute_counts *mc)
{
	(void)ud;
	(void)mc;
}

/* Every truncation and a few byte flips of valid responses go through every
 * parser without a crash (run under the asan target to see overreads). */
Test(es_bulk, truncated_responses_safe)
{
	sl_event ev;
	sl_buf b;
	size_t len, i;

	make_event(&ev);
	sl_buf_init(&b);
	sl_buf_puts(&b, "{\"hits\":{\"total\":{\"value\":1},\"hits\":[{\"_id\":\"x\",\"_source\":");
	sl_es_event_doc(&b, &ev, 1);
	sl_buf_puts(&b, "}]},\"aggregations\":{\"minutes\":{\"after_key\":{\"minute\":1,\"level\":"
			"\"info\"},\"buckets\":[{\"key\":{\"minute\":1,\"level\":\"info\"},"
			"\"doc_count\":1}]}},\"items\":[{\"create\":{\"status\":201}}],\"count\":3,"
			"\"_source\":{\"key\":\"k\",\"offset\":1,\"identity\":\"i\"},"
			"\"version\":{\"number\":\"2\"},\"error\":{\"type\":\"t\",\"reason\":\"\\ud800\"}}");
	for (len = 0; len <= b.len; len++) {
		for (i = 0; i < 2; i++) {
			char *copy = sl_strndup(b.data, len);
			sl_search_res res;
			sl_minute_counts mc;
			sl_es_item item;
			sl_error err;
			char *after = NULL, *identity = NULL, reason[64];
			uint64_t n;
			int is_os, major;

			if (i == 1 && len > 0)
				copy[len / 2] = copy[len / 2] == '"' ? '{' : '"';
			memset(&res, 0, sizeof res);
			memset(&mc, 0, sizeof mc);
			mc.minute = INT64_MIN;
			sl_es_parse_search(copy, len, &res, &err);
			sl_search_res_free(&res);
			sl_es_parse_minutes(copy, len, &mc, ignore_minute, NULL, &after, &err);
			free(after);
			sl_es_parse_bulk(copy, len, &item, 1, &err);
			sl_es_parse_count(copy, len, &n, &err);
			if (sl_es_parse_position(copy, len, "k", &identity, &n, &err) == 1)
				free(identity);
			sl_es_parse_root(copy, len, &is_os, &major, &err);
			sl_es_error_reason(copy, len, reason, sizeof reason);
			free(copy);
		}
	}
	sl_buf_free(&b);
	sl_event_clear(&ev);
}
