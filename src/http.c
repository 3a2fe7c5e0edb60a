/* http.c: the REST API. sl_http_route formats every response from the
 * stores, and the libmicrohttpd glue below it only reads parameters and sends. */
#include "http.h"

#include "deadletter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "log.h"
#include "query.h"
#include "timeparse.h"

#define SEARCH_LIMIT_DEFAULT 100
#define SEARCH_LIMIT_MAX 10000
#define QUERY_MAX 4096
#define LATEST_DEFAULT 100
#define LATEST_MAX 1000
#define STATS_MINUTES_DEFAULT 60
#define STATS_MINUTES_MAX 527040 /* 366 days, the hot store's bucket cap */
#define MINUTE_MS 60000

/* Bytes of a rejected parameter echoed back in an error message. */
#define ECHO_MAX 64

#define THREAD_POOL_SIZE 4
#define CONNECTION_LIMIT 256
#define CONNECTION_TIMEOUT_S 10

#define JSON_TYPE "application/json"
#define PROMETHEUS_TYPE "text/plain; version=0.0.4"

typedef const char *(*param_getter)(void *ud, const char *name);

typedef struct request {
	sl_app *app;
	param_getter get;
	void *ud;
	sl_buf *body;
} request;

struct sl_http {
	struct MHD_Daemon *daemon;
	sl_app *app;
	int port;
	char *token; /* bearer token every request must carry, or NULL */
};

/* Replaces body with {"error": message} and returns status. */
static int __attribute__((format(printf, 3, 4)))
reply_error(sl_buf *body, int status, const char *fmt, ...)
{
	sl_buf msg;
	va_list ap;

	sl_buf_init(&msg);
	va_start(ap, fmt);
	sl_buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	sl_buf_reset(body);
	sl_buf_puts(body, "{\"error\":");
	sl_buf_json_str(body, msg.data ? msg.data : "", msg.len);
	sl_buf_putc(body, '}');
	sl_buf_free(&msg);
	return status;
}

/* Copies untrusted text for an error message: printable ASCII only, others
 * as '?', cut at ECHO_MAX bytes. */
static void echo_param(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen && i < ECHO_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	if (s[i] && i + 3 < outlen)
		strcpy(out + i, "...");
}

static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* Reads integer parameter name into *out (def when absent). Returns 0, or
 * the 400 status with the error in the body. */
static int int_param(request *rq, const char *name, long long def, long long min, long long max,
		     long long *out)
{
	const char *s = rq->get(rq->ud, name);
	char shown[ECHO_MAX + 4];

	if (!s) {
		*out = def;
		return 0;
	}
	if (sl_parse_int(s, min, max, out) == 0)
		return 0;
	echo_param(s, shown, sizeof shown);
	return reply_error(rq->body, 400, "invalid %s '%s': expected an integer from %lld to %lld",
			   name, shown, min, max);
}

/* Reads time parameter name, RFC 3339 or a duration meaning that long before
 * now_ms, into *out (def when absent). Returns 0 or 400 as int_param. */
static int time_param(request *rq, const char *name, int64_t now_ms, int64_t def, int64_t *out)
{
	const char *s = rq->get(rq->ud, name);
	char shown[ECHO_MAX + 4];
	int64_t ago;
	size_t len;

	if (!s) {
		*out = def;
		return 0;
	}
	/* A bare number is an epoch time here, not seconds ago, so a duration
	 * needs its unit letter. */
	len = strlen(s);
	if (len > 0 && isalpha((unsigned char)s[len - 1]) && sl_parse_duration(s, &ago) == 0) {
		*out = now_ms - ago;
		return 0;
	}
	if (sl_time_parse_value(s, len, now_ms, out) == 0)
		return 0;
	echo_param(s, shown, sizeof shown);
	return reply_error(rq->body, 400,
			   "invalid %s '%s': expected an RFC 3339 time such as "
			   "2026-01-02T03:04:05Z or a duration such as 15m, 2h or 7d",
			   name, shown);
}

/* Fills req from the q, from, to and limit parameters. Returns 0, or 400
 * with the error in the body. */
static int search_params(request *rq, sl_search_req *req)
{
	const char *q = rq->get(rq->ud, "q");
	long long limit;
	int rc;

	req->now_ms = sl_now_ms();
	req->query = q ? q : "";
	if (strlen(req->query) > QUERY_MAX)
		return reply_error(rq->body, 400, "invalid q: longer than %d bytes", QUERY_MAX);
	if (!valid_utf8((const unsigned char *)req->query, strlen(req->query)))
		return reply_error(rq->body, 400, "invalid q: not valid UTF-8");

	rc = int_param(rq, "limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX, &limit);
	if (rc)
		return rc;
	req->limit = (size_t)limit;

	rc = time_param(rq, "from", req->now_ms, INT64_MIN, &req->from_ms);
	if (rc)
		return rc;
	rc = time_param(rq, "to", req->now_ms, INT64_MAX, &req->to_ms);
	if (rc)
		return rc;
	if (req->from_ms > req->to_ms)
		return reply_error(rq->body, 400, "invalid range: from is later than to");
	return 0;
}

static void put_events(sl_buf *body, const sl_event *evs, size_t n)
{
	size_t i;

	sl_buf_putc(body, '[');
	for (i = 0; i < n; i++) {
		if (i)
			sl_buf_putc(body, ',');
		sl_event_to_json(&evs[i], body, 0);
	}
	sl_buf_putc(body, ']');
}

/* Appends {"error": message, "column": N} for an invalid query. */
static int reply_query_error(sl_buf *body, const sl_error *err)
{
	sl_buf_puts(body, "{\"error\":");
	sl_buf_json_str(body, err->message, strnlen(err->message, sizeof err->message));
	sl_buf_printf(body, ",\"column\":%d}", err->column);
	return 400;
}

/* Formats the response to a query with a '|' aggregation; the statuses are
 * those of route_search. */
static int route_aggregate(request *rq, sl_store *store, const sl_search_req *req)
{
	sl_agg_res res;
	sl_error err = { { 0 }, 0 };
	int rc, status = 200;

	rc = store->ops->aggregate(store, req, &res, &err);
	if (rc == SL_ERR_QUERY) {
		status = reply_query_error(rq->body, &err);
	} else if (rc != SL_OK) {
		sl_warn("http", "aggregation failed: %s", err.message);
		status = reply_error(rq->body, 500, "aggregation failed: %s", err.message);
	} else {
		sl_agg_res_json(&res, rq->body);
	}
	sl_agg_res_free(&res);
	return status;
}

/* Formats the response to a search. Returns 200, 400 for a bad query (with
 * its column), 500 when the store fails or 503 without a store. */
static int route_search(request *rq)
{
	sl_store *store = rq->app->store;
	sl_search_req req = { 0 };
	sl_search_res res = { 0 };
	sl_error err = { { 0 }, 0 };
	int rc, status;

	status = search_params(rq, &req);
	if (status)
		return status;
	if (!store)
		return reply_error(rq->body, 503, "the search store is not open");

	if (sl_query_has_pipe(req.query))
		return route_aggregate(rq, store, &req);
	rc = store->ops->search(store, &req, &res, &err);
	if (rc == SL_ERR_QUERY) {
		status = reply_query_error(rq->body, &err);
		goto out;
	}
	if (rc != SL_OK) {
		sl_warn("http", "search failed: %s", err.message);
		status = reply_error(rq->body, 500, "search failed: %s", err.message);
		goto out;
	}

	sl_buf_printf(rq->body, "{\"total\":%" PRIu64 ",\"took_ms\":%" PRId64 ",\"hits\":",
		      res.total, res.took_ms);
	put_events(rq->body, res.hits, res.nhits);
	sl_buf_putc(rq->body, '}');
	status = 200;

out:
	sl_search_res_free(&res);
	return status;
}

/* /latest while the hot store is degraded: the search store's newest
 * ingested events, marked with "source":"search". */
static int latest_from_store(request *rq, size_t n)
{
	sl_event *evs = NULL;
	sl_error err;
	size_t got = 0, i;

	memset(&err, 0, sizeof err);
	if (rq->app->store->ops->latest(rq->app->store, n, &evs, &got, &err) != SL_OK) {
		sl_warn("http", "latest from the search store failed: %s", err.message);
		return reply_error(rq->body, 500, "the hot store is down and the search store "
				   "failed: %s", err.message);
	}
	sl_buf_puts(rq->body, "{\"events\":");
	put_events(rq->body, evs, got);
	sl_buf_puts(rq->body, ",\"source\":\"search\",\"degraded\":true}");
	for (i = 0; i < got; i++)
		sl_event_clear(&evs[i]);
	free(evs);
	return 200;
}

static int route_latest(request *rq)
{
	sl_event *evs;
	long long n;
	size_t got, i;
	int rc;

	rc = int_param(rq, "n", LATEST_DEFAULT, 1, LATEST_MAX, &n);
	if (rc)
		return rc;
	if (!rq->app->hot)
		return reply_error(rq->body, 503, "the hot store is not open");

	if (sl_hot_degraded(rq->app->hot, NULL, 0) && rq->app->store)
		return latest_from_store(rq, (size_t)n);

	evs = sl_calloc((size_t)n, sizeof *evs);
	for (i = 0; i < (size_t)n; i++)
		sl_event_init(&evs[i]);
	got = sl_hot_latest(rq->app->hot, (size_t)n, evs);

	sl_buf_puts(rq->body, "{\"events\":");
	put_events(rq->body, evs, got);
	sl_buf_puts(rq->body, ",\"source\":\"hot\"}");

	for (i = 0; i < (size_t)n; i++)
		sl_event_clear(&evs[i]);
	free(evs);
	return 200;
}

static void put_time(sl_buf *body, const char *key, int64_t ms)
{
	char stamp[SL_TIME_STRLEN];

	sl_format_time(ms, stamp, sizeof stamp);
	sl_buf_printf(body, "\"%s\":\"%s\"", key, stamp);
}

/* Appends {"trace":N,...,"unknown":N} in level order, unknown last. */
static void put_level_counts(sl_buf *body, const uint64_t *counts, int with_all)
{
	uint64_t all = 0;
	int lv;

	sl_buf_putc(body, '{');
	for (lv = SL_LEVEL_TRACE; lv < SL_LEVEL_COUNT; lv++) {
		sl_buf_printf(body, "\"%s\":%" PRIu64 ",", sl_level_name((sl_level)lv), counts[lv]);
		all += counts[lv];
	}
	all += counts[SL_LEVEL_UNKNOWN];
	sl_buf_printf(body, "\"%s\":%" PRIu64, sl_level_name(SL_LEVEL_UNKNOWN),
		      counts[SL_LEVEL_UNKNOWN]);
	if (with_all)
		sl_buf_printf(body, ",\"all\":%" PRIu64, all);
	sl_buf_putc(body, '}');
}

static void put_buckets(sl_buf *body, const sl_minute_counts *mc, size_t n, uint64_t *totals)
{
	size_t i;
	int lv;

	sl_buf_puts(body, "\"buckets\":[");
	for (i = 0; i < n; i++) {
		uint64_t counts[SL_LEVEL_COUNT];
		uint64_t total = 0;

		for (lv = 0; lv < SL_LEVEL_COUNT; lv++) {
			counts[lv] = mc[i].counts[lv];
			totals[lv] += counts[lv];
			total += counts[lv];
		}
		if (i)
			sl_buf_putc(body, ',');
		sl_buf_putc(body, '{');
		put_time(body, "minute", mc[i].minute);
		sl_buf_puts(body, ",\"counts\":");
		put_level_counts(body, counts, 0);
		sl_buf_printf(body, ",\"total\":%" PRIu64 "}", total);
	}
	sl_buf_putc(body, ']');
}

typedef struct minute_list {
	sl_minute_counts *items;
	size_t n, cap;
} minute_list;

static void collect_minute(void *ud, const sl_minute_counts *mc)
{
	minute_list *l = ud;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->items = sl_realloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->n++] = *mc;
}

static int compare_minutes(const void *a, const void *b)
{
	int64_t x = ((const sl_minute_counts *)a)->minute, y = ((const sl_minute_counts *)b)->minute;

	return (x > y) - (x < y);
}

/* Per-minute counts from the search store, for /stats while the hot store
 * is degraded. Keeps only the minutes of the window; returns their count
 * and sets *end to the window end (0 when the store is empty). */
static int stats_from_store(request *rq, int minutes, int64_t now, sl_minute_counts **out,
			    size_t *nout, int64_t *end)
{
	minute_list l = {NULL, 0, 0};
	int64_t newest = INT64_MIN, first;
	sl_error err;
	size_t i, kept = 0;

	memset(&err, 0, sizeof err);
	if (rq->app->store->ops->minute_counts(rq->app->store, INT64_MIN, collect_minute, &l,
					       &err) != SL_OK) {
		sl_warn("http", "stats from the search store failed: %s", err.message);
		free(l.items);
		return reply_error(rq->body, 500, "the hot store is down and the search store "
				   "failed: %s", err.message);
	}
	for (i = 0; i < l.n; i++)
		newest = l.items[i].minute > newest ? l.items[i].minute : newest;
	*end = l.n ? sl_hot_pick_window_end(newest, now, minutes) : 0;
	first = *end - (int64_t)(minutes - 1) * MINUTE_MS;
	for (i = 0; i < l.n; i++) {
		if (l.items[i].minute >= first && l.items[i].minute <= *end)
			l.items[kept++] = l.items[i];
	}
	qsort(l.items, kept, sizeof *l.items, compare_minutes);
	*out = l.items;
	*nout = kept;
	return 0;
}

/* The window is `minutes` whole minutes ending with end_minute; "to" is the
 * exclusive end, one minute after end_minute starts. */
static int route_stats(request *rq)
{
	uint64_t totals[SL_LEVEL_COUNT] = { 0 };
	sl_minute_counts *mc = NULL;
	long long minutes;
	int64_t now, end = 0;
	size_t n = 0;
	int rc, degraded;

	rc = int_param(rq, "minutes", STATS_MINUTES_DEFAULT, 1, STATS_MINUTES_MAX, &minutes);
	if (rc)
		return rc;
	if (!rq->app->hot)
		return reply_error(rq->body, 503, "the hot store is not open");

	now = sl_now_ms();
	degraded = sl_hot_degraded(rq->app->hot, NULL, 0) && rq->app->store;
	if (degraded) {
		rc = stats_from_store(rq, (int)minutes, now, &mc, &n, &end);
		if (rc)
			return rc;
	} else {
		end = sl_hot_window_end(rq->app->hot, now, (int)minutes);
	}
	if (end == 0)
		end = now - now % MINUTE_MS;
	if (!degraded)
		n = sl_hot_stats(rq->app->hot, end, (int)minutes, &mc);

	sl_buf_putc(rq->body, '{');
	put_time(rq->body, "from", end - (minutes - 1) * MINUTE_MS);
	sl_buf_putc(rq->body, ',');
	put_time(rq->body, "to", end + MINUTE_MS);
	sl_buf_printf(rq->body, ",\"minutes\":%lld,", minutes);
	/* Totals are summed while the buckets are written, so they go after. */
	put_buckets(rq->body, mc, n, totals);
	sl_buf_puts(rq->body, ",\"totals\":");
	put_level_counts(rq->body, totals, 1);
	sl_buf_puts(rq->body, degraded ? ",\"source\":\"search\",\"degraded\":true}"
				       : ",\"source\":\"hot\"}");
	free(mc);
	return 200;
}

static void put_ingest(sl_buf *body, const sl_pipeline_stats *st)
{
	sl_buf_printf(body,
		      "{\"events_in\":%" PRIu64 ",\"events_stored\":%" PRIu64
		      ",\"duplicates\":%" PRIu64 ",\"undecoded\":%" PRIu64 ",\"truncated\":%" PRIu64
		      ",\"nul_bytes\":%" PRIu64 ",\"write_errors\":%" PRIu64 ",\"batches\":%" PRIu64
		      ",\"rate\":%.3f,\"running\":%s,\"sources\":",
		      st->events_in, st->events_stored, st->duplicates, st->undecoded, st->truncated,
		      st->nul_bytes, st->write_errors, st->batches, st->rate,
		      st->running ? "true" : "false");
	sl_buf_json_str(body, st->sources, strnlen(st->sources, sizeof st->sources));
	sl_buf_puts(body, ",\"last_error\":");
	sl_buf_json_str(body, st->last_error, strnlen(st->last_error, sizeof st->last_error));
	sl_buf_putc(body, '}');
}

/* Formats the health report. Returns 200 with "status":"ok", or 503 with
 * "status":"error" when the store cannot count its events. */
static int route_health(request *rq)
{
	sl_app *app = rq->app;
	sl_pipeline_stats st;
	sl_error err = { { 0 }, 0 };
	uint64_t stored = 0;
	int store_ok = 0;
	const char *desc = "none";

	memset(&st, 0, sizeof st);
	st.sources_idle = 1;
	if (app->pipeline)
		sl_pipeline_get_stats(app->pipeline, &st);
	if (app->store) {
		desc = app->store->description ? app->store->description : app->store->ops->name;
		store_ok = app->store->ops->count(app->store, &stored, &err) == SL_OK;
		if (!store_ok)
			sl_warn("http", "health: counting stored events failed: %s", err.message);
	}

	sl_buf_printf(rq->body, "{\"status\":\"%s\",\"uptime_s\":%" PRId64 ",\"store\":",
		      store_ok ? "ok" : "error", (sl_now_ms() - app->started_ms) / 1000);
	sl_buf_json_str(rq->body, desc, strlen(desc));
	if (store_ok) {
		sl_buf_printf(rq->body, ",\"events_stored\":%" PRIu64, stored);
	} else {
		const char *reason = app->store ? err.message : "the search store is not open";

		sl_buf_puts(rq->body, ",\"store_error\":");
		sl_buf_json_str(rq->body, reason, strlen(reason));
	}
	if (app->hot) {
		char reason[SL_ERRMSG_MAX] = "";
		int degraded = sl_hot_degraded(app->hot, reason, sizeof reason);

		sl_buf_printf(rq->body, ",\"hot_store\":{\"degraded\":%s",
			      degraded ? "true" : "false");
		if (degraded) {
			sl_buf_puts(rq->body, ",\"reason\":");
			sl_buf_json_str(rq->body, reason, strlen(reason));
		}
		sl_buf_putc(rq->body, '}');
	}
	if (app->deadletter)
		sl_buf_printf(rq->body, ",\"dead_letters\":%" PRIu64,
			      sl_deadletter_count(app->deadletter));
	sl_buf_printf(rq->body, ",\"sources_idle\":%s", st.sources_idle ? "true" : "false");
	if (app->pipeline) {
		sl_buf_puts(rq->body, ",\"ingest\":");
		put_ingest(rq->body, &st);
	}
	sl_buf_putc(rq->body, '}');
	return store_ok ? 200 : 503;
}

static void put_metric(sl_buf *body, const char *name, const char *type, const char *help,
		       const char *value)
{
	sl_buf_printf(body, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, type, name,
		      value);
}

static void put_counter(sl_buf *body, const char *name, const char *help, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof num, "%" PRIu64, v);
	put_metric(body, name, "counter", help, num);
}

/* Writes the Prometheus text exposition format, version 0.0.4. Ingest
 * counters are left out when this process does not ingest. */
static int route_metrics(request *rq)
{
	sl_app *app = rq->app;
	uint64_t totals[SL_LEVEL_COUNT] = { 0 };
	int lv;

	if (app->pipeline) {
		sl_pipeline_stats st;
		char rate[32];

		sl_pipeline_get_stats(app->pipeline, &st);
		put_counter(rq->body, "streamlens_events_ingested_total", "Records decoded.",
			    st.events_in);
		put_counter(rq->body, "streamlens_events_stored_total",
			    "New events written to the search store.", st.events_stored);
		put_counter(rq->body, "streamlens_duplicates_total",
			    "Redelivered records skipped.", st.duplicates);
		put_counter(rq->body, "streamlens_undecoded_total",
			    "Records no decoder understood, stored as plain text.", st.undecoded);
		put_counter(rq->body, "streamlens_truncated_lines_total",
			    "Lines cut at the line length cap.", st.truncated);
		put_counter(rq->body, "streamlens_write_errors_total",
			    "Failed batch writes to the search store (retried).", st.write_errors);
		snprintf(rate, sizeof rate, "%.3f", st.rate);
		put_metric(rq->body, "streamlens_ingest_rate", "gauge",
			   "Events per second over the last few seconds.", rate);
		if (st.consumer_lag >= 0) {
			snprintf(rate, sizeof rate, "%" PRId64, st.consumer_lag);
			put_metric(rq->body, "streamlens_consumer_lag", "gauge",
				   "Kafka records not yet consumed, all partitions.", rate);
		}
		sl_pipeline_metrics(app->pipeline, rq->body);
	}
	if (app->deadletter)
		put_counter(rq->body, "streamlens_dead_letters_total",
			    "Records the store rejected, written to the dead-letter file.",
			    sl_deadletter_count(app->deadletter));
	if (app->hot)
		put_metric(rq->body, "streamlens_hot_store_degraded", "gauge",
			   "1 while the hot store (Redis) is unreachable.",
			   sl_hot_degraded(app->hot, NULL, 0) ? "1" : "0");

	if (app->hot)
		sl_hot_totals(app->hot, totals);
	sl_buf_puts(rq->body, "# HELP streamlens_events_by_level Events counted in the hot store "
			      "by level.\n# TYPE streamlens_events_by_level counter\n");
	for (lv = 0; lv < SL_LEVEL_COUNT; lv++)
		sl_buf_printf(rq->body, "streamlens_events_by_level{level=\"%s\"} %" PRIu64 "\n",
			      sl_level_name((sl_level)lv), totals[lv]);
	return 200;
}

static const struct route {
	const char *path;
	int (*handler)(request *rq);
} routes[] = {
	{ "/search", route_search },
	{ "/latest", route_latest },
	{ "/stats", route_stats },
	{ "/health", route_health },
	{ "/metrics", route_metrics },
};

int sl_http_route(sl_app *app, const char *method, const char *path,
		  const char *(*get)(void *ud, const char *name), void *ud, sl_buf *body)
{
	request rq = { app, get, ud, body };
	size_t i, len = strcspn(path, "?");
	char shown[ECHO_MAX + 4];

	sl_buf_reset(body);
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strlen(routes[i].path) != len || strncmp(routes[i].path, path, len) != 0)
			continue;
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			echo_param(method, shown, sizeof shown);
			return reply_error(body, 405, "method %s is not allowed on %s: use GET",
					   shown, routes[i].path);
		}
		return routes[i].handler(&rq);
	}
	echo_param(path, shown, sizeof shown);
	return reply_error(body, 404,
			   "no such endpoint '%s': try /search, /latest, /stats, /health or /metrics",
			   shown);
}

const char *sl_http_content_type(const char *path, int status)
{
	if (status == 200 && strncmp(path, "/metrics", 8) == 0 && (path[8] == '\0' || path[8] == '?'))
		return PROMETHEUS_TYPE;
	return JSON_TYPE;
}

/* libmicrohttpd glue. */

static const char *connection_param(void *ud, const char *name)
{
	return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const char *url, int status,
				     sl_buf *body)
{
	size_t len = body->len;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD_RESPMEM_MUST_FREE hands the buffer over; it is released with free(). */
	resp = MHD_create_response_from_buffer(len, sl_buf_steal(body), MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				sl_http_content_type(url, status));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Compares a and b in time that depends on their lengths only, never on
 * where they differ. Returns 1 when they are equal. */
static int equal_const_time(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = alen != blen;
	size_t i;

	for (i = 0; i < blen; i++)
		diff |= (unsigned char)(alen ? a[i % alen] : 0) ^ (unsigned char)b[i];
	return diff == 0;
}

/* Returns 1 when the request carries "Authorization: Bearer TOKEN" with the
 * configured token, or when no token is configured. */
static int authorized(const sl_http *h, struct MHD_Connection *conn)
{
	static const char scheme[] = "Bearer ";
	const char *given;

	if (!h->token)
		return 1;
	given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!given || strncasecmp(given, scheme, sizeof scheme - 1) != 0)
		return 0;
	given += sizeof scheme - 1;
	return equal_const_time(given, strlen(given), h->token, strlen(h->token));
}

/* Called by libmicrohttpd at least twice per request: first with the
 * headers, then once per upload chunk, then with no upload data left, when
 * it sends the response. Request bodies are read and dropped. */
static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	static int request_started;
	sl_http *h = cls;
	sl_buf body;
	int status;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &request_started;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}

	sl_buf_init(&body);
	if (!authorized(h, conn))
		status = reply_error(&body, 401, "missing or invalid bearer token: send "
				     "'Authorization: Bearer TOKEN' with the token of --http-token-file");
	else
		status = sl_http_route(h->app, method, url, connection_param, conn, &body);
	return send_response(conn, url, status, &body);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	sl_warn("http", "libmicrohttpd: %s", msg);
}

/* Splits "host:port" or "[v6]:port" into host and port. Returns 0, or -1
 * with err set. */
static int split_listen(const char *listen, char *host, size_t hostlen, int *port, sl_error *err)
{
	const char *colon, *start = listen, *end;
	long long p;

	if (listen[0] == '[') {
		start = listen + 1;
		end = strchr(start, ']');
		if (!end || end[1] != ':') {
			sl_error_set(err, 0, "invalid listen address '%s': expected [ADDRESS]:PORT",
				     listen);
			return -1;
		}
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		end = colon;
		if (!colon || memchr(listen, ':', (size_t)(colon - listen))) {
			sl_error_set(err, 0, "invalid listen address '%s': expected HOST:PORT, "
				     "with IPv6 addresses in brackets as in [::1]:8080", listen);
			return -1;
		}
	}
	if (end == start || (size_t)(end - start) >= hostlen) {
		sl_error_set(err, 0, "invalid listen address '%s': missing or too long host",
			     listen);
		return -1;
	}
	if (sl_parse_int(colon + 1, 0, 65535, &p) != 0) {
		sl_error_set(err, 0, "invalid port in listen address '%s': expected 0 to 65535",
			     listen);
		return -1;
	}
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	*port = (int)p;
	return 0;
}

/* Resolves host into addr with port set. "localhost" is always 127.0.0.1,
 * so a resolver entry cannot expose the API beyond loopback. */
static int resolve_listen(const char *host, int port, struct sockaddr_storage *addr,
			  sl_error *err)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(addr, 0, sizeof *addr);
	if (strcmp(host, "localhost") == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		sl_error_set(err, 0, "cannot resolve listen host '%s': %s", host,
			     rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	if (addr->ss_family == AF_INET6)
		((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

sl_http *sl_http_start(sl_app *app, const char *listen, sl_error *err)
{
	return sl_http_start_auth(app, listen, NULL, err);
}

sl_http *sl_http_start_auth(sl_app *app, const char *listen, const char *token, sl_error *err)
{
	struct sockaddr_storage addr;
	char host[256];
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	sl_http *h = NULL;
	int port;

	if (split_listen(listen, host, sizeof host, &port, err) != 0 ||
	    resolve_listen(host, port, &addr, err) != 0)
		goto fail;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;

	h = sl_calloc(1, sizeof *h);
	h->app = app;
	h->token = token && *token ? sl_strdup(token) : NULL;
	/* The logger goes first so that every later option's errors reach it. */
	h->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle_request, h,
				     MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREAD_POOL_SIZE,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_END);
	if (!h->daemon) {
		/* libmicrohttpd gives no error code; its reason went to the log. */
		sl_error_set(err, 0, "cannot listen on %s: the port may be in use or not "
			     "permitted (see the log for details)", listen);
		goto fail;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	sl_info("http", "listening on %s, port %d%s", listen, h->port,
		h->token ? ", bearer token required" : "");
	return h;

fail:
	if (h)
		free(h->token);
	free(h);
	return NULL;
}

void sl_http_stop(sl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h->token);
	free(h);
}

int sl_http_port(const sl_http *h)
{
	return h->port;
}
