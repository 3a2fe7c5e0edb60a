/* querybar.c: the bridge between curses keys and readline's callback
 * interface. Curses owns the terminal: readline gets keys from a small queue
 * through rl_getc_function, its prep/deprep hooks do nothing, its output goes
 * to /dev/null and its redisplay only asks for a redraw, after which
 * tui_query_draw() paints rl_line_buffer and rl_point into the bar. */
#include "querybar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "../src/log.h"
#include "complete.h"
#include "strings.h"

#define HISTORY_MAX 1000
#define KEYQ_MAX 64

static struct {
	unsigned char keyq[KEYQ_MAX]; /* bytes waiting for readline */
	size_t keyq_head, keyq_len;
	char *submitted;  /* line from the last Enter */
	int line_done;    /* readline called the line handler */
	int editing;
	int hscroll;      /* columns of the line scrolled off to the left */
	char *history_path;
	FILE *devnull;
	const char *prompt; /* NULL for the query prompt */
} qb;

static int keyq_getc(FILE *stream)
{
	int c;

	(void)stream;
	if (qb.keyq_len == 0)
		return EOF;
	c = qb.keyq[qb.keyq_head];
	qb.keyq_head = (qb.keyq_head + 1) % KEYQ_MAX;
	qb.keyq_len--;
	return c;
}

static int keyq_available(void)
{
	return qb.keyq_len > 0;
}

static void keyq_push(const char *bytes, size_t n)
{
	for (size_t i = 0; i < n && qb.keyq_len < KEYQ_MAX; i++) {
		qb.keyq[(qb.keyq_head + qb.keyq_len) % KEYQ_MAX] = (unsigned char)bytes[i];
		qb.keyq_len++;
	}
}

static void no_prep(int meta)
{
	(void)meta;
}

static void no_deprep(void)
{
}

static void note_redisplay(void)
{
	/* Drawing happens in tui_query_draw(), on the next frame. */
}

static void line_handler(char *line)
{
	free(qb.submitted);
	qb.submitted = line;
	qb.line_done = 1;
}

/* Creates the directories above path, like mkdir -p of its dirname. */
static void make_parent_dirs(const char *path)
{
	char *dir = sl_strdup(path);

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			sl_warn("tui", "cannot create history directory %s: %s", dir, strerror(errno));
		*p = '/';
	}
	free(dir);
}

void tui_query_init(const char *history_path)
{
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = no_prep;
	rl_deprep_term_function = no_deprep;
	rl_getc_function = keyq_getc;
	rl_input_available_hook = keyq_available;
	rl_redisplay_function = note_redisplay;
	rl_readline_name = "streamlens";
	qb.devnull = fopen("/dev/null", "w");
	if (qb.devnull)
		rl_outstream = qb.devnull;

	using_history();
	stifle_history(HISTORY_MAX);
	if (history_path) {
		qb.history_path = sl_strdup(history_path);
		/* A missing file is the normal first run. */
		int rc = read_history(history_path);

		if (rc != 0 && rc != ENOENT)
			sl_warn("tui", "cannot read query history %s: %s", history_path, strerror(rc));
	}

	rl_callback_handler_install("", line_handler);
	rl_variable_bind("bell-style", "none");
	tui_complete_init();
}

void tui_query_shutdown(void)
{
	rl_callback_handler_remove();
	if (qb.history_path) {
		make_parent_dirs(qb.history_path);
		int rc = write_history(qb.history_path);

		if (rc != 0)
			sl_warn("tui", "cannot write query history %s: %s", qb.history_path,
				strerror(rc));
		free(qb.history_path);
	}
	free(qb.submitted);
	tui_complete_free();
	if (qb.devnull) {
		rl_outstream = NULL;
		fclose(qb.devnull);
	}
	memset(&qb, 0, sizeof qb);
}

void tui_query_begin(const char *text)
{
	tui_query_begin_prompt(NULL, text);
}

void tui_query_begin_prompt(const char *prompt, const char *text)
{
	qb.prompt = prompt;
	qb.keyq_len = 0;
	qb.line_done = 0;
	qb.hscroll = 0;
	tui_complete_set_paths(prompt != NULL);
	tui_complete_clear_listing();
	rl_replace_line(text ? text : "", 1);
	rl_point = rl_end;
	using_history();
	qb.editing = 1;
}

int tui_query_editing(void)
{
	return qb.editing;
}

/* Stops editing: drops any half-typed key sequence, search state and text. */
static void end_editing(void)
{
	qb.keyq_len = 0;
	rl_callback_sigcleanup();
	rl_replace_line("", 1);
	rl_point = 0;
	qb.editing = 0;
	tui_complete_clear_listing();
}

/* Translates a curses key into the bytes a terminal would send, which is
 * what readline's default key bindings expect. Returns 0 to ignore it. */
static size_t key_bytes(int key, char *out)
{
	static const struct {
		int key;
		const char *seq;
	} keys[] = {
		{KEY_UP, "\033[A"},   {KEY_DOWN, "\033[B"}, {KEY_RIGHT, "\033[C"},
		{KEY_LEFT, "\033[D"}, {KEY_HOME, "\033[H"}, {KEY_END, "\033[F"},
		{KEY_DC, "\033[3~"},  {KEY_BACKSPACE, "\177"}, {KEY_ENTER, "\n"},
		{'\r', "\n"},
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].key == key) {
			strcpy(out, keys[i].seq);
			return strlen(out);
		}
	}
	if (key & TUI_KEY_ALT) {
		out[0] = '\033';
		out[1] = (char)(key & 0xff);
		return 2;
	}
	if (key < 0 || key > 0xff)
		return 0;
	out[0] = (char)key;
	return 1;
}

enum tui_query_result tui_query_key(int key)
{
	char bytes[8];
	size_t n;

	if (!qb.editing)
		return TUI_QUERY_CANCEL;
	if (key == 27) {
		end_editing();
		return TUI_QUERY_CANCEL;
	}

	/* The list of candidates stays up only until the next key. */
	if (key != '\t')
		tui_complete_clear_listing();
	n = key_bytes(key, bytes);
	keyq_push(bytes, n);
	while (qb.keyq_len > 0 && !qb.line_done)
		rl_callback_read_char();
	if (!qb.line_done)
		return TUI_QUERY_EDITING;

	qb.line_done = 0;
	qb.keyq_len = 0;
	qb.editing = 0;
	tui_complete_clear_listing();
	/* Ctrl-D on an empty line ends input without a line. */
	return qb.submitted ? TUI_QUERY_SUBMIT : TUI_QUERY_CANCEL;
}

char *tui_query_take(void)
{
	char *line = qb.submitted;
	HIST_ENTRY *prev;

	qb.submitted = NULL;
	if (!line || qb.prompt)
		return line;
	prev = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (line[0] && (!prev || strcmp(prev->line, line) != 0))
		add_history(line);
	return line;
}

/* Returns the byte offset in s where display column cols starts. *pad gets
 * the columns of a wide character cut at the left edge, drawn as spaces. */
static size_t skip_columns(const char *s, int cols, int *pad)
{
	size_t i = 0, n = strlen(s);
	int at = 0;

	*pad = 0;
	while (i < n && at < cols) {
		size_t len = 1;

		while (i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
			len++;
		at += tui_text_width(s + i, len);
		i += len;
	}
	if (at > cols)
		*pad = at - cols;
	return i;
}

/* Draws prefix and text from column hscroll on. Returns the column where
 * the text starts on screen. */
static int draw_line(WINDOW *w, const tui_rect *area, const char *prefix, const char *text,
		     int hscroll, attr_t attr)
{
	int x = area->x, end = area->x + area->w;
	int pad;
	size_t from;

	x += tui_text_draw(w, area->y, x, end - x, prefix, strlen(prefix), tui_theme_attr(TUI_ROLE_TITLE));
	from = skip_columns(text, hscroll, &pad);
	for (int i = 0; i < pad && x < end; i++)
		mvwaddch(w, area->y, x++, ' ');
	tui_text_draw(w, area->y, x, end - x, text + from, strlen(text + from), attr);
	return x - pad;
}

static void draw_error(WINDOW *w, const tui_rect *area, int text_x, const char *shown,
		       const sl_error *err)
{
	char msg[SL_ERRMSG_MAX + 64];
	size_t col = err->column > 0 ? (size_t)err->column - 1 : 0;
	size_t len = shown ? strlen(shown) : 0;
	int x, msg_w, right, left;

	if (area->h < 2)
		return;
	if (col > len)
		col = len;
	x = text_x + (shown ? tui_text_width(shown, col) : 0);
	if (x >= area->x + area->w)
		x = area->x + area->w - 1;
	if (x < area->x)
		x = area->x;
	snprintf(msg, sizeof msg, TUI_STR_QUERY_ERROR_FMT, err->message);
	msg_w = tui_text_width(msg, strlen(msg));
	right = area->x + area->w - (x + 2);
	left = x - 1 - area->x;
	tui_text_draw(w, area->y + 1, x, 1, TUI_STR_QUERY_CARET, strlen(TUI_STR_QUERY_CARET),
		      tui_theme_attr(TUI_ROLE_ERROR));

	/* The message goes right of the caret. When only the left side has
	 * room for all of it, it ends just before the caret instead. */
	if (msg_w > right && (msg_w <= left || left > right)) {
		int cols = msg_w < left ? msg_w : left;

		tui_text_draw(w, area->y + 1, x - 1 - cols, cols, msg, strlen(msg),
			      tui_theme_attr(TUI_ROLE_ERROR));
	} else if (right > 0) {
		tui_text_draw(w, area->y + 1, x + 2, right, msg, strlen(msg),
			      tui_theme_attr(TUI_ROLE_ERROR));
	}
}

/* Draws the completion candidates in width columns; a list cut at the
 * right edge ends in an ellipsis. */
static void draw_listing(WINDOW *w, int y, int x, int width, const char *listing)
{
	attr_t attr = tui_theme_attr(TUI_ROLE_DIM);
	int used;

	if (tui_text_width(listing, strlen(listing)) <= width || width < 2) {
		tui_text_draw(w, y, x, width, listing, strlen(listing), attr);
		return;
	}
	used = tui_text_draw(w, y, x, width - 1, listing, strlen(listing), attr);
	tui_text_draw(w, y, x + used, 1, TUI_STR_ELLIPSIS, strlen(TUI_STR_ELLIPSIS), attr);
}

/* Returns the columns to scroll a line of width cols so that the cursor
 * column stays within room columns. The scroll moves only as far as the
 * cursor needs and never past what the line's end needs. So a line that
 * fits, such as a short entry recalled after a long one, starts at 0. */
static int fit_scroll(int hscroll, int cursor, int cols, int room)
{
	int max_scroll = cols > room ? cols - room : 0;

	if (hscroll > cursor)
		hscroll = cursor;
	if (hscroll < cursor - room)
		hscroll = cursor - room;
	if (hscroll > max_scroll)
		hscroll = max_scroll;
	return hscroll < 0 ? 0 : hscroll;
}

void tui_query_draw(WINDOW *w, const tui_rect *area, const char *shown, const sl_error *err)
{
	if (area->h < 1 || area->w < 1)
		return;

	if (!qb.editing) {
		int text_x = draw_line(w, area, TUI_STR_QUERY_IDLE, shown ? shown : "", 0, A_NORMAL);

		if (err && err->message[0])
			draw_error(w, area, text_x, shown, err);
		return;
	}

	/* Readline shows its own prompt during an incremental search. */
	const char *prompt = rl_display_prompt && rl_display_prompt[0] ? rl_display_prompt
			     : qb.prompt ? qb.prompt
					 : TUI_STR_QUERY_PROMPT;
	int prompt_w = tui_text_width(prompt, strlen(prompt));
	int room = area->w - prompt_w - 1;
	size_t point = rl_point > 0 && rl_point <= rl_end ? (size_t)rl_point : 0;
	int cursor = tui_text_width(rl_line_buffer, point);

	if (room < 1)
		room = 1;
	qb.hscroll = fit_scroll(qb.hscroll, cursor, tui_text_width(rl_line_buffer, strlen(rl_line_buffer)),
				room);

	/* The error belongs to the submitted text, not to the line being
	 * edited, so it is shown only once editing ends. */
	int text_x = draw_line(w, area, prompt, rl_line_buffer, qb.hscroll, A_NORMAL);
	int cx = text_x + cursor - qb.hscroll;
	const char *listing = tui_complete_listing();

	if (listing[0] && area->h >= 2)
		draw_listing(w, area->y + 1, area->x, area->w, listing);

	if (cx >= area->x + area->w)
		cx = area->x + area->w - 1;
	wmove(w, area->y, cx);
}
