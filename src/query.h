/* query.h: the query language, parsed into a tree and compiled to SQL for
 * the SQLite store. Syntax: bare words and "phrases" are full-text terms
 * joined by AND; level:, service:, host: and other field:value terms
 * (value* for a prefix); AND, OR, NOT and a leading '-'; parentheses;
 * since:DURATION and until:DURATION. NOT binds tighter than AND, AND
 * tighter than OR. */
#ifndef SL_QUERY_H
#define SL_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

typedef enum sl_qkind {
	SL_Q_ALL,   /* matches every event (empty query) */
	SL_Q_TEXT,  /* full-text word or phrase */
	SL_Q_FIELD, /* field:value */
	SL_Q_TIME,  /* since: / until: */
	SL_Q_AND,
	SL_Q_OR,
	SL_Q_NOT
} sl_qkind;

typedef struct sl_qnode {
	sl_qkind kind;
	char *field;       /* SL_Q_FIELD: field name; built-in names are lower-cased */
	char *text;        /* SL_Q_TEXT and SL_Q_FIELD: the value, unescaped */
	int phrase;        /* SL_Q_TEXT: quoted phrase */
	int prefix;        /* value ended with '*' */
	int since;         /* SL_Q_TIME: 1 for since:, 0 for until: */
	int64_t time_ms;   /* SL_Q_TIME: absolute UTC ms */
	int column;        /* 1-based column of the term, for messages */
	struct sl_qnode *left;
	struct sl_qnode *right; /* unused for NOT */
} sl_qnode;

typedef struct sl_query {
	sl_qnode *root;
} sl_query;

/* Parses text; relative times are taken back from now_ms. Returns a query
 * (free with sl_query_free) or NULL with err->message and err->column set. */
sl_query *sl_query_parse(const char *text, int64_t now_ms, sl_error *err);
void sl_query_free(sl_query *q);

/* A value bound to a '?' placeholder, in order. */
typedef struct sl_sql_param {
	int is_int;
	int64_t i;
	char *s;
} sl_sql_param;

typedef struct sl_sql {
	sl_buf where; /* SQL boolean expression over table `events` */
	sl_sql_param *params;
	size_t nparams;
	size_t cap;
} sl_sql;

/* Compiles q to a WHERE expression with '?' placeholders only: user text is
 * never part of the SQL text. Returns 0, or -1 with err set. */
int sl_query_to_sql(const sl_query *q, sl_sql *out, sl_error *err);
void sl_sql_free(sl_sql *sql);

#endif
