/* libFuzzer target: both timestamp parsers, which must never read past n. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes lets ASan catch any read past the end. */
	char *s = malloc(size ? size : 1);
	int64_t ms;

	if (!s)
		return 0;
	memcpy(s, data, size);
	if (sl_time_parse(s, size, 1767225600000, &ms) > size)
		abort();
	sl_time_parse_value(s, size, 1767225600000, &ms);
	free(s);
	return 0;
}
