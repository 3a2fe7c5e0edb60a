/* source_kafka.c: consumes a Kafka topic through a consumer group.
 *
 * Delivery: enable.auto.offset.store is off, so librdkafka commits only the
 * offsets this file stores by hand. poll() keeps per partition the highest
 * offset it emitted. ack(), called after every sink stored all emitted
 * records, stores offset + 1 for each. poll() commits the stored offsets
 * asynchronously about once a second. On a revoke and on close the stored offsets are committed
 * synchronously. Records emitted but not acked from a revoked partition are
 * read again by its next owner; their ids (topic, partition, offset) make
 * that redelivery idempotent.
 *
 * Threads: poll, ack and close run on the ingest thread, and librdkafka runs
 * the rebalance, error and statistics callbacks inside poll. lag() and
 * metrics() run on HTTP threads, so the lag table and the counters they read
 * are guarded by a mutex. */
#include "source_kafka.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "log.h"

#define COMP "kafka"
/* librdkafka sends statistics (with consumer lag) this often, in ms. */
#define STATS_INTERVAL_MS "5000"
/* Records librdkafka prefetches per partition. With librdkafka 2.0.2 and
 * its default of 100000, the source read 118000 records/s instead of
 * 265000 (bench/kafka_discard, one local broker): the queue ran dry. NOTE:
 * the cause is inferred, a pause before a partition over this count is
 * fetched again, and was not confirmed in librdkafka's source. Memory stays
 * bounded by queued.max.messages.kbytes, 64 MiB by default. */
#define QUEUED_MIN_MESSAGES "1000000"
/* Time in ms that poll waits for a first record before it reports the
 * source idle, so the pipeline does not sleep its idle pause while a fetch
 * is in flight. */
#define EMPTY_WAIT_MS 10
/* Stored offsets are committed this often, in ms. */
#define COMMIT_INTERVAL_MS 1000
/* Timeout in ms of each request that looks up where a newly assigned
 * partition starts. After a timeout, librdkafka looks the start up itself. */
#define START_QUERY_TIMEOUT_MS 5000
/* Maximum number of partitions without a committed offset whose start is
 * looked up here, one request each. With more, librdkafka looks them up. */
#define START_QUERY_MAX 16
/* A commit on revoke or close waits this long for the broker, in ms, so a
 * broker that is down cannot stall a rebalance or the shutdown. */
#define COMMIT_TIMEOUT_MS 5000
/* Leaving the group at close waits this long, in ms. After that the
 * consumer is destroyed without leaving, and the broker drops it from the
 * group when its session times out. */
#define CLOSE_TIMEOUT_MS 10000
/* At most LOG_BURST error lines per LOG_WINDOW_MS; the rest are counted. */
#define LOG_WINDOW_MS 10000
#define LOG_BURST 5
/* Maximum length of a topic name written into an id unchanged. A longer
 * name is replaced by its hash, so the id fits in SL_ID_MAX. */
#define ID_TOPIC_MAX 40

/* The next offset to store for one partition. */
typedef struct pending_offset {
	char *topic;
	int32_t partition;
	int64_t next; /* highest emitted offset + 1 */
} pending_offset;

/* Consumer lag of one partition, from the last statistics. */
typedef struct partition_lag {
	char *topic;
	int32_t partition;
	int64_t lag;
} partition_lag;

/* Counts log lines per window so a down broker cannot flood the log. */
typedef struct log_limiter {
	pthread_mutex_t lock;
	int64_t window_start;
	unsigned in_window;
	uint64_t suppressed;
} log_limiter;

typedef struct kafka_src {
	rd_kafka_t *rk;
	char *topic;
	char *group;
	/* Start of a partition without a committed offset, from
	 * auto.offset.reset: RD_KAFKA_OFFSET_BEGINNING or _END, or
	 * RD_KAFKA_OFFSET_INVALID to leave the choice to librdkafka. */
	int64_t reset_to;

	/* ingest thread only */
	pending_offset *pending;
	size_t npending;
	size_t pending_cap;
	uint64_t unacked; /* records emitted since the last ack or mark */
	atomic_int inflight; /* marks not yet given back */
	int idle;
	int64_t last_commit_ms;
	int commit_done; /* set by on_commit */
	rd_kafka_resp_err_t commit_err;

	pthread_mutex_t lock; /* guards the fields below */
	partition_lag *lags;
	size_t nlags;
	int lag_known;
	uint64_t skipped_tombstone;
	uint64_t skipped_empty;

	log_limiter limiter;
} kafka_src;

int sl_kafka_prop_is_secret(const char *name, size_t len)
{
	static const char *const words[] = { "password", "secret", "key" };
	size_t i, j;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t wl = strlen(words[i]);

		for (j = 0; j + wl <= len; j++) {
			if (strncasecmp(name + j, words[i], wl) == 0)
				return 1;
		}
	}
	return 0;
}

/* Returns 1 when a line may be logged now; sets *suppressed to the number
 * of lines held back since the last one that was allowed. */
static int limiter_allow(log_limiter *l, uint64_t *suppressed)
{
	int64_t now = sl_mono_ms();
	int allow;

	pthread_mutex_lock(&l->lock);
	if (now - l->window_start >= LOG_WINDOW_MS) {
		l->window_start = now;
		l->in_window = 0;
	}
	allow = l->in_window < LOG_BURST;
	*suppressed = 0;
	if (allow) {
		l->in_window++;
		*suppressed = l->suppressed;
		l->suppressed = 0;
	} else {
		l->suppressed++;
	}
	pthread_mutex_unlock(&l->lock);
	return allow;
}

/* Logs a consumer error, rate-limited. Errors are never fatal: librdkafka
 * reconnects on its own and the source resumes when the broker is back. */
static void log_limited(kafka_src *k, enum sl_log_level level, const char *what,
			const char *reason)
{
	uint64_t suppressed;

	if (!limiter_allow(&k->limiter, &suppressed))
		return;
	if (suppressed)
		sl_log_write(level, COMP, "%s: %s (%" PRIu64 " similar messages suppressed)",
			     what, reason, suppressed);
	else
		sl_log_write(level, COMP, "%s: %s", what, reason);
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
	kafka_src *k = opaque;

	(void)rk;
	log_limited(k, SL_LOG_ERROR, rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

/* Routes librdkafka's own log lines (syslog levels) into the internal log,
 * which keeps them off the screen the TUI owns. Runs on librdkafka threads. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	kafka_src *k = rd_kafka_opaque(rk);

	if (level > 4) {
		sl_debug(COMP, "%s: %s", fac, buf);
		return;
	}
	if (k)
		log_limited(k, SL_LOG_WARN, fac, buf);
}

/* ---- offsets ---- */

static void note_emitted(kafka_src *k, const char *topic, int32_t partition, int64_t offset)
{
	size_t i;
	pending_offset *p;

	for (i = 0; i < k->npending; i++) {
		p = &k->pending[i];
		if (p->partition == partition && strcmp(p->topic, topic) == 0) {
			if (offset + 1 > p->next)
				p->next = offset + 1;
			return;
		}
	}
	if (k->npending == k->pending_cap) {
		k->pending_cap = k->pending_cap ? k->pending_cap * 2 : 8;
		k->pending = sl_realloc(k->pending, k->pending_cap * sizeof *k->pending);
	}
	p = &k->pending[k->npending++];
	p->topic = sl_strdup(topic);
	p->partition = partition;
	p->next = offset + 1;
}

static void clear_pending(kafka_src *k)
{
	size_t i;

	for (i = 0; i < k->npending; i++)
		free(k->pending[i].topic);
	k->npending = 0;
}

/* Moves the pending offsets into a new list, or returns NULL when there
 * are none. */
static rd_kafka_topic_partition_list_t *take_pending(kafka_src *k)
{
	rd_kafka_topic_partition_list_t *list;
	size_t i;

	if (k->npending == 0)
		return NULL;
	list = rd_kafka_topic_partition_list_new((int)k->npending);
	for (i = 0; i < k->npending; i++) {
		rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(
			list, k->pending[i].topic, k->pending[i].partition);

		tp->offset = k->pending[i].next;
	}
	clear_pending(k);
	return list;
}

/* Stores the offsets of list for the next commit and frees it.
 * librdkafka allows this from any thread. */
static void store_offsets(kafka_src *k, rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_resp_err_t rc;
	int j;

	rc = rd_kafka_offsets_store(k->rk, list);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* A partition revoked in between is no longer ours to store;
		 * its new owner reads the records again. */
		for (j = 0; j < list->cnt; j++) {
			if (list->elems[j].err)
				sl_warn(COMP, "storing offset %" PRId64 " of %s [%" PRId32 "] failed: %s",
					list->elems[j].offset, list->elems[j].topic,
					list->elems[j].partition, rd_kafka_err2str(list->elems[j].err));
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
}

/* Stores the pending offsets for the next commit and clears them. */
static void store_pending(kafka_src *k)
{
	rd_kafka_topic_partition_list_t *list = take_pending(k);

	if (list)
		store_offsets(k, list);
}

/* Starts an asynchronous commit of the stored offsets, at most once per
 * COMMIT_INTERVAL_MS. Auto-commit is off because librdkafka then waits at
 * close for its own final commit for as long as the coordinator is down. */
static void maybe_commit(kafka_src *k)
{
	int64_t now = sl_mono_ms();
	rd_kafka_resp_err_t rc;

	if (now - k->last_commit_ms < COMMIT_INTERVAL_MS)
		return;
	k->last_commit_ms = now;
	rc = rd_kafka_commit(k->rk, NULL, 1);
	if (rc && rc != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_limited(k, SL_LOG_WARN, "committing offsets", rd_kafka_err2str(rc));
}

/* Clears the pending offsets of the given partitions. */
static void drop_pending(kafka_src *k, const rd_kafka_topic_partition_list_t *parts)
{
	size_t i = 0;
	int j;

	while (i < k->npending) {
		pending_offset *p = &k->pending[i];
		int revoked = 0;

		for (j = 0; j < parts->cnt && !revoked; j++)
			revoked = parts->elems[j].partition == p->partition &&
				  strcmp(parts->elems[j].topic, p->topic) == 0;
		if (!revoked) {
			i++;
			continue;
		}
		free(p->topic);
		k->pending[i] = k->pending[--k->npending];
	}
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	kafka_src *k = opaque;

	(void)rk;
	(void)offsets;
	k->commit_err = err;
	k->commit_done = 1;
}

/* Commits the stored offsets and waits up to COMMIT_TIMEOUT_MS for the
 * broker's reply. rd_kafka_commit() in synchronous mode would wait for as
 * long as the group coordinator is unreachable. */
static void commit_sync(kafka_src *k, const char *when)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(k->rk);
	int64_t deadline = sl_mono_ms() + COMMIT_TIMEOUT_MS;
	rd_kafka_resp_err_t rc;

	k->commit_done = 0;
	rc = rd_kafka_commit_queue(k->rk, NULL, q, on_commit, k);
	while (rc == RD_KAFKA_RESP_ERR_NO_ERROR && !k->commit_done && sl_mono_ms() < deadline)
		rd_kafka_queue_poll_callback(q, 100);
	rd_kafka_queue_destroy(q);
	if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
		rc = k->commit_done ? k->commit_err : RD_KAFKA_RESP_ERR__TIMED_OUT;

	if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
		sl_debug(COMP, "offsets committed on %s", when);
	else if (rc != RD_KAFKA_RESP_ERR__NO_OFFSET)
		sl_warn(COMP, "committing offsets on %s failed: %s", when, rd_kafka_err2str(rc));
}

/* ---- rebalance ---- */

static void log_partitions(const char *what, const rd_kafka_topic_partition_list_t *parts)
{
	sl_buf b;
	int i;

	sl_buf_init(&b);
	for (i = 0; i < parts->cnt; i++)
		sl_buf_printf(&b, "%s%s[%" PRId32 "]", i ? ", " : "", parts->elems[i].topic,
			      parts->elems[i].partition);
	sl_info(COMP, "%s %d partitions: %s", what, parts->cnt, b.len ? b.data : "none");
	sl_buf_free(&b);
}

static int is_cooperative(rd_kafka_t *rk)
{
	const char *proto = rd_kafka_rebalance_protocol(rk);

	return proto && strcmp(proto, "COOPERATIVE") == 0;
}

static void assign(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, int add)
{
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t rc = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (is_cooperative(rk))
		error = add ? rd_kafka_incremental_assign(rk, parts)
			    : rd_kafka_incremental_unassign(rk, parts);
	else
		rc = rd_kafka_assign(rk, add ? parts : NULL);

	if (error) {
		sl_error(COMP, "partition %s failed: %s", add ? "assignment" : "revocation",
			 rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (rc) {
		sl_error(COMP, "partition %s failed: %s", add ? "assignment" : "revocation",
			 rd_kafka_err2str(rc));
	}
}

/* Sets the start of each newly assigned partition to its committed offset
 * or, without one, to its first or last offset, as set by auto.offset.reset.
 * librdkafka finds the same start, but for a partition without a committed
 * offset its offset reset first waits about 100 ms (seen in its debug log),
 * and a new group pays that on every start. A partition whose start cannot
 * be looked up here is left to librdkafka. */
static void set_start_offsets(kafka_src *k, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *committed;
	rd_kafka_resp_err_t rc;
	int i, missing = 0;

	if (k->reset_to == RD_KAFKA_OFFSET_INVALID || parts->cnt == 0)
		return;
	committed = rd_kafka_topic_partition_list_copy(parts);
	rc = rd_kafka_committed(rk, committed, START_QUERY_TIMEOUT_MS);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
		sl_debug(COMP, "reading the committed offsets of group %s failed: %s; "
			 "librdkafka looks up the starts", k->group, rd_kafka_err2str(rc));
		rd_kafka_topic_partition_list_destroy(committed);
		return;
	}
	for (i = 0; i < committed->cnt; i++)
		missing += !committed->elems[i].err && committed->elems[i].offset < 0;
	for (i = 0; i < committed->cnt; i++) {
		const rd_kafka_topic_partition_t *c = &committed->elems[i];
		int64_t low, high;

		if (c->err || parts->elems[i].offset != RD_KAFKA_OFFSET_INVALID)
			continue;
		if (c->offset >= 0) {
			parts->elems[i].offset = c->offset;
			continue;
		}
		/* The offset is absolute because librdkafka requests a logical
		 * one before the partition has joined its leader's thread, and
		 * then retries only after a longer back-off. */
		if (missing > START_QUERY_MAX)
			continue;
		rc = rd_kafka_query_watermark_offsets(rk, c->topic, c->partition, &low, &high,
						      START_QUERY_TIMEOUT_MS);
		if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
			sl_debug(COMP, "reading the offsets of %s [%" PRId32 "] failed: %s; "
				 "librdkafka looks up the starts", c->topic, c->partition,
				 rd_kafka_err2str(rc));
			/* After one failed lookup, which may have taken the whole
			 * timeout, the rest are left to librdkafka. */
			missing = START_QUERY_MAX + 1;
			continue;
		}
		parts->elems[i].offset = k->reset_to == RD_KAFKA_OFFSET_END ? high : low;
	}
	rd_kafka_topic_partition_list_destroy(committed);
}

/* Applies a group rebalance. On a revoke the stored offsets are committed
 * first, so the next owner starts after every record stored here. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	kafka_src *k = opaque;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_partitions("assigned", parts);
		set_start_offsets(k, rk, parts);
		assign(rk, parts, 1);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_partitions("revoked", parts);
		if (!rd_kafka_assignment_lost(rk))
			commit_sync(k, "revoke");
		drop_pending(k, parts);
		assign(rk, parts, 0);
		break;
	default:
		sl_error(COMP, "rebalance failed: %s", rd_kafka_err2str(err));
		drop_pending(k, parts);
		rd_kafka_assign(rk, NULL);
		break;
	}
}

/* ---- statistics: consumer lag ---- */

/* Returns the index just past the token at i and everything inside it. */
static int tok_skip(const jsmntok_t *t, int ntok, int i)
{
	int left = 1;

	while (left > 0 && i < ntok) {
		left += t[i].size - 1;
		i++;
	}
	return i;
}

static int tok_eq(const char *js, const jsmntok_t *t, const char *s)
{
	size_t n = strlen(s);

	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
	       memcmp(js + t->start, s, n) == 0;
}

/* Returns the index of the value of key in the object at obj, or -1. */
static int obj_get(const char *js, const jsmntok_t *t, int ntok, int obj, const char *key)
{
	int i = obj + 1, k;

	if (obj < 0 || t[obj].type != JSMN_OBJECT)
		return -1;
	for (k = 0; k < t[obj].size && i + 1 < ntok; k++) {
		if (tok_eq(js, &t[i], key))
			return i + 1;
		i = tok_skip(t, ntok, i + 1);
	}
	return -1;
}

static int64_t tok_int(const char *js, const jsmntok_t *t, int i, int64_t fallback)
{
	char num[24];
	int len;

	if (i < 0 || t[i].type != JSMN_PRIMITIVE)
		return fallback;
	len = t[i].end - t[i].start;
	if (len <= 0 || len >= (int)sizeof num)
		return fallback;
	memcpy(num, js + t[i].start, (size_t)len);
	num[len] = '\0';
	return strtoll(num, NULL, 10);
}

static void add_lag(partition_lag **lags, size_t *n, size_t *cap, const char *topic,
		    size_t topic_len, int32_t partition, int64_t lag)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*lags = sl_realloc(*lags, *cap * sizeof **lags);
	}
	(*lags)[*n].topic = sl_strndup(topic, topic_len);
	(*lags)[*n].partition = partition;
	(*lags)[*n].lag = lag;
	(*n)++;
}

/* Collects the lag of each partition of the topic object at ti. The lag of
 * the stored offset counts records not yet in every sink; partitions not
 * assigned here report -1 and are left out. */
static void collect_topic(const char *js, const jsmntok_t *t, int ntok, int name, int ti,
			  partition_lag **lags, size_t *n, size_t *cap)
{
	int parts = obj_get(js, t, ntok, ti, "partitions");
	int i, k;

	if (parts < 0 || t[parts].type != JSMN_OBJECT)
		return;
	i = parts + 1;
	for (k = 0; k < t[parts].size && i + 1 < ntok; k++) {
		int p = i + 1;
		int64_t id = tok_int(js, t, obj_get(js, t, ntok, p, "partition"), -1);
		int64_t lag = tok_int(js, t, obj_get(js, t, ntok, p, "consumer_lag_stored"), -2);

		if (lag == -2)
			lag = tok_int(js, t, obj_get(js, t, ntok, p, "consumer_lag"), -1);
		if (id >= 0 && id <= INT32_MAX && lag >= 0)
			add_lag(lags, n, cap, js + t[name].start, (size_t)(t[name].end - t[name].start),
				(int32_t)id, lag);
		i = tok_skip(t, ntok, p);
	}
}

static void free_lags(partition_lag *lags, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lags[i].topic);
	free(lags);
}

/* Parses librdkafka's statistics JSON into a new lag table. Returns 0, or
 * -1 when the JSON does not parse. */
static int parse_stats(const char *js, size_t len, partition_lag **out, size_t *nout)
{
	jsmn_parser parser;
	jsmntok_t *t;
	size_t n = 0, cap = 0;
	int ntok, topics, i, k, rc = -1;

	*out = NULL;
	jsmn_init(&parser);
	ntok = jsmn_parse(&parser, js, len, NULL, 0);
	if (ntok <= 0)
		return -1;
	t = sl_calloc((size_t)ntok, sizeof *t);
	jsmn_init(&parser);
	if (jsmn_parse(&parser, js, len, t, (unsigned)ntok) != ntok)
		goto out;

	topics = obj_get(js, t, ntok, 0, "topics");
	if (topics >= 0 && t[topics].type == JSMN_OBJECT) {
		i = topics + 1;
		for (k = 0; k < t[topics].size && i + 1 < ntok; k++) {
			collect_topic(js, t, ntok, i, i + 1, out, &n, &cap);
			i = tok_skip(t, ntok, i + 1);
		}
	}
	*nout = n;
	rc = 0;
out:
	free(t);
	return rc;
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	kafka_src *k = opaque;
	partition_lag *lags = NULL, *old;
	size_t n = 0, nold;

	(void)rk;
	if (parse_stats(json, len, &lags, &n) != 0) {
		sl_debug(COMP, "statistics JSON did not parse; consumer lag not updated");
		return 0;
	}
	pthread_mutex_lock(&k->lock);
	old = k->lags;
	nold = k->nlags;
	k->lags = lags;
	k->nlags = n;
	k->lag_known = 1;
	pthread_mutex_unlock(&k->lock);
	free_lags(old, nold);
	return 0; /* librdkafka frees json */
}

/* ---- source operations ---- */

static int is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strchr(" \t\r\n\v\f", s[i]) || s[i] == '\0')
			return 0;
	}
	return 1;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Appends the decimal digits of v at out and returns the end. */
static char *put_decimal(char *out, int64_t v)
{
	char digits[24];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n = 0;

	if (v < 0)
		*out++ = '-';
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*out++ = digits[--n];
	return out;
}

/* Writes "k:TOPIC:PARTITION:OFFSET", or the topic's hash for a long topic.
 * The short form is built by hand: snprintf was a visible share of the
 * ingest thread's time at a million records per second. */
static void make_id(char *out, size_t outlen, const char *topic, int32_t partition,
		    int64_t offset)
{
	size_t tl = strlen(topic);

	/* "k:" + topic + two ':' + 11 + 20 digits + NUL fits SL_ID_MAX. */
	if (tl <= ID_TOPIC_MAX && outlen >= SL_ID_MAX) {
		char *p = out;

		*p++ = 'k';
		*p++ = ':';
		memcpy(p, topic, tl);
		p += tl;
		*p++ = ':';
		p = put_decimal(p, partition);
		*p++ = ':';
		p = put_decimal(p, offset);
		*p = '\0';
	} else if (tl <= ID_TOPIC_MAX) {
		snprintf(out, outlen, "k:%s:%" PRId32 ":%" PRId64, topic, partition, offset);
	} else {
		snprintf(out, outlen, "k:#%016" PRIx64 ":%" PRId32 ":%" PRId64, fnv1a(topic),
			 partition, offset);
	}
}

/* Emits one message as a record, or counts it as skipped. Returns 1 when a
 * record was emitted. Skipped records still move the offset forward. */
static int take_message(kafka_src *k, sl_source *src, const rd_kafka_message_t *msg,
			int64_t now_ms, sl_emit_fn emit, void *ud)
{
	const char *topic = rd_kafka_topic_name(msg->rkt);
	const char *data = msg->payload;
	size_t len = msg->len;
	sl_record rec;

	note_emitted(k, topic, msg->partition, msg->offset);
	if (!data || is_blank(data, len)) {
		pthread_mutex_lock(&k->lock);
		if (!data)
			k->skipped_tombstone++;
		else
			k->skipped_empty++;
		pthread_mutex_unlock(&k->lock);
		return 0;
	}

	/* A producer that sends lines often keeps the line terminator. */
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	memset(&rec, 0, sizeof rec);
	rec.data = data;
	rec.len = len;
	rec.recv_ms = now_ms;
	rec.origin = src->desc;
	make_id(rec.id, sizeof rec.id, topic, msg->partition, msg->offset);
	emit(ud, &rec, &src->decode);
	k->unacked++;
	return 1;
}

static void consumer_error(kafka_src *k, const rd_kafka_message_t *msg)
{
	char what[160];

	if (msg->rkt)
		snprintf(what, sizeof what, "consuming %s [%" PRId32 "]",
			 rd_kafka_topic_name(msg->rkt), msg->partition);
	else
		snprintf(what, sizeof what, "consuming");
	log_limited(k, SL_LOG_ERROR, what, rd_kafka_message_errstr(msg));
}

static int kafka_poll(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err)
{
	kafka_src *k = src->impl;
	size_t n = 0, seen = 0;
	int64_t now_ms = 0;

	(void)err;
	k->idle = 0;
	while (n < max) {
		rd_kafka_message_t *msg =
			rd_kafka_consumer_poll(k->rk, seen++ ? 0 : EMPTY_WAIT_MS);

		/* The receive time is read once per 64 records: a poll of
		 * thousands takes a few milliseconds. */
		if (seen % 64 == 1)
			now_ms = sl_now_ms();

		if (!msg) {
			k->idle = 1;
			break;
		}
		if (msg->err) {
			consumer_error(k, msg);
			rd_kafka_message_destroy(msg);
			k->idle = 1;
			break;
		}
		n += (size_t)take_message(k, src, msg, now_ms, emit, ud);
		rd_kafka_message_destroy(msg);
	}

	/* With no record in flight, the offsets past skipped records can be
	 * stored now. Otherwise a topic that ends in tombstones would never be
	 * committed to its end. Records under a mark are in flight until the
	 * mark comes back, and storing a later offset would commit them. */
	if (k->unacked == 0 && atomic_load(&k->inflight) == 0)
		store_pending(k);
	maybe_commit(k);
	return (int)n;
}

static int kafka_position(sl_source *src, sl_source_pos *pos)
{
	(void)src;
	(void)pos;
	return 0; /* offsets live in the consumer group, not in the store */
}

static int kafka_idle(sl_source *src)
{
	return ((kafka_src *)src->impl)->idle;
}

static int kafka_finished(sl_source *src)
{
	(void)src;
	return 0;
}

static void kafka_ack(sl_source *src)
{
	kafka_src *k = src->impl;

	store_pending(k);
	k->unacked = 0;
}

static void *kafka_mark(sl_source *src)
{
	kafka_src *k = src->impl;
	rd_kafka_topic_partition_list_t *list = take_pending(k);

	k->unacked = 0;
	if (list)
		atomic_fetch_add(&k->inflight, 1);
	return list;
}

static void kafka_ack_mark(sl_source *src, void *mark, int stored)
{
	kafka_src *k = src->impl;
	rd_kafka_topic_partition_list_t *list = mark;

	if (stored)
		store_offsets(k, list);
	else
		rd_kafka_topic_partition_list_destroy(list);
	atomic_fetch_sub(&k->inflight, 1);
}

static int64_t kafka_lag(sl_source *src)
{
	kafka_src *k = src->impl;
	int64_t sum = -1;
	size_t i;

	pthread_mutex_lock(&k->lock);
	if (k->lag_known && k->nlags) {
		sum = 0;
		for (i = 0; i < k->nlags; i++)
			sum += k->lags[i].lag;
	}
	pthread_mutex_unlock(&k->lock);
	return sum;
}

/* Appends the Prometheus lines: consumer lag per partition and skipped
 * records by reason. Topic names are [A-Za-z0-9._-] in Kafka, so they need
 * no escaping in a label. */
static void kafka_metrics(sl_source *src, sl_buf *out)
{
	kafka_src *k = src->impl;
	size_t i;

	pthread_mutex_lock(&k->lock);
	sl_buf_puts(out, "# HELP streamlens_kafka_consumer_lag Records in the partition not yet "
			 "stored by every sink.\n# TYPE streamlens_kafka_consumer_lag gauge\n");
	for (i = 0; i < k->nlags; i++)
		sl_buf_printf(out, "streamlens_kafka_consumer_lag{topic=\"%s\",partition=\"%" PRId32
				   "\"} %" PRId64 "\n",
			      k->lags[i].topic, k->lags[i].partition, k->lags[i].lag);
	sl_buf_printf(out, "# HELP streamlens_kafka_skipped_records_total Kafka records skipped "
			   "because they had no value or only whitespace.\n"
			   "# TYPE streamlens_kafka_skipped_records_total counter\n"
			   "streamlens_kafka_skipped_records_total{reason=\"tombstone\"} %" PRIu64 "\n"
			   "streamlens_kafka_skipped_records_total{reason=\"empty\"} %" PRIu64 "\n",
		      k->skipped_tombstone, k->skipped_empty);
	pthread_mutex_unlock(&k->lock);
}

static void free_impl(kafka_src *k)
{
	clear_pending(k);
	free(k->pending);
	free_lags(k->lags, k->nlags);
	pthread_mutex_destroy(&k->lock);
	pthread_mutex_destroy(&k->limiter.lock);
	free(k->topic);
	free(k->group);
	free(k);
}

/* Serves one event of the close queue. Fetched messages land there too, so
 * it is polled as events: rd_kafka_queue_poll_callback() aborts on an event
 * it cannot hand to a callback. A revoke drops the assignment; the stored
 * offsets were committed before the close started. */
static void serve_close_queue(kafka_src *k, rd_kafka_queue_t *q)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
	rd_kafka_error_t *error = NULL;

	if (!ev)
		return;
	if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
		if (strcmp(rd_kafka_rebalance_protocol(k->rk), "COOPERATIVE") == 0)
			error = rd_kafka_incremental_unassign(k->rk,
							      rd_kafka_event_topic_partition_list(ev));
		else
			rd_kafka_assign(k->rk, NULL);
	}
	if (error)
		rd_kafka_error_destroy(error);
	rd_kafka_event_destroy(ev);
}

/* Leaves the group, whose revoke commits the stored offsets, and destroys
 * the consumer. It waits up to CLOSE_TIMEOUT_MS for the group to confirm. */
static void leave_group(kafka_src *k)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(k->rk);
	rd_kafka_error_t *error = rd_kafka_consumer_close_queue(k->rk, q);
	int64_t deadline = sl_mono_ms() + CLOSE_TIMEOUT_MS;
	int closed;

	if (error) {
		sl_warn(COMP, "closing the consumer of %s failed: %s", k->topic,
			rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	/* NOTE: with the coordinator unreachable, rd_kafka_destroy_flags()
	 * below still blocks until librdkafka gives up on the group, measured
	 * at about 35 s with librdkafka 2.0.2 and its mock cluster. */
	while (!error && !rd_kafka_consumer_closed(k->rk) && sl_mono_ms() < deadline)
		serve_close_queue(k, q);
	closed = rd_kafka_consumer_closed(k->rk);
	rd_kafka_queue_destroy(q);

	if (closed) {
		rd_kafka_destroy(k->rk);
		return;
	}
	sl_warn(COMP, "leaving group %s timed out after %d s; the broker drops this member "
		      "when its session times out", k->group, CLOSE_TIMEOUT_MS / 1000);
	rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

/* Commits what was acked, leaves the group and frees the consumer. Records
 * emitted but not acked are read again by the group's next consumer. */
static void kafka_close(sl_source *src)
{
	kafka_src *k = src->impl;

	if (k->rk) {
		commit_sync(k, "close");
		leave_group(k);
	}
	sl_info(COMP, "stopped consuming %s: skipped %" PRIu64 " tombstones and %" PRIu64
		      " empty records", k->topic, k->skipped_tombstone, k->skipped_empty);
	free_impl(k);
}

static const sl_source_ops kafka_ops = {
	.kind = "kafka",
	.poll = kafka_poll,
	.position = kafka_position,
	.idle = kafka_idle,
	.finished = kafka_finished,
	.ack = kafka_ack,
	.mark = kafka_mark,
	.ack_mark = kafka_ack_mark,
	.metrics = kafka_metrics,
	.lag = kafka_lag,
	.close = kafka_close,
};

/* ---- configuration ---- */

static int set_prop(rd_kafka_conf_t *rc, const char *name, const char *value, sl_error *err)
{
	char errstr[512];

	if (rd_kafka_conf_set(rc, name, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
		return 0;
	sl_error_set(err, 0, "invalid Kafka property %s=%s: %s", name,
		     sl_kafka_prop_is_secret(name, strlen(name)) ? "***" : value, errstr);
	return -1;
}

/* Returns the logical offset that an auto.offset.reset value names, or
 * RD_KAFKA_OFFSET_INVALID for "error" and values librdkafka rejects. */
static int64_t reset_offset(const char *value)
{
	if (strcmp(value, "earliest") == 0 || strcmp(value, "smallest") == 0 ||
	    strcmp(value, "beginning") == 0)
		return RD_KAFKA_OFFSET_BEGINNING;
	if (strcmp(value, "latest") == 0 || strcmp(value, "largest") == 0 ||
	    strcmp(value, "end") == 0)
		return RD_KAFKA_OFFSET_END;
	return RD_KAFKA_OFFSET_INVALID;
}

/* Applies the -X KEY=VALUE properties and appends them, secrets masked, to
 * shown for the log, noting auto.offset.reset in k. Returns 0, or -1 with
 * err set. */
static int apply_props(kafka_src *k, rd_kafka_conf_t *rc, const sl_kafka_conf *conf,
		       sl_buf *shown, sl_error *err)
{
	size_t i;

	for (i = 0; i < conf->nprops; i++) {
		const char *p = conf->props[i];
		const char *eq = strchr(p, '=');
		char *name;
		int rcode;

		if (!eq || eq == p) {
			sl_error_set(err, 0, "invalid Kafka property '%s': expected KEY=VALUE", p);
			return -1;
		}
		name = sl_strndup(p, (size_t)(eq - p));
		if (strcmp(name, "enable.auto.offset.store") == 0 && strcmp(eq + 1, "false") != 0) {
			sl_warn(COMP, "ignoring enable.auto.offset.store=%s: offsets are stored only "
				      "after every sink stored the records", eq + 1);
			free(name);
			continue;
		}
		if (strcmp(name, "auto.offset.reset") == 0)
			k->reset_to = reset_offset(eq + 1);
		rcode = set_prop(rc, name, eq + 1, err);
		sl_buf_printf(shown, " %s=%s", name,
			      sl_kafka_prop_is_secret(name, strlen(name)) ? "***" : eq + 1);
		free(name);
		if (rcode)
			return -1;
	}
	return 0;
}

/* Builds the consumer configuration. Returns it, or NULL with err set. */
static rd_kafka_conf_t *make_conf(kafka_src *k, const sl_kafka_conf *conf, sl_buf *shown,
				  sl_error *err)
{
	rd_kafka_conf_t *rc = rd_kafka_conf_new();

	k->reset_to = RD_KAFKA_OFFSET_BEGINNING;
	if (set_prop(rc, "bootstrap.servers", conf->brokers, err) ||
	    set_prop(rc, "group.id", k->group, err) ||
	    set_prop(rc, "client.id", "streamlens", err) ||
	    set_prop(rc, "auto.offset.reset", "earliest", err) ||
	    set_prop(rc, "enable.auto.commit", "false", err) ||
	    set_prop(rc, "statistics.interval.ms", STATS_INTERVAL_MS, err) ||
	    set_prop(rc, "queued.min.messages", QUEUED_MIN_MESSAGES, err) ||
	    apply_props(k, rc, conf, shown, err) ||
	    set_prop(rc, "enable.auto.offset.store", "false", err))
		goto fail;

	rd_kafka_conf_set_opaque(rc, k);
	rd_kafka_conf_set_rebalance_cb(rc, on_rebalance);
	rd_kafka_conf_set_error_cb(rc, on_error);
	rd_kafka_conf_set_stats_cb(rc, on_stats);
	rd_kafka_conf_set_log_cb(rc, on_log);
	return rc;

fail:
	rd_kafka_conf_destroy(rc);
	return NULL;
}

static int subscribe(kafka_src *k, sl_error *err)
{
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t rc;

	rd_kafka_topic_partition_list_add(topics, k->topic, RD_KAFKA_PARTITION_UA);
	rc = rd_kafka_subscribe(k->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (rc) {
		sl_error_set(err, 0, "cannot subscribe to Kafka topic %s: %s", k->topic,
			     rd_kafka_err2str(rc));
		return -1;
	}
	return 0;
}

static kafka_src *new_impl(const sl_kafka_conf *conf)
{
	kafka_src *k = sl_calloc(1, sizeof *k);

	k->topic = sl_strdup(conf->topic && *conf->topic ? conf->topic : SL_KAFKA_TOPIC_DEFAULT);
	k->group = sl_strdup(conf->group && *conf->group ? conf->group : SL_KAFKA_GROUP_DEFAULT);
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->limiter.lock, NULL);
	k->limiter.window_start = sl_mono_ms();
	atomic_init(&k->inflight, 0);
	return k;
}

sl_source *sl_source_kafka_open(const sl_kafka_conf *conf, sl_error *err)
{
	char errstr[512];
	kafka_src *k;
	sl_source *src = NULL;
	rd_kafka_conf_t *rc;
	sl_buf shown;

	if (!conf->brokers || !*conf->brokers) {
		sl_error_set(err, 0, "missing Kafka brokers: expected --brokers HOST:PORT[,...]");
		return NULL;
	}
	k = new_impl(conf);
	sl_buf_init(&shown);

	rc = make_conf(k, conf, &shown, err);
	if (!rc)
		goto fail;
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, errstr, sizeof errstr);
	if (!k->rk) {
		rd_kafka_conf_destroy(rc);
		sl_error_set(err, 0, "cannot create the Kafka consumer: %s", errstr);
		goto fail;
	}
	rd_kafka_poll_set_consumer(k->rk);
	if (subscribe(k, err) != 0)
		goto fail;

	src = sl_calloc(1, sizeof *src);
	src->ops = &kafka_ops;
	src->impl = k;
	sl_decode_ctx_init(&src->decode, conf->format);
	sl_info(COMP, "consuming %s from %s as group %s%s%s", k->topic, conf->brokers, k->group,
		shown.len ? ", properties:" : "", shown.len ? shown.data : "");
	sl_buf_reset(&shown);
	sl_buf_printf(&shown, "kafka:%s@%s", k->topic, conf->brokers);
	src->desc = sl_buf_steal(&shown);
	return src;

fail:
	sl_buf_free(&shown);
	if (k->rk)
		rd_kafka_destroy(k->rk);
	free_impl(k);
	return NULL;
}
