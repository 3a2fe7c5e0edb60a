/* Tests for the line reader: terminators, NUL bytes, the length cap and
 * stream offsets. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/linereader.h"

#define MAX_LINES 16

typedef struct collected {
	char text[MAX_LINES][128];
	size_t len[MAX_LINES];
	int truncated[MAX_LINES];
	uint64_t start[MAX_LINES], end[MAX_LINES];
	int n;
	int stop_after; /* stop feeding after this many lines; 0 never */
} collected;

static int collect(void *ud, const char *line, size_t len, int truncated, uint64_t start,
		   uint64_t end)
{
	collected *c = ud;

	cr_assert_lt(c->n, MAX_LINES);
	cr_assert_lt(len, sizeof c->text[0]);
	memcpy(c->text[c->n], line, len);
	c->text[c->n][len] = '\0';
	c->len[c->n] = len;
	c->truncated[c->n] = truncated;
	c->start[c->n] = start;
	c->end[c->n] = end;
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static void feed_str(sl_linereader *lr, const char *s, collected *c)
{
	size_t used = sl_linereader_feed(lr, s, strlen(s), collect, c);

	cr_assert_eq(used, strlen(s));
}

Test(linereader, lf_crlf_cr_mixed)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 64, 0);
	feed_str(&lr, "a\nbb\r\nccc\rd\n", &c);
	cr_assert_eq(c.n, 4);
	cr_assert_str_eq(c.text[0], "a");
	cr_assert_str_eq(c.text[1], "bb");
	cr_assert_str_eq(c.text[2], "ccc");
	cr_assert_str_eq(c.text[3], "d");
	/* Offsets: "a\n" 0..2, "bb\r\n" 2..6, "ccc\r" 6..10, "d\n" 10..12. */
	cr_assert_eq(c.start[1], 2);
	cr_assert_eq(c.end[1], 6);
	cr_assert_eq(c.start[2], 6);
	cr_assert_eq(c.end[2], 10);
	cr_assert_eq(c.end[3], 12);
	cr_assert_eq(lr.line_end, 12);
	sl_linereader_free(&lr);
}

Test(linereader, crlf_split_across_feeds)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 64, 0);
	feed_str(&lr, "one\r", &c);
	/* The CR may be the first half of CRLF, so the line waits. */
	cr_assert_eq(c.n, 0);
	cr_assert(sl_linereader_has_partial(&lr));
	feed_str(&lr, "\ntwo\r", &c);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.text[0], "one");
	cr_assert_eq(c.end[0], 5);
	feed_str(&lr, "three\n", &c);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.text[1], "two");
	cr_assert_eq(c.end[1], 9);
	cr_assert_str_eq(c.text[2], "three");
	cr_assert_eq(c.start[2], 9);
	sl_linereader_free(&lr);
}

Test(linereader, empty_lines_kept)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 64, 0);
	feed_str(&lr, "\n\r\n\rx\n", &c);
	cr_assert_eq(c.n, 4);
	cr_assert_eq(c.len[0], 0);
	cr_assert_eq(c.len[1], 0);
	cr_assert_eq(c.len[2], 0);
	cr_assert_str_eq(c.text[3], "x");
	sl_linereader_free(&lr);
}

Test(linereader, nul_runs_skipped_and_counted)
{
	sl_linereader lr;
	collected c = {0};
	const char data[] = "ab\0\0\0cd\n\0\0ef\n";

	sl_linereader_init(&lr, 64, 0);
	cr_assert_eq(sl_linereader_feed(&lr, data, sizeof data - 1, collect, &c), sizeof data - 1);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.text[0], "abcd");
	cr_assert_str_eq(c.text[1], "ef");
	cr_assert_eq(lr.nul_bytes, 5);
	/* NUL bytes still count in the offsets: "ab\0\0\0cd\n" is 8 bytes. */
	cr_assert_eq(c.end[0], 8);
	cr_assert_eq(c.end[1], 13);
	sl_linereader_free(&lr);
}

Test(linereader, cap_cuts_on_utf8_boundary)
{
	sl_linereader lr;
	collected c = {0};

	/* Cap 6: "abcde" is 5 bytes and "é" (C3 A9) would end at byte 7, so the
	 * cut falls before it, not between its two bytes. */
	sl_linereader_init(&lr, 6, 0);
	feed_str(&lr, "abcde\xc3\xa9xyz\nnext\n", &c);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.text[0], "abcde");
	cr_assert_eq(c.truncated[0], 1);
	cr_assert_eq(c.end[0], 11);
	cr_assert_str_eq(c.text[1], "next");
	cr_assert_eq(c.truncated[1], 0);
	cr_assert_eq(c.start[1], 11);
	cr_assert_eq(lr.cut_lines, 1);
	sl_linereader_free(&lr);
}

Test(linereader, cap_keeps_whole_sequence_at_edge)
{
	sl_linereader lr;
	collected c = {0};

	/* Cap 6: "abcd" + "é" fills exactly 6 bytes; the sequence stays. */
	sl_linereader_init(&lr, 6, 0);
	feed_str(&lr, "abcd\xc3\xa9zz\n", &c);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.text[0], "abcd\xc3\xa9");
	cr_assert_eq(c.truncated[0], 1);
	sl_linereader_free(&lr);
}

Test(linereader, line_at_cap_not_cut)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 4, 0);
	feed_str(&lr, "abcd\n", &c);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.text[0], "abcd");
	cr_assert_eq(c.truncated[0], 0);
	sl_linereader_free(&lr);
}

Test(linereader, start_offset_and_flush)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 64, 1000);
	feed_str(&lr, "x\npartial", &c);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.start[0], 1000);
	cr_assert_eq(c.end[0], 1002);
	cr_assert(sl_linereader_has_partial(&lr));
	sl_linereader_flush(&lr, collect, &c);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.text[1], "partial");
	cr_assert_eq(c.start[1], 1002);
	cr_assert_eq(c.end[1], 1009);
	cr_assert_not(sl_linereader_has_partial(&lr));
	sl_linereader_flush(&lr, collect, &c);
	cr_assert_eq(c.n, 2);
	sl_linereader_free(&lr);
}

Test(linereader, flush_pending_cr)
{
	sl_linereader lr;
	collected c = {0};

	sl_linereader_init(&lr, 64, 0);
	feed_str(&lr, "last\r", &c);
	sl_linereader_flush(&lr, collect, &c);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.text[0], "last");
	cr_assert_eq(c.end[0], 5);
	sl_linereader_free(&lr);
}

Test(linereader, callback_stops_feed)
{
	sl_linereader lr;
	collected c = {0};
	const char *data = "a\nb\nc\n";
	size_t used;

	c.stop_after = 1;
	sl_linereader_init(&lr, 64, 0);
	used = sl_linereader_feed(&lr, data, strlen(data), collect, &c);
	cr_assert_eq(used, 2);
	cr_assert_eq(c.n, 1);
	c.stop_after = 0;
	used = sl_linereader_feed(&lr, data + used, strlen(data) - used, collect, &c);
	cr_assert_eq(used, 4);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.text[2], "c");
	cr_assert_eq(c.start[2], 4);
	sl_linereader_free(&lr);
}

Test(linereader, byte_by_byte_matches_whole)
{
	const char *data = "alpha\r\nbeta\rgamma\n\ndelta\r";
	sl_linereader lr;
	collected c = {0};
	size_t i;

	sl_linereader_init(&lr, 64, 0);
	for (i = 0; data[i]; i++)
		cr_assert_eq(sl_linereader_feed(&lr, data + i, 1, collect, &c), 1);
	sl_linereader_flush(&lr, collect, &c);
	cr_assert_eq(c.n, 5);
	cr_assert_str_eq(c.text[0], "alpha");
	cr_assert_str_eq(c.text[1], "beta");
	cr_assert_str_eq(c.text[2], "gamma");
	cr_assert_eq(c.len[3], 0);
	cr_assert_str_eq(c.text[4], "delta");
	cr_assert_eq(c.end[4], 25);
	sl_linereader_free(&lr);
}
