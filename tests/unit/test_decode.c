/* Tests for the decoders: real lines from public log samples, hand-made
 * JSON and plain lines, and the bad-input case files fed through the line
 * reader as a file source does. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/decode.h"
#include "../../src/linereader.h"
#include "../../src/util.h"

#define FFFD "\xef\xbf\xbd"
/* 2026-03-15T12:00:00Z, the receive time of the test records. */
#define RECV_MS 1773576000000LL

static int64_t utc_ms(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return ((sl_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
}

static void decode_line(sl_decode_ctx *ctx, const char *line, sl_event *ev)
{
	sl_record rec = {0};

	rec.data = line;
	rec.len = strlen(line);
	rec.recv_ms = RECV_MS;
	snprintf(rec.id, sizeof rec.id, "test:%zu", rec.len);
	sl_decode_record(ctx, &rec, ev);
}

/* Decodes one line with auto detection and a fresh context. */
static void decode_auto(const char *line, sl_event *ev)
{
	sl_decode_ctx ctx;

	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(ev);
	decode_line(&ctx, line, ev);
}

static void assert_field(const sl_event *ev, const char *key, const char *value)
{
	const char *got = sl_event_get_field(ev, key);

	cr_assert_not_null(got, "field %s missing", key);
	cr_assert_str_eq(got, value, "field %s", key);
}

/* ---- registry ---- */

Test(decode, find_by_name)
{
	static const char *const names[] = {"json", "syslog", "combined", "logfmt", "plain", "apache_error"};
	size_t i;
	int ok = -1;

	cr_assert_null(sl_decoder_find("auto", &ok));
	cr_assert_eq(ok, 1);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		const sl_decoder *d = sl_decoder_find(names[i], &ok);

		cr_assert_not_null(d, "%s", names[i]);
		cr_assert_eq(ok, 1);
		cr_assert_str_eq(d->name, names[i]);
	}
	cr_assert_null(sl_decoder_find("xml", &ok));
	cr_assert_eq(ok, 0);
	cr_assert_str_eq(sl_decoder_names()[0], "auto");

	/* Names and aliases match in any case. */
	cr_assert_eq(sl_decoder_find("JSON", &ok), &sl_decoder_json);
	cr_assert_eq(ok, 1);
	cr_assert_eq(sl_decoder_find("LogBack", &ok), &sl_decoder_log4j);
	cr_assert_null(sl_decoder_find("AUTO", &ok));
	cr_assert_eq(ok, 1);
}

/* ---- UTF-8 ---- */

Test(decode, sanitize_invalid_bytes)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
		size_t bad;
	} cases[] = {
		{"ok \xc3\xa9", 5, "ok \xc3\xa9", 0},
		{"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", 0},
		{"a\xc0\x80z", 4, "a" FFFD FFFD "z", 2},             /* overlong NUL */
		{"\xe0\x80\xaf", 3, FFFD FFFD FFFD, 3},               /* overlong '/' */
		{"\xed\xa0\x80", 3, FFFD FFFD FFFD, 3},               /* surrogate D800 */
		{"\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4},      /* past U+10FFFF */
		{"end \xe2\x82", 6, "end " FFFD FFFD, 2},             /* cut sequence */
		{"caf\xe9!", 5, "caf" FFFD "!", 1},                   /* Latin-1 */
		{"a\0b", 3, "ab", 0},                                 /* NUL dropped */
	};
	size_t i, bad;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = sl_utf8_sanitize(cases[i].in, cases[i].n, &bad);

		cr_assert_str_eq(out, cases[i].out, "case %zu", i);
		cr_assert_eq(bad, cases[i].bad, "case %zu", i);
		free(out);
	}
}

/* ---- JSON ---- */

Test(decode, json_lnav_logger_and_lvl)
{
	sl_event ev;

	/* lnav-test-fixtures/logfile_json.json, line 1. */
	decode_auto("{\"ts\": \"2013-09-06T20:00:48.124817Z\", \"logger\": \"com.example.foo.bar.bazzer\", "
		    "\"lvl\": \"TRACE\", \"msg\": \"trace test\"}",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2013, 9, 6, 20, 0, 48) + 124);
	cr_assert_eq(ev.level, SL_LEVEL_TRACE);
	cr_assert_str_eq(ev.service, "com.example.foo.bar.bazzer");
	cr_assert_str_eq(ev.message, "trace test");
	cr_assert_str_eq(ev.host, "");
	cr_assert_eq(ev.nfields, 0);
	cr_assert_eq(ev.flags, 0);
	cr_assert_str_eq(ev.id, "test:114");
	cr_assert_eq(ev.recv_ms, RECV_MS);
	sl_event_clear(&ev);
}

Test(decode, json_lnav_escapes)
{
	sl_event ev;

	/* lnav-test-fixtures/logfile_json.json, line 2: \u001B and a "µ". */
	decode_auto("{\"ts\": \"2013-09-06T20:00:49.124817Z\", \"logger\": \"com.example.demo\xc2\xb5s\", "
		    "\"lvl\": \"INFO\", \"msg\": \"Starting up \\u001B[0;32mservice\\u001B[0m\"}",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.service, "com.example.demo\xc2\xb5s");
	cr_assert_str_eq(ev.message, "Starting up \x1b[0;32mservice\x1b[0m");
	sl_event_clear(&ev);

	/* Line 4: "DEBUG5" is a debug level with a numeric suffix. */
	decode_auto("{\"ts\": \"2013-09-06T22:00:59.124817Z\", \"lvl\": \"DEBUG5\", \"msg\": \"D\\bDetails...\\n\"}",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_DEBUG);
	cr_assert_str_eq(ev.message, "D\bDetails...\n");
	sl_event_clear(&ev);
}

Test(decode, json_bunyan_nested)
{
	sl_event ev;

	/* lnav-test-fixtures/logfile_bunyan.0, line 3. */
	decode_auto("{\"name\":\"renovate\",\"hostname\":\"renovate-gitlab-67c4bcb5-9ggbv\",\"pid\":7,"
		    "\"level\":20,\"logContext\":\"qjifsaDDI\",\"repository\":\"webgui/custom-icons-transformer\","
		    "\"msg\":\"Found 3 package file(s)\",\"time\":\"2023-03-24T14:26:16.243Z\",\"v\":0,"
		    "\"src\":{\"file\": \"/Users/trentm/tm/node-bunyan/examples/src.js\",\"line\": 20,"
		    "\"func\": \"Wuzzle.woos\"}}",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_DEBUG);
	cr_assert_str_eq(ev.host, "renovate-gitlab-67c4bcb5-9ggbv");
	cr_assert_str_eq(ev.service, "renovate");
	cr_assert_str_eq(ev.message, "Found 3 package file(s)");
	cr_assert_eq(ev.ts_ms, utc_ms(2023, 3, 24, 14, 26, 16) + 243);
	assert_field(&ev, "name", "renovate");
	assert_field(&ev, "pid", "7");
	assert_field(&ev, "v", "0");
	assert_field(&ev, "src.file", "/Users/trentm/tm/node-bunyan/examples/src.js");
	assert_field(&ev, "src.line", "20");
	assert_field(&ev, "src.func", "Wuzzle.woos");
	cr_assert_null(sl_event_get_field(&ev, "src"));
	cr_assert_null(sl_event_get_field(&ev, "level"));
	sl_event_clear(&ev);
}

Test(decode, json_values_and_duplicates)
{
	sl_event ev;

	decode_auto("{\"msg\":\"first\",\"n\":12345678901234567890.50,\"ok\":true,\"none\":null,"
		    "\"arr\": [1, \"a b\", {\"k\": 2}],\"msg\":\"second\",\"d\":1,\"d\":2,"
		    "\"obj\":{\"field1\":\"x\",\"inner\":{\"deep\":false}},\"service\":{\"name\":\"api\"},"
		    "\"log\":{\"level\":\"warn\"},\"host.name\":\"web-1\"}",
		    &ev);
	cr_assert_str_eq(ev.message, "second");
	assert_field(&ev, "n", "12345678901234567890.50");
	assert_field(&ev, "ok", "true");
	assert_field(&ev, "none", "null");
	assert_field(&ev, "arr", "[1,\"a b\",{\"k\":2}]");
	assert_field(&ev, "d", "2");
	assert_field(&ev, "obj.field1", "x");
	assert_field(&ev, "obj.inner.deep", "false");
	cr_assert_str_eq(ev.service, "api");
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.host, "web-1");
	cr_assert_null(sl_event_get_field(&ev, "msg"));
	/* No time key: the receive time, as no earlier event had a time. */
	cr_assert_eq(ev.ts_ms, RECV_MS);
	cr_assert_eq(ev.flags, SL_EV_TS_RECEIVED);
	sl_event_clear(&ev);
}

/* Returns the stored JSON form of ev, which callers free. */
static char *event_json(const sl_event *ev)
{
	sl_buf out;

	sl_buf_init(&out);
	sl_event_to_json(ev, &out, 1);
	return sl_buf_steal(&out);
}

Test(decode, json_duplicate_keeps_first_place)
{
	sl_event ev;

	decode_auto("{\"msg\":\"m\",\"a\":1,\"b\":2,\"a\":3,\"c\":4,\"b\":5}", &ev);
	cr_assert_eq(ev.nfields, 3);
	cr_assert_str_eq(ev.fields[0].key, "a");
	cr_assert_str_eq(ev.fields[0].value, "3");
	cr_assert_str_eq(ev.fields[1].key, "b");
	cr_assert_str_eq(ev.fields[1].value, "5");
	cr_assert_str_eq(ev.fields[2].key, "c");
	cr_assert_str_eq(ev.fields[2].value, "4");
	sl_event_clear(&ev);
}

Test(decode, json_records_in_a_row_identical)
{
	const char *line = "{\"ts\":\"2026-03-15T12:00:00Z\",\"level\":\"error\",\"service\":\"api\","
			   "\"host\":\"web-1\",\"msg\":\"failed\",\"user\":\"u1\",\"ms\":12}";
	sl_decode_ctx ctx;
	sl_event first, other, again;
	char *want, *got;

	/* The decoder reuses its buffers from one record to the next, so the
	 * second decode of a record must not see the records before it. */
	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(&first);
	sl_event_init(&other);
	sl_event_init(&again);
	decode_line(&ctx, line, &first);
	decode_line(&ctx, "{\"msg\":\"other\",\"a\":{\"b\":{\"c\":\"deep\"}},\"zz\":\"long value\"}",
		    &other);
	decode_line(&ctx, line, &again);
	want = event_json(&first);
	got = event_json(&again);
	cr_assert_str_eq(got, want);
	cr_assert_str_eq(again.service, "api");
	cr_assert_str_eq(again.host, "web-1");
	cr_assert_str_eq(again.message, "failed");
	assert_field(&again, "user", "u1");
	assert_field(&again, "ms", "12");
	cr_assert_eq(again.nfields, 2);
	assert_field(&other, "a.b.c", "deep");
	free(want);
	free(got);
	sl_event_clear(&first);
	sl_event_clear(&other);
	sl_event_clear(&again);
}

Test(decode, json_long_record_then_short)
{
	const char *short_line = "{\"level\":\"info\",\"msg\":\"short\",\"k\":\"v\"}";
	sl_decode_ctx ctx;
	sl_event ev, before, after;
	char *want, *got;
	sl_buf line;
	char key[16];
	size_t i;

	/* 300 members and 200 KB: past the decoder's stack arrays and past the
	 * size of the buffers it keeps between records. */
	sl_buf_init(&line);
	sl_buf_puts(&line, "{\"msg\":\"");
	for (i = 0; i < 200000; i++)
		sl_buf_putc(&line, (char)('a' + i % 26));
	sl_buf_puts(&line, "\"");
	for (i = 0; i < 300; i++)
		sl_buf_printf(&line, ",\"k%zu\":{\"n\":%zu}", i, i);
	sl_buf_putc(&line, '}');

	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(&before);
	sl_event_init(&ev);
	sl_event_init(&after);
	decode_line(&ctx, short_line, &before);
	decode_line(&ctx, line.data, &ev);
	decode_line(&ctx, short_line, &after);

	cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0, "the long record was not decoded");
	cr_assert_eq(strlen(ev.message), 200000);
	cr_assert_eq(ev.nfields, 300);
	for (i = 0; i < 300; i++) {
		char value[16];

		snprintf(key, sizeof key, "k%zu.n", i);
		snprintf(value, sizeof value, "%zu", i);
		assert_field(&ev, key, value);
	}
	cr_assert_str_eq(ev.raw, line.data);
	want = event_json(&before);
	got = event_json(&after);
	cr_assert_str_eq(got, want);
	free(want);
	free(got);
	sl_buf_free(&line);
	sl_event_clear(&before);
	sl_event_clear(&ev);
	sl_event_clear(&after);
}

Test(decode, json_unreadable_time_kept)
{
	sl_event ev;

	decode_auto("{\"time\":\"yesterday\",\"msg\":\"x\"}", &ev);
	assert_field(&ev, "time", "yesterday");
	cr_assert_eq(ev.ts_ms, RECV_MS);
	cr_assert_eq(ev.flags, SL_EV_TS_RECEIVED);
	sl_event_clear(&ev);
}

Test(decode, json_string_escapes)
{
	sl_event ev;

	decode_auto("{\"message\":\"a\\nb\\tc\\\"q\\\\ \\u00e9 \\ud83d\\ude00 \\ud800x \\u0000 \\/\"}", &ev);
	/* A lone surrogate and U+0000 both become U+FFFD. */
	cr_assert_str_eq(ev.message, "a\nb\tc\"q\\ \xc3\xa9 \xf0\x9f\x98\x80 " FFFD "x " FFFD " /");
	sl_event_clear(&ev);
}

Test(decode, json_levels)
{
	static const struct {
		const char *line;
		sl_level level;
	} cases[] = {
		{"{\"level\":10}", SL_LEVEL_TRACE},     {"{\"level\":30}", SL_LEVEL_INFO},
		{"{\"level\":40}", SL_LEVEL_WARN},      {"{\"level\":50}", SL_LEVEL_ERROR},
		{"{\"level\":60}", SL_LEVEL_FATAL},     {"{\"severity\":3}", SL_LEVEL_ERROR},
		{"{\"severity\":\"4\"}", SL_LEVEL_WARN}, {"{\"severity\":7}", SL_LEVEL_DEBUG},
		{"{\"loglevel\":\"ERR\"}", SL_LEVEL_ERROR}, {"{\"log.level\":\"notice\"}", SL_LEVEL_INFO},
		{"{\"level\":\"shouting\"}", SL_LEVEL_UNKNOWN},
	};
	size_t i;
	sl_event ev;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "%s", cases[i].line);
		sl_event_clear(&ev);
	}
	/* An unknown level word is kept as a field. */
	decode_auto("{\"level\":\"shouting\"}", &ev);
	assert_field(&ev, "level", "shouting");
	sl_event_clear(&ev);
}

Test(decode, json_broken_is_undecoded)
{
	static const char *const lines[] = {
		"{\"a\": 1", "{\"a\": }", "{\"a\": 1} trailing", "{\"a\" 1}", "{", "{}}",
	};
	size_t i;
	sl_event ev;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		decode_auto(lines[i], &ev);
		cr_assert(ev.flags & SL_EV_UNDECODED, "%s", lines[i]);
		cr_assert(ev.flags & SL_EV_TS_RECEIVED, "%s", lines[i]);
		cr_assert_eq(ev.ts_ms, RECV_MS);
		cr_assert_str_eq(ev.message, lines[i]);
		cr_assert_str_eq(ev.raw, lines[i]);
		sl_event_clear(&ev);
	}
}

Test(decode, json_deep_nesting_kept_as_text)
{
	sl_buf line;
	sl_event ev;
	int i;

	sl_buf_init(&line);
	sl_buf_puts(&line, "{\"msg\":\"deep\",\"a\":");
	for (i = 0; i < 5000; i++)
		sl_buf_puts(&line, "{\"a\":");
	sl_buf_puts(&line, "1");
	for (i = 0; i < 5000; i++)
		sl_buf_putc(&line, '}');
	sl_buf_putc(&line, '}');
	decode_auto(line.data, &ev);
	cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0);
	cr_assert_str_eq(ev.message, "deep");
	cr_assert_gt(ev.nfields, 0);
	sl_event_clear(&ev);
	sl_buf_free(&line);
}

Test(decode, forced_format_mismatch)
{
	sl_decode_ctx ctx;
	sl_event ev;
	int ok;

	sl_decode_ctx_init(&ctx, sl_decoder_find("json", &ok));
	sl_event_init(&ev);
	decode_line(&ctx, "ERROR plain text", &ev);
	cr_assert_eq(ev.flags, SL_EV_UNDECODED | SL_EV_TS_RECEIVED);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "plain text");
	cr_assert_eq(ctx.undecoded, 1);
	sl_event_clear(&ev);
}

/* ---- syslog ---- */

Test(decode, syslog_openssh)
{
	sl_event ev;

	/* loghub/OpenSSH_2k.log, line 2. Read in March 2026, Dec 10 is 2025. */
	decode_auto("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2025, 12, 10, 6, 55, 46));
	cr_assert_str_eq(ev.host, "LabSZ");
	cr_assert_str_eq(ev.service, "sshd");
	assert_field(&ev, "pid", "24200");
	cr_assert_str_eq(ev.message, "Invalid user webmaster from 173.234.31.186");
	cr_assert_eq(ev.level, SL_LEVEL_UNKNOWN);
	cr_assert_eq(ev.flags, 0);
	sl_event_clear(&ev);

	decode_auto("Dec 10 07:51:15 LabSZ sshd[24324]: error: Received disconnect from 195.154.37.122: 3: "
		    "com.jcraft.jsch.JSchException: Auth fail [preauth]",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "error: Received disconnect from 195.154.37.122: 3: "
				     "com.jcraft.jsch.JSchException: Auth fail [preauth]");
	sl_event_clear(&ev);
}

Test(decode, syslog_linux_program_with_parens)
{
	sl_event ev;

	/* loghub/Linux_2k.log, line 1, trailing space included. */
	decode_auto("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
		    "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2025, 6, 14, 15, 16, 1));
	cr_assert_str_eq(ev.host, "combo");
	cr_assert_str_eq(ev.service, "sshd(pam_unix)");
	assert_field(&ev, "pid", "19939");
	cr_assert_str_eq(ev.message, "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
				     "rhost=218.188.2.4 ");
	/* "failure" in a sentence is not a level. */
	cr_assert_eq(ev.level, SL_LEVEL_UNKNOWN);
	sl_event_clear(&ev);
}

Test(decode, syslog_pri_and_tag_without_pid)
{
	sl_event ev;

	/* otel-syslog-samples/RFC3164.log: PRI 34 is facility 4, severity 2. */
	decode_auto("<34>Feb  4 11:14:27 1.2.3.4 apache_server: test message", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 2, 4, 11, 14, 27));
	cr_assert_eq(ev.level, SL_LEVEL_FATAL);
	cr_assert_str_eq(ev.host, "1.2.3.4");
	cr_assert_str_eq(ev.service, "apache_server");
	cr_assert_str_eq(ev.message, "test message");
	sl_event_clear(&ev);

	/* lnav-test-fixtures/logfile_syslog.0, line 4. */
	decode_auto("Nov  3 09:47:02 veridian sudo: timstack : TTY=pts/6 ; PWD=/auto/wstimstack/rpms/lbuild/test ; "
		    "USER=root ; COMMAND=/usr/bin/tail /var/log/messages",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2025, 11, 3, 9, 47, 2));
	cr_assert_str_eq(ev.service, "sudo");
	cr_assert_str_eq(ev.host, "veridian");
	cr_assert_null(sl_event_get_field(&ev, "pid"));
	cr_assert_str_eq(ev.message, "timstack : TTY=pts/6 ; PWD=/auto/wstimstack/rpms/lbuild/test ; "
				     "USER=root ; COMMAND=/usr/bin/tail /var/log/messages");
	sl_event_clear(&ev);
}

/* ---- Apache error log ---- */

Test(decode, apache_error_lines)
{
	sl_event ev;

	/* loghub/Apache_2k.log, lines 1 and 2. */
	decode_auto("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2005, 12, 4, 4, 47, 44));
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.message, "workerEnv.init() ok /etc/httpd/conf/workers2.properties");
	sl_event_clear(&ev);

	decode_auto("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "mod_jk child workerEnv in error state 6");
	cr_assert_eq(ev.flags, 0);
	sl_event_clear(&ev);

	/* The Apache 2.4 form with module, pid and client groups. */
	decode_auto("[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] "
		    "[client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2000, 10, 11, 14, 32, 52) + 123);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	assert_field(&ev, "pid", "35708");
	assert_field(&ev, "tid", "4328636416");
	assert_field(&ev, "module", "core");
	assert_field(&ev, "client", "72.15.99.187");
	cr_assert_str_eq(ev.message, "File does not exist: /usr/local/apache2/htdocs/favicon.ico");
	sl_event_clear(&ev);
}

/* ---- access logs ---- */

Test(decode, combined_access_line)
{
	sl_event ev;

	/* elastic-examples/apache_combined_access_first8000.log, line 1. */
	decode_auto("83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET "
		    "/presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1\" 200 203023 "
		    "\"http://semicomplete.com/presentations/logstash-monitorama-2013/\" \"Mozilla/5.0 "
		    "(Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) "
		    "Chrome/32.0.1700.77 Safari/537.36\"",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2015, 5, 17, 10, 5, 3));
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	assert_field(&ev, "client", "83.149.9.216");
	assert_field(&ev, "method", "GET");
	assert_field(&ev, "path", "/presentations/logstash-monitorama-2013/images/kibana-search.png");
	assert_field(&ev, "protocol", "HTTP/1.1");
	assert_field(&ev, "status", "200");
	assert_field(&ev, "bytes", "203023");
	assert_field(&ev, "referer", "http://semicomplete.com/presentations/logstash-monitorama-2013/");
	assert_field(&ev, "user_agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 "
					"(KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36");
	cr_assert_null(sl_event_get_field(&ev, "user"));
	cr_assert_str_eq(ev.message,
			 "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1 200 203023");
	sl_event_clear(&ev);
}

Test(decode, common_access_status_levels)
{
	sl_event ev;

	decode_auto("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 404 -", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_eq(ev.ts_ms, utc_ms(2000, 10, 10, 20, 55, 36));
	assert_field(&ev, "user", "frank");
	cr_assert_null(sl_event_get_field(&ev, "bytes"));
	sl_event_clear(&ev);

	decode_auto("10.0.0.2 - - [10/Oct/2000:13:55:36 +0000] \"POST /x HTTP/1.1\" 503 12 \"-\" \"a \\\"q\\\" b\"",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_null(sl_event_get_field(&ev, "referer"));
	assert_field(&ev, "user_agent", "a \\\"q\\\" b");
	sl_event_clear(&ev);
}

/* ---- logfmt ---- */

Test(decode, logfmt_lnav_line)
{
	sl_event ev;

	/* lnav-test-fixtures/logfile_logfmt.0, line 2. */
	decode_auto("time=\"2021-09-15T21:17:11.674149Z\" level=warning msg=\"Failed to DeletePod in the provider\" "
		    "error=\"pod inc-1-domain-c14-ns-6/fe-inc-1-domain-c14-ns-6-5-656d9bb695-4584b is not found: "
		    "PodNotFound\" namespace=inc-1-domain-c14-ns-6 pod=fe-inc-1-domain-c14-ns-6-5-656d9bb695-4584b "
		    "uid=be2def59-3a08-42fd-8f84-6f64cfcefa93",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2021, 9, 15, 21, 17, 11) + 674);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message, "Failed to DeletePod in the provider");
	assert_field(&ev, "error", "pod inc-1-domain-c14-ns-6/fe-inc-1-domain-c14-ns-6-5-656d9bb695-4584b is "
				   "not found: PodNotFound");
	assert_field(&ev, "namespace", "inc-1-domain-c14-ns-6");
	assert_field(&ev, "uid", "be2def59-3a08-42fd-8f84-6f64cfcefa93");
	cr_assert_eq(ev.flags, 0);
	sl_event_clear(&ev);
}

Test(decode, logfmt_empty_and_escaped_values)
{
	sl_event ev;

	decode_auto("level=error msg=\"say \\\"hi\\\"\" reason= status=Pending", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "say \"hi\"");
	assert_field(&ev, "reason", "");
	assert_field(&ev, "status", "Pending");
	sl_event_clear(&ev);
}

Test(decode, logfmt_bare_keys_are_flags)
{
	sl_event ev;

	decode_auto("time=2026-01-02T03:04:05Z level=info msg=bare app=worker empty= flag", &ev);
	cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 3, 4, 5));
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.message, "bare");
	cr_assert_str_eq(ev.service, "worker");
	assert_field(&ev, "empty", "");
	assert_field(&ev, "flag", "true");
	sl_event_clear(&ev);

	/* Words with one pair among them stay plain text. */
	decode_auto("connection reset by peer level=warn retrying", &ev);
	cr_assert_null(sl_event_get_field(&ev, "level"));
	cr_assert_null(sl_event_get_field(&ev, "retrying"));
	cr_assert_str_eq(ev.message, "connection reset by peer level=warn retrying");
	sl_event_clear(&ev);
}

/* ---- log4j (was plain text before the log4j decoder) ---- */

Test(decode, log4j_hadoop_line)
{
	sl_event ev;

	/* loghub/Hadoop_2k.log: log4j with a comma before the ms; the thread
	 * and the logger move out of the message. */
	decode_auto("2015-10-18 18:05:27,570 WARN [LeaseRenewer:msrabi@msra-sa-41:9000] org.apache.hadoop.ipc.Client: "
		    "Address change detected. Old: msra-sa-41/10.190.173.170:9000 New: msra-sa-41:9000",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2015, 10, 18, 18, 5, 27) + 570);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message,
			 "Address change detected. Old: msra-sa-41/10.190.173.170:9000 New: msra-sa-41:9000");
	cr_assert_str_eq(ev.service, "org.apache.hadoop.ipc.Client");
	assert_field(&ev, "thread", "LeaseRenewer:msrabi@msra-sa-41:9000");
	cr_assert_eq(ev.flags, 0);
	sl_event_clear(&ev);
}

/* ---- plain text ---- */

Test(decode, plain_level_forms)
{
	static const struct {
		const char *line;
		sl_level level;
		const char *message;
	} cases[] = {
		{"2026-01-02T03:04:05Z ERROR disk full", SL_LEVEL_ERROR, "disk full"},
		{"2026-01-02T03:04:05Z [error] disk full", SL_LEVEL_ERROR, "disk full"},
		{"2026-01-02T03:04:05Z <E> disk full", SL_LEVEL_ERROR, "disk full"},
		{"2026-01-02T03:04:05Z E disk full", SL_LEVEL_ERROR, "disk full"},
		{"2026-01-02T03:04:05Z W0102 disk full", SL_LEVEL_WARN, "disk full"},
		{"2026-01-02T03:04:05Z err disk full", SL_LEVEL_ERROR, "disk full"},
		{"Dec 04 2026 10:11:16 WARN disk full", SL_LEVEL_WARN, "disk full"},
		{"WARN: disk full", SL_LEVEL_WARN, "disk full"},
		{"error: disk full", SL_LEVEL_ERROR, "disk full"},
		{"[2026-01-02 03:04:05] DEBUG cache miss", SL_LEVEL_DEBUG, "cache miss"},
		{"started worker level=warn pool=3", SL_LEVEL_WARN, "started worker level=warn pool=3"},
		/* HDFS: the "yyMMdd HHmmss" time is cut, the level found further in. */
		{"081109 203615 148 INFO dfs.DataNode$PacketResponder: done", SL_LEVEL_INFO,
		 "148 INFO dfs.DataNode$PacketResponder: done"},
		/* Single letters and words in sentences are not levels. */
		{"A user logged in", SL_LEVEL_UNKNOWN, "A user logged in"},
		{"E is not set", SL_LEVEL_UNKNOWN, "E is not set"},
		{"Error opening file, retrying", SL_LEVEL_UNKNOWN, "Error opening file, retrying"},
		{"the fatal flaw", SL_LEVEL_UNKNOWN, "the fatal flaw"},
		{"", SL_LEVEL_UNKNOWN, ""},
	};
	size_t i;
	sl_event ev;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "\"%s\"", cases[i].line);
		cr_assert_str_eq(ev.message, cases[i].message, "\"%s\"", cases[i].line);
		cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0);
		sl_event_clear(&ev);
	}
}

Test(decode, plain_time_inherited)
{
	sl_decode_ctx ctx;
	sl_event ev;

	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(&ev);
	decode_line(&ctx, "no time here", &ev);
	cr_assert_eq(ev.ts_ms, RECV_MS);
	cr_assert_eq(ev.flags, SL_EV_TS_RECEIVED);

	decode_line(&ctx, "2026-01-02T03:04:05Z INFO has a time", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 3, 4, 5));
	cr_assert_eq(ev.flags, 0);

	decode_line(&ctx, "    at com.example.Main.run(Main.java:10)", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 3, 4, 5));
	cr_assert_eq(ev.flags, SL_EV_TS_INHERITED);
	sl_event_clear(&ev);
}

Test(decode, undecoded_line_keeps_time)
{
	sl_decode_ctx ctx;
	sl_event ev;

	/* A forced format that rejects the line leaves it to plain text, which
	 * still reads its leading time and the level after it. */
	sl_decode_ctx_init(&ctx, &sl_decoder_json);
	sl_event_init(&ev);
	decode_line(&ctx, "2026-01-02 03:04:05,678 ERROR [main] com.example.App: start failed", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 3, 4, 5) + 678);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_eq(ev.flags, SL_EV_UNDECODED);

	/* A cut JSON object keeps the time of a time key that is complete. */
	decode_line(&ctx, "{\"time\":\"2026-01-02T09:00:00Z\",\"level\":\"info\",\"msg\":\"cut", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 9, 0, 0));
	cr_assert_eq(ev.flags, SL_EV_UNDECODED);

	/* Without a time of its own it takes the previous event's time. */
	decode_line(&ctx, "{\"level\":\"info\",\"time\":\"2026-01-02T10:0", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 9, 0, 0));
	cr_assert_eq(ev.flags, SL_EV_UNDECODED | SL_EV_TS_INHERITED);
	sl_event_clear(&ev);

	/* Auto detection: cut JSON objects after a decoded event. */
	sl_decode_ctx_init(&ctx, NULL);
	decode_line(&ctx, "{\"time\":\"2026-01-02T03:04:05Z\",\"msg\":\"whole\"}", &ev);
	decode_line(&ctx, "{\"ts\": 1767330000000, \"msg\":\"cut", &ev);
	cr_assert_eq(ev.ts_ms, 1767330000000LL);
	cr_assert_eq(ev.flags, SL_EV_UNDECODED);
	decode_line(&ctx, "{not json at all", &ev);
	cr_assert_eq(ev.ts_ms, 1767330000000LL);
	cr_assert_eq(ev.flags, SL_EV_UNDECODED | SL_EV_TS_INHERITED);
	sl_event_clear(&ev);
}

Test(decode, ansi_codes_stripped_before_decoding)
{
	const char *line = "\x1b[32mDec  4 10:11:12\x1b[0m web1 sshd[811]: \x1b[31mFailed\x1b[0m password";
	sl_event ev;

	decode_auto(line, &ev);
	cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0);
	cr_assert_str_eq(ev.host, "web1");
	cr_assert_str_eq(ev.service, "sshd");
	cr_assert_str_eq(ev.message, "Failed password");
	cr_assert_str_eq(ev.raw, line);
	sl_event_clear(&ev);
}

Test(decode, plain_time_of_day_dated_from_previous)
{
	sl_decode_ctx ctx;
	sl_event ev;

	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(&ev);
	decode_line(&ctx, "2026-01-02 23:59:59 INFO first", &ev);
	decode_line(&ctx, "[00:00:02] WARN clock in brackets", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 3, 0, 0, 2));
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message, "clock in brackets");
	cr_assert_eq(ev.flags, 0u);
	decode_line(&ctx, "00:00:03 err bare clock", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 3, 0, 0, 3));
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "bare clock");
	sl_event_clear(&ev);
}

/* ---- bad-input case files ---- */

#define CASES "../shared/cases/"

typedef struct case_run {
	sl_decode_ctx ctx;
	sl_event ev[16];
	char *raw_line[16];
	int n;
} case_run;

static int on_case_line(void *ud, const char *line, size_t len, int truncated, uint64_t start,
			uint64_t end)
{
	case_run *run = ud;
	sl_record rec = {0};

	(void)end;
	cr_assert_lt(run->n, 16);
	rec.data = line;
	rec.len = len;
	rec.recv_ms = RECV_MS;
	rec.flags = truncated ? SL_REC_TRUNCATED : 0;
	snprintf(rec.id, sizeof rec.id, "case:%llu", (unsigned long long)start);
	sl_event_init(&run->ev[run->n]);
	sl_decode_record(&run->ctx, &rec, &run->ev[run->n]);
	run->raw_line[run->n] = sl_strndup(line, len);
	run->n++;
	return 0;
}

/* Feeds a case file through a line reader in 7-byte pieces, so terminators
 * and sequences fall across feeds, then decodes each line. */
static void run_case(const char *name, size_t cap, case_run *run)
{
	char path[256], chunk[7];
	sl_linereader lr;
	FILE *f;
	size_t got;

	snprintf(path, sizeof path, CASES "%s", name);
	f = fopen(path, "rb");
	if (!f)
		cr_skip_test("%s not found: the shared bad-input cases are not present", path);
	memset(run, 0, sizeof *run);
	sl_decode_ctx_init(&run->ctx, NULL);
	sl_linereader_init(&lr, cap, 0);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		sl_linereader_feed(&lr, chunk, got, on_case_line, run);
	sl_linereader_flush(&lr, on_case_line, run);
	sl_linereader_free(&lr);
	fclose(f);
}

static void free_case(case_run *run)
{
	int i;

	for (i = 0; i < run->n; i++) {
		sl_event_clear(&run->ev[i]);
		free(run->raw_line[i]);
	}
}

Test(decode_cases, c03_invalid_utf8)
{
	case_run run;

	run_case("C03-invalid-utf8-cp1252.log", 0, &run);
	cr_assert_eq(run.n, 4);
	cr_assert_eq(run.ev[0].level, SL_LEVEL_WARN);
	cr_assert_str_eq(run.ev[0].message,
			 "intern Jo" FFFD "o opened case 4411; operaci" FFFD "n pendiente, retry in 5s");
	cr_assert_eq(run.ev[1].level, SL_LEVEL_ERROR);
	cr_assert_str_eq(run.ev[1].message, "price " FFFD " 19.99 rejected by gateway gw-7 (code 502)");
	cr_assert_str_eq(run.ev[2].message, "truncated sequence at end " FFFD FFFD);
	cr_assert_str_eq(run.ev[3].message, "next line must still arrive intact");
	cr_assert(run.ev[0].flags & SL_EV_INVALID_UTF8);
	cr_assert(run.ev[2].flags & SL_EV_INVALID_UTF8);
	cr_assert_eq(run.ev[3].flags, 0);
	cr_assert_eq(run.ev[3].ts_ms, utc_ms(2026, 3, 10, 2, 9, 53));
	free_case(&run);
}

Test(decode_cases, c04_control_characters)
{
	case_run run;
	sl_buf json;
	int i;
	size_t k;

	run_case("C04-ansi-escape-control-chars.log", 0, &run);
	cr_assert_eq(run.n, 4);
	cr_assert_eq(run.ev[0].level, SL_LEVEL_INFO);
	cr_assert_eq(run.ev[1].level, SL_LEVEL_ERROR);
	cr_assert_eq(run.ev[2].level, SL_LEVEL_WARN);
	cr_assert_eq(run.ev[3].level, SL_LEVEL_INFO);
	cr_assert_eq(run.ev[0].ts_ms, utc_ms(2026, 7, 27, 11, 36, 36));
	/* Colour codes leave the message and stay in the raw line. */
	cr_assert_str_eq(run.ev[1].message, "[30155]: ERROR pool exhausted\x07 (bell)");
	cr_assert_not_null(strstr(run.ev[1].raw, "\x1b[31mERROR\x1b[0m"));
	cr_assert_str_eq(run.ev[3].message, "json with raw ESC  inside string");
	cr_assert_eq(run.ev[3].ts_ms, utc_ms(2026, 7, 27, 11, 36, 39));

	sl_buf_init(&json);
	for (i = 0; i < run.n; i++) {
		sl_buf_reset(&json);
		sl_event_to_json(&run.ev[i], &json, 1);
		for (k = 0; k < json.len; k++) {
			unsigned char c = (unsigned char)json.data[k];

			cr_assert(c >= 0x20 && c != 0x7f, "event %d: raw byte 0x%02x in JSON", i, c);
		}
	}
	sl_buf_reset(&json);
	sl_event_to_json(&run.ev[1], &json, 1);
	cr_assert_not_null(strstr(json.data, "\"raw\":\"2026/07/27 11:36:37 E1: [30155]: \\u001b[31mERROR"));
	sl_buf_free(&json);
	free_case(&run);
}

Test(decode_cases, c09_epoch_units)
{
	case_run run;
	int i;

	run_case("C09-epoch-seconds-vs-millis.jsonl", 0, &run);
	cr_assert_eq(run.n, 7);
	/* 2026-07-25T17:20:00Z is 1785000000 s. */
	cr_assert_eq(utc_ms(2026, 7, 25, 17, 20, 0), 1785000000000LL);
	cr_assert_eq(run.ev[0].ts_ms, 1785000000000LL);
	cr_assert_eq(run.ev[4].ts_ms, 1785000000000LL);
	for (i = 1; i < 7; i++) {
		if (i == 4)
			continue;
		cr_assert_eq(run.ev[i].ts_ms, 1785000000123LL, "line %d", i + 1);
	}
	for (i = 0; i < 7; i++)
		cr_assert_eq(run.ev[i].flags, 0, "line %d", i + 1);
	cr_assert_eq(run.ev[0].level, SL_LEVEL_INFO);
	cr_assert_eq(run.ev[6].level, SL_LEVEL_ERROR);
	cr_assert_str_eq(run.ev[5].message, "epoch seconds with fraction");
	free_case(&run);
}

Test(decode_cases, c11_long_line_cut)
{
	case_run run;

	run_case("C11-very-long-line.log", 4096, &run);
	cr_assert_eq(run.n, 3);
	cr_assert_str_eq(run.ev[0].message, "before long line");
	cr_assert(run.ev[1].flags & SL_EV_TRUNCATED);
	cr_assert_eq(strlen(run.ev[1].raw), 4096);
	cr_assert_eq(run.ev[1].level, SL_LEVEL_ERROR);
	cr_assert_eq(strncmp(run.ev[1].message, "payload dump: ABCDEFGHIJ", 24), 0);
	cr_assert_str_eq(run.ev[2].message, "after long line must still be read");
	cr_assert_eq(run.ev[2].flags, 0);
	cr_assert_eq(run.ev[2].ts_ms, utc_ms(2026, 9, 5, 10, 0, 2));
	free_case(&run);
}

Test(decode_cases, c12_line_endings)
{
	static const sl_level levels[5] = {
		SL_LEVEL_INFO, SL_LEVEL_WARN, SL_LEVEL_ERROR, SL_LEVEL_INFO, SL_LEVEL_INFO,
	};
	static const char *const paths[5] = {"/a", "/b", "/c", "/d", "/e"};
	case_run run;
	int i;

	run_case("C12-cr-crlf-line-endings.log", 0, &run);
	cr_assert_eq(run.n, 5);
	for (i = 0; i < 5; i++) {
		cr_assert_null(strchr(run.raw_line[i], '\r'), "record %d", i + 1);
		cr_assert_gt(sl_decoder_combined.probe(run.raw_line[i], strlen(run.raw_line[i])), 0);
		cr_assert_eq(run.ev[i].flags, 0, "record %d", i + 1);
		cr_assert_eq(run.ev[i].level, levels[i], "record %d", i + 1);
		assert_field(&run.ev[i], "path", paths[i]);
		cr_assert_eq(run.ev[i].ts_ms, utc_ms(2026, 9, 6, 10, 0, (unsigned)i + 1));
	}
	free_case(&run);
}

Test(decode_cases, c17_unparsable_time_inherits)
{
	case_run run;
	int i;

	run_case("C17-unparsable-timestamp-ordering.log", 0, &run);
	cr_assert_eq(run.n, 5);
	cr_assert_eq(run.ev[1].ts_ms, utc_ms(2026, 1, 29, 10, 15, 2));
	cr_assert_eq(run.ev[2].ts_ms, utc_ms(2026, 1, 29, 10, 15, 2));
	cr_assert_eq(run.ev[2].flags, SL_EV_TS_INHERITED);
	cr_assert_eq(run.ev[2].level, SL_LEVEL_ERROR);
	cr_assert_str_eq(run.ev[2].message, "job 17 helper wrote its own clock format");
	cr_assert_str_eq(run.ev[2].raw, "29/01 10:15:02,9 ERROR job 17 helper wrote its own clock format");
	for (i = 0; i < 5; i++) {
		if (i != 2)
			cr_assert_eq(run.ev[i].flags, 0, "line %d", i + 1);
	}
	cr_assert_eq(run.ev[4].ts_ms, utc_ms(2026, 1, 29, 10, 15, 3));
	cr_assert_str_eq(run.ev[4].message, "job 18 started");
	free_case(&run);
}

/* Decoding in two parts, the first in any order, gives what sl_decode_record
 * gives once the context is settled: the pipeline's decode threads rely on
 * it. Lines without a time take the time of the line before them. */
Test(decode, detached_out_of_order_then_settled)
{
	static const char *const lines[] = {
		"{\"ts\":\"2026-03-15T10:00:00Z\",\"level\":\"info\",\"msg\":\"a\"}",
		"{\"level\":\"warn\",\"msg\":\"no time\"}",
		"{\"ts\":\"2026-03-15T11:00:00Z\",\"level\":\"error\",\"msg\":\"b\"}",
		"{\"level\":\"info\",\"msg\":\"no time either\"}",
	};
	sl_decode_ctx seq, par;
	sl_event want[4], got[4], warm;
	const sl_decoder *dec[4];
	sl_record rec[4];
	int i;

	sl_decode_ctx_init(&seq, NULL);
	sl_decode_ctx_init(&par, NULL);
	for (i = 0; i < SL_DECODE_SAMPLE; i++) {
		sl_event_init(&warm);
		decode_line(&seq, lines[0], &warm);
		sl_event_clear(&warm);
		sl_event_init(&warm);
		decode_line(&par, lines[0], &warm);
		sl_event_clear(&warm);
	}
	cr_assert(sl_decode_ctx_settled(&par));

	for (i = 0; i < 4; i++) {
		memset(&rec[i], 0, sizeof rec[i]);
		rec[i].data = lines[i];
		rec[i].len = strlen(lines[i]);
		rec[i].recv_ms = RECV_MS;
		snprintf(rec[i].id, sizeof rec[i].id, "test:%d", i);
		sl_event_init(&want[i]);
		sl_event_init(&got[i]);
		sl_decode_record(&seq, &rec[i], &want[i]);
	}
	for (i = 3; i >= 0; i--)
		dec[i] = sl_decode_record_detached(&par, &rec[i], &got[i]);
	for (i = 0; i < 4; i++) {
		sl_decode_settle(&par, dec[i], &got[i]);
		cr_expect_eq(got[i].ts_ms, want[i].ts_ms, "line %d", i);
		cr_expect_eq(got[i].flags, want[i].flags, "line %d", i);
		cr_expect_eq(got[i].level, want[i].level, "line %d", i);
		cr_expect_str_eq(got[i].message, want[i].message, "line %d", i);
	}
	cr_expect_eq(got[1].ts_ms, utc_ms(2026, 3, 15, 10, 0, 0));
	cr_expect_eq(got[3].ts_ms, utc_ms(2026, 3, 15, 11, 0, 0));
	cr_expect(got[3].flags & SL_EV_TS_INHERITED);
	cr_expect_eq(par.decoded, seq.decoded);
	for (i = 0; i < 4; i++) {
		sl_event_clear(&want[i]);
		sl_event_clear(&got[i]);
	}
}
