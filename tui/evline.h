/* evline.h: one event as one screen line, shared by the tail and the
 * results pane. */
#ifndef TUI_EVLINE_H
#define TUI_EVLINE_H

#include <stdint.h>

#include "highlight.h"
#include "text.h"

/* The part of an event that a pane line shows, and a full copy of the event
 * for the detail view and export. Everything is owned.
 * NOTE: the copy keeps the whole raw record (up to --max-line), so the tail
 * uses about as much memory as the hot store's ring of latest events. */
typedef struct tui_evline {
	int64_t ts_ms;
	sl_level level;
	char *service;
	char *text; /* first line of the message, capped */
	sl_event ev;
} tui_evline;

/* Fills line from ev, copying what it shows. */
void tui_evline_set(tui_evline *line, const sl_event *ev);
void tui_evline_clear(tui_evline *line);
/* Draws "HH:MM:SS LEVEL service message" into row y of area, cut to width.
 * repeats > 1 adds a "[Nx]" mark before the message (collapsed lines), and
 * selected draws the whole row in reverse video. The terms of hl (may be
 * NULL) are marked in the service and the message. */
void tui_evline_draw(WINDOW *w, const tui_rect *area, int y, const tui_evline *line,
		     size_t repeats, int selected, const tui_hl *hl);
/* Returns 1 when a and b show the same level, service and message, so a
 * collapsed list folds them into one row. */
int tui_evline_same(const tui_evline *a, const tui_evline *b);
/* Formats ms as local "HH:MM:SS" (or "HH:MM" when with_seconds is 0). */
void tui_format_clock(int64_t ms, int with_seconds, char *out, size_t outlen);

#endif
