/* linereader.c: splits a byte stream into lines with exact stream offsets.
 *
 * A CR ends a line, but the line is emitted only once the next byte is known.
 * When that byte is LF the pair is one terminator, so end_offset points past
 * the LF and a source that resumes there never reads the LF as an empty line.
 * A CR that is the last byte of a feed therefore stays pending until the next
 * feed or a flush. */
#include "linereader.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void sl_linereader_init(sl_linereader *lr, size_t cap, uint64_t start_offset)
{
	memset(lr, 0, sizeof *lr);
	lr->cap = cap ? cap : SL_LINE_CAP_DEFAULT;
	/* The buffer never grows past the cap, so one allocation bounds memory.
	 * Pages of a large malloc are only touched as a line fills them. */
	lr->buf = sl_malloc(lr->cap + 1);
	lr->consumed = start_offset;
	lr->line_end = start_offset;
}

void sl_linereader_free(sl_linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->len = 0;
}

int sl_linereader_has_partial(const sl_linereader *lr)
{
	return lr->len > 0 || lr->truncated || lr->pending_cr;
}

/* Returns the length of the UTF-8 sequence that lead byte c starts, or 0
 * for a continuation byte or a byte that can never start a sequence. */
static size_t utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Shortens the buffered line so it does not end inside a multibyte sequence
 * whose remaining bytes were cut off at the cap. */
static void cut_on_boundary(sl_linereader *lr)
{
	size_t i = lr->len;
	size_t back = 0;

	while (i > 0 && back < 4) {
		unsigned char c = (unsigned char)lr->buf[i - 1];
		size_t need;

		i--;
		back++;
		if ((c & 0xc0) == 0x80)
			continue;
		need = utf8_seq_len(c);
		/* need == 0 is an invalid byte: it is kept and becomes U+FFFD in
		 * the decoder, like any other invalid byte. */
		if (need > back)
			lr->len = i;
		return;
	}
}

static void add_byte(sl_linereader *lr, char c)
{
	if (lr->discarding)
		return;
	if (lr->len < lr->cap) {
		lr->buf[lr->len++] = c;
		return;
	}
	cut_on_boundary(lr);
	lr->truncated = 1;
	lr->discarding = 1;
	lr->cut_lines++;
}

/* Adds n ordinary bytes (no CR, LF or NUL): the part that fits is copied at
 * once, and a byte past the cap cuts the line as add_byte() does. */
static void add_bytes(sl_linereader *lr, const char *s, size_t n)
{
	size_t room;

	if (lr->discarding)
		return;
	room = lr->cap - lr->len;
	if (n <= room) {
		memcpy(lr->buf + lr->len, s, n);
		lr->len += n;
		return;
	}
	memcpy(lr->buf + lr->len, s, room);
	lr->len += room;
	add_byte(lr, s[room]);
}

/* Emits the buffered line as ending at offset end and resets for the next
 * line. Returns the callback's result. */
static int emit_line(sl_linereader *lr, uint64_t end, sl_line_cb cb, void *ud)
{
	uint64_t start = lr->line_end;
	int truncated = lr->truncated;
	size_t len = lr->len;

	lr->buf[len] = '\0';
	lr->len = 0;
	lr->truncated = 0;
	lr->discarding = 0;
	lr->pending_cr = 0;
	lr->line_end = end;
	return cb(ud, lr->buf, len, truncated, start, end);
}

size_t sl_linereader_feed(sl_linereader *lr, const char *data, size_t n, sl_line_cb cb, void *ud)
{
	size_t i = 0;

	while (i < n) {
		char c = data[i];
		int stop;

		if (lr->pending_cr) {
			/* CR then LF: one terminator, the LF is part of it. */
			if (c == '\n') {
				i++;
				lr->consumed++;
			}
			if (emit_line(lr, lr->consumed, cb, ud))
				return i;
			continue;
		}

		if (c != '\r' && c != '\n' && c != '\0') {
			size_t run = i + 1;

			while (run < n && data[run] != '\r' && data[run] != '\n' && data[run] != '\0')
				run++;
			add_bytes(lr, data + i, run - i);
			lr->consumed += run - i;
			i = run;
			continue;
		}
		i++;
		lr->consumed++;
		if (c == '\r') {
			lr->pending_cr = 1;
			continue;
		}
		if (c == '\n') {
			stop = emit_line(lr, lr->consumed, cb, ud);
			if (stop)
				return i;
			continue;
		}
		if (c == '\0') {
			lr->nul_bytes++;
			continue;
		}
		add_byte(lr, c);
	}
	return i;
}

void sl_linereader_flush(sl_linereader *lr, sl_line_cb cb, void *ud)
{
	if (!sl_linereader_has_partial(lr))
		return;
	emit_line(lr, lr->consumed, cb, ud);
}
