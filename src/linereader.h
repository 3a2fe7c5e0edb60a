/* linereader.h: splits a byte stream into lines. LF, CRLF and a lone CR all
 * end a line; runs of NUL bytes are skipped and counted; a line longer than
 * the cap is cut on a UTF-8 boundary, flagged, and the rest of it up to the
 * next line end is discarded, so memory stays bounded. */
#ifndef SL_LINEREADER_H
#define SL_LINEREADER_H

#include <stddef.h>
#include <stdint.h>

#define SL_LINE_CAP_DEFAULT (1024 * 1024)

typedef struct sl_linereader {
	char *buf;          /* the line being assembled */
	size_t len;
	size_t cap;         /* maximum line length in bytes */
	int pending_cr;     /* the last byte fed was CR: a following LF is skipped */
	int discarding;     /* inside an over-long line, after the cut */
	int truncated;      /* the line being assembled was cut */
	uint64_t consumed;  /* bytes fed so far */
	uint64_t line_end;  /* offset just past the last complete line's terminator */
	uint64_t nul_bytes; /* NUL bytes skipped */
	uint64_t cut_lines; /* lines cut at the cap */
} sl_linereader;

/* Called once per line; truncated is 1 when the line was cut. end_offset is
 * the stream offset just past the line terminator. Returns 0 to go on, or
 * non-zero to stop feeding. */
typedef int (*sl_line_cb)(void *ud, const char *line, size_t len, int truncated,
			  uint64_t start_offset, uint64_t end_offset);

void sl_linereader_init(sl_linereader *lr, size_t cap, uint64_t start_offset);
void sl_linereader_free(sl_linereader *lr);
/* Feeds n bytes and calls cb for each complete line. Returns the number of
 * bytes consumed (n, unless cb asked to stop). */
size_t sl_linereader_feed(sl_linereader *lr, const char *data, size_t n, sl_line_cb cb, void *ud);
/* Emits the unterminated last line, if any (at end of input or after idle). */
void sl_linereader_flush(sl_linereader *lr, sl_line_cb cb, void *ud);
/* Returns 1 when a partial line is buffered. */
int sl_linereader_has_partial(const sl_linereader *lr);

#endif
