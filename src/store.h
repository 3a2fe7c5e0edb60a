/* store.h: the search store interface. The embedded store is SQLite with
 * FTS5; other engines implement the same table of callbacks, so the TUI and
 * the HTTP layer never know which one runs. */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Return codes shared by the store calls. */
#define SL_OK 0
#define SL_ERR -1       /* the store failed; message in err */
#define SL_ERR_QUERY -2 /* the query is invalid; message and column in err */
#define SL_ERR_FULL -3  /* out of disk space; retry later */

#define SL_ERRMSG_MAX 256

typedef struct sl_error {
	char message[SL_ERRMSG_MAX];
	int column; /* 1-based query column for SL_ERR_QUERY, else 0 */
} sl_error;

/* A source's read position, saved in the same transaction as the events it
 * covers, so a restart resumes exactly after the last stored record. */
typedef struct sl_source_pos {
	char *key;      /* source identity, e.g. "file:/var/log/syslog" */
	char *identity; /* e.g. "dev:ino" of the file, to detect replacement */
	uint64_t offset;
} sl_source_pos;

typedef struct sl_search_req {
	const char *query; /* query language text; "" matches everything */
	int64_t from_ms;   /* INT64_MIN when open */
	int64_t to_ms;     /* INT64_MAX when open; inclusive */
	size_t limit;      /* hits to return, newest first */
	int64_t now_ms;    /* reference for relative times such as since:15m */
} sl_search_req;

typedef struct sl_search_res {
	uint64_t total; /* exact number of matching events */
	sl_event *hits; /* newest first (timestamp, then arrival order) */
	size_t nhits;
	int64_t took_ms;
} sl_search_res;

void sl_search_res_free(sl_search_res *res);

/* Aggregations, asked for by a '|' after the query (see query.h). */
typedef enum sl_agg_kind {
	SL_AGG_NONE,
	SL_AGG_COUNT,     /* "| count": one row, the number of matches */
	SL_AGG_COUNT_BY,  /* "| count by F": a row per value of F */
	SL_AGG_TOP,       /* "| top N F": the N most frequent values of F */
	SL_AGG_TIMECHART  /* "| timechart SPAN [by F]": a row per bucket (and value) */
} sl_agg_kind;

#define SL_AGG_FIELD_MAX 128
/* Rows an aggregation returns at most; "count by" with more distinct values
 * and a timechart with more buckets fail with SL_ERR_QUERY. */
#define SL_AGG_ROWS_MAX 10000

typedef struct sl_agg_req {
	sl_agg_kind kind;
	char field[SL_AGG_FIELD_MAX]; /* grouping field, "" when none */
	size_t n;                     /* SL_AGG_TOP: rows wanted */
	int64_t span_ms;              /* SL_AGG_TIMECHART: bucket width */
} sl_agg_req;

/* One row. Rows come ordered by time (timechart), then by count, highest
 * first, then by key in byte order. */
typedef struct sl_agg_row {
	char *key;       /* value of the field; NULL without a field */
	int64_t time_ms; /* timechart: bucket start, UTC ms floored to span_ms */
	uint64_t count;
} sl_agg_row;

typedef struct sl_agg_res {
	sl_agg_req req; /* the aggregation that ran */
	uint64_t total; /* exact number of matching events */
	sl_agg_row *rows;
	size_t nrows;
	int64_t took_ms;
} sl_agg_res;

void sl_agg_res_free(sl_agg_res *res);
/* Sorts rows in the order described at sl_agg_row. */
void sl_agg_rows_sort(sl_agg_row *rows, size_t n);

/* Per-minute counts by level. */
typedef struct sl_minute_counts {
	int64_t minute; /* start of the minute, UTC ms */
	uint32_t counts[SL_LEVEL_COUNT];
} sl_minute_counts;

typedef struct sl_store sl_store;

typedef struct sl_store_ops {
	const char *name;
	/* Writes a batch and the source positions it covers, atomically, from
	 * the ingest thread. inserted[i] is set to 1 for each event that was new
	 * and 0 for a redelivered id, so counters skip duplicates. */
	int (*write_batch)(sl_store *st, const sl_event *evs, size_t n, const sl_source_pos *pos,
			   size_t npos, unsigned char *inserted, sl_error *err);
	/* Optional. Does the part of write_batch that needs no I/O for the
	 * events evs[0..n), on the ingest thread while the writer thread is
	 * still busy with the batch before. The write_batch of the same events
	 * uses the result, and the store may send it while it writes the batch
	 * before. A later prepare replaces a result that no write has used. */
	void (*prepare)(sl_store *st, const sl_event *evs, size_t n);
	/* Looks up a saved position by key; returns 1 when found (caller frees
	 * identity with free()), 0 when not, SL_ERR on failure. */
	int (*load_position)(sl_store *st, const char *key, char **identity, uint64_t *offset,
			     sl_error *err);
	/* Searches from any thread. */
	int (*search)(sl_store *st, const sl_search_req *req, sl_search_res *res, sl_error *err);
	/* Runs the aggregation after the '|' of req->query, from any thread;
	 * req->limit is not used. A query without '|' is SL_ERR_QUERY. */
	int (*aggregate)(sl_store *st, const sl_search_req *req, sl_agg_res *res, sl_error *err);
	/* Returns up to n most recently ingested events, newest first. */
	int (*latest)(sl_store *st, size_t n, sl_event **out, size_t *nout, sl_error *err);
	/* Calls cb for each minute with events received since since_ms. */
	int (*minute_counts)(sl_store *st, int64_t since_recv_ms,
			     void (*cb)(void *ud, const sl_minute_counts *mc), void *ud, sl_error *err);
	/* Deletes events received before cutoff_ms; sets *deleted. */
	int (*expire)(sl_store *st, int64_t cutoff_recv_ms, uint64_t *deleted, sl_error *err);
	/* Total number of stored events. */
	int (*count)(sl_store *st, uint64_t *total, sl_error *err);
	void (*close)(sl_store *st);
} sl_store_ops;

struct sl_store {
	const sl_store_ops *ops;
	void *impl;
	char *description; /* for the status bar, e.g. "sqlite ~/.local/share/streamlens" */
};

/* Opens the embedded store in dir (created if missing). Returns NULL and
 * fills err on failure. */
sl_store *sl_sqlite_open(const char *dir, sl_error *err);

void sl_error_set(sl_error *err, int column, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
