/* Unit tests for the Redis hot store: command formatting and entry parsing
 * without a server, then everything else against a real redis-server that
 * each test starts on a free loopback port and stops after. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ftw.h>

#include "../../src/decode.h"
#include "../../src/hot_redis.h"
#include "../../src/pipeline.h"

/* 2026-01-02T03:04:00Z, the start of a minute. */
#define BASE_MS 1767323040000LL
#define MIN_MS 60000LL
#define C20_PATH "../shared/cases/C20-redis-lines-with-spaces-percent.log"

static pid_t server_pid = -1;
static int server_port;
static char server_addr[64];
static char redis_path[4096];

/* --- server fixture ---------------------------------------------------------- */

static int find_redis_server(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (!path)
		return 0;
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(redis_path, sizeof redis_path, "%s/redis-server", dir);
		found = access(redis_path, X_OK) == 0;
	}
	free(copy);
	return found;
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static redisContext *connect_direct(void)
{
	struct timeval tv = {.tv_sec = 2};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", server_port, tv);

	if (c && c->err) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Starts redis-server on server_port with up to two extra arguments (NULL
 * for none) and waits until it replies to PING. Returns 0 or -1. */
static int start_server(const char *extra1, const char *extra2)
{
	char port[16];
	int i;

	snprintf(port, sizeof port, "%d", server_port);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(redis_path, "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
		      "--appendonly", "no", extra1, extra2, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		redisContext *c = connect_direct();

		if (c) {
			redisReply *r = redisCommand(c, "PING");
			/* with --requirepass PING is rejected, which still means up */
			int up = r != NULL;

			if (r)
				freeReplyObject(r);
			redisFree(c);
			if (up)
				return 0;
		}
		sleep_ms(50);
	}
	return -1;
}

static void stop_server(int sig)
{
	if (server_pid > 0) {
		kill(server_pid, sig);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = -1;
}

static void setup(void)
{
	if (!find_redis_server())
		return;
	server_port = free_port();
	snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", server_port);
	if (start_server(NULL, NULL) != 0)
		stop_server(SIGKILL);
}

static void teardown(void)
{
	stop_server(SIGTERM);
}

static void need_server(void)
{
	if (server_pid <= 0)
		cr_skip_test("redis-server is not installed or did not start; install the "
			     "redis-server package to run the Redis hot store tests");
}

static sl_hot *open_hot(size_t cap)
{
	sl_error err = {{0}, 0};
	sl_hot *hot = sl_hot_redis_open(server_addr, NULL, "sltest", cap, &err);

	cr_assert_not_null(hot, "open failed: %s", err.message);
	return hot;
}

/* Sends a command to the server directly and returns its integer result
 * (LLEN, HGET of a number, GET of a number); -1 on nil. */
static long long direct_int(const char *fmt, const char *arg)
{
	redisContext *c = connect_direct();
	redisReply *r;
	long long v = -1;

	cr_assert_not_null(c);
	r = arg ? redisCommand(c, fmt, arg) : redisCommand(c, fmt);
	cr_assert_not_null(r);
	if (r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r->type == REDIS_REPLY_STRING)
		v = atoll(r->str);
	freeReplyObject(r);
	redisFree(c);
	return v;
}

/* Reads a field of INFO (e.g. "total_commands_processed" or
 * "cmdstat_evalsha:calls"). */
static long long info_value(const char *section, const char *field)
{
	redisContext *c = connect_direct();
	redisReply *r;
	const char *p;
	long long v = -1;

	cr_assert_not_null(c);
	r = redisCommand(c, "INFO %s", section);
	cr_assert_not_null(r);
	p = strstr(r->str, field);
	if (p)
		v = atoll(p + strlen(field) + 1);
	else if (strchr(field, ':'))
		v = 0;
	freeReplyObject(r);
	redisFree(c);
	return v;
}

/* --- events ---------------------------------------------------------------- */

static void make_event(sl_event *ev, const char *id, int64_t ts, sl_level level,
		       const char *service, const char *message)
{
	sl_event_init(ev);
	snprintf(ev->id, sizeof ev->id, "%s", id);
	ev->ts_ms = ts;
	ev->recv_ms = ts + 5;
	ev->level = level;
	sl_event_set_str(&ev->service, service, strlen(service));
	sl_event_set_str(&ev->host, "h1", 2);
	sl_event_set_str(&ev->message, message, strlen(message));
	sl_event_set_str(&ev->raw, message, strlen(message));
}

/* Fills evs[0..n) with events "<stream>:<first + i>" in minute ts. */
static void make_run(sl_event *evs, size_t n, const char *stream, int first, int64_t ts,
		     sl_level level, const char *service)
{
	char id[SL_ID_MAX], msg[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%s:%d", stream, first + (int)i);
		snprintf(msg, sizeof msg, "%s event %d", stream, first + (int)i);
		make_event(&evs[i], id, ts, level, service, msg);
	}
}

static void clear_all(sl_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sl_event_clear(&evs[i]);
}

static void expect_same_event(const sl_event *got, const sl_event *want)
{
	size_t i;

	cr_expect_str_eq(got->id, want->id);
	cr_expect_eq(got->ts_ms, want->ts_ms, "%s: ts %lld != %lld", want->id,
		     (long long)got->ts_ms, (long long)want->ts_ms);
	cr_expect_eq(got->recv_ms, want->recv_ms, "%s: recv_ms differs", want->id);
	cr_expect_eq(got->level, want->level, "%s: level differs", want->id);
	cr_expect_eq(got->flags, want->flags, "%s: flags differ", want->id);
	cr_expect_str_eq(got->service, want->service);
	cr_expect_str_eq(got->host, want->host);
	cr_expect_str_eq(got->message, want->message);
	cr_expect_str_eq(got->raw, want->raw);
	cr_assert_eq(got->nfields, want->nfields, "%s: %zu fields, expected %zu", want->id,
		     got->nfields, want->nfields);
	for (i = 0; i < want->nfields; i++) {
		cr_expect_str_eq(got->fields[i].key, want->fields[i].key);
		cr_expect_str_eq(got->fields[i].value, want->fields[i].value);
	}
}

/* --- formatting and parsing, no server ------------------------------------- */

Test(hot_redis_format, batch_argv_layout)
{
	sl_redis_cmd cmd;
	sl_event evs[3];
	const char **argv;
	const unsigned char inserted[3] = {0, 0, 1};
	size_t accepted;

	make_event(&evs[0], "k:logs:3:41", BASE_MS + 1234, SL_LEVEL_WARN, "api",
		   "upload 100% done, next %s %d %n");
	make_event(&evs[1], "no-offset-here", BASE_MS, SL_LEVEL_INFO, "api", "dropped");
	make_event(&evs[2], "also-no-offset", BASE_MS, SL_LEVEL_ERROR, "db svc", "kept");
	sl_redis_cmd_init(&cmd);
	accepted = sl_hot_redis_format_batch(&cmd, "abc123", "pfx", 100, evs, 3, inserted);
	argv = sl_redis_cmd_argv(&cmd);

	/* the first has an offset, the second is a known duplicate without one */
	cr_assert_eq(accepted, 2);
	cr_assert_eq(cmd.argc, 3 + 6 + 4 + 2 * 6);
	cr_expect_str_eq(argv[0], "EVALSHA");
	cr_expect_str_eq(argv[1], "abc123");
	cr_expect_str_eq(argv[2], "6");
	cr_expect_str_eq(argv[3], "pfx:latest");
	cr_expect_str_eq(argv[4], "pfx:seq");
	cr_expect_str_eq(argv[5], "pfx:hwm");
	cr_expect_str_eq(argv[6], "pfx:totals");
	cr_expect_str_eq(argv[7], "pfx:newest_minute");
	cr_expect_str_eq(argv[8], "pfx:staging");
	cr_expect_str_eq(argv[9], "pfx:m:");
	cr_expect_str_eq(argv[10], "100");
	cr_expect_str_eq(argv[11], "691200");
	cr_expect_str_eq(argv[12], "e");

	cr_expect_str_eq(argv[13], "k:logs:3");
	cr_expect_str_eq(argv[14], "41");
	cr_expect_str_eq(argv[15], "1767323040000");
	cr_expect_str_eq(argv[16], "warn");
	cr_expect_str_eq(argv[17], "api");
	cr_expect_not_null(strstr(argv[18], "\"message\":\"upload 100% done, next %s %d %n\""));
	cr_expect_eq(strncmp(argv[18], "1767323041234 1767323041239 {\"id\":", 34), 0, "%s",
		     argv[18]);
	cr_expect_eq(cmd.lengths[18], strlen(argv[18]));

	cr_expect_str_eq(argv[19], "");
	cr_expect_str_eq(argv[20], "");
	cr_expect_str_eq(argv[22], "error");
	cr_expect_str_eq(argv[23], "db svc");
	sl_redis_cmd_free(&cmd);
	clear_all(evs, 3);
}

/* Finds the argument equal to s after index from; returns its index or -1. */
static int find_arg(const sl_redis_cmd *cmd, const char **argv, size_t from, const char *s)
{
	size_t i;

	for (i = from; i < cmd->argc; i++) {
		if (strcmp(argv[i], s) == 0)
			return (int)i;
	}
	return -1;
}

/* Returns the arguments of command i of txn, checking its name. */
static const char **txn_argv(sl_redis_txn *txn, size_t i, const char *name)
{
	const char **argv;

	cr_assert_lt(i, txn->n);
	argv = sl_redis_cmd_argv(&txn->cmds[i]);
	cr_assert_str_eq(argv[0], name, "command %zu is %s, expected %s", i, argv[0], name);
	return argv;
}

Test(hot_redis_format, summed_argv_layout)
{
	sl_redis_txn txn;
	sl_redis_cmd *cmd;
	sl_event evs[4];
	const char **argv;
	const unsigned char inserted[4] = {0, 0, 1, 0};
	size_t accepted;
	int per_event = -1, at;

	make_event(&evs[0], "k:logs:3:41", BASE_MS + 1234, SL_LEVEL_WARN, "api", "one");
	make_event(&evs[1], "k:logs:3:42", BASE_MS + 61000, SL_LEVEL_WARN, "api", "two");
	make_event(&evs[2], "no-offset", BASE_MS + 2000, SL_LEVEL_ERROR, "db svc", "three");
	make_event(&evs[3], "plain-dup", BASE_MS, SL_LEVEL_INFO, "api", "duplicate");
	sl_redis_txn_init(&txn);
	accepted = sl_hot_redis_format_summed(&txn, "abc123", "pfx", 2, 7, evs, 4, inserted,
					   &per_event);
	cr_assert_eq(per_event, 0);
	cr_assert_eq(accepted, 3);

	/* the pushed entries fill the cap, so no old entry stays */
	cr_assert_eq(txn.n, 5);
	cr_expect_eq(txn.cmds[0].argc, 1);
	txn_argv(&txn, 0, "MULTI");
	argv = txn_argv(&txn, 1, "LPUSH");
	cr_assert_eq(txn.cmds[1].argc, 4);
	cr_expect_str_eq(argv[1], "pfx:staging");
	/* the newest two accepted events, oldest first, numbered 9 and 10 */
	cr_expect_eq(strncmp(argv[2], "9 1767323101000 ", 16), 0, "%s", argv[2]);
	cr_expect_not_null(strstr(argv[2], "\"message\":\"two\""));
	cr_expect_eq(strncmp(argv[3], "10 1767323042000 ", 17), 0, "%s", argv[3]);
	cr_expect_not_null(strstr(argv[3], "\"message\":\"three\""));
	argv = txn_argv(&txn, 3, "DEL");
	cr_expect_str_eq(argv[1], "pfx:staging");
	txn_argv(&txn, 4, "EXEC");

	cr_assert_eq(txn.script, 2);
	cmd = &txn.cmds[2];
	argv = txn_argv(&txn, 2, "EVALSHA");
	cr_expect_str_eq(argv[2], "6");
	cr_expect_str_eq(argv[8], "pfx:staging");
	cr_expect_str_eq(argv[10], "2");
	cr_expect_str_eq(argv[12], "b");
	cr_expect_str_eq(argv[13], "3");
	/* 3 accepted, 2 pushed after seq 7: the pushed ones are 9 and 10 */
	cr_expect_str_eq(argv[14], "9");
	cr_expect_str_eq(argv[15], "1");
	cr_expect_str_eq(argv[16], "k:logs:3");
	cr_expect_str_eq(argv[17], "41");
	cr_expect_str_eq(argv[18], "42");

	/* two minutes: the first has warn, error, api and "db svc" */
	cr_expect_str_eq(argv[19], "2");
	cr_expect_str_eq(argv[20], "1767323040000");
	cr_expect_str_eq(argv[21], "4");
	cr_expect_str_eq(argv[22], "level:warn");
	cr_expect_str_eq(argv[23], "1");
	cr_expect_str_eq(argv[24], "level:error");
	cr_expect_str_eq(argv[26], "service:api");
	cr_expect_str_eq(argv[28], "service:db svc");
	cr_expect_str_eq(argv[30], "1767323100000");
	cr_expect_str_eq(argv[31], "2");

	at = find_arg(cmd, argv, 32, "warn");
	cr_assert_gt(at, 0);
	cr_expect_str_eq(argv[at - 1], "2");
	cr_expect_str_eq(argv[at + 1], "2");
	cr_expect_str_eq(argv[at + 2], "error");
	cr_expect_str_eq(argv[at + 3], "1");
	cr_expect_str_eq(argv[at + 4], "1767323100000");
	/* last, the count of entries pushed onto staging */
	cr_expect_str_eq(argv[at + 5], "2");
	cr_expect_eq(cmd->argc, (size_t)at + 6);
	sl_redis_txn_free(&txn);
	clear_all(evs, 4);
}

Test(hot_redis_format, summed_keeps_old_entries)
{
	sl_redis_txn txn;
	sl_event evs[3];
	const char **argv;
	int per_event = -1;

	make_run(evs, 3, "k:logs:1", 5, BASE_MS, SL_LEVEL_INFO, "api");
	sl_redis_txn_init(&txn);
	cr_assert_eq(sl_hot_redis_format_summed(&txn, "abc123", "pfx", 10, 0, evs, 3, NULL,
						&per_event),
		     3);

	/* 3 new entries under a cap of 10: the newest 7 old ones stay */
	cr_assert_eq(txn.n, 7);
	argv = txn_argv(&txn, 1, "COPY");
	cr_assert_eq(txn.cmds[1].argc, 4);
	cr_expect_str_eq(argv[1], "pfx:latest");
	cr_expect_str_eq(argv[2], "pfx:staging");
	cr_expect_str_eq(argv[3], "REPLACE");
	argv = txn_argv(&txn, 2, "LTRIM");
	cr_expect_str_eq(argv[1], "pfx:staging");
	cr_expect_str_eq(argv[2], "0");
	cr_expect_str_eq(argv[3], "6");
	argv = txn_argv(&txn, 3, "LPUSH");
	cr_assert_eq(txn.cmds[3].argc, 5);
	cr_expect_eq(strncmp(argv[2], "1 ", 2), 0, "%s", argv[2]);
	cr_expect_eq(strncmp(argv[4], "3 ", 2), 0, "%s", argv[4]);
	cr_assert_eq(txn.script, 4);
	txn_argv(&txn, 4, "EVALSHA");
	txn_argv(&txn, 5, "DEL");
	txn_argv(&txn, 6, "EXEC");

	/* reused for a batch that fills the cap: no COPY or LTRIM is left over */
	cr_assert_eq(sl_hot_redis_format_summed(&txn, "abc123", "pfx", 2, 3, evs, 3, NULL,
						&per_event),
		     3);
	cr_assert_eq(txn.n, 5);
	argv = txn_argv(&txn, 1, "LPUSH");
	cr_assert_eq(txn.cmds[1].argc, 4);
	cr_expect_eq(strncmp(argv[2], "5 ", 2), 0, "%s", argv[2]);
	cr_expect_eq(strncmp(argv[3], "6 ", 2), 0, "%s", argv[3]);
	sl_redis_txn_free(&txn);
	clear_all(evs, 3);
}

Test(hot_redis_format, summed_refuses_repeated_offset)
{
	sl_redis_txn txn;
	sl_event evs[2];
	int per_event = 0;

	make_event(&evs[0], "k:logs:3:41", BASE_MS, SL_LEVEL_INFO, "api", "one");
	make_event(&evs[1], "k:logs:3:41", BASE_MS, SL_LEVEL_INFO, "api", "again");
	sl_redis_txn_init(&txn);
	cr_expect_eq(sl_hot_redis_format_summed(&txn, "abc123", "pfx", 10, 0, evs, 2, NULL,
						&per_event),
		     0);
	cr_expect_eq(per_event, 1);
	cr_expect_eq(txn.n, 0);
	sl_redis_txn_free(&txn);
	clear_all(evs, 2);
}

Test(hot_redis_format, split_id_cases)
{
	static const struct {
		const char *id;
		int rc;
		const char *stream;
		const char *offset;
	} cases[] = {
		{"k:logs:3:42", 0, "k:logs:3", "42"},
		{"f:2049:131:0:0", 0, "f:2049:131:0", "0"},
		{"f:2049:131:1:000120", 0, "f:2049:131:1", "120"},
		{"gen:1767323040000:17", 0, "gen:1767323040000", "17"},
		{"a:18446744073709551615", 0, "a", "18446744073709551615"},
		{"a:18446744073709551616", -1, NULL, NULL},
		{"a:123456789012345678901", -1, NULL, NULL},
		{"nocolon", -1, NULL, NULL},
		{"a:", -1, NULL, NULL},
		{":5", -1, NULL, NULL},
		{"a:12x", -1, NULL, NULL},
		{"a:-3", -1, NULL, NULL},
		{"", -1, NULL, NULL},
	};
	char stream[SL_ID_MAX], offset[24];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = sl_hot_redis_split_id(cases[i].id, stream, sizeof stream, offset,
					       sizeof offset);

		cr_expect_eq(rc, cases[i].rc, "id '%s': rc %d", cases[i].id, rc);
		if (rc == 0 && cases[i].rc == 0) {
			cr_expect_str_eq(stream, cases[i].stream, "id '%s'", cases[i].id);
			cr_expect_str_eq(offset, cases[i].offset, "id '%s'", cases[i].id);
		}
	}
}

/* Builds an entry the way the write script stores it. */
static void make_entry(sl_buf *out, uint64_t seq, const sl_event *ev)
{
	sl_buf_reset(out);
	sl_buf_printf(out, "%llu %lld %lld ", (unsigned long long)seq, (long long)ev->ts_ms,
		      (long long)ev->recv_ms);
	sl_event_to_json(ev, out, 1);
}

Test(hot_redis_format, entry_round_trip)
{
	static const char message[] = "ctl \x01\x02\x1f\x7f tab\t nl\n cr\r q\" bs\\ "
				      "utf8 \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 /";
	sl_event ev, got;
	sl_buf entry;
	uint64_t seq = 0;

	make_event(&ev, "f:1:2:0:99", -1234567, SL_LEVEL_FATAL, "sv\xc3\xa9", message);
	ev.flags = SL_EV_TRUNCATED | SL_EV_INVALID_UTF8;
	sl_event_set_field(&ev, "k\"ey", 4, "v\\al\x01", 5);
	sl_event_set_field(&ev, "status", 6, "500", 3);
	sl_buf_init(&entry);
	make_entry(&entry, 77, &ev);

	sl_event_init(&got);
	cr_assert_eq(sl_hot_redis_parse_entry(entry.data, entry.len, &seq, &got), 0, "%s",
		     entry.data);
	cr_expect_eq(seq, 77);
	expect_same_event(&got, &ev);

	/* escapes written by other JSON encoders decode too */
	sl_event_clear(&got);
	sl_buf_reset(&entry);
	sl_buf_puts(&entry, "3 0 0 {\"id\":\"x:1\",\"level\":\"warn\",\"message\":"
			    "\"\\ud83d\\ude00 \\u00e9 \\/ \\b\\f\",\"fields\":{}}");
	cr_assert_eq(sl_hot_redis_parse_entry(entry.data, entry.len, &seq, &got), 0);
	cr_expect_str_eq(got.message, "\xf0\x9f\x98\x80 \xc3\xa9 / \b\f");
	cr_expect_eq(got.level, SL_LEVEL_WARN);
	cr_expect_str_eq(got.service, "");

	sl_event_clear(&got);
	sl_event_clear(&ev);
	sl_buf_free(&entry);
}

Test(hot_redis_format, bad_entries_rejected)
{
	static const char *const bad[] = {
		"",
		"abc",
		"1",
		"1 2 3",
		"1 2 3 ",
		"1 2 3 {",
		"1 2 3 []",
		"1 2 3 {\"id\":5}",
		"1 2 3 {\"id\":\"a\",\"message\":\"\\u12\"}",
		"1 2 3 {\"id\":\"a\",\"message\":\"\\q\"}",
		"1 2 3 {\"id\":\"a\",\"fields\":[1,2]}",
		"1 2 3 {\"id\":\"a\",\"fields\":{\"k\":{}}}",
		"1 2 3 {\"id\":\"a\",\"flags\":\"x\"}",
		"1 2 3 {\"id\":\"a\",\"flags\":99999999999}",
		"99999999999999999999999 2 3 {}",
		"1 -2 -3 {\"id\":\"01234567890123456789012345678901234567890123456789012345678901234567890123456789\"}",
		"-1 2 3 {}",
		"1 2 3 {\"id\":\"a\"",
	};
	sl_event ev;
	uint64_t seq;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sl_event_init(&ev);
		cr_expect_eq(sl_hot_redis_parse_entry(bad[i], strlen(bad[i]), &seq, &ev), -1,
			     "accepted '%s'", bad[i]);
		sl_event_clear(&ev);
	}
}

Test(hot_redis_format, mutated_entries_never_crash)
{
	sl_event ev, got;
	sl_buf entry;
	uint64_t seq;
	char *copy;
	int round, accepted = 0;

	make_event(&ev, "gen:1:2", BASE_MS, SL_LEVEL_INFO, "api", "a \"quoted\" \\ message");
	sl_event_set_field(&ev, "n", 1, "1", 1);
	sl_buf_init(&entry);
	make_entry(&entry, 5, &ev);
	copy = malloc(entry.len);
	srand(7);
	for (round = 0; round < 5000; round++) {
		size_t len = (size_t)rand() % (entry.len + 1);
		int flips = 1 + rand() % 4, k;

		memcpy(copy, entry.data, entry.len);
		for (k = 0; k < flips && len; k++)
			copy[rand() % len] = (char)(rand() % 256);
		sl_event_init(&got);
		accepted += sl_hot_redis_parse_entry(copy, len, &seq, &got) == 0;
		sl_event_clear(&got);
	}
	/* the intact entry still parses, so the loop exercised real input */
	sl_event_init(&got);
	cr_expect_eq(sl_hot_redis_parse_entry(entry.data, entry.len, &seq, &got), 0);
	cr_expect_lt(accepted, 5000);
	sl_event_clear(&got);
	free(copy);
	sl_buf_free(&entry);
	sl_event_clear(&ev);
}

Test(hot_redis_format, bad_addresses_rejected)
{
	static const char *const bad[] = {"nohost", ":6379", "host:", "host:0", "host:70000",
					  "::1:6379", "[::1:6379", "host:12ab"};
	sl_error err;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		cr_expect_null(sl_hot_redis_open(bad[i], NULL, "x", 10, &err), "accepted '%s'",
			       bad[i]);
		cr_expect_not_null(strstr(err.message, "invalid Redis address"), "'%s': %s", bad[i],
				   err.message);
	}
}

/* --- against redis-server -------------------------------------------------- */

TestSuite(hot_redis, .init = setup, .fini = teardown, .timeout = 60);

Test(hot_redis, latest_newest_first)
{
	sl_event evs[6], out[10];
	sl_hot *hot;
	size_t n, i;

	need_server();
	hot = open_hot(100);
	cr_expect_eq(sl_hot_seq(hot), 0);
	cr_expect_eq(sl_hot_window_end(hot, BASE_MS, 60), 0);
	make_run(evs, 6, "gen:1", 1, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 6, NULL), 0);
	cr_expect_eq(sl_hot_seq(hot), 6);

	for (i = 0; i < 10; i++)
		sl_event_init(&out[i]);
	n = sl_hot_latest(hot, 10, out);
	cr_assert_eq(n, 6);
	for (i = 0; i < 6; i++)
		expect_same_event(&out[i], &evs[5 - i]);
	n = sl_hot_latest(hot, 2, out);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(out[1].id, "gen:1:5");
	cr_expect_eq(sl_hot_degraded(hot, NULL, 0), 0);
	clear_all(out, 10);
	clear_all(evs, 6);
	sl_hot_free(hot);
}

/* Reads the C20 case and decodes each line as a file source would. */
static size_t load_c20(sl_event *evs, size_t max)
{
	FILE *f = fopen(C20_PATH, "rb");
	char data[8192], *line, *end;
	size_t len, n = 0;
	sl_decode_ctx ctx;

	if (!f)
		return 0;
	len = fread(data, 1, sizeof data, f);
	fclose(f);
	sl_decode_ctx_init(&ctx, NULL);
	for (line = data; line < data + len && n < max; line = end + 1) {
		sl_record rec;

		end = memchr(line, '\n', (size_t)(data + len - line));
		if (!end)
			end = data + len;
		memset(&rec, 0, sizeof rec);
		rec.data = line;
		rec.len = (size_t)(end - line);
		rec.recv_ms = BASE_MS;
		rec.origin = "C20";
		snprintf(rec.id, sizeof rec.id, "f:1:2:0:%zu", (size_t)(line - data));
		sl_event_init(&evs[n]);
		sl_decode_record(&ctx, &rec, &evs[n]);
		n++;
	}
	return n;
}

Test(hot_redis, c20_lines_round_trip)
{
	sl_event evs[16], out[16];
	redisContext *c;
	redisReply *r;
	sl_buf json;
	sl_hot *hot;
	size_t n, got, i;

	need_server();
	n = load_c20(evs, 16);
	if (n == 0)
		cr_skip_test("%s is missing", C20_PATH);
	cr_assert_geq(n, 5);
	/* the NUL line must have reached the decoder with text on both sides */
	cr_expect_not_null(strstr(evs[3].message, "before"));
	cr_expect_not_null(strstr(evs[3].message, "after NUL"));

	hot = open_hot(100);
	cr_assert_eq(sl_hot_add_batch(hot, evs, n, NULL), 0);
	for (i = 0; i < n; i++)
		sl_event_init(&out[i]);
	got = sl_hot_latest(hot, n, out);
	cr_assert_eq(got, n);
	for (i = 0; i < n; i++)
		expect_same_event(&out[i], &evs[n - 1 - i]);

	/* one list element per line, each the event's JSON byte for byte */
	c = connect_direct();
	r = redisCommand(c, "LRANGE sltest:latest 0 -1");
	cr_assert_eq(r->elements, n);
	sl_buf_init(&json);
	for (i = 0; i < n; i++) {
		const redisReply *e = r->element[n - 1 - i];

		sl_buf_reset(&json);
		sl_event_to_json(&evs[i], &json, 1);
		cr_assert_geq(e->len, json.len);
		cr_expect_eq(memcmp(e->str + e->len - json.len, json.data, json.len), 0,
			     "line %zu stored as '%s'", i + 1, e->str);
	}
	sl_buf_free(&json);
	freeReplyObject(r);
	redisFree(c);
	cr_expect_leq(direct_int("LLEN sltest:latest", NULL), 100);
	clear_all(out, n);
	clear_all(evs, n);
	sl_hot_free(hot);
}

Test(hot_redis, ltrim_keeps_cap)
{
	sl_event evs[12], out[12];
	sl_hot *hot;
	size_t n, i;

	need_server();
	hot = open_hot(5);
	make_run(evs, 12, "k:t:0", 100, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 7, NULL), 0);
	cr_assert_eq(sl_hot_add_batch(hot, evs + 7, 5, NULL), 0);
	cr_expect_eq(direct_int("LLEN sltest:latest", NULL), 5);
	cr_expect_eq(sl_hot_seq(hot), 12);

	for (i = 0; i < 12; i++)
		sl_event_init(&out[i]);
	n = sl_hot_latest(hot, 12, out);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(out[0].id, "k:t:0:111");
	cr_expect_str_eq(out[4].id, "k:t:0:107");
	clear_all(out, 12);
	clear_all(evs, 12);
	sl_hot_free(hot);
}

Test(hot_redis, redelivery_counts_once)
{
	sl_event evs[15], out[20];
	uint64_t totals[SL_LEVEL_COUNT];
	sl_minute_counts *mc = NULL;
	sl_hot *hot;
	size_t n, i;

	need_server();
	hot = open_hot(100);
	make_run(evs, 15, "k:logs:2", 1, BASE_MS, SL_LEVEL_ERROR, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 10, NULL), 0);
	cr_assert_eq(sl_hot_add_batch(hot, evs, 10, NULL), 0);
	cr_expect_eq(sl_hot_seq(hot), 10);
	cr_expect_eq(direct_int("LLEN sltest:latest", NULL), 10);
	cr_expect_eq(direct_int("HGET sltest:hwm k:logs:2", NULL), 10);
	/* the rejected transaction left no staging list behind */
	cr_expect_eq(direct_int("EXISTS sltest:staging", NULL), 0);
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 10);

	/* a rebalance redelivers 8..10 along with the new 11..15 */
	cr_assert_eq(sl_hot_add_batch(hot, evs + 7, 8, NULL), 0);
	cr_expect_eq(sl_hot_seq(hot), 15);
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 15);
	n = sl_hot_stats(hot, BASE_MS, 1, &mc);
	cr_assert_eq(n, 1);
	cr_expect_eq(mc[0].counts[SL_LEVEL_ERROR], 15);
	free(mc);
	cr_expect_eq(direct_int("HGET sltest:m:1767323040000 service:api", NULL), 15);

	for (i = 0; i < 20; i++)
		sl_event_init(&out[i]);
	n = sl_hot_latest(hot, 20, out);
	cr_assert_eq(n, 15);
	for (i = 0; i < 15; i++)
		cr_expect_str_eq(out[i].id, evs[14 - i].id);
	clear_all(out, 20);
	clear_all(evs, 15);
	sl_hot_free(hot);
}

/* Checks that the latest list is exactly "<seq> <ts_ms> <recv_ms> <JSON>"
 * of evs[i] numbered seqs[i], newest first, and that no staging list is
 * left. */
static void expect_latest(const sl_event *const *evs, const uint64_t *seqs, size_t n)
{
	redisContext *c = connect_direct();
	redisReply *r;
	sl_buf want;
	size_t i;

	cr_assert_not_null(c);
	r = redisCommand(c, "LRANGE sltest:latest 0 -1");
	cr_assert_not_null(r);
	cr_assert_eq(r->elements, n, "latest has %zu entries, expected %zu", r->elements, n);
	sl_buf_init(&want);
	for (i = 0; i < n; i++) {
		const redisReply *e = r->element[i];

		sl_buf_reset(&want);
		sl_buf_printf(&want, "%llu %lld %lld ", (unsigned long long)seqs[i],
			      (long long)evs[i]->ts_ms, (long long)evs[i]->recv_ms);
		sl_event_to_json(evs[i], &want, 1);
		cr_expect_eq(e->len, want.len, "entry %zu: '%s', expected '%s'", i, e->str, want.data);
		cr_expect_eq(memcmp(e->str, want.data, want.len < e->len ? want.len : e->len), 0,
			     "entry %zu: '%s', expected '%s'", i, e->str, want.data);
	}
	sl_buf_free(&want);
	freeReplyObject(r);
	redisFree(c);
	cr_expect_eq(direct_int("EXISTS sltest:staging", NULL), 0);
}

Test(hot_redis, latest_same_for_any_batch_size)
{
	/* below, at and above the cap of 5, and 1 after a full list */
	static const size_t sizes[] = {1, 3, 5, 7, 2, 1, 4};
	enum { N = 23, CAP = 5 };
	sl_event evs[N];
	const sl_event *want[CAP];
	uint64_t seqs[CAP];
	sl_hot *hot;
	size_t b, i, done = 0;

	need_server();
	hot = open_hot(CAP);
	make_run(evs, N, "k:sizes:0", 1, BASE_MS, SL_LEVEL_INFO, "api");
	for (i = 0; i < N; i++)
		evs[i].ts_ms += (int64_t)i;
	for (b = 0; b < sizeof sizes / sizeof sizes[0]; b++) {
		size_t len;

		cr_assert_eq(sl_hot_add_batch(hot, evs + done, sizes[b], NULL), 0);
		done += sizes[b];
		len = done < CAP ? done : CAP;
		for (i = 0; i < len; i++) {
			want[i] = &evs[done - 1 - i];
			seqs[i] = done - i;
		}
		expect_latest(want, seqs, len);
		cr_expect_eq(sl_hot_seq(hot), done);
	}
	cr_assert_eq(done, N);
	clear_all(evs, N);
	sl_hot_free(hot);
}

Test(hot_redis, entries_renumbered_after_other_writer)
{
	enum { CAP = 4 };
	sl_event evs[11];
	const sl_event *want[CAP];
	uint64_t seqs[CAP];
	sl_hot *hot;

	need_server();
	hot = open_hot(CAP);
	make_run(evs, 11, "k:renum:0", 1, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 2, NULL), 0);

	/* another writer took seq 3..12; old entries stay under the new ones */
	cr_expect_eq(direct_int("INCRBY sltest:seq 10", NULL), 12);
	cr_assert_eq(sl_hot_add_batch(hot, evs + 2, 3, NULL), 0);
	want[0] = &evs[4];
	want[1] = &evs[3];
	want[2] = &evs[2];
	want[3] = &evs[1];
	seqs[0] = 15;
	seqs[1] = 14;
	seqs[2] = 13;
	seqs[3] = 2;
	expect_latest(want, seqs, CAP);

	/* again with a batch larger than the cap: only new entries remain */
	cr_expect_eq(direct_int("INCRBY sltest:seq 5", NULL), 20);
	cr_assert_eq(sl_hot_add_batch(hot, evs + 5, 6, NULL), 0);
	want[0] = &evs[10];
	want[1] = &evs[9];
	want[2] = &evs[8];
	want[3] = &evs[7];
	seqs[0] = 26;
	seqs[1] = 25;
	seqs[2] = 24;
	seqs[3] = 23;
	expect_latest(want, seqs, CAP);
	cr_expect_eq(sl_hot_seq(hot), 26);
	clear_all(evs, 11);
	sl_hot_free(hot);
}

Test(hot_redis, ids_without_offset_follow_inserted)
{
	sl_event evs[2];
	const unsigned char inserted[2] = {1, 0};
	uint64_t totals[SL_LEVEL_COUNT];
	sl_hot *hot;

	need_server();
	hot = open_hot(100);
	make_event(&evs[0], "plain-a", BASE_MS, SL_LEVEL_INFO, "api", "new");
	make_event(&evs[1], "plain-b", BASE_MS, SL_LEVEL_INFO, "api", "duplicate");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 2, inserted), 0);
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_INFO], 1);
	cr_expect_eq(sl_hot_seq(hot), 1);
	clear_all(evs, 2);
	sl_hot_free(hot);
}

Test(hot_redis, stats_totals_match_input)
{
	/* minute offset, level, service; counted by hand below */
	static const struct {
		int minute;
		sl_level level;
		const char *service;
	} input[] = {
		{0, SL_LEVEL_INFO, "api"},  {0, SL_LEVEL_INFO, "api"},  {0, SL_LEVEL_ERROR, "db"},
		{2, SL_LEVEL_WARN, "api"},  {2, SL_LEVEL_INFO, "web"},  {2, SL_LEVEL_UNKNOWN, "web"},
		{2, SL_LEVEL_WARN, "db"},   {5, SL_LEVEL_FATAL, "api"}, {5, SL_LEVEL_DEBUG, "api"},
	};
	enum { N = sizeof input / sizeof input[0] };
	sl_event evs[N];
	uint64_t totals[SL_LEVEL_COUNT];
	sl_minute_counts *mc = NULL;
	sl_hot *hot;
	char id[32];
	size_t n, i;

	need_server();
	hot = open_hot(100);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "gen:9:%zu", i + 1);
		make_event(&evs[i], id, BASE_MS + input[i].minute * MIN_MS + (int64_t)i * 1000,
			   input[i].level, input[i].service, "m");
	}
	cr_assert_eq(sl_hot_add_batch(hot, evs, 4, NULL), 0);
	cr_assert_eq(sl_hot_add_batch(hot, evs + 4, N - 4, NULL), 0);

	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_INFO], 3);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 1);
	cr_expect_eq(totals[SL_LEVEL_WARN], 2);
	cr_expect_eq(totals[SL_LEVEL_UNKNOWN], 1);
	cr_expect_eq(totals[SL_LEVEL_FATAL], 1);
	cr_expect_eq(totals[SL_LEVEL_DEBUG], 1);
	cr_expect_eq(totals[SL_LEVEL_TRACE], 0);

	/* window of 10 minutes ending at minute 5: three minutes have events */
	n = sl_hot_stats(hot, BASE_MS + 5 * MIN_MS, 10, &mc);
	cr_assert_eq(n, 3);
	cr_expect_eq(mc[0].minute, BASE_MS);
	cr_expect_eq(mc[0].counts[SL_LEVEL_INFO], 2);
	cr_expect_eq(mc[0].counts[SL_LEVEL_ERROR], 1);
	cr_expect_eq(mc[1].minute, BASE_MS + 2 * MIN_MS);
	cr_expect_eq(mc[1].counts[SL_LEVEL_WARN], 2);
	cr_expect_eq(mc[1].counts[SL_LEVEL_INFO], 1);
	cr_expect_eq(mc[1].counts[SL_LEVEL_UNKNOWN], 1);
	cr_expect_eq(mc[2].minute, BASE_MS + 5 * MIN_MS);
	cr_expect_eq(mc[2].counts[SL_LEVEL_FATAL], 1);
	cr_expect_eq(mc[2].counts[SL_LEVEL_DEBUG], 1);
	free(mc);

	/* a window that ends before minute 2 contains only minute 0 */
	n = sl_hot_stats(hot, BASE_MS + 1 * MIN_MS, 2, &mc);
	cr_expect_eq(n, 1);
	free(mc);

	cr_expect_eq(direct_int("HGET sltest:m:1767323160000 service:web", NULL), 2);
	cr_expect_eq(direct_int("HGET sltest:m:1767323040000 service:api", NULL), 2);
	cr_expect_gt(direct_int("TTL sltest:m:1767323040000", NULL), 7 * 24 * 3600);

	/* old data: the window ends at its newest minute; live data: at now */
	cr_expect_eq(sl_hot_window_end(hot, BASE_MS + 3600 * 1000LL, 30), BASE_MS + 5 * MIN_MS);
	cr_expect_eq(sl_hot_window_end(hot, BASE_MS + 7 * MIN_MS + 5, 30), BASE_MS + 7 * MIN_MS);
	clear_all(evs, N);
	sl_hot_free(hot);
}

/* Writes `batches` batches of 5 events of stream `name` with its own
 * handle, as a second streamlens-top process would. Returns 0, or -1 when a
 * write failed (no criterion asserts, so it also runs in a forked child). */
static int write_batches(const char *name, int batches)
{
	sl_error err = {{0}, 0};
	sl_event evs[5];
	sl_hot *hot = sl_hot_redis_open(server_addr, NULL, "sltest", 1000, &err);
	int b, rc = 0;

	if (!hot)
		return -1;
	for (b = 0; b < batches && rc == 0; b++) {
		make_run(evs, 5, name, b * 5 + 1, BASE_MS, SL_LEVEL_INFO, name);
		rc = sl_hot_add_batch(hot, evs, 5, NULL);
		clear_all(evs, 5);
		if (b % 4 == 0)
			sleep_ms(1);
	}
	sl_hot_free(hot);
	return rc;
}

Test(hot_redis, since_across_processes)
{
	enum { BATCHES = 40, TOTAL = 2 * BATCHES * 5 };
	static char seen[TOTAL + 1];
	sl_event out[16];
	sl_hot *reader;
	uint64_t last = 0, gap, gaps = 0;
	size_t i, n, count = 0;
	pid_t child;
	int status = -1, done = 0, rounds;

	need_server();
	reader = open_hot(1000);
	for (i = 0; i < 16; i++)
		sl_event_init(&out[i]);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(write_batches("gen:a", BATCHES) == 0 ? 0 : 1);
	cr_expect_eq(write_batches("gen:b", BATCHES), 0);

	/* poll like the TUI tail until every event has been seen once */
	for (rounds = 0; rounds < 2000 && count < TOTAL; rounds++) {
		n = sl_hot_since(reader, last, out, 16, &last, &gap);
		gaps += gap;
		for (i = 0; i < n; i++) {
			const char *id = out[i].id;
			int k = atoi(strrchr(id, ':') + 1) - 1 + (id[4] == 'b' ? TOTAL / 2 : 0);

			cr_assert(k >= 0 && k < TOTAL, "unexpected id %s", id);
			cr_expect_eq(seen[k], 0, "%s seen twice", id);
			seen[k] = 1;
			count++;
		}
		if (n == 0 && !done) {
			done = waitpid(child, &status, WNOHANG) == child;
			sleep_ms(2);
		}
	}
	if (!done)
		waitpid(child, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer process failed");
	cr_expect_eq(count, TOTAL);
	cr_expect_eq(gaps, 0);
	cr_expect_eq(last, TOTAL);
	cr_expect_eq(sl_hot_seq(reader), TOTAL);
	clear_all(out, 16);
	sl_hot_free(reader);
}

Test(hot_redis, since_reports_gap)
{
	sl_event evs[10], out[10];
	uint64_t last = 0, gap = 0;
	sl_hot *hot;
	size_t n, i;

	need_server();
	hot = open_hot(4);
	make_run(evs, 10, "gen:g", 1, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 10, NULL), 0);
	for (i = 0; i < 10; i++)
		sl_event_init(&out[i]);

	/* 1..6 were trimmed away: a gap of 5 after seq 1 */
	n = sl_hot_since(hot, 1, out, 10, &last, &gap);
	cr_assert_eq(n, 4);
	cr_expect_eq(gap, 5);
	cr_expect_eq(last, 10);
	cr_expect_str_eq(out[0].id, "gen:g:7");
	cr_expect_str_eq(out[3].id, "gen:g:10");

	n = sl_hot_since(hot, 8, out, 1, &last, &gap);
	cr_assert_eq(n, 1);
	cr_expect_eq(gap, 0);
	cr_expect_eq(last, 9);
	cr_expect_str_eq(out[0].id, "gen:g:9");
	cr_expect_eq(sl_hot_since(hot, 10, out, 10, &last, &gap), 0);
	clear_all(out, 10);
	clear_all(evs, 10);
	sl_hot_free(hot);
}

Test(hot_redis, malformed_entry_skipped)
{
	sl_event evs[3], out[4];
	uint64_t last = 2, gap = 9;
	redisContext *c;
	redisReply *r;
	sl_hot *hot;
	size_t i;

	need_server();
	hot = open_hot(100);
	make_run(evs, 3, "gen:m", 1, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 2, NULL), 0);
	/* another writer (or a bug) leaves seq 3 unreadable */
	c = connect_direct();
	r = redisCommand(c, "LPUSH sltest:latest %s", "3 1 2 {\"id\":\"broken");
	freeReplyObject(r);
	r = redisCommand(c, "INCR sltest:seq");
	freeReplyObject(r);
	redisFree(c);
	for (i = 0; i < 4; i++)
		sl_event_init(&out[i]);

	cr_expect_eq(sl_hot_since(hot, last, out, 4, &last, &gap), 0);
	cr_expect_eq(last, 3);
	cr_expect_eq(gap, 0);
	cr_expect_eq(sl_hot_latest(hot, 4, out), 2);
	cr_expect_str_eq(out[0].id, "gen:m:2");

	cr_assert_eq(sl_hot_add_batch(hot, evs + 2, 1, NULL), 0);
	cr_assert_eq(sl_hot_since(hot, last, out, 4, &last, &gap), 1);
	cr_expect_str_eq(out[0].id, "gen:m:3");
	cr_expect_eq(last, 4);
	clear_all(out, 4);
	clear_all(evs, 3);
	sl_hot_free(hot);
}

Test(hot_redis, one_round_trip_per_batch)
{
	sl_event evs[201];
	sl_hot *hot;
	long long before, small, large, evalsha;

	need_server();
	hot = open_hot(1000);
	make_run(evs, 201, "k:rt:0", 1, BASE_MS, SL_LEVEL_INFO, "api");
	/* the first batch creates the keys, so it runs extra commands */
	cr_assert_eq(sl_hot_add_batch(hot, evs, 1, NULL), 0);

	evalsha = info_value("commandstats", "cmdstat_evalsha:calls");
	before = info_value("stats", "total_commands_processed");
	cr_assert_eq(sl_hot_add_batch(hot, evs + 1, 1, NULL), 0);
	small = info_value("stats", "total_commands_processed") - before;
	before = info_value("stats", "total_commands_processed");
	cr_assert_eq(sl_hot_add_batch(hot, evs + 2, 199, NULL), 0);
	large = info_value("stats", "total_commands_processed") - before;

	/* commands inside the script count too, but they do not grow with the
	 * batch when its events share stream, minute, level and service */
	cr_expect_eq(small, large, "1 event: %lld commands, 199 events: %lld", small, large);
	cr_expect_eq(info_value("commandstats", "cmdstat_evalsha:calls") - evalsha, 2);
	cr_expect_eq(direct_int("LLEN sltest:latest", NULL), 201);
	clear_all(evs, 201);
	sl_hot_free(hot);
}

Test(hot_redis, script_reloaded_after_flush)
{
	sl_event evs[2];
	redisContext *c;
	redisReply *r;
	sl_hot *hot;

	need_server();
	hot = open_hot(100);
	make_run(evs, 2, "gen:s", 1, BASE_MS, SL_LEVEL_INFO, "api");
	cr_assert_eq(sl_hot_add_batch(hot, evs, 1, NULL), 0);
	c = connect_direct();
	r = redisCommand(c, "SCRIPT FLUSH");
	freeReplyObject(r);
	redisFree(c);
	cr_assert_eq(sl_hot_add_batch(hot, evs + 1, 1, NULL), 0);
	cr_expect_eq(sl_hot_seq(hot), 2);
	cr_expect_eq(direct_int("LLEN sltest:latest", NULL), 2);
	cr_expect_eq(direct_int("EXISTS sltest:staging", NULL), 0);
	clear_all(evs, 2);
	sl_hot_free(hot);
}

Test(hot_redis, restart_degrades_then_recovers)
{
	sl_event evs[3], out[3];
	char reason[256];
	sl_minute_counts *mc = NULL;
	sl_hot *hot;
	size_t i;

	need_server();
	hot = open_hot(100);
	make_run(evs, 3, "gen:r", 1, BASE_MS, SL_LEVEL_WARN, "api");
	for (i = 0; i < 3; i++)
		sl_event_init(&out[i]);
	cr_assert_eq(sl_hot_add_batch(hot, evs, 1, NULL), 0);

	stop_server(SIGKILL);
	cr_expect_eq(sl_hot_add_batch(hot, evs + 1, 1, NULL), -1);
	cr_expect_eq(sl_hot_degraded(hot, reason, sizeof reason), 1);
	cr_expect_neq(reason[0], '\0');
	cr_expect_eq(sl_hot_latest(hot, 3, out), 0);
	cr_expect_eq(sl_hot_stats(hot, BASE_MS, 5, &mc), 0);
	cr_expect_null(mc);
	/* the tail keeps its place while Redis is away */
	cr_expect_eq(sl_hot_seq(hot), 1);

	cr_assert_eq(start_server(NULL, NULL), 0, "redis-server did not restart");
	/* a connect refused while down may have started the first reconnect
	 * backoff (250 ms); the write after it reconnects */
	sleep_ms(300);
	cr_expect_eq(sl_hot_add_batch(hot, evs + 2, 1, NULL), 0);
	cr_expect_eq(sl_hot_degraded(hot, NULL, 0), 0);
	cr_expect_eq(sl_hot_latest(hot, 3, out), 1);
	cr_expect_str_eq(out[0].id, "gen:r:3");
	clear_all(out, 3);
	clear_all(evs, 3);
	sl_hot_free(hot);
}

Test(hot_redis, password_required)
{
	sl_error err;
	sl_hot *hot;
	sl_event ev;

	need_server();
	stop_server(SIGTERM);
	cr_assert_eq(start_server("--requirepass", "s3cret-pw"), 0);

	memset(&err, 0, sizeof err);
	cr_expect_null(sl_hot_redis_open(server_addr, NULL, "sltest", 10, &err));
	cr_expect_neq(err.message[0], '\0');
	memset(&err, 0, sizeof err);
	cr_expect_null(sl_hot_redis_open(server_addr, "wrong-pw", "sltest", 10, &err));
	cr_expect_null(strstr(err.message, "wrong-pw"), "password in message: %s", err.message);

	memset(&err, 0, sizeof err);
	hot = sl_hot_redis_open(server_addr, "s3cret-pw", "sltest", 10, &err);
	cr_assert_not_null(hot, "%s", err.message);
	make_event(&ev, "gen:p:1", BASE_MS, SL_LEVEL_INFO, "api", "m");
	cr_expect_eq(sl_hot_add_batch(hot, &ev, 1, NULL), 0);
	cr_expect_eq(sl_hot_seq(hot), 1);
	sl_event_clear(&ev);
	sl_hot_free(hot);
}

Test(hot_redis, unreachable_at_open)
{
	sl_error err;

	need_server();
	stop_server(SIGTERM);
	memset(&err, 0, sizeof err);
	cr_expect_null(sl_hot_redis_open(server_addr, NULL, "sltest", 10, &err));
	cr_expect_not_null(strstr(err.message, server_addr), "%s", err.message);
}

/* --- with the ingest pipeline ---------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Writes `count` log lines to a file in a fresh directory, every third one
 * an ERROR and the rest INFO, and reads the file through a pipeline that
 * writes to SQLite in that directory and to hot. Returns the stored total. */
static uint64_t ingest_lines(sl_hot *hot, int count)
{
	char dir[] = "/tmp/sl-hot-redis-XXXXXX", path[64];
	sl_pipeline_conf conf = {.batch_max = 100, .flush_ms = 50, .retention_ms = 0};
	sl_file_conf fconf = {.path = path, .from_start = 1, .max_line = 65536, .once = 1};
	sl_error err = {{0}, 0};
	sl_source *src;
	sl_pipeline *p;
	sl_store *store;
	uint64_t total = 0;
	FILE *f;
	int i;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/app.log", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (i = 0; i < count; i++)
		fprintf(f, "2026-06-30T12:%02d:00Z %s line %d with 100%% %%s\n", i % 60,
			i % 3 == 0 ? "ERROR" : "INFO", i);
	fclose(f);

	store = sl_sqlite_open(dir, &err);
	cr_assert_not_null(store, "%s", err.message);
	src = sl_source_file_open(&fconf, store, &err);
	cr_assert_not_null(src, "%s", err.message);
	p = sl_pipeline_new(store, hot, &conf);
	sl_pipeline_add_source(p, src);
	cr_expect_eq(sl_pipeline_drain(p, &err), 0, "%s", err.message);
	sl_pipeline_free(p);
	cr_expect_eq(store->ops->count(store, &total, &err), SL_OK);
	store->ops->close(store);
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return total;
}

static uint64_t sum_totals(sl_hot *hot)
{
	uint64_t totals[SL_LEVEL_COUNT], sum = 0;
	int level;

	sl_hot_totals(hot, totals);
	for (level = 0; level < SL_LEVEL_COUNT; level++)
		sum += totals[level];
	return sum;
}

Test(hot_redis, pipeline_counts_every_event)
{
	uint64_t totals[SL_LEVEL_COUNT];
	sl_hot *hot;

	need_server();
	hot = open_hot(100);
	cr_expect_eq(ingest_lines(hot, 750), 750);
	sl_hot_totals(hot, totals);
	cr_expect_eq(totals[SL_LEVEL_ERROR], 250);
	cr_expect_eq(totals[SL_LEVEL_INFO], 500);
	cr_expect_eq(sum_totals(hot), 750);
	cr_expect_eq(sl_hot_seq(hot), 750);
	cr_expect_eq(direct_int("LLEN sltest:latest", NULL), 100);
	sl_hot_free(hot);
}

Test(hot_redis, pipeline_goes_on_while_down)
{
	char reason[256];
	sl_hot *hot;

	need_server();
	hot = open_hot(100);
	stop_server(SIGKILL);
	cr_expect_eq(ingest_lines(hot, 750), 750);
	cr_expect_eq(sl_hot_degraded(hot, reason, sizeof reason), 1);
	cr_expect_eq(sum_totals(hot), 0);
	sl_hot_free(hot);
}

/* The version comes from the redis_version line of INFO server. */
Test(hot_redis_format, version_from_info)
{
	int major = -1, minor = -1;

	cr_assert_eq(sl_hot_redis_version("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n",
					  &major, &minor), 0);
	cr_expect_eq(major, 7);
	cr_expect_eq(minor, 0);
	cr_assert_eq(sl_hot_redis_version("redis_version:6.2.14\r\n", &major, &minor), 0);
	cr_expect_eq(major, 6);
	cr_expect_eq(minor, 2);
	cr_expect_eq(sl_hot_redis_version("# Server\r\nos:Linux\r\n", &major, &minor), -1);
	cr_expect_eq(sl_hot_redis_version("redis_version:seven\r\n", &major, &minor), -1);
	cr_expect_eq(sl_hot_redis_version("redis_version:7\r\n", &major, &minor), -1);
	cr_expect_eq(sl_hot_redis_version(NULL, &major, &minor), -1);
}
