/* Unit tests for the query parser and its SQL compiler. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/event.h"
#include "../../src/query.h"

/* A fixed reference time, 2026-01-02T03:04:05Z, for relative times. */
#define NOW_MS 1767323045000LL

/* Renders a tree in prefix form, e.g. (AND "disk full" (NOT level=error)). */
static void render(const sl_qnode *n, sl_buf *b)
{
	switch (n->kind) {
	case SL_Q_ALL:
		sl_buf_puts(b, "ALL");
		break;
	case SL_Q_TEXT:
		sl_buf_printf(b, "%s%s%s", n->phrase ? "\"" : "", n->text, n->phrase ? "\"" : "");
		if (n->prefix)
			sl_buf_putc(b, '*');
		break;
	case SL_Q_FIELD:
		sl_buf_printf(b, "%s=%s%s", n->field, n->text, n->prefix ? "*" : "");
		break;
	case SL_Q_TIME:
		sl_buf_printf(b, "%s%lld", n->since ? "since" : "until", (long long)n->time_ms);
		break;
	case SL_Q_NOT:
		sl_buf_puts(b, "(NOT ");
		render(n->left, b);
		sl_buf_putc(b, ')');
		break;
	case SL_Q_AND:
	case SL_Q_OR:
		sl_buf_puts(b, n->kind == SL_Q_AND ? "(AND " : "(OR ");
		render(n->left, b);
		sl_buf_putc(b, ' ');
		render(n->right, b);
		sl_buf_putc(b, ')');
		break;
	}
}

static char *parse_render(const char *text)
{
	sl_error err = {{0}, 0};
	sl_query *q = sl_query_parse(text, NOW_MS, &err);
	sl_buf b;

	cr_assert_not_null(q, "query %s failed: %s", text, err.message);
	sl_buf_init(&b);
	render(q->root, &b);
	sl_query_free(q);
	return sl_buf_steal(&b);
}

struct tree_case {
	const char *query;
	const char *tree;
};

Test(query, parse_trees)
{
	static const struct tree_case cases[] = {
		{"", "ALL"},
		{"  \t\n ", "ALL"},
		{"*", "ALL"},
		{"* level:error", "(AND ALL level=error)"},
		{"NOT *", "(NOT ALL)"},
		{"disk", "disk"},
		{"a b", "(AND a b)"},
		{"a b c", "(AND (AND a b) c)"},
		{"a AND b", "(AND a b)"},
		{"a OR b c", "(OR a (AND b c))"},
		{"a b OR c", "(OR (AND a b) c)"},
		{"a OR b AND c", "(OR a (AND b c))"},
		{"NOT a b", "(AND (NOT a) b)"},
		{"NOT a OR b", "(OR (NOT a) b)"},
		{"NOT NOT a", "(NOT (NOT a))"},
		{"-a b", "(AND (NOT a) b)"},
		{"-(a OR b)", "(NOT (OR a b))"},
		{"foo-bar", "foo-bar"},
		{"(a OR b) c", "(AND (OR a b) c)"},
		{"a (b OR c)", "(AND a (OR b c))"},
		{"((a))", "a"},
		{"and or not", "(AND (AND and or) not)"},
		{"And Or", "(AND And Or)"},
		{"ANDROID", "ANDROID"},
		{"\"disk full\"", "\"disk full\""},
		{"\"say \\\"hi\\\"\"", "\"say \"hi\"\""},
		{"\"back\\\\slash\"", "\"back\\slash\""},
		{"\"keep\\n\"", "\"keep\\n\""},
		{"\"abc\"*", "\"abc\"*"},
		{"conn*", "conn*"},
		{"a*b", "a*b"},
		{"level:error", "level=error"},
		{"level:ERR", "level=error"},
		{"LEVEL:warning", "level=warn"},
		{"level:unknown", "level=unknown"},
		{"service:api", "service=api"},
		{"Service:API", "service=API"},
		{"host:web-*", "host=web-*"},
		{"service:\"my api\"", "service=my api"},
		{"message:timeout", "message=timeout"},
		{"userId:42", "userId=42"},
		{"http.status:500", "http.status=500"},
		{"12:30", "12:30"},
		{"::x", "::x"},
		{"url:http://x/y", "url=http://x/y"},
		{"since:15m", "since1767322145000"},
		{"until:1h", "until1767319445000"},
		{"since:2026-01-02T03:00:00Z", "since1767322800000"},
		{"since:2026-01-02T05:00:00.5+02:00", "since1767322800500"},
		{"until:2026-01-02", "until1767312000000"},
		{"since:\"2026-01-02 03:00:00\"", "since1767322800000"},
		{"a\"b c\"", "(AND a \"b c\")"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = parse_render(cases[i].query);

		cr_expect_str_eq(got, cases[i].tree, "query [%s]", cases[i].query);
		free(got);
	}
}

Test(query, columns_of_terms)
{
	sl_error err;
	sl_query *q = sl_query_parse("ab  level:info", NOW_MS, &err);

	cr_assert_not_null(q);
	cr_expect_eq(q->root->left->column, 1);
	cr_expect_eq(q->root->right->column, 5);
	sl_query_free(q);
}

struct error_case {
	const char *query;
	int column;
	const char *message;
};

Test(query, errors_name_column)
{
	static const struct error_case cases[] = {
		{"error level:", 7, "column 7: expected a value after 'level:'"},
		{"level: x", 1, "column 1: expected a value after 'level:'"},
		{"(a", 1, "column 1: unbalanced parenthesis: '(' is never closed"},
		{"a)", 2, "column 2: unbalanced parenthesis: ')' has no matching '('"},
		{")", 1, "column 1: unbalanced parenthesis: ')' has no matching '('"},
		{"a (b OR (c)", 3, "column 3: unbalanced parenthesis: '(' is never closed"},
		{"()", 2, "column 2: expected a term after '('"},
		{"\"abc", 1, "column 1: unterminated phrase"},
		{"x \"ab\\\"", 3, "column 3: unterminated phrase"},
		{"service:\"ab", 9, "column 9: unterminated phrase"},
		{"level:foo", 7,
		 "column 7: unknown level 'foo' (expected trace, debug, info, warn, error or fatal)"},
		{"level:err*", 1, "column 1: 'level:' takes a level name, not a prefix"},
		{"a AND", 6, "column 6: expected a term after 'AND'"},
		{"a OR", 5, "column 5: expected a term after 'OR'"},
		{"NOT", 4, "column 4: expected a term after 'NOT'"},
		{"AND a", 1, "column 1: expected a term before 'AND'"},
		{"OR", 1, "column 1: expected a term before 'OR'"},
		{"a AND OR b", 7, "column 7: expected a term after 'AND'"},
		{"a - b", 3, "column 3: expected a term after '-'"},
		{"-", 1, "column 1: expected a term after '-'"},
		{"status:>=abc", 10, "column 10: expected a number after 'status:', not 'abc'"},
		{"status:>=", 10, "column 10: expected a number after 'status:>='"},
		{"status:<0x10", 9, "column 9: expected a number after 'status:', not '0x10'"},
		{"status:>*", 9, "column 9: expected a number, not '*', in 'status:'"},
		{"status:[500 599]", 13,
		 "column 13: expected 'TO' between the ends of the range, not '599'"},
		{"status:[500 TO 599", 19,
		 "column 19: expected ']' or '}' to close the range opened at column 8"},
		{"status:[500 TO]", 15, "column 15: expected a high end such as 599 in the range"},
		{"status:[abc TO 5]", 9,
		 "column 9: expected a number or '*' after 'status:', not 'abc'"},
		{"service:>5", 10, "column 10: 'service:' is text and cannot be compared as a number"},
		{"level:>loud", 8,
		 "column 8: unknown level 'loud' (expected trace, debug, info, warn, error or fatal)"},
		{"since:>5m", 1,
		 "column 1: 'since:' takes a duration such as 15m or an RFC 3339 time, not a "
		 "comparison or range"},
		{"a | sum", 5, "column 5: expected count, top or timechart after '|', not 'sum'"},
		{"a |", 4, "column 4: expected count, top or timechart after '|'"},
		{"a | top x service", 9,
		 "column 9: expected a row count from 1 to 10000 after 'top', not 'x'"},
		{"a | top 5", 10, "column 10: expected a field name after 'top N'"},
		{"a | timechart 5x", 15,
		 "column 15: expected a bucket width such as 1m, 5m or 1h after 'timechart', not '5x'"},
		{"a | count by", 13, "column 13: expected a field name after 'by'"},
		{"a | count by service:", 14,
		 "column 14: invalid field name 'service:' (expected a name such as service or status)"},
		{"a | top 5 host:x", 11,
		 "column 11: invalid field name 'host:x' (expected a name such as service or status)"},
		{"a | count by message", 14,
		 "column 14: cannot group by message, which is full text (group by level, service, "
		 "host or an extra field)"},
		{"a | count per x", 11,
		 "column 11: expected 'by FIELD' or the end after 'count', not 'per'"},
		{"a | count | top 1 x", 11,
		 "column 11: unexpected '|' after the aggregation (only one '|' is allowed)"},
		{"(a | count)", 1, "column 1: unbalanced parenthesis: '(' is never closed"},
		{"since:soon", 1,
		 "column 1: invalid time 'soon' after 'since:' (expected a duration such as 15m or "
		 "an RFC 3339 timestamp)"},
		{"until:2026-13-01", 1,
		 "column 1: invalid time '2026-13-01' after 'until:' (expected a duration such as "
		 "15m or an RFC 3339 timestamp)"},
		{"since:-5m", 1,
		 "column 1: invalid time '-5m' after 'since:' (expected a duration such as 15m or "
		 "an RFC 3339 timestamp)"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_error err = {{0}, 0};
		sl_query *q = sl_query_parse(cases[i].query, NOW_MS, &err);

		cr_expect_null(q, "query [%s] parsed", cases[i].query);
		sl_query_free(q);
		cr_expect_eq(err.column, cases[i].column, "query [%s]: column %d", cases[i].query,
			     err.column);
		cr_expect_str_eq(err.message, cases[i].message, "query [%s]", cases[i].query);
	}
}

/* The aggregation after '|' is read into sl_agg_req; a '|' inside a
 * phrase is text. */
Test(query, aggregation_parsed)
{
	static const struct {
		const char *query;
		sl_agg_kind kind;
		const char *field;
		size_t n;
		int64_t span_ms;
		int column;
	} cases[] = {
		{"error | count", SL_AGG_COUNT, "", 0, 0, 7},
		{"| COUNT BY Service", SL_AGG_COUNT_BY, "service", 0, 0, 1},
		{"x | top 5 status", SL_AGG_TOP, "status", 5, 0, 3},
		{"|timechart 5m", SL_AGG_TIMECHART, "", 0, 300000, 1},
		{"a|timechart 1h by app.kubernetes.io/name", SL_AGG_TIMECHART,
		 "app.kubernetes.io/name", 0, 3600000, 2},
		{"\"a | b\"", SL_AGG_NONE, "", 0, 0, 0},
		{"\"x \\\" | y\" | count", SL_AGG_COUNT, "", 0, 0, 12},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_error err = {{0}, 0};
		sl_query *q = sl_query_parse(cases[i].query, NOW_MS, &err);

		cr_assert_not_null(q, "query [%s]: %s", cases[i].query, err.message);
		cr_expect_eq(q->agg.kind, cases[i].kind, "query [%s]: kind", cases[i].query);
		cr_expect_str_eq(q->agg.field, cases[i].field, "query [%s]: field", cases[i].query);
		cr_expect_eq(q->agg.n, cases[i].n, "query [%s]: n", cases[i].query);
		cr_expect_eq(q->agg.span_ms, cases[i].span_ms, "query [%s]: span", cases[i].query);
		cr_expect_eq(q->agg_column, cases[i].column, "query [%s]: column", cases[i].query);
		cr_expect_eq(sl_query_has_pipe(cases[i].query), cases[i].kind != SL_AGG_NONE,
			     "query [%s]: has_pipe", cases[i].query);
		sl_query_free(q);
	}
}

/* Comparisons, ranges and existence become field nodes with numbers. */
Test(query, comparisons_parsed)
{
	sl_error err = {{0}, 0};
	sl_query *q = sl_query_parse("status:{500 TO *]", NOW_MS, &err);

	cr_assert_not_null(q, "%s", err.message);
	cr_expect_eq(q->root->kind, SL_Q_FIELD);
	cr_expect_eq(q->root->op, SL_QOP_RANGE);
	cr_expect(q->root->num == 500.0);
	cr_expect_eq(q->root->lo_open, 1);
	cr_expect_eq(q->root->hi_open, 0);
	cr_expect_eq(q->root->hi_unbounded, 1);
	sl_query_free(q);

	q = sl_query_parse("duration_ms:<=-2.5e3", NOW_MS, &err);
	cr_assert_not_null(q, "%s", err.message);
	cr_expect_eq(q->root->op, SL_QOP_LE);
	cr_expect(q->root->num == -2500.0);
	sl_query_free(q);

	q = sl_query_parse("level:>=warn", NOW_MS, &err);
	cr_assert_not_null(q, "%s", err.message);
	cr_expect_eq(q->root->op, SL_QOP_LEVELS);
	cr_expect_eq(q->root->levels, (1u << SL_LEVEL_WARN) | (1u << SL_LEVEL_ERROR) |
					      (1u << SL_LEVEL_FATAL));
	sl_query_free(q);

	q = sl_query_parse("user:*", NOW_MS, &err);
	cr_assert_not_null(q, "%s", err.message);
	cr_expect_eq(q->root->op, SL_QOP_EXISTS);
	sl_query_free(q);
}

/* Which strings compare as numbers in both stores. */
Test(query, number_rule)
{
	static const char *const yes[] = {"0", "500", "-1", "+2", "2.5", ".5", "5.", "1e3",
					  "-1.5E-2", "007"};
	static const char *const no[] = {"", "abc", "0x10", "inf", "nan", "1e", "1 ", " 1",
					 "1e999", "1-2", "1.2.3", "-", "."};
	double v;
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_expect(sl_query_number(yes[i], &v), "[%s] is a number", yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		cr_expect(!sl_query_number(no[i], &v), "[%s] is not a number", no[i]);
	cr_expect(sl_query_number("-1.5E-2", &v) && v == -0.015);
}

Test(query, length_limit)
{
	char *text = malloc(4098);
	sl_error err;
	sl_query *q;

	memset(text, 'a', 4096);
	text[4096] = '\0';
	q = sl_query_parse(text, NOW_MS, &err);
	cr_expect_not_null(q, "4096 bytes rejected: %s", err.message);
	sl_query_free(q);

	text[4096] = 'a';
	text[4097] = '\0';
	q = sl_query_parse(text, NOW_MS, &err);
	cr_expect_null(q);
	cr_expect_str_eq(err.message, "column 4097: query is too long (4097 bytes; the maximum is 4096)");
	free(text);
}

static sl_query *parse_repeated(const char *open, int times, const char *middle,
				const char *close, sl_error *err)
{
	sl_buf b;
	sl_query *q;
	int i;

	sl_buf_init(&b);
	for (i = 0; i < times; i++)
		sl_buf_puts(&b, open);
	sl_buf_puts(&b, middle);
	for (i = 0; i < times; i++)
		sl_buf_puts(&b, close);
	q = sl_query_parse(b.data, NOW_MS, err);
	sl_buf_free(&b);
	return q;
}

Test(query, depth_limit)
{
	sl_error err;
	sl_query *q;

	q = parse_repeated("(", 11, "a", ")", &err);
	cr_expect_not_null(q, "11 levels rejected: %s", err.message);
	sl_query_free(q);

	q = parse_repeated("(", 12, "a", ")", &err);
	cr_expect_null(q);
	cr_expect_eq(err.column, 13);
	cr_expect_str_eq(err.message, "column 13: query is nested deeper than 12 levels");

	/* 2000 parentheses fit in the length limit and must not recurse 2000 deep */
	q = parse_repeated("(", 2000, "a", ")", &err);
	cr_expect_null(q);
	q = parse_repeated("NOT ", 1000, "a", "", &err);
	cr_expect_null(q);
	q = parse_repeated("-", 4000, "a", "", &err);
	cr_expect_null(q);
	cr_expect_str_eq(err.message, "column 13: query is nested deeper than 12 levels");
}

Test(query, long_flat_query_parses)
{
	sl_error err;
	sl_query *q = parse_repeated("a ", 2000, "b", "", &err);
	sl_sql sql;

	cr_assert_not_null(q, "%s", err.message);
	cr_assert_eq(sl_query_to_sql(q, &sql, &err), 0);
	cr_expect_eq(sql.nparams, 2001);
	sl_sql_free(&sql);
	sl_query_free(q);
}

Test(query, bad_bytes_never_crash)
{
	static const char *const inputs[] = {
		"\xff\xfe", "\"\xc3\"", "a\x01:b", "lev\x7fl:x", ":", ":::", "a:\"\"", "\"\"",
		"(((", ")))", "- -", "--a", "\\", "\"\\", "x:\"\\\"", "NOT(", "a OR (b AND",
	};
	sl_query *q;
	size_t i;

	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		sl_error err = {{0}, 0};
		sl_sql sql;

		q = sl_query_parse(inputs[i], NOW_MS, &err);
		if (q) {
			cr_expect_eq(sl_query_to_sql(q, &sql, &err), 0, "[%s]", inputs[i]);
			sl_sql_free(&sql);
		} else {
			cr_expect_neq(err.message[0], '\0', "[%s] failed without a message", inputs[i]);
		}
		sl_query_free(q);
	}

	q = sl_query_parse(NULL, NOW_MS, NULL);
	cr_expect_not_null(q);
	cr_expect_eq(q->root->kind, SL_Q_ALL);
	sl_query_free(q);
}

/* One compiled parameter: an integer, or a string. */
struct param {
	int is_int;
	long long i;
	const char *s;
};

struct sql_case {
	const char *query;
	const char *where;
	size_t nparams;
	struct param params[4];
};

#define I(v) {1, (v), NULL}
#define S(v) {0, 0, (v)}
#define FTS "seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"

Test(query, sql_contract)
{
	static const struct sql_case cases[] = {
		{"", "1", 0, {{0}}},
		{"disk", FTS, 1, {S("\"disk\"")}},
		{"Disk*", FTS, 1, {S("\"Disk\"*")}},
		{"\"disk full\"", FTS, 1, {S("\"disk full\"")}},
		{"\"say \\\"hi\\\"\"", FTS, 1, {S("\"say \"\"hi\"\"\"")}},
		{"level:error service:api", "(level = ? AND service = ? COLLATE NOCASE)", 2,
		 {I(5), S("api")}},
		{"level:ERR", "level = ?", 1, {I(5)}},
		{"level:unknown", "level = ?", 1, {I(0)}},
		{"host:web-*", "host LIKE ? ESCAPE '\\'", 1, {S("web-%")}},
		{"host:50%_\\*", "host LIKE ? ESCAPE '\\'", 1, {S("50\\%\\_\\\\%")}},
		{"service:\"my api\"", "service = ? COLLATE NOCASE", 1, {S("my api")}},
		{"message:timeout", FTS, 1, {S("message : \"timeout\"")}},
		{"message:time*", FTS, 1, {S("message : \"time\"*")}},
		{"user:bob", "json_extract(fields, ?) = ? COLLATE NOCASE", 2,
		 {S("$.\"user\""), S("bob")}},
		{"http.status:5*", "json_extract(fields, ?) LIKE ? ESCAPE '\\'", 2,
		 {S("$.\"http.status\""), S("5%")}},
		{"since:15m", "ts >= ?", 1, {I(NOW_MS - 15 * 60000)}},
		{"until:2026-01-02T00:00:00Z", "ts <= ?", 1, {I(1767312000000LL)}},
		{"a OR b", "(" FTS " OR " FTS ")", 2, {S("\"a\""), S("\"b\"")}},
		{"-level:debug", "(level = ?) IS NOT 1", 1, {I(2)}},
		{"NOT (a OR level:info)", "((" FTS " OR level = ?)) IS NOT 1", 2,
		 {S("\"a\""), I(3)}},
		{"a b OR c", "((" FTS " AND " FTS ") OR " FTS ")", 3,
		 {S("\"a\""), S("\"b\""), S("\"c\"")}},
	};
	size_t i, j;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct sql_case *c = &cases[i];
		sl_error err;
		sl_query *q = sl_query_parse(c->query, NOW_MS, &err);
		sl_sql sql;

		cr_assert_not_null(q, "[%s]: %s", c->query, err.message);
		cr_assert_eq(sl_query_to_sql(q, &sql, &err), 0, "[%s]: %s", c->query, err.message);
		cr_expect_str_eq(sql.where.data, c->where, "[%s]", c->query);
		cr_expect_eq(sql.nparams, c->nparams, "[%s]", c->query);
		for (j = 0; j < sql.nparams && j < c->nparams; j++) {
			cr_expect_eq(sql.params[j].is_int, c->params[j].is_int, "[%s] #%zu", c->query, j);
			if (c->params[j].is_int)
				cr_expect_eq(sql.params[j].i, c->params[j].i, "[%s] #%zu", c->query, j);
			else
				cr_expect_str_eq(sql.params[j].s, c->params[j].s, "[%s] #%zu", c->query,
						 j);
		}
		sl_sql_free(&sql);
		sl_query_free(q);
	}
}

/* Hostile text must reach SQL only as bound values: the WHERE text stays one
 * of the fixed fragments, whatever the input. */
Test(query, injection_stays_bound)
{
	static const char *const inputs[] = {
		"x'; DROP TABLE events; --comment",
		"service:\"a' OR '1'='1\"",
		"\"NEAR(disk full)\"",
		"message:\"x\" OR extra:y",
		"\"a\\\" OR \\\"b\"",
		"host:\"; DELETE FROM events\"",
		"user\\:x",
	};
	size_t i, j;

	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		sl_error err;
		sl_query *q = sl_query_parse(inputs[i], NOW_MS, &err);
		sl_sql sql;

		cr_assert_not_null(q, "[%s]: %s", inputs[i], err.message);
		cr_assert_eq(sl_query_to_sql(q, &sql, &err), 0);
		cr_expect_null(strchr(sql.where.data, ';'), "[%s] -> %s", inputs[i], sql.where.data);
		cr_expect_null(strstr(sql.where.data, "DROP"), "[%s]", inputs[i]);
		cr_expect_null(strstr(sql.where.data, "NEAR"), "[%s]", inputs[i]);
		for (j = 0; j < sql.nparams; j++) {
			const char *s = sql.params[j].s;

			/* every FTS literal is one quoted string: no bare operator survives */
			if (s && s[0] == '"') {
				size_t len = strlen(s);

				cr_expect(s[len - 1] == '"' || s[len - 1] == '*', "[%s] %s", inputs[i],
					  s);
			}
		}
		sl_sql_free(&sql);
		sl_query_free(q);
	}
}

Test(query, near_is_one_literal)
{
	sl_error err;
	sl_query *q = sl_query_parse("\"NEAR(a b)\"", NOW_MS, &err);
	sl_sql sql;

	cr_assert_not_null(q);
	cr_assert_eq(sl_query_to_sql(q, &sql, &err), 0);
	cr_expect_str_eq(sql.params[0].s, "\"NEAR(a b)\"");
	sl_sql_free(&sql);
	sl_query_free(q);
}

/* Random strings over the syntax characters, from a fixed seed: each must
 * either parse and compile or fail with a message and a column. */
Test(query, random_input_never_crashes)
{
	static const char alphabet[] = "ab:*\"\\()- \tANDORNOTlevel:since:15m\xc3\xa9";
	char text[64];
	unsigned seed = 12345;
	int round, i, len;

	for (round = 0; round < 20000; round++) {
		sl_error err = {{0}, 0};
		sl_query *q;
		sl_sql sql;

		seed = seed * 1103515245u + 12345u;
		len = (int)(seed >> 16) % (int)(sizeof text - 1);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		text[len] = '\0';
		q = sl_query_parse(text, NOW_MS, &err);
		if (!q) {
			cr_expect_neq(err.message[0], '\0', "[%s]", text);
			cr_expect_gt(err.column, 0, "[%s]", text);
			continue;
		}
		cr_expect_eq(sl_query_to_sql(q, &sql, &err), 0, "[%s]: %s", text, err.message);
		sl_sql_free(&sql);
		sl_query_free(q);
	}
}
