/* Tests for timestamp recognition. Expected values are epoch ms worked out
 * by hand: 2026-01-02T00:00:00Z is day 20455 since 1970, so 1767312000000. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/timeparse.h"
#include "../../src/util.h"

/* 2026-01-02T03:04:05.678Z */
#define T_2026_01_02 1767323045678LL
/* 2026-03-15T12:00:00Z, a fixed "now" for forms without a year. */
#define NOW_MARCH_2026 1773576000000LL

static int64_t parse_all(const char *s)
{
	int64_t ms = -1;
	size_t used = sl_time_parse(s, strlen(s), NOW_MARCH_2026, &ms);

	cr_assert_eq(used, strlen(s), "\"%s\" parsed %zu of %zu bytes", s, used, strlen(s));
	return ms;
}

static void assert_rejected(const char *s)
{
	int64_t ms = 0;

	cr_assert_eq(sl_time_parse(s, strlen(s), NOW_MARCH_2026, &ms), 0, "\"%s\" accepted", s);
}

Test(timeparse, rfc3339_forms)
{
	cr_assert_eq(parse_all("2026-01-02T03:04:05.678Z"), T_2026_01_02);
	cr_assert_eq(parse_all("2026-01-02 03:04:05.678"), T_2026_01_02);
	cr_assert_eq(parse_all("2026-01-02T03:04:05,678Z"), T_2026_01_02);
	cr_assert_eq(parse_all("2026-01-02T03:04:05.678123Z"), T_2026_01_02);
	cr_assert_eq(parse_all("2026-01-02T03:04:05Z"), T_2026_01_02 - 678);
	cr_assert_eq(parse_all("2026/01/02 03:04:05"), T_2026_01_02 - 678);
}

Test(timeparse, zone_offsets)
{
	/* 08:34:05.678+05:30 is 03:04:05.678Z. */
	cr_assert_eq(parse_all("2026-01-02T08:34:05.678+05:30"), T_2026_01_02);
	/* 20:04:05.678-0700 on Jan 1 is 03:04:05.678Z on Jan 2. */
	cr_assert_eq(parse_all("2026-01-01T20:04:05.678-0700"), T_2026_01_02);
	cr_assert_eq(parse_all("2026-01-02T05:04:05.678+02"), T_2026_01_02);
	assert_rejected("2026-01-02T03:04:05+25:00");
}

Test(timeparse, prefix_of_line)
{
	int64_t ms = 0;
	const char *line = "2026-01-02 03:04:05,678 INFO started";

	cr_assert_eq(sl_time_parse(line, strlen(line), 0, &ms), 23);
	cr_assert_eq(ms, T_2026_01_02);
}

Test(timeparse, invalid_dates_rejected)
{
	assert_rejected("2026-02-30T00:00:00Z");
	assert_rejected("2026-13-01T00:00:00Z");
	assert_rejected("2026-04-31 10:00:00");
	assert_rejected("2026-01-02T24:00:00Z");
	assert_rejected("2026-01-02T03:60:00Z");
	assert_rejected("2025-02-29T00:00:00Z");
	assert_rejected("not a time");
	assert_rejected("42 retries");
	assert_rejected("");
}

Test(timeparse, leap_day_in_leap_year)
{
	/* 2024-02-29 is day 19782. */
	cr_assert_eq(parse_all("2024-02-29T00:00:00Z"), 19782LL * 86400000);
}

Test(timeparse, apache_error_form)
{
	/* 2005-12-04 is day 13121; 04:47:44 is 17264 s. */
	cr_assert_eq(parse_all("Sun Dec 04 04:47:44 2005"), (13121LL * 86400 + 17264) * 1000);
}

Test(timeparse, access_log_form)
{
	/* 2000-10-10 is day 11240; 13:55:36-0700 is 20:55:36Z = 75336 s. */
	cr_assert_eq(parse_all("10/Oct/2000:13:55:36 -0700"), (11240LL * 86400 + 75336) * 1000);
}

Test(timeparse, syslog_takes_year_from_now)
{
	/* Now is March 2026: Jun 14 would be three months ahead, so 2025. */
	cr_assert_eq(parse_all("Jun 14 15:16:01"),
		     (sl_days_from_civil(2025, 6, 14) * 86400 + 15 * 3600 + 16 * 60 + 1) * 1000);
	/* Mar 15 later today is within a day: this year. */
	cr_assert_eq(parse_all("Mar 15 20:00:00"), (sl_days_from_civil(2026, 3, 15) * 86400 + 72000) * 1000);
	cr_assert_eq(parse_all("Feb  4 11:14:27"),
		     (sl_days_from_civil(2026, 2, 4) * 86400 + 11 * 3600 + 14 * 60 + 27) * 1000);
}

Test(timeparse, syslog_year_rollover)
{
	/* Read at 2026-01-01T00:00:30Z, Dec 31 23:59:59 belongs to 2025. */
	int64_t now = sl_days_from_civil(2026, 1, 1) * 86400000LL + 30000;
	int64_t ms = 0;
	const char *s = "Dec 31 23:59:59";

	cr_assert_eq(sl_time_parse(s, strlen(s), now, &ms), strlen(s));
	cr_assert_eq(ms, (sl_days_from_civil(2025, 12, 31) * 86400 + 86399) * 1000);

	/* Jan 1 read on Dec 31 is less than a day ahead: the following year. */
	now = sl_days_from_civil(2025, 12, 31) * 86400000LL + 23 * 3600000LL;
	s = "Jan  1 00:10:00";
	cr_assert_eq(sl_time_parse(s, strlen(s), now, &ms), strlen(s));
	cr_assert_eq(ms, (sl_days_from_civil(2026, 1, 1) * 86400 + 600) * 1000);
}

Test(timeparse, syslog_feb29_only_in_leap_year)
{
	int64_t ms = 0;
	const char *s = "Feb 29 12:00:00";

	/* Now in March 2026: 2026 and 2025 have no Feb 29, so 2024. */
	cr_assert_eq(sl_time_parse(s, strlen(s), NOW_MARCH_2026, &ms), strlen(s));
	cr_assert_eq(ms, (sl_days_from_civil(2024, 2, 29) * 86400 + 43200) * 1000);
}

Test(timeparse, epoch_units_by_magnitude)
{
	int64_t ms = 0;

	cr_assert_eq(sl_time_parse_value("1785000000", 10, 0, &ms), 0);
	cr_assert_eq(ms, 1785000000000LL);
	cr_assert_eq(sl_time_parse_value("1785000000123", 13, 0, &ms), 0);
	cr_assert_eq(ms, 1785000000123LL);
	cr_assert_eq(sl_time_parse_value("1785000000123456", 16, 0, &ms), 0);
	cr_assert_eq(ms, 1785000000123LL);
	cr_assert_eq(sl_time_parse_value("1785000000123456789", 19, 0, &ms), 0);
	cr_assert_eq(ms, 1785000000123LL);
	cr_assert_eq(sl_time_parse_value("1785000000.123", 14, 0, &ms), 0);
	cr_assert_eq(ms, 1785000000123LL);
	/* 99999999999 is still seconds; 100000000000 is ms. */
	cr_assert_eq(sl_time_parse_value("99999999999", 11, 0, &ms), 0);
	cr_assert_eq(ms, 99999999999000LL);
	cr_assert_eq(sl_time_parse_value("100000000000", 12, 0, &ms), 0);
	cr_assert_eq(ms, 100000000000LL);
}

Test(timeparse, value_rejects_garbage)
{
	int64_t ms = 0;

	cr_assert_eq(sl_time_parse_value("", 0, 0, &ms), -1);
	cr_assert_eq(sl_time_parse_value("yesterday", 9, 0, &ms), -1);
	cr_assert_eq(sl_time_parse_value("12abc", 5, 0, &ms), -1);
	cr_assert_eq(sl_time_parse_value("99999999999999999999", 20, 0, &ms), -1);
	cr_assert_eq(sl_time_parse_value("2026-01-02T03:04:05Z junk", 25, 0, &ms), -1);
	cr_assert_eq(sl_time_parse_value("2026-01-02T03:04:05.678Z", 24, 0, &ms), 0);
	cr_assert_eq(ms, T_2026_01_02);
}

Test(timeparse, epoch_at_line_start)
{
	int64_t ms = 0;
	const char *line = "1117838570 2005.06.03 R02-M1-N0-C:J12-U11";

	/* BGL lines carry epoch seconds: 1117838570 s. */
	cr_assert_eq(sl_time_parse(line, strlen(line), 0, &ms), 10);
	cr_assert_eq(ms, 1117838570000LL);
}

Test(timeparse, truncated_input_safe)
{
	static const char *const cuts[] = {
		"2026-01-02T03:04:0", "2026-01-02T", "2026-0", "Dec 3", "Sun Dec 04 04:47:44 20",
		"10/Oct/2000:13:5", "2026-01-02T03:04:05+0", "Jan", "<",
	};
	size_t i;
	int64_t ms;

	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		cr_assert_eq(sl_time_parse(cuts[i], strlen(cuts[i]), 0, &ms), 0, "\"%s\"", cuts[i]);
}

Test(timeparse, from_parts_with_and_without_year)
{
	int64_t ms = 0;

	cr_assert_eq(sl_time_from_parts(2026, 1, 2, 3, 4, 5, 678, NOW_MARCH_2026, &ms), 0);
	cr_assert_eq(ms, T_2026_01_02);

	/* No year: Dec 4 lies ahead of March 2026 by more than a day, so 2025. */
	cr_assert_eq(sl_time_from_parts(-1, 12, 4, 10, 11, 12, 0, NOW_MARCH_2026, &ms), 0);
	cr_assert_eq(ms, (sl_days_from_civil(2025, 12, 4) * 86400 + 36672) * 1000);

	/* No year and Feb 29: the latest leap year, 2024. */
	cr_assert_eq(sl_time_from_parts(-1, 2, 29, 0, 0, 0, 0, NOW_MARCH_2026, &ms), 0);
	cr_assert_eq(ms, sl_days_from_civil(2024, 2, 29) * 86400000LL);

	/* Dates that do not exist. */
	cr_assert_eq(sl_time_from_parts(2026, 2, 29, 0, 0, 0, 0, NOW_MARCH_2026, &ms), -1);
	cr_assert_eq(sl_time_from_parts(2026, 4, 31, 0, 0, 0, 0, NOW_MARCH_2026, &ms), -1);
	cr_assert_eq(sl_time_from_parts(2026, 13, 1, 0, 0, 0, 0, NOW_MARCH_2026, &ms), -1);
	cr_assert_eq(sl_time_from_parts(-1, 1, 1, 24, 0, 0, 0, NOW_MARCH_2026, &ms), -1);
}

Test(timeparse, month_day_year_form)
{
	cr_assert_eq(parse_all("Jan 02 2026 03:04:05.678"), T_2026_01_02);
	cr_assert_eq(parse_all("Jan  2 2026 03:04:05"), T_2026_01_02 - 678);
	assert_rejected("Feb 30 2026 03:04:05");
}

Test(timeparse, clock_without_date)
{
	int64_t tod = -1;

	cr_assert_eq(sl_time_parse_clock("03:04:05.678 [main]", 19, &tod), 12);
	cr_assert_eq(tod, ((3 * 60 + 4) * 60 + 5) * 1000 + 678);
	cr_assert_eq(sl_time_parse_clock("23:59:59,5", 10, &tod), 10);
	cr_assert_eq(tod, 86399500);
	cr_assert_eq(sl_time_parse_clock("24:00:00", 8, &tod), 0);
	cr_assert_eq(sl_time_parse_clock("10:11:12:13", 11, &tod), 0);
	cr_assert_eq(sl_time_parse_clock("10:11", 5, &tod), 0);
}

Test(timeparse, time_of_day_dating)
{
	/* NOW_MARCH_2026 is 12:00; up to an hour ahead is still today. */
	int64_t midnight = NOW_MARCH_2026 - 12 * 3600000LL;

	cr_assert_eq(sl_time_of_day_latest(12 * 3600000LL + 3599000, NOW_MARCH_2026),
		     midnight + 12 * 3600000LL + 3599000);
	cr_assert_eq(sl_time_of_day_latest(13 * 3600000LL + 1000, NOW_MARCH_2026),
		     midnight - 24 * 3600000LL + 13 * 3600000LL + 1000);
	cr_assert_eq(sl_time_of_day_latest(0, NOW_MARCH_2026), midnight);

	/* After the previous event: same day unless it went back past 12 h. */
	cr_assert_eq(sl_time_of_day_after(11 * 3600000LL, NOW_MARCH_2026), midnight + 11 * 3600000LL);
	cr_assert_eq(sl_time_of_day_after(1000, midnight + 23 * 3600000LL),
		     midnight + 24 * 3600000LL + 1000);
}
