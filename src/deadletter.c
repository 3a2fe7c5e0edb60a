/* deadletter.c: the dead-letter file, and in distributed mode the Kafka
 * dead-letter topic as well. */
#include "deadletter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlq_kafka.h"
#include "log.h"

struct sl_deadletter {
	FILE *file;
	char *path;
	uint64_t count;
	pthread_mutex_t lock;
	sl_dlq_kafka *kafka; /* NULL unless records also go to a Kafka topic */
};

sl_deadletter *sl_deadletter_open(const char *path)
{
	FILE *f = fopen(path, "a");
	sl_deadletter *dl;

	if (!f)
		return NULL;
	dl = sl_calloc(1, sizeof *dl);
	dl->file = f;
	dl->path = sl_strdup(path);
	pthread_mutex_init(&dl->lock, NULL);
	return dl;
}

void sl_deadletter_write(sl_deadletter *dl, const sl_event *ev, const char *reason)
{
	char stamp[SL_TIME_STRLEN];
	sl_buf line;

	sl_buf_init(&line);
	sl_format_time(sl_now_ms(), stamp, sizeof stamp);
	sl_buf_puts(&line, "{\"id\":");
	sl_buf_json_str(&line, ev->id, strlen(ev->id));
	sl_buf_puts(&line, ",\"dead_lettered_at\":");
	sl_buf_json_str(&line, stamp, strlen(stamp));
	sl_buf_puts(&line, ",\"reason\":");
	sl_buf_json_str(&line, reason, strlen(reason));
	sl_buf_puts(&line, ",\"event\":");
	sl_event_to_json(ev, &line, 1);
	sl_buf_puts(&line, "}\n");

	pthread_mutex_lock(&dl->lock);
	if (fwrite(line.data, 1, line.len, dl->file) != line.len || fflush(dl->file) != 0)
		sl_error("deadletter", "writing %s to %s failed", ev->id, dl->path);
	dl->count++;
	pthread_mutex_unlock(&dl->lock);
	sl_buf_free(&line);
	if (dl->kafka)
		sl_dlq_kafka_send(dl->kafka, ev, reason);
}

void sl_deadletter_set_kafka(sl_deadletter *dl, sl_dlq_kafka *q)
{
	dl->kafka = q;
}

uint64_t sl_deadletter_count(sl_deadletter *dl)
{
	uint64_t n;

	pthread_mutex_lock(&dl->lock);
	n = dl->count;
	pthread_mutex_unlock(&dl->lock);
	return n;
}

const char *sl_deadletter_path(const sl_deadletter *dl)
{
	return dl->path;
}

void sl_deadletter_close(sl_deadletter *dl)
{
	if (!dl)
		return;
	sl_dlq_kafka_close(dl->kafka);
	fclose(dl->file);
	pthread_mutex_destroy(&dl->lock);
	free(dl->path);
	free(dl);
}
