/* dlq_kafka.c: rejected records produced to the "<topic>.dlq" topic. */
#include "dlq_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "source_kafka.h"

#define COMP "dlq"
#define DLQ_SUFFIX ".dlq"
#define FLUSH_TIMEOUT_MS 10000

struct sl_dlq_kafka {
	rd_kafka_t *rk;
	char *topic;
};

/* Logs a record that the broker did not accept, with its key (the event id). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (msg->err)
		sl_error(COMP, "producing dead letter %.*s to %s failed: %s", (int)msg->key_len,
			 (const char *)msg->key, rd_kafka_topic_name(msg->rkt),
			 rd_kafka_err2str(msg->err));
}

/* Applies the KEY=VALUE properties. Returns 0, or -1 with err set; a secret
 * value is never put into err. */
static int apply_props(rd_kafka_conf_t *rc, const char *const *props, size_t nprops,
		       sl_error *err)
{
	char errstr[512];
	size_t i;

	for (i = 0; i < nprops; i++) {
		const char *eq = strchr(props[i], '=');
		char *name;
		int ok;

		if (!eq || eq == props[i]) {
			sl_error_set(err, 0, "invalid Kafka property '%s': expected KEY=VALUE",
				     props[i]);
			return -1;
		}
		name = sl_strndup(props[i], (size_t)(eq - props[i]));
		ok = rd_kafka_conf_set(rc, name, eq + 1, errstr, sizeof errstr) == RD_KAFKA_CONF_OK;
		if (!ok)
			sl_error_set(err, 0, "invalid Kafka property %s=%s for the dead-letter "
				     "producer: %s", name,
				     sl_kafka_prop_is_secret(name, strlen(name)) ? "***" : eq + 1,
				     errstr);
		free(name);
		if (!ok)
			return -1;
	}
	return 0;
}

sl_dlq_kafka *sl_dlq_kafka_open(const char *brokers, const char *topic,
				const char *const *props, size_t nprops, sl_error *err)
{
	rd_kafka_conf_t *rc = rd_kafka_conf_new();
	char errstr[512];
	sl_dlq_kafka *q;
	rd_kafka_t *rk;

	if (apply_props(rc, props, nprops, err) != 0)
		goto fail;
	if (rd_kafka_conf_set(rc, "bootstrap.servers", brokers, errstr, sizeof errstr) !=
	    RD_KAFKA_CONF_OK) {
		sl_error_set(err, 0, "invalid Kafka brokers '%s': %s", brokers, errstr);
		goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(rc, on_delivery);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, rc, errstr, sizeof errstr);
	if (!rk) {
		sl_error_set(err, 0, "cannot create the dead-letter producer: %s", errstr);
		goto fail;
	}

	q = sl_calloc(1, sizeof *q);
	q->rk = rk;
	q->topic = sl_malloc(strlen(topic) + sizeof DLQ_SUFFIX);
	strcpy(q->topic, topic);
	strcat(q->topic, DLQ_SUFFIX);
	sl_info(COMP, "records the store rejects also go to Kafka topic %s", q->topic);
	return q;

fail:
	rd_kafka_conf_destroy(rc);
	return NULL;
}

void sl_dlq_kafka_send(sl_dlq_kafka *q, const sl_event *ev, const char *reason)
{
	const char *raw = ev->raw ? ev->raw : "";
	rd_kafka_resp_err_t rc;

	rc = rd_kafka_producev(q->rk, RD_KAFKA_V_TOPIC(q->topic),
			       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			       RD_KAFKA_V_KEY(ev->id, strlen(ev->id)),
			       RD_KAFKA_V_VALUE((void *)raw, strlen(raw)),
			       RD_KAFKA_V_HEADER("reason", reason, -1),
			       RD_KAFKA_V_END);
	if (rc)
		sl_error(COMP, "queueing dead letter %s for %s failed: %s", ev->id, q->topic,
			 rd_kafka_err2str(rc));
	rd_kafka_poll(q->rk, 0);
}

void sl_dlq_kafka_close(sl_dlq_kafka *q)
{
	int left;

	if (!q)
		return;
	rd_kafka_flush(q->rk, FLUSH_TIMEOUT_MS);
	left = rd_kafka_outq_len(q->rk);
	if (left > 0)
		sl_error(COMP, "%d dead letters not delivered to %s within %d ms", left, q->topic,
			 FLUSH_TIMEOUT_MS);
	rd_kafka_destroy(q->rk);
	free(q->topic);
	free(q);
}
