/* complete.c: field and value completion for the query bar. Recent names
 * and values live in small fixed tables; when a table is full, the entry
 * seen longest ago is replaced. */
#include "complete.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <readline/readline.h>

/* Extra field names remembered, values per field, and the longest value
 * offered (longer ones are rarely typed whole). */
#define FIELDS_MAX 64
#define VALUES_MAX 32
#define VALUE_BYTES_MAX 64
#define LISTING_MAX 2048

typedef struct recent_field {
	char *name;
	char *values[VALUES_MAX];
	uint64_t value_seen[VALUES_MAX];
	uint64_t seen;
} recent_field;

static const char *const builtin_fields[] = {"level", "service", "host", "message", "since",
					     "until"};
static const char *const level_values[] = {"trace", "debug", "info", "warn", "error", "fatal"};

static struct {
	recent_field fields[FIELDS_MAX];
	size_t nfields;
	uint64_t clock; /* counts notes, to find the entry seen longest ago */
	char **cands;   /* candidates of the completion in progress */
	size_t ncands, capcands;
	int paths;
	char listing[LISTING_MAX];
} cp;

static recent_field *find_field(const char *name)
{
	for (size_t i = 0; i < cp.nfields; i++)
		if (strcmp(cp.fields[i].name, name) == 0)
			return &cp.fields[i];
	return NULL;
}

/* Returns the entry for name, taking the slot seen longest ago when full. */
static recent_field *intern_field(const char *name)
{
	recent_field *f = find_field(name);
	size_t oldest = 0;

	if (f)
		return f;
	if (cp.nfields < FIELDS_MAX) {
		f = &cp.fields[cp.nfields++];
	} else {
		for (size_t i = 1; i < FIELDS_MAX; i++)
			if (cp.fields[i].seen < cp.fields[oldest].seen)
				oldest = i;
		f = &cp.fields[oldest];
		free(f->name);
		for (size_t i = 0; i < VALUES_MAX; i++)
			free(f->values[i]);
		memset(f, 0, sizeof *f);
	}
	f->name = sl_strdup(name);
	return f;
}

/* A value is offered only when it can be typed as one query word. */
static int completable_value(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > VALUE_BYTES_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c == 0x7f || strchr("\"():\\*|", c))
			return 0;
	}
	return 1;
}

static void note_value(const char *field, const char *value)
{
	recent_field *f;
	size_t slot = VALUES_MAX;

	if (!completable_value(value))
		return;
	f = intern_field(field);
	f->seen = ++cp.clock;
	for (size_t i = 0; i < VALUES_MAX; i++) {
		if (f->values[i] && strcmp(f->values[i], value) == 0) {
			f->value_seen[i] = cp.clock;
			return;
		}
		if (!f->values[i] && slot == VALUES_MAX)
			slot = i;
	}
	if (slot == VALUES_MAX) {
		slot = 0;
		for (size_t i = 1; i < VALUES_MAX; i++)
			if (f->value_seen[i] < f->value_seen[slot])
				slot = i;
	}
	free(f->values[slot]);
	f->values[slot] = sl_strdup(value);
	f->value_seen[slot] = cp.clock;
}

void tui_complete_note(const sl_event *ev)
{
	if (ev->service)
		note_value("service", ev->service);
	if (ev->host)
		note_value("host", ev->host);
	for (size_t i = 0; i < ev->nfields; i++) {
		if (strlen(ev->fields[i].key) > VALUE_BYTES_MAX)
			continue;
		if (completable_value(ev->fields[i].value))
			note_value(ev->fields[i].key, ev->fields[i].value);
		else
			intern_field(ev->fields[i].key)->seen = ++cp.clock;
	}
}

static void add_cand(const char *s)
{
	for (size_t i = 0; i < cp.ncands; i++)
		if (strcmp(cp.cands[i], s) == 0)
			return;
	if (cp.ncands == cp.capcands) {
		cp.capcands = cp.capcands ? cp.capcands * 2 : 32;
		cp.cands = sl_realloc(cp.cands, cp.capcands * sizeof *cp.cands);
	}
	cp.cands[cp.ncands++] = sl_strdup(s);
}

static void clear_cands(void)
{
	for (size_t i = 0; i < cp.ncands; i++)
		free(cp.cands[i]);
	cp.ncands = 0;
}

/* Adds "<lead>name<tail>" for every field name starting with prefix. The
 * time terms since and until are no fields to group by, so a bare name
 * (tail "") leaves them out. */
static void field_cands(const char *lead, const char *prefix, const char *tail)
{
	char buf[VALUE_BYTES_MAX * 2 + 8];
	size_t n = strlen(prefix);

	for (size_t i = 0; i < sizeof builtin_fields / sizeof builtin_fields[0]; i++) {
		if (!tail[0] && (strcmp(builtin_fields[i], "since") == 0 ||
				 strcmp(builtin_fields[i], "until") == 0))
			continue;
		if (strncasecmp(builtin_fields[i], prefix, n) == 0) {
			snprintf(buf, sizeof buf, "%s%s%s", lead, builtin_fields[i], tail);
			add_cand(buf);
		}
	}
	for (size_t i = 0; i < cp.nfields; i++) {
		if (strncmp(cp.fields[i].name, prefix, n) == 0) {
			snprintf(buf, sizeof buf, "%s%s%s", lead, cp.fields[i].name, tail);
			add_cand(buf);
		}
	}
}

/* Returns 1 when the word starting at byte start of line is the FIELD of
 * an aggregation: after "| count by", "| top N" or "| timechart SPAN by". */
static int after_agg_keyword(const char *line, int start)
{
	char words[4][16];
	int nwords = 0;
	const char *p = NULL;

	for (int i = start - 1; i >= 0; i--) {
		if (line[i] == '|') {
			p = line + i + 1;
			break;
		}
	}
	if (!p)
		return 0;
	while (p < line + start && nwords < 4) {
		size_t len;

		while (p < line + start && (*p == ' ' || *p == '\t'))
			p++;
		len = 0;
		while (p + len < line + start && p[len] != ' ' && p[len] != '\t')
			len++;
		if (len == 0)
			break;
		if (len >= sizeof words[0])
			return 0;
		snprintf(words[nwords++], sizeof words[0], "%.*s", (int)len, p);
		p += len;
	}
	if (p < line + start)
		return 0;
	if (nwords == 2 && strcasecmp(words[0], "count") == 0 && strcasecmp(words[1], "by") == 0)
		return 1;
	if (nwords == 2 && strcasecmp(words[0], "top") == 0 && strspn(words[1], "0123456789") ==
	    strlen(words[1]))
		return 1;
	return nwords == 3 && strcasecmp(words[0], "timechart") == 0 &&
	       strcasecmp(words[2], "by") == 0;
}

/* Adds "<lead>field:value" for every remembered value starting with
 * prefix; level values compare ignoring case, like the query does. */
static void value_cands(const char *lead, const char *field, const char *prefix)
{
	char buf[VALUE_BYTES_MAX * 3 + 8];
	size_t n = strlen(prefix);
	const recent_field *f;

	if (strcasecmp(field, "level") == 0) {
		for (size_t i = 0; i < sizeof level_values / sizeof level_values[0]; i++) {
			if (strncasecmp(level_values[i], prefix, n) == 0) {
				snprintf(buf, sizeof buf, "%s%s:%s", lead, field, level_values[i]);
				add_cand(buf);
			}
		}
		return;
	}
	/* Built-in names match in any case, extra field names exactly. */
	if (strcasecmp(field, "service") == 0)
		f = find_field("service");
	else if (strcasecmp(field, "host") == 0)
		f = find_field("host");
	else
		f = find_field(field);
	for (size_t i = 0; f && i < VALUES_MAX; i++) {
		if (f->values[i] && strncasecmp(f->values[i], prefix, n) == 0) {
			snprintf(buf, sizeof buf, "%s%s:%s", lead, field, f->values[i]);
			add_cand(buf);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *next_cand(const char *text, int state)
{
	static size_t next;

	(void)text;
	if (state == 0)
		next = 0;
	if (next >= cp.ncands)
		return NULL;
	return strdup(cp.cands[next++]);
}

/* Completes the word text: a field name, or after "field:" a value. A
 * leading '-' (negation) is kept. The field of an aggregation completes
 * as a bare name followed by a space. */
static char **attempt(const char *text, int start, int end)
{
	char field[VALUE_BYTES_MAX + 1];
	const char *word = text, *colon;
	char lead[2] = "";

	(void)end;
	if (cp.paths)
		return NULL;
	rl_attempted_completion_over = 1;
	clear_cands();
	if (after_agg_keyword(rl_line_buffer, start)) {
		field_cands("", word, "");
		rl_completion_append_character = ' ';
		goto matches;
	}
	if (word[0] == '-') {
		lead[0] = '-';
		word++;
	}
	colon = strchr(word, ':');
	if (!colon) {
		field_cands(lead, word, ":");
		rl_completion_append_character = '\0';
	} else if ((size_t)(colon - word) <= VALUE_BYTES_MAX) {
		snprintf(field, sizeof field, "%.*s", (int)(colon - word), word);
		value_cands(lead, field, colon + 1);
		rl_completion_append_character = ' ';
	}
matches:
	if (cp.ncands == 0)
		return NULL;
	qsort(cp.cands, cp.ncands, sizeof *cp.cands, cmp_str);
	return rl_completion_matches(text, next_cand);
}

/* Keeps the candidates readline would print; the bar shows them. */
static void keep_listing(char **matches, int num_matches, int max_length)
{
	size_t len = 0;

	(void)max_length;
	cp.listing[0] = '\0';
	for (int i = 1; i <= num_matches && len + 1 < sizeof cp.listing; i++)
		len += (size_t)snprintf(cp.listing + len, sizeof cp.listing - len, "%s%s",
					i > 1 ? "  " : "", matches[i]);
	if (len >= sizeof cp.listing)
		cp.listing[sizeof cp.listing - 1] = '\0';
}

void tui_complete_init(void)
{
	rl_inhibit_completion = 0;
	rl_attempted_completion_function = attempt;
	rl_completion_display_matches_hook = keep_listing;
	/* ':' is part of a query word, so "field:val" completes as one. */
	rl_completer_word_break_characters = " \t\n()";
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_variable_bind("completion-ignore-case", "on");
	rl_variable_bind("completion-query-items", "1000");
}

void tui_complete_free(void)
{
	clear_cands();
	free(cp.cands);
	for (size_t i = 0; i < cp.nfields; i++) {
		free(cp.fields[i].name);
		for (size_t j = 0; j < VALUES_MAX; j++)
			free(cp.fields[i].values[j]);
	}
	memset(&cp, 0, sizeof cp);
}

void tui_complete_set_paths(int paths)
{
	cp.paths = paths;
}

const char *tui_complete_listing(void)
{
	return cp.listing;
}

void tui_complete_clear_listing(void)
{
	cp.listing[0] = '\0';
}
