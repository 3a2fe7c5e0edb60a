/* Slot keys of journald exports and OpenTelemetry JSON log records. The
 * expected values are read from the input lines below. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/decode.h"

static void decode_line(const char *line, sl_event *ev)
{
	sl_decode_ctx ctx;
	sl_record rec;

	memset(&rec, 0, sizeof rec);
	rec.data = line;
	rec.len = strlen(line);
	rec.recv_ms = 1800000000000LL;
	snprintf(rec.id, sizeof rec.id, "test:%zu", rec.len);
	sl_decode_ctx_init(&ctx, NULL);
	sl_event_init(ev);
	sl_decode_record(&ctx, &rec, ev);
}

Test(decode_keys, journald_export)
{
	/* __REALTIME_TIMESTAMP 1764844800123456 us = 2025-12-04T10:40:00.123Z;
	 * PRIORITY 3 is the syslog severity err. */
	const char *line = "{\"__REALTIME_TIMESTAMP\":\"1764844800123456\",\"PRIORITY\":\"3\","
			   "\"_HOSTNAME\":\"db-7\",\"SYSLOG_IDENTIFIER\":\"postgres\","
			   "\"MESSAGE\":\"could not write block 42\",\"_PID\":\"811\"}";
	sl_event ev;

	decode_line(line, &ev);
	cr_expect_eq(ev.ts_ms, 1764844800123LL);
	cr_expect_eq(ev.level, SL_LEVEL_ERROR);
	cr_expect_str_eq(ev.host, "db-7");
	cr_expect_str_eq(ev.service, "postgres");
	cr_expect_str_eq(ev.message, "could not write block 42");
	cr_expect_str_eq(sl_event_get_field(&ev, "_PID"), "811");
	cr_expect_eq(ev.flags & SL_EV_TS_RECEIVED, 0u);
	sl_event_clear(&ev);
}

Test(decode_keys, opentelemetry_record)
{
	/* timeUnixNano 1764844800500000000 ns = 2025-12-04T10:40:00.500Z. */
	const char *line = "{\"timeUnixNano\":\"1764844800500000000\",\"severityNumber\":13,"
			   "\"severityText\":\"WARN\",\"body\":{\"stringValue\":\"queue is 90% full\"},"
			   "\"resource\":{\"service\":{\"name\":\"checkout\"},\"host\":{\"name\":\"k8s-3\"}}}";
	sl_event ev;

	decode_line(line, &ev);
	cr_expect_eq(ev.ts_ms, 1764844800500LL);
	cr_expect_eq(ev.level, SL_LEVEL_WARN);
	cr_expect_str_eq(ev.message, "queue is 90% full");
	cr_expect_str_eq(ev.service, "checkout");
	cr_expect_str_eq(ev.host, "k8s-3");
	cr_expect_str_eq(sl_event_get_field(&ev, "severityNumber"), "13");
	sl_event_clear(&ev);
}

Test(decode_keys, bunyan_name_is_service)
{
	const char *line = "{\"name\":\"myapp\",\"hostname\":\"web-01\",\"pid\":4242,\"level\":30,"
			   "\"msg\":\"request handled\",\"time\":\"2025-12-04T10:40:00.123Z\",\"v\":0}";
	sl_event ev;

	decode_line(line, &ev);
	cr_expect_str_eq(ev.service, "myapp");
	cr_expect_str_eq(ev.host, "web-01");
	cr_expect_eq(ev.level, SL_LEVEL_INFO);
	cr_expect_str_eq(sl_event_get_field(&ev, "name"), "myapp");
	cr_expect_str_eq(sl_event_get_field(&ev, "pid"), "4242");
	sl_event_clear(&ev);

	/* pino writes no "v"; the numeric level alone marks the record. */
	decode_line("{\"level\":50,\"time\":1764844800123,\"name\":\"billing\",\"msg\":\"declined\"}",
		    &ev);
	cr_expect_str_eq(ev.service, "billing");
	cr_expect_eq(ev.level, SL_LEVEL_ERROR);
	sl_event_clear(&ev);
}

Test(decode_keys, generic_name_stays_field)
{
	sl_event ev;

	decode_line("{\"level\":\"info\",\"msg\":\"user created\",\"name\":\"Alice\"}", &ev);
	cr_expect_str_eq(ev.service, "");
	cr_expect_str_eq(sl_event_get_field(&ev, "name"), "Alice");
	sl_event_clear(&ev);
}

Test(decode_keys, otlp_attribute_arrays)
{
	/* timeUnixNano 1764844800500000000 ns = 2025-12-04T10:40:00.500Z. */
	const char *line =
		"{\"timeUnixNano\":\"1764844800500000000\",\"severityNumber\":17,"
		"\"body\":{\"stringValue\":\"export failed\"},"
		"\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"collector\"}},"
		"{\"key\":\"host.name\",\"value\":{\"stringValue\":\"node-9\"}},"
		"{\"key\":\"k8s.pod.uid\",\"value\":{\"stringValue\":\"p-1\"}}]},"
		"\"attributes\":[{\"key\":\"http.status\",\"value\":{\"intValue\":\"503\"}},"
		"{\"key\":\"retry\",\"value\":{\"boolValue\":true}}]}";
	sl_event ev;

	decode_line(line, &ev);
	cr_expect_eq(ev.ts_ms, 1764844800500LL);
	cr_expect_eq(ev.level, SL_LEVEL_ERROR, "severityNumber 17 is ERROR");
	cr_expect_str_eq(ev.message, "export failed");
	cr_expect_str_eq(ev.service, "collector");
	cr_expect_str_eq(ev.host, "node-9");
	cr_expect_str_eq(sl_event_get_field(&ev, "resource.k8s.pod.uid"), "p-1");
	cr_expect_str_eq(sl_event_get_field(&ev, "attributes.http.status"), "503");
	cr_expect_str_eq(sl_event_get_field(&ev, "attributes.retry"), "true");
	cr_expect_null(sl_event_get_field(&ev, "resource.attributes"));
	sl_event_clear(&ev);
}

Test(decode_keys, otel_data_model_names)
{
	const char *line = "{\"Timestamp\":\"2025-12-04T10:40:00Z\",\"SeverityText\":\"Information\","
			   "\"SeverityNumber\":9,\"Body\":\"dotnet otel\","
			   "\"Resource\":{\"service.name\":\"orders\"}}";
	static const struct {
		int number;
		sl_level level;
	} numbers[] = {{1, SL_LEVEL_TRACE}, {8, SL_LEVEL_DEBUG}, {12, SL_LEVEL_INFO},
		       {13, SL_LEVEL_WARN}, {20, SL_LEVEL_ERROR}, {24, SL_LEVEL_FATAL}};
	sl_event ev;
	size_t i;

	decode_line(line, &ev);
	cr_expect_eq(ev.ts_ms, 1764844800000LL);
	cr_expect_eq(ev.level, SL_LEVEL_INFO);
	cr_expect_str_eq(ev.message, "dotnet otel");
	cr_expect_str_eq(ev.service, "orders");
	cr_expect_eq(ev.flags, 0u);
	sl_event_clear(&ev);

	for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		char text[128];

		snprintf(text, sizeof text, "{\"SeverityNumber\":%d,\"Body\":\"x\"}", numbers[i].number);
		decode_line(text, &ev);
		cr_expect_eq(ev.level, numbers[i].level, "SeverityNumber %d", numbers[i].number);
		sl_event_clear(&ev);
	}
	decode_line("{\"SeverityText\":\"Warning\",\"Body\":\"w\"}", &ev);
	cr_expect_eq(ev.level, SL_LEVEL_WARN);
	sl_event_clear(&ev);
	decode_line("{\"SeverityText\":\"Critical\",\"Body\":\"c\"}", &ev);
	cr_expect_eq(ev.level, SL_LEVEL_FATAL);
	sl_event_clear(&ev);
}

Test(decode_keys, journald_message_bytes)
{
	/* journald exports a MESSAGE with control bytes as byte values. */
	const char *line = "{\"__REALTIME_TIMESTAMP\":\"1764844800000000\",\"PRIORITY\":\"6\","
			   "\"MESSAGE\":[69,84,72,48,58,32,108,105,110,107,32,117,112]}";
	sl_event ev;

	decode_line(line, &ev);
	cr_expect_str_eq(ev.message, "ETH0: link up");
	sl_event_clear(&ev);
}
