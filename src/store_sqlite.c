/* store_sqlite.c: the embedded search store, SQLite with FTS5 in
 * DIR/events.db. One writer connection belongs to the ingest thread. Readers
 * (the TUI and the HTTP threads) borrow read-only connections from a small
 * pool, and WAL mode lets them read while the writer commits.
 *
 * The full-text index events_fts is contentless (content=''): it stores only
 * the index, and its rowid is events.seq. SQLite 3.40 has no
 * contentless_delete, so removing a row means replaying its original text
 * through the FTS5 'delete' command; build_extra() therefore derives that
 * text from the stored columns the same way at insert and at delete.
 *
 * events.seq is a time key (sl_sql_time_key in query.h): the timestamp in
 * ms times 2^20 plus the arrival rank among events with that timestamp. So
 * the primary key, the FTS5 rowid and every index on one column (which ends
 * with the rowid) are already in the newest-first order of /search. A search
 * walks them backwards and stops at its limit instead of sorting all matches.
 * events.arr numbers events in arrival order for `latest`.
 * event_fields contains each extra field's key and numeric value per
 * event, so field:* and field:>=N read an index instead of every row. A row
 * with a numeric value also carries the id of the event's (level, service,
 * host) in event_groups, and the value index covers that id. So "field:>=N
 * | count by service" counts from the index and the small event_groups
 * table, without a lookup in events per match. The id comes after seq in the
 * index, so the entries of one value stay in seq order and a batch appends
 * at the end of each value's run. With the id before seq a batch touched
 * many more index pages, and ingest took about a third longer.
 * field:value finds its candidates in the FTS5 `extra` column (see
 * query_sql.c).
 * group_minutes has the number of events of each group per minute of
 * seq, written in the transaction that inserts or deletes them. The total
 * of a query on level, service and host adds up those rows for the whole
 * minutes of its window, and counts events one by one only in the partial
 * minutes at its ends. */
#define _POSIX_C_SOURCE 200809L

#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "query.h"
#include "util.h"

#define SCHEMA_VERSION 4
/* Idle read-only connections kept for reuse. More are opened on demand. */
#define READERS_MAX 8
#define SEARCH_LIMIT_MAX 10000
#define READER_MMAP_BYTES "4294967296"
/* The writer's page cache, as PRAGMA cache_size takes it: negative KiB. */
#define WRITER_CACHE_KIB "-65536"
/* WAL pages after which a commit copies the WAL back into the database;
 * SQLite's default is 1000. */
#define WAL_CHECKPOINT_PAGES "8000"
/* The seq values of one minute of timestamps (see sl_sql_time_key). */
#define MINUTE_KEYS (INT64_C(60000) << SL_SQL_KEY_BITS)
/* Rows deleted per expire transaction, which bounds how long the write lock
 * is held and how far the WAL grows. */
#define EXPIRE_CHUNK 5000

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS events("
	" seq INTEGER PRIMARY KEY,"
	" arr INTEGER NOT NULL,"
	" id TEXT NOT NULL UNIQUE,"
	" ts INTEGER NOT NULL,"
	" recv INTEGER NOT NULL,"
	" level INTEGER NOT NULL,"
	" service TEXT COLLATE NOCASE,"
	" host TEXT COLLATE NOCASE,"
	" message TEXT,"
	" fields TEXT,"
	" raw TEXT,"
	" flags INTEGER);"
	"CREATE INDEX IF NOT EXISTS events_arr ON events(arr);"
	"CREATE INDEX IF NOT EXISTS events_level ON events(level);"
	"CREATE INDEX IF NOT EXISTS events_level_service ON events(level, service);"
	"CREATE INDEX IF NOT EXISTS events_service ON events(service);"
	"CREATE INDEX IF NOT EXISTS events_host ON events(host);"
	"CREATE INDEX IF NOT EXISTS events_recv ON events(recv);"
	/* columnsize=0: no per-row token counts, which only BM25 ranking reads */
	"CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(message, extra, content='',"
	" columnsize=0, tokenize='unicode61 remove_diacritics 2');"
	"CREATE TABLE IF NOT EXISTS event_fields("
	" key TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" num REAL,"
	/* event_groups.id of the event, in rows with a number only */
	" grp INTEGER,"
	" PRIMARY KEY(key, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS event_fields_num ON event_fields(key, num, seq, grp)"
	" WHERE num IS NOT NULL;"
	/* one row per (level, service, host) seen, with "" for a missing name.
	 * The names compare byte by byte, as the group keys of an aggregation do. */
	"CREATE TABLE IF NOT EXISTS event_groups("
	" id INTEGER PRIMARY KEY,"
	" level INTEGER NOT NULL,"
	" service TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" UNIQUE(level, service, host));"
	/* events per group and minute of seq (see minute_of), so a count of a
	 * query on level, service and host sums these rows instead of reading
	 * one index entry per event */
	"CREATE TABLE IF NOT EXISTS group_minutes("
	" grp INTEGER NOT NULL,"
	" minute INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY(grp, minute)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS positions(key TEXT PRIMARY KEY, identity TEXT, offset INTEGER);";

/* Qualified, because searches join events_fts, which has a message column too. */
#define EVENT_COLUMNS                                                                      \
	"events.id, events.ts, events.recv, events.level, events.flags, events.service,"    \
	" events.host, events.message, events.raw, events.fields"

/* The writer's statements, prepared once and reused for every batch. */
enum {
	ST_INSERT_EVENT,
	ST_INSERT_FTS,
	ST_INSERT_FIELD,
	ST_INSERT_GROUP,
	ST_SELECT_GROUPS,
	ST_MAX_KEYS,
	ST_PROBE_KEY,
	ST_DELETE_FTS,
	ST_DELETE_FIELD,
	ST_DELETE_EVENT,
	ST_PUT_POSITION,
	ST_GET_POSITION,
	ST_SELECT_EXPIRED,
	ST_ADD_MINUTE,
	ST_DROP_MINUTE,
	ST_COUNT
};

static const char *const writer_sql[ST_COUNT] = {
	/* Only a known id is skipped: a clash on seq is an error, never a lost event. */
	[ST_INSERT_EVENT] = "INSERT INTO events(id, ts, recv, level, service, host,"
			    " message, fields, raw, flags, seq, arr)"
			    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
	[ST_INSERT_FTS] = "INSERT INTO events_fts(rowid, message, extra) VALUES(?, ?, ?)",
	[ST_INSERT_FIELD] = "INSERT INTO event_fields(key, seq, num, grp) VALUES(?, ?, ?, ?)",
	[ST_INSERT_GROUP] = "INSERT INTO event_groups(level, service, host) VALUES(?, ?, ?)",
	[ST_SELECT_GROUPS] = "SELECT id, level, service, host FROM event_groups",
	[ST_MAX_KEYS] = "SELECT (SELECT max(seq) FROM events), (SELECT max(arr) FROM events)",
	[ST_PROBE_KEY] = "SELECT max(seq) FROM events WHERE seq BETWEEN ? AND ?",
	[ST_DELETE_FTS] = "INSERT INTO events_fts(events_fts, rowid, message, extra)"
			  " VALUES('delete', ?, ?, ?)",
	[ST_DELETE_FIELD] = "DELETE FROM event_fields WHERE key = ? AND seq = ?",
	[ST_DELETE_EVENT] = "DELETE FROM events WHERE seq = ?",
	[ST_PUT_POSITION] = "INSERT INTO positions(key, identity, offset) VALUES(?, ?, ?)"
			    " ON CONFLICT(key) DO UPDATE SET identity = excluded.identity,"
			    " offset = excluded.offset",
	[ST_GET_POSITION] = "SELECT identity, offset FROM positions WHERE key = ?",
	[ST_SELECT_EXPIRED] = "SELECT seq, message, service, host, fields, level FROM events"
			      " WHERE recv < ? LIMIT ?",
	[ST_ADD_MINUTE] = "INSERT INTO group_minutes(grp, minute, n) VALUES(?1, ?2, ?3)"
			  " ON CONFLICT(grp, minute) DO UPDATE SET n = n + ?3",
	[ST_DROP_MINUTE] = "DELETE FROM group_minutes WHERE grp = ? AND minute = ? AND n <= 0",
};

/* One event_groups row in the writer's hash table: the key is the level
 * byte, the service, a NUL and the host. */
struct group {
	char *key;
	size_t len;
	uint64_t hash;
	int64_t id;
};

/* The event_groups id and the minute of one event. */
struct group_minute {
	int64_t grp, minute;
};

struct sqlite_store {
	char *dir;
	char *path;
	sqlite3 *db; /* writer, used by the ingest thread only */
	sqlite3_stmt *st[ST_COUNT];
	/* The largest seq and arr in the table, read at the start of each write
	 * transaction and advanced by every insert. */
	int64_t max_seq;
	int64_t max_arr;
	/* a copy of event_groups for the writer, loaded on first use and
	 * dropped when a transaction that may have added rows is rolled back */
	struct group *groups;
	size_t ngroups, groups_cap;
	int groups_loaded;
	sl_buf group_scratch; /* the key being looked up, reused for every event */
	/* (group, minute) of each event inserted or deleted in the current
	 * transaction, added to group_minutes before it commits */
	struct group_minute *minutes;
	size_t nminutes, minutes_cap;
	pthread_mutex_t write_lock;
	pthread_mutex_t pool_lock;
	sqlite3 *idle[READERS_MAX];
	size_t nidle;
};

static struct sqlite_store *impl_of(sl_store *st)
{
	return st->impl;
}

/* --- JSON fields and the FTS text --------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		h = hex_value(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + (unsigned)h;
	}
	*out = v;
	return 0;
}

static void put_utf8(sl_buf *b, unsigned cp)
{
	if (cp < 0x80) {
		sl_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		sl_buf_putc(b, (char)(0xc0 | cp >> 6));
		sl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sl_buf_putc(b, (char)(0xe0 | cp >> 12));
		sl_buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		sl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		sl_buf_putc(b, (char)(0xf0 | cp >> 18));
		sl_buf_putc(b, (char)(0x80 | (cp >> 12 & 0x3f)));
		sl_buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		sl_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Decodes a \u escape at *s (just past the 'u') and joins surrogate pairs.
 * A lone surrogate becomes U+FFFD. */
static void json_unicode(const char **s, sl_buf *b)
{
	unsigned cp, lo;

	if (read_hex4(*s, &cp) < 0) {
		put_utf8(b, 0xfffd);
		return;
	}
	*s += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && (*s)[0] == '\\' && (*s)[1] == 'u' &&
	    read_hex4(*s + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*s += 6;
	} else if (cp >= 0xd800 && cp < 0xe000) {
		cp = 0xfffd;
	}
	put_utf8(b, cp);
}

/* Reads a JSON string at *s (on the opening quote) into b. Returns 0 and
 * moves *s past the closing quote, or -1 on malformed input. */
static int json_string(const char **s, sl_buf *b)
{
	const char *p = *s;

	if (*p++ != '"')
		return -1;
	while (*p != '"') {
		if (*p == '\0')
			return -1;
		if (*p != '\\') {
			sl_buf_putc(b, *p++);
			continue;
		}
		p++;
		switch (*p++) {
		case '"': sl_buf_putc(b, '"'); break;
		case '\\': sl_buf_putc(b, '\\'); break;
		case '/': sl_buf_putc(b, '/'); break;
		case 'b': sl_buf_putc(b, '\b'); break;
		case 'f': sl_buf_putc(b, '\f'); break;
		case 'n': sl_buf_putc(b, '\n'); break;
		case 'r': sl_buf_putc(b, '\r'); break;
		case 't': sl_buf_putc(b, '\t'); break;
		case 'u': json_unicode(&p, b); break;
		default: return -1;
		}
	}
	*s = p + 1;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Parses the flat object of string values that sl_fields_to_json writes
 * and adds each member to ev. Malformed text ends the parse, and the
 * members read before it are kept. */
static void parse_fields(const char *json, sl_event *ev)
{
	const char *s = skip_ws(json ? json : "");
	sl_buf key, val;

	if (*s++ != '{')
		return;
	sl_buf_init(&key);
	sl_buf_init(&val);
	for (s = skip_ws(s); *s == '"'; s = skip_ws(s + 1)) {
		sl_buf_reset(&key);
		sl_buf_reset(&val);
		if (json_string(&s, &key) < 0)
			break;
		s = skip_ws(s);
		if (*s++ != ':')
			break;
		s = skip_ws(s);
		if (json_string(&s, &val) < 0)
			break;
		sl_event_set_field(ev, key.data ? key.data : "", key.len, val.data ? val.data : "",
				   val.len);
		s = skip_ws(s);
		if (*s != ',')
			break;
	}
	sl_buf_free(&key);
	sl_buf_free(&val);
}

static void put_word(sl_buf *b, const char *s)
{
	if (!s || !*s)
		return;
	if (b->len)
		sl_buf_putc(b, ' ');
	sl_buf_puts(b, s);
}

/* Builds the `extra` FTS column: service, host and the field values joined
 * by spaces. The same event must always give the same text, because the
 * contentless index can only delete what it is given back verbatim. */
static char *build_extra(const char *service, const char *host, const sl_event *fields)
{
	sl_buf b;
	size_t i;

	sl_buf_init(&b);
	put_word(&b, service);
	put_word(&b, host);
	for (i = 0; i < fields->nfields; i++)
		put_word(&b, fields->fields[i].value);
	return sl_buf_steal(&b);
}

/* --- connections ---------------------------------------------------------- */

/* sl_number(text): the value as a REAL when sl_query_number accepts the
 * whole text, else NULL; the numeric form that comparisons such as
 * status:>=500 use. */
static void sql_number(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text;
	double v;

	(void)argc;
	text = sqlite3_value_text(argv[0]);
	if (text && sl_query_number((const char *)text, &v))
		sqlite3_result_double(ctx, v);
	else
		sqlite3_result_null(ctx);
}

static int add_functions(sqlite3 *db)
{
	return sqlite3_create_function(db, SL_SQL_NUMBER_FN, 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       sql_number, NULL, NULL);
}

static int set_sqlite_error(sl_error *err, sqlite3 *db, int rc, const char *path,
			    const char *what)
{
	if ((rc & 0xff) == SQLITE_FULL) {
		/* The pipeline keeps the batch and retries it, so the message names the fix. */
		sl_error_set(err, 0, "%s: %s failed: the disk is full; free space there and "
			     "ingestion resumes by itself", path, what);
		return SL_ERR_FULL;
	}
	sl_error_set(err, 0, "%s: %s failed: %s", path, what,
		     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return SL_ERR;
}

/* Creates dir and its missing parents with mode 0700. Returns 0, or -1 with
 * err naming the directory that could not be made. */
static int make_dirs(const char *dir, sl_error *err)
{
	char *path = sl_strdup(dir);
	char *p, saved;
	int rc = 0;

	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			sl_error_set(err, 0, "%s: cannot create directory: %s", path,
				     strerror(errno));
			rc = -1;
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(path);
	return rc;
}

static int exec_sql(struct sqlite_store *s, sqlite3 *db, const char *sql, const char *what,
		    sl_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return set_sqlite_error(err, db, rc, s->path, what);
	return SL_OK;
}

static const char v1_rename_sql[] =
	"DROP INDEX IF EXISTS events_ts; DROP INDEX IF EXISTS events_level;"
	" DROP INDEX IF EXISTS events_service; DROP INDEX IF EXISTS events_host;"
	" DROP INDEX IF EXISTS events_recv; DROP TABLE IF EXISTS events_fts;"
	" ALTER TABLE events RENAME TO events_v1;";

/* Version 2 has no event_groups. It is filled from events, the rows of
 * event_fields with a number get their event's group id, and schema_sql
 * rebuilds the value index over them. The names are compared as BINARY,
 * because events.service and events.host ignore case. */
static const char v2_upgrade_sql[] =
	"CREATE TABLE event_groups(id INTEGER PRIMARY KEY, level INTEGER NOT NULL,"
	" service TEXT NOT NULL, host TEXT NOT NULL, UNIQUE(level, service, host));"
	" INSERT OR IGNORE INTO event_groups(level, service, host)"
	" SELECT DISTINCT level, coalesce(service, '') COLLATE BINARY,"
	" coalesce(host, '') COLLATE BINARY FROM events;"
	" ALTER TABLE event_fields ADD COLUMN grp INTEGER;"
	" UPDATE event_fields SET grp = (SELECT g.id FROM events AS e JOIN event_groups AS g"
	" ON g.level = e.level AND g.service = coalesce(e.service, '') COLLATE BINARY"
	" AND g.host = coalesce(e.host, '') COLLATE BINARY WHERE e.seq = event_fields.seq)"
	" WHERE num IS NOT NULL;"
	" DROP INDEX IF EXISTS event_fields_num;";

/* Before version 4 only events with a numeric field had a group, and
 * group_minutes did not exist. Every event's group is added and the events
 * are counted per group and minute, as minute_of rounds: down, also for
 * times before 1970. */
static void minutes_fill_sql(sl_buf *b)
{
	sl_buf_printf(b,
		      "INSERT OR IGNORE INTO event_groups(level, service, host)"
		      " SELECT DISTINCT level, coalesce(service, '') COLLATE BINARY,"
		      " coalesce(host, '') COLLATE BINARY FROM events;"
		      " DELETE FROM group_minutes;"
		      " INSERT INTO group_minutes(grp, minute, n)"
		      " SELECT g.id, CASE WHEN e.seq >= 0 THEN e.seq / %" PRId64
		      " ELSE -((-e.seq - 1) / %" PRId64 ") - 1 END AS m, count(*)"
		      " FROM events AS e JOIN event_groups AS g ON g.level = e.level"
		      " AND g.service = coalesce(e.service, '') COLLATE BINARY"
		      " AND g.host = coalesce(e.host, '') COLLATE BINARY GROUP BY g.id, m;",
		      MINUTE_KEYS, MINUTE_KEYS);
}

/* Reads PRAGMA user_version: the schema version, 0 for a new file. */
static int schema_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);

	if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_errcode(db);
	sqlite3_finalize(stmt);
	return rc;
}

static int create_schema(struct sqlite_store *s, sl_error *err)
{
	int version = 0, rc;
	char sql[64];
	sl_buf fill;

	rc = schema_version(s->db, &version);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, s->db, rc, s->path, "reading the schema version");
	if (version > SCHEMA_VERSION) {
		sl_error_set(err, 0,
			     "%s: schema version %d is newer than this StreamLens supports (%d)",
			     s->path, version, SCHEMA_VERSION);
		return SL_ERR;
	}
	if (version == SCHEMA_VERSION)
		return SL_OK;

	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (version > 0)
		sl_info("sqlite", "%s: upgrading the store from schema version %d to %d; a large "
			"store takes a minute or more", s->path, version, SCHEMA_VERSION);
	if (exec_sql(s, s->db, "BEGIN IMMEDIATE", "starting the schema transaction", err) < 0)
		return SL_ERR;
	/* Version 1 keyed events by arrival. Its rows move aside to events_v1,
	 * and copy_v1_events re-inserts them with time keys once the writer's
	 * statements are ready. */
	if ((version == 1 && exec_sql(s, s->db, v1_rename_sql, "renaming the version 1 tables",
				      err) < 0) ||
	    (version == 2 && exec_sql(s, s->db, v2_upgrade_sql,
				      "adding event groups to the version 2 tables", err) < 0)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return SL_ERR;
	}
	sl_buf_init(&fill);
	if (version > 0)
		minutes_fill_sql(&fill);
	if (exec_sql(s, s->db, schema_sql, "creating the schema", err) < 0 ||
	    (version > 0 && exec_sql(s, s->db, fill.data, "counting events per group and minute",
				     err) < 0) ||
	    exec_sql(s, s->db, sql, "setting the schema version", err) < 0) {
		sl_buf_free(&fill);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return SL_ERR;
	}
	sl_buf_free(&fill);
	return exec_sql(s, s->db, "COMMIT", "committing the schema", err);
}

static void decode_row(sqlite3_stmt *stmt, sl_event *ev);
static int insert_event(struct sqlite_store *s, const sl_event *ev, sl_buf *json,
			unsigned char *is_new, sl_error *err);
static int load_max_keys(struct sqlite_store *s, sl_error *err);
static int end_transaction(struct sqlite_store *s, int rc, sl_error *err);
static int write_minutes(struct sqlite_store *s, int sign, sl_error *err);

/* Moves the rows of a version 1 table events_v1, when there is one, into
 * events in arrival order, and drops it, all in one transaction. Ids that
 * are already there are skipped, so an interrupted copy restarts cleanly. */
static int copy_v1_events(struct sqlite_store *s, sl_error *err)
{
	sqlite3_stmt *sel = NULL;
	unsigned char is_new;
	sl_event ev;
	sl_buf json;
	int rc, step = SQLITE_DONE;

	rc = sqlite3_prepare_v2(s->db,
				"SELECT id, ts, recv, level, flags, service, host, message, raw,"
				" fields FROM events_v1 ORDER BY seq", -1, &sel, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(sel);
		return SL_OK; /* no events_v1: nothing to copy */
	}
	sl_buf_init(&json);
	rc = exec_sql(s, s->db, "BEGIN IMMEDIATE", "starting the version 1 copy", err);
	if (rc == SL_OK)
		rc = load_max_keys(s, err);
	while (rc == SL_OK && (step = sqlite3_step(sel)) == SQLITE_ROW) {
		sl_event_init(&ev);
		decode_row(sel, &ev);
		rc = insert_event(s, &ev, &json, &is_new, err);
		sl_event_clear(&ev);
	}
	if (rc == SL_OK && step != SQLITE_DONE)
		rc = set_sqlite_error(err, s->db, step, s->path, "reading version 1 events");
	sqlite3_finalize(sel);
	if (rc == SL_OK)
		rc = write_minutes(s, 1, err);
	if (rc == SL_OK)
		rc = exec_sql(s, s->db, "DROP TABLE events_v1", "dropping version 1 events", err);
	if (!sqlite3_get_autocommit(s->db))
		rc = end_transaction(s, rc, err);
	sl_buf_free(&json);
	return rc;
}

static int open_writer(struct sqlite_store *s, sl_error *err)
{
	int rc, i;

	rc = sqlite3_open_v2(s->path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, s->db, rc, s->path, "opening the database");
	sqlite3_busy_timeout(s->db, 5000);
	rc = add_functions(s->db);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, s->db, rc, s->path, "adding SQL functions");
	/* The larger page cache keeps the index pages that every batch
	 * touches in memory instead of reading them again from the file, and
	 * rarer checkpoints copy a page that many batches changed only once. */
	if (exec_sql(s, s->db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
		     " PRAGMA cache_size=" WRITER_CACHE_KIB "; PRAGMA wal_autocheckpoint="
		     WAL_CHECKPOINT_PAGES,
		     "setting the journal mode", err) < 0)
		return SL_ERR;
	if (create_schema(s, err) < 0)
		return SL_ERR;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK)
			return set_sqlite_error(err, s->db, rc, s->path, "preparing a statement");
	}
	return copy_v1_events(s, err);
}

/* Borrows a read-only connection, opening one when none is idle. Returns
 * NULL with err set on failure. */
static sqlite3 *reader_get(struct sqlite_store *s, sl_error *err)
{
	sqlite3 *db = NULL;
	int rc;

	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle)
		db = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->pool_lock);
	if (db)
		return db;

	rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_sqlite_error(err, db, rc, s->path, "opening a read connection");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	/* Reading pages through a memory map saves a copy per page, which
	 * counts that touch many rows notice. The size reserves address space,
	 * not memory, and SQLite caps it at its compile-time maximum. */
	sqlite3_exec(db, "PRAGMA mmap_size=" READER_MMAP_BYTES, NULL, NULL, NULL);
	rc = add_functions(db);
	if (rc != SQLITE_OK) {
		set_sqlite_error(err, db, rc, s->path, "adding SQL functions");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void reader_put(struct sqlite_store *s, sqlite3 *db)
{
	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle < READERS_MAX) {
		s->idle[s->nidle++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&s->pool_lock);
	sqlite3_close(db);
}

/* --- writing -------------------------------------------------------------- */

/* Returns a writer statement ready to run. Bindings are not cleared, so
 * every caller binds each parameter, NULL included. */
static sqlite3_stmt *stmt_start(struct sqlite_store *s, int which)
{
	sqlite3_reset(s->st[which]);
	return s->st[which];
}

static int step_done(struct sqlite_store *s, sqlite3_stmt *stmt, const char *what,
		     sl_error *err)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return set_sqlite_error(err, s->db, rc, s->path, what);
	return SL_OK;
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, i);
}

/* Reads the largest seq and arr into s, as the keys of a write transaction
 * start from them. An empty table gives INT64_MIN and 0. */
static int load_max_keys(struct sqlite_store *s, sl_error *err)
{
	sqlite3_stmt *stmt = stmt_start(s, ST_MAX_KEYS);
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		s->max_seq = sqlite3_column_type(stmt, 0) == SQLITE_NULL
				     ? INT64_MIN
				     : sqlite3_column_int64(stmt, 0);
		s->max_arr = sqlite3_column_int64(stmt, 1);
		rc = SL_OK;
	} else {
		rc = set_sqlite_error(err, s->db, rc, s->path, "reading the newest keys");
	}
	sqlite3_reset(stmt);
	return rc;
}

/* Finds the first free seq after the largest one in [lo, hi] into *seq,
 * or lo when that range is empty. Returns 0 when the range is full. */
static int probe_key(struct sqlite_store *s, int64_t lo, int64_t hi, int64_t *seq,
		     sl_error *err)
{
	sqlite3_stmt *stmt = stmt_start(s, ST_PROBE_KEY);
	int rc;

	sqlite3_bind_int64(stmt, 1, lo);
	sqlite3_bind_int64(stmt, 2, hi);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = set_sqlite_error(err, s->db, rc, s->path, "finding a free key");
	} else if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		*seq = lo;
		rc = 1;
	} else {
		*seq = sqlite3_column_int64(stmt, 0) + 1;
		rc = *seq <= hi;
	}
	sqlite3_reset(stmt);
	return rc;
}

/* Picks the seq of a new event with timestamp ts_ms: the next rank among
 * events with that timestamp. Events arriving in time order take the fast
 * path, with no lookup. */
static int assign_key(struct sqlite_store *s, int64_t ts_ms, int64_t *seq, sl_error *err)
{
	const int64_t step = INT64_C(1) << SL_SQL_KEY_BITS;
	int64_t lo = sl_sql_time_key(ts_ms, 0);
	int rc;

	if (lo > s->max_seq) {
		*seq = lo;
	} else if (lo == (s->max_seq & ~(step - 1)) && (s->max_seq & (step - 1)) != step - 1) {
		*seq = s->max_seq + 1;
	} else {
		/* NOTE: more than 2^20 events with one timestamp spill into the
		 * next millisecond's keys. Against events of that millisecond they
		 * then sort by arrival, while the ts column stays exact. */
		while ((rc = probe_key(s, lo, lo + step - 1, seq, err)) == 0) {
			if (lo > INT64_MAX - 2 * step) {
				sl_error_set(err, 0, "%s: no free key for timestamp %lld", s->path,
					     (long long)ts_ms);
				return SL_ERR;
			}
			lo += step;
		}
		if (rc < 0)
			return rc;
	}
	if (*seq > s->max_seq)
		s->max_seq = *seq;
	return SL_OK;
}

/* --- event groups ------------------------------------------------------ */

static const char *column_str(sqlite3_stmt *stmt, int i);

/* FNV-1a over the key. */
static uint64_t group_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Writes the group key of (level, service, host) to b. */
static void group_key(sl_buf *b, int level, const char *service, const char *host)
{
	sl_buf_reset(b);
	sl_buf_putc(b, (char)(level + 1));
	sl_buf_puts(b, service ? service : "");
	sl_buf_append(b, "", 1);
	sl_buf_puts(b, host ? host : "");
}

/* Returns the slot of key in the table: its entry, or the empty slot where
 * it belongs. The table always has an empty slot. */
static struct group *group_slot(struct sqlite_store *s, const char *key, size_t len,
				uint64_t hash)
{
	size_t i = (size_t)hash & (s->groups_cap - 1);

	while (s->groups[i].key && (s->groups[i].hash != hash || s->groups[i].len != len ||
				    memcmp(s->groups[i].key, key, len) != 0))
		i = (i + 1) & (s->groups_cap - 1);
	return &s->groups[i];
}

/* Adds a key known to be absent, growing the table past 70 % full. */
static void group_add(struct sqlite_store *s, const char *key, size_t len, int64_t id)
{
	uint64_t hash = group_hash(key, len);
	struct group *g;

	if ((s->ngroups + 1) * 10 > s->groups_cap * 7) {
		struct group *old = s->groups;
		size_t i, old_cap = s->groups_cap;

		s->groups_cap = old_cap ? old_cap * 2 : 64;
		s->groups = sl_calloc(s->groups_cap, sizeof *s->groups);
		for (i = 0; i < old_cap; i++) {
			if (old[i].key)
				*group_slot(s, old[i].key, old[i].len, old[i].hash) = old[i];
		}
		free(old);
	}
	g = group_slot(s, key, len, hash);
	g->key = sl_malloc(len);
	memcpy(g->key, key, len);
	g->len = len;
	g->hash = hash;
	g->id = id;
	s->ngroups++;
}

static void groups_reset(struct sqlite_store *s)
{
	size_t i;

	for (i = 0; i < s->groups_cap; i++)
		free(s->groups[i].key);
	free(s->groups);
	s->groups = NULL;
	s->ngroups = s->groups_cap = 0;
	s->groups_loaded = 0;
}

/* Reads event_groups into the writer's table. */
static int groups_load(struct sqlite_store *s, sl_buf *key, sl_error *err)
{
	sqlite3_stmt *stmt = stmt_start(s, ST_SELECT_GROUPS);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		group_key(key, sqlite3_column_int(stmt, 1), column_str(stmt, 2),
			  column_str(stmt, 3));
		group_add(s, key->data, key->len, sqlite3_column_int64(stmt, 0));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return set_sqlite_error(err, s->db, rc, s->path, "reading the event groups");
	s->groups_loaded = 1;
	return SL_OK;
}

/* Sets *id to the event_groups id of level, service and host (NULL for a
 * missing name), adding the row when it is new. */
static int group_id(struct sqlite_store *s, int level, const char *service, const char *host,
		    int64_t *id, sl_error *err)
{
	sl_buf *key = &s->group_scratch;
	struct group *g = NULL;
	sqlite3_stmt *stmt;
	int rc;

	if (!s->groups_loaded && groups_load(s, key, err) < 0)
		return SL_ERR;
	if (!service)
		service = "";
	if (!host)
		host = "";
	group_key(key, level, service, host);
	if (s->groups_cap)
		g = group_slot(s, key->data, key->len, group_hash(key->data, key->len));
	if (g && g->key) {
		*id = g->id;
		return SL_OK;
	}

	stmt = stmt_start(s, ST_INSERT_GROUP);
	sqlite3_bind_int(stmt, 1, level);
	sqlite3_bind_text(stmt, 2, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, host, -1, SQLITE_STATIC);
	rc = step_done(s, stmt, "adding an event group", err);
	if (rc == SL_OK) {
		*id = sqlite3_last_insert_rowid(s->db);
		group_add(s, key->data, key->len, *id);
	}
	return rc;
}

/* Returns the minute of timestamps that seq falls in, rounded down. */
static int64_t minute_of(int64_t seq)
{
	return seq >= 0 ? seq / MINUTE_KEYS : -((-seq - 1) / MINUTE_KEYS) - 1;
}

/* Remembers that an event of group grp with key seq is inserted or deleted
 * in the current transaction. */
static void note_minute(struct sqlite_store *s, int64_t grp, int64_t seq)
{
	if (s->nminutes == s->minutes_cap) {
		s->minutes_cap = s->minutes_cap ? s->minutes_cap * 2 : 1024;
		s->minutes = sl_realloc(s->minutes, s->minutes_cap * sizeof *s->minutes);
	}
	s->minutes[s->nminutes].grp = grp;
	s->minutes[s->nminutes++].minute = minute_of(seq);
}

static int minute_cmp(const void *a, const void *b)
{
	const struct group_minute *x = a, *y = b;

	if (x->grp != y->grp)
		return x->grp < y->grp ? -1 : 1;
	return x->minute < y->minute ? -1 : x->minute > y->minute;
}

/* Adds the events noted since the transaction began to group_minutes, or
 * subtracts them when sign is -1 and drops the rows that reach zero. */
static int write_minutes(struct sqlite_store *s, int sign, sl_error *err)
{
	size_t i = 0, j;
	int rc = SL_OK;

	/* minutes is NULL until the first event is noted, and qsort must not
	 * get a NULL pointer, even for zero elements */
	if (s->nminutes == 0)
		return SL_OK;
	qsort(s->minutes, s->nminutes, sizeof *s->minutes, minute_cmp);
	while (i < s->nminutes && rc == SL_OK) {
		sqlite3_stmt *stmt = stmt_start(s, ST_ADD_MINUTE);

		for (j = i + 1; j < s->nminutes && minute_cmp(&s->minutes[i], &s->minutes[j]) == 0;
		     j++)
			;
		sqlite3_bind_int64(stmt, 1, s->minutes[i].grp);
		sqlite3_bind_int64(stmt, 2, s->minutes[i].minute);
		sqlite3_bind_int64(stmt, 3, sign * (int64_t)(j - i));
		rc = step_done(s, stmt, "counting events per minute", err);
		if (rc == SL_OK && sign < 0) {
			stmt = stmt_start(s, ST_DROP_MINUTE);
			sqlite3_bind_int64(stmt, 1, s->minutes[i].grp);
			sqlite3_bind_int64(stmt, 2, s->minutes[i].minute);
			rc = step_done(s, stmt, "counting events per minute", err);
		}
		i = j;
	}
	s->nminutes = 0;
	return rc;
}

/* Adds one event_fields row per extra field of ev, stored as seq. Rows with
 * a number carry ev's group id grp. The others leave it NULL, because no
 * count reads it there. */
static int insert_fields(struct sqlite_store *s, const sl_event *ev, int64_t seq, int64_t grp,
			 sl_error *err)
{
	sqlite3_stmt *stmt;
	double num;
	size_t i;
	int rc = SL_OK;

	for (i = 0; i < ev->nfields && rc == SL_OK; i++) {
		int is_num = sl_query_number(ev->fields[i].value, &num);

		stmt = stmt_start(s, ST_INSERT_FIELD);
		sqlite3_bind_text(stmt, 1, ev->fields[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, seq);
		if (is_num) {
			sqlite3_bind_double(stmt, 3, num);
			sqlite3_bind_int64(stmt, 4, grp);
		} else {
			sqlite3_bind_null(stmt, 3);
			sqlite3_bind_null(stmt, 4);
		}
		rc = step_done(s, stmt, "indexing a field", err);
	}
	return rc;
}

/* Inserts one event and, when its id is new, its FTS and field rows. Sets
 * *is_new. */
static int insert_event(struct sqlite_store *s, const sl_event *ev, sl_buf *json,
			unsigned char *is_new, sl_error *err)
{
	sqlite3_stmt *stmt = stmt_start(s, ST_INSERT_EVENT);
	int64_t seq = 0, grp = 0;
	char *extra;
	int rc;

	rc = assign_key(s, ev->ts_ms, &seq, err);
	if (rc < 0)
		return rc;
	sl_buf_reset(json);
	sl_fields_to_json(ev, json);
	sqlite3_bind_text(stmt, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, ev->ts_ms);
	sqlite3_bind_int64(stmt, 3, ev->recv_ms);
	sqlite3_bind_int(stmt, 4, ev->level);
	bind_text(stmt, 5, ev->service);
	bind_text(stmt, 6, ev->host);
	bind_text(stmt, 7, ev->message);
	sqlite3_bind_text(stmt, 8, json->data, (int)json->len, SQLITE_STATIC);
	bind_text(stmt, 9, ev->raw);
	sqlite3_bind_int64(stmt, 10, ev->flags);
	sqlite3_bind_int64(stmt, 11, seq);
	sqlite3_bind_int64(stmt, 12, s->max_arr + 1);
	rc = step_done(s, stmt, "inserting an event", err);
	if (rc < 0)
		return rc;

	*is_new = sqlite3_changes(s->db) == 1;
	if (!*is_new)
		return SL_OK;
	s->max_arr++;
	extra = build_extra(ev->service, ev->host, ev);
	stmt = stmt_start(s, ST_INSERT_FTS);
	sqlite3_bind_int64(stmt, 1, seq);
	bind_text(stmt, 2, ev->message);
	sqlite3_bind_text(stmt, 3, extra, -1, SQLITE_STATIC);
	rc = step_done(s, stmt, "indexing an event", err);
	free(extra);
	if (rc == SL_OK)
		rc = group_id(s, ev->level, ev->service, ev->host, &grp, err);
	if (rc == SL_OK) {
		note_minute(s, grp, seq);
		rc = insert_fields(s, ev, seq, grp, err);
	}
	return rc;
}

static int put_position(struct sqlite_store *s, const sl_source_pos *pos, sl_error *err)
{
	sqlite3_stmt *stmt = stmt_start(s, ST_PUT_POSITION);

	bind_text(stmt, 1, pos->key ? pos->key : "");
	bind_text(stmt, 2, pos->identity);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)pos->offset);
	return step_done(s, stmt, "saving a source position", err);
}

/* Ends the transaction: COMMIT when rc is SL_OK, else ROLLBACK (unless
 * SQLite already rolled back, as it does on some errors such as a full
 * disk). Returns the final code. */
static int end_transaction(struct sqlite_store *s, int rc, sl_error *err)
{
	if (rc == SL_OK) {
		rc = exec_sql(s, s->db, "COMMIT", "committing", err);
		if (rc == SL_OK)
			return SL_OK;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	/* the groups added in the transaction are gone with it */
	groups_reset(s);
	s->nminutes = 0;
	return rc;
}

static int sqlite_write_batch(sl_store *st, const sl_event *evs, size_t n,
			      const sl_source_pos *pos, size_t npos, unsigned char *inserted,
			      sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	unsigned char is_new;
	sl_buf json;
	size_t i;
	int rc;

	sl_buf_init(&json);
	pthread_mutex_lock(&s->write_lock);
	if (inserted)
		memset(inserted, 0, n);
	rc = exec_sql(s, s->db, "BEGIN IMMEDIATE", "starting a write transaction", err);
	if (rc < 0)
		goto out;

	rc = load_max_keys(s, err);
	for (i = 0; i < n && rc == SL_OK; i++) {
		rc = insert_event(s, &evs[i], &json, &is_new, err);
		if (rc == SL_OK && inserted)
			inserted[i] = is_new;
	}
	for (i = 0; i < npos && rc == SL_OK; i++)
		rc = put_position(s, &pos[i], err);
	if (rc == SL_OK)
		rc = write_minutes(s, 1, err);

	rc = end_transaction(s, rc, err);
	if (rc < 0 && inserted)
		memset(inserted, 0, n);
out:
	pthread_mutex_unlock(&s->write_lock);
	sl_buf_free(&json);
	return rc;
}

static int sqlite_load_position(sl_store *st, const char *key, char **identity,
				uint64_t *offset, sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	sqlite3_stmt *stmt;
	const char *text;
	int rc;

	pthread_mutex_lock(&s->write_lock);
	stmt = stmt_start(s, ST_GET_POSITION);
	bind_text(stmt, 1, key ? key : "");
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(stmt, 0);
		*identity = sl_strdup(text ? text : "");
		*offset = (uint64_t)sqlite3_column_int64(stmt, 1);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = set_sqlite_error(err, s->db, rc, s->path, "loading a source position");
	}
	sqlite3_reset(stmt);
	pthread_mutex_unlock(&s->write_lock);
	return rc;
}

/* Deletes the FTS entry and the event_fields rows of one event, giving FTS5
 * back the text it was indexed with. Columns of sel: seq, message, service,
 * host, fields. */
static int delete_row(struct sqlite_store *s, sqlite3_stmt *sel, int64_t *seq, sl_error *err)
{
	sl_event fields;
	sqlite3_stmt *stmt;
	int64_t grp;
	char *extra;
	size_t i;
	int rc;

	sl_event_init(&fields);
	parse_fields((const char *)sqlite3_column_text(sel, 4), &fields);
	extra = build_extra((const char *)sqlite3_column_text(sel, 2),
			    (const char *)sqlite3_column_text(sel, 3), &fields);
	*seq = sqlite3_column_int64(sel, 0);
	rc = group_id(s, sqlite3_column_int(sel, 5), (const char *)sqlite3_column_text(sel, 2),
		      (const char *)sqlite3_column_text(sel, 3), &grp, err);
	if (rc < 0) {
		free(extra);
		sl_event_clear(&fields);
		return rc;
	}
	note_minute(s, grp, *seq);

	stmt = stmt_start(s, ST_DELETE_FTS);
	sqlite3_bind_int64(stmt, 1, *seq);
	bind_text(stmt, 2, (const char *)sqlite3_column_text(sel, 1));
	sqlite3_bind_text(stmt, 3, extra, -1, SQLITE_STATIC);
	rc = step_done(s, stmt, "removing an event from the index", err);
	for (i = 0; i < fields.nfields && rc == SL_OK; i++) {
		stmt = stmt_start(s, ST_DELETE_FIELD);
		sqlite3_bind_text(stmt, 1, fields.fields[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, *seq);
		rc = step_done(s, stmt, "removing an event's fields", err);
	}

	free(extra);
	sl_event_clear(&fields);
	return rc;
}

/* Deletes up to EXPIRE_CHUNK events received before cutoff in one
 * transaction, and sets *n to how many. */
static int expire_chunk(struct sqlite_store *s, int64_t cutoff, size_t *n, sl_error *err)
{
	int64_t *seqs = sl_malloc(EXPIRE_CHUNK * sizeof *seqs);
	sqlite3_stmt *sel, *del;
	size_t i;
	int rc, step = SQLITE_DONE;

	*n = 0;
	rc = exec_sql(s, s->db, "BEGIN IMMEDIATE", "starting an expire transaction", err);
	if (rc < 0)
		goto out;

	sel = stmt_start(s, ST_SELECT_EXPIRED);
	sqlite3_bind_int64(sel, 1, cutoff);
	sqlite3_bind_int(sel, 2, EXPIRE_CHUNK);
	while (rc == SL_OK && (step = sqlite3_step(sel)) == SQLITE_ROW)
		rc = delete_row(s, sel, &seqs[(*n)++], err);
	if (rc == SL_OK && step != SQLITE_DONE)
		rc = set_sqlite_error(err, s->db, step, s->path, "selecting expired events");
	sqlite3_reset(sel);

	/* rows are deleted after the SELECT ends, never under its cursor */
	for (i = 0; i < *n && rc == SL_OK; i++) {
		del = stmt_start(s, ST_DELETE_EVENT);
		sqlite3_bind_int64(del, 1, seqs[i]);
		rc = step_done(s, del, "deleting an expired event", err);
	}
	if (rc == SL_OK)
		rc = write_minutes(s, -1, err);
	rc = end_transaction(s, rc, err);
	if (rc < 0)
		*n = 0;
out:
	free(seqs);
	return rc;
}

static int sqlite_expire(sl_store *st, int64_t cutoff_recv_ms, uint64_t *deleted, sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	size_t n;
	int rc;

	*deleted = 0;
	pthread_mutex_lock(&s->write_lock);
	do {
		rc = expire_chunk(s, cutoff_recv_ms, &n, err);
		*deleted += n;
	} while (rc == SL_OK && n == EXPIRE_CHUNK);
	pthread_mutex_unlock(&s->write_lock);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

static const char *column_str(sqlite3_stmt *stmt, int i)
{
	const char *s = (const char *)sqlite3_column_text(stmt, i);

	return s ? s : "";
}

/* Fills ev (initialised) from a row of EVENT_COLUMNS. */
static void decode_row(sqlite3_stmt *stmt, sl_event *ev)
{
	int level = sqlite3_column_int(stmt, 3);

	snprintf(ev->id, sizeof ev->id, "%s", column_str(stmt, 0));
	ev->ts_ms = sqlite3_column_int64(stmt, 1);
	ev->recv_ms = sqlite3_column_int64(stmt, 2);
	ev->level = level >= 0 && level < SL_LEVEL_COUNT ? (sl_level)level : SL_LEVEL_UNKNOWN;
	ev->flags = (unsigned)sqlite3_column_int64(stmt, 4);
	ev->service = sl_strdup(column_str(stmt, 5));
	ev->host = sl_strdup(column_str(stmt, 6));
	ev->message = sl_strdup(column_str(stmt, 7));
	ev->raw = sl_strdup(column_str(stmt, 8));
	parse_fields(column_str(stmt, 9), ev);
}

/* Reads up to max rows of EVENT_COLUMNS into a new array. */
static int read_events(struct sqlite_store *s, sqlite3 *db, sqlite3_stmt *stmt, size_t max,
		       sl_event **out, size_t *nout, sl_error *err)
{
	sl_event *evs = sl_calloc(max ? max : 1, sizeof *evs);
	size_t n = 0;
	int rc = SQLITE_DONE;

	while (n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		sl_event_init(&evs[n]);
		decode_row(stmt, &evs[n]);
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		while (n)
			sl_event_clear(&evs[--n]);
		free(evs);
		return set_sqlite_error(err, db, rc, s->path, "reading events");
	}
	*out = evs;
	*nout = n;
	return SL_OK;
}

static void bind_params(sqlite3_stmt *stmt, int first, const sl_sql *sql)
{
	size_t i;

	for (i = 0; i < sql->nparams; i++) {
		int at = first + (int)i;

		if (sql->params[i].is_int)
			sqlite3_bind_int64(stmt, at, sql->params[i].i);
		else if (sql->params[i].is_real)
			sqlite3_bind_double(stmt, at, sql->params[i].d);
		else
			sqlite3_bind_text(stmt, at, sql->params[i].s, -1, SQLITE_STATIC);
	}
}

/* Returns 1 when req's window has a bound whose time key is not exact, so
 * the ts column must be checked as well as the seq range. */
static int window_needs_ts(const sl_search_req *req)
{
	return (req->from_ms != INT64_MIN && req->from_ms <= SL_SQL_KEY_TS_MIN) ||
	       (req->to_ms != INT64_MAX && req->to_ms >= SL_SQL_KEY_TS_MAX);
}

/* Sets the events.seq range of req's window and the query's time bounds. */
static void seq_range(const sl_search_req *req, const sl_sql *sql, int64_t *lo, int64_t *hi)
{
	*lo = sl_sql_time_key(req->from_ms, 0);
	*hi = sl_sql_time_key(req->to_ms, 1);
	if (sql->seq_lo > *lo)
		*lo = sql->seq_lo;
	if (sql->seq_hi < *hi)
		*hi = sql->seq_hi;
}

/* Returns 1 when the seq range covers every key. The search then leaves
 * the range out, because with it SQLite's planner prefers an index that
 * also constrains rowid over a covering one. */
static int seq_range_open(const sl_search_req *req, const sl_sql *sql)
{
	int64_t lo, hi;

	seq_range(req, sql, &lo, &hi);
	return lo == sl_sql_time_key(INT64_MIN, 0) && hi == sl_sql_time_key(INT64_MAX, 1);
}

/* Appends the FROM and WHERE clauses of a search. With full-text terms the
 * FTS5 index drives the join, newest match first, so a LIMIT stops the walk
 * early. With walk set and no such terms, the events are read newest first
 * by their key and tested one by one, whatever index could select them.
 * bind_search binds the values in the same order. */
static void put_from_where(sl_buf *b, const sl_search_req *req, const sl_sql *sql, int walk)
{
	if (sql->match.len)
		sl_buf_puts(b, " FROM events_fts CROSS JOIN events ON events.seq = events_fts.rowid"
			       " WHERE events_fts MATCH ?");
	else
		sl_buf_puts(b, walk ? " FROM events NOT INDEXED WHERE 1" : " FROM events WHERE 1");
	if (!seq_range_open(req, sql))
		sl_buf_puts(b, sql->match.len ? " AND events_fts.rowid BETWEEN ? AND ?"
					      : " AND events.seq BETWEEN ? AND ?");
	if (window_needs_ts(req))
		sl_buf_puts(b, " AND events.ts >= ? AND events.ts <= ?");
	sl_buf_printf(b, " AND (%s)", sql->where.data);
}

/* Binds the seq range at at and at + 1. */
static void bind_seq_range(sqlite3_stmt *stmt, int at, const sl_search_req *req,
			   const sl_sql *sql)
{
	int64_t lo, hi;

	seq_range(req, sql, &lo, &hi);
	sqlite3_bind_int64(stmt, at, lo);
	sqlite3_bind_int64(stmt, at + 1, hi);
}

/* Binds the values of put_from_where; returns the next parameter index. */
static int bind_search(sqlite3_stmt *stmt, const sl_search_req *req, const sl_sql *sql)
{
	int at = 1;

	if (sql->match.len)
		sqlite3_bind_text(stmt, at++, sql->match.data, -1, SQLITE_STATIC);
	if (!seq_range_open(req, sql)) {
		bind_seq_range(stmt, at, req, sql);
		at += 2;
	}
	if (window_needs_ts(req)) {
		sqlite3_bind_int64(stmt, at++, req->from_ms);
		sqlite3_bind_int64(stmt, at++, req->to_ms);
	}
	bind_params(stmt, at, sql);
	return at + (int)sql->nparams;
}

/* Prepares "prefix FROM ... WHERE window AND (query) suffix" with every
 * value bound except those of suffix; *next is the index of suffix's first
 * parameter. walk has the meaning it has in put_from_where. */
static int prepare_search(struct sqlite_store *s, sqlite3 *db, const char *prefix,
			  const sl_search_req *req, const sl_sql *sql, int walk, const char *suffix,
			  sqlite3_stmt **stmt, int *next, sl_error *err)
{
	sl_buf text;
	int rc;

	sl_buf_init(&text);
	sl_buf_puts(&text, prefix);
	put_from_where(&text, req, sql, walk);
	sl_buf_puts(&text, suffix);
	rc = sqlite3_prepare_v2(db, text.data, -1, stmt, NULL);
	sl_buf_free(&text);
	if (rc != SQLITE_OK && strstr(sqlite3_errmsg(db), "parser stack overflow")) {
		/* The query parser's depth limit keeps the queries we know of
		 * below SQLite's parser stack. A shape it misses is reported as
		 * a query error, not a server error. */
		sl_error_set(err, 0, "query is nested too deeply for the embedded store; "
			     "remove some parentheses or NOT operators");
		return SL_ERR_QUERY;
	}
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, db, rc, s->path, "preparing a search");
	*next = bind_search(*stmt, req, sql);
	return SL_OK;
}

/* Prepares the count of a query that needs no column of events: only
 * full-text terms, counted in the FTS5 index, or one extra-field test,
 * counted in event_fields. Every event has its rows there, so the count is
 * exact. Sets *stmt to NULL for any other query. */
static int prepare_index_count(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			       const sl_sql *sql, sqlite3_stmt **stmt, sl_error *err)
{
	static const char field_in[] = "seq IN ";
	sl_buf text;
	int rc, fts_only = sql->match.len && strcmp(sql->where.data, "1") == 0;

	*stmt = NULL;
	if (window_needs_ts(req) || !(fts_only || (!sql->match.len && sql->field_only)))
		return SL_OK;
	sl_buf_init(&text);
	if (fts_only)
		sl_buf_puts(&text, "SELECT COUNT(*) FROM events_fts WHERE events_fts MATCH ?"
				   " AND rowid BETWEEN ? AND ?");
	else /* where is "seq IN (SELECT seq FROM event_fields WHERE ...)"; the '+'
	      * keeps the planner on the value index, not the (key, seq) key */
		sl_buf_printf(&text, "SELECT COUNT(*) FROM %s WHERE +seq BETWEEN ? AND ?",
			      sql->where.data + strlen(field_in));
	rc = sqlite3_prepare_v2(db, text.data, -1, stmt, NULL);
	sl_buf_free(&text);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, db, rc, s->path, "preparing a count");
	if (fts_only) {
		sqlite3_bind_text(*stmt, 1, sql->match.data, -1, SQLITE_STATIC);
		bind_seq_range(*stmt, 2, req, sql);
	} else {
		bind_params(*stmt, 1, sql);
		bind_seq_range(*stmt, 1 + (int)sql->nparams, req, sql);
	}
	return SL_OK;
}

/* Adds to *total one count of a query on level, service and host: with
 * minutes set, the group_minutes rows of the minutes [lo, hi] whose group
 * matches, else the matching events with seq in [lo, hi]. */
static int count_span(struct sqlite_store *s, sqlite3 *db, const sl_sql *sql, int minutes,
		      int64_t lo, int64_t hi, uint64_t *total, sl_error *err)
{
	sqlite3_stmt *stmt = NULL;
	sl_buf text;
	int rc;

	sl_buf_init(&text);
	/* where names the columns of events; event_groups has the same three,
	 * and the alias resolves those written as events.service */
	if (minutes)
		sl_buf_printf(&text, "SELECT coalesce(sum(m.n), 0) FROM event_groups AS events"
			      " CROSS JOIN group_minutes AS m ON m.grp = events.id"
			      " WHERE (%s) AND m.minute BETWEEN ?%zu AND ?%zu",
			      sql->where.data, sql->nparams + 1, sql->nparams + 2);
	else /* the span is at most a minute, so the hint tells SQLite that the
	      * key range is narrow. Without it SQLite prefers the index range of
	      * a service prefix, which does not limit the span. */
		sl_buf_printf(&text, "SELECT COUNT(*) FROM events WHERE (%s)"
			      " AND likelihood(events.seq BETWEEN ?%zu AND ?%zu, 0.001)",
			      sql->where.data, sql->nparams + 1, sql->nparams + 2);
	rc = sqlite3_prepare_v2(db, text.data, -1, &stmt, NULL);
	sl_buf_free(&text);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, db, rc, s->path, "preparing a count");
	bind_params(stmt, 1, sql);
	sqlite3_bind_int64(stmt, (int)sql->nparams + 1, lo);
	sqlite3_bind_int64(stmt, (int)sql->nparams + 2, hi);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*total += (uint64_t)sqlite3_column_int64(stmt, 0);
		rc = SL_OK;
	} else {
		rc = set_sqlite_error(err, db, rc, s->path, "counting search results");
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Counts a query on level, service and host (sql->groups_only) into
 * *total: the whole minutes of the window from group_minutes, and the
 * events of the partial minutes at its ends one by one. */
static int count_by_minutes(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			    const sl_sql *sql, uint64_t *total, sl_error *err)
{
	int64_t lo, hi, first, last;
	int rc = SL_OK;

	*total = 0;
	seq_range(req, sql, &lo, &hi);
	if (lo > hi)
		return SL_OK;
	/* [first, last] are the minutes that lie wholly inside [lo, hi] */
	first = minute_of(lo) + (lo != minute_of(lo) * MINUTE_KEYS);
	last = minute_of(hi) - (hi != (minute_of(hi) + 1) * MINUTE_KEYS - 1);
	if (first > last)
		return count_span(s, db, sql, 0, lo, hi, total, err);
	rc = count_span(s, db, sql, 1, first, last, total, err);
	if (rc == SL_OK && lo < first * MINUTE_KEYS)
		rc = count_span(s, db, sql, 0, lo, first * MINUTE_KEYS - 1, total, err);
	if (rc == SL_OK && hi > (last + 1) * MINUTE_KEYS - 1)
		rc = count_span(s, db, sql, 0, (last + 1) * MINUTE_KEYS, hi, total, err);
	return rc;
}

/* Counts the events matching the query in req's window into *total. */
static int count_matches(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			 const sl_sql *sql, uint64_t *total, sl_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, next;

	if (sql->groups_only && !window_needs_ts(req))
		return count_by_minutes(s, db, req, sql, total, err);
	rc = prepare_index_count(s, db, req, sql, &stmt, err);
	if (rc < 0)
		goto out;
	if (!stmt) {
		rc = prepare_search(s, db, "SELECT COUNT(*)", req, sql, 0, "", &stmt, &next, err);
		if (rc < 0)
			goto out;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*total = (uint64_t)sqlite3_column_int64(stmt, 0);
		rc = SL_OK;
	} else {
		rc = set_sqlite_error(err, db, rc, s->path, "counting search results");
	}
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* Reads the events whose seq values are in seqs, in that order, into a new
 * array. An event deleted since its seq was read is left out. */
static int read_events_by_seq(struct sqlite_store *s, sqlite3 *db, const int64_t *seqs,
			      size_t nseqs, sl_event **out, size_t *nout, sl_error *err)
{
	sl_event *evs = sl_calloc(nseqs ? nseqs : 1, sizeof *evs);
	sqlite3_stmt *stmt = NULL;
	size_t i, n = 0;
	int rc = sqlite3_prepare_v2(db, "SELECT " EVENT_COLUMNS " FROM events WHERE seq = ?", -1,
				    &stmt, NULL);

	for (i = 0; rc == SQLITE_OK && i < nseqs; i++) {
		sqlite3_bind_int64(stmt, 1, seqs[i]);
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			sl_event_init(&evs[n]);
			decode_row(stmt, &evs[n++]);
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? sqlite3_reset(stmt) : rc;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_OK) {
		while (n)
			sl_event_clear(&evs[--n]);
		free(evs);
		return set_sqlite_error(err, db, rc, s->path, "reading events");
	}
	*out = evs;
	*nout = n;
	return SL_OK;
}

/* Finds the newest hits of a lone extra-field test by walking that field's
 * event_fields rows newest first, evaluating the test on each and stopping
 * at limit hits. When the field is common and the test matches often, this
 * reads a few thousand index rows, where the "seq IN (...)" plan collects
 * and orders every match. The walk gives up after reading cap rows, which
 * keeps a rare match from reading the whole field; *found is then 0 and
 * the caller runs the general plan. */
static int walk_field_hits(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			   const sl_sql *sql, size_t limit, uint64_t cap, sl_search_res *res,
			   int *found, sl_error *err)
{
	static const char field_in[] = "seq IN (SELECT seq FROM event_fields WHERE ";
	const char *test = sql->where.data + strlen(field_in);
	int64_t *seqs = sl_calloc(limit, sizeof *seqs);
	sqlite3_stmt *stmt = NULL;
	uint64_t read = 0;
	size_t nseqs = 0;
	sl_buf text;
	int rc;

	*found = 0;
	/* test is "key = ? AND ...)": ?1 is the field name, and the range's
	 * two values follow the test's own */
	sl_buf_init(&text);
	sl_buf_printf(&text, "SELECT seq, (%s FROM event_fields WHERE key = ?1"
		      " AND seq BETWEEN ?%zu AND ?%zu ORDER BY seq DESC",
		      test, sql->nparams + 1, sql->nparams + 2);
	rc = sqlite3_prepare_v2(db, text.data, -1, &stmt, NULL);
	sl_buf_free(&text);
	if (rc != SQLITE_OK) {
		free(seqs);
		return set_sqlite_error(err, db, rc, s->path, "preparing a search");
	}
	bind_params(stmt, 1, sql);
	bind_seq_range(stmt, 1 + (int)sql->nparams, req, sql);
	while (nseqs < limit && read < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		read++;
		if (sqlite3_column_int(stmt, 1))
			seqs[nseqs++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(seqs);
		return set_sqlite_error(err, db, rc, s->path, "searching events");
	}
	/* every match newer than the oldest row read was seen, so the walk is
	 * complete when it has limit hits or has read every row of the field */
	if (nseqs == limit || rc == SQLITE_DONE) {
		*found = 1;
		rc = read_events_by_seq(s, db, seqs, nseqs, &res->hits, &res->nhits, err);
	} else {
		rc = SL_OK;
	}
	free(seqs);
	return rc;
}

/* Sets *walk when the newest limit of total matches of a query on level,
 * service and host are found sooner by reading events newest first than
 * through an index. An index on a prefix or on several values yields the
 * matches out of time order, and all of them are then sorted. The walk
 * reads about limit * events / total rows, with the events of the window
 * counted from group_minutes. Like walk_field_hits, it may read four rows
 * per match. */
static int walk_is_short(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			 const sl_sql *sql, size_t limit, uint64_t total, int *walk, sl_error *err)
{
	sl_sql all = *sql;
	uint64_t events = 0;
	int rc;

	*walk = 0;
	if (!sql->groups_only || window_needs_ts(req) || total < limit)
		return SL_OK;
	sl_buf_init(&all.where);
	sl_buf_puts(&all.where, "1");
	all.params = NULL;
	all.nparams = 0;
	rc = count_by_minutes(s, db, req, &all, &events, err);
	sl_buf_free(&all.where);
	*walk = rc == SL_OK && (double)limit * (double)events <= 4.0 * (double)total * (double)total;
	return rc;
}

static int run_search(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
		      const sl_sql *sql, sl_search_res *res, sl_error *err)
{
	size_t limit = req->limit < SEARCH_LIMIT_MAX ? req->limit : SEARCH_LIMIT_MAX;
	sqlite3_stmt *stmt = NULL;
	int rc, next, found = 0, walk = 0;

	rc = count_matches(s, db, req, sql, &res->total, err);
	if (rc < 0 || limit == 0 || res->total == 0)
		return rc;
	/* The general plan costs about as much per match as the walk does per
	 * four rows read, so the walk may read four rows per match. */
	if (sql->field_only && !sql->match.len && !window_needs_ts(req) && res->total >= limit) {
		rc = walk_field_hits(s, db, req, sql, limit, 4 * res->total, res, &found, err);
		if (rc < 0 || found)
			return rc;
	}

	rc = walk_is_short(s, db, req, sql, limit, res->total, &walk, err);
	if (rc < 0)
		return rc;

	/* seq order is time order, then arrival order (see the file comment) */
	rc = prepare_search(s, db, "SELECT " EVENT_COLUMNS, req, sql, walk,
			    sql->match.len ? " ORDER BY events_fts.rowid DESC LIMIT ?"
					   : " ORDER BY events.seq DESC LIMIT ?",
			    &stmt, &next, err);
	if (rc < 0)
		goto out;
	sqlite3_bind_int64(stmt, next, (sqlite3_int64)limit);
	rc = read_events(s, db, stmt, limit, &res->hits, &res->nhits, err);
out:
	sqlite3_finalize(stmt);
	return rc;
}

static int sqlite_search(sl_store *st, const sl_search_req *req, sl_search_res *res,
			 sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	int64_t start = sl_mono_ms();
	sl_query *q = NULL;
	sqlite3 *db = NULL;
	sl_sql sql;
	int rc = SL_ERR_QUERY;

	memset(res, 0, sizeof *res);
	memset(&sql, 0, sizeof sql);
	q = sl_query_parse(req->query, req->now_ms, err);
	if (!q || sl_query_to_sql_indexed(q, &sql, err) < 0)
		goto out;
	if (q->agg.kind != SL_AGG_NONE) {
		sl_error_set(err, q->agg_column, "column %d: '|' starts an aggregation, which a "
			     "search for events does not run", q->agg_column);
		goto out;
	}
	db = reader_get(s, err);
	rc = SL_ERR;
	if (!db)
		goto out;

	rc = run_search(s, db, req, &sql, res, err);
	reader_put(s, db);
out:
	sl_sql_free(&sql);
	sl_query_free(q);
	res->took_ms = sl_mono_ms() - start;
	return rc;
}

/* Appends the SQL of an aggregation's group key over the CTE m: a level
 * name, a service or host compared byte by byte (as Elasticsearch's
 * keyword terms are), or an extra field's value with its path bound. */
static void agg_key_sql(sl_buf *b, const sl_agg_req *agg)
{
	int i;

	if (!agg->field[0]) {
		sl_buf_puts(b, "NULL");
	} else if (strcmp(agg->field, "level") == 0) {
		sl_buf_puts(b, "CASE level");
		for (i = 0; i < SL_LEVEL_COUNT; i++)
			sl_buf_printf(b, " WHEN %d THEN '%s'", i, sl_level_name((sl_level)i));
		sl_buf_puts(b, " END");
	} else if (strcmp(agg->field, "service") == 0 || strcmp(agg->field, "host") == 0) {
		sl_buf_printf(b, "%s COLLATE BINARY", agg->field);
	} else {
		sl_buf_puts(b, "json_extract(fields, ?)");
	}
}

/* Prepares the GROUP BY statement of a count by, top or timechart, with
 * every value bound. Events without the field (or with it empty) are in no
 * group. */
static int prepare_groups(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			  const sl_sql *sql, const sl_agg_req *agg, sqlite3_stmt **stmt,
			  sl_error *err)
{
	int timechart = agg->kind == SL_AGG_TIMECHART, at, rc;
	int extra = agg->field[0] && strcmp(agg->field, "level") != 0 &&
		    strcmp(agg->field, "service") != 0 && strcmp(agg->field, "host") != 0;
	sl_buf tail, path;

	sl_buf_init(&tail);
	sl_buf_printf(&tail, ") SELECT b, k, COUNT(*) AS c FROM (SELECT %s AS b, ",
		      timechart ? "ts - ((ts % ?) + ?) % ?" : "0");
	agg_key_sql(&tail, agg);
	sl_buf_printf(&tail, " AS k FROM m)%s GROUP BY b, k ORDER BY b, c DESC, k LIMIT ?",
		      agg->field[0] ? " WHERE k IS NOT NULL AND k <> ''" : "");
	rc = prepare_search(s, db, "WITH m AS (SELECT ts, level, service, host, fields", req, sql, 0,
			    tail.data, stmt, &at, err);
	sl_buf_free(&tail);
	if (rc < 0)
		return rc;

	if (timechart) {
		for (rc = 0; rc < 3; rc++)
			sqlite3_bind_int64(*stmt, at++, agg->span_ms);
	}
	if (extra) {
		sl_buf_init(&path);
		sl_buf_printf(&path, "$.\"%s\"", agg->field);
		sqlite3_bind_text(*stmt, at++, path.data, -1, SQLITE_TRANSIENT);
		sl_buf_free(&path);
	}
	sqlite3_bind_int64(*stmt, at, agg->kind == SL_AGG_TOP ? (sqlite3_int64)agg->n
							      : SL_AGG_ROWS_MAX + 1);
	return SL_OK;
}

/* Prepares the groups of a count by or top on level, service or host when
 * the query is one numeric extra-field test. The value index of
 * event_fields contains the group id beside the number, so the matches are
 * counted per id in that index and the ids then read in event_groups, with
 * no lookup in events. Sets *stmt to NULL for any other aggregation. */
static int prepare_index_groups(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
				const sl_sql *sql, const sl_agg_req *agg, sqlite3_stmt **stmt,
				sl_error *err)
{
	static const char field_in[] = "seq IN (SELECT seq";
	sl_buf text;
	int rc;

	*stmt = NULL;
	if (window_needs_ts(req) || sql->match.len || !sql->field_num ||
	    (agg->kind != SL_AGG_COUNT_BY && agg->kind != SL_AGG_TOP) ||
	    (strcmp(agg->field, "level") != 0 && strcmp(agg->field, "service") != 0 &&
	     strcmp(agg->field, "host") != 0))
		return SL_OK;
	/* where is "seq IN (SELECT seq FROM event_fields WHERE key = ? AND
	 * num ...)"; its FROM and WHERE become those of the innermost SELECT */
	sl_buf_init(&text);
	sl_buf_puts(&text, "SELECT 0 AS b, k, SUM(n) AS c FROM (SELECT ");
	agg_key_sql(&text, agg);
	sl_buf_printf(&text, " AS k, n FROM (SELECT grp, COUNT(*) AS n FROM (SELECT seq, grp%s"
		      " WHERE +seq BETWEEN ? AND ? GROUP BY grp) AS f"
		      " JOIN event_groups AS g ON g.id = f.grp)"
		      " WHERE k IS NOT NULL AND k <> '' GROUP BY k ORDER BY c DESC, k LIMIT ?",
		      sql->where.data + strlen(field_in));
	rc = sqlite3_prepare_v2(db, text.data, -1, stmt, NULL);
	sl_buf_free(&text);
	if (rc != SQLITE_OK)
		return set_sqlite_error(err, db, rc, s->path, "preparing an aggregation");
	bind_params(*stmt, 1, sql);
	bind_seq_range(*stmt, 1 + (int)sql->nparams, req, sql);
	sqlite3_bind_int64(*stmt, 3 + (int)sql->nparams,
			   agg->kind == SL_AGG_TOP ? (sqlite3_int64)agg->n : SL_AGG_ROWS_MAX + 1);
	return SL_OK;
}

/* Reads the rows of prepare_groups into res. More than SL_AGG_ROWS_MAX
 * rows is SL_ERR_QUERY. */
static int read_groups(struct sqlite_store *s, sqlite3 *db, sqlite3_stmt *stmt,
		       int agg_column, sl_agg_res *res, sl_error *err)
{
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		sl_agg_row *row;

		if (res->nrows == SL_AGG_ROWS_MAX) {
			sl_error_set(err, agg_column, "column %d: the aggregation has more than %d "
				     "rows; use top N, a wider span or a narrower query",
				     agg_column, SL_AGG_ROWS_MAX);
			return SL_ERR_QUERY;
		}
		if (res->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			res->rows = sl_realloc(res->rows, cap * sizeof *res->rows);
		}
		row = &res->rows[res->nrows++];
		row->time_ms = sqlite3_column_int64(stmt, 0);
		row->key = sqlite3_column_type(stmt, 1) == SQLITE_NULL
				   ? NULL
				   : sl_strdup(column_str(stmt, 1));
		row->count = (uint64_t)sqlite3_column_int64(stmt, 2);
	}
	if (rc != SQLITE_DONE)
		return set_sqlite_error(err, db, rc, s->path, "aggregating events");
	sl_agg_rows_sort(res->rows, res->nrows);
	return SL_OK;
}

static int run_aggregate(struct sqlite_store *s, sqlite3 *db, const sl_search_req *req,
			 const sl_sql *sql, const sl_query *q, sl_agg_res *res, sl_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = count_matches(s, db, req, sql, &res->total, err);
	if (rc < 0)
		return rc;
	if (q->agg.kind == SL_AGG_COUNT) {
		res->rows = sl_calloc(1, sizeof *res->rows);
		res->rows[0].count = res->total;
		res->nrows = 1;
		return SL_OK;
	}
	rc = prepare_index_groups(s, db, req, sql, &q->agg, &stmt, err);
	if (rc == SL_OK && !stmt)
		rc = prepare_groups(s, db, req, sql, &q->agg, &stmt, err);
	if (rc == SL_OK)
		rc = read_groups(s, db, stmt, q->agg_column, res, err);
	sqlite3_finalize(stmt);
	return rc;
}

static int sqlite_aggregate(sl_store *st, const sl_search_req *req, sl_agg_res *res,
			    sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	int64_t start = sl_mono_ms();
	sl_query *q = NULL;
	sqlite3 *db = NULL;
	sl_sql sql;
	int rc = SL_ERR_QUERY;

	memset(res, 0, sizeof *res);
	memset(&sql, 0, sizeof sql);
	q = sl_query_parse(req->query, req->now_ms, err);
	if (!q || sl_query_to_sql_indexed(q, &sql, err) < 0)
		goto out;
	if (q->agg.kind == SL_AGG_NONE) {
		sl_error_set(err, 1, "column 1: expected '| count', '| count by FIELD', "
			     "'| top N FIELD' or '| timechart SPAN' after the query");
		goto out;
	}
	res->req = q->agg;
	db = reader_get(s, err);
	rc = SL_ERR;
	if (!db)
		goto out;

	rc = run_aggregate(s, db, req, &sql, q, res, err);
	reader_put(s, db);
	if (rc < 0)
		sl_agg_res_free(res);
out:
	sl_sql_free(&sql);
	sl_query_free(q);
	res->took_ms = sl_mono_ms() - start;
	return rc;
}

static int sqlite_latest(sl_store *st, size_t n, sl_event **out, size_t *nout, sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db;
	int rc;

	*out = NULL;
	*nout = 0;
	if (n > SEARCH_LIMIT_MAX)
		n = SEARCH_LIMIT_MAX;
	db = reader_get(s, err);
	if (!db)
		return SL_ERR;
	rc = sqlite3_prepare_v2(db, "SELECT " EVENT_COLUMNS " FROM events ORDER BY arr DESC LIMIT ?",
				-1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		rc = set_sqlite_error(err, db, rc, s->path, "preparing the latest events");
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)n);
	rc = read_events(s, db, stmt, n, out, nout, err);
out:
	sqlite3_finalize(stmt);
	reader_put(s, db);
	return rc;
}

/* Groups rows of (minute, level, count), ordered by minute, into one
 * callback per minute. */
static int emit_minutes(sqlite3_stmt *stmt, void (*cb)(void *ud, const sl_minute_counts *mc),
			void *ud)
{
	sl_minute_counts mc;
	int have = 0, rc, level;

	memset(&mc, 0, sizeof mc);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t minute = sqlite3_column_int64(stmt, 0);

		if (have && minute != mc.minute) {
			cb(ud, &mc);
			memset(&mc, 0, sizeof mc);
		}
		have = 1;
		mc.minute = minute;
		level = sqlite3_column_int(stmt, 1);
		if (level < 0 || level >= SL_LEVEL_COUNT)
			level = SL_LEVEL_UNKNOWN;
		mc.counts[level] += (uint32_t)sqlite3_column_int64(stmt, 2);
	}
	if (have)
		cb(ud, &mc);
	return rc;
}

static int sqlite_minute_counts(sl_store *st, int64_t since_recv_ms,
				void (*cb)(void *ud, const sl_minute_counts *mc), void *ud,
				sl_error *err)
{
	/* the minute is floored, also for times before 1970 */
	static const char sql[] =
		"SELECT ts - ((ts % 60000) + 60000) % 60000 AS minute, level, COUNT(*)"
		" FROM events WHERE recv >= ? GROUP BY minute, level ORDER BY minute";
	/* every event, from the rows per group and minute of its time key: a
	 * clamped timestamp counts in the minute of the clamp */
	static const char all_sql[] =
		"SELECT m.minute * 60000 AS minute, g.level, sum(m.n) FROM group_minutes AS m"
		" JOIN event_groups AS g ON g.id = m.grp GROUP BY m.minute, g.level ORDER BY m.minute";
	struct sqlite_store *s = impl_of(st);
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = reader_get(s, err);
	int rc;

	if (!db)
		return SL_ERR;
	rc = sqlite3_prepare_v2(db, since_recv_ms == INT64_MIN ? all_sql : sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		if (since_recv_ms != INT64_MIN)
			sqlite3_bind_int64(stmt, 1, since_recv_ms);
		rc = emit_minutes(stmt, cb, ud);
	}
	rc = rc == SQLITE_DONE ? SL_OK
			       : set_sqlite_error(err, db, rc, s->path, "counting events by minute");
	sqlite3_finalize(stmt);
	reader_put(s, db);
	return rc;
}

static int sqlite_count(sl_store *st, uint64_t *total, sl_error *err)
{
	struct sqlite_store *s = impl_of(st);
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = reader_get(s, err);
	int rc;

	*total = 0;
	if (!db)
		return SL_ERR;
	/* every event is counted once in group_minutes, which has a row per
	 * group and minute instead of one per event */
	rc = sqlite3_prepare_v2(db, "SELECT coalesce(sum(n), 0) FROM group_minutes", -1, &stmt,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*total = (uint64_t)sqlite3_column_int64(stmt, 0);
		rc = SL_OK;
	} else {
		rc = set_sqlite_error(err, db, rc, s->path, "counting events");
	}
	sqlite3_finalize(stmt);
	reader_put(s, db);
	return rc;
}

/* --- lifetime ------------------------------------------------------------- */

static void store_free(struct sqlite_store *s)
{
	size_t i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	groups_reset(s);
	sl_buf_free(&s->group_scratch);
	free(s->minutes);
	for (i = 0; i < s->nidle; i++)
		sqlite3_close(s->idle[i]);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->pool_lock);
	free(s->dir);
	free(s->path);
	free(s);
}

static void sqlite_close(sl_store *st)
{
	if (!st)
		return;
	store_free(impl_of(st));
	free(st->description);
	free(st);
}

static const sl_store_ops sqlite_ops = {
	.name = "sqlite",
	.write_batch = sqlite_write_batch,
	.load_position = sqlite_load_position,
	.search = sqlite_search,
	.aggregate = sqlite_aggregate,
	.latest = sqlite_latest,
	.minute_counts = sqlite_minute_counts,
	.expire = sqlite_expire,
	.count = sqlite_count,
	.close = sqlite_close,
};

sl_store *sl_sqlite_open(const char *dir, sl_error *err)
{
	struct sqlite_store *s;
	sl_store *st;
	sl_buf path;

	if (!dir || !*dir) {
		sl_error_set(err, 0, "no data directory given for the SQLite store");
		return NULL;
	}
	/* SQLite's allocation statistics take a global mutex around every
	 * malloc, and nothing here reads them. This only works before SQLite's
	 * first use in the process and returns SQLITE_MISUSE after, which is
	 * harmless. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (make_dirs(dir, err) < 0)
		return NULL;

	s = sl_calloc(1, sizeof *s);
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	s->dir = sl_strdup(dir);
	sl_buf_init(&path);
	sl_buf_printf(&path, "%s/events.db", dir);
	s->path = sl_buf_steal(&path);
	if (open_writer(s, err) < 0) {
		store_free(s);
		return NULL;
	}

	st = sl_calloc(1, sizeof *st);
	st->ops = &sqlite_ops;
	st->impl = s;
	sl_buf_init(&path);
	sl_buf_printf(&path, "sqlite %s", dir);
	st->description = sl_buf_steal(&path);
	return st;
}

void sl_search_res_free(sl_search_res *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->nhits; i++)
		sl_event_clear(&res->hits[i]);
	free(res->hits);
	memset(res, 0, sizeof *res);
}
