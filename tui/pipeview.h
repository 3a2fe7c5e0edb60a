/* pipeview.h: the pipeline view: ingest counters, Kafka consumer lag per
 * partition, search store write errors and rejections, hot store health and
 * round-trip time, and the newest dead letters with their reasons. It covers
 * the panes until closed, like the detail view. */
#ifndef TUI_PIPEVIEW_H
#define TUI_PIPEVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "../src/app.h"

struct sl_source;
#include "text.h"

typedef struct tui_pipeview {
	int open;
	char **lines; /* owned, rebuilt by tui_pipeview_update */
	size_t nlines;
	size_t top;   /* first line shown */
	int64_t updated_mono;
	uint64_t retry_offset; /* dead-letter file bytes already retried */
	char retry_result[256];
} tui_pipeview;

void tui_pipeview_open(tui_pipeview *v);
void tui_pipeview_close(tui_pipeview *v);
/* Rebuilds the lines from app when open and at least a second has passed
 * (or force is set). dead_fallback is the dead-letter file to read when app
 * writes none itself (may be NULL). Returns 1 when it rebuilt them. */
int tui_pipeview_update(tui_pipeview *v, sl_app *app, const char *dead_fallback,
			int64_t now_mono, int force);
/* Scrolls for j/k, arrows, PgUp/PgDn, g/G. Returns 1 when handled. */
int tui_pipeview_key(tui_pipeview *v, int key, int rows);
void tui_pipeview_draw(WINDOW *w, const tui_rect *area, tui_pipeview *v);
/* Writes the dead letters added since the last retry to the search store
 * again, decoded from their raw lines with their original ids, and adds the
 * stored ones to the hot store. With the embedded store the raw lines go to
 * queue (a retry source, may be NULL) instead, and the ingest thread stores
 * them like new records. Puts the outcome in notice. Returns the number of
 * dead letters retried or queued, or -1 when retrying is not possible.
 * NOTE: Elasticsearch writes run on the TUI thread, so the screen freezes
 * until the store responds or its retries with backoff run out. */
long tui_pipeview_retry(tui_pipeview *v, sl_app *app, const char *dead_fallback,
			struct sl_source *queue, char *notice, size_t notice_len);

#endif
