/* store_es.c: the search store on Elasticsearch or OpenSearch, over REST
 * with libcurl. The writing thread runs its bulk requests on easy handles in
 * one multi handle, so their connections stay open between batches. Readers
 * (the TUI and the HTTP threads) borrow handles from a small mutex-guarded
 * pool, each keeping its own connection.
 *
 * Writes are _bulk requests, gzip-compressed unless the node is on a
 * loopback address, bounded in documents and bytes. A large batch is split
 * into requests of equal size, BULK_IN_FLIGHT of them running at a time,
 * and each item's result is handled on its own. When the batch being
 * written has nothing left to send, a free slot sends the next batch that
 * prepare encoded, ahead of its write_batch. The node then gets the next
 * batch while it still indexes the end of this one. The results of a
 * request sent ahead are applied when that batch comes to write_batch, so
 * its events count as stored only then. Only the 429 and 5xx
 * items are sent again, with capped exponential backoff and jitter. Other
 * 4xx items are rejected for good and handed to the rejection handler. A
 * 413 for the whole request splits it in halves. Source positions are
 * written after every event of the batch is stored or rejected, in a
 * request of their own: a bulk request is not atomic, so positions in the
 * same request could be stored while an event before them got a 429, and a
 * restart would then skip that event.
 *
 * A request whose response is lost (the connection broke, or a proxy
 * returned 5xx) may still have been stored by the node. libcurl itself
 * sends a request again, unseen, when a reused connection closes before any
 * response. So each 409 is checked with an _mget: a stored event.sequence
 * equal to the one this batch sent means an earlier send of this batch
 * stored it, and it counts as inserted. A retry of a failed write_batch
 * sends each event with the sequence of its first send, for this check. A
 * 409 for an event stored before, such as a record redelivered after a
 * restart, stays not inserted. */
#define _POSIX_C_SOURCE 200809L

#include "store_es.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "es_bulk.h"
#include "log.h"
#include "query.h"
#include "query_es.h"
#include "util.h"

#define COMPONENT "es"
#define PREFIX_DEFAULT "streamlens"
/* Documents per _bulk request: a whole pipeline batch (2000 events by
 * default, up to 8000) goes in one request, so the batch waits for one
 * response. The byte limit still bounds batches of large documents. */
#define BULK_EVENTS_DEFAULT 8000
#define BULK_BYTES_DEFAULT (5u << 20)
/* Bulk requests running at once. The node indexes each on its own write
 * thread, so it keeps working while the other response is read or the next
 * body is built. */
#define BULK_IN_FLIGHT 2
/* Number of easy handles for bulk requests: those running, and those of
 * the next batch that finished before its write_batch. */
#define FLIGHTS_MAX 8
/* Maximum number of those handles that a batch sent ahead uses. A batch
 * being written uses at most 2 * BULK_IN_FLIGHT: those running and those
 * finished but not yet applied. */
#define AHEAD_FLIGHTS (FLIGHTS_MAX - 2 * BULK_IN_FLIGHT)
/* After a write, the longest wait in ms for the bodies of the requests sent
 * ahead to reach the node. A node that reads them slower than this gets the
 * rest while the next write_batch runs. */
#define UPLOAD_WAIT_MS 1000
/* The pending documents of a batch are split over BULK_IN_FLIGHT requests
 * only from this many on, so a trickle of live events goes in one. */
#define BULK_SPLIT_MIN 1000
/* A 413 never lowers the bulk byte limit below this. */
#define BULK_BYTES_FLOOR 1024
/* Idle reader handles kept for reuse. More are made on demand. */
#define READERS_MAX 8
/* index.max_result_window is 10000 unless an operator raised it. */
#define SEARCH_LIMIT_MAX 10000
#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 30000L
#define BULK_TIMEOUT_MS 60000L
/* Sends of a batch's 429/5xx items before write_batch gives up and returns
 * SL_ERR; the waits between them add up to about 4 s at most. */
#define ITEM_ATTEMPTS 5
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000
/* Tries of a read that gets 503, and the pause between them. */
#define UNAVAILABLE_ATTEMPTS 3
#define UNAVAILABLE_PAUSE_MS 250
/* The refresh_interval ("1s") of the index template in template_body: a
 * write becomes searchable after at most this long, unless refreshed. */
#define REFRESH_INTERVAL_MS 1000
/* Buckets per page of the per-minute aggregation. */
#define MINUTES_PAGE 1000

/* ITEM_CHECK: a 409 for an event. Its stored sequence decides between
 * created (by an earlier send of this batch) and exists. */
/* ITEM_AHEAD: in a request sent ahead of the batch's write_batch, whose
 * result is not applied yet. */
enum item_state { ITEM_PENDING, ITEM_CREATED, ITEM_EXISTS, ITEM_REJECTED, ITEM_CHECK, ITEM_AHEAD };

/* One document of a batch: its NDJSON lines in the batch text. */
struct bulk_item {
	size_t off, len;
	long event;   /* index into the batch's events, or -1 for a position */
	enum item_state state;
	int64_t seq; /* event.sequence sent for an event */
};

/* The outcome and sequence of an event in an earlier, failed write_batch,
 * so a retry of the same batch neither sends a finished event again nor
 * loses that it was new, and sends a pending one with the same sequence. */
struct carried {
	char id[SL_ID_MAX];
	enum item_state state;
	int64_t seq;
};

struct es_store {
	char *url;   /* without a trailing '/' */
	char *display_url; /* url without user:password, for messages */
	char *prefix;
	char *pattern; /* the event indices, positions excluded */
	char *user, *password, *api_key, *ca_cert;
	int insecure;
	int gzip; /* compress _bulk bodies */
	int is_opensearch;
	size_t bulk_max_events, bulk_max_bytes;
	struct curl_slist *json_headers, *bulk_headers;

	pthread_mutex_t write_lock;
	struct flight *flights; /* FLIGHTS_MAX of them */
	CURLM *multi; /* runs the bulk requests of flights */
	struct ahead *ahead; /* the next batch, sent ahead, or NULL */
	/* Guards last_seq and prepared, which es_prepare sets on the ingest
	 * thread while the writer thread holds write_lock. */
	pthread_mutex_t prep_lock;
	int64_t last_seq;
	struct prepared *prepared;
	struct carried *carry; /* sorted by id */
	size_t ncarry;
	uint64_t rng;
	char retry_reason[SL_ES_REASON_MAX];

	pthread_mutex_t pool_lock;
	CURL *idle[READERS_MAX];
	size_t nidle;

	sl_es_reject_fn on_reject;
	void *reject_ud;
	atomic_uint_least64_t rejected;
	/* Monotonic ms of the last stored batch of events, and of the last
	 * refresh, which made the batches before it searchable. */
	atomic_int_least64_t last_write_ms, last_refresh_ms;
};

/* The bulk text of a batch that es_prepare encoded ahead of its
 * write_batch: event i is text[off[i], off[i] + len[i]) with sequence
 * seq[i]. evs, n and the first id identify the batch. */
struct prepared {
	const sl_event *evs;
	size_t n;
	char first_id[SL_ID_MAX];
	sl_buf text;
	size_t *off, *len;
	int64_t *seq;
};

/* The state of one write_batch call, or of a batch sent ahead of it. per,
 * when not 0, is the documents per request its first requests used. */
struct batch {
	const sl_event *evs;
	unsigned char *inserted;
	sl_buf text;
	struct bulk_item *items;
	size_t nitems;
	size_t per;
};

static const sl_store_ops es_ops;

static struct es_store *impl_of(sl_store *st)
{
	return st->impl;
}

/* --- HTTP ------------------------------------------------------------------- */

typedef struct es_resp {
	long status;
	sl_buf body;
} es_resp;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	sl_buf_append(ud, data, size * nmemb);
	return size * nmemb;
}

/* Sets every option of a request on h, reset first; connections cached
 * in h survive the reset. */
static void prepare(struct es_store *s, CURL *h, const char *url, struct curl_slist *headers,
		    long timeout_ms, es_resp *resp)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
	if (s->ca_cert)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_cert);
	if (s->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
}

/* One request on an easy handle, from request_start to request_finish.
 * libcurl writes into error and reads url while the request runs. */
struct request {
	const char *method, *path;
	sl_buf url;
	char error[CURL_ERROR_SIZE];
	es_resp *resp;
};

/* Sets up method path (path starts with '/') with an optional body on h,
 * which the caller then runs. body must live until request_finish. */
static void request_start(struct es_store *s, CURL *h, struct request *r, const char *method,
			  const char *path, const char *body, size_t len, int bulk, es_resp *resp)
{
	r->method = method;
	r->path = path;
	r->error[0] = '\0';
	r->resp = resp;
	resp->status = 0;
	sl_buf_init(&resp->body);
	sl_buf_init(&r->url);
	sl_buf_printf(&r->url, "%s%s", s->url, path);
	prepare(s, h, r->url.data, bulk ? s->bulk_headers : s->json_headers,
		bulk ? BULK_TIMEOUT_MS : REQUEST_TIMEOUT_MS, resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->error);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
}

/* Ends the request r on h, which libcurl finished with code. Returns SL_OK
 * when an HTTP response came back, whatever its status (in r->resp, which
 * the caller frees), or SL_ERR with err set when none did. */
static int request_finish(struct es_store *s, CURL *h, struct request *r, CURLcode code,
			  sl_error *err)
{
	sl_buf_free(&r->url);
	if (code != CURLE_OK) {
		sl_error_set(err, 0, "%s %s on %s failed: %s", r->method, r->path, s->display_url,
			     r->error[0] ? r->error : curl_easy_strerror(code));
		sl_buf_free(&r->resp->body);
		return SL_ERR;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->resp->status);
	if (!r->resp->body.data)
		sl_buf_puts(&r->resp->body, "");
	return SL_OK;
}

/* Sends method path with an optional body on h and waits for the response,
 * as request_finish describes. */
static int es_request(struct es_store *s, CURL *h, const char *method, const char *path,
		      const char *body, size_t len, int bulk, es_resp *resp, sl_error *err)
{
	struct request r;

	request_start(s, h, &r, method, path, body, len, bulk, resp);
	return request_finish(s, h, &r, curl_easy_perform(h), err);
}

/* Fills err with the status and the node's reason for a failed request. */
static int http_error(const char *action, const es_resp *resp, sl_error *err)
{
	char reason[SL_ERRMSG_MAX];

	sl_es_error_reason(resp->body.data, resp->body.len, reason, sizeof reason);
	sl_error_set(err, 0, "%s failed: HTTP %ld: %s", action, resp->status, reason);
	return SL_ERR;
}

static CURL *reader_get(struct es_store *s, sl_error *err)
{
	CURL *h = NULL;

	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle)
		h = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->pool_lock);
	if (!h)
		h = curl_easy_init();
	if (!h)
		sl_error_set(err, 0, "cannot create a libcurl handle");
	return h;
}

static void reader_put(struct es_store *s, CURL *h)
{
	pthread_mutex_lock(&s->pool_lock);
	if (s->nidle < READERS_MAX) {
		s->idle[s->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&s->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

/* Sends a JSON request on a pooled handle and checks for status 200.
 * Returns SL_OK with resp filled (caller frees), or SL_ERR. A 503 is tried
 * again a few times, because a search that reaches a just-created index
 * before its shards have started fails with 503 "all shards failed". */
static int reader_request(struct es_store *s, const char *method, const char *path,
			  const sl_buf *body, const char *action, es_resp *resp, sl_error *err)
{
	struct timespec pause = {0, UNAVAILABLE_PAUSE_MS * 1000000L};
	CURL *h = reader_get(s, err);
	int rc, attempt;

	if (!h)
		return SL_ERR;
	for (attempt = 1;; attempt++) {
		rc = es_request(s, h, method, path, body ? body->data : NULL,
				body ? body->len : 0, 0, resp, err);
		if (rc < 0 || resp->status != 503 || attempt == UNAVAILABLE_ATTEMPTS)
			break;
		sl_buf_free(&resp->body);
		nanosleep(&pause, NULL);
	}
	reader_put(s, h);
	if (rc == SL_OK && resp->status != 200) {
		rc = http_error(action, resp, err);
		sl_buf_free(&resp->body);
	}
	return rc;
}

/* Compresses in[0..len) as a gzip member into out. */
static int gzip_body(const char *in, size_t len, sl_buf *out, sl_error *err)
{
	z_stream zs;
	uLong bound;
	int rc;

	memset(&zs, 0, sizeof zs);
	/* 15 + 16: a 32 KiB window with a gzip header and trailer */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		sl_error_set(err, 0, "zlib: deflateInit2 failed");
		return SL_ERR;
	}
	bound = deflateBound(&zs, (uLong)len);
	sl_buf_reset(out);
	sl_buf_reserve(out, bound);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->data;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		sl_error_set(err, 0, "zlib: compressing a %zu-byte bulk body failed", len);
		return SL_ERR;
	}
	return SL_OK;
}

/* --- writing ---------------------------------------------------------------- */

/* Returns the next arrival sequence: the write time in ms times 1000, or one
 * more than the last, whichever is larger. It grows within the process and
 * roughly follows time across processes writing to one cluster. */
/* Reserves n consecutive sequences, none used before, and returns the
 * first. */
static int64_t reserve_seqs(struct es_store *s, size_t n)
{
	int64_t seq = sl_now_ms() * 1000;

	pthread_mutex_lock(&s->prep_lock);
	if (seq <= s->last_seq)
		seq = s->last_seq + 1;
	s->last_seq = seq + (int64_t)n - 1;
	pthread_mutex_unlock(&s->prep_lock);
	return seq;
}

static int64_t next_seq(struct es_store *s)
{
	return reserve_seqs(s, 1);
}

static void prepared_free(struct prepared *p)
{
	if (!p)
		return;
	sl_buf_free(&p->text);
	free(p->off);
	free(p->len);
	free(p->seq);
	free(p);
}

/* Encodes the bulk text of evs[0..n) with new sequences, so that the
 * writer thread only copies it when the same batch comes to write_batch. */
static void es_prepare(sl_store *st, const sl_event *evs, size_t n)
{
	struct es_store *s = impl_of(st);
	struct prepared *p, *old;
	int64_t first_seq;
	size_t i;

	if (n == 0)
		return;
	p = sl_calloc(1, sizeof *p);
	p->evs = evs;
	p->n = n;
	memcpy(p->first_id, evs[0].id, sizeof p->first_id);
	sl_buf_init(&p->text);
	p->off = sl_calloc(n, sizeof *p->off);
	p->len = sl_calloc(n, sizeof *p->len);
	p->seq = sl_calloc(n, sizeof *p->seq);
	first_seq = reserve_seqs(s, n);
	for (i = 0; i < n; i++) {
		p->seq[i] = first_seq + (int64_t)i;
		p->off[i] = p->text.len;
		sl_es_bulk_event(&p->text, s->prefix, &evs[i], p->seq[i]);
		p->len[i] = p->text.len - p->off[i];
	}

	pthread_mutex_lock(&s->prep_lock);
	old = s->prepared;
	s->prepared = p;
	pthread_mutex_unlock(&s->prep_lock);
	prepared_free(old);
}

/* Returns 1 when p was prepared for the events evs[0..n). */
static int prepared_is_for(const struct prepared *p, const sl_event *evs, size_t n)
{
	return p && n && p->evs == evs && p->n == n && strcmp(p->first_id, evs[0].id) == 0;
}

/* Takes the prepared text when it is for evs[0..n). Text prepared for
 * another batch stays, because that batch may come next or be sent ahead. */
static struct prepared *prepared_take(struct es_store *s, const sl_event *evs, size_t n)
{
	struct prepared *p;

	pthread_mutex_lock(&s->prep_lock);
	p = s->prepared;
	if (prepared_is_for(p, evs, n))
		s->prepared = NULL;
	else
		p = NULL;
	pthread_mutex_unlock(&s->prep_lock);
	return p;
}

static int carried_cmp(const void *a, const void *b)
{
	return strcmp(((const struct carried *)a)->id, ((const struct carried *)b)->id);
}

static const struct carried *carried_find(struct es_store *s, const char *id)
{
	struct carried key;

	if (!s->ncarry)
		return NULL;
	snprintf(key.id, sizeof key.id, "%s", id);
	return bsearch(&key, s->carry, s->ncarry, sizeof *s->carry, carried_cmp);
}

/* Remembers the events of a failed batch, replacing the last. */
static void carry_save(struct es_store *s, const struct batch *b)
{
	size_t i, n = 0;

	free(s->carry);
	s->carry = sl_calloc(b->nitems ? b->nitems : 1, sizeof *s->carry);
	for (i = 0; i < b->nitems; i++) {
		const struct bulk_item *it = &b->items[i];

		if (it->event < 0)
			continue;
		snprintf(s->carry[n].id, sizeof s->carry[n].id, "%s", b->evs[it->event].id);
		/* an unchecked 409 is sent and checked again */
		s->carry[n].state = it->state == ITEM_CHECK ? ITEM_PENDING : it->state;
		s->carry[n++].seq = it->seq;
	}
	qsort(s->carry, n, sizeof *s->carry, carried_cmp);
	s->ncarry = n;
}

static void carry_clear(struct es_store *s)
{
	free(s->carry);
	s->carry = NULL;
	s->ncarry = 0;
}

/* Formats every event and position of a batch into b, copying the text
 * es_prepare encoded for it. Events a failed earlier attempt already
 * finished keep that outcome and are not sent, and those it left pending
 * are sent with the sequence of their first send. */
static void batch_build(struct es_store *s, struct batch *b, const sl_event *evs, size_t n)
{
	struct prepared *p = n ? prepared_take(s, evs, n) : NULL;
	size_t i;

	b->evs = evs;
	b->nitems = n;
	b->items = sl_calloc(n ? n : 1, sizeof *b->items);
	for (i = 0; i < n; i++) {
		struct bulk_item *it = &b->items[i];
		const struct carried *c = carried_find(s, evs[i].id);

		it->event = (long)i;
		it->off = b->text.len;
		it->state = c ? c->state : ITEM_PENDING;
		if (it->state == ITEM_CREATED && b->inserted)
			b->inserted[i] = 1;
		if (it->state == ITEM_PENDING && !c && p) {
			it->seq = p->seq[i];
			sl_buf_append(&b->text, p->text.data + p->off[i], p->len[i]);
		} else if (it->state == ITEM_PENDING) {
			it->seq = c ? c->seq : next_seq(s);
			sl_es_bulk_event(&b->text, s->prefix, &evs[i], it->seq);
		}
		it->len = b->text.len - it->off;
	}
	prepared_free(p);
}

/* Builds the batch of the prepared events p, all pending, taking p's text. */
static void batch_from_prepared(struct batch *b, struct prepared *p)
{
	size_t i;

	b->evs = p->evs;
	b->nitems = p->n;
	b->items = sl_calloc(p->n, sizeof *b->items);
	b->text = p->text;
	sl_buf_init(&p->text);
	for (i = 0; i < p->n; i++) {
		b->items[i].event = (long)i;
		b->items[i].off = p->off[i];
		b->items[i].len = p->len[i];
		b->items[i].seq = p->seq[i];
		b->items[i].state = ITEM_PENDING;
	}
}

/* Appends the documents of the positions pos[0..npos) to b. */
static void batch_add_positions(struct es_store *s, struct batch *b, const sl_source_pos *pos,
				size_t npos)
{
	size_t i;

	if (npos == 0)
		return;
	b->items = sl_realloc(b->items, (b->nitems + npos) * sizeof *b->items);
	for (i = 0; i < npos; i++) {
		struct bulk_item *it = &b->items[b->nitems + i];

		memset(it, 0, sizeof *it);
		it->event = -1;
		it->off = b->text.len;
		sl_es_bulk_position(&b->text, s->prefix, &pos[i]);
		it->len = b->text.len - it->off;
	}
	b->nitems += npos;
}

/* Marks an item rejected for good: counted, logged and handed over. */
static void reject_item(struct es_store *s, struct batch *b, struct bulk_item *it,
			const char *reason)
{
	it->state = ITEM_REJECTED;
	if (it->event < 0) {
		sl_warn(COMPONENT, "source position rejected: %s", reason);
		return;
	}
	atomic_fetch_add(&s->rejected, 1);
	sl_warn(COMPONENT, "event %s rejected: %s", b->evs[it->event].id, reason);
	if (s->on_reject)
		s->on_reject(s->reject_ud, &b->evs[it->event], reason);
}

static void apply_item(struct es_store *s, struct batch *b, struct bulk_item *it,
		       const sl_es_item *res)
{
	switch (res->state) {
	case SL_ES_ITEM_CREATED:
		it->state = ITEM_CREATED;
		if (it->event >= 0 && b->inserted)
			b->inserted[it->event] = 1;
		break;
	case SL_ES_ITEM_EXISTS:
		it->state = it->event >= 0 ? ITEM_CHECK : ITEM_EXISTS;
		break;
	case SL_ES_ITEM_RETRY:
		snprintf(s->retry_reason, sizeof s->retry_reason, "HTTP %d: %s", res->status,
			 res->reason);
		break;
	case SL_ES_ITEM_REJECTED:
		reject_item(s, b, it, res->reason);
		break;
	}
}

static int send_chunk(struct es_store *s, struct batch *b, const size_t *idx, size_t k,
		      sl_error *err);

/* Handles a 413 for a whole request: halves are sent on their own, and a
 * single document is rejected, because no retry can make it smaller. The
 * byte limit drops to half the rejected request, so later batches are not
 * rejected the same way first. */
static int split_chunk(struct es_store *s, struct batch *b, const size_t *idx, size_t k,
		       sl_error *err)
{
	char reason[SL_ES_REASON_MAX];
	size_t i, bytes = 0;

	for (i = 0; i < k; i++)
		bytes += b->items[idx[i]].len;
	if (k > 1 && bytes / 2 < s->bulk_max_bytes && bytes / 2 >= BULK_BYTES_FLOOR) {
		s->bulk_max_bytes = bytes / 2;
		sl_warn(COMPONENT, "the node rejected a %zu-byte bulk request with 413; sending at "
			"most %zu bytes per request from now on", bytes, s->bulk_max_bytes);
	}
	if (k == 1) {
		snprintf(reason, sizeof reason,
			 "HTTP 413: the document alone (%zu bytes of bulk text) exceeds the node's "
			 "http.max_content_length",
			 b->items[idx[0]].len);
		reject_item(s, b, &b->items[idx[0]], reason);
		return SL_OK;
	}
	if (send_chunk(s, b, idx, k / 2, err) < 0)
		return SL_ERR;
	return send_chunk(s, b, idx + k / 2, k - k / 2, err);
}

/* Applies a 200 response to the k items that were sent. */
static int apply_answer(struct es_store *s, struct batch *b, const size_t *idx, size_t k,
			const es_resp *resp, sl_error *err)
{
	sl_es_item *res = sl_calloc(k, sizeof *res);
	size_t i;
	int rc;

	rc = sl_es_parse_bulk(resp->body.data, resp->body.len, res, k, err);
	for (i = 0; rc == SL_OK && i < k; i++)
		apply_item(s, b, &b->items[idx[i]], &res[i]);
	free(res);
	return rc;
}

/* One _bulk request of a batch: items idx[0..k), and while it runs its
 * body and response. */
struct chunk {
	const size_t *idx;
	size_t k;
	sl_buf body, gz;
	es_resp resp;
	struct request req;
};

/* Builds c's body and sets up its request on h. Returns SL_ERR, with err
 * set, when the body cannot be compressed. */
static int chunk_start(struct es_store *s, struct batch *b, struct chunk *c, CURL *h,
		       sl_error *err)
{
	size_t i;

	sl_buf_init(&c->body);
	sl_buf_init(&c->gz);
	for (i = 0; i < c->k; i++)
		sl_buf_append(&c->body, b->text.data + b->items[c->idx[i]].off,
			      b->items[c->idx[i]].len);
	if (s->gzip && gzip_body(c->body.data, c->body.len, &c->gz, err) < 0)
		return SL_ERR;
	request_start(s, h, &c->req, "POST",
		      "/_bulk?filter_path=items.*.status,items.*.result,items.*.error",
		      s->gzip ? c->gz.data : c->body.data, s->gzip ? c->gz.len : c->body.len, 1,
		      &c->resp);
	return SL_OK;
}

/* Records the outcome of each item of c from its response. Returns SL_ERR
 * only when the request as a whole failed. */
static int chunk_settle(struct es_store *s, struct batch *b, struct chunk *c, sl_error *err)
{
	const es_resp *resp = &c->resp;

	if (resp->status == 413)
		return split_chunk(s, b, c->idx, c->k, err);
	if (resp->status == 429) {
		sl_es_error_reason(resp->body.data, resp->body.len, s->retry_reason,
				   sizeof s->retry_reason);
		return SL_OK;
	}
	if (resp->status != 200)
		return http_error("bulk request", resp, err);
	return apply_answer(s, b, c->idx, c->k, resp, err);
}

/* Returns how many of the items idx[0..n) go in one request: at most
 * max_docs, and up to the byte limit. */
static size_t chunk_length(const struct es_store *s, const struct batch *b, const size_t *idx,
			   size_t n, size_t max_docs)
{
	size_t end, bytes = b->items[idx[0]].len;

	for (end = 1; end < n && end < max_docs; end++) {
		if (bytes + b->items[idx[end]].len > s->bulk_max_bytes)
			break;
		bytes += b->items[idx[end]].len;
	}
	return end;
}

/* Returns the documents per request for the items idx[0..n): the fewest
 * requests the document and byte limits allow, made a multiple of
 * BULK_IN_FLIGHT from BULK_SPLIT_MIN items on, with the items spread
 * evenly over them. Requests sent together then take about as long. */
static size_t docs_per_request(const struct es_store *s, const struct batch *b,
			       const size_t *idx, size_t n)
{
	size_t i, bytes = 0, requests, by_docs;

	for (i = 0; i < n; i++)
		bytes += b->items[idx[i]].len;
	requests = (bytes + s->bulk_max_bytes - 1) / s->bulk_max_bytes;
	by_docs = (n + s->bulk_max_events - 1) / s->bulk_max_events;
	if (by_docs > requests)
		requests = by_docs;
	if (n >= BULK_SPLIT_MIN && requests % BULK_IN_FLIGHT)
		requests += BULK_IN_FLIGHT - requests % BULK_IN_FLIGHT;
	if (requests == 0)
		requests = 1;
	return (n + requests - 1) / requests;
}

/* One bulk request on its own easy handle: running (busy), or finished
 * (done, with libcurl's result in code) until its result is applied to
 * owner, the batch whose items c.idx it carries. A flight that is neither
 * is free. */
struct flight {
	CURL *h;
	int busy, done;
	CURLcode code;
	struct batch *owner;
	struct chunk c;
	curl_off_t size; /* bytes of the body */
};

/* The next batch, sent ahead of its write_batch: the items before next
 * are in requests of b.per documents each. */
struct ahead {
	struct prepared *p; /* identifies the batch, and its text is moved to b */
	struct batch b;
	size_t *idx; /* the item indexes 0 to b.nitems - 1, in order */
	size_t next;
};

/* Returns the number of running requests. */
static size_t flights_busy(const struct es_store *s)
{
	size_t i, n = 0;

	for (i = 0; i < FLIGHTS_MAX; i++)
		n += s->flights[i].busy;
	return n;
}

/* Returns the number of flights, running or finished, that carry items of b. */
static size_t flights_owned(const struct es_store *s, const struct batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < FLIGHTS_MAX; i++)
		n += s->flights[i].owner == b;
	return n;
}

/* Frees the buffers of a flight's chunk and its request's URL. */
static void flight_clear(struct flight *f)
{
	sl_buf_free(&f->c.body);
	sl_buf_free(&f->c.gz);
	sl_buf_free(&f->c.resp.body);
	sl_buf_free(&f->c.req.url);
	f->busy = f->done = 0;
	f->owner = NULL;
}

/* Starts items idx[0..k) of b as one request on a free flight. Returns it,
 * or NULL with err set when no handle is free or the body cannot be
 * compressed. */
static struct flight *flight_start(struct es_store *s, struct batch *b, const size_t *idx,
				   size_t k, sl_error *err)
{
	struct flight *f = NULL;
	size_t i;

	for (i = 0; i < FLIGHTS_MAX && !f; i++) {
		if (!s->flights[i].busy && !s->flights[i].done)
			f = &s->flights[i];
	}
	if (f && !f->h)
		f->h = curl_easy_init();
	if (!f || !f->h) {
		sl_error_set(err, 0, "no libcurl handle free for a bulk request");
		return NULL;
	}
	memset(&f->c, 0, sizeof f->c);
	f->c.idx = idx;
	f->c.k = k;
	if (chunk_start(s, b, &f->c, f->h, err) < 0) {
		flight_clear(f);
		return NULL;
	}
	f->size = (curl_off_t)(s->gzip ? f->c.gz.len : f->c.body.len);
	f->owner = b;
	f->code = CURLE_SEND_ERROR;
	f->busy = 1;
	curl_multi_add_handle(s->multi, f->h);
	return f;
}

/* Runs the multi handle once and marks the flights it finished done.
 * Returns how many, or -1 when the multi handle itself failed. Then every
 * busy flight ends with CURLE_SEND_ERROR and the multi handle's message. */
static int flights_perform(struct es_store *s)
{
	CURLMcode mc;
	CURLMsg *msg;
	int running, left, finished = 0;
	size_t i;

	mc = curl_multi_perform(s->multi, &running);
	while ((msg = curl_multi_info_read(s->multi, &left))) {
		for (i = 0; msg->msg == CURLMSG_DONE && i < FLIGHTS_MAX; i++) {
			struct flight *f = &s->flights[i];

			if (f->busy && f->h == msg->easy_handle) {
				f->code = msg->data.result;
				f->busy = 0;
				f->done = 1;
				curl_multi_remove_handle(s->multi, f->h);
				finished++;
			}
		}
	}
	if (mc == CURLM_OK)
		return finished;
	for (i = 0; i < FLIGHTS_MAX; i++) {
		struct flight *f = &s->flights[i];

		if (!f->busy)
			continue;
		snprintf(f->c.req.error, sizeof f->c.req.error, "libcurl multi handle: %s",
			 curl_multi_strerror(mc));
		curl_multi_remove_handle(s->multi, f->h);
		f->busy = 0;
		f->done = 1;
	}
	return -1;
}

/* Runs the multi handle until a busy flight finishes. */
static void flights_wait(struct es_store *s)
{
	while (flights_busy(s) && flights_perform(s) == 0) {
		if (curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			flights_perform(s);
			return;
		}
	}
}

/* Applies the result of the finished flight f to its batch b and frees
 * the flight. Items sent ahead become pending first, so a 429 or a failed
 * request leaves them to be sent again. */
static int flight_settle(struct es_store *s, struct batch *b, struct flight *f, sl_error *err)
{
	struct chunk c = f->c;
	size_t i;
	int rc;

	for (i = 0; i < c.k; i++) {
		if (b->items[c.idx[i]].state == ITEM_AHEAD)
			b->items[c.idx[i]].state = ITEM_PENDING;
	}
	c.req.resp = &c.resp;
	rc = request_finish(s, f->h, &c.req, f->code, err);
	/* The flight is free from here on, because a 413 sends the halves of
	 * its request on new flights. */
	memset(&f->c, 0, sizeof f->c);
	f->done = 0;
	f->owner = NULL;
	if (rc == SL_OK)
		rc = chunk_settle(s, b, &c, err);
	sl_buf_free(&c.resp.body);
	sl_buf_free(&c.body);
	sl_buf_free(&c.gz);
	return rc;
}

static void ahead_send(struct es_store *s);

/* Sends items idx[0..n) of b in requests of per documents (0: as
 * docs_per_request decides), with at most BULK_IN_FLIGHT requests running,
 * and applies each result as it comes, until no request of b is left,
 * those sent ahead of this write_batch included. With ahead_ok, free slots
 * then send the next prepared batch. Returns SL_ERR when any request as a
 * whole failed, with err set by the first failure. */
static int send_pending(struct es_store *s, struct batch *b, const size_t *idx, size_t n,
			size_t per, int ahead_ok, sl_error *err)
{
	size_t start = 0, i, k;
	int rc = SL_OK;
	sl_error later;

	if (per == 0 && n)
		per = b->per ? b->per : docs_per_request(s, b, idx, n);
	for (;;) {
		for (i = 0; i < FLIGHTS_MAX; i++) {
			struct flight *f = &s->flights[i];

			if (f->owner == b && f->done &&
			    flight_settle(s, b, f, rc == SL_OK ? err : &later) < 0)
				rc = SL_ERR;
		}
		while (start < n && flights_busy(s) < BULK_IN_FLIGHT) {
			k = chunk_length(s, b, idx + start, n - start, per);
			if (!flight_start(s, b, idx + start, k, rc == SL_OK ? err : &later))
				rc = SL_ERR;
			start += k;
		}
		if (ahead_ok && start >= n)
			ahead_send(s);
		if (flights_owned(s, b) > 0)
			flights_wait(s);
		else if (start >= n)
			return rc;
	}
}

/* Sends items idx[0..k) in one _bulk request and records each outcome.
 * Returns SL_ERR only when the request as a whole failed. */
static int send_chunk(struct es_store *s, struct batch *b, const size_t *idx, size_t k,
		      sl_error *err)
{
	return send_pending(s, b, idx, k, k, 0, err);
}

/* Starts requests of the batch that es_prepare encoded last on the free
 * slots, at most BULK_IN_FLIGHT running in all. Only one batch is sent
 * ahead at a time, and none while a failed batch is being written again.
 * Its finished requests keep their handles until its write_batch, so it
 * takes at most AHEAD_FLIGHTS of them and leaves the rest to the batch
 * being written.
 * NOTE: when the pipeline stops before that write_batch, the events sent
 * ahead may be stored while their offsets are not committed. After a
 * restart they come again, get 409 with another sequence and are not
 * counted as new, as after a crash between a write and its commit. */
static void ahead_send(struct es_store *s)
{
	struct ahead *a = s->ahead;
	sl_error err;
	size_t i, in_use;

	if (flights_busy(s) >= BULK_IN_FLIGHT)
		return;
	if (!a) {
		struct prepared *p;

		if (s->ncarry)
			return;
		pthread_mutex_lock(&s->prep_lock);
		p = s->prepared;
		s->prepared = NULL;
		pthread_mutex_unlock(&s->prep_lock);
		if (!p)
			return;
		a = sl_calloc(1, sizeof *a);
		a->p = p;
		batch_from_prepared(&a->b, p);
		a->idx = sl_calloc(p->n, sizeof *a->idx);
		for (i = 0; i < p->n; i++)
			a->idx[i] = i;
		a->b.per = docs_per_request(s, &a->b, a->idx, p->n);
		s->ahead = a;
	}
	in_use = flights_owned(s, &a->b);
	while (a->next < a->b.nitems && flights_busy(s) < BULK_IN_FLIGHT && in_use < AHEAD_FLIGHTS) {
		size_t len = chunk_length(s, &a->b, a->idx + a->next, a->b.nitems - a->next,
					  a->b.per);

		if (!flight_start(s, &a->b, a->idx + a->next, len, &err)) {
			sl_debug(COMPONENT, "sending a batch ahead failed: %s; its write_batch "
				 "sends the rest", err.message);
			return;
		}
		in_use++;
		for (i = a->next; i < a->next + len; i++)
			a->b.items[i].state = ITEM_AHEAD;
		a->next += len;
	}
}

/* Returns the batch sent ahead when it is evs[0..n), removed from s->ahead,
 * or NULL. */
static struct ahead *ahead_take(struct es_store *s, const sl_event *evs, size_t n)
{
	struct ahead *a = s->ahead;

	if (!a || !prepared_is_for(a->p, evs, n))
		return NULL;
	s->ahead = NULL;
	return a;
}

/* Frees a batch sent ahead, once none of its requests runs. */
static void ahead_free(struct ahead *a)
{
	if (!a)
		return;
	free(a->b.items);
	sl_buf_free(&a->b.text);
	free(a->idx);
	prepared_free(a->p);
	free(a);
}

/* Runs the multi handle until every running request has its whole body
 * sent, for at most UPLOAD_WAIT_MS, so that the node works on the requests
 * sent ahead while the pipeline finishes this batch. */
static void flights_upload(struct es_store *s)
{
	int64_t until = sl_mono_ms() + UPLOAD_WAIT_MS;
	size_t i;

	while (sl_mono_ms() < until) {
		int sending = 0;

		if (flights_perform(s) < 0)
			return;
		for (i = 0; i < FLIGHTS_MAX; i++) {
			struct flight *f = &s->flights[i];
			curl_off_t up = 0;

			if (!f->busy)
				continue;
			curl_easy_getinfo(f->h, CURLINFO_SIZE_UPLOAD_T, &up);
			sending += up < f->size;
		}
		if (!sending || curl_multi_poll(s->multi, NULL, 0, 100, NULL) != CURLM_OK)
			return;
	}
}

static void backoff(struct es_store *s, int attempt)
{
	long delay = (long)BACKOFF_MIN_MS << (attempt - 1), wait;
	struct timespec ts;

	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	/* xorshift64 jitter: wait between half and all of delay */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	wait = delay / 2 + (long)(s->rng % (uint64_t)(delay / 2 + 1));
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Sends items [first, first + count) until none is pending, with at most
 * ITEM_ATTEMPTS rounds for the items that got status 429 or 5xx. The
 * first round also waits for the requests sent ahead for this batch, even
 * when nothing else is pending, and lets free slots send the next batch. */
static int send_items(struct es_store *s, struct batch *b, size_t first, size_t count,
		      sl_error *err)
{
	size_t *idx = sl_calloc(count ? count : 1, sizeof *idx);
	size_t i, n;
	int attempt, rc = SL_OK;

	for (attempt = 0;; attempt++) {
		for (i = first, n = 0; i < first + count; i++) {
			if (b->items[i].state == ITEM_PENDING)
				idx[n++] = i;
		}
		if (n == 0 && attempt > 0)
			break;
		if (attempt == ITEM_ATTEMPTS) {
			sl_error_set(err, 0, "%zu documents still not accepted after %d attempts: %s",
				     n, ITEM_ATTEMPTS, s->retry_reason);
			rc = SL_ERR;
			break;
		}
		if (attempt > 0) {
			sl_info(COMPONENT, "sending %zu documents again (attempt %d of %d): %s", n,
				attempt + 1, ITEM_ATTEMPTS, s->retry_reason);
			backoff(s, attempt);
		}
		rc = send_pending(s, b, idx, n, 0, attempt == 0, err);
		if (rc < 0)
			break;
	}
	free(idx);
	return rc;
}

/* Reads the stored sequences of the events idx[0..k) in ITEM_CHECK with one
 * _mget and settles each: created when it equals the sequence sent. */
static int check_chunk(struct es_store *s, struct batch *b, const size_t *idx, size_t k,
		       sl_error *err)
{
	int64_t *seqs = sl_calloc(k, sizeof *seqs);
	es_resp resp = {0, {0}};
	sl_buf body;
	CURL *h;
	size_t i;
	int rc;

	sl_buf_init(&body);
	sl_buf_puts(&body, "{\"docs\":[");
	for (i = 0; i < k; i++) {
		if (i)
			sl_buf_putc(&body, ',');
		sl_es_mget_sequence_doc(&body, s->prefix, &b->evs[b->items[idx[i]].event]);
	}
	sl_buf_puts(&body, "]}");
	h = reader_get(s, err);
	rc = h ? es_request(s, h, "POST", "/_mget", body.data, body.len, 0, &resp, err) : SL_ERR;
	if (h)
		reader_put(s, h);
	if (rc == SL_OK && resp.status != 200)
		rc = http_error("mget of the sequences of existing documents", &resp, err);
	if (rc == SL_OK)
		rc = sl_es_parse_mget_sequences(resp.body.data, resp.body.len, seqs, k, err);
	for (i = 0; rc == SL_OK && i < k; i++) {
		struct bulk_item *it = &b->items[idx[i]];

		if (seqs[i] == it->seq) {
			it->state = ITEM_CREATED;
			if (b->inserted)
				b->inserted[it->event] = 1;
		} else {
			it->state = ITEM_EXISTS;
		}
	}
	free(seqs);
	sl_buf_free(&resp.body);
	sl_buf_free(&body);
	return rc;
}

/* Settles every ITEM_CHECK event of items [0, n) in _mget requests of at
 * most bulk_max_events documents. On failure the unsettled ones stay in
 * ITEM_CHECK, and carry_save keeps them to be sent and checked again. */
static int check_items(struct es_store *s, struct batch *b, size_t n, sl_error *err)
{
	size_t *idx = sl_calloc(n ? n : 1, sizeof *idx);
	size_t i, k = 0, checked = 0, created;
	int rc = SL_OK;

	for (i = 0; i < n; i++) {
		if (b->items[i].state == ITEM_CHECK)
			idx[k++] = i;
	}
	while (rc == SL_OK && checked < k) {
		size_t chunk = k - checked;

		if (chunk > s->bulk_max_events)
			chunk = s->bulk_max_events;
		rc = check_chunk(s, b, idx + checked, chunk, err);
		checked += rc == SL_OK ? chunk : 0;
	}
	for (i = 0, created = 0; i < k; i++)
		created += b->items[idx[i]].state == ITEM_CREATED;
	if (created)
		sl_info(COMPONENT, "%zu of %zu documents that got 409 were stored by an earlier "
			"send of the same batch whose response was lost; counted as new", created, k);
	free(idx);
	return rc;
}

static int es_write_batch(sl_store *st, const sl_event *evs, size_t n, const sl_source_pos *pos,
			  size_t npos, unsigned char *inserted, sl_error *err)
{
	struct es_store *s = impl_of(st);
	struct batch local, *b = &local;
	struct ahead *a;
	int rc;

	memset(&local, 0, sizeof local);
	sl_buf_init(&local.text);
	local.inserted = inserted;
	if (inserted)
		memset(inserted, 0, n);
	pthread_mutex_lock(&s->write_lock);
	a = ahead_take(s, evs, n);
	if (a)
		b = &a->b;
	else
		batch_build(s, b, evs, n);
	b->inserted = inserted;
	batch_add_positions(s, b, pos, npos);

	rc = send_items(s, b, 0, n, err);
	if (rc == SL_OK)
		rc = check_items(s, b, n, err);
	if (rc == SL_OK)
		rc = send_items(s, b, n, npos, err);

	if (rc == SL_OK) {
		carry_clear(s);
		if (n)
			atomic_store(&s->last_write_ms, sl_mono_ms());
	} else {
		carry_save(s, b);
		if (inserted)
			memset(inserted, 0, n);
	}
	/* The requests sent ahead get their bodies to the node now, while the
	 * pipeline acknowledges this batch and hands over the next. */
	flights_upload(s);
	pthread_mutex_unlock(&s->write_lock);
	if (a) {
		ahead_free(a);
	} else {
		free(local.items);
		sl_buf_free(&local.text);
	}
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

static int es_load_position(sl_store *st, const char *key, char **identity, uint64_t *offset,
			    sl_error *err)
{
	struct es_store *s = impl_of(st);
	es_resp resp = {0, {0}};
	CURL *h = reader_get(s, err);
	sl_buf id, path;
	char *escaped;
	int rc = SL_ERR;

	if (!h)
		return SL_ERR;
	key = key ? key : "";
	sl_buf_init(&id);
	sl_buf_init(&path);
	sl_es_position_id(&id, key);
	escaped = curl_easy_escape(h, id.data, (int)id.len);
	sl_buf_printf(&path, "/%s-%s/_doc/%s", s->prefix, SL_ES_POSITIONS_SUFFIX,
		      escaped ? escaped : "");
	curl_free(escaped);

	if (es_request(s, h, "GET", path.data, NULL, 0, 0, &resp, err) < 0)
		goto out;
	if (resp.status == 404)
		rc = 0; /* no such document, or no positions index yet */
	else if (resp.status != 200)
		rc = http_error("loading a source position", &resp, err);
	else
		rc = sl_es_parse_position(resp.body.data, resp.body.len, key, identity, offset, err);
out:
	reader_put(s, h);
	sl_buf_free(&resp.body);
	sl_buf_free(&path);
	sl_buf_free(&id);
	return rc;
}

/* Runs a _search over the event indices and decodes its hits into res. */
/* Refreshes the event indices when this process stored events less than
 * REFRESH_INTERVAL_MS ago and has not refreshed since, so a search right
 * after ingest (such as --once) finds them. A failed refresh only logs. */
static void refresh_if_recent(struct es_store *s)
{
	int64_t wrote = atomic_load(&s->last_write_ms), now = sl_mono_ms();
	es_resp resp = {0, {0}};
	sl_error err = {{0}, 0};
	sl_buf path;

	if (wrote == 0 || atomic_load(&s->last_refresh_ms) >= wrote ||
	    now - wrote >= REFRESH_INTERVAL_MS)
		return;
	atomic_store(&s->last_refresh_ms, now);
	sl_buf_init(&path);
	sl_buf_printf(&path, "/%s/_refresh", s->pattern);
	if (reader_request(s, "POST", path.data, NULL, "refreshing the event indices", &resp,
			   &err) != SL_OK)
		sl_debug(COMPONENT, "%s", err.message);
	sl_buf_free(&resp.body);
	sl_buf_free(&path);
}

static int run_search(struct es_store *s, const sl_buf *body, const char *action,
		      sl_search_res *res, sl_error *err)
{
	es_resp resp = {0, {0}};
	sl_buf path;
	int rc;

	sl_buf_init(&path);
	sl_buf_printf(&path, "/%s/_search?filter_path=hits.total,hits.hits._id,hits.hits._source",
		      s->pattern);
	refresh_if_recent(s);
	rc = reader_request(s, "POST", path.data, body, action, &resp, err);
	if (rc == SL_OK)
		rc = sl_es_parse_search(resp.body.data, resp.body.len, res, err);
	sl_buf_free(&resp.body);
	sl_buf_free(&path);
	return rc;
}

static int es_search(sl_store *st, const sl_search_req *req, sl_search_res *res, sl_error *err)
{
	struct es_store *s = impl_of(st);
	size_t limit = req->limit < SEARCH_LIMIT_MAX ? req->limit : SEARCH_LIMIT_MAX;
	int64_t start = sl_mono_ms();
	sl_query *q;
	sl_buf body;
	int rc = SL_ERR_QUERY;

	memset(res, 0, sizeof *res);
	sl_buf_init(&body);
	q = sl_query_parse(req->query, req->now_ms, err);
	if (!q || sl_es_search_body(q, req->from_ms, req->to_ms, limit, &body, err) < 0)
		goto out;
	if (q->agg.kind != SL_AGG_NONE) {
		sl_error_set(err, q->agg_column, "column %d: '|' starts an aggregation, which a "
			     "search for events does not run", q->agg_column);
		goto out;
	}

	rc = run_search(s, &body, "search", res, err);
out:
	sl_query_free(q);
	sl_buf_free(&body);
	res->took_ms = sl_mono_ms() - start;
	return rc;
}

static int es_aggregate(sl_store *st, const sl_search_req *req, sl_agg_res *res,
			sl_error *err)
{
	struct es_store *s = impl_of(st);
	int64_t start = sl_mono_ms();
	es_resp resp = {0, {0}};
	sl_query *q;
	sl_buf body, path;
	int rc = SL_ERR_QUERY;

	memset(res, 0, sizeof *res);
	sl_buf_init(&body);
	sl_buf_init(&path);
	q = sl_query_parse(req->query, req->now_ms, err);
	if (!q)
		goto out;
	if (q->agg.kind == SL_AGG_NONE) {
		sl_error_set(err, 1, "column 1: expected '| count', '| count by FIELD', "
			     "'| top N FIELD' or '| timechart SPAN' after the query");
		goto out;
	}
	if (sl_es_agg_body(q, req->from_ms, req->to_ms, &body, err) < 0)
		goto out;

	sl_buf_printf(&path, "/%s/_search?filter_path=hits.total,aggregations", s->pattern);
	refresh_if_recent(s);
	rc = reader_request(s, "POST", path.data, &body, "aggregation", &resp, err);
	if (rc == SL_OK)
		rc = sl_es_parse_agg(resp.body.data, resp.body.len, &q->agg, res, err);
	if (rc == SL_ERR_QUERY) {
		/* the parser does not know where the '|' was */
		char message[SL_ERRMSG_MAX];

		snprintf(message, sizeof message, "%s", err->message);
		sl_error_set(err, q->agg_column, "column %d: %s", q->agg_column, message);
	}
	if (rc == SL_OK)
		res->req = q->agg;
	sl_buf_free(&resp.body);
out:
	sl_query_free(q);
	sl_buf_free(&path);
	sl_buf_free(&body);
	res->took_ms = sl_mono_ms() - start;
	return rc;
}

static int es_latest(sl_store *st, size_t n, sl_event **out, size_t *nout, sl_error *err)
{
	struct es_store *s = impl_of(st);
	sl_search_res res;
	sl_buf body;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(&res, 0, sizeof res);
	sl_buf_init(&body);
	sl_buf_printf(&body,
		      "{\"size\":%zu,\"track_total_hits\":true,\"query\":{\"match_all\":{}},"
		      "\"sort\":[{\"event.ingested\":{\"order\":\"desc\",\"unmapped_type\":\"date\"}},"
		      "{\"event.sequence\":{\"order\":\"desc\",\"unmapped_type\":\"long\"}}]}",
		      n < SEARCH_LIMIT_MAX ? n : SEARCH_LIMIT_MAX);
	rc = run_search(s, &body, "reading the latest events", &res, err);
	if (rc == SL_OK) {
		*out = res.hits;
		*nout = res.nhits;
	}
	sl_buf_free(&body);
	return rc;
}

/* Appends a composite aggregation page over (minute of @timestamp, level)
 * for events received since since_ms, starting after `after` when set. A
 * composite aggregation pages through any number of minutes, where a
 * date_histogram would fail past search.max_buckets. */
static void minutes_body(sl_buf *b, int64_t since_ms, const char *after)
{
	sl_buf_puts(b, "{\"size\":0,");
	if (since_ms != INT64_MIN)
		sl_buf_printf(b,
			      "\"query\":{\"range\":{\"event.ingested\":{\"gte\":%" PRId64
			      ",\"format\":\"epoch_millis\"}}},",
			      since_ms);
	sl_buf_printf(b,
		      "\"aggs\":{\"minutes\":{\"composite\":{\"size\":%d,\"sources\":["
		      "{\"minute\":{\"date_histogram\":{\"field\":\"@timestamp\","
		      "\"fixed_interval\":\"1m\"}}},"
		      "{\"level\":{\"terms\":{\"field\":\"log.level\"}}}]",
		      MINUTES_PAGE);
	if (after)
		sl_buf_printf(b, ",\"after\":%s", after);
	sl_buf_puts(b, "}}}}");
}

static int es_minute_counts(sl_store *st, int64_t since_recv_ms,
			    void (*cb)(void *ud, const sl_minute_counts *mc), void *ud,
			    sl_error *err)
{
	struct es_store *s = impl_of(st);
	char *after = NULL, *next;
	sl_minute_counts mc;
	es_resp resp;
	sl_buf body, path;
	int rc;

	memset(&mc, 0, sizeof mc);
	mc.minute = INT64_MIN;
	sl_buf_init(&body);
	sl_buf_init(&path);
	sl_buf_printf(&path, "/%s/_search", s->pattern);
	do {
		sl_buf_reset(&body);
		minutes_body(&body, since_recv_ms, after);
		rc = reader_request(s, "POST", path.data, &body, "counting events by minute",
				    &resp, err);
		if (rc < 0)
			break;
		rc = sl_es_parse_minutes(resp.body.data, resp.body.len, &mc, cb, ud, &next, err);
		sl_buf_free(&resp.body);
		free(after);
		after = next;
	} while (rc == SL_OK && after);
	if (rc == SL_OK && mc.minute != INT64_MIN)
		cb(ud, &mc);
	free(after);
	sl_buf_free(&path);
	sl_buf_free(&body);
	return rc;
}

/* Counts events matching the query body (NULL for all). */
static int count_events(struct es_store *s, const sl_buf *body, uint64_t *total, sl_error *err)
{
	es_resp resp;
	sl_buf path;
	int rc;

	sl_buf_init(&path);
	sl_buf_printf(&path, "/%s/_count", s->pattern);
	refresh_if_recent(s);
	rc = reader_request(s, body ? "POST" : "GET", path.data, body, "counting events", &resp,
			    err);
	if (rc == SL_OK)
		rc = sl_es_parse_count(resp.body.data, resp.body.len, total, err);
	sl_buf_free(&resp.body);
	sl_buf_free(&path);
	return rc;
}

static int es_count(sl_store *st, uint64_t *total, sl_error *err)
{
	*total = 0;
	return count_events(impl_of(st), NULL, total, err);
}

/* Deletes events received before the cutoff with _delete_by_query, which
 * runs on as a task in the node (wait_for_completion=false) so the ingest
 * thread does not wait for it. *deleted is the number of events that
 * matched when the deletion was started.
 * NOTE: daily indices emptied this way stay behind until deleted by hand
 * or by an index lifecycle policy. */
static int es_expire(sl_store *st, int64_t cutoff_recv_ms, uint64_t *deleted, sl_error *err)
{
	struct es_store *s = impl_of(st);
	es_resp resp;
	sl_buf body, path;
	int rc;

	*deleted = 0;
	sl_buf_init(&body);
	sl_buf_init(&path);
	sl_buf_printf(&body,
		      "{\"query\":{\"range\":{\"event.ingested\":{\"lt\":%" PRId64
		      ",\"format\":\"epoch_millis\"}}}}",
		      cutoff_recv_ms);
	rc = count_events(s, &body, deleted, err);
	if (rc < 0 || *deleted == 0)
		goto out;

	sl_buf_printf(&path, "/%s/_delete_by_query?conflicts=proceed&wait_for_completion=false",
		      s->pattern);
	rc = reader_request(s, "POST", path.data, &body, "deleting expired events", &resp, err);
	if (rc == SL_OK)
		sl_buf_free(&resp.body);
	else
		*deleted = 0;
out:
	sl_buf_free(&path);
	sl_buf_free(&body);
	return rc;
}

/* --- lifetime --------------------------------------------------------------- */

static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void store_free(struct es_store *s)
{
	size_t i;

	for (i = 0; s->flights && i < FLIGHTS_MAX; i++) {
		struct flight *f = &s->flights[i];

		if (f->busy && s->multi)
			curl_multi_remove_handle(s->multi, f->h);
		if (f->busy || f->done)
			flight_clear(f);
		if (f->h)
			curl_easy_cleanup(f->h);
	}
	free(s->flights);
	ahead_free(s->ahead);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	for (i = 0; i < s->nidle; i++)
		curl_easy_cleanup(s->idle[i]);
	curl_slist_free_all(s->json_headers);
	curl_slist_free_all(s->bulk_headers);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_mutex_destroy(&s->prep_lock);
	prepared_free(s->prepared);
	free(s->url);
	free(s->display_url);
	free(s->prefix);
	free(s->pattern);
	free(s->user);
	free_secret(s->password);
	free_secret(s->api_key);
	free(s->ca_cert);
	free(s->carry);
	free(s);
}

static void es_close(sl_store *st)
{
	if (!st)
		return;
	store_free(impl_of(st));
	free(st->description);
	free(st);
	curl_global_cleanup();
}

static const sl_store_ops es_ops = {
	.name = "elasticsearch",
	.write_batch = es_write_batch,
	.prepare = es_prepare,
	.load_position = es_load_position,
	.search = es_search,
	.aggregate = es_aggregate,
	.latest = es_latest,
	.minute_counts = es_minute_counts,
	.expire = es_expire,
	.count = es_count,
	.close = es_close,
};

void sl_es_set_reject_handler(sl_store *st, sl_es_reject_fn fn, void *ud)
{
	struct es_store *s;

	if (!st || st->ops != &es_ops)
		return;
	s = impl_of(st);
	pthread_mutex_lock(&s->write_lock);
	s->on_reject = fn;
	s->reject_ud = ud;
	pthread_mutex_unlock(&s->write_lock);
}

uint64_t sl_es_rejected_total(sl_store *st)
{
	if (!st || st->ops != &es_ops)
		return 0;
	return atomic_load(&impl_of(st)->rejected);
}

/* Appends the index template for "<prefix>-*". Text is split into runs of
 * letters, digits and private-use characters, lower-cased and folded to
 * ASCII: the tokens SQLite's FTS5 unicode61 tokenizer (remove_diacritics 2)
 * makes, so a word matches the same events in both stores. Tokens are cut
 * at 1024 characters and keywords above 8191 characters are not indexed,
 * because Lucene rejects a whole document for a term over 32766 bytes.
 * dynamic:false keeps unknown members in _source only, which also makes the
 * template harmless for the positions index the pattern matches.
 * NOTE: fields.num came with numeric comparisons. Daily indices created by
 * an older template lack it, so comparisons miss their events until those
 * indices expire or are reindexed. */
static void template_body(sl_buf *b, const char *prefix)
{
	sl_buf pattern;

	sl_buf_init(&pattern);
	sl_buf_printf(&pattern, "%s-*", prefix);
	sl_buf_puts(b, "{\"index_patterns\":[");
	sl_buf_json_str(b, pattern.data, pattern.len);
	sl_buf_puts(b,
		    "],\"priority\":100,\"template\":{\"settings\":{"
		    "\"index\":{\"refresh_interval\":\"1s\"},"
		    "\"analysis\":{\"tokenizer\":{\"sl_words\":{\"type\":\"pattern\","
		    "\"pattern\":\"[^\\\\p{L}\\\\p{N}\\\\p{Co}]+\"}},"
		    "\"filter\":{\"sl_truncate\":{\"type\":\"truncate\",\"length\":1024}},"
		    "\"analyzer\":{\"sl_text\":{\"type\":\"custom\",\"tokenizer\":\"sl_words\","
		    "\"filter\":[\"lowercase\",\"asciifolding\",\"sl_truncate\"]}}}},"
		    "\"mappings\":{\"dynamic\":false,\"properties\":{"
		    "\"@timestamp\":{\"type\":\"date\"},"
		    "\"event\":{\"properties\":{\"id\":{\"type\":\"keyword\"},"
		    "\"ingested\":{\"type\":\"date\"},\"sequence\":{\"type\":\"long\"},"
		    "\"original\":{\"type\":\"keyword\",\"index\":false,\"doc_values\":false}}},"
		    "\"log\":{\"properties\":{\"level\":{\"type\":\"keyword\"}}},"
		    "\"service\":{\"properties\":{\"name\":{\"type\":\"keyword\",\"ignore_above\":8191}}},"
		    "\"host\":{\"properties\":{\"name\":{\"type\":\"keyword\",\"ignore_above\":8191}}},"
		    "\"message\":{\"type\":\"text\",\"analyzer\":\"sl_text\"},"
		    "\"fields\":{\"type\":\"nested\",\"properties\":{"
		    "\"key\":{\"type\":\"keyword\",\"ignore_above\":8191},"
		    "\"value\":{\"type\":\"keyword\",\"ignore_above\":8191},"
		    "\"num\":{\"type\":\"double\"}}},"
		    "\"streamlens\":{\"properties\":{\"flags\":{\"type\":\"integer\"},"
		    "\"extra\":{\"type\":\"text\",\"analyzer\":\"sl_text\"}}}}}}}");
	sl_buf_free(&pattern);
}

/* Accepts what Elasticsearch allows at the start of an index name and a
 * safe subset after it: lower-case letters, digits, '.', '_' and '-'. */
static int valid_prefix(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > 200 || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* Returns url without any "user:password@" part, for logs and the status
 * bar. */
static char *url_for_display(const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;
	sl_buf b;

	if (!host)
		return sl_strdup(url);
	host += 3;
	slash = strchr(host, '/');
	at = memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host));
	if (!at)
		return sl_strdup(url);
	sl_buf_init(&b);
	sl_buf_append(&b, url, (size_t)(host - url));
	sl_buf_puts(&b, at + 1);
	return sl_buf_steal(&b);
}

/* Returns 1 when the URL's host is a loopback address or "localhost". */
static int is_loopback_url(const char *url)
{
	const char *host = strstr(url, "://"), *end, *at;
	size_t n;

	host = host ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	if (*host == '[')
		return strncmp(host, "[::1]", 5) == 0;
	n = strcspn(host, ":/?#");
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) || strncmp(host, "127.", 4) == 0;
}

static int copy_conf(struct es_store *s, const sl_es_conf *conf, sl_error *err)
{
	const char *prefix = conf->index_prefix && *conf->index_prefix ? conf->index_prefix
								       : PREFIX_DEFAULT;
	size_t n;

	if (!conf->url || (strncmp(conf->url, "http://", 7) != 0 &&
			   strncmp(conf->url, "https://", 8) != 0)) {
		sl_error_set(err, 0, "invalid Elasticsearch URL '%s': expected http://HOST:PORT or "
			     "https://HOST:PORT", conf->url ? conf->url : "");
		return SL_ERR;
	}
	if (!valid_prefix(prefix)) {
		sl_error_set(err, 0, "invalid index prefix '%.64s': use lower-case letters, digits, "
			     "'.', '_' and '-', starting with a letter or digit", prefix);
		return SL_ERR;
	}
	s->url = sl_strdup(conf->url);
	for (n = strlen(s->url); n > 0 && s->url[n - 1] == '/'; n--)
		s->url[n - 1] = '\0';
	s->prefix = sl_strdup(prefix);
	s->user = conf->user && *conf->user ? sl_strdup(conf->user) : NULL;
	s->password = conf->password ? sl_strdup(conf->password) : NULL;
	s->api_key = conf->api_key && *conf->api_key ? sl_strdup(conf->api_key) : NULL;
	s->ca_cert = conf->ca_cert && *conf->ca_cert ? sl_strdup(conf->ca_cert) : NULL;
	s->insecure = conf->insecure;
	s->gzip = conf->compress < 0 ? !is_loopback_url(conf->url) : conf->compress;
	s->bulk_max_events = conf->bulk_max_events ? conf->bulk_max_events : BULK_EVENTS_DEFAULT;
	s->bulk_max_bytes = conf->bulk_max_bytes ? conf->bulk_max_bytes : BULK_BYTES_DEFAULT;
	return SL_OK;
}

static struct curl_slist *make_headers(struct es_store *s, int bulk)
{
	struct curl_slist *h = NULL;
	sl_buf auth;

	h = curl_slist_append(h, bulk ? "Content-Type: application/x-ndjson"
				      : "Content-Type: application/json");
	if (bulk && s->gzip)
		h = curl_slist_append(h, "Content-Encoding: gzip");
	/* no "Expect: 100-continue" round trip before large bodies */
	h = curl_slist_append(h, "Expect:");
	if (s->api_key) {
		sl_buf_init(&auth);
		sl_buf_printf(&auth, "Authorization: ApiKey %s", s->api_key);
		h = curl_slist_append(h, auth.data);
		memset(auth.data, 0, auth.len);
		sl_buf_free(&auth);
	}
	return h;
}

/* Checks that the node responds to GET / and reads its distribution. */
static int check_node(struct es_store *s, sl_error *err)
{
	es_resp resp;
	int major = 0, rc;

	rc = reader_request(s, "GET", "/", NULL, "GET /", &resp, err);
	if (rc < 0)
		return rc;
	rc = sl_es_parse_root(resp.body.data, resp.body.len, &s->is_opensearch, &major, err);
	sl_buf_free(&resp.body);
	if (rc == SL_OK && !s->is_opensearch && major < 7) {
		sl_error_set(err, 0, "Elasticsearch %d at %s is too old: 7.10 or newer is needed",
			     major, s->display_url);
		rc = SL_ERR;
	}
	return rc;
}

static int put_template(struct es_store *s, sl_error *err)
{
	es_resp resp;
	sl_buf body, path;
	int rc;

	sl_buf_init(&body);
	sl_buf_init(&path);
	template_body(&body, s->prefix);
	sl_buf_printf(&path, "/_index_template/%s", s->prefix);
	rc = reader_request(s, "PUT", path.data, &body, "installing the index template", &resp,
			    err);
	if (rc == SL_OK)
		sl_buf_free(&resp.body);
	sl_buf_free(&path);
	sl_buf_free(&body);
	return rc;
}

static struct es_store *store_new(void)
{
	struct es_store *s = sl_calloc(1, sizeof *s);

	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_mutex_init(&s->prep_lock, NULL);
	atomic_init(&s->rejected, 0);
	atomic_init(&s->last_write_ms, 0);
	atomic_init(&s->last_refresh_ms, 0);
	s->rng = (uint64_t)sl_now_ms() * 2654435761u | 1;
	return s;
}

sl_store *sl_es_open(const sl_es_conf *conf, sl_error *err)
{
	struct es_store *s = store_new();
	sl_store *st = NULL;
	sl_buf desc;
	int ok;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (copy_conf(s, conf, err) < 0)
		goto fail;
	s->json_headers = make_headers(s, 0);
	s->bulk_headers = make_headers(s, 1);
	s->multi = curl_multi_init();
	ok = s->json_headers && s->bulk_headers && s->multi;
	s->flights = sl_calloc(FLIGHTS_MAX, sizeof *s->flights);
	if (!ok) {
		sl_error_set(err, 0, "cannot set up libcurl");
		goto fail;
	}
	sl_buf_init(&desc);
	/* The exclusion is a wildcard because OpenSearch 2 returns 404 for a
	 * plain exclusion of an index that does not exist yet. */
	sl_buf_printf(&desc, "%s-*,-%s-%s*", s->prefix, s->prefix, SL_ES_POSITIONS_SUFFIX);
	s->pattern = sl_buf_steal(&desc);
	s->display_url = url_for_display(s->url);
	if (s->insecure)
		sl_warn(COMPONENT, "TLS certificate verification is off for %s", s->display_url);

	if (check_node(s, err) < 0 || put_template(s, err) < 0)
		goto fail;

	st = sl_calloc(1, sizeof *st);
	st->ops = &es_ops;
	st->impl = s;
	sl_buf_init(&desc);
	sl_buf_printf(&desc, "%s %s", s->is_opensearch ? "opensearch" : "elasticsearch",
		      s->display_url);
	st->description = sl_buf_steal(&desc);
	sl_info(COMPONENT, "using %s, indices %s-*", st->description, s->prefix);
	return st;
fail:
	store_free(s);
	curl_global_cleanup();
	return NULL;
}
