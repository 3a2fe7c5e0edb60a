/* results.h: the search results pane: total count and hits, newest first. */
#ifndef TUI_RESULTS_H
#define TUI_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "../src/store.h"
#include "evline.h"
#include "highlight.h"
#include "listview.h"

enum tui_results_state {
	TUI_RESULTS_NONE,   /* no query run yet */
	TUI_RESULTS_OK,
	TUI_RESULTS_AGG,    /* an aggregation ran, and agg contains its rows */
	TUI_RESULTS_FAILED, /* the store failed, and message contains why */
};

typedef struct tui_results {
	enum tui_results_state state;
	tui_evline *lines;
	size_t nlines;
	uint64_t total;
	int64_t took_ms;
	char *query;  /* text of the query shown */
	int64_t from_ms, to_ms; /* its time range, for the next pages */
	size_t first_page; /* hits the query itself returned */
	tui_hl hl;    /* its terms, marked in the hits */
	tui_list list;
	sl_agg_res agg;
	size_t agg_top; /* first aggregation row shown */
	char message[SL_ERRMSG_MAX];
} tui_results;

void tui_results_init(tui_results *r);
void tui_results_free(tui_results *r);
/* Runs query on store for up to limit hits with a timestamp in [from_ms,
 * to_ms] (INT64_MIN and INT64_MAX when open), or its aggregation when the
 * query has a '|'. Returns SL_OK, or SL_ERR_QUERY
 * with err set and the shown results left as they were, or SL_ERR, which the
 * pane shows. store may be NULL (viewer without a store), which is SL_ERR. */
int tui_results_run(tui_results *r, sl_store *store, const char *query, size_t limit,
		    int64_t from_ms, int64_t to_ms, sl_error *err);
/* Handles a cursor key (see tui_list_key) for a pane of rows lines.
 * Returns 1 when handled. */
int tui_results_key(tui_results *r, int key, int rows);
void tui_results_toggle_collapse(tui_results *r);
/* Returns 1 when the cursor is on the last hit and the store has more. */
int tui_results_at_end(const tui_results *r);
/* Appends up to page older hits of the same query from store. Returns the
 * number added, or -1 with err set (the hits shown stay). */
int tui_results_more(tui_results *r, sl_store *store, size_t page, sl_error *err);
/* Returns 1 when a search or aggregation is shown as it ran: first row
 * selected, nothing scrolled, no page added. */
int tui_results_unmoved(const tui_results *r);
/* Handles a click offset rows below the first row shown; returns as
 * tui_list_click. */
int tui_results_click(tui_results *r, int offset);
/* Scrolls by lines rows (negative: up), as the mouse wheel does. */
void tui_results_scroll(tui_results *r, int lines, int rows);
/* Returns the hit under the cursor, or NULL when there is none. */
const tui_evline *tui_results_selected(const tui_results *r);
void tui_results_draw(WINDOW *w, const tui_rect *area, tui_results *r, int focused);

#endif
