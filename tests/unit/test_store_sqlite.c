/* Unit tests for the embedded SQLite store, on a fresh directory under /tmp
 * for every test. */

#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/store.h"

/* 2026-01-02T03:04:00Z, the start of a minute. */
#define T0 1767323040000LL
#define MIN_MS 60000LL

static char tmpdir[64];
static char datadir[128];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	strcpy(tmpdir, "/tmp/sl-store-test-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(datadir, sizeof datadir, "%s/a/b", tmpdir);
}

static void teardown(void)
{
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

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

/* Hand-built events whose matches for each query below are known. */
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
};
#define NFIX (sizeof fixtures / sizeof fixtures[0])

static void make_event(sl_event *ev, const struct fixture *f)
{
	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "%s", f->id);
	ev->ts_ms = T0 + f->ts_off;
	ev->recv_ms = ev->ts_ms;
	ev->level = f->level;
	ev->flags = SL_EV_TRUNCATED;
	sl_event_set_str(&ev->service, f->service, strlen(f->service));
	sl_event_set_str(&ev->host, f->host, strlen(f->host));
	sl_event_set_str(&ev->message, f->message, strlen(f->message));
	sl_event_set_str(&ev->raw, f->message, strlen(f->message));
	if (f->key)
		sl_event_set_field(ev, f->key, strlen(f->key), f->value, strlen(f->value));
}

static sl_store *open_store(void)
{
	sl_error err = {{0}, 0};
	sl_store *st = sl_sqlite_open(datadir, &err);

	cr_assert_not_null(st, "open failed: %s", err.message);
	return st;
}

static void write_fixtures(sl_store *st)
{
	sl_event evs[NFIX];
	unsigned char inserted[NFIX];
	sl_error err;
	size_t i;

	for (i = 0; i < NFIX; i++)
		make_event(&evs[i], &fixtures[i]);
	cr_assert_eq(st->ops->write_batch(st, evs, NFIX, NULL, 0, inserted, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < NFIX; i++) {
		cr_expect_eq(inserted[i], 1, "event %zu", i);
		sl_event_clear(&evs[i]);
	}
}

/* Runs a search and renders the hit ids as "a8 a2". */
static int search_ids(sl_store *st, const char *query, int64_t from, int64_t to, size_t limit,
		      uint64_t *total, char *ids, size_t idlen)
{
	sl_search_req req = {query, from, to, limit, T0 + 2 * MIN_MS + 1000};
	sl_search_res res;
	sl_error err = {{0}, 0};
	size_t i, used = 0;
	int rc = st->ops->search(st, &req, &res, &err);

	ids[0] = '\0';
	*total = res.total;
	for (i = 0; i < res.nhits; i++)
		used += (size_t)snprintf(ids + used, idlen - used, "%s%s", i ? " " : "", res.hits[i].id);
	sl_search_res_free(&res);
	return rc;
}

struct search_case {
	const char *query;
	const char *ids;
};

Test(store_sqlite, search_table, .init = setup, .fini = teardown)
{
	static const struct search_case cases[] = {
		{"", "a8 a7 a6 a5 a4 a3 a2 a1"},
		{"disk", "a8 a6 a2"},
		{"DISK", "a8 a6 a2"},
		{"\"disk full\"", "a6 a2"},
		{"message:\"disk full\"", "a6 a2"},
		{"level:error", "a8 a4 a2"},
		{"level:ERR service:api", "a8 a2"},
		{"service:API", "a8 a7 a6 a2 a1"},
		{"service:ap*", "a8 a7 a6 a2 a1"},
		{"host:web-*", "a8 a7 a6 a5 a2 a1"},
		{"host:web_1", ""},
		{"level:error OR level:fatal", "a8 a6 a4 a2"},
		{"-level:error", "a7 a6 a5 a3 a1"},
		{"NOT level:error AND NOT level:info", "a6 a5 a3"},
		{"user:bob", "a7 a1"},
		{"-user:bob", "a8 a6 a5 a4 a3 a2"},
		{"cafe", "a7"},
		{"CREME", "a7"},
		{"conn*", "a4"},
		{"api", "a8 a7 a6 a2 a1"},
		{"message:api", ""},
		{"web", "a8 a7 a6 a5 a2 a1"},
		{"ms:5*", "a3"},
		{"job:42", "a5"},
		{"job:4", ""},
		{"(service:db OR service:worker) -level:debug", "a4 a3"},
		{"\"x'; DROP TABLE events\"", "a6"},
		{"\"NEAR(disk full)\"", "a6"},
		{"NEAR", "a6"},
		{"\"quote \\\" inside\"", "a6"},
		{"note:\"quote \\\" inside\"", "a6"},
		{"service:\"api' OR '1'='1\"", ""},
		{"message:x OR extra:y", "a6"},
		{"since:1m", "a8"},
		{"until:2026-01-02T03:04:02Z", "a3 a2 a1"},
		{"since:2026-01-02T03:04:02Z until:2026-01-02T03:04:04Z", "a5 a4 a3"},
		{"\"!!\"", ""},
	};
	char ids[256];
	uint64_t total;
	size_t i, nids;
	sl_store *st = open_store();

	write_fixtures(st);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = search_ids(st, cases[i].query, INT64_MIN, INT64_MAX, 100, &total, ids,
				    sizeof ids);

		cr_expect_eq(rc, SL_OK, "[%s]", cases[i].query);
		cr_expect_str_eq(ids, cases[i].ids, "[%s]", cases[i].query);
		nids = ids[0] ? 1 : 0;
		for (const char *p = ids; *p; p++)
			nids += *p == ' ';
		cr_expect_eq(total, nids, "[%s] total %llu", cases[i].query,
			     (unsigned long long)total);
	}

	/* the injection attempts above left the table intact */
	cr_expect_eq(search_ids(st, "", INT64_MIN, INT64_MAX, 0, &total, ids, sizeof ids), SL_OK);
	cr_expect_eq(total, NFIX);
	st->ops->close(st);
}

Test(store_sqlite, time_range_and_limit, .init = setup, .fini = teardown)
{
	char ids[256];
	uint64_t total;
	sl_store *st = open_store();

	write_fixtures(st);
	cr_expect_eq(search_ids(st, "", T0 + 1000, T0 + 3000, 100, &total, ids, sizeof ids), SL_OK);
	cr_expect_str_eq(ids, "a4 a3 a2");
	cr_expect_eq(total, 3);

	cr_expect_eq(search_ids(st, "level:error", T0 + 1000, T0 + 1000, 100, &total, ids,
				sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "a2");

	cr_expect_eq(search_ids(st, "", INT64_MIN, INT64_MAX, 2, &total, ids, sizeof ids), SL_OK);
	cr_expect_str_eq(ids, "a8 a7");
	cr_expect_eq(total, NFIX);

	cr_expect_eq(search_ids(st, "disk", INT64_MIN, INT64_MAX, 0, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "");
	cr_expect_eq(total, 3);
	st->ops->close(st);
}

Test(store_sqlite, bad_query_is_query_error, .init = setup, .fini = teardown)
{
	sl_search_req req = {"error level:", INT64_MIN, INT64_MAX, 10, T0};
	sl_search_res res;
	sl_error err = {{0}, 0};
	sl_store *st = open_store();

	cr_expect_eq(st->ops->search(st, &req, &res, &err), SL_ERR_QUERY);
	cr_expect_eq(err.column, 7);
	cr_expect_str_eq(err.message, "column 7: expected a value after 'level:'");
	cr_expect_eq(res.nhits, 0);
	sl_search_res_free(&res);
	st->ops->close(st);
}

/* Queries as deep as the parser allows, in the shapes that take the most
 * of SQLite's parser stack, prepare and run. A deeper one is a query error,
 * not a store error. */
Test(store_sqlite, deepest_queries_run, .init = setup, .fini = teardown)
{
	static const char *const levels[] = {
		"(x:* OR -host:a ", "(-x:* OR -status:[1 TO 2} ", "(\"a b\" OR n.m:7 OR -level:error ",
		"(since:5m OR -x:* ", "(service:ap* -host:\"w 1\" OR status:>=500 ",
	};
	sl_store *st = open_store();
	sl_search_req req = {NULL, INT64_MIN, INT64_MAX, 10, T0};
	sl_search_res res;
	sl_error err = {{0}, 0};
	sl_buf q;
	size_t i;
	int depth, rc;

	write_fixtures(st);
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		for (depth = 10; depth <= 40; depth += 30) {
			int k;

			sl_buf_init(&q);
			for (k = 0; k < depth; k++)
				sl_buf_puts(&q, levels[i]);
			sl_buf_puts(&q, "a");
			for (k = 0; k < depth; k++)
				sl_buf_putc(&q, ')');
			req.query = q.data;
			rc = st->ops->search(st, &req, &res, &err);
			if (depth == 10)
				cr_expect_eq(rc, SL_OK, "%d levels of %s: %s", depth, levels[i],
					     err.message);
			else
				cr_expect_eq(rc, SL_ERR_QUERY, "%d levels of %s", depth, levels[i]);
			sl_search_res_free(&res);
			sl_buf_free(&q);
		}
	}
	st->ops->close(st);
}

Test(store_sqlite, decodes_events_back, .init = setup, .fini = teardown)
{
	sl_search_req req = {"id7", INT64_MIN, INT64_MAX, 10, T0};
	sl_search_res res;
	sl_error err;
	sl_store *st = open_store();
	sl_event ev;
	unsigned char inserted;

	make_event(&ev, &fixtures[0]);
	snprintf(ev.id, sizeof ev.id, "id7");
	sl_event_set_str(&ev.message, "id7 tab\there", 12);
	sl_event_set_field(&ev, "ctl", 3, "a\x01" "b\\\"\xe2\x82\xac", 8);
	sl_event_set_field(&ev, "k\"ey", 4, "", 0);
	cr_assert_eq(st->ops->write_batch(st, &ev, 1, NULL, 0, &inserted, &err), SL_OK);

	cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_OK, "%s", err.message);
	cr_assert_eq(res.nhits, 1);
	cr_expect_str_eq(res.hits[0].id, "id7");
	cr_expect_eq(res.hits[0].ts_ms, T0);
	cr_expect_eq(res.hits[0].recv_ms, T0);
	cr_expect_eq(res.hits[0].level, SL_LEVEL_INFO);
	cr_expect_eq(res.hits[0].flags, SL_EV_TRUNCATED);
	cr_expect_str_eq(res.hits[0].service, "api");
	cr_expect_str_eq(res.hits[0].host, "web-1");
	cr_expect_str_eq(res.hits[0].message, "id7 tab\there");
	cr_expect_str_eq(res.hits[0].raw, "user login ok");
	cr_assert_eq(res.hits[0].nfields, 3);
	cr_expect_str_eq(sl_event_get_field(&res.hits[0], "user"), "bob");
	cr_expect_str_eq(sl_event_get_field(&res.hits[0], "ctl"), "a\x01" "b\\\"\xe2\x82\xac");
	cr_expect_str_eq(sl_event_get_field(&res.hits[0], "k\"ey"), "");
	sl_search_res_free(&res);
	sl_event_clear(&ev);
	st->ops->close(st);
}

Test(store_sqlite, duplicates_and_positions, .init = setup, .fini = teardown)
{
	sl_source_pos pos[2] = {{"file:/x", "1:2", 100}, {"gen:run", NULL, 7}};
	sl_event evs[3];
	unsigned char inserted[3] = {9, 9, 9};
	char *identity = NULL, ids[256];
	uint64_t offset = 0, total;
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	make_event(&evs[0], &fixtures[1]);                  /* redelivered a2 */
	make_event(&evs[1], &fixtures[2]);
	snprintf(evs[1].id, sizeof evs[1].id, "a9");        /* new */
	make_event(&evs[2], &fixtures[2]);
	snprintf(evs[2].id, sizeof evs[2].id, "a9");        /* duplicate in the batch */
	cr_assert_eq(st->ops->write_batch(st, evs, 3, pos, 2, inserted, &err), SL_OK, "%s",
		     err.message);
	cr_expect_eq(inserted[0], 0);
	cr_expect_eq(inserted[1], 1);
	cr_expect_eq(inserted[2], 0);
	cr_expect_eq(st->ops->count(st, &total, &err), SL_OK);
	cr_expect_eq(total, NFIX + 1);

	/* a redelivered event is not indexed twice */
	cr_expect_eq(search_ids(st, "\"disk full\"", INT64_MIN, INT64_MAX, 10, &total, ids,
				sizeof ids),
		     SL_OK);
	cr_expect_eq(total, 2);

	cr_expect_eq(st->ops->load_position(st, "file:/x", &identity, &offset, &err), 1);
	cr_expect_str_eq(identity, "1:2");
	cr_expect_eq(offset, 100);
	free(identity);
	cr_expect_eq(st->ops->load_position(st, "gen:run", &identity, &offset, &err), 1);
	cr_expect_str_eq(identity, "");
	cr_expect_eq(offset, 7);
	free(identity);
	cr_expect_eq(st->ops->load_position(st, "file:/missing", &identity, &offset, &err), 0);

	pos[0].offset = UINT64_MAX;
	pos[0].identity = "3:4";
	cr_assert_eq(st->ops->write_batch(st, NULL, 0, pos, 1, NULL, &err), SL_OK);
	cr_expect_eq(st->ops->load_position(st, "file:/x", &identity, &offset, &err), 1);
	cr_expect_str_eq(identity, "3:4");
	cr_expect_eq(offset, UINT64_MAX);
	free(identity);

	for (int i = 0; i < 3; i++)
		sl_event_clear(&evs[i]);
	st->ops->close(st);
}

Test(store_sqlite, latest_and_ties, .init = setup, .fini = teardown)
{
	sl_event evs[2], *out = NULL;
	size_t nout = 0;
	char ids[256];
	uint64_t total;
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	/* two later arrivals with an old timestamp, equal to each other */
	make_event(&evs[0], &fixtures[0]);
	snprintf(evs[0].id, sizeof evs[0].id, "t1");
	make_event(&evs[1], &fixtures[0]);
	snprintf(evs[1].id, sizeof evs[1].id, "t2");
	cr_assert_eq(st->ops->write_batch(st, evs, 2, NULL, 0, NULL, &err), SL_OK);

	cr_assert_eq(st->ops->latest(st, 3, &out, &nout, &err), SL_OK);
	cr_assert_eq(nout, 3);
	cr_expect_str_eq(out[0].id, "t2");
	cr_expect_str_eq(out[1].id, "t1");
	cr_expect_str_eq(out[2].id, "a8");
	for (size_t i = 0; i < nout; i++)
		sl_event_clear(&out[i]);
	free(out);

	/* equal timestamps: the later arrival first */
	cr_expect_eq(search_ids(st, "login", INT64_MIN, INT64_MAX, 10, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "t2 t1 a1");
	sl_event_clear(&evs[0]);
	sl_event_clear(&evs[1]);
	st->ops->close(st);
}

struct minute_sink {
	sl_minute_counts got[8];
	int n;
};

static void collect_minute(void *ud, const sl_minute_counts *mc)
{
	struct minute_sink *sink = ud;

	if (sink->n < 8)
		sink->got[sink->n] = *mc;
	sink->n++;
}

Test(store_sqlite, minute_counts, .init = setup, .fini = teardown)
{
	struct minute_sink sink = {0};
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	cr_assert_eq(st->ops->minute_counts(st, 0, collect_minute, &sink, &err), SL_OK);
	cr_assert_eq(sink.n, 2);
	cr_expect_eq(sink.got[0].minute, T0);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_INFO], 2);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_ERROR], 2);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_WARN], 1);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_DEBUG], 1);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_FATAL], 1);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_TRACE], 0);
	cr_expect_eq(sink.got[1].minute, T0 + 2 * MIN_MS);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_ERROR], 1);

	memset(&sink, 0, sizeof sink);
	cr_assert_eq(st->ops->minute_counts(st, T0 + MIN_MS, collect_minute, &sink, &err), SL_OK);
	cr_assert_eq(sink.n, 1);
	cr_expect_eq(sink.got[0].minute, T0 + 2 * MIN_MS);
	st->ops->close(st);
}

/* Counts rows of the FTS index for a term directly, past the events table. */
static int fts_rows(const char *term)
{
	char path[256], sql[256];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int n = -1;

	snprintf(path, sizeof path, "%s/events.db", datadir);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM events_fts WHERE events_fts MATCH '%s'",
		 term);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

Test(store_sqlite, expire_removes_rows_and_index, .init = setup, .fini = teardown)
{
	uint64_t deleted = 99, total;
	char ids[256];
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	cr_expect_eq(fts_rows("bob"), 2);
	cr_assert_eq(st->ops->expire(st, T0 + 3000, &deleted, &err), SL_OK, "%s", err.message);
	cr_expect_eq(deleted, 3);
	cr_expect_eq(st->ops->count(st, &total, &err), SL_OK);
	cr_expect_eq(total, NFIX - 3);
	cr_expect_eq(search_ids(st, "disk", INT64_MIN, INT64_MAX, 10, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "a8 a6");

	/* the index rows went too, including words from fields and service */
	cr_expect_eq(fts_rows("login"), 0);
	cr_expect_eq(fts_rows("bob"), 1);
	cr_expect_eq(fts_rows("var"), 0);
	cr_expect_eq(fts_rows("api"), 3);
	cr_expect_eq(fts_rows("quote"), 1);

	cr_assert_eq(st->ops->expire(st, T0 + 3000, &deleted, &err), SL_OK);
	cr_expect_eq(deleted, 0);
	st->ops->close(st);
}

Test(store_sqlite, expire_in_chunks, .init = setup, .fini = teardown)
{
	enum { N = 12001 };
	sl_event *evs = calloc(N, sizeof *evs);
	uint64_t deleted = 0, total = 0;
	sl_error err;
	sl_store *st = open_store();
	int i;

	for (i = 0; i < N; i++) {
		make_event(&evs[i], &fixtures[i % NFIX]);
		snprintf(evs[i].id, sizeof evs[i].id, "bulk-%d", i);
		evs[i].recv_ms = i < N - 1 ? T0 : T0 + MIN_MS;
	}
	cr_assert_eq(st->ops->write_batch(st, evs, N, NULL, 0, NULL, &err), SL_OK);
	cr_assert_eq(st->ops->expire(st, T0 + 1, &deleted, &err), SL_OK, "%s", err.message);
	cr_expect_eq(deleted, N - 1);
	cr_expect_eq(st->ops->count(st, &total, &err), SL_OK);
	cr_expect_eq(total, 1);
	cr_expect_eq(fts_rows("disk"), 0, "bulk-12000 is a1, which has no 'disk'");
	cr_expect_eq(fts_rows("login"), 1);
	for (i = 0; i < N; i++)
		sl_event_clear(&evs[i]);
	free(evs);
	st->ops->close(st);
}

Test(store_sqlite, reopen_keeps_data, .init = setup, .fini = teardown)
{
	sl_source_pos pos = {"file:/y", "5:6", 42};
	char *identity = NULL, ids[256];
	uint64_t offset, total;
	struct stat sb;
	sl_error err;
	sl_store *st = open_store();

	cr_expect_str_eq(st->description, strcat(strcpy(ids, "sqlite "), datadir));
	cr_expect_str_eq(st->ops->name, "sqlite");
	write_fixtures(st);
	cr_assert_eq(st->ops->write_batch(st, NULL, 0, &pos, 1, NULL, &err), SL_OK);
	st->ops->close(st);

	cr_assert_eq(stat(datadir, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0700);

	st = open_store();
	cr_expect_eq(st->ops->count(st, &total, &err), SL_OK);
	cr_expect_eq(total, NFIX);
	cr_expect_eq(search_ids(st, "level:error", INT64_MIN, INT64_MAX, 10, &total, ids,
				sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "a8 a4 a2");
	cr_expect_eq(st->ops->load_position(st, "file:/y", &identity, &offset, &err), 1);
	cr_expect_eq(offset, 42);
	free(identity);
	st->ops->close(st);
}

Test(store_sqlite, open_errors_name_path, .init = setup, .fini = teardown)
{
	char file[160], below[200];
	sl_error err = {{0}, 0};
	FILE *f;

	snprintf(file, sizeof file, "%s/plain", tmpdir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(below, sizeof below, "%s/sub", file);
	cr_expect_null(sl_sqlite_open(below, &err));
	cr_expect_not_null(strstr(err.message, file), "message: %s", err.message);

	/* a newer schema is rejected rather than misread */
	{
		sqlite3 *db;
		char path[200];

		snprintf(below, sizeof below, "%s/a", tmpdir);
		cr_assert_eq(mkdir(below, 0700), 0);
		cr_assert_eq(mkdir(datadir, 0700), 0);
		snprintf(path, sizeof path, "%s/events.db", datadir);
		cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		cr_expect_null(sl_sqlite_open(datadir, &err));
		cr_expect_not_null(strstr(err.message, "schema version 99"), "message: %s",
				   err.message);
		cr_expect_not_null(strstr(err.message, path), "message: %s", err.message);
	}
}

/* --- one writer, four readers ------------------------------------------- */

#define WRITER_BATCHES 100
#define BATCH_SIZE 20

struct reader_arg {
	sl_store *st;
	volatile int *done;
	int errors;
	int regressions;
	int rounds;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	uint64_t last_all = 0, last_err = 0, total;
	char ids[256];

	while (!*a->done || a->rounds < 5) {
		if (search_ids(a->st, "", INT64_MIN, INT64_MAX, 5, &total, ids, sizeof ids) != SL_OK)
			a->errors++;
		if (total < last_all)
			a->regressions++;
		last_all = total;
		if (search_ids(a->st, "level:error disk", INT64_MIN, INT64_MAX, 5, &total, ids,
			       sizeof ids) != SL_OK)
			a->errors++;
		if (total < last_err)
			a->regressions++;
		last_err = total;
		a->rounds++;
	}
	return NULL;
}

Test(store_sqlite, concurrent_readers, .init = setup, .fini = teardown)
{
	struct reader_arg args[4];
	pthread_t threads[4];
	volatile int done = 0;
	sl_event evs[BATCH_SIZE];
	uint64_t total;
	sl_error err;
	sl_store *st = open_store();
	int b, i;

	for (i = 0; i < 4; i++) {
		args[i] = (struct reader_arg){st, &done, 0, 0, 0};
		cr_assert_eq(pthread_create(&threads[i], NULL, reader_main, &args[i]), 0);
	}
	for (b = 0; b < WRITER_BATCHES; b++) {
		for (i = 0; i < BATCH_SIZE; i++) {
			make_event(&evs[i], &fixtures[(b * BATCH_SIZE + i) % NFIX]);
			snprintf(evs[i].id, sizeof evs[i].id, "c-%d-%d", b, i);
		}
		cr_assert_eq(st->ops->write_batch(st, evs, BATCH_SIZE, NULL, 0, NULL, &err), SL_OK,
			     "%s", err.message);
		for (i = 0; i < BATCH_SIZE; i++)
			sl_event_clear(&evs[i]);
	}
	done = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		cr_expect_eq(args[i].errors, 0, "reader %d", i);
		cr_expect_eq(args[i].regressions, 0, "reader %d", i);
		cr_expect_geq(args[i].rounds, 5);
	}
	cr_expect_eq(st->ops->count(st, &total, &err), SL_OK);
	cr_expect_eq(total, WRITER_BATCHES * BATCH_SIZE);
	st->ops->close(st);
}

/* Counts the rows of table that match where, read straight from the file. */
static int table_rows(const char *table, const char *where)
{
	char path[256], sql[256];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int n = -1;

	snprintf(path, sizeof path, "%s/events.db", datadir);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s", sql);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

Test(store_sqlite, late_arrivals_sort_by_time, .init = setup, .fini = teardown)
{
	static const struct search_case cases[] = {
		/* z1 arrives last with the oldest time, z2 last but one with the newest */
		{"", "z2 a8 a7 a6 a5 a4 a3 a2 a1 z1"},
		{"disk", "z2 a8 a6 a2 z1"},
		{"level:error", "z2 a8 a4 a2 z1"},
		{"since:2026-01-02T03:04:02Z", "z2 a8 a7 a6 a5 a4 a3"},
		{"until:2026-01-02T03:03:00Z disk", "z1"},
	};
	sl_event evs[2];
	char ids[256];
	uint64_t total;
	sl_error err;
	size_t i;
	sl_store *st = open_store();

	write_fixtures(st);
	make_event(&evs[0], &fixtures[7]);
	snprintf(evs[0].id, sizeof evs[0].id, "z2");
	evs[0].ts_ms = T0 + 5 * MIN_MS;
	make_event(&evs[1], &fixtures[1]);
	snprintf(evs[1].id, sizeof evs[1].id, "z1");
	evs[1].ts_ms = T0 - 5 * MIN_MS;
	cr_assert_eq(st->ops->write_batch(st, evs, 2, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_expect_eq(search_ids(st, cases[i].query, INT64_MIN, INT64_MAX, 100, &total, ids,
					sizeof ids),
			     SL_OK, "[%s]", cases[i].query);
		cr_expect_str_eq(ids, cases[i].ids, "[%s]", cases[i].query);
	}
	/* a limit keeps the newest by time, not the latest arrivals */
	cr_expect_eq(search_ids(st, "disk", INT64_MIN, INT64_MAX, 3, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "z2 a8 a6");
	cr_expect_eq(total, 5);
	sl_event_clear(&evs[0]);
	sl_event_clear(&evs[1]);
	st->ops->close(st);
}

/* Times outside the exact key range (before 1831 or after 2109) share the
 * end keys, where arrival decides. One at each end still sorts by time. */
Test(store_sqlite, extreme_timestamps_keep_order, .init = setup, .fini = teardown)
{
	static const int64_t times[] = {INT64_MIN + 1, 0, T0, INT64_MAX - 1};
	enum { N = sizeof times / sizeof times[0] };
	sl_event evs[N];
	char ids[256];
	uint64_t total;
	sl_error err;
	int i;
	sl_store *st = open_store();

	/* written newest first, so only the keys can put them in order */
	for (i = 0; i < N; i++) {
		make_event(&evs[i], &fixtures[0]);
		snprintf(evs[i].id, sizeof evs[i].id, "t%d", N - 1 - i);
		evs[i].ts_ms = times[N - 1 - i];
	}
	cr_assert_eq(st->ops->write_batch(st, evs, N, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	cr_expect_eq(search_ids(st, "login", INT64_MIN, INT64_MAX, 10, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "t3 t2 t1 t0");
	/* windows that end past the exact key range still check each time */
	cr_expect_eq(search_ids(st, "", 1, INT64_MAX - 2, 10, &total, ids, sizeof ids), SL_OK);
	cr_expect_str_eq(ids, "t2");
	cr_expect_eq(total, 1);
	cr_expect_eq(search_ids(st, "login", INT64_MIN + 2, 0, 10, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "t1");
	cr_expect_eq(total, 1);
	for (i = 0; i < N; i++)
		sl_event_clear(&evs[i]);
	st->ops->close(st);
}

Test(store_sqlite, field_index_filters, .init = setup, .fini = teardown)
{
	static const struct search_case cases[] = {
		{"ms:>=500", "a3"},
		{"ms:>500", ""},
		{"ms:[100 TO 500]", "a3"},
		{"job:<100 OR ms:>=500", "a5 a3"},
		{"-ms:>=500", "a8 a7 a6 a5 a4 a2 a1"},
		{"user:*", "a7 a1"},
		{"-user:*", "a8 a6 a5 a4 a3 a2"},
		{"user:BOB level:info", "a7 a1"},
		{"user:bo*", "a7 a1"},
		{"path:/var", "a2"},
		{"path:/", ""},
		{"path:/v*", "a2"},
		{"user:bob OR job:42", "a7 a5 a1"},
	};
	char ids[256];
	uint64_t total;
	size_t i, nids;
	sl_store *st = open_store();

	write_fixtures(st);
	cr_expect_eq(table_rows("event_fields", "1"), 6);
	cr_expect_eq(table_rows("event_fields", "num IS NOT NULL"), 2);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_expect_eq(search_ids(st, cases[i].query, INT64_MIN, INT64_MAX, 100, &total, ids,
					sizeof ids),
			     SL_OK, "[%s]", cases[i].query);
		cr_expect_str_eq(ids, cases[i].ids, "[%s]", cases[i].query);
		nids = ids[0] ? 1 : 0;
		for (const char *p = ids; *p; p++)
			nids += *p == ' ';
		cr_expect_eq(total, nids, "[%s] total %llu", cases[i].query,
			     (unsigned long long)total);
	}
	st->ops->close(st);
}

Test(store_sqlite, expire_removes_field_rows, .init = setup, .fini = teardown)
{
	uint64_t deleted = 0;
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	cr_assert_eq(st->ops->expire(st, T0 + 3000, &deleted, &err), SL_OK, "%s", err.message);
	cr_expect_eq(deleted, 3);
	/* a1 (user), a2 (path) and a3 (ms) went */
	cr_expect_eq(table_rows("event_fields", "1"), 3);
	cr_expect_eq(table_rows("event_fields", "key = 'ms'"), 0);
	st->ops->close(st);
}

/* Writes a version 1 database by hand: arrival-ordered seq, no arr and no
 * event_fields. */
static void write_v1_database(void)
{
	static const char *const sql[] = {
		"PRAGMA journal_mode=WAL",
		"CREATE TABLE events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
		" ts INTEGER NOT NULL, recv INTEGER NOT NULL, level INTEGER NOT NULL,"
		" service TEXT COLLATE NOCASE, host TEXT COLLATE NOCASE, message TEXT,"
		" fields TEXT, raw TEXT, flags INTEGER)",
		"CREATE INDEX events_ts ON events(ts, seq)",
		"CREATE INDEX events_level ON events(level, ts)",
		"CREATE INDEX events_service ON events(service, ts)",
		"CREATE INDEX events_host ON events(host, ts)",
		"CREATE INDEX events_recv ON events(recv)",
		"CREATE VIRTUAL TABLE events_fts USING fts5(message, extra, content='',"
		" tokenize='unicode61 remove_diacritics 2')",
		"CREATE TABLE positions(key TEXT PRIMARY KEY, identity TEXT, offset INTEGER)",
		"INSERT INTO events VALUES(1, 'v2', 1767323041000, 1, 5, 'api', 'h', 'disk late',"
		" '{\"status\":\"503\"}', 'r', 0)",
		"INSERT INTO events VALUES(2, 'v1', 1767323040000, 2, 3, 'api', 'h', 'disk early',"
		" '{}', 'r', 0)",
		"INSERT INTO events_fts(rowid, message, extra) VALUES(1, 'disk late', 'api h 503')",
		"INSERT INTO events_fts(rowid, message, extra) VALUES(2, 'disk early', 'api h')",
		"INSERT INTO positions VALUES('file:/x', '1:2', 77)",
		"PRAGMA user_version = 1",
	};
	char path[256];
	sqlite3 *db;
	size_t i;

	snprintf(path, sizeof path, "%s/a", tmpdir);
	mkdir(path, 0700);
	mkdir(datadir, 0700);
	snprintf(path, sizeof path, "%s/events.db", datadir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < sizeof sql / sizeof sql[0]; i++)
		cr_assert_eq(sqlite3_exec(db, sql[i], NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql[i],
			     sqlite3_errmsg(db));
	sqlite3_close(db);
}

Test(store_sqlite, version_1_is_migrated, .init = setup, .fini = teardown)
{
	sl_event *out = NULL;
	char ids[256], *identity = NULL;
	uint64_t total, offset = 0;
	size_t nout = 0;
	sl_error err;
	sl_store *st;

	write_v1_database();
	st = open_store();
	cr_expect_eq(search_ids(st, "disk", INT64_MIN, INT64_MAX, 10, &total, ids, sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "v2 v1");
	cr_expect_eq(search_ids(st, "status:>=500", INT64_MIN, INT64_MAX, 10, &total, ids,
				sizeof ids),
		     SL_OK);
	cr_expect_str_eq(ids, "v2");
	cr_expect_eq(st->ops->load_position(st, "file:/x", &identity, &offset, &err), 1);
	cr_expect_eq(offset, 77);
	free(identity);

	/* arrival order survives: v2 was stored first */
	cr_assert_eq(st->ops->latest(st, 2, &out, &nout, &err), SL_OK);
	cr_assert_eq(nout, 2);
	cr_expect_str_eq(out[0].id, "v1");
	cr_expect_str_eq(out[1].id, "v2");
	for (size_t i = 0; i < nout; i++)
		sl_event_clear(&out[i]);
	free(out);
	st->ops->close(st);
	cr_expect_eq(table_rows("sqlite_master", "name = 'events_v1'"), 0);
}

/* Every stored event, counted from the index: the same minutes as a count
 * by received time, and times before 1970 floor to the earlier minute. */
Test(store_sqlite, minute_counts_all_events, .init = setup, .fini = teardown)
{
	struct minute_sink sink = {0};
	sl_event ev;
	sl_error err;
	sl_store *st = open_store();

	write_fixtures(st);
	make_event(&ev, &fixtures[0]);
	snprintf(ev.id, sizeof ev.id, "old");
	ev.ts_ms = -1;
	cr_assert_eq(st->ops->write_batch(st, &ev, 1, NULL, 0, NULL, &err), SL_OK);
	cr_assert_eq(st->ops->minute_counts(st, INT64_MIN, collect_minute, &sink, &err), SL_OK,
		     "%s", err.message);
	cr_assert_eq(sink.n, 3);
	cr_expect_eq(sink.got[0].minute, -MIN_MS);
	cr_expect_eq(sink.got[0].counts[SL_LEVEL_INFO], 1);
	cr_expect_eq(sink.got[1].minute, T0);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_INFO], 2);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_ERROR], 2);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_WARN], 1);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_DEBUG], 1);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_FATAL], 1);
	cr_expect_eq(sink.got[1].counts[SL_LEVEL_TRACE], 0);
	cr_expect_eq(sink.got[2].minute, T0 + 2 * MIN_MS);
	cr_expect_eq(sink.got[2].counts[SL_LEVEL_ERROR], 1);
	sl_event_clear(&ev);
	st->ops->close(st);
}

/* --- group keys in event_fields -------------------------------------------------- */

#define NGROUPED 300

/* Writes NGROUPED events, one a second from T0, with a numeric status, a
 * text field and varied levels, services and hosts. Every seventh event has
 * no service and every eleventh an empty host. */
static void write_grouped(sl_store *st)
{
	static const char *const services[] = {"api", "db", "Web", "web", "queue"};
	sl_event evs[NGROUPED];
	unsigned char inserted[NGROUPED];
	char status[16], host[16];
	sl_error err;
	size_t i;

	for (i = 0; i < NGROUPED; i++) {
		sl_event *ev = &evs[i];

		sl_event_init(ev);
		snprintf(ev->id, sizeof ev->id, "g%zu", i);
		ev->ts_ms = T0 + (int64_t)i * 1000;
		ev->recv_ms = ev->ts_ms;
		ev->level = (sl_level)(i % SL_LEVEL_COUNT);
		if (i % 7)
			sl_event_set_str(&ev->service, services[i % 5], strlen(services[i % 5]));
		snprintf(host, sizeof host, i % 11 ? "h-%zu" : "", i % 4);
		sl_event_set_str(&ev->host, host, strlen(host));
		sl_event_set_str(&ev->message, "request done", 12);
		snprintf(status, sizeof status, "%zu", 200 + (i * 37) % 400);
		sl_event_set_field(ev, "status", 6, status, strlen(status));
		sl_event_set_field(ev, "user", 4, "u1", 2);
	}
	cr_assert_eq(st->ops->write_batch(st, evs, NGROUPED, NULL, 0, inserted, &err), SL_OK,
		     "%s", err.message);
	for (i = 0; i < NGROUPED; i++)
		sl_event_clear(&evs[i]);
}

/* Renders an aggregation's total and rows as "total; key=count key=count". */
static void agg_text(sl_store *st, const char *query, char *out, size_t len)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, 10, T0 + 3600000};
	sl_agg_res res;
	sl_error err = {{0}, 0};
	size_t i, used;

	cr_assert_eq(st->ops->aggregate(st, &req, &res, &err), SL_OK, "[%s]: %s", query,
		     err.message);
	used = (size_t)snprintf(out, len, "%llu;", (unsigned long long)res.total);
	for (i = 0; i < res.nrows && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, " %s=%llu",
					 res.rows[i].key ? res.rows[i].key : "-",
					 (unsigned long long)res.rows[i].count);
	sl_agg_res_free(&res);
}

/* A count by level, service or host over one numeric test reads the group
 * ids from event_fields. The same aggregation with a second test, which
 * reads them from events, must give the same rows. */
Test(store_sqlite, field_groups_match_events, .init = setup, .fini = teardown)
{
	static const char *const filters[] = {
		"status:>=400", "status:<300", "status:[250 TO 450}", "status:>1000",
		"since:2026-01-02T03:06:00Z status:>=300",
	};
	static const char *const aggs[] = {
		"count by service", "count by host", "count by level", "top 2 service", "top 1 host",
	};
	char fast[1024], slow[1024], query[256];
	size_t f, a;
	sl_store *st = open_store();

	write_grouped(st);
	/* rows with a number carry a group id; the user rows do not */
	cr_expect_eq(table_rows("event_fields", "key = 'status' AND grp IS NOT NULL"), NGROUPED);
	cr_expect_eq(table_rows("event_fields", "key = 'user' AND grp IS NULL"), NGROUPED);
	/* levels cycle with period SL_LEVEL_COUNT, services 5 and hosts 4,
	 * with gaps every 7th and 11th event, over 300 events */
	cr_expect_eq(table_rows("event_groups", "1"), table_rows("(SELECT DISTINCT level, "
		     "coalesce(service, '') COLLATE BINARY, coalesce(host, '') COLLATE BINARY FROM events)",
		     "1"));
	for (f = 0; f < sizeof filters / sizeof filters[0]; f++) {
		for (a = 0; a < sizeof aggs / sizeof aggs[0]; a++) {
			snprintf(query, sizeof query, "%s | %s", filters[f], aggs[a]);
			agg_text(st, query, fast, sizeof fast);
			snprintf(query, sizeof query, "%s user:* | %s", filters[f], aggs[a]);
			agg_text(st, query, slow, sizeof slow);
			cr_expect_str_eq(fast, slow, "[%s]", query);
		}
	}
	/* counted from write_grouped's rule: 148 events with status >= 400,
	 * 21 of them without a service */
	agg_text(st, "status:>=400 | count by service", fast, sizeof fast);
	cr_expect_str_eq(fast, "148; db=26 web=26 Web=25 api=25 queue=25", "%s", fast);
	st->ops->close(st);
}

/* Runs statements on the store's file with its own connection. */
static void exec_on_file(const char *const *sql, size_t n)
{
	char path[256];
	sqlite3 *db;
	size_t i;

	snprintf(path, sizeof path, "%s/events.db", datadir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < n; i++)
		cr_assert_eq(sqlite3_exec(db, sql[i], NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql[i],
			     sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The aggregation reads event_groups, not events: a name changed there
 * alone shows in its rows. */
Test(store_sqlite, field_groups_read_the_index, .init = setup, .fini = teardown)
{
	static const char *const sql[] = {
		"UPDATE event_groups SET service = 'moved' WHERE service = 'db'",
	};
	char out[1024];
	sl_store *st = open_store();

	write_grouped(st);
	st->ops->close(st);
	exec_on_file(sql, 1);
	st = open_store();
	agg_text(st, "status:>=400 | count by service", out, sizeof out);
	cr_expect_str_eq(out, "148; moved=26 web=26 Web=25 api=25 queue=25", "%s", out);
	st->ops->close(st);
}

/* A version 2 file, which has no event groups, gets them from events when
 * it is opened. */
Test(store_sqlite, version_2_is_migrated, .init = setup, .fini = teardown)
{
	static const char *const to_v2[] = {
		"DROP INDEX event_fields_num",
		"ALTER TABLE event_fields DROP COLUMN grp",
		"DROP TABLE event_groups",
		"CREATE INDEX event_fields_num ON event_fields(key, num) WHERE num IS NOT NULL",
		"PRAGMA user_version = 2",
	};
	char before[1024], after[1024];
	sl_store *st = open_store();

	write_grouped(st);
	agg_text(st, "status:>=400 | count by host", before, sizeof before);
	st->ops->close(st);
	exec_on_file(to_v2, sizeof to_v2 / sizeof to_v2[0]);
	cr_assert_eq(table_rows("pragma_table_info('event_fields')", "1"), 3);

	st = open_store();
	agg_text(st, "status:>=400 | count by host", after, sizeof after);
	cr_expect_str_eq(after, before);
	st->ops->close(st);
	cr_expect_eq(table_rows("pragma_table_info('event_fields')", "1"), 4);
	cr_expect_eq(table_rows("event_fields", "key = 'status' AND grp IS NOT NULL"), NGROUPED);
	cr_expect_eq(table_rows("pragma_index_info('event_fields_num')", "1"), 4);
}

/* Writes 300 events a second apart, e000 oldest: status 500 on every tenth
 * (from e003), 200 on the others, and code 900 on the six oldest only. */
static void write_walk_events(sl_store *st)
{
	sl_event evs[300];
	sl_error err;
	char v[16];
	int i;

	for (i = 0; i < 300; i++) {
		sl_event_init(&evs[i]);
		snprintf(evs[i].id, sizeof evs[i].id, "e%03d", i);
		evs[i].ts_ms = evs[i].recv_ms = T0 + i * 1000LL;
		evs[i].level = SL_LEVEL_INFO;
		sl_event_set_str(&evs[i].service, "api", 3);
		sl_event_set_str(&evs[i].message, "request", 7);
		sl_event_set_str(&evs[i].raw, "request", 7);
		snprintf(v, sizeof v, "%d", i % 10 == 3 ? 500 : 200);
		sl_event_set_field(&evs[i], "status", 6, v, strlen(v));
		snprintf(v, sizeof v, "%d", i < 6 ? 900 : 100);
		sl_event_set_field(&evs[i], "code", 4, v, strlen(v));
	}
	cr_assert_eq(st->ops->write_batch(st, evs, 300, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < 300; i++)
		sl_event_clear(&evs[i]);
}

/* A lone field test finds its hits by walking the field's rows newest first
 * when its matches are common, and by the general plan when the walk gives
 * up on a rare one or the limit exceeds the matches. Each case must return
 * the newest matches of its window, newest first, with the exact total. */
Test(store_sqlite, field_walk_finds_newest, .init = setup, .fini = teardown)
{
	static const struct {
		const char *query;
		int64_t from_s, to_s; /* window in seconds after T0; -1 is open */
		size_t limit;
		uint64_t total;
		const char *ids;
	} cases[] = {
		{"status:>=500", -1, -1, 5, 30, "e293 e283 e273 e263 e253"},
		{"status:500", -1, -1, 3, 30, "e293 e283 e273"},
		{"status:*", -1, -1, 4, 300, "e299 e298 e297 e296"},
		{"status:[200 TO 200]", -1, -1, 2, 270, "e299 e298"},
		{"code:>=900", -1, -1, 5, 6, "e005 e004 e003 e002 e001"},
		{"code:>=900", -1, -1, 6, 6, "e005 e004 e003 e002 e001 e000"},
		{"status:>=500", -1, -1, 40, 30, NULL},
		{"status:>=500", 100, 200, 3, 10, "e193 e183 e173"},
		{"status:>=500", 100, 200, 10, 10, "e193 e183 e173 e163 e153 e143 e133 e123 e113 e103"},
		{"status:<0", -1, -1, 5, 0, ""},
	};
	char ids[1024], want[1024];
	uint64_t total;
	size_t i;
	sl_store *st = open_store();

	write_walk_events(st);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t from = cases[i].from_s < 0 ? INT64_MIN : T0 + cases[i].from_s * 1000;
		int64_t to = cases[i].to_s < 0 ? INT64_MAX : T0 + cases[i].to_s * 1000;
		const char *expect = cases[i].ids;

		if (!expect) { /* every status 500, newest first */
			size_t used = 0;
			int j;

			for (j = 293; j >= 0; j -= 10)
				used += (size_t)snprintf(want + used, sizeof want - used, "%se%03d",
							 used ? " " : "", j);
			expect = want;
		}
		cr_expect_eq(search_ids(st, cases[i].query, from, to, cases[i].limit, &total, ids,
					sizeof ids),
			     SL_OK, "[%s]", cases[i].query);
		cr_expect_eq(total, cases[i].total, "[%s] limit %zu: total %llu", cases[i].query,
			     cases[i].limit, (unsigned long long)total);
		cr_expect_str_eq(ids, expect, "[%s] limit %zu", cases[i].query, cases[i].limit);
	}
	st->ops->close(st);
}

#define NSPREAD 600

/* Writes NSPREAD events over about 25 minutes, out of time order, with
 * services that differ only in case, missing and empty names, and a few
 * timestamps before 1970 or beyond the exact key range. recv is the index,
 * so an expire by recv removes the first ones written. */
static void write_spread(sl_store *st)
{
	static const char *const services[] = {"api", "Api", "db", "", NULL, "payments"};
	static const char *const hosts[] = {"web-1", "web-2", "db-1", NULL};
	sl_event evs[NSPREAD];
	sl_error err;
	size_t i;

	for (i = 0; i < NSPREAD; i++) {
		sl_event *ev = &evs[i];
		const char *service = services[i % 6], *host = hosts[i % 4];

		sl_event_init(ev);
		snprintf(ev->id, sizeof ev->id, "s%zu", i);
		/* a stride of 7919 ms over 600 events covers 79 minutes; the
		 * modulo folds it into 25 minutes, out of order */
		ev->ts_ms = T0 + (int64_t)((i * 7919) % (25 * MIN_MS));
		if (i % 97 == 5)
			ev->ts_ms = -(int64_t)i * 1000 - 1; /* before 1970 */
		if (i % 101 == 7)
			ev->ts_ms = INT64_MAX - (int64_t)i; /* beyond the key range */
		ev->recv_ms = (int64_t)i;
		ev->level = (sl_level)(i % SL_LEVEL_COUNT);
		if (service)
			sl_event_set_str(&ev->service, service, strlen(service));
		if (host)
			sl_event_set_str(&ev->host, host, strlen(host));
		sl_event_set_str(&ev->message, "tick", 4);
		sl_event_set_str(&ev->raw, "tick", 4);
	}
	cr_assert_eq(st->ops->write_batch(st, evs, NSPREAD, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	/* a second write of the same events inserts none and counts none */
	cr_assert_eq(st->ops->write_batch(st, evs, NSPREAD, NULL, 0, NULL, &err), SL_OK, "%s",
		     err.message);
	for (i = 0; i < NSPREAD; i++)
		sl_event_clear(&evs[i]);
}

/* Returns the total of query in [from, to], and checks it against the hits
 * themselves, which the store selects event by event. */
static uint64_t checked_total(sl_store *st, const char *query, int64_t from, int64_t to)
{
	sl_search_req req = {query, from, to, 10000, T0 + 30 * MIN_MS};
	sl_search_res res;
	sl_error err = {{0}, 0};
	uint64_t total;

	cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_OK, "[%s]: %s", query, err.message);
	cr_expect_eq(res.total, res.nhits, "[%s] in [%lld, %lld]: total %llu, %zu hits", query,
		     (long long)from, (long long)to, (unsigned long long)res.total, res.nhits);
	total = res.total;
	sl_search_res_free(&res);
	return total;
}

/* Returns the store's count of all events. */
static uint64_t stored_count(sl_store *st)
{
	uint64_t n = 0;
	sl_error err;

	cr_assert_eq(st->ops->count(st, &n, &err), SL_OK, "%s", err.message);
	return n;
}

static const char *const group_queries[] = {
	"",
	"level:error",
	"level:>=warn",
	"level:error OR level:info",
	"service:api",
	"service:API",
	"service:pay*",
	"service:*",
	"-service:*",
	"NOT service:api",
	"host:web*",
	"-host:web-1 level:debug",
	"host:* service:db",
	"(service:api OR service:db) NOT level:info",
	"service:api since:2026-01-02T03:10:00Z",
	"level:error until:2026-01-02T03:14:30Z",
};

/* Windows in ms after T0 (INT64_MIN and INT64_MAX for open ends): partial
 * minutes at either end, whole minutes, one minute, and all time. */
static const int64_t windows[][2] = {
	{INT64_MIN, INT64_MAX},
	{0, 25 * MIN_MS},
	{90000, 17 * MIN_MS + 1234},
	{2 * MIN_MS, 4 * MIN_MS - 1},
	{3 * MIN_MS + 10, 3 * MIN_MS + 50000},
	{INT64_MIN, 5 * MIN_MS + 1},
	{-T0 - 50000, 30000},
	{-T0 - 90000, 30000},
	{-T0 - 150000, -T0 - 3000},
};

/* Sums of the per-minute counts of all events, which come from
 * group_minutes, for check_all_minutes to compare with the totals. */
struct all_minutes {
	int64_t last;
	int n;
	uint64_t by_level[SL_LEVEL_COUNT], all;
};

static void add_all_minute(void *ud, const sl_minute_counts *mc)
{
	struct all_minutes *a = ud;
	int level;

	if (a->n++)
		cr_expect_lt(a->last, mc->minute);
	a->last = mc->minute;
	cr_expect_eq(((mc->minute % MIN_MS) + MIN_MS) % MIN_MS, 0, "minute %lld",
		     (long long)mc->minute);
	for (level = 0; level < SL_LEVEL_COUNT; level++) {
		a->by_level[level] += mc->counts[level];
		a->all += mc->counts[level];
	}
}

static void check_all_minutes(sl_store *st)
{
	static const char *const levels[SL_LEVEL_COUNT] = {
		"level:unknown", "level:trace", "level:debug",
		"level:info",	 "level:warn",	"level:error", "level:fatal",
	};
	struct all_minutes sums;
	sl_error err;
	int level;

	memset(&sums, 0, sizeof sums);
	cr_assert_eq(st->ops->minute_counts(st, INT64_MIN, add_all_minute, &sums, &err), SL_OK,
		     "%s", err.message);
	cr_expect_gt(sums.n, 20);
	cr_expect_eq(sums.all, checked_total(st, "", INT64_MIN, INT64_MAX));
	for (level = 0; level < SL_LEVEL_COUNT; level++)
		cr_expect_eq(sums.by_level[level],
			     checked_total(st, levels[level], INT64_MIN, INT64_MAX), "%s",
			     levels[level]);
}

static void check_group_totals(sl_store *st)
{
	size_t q, w;

	for (q = 0; q < sizeof group_queries / sizeof group_queries[0]; q++) {
		for (w = 0; w < sizeof windows / sizeof windows[0]; w++) {
			int64_t from = windows[w][0] == INT64_MIN ? INT64_MIN : T0 + windows[w][0];
			int64_t to = windows[w][1] == INT64_MAX ? INT64_MAX : T0 + windows[w][1];

			checked_total(st, group_queries[q], from, to);
		}
	}
}

/* Counts of level, service and host come from group_minutes; they must
 * equal the events they count in every window, after duplicates and after
 * an expire. */
Test(store_sqlite, group_counts_match_events, .init = setup, .fini = teardown)
{
	uint64_t deleted = 0;
	sl_error err;
	sl_store *st = open_store();

	write_spread(st);
	cr_expect_eq(stored_count(st), NSPREAD);
	cr_expect_eq(checked_total(st, "", INT64_MIN, INT64_MAX), NSPREAD);
	cr_expect_eq(checked_total(st, "service:api", INT64_MIN, INT64_MAX), 200);
	cr_expect_eq(table_rows("group_minutes", "n <= 0"), 0);
	check_group_totals(st);
	check_all_minutes(st);

	cr_assert_eq(st->ops->expire(st, 250, &deleted, &err), SL_OK, "%s", err.message);
	cr_expect_eq(deleted, 250);
	cr_expect_eq(stored_count(st), NSPREAD - 250);
	cr_expect_eq(checked_total(st, "", INT64_MIN, INT64_MAX), NSPREAD - 250);
	cr_expect_eq(table_rows("group_minutes", "n <= 0"), 0);
	check_group_totals(st);
	check_all_minutes(st);
	st->ops->close(st);
}

/* The total is read from group_minutes: a count changed there alone shows
 * in it, and a query on anything else still counts events. Only the
 * minute that starts at T0 changes, one the open window covers whole. */
Test(store_sqlite, group_counts_read_group_minutes, .init = setup, .fini = teardown)
{
	static const char *const queries[] = {"", "NOT service:nothing"};
	char bump[128], minute[64];
	const char *sql[] = {bump};
	uint64_t rows;
	sl_search_req req = {NULL, INT64_MIN, INT64_MAX, 1, T0};
	sl_search_res res;
	sl_error err;
	size_t i;
	sl_store *st = open_store();

	write_spread(st);
	st->ops->close(st);
	snprintf(minute, sizeof minute, "minute = %lld", (long long)(T0 / MIN_MS));
	snprintf(bump, sizeof bump, "UPDATE group_minutes SET n = n + 1000 WHERE %s", minute);
	rows = (uint64_t)table_rows("group_minutes", minute);
	cr_assert_gt(rows, 0);
	exec_on_file(sql, 1);
	st = open_store();
	for (i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		req.query = queries[i];
		cr_assert_eq(st->ops->search(st, &req, &res, &err), SL_OK, "%s", err.message);
		cr_expect_eq(res.total, NSPREAD + 1000 * rows, "[%s] total %llu", queries[i],
			     (unsigned long long)res.total);
		sl_search_res_free(&res);
	}
	cr_expect_eq(checked_total(st, "tick", INT64_MIN, INT64_MAX), NSPREAD);
	st->ops->close(st);
}

/* A version 3 file has no group_minutes, and event_groups has rows only for
 * the events with a numeric field, whose event_fields rows point at them.
 * Opening it adds the other groups without moving those ids, and the
 * totals and the aggregations that read the ids are right at once. */
Test(store_sqlite, version_3_is_migrated, .init = setup, .fini = teardown)
{
	static const char *const sql[] = {
		"DROP TABLE group_minutes",
		"DELETE FROM event_groups WHERE id NOT IN"
		" (SELECT grp FROM event_fields WHERE grp IS NOT NULL)",
		"PRAGMA user_version = 3",
	};
	char before[1024], after[1024];
	int groups;
	sl_store *st = open_store();

	write_spread(st);
	write_grouped(st);
	agg_text(st, "status:>=400 | count by service", before, sizeof before);
	st->ops->close(st);
	exec_on_file(sql, 3);
	groups = table_rows("event_groups", "1");
	st = open_store();
	cr_expect_gt(table_rows("event_groups", "1"), groups);
	agg_text(st, "status:>=400 | count by service", after, sizeof after);
	cr_expect_str_eq(after, before);
	cr_expect_eq(checked_total(st, "", INT64_MIN, INT64_MAX), NSPREAD + NGROUPED);
	check_group_totals(st);
	check_all_minutes(st);
	st->ops->close(st);
}
