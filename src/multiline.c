/* multiline.c: decides for each line whether it continues the pending event
 * or starts a new one. An event's id is its first line's offset, and the
 * resume offset never points past an event that was not emitted yet, so
 * restarts neither lose nor repeat events. */
#include "multiline.h"

#include <string.h>

#include "timeparse.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       c == '$';
}

static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(s, prefix, pn) == 0;
}

/* Returns 1 for glog's "I0102 03:04:05" (or "I20260102 03:04:05" from
 * glog 0.7 on), whose level letter comes before the date. */
static int glog_start(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 14 || !memchr("IWEF", s[0], 4))
		return 0;
	while (i < n && is_digit(s[i]))
		i++;
	if (i != 5 && i != 9)
		return 0;
	return i + 4 < n && s[i] == ' ' && is_digit(s[i + 1]) && is_digit(s[i + 2]) &&
	       s[i + 3] == ':';
}

/* Returns 1 for the Python logging module's default "ERROR:name:message",
 * which carries no time but starts an event that a traceback continues. */
static int python_start(const char *s, size_t n)
{
	static const char *const levels[] = {"DEBUG:", "INFO:", "WARNING:", "ERROR:", "CRITICAL:",
					     NULL};
	size_t k, p;

	for (k = 0; levels[k]; k++) {
		if (!has_prefix(s, n, levels[k]))
			continue;
		for (p = strlen(levels[k]); p < n && s[p] != ':' && s[p] != ' '; p++)
			;
		return p > strlen(levels[k]) && p < n && s[p] == ':';
	}
	return 0;
}

int sl_multiline_starts_event(const char *line, size_t len)
{
	int64_t ts;
	size_t p = 0;

	if (len == 0)
		return 0;
	if (line[0] == '{')
		return 1;
	if (line[0] == '<') {
		/* A syslog PRI: "<34>" with up to three digits. */
		for (p = 1; p < len && p <= 3 && is_digit(line[p]); p++)
			;
		if (p > 1 && p < len && line[p] == '>')
			return 1;
		return 0;
	}
	if (line[0] == '[')
		p = 1;
	/* The year of a syslog stamp does not matter for the match. A time of
	 * day alone ("10:11:12.345", logback's default) counts too. */
	if (sl_time_parse(line + p, len - p, 0, &ts) || sl_time_parse_clock(line + p, len - p, &ts))
		return 1;
	return glog_start(line, len) || python_start(line, len);
}

/* Returns 1 for "... 12 more", the line that ends a Java cause's frames. */
static int is_more_line(const char *s, size_t n)
{
	size_t p = 4;

	if (!has_prefix(s, n, "... "))
		return 0;
	if (p >= n || !is_digit(s[p]))
		return 0;
	while (p < n && is_digit(s[p]))
		p++;
	return n - p == 5 && memcmp(s + p, " more", 5) == 0;
}

/* Reads a dotted name ("java.lang.IllegalStateException") at s and returns
 * its length, or 0; sets *dots to the number of dots in it. */
static size_t dotted_name(const char *s, size_t n, unsigned *dots)
{
	size_t p = 0;

	*dots = 0;
	if (n == 0 || is_digit(s[0]) || !is_ident(s[0]))
		return 0;
	while (p < n && (is_ident(s[p]) || s[p] == '.')) {
		if (s[p] == '.')
			(*dots)++;
		p++;
	}
	return s[p - 1] == '.' ? 0 : p;
}

/* Returns 1 when the name ends in a word Java and Python give their
 * exception classes. */
static int exception_name(const char *s, size_t n)
{
	static const char *const suffixes[] = {"Exception", "Error", "Throwable", "Exit",
					       "Interrupt", "Warning", NULL};
	size_t k;

	for (k = 0; suffixes[k]; k++) {
		size_t sn = strlen(suffixes[k]);

		if (n >= sn && memcmp(s + n - sn, suffixes[k], sn) == 0)
			return 1;
	}
	return 0;
}

/* Returns 1 for an exception line: "java.io.IOException: text", a bare
 * "pkg.SomeError", or in a traceback "ValueError: text". Outside a
 * traceback the name must be qualified, so "Error: disk full" is not one. */
static int is_exception_line(const char *s, size_t n, int in_traceback)
{
	unsigned dots;
	size_t p = dotted_name(s, n, &dots);

	if (p == 0 || (p < n && s[p] != ':'))
		return 0;
	if (in_traceback)
		return 1;
	return dots > 0 && exception_name(s, p);
}

static size_t skip_space(const char *s, size_t n, size_t p)
{
	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r'))
		p++;
	return p;
}

/* Returns the index of the closing quote of the JSON string whose opening
 * quote is at s[p], or n when the string is cut off. */
static size_t string_end(const char *s, size_t n, size_t p)
{
	int escaped = 0;

	for (p++; p < n && (s[p] != '"' || escaped); p++)
		escaped = !escaped && s[p] == '\\';
	return p;
}

/* Returns the index just past the JSON value at s[p]: a string, an object
 * or array (brackets counted outside strings), or a number or word. */
static size_t value_end(const char *s, size_t n, size_t p)
{
	int depth = 0;

	if (p < n && s[p] == '"')
		return string_end(s, n, p) + 1;
	for (; p < n; p++) {
		if (s[p] == '"') {
			p = string_end(s, n, p);
		} else if (s[p] == '{' || s[p] == '[') {
			depth++;
		} else if (s[p] == '}' || s[p] == ']') {
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (depth == 0 && (s[p] == ',' || s[p] == ' ' || s[p] == '\t')) {
			return p;
		}
	}
	return n;
}

/* Returns 1 when the JSON string whose closing quote is at s[end] ends in
 * the escape "\n": an odd run of backslashes comes before its final 'n'. */
static int ends_in_newline_escape(const char *s, size_t end)
{
	size_t run;

	if (end < 2 || s[end - 1] != 'n')
		return 0;
	for (run = 0; end >= 2 + run && s[end - 2 - run] == '\\'; run++)
		;
	return run % 2 == 1;
}

/* Reads a Docker json-file record, '{"log":"...","stream":"stdout",...}'.
 * Members may come in any order with any whitespace between tokens, as
 * tools that rewrite these files produce. Returns 1 and sets *partial when
 * the log text does not end in "\n" (Docker split a long line there) and
 * *stream to the stream name (empty when absent); 0 when the line is not
 * such a record. */
static int docker_record(const char *s, size_t n, int *partial, const char **stream,
			 size_t *stream_len)
{
	size_t p = skip_space(s, n, 0), log_end = 0;
	int has_log = 0;

	*stream = "";
	*stream_len = 0;
	if (p >= n || s[p] != '{')
		return 0;
	p = skip_space(s, n, p + 1);
	while (p < n && s[p] == '"') {
		size_t key = p + 1, key_end = string_end(s, n, p), v;

		p = skip_space(s, n, key_end + 1);
		if (p >= n || s[p] != ':')
			return 0;
		v = skip_space(s, n, p + 1);
		if (v >= n)
			return 0;
		p = value_end(s, n, v);
		if (p > n)
			return 0;
		if (s[v] == '"' && key_end - key == 3 && memcmp(s + key, "log", 3) == 0) {
			has_log = 1;
			log_end = p - 1;
		} else if (s[v] == '"' && key_end - key == 6 && memcmp(s + key, "stream", 6) == 0) {
			*stream = s + v + 1;
			*stream_len = p - 1 - (v + 1);
		}
		p = skip_space(s, n, p);
		if (p < n && s[p] == ',')
			p = skip_space(s, n, p + 1);
	}
	if (!has_log || p >= n || s[p] != '}')
		return 0;
	*partial = !ends_in_newline_escape(s, log_end);
	return 1;
}

/* Returns 1 for the lines of a PHP stack trace as Monolog writes it inside
 * the exception's JSON: "[stacktrace]", "[previous exception] ...", frames
 * "#0 /path(12): call()" and the closing quote and brace '"}'. */
static int is_php_trace_line(const char *s, size_t n)
{
	size_t p = 1;

	if (has_prefix(s, n, "[stacktrace]") || has_prefix(s, n, "[previous exception]"))
		return 1;
	if (n >= 2 && s[0] == '"' && s[1] == '}')
		return 1;
	if (n < 3 || s[0] != '#' || !is_digit(s[1]))
		return 0;
	while (p < n && is_digit(s[p]))
		p++;
	return p < n && s[p] == ' ';
}

/* Returns 1 for the line that opens a Go crash report: "panic: ..." or
 * "fatal error: ...", which the runtime writes without a time. */
static int is_go_panic_line(const char *s, size_t n)
{
	return has_prefix(s, n, "panic: ") || has_prefix(s, n, "fatal error: ");
}

/* Returns 1 for the header of a goroutine in a Go stack dump,
 * "goroutine 1 [running]:". */
static int is_goroutine_header(const char *s, size_t n)
{
	size_t p = 10;

	if (!has_prefix(s, n, "goroutine ") || p >= n || !is_digit(s[p]))
		return 0;
	while (p < n && is_digit(s[p]))
		p++;
	return has_prefix(s + p, n - p, " [") && s[n - 2] == ']' && s[n - 1] == ':';
}

/* Returns 1 for the other lines of a Go stack dump: a frame's function
 * "main.handle(...)" or "net/http.(*conn).serve(0xc0)", "created by
 * main.main in goroutine 1" and "[signal SIGSEGV: ...]". The frames' file
 * lines are indented, so they continue as any indented line. */
static int is_go_trace_line(const char *s, size_t n)
{
	size_t open;
	const char *paren;

	if (has_prefix(s, n, "created by ") || has_prefix(s, n, "[signal "))
		return 1;
	paren = memchr(s, '(', n);
	if (!paren || paren == s || s[n - 1] != ')')
		return 0;
	open = (size_t)(paren - s);
	return !memchr(s, ' ', open) && memchr(s, '.', open) != NULL;
}

int sl_cri_prefix_parse(const char *s, size_t n, sl_cri_prefix *out)
{
	size_t p, stream;

	/* The time is RFC 3339 with a 'T', as the runtimes write it. */
	if (n < 20 || !is_digit(s[0]) || s[10] != 'T')
		return 0;
	p = sl_time_parse(s, n, 0, &out->ts_ms);
	if (p == 0 || p >= n || s[p] != ' ')
		return 0;
	stream = ++p;
	if (!has_prefix(s + p, n - p, "stdout ") && !has_prefix(s + p, n - p, "stderr "))
		return 0;
	p += 6;
	if (p + 1 >= n || (s[p + 1] != 'P' && s[p + 1] != 'F'))
		return 0;
	out->stream = s + stream;
	out->stream_len = p - stream;
	out->partial = s[p + 1] == 'P';
	/* Tags after the first are separated by ':'; the content may be empty. */
	for (p += 2; p < n && s[p] != ' '; p++) {
		if (s[p] != ':' && !(s[p] >= 'A' && s[p] <= 'Z'))
			return 0;
	}
	out->len = p < n ? p + 1 : p;
	return 1;
}

/* Reads a record of a container runtime's log: Docker's json-file record
 * (kind 1) or a CRI line (kind 2). Returns the kind, or 0 for neither, and
 * sets *partial and the stream. */
static int runtime_record(const char *s, size_t n, int *partial, const char **stream,
			  size_t *stream_len)
{
	sl_cri_prefix cri;

	if (docker_record(s, n, partial, stream, stream_len))
		return 1;
	if (!sl_cri_prefix_parse(s, n, &cri))
		return 0;
	*partial = cri.partial;
	*stream = cri.stream;
	*stream_len = cri.stream_len;
	return 2;
}

/* Decides whether the line continues the pending event. */
static int continues(sl_multiline *ml, const char *s, size_t n)
{
	if (ml->docker_partial) {
		int partial;
		const char *stream;
		size_t stream_len;

		return runtime_record(s, n, &partial, &stream, &stream_len) == ml->docker_partial &&
		       stream_len == strlen(ml->docker_stream) &&
		       memcmp(stream, ml->docker_stream, stream_len) == 0;
	}
	if (!ml->enabled || !ml->pending || ml->json || !ml->timed)
		return 0;
	if (is_go_panic_line(s, n) || is_goroutine_header(s, n)) {
		ml->go_trace = 1;
		return 1;
	}
	if (sl_multiline_starts_event(s, n))
		return 0;
	if (ml->go_trace && is_go_trace_line(s, n))
		return 1;
	if (s[0] == ' ' || s[0] == '\t')
		return 1;
	if (has_prefix(s, n, "Traceback (most recent call last):")) {
		ml->traceback = 1;
		return 1;
	}
	if (has_prefix(s, n, "During handling of the above exception") ||
	    has_prefix(s, n, "The above exception was the direct cause"))
		return 1;
	if (has_prefix(s, n, "Caused by:") || has_prefix(s, n, "Suppressed:") || is_more_line(s, n))
		return 1;
	if (is_php_trace_line(s, n))
		return 1;
	if (is_exception_line(s, n, ml->traceback)) {
		/* The exception line closes a Python traceback. */
		ml->traceback = 0;
		return 1;
	}
	return 0;
}

void sl_multiline_init(sl_multiline *ml, size_t cap, int enabled, uint64_t start_offset)
{
	memset(ml, 0, sizeof *ml);
	sl_buf_init(&ml->text);
	ml->cap = cap ? cap : SL_LINE_CAP_DEFAULT;
	ml->enabled = enabled;
	ml->start = ml->end = ml->emitted_end = start_offset;
}

void sl_multiline_free(sl_multiline *ml)
{
	sl_buf_free(&ml->text);
	ml->pending = 0;
}

int sl_multiline_has_pending(const sl_multiline *ml)
{
	return ml->pending;
}

uint64_t sl_multiline_resume_offset(const sl_multiline *ml, uint64_t line_end)
{
	return ml->pending ? ml->start : line_end;
}

int sl_multiline_flush(sl_multiline *ml, sl_line_cb cb, void *ud)
{
	int truncated = ml->truncated;

	if (!ml->pending)
		return 0;
	ml->pending = 0;
	ml->truncated = 0;
	ml->emitted_end = ml->end;
	sl_buf_putc(&ml->text, '\0');
	ml->text.len--;
	return cb(ud, ml->text.data, ml->text.len, truncated, ml->start, ml->end);
}

/* Notes whether the line is the first part of a line that Docker or a CRI
 * runtime split, which the following records of the same stream complete. */
static void set_docker_state(sl_multiline *ml, const char *s, size_t n)
{
	const char *stream;
	size_t stream_len;
	int partial = 0, kind;

	ml->docker_partial = 0;
	kind = runtime_record(s, n, &partial, &stream, &stream_len);
	if (!kind || !partial || stream_len >= sizeof ml->docker_stream)
		return;
	ml->docker_partial = kind;
	memcpy(ml->docker_stream, stream, stream_len);
	ml->docker_stream[stream_len] = '\0';
}

/* Makes the line the first line of a new pending event. */
static void start_event(sl_multiline *ml, const char *s, size_t n, int truncated,
			uint64_t start, uint64_t end)
{
	sl_buf_reset(&ml->text);
	sl_buf_append(&ml->text, s, n);
	ml->pending = 1;
	ml->truncated = truncated;
	ml->json = n > 0 && s[0] == '{';
	ml->go_trace = is_go_panic_line(s, n);
	/* A Go crash report is one event even when no timed line precedes it. */
	ml->timed = (sl_multiline_starts_event(s, n) && !ml->json) || ml->go_trace;
	ml->traceback = 0;
	set_docker_state(ml, s, n);
	ml->start = start;
	ml->end = end;
}

/* Returns the length of the first syslog frame of a line that contains
 * several, sent without line breaks as RFC 6587 framing over a stream
 * allows. Frames use octet counting ("215 <86>1 ..." with 215 bytes after
 * the space) or end in a NUL byte. Returns len for one frame or none. */
static size_t first_frame_len(const char *s, size_t len)
{
	size_t p = 0, count = 0, nul;

	while (p < len && p < 9 && is_digit(s[p]))
		count = count * 10 + (size_t)(s[p++] - '0');
	if (p > 0 && s[0] != '0' && p + 1 < len && s[p] == ' ' && s[p + 1] == '<') {
		p++;
		return count > 0 && count < len - p ? p + count : len;
	}
	if (len == 0 || s[0] != '<')
		return len;
	for (nul = 0; nul + 1 < len; nul++) {
		if (s[nul] == '\0' && s[nul + 1] == '<')
			return nul + 1;
	}
	return len;
}

/* Takes one line, or one frame of a line, as described for
 * sl_multiline_add(). */
static int is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	}
	return 1;
}

static int add_line(sl_multiline *ml, const char *line, size_t len, int truncated,
		    uint64_t start, uint64_t end, sl_line_cb cb, void *ud)
{
	size_t blanks = ml->blank_lines;
	int rc;

	/* Python separates chained tracebacks with blank lines. So blank lines
	 * after a timed event are held, and kept only when the next line
	 * continues the event. Other blank lines are dropped. */
	if (is_blank(line, len)) {
		if (ml->pending && ml->enabled && ml->timed && !ml->json && !ml->docker_partial)
			ml->blank_lines++;
		return 0;
	}
	ml->blank_lines = 0;
	if (!continues(ml, line, len)) {
		rc = sl_multiline_flush(ml, cb, ud);
		start_event(ml, line, len, truncated, start, end);
		return rc;
	}
	if (ml->text.len + blanks + 1 + len <= ml->cap) {
		while (blanks-- > 0)
			sl_buf_putc(&ml->text, '\n');
	}

	/* Past the cap the event is emitted as it is and flagged, and the rest
	 * of it starts a new event that keeps taking continuation lines. */
	if (ml->text.len + 1 + len > ml->cap) {
		int docker = ml->docker_partial;

		ml->truncated = 1;
		rc = sl_multiline_flush(ml, cb, ud);
		start_event(ml, line, len, truncated, start, end);
		ml->timed = !docker;
		return rc;
	}
	sl_buf_putc(&ml->text, '\n');
	sl_buf_append(&ml->text, line, len);
	ml->truncated |= truncated;
	ml->end = end;
	ml->joined++;

	/* The part whose log text ends in "\n" completes a split Docker line. */
	if (ml->docker_partial) {
		set_docker_state(ml, line, len);
		if (!ml->docker_partial)
			return sl_multiline_flush(ml, cb, ud);
	}
	return 0;
}

int sl_multiline_add(sl_multiline *ml, const char *line, size_t len, int truncated,
		     uint64_t start, uint64_t end, sl_line_cb cb, void *ud)
{
	int rc = 0;

	/* Every frame is taken even when the callback returns non-zero to
	 * stop, because the line reader counts the whole line as read. Each
	 * frame's offset makes its id. */
	for (;;) {
		size_t frame = first_frame_len(line, len);

		if (frame == len)
			return add_line(ml, line, len, truncated, start, end, cb, ud) | rc;
		rc |= add_line(ml, line, frame, 0, start, start + frame, cb, ud);
		line += frame;
		len -= frame;
		start += frame;
	}
}
