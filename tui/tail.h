/* tail.h: the live tail pane: the newest events from the hot store, read by
 * sequence number so nothing is shown twice or skipped unnoticed. */
#ifndef TUI_TAIL_H
#define TUI_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "../src/hotstore.h"
#include "evline.h"
#include "listview.h"

typedef struct tui_tail {
	tui_evline *lines; /* ring of cap lines, oldest at head */
	size_t cap, head, count;
	uint64_t last_seq; /* hot store sequence number of the newest line */
	uint64_t skipped;  /* events pushed out of the hot store before we read them */
	tui_list list;     /* rows on screen and the cursor */
	int paused;
	int loaded;        /* the backlog was read */
} tui_tail;

void tui_tail_init(tui_tail *t, size_t cap);
void tui_tail_free(tui_tail *t);
/* Reads events added since the last call, unless paused. Returns 1 when the
 * pane has new lines. */
int tui_tail_poll(tui_tail *t, sl_hot *hot);
void tui_tail_toggle_pause(tui_tail *t);
/* Switches the folding of repeated lines. */
void tui_tail_toggle_collapse(tui_tail *t);
/* Handles a cursor key (see tui_list_key) for a pane of rows lines. Returns
 * 1 when handled. Moving off the newest line pauses the tail, so the lines
 * stay put while read; G goes back to the newest line and follows again. */
int tui_tail_key(tui_tail *t, int key, int rows);
/* Handles a click offset rows below the first row shown; returns as
 * tui_list_click. Selecting a row above the newest pauses the tail. */
int tui_tail_click(tui_tail *t, int offset);
/* Scrolls by lines rows (negative: up), as the mouse wheel does. */
void tui_tail_scroll(tui_tail *t, int lines, int rows);
/* Shows only lines with a timestamp in [from_ms, to_ms); to_ms <= from_ms
 * shows every line. */
void tui_tail_set_window(tui_tail *t, int64_t from_ms, int64_t to_ms);
/* Returns the line under the cursor, or NULL when the tail is empty. */
const tui_evline *tui_tail_selected(tui_tail *t);
void tui_tail_draw(WINDOW *w, const tui_rect *area, tui_tail *t, sl_hot *hot, int focused);

#endif
