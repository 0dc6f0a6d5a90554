/*
 * tilepath: the tlog-tiles path encoding (tilepath.h). The parser reads
 * the numbers loosely, then writes the one canonical path for them and
 * compares: every rule of the spelling (no leading zero in L or W, three
 * digits a group, an "x" on every group but the last, no empty leading
 * group) lives in tilepath_format alone.
 */
#include "log/tilepath.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* 20 digits of a 64-bit index: seven groups at most. */
#define GROUPS_MAX 7

/* Reads 1 to max decimal digits at *p (before end) into *v. */
static int digits(const char **p, const char *end, size_t max, unsigned *v)
{
	size_t n = 0;

	*v = 0;
	while (*p < end && n < max && **p >= '0' && **p <= '9') {
		*v = *v * 10 + (unsigned)(**p - '0');
		(*p)++, n++;
	}
	return n > 0 ? 0 : AK_EINVAL;
}

/* Writes N as x-led groups of three digits; returns the length or -1. */
static int format_index(char *out, size_t cap, uint64_t n)
{
	unsigned groups[GROUPS_MAX];
	size_t k = 0, used = 0;

	do {
		groups[k++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n > 0 && k < GROUPS_MAX);
	while (k-- > 0) {
		int w = snprintf(out + used, cap - used, "%s%03u%s", k > 0 ? "x" : "", groups[k],
				 k > 0 ? "/" : "");
		if (w < 0 || (size_t)w >= cap - used)
			return -1;
		used += (size_t)w;
	}
	return (int)used;
}

int tilepath_format(char *out, size_t cap, const struct tilepath *t)
{
	int w, used;

	if (t->level > TILE_LEVEL_MAX || (t->entries && t->level != 0) || t->width == 0 ||
	    t->width > TILE_WIDTH || cap == 0)
		return AK_EINVAL;
	if (t->entries)
		w = snprintf(out, cap, "tile/entries/");
	else
		w = snprintf(out, cap, "tile/%u/", t->level);
	if (w < 0 || (size_t)w >= cap)
		return AK_EINVAL;
	used = w;
	if ((w = format_index(out + used, cap - (size_t)used, t->index)) < 0)
		return AK_EINVAL;
	used += w;
	if (t->width < TILE_WIDTH) {
		w = snprintf(out + used, cap - (size_t)used, ".p/%u", t->width);
		if (w < 0 || (size_t)w >= cap - (size_t)used)
			return AK_EINVAL;
		used += w;
	}
	return used;
}

int tilepath_parse(struct tilepath *t, int entries, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char canon[TILEPATH_MAX];
	const char *tail;
	size_t prefix, groups = 0;
	unsigned v;
	int n;

	memset(t, 0, sizeof *t);
	t->entries = entries != 0;
	t->width = TILE_WIDTH;
	if (!t->entries) {
		if (digits(&p, end, 2, &t->level) != 0 || p == end || *p != '/')
			return AK_EINVAL;
		p++;
	}
	for (;;) {
		if (p < end && *p == 'x')
			p++;
		if (end - p < 3 || digits(&p, p + 3, 3, &v) != 0 || ++groups > GROUPS_MAX ||
		    t->index > (UINT64_MAX - v) / 1000)
			return AK_EINVAL;
		t->index = t->index * 1000 + v;
		if (p == end)
			break;
		if (*p == '/') {
			p++;
			continue;
		}
		if (end - p < 4 || memcmp(p, ".p/", 3) != 0)
			return AK_EINVAL;
		p += 3;
		if (digits(&p, end, 3, &t->width) != 0 || p != end)
			return AK_EINVAL;
		break;
	}
	/* The one spelling of what was read, against what was sent: a level
	 * over 63 or a width of 0 has none, .p/256 is spelt without .p. */
	n = tilepath_format(canon, sizeof canon, t);
	if (n < 0)
		return AK_EINVAL;
	tail = canon + (t->entries ? strlen("tile/entries/") : strlen("tile/"));
	prefix = (size_t)(tail - canon);
	if ((size_t)n - prefix != len || memcmp(tail, text, len) != 0)
		return AK_EINVAL;
	return 0;
}

uint64_t tilepath_nodes(unsigned level, uint64_t size)
{
	unsigned shift = level * TILE_HEIGHT;

	return shift >= 64 ? 0 : size >> shift;
}

int tilepath_covered(const struct tilepath *t, uint64_t size)
{
	uint64_t nodes = tilepath_nodes(t->level, size);

	if (t->width == 0 || t->width > TILE_WIDTH ||
	    t->index > (UINT64_MAX - t->width) / TILE_WIDTH)
		return 0;
	return t->index * TILE_WIDTH + t->width <= nodes;
}
