/* redis_sink.c: the Redis hot store's own throughput. Decodes a file of
 * JSON lines into events first (not timed), then writes them to Redis with
 * sl_hot_add_batch in batches, as the pipeline does, and prints events/s
 * and the client's CPU time.
 *
 * Usage: redis_sink FILE HOST:PORT [BATCH]
 * Event ids are "bench-<pid>:<line number>", so each run is a new stream
 * and every event is counted. BATCH defaults to 2000, the pipeline's
 * default batch. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/decode.h"
#include "../src/hot_redis.h"
#include "../src/hotstore.h"

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decodes every line of path into a new array of events. Sets *count. */
static sl_event *load_events(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	sl_event *evs = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL;
	ssize_t got;

	if (!f) {
		perror(path);
		exit(1);
	}
	while ((got = getline(&line, &len, f)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			evs = realloc(evs, cap * sizeof *evs);
			if (!evs) {
				fprintf(stderr, "redis_sink: out of memory\n");
				exit(1);
			}
		}
		sl_event_init(&evs[n]);
		snprintf(evs[n].id, sizeof evs[n].id, "bench-%ld:%zu", (long)getpid(), n + 1);
		evs[n].recv_ms = sl_now_ms();
		evs[n].raw = sl_strndup(line, (size_t)got);
		if (sl_decoder_json.decode(line, (size_t)got, evs[n].recv_ms, &evs[n]) != 0) {
			fprintf(stderr, "redis_sink: line %zu is not a JSON event\n", n + 1);
			exit(1);
		}
		n++;
	}
	free(line);
	fclose(f);
	*count = n;
	return evs;
}

int main(int argc, char **argv)
{
	sl_error err = {{0}, 0};
	double start, start_cpu, secs, cpu;
	size_t n, i, batch, failed = 0;
	sl_event *evs;
	sl_hot *hot;

	if (argc < 3) {
		fprintf(stderr, "usage: redis_sink FILE HOST:PORT [BATCH]\n");
		return 2;
	}
	batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000;
	if (batch == 0)
		batch = 2000;
	evs = load_events(argv[1], &n);
	hot = sl_hot_redis_open(argv[2], NULL, "slbench", 0, &err);
	if (!hot) {
		fprintf(stderr, "redis_sink: %s\n", err.message);
		return 1;
	}

	start = clock_s(CLOCK_MONOTONIC);
	start_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i += batch)
		failed += sl_hot_add_batch(hot, evs + i, n - i < batch ? n - i : batch, NULL) != 0;
	secs = clock_s(CLOCK_MONOTONIC) - start;
	cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;

	printf("events %zu batches_failed %zu seconds %.3f events_per_s %.0f cpu_seconds %.3f\n", n,
	       failed, secs, (double)n / secs, cpu);
	sl_hot_free(hot);
	for (i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
	free(evs);
	return failed ? 1 : 0;
}
