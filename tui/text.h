/* text.h: display-width safe drawing of untrusted UTF-8 text, colours and
 * the rectangle type the panes draw into. */
#ifndef TUI_TEXT_H
#define TUI_TEXT_H

#include <stddef.h>

#include <curses.h>

#include "../src/event.h"

/* A screen area: top row, left column, height and width in cells. */
typedef struct tui_rect {
	int y, x, h, w;
} tui_rect;

/* Colour roles, each mapped to a curses attribute. */
enum tui_role {
	TUI_ROLE_NORMAL,
	TUI_ROLE_HEADER,
	TUI_ROLE_TITLE,
	TUI_ROLE_FOCUS,
	TUI_ROLE_ERROR,
	TUI_ROLE_WARN,
	TUI_ROLE_INFO,
	TUI_ROLE_DIM,
	TUI_ROLE_MATCH, /* a query term found in a line */
	TUI_ROLE_COUNT
};

/* Sets up colour pairs when use_color is set and the terminal has colours.
 * Otherwise every role uses plain attributes. */
void tui_theme_init(int use_color);
attr_t tui_theme_attr(enum tui_role role);
attr_t tui_theme_level(sl_level level);

/* Draws at most n bytes of s (stopping at a newline) at (y, x), using at most
 * maxw columns. Control characters, invalid bytes and the invisible
 * bidirectional and zero-width formatting characters are shown as '?', a
 * tab or CR as one space, and wide characters never split. Returns the
 * columns used. */
int tui_text_draw(WINDOW *w, int y, int x, int maxw, const char *s, size_t n, attr_t attr);
/* Byte ranges [start, end) of a string drawn with an extra attribute,
 * sorted by start and not overlapping. */
typedef struct tui_marks {
	const size_t *start, *end;
	size_t n;
	attr_t attr;
} tui_marks;

/* Draws like tui_text_draw, adding marks->attr to every character whose
 * first byte lies in a range of marks (NULL draws no marks). A character is
 * marked whole, so a wide character is never split. */
int tui_text_draw_marked(WINDOW *w, int y, int x, int maxw, const char *s, size_t n, attr_t attr,
			 const tui_marks *marks);
/* Returns the display width tui_text_draw would give the first n bytes. */
int tui_text_width(const char *s, size_t n);

#endif
