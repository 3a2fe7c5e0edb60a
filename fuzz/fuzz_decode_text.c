/* libFuzzer target: every decoder by name, forced, then auto detection,
 * all through sl_decode_record. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../src/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *names = sl_decoder_names();
	sl_decode_ctx ctx;
	sl_record rec;
	sl_event ev;
	size_t i;

	memset(&rec, 0, sizeof rec);
	rec.data = (const char *)data;
	rec.len = size;
	rec.recv_ms = 1767225600000;
	snprintf(rec.id, sizeof rec.id, "fuzz:0");
	for (i = 0; names[i]; i++) {
		int ok;
		const sl_decoder *dec = sl_decoder_find(names[i], &ok);

		sl_decode_ctx_init(&ctx, dec);
		sl_event_init(&ev);
		sl_decode_record(&ctx, &rec, &ev);
		sl_event_clear(&ev);
	}
	return 0;
}
