/* libFuzzer target for the HTTP API's request handling: routes one request
 * with fuzzed method, path and query parameters through sl_http_route
 * against a real SQLite store and in-memory hot store that hold a few
 * events. Every response must have a status below 500.
 *
 * Input layout: the first byte picks the method, the second the path (one
 * of the API's paths, or the rest of the input up to the first NUL as a raw
 * path), then NUL-separated "name=value" parameters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/app.h"
#include "../src/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARAMS 16

typedef struct param_list {
	const char *names[MAX_PARAMS];
	const char *values[MAX_PARAMS];
	size_t count;
} param_list;

static sl_app app;

/* The stores' temporary directory, removed when the fuzzer exits. */
static char store_dir[] = "/tmp/sl-fuzz-http-XXXXXX";

/* Closes the stores and removes their directory. libFuzzer calls exit()
 * when its runs or its time are over, which runs this atexit handler. */
static void remove_stores(void)
{
	if (app.store)
		app.store->ops->close(app.store);
	app.store = NULL;
	if (app.hot)
		sl_hot_free(app.hot);
	app.hot = NULL;
	sl_remove_flat_dir(store_dir);
}

static const char *list_get(void *ud, const char *name)
{
	const param_list *list = ud;
	size_t i;

	for (i = 0; i < list->count; i++) {
		if (strcmp(list->names[i], name) == 0)
			return list->values[i];
	}
	return NULL;
}

/* Opens the stores once in a temporary directory and writes events of every
 * level, so searches and aggregations have rows to work on. */
static void open_stores(void)
{
	static const char *const services[] = {"orders", "payments", "auth"};
	sl_event evs[12];
	unsigned char inserted[12];
	sl_error err = {{0}, 0};
	int64_t now = sl_now_ms();
	char text[64];
	int i;

	if (!mkdtemp(store_dir))
		abort();
	atexit(remove_stores);
	app.store = sl_sqlite_open(store_dir, &err);
	if (!app.store) {
		fprintf(stderr, "fuzz_http: %s\n", err.message);
		abort();
	}
	app.hot = sl_hot_new(SL_HOT_LATEST_DEFAULT);
	app.started_ms = now;
	for (i = 0; i < 12; i++) {
		sl_event_init(&evs[i]);
		snprintf(evs[i].id, sizeof evs[i].id, "fuzz:%d", i);
		evs[i].ts_ms = now - (int64_t)i * 60000;
		evs[i].recv_ms = evs[i].ts_ms;
		evs[i].level = (sl_level)(i % 6 + 1);
		sl_event_set_str(&evs[i].service, services[i % 3], strlen(services[i % 3]));
		sl_event_set_str(&evs[i].host, "web-01", 6);
		snprintf(text, sizeof text, "request %d took %d ms", i, i * 37);
		sl_event_set_str(&evs[i].message, text, strlen(text));
		sl_event_set_str(&evs[i].raw, text, strlen(text));
		snprintf(text, sizeof text, "%d", 200 + i * 31);
		sl_event_set_field(&evs[i], "status", 6, text, strlen(text));
		sl_hot_add(app.hot, &evs[i]);
	}
	if (app.store->ops->write_batch(app.store, evs, 12, NULL, 0, inserted, &err) != SL_OK) {
		fprintf(stderr, "fuzz_http: %s\n", err.message);
		abort();
	}
	for (i = 0; i < 12; i++)
		sl_event_clear(&evs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE"};
	static const char *const paths[] = {"/search", "/latest", "/stats", "/health",
					    "/metrics", "/", "/search/", NULL};
	param_list list = {{0}, {0}, 0};
	const char *method, *path;
	char *copy, *p, *end, *eq;
	sl_buf body;
	int status;

	if (!app.store)
		open_stores();
	if (size < 2)
		return 0;
	method = methods[data[0] % 4];
	path = paths[data[1] % (sizeof paths / sizeof paths[0])];
	copy = malloc(size - 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, size - 2);
	copy[size - 2] = '\0';
	p = copy;
	end = copy + (size - 2);
	if (!path) {
		path = p;
		p += strlen(p) + 1;
	}
	while (p < end && list.count < MAX_PARAMS) {
		eq = strchr(p, '=');
		if (eq) {
			*eq = '\0';
			list.names[list.count] = p;
			list.values[list.count] = eq + 1;
			list.count++;
			p = eq + 1;
		}
		p += strlen(p) + 1;
	}
	sl_buf_init(&body);
	status = sl_http_route(&app, method, path, list_get, &list, &body);
	if (status < 200 || status >= 500) {
		fprintf(stderr, "fuzz_http: %s %s returned status %d: %s\n", method, path, status,
			body.data ? body.data : "");
		abort();
	}
	sl_http_content_type(path, status);
	sl_buf_free(&body);
	free(copy);
	return 0;
}
