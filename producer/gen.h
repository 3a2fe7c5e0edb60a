/* gen.h: the bundled log generator, shared by streamlens-top (--generate)
 * and streamlens-producer. Output is one JSON object per line. */
#ifndef SL_GEN_H
#define SL_GEN_H

#include <stdint.h>

#include "../src/util.h"

typedef struct sl_gen sl_gen;

/* Creates a generator; the same seed gives the same sequence of events. */
sl_gen *sl_gen_new(uint64_t seed);
void sl_gen_free(sl_gen *g);
/* Appends the next event, stamped ts_ms, as one JSON line without the
 * trailing newline. Fields: timestamp, level, service, host, request_id,
 * message, and for some events duration_ms, status, user; errors now and then
 * carry a multi-line stack trace in the message. */
void sl_gen_next(sl_gen *g, int64_t ts_ms, sl_buf *out);
/* The service name of the last event generated, NULL before the first;
 * streamlens-producer uses it as the Kafka record key. */
const char *sl_gen_last_service(const sl_gen *g);
/* Number of events generated so far. */
uint64_t sl_gen_count(const sl_gen *g);

#endif
