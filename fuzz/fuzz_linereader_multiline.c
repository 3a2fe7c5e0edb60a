/* libFuzzer target: the line reader feeding the multi-line joiner, with a
 * small cap so cuts and splits happen. Checks that every event's offsets
 * are ordered and never past the bytes fed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/linereader.h"
#include "../src/multiline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct state {
	sl_multiline ml;
	uint64_t last_end;
	uint64_t size;
} state;

static int on_event(void *ud, const char *text, size_t len, int truncated, uint64_t start,
		    uint64_t end)
{
	state *st = ud;

	(void)text;
	(void)len;
	(void)truncated;
	if (start > end || end > st->size || start < st->last_end)
		abort();
	st->last_end = end;
	return 0;
}

static int on_line(void *ud, const char *line, size_t len, int truncated, uint64_t start,
		   uint64_t end)
{
	state *st = ud;

	return sl_multiline_add(&st->ml, line, len, truncated, start, end, on_event, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_linereader lr;
	state st;
	size_t half = size / 2;

	memset(&st, 0, sizeof st);
	st.size = size;
	sl_linereader_init(&lr, 64, 0);
	sl_multiline_init(&st.ml, 128, 1, 0);
	/* Two feeds, so a CRLF or a line can straddle them. */
	sl_linereader_feed(&lr, (const char *)data, half, on_line, &st);
	sl_linereader_feed(&lr, (const char *)data + half, size - half, on_line, &st);
	sl_linereader_flush(&lr, on_line, &st);
	sl_multiline_flush(&st.ml, on_event, &st);
	sl_multiline_free(&st.ml);
	sl_linereader_free(&lr);
	return 0;
}
