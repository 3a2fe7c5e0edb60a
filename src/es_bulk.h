/* es_bulk.h: Elasticsearch/OpenSearch request bodies and response parsing,
 * without any I/O, so every request body and every response is unit-tested
 * without a server. The document layout follows Elastic Common Schema names:
 *
 *   {"@timestamp": RFC 3339, "event": {"id", "ingested", "sequence",
 *    "original"}, "log": {"level"}, "service": {"name"}, "host": {"name"},
 *    "message", "fields": [{"key", "value"}...], "streamlens": {"flags",
 *    "extra"}}
 *
 * Extra fields go into one nested array of key/value string pairs. Keys are
 * kept raw, dots and slashes included, and a key never becomes a mapping
 * path, so "app" next to "app.kubernetes.io/name" or a value that was an
 * object elsewhere can never cause a mapping conflict. streamlens.extra is
 * the full-text copy of service, host and the field values, the text the
 * SQLite store indexes in its `extra` column. */
#ifndef SL_ES_BULK_H
#define SL_ES_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"
#include "util.h"

/* Index names are "<prefix>-YYYY.MM.DD" (UTC day of the event time) and
 * "<prefix>-positions" for source positions. */
#define SL_ES_POSITIONS_SUFFIX "positions"
/* A bulk item's failure reason is cut to this many bytes. */
#define SL_ES_REASON_MAX 256

/* Appends "<prefix>-YYYY.MM.DD" for the UTC day of ts_ms. Days before year 1
 * or after 9999 are clamped to those years, so the name stays valid. */
void sl_es_index_name(sl_buf *out, const char *prefix, int64_t ts_ms);

/* Appends the document for ev (one line, no newline). seq is the arrival
 * sequence the store sorts ties by. */
void sl_es_event_doc(sl_buf *out, const sl_event *ev, int64_t seq);

/* Appends the bulk action line and document line for ev. The action is
 * "create", so a redelivered id gets status 409 and the first stored
 * copy stays untouched, as in the SQLite store. */
void sl_es_bulk_event(sl_buf *out, const char *prefix, const sl_event *ev, int64_t seq);

/* Appends an "index" action and document for a source position; its _id
 * comes from sl_es_position_id. */
void sl_es_bulk_position(sl_buf *out, const char *prefix, const sl_source_pos *pos);

/* Appends the _id of a position document: the key itself when it fits the
 * 512-byte _id limit, else "h:" and a hash of it (the key is also stored in
 * the document and compared on load). */
void sl_es_position_id(sl_buf *out, const char *key);

/* Appends one entry of an _mget "docs" array that reads the stored
 * event.sequence of ev's document: {"_index", "_id", "_source"}. */
void sl_es_mget_sequence_doc(sl_buf *out, const char *prefix, const sl_event *ev);

/* What became of one bulk item. */
typedef enum sl_es_item_state {
	SL_ES_ITEM_CREATED,  /* newly stored */
	SL_ES_ITEM_EXISTS,   /* already stored: 409 on create, or updated/noop */
	SL_ES_ITEM_RETRY,    /* 429 or 5xx: send again later */
	SL_ES_ITEM_REJECTED, /* any other 4xx: the document can never be stored */
} sl_es_item_state;

typedef struct sl_es_item {
	sl_es_item_state state;
	int status;                    /* HTTP status of the item */
	char reason[SL_ES_REASON_MAX]; /* "type: reason" of a failed item */
} sl_es_item;

/* Parses a _bulk response into items[0..nitems), which are in request
 * order. Returns SL_OK, or SL_ERR with err set when the body is not a bulk
 * response or has a different number of items. items are then unspecified. */
int sl_es_parse_bulk(const char *body, size_t len, sl_es_item *items, size_t nitems,
		     sl_error *err);

/* Parses an _mget response to n entries from sl_es_mget_sequence_doc:
 * seqs[i] gets the event.sequence of document i, or -1 when it was not
 * found. Returns SL_OK, or SL_ERR when the body has no "docs" array of n
 * entries or a found document has no sequence. */
int sl_es_parse_mget_sequences(const char *body, size_t len, int64_t *seqs, size_t n,
			       sl_error *err);

/* Parses a search response: hits.total.value and the hits' _source decoded
 * into events. res must be zeroed; on failure it is left empty. */
int sl_es_parse_search(const char *body, size_t len, sl_search_res *res, sl_error *err);

/* Parses the response to a body from sl_es_agg_body into res (zeroed):
 * the total and the rows for req, sorted by sl_agg_rows_sort and cut to N
 * for top. Returns SL_OK; SL_ERR_QUERY when the counts would not be exact
 * or there are more than SL_AGG_ROWS_MAX rows; SL_ERR on a malformed body.
 * res is empty after a failure. */
int sl_es_parse_agg(const char *body, size_t len, const sl_agg_req *req, sl_agg_res *res,
		    sl_error *err);

/* Parses {"count": N}. */
int sl_es_parse_count(const char *body, size_t len, uint64_t *count, sl_error *err);

/* Parses a GET _doc response for a position. Returns 1 and sets *identity
 * (caller frees) and *offset when the document exists and belongs to key,
 * 0 when not, SL_ERR on a malformed body. */
int sl_es_parse_position(const char *body, size_t len, const char *key, char **identity,
			 uint64_t *offset, sl_error *err);

/* Parses one page of the composite aggregation "minutes" (sources "minute"
 * and "level"). Rows arrive ordered by minute. A row for the minute in *mc
 * adds to it, and a row for a new minute first passes *mc to cb. The caller
 * passes the same *mc (zeroed, minute INT64_MIN) to every page and calls
 * cb for the last one. *after is set to the JSON of after_key (caller
 * frees), or NULL on the last page. */
int sl_es_parse_minutes(const char *body, size_t len, sl_minute_counts *mc,
			void (*cb)(void *ud, const sl_minute_counts *mc), void *ud, char **after,
			sl_error *err);

/* Parses the GET / response: sets *is_opensearch and the major version. */
int sl_es_parse_root(const char *body, size_t len, int *is_opensearch, int *major,
		     sl_error *err);

/* Copies the "type: reason" of an error response into out, or the start of
 * the body when it is not a JSON error. */
void sl_es_error_reason(const char *body, size_t len, char *out, size_t outlen);

#endif
