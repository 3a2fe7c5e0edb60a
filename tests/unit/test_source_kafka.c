/* test_source_kafka.c: the Kafka source. Delivery (ids, skipped records,
 * commits only after ack, redelivery without ack, lag) runs against the real
 * broker named by KAFKA_BROKERS; broker faults run against librdkafka's mock
 * cluster, which can take a broker down and inject protocol errors. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "../../src/log.h"
#include "../../src/source_kafka.h"

/* Kafka protocol API keys, for injecting errors into the mock cluster. */
#define API_FETCH 1
#define API_OFFSET_COMMIT 8

#define WAIT_MS 30000
#define QUIET_MS 3000

/* ---- helpers ---- */

typedef struct collected {
	char ids[64][SL_ID_MAX];
	char *data[64];
	size_t n;
} collected;

static int collect(void *ud, const sl_record *rec, sl_decode_ctx *ctx)
{
	collected *c = ud;

	(void)ctx;
	cr_assert_lt(c->n, 64, "more records than the test expects");
	snprintf(c->ids[c->n], SL_ID_MAX, "%s", rec->id);
	c->data[c->n] = strndup(rec->data, rec->len);
	c->n++;
	return 0;
}

static void collected_free(collected *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->data[i]);
	c->n = 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls until c contains want records or timeout_ms passed. */
static void poll_until(sl_source *src, collected *c, size_t want, int timeout_ms)
{
	int64_t end = sl_mono_ms() + timeout_ms;
	sl_error err;

	while (c->n < want && sl_mono_ms() < end) {
		int n = src->ops->poll(src, collect, c, want - c->n, &err);

		cr_assert_geq(n, 0);
		if (n == 0)
			sleep_ms(10);
	}
}

/* Polls for ms and returns nothing new; checks that no record arrives. */
static void poll_quiet(sl_source *src, collected *c, int ms)
{
	size_t before = c->n;

	poll_until(src, c, 64, ms);
	cr_assert_eq(c->n, before, "%zu records arrived, first %s", c->n - before,
		     c->n > before ? c->ids[before] : "");
}

/* SL_DEBUG=1 in the environment adds librdkafka's debug lines to the log,
 * together with -X debug=... in a test's properties. */
__attribute__((constructor)) static void enable_debug_log(void)
{
	if (getenv("SL_DEBUG"))
		sl_log_set_level(SL_LOG_DEBUG);
}

static const char *real_brokers(void)
{
	const char *b = getenv("KAFKA_BROKERS");

	if (!b || !*b)
		cr_skip_test("KAFKA_BROKERS is not set; start a broker with scripts/servers.sh "
			     "start kafka DIR");
	return b;
}

static void unique_name(char *out, size_t n, const char *prefix)
{
	static unsigned counter;

	snprintf(out, n, "%s-%d-%" PRId64 "-%u", prefix, (int)getpid(), sl_now_ms(), counter++);
}

static sl_source *open_source(const char *brokers, const char *topic, const char *group,
			      const char *const *props, size_t nprops)
{
	sl_kafka_conf conf = { .brokers = brokers, .topic = topic, .group = group,
			       .props = props, .nprops = nprops };
	sl_error err = { 0 };
	sl_source *src = sl_source_kafka_open(&conf, &err);

	cr_assert_not_null(src, "open failed: %s", err.message);
	return src;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	int *failed = rd_kafka_opaque(rk);

	(void)opaque;
	if (msg->err)
		(*failed)++;
}

static rd_kafka_t *new_producer(const char *brokers, int *failed)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];
	rd_kafka_t *rk;

	cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr),
		     RD_KAFKA_CONF_OK);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, failed);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	cr_assert_not_null(rk, "producer: %s", errstr);
	return rk;
}

/* Produces value (NULL for a tombstone) to one partition. */
static void produce(rd_kafka_t *rk, const char *topic, int32_t partition, const char *value,
		    size_t len)
{
	rd_kafka_resp_err_t rc = rd_kafka_producev(
		rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		RD_KAFKA_V_VALUE((void *)value, value ? len : 0),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);

	cr_assert_eq(rc, RD_KAFKA_RESP_ERR_NO_ERROR, "produce: %s", rd_kafka_err2str(rc));
}

static void produce_str(rd_kafka_t *rk, const char *topic, int32_t partition, const char *s)
{
	produce(rk, topic, partition, s, s ? strlen(s) : 0);
}

static void flush_producer(rd_kafka_t *rk, const int *failed)
{
	cr_assert_eq(rd_kafka_flush(rk, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR, "flush timed out");
	cr_assert_eq(*failed, 0, "%d records were not delivered", *failed);
}

/* Creates a topic on the real broker with the admin API. */
static void create_topic(const char *brokers, const char *topic, int partitions)
{
	int failed = 0;
	rd_kafka_t *rk = new_producer(brokers, &failed);
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, NULL, 0);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **results;
	rd_kafka_event_t *ev;
	size_t n;

	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, WAIT_MS);
	cr_assert_not_null(ev, "CreateTopics timed out");
	cr_assert_eq(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR, "CreateTopics: %s",
		     rd_kafka_event_error_string(ev));
	res = rd_kafka_event_CreateTopics_result(ev);
	results = rd_kafka_CreateTopics_result_topics(res, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR,
		     "creating %s: %s", topic, rd_kafka_topic_result_error_string(results[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static char *metrics_of(sl_source *src)
{
	sl_buf b;

	sl_buf_init(&b);
	src->ops->metrics(src, &b);
	return sl_buf_steal(&b);
}

static int has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void assert_id(const collected *c, size_t i, const char *topic, int partition,
		      int offset)
{
	char want[SL_ID_MAX];

	snprintf(want, sizeof want, "k:%s:%d:%d", topic, partition, offset);
	cr_assert_str_eq(c->ids[i], want);
}

/* ---- configuration, no broker needed ---- */

Test(kafka_conf, missing_brokers)
{
	sl_kafka_conf conf = { .brokers = "" };
	sl_error err = { 0 };

	cr_assert_null(sl_source_kafka_open(&conf, &err));
	cr_assert(strstr(err.message, "brokers") != NULL, "message: %s", err.message);
}

Test(kafka_conf, property_without_equals)
{
	const char *props[] = { "fetch.wait.max.ms" };
	sl_kafka_conf conf = { .brokers = "127.0.0.1:9", .props = props, .nprops = 1 };
	sl_error err = { 0 };

	cr_assert_null(sl_source_kafka_open(&conf, &err));
	cr_assert(strstr(err.message, "expected KEY=VALUE") != NULL, "message: %s", err.message);
}

Test(kafka_conf, unknown_property_masks_secret)
{
	const char *props[] = { "my.secret.token=hunter2" };
	sl_kafka_conf conf = { .brokers = "127.0.0.1:9", .props = props, .nprops = 1 };
	sl_error err = { 0 };

	cr_assert_null(sl_source_kafka_open(&conf, &err));
	cr_assert(strstr(err.message, "my.secret.token") != NULL, "message: %s", err.message);
	cr_assert(strstr(err.message, "hunter2") == NULL, "secret leaked: %s", err.message);
}

Test(kafka_conf, invalid_value)
{
	const char *props[] = { "fetch.wait.max.ms=soon" };
	sl_kafka_conf conf = { .brokers = "127.0.0.1:9", .props = props, .nprops = 1 };
	sl_error err = { 0 };

	cr_assert_null(sl_source_kafka_open(&conf, &err));
	cr_assert(strstr(err.message, "fetch.wait.max.ms=soon") != NULL, "message: %s",
		  err.message);
}

Test(kafka_conf, secret_names)
{
	cr_assert(sl_kafka_prop_is_secret("sasl.password", 13));
	cr_assert(sl_kafka_prop_is_secret("ssl.key.location", 16));
	cr_assert(sl_kafka_prop_is_secret("sasl.oauthbearer.client.SECRET", 30));
	cr_assert_not(sl_kafka_prop_is_secret("bootstrap.servers", 17));
	cr_assert_not(sl_kafka_prop_is_secret("sasl.username", 13));
}

/* ---- real broker ---- */

/* Values as in a topic that mixes log lines with tombstones and blank
 * values: every skipped offset must still be committed. */
Test(kafka, ids_skips_and_no_redelivery_after_ack, .timeout = 120)
{
	const char *brokers = real_brokers();
	char topic[96], group[96], *m;
	collected c = { .n = 0 };
	int failed = 0;
	rd_kafka_t *prod;
	sl_source *src;

	unique_name(topic, sizeof topic, "sl-ids");
	unique_name(group, sizeof group, "sl-group");
	create_topic(brokers, topic, 2);
	prod = new_producer(brokers, &failed);
	produce_str(prod, topic, 0, "2026-03-06T10:00:00Z INFO first");       /* 0 */
	produce_str(prod, topic, 0, NULL);                                    /* 1 */
	produce_str(prod, topic, 0, "");                                      /* 2 */
	produce_str(prod, topic, 0, "  \t\r\n");                              /* 3 */
	produce_str(prod, topic, 0, "2026-03-06T10:00:01Z ERROR second\r\n"); /* 4 */
	produce_str(prod, topic, 0, "ERROR boom\n\tat a.b(C.java:1)");        /* 5 */
	produce_str(prod, topic, 1, "{\"level\":\"warn\",\"message\":\"p1\"}");
	flush_producer(prod, &failed);

	src = open_source(brokers, topic, group, NULL, 0);
	{
		char desc[256];

		snprintf(desc, sizeof desc, "kafka:%s@%s", topic, brokers);
		cr_assert_str_eq(src->desc, desc);
	}
	poll_until(src, &c, 4, WAIT_MS);
	cr_assert_eq(c.n, 4, "got %zu records", c.n);
	poll_quiet(src, &c, 500);
	cr_assert(src->ops->idle(src));
	cr_assert_not(src->ops->finished(src));

	/* Partitions interleave, so find each record by its id. */
	{
		size_t i, p0 = 0;

		for (i = 0; i < c.n; i++) {
			if (strstr(c.ids[i], ":1:0")) {
				assert_id(&c, i, topic, 1, 0);
				cr_assert_str_eq(c.data[i], "{\"level\":\"warn\",\"message\":\"p1\"}");
				continue;
			}
			if (p0 == 0) {
				assert_id(&c, i, topic, 0, 0);
				cr_assert_str_eq(c.data[i], "2026-03-06T10:00:00Z INFO first");
			} else if (p0 == 1) {
				assert_id(&c, i, topic, 0, 4);
				cr_assert_str_eq(c.data[i], "2026-03-06T10:00:01Z ERROR second");
			} else {
				assert_id(&c, i, topic, 0, 5);
				cr_assert_str_eq(c.data[i], "ERROR boom\n\tat a.b(C.java:1)");
			}
			p0++;
		}
		cr_assert_eq(p0, 3);
	}

	m = metrics_of(src);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"tombstone\"} 1"),
		  "%s", m);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"empty\"} 2"), "%s",
		  m);
	free(m);

	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);

	produce_str(prod, topic, 0, "INFO after reopen");
	flush_producer(prod, &failed);
	src = open_source(brokers, topic, group, NULL, 0);
	poll_until(src, &c, 1, WAIT_MS);
	cr_assert_eq(c.n, 1);
	assert_id(&c, 0, topic, 0, 6);
	poll_quiet(src, &c, QUIET_MS);
	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);
	rd_kafka_destroy(prod);
}

/* A new group with auto.offset.reset=latest starts after the records that
 * were in the topic when its partitions were assigned, and one with the
 * default starts at the first. */
Test(kafka, new_group_start_follows_reset, .timeout = 120)
{
	static const char *const latest[] = { "auto.offset.reset=latest" };
	const char *brokers = real_brokers();
	char topic[96], group[96];
	collected c = { .n = 0 };
	int failed = 0;
	rd_kafka_t *prod;
	sl_source *src;

	unique_name(topic, sizeof topic, "sl-reset");
	create_topic(brokers, topic, 2);
	prod = new_producer(brokers, &failed);
	produce_str(prod, topic, 0, "INFO old 1");
	produce_str(prod, topic, 1, "INFO old 2");
	flush_producer(prod, &failed);

	unique_name(group, sizeof group, "sl-latest");
	src = open_source(brokers, topic, group, latest, 1);
	poll_quiet(src, &c, 2000);
	cr_assert_eq(c.n, 0, "got %zu records of before the start", c.n);
	produce_str(prod, topic, 1, "INFO new");
	flush_producer(prod, &failed);
	poll_until(src, &c, 1, WAIT_MS);
	cr_assert_eq(c.n, 1);
	assert_id(&c, 0, topic, 1, 1);
	sl_source_close(src);
	collected_free(&c);

	unique_name(group, sizeof group, "sl-earliest");
	src = open_source(brokers, topic, group, NULL, 0);
	poll_until(src, &c, 3, WAIT_MS);
	cr_assert_eq(c.n, 3);
	poll_quiet(src, &c, QUIET_MS);
	cr_assert_eq(c.n, 3);
	sl_source_close(src);
	collected_free(&c);
	cr_assert_eq(failed, 0);
	rd_kafka_destroy(prod);
}

Test(kafka, unacked_records_redelivered, .timeout = 120)
{
	const char *brokers = real_brokers();
	char topic[96], group[96];
	collected c = { .n = 0 };
	int failed = 0, i;
	rd_kafka_t *prod;
	sl_source *src;

	unique_name(topic, sizeof topic, "sl-redeliver");
	unique_name(group, sizeof group, "sl-group");
	create_topic(brokers, topic, 1);
	prod = new_producer(brokers, &failed);
	for (i = 0; i < 5; i++) {
		char line[32];

		snprintf(line, sizeof line, "INFO record %d", i);
		produce_str(prod, topic, 0, line);
	}
	flush_producer(prod, &failed);

	/* Three records acked, two emitted but never acked. */
	src = open_source(brokers, topic, group, NULL, 0);
	poll_until(src, &c, 3, WAIT_MS);
	cr_assert_eq(c.n, 3);
	src->ops->ack(src);
	poll_until(src, &c, 5, WAIT_MS);
	cr_assert_eq(c.n, 5);
	sl_source_close(src);
	collected_free(&c);

	src = open_source(brokers, topic, group, NULL, 0);
	poll_until(src, &c, 2, WAIT_MS);
	cr_assert_eq(c.n, 2, "got %zu records", c.n);
	assert_id(&c, 0, topic, 0, 3);
	assert_id(&c, 1, topic, 0, 4);
	cr_assert_str_eq(c.data[1], "INFO record 4");
	poll_quiet(src, &c, 1000);
	/* Closed without ack again: the same two come back once more. */
	sl_source_close(src);
	collected_free(&c);

	src = open_source(brokers, topic, group, NULL, 0);
	poll_until(src, &c, 2, WAIT_MS);
	cr_assert_eq(c.n, 2);
	assert_id(&c, 0, topic, 0, 3);
	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);

	src = open_source(brokers, topic, group, NULL, 0);
	poll_quiet(src, &c, QUIET_MS);
	sl_source_close(src);
	rd_kafka_destroy(prod);
}

/* A topic that ends in tombstones and blank values: their offsets are
 * committed although no sink ever stores them, so the lag reaches 0 and a
 * restart reads none of them again. */
Test(kafka, trailing_skips_committed_lag_zero, .timeout = 120)
{
	const char *brokers = real_brokers();
	const char *props[] = { "statistics.interval.ms=200" };
	char topic[96], group[96], want[256], *m = NULL;
	collected c = { .n = 0 };
	int failed = 0;
	int64_t lag = -1, end;
	rd_kafka_t *prod;
	sl_source *src;

	unique_name(topic, sizeof topic, "sl-lag");
	unique_name(group, sizeof group, "sl-group");
	create_topic(brokers, topic, 1);
	prod = new_producer(brokers, &failed);
	produce_str(prod, topic, 0, "INFO only line");
	produce_str(prod, topic, 0, NULL);
	produce_str(prod, topic, 0, "");
	produce_str(prod, topic, 0, "   ");
	flush_producer(prod, &failed);

	src = open_source(brokers, topic, group, props, 1);
	cr_assert_eq(src->ops->lag(src), -1, "lag is unknown before the first statistics");
	poll_until(src, &c, 1, WAIT_MS);
	cr_assert_eq(c.n, 1);
	src->ops->ack(src);

	end = sl_mono_ms() + WAIT_MS;
	while (sl_mono_ms() < end) {
		poll_quiet(src, &c, 100);
		lag = src->ops->lag(src);
		if (lag == 0)
			break;
	}
	cr_assert_eq(lag, 0, "lag stayed at %" PRId64, lag);
	m = metrics_of(src);
	snprintf(want, sizeof want, "streamlens_kafka_consumer_lag{topic=\"%s\",partition=\"0\"} 0",
		 topic);
	cr_assert(has_line(m, want), "%s", m);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"tombstone\"} 1"),
		  "%s", m);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"empty\"} 2"), "%s",
		  m);
	free(m);
	sl_source_close(src);
	collected_free(&c);

	/* Reopened, the consumer starts past the skipped records. */
	src = open_source(brokers, topic, group, NULL, 0);
	poll_quiet(src, &c, QUIET_MS);
	m = metrics_of(src);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"tombstone\"} 0"),
		  "%s", m);
	cr_assert(has_line(m, "streamlens_kafka_skipped_records_total{reason=\"empty\"} 0"), "%s",
		  m);
	free(m);
	sl_source_close(src);
	rd_kafka_destroy(prod);
}

/* ---- broker faults, on the mock cluster ---- */

typedef struct mock {
	rd_kafka_t *owner;
	rd_kafka_mock_cluster_t *cluster;
	const char *brokers;
} mock;

static void mock_start(mock *m, const char *topic, int partitions)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];

	m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	cr_assert_not_null(m->owner, "%s", errstr);
	m->cluster = rd_kafka_mock_cluster_new(m->owner, 1);
	cr_assert_not_null(m->cluster);
	m->brokers = rd_kafka_mock_cluster_bootstraps(m->cluster);
	cr_assert_eq(rd_kafka_mock_topic_create(m->cluster, topic, partitions, 1),
		     RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void mock_stop(mock *m)
{
	rd_kafka_mock_cluster_destroy(m->cluster);
	rd_kafka_destroy(m->owner);
}

static void produce_lines(rd_kafka_t *prod, const char *topic, int from, int to,
			  const int *failed)
{
	int i;

	for (i = from; i < to; i++) {
		char line[32];

		snprintf(line, sizeof line, "INFO line %d", i);
		produce_str(prod, topic, 0, line);
	}
	flush_producer(prod, failed);
}

Test(kafka_mock, broker_down_then_back, .timeout = 120)
{
	char topic[96];
	collected c = { .n = 0 };
	int failed = 0, i;
	rd_kafka_t *prod;
	sl_source *src;
	mock m;

	unique_name(topic, sizeof topic, "sl-mock");
	mock_start(&m, topic, 1);
	prod = new_producer(m.brokers, &failed);
	produce_lines(prod, topic, 0, 5, &failed);

	src = open_source(m.brokers, topic, "sl-mock-group", NULL, 0);
	poll_until(src, &c, 5, WAIT_MS);
	cr_assert_eq(c.n, 5);
	src->ops->ack(src);

	/* While the only broker is down, poll keeps returning nothing. */
	rd_kafka_mock_broker_set_down(m.cluster, 1);
	poll_quiet(src, &c, 3000);
	cr_assert(src->ops->idle(src));

	rd_kafka_mock_broker_set_up(m.cluster, 1);
	produce_lines(prod, topic, 5, 10, &failed);
	poll_until(src, &c, 10, WAIT_MS);
	cr_assert_eq(c.n, 10, "got %zu records after the broker came back", c.n);
	for (i = 0; i < 10; i++)
		assert_id(&c, (size_t)i, topic, 0, i);
	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);
	rd_kafka_destroy(prod);
	mock_stop(&m);
}

Test(kafka_mock, fetch_and_commit_errors, .timeout = 120)
{
	char topic[96], last[SL_ID_MAX];
	/* The mock coordinator delays a rejoin until the old member's session
	 * times out, so the session is kept short. */
	const char *props[] = { "session.timeout.ms=6000", "heartbeat.interval.ms=500" };
	collected c = { .n = 0 };
	int failed = 0;
	size_t i;
	rd_kafka_t *prod;
	sl_source *src;
	mock m;

	unique_name(topic, sizeof topic, "sl-mock");
	snprintf(last, sizeof last, "k:%s:0:9", topic);
	mock_start(&m, topic, 1);
	prod = new_producer(m.brokers, &failed);
	produce_lines(prod, topic, 0, 8, &failed);

	rd_kafka_mock_push_request_errors(m.cluster, API_FETCH, 3,
					  RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
					  RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
					  RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
	src = open_source(m.brokers, topic, "sl-mock-errors", props, 2);
	poll_until(src, &c, 8, WAIT_MS);
	cr_assert_eq(c.n, 8, "got %zu records through fetch errors", c.n);

	/* A failing commit is logged; the records are read again after a
	 * restart, never lost. */
	rd_kafka_mock_push_request_errors(m.cluster, API_OFFSET_COMMIT, 4,
					  RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
					  RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
					  RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
					  RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);

	/* Reopened, it starts at 0 or at 8 depending on whether a commit got
	 * through, and then reads on without a gap. */
	src = open_source(m.brokers, topic, "sl-mock-errors", props, 2);
	produce_lines(prod, topic, 8, 10, &failed);
	while (c.n == 0 || strcmp(c.ids[c.n - 1], last) != 0) {
		size_t before = c.n;

		poll_until(src, &c, c.n + 1, WAIT_MS);
		cr_assert_gt(c.n, before, "no record after %s", before ? c.ids[before - 1] : "reopen");
	}
	cr_assert(c.n == 10 || c.n == 2, "got %zu records", c.n);
	for (i = 0; i < c.n; i++)
		assert_id(&c, i, topic, 0, (int)(10 - c.n + i));
	src->ops->ack(src);
	sl_source_close(src);
	collected_free(&c);
	rd_kafka_destroy(prod);
	mock_stop(&m);
}

/* Closing while the broker is down gives up on the commit instead of
 * hanging; the unacked records are read again later. */
Test(kafka_mock, close_while_broker_down, .timeout = 90)
{
	char topic[96];
	collected c = { .n = 0 };
	int failed = 0;
	int64_t started;
	rd_kafka_t *prod;
	sl_source *src;
	mock m;

	unique_name(topic, sizeof topic, "sl-mock");
	mock_start(&m, topic, 1);
	prod = new_producer(m.brokers, &failed);
	produce_lines(prod, topic, 0, 3, &failed);

	src = open_source(m.brokers, topic, "sl-mock-down", NULL, 0);
	poll_until(src, &c, 3, WAIT_MS);
	cr_assert_eq(c.n, 3);
	src->ops->ack(src);
	rd_kafka_mock_broker_set_down(m.cluster, 1);
	started = sl_mono_ms();
	sl_source_close(src);
	cr_assert_lt(sl_mono_ms() - started, 60000, "close took %" PRId64 " ms",
		     sl_mono_ms() - started);
	collected_free(&c);
	rd_kafka_destroy(prod);
	mock_stop(&m);
}
