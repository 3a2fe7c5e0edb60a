/* query_sql.c: compiles a parsed query to a WHERE expression over the
 * SQLite store's `events` table. Every piece of user text becomes a bound
 * parameter, so quotes, semicolons and FTS5 operators in a query are
 * matched literally. */
#define _POSIX_C_SOURCE 200809L

#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"

/* Full-text terms select rows of the FTS5 index, whose rowid is events.seq. */
#define SQL_FTS_MATCH "seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"

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

/* A comparison or range on the numeric form of an extra field. Values that
 * are not numbers are NULL there, so they never match. */
static void compile_numeric(sl_sql *sql, const sl_qnode *n)
{
	static const char *const ops[] = {
		[SL_QOP_GT] = ">", [SL_QOP_GE] = ">=", [SL_QOP_LT] = "<", [SL_QOP_LE] = "<=",
	};

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
		sl_buf_printf(&sql->where, "coalesce(%s, '') <> ''", n->field);
		return;
	}
	sl_buf_puts(&sql->where, "json_type(fields, ?) IS NOT NULL");
	param_path(sql, n->field);
}

static int compile_field(sl_sql *sql, const sl_qnode *n, sl_error *err)
{
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
	} else {
		extract_field(sql, n->field);
		compile_compare(sql, "", n);
	}
	return 0;
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
		sl_buf_puts(&sql->where, n->since ? "ts >= ?" : "ts <= ?");
		param_int(sql, n->time_ms);
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
		 * the event would be dropped. With coalesce, -env:prod keeps
		 * events that have no env field at all. */
		sl_buf_puts(&sql->where, "NOT coalesce(");
		rc = compile_node(sql, n->left, err);
		sl_buf_puts(&sql->where, ", 0)");
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

void sl_sql_free(sl_sql *sql)
{
	size_t i;

	for (i = 0; i < sql->nparams; i++)
		free(sql->params[i].s);
	free(sql->params);
	sl_buf_free(&sql->where);
	memset(sql, 0, sizeof *sql);
	sl_buf_init(&sql->where);
}
