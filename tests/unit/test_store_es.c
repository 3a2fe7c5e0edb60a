/* Tests of the Elasticsearch/OpenSearch store against a real node, whose
 * URL comes from OPENSEARCH_URL (scripts/servers.sh start opensearch DIR
 * prints it). They are skipped when it is unset. Each test uses its own
 * index prefix and deletes its indices and template at the end. Several
 * tests also write the same events to a SQLite store and check that both
 * stores return the same events for the same queries. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/decode.h"
#include "../../src/es_bulk.h"
#include "../../src/store_es.h"

/* 2026-01-02T03:04:00Z, the start of a minute. */
#define T0 1767323040000LL
#define MIN_MS 60000LL

static char prefix[64];
static const char *base_url;
static char sqlite_dir[64];

/* --- a raw HTTP client for setup and cleanup -------------------------------- */

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	sl_buf_append(ud, data, size * nmemb);
	return size * nmemb;
}

/* Sends method path to the node and returns the HTTP status, or 0 when
 * the request failed. The body goes to out when it is not NULL. */
static long http(const char *method, const char *path, const char *body, sl_buf *out)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *h = curl_easy_init();
	sl_buf url, sink;
	long status = 0;

	sl_buf_init(&url);
	sl_buf_init(&sink);
	sl_buf_printf(&url, "%s%s", base_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out ? out : &sink);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	sl_buf_free(&url);
	sl_buf_free(&sink);
	return status;
}

static void refresh(void)
{
	char path[128];

	snprintf(path, sizeof path, "/%s-*/_refresh", prefix);
	cr_assert_eq(http("POST", path, NULL, NULL), 200, "refresh failed");
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
	snprintf(prefix, sizeof prefix, "sltest-%ld-%ld", (long)getpid(), ts.tv_nsec);
	sqlite_dir[0] = '\0';
}

static void teardown(void)
{
	char path[160];

	if (base_url && *base_url) {
		snprintf(path, sizeof path, "/%s-*", prefix);
		http("DELETE", path, NULL, NULL);
		snprintf(path, sizeof path, "/_index_template/%s", prefix);
		http("DELETE", path, NULL, NULL);
	}
	if (sqlite_dir[0])
		nftw(sqlite_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sl_store *open_conf(sl_es_conf *conf)
{
	sl_error err = {{0}, 0};
	sl_store *st;

	if (!base_url || !*base_url)
		cr_skip_test("OPENSEARCH_URL is not set: start a node with "
			     "scripts/servers.sh start opensearch DIR");
	conf->url = base_url;
	conf->index_prefix = prefix;
	st = sl_es_open(conf, &err);
	cr_assert_not_null(st, "sl_es_open failed: %s", err.message);
	return st;
}

static sl_store *open_es(void)
{
	sl_es_conf conf;

	memset(&conf, 0, sizeof conf);
	return open_conf(&conf);
}

static sl_store *open_sqlite(void)
{
	sl_error err = {{0}, 0};
	sl_store *st;

	strcpy(sqlite_dir, "/tmp/sl-es-cmp-XXXXXX");
	cr_assert_not_null(mkdtemp(sqlite_dir));
	st = sl_sqlite_open(sqlite_dir, &err);
	cr_assert_not_null(st, "%s", err.message);
	return st;
}

/* --- events whose matches are known ------------------------------------------ */

struct fixture {
	const char *id;
	int64_t ts_off;
	sl_level level;
	const char *service;
	const char *host;
	const char *message;
	const char *key; /* one extra field, or NULL */
	const char *value;
};

static const struct fixture fixtures[] = {
	{"a1", 0, SL_LEVEL_INFO, "api", "web-1", "user login ok", "user", "bob"},
	{"a2", 1000, SL_LEVEL_ERROR, "api", "web-2", "disk full on /var", "path", "/var"},
	{"a3", 2000, SL_LEVEL_WARN, "db", "db-1", "slow query took 500ms", "ms", "500"},
	{"a4", 3000, SL_LEVEL_ERROR, "db", "db-1", "connection refused", NULL, NULL},
	{"a5", 4000, SL_LEVEL_DEBUG, "worker", "web-1", "job 42 done", "job", "42"},
	{"a6", 5000, SL_LEVEL_FATAL, "api", "web-1", "x'; DROP TABLE events; -- NEAR(disk full)",
	 "note", "quote \" inside"},
	{"a7", 6000, SL_LEVEL_INFO, "Api", "web-3", "Caf\xc3\xa9 cr\xc3\xa8me served", "user", "Bob"},
	{"a8", 2 * MIN_MS, SL_LEVEL_ERROR, "api", "web-1", "disk quota exceeded", NULL, NULL},
	{"a9", 2 * MIN_MS + 1, SL_LEVEL_INFO, "billing", "web-2", "pod started",
	 "app.kubernetes.io/name", "ledger"},
	/* same time as a9: arrival order decides */
	{"a10", 2 * MIN_MS + 1, SL_LEVEL_INFO, "billing", "web-2", "pod stopped\x1b[0m", NULL, NULL},
};
#define NFIX (sizeof fixtures / sizeof fixtures[0])
/* receive times: T0 + 10 ms per position, so ingest order is array order */
#define RECV(i) (T0 + 10 * (int64_t)(i))

static void make_events(sl_event *evs)
{
	size_t i;

	for (i = 0; i < NFIX; i++) {
		const struct fixture *f = &fixtures[i];
		sl_event *ev = &evs[i];

		sl_event_init(ev);
		snprintf(ev->id, sizeof ev->id, "%s", f->id);
		ev->ts_ms = T0 + f->ts_off;
		ev->recv_ms = RECV(i);
		ev->level = f->level;
		ev->flags = SL_EV_TRUNCATED;
		sl_event_set_str(&ev->service, f->service, strlen(f->service));
		sl_event_set_str(&ev->host, f->host, strlen(f->host));
		sl_event_set_str(&ev->message, f->message, strlen(f->message));
		sl_event_set_str(&ev->raw, f->message, strlen(f->message));
		if (f->key)
			sl_event_set_field(ev, f->key, strlen(f->key), f->value, strlen(f->value));
	}
}

static void clear_events(sl_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
}

static void write_fixtures(sl_store *st, unsigned char *inserted)
{
	sl_event evs[NFIX];
	sl_error err = {{0}, 0};

	make_events(evs);
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	clear_events(evs, NFIX);
}

struct query_case {
	const char *query;
	uint64_t total; /* counted by hand from the fixtures */
};

static const struct query_case queries[] = {
	{"", 10},
	{"disk", 3},
	{"DISK", 3},
	{"\"disk full\"", 2},
	{"dis*", 3},
	{"level:error", 3},
	{"level:error disk", 2},
	{"service:api", 5},
	{"service:API -level:error", 3},
	{"service:bil*", 2},
	{"host:web*", 8},
	{"host:WEB-2", 3},
	{"user:bob", 2},
	{"user:bo*", 2},
	{"bob", 2},
	{"cafe", 1},
	{"CR\xc3\x88ME", 1},
	{"web", 8},
	{"ledger", 1},
	{"message:refused", 1},
	{"message:bob", 0},
	{"message:ref*", 1},
	{"quote", 1},
	{"500", 1},
	{"\"x'; DROP\"", 1},
	{"since:2026-01-02T03:04:03Z", 7},
	{"until:2026-01-02T03:04:01Z", 2},
	{"level:info OR level:debug", 5},
	{"(service:db OR service:worker) -refused", 2},
	{"job:4*", 1},
	{"NOT user:bob", 8},
	{"pod", 2},
	{"\"pod started\"", 1},
	{"\"}}},{\\\"match_all\\\":{}}\"", 0},
	{"nomatch", 0},
};
#define NQUERIES (sizeof queries / sizeof queries[0])

static void search_ok(sl_store *st, const char *query, size_t limit, sl_search_res *res)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, limit, T0 + 10 * MIN_MS};
	sl_error err = {{0}, 0};

	cr_assert_eq(st->ops->search(st, &req, res, &err), SL_OK, "query %s: %s", query,
		     err.message);
}

/* Returns the total number of events that match query. */
static uint64_t search_total(sl_store *st, const char *query)
{
	sl_search_res res;
	uint64_t total;

	search_ok(st, query, 10, &res);
	total = res.total;
	sl_search_res_free(&res);
	return total;
}

static uint64_t count_ok(sl_store *st)
{
	sl_error err = {{0}, 0};
	uint64_t n = 0;

	cr_assert_eq(st->ops->count(st, &n, &err), SL_OK, "%s", err.message);
	return n;
}

TestSuite(store_es, .init = setup, .fini = teardown, .timeout = 120);

Test(store_es, write_and_search_totals)
{
	sl_store *st = open_es();
	unsigned char inserted[NFIX];
	sl_search_res res;
	size_t i;

	write_fixtures(st, inserted);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 1, "event %zu not reported new", i);
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	for (i = 0; i < NQUERIES; i++) {
		search_ok(st, queries[i].query, 100, &res);
		cr_expect_eq(res.total, queries[i].total, "query %s: total %llu, expected %llu",
			     queries[i].query, (unsigned long long)res.total,
			     (unsigned long long)queries[i].total);
		cr_expect_eq(res.nhits, queries[i].total, "query %s: %zu hits", queries[i].query,
			     res.nhits);
		sl_search_res_free(&res);
	}
	st->ops->close(st);
}

Test(store_es, hits_decoded_newest_first)
{
	sl_store *st = open_es();
	sl_search_res res;
	sl_event evs[NFIX];
	size_t i;

	write_fixtures(st, NULL);
	refresh();
	search_ok(st, "", 100, &res);
	cr_assert_eq(res.nhits, NFIX);
	make_events(evs);
	/* a10 then a9 (same time, later arrival), then the rest by time */
	for (i = 0; i < NFIX; i++) {
		const sl_event *want = &evs[NFIX - 1 - i], *got = &res.hits[i];

		cr_assert_str_eq(got->id, want->id, "hit %zu", i);
		cr_assert_eq(got->ts_ms, want->ts_ms);
		cr_assert_eq(got->recv_ms, want->recv_ms);
		cr_assert_eq(got->level, want->level);
		cr_assert_eq(got->flags, want->flags);
		cr_assert_str_eq(got->service, want->service);
		cr_assert_str_eq(got->host, want->host);
		cr_assert_str_eq(got->message, want->message);
		cr_assert_str_eq(got->raw, want->raw);
		cr_assert_eq(got->nfields, want->nfields);
		if (want->nfields)
			cr_assert_str_eq(got->fields[0].value, want->fields[0].value);
	}
	sl_search_res_free(&res);

	search_ok(st, "level:error", 2, &res);
	cr_assert_eq(res.total, 3);
	cr_assert_eq(res.nhits, 2);
	cr_assert_str_eq(res.hits[0].id, "a8");
	cr_assert_str_eq(res.hits[1].id, "a4");
	sl_search_res_free(&res);
	clear_events(evs, NFIX);
	st->ops->close(st);
}

Test(store_es, time_window_and_bad_query)
{
	sl_store *st = open_es();
	sl_search_req req = {"", T0 + 1000, T0 + 3000, 10, T0};
	sl_search_res res;
	sl_error err = {{0}, 0};

	write_fixtures(st, NULL);
	refresh();
	cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_OK, "%s", err.message);
	cr_assert_eq(res.total, 3, "a2, a3 and a4 lie in the window");
	sl_search_res_free(&res);

	req.query = "level:loud";
	cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_ERR_QUERY);
	cr_assert(strstr(err.message, "unknown level") != NULL, "%s", err.message);
	req.query = "(disk";
	cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_ERR_QUERY);
	cr_assert_eq(err.column, 1);
	st->ops->close(st);
}

Test(store_es, redelivery_not_new)
{
	sl_store *st = open_es();
	unsigned char inserted[NFIX];
	sl_search_res res;
	size_t i;

	write_fixtures(st, inserted);
	memset(inserted, 7, sizeof inserted);
	write_fixtures(st, inserted);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 0, "redelivered event %zu reported new", i);
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	search_ok(st, "disk", 10, &res);
	cr_assert_eq(res.total, 3);
	sl_search_res_free(&res);
	st->ops->close(st);
}

Test(store_es, positions_round_trip)
{
	sl_store *st = open_es();
	char long_key[800];
	sl_source_pos pos[2] = {{"file:/var/log/a.log", "2049:77", 1234}, {long_key, "x", 5}};
	sl_error err = {{0}, 0};
	sl_event evs[NFIX];
	char *identity = NULL;
	uint64_t offset = 0;

	memset(long_key, 'k', sizeof long_key - 1);
	long_key[sizeof long_key - 1] = '\0';
	cr_assert_eq(st->ops->load_position(st, "file:/var/log/a.log", &identity, &offset, &err), 0,
		     "no positions index yet: %s", err.message);

	make_events(evs);
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX, pos, 2, NULL, &err), SL_OK, "%s",
		     err.message);
	cr_assert_eq(st->ops->load_position(st, "file:/var/log/a.log", &identity, &offset, &err), 1,
		     "%s", err.message);
	cr_assert_str_eq(identity, "2049:77");
	cr_assert_eq(offset, 1234);
	free(identity);
	cr_assert_eq(st->ops->load_position(st, long_key, &identity, &offset, &err), 1);
	cr_assert_str_eq(identity, "x");
	cr_assert_eq(offset, 5);
	free(identity);
	cr_assert_eq(st->ops->load_position(st, "file:/other", &identity, &offset, &err), 0);

	pos[0].offset = 99999;
	cr_assert_eq(st->ops->write_batch(st, NULL, 0, pos, 1, NULL, &err), SL_OK, "%s", err.message);
	cr_assert_eq(st->ops->load_position(st, "file:/var/log/a.log", &identity, &offset, &err), 1);
	cr_assert_eq(offset, 99999);
	free(identity);

	/* positions never count or show as events */
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	clear_events(evs, NFIX);
	st->ops->close(st);
}

Test(store_es, latest_by_ingest_order)
{
	sl_store *st = open_es();
	sl_error err = {{0}, 0};
	sl_event *out = NULL;
	size_t n = 0, i;

	write_fixtures(st, NULL);
	refresh();
	cr_assert_eq(st->ops->latest(st, 4, &out, &n, &err), SL_OK, "%s", err.message);
	cr_assert_eq(n, 4);
	for (i = 0; i < n; i++)
		cr_assert_str_eq(out[i].id, fixtures[NFIX - 1 - i].id, "latest %zu", i);
	for (i = 0; i < n; i++)
		sl_event_clear(&out[i]);
	free(out);
	st->ops->close(st);
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

Test(store_es, minute_counts_by_level)
{
	sl_store *st = open_es();
	sl_error err = {{0}, 0};
	struct minutes m = {0};

	write_fixtures(st, NULL);
	refresh();
	cr_assert_eq(st->ops->minute_counts(st, INT64_MIN, collect_minute, &m, &err), SL_OK, "%s",
		     err.message);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(m.rows[0].minute, T0);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_INFO], 2);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_ERROR], 2);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_WARN], 1);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_DEBUG], 1);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_FATAL], 1);
	cr_assert_eq(m.rows[1].minute, T0 + 2 * MIN_MS);
	cr_assert_eq(m.rows[1].counts[SL_LEVEL_INFO], 2);
	cr_assert_eq(m.rows[1].counts[SL_LEVEL_ERROR], 1);

	/* only events received since a9's receive time: a9 and a10 */
	memset(&m, 0, sizeof m);
	cr_assert_eq(st->ops->minute_counts(st, RECV(8), collect_minute, &m, &err), SL_OK);
	cr_assert_eq(m.n, 1);
	cr_assert_eq(m.rows[0].minute, T0 + 2 * MIN_MS);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_INFO], 2);
	cr_assert_eq(m.rows[0].counts[SL_LEVEL_ERROR], 0);
	st->ops->close(st);
}

struct minute_walk {
	size_t rows;
	uint64_t events;
	int64_t last;
	int ordered;
};

static void count_rows(void *ud, const sl_minute_counts *mc)
{
	struct minute_walk *seen = ud;

	seen->rows++;
	seen->events += mc->counts[SL_LEVEL_WARN];
	if (mc->minute <= seen->last)
		seen->ordered = 0;
	seen->last = mc->minute;
}

/* Many minutes: more buckets than one composite page holds. */
Test(store_es, minute_counts_pages)
{
	enum { N = 1500 };
	sl_store *st = open_es();
	sl_event *evs = sl_calloc(N, sizeof *evs);
	sl_error err = {{0}, 0};
	struct minute_walk seen = {0, 0, INT64_MIN, 1};
	size_t i;

	for (i = 0; i < N; i++) {
		sl_event_init(&evs[i]);
		snprintf(evs[i].id, sizeof evs[i].id, "m%zu", i);
		evs[i].ts_ms = T0 + (int64_t)i * MIN_MS;
		evs[i].recv_ms = T0;
		evs[i].level = SL_LEVEL_WARN;
	}
	cr_assert_eq(st->ops->write_batch(st, evs, N, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	refresh();
	cr_assert_eq(st->ops->minute_counts(st, INT64_MIN, count_rows, &seen, &err), SL_OK, "%s",
		     err.message);
	cr_assert_eq(seen.rows, N);
	cr_assert_eq(seen.events, N);
	cr_assert(seen.ordered);
	clear_events(evs, N);
	free(evs);
	st->ops->close(st);
}

Test(store_es, expire_by_receive_time)
{
	sl_store *st = open_es();
	sl_error err = {{0}, 0};
	uint64_t deleted = 0, n = 0;
	int i;

	write_fixtures(st, NULL);
	refresh();
	cr_assert_eq(st->ops->expire(st, RECV(3), &deleted, &err), SL_OK, "%s", err.message);
	cr_assert_eq(deleted, 3, "a1, a2 and a3 were received before the cutoff");
	/* the deletion runs as a task in the node */
	for (i = 0; i < 100; i++) {
		refresh();
		n = count_ok(st);
		if (n == NFIX - 3)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(n, NFIX - 3);
	cr_assert_eq(st->ops->expire(st, RECV(3), &deleted, &err), SL_OK);
	cr_assert_eq(deleted, 0);
	st->ops->close(st);
}

/* Small bulk limits split one batch into many requests. */
Test(store_es, bulk_limits_split)
{
	sl_es_conf conf;
	sl_store *st;
	unsigned char inserted[NFIX];
	size_t i;

	memset(&conf, 0, sizeof conf);
	conf.bulk_max_events = 3;
	conf.bulk_max_bytes = 700;
	st = open_conf(&conf);
	write_fixtures(st, inserted);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	st->ops->close(st);
}

struct rejections {
	int calls;
	char id[SL_ID_MAX];
	char reason[256];
};

static void on_reject(void *ud, const sl_event *ev, const char *reason)
{
	struct rejections *r = ud;

	r->calls++;
	snprintf(r->id, sizeof r->id, "%s", ev->id);
	snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* A document over the node's nested-document limit (10000 by default) is
 * rejected with a 400; the rest of the batch is stored and the batch counts
 * as written. */
Test(store_es, rejected_item_reported)
{
	sl_store *st = open_es();
	sl_event evs[3];
	unsigned char inserted[3];
	struct rejections r = {0};
	sl_error err = {{0}, 0};
	char key[16];
	int i;

	sl_es_set_reject_handler(st, on_reject, &r);
	for (i = 0; i < 3; i++) {
		sl_event_init(&evs[i]);
		snprintf(evs[i].id, sizeof evs[i].id, "r%d", i);
		evs[i].ts_ms = evs[i].recv_ms = T0 + i;
		sl_event_set_str(&evs[i].message, "hello", 5);
	}
	for (i = 0; i < 10001; i++) {
		snprintf(key, sizeof key, "k%d", i);
		sl_event_set_field(&evs[1], key, strlen(key), "v", 1);
	}
	cr_assert_eq(st->ops->write_batch(st, evs, 3, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	cr_assert_eq(inserted[0], 1);
	cr_assert_eq(inserted[1], 0);
	cr_assert_eq(inserted[2], 1);
	cr_assert_eq(r.calls, 1);
	cr_assert_str_eq(r.id, "r1");
	cr_assert(strstr(r.reason, "nested") != NULL, "reason: %s", r.reason);
	cr_assert_eq(sl_es_rejected_total(st), 1);
	refresh();
	cr_assert_eq(count_ok(st), 2);
	clear_events(evs, 3);
	st->ops->close(st);
}

/* The same events and queries give the same totals and the same hits, in
 * the same order, as the SQLite store. */
Test(store_es, same_results_as_sqlite)
{
	sl_store *es = open_es(), *lite = open_sqlite();
	sl_search_res a, b;
	size_t i, k;

	write_fixtures(es, NULL);
	write_fixtures(lite, NULL);
	refresh();
	for (i = 0; i < NQUERIES; i++) {
		search_ok(es, queries[i].query, 100, &a);
		search_ok(lite, queries[i].query, 100, &b);
		cr_expect_eq(a.total, b.total, "query %s: es %llu, sqlite %llu", queries[i].query,
			     (unsigned long long)a.total, (unsigned long long)b.total);
		cr_expect_eq(a.nhits, b.nhits, "query %s", queries[i].query);
		for (k = 0; k < a.nhits && k < b.nhits; k++)
			cr_expect_str_eq(a.hits[k].id, b.hits[k].id, "query %s, hit %zu",
					 queries[i].query, k);
		sl_search_res_free(&a);
		sl_search_res_free(&b);
	}
	es->ops->close(es);
	lite->ops->close(lite);
}

/* Reads a case file through the JSON decoder, one event per line. Returns
 * the number of events, 0 when the cases directory is missing. */
static size_t decode_case(const char *name, sl_event *evs, size_t max)
{
	const char *dir = getenv("SL_CASES_DIR");
	char path[512], line[8192];
	sl_decode_ctx ctx;
	sl_record rec;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/cases", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	sl_decode_ctx_init(&ctx, &sl_decoder_json);
	while (n < max && fgets(line, sizeof line, f)) {
		memset(&rec, 0, sizeof rec);
		rec.data = line;
		rec.len = strcspn(line, "\n");
		snprintf(rec.id, sizeof rec.id, "case:%zu", n);
		rec.recv_ms = T0;
		sl_event_init(&evs[n]);
		sl_decode_record(&ctx, &rec, &evs[n]);
		n++;
	}
	fclose(f);
	return n;
}

/* "app" next to "app.kubernetes.io/name": both are stored and searchable. */
Test(store_es, c01_dotted_labels_indexed)
{
	sl_store *st = open_es();
	sl_event evs[8];
	unsigned char inserted[8];
	sl_error err = {{0}, 0};
	sl_search_res res;
	size_t n = decode_case("C01-es-dotted-label-names.jsonl", evs, 8), i;

	if (n == 0)
		cr_skip_test("C01 case file not found (set SL_CASES_DIR)");
	cr_assert_eq(n, 3);
	cr_assert_eq(st->ops->write_batch(st, evs, n, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < n; i++)
		cr_assert_eq(inserted[i], 1, "line %zu not stored", i + 1);
	refresh();
	cr_assert_eq(count_ok(st), 3);

	search_ok(st, "kubernetes.labels.app:billing", 10, &res);
	cr_assert_eq(res.total, 2);
	sl_search_res_free(&res);
	search_ok(st, "ledger", 10, &res);
	cr_assert_eq(res.total, 2, "the dotted label value and the message");
	sl_search_res_free(&res);
	search_ok(st, "\"3.1.4\"", 10, &res);
	cr_assert_eq(res.total, 1);
	cr_assert_str_eq(sl_event_get_field(&res.hits[0], "kubernetes.labels.app.kubernetes.io/name"),
			 "ledger");
	cr_assert_str_eq(sl_event_get_field(&res.hits[0], "kubernetes.labels.app.kubernetes.io/version"),
			 "3.1.4");
	sl_search_res_free(&res);
	clear_events(evs, n);
	st->ops->close(st);
}

struct reader_arg {
	sl_store *st;
	int failures;
	char error[SL_ERRMSG_MAX];
};

static void *reader_thread(void *ud)
{
	struct reader_arg *arg = ud;
	sl_search_req req = {"disk OR pod", INT64_MIN, INT64_MAX, 5, T0};
	sl_search_res res;
	sl_error err;
	int i;

	for (i = 0; i < 20; i++) {
		memset(&err, 0, sizeof err);
		if (arg->st->ops->search(arg->st, &req, &res, &err) != SL_OK) {
			arg->failures++;
			snprintf(arg->error, sizeof arg->error, "%s", err.message);
		}
		sl_search_res_free(&res);
	}
	return NULL;
}

/* Readers on several threads share the handle pool while the writer runs. */
Test(store_es, concurrent_readers)
{
	sl_store *st = open_es();
	struct reader_arg args[6];
	pthread_t threads[6];
	int i;

	for (i = 0; i < 6; i++) {
		args[i].st = st;
		args[i].failures = 0;
		cr_assert_eq(pthread_create(&threads[i], NULL, reader_thread, &args[i]), 0);
	}
	write_fixtures(st, NULL);
	for (i = 0; i < 6; i++) {
		pthread_join(threads[i], NULL);
		cr_assert_eq(args[i].failures, 0, "reader %d failed: %s", i, args[i].error);
	}
	st->ops->close(st);
}

/* --- without a node ------------------------------------------------------------ */

/* The hand-counted totals are also what the embedded store returns, so the
 * comparison above checks the Elasticsearch store against verified numbers. */
Test(store_es_conf, totals_table_on_sqlite, .init = setup, .fini = teardown)
{
	sl_store *st = open_sqlite();
	sl_search_res res;
	size_t i;

	write_fixtures(st, NULL);
	for (i = 0; i < NQUERIES; i++) {
		search_ok(st, queries[i].query, 100, &res);
		cr_expect_eq(res.total, queries[i].total, "query %s: sqlite total %llu, expected %llu",
			     queries[i].query, (unsigned long long)res.total,
			     (unsigned long long)queries[i].total);
		sl_search_res_free(&res);
	}
	st->ops->close(st);
}

Test(store_es_conf, invalid_url_and_prefix)
{
	sl_es_conf conf;
	sl_error err = {{0}, 0};

	memset(&conf, 0, sizeof conf);
	conf.url = "ftp://127.0.0.1:9200";
	cr_assert_null(sl_es_open(&conf, &err));
	cr_assert(strstr(err.message, "invalid Elasticsearch URL") != NULL, "%s", err.message);
	conf.url = NULL;
	cr_assert_null(sl_es_open(&conf, &err));
	conf.url = "http://127.0.0.1:1";
	conf.index_prefix = "Bad*Prefix";
	cr_assert_null(sl_es_open(&conf, &err));
	cr_assert(strstr(err.message, "invalid index prefix") != NULL, "%s", err.message);
	conf.index_prefix = "-x";
	cr_assert_null(sl_es_open(&conf, &err));
}

/* Returns a loopback port that nothing listens on: bound, then closed. */
static int closed_port(void)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	return ntohs(addr.sin_port);
}

Test(store_es_conf, connection_refused_reported)
{
	sl_es_conf conf;
	sl_error err = {{0}, 0};
	char url[64];

	memset(&conf, 0, sizeof conf);
	snprintf(url, sizeof url, "http://user:s3cret@127.0.0.1:%d/", closed_port());
	conf.url = url;
	cr_assert_null(sl_es_open(&conf, &err));
	cr_assert(strstr(err.message, "GET /") != NULL, "%s", err.message);
	cr_assert(strstr(err.message, "s3cret") == NULL, "the password leaked: %s", err.message);
}

/* --- a fault-injecting proxy in front of the real node ------------------------
 *
 * The proxy forwards every request to OPENSEARCH_URL and relays the
 * response. For _bulk requests it can inject the faults of a busy or strict
 * cluster: a 413 for a body over a size limit, or a 429 for every second
 * document. Documents that get a 429 are left out of the forwarded request,
 * as a node that rejected them would not store them. The proxy logs the ids
 * of every _bulk request it receives. */

#include <microhttpd.h>
#include <zlib.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#define PROXY_LOG_MAX 256
#define ITEM_429 "{\"create\":{\"status\":429,\"error\":{\"type\":" \
		 "\"es_rejected_execution_exception\",\"reason\":\"injected\"}}}"

static struct proxy {
	struct MHD_Daemon *daemon;
	char url[64];
	pthread_mutex_t lock;
	size_t max_body;    /* 413 for an uncompressed bulk body above this; 0 is off */
	int fail_requests;  /* bulk requests whose every second document gets a 429 */
	/* When set, fail_requests and lose_requests count only the requests
	 * whose first document id starts with it; the others pass. */
	char fail_prefix[16];
	int lose_requests;  /* bulk requests forwarded whose response becomes a 502 */
	int fail_all;       /* after those, every document gets a 429 */
	int hold_ms;        /* each bulk request waits this long before its response */
	int in_flight, max_in_flight; /* bulk requests being handled, and the most at once */
	char *log[PROXY_LOG_MAX]; /* ids of each bulk request, comma-separated */
	size_t nlog;
} proxy;

struct proxy_conn {
	sl_buf body;
};

static int gunzip(const sl_buf *in, sl_buf *out)
{
	z_stream zs;
	char chunk[16384];
	int rc;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)in->data;
	zs.avail_in = (uInt)in->len;
	do {
		zs.next_out = (Bytef *)chunk;
		zs.avail_out = sizeof chunk;
		rc = inflate(&zs, Z_NO_FLUSH);
		sl_buf_append(out, chunk, sizeof chunk - zs.avail_out);
	} while (rc == Z_OK);
	inflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* Sends the request upstream; returns the status, 0 on failure. */
static long forward(const char *method, const char *path, const char *body, size_t len,
		    const char *ctype, sl_buf *out)
{
	struct curl_slist *headers = NULL;
	CURL *h = curl_easy_init();
	char header[128];
	sl_buf url;
	long status = 0;

	snprintf(header, sizeof header, "Content-Type: %s", ctype ? ctype : "application/json");
	headers = curl_slist_append(headers, header);
	sl_buf_init(&url);
	sl_buf_printf(&url, "%s%s", base_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (len) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	sl_buf_free(&url);
	return status;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	sl_buf *path = cls;

	(void)kind;
	sl_buf_printf(path, "%c%s=%s", strchr(path->data, '?') ? '&' : '?', key, value ? value : "");
	return MHD_YES;
}

/* Keeps the URL and its arguments percent-encoded, as they are forwarded. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* Splits an NDJSON bulk body into items of two lines; sets the starts. */
static size_t bulk_items(const sl_buf *body, size_t *starts, size_t max)
{
	size_t n = 0, pos = 0, lines = 0;

	while (pos < body->len && n < max) {
		if (lines % 2 == 0)
			starts[n++] = pos;
		pos = (size_t)((char *)memchr(body->data + pos, '\n', body->len - pos) - body->data) + 1;
		lines++;
	}
	starts[n] = body->len;
	return n;
}

static void log_ids(const sl_buf *body, const size_t *starts, size_t n)
{
	sl_buf ids;
	size_t i;

	sl_buf_init(&ids);
	for (i = 0; i < n; i++) {
		const char *id = strstr(body->data + starts[i], "\"_id\":\"") + 7;

		sl_buf_printf(&ids, "%s%.*s", i ? "," : "", (int)strcspn(id, "\""), id);
	}
	pthread_mutex_lock(&proxy.lock);
	if (proxy.nlog < PROXY_LOG_MAX)
		proxy.log[proxy.nlog++] = sl_buf_steal(&ids);
	pthread_mutex_unlock(&proxy.lock);
	sl_buf_free(&ids);
}

/* Appends the raw JSON of each item of an upstream bulk response to out,
 * comma-separated, taking item k from the k-th forwarded document. Returns
 * the items copied, or -1. */
static int copy_items(const sl_buf *resp, sl_buf **items)
{
	jsmn_parser p;
	jsmntok_t tok[4096];
	int n, i, k = 0, arr = -1;

	jsmn_init(&p);
	n = jsmn_parse(&p, resp->data, resp->len, tok, 4096);
	for (i = 1; n > 0 && i < n; i++) {
		if (tok[i].type == JSMN_STRING && tok[i].end - tok[i].start == 5 &&
		    memcmp(resp->data + tok[i].start, "items", 5) == 0) {
			arr = i + 1;
			break;
		}
	}
	if (arr < 0)
		return -1;
	for (i = arr + 1; k < tok[arr].size; k++) {
		int end = tok[i].end;

		sl_buf_append(items[k], resp->data + tok[i].start, (size_t)(end - tok[i].start));
		for (i++; i < n && tok[i].start < end; i++)
			;
	}
	return k;
}

/* Handles a bulk request whose odd-numbered documents get a 429: forwards
 * the others and merges both sets of item results in request order. */
static long bulk_with_429(const sl_buf *body, const size_t *starts, size_t n, sl_buf *out)
{
	sl_buf fwd, resp, **items = sl_calloc(n + 1, sizeof *items);
	size_t i, nfwd = 0, k = 0;
	long status;

	sl_buf_init(&fwd);
	sl_buf_init(&resp);
	for (i = 0; i < n; i++) {
		items[i] = sl_calloc(1, sizeof **items);
		if (i % 2 == 0) {
			sl_buf_append(&fwd, body->data + starts[i], starts[i + 1] - starts[i]);
			nfwd++;
		}
	}
	status = forward("POST", "/_bulk?filter_path=items.*.status,items.*.result,items.*.error",
			 fwd.data, fwd.len, "application/x-ndjson", &resp);
	if (status == 200 && copy_items(&resp, items) == (int)nfwd) {
		sl_buf_puts(out, "{\"errors\":true,\"items\":[");
		for (i = 0; i < n; i++) {
			sl_buf_puts(out, i ? "," : "");
			if (i % 2 == 0) {
				sl_buf_append(out, items[k]->data, items[k]->len);
				k++;
			} else {
				sl_buf_puts(out, ITEM_429);
			}
		}
		sl_buf_puts(out, "]}");
	} else {
		status = 502;
	}
	for (i = 0; i < n; i++) {
		sl_buf_free(items[i]);
		free(items[i]);
	}
	free(items);
	sl_buf_free(&fwd);
	sl_buf_free(&resp);
	return status;
}

/* Faults that handle_bulk applies to one bulk request. */
enum bulk_fault {
	FAULT_NONE,
	FAULT_HALF_429,      /* every second document gets a 429 */
	FAULT_ALL_429,       /* every document gets a 429 */
	FAULT_LOSE_RESPONSE, /* forwarded and stored, but the client gets a 502 */
};

/* Returns 1 when proxy.fail_prefix is empty or starts the first document
 * id of the bulk body. */
static int matches_fail_prefix(const sl_buf *body, size_t ndocs)
{
	const char *id;

	if (!proxy.fail_prefix[0])
		return 1;
	id = ndocs ? strstr(body->data, "\"_id\":\"") : NULL;
	return id && strncmp(id + 7, proxy.fail_prefix, strlen(proxy.fail_prefix)) == 0;
}

/* Applies the configured fault to a bulk request, or forwards it. */
static long handle_bulk(const char *path, const sl_buf *gz, sl_buf *out)
{
	size_t starts[4096], n, i;
	enum bulk_fault fault = FAULT_NONE;
	long status;
	int hold;
	sl_buf body;

	sl_buf_init(&body);
	if (gunzip(gz, &body) < 0) {
		sl_buf_free(&body);
		return 400;
	}
	n = bulk_items(&body, starts, 4095);
	log_ids(&body, starts, n);

	pthread_mutex_lock(&proxy.lock);
	if (++proxy.in_flight > proxy.max_in_flight)
		proxy.max_in_flight = proxy.in_flight;
	hold = proxy.hold_ms;
	pthread_mutex_unlock(&proxy.lock);
	if (hold)
		usleep((useconds_t)hold * 1000);

	pthread_mutex_lock(&proxy.lock);
	proxy.in_flight--;
	if (matches_fail_prefix(&body, n)) {
		if (proxy.fail_requests > 0) {
			fault = FAULT_HALF_429;
			proxy.fail_requests--;
		} else if (proxy.lose_requests > 0) {
			fault = FAULT_LOSE_RESPONSE;
			proxy.lose_requests--;
		} else if (proxy.fail_all) {
			fault = FAULT_ALL_429;
		}
	}
	pthread_mutex_unlock(&proxy.lock);

	if (proxy.max_body && body.len > proxy.max_body) {
		sl_buf_puts(out, "{\"error\":{\"type\":\"content_too_long_exception\","
				 "\"reason\":\"request body is too large\"},\"status\":413}");
		status = 413;
	} else if (fault == FAULT_HALF_429) {
		status = bulk_with_429(&body, starts, n, out);
	} else if (fault == FAULT_ALL_429) {
		sl_buf_puts(out, "{\"errors\":true,\"items\":[");
		for (i = 0; i < n; i++)
			sl_buf_puts(out, i ? "," ITEM_429 : ITEM_429);
		sl_buf_puts(out, "]}");
		status = 200;
	} else {
		status = forward("POST", path, body.data, body.len, "application/x-ndjson", out);
		if (fault == FAULT_LOSE_RESPONSE) {
			sl_buf_reset(out);
			sl_buf_puts(out, "{\"error\":\"injected bad gateway\"}");
			status = 502;
		}
	}
	sl_buf_free(&body);
	return status;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct proxy_conn *pc = *con_cls;
	struct MHD_Response *response;
	sl_buf path, out;
	enum MHD_Result ret;
	long status;

	(void)cls;
	(void)version;
	if (!pc) {
		pc = sl_calloc(1, sizeof *pc);
		*con_cls = pc;
		return MHD_YES;
	}
	if (*upload_size) {
		sl_buf_append(&pc->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	sl_buf_init(&path);
	sl_buf_init(&out);
	sl_buf_puts(&path, url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &path);
	if (strcmp(url, "/_bulk") == 0)
		status = handle_bulk(path.data, &pc->body, &out);
	else
		status = forward(method, path.data, pc->body.data, pc->body.len, NULL, &out);
	response = MHD_create_response_from_buffer(out.len, out.data ? out.data : (char *)"",
						   MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(response, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status ? (unsigned)status : 502, response);
	MHD_destroy_response(response);
	sl_buf_free(&path);
	sl_buf_free(&out);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct proxy_conn *pc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (pc) {
		sl_buf_free(&pc->body);
		free(pc);
	}
	*con_cls = NULL;
}

static void proxy_start(size_t max_body, int fail_requests)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	if (!base_url || !*base_url)
		cr_skip_test("OPENSEARCH_URL is not set: start a node with "
			     "scripts/servers.sh start opensearch DIR");
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&proxy.lock, NULL);
	proxy.max_body = max_body;
	proxy.fail_requests = fail_requests;
	proxy.fail_all = 0;
	proxy.fail_prefix[0] = '\0';
	proxy.lose_requests = 0;
	proxy.hold_ms = 0;
	proxy.in_flight = proxy.max_in_flight = 0;
	proxy.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
					0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
					MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
					MHD_OPTION_END);
	cr_assert_not_null(proxy.daemon, "cannot start the proxy");
	info = MHD_get_daemon_info(proxy.daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(proxy.url, sizeof proxy.url, "http://127.0.0.1:%u", (unsigned)info->port);
}

static void proxy_stop(void)
{
	size_t i;

	MHD_stop_daemon(proxy.daemon);
	for (i = 0; i < proxy.nlog; i++)
		free(proxy.log[i]);
	proxy.nlog = 0;
}

static sl_store *open_via_proxy_max_bytes(size_t max_bytes)
{
	sl_es_conf conf;
	sl_error err = {{0}, 0};
	sl_store *st;

	memset(&conf, 0, sizeof conf);
	conf.bulk_max_bytes = max_bytes;
	conf.url = proxy.url;
	conf.index_prefix = prefix;
	/* The proxy reads gzip bodies, so these tests cover compression. */
	conf.compress = 1;
	st = sl_es_open(&conf, &err);
	cr_assert_not_null(st, "sl_es_open via the proxy failed: %s", err.message);
	return st;
}

static sl_store *open_via_proxy(void)
{
	return open_via_proxy_max_bytes(0);
}

/* Counts logged bulk requests that contain id. */
static int requests_with(const char *id)
{
	size_t i, idlen = strlen(id);
	int n = 0;

	for (i = 0; i < proxy.nlog; i++) {
		const char *p = proxy.log[i];

		while ((p = strstr(p, id)) != NULL) {
			if ((p == proxy.log[i] || p[-1] == ',') && (p[idlen] == ',' || p[idlen] == '\0')) {
				n++;
				break;
			}
			p += idlen;
		}
	}
	return n;
}

Test(store_es, retry_only_429_items)
{
	sl_store *st;
	unsigned char inserted[NFIX];
	size_t i;

	proxy_start(0, 1);
	st = open_via_proxy();
	write_fixtures(st, inserted);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	cr_assert_eq(proxy.nlog, 2, "one request, then one retry");
	cr_assert_str_eq(proxy.log[0], "a1,a2,a3,a4,a5,a6,a7,a8,a9,a10");
	cr_assert_str_eq(proxy.log[1], "a2,a4,a6,a8,a10", "only the 429 items are sent again");
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	st->ops->close(st);
	proxy_stop();
}

/* Items that keep getting 429 fail the batch after bounded attempts, the
 * positions are not written, and the retry of the batch sends only what is
 * missing while still reporting every event as new. */
Test(store_es, persistent_429_fails_batch)
{
	sl_source_pos pos = {"file:/p", "1:1", 77};
	unsigned char inserted[NFIX];
	sl_error err = {{0}, 0};
	sl_event evs[NFIX];
	char *identity = NULL;
	uint64_t offset = 0;
	sl_store *st;
	size_t i, before;

	proxy_start(0, 1);
	proxy.fail_all = 1;
	st = open_via_proxy();
	make_events(evs);
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX, &pos, 1, inserted, &err), SL_ERR);
	cr_assert(strstr(err.message, "after 5 attempts") != NULL, "%s", err.message);
	cr_assert_eq(proxy.nlog, 5);
	cr_assert_eq(requests_with("file:/p"), 0, "positions must wait for the events");
	cr_assert_eq(st->ops->load_position(st, "file:/p", &identity, &offset, &err), 0);

	pthread_mutex_lock(&proxy.lock);
	proxy.fail_all = 0;
	pthread_mutex_unlock(&proxy.lock);
	before = proxy.nlog;
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX, &pos, 1, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 1, "event %zu must still count as new", i);
	cr_assert_str_eq(proxy.log[before], "a2,a4,a6,a8,a10");
	cr_assert_eq(requests_with("a1"), 1, "a1 was stored by the first attempt");
	cr_assert_eq(st->ops->load_position(st, "file:/p", &identity, &offset, &err), 1);
	cr_assert_eq(offset, 77);
	free(identity);
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	clear_events(evs, NFIX);
	st->ops->close(st);
	proxy_stop();
}

/* A 413 splits the request in halves. The C05 event, too large on its own,
 * is rejected once without a retry loop, and the others are stored. */
Test(store_es, oversized_413_split)
{
	sl_event evs[NFIX + 1];
	unsigned char inserted[NFIX + 1];
	struct rejections r = {0};
	sl_error err = {{0}, 0};
	sl_store *st;
	size_t i;

	make_events(evs);
	if (decode_case("C05-es-413-oversized-event.jsonl", &evs[NFIX], 1) != 1) {
		clear_events(evs, NFIX);
		cr_skip_test("C05 case file not found (set SL_CASES_DIR)");
	}
	snprintf(evs[NFIX].id, sizeof evs[NFIX].id, "big");
	proxy_start(2500, 0);
	st = open_via_proxy();
	sl_es_set_reject_handler(st, on_reject, &r);
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX + 1, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < NFIX; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	cr_assert_eq(inserted[NFIX], 0);
	cr_assert_eq(r.calls, 1);
	cr_assert_str_eq(r.id, "big");
	cr_assert(strstr(r.reason, "413") != NULL, "%s", r.reason);
	cr_assert_leq(requests_with("big"), 5, "the oversized event was sent %d times",
		      requests_with("big"));
	cr_assert_str_eq(proxy.log[proxy.nlog - 1] + strlen(proxy.log[proxy.nlog - 1]) - 3, "big");
	refresh();
	cr_assert_eq(count_ok(st), NFIX);
	clear_events(evs, NFIX + 1);
	st->ops->close(st);
	proxy_stop();
}

/* Events big1 to bigN, one a millisecond, for the batches that are split. */
static sl_event *make_many(size_t n)
{
	sl_event *evs = sl_calloc(n, sizeof *evs);
	size_t i;

	for (i = 0; i < n; i++) {
		sl_event_init(&evs[i]);
		snprintf(evs[i].id, sizeof evs[i].id, "big%zu", i + 1);
		evs[i].ts_ms = T0 + (int64_t)i;
		evs[i].recv_ms = RECV(0);
		evs[i].level = SL_LEVEL_INFO;
		sl_event_set_str(&evs[i].message, "request served", 14);
	}
	return evs;
}

/* Counts the ids in one logged bulk request. */
static size_t ids_in(const char *log)
{
	size_t n = 1;

	for (; *log; log++)
		n += *log == ',';
	return n;
}

/* A batch of 1200 events goes out as two requests of 600 at the same time,
 * and every event is stored once and counted as new. */
Test(store_es, large_batch_two_requests)
{
	unsigned char inserted[1200];
	sl_error err = {{0}, 0};
	sl_event *evs = make_many(1200);
	sl_store *st;
	size_t i;

	proxy_start(0, 0);
	proxy.hold_ms = 300;
	st = open_via_proxy();
	cr_assert_eq(st->ops->write_batch(st, evs, 1200, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < 1200; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	cr_assert_eq(proxy.nlog, 2);
	cr_expect_eq(ids_in(proxy.log[0]), 600);
	cr_expect_eq(ids_in(proxy.log[1]), 600);
	cr_expect_eq(proxy.max_in_flight, 2, "the two requests must overlap");
	cr_expect_eq(requests_with("big1"), 1);
	cr_expect_eq(requests_with("big1200"), 1);
	refresh();
	cr_assert_eq(count_ok(st), 1200);
	clear_events(evs, 1200);
	free(evs);
	st->ops->close(st);
	proxy_stop();
}

/* A small batch stays one request. */
Test(store_es, small_batch_one_request)
{
	unsigned char inserted[999];
	sl_error err = {{0}, 0};
	sl_event *evs = make_many(999);
	sl_store *st;

	proxy_start(0, 0);
	st = open_via_proxy();
	cr_assert_eq(st->ops->write_batch(st, evs, 999, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	cr_assert_eq(proxy.nlog, 1);
	cr_expect_eq(ids_in(proxy.log[0]), 999);
	clear_events(evs, 999);
	free(evs);
	st->ops->close(st);
	proxy_stop();
}

/* When one of the two requests gets a 429 for every second document, only
 * those documents are sent again, and the positions follow them. */
Test(store_es, split_batch_retries_429)
{
	sl_source_pos pos = {"file:/split", "1:1", 1200};
	unsigned char inserted[1200];
	sl_error err = {{0}, 0};
	sl_event *evs = make_many(1200);
	char *identity = NULL;
	uint64_t offset = 0;
	sl_store *st;
	size_t i;

	proxy_start(0, 1);
	st = open_via_proxy();
	cr_assert_eq(st->ops->write_batch(st, evs, 1200, &pos, 1, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < 1200; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	/* two halves, the 300 rejected documents of one, then the position */
	cr_assert_eq(proxy.nlog, 4);
	cr_expect_eq(ids_in(proxy.log[2]), 300);
	cr_expect_str_eq(proxy.log[3], "file:/split");
	cr_assert_eq(st->ops->load_position(st, "file:/split", &identity, &offset, &err), 1);
	cr_expect_eq(offset, 1200);
	free(identity);
	refresh();
	cr_assert_eq(count_ok(st), 1200);
	clear_events(evs, 1200);
	free(evs);
	st->ops->close(st);
	proxy_stop();
}

/* Bulk text of the events evs[0..n), as the store writes it. */
static size_t bulk_bytes(const sl_event *evs, size_t n)
{
	sl_buf b;
	size_t i, len;

	sl_buf_init(&b);
	for (i = 0; i < n; i++)
		sl_es_bulk_event(&b, prefix, &evs[i], 1000000 + (int64_t)i);
	len = b.len;
	sl_buf_free(&b);
	return len;
}

/* Requests sent together carry the same number of documents: a batch that
 * needs two requests by its bytes is split in halves, not into a full
 * request and the rest, and one that needs three gets four. */
Test(store_es, byte_limit_splits_evenly)
{
	static const struct {
		double fill;   /* the batch's bytes over the byte limit */
		size_t requests;
	} cases[] = {{1.5, 2}, {2.5, 4}};
	unsigned char inserted[1200];
	sl_error err = {{0}, 0};
	sl_event *evs = make_many(1200);
	size_t total = bulk_bytes(evs, 1200), c, i;
	sl_store *st;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		proxy_start(0, 0);
		st = open_via_proxy_max_bytes((size_t)((double)total / cases[c].fill));
		cr_assert_eq(st->ops->write_batch(st, evs, 1200, NULL, 0, inserted, &err), SL_OK,
			     "%s", err.message);
		cr_assert_eq(proxy.nlog, cases[c].requests, "fill %.1f", cases[c].fill);
		for (i = 0; i < proxy.nlog; i++)
			cr_expect_eq(ids_in(proxy.log[i]), 1200 / cases[c].requests,
				     "fill %.1f, request %zu", cases[c].fill, i);
		st->ops->close(st);
		proxy_stop();
	}
	clear_events(evs, 1200);
	free(evs);
}

/* Writes evs[0..n) with no positions and checks that every event is
 * reported new. */
static void write_all_new(sl_store *st, const sl_event *evs, size_t n)
{
	unsigned char *inserted = sl_calloc(n, 1);
	sl_error err = {{0}, 0};
	size_t i;

	cr_assert_eq(st->ops->write_batch(st, evs, n, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < n; i++)
		cr_assert_eq(inserted[i], 1, "event %zu", i);
	free(inserted);
}

/* write_batch sends the text that prepare encoded: a message changed
 * between the two calls is stored as it was when prepared. */
Test(store_es, prepared_batch_sent_as_encoded)
{
	sl_event *evs = make_many(20);
	sl_store *st = open_es();

	st->ops->prepare(st, evs, 20);
	sl_event_set_str(&evs[0].message, "changed after prepare", 21);
	write_all_new(st, evs, 20);
	refresh();
	cr_assert_eq(count_ok(st), 20);
	cr_expect_eq(search_total(st, "changed"), 0);
	cr_expect_eq(search_total(st, "\"request served\""), 20);
	clear_events(evs, 20);
	free(evs);
	st->ops->close(st);
}

/* A prepared batch may be sent ahead while another batch is written. Its
 * events count as new when its own write_batch comes, even after a batch
 * it was not prepared for. */
Test(store_es, prepared_batch_written_later)
{
	sl_event *first = make_many(10), *other = make_many(5);
	sl_store *st = open_es();
	size_t i;

	for (i = 0; i < 5; i++) {
		snprintf(other[i].id, sizeof other[i].id, "other%zu", i + 1);
		sl_event_set_str(&other[i].message, "another batch", 13);
	}
	st->ops->prepare(st, first, 10);
	write_all_new(st, other, 5);
	refresh();
	cr_expect_eq(search_total(st, "\"another batch\""), 5);

	write_all_new(st, first, 10);
	refresh();
	cr_assert_eq(count_ok(st), 15);
	clear_events(first, 10);
	clear_events(other, 5);
	free(first);
	free(other);
	st->ops->close(st);
}

/* A prepared batch whose request gets a 429 for every second document
 * sends only those again and counts every event once. */
Test(store_es, prepared_batch_retries_429)
{
	sl_event *evs = make_many(10);
	sl_store *st;

	proxy_start(0, 1);
	st = open_via_proxy();
	st->ops->prepare(st, evs, 10);
	write_all_new(st, evs, 10);
	cr_assert_eq(proxy.nlog, 2, "one request, then one retry");
	cr_expect_str_eq(proxy.log[1], "big2,big4,big6,big8,big10");
	refresh();
	cr_assert_eq(count_ok(st), 10);
	clear_events(evs, 10);
	free(evs);
	st->ops->close(st);
	proxy_stop();
}

/* Events next1 to nextN, a batch of its own after make_many's. */
static sl_event *make_next(size_t n)
{
	sl_event *evs = make_many(n);
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(evs[i].id, sizeof evs[i].id, "next%zu", i + 1);
	return evs;
}

/* Clears and frees two batches of n events each. */
static void free_batches(sl_event *a, sl_event *b, size_t n)
{
	clear_events(a, n);
	clear_events(b, n);
	free(a);
	free(b);
}

/* Waits up to 5 s until the proxy has logged n bulk requests. */
static void wait_requests(size_t n)
{
	int i;

	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&proxy.lock);
		if (proxy.nlog >= n) {
			pthread_mutex_unlock(&proxy.lock);
			return;
		}
		pthread_mutex_unlock(&proxy.lock);
		usleep(10000);
	}
}

/* Opens the store through the proxy, prepares next and writes evs, so the
 * requests of next go out ahead while evs is written. */
static sl_store *write_with_next_prepared(sl_event *evs, sl_event *next, size_t n)
{
	sl_store *st = open_via_proxy();

	st->ops->prepare(st, next, n);
	write_all_new(st, evs, n);
	return st;
}

/* While a batch is written, the free slots send the prepared next batch,
 * never more than two requests at once. Its events are sent once and
 * count as new at its own write_batch. */
Test(store_es, prepared_batch_sent_ahead)
{
	sl_event *evs = make_many(1200), *next = make_next(1200);
	unsigned char inserted[1200];
	sl_error err = {{0}, 0};
	sl_store *st;

	proxy_start(0, 0);
	proxy.hold_ms = 200;
	st = open_via_proxy();
	st->ops->prepare(st, next, 1200);
	cr_assert_eq(st->ops->write_batch(st, evs, 1200, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	wait_requests(3);
	cr_assert_geq(proxy.nlog, 3, "the next batch must be sent before its write_batch");
	cr_expect_eq(requests_with("next1"), 1, "next1 goes out with the first half");
	write_all_new(st, next, 1200);
	cr_expect_eq(proxy.nlog, 4);
	cr_expect_eq(requests_with("next1"), 1);
	cr_expect_eq(requests_with("next1200"), 1);
	cr_expect_eq(proxy.max_in_flight, 2, "at most two requests at once");
	refresh();
	cr_assert_eq(count_ok(st), 2400);
	free_batches(evs, next, 1200);
	st->ops->close(st);
	proxy_stop();
}

/* The 429 items of a request sent ahead are sent again by their batch's
 * write_batch, and every event counts once. */
Test(store_es, ahead_request_retries_429)
{
	sl_event *evs = make_many(10), *next = make_next(10);
	sl_store *st;

	proxy_start(0, 1);
	snprintf(proxy.fail_prefix, sizeof proxy.fail_prefix, "next");
	st = write_with_next_prepared(evs, next, 10);
	write_all_new(st, next, 10);
	/* the first batch and the next one, sent ahead at the same time, then
	 * the retry of the next one's 429 items */
	cr_assert_eq(proxy.nlog, 3);
	cr_expect_eq(requests_with("big1"), 1);
	cr_expect_eq(requests_with("next1"), 1);
	cr_expect_str_eq(proxy.log[2], "next2,next4,next6,next8,next10");
	refresh();
	cr_assert_eq(count_ok(st), 20);
	free_batches(evs, next, 10);
	st->ops->close(st);
	proxy_stop();
}

/* A request sent ahead is stored but its response is lost: its batch's
 * write_batch fails, and the retry finds the stored events by their
 * sequence and counts each as new once. */
Test(store_es, ahead_response_lost)
{
	sl_event *evs = make_many(10), *next = make_next(10);
	unsigned char inserted[10];
	sl_error err = {{0}, 0};
	sl_store *st;
	size_t i;

	proxy_start(0, 0);
	snprintf(proxy.fail_prefix, sizeof proxy.fail_prefix, "next");
	proxy.lose_requests = 1;
	st = write_with_next_prepared(evs, next, 10);
	cr_assert_eq(st->ops->write_batch(st, next, 10, NULL, 0, inserted, &err), SL_ERR);
	cr_assert(strstr(err.message, "502") != NULL, "%s", err.message);
	write_all_new(st, next, 10);
	cr_expect_eq(requests_with("next1"), 2, "sent ahead, then again after the failure");
	refresh();
	cr_assert_eq(count_ok(st), 20);
	for (i = 0; i < 10; i++)
		cr_assert_eq(inserted[i], 0, "a failed write_batch reports nothing new");
	free_batches(evs, next, 10);
	st->ops->close(st);
	proxy_stop();
}

/* Closing the store while a request sent ahead runs frees it. */
Test(store_es, close_with_request_ahead)
{
	sl_event *evs = make_many(10), *next = make_next(10);
	sl_store *st;

	proxy_start(0, 0);
	proxy.hold_ms = 300;
	st = write_with_next_prepared(evs, next, 10);
	st->ops->close(st);
	wait_requests(2);
	cr_expect_eq(requests_with("next1"), 1);
	free_batches(evs, next, 10);
	proxy_stop();
}
