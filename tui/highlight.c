/* highlight.c: query terms found in text. Words compare the way the
 * full-text index tokenizes: runs of letters and digits, case folded, with
 * everything else a separator. */
#include "highlight.h"

#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "../src/query.h"

/* Terms kept per query, and characters decoded per string searched. */
#define TERMS_MAX 64
#define DECODE_MAX 4096

static int is_word(wchar_t c)
{
	return c != 0 && iswalnum((wint_t)c);
}

/* Decodes up to max characters of s (n bytes), lower-cased, into wc, with
 * the byte offset of each in off (off[count] is the end). Invalid bytes
 * become separators. Returns the count. */
static size_t decode(const char *s, size_t n, wchar_t *wc, size_t *off, size_t max)
{
	size_t i = 0, k = 0;

	while (i < n && k < max) {
		mbstate_t st;
		wchar_t c;
		size_t r;

		memset(&st, 0, sizeof st);
		r = mbrtowc(&c, s + i, n - i, &st);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
			c = 0;
			r = 1;
		}
		wc[k] = (wchar_t)towlower((wint_t)c);
		off[k++] = i;
		i += r;
	}
	off[k] = i;
	return k;
}

/* Splits text into lower-cased words; a field value that is matched whole
 * becomes one "word" with its separators kept. */
static void add_term(tui_hl *h, const char *text, const char *field, int prefix, int whole)
{
	size_t len = strlen(text), n;
	wchar_t *wc = sl_calloc(len + 1, sizeof *wc);
	size_t *off = sl_calloc(len + 1, sizeof *off);
	tui_hl_term t;

	memset(&t, 0, sizeof t);
	n = decode(text, len, wc, off, len);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (!whole && !is_word(wc[i])) {
			i++;
			continue;
		}
		while (j < n && (whole || is_word(wc[j])))
			j++;
		t.words = sl_realloc(t.words, (t.nwords + 1) * sizeof *t.words);
		t.words[t.nwords] = sl_calloc(j - i + 1, sizeof **t.words);
		memcpy(t.words[t.nwords], wc + i, (j - i) * sizeof *wc);
		t.nwords++;
		i = j;
	}
	free(wc);
	free(off);
	if (t.nwords == 0 || h->n >= TERMS_MAX) {
		for (size_t i = 0; i < t.nwords; i++)
			free(t.words[i]);
		free(t.words);
		return;
	}
	t.prefix = prefix;
	t.whole = whole;
	t.field = field ? sl_strdup(field) : NULL;
	h->terms = sl_realloc(h->terms, (h->n + 1) * sizeof *h->terms);
	h->terms[h->n++] = t;
}

/* Collects the terms of the tree at node, skipping negated branches,
 * because what a NOT excludes cannot be in a hit. */
static void collect(tui_hl *h, const sl_qnode *node)
{
	if (!node || node->kind == SL_Q_NOT)
		return;
	if (node->kind == SL_Q_AND || node->kind == SL_Q_OR) {
		collect(h, node->left);
		collect(h, node->right);
		return;
	}
	if (node->kind == SL_Q_TEXT && node->text)
		add_term(h, node->text, NULL, node->prefix, 0);
	/* The message field is searched by words like the full text. */
	if (node->kind == SL_Q_FIELD && node->op == SL_QOP_EQ && node->text && node->field) {
		int message = strcmp(node->field, "message") == 0;

		add_term(h, node->text, message ? NULL : node->field, node->prefix, !message);
	}
}

void tui_hl_free(tui_hl *h)
{
	for (size_t i = 0; i < h->n; i++) {
		for (size_t j = 0; j < h->terms[i].nwords; j++)
			free(h->terms[i].words[j]);
		free(h->terms[i].words);
		free(h->terms[i].field);
	}
	free(h->terms);
	memset(h, 0, sizeof *h);
}

void tui_hl_set(tui_hl *h, const char *query)
{
	sl_error err;
	sl_query *q;

	tui_hl_free(h);
	if (!query || !query[0])
		return;
	memset(&err, 0, sizeof err);
	q = sl_query_parse(query, sl_now_ms(), &err);
	if (!q)
		return;
	collect(h, q->root);
	sl_query_free(q);
}

static void add_range(tui_hl_ranges *r, size_t start, size_t end)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->start = sl_realloc(r->start, r->cap * sizeof *r->start);
		r->end = sl_realloc(r->end, r->cap * sizeof *r->end);
	}
	r->start[r->n] = start;
	r->end[r->n] = end;
	r->n++;
}

/* Compares word (NUL-terminated) with wc at i. Returns the index past the
 * match, or 0 when it does not match there. */
static size_t match_word(const wchar_t *word, const wchar_t *wc, size_t n, size_t i)
{
	size_t k = 0;

	while (word[k]) {
		if (i + k >= n || wc[i + k] != word[k])
			return 0;
		k++;
	}
	return i + k;
}

/* Matches term t at word start i. Returns the index past the match, or 0. */
static size_t match_term(const tui_hl_term *t, const wchar_t *wc, size_t n, size_t i)
{
	for (size_t w = 0; w < t->nwords; w++) {
		int last = w + 1 == t->nwords;

		i = match_word(t->words[w], wc, n, i);
		if (i == 0)
			return 0;
		if (last && t->prefix) {
			/* A prefix marks the whole word it starts. */
			while (i < n && is_word(wc[i]))
				i++;
			return i;
		}
		if (i < n && is_word(wc[i]) && is_word(wc[i - 1]))
			return 0;
		if (last)
			return i;
		while (i < n && !is_word(wc[i]))
			i++;
	}
	return i;
}

/* Sorts ranges by start and merges those that overlap or touch. */
static void merge_ranges(tui_hl_ranges *r)
{
	size_t out = 0;

	for (size_t i = 1; i < r->n; i++) {
		for (size_t j = i; j > 0 && r->start[j] < r->start[j - 1]; j--) {
			size_t s = r->start[j], e = r->end[j];

			r->start[j] = r->start[j - 1];
			r->end[j] = r->end[j - 1];
			r->start[j - 1] = s;
			r->end[j - 1] = e;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		if (out > 0 && r->start[i] <= r->end[out - 1]) {
			if (r->end[i] > r->end[out - 1])
				r->end[out - 1] = r->end[i];
			continue;
		}
		r->start[out] = r->start[i];
		r->end[out] = r->end[i];
		out++;
	}
	r->n = out;
}

/* Adds the ranges of term t in the decoded string. */
static void find_term(const tui_hl_term *t, const wchar_t *wc, const size_t *off, size_t n,
		      tui_hl_ranges *out)
{
	if (t->whole) {
		size_t end = match_word(t->words[0], wc, n, 0);

		if (end > 0 && (t->prefix || end == n))
			add_range(out, 0, off[end]);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t end;

		if (!is_word(wc[i]) || (i > 0 && is_word(wc[i - 1])))
			continue;
		end = match_term(t, wc, n, i);
		if (end > i)
			add_range(out, off[i], off[end]);
	}
}

tui_marks tui_hl_find(const tui_hl *h, const char *field, const char *s, size_t n,
		      tui_hl_ranges *out, attr_t attr)
{
	static wchar_t wc[DECODE_MAX];
	static size_t off[DECODE_MAX + 1];
	tui_marks marks = {NULL, NULL, 0, attr};
	size_t count = 0;
	int decoded = 0;

	out->n = 0;
	for (size_t i = 0; h && i < h->n; i++) {
		const tui_hl_term *t = &h->terms[i];

		if ((field == NULL) != (t->field == NULL))
			continue;
		if (field && strcmp(field, t->field) != 0)
			continue;
		if (!decoded) {
			count = decode(s, n, wc, off, DECODE_MAX);
			decoded = 1;
		}
		find_term(t, wc, off, count, out);
	}
	merge_ranges(out);
	marks.start = out->start;
	marks.end = out->end;
	marks.n = out->n;
	return marks;
}

void tui_hl_ranges_free(tui_hl_ranges *r)
{
	free(r->start);
	free(r->end);
	memset(r, 0, sizeof *r);
}
