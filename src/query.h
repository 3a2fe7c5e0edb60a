/* query.h: the query language, parsed into a tree and compiled to SQL for
 * the SQLite store. Syntax: bare words and "phrases" are full-text terms
 * joined by AND; level:, service:, host: and other field:value terms
 * (value* for a prefix, * alone for "the field is present"); numeric
 * comparisons field:>N, >=, <, <= and ranges field:[A TO B] (inclusive) or
 * field:{A TO B} (exclusive); AND, OR, NOT and a leading '-'; parentheses;
 * since: and until: with a duration or an RFC 3339 time. NOT binds tighter
 * than AND, AND tighter than OR. An optional "| count", "| count by F",
 * "| top N F" or "| timechart SPAN [by F]" after the query requests an
 * aggregation (sl_agg_req in store.h) instead of hits. */
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

/* How an SL_Q_FIELD node compares the field with its value. */
typedef enum sl_qop {
	SL_QOP_EQ,     /* equal ignoring ASCII case, or a prefix when prefix is set */
	SL_QOP_GT,     /* numeric: value > num */
	SL_QOP_GE,
	SL_QOP_LT,
	SL_QOP_LE,
	SL_QOP_RANGE,  /* numeric: between num and num_hi, see lo_open/hi_open */
	SL_QOP_EXISTS, /* field:* : the field is present (built-ins: not empty) */
	SL_QOP_LEVELS  /* level comparison or range: level is in the set `levels` */
} sl_qop;

typedef struct sl_qnode {
	sl_qkind kind;
	sl_qop op;         /* SL_Q_FIELD only */
	double num;        /* comparison value, or low end of a range */
	double num_hi;     /* high end of a range */
	int lo_open;       /* SL_QOP_RANGE: 1 when the low end is excluded ('{') */
	int hi_open;
	int lo_unbounded;  /* SL_QOP_RANGE: '*' as the low end */
	int hi_unbounded;
	unsigned levels;   /* SL_QOP_LEVELS: bit (1 << sl_level) per matching level */
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
	sl_agg_req agg; /* kind SL_AGG_NONE without a '|' */
	int agg_column; /* 1-based column of the '|', 0 without one */
} sl_query;

/* Parses a whole string as a decimal number: optional sign, digits with an
 * optional fraction, optional exponent; no spaces, hex, inf or nan, and the
 * result must be finite. Both stores use this rule to decide which field
 * values compare as numbers. Returns 1 with *out set, or 0. */
int sl_query_number(const char *s, double *out);

/* Returns 1 when text has a '|' outside quoted phrases, which makes it an
 * aggregation for sl_store_ops.aggregate rather than a search. */
int sl_query_has_pipe(const char *text);

/* Parses the text after a '|' (its first byte at 1-based column) into out.
 * Returns 0, or -1 with err naming the column and what was expected. */
int sl_agg_parse(const char *text, int column, sl_agg_req *out, sl_error *err);

/* Appends row i as one JSON object: "time" (RFC 3339, timechart only),
 * "key" (with a field only) and "count". */
void sl_agg_row_json(const sl_agg_res *res, size_t i, sl_buf *out);

/* Appends the /search response for an aggregation: {"total", "took_ms",
 * "aggregation": {"kind", "field", ["n"|"span_ms"], "rows": [...]}}. */
void sl_agg_res_json(const sl_agg_res *res, sl_buf *out);

/* Names an aggregation kind as in the query and the HTTP API: "count",
 * "count_by", "top" or "timechart"; "" for SL_AGG_NONE. */
const char *sl_agg_kind_name(sl_agg_kind kind);

/* Whether c may start, or appear in, a field name: letters, digits, '_',
 * '@', '.', '-' and '/' (digits, '.', '-' and '/' not first). */
int sl_query_name_start(char c);
int sl_query_name_char(char c);

/* Parses text; relative times are taken back from now_ms. Returns a query
 * (free with sl_query_free) or NULL with err->message and err->column set. */
sl_query *sl_query_parse(const char *text, int64_t now_ms, sl_error *err);
void sl_query_free(sl_query *q);

/* A value bound to a '?' placeholder, in order. */
typedef struct sl_sql_param {
	int is_int;
	int is_real;
	int64_t i;
	double d;
	char *s;
} sl_sql_param;

typedef struct sl_sql {
	sl_buf where; /* SQL boolean expression over table `events` */
	sl_sql_param *params;
	size_t nparams;
	size_t cap;
	/* sl_query_to_sql_indexed only: the FTS5 query that every match must
	 * satisfy (the top-level full-text terms joined by AND), "" when the
	 * query has none. It is not among params. */
	sl_buf match;
	/* sl_query_to_sql_indexed only: the events.seq range that the top-level
	 * since:/until: terms allow, and 1 in field_only when where is a
	 * single "seq IN (SELECT seq FROM event_fields ...)" test, in
	 * field_num too when that test compares the number. */
	int64_t seq_lo, seq_hi;
	int field_only;
	int field_num;
	/* sl_query_to_sql_indexed only: 1 when match is empty and where tests
	 * nothing but level, service and host, with no empty name compared,
	 * so its matches are whole (level, service, host) groups. */
	int groups_only;
	int indexed;
} sl_sql;

/* The SQL function the SQLite store registers on each connection:
 * sl_number(text) is the value as a REAL when sl_query_number accepts it,
 * else NULL. */
#define SL_SQL_NUMBER_FN "sl_number"

/* Compiles q to a WHERE expression with '?' placeholders only: user text is
 * never part of the SQL text. Returns 0, or -1 with err set. */
int sl_query_to_sql(const sl_query *q, sl_sql *out, sl_error *err);
/* Compiles q like sl_query_to_sql, for the SQLite store's indexes: the
 * top-level full-text terms go to out->match, extra fields are looked up in
 * the event_fields table, and since:/until: compare events.seq, whose order
 * is the time order (see sl_sql_time_key). */
int sl_query_to_sql_indexed(const sl_query *q, sl_sql *out, sl_error *err);
void sl_sql_free(sl_sql *sql);

/* Bits of events.seq below the timestamp: seq is ts_ms * 2^SL_SQL_KEY_BITS
 * plus the arrival rank among events with that timestamp, so ordering by seq
 * orders by time, then by arrival. */
#define SL_SQL_KEY_BITS 20
/* Timestamps with an exact key; those outside are clamped to the nearest
 * end, and searches check the ts column for them. */
#define SL_SQL_KEY_TS_MAX ((INT64_C(1) << (62 - SL_SQL_KEY_BITS)) - 1)
#define SL_SQL_KEY_TS_MIN (-SL_SQL_KEY_TS_MAX - 1)

/* Returns the smallest seq for ts_ms, or the largest when last is set. */
int64_t sl_sql_time_key(int64_t ts_ms, int last);

#endif
