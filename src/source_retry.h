/* source_retry.h: a source fed from another thread. The dashboard queues
 * the raw lines of dead letters, and the ingest thread decodes and stores
 * them like any other record, so only that thread writes to the store. */
#ifndef SL_SOURCE_RETRY_H
#define SL_SOURCE_RETRY_H

#include "source.h"

/* Records queued at most; a retry of more waits for the next one. */
#define SL_RETRY_QUEUE_MAX 100000

/* Opens an empty retry source for sl_pipeline_add_source(). */
sl_source *sl_source_retry_open(void);
/* Queues a copy of one raw record (len bytes, no line terminator) under its
 * original id, so a record stored before maps to the same event. Safe from
 * any thread. Returns 0, or -1 when the queue is full. */
int sl_source_retry_push(sl_source *src, const char *data, size_t len, const char *id);

#endif
