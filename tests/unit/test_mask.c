/*
 * test_mask: masked ID numbers and names (service/mask.h).
 *
 * Names are counted in characters, not bytes: ASCII, CJK (3 bytes each)
 * and characters outside the BMP (4 bytes) all keep whole characters, and
 * the mask is never longer than the name. The names are invented and
 * compared, never printed.
 */
#include <string.h>

#include "common/util.h"
#include "service/mask.h"
#include "tests/lib/tap.h"

static int masks_to(const char *name, const char *want)
{
	char out[256];
	size_t len = strlen(name);

	if (mask_name(out, sizeof out, name, len) != 0)
		return 0;
	return strcmp(out, want) == 0 && strlen(out) <= len && util_utf8_valid(out, strlen(out));
}

int main(void)
{
	char out[64];

	mask_id_number(out, "340104199001011234");
	is_str(out, "3401**********1234", "ID number: first 4 and last 4 kept");
	mask_id_number(out, "11010519491231002X");
	is_str(out, "1101**********002X", "ID number ending in X");
	is_int(strlen(out), IDCARD_LEN, "the masked number is 18 characters");

	/* ASCII. */
	ok(masks_to("A", "*"), "1 ASCII character: *");
	ok(masks_to("Al", "A*"), "2 ASCII characters: first and *");
	ok(masks_to("Bob", "B*b"), "3 ASCII characters: first, *, last");
	ok(masks_to("Robert Smith", "R*h"), "many ASCII characters: one * for all hidden");

	/* CJK, 3 bytes a character. */
	ok(masks_to("\xe5\xbc\xa0", "*"), "1 CJK character: *");
	ok(masks_to("\xe5\xbc\xa0\xe4\xb8\x89", "\xe5\xbc\xa0*"), "2 CJK characters: first and *");
	ok(masks_to("\xe5\xbc\xa0\xe5\xb0\x8f\xe4\xb8\x89", "\xe5\xbc\xa0*\xe4\xb8\x89"),
	   "3 CJK characters: first, *, last");
	ok(masks_to("\xe6\xac\xa7\xe9\x98\xb3\xe5\xb0\x8f\xe6\x98\x8e",
		    "\xe6\xac\xa7*\xe6\x98\x8e"),
	   "4 CJK characters: first, one *, last (the length is not shown)");
	ok(masks_to("\xe5\xbc\xa0\xe8\xbf\xaa\xc2\xb7\xe9\x98\xbf\xe5\x8a\x9b",
		    "\xe5\xbc\xa0*\xe5\x8a\x9b"),
	   "a name with a middle dot (2-byte character inside)");

	/* 4-byte characters (U+20000 and on, CJK Extension B). */
	ok(masks_to("\xf0\xa0\x80\x80", "*"), "1 four-byte character: *");
	ok(masks_to("\xf0\xa0\x80\x80\xf0\xa0\x80\x81", "\xf0\xa0\x80\x80*"),
	   "2 four-byte characters: first and *");
	ok(masks_to("\xf0\xa0\x80\x80\xf0\xa0\x80\x81\xf0\xa0\x80\x82",
		    "\xf0\xa0\x80\x80*\xf0\xa0\x80\x82"),
	   "3 four-byte characters: whole first and last kept");
	ok(masks_to("a\xf0\xa0\x80\x80", "a*"), "ASCII then four-byte: a*");
	ok(masks_to("\xf0\xa0\x80\x80z", "\xf0\xa0\x80\x80*"), "four-byte then ASCII");
	ok(masks_to("\xf0\xa0\x80\x80xyz\xe5\xbc\xa0", "\xf0\xa0\x80\x80*\xe5\xbc\xa0"),
	   "mixed widths: whole characters at both ends");

	/* Refusals. */
	is_int(mask_name(out, sizeof out, "", 0), AK_EINVAL, "empty name: refused");
	is_int(mask_name(out, sizeof out, "\xff", 1), AK_EINVAL, "invalid UTF-8: refused");
	is_int(mask_name(out, sizeof out, "ab\xe5\xbc", 4), AK_EINVAL,
	       "a truncated character at the end: refused");
	is_int(mask_name(out, sizeof out, "\xc0\xaf", 2), AK_EINVAL, "an overlong form: refused");
	is_int(mask_name(out, sizeof out, "\xed\xa0\x80", 3), AK_EINVAL, "a surrogate: refused");

	/* Buffer sizes: len + 1 always suffices; less may not. */
	{
		const char *n = "\xe5\xbc\xa0\xe5\xb0\x8f\xe4\xb8\x89"; /* 9 bytes -> 7 + NUL */
		char small[8];
		is_int(mask_name(small, 8, n, 9), 0, "cap of exactly the mask's size: ok");
		is_int(mask_name(small, 7, n, 9), AK_ETOOBIG, "one byte short: AK_ETOOBIG");
		is_int(mask_name(small, 2, "A", 1), 0, "1 character into 2 bytes: ok");
	}
	return tap_done();
}
