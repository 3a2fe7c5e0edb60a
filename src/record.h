/* record.h: a raw record as a source yields it, before decoding. */
#ifndef SL_RECORD_H
#define SL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define SL_REC_TRUNCATED 0x01 /* cut at the line-length cap */

typedef struct sl_record {
	const char *data; /* bytes, not NUL-terminated, no line terminator */
	size_t len;
	char id[SL_ID_MAX];   /* position-derived id, copied into the event */
	int64_t recv_ms;      /* wall time the record was read */
	unsigned flags;       /* SL_REC_* */
	const char *origin;   /* source name for logs, e.g. the file path */
} sl_record;

#endif
