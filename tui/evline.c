/* evline.c: formatting one event as a dashboard line. */
#include "evline.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "strings.h"

/* Bytes of the message kept per line, more than a screen row can show. */
#define EVLINE_TEXT_MAX 1024
#define SERVICE_COLS 14

void tui_evline_set(tui_evline *line, const sl_event *ev)
{
	const char *msg = ev->message ? ev->message : "";
	size_t n = strcspn(msg, "\n");

	if (n > EVLINE_TEXT_MAX)
		n = EVLINE_TEXT_MAX;
	line->ts_ms = ev->ts_ms;
	line->level = ev->level;
	line->service = sl_strdup(ev->service ? ev->service : "");
	line->text = sl_strndup(msg, n);
	sl_event_init(&line->ev);
	sl_event_copy(&line->ev, ev);
}

void tui_evline_clear(tui_evline *line)
{
	free(line->service);
	free(line->text);
	sl_event_clear(&line->ev);
	memset(line, 0, sizeof *line);
}

void tui_format_clock(int64_t ms, int with_seconds, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&secs, &tm)) {
		snprintf(out, outlen, "--:--");
		return;
	}
	strftime(out, outlen, with_seconds ? "%H:%M:%S" : "%H:%M", &tm);
}

/* Returns the fixed five-letter level label. */
static const char *level_label(sl_level level)
{
	static const char *const labels[SL_LEVEL_COUNT] = {
		"-----", "TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "FATAL",
	};

	if ((unsigned)level >= SL_LEVEL_COUNT)
		return labels[SL_LEVEL_UNKNOWN];
	return labels[level];
}

int tui_evline_same(const tui_evline *a, const tui_evline *b)
{
	return a->level == b->level && strcmp(a->service, b->service) == 0 &&
	       strcmp(a->text, b->text) == 0;
}

void tui_evline_draw(WINDOW *w, const tui_rect *area, int y, const tui_evline *line,
		     size_t repeats, int selected, const tui_hl *hl)
{
	static tui_hl_ranges ranges;
	attr_t match = tui_theme_attr(TUI_ROLE_MATCH);
	tui_marks marks;
	attr_t sel = selected ? A_REVERSE : A_NORMAL;
	char clock[16], mark[32];
	int x = area->x;
	int end = area->x + area->w;
	int used;

	if (selected) {
		wattr_on(w, A_REVERSE, NULL);
		mvwhline(w, y, area->x, ' ', area->w);
		wattr_off(w, A_REVERSE, NULL);
	}
	tui_format_clock(line->ts_ms, 1, clock, sizeof clock);
	used = tui_text_draw(w, y, x, end - x, clock, strlen(clock), sel);
	x += used + 1;

	if (x < end) {
		const char *label = level_label(line->level);

		used = tui_text_draw(w, y, x, end - x, label, strlen(label),
				     tui_theme_level(line->level) | sel);
		x += used + 1;
	}

	if (x < end) {
		int cols = end - x < SERVICE_COLS ? end - x : SERVICE_COLS;

		marks = tui_hl_find(hl, "service", line->service, strlen(line->service), &ranges,
				    match);
		tui_text_draw_marked(w, y, x, cols, line->service, strlen(line->service),
				     tui_theme_attr(TUI_ROLE_DIM) | sel, &marks);
		x += cols + 1;
	}

	if (x < end && repeats > 1) {
		snprintf(mark, sizeof mark, TUI_STR_REPEAT_FMT, repeats);
		x += tui_text_draw(w, y, x, end - x, mark, strlen(mark),
				   tui_theme_attr(TUI_ROLE_TITLE) | sel);
	}
	if (x < end) {
		marks = tui_hl_find(hl, NULL, line->text, strlen(line->text), &ranges, match);
		tui_text_draw_marked(w, y, x, end - x, line->text, strlen(line->text), sel, &marks);
	}
}
