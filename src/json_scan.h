/* json_scan.h: a JSON tokenizer for log records. It splits a text into
 * tokens (objects, arrays, strings, primitives) with byte ranges, child
 * counts and parent indices, and accepts and rejects exactly the texts that
 * jsmn 1.1 does when built with JSMN_STRICT and JSMN_PARENT_LINKS, with the
 * same tokens. It is faster on string contents, and it marks the strings
 * that hold an escape, so their text can be copied without decoding. */
#ifndef SL_JSON_SCAN_H
#define SL_JSON_SCAN_H

#include <stddef.h>

typedef enum {
	SL_JSON_OBJECT = 1,
	SL_JSON_ARRAY = 2,
	SL_JSON_STRING = 3,
	SL_JSON_PRIMITIVE = 4,
} sl_json_type;

/* Errors, with jsmn's values: a character where none may be, and a text
 * that ends inside a token. */
#define SL_JSON_ERROR_INVAL (-2)
#define SL_JSON_ERROR_PART (-3)

/* A token spans js[start, end): for a string, its contents without the
 * quotes. size counts an object's keys, an array's elements and, for a
 * key, its value. parent is the index of the enclosing container or key,
 * -1 for the top level. */
typedef struct sl_json_tok {
	int start, end;
	int size;
	int parent;
	unsigned char type;    /* sl_json_type */
	unsigned char escaped; /* a string that contains a backslash escape */
} sl_json_tok;

/* The token array of one scan. It starts as the caller's array of cap
 * tokens (which may be NULL with cap 0) and moves to the heap when a text
 * needs more. sl_json_tokens_free releases the heap copy. */
typedef struct sl_json_tokens {
	sl_json_tok *tok;
	unsigned cap;
	sl_json_tok *initial;
} sl_json_tokens;

void sl_json_tokens_init(sl_json_tokens *t, sl_json_tok *initial, unsigned cap);
void sl_json_tokens_free(sl_json_tokens *t);

/* Tokenizes js[0, len), stopping early at a NUL byte as jsmn does. Returns
 * the number of tokens in t->tok, or SL_JSON_ERROR_INVAL or
 * SL_JSON_ERROR_PART. After an error the tokens are not meaningful. */
int sl_json_scan(const char *js, size_t len, sl_json_tokens *t);

#endif
