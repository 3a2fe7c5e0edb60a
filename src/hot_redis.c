/* hot_redis.c: the hot store in Redis (hiredis). Keys, all under
 * "<prefix>:":
 *
 *   latest         list of "<seq> <ts_ms> <recv_ms> <event JSON>", newest
 *                  first, trimmed to the latest cap
 *   seq            the sequence number of the newest pushed event
 *   hwm            hash: stream -> highest offset counted
 *   totals         hash: level name -> events counted
 *   newest_minute  start of the newest counted minute, ms
 *   m:<minute_ms>  hash: level:<name> and service:<name> -> events counted,
 *                  expiring after SL_HOT_REDIS_COUNTER_TTL_S
 *   staging        the next latest list, while a batch's transaction runs
 *
 * A batch is written by a Lua script that counts and pushes an event only
 * when its offset is above its stream's high-water mark, so a redelivered
 * batch changes nothing. The writer and the readers use separate
 * connections, so readers never wait for a batch in flight.
 *
 * The script has two modes. In batch mode, the common one, the client sends
 * per-minute counters already summed, each stream's lowest and highest
 * offset, and only the entries that survive the trim to the latest cap. So
 * the script's work does not grow with the batch. It applies the batch only
 * when every offset is above its stream's mark and otherwise returns -1,
 * and the client resends the batch in event mode, where the script checks
 * each event's offset itself.
 *
 * Batch mode runs in one MULTI/EXEC transaction, written in one round trip:
 * COPY of latest to staging and LTRIM to the entries that stay, LPUSH of the
 * new entries onto staging, the EVALSHA and a DEL of staging. The script
 * RENAMEs staging to latest when it applies the batch, so no entry passes
 * through Lua, which hashes every string it creates. The redis-server
 * 7.0.15 of Debian 12 hashes every byte, and with 1000 entries in ARGV the
 * EVALSHA took about 1.6 ms of server time per batch (bench/redis_sink, 2
 * cores), four times the rest of the batch. The DEL removes staging when
 * the script rejected the batch or failed, so staging exists only inside
 * the transaction. Event mode sends one EVALSHA with the entries in ARGV.
 *
 * NOTE: the write script builds the minute keys itself, so it runs on a
 * single Redis server (or a replicated primary), not on Redis Cluster. The
 * hwm hash gains one field per stream (Kafka partition, file generation,
 * generator run) and is never pruned. */
#define _POSIX_C_SOURCE 200809L

#include "hot_redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "log.h"

#define MINUTE_MS 60000
#define KEY_COUNT 6
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 10000
#define WARN_EVERY_MS 30000
/* Stats windows longer than the counter lifetime would only read expired
 * keys. */
#define STATS_MINUTES_MAX (SL_HOT_REDIS_COUNTER_TTL_S / 60)

/* KEYS: latest, seq, hwm, totals, newest_minute, staging. ARGV: minute key
 * prefix, latest cap, counter TTL, mode, then the mode's arguments.
 *
 * Mode "e", per event: stream, offset, minute_ms, level, service, payload.
 * An empty stream means the event has no offset and is always accepted.
 *
 * Mode "b", a summed batch, in this order: the events accepted and the seq the
 * client expects for the first entry. Then the stream count and per stream
 * its name, lowest offset and highest offset. Then the minute count and per
 * minute its minute_ms, field count and field and increment pairs. Then the
 * level count and per level its name and increment. Then the newest minute,
 * and last the count of entries "<seq> <ts_ms> <recv_ms> <event JSON>" that
 * the client pushed onto staging over the latest entries that stay. When
 * another writer moved seq, those entries get new seq prefixes. Then
 * staging replaces latest. Returns {-1, 0} without a change when an offset
 * is not above its stream's mark.
 *
 * Offsets are canonical decimals, so comparing length first and then
 * digits orders them without float rounding. Returns {events pushed,
 * newest seq}. */
static const char write_script[] =
	"local function above(a, b)\n"
	"  if #a ~= #b then return #a > #b end\n"
	"  for i = 1, #a do\n"
	"    local x, y = string.byte(a, i), string.byte(b, i)\n"
	"    if x ~= y then return x > y end\n"
	"  end\n"
	"  return false\n"
	"end\n"
	"local function push(key, entries, first, last)\n"
	"  for a = first, last, 1000 do\n"
	"    redis.call('LPUSH', key, unpack(entries, a, math.min(a + 999, last)))\n"
	"  end\n"
	"end\n"
	"local function renumber(n, first)\n"
	"  local items = redis.call('LRANGE', KEYS[6], 0, n - 1)\n"
	"  local entries = {}\n"
	"  for a = 1, n do\n"
	"    local e = items[n - a + 1]\n"
	"    local sp = string.find(e, ' ', 1, true)\n"
	"    entries[a] = string.format('%.0f', first + a - 1) .. string.sub(e, sp)\n"
	"  end\n"
	"  redis.call('LTRIM', KEYS[6], n, -1)\n"
	"  push(KEYS[6], entries, 1, n)\n"
	"end\n"
	"local function set_newest(newest)\n"
	"  local cur = redis.call('GET', KEYS[5])\n"
	"  if not cur or tonumber(newest) > tonumber(cur) then redis.call('SET', KEYS[5], newest) end\n"
	"end\n"
	"if ARGV[4] == 'b' then\n"
	"  local nstreams, i = tonumber(ARGV[7]), 8\n"
	"  for s = 1, nstreams do\n"
	"    local mark = redis.call('HGET', KEYS[3], ARGV[i])\n"
	"    if mark and not above(ARGV[i + 1], mark) then return {-1, 0} end\n"
	"    i = i + 3\n"
	"  end\n"
	"  local nmin = tonumber(ARGV[i])\n"
	"  i = i + 1\n"
	"  for m = 1, nmin do\n"
	"    local key, nf = ARGV[1] .. ARGV[i], tonumber(ARGV[i + 1])\n"
	"    i = i + 2\n"
	"    for f = 1, nf do\n"
	"      redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1])\n"
	"      i = i + 2\n"
	"    end\n"
	"    redis.call('EXPIRE', key, ARGV[3])\n"
	"  end\n"
	"  local nlev = tonumber(ARGV[i])\n"
	"  i = i + 1\n"
	"  for l = 1, nlev do\n"
	"    redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])\n"
	"    i = i + 2\n"
	"  end\n"
	"  set_newest(ARGV[i])\n"
	"  i = i + 1\n"
	"  local staged = tonumber(ARGV[i])\n"
	"  local last = redis.call('INCRBY', KEYS[2], tonumber(ARGV[5]))\n"
	"  local first = last - staged + 1\n"
	"  if first ~= tonumber(ARGV[6]) then renumber(staged, first) end\n"
	"  redis.call('RENAME', KEYS[6], KEYS[1])\n"
	"  local j = 8\n"
	"  for s = 1, nstreams do\n"
	"    redis.call('HSET', KEYS[3], ARGV[j], ARGV[j + 2])\n"
	"    j = j + 3\n"
	"  end\n"
	"  return {tonumber(ARGV[5]), last}\n"
	"end\n"
	"local marks, moved, accepted = {}, {}, {}\n"
	"local minutes, totals, newest = {}, {}, nil\n"
	"for i = 5, #ARGV - 5, 6 do\n"
	"  local stream, off = ARGV[i], ARGV[i + 1]\n"
	"  local take = true\n"
	"  if stream ~= '' then\n"
	"    local mark = marks[stream]\n"
	"    if mark == nil then\n"
	"      mark = redis.call('HGET', KEYS[3], stream)\n"
	"    end\n"
	"    if mark and not above(off, mark) then\n"
	"      take = false\n"
	"    else\n"
	"      mark = off\n"
	"      moved[stream] = off\n"
	"    end\n"
	"    marks[stream] = mark\n"
	"  end\n"
	"  if take then\n"
	"    local minute, level = ARGV[i + 2], ARGV[i + 3]\n"
	"    local m = minutes[minute]\n"
	"    if not m then m = {}; minutes[minute] = m end\n"
	"    local lf, sf = 'level:' .. level, 'service:' .. ARGV[i + 4]\n"
	"    m[lf] = (m[lf] or 0) + 1\n"
	"    m[sf] = (m[sf] or 0) + 1\n"
	"    totals[level] = (totals[level] or 0) + 1\n"
	"    if not newest or tonumber(minute) > tonumber(newest) then newest = minute end\n"
	"    accepted[#accepted + 1] = ARGV[i + 5]\n"
	"  end\n"
	"end\n"
	"if #accepted == 0 then\n"
	"  return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}\n"
	"end\n"
	"local last = redis.call('INCRBY', KEYS[2], #accepted)\n"
	"local first = last - #accepted + 1\n"
	"local entries = {}\n"
	"for j = 1, #accepted do\n"
	"  entries[j] = string.format('%.0f ', first + j - 1) .. accepted[j]\n"
	"end\n"
	"push(KEYS[1], entries, 1, #entries)\n"
	"redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)\n"
	"for stream, off in pairs(moved) do redis.call('HSET', KEYS[3], stream, off) end\n"
	"for minute, fields in pairs(minutes) do\n"
	"  local key = ARGV[1] .. minute\n"
	"  for field, n in pairs(fields) do redis.call('HINCRBY', key, field, n) end\n"
	"  redis.call('EXPIRE', key, ARGV[3])\n"
	"end\n"
	"for level, n in pairs(totals) do redis.call('HINCRBY', KEYS[4], level, n) end\n"
	"set_newest(newest)\n"
	"return {#accepted, last}\n";

/* KEYS: latest. ARGV: after_seq, max. Reads the entries after after_seq,
 * newest first, atomically with the head it measures from. The list contains
 * consecutive sequence numbers because each batch is pushed by one script.
 * A head below after_seq means the keys were reset, so reading starts
 * over. Returns {effective after_seq, entries...}. */
static const char since_script[] =
	"local head = redis.call('LINDEX', KEYS[1], 0)\n"
	"if not head then return {0} end\n"
	"local newest = tonumber(string.match(head, '^(%d+) '))\n"
	"local after = tonumber(ARGV[1])\n"
	"if not newest then return {after} end\n"
	"if newest < after then after = 0 end\n"
	"if newest == after then return {after} end\n"
	"local len = redis.call('LLEN', KEYS[1])\n"
	"local first = newest - after - 1\n"
	"if first > len - 1 then first = len - 1 end\n"
	"local last = first - tonumber(ARGV[2]) + 1\n"
	"if last < 0 then last = 0 end\n"
	"local items = redis.call('LRANGE', KEYS[1], last, first)\n"
	"table.insert(items, 1, after)\n"
	"return items\n";

/* One connection with its reconnect state; the lock serialises its users. */
typedef struct hot_conn {
	pthread_mutex_t lock;
	redisContext *ctx;
	const char *role;   /* "writer" or "reader", for logs */
	const char *script; /* the Lua script this connection runs */
	char sha[41];       /* the script's SHA1, loaded on this connection */
	int64_t retry_at;   /* sl_mono_ms() before which no connect is tried */
	int failures;       /* failed connects in a row */
} hot_conn;

typedef struct redis_hot {
	char *addr; /* as given, for messages */
	char *host;
	int port;
	char *unix_path;
	char *password;
	char *prefix;
	size_t cap;

	char *key_latest;
	char *key_seq;
	char *key_totals;
	char *key_newest;
	char *key_minute; /* "<prefix>:m:", followed by the minute */

	hot_conn writer;
	hot_conn reader;
	sl_redis_cmd cmd; /* the writer's per-event command, reused */
	sl_redis_txn txn; /* the writer's summed batch, reused */

	pthread_mutex_t state_lock; /* guards the fields below */
	int degraded;
	char reason[SL_ERRMSG_MAX];
	uint64_t last_seq; /* newest seq seen, returned while Redis is down */
	int64_t warned_at;
	uint64_t failed_batches; /* since the last warning */
	uint64_t lost_events;
} redis_hot;

/* --- command formatting ---------------------------------------------------- */

void sl_redis_cmd_init(sl_redis_cmd *cmd)
{
	memset(cmd, 0, sizeof *cmd);
	sl_buf_init(&cmd->data);
}

void sl_redis_cmd_free(sl_redis_cmd *cmd)
{
	sl_buf_free(&cmd->data);
	free(cmd->offsets);
	free(cmd->lengths);
	free(cmd->argv);
	sl_redis_cmd_init(cmd);
}

void sl_redis_cmd_reset(sl_redis_cmd *cmd)
{
	sl_buf_reset(&cmd->data);
	cmd->argc = 0;
}

void sl_redis_cmd_add(sl_redis_cmd *cmd, const void *bytes, size_t n)
{
	if (cmd->argc == cmd->cap) {
		cmd->cap = cmd->cap ? cmd->cap * 2 : 64;
		cmd->offsets = sl_realloc(cmd->offsets, cmd->cap * sizeof *cmd->offsets);
		cmd->lengths = sl_realloc(cmd->lengths, cmd->cap * sizeof *cmd->lengths);
		cmd->argv = sl_realloc(cmd->argv, cmd->cap * sizeof *cmd->argv);
	}
	cmd->offsets[cmd->argc] = cmd->data.len;
	cmd->lengths[cmd->argc] = n;
	cmd->argc++;
	sl_buf_append(&cmd->data, bytes, n);
	/* a NUL after each argument lets tests and logs read it as a string */
	sl_buf_putc(&cmd->data, '\0');
}

void sl_redis_cmd_add_str(sl_redis_cmd *cmd, const char *s)
{
	sl_redis_cmd_add(cmd, s, strlen(s));
}

static void cmd_add_int(sl_redis_cmd *cmd, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", v);

	sl_redis_cmd_add(cmd, num, (size_t)n);
}

static void cmd_add_key(sl_redis_cmd *cmd, const char *prefix, const char *name)
{
	size_t plen = strlen(prefix), nlen = strlen(name);
	char *key = sl_malloc(plen + nlen + 2);

	memcpy(key, prefix, plen);
	key[plen] = ':';
	memcpy(key + plen + 1, name, nlen + 1);
	sl_redis_cmd_add(cmd, key, plen + nlen + 1);
	free(key);
}

const char **sl_redis_cmd_argv(sl_redis_cmd *cmd)
{
	size_t i;

	for (i = 0; i < cmd->argc; i++)
		cmd->argv[i] = cmd->data.data + cmd->offsets[i];
	return cmd->argv;
}

void sl_redis_txn_init(sl_redis_txn *txn)
{
	size_t i;

	for (i = 0; i < SL_REDIS_TXN_MAX; i++)
		sl_redis_cmd_init(&txn->cmds[i]);
	txn->n = 0;
	txn->script = 0;
}

void sl_redis_txn_free(sl_redis_txn *txn)
{
	size_t i;

	for (i = 0; i < SL_REDIS_TXN_MAX; i++)
		sl_redis_cmd_free(&txn->cmds[i]);
	sl_redis_txn_init(txn);
}

/* Appends a command to txn and returns it empty. Its buffers are reused,
 * so formatting a batch allocates only while the batches grow. */
static sl_redis_cmd *txn_add(sl_redis_txn *txn)
{
	sl_redis_cmd *cmd = &txn->cmds[txn->n++];

	sl_redis_cmd_reset(cmd);
	return cmd;
}

/* Appends a command of the name and one key. */
static sl_redis_cmd *txn_add_key_cmd(sl_redis_txn *txn, const char *name, const char *key_prefix,
				     const char *key)
{
	sl_redis_cmd *cmd = txn_add(txn);

	sl_redis_cmd_add_str(cmd, name);
	cmd_add_key(cmd, key_prefix, key);
	return cmd;
}

int sl_hot_redis_split_id(const char *id, char *stream, size_t stream_len, char *offset,
			  size_t offset_len)
{
	const char *colon = strrchr(id, ':'), *digits;
	size_t slen, dlen;

	if (!colon || colon == id)
		return -1;
	slen = (size_t)(colon - id);
	digits = colon + 1;
	dlen = strspn(digits, "0123456789");
	if (dlen == 0 || digits[dlen] != '\0' || slen >= stream_len)
		return -1;

	while (dlen > 1 && *digits == '0') {
		digits++;
		dlen--;
	}
	/* 2^64 - 1 has 20 digits */
	if (dlen > 20 || (dlen == 20 && strcmp(digits, "18446744073709551615") > 0))
		return -1;
	if (dlen >= offset_len)
		return -1;

	memcpy(stream, id, slen);
	stream[slen] = '\0';
	memcpy(offset, digits, dlen + 1);
	return 0;
}

/* Appends the entry body that follows "<seq> ". */
static void format_payload_append(const sl_event *ev, sl_buf *out)
{
	sl_buf_put_i64(out, ev->ts_ms);
	sl_buf_putc(out, ' ');
	sl_buf_put_i64(out, ev->recv_ms);
	sl_buf_putc(out, ' ');
	sl_event_to_json(ev, out, 1);
}

/* Writes the entry body the script prefixes with "<seq> ". */
static void format_payload(const sl_event *ev, sl_buf *out)
{
	sl_buf_reset(out);
	format_payload_append(ev, out);
}

static void format_event(sl_redis_cmd *cmd, const sl_event *ev, const char *stream,
			 const char *offset, sl_buf *payload)
{
	const char *service = ev->service ? ev->service : "";

	sl_redis_cmd_add_str(cmd, stream);
	sl_redis_cmd_add_str(cmd, offset);
	cmd_add_int(cmd, sl_hot_floor_minute(ev->ts_ms));
	sl_redis_cmd_add_str(cmd, sl_level_name(ev->level));
	sl_redis_cmd_add(cmd, service, strlen(service));
	format_payload(ev, payload);
	sl_redis_cmd_add(cmd, payload->data, payload->len);
}

/* Starts the EVALSHA of the write script: keys, the fixed arguments and
 * the mode. */
static void format_head(sl_redis_cmd *cmd, const char *sha, const char *key_prefix,
			size_t latest_cap, const char *mode)
{
	sl_redis_cmd_reset(cmd);
	sl_redis_cmd_add_str(cmd, "EVALSHA");
	sl_redis_cmd_add_str(cmd, sha);
	cmd_add_int(cmd, KEY_COUNT);
	cmd_add_key(cmd, key_prefix, "latest");
	cmd_add_key(cmd, key_prefix, "seq");
	cmd_add_key(cmd, key_prefix, "hwm");
	cmd_add_key(cmd, key_prefix, "totals");
	cmd_add_key(cmd, key_prefix, "newest_minute");
	cmd_add_key(cmd, key_prefix, "staging");
	cmd_add_key(cmd, key_prefix, "m:");
	cmd_add_int(cmd, (long long)latest_cap);
	cmd_add_int(cmd, SL_HOT_REDIS_COUNTER_TTL_S);
	sl_redis_cmd_add_str(cmd, mode);
}

size_t sl_hot_redis_format_batch(sl_redis_cmd *cmd, const char *sha, const char *key_prefix,
				 size_t latest_cap, const sl_event *evs, size_t n,
				 const unsigned char *inserted)
{
	char stream[SL_ID_MAX], offset[24];
	sl_buf payload;
	size_t i, accepted = 0;

	format_head(cmd, sha, key_prefix, latest_cap, "e");
	sl_buf_init(&payload);
	for (i = 0; i < n; i++) {
		if (sl_hot_redis_split_id(evs[i].id, stream, sizeof stream, offset,
					  sizeof offset) != 0) {
			/* no offset to deduplicate by: trust the search store */
			if (inserted && !inserted[i])
				continue;
			stream[0] = offset[0] = '\0';
		}
		format_event(cmd, &evs[i], stream, offset, &payload);
		accepted++;
	}
	sl_buf_free(&payload);
	return accepted;
}

/* The sums of a batch for the script's batch mode. */
typedef struct stream_span {
	char name[SL_ID_MAX];
	char lo[24], hi[24]; /* lowest and highest offset */
} stream_span;

typedef struct minute_sum {
	int64_t minute;
	uint64_t levels[SL_LEVEL_COUNT];
	size_t first_service; /* first of its service_sum chain, SIZE_MAX when none */
} minute_sum;

typedef struct service_sum {
	const char *name; /* points into an event of the batch */
	uint64_t n;
	size_t next; /* next service of the same minute, or SIZE_MAX */
} service_sum;

typedef struct batch_sums {
	stream_span *streams;
	size_t nstreams;
	minute_sum *minutes;
	size_t nminutes;
	service_sum *services;
	size_t nservices;
	uint64_t levels[SL_LEVEL_COUNT];
	int64_t newest;
} batch_sums;

/* Compares canonical decimals: the longer is larger, then byte order. */
static int offset_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* Records offset for stream. Returns -1 when it is not above the stream's
 * previous offset in the batch, which only the per-event mode handles. */
static int add_offset(batch_sums *b, const char *stream, const char *offset)
{
	size_t i;

	for (i = 0; i < b->nstreams; i++) {
		if (strcmp(b->streams[i].name, stream) != 0)
			continue;
		if (offset_cmp(offset, b->streams[i].hi) <= 0)
			return -1;
		/* sl_hot_redis_split_id() made offset shorter than hi */
		memcpy(b->streams[i].hi, offset, strlen(offset) + 1);
		return 0;
	}
	b->streams = sl_realloc(b->streams, (b->nstreams + 1) * sizeof *b->streams);
	snprintf(b->streams[i].name, sizeof b->streams[i].name, "%s", stream);
	snprintf(b->streams[i].lo, sizeof b->streams[i].lo, "%s", offset);
	snprintf(b->streams[i].hi, sizeof b->streams[i].hi, "%s", offset);
	b->nstreams++;
	return 0;
}

/* Adds one event to the sums of its minute, level and service. */
static void add_counts(batch_sums *b, const sl_event *ev)
{
	int64_t minute = sl_hot_floor_minute(ev->ts_ms);
	const char *service = ev->service ? ev->service : "";
	minute_sum *m = NULL;
	size_t i, k, last = SIZE_MAX;

	for (i = 0; i < b->nminutes && !m; i++) {
		if (b->minutes[i].minute == minute)
			m = &b->minutes[i];
	}
	if (!m) {
		b->minutes = sl_realloc(b->minutes, (b->nminutes + 1) * sizeof *b->minutes);
		m = &b->minutes[b->nminutes++];
		memset(m, 0, sizeof *m);
		m->minute = minute;
		m->first_service = SIZE_MAX;
	}
	m->levels[ev->level]++;
	b->levels[ev->level]++;
	if (minute > b->newest)
		b->newest = minute;

	for (k = m->first_service; k != SIZE_MAX; k = b->services[k].next) {
		if (strcmp(b->services[k].name, service) == 0) {
			b->services[k].n++;
			return;
		}
		last = k;
	}
	b->services = sl_realloc(b->services, (b->nservices + 1) * sizeof *b->services);
	b->services[b->nservices].name = service;
	b->services[b->nservices].n = 1;
	b->services[b->nservices].next = SIZE_MAX;
	/* link by index: the realloc above may have moved the chain */
	if (last == SIZE_MAX)
		m->first_service = b->nservices;
	else
		b->services[last].next = b->nservices;
	b->nservices++;
}

static void sums_free(batch_sums *b)
{
	free(b->streams);
	free(b->minutes);
	free(b->services);
}

/* Appends the sums: streams, minutes with their level and service
 * increments, levels and the newest minute. */
static void format_sums(sl_redis_cmd *cmd, const batch_sums *b)
{
	char field[SL_ID_MAX + 16];
	sl_buf name;
	size_t i, k, nfields;
	int level;

	cmd_add_int(cmd, (long long)b->nstreams);
	for (i = 0; i < b->nstreams; i++) {
		sl_redis_cmd_add_str(cmd, b->streams[i].name);
		sl_redis_cmd_add_str(cmd, b->streams[i].lo);
		sl_redis_cmd_add_str(cmd, b->streams[i].hi);
	}
	sl_buf_init(&name);
	cmd_add_int(cmd, (long long)b->nminutes);
	for (i = 0; i < b->nminutes; i++) {
		const minute_sum *m = &b->minutes[i];

		nfields = 0;
		for (level = 0; level < SL_LEVEL_COUNT; level++)
			nfields += m->levels[level] != 0;
		for (k = m->first_service; k != SIZE_MAX; k = b->services[k].next)
			nfields++;
		cmd_add_int(cmd, m->minute);
		cmd_add_int(cmd, (long long)nfields);
		for (level = 0; level < SL_LEVEL_COUNT; level++) {
			if (!m->levels[level])
				continue;
			snprintf(field, sizeof field, "level:%s", sl_level_name((sl_level)level));
			sl_redis_cmd_add_str(cmd, field);
			cmd_add_int(cmd, (long long)m->levels[level]);
		}
		for (k = m->first_service; k != SIZE_MAX; k = b->services[k].next) {
			sl_buf_reset(&name);
			sl_buf_printf(&name, "service:%s", b->services[k].name);
			sl_redis_cmd_add(cmd, name.data, name.len);
			cmd_add_int(cmd, (long long)b->services[k].n);
		}
	}
	sl_buf_free(&name);

	nfields = 0;
	for (level = 0; level < SL_LEVEL_COUNT; level++)
		nfields += b->levels[level] != 0;
	cmd_add_int(cmd, (long long)nfields);
	for (level = 0; level < SL_LEVEL_COUNT; level++) {
		if (!b->levels[level])
			continue;
		sl_redis_cmd_add_str(cmd, sl_level_name((sl_level)level));
		cmd_add_int(cmd, (long long)b->levels[level]);
	}
	cmd_add_int(cmd, b->newest);
}

/* Appends the LPUSH of the entries of the newest pushed accepted events
 * onto the staging list, oldest first, numbered from first_seq. */
static void format_push(sl_redis_txn *txn, const char *key_prefix, uint64_t first_seq,
			const sl_event *evs, size_t n, const unsigned char *take, size_t skip)
{
	sl_redis_cmd *cmd = txn_add_key_cmd(txn, "LPUSH", key_prefix, "staging");
	sl_buf entry;
	size_t i;

	sl_buf_init(&entry);
	for (i = 0; i < n; i++) {
		if (!take[i] || (skip && skip--))
			continue;
		sl_buf_reset(&entry);
		sl_buf_put_u64(&entry, first_seq++);
		sl_buf_putc(&entry, ' ');
		format_payload_append(&evs[i], &entry);
		sl_redis_cmd_add(cmd, entry.data, entry.len);
	}
	sl_buf_free(&entry);
}

size_t sl_hot_redis_format_summed(sl_redis_txn *txn, const char *sha, const char *key_prefix,
				  size_t latest_cap, uint64_t last_seq, const sl_event *evs,
				  size_t n, const unsigned char *inserted, int *per_event)
{
	char stream[SL_ID_MAX], offset[24];
	unsigned char *take = sl_calloc(n ? n : 1, 1);
	size_t i, accepted = 0, pushed;
	sl_redis_cmd *cmd;
	batch_sums b;

	memset(&b, 0, sizeof b);
	b.newest = INT64_MIN;
	*per_event = 0;
	txn->n = 0;
	for (i = 0; i < n; i++) {
		if (sl_hot_redis_split_id(evs[i].id, stream, sizeof stream, offset,
					  sizeof offset) != 0) {
			/* no offset to deduplicate by: trust the search store */
			if (inserted && !inserted[i])
				continue;
		} else if (add_offset(&b, stream, offset) < 0) {
			*per_event = 1;
			goto out;
		}
		add_counts(&b, &evs[i]);
		take[i] = 1;
		accepted++;
	}
	if (accepted == 0)
		goto out;

	/* The staging list becomes the latest list when the script accepts
	 * the batch. It starts as a copy of the entries that stay after the
	 * trim to the cap, and only the newest latest_cap entries are pushed,
	 * since older ones would be trimmed at once. */
	pushed = accepted < latest_cap ? accepted : latest_cap;
	sl_redis_cmd_add_str(txn_add(txn), "MULTI");
	if (pushed < latest_cap) {
		cmd = txn_add_key_cmd(txn, "COPY", key_prefix, "latest");
		cmd_add_key(cmd, key_prefix, "staging");
		sl_redis_cmd_add_str(cmd, "REPLACE");
		cmd = txn_add_key_cmd(txn, "LTRIM", key_prefix, "staging");
		cmd_add_int(cmd, 0);
		cmd_add_int(cmd, (long long)(latest_cap - pushed - 1));
	}
	format_push(txn, key_prefix, last_seq + accepted - pushed + 1, evs, n, take,
		    accepted - pushed);

	txn->script = txn->n;
	cmd = txn_add(txn);
	format_head(cmd, sha, key_prefix, latest_cap, "b");
	cmd_add_int(cmd, (long long)accepted);
	cmd_add_int(cmd, (long long)(last_seq + accepted - pushed + 1));
	format_sums(cmd, &b);
	cmd_add_int(cmd, (long long)pushed);

	/* a script that rejected the batch or failed leaves the staging list */
	txn_add_key_cmd(txn, "DEL", key_prefix, "staging");
	sl_redis_cmd_add_str(txn_add(txn), "EXEC");
out:
	free(take);
	sums_free(&b);
	return *per_event ? 0 : accepted;
}

/* --- entry parsing --------------------------------------------------------- */

/* Parses a decimal (optionally negative) integer ending at a space. */
static int parse_num(const char **p, const char *end, int allow_minus, int64_t *out)
{
	const char *s = *p;
	int neg = 0;
	uint64_t v = 0;

	if (allow_minus && s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s == end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == end || *s != ' ' || v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*p = s + 1;
	return 0;
}

/* Reads the \u escape at s (after the backslash and 'u'), joining a
 * surrogate pair. Returns the bytes consumed after "\u", or -1. */
static int unescape_u(const char *s, const char *end, sl_buf *out)
{
	unsigned hi, lo;

	if (sl_parse_hex4(s, (size_t)(end - s), &hi) != 0)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff && end - s >= 10 && s[4] == '\\' && s[5] == 'u' &&
	    sl_parse_hex4(s + 6, (size_t)(end - s - 6), &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
		sl_buf_put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
		return 10;
	}
	sl_buf_put_utf8(out, hi);
	return 4;
}

/* Decodes the JSON string body [s, end) into out. Returns 0, or -1 on a bad
 * escape. */
static int unescape(const char *s, const char *end, sl_buf *out)
{
	sl_buf_reset(out);
	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));
		int used;

		if (!bs) {
			sl_buf_append(out, s, (size_t)(end - s));
			break;
		}
		sl_buf_append(out, s, (size_t)(bs - s));
		if (bs + 1 == end)
			return -1;
		s = bs + 2;
		switch (bs[1]) {
		case '"': sl_buf_putc(out, '"'); break;
		case '\\': sl_buf_putc(out, '\\'); break;
		case '/': sl_buf_putc(out, '/'); break;
		case 'b': sl_buf_putc(out, '\b'); break;
		case 'f': sl_buf_putc(out, '\f'); break;
		case 'n': sl_buf_putc(out, '\n'); break;
		case 'r': sl_buf_putc(out, '\r'); break;
		case 't': sl_buf_putc(out, '\t'); break;
		case 'u':
			used = unescape_u(s, end, out);
			if (used < 0)
				return -1;
			s += used;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* Returns the index of the token after the value at tokens[i]. */
static int skip_value(const jsmntok_t *t, int i, int count)
{
	int pairs, k;

	if (i >= count)
		return count;
	if (t[i].type == JSMN_OBJECT) {
		pairs = t[i].size;
		i++;
		for (k = 0; k < pairs && i < count; k++)
			i = skip_value(t, i + 1, count);
		return i;
	}
	if (t[i].type == JSMN_ARRAY) {
		pairs = t[i].size;
		i++;
		for (k = 0; k < pairs && i < count; k++)
			i = skip_value(t, i, count);
		return i;
	}
	return i + 1;
}

typedef struct json_doc {
	const char *js;
	const jsmntok_t *t;
	int count;
	sl_buf text; /* the last unescaped string */
} json_doc;

static int tok_is(const json_doc *d, int i, const char *name)
{
	size_t n = strlen(name);

	return d->t[i].type == JSMN_STRING && (size_t)(d->t[i].end - d->t[i].start) == n &&
	       memcmp(d->js + d->t[i].start, name, n) == 0;
}

/* Unescapes the string token i into d->text. Returns 0, or -1 when the token
 * is not a string or has a bad escape. */
static int tok_text(json_doc *d, int i)
{
	if (d->t[i].type != JSMN_STRING)
		return -1;
	return unescape(d->js + d->t[i].start, d->js + d->t[i].end, &d->text);
}

static int parse_fields(json_doc *d, int i, sl_event *ev)
{
	int pairs = d->t[i].size, k;
	char *key;

	if (d->t[i].type != JSMN_OBJECT)
		return -1;
	i++;
	for (k = 0; k < pairs; k++) {
		if (i + 1 >= d->count || tok_text(d, i) != 0)
			return -1;
		key = sl_buf_steal(&d->text);
		if (tok_text(d, i + 1) != 0) {
			free(key);
			return -1;
		}
		sl_event_set_field(ev, key, strlen(key), d->text.data, d->text.len);
		free(key);
		i += 2;
	}
	return 0;
}

/* Sets the member whose key is token i from the value at i + 1. Unknown
 * members are skipped. Returns 0, or -1 on a value of the wrong type. */
static int parse_member(json_doc *d, int i, sl_event *ev)
{
	static const char *const names[] = {"service", "host", "message", "raw"};
	char **slots[] = {&ev->service, &ev->host, &ev->message, &ev->raw};
	size_t k;

	if (tok_is(d, i, "fields"))
		return parse_fields(d, i + 1, ev);
	if (tok_is(d, i, "flags")) {
		int64_t flags;
		const char *p = d->js + d->t[i + 1].start;
		char num[24];
		size_t n = (size_t)(d->t[i + 1].end - d->t[i + 1].start);

		if (d->t[i + 1].type != JSMN_PRIMITIVE || n + 2 > sizeof num)
			return -1;
		memcpy(num, p, n);
		num[n] = ' ';
		p = num;
		if (parse_num(&p, num + n + 1, 0, &flags) != 0 || flags > UINT32_MAX)
			return -1;
		ev->flags = (unsigned)flags;
		return 0;
	}
	if (d->t[i + 1].type != JSMN_STRING)
		return tok_is(d, i, "id") || tok_is(d, i, "level") ? -1 : 0;
	if (tok_text(d, i + 1) != 0)
		return -1;
	if (tok_is(d, i, "id")) {
		if (d->text.len >= SL_ID_MAX)
			return -1;
		memcpy(ev->id, d->text.data, d->text.len + 1);
	} else if (tok_is(d, i, "level")) {
		ev->level = sl_level_parse(d->text.data, d->text.len);
	}
	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		if (tok_is(d, i, names[k]))
			sl_event_set_str(slots[k], d->text.data, d->text.len);
	}
	return 0;
}

/* Fills ev from the object sl_event_to_json() wrote. */
static int parse_event_json(const char *js, size_t len, sl_event *ev)
{
	jsmn_parser parser;
	jsmntok_t *tokens = NULL;
	json_doc d;
	int count, i, k, rc = -1;

	jsmn_init(&parser);
	count = jsmn_parse(&parser, js, len, NULL, 0);
	if (count < 1)
		return -1;
	tokens = sl_malloc((size_t)count * sizeof *tokens);
	jsmn_init(&parser);
	if (jsmn_parse(&parser, js, len, tokens, (unsigned)count) != count ||
	    tokens[0].type != JSMN_OBJECT) {
		free(tokens);
		return -1;
	}

	d.js = js;
	d.t = tokens;
	d.count = count;
	sl_buf_init(&d.text);
	for (i = 1, k = 0; k < tokens[0].size; k++) {
		if (i + 1 >= count || parse_member(&d, i, ev) != 0)
			goto out;
		i = skip_value(tokens, i + 1, count);
	}
	rc = 0;
out:
	sl_buf_free(&d.text);
	free(tokens);
	return rc;
}

int sl_hot_redis_parse_entry(const char *s, size_t len, uint64_t *seq, sl_event *ev)
{
	const char *p = s, *end = s + len;
	int64_t v;

	if (parse_num(&p, end, 0, &v) != 0)
		return -1;
	*seq = (uint64_t)v;
	if (parse_num(&p, end, 1, &ev->ts_ms) != 0)
		return -1;
	if (parse_num(&p, end, 1, &ev->recv_ms) != 0)
		return -1;
	if (parse_event_json(p, (size_t)(end - p), ev) != 0)
		return -1;

	/* sl_event_to_json() always writes these, but a hand-made entry may not */
	if (!ev->service)
		sl_event_set_str(&ev->service, "", 0);
	if (!ev->host)
		sl_event_set_str(&ev->host, "", 0);
	if (!ev->message)
		sl_event_set_str(&ev->message, "", 0);
	if (!ev->raw)
		sl_event_set_str(&ev->raw, ev->message, strlen(ev->message));
	return 0;
}

/* --- connections ----------------------------------------------------------- */

static struct timeval timeout_tv(void)
{
	struct timeval tv = {
		.tv_sec = SL_HOT_REDIS_TIMEOUT_MS / 1000,
		.tv_usec = (SL_HOT_REDIS_TIMEOUT_MS % 1000) * 1000,
	};

	return tv;
}

/* Sends one command built from strings. Returns the reply, or NULL with err
 * set; a reply that is a Redis error is freed and reported in err. */
static redisReply *simple_command(redisContext *ctx, int argc, const char **argv, sl_error *err)
{
	size_t lens[4];
	redisReply *reply;
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	reply = redisCommandArgv(ctx, argc, argv, lens);
	if (!reply) {
		sl_error_set(err, 0, "%s failed: %s", argv[0], ctx->errstr);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		sl_error_set(err, 0, "%s failed: %.*s", argv[0], (int)reply->len, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

static int load_script(hot_conn *c, sl_error *err)
{
	const char *argv[] = {"SCRIPT", "LOAD", c->script};
	redisReply *reply = simple_command(c->ctx, 3, argv, err);

	if (!reply)
		return -1;
	if (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof c->sha) {
		sl_error_set(err, 0, "SCRIPT LOAD returned no SHA1");
		freeReplyObject(reply);
		return -1;
	}
	memcpy(c->sha, reply->str, reply->len);
	c->sha[reply->len] = '\0';
	freeReplyObject(reply);
	return 0;
}

static redisContext *connect_ctx(const redis_hot *rh, sl_error *err)
{
	redisContext *ctx;

	if (rh->unix_path)
		ctx = redisConnectUnixWithTimeout(rh->unix_path, timeout_tv());
	else
		ctx = redisConnectWithTimeout(rh->host, rh->port, timeout_tv());
	if (!ctx) {
		sl_error_set(err, 0, "cannot connect to Redis at %s: out of memory", rh->addr);
		return NULL;
	}
	if (ctx->err) {
		sl_error_set(err, 0, "cannot connect to Redis at %s: %s", rh->addr, ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, timeout_tv()) != REDIS_OK) {
		sl_error_set(err, 0, "cannot set the Redis timeout: %s", ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

/* Connects c, authenticates and loads its script. Returns 0, or -1 with err
 * set and c left without a context. */
int sl_hot_redis_version(const char *info, int *major, int *minor)
{
	const char *p = info ? strstr(info, "redis_version:") : NULL;
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen("redis_version:");
	v = strtol(p, &end, 10);
	if (end == p || *end != '.' || v < 0 || v > 1000)
		return -1;
	*major = (int)v;
	p = end + 1;
	v = strtol(p, &end, 10);
	if (end == p || v < 0 || v > 1000)
		return -1;
	*minor = (int)v;
	return 0;
}

/* Checks that the server runs Redis 6.2 or later, whose COPY the batch
 * transaction needs. A server that hides its version passes. */
static int check_version(const redis_hot *rh, redisContext *ctx, sl_error *err)
{
	const char *argv[] = {"INFO", "server"};
	redisReply *reply = simple_command(ctx, 2, argv, err);
	int major, minor, rc = 0;

	if (!reply)
		return -1;
	if (reply->type == REDIS_REPLY_STRING) {
		if (sl_hot_redis_version(reply->str, &major, &minor) == 0 &&
		    (major < SL_HOT_REDIS_MIN_MAJOR ||
		     (major == SL_HOT_REDIS_MIN_MAJOR && minor < SL_HOT_REDIS_MIN_MINOR))) {
			sl_error_set(err, 0, "Redis at %s is version %d.%d; StreamLens needs %d.%d "
				     "or later", rh->addr, major, minor, SL_HOT_REDIS_MIN_MAJOR,
				     SL_HOT_REDIS_MIN_MINOR);
			rc = -1;
		}
	}
	freeReplyObject(reply);
	return rc;
}

static int conn_open(const redis_hot *rh, hot_conn *c, sl_error *err)
{
	redisReply *reply;

	c->ctx = connect_ctx(rh, err);
	if (!c->ctx)
		return -1;
	if (rh->password) {
		const char *argv[] = {"AUTH", rh->password};

		/* the error names the command only, never the password */
		reply = simple_command(c->ctx, 2, argv, err);
		if (!reply) {
			char reason[SL_ERRMSG_MAX];

			snprintf(reason, sizeof reason, "%s", err->message);
			sl_error_set(err, 0, "Redis at %s rejected the password from "
				     "--redis-password-file or STREAMLENS_REDIS_PASSWORD: %s",
				     rh->addr, reason);
			goto fail;
		}
		freeReplyObject(reply);
	}
	if (load_script(c, err) != 0) {
		if (!rh->password && strstr(err->message, "NOAUTH"))
			sl_error_set(err, 0, "Redis at %s requires a password: give "
				     "--redis-password-file FILE or set STREAMLENS_REDIS_PASSWORD",
				     rh->addr);
		goto fail;
	}
	if (c->script == write_script && check_version(rh, c->ctx, err) != 0)
		goto fail;
	return 0;
fail:
	redisFree(c->ctx);
	c->ctx = NULL;
	return -1;
}

/* Drops the context after an I/O error. The next call reconnects at once,
 * since a restarted server is the usual cause; failed connects back off. */
static void conn_drop(hot_conn *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
	c->retry_at = 0;
	c->failures = 0;
}

/* Returns a connected context, connecting when needed but not before the
 * backoff delay has passed. Returns NULL with err set. The caller holds
 * c->lock. */
static redisContext *conn_get(const redis_hot *rh, hot_conn *c, sl_error *err)
{
	int64_t now = sl_mono_ms();
	int delay;

	if (c->ctx)
		return c->ctx;
	if (now < c->retry_at) {
		sl_error_set(err, 0, "Redis at %s is unreachable; next attempt in %lld ms",
			     rh->addr, (long long)(c->retry_at - now));
		return NULL;
	}
	if (conn_open(rh, c, err) == 0) {
		if (c->failures)
			sl_info("redis", "%s connected again to %s", c->role, rh->addr);
		c->failures = 0;
		return c->ctx;
	}

	delay = RECONNECT_MIN_MS;
	for (int i = 0; i < c->failures && delay < RECONNECT_MAX_MS; i++)
		delay *= 2;
	if (delay > RECONNECT_MAX_MS)
		delay = RECONNECT_MAX_MS;
	c->failures++;
	c->retry_at = now + delay;
	return NULL;
}

/* Runs an argv command on c. Returns the reply (an error reply is freed and
 * reported in err), or NULL with err set; an I/O error drops the context. */
static redisReply *conn_run(hot_conn *c, int argc, const char **argv, const size_t *lens,
			    sl_error *err)
{
	redisReply *reply = redisCommandArgv(c->ctx, argc, argv, lens);

	if (!reply) {
		sl_error_set(err, 0, "Redis %s failed: %s", argv[0], c->ctx->errstr);
		conn_drop(c);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		sl_error_set(err, 0, "Redis %s failed: %.*s", argv[0], (int)reply->len, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Runs EVALSHA (argv[1] is replaced by c's SHA1). A server that lost its
 * scripts (restarted, SCRIPT FLUSH) gets the script again and one retry. */
static redisReply *conn_evalsha(hot_conn *c, int argc, const char **argv, size_t *lens,
				sl_error *err)
{
	redisReply *reply;

	argv[1] = c->sha;
	lens[1] = strlen(c->sha);
	reply = conn_run(c, argc, argv, lens, err);
	if (reply || !c->ctx || strstr(err->message, "NOSCRIPT") == NULL)
		return reply;
	if (load_script(c, err) != 0) {
		if (c->ctx->err)
			conn_drop(c);
		return NULL;
	}
	argv[1] = c->sha;
	return conn_run(c, argc, argv, lens, err);
}

/* Writes every command of txn and reads their replies. Returns the EXEC
 * reply, an array with one reply per queued command, or NULL with err set.
 * An I/O error drops the context, and a command rejected while queued
 * aborts the transaction. */
static redisReply *conn_run_txn(hot_conn *c, sl_redis_txn *txn, sl_error *err)
{
	redisReply *reply = NULL;
	int rejected = 0;
	size_t i;

	for (i = 0; i < txn->n; i++) {
		sl_redis_cmd *cmd = &txn->cmds[i];
		const char **argv = sl_redis_cmd_argv(cmd);

		if (i == txn->script) {
			argv[1] = c->sha;
			cmd->lengths[1] = strlen(c->sha);
		}
		if (redisAppendCommandArgv(c->ctx, (int)cmd->argc, argv, cmd->lengths) != REDIS_OK) {
			/* the commands appended so far would run without the rest */
			sl_error_set(err, 0, "Redis transaction failed: %s", c->ctx->errstr);
			conn_drop(c);
			return NULL;
		}
	}

	/* the first read sends every command at once */
	for (i = 0; i < txn->n; i++) {
		const char *name = txn->cmds[i].data.data;

		if (redisGetReply(c->ctx, (void **)&reply) != REDIS_OK || !reply) {
			sl_error_set(err, 0, "Redis transaction failed: %s", c->ctx->errstr);
			conn_drop(c);
			return NULL;
		}
		if (reply->type == REDIS_REPLY_ERROR && !rejected) {
			sl_error_set(err, 0, "Redis %s failed: %.*s", name, (int)reply->len,
				     reply->str);
			rejected = 1;
		}
		if (i + 1 < txn->n)
			freeReplyObject(reply);
	}
	if (!rejected && (reply->type != REDIS_REPLY_ARRAY || reply->elements != txn->n - 2)) {
		sl_error_set(err, 0, "Redis EXEC returned an unexpected reply");
		rejected = 1;
	}
	if (rejected) {
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Runs txn, whose EVALSHA is replaced by c's SHA1, and returns its EXEC
 * reply, or NULL with err set when any command failed. A server that lost
 * its scripts gets the script again and the transaction once more. */
static redisReply *conn_txn(hot_conn *c, sl_redis_txn *txn, sl_error *err)
{
	redisReply *reply = conn_run_txn(c, txn, err);
	const redisReply *script;
	size_t i;

	if (!reply)
		return NULL;
	script = reply->element[txn->script - 1];
	if (script->type == REDIS_REPLY_ERROR && strstr(script->str, "NOSCRIPT")) {
		freeReplyObject(reply);
		if (load_script(c, err) != 0) {
			if (c->ctx->err)
				conn_drop(c);
			return NULL;
		}
		reply = conn_run_txn(c, txn, err);
		if (!reply)
			return NULL;
	}

	/* EXEC runs the rest of the commands when one fails */
	for (i = 0; i < reply->elements; i++) {
		const redisReply *r = reply->element[i];

		if (r->type == REDIS_REPLY_ERROR) {
			sl_error_set(err, 0, "Redis %s failed: %.*s", txn->cmds[i + 1].data.data,
				     (int)r->len, r->str);
			freeReplyObject(reply);
			return NULL;
		}
	}
	return reply;
}

/* --- state ----------------------------------------------------------------- */

static void state_ok(redis_hot *rh)
{
	pthread_mutex_lock(&rh->state_lock);
	if (rh->degraded)
		sl_info("redis", "hot store at %s reachable again", rh->addr);
	rh->degraded = 0;
	rh->reason[0] = '\0';
	pthread_mutex_unlock(&rh->state_lock);
}

static void state_failed(redis_hot *rh, const sl_error *err)
{
	pthread_mutex_lock(&rh->state_lock);
	rh->degraded = 1;
	snprintf(rh->reason, sizeof rh->reason, "%s", err->message);
	pthread_mutex_unlock(&rh->state_lock);
}

/* Counts a failed write and warns at most once per WARN_EVERY_MS. */
static void warn_write_failed(redis_hot *rh, size_t events, const sl_error *err)
{
	int64_t now = sl_mono_ms();

	pthread_mutex_lock(&rh->state_lock);
	rh->failed_batches++;
	rh->lost_events += events;
	if (!rh->warned_at || now - rh->warned_at >= WARN_EVERY_MS) {
		sl_warn("redis", "hot store write failed: %s; %" PRIu64 " events in %" PRIu64
			" batches are missing from the hot store; ingestion into the search "
			"store goes on", err->message, rh->lost_events, rh->failed_batches);
		rh->warned_at = now;
		rh->failed_batches = 0;
		rh->lost_events = 0;
	}
	pthread_mutex_unlock(&rh->state_lock);
}

static void note_seq(redis_hot *rh, uint64_t seq)
{
	pthread_mutex_lock(&rh->state_lock);
	rh->last_seq = seq;
	pthread_mutex_unlock(&rh->state_lock);
}

static redis_hot *impl(sl_hot *hot)
{
	return hot->impl;
}

/* --- writes ---------------------------------------------------------------- */

/* Reads the write script's reply {events, newest seq}. Returns 0 with *seq
 * set, 1 when the script rejected a summed batch, or -1 with err set. */
static int script_result(const redisReply *reply, uint64_t *seq, sl_error *err)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER) {
		sl_error_set(err, 0, "the Redis write script returned an unexpected reply");
		return -1;
	}
	if (reply->element[0]->integer < 0)
		return 1;
	*seq = (uint64_t)reply->element[1]->integer;
	return 0;
}

/* Sends rh->cmd, the per-event mode. Returns as script_result() does. */
static int send_batch(redis_hot *rh, uint64_t *seq, sl_error *err)
{
	const char **argv = sl_redis_cmd_argv(&rh->cmd);
	redisReply *reply;
	int rc;

	reply = conn_evalsha(&rh->writer, (int)rh->cmd.argc, argv, rh->cmd.lengths, err);
	if (!reply)
		return -1;
	rc = script_result(reply, seq, err);
	freeReplyObject(reply);
	return rc;
}

/* Sends the batch in the script's batch mode. Returns 0 when it is stored
 * or has nothing to count, 1 when the per-event mode must handle it, or -1
 * with err set. Sets *accepted to the events it carried. */
static int send_summed(redis_hot *rh, const sl_event *evs, size_t n,
		       const unsigned char *inserted, size_t *accepted, uint64_t *seq, sl_error *err)
{
	uint64_t last_seq;
	redisReply *reply;
	int per_event, rc;

	pthread_mutex_lock(&rh->state_lock);
	last_seq = rh->last_seq;
	pthread_mutex_unlock(&rh->state_lock);
	*accepted = sl_hot_redis_format_summed(&rh->txn, rh->writer.sha, rh->prefix, rh->cap,
					    last_seq, evs, n, inserted, &per_event);
	if (per_event)
		return 1;
	if (*accepted == 0)
		return 0;
	reply = conn_txn(&rh->writer, &rh->txn, err);
	if (!reply)
		return -1;
	rc = script_result(reply->element[rh->txn.script - 1], seq, err);
	freeReplyObject(reply);
	return rc;
}

static int redis_add_batch(sl_hot *hot, const sl_event *evs, size_t n,
			   const unsigned char *inserted)
{
	redis_hot *rh = impl(hot);
	hot_conn *c = &rh->writer;
	uint64_t seq = 0;
	size_t accepted;
	sl_error err = {{0}, 0};
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	if (!conn_get(rh, c, &err)) {
		accepted = n;
		goto out;
	}
	rc = send_summed(rh, evs, n, inserted, &accepted, &seq, &err);
	if (rc != 1)
		goto out;
	/* an offset at or below its stream's mark: let the script check each */
	accepted = sl_hot_redis_format_batch(&rh->cmd, c->sha, rh->prefix, rh->cap, evs, n, inserted);
	rc = accepted ? send_batch(rh, &seq, &err) : 0;
out:
	pthread_mutex_unlock(&c->lock);

	/* NOTE: a failed batch is not kept for a later retry, so its events
	 * stay missing from the shared list and counters (the search store
	 * has them). A bounded queue replayed after reconnecting would close
	 * that gap, and the high-water marks would keep it from counting twice. */
	if (rc != 0) {
		state_failed(rh, &err);
		warn_write_failed(rh, accepted, &err);
		return -1;
	}
	state_ok(rh);
	if (seq)
		note_seq(rh, seq);
	return 0;
}

/* Every writer fills the shared keys through the deduplicating script.
 * Rebuilding them from one process's search store would count events twice,
 * so the rebuild calls do nothing here. */
static void redis_count(sl_hot *hot, int64_t minute_ms, sl_level level, uint32_t n)
{
	(void)hot;
	(void)minute_ms;
	(void)level;
	(void)n;
}

static void redis_push_latest(sl_hot *hot, const sl_event *ev)
{
	(void)hot;
	(void)ev;
}

/* --- reads ----------------------------------------------------------------- */

/* Takes the reader connection, connected. Returns NULL with the lock
 * released and the store marked degraded when Redis cannot be reached. */
static hot_conn *reader_begin(redis_hot *rh)
{
	hot_conn *c = &rh->reader;
	sl_error err = {{0}, 0};

	pthread_mutex_lock(&c->lock);
	if (conn_get(rh, c, &err))
		return c;
	pthread_mutex_unlock(&c->lock);
	state_failed(rh, &err);
	return NULL;
}

/* Runs one command on the reader connection (held by the caller) and
 * updates the degraded state. Returns the reply or NULL. */
static redisReply *reader_run(redis_hot *rh, int argc, const char **argv)
{
	size_t lens[8];
	sl_error err = {{0}, 0};
	redisReply *reply;
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	reply = conn_run(&rh->reader, argc, argv, lens, &err);
	if (reply)
		state_ok(rh);
	else
		state_failed(rh, &err);
	return reply;
}

/* Parses n reply entries into out. A malformed entry is skipped with a
 * warning. Returns how many events were filled. */
static size_t parse_entries(const redis_hot *rh, redisReply **items, size_t n, sl_event *out)
{
	size_t i, got = 0;
	uint64_t seq;

	for (i = 0; i < n; i++) {
		sl_event_clear(&out[got]);
		if (items[i]->type == REDIS_REPLY_STRING &&
		    sl_hot_redis_parse_entry(items[i]->str, items[i]->len, &seq, &out[got]) == 0) {
			got++;
			continue;
		}
		sl_event_clear(&out[got]);
		sl_warn("redis", "skipped a malformed entry in %s (it starts '%.20s')",
			rh->key_latest, items[i]->type == REDIS_REPLY_STRING ? items[i]->str : "");
	}
	return got;
}

static size_t redis_latest(sl_hot *hot, size_t n, sl_event *out)
{
	redis_hot *rh = impl(hot);
	hot_conn *c;
	redisReply *reply;
	char stop[32];
	size_t got = 0;

	if (n == 0)
		return 0;
	if (n > rh->cap)
		n = rh->cap;
	snprintf(stop, sizeof stop, "%zu", n - 1);
	c = reader_begin(rh);
	if (!c)
		return 0;
	reply = reader_run(rh, 4, (const char *[]){"LRANGE", rh->key_latest, "0", stop});
	pthread_mutex_unlock(&c->lock);

	if (reply && reply->type == REDIS_REPLY_ARRAY)
		got = parse_entries(rh, reply->element, reply->elements < n ? reply->elements : n, out);
	freeReplyObject(reply);
	return got;
}

/* Runs the since script. Returns the reply array or NULL. */
static redisReply *run_since(redis_hot *rh, uint64_t after_seq, size_t max)
{
	char after[32], count[32];
	const char *argv[] = {"EVALSHA", "", "1", rh->key_latest, after, count};
	size_t lens[6];
	sl_error err = {{0}, 0};
	redisReply *reply;
	hot_conn *c;
	int i;

	snprintf(after, sizeof after, "%" PRIu64, after_seq);
	snprintf(count, sizeof count, "%zu", max);
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	c = reader_begin(rh);
	if (!c)
		return NULL;
	reply = conn_evalsha(c, 6, argv, lens, &err);
	pthread_mutex_unlock(&c->lock);

	if (!reply) {
		state_failed(rh, &err);
		return NULL;
	}
	state_ok(rh);
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Returns the sequence number an entry starts with, or 0 when it has none. */
static uint64_t entry_seq(const redisReply *item)
{
	const char *p = item->str;
	int64_t seq;

	if (item->type != REDIS_REPLY_STRING ||
	    parse_num(&p, item->str + item->len, 0, &seq) != 0)
		return 0;
	return (uint64_t)seq;
}

static size_t redis_since(sl_hot *hot, uint64_t after_seq, sl_event *out, size_t max,
			  uint64_t *last_seq, uint64_t *gap)
{
	redis_hot *rh = impl(hot);
	redisReply *reply, **items;
	uint64_t after, oldest, newest;
	size_t n, got, i;

	if (gap)
		*gap = 0;
	if (max == 0)
		return 0;
	if (max > rh->cap)
		max = rh->cap;
	reply = run_since(rh, after_seq, max);
	if (!reply)
		return 0;

	/* the script returns newest first; callers want oldest first */
	after = (uint64_t)reply->element[0]->integer;
	items = reply->element + 1;
	n = reply->elements - 1;
	for (i = 0; i < n / 2; i++) {
		redisReply *tmp = items[i];

		items[i] = items[n - 1 - i];
		items[n - 1 - i] = tmp;
	}
	got = parse_entries(rh, items, n, out);

	/* the range is accepted from the entries themselves, so a malformed one
	 * is passed over instead of being read again on every call */
	oldest = n ? entry_seq(items[0]) : 0;
	newest = n ? entry_seq(items[n - 1]) : 0;
	if (gap && oldest > after + 1)
		*gap = oldest - after - 1;
	if (newest > after) {
		if (last_seq)
			*last_seq = newest;
		note_seq(rh, newest);
	}
	freeReplyObject(reply);
	return got;
}

/* Reads an integer key. Returns 1 when it exists, 0 when missing, -1 when
 * Redis failed. */
static int read_int_key(redis_hot *rh, const char *key, int64_t *out)
{
	redisReply *reply;
	hot_conn *c = reader_begin(rh);
	int rc = -1;

	if (!c)
		return -1;
	reply = reader_run(rh, 2, (const char *[]){"GET", key});
	pthread_mutex_unlock(&c->lock);
	if (!reply)
		return -1;
	if (reply->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (reply->type == REDIS_REPLY_STRING) {
		long long v;

		if (sl_parse_int(reply->str, INT64_MIN, INT64_MAX, &v) == 0) {
			*out = v;
			rc = 1;
		}
	}
	freeReplyObject(reply);
	return rc;
}

static uint64_t redis_seq(sl_hot *hot)
{
	redis_hot *rh = impl(hot);
	int64_t v = 0;
	uint64_t seq;
	int rc = read_int_key(rh, rh->key_seq, &v);

	if (rc == 1 && v >= 0) {
		note_seq(rh, (uint64_t)v);
		return (uint64_t)v;
	}
	if (rc == 0)
		return 0;
	/* keep the tail where it is while Redis is away */
	pthread_mutex_lock(&rh->state_lock);
	seq = rh->last_seq;
	pthread_mutex_unlock(&rh->state_lock);
	return seq;
}

static int64_t redis_window_end(sl_hot *hot, int64_t now_ms, int minutes)
{
	redis_hot *rh = impl(hot);
	int64_t newest;

	if (read_int_key(rh, rh->key_newest, &newest) != 1)
		return 0;
	return sl_hot_pick_window_end(newest, now_ms, minutes);
}

/* Adds the "level:<name>" fields of an HGETALL reply to counts. With
 * bare_names the fields are the level names themselves. */
static void add_level_fields(const redisReply *reply, int bare_names, uint64_t *counts)
{
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < reply->elements; i += 2) {
		const redisReply *f = reply->element[i], *v = reply->element[i + 1];
		const char *name = f->str;
		size_t len = f->len;
		long long n;
		sl_level level;

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (!bare_names) {
			if (len < 6 || memcmp(name, "level:", 6) != 0)
				continue;
			name += 6;
			len -= 6;
		}
		if (sl_parse_int(v->str, 0, INT64_MAX, &n) != 0)
			continue;
		/* "unknown" is not a level word, so it parses to unknown too */
		level = sl_level_parse(name, len);
		counts[level] += (uint64_t)n;
	}
}

static void redis_totals(sl_hot *hot, uint64_t totals[SL_LEVEL_COUNT])
{
	redis_hot *rh = impl(hot);
	redisReply *reply;
	hot_conn *c;

	memset(totals, 0, SL_LEVEL_COUNT * sizeof *totals);
	c = reader_begin(rh);
	if (!c)
		return;
	reply = reader_run(rh, 2, (const char *[]){"HGETALL", rh->key_totals});
	pthread_mutex_unlock(&c->lock);
	if (reply)
		add_level_fields(reply, 1, totals);
	freeReplyObject(reply);
}

/* Sends one HGETALL per minute of the window in a single pipeline and
 * collects the minutes with counts, oldest first. Returns how many. */
static size_t fetch_minutes(redis_hot *rh, redisContext *ctx, int64_t first, int minutes,
			    sl_minute_counts *res, sl_error *err)
{
	char key[256];
	size_t n = 0;
	int i, sent = 0;

	for (i = 0; i < minutes; i++) {
		snprintf(key, sizeof key, "%s%" PRId64, rh->key_minute, first + (int64_t)i * MINUTE_MS);
		if (redisAppendCommandArgv(ctx, 2, (const char *[]){"HGETALL", key},
					   (size_t[]){7, strlen(key)}) != REDIS_OK)
			break;
		sent++;
	}
	for (i = 0; i < sent; i++) {
		redisReply *reply = NULL;
		uint64_t counts[SL_LEVEL_COUNT] = {0};
		int level, any = 0;

		if (redisGetReply(ctx, (void **)&reply) != REDIS_OK || !reply) {
			sl_error_set(err, 0, "Redis HGETALL failed: %s", ctx->errstr);
			return (size_t)-1;
		}
		add_level_fields(reply, 0, counts);
		freeReplyObject(reply);
		res[n].minute = first + (int64_t)i * MINUTE_MS;
		for (level = 0; level < SL_LEVEL_COUNT; level++) {
			res[n].counts[level] = counts[level] > UINT32_MAX ? UINT32_MAX
									  : (uint32_t)counts[level];
			any |= counts[level] != 0;
		}
		n += any;
	}
	if (sent < minutes) {
		sl_error_set(err, 0, "Redis HGETALL failed: %s", ctx->errstr);
		return (size_t)-1;
	}
	return n;
}

static size_t redis_stats(sl_hot *hot, int64_t end_minute_ms, int minutes, sl_minute_counts **out)
{
	redis_hot *rh = impl(hot);
	int64_t end = sl_hot_floor_minute(end_minute_ms);
	sl_minute_counts *res;
	sl_error err = {{0}, 0};
	hot_conn *c;
	size_t n;

	*out = NULL;
	if (minutes <= 0)
		return 0;
	if (minutes > STATS_MINUTES_MAX)
		minutes = STATS_MINUTES_MAX;
	c = reader_begin(rh);
	if (!c)
		return 0;

	res = sl_calloc((size_t)minutes, sizeof *res);
	n = fetch_minutes(rh, c->ctx, end - (int64_t)(minutes - 1) * MINUTE_MS, minutes, res, &err);
	if (n == (size_t)-1) {
		/* a pipeline cut short leaves replies unread: start afresh */
		conn_drop(c);
		pthread_mutex_unlock(&c->lock);
		state_failed(rh, &err);
		free(res);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	state_ok(rh);
	if (n == 0) {
		free(res);
		return 0;
	}
	*out = res;
	return n;
}

/* Pings Redis through the reader connection, so a process that only checks
 * whether the store is degraded (a viewer serving /stats from the search
 * store) still notices when Redis is back. The backoff in conn_get() bounds
 * how often it connects. */
static void probe_reader(redis_hot *rh)
{
	const char *argv[] = {"PING"};
	hot_conn *c = reader_begin(rh);
	redisReply *reply;

	if (!c)
		return;
	reply = reader_run(rh, 1, argv);
	if (reply)
		freeReplyObject(reply);
	pthread_mutex_unlock(&c->lock);
}

static int redis_degraded(sl_hot *hot, char *reason, size_t reason_len)
{
	redis_hot *rh = impl(hot);
	int degraded;

	pthread_mutex_lock(&rh->state_lock);
	degraded = rh->degraded;
	pthread_mutex_unlock(&rh->state_lock);
	if (degraded)
		probe_reader(rh);

	pthread_mutex_lock(&rh->state_lock);
	degraded = rh->degraded;
	if (reason && reason_len)
		snprintf(reason, reason_len, "%s", degraded ? rh->reason : "");
	pthread_mutex_unlock(&rh->state_lock);
	return degraded;
}

/* --- lifetime -------------------------------------------------------------- */

static void conn_init(hot_conn *c, const char *role, const char *script)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	c->role = role;
	c->script = script;
}

static void conn_fini(hot_conn *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	pthread_mutex_destroy(&c->lock);
}

static void redis_free(sl_hot *hot)
{
	redis_hot *rh = impl(hot);

	conn_fini(&rh->writer);
	conn_fini(&rh->reader);
	sl_redis_cmd_free(&rh->cmd);
	sl_redis_txn_free(&rh->txn);
	pthread_mutex_destroy(&rh->state_lock);
	free(rh->addr);
	free(rh->host);
	free(rh->unix_path);
	if (rh->password) {
		/* not left behind in freed memory */
		memset(rh->password, 0, strlen(rh->password));
		free(rh->password);
	}
	free(rh->prefix);
	free(rh->key_latest);
	free(rh->key_seq);
	free(rh->key_totals);
	free(rh->key_newest);
	free(rh->key_minute);
	free(rh);
	free(hot);
}

static const sl_hot_ops redis_ops = {
	.name = "redis",
	.add_batch = redis_add_batch,
	.latest = redis_latest,
	.since = redis_since,
	.seq = redis_seq,
	.stats = redis_stats,
	.window_end = redis_window_end,
	.totals = redis_totals,
	.count = redis_count,
	.push_latest = redis_push_latest,
	.degraded = redis_degraded,
	.free = redis_free,
};

/* Splits addr into a Unix socket path or host and port. Returns 0, or -1
 * with err set. */
static int parse_addr(redis_hot *rh, const char *addr, sl_error *err)
{
	const char *colon, *host = addr, *host_end;
	long long port;

	if (strchr(addr, '/')) {
		rh->unix_path = sl_strdup(addr);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (!colon || colon == addr) {
		sl_error_set(err, 0, "invalid Redis address '%s': expected HOST:PORT or a socket path",
			     addr);
		return -1;
	}
	host_end = colon;
	if (*addr == '[') {
		host++;
		if (colon[-1] != ']') {
			sl_error_set(err, 0, "invalid Redis address '%s': expected [ADDRESS]:PORT",
				     addr);
			return -1;
		}
		host_end = colon - 1;
	} else if (memchr(addr, ':', (size_t)(colon - addr))) {
		sl_error_set(err, 0, "invalid Redis address '%s': put IPv6 addresses in brackets, "
			     "as in [::1]:6379", addr);
		return -1;
	}
	if (host_end == host || sl_parse_int(colon + 1, 1, 65535, &port) != 0) {
		sl_error_set(err, 0, "invalid Redis address '%s': expected HOST:PORT with a port "
			     "from 1 to 65535", addr);
		return -1;
	}
	rh->host = sl_strndup(host, (size_t)(host_end - host));
	rh->port = (int)port;
	return 0;
}

static char *make_key(const char *prefix, const char *name)
{
	sl_buf b;

	sl_buf_init(&b);
	sl_buf_printf(&b, "%s:%s", prefix, name);
	return sl_buf_steal(&b);
}

sl_hot *sl_hot_redis_open(const char *addr, const char *password, const char *key_prefix,
			  size_t latest_cap, sl_error *err)
{
	redis_hot *rh = sl_calloc(1, sizeof *rh);
	sl_hot *hot = sl_calloc(1, sizeof *hot);

	hot->ops = &redis_ops;
	hot->impl = rh;
	pthread_mutex_init(&rh->state_lock, NULL);
	conn_init(&rh->writer, "writer", write_script);
	conn_init(&rh->reader, "reader", since_script);
	sl_redis_cmd_init(&rh->cmd);
	sl_redis_txn_init(&rh->txn);
	rh->addr = sl_strdup(addr ? addr : "");
	rh->password = password ? sl_strdup(password) : NULL;
	rh->prefix = sl_strdup(key_prefix && *key_prefix ? key_prefix : "streamlens");
	rh->cap = latest_cap ? latest_cap : SL_HOT_LATEST_DEFAULT;
	rh->key_latest = make_key(rh->prefix, "latest");
	rh->key_seq = make_key(rh->prefix, "seq");
	rh->key_totals = make_key(rh->prefix, "totals");
	rh->key_newest = make_key(rh->prefix, "newest_minute");
	rh->key_minute = make_key(rh->prefix, "m:");

	if (parse_addr(rh, rh->addr, err) != 0)
		goto fail;
	/* both connections at once, so a wrong address or password shows now */
	if (conn_open(rh, &rh->writer, err) != 0 || conn_open(rh, &rh->reader, err) != 0)
		goto fail;
	sl_info("redis", "hot store at %s, keys %s:*, latest %zu events", rh->addr, rh->prefix,
		rh->cap);
	return hot;
fail:
	redis_free(hot);
	return NULL;
}
