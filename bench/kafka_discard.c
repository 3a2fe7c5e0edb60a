/* kafka_discard.c: StreamLens's Kafka source and pipeline into a store
 * that discards. It consumes COUNT records of TOPIC from the earliest
 * offset with the consumer-group source and runs them through the real
 * pipeline: the ingest thread, decoding (on two threads when the machine
 * has two cores), the writer thread and the in-memory hot counters. The
 * store only counts the events and marks them stored, so the offsets are
 * committed as usual. The comparison is kcat reading the same topic into
 * /dev/null.
 *
 * Usage: kafka_discard [--no-decode] BROKERS TOPIC COUNT [KEY=VALUE...]
 * KEY=VALUE pairs are librdkafka properties, as -X gives them to streamlens-top.
 * --no-decode polls the source alone and drops each record undecoded, the
 * same work as kcat copying the bytes.
 * Prints: records, seconds from start (group join included), seconds from
 * the first record, records/s over each, and CPU seconds. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/hotstore.h"
#include "../src/pipeline.h"
#include "../src/source_kafka.h"

#define TIMEOUT_S 300
#define IDLE_SLEEP_MS 20

struct counter {
	pthread_mutex_t lock;
	pthread_cond_t done;
	size_t records;
	size_t want;
	double first_s; /* monotonic time of the first record, 0 before it */
	double last_s;  /* when the count reached want */
};

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts n records, noting the time of the first and of the last wanted. */
static void count(struct counter *c, size_t n)
{
	double now = clock_s(CLOCK_MONOTONIC);

	pthread_mutex_lock(&c->lock);
	if (c->records == 0 && n > 0)
		c->first_s = now;
	c->records += n;
	if (c->records >= c->want && c->last_s == 0) {
		c->last_s = now;
		pthread_cond_broadcast(&c->done);
	}
	pthread_mutex_unlock(&c->lock);
}

/* --no-decode: the record is dropped as it is. */
static int drop(void *ud, const sl_record *rec, sl_decode_ctx *ctx)
{
	(void)rec;
	(void)ctx;
	count(ud, 1);
	return 0;
}

/* The discarding store: every event counts as newly stored. */
static int discard_write(sl_store *st, const sl_event *evs, size_t n, const sl_source_pos *pos,
			 size_t npos, unsigned char *inserted, sl_error *err)
{
	(void)evs;
	(void)pos;
	(void)npos;
	(void)err;
	memset(inserted, 1, n);
	/* The first record's time is taken when its batch arrives here, which
	 * is late by at most one batch. */
	count(st->impl, n);
	return SL_OK;
}

static int discard_expire(sl_store *st, int64_t cutoff, uint64_t *deleted, sl_error *err)
{
	(void)st;
	(void)cutoff;
	(void)err;
	*deleted = 0;
	return SL_OK;
}

static const sl_store_ops discard_ops = {
	.name = "discard",
	.write_batch = discard_write,
	.expire = discard_expire,
};

/* Polls the source alone until c->want records arrived or the timeout. */
static void poll_alone(sl_source *src, struct counter *c, double start)
{
	const struct timespec idle = {0, IDLE_SLEEP_MS * 1000000L};
	sl_error err = {{0}, 0};

	while (c->records < c->want && clock_s(CLOCK_MONOTONIC) - start < TIMEOUT_S) {
		int n = src->ops->poll(src, drop, c, 10000, &err);

		if (n < 0) {
			fprintf(stderr, "kafka_discard: %s\n", err.message);
			break;
		}
		if (n > 0 && src->ops->ack)
			src->ops->ack(src);
		if (n == 0) /* the pipeline sleeps as long when its sources are idle */
			nanosleep(&idle, NULL);
	}
	sl_source_close(src);
}

/* Runs the pipeline until c->want records were stored or the timeout. */
static void run_pipeline(sl_source *src, struct counter *c, double start)
{
	sl_store store = {&discard_ops, c, "discard"};
	sl_pipeline_conf pconf = {0, 0, 0};
	sl_hot *hot = sl_hot_new(1000);
	sl_pipeline *p = sl_pipeline_new(&store, hot, &pconf);
	sl_error err = {{0}, 0};
	struct timespec deadline;

	sl_pipeline_add_source(p, src);
	if (sl_pipeline_start(p, &err) != 0) {
		fprintf(stderr, "kafka_discard: %s\n", err.message);
	} else {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += TIMEOUT_S - (time_t)(clock_s(CLOCK_MONOTONIC) - start);
		pthread_mutex_lock(&c->lock);
		while (c->last_s == 0 &&
		       pthread_cond_timedwait(&c->done, &c->lock, &deadline) == 0)
			;
		pthread_mutex_unlock(&c->lock);
	}
	sl_pipeline_free(p); /* closes the source */
	sl_hot_free(hot);
}

int main(int argc, char **argv)
{
	const char *props[16] = {"auto.offset.reset=earliest"};
	struct counter c;
	sl_error err = {{0}, 0};
	double start, start_cpu, end, cpu;
	char group[64];
	sl_kafka_conf conf;
	sl_source *src;
	int decode = 1, n;

	if (argc > 1 && strcmp(argv[1], "--no-decode") == 0) {
		decode = 0;
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: kafka_discard [--no-decode] BROKERS TOPIC COUNT "
				"[KEY=VALUE...]\n");
		return 2;
	}
	memset(&c, 0, sizeof c);
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.done, NULL);
	c.want = strtoul(argv[3], NULL, 10);
	snprintf(group, sizeof group, "bench-discard-%ld", (long)getpid());
	memset(&conf, 0, sizeof conf);
	conf.brokers = argv[1];
	conf.topic = argv[2];
	conf.group = group;
	for (n = 4; n < argc && n - 3 < 16; n++)
		props[n - 3] = argv[n];
	conf.props = props;
	conf.nprops = (size_t)(n - 3);

	start = clock_s(CLOCK_MONOTONIC);
	start_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	src = sl_source_kafka_open(&conf, &err);
	if (!src) {
		fprintf(stderr, "kafka_discard: %s\n", err.message);
		return 1;
	}
	if (decode)
		run_pipeline(src, &c, start);
	else
		poll_alone(src, &c, start);
	end = c.last_s > 0 ? c.last_s : clock_s(CLOCK_MONOTONIC);
	/* CPU time also counts leaving the group, a few milliseconds. */
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;

	printf("records %zu seconds %.3f records_per_s %.0f seconds_from_first %.3f "
	       "records_per_s_from_first %.0f cpu_seconds %.3f\n",
	       c.records, end - start, (double)c.records / (end - start), end - c.first_s,
	       c.first_s > 0 ? (double)c.records / (end - c.first_s) : 0.0, cpu);
	return c.records < c.want ? 1 : 0;
}
