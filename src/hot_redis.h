/* hot_redis.h: the hot store in Redis, shared by every streamlens-top
 * process that points at the same server and key prefix. Ingesting
 * processes write; --no-ingest viewers only read. */
#ifndef SL_HOT_REDIS_H
#define SL_HOT_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "hotstore.h"
#include "util.h"

/* Per-minute counter hashes expire after this many seconds (8 days), so
 * the stats window in Redis is at most that long. */
#define SL_HOT_REDIS_COUNTER_TTL_S (8 * 24 * 3600)
/* Connect and command timeout of both connections. */
#define SL_HOT_REDIS_TIMEOUT_MS 2000

/* Opens a Redis hot store. addr is HOST:PORT ([ADDR]:PORT for IPv6) or
 * the path of a Unix socket (anything containing '/'). password is sent
 * with AUTH when not NULL and never logged. Keys start with key_prefix and a
 * colon. latest_cap bounds the shared list of latest events (0 picks
 * SL_HOT_LATEST_DEFAULT). The server must reply at open time; later outages
 * make the store degraded until it reconnects. Returns NULL with err set. */
sl_hot *sl_hot_redis_open(const char *addr, const char *password, const char *key_prefix,
			  size_t latest_cap, sl_error *err);

/* --- formatting, apart from sending (for tests) --------------------------- */

/* A Redis command as a binary-safe argv array. The bytes live in one buffer
 * and argv points into it once sl_redis_cmd_argv() has been called. */
typedef struct sl_redis_cmd {
	sl_buf data;
	size_t *offsets;
	size_t *lengths;
	const char **argv;
	size_t argc;
	size_t cap;
} sl_redis_cmd;

void sl_redis_cmd_init(sl_redis_cmd *cmd);
void sl_redis_cmd_free(sl_redis_cmd *cmd);
void sl_redis_cmd_reset(sl_redis_cmd *cmd);
void sl_redis_cmd_add(sl_redis_cmd *cmd, const void *bytes, size_t n);
void sl_redis_cmd_add_str(sl_redis_cmd *cmd, const char *s);
/* Returns argv with every argument's pointer resolved; valid until the next
 * change to cmd. */
const char **sl_redis_cmd_argv(sl_redis_cmd *cmd);

#define SL_REDIS_TXN_MAX 7

/* A MULTI/EXEC transaction whose commands are written to the socket
 * together and whose replies are read back together, so it costs one round
 * trip. cmds[0] is MULTI and cmds[n - 1] is EXEC. */
typedef struct sl_redis_txn {
	sl_redis_cmd cmds[SL_REDIS_TXN_MAX];
	size_t n;
	size_t script; /* index in cmds of the EVALSHA of the write script */
} sl_redis_txn;

void sl_redis_txn_init(sl_redis_txn *txn);
void sl_redis_txn_free(sl_redis_txn *txn);

/* Builds the EVALSHA of the write script for a batch: the events that carry
 * a stream offset, plus those without one whose inserted[i] is set (all when
 * inserted is NULL). Returns how many events the command carries. */
size_t sl_hot_redis_format_batch(sl_redis_cmd *cmd, const char *sha, const char *key_prefix,
				 size_t latest_cap, const sl_event *evs, size_t n,
				 const unsigned char *inserted);

/* Builds the transaction of the write script's batch mode. Its first
 * commands fill the staging list: the latest entries that stay, and over
 * them the newest latest_cap accepted entries, numbered on from last_seq.
 * The EVALSHA follows with the counters summed per minute, level and
 * service and each stream's lowest and highest offset, and a DEL of the
 * staging list ends it. Returns how many events it counts. Sets *per_event, and builds nothing,
 * when a stream's offsets do not rise within the batch. */
size_t sl_hot_redis_format_summed(sl_redis_txn *txn, const char *sha, const char *key_prefix,
				  size_t latest_cap, uint64_t last_seq, const sl_event *evs,
				  size_t n, const unsigned char *inserted, int *per_event);

/* Reads redis_version from the text of INFO server into *major and *minor.
 * Returns 0, or -1 when the text has no version. */
int sl_hot_redis_version(const char *info, int *major, int *minor);
/* The oldest Redis the writer's commands run on: COPY came in 6.2. */
#define SL_HOT_REDIS_MIN_MAJOR 6
#define SL_HOT_REDIS_MIN_MINOR 2

/* Splits an event id at its last ':' into the stream and a canonical
 * decimal offset (no leading zeros). Returns 0, or -1 when the id has no
 * numeric offset below 2^64 or the stream does not fit. */
int sl_hot_redis_split_id(const char *id, char *stream, size_t stream_len, char *offset,
			  size_t offset_len);

/* Parses one list entry, "<seq> <ts_ms> <recv_ms> <event JSON>", into seq
 * and ev (initialised by the caller). Returns 0, or -1 when the entry is
 * malformed; ev may then be partly filled and the caller clears it. */
int sl_hot_redis_parse_entry(const char *s, size_t len, uint64_t *seq, sl_event *ev);

#endif
