/* The JSON tokenizer against jsmn, built as the decoder used to build it:
 * for every text, both return the same count or error and the same tokens.
 * The texts are hand-picked edge cases and seeded random mutations of
 * realistic records. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "../../src/json_scan.h"

#define MUTATIONS 200000

/* Returns 1 when sl_json_scan and jsmn agree on js[0, len), or prints the
 * first difference and returns 0. */
static int agrees(const char *js, size_t len)
{
	jsmntok_t *ref = malloc((len + 1) * sizeof *ref);
	sl_json_tokens t;
	jsmn_parser parser;
	int want, got, i, ok = 1;

	jsmn_init(&parser);
	want = jsmn_parse(&parser, js, len, ref, (unsigned)len + 1);
	sl_json_tokens_init(&t, NULL, 0);
	got = sl_json_scan(js, len, &t);
	if (want != got) {
		fprintf(stderr, "json_scan: %d, jsmn: %d on \"%.*s\"\n", got, want, (int)len, js);
		ok = 0;
	}
	for (i = 0; ok && i < want; i++) {
		const sl_json_tok *a = &t.tok[i];
		const jsmntok_t *b = &ref[i];
		int has_backslash;

		if ((int)a->type != (int)b->type || a->start != b->start || a->end != b->end ||
		    a->size != b->size || a->parent != b->parent) {
			fprintf(stderr, "token %d differs on \"%.*s\"\n", i, (int)len, js);
			ok = 0;
			break;
		}
		has_backslash = b->type == JSMN_STRING &&
				memchr(js + b->start, '\\', (size_t)(b->end - b->start)) != NULL;
		if (a->escaped != has_backslash) {
			fprintf(stderr, "token %d has the wrong escaped flag on \"%.*s\"\n", i, (int)len, js);
			ok = 0;
		}
	}
	sl_json_tokens_free(&t);
	free(ref);
	return ok;
}

static int agrees_str(const char *js)
{
	return agrees(js, strlen(js));
}

Test(json_scan, edge_cases)
{
	static const char *const cases[] = {
		"",
		"{}",
		"[]",
		"{\"a\":1}",
		"{\"a\":1",
		"{\"a\":1}}",
		"{\"a\":1}]",
		"[1]]",
		"[1}",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\" \"b\"}",
		"{1:2}",
		"{\"a\":1 2}",
		"{\"a\":\"b\" \"c\"}",
		"{\"a\":{\"b\":[1,2,{\"c\":null}]},\"d\":true}",
		"{{}}",
		"{\"a\":[}",
		"\"abc\"",
		"\"abc",
		"123",
		"123 ",
		"tru ",
		"x",
		"{\"a\":-}",
		"{\"a\":1e5,\"b\":-0.5}",
		"{\"s\":\"\\\"\\/\\\\\\b\\f\\r\\n\\t\"}",
		"{\"s\":\"\\u00e9\\uD83D\\uDE00\"}",
		"{\"s\":\"\\u12\"}",
		"{\"s\":\"\\u12",
		"{\"s\":\"\\uzzzz\"}",
		"{\"s\":\"\\x\"}",
		"{\"s\":\"\\",
		"{\"s\":\"a\tb\"}",
		"{\"s\":1\x01}",
		"{\"s\":tr\x7fue}",
		"{\"s\":1\xc3\xa9}",
		"{\"s\":\"\xc3\xa9\"}",
		"[1,,2]",
		"[,]",
		":",
		",",
		"{\"a\":1,}",
		"{\"a\":1}{\"b\":2}",
		"{\"a\":1} x",
		"  {\"a\" : 1 , \"b\" : [ ] }  ",
		"\r\n{\"a\":1}\r\n",
		"]",
		"}",
		"[\"a\":1]",
		"{\"a\":1:2}",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect(agrees_str(cases[i]), "case %zu: %s", i, cases[i]);
}

Test(json_scan, nul_ends_text)
{
	static const char text[] = "{\"a\":\"x\"}\0garbage";
	static const char in_string[] = "{\"a\":\"x\0\"}";
	static const char in_primitive[] = "{\"a\":12\0}";
	static const char after_backslash[] = "{\"a\":\"\\\0\"}";

	cr_expect(agrees(text, sizeof text - 1));
	cr_expect(agrees(in_string, sizeof in_string - 1));
	cr_expect(agrees(in_primitive, sizeof in_primitive - 1));
	cr_expect(agrees(after_backslash, sizeof after_backslash - 1));
}

Test(json_scan, escaped_flag)
{
	const char *js = "{\"plain\":\"a b\",\"esc\\u0041\":\"line\\nbreak\"}";
	sl_json_tokens t;
	int n;

	sl_json_tokens_init(&t, NULL, 0);
	n = sl_json_scan(js, strlen(js), &t);
	cr_assert_eq(n, 5);
	cr_expect_eq(t.tok[1].escaped, 0);
	cr_expect_eq(t.tok[2].escaped, 0);
	cr_expect_eq(t.tok[3].escaped, 1);
	cr_expect_eq(t.tok[4].escaped, 1);
	sl_json_tokens_free(&t);
}

Test(json_scan, grows_past_initial_array)
{
	sl_json_tok initial[4];
	sl_json_tokens t;
	char js[8192];
	size_t len = 0;
	int i, n;

	len += (size_t)snprintf(js + len, sizeof js - len, "{");
	for (i = 0; i < 500; i++)
		len += (size_t)snprintf(js + len, sizeof js - len, "%s\"k%d\":%d", i ? "," : "", i, i);
	len += (size_t)snprintf(js + len, sizeof js - len, "}");

	sl_json_tokens_init(&t, initial, 4);
	n = sl_json_scan(js, len, &t);
	cr_assert_eq(n, 1001);
	cr_expect_neq(t.tok, initial);
	cr_expect_eq(t.tok[0].size, 500);
	cr_expect_eq(t.tok[1000].parent, 999);
	sl_json_tokens_free(&t);
	cr_expect_eq(t.tok, initial);
	cr_expect(agrees(js, len));
}

/* xorshift64*, seeded, so a failure repeats. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

Test(json_scan, random_mutations_agree, .timeout = 120)
{
	static const char *const seeds[] = {
		"{\"timestamp\":\"2026-12-05T09:58:25.004Z\",\"level\":\"info\",\"service\":\"auth\","
		"\"host\":\"auth-01\",\"request_id\":\"85890d099e6bde2a\",\"message\":\"pool resized\"}",
		"{\"log\":\"GET /health 200\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}",
		"{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
		"\"api\"}}]},\"severityNumber\":17,\"body\":{\"stringValue\":\"boom \\u00e9\"}}",
		"{\"a\":[1,-2.5e3,true,false,null,[],{}],\"b\":{\"c\":{\"d\":\"\\\"q\\\"\"}}}",
		"[{\"x\":1},{\"y\":[2,3]}]",
	};
	/* Bytes that change the structure most often, and a few that are
	 * invalid in some places. */
	static const char alphabet[] = "{}[]\":,\\u0aF9-tfn .\t\n\x01\x7f\xc3";
	uint64_t state = 0x5eed5eed5eedULL;
	char buf[512];
	int i, failures = 0;

	for (i = 0; i < MUTATIONS && failures < 5; i++) {
		const char *seed = seeds[next_random(&state) % (sizeof seeds / sizeof seeds[0])];
		size_t len = strlen(seed), edits = 1 + next_random(&state) % 4, e;

		memcpy(buf, seed, len);
		for (e = 0; e < edits && len > 0; e++) {
			size_t at = next_random(&state) % len;
			char c = alphabet[next_random(&state) % (sizeof alphabet - 1)];

			switch (next_random(&state) % 4) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				if (len + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
				}
				break;
			case 2: /* delete */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			default: /* truncate */
				len = at;
				break;
			}
		}
		if (!agrees(buf, len))
			failures++;
	}
	cr_expect_eq(failures, 0, "%d of %d mutated texts differ", failures, i);
}
