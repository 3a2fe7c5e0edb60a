/* Tests for the multi-line joiner: which lines continue an event, the
 * offsets that ids and restarts rely on, the size cap, and the stack trace
 * case file read through the line reader. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/linereader.h"
#include "../../src/multiline.h"

#define MAX_EVENTS 16

typedef struct events {
	char *text[MAX_EVENTS];
	int truncated[MAX_EVENTS];
	uint64_t start[MAX_EVENTS], end[MAX_EVENTS];
	int n;
	sl_multiline *ml; /* lines from the line reader go through this joiner */
} events;

static int collect(void *ud, const char *text, size_t len, int truncated, uint64_t start,
		   uint64_t end)
{
	events *e = ud;

	cr_assert_lt(e->n, MAX_EVENTS);
	e->text[e->n] = strndup(text, len);
	e->truncated[e->n] = truncated;
	e->start[e->n] = start;
	e->end[e->n] = end;
	e->n++;
	return 0;
}

static int to_joiner(void *ud, const char *line, size_t len, int truncated, uint64_t start,
		     uint64_t end)
{
	events *e = ud;

	return sl_multiline_add(e->ml, line, len, truncated, start, end, collect, e);
}

/* Feeds text through a line reader and the joiner, then flushes both. */
static void join_text(const char *text, size_t cap, events *e)
{
	sl_linereader lr;
	sl_multiline ml;

	memset(e, 0, sizeof *e);
	e->ml = &ml;
	sl_linereader_init(&lr, 0, 0);
	sl_multiline_init(&ml, cap, 1, 0);
	sl_linereader_feed(&lr, text, strlen(text), to_joiner, e);
	sl_linereader_flush(&lr, to_joiner, e);
	sl_multiline_flush(&ml, collect, e);
	sl_multiline_free(&ml);
	sl_linereader_free(&lr);
}

static void free_events(events *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		free(e->text[i]);
}

Test(multiline, java_trace_joined)
{
	const char *text = "2026-03-03 14:27:34 ERROR Main - failed\n"
			   "java.lang.IllegalStateException: no lines\n"
			   "\tat a.B.c(B.java:1)\n"
			   "Caused by: java.lang.NullPointerException: null\n"
			   "    at a.B.d(B.java:2)\n"
			   "\t... 2 more\n"
			   "... 3 more\n"
			   "Suppressed: java.io.IOException\n"
			   "2026-03-03 14:27:35 INFO Main - End\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[0], "2026-03-03 14:27:34 ERROR Main - failed\n"
				    "java.lang.IllegalStateException: no lines\n"
				    "\tat a.B.c(B.java:1)\n"
				    "Caused by: java.lang.NullPointerException: null\n"
				    "    at a.B.d(B.java:2)\n"
				    "\t... 2 more\n"
				    "... 3 more\n"
				    "Suppressed: java.io.IOException");
	cr_assert_str_eq(e.text[1], "2026-03-03 14:27:35 INFO Main - End");
	free_events(&e);
}

Test(multiline, python_traceback_joined)
{
	const char *text = "2026-01-02 03:04:05,678 - app - ERROR - boom\n"
			   "Traceback (most recent call last):\n"
			   "  File \"x.py\", line 1, in <module>\n"
			   "ValueError: bad value\n"
			   "not part of it\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[0], "2026-01-02 03:04:05,678 - app - ERROR - boom\n"
				    "Traceback (most recent call last):\n"
				    "  File \"x.py\", line 1, in <module>\n"
				    "ValueError: bad value");
	cr_assert_str_eq(e.text[1], "not part of it");
	free_events(&e);
}

Test(multiline, offsets_of_first_and_last_line)
{
	/* Line starts: 0, 23, 31 (after CRLF) and 38; the file ends at 61. */
	const char *text = "2026-01-01T00:00:00Z a\n  cont\r\n  more\n2026-01-01T00:00:01Z b\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.start[0], 0);
	cr_assert_eq(e.end[0], 38);
	cr_assert_eq(e.start[1], 38);
	cr_assert_eq(e.end[1], 61);
	free_events(&e);
}

Test(multiline, resume_offset_before_pending_event)
{
	sl_multiline ml;
	events e;

	memset(&e, 0, sizeof e);
	sl_multiline_init(&ml, 0, 1, 100);
	cr_assert_eq(sl_multiline_resume_offset(&ml, 100), 100);
	sl_multiline_add(&ml, "2026-01-01T00:00:00Z a", 22, 0, 100, 123, collect, &e);
	/* Nothing emitted yet: a restart must read the pending event again. */
	cr_assert_eq(sl_multiline_resume_offset(&ml, 123), 100);
	sl_multiline_add(&ml, " at x", 5, 0, 123, 129, collect, &e);
	cr_assert_eq(sl_multiline_resume_offset(&ml, 129), 100);
	sl_multiline_add(&ml, "2026-01-01T00:00:01Z b", 22, 0, 129, 152, collect, &e);
	cr_assert_eq(e.n, 1);
	cr_assert_eq(e.end[0], 129);
	cr_assert_eq(sl_multiline_resume_offset(&ml, 152), 129);
	sl_multiline_flush(&ml, collect, &e);
	cr_assert_eq(sl_multiline_resume_offset(&ml, 152), 152);
	cr_assert_eq(e.n, 2);
	sl_multiline_free(&ml);
	free_events(&e);
}

Test(multiline, json_never_joined)
{
	const char *text = "{\"time\":\"2026-01-01T00:00:00Z\",\"msg\":\"a\"}\n"
			   "  indented\n"
			   "\tat x.Y.z(Y.java:1)\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 3);
	free_events(&e);
}

Test(multiline, untimed_lines_not_joined)
{
	/* Access log lines open with an address, not a time: each one is an
	 * event, indented or not. */
	events e;

	join_text("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /\" 200 1\n  x\nplain\n", 0,
		  &e);
	cr_assert_eq(e.n, 3);
	free_events(&e);
}

Test(multiline, unqualified_error_word_starts_event)
{
	events e;

	join_text("2026-01-01T00:00:00Z a\nError: disk full\nValueError: x\n", 0, &e);
	cr_assert_eq(e.n, 3);
	free_events(&e);
}

Test(multiline, cap_splits_event)
{
	events e;

	join_text("2026-01-01T00:00:00Z aaaa\n  bbbbbbbb\n  cccccccc\n  dd\n", 40, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[0], "2026-01-01T00:00:00Z aaaa\n  bbbbbbbb");
	cr_assert_eq(e.truncated[0], 1);
	/* The rest still joins its own continuation lines. */
	cr_assert_str_eq(e.text[1], "  cccccccc\n  dd");
	cr_assert_eq(e.truncated[1], 0);
	free_events(&e);
}

Test(multiline, disabled_passes_lines)
{
	sl_multiline ml;
	events e;

	memset(&e, 0, sizeof e);
	sl_multiline_init(&ml, 0, 0, 0);
	sl_multiline_add(&ml, "2026-01-01T00:00:00Z a", 22, 0, 0, 23, collect, &e);
	sl_multiline_add(&ml, "  b", 3, 0, 23, 27, collect, &e);
	sl_multiline_flush(&ml, collect, &e);
	cr_assert_eq(e.n, 2);
	sl_multiline_free(&ml);
	free_events(&e);
}

Test(multiline, starts_event_forms)
{
	cr_assert(sl_multiline_starts_event("2026-01-02T03:04:05Z x", 22));
	cr_assert(sl_multiline_starts_event("[2016-12-19 18:00:00,123] INFO", 30));
	cr_assert(sl_multiline_starts_event("Jun 14 15:16:01 combo x", 23));
	cr_assert(sl_multiline_starts_event("<34>Oct 11 22:14:15 h x", 23));
	cr_assert(sl_multiline_starts_event("I0102 03:04:05.678901 1 a.cc:1] x", 33));
	cr_assert(sl_multiline_starts_event("{\"a\":1}", 7));
	cr_assert_not(sl_multiline_starts_event("\tat a.B.c(B.java:1)", 19));
	cr_assert_not(sl_multiline_starts_event("Caused by: x", 12));
	cr_assert_not(sl_multiline_starts_event("<html>", 6));
}

/* The C14 case file: 9 lines, of which lines 3 to 8 (exception, two frames,
 * "Caused by:", a frame, "... 2 more") continue the ERROR event. */
Test(multiline, case_c14_three_events)
{
	const char *path = "../shared/cases/C14-multiline-java-stacktrace.log";
	FILE *fp = fopen(path, "rb");
	char buf[4096];
	size_t n;
	events e;

	if (!fp)
		cr_skip_test("%s is absent (it ships beside the repository, not in it)", path);
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	join_text(buf, 0, &e);
	cr_assert_eq(e.n, 3);
	cr_assert(strncmp(e.text[1], "2026-03-03 14:27:34 [main] ERROR Main - Request failed\n", 55) == 0);
	cr_assert(strstr(e.text[1], "\tat com.example.shop.Order.lines(Order.java:52)\n\t... 2 more"));
	cr_assert_str_eq(e.text[2], "2026-03-03 14:27:35 [main] INFO  Main - End");
	cr_assert_eq(e.start[1], 46);
	free_events(&e);
}

Test(multiline, php_stack_trace_joined)
{
	events e;

	/* Monolog writes the trace inside the exception's JSON context. */
	join_text("[2026-03-14 10:11:12] app.ERROR: boom {\"exception\":\"[object] (Error: boom at /a.php:3)\n"
		  "[stacktrace]\n"
		  "#0 /var/www/a.php(12): run()\n"
		  "#1 {main}\n"
		  "\"} \n"
		  "[2026-03-14 10:11:13] app.INFO: next\n",
		  0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[1], "[2026-03-14 10:11:13] app.INFO: next");
	cr_assert_not_null(strstr(e.text[0], "\n#1 {main}\n\"} "));
	free_events(&e);
}

Test(multiline, hash_word_line_not_joined)
{
	events e;

	/* A line opening with "#" and no frame number starts an event. */
	join_text("2026-03-14 10:11:12 ERROR boom\n#define X 1\n", 0, &e);
	cr_assert_eq(e.n, 2);
	free_events(&e);
}

typedef struct frames {
	char *text[8];
	uint64_t start[8];
	int n;
} frames;

static int collect_frame(void *ud, const char *text, size_t len, int truncated, uint64_t start,
			 uint64_t end)
{
	frames *f = ud;

	(void)truncated;
	(void)end;
	cr_assert_lt(f->n, 8);
	f->text[f->n] = strndup(text, len);
	f->start[f->n++] = start;
	return 1; /* stop: every frame of the line must still be emitted */
}

Test(multiline, octet_counted_frames_split)
{
	/* RFC 6587 octet counting: "28 " and then 28 bytes, frames back to
	 * back on one line as a TCP stream carries them. */
	const char *line = "28 <13>Mar 14 10:11:12 h a: one28 <13>Mar 14 10:11:13 h a: two"
			   "28 <13>Mar 14 10:11:14 h a: thr";
	sl_multiline ml;
	frames f = {0};
	int i;

	cr_assert_eq(strlen("<13>Mar 14 10:11:12 h a: one"), 28);
	sl_multiline_init(&ml, 0, 1, 100);
	cr_assert_neq(sl_multiline_add(&ml, line, strlen(line), 0, 100, 100 + strlen(line) + 1,
				       collect_frame, &f),
		      0);
	sl_multiline_flush(&ml, collect_frame, &f);
	cr_assert_eq(f.n, 3);
	cr_assert_str_eq(f.text[0], "28 <13>Mar 14 10:11:12 h a: one");
	cr_assert_str_eq(f.text[2], "28 <13>Mar 14 10:11:14 h a: thr");
	for (i = 0; i < 3; i++)
		cr_assert_eq(f.start[i], 100 + 31 * (uint64_t)i, "frame %d", i);
	for (i = 0; i < f.n; i++)
		free(f.text[i]);
	sl_multiline_free(&ml);
}

Test(multiline, nul_ended_frames_split)
{
	const char line[] = "<13>Mar 14 10:11:12 h a: one\0<13>Mar 14 10:11:13 h a: two\0";
	sl_multiline ml;
	frames f = {0};
	int i;

	sl_multiline_init(&ml, 0, 1, 0);
	sl_multiline_add(&ml, line, sizeof line - 1, 0, 0, sizeof line, collect_frame, &f);
	sl_multiline_flush(&ml, collect_frame, &f);
	cr_assert_eq(f.n, 2);
	cr_assert_eq(strncmp(f.text[1], "<13>Mar 14 10:11:13 h a: two", 28), 0);
	for (i = 0; i < f.n; i++)
		free(f.text[i]);
	sl_multiline_free(&ml);
}

Test(multiline, count_too_long_is_one_line)
{
	events e;

	/* A count past the line's end: no framing, the line stays whole. */
	join_text("99 <13>Mar 14 10:11:12 h a: one\n", 0, &e);
	cr_assert_eq(e.n, 1);
	cr_assert_str_eq(e.text[0], "99 <13>Mar 14 10:11:12 h a: one");
	free_events(&e);
}

Test(multiline, python_default_format_traceback)
{
	events e;

	join_text("ERROR:root:job failed\n"
		  "Traceback (most recent call last):\n"
		  "  File \"job.py\", line 3, in <module>\n"
		  "    run()\n"
		  "ZeroDivisionError: division by zero\n"
		  "INFO:root:next job\n",
		  0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_not_null(strstr(e.text[0], "\nZeroDivisionError: division by zero"));
	cr_assert_str_eq(e.text[1], "INFO:root:next job");
	free_events(&e);
}

Test(multiline, glog_with_year_starts_event)
{
	cr_assert(sl_multiline_starts_event("I20261204 10:11:12.123456 1 a.cc:1] x", 37));
	cr_assert(sl_multiline_starts_event("E1204 10:11:12.123456 1 a.cc:1] x", 33));
	cr_assert_not(sl_multiline_starts_event("I2026120 10:11:12.123456 1 a.cc:1] x", 36));
	cr_assert(sl_multiline_starts_event("WARNING:py.warnings:deprecated", 30));
	cr_assert_not(sl_multiline_starts_event("WARNING: no name here", 21));
}

Test(multiline, python_chained_traceback_blank_lines)
{
	const char *text = "2026-01-02 03:04:05,678 - app - ERROR - boom\n"
			   "Traceback (most recent call last):\n"
			   "  File \"x.py\", line 1, in <module>\n"
			   "KeyError: 'a'\n"
			   "\n"
			   "During handling of the above exception, another exception occurred:\n"
			   "\n"
			   "Traceback (most recent call last):\n"
			   "  File \"x.py\", line 3, in <module>\n"
			   "ValueError: bad value\n"
			   "\n"
			   "2026-01-02 03:04:06,000 - app - INFO - next\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[0], "2026-01-02 03:04:05,678 - app - ERROR - boom\n"
				    "Traceback (most recent call last):\n"
				    "  File \"x.py\", line 1, in <module>\n"
				    "KeyError: 'a'\n"
				    "\n"
				    "During handling of the above exception, another exception occurred:\n"
				    "\n"
				    "Traceback (most recent call last):\n"
				    "  File \"x.py\", line 3, in <module>\n"
				    "ValueError: bad value");
	cr_assert_str_eq(e.text[1], "2026-01-02 03:04:06,000 - app - INFO - next");
	free_events(&e);
}

Test(multiline, go_goroutine_dump_joined)
{
	const char *text = "2026-01-02 03:04:05 ERROR handler failed\n"
			   "goroutine 1 [running]:\n"
			   "main.handle(...)\n"
			   "\t/app/handler.go:31 +0x1d\n"
			   "net/http.(*conn).serve(0xc0000a6000)\n"
			   "\t/usr/lib/go/src/net/http/server.go:2 +0x2\n"
			   "created by main.start in goroutine 1\n"
			   "2026-01-02 03:04:06 INFO next\n"
			   "panic: assignment to entry in nil map\n"
			   "\n"
			   "goroutine 7 [running]:\n"
			   "main.main()\n"
			   "\t/app/main.go:10 +0x25\n"
			   "plain words after it\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 3);
	cr_assert_str_eq(e.text[0], "2026-01-02 03:04:05 ERROR handler failed\n"
				    "goroutine 1 [running]:\n"
				    "main.handle(...)\n"
				    "\t/app/handler.go:31 +0x1d\n"
				    "net/http.(*conn).serve(0xc0000a6000)\n"
				    "\t/usr/lib/go/src/net/http/server.go:2 +0x2\n"
				    "created by main.start in goroutine 1");
	cr_assert_str_eq(e.text[1], "2026-01-02 03:04:06 INFO next\n"
				    "panic: assignment to entry in nil map\n"
				    "\n"
				    "goroutine 7 [running]:\n"
				    "main.main()\n"
				    "\t/app/main.go:10 +0x25");
	cr_assert_str_eq(e.text[2], "plain words after it");
	free_events(&e);
}

Test(multiline, go_frame_needs_goroutine_header)
{
	/* A call-like line after an ordinary event is a line of its own. */
	const char *text = "2026-01-02 03:04:05 INFO calling\n"
			   "main.handle(x)\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	free_events(&e);
}

Test(multiline, time_of_day_line_takes_trace)
{
	const char *text = "10:11:16.789 [worker-1] ERROR c.e.Worker - failed\n"
			   "java.lang.IllegalStateException: stopped\n"
			   "\tat c.e.Worker.run(Worker.java:7)\n"
			   "10:11:17.000 [worker-1] INFO  c.e.Worker - next\n";
	events e;

	join_text(text, 0, &e);
	cr_assert_eq(e.n, 2);
	cr_assert_str_eq(e.text[0], "10:11:16.789 [worker-1] ERROR c.e.Worker - failed\n"
				    "java.lang.IllegalStateException: stopped\n"
				    "\tat c.e.Worker.run(Worker.java:7)");
	free_events(&e);
}
