/* header.c: the header and status lines. */
#include "header.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../src/deadletter.h"
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
	char why[SL_ERRMSG_MAX] = "";
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
	h->dead_letters = app->deadletter ? sl_deadletter_count(app->deadletter) : 0;
	h->hot_degraded = app->hot ? sl_hot_degraded(app->hot, why, sizeof why) : 0;

	if (sl_log_last_error(h->last_error, sizeof h->last_error) == 0)
		h->last_error[0] = '\0';
	if (!h->last_error[0] && h->stats.last_error[0])
		snprintf(h->last_error, sizeof h->last_error, "%s", h->stats.last_error);
	if (!h->last_error[0] && h->hot_degraded)
		snprintf(h->last_error, sizeof h->last_error, "%s", why);

	return memcmp(&old, h, sizeof old) != 0;
}

/* One header item. Items are shown in array order. When the row is too
 * narrow, the item with the highest drop rank is hidden first, so a number
 * is hidden whole rather than cut. */
typedef struct header_item {
	char text[512];
	int drop_rank; /* 0 is never dropped */
	int shown;
} header_item;

enum { ITEMS_MAX = 10 };

static int add_item(header_item *items, int n, int drop_rank, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add_item(header_item *items, int n, int drop_rank, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(items[n].text, sizeof items[n].text, fmt, ap);
	va_end(ap);
	items[n].drop_rank = drop_rank;
	items[n].shown = 1;
	return n + 1;
}

/* Fills items with what the header shows. Returns how many. */
static int header_items(header_item *items, const tui_header *h, const tui_options *opt)
{
	const char *source = opt->source_desc ? opt->source_desc : h->stats.sources;
	const char *store = opt->store_desc ? opt->store_desc : TUI_STR_NO_STORE;
	int n = 0;

	if (!source || !source[0])
		source = TUI_STR_NO_SOURCE;
	n = add_item(items, n, 0, "%s", TUI_STR_TITLE);
	if (h->filter[0])
		n = add_item(items, n, 0, "%s", h->filter);
	n = add_item(items, n, 6, "%s", source);
	n = add_item(items, n, 9, "%s", store);
	if (h->hot_degraded)
		n = add_item(items, n, 1, "%s", TUI_STR_HOT_DEGRADED);
	if (h->have_pipeline)
		n = add_item(items, n, 2, TUI_STR_RATE_FMT, h->stats.rate);
	else
		n = add_item(items, n, 2, "%s", TUI_STR_VIEWER);
	if (h->have_pipeline && h->stats.consumer_lag >= 0)
		n = add_item(items, n, 4, TUI_STR_LAG_FMT, (long long)h->stats.consumer_lag);
	/* With a pipeline the count is what this process stored; a viewer
	 * counts the whole store. */
	if (h->have_pipeline)
		n = add_item(items, n, 8, TUI_STR_STORED_RUN_FMT, h->stored);
	else
		n = add_item(items, n, 8, TUI_STR_STORED_ALL_FMT, h->stored);
	n = add_item(items, n, 3, TUI_STR_ERRORS_FMT, h->errors);
	if (h->dead_letters > 0)
		n = add_item(items, n, 5, TUI_STR_DEAD_FMT, h->dead_letters);
	return n;
}

/* Returns the columns the shown items take with separators. */
static int items_width(const header_item *items, int n)
{
	int width = 0, shown = 0;

	for (int i = 0; i < n; i++) {
		if (!items[i].shown)
			continue;
		width += tui_text_width(items[i].text, strlen(items[i].text));
		shown++;
	}
	return width + (shown > 1 ? (shown - 1) * (int)strlen(TUI_STR_SEP) : 0);
}

/* Hides items, highest drop rank first, until the rest fit in room. */
static void drop_items(header_item *items, int n, int room)
{
	while (items_width(items, n) > room) {
		int worst = -1;

		for (int i = 0; i < n; i++)
			if (items[i].shown && items[i].drop_rank > 0 &&
			    (worst < 0 || items[i].drop_rank > items[worst].drop_rank))
				worst = i;
		if (worst < 0)
			return;
		items[worst].shown = 0;
	}
}

void tui_header_draw(WINDOW *w, const tui_rect *area, const tui_header *h,
		     const tui_options *opt, int64_t now_ms)
{
	header_item items[ITEMS_MAX];
	char line[ITEMS_MAX * 520], clock[16];
	size_t len = 0;
	int n, clock_w, room, first = 1;

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

	n = header_items(items, h, opt);
	drop_items(items, n, room);
	line[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!items[i].shown)
			continue;
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
					first ? "" : TUI_STR_SEP, items[i].text);
		first = 0;
	}
	tui_text_draw(w, area->y, area->x, room, line, strlen(line), tui_theme_attr(TUI_ROLE_HEADER));
	tui_text_draw(w, area->y, area->x + area->w - clock_w, clock_w, clock, strlen(clock),
		      tui_theme_attr(TUI_ROLE_HEADER));
}

/* Draws the key hints that fit, dropping the least needed first, so
 * "q quit" and "? help" stay on the narrowest screen. */
static void draw_hints(WINDOW *w, const tui_rect *area)
{
	static const struct {
		const char *text;
		int drop_rank;
	} hints[] = {TUI_STATUS_HINTS};
	enum { NHINTS = sizeof hints / sizeof hints[0] };
	int shown[NHINTS];
	char line[256];
	size_t len = 0;
	int width;

	for (int i = 0; i < NHINTS; i++)
		shown[i] = 1;
	for (;;) {
		int worst = -1;

		width = 0;
		for (int i = 0; i < NHINTS; i++)
			if (shown[i])
				width += (width ? (int)strlen(TUI_STR_STATUS_HINT_SEP) : 0) +
					 (int)strlen(hints[i].text);
		if (width <= area->w)
			break;
		for (int i = 0; i < NHINTS; i++)
			if (shown[i] && hints[i].drop_rank > 0 &&
			    (worst < 0 || hints[i].drop_rank > hints[worst].drop_rank))
				worst = i;
		if (worst < 0)
			break;
		shown[worst] = 0;
	}

	line[0] = '\0';
	for (int i = 0; i < NHINTS; i++)
		if (shown[i] && len < sizeof line)
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
						len ? TUI_STR_STATUS_HINT_SEP : "", hints[i].text);
	tui_text_draw(w, area->y, area->x, area->w, line, strlen(line), tui_theme_attr(TUI_ROLE_DIM));
}

void tui_status_draw(WINDOW *w, const tui_rect *area, const tui_header *h, const char *notice)
{
	char line[SL_ERRMSG_MAX + 32];

	if (notice && notice[0]) {
		tui_text_draw(w, area->y, area->x, area->w, notice, strlen(notice),
			      tui_theme_attr(TUI_ROLE_TITLE));
		return;
	}
	if (!h->last_error[0]) {
		draw_hints(w, area);
		return;
	}
	snprintf(line, sizeof line, TUI_STR_STATUS_ERROR_FMT, h->last_error);
	tui_text_draw(w, area->y, area->x, area->w, line, strlen(line), tui_theme_attr(TUI_ROLE_ERROR));
}
