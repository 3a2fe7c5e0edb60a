/* event.c: event lifetime, level names and JSON encoding. */
#define _POSIX_C_SOURCE 200809L

#include "event.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[SL_LEVEL_COUNT] = {
	"unknown", "trace", "debug", "info", "warn", "error", "fatal",
};

/* Spellings seen in real logs, matched case-insensitively. */
static const struct {
	const char *word;
	sl_level level;
} level_words[] = {
	{"trace", SL_LEVEL_TRACE},     {"trc", SL_LEVEL_TRACE},     {"finest", SL_LEVEL_TRACE},
	{"finer", SL_LEVEL_TRACE},     {"t", SL_LEVEL_TRACE},       {"v", SL_LEVEL_TRACE},
	{"verbose", SL_LEVEL_TRACE},   {"debug", SL_LEVEL_DEBUG},   {"dbg", SL_LEVEL_DEBUG},
	{"d", SL_LEVEL_DEBUG},         {"fine", SL_LEVEL_DEBUG},    {"debug1", SL_LEVEL_DEBUG},
	{"debug2", SL_LEVEL_DEBUG},    {"debug3", SL_LEVEL_DEBUG},
	{"debug4", SL_LEVEL_DEBUG},    {"debug5", SL_LEVEL_DEBUG},  {"info", SL_LEVEL_INFO},
	{"inf", SL_LEVEL_INFO},        {"i", SL_LEVEL_INFO},        {"information", SL_LEVEL_INFO},
	{"informational", SL_LEVEL_INFO}, {"notice", SL_LEVEL_INFO}, {"config", SL_LEVEL_INFO},
	{"n", SL_LEVEL_INFO},          {"warn", SL_LEVEL_WARN},     {"warning", SL_LEVEL_WARN},
	{"wrn", SL_LEVEL_WARN},        {"w", SL_LEVEL_WARN},        {"error", SL_LEVEL_ERROR},
	{"err", SL_LEVEL_ERROR},       {"e", SL_LEVEL_ERROR},       {"severe", SL_LEVEL_ERROR},
	{"fail", SL_LEVEL_ERROR},      {"failure", SL_LEVEL_ERROR}, {"fatal", SL_LEVEL_FATAL},
	{"ftl", SL_LEVEL_FATAL},       {"f", SL_LEVEL_FATAL},       {"crit", SL_LEVEL_FATAL},
	{"critical", SL_LEVEL_FATAL},  {"c", SL_LEVEL_FATAL},       {"alert", SL_LEVEL_FATAL},
	{"a", SL_LEVEL_FATAL},         {"emerg", SL_LEVEL_FATAL},   {"emergency", SL_LEVEL_FATAL},
	{"panic", SL_LEVEL_FATAL},     {"dpanic", SL_LEVEL_FATAL},
};

const char *sl_level_name(sl_level level)
{
	if ((unsigned)level >= SL_LEVEL_COUNT)
		return level_names[SL_LEVEL_UNKNOWN];
	return level_names[level];
}

sl_level sl_level_parse(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return SL_LEVEL_UNKNOWN;
	for (i = 0; i < sizeof level_words / sizeof level_words[0]; i++) {
		/* The words are lower case: the first letter rules most out. */
		if (level_words[i].word[0] == (s[0] | 0x20) && strlen(level_words[i].word) == n &&
		    strncasecmp(level_words[i].word, s, n) == 0)
			return level_words[i].level;
	}
	return SL_LEVEL_UNKNOWN;
}

void sl_event_init(sl_event *ev)
{
	memset(ev, 0, sizeof *ev);
}

void sl_event_clear(sl_event *ev)
{
	size_t i;

	if (ev->block) {
		free(ev->block);
		free(ev->raw); /* raw is never in the block */
		sl_event_init(ev);
		return;
	}
	free(ev->service);
	free(ev->host);
	free(ev->message);
	free(ev->raw);
	for (i = 0; i < ev->nfields; i++)
		free(ev->fields[i].key); /* the value shares its allocation */
	free(ev->fields);
	sl_event_init(ev);
}

/* Fills f with copies of key and value in one allocation, "key\0value\0",
 * owned by f->key: events carry several fields each, and one allocation per
 * field instead of two is a measurable share of decoding. */
static void make_field(sl_field *f, const char *key, size_t klen, const char *val, size_t vlen)
{
	char *block = sl_malloc(klen + vlen + 2);

	memcpy(block, key, klen);
	block[klen] = '\0';
	memcpy(block + klen + 1, val, vlen);
	block[klen + 1 + vlen] = '\0';
	f->key = block;
	f->value = block + klen + 1;
}

static char *dup_or_null(const char *s)
{
	return s ? sl_strdup(s) : NULL;
}

/* Returns p moved from src's block to the same place in dst's. */
static char *relocate(const sl_event *src, const sl_event *dst, const char *p)
{
	return p ? dst->block + (p - src->block) : NULL;
}

/* Copies a packed event with one allocation, and one for raw. */
static void copy_packed(sl_event *dst, const sl_event *src)
{
	size_t i;

	*dst = *src;
	dst->block = sl_malloc(src->block_len ? src->block_len : 1);
	memcpy(dst->block, src->block, src->block_len);
	dst->fields = src->nfields ? (sl_field *)(void *)dst->block : NULL;
	dst->service = relocate(src, dst, src->service);
	dst->host = relocate(src, dst, src->host);
	dst->message = relocate(src, dst, src->message);
	dst->raw = dup_or_null(src->raw);
	for (i = 0; i < src->nfields; i++) {
		dst->fields[i].key = relocate(src, dst, src->fields[i].key);
		dst->fields[i].value = relocate(src, dst, src->fields[i].value);
	}
}

/* Copies src into the cleared dst with one allocation per string. */
static void copy_unpacked(sl_event *dst, const sl_event *src)
{
	size_t i;

	memcpy(dst->id, src->id, sizeof dst->id);
	dst->ts_ms = src->ts_ms;
	dst->recv_ms = src->recv_ms;
	dst->level = src->level;
	dst->flags = src->flags;
	dst->service = dup_or_null(src->service);
	dst->host = dup_or_null(src->host);
	dst->message = dup_or_null(src->message);
	dst->raw = dup_or_null(src->raw);
	if (src->nfields) {
		dst->fields = sl_malloc(src->nfields * sizeof *dst->fields);
		dst->fields_cap = src->nfields;
		for (i = 0; i < src->nfields; i++)
			make_field(&dst->fields[i], src->fields[i].key, strlen(src->fields[i].key),
				   src->fields[i].value, strlen(src->fields[i].value));
		dst->nfields = src->nfields;
	}
}

void sl_event_copy(sl_event *dst, const sl_event *src)
{
	sl_event_clear(dst);
	if (src->block)
		copy_packed(dst, src);
	else
		copy_unpacked(dst, src);
}

void sl_event_set_str(char **slot, const char *s, size_t n)
{
	free(*slot);
	*slot = sl_strndup(s, n);
}

/* Copies s, when not NULL, to *at and advances *at past it. */
static char *pack_str(char **at, const char *s)
{
	char *out = *at;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(out, s, n);
	*at += n;
	return out;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Returns the size of a field's "key\0value\0" allocation. */
static size_t field_size(const sl_field *f)
{
	return (size_t)(f->value - f->key) + strlen(f->value) + 1;
}

void sl_event_pack(sl_event *ev)
{
	size_t need = ev->nfields * sizeof *ev->fields, i;
	char *block, *at;
	sl_event old = *ev;

	if (ev->block)
		return;
	need += str_size(ev->service) + str_size(ev->host) + str_size(ev->message);
	for (i = 0; i < ev->nfields; i++)
		need += field_size(&ev->fields[i]);
	/* The fields array comes first, where malloc's alignment suits it. */
	block = sl_malloc(need ? need : 1);
	at = block + ev->nfields * sizeof *ev->fields;
	ev->block = block;
	ev->block_len = need;
	ev->fields = ev->nfields ? (sl_field *)(void *)block : NULL;
	ev->fields_cap = ev->nfields;
	ev->service = pack_str(&at, old.service);
	ev->host = pack_str(&at, old.host);
	ev->message = pack_str(&at, old.message);
	for (i = 0; i < ev->nfields; i++) {
		size_t n = field_size(&old.fields[i]);

		/* Key and value are contiguous, so they move with one copy. */
		memcpy(at, old.fields[i].key, n);
		ev->fields[i].key = at;
		ev->fields[i].value = at + (old.fields[i].value - old.fields[i].key);
		at += n;
	}
	old.block = NULL;
	old.raw = NULL;
	sl_event_clear(&old);
}

/* Copies view, when its s is not NULL, to *at as a NUL-terminated string
 * and advances *at past it. */
static char *pack_view(char **at, sl_strview view)
{
	char *out = *at;

	if (!view.s)
		return NULL;
	memcpy(out, view.s, view.len);
	out[view.len] = '\0';
	*at += view.len + 1;
	return out;
}

static size_t view_size(sl_strview view)
{
	return view.s ? view.len + 1 : 0;
}

void sl_event_pack_parts(sl_event *ev, const sl_event_parts *parts)
{
	size_t need = parts->nfields * sizeof *ev->fields, i;
	char *block, *at;

	need += view_size(parts->service) + view_size(parts->host) + view_size(parts->message);
	for (i = 0; i < parts->nfields; i++)
		need += parts->keys[i].len + parts->values[i].len + 2;
	/* The same layout as sl_event_pack: the fields array first, then the
	 * strings in the same order. */
	block = sl_malloc(need ? need : 1);
	at = block + parts->nfields * sizeof *ev->fields;
	ev->block = block;
	ev->block_len = need;
	ev->fields = parts->nfields ? (sl_field *)(void *)block : NULL;
	ev->nfields = ev->fields_cap = parts->nfields;
	ev->service = pack_view(&at, parts->service);
	ev->host = pack_view(&at, parts->host);
	ev->message = pack_view(&at, parts->message);
	for (i = 0; i < parts->nfields; i++) {
		ev->fields[i].key = pack_view(&at, parts->keys[i]);
		ev->fields[i].value = pack_view(&at, parts->values[i]);
	}
}

void sl_event_unpack(sl_event *ev)
{
	sl_event copy;
	char *raw = ev->raw;

	if (!ev->block)
		return;
	/* raw stays where it is, because decoders still read the record
	 * from it. */
	ev->raw = NULL;
	sl_event_init(&copy);
	copy_unpacked(&copy, ev);
	sl_event_clear(ev);
	copy.raw = raw;
	*ev = copy;
}

void sl_event_set_field(sl_event *ev, const char *key, size_t klen, const char *val, size_t vlen)
{
	size_t i;

	sl_event_unpack(ev);

	for (i = 0; i < ev->nfields; i++) {
		sl_field *f = &ev->fields[i];

		/* The value follows the key's NUL, so that gives the key's length. */
		if ((size_t)(f->value - f->key) == klen + 1 && memcmp(f->key, key, klen) == 0) {
			char *old = f->key;

			make_field(f, key, klen, val, vlen);
			free(old);
			return;
		}
	}
	if (ev->nfields == ev->fields_cap) {
		ev->fields_cap = ev->fields_cap ? ev->fields_cap * 2 : 8;
		ev->fields = sl_realloc(ev->fields, ev->fields_cap * sizeof *ev->fields);
	}
	make_field(&ev->fields[ev->nfields], key, klen, val, vlen);
	ev->nfields++;
}

const char *sl_event_get_field(const sl_event *ev, const char *key)
{
	size_t i;

	for (i = 0; i < ev->nfields; i++) {
		if (strcmp(ev->fields[i].key, key) == 0)
			return ev->fields[i].value;
	}
	return NULL;
}

static void put_json_member(sl_buf *out, const char *name, const char *value)
{
	const char *v = value ? value : "";

	sl_buf_putc(out, ',');
	sl_buf_json_str(out, name, strlen(name));
	sl_buf_putc(out, ':');
	sl_buf_json_str(out, v, strlen(v));
}

void sl_fields_to_json(const sl_event *ev, sl_buf *out)
{
	size_t i;

	sl_buf_putc(out, '{');
	for (i = 0; i < ev->nfields; i++) {
		if (i)
			sl_buf_putc(out, ',');
		sl_buf_json_str(out, ev->fields[i].key, strlen(ev->fields[i].key));
		sl_buf_putc(out, ':');
		sl_buf_json_str(out, ev->fields[i].value, strlen(ev->fields[i].value));
	}
	sl_buf_putc(out, '}');
}

/* Appends ,"flags":[...] naming each flag that is set. Appends nothing when
 * no flag is set. */
static void put_flag_names(sl_buf *out, unsigned flags)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{SL_EV_TS_RECEIVED, "time_received"},
		{SL_EV_TS_INHERITED, "time_inherited"},
		{SL_EV_TRUNCATED, "truncated"},
		{SL_EV_UNDECODED, "undecoded"},
		{SL_EV_INVALID_UTF8, "invalid_utf8"},
	};
	const char *separator = "";
	size_t i;

	if (!flags)
		return;
	sl_buf_puts(out, ",\"flags\":[");
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (flags & names[i].bit) {
			sl_buf_printf(out, "%s\"%s\"", separator, names[i].name);
			separator = ",";
		}
	}
	sl_buf_putc(out, ']');
}

void sl_event_to_json(const sl_event *ev, sl_buf *out, int with_raw)
{
	char stamp[SL_TIME_STRLEN];

	sl_format_time(ev->ts_ms, stamp, sizeof stamp);
	sl_buf_puts(out, "{\"id\":");
	sl_buf_json_str(out, ev->id, strlen(ev->id));
	put_json_member(out, "timestamp", stamp);
	put_json_member(out, "level", sl_level_name(ev->level));
	put_json_member(out, "service", ev->service);
	put_json_member(out, "host", ev->host);
	put_json_member(out, "message", ev->message);
	sl_buf_puts(out, ",\"fields\":");
	sl_fields_to_json(ev, out);
	if (with_raw) {
		put_json_member(out, "raw", ev->raw);
		sl_buf_puts(out, ",\"flags\":");
		sl_buf_put_u64(out, ev->flags);
	} else {
		put_flag_names(out, ev->flags);
	}
	sl_buf_putc(out, '}');
}
