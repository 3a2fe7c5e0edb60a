/* highlight.h: finding the terms of a query in text, so the results pane
 * and the detail view can mark what matched. */
#ifndef TUI_HIGHLIGHT_H
#define TUI_HIGHLIGHT_H

#include <stddef.h>
#include <wchar.h>

#include "text.h"

/* One term to look for: a word, a phrase (several words) or a prefix. */
typedef struct tui_hl_term {
	wchar_t **words; /* lower-cased */
	size_t nwords;
	int prefix;      /* the last word is a prefix */
	int whole;       /* field value: matches the whole value, not words in it */
	char *field;     /* NULL for full-text terms, else the field name */
} tui_hl_term;

/* The terms of one query. */
typedef struct tui_hl {
	tui_hl_term *terms;
	size_t n;
} tui_hl;

/* Byte ranges found in one string, reused between calls. */
typedef struct tui_hl_ranges {
	size_t *start, *end;
	size_t n, cap;
} tui_hl_ranges;

/* Replaces the terms with those of query: full-text words, phrases and
 * prefixes, and the values of field:value terms, leaving out everything
 * under NOT. An invalid or empty query leaves no terms. */
void tui_hl_set(tui_hl *h, const char *query);
void tui_hl_free(tui_hl *h);

/* Finds the terms that apply to field (NULL for the message or the raw
 * line, which full-text terms search) in the n bytes of s, case-insensitive,
 * at word boundaries. Fills out with sorted, merged byte ranges and returns
 * marks over them with attr. */
tui_marks tui_hl_find(const tui_hl *h, const char *field, const char *s, size_t n,
		      tui_hl_ranges *out, attr_t attr);
void tui_hl_ranges_free(tui_hl_ranges *r);

#endif
