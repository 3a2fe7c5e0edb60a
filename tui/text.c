/* text.c: drawing untrusted text by display width, and the colour theme. */
#include "text.h"

#include <string.h>
#include <wchar.h>

enum {
	PAIR_HEADER = 1,
	PAIR_ERROR,
	PAIR_WARN,
	PAIR_INFO,
	PAIR_DIM,
	PAIR_FOCUS,
	PAIR_MATCH,
};

static attr_t role_attrs[TUI_ROLE_COUNT];

void tui_theme_init(int use_color)
{
	role_attrs[TUI_ROLE_NORMAL] = A_NORMAL;
	role_attrs[TUI_ROLE_HEADER] = A_REVERSE;
	role_attrs[TUI_ROLE_TITLE] = A_BOLD;
	role_attrs[TUI_ROLE_FOCUS] = A_BOLD | A_REVERSE;
	role_attrs[TUI_ROLE_ERROR] = A_BOLD;
	role_attrs[TUI_ROLE_WARN] = A_NORMAL;
	role_attrs[TUI_ROLE_INFO] = A_NORMAL;
	role_attrs[TUI_ROLE_DIM] = A_DIM;
	/* Reverse video and underline show a match on a monochrome terminal,
	 * also inside the reverse-video cursor row, where reverse cancels. */
	role_attrs[TUI_ROLE_MATCH] = A_BOLD | A_REVERSE | A_UNDERLINE;

	if (!use_color || !has_colors() || start_color() == ERR)
		return;

	/* -1 keeps the terminal's own background where the terminal allows it. */
	short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;

	init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_ERROR, COLOR_RED, bg);
	init_pair(PAIR_WARN, COLOR_YELLOW, bg);
	init_pair(PAIR_INFO, COLOR_GREEN, bg);
	init_pair(PAIR_DIM, COLOR_BLUE, bg);
	init_pair(PAIR_FOCUS, COLOR_BLACK, COLOR_YELLOW);
	role_attrs[TUI_ROLE_HEADER] = COLOR_PAIR(PAIR_HEADER);
	role_attrs[TUI_ROLE_FOCUS] = COLOR_PAIR(PAIR_FOCUS) | A_BOLD;
	role_attrs[TUI_ROLE_ERROR] = COLOR_PAIR(PAIR_ERROR) | A_BOLD;
	role_attrs[TUI_ROLE_WARN] = COLOR_PAIR(PAIR_WARN) | A_BOLD;
	role_attrs[TUI_ROLE_INFO] = COLOR_PAIR(PAIR_INFO);
	role_attrs[TUI_ROLE_DIM] = COLOR_PAIR(PAIR_DIM);
	init_pair(PAIR_MATCH, COLOR_BLACK, COLOR_YELLOW);
	role_attrs[TUI_ROLE_MATCH] = COLOR_PAIR(PAIR_MATCH) | A_BOLD | A_UNDERLINE;

	/* 256-colour terminals get softer shades: grey for dim text, a dark
	 * blue header, orange warnings. The 8-colour pairs stay otherwise. */
	if (COLORS >= 256 && COLOR_PAIRS > PAIR_MATCH) {
		init_pair(PAIR_HEADER, 255, 24);
		init_pair(PAIR_WARN, 214, bg);
		init_pair(PAIR_DIM, 244, bg);
		init_pair(PAIR_INFO, 114, bg);
	}
}

attr_t tui_theme_attr(enum tui_role role)
{
	if ((unsigned)role >= TUI_ROLE_COUNT)
		return A_NORMAL;
	return role_attrs[role];
}

attr_t tui_theme_level(sl_level level)
{
	switch (level) {
	case SL_LEVEL_FATAL:
	case SL_LEVEL_ERROR:
		return role_attrs[TUI_ROLE_ERROR];
	case SL_LEVEL_WARN:
		return role_attrs[TUI_ROLE_WARN];
	case SL_LEVEL_INFO:
		return role_attrs[TUI_ROLE_INFO];
	case SL_LEVEL_DEBUG:
	case SL_LEVEL_TRACE:
		return role_attrs[TUI_ROLE_DIM];
	default:
		return role_attrs[TUI_ROLE_NORMAL];
	}
}

/* One decoded character: its byte length, its width, and the ASCII
 * character shown in place of its own bytes (0 to show them). */
typedef struct glyph {
	size_t len;
	int width;
	char replace;
} glyph;

/* Returns 1 for the invisible formatting characters that reorder or join
 * the text around them. These are the bidirectional embeddings, overrides,
 * isolates and marks, zero-width spaces and joiners, the invisible math
 * operators, the byte order mark, the line and paragraph separators and
 * the interlinear annotation marks. Sent raw, they could make a line read
 * differently from its bytes or reach into the next pane. */
static int is_format_char(wchar_t wc)
{
	return wc == 0x061c || wc == 0x180e || (wc >= 0x200b && wc <= 0x200f) ||
	       (wc >= 0x2028 && wc <= 0x202e) || (wc >= 0x2060 && wc <= 0x2069) || wc == 0xfeff ||
	       (wc >= 0xfff9 && wc <= 0xfffb);
}

/* Decodes the character at s (n > 0 bytes left). Control characters (C0, DEL,
 * C1), invalid or truncated sequences, unprintable characters and the
 * formatting characters above are shown as '?', so no escape sequence or
 * reordering ever reaches the terminal. A tab or a carriage return is shown
 * as one space. Tab stops would depend on where the text starts on screen,
 * and a CR before the newline of a CRLF line stays invisible this way. */
static glyph next_glyph(const char *s, size_t n)
{
	glyph g = {1, 1, '?'};
	mbstate_t st;
	wchar_t wc;
	size_t r;

	memset(&st, 0, sizeof st);
	r = mbrtowc(&wc, s, n, &st);
	if (r == (size_t)-1 || r == (size_t)-2 || r == 0)
		return g;
	g.len = r;
	if (wc == '\t' || wc == '\r') {
		g.replace = ' ';
		return g;
	}
	if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc < 0xa0) || is_format_char(wc))
		return g;
	g.width = wcwidth(wc);
	if (g.width < 0) {
		g.width = 1;
		return g;
	}
	g.replace = 0;
	return g;
}

int tui_text_width(const char *s, size_t n)
{
	size_t i = 0;
	int cols = 0;

	while (i < n && s[i] != '\n') {
		glyph g = next_glyph(s + i, n - i);

		cols += g.width;
		i += g.len;
	}
	return cols;
}

int tui_text_draw(WINDOW *w, int y, int x, int maxw, const char *s, size_t n, attr_t attr)
{
	return tui_text_draw_marked(w, y, x, maxw, s, n, attr, NULL);
}

/* Returns the attribute for the character at byte i; *next is the index of
 * the first range that may still hold a later byte. */
static attr_t mark_attr(const tui_marks *m, size_t i, size_t *next)
{
	while (*next < m->n && m->end[*next] <= i)
		(*next)++;
	if (*next < m->n && m->start[*next] <= i)
		return m->attr;
	return 0;
}

int tui_text_draw_marked(WINDOW *w, int y, int x, int maxw, const char *s, size_t n, attr_t attr,
			 const tui_marks *marks)
{
	size_t i = 0, next = 0;
	int cols = 0;

	if (maxw <= 0 || !s)
		return 0;
	wattr_on(w, attr, NULL);
	wmove(w, y, x);
	while (i < n && s[i] != '\n') {
		glyph g = next_glyph(s + i, n - i);
		attr_t extra = marks ? mark_attr(marks, i, &next) : 0;

		if (cols + g.width > maxw)
			break;
		/* A combining mark with nothing before it would attach to
		 * whatever the pane left of us drew. */
		if (g.width == 0 && cols == 0) {
			i += g.len;
			continue;
		}
		/* A colour pair cannot be combined with another: the mark's
		 * pair wins. */
		if (extra)
			wattrset(w, ((extra & A_COLOR) ? attr & ~A_COLOR : attr) | extra);
		if (g.replace)
			waddch(w, (chtype)(unsigned char)g.replace);
		else
			waddnstr(w, s + i, (int)g.len);
		if (extra)
			wattrset(w, attr);
		cols += g.width;
		i += g.len;
	}
	wattr_off(w, attr, NULL);
	return cols;
}
