/* export.h: writing search hits and aggregation rows to a file as JSON lines
 * or CSV (RFC 4180), for the dashboard's save key and --output. */
#ifndef SL_EXPORT_H
#define SL_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"
#include "util.h"

typedef enum sl_export_format {
	SL_EXPORT_JSONL, /* one JSON object per line, as --once prints */
	SL_EXPORT_CSV    /* id,timestamp,level,service,host,message with a header row */
} sl_export_format;

/* Parses "jsonl" or "csv". Returns 0, or -1 for any other name. */
int sl_export_format_parse(const char *name, sl_export_format *out);
/* Returns CSV when path ends in ".csv" (any case), else JSON lines. */
sl_export_format sl_export_format_of_path(const char *path);

/* Appends s as one CSV field: control characters but LF and TAB written as
 * the text \u00XX, a leading quote added when s opens with =, +, -, @, TAB
 * or CR (so a spreadsheet does not run it as a formula), then quoted when it
 * contains a comma, a quote or LF, with quotes doubled (RFC 4180). NULL is
 * an empty field. */
void sl_export_csv_field(sl_buf *out, const char *s);
/* Appends the header row (CSV only) for events, or for aggregation rows. */
void sl_export_header(sl_buf *out, sl_export_format f);
void sl_export_agg_header(sl_buf *out, sl_export_format f);
/* Appends one event or aggregation row i of res as a line. */
void sl_export_event(sl_buf *out, sl_export_format f, const sl_event *ev);
void sl_export_agg_row(sl_buf *out, sl_export_format f, const sl_agg_res *res, size_t i);

/* Writes every match of query to out, newest first, with the header row,
 * paging through st's search op so no cap applies and memory stays bounded
 * by one page. *written gets the events written. Returns SL_OK, SL_ERR_QUERY
 * or SL_ERR with err set; a write error is SL_ERR naming errno. */
int sl_export_search(sl_store *st, const char *query, int64_t now_ms, sl_export_format f,
		     FILE *out, uint64_t *written, sl_error *err);
/* Runs the aggregation after the '|' of query and writes its rows with the
 * header row. Returns as sl_export_search; *written gets the rows. */
int sl_export_aggregation(sl_store *st, const char *query, int64_t now_ms, sl_export_format f,
			  FILE *out, uint64_t *written, sl_error *err);

#endif
