/* libFuzzer target: the JSON tokenizer against jsmn, built as the decoder
 * used to build it. Both must return the same count or error and the same
 * tokens, and the tokenizer must never read past size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "../src/json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes lets ASan catch any read past the end. */
	char *js = malloc(size ? size : 1);
	jsmntok_t *ref = malloc((size + 1) * sizeof *ref);
	sl_json_tok initial[4];
	sl_json_tokens t;
	jsmn_parser parser;
	int want, got, i;

	if (!js || !ref)
		abort();
	memcpy(js, data, size);
	jsmn_init(&parser);
	want = jsmn_parse(&parser, js, size, ref, (unsigned)size + 1);
	sl_json_tokens_init(&t, initial, 4);
	got = sl_json_scan(js, size, &t);
	if (want != got)
		abort();
	for (i = 0; i < got; i++) {
		if ((int)t.tok[i].type != (int)ref[i].type || t.tok[i].start != ref[i].start ||
		    t.tok[i].end != ref[i].end || t.tok[i].size != ref[i].size ||
		    t.tok[i].parent != ref[i].parent)
			abort();
	}
	sl_json_tokens_free(&t);
	free(ref);
	free(js);
	return 0;
}
