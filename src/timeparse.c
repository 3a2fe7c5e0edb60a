/* timeparse.c: recognises the timestamp forms found at the start of log
 * lines and in JSON values, and converts them to UTC milliseconds. */
#include "timeparse.h"

#include <string.h>
#include <strings.h>

#include "util.h"

#define MS_PER_DAY (86400 * (int64_t)1000)

/* A date and time of day read from text, before the zone is applied. */
typedef struct civil_time {
	int64_t year;
	unsigned month, day, hour, minute, second, ms;
} civil_time;

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char *const weekday_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly width digits at s[*pos]. Returns 0, or -1 when they are not
 * all there. */
static int read_digits(const char *s, size_t n, size_t *pos, unsigned width, unsigned *out)
{
	unsigned v = 0;
	unsigned i;

	if (*pos + width > n)
		return -1;
	for (i = 0; i < width; i++) {
		char c = s[*pos + i];

		if (!is_digit(c))
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	*pos += width;
	*out = v;
	return 0;
}

static int expect_char(const char *s, size_t n, size_t *pos, char c)
{
	if (*pos >= n || s[*pos] != c)
		return -1;
	(*pos)++;
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

/* Returns 0 when the fields form a real date and time. A leap second (60)
 * is accepted and counted as second 59. */
static int civil_valid(const civil_time *ct)
{
	if (ct->month < 1 || ct->month > 12)
		return -1;
	if (ct->day < 1 || ct->day > days_in_month(ct->year, ct->month))
		return -1;
	if (ct->hour > 23 || ct->minute > 59 || ct->second > 60)
		return -1;
	return 0;
}

static int64_t civil_to_ms(const civil_time *ct)
{
	int64_t days = sl_days_from_civil(ct->year, ct->month, ct->day);
	unsigned sec = ct->second > 59 ? 59 : ct->second;

	return ((days * 24 + ct->hour) * 60 + ct->minute) * 60000 + (int64_t)sec * 1000 + ct->ms;
}

/* Reads an optional fraction of a second after '.' or ','. Digits past the
 * third are read and dropped. */
static void read_fraction(const char *s, size_t n, size_t *pos, unsigned *ms)
{
	size_t p = *pos;
	unsigned digits = 0, v = 0;

	if (p >= n || (s[p] != '.' && s[p] != ',') || p + 1 >= n || !is_digit(s[p + 1]))
		return;
	p++;
	while (p < n && is_digit(s[p])) {
		if (digits < 3) {
			v = v * 10 + (unsigned)(s[p] - '0');
			digits++;
		}
		p++;
	}
	while (digits < 3) {
		v *= 10;
		digits++;
	}
	*ms = v;
	*pos = p;
}

/* Reads "HH:MM:SS" with an optional fraction. */
static int read_clock(const char *s, size_t n, size_t *pos, civil_time *ct)
{
	if (read_digits(s, n, pos, 2, &ct->hour) || expect_char(s, n, pos, ':') ||
	    read_digits(s, n, pos, 2, &ct->minute) || expect_char(s, n, pos, ':') ||
	    read_digits(s, n, pos, 2, &ct->second))
		return -1;
	read_fraction(s, n, pos, &ct->ms);
	return 0;
}

/* Reads a zone offset: "Z", "+05:30", "-0700" or "+05". Sets *offset_ms,
 * which is zero when no zone follows. Returns -1 on a malformed offset. */
static int read_zone(const char *s, size_t n, size_t *pos, int colon_allowed, int64_t *offset_ms)
{
	size_t p = *pos;
	unsigned hh, mm = 0;
	int sign;

	*offset_ms = 0;
	if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
		*pos = p + 1;
		return 0;
	}
	if (p >= n || (s[p] != '+' && s[p] != '-'))
		return 0;
	sign = s[p] == '-' ? -1 : 1;
	p++;
	if (read_digits(s, n, &p, 2, &hh))
		return -1;
	if (colon_allowed && p < n && s[p] == ':')
		p++;
	if (p < n && is_digit(s[p]) && read_digits(s, n, &p, 2, &mm))
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*offset_ms = sign * ((int64_t)hh * 60 + mm) * 60000;
	*pos = p;
	return 0;
}

/* "2026-01-02T03:04:05.678+02:00"; also '/' between the date parts and a
 * space in place of T. */
static size_t parse_iso(const char *s, size_t n, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = 0;
	unsigned year;
	int64_t offset;
	char sep;

	if (read_digits(s, n, &pos, 4, &year) || pos >= n)
		return 0;
	sep = s[pos];
	if ((sep != '-' && sep != '/') || expect_char(s, n, &pos, sep) ||
	    read_digits(s, n, &pos, 2, &ct.month) || expect_char(s, n, &pos, sep) ||
	    read_digits(s, n, &pos, 2, &ct.day))
		return 0;
	if (pos >= n || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return 0;
	pos++;
	if (read_clock(s, n, &pos, &ct))
		return 0;
	if (read_zone(s, n, &pos, 1, &offset))
		return 0;
	ct.year = year;
	if (civil_valid(&ct))
		return 0;
	*out_ms = civil_to_ms(&ct) - offset;
	return pos;
}

/* Returns the month 1..12 for a three-letter English name at s, or 0. */
static unsigned month_from_name(const char *s, size_t n)
{
	unsigned i;

	if (n < 3)
		return 0;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, month_names[i], 3) == 0)
			return i + 1;
	}
	return 0;
}

static int is_weekday_name(const char *s, size_t n)
{
	unsigned i;

	if (n < 3)
		return 0;
	for (i = 0; i < 7; i++) {
		if (strncasecmp(s, weekday_names[i], 3) == 0)
			return 1;
	}
	return 0;
}

/* Reads "Mmm dd HH:MM:SS" into ct (no year), accepting " 2" and "02" as the
 * day. Returns the bytes read, or 0. */
static size_t read_month_day_clock(const char *s, size_t n, civil_time *ct)
{
	size_t pos = 3;

	ct->month = month_from_name(s, n);
	if (!ct->month || expect_char(s, n, &pos, ' '))
		return 0;
	if (pos < n && s[pos] == ' ')
		pos++;
	if (pos + 1 < n && is_digit(s[pos]) && is_digit(s[pos + 1])) {
		if (read_digits(s, n, &pos, 2, &ct->day))
			return 0;
	} else if (read_digits(s, n, &pos, 1, &ct->day)) {
		return 0;
	}
	if (expect_char(s, n, &pos, ' ') || read_clock(s, n, &pos, ct))
		return 0;
	return pos;
}

/* Picks the latest year that keeps the event at most a day after now_ms, as
 * syslog stamps carry no year. Feb 29 only exists in leap years, and a gap
 * between two leap years is at most 8 years (2096 to 2104).
 * NOTE: each stamp is placed on its own, so a file that crosses New Year
 * ("Dec 31" then "Jan 1") read before the next Dec 31 gets the December
 * lines one year late. Placing them right needs the lines that follow,
 * which a streaming decoder has not read yet. */
static int syslog_year(civil_time *ct, int64_t now_ms, int64_t *out_ms)
{
	civil_time now_ct = {0};
	int64_t days = (now_ms >= 0 ? now_ms : now_ms - MS_PER_DAY + 1) / MS_PER_DAY;
	int64_t y, lo, hi;

	/* Year of now_ms: the first year whose Jan 1 is after days, minus one. */
	now_ct.year = 1970 + days / 366;
	while (sl_days_from_civil(now_ct.year + 1, 1, 1) <= days)
		now_ct.year++;
	while (sl_days_from_civil(now_ct.year, 1, 1) > days)
		now_ct.year--;

	hi = now_ct.year + 1;
	lo = now_ct.year - 8;
	for (y = hi; y >= lo; y--) {
		ct->year = y;
		if (civil_valid(ct))
			continue;
		if (civil_to_ms(ct) <= now_ms + MS_PER_DAY) {
			*out_ms = civil_to_ms(ct);
			return 0;
		}
	}
	return -1;
}

/* "Dec 04 2026 10:11:12", month, day and year before the clock, as some
 * applications write it. Returns the bytes read, or 0. */
static size_t parse_month_day_year(const char *s, size_t n, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = 3;
	unsigned year;

	ct.month = month_from_name(s, n);
	if (!ct.month || expect_char(s, n, &pos, ' '))
		return 0;
	if (pos < n && s[pos] == ' ')
		pos++;
	if (pos + 1 < n && is_digit(s[pos]) && is_digit(s[pos + 1])) {
		if (read_digits(s, n, &pos, 2, &ct.day))
			return 0;
	} else if (read_digits(s, n, &pos, 1, &ct.day)) {
		return 0;
	}
	if (expect_char(s, n, &pos, ' ') || read_digits(s, n, &pos, 4, &year) ||
	    expect_char(s, n, &pos, ' ') || read_clock(s, n, &pos, &ct))
		return 0;
	ct.year = year;
	if (civil_valid(&ct))
		return 0;
	*out_ms = civil_to_ms(&ct);
	return pos;
}

/* "Jan  2 03:04:05", the classic syslog form without a year. */
static size_t parse_syslog(const char *s, size_t n, int64_t now_ms, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = read_month_day_clock(s, n, &ct);

	if (!pos || syslog_year(&ct, now_ms, out_ms))
		return 0;
	return pos;
}

/* "Sun Dec 04 04:47:44 2005", the Apache error log form (Apache 2.4 adds a
 * fraction of a second). */
static size_t parse_ctime(const char *s, size_t n, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos;
	unsigned year;

	if (!is_weekday_name(s, n) || n < 4 || s[3] != ' ')
		return 0;
	pos = read_month_day_clock(s + 4, n - 4, &ct);
	if (!pos)
		return 0;
	pos += 4;
	if (expect_char(s, n, &pos, ' ') || read_digits(s, n, &pos, 4, &year))
		return 0;
	ct.year = year;
	if (civil_valid(&ct))
		return 0;
	*out_ms = civil_to_ms(&ct);
	return pos;
}

/* "10/Oct/2000:13:55:36 -0700", the access log form. */
static size_t parse_clf(const char *s, size_t n, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = 0;
	unsigned year;
	int64_t offset = 0;

	if (read_digits(s, n, &pos, 2, &ct.day) || expect_char(s, n, &pos, '/'))
		return 0;
	ct.month = month_from_name(s + pos, n - pos);
	if (!ct.month)
		return 0;
	pos += 3;
	if (expect_char(s, n, &pos, '/') || read_digits(s, n, &pos, 4, &year) ||
	    expect_char(s, n, &pos, ':') || read_clock(s, n, &pos, &ct))
		return 0;
	if (pos + 1 < n && s[pos] == ' ' && (s[pos + 1] == '+' || s[pos + 1] == '-')) {
		pos++;
		if (read_zone(s, n, &pos, 0, &offset))
			return 0;
	}
	ct.year = year;
	if (civil_valid(&ct))
		return 0;
	*out_ms = civil_to_ms(&ct) - offset;
	return pos;
}

/* Converts an epoch number to ms, finding the unit from the magnitude of its
 * integer part: seconds below 1e11, ms below 1e14, us below 1e17, else ns.
 * frac_ms is the fraction already scaled to ms, used only for seconds. */
static int64_t epoch_to_ms(uint64_t whole, unsigned frac_ms)
{
	if (whole < 100000000000ULL)
		return (int64_t)whole * 1000 + frac_ms;
	if (whole < 100000000000000ULL)
		return (int64_t)whole;
	if (whole < 100000000000000000ULL)
		return (int64_t)(whole / 1000);
	return (int64_t)(whole / 1000000);
}

/* Reads an unsigned epoch number with an optional fraction. min_digits sets
 * how many integer digits make a number look like a timestamp. Returns the
 * bytes read, or 0. */
static size_t parse_epoch(const char *s, size_t n, unsigned min_digits, int64_t *out_ms)
{
	uint64_t whole = 0;
	unsigned digits = 0, frac_ms = 0;
	size_t pos = 0;

	while (pos < n && is_digit(s[pos])) {
		/* 19 digits hold any int64 nanosecond count up to 2262. */
		if (++digits > 19)
			return 0;
		whole = whole * 10 + (uint64_t)(s[pos] - '0');
		pos++;
	}
	if (digits < min_digits || whole > (uint64_t)INT64_MAX)
		return 0;
	if (pos < n && s[pos] == '.') {
		if (pos + 1 >= n || !is_digit(s[pos + 1]))
			return 0;
		read_fraction(s, n, &pos, &frac_ms);
	}
	*out_ms = epoch_to_ms(whole, frac_ms);
	return pos;
}

/* "081109 203615" (HDFS, yyMMdd HHmmss) and "17/06/09 20:10:40" (yy/MM/dd
 * HH:mm:ss). Two-digit years are taken as 20yy. */
static size_t parse_short_year(const char *s, size_t n, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = 0;
	unsigned yy;

	if (n >= 8 && s[2] == '/') {
		if (read_digits(s, n, &pos, 2, &yy) || expect_char(s, n, &pos, '/') ||
		    read_digits(s, n, &pos, 2, &ct.month) || expect_char(s, n, &pos, '/') ||
		    read_digits(s, n, &pos, 2, &ct.day) || expect_char(s, n, &pos, ' ') ||
		    read_clock(s, n, &pos, &ct))
			return 0;
	} else if (read_digits(s, n, &pos, 2, &yy) || read_digits(s, n, &pos, 2, &ct.month) ||
		   read_digits(s, n, &pos, 2, &ct.day) || expect_char(s, n, &pos, ' ') ||
		   read_digits(s, n, &pos, 2, &ct.hour) || read_digits(s, n, &pos, 2, &ct.minute) ||
		   read_digits(s, n, &pos, 2, &ct.second)) {
		return 0;
	}
	/* The compact form must end at the clock, so "081109 2036150" is not it. */
	if (pos < n && is_digit(s[pos]))
		return 0;
	ct.year = 2000 + yy;
	if (civil_valid(&ct))
		return 0;
	*out_ms = civil_to_ms(&ct);
	return pos;
}

/* "03-17 16:13:38.811" (Android logcat) and "10.30 16:49:06" (Proxifier):
 * month and day without a year, which is found as for syslog stamps. */
static size_t parse_month_day(const char *s, size_t n, int64_t now_ms, int64_t *out_ms)
{
	civil_time ct = {0};
	size_t pos = 0;
	char sep;

	if (n < 14 || (s[2] != '-' && s[2] != '.'))
		return 0;
	sep = s[2];
	if (read_digits(s, n, &pos, 2, &ct.month) || expect_char(s, n, &pos, sep) ||
	    read_digits(s, n, &pos, 2, &ct.day) || expect_char(s, n, &pos, ' ') ||
	    read_clock(s, n, &pos, &ct))
		return 0;
	if (syslog_year(&ct, now_ms, out_ms))
		return 0;
	return pos;
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "@4000000043322583 3b6e1a8c" without the space: a TAI64N label, 16 hex
 * digits of seconds since 1970 offset by 2^62 plus 10 (the TAI-UTC
 * difference in 1970, as daemontools' tai64nlocal takes it), then 8 hex
 * digits of nanoseconds. NOTE: the leap seconds since 1972 are not
 * subtracted, the same as tai64nlocal. */
static size_t parse_tai64n(const char *s, size_t n, int64_t *out_ms)
{
	uint64_t label = 0, nanos = 0;
	size_t i;

	if (n < 25 || s[0] != '@')
		return 0;
	for (i = 1; i < 25; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return 0;
		if (i <= 16)
			label = label << 4 | (uint64_t)d;
		else
			nanos = nanos << 4 | (uint64_t)d;
	}
	if (label < (1ULL << 62) + 10 || label - (1ULL << 62) - 10 > (1ULL << 40) || nanos > 999999999)
		return 0;
	*out_ms = (int64_t)(label - (1ULL << 62) - 10) * 1000 + (int64_t)(nanos / 1000000);
	return 25;
}

size_t sl_time_parse(const char *s, size_t n, int64_t now_ms, int64_t *out_ms)
{
	size_t used;

	if (!s || n == 0)
		return 0;
	if (s[0] == '@')
		return parse_tai64n(s, n, out_ms);
	if (is_digit(s[0])) {
		used = parse_iso(s, n, out_ms);
		if (!used)
			used = parse_clf(s, n, out_ms);
		if (!used)
			used = parse_short_year(s, n, out_ms);
		if (!used)
			used = parse_month_day(s, n, now_ms, out_ms);
		/* A number at the start of a line is only a timestamp when it has
		 * nine digits or more (1973 onwards in seconds) and ends there, so
		 * "42 retries" is not read as 1970. */
		if (!used) {
			used = parse_epoch(s, n, 9, out_ms);
			if (used < n && used && s[used] != ' ' && s[used] != '\t')
				used = 0;
		}
		return used;
	}
	used = parse_ctime(s, n, out_ms);
	if (!used)
		used = parse_month_day_year(s, n, out_ms);
	if (!used)
		used = parse_syslog(s, n, now_ms, out_ms);
	return used;
}

int sl_time_from_parts(int64_t year, unsigned month, unsigned day, unsigned hour,
		       unsigned minute, unsigned second, unsigned ms, int64_t now_ms, int64_t *out_ms)
{
	civil_time ct = {0};

	ct.month = month;
	ct.day = day;
	ct.hour = hour;
	ct.minute = minute;
	ct.second = second;
	ct.ms = ms > 999 ? 999 : ms;
	if (year < 0)
		return syslog_year(&ct, now_ms, out_ms);
	ct.year = year;
	if (civil_valid(&ct))
		return -1;
	*out_ms = civil_to_ms(&ct);
	return 0;
}

int sl_time_parse_value(const char *s, size_t n, int64_t now_ms, int64_t *out_ms)
{
	size_t used;

	if (!s)
		return -1;
	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;

	used = parse_epoch(s, n, 1, out_ms);
	if (used == n)
		return 0;
	used = sl_time_parse(s, n, now_ms, out_ms);
	return used == n ? 0 : -1;
}

size_t sl_time_parse_clock(const char *s, size_t n, int64_t *tod_ms)
{
	civil_time ct = {0};
	size_t pos = 0;

	if (read_clock(s, n, &pos, &ct) || ct.hour > 23 || ct.minute > 59 || ct.second > 60)
		return 0;
	/* "10:11:12:13" or "10:11:12.5.6" is something else. */
	if (pos < n && (s[pos] == ':' || is_digit(s[pos])))
		return 0;
	if (ct.second == 60)
		ct.second = 59;
	*tod_ms = (((int64_t)ct.hour * 60 + ct.minute) * 60 + ct.second) * 1000 + ct.ms;
	return pos;
}

/* Returns the start of the UTC day that contains ms. */
static int64_t day_start(int64_t ms)
{
	int64_t day = (ms >= 0 ? ms : ms - MS_PER_DAY + 1) / MS_PER_DAY;

	return day * MS_PER_DAY;
}

int64_t sl_time_of_day_latest(int64_t tod_ms, int64_t now_ms)
{
	int64_t t = day_start(now_ms) + tod_ms;

	if (t - now_ms > SL_TIME_OF_DAY_SKEW_MS)
		t -= MS_PER_DAY;
	return t;
}

int64_t sl_time_of_day_after(int64_t tod_ms, int64_t prev_ms)
{
	int64_t t = day_start(prev_ms) + tod_ms;

	if (prev_ms - t > MS_PER_DAY / 2)
		t += MS_PER_DAY;
	return t;
}
