/* pipeline.h: the ingest pipeline: sources, decoding, batches, sinks. */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include "app.h"
#include "source.h"

typedef struct sl_pipeline_conf {
	size_t batch_max;      /* events per batch */
	int flush_ms;          /* a partial batch is written after this long */
	int64_t retention_ms;  /* events received longer ago are deleted */
} sl_pipeline_conf;

sl_pipeline *sl_pipeline_new(sl_store *store, sl_hot *hot, const sl_pipeline_conf *conf);
/* Hands the source over to the pipeline, which closes it. */
void sl_pipeline_add_source(sl_pipeline *p, sl_source *src);
/* Starts the ingest thread. Returns 0, or -1 with err set. */
int sl_pipeline_start(sl_pipeline *p, sl_error *err);
/* Runs in the calling thread until every source is idle or finished and all
 * read records are stored. Returns 0, or -1 when the store failed for good. */
int sl_pipeline_drain(sl_pipeline *p, sl_error *err);
/* Stops the thread after writing the batch in progress, then frees all. */
void sl_pipeline_free(sl_pipeline *p);

/* Fills the hot store from the search store: the latest events and the
 * per-minute counts of every stored event. */
int sl_hot_rebuild(sl_hot *hot, sl_store *store, sl_error *err);

#endif
