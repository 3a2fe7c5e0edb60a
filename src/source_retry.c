/* source_retry.c: records queued by another thread, emitted by the ingest
 * thread. */
#include "source_retry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct queued {
	char *data;
	size_t len;
	char id[SL_ID_MAX];
	struct queued *next;
} queued;

typedef struct retry_src {
	pthread_mutex_t lock;
	queued *head, *tail;
	size_t n;
} retry_src;

/* Takes up to max queued records off the list, oldest first. */
static queued *take(retry_src *r, size_t max)
{
	queued *first, *last;
	size_t n = 1;

	pthread_mutex_lock(&r->lock);
	first = r->head;
	last = first;
	while (last && last->next && n < max) {
		last = last->next;
		n++;
	}
	if (last) {
		r->head = last->next;
		if (!r->head)
			r->tail = NULL;
		last->next = NULL;
		r->n -= n;
	}
	pthread_mutex_unlock(&r->lock);
	return first;
}

static int retry_poll(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err)
{
	queued *q = max ? take(src->impl, max) : NULL;
	int n = 0;

	(void)err;
	while (q) {
		queued *next = q->next;
		sl_record rec;

		memset(&rec, 0, sizeof rec);
		rec.data = q->data;
		rec.len = q->len;
		snprintf(rec.id, sizeof rec.id, "%s", q->id);
		rec.recv_ms = sl_now_ms();
		rec.origin = src->desc;
		emit(ud, &rec, &src->decode);
		free(q->data);
		free(q);
		q = next;
		n++;
	}
	return n;
}

static int retry_position(sl_source *src, sl_source_pos *pos)
{
	(void)src;
	(void)pos;
	return 0;
}

static int retry_idle(sl_source *src)
{
	retry_src *r = src->impl;
	int empty;

	pthread_mutex_lock(&r->lock);
	empty = r->head == NULL;
	pthread_mutex_unlock(&r->lock);
	return empty;
}

static int retry_finished(sl_source *src)
{
	(void)src;
	return 0;
}

static void retry_close(sl_source *src)
{
	retry_src *r = src->impl;
	queued *q = r->head;

	while (q) {
		queued *next = q->next;

		free(q->data);
		free(q);
		q = next;
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static const sl_source_ops retry_ops = {
	.kind = "dead-letter retry",
	.poll = retry_poll,
	.position = retry_position,
	.idle = retry_idle,
	.finished = retry_finished,
	.close = retry_close,
};

sl_source *sl_source_retry_open(void)
{
	retry_src *r = sl_calloc(1, sizeof *r);
	sl_source *src = sl_calloc(1, sizeof *src);

	pthread_mutex_init(&r->lock, NULL);
	src->ops = &retry_ops;
	src->impl = r;
	/* NOTE: one decoding context serves every retried line, so a line
	 * without a time takes the time of the line retried before it, and
	 * after SL_DECODE_SAMPLE lines auto detection prefers their most
	 * common format. */
	sl_decode_ctx_init(&src->decode, NULL);
	src->desc = sl_strdup("dead-letter retry");
	return src;
}

int sl_source_retry_push(sl_source *src, const char *data, size_t len, const char *id)
{
	retry_src *r = src->impl;
	queued *q = sl_calloc(1, sizeof *q);
	int full;

	q->data = sl_strndup(data, len);
	q->len = len;
	snprintf(q->id, sizeof q->id, "%s", id);

	pthread_mutex_lock(&r->lock);
	full = r->n >= SL_RETRY_QUEUE_MAX;
	if (!full) {
		if (r->tail)
			r->tail->next = q;
		else
			r->head = q;
		r->tail = q;
		r->n++;
	}
	pthread_mutex_unlock(&r->lock);

	if (full) {
		free(q->data);
		free(q);
		return -1;
	}
	return 0;
}
