/* pipeview.c: the pipeline view. It reads only counters the pipeline and
 * the stores already publish (the same ones /metrics serves) and the tail
 * of the dead-letter file. */
#include "pipeview.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../src/deadletter.h"
#include "../src/decode.h"
#include "../src/source_retry.h"
#include "../src/store_es.h"
#include "evline.h"
#include "strings.h"

#define UPDATE_MS 1000
/* Dead letters listed, and the bytes read from the end of the file to
 * find them. */
#define DEAD_SHOWN 10
#define DEAD_TAIL_BYTES (256 * 1024)
/* Dead letters written back per retry and per store call. */
#define RETRY_MAX 10000
#define RETRY_BATCH 256
/* Bytes of the dead-letter file read per second to count the lines not
 * retried yet. */
#define COUNT_BYTES_MAX (16 * 1024 * 1024)
#define LAG_METRIC "streamlens_kafka_consumer_lag{"

static void add_line(tui_pipeview *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_line(tui_pipeview *v, const char *fmt, ...)
{
	va_list ap;
	sl_buf b;

	sl_buf_init(&b);
	va_start(ap, fmt);
	sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	v->lines = sl_realloc(v->lines, (v->nlines + 1) * sizeof *v->lines);
	v->lines[v->nlines++] = sl_buf_steal(&b);
}

static void free_lines(tui_pipeview *v)
{
	for (size_t i = 0; i < v->nlines; i++)
		free(v->lines[i]);
	free(v->lines);
	v->lines = NULL;
	v->nlines = 0;
}

void tui_pipeview_open(tui_pipeview *v)
{
	v->open = 1;
	v->top = 0;
	v->updated_mono = 0;
}

void tui_pipeview_close(tui_pipeview *v)
{
	free_lines(v);
	v->open = 0;
}

static void add_ingest(tui_pipeview *v, const sl_pipeline_stats *st)
{
	add_line(v, "%s", TUI_STR_PIPE_INGEST);
	add_line(v, "  sources %s", st->sources[0] ? st->sources : TUI_STR_NO_SOURCE);
	add_line(v, "  rate %.1f ev/s, decoded %" PRIu64 ", stored %" PRIu64 ", duplicates %" PRIu64,
		 st->rate, st->events_in, st->events_stored, st->duplicates);
	add_line(v, "  undecoded %" PRIu64 ", truncated %" PRIu64 ", batches %" PRIu64, st->undecoded,
		 st->truncated, st->batches);
	if (st->last_error[0])
		add_line(v, "  last error: %s", st->last_error);
}

/* Lists the per-partition lag lines that the Kafka source writes for
 * /metrics: streamlens_kafka_consumer_lag{topic="T",partition="P"} N. */
static void add_lag(tui_pipeview *v, sl_pipeline *p, int64_t total)
{
	sl_buf m;
	int found = 0;

	sl_buf_init(&m);
	sl_pipeline_metrics(p, &m);
	sl_buf_putc(&m, '\0');
	add_line(v, "%s", TUI_STR_PIPE_LAG);
	for (const char *s = m.data; s && *s;) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		char topic[256], part[32];
		long long lag;

		if (strncmp(s, LAG_METRIC, strlen(LAG_METRIC)) == 0 &&
		    sscanf(s + strlen(LAG_METRIC), "topic=\"%255[^\"]\",partition=\"%31[^\"]\"} %lld",
			   topic, part, &lag) == 3) {
			add_line(v, "  %s [%s]: lag %lld", topic, part, lag);
			found = 1;
		}
		s += len + (eol ? 1 : 0);
	}
	if (!found)
		add_line(v, "  %s", total >= 0 ? TUI_STR_PIPE_LAG_WAIT : TUI_STR_PIPE_LAG_NONE);
	else
		add_line(v, "  total lag %lld", (long long)total);
	sl_buf_free(&m);
}

static void add_store(tui_pipeview *v, sl_app *app, const sl_pipeline_stats *st)
{
	add_line(v, "%s", TUI_STR_PIPE_STORE);
	add_line(v, "  %s", app->store && app->store->description ? app->store->description
								  : TUI_STR_NO_STORE);
	add_line(v, "  failed batch writes (retried with backoff) %" PRIu64, st->write_errors);
	if (app->store && strcmp(app->store->ops->name, "elasticsearch") == 0)
		add_line(v, "  documents rejected by the node (dead-lettered) %" PRIu64,
			 sl_es_rejected_total(app->store));
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Shows the hot store's health. For Redis, the round-trip time is that of
 * reading the sequence number, one GET. */
static void add_hot(tui_pipeview *v, sl_hot *hot)
{
	char why[SL_ERRMSG_MAX] = "";
	int degraded;

	add_line(v, "%s", TUI_STR_PIPE_HOT);
	if (!hot) {
		add_line(v, "  %s", TUI_STR_NO_STORE);
		return;
	}
	degraded = sl_hot_degraded(hot, why, sizeof why);
	if (strcmp(hot->ops->name, "redis") == 0) {
		int64_t t0 = mono_us();

		sl_hot_seq(hot);
		add_line(v, "  redis: %s, round trip %.2f ms", degraded ? "DEGRADED" : "healthy",
			 (double)(mono_us() - t0) / 1000.0);
	} else {
		add_line(v, "  %s: %s", hot->ops->name, degraded ? "DEGRADED" : "healthy");
	}
	if (degraded)
		add_line(v, "  reason: %s", why);
}

/* Parses one dead-letter line into ev. Returns 0, or -1 when it is not one. */
static int parse_dead(const char *line, size_t len, sl_event *ev)
{
	sl_event_init(ev);
	if (sl_decoder_json.decode(line, len, sl_now_ms(), ev) != 0 ||
	    !sl_event_get_field(ev, "reason")) {
		sl_event_clear(ev);
		return -1;
	}
	return 0;
}

static const char *field_or(const sl_event *ev, const char *key, const char *fallback)
{
	const char *v = sl_event_get_field(ev, key);

	return v ? v : fallback;
}

/* Lists the newest DEAD_SHOWN dead letters, newest first, and counts the
 * lines not retried yet. */
static void add_dead_list(tui_pipeview *v, FILE *f, long size)
{
	long from = size > DEAD_TAIL_BYTES ? size - DEAD_TAIL_BYTES : 0;
	char *buf = sl_calloc(1, DEAD_TAIL_BYTES + 1);
	size_t n, listed = 0;

	if (fseek(f, from, SEEK_SET) != 0) {
		free(buf);
		return;
	}
	n = fread(buf, 1, DEAD_TAIL_BYTES, f);
	buf[n] = '\0';
	while (n > 0 && listed < DEAD_SHOWN) {
		size_t end = n, start;
		sl_event ev;

		if (buf[end - 1] == '\n')
			end--;
		start = end;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		/* The first line may be cut when the file is larger than the
		 * part read. */
		if (start == 0 && from > 0)
			break;
		if (end > start && parse_dead(buf + start, end - start, &ev) == 0) {
			add_line(v, "  %s  %s  %s", field_or(&ev, "dead_lettered_at", "?"),
				 field_or(&ev, "id", "?"), field_or(&ev, "reason", "?"));
			sl_event_clear(&ev);
			listed++;
		}
		n = start;
	}
	free(buf);
}

/* Counts the lines from offset on, reading at most COUNT_BYTES_MAX bytes
 * because the view counts again every second. Sets *more when it stopped
 * before the end. */
static uint64_t count_lines_from(FILE *f, uint64_t offset, int *more)
{
	char buf[65536];
	uint64_t lines = 0, read = 0;
	size_t n;

	*more = 0;
	if (fseeko(f, (off_t)offset, SEEK_SET) != 0)
		return 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		for (size_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		read += n;
		if (read >= COUNT_BYTES_MAX) {
			*more = !feof(f);
			break;
		}
	}
	return lines;
}

static void add_dead(tui_pipeview *v, sl_app *app, const char *path)
{
	struct stat sb;
	uint64_t pending;
	int more;
	FILE *f;

	add_line(v, "%s", TUI_STR_PIPE_DEAD);
	if (!path) {
		add_line(v, "  %s", TUI_STR_PIPE_DEAD_NONE);
		return;
	}
	add_line(v, "  file %s, written by this process %llu", path,
		 app->deadletter ? (unsigned long long)sl_deadletter_count(app->deadletter) : 0ULL);
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &sb) != 0) {
		add_line(v, "  %s", TUI_STR_PIPE_DEAD_EMPTY);
		if (f)
			fclose(f);
		return;
	}
	if (v->retry_offset > (uint64_t)sb.st_size)
		v->retry_offset = 0;
	pending = count_lines_from(f, v->retry_offset, &more);
	add_line(v, "  not retried yet %s%llu (r retries them)", more ? "more than " : "",
		 (unsigned long long)pending);
	if (v->retry_result[0])
		add_line(v, "  last retry: %s", v->retry_result);
	add_line(v, "  %s", TUI_STR_PIPE_DEAD_NEWEST);
	add_dead_list(v, f, (long)sb.st_size);
	fclose(f);
}

static const char *dead_path(sl_app *app, const char *fallback)
{
	return app->deadletter ? sl_deadletter_path(app->deadletter) : fallback;
}

int tui_pipeview_update(tui_pipeview *v, sl_app *app, const char *dead_fallback,
			int64_t now_mono, int force)
{
	sl_pipeline_stats st;

	if (!v->open || (!force && v->updated_mono && now_mono - v->updated_mono < UPDATE_MS))
		return 0;
	v->updated_mono = now_mono;
	free_lines(v);
	memset(&st, 0, sizeof st);
	st.consumer_lag = -1;

	if (app->pipeline) {
		sl_pipeline_get_stats(app->pipeline, &st);
		add_ingest(v, &st);
		add_line(v, "%s", "");
		add_lag(v, app->pipeline, st.consumer_lag);
	} else {
		add_line(v, "%s", TUI_STR_PIPE_INGEST);
		add_line(v, "  %s", TUI_STR_VIEWER);
	}
	add_line(v, "%s", "");
	add_store(v, app, &st);
	add_line(v, "%s", "");
	add_hot(v, app->hot);
	add_line(v, "%s", "");
	add_dead(v, app, dead_path(app, dead_fallback));
	return 1;
}

int tui_pipeview_key(tui_pipeview *v, int key, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;
	size_t max_top = v->nlines > (size_t)rows ? v->nlines - (size_t)rows : 0;

	switch (key) {
	case 'j':
	case KEY_DOWN:
		v->top++;
		break;
	case 'k':
	case KEY_UP:
		v->top = v->top > 0 ? v->top - 1 : 0;
		break;
	case KEY_NPAGE:
		v->top += page;
		break;
	case KEY_PPAGE:
		v->top = v->top > page ? v->top - page : 0;
		break;
	case 'g':
	case KEY_HOME:
		v->top = 0;
		break;
	case 'G':
	case KEY_END:
		v->top = max_top;
		break;
	default:
		return 0;
	}
	if (v->top > max_top)
		v->top = max_top;
	return 1;
}

void tui_pipeview_draw(WINDOW *w, const tui_rect *area, tui_pipeview *v)
{
	int rows = area->h - 1;

	if (area->h < 1 || area->w < 1)
		return;
	tui_text_draw(w, area->y, area->x, area->w, TUI_STR_PIPE_TITLE, strlen(TUI_STR_PIPE_TITLE),
		      tui_theme_attr(TUI_ROLE_FOCUS));
	if (v->top + (size_t)rows > v->nlines)
		v->top = v->nlines > (size_t)rows ? v->nlines - (size_t)rows : 0;
	for (int i = 0; i < rows && v->top + (size_t)i < v->nlines; i++) {
		const char *s = v->lines[v->top + (size_t)i];
		attr_t attr = s[0] && s[0] != ' ' ? tui_theme_attr(TUI_ROLE_TITLE) : A_NORMAL;

		tui_text_draw(w, area->y + 1 + i, area->x, area->w, s, strlen(s), attr);
	}
}

/* Decodes the raw line of one dead letter into the batch. Returns 0, or -1
 * when the line is not a dead letter with a raw record. */
static int add_retry(const char *line, size_t len, sl_decode_ctx *ctx, sl_event *out)
{
	const char *raw, *id;
	sl_record rec;
	sl_event dead;
	int rc = -1;

	if (parse_dead(line, len, &dead) != 0)
		return -1;
	raw = sl_event_get_field(&dead, "event.raw");
	id = field_or(&dead, "event.id", sl_event_get_field(&dead, "id"));
	if (raw && id) {
		memset(&rec, 0, sizeof rec);
		rec.data = raw;
		rec.len = strlen(raw);
		snprintf(rec.id, sizeof rec.id, "%s", id);
		rec.recv_ms = sl_now_ms();
		rec.origin = "dead-letter retry";
		sl_event_init(out);
		sl_decode_record(ctx, &rec, out);
		rc = 0;
	}
	sl_event_clear(&dead);
	return rc;
}

/* Writes evs to the search store, then the new ones to the hot store.
 * Returns 0, or -1 with err set. */
static int write_retry(sl_app *app, sl_event *evs, size_t n, sl_error *err)
{
	unsigned char *inserted = sl_calloc(n ? n : 1, 1);
	int rc = app->store->ops->write_batch(app->store, evs, n, NULL, 0, inserted, err);

	if (rc == SL_OK && app->hot)
		sl_hot_add_batch(app->hot, evs, n, inserted);
	free(inserted);
	for (size_t i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
	return rc == SL_OK ? 0 : -1;
}

/* Queues the raw lines of the dead letters not retried yet into queue, for
 * the ingest thread to decode and store. Returns the number queued, or -1
 * when the file cannot be read. */
static long queue_retry(tui_pipeview *v, const char *path, sl_source *queue, char *notice,
			size_t notice_len)
{
	uint64_t end, done = v->retry_offset;
	long queued = 0, skipped = 0;
	char *line = NULL;
	size_t cap = 0;
	struct stat sb;
	ssize_t len;
	FILE *f = fopen(path, "r");
	int full = 0;

	if (!f || fstat(fileno(f), &sb) != 0 || fseeko(f, (off_t)done, SEEK_SET) != 0) {
		snprintf(notice, notice_len, TUI_STR_PIPE_RETRY_NONE_FMT, path);
		if (f)
			fclose(f);
		return -1;
	}
	end = (uint64_t)sb.st_size;
	while (!full && queued < RETRY_MAX && done < end && (len = getline(&line, &cap, f)) > 0) {
		const char *raw, *id;
		sl_event dead;

		if (line[len - 1] != '\n')
			break;
		if (parse_dead(line, (size_t)len - 1, &dead) != 0) {
			done += (uint64_t)len;
			skipped++;
			continue;
		}
		raw = sl_event_get_field(&dead, "event.raw");
		id = field_or(&dead, "event.id", sl_event_get_field(&dead, "id"));
		if (!raw || !id)
			skipped++;
		else if (sl_source_retry_push(queue, raw, strlen(raw), id) != 0)
			full = 1;
		else
			queued++;
		sl_event_clear(&dead);
		/* A line that did not fit in the queue stays for the next retry. */
		if (!full)
			done += (uint64_t)len;
	}
	free(line);
	fclose(f);

	v->retry_offset = done;
	snprintf(v->retry_result, sizeof v->retry_result, TUI_STR_PIPE_RETRY_QUEUED_FMT, queued,
		 skipped);
	snprintf(notice, notice_len, "%s", v->retry_result);
	v->updated_mono = 0;
	return queued;
}

long tui_pipeview_retry(tui_pipeview *v, sl_app *app, const char *dead_fallback,
			struct sl_source *queue, char *notice, size_t notice_len)
{
	const char *path = dead_path(app, dead_fallback);
	sl_event *batch = sl_calloc(RETRY_BATCH, sizeof *batch);
	uint64_t rejected0, end, done = v->retry_offset;
	long retried = 0, skipped = 0;
	char *line = NULL;
	size_t cap = 0, n = 0;
	sl_decode_ctx ctx;
	struct stat sb;
	sl_error err;
	ssize_t len;
	FILE *f = NULL;
	int failed = 0;

	memset(&err, 0, sizeof err);
	/* Elasticsearch writes are safe from this thread. The SQLite writer
	 * belongs to the ingest thread, which takes the lines from queue. */
	if (app->store && strcmp(app->store->ops->name, "elasticsearch") != 0 && path && queue) {
		free(batch);
		return queue_retry(v, path, queue, notice, notice_len);
	}
	if (!app->store || strcmp(app->store->ops->name, "elasticsearch") != 0 || !path) {
		snprintf(notice, notice_len, "%s", TUI_STR_PIPE_RETRY_NO_STORE);
		free(batch);
		return -1;
	}
	f = fopen(path, "r");
	if (!f || fstat(fileno(f), &sb) != 0 || fseeko(f, (off_t)done, SEEK_SET) != 0) {
		snprintf(notice, notice_len, TUI_STR_PIPE_RETRY_NONE_FMT, path);
		if (f)
			fclose(f);
		free(batch);
		return -1;
	}

	/* Letters the store rejects again are appended while this runs, so
	 * the retry stops at the size the file had when it started. */
	end = (uint64_t)sb.st_size;
	rejected0 = sl_es_rejected_total(app->store);
	sl_decode_ctx_init(&ctx, NULL);
	while (!failed && retried < RETRY_MAX && done < end && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;
		done += (uint64_t)len;
		if (add_retry(line, (size_t)len - 1, &ctx, &batch[n]) != 0) {
			skipped++;
			continue;
		}
		n++;
		retried++;
		if (n == RETRY_BATCH) {
			failed = write_retry(app, batch, n, &err) != 0;
			n = 0;
		}
	}
	if (!failed && n > 0)
		failed = write_retry(app, batch, n, &err) != 0;
	free(line);
	free(batch);
	fclose(f);

	if (failed) {
		snprintf(v->retry_result, sizeof v->retry_result, TUI_STR_PIPE_RETRY_FAILED_FMT,
			 err.message);
	} else {
		v->retry_offset = done;
		snprintf(v->retry_result, sizeof v->retry_result, TUI_STR_PIPE_RETRY_DONE_FMT, retried,
			 (unsigned long long)(sl_es_rejected_total(app->store) - rejected0), skipped);
	}
	snprintf(notice, notice_len, "%s", v->retry_result);
	v->updated_mono = 0;
	return failed ? -1 : retried;
}
