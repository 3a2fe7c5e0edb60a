/* query_sql.c: compiles a parsed query to a WHERE expression over the
 * SQLite store's `events` table. Every piece of user text becomes a bound
 * parameter, so quotes, semicolons and FTS5 operators in a query are
 * matched literally.
 *
 * The indexed form, which the store runs, differs in three ways. The
 * full-text terms that every match must contain become one FTS5 query that
 * the store walks in rowid order. Extra fields are found through indexes.
 * Time bounds compare events.seq, which sorts by time. An extra field's
 * presence and numeric value are in the event_fields table. Its text value
 * is matched in the FTS5 `extra` column first, which contains every field
 * value, and then compared exactly in the row. */
#define _POSIX_C_SOURCE 200809L

#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"

/* Full-text terms select rows of the FTS5 index, whose rowid is events.seq. */
#define SQL_FTS_MATCH "seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"
/* Extra-field presence and numbers in the indexed form; the caller appends
 * the value test and the closing parenthesis. */
#define SQL_FIELD_IN "seq IN (SELECT seq FROM event_fields WHERE key = ?"

int64_t sl_sql_time_key(int64_t ts_ms, int last)
{
	const int64_t step = INT64_C(1) << SL_SQL_KEY_BITS;

	if (ts_ms < SL_SQL_KEY_TS_MIN)
		ts_ms = SL_SQL_KEY_TS_MIN;
	if (ts_ms > SL_SQL_KEY_TS_MAX)
		ts_ms = SL_SQL_KEY_TS_MAX;
	return ts_ms * step + (last ? step - 1 : 0);
}

static sl_sql_param *param_add(sl_sql *sql)
{
	sl_sql_param *p;

	if (sql->nparams == sql->cap) {
		sql->cap = sql->cap ? sql->cap * 2 : 8;
		sql->params = sl_realloc(sql->params, sql->cap * sizeof *sql->params);
	}
	p = &sql->params[sql->nparams++];
	memset(p, 0, sizeof *p);
	return p;
}

static void param_int(sl_sql *sql, int64_t v)
{
	sl_sql_param *p = param_add(sql);

	p->is_int = 1;
	p->i = v;
}

static void param_real(sl_sql *sql, double v)
{
	sl_sql_param *p = param_add(sql);

	p->is_real = 1;
	p->d = v;
}

/* Binds s; the sql takes ownership. */
static void param_str(sl_sql *sql, char *s)
{
	param_add(sql)->s = s;
}

/* Builds an FTS5 string literal: the text in double quotes with inner
 * quotes doubled, so FTS5 reads it as one phrase and never as syntax such
 * as NEAR(), column filters or AND. A prefix adds '*' after the quote. */
static char *fts_literal(const char *column, const char *text, int prefix)
{
	sl_buf b;
	const char *s;

	sl_buf_init(&b);
	if (column) {
		sl_buf_puts(&b, column);
		sl_buf_puts(&b, " : ");
	}
	sl_buf_putc(&b, '"');
	for (s = text; *s; s++) {
		if (*s == '"')
			sl_buf_putc(&b, '"');
		sl_buf_putc(&b, *s);
	}
	sl_buf_putc(&b, '"');
	if (prefix)
		sl_buf_putc(&b, '*');
	return sl_buf_steal(&b);
}

/* Builds a LIKE pattern matching values that start with text, with '%',
 * '_' and '\' escaped by '\'. */
static char *like_prefix(const char *text)
{
	sl_buf b;
	const char *s;

	sl_buf_init(&b);
	for (s = text; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			sl_buf_putc(&b, '\\');
		sl_buf_putc(&b, *s);
	}
	sl_buf_putc(&b, '%');
	return sl_buf_steal(&b);
}

/* Compares a column (or expression) with the value: equality ignoring
 * ASCII case, or a LIKE prefix match, which also ignores ASCII case. */
static void compile_compare(sl_sql *sql, const char *expr, const sl_qnode *n)
{
	sl_buf_puts(&sql->where, expr);
	if (n->prefix) {
		sl_buf_puts(&sql->where, " LIKE ? ESCAPE '\\'");
		param_str(sql, like_prefix(n->text));
	} else {
		sl_buf_puts(&sql->where, " = ? COLLATE NOCASE");
		param_str(sql, sl_strdup(n->text));
	}
}

/* Binds the JSON path of an extra field. The parser admits no '"' in a
 * name, so quoting it keeps any dots in the name literal. */
static void param_path(sl_sql *sql, const char *field)
{
	sl_buf path;

	sl_buf_init(&path);
	sl_buf_printf(&path, "$.\"%s\"", field);
	param_str(sql, sl_buf_steal(&path));
}

static void extract_field(sl_sql *sql, const char *field)
{
	sl_buf_puts(&sql->where, "json_extract(fields, ?)");
	param_path(sql, field);
}

/* Opens "seq IN (SELECT seq FROM event_fields WHERE key = ?" for field. */
static void field_in(sl_sql *sql, const char *field)
{
	sl_buf_puts(&sql->where, SQL_FIELD_IN);
	param_str(sql, sl_strdup(field));
}

static void compile_levels(sl_sql *sql, unsigned levels)
{
	int i, first = 1;

	if (!levels) {
		sl_buf_puts(&sql->where, "0");
		return;
	}
	sl_buf_puts(&sql->where, "level IN (");
	for (i = 0; i < SL_LEVEL_COUNT; i++) {
		if (!(levels & 1u << i))
			continue;
		sl_buf_puts(&sql->where, first ? "?" : ", ?");
		param_int(sql, i);
		first = 0;
	}
	sl_buf_putc(&sql->where, ')');
}

/* Appends "sl_number(json_extract(fields, ?)) OP ?" for one bound. */
static void numeric_bound(sl_sql *sql, const char *field, const char *op, double v)
{
	sl_buf_puts(&sql->where, SL_SQL_NUMBER_FN "(");
	extract_field(sql, field);
	sl_buf_printf(&sql->where, ") %s ?", op);
	param_real(sql, v);
}

/* The indexed form of compile_numeric: event_fields.num is the
 * sl_query_number form of each value, NULL for values that are not numbers. */
static void compile_numeric_indexed(sl_sql *sql, const sl_qnode *n, const char *const *ops)
{
	field_in(sql, n->field);
	if (n->op != SL_QOP_RANGE) {
		sl_buf_printf(&sql->where, " AND num %s ?)", ops[n->op]);
		param_real(sql, n->num);
		return;
	}
	sl_buf_puts(&sql->where, " AND num IS NOT NULL");
	if (!n->lo_unbounded) {
		sl_buf_printf(&sql->where, " AND num %s ?", n->lo_open ? ">" : ">=");
		param_real(sql, n->num);
	}
	if (!n->hi_unbounded) {
		sl_buf_printf(&sql->where, " AND num %s ?", n->hi_open ? "<" : "<=");
		param_real(sql, n->num_hi);
	}
	sl_buf_putc(&sql->where, ')');
}

/* A comparison or range on the numeric form of an extra field. Values that
 * are not numbers are NULL there, so they never match. */
static void compile_numeric(sl_sql *sql, const sl_qnode *n)
{
	static const char *const ops[] = {
		[SL_QOP_GT] = ">", [SL_QOP_GE] = ">=", [SL_QOP_LT] = "<", [SL_QOP_LE] = "<=",
	};

	if (sql->indexed) {
		compile_numeric_indexed(sql, n, ops);
		return;
	}
	if (n->op != SL_QOP_RANGE) {
		numeric_bound(sql, n->field, ops[n->op], n->num);
		return;
	}
	sl_buf_putc(&sql->where, '(');
	sl_buf_puts(&sql->where, SL_SQL_NUMBER_FN "(");
	extract_field(sql, n->field);
	sl_buf_puts(&sql->where, ") IS NOT NULL");
	if (!n->lo_unbounded) {
		sl_buf_puts(&sql->where, " AND ");
		numeric_bound(sql, n->field, n->lo_open ? ">" : ">=", n->num);
	}
	if (!n->hi_unbounded) {
		sl_buf_puts(&sql->where, " AND ");
		numeric_bound(sql, n->field, n->hi_open ? "<" : "<=", n->num_hi);
	}
	sl_buf_putc(&sql->where, ')');
}

/* field:* on a built-in field means "not empty", because every event has
 * those columns; on an extra field it means the key is present. */
static void compile_exists(sl_sql *sql, const sl_qnode *n)
{
	if (strcmp(n->field, "service") == 0 || strcmp(n->field, "host") == 0 ||
	    strcmp(n->field, "message") == 0) {
		sl_buf_printf(&sql->where, "coalesce(events.%s, '') <> ''", n->field);
		return;
	}
	if (sql->indexed) {
		field_in(sql, n->field);
		sl_buf_putc(&sql->where, ')');
		return;
	}
	sl_buf_puts(&sql->where, "json_type(fields, ?) IS NOT NULL");
	param_path(sql, n->field);
}

/* Returns the FTS5 query that every event whose extra field n->field
 * equals (or starts with) n->text matches in the `extra` column, or NULL
 * when the text has no ASCII letter or digit. The tokenizer folds case and
 * diacritics, so the query matches a superset of the events, and without a
 * letter or digit it would have no token at all. */
static char *field_prefilter(const sl_qnode *n)
{
	const char *s;

	for (s = n->text; *s; s++) {
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			return fts_literal("extra", n->text, n->prefix);
	}
	return NULL;
}

static int compile_field(sl_sql *sql, const sl_qnode *n, sl_error *err)
{
	char *prefilter;
	sl_level level;

	if (n->op == SL_QOP_LEVELS) {
		compile_levels(sql, n->levels);
	} else if (n->op == SL_QOP_EXISTS) {
		compile_exists(sql, n);
	} else if (n->op != SL_QOP_EQ) {
		compile_numeric(sql, n);
	} else if (strcmp(n->field, "level") == 0) {
		level = sl_level_parse(n->text, strlen(n->text));
		if (level == SL_LEVEL_UNKNOWN && strcmp(n->text, "unknown") != 0) {
			sl_error_set(err, n->column, "column %d: unknown level '%s'", n->column,
				     n->text);
			return -1;
		}
		sl_buf_puts(&sql->where, "level = ?");
		param_int(sql, level);
	} else if (strcmp(n->field, "service") == 0 || strcmp(n->field, "host") == 0) {
		compile_compare(sql, n->field, n);
	} else if (strcmp(n->field, "message") == 0) {
		sl_buf_puts(&sql->where, SQL_FTS_MATCH);
		param_str(sql, fts_literal("message", n->text, n->prefix));
	} else if (sql->indexed && (prefilter = field_prefilter(n))) {
		/* the FTS5 test only narrows the rows, json_extract decides */
		sl_buf_puts(&sql->where, "(" SQL_FTS_MATCH " AND ");
		param_str(sql, prefilter);
		extract_field(sql, n->field);
		compile_compare(sql, "", n);
		sl_buf_putc(&sql->where, ')');
	} else {
		extract_field(sql, n->field);
		compile_compare(sql, "", n);
	}
	return 0;
}

/* since:/until: in the indexed form compare the time-ordered seq, so the
 * primary key serves them. A bound outside the exact key range falls back
 * to the ts column. */
static void compile_time(sl_sql *sql, const sl_qnode *n)
{
	if (sql->indexed && n->time_ms > SL_SQL_KEY_TS_MIN && n->time_ms < SL_SQL_KEY_TS_MAX) {
		sl_buf_puts(&sql->where, n->since ? "seq >= ?" : "seq <= ?");
		param_int(sql, sl_sql_time_key(n->time_ms, !n->since));
		return;
	}
	sl_buf_puts(&sql->where, n->since ? "ts >= ?" : "ts <= ?");
	param_int(sql, n->time_ms);
}

static int compile_node(sl_sql *sql, const sl_qnode *n, sl_error *err)
{
	int rc = 0;

	switch (n->kind) {
	case SL_Q_ALL:
		sl_buf_puts(&sql->where, "1");
		break;
	case SL_Q_TEXT:
		sl_buf_puts(&sql->where, SQL_FTS_MATCH);
		param_str(sql, fts_literal(NULL, n->text, n->prefix));
		break;
	case SL_Q_FIELD:
		rc = compile_field(sql, n, err);
		break;
	case SL_Q_TIME:
		compile_time(sql, n);
		break;
	case SL_Q_AND:
	case SL_Q_OR:
		sl_buf_putc(&sql->where, '(');
		rc = compile_node(sql, n->left, err);
		sl_buf_puts(&sql->where, n->kind == SL_Q_AND ? " AND " : " OR ");
		if (rc == 0)
			rc = compile_node(sql, n->right, err);
		sl_buf_putc(&sql->where, ')');
		break;
	case SL_Q_NOT:
		/* A missing field compares as NULL, and NOT NULL is NULL, so
		 * the event would be dropped. "IS NOT 1" is true for 0 and
		 * NULL, so -env:prod keeps events that have no env field at
		 * all. Every node compiles to 0, 1 or NULL, and this form
		 * nests in fewer of SQLite's parser stack slots than a call. */
		sl_buf_putc(&sql->where, '(');
		rc = compile_node(sql, n->left, err);
		sl_buf_puts(&sql->where, ") IS NOT 1");
		break;
	default:
		sl_error_set(err, n->column, "column %d: invalid query node", n->column);
		rc = -1;
		break;
	}
	return rc;
}

int sl_query_to_sql(const sl_query *q, sl_sql *out, sl_error *err)
{
	memset(out, 0, sizeof *out);
	sl_buf_init(&out->where);
	sl_buf_init(&out->match);
	if (!q || !q->root) {
		sl_error_set(err, 0, "empty query tree");
		return -1;
	}
	if (compile_node(out, q->root, err) < 0) {
		sl_sql_free(out);
		return -1;
	}
	return 0;
}

/* Returns 1 for a node that is a full-text term of its own: a word, a
 * phrase or message:value. */
static int is_fts_term(const sl_qnode *n)
{
	return n->kind == SL_Q_TEXT || (n->kind == SL_Q_FIELD && n->op == SL_QOP_EQ &&
					strcmp(n->field, "message") == 0);
}

/* Returns 1 for an extra-field term. */
static int is_extra_field(const sl_qnode *n)
{
	static const char *const builtins[] = {"level", "service", "host", "message"};
	size_t i;

	if (n->kind != SL_Q_FIELD || n->op == SL_QOP_LEVELS)
		return 0;
	for (i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		if (strcmp(n->field, builtins[i]) == 0)
			return 0;
	}
	return 1;
}

/* Narrows sql's seq range to a since:/until: bound with an exact key.
 * Returns 0 for a bound outside the exact range, which stays in where. */
static int narrow_seq_range(sl_sql *sql, const sl_qnode *n)
{
	int64_t key;

	if (n->time_ms <= SL_SQL_KEY_TS_MIN || n->time_ms >= SL_SQL_KEY_TS_MAX)
		return 0;
	key = sl_sql_time_key(n->time_ms, !n->since);
	if (n->since && key > sql->seq_lo)
		sql->seq_lo = key;
	if (!n->since && key < sql->seq_hi)
		sql->seq_hi = key;
	return 1;
}

/* Returns 1 when n tests only level, service and host, and compares no
 * name with "". The store keeps "" for a missing service or host in its
 * groups, where events keep NULL, so only such a test matches a group
 * exactly when it matches each of the group's events. */
static int is_group_test(const sl_qnode *n)
{
	switch (n->kind) {
	case SL_Q_ALL:
		return 1;
	case SL_Q_AND:
	case SL_Q_OR:
		return is_group_test(n->left) && is_group_test(n->right);
	case SL_Q_NOT:
		return is_group_test(n->left);
	case SL_Q_FIELD:
		if (strcmp(n->field, "level") == 0)
			return n->op == SL_QOP_EQ || n->op == SL_QOP_LEVELS;
		if (strcmp(n->field, "service") != 0 && strcmp(n->field, "host") != 0)
			return 0;
		return n->op == SL_QOP_EXISTS || (n->op == SL_QOP_EQ && n->text[0]);
	default:
		return 0;
	}
}

/* Moves the full-text terms of the top-level AND chain under n into
 * sql->match and its time bounds into the seq range, and compiles the
 * other conjuncts into sql->where, joined by AND. *nwhere counts the
 * conjuncts written to where. */
static int split_conjuncts(sl_sql *sql, const sl_qnode *n, int *nwhere, sl_error *err)
{
	char *literal = NULL;
	int prefiltered;

	if (n->kind == SL_Q_AND) {
		if (split_conjuncts(sql, n->left, nwhere, err) < 0)
			return -1;
		return split_conjuncts(sql, n->right, nwhere, err);
	}
	if (is_fts_term(n))
		literal = fts_literal(n->kind == SL_Q_TEXT ? NULL : "message", n->text, n->prefix);
	else if (is_extra_field(n) && n->op == SL_QOP_EQ)
		literal = field_prefilter(n);
	prefiltered = literal != NULL;
	if (prefiltered) {
		if (sql->match.len)
			sl_buf_puts(&sql->match, " AND ");
		sl_buf_puts(&sql->match, literal);
		free(literal);
		if (is_fts_term(n))
			return 0;
	}
	if (n->kind == SL_Q_TIME && narrow_seq_range(sql, n))
		return 0;
	if (prefiltered || !is_group_test(n))
		sql->groups_only = 0;
	sql->field_only = *nwhere == 0 && is_extra_field(n) && n->op != SL_QOP_EQ;
	sql->field_num = sql->field_only && n->op != SL_QOP_EXISTS;
	if ((*nwhere)++)
		sl_buf_puts(&sql->where, " AND ");
	if (prefiltered) {
		/* the prefilter went to match: only the exact comparison stays */
		extract_field(sql, n->field);
		compile_compare(sql, "", n);
		return 0;
	}
	return compile_node(sql, n, err);
}

int sl_query_to_sql_indexed(const sl_query *q, sl_sql *out, sl_error *err)
{
	int nwhere = 0;

	memset(out, 0, sizeof *out);
	sl_buf_init(&out->where);
	sl_buf_init(&out->match);
	out->indexed = 1;
	out->seq_lo = INT64_MIN;
	out->seq_hi = INT64_MAX;
	out->groups_only = 1;
	if (!q || !q->root) {
		sl_error_set(err, 0, "empty query tree");
		return -1;
	}
	if (split_conjuncts(out, q->root, &nwhere, err) < 0) {
		sl_sql_free(out);
		return -1;
	}
	if (nwhere == 0)
		sl_buf_puts(&out->where, "1");
	if (nwhere != 1)
		out->field_only = out->field_num = 0;
	if (out->match.len)
		out->groups_only = 0;
	return 0;
}

void sl_sql_free(sl_sql *sql)
{
	size_t i;

	for (i = 0; i < sql->nparams; i++)
		free(sql->params[i].s);
	free(sql->params);
	sl_buf_free(&sql->where);
	sl_buf_free(&sql->match);
	memset(sql, 0, sizeof *sql);
	sl_buf_init(&sql->where);
	sl_buf_init(&sql->match);
}
