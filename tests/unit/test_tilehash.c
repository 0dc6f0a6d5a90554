/*
 * test_tilehash: a tree read from tlog-tiles hash tiles (log/tilehash.h)
 * and entry bundles (log/tilebundle.h), against crypto/merkle.h on the
 * same leaves.
 *
 * Trees of many sizes, the tile boundaries among them (1, 255, 256, 257,
 * 65535, 65536, 65537, the spec's 70,000) and random ones: the tiles are
 * cut from a reference built level by level here, the root opened from
 * them must be the reference root, every full tile must authenticate,
 * and inclusion and consistency proofs built from tiles must equal
 * merkle.h's proofs over the reference and verify. Tampered twins: a
 * partial tile with one bit changed fails open, a full tile fails its
 * get, and a source that gives a bad tile first and the right one when
 * asked again is accepted; only authenticated tiles reach keep. Bundles:
 * the framing is strict.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/merkle.h"
#include "log/tilebundle.h"
#include "log/tilehash.h"
#include "tests/lib/tap.h"

#define MAXH 20 /* tree levels for up to 2^19 leaves and a bit */

/* The reference: every complete node of every level. */
struct ref {
	uint64_t size;
	merkle_hash *lv[MAXH];
	uint64_t n[MAXH];
};

static void ref_build(struct ref *r, uint64_t size, uint32_t seed)
{
	memset(r, 0, sizeof *r);
	r->size = size;
	r->lv[0] = malloc((size ? size : 1) * sizeof(merkle_hash));
	r->n[0] = size;
	for (uint64_t i = 0; i < size; i++) {
		uint8_t leaf[12];
		memcpy(leaf, &seed, 4);
		memcpy(leaf + 4, &i, 8);
		merkle_leaf_hash(r->lv[0][i], leaf, sizeof leaf);
	}
	for (unsigned h = 1; h < MAXH; h++) {
		r->n[h] = r->n[h - 1] / 2;
		r->lv[h] = malloc((r->n[h] ? r->n[h] : 1) * sizeof(merkle_hash));
		for (uint64_t i = 0; i < r->n[h]; i++)
			merkle_node_hash(r->lv[h][i], r->lv[h - 1][2 * i], r->lv[h - 1][2 * i + 1]);
	}
}

static void ref_free(struct ref *r)
{
	for (unsigned h = 0; h < MAXH; h++)
		free(r->lv[h]);
}

static int ref_node(void *ctx, unsigned h, uint64_t i, merkle_hash out)
{
	const struct ref *r = ctx;

	if (h >= MAXH || i >= r->n[h])
		return AK_ENOENT;
	memcpy(out, r->lv[h][i], MERKLE_HASH_BYTES);
	return 0;
}

/* The tile source: tiles cut from the reference, with faults on demand. */
struct src {
	struct ref *r;
	unsigned bad_level; /* this tile's first fetch has a bit flipped */
	uint64_t bad_index;
	int bad_always; /* ... and every fetch of it */
	long fetches, kept, kept_bad;
};

static int src_fetch(void *ctx, const struct tilepath *t, int again, uint8_t *out)
{
	struct src *s = ctx;
	const merkle_hash *row = (const merkle_hash *)s->r->lv[t->level * TILE_HEIGHT];

	s->fetches++;
	memcpy(out, row + t->index * TILE_WIDTH, (size_t)t->width * MERKLE_HASH_BYTES);
	if (t->level == s->bad_level && t->index == s->bad_index && (!again || s->bad_always))
		out[(t->width - 1) * MERKLE_HASH_BYTES + 3] ^= 0x10;
	return 0;
}

static int src_keep(void *ctx, const struct tilepath *t, const uint8_t *hashes)
{
	struct src *s = ctx;
	const merkle_hash *row = (const merkle_hash *)s->r->lv[t->level * TILE_HEIGHT];

	s->kept++;
	if (memcmp(hashes, row + t->index * TILE_WIDTH, (size_t)t->width * MERKLE_HASH_BYTES) != 0)
		s->kept_bad++;
	return 0;
}

/* Which tile the source spoils, and whether only on the first fetch. */
static void fault(struct src *s, unsigned level, uint64_t index, int always)
{
	s->bad_level = level;
	s->bad_index = index;
	s->bad_always = always;
}

struct tally {
	long run, bad;
	char first[160];
};

static void tally(struct tally *t, int pass, uint64_t size, const char *what)
{
	t->run++;
	if (!pass && t->bad++ == 0)
		snprintf(t->first, sizeof t->first, "size %llu: %s", (unsigned long long)size,
			 what);
}

static void tally_ok(const struct tally *t, const char *what)
{
	ok(t->bad == 0 && t->run > 0, "%s (%ld cases)", what, t->run);
	if (t->bad)
		diag("%ld failed, first: %s", t->bad, t->first);
}

static struct tally t_root, t_full, t_incl, t_cons, t_keep, t_tamper, t_again;

static int same_proof(const merkle_hash *a, size_t na, const merkle_hash *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Inclusion and consistency from tiles against the reference, at index
 * (or old size) x, in trees of the tile reader's size and of size2. */
static void proofs_at(tilehash *th, struct ref *r, uint64_t x, uint64_t size2)
{
	merkle_hash p1[MERKLE_MAX_PROOF], p2[MERKLE_MAX_PROOF], root2, root1;
	size_t n1, n2;

	merkle_root(root2, size2, ref_node, r);
	if (x < size2) {
		int got = tilehash_prove_inclusion(th, x, size2, p1, &n1);
		int want = merkle_prove_inclusion(p2, &n2, x, size2, ref_node, r);
		tally(&t_incl,
		      got == 0 && want == 0 && same_proof(p1, n1, p2, n2) &&
			  merkle_verify_inclusion(r->lv[0][x], x, size2, p1, n1, root2) == 0,
		      r->size, "inclusion");
	}
	if (x >= 1 && x <= size2) {
		int got = tilehash_prove_consistency(th, x, size2, p1, &n1);
		int want = merkle_prove_consistency(p2, &n2, x, size2, ref_node, r);
		merkle_root(root1, x, ref_node, r);
		tally(&t_cons,
		      got == 0 && want == 0 && same_proof(p1, n1, p2, n2) &&
			  merkle_verify_consistency(x, size2, root1, root2, p1, n1) == 0,
		      r->size, "consistency");
	}
}

static void one_size(uint64_t size, uint32_t seed, int nproofs)
{
	struct ref r;
	struct src s = {0};
	struct tilehash_io io = {src_fetch, src_keep, &s};
	tilehash *th = NULL;
	merkle_hash root;
	uint64_t full = 0;
	int rc;

	ref_build(&r, size, seed);
	s.r = &r;
	s.bad_level = TILEHASH_LEVELS;
	merkle_root(root, size, ref_node, &r);
	rc = tilehash_open(&th, size, root, &io);
	tally(&t_root, rc == 0, size, "open");
	if (rc != 0) {
		tilehash_close(th);
		ref_free(&r);
		return;
	}
	/* Every full tile authenticates against the tile above. */
	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		uint64_t nfull = tilepath_nodes(level, size) / TILE_WIDTH;
		for (uint64_t n = 0; n < nfull; n++) {
			const uint8_t *h;
			int g = tilehash_get(th, level, n, &h);
			tally(&t_full,
			      g == 0 && memcmp(h, r.lv[level * TILE_HEIGHT][n * TILE_WIDTH],
					       TILEHASH_FULL_BYTES) == 0,
			      size, "full tile");
			full++;
		}
	}
	/* Proofs at the ends, the tile edges, and random points. */
	for (int k = 0; k < nproofs; k++) {
		uint64_t x = k < 4   ? (uint64_t[]){0, 1, size - 1, size}[k]
			     : k < 8 ? (uint64_t)(TILE_WIDTH * (k - 3)) - (k % 2)
				     : randombytes_uniform((uint32_t)size + 1);
		uint64_t size2 =
		    k % 3 == 0
			? size
			: x + randombytes_uniform((uint32_t)(size - (x < size ? x : size)) + 1);
		if (x > size)
			continue;
		if (size2 > size)
			size2 = size;
		proofs_at(th, &r, x, size2);
	}
	tally(&t_keep, s.kept_bad == 0 && (uint64_t)s.kept == tilehash_authenticated(th), size,
	      "only authenticated tiles kept");
	tilehash_close(th);
	(void)full;

	/* Tampered twins: the partial tile of level 0 (the root reads it) and
	 * a full tile of level 0 (its parent holds it). */
	if (size % TILE_WIDTH != 0) {
		fault(&s, 0, size / TILE_WIDTH, 1);
		s.kept = s.kept_bad = 0;
		rc = tilehash_open(&th, size, root, &io);
		tally(&t_tamper, rc == AK_ECRYPTO && s.kept == 0, size, "a bad partial tile");
		tilehash_close(th);
		s.bad_always = 0;
		rc = tilehash_open(&th, size, root, &io);
		tally(&t_again, rc == 0 && s.kept_bad == 0, size,
		      "a bad partial tile, then a good one");
		tilehash_close(th);
	}
	if (size >= TILE_WIDTH) {
		const uint8_t *h;
		uint64_t n = randombytes_uniform((uint32_t)(size / TILE_WIDTH));
		fault(&s, 0, n, 1);
		s.kept_bad = 0;
		th = NULL;
		rc = tilehash_open(&th, size, root, &io);
		if (rc == 0)
			rc = tilehash_get(th, 0, n, &h);
		tally(&t_tamper,
		      rc == AK_ECRYPTO && tilehash_bad(th)->level == 0 &&
			  tilehash_bad(th)->index == n && s.kept_bad == 0,
		      size, "a bad full tile");
		tilehash_close(th);
		fault(&s, 0, n, 0);
		rc = tilehash_open(&th, size, root, &io);
		if (rc == 0)
			rc = tilehash_get(th, 0, n, &h);
		tally(&t_again, rc == 0 && s.kept_bad == 0, size,
		      "a bad full tile, then a good one");
		tilehash_close(th);
	}
	/* Another root: the same tiles do not open. */
	if (size > 0) {
		root[0] ^= 1;
		fault(&s, TILEHASH_LEVELS, 0, 0);
		rc = tilehash_open(&th, size, root, &io);
		tally(&t_tamper, rc == AK_ECRYPTO, size, "another root");
		tilehash_close(th);
	}
	ref_free(&r);
}

static void geometry(void)
{
	struct tilepath t;

	is_int(tilehash_count(0, 70000), 274, "70,000 leaves: 274 tiles at level 0");
	is_int(tilehash_count(1, 70000), 2, "  2 at level 1");
	is_int(tilehash_count(2, 70000), 1, "  1 at level 2");
	is_int(tilehash_count(3, 70000), 0, "  none at level 3");
	ok(tilehash_tile(&t, 0, 273, 70000) == 0 && t.width == 112 && !t.entries,
	   "  tile 0/273 is partial, 112 wide");
	ok(tilehash_tile(&t, 1, 1, 70000) == 0 && t.width == 17, "  tile 1/001 is 17 wide");
	ok(tilehash_tile(&t, 2, 0, 70000) == 0 && t.width == 1, "  tile 2/000 is 1 wide");
	ok(tilehash_tile(&t, 0, 272, 70000) == 0 && t.width == TILE_WIDTH, "  tile 0/272 is full");
	ok(tilehash_tile(&t, 0, 274, 70000) == AK_ENOENT, "  there is no tile 0/274");
	ok(tilehash_tile(&t, 8, 0, UINT64_MAX) == AK_ENOENT, "  no level 8, even at 2^64 - 1");
	is_int(tilehash_count(7, UINT64_MAX), 1, "  2^64 - 1 leaves: one tile at level 7");
	is_int(tilehash_count(0, 0), 0, "the empty tree has no tile");
}

struct collect {
	unsigned n;
	size_t lens[TILE_WIDTH];
};

static int collect(void *ctx, unsigned k, const uint8_t *entry, size_t len)
{
	struct collect *c = ctx;
	(void)entry;
	if (k != c->n)
		return 99;
	c->lens[c->n++] = len;
	return 0;
}

static void bundles(void)
{
	uint8_t b[64];
	struct collect c;

	memcpy(b,
	       "\x00\x03"
	       "abc"
	       "\x00\x01"
	       "z",
	       8);
	memset(&c, 0, sizeof c);
	ok(tilebundle_parse(b, 8, 2, collect, &c) == 0 && c.n == 2 && c.lens[0] == 3 &&
	       c.lens[1] == 1,
	   "a bundle of two entries, 3 and 1 bytes");
	memset(&c, 0, sizeof c);
	ok(tilebundle_parse(b, 8, 3, collect, &c) == AK_EINVAL && c.n == 0,
	   "  refused as three entries, and nothing handed out");
	ok(tilebundle_parse(b, 8, 1, collect, &c) == AK_EINVAL, "  refused as one");
	ok(tilebundle_parse(b, 7, 2, collect, &c) == AK_EINVAL, "  cut short by a byte: refused");
	ok(tilebundle_parse(b, 9, 2, collect, &c) == AK_EINVAL, "  a byte after the last: refused");
	memcpy(b,
	       "\x00\x00"
	       "\x00\x01"
	       "z",
	       5);
	ok(tilebundle_parse(b, 5, 2, collect, &c) == AK_EINVAL, "an empty entry: refused");
	ok(tilebundle_parse(b, 0, 0, collect, &c) == AK_EINVAL, "a width of 0: refused");
	memcpy(b,
	       "\x00\x01"
	       "a",
	       3);
	c.n = 5; /* collect answers 99 to an entry it did not expect */
	is_int(tilebundle_parse(b, 3, 1, collect, &c), 99, "the callback's value comes back");
}

int main(void)
{
	static const uint64_t sizes[] = {1,     2,     3,     7,     8,     100,   255,
					 256,   257,   511,   512,   513,   767,   4096,
					 65535, 65536, 65537, 65792, 70000, 131073};

	if (sodium_init() < 0)
		return 1;
	geometry();
	bundles();
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		one_size(sizes[i], (uint32_t)i, sizes[i] > 60000 ? 24 : 64);
	for (int i = 0; i < 40; i++)
		one_size(1 + randombytes_uniform(3000), 1000 + (uint32_t)i, 16);
	for (int i = 0; i < 3; i++)
		one_size(60000 + randombytes_uniform(20000), 2000 + (uint32_t)i, 16);
	tally_ok(&t_root, "the root opened from the tiles is merkle.h's");
	tally_ok(&t_full, "every full tile authenticates against the tile above");
	tally_ok(&t_incl, "inclusion proofs from tiles are merkle.h's and verify");
	tally_ok(&t_cons, "consistency proofs from tiles are merkle.h's and verify");
	tally_ok(&t_keep, "keep hears of authenticated tiles only, each once");
	tally_ok(&t_tamper, "a tile or root that lies: AK_ECRYPTO, the tile named, nothing kept");
	tally_ok(&t_again, "a bad tile, then the right one when asked again: accepted");
	return tap_done();
}
