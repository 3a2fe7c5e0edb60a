/* libFuzzer target: every decoder by name, forced, then auto detection,
 * all through sl_decode_record. The input is also split into lines that
 * one auto-detecting context decodes in turn, so the per-source vote and
 * the preferred format's path run too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../src/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_one(sl_decode_ctx *ctx, const char *s, size_t n)
{
	sl_record rec;
	sl_event ev;

	memset(&rec, 0, sizeof rec);
	rec.data = s;
	rec.len = n;
	rec.recv_ms = 1767225600000;
	snprintf(rec.id, sizeof rec.id, "fuzz:0");
	sl_event_init(&ev);
	sl_decode_record(ctx, &rec, &ev);
	sl_event_clear(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *names = sl_decoder_names();
	const char *s = (const char *)data, *end = s + size;
	sl_decode_ctx ctx;
	size_t i;

	for (i = 0; names[i]; i++) {
		int ok;
		const sl_decoder *dec = sl_decoder_find(names[i], &ok);

		sl_decode_ctx_init(&ctx, dec);
		decode_one(&ctx, s, size);
	}

	sl_decode_ctx_init(&ctx, NULL);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		decode_one(&ctx, s, n);
		s += n + 1;
	}
	return 0;
}
