/* pipeline.c: the ingest thread. It polls every source, decodes records
 * into a batch, writes the batch and the sources' positions to the search
 * store in one transaction, then counts the new events in the hot store.
 * A failed write is retried with capped exponential backoff and jitter while
 * the sources stay paused, so memory stays bounded and nothing is dropped.
 *
 * A writer thread stores each sealed batch while the ingest thread decodes
 * the next one, so decoding and the store's work (SQLite, or waiting on
 * OpenSearch) overlap. A batch is sealed with a copy of the positions just
 * past its last record and a mark from each source that commits offsets
 * (Kafka), and at most one batch waits for the writer. So positions commit
 * with exactly their events, offsets are committed only for stored
 * records, and memory keeps at most two batches. A source with an ack but
 * no mark commits "everything emitted so far" and would commit the next
 * batch too early, so with one the pipeline writes each batch before
 * reading on.
 *
 * On a machine with more than one core, records of a source whose format
 * is settled are copied into the batch and decoded by a decode thread and
 * the ingest thread together, in chunks, while the ingest thread polls on.
 * Before a batch is sealed every record is decoded, and the times that
 * depend on the previous event are resolved in the records' order. */
#include "pipeline.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define BATCH_MAX_DEFAULT 2000
#define FLUSH_MS_DEFAULT 200
/* A source that has nothing is polled again after a pause that starts at
 * IDLE_SLEEP_MIN_MS and doubles up to IDLE_SLEEP_MS. A pipe or a socket that
 * is briefly empty between two writes of a fast writer is thus read again
 * before its buffer fills and stalls the writer, and an idle source still
 * costs few wake-ups. */
#define IDLE_SLEEP_MIN_MS 1
#define IDLE_SLEEP_MS 20
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
#define EXPIRE_EVERY_MS (60 * 1000)
/* While the writer thread is busy, a batch may grow to this many times
 * batch_max: larger transactions cost SQLite less per event, so a writer
 * that falls behind catches up, and memory stays bounded. */
#define BATCH_GROWTH 4
/* Records a decoding thread takes at a time. */
#define DECODE_CHUNK 64
/* Bytes of one block of the copies of deferred records. A record longer
 * than a quarter of it gets a block of its own, freed with its batch. */
#define COPY_BLOCK_SIZE (256 * 1024)
/* Empty blocks a batch keeps for its next records, so a steady stream
 * copies without malloc and a burst of long records does not pin memory. */
#define COPY_SPARE_MAX 16

/* A record left for the decode threads: a copy of it, its source's
 * decoding context, the event it fills and the decoder that took it. */
typedef struct deferred_rec {
	sl_record rec; /* data is a copy in one of the batch's copy blocks */
	sl_decode_ctx *ctx;
	size_t ev;
	const sl_decoder *dec;
} deferred_rec;

/* Storage for copies of deferred records. Blocks never move, so a copy
 * stays where the decode thread reads it while later ones are appended. */
typedef struct copy_block {
	struct copy_block *next;
	size_t size, used;
	char data[];
} copy_block;

/* A batch of events and the source positions just past its last record. */
typedef struct batch_buf {
	sl_event *events;
	size_t n;
	size_t cap;
	unsigned char *inserted;
	sl_source_pos *positions; /* copies owned by the batch */
	size_t npos;
	void **marks; /* per source: its mark when sealed, or NULL */
	deferred_rec *defs; /* records not decoded yet, as many as events */
	size_t ndefs;
	copy_block *copies; /* blocks holding defs' data, the newest first */
	copy_block *spare;  /* empty blocks of COPY_BLOCK_SIZE for reuse */
	size_t spare_count;
} batch_buf;

struct sl_pipeline {
	sl_store *store;
	sl_hot *hot;
	sl_pipeline_conf conf;

	sl_source **sources;
	size_t nsources;
	int need_ack; /* a source has an ack op and no mark: no overlap */

	batch_buf bufs[2];
	batch_buf *fill; /* decoded into by the ingest thread */
	int64_t batch_started;

	pthread_t thread;
	int thread_started;
	atomic_int stop;
	int64_t last_expire;

	/* the writer thread and the batch it owns */
	pthread_t writer;
	int writer_started;
	pthread_mutex_t writer_lock;
	pthread_cond_t writer_cond;
	batch_buf *sealed; /* handed to the writer, NULL when it is idle */
	int writer_quit;
	int writer_failed; /* a batch could not be stored before a stop */

	/* The decode thread. Records defs[claimed..published) of dec_batch wait. */
	int decode_parallel; /* more than one core: defer records */
	pthread_t decoder;
	int decoder_started;
	pthread_mutex_t decode_lock;
	pthread_cond_t decode_cond;
	batch_buf *dec_batch;
	size_t dec_published, dec_claimed, dec_done;
	int decoder_quit;

	pthread_mutex_t lock; /* guards stats and the rate window */
	sl_pipeline_stats stats;
	int64_t rate_window_start;
	uint64_t rate_window_count;
	int idle_sleep; /* length in ms of the next pause while no source has records */
};

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Pauses the poll loop after a step that read got records. There is no
 * pause after records, and a longer one with each empty step in a row. */
static void pause_if_empty(sl_pipeline *p, long got)
{
	if (got > 0) {
		p->idle_sleep = IDLE_SLEEP_MIN_MS;
		return;
	}
	if (p->idle_sleep < IDLE_SLEEP_MIN_MS)
		p->idle_sleep = IDLE_SLEEP_MIN_MS;
	sleep_ms(p->idle_sleep);
	p->idle_sleep = p->idle_sleep * 2 > IDLE_SLEEP_MS ? IDLE_SLEEP_MS : p->idle_sleep * 2;
}

sl_pipeline *sl_pipeline_new(sl_store *store, sl_hot *hot, const sl_pipeline_conf *conf)
{
	sl_pipeline *p = sl_calloc(1, sizeof *p);
	int i;

	p->store = store;
	p->hot = hot;
	p->conf = *conf;
	if (!p->conf.batch_max)
		p->conf.batch_max = BATCH_MAX_DEFAULT;
	if (p->conf.flush_ms <= 0)
		p->conf.flush_ms = FLUSH_MS_DEFAULT;
	for (i = 0; i < 2; i++) {
		/* A flush of a partial line can emit one record past the limit. */
		p->bufs[i].cap = p->conf.batch_max + 8;
		p->bufs[i].events = sl_calloc(p->bufs[i].cap, sizeof *p->bufs[i].events);
		p->bufs[i].inserted = sl_calloc(p->bufs[i].cap, 1);
		p->bufs[i].defs = sl_calloc(p->bufs[i].cap, sizeof *p->bufs[i].defs);
	}
	p->fill = &p->bufs[0];
	p->decode_parallel = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	pthread_mutex_init(&p->decode_lock, NULL);
	pthread_cond_init(&p->decode_cond, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->writer_lock, NULL);
	pthread_cond_init(&p->writer_cond, NULL);
	atomic_init(&p->stop, 0);
	p->stats.running = 0;
	p->rate_window_start = sl_mono_ms();
	return p;
}

void sl_pipeline_add_source(sl_pipeline *p, sl_source *src)
{
	size_t len;
	int i;

	p->sources = sl_realloc(p->sources, (p->nsources + 1) * sizeof *p->sources);
	p->sources[p->nsources++] = src;
	p->need_ack |= src->ops->ack != NULL && src->ops->mark == NULL;
	for (i = 0; i < 2; i++) {
		p->bufs[i].positions = sl_realloc(p->bufs[i].positions,
						  p->nsources * sizeof *p->bufs[i].positions);
		p->bufs[i].marks = sl_realloc(p->bufs[i].marks,
					      p->nsources * sizeof *p->bufs[i].marks);
		p->bufs[i].marks[p->nsources - 1] = NULL;
	}

	len = strlen(p->stats.sources);
	snprintf(p->stats.sources + len, sizeof p->stats.sources - len, "%s%s", len ? ", " : "",
		 src->desc);
}

/* Decodes the deferred records defs[start..end) of b. */
static void decode_range(batch_buf *b, size_t start, size_t end)
{
	size_t i;

	for (i = start; i < end; i++) {
		deferred_rec *d = &b->defs[i];

		d->dec = sl_decode_record_detached(d->ctx, &d->rec, &b->events[d->ev]);
	}
}

/* Takes the next chunk of published records, with decode_lock held.
 * Returns 0 when none is left. */
static int claim_chunk(sl_pipeline *p, size_t *start, size_t *end)
{
	if (p->dec_claimed >= p->dec_published)
		return 0;
	*start = p->dec_claimed;
	*end = p->dec_published - *start > DECODE_CHUNK ? *start + DECODE_CHUNK : p->dec_published;
	p->dec_claimed = *end;
	return 1;
}

static void *decoder_main(void *arg)
{
	sl_pipeline *p = arg;
	size_t start = 0, end = 0;
	batch_buf *b;

	pthread_mutex_lock(&p->decode_lock);
	for (;;) {
		while (!p->decoder_quit && p->dec_claimed >= p->dec_published)
			pthread_cond_wait(&p->decode_cond, &p->decode_lock);
		if (p->decoder_quit)
			break;
		claim_chunk(p, &start, &end);
		b = p->dec_batch;
		pthread_mutex_unlock(&p->decode_lock);
		decode_range(b, start, end);
		pthread_mutex_lock(&p->decode_lock);
		p->dec_done += end - start;
		pthread_cond_broadcast(&p->decode_cond);
	}
	pthread_mutex_unlock(&p->decode_lock);
	return NULL;
}

/* Makes b's deferred records up to ndefs visible to the decode thread. */
static void publish_deferred(sl_pipeline *p, batch_buf *b)
{
	pthread_mutex_lock(&p->decode_lock);
	p->dec_batch = b;
	p->dec_published = b->ndefs;
	pthread_cond_broadcast(&p->decode_cond);
	pthread_mutex_unlock(&p->decode_lock);
}

/* Returns an empty block of size bytes: a spare one when size is
 * COPY_BLOCK_SIZE and b keeps one, else a new one. */
static copy_block *new_block(batch_buf *b, size_t size)
{
	copy_block *block;

	if (size == COPY_BLOCK_SIZE && b->spare) {
		block = b->spare;
		b->spare = block->next;
		b->spare_count--;
	} else {
		block = sl_malloc(sizeof *block + size);
		block->size = size;
	}
	block->used = 0;
	return block;
}

/* Returns room for a copy of len bytes in b's copy blocks. */
static char *copy_space(batch_buf *b, size_t len)
{
	copy_block *block = b->copies;

	if (block && block->size - block->used >= len) {
		block->used += len;
		return block->data + block->used - len;
	}

	if (len > COPY_BLOCK_SIZE / 4) {
		block = new_block(b, len);
		/* The block of its own goes behind the current one, which keeps
		 * filling. */
		if (b->copies) {
			block->next = b->copies->next;
			b->copies->next = block;
		} else {
			block->next = NULL;
			b->copies = block;
		}
	} else {
		block = new_block(b, COPY_BLOCK_SIZE);
		block->next = b->copies;
		b->copies = block;
	}
	block->used = len;
	return block->data;
}

/* Empties b's copy blocks once its deferred records are decoded. Up to
 * COPY_SPARE_MAX blocks of the standard size stay for the next batch. */
static void release_copies(batch_buf *b)
{
	copy_block *block = b->copies, *next;

	for (; block; block = next) {
		next = block->next;
		if (block->size == COPY_BLOCK_SIZE && b->spare_count < COPY_SPARE_MAX) {
			block->next = b->spare;
			b->spare = block;
			b->spare_count++;
		} else {
			free(block);
		}
	}
	b->copies = NULL;
}

static void free_copies(batch_buf *b)
{
	copy_block *next;

	release_copies(b);
	for (; b->spare; b->spare = next) {
		next = b->spare->next;
		free(b->spare);
	}
	b->spare_count = 0;
}

/* Decodes every deferred record of b, helping the decode thread, then
 * resolves their times in record order and empties the copy blocks. */
static void finish_decoding(sl_pipeline *p, batch_buf *b)
{
	size_t start = 0, end = 0, i;

	if (b->ndefs == 0)
		return;
	pthread_mutex_lock(&p->decode_lock);
	p->dec_batch = b;
	p->dec_published = b->ndefs;
	while (claim_chunk(p, &start, &end)) {
		pthread_mutex_unlock(&p->decode_lock);
		decode_range(b, start, end);
		pthread_mutex_lock(&p->decode_lock);
		p->dec_done += end - start;
	}
	while (p->dec_done < p->dec_published)
		pthread_cond_wait(&p->decode_cond, &p->decode_lock);
	p->dec_published = p->dec_claimed = p->dec_done = 0;
	p->dec_batch = NULL;
	pthread_mutex_unlock(&p->decode_lock);

	for (i = 0; i < b->ndefs; i++) {
		deferred_rec *d = &b->defs[i];

		sl_decode_settle(d->ctx, d->dec, &b->events[d->ev]);
	}
	b->ndefs = 0;
	release_copies(b);
}

/* Leaves rec to the decode threads. Returns -1 when it must be decoded now
 * because the thread cannot start. */
static int defer_record(sl_pipeline *p, batch_buf *b, const sl_record *rec,
			sl_decode_ctx *ctx, size_t ev)
{
	deferred_rec *d;
	char *copy;
	int rc;

	if (!p->decoder_started) {
		rc = pthread_create(&p->decoder, NULL, decoder_main, p);
		if (rc != 0) {
			sl_warn("pipeline", "cannot start the decode thread: %s; decoding on the "
				"ingest thread", strerror(rc));
			p->decode_parallel = 0;
			return -1;
		}
		p->decoder_started = 1;
	}
	copy = copy_space(b, rec->len);
	if (rec->len)
		memcpy(copy, rec->data, rec->len);
	d = &b->defs[b->ndefs++];
	d->rec = *rec;
	d->rec.data = copy;
	d->ctx = ctx;
	d->ev = ev;
	d->dec = NULL;
	if (b->ndefs % DECODE_CHUNK == 0)
		publish_deferred(p, b);
	return 0;
}

/* Decodes one record into the next batch slot, or leaves it to the decode
 * threads. */
static int on_record(void *ud, const sl_record *rec, sl_decode_ctx *ctx)
{
	sl_pipeline *p = ud;
	batch_buf *b = p->fill;
	sl_event *ev;

	if (b->n == b->cap) {
		/* The decode thread writes into events: let it finish first. */
		finish_decoding(p, b);
		b->cap *= 2;
		b->events = sl_realloc(b->events, b->cap * sizeof *b->events);
		b->inserted = sl_realloc(b->inserted, b->cap);
		b->defs = sl_realloc(b->defs, b->cap * sizeof *b->defs);
		memset(b->events + b->n, 0, (b->cap - b->n) * sizeof *b->events);
	}
	if (b->n == 0)
		p->batch_started = sl_mono_ms();
	ev = &b->events[b->n++];
	sl_event_init(ev);
	if (p->decode_parallel && sl_decode_ctx_settled(ctx) &&
	    defer_record(p, b, rec, ctx, b->n - 1) == 0)
		return 0;
	sl_decode_record(ctx, rec, ev);
	return 0;
}

/* Polls every source once, reading until the batch has max records at
 * most. Returns the number of records read. */
static size_t poll_sources(sl_pipeline *p, size_t max)
{
	size_t i, total = 0;
	sl_error err;

	for (i = 0; i < p->nsources && p->fill->n < max; i++) {
		int n = p->sources[i]->ops->poll(p->sources[i], on_record, p, max - p->fill->n,
						 &err);

		if (n > 0)
			total += (size_t)n;
	}
	return total;
}

/* Copies every source's position into b and takes each source's mark, so
 * the batch keeps them after the sources read on. */
static void seal_positions(sl_pipeline *p, batch_buf *b)
{
	sl_source_pos pos;
	size_t i;

	b->npos = 0;
	for (i = 0; i < p->nsources; i++) {
		if (p->sources[i]->ops->mark)
			b->marks[i] = p->sources[i]->ops->mark(p->sources[i]);
		if (!p->sources[i]->ops->position(p->sources[i], &pos))
			continue;
		b->positions[b->npos].key = pos.key ? sl_strdup(pos.key) : NULL;
		b->positions[b->npos].identity = pos.identity ? sl_strdup(pos.identity) : NULL;
		b->positions[b->npos].offset = pos.offset;
		b->npos++;
	}
}

static void free_positions(batch_buf *b)
{
	size_t i;

	for (i = 0; i < b->npos; i++) {
		free(b->positions[i].key);
		free(b->positions[i].identity);
	}
	b->npos = 0;
}

static void record_error(sl_pipeline *p, const char *message)
{
	pthread_mutex_lock(&p->lock);
	p->stats.write_errors++;
	snprintf(p->stats.last_error, sizeof p->stats.last_error, "%s", message);
	pthread_mutex_unlock(&p->lock);
}

/* Writes the batch, retrying until it is stored or a stop is requested.
 * Returns 0, or -1 when stopped before the batch could be stored. */
static int write_with_retry(sl_pipeline *p, batch_buf *b)
{
	int delay = RETRY_MIN_MS, attempt = 0;
	sl_error err;
	int rc;

	for (;;) {
		memset(&err, 0, sizeof err);
		rc = p->store->ops->write_batch(p->store, b->events, b->n, b->positions, b->npos,
						b->inserted, &err);
		if (rc == SL_OK)
			return 0;

		attempt++;
		record_error(p, err.message);
		if (attempt == 1 || attempt % 10 == 0)
			sl_error("pipeline", "writing %zu events failed (attempt %d): %s; retrying",
				 b->n, attempt, err.message);
		if (atomic_load(&p->stop) && attempt >= 3)
			return -1;
		sleep_ms(delay / 2 + rand() % (delay / 2 + 1));
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
}

static void update_rate(sl_pipeline *p, size_t added)
{
	int64_t now = sl_mono_ms(), span;

	pthread_mutex_lock(&p->lock);
	p->rate_window_count += added;
	span = now - p->rate_window_start;
	if (span >= 1000) {
		p->stats.rate = (double)p->rate_window_count * 1000.0 / (double)span;
		p->rate_window_start = now;
		p->rate_window_count = 0;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Tells the sources that b's records were stored (stored 1) or never
 * will be (stored 0): each mark goes back to its source, and a source
 * without marks gets its ack after a store. */
static void ack_sources(sl_pipeline *p, batch_buf *b, int stored)
{
	size_t i;

	for (i = 0; i < p->nsources; i++) {
		sl_source *src = p->sources[i];

		if (src->ops->mark) {
			if (b->marks[i])
				src->ops->ack_mark(src, b->marks[i], stored);
			b->marks[i] = NULL;
		} else if (src->ops->ack && stored) {
			src->ops->ack(src);
		}
	}
}

/* Stores a sealed batch, feeds the hot store with the new events and
 * empties the batch. Runs on the writer thread, or on the ingest thread
 * when batches are not overlapped. */
static int store_batch(sl_pipeline *p, batch_buf *b)
{
	uint64_t stored = 0, undecoded = 0, truncated = 0;
	size_t i;
	int rc = 0;

	memset(b->inserted, 0, b->n);
	if (write_with_retry(p, b) == 0) {
		ack_sources(p, b, 1);
	} else {
		sl_error("pipeline", "stopping with %zu events not stored; their sources resume "
			 "from the last stored position", b->n);
		ack_sources(p, b, 0);
		rc = -1;
	}

	/* A hot store that is down only loses live data (it warns and reports
	 * itself degraded), so its failure never holds up ingestion. */
	if (rc == 0)
		sl_hot_add_batch(p->hot, b->events, b->n, b->inserted);
	for (i = 0; i < b->n; i++) {
		sl_event *ev = &b->events[i];

		if (rc == 0 && b->inserted[i])
			stored++;
		undecoded += (ev->flags & SL_EV_UNDECODED) != 0;
		truncated += (ev->flags & SL_EV_TRUNCATED) != 0;
		sl_event_clear(ev);
	}

	pthread_mutex_lock(&p->lock);
	p->stats.events_in += b->n;
	p->stats.events_stored += stored;
	p->stats.duplicates += rc == 0 ? b->n - stored : 0;
	p->stats.undecoded += undecoded;
	p->stats.truncated += truncated;
	p->stats.batches++;
	pthread_mutex_unlock(&p->lock);
	update_rate(p, b->n);
	free_positions(b);
	b->n = 0;
	return rc;
}

static void *writer_main(void *arg)
{
	sl_pipeline *p = arg;
	batch_buf *b;

	pthread_mutex_lock(&p->writer_lock);
	for (;;) {
		while (!p->sealed && !p->writer_quit)
			pthread_cond_wait(&p->writer_cond, &p->writer_lock);
		if (!p->sealed)
			break;
		b = p->sealed;
		pthread_mutex_unlock(&p->writer_lock);

		if (store_batch(p, b) < 0)
			p->writer_failed = 1;

		pthread_mutex_lock(&p->writer_lock);
		p->sealed = NULL;
		pthread_cond_broadcast(&p->writer_cond);
	}
	pthread_mutex_unlock(&p->writer_lock);
	return NULL;
}

/* Waits until the writer thread has stored the batch it was given.
 * Returns 0, or -1 when a batch could not be stored before a stop. */
static int wait_writer(sl_pipeline *p)
{
	int rc;

	pthread_mutex_lock(&p->writer_lock);
	while (p->sealed)
		pthread_cond_wait(&p->writer_cond, &p->writer_lock);
	rc = p->writer_failed ? -1 : 0;
	pthread_mutex_unlock(&p->writer_lock);
	return rc;
}

/* Hands the filled batch to the writer thread, started on first use, and
 * continues with the other buffer. Returns -1 when an earlier batch failed
 * or the thread cannot start; the batch is then written here instead. */
static int hand_off(sl_pipeline *p)
{
	int rc;

	if (wait_writer(p) < 0)
		return -1;
	if (!p->writer_started) {
		rc = pthread_create(&p->writer, NULL, writer_main, p);
		if (rc != 0) {
			sl_warn("pipeline", "cannot start the writer thread: %s; writing on the "
				"ingest thread", strerror(rc));
			p->need_ack = 1;
			return store_batch(p, p->fill);
		}
		p->writer_started = 1;
	}
	pthread_mutex_lock(&p->writer_lock);
	p->sealed = p->fill;
	p->fill = p->fill == &p->bufs[0] ? &p->bufs[1] : &p->bufs[0];
	pthread_cond_broadcast(&p->writer_cond);
	pthread_mutex_unlock(&p->writer_lock);
	return 0;
}

static int writer_idle(sl_pipeline *p);

/* Seals the filled batch with the sources' positions and stores it, on the
 * writer thread when batches overlap. Returns -1 when a batch could not be
 * stored before a stop. */
static int flush_batch(sl_pipeline *p)
{
	if (p->fill->n == 0)
		return 0;
	finish_decoding(p, p->fill);
	seal_positions(p, p->fill);
	if (p->need_ack)
		return store_batch(p, p->fill);
	/* While the writer is still busy, this thread would only wait for it,
	 * so it does the store's work that needs no I/O now. */
	if (p->store->ops->prepare && !writer_idle(p))
		p->store->ops->prepare(p->store, p->fill->events, p->fill->n);
	return hand_off(p);
}

/* Returns 1 when no batch is being written. */
static int writer_idle(sl_pipeline *p)
{
	int idle;

	pthread_mutex_lock(&p->writer_lock);
	idle = p->sealed == NULL;
	pthread_mutex_unlock(&p->writer_lock);
	return idle;
}

static void maybe_expire(sl_pipeline *p)
{
	int64_t now = sl_mono_ms();
	uint64_t deleted = 0;
	sl_error err;

	if (p->conf.retention_ms <= 0 || (p->last_expire && now - p->last_expire < EXPIRE_EVERY_MS))
		return;
	p->last_expire = now;
	memset(&err, 0, sizeof err);
	if (p->store->ops->expire(p->store, sl_now_ms() - p->conf.retention_ms, &deleted, &err) != SL_OK)
		sl_warn("pipeline", "retention cleanup failed: %s", err.message);
	else if (deleted)
		sl_info("pipeline", "retention removed %" PRIu64 " events", deleted);
}

static int all_sources_done(sl_pipeline *p)
{
	size_t i;

	for (i = 0; i < p->nsources; i++) {
		sl_source *s = p->sources[i];

		if (!s->ops->idle(s) && !s->ops->finished(s))
			return 0;
	}
	return 1;
}

/* One step of the loop: poll, flush when due. Returns records read, or -1
 * when the store failed while stopping. */
static long step(sl_pipeline *p)
{
	int busy = !p->need_ack && !writer_idle(p);
	size_t max = busy ? p->conf.batch_max * BATCH_GROWTH : p->conf.batch_max;
	size_t got = poll_sources(p, max);
	int due = p->fill->n >= p->conf.batch_max ||
		  (p->fill->n && (got == 0 || sl_mono_ms() - p->batch_started >= p->conf.flush_ms));
	int idle;

	/* handing off would only wait for the writer: read on instead */
	if (due && busy && p->fill->n < max && writer_idle(p) == 0)
		due = 0;

	if (due && flush_batch(p) != 0)
		return -1;
	maybe_expire(p);

	idle = p->fill->n == 0 && writer_idle(p) && all_sources_done(p);
	pthread_mutex_lock(&p->lock);
	p->stats.sources_idle = idle;
	pthread_mutex_unlock(&p->lock);
	if (got == 0)
		update_rate(p, 0);
	return (long)got;
}

static void *ingest_main(void *arg)
{
	sl_pipeline *p = arg;

	sl_info("pipeline", "ingest started: %s", p->stats.sources);
	while (!atomic_load(&p->stop)) {
		long got = step(p);

		if (got < 0)
			break;
		pause_if_empty(p, got);
	}
	flush_batch(p);
	wait_writer(p);
	sl_info("pipeline", "ingest stopped");
	return NULL;
}

int sl_pipeline_start(sl_pipeline *p, sl_error *err)
{
	int rc = pthread_create(&p->thread, NULL, ingest_main, p);

	if (rc != 0) {
		sl_error_set(err, 0, "cannot start the ingest thread: %s", strerror(rc));
		return -1;
	}
	p->thread_started = 1;
	p->stats.running = 1;
	return 0;
}

int sl_pipeline_drain(sl_pipeline *p, sl_error *err)
{
	for (;;) {
		long got = step(p);

		if (got < 0) {
			sl_error_set(err, 0, "the store failed: %s", p->stats.last_error);
			return -1;
		}
		if (got == 0 && p->fill->n == 0 && all_sources_done(p)) {
			if (wait_writer(p) == 0)
				return 0;
			sl_error_set(err, 0, "the store failed: %s", p->stats.last_error);
			return -1;
		}
		if (sl_quit_requested()) {
			int rc = flush_batch(p);

			return wait_writer(p) < 0 ? -1 : rc;
		}
		pause_if_empty(p, got);
	}
}

void sl_pipeline_get_stats(sl_pipeline *p, sl_pipeline_stats *out)
{
	int64_t lag = -1;
	size_t i;

	for (i = 0; i < p->nsources; i++) {
		int64_t l = p->sources[i]->ops->lag ? p->sources[i]->ops->lag(p->sources[i]) : -1;

		if (l >= 0)
			lag = (lag < 0 ? 0 : lag) + l;
	}
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->lock);
	out->consumer_lag = lag;
}

void sl_pipeline_metrics(sl_pipeline *p, sl_buf *out)
{
	size_t i;

	for (i = 0; i < p->nsources; i++) {
		if (p->sources[i]->ops->metrics)
			p->sources[i]->ops->metrics(p->sources[i], out);
	}
}

void sl_pipeline_free(sl_pipeline *p)
{
	size_t i;
	int b;

	if (!p)
		return;
	atomic_store(&p->stop, 1);
	if (p->thread_started)
		pthread_join(p->thread, NULL);
	if (p->writer_started) {
		pthread_mutex_lock(&p->writer_lock);
		p->writer_quit = 1;
		pthread_cond_broadcast(&p->writer_cond);
		pthread_mutex_unlock(&p->writer_lock);
		pthread_join(p->writer, NULL);
	}
	finish_decoding(p, p->fill);
	if (p->decoder_started) {
		pthread_mutex_lock(&p->decode_lock);
		p->decoder_quit = 1;
		pthread_cond_broadcast(&p->decode_cond);
		pthread_mutex_unlock(&p->decode_lock);
		pthread_join(p->decoder, NULL);
	}
	for (b = 0; b < 2; b++) {
		/* Marks of a batch left unstored go back before their sources close. */
		ack_sources(p, &p->bufs[b], 0);
		for (i = 0; i < p->bufs[b].n; i++)
			sl_event_clear(&p->bufs[b].events[i]);
		free_positions(&p->bufs[b]);
		free(p->bufs[b].positions);
		free(p->bufs[b].marks);
		free(p->bufs[b].defs);
		free_copies(&p->bufs[b]);
		free(p->bufs[b].events);
		free(p->bufs[b].inserted);
	}
	for (i = 0; i < p->nsources; i++)
		sl_source_close(p->sources[i]);
	free(p->sources);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->writer_lock);
	pthread_cond_destroy(&p->writer_cond);
	pthread_mutex_destroy(&p->decode_lock);
	pthread_cond_destroy(&p->decode_cond);
	free(p);
}

static void count_minute(void *ud, const sl_minute_counts *mc)
{
	int level;

	for (level = 0; level < SL_LEVEL_COUNT; level++) {
		if (mc->counts[level])
			sl_hot_count(ud, mc->minute, (sl_level)level, mc->counts[level]);
	}
}

int sl_hot_rebuild(sl_hot *hot, sl_store *store, sl_error *err)
{
	sl_event *events = NULL;
	size_t n = 0, i;

	if (store->ops->latest(store, SL_HOT_LATEST_DEFAULT, &events, &n, err) != SL_OK)
		return -1;
	for (i = n; i > 0; i--)
		sl_hot_push_latest(hot, &events[i - 1]);
	for (i = 0; i < n; i++)
		sl_event_clear(&events[i]);
	free(events);

	if (store->ops->minute_counts(store, INT64_MIN, count_minute, hot, err) != SL_OK)
		return -1;
	return 0;
}
