/* gen.c: the bundled log generator. A seeded xorshift64* stream picks
 * services, hosts, levels and messages, so a seed and the timestamps it is
 * given fully determine the output bytes. */
#include "gen.h"

#include "../src/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One in TRACE_ODDS errors outside a burst carries a stack trace. Errors are
 * about 1 in 33 events, so that is roughly 1 trace per 200 events. */
#define TRACE_ODDS 6
#define BURST_TRACE_ODDS 3

typedef enum trace_lang { TRACE_JAVA, TRACE_PYTHON } trace_lang;

typedef struct service_def {
	const char *name;
	const char *host_prefix; /* hosts are prefix-01 .. prefix-NN */
	unsigned nhosts;
	trace_lang lang;
	const char *package; /* Java package or Python module root */
	const char *noun;    /* class name stem in Java stack frames */
	const char *paths[4];
} service_def;

static const service_def services[] = {
	{ "api-gateway", "gw", 4, TRACE_JAVA, "io.streamshop.gateway", "Route",
	  { "/api/v1/orders", "/api/v1/products", "/api/v1/cart", "/api/v1/session" } },
	{ "auth", "auth", 2, TRACE_PYTHON, "auth", "Session",
	  { "/login", "/logout", "/token/refresh", "/oauth/callback" } },
	{ "payments", "pay", 3, TRACE_JAVA, "io.streamshop.payments", "Charge",
	  { "/charges", "/refunds", "/payment-methods", "/webhooks/psp" } },
	{ "orders", "web", 3, TRACE_JAVA, "io.streamshop.orders", "Order",
	  { "/orders", "/orders/checkout", "/orders/history", "/orders/cancel" } },
	{ "inventory", "db", 2, TRACE_JAVA, "io.streamshop.inventory", "Stock",
	  { "/stock", "/stock/reserve", "/stock/release", "/warehouses" } },
	{ "search", "search", 3, TRACE_PYTHON, "search", "Query",
	  { "/search", "/suggest", "/index/refresh", "/facets" } },
	{ "notifications", "notify", 2, TRACE_PYTHON, "notifications", "Message",
	  { "/email/send", "/sms/send", "/push/send", "/templates" } },
};

static const char *const methods[] = { "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE" };

static const char *const info_msgs[] = {
	"cache refreshed", "connection pool resized", "config reloaded",
	"scheduled job finished", "health check passed", "feature flag evaluated",
};

static const char *const debug_msgs[] = {
	"cache hit", "cache miss", "retrying idempotent read", "span exported",
	"query plan cached", "token validated",
};

static const char *const warn_msgs[] = {
	"slow query over 500ms", "retrying upstream call", "connection pool near capacity",
	"deprecated API version used", "rate limit at 80%", "certificate expires in 14 days",
};

static const char *const error_msgs[] = {
	"upstream timed out", "connection refused by database", "circuit breaker open",
	"failed to publish message", "deadlock detected, transaction rolled back",
	"out of retries contacting downstream",
};

static const char *const java_exceptions[] = {
	"java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"value\" is null",
	"java.net.SocketTimeoutException: Read timed out",
	"java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available",
	"java.lang.IllegalStateException: Order already settled",
};

static const char *const python_exceptions[] = {
	"KeyError: 'user_id'",
	"TimeoutError: timed out after 5.0s",
	"ConnectionResetError: [Errno 104] Connection reset by peer",
	"ValueError: invalid literal for int() with base 10: 'abc'",
};

static const char *const java_classes[] = { "Handler", "Service", "Repository", "Client" };
static const char *const java_methods[] = { "handle", "process", "load", "execute" };
static const char *const python_funcs[] = { "handle", "process", "fetch", "render", "send" };

struct sl_gen {
	uint64_t state;
	uint64_t count;
	size_t burst_service; /* service with an error burst under way */
	unsigned burst_left;  /* events left in the burst; 0 when none */
	const char *last_service;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Advances the xorshift64* state, which sl_gen_new keeps nonzero. */
static uint64_t next_u64(sl_gen *g)
{
	uint64_t x = g->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Returns a number in [0, n); n must be positive. The tiny modulo bias does
 * not matter for test data. */
static unsigned pick(sl_gen *g, unsigned n)
{
	return (unsigned)((next_u64(g) >> 11) % n);
}

sl_gen *sl_gen_new(uint64_t seed)
{
	sl_gen *g = sl_calloc(1, sizeof *g);
	uint64_t x = seed;

	g->state = splitmix64(&x);
	if (g->state == 0)
		g->state = 0x9e3779b97f4a7c15ULL;
	return g;
}

void sl_gen_free(sl_gen *g)
{
	free(g);
}

const char *sl_gen_last_service(const sl_gen *g)
{
	return g->last_service;
}

uint64_t sl_gen_count(const sl_gen *g)
{
	return g->count;
}

static void put_member(sl_buf *out, const char *key, const char *val)
{
	sl_buf_printf(out, ",\"%s\":", key);
	sl_buf_json_str(out, val, strlen(val));
}

static void append_java_trace(sl_gen *g, const service_def *svc, sl_buf *msg)
{
	unsigned frames = 3 + pick(g, 5);
	unsigned i;

	sl_buf_printf(msg, "\n%s", java_exceptions[pick(g, ARRAY_LEN(java_exceptions))]);
	for (i = 0; i < frames; i++) {
		const char *cls = java_classes[pick(g, ARRAY_LEN(java_classes))];

		const char *fn = java_methods[pick(g, ARRAY_LEN(java_methods))];

		sl_buf_printf(msg, "\n\tat %s.%s%s.%s(%s%s.java:%u)", svc->package, svc->noun, cls,
			      fn, svc->noun, cls, 20 + pick(g, 400));
	}
	sl_buf_puts(msg, "\n\tat java.base/java.lang.Thread.run(Thread.java:1583)");
}

static void append_python_trace(sl_gen *g, const service_def *svc, sl_buf *msg)
{
	unsigned frames = 2 + pick(g, 4);
	unsigned i;

	sl_buf_puts(msg, "\nTraceback (most recent call last):");
	for (i = 0; i < frames; i++) {
		const char *fn = python_funcs[pick(g, ARRAY_LEN(python_funcs))];

		sl_buf_printf(msg, "\n  File \"/app/%s/%s.py\", line %u, in %s", svc->package, fn,
			      10 + pick(g, 300), fn);
		sl_buf_printf(msg, "\n    result = %s(request)", fn);
	}
	sl_buf_printf(msg, "\n%s", python_exceptions[pick(g, ARRAY_LEN(python_exceptions))]);
}

/* Starts a burst now and then: a run of 50 to 250 events in which one
 * service logs mostly errors. */
static void update_burst(sl_gen *g)
{
	if (g->burst_left > 0) {
		g->burst_left--;
		return;
	}
	if (pick(g, 2000) == 0) {
		g->burst_service = pick(g, ARRAY_LEN(services));
		g->burst_left = 50 + pick(g, 201);
	}
}

static sl_level pick_level(sl_gen *g, int in_burst)
{
	unsigned r = pick(g, 1000);

	if (in_burst) {
		if (r < 700)
			return SL_LEVEL_ERROR;
		if (r < 900)
			return SL_LEVEL_WARN;
		return SL_LEVEL_INFO;
	}
	if (r < 100)
		return SL_LEVEL_DEBUG;
	if (r < 900)
		return SL_LEVEL_INFO;
	if (r < 970)
		return SL_LEVEL_WARN;
	if (r < 999)
		return SL_LEVEL_ERROR;
	return SL_LEVEL_FATAL;
}

static const char *plain_message(sl_gen *g, sl_level level)
{
	switch (level) {
	case SL_LEVEL_DEBUG:
		return debug_msgs[pick(g, ARRAY_LEN(debug_msgs))];
	case SL_LEVEL_WARN:
		return warn_msgs[pick(g, ARRAY_LEN(warn_msgs))];
	case SL_LEVEL_ERROR:
	case SL_LEVEL_FATAL:
		return error_msgs[pick(g, ARRAY_LEN(error_msgs))];
	default:
		return info_msgs[pick(g, ARRAY_LEN(info_msgs))];
	}
}

static unsigned pick_status(sl_gen *g, sl_level level)
{
	static const unsigned ok[] = { 200, 200, 200, 201, 204, 304 };
	static const unsigned client[] = { 400, 401, 403, 404, 409, 429 };
	static const unsigned server[] = { 500, 502, 503, 504 };

	if (level >= SL_LEVEL_ERROR)
		return server[pick(g, ARRAY_LEN(server))];
	if (level == SL_LEVEL_WARN)
		return client[pick(g, ARRAY_LEN(client))];
	return ok[pick(g, ARRAY_LEN(ok))];
}

/* Fills msg and appends the request members (status, duration_ms, user)
 * after the message is written, so they are collected in tail. */
static void request_message(sl_gen *g, const service_def *svc, sl_level level, sl_buf *msg,
			    sl_buf *tail)
{
	const char *method = methods[pick(g, ARRAY_LEN(methods))];
	const char *path = svc->paths[pick(g, ARRAY_LEN(svc->paths))];
	unsigned status = pick_status(g, level);
	unsigned duration = 2 + pick(g, 120);

	if (level >= SL_LEVEL_WARN)
		duration += pick(g, 5000);
	sl_buf_printf(msg, "%s %s %u %ums", method, path, status, duration);
	sl_buf_printf(tail, ",\"status\":%u,\"duration_ms\":%u", status, duration);
	if (pick(g, 4) != 0) {
		char user[24];

		snprintf(user, sizeof user, "u%u", 1000 + pick(g, 9000));
		put_member(tail, "user", user);
	}
}

static void build_message(sl_gen *g, const service_def *svc, sl_level level, int in_burst,
			  sl_buf *msg, sl_buf *tail)
{
	unsigned trace_odds = in_burst ? BURST_TRACE_ODDS : TRACE_ODDS;

	if (level >= SL_LEVEL_ERROR && pick(g, trace_odds) == 0) {
		sl_buf_printf(msg, "unhandled exception in %s", svc->name);
		if (svc->lang == TRACE_JAVA)
			append_java_trace(g, svc, msg);
		else
			append_python_trace(g, svc, msg);
		return;
	}
	if (pick(g, 10) < 6)
		request_message(g, svc, level, msg, tail);
	else
		sl_buf_puts(msg, plain_message(g, level));
}

void sl_gen_next(sl_gen *g, int64_t ts_ms, sl_buf *out)
{
	char stamp[SL_TIME_STRLEN];
	char host[32];
	char reqid[17];
	const service_def *svc;
	sl_level level;
	sl_buf msg, tail;
	int in_burst;

	sl_buf_init(&msg);
	sl_buf_init(&tail);
	update_burst(g);

	in_burst = g->burst_left > 0 && pick(g, 2) == 0;
	svc = in_burst ? &services[g->burst_service] : &services[pick(g, ARRAY_LEN(services))];
	level = pick_level(g, in_burst);
	snprintf(host, sizeof host, "%s-%02u", svc->host_prefix, 1 + pick(g, svc->nhosts));
	snprintf(reqid, sizeof reqid, "%016llx", (unsigned long long)next_u64(g));
	build_message(g, svc, level, in_burst, &msg, &tail);

	sl_format_time(ts_ms, stamp, sizeof stamp);
	sl_buf_puts(out, "{\"timestamp\":");
	sl_buf_json_str(out, stamp, strlen(stamp));
	put_member(out, "level", sl_level_name(level));
	put_member(out, "service", svc->name);
	put_member(out, "host", host);
	put_member(out, "request_id", reqid);
	sl_buf_puts(out, ",\"message\":");
	sl_buf_json_str(out, msg.data, msg.len);
	if (tail.len)
		sl_buf_append(out, tail.data, tail.len);
	sl_buf_putc(out, '}');

	g->count++;
	g->last_service = svc->name;
	sl_buf_free(&msg);
	sl_buf_free(&tail);
}
