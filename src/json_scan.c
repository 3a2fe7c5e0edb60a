/* json_scan.c: the JSON tokenizer of the JSON lines decoder. Its rules are
 * strict JSON as jsmn checks it, quirks included: control characters are
 * allowed inside strings, a primitive must start with one of "-0123456789tfn"
 * and end at whitespace, ',', ']' or '}', and a NUL byte ends the text.
 * A differential test checks it against jsmn's results. */
#include "json_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Bytes that end a run of plain string contents. */
static const unsigned char string_stop[256] = {['\0'] = 1, ['"'] = 1, ['\\'] = 1};

/* The escapes allowed after a backslash, besides \uXXXX. */
static const unsigned char simple_escape[256] = {
	['"'] = 1, ['/'] = 1, ['\\'] = 1, ['b'] = 1, ['f'] = 1, ['r'] = 1, ['n'] = 1, ['t'] = 1,
};

/* Returns 1 for the bytes that end a primitive. */
static int ends_primitive(unsigned char c)
{
	return c == ' ' || c == ',' || c == '}' || c == ']' || c == '\n' || c == '\t' || c == '\r';
}

/* Scanner state: the next byte, the token count and the innermost
 * container or key that new tokens belong to (-1 at the top level). */
struct scan {
	const char *js;
	size_t len;
	size_t pos;
	int next;
	int super;
	int open; /* containers not yet closed */
	sl_json_tokens *t;
};

void sl_json_tokens_init(sl_json_tokens *t, sl_json_tok *initial, unsigned cap)
{
	t->tok = initial;
	t->cap = initial ? cap : 0;
	t->initial = initial;
}

void sl_json_tokens_free(sl_json_tokens *t)
{
	if (t->tok != t->initial)
		free(t->tok);
	t->tok = t->initial;
}

/* Doubles the token array, moving it to the heap the first time. */
static void grow_tokens(sl_json_tokens *t)
{
	unsigned cap = t->cap ? t->cap * 2 : 16;
	sl_json_tok *tok;

	if (t->tok == t->initial) {
		tok = sl_malloc(cap * sizeof *tok);
		if (t->cap)
			memcpy(tok, t->tok, t->cap * sizeof *tok);
		t->tok = tok;
	} else {
		t->tok = sl_realloc(t->tok, cap * sizeof *tok);
	}
	t->cap = cap;
}

/* Appends a token of type over [start, end) under the current super and
 * returns its index. */
static inline int add_token(struct scan *s, sl_json_type type, int start, int end)
{
	sl_json_tok *tok;

	if ((unsigned)s->next == s->t->cap)
		grow_tokens(s->t);
	tok = &s->t->tok[s->next];
	tok->type = (unsigned char)type;
	tok->start = start;
	tok->end = end;
	tok->size = 0;
	tok->parent = s->super;
	tok->escaped = 0;
	return s->next++;
}

/* Returns the offset of the first '"', '\\' or NUL in js[p, len), or len.
 * On little-endian machines it tests eight bytes at a time: a byte is zero
 * in x ^ c exactly where it equals c, and the lowest byte flagged by the
 * zero-byte test is exact. */
static size_t skip_plain(const char *js, size_t p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const uint64_t quotes = ones * '"', backslashes = ones * '\\';

	while (p + 8 <= len) {
		uint64_t w, q, b, hit;

		memcpy(&w, js + p, 8);
		q = w ^ quotes;
		b = w ^ backslashes;
		hit = ((w - ones) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b);
		hit &= highs;
		if (hit)
			return p + (size_t)__builtin_ctzll(hit) / 8;
		p += 8;
	}
#endif
	while (p < len && !string_stop[(unsigned char)js[p]])
		p++;
	return p;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* Scans the string whose opening quote is at s->pos and leaves s->pos on
 * its closing quote. Returns 0 or an error. */
static int scan_string(struct scan *s)
{
	const char *js = s->js;
	size_t len = s->len, p = s->pos + 1;
	int escaped = 0, i;

	for (;;) {
		p = skip_plain(js, p, len);
		if (p >= len || js[p] == '\0')
			return SL_JSON_ERROR_PART;
		if (js[p] == '"')
			break;

		/* A backslash as the last byte leaves the string unterminated. */
		if (p + 1 >= len)
			return SL_JSON_ERROR_PART;
		escaped = 1;
		if (simple_escape[(unsigned char)js[p + 1]]) {
			p += 2;
			continue;
		}
		if (js[p + 1] != 'u')
			return SL_JSON_ERROR_INVAL;
		/* Up to four hex digits are checked. A text that ends or meets a
		 * NUL sooner is unterminated, which the loop above finds. */
		p += 2;
		for (i = 0; i < 4 && p < len && js[p] != '\0'; i++, p++) {
			if (!is_hex(js[p]))
				return SL_JSON_ERROR_INVAL;
		}
	}

	i = add_token(s, SL_JSON_STRING, (int)s->pos + 1, (int)p);
	s->t->tok[i].escaped = (unsigned char)escaped;
	s->pos = p;
	return 0;
}

/* Scans the primitive starting at s->pos and leaves s->pos on its last
 * byte. Returns 0 or an error. */
static int scan_primitive(struct scan *s)
{
	size_t p = s->pos;

	if (s->super != -1) {
		const sl_json_tok *sup = &s->t->tok[s->super];

		/* A primitive may not be a key, nor follow a key's value. */
		if (sup->type == SL_JSON_OBJECT || (sup->type == SL_JSON_STRING && sup->size != 0))
			return SL_JSON_ERROR_INVAL;
	}
	for (; p < s->len; p++) {
		unsigned char c = (unsigned char)s->js[p];

		if (ends_primitive(c))
			break;
		if (c == '\0')
			return SL_JSON_ERROR_PART;
		if (c < 32 || c >= 127)
			return SL_JSON_ERROR_INVAL;
	}
	/* A primitive must be followed by a delimiter, never by the end. */
	if (p >= s->len)
		return SL_JSON_ERROR_PART;
	add_token(s, SL_JSON_PRIMITIVE, (int)s->pos, (int)p);
	s->pos = p - 1;
	return 0;
}

static int open_container(struct scan *s, sl_json_type type)
{
	int i;

	/* An object or array may not be a key. */
	if (s->super != -1 && s->t->tok[s->super].type == SL_JSON_OBJECT)
		return SL_JSON_ERROR_INVAL;
	i = add_token(s, type, (int)s->pos, -1);
	if (s->super != -1)
		s->t->tok[s->super].size++;
	s->super = i;
	s->open++;
	return 0;
}

/* Closes the innermost open container, found by following parent links
 * from the last token, which must be of type. */
static int close_container(struct scan *s, sl_json_type type)
{
	sl_json_tok *tok = s->t->tok;
	int i;

	if (s->next < 1)
		return SL_JSON_ERROR_INVAL;
	for (i = s->next - 1;; i = tok[i].parent) {
		if (tok[i].end == -1) {
			if (tok[i].type != type)
				return SL_JSON_ERROR_INVAL;
			tok[i].end = (int)s->pos + 1;
			s->super = tok[i].parent;
			s->open--;
			return 0;
		}
		/* At the top with every container closed: a closing bracket
		 * of the right type is ignored while a key is pending. */
		if (tok[i].parent == -1)
			return tok[i].type != type || s->super == -1 ? SL_JSON_ERROR_INVAL : 0;
	}
}

/* Scans one byte at s->pos, or the whole token that starts there. */
static int scan_byte(struct scan *s)
{
	sl_json_tok *tok = s->t->tok;
	char c = s->js[s->pos];
	int rc;

	switch (c) {
	case '{':
	case '[':
		return open_container(s, c == '{' ? SL_JSON_OBJECT : SL_JSON_ARRAY);
	case '}':
	case ']':
		return close_container(s, c == '}' ? SL_JSON_OBJECT : SL_JSON_ARRAY);
	case '"':
		rc = scan_string(s);
		break;
	case '\t':
	case '\r':
	case '\n':
	case ' ':
		return 0;
	case ':':
		s->super = s->next - 1;
		return 0;
	case ',':
		if (s->super != -1 && tok[s->super].type != SL_JSON_ARRAY &&
		    tok[s->super].type != SL_JSON_OBJECT)
			s->super = tok[s->super].parent;
		return 0;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
	case 't':
	case 'f':
	case 'n':
		rc = scan_primitive(s);
		break;
	default:
		return SL_JSON_ERROR_INVAL;
	}
	if (rc == 0 && s->super != -1)
		s->t->tok[s->super].size++;
	return rc;
}

int sl_json_scan(const char *js, size_t len, sl_json_tokens *t)
{
	struct scan s = {js, len, 0, 0, -1, 0, t};

	for (; s.pos < len && js[s.pos] != '\0'; s.pos++) {
		int rc = scan_byte(&s);

		if (rc < 0)
			return rc;
	}
	return s.open > 0 ? SL_JSON_ERROR_PART : s.next;
}
