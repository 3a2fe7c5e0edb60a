/* source_kafka.h: a Kafka topic as a source, read through a consumer group
 * (librdkafka high-level consumer). Offsets are committed only for records
 * every sink has stored. */
#ifndef SL_SOURCE_KAFKA_H
#define SL_SOURCE_KAFKA_H

#include <stddef.h>

#include "source.h"

#define SL_KAFKA_TOPIC_DEFAULT "logs"
#define SL_KAFKA_GROUP_DEFAULT "streamlens"

typedef struct sl_kafka_conf {
	const char *brokers;     /* bootstrap servers, "host:port,..." */
	const char *topic;       /* NULL for SL_KAFKA_TOPIC_DEFAULT */
	const char *group;       /* NULL for SL_KAFKA_GROUP_DEFAULT */
	const char *const *props; /* "key=value" librdkafka properties (-X) */
	size_t nprops;
	const sl_decoder *format; /* NULL for auto detection */
} sl_kafka_conf;

/* Creates the consumer and subscribes to the topic; connecting happens in
 * the background, so an unreachable broker is not an error here. Returns
 * NULL with a message in err for an invalid configuration. */
sl_source *sl_source_kafka_open(const sl_kafka_conf *conf, sl_error *err);

/* Returns 1 when a librdkafka property name looks like it contains a secret
 * (contains "password", "secret" or "key"), so its value is never logged. */
int sl_kafka_prop_is_secret(const char *name, size_t len);

#endif
