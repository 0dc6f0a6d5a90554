/*
 * test_tilepath: the tlog-tiles path encoding (log/tilepath.h) against
 * the spec's own examples (index 1234067 is x001/x234/067; a tree of
 * 70,000 leaves has 273 full level-0 tiles, a partial one of 112, one
 * full level-1 tile, a partial one of 17 and a partial level-2 tile of
 * 1; a tree of 256 a full level-0 tile and a partial level-1 tile of 1),
 * every path parsed back from its formatting, and the spellings the spec
 * does not allow refused: leading zeros, an x misplaced or missing, a
 * width of 0 or 256, a level over 63, trailing or stray bytes.
 */
#include <string.h>

#include "common/util.h"
#include "log/tilepath.h"
#include "tests/lib/tap.h"

static int parses(int entries, const char *s, struct tilepath *t)
{
	return tilepath_parse(t, entries, s, strlen(s)) == 0;
}

static void good(int entries, const char *s, unsigned level, uint64_t index, unsigned width)
{
	struct tilepath t;
	char back[TILEPATH_MAX];

	ok(parses(entries, s, &t) && t.entries == entries && t.level == level && t.index == index &&
	       t.width == width,
	   "%s%s: level %u, index %llu, width %u", entries ? "entries/" : "", s, level,
	   (unsigned long long)index, width);
	/* and back, with the prefix the formatter writes */
	ok(tilepath_format(back, sizeof back, &t) > 0 &&
	       strcmp(back + strlen(entries ? "tile/entries/" : "tile/"), s) == 0,
	   "  formats back to the same path");
}

static void bad(int entries, const char *s, const char *why)
{
	struct tilepath t;

	ok(!parses(entries, s, &t), "refused: %s%s (%s)", entries ? "entries/" : "", s, why);
}

static void test_examples(void)
{
	struct tilepath t = {.level = 0, .index = 1234067, .width = TILE_WIDTH};
	char out[TILEPATH_MAX];

	tilepath_format(out, sizeof out, &t);
	is_str(out, "tile/0/x001/x234/067", "the spec's example: 1234067 is x001/x234/067");
	good(0, "0/x001/x234/067", 0, 1234067, 256);
	good(0, "0/000", 0, 0, 256);
	good(0, "0/005.p/7", 0, 5, 7);
	good(0, "1/x001/000", 1, 1000, 256);
	good(0, "2/999.p/255", 2, 999, 255);
	good(0, "63/000.p/1", 63, 0, 1);
	good(1, "x001/x234/067.p/1", 0, 1234067, 1);
	good(1, "273.p/112", 0, 273, 112);
	good(0, "0/x018/x446/x744/x073/x709/x551/615", 0, UINT64_MAX, 256);

	t = (struct tilepath){.entries = 1, .index = 273, .width = 112};
	tilepath_format(out, sizeof out, &t);
	is_str(out, "tile/entries/273.p/112", "an entry bundle's path");
}

static void test_refused(void)
{
	bad(0, "", "empty");
	bad(0, "0", "no index");
	bad(0, "0/", "an empty index");
	bad(0, "00/000", "a leading zero in L");
	bad(0, "01/000", "a leading zero in L");
	bad(0, "64/000", "L over 63");
	bad(0, "100/000", "L over 63");
	bad(0, "-1/000", "a sign");
	bad(0, "0/5", "fewer than three digits");
	bad(0, "0/0005", "more than three digits");
	bad(0, "0/x005", "an x on the last group");
	bad(0, "0/001/234", "no x on a leading group");
	bad(0, "0/x000/005", "an empty leading group (a leading zero)");
	bad(0, "0/x001/x234", "an x on the last group");
	bad(0, "0/xx001/234", "two x");
	bad(0, "0/000.p/0", "width 0");
	bad(0, "0/000.p/256", "width 256");
	bad(0, "0/000.p/01", "a leading zero in W");
	bad(0, "0/000.p/", "no width");
	bad(0, "0/000.p", "no width");
	bad(0, "0/000/", "a trailing slash");
	bad(0, "0/000.p/5/", "a trailing slash");
	bad(0, "0//000", "an empty segment");
	bad(0, "0/000.P/5", "a capital P");
	bad(0, "0/X001/000", "a capital X");
	bad(0, "0/00a", "a letter");
	bad(0, "0/x018/x446/x744/x073/x709/x551/616", "an index over 64 bits");
	bad(0, "0/x001/x000/x000/x000/x000/x000/x000/000", "eight groups");
	bad(0, "entries/000", "entries where a level goes");
	bad(1, "0/000", "a level where entries have none");
	bad(1, "000.p/256", "width 256");
	{
		struct tilepath t;
		ok(tilepath_parse(&t, 0, "0/001\0", 6) != 0, "refused: a NUL inside the path");
	}
}

static void test_covered(void)
{
	struct tilepath t = {.width = TILE_WIDTH};
	uint64_t s = 70000;

	/* The spec's tree of 70,000 leaves. */
	t.level = 0, t.index = 272;
	ok(tilepath_covered(&t, s), "70,000: level-0 tile 272 is full");
	t.index = 273;
	ok(!tilepath_covered(&t, s), "70,000: level-0 tile 273 is not full");
	t.width = 112;
	ok(tilepath_covered(&t, s), "70,000: level-0 tile 273 has 112 hashes");
	t.width = 113;
	ok(!tilepath_covered(&t, s), "70,000: not 113");
	t.level = 1, t.index = 0, t.width = TILE_WIDTH;
	ok(tilepath_covered(&t, s), "70,000: level-1 tile 0 is full");
	t.index = 1, t.width = 17;
	ok(tilepath_covered(&t, s), "70,000: level-1 tile 1 has 17");
	t.width = 18;
	ok(!tilepath_covered(&t, s), "70,000: not 18");
	t.level = 2, t.index = 0, t.width = 1;
	ok(tilepath_covered(&t, s), "70,000: level-2 tile 0 has 1");
	t.width = 2;
	ok(!tilepath_covered(&t, s), "70,000: not 2");
	t.level = 3, t.width = 1;
	ok(!tilepath_covered(&t, s), "70,000: no level-3 tile");
	is_int((long long)tilepath_nodes(1, s), 273, "70,000 leaves: 273 nodes at tree level 8");

	/* A tree of 256. */
	t = (struct tilepath){.level = 0, .index = 0, .width = TILE_WIDTH};
	ok(tilepath_covered(&t, 256), "256: a full level-0 tile");
	t.level = 1, t.width = 1;
	ok(tilepath_covered(&t, 256), "256: a level-1 tile of width 1");
	t.level = 1, t.width = 1;
	ok(!tilepath_covered(&t, 255), "255: no level-1 tile");
	t.level = 0, t.width = 255;
	ok(tilepath_covered(&t, 255) && !tilepath_covered(&t, 254), "255: a partial of 255");

	/* No overflow at the edges. */
	t = (struct tilepath){.level = 0, .index = UINT64_MAX, .width = 255};
	ok(!tilepath_covered(&t, UINT64_MAX), "the largest index overflows nothing");
	t = (struct tilepath){.level = 63, .index = 0, .width = 1};
	ok(!tilepath_covered(&t, UINT64_MAX), "level 63 covers nothing of a 64-bit tree");
	t = (struct tilepath){.level = 7, .index = 0, .width = 255};
	ok(tilepath_covered(&t, UINT64_MAX), "level 7: 255 nodes of 2^56 leaves each");
	t.width = 0;
	ok(!tilepath_covered(&t, UINT64_MAX), "width 0 covers nothing");
}

int main(void)
{
	test_examples();
	test_refused();
	test_covered();
	return tap_done();
}
