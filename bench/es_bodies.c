/* es_bodies.c: the _bulk bodies StreamLens sends for a file of log lines.
 * It opens the OpenSearch store under PREFIX, which installs StreamLens's
 * index template for "PREFIX-*". Then it decodes every line of FILE as the
 * pipeline does and writes each event's bulk action and document to
 * OUTDIR/body-NNNNN.ndjson, BATCH events per body (default 2000, the
 * pipeline's batch). Replaying those bodies with curl measures what the
 * node needs for exactly the documents StreamLens writes.
 *
 * Usage: es_bodies FILE URL PREFIX OUTDIR [BATCH] */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/decode.h"
#include "../src/es_bulk.h"
#include "../src/store_es.h"

/* Writes buf to OUTDIR/body-N.ndjson and empties it. Returns 0 or -1. */
static int write_body(const char *outdir, unsigned n, sl_buf *buf)
{
	char path[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof path, "%s/body-%05u.ndjson", outdir, n);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	if (buf->len && fwrite(buf->data, 1, buf->len, f) != buf->len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc)
		perror(path);
	sl_buf_reset(buf);
	return rc;
}

int main(int argc, char **argv)
{
	sl_es_conf conf;
	sl_error err = {{0}, 0};
	sl_decode_ctx ctx;
	sl_store *store;
	sl_buf body;
	char *line = NULL;
	size_t cap = 0, batch = 2000, in_body = 0;
	int64_t seq = 0;
	unsigned bodies = 0;
	ssize_t len;
	FILE *in;

	if (argc < 5) {
		fprintf(stderr, "usage: es_bodies FILE URL PREFIX OUTDIR [BATCH]\n");
		return 2;
	}
	if (argc > 5 && (batch = strtoul(argv[5], NULL, 10)) == 0) {
		fprintf(stderr, "es_bodies: BATCH must be a positive number\n");
		return 2;
	}
	in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	memset(&conf, 0, sizeof conf);
	conf.url = argv[2];
	conf.index_prefix = argv[3];
	store = sl_es_open(&conf, &err);
	if (!store) {
		fprintf(stderr, "es_bodies: %s\n", err.message);
		return 1;
	}
	store->ops->close(store);

	sl_decode_ctx_init(&ctx, NULL);
	sl_buf_init(&body);
	while ((len = getline(&line, &cap, in)) > 0) {
		sl_record rec;
		sl_event ev;

		if (line[len - 1] == '\n')
			len--;
		memset(&rec, 0, sizeof rec);
		rec.data = line;
		rec.len = (size_t)len;
		rec.recv_ms = sl_now_ms();
		snprintf(rec.id, sizeof rec.id, "bench:%lld", (long long)seq);
		sl_event_init(&ev);
		sl_decode_record(&ctx, &rec, &ev);
		sl_es_bulk_event(&body, argv[3], &ev, ++seq);
		sl_event_clear(&ev);
		if (++in_body == batch) {
			if (write_body(argv[4], bodies++, &body) != 0)
				return 1;
			in_body = 0;
		}
	}
	if (in_body && write_body(argv[4], bodies++, &body) != 0)
		return 1;
	printf("events %lld bodies %u\n", (long long)seq, bodies);
	sl_buf_free(&body);
	free(line);
	fclose(in);
	return 0;
}
