/* aggview.c: aggregation tables and timecharts. */
#include "aggview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evline.h"
#include "strings.h"

#define KEY_COLS 24
#define COUNT_COLS 10
/* Keys of a timechart that get their own glyph; the rest share the last. */
#define SERIES_MAX 6

static const char series_glyph[SERIES_MAX] = {'#', '=', '*', '+', 'o', '.'};

int tui_agg_key(const sl_agg_res *res, size_t *top, int key, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;
	size_t max_top = res->nrows > (size_t)rows ? res->nrows - (size_t)rows : 0;

	if (res->req.kind == SL_AGG_TIMECHART)
		return 0;
	switch (key) {
	case 'j':
	case KEY_DOWN:
		(*top)++;
		break;
	case 'k':
	case KEY_UP:
		*top = *top > 0 ? *top - 1 : 0;
		break;
	case KEY_NPAGE:
		*top += page;
		break;
	case KEY_PPAGE:
		*top = *top > page ? *top - page : 0;
		break;
	case 'g':
	case KEY_HOME:
		*top = 0;
		break;
	case 'G':
	case KEY_END:
		*top = max_top;
		break;
	default:
		return 0;
	}
	if (*top > max_top)
		*top = max_top;
	return 1;
}

/* Draws one table row: key, count and a bar scaled to max. */
static void draw_table_row(WINDOW *w, const tui_rect *area, int y, const sl_agg_row *row,
			   uint64_t max)
{
	const char *key = row->key ? row->key : TUI_STR_AGG_ALL;
	char count[32];
	int x = area->x, end = area->x + area->w;
	int bar_w, len;

	tui_text_draw(w, y, x, KEY_COLS < end - x ? KEY_COLS : end - x, key, strlen(key), A_NORMAL);
	x += KEY_COLS + 1;
	if (x >= end)
		return;
	snprintf(count, sizeof count, "%*llu", COUNT_COLS, (unsigned long long)row->count);
	x += tui_text_draw(w, y, x, end - x, count, strlen(count), tui_theme_attr(TUI_ROLE_TITLE)) + 1;
	bar_w = end - x;
	if (bar_w < 1 || max == 0)
		return;
	len = (int)((row->count * (uint64_t)bar_w + max - 1) / max);
	wattr_on(w, tui_theme_attr(TUI_ROLE_INFO), NULL);
	mvwhline(w, y, x, '#', len > bar_w ? bar_w : len);
	wattr_off(w, tui_theme_attr(TUI_ROLE_INFO), NULL);
}

static void draw_table(WINDOW *w, const tui_rect *area, const sl_agg_res *res, size_t *top)
{
	size_t rows = area->h > 1 ? (size_t)area->h - 1 : 0;
	uint64_t max = 0;
	char head[128];

	for (size_t i = 0; i < res->nrows; i++)
		if (res->rows[i].count > max)
			max = res->rows[i].count;
	snprintf(head, sizeof head, "%-*.*s %*s", KEY_COLS, KEY_COLS,
		 res->req.field[0] ? res->req.field : TUI_STR_AGG_ALL, COUNT_COLS, TUI_STR_AGG_COUNT);
	tui_text_draw(w, area->y, area->x, area->w, head, strlen(head), tui_theme_attr(TUI_ROLE_DIM));
	if (*top + rows > res->nrows)
		*top = res->nrows > rows ? res->nrows - rows : 0;
	for (size_t i = 0; i < rows && *top + i < res->nrows; i++)
		draw_table_row(w, area, area->y + 1 + (int)i, &res->rows[*top + i], max);
}

/* A timechart bucket: counts per series (index into the legend). */
typedef struct bucket {
	int64_t time_ms;
	uint64_t n[SERIES_MAX];
	uint64_t total;
} bucket;

/* Returns the legend index of key, adding it while there is room. */
static int series_of(const char **legend, int *nseries, const char *key)
{
	const char *k = key ? key : "";

	for (int i = 0; i < *nseries; i++)
		if (strcmp(legend[i], k) == 0)
			return i;
	if (*nseries < SERIES_MAX) {
		legend[*nseries] = k;
		return (*nseries)++;
	}
	return SERIES_MAX - 1;
}

/* Groups the rows (ordered by time) into at most max buckets, the newest
 * ones. Returns how many. */
static size_t fill_buckets(const sl_agg_res *res, bucket *b, size_t max, const char **legend,
			   int *nseries)
{
	size_t nbuckets = 0;

	for (size_t i = 0; i < res->nrows; i++) {
		const sl_agg_row *row = &res->rows[i];
		int s = series_of(legend, nseries, row->key);

		if (nbuckets == 0 || b[nbuckets - 1].time_ms != row->time_ms) {
			if (nbuckets == max) {
				memmove(b, b + 1, (max - 1) * sizeof *b);
				nbuckets--;
			}
			memset(&b[nbuckets], 0, sizeof b[nbuckets]);
			b[nbuckets++].time_ms = row->time_ms;
		}
		b[nbuckets - 1].n[s] += row->count;
		b[nbuckets - 1].total += row->count;
	}
	return nbuckets;
}

static void draw_bucket(WINDOW *w, int x, int bottom, int rows, const bucket *b, uint64_t ymax)
{
	int y = bottom;
	int filled = (int)((b->total * (uint64_t)rows + ymax - 1) / ymax);
	uint64_t done = 0;

	for (int s = 0; s < SERIES_MAX && y > bottom - filled; s++) {
		done += b->n[s];
		/* Each series reaches up to its cumulative share of the column. */
		int upto = b->total ? (int)((done * (uint64_t)filled + b->total - 1) / b->total) : 0;

		while (y > bottom - upto)
			mvwaddch(w, y--, x, (chtype)series_glyph[s]);
	}
}

static void draw_legend(WINDOW *w, const tui_rect *area, const sl_agg_res *res,
			const char **legend, int nseries)
{
	char line[256];
	size_t len = (size_t)snprintf(line, sizeof line, TUI_STR_AGG_SPAN_FMT,
				      (long long)(res->req.span_ms / 1000));

	for (int s = 0; s < nseries && len < sizeof line; s++)
		len += (size_t)snprintf(line + len, sizeof line - len, "  %c %s", series_glyph[s],
					legend[s][0] ? legend[s] : TUI_STR_AGG_ALL);
	tui_text_draw(w, area->y, area->x, area->w, line, strlen(line), tui_theme_attr(TUI_ROLE_DIM));
}

static void draw_timechart(WINDOW *w, const tui_rect *area, const sl_agg_res *res)
{
	int axis = 8, cols = area->w - axis, rows = area->h - 2;
	const char *legend[SERIES_MAX];
	int nseries = 0;
	uint64_t ymax = 0;
	char label[32], first[16], last[16];
	bucket *b;
	size_t nbuckets;

	if (cols < 1 || rows < 1)
		return;
	b = sl_calloc((size_t)cols, sizeof *b);
	nbuckets = fill_buckets(res, b, (size_t)cols, legend, &nseries);
	draw_legend(w, area, res, legend, nseries);
	for (size_t i = 0; i < nbuckets; i++)
		if (b[i].total > ymax)
			ymax = b[i].total;
	if (nbuckets == 0 || ymax == 0)
		goto out;

	snprintf(label, sizeof label, "%*llu", axis - 2, (unsigned long long)ymax);
	tui_text_draw(w, area->y + 1, area->x, axis - 1, label, strlen(label), A_NORMAL);
	for (int y = area->y + 1; y <= area->y + rows; y++)
		mvwaddch(w, y, area->x + axis - 1, ACS_VLINE);
	for (size_t i = 0; i < nbuckets; i++)
		draw_bucket(w, area->x + axis + (int)i, area->y + rows, rows, &b[i], ymax);

	tui_format_clock(b[0].time_ms, 0, first, sizeof first);
	tui_format_clock(b[nbuckets - 1].time_ms, 0, last, sizeof last);
	tui_text_draw(w, area->y + rows + 1, area->x + axis, cols, first, strlen(first), A_NORMAL);
	if ((int)nbuckets > (int)(strlen(first) + strlen(last)) + 1)
		tui_text_draw(w, area->y + rows + 1, area->x + axis + (int)nbuckets - (int)strlen(last),
			      (int)strlen(last), last, strlen(last), A_NORMAL);
out:
	free(b);
}

void tui_agg_draw(WINDOW *w, const tui_rect *area, const sl_agg_res *res, size_t *top)
{
	if (area->h < 1 || area->w < 1)
		return;
	if (res->nrows == 0) {
		tui_text_draw(w, area->y, area->x, area->w, TUI_STR_RESULTS_EMPTY,
			      strlen(TUI_STR_RESULTS_EMPTY), tui_theme_attr(TUI_ROLE_DIM));
		return;
	}
	if (res->req.kind == SL_AGG_TIMECHART)
		draw_timechart(w, area, res);
	else
		draw_table(w, area, res, top);
}
