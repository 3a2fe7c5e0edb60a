/* query.c: the query language lexer and recursive-descent parser. The
 * grammar, with NOT binding tighter than AND and AND tighter than OR:
 *
 *   or      := and ("OR" and)*
 *   and     := unary (["AND"] unary)*
 *   unary   := ("NOT" | "-") unary | primary
 *   primary := "(" or ")" | WORD | PHRASE | NAME ":" value
 *   value   := WORD | PHRASE | "*" | (">" | ">=" | "<" | "<=") WORD
 *            | ("[" | "{") WORD "TO" WORD ("]" | "}")
 *
 * Only upper-case AND, OR and NOT are operators; in lower case they are
 * words. A word or field value ending in '*' is a prefix. Everything after
 * the first '|' outside a phrase is an aggregation (query_agg.c). */
#define _POSIX_C_SOURCE 200809L

#include "query.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"

/* Bounds that keep a hostile query from exhausting the stack or the CPU. */
#define QUERY_MAX_BYTES 4096
/* SQLite's parser stack, 100 entries in the default build, takes up to
 * about seven entries for each level of a query such as "(a OR -b (...))",
 * so a deeper query could not be prepared by the embedded store. */
#define QUERY_MAX_DEPTH 12
/* Untrusted text quoted in an error message is cut to this many bytes. */
#define ECHO_MAX 40

enum tok_kind {
	TOK_EOF,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_AND,
	TOK_OR,
	TOK_NOT,
	TOK_MINUS,
	TOK_WORD,
	TOK_PHRASE,
	TOK_FIELD
};

struct token {
	enum tok_kind kind;
	int column;  /* 1-based byte column where the token starts */
	char *field; /* TOK_FIELD: name as typed */
	char *text;  /* TOK_WORD, TOK_PHRASE, TOK_FIELD: unescaped value */
	char *text_hi; /* TOK_FIELD range: the high end; text is the low end */
	int prefix;  /* value ended with '*' */
	sl_qop op;   /* TOK_FIELD: comparison written after the ':' */
	int lo_open, hi_open; /* TOK_FIELD range: '{' or '}' */
	int value_column;    /* TOK_FIELD: column of the value (low end) */
	int hi_column;       /* TOK_FIELD range: column of the high end */
};

struct parser {
	const char *src;
	size_t pos;
	int64_t now_ms;
	struct token tok;    /* lookahead */
	const char *prev_op; /* last operator consumed, for "expected a term after" */
	int depth;
	sl_error *err;
};

void sl_error_set(sl_error *err, int column, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	err->column = column;
}

static void token_clear(struct token *t)
{
	free(t->field);
	free(t->text);
	free(t->text_hi);
	memset(t, 0, sizeof *t);
}

static int is_term_end(char c)
{
	return c == '\0' || isspace((unsigned char)c) || c == '(' || c == ')' || c == '"';
}

int sl_query_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '@';
}

/* '/' is in names for Kubernetes labels such as app.kubernetes.io/name. */
int sl_query_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '@' ||
	       c == '/';
}

/* Reads a quoted phrase starting at the opening quote. \" and \\ are
 * escapes, and any other backslash is kept. Sets *out (caller frees) and
 * returns 0, or -1 with err set when the closing quote is missing. */
static int lex_phrase(struct parser *p, char **out)
{
	size_t start = p->pos;
	sl_buf b;

	sl_buf_init(&b);
	p->pos++;
	for (;;) {
		char c = p->src[p->pos];

		if (c == '\0') {
			sl_buf_free(&b);
			sl_error_set(p->err, (int)start + 1, "column %d: unterminated phrase",
				     (int)start + 1);
			return -1;
		}
		p->pos++;
		if (c == '"')
			break;
		if (c == '\\' && (p->src[p->pos] == '"' || p->src[p->pos] == '\\'))
			c = p->src[p->pos++];
		sl_buf_putc(&b, c);
	}
	*out = sl_buf_steal(&b);
	return 0;
}

/* Reads a bare run up to whitespace, a parenthesis or a quote. A trailing
 * '*' is removed and reported through *prefix. */
static char *lex_bare(struct parser *p, int *prefix)
{
	size_t start = p->pos;
	size_t len;

	while (!is_term_end(p->src[p->pos]))
		p->pos++;
	len = p->pos - start;
	*prefix = len > 0 && p->src[start + len - 1] == '*';
	if (*prefix)
		len--;
	return sl_strndup(p->src + start, len);
}

/* Length of a field name at s followed by ':', or 0 when s does not start
 * with one, so "12:30" and "::x" stay plain words. */
static size_t field_name_len(const char *s)
{
	size_t n = 0;

	if (!sl_query_name_start(s[0]))
		return 0;
	while (sl_query_name_char(s[n]))
		n++;
	return s[n] == ':' ? n : 0;
}

/* Reads one whitespace-separated word of a range at p->pos into *out and
 * sets *column. Returns 0, or -1 with err set when the word is missing. */
static int lex_range_word(struct parser *p, char **out, int *column, const char *what)
{
	size_t start;
	const char *s = p->src;

	while (s[p->pos] == ' ' || s[p->pos] == '\t')
		p->pos++;
	start = p->pos;
	*column = (int)start + 1;
	while (s[p->pos] && !isspace((unsigned char)s[p->pos]) && s[p->pos] != ']' &&
	       s[p->pos] != '}')
		p->pos++;
	if (p->pos == start) {
		sl_error_set(p->err, *column, "column %d: expected %s in the range", *column, what);
		return -1;
	}
	*out = sl_strndup(s + start, p->pos - start);
	return 0;
}

/* Reads "[LO TO HI]" (or with '{' and '}' for excluded ends) after a
 * field's ':'. Returns 0, or -1 with err set. */
static int lex_range(struct parser *p)
{
	struct token *t = &p->tok;
	int open_col = (int)p->pos + 1, to_col;
	char *to = NULL;
	char c;

	t->op = SL_QOP_RANGE;
	t->lo_open = p->src[p->pos++] == '{';
	if (lex_range_word(p, &t->text, &t->value_column, "a low end such as 500") < 0 ||
	    lex_range_word(p, &to, &to_col, "'TO'") < 0)
		goto fail;
	if (strcmp(to, "TO") != 0) {
		sl_error_set(p->err, to_col, "column %d: expected 'TO' between the ends of the range, "
			     "not '%.*s'", to_col, ECHO_MAX, to);
		goto fail;
	}
	if (lex_range_word(p, &t->text_hi, &t->hi_column, "a high end such as 599") < 0)
		goto fail;
	while (p->src[p->pos] == ' ' || p->src[p->pos] == '\t')
		p->pos++;
	c = p->src[p->pos];
	if (c != ']' && c != '}') {
		sl_error_set(p->err, (int)p->pos + 1, "column %d: expected ']' or '}' to close the "
			     "range opened at column %d", (int)p->pos + 1, open_col);
		goto fail;
	}
	t->hi_open = c == '}';
	p->pos++;
	free(to);
	return 0;
fail:
	free(to);
	return -1;
}

static const char *op_text(sl_qop op)
{
	switch (op) {
	case SL_QOP_GT: return ">";
	case SL_QOP_GE: return ">=";
	case SL_QOP_LT: return "<";
	case SL_QOP_LE: return "<=";
	default: return "";
	}
}

/* Reads an operator (>, >=, <, <=) at p->pos into t->op, if there is one. */
static void lex_compare_op(struct parser *p)
{
	const char *s = p->src + p->pos;
	struct token *t = &p->tok;

	if (s[0] != '>' && s[0] != '<')
		return;
	if (s[1] == '=')
		t->op = s[0] == '>' ? SL_QOP_GE : SL_QOP_LE;
	else
		t->op = s[0] == '>' ? SL_QOP_GT : SL_QOP_LT;
	p->pos += s[1] == '=' ? 2 : 1;
}

static int lex_field(struct parser *p, size_t name_len)
{
	struct token *t = &p->tok;
	int column = t->column;

	t->kind = TOK_FIELD;
	t->field = sl_strndup(p->src + p->pos, name_len);
	p->pos += name_len + 1;
	if (p->src[p->pos] == '[' || p->src[p->pos] == '{')
		return lex_range(p);
	lex_compare_op(p);
	t->value_column = (int)p->pos + 1;
	if (p->src[p->pos] == '"' && t->op == SL_QOP_EQ) {
		if (lex_phrase(p, &t->text) < 0)
			return -1;
		return 0;
	}
	if (is_term_end(p->src[p->pos])) {
		if (t->op != SL_QOP_EQ)
			sl_error_set(p->err, t->value_column,
				     "column %d: expected a number after '%s:%s'", t->value_column,
				     t->field, op_text(t->op));
		else
			sl_error_set(p->err, column, "column %d: expected a value after '%s:'", column,
				     t->field);
		return -1;
	}
	t->text = lex_bare(p, &t->prefix);
	if (t->text[0] == '\0' && t->op == SL_QOP_EQ) {
		/* field:* alone matches events where the field is present */
		t->op = SL_QOP_EXISTS;
		t->prefix = 0;
	} else if (t->text[0] == '\0') {
		sl_error_set(p->err, t->value_column, "column %d: expected a number, not '*', in "
			     "'%s:'", t->value_column, t->field);
		return -1;
	}
	return 0;
}

static int lex_word(struct parser *p)
{
	struct token *t = &p->tok;

	t->text = lex_bare(p, &t->prefix);
	if (!t->prefix && strcmp(t->text, "AND") == 0)
		t->kind = TOK_AND;
	else if (!t->prefix && strcmp(t->text, "OR") == 0)
		t->kind = TOK_OR;
	else if (!t->prefix && strcmp(t->text, "NOT") == 0)
		t->kind = TOK_NOT;
	else
		t->kind = TOK_WORD;
	if (t->kind == TOK_WORD && t->text[0] == '\0' && !t->prefix) {
		sl_error_set(p->err, t->column, "column %d: expected a word before '*'",
			     t->column);
		return -1;
	}
	return 0;
}

/* Replaces the lookahead with the next token. Returns 0, or -1 with err
 * set. */
static int next_token(struct parser *p)
{
	struct token *t = &p->tok;
	size_t name_len;
	char c;

	token_clear(t);
	while (isspace((unsigned char)p->src[p->pos]))
		p->pos++;
	t->column = (int)p->pos + 1;
	c = p->src[p->pos];

	if (c == '\0') {
		t->kind = TOK_EOF;
		return 0;
	}
	if (c == '(' || c == ')') {
		t->kind = c == '(' ? TOK_LPAREN : TOK_RPAREN;
		p->pos++;
		return 0;
	}
	if (c == '"') {
		t->kind = TOK_PHRASE;
		if (lex_phrase(p, &t->text) < 0)
			return -1;
		t->prefix = p->src[p->pos] == '*';
		if (t->prefix)
			p->pos++;
		return 0;
	}
	if (c == '-') {
		p->pos++;
		if (is_term_end(p->src[p->pos]) && p->src[p->pos] != '(' && p->src[p->pos] != '"') {
			sl_error_set(p->err, t->column, "column %d: expected a term after '-'",
				     t->column);
			return -1;
		}
		t->kind = TOK_MINUS;
		return 0;
	}
	name_len = field_name_len(p->src + p->pos);
	if (name_len)
		return lex_field(p, name_len);
	return lex_word(p);
}

static sl_qnode *node_new(sl_qkind kind, int column)
{
	sl_qnode *n = sl_calloc(1, sizeof *n);

	n->kind = kind;
	n->column = column;
	return n;
}

static void node_free(sl_qnode *n)
{
	if (!n)
		return;
	node_free(n->left);
	node_free(n->right);
	free(n->field);
	free(n->text);
	free(n);
}

static sl_qnode *node_binary(sl_qkind kind, sl_qnode *left, sl_qnode *right)
{
	sl_qnode *n = node_new(kind, left->column);

	n->left = left;
	n->right = right;
	return n;
}

static int starts_term(enum tok_kind k)
{
	return k == TOK_LPAREN || k == TOK_NOT || k == TOK_MINUS || k == TOK_WORD ||
	       k == TOK_PHRASE || k == TOK_FIELD;
}

static const char *token_desc(const struct token *t)
{
	switch (t->kind) {
	case TOK_AND: return "AND";
	case TOK_OR: return "OR";
	case TOK_NOT: return "NOT";
	case TOK_MINUS: return "-";
	case TOK_LPAREN: return "(";
	case TOK_RPAREN: return ")";
	default: return "";
	}
}

/* Consumes an operator token, remembering it for error messages. */
static int take_operator(struct parser *p)
{
	p->prev_op = token_desc(&p->tok);
	return next_token(p);
}

/* Reads exactly n decimal digits at s into *out. Returns 0, or -1. */
static int read_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Parses the "hh:mm" of a time or zone offset. Returns 0, or -1. */
static int read_hhmm(const char *s, int *h, int *m)
{
	if (read_digits(s, 2, h) < 0 || s[2] != ':' || read_digits(s + 3, 2, m) < 0)
		return -1;
	return *h > 23 || *m > 59 ? -1 : 0;
}

/* Moves past the term that n was built from, and frees n on a lexer error. */
static sl_qnode *advance_past(struct parser *p, sl_qnode *n)
{
	if (next_token(p) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* Parses an RFC 3339 timestamp: a date, then optionally 'T', 't' or a space
 * and a time with optional seconds and fraction, then Z or +hh:mm. Without a
 * zone the time is UTC. Returns 0 with *out in UTC ms, or -1. */
static int parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	int64_t ms = 0, scale = 100, offset_min = 0;

	if (read_digits(s, 4, &y) < 0 || s[4] != '-' || read_digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || read_digits(s + 8, 2, &d) < 0)
		return -1;
	s += 10;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		if (read_hhmm(s + 1, &h, &mi) < 0)
			return -1;
		s += 6;
		if (*s == ':') {
			if (read_digits(s + 1, 2, &sec) < 0 || sec > 60)
				return -1;
			s += 3;
			if (*s == '.' || *s == ',') {
				if (!isdigit((unsigned char)*++s))
					return -1;
				for (; isdigit((unsigned char)*s); s++, scale /= 10)
					ms += (*s - '0') * scale;
			}
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (read_hhmm(s + 1, &oh, &om) < 0)
			return -1;
		offset_min = (*s == '-' ? -1 : 1) * (oh * 60 + om);
		s += 6;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;

	*out = (sl_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
		sec - offset_min * 60) * 1000 + ms;
	return 0;
}

/* Fills a since:/until: node from the token. Returns 0 or -1 with err set. */
static int make_time(struct parser *p, sl_qnode *n)
{
	struct token *t = &p->tok;
	int64_t ms;

	n->kind = SL_Q_TIME;
	n->since = strcasecmp(t->field, "since") == 0;
	if (t->op != SL_QOP_EQ) {
		sl_error_set(p->err, t->column, "column %d: '%s:' takes a duration such as 15m or "
			     "an RFC 3339 time, not a comparison or range", t->column,
			     n->since ? "since" : "until");
		return -1;
	}
	if (t->prefix) {
		sl_error_set(p->err, t->column, "column %d: '%s:' takes a time, not a prefix",
			     t->column, n->since ? "since" : "until");
		return -1;
	}
	if (sl_parse_duration(t->text, &ms) == 0) {
		n->time_ms = p->now_ms - ms;
		return 0;
	}
	if (parse_rfc3339(t->text, &ms) == 0) {
		n->time_ms = ms;
		return 0;
	}
	sl_error_set(p->err, t->column,
		     "column %d: invalid time '%.*s' after '%s:' (expected a duration such as "
		     "15m or an RFC 3339 timestamp)",
		     t->column, ECHO_MAX, t->text, n->since ? "since" : "until");
	return -1;
}

/* Looks up a level name for level: at column. Returns 0 with *out set, or
 * -1 with err set. */
static int level_value(struct parser *p, const char *text, int column, sl_level *out)
{
	*out = sl_level_parse(text, strlen(text));
	if (*out == SL_LEVEL_UNKNOWN && strcasecmp(text, "unknown") != 0) {
		sl_error_set(p->err, column,
			     "column %d: unknown level '%.*s' (expected trace, debug, info, warn, "
			     "error or fatal)",
			     column, ECHO_MAX, text);
		return -1;
	}
	return 0;
}

/* Turns a level comparison or range into the set of levels it admits, in
 * the order trace < debug < info < warn < error < fatal. unknown is below
 * trace. Returns 0 or -1 with err set. */
static int make_level_set(struct parser *p, sl_qnode *n)
{
	struct token *t = &p->tok;
	sl_level lo = SL_LEVEL_UNKNOWN, hi = SL_LEVEL_FATAL, v;
	int i;

	if (t->op == SL_QOP_RANGE) {
		if (strcmp(t->text, "*") != 0 && level_value(p, t->text, t->value_column, &lo) < 0)
			return -1;
		if (strcmp(t->text_hi, "*") != 0 &&
		    level_value(p, t->text_hi, t->hi_column, &hi) < 0)
			return -1;
		if (t->lo_open && strcmp(t->text, "*") != 0)
			lo++;
		if (t->hi_open && strcmp(t->text_hi, "*") != 0)
			hi--;
	} else {
		if (level_value(p, t->text, t->value_column, &v) < 0)
			return -1;
		if (t->op == SL_QOP_GT || t->op == SL_QOP_GE)
			lo = t->op == SL_QOP_GT ? v + 1 : v;
		else
			hi = t->op == SL_QOP_LT ? v - 1 : v;
	}
	n->op = SL_QOP_LEVELS;
	for (i = lo; i <= (int)hi; i++)
		n->levels |= 1u << i;
	return 0;
}

/* Normalises a level: value to its canonical name, so level:ERR and
 * level:error compile alike. Returns 0 or -1 with err set. */
static int make_level(struct parser *p, sl_qnode *n)
{
	struct token *t = &p->tok;
	sl_level level;

	if (t->op == SL_QOP_EXISTS) {
		n->op = SL_QOP_LEVELS;
		n->levels = (1u << SL_LEVEL_COUNT) - 1;
		return 0;
	}
	if (t->op != SL_QOP_EQ)
		return make_level_set(p, n);
	if (t->prefix) {
		sl_error_set(p->err, t->column, "column %d: 'level:' takes a level name, not a prefix",
			     t->column);
		return -1;
	}
	if (level_value(p, t->text, t->value_column, &level) < 0)
		return -1;
	n->text = sl_strdup(sl_level_name(level));
	return 0;
}

/* Reads a comparison value or range end as a number ('*' is unbounded
 * where allowed). Returns 0, or -1 with err naming the column and value. */
static int number_at(struct parser *p, const char *text, int column, int star_ok,
		     double *out, int *unbounded)
{
	if (star_ok && strcmp(text, "*") == 0) {
		*unbounded = 1;
		return 0;
	}
	if (sl_query_number(text, out))
		return 0;
	sl_error_set(p->err, column, "column %d: expected a number%s after '%s:', not '%.*s'",
		     column, star_ok ? " or '*'" : "", p->tok.field, ECHO_MAX, text);
	return -1;
}

/* Fills the numbers of a comparison or range on an extra field. Built-in
 * text fields have no numeric form, so comparing them is an error. */
static int make_numeric(struct parser *p, sl_qnode *n)
{
	struct token *t = &p->tok;
	int unused = 0;

	if (strcmp(n->field, "service") == 0 || strcmp(n->field, "host") == 0 ||
	    strcmp(n->field, "message") == 0) {
		sl_error_set(p->err, t->value_column, "column %d: '%s:' is text and cannot be "
			     "compared as a number", t->value_column, n->field);
		return -1;
	}
	if (t->op != SL_QOP_RANGE)
		return number_at(p, t->text, t->value_column, 0, &n->num, &unused);
	n->lo_open = t->lo_open;
	n->hi_open = t->hi_open;
	if (number_at(p, t->text, t->value_column, 1, &n->num, &n->lo_unbounded) < 0)
		return -1;
	return number_at(p, t->text_hi, t->hi_column, 1, &n->num_hi, &n->hi_unbounded);
}

/* Builds a node from a field token. The known names level, service, host,
 * message, since and until match in any case and are stored in lower case.
 * Other names stay as typed, because JSON keys are case-sensitive. */
static sl_qnode *make_field(struct parser *p)
{
	static const char *const known[] = {"level", "service", "host", "message"};
	struct token *t = &p->tok;
	sl_qnode *n = node_new(SL_Q_FIELD, t->column);
	size_t i;
	int rc = 0;

	if (strcasecmp(t->field, "since") == 0 || strcasecmp(t->field, "until") == 0) {
		rc = make_time(p, n);
		goto done;
	}
	n->field = sl_strdup(t->field);
	n->prefix = t->prefix;
	n->op = t->op;
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcasecmp(n->field, known[i]) == 0)
			strcpy(n->field, known[i]);
	}
	if (strcmp(n->field, "level") == 0) {
		rc = make_level(p, n);
	} else if (n->op == SL_QOP_EXISTS && strcmp(n->field, "message") == 0) {
		/* OpenSearch cannot tell an empty message from a missing one */
		sl_error_set(p->err, t->column, "column %d: 'message:*' is not supported: every "
			     "event has a message field; search for words instead", t->column);
		rc = -1;
	} else if (n->op != SL_QOP_EQ && n->op != SL_QOP_EXISTS) {
		rc = make_numeric(p, n);
	} else {
		n->text = t->text;
		t->text = NULL;
	}
done:
	if (rc < 0) {
		node_free(n);
		return NULL;
	}
	return advance_past(p, n);
}

static sl_qnode *parse_or(struct parser *p);

static sl_qnode *expected_term(struct parser *p)
{
	const struct token *t = &p->tok;
	int col = t->column;

	if (t->kind == TOK_RPAREN && !p->prev_op)
		sl_error_set(p->err, col, "column %d: unbalanced parenthesis: ')' has no matching '('",
			     col);
	else if (p->prev_op)
		sl_error_set(p->err, col, "column %d: expected a term after '%s'", col, p->prev_op);
	else
		sl_error_set(p->err, col, "column %d: expected a term before '%s'", col,
			     token_desc(t));
	return NULL;
}

static sl_qnode *parse_primary(struct parser *p)
{
	struct token *t = &p->tok;
	sl_qnode *n;
	int open_col;

	switch (t->kind) {
	case TOK_LPAREN:
		open_col = t->column;
		if (take_operator(p) < 0)
			return NULL;
		n = parse_or(p);
		if (!n)
			return NULL;
		if (t->kind != TOK_RPAREN) {
			node_free(n);
			sl_error_set(p->err, open_col,
				     "column %d: unbalanced parenthesis: '(' is never closed", open_col);
			return NULL;
		}
		p->prev_op = NULL;
		return advance_past(p, n);
	case TOK_WORD:
		if (t->prefix && t->text[0] == '\0') {
			/* A bare '*' matches every event, as in Lucene */
			n = node_new(SL_Q_ALL, t->column);
			p->prev_op = NULL;
			return advance_past(p, n);
		}
		/* fall through */
	case TOK_PHRASE:
		n = node_new(SL_Q_TEXT, t->column);
		n->text = t->text;
		t->text = NULL;
		n->phrase = t->kind == TOK_PHRASE;
		n->prefix = t->prefix;
		p->prev_op = NULL;
		return advance_past(p, n);
	case TOK_FIELD:
		p->prev_op = NULL;
		return make_field(p);
	default:
		return expected_term(p);
	}
}

static sl_qnode *parse_unary(struct parser *p)
{
	sl_qnode *n = NULL, *operand;
	int column = p->tok.column;

	if (++p->depth > QUERY_MAX_DEPTH) {
		sl_error_set(p->err, column, "column %d: query is nested deeper than %d levels",
			     column, QUERY_MAX_DEPTH);
		goto out;
	}
	if (p->tok.kind != TOK_NOT && p->tok.kind != TOK_MINUS) {
		n = parse_primary(p);
		goto out;
	}
	if (take_operator(p) < 0)
		goto out;
	operand = parse_unary(p);
	if (operand) {
		n = node_new(SL_Q_NOT, column);
		n->left = operand;
	}
out:
	p->depth--;
	return n;
}

static sl_qnode *parse_and(struct parser *p)
{
	sl_qnode *left = parse_unary(p), *right;

	while (left) {
		if (p->tok.kind == TOK_AND) {
			if (take_operator(p) < 0)
				goto fail;
		} else if (!starts_term(p->tok.kind)) {
			break;
		}
		right = parse_unary(p);
		if (!right)
			goto fail;
		left = node_binary(SL_Q_AND, left, right);
	}
	return left;
fail:
	node_free(left);
	return NULL;
}

static sl_qnode *parse_or(struct parser *p)
{
	sl_qnode *left = parse_and(p), *right;

	while (left && p->tok.kind == TOK_OR) {
		if (take_operator(p) < 0)
			goto fail;
		right = parse_and(p);
		if (!right)
			goto fail;
		left = node_binary(SL_Q_OR, left, right);
	}
	return left;
fail:
	node_free(left);
	return NULL;
}

static int is_blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Returns the offset of the first '|' outside a quoted phrase, or -1. The
 * scan skips phrases the way lex_phrase reads them. */
static long pipe_offset(const char *s)
{
	size_t i;
	int quoted = 0;

	for (i = 0; s[i]; i++) {
		if (quoted && s[i] == '\\' && (s[i + 1] == '"' || s[i + 1] == '\\'))
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '|')
			return (long)i;
	}
	return -1;
}

int sl_query_has_pipe(const char *text)
{
	return text && pipe_offset(text) >= 0;
}

int sl_query_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	double v;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return 0;
	/* strtod also reads hex, inf and nan, which are not numbers here */
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != 'e' && *p != 'E' &&
		    *p != '+' && *p != '-')
			return 0;
	}
	v = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

/* Parses the query part (before any '|') into a tree. Returns it, or NULL
 * with err set. */
static sl_qnode *parse_tree(const char *text, int64_t now_ms, sl_error *err)
{
	struct parser p = {0};
	sl_qnode *root = NULL;

	if (is_blank(text))
		return node_new(SL_Q_ALL, 1);
	p.src = text;
	p.now_ms = now_ms;
	p.err = err;
	if (next_token(&p) < 0)
		goto done;
	root = parse_or(&p);
	if (root && p.tok.kind != TOK_EOF) {
		/* parse_and consumes every term, so only a stray ')' stops it here */
		sl_error_set(err, p.tok.column,
			     "column %d: unbalanced parenthesis: ')' has no matching '('",
			     p.tok.column);
		node_free(root);
		root = NULL;
	}
done:
	token_clear(&p.tok);
	return root;
}

sl_query *sl_query_parse(const char *text, int64_t now_ms, sl_error *err)
{
	sl_query *q = NULL;
	sl_qnode *root = NULL;
	sl_agg_req agg;
	char *head;
	long pipe;
	size_t len;

	if (!text)
		text = "";
	len = strlen(text);
	if (len > QUERY_MAX_BYTES) {
		sl_error_set(err, QUERY_MAX_BYTES + 1,
			     "column %d: query is too long (%zu bytes; the maximum is %d)",
			     QUERY_MAX_BYTES + 1, len, QUERY_MAX_BYTES);
		return NULL;
	}

	memset(&agg, 0, sizeof agg);
	pipe = pipe_offset(text);
	head = sl_strndup(text, pipe >= 0 ? (size_t)pipe : len);
	root = parse_tree(head, now_ms, err);
	free(head);
	if (root && pipe >= 0 && sl_agg_parse(text + pipe + 1, (int)pipe + 2, &agg, err) < 0) {
		node_free(root);
		root = NULL;
	}
	if (root) {
		q = sl_calloc(1, sizeof *q);
		q->root = root;
		q->agg = agg;
		q->agg_column = pipe >= 0 ? (int)pipe + 1 : 0;
		if (err) {
			err->message[0] = '\0';
			err->column = 0;
		}
	}
	return q;
}

void sl_query_free(sl_query *q)
{
	if (!q)
		return;
	node_free(q->root);
	free(q);
}
