/* chart.h: the per-minute event counts pane, a bar chart stacked by level. */
#ifndef TUI_CHART_H
#define TUI_CHART_H

#include "../src/hotstore.h"
#include "text.h"

/* Chart windows in minutes, chosen with the keys 1 to 4. */
#define TUI_CHART_WINDOWS {15, 60, 6 * 60, 24 * 60}
#define TUI_CHART_WINDOW_DEFAULT 60
/* Columns drawn at most, however wide the pane. */
#define TUI_CHART_COLS_MAX 400
/* Rows the pane needs: title, at least three bar rows, the time labels. */
#define TUI_CHART_MIN_ROWS 5

/* Draws the chart of the last window_min minutes into area, one column per
 * bucket of whole minutes. The window ends at now_ms, or at the newest event
 * when that is older than the window (replayed old logs). */
void tui_chart_draw(WINDOW *w, const tui_rect *area, sl_hot *hot, int window_min, int64_t now_ms);

#endif
