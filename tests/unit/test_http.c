/* test_http.c: the HTTP API: routing and parameters through sl_http_route
 * against a real SQLite store and hot store, then one request to a running
 * server over a loopback socket. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "../../src/app.h"
#include "../../src/http.h"

#define MAX_TOKENS 4096
#define MINUTE_MS 60000

typedef struct param {
	const char *name;
	const char *value;
} param;

/* Looks name up in a NULL-terminated table of parameters. */
static const char *table_get(void *ud, const char *name)
{
	const param *p;

	for (p = ud; p && p->name; p++) {
		if (strcmp(p->name, name) == 0)
			return p->value;
	}
	return NULL;
}

static int route(sl_app *app, const char *method, const char *path, const param *params,
		 sl_buf *body)
{
	return sl_http_route(app, method, path, table_get, (void *)params, body);
}

/* Parses body as one JSON value and returns the token count (positive). */
static int parse_json(const char *body, jsmntok_t *toks)
{
	jsmn_parser p;
	int n;

	jsmn_init(&p);
	n = jsmn_parse(&p, body, strlen(body), toks, MAX_TOKENS);
	cr_assert_gt(n, 0, "not JSON: %s", body);
	cr_assert_eq(toks[0].end, (int)strlen(body), "trailing bytes: %s", body);
	return n;
}

/* Returns the first token after the key token "key" anywhere in the
 * document, or -1. Good enough for keys that occur once. */
static int find_key(const char *js, const jsmntok_t *toks, int n, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 1; i + 1 < n; i++) {
		if (toks[i].type == JSMN_STRING && toks[i].size == 1 &&
		    (size_t)(toks[i].end - toks[i].start) == len &&
		    memcmp(js + toks[i].start, key, len) == 0)
			return i + 1;
	}
	return -1;
}

static long long token_int(const char *js, const jsmntok_t *t)
{
	return strtoll(js + t->start, NULL, 10);
}

/* Test fixture: a store in a fresh temp dir and a hot store. */
static char data_dir[64];
static sl_app app;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void open_stores(void)
{
	sl_error err = { { 0 }, 0 };

	strcpy(data_dir, "/tmp/sl-http-test-XXXXXX");
	cr_assert_not_null(mkdtemp(data_dir));
	memset(&app, 0, sizeof app);
	app.store = sl_sqlite_open(data_dir, &err);
	cr_assert_not_null(app.store, "sl_sqlite_open: %s", err.message);
	app.hot = sl_hot_new(SL_HOT_LATEST_DEFAULT);
	app.pipeline = NULL;
	app.started_ms = sl_now_ms();
}

static void close_stores(void)
{
	if (app.store)
		app.store->ops->close(app.store);
	if (app.hot)
		sl_hot_free(app.hot);
	nftw(data_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void make_event(sl_event *ev, int i, int64_t ts, sl_level level, const char *service,
		       const char *message)
{
	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "test:%d", i);
	ev->ts_ms = ts;
	ev->recv_ms = ts;
	ev->level = level;
	sl_event_set_str(&ev->service, service, strlen(service));
	sl_event_set_str(&ev->host, "web-01", 6);
	sl_event_set_str(&ev->message, message, strlen(message));
	sl_event_set_str(&ev->raw, message, strlen(message));
}

/* Stores four events, one minute apart, ending a minute before now. */
static int64_t add_events(void)
{
	static const struct {
		sl_level level;
		const char *service;
		const char *message;
	} rows[] = {
		{ SL_LEVEL_INFO, "orders", "order created" },
		{ SL_LEVEL_ERROR, "payments", "card declined by issuer" },
		{ SL_LEVEL_WARN, "orders", "slow checkout" },
		{ SL_LEVEL_ERROR, "payments", "upstream timed out" },
	};
	sl_event evs[4];
	unsigned char inserted[4];
	sl_error err = { { 0 }, 0 };
	int64_t now = sl_now_ms();
	int64_t base = now - now % MINUTE_MS - 4 * MINUTE_MS;
	int i, rc;

	for (i = 0; i < 4; i++) {
		make_event(&evs[i], i, base + i * MINUTE_MS + 1000, rows[i].level, rows[i].service,
			   rows[i].message);
		sl_hot_add(app.hot, &evs[i]);
	}
	rc = app.store->ops->write_batch(app.store, evs, 4, NULL, 0, inserted, &err);
	cr_assert_eq(rc, SL_OK, "write_batch: %s", err.message);
	for (i = 0; i < 4; i++)
		sl_event_clear(&evs[i]);
	return base;
}

/* Parameter checks that fail before any store is used. */

static sl_app no_stores;

Test(http_route, unknown_path_404)
{
	sl_buf body;
	int status;

	sl_buf_init(&body);
	status = route(&no_stores, "GET", "/nope", NULL, &body);
	cr_assert_eq(status, 404);
	cr_assert(strstr(body.data, "\"error\":") != NULL, "%s", body.data);
	cr_assert_str_eq(sl_http_content_type("/nope", status), "application/json");
	sl_buf_free(&body);
}

Test(http_route, post_is_405)
{
	sl_buf body;

	sl_buf_init(&body);
	cr_assert_eq(route(&no_stores, "POST", "/search", NULL, &body), 405);
	cr_assert(strstr(body.data, "POST") != NULL, "%s", body.data);
	cr_assert_eq(route(&no_stores, "DELETE", "/health", NULL, &body), 405);
	sl_buf_free(&body);
}

Test(http_route, bad_limit_message)
{
	const param params[] = { { "limit", "abc" }, { NULL, NULL } };
	sl_buf body;

	sl_buf_init(&body);
	cr_assert_eq(route(&no_stores, "GET", "/search", params, &body), 400);
	cr_assert_str_eq(body.data, "{\"error\":\"invalid limit 'abc': expected an integer "
				    "from 1 to 10000\"}");
	sl_buf_free(&body);
}

Test(http_route, numbers_out_of_range)
{
	static const struct {
		const char *path;
		const char *name;
		const char *value;
	} cases[] = {
		{ "/search", "limit", "0" },     { "/search", "limit", "10001" },
		{ "/search", "limit", "-5" },    { "/search", "limit", "" },
		{ "/search", "limit", "1e3" },   { "/latest", "n", "0" },
		{ "/latest", "n", "1001" },      { "/latest", "n", "99999999999999999999" },
		{ "/stats", "minutes", "0" },    { "/stats", "minutes", "527041" },
		{ "/stats", "minutes", " 5" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		param params[] = { { cases[i].name, cases[i].value }, { NULL, NULL } };
		char expect[64];
		sl_buf body;

		sl_buf_init(&body);
		cr_assert_eq(route(&no_stores, "GET", cases[i].path, params, &body), 400,
			     "%s?%s=%s", cases[i].path, cases[i].name, cases[i].value);
		snprintf(expect, sizeof expect, "invalid %s '", cases[i].name);
		cr_assert(strstr(body.data, expect) != NULL, "%s", body.data);
		sl_buf_free(&body);
	}
}

Test(http_route, bad_times_and_query)
{
	char big[5000];
	const param bad_from[] = { { "from", "yesterday" }, { NULL, NULL } };
	const param reversed[] = { { "from", "1h" }, { "to", "2h" }, { NULL, NULL } };
	const param long_q[] = { { "q", big }, { NULL, NULL } };
	const param bad_utf8[] = { { "q", "caf\xc3" }, { NULL, NULL } };
	const param control[] = { { "limit", "1\x01\"x" }, { NULL, NULL } };
	const param long_limit[] = { { "limit", big }, { NULL, NULL } };
	sl_buf body;

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sl_buf_init(&body);
	cr_assert_eq(route(&no_stores, "GET", "/search", bad_from, &body), 400);
	cr_assert(strstr(body.data, "invalid from 'yesterday'") != NULL, "%s", body.data);
	cr_assert_eq(route(&no_stores, "GET", "/search", reversed, &body), 400);
	cr_assert_eq(route(&no_stores, "GET", "/search", long_q, &body), 400);
	cr_assert(strstr(body.data, "4096") != NULL, "%s", body.data);
	cr_assert_eq(route(&no_stores, "GET", "/search", bad_utf8, &body), 400);
	cr_assert_eq(route(&no_stores, "GET", "/search", control, &body), 400);
	cr_assert(strstr(body.data, "invalid limit '1?\\\"x'") != NULL, "%s", body.data);

	/* A long rejected value is cut in the message. */
	big[100] = '\0';
	cr_assert_eq(route(&no_stores, "GET", "/search", long_limit, &body), 400);
	cr_assert(strstr(body.data, "...'") != NULL, "%s", body.data);
	cr_assert_lt(body.len, 200, "%s", body.data);
	sl_buf_free(&body);
}

Test(http_route, no_stores_503)
{
	sl_buf body;

	sl_buf_init(&body);
	cr_assert_eq(route(&no_stores, "GET", "/search", NULL, &body), 503);
	cr_assert_eq(route(&no_stores, "GET", "/latest", NULL, &body), 503);
	cr_assert_eq(route(&no_stores, "GET", "/stats", NULL, &body), 503);
	cr_assert_eq(route(&no_stores, "GET", "/health", NULL, &body), 503);
	sl_buf_free(&body);
}

/* Routes against the real stores. */

TestSuite(http_store, .init = open_stores, .fini = close_stores);

Test(http_store, search_all_newest_first)
{
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;
	char *first, *last;

	add_events();
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/search", NULL, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_geq(v, 0);
	cr_assert_eq(token_int(body.data, &toks[v]), 4);
	v = find_key(body.data, toks, n, "hits");
	cr_assert_eq(toks[v].type, JSMN_ARRAY);
	cr_assert_eq(toks[v].size, 4);
	cr_assert_geq(find_key(body.data, toks, n, "took_ms"), 0);
	first = strstr(body.data, "upstream timed out");
	last = strstr(body.data, "order created");
	cr_assert(first && last && first < last, "not newest first: %s", body.data);
	sl_buf_free(&body);
}

Test(http_store, search_query_and_limit)
{
	const param by_service[] = { { "q", "service:payments" }, { "limit", "1" }, { NULL, NULL } };
	const param words[] = { { "q", "declined" }, { NULL, NULL } };
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;

	add_events();
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/search", by_service, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_eq(token_int(body.data, &toks[v]), 2);
	v = find_key(body.data, toks, n, "hits");
	cr_assert_eq(toks[v].size, 1);
	cr_assert(strstr(body.data, "upstream timed out") != NULL, "%s", body.data);

	cr_assert_eq(route(&app, "GET", "/search", words, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_eq(token_int(body.data, &toks[v]), 1);
	sl_buf_free(&body);
}

Test(http_store, search_time_range)
{
	char from[SL_TIME_STRLEN];
	const param recent[] = { { "from", "150s" }, { NULL, NULL } };
	param absolute[] = { { "from", from }, { NULL, NULL } };
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int64_t base = add_events();
	int64_t now = sl_now_ms();
	long long expect;
	int n, v;

	/* Events sit at base + i minutes + 1 s; count those within 150 s. */
	expect = 0;
	for (n = 0; n < 4; n++)
		expect += base + n * MINUTE_MS + 1000 >= now - 150000;
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/search", recent, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_eq(token_int(body.data, &toks[v]), expect, "%s", body.data);

	sl_format_time(base + 2 * MINUTE_MS, from, sizeof from);
	cr_assert_eq(route(&app, "GET", "/search", absolute, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_eq(token_int(body.data, &toks[v]), 2, "%s", body.data);

	/* A bare number is epoch seconds, not seconds ago. */
	snprintf(from, sizeof from, "%lld", (long long)((base + 3 * MINUTE_MS) / 1000));
	cr_assert_eq(route(&app, "GET", "/search", absolute, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "total");
	cr_assert_eq(token_int(body.data, &toks[v]), 1, "%s", body.data);
	sl_buf_free(&body);
}

Test(http_store, bad_query_has_column)
{
	const param params[] = { { "q", "error AND (" }, { NULL, NULL } };
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;

	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/search", params, &body), 400, "%s", body.data);
	n = parse_json(body.data, toks);
	cr_assert_geq(find_key(body.data, toks, n, "error"), 0);
	v = find_key(body.data, toks, n, "column");
	cr_assert_geq(v, 0, "%s", body.data);
	cr_assert_gt(token_int(body.data, &toks[v]), 0);
	sl_buf_free(&body);
}

Test(http_store, latest_from_hot_store)
{
	const param two[] = { { "n", "2" }, { NULL, NULL } };
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;
	char *first, *second;

	add_events();
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/latest", two, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "events");
	cr_assert_eq(toks[v].type, JSMN_ARRAY);
	cr_assert_eq(toks[v].size, 2, "%s", body.data);
	first = strstr(body.data, "upstream timed out");
	second = strstr(body.data, "slow checkout");
	cr_assert(first && second && first < second, "%s", body.data);
	cr_assert_null(strstr(body.data, "\"raw\""));
	sl_buf_free(&body);
}

Test(http_store, stats_buckets_and_totals)
{
	const param ten[] = { { "minutes", "10" }, { NULL, NULL } };
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v, totals;

	add_events();
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/stats", ten, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "buckets");
	cr_assert_eq(toks[v].type, JSMN_ARRAY);
	cr_assert_eq(toks[v].size, 4, "%s", body.data);
	v = find_key(body.data, toks, n, "minutes");
	cr_assert_eq(token_int(body.data, &toks[v]), 10);
	cr_assert_geq(find_key(body.data, toks, n, "from"), 0);
	cr_assert_geq(find_key(body.data, toks, n, "to"), 0);

	totals = find_key(body.data, toks, n, "totals");
	cr_assert_eq(toks[totals].type, JSMN_OBJECT);
	cr_assert(strstr(body.data + toks[totals].start, "\"error\":2") != NULL, "%s", body.data);
	cr_assert(strstr(body.data + toks[totals].start, "\"all\":4") != NULL, "%s", body.data);
	cr_assert(strstr(body.data + toks[totals].start, "\"unknown\":0") != NULL, "%s",
		  body.data);
	sl_buf_free(&body);
}

Test(http_store, stats_empty_store)
{
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;

	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/stats", NULL, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "buckets");
	cr_assert_eq(toks[v].size, 0);
	v = find_key(body.data, toks, n, "minutes");
	cr_assert_eq(token_int(body.data, &toks[v]), 60);
	sl_buf_free(&body);
}

Test(http_store, health_counts_events)
{
	jsmntok_t toks[MAX_TOKENS];
	sl_buf body;
	int n, v;

	add_events();
	sl_buf_init(&body);
	cr_assert_eq(route(&app, "GET", "/health", NULL, &body), 200, "%s", body.data);
	n = parse_json(body.data, toks);
	v = find_key(body.data, toks, n, "status");
	cr_assert(strncmp(body.data + toks[v].start, "ok", 2) == 0, "%s", body.data);
	v = find_key(body.data, toks, n, "events_stored");
	cr_assert_eq(token_int(body.data, &toks[v]), 4);
	cr_assert_geq(find_key(body.data, toks, n, "uptime_s"), 0);
	cr_assert_geq(find_key(body.data, toks, n, "store"), 0);
	cr_assert_geq(find_key(body.data, toks, n, "sources_idle"), 0);
	cr_assert_lt(find_key(body.data, toks, n, "ingest"), 0, "no pipeline, no ingest");
	sl_buf_free(&body);
}

Test(http_store, metrics_by_level)
{
	sl_buf body;
	int status;

	add_events();
	sl_buf_init(&body);
	status = route(&app, "GET", "/metrics", NULL, &body);
	cr_assert_eq(status, 200);
	cr_assert_str_eq(sl_http_content_type("/metrics", status), "text/plain; version=0.0.4");
	cr_assert(strstr(body.data, "streamlens_events_by_level{level=\"error\"} 2\n") != NULL,
		  "%s", body.data);
	cr_assert(strstr(body.data, "streamlens_events_by_level{level=\"info\"} 1\n") != NULL,
		  "%s", body.data);
	cr_assert(strstr(body.data, "# TYPE streamlens_events_by_level counter\n") != NULL);
	sl_buf_free(&body);
}

/* The server on a loopback port. */

/* Sends request to 127.0.0.1:port and reads the whole reply into out. */
static void http_exchange(int port, const char *request, char *out, size_t outlen)
{
	struct sockaddr_in sin;
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (got + 1 < outlen && (n = read(fd, out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
}

Test(http_server, health_over_socket, .init = open_stores, .fini = close_stores)
{
	sl_error err = { { 0 }, 0 };
	char reply[8192];
	sl_http *h = sl_http_start(&app, "127.0.0.1:0", &err);

	cr_assert_not_null(h, "sl_http_start: %s", err.message);
	cr_assert_gt(sl_http_port(h), 0);

	http_exchange(sl_http_port(h), "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n", reply,
		      sizeof reply);
	cr_assert(strncmp(reply, "HTTP/1.0 200", 12) == 0 || strncmp(reply, "HTTP/1.1 200", 12) == 0,
		  "%s", reply);
	cr_assert(strcasestr(reply, "Content-Type: application/json") != NULL, "%s", reply);
	cr_assert(strstr(reply, "\"status\":\"ok\"") != NULL, "%s", reply);

	http_exchange(sl_http_port(h),
		      "POST /search?q=x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", reply,
		      sizeof reply);
	cr_assert(strstr(reply, " 405 ") != NULL, "%s", reply);
	cr_assert(strcasestr(reply, "Allow: GET") != NULL, "%s", reply);

	http_exchange(sl_http_port(h), "GET /search?limit=abc HTTP/1.0\r\n\r\n", reply,
		      sizeof reply);
	cr_assert(strstr(reply, " 400 ") != NULL, "%s", reply);
	cr_assert(strstr(reply, "invalid limit 'abc'") != NULL, "%s", reply);

	http_exchange(sl_http_port(h), "GET /metrics HTTP/1.0\r\n\r\n", reply, sizeof reply);
	cr_assert(strcasestr(reply, "Content-Type: text/plain; version=0.0.4") != NULL, "%s",
		  reply);
	sl_http_stop(h);
}

Test(http_server, bad_listen_addresses)
{
	static const char *const bad[] = { "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999",
					   "::1:8080", "[::1]8080", ":8080", "127.0.0.1:http" };
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sl_error err = { { 0 }, 0 };
		sl_http *h = sl_http_start(&no_stores, bad[i], &err);

		cr_assert_null(h, "accepted '%s'", bad[i]);
		cr_assert_neq(err.message[0], '\0', "no message for '%s'", bad[i]);
	}
}

Test(http_server, localhost_binds_loopback)
{
	sl_error err = { { 0 }, 0 };
	char reply[4096];
	sl_http *h = sl_http_start(&no_stores, "localhost:0", &err);

	cr_assert_not_null(h, "sl_http_start: %s", err.message);
	http_exchange(sl_http_port(h), "GET /nope HTTP/1.0\r\n\r\n", reply, sizeof reply);
	cr_assert(strstr(reply, " 404 ") != NULL, "%s", reply);
	sl_http_stop(h);
}
