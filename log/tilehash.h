/*
 * tilehash: a Merkle tree read from C2SP tlog-tiles hash tiles alone, as
 * a client that trusts only a signed checkpoint (size, root) reads it, in
 * the manner of Go's sumdb/tlog TileHashReader.
 *
 * Geometry. A tree of `size` leaves has, at tile level L (tree level 8L),
 * size >> 8L complete nodes: floor(nodes / 256) full tiles and, when
 * nodes % 256 > 0, one partial tile of that width. A perfect subtree of
 * height h = 8L + r (r < 8) is the root of 2^r aligned hashes of one
 * level-L tile, so every perfect subtree of any tree of up to `size`
 * leaves, and so every root and proof, is computed from these tiles.
 *
 * Authentication. No hash is used before its tile is authenticated:
 *   - the partial tiles, one per level at most, are exactly the tiles the
 *     root is computed from, so they are authenticated together when the
 *     root they give equals the signed root (tilehash_open);
 *   - a full tile is authenticated when the root of its 256 hashes equals
 *     its hash in the (authenticated) tile above; the top level always
 *     has a partial tile, so the chain ends at the root.
 * A tile that fails is asked for once more with `again` set (a source may
 * then skip a local copy and go to the network); a second failure is
 * AK_ECRYPTO, and tilehash_bad() names the tile. Only authenticated tiles
 * reach io->keep (a mirror writes only those).
 *
 * Library code: no I/O of its own (io->fetch does it), never prints.
 */
#ifndef ANKANG_TILEHASH_H
#define ANKANG_TILEHASH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "log/tilepath.h"

/* Tile levels a tree of fewer than 2^64 leaves can have (64 / 8). */
#define TILEHASH_LEVELS 8
/* The bytes of a full hash tile. */
#define TILEHASH_FULL_BYTES (TILE_WIDTH * MERKLE_HASH_BYTES)

/* How many hash tiles (full and partial) level L of a tree of size has. */
uint64_t tilehash_count(unsigned level, uint64_t size);

/* Fills t with hash tile n of level L as a tree of size has it (full, or
 * its partial width). 0, or AK_ENOENT when the tree has no such tile. */
int tilehash_tile(struct tilepath *t, unsigned level, uint64_t n, uint64_t size);

/* The hash a full tile stands for in the tile above: the root of its 256
 * hashes (hashes: TILEHASH_FULL_BYTES). */
void tilehash_full_root(merkle_hash out, const uint8_t *hashes);

struct tilehash_io {
	/* Writes the t->width hashes of hash tile t into out (t->width * 32
	 * bytes). again is 1 when the bytes it gave for t before did not
	 * authenticate. 0 or a negative AK_E* code, passed back up. */
	int (*fetch)(void *ctx, const struct tilepath *t, int again, uint8_t *out);
	/* Told of each tile once it is authenticated; may be NULL. A
	 * non-zero return is passed back up. */
	int (*keep)(void *ctx, const struct tilepath *t, const uint8_t *hashes);
	void *ctx;
};

typedef struct tilehash tilehash;

/*
 * Reads the partial tiles of a tree of size leaves and checks that they
 * hash to root. 0; AK_ECRYPTO when they do not (after asking again);
 * fetch's or keep's error; AK_ENOMEM. The io is copied.
 */
int tilehash_open(tilehash **out, uint64_t size, const merkle_hash root,
		  const struct tilehash_io *io);

/* NULL is a no-op. */
void tilehash_close(tilehash *th);

/* The size and root it was opened with. */
uint64_t tilehash_size(const tilehash *th);

/*
 * The hashes of tile n of level L, authenticated (fetching it, and the
 * tiles above it, if needed). *hashes stays valid until tilehash_drop of
 * that tile or tilehash_close. 0; AK_EINVAL for a tile the tree has not;
 * AK_ECRYPTO (tilehash_bad says which); fetch's errors; AK_ENOMEM.
 */
int tilehash_get(tilehash *th, unsigned level, uint64_t n, const uint8_t **hashes);

/* Frees a tile's hashes, which a later get fetches again: a walk over a
 * whole log keeps only the tiles it still needs. */
void tilehash_drop(tilehash *th, unsigned level, uint64_t n);

/* The tile that failed authentication last (after AK_ECRYPTO). */
const struct tilepath *tilehash_bad(const tilehash *th);

/* How many tiles were authenticated so far (each counted once). */
uint64_t tilehash_authenticated(const tilehash *th);

/* A merkle_node_fn (ctx: the tilehash) over authenticated tiles: the
 * perfect subtree of height h at index i, anywhere inside the tree. */
int tilehash_node(void *ctx, unsigned h, uint64_t i, merkle_hash out);

/* Proofs (crypto/merkle.h) from tiles: inclusion of index in the tree of
 * size (<= the tilehash's), consistency from size1 to size2 (<= it). */
int tilehash_prove_inclusion(tilehash *th, uint64_t index, uint64_t size, merkle_hash *proof,
			     size_t *n);
int tilehash_prove_consistency(tilehash *th, uint64_t size1, uint64_t size2, merkle_hash *proof,
			       size_t *n);

#endif
