/* libFuzzer target: the JSON decoder through sl_decode_record, forced and
 * auto-detected. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_decode_ctx ctx;
	sl_record rec;
	sl_event ev;
	int pass;

	memset(&rec, 0, sizeof rec);
	rec.data = (const char *)data;
	rec.len = size;
	rec.recv_ms = 1767225600000;
	snprintf(rec.id, sizeof rec.id, "fuzz:0");
	for (pass = 0; pass < 2; pass++) {
		sl_decode_ctx_init(&ctx, pass ? NULL : &sl_decoder_json);
		sl_event_init(&ev);
		sl_decode_record(&ctx, &rec, &ev);
		sl_event_clear(&ev);
	}
	return 0;
}
