/*
 * fuzz_tilepath: libFuzzer target for log/tilepath.c, the tlog-tiles
 * paths any client sends to /log/tile/.
 *
 * The first byte says which form (odd: an entry bundle's "N[.p/W]",
 * even: a hash tile's "L/N[.p/W]"); the rest is the path. A path that
 * parses must format back to exactly itself (one spelling per tile), and
 * tilepath_covered must agree with the arithmetic done in 128 bits.
 * Then the input's bytes as a tile (level, index, width) must format and
 * parse back to the same tile, or be refused by both.
 *
 * Seeds: fuzz/corpus/tilepath/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log/tilepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void covered_agrees(const struct tilepath *t, uint64_t size)
{
	unsigned shift = t->level * TILE_HEIGHT;
	unsigned __int128 nodes = shift >= 64 ? 0 : size >> shift;
	unsigned __int128 end = (unsigned __int128)t->index * TILE_WIDTH + t->width;

	if (tilepath_covered(t, size) != (t->width > 0 && t->width <= TILE_WIDTH && end <= nodes))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tilepath t, back;
	char out[TILEPATH_MAX];
	uint64_t v = 0;
	int n;

	if (size == 0)
		return 0;
	if (tilepath_parse(&t, data[0] & 1, (const char *)data + 1, size - 1) == 0) {
		const char *prefix = t.entries ? "tile/entries/" : "tile/";
		n = tilepath_format(out, sizeof out, &t);
		if (n < 0 || (size_t)n != strlen(prefix) + size - 1 ||
		    memcmp(out + strlen(prefix), data + 1, size - 1) != 0)
			__builtin_trap();
		memcpy(&v, data, size < sizeof v ? size : sizeof v);
		covered_agrees(&t, v);
		covered_agrees(&t, UINT64_MAX - v);
	}

	/* The bytes as a tile. */
	memset(&t, 0, sizeof t);
	memcpy(&t.index, data, size < 8 ? size : 8);
	t.entries = data[0] & 1;
	t.level = t.entries ? 0 : (size > 8 ? data[8] % 70 : 0);
	t.width = size > 9 ? (unsigned)data[9] + (size > 10 ? data[10] & 1 : 0) : TILE_WIDTH;
	n = tilepath_format(out, sizeof out, &t);
	if (n >= 0) {
		size_t skip = t.entries ? strlen("tile/entries/") : strlen("tile/");
		if (tilepath_parse(&back, t.entries, out + skip, (size_t)n - skip) != 0 ||
		    back.entries != t.entries || back.level != t.level || back.index != t.index ||
		    back.width != t.width)
			__builtin_trap();
	} else if (t.level <= TILE_LEVEL_MAX && t.width >= 1 && t.width <= TILE_WIDTH) {
		__builtin_trap(); /* a tile the spec allows has a path */
	}
	return 0;
}
