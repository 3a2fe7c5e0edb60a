/* results.c: the search results pane. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strings.h"

void tui_results_init(tui_results *r)
{
	memset(r, 0, sizeof *r);
}

static void clear_lines(tui_results *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		tui_evline_clear(&r->lines[i]);
	free(r->lines);
	r->lines = NULL;
	r->nlines = 0;
	r->scroll = 0;
}

void tui_results_free(tui_results *r)
{
	clear_lines(r);
	free(r->query);
	memset(r, 0, sizeof *r);
}

static void set_failed(tui_results *r, const char *query, const char *message)
{
	clear_lines(r);
	free(r->query);
	r->query = sl_strdup(query);
	r->state = TUI_RESULTS_FAILED;
	r->total = 0;
	snprintf(r->message, sizeof r->message, "%s", message);
}

int tui_results_run(tui_results *r, sl_store *store, const char *query, size_t limit,
		    sl_error *err)
{
	sl_search_req req = {query, INT64_MIN, INT64_MAX, limit, sl_now_ms()};
	sl_search_res res;
	int rc;

	memset(err, 0, sizeof *err);
	if (!store || !store->ops || !store->ops->search) {
		set_failed(r, query, TUI_STR_RESULTS_NO_STORE);
		return SL_ERR;
	}

	memset(&res, 0, sizeof res);
	rc = store->ops->search(store, &req, &res, err);
	if (rc == SL_ERR_QUERY) {
		sl_search_res_free(&res);
		return rc;
	}
	if (rc != SL_OK) {
		char msg[SL_ERRMSG_MAX + 32];

		snprintf(msg, sizeof msg, TUI_STR_RESULTS_FAILED_FMT, err->message);
		set_failed(r, query, msg);
		sl_search_res_free(&res);
		return SL_ERR;
	}

	clear_lines(r);
	free(r->query);
	r->query = sl_strdup(query);
	r->state = TUI_RESULTS_OK;
	r->total = res.total;
	r->took_ms = res.took_ms;
	r->lines = sl_calloc(res.nhits ? res.nhits : 1, sizeof *r->lines);
	for (size_t i = 0; i < res.nhits; i++)
		tui_evline_set(&r->lines[i], &res.hits[i]);
	r->nlines = res.nhits;
	sl_search_res_free(&res);
	return SL_OK;
}

int tui_results_key(tui_results *r, int key, int rows)
{
	size_t max_scroll = r->nlines > (size_t)rows ? r->nlines - (size_t)rows : 0;
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;

	switch (key) {
	case 'j':
	case KEY_DOWN:
		r->scroll++;
		break;
	case 'k':
	case KEY_UP:
		r->scroll = r->scroll > 0 ? r->scroll - 1 : 0;
		break;
	case KEY_NPAGE:
		r->scroll += page;
		break;
	case KEY_PPAGE:
		r->scroll = r->scroll > page ? r->scroll - page : 0;
		break;
	case 'g':
	case KEY_HOME:
		r->scroll = 0;
		break;
	case 'G':
	case KEY_END:
		r->scroll = max_scroll;
		break;
	default:
		return 0;
	}
	if (r->scroll > max_scroll)
		r->scroll = max_scroll;
	return 1;
}

static void draw_title(WINDOW *w, const tui_rect *area, const tui_results *r, int focused)
{
	char title[SL_ERRMSG_MAX + 256];

	switch (r->state) {
	case TUI_RESULTS_OK:
		snprintf(title, sizeof title, "%s" TUI_STR_RESULTS_COUNT_FMT, TUI_STR_RESULTS_TITLE,
			 (unsigned long long)r->total, r->query, (long long)r->took_ms, r->nlines);
		break;
	case TUI_RESULTS_FAILED:
		snprintf(title, sizeof title, "%s%s", TUI_STR_RESULTS_TITLE, r->message);
		break;
	default:
		snprintf(title, sizeof title, "%s", TUI_STR_RESULTS_TITLE);
		break;
	}
	tui_text_draw(w, area->y, area->x, area->w, title, strlen(title),
		      tui_theme_attr(focused ? TUI_ROLE_FOCUS : TUI_ROLE_TITLE));
}

void tui_results_draw(WINDOW *w, const tui_rect *area, const tui_results *r, int focused)
{
	int rows = area->h - 1;
	const char *note = NULL;

	if (area->h < 1 || area->w < 1)
		return;
	draw_title(w, area, r, focused);
	if (rows < 1)
		return;

	if (r->state == TUI_RESULTS_NONE)
		note = TUI_STR_RESULTS_NONE;
	else if (r->state == TUI_RESULTS_OK && r->nlines == 0)
		note = TUI_STR_RESULTS_EMPTY;
	if (note) {
		tui_text_draw(w, area->y + 1, area->x, area->w, note, strlen(note),
			      tui_theme_attr(TUI_ROLE_DIM));
		return;
	}

	for (int i = 0; i < rows && r->scroll + (size_t)i < r->nlines; i++)
		tui_evline_draw(w, area, area->y + 1 + i, &r->lines[r->scroll + (size_t)i]);
}
