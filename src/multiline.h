/* multiline.h: joins the lines of one multi-line event (a Java stack trace,
 * a Python traceback, an indented continuation) into one record, between the
 * line reader and the decoder of file and stdin sources.
 *
 * A line that opens with a timestamp or a time of day, a syslog PRI, a
 * JSON object, a glog prefix or Python's default "ERROR:name:" starts a
 * new event. After an
 * event that opened with one of these but JSON, indented lines, "Caused
 * by:", "Suppressed:", "... N more", Java exception class lines, Python
 * traceback blocks, PHP stack traces ("[stacktrace]", "#0 ...") and Go
 * crash reports ("panic: ...", "goroutine 1 [running]:", frames) continue
 * it. JSON events take no continuation lines, except the parts of
 * a line that Docker's json-file driver split. A record whose "log" text
 * does not end in "\n" is joined with the following records of the same
 * stream, up to the one that does, even when the joiner is disabled. Lines
 * of containerd and CRI-O tagged P are joined the same way, up to the one
 * tagged F. The
 * joined text keeps the lines separated by '\n', with the blank lines
 * between two lines of one event. Other blank lines are dropped. */
#ifndef SL_MULTILINE_H
#define SL_MULTILINE_H

#include <stddef.h>
#include <stdint.h>

#include "linereader.h"
#include "util.h"

typedef struct sl_multiline {
	sl_buf text;       /* the pending event's lines, joined with '\n' */
	size_t cap;        /* maximum joined size in bytes */
	int enabled;       /* 0: every line is an event of its own */
	int pending;       /* text contains an event not emitted yet */
	int truncated;     /* a joined line was cut, or the event hit the cap */
	int timed;         /* the pending event opened with a timestamp */
	int json;          /* the pending event is a JSON object */
	int traceback;     /* inside a Python traceback block */
	int go_trace;      /* inside a Go panic's goroutine dump */
	size_t blank_lines; /* blank lines held after the pending event */
	int docker_partial; /* the pending event is a split line so far: 1 from
			     * Docker's json-file, 2 from a CRI runtime */
	char docker_stream[16]; /* its stream ("stdout", "stderr") */
	uint64_t start;    /* offset of the pending event's first line */
	uint64_t end;      /* offset just past its last line's terminator */
	uint64_t emitted_end; /* end of the last emitted event's last line */
	uint64_t joined;   /* continuation lines joined so far, for metrics */
} sl_multiline;

/* Prepares an empty joiner; cap 0 means SL_LINE_CAP_DEFAULT. */
void sl_multiline_init(sl_multiline *ml, size_t cap, int enabled, uint64_t start_offset);
void sl_multiline_free(sl_multiline *ml);

/* Takes one line as the line reader gives it. Calls cb with the previous
 * event when this line starts a new one (or when the cap is reached), and
 * returns the callback's result, else 0. */
int sl_multiline_add(sl_multiline *ml, const char *line, size_t len, int truncated,
		     uint64_t start, uint64_t end, sl_line_cb cb, void *ud);

/* Emits the pending event, if any (idle timeout, end of input, rotation).
 * Returns the callback's result, or 0 when nothing was pending. */
int sl_multiline_flush(sl_multiline *ml, sl_line_cb cb, void *ud);

/* Returns 1 while an event waits for more lines. */
int sl_multiline_has_pending(const sl_multiline *ml);

/* Returns the offset a restart must resume from so that it neither loses
 * nor repeats an event: the first line of the pending event, or line_end,
 * the end of the last complete line, when nothing is pending. */
uint64_t sl_multiline_resume_offset(const sl_multiline *ml, uint64_t line_end);

/* The prefix that containerd and CRI-O write before each line of a
 * container's output, "2026-12-04T10:11:12.123456789Z stdout F ": the
 * time, the stream, and a tag, P for a part of a line that the runtime
 * split, F for the last or only part. */
typedef struct sl_cri_prefix {
	int64_t ts_ms;
	const char *stream;
	size_t stream_len;
	int partial; /* tag P */
	size_t len;  /* prefix length: where the content starts */
} sl_cri_prefix;

/* Reads a CRI prefix at the start of s. Returns 1 and fills out, or 0 when
 * s does not start with one. */
int sl_cri_prefix_parse(const char *s, size_t n, sl_cri_prefix *out);

/* Returns 1 when the line opens with something that starts an event: a
 * timestamp or a time of day (bare or in brackets), a syslog PRI, a JSON object, a glog
 * prefix or Python's default "LEVEL:name:" prefix. */
int sl_multiline_starts_event(const char *line, size_t len);

#endif
