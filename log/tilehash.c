/*
 * tilehash: a tree's hashes from authenticated tlog-tiles hash tiles (see
 * tilehash.h for the geometry and the authentication rules).
 *
 * The tiles read are kept in a small open-addressing table keyed by
 * (level, index): a walk over a whole log touches every level-0 tile
 * once, a proof a handful of tiles, so neither a per-level array sized
 * by the tree (2^55 slots at level 0 for the largest tree) nor a list
 * would do. A slot is never removed; tilehash_drop frees its hashes only.
 *
 * Invariant: outside tilehash_open, a slot with hashes holds an
 * authenticated tile. Inside it, the partial tiles are held unchecked
 * until the root they give is compared with the signed one.
 */
#include "log/tilehash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"

struct slot {
	uint64_t index;
	unsigned level; /* TILEHASH_LEVELS: an empty slot */
	uint8_t *hashes;
};

struct tilehash {
	uint64_t size;
	merkle_hash root;
	struct tilehash_io io;
	struct slot *slots;
	size_t cap, used; /* cap: a power of two */
	struct tilepath bad;
	uint64_t authenticated;
};

/* ------------------------------------------------------------- geometry */

uint64_t tilehash_count(unsigned level, uint64_t size)
{
	uint64_t nodes = tilepath_nodes(level, size);

	return nodes / TILE_WIDTH + (nodes % TILE_WIDTH != 0);
}

int tilehash_tile(struct tilepath *t, unsigned level, uint64_t n, uint64_t size)
{
	uint64_t nodes = tilepath_nodes(level, size);

	memset(t, 0, sizeof *t);
	if (level >= TILEHASH_LEVELS || n >= tilehash_count(level, size))
		return AK_ENOENT;
	t->level = level;
	t->index = n;
	t->width = n < nodes / TILE_WIDTH ? TILE_WIDTH : (unsigned)(nodes % TILE_WIDTH);
	return 0;
}

/* The root of the count (a power of two, at most 256) hashes at h. */
static void subtree(merkle_hash out, const uint8_t *h, size_t count)
{
	merkle_hash buf[TILE_WIDTH];

	assert(count >= 1 && count <= TILE_WIDTH && (count & (count - 1)) == 0);
	memcpy(buf, h, count * MERKLE_HASH_BYTES);
	for (; count > 1; count /= 2)
		for (size_t k = 0; k < count / 2; k++)
			merkle_node_hash(buf[k], buf[2 * k], buf[2 * k + 1]);
	memcpy(out, buf[0], MERKLE_HASH_BYTES);
}

void tilehash_full_root(merkle_hash out, const uint8_t *hashes)
{
	subtree(out, hashes, TILE_WIDTH);
}

/* ---------------------------------------------------------------- cache */

static size_t slot_of(const tilehash *th, unsigned level, uint64_t n)
{
	uint64_t k = (n * 0x9e3779b97f4a7c15ull) ^ level;
	size_t i = (size_t)(k ^ (k >> 29)) & (th->cap - 1);

	while (th->slots[i].level != TILEHASH_LEVELS &&
	       (th->slots[i].level != level || th->slots[i].index != n))
		i = (i + 1) & (th->cap - 1);
	return i;
}

static int grow(tilehash *th)
{
	struct slot *old = th->slots;
	size_t oldcap = th->cap, cap = oldcap ? oldcap * 2 : 64;

	if ((th->slots = malloc(cap * sizeof *th->slots)) == NULL) {
		th->slots = old;
		return AK_ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		th->slots[i] = (struct slot){0, TILEHASH_LEVELS, NULL};
	th->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].level != TILEHASH_LEVELS)
			th->slots[slot_of(th, old[i].level, old[i].index)] = old[i];
	free(old);
	return 0;
}

/* The slot for (level, n), made if missing; NULL when out of memory. */
static struct slot *slot(tilehash *th, unsigned level, uint64_t n)
{
	size_t i;

	if (2 * (th->used + 1) > th->cap && grow(th) != 0)
		return NULL;
	i = slot_of(th, level, n);
	if (th->slots[i].level == TILEHASH_LEVELS) {
		th->slots[i].level = level;
		th->slots[i].index = n;
		th->used++;
	}
	return &th->slots[i];
}

/* Fetches tile t into a new buffer (*out). */
static int fetch(tilehash *th, const struct tilepath *t, int again, uint8_t **out)
{
	uint8_t *buf = malloc((size_t)t->width * MERKLE_HASH_BYTES);
	int rc;

	*out = NULL;
	if (buf == NULL)
		return AK_ENOMEM;
	if ((rc = th->io.fetch(th->io.ctx, t, again, buf)) != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static int keep(tilehash *th, const struct tilepath *t, const uint8_t *hashes)
{
	th->authenticated++;
	return th->io.keep != NULL ? th->io.keep(th->io.ctx, t, hashes) : 0;
}

/* ------------------------------------------------------------- the root */

/* Node reads during tilehash_open: the partial tiles, not yet checked. */
static int unchecked_node(void *ctx, unsigned h, uint64_t i, merkle_hash out)
{
	tilehash *th = ctx;
	unsigned level = h / TILE_HEIGHT, r = h % TILE_HEIGHT;
	uint64_t first = i << r;
	const struct slot *s = &th->slots[slot_of(th, level, first / TILE_WIDTH)];

	/* The root reads only partial tiles (tilehash.h): anything else
	 * here is a bug in that reasoning, not in the tiles. */
	assert(s->hashes != NULL);
	if (s->hashes == NULL)
		return AK_ECORRUPT;
	subtree(out, s->hashes + (first % TILE_WIDTH) * MERKLE_HASH_BYTES, (size_t)1 << r);
	return 0;
}

/* Fetches every partial tile (again: a second time) into its slot. */
static int fetch_partials(tilehash *th, int again)
{
	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		uint64_t nodes = tilepath_nodes(level, th->size);
		struct tilepath t;
		struct slot *s;
		int rc;

		if (nodes % TILE_WIDTH == 0)
			continue;
		tilehash_tile(&t, level, nodes / TILE_WIDTH, th->size);
		if ((s = slot(th, level, t.index)) == NULL)
			return AK_ENOMEM;
		free(s->hashes);
		s->hashes = NULL;
		if ((rc = fetch(th, &t, again, &s->hashes)) != 0)
			return rc;
	}
	return 0;
}

static int check_root(tilehash *th)
{
	merkle_hash got;
	int rc;

	for (int again = 0; again < 2; again++) {
		if ((rc = fetch_partials(th, again)) != 0)
			return rc;
		if ((rc = merkle_root(got, th->size, unchecked_node, th)) != 0)
			return rc;
		if (sodium_memcmp(got, th->root, MERKLE_HASH_BYTES) == 0)
			break;
		if (again) {
			/* Which partial tile lied is unknowable; name the
			 * lowest, the one the root reads first. */
			uint64_t nodes = th->size;
			unsigned level = 0;
			while (nodes % TILE_WIDTH == 0) {
				nodes >>= TILE_HEIGHT;
				level++;
			}
			tilehash_tile(&th->bad, level, nodes / TILE_WIDTH, th->size);
			return AK_ECRYPTO;
		}
	}
	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		uint64_t nodes = tilepath_nodes(level, th->size);
		struct tilepath t;
		if (nodes % TILE_WIDTH == 0)
			continue;
		tilehash_tile(&t, level, nodes / TILE_WIDTH, th->size);
		if ((rc = keep(th, &t, th->slots[slot_of(th, level, t.index)].hashes)) != 0)
			return rc;
	}
	return 0;
}

int tilehash_open(tilehash **out, uint64_t size, const merkle_hash root,
		  const struct tilehash_io *io)
{
	tilehash *th;
	int rc;

	*out = NULL;
	if ((th = calloc(1, sizeof *th)) == NULL)
		return AK_ENOMEM;
	th->size = size;
	memcpy(th->root, root, MERKLE_HASH_BYTES);
	th->io = *io;
	if ((rc = grow(th)) != 0 || (rc = check_root(th)) != 0) {
		*out = th; /* for tilehash_bad; the caller closes it */
		return rc;
	}
	*out = th;
	return 0;
}

void tilehash_close(tilehash *th)
{
	if (th == NULL)
		return;
	for (size_t i = 0; i < th->cap; i++)
		free(th->slots[i].hashes);
	free(th->slots);
	free(th);
}

uint64_t tilehash_size(const tilehash *th)
{
	return th->size;
}

const struct tilepath *tilehash_bad(const tilehash *th)
{
	return &th->bad;
}

uint64_t tilehash_authenticated(const tilehash *th)
{
	return th->authenticated;
}

/* ------------------------------------------------------------ the tiles */

int tilehash_get(tilehash *th, unsigned level, uint64_t n, const uint8_t **hashes)
{
	struct tilepath t;
	struct slot *s;
	const uint8_t *above;
	merkle_hash got;
	uint8_t *buf = NULL;
	int rc;

	*hashes = NULL;
	if (tilehash_tile(&t, level, n, th->size) != 0)
		return AK_EINVAL;
	if ((s = slot(th, level, n)) == NULL)
		return AK_ENOMEM;
	if (s->hashes != NULL) {
		*hashes = s->hashes;
		return 0;
	}
	/* Not held: a full tile (the partial ones are held from open on),
	 * checked against its hash in the tile above. The slot pointer is
	 * not kept across the recursion, which may grow the table. */
	assert(t.width == TILE_WIDTH);
	if (t.width != TILE_WIDTH)
		return AK_ECORRUPT;
	if ((rc = tilehash_get(th, level + 1, n / TILE_WIDTH, &above)) != 0)
		return rc;
	above += (n % TILE_WIDTH) * MERKLE_HASH_BYTES;
	for (int again = 0; again < 2; again++) {
		free(buf);
		if ((rc = fetch(th, &t, again, &buf)) != 0)
			return rc;
		tilehash_full_root(got, buf);
		if (sodium_memcmp(got, above, MERKLE_HASH_BYTES) == 0)
			break;
		if (again) {
			free(buf);
			th->bad = t;
			return AK_ECRYPTO;
		}
	}
	if ((rc = keep(th, &t, buf)) != 0) {
		free(buf);
		return rc;
	}
	s = &th->slots[slot_of(th, level, n)];
	s->hashes = buf;
	*hashes = buf;
	return 0;
}

void tilehash_drop(tilehash *th, unsigned level, uint64_t n)
{
	struct tilepath t;
	struct slot *s;

	/* Partial tiles are never fetched again outside open: keep them. */
	if (tilehash_tile(&t, level, n, th->size) != 0 || t.width != TILE_WIDTH)
		return;
	s = &th->slots[slot_of(th, level, n)];
	if (s->level == level && s->index == n) {
		free(s->hashes);
		s->hashes = NULL;
	}
}

int tilehash_node(void *ctx, unsigned h, uint64_t i, merkle_hash out)
{
	tilehash *th = ctx;
	unsigned level = h / TILE_HEIGHT, r = h % TILE_HEIGHT;
	const uint8_t *hashes;
	uint64_t first;
	int rc;

	if (level >= TILEHASH_LEVELS || i > (UINT64_MAX >> r))
		return AK_EINVAL;
	first = i << r;
	if ((rc = tilehash_get(th, level, first / TILE_WIDTH, &hashes)) != 0)
		return rc;
	subtree(out, hashes + (first % TILE_WIDTH) * MERKLE_HASH_BYTES, (size_t)1 << r);
	return 0;
}

int tilehash_prove_inclusion(tilehash *th, uint64_t index, uint64_t size, merkle_hash *proof,
			     size_t *n)
{
	*n = 0;
	if (size > th->size)
		return AK_EINVAL;
	return merkle_prove_inclusion(proof, n, index, size, tilehash_node, th);
}

int tilehash_prove_consistency(tilehash *th, uint64_t size1, uint64_t size2, merkle_hash *proof,
			       size_t *n)
{
	*n = 0;
	if (size2 > th->size)
		return AK_EINVAL;
	return merkle_prove_consistency(proof, n, size1, size2, tilehash_node, th);
}
