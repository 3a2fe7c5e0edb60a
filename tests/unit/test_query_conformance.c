/* The query language must select the same events and count the same
 * aggregate rows on SQLite and on OpenSearch. These tests write one fixed
 * set of events (the bundled generator with a fixed seed and fixed
 * timestamps, plus hand-written events with numeric and odd field values)
 * to both stores and compare totals, hit ids in order and aggregation rows.
 * The OpenSearch node comes from OPENSEARCH_URL; the tests are skipped
 * when it is unset. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../producer/gen.h"
#include "../../src/decode.h"
#include "../../src/store_es.h"

/* 2026-01-02T03:04:00Z */
#define T0 1767323040000LL
#define GEN_EVENTS 400
#define GEN_STEP_MS 1500
#define GEN_SEED 20260102
#define NOW_MS (T0 + 15 * 60000LL)

static char prefix[64];
static const char *base_url;
static char sqlite_dir[64];

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	(void)data;
	(void)ud;
	return size * nmemb;
}

/* Sends method path to the node; returns the HTTP status or 0. */
static long http(const char *method, const char *path)
{
	CURL *h = curl_easy_init();
	char url[512];
	long status = 0;

	snprintf(url, sizeof url, "%s%s", base_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	base_url = getenv("OPENSEARCH_URL");
	snprintf(prefix, sizeof prefix, "slconf-%ld-%ld", (long)getpid(), ts.tv_nsec);
	sqlite_dir[0] = '\0';
}

static void teardown(void)
{
	char path[160];

	if (base_url && *base_url) {
		snprintf(path, sizeof path, "/%s-*", prefix);
		http("DELETE", path);
		snprintf(path, sizeof path, "/_index_template/%s", prefix);
		http("DELETE", path);
	}
	if (sqlite_dir[0])
		nftw(sqlite_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- the events ---------------------------------------------------------------- */

struct hand_event {
	const char *id;
	int64_t ts_off;
	sl_level level;
	const char *service;
	const char *host;
	const char *message;
	const char *key; /* one extra field, or NULL */
	const char *value;
};

/* Values of "num" that are and are not numbers by the shared rule, fields
 * with dots, empty built-ins and ties in time. */
static const struct hand_event hand[] = {
	{"h01", 100, SL_LEVEL_ERROR, "edge", "e-1", "odd number five hundred", "num", "500"},
	{"h02", 200, SL_LEVEL_ERROR, "edge", "e-1", "odd exponent", "num", "5e2"},
	{"h03", 300, SL_LEVEL_WARN, "edge", "e-2", "odd text value", "num", "abc"},
	{"h04", 400, SL_LEVEL_WARN, "edge", "e-2", "odd negative", "num", "-3"},
	{"h05", 500, SL_LEVEL_INFO, "edge", "e-3", "odd plus", "num", "+7"},
	{"h06", 600, SL_LEVEL_INFO, "edge", "e-3", "odd half", "num", ".5"},
	{"h07", 700, SL_LEVEL_DEBUG, "edge", "e-3", "odd leading zeros", "num", "007"},
	{"h08", 800, SL_LEVEL_DEBUG, "edge", "e-3", "odd overflow", "num", "1e999"},
	{"h09", 900, SL_LEVEL_TRACE, "edge", "e-4", "odd empty value", "num", ""},
	{"h10", 1000, SL_LEVEL_UNKNOWN, "", "", "", "num", "1"},
	{"h11", 1000, SL_LEVEL_FATAL, "Edge", "E-1", "odd hex", "num", "0x10"},
	{"h12", 1100, SL_LEVEL_ERROR, "k8s", "node-1", "pod evicted", "app.kubernetes.io/name",
	 "ledger"},
	{"h13", 1100, SL_LEVEL_ERROR, "k8s", "node-1", "pod evicted again",
	 "app.kubernetes.io/name", "Ledger"},
	{"h14", 1200, SL_LEVEL_INFO, "edge", "e-5", "odd infinity", "num", "inf"},
	{"h15", 1300, SL_LEVEL_INFO, "edge", "e-5", "odd fraction", "num", "0.25"},
};
#define NHAND (sizeof hand / sizeof hand[0])
#define NEVENTS (GEN_EVENTS + NHAND)

static void make_hand(sl_event *ev, const struct hand_event *h)
{
	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "%s", h->id);
	ev->ts_ms = T0 + h->ts_off;
	ev->recv_ms = T0;
	ev->level = h->level;
	sl_event_set_str(&ev->service, h->service, strlen(h->service));
	sl_event_set_str(&ev->host, h->host, strlen(h->host));
	sl_event_set_str(&ev->message, h->message, strlen(h->message));
	sl_event_set_str(&ev->raw, h->message, strlen(h->message));
	if (h->key)
		sl_event_set_field(ev, h->key, strlen(h->key), h->value, strlen(h->value));
}

/* Fills evs with the generated events, decoded as the JSON decoder does
 * for any input, then the hand-written ones. */
static void make_events(sl_event *evs)
{
	sl_gen *g = sl_gen_new(GEN_SEED);
	sl_decode_ctx ctx;
	sl_record rec;
	sl_buf line;
	size_t i;

	sl_buf_init(&line);
	sl_decode_ctx_init(&ctx, &sl_decoder_json);
	for (i = 0; i < GEN_EVENTS; i++) {
		sl_buf_reset(&line);
		sl_gen_next(g, T0 + (int64_t)i * GEN_STEP_MS, &line);
		memset(&rec, 0, sizeof rec);
		rec.data = line.data;
		rec.len = line.len;
		snprintf(rec.id, sizeof rec.id, "gen:%zu", i);
		rec.recv_ms = T0;
		sl_event_init(&evs[i]);
		sl_decode_record(&ctx, &rec, &evs[i]);
	}
	for (i = 0; i < NHAND; i++)
		make_hand(&evs[GEN_EVENTS + i], &hand[i]);
	sl_buf_free(&line);
	sl_gen_free(g);
}

/* Opens both stores and writes the same events to each, in one batch. */
static void open_both(sl_store **es, sl_store **lite)
{
	sl_event *evs = calloc(NEVENTS, sizeof *evs);
	sl_error err = {{0}, 0};
	sl_es_conf conf;
	char path[160];
	size_t i;

	if (!base_url || !*base_url)
		cr_skip_test("OPENSEARCH_URL is not set: start a node with "
			     "scripts/servers.sh start opensearch DIR");
	memset(&conf, 0, sizeof conf);
	conf.url = base_url;
	conf.index_prefix = prefix;
	*es = sl_es_open(&conf, &err);
	cr_assert_not_null(*es, "sl_es_open failed: %s", err.message);
	strcpy(sqlite_dir, "/tmp/sl-conf-XXXXXX");
	cr_assert_not_null(mkdtemp(sqlite_dir));
	*lite = sl_sqlite_open(sqlite_dir, &err);
	cr_assert_not_null(*lite, "%s", err.message);

	make_events(evs);
	cr_assert_eq((*es)->ops->write_batch(*es, evs, NEVENTS, NULL, 0, NULL, &err), SL_OK,
		     "%s", err.message);
	cr_assert_eq((*lite)->ops->write_batch(*lite, evs, NEVENTS, NULL, 0, NULL, &err), SL_OK,
		     "%s", err.message);
	for (i = 0; i < NEVENTS; i++)
		sl_event_clear(&evs[i]);
	free(evs);
	snprintf(path, sizeof path, "/%s-*/_refresh", prefix);
	cr_assert_eq(http("POST", path), 200, "refresh failed");
}

/* --- searches -------------------------------------------------------------------- */

static const char *const searches[] = {
	"",
	"*",
	"NOT *",
	"* level:error",
	"connection",
	"CONNECTION",
	"\"pool resized\"",
	"conn*",
	"refresh*",
	"GET OR POST",
	"\"GET /orders\"",
	"level:error",
	"level:ERROR OR level:fatal",
	"level:>=warn",
	"level:<info",
	"level:[debug TO warn]",
	"level:{debug TO warn}",
	"level:*",
	"level:unknown",
	"service:orders",
	"service:ORD*",
	"service:edge",
	"host:web-0*",
	"-service:orders",
	"NOT level:info",
	"service:api-gateway AND status:401",
	"status:500",
	"status:>=500",
	"status:>500",
	"status:<300",
	"status:<=200",
	"duration_ms:>1000",
	"duration_ms:>=3000 level:warn",
	"status:[400 TO 499]",
	"status:{400 TO 499}",
	"status:[500 TO *]",
	"status:[* TO 199]",
	"status:[* TO *]",
	"status:*",
	"user:*",
	"-user:*",
	"user:u8*",
	"num:>=0",
	"num:<0",
	"num:[0 TO 1]",
	"num:{0.25 TO 500]",
	"num:*",
	"num:>1e300",
	"num:=5",
	"-num:>5",
	"num:500",
	"num:>=500 OR num:<=-3",
	"service:*",
	"-host:*",
	"app.kubernetes.io/name:*",
	"app.kubernetes.io/name:ledger",
	"since:2026-01-02T03:08:00Z",
	"until:2026-01-02T03:06:00Z",
	"since:2026-01-02T03:05:00Z until:2026-01-02T03:07:00Z",
	"since:10m",
	"(service:orders OR service:payments) -level:info",
	"status:>=400 (timeout OR refused)",
	"request_id:a*",
	"-num:* service:k8s",
	"nomatch",
};
#define NSEARCHES (sizeof searches / sizeof searches[0])

static void search_ok(sl_store *st, const char *query, sl_search_res *res)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, 100, NOW_MS};
	sl_error err = {{0}, 0};

	cr_assert_eq(st->ops->search(st, &req, res, &err), SL_OK, "%s: query [%s]: %s",
		     st->ops->name, query, err.message);
}

TestSuite(conformance, .init = setup, .fini = teardown, .timeout = 180);

/* Every search gives the same total and the same 100 newest hits, in the
 * same order, in both stores. */
Test(conformance, searches_match)
{
	sl_store *es, *lite;
	sl_search_res a, b;
	size_t i, k, nonempty = 0;

	open_both(&es, &lite);
	for (i = 0; i < NSEARCHES; i++) {
		search_ok(es, searches[i], &a);
		search_ok(lite, searches[i], &b);
		cr_expect_eq(a.total, b.total, "query [%s]: opensearch %llu, sqlite %llu",
			     searches[i], (unsigned long long)a.total, (unsigned long long)b.total);
		cr_expect_eq(a.nhits, b.nhits, "query [%s]: hit count", searches[i]);
		for (k = 0; k < a.nhits && k < b.nhits; k++)
			cr_expect_str_eq(a.hits[k].id, b.hits[k].id, "query [%s], hit %zu",
					 searches[i], k);
		nonempty += b.total > 0;
		sl_search_res_free(&a);
		sl_search_res_free(&b);
	}
	/* agreement on empty results alone would prove nothing: only
	 * NOT *, status:[* TO 199], num:>1e300, num:=5, the timeout query and
	 * nomatch match no event */
	cr_expect_eq(nonempty, NSEARCHES - 6, "only %zu of %zu queries matched anything",
		      nonempty, NSEARCHES);
	es->ops->close(es);
	lite->ops->close(lite);
}

/* Totals of the hand-written events, counted by hand from the table. */
Test(conformance, numeric_totals_known)
{
	static const struct {
		const char *query;
		uint64_t total;
	} cases[] = {
		/* numbers: 500, 5e2, -3, +7, .5, 007, 1, 0.25 */
		/* service:edge ignores case, so h11 "Edge" is in; h10 has no service */
		{"service:edge num:*", 12},
		{"num:>=0", 7},
		{"num:<0", 1},
		{"num:500", 1},
		{"num:[0 TO 1]", 3},
		{"num:{0.25 TO 500]", 6},
		{"num:{0.25 TO 500}", 4},
		{"num:[7 TO 7]", 2},
		/* twelve "odd" messages less 500, 5e2, +7 and 007 */
		{"-num:>5 odd", 8},
		{"level:>=error service:edge", 3},
		/* unknown (h10) sorts below trace (h09) */
		{"level:<=trace", 2},
	};
	sl_store *es, *lite;
	sl_search_res a, b;
	size_t i;

	open_both(&es, &lite);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		search_ok(es, cases[i].query, &a);
		search_ok(lite, cases[i].query, &b);
		cr_expect_eq(b.total, cases[i].total, "sqlite query [%s]: %llu", cases[i].query,
			     (unsigned long long)b.total);
		cr_expect_eq(a.total, cases[i].total, "opensearch query [%s]: %llu",
			     cases[i].query, (unsigned long long)a.total);
		sl_search_res_free(&a);
		sl_search_res_free(&b);
	}
	es->ops->close(es);
	lite->ops->close(lite);
}

/* --- aggregations ---------------------------------------------------------------- */

static const char *const aggregations[] = {
	"| count",
	"level:error | count",
	"| count by level",
	"| count by service",
	"| count by host",
	"| count by status",
	"| count by user",
	"| count by num",
	"| count by app.kubernetes.io/name",
	"status:>=400 | count by service",
	"status:>=400 | top 2 host",
	"status:[200 TO 299] | count by level",
	"| top 3 service",
	"| top 5 user",
	"| top 1 level",
	"| top 10 num",
	"| timechart 1m",
	"| timechart 5m by level",
	"| timechart 2m by status",
	"| timechart 30s",
	"| timechart 1h by service",
	"level:error | timechart 1m by service",
	"nomatch | count",
	"nomatch | count by service",
	"| count by nosuchfield",
	"since:2026-01-02T03:08:00Z | top 2 host",
};
#define NAGGS (sizeof aggregations / sizeof aggregations[0])

static void aggregate_ok(sl_store *st, const char *query, sl_agg_res *res)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, 0, NOW_MS};
	sl_error err = {{0}, 0};

	cr_assert_eq(st->ops->aggregate(st, &req, res, &err), SL_OK, "%s: query [%s]: %s",
		     st->ops->name, query, err.message);
}

static void expect_same_rows(const char *query, const sl_agg_res *a, const sl_agg_res *b)
{
	size_t k;

	cr_expect_eq(a->total, b->total, "query [%s]: total", query);
	cr_expect_eq(a->nrows, b->nrows, "query [%s]: opensearch %zu rows, sqlite %zu", query,
		     a->nrows, b->nrows);
	for (k = 0; k < a->nrows && k < b->nrows; k++) {
		const sl_agg_row *x = &a->rows[k], *y = &b->rows[k];

		cr_expect_str_eq(x->key ? x->key : "(none)", y->key ? y->key : "(none)",
				 "query [%s], row %zu: key", query, k);
		cr_expect_eq(x->time_ms, y->time_ms, "query [%s], row %zu: time", query, k);
		cr_expect_eq(x->count, y->count, "query [%s], row %zu (%s): opensearch %llu, "
			     "sqlite %llu", query, k, y->key ? y->key : "",
			     (unsigned long long)x->count, (unsigned long long)y->count);
	}
}

/* Every aggregation gives the same total and the same rows in the same
 * order in both stores. */
Test(conformance, aggregations_match)
{
	sl_store *es, *lite;
	sl_agg_res a, b;
	size_t i;

	open_both(&es, &lite);
	for (i = 0; i < NAGGS; i++) {
		aggregate_ok(es, aggregations[i], &a);
		aggregate_ok(lite, aggregations[i], &b);
		expect_same_rows(aggregations[i], &a, &b);
		sl_agg_res_free(&a);
		sl_agg_res_free(&b);
	}
	es->ops->close(es);
	lite->ops->close(lite);
}

/* Rows checked against the events themselves: count by level adds up to
 * the total, and a timechart's buckets are floored to the span. */
Test(conformance, aggregation_rows_known)
{
	sl_store *es, *lite;
	sl_agg_res a;
	uint64_t sum = 0;
	size_t k;

	open_both(&es, &lite);
	aggregate_ok(lite, "| count by level", &a);
	cr_expect_eq(a.total, NEVENTS);
	for (k = 0; k < a.nrows; k++)
		sum += a.rows[k].count;
	cr_expect_eq(sum, NEVENTS, "count by level adds up to %llu", (unsigned long long)sum);
	sl_agg_res_free(&a);

	aggregate_ok(es, "service:edge | count by num", &a);
	/* h01-h09, h11, h14 and h15 have num; "" (h09) is no group */
	cr_expect_eq(a.nrows, 11);
	sl_agg_res_free(&a);

	aggregate_ok(es, "| timechart 1m", &a);
	/* 400 events 1.5 s apart from T0 span 10 minutes */
	cr_expect_eq(a.nrows, 10);
	for (k = 0; k < a.nrows; k++)
		cr_expect_eq(a.rows[k].time_ms, T0 + (int64_t)k * 60000, "bucket %zu", k);
	cr_expect_eq(a.rows[0].count, 40 + NHAND);
	sl_agg_res_free(&a);

	aggregate_ok(lite, "| top 2 host", &a);
	cr_expect_eq(a.nrows, 2);
	cr_expect_geq(a.rows[0].count, a.rows[1].count);
	sl_agg_res_free(&a);
	es->ops->close(es);
	lite->ops->close(lite);
}

/* A plain query is no aggregation, and an aggregation is no search: both
 * stores reject them alike with the column of the problem. */
Test(conformance, wrong_operation_rejected)
{
	sl_search_req req = {"error | count", INT64_MIN, INT64_MAX, 10, NOW_MS};
	sl_store *es, *lite, *stores[2];
	sl_search_res res;
	sl_agg_res agg;
	sl_error err;
	size_t i;

	open_both(&es, &lite);
	stores[0] = es;
	stores[1] = lite;
	for (i = 0; i < 2; i++) {
		memset(&err, 0, sizeof err);
		req.query = "error | count";
		cr_expect_eq(stores[i]->ops->search(stores[i], &req, &res, &err), SL_ERR_QUERY);
		cr_expect_eq(err.column, 7, "%s: column %d", stores[i]->ops->name, err.column);
		req.query = "error";
		cr_expect_eq(stores[i]->ops->aggregate(stores[i], &req, &agg, &err), SL_ERR_QUERY);
		cr_expect_eq(err.column, 1);
		req.query = "status:>=x | count";
		cr_expect_eq(stores[i]->ops->aggregate(stores[i], &req, &agg, &err), SL_ERR_QUERY);
		cr_expect_eq(err.column, 10);
	}
	es->ops->close(es);
	lite->ops->close(lite);
}
