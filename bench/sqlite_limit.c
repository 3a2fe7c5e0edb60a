/* sqlite_limit.c: the embedded store's ceiling. Loads the rows that a
 * StreamLens run stored (already decoded, so no parsing is timed), then
 * inserts them into a new database with the same schema, pragmas,
 * statements and batch size as src/store_sqlite.c (events with their
 * time-ordered seq, the FTS5 row and the event_fields rows with their
 * event group ids), and prints events/s. The event_groups rows, a few
 * hundred, are copied from the source in one statement first.
 *
 * Usage: sqlite_limit SOURCE_DB SCHEMA_SQL OUT_DB [BATCH [--runs-from-stdin]]
 * SCHEMA_SQL is `sqlite3 SOURCE_DB .schema` without the FTS5 shadow tables,
 * which FTS5 creates itself. BATCH defaults to 2000, the pipeline's default.
 * With --runs-from-stdin it loads the rows once, prints "loaded N", and then
 * runs once for each line read from stdin, into a new OUT_DB each time, so
 * a caller can alternate its runs with others without loading again. */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COLUMNS 13

/* One extra field's event_fields row. */
struct field {
	char *key;
	char *num; /* NULL when the value is not a number */
	char *grp; /* event_groups id, NULL when num is */
};

/* One stored event: id, ts, recv, level, service, host, message, fields,
 * raw, flags, seq and arr as text or NULL, the FTS `extra` text built the
 * same way as the store builds it (service, host and field values joined by
 * spaces), and its event_fields rows. */
struct row {
	char *col[COLUMNS];
	struct field *fields;
	size_t nfields;
};

static const char load_sql[] =
	"SELECT id, ts, recv, level, service, host, message, fields, raw, flags,"
	" trim(coalesce(service, '') || ' ' || coalesce(host, '') || ' ' ||"
	" coalesce((SELECT group_concat(value, ' ') FROM json_each(events.fields)), '')),"
	" seq, arr FROM events ORDER BY seq";
static const char load_fields_sql[] = "SELECT seq, key, num, grp FROM event_fields ORDER BY seq";

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite_limit: %s failed: %s\n", what, db ? sqlite3_errmsg(db) : "");
	exit(1);
}

static char *dup_or_null(const unsigned char *text)
{
	return text ? strdup((const char *)text) : NULL;
}

/* Attaches the event_fields rows to rows, which are sorted by seq. */
static void load_fields(sqlite3 *db, struct row *rows, size_t n)
{
	sqlite3_stmt *stmt;
	struct row *r;
	size_t at = 0;
	long long seq;

	if (sqlite3_prepare_v2(db, load_fields_sql, -1, &stmt, NULL) != SQLITE_OK)
		die(db, "preparing the field query");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		seq = sqlite3_column_int64(stmt, 0);
		while (at < n && strtoll(rows[at].col[11], NULL, 10) < seq)
			at++;
		if (at == n)
			break;
		r = &rows[at];
		r->fields = realloc(r->fields, (r->nfields + 1) * sizeof *r->fields);
		if (!r->fields)
			die(NULL, "allocating fields");
		r->fields[r->nfields].key = dup_or_null(sqlite3_column_text(stmt, 1));
		r->fields[r->nfields].num = dup_or_null(sqlite3_column_text(stmt, 2));
		r->fields[r->nfields].grp = dup_or_null(sqlite3_column_text(stmt, 3));
		r->nfields++;
	}
	sqlite3_finalize(stmt);
}

/* Orders rows by arr, the order StreamLens stored them in. */
static int by_arrival(const void *a, const void *b)
{
	long long x = strtoll(((const struct row *)a)->col[12], NULL, 10);
	long long y = strtoll(((const struct row *)b)->col[12], NULL, 10);

	return (x > y) - (x < y);
}

/* Reads every event of path into a new array. Sets *count. */
static struct row *load_rows(const char *path, size_t *count)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	int i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(db, "opening the source database");
	if (sqlite3_prepare_v2(db, load_sql, -1, &stmt, NULL) != SQLITE_OK)
		die(db, "preparing the load query");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			rows = realloc(rows, cap * sizeof *rows);
			if (!rows)
				die(NULL, "allocating rows");
		}
		for (i = 0; i < COLUMNS; i++)
			rows[n].col[i] = dup_or_null(sqlite3_column_text(stmt, i));
		rows[n].fields = NULL;
		rows[n].nfields = 0;
		n++;
	}
	sqlite3_finalize(stmt);
	load_fields(db, rows, n);
	sqlite3_close(db);
	qsort(rows, n, sizeof *rows, by_arrival);
	*count = n;
	return rows;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long len;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0)
		die(NULL, "reading the schema file");
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len)
		die(NULL, "reading the schema file");
	fclose(f);
	return text;
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, i);
}

static void step(sqlite3 *db, sqlite3_stmt *stmt, const char *what)
{
	if (sqlite3_step(stmt) != SQLITE_DONE)
		die(db, what);
	sqlite3_reset(stmt);
}

/* Copies the event_groups rows of the source database into db. */
static void copy_groups(sqlite3 *db, const char *source_path)
{
	sqlite3_stmt *attach;

	if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS src", -1, &attach, NULL) != SQLITE_OK)
		die(db, "preparing ATTACH");
	sqlite3_bind_text(attach, 1, source_path, -1, SQLITE_STATIC);
	if (sqlite3_step(attach) != SQLITE_DONE)
		die(db, "attaching the source database");
	sqlite3_finalize(attach);
	if (sqlite3_exec(db,
			 "INSERT INTO event_groups(id, level, service, host)"
			 " SELECT id, level, service, host FROM src.event_groups;"
			 " DETACH DATABASE src",
			 NULL, NULL, NULL) != SQLITE_OK)
		die(db, "copying the event groups");
}

/* The prepared statements of store_rows. */
struct stmts {
	sqlite3_stmt *ins, *fts, *field, *pos;
};

/* Inserts one event, its FTS row and its event_fields rows, as
 * insert_event() in the store does. The seq comes from the source, so the
 * key lookups the store may make for out-of-order timestamps are left out. */
static void insert_row(sqlite3 *db, const struct stmts *st, const struct row *r)
{
	long long seq = strtoll(r->col[11], NULL, 10);
	size_t f;
	int i;

	sqlite3_clear_bindings(st->ins);
	bind_text(st->ins, 1, r->col[0]);
	for (i = 1; i <= 3; i++)
		sqlite3_bind_int64(st->ins, i + 1, strtoll(r->col[i], NULL, 10));
	for (i = 4; i <= 8; i++)
		bind_text(st->ins, i + 1, r->col[i]);
	sqlite3_bind_int64(st->ins, 10, r->col[9] ? strtoll(r->col[9], NULL, 10) : 0);
	sqlite3_bind_int64(st->ins, 11, seq);
	sqlite3_bind_int64(st->ins, 12, strtoll(r->col[12], NULL, 10));
	step(db, st->ins, "inserting an event");
	if (sqlite3_changes(db) != 1)
		return;

	sqlite3_clear_bindings(st->fts);
	sqlite3_bind_int64(st->fts, 1, seq);
	bind_text(st->fts, 2, r->col[6]);
	bind_text(st->fts, 3, r->col[10]);
	step(db, st->fts, "indexing an event");
	for (f = 0; f < r->nfields; f++) {
		sqlite3_clear_bindings(st->field);
		bind_text(st->field, 1, r->fields[f].key);
		sqlite3_bind_int64(st->field, 2, seq);
		if (r->fields[f].num) {
			sqlite3_bind_double(st->field, 3, strtod(r->fields[f].num, NULL));
			if (r->fields[f].grp)
				sqlite3_bind_int64(st->field, 4, strtoll(r->fields[f].grp, NULL, 10));
		}
		step(db, st->field, "indexing a field");
	}
}

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens out_path, creates the schema and stores every row in transactions of
 * batch rows, the part of the work that is timed. Exits on any failure. */
void store_rows(const char *source_path, const char *out_path, const char *schema,
		const struct row *rows, size_t n, size_t batch);
void store_rows(const char *source_path, const char *out_path, const char *schema,
		const struct row *rows, size_t n, size_t batch)
{
	sqlite3 *db;
	struct stmts st;
	size_t i;

	if (sqlite3_open_v2(out_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		die(db, "opening the output database");
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF",
			 NULL, NULL, NULL) != SQLITE_OK)
		die(db, "setting the pragmas");
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		die(db, "creating the schema");
	copy_groups(db, source_path);
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO events(id, ts, recv, level, service, host,"
			       " message, fields, raw, flags, seq, arr)"
			       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
			       -1, SQLITE_PREPARE_PERSISTENT, &st.ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "INSERT INTO events_fts(rowid, message, extra) VALUES(?, ?, ?)",
			       -1, SQLITE_PREPARE_PERSISTENT, &st.fts, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "INSERT INTO event_fields(key, seq, num, grp) VALUES(?, ?, ?, ?)", -1,
			       SQLITE_PREPARE_PERSISTENT, &st.field, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db,
			       "INSERT INTO positions(key, identity, offset) VALUES(?, ?, ?)"
			       " ON CONFLICT(key) DO UPDATE SET identity = excluded.identity,"
			       " offset = excluded.offset",
			       -1, SQLITE_PREPARE_PERSISTENT, &st.pos, NULL) != SQLITE_OK)
		die(db, "preparing the statements");

	for (i = 0; i < n; i++) {
		if (i % batch == 0 && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
			die(db, "BEGIN");
		insert_row(db, &st, &rows[i]);
		if (i % batch == batch - 1 || i == n - 1) {
			sqlite3_bind_text(st.pos, 1, "bench", -1, SQLITE_STATIC);
			sqlite3_bind_text(st.pos, 2, "bench", -1, SQLITE_STATIC);
			sqlite3_bind_int64(st.pos, 3, (sqlite3_int64)i);
			step(db, st.pos, "saving the position");
			if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				die(db, "COMMIT");
		}
	}
	sqlite3_finalize(st.ins);
	sqlite3_finalize(st.fts);
	sqlite3_finalize(st.field);
	sqlite3_finalize(st.pos);
	sqlite3_close(db);
}

/* Removes the database at path and its -wal, -shm and -journal files. */
static void remove_db(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char name[4096];
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
		unlink(name);
	}
}

/* Stores the rows into a new database at out_path and prints the timings. */
static void run_once(const char *source, const char *out_path, const char *schema,
		     const struct row *rows, size_t n, size_t batch)
{
	double start, start_cpu, secs, cpu_secs;

	remove_db(out_path);
	start = clock_s(CLOCK_MONOTONIC);
	start_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	store_rows(source, out_path, schema, rows, n, batch);
	secs = clock_s(CLOCK_MONOTONIC) - start;
	cpu_secs = clock_s(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;
	printf("events %zu seconds %.3f events_per_s %.0f cpu_seconds %.3f\n", n, secs,
	       (double)n / secs, cpu_secs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct row *rows;
	size_t n, batch;
	char *schema, line[64];
	int serve;

	serve = argc == 6 && strcmp(argv[5], "--runs-from-stdin") == 0;
	if (argc < 4 || (argc > 5 && !serve)) {
		fprintf(stderr, "usage: sqlite_limit SOURCE_DB SCHEMA_SQL OUT_DB [BATCH [--runs-from-stdin]]\n");
		return 2;
	}
	batch = argc > 4 ? strtoul(argv[4], NULL, 10) : 2000;
	if (batch == 0)
		batch = 2000;
	rows = load_rows(argv[1], &n);
	schema = read_file(argv[2]);
	if (!serve) {
		run_once(argv[1], argv[3], schema, rows, n, batch);
		return 0;
	}
	printf("loaded %zu\n", n);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin))
		run_once(argv[1], argv[3], schema, rows, n, batch);
	remove_db(argv[3]);
	return 0;
}
