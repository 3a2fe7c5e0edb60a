/* store_es.h: the search store on Elasticsearch 7.10+/8 or OpenSearch 1/2,
 * over their REST API with libcurl. Events go into daily indices
 * "<prefix>-YYYY.MM.DD" (UTC day of the event time), source positions into
 * "<prefix>-positions"; the layout of a document is described in
 * es_bulk.h. */
#ifndef SL_STORE_ES_H
#define SL_STORE_ES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct sl_es_conf {
	const char *url;          /* e.g. "http://127.0.0.1:9200"; required */
	const char *index_prefix; /* NULL or "" for "streamlens" */
	const char *user;         /* HTTP basic authentication, with password */
	const char *password;
	const char *api_key;      /* sent as "Authorization: ApiKey ..." */
	const char *ca_cert;      /* PEM file of CAs to verify the node with */
	int insecure;             /* 1 skips TLS certificate verification */
	/* gzip for _bulk bodies: 1 always, 0 never, -1 unless the node is on
	 * a loopback address, where compressing only costs CPU on both ends */
	int compress;
	size_t bulk_max_events;   /* documents per _bulk request; 0 for 8000 */
	size_t bulk_max_bytes;    /* uncompressed _bulk body size; 0 for 5 MiB */
} sl_es_conf;

/* Connects, checks that the node responds to GET / and installs the index
 * template "<prefix>". The conf strings are copied. Returns NULL and fills
 * err on failure. Credentials are never logged. */
sl_store *sl_es_open(const sl_es_conf *conf, sl_error *err);

/* Called from write_batch, on the ingest thread, for each event the node
 * rejects with a 4xx status (a mapping error, or a document too large on
 * its own for the node's request size limit). The event counts as stored:
 * it will not be sent again, so this is the place to dead-letter it. */
typedef void (*sl_es_reject_fn)(void *ud, const sl_event *ev, const char *reason);

/* Sets the rejection handler of an Elasticsearch store; does nothing for
 * other stores. */
void sl_es_set_reject_handler(sl_store *st, sl_es_reject_fn fn, void *ud);

/* Number of events rejected since the store was opened (0 for other
 * stores). */
uint64_t sl_es_rejected_total(sl_store *st);

#endif
