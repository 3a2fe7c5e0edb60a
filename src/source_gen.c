/* source_gen.c: the bundled generator as a source. Events are produced as
 * JSON lines on a schedule of `rate` per second and decoded like any other
 * JSON input, so generated data takes the same path as real data. */
#include "source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../producer/gen.h"

/* After a stall (a slow store), the generator catches up by at most this
 * many seconds of events instead of flooding the pipeline. */
#define GEN_MAX_BACKLOG_S 5

typedef struct gen_src {
	sl_gen *gen;
	double rate;
	uint64_t count;  /* 0: no end */
	uint64_t seq;    /* events emitted */
	uint64_t skipped; /* events not generated after a stall */
	int64_t run_ms;  /* wall time of the start, part of every id */
	int64_t start_mono;
	sl_buf line;
} gen_src;

/* Number of events due by now under the schedule. */
static uint64_t due_events(gen_src *g)
{
	double elapsed = (double)(sl_mono_ms() - g->start_mono) / 1000.0;
	uint64_t due = (uint64_t)(elapsed * g->rate) - g->skipped;
	uint64_t backlog_max = (uint64_t)(g->rate * GEN_MAX_BACKLOG_S) + 1;

	if (due > g->seq + backlog_max) {
		g->skipped += due - g->seq - backlog_max;
		due = g->seq + backlog_max;
	}
	if (g->count && due > g->count)
		due = g->count;
	return due;
}

static int gen_poll(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err)
{
	gen_src *g = src->impl;
	uint64_t due = due_events(g);
	size_t n = 0;
	sl_record rec;

	(void)err;
	while (g->seq < due && n < max) {
		sl_buf_reset(&g->line);
		rec.recv_ms = sl_now_ms();
		sl_gen_next(g->gen, rec.recv_ms, &g->line);
		rec.data = g->line.data;
		rec.len = g->line.len;
		rec.flags = 0;
		rec.origin = src->desc;
		snprintf(rec.id, sizeof rec.id, "gen:%" PRId64 ":%" PRIu64, g->run_ms, g->seq);
		emit(ud, &rec, &src->decode);
		g->seq++;
		n++;
	}
	return (int)n;
}

static int gen_position(sl_source *src, sl_source_pos *pos)
{
	(void)src;
	(void)pos;
	return 0;
}

static int gen_idle(sl_source *src)
{
	gen_src *g = src->impl;

	return g->seq >= due_events(g);
}

static int gen_finished(sl_source *src)
{
	gen_src *g = src->impl;

	return g->count && g->seq >= g->count;
}

static void gen_close(sl_source *src)
{
	gen_src *g = src->impl;

	sl_gen_free(g->gen);
	sl_buf_free(&g->line);
	free(g);
}

static const sl_source_ops gen_ops = {
	.kind = "generator",
	.poll = gen_poll,
	.position = gen_position,
	.idle = gen_idle,
	.finished = gen_finished,
	.close = gen_close,
};

sl_source *sl_source_gen_open(double rate, uint64_t seed, uint64_t count)
{
	gen_src *g = sl_calloc(1, sizeof *g);
	sl_source *src = sl_calloc(1, sizeof *src);
	sl_buf desc;

	g->gen = sl_gen_new(seed);
	g->rate = rate;
	g->count = count;
	g->run_ms = sl_now_ms();
	g->start_mono = sl_mono_ms();
	sl_buf_init(&g->line);
	src->ops = &gen_ops;
	src->impl = g;
	sl_decode_ctx_init(&src->decode, sl_decoder_find("json", &(int){0}));

	sl_buf_init(&desc);
	sl_buf_printf(&desc, "generator:%g/s", rate);
	src->desc = sl_buf_steal(&desc);
	return src;
}
