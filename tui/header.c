/* header.c: the header and status lines. */
#include "header.h"

#include <stdio.h>
#include <string.h>

#include "../src/log.h"
#include "evline.h"
#include "strings.h"

/* Interval between counts of the stored total when no pipeline reports it
 * (viewer mode), because counting runs a query on the store. */
#define COUNT_INTERVAL_MS 5000

static unsigned long long error_total(sl_hot *hot)
{
	uint64_t totals[SL_LEVEL_COUNT];

	if (!hot)
		return 0;
	sl_hot_totals(hot, totals);
	return (unsigned long long)(totals[SL_LEVEL_ERROR] + totals[SL_LEVEL_FATAL]);
}

int tui_header_update(tui_header *h, sl_app *app, int64_t now_mono)
{
	tui_header old;

	/* A byte copy, so the comparison below also sees equal padding. */
	memcpy(&old, h, sizeof old);

	if (app->pipeline) {
		sl_pipeline_get_stats(app->pipeline, &h->stats);
		h->have_pipeline = 1;
		h->stored = h->stats.events_stored;
	} else if (app->store && app->store->ops->count &&
		   (h->counted_mono == 0 || now_mono - h->counted_mono >= COUNT_INTERVAL_MS)) {
		uint64_t total = 0;
		sl_error err;

		h->counted_mono = now_mono;
		if (app->store->ops->count(app->store, &total, &err) == SL_OK)
			h->stored = total;
	}
	h->errors = error_total(app->hot);

	if (sl_log_last_error(h->last_error, sizeof h->last_error) == 0)
		h->last_error[0] = '\0';
	if (!h->last_error[0] && h->stats.last_error[0])
		snprintf(h->last_error, sizeof h->last_error, "%s", h->stats.last_error);

	return memcmp(&old, h, sizeof old) != 0;
}

void tui_header_draw(WINDOW *w, const tui_rect *area, const tui_header *h,
		     const tui_options *opt, int64_t now_ms)
{
	const char *source = opt->source_desc ? opt->source_desc : h->stats.sources;
	const char *store = opt->store_desc ? opt->store_desc : TUI_STR_NO_STORE;
	char line[1024], clock[16];
	size_t len;
	int clock_w, room;

	if (!source || !source[0])
		source = TUI_STR_NO_SOURCE;
	len = (size_t)snprintf(line, sizeof line, "%s" TUI_STR_SEP "%s" TUI_STR_SEP "%s" TUI_STR_SEP,
			       TUI_STR_TITLE, source, store);
	if (len < sizeof line && h->have_pipeline)
		len += (size_t)snprintf(line + len, sizeof line - len, TUI_STR_RATE_FMT, h->stats.rate);
	else if (len < sizeof line)
		len += (size_t)snprintf(line + len, sizeof line - len, "%s", TUI_STR_VIEWER);
	if (len < sizeof line && h->have_pipeline && h->stats.consumer_lag >= 0)
		len += (size_t)snprintf(line + len, sizeof line - len, TUI_STR_SEP TUI_STR_LAG_FMT,
					(long long)h->stats.consumer_lag);
	if (len < sizeof line)
		snprintf(line + len, sizeof line - len,
			 TUI_STR_SEP TUI_STR_STORED_FMT TUI_STR_SEP TUI_STR_ERRORS_FMT, h->stored,
			 h->errors);

	/* The reverse-video bar spans the row even where text ends. */
	wattr_on(w, tui_theme_attr(TUI_ROLE_HEADER), NULL);
	mvwhline(w, area->y, area->x, ' ', area->w);
	wattr_off(w, tui_theme_attr(TUI_ROLE_HEADER), NULL);

	tui_format_clock(now_ms, 1, clock, sizeof clock);
	clock_w = (int)strlen(clock);
	room = area->w - clock_w - 1;
	if (room < 1) {
		tui_text_draw(w, area->y, area->x, area->w, clock, strlen(clock),
			      tui_theme_attr(TUI_ROLE_HEADER));
		return;
	}
	tui_text_draw(w, area->y, area->x, room, line, strlen(line), tui_theme_attr(TUI_ROLE_HEADER));
	tui_text_draw(w, area->y, area->x + area->w - clock_w, clock_w, clock, strlen(clock),
		      tui_theme_attr(TUI_ROLE_HEADER));
}

void tui_status_draw(WINDOW *w, const tui_rect *area, const tui_header *h)
{
	char line[SL_ERRMSG_MAX + 32];

	if (!h->last_error[0]) {
		tui_text_draw(w, area->y, area->x, area->w, TUI_STR_STATUS_HINTS,
			      strlen(TUI_STR_STATUS_HINTS), tui_theme_attr(TUI_ROLE_DIM));
		return;
	}
	snprintf(line, sizeof line, TUI_STR_STATUS_ERROR_FMT, h->last_error);
	tui_text_draw(w, area->y, area->x, area->w, line, strlen(line), tui_theme_attr(TUI_ROLE_ERROR));
}
