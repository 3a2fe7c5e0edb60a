/* hotstore.h: the hot store: the latest events and per-minute counts by
 * level (by event time). The embedded implementation lives in memory and the
 * distributed one in Redis (hot_redis.h). Both sit behind sl_hot_ops, so the
 * TUI and the HTTP layer never know which runs. Thread-safe: the ingest thread
 * writes, the TUI and HTTP threads read. */
#ifndef SL_HOTSTORE_H
#define SL_HOTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"

#define SL_HOT_LATEST_DEFAULT 1000
/* Minute buckets kept at most (one year); the oldest are evicted first. */
#define SL_HOT_MINUTES_MAX (366 * 24 * 60)

typedef struct sl_hot sl_hot;

/* One hot store implementation. Every call may come from any thread. */
typedef struct sl_hot_ops {
	const char *name;
	/* Adds the events whose inserted[i] is set (all when inserted is NULL).
	 * A store that drops redelivered events by itself may take the others
	 * too (Redis keeps an offset high-water mark per stream, so an event
	 * another process stored first is still counted once). Returns 0, or -1
	 * when the store could not take them. */
	int (*add_batch)(sl_hot *hot, const sl_event *evs, size_t n, const unsigned char *inserted);
	size_t (*latest)(sl_hot *hot, size_t n, sl_event *out);
	size_t (*since)(sl_hot *hot, uint64_t after_seq, sl_event *out, size_t max,
			uint64_t *last_seq, uint64_t *gap);
	uint64_t (*seq)(sl_hot *hot);
	size_t (*stats)(sl_hot *hot, int64_t end_minute_ms, int minutes, sl_minute_counts **out);
	int64_t (*window_end)(sl_hot *hot, int64_t now_ms, int minutes);
	void (*totals)(sl_hot *hot, uint64_t totals[SL_LEVEL_COUNT]);
	void (*count)(sl_hot *hot, int64_t minute_ms, sl_level level, uint32_t n);
	void (*push_latest)(sl_hot *hot, const sl_event *ev);
	/* Returns 1 and copies the last failure into reason when the store
	 * cannot be reached, else 0. */
	int (*degraded)(sl_hot *hot, char *reason, size_t reason_len);
	void (*free)(sl_hot *hot);
} sl_hot_ops;

struct sl_hot {
	const sl_hot_ops *ops;
	void *impl;
};

/* Start of the minute holding ms, with ms clamped so the arithmetic cannot
 * overflow. Every implementation buckets by this. */
int64_t sl_hot_floor_minute(int64_t ms);
/* The rule of sl_hot_window_end() given the newest counted minute, for
 * implementations to share. */
int64_t sl_hot_pick_window_end(int64_t newest_minute, int64_t now_ms, int minutes);

/* Creates the in-memory hot store. */
sl_hot *sl_hot_new(size_t latest_cap);
void sl_hot_free(sl_hot *hot);

/* Adds the batch's events whose inserted[i] is set (every event when
 * inserted is NULL). Returns 0, or -1 when the store is unreachable; the
 * events are then missing from the hot store, and sl_hot_degraded() reports it. */
int sl_hot_add_batch(sl_hot *hot, const sl_event *evs, size_t n, const unsigned char *inserted);
/* Returns 1 and copies the reason when the store is unreachable, else 0;
 * readers then get empty results and should fall back to the search store. */
int sl_hot_degraded(sl_hot *hot, char *reason, size_t reason_len);

/* Adds one event: copies it into the ring, counts it in its minute. */
void sl_hot_add(sl_hot *hot, const sl_event *ev);
/* Counts an event in its minute without adding it to the ring (used when
 * rebuilding counts from the search store). The Redis store ignores this and
 * sl_hot_push_latest(), since its shared keys outlive any one process. */
void sl_hot_count(sl_hot *hot, int64_t minute_ms, sl_level level, uint32_t n);
/* Puts an event into the ring without counting it (rebuild). Events are
 * given oldest first. */
void sl_hot_push_latest(sl_hot *hot, const sl_event *ev);

/* Copies up to n newest events into out (initialised events), newest first;
 * returns how many. */
size_t sl_hot_latest(sl_hot *hot, size_t n, sl_event *out);
/* Copies the events added after sequence number after_seq, oldest first, up
 * to max; sets *last_seq to the newest sequence number copied (unchanged when
 * none). Sequence numbers start at 1 and grow by one per added event; when
 * events between were already pushed out of the ring, *gap gets how many. */
size_t sl_hot_since(sl_hot *hot, uint64_t after_seq, sl_event *out, size_t max,
		    uint64_t *last_seq, uint64_t *gap);
uint64_t sl_hot_seq(sl_hot *hot);

/* Per-minute counts for the window of `minutes` minutes ending at end_minute
 * (inclusive, start of minute in ms); only minutes with events are returned,
 * oldest first. The caller frees *out. */
size_t sl_hot_stats(sl_hot *hot, int64_t end_minute_ms, int minutes, sl_minute_counts **out);
/* Chooses the window end: the current minute when the newest event falls in
 * the last `minutes` minutes, else the newest event's minute, so replayed old
 * logs show their own range. Returns 0 when no event was counted. */
int64_t sl_hot_window_end(sl_hot *hot, int64_t now_ms, int minutes);
/* Totals by level of everything counted. */
void sl_hot_totals(sl_hot *hot, uint64_t totals[SL_LEVEL_COUNT]);

#endif
