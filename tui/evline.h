/* evline.h: one event as one screen line, shared by the tail and the
 * results pane. */
#ifndef TUI_EVLINE_H
#define TUI_EVLINE_H

#include <stdint.h>

#include "text.h"

/* The part of an event that a pane line shows. The strings are owned. */
typedef struct tui_evline {
	int64_t ts_ms;
	sl_level level;
	char *service;
	char *text; /* first line of the message, capped */
} tui_evline;

/* Fills line from ev, copying what it shows. */
void tui_evline_set(tui_evline *line, const sl_event *ev);
void tui_evline_clear(tui_evline *line);
/* Draws "HH:MM:SS LEVEL service message" into row y of area, cut to width. */
void tui_evline_draw(WINDOW *w, const tui_rect *area, int y, const tui_evline *line);
/* Formats ms as local "HH:MM:SS" (or "HH:MM" when with_seconds is 0). */
void tui_format_clock(int64_t ms, int with_seconds, char *out, size_t outlen);

#endif
