/* tail.c: the live tail pane. */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "strings.h"

/* Events copied from the hot store per sl_hot_since call. */
#define POLL_BATCH 256

void tui_tail_init(tui_tail *t, size_t cap)
{
	memset(t, 0, sizeof *t);
	t->cap = cap ? cap : 1;
	t->lines = sl_calloc(t->cap, sizeof *t->lines);
}

void tui_tail_free(tui_tail *t)
{
	for (size_t i = 0; i < t->cap; i++)
		tui_evline_clear(&t->lines[i]);
	free(t->lines);
	tui_list_free(&t->list);
	memset(t, 0, sizeof *t);
}

/* Appends one event as the newest line, dropping the oldest when full. */
static void push_line(tui_tail *t, const sl_event *ev)
{
	size_t slot;

	if (t->count == t->cap) {
		slot = t->head;
		t->head = (t->head + 1) % t->cap;
	} else {
		slot = (t->head + t->count) % t->cap;
		t->count++;
	}
	tui_evline_clear(&t->lines[slot]);
	tui_evline_set(&t->lines[slot], ev);
	tui_complete_note(ev);
}

static const tui_evline *line_at(const void *src, size_t i)
{
	const tui_tail *t = src;

	return &t->lines[(t->head + i) % t->cap];
}

/* Rebuilds the rows; a followed tail keeps its cursor on the newest line. */
static void sync_list(tui_tail *t)
{
	tui_list_build(&t->list, t, line_at, t->count);
	if (!t->paused)
		tui_list_to_end(&t->list);
}

static sl_event *new_events(size_t n)
{
	sl_event *evs = sl_calloc(n, sizeof *evs);

	for (size_t i = 0; i < n; i++)
		sl_event_init(&evs[i]);
	return evs;
}

static void free_events(sl_event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
	free(evs);
}

/* Reads the newest events with sl_hot_latest. The sequence number is taken
 * before and after, and the read repeated while events arrive in between, so
 * last_seq matches exactly the newest line. Returns 0 when events arrived
 * during every attempt. */
static int load_backlog(tui_tail *t, sl_hot *hot)
{
	sl_event *evs = new_events(t->cap);
	int settled = 0;

	for (int attempt = 0; attempt < 3 && !settled; attempt++) {
		uint64_t before = sl_hot_seq(hot);
		size_t n = sl_hot_latest(hot, t->cap, evs);

		if (sl_hot_seq(hot) == before) {
			for (size_t i = n; i > 0; i--)
				push_line(t, &evs[i - 1]);
			t->last_seq = before;
			settled = 1;
		}
		for (size_t i = 0; i < n; i++)
			sl_event_clear(&evs[i]);
	}
	free_events(evs, t->cap);
	return settled;
}

/* Reads events after last_seq, oldest first, until none is left. */
static int read_since(tui_tail *t, sl_hot *hot)
{
	sl_event *evs = new_events(POLL_BATCH);
	int changed = 0;
	size_t n;

	do {
		uint64_t gap = 0;

		n = sl_hot_since(hot, t->last_seq, evs, POLL_BATCH, &t->last_seq, &gap);
		t->skipped += gap;
		for (size_t i = 0; i < n; i++) {
			push_line(t, &evs[i]);
			sl_event_clear(&evs[i]);
		}
		if (n > 0 || gap > 0)
			changed = 1;
	} while (n == POLL_BATCH);
	free_events(evs, POLL_BATCH);
	return changed;
}

int tui_tail_poll(tui_tail *t, sl_hot *hot)
{
	if (!hot || t->paused)
		return 0;
	if (!t->loaded) {
		t->loaded = 1;
		if (load_backlog(t, hot))
			return 1;
		/* Events kept arriving: start from what the ring still holds. */
		uint64_t seq = sl_hot_seq(hot);

		t->last_seq = seq > t->cap ? seq - t->cap : 0;
	}
	return read_since(t, hot);
}

void tui_tail_toggle_pause(tui_tail *t)
{
	t->paused = !t->paused;
	if (!t->paused)
		t->skipped = 0;
	sync_list(t);
}

void tui_tail_toggle_collapse(tui_tail *t)
{
	t->list.collapse = !t->list.collapse;
	sync_list(t);
}

int tui_tail_key(tui_tail *t, int key, int rows)
{
	sync_list(t);
	if (!tui_list_key(&t->list, key, rows, t, line_at))
		return 0;
	/* Following again from the newest line acknowledges the gap. */
	if (key == 'G' || key == KEY_END) {
		t->paused = 0;
		t->skipped = 0;
	}
	else if (t->list.nrows > 0 && t->list.cursor + 1 < t->list.nrows)
		t->paused = 1;
	return 1;
}

int tui_tail_click(tui_tail *t, int offset)
{
	int rc;

	sync_list(t);
	rc = tui_list_click(&t->list, offset);
	if (rc == 1 && t->list.cursor + 1 < t->list.nrows)
		t->paused = 1;
	return rc;
}

void tui_tail_scroll(tui_tail *t, int lines, int rows)
{
	int key = lines < 0 ? KEY_UP : KEY_DOWN;

	for (int i = 0; i < abs(lines); i++)
		tui_tail_key(t, key, rows);
}

void tui_tail_set_window(tui_tail *t, int64_t from_ms, int64_t to_ms)
{
	t->list.from_ms = from_ms;
	t->list.to_ms = to_ms;
	sync_list(t);
}

const tui_evline *tui_tail_selected(tui_tail *t)
{
	sync_list(t);
	return tui_list_selected(&t->list, t, line_at);
}

static void draw_title(WINDOW *w, const tui_rect *area, const tui_tail *t, sl_hot *hot, int focused)
{
	char title[200];
	size_t len;

	len = (size_t)snprintf(title, sizeof title, "%s", TUI_STR_TAIL_TITLE);
	if (t->paused) {
		uint64_t seq = hot ? sl_hot_seq(hot) : t->last_seq;
		unsigned long long pending = seq > t->last_seq ? seq - t->last_seq : 0;

		snprintf(title + len, sizeof title - len, TUI_STR_TAIL_PAUSED_FMT, pending);
	} else {
		snprintf(title + len, sizeof title - len, "%s", TUI_STR_TAIL_FOLLOW);
	}
	len = strlen(title);
	if (t->skipped > 0)
		snprintf(title + len, sizeof title - len, TUI_STR_TAIL_GAP_FMT,
			 (unsigned long long)t->skipped);
	len = strlen(title);
	if (t->list.collapse)
		snprintf(title + len, sizeof title - len, "%s", TUI_STR_COLLAPSED);

	tui_text_draw(w, area->y, area->x, area->w, title, strlen(title),
		      tui_theme_attr(focused ? TUI_ROLE_FOCUS : TUI_ROLE_TITLE));
}

void tui_tail_draw(WINDOW *w, const tui_rect *area, tui_tail *t, sl_hot *hot, int focused)
{
	int rows = area->h - 1;

	if (area->h < 1 || area->w < 1)
		return;
	draw_title(w, area, t, hot, focused);
	if (rows < 1)
		return;
	if (t->count == 0) {
		tui_text_draw(w, area->y + 1, area->x, area->w, TUI_STR_TAIL_EMPTY,
			      strlen(TUI_STR_TAIL_EMPTY), tui_theme_attr(TUI_ROLE_DIM));
		return;
	}

	sync_list(t);
	if (t->list.nrows == 0 && t->list.to_ms > t->list.from_ms) {
		char from[16], to[16], note[160];

		tui_format_clock(t->list.from_ms, 0, from, sizeof from);
		tui_format_clock(t->list.to_ms, 0, to, sizeof to);
		snprintf(note, sizeof note, TUI_STR_TAIL_NOT_IN_RANGE_FMT, from, to);
		tui_text_draw(w, area->y + 1, area->x, area->w, note, strlen(note),
			      tui_theme_attr(TUI_ROLE_DIM));
		return;
	}
	tui_list_draw(w, area, area->y + 1, rows, &t->list, t, line_at, focused, NULL);
}
