/* listview.c: cursor, scrolling and folding for the event line panes. */
#include "listview.h"

#include <stdlib.h>
#include <string.h>

void tui_list_free(tui_list *l)
{
	free(l->first);
	free(l->count);
	memset(l, 0, sizeof *l);
}

static void add_row(tui_list *l, size_t first)
{
	if (l->nrows == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->first = sl_realloc(l->first, l->cap * sizeof *l->first);
		l->count = sl_realloc(l->count, l->cap * sizeof *l->count);
	}
	l->first[l->nrows] = first;
	l->count[l->nrows] = 1;
	l->nrows++;
}

/* Returns the row holding line index, or the last row. */
static size_t row_of(const tui_list *l, size_t index)
{
	for (size_t r = 0; r < l->nrows; r++) {
		if (index < l->first[r] + l->count[r])
			return r;
	}
	return l->nrows ? l->nrows - 1 : 0;
}

void tui_list_build(tui_list *l, const void *src, tui_list_at_fn at, size_t n)
{
	size_t line = l->nrows && l->cursor < l->nrows ? l->first[l->cursor] : 0;

	l->nrows = 0;
	for (size_t i = 0; i < n; i++) {
		if (l->to_ms > l->from_ms) {
			int64_t ts = at(src, i)->ts_ms;

			if (ts < l->from_ms || ts >= l->to_ms)
				continue;
		}
		if (l->collapse && l->nrows > 0 &&
		    tui_evline_same(at(src, l->first[l->nrows - 1]), at(src, i)))
			l->count[l->nrows - 1]++;
		else
			add_row(l, i);
	}
	l->cursor = row_of(l, line);
}

int tui_list_click(tui_list *l, int offset)
{
	size_t r = l->top + (size_t)offset;

	if (offset < 0 || r >= l->nrows)
		return 0;
	if (r == l->cursor)
		return 2;
	l->cursor = r;
	return 1;
}

void tui_list_to_end(tui_list *l)
{
	l->cursor = l->nrows ? l->nrows - 1 : 0;
}

static int is_error_row(const tui_list *l, size_t r, const void *src, tui_list_at_fn at)
{
	sl_level level = at(src, l->first[r])->level;

	return level == SL_LEVEL_ERROR || level == SL_LEVEL_FATAL;
}

/* Moves the cursor to the next error row in direction dir (+1 down, -1 up).
 * The cursor stays when there is none. */
static void jump_error(tui_list *l, int dir, const void *src, tui_list_at_fn at)
{
	size_t r = l->cursor;

	while (dir > 0 ? r + 1 < l->nrows : r > 0) {
		r = dir > 0 ? r + 1 : r - 1;
		if (is_error_row(l, r, src, at)) {
			l->cursor = r;
			return;
		}
	}
}

int tui_list_key(tui_list *l, int key, int rows, const void *src, tui_list_at_fn at)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;
	size_t last = l->nrows ? l->nrows - 1 : 0;

	switch (key) {
	case 'k':
	case KEY_UP:
		l->cursor = l->cursor > 0 ? l->cursor - 1 : 0;
		break;
	case 'j':
	case KEY_DOWN:
		l->cursor++;
		break;
	case KEY_PPAGE:
		l->cursor = l->cursor > page ? l->cursor - page : 0;
		break;
	case KEY_NPAGE:
		l->cursor += page;
		break;
	case 'g':
	case KEY_HOME:
		l->cursor = 0;
		break;
	case 'G':
	case KEY_END:
		l->cursor = last;
		break;
	case 'e':
		jump_error(l, 1, src, at);
		break;
	case 'E':
		jump_error(l, -1, src, at);
		break;
	default:
		return 0;
	}
	if (l->cursor > last)
		l->cursor = last;
	return 1;
}

const tui_evline *tui_list_selected(const tui_list *l, const void *src, tui_list_at_fn at)
{
	if (l->nrows == 0 || l->cursor >= l->nrows)
		return NULL;
	return at(src, l->first[l->cursor]);
}

void tui_list_draw(WINDOW *w, const tui_rect *area, int y0, int rows, tui_list *l,
		   const void *src, tui_list_at_fn at, int focused, const tui_hl *hl)
{
	if (rows < 1)
		return;
	/* Scroll only as far as needed to keep the cursor on screen. */
	if (l->cursor < l->top)
		l->top = l->cursor;
	if (l->cursor >= l->top + (size_t)rows)
		l->top = l->cursor - (size_t)rows + 1;
	if (l->top + (size_t)rows > l->nrows)
		l->top = l->nrows > (size_t)rows ? l->nrows - (size_t)rows : 0;

	for (int i = 0; i < rows && l->top + (size_t)i < l->nrows; i++) {
		size_t r = l->top + (size_t)i;

		tui_evline_draw(w, area, y0 + i, at(src, l->first[r]), l->count[r],
				focused && r == l->cursor, hl);
	}
}
