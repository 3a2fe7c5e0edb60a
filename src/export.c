/* export.c: JSON lines and CSV output of hits and aggregation rows. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"

/* Hits fetched per search call while paging. */
#define PAGE_SIZE 1000
/* Largest page tried when more events share one timestamp than a page fits. */
#define PAGE_MAX (1000 * 1000)

int sl_export_format_parse(const char *name, sl_export_format *out)
{
	if (strcmp(name, "jsonl") == 0)
		*out = SL_EXPORT_JSONL;
	else if (strcmp(name, "csv") == 0)
		*out = SL_EXPORT_CSV;
	else
		return -1;
	return 0;
}

sl_export_format sl_export_format_of_path(const char *path)
{
	size_t n = strlen(path);

	if (n >= 4 && strcasecmp(path + n - 4, ".csv") == 0)
		return SL_EXPORT_CSV;
	return SL_EXPORT_JSONL;
}

/* Appends s with every control character but LF and TAB written as the
 * text \u00XX: C0, DEL and C1 (0xc2 0x80..0x9f in UTF-8). LF and TAB stay,
 * because quoted CSV fields carry them and terminals do not act on them. */
static void csv_escape_controls(const char *s, sl_buf *out)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f)
			c = (unsigned char)*++s;
		else if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t')
			c = 0;
		if (c == 0) {
			sl_buf_putc(out, *s);
			continue;
		}
		sl_buf_puts(out, "\\u00");
		sl_buf_putc(out, hex[c >> 4]);
		sl_buf_putc(out, hex[c & 15]);
	}
}

void sl_export_csv_field(sl_buf *out, const char *s)
{
	sl_buf cell;
	const char *p;

	if (!s)
		return;
	sl_buf_init(&cell);
	/* A spreadsheet runs a cell that opens with one of these as a formula;
	 * a leading quote makes it text (OWASP's advice for CSV injection). */
	if (*s && strchr("=+-@\t\r", *s))
		sl_buf_putc(&cell, '\'');
	csv_escape_controls(s, &cell);
	sl_buf_putc(&cell, '\0');
	p = cell.data;

	if (!strpbrk(p, ",\"\r\n")) {
		sl_buf_puts(out, p);
		sl_buf_free(&cell);
		return;
	}
	sl_buf_putc(out, '"');
	for (; *p; p++) {
		if (*p == '"')
			sl_buf_putc(out, '"');
		sl_buf_putc(out, *p);
	}
	sl_buf_putc(out, '"');
	sl_buf_free(&cell);
}

void sl_export_header(sl_buf *out, sl_export_format f)
{
	if (f == SL_EXPORT_CSV)
		sl_buf_puts(out, "id,timestamp,level,service,host,message\r\n");
}

void sl_export_agg_header(sl_buf *out, sl_export_format f)
{
	if (f == SL_EXPORT_CSV)
		sl_buf_puts(out, "time,key,count\r\n");
}

void sl_export_event(sl_buf *out, sl_export_format f, const sl_event *ev)
{
	char when[SL_TIME_STRLEN];

	if (f == SL_EXPORT_JSONL) {
		sl_event_to_json(ev, out, 0);
		sl_buf_putc(out, '\n');
		return;
	}
	sl_format_time(ev->ts_ms, when, sizeof when);
	sl_export_csv_field(out, ev->id);
	sl_buf_putc(out, ',');
	sl_buf_puts(out, when);
	sl_buf_putc(out, ',');
	sl_buf_puts(out, sl_level_name(ev->level));
	sl_buf_putc(out, ',');
	sl_export_csv_field(out, ev->service);
	sl_buf_putc(out, ',');
	sl_export_csv_field(out, ev->host);
	sl_buf_putc(out, ',');
	sl_export_csv_field(out, ev->message);
	sl_buf_puts(out, "\r\n");
}

void sl_export_agg_row(sl_buf *out, sl_export_format f, const sl_agg_res *res, size_t i)
{
	const sl_agg_row *row = &res->rows[i];
	char when[SL_TIME_STRLEN] = "";

	if (f == SL_EXPORT_JSONL) {
		sl_agg_row_json(res, i, out);
		sl_buf_putc(out, '\n');
		return;
	}
	if (res->req.kind == SL_AGG_TIMECHART)
		sl_format_time(row->time_ms, when, sizeof when);
	sl_buf_puts(out, when);
	sl_buf_putc(out, ',');
	sl_export_csv_field(out, row->key);
	sl_buf_printf(out, ",%llu\r\n", (unsigned long long)row->count);
}

/* Writes buf to out and empties it. Returns 0, or -1 with err set. */
static int flush_buf(sl_buf *buf, FILE *out, sl_error *err)
{
	if (buf->len > 0 && fwrite(buf->data, 1, buf->len, out) != buf->len) {
		sl_error_set(err, 0, "write failed: %s", strerror(errno));
		return -1;
	}
	sl_buf_reset(buf);
	return 0;
}

/* Ids already written that carry the page boundary's timestamp. The next
 * page starts at that timestamp again (to_ms is inclusive), so these are
 * skipped there. */
typedef struct seen_ids {
	char (*ids)[SL_ID_MAX];
	size_t n, cap;
	int64_t ts_ms;
} seen_ids;

static int seen_has(const seen_ids *s, const sl_event *ev)
{
	if (ev->ts_ms != s->ts_ms)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], ev->id) == 0)
			return 1;
	return 0;
}

static void seen_add(seen_ids *s, const sl_event *ev)
{
	if (ev->ts_ms != s->ts_ms) {
		s->n = 0;
		s->ts_ms = ev->ts_ms;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->ids = sl_realloc(s->ids, s->cap * sizeof *s->ids);
	}
	memcpy(s->ids[s->n++], ev->id, SL_ID_MAX);
}

/* Writes the unseen hits of one page. Returns how many were new. */
static size_t write_page(const sl_search_res *res, seen_ids *seen, sl_export_format f, sl_buf *buf)
{
	size_t fresh = 0;

	for (size_t i = 0; i < res->nhits; i++) {
		if (seen_has(seen, &res->hits[i]))
			continue;
		seen_add(seen, &res->hits[i]);
		sl_export_event(buf, f, &res->hits[i]);
		fresh++;
	}
	return fresh;
}

int sl_export_search(sl_store *st, const char *query, int64_t now_ms, sl_export_format f,
		     FILE *out, uint64_t *written, sl_error *err)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, PAGE_SIZE, now_ms};
	seen_ids seen = {NULL, 0, 0, INT64_MIN};
	sl_buf buf;
	int rc = SL_OK;

	*written = 0;
	sl_buf_init(&buf);
	sl_export_header(&buf, f);
	for (;;) {
		sl_search_res res;
		size_t fresh;

		memset(&res, 0, sizeof res);
		rc = st->ops->search(st, &req, &res, err);
		if (rc != SL_OK) {
			sl_search_res_free(&res);
			break;
		}
		fresh = write_page(&res, &seen, f, &buf);
		*written += fresh;
		int last = res.nhits < req.limit;
		int64_t oldest = res.nhits ? res.hits[res.nhits - 1].ts_ms : INT64_MIN;

		sl_search_res_free(&res);
		if (flush_buf(&buf, out, err) != 0) {
			rc = SL_ERR;
			break;
		}
		if (last)
			break;
		/* A full page of one timestamp, all seen: more events share it
		 * than a page holds, so the next page must be larger. */
		if (fresh == 0) {
			if (req.limit >= PAGE_MAX) {
				sl_error_set(err, 0, "more than %d events share one timestamp", PAGE_MAX);
				rc = SL_ERR;
				break;
			}
			req.limit *= 10;
		}
		req.to_ms = oldest;
	}
	free(seen.ids);
	sl_buf_free(&buf);
	return rc;
}

int sl_export_aggregation(sl_store *st, const char *query, int64_t now_ms, sl_export_format f,
			  FILE *out, uint64_t *written, sl_error *err)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, 0, now_ms};
	sl_agg_res res;
	sl_buf buf;
	int rc;

	*written = 0;
	memset(&res, 0, sizeof res);
	rc = st->ops->aggregate(st, &req, &res, err);
	if (rc != SL_OK)
		goto out;
	sl_buf_init(&buf);
	sl_export_agg_header(&buf, f);
	for (size_t i = 0; i < res.nrows; i++)
		sl_export_agg_row(&buf, f, &res, i);
	if (flush_buf(&buf, out, err) != 0)
		rc = SL_ERR;
	else
		*written = res.nrows;
	sl_buf_free(&buf);
out:
	sl_agg_res_free(&res);
	return rc;
}
