/* Tests for the pipeline's decoding of deferred records: events that the
 * decode thread made from the pipeline's copies of the records must equal
 * the events decoded directly from the records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hotstore.h"
#include "../../src/pipeline.h"
#include "../../src/util.h"

#define RECV_MS 1773576000000LL

/* A source that emits the lines of a list once, each its own record. */
typedef struct list_source {
	char **lines;
	size_t n, next;
} list_source;

/* The events a store received, each as its stored JSON form. */
typedef struct capture {
	char **json;
	size_t n;
} capture;

static void make_record(const list_source *ls, size_t i, sl_record *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->data = ls->lines[i];
	rec->len = strlen(ls->lines[i]);
	rec->recv_ms = RECV_MS;
	snprintf(rec->id, sizeof rec->id, "list:%zu", i);
}

static int list_poll(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err)
{
	list_source *ls = src->impl;
	size_t emitted = 0;
	sl_record rec;

	(void)err;
	while (emitted < max && ls->next < ls->n) {
		make_record(ls, ls->next++, &rec);
		emit(ud, &rec, &src->decode);
		emitted++;
	}
	return (int)emitted;
}

static int list_position(sl_source *src, sl_source_pos *pos)
{
	(void)src;
	(void)pos;
	return 0;
}

static int list_done(sl_source *src)
{
	list_source *ls = src->impl;

	return ls->next == ls->n;
}

static void list_close(sl_source *src)
{
	(void)src;
}

static const sl_source_ops list_ops = {
	.kind = "list",
	.poll = list_poll,
	.position = list_position,
	.idle = list_done,
	.finished = list_done,
	.close = list_close,
};

static int capture_write(sl_store *st, const sl_event *evs, size_t n, const sl_source_pos *pos,
			 size_t npos, unsigned char *inserted, sl_error *err)
{
	capture *c = st->impl;
	size_t i;

	(void)pos;
	(void)npos;
	(void)err;
	c->json = sl_realloc(c->json, (c->n + n) * sizeof *c->json);
	for (i = 0; i < n; i++) {
		sl_buf out;

		sl_buf_init(&out);
		sl_event_to_json(&evs[i], &out, 1);
		c->json[c->n++] = sl_buf_steal(&out);
		inserted[i] = 1;
	}
	return SL_OK;
}

static int capture_expire(sl_store *st, int64_t cutoff, uint64_t *deleted, sl_error *err)
{
	(void)st;
	(void)cutoff;
	(void)err;
	*deleted = 0;
	return SL_OK;
}

static const sl_store_ops capture_ops = {
	.name = "capture",
	.write_batch = capture_write,
	.expire = capture_expire,
};

/* Returns a JSON log line of about len bytes, padded by its message. */
static char *json_line(size_t i, size_t len)
{
	sl_buf b;

	sl_buf_init(&b);
	sl_buf_printf(&b, "{\"timestamp\":\"2026-03-15T12:00:%02zu.%03zuZ\",\"level\":\"%s\","
			  "\"service\":\"svc%zu\",\"host\":\"h%zu\",\"n\":%zu,\"dup\":1,\"dup\":%zu,"
			  "\"nested\":{\"k\":\"v%zu\"},\"message\":\"",
		      i % 60, i % 1000, i % 3 ? "info" : "warn", i % 7, i % 5, i, i, i);
	while (b.len + 2 < len)
		sl_buf_putc(&b, (char)('a' + b.len % 26));
	sl_buf_puts(&b, "\"}");
	return sl_buf_steal(&b);
}

/* Runs lines through a pipeline and checks that every stored event equals
 * the event decoded directly from its record, in the same order. */
static void check_pipeline_decodes(char **lines, size_t n)
{
	list_source ls = {lines, n, 0};
	capture c = {NULL, 0};
	sl_store store = {&capture_ops, &c, "capture"};
	sl_pipeline_conf pconf = {0, 0, 0};
	sl_hot *hot = sl_hot_new(100);
	sl_pipeline *p = sl_pipeline_new(&store, hot, &pconf);
	sl_source *src = sl_calloc(1, sizeof *src);
	sl_decode_ctx ctx;
	sl_error err;
	size_t i;

	src->ops = &list_ops;
	src->impl = &ls;
	src->desc = sl_strdup("list");
	sl_decode_ctx_init(&src->decode, NULL);
	sl_pipeline_add_source(p, src);
	cr_assert_eq(sl_pipeline_drain(p, &err), 0, "drain failed: %s", err.message);
	sl_pipeline_free(p);
	sl_hot_free(hot);

	cr_assert_eq(c.n, n, "the store got %zu events of %zu", c.n, n);
	sl_decode_ctx_init(&ctx, NULL);
	for (i = 0; i < n; i++) {
		sl_record rec;
		sl_event ev;
		sl_buf want;

		make_record(&ls, i, &rec);
		sl_event_init(&ev);
		sl_decode_record(&ctx, &rec, &ev);
		sl_buf_init(&want);
		sl_event_to_json(&ev, &want, 1);
		cr_assert_str_eq(c.json[i], want.data, "event %zu differs", i);
		sl_buf_free(&want);
		sl_event_clear(&ev);
		free(c.json[i]);
	}
	free(c.json);
}

Test(pipeline, deferred_records_decode_as_direct)
{
	size_t n = 5000, i;
	char **lines = sl_calloc(n, sizeof *lines);

	/* 5000 records of about 300 bytes fill several copy blocks. */
	for (i = 0; i < n; i++)
		lines[i] = json_line(i, 200 + i % 200);
	check_pipeline_decodes(lines, n);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

Test(pipeline, long_records_between_short_ones)
{
	size_t n = 300, i;
	char **lines = sl_calloc(n, sizeof *lines);

	/* Every 50th record is longer than a quarter of a copy block, so it
	 * gets a block of its own. The short ones after it fill the shared one. */
	for (i = 0; i < n; i++)
		lines[i] = json_line(i, i % 50 == 49 ? 300000 : 250);
	check_pipeline_decodes(lines, n);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}
