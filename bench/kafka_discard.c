/* kafka_discard.c: StreamLens's Kafka source into a sink that discards.
 * Consumes COUNT records of TOPIC through the same consumer-group source
 * and decoder the pipeline uses, from the earliest offset, drops each
 * decoded event, and prints the times. The comparison is kcat reading the
 * same topic into /dev/null.
 *
 * Usage: kafka_discard [--no-decode] BROKERS TOPIC COUNT [KEY=VALUE...]
 * KEY=VALUE pairs are librdkafka properties, as -X gives them to streamlens-top.
 * --no-decode drops each record undecoded, which measures the source alone,
 * the same work as kcat copying the bytes.
 * Prints: records, seconds from start (group join included), seconds from
 * the first record, records/s over each, and CPU seconds. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/source_kafka.h"

#define TIMEOUT_S 300
#define IDLE_SLEEP_MS 20

struct counter {
	size_t records;
	int decode;
	double first_s; /* monotonic time of the first record, 0 before it */
};

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decodes the record as the pipeline does and drops the event. */
static int discard(void *ud, const sl_record *rec, sl_decode_ctx *ctx)
{
	struct counter *c = ud;
	sl_event ev;

	if (c->records++ == 0)
		c->first_s = clock_s(CLOCK_MONOTONIC);
	if (!c->decode)
		return 0;
	sl_event_init(&ev);
	sl_decode_record(ctx, rec, &ev);
	sl_event_clear(&ev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *props[16] = {"auto.offset.reset=earliest"};
	struct counter c = {0, 1, 0};
	sl_error err = {{0}, 0};
	double start, start_cpu, end, cpu;
	char group[64];
	sl_kafka_conf conf;
	const struct timespec idle = {0, IDLE_SLEEP_MS * 1000000L};
	sl_source *src;
	size_t want;
	int n;

	if (argc > 1 && strcmp(argv[1], "--no-decode") == 0) {
		c.decode = 0;
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: kafka_discard [--no-decode] BROKERS TOPIC COUNT "
				"[KEY=VALUE...]\n");
		return 2;
	}
	want = strtoul(argv[3], NULL, 10);
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
	while (c.records < want && clock_s(CLOCK_MONOTONIC) - start < TIMEOUT_S) {
		n = src->ops->poll(src, discard, &c, 10000, &err);
		if (n < 0) {
			fprintf(stderr, "kafka_discard: %s\n", err.message);
			break;
		}
		if (n > 0 && src->ops->ack)
			src->ops->ack(src);
		if (n == 0) /* the pipeline sleeps as long when its sources are idle */
			nanosleep(&idle, NULL);
	}
	end = clock_s(CLOCK_MONOTONIC);
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;
	sl_source_close(src);

	printf("records %zu seconds %.3f records_per_s %.0f seconds_from_first %.3f "
	       "records_per_s_from_first %.0f cpu_seconds %.3f\n",
	       c.records, end - start, (double)c.records / (end - start), end - c.first_s,
	       c.first_s > 0 ? (double)c.records / (end - c.first_s) : 0.0, cpu);
	return c.records < want ? 1 : 0;
}
