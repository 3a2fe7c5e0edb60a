/* deadletter.h: records that can never be stored (rejected by the store)
 * are appended with the reason to a JSON-lines file, so nothing is dropped
 * silently. */
#ifndef SL_DEADLETTER_H
#define SL_DEADLETTER_H

#include <stdint.h>

#include "event.h"

typedef struct sl_deadletter sl_deadletter;
struct sl_dlq_kafka;

/* Opens (appending) the dead-letter file at path. Returns NULL with errno. */
sl_deadletter *sl_deadletter_open(const char *path);
/* Appends {"id", "timestamp", "reason", "raw", "event"} as one line; safe
 * from any thread. */
void sl_deadletter_write(sl_deadletter *dl, const sl_event *ev, const char *reason);
/* Also produces every later dead letter to the Kafka topic of q; dl owns q
 * from now on and closes it. */
void sl_deadletter_set_kafka(sl_deadletter *dl, struct sl_dlq_kafka *q);
uint64_t sl_deadletter_count(sl_deadletter *dl);
const char *sl_deadletter_path(const sl_deadletter *dl);
void sl_deadletter_close(sl_deadletter *dl);

#endif
