/* Tests for packed events: sl_event_pack_parts, and raw staying in its
 * own allocation through pack, unpack and copy. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/event.h"
#include "../../src/util.h"

static sl_strview view(const char *s)
{
	sl_strview v = {s, strlen(s)};

	return v;
}

Test(event, pack_parts_copies_views)
{
	char text[] = "api web-1 hello worldXX";
	sl_strview keys[2] = {view("user"), view("ms")};
	sl_strview values[2] = {{text + 10, 5}, view("12")};
	sl_event_parts parts = {{text, 3}, {text + 4, 5}, {text + 10, 11}, keys, values, 2};
	sl_event ev;
	char *raw;

	sl_event_init(&ev);
	raw = ev.raw = sl_strdup(text);
	sl_event_pack_parts(&ev, &parts);
	memset(text, 'x', sizeof text - 1);

	cr_assert_not_null(ev.block);
	cr_assert_eq(ev.raw, raw, "raw keeps its own allocation");
	cr_assert_str_eq(ev.service, "api");
	cr_assert_str_eq(ev.host, "web-1");
	cr_assert_str_eq(ev.message, "hello world");
	cr_assert_eq(ev.nfields, 2);
	cr_assert_str_eq(sl_event_get_field(&ev, "user"), "hello");
	cr_assert_str_eq(sl_event_get_field(&ev, "ms"), "12");
	sl_event_clear(&ev);
	cr_assert_null(ev.block);
	cr_assert_null(ev.raw);
}

Test(event, pack_parts_missing_strings)
{
	sl_event_parts parts = {{NULL, 0}, {"", 0}, {"m", 1}, NULL, NULL, 0};
	sl_event ev;

	sl_event_init(&ev);
	sl_event_pack_parts(&ev, &parts);
	cr_assert_null(ev.service);
	cr_assert_str_eq(ev.host, "");
	cr_assert_str_eq(ev.message, "m");
	cr_assert_null(ev.fields);
	cr_assert_null(ev.raw);
	sl_event_clear(&ev);
}

Test(event, unpack_keeps_raw_in_place)
{
	sl_event ev, copy;
	char *raw;

	sl_event_init(&ev);
	raw = ev.raw = sl_strdup("{\"msg\":\"x\"}");
	sl_event_set_str(&ev.message, "x", 1);
	sl_event_set_field(&ev, "k", 1, "v", 1);
	sl_event_pack(&ev);
	cr_assert_eq(ev.raw, raw, "packing leaves raw where it is");

	sl_event_init(&copy);
	sl_event_copy(&copy, &ev);
	cr_assert_not_null(copy.block);
	cr_assert_neq(copy.raw, ev.raw, "a copy owns its raw");
	cr_assert_str_eq(copy.raw, ev.raw);

	sl_event_unpack(&ev);
	cr_assert_null(ev.block);
	cr_assert_eq(ev.raw, raw, "unpacking leaves raw where it is");
	cr_assert_str_eq(ev.message, "x");
	cr_assert_str_eq(sl_event_get_field(&ev, "k"), "v");
	sl_event_clear(&ev);
	cr_assert_str_eq(copy.message, "x");
	sl_event_clear(&copy);
}
