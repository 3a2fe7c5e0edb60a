/* chart.c: per-minute counts by level, drawn as stacked bars with the error
 * and fatal share at the bottom, then warn, then every other level. */
#include "chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evline.h"
#include "strings.h"

#define MINUTE_MS 60000
/* Columns left of the bars: the y axis labels and the axis line. */
#define AXIS_COLS 7

enum { STACK_ERROR, STACK_WARN, STACK_OTHER, STACK_COUNT };

/* One chart column: counts of one bucket grouped for stacking. */
typedef struct column {
	uint64_t n[STACK_COUNT];
	uint64_t total;
} column;

static const char stack_glyph[STACK_COUNT] = {'#', '=', '|'};

static int stack_of(sl_level level)
{
	if (level == SL_LEVEL_ERROR || level == SL_LEVEL_FATAL)
		return STACK_ERROR;
	if (level == SL_LEVEL_WARN)
		return STACK_WARN;
	return STACK_OTHER;
}

static attr_t stack_attr(int stack)
{
	if (stack == STACK_ERROR)
		return tui_theme_attr(TUI_ROLE_ERROR);
	if (stack == STACK_WARN)
		return tui_theme_attr(TUI_ROLE_WARN);
	return A_NORMAL;
}

/* Sums the hot store's minutes into cols[0..ncols-1] (oldest first), span
 * minutes per column, and returns the largest column total. */
static uint64_t fill_columns(sl_hot *hot, int64_t end_ms, int ncols, int span, column *cols)
{
	int minutes = ncols * span;
	int64_t start = end_ms - (int64_t)(minutes - 1) * MINUTE_MS;
	sl_minute_counts *mc = NULL;
	uint64_t ymax = 0;
	size_t n, i;

	n = sl_hot_stats(hot, end_ms, minutes, &mc);
	for (i = 0; i < n; i++) {
		int64_t idx = (mc[i].minute - start) / MINUTE_MS / span;

		if (mc[i].minute < start || idx >= ncols)
			continue;
		for (int lv = 0; lv < SL_LEVEL_COUNT; lv++) {
			cols[idx].n[stack_of((sl_level)lv)] += mc[i].counts[lv];
			cols[idx].total += mc[i].counts[lv];
		}
		if (cols[idx].total > ymax)
			ymax = cols[idx].total;
	}
	free(mc);
	return ymax;
}

/* Splits the column's filled height among the stacks in proportion, giving
 * every non-empty stack at least one cell while cells remain. */
static void stack_heights(const column *c, int filled, int *h)
{
	int left = filled;

	for (int s = 0; s < STACK_COUNT; s++) {
		uint64_t share = c->total ? (c->n[s] * (uint64_t)filled + c->total / 2) / c->total : 0;

		h[s] = (int)share;
		if (c->n[s] > 0 && h[s] == 0)
			h[s] = 1;
		if (h[s] > left)
			h[s] = left;
		left -= h[s];
	}
	/* A cell left over after rounding goes to the topmost non-empty stack. */
	for (int s = STACK_COUNT - 1; s >= 0 && left > 0; s--) {
		if (c->n[s] > 0) {
			h[s] += left;
			left = 0;
		}
	}
}

static void draw_column(WINDOW *w, int x, int bottom, int rows, const column *c, uint64_t ymax)
{
	int h[STACK_COUNT];
	int filled, y = bottom;

	if (c->total == 0 || ymax == 0)
		return;
	filled = (int)((c->total * (uint64_t)rows + ymax - 1) / ymax);
	if (filled > rows)
		filled = rows;
	stack_heights(c, filled, h);

	for (int s = 0; s < STACK_COUNT; s++) {
		for (int i = 0; i < h[s]; i++, y--)
			mvwaddch(w, y, x, (chtype)stack_glyph[s] | stack_attr(s));
	}
}

static void draw_axis(WINDOW *w, const tui_rect *area, int top, int bottom, uint64_t ymax)
{
	char label[32];

	snprintf(label, sizeof label, "%*llu", AXIS_COLS - 2, (unsigned long long)ymax);
	tui_text_draw(w, top, area->x, AXIS_COLS - 1, label, strlen(label), A_NORMAL);
	snprintf(label, sizeof label, "%*d", AXIS_COLS - 2, 0);
	tui_text_draw(w, bottom, area->x, AXIS_COLS - 1, label, strlen(label), A_NORMAL);
	for (int y = top; y <= bottom; y++)
		mvwaddch(w, y, area->x + AXIS_COLS - 1, ACS_VLINE);
}

static void draw_time_labels(WINDOW *w, int y, int x0, int ncols, int span, int64_t end_ms)
{
	int64_t start = end_ms - (int64_t)(ncols * span - 1) * MINUTE_MS;
	char first[16], last[16];
	int lastw;

	tui_format_clock(start, 0, first, sizeof first);
	tui_format_clock(end_ms, 0, last, sizeof last);
	lastw = (int)strlen(last);
	tui_text_draw(w, y, x0, ncols, first, strlen(first), A_NORMAL);
	if (ncols >= (int)strlen(first) + lastw + 1)
		tui_text_draw(w, y, x0 + ncols - lastw, lastw, last, strlen(last), A_NORMAL);
}

/* Writes the title: bucket span, window and legend, or with a cursor the
 * time under it. */
static void draw_title(WINDOW *w, const tui_rect *area, int span, int window_min,
		       const tui_chart_view *view)
{
	int focused = view && view->cursor_ms != TUI_CHART_NO_CURSOR;
	char title[160], each[32], window[32], from[16], to[16];
	int64_t from_ms, to_ms;

	if (span == 1)
		snprintf(each, sizeof each, TUI_STR_CHART_MINUTE);
	else
		snprintf(each, sizeof each, TUI_STR_CHART_MINUTES_FMT, span);
	if (window_min % 60 == 0)
		snprintf(window, sizeof window, "%dh", window_min / 60);
	else
		snprintf(window, sizeof window, "%dm", window_min);
	if (view && view->cursor >= 0 && tui_chart_column_range(view, view->cursor, &from_ms, &to_ms)) {
		tui_format_clock(from_ms, 0, from, sizeof from);
		tui_format_clock(to_ms, 0, to, sizeof to);
		snprintf(title, sizeof title, TUI_STR_CHART_TITLE_FMT TUI_STR_CHART_CURSOR_FMT, each,
			 window, from, to);
	} else {
		snprintf(title, sizeof title, TUI_STR_CHART_TITLE_FMT TUI_STR_CHART_LEGEND, each,
			 window);
	}
	tui_text_draw(w, area->y, area->x, area->w, title, strlen(title),
		      tui_theme_attr(focused ? TUI_ROLE_FOCUS : TUI_ROLE_TITLE));
}

int tui_chart_column_of(const tui_chart_view *view, int64_t ms)
{
	int64_t col;

	if (ms == TUI_CHART_NO_CURSOR || view->ncols < 1)
		return -1;
	if (ms == TUI_CHART_NEWEST)
		return view->ncols - 1;
	if (ms < view->start_ms)
		return 0;
	col = (ms - view->start_ms) / ((int64_t)view->span * MINUTE_MS);
	return col >= view->ncols ? view->ncols - 1 : (int)col;
}

int tui_chart_column_range(const tui_chart_view *view, int col, int64_t *from_ms, int64_t *to_ms)
{
	if (!view || col < 0 || col >= view->ncols)
		return 0;
	*from_ms = view->start_ms + (int64_t)col * view->span * MINUTE_MS;
	*to_ms = *from_ms + (int64_t)view->span * MINUTE_MS;
	return 1;
}

/* Reverses the cursor column, and underlines the bars inside the applied
 * time filter on the time label row. */
static void draw_marks(WINDOW *w, const tui_rect *area, int top, int bottom,
		       const tui_chart_view *view)
{
	int labels = area->y + area->h - 1;

	for (int i = 0; i < view->ncols; i++) {
		int64_t from, to;
		int x = view->x0 + i;

		if (!tui_chart_column_range(view, i, &from, &to))
			continue;
		if (view->to_ms > view->from_ms && from < view->to_ms && to > view->from_ms)
			mvwaddch(w, labels, x, (chtype)'^' | tui_theme_attr(TUI_ROLE_FOCUS));
		if (i != view->cursor)
			continue;
		for (int y = top; y <= bottom; y++)
			mvwchgat(w, y, x, 1, A_REVERSE, 0, NULL);
	}
}

void tui_chart_draw(WINDOW *w, const tui_rect *area, sl_hot *hot, int window_min, int64_t now_ms,
		    tui_chart_view *view)
{
	column cols[TUI_CHART_COLS_MAX];
	int maxcols = area->w - AXIS_COLS;
	int rows = area->h - 2;
	int top = area->y + 1, bottom = area->y + area->h - 2;
	int span, ncols;
	int64_t end_ms;
	uint64_t ymax;

	if (view) {
		view->ncols = 0;
		view->cursor = -1;
	}
	if (maxcols > TUI_CHART_COLS_MAX)
		maxcols = TUI_CHART_COLS_MAX;
	if (maxcols < 1 || rows < 1 || window_min < 1)
		return;
	/* Whole minutes per column, as few as the width allows. */
	span = (window_min + maxcols - 1) / maxcols;
	ncols = (window_min + span - 1) / span;

	end_ms = hot ? sl_hot_window_end(hot, now_ms, ncols * span) : 0;
	if (end_ms == 0) {
		draw_title(w, area, span, window_min, view);
		tui_text_draw(w, top, area->x, area->w, TUI_STR_CHART_EMPTY,
			      strlen(TUI_STR_CHART_EMPTY), tui_theme_attr(TUI_ROLE_DIM));
		return;
	}
	if (view) {
		view->x0 = area->x + AXIS_COLS;
		view->ncols = ncols;
		view->span = span;
		view->start_ms = end_ms - (int64_t)(ncols * span - 1) * MINUTE_MS;
		view->cursor = tui_chart_column_of(view, view->cursor_ms);
	}
	draw_title(w, area, span, window_min, view);

	memset(cols, 0, sizeof cols);
	ymax = fill_columns(hot, end_ms, ncols, span, cols);
	draw_axis(w, area, top, bottom, ymax);
	for (int i = 0; i < ncols; i++)
		draw_column(w, area->x + AXIS_COLS + i, bottom, rows, &cols[i], ymax);
	draw_time_labels(w, area->y + area->h - 1, area->x + AXIS_COLS, ncols, span, end_ms);
	if (view)
		draw_marks(w, area, top, bottom, view);
}
