/* aggview.h: the results pane body for a '|' aggregation: a table of key,
 * count and a bar, or for a timechart a bar chart with one column per
 * bucket, stacked by key. */
#ifndef TUI_AGGVIEW_H
#define TUI_AGGVIEW_H

#include <stddef.h>

#include "../src/store.h"
#include "text.h"

/* Scrolls the table (j/k, arrows, PgUp/PgDn, g/G) in a body of rows lines;
 * *top is the first row shown. Returns 1 when the key was one of these. */
int tui_agg_key(const sl_agg_res *res, size_t *top, int key, int rows);
void tui_agg_draw(WINDOW *w, const tui_rect *area, const sl_agg_res *res, size_t *top);

#endif
