/* Unit tests for the helpers of util.c: the formatting ones checked against
 * a plain reference written from their contract in util.h, and the removal
 * of a store's directory. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/util.h"

/* Escapes s byte by byte as util.h describes sl_buf_json_str(). */
static void json_str_reference(sl_buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	sl_buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned c = s[i];

		if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			c = s[++i];
		else if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			sl_buf_putc(b, (char)c);
			continue;
		}
		if (c == '"' || c == '\\')
			sl_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			sl_buf_puts(b, "\\n");
		else if (c == '\r')
			sl_buf_puts(b, "\\r");
		else if (c == '\t')
			sl_buf_puts(b, "\\t");
		else
			sl_buf_printf(b, "\\u%04x", c);
	}
	sl_buf_putc(b, '"');
}

/* Checks sl_buf_json_str() on s against the reference. */
static void expect_json_str(const unsigned char *s, size_t n)
{
	sl_buf got, want;

	sl_buf_init(&got);
	sl_buf_init(&want);
	sl_buf_json_str(&got, (const char *)s, n);
	json_str_reference(&want, s, n);
	cr_expect_eq(got.len, want.len, "length %zu, expected %zu for '%s'", got.len, want.len,
		     want.data);
	cr_expect_eq(memcmp(got.data, want.data, want.len < got.len ? want.len : got.len), 0,
		     "'%s', expected '%s'", got.data, want.data);
	cr_expect_eq(got.data[got.len], '\0');
	sl_buf_free(&got);
	sl_buf_free(&want);
}

Test(util, json_str_every_byte_pair)
{
	unsigned char s[3];
	unsigned a, b;

	for (a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		expect_json_str(s, 1);
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			s[2] = 'x';
			expect_json_str(s, 2);
			expect_json_str(s, 3);
		}
	}
}

/* Every byte value at every place of plain texts up to 24 bytes long, and
 * every byte after 0xc2, is escaped as the reference does. */
Test(util, json_str_each_byte_in_words)
{
	unsigned char s[24];
	size_t len, at;
	unsigned c;

	for (len = 1; len <= sizeof s; len++) {
		for (at = 0; at < len; at++) {
			for (c = 0; c < 256; c++) {
				memset(s, 'a', len);
				s[at] = (unsigned char)c;
				expect_json_str(s, len);
				if (at + 1 < len) {
					s[at] = 0xc2;
					s[at + 1] = (unsigned char)c;
					expect_json_str(s, len);
				}
			}
		}
	}
}

/* Random texts, mostly plain with a few bytes of every other kind. */
Test(util, json_str_random_texts)
{
	static const unsigned char odd[] = {'"', '\\', 0x00, 0x1f, '\n', 0x7f, 0x80, 0xc2, 0xe2, 0xff};
	unsigned char s[80];
	uint64_t x = 88172645463325252u;
	size_t i, len;
	int k;

	for (k = 0; k < 20000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % (sizeof s + 1));
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[i] = x % 16 == 0 ? odd[(x >> 8) % sizeof odd] : (unsigned char)(0x20 + (x >> 8) % 95);
		}
		expect_json_str(s, len);
	}
}

Test(util, json_str_grows_buffer)
{
	unsigned char s[300];
	sl_buf got, want;
	size_t i, prefix;

	/* escapes of 1 to 6 bytes mixed with plain runs, after prefixes that
	 * put the buffer's end at every point of its capacity */
	for (i = 0; i < sizeof s; i++) {
		if (i % 7 == 0)
			s[i] = 0x01;
		else if (i % 5 == 0)
			s[i] = '"';
		else if (i % 3 == 0)
			s[i] = 0xc2;
		else
			s[i] = (unsigned char)('a' + i % 26);
	}
	for (prefix = 0; prefix < 300; prefix++) {
		sl_buf_init(&got);
		sl_buf_init(&want);
		for (i = 0; i < prefix; i++) {
			sl_buf_putc(&got, 'p');
			sl_buf_putc(&want, 'p');
		}
		sl_buf_json_str(&got, (const char *)s, sizeof s);
		json_str_reference(&want, s, sizeof s);
		cr_assert_eq(got.len, want.len, "prefix %zu", prefix);
		cr_assert_eq(memcmp(got.data, want.data, want.len + 1), 0, "prefix %zu", prefix);
		sl_buf_free(&got);
		sl_buf_free(&want);
	}
}

Test(util, json_str_examples)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{"", "\"\""},
		{"plain text", "\"plain text\""},
		{"say \"hi\"\\", "\"say \\\"hi\\\"\\\\\""},
		{"a\tb\r\nc", "\"a\\tb\\r\\nc\""},
		{"\x1b[31mred", "\"\\u001b[31mred\""},
		{"\x7f", "\"\\u007f\""},
		{"csi \xc2\x9b" "31m", "\"csi \\u009b31m\""},
		{"nbsp \xc2\xa0 caf\xc3\xa9", "\"nbsp \xc2\xa0 caf\xc3\xa9\""},
		{"ends in \xc2", "\"ends in \xc2\""},
	};
	sl_buf b;
	size_t i;

	sl_buf_init(&b);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_buf_reset(&b);
		sl_buf_json_str(&b, cases[i].in, strlen(cases[i].in));
		cr_expect_str_eq(b.data, cases[i].out, "case %zu", i);
	}
	sl_buf_free(&b);
}

/* Formats ms with gmtime_r() and snprintf(), as sl_format_time() did
 * before it had a path of its own for years 0 to 9999. */
static void format_time_reference(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void expect_time(int64_t ms)
{
	char got[SL_TIME_STRLEN], want[SL_TIME_STRLEN];

	sl_format_time(ms, got, sizeof got);
	format_time_reference(ms, want, sizeof want);
	cr_expect_str_eq(got, want, "ms %lld", (long long)ms);
}

Test(util, format_time_examples)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
		{1767323045678LL, "2026-01-02T03:04:05.678Z"},
		{951782400000LL, "2000-02-29T00:00:00.000Z"},
		{4107542400000LL, "2100-03-01T00:00:00.000Z"},
		{-62167219200000LL, "0000-01-01T00:00:00.000Z"},
		{253402300799999LL, "9999-12-31T23:59:59.999Z"},
	};
	char text[SL_TIME_STRLEN];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_format_time(cases[i].ms, text, sizeof text);
		cr_expect_str_eq(text, cases[i].text, "case %zu", i);
	}
}

Test(util, format_time_matches_gmtime)
{
	/* 0001-01-01 to 2400-01-01 in steps of a day and 7 ms, so every
	 * millisecond digit, leap day and century rule comes up */
	int64_t ms;

	for (ms = -62135596800000LL; ms < 13569465600000LL; ms += 86400007LL)
		expect_time(ms);
	for (ms = -5000; ms <= 5000; ms++)
		expect_time(ms);

	/* outside years 0 to 9999 the snprintf() path formats them */
	expect_time(-62167219200001LL);
	expect_time(253402300800000LL);
	expect_time(-70000000000000LL);
	expect_time(400000000000000LL);
}

Test(util, format_time_short_output)
{
	char text[8];

	sl_format_time(0, text, sizeof text);
	cr_expect_str_eq(text, "1970-01");
}

Test(util, put_int_limits)
{
	sl_buf b;

	sl_buf_init(&b);
	sl_buf_put_u64(&b, 0);
	sl_buf_putc(&b, ' ');
	sl_buf_put_u64(&b, UINT64_MAX);
	sl_buf_putc(&b, ' ');
	sl_buf_put_i64(&b, INT64_MIN);
	sl_buf_putc(&b, ' ');
	sl_buf_put_i64(&b, INT64_MAX);
	sl_buf_putc(&b, ' ');
	sl_buf_put_i64(&b, -1);
	sl_buf_putc(&b, ' ');
	sl_buf_put_i64(&b, 1767323045678LL);
	cr_expect_str_eq(b.data, "0 18446744073709551615 -9223372036854775808 "
				 "9223372036854775807 -1 1767323045678");
	sl_buf_free(&b);
}

Test(util, put_double_matches_printf)
{
	static const double values[] = {
		0.0, -0.0, 1.0, -1.0, 200.0, 503.0, 1e16, -1e16, 99999999999999984.0,
		1e17, -1e17, 1.5e17, 9007199254740993.0, 1796379074e9, 0.5, 3.14, -2.5,
		1e-7, 915.9, 1e300, -1e300, 1785000000.123,
	};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		sl_buf b;

		sl_buf_init(&b);
		sl_buf_put_double(&b, values[i]);
		snprintf(want, sizeof want, "%.17g", values[i]);
		cr_expect_str_eq(b.data, want, "value %zu", i);
		sl_buf_free(&b);
	}
}

Test(util, json_chars_is_json_str_without_quotes)
{
	static const char *const texts[] = {
		"", "plain", "say \"hi\"", "back\\slash", "tab\there", "\x01\x1f\x7f", "\xc2\x9b[31m",
		"caf\xc3\xa9",
	};
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		sl_buf quoted, bare;

		sl_buf_init(&quoted);
		sl_buf_init(&bare);
		sl_buf_json_str(&quoted, texts[i], strlen(texts[i]));
		sl_buf_putc(&bare, '"');
		sl_buf_json_chars(&bare, texts[i], strlen(texts[i]));
		sl_buf_putc(&bare, '"');
		cr_expect_str_eq(bare.data, quoted.data, "text %zu", i);
		sl_buf_free(&quoted);
		sl_buf_free(&bare);
	}
}

/* Creates the file dir/name with a few bytes in it. */
static void make_file(const char *dir, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "creating %s", path);
	fputs("data\n", f);
	fclose(f);
}

Test(util, remove_flat_dir_removes_files)
{
	char dir[] = "/tmp/sl-test-rmdir-XXXXXX";
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	make_file(dir, "events.db");
	make_file(dir, "events.db-wal");
	sl_remove_flat_dir(dir);
	cr_expect_eq(stat(dir, &st), -1);
}

Test(util, remove_flat_dir_keeps_subfolders)
{
	char dir[] = "/tmp/sl-test-rmdir-XXXXXX", sub[64], path[96];
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	make_file(dir, "events.db");
	snprintf(sub, sizeof sub, "%s/sub", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	sl_remove_flat_dir(dir);
	snprintf(path, sizeof path, "%s/events.db", dir);
	cr_expect_eq(stat(path, &st), -1);
	cr_expect_eq(stat(sub, &st), 0);
	rmdir(sub);
	rmdir(dir);
}

Test(util, remove_flat_dir_missing_is_harmless)
{
	const char *dir = "/tmp/sl-test-rmdir-does-not-exist";
	struct stat st;

	sl_remove_flat_dir(dir);
	cr_expect_eq(stat(dir, &st), -1);
}
