/* app.h: what the readers (TUI, HTTP) share: the stores and the ingest
 * pipeline's counters. */
#ifndef SL_APP_H
#define SL_APP_H

#include <stdint.h>

#include "hotstore.h"
#include "store.h"

#define SL_SOURCE_DESC_MAX 256

/* A snapshot of the ingest pipeline, cheap to take from any thread. */
typedef struct sl_pipeline_stats {
	uint64_t events_in;     /* records decoded */
	uint64_t events_stored; /* new events written to the search store */
	uint64_t duplicates;    /* redelivered records skipped */
	uint64_t undecoded;     /* records stored as plain text */
	uint64_t truncated;     /* lines cut at the cap */
	uint64_t nul_bytes;     /* NUL bytes skipped */
	uint64_t write_errors;  /* failed batch writes (retried) */
	uint64_t batches;
	double rate;            /* events/s over the last few seconds */
	int64_t consumer_lag;   /* Kafka records not yet consumed, -1 when unknown */
	int sources_idle;       /* 1 when every source is at its end */
	int running;
	char sources[SL_SOURCE_DESC_MAX]; /* e.g. "file:/var/log/syslog" */
	char last_error[SL_ERRMSG_MAX];
} sl_pipeline_stats;

typedef struct sl_pipeline sl_pipeline;

struct sl_deadletter;

typedef struct sl_app {
	sl_store *store;
	sl_hot *hot;
	struct sl_deadletter *deadletter; /* NULL when the store rejects nothing */
	sl_pipeline *pipeline; /* NULL with --no-ingest */
	int64_t started_ms;
} sl_app;

void sl_pipeline_get_stats(sl_pipeline *p, sl_pipeline_stats *out);
/* Appends every source's Prometheus lines (consumer lag and the like). */
void sl_pipeline_metrics(sl_pipeline *p, sl_buf *out);

/* Set from signal handlers (SIGTERM, SIGINT) to ask every loop to finish;
 * the TUI and the headless loop poll it. */
void sl_request_quit(void);
int sl_quit_requested(void);

#endif
