/* results.c: the search results pane. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/query.h"
#include "aggview.h"
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
	r->list.cursor = 0;
	r->list.top = 0;
	r->list.nrows = 0;
	sl_agg_res_free(&r->agg);
	memset(&r->agg, 0, sizeof r->agg);
	r->agg_top = 0;
	tui_hl_free(&r->hl);
}

static const tui_evline *line_at(const void *src, size_t i)
{
	const tui_results *r = src;

	return &r->lines[i];
}

void tui_results_free(tui_results *r)
{
	clear_lines(r);
	tui_list_free(&r->list);
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

/* Runs the aggregation after the '|' of query. Returns as tui_results_run. */
static int run_aggregation(tui_results *r, sl_store *store, const sl_search_req *req,
			   sl_error *err)
{
	const char *query = req->query;
	sl_agg_res res;
	int rc;

	if (!store->ops->aggregate) {
		set_failed(r, query, TUI_STR_RESULTS_NO_AGG);
		return SL_ERR;
	}
	memset(&res, 0, sizeof res);
	rc = store->ops->aggregate(store, req, &res, err);
	if (rc == SL_ERR_QUERY) {
		sl_agg_res_free(&res);
		return rc;
	}
	if (rc != SL_OK) {
		char msg[SL_ERRMSG_MAX + 32];

		snprintf(msg, sizeof msg, TUI_STR_RESULTS_FAILED_FMT, err->message);
		set_failed(r, query, msg);
		sl_agg_res_free(&res);
		return SL_ERR;
	}

	clear_lines(r);
	free(r->query);
	r->query = sl_strdup(query);
	r->state = TUI_RESULTS_AGG;
	r->total = res.total;
	r->took_ms = res.took_ms;
	r->agg = res;
	return SL_OK;
}

int tui_results_run(tui_results *r, sl_store *store, const char *query, size_t limit,
		    int64_t from_ms, int64_t to_ms, sl_error *err)
{
	sl_search_req req = {query, from_ms, to_ms, limit, sl_now_ms()};
	sl_search_res res;
	int rc;

	memset(err, 0, sizeof *err);
	if (!store || !store->ops || !store->ops->search) {
		set_failed(r, query, TUI_STR_RESULTS_NO_STORE);
		return SL_ERR;
	}

	if (sl_query_has_pipe(query))
		return run_aggregation(r, store, &req, err);
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
	r->from_ms = from_ms;
	r->to_ms = to_ms;
	r->lines = sl_calloc(res.nhits ? res.nhits : 1, sizeof *r->lines);
	for (size_t i = 0; i < res.nhits; i++)
		tui_evline_set(&r->lines[i], &res.hits[i]);
	r->nlines = res.nhits;
	r->first_page = res.nhits;
	tui_hl_set(&r->hl, query);
	tui_list_build(&r->list, r, line_at, r->nlines);
	sl_search_res_free(&res);
	return SL_OK;
}

int tui_results_key(tui_results *r, int key, int rows)
{
	if (r->state == TUI_RESULTS_AGG)
		return tui_agg_key(&r->agg, &r->agg_top, key, rows);
	return tui_list_key(&r->list, key, rows, r, line_at);
}

void tui_results_toggle_collapse(tui_results *r)
{
	r->list.collapse = !r->list.collapse;
	tui_list_build(&r->list, r, line_at, r->nlines);
}

int tui_results_at_end(const tui_results *r)
{
	return r->state == TUI_RESULTS_OK && r->nlines > 0 && r->nlines < r->total &&
	       r->list.cursor + 1 >= r->list.nrows;
}

/* Returns 1 when one of the n hits before index end has the id. */
static int shown_before(const tui_results *r, size_t end, size_t n, const char *id)
{
	for (size_t i = end - n; i < end; i++)
		if (strcmp(r->lines[i].ev.id, id) == 0)
			return 1;
	return 0;
}

int tui_results_more(tui_results *r, sl_store *store, size_t page, sl_error *err)
{
	sl_search_req req;
	sl_search_res res;
	int64_t oldest;
	size_t ties = 0;
	int added = 0;

	memset(err, 0, sizeof *err);
	if (!tui_results_at_end(r) || !store || !store->ops->search)
		return 0;

	/* Hits come newest first, so the next page ends at the oldest hit's
	 * time (the bound is inclusive). The hits shown with that same
	 * timestamp come back again and are skipped by id. */
	oldest = r->lines[r->nlines - 1].ts_ms;
	while (ties < r->nlines && r->lines[r->nlines - 1 - ties].ts_ms == oldest)
		ties++;
	req = (sl_search_req){r->query, r->from_ms, oldest, page + ties, sl_now_ms()};
	memset(&res, 0, sizeof res);
	if (store->ops->search(store, &req, &res, err) != SL_OK) {
		sl_search_res_free(&res);
		return -1;
	}

	size_t before = r->nlines;

	r->lines = sl_realloc(r->lines, (r->nlines + res.nhits + 1) * sizeof *r->lines);
	for (size_t i = 0; i < res.nhits; i++) {
		if (res.hits[i].ts_ms == oldest && shown_before(r, before, ties, res.hits[i].id))
			continue;
		memset(&r->lines[r->nlines], 0, sizeof r->lines[r->nlines]);
		tui_evline_set(&r->lines[r->nlines++], &res.hits[i]);
		added++;
	}
	/* The store may hold fewer matches than counted when the query ran
	 * (retention deleted some), so a page that adds nothing ends paging. */
	if (r->nlines == before)
		r->total = r->nlines;
	tui_list_build(&r->list, r, line_at, r->nlines);
	sl_search_res_free(&res);
	return added;
}

int tui_results_unmoved(const tui_results *r)
{
	if (r->state == TUI_RESULTS_AGG)
		return r->agg_top == 0;
	return r->state == TUI_RESULTS_OK && r->list.cursor == 0 && r->list.top == 0 &&
	       r->nlines <= r->first_page;
}

int tui_results_click(tui_results *r, int offset)
{
	if (r->state != TUI_RESULTS_OK)
		return 0;
	return tui_list_click(&r->list, offset);
}

void tui_results_scroll(tui_results *r, int lines, int rows)
{
	int key = lines < 0 ? KEY_UP : KEY_DOWN;

	for (int i = 0; i < abs(lines); i++)
		tui_results_key(r, key, rows);
}

const tui_evline *tui_results_selected(const tui_results *r)
{
	if (r->state != TUI_RESULTS_OK)
		return NULL;
	return tui_list_selected(&r->list, r, line_at);
}

/* Writes the aggregation as the query names it: "count by service",
 * "top 5 host", "timechart 1m by level". */
static void describe_agg(const sl_agg_req *req, char *out, size_t outlen)
{
	static const struct {
		int64_t ms;
		char unit;
	} units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};
	char span[32] = "";

	switch (req->kind) {
	case SL_AGG_COUNT_BY:
		snprintf(out, outlen, "count by %s", req->field);
		break;
	case SL_AGG_TOP:
		snprintf(out, outlen, "top %zu %s", req->n, req->field);
		break;
	case SL_AGG_TIMECHART:
		for (size_t i = 0; i < sizeof units / sizeof units[0] && !span[0]; i++)
			if (req->span_ms > 0 && req->span_ms % units[i].ms == 0)
				snprintf(span, sizeof span, "%lld%c",
					 (long long)(req->span_ms / units[i].ms), units[i].unit);
		if (!span[0])
			snprintf(span, sizeof span, "%lldms", (long long)req->span_ms);
		snprintf(out, outlen, "timechart %s%s%s", span, req->field[0] ? " by " : "",
			 req->field);
		break;
	default:
		snprintf(out, outlen, "%s", sl_agg_kind_name(req->kind));
		break;
	}
}

static void draw_title(WINDOW *w, const tui_rect *area, const tui_results *r, int focused)
{
	char title[SL_ERRMSG_MAX + 512], agg[SL_AGG_FIELD_MAX + 64];
	size_t len;

	switch (r->state) {
	case TUI_RESULTS_OK:
		snprintf(title, sizeof title, "%s" TUI_STR_RESULTS_COUNT_FMT, TUI_STR_RESULTS_TITLE,
			 (unsigned long long)r->total, r->query, (long long)r->took_ms, r->nlines);
		len = strlen(title);
		if (r->nlines < r->total)
			snprintf(title + len, sizeof title - len, "%s", TUI_STR_RESULTS_MORE);
		break;
	case TUI_RESULTS_AGG:
		describe_agg(&r->agg.req, agg, sizeof agg);
		snprintf(title, sizeof title, "%s" TUI_STR_RESULTS_AGG_FMT, TUI_STR_RESULTS_TITLE,
			 agg, (unsigned long long)r->total, r->query, (long long)r->took_ms);
		break;
	case TUI_RESULTS_FAILED:
		snprintf(title, sizeof title, "%s%s", TUI_STR_RESULTS_TITLE, r->message);
		break;
	default:
		snprintf(title, sizeof title, "%s", TUI_STR_RESULTS_TITLE);
		break;
	}
	len = strlen(title);
	if (r->list.collapse && r->state == TUI_RESULTS_OK)
		snprintf(title + len, sizeof title - len, "%s", TUI_STR_COLLAPSED);
	tui_text_draw(w, area->y, area->x, area->w, title, strlen(title),
		      tui_theme_attr(focused ? TUI_ROLE_FOCUS : TUI_ROLE_TITLE));
}

void tui_results_draw(WINDOW *w, const tui_rect *area, tui_results *r, int focused)
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
	if (r->state == TUI_RESULTS_AGG) {
		tui_rect body = {area->y + 1, area->x, rows, area->w};

		tui_agg_draw(w, &body, &r->agg, &r->agg_top);
		return;
	}
	if (note) {
		tui_text_draw(w, area->y + 1, area->x, area->w, note, strlen(note),
			      tui_theme_attr(TUI_ROLE_DIM));
		return;
	}

	tui_list_draw(w, area, area->y + 1, rows, &r->list, r, line_at, focused, &r->hl);
}
