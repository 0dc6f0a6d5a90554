/*
 * mask: masked forms of an ID number and a name (rules in mask.h).
 *
 * A masked name hides how long the name is as well as its middle: however
 * many characters are hidden, one '*' stands for them, so "欧阳小明" and
 * "张三丰" both show as first*last. Characters are Unicode code points,
 * counted in valid UTF-8; the masked form is built from whole characters,
 * never a split byte sequence.
 */
#include "service/mask.h"

#include <string.h>

#include "common/util.h"

void mask_id_number(char out[IDCARD_LEN + 1], const char id[IDCARD_LEN])
{
	memcpy(out, id, 4);
	memset(out + 4, '*', IDCARD_LEN - 8);
	memcpy(out + IDCARD_LEN - 4, id + IDCARD_LEN - 4, 4);
	out[IDCARD_LEN] = '\0';
}

/* Bytes in the UTF-8 character that starts with byte c (input is valid). */
static size_t char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	return 4;
}

int mask_name(char *out, size_t cap, const char *name, size_t len)
{
	size_t first, last = 0, chars = 0, need;

	if (name == NULL || len == 0 || !util_utf8_valid(name, len))
		return AK_EINVAL;
	for (size_t i = 0; i < len; i += char_len((unsigned char)name[i])) {
		chars++;
		last = i; /* start of the last character */
	}
	first = char_len((unsigned char)name[0]);
	if (chars == 1)
		need = 1;
	else if (chars == 2)
		need = first + 1;
	else
		need = first + 1 + (len - last);
	if (cap < need + 1)
		return AK_ETOOBIG;
	if (chars == 1) {
		out[0] = '*';
	} else {
		memcpy(out, name, first);
		out[first] = '*';
		if (chars > 2)
			memcpy(out + first + 1, name + last, len - last);
	}
	out[need] = '\0';
	return 0;
}
