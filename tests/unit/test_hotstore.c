/* Unit tests for the in-memory hot store. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hotstore.h"

/* 2026-01-02T03:04:00Z, the start of a minute. */
#define BASE_MS 1767323040000LL
#define MIN_MS 60000LL

static void make_event(sl_event *ev, int n, int64_t ts, sl_level level)
{
	char text[32];

	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "gen:%d", n);
	ev->ts_ms = ts;
	ev->recv_ms = ts;
	ev->level = level;
	snprintf(text, sizeof text, "event %d", n);
	sl_event_set_str(&ev->message, text, strlen(text));
	sl_event_set_str(&ev->service, "api", 3);
	sl_event_set_str(&ev->host, "h1", 2);
	sl_event_set_str(&ev->raw, text, strlen(text));
	sl_event_set_field(ev, "n", 1, text, strlen(text));
}

static void add_events(sl_hot *hot, int first, int count, int64_t ts, sl_level level)
{
	sl_event ev;
	int i;

	for (i = first; i < first + count; i++) {
		make_event(&ev, i, ts, level);
		sl_hot_add(hot, &ev);
		sl_event_clear(&ev);
	}
}

static void clear_all(sl_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
}

Test(hotstore, latest_newest_first_after_wrap)
{
	sl_hot *hot = sl_hot_new(4);
	sl_event out[8];
	size_t i, n;

	for (i = 0; i < 8; i++)
		sl_event_init(&out[i]);
	cr_expect_eq(sl_hot_latest(hot, 8, out), 0);

	add_events(hot, 1, 10, BASE_MS, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_seq(hot), 10);
	n = sl_hot_latest(hot, 8, out);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(out[0].id, "gen:10");
	cr_expect_str_eq(out[1].id, "gen:9");
	cr_expect_str_eq(out[3].id, "gen:7");
	cr_expect_str_eq(out[0].message, "event 10");
	cr_expect_str_eq(sl_event_get_field(&out[0], "n"), "event 10");

	n = sl_hot_latest(hot, 2, out);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(out[1].id, "gen:9");
	clear_all(out, 8);
	sl_hot_free(hot);
}

Test(hotstore, ring_stores_deep_copies)
{
	sl_hot *hot = sl_hot_new(2);
	sl_event ev, out;

	make_event(&ev, 1, BASE_MS, SL_LEVEL_INFO);
	sl_hot_add(hot, &ev);
	sl_event_set_str(&ev.message, "changed", 7);
	sl_event_clear(&ev);

	sl_event_init(&out);
	cr_assert_eq(sl_hot_latest(hot, 1, &out), 1);
	cr_expect_str_eq(out.message, "event 1");
	sl_event_clear(&out);
	sl_hot_free(hot);
}

Test(hotstore, since_without_gap)
{
	sl_hot *hot = sl_hot_new(8);
	sl_event out[8];
	uint64_t last = 77, gap = 99;
	size_t i, n;

	for (i = 0; i < 8; i++)
		sl_event_init(&out[i]);
	n = sl_hot_since(hot, 0, out, 8, &last, &gap);
	cr_expect_eq(n, 0);
	cr_expect_eq(last, 77, "last_seq must stay unchanged when nothing is copied");
	cr_expect_eq(gap, 0);

	add_events(hot, 1, 5, BASE_MS, SL_LEVEL_INFO);
	n = sl_hot_since(hot, 2, out, 8, &last, &gap);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(out[0].id, "gen:3");
	cr_expect_str_eq(out[2].id, "gen:5");
	cr_expect_eq(last, 5);
	cr_expect_eq(gap, 0);

	n = sl_hot_since(hot, 0, out, 2, &last, &gap);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(out[1].id, "gen:2");
	cr_expect_eq(last, 2);

	last = 5;
	n = sl_hot_since(hot, 5, out, 8, &last, &gap);
	cr_expect_eq(n, 0);
	cr_expect_eq(last, 5);
	clear_all(out, 8);
	sl_hot_free(hot);
}

Test(hotstore, since_reports_gap)
{
	sl_hot *hot = sl_hot_new(4);
	sl_event out[4];
	uint64_t last = 0, gap = 0;
	size_t i, n;

	for (i = 0; i < 4; i++)
		sl_event_init(&out[i]);
	add_events(hot, 1, 10, BASE_MS, SL_LEVEL_INFO);
	/* the ring contains 7..10, so a reader that saw 3 missed 4, 5 and 6 */
	n = sl_hot_since(hot, 3, out, 4, &last, &gap);
	cr_assert_eq(n, 4);
	cr_expect_eq(gap, 3);
	cr_expect_str_eq(out[0].id, "gen:7");
	cr_expect_str_eq(out[3].id, "gen:10");
	cr_expect_eq(last, 10);
	clear_all(out, 4);
	sl_hot_free(hot);
}

Test(hotstore, push_latest_does_not_count)
{
	sl_hot *hot = sl_hot_new(4);
	uint64_t totals[SL_LEVEL_COUNT];
	sl_minute_counts *mc;
	sl_event ev, out;

	make_event(&ev, 1, BASE_MS, SL_LEVEL_ERROR);
	sl_hot_push_latest(hot, &ev);
	sl_event_clear(&ev);
	cr_expect_eq(sl_hot_seq(hot), 1);
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 0);
	cr_expect_eq(sl_hot_stats(hot, BASE_MS, 60, &mc), 0);
	free(mc);
	cr_expect_eq(sl_hot_window_end(hot, BASE_MS, 60), 0);

	sl_event_init(&out);
	cr_expect_eq(sl_hot_latest(hot, 1, &out), 1);
	cr_expect_str_eq(out.id, "gen:1");
	sl_event_clear(&out);
	sl_hot_free(hot);
}

Test(hotstore, stats_window_and_totals)
{
	sl_hot *hot = sl_hot_new(16);
	uint64_t totals[SL_LEVEL_COUNT];
	sl_minute_counts *mc;
	size_t n;

	add_events(hot, 1, 3, BASE_MS + 5000, SL_LEVEL_INFO);
	add_events(hot, 4, 2, BASE_MS + 59999, SL_LEVEL_ERROR);
	add_events(hot, 6, 1, BASE_MS - 2 * MIN_MS, SL_LEVEL_WARN);
	add_events(hot, 7, 1, BASE_MS - 10 * MIN_MS, SL_LEVEL_WARN);
	sl_hot_count(hot, BASE_MS - MIN_MS + 123, SL_LEVEL_DEBUG, 40);
	sl_hot_count(hot, BASE_MS, 99, 1); /* an invalid level counts as unknown */

	n = sl_hot_stats(hot, BASE_MS, 5, &mc);
	cr_assert_eq(n, 3, "minutes in window: %zu", n);
	cr_expect_eq(mc[0].minute, BASE_MS - 2 * MIN_MS);
	cr_expect_eq(mc[0].counts[SL_LEVEL_WARN], 1);
	cr_expect_eq(mc[1].minute, BASE_MS - MIN_MS);
	cr_expect_eq(mc[1].counts[SL_LEVEL_DEBUG], 40);
	cr_expect_eq(mc[2].minute, BASE_MS);
	cr_expect_eq(mc[2].counts[SL_LEVEL_INFO], 3);
	cr_expect_eq(mc[2].counts[SL_LEVEL_ERROR], 2);
	cr_expect_eq(mc[2].counts[SL_LEVEL_UNKNOWN], 1);
	free(mc);

	/* an end inside a minute means that whole minute */
	n = sl_hot_stats(hot, BASE_MS + 30000, 1, &mc);
	cr_expect_eq(n, 1);
	free(mc);
	n = sl_hot_stats(hot, BASE_MS, 0, &mc);
	cr_expect_eq(n, 0);
	cr_expect_null(mc);
	n = sl_hot_stats(hot, BASE_MS, 11, &mc);
	cr_expect_eq(n, 4);
	free(mc);

	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_INFO], 3);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 2);
	cr_expect_eq(totals[SL_LEVEL_WARN], 2);
	cr_expect_eq(totals[SL_LEVEL_DEBUG], 40);
	cr_expect_eq(totals[SL_LEVEL_UNKNOWN], 1);
	sl_hot_free(hot);
}

Test(hotstore, negative_times_floor)
{
	sl_hot *hot = sl_hot_new(4);
	sl_minute_counts *mc;
	size_t n;

	add_events(hot, 1, 1, -1, SL_LEVEL_INFO);
	n = sl_hot_stats(hot, -MIN_MS, 1, &mc);
	cr_assert_eq(n, 1);
	cr_expect_eq(mc[0].minute, -MIN_MS);
	free(mc);
	add_events(hot, 2, 1, INT64_MIN, SL_LEVEL_INFO);
	add_events(hot, 3, 1, INT64_MAX, SL_LEVEL_INFO);
	n = sl_hot_stats(hot, INT64_MAX, 3, &mc);
	cr_expect_eq(n, 1);
	free(mc);
	sl_hot_free(hot);
}

Test(hotstore, window_end_live_and_old)
{
	sl_hot *hot = sl_hot_new(4);
	int64_t now = BASE_MS + 30000;

	cr_expect_eq(sl_hot_window_end(hot, now, 60), 0);

	/* replayed logs from a day ago: the window ends at their newest minute */
	add_events(hot, 1, 1, BASE_MS - 1440 * MIN_MS + 7000, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_window_end(hot, now, 60), BASE_MS - 1440 * MIN_MS);

	/* just outside the last 60 minutes still counts as old */
	add_events(hot, 2, 1, BASE_MS - 60 * MIN_MS, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_window_end(hot, now, 60), BASE_MS - 60 * MIN_MS);

	/* inside the last 60 minutes: live, so the window follows the clock */
	add_events(hot, 3, 1, BASE_MS - 59 * MIN_MS, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_window_end(hot, now, 60), BASE_MS);
	add_events(hot, 4, 1, BASE_MS + 1000, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_window_end(hot, now, 60), BASE_MS);

	/* a future-dated event shows its own minute */
	add_events(hot, 5, 1, BASE_MS + 5 * MIN_MS, SL_LEVEL_INFO);
	cr_expect_eq(sl_hot_window_end(hot, now, 60), BASE_MS + 5 * MIN_MS);
	sl_hot_free(hot);
}

Test(hotstore, minute_eviction_drops_oldest)
{
	sl_hot *hot = sl_hot_new(4);
	uint64_t totals[SL_LEVEL_COUNT];
	sl_minute_counts *mc;
	int64_t first = BASE_MS - (int64_t)SL_HOT_MINUTES_MAX * MIN_MS;
	int64_t i;
	size_t n;

	/* fill every bucket, in a shuffled order so the heap does real work */
	for (i = 0; i < SL_HOT_MINUTES_MAX; i++) {
		int64_t k = (i * 7919) % SL_HOT_MINUTES_MAX;

		sl_hot_count(hot, first + k * MIN_MS, SL_LEVEL_INFO, 1);
	}
	n = sl_hot_stats(hot, first + (SL_HOT_MINUTES_MAX - 1) * MIN_MS, SL_HOT_MINUTES_MAX, &mc);
	cr_assert_eq(n, SL_HOT_MINUTES_MAX);
	free(mc);

	/* two new minutes evict the two oldest */
	sl_hot_count(hot, first + SL_HOT_MINUTES_MAX * MIN_MS, SL_LEVEL_ERROR, 2);
	sl_hot_count(hot, first + (SL_HOT_MINUTES_MAX + 1) * MIN_MS, SL_LEVEL_ERROR, 1);
	n = sl_hot_stats(hot, first + MIN_MS, 2, &mc);
	cr_expect_eq(n, 0, "oldest minutes still present: %zu", n);
	free(mc);
	n = sl_hot_stats(hot, first + 2 * MIN_MS, 1, &mc);
	cr_expect_eq(n, 1);
	free(mc);

	/* a minute older than everything kept is not stored, but is counted */
	sl_hot_count(hot, first - MIN_MS, SL_LEVEL_WARN, 5);
	n = sl_hot_stats(hot, first - MIN_MS, 1, &mc);
	cr_expect_eq(n, 0);
	free(mc);
	n = sl_hot_stats(hot, first + (SL_HOT_MINUTES_MAX + 1) * MIN_MS, 3, &mc);
	cr_assert_eq(n, 3);
	cr_expect_eq(mc[2].counts[SL_LEVEL_ERROR], 1);
	cr_expect_eq(mc[1].counts[SL_LEVEL_ERROR], 2);
	free(mc);

	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_INFO], SL_HOT_MINUTES_MAX);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 3);
	cr_expect_eq(totals[SL_LEVEL_WARN], 5);
	sl_hot_free(hot);
}

Test(hotstore, batch_larger_than_ring)
{
	sl_hot *hot = sl_hot_new(4);
	sl_event evs[10], out[4];
	unsigned char inserted[10];
	uint64_t totals[SL_LEVEL_COUNT];
	size_t i, n;

	for (i = 0; i < 10; i++) {
		make_event(&evs[i], (int)i + 1, BASE_MS, SL_LEVEL_INFO);
		/* The decoder packs every event it makes. */
		sl_event_pack(&evs[i]);
		inserted[i] = i != 9; /* the last one is a redelivery */
	}
	for (i = 0; i < 4; i++)
		sl_event_init(&out[i]);
	sl_hot_add_batch(hot, evs, 10, inserted);
	cr_expect_eq(sl_hot_seq(hot), 9, "every inserted event takes a sequence number");
	n = sl_hot_latest(hot, 4, out);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(out[0].id, "gen:9");
	cr_expect_str_eq(out[3].id, "gen:6");
	cr_expect_str_eq(out[0].message, "event 9");
	cr_expect_str_eq(sl_event_get_field(&out[3], "n"), "event 6");
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_INFO], 9, "skipped ring copies are still counted");
	clear_all(out, 4);
	clear_all(evs, 10);
	sl_hot_free(hot);
}

Test(hotstore, packed_copy_is_independent)
{
	sl_event ev, copy;

	make_event(&ev, 1, BASE_MS, SL_LEVEL_WARN);
	sl_event_pack(&ev);
	cr_assert_not_null(ev.block);
	sl_event_init(&copy);
	sl_event_copy(&copy, &ev);
	cr_expect_not_null(copy.block, "a packed event copies packed");
	cr_expect_neq(copy.block, ev.block);
	sl_event_clear(&ev);
	cr_expect_str_eq(copy.message, "event 1");
	cr_expect_str_eq(copy.service, "api");
	cr_expect_str_eq(sl_event_get_field(&copy, "n"), "event 1");
	/* Setting a field unpacks the event first. */
	sl_event_set_field(&copy, "extra", 5, "x", 1);
	cr_expect_null(copy.block);
	cr_expect_str_eq(sl_event_get_field(&copy, "n"), "event 1");
	cr_expect_str_eq(sl_event_get_field(&copy, "extra"), "x");
	sl_event_clear(&copy);
}
