/* query_agg.c: the aggregation after a query's '|':
 *
 *   agg := "count" ["by" FIELD]
 *        | "top" N FIELD
 *        | "timechart" SPAN ["by" FIELD]
 *
 * Keywords match in any case. FIELD is level, service, host or any extra
 * field name. SPAN is a duration such as 30s, 5m or 1h. Also the row
 * helpers every store shares, so both stores order rows the same way. */
#define _POSIX_C_SOURCE 200809L

#include "query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Untrusted text quoted in an error message is cut to this many bytes. */
#define ECHO_MAX 40

struct agg_lexer {
	const char *src;
	size_t pos;
	int column0; /* column of src[0] */
	sl_error *err;
};

/* Reads the next whitespace-separated word into word (cut to size) and
 * sets *column; an empty word means the end of the text. */
static void next_word(struct agg_lexer *lx, char *word, size_t size, int *column)
{
	size_t start, n;

	while (isspace((unsigned char)lx->src[lx->pos]))
		lx->pos++;
	start = lx->pos;
	while (lx->src[lx->pos] && !isspace((unsigned char)lx->src[lx->pos]))
		lx->pos++;
	n = lx->pos - start;
	if (n >= size)
		n = size - 1;
	memcpy(word, lx->src + start, n);
	word[n] = '\0';
	*column = lx->column0 + (int)start;
}

/* Checks a grouping field name and stores it, with the built-in names in
 * lower case. Returns 0, or -1 with err set. */
static int take_field(struct agg_lexer *lx, sl_agg_req *out, const char *after)
{
	static const char *const known[] = {"level", "service", "host", "message"};
	char name[SL_AGG_FIELD_MAX + 1];
	size_t i;
	int column, invalid;

	next_word(lx, name, sizeof name, &column);
	if (!name[0]) {
		sl_error_set(lx->err, column, "column %d: expected a field name after '%s'", column,
			     after);
		return -1;
	}
	invalid = strlen(name) >= SL_AGG_FIELD_MAX || !sl_query_name_start(name[0]);
	for (i = 0; !invalid && name[i]; i++)
		invalid = !sl_query_name_char(name[i]);
	if (invalid) {
		sl_error_set(lx->err, column, "column %d: invalid field name '%.*s' (expected a "
			     "name such as service or status)", column, ECHO_MAX, name);
		return -1;
	}
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcasecmp(name, known[i]) == 0)
			strcpy(name, known[i]);
	}
	if (strcmp(name, "message") == 0) {
		sl_error_set(lx->err, column, "column %d: cannot group by message, which is full "
			     "text (group by level, service, host or an extra field)", column);
		return -1;
	}
	strcpy(out->field, name);
	return 0;
}

/* Reads an optional "by FIELD". Returns 0, or -1 with err set. */
static int take_by(struct agg_lexer *lx, sl_agg_req *out, const char *kind)
{
	char word[16];
	int column;

	next_word(lx, word, sizeof word, &column);
	if (!word[0])
		return 0;
	if (word[0] == '|') {
		/* left for the end check, which reports a second '|' */
		lx->pos = (size_t)(column - lx->column0);
		return 0;
	}
	if (strcasecmp(word, "by") != 0) {
		sl_error_set(lx->err, column, "column %d: expected 'by FIELD' or the end after '%s', "
			     "not '%.*s'", column, kind, ECHO_MAX, word);
		return -1;
	}
	if (out->kind == SL_AGG_COUNT)
		out->kind = SL_AGG_COUNT_BY;
	return take_field(lx, out, "by");
}

static int take_top(struct agg_lexer *lx, sl_agg_req *out)
{
	char word[32];
	long long n;
	int column;

	next_word(lx, word, sizeof word, &column);
	if (sl_parse_int(word, 1, SL_AGG_ROWS_MAX, &n) < 0) {
		sl_error_set(lx->err, column, "column %d: expected a row count from 1 to %d after "
			     "'top', not '%.*s'", column, SL_AGG_ROWS_MAX, ECHO_MAX, word);
		return -1;
	}
	out->n = (size_t)n;
	return take_field(lx, out, "top N");
}

static int take_span(struct agg_lexer *lx, sl_agg_req *out)
{
	char word[32];
	int column;

	next_word(lx, word, sizeof word, &column);
	if (sl_parse_duration(word, &out->span_ms) < 0 || out->span_ms < 1) {
		sl_error_set(lx->err, column, "column %d: expected a bucket width such as 1m, 5m or "
			     "1h after 'timechart', not '%.*s'", column, ECHO_MAX, word);
		return -1;
	}
	return take_by(lx, out, "timechart SPAN");
}

int sl_agg_parse(const char *text, int column, sl_agg_req *out, sl_error *err)
{
	struct agg_lexer lx = {text, 0, column, err};
	char word[16];
	int col, rc;

	memset(out, 0, sizeof *out);
	next_word(&lx, word, sizeof word, &col);
	if (strcasecmp(word, "count") == 0) {
		out->kind = SL_AGG_COUNT;
		rc = take_by(&lx, out, "count");
	} else if (strcasecmp(word, "top") == 0) {
		out->kind = SL_AGG_TOP;
		rc = take_top(&lx, out);
	} else if (strcasecmp(word, "timechart") == 0) {
		out->kind = SL_AGG_TIMECHART;
		rc = take_span(&lx, out);
	} else {
		sl_error_set(err, col, "column %d: expected count, top or timechart after '|'%s%.*s%s",
			     col, word[0] ? ", not '" : "", ECHO_MAX, word, word[0] ? "'" : "");
		return -1;
	}
	if (rc < 0)
		return -1;

	next_word(&lx, word, sizeof word, &col);
	if (word[0]) {
		sl_error_set(err, col, "column %d: unexpected '%.*s' after the aggregation (only one "
			     "'|' is allowed)", col, ECHO_MAX, word);
		return -1;
	}
	return 0;
}

const char *sl_agg_kind_name(sl_agg_kind kind)
{
	switch (kind) {
	case SL_AGG_COUNT: return "count";
	case SL_AGG_COUNT_BY: return "count_by";
	case SL_AGG_TOP: return "top";
	case SL_AGG_TIMECHART: return "timechart";
	default: return "";
	}
}

static int row_cmp(const void *a, const void *b)
{
	const sl_agg_row *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

void sl_agg_rows_sort(sl_agg_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof *rows, row_cmp);
}

void sl_agg_res_free(sl_agg_res *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->nrows; i++)
		free(res->rows[i].key);
	free(res->rows);
	memset(res, 0, sizeof *res);
}

void sl_agg_row_json(const sl_agg_res *res, size_t i, sl_buf *out)
{
	const sl_agg_row *row = &res->rows[i];
	char stamp[SL_TIME_STRLEN];

	sl_buf_putc(out, '{');
	if (res->req.kind == SL_AGG_TIMECHART) {
		sl_format_time(row->time_ms, stamp, sizeof stamp);
		sl_buf_puts(out, "\"time\":");
		sl_buf_json_str(out, stamp, strlen(stamp));
		sl_buf_putc(out, ',');
	}
	if (row->key) {
		sl_buf_puts(out, "\"key\":");
		sl_buf_json_str(out, row->key, strlen(row->key));
		sl_buf_putc(out, ',');
	}
	sl_buf_printf(out, "\"count\":%llu}", (unsigned long long)row->count);
}

void sl_agg_res_json(const sl_agg_res *res, sl_buf *out)
{
	size_t i;

	sl_buf_printf(out, "{\"total\":%llu,\"took_ms\":%lld,\"aggregation\":{\"kind\":\"%s\","
		      "\"field\":", (unsigned long long)res->total, (long long)res->took_ms,
		      sl_agg_kind_name(res->req.kind));
	sl_buf_json_str(out, res->req.field, strlen(res->req.field));
	if (res->req.kind == SL_AGG_TOP)
		sl_buf_printf(out, ",\"n\":%zu", res->req.n);
	if (res->req.kind == SL_AGG_TIMECHART)
		sl_buf_printf(out, ",\"span_ms\":%lld", (long long)res->req.span_ms);
	sl_buf_puts(out, ",\"rows\":[");
	for (i = 0; i < res->nrows; i++) {
		if (i)
			sl_buf_putc(out, ',');
		sl_agg_row_json(res, i, out);
	}
	sl_buf_puts(out, "]}}");
}
