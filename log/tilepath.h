/*
 * tilepath: the paths of C2SP tlog-tiles, the log served as static
 * tiles (docs/API.md, "The log as tiles"):
 *
 *   tile/<L>/<N>[.p/<W>]        a hash tile: the 256 (or W) hashes at
 *                               tree level 8L, indices N*256 .. N*256+255
 *   tile/entries/<N>[.p/<W>]    an entry bundle: leaves N*256 .. N*256+255
 *
 * <L> is 0..63 in decimal with no leading zero; <N> is split into
 * zero-padded groups of three digits, every group but the last led by an
 * "x" (1234067 is x001/x234/067); <W> is 1..255 with no leading zero. A
 * path has exactly one spelling: the parser re-encodes what it read and
 * refuses anything that is not that encoding (x000/005, 5, 0005, .p/0,
 * .p/256, x on the last group), as it refuses any byte it does not expect.
 *
 * Pure code: no I/O, no allocation.
 */
#ifndef ANKANG_TILEPATH_H
#define ANKANG_TILEPATH_H

#include <stddef.h>
#include <stdint.h>

#define TILE_HEIGHT    8   /* tree levels a tile spans */
#define TILE_WIDTH     256 /* hashes (or entries) in a full tile */
#define TILE_LEVEL_MAX 63  /* the spec's bound on <L> */
#define TILEPATH_MAX   64  /* the longest path, with its NUL */

struct tilepath {
	int entries;    /* 1: an entry bundle, 0: a hash tile */
	unsigned level; /* L (0 for a bundle) */
	uint64_t index; /* N */
	unsigned width; /* TILE_WIDTH for a full tile, 1 .. 255 for .p/W */
};

/*
 * Parses the part of a path after "<prefix>/tile/": "<L>/<N>[.p/<W>]" for
 * a hash tile, or, with entries set, "<N>[.p/<W>]" (what follows
 * "tile/entries/"). 0, or AK_EINVAL for anything but the canonical
 * spelling of a tile the spec allows (an index too large for 64 bits
 * included).
 */
int tilepath_parse(struct tilepath *t, int entries, const char *text, size_t len);

/* Writes "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" and a NUL;
 * returns its length, or AK_EINVAL for a tile that has no path (a level
 * over 63, a width of 0 or over 256). */
int tilepath_format(char *out, size_t cap, const struct tilepath *t);

/*
 * Whether a tree of size leaves holds every hash (or entry) of t: the
 * nodes at level 8L from N*256 to N*256+W-1 are all complete. A partial
 * tile is covered as soon as its W nodes are, whether or not the full
 * tile is too. 1 or 0; no overflow for any t or size.
 */
int tilepath_covered(const struct tilepath *t, uint64_t size);

/* The number of complete nodes at tree level 8L of a tree of size
 * leaves: size >> 8L (0 past level 63). */
uint64_t tilepath_nodes(unsigned level, uint64_t size);

#endif
