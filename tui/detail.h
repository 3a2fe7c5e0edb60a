/* detail.h: the detail view of one event: every field and the raw record,
 * one per line, scrollable. It covers the panes until closed with Esc. */
#ifndef TUI_DETAIL_H
#define TUI_DETAIL_H

#include <stddef.h>

#include "highlight.h"
#include "text.h"

typedef struct tui_detail {
	sl_event ev;  /* copy of the event shown */
	char **lines; /* owned text lines, wrapped to width */
	size_t nlines;
	struct tui_detail_mark *marks; /* per line: which query terms apply */
	int width;    /* columns the lines were wrapped for */
	size_t top;   /* first line shown */
	int open;
} tui_detail;

/* Opens the view on a copy of ev. Lines are wrapped to the pane width when
 * drawn, so long messages and raw records show in full. */
void tui_detail_open(tui_detail *d, const sl_event *ev);
void tui_detail_close(tui_detail *d);
/* Scrolls for j/k, arrows, PgUp/PgDn, g/G in a view of rows lines. Returns 1
 * when the key was one of these. */
int tui_detail_key(tui_detail *d, int key, int rows);
/* Draws the view, marking the terms of hl (may be NULL) in the values. */
void tui_detail_draw(WINDOW *w, const tui_rect *area, tui_detail *d, const tui_hl *hl);

#endif
