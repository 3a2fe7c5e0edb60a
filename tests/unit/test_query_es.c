/* Unit tests for the query DSL compiler: exact JSON for a table of queries,
 * and user text that tries to break out of its JSON string. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "../../src/query_es.h"

/* 2026-01-02T03:04:05Z, the reference for relative times. */
#define NOW_MS 1767323045000LL

#define TEXT(q) "{\"multi_match\":{\"query\":\"" q "\",\"type\":\"phrase\"," \
		"\"fields\":[\"message\",\"streamlens.extra\"]}}"

/* Returns the number of JSON tokens in s, or a negative jsmn error. */
static int json_tokens(const char *s)
{
	jsmn_parser p;
	int n;

	jsmn_init(&p);
	n = jsmn_parse(&p, s, strlen(s), NULL, 0);
	return n;
}

static char *compile(const char *text)
{
	sl_error err = {{0}, 0};
	sl_query *q = sl_query_parse(text, NOW_MS, &err);
	sl_buf b;

	cr_assert_not_null(q, "query %s failed: %s", text, err.message);
	sl_buf_init(&b);
	cr_assert_eq(sl_query_to_es(q, &b, &err), 0, "%s", err.message);
	sl_query_free(q);
	cr_assert_gt(json_tokens(b.data), 0, "invalid JSON for %s: %s", text, b.data);
	return sl_buf_steal(&b);
}

struct dsl_case {
	const char *query;
	const char *json;
};

static const struct dsl_case cases[] = {
	{"", "{\"match_all\":{}}"},
	{"disk", TEXT("disk")},
	{"\"disk full\"", TEXT("disk full")},
	{"dis*",
	 "{\"multi_match\":{\"query\":\"dis\",\"type\":\"phrase_prefix\",\"max_expansions\":1024,"
	 "\"fields\":[\"message\",\"streamlens.extra\"]}}"},
	{"level:ERR", "{\"term\":{\"log.level\":\"error\"}}"},
	{"LEVEL:unknown", "{\"term\":{\"log.level\":\"unknown\"}}"},
	{"service:API", "{\"term\":{\"service.name\":{\"value\":\"API\",\"case_insensitive\":true}}}"},
	{"host:web*", "{\"prefix\":{\"host.name\":{\"value\":\"web\",\"case_insensitive\":true}}}"},
	{"message:refused", "{\"match_phrase\":{\"message\":{\"query\":\"refused\"}}}"},
	{"message:ref*",
	 "{\"match_phrase_prefix\":{\"message\":{\"query\":\"ref\",\"max_expansions\":1024}}}"},
	{"user:Bob",
	 "{\"nested\":{\"path\":\"fields\",\"query\":{\"bool\":{\"filter\":["
	 "{\"term\":{\"fields.key\":{\"value\":\"user\"}}},"
	 "{\"term\":{\"fields.value\":{\"value\":\"Bob\",\"case_insensitive\":true}}}]}}}}"},
	{"k8s.app-name:led*",
	 "{\"nested\":{\"path\":\"fields\",\"query\":{\"bool\":{\"filter\":["
	 "{\"term\":{\"fields.key\":{\"value\":\"k8s.app-name\"}}},"
	 "{\"prefix\":{\"fields.value\":{\"value\":\"led\",\"case_insensitive\":true}}}]}}}}"},
	{"since:15m", "{\"range\":{\"@timestamp\":{\"gte\":1767322145000,\"format\":\"epoch_millis\"}}}"},
	{"until:2026-01-01T00:00:00Z",
	 "{\"range\":{\"@timestamp\":{\"lte\":1767225600000,\"format\":\"epoch_millis\"}}}"},
	{"a b c", "{\"bool\":{\"filter\":[" TEXT("a") "," TEXT("b") "," TEXT("c") "]}}"},
	{"a OR b OR c",
	 "{\"bool\":{\"should\":[" TEXT("a") "," TEXT("b") "," TEXT("c") "],\"minimum_should_match\":1}}"},
	{"-a", "{\"bool\":{\"must_not\":[" TEXT("a") "]}}"},
	{"NOT NOT a", "{\"bool\":{\"must_not\":[{\"bool\":{\"must_not\":[" TEXT("a") "]}}]}}"},
	{"a (b OR c) d",
	 "{\"bool\":{\"filter\":[" TEXT("a") ",{\"bool\":{\"should\":[" TEXT("b") "," TEXT("c")
	 "],\"minimum_should_match\":1}}," TEXT("d") "]}}"},
	{"a b OR c",
	 "{\"bool\":{\"should\":[{\"bool\":{\"filter\":[" TEXT("a") "," TEXT("b") "]}}," TEXT("c")
	 "],\"minimum_should_match\":1}}"},
	{"(a OR b) (c OR d)",
	 "{\"bool\":{\"filter\":[{\"bool\":{\"should\":[" TEXT("a") "," TEXT("b")
	 "],\"minimum_should_match\":1}},{\"bool\":{\"should\":[" TEXT("c") "," TEXT("d")
	 "],\"minimum_should_match\":1}}]}}"},
};

Test(query_es, table_exact)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = compile(cases[i].query);

		cr_expect_str_eq(got, cases[i].json, "query %s", cases[i].query);
		free(got);
	}
}

/* Each attempt to close the string and add a clause stays one string. */
Test(query_es, injection_stays_string)
{
	static const struct dsl_case attacks[] = {
		{"\"x\\\"}},{\\\"match_all\\\":{}}\"", TEXT("x\\\"}},{\\\"match_all\\\":{}}")},
		{"service:\"a\\\"},\\\"b\\\":{\"",
		 "{\"term\":{\"service.name\":{\"value\":\"a\\\"},\\\"b\\\":{\","
		 "\"case_insensitive\":true}}}"},
		{"x\\", TEXT("x\\\\")},
		{"caf\xc3\xa9\x01\x1b", TEXT("caf\xc3\xa9\\u0001\\u001b")},
		{"*:* OR _id:1",
		 "{\"bool\":{\"should\":[{\"multi_match\":{\"query\":\"*:\",\"type\":\"phrase_prefix\","
		 "\"max_expansions\":1024,\"fields\":[\"message\",\"streamlens.extra\"]}},{\"nested\":{\"path\":\"fields\","
		 "\"query\":{\"bool\":{\"filter\":[{\"term\":{\"fields.key\":{\"value\":\"_id\"}}},"
		 "{\"term\":{\"fields.value\":{\"value\":\"1\",\"case_insensitive\":true}}}]}}}}],"
		 "\"minimum_should_match\":1}}"},
	};
	size_t i;

	for (i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		char *got = compile(attacks[i].query);

		cr_expect_str_eq(got, attacks[i].json, "query %s", attacks[i].query);
		free(got);
	}
}

/* A long run of words is one flat bool, not a tree as deep as the run. */
Test(query_es, long_chain_flat)
{
	sl_buf text;
	char *got, *p;
	int i, n = 0;

	sl_buf_init(&text);
	for (i = 0; i < 300; i++)
		sl_buf_printf(&text, "w%d ", i);
	got = compile(text.data);
	for (p = got; (p = strstr(p, "\"bool\"")) != NULL; p++)
		n++;
	cr_assert_eq(n, 1, "%d bool queries", n);
	for (n = 0, p = got; (p = strstr(p, "multi_match")) != NULL; p++)
		n++;
	cr_assert_eq(n, 300);
	free(got);
	sl_buf_free(&text);
}

Test(query_es, search_body_window)
{
	sl_error err = {{0}, 0};
	sl_query *q = sl_query_parse("level:error", NOW_MS, &err);
	sl_buf b;

	cr_assert_not_null(q);
	sl_buf_init(&b);
	cr_assert_eq(sl_es_search_body(q, 1000, 2000, 50, &b, &err), 0);
	cr_assert_str_eq(b.data,
			 "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"log.level\":\"error\"}},"
			 "{\"range\":{\"@timestamp\":{\"gte\":1000,\"lte\":2000,"
			 "\"format\":\"epoch_millis\"}}}]}},\"size\":50,\"track_total_hits\":true,"
			 "\"sort\":[{\"@timestamp\":{\"order\":\"desc\"}},{\"event.sequence\":"
			 "{\"order\":\"desc\",\"unmapped_type\":\"long\"}}]}");
	sl_buf_reset(&b);
	cr_assert_eq(sl_es_search_body(q, INT64_MIN, INT64_MAX, 0, &b, &err), 0);
	cr_assert_str_eq(b.data,
			 "{\"query\":{\"term\":{\"log.level\":\"error\"}},\"size\":0,"
			 "\"track_total_hits\":true,\"sort\":[{\"@timestamp\":{\"order\":\"desc\"}},"
			 "{\"event.sequence\":{\"order\":\"desc\",\"unmapped_type\":\"long\"}}]}");
	sl_buf_reset(&b);
	cr_assert_eq(sl_es_search_body(q, INT64_MIN, 5, 1, &b, &err), 0);
	cr_assert(strstr(b.data, "{\"range\":{\"@timestamp\":{\"lte\":5,\"format\"") != NULL, "%s",
		  b.data);
	sl_buf_free(&b);
	sl_query_free(q);
}

Test(query_es, null_tree_rejected)
{
	sl_error err = {{0}, 0};
	sl_buf b;

	sl_buf_init(&b);
	cr_assert_eq(sl_query_to_es(NULL, &b, &err), -1);
	cr_assert_str_eq(err.message, "empty query tree");
	sl_buf_free(&b);
}
