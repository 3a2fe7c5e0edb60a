/* tail.c: the live tail pane. */
#include "tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
}

static const tui_evline *line_at(const tui_tail *t, size_t i)
{
	return &t->lines[(t->head + i) % t->cap];
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
		t->scroll = 0;
}

int tui_tail_key(tui_tail *t, int key, int rows)
{
	size_t max_scroll = t->count > (size_t)rows ? t->count - (size_t)rows : 0;
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;

	switch (key) {
	case 'k':
	case KEY_UP:
		t->scroll++;
		break;
	case 'j':
	case KEY_DOWN:
		t->scroll = t->scroll > 0 ? t->scroll - 1 : 0;
		break;
	case KEY_PPAGE:
		t->scroll += page;
		break;
	case KEY_NPAGE:
		t->scroll = t->scroll > page ? t->scroll - page : 0;
		break;
	case 'g':
	case KEY_HOME:
		t->scroll = max_scroll;
		break;
	case 'G':
	case KEY_END:
		/* The bottom is where following resumes. */
		t->scroll = 0;
		t->paused = 0;
		return 1;
	default:
		return 0;
	}
	if (t->scroll > max_scroll)
		t->scroll = max_scroll;
	if (t->scroll > 0)
		t->paused = 1;
	return 1;
}

static void draw_title(WINDOW *w, const tui_rect *area, const tui_tail *t, sl_hot *hot, int focused)
{
	char title[160];
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

	tui_text_draw(w, area->y, area->x, area->w, title, strlen(title),
		      tui_theme_attr(focused ? TUI_ROLE_FOCUS : TUI_ROLE_TITLE));
}

void tui_tail_draw(WINDOW *w, const tui_rect *area, const tui_tail *t, sl_hot *hot, int focused)
{
	int rows = area->h - 1;
	size_t end, first;

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

	end = t->scroll < t->count ? t->count - t->scroll : 0;
	first = end > (size_t)rows ? end - (size_t)rows : 0;
	for (size_t i = first; i < end; i++)
		tui_evline_draw(w, area, area->y + 1 + (int)(i - first), line_at(t, i));
}
