/* pipeline.c: the ingest thread. It polls every source, decodes records
 * into a batch, writes the batch and the sources' positions to the search
 * store in one transaction, then counts the new events in the hot store.
 * A failed write is retried with capped exponential backoff and jitter while
 * the sources stay paused, so memory stays bounded and nothing is dropped. */
#include "pipeline.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define BATCH_MAX_DEFAULT 2000
#define FLUSH_MS_DEFAULT 200
#define IDLE_SLEEP_MS 20
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
#define EXPIRE_EVERY_MS (60 * 1000)

struct sl_pipeline {
	sl_store *store;
	sl_hot *hot;
	sl_pipeline_conf conf;

	sl_source **sources;
	size_t nsources;

	sl_event *batch;
	size_t nbatch;
	size_t batch_cap;
	unsigned char *inserted;
	sl_source_pos *positions;
	int64_t batch_started;

	pthread_t thread;
	int thread_started;
	atomic_int stop;
	int64_t last_expire;

	pthread_mutex_t lock; /* guards stats */
	sl_pipeline_stats stats;
	int64_t rate_window_start;
	uint64_t rate_window_count;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

sl_pipeline *sl_pipeline_new(sl_store *store, sl_hot *hot, const sl_pipeline_conf *conf)
{
	sl_pipeline *p = sl_calloc(1, sizeof *p);

	p->store = store;
	p->hot = hot;
	p->conf = *conf;
	if (!p->conf.batch_max)
		p->conf.batch_max = BATCH_MAX_DEFAULT;
	if (p->conf.flush_ms <= 0)
		p->conf.flush_ms = FLUSH_MS_DEFAULT;
	/* A flush of a partial line can emit one record past the limit. */
	p->batch_cap = p->conf.batch_max + 8;
	p->batch = sl_calloc(p->batch_cap, sizeof *p->batch);
	p->inserted = sl_calloc(p->batch_cap, 1);
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->stop, 0);
	p->stats.running = 0;
	p->rate_window_start = sl_mono_ms();
	return p;
}

void sl_pipeline_add_source(sl_pipeline *p, sl_source *src)
{
	size_t len;

	p->sources = sl_realloc(p->sources, (p->nsources + 1) * sizeof *p->sources);
	p->sources[p->nsources++] = src;
	p->positions = sl_realloc(p->positions, p->nsources * sizeof *p->positions);

	len = strlen(p->stats.sources);
	snprintf(p->stats.sources + len, sizeof p->stats.sources - len, "%s%s", len ? ", " : "",
		 src->desc);
}

/* Decodes one record into the next batch slot. */
static int on_record(void *ud, const sl_record *rec, sl_decode_ctx *ctx)
{
	sl_pipeline *p = ud;
	sl_event *ev;

	if (p->nbatch == p->batch_cap) {
		p->batch_cap *= 2;
		p->batch = sl_realloc(p->batch, p->batch_cap * sizeof *p->batch);
		p->inserted = sl_realloc(p->inserted, p->batch_cap);
		memset(p->batch + p->nbatch, 0, (p->batch_cap - p->nbatch) * sizeof *p->batch);
	}
	if (p->nbatch == 0)
		p->batch_started = sl_mono_ms();
	ev = &p->batch[p->nbatch++];
	sl_event_init(ev);
	sl_decode_record(ctx, rec, ev);
	return 0;
}

/* Polls every source once. Returns the number of records read. */
static size_t poll_sources(sl_pipeline *p)
{
	size_t i, total = 0;
	sl_error err;

	for (i = 0; i < p->nsources && p->nbatch < p->conf.batch_max; i++) {
		int n = p->sources[i]->ops->poll(p->sources[i], on_record, p,
						 p->conf.batch_max - p->nbatch, &err);

		if (n > 0)
			total += (size_t)n;
	}
	return total;
}

static size_t collect_positions(sl_pipeline *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nsources; i++) {
		if (p->sources[i]->ops->position(p->sources[i], &p->positions[n]))
			n++;
	}
	return n;
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
static int write_with_retry(sl_pipeline *p)
{
	int delay = RETRY_MIN_MS, attempt = 0;
	size_t npos = collect_positions(p);
	sl_error err;
	int rc;

	for (;;) {
		memset(&err, 0, sizeof err);
		rc = p->store->ops->write_batch(p->store, p->batch, p->nbatch, p->positions, npos,
						p->inserted, &err);
		if (rc == SL_OK)
			return 0;

		attempt++;
		record_error(p, err.message);
		if (attempt == 1 || attempt % 10 == 0)
			sl_error("pipeline", "writing %zu events failed (attempt %d): %s; retrying",
				 p->nbatch, attempt, err.message);
		if (atomic_load(&p->stop) && attempt >= 3)
			return -1;
		sleep_ms(delay / 2 + rand() % (delay / 2 + 1));
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
}

static void update_rate(sl_pipeline *p, size_t added)
{
	int64_t now = sl_mono_ms(), span;

	p->rate_window_count += added;
	span = now - p->rate_window_start;
	if (span < 1000)
		return;
	pthread_mutex_lock(&p->lock);
	p->stats.rate = (double)p->rate_window_count * 1000.0 / (double)span;
	pthread_mutex_unlock(&p->lock);
	p->rate_window_start = now;
	p->rate_window_count = 0;
}

static void ack_sources(sl_pipeline *p)
{
	size_t i;

	for (i = 0; i < p->nsources; i++) {
		if (p->sources[i]->ops->ack)
			p->sources[i]->ops->ack(p->sources[i]);
	}
}

/* Stores the batch, feeds the hot store with the new events, clears it. */
static int flush_batch(sl_pipeline *p)
{
	uint64_t stored = 0, undecoded = 0, truncated = 0;
	size_t i;
	int rc = 0;

	if (p->nbatch == 0)
		return 0;
	memset(p->inserted, 0, p->nbatch);
	if (write_with_retry(p) == 0) {
		ack_sources(p);
	} else {
		sl_error("pipeline", "stopping with %zu events not stored; their sources resume "
			 "from the last stored position", p->nbatch);
		rc = -1;
	}

	/* A hot store that is down only loses live data (it warns and reports
	 * itself degraded), so its failure never holds up ingestion. */
	if (rc == 0)
		sl_hot_add_batch(p->hot, p->batch, p->nbatch, p->inserted);
	for (i = 0; i < p->nbatch; i++) {
		sl_event *ev = &p->batch[i];

		if (rc == 0 && p->inserted[i])
			stored++;
		undecoded += (ev->flags & SL_EV_UNDECODED) != 0;
		truncated += (ev->flags & SL_EV_TRUNCATED) != 0;
		sl_event_clear(ev);
	}

	pthread_mutex_lock(&p->lock);
	p->stats.events_in += p->nbatch;
	p->stats.events_stored += stored;
	p->stats.duplicates += rc == 0 ? p->nbatch - stored : 0;
	p->stats.undecoded += undecoded;
	p->stats.truncated += truncated;
	p->stats.batches++;
	pthread_mutex_unlock(&p->lock);
	update_rate(p, p->nbatch);
	p->nbatch = 0;
	return rc;
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
	size_t got = poll_sources(p);
	int due = p->nbatch >= p->conf.batch_max ||
		  (p->nbatch && (got == 0 || sl_mono_ms() - p->batch_started >= p->conf.flush_ms));

	if (due && flush_batch(p) != 0)
		return -1;
	maybe_expire(p);

	pthread_mutex_lock(&p->lock);
	p->stats.sources_idle = p->nbatch == 0 && all_sources_done(p);
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
		if (got == 0)
			sleep_ms(IDLE_SLEEP_MS);
	}
	flush_batch(p);
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
		if (got == 0 && p->nbatch == 0 && all_sources_done(p))
			return 0;
		if (sl_quit_requested())
			return flush_batch(p);
		if (got == 0)
			sleep_ms(IDLE_SLEEP_MS);
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

	if (!p)
		return;
	atomic_store(&p->stop, 1);
	if (p->thread_started)
		pthread_join(p->thread, NULL);
	for (i = 0; i < p->nbatch; i++)
		sl_event_clear(&p->batch[i]);
	for (i = 0; i < p->nsources; i++)
		sl_source_close(p->sources[i]);
	free(p->sources);
	free(p->positions);
	free(p->batch);
	free(p->inserted);
	pthread_mutex_destroy(&p->lock);
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
