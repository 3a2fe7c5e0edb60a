/* tui.c: the dashboard's main loop: terminal setup, layout, keys, the
 * mouse and the redraw policy. Panes draw into stdscr, a frame draws again
 * only the panes whose content changed, and each frame ends in one
 * doupdate(). */
#include "tui.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "../src/export.h"
#include "chart.h"
#include "clipboard.h"
#include "detail.h"
#include "header.h"
#include "pipeview.h"
#include "querybar.h"
#include "results.h"
#include "strings.h"
#include "tail.h"
#include "text.h"

/* The smallest terminal where every pane gets at least two rows. */
#define MIN_COLS 60
#define MIN_ROWS 15
/* Maximum input wait per loop turn. */
#define TICK_MS 200
/* Redraws per second for data changes when no --fps is given. */
#define FPS_DEFAULT 5
/* Time ncurses waits after Esc for the rest of a key sequence. */
#define ESC_DELAY_MS 25
#define TAIL_LINES 1000
/* Hits fetched per query, as a multiple of the results pane height. */
#define RESULTS_PAGES 5
/* Keys handled per loop turn before the screen is redrawn. */
#define KEYS_PER_TURN 64
/* Rows one notch of the mouse wheel scrolls. */
#define WHEEL_ROWS 3
/* Mouse events taken from ncurses per KEY_MOUSE. */
#define MOUSE_EVENTS_MAX 16
/* A notice in the status line goes away after this long. */
#define NOTICE_MS 6000
/* Shortest interval between two reruns of the shown search for new events;
 * a slow search waits RESULTS_REFRESH_COST times its own duration. */
#define RESULTS_REFRESH_MS 5000
#define RESULTS_REFRESH_COST 20

/* Focus order of Tab. */
enum focus { FOCUS_TAIL, FOCUS_RESULTS, FOCUS_CHART, FOCUS_COUNT };

/* Parts of the screen to draw in the next frame. */
enum {
	DIRTY_HEADER = 1 << 0,
	DIRTY_CHART = 1 << 1,
	DIRTY_TAIL = 1 << 2,
	DIRTY_RESULTS = 1 << 3,
	DIRTY_BAR = 1 << 4,
	DIRTY_STATUS = 1 << 5,
	DIRTY_ALL = (1 << 6) - 1,
};
/* What covers the body: the panes or one of the views. */
enum { VIEW_PANES, VIEW_DETAIL, VIEW_PIPELINE, VIEW_HELP };

/* Kind of line being edited in the query bar. */
enum edit_mode { EDIT_QUERY, EDIT_SAVE_PATH };

typedef struct layout {
	int too_small;
	tui_rect header, chart, tail, results, bar, status;
} layout;

typedef struct tui {
	sl_app *app;
	const tui_options *opt;
	tui_tail tail;
	tui_results results;
	tui_header header;
	tui_detail detail;
	tui_pipeview pipeview;
	tui_chart_view chart_view;
	int64_t chart_cursor_ms; /* a time in the bar under the chart cursor, or
				  * TUI_CHART_NEWEST */
	int64_t filter_from; /* time filter from a chart bar, [from, to); */
	int64_t filter_to;   /* filter_to == 0 when none */
	layout lay;
	enum edit_mode edit;
	int chart_window;    /* minutes */
	char notice[SL_ERRMSG_MAX + 4200]; /* outcome of the last save or copy */
	int64_t notice_mono; /* when the notice was first drawn, 0 before */
	int notice_view;     /* the view the notice belongs to, VIEW_* */
	char *overwrite_path; /* a save waiting for y to replace this file */
	uint64_t results_seq; /* hot store sequence when the results ran */
	int64_t results_mono; /* when the results ran */
	char *bar_text;      /* the last submitted query */
	sl_error query_err;  /* set when that query was invalid */
	enum focus focus;
	int help;
	int help_top;        /* first key row shown in the help */
	int quit;
	int dirty;           /* DIRTY_* bits */
	int frame_ms;        /* minimum gap between data-driven frames */
	uint64_t drawn_seq;  /* hot store sequence at the last frame */
	int64_t drawn_sec;   /* wall-clock second of the last frame */
	int64_t drawn_mono;
	int cursor_on;
} tui;

static volatile sig_atomic_t tui_active;

void tui_emergency_restore(void)
{
	if (tui_active) {
		tui_active = 0;
		endwin();
	}
}

/* Splits a rows x cols screen: header, chart, tail, results, query bar with
 * its error row, status. */
static void compute_layout(layout *lay, int rows, int cols)
{
	int middle, chart_h, rest, tail_h;

	memset(lay, 0, sizeof *lay);
	lay->too_small = cols < MIN_COLS || rows < MIN_ROWS;
	if (lay->too_small)
		return;

	middle = rows - 4;
	chart_h = middle / 3;
	if (chart_h < TUI_CHART_MIN_ROWS)
		chart_h = TUI_CHART_MIN_ROWS;
	if (chart_h > 14)
		chart_h = 14;
	rest = middle - chart_h;
	tail_h = (rest + 1) / 2;

	lay->header = (tui_rect){0, 0, 1, cols};
	lay->chart = (tui_rect){1, 0, chart_h, cols};
	lay->tail = (tui_rect){1 + chart_h, 0, tail_h, cols};
	lay->results = (tui_rect){1 + chart_h + tail_h, 0, rest - tail_h, cols};
	lay->bar = (tui_rect){rows - 3, 0, 2, cols};
	lay->status = (tui_rect){rows - 1, 0, 1, cols};
}

/* Returns the hits fetched per query and per page loaded after it. */
static size_t results_page(const tui *t)
{
	return (size_t)(t->lay.results.h > 1 ? t->lay.results.h : 10) * RESULTS_PAGES;
}

/* Runs text (owned from now on) and shows its hits, within the time filter
 * when one is applied. The results pane gets the focus when focus is set.
 * refresh_results() runs it again for new events while the results are
 * not scrolled. */
static void run_query(tui *t, char *text, int focus)
{
	size_t limit = results_page(t);
	int64_t from = t->filter_to ? t->filter_from : INT64_MIN;
	int64_t to = t->filter_to ? t->filter_to - 1 : INT64_MAX;
	int rc;

	free(t->bar_text);
	t->bar_text = text;
	t->results_seq = t->app->hot ? sl_hot_seq(t->app->hot) : 0;
	t->results_mono = sl_mono_ms();
	rc = tui_results_run(&t->results, t->app->store, text, limit, from, to, &t->query_err);
	if (rc != SL_ERR_QUERY)
		memset(&t->query_err, 0, sizeof t->query_err);
	if (rc == SL_OK && focus)
		t->focus = FOCUS_RESULTS;
}

/* Applies the time filter [from, to) to the tail and the results, or
 * clears it when to is 0. The results rerun the last query, or list every
 * event of the range when none ran. */
static void set_filter(tui *t, int64_t from, int64_t to)
{
	char a[16], b[16];

	t->filter_from = from;
	t->filter_to = to;
	tui_tail_set_window(&t->tail, from, to);
	t->header.filter[0] = '\0';
	if (to) {
		tui_format_clock(from, 0, a, sizeof a);
		tui_format_clock(to, 0, b, sizeof b);
		snprintf(t->header.filter, sizeof t->header.filter, TUI_STR_FILTER_FMT, a, b);
	}
	if (to || t->results.state != TUI_RESULTS_NONE)
		run_query(t, sl_strdup(t->bar_text ? t->bar_text : ""), 0);
}

/* Filters to the chart bar col. Returns 1 when col is a bar. */
static int filter_to_column(tui *t, int col)
{
	int64_t from, to;

	if (!tui_chart_column_range(&t->chart_view, col, &from, &to))
		return 0;
	t->chart_cursor_ms = from;
	set_filter(t, from, to);
	return 1;
}

/* Writes the lines of the focused pane to f in format fmt. Returns the
 * lines written, or -1 with err set. */
static long long write_pane(tui *t, FILE *f, sl_export_format fmt, sl_error *err)
{
	const tui_results *r = &t->results;
	long long n = 0;
	sl_buf buf;

	sl_buf_init(&buf);
	if (t->focus == FOCUS_RESULTS && r->state == TUI_RESULTS_AGG) {
		sl_export_agg_header(&buf, fmt);
		for (size_t i = 0; i < r->agg.nrows; i++, n++)
			sl_export_agg_row(&buf, fmt, &r->agg, i);
	} else if (t->focus == FOCUS_RESULTS) {
		sl_export_header(&buf, fmt);
		for (size_t i = 0; i < r->nlines; i++, n++)
			sl_export_event(&buf, fmt, &r->lines[i].ev);
	} else {
		sl_export_header(&buf, fmt);
		for (size_t i = 0; i < t->tail.count; i++, n++)
			sl_export_event(&buf, fmt, &t->tail.lines[(t->tail.head + i) % t->tail.cap].ev);
	}
	if (fwrite(buf.data, 1, buf.len, f) != buf.len || fflush(f) != 0) {
		sl_error_set(err, 0, "%s", strerror(errno));
		n = -1;
	}
	sl_buf_free(&buf);
	return n;
}

/* Saves the focused pane to path (owned from now on) and puts the outcome
 * in the status line. A path ending in .csv gets CSV, any other JSON lines.
 * NOTE: the results pane saves the hits it holds; --output exports every
 * match of a query. */
static void save_to(tui *t, char *path, int replace)
{
	struct stat sb;
	sl_error err;
	long long n = -1;
	FILE *f;

	memset(&err, 0, sizeof err);
	if (!path || !path[0]) {
		free(path);
		return;
	}
	/* An existing file is replaced only after a y. */
	if (!replace && stat(path, &sb) == 0) {
		snprintf(t->notice, sizeof t->notice, TUI_STR_EXPORT_EXISTS_FMT, path);
		t->notice_mono = 0;
		free(t->overwrite_path);
		t->overwrite_path = path;
		return;
	}
	f = fopen(path, "w");
	if (!f)
		sl_error_set(&err, 0, "%s", strerror(errno));
	else
		n = write_pane(t, f, sl_export_format_of_path(path), &err);
	if (f && fclose(f) != 0 && n >= 0) {
		sl_error_set(&err, 0, "%s", strerror(errno));
		n = -1;
	}
	if (n >= 0)
		snprintf(t->notice, sizeof t->notice, TUI_STR_EXPORT_DONE_FMT, n, path);
	else
		snprintf(t->notice, sizeof t->notice, TUI_STR_EXPORT_FAILED_FMT, path, err.message);
	t->notice_mono = 0;
	free(path);
}

/* Answers the question of save_to(): y replaces the file, any other key
 * keeps it and is not acted on. */
static void answer_overwrite(tui *t, int key)
{
	char *path = t->overwrite_path;

	t->overwrite_path = NULL;
	if (key == 'y' || key == 'Y') {
		save_to(t, path, 1);
		return;
	}
	snprintf(t->notice, sizeof t->notice, TUI_STR_EXPORT_KEPT_FMT, path);
	t->notice_mono = 0;
	free(path);
}

/* Opens the bar for a file name, filled with ~/streamlens-export-TIME.jsonl. */
static void begin_save(tui *t)
{
	char initial[4200];
	const char *home = getenv("HOME");
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm))
		snprintf(stamp, sizeof stamp, "%lld", (long long)now);
	snprintf(initial, sizeof initial, TUI_STR_EXPORT_DEFAULT_FMT, home && home[0] ? home : ".",
		 stamp);
	t->edit = EDIT_SAVE_PATH;
	t->notice[0] = '\0';
	tui_query_begin_prompt(TUI_STR_EXPORT_PROMPT, initial);
}

static void handle_edit_key(tui *t, int key)
{
	switch (tui_query_key(key)) {
	case TUI_QUERY_SUBMIT:
		if (t->edit == EDIT_SAVE_PATH)
			save_to(t, tui_query_take(), 0);
		else
			run_query(t, tui_query_take(), 1);
		break;
	case TUI_QUERY_CANCEL:
	case TUI_QUERY_EDITING:
		break;
	}
}

static int pane_rows(const tui_rect *r)
{
	return r->h > 1 ? r->h - 1 : 1;
}

/* Returns the event the copy keys act on: the detail view's, else the one
 * under the focused pane's cursor. */
static const sl_event *selected_event(tui *t)
{
	const tui_evline *line = NULL;

	if (t->detail.open)
		return &t->detail.ev;
	if (t->focus == FOCUS_TAIL)
		line = tui_tail_selected(&t->tail);
	else if (t->focus == FOCUS_RESULTS)
		line = tui_results_selected(&t->results);
	return line ? &line->ev : NULL;
}

/* Puts the selected event's raw line (or its JSON when json is set) on the
 * clipboard with the OSC 52 escape sequence, which the terminal handles.
 * tmux takes it from an application only with "set -g set-clipboard on". */
static void copy_event(tui *t, int json)
{
	const sl_event *ev = selected_event(t);
	const char *content = json ? TUI_STR_COPY_JSON : TUI_STR_COPY_RAW;
	size_t n;
	sl_buf text;

	if (!ev) {
		snprintf(t->notice, sizeof t->notice, "%s", TUI_STR_COPY_NOTHING);
		t->notice_mono = 0;
		return;
	}
	sl_buf_init(&text);
	if (json)
		sl_event_to_json(ev, &text, 1);
	else
		sl_buf_puts(&text, ev->raw ? ev->raw : "");
	/* ncurses has flushed its output at the end of the last frame, and the
	 * sequence moves no cursor, so it can go out between frames. */
	n = tui_clipboard_copy(stdout, text.data ? text.data : "", text.len);
	if (n == 0 && text.len > 0)
		snprintf(t->notice, sizeof t->notice, TUI_STR_COPY_FAILED_FMT, strerror(errno));
	else if (n < text.len)
		snprintf(t->notice, sizeof t->notice, TUI_STR_COPY_CUT_FMT, n, content);
	else
		snprintf(t->notice, sizeof t->notice, TUI_STR_COPY_DONE_FMT, content, ev->id, n);
	t->notice_mono = 0;
	sl_buf_free(&text);
}

/* Keys of the pipeline view: P, Esc or q goes back, r retries the dead
 * letters, the rest scroll. */
static void handle_pipeview_key(tui *t, int key)
{
	int rows = t->lay.results.y + t->lay.results.h - t->lay.chart.y - 1;

	switch (key) {
	case 27:
	case 'P':
	case 'q':
		tui_pipeview_close(&t->pipeview);
		break;
	case '?':
		t->help = 1;
		break;
	case 'r':
		tui_pipeview_retry(&t->pipeview, t->app, t->opt->deadletter_path,
				   t->opt->retry_source, t->notice, sizeof t->notice);
		t->notice_mono = 0;
		tui_pipeview_update(&t->pipeview, t->app, t->opt->deadletter_path, sl_mono_ms(), 1);
		break;
	default:
		tui_pipeview_key(&t->pipeview, key, rows);
		break;
	}
}

/* Keys of the detail view: Esc (or q, Backspace, h, left arrow) goes back,
 * ? opens help, the rest scroll. */
static void handle_detail_key(tui *t, int key)
{
	int rows = t->lay.results.y + t->lay.results.h - t->lay.chart.y - 1;

	switch (key) {
	case 27:
	case 'h':
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 127:
	case 'q':
		tui_detail_close(&t->detail);
		break;
	case '?':
		t->help = 1;
		break;
	case 'y':
	case 'Y':
		copy_event(t, key == 'Y');
		break;
	default:
		tui_detail_key(&t->detail, key, rows);
		break;
	}
}

/* Opens the detail view on the line under the focused pane's cursor, or
 * on the chart applies the filter of the bar under the cursor. */
static void open_detail(tui *t)
{
	const tui_evline *line = NULL;

	if (t->focus == FOCUS_CHART) {
		filter_to_column(t, tui_chart_column_of(&t->chart_view, t->chart_cursor_ms));
		return;
	}
	line = t->focus == FOCUS_TAIL ? tui_tail_selected(&t->tail)
				      : tui_results_selected(&t->results);
	if (line)
		tui_detail_open(&t->detail, &line->ev);
}

/* Moves the chart cursor to column col of the last drawn chart, clamped
 * to its bars. The cursor keeps the time of that bar from now on. */
static void move_chart_cursor(tui *t, int col)
{
	const tui_chart_view *v = &t->chart_view;
	int64_t from, to;

	if (v->ncols < 1)
		return;
	if (col < 0)
		col = 0;
	if (col >= v->ncols)
		col = v->ncols - 1;
	if (tui_chart_column_range(v, col, &from, &to))
		t->chart_cursor_ms = from;
}

/* Keys of the focused chart: h/l and the arrows move the cursor, g and G
 * go to the oldest and the newest bar. */
static void handle_chart_key(tui *t, int key)
{
	/* Keys may arrive faster than frames, so the column comes from the
	 * cursor's time, not from the last frame's cursor. */
	int col = tui_chart_column_of(&t->chart_view, t->chart_cursor_ms);

	switch (key) {
	case 'h':
	case KEY_LEFT:
		move_chart_cursor(t, col - 1);
		break;
	case 'l':
	case KEY_RIGHT:
		move_chart_cursor(t, col + 1);
		break;
	case 'g':
	case KEY_HOME:
		move_chart_cursor(t, 0);
		break;
	case 'G':
	case KEY_END:
		move_chart_cursor(t, TUI_CHART_COLS_MAX);
		break;
	}
}

/* Keys of the results pane. A key that moves down from the last hit
 * first fetches the next page of hits from the store. */
static void handle_results_key(tui *t, int key)
{
	tui_results *r = &t->results;
	int rows = pane_rows(&t->lay.results);
	sl_error err;

	if ((key == 'j' || key == KEY_DOWN || key == KEY_NPAGE || key == 'G' || key == KEY_END) &&
	    tui_results_at_end(r) &&
	    tui_results_more(r, t->app->store, results_page(t), &err) < 0) {
		snprintf(t->notice, sizeof t->notice, TUI_STR_RESULTS_MORE_FAILED_FMT, err.message);
		t->notice_mono = 0;
	}
	tui_results_key(r, key, rows);
}

/* Keys for the focused pane: collapse and the cursor keys. */
static void handle_pane_key(tui *t, int key)
{
	if (t->focus == FOCUS_CHART) {
		handle_chart_key(t, key);
	} else if (key == 'c') {
		if (t->focus == FOCUS_TAIL)
			tui_tail_toggle_collapse(&t->tail);
		else
			tui_results_toggle_collapse(&t->results);
	} else if (t->focus == FOCUS_TAIL) {
		tui_tail_key(&t->tail, key, pane_rows(&t->lay.tail));
	} else {
		handle_results_key(t, key);
	}
}

/* Moves the focus to the next pane. The chart cursor starts on the bar of
 * the time filter, else on the newest bar. */
static void cycle_focus(tui *t, int dir)
{
	t->focus = (enum focus)((t->focus + FOCUS_COUNT + dir) % FOCUS_COUNT);
	if (t->focus == FOCUS_CHART)
		t->chart_cursor_ms = t->filter_to ? t->filter_from : TUI_CHART_NEWEST;
}

/* Esc outside the views: clears the query error, the notice and the time
 * filter. */
static void handle_escape(tui *t)
{
	memset(&t->query_err, 0, sizeof t->query_err);
	t->notice[0] = '\0';
	if (t->filter_to)
		set_filter(t, 0, 0);
}

static void handle_view_key(tui *t, int key)
{
	static const int windows[] = TUI_CHART_WINDOWS;

	if (t->overwrite_path) {
		answer_overwrite(t, key);
		return;
	}
	if (t->help) {
		if (key == 27 || key == '?' || key == 'q')
			t->help = 0;
		else if (key == 'j' || key == KEY_DOWN)
			t->help_top++;
		else if (key == 'k' || key == KEY_UP)
			t->help_top--;
		return;
	}
	if (t->detail.open) {
		handle_detail_key(t, key);
		return;
	}
	if (t->pipeview.open) {
		handle_pipeview_key(t, key);
		return;
	}

	switch (key) {
	case 'q':
		t->quit = 1;
		break;
	case '/':
		memset(&t->query_err, 0, sizeof t->query_err);
		t->edit = EDIT_QUERY;
		tui_query_begin(t->bar_text);
		break;
	case 's':
		begin_save(t);
		break;
	case '?':
		t->help = 1;
		break;
	case 27:
		handle_escape(t);
		break;
	case 'p':
	case ' ':
		tui_tail_toggle_pause(&t->tail);
		break;
	case '\t':
		cycle_focus(t, 1);
		break;
	case KEY_BTAB:
		cycle_focus(t, -1);
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		open_detail(t);
		break;
	case 'y':
	case 'Y':
		copy_event(t, key == 'Y');
		break;
	case 'P':
		tui_pipeview_open(&t->pipeview);
		tui_pipeview_update(&t->pipeview, t->app, t->opt->deadletter_path, sl_mono_ms(), 1);
		break;
	case '1':
	case '2':
	case '3':
	case '4':
		t->chart_window = windows[key - '1'];
		break;
	default:
		handle_pane_key(t, key);
		break;
	}
}

/* Returns 1 when row y lies in the rows of r below its title. */
static int in_rows(const tui_rect *r, int y)
{
	return y > r->y && y < r->y + r->h;
}

static int in_rect(const tui_rect *r, int y, int x)
{
	return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

/* Scrolls the pane under the pointer (else the focused one) by one wheel
 * notch, dir -1 up or +1 down, and focuses it. */
static void mouse_wheel(tui *t, int y, int x, int dir)
{
	int rows_tail = pane_rows(&t->lay.tail), rows_results = pane_rows(&t->lay.results);
	int body = t->lay.results.y + t->lay.results.h - t->lay.chart.y - 1;

	if (t->detail.open) {
		for (int i = 0; i < WHEEL_ROWS; i++)
			tui_detail_key(&t->detail, dir < 0 ? KEY_UP : KEY_DOWN, body);
		return;
	}
	if (t->pipeview.open) {
		for (int i = 0; i < WHEEL_ROWS; i++)
			tui_pipeview_key(&t->pipeview, dir < 0 ? KEY_UP : KEY_DOWN, body);
		return;
	}
	if (in_rect(&t->lay.tail, y, x))
		t->focus = FOCUS_TAIL;
	else if (in_rect(&t->lay.results, y, x))
		t->focus = FOCUS_RESULTS;
	if (t->focus == FOCUS_TAIL)
		tui_tail_scroll(&t->tail, dir * WHEEL_ROWS, rows_tail);
	else if (t->focus == FOCUS_RESULTS)
		tui_results_scroll(&t->results, dir * WHEEL_ROWS, rows_results);
}

/* Handles a left click. It focuses the pane under it and selects the line
 * there. A click on the selected line or a double click opens its detail,
 * and a click on a chart bar filters to its minutes. */
static void mouse_click(tui *t, int y, int x, int dbl)
{
	const tui_rect *tail = &t->lay.tail, *results = &t->lay.results;
	int rc = 0;

	if (t->detail.open || t->pipeview.open)
		return;
	if (in_rect(&t->lay.chart, y, x)) {
		t->focus = FOCUS_CHART;
		filter_to_column(t, x - t->chart_view.x0);
		return;
	}
	if (in_rect(tail, y, x)) {
		t->focus = FOCUS_TAIL;
		if (in_rows(tail, y))
			rc = tui_tail_click(&t->tail, y - tail->y - 1);
	} else if (in_rect(results, y, x)) {
		t->focus = FOCUS_RESULTS;
		if (in_rows(results, y))
			rc = tui_results_click(&t->results, y - results->y - 1);
	}
	if (rc == 2 || (rc == 1 && dbl))
		open_detail(t);
}

/* Acts on one mouse event; releases and other buttons are ignored. */
static void handle_mouse_event(tui *t, const MEVENT *ev)
{
	mmask_t dbl = BUTTON1_DOUBLE_CLICKED | BUTTON1_TRIPLE_CLICKED;

	if (ev->bstate & BUTTON4_PRESSED)
		mouse_wheel(t, ev->y, ev->x, -1);
#ifdef BUTTON5_PRESSED
	else if (ev->bstate & BUTTON5_PRESSED)
		mouse_wheel(t, ev->y, ev->x, 1);
#endif
	else if (ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | dbl))
		mouse_click(t, ev->y, ev->x, (ev->bstate & dbl) != 0);
}

/* Takes every event ncurses parsed from one burst of reports. getmouse()
 * returns the newest first, so they are replayed oldest first: two wheel
 * notches read together scroll twice. */
static void handle_mouse(tui *t)
{
	MEVENT evs[MOUSE_EVENTS_MAX];
	int n = 0;

	while (n < MOUSE_EVENTS_MAX && getmouse(&evs[n]) == OK)
		n++;
	if (t->help || tui_query_editing())
		return;
	while (n > 0)
		handle_mouse_event(t, &evs[--n]);
}

static void handle_key(tui *t, int key)
{
	t->dirty = DIRTY_ALL;
	if (key == KEY_RESIZE) {
		compute_layout(&t->lay, LINES, COLS);
		return;
	}
	if (key == KEY_MOUSE) {
		if (!t->lay.too_small)
			handle_mouse(t);
		return;
	}
	/* Every key waits while the terminal is too small to show its effect,
	 * except quitting. */
	if (t->lay.too_small) {
		if (key == 'q' && !tui_query_editing())
			t->quit = 1;
		return;
	}
	if (tui_query_editing()) {
		handle_edit_key(t, key);
	} else if (key & TUI_KEY_ALT) {
		/* Outside the editor a quick Esc and key are two keys. */
		handle_view_key(t, 27);
		handle_view_key(t, key & 0xff);
	} else {
		handle_view_key(t, key);
	}
}

/* Reads one key, waiting up to wait_ms. Esc followed at once by another key
 * is returned as TUI_KEY_ALT | key, the way terminals send Alt+key. */
static int read_key(int wait_ms)
{
	int key, next;

	timeout(wait_ms);
	key = getch();
	if (key != 27)
		return key;
	timeout(0);
	next = getch();
	if (next == ERR)
		return 27;
	if (next < 0 || next > 0xff) {
		ungetch(next);
		return 27;
	}
	return TUI_KEY_ALT | next;
}

/* Wraps text at spaces into lines of at most cols bytes (the text is
 * ASCII) from lines[n] on. Returns the new number of lines, which may
 * exceed max; only the first max are stored. */
static int wrap_words(const char *text, int cols, char lines[][64], int n, int max)
{
	while (*text) {
		int len = (int)strlen(text), cut = len;

		if (len > cols) {
			cut = cols;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = cols;
		}
		if (n < max)
			snprintf(lines[n], sizeof lines[n], "%.*s", cut < 63 ? cut : 63, text);
		n++;
		text += cut;
		while (*text == ' ')
			text++;
	}
	return n;
}

/* Tells the size needed, centred. A narrow terminal gets the sentence
 * wrapped, with the needed size kept on one line; a tiny one gets the
 * needed size alone. */
static void draw_too_small(int rows, int cols)
{
	char head[64], need[32], lines[8][64];
	int n;

	snprintf(head, sizeof head, TUI_STR_TOO_SMALL_HEAD_FMT, cols, rows);
	snprintf(need, sizeof need, TUI_STR_TOO_SMALL_NEED_FMT, MIN_COLS, MIN_ROWS);
	if ((int)(strlen(head) + 1 + strlen(need)) <= cols) {
		snprintf(lines[0], sizeof lines[0], "%s %s", head, need);
		n = 1;
	} else {
		n = wrap_words(head, cols, lines, 0, 8);
		n = wrap_words(need, cols, lines, n, 8);
	}
	if (n > rows || n > 8)
		n = wrap_words(need, cols, lines, 0, 8);
	if (n > 8)
		n = 8;
	for (int i = 0; i < n && i < rows; i++) {
		int len = (int)strlen(lines[i]);
		int y = n < rows ? (rows - n) / 2 + i : i;
		int x = len < cols ? (cols - len) / 2 : 0;

		tui_text_draw(stdscr, y, x, cols - x, lines[i], (size_t)len, A_BOLD);
	}
}

static const struct {
	const char *key;
	const char *text;
} help_rows[] = {TUI_HELP_ROWS};

#define HELP_ROWS_COUNT ((int)(sizeof help_rows / sizeof help_rows[0]))

/* Draws the key list from row *top on. A terminal too short for every row
 * scrolls the list with j/k, and *top is clamped to what can scroll. */
static void draw_help(int rows, int cols, int *top)
{
	int n = HELP_ROWS_COUNT;
	int h = n + 4, w = 68;
	int y0, x0, visible;
	const char *close_text;

	if (h > rows)
		h = rows;
	if (w > cols)
		w = cols;
	y0 = (rows - h) / 2;
	x0 = (cols - w) / 2;

	for (int y = y0; y < y0 + h; y++)
		mvwhline(stdscr, y, x0, ' ', w);
	wattr_on(stdscr, tui_theme_attr(TUI_ROLE_TITLE), NULL);
	mvwaddch(stdscr, y0, x0, ACS_ULCORNER);
	mvwhline(stdscr, y0, x0 + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y0, x0 + w - 1, ACS_URCORNER);
	mvwvline(stdscr, y0 + 1, x0, ACS_VLINE, h - 2);
	mvwvline(stdscr, y0 + 1, x0 + w - 1, ACS_VLINE, h - 2);
	mvwaddch(stdscr, y0 + h - 1, x0, ACS_LLCORNER);
	mvwhline(stdscr, y0 + h - 1, x0 + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y0 + h - 1, x0 + w - 1, ACS_LRCORNER);
	wattr_off(stdscr, tui_theme_attr(TUI_ROLE_TITLE), NULL);
	tui_text_draw(stdscr, y0, x0 + 2, w - 4, " " TUI_STR_HELP_TITLE " ",
		      strlen(TUI_STR_HELP_TITLE) + 2, tui_theme_attr(TUI_ROLE_TITLE));

	visible = h - 4 > 0 ? h - 4 : 0;
	if (*top > n - visible)
		*top = n - visible;
	if (*top < 0)
		*top = 0;
	for (int i = 0; i < visible && *top + i < n; i++) {
		const char *key = help_rows[*top + i].key, *text = help_rows[*top + i].text;

		tui_text_draw(stdscr, y0 + 1 + i, x0 + 2, 14, key, strlen(key),
			      tui_theme_attr(TUI_ROLE_TITLE));
		tui_text_draw(stdscr, y0 + 1 + i, x0 + 16, w - 18, text, strlen(text), A_NORMAL);
	}
	close_text = visible < n ? TUI_STR_HELP_CLOSE_SCROLL : TUI_STR_HELP_CLOSE;
	tui_text_draw(stdscr, y0 + h - 2, x0 + 2, w - 4, close_text, strlen(close_text),
		      tui_theme_attr(TUI_ROLE_DIM));
}

static void set_cursor(tui *t, int on)
{
	if (t->cursor_on != on) {
		curs_set(on);
		t->cursor_on = on;
	}
}

/* Blanks the rows of r before a pane draws into it again. */
static void clear_rect(const tui_rect *r)
{
	for (int y = r->y; y < r->y + r->h; y++)
		mvwhline(stdscr, y, r->x, ' ', r->w);
}

/* Draws the panes whose dirty bit is set; the rest keep what the last frame
 * drew, so ncurses sends nothing for them. */
static void draw_panes(tui *t, int dirty, int64_t now_ms)
{
	const layout *lay = &t->lay;

	if (dirty & DIRTY_CHART) {
		clear_rect(&lay->chart);
		t->chart_view.cursor_ms =
			t->focus == FOCUS_CHART ? t->chart_cursor_ms : TUI_CHART_NO_CURSOR;
		t->chart_view.from_ms = t->filter_from;
		t->chart_view.to_ms = t->filter_to;
		tui_chart_draw(stdscr, &lay->chart, t->app->hot, t->chart_window, now_ms,
			       &t->chart_view);
		/* The newest bar becomes a time once there is a bar, so the
		 * cursor stays there as new minutes arrive. */
		if (t->chart_cursor_ms == TUI_CHART_NEWEST && t->chart_view.cursor >= 0)
			move_chart_cursor(t, t->chart_view.cursor);
	}
	if (dirty & DIRTY_TAIL) {
		clear_rect(&lay->tail);
		tui_tail_draw(stdscr, &lay->tail, &t->tail, t->app->hot, t->focus == FOCUS_TAIL);
	}
	if (dirty & DIRTY_RESULTS) {
		clear_rect(&lay->results);
		tui_results_draw(stdscr, &lay->results, &t->results, t->focus == FOCUS_RESULTS);
	}
}

/* Draws the body: the detail or pipeline view over the panes, or the
 * panes themselves. A view redraws whole with the frame. */
static void draw_body(tui *t, int dirty, int64_t now_ms)
{
	const layout *lay = &t->lay;
	tui_rect body = {lay->chart.y, 0, lay->results.y + lay->results.h - lay->chart.y,
			 lay->chart.w};
	const tui_hl *hl = t->results.state == TUI_RESULTS_OK ? &t->results.hl : NULL;

	if (t->detail.open) {
		clear_rect(&body);
		tui_detail_draw(stdscr, &body, &t->detail, hl);
	} else if (t->pipeview.open) {
		clear_rect(&body);
		tui_pipeview_draw(stdscr, &body, &t->pipeview);
	} else {
		draw_panes(t, dirty, now_ms);
	}
}

static void draw(tui *t, int dirty, int64_t now_ms)
{
	const layout *lay = &t->lay;
	int editing = tui_query_editing();

	/* Overlays and the too-small notice cover several panes, so those
	 * frames are drawn whole. */
	if (lay->too_small || t->help || t->detail.open || t->pipeview.open)
		dirty = DIRTY_ALL;
	if (dirty == DIRTY_ALL)
		werase(stdscr);
	if (lay->too_small) {
		draw_too_small(LINES, COLS);
		set_cursor(t, 0);
		goto out;
	}

	if (dirty & DIRTY_HEADER) {
		clear_rect(&lay->header);
		tui_header_draw(stdscr, &lay->header, &t->header, t->opt, now_ms);
	}
	draw_body(t, dirty, now_ms);
	if (dirty & DIRTY_STATUS) {
		clear_rect(&lay->status);
		tui_status_draw(stdscr, &lay->status, &t->header, t->notice);
	}
	/* The bar leaves the cursor where readline's point is. The help goes
	 * over it, and the cursor is hidden while the help is open. */
	if (dirty & DIRTY_BAR) {
		clear_rect(&lay->bar);
		tui_query_draw(stdscr, &lay->bar, t->bar_text, &t->query_err);
	}
	if (t->help)
		draw_help(LINES, COLS, &t->help_top);
	set_cursor(t, editing && !t->help);

out:
	wnoutrefresh(stdscr);
	doupdate();
}

static int current_view(const tui *t)
{
	if (t->help)
		return VIEW_HELP;
	if (t->detail.open)
		return VIEW_DETAIL;
	return t->pipeview.open ? VIEW_PIPELINE : VIEW_PANES;
}

/* Clears the notice NOTICE_MS after it was first drawn, or when another
 * view opens or closes. A pending overwrite question stays until answered. */
static void expire_notice(tui *t, int64_t now_mono)
{
	if (!t->notice[0] || t->overwrite_path) {
		t->notice_mono = 0;
		return;
	}
	if (t->notice_mono == 0) {
		t->notice_mono = now_mono;
		t->notice_view = current_view(t);
		return;
	}
	if (now_mono - t->notice_mono >= NOTICE_MS || current_view(t) != t->notice_view) {
		t->notice[0] = '\0';
		t->notice_mono = 0;
		t->dirty |= DIRTY_STATUS;
	}
}

/* Runs the shown search or aggregation again when new events arrived,
 * unless its hits are scrolled, paged or selected away from the first
 * row, so nothing moves under a reader. A slow query waits longer, so
 * reruns take at most about 1/RESULTS_REFRESH_COST of the time. */
static void refresh_results(tui *t, int64_t now_mono)
{
	const tui_results *r = &t->results;
	int64_t wait = RESULTS_REFRESH_MS;

	if (r->took_ms * RESULTS_REFRESH_COST > wait)
		wait = r->took_ms * RESULTS_REFRESH_COST;
	if (now_mono - t->results_mono < wait || !t->app->hot || t->query_err.message[0])
		return;
	if (sl_hot_seq(t->app->hot) == t->results_seq || !tui_results_unmoved(r))
		return;
	run_query(t, sl_strdup(t->bar_text ? t->bar_text : ""), 0);
	t->dirty |= DIRTY_RESULTS;
}

/* Takes new data from the stores and marks what changed. */
static void poll_data(tui *t, int64_t now_mono, int64_t now_ms)
{
	uint64_t seq = t->app->hot ? sl_hot_seq(t->app->hot) : 0;

	if (tui_tail_poll(&t->tail, t->app->hot))
		t->dirty |= DIRTY_TAIL;
	if (tui_header_update(&t->header, t->app, now_mono))
		t->dirty |= DIRTY_HEADER | DIRTY_STATUS;
	if (seq != t->drawn_seq) {
		t->drawn_seq = seq;
		/* The chart counts, and a paused tail counts new events. */
		t->dirty |= DIRTY_CHART | (t->tail.paused ? DIRTY_TAIL : 0);
	}
	/* The clock moves every second, and the chart's window every minute. */
	if (now_ms / 1000 != t->drawn_sec)
		t->dirty |= DIRTY_HEADER;
	if (now_ms / 60000 != t->drawn_sec / 60)
		t->dirty |= DIRTY_CHART;
	if (tui_pipeview_update(&t->pipeview, t->app, t->opt->deadletter_path, now_mono, 0))
		t->dirty |= DIRTY_ALL;
	expire_notice(t, now_mono);
	refresh_results(t, now_mono);
	/* The cursor of the query bar must end each frame where readline's
	 * point is, so the bar is drawn last in every frame while editing. */
	if (t->dirty && tui_query_editing())
		t->dirty |= DIRTY_BAR;
}

/* Runs until q or a quit request. Keys redraw at once; data changes redraw
 * at most once per frame_ms. */
static void main_loop(tui *t)
{
	while (!t->quit && !sl_quit_requested()) {
		int key = read_key(t->frame_ms < TICK_MS ? t->frame_ms : TICK_MS);
		int keys = 0;

		while (key != ERR && keys < KEYS_PER_TURN && !t->quit) {
			handle_key(t, key);
			keys++;
			key = read_key(0);
		}
		if (key != ERR)
			ungetch(key);

		int64_t now_mono = sl_mono_ms();
		int64_t now_ms = sl_now_ms();

		poll_data(t, now_mono, now_ms);
		if (t->dirty && (keys > 0 || now_mono - t->drawn_mono >= t->frame_ms)) {
			draw(t, t->dirty, now_ms);
			t->dirty = 0;
			t->drawn_mono = now_mono;
			t->drawn_sec = now_ms / 1000;
		}
	}
}

/* The keyboard when stdin is not a terminal; closed after endwin(). */
static FILE *tty_in;

/* Starts curses on the controlling terminal. Returns the screen, or NULL
 * with a message on stderr. */
static SCREEN *start_curses(void)
{
	SCREEN *screen = NULL;

	/* newterm() accepts a pipe too and would fill it with escape codes.
	 * When stdin carries log data (--file -), keys come from /dev/tty. */
	if (isatty(STDOUT_FILENO) && isatty(STDIN_FILENO)) {
		screen = newterm(NULL, stdout, stdin);
	} else if (isatty(STDOUT_FILENO)) {
		tty_in = fopen("/dev/tty", "r");
		if (tty_in)
			screen = newterm(NULL, stdout, tty_in);
	}
	if (!screen) {
		fprintf(stderr, "streamlens-top: failed to start the dashboard: TERM '%s' is "
			"unknown or stdin/stdout is not a terminal; set TERM or run with --headless\n",
			getenv("TERM") ? getenv("TERM") : "");
		return NULL;
	}
	set_term(screen);
	tui_active = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(ESC_DELAY_MS);
	curs_set(0);
	return screen;
}

/* Asks the terminal for every button event but motion. ncurses (6.4,
 * lib_getch.c) goes back to a blocking read after a report whose event is
 * not in the mask, so leaving releases out froze the loop after each click
 * until the next key. With no click interval a press is reported at once,
 * a press and release read together merge into a click, and a second
 * press on the selected line counts as the double click. */
static void start_mouse(const tui_options *opt)
{
	if (opt->no_mouse)
		return;
	mouseinterval(0);
	mousemask(ALL_MOUSE_EVENTS, NULL);
}

int tui_run(sl_app *app, const tui_options *opt)
{
	const char *no_color_env = getenv("NO_COLOR");
	SCREEN *screen;
	tui t;

	setlocale(LC_ALL, "");
	screen = start_curses();
	if (!screen)
		return 1;

	memset(&t, 0, sizeof t);
	t.app = app;
	t.opt = opt;
	t.dirty = DIRTY_ALL;
	t.frame_ms = 1000 / (opt->fps > 0 ? opt->fps : FPS_DEFAULT);
	t.chart_window = TUI_CHART_WINDOW_DEFAULT;
	tui_theme_init(!opt->no_color && !(no_color_env && no_color_env[0]));
	tui_tail_init(&t.tail, TAIL_LINES);
	tui_results_init(&t.results);
	tui_query_init(opt->history_path);
	compute_layout(&t.lay, LINES, COLS);
	start_mouse(opt);
	if (opt->initial_query && opt->initial_query[0])
		run_query(&t, sl_strdup(opt->initial_query), 1);

	main_loop(&t);

	tui_query_shutdown();
	tui_results_free(&t.results);
	tui_detail_close(&t.detail);
	tui_pipeview_close(&t.pipeview);
	tui_tail_free(&t.tail);
	free(t.bar_text);
	free(t.overwrite_path);
	tui_emergency_restore();
	delscreen(screen);
	if (tty_in) {
		fclose(tty_in);
		tty_in = NULL;
	}
	return 0;
}
