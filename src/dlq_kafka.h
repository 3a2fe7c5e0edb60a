/* dlq_kafka.h: the Kafka dead-letter topic. In distributed mode a record
 * the search store rejects for good is also produced to "<topic>.dlq", with
 * the event id as the key, the raw record as the value and the reason in a
 * "reason" header. */
#ifndef SL_DLQ_KAFKA_H
#define SL_DLQ_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"

typedef struct sl_dlq_kafka sl_dlq_kafka;

/* Creates a producer for brokers that writes to "<topic>.dlq"; props are
 * the -X KEY=VALUE properties of the consumer. Connecting happens in the
 * background. Returns NULL with err set for an invalid configuration. */
sl_dlq_kafka *sl_dlq_kafka_open(const char *brokers, const char *topic,
				const char *const *props, size_t nprops, sl_error *err);
/* Queues one rejected event. A failed delivery is logged when a later send
 * or the close polls the producer. Safe from any thread. */
void sl_dlq_kafka_send(sl_dlq_kafka *q, const sl_event *ev, const char *reason);
/* Waits up to 10 s for queued records to be delivered, logs how many were
 * not, then destroys the producer. NULL is allowed. */
void sl_dlq_kafka_close(sl_dlq_kafka *q);

#endif
