/* Tests for the application logging formats (log4j, Python, glog, zap and
 * zerolog console, logcat, Redis), per-source format detection, Docker json-file
 * lines split by the driver and "docker compose logs" prefixes. Expected
 * values are read from the input lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/decode.h"
#include "../../src/multiline.h"
#include "../../src/util.h"

/* 2026-03-15T12:00:00Z, the receive time of the test records. */
#define RECV_MS 1773576000000LL

static int64_t utc_ms(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return ((sl_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
}

static void decode_with(sl_decode_ctx *ctx, const char *line, size_t len, sl_event *ev)
{
	sl_record rec;

	memset(&rec, 0, sizeof rec);
	rec.data = line;
	rec.len = len;
	rec.recv_ms = RECV_MS;
	snprintf(rec.id, sizeof rec.id, "test:%zu", len);
	sl_event_init(ev);
	sl_decode_record(ctx, &rec, ev);
}

/* Decodes one line with auto detection and a fresh context. */
static void decode_auto(const char *line, sl_event *ev)
{
	sl_decode_ctx ctx;

	sl_decode_ctx_init(&ctx, NULL);
	decode_with(&ctx, line, strlen(line), ev);
}

static void assert_field(const sl_event *ev, const char *key, const char *value)
{
	const char *got = sl_event_get_field(ev, key);

	cr_assert_not_null(got, "field %s missing", key);
	cr_assert_str_eq(got, value, "field %s", key);
}

/* Returns the decoder whose probe scores the line highest. */
static const sl_decoder *best_probe(const char *line)
{
	static const sl_decoder *const all[] = {
		&sl_decoder_json, &sl_decoder_combined, &sl_decoder_apache_error, &sl_decoder_syslog,
		&sl_decoder_glog, &sl_decoder_logcat,   &sl_decoder_zap,          &sl_decoder_zerolog,
		&sl_decoder_redis,  &sl_decoder_python, &sl_decoder_log4j,        &sl_decoder_logfmt,
		&sl_decoder_plain,
	};
	const sl_decoder *best = NULL;
	int best_score = 0;
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		int score = all[i]->probe(line, strlen(line));

		if (score > best_score) {
			best = all[i];
			best_score = score;
		}
	}
	return best;
}

/* ---- format names ---- */

Test(decode_app, format_names_and_aliases)
{
	static const struct {
		const char *name;
		const sl_decoder *decoder;
	} cases[] = {
		{"log4j", &sl_decoder_log4j},     {"logback", &sl_decoder_log4j},
		{"python", &sl_decoder_python},   {"glog", &sl_decoder_glog},
		{"zap", &sl_decoder_zap},         {"zerolog", &sl_decoder_zerolog},
		{"logcat", &sl_decoder_logcat},   {"android", &sl_decoder_logcat},
		{"combined", &sl_decoder_combined}, {"common", &sl_decoder_combined},
		{"nginx", &sl_decoder_combined},  {"apache_error", &sl_decoder_apache_error},
		{"redis", &sl_decoder_redis},
	};
	const char *const *names = sl_decoder_names();
	size_t i;
	int ok;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(sl_decoder_find(cases[i].name, &ok), cases[i].decoder, "%s", cases[i].name);
		cr_assert_eq(ok, 1, "%s", cases[i].name);
	}
	/* Every listed name resolves, and the error text lists each one. */
	for (i = 1; names[i]; i++) {
		cr_assert_not_null(sl_decoder_find(names[i], &ok), "%s", names[i]);
		cr_assert_not_null(strstr(sl_decoder_names_text(), names[i]), "%s", names[i]);
	}
	cr_assert_null(sl_decoder_find("log4net", &ok));
	cr_assert_eq(ok, 0);
}

/* ---- glog ---- */

Test(decode_app, glog_line)
{
	sl_event ev;

	/* No year: Dec 4 is in the past of 2026-03-15 only in 2025. */
	decode_auto("W1204 10:11:12.123456    1234 server.go:42] disk 91% full", &ev);
	cr_assert_eq(best_probe("W1204 10:11:12.123456    1234 server.go:42] disk 91% full"),
		     &sl_decoder_glog);
	cr_assert_eq(ev.ts_ms, utc_ms(2025, 12, 4, 10, 11, 12) + 123);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message, "disk 91% full");
	assert_field(&ev, "thread", "1234");
	assert_field(&ev, "source", "server.go:42");
	cr_assert_eq(ev.flags, 0);
	sl_event_clear(&ev);
}

Test(decode_app, glog_letters_and_year)
{
	static const struct {
		const char *line;
		sl_level level;
	} cases[] = {
		{"I0314 09:00:00.000001 7 a.cc:1] x", SL_LEVEL_INFO},
		{"E0314 09:00:00.000001 7 a.cc:1] x", SL_LEVEL_ERROR},
		{"F0314 09:00:00.000001 7 a.cc:1] x", SL_LEVEL_FATAL},
	};
	sl_event ev;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "%s", cases[i].line);
		cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 9, 0, 0), "%s", cases[i].line);
		sl_event_clear(&ev);
	}
	/* glog 0.7 writes the year after the level letter. */
	decode_auto("I20240229 23:59:59.500000 99 main.cc:7] leap day", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2024, 2, 29, 23, 59, 59) + 500);
	cr_assert_str_eq(ev.message, "leap day");
	sl_event_clear(&ev);
	/* Feb 30 does not exist: not glog, so plain text. */
	cr_assert_eq(sl_decoder_glog.probe("I0230 10:00:00.000000 1 a.cc:1] x", 33), 0);
}

/* ---- Android logcat ---- */

Test(decode_app, logcat_threadtime)
{
	const char *line = "03-17 16:13:38.819  1702  8671 D PowerManagerService: acquire lock=233570404";
	sl_event ev;

	cr_assert_eq(best_probe(line), &sl_decoder_logcat);
	decode_auto(line, &ev);
	/* Mar 17 is two days after the receive time, so it is last year's. */
	cr_assert_eq(ev.ts_ms, utc_ms(2025, 3, 17, 16, 13, 38) + 819);
	cr_assert_eq(ev.level, SL_LEVEL_DEBUG);
	cr_assert_str_eq(ev.service, "PowerManagerService");
	cr_assert_str_eq(ev.message, "acquire lock=233570404");
	assert_field(&ev, "pid", "1702");
	assert_field(&ev, "tid", "8671");
	sl_event_clear(&ev);
}

Test(decode_app, logcat_level_letters)
{
	static const char letters[] = "VDIWEFA";
	static const sl_level levels[] = {
		SL_LEVEL_TRACE, SL_LEVEL_DEBUG, SL_LEVEL_INFO, SL_LEVEL_WARN,
		SL_LEVEL_ERROR, SL_LEVEL_FATAL, SL_LEVEL_FATAL,
	};
	char line[96];
	sl_event ev;
	size_t i;

	for (i = 0; i < 7; i++) {
		snprintf(line, sizeof line, "03-14 10:00:00.000   100   200 %c chatty  : uid=1000 expire 3 lines",
			 letters[i]);
		decode_auto(line, &ev);
		cr_assert_eq(ev.level, levels[i], "letter %c", letters[i]);
		cr_assert_str_eq(ev.service, "chatty", "letter %c", letters[i]);
		cr_assert_str_eq(ev.message, "uid=1000 expire 3 lines");
		sl_event_clear(&ev);
	}
}

/* ---- Python logging ---- */

Test(decode_app, python_dashes_format)
{
	const char *line = "2026-03-14 10:11:12,345 - app.db - WARNING - slow query took 2.5s";
	sl_event ev;

	cr_assert_eq(best_probe(line), &sl_decoder_python);
	decode_auto(line, &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 345);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.service, "app.db");
	cr_assert_str_eq(ev.message, "slow query took 2.5s");
	sl_event_clear(&ev);
}

Test(decode_app, python_default_format)
{
	sl_decode_ctx ctx;
	sl_event ev;

	sl_decode_ctx_init(&ctx, NULL);
	decode_with(&ctx, "CRITICAL:urllib3.connectionpool:pool exhausted: 10 of 10", 57, &ev);
	cr_assert_eq(ev.level, SL_LEVEL_FATAL);
	cr_assert_str_eq(ev.service, "urllib3.connectionpool");
	cr_assert_str_eq(ev.message, "pool exhausted: 10 of 10");
	/* No time in the line and none before it: the receive time, flagged. */
	cr_assert_eq(ev.ts_ms, RECV_MS);
	cr_assert_eq(ev.flags, SL_EV_TS_RECEIVED);
	sl_event_clear(&ev);

	decode_with(&ctx, "2026-03-14 10:11:12,345 - app - INFO - ready", 45, &ev);
	sl_event_clear(&ev);
	decode_with(&ctx, "ERROR:root:connection refused", 29, &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.service, "root");
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 345);
	cr_assert_eq(ev.flags, SL_EV_TS_INHERITED);
	sl_event_clear(&ev);
}

Test(decode_app, python_rejects_other_text)
{
	/* Level names in capitals only, and a logger name without spaces. */
	cr_assert_eq(sl_decoder_python.probe("Error:disk:full", 15), 0);
	cr_assert_eq(sl_decoder_python.probe("ERROR:disk is full: yes", 23), 0);
	cr_assert_eq(sl_decoder_python.probe("2026-03-14 10:11:12,345 - a b - INFO - x", 40), 0);
}

/* ---- log4j and logback ---- */

Test(decode_app, log4j_layouts)
{
	static const struct {
		const char *line, *service, *thread, *message;
		sl_level level;
		int64_t ts;
	} cases[] = {
		/* Kafka: the logger comes last in parentheses. */
		{"[2016-12-19 20:39:48,918] WARN [ReplicaFetcherThread-0-2], Error in fetch "
		 "(kafka.server.ReplicaFetcherThread)",
		 "kafka.server.ReplicaFetcherThread", NULL,
		 "[ReplicaFetcherThread-0-2], Error in fetch (kafka.server.ReplicaFetcherThread)",
		 SL_LEVEL_WARN, 1482179988918LL},
		/* ZooKeeper: nested brackets in the thread. */
		{"2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - "
		 "Send worker leaving thread",
		 "", "SendWorker:188978561024:QuorumCnxManager$SendWorker@688", "Send worker leaving thread",
		 SL_LEVEL_WARN, 1438196669071LL},
		/* Padded thread and logger columns. */
		{"2025-01-24T07:00:30,139 INFO [background-preinit       ] Version                  : "
		 "HV000001: Hibernate Validator 8.0.1.Final",
		 "Version", "background-preinit", "HV000001: Hibernate Validator 8.0.1.Final",
		 SL_LEVEL_INFO, 1737702030139LL},
		/* logback's default layout. */
		{"2026-03-14 10:11:12.345 [main] ERROR com.example.App - start failed: port 80 in use",
		 "com.example.App", "main", "start failed: port 80 in use", SL_LEVEL_ERROR,
		 1773483072345LL},
		/* Spring Boot. */
		{"2026-03-14 10:11:12.345  INFO 4242 --- [           main] o.s.b.w.e.tomcat.TomcatWebServer"
		 "         : Tomcat started on port(s): 8080 (http)",
		 "o.s.b.w.e.tomcat.TomcatWebServer", "main", "Tomcat started on port(s): 8080 (http)",
		 SL_LEVEL_INFO, 1773483072345LL},
	};
	sl_event ev;
	size_t i;

	cr_assert_eq(utc_ms(2016, 12, 19, 20, 39, 48) + 918, 1482179988918LL);
	cr_assert_eq(utc_ms(2015, 7, 29, 19, 4, 29) + 71, 1438196669071LL);
	cr_assert_eq(utc_ms(2025, 1, 24, 7, 0, 30) + 139, 1737702030139LL);
	cr_assert_eq(utc_ms(2026, 3, 14, 10, 11, 12) + 345, 1773483072345LL);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(best_probe(cases[i].line), &sl_decoder_log4j, "case %zu", i);
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.ts_ms, cases[i].ts, "case %zu", i);
		cr_assert_eq(ev.level, cases[i].level, "case %zu", i);
		cr_assert_str_eq(ev.service, cases[i].service, "case %zu", i);
		cr_assert_str_eq(ev.message, cases[i].message, "case %zu", i);
		if (cases[i].thread)
			assert_field(&ev, "thread", cases[i].thread);
		sl_event_clear(&ev);
	}
}

Test(decode_app, log4j_keeps_message_first_word)
{
	sl_event ev;

	/* "Error:" is not a dotted logger name, so it stays in the message. */
	decode_auto("2026-03-14 10:11:12,345 ERROR Error: disk full", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "Error: disk full");
	cr_assert_str_eq(ev.service, "");
	sl_event_clear(&ev);
}

/* ---- zap and zerolog console encoders ---- */

Test(decode_app, zap_console_line)
{
	const char *line = "2026-03-14T10:11:12.123Z\tINFO\tserver\tcmd/main.go:42\tlistening\t"
			   "{\"addr\":\":8080\",\"tls\":{\"enabled\":false}}";
	sl_event ev;

	cr_assert_eq(best_probe(line), &sl_decoder_zap);
	decode_auto(line, &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 123);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.service, "server");
	cr_assert_str_eq(ev.message, "listening");
	assert_field(&ev, "caller", "cmd/main.go:42");
	assert_field(&ev, "addr", ":8080");
	assert_field(&ev, "tls.enabled", "false");
	sl_event_clear(&ev);
}

Test(decode_app, zap_console_colour_and_bare)
{
	sl_event ev;

	/* The colour level encoder wraps the level in escape codes. */
	decode_auto("2026-03-14T10:11:12.123+0100\t\x1b[31mERROR\x1b[0m\tcould not connect", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 9, 11, 12) + 123);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "could not connect");
	cr_assert_str_eq(ev.service, "");
	sl_event_clear(&ev);
}

Test(decode_app, zerolog_console_line)
{
	const char *line = "\x1b[90m1:05AM\x1b[0m \x1b[32mINF\x1b[0m server started \x1b[36mport=\x1b[0m8080 "
			   "\x1b[36mhost=\x1b[0m\"web 1\"";
	sl_event ev;

	cr_assert_eq(best_probe(line), &sl_decoder_zerolog);
	decode_auto(line, &ev);
	/* time.Kitchen has no date: the day nearest the receive time. */
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 15, 1, 5, 0));
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.message, "server started");
	assert_field(&ev, "port", "8080");
	assert_field(&ev, "host", "web 1");
	sl_event_clear(&ev);
}

Test(decode_app, zerolog_levels_and_caller)
{
	sl_event ev;

	decode_auto("2026-03-14T10:11:12Z PNC main.go:17 > nil map write k=v", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12));
	cr_assert_eq(ev.level, SL_LEVEL_FATAL);
	cr_assert_str_eq(ev.message, "nil map write");
	assert_field(&ev, "caller", "main.go:17");
	assert_field(&ev, "k", "v");
	sl_event_clear(&ev);

	/* Read at 00:30, 11:50PM is 40 minutes before, on the day before. */
	sl_event_init(&ev);
	cr_assert_eq(sl_decoder_zerolog.decode("11:50PM WRN disk 91% full", 25,
					       utc_ms(2026, 3, 15, 0, 30, 0), &ev),
		     0);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 23, 50, 0));
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message, "disk 91% full");
	sl_event_clear(&ev);

	/* Read at 23:30, 1:05AM would be 95 minutes in the future on the next
	 * day, so it is the same day's, the latest not in the future. */
	cr_assert_eq(sl_decoder_zerolog.decode("1:05AM INF x", 12, utc_ms(2026, 3, 15, 23, 30, 0), &ev),
		     0);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 15, 1, 5, 0));
	sl_event_clear(&ev);

	/* Read at 00:30, 11:30AM is the day before's, not 11 hours ahead. */
	cr_assert_eq(sl_decoder_zerolog.decode("11:30AM INF x", 13, utc_ms(2026, 3, 15, 0, 30, 0), &ev),
		     0);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 11, 30, 0));
	sl_event_clear(&ev);
}

static void decode_line_with(sl_decode_ctx *ctx, const char *line, sl_event *ev)
{
	decode_with(ctx, line, strlen(line), ev);
}

Test(decode_app, time_of_day_dated_from_previous_event)
{
	static const char *const lines[] = {
		"2026-01-02 23:59:58,000 INFO [main] com.example.App: before midnight",
		"23:59:59.500 [worker-1] DEBUG c.e.Worker - logback default pattern",
		"00:00:01.250 [worker-2] WARN  c.e.Worker - past midnight",
		"12:01AM INF zerolog console",
	};
	sl_decode_ctx ctx;
	sl_event ev;

	sl_decode_ctx_init(&ctx, NULL);
	decode_with(&ctx, lines[0], strlen(lines[0]), &ev);
	sl_event_clear(&ev);

	decode_with(&ctx, lines[1], strlen(lines[1]), &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 2, 23, 59, 59) + 500);
	cr_assert_eq(ev.level, SL_LEVEL_DEBUG);
	cr_assert_str_eq(ev.service, "c.e.Worker");
	assert_field(&ev, "thread", "worker-1");
	cr_assert_str_eq(ev.message, "logback default pattern");
	cr_assert_eq(ev.flags, 0u);
	sl_event_clear(&ev);

	decode_with(&ctx, lines[2], strlen(lines[2]), &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 3, 0, 0, 1) + 250);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	sl_event_clear(&ev);

	decode_with(&ctx, lines[3], strlen(lines[3]), &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 1, 3, 0, 1, 0));
	sl_event_clear(&ev);

	/* With nothing before it, the latest day not in the future: the
	 * receive time is 2026-03-15T12:00:00Z. */
	sl_decode_ctx_init(&ctx, NULL);
	decode_line_with(&ctx, "12:30:00.000 [main] INFO c.e.App - soon", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 15, 12, 30, 0));
	sl_event_clear(&ev);
	decode_line_with(&ctx, "13:30:00.000 [main] INFO c.e.App - later", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 15, 13, 30, 0));
	sl_event_clear(&ev);
	sl_decode_ctx_init(&ctx, NULL);
	decode_line_with(&ctx, "13:30:00.000 [main] INFO c.e.App - later", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 13, 30, 0));
	sl_event_clear(&ev);
}

Test(decode_app, spring_boot_layouts)
{
	const char *boot3 = "2026-12-04T10:11:15.123+01:00  ERROR 4242 --- [myapp] [nio-8080-exec-2] "
			    "o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception";
	const char *boot2 = "2026-12-04 10:11:15.123  INFO 4242 --- [           main] "
			    "o.s.b.StartupInfoLogger : Starting";
	const char *boot3_no_app = "2026-12-04T10:11:15.123Z  WARN 7 --- [           main] "
				   "o.s.b.StartupInfoLogger                  : No app name";
	sl_event ev;

	decode_auto(boot3, &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 12, 4, 9, 11, 15) + 123);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.service, "myapp");
	assert_field(&ev, "thread", "nio-8080-exec-2");
	assert_field(&ev, "logger", "o.a.c.c.C.[.[.[/].[dispatcherServlet]");
	cr_assert_str_eq(ev.message, "Servlet.service() threw exception");
	cr_assert_eq(ev.flags, 0u);
	sl_event_clear(&ev);

	decode_auto(boot2, &ev);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	cr_assert_str_eq(ev.service, "o.s.b.StartupInfoLogger");
	assert_field(&ev, "thread", "main");
	cr_assert_str_eq(ev.message, "Starting");
	sl_event_clear(&ev);

	decode_auto(boot3_no_app, &ev);
	cr_assert_str_eq(ev.service, "o.s.b.StartupInfoLogger");
	assert_field(&ev, "thread", "main");
	cr_assert_str_eq(ev.message, "No app name");
	sl_event_clear(&ev);

	/* With tracing, the trace and span ids follow the thread. */
	decode_auto("2026-12-04T10:11:15.123Z  INFO 4242 --- [myapp] [nio-8080-exec-1] "
		    "[6bfbd4d4c6c5e7f7-0f5ab9a3b4d7c8e9] o.s.w.s.DispatcherServlet        : Completed",
		    &ev);
	cr_assert_str_eq(ev.service, "myapp");
	assert_field(&ev, "thread", "nio-8080-exec-1");
	assert_field(&ev, "correlation", "6bfbd4d4c6c5e7f7-0f5ab9a3b4d7c8e9");
	assert_field(&ev, "logger", "o.s.w.s.DispatcherServlet");
	cr_assert_str_eq(ev.message, "Completed");
	sl_event_clear(&ev);
}

/* ---- per-source detection ---- */

Test(decode_app, preferred_format_from_sample)
{
	/* "ERROR:root:x=1 y=2" alone reads as logfmt (two pairs); in a source
	 * of Python lines it is a Python line. */
	const char *ambiguous = "ERROR:root:retry x=1 y=2";
	sl_decode_ctx ctx;
	sl_event ev;
	int i;

	decode_auto("ERROR:root:x=1 y=2", &ev);
	cr_assert_str_eq(ev.service, "");
	sl_event_clear(&ev);

	sl_decode_ctx_init(&ctx, NULL);
	for (i = 0; i < 4; i++) {
		decode_with(&ctx, "INFO:app.worker:job done", 24, &ev);
		sl_event_clear(&ev);
	}
	cr_assert_eq(ctx.preferred, &sl_decoder_python);
	decode_with(&ctx, ambiguous, strlen(ambiguous), &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.service, "root");
	cr_assert_str_eq(ev.message, "retry x=1 y=2");
	sl_event_clear(&ev);
}

Test(decode_app, mixed_source_per_line)
{
	static const char *const lines[] = {
		"{\"ts\":1773483072,\"level\":\"warn\",\"msg\":\"a\"}",
		"<11>Mar 14 10:11:12 web1 nginx[42]: b",
		"{\"ts\":1773483073,\"level\":\"info\",\"msg\":\"c\"}",
		"2026-03-14 10:11:14,000 - app - ERROR - d",
		"{\"ts\":1773483075,\"level\":\"debug\",\"msg\":\"e\"}",
		"plain words f",
	};
	static const sl_level levels[] = {
		SL_LEVEL_WARN, SL_LEVEL_ERROR, SL_LEVEL_INFO, SL_LEVEL_ERROR, SL_LEVEL_DEBUG,
		SL_LEVEL_UNKNOWN,
	};
	static const char *const messages[] = {"a", "b", "c", "d", "e", "plain words f"};
	sl_decode_ctx ctx;
	sl_event ev;
	size_t i;

	sl_decode_ctx_init(&ctx, NULL);
	for (i = 0; i < 6; i++) {
		decode_with(&ctx, lines[i], strlen(lines[i]), &ev);
		cr_assert_eq(ev.level, levels[i], "line %zu", i);
		cr_assert_str_eq(ev.message, messages[i], "line %zu", i);
		cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0u, "line %zu", i);
		sl_event_clear(&ev);
	}
	/* Three JSON lines of six are no majority: no preferred format. */
	cr_assert_null(ctx.preferred);
	cr_assert_eq(ctx.sampled, 6);
}

Test(decode_app, forced_format_rejects_other_lines)
{
	sl_decode_ctx ctx;
	sl_event ev;

	sl_decode_ctx_init(&ctx, &sl_decoder_glog);
	decode_with(&ctx, "INFO:root:not glog", 18, &ev);
	cr_assert(ev.flags & SL_EV_UNDECODED);
	cr_assert_null(ctx.preferred);
	sl_event_clear(&ev);
}

/* ---- docker compose and Docker json-file ---- */

Test(decode_app, compose_prefix_names_service)
{
	sl_event ev;

	decode_auto("\x1b[2Kcaddy  | {\"level\":\"warn\",\"ts\":1773483072.5,\"msg\":\"HTTP/2 skipped\"}",
		    &ev);
	cr_assert_str_eq(ev.service, "caddy");
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 500);
	cr_assert_str_eq(ev.message, "HTTP/2 skipped");
	sl_event_clear(&ev);

	/* Colour codes around a level in the service's own text. */
	decode_auto("\x1b[2Kweb-1  | \x1b[31m\x1b[1mWARNING: This is a development server.\x1b[0m", &ev);
	cr_assert_str_eq(ev.service, "web-1");
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	sl_event_clear(&ev);
}

typedef struct joined {
	char *text[8];
	int truncated[8];
	int n;
} joined;

static int collect(void *ud, const char *text, size_t len, int truncated, uint64_t start,
		   uint64_t end)
{
	joined *j = ud;

	(void)start;
	(void)end;
	cr_assert_lt(j->n, 8);
	j->text[j->n] = sl_strndup(text, len);
	j->truncated[j->n++] = truncated;
	return 0;
}

/* Feeds the lines through a joiner, enabled or not, and flushes it. */
static void join_lines(const char *const *lines, int n, int enabled, size_t cap, joined *j)
{
	sl_multiline ml;
	uint64_t off = 0;
	int i;

	memset(j, 0, sizeof *j);
	sl_multiline_init(&ml, cap, enabled, 0);
	for (i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);

		sl_multiline_add(&ml, lines[i], len, 0, off, off + len + 1, collect, j);
		off += len + 1;
	}
	sl_multiline_flush(&ml, collect, j);
	sl_multiline_free(&ml);
}

static void free_joined(joined *j)
{
	int i;

	for (i = 0; i < j->n; i++)
		free(j->text[i]);
}

static const char *const docker_lines[] = {
	"{\"log\":\"2026-03-14 starting\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:12.1Z\"}",
	"{\"log\":\"ERROR a line Docker \",\"stream\":\"stderr\",\"time\":\"2026-03-14T10:11:13.2Z\"}",
	"{\"log\":\"split in \\\"three\\\" \",\"stream\":\"stderr\",\"time\":\"2026-03-14T10:11:13.2Z\"}",
	"{\"log\":\"parts\\n\",\"stream\":\"stderr\",\"time\":\"2026-03-14T10:11:13.2Z\"}",
	"{\"log\":\"ends in a backslash\\\\\",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:14Z\"}",
	"{\"log\":\"n\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:14Z\"}",
};

Test(decode_app, docker_partial_lines_joined)
{
	int enabled;

	/* Joining applies also when a forced JSON format disables the rest. */
	for (enabled = 0; enabled <= 1; enabled++) {
		sl_decode_ctx ctx;
		sl_event ev;
		joined j;

		join_lines(docker_lines, 6, enabled, 0, &j);
		cr_assert_eq(j.n, 3, "enabled %d", enabled);
		sl_decode_ctx_init(&ctx, enabled ? NULL : &sl_decoder_json);

		decode_with(&ctx, j.text[0], strlen(j.text[0]), &ev);
		cr_assert_str_eq(ev.message, "2026-03-14 starting");
		cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 100);
		assert_field(&ev, "stream", "stdout");
		sl_event_clear(&ev);

		decode_with(&ctx, j.text[1], strlen(j.text[1]), &ev);
		cr_assert_str_eq(ev.message, "ERROR a line Docker split in \"three\" parts");
		cr_assert_eq(ev.level, SL_LEVEL_ERROR);
		cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 13) + 200);
		assert_field(&ev, "stream", "stderr");
		cr_assert_eq(ev.flags, 0);
		sl_event_clear(&ev);

		/* An escaped backslash before 'n' is not a line end. */
		decode_with(&ctx, j.text[2], strlen(j.text[2]), &ev);
		cr_assert_str_eq(ev.message, "ends in a backslash\\n");
		sl_event_clear(&ev);
		free_joined(&j);
	}
}

Test(decode_app, docker_partial_other_stream_not_joined)
{
	static const char *const lines[] = {
		"{\"log\":\"half \",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:12Z\"}",
		"{\"log\":\"other\\n\",\"stream\":\"stderr\",\"time\":\"2026-03-14T10:11:12Z\"}",
	};
	joined j;

	join_lines(lines, 2, 1, 0, &j);
	cr_assert_eq(j.n, 2);
	free_joined(&j);
}

Test(decode_app, docker_partial_bounded_by_cap)
{
	static const char *const lines[] = {
		"{\"log\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"stream\":\"stdout\"}",
		"{\"log\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"stream\":\"stdout\"}",
		"{\"log\":\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\",\"stream\":\"stdout\"}",
		"{\"log\":\"end\\n\",\"stream\":\"stdout\"}",
	};
	joined j;
	int i, flagged = 0;

	/* Each record is 84 bytes: two fit in 200, a third does not. */
	join_lines(lines, 4, 1, 200, &j);
	cr_assert_eq(j.n, 2);
	for (i = 0; i < j.n; i++) {
		cr_assert_leq(strlen(j.text[i]), 200);
		flagged += j.truncated[i];
	}
	cr_assert_eq(j.truncated[0], 1);
	cr_assert_eq(flagged, 1);
	free_joined(&j);
}

/* Records as tools that rewrite json-file logs write them: spaces after
 * the colons, each part with its own time, parts of 16 KiB. */
Test(decode_app, docker_partial_spaced_long_parts_joined)
{
	static const char *const fmt = "{\"log\": \"%s\", \"stream\": \"stdout\", \"time\": "
				       "\"2026-03-14T10:11:13.00000000%dZ\"}";
	char *lines[3], *part = malloc(16385);
	sl_decode_ctx ctx;
	sl_event ev;
	joined j;
	int i;

	memset(part, 'X', 16384);
	part[16384] = '\0';
	for (i = 0; i < 3; i++) {
		lines[i] = malloc(16384 + 200);
		sprintf(lines[i], fmt, i == 2 ? "tail\\n" : part, i + 1);
	}
	join_lines((const char *const *)lines, 3, 1, 0, &j);
	cr_assert_eq(j.n, 1);
	cr_assert_eq(j.truncated[0], 0);

	sl_decode_ctx_init(&ctx, NULL);
	decode_with(&ctx, j.text[0], strlen(j.text[0]), &ev);
	cr_assert_eq(strlen(ev.message), 2 * 16384 + 4);
	cr_assert_str_eq(ev.message + 2 * 16384, "tail");
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 13));
	sl_event_clear(&ev);
	free_joined(&j);
	for (i = 0; i < 3; i++)
		free(lines[i]);
	free(part);
}

Test(decode_app, docker_partial_different_times_joined)
{
	static const char *const lines[] = {
		"{\"log\":\"part one \",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:13.000000001Z\"}",
		"{\"log\":\"part two\\n\",\"stream\":\"stdout\",\"time\":\"2026-03-14T10:11:14.000000002Z\"}",
		"{ \"time\":\"2026-03-14T10:11:15Z\", \"log\" : \"first\" , \"stream\":\"stdout\"}",
		"{ \"time\":\"2026-03-14T10:11:16Z\", \"attrs\":{\"tag\":\"a,b}\"}, \"log\" : \"second\\n\"}",
	};
	sl_decode_ctx ctx;
	sl_event ev;
	joined j;

	join_lines(lines, 4, 1, 0, &j);
	cr_assert_eq(j.n, 3);
	sl_decode_ctx_init(&ctx, NULL);
	decode_with(&ctx, j.text[0], strlen(j.text[0]), &ev);
	cr_assert_str_eq(ev.message, "part one part two");
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 13));
	sl_event_clear(&ev);
	/* The second part has no stream, unlike the first, so it is an event
	 * of its own. */
	decode_with(&ctx, j.text[1], strlen(j.text[1]), &ev);
	cr_assert_str_eq(ev.message, "first");
	sl_event_clear(&ev);
	decode_with(&ctx, j.text[2], strlen(j.text[2]), &ev);
	cr_assert_str_eq(ev.message, "second");
	sl_event_clear(&ev);
	free_joined(&j);
}

Test(decode_app, cri_partial_lines_joined)
{
	static const char *const lines[] = {
		"2026-03-14T10:11:12.123456789Z stdout F {\"level\":\"warn\",\"msg\":\"json inside\"}",
		"2026-03-14T10:11:13.000000001Z stderr P ERROR a line the runtime ",
		"2026-03-14T10:11:14.000000002Z stderr P split in ",
		"2026-03-14T10:11:14.000000003Z stderr F three parts",
		"2026-03-14T10:11:15Z stdout F plain content",
		"2026-03-14T10:11:16Z error F is not a CRI line",
	};
	sl_decode_ctx ctx;
	sl_event ev;
	joined j;

	join_lines(lines, 6, 1, 0, &j);
	cr_assert_eq(j.n, 4);
	sl_decode_ctx_init(&ctx, NULL);

	/* The content is decoded in its own format; its time wins. */
	decode_with(&ctx, j.text[0], strlen(j.text[0]), &ev);
	cr_assert_str_eq(ev.message, "json inside");
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 123);
	assert_field(&ev, "stream", "stdout");
	cr_assert_eq(ev.flags, 0u);
	sl_event_clear(&ev);

	/* The parts are joined without separators and take the first time. */
	decode_with(&ctx, j.text[1], strlen(j.text[1]), &ev);
	cr_assert_str_eq(ev.message, "a line the runtime split in three parts");
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 13));
	assert_field(&ev, "stream", "stderr");
	cr_assert_eq(ev.flags, 0u);
	sl_event_clear(&ev);

	decode_with(&ctx, j.text[2], strlen(j.text[2]), &ev);
	cr_assert_str_eq(ev.message, "plain content");
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 15));
	sl_event_clear(&ev);

	/* Only stdout and stderr are CRI streams. */
	decode_with(&ctx, j.text[3], strlen(j.text[3]), &ev);
	cr_assert_null(sl_event_get_field(&ev, "stream"));
	sl_event_clear(&ev);
	free_joined(&j);
}

/* ---- JSON key families ---- */

Test(decode_app, json_split_epoch_time)
{
	sl_event ev;

	/* log4j2 JsonLayout: 1663977609 s + 484000000 ns. */
	decode_auto("{\"instant\":{\"epochSecond\": 1663977609,\"nanoOfSecond\": 484000000}, \"msg\": \"Hello\"}",
		    &ev);
	cr_assert_eq(ev.ts_ms, 1663977609484LL);
	cr_assert_eq(ev.flags, 0);
	cr_assert_null(sl_event_get_field(&ev, "instant.epochSecond"));
	sl_event_clear(&ev);

	/* Protobuf's JSON mapping of a Timestamp. */
	decode_auto("{\"timestamp\":{\"seconds\":1773483072,\"nanos\":5000000},\"severity\":\"ERROR\",\"message\":\"x\"}",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 5);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	sl_event_clear(&ev);
}

Test(decode_app, json_http_status_level)
{
	static const struct {
		const char *line;
		sl_level level;
	} cases[] = {
		{"{\"started_at\": 1490386367764.0, \"response\": {\"status\": 500}}", SL_LEVEL_ERROR},
		{"{\"started_at\": 1490386531694, \"response\": {\"status\": 404}}", SL_LEVEL_WARN},
		{"{\"EdgeStartTimestamp\":\"2022-10-30T00:00:02Z\",\"EdgeResponseStatus\":301}", SL_LEVEL_INFO},
		{"{\"time\":\"2026-03-14T10:11:12Z\",\"http\":{\"response\":{\"status_code\":503}}}", SL_LEVEL_ERROR},
		/* A level key wins over the status. */
		{"{\"time\":\"2026-03-14T10:11:12Z\",\"level\":\"debug\",\"status\":500}", SL_LEVEL_DEBUG},
		/* Not a status number. */
		{"{\"time\":\"2026-03-14T10:11:12Z\",\"status\":\"ok\"}", SL_LEVEL_UNKNOWN},
	};
	sl_event ev;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "case %zu", i);
		cr_assert_eq(ev.flags & SL_EV_TS_RECEIVED, 0u, "case %zu", i);
		sl_event_clear(&ev);
	}
	decode_auto(cases[0].line, &ev);
	cr_assert_eq(ev.ts_ms, 1490386367764LL);
	sl_event_clear(&ev);
}

Test(decode_app, json_other_key_spellings)
{
	sl_event ev;

	/* Serilog compact JSON. */
	decode_auto("{\"@t\":\"2026-03-14T10:11:12.3Z\",\"@l\":\"Warning\",\"@m\":\"slow disk\"}", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 300);
	cr_assert_eq(ev.level, SL_LEVEL_WARN);
	cr_assert_str_eq(ev.message, "slow disk");
	sl_event_clear(&ev);

	/* Monolog. */
	decode_auto("{\"datetime\":\"2026-03-14T10:11:12+00:00\",\"level_name\":\"CRITICAL\",\"message\":\"x\"}", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12));
	cr_assert_eq(ev.level, SL_LEVEL_FATAL);
	sl_event_clear(&ev);

	/* GELF: short_message, a syslog level number. */
	decode_auto("{\"version\":\"1.1\",\"host\":\"h1\",\"short_message\":\"boom\",\"timestamp\":1773483072.25,\"level\":3}",
		    &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 250);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "boom");
	cr_assert_str_eq(ev.host, "h1");
	sl_event_clear(&ev);

	/* python-json-logger. */
	decode_auto("{\"asctime\":\"2026-03-14 10:11:12,345\",\"levelname\":\"INFO\",\"message\":\"up\"}", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12) + 345);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	sl_event_clear(&ev);
}

Test(decode_app, plain_lower_case_level_after_time)
{
	static const struct {
		const char *line;
		sl_level level;
	} cases[] = {
		{"2016-06-30 12:00:01 trace tracemessage", SL_LEVEL_TRACE},
		{"2016-06-30 12:00:03 debug2 debug2message", SL_LEVEL_DEBUG},
		{"2016-06-30 12:00:06 notice noticemessage", SL_LEVEL_INFO},
		{"2016-06-30 12:00:08 fatal fatalmessage", SL_LEVEL_FATAL},
	};
	sl_event ev;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "%s", cases[i].line);
		sl_event_clear(&ev);
	}
	/* Not right after the time: a word in a sentence. */
	decode_auto("2016-06-30 12:00:01 the error path ran", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_UNKNOWN);
	sl_event_clear(&ev);
}

/* ---- Redis ---- */

Test(decode_app, redis_server_lines)
{
	static const struct {
		const char *line;
		sl_level level;
	} cases[] = {
		{"1:M 25 Apr 2024 05:32:35.022 * Ready to accept connections tcp", SL_LEVEL_INFO},
		{"1:C 25 Apr 2024 05:32:35.022 # Warning: no config file specified", SL_LEVEL_WARN},
		{"1:S 25 Apr 2024 05:32:35.022 - Client closed connection", SL_LEVEL_DEBUG},
		{"1:X 25 Apr 2024 05:32:35.022 . DB 0: 1 keys", SL_LEVEL_DEBUG},
	};
	sl_event ev;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(best_probe(cases[i].line), &sl_decoder_redis, "case %zu", i);
		decode_auto(cases[i].line, &ev);
		cr_assert_eq(ev.level, cases[i].level, "case %zu", i);
		cr_assert_eq(ev.ts_ms, utc_ms(2024, 4, 25, 5, 32, 35) + 22, "case %zu", i);
		assert_field(&ev, "pid", "1");
		sl_event_clear(&ev);
	}
	decode_auto(cases[0].line, &ev);
	cr_assert_str_eq(ev.message, "Ready to accept connections tcp");
	assert_field(&ev, "role", "M");
	sl_event_clear(&ev);
}

Test(decode_app, monolog_channel_level)
{
	sl_event ev;

	decode_auto("[2026-03-14 10:11:12] laravel.EMERGENCY: Unable to create configured logger.", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12));
	cr_assert_eq(ev.level, SL_LEVEL_FATAL);
	sl_event_clear(&ev);

	decode_auto("[2026-03-14 10:11:12] local.INFO: Page Access {\"id\":1}", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	sl_event_clear(&ev);

	/* A dotted name whose last part is not a level. */
	decode_auto("[2026-03-14 10:11:12] kafka.server.ReplicaManager: started", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_UNKNOWN);
	sl_event_clear(&ev);
}

Test(decode_app, compose_service_keeps_logger)
{
	sl_event ev;

	decode_auto("caddy  | {\"level\":\"info\",\"ts\":1773483072.5,\"logger\":\"admin\",\"msg\":\"started\"}",
		    &ev);
	cr_assert_str_eq(ev.service, "caddy");
	assert_field(&ev, "logger", "admin");
	sl_event_clear(&ev);

	/* A pipe inside a line is no compose prefix. */
	decode_auto("2026-03-14 10:11:12 INFO a | b", &ev);
	cr_assert_str_eq(ev.service, "");
	cr_assert_str_eq(ev.message, "a | b");
	sl_event_clear(&ev);
}

Test(decode_app, octet_counted_rfc3164)
{
	sl_event ev;

	decode_auto("29 <11>Mar 14 10:11:12 h1 a: one", &ev);
	cr_assert_eq(ev.ts_ms, utc_ms(2026, 3, 14, 10, 11, 12));
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.host, "h1");
	cr_assert_str_eq(ev.service, "a");
	cr_assert_str_eq(ev.message, "one");
	sl_event_clear(&ev);
}

Test(decode_app, json_object_over_lines)
{
	sl_event ev;

	/* One object written over several lines, as a Kafka message may be. */
	decode_auto("{\n  \"level\": \"error\",\n  \"msg\": \"disk full\"\n}", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_ERROR);
	cr_assert_str_eq(ev.message, "disk full");
	cr_assert_eq(ev.flags & SL_EV_UNDECODED, 0u);
	sl_event_clear(&ev);
}

Test(decode_app, json_wrapped_fields)
{
	sl_event ev;

	/* Logstash's first JSON event format wraps the fields in "@fields". */
	decode_auto("{\"ts\": \"2013-09-06T22:00:59.124817Z\", \"@fields\": { \"lvl\": \"DEBUG5\", \"msg\": \"Details...\"}}",
		    &ev);
	cr_assert_eq(ev.level, SL_LEVEL_DEBUG);
	cr_assert_str_eq(ev.message, "Details...");
	cr_assert_null(sl_event_get_field(&ev, "@fields.lvl"));
	sl_event_clear(&ev);

	/* A number one object down is no level, and a top-level key wins. */
	decode_auto("{\"time\":\"2026-03-14T10:11:12Z\",\"battery\":{\"level\":80},\"msg\":\"ok\"}", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_UNKNOWN);
	assert_field(&ev, "battery.level", "80");
	sl_event_clear(&ev);
	decode_auto("{\"time\":\"2026-03-14T10:11:12Z\",\"level\":\"info\",\"http\":{\"level\":\"error\"}}", &ev);
	cr_assert_eq(ev.level, SL_LEVEL_INFO);
	assert_field(&ev, "http.level", "error");
	sl_event_clear(&ev);
}
