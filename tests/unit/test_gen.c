/* test_gen.c: the bundled generator: determinism, valid JSON, level mix. */
#include <criterion/criterion.h>
#include <string.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "../../producer/gen.h"

#define BASE_TS 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MAX_TOKENS 64

/* Generates count events stamped one ms apart into one buffer, lines joined
 * by '\n'. */
static void generate(uint64_t seed, int count, sl_buf *out)
{
	sl_gen *g = sl_gen_new(seed);
	int i;

	for (i = 0; i < count; i++) {
		sl_gen_next(g, BASE_TS + i, out);
		sl_buf_putc(out, '\n');
	}
	cr_assert_eq(sl_gen_count(g), (uint64_t)count);
	sl_gen_free(g);
}

static int token_is(const char *js, const jsmntok_t *t, const char *s)
{
	size_t n = strlen(s);

	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
	       memcmp(js + t->start, s, n) == 0;
}

/* Returns the index of the value token for key in a flat object, or -1. */
static int find_key(const char *js, const jsmntok_t *toks, int ntoks, const char *key)
{
	int i;

	for (i = 1; i + 1 < ntoks; i += 2) {
		if (token_is(js, &toks[i], key))
			return i + 1;
	}
	return -1;
}

Test(gen, same_seed_same_bytes)
{
	sl_buf a, b;

	sl_buf_init(&a);
	sl_buf_init(&b);
	generate(42, 1000, &a);
	generate(42, 1000, &b);
	cr_assert_eq(a.len, b.len);
	cr_assert(memcmp(a.data, b.data, a.len) == 0);
	sl_buf_free(&a);
	sl_buf_free(&b);
}

Test(gen, different_seeds_differ)
{
	sl_buf a, b;

	sl_buf_init(&a);
	sl_buf_init(&b);
	generate(1, 1000, &a);
	generate(2, 1000, &b);
	cr_assert(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	sl_buf_free(&a);
	sl_buf_free(&b);
}

Test(gen, seed_zero_works)
{
	sl_buf a;

	sl_buf_init(&a);
	generate(0, 10, &a);
	cr_assert_gt(a.len, 100);
	sl_buf_free(&a);
}

Test(gen, lines_are_json_with_keys)
{
	static const char *const keys[] = { "timestamp", "level", "service", "host",
					    "request_id", "message" };
	sl_buf all;
	char *line, *save = NULL;
	int lines = 0;

	sl_buf_init(&all);
	generate(7, 2000, &all);
	for (line = strtok_r(all.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		jsmn_parser p;
		jsmntok_t toks[MAX_TOKENS];
		int n, k, v;

		jsmn_init(&p);
		n = jsmn_parse(&p, line, strlen(line), toks, MAX_TOKENS);
		cr_assert_gt(n, 0, "line %d is not JSON: %s", lines, line);
		cr_assert_eq(toks[0].type, JSMN_OBJECT);
		cr_assert_eq(toks[0].end, (int)strlen(line), "trailing bytes after object");
		for (k = 0; k < (int)(sizeof keys / sizeof keys[0]); k++) {
			v = find_key(line, toks, n, keys[k]);
			cr_assert_geq(v, 0, "line %d lacks %s: %s", lines, keys[k], line);
			cr_assert_eq(toks[v].type, JSMN_STRING);
		}
		v = find_key(line, toks, n, "request_id");
		cr_assert_eq(toks[v].end - toks[v].start, 16);
		v = find_key(line, toks, n, "timestamp");
		cr_assert(strncmp(line + toks[v].start, "2026-01-01T00:00:", 17) == 0);
		v = find_key(line, toks, n, "status");
		if (v >= 0)
			cr_assert_eq(toks[v].type, JSMN_PRIMITIVE);
		lines++;
	}
	cr_assert_eq(lines, 2000);
	sl_buf_free(&all);
}

Test(gen, level_mix_and_stack_trace)
{
	sl_buf all;
	size_t info = 0, warn = 0, error = 0, debug = 0, traces = 0;
	const char *p;

	sl_buf_init(&all);
	generate(12345, 10000, &all);
	for (p = all.data; (p = strstr(p, "\"level\":\"")) != NULL; p++) {
		const char *lv = p + strlen("\"level\":\"");

		if (strncmp(lv, "info\"", 5) == 0)
			info++;
		else if (strncmp(lv, "warn\"", 5) == 0)
			warn++;
		else if (strncmp(lv, "error\"", 6) == 0)
			error++;
		else if (strncmp(lv, "debug\"", 6) == 0)
			debug++;
	}
	for (p = all.data; (p = strstr(p, "unhandled exception in ")) != NULL; p++)
		traces++;

	cr_assert_gt(info, 5000, "info=%zu", info);
	cr_assert_gt(debug, 0);
	cr_assert_gt(warn, 0);
	cr_assert_gt(error, 0);
	cr_assert_lt(error, info);
	cr_assert_gt(traces, 0, "no stack trace in 10000 events");
	sl_buf_free(&all);
}

Test(gen, trace_message_is_multiline)
{
	sl_buf all;
	const char *p;

	sl_buf_init(&all);
	generate(99, 20000, &all);
	p = strstr(all.data, "unhandled exception in ");
	cr_assert_not_null(p);
	/* The newline inside the message is escaped, so the raw line has none
	 * before the closing brace. */
	cr_assert(strstr(p, "\\n") != NULL);
	cr_assert(strchr(p, '\n') > strstr(p, "\\n"));
	sl_buf_free(&all);
}
