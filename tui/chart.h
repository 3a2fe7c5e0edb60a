/* chart.h: the per-minute event counts pane, a bar chart stacked by level. */
#ifndef TUI_CHART_H
#define TUI_CHART_H

#include <stdint.h>

#include "../src/hotstore.h"
#include "text.h"

/* Chart windows in minutes, chosen with the keys 1 to 4. */
#define TUI_CHART_WINDOWS {15, 60, 6 * 60, 24 * 60}
#define TUI_CHART_WINDOW_DEFAULT 60
/* Columns drawn at most, however wide the pane. */
#define TUI_CHART_COLS_MAX 400
/* Rows the pane needs: title, at least three bar rows, the time labels. */
#define TUI_CHART_MIN_ROWS 5

/* Values of tui_chart_view.cursor_ms besides a time: no cursor (the chart
 * is not focused), or the cursor on the newest bar. */
#define TUI_CHART_NO_CURSOR INT64_MIN
#define TUI_CHART_NEWEST INT64_MAX

/* What the chart shows besides the counts, and where it drew its columns. */
typedef struct tui_chart_view {
	int64_t cursor_ms;  /* in: a time in the bar under the cursor, so the
			     * cursor stays on its minutes as the window moves;
			     * before the window it is on the first bar */
	int cursor;         /* out: column under the cursor, -1 for none */
	int64_t from_ms;    /* in: the applied time filter, marked below the */
	int64_t to_ms;      /* bars; to_ms <= from_ms when none */
	int x0;             /* out: screen column of the first bar */
	int ncols;          /* out: bars drawn, 0 when the chart is empty */
	int span;           /* out: minutes per bar */
	int64_t start_ms;   /* out: start of the first bar's minutes */
} tui_chart_view;

/* Draws the chart of the last window_min minutes into area, one column per
 * bucket of whole minutes. The window ends at now_ms, or at the newest event
 * when that is older than the window (replayed old logs). view (may be NULL)
 * gives the cursor and gets the geometry; with a cursor the title is drawn
 * in the focus style. */
void tui_chart_draw(WINDOW *w, const tui_rect *area, sl_hot *hot, int window_min, int64_t now_ms,
		    tui_chart_view *view);
/* Returns the time range [*from_ms, *to_ms) of column col of the last
 * drawn view, or 0 when col is outside it. */
int tui_chart_column_range(const tui_chart_view *view, int col, int64_t *from_ms, int64_t *to_ms);
/* Returns the column of the last drawn view whose bar contains ms, clamped
 * to its bars (TUI_CHART_NEWEST is the last one). Returns -1 when ms is
 * TUI_CHART_NO_CURSOR or nothing was drawn. */
int tui_chart_column_of(const tui_chart_view *view, int64_t ms);

#endif
