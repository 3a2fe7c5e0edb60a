/* detail.c: the event detail view. */
#include "detail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strings.h"

/* Columns of the label before each value. */
#define LABEL_COLS 13

/* The value offset of a detail line and the field whose query terms are
 * marked in it. */
struct tui_detail_mark {
	size_t value_at;   /* byte offset of the value in the line */
	const char *field; /* NULL for full-text terms; points into ev */
	int marked;        /* 0 for lines no term applies to (id, time, level) */
};

static void push_line(tui_detail *d, char *line, size_t value_at, const char *field, int marked)
{
	d->lines = sl_realloc(d->lines, (d->nlines + 1) * sizeof *d->lines);
	d->marks = sl_realloc(d->marks, (d->nlines + 1) * sizeof *d->marks);
	d->marks[d->nlines] = (struct tui_detail_mark){value_at, field, marked};
	d->lines[d->nlines++] = line;
}

/* Returns the bytes of s (n bytes) that fit in cols columns, at least one
 * whole character so that wrapping always advances. */
static size_t fit_bytes(const char *s, size_t n, int cols)
{
	size_t i = 0;
	int used = 0;

	while (i < n) {
		size_t len = 1;

		while (i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
			len++;
		used += tui_text_width(s + i, len);
		if (used > cols && i > 0)
			break;
		i += len;
	}
	return i;
}

/* Adds one text line of value, wrapped to the view width; the label goes on
 * the first row only. */
static void add_wrapped(tui_detail *d, const char *label, const char *s, size_t n,
			const char *field, int marked)
{
	int cols = d->width - LABEL_COLS > 10 ? d->width - LABEL_COLS : 10;

	do {
		size_t take = fit_bytes(s, n, cols);
		sl_buf b;

		sl_buf_init(&b);
		sl_buf_printf(&b, "%-*s", LABEL_COLS - 1, label);
		sl_buf_putc(&b, ' ');

		size_t value_at = b.len;

		sl_buf_append(&b, s, take);
		push_line(d, sl_buf_steal(&b), value_at, field, marked);
		label = "";
		s += take;
		n -= take;
	} while (n > 0);
}

/* Adds value split at newlines, so a multi-line message or record shows
 * every line; continuation lines get an empty label. */
static void add_text(tui_detail *d, const char *label, const char *value, const char *field,
		     int marked)
{
	const char *s = value ? value : "";

	do {
		size_t n = strcspn(s, "\n");

		add_wrapped(d, label, s, n, field, marked);
		label = "";
		s += n;
		if (*s == '\n')
			s++;
	} while (*s);
}

static void free_lines(tui_detail *d)
{
	for (size_t i = 0; i < d->nlines; i++)
		free(d->lines[i]);
	free(d->lines);
	free(d->marks);
	d->lines = NULL;
	d->marks = NULL;
	d->nlines = 0;
}

/* Builds the lines of d->ev wrapped to width columns. */
static void build_lines(tui_detail *d, int width)
{
	const sl_event *ev = &d->ev;
	char when[SL_TIME_STRLEN];

	free_lines(d);
	d->width = width;
	sl_format_time(ev->ts_ms, when, sizeof when);
	add_text(d, TUI_STR_DETAIL_ID, ev->id, NULL, 0);
	add_text(d, TUI_STR_DETAIL_TIME, when, NULL, 0);
	add_text(d, TUI_STR_DETAIL_LEVEL, sl_level_name(ev->level), NULL, 0);
	add_text(d, TUI_STR_DETAIL_SERVICE, ev->service, "service", 1);
	add_text(d, TUI_STR_DETAIL_HOST, ev->host, "host", 1);
	add_text(d, TUI_STR_DETAIL_MESSAGE, ev->message, NULL, 1);
	for (size_t i = 0; i < ev->nfields; i++)
		add_text(d, ev->fields[i].key, ev->fields[i].value, ev->fields[i].key, 1);
	add_text(d, "", "", NULL, 0);
	add_text(d, TUI_STR_DETAIL_RAW, ev->raw, NULL, 1);
}

void tui_detail_open(tui_detail *d, const sl_event *ev)
{
	tui_detail_close(d);
	sl_event_copy(&d->ev, ev);
	d->open = 1;
}

void tui_detail_close(tui_detail *d)
{
	free_lines(d);
	sl_event_clear(&d->ev);
	memset(d, 0, sizeof *d);
}

int tui_detail_key(tui_detail *d, int key, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;
	size_t max_top = d->nlines > (size_t)rows ? d->nlines - (size_t)rows : 0;

	switch (key) {
	case 'j':
	case KEY_DOWN:
		d->top++;
		break;
	case 'k':
	case KEY_UP:
		d->top = d->top > 0 ? d->top - 1 : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		d->top += page;
		break;
	case KEY_PPAGE:
		d->top = d->top > page ? d->top - page : 0;
		break;
	case 'g':
	case KEY_HOME:
		d->top = 0;
		break;
	case 'G':
	case KEY_END:
		d->top = max_top;
		break;
	default:
		return 0;
	}
	if (d->top > max_top)
		d->top = max_top;
	return 1;
}

void tui_detail_draw(WINDOW *w, const tui_rect *area, tui_detail *d, const tui_hl *hl)
{
	static tui_hl_ranges ranges;
	int rows = area->h - 1;

	if (area->h < 1 || area->w < 1)
		return;
	if (d->width != area->w)
		build_lines(d, area->w);
	tui_text_draw(w, area->y, area->x, area->w, TUI_STR_DETAIL_TITLE,
		      strlen(TUI_STR_DETAIL_TITLE), tui_theme_attr(TUI_ROLE_FOCUS));
	if (d->top + (size_t)rows > d->nlines)
		d->top = d->nlines > (size_t)rows ? d->nlines - (size_t)rows : 0;
	for (int i = 0; i < rows && d->top + (size_t)i < d->nlines; i++) {
		const char *s = d->lines[d->top + (size_t)i];
		const struct tui_detail_mark *m = &d->marks[d->top + (size_t)i];
		int y = area->y + 1 + i;
		int used;

		if (!m->marked || !hl) {
			tui_text_draw(w, y, area->x, area->w, s, strlen(s), A_NORMAL);
			continue;
		}
		/* A wrapped value is searched one screen line at a time, so a
		 * phrase cut by the wrap is not marked. */
		tui_marks marks = tui_hl_find(hl, m->field, s + m->value_at, strlen(s + m->value_at),
					      &ranges, tui_theme_attr(TUI_ROLE_MATCH));

		used = tui_text_draw(w, y, area->x, area->w, s, m->value_at, A_NORMAL);
		tui_text_draw_marked(w, y, area->x + used, area->w - used, s + m->value_at,
				     strlen(s + m->value_at), A_NORMAL, &marks);
	}
}
