/* header.h: the header line (sources, store, rate, totals, clock) and the
 * status line (last error or key hints). */
#ifndef TUI_HEADER_H
#define TUI_HEADER_H

#include "../src/app.h"
#include "text.h"
#include "tui.h"

/* Counters shown in the header, refreshed once per loop turn. */
typedef struct tui_header {
	sl_pipeline_stats stats; /* zero without a pipeline */
	int have_pipeline;
	unsigned long long stored;
	unsigned long long errors; /* error and fatal events counted */
	int64_t counted_mono;      /* when stored was last read from the store */
	unsigned long long dead_letters;
	int hot_degraded;          /* the hot store cannot be reached */
	char last_error[SL_ERRMSG_MAX];
	char filter[64];           /* the applied time filter, "" for none */
} tui_header;

/* Takes fresh counters from app. Returns 1 when anything shown changed. */
int tui_header_update(tui_header *h, sl_app *app, int64_t now_mono);
void tui_header_draw(WINDOW *w, const tui_rect *area, const tui_header *h,
		     const tui_options *opt, int64_t now_ms);
/* Draws notice when set (the outcome of a save), else the last error, else
 * the key hints. */
void tui_status_draw(WINDOW *w, const tui_rect *area, const tui_header *h, const char *notice);

#endif
