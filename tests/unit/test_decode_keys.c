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
