/* hotstore.c: the in-memory hot store and the sl_hot_* dispatchers that
 * call whichever implementation a handle carries. A ring contains deep copies of the
 * latest events. Per-minute counts live in an open-addressing hash map with
 * linear probing, keyed by the start of the event-time minute. A min-heap of
 * the same keys finds the oldest minute in O(log n) when the map is full.
 * One mutex guards everything. */
#define _POSIX_C_SOURCE 200809L

#include "hotstore.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS 60000
/* Times are clamped to this range so minute arithmetic cannot overflow. */
#define TIME_LIMIT_MS ((int64_t)1 << 60)
#define EMPTY_MINUTE INT64_MIN
#define MAP_INITIAL_SLOTS 1024

struct minute_slot {
	int64_t minute; /* EMPTY_MINUTE when free */
	uint32_t counts[SL_LEVEL_COUNT];
};

typedef struct mem_hot {
	pthread_mutex_t lock;

	sl_event *ring;
	size_t cap;
	uint64_t seq; /* sequence number of the newest event, 0 before any */

	struct minute_slot *slots;
	size_t nslots; /* a power of two */
	size_t nused;
	int64_t *heap; /* min-heap of the minutes in slots */
	size_t heap_cap;

	uint64_t totals[SL_LEVEL_COUNT];
	int64_t newest_minute;
	int counted;
} mem_hot;

int64_t sl_hot_floor_minute(int64_t ms)
{
	if (ms > TIME_LIMIT_MS)
		ms = TIME_LIMIT_MS;
	if (ms < -TIME_LIMIT_MS)
		ms = -TIME_LIMIT_MS;
	return ms - ((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
}

static sl_level valid_level(sl_level level)
{
	return (unsigned)level < SL_LEVEL_COUNT ? level : SL_LEVEL_UNKNOWN;
}

/* --- minute map ------------------------------------------------------------ */

static size_t slot_home(const mem_hot *hot, int64_t minute)
{
	uint64_t h = (uint64_t)(minute / MINUTE_MS) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & (hot->nslots - 1);
}

static struct minute_slot *slots_new(size_t n)
{
	struct minute_slot *slots = sl_calloc(n, sizeof *slots);
	size_t i;

	for (i = 0; i < n; i++)
		slots[i].minute = EMPTY_MINUTE;
	return slots;
}

/* Returns the slot holding minute, or the free slot where it would go. */
static struct minute_slot *map_probe(const mem_hot *hot, int64_t minute)
{
	size_t i = slot_home(hot, minute);

	while (hot->slots[i].minute != EMPTY_MINUTE && hot->slots[i].minute != minute)
		i = (i + 1) & (hot->nslots - 1);
	return &hot->slots[i];
}

static void map_grow(mem_hot *hot)
{
	struct minute_slot *old = hot->slots;
	size_t i, n = hot->nslots;

	hot->nslots = n * 2;
	hot->slots = slots_new(hot->nslots);
	for (i = 0; i < n; i++) {
		if (old[i].minute != EMPTY_MINUTE)
			*map_probe(hot, old[i].minute) = old[i];
	}
	free(old);
}

/* Removes minute with backward-shift deletion, which keeps every probe
 * chain unbroken without tombstones. */
static void map_remove(mem_hot *hot, int64_t minute)
{
	size_t mask = hot->nslots - 1;
	size_t hole = (size_t)(map_probe(hot, minute) - hot->slots);
	size_t j = hole, home;

	if (hot->slots[hole].minute == EMPTY_MINUTE)
		return;
	for (;;) {
		j = (j + 1) & mask;
		if (hot->slots[j].minute == EMPTY_MINUTE)
			break;
		home = slot_home(hot, hot->slots[j].minute);
		/* the entry at j may fill the hole unless its home lies
		 * cyclically in (hole, j] */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			hot->slots[hole] = hot->slots[j];
			hole = j;
		}
	}
	hot->slots[hole].minute = EMPTY_MINUTE;
	memset(hot->slots[hole].counts, 0, sizeof hot->slots[hole].counts);
	hot->nused--;
}

static void heap_push(mem_hot *hot, int64_t minute)
{
	size_t i = hot->nused, parent;

	if (i == hot->heap_cap) {
		hot->heap_cap = hot->heap_cap ? hot->heap_cap * 2 : MAP_INITIAL_SLOTS;
		hot->heap = sl_realloc(hot->heap, hot->heap_cap * sizeof *hot->heap);
	}
	for (; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (hot->heap[parent] <= minute)
			break;
		hot->heap[i] = hot->heap[parent];
	}
	hot->heap[i] = minute;
}

/* Pops the smallest minute from a heap of n entries. */
static int64_t heap_pop(mem_hot *hot, size_t n)
{
	int64_t top = hot->heap[0], last = hot->heap[n - 1];
	size_t i = 0, child;

	n--;
	for (;;) {
		child = 2 * i + 1;
		if (child >= n)
			break;
		if (child + 1 < n && hot->heap[child + 1] < hot->heap[child])
			child++;
		if (last <= hot->heap[child])
			break;
		hot->heap[i] = hot->heap[child];
		i = child;
	}
	if (n)
		hot->heap[i] = last;
	return top;
}

/* Adds n to a minute's count. At SL_HOT_MINUTES_MAX minutes the oldest is
 * evicted, and a new minute older than all kept ones is not stored. */
static void count_locked(mem_hot *hot, int64_t minute, sl_level level, uint32_t n)
{
	struct minute_slot *slot;

	hot->totals[level] += n;
	if (!hot->counted || minute > hot->newest_minute)
		hot->newest_minute = minute;
	hot->counted = 1;

	slot = map_probe(hot, minute);
	if (slot->minute == EMPTY_MINUTE) {
		if (hot->nused >= SL_HOT_MINUTES_MAX) {
			if (minute < hot->heap[0])
				return;
			map_remove(hot, heap_pop(hot, hot->nused));
		}
		/* keep the load factor at or below 3/4 */
		if ((hot->nused + 1) * 4 > hot->nslots * 3)
			map_grow(hot);
		slot = map_probe(hot, minute);
		slot->minute = minute;
		heap_push(hot, minute);
		hot->nused++;
	}
	slot->counts[level] += n;
}

/* --- memory implementation ---------------------------------------------- */

static void mem_free(sl_hot *h)
{
	mem_hot *hot = h->impl;
	size_t i;

	for (i = 0; i < hot->cap; i++)
		sl_event_clear(&hot->ring[i]);
	free(hot->ring);
	free(hot->slots);
	free(hot->heap);
	pthread_mutex_destroy(&hot->lock);
	free(hot);
	free(h);
}

static void push_locked(mem_hot *hot, const sl_event *ev)
{
	sl_event_copy(&hot->ring[hot->seq % hot->cap], ev);
	hot->seq++;
}

static int mem_add_batch(sl_hot *h, const sl_event *evs, size_t n, const unsigned char *inserted)
{
	mem_hot *hot = h->impl;
	size_t i, left = 0;

	for (i = 0; i < n; i++)
		left += !inserted || inserted[i];
	pthread_mutex_lock(&hot->lock);
	for (i = 0; i < n; i++) {
		if (inserted && !inserted[i])
			continue;
		/* An event that a later one of this batch overwrites in the ring
		 * only takes its sequence number. Readers wait for the lock, so
		 * they never see the gap. */
		if (left-- > hot->cap)
			hot->seq++;
		else
			push_locked(hot, &evs[i]);
		count_locked(hot, sl_hot_floor_minute(evs[i].ts_ms), valid_level(evs[i].level), 1);
	}
	pthread_mutex_unlock(&hot->lock);
	return 0;
}

static void mem_count(sl_hot *h, int64_t minute_ms, sl_level level, uint32_t n)
{
	mem_hot *hot = h->impl;

	pthread_mutex_lock(&hot->lock);
	count_locked(hot, sl_hot_floor_minute(minute_ms), valid_level(level), n);
	pthread_mutex_unlock(&hot->lock);
}

static void mem_push_latest(sl_hot *h, const sl_event *ev)
{
	mem_hot *hot = h->impl;

	pthread_mutex_lock(&hot->lock);
	push_locked(hot, ev);
	pthread_mutex_unlock(&hot->lock);
}

/* The event with sequence number seq; the caller checks it is in the ring. */
static const sl_event *ring_at(const mem_hot *hot, uint64_t seq)
{
	return &hot->ring[(seq - 1) % hot->cap];
}

static size_t mem_latest(sl_hot *h, size_t n, sl_event *out)
{
	mem_hot *hot = h->impl;
	size_t avail, i;

	pthread_mutex_lock(&hot->lock);
	avail = hot->seq < hot->cap ? (size_t)hot->seq : hot->cap;
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		sl_event_copy(&out[i], ring_at(hot, hot->seq - i));
	pthread_mutex_unlock(&hot->lock);
	return n;
}

static size_t mem_since(sl_hot *h, uint64_t after_seq, sl_event *out, size_t max,
			uint64_t *last_seq, uint64_t *gap)
{
	mem_hot *hot = h->impl;
	uint64_t oldest, next;
	size_t n = 0;

	pthread_mutex_lock(&hot->lock);
	oldest = hot->seq > hot->cap ? hot->seq - hot->cap + 1 : 1;
	next = after_seq + 1;
	if (gap)
		*gap = 0;
	if (next < oldest && hot->seq > 0) {
		if (gap)
			*gap = oldest - next;
		next = oldest;
	}
	for (; next <= hot->seq && n < max; next++, n++)
		sl_event_copy(&out[n], ring_at(hot, next));
	if (n && last_seq)
		*last_seq = next - 1;
	pthread_mutex_unlock(&hot->lock);
	return n;
}

static uint64_t mem_seq(sl_hot *h)
{
	mem_hot *hot = h->impl;
	uint64_t seq;

	pthread_mutex_lock(&hot->lock);
	seq = hot->seq;
	pthread_mutex_unlock(&hot->lock);
	return seq;
}

static size_t mem_stats(sl_hot *h, int64_t end_minute_ms, int minutes, sl_minute_counts **out)
{
	mem_hot *hot = h->impl;
	sl_minute_counts *res = NULL;
	size_t n = 0, cap = 0;
	int64_t end = sl_hot_floor_minute(end_minute_ms), m;
	const struct minute_slot *slot;

	*out = NULL;
	if (minutes <= 0)
		return 0;
	if (minutes > SL_HOT_MINUTES_MAX)
		minutes = SL_HOT_MINUTES_MAX;

	pthread_mutex_lock(&hot->lock);
	for (m = end - (int64_t)(minutes - 1) * MINUTE_MS; m <= end; m += MINUTE_MS) {
		slot = map_probe(hot, m);
		if (slot->minute == EMPTY_MINUTE)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			res = sl_realloc(res, cap * sizeof *res);
		}
		res[n].minute = m;
		memcpy(res[n].counts, slot->counts, sizeof res[n].counts);
		n++;
	}
	pthread_mutex_unlock(&hot->lock);
	*out = res;
	return n;
}

static int64_t mem_window_end(sl_hot *h, int64_t now_ms, int minutes)
{
	mem_hot *hot = h->impl;
	int64_t newest;
	int counted;

	pthread_mutex_lock(&hot->lock);
	counted = hot->counted;
	newest = hot->newest_minute;
	pthread_mutex_unlock(&hot->lock);
	if (!counted)
		return 0;
	return sl_hot_pick_window_end(newest, now_ms, minutes);
}

static void mem_totals(sl_hot *h, uint64_t totals[SL_LEVEL_COUNT])
{
	mem_hot *hot = h->impl;

	pthread_mutex_lock(&hot->lock);
	memcpy(totals, hot->totals, sizeof hot->totals);
	pthread_mutex_unlock(&hot->lock);
}

static int mem_degraded(sl_hot *h, char *reason, size_t reason_len)
{
	(void)h;
	if (reason && reason_len)
		reason[0] = '\0';
	return 0;
}

static const sl_hot_ops mem_ops = {
	.name = "memory",
	.add_batch = mem_add_batch,
	.latest = mem_latest,
	.since = mem_since,
	.seq = mem_seq,
	.stats = mem_stats,
	.window_end = mem_window_end,
	.totals = mem_totals,
	.count = mem_count,
	.push_latest = mem_push_latest,
	.degraded = mem_degraded,
	.free = mem_free,
};

sl_hot *sl_hot_new(size_t latest_cap)
{
	sl_hot *h = sl_calloc(1, sizeof *h);
	mem_hot *hot = sl_calloc(1, sizeof *hot);
	size_t i;

	pthread_mutex_init(&hot->lock, NULL);
	hot->cap = latest_cap ? latest_cap : SL_HOT_LATEST_DEFAULT;
	hot->ring = sl_calloc(hot->cap, sizeof *hot->ring);
	for (i = 0; i < hot->cap; i++)
		sl_event_init(&hot->ring[i]);
	hot->nslots = MAP_INITIAL_SLOTS;
	hot->slots = slots_new(hot->nslots);
	h->ops = &mem_ops;
	h->impl = hot;
	return h;
}

/* --- shared helpers -------------------------------------------------------- */

int64_t sl_hot_pick_window_end(int64_t newest_minute, int64_t now_ms, int minutes)
{
	int64_t now_minute = sl_hot_floor_minute(now_ms);

	if (minutes < 1)
		minutes = 1;
	if (minutes > SL_HOT_MINUTES_MAX)
		minutes = SL_HOT_MINUTES_MAX;

	/* live data keeps the window on the clock; old or future-dated data
	 * gets a window ending at its own newest minute */
	if (newest_minute <= now_minute &&
	    newest_minute > now_minute - (int64_t)minutes * MINUTE_MS)
		return now_minute;
	return newest_minute;
}

/* --- dispatchers ----------------------------------------------------------- */

void sl_hot_free(sl_hot *hot)
{
	if (hot)
		hot->ops->free(hot);
}

int sl_hot_add_batch(sl_hot *hot, const sl_event *evs, size_t n, const unsigned char *inserted)
{
	if (n == 0)
		return 0;
	return hot->ops->add_batch(hot, evs, n, inserted);
}

void sl_hot_add(sl_hot *hot, const sl_event *ev)
{
	hot->ops->add_batch(hot, ev, 1, NULL);
}

void sl_hot_count(sl_hot *hot, int64_t minute_ms, sl_level level, uint32_t n)
{
	hot->ops->count(hot, minute_ms, level, n);
}

void sl_hot_push_latest(sl_hot *hot, const sl_event *ev)
{
	hot->ops->push_latest(hot, ev);
}

size_t sl_hot_latest(sl_hot *hot, size_t n, sl_event *out)
{
	return hot->ops->latest(hot, n, out);
}

size_t sl_hot_since(sl_hot *hot, uint64_t after_seq, sl_event *out, size_t max,
		    uint64_t *last_seq, uint64_t *gap)
{
	return hot->ops->since(hot, after_seq, out, max, last_seq, gap);
}

uint64_t sl_hot_seq(sl_hot *hot)
{
	return hot->ops->seq(hot);
}

size_t sl_hot_stats(sl_hot *hot, int64_t end_minute_ms, int minutes, sl_minute_counts **out)
{
	return hot->ops->stats(hot, end_minute_ms, minutes, out);
}

int64_t sl_hot_window_end(sl_hot *hot, int64_t now_ms, int minutes)
{
	return hot->ops->window_end(hot, now_ms, minutes);
}

void sl_hot_totals(sl_hot *hot, uint64_t totals[SL_LEVEL_COUNT])
{
	hot->ops->totals(hot, totals);
}

int sl_hot_degraded(sl_hot *hot, char *reason, size_t reason_len)
{
	return hot->ops->degraded(hot, reason, reason_len);
}
