/* clipboard.c: OSC 52 clipboard copies. */
#include "clipboard.h"

#include "../src/util.h"

static void base64_encode(const unsigned char *in, size_t n, sl_buf *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		sl_buf_putc(out, abc[(v >> 18) & 63]);
		sl_buf_putc(out, abc[(v >> 12) & 63]);
		sl_buf_putc(out, i + 1 < n ? abc[(v >> 6) & 63] : '=');
		sl_buf_putc(out, i + 2 < n ? abc[v & 63] : '=');
	}
}

size_t tui_clipboard_copy(FILE *out, const char *text, size_t n)
{
	size_t take = n < TUI_CLIPBOARD_MAX ? n : TUI_CLIPBOARD_MAX;
	int ok;
	sl_buf seq;

	sl_buf_init(&seq);
	sl_buf_puts(&seq, "\033]52;c;");
	base64_encode((const unsigned char *)text, take, &seq);
	sl_buf_puts(&seq, "\a");
	ok = fwrite(seq.data, 1, seq.len, out) == seq.len && fflush(out) == 0;
	sl_buf_free(&seq);
	return ok ? take : 0;
}
