/* chart.h: the per-minute event counts pane, a bar chart stacked by level. */
#ifndef TUI_CHART_H
#define TUI_CHART_H

#include "../src/hotstore.h"
#include "text.h"

/* Minutes the chart covers when the pane is wide enough. */
#define TUI_CHART_MINUTES 60
/* Rows the pane needs: title, at least three bar rows, the time labels. */
#define TUI_CHART_MIN_ROWS 5

/* Draws the chart for the window ending now_ms into area. */
void tui_chart_draw(WINDOW *w, const tui_rect *area, sl_hot *hot, int64_t now_ms);

#endif
