/* source.h: the source interface. A source yields raw records with a
 * position; the pipeline polls every source from the ingest thread. */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "record.h"
#include "store.h"

/* Receives one record; returns 0 to go on. */
typedef int (*sl_emit_fn)(void *ud, const sl_record *rec, sl_decode_ctx *ctx);

typedef struct sl_source sl_source;

typedef struct sl_source_ops {
	const char *kind;
	/* Emits up to max records that are ready, without blocking. Returns the
	 * number emitted, or -1 when the source failed for good (message in
	 * err). */
	int (*poll)(sl_source *src, sl_emit_fn emit, void *ud, size_t max, sl_error *err);
	/* Fills pos with the position just past the last emitted record and
	 * returns 1, or returns 0 when the source has no resumable position.
	 * pos points into the source and stays valid until the next poll. */
	int (*position)(sl_source *src, sl_source_pos *pos);
	/* Returns 1 when the source has emitted everything it has for now. */
	int (*idle)(sl_source *src);
	/* Returns 1 when the source can never yield more (stdin closed, the
	 * generator reached its count). */
	int (*finished)(sl_source *src);
	/* Optional. Called after every record emitted so far was stored by
	 * every sink, so a source can commit its offsets (Kafka). */
	void (*ack)(sl_source *src);
	/* Optional, and used instead of ack when present. Called on the poll
	 * thread when a batch is sealed. Returns a mark of every record emitted
	 * so far, or NULL when there is nothing to commit. With marks the
	 * pipeline reads and decodes the next batch while this one is stored. */
	void *(*mark)(sl_source *src);
	/* Called once for each non-NULL mark, in the order they were made:
	 * with stored 1 after the mark's records were stored by every sink, so
	 * the source commits them, or with stored 0 when they never will be.
	 * May run on another thread than poll. */
	void (*ack_mark)(sl_source *src, void *mark, int stored);
	/* Optional. Appends Prometheus lines (consumer lag per partition, skipped
	 * records); called from HTTP threads, so it must be thread-safe. */
	void (*metrics)(sl_source *src, sl_buf *out);
	/* Optional. Sum of the consumer lag over all partitions, -1 when
	 * unknown; thread-safe. */
	int64_t (*lag)(sl_source *src);
	void (*close)(sl_source *src);
} sl_source_ops;

struct sl_source {
	const sl_source_ops *ops;
	void *impl;
	char *desc; /* "file:/var/log/syslog", "stdin", "generator:100/s" */
	sl_decode_ctx decode;
};

typedef struct sl_file_conf {
	const char *path;  /* "-" is stdin */
	int from_start;    /* read an unseen file from its beginning */
	size_t max_line;   /* line length cap in bytes */
	int once;          /* flush a partial last line at once at end of file */
	const sl_decoder *format; /* NULL for auto detection */
} sl_file_conf;

/* Opens a file source, resuming from the position saved in store when the
 * file is the same one. Returns NULL with a message naming the file. */
sl_source *sl_source_file_open(const sl_file_conf *conf, sl_store *store, sl_error *err);

/* Generator source at rate events/s (count 0 means no end). */
sl_source *sl_source_gen_open(double rate, uint64_t seed, uint64_t count);

void sl_source_close(sl_source *src);

#endif
