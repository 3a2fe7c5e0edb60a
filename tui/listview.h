/* listview.h: a selectable list of event lines, shared by the tail and the
 * results pane: the cursor, scrolling, error jumps and the folding of
 * repeated lines into one row with a count. */
#ifndef TUI_LISTVIEW_H
#define TUI_LISTVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "evline.h"

/* Returns line i (0 is the top of the list) of the pane's storage. */
typedef const tui_evline *(*tui_list_at_fn)(const void *src, size_t i);

typedef struct tui_list {
	size_t *first;  /* per row: index of its first line */
	size_t *count;  /* per row: lines folded into it (1 unless collapsed) */
	size_t nrows, cap;
	size_t cursor;  /* selected row */
	size_t top;     /* first row on screen */
	int collapse;   /* fold runs of equal lines */
	int64_t from_ms, to_ms; /* when to_ms > from_ms, only lines with a
				 * timestamp in [from_ms, to_ms) are rows */
} tui_list;

void tui_list_free(tui_list *l);
/* Rebuilds the rows from n lines. The cursor stays on the row holding the
 * line it was on, or on the last row when it was past the end. */
void tui_list_build(tui_list *l, const void *src, tui_list_at_fn at, size_t n);
/* Moves the cursor for j/k, arrows, PgUp/PgDn, g/G, Home/End and e/E (next
 * or previous error or fatal line) in a pane of rows lines. Returns 1 when
 * the key was one of these. */
int tui_list_key(tui_list *l, int key, int rows, const void *src, tui_list_at_fn at);
/* Handles a click on the row offset rows below the top row on screen.
 * Returns 2 when that row was already selected, 1 when the cursor moved to
 * it, 0 when no row is there. */
int tui_list_click(tui_list *l, int offset);
/* Puts the cursor on the last row, for a list that follows new lines. */
void tui_list_to_end(tui_list *l);
/* Returns the line under the cursor, or NULL for an empty list. */
const tui_evline *tui_list_selected(const tui_list *l, const void *src, tui_list_at_fn at);
/* Draws the rows around the cursor into rows y0.. of area; the cursor row is
 * highlighted when focused, and the terms of hl (may be NULL) are marked. */
void tui_list_draw(WINDOW *w, const tui_rect *area, int y0, int rows, tui_list *l,
		   const void *src, tui_list_at_fn at, int focused, const tui_hl *hl);

#endif
