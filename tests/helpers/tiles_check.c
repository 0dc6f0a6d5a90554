/*
 * tiles_check: a test helper that reads the log as a tlog-tiles mirror
 * would, from files alone, and checks it the way any tlog client can:
 *
 *   tiles_check --list SIZE     prints the path of every hash tile and
 *                               entry bundle a tree of SIZE leaves has
 *                               (tile/..., one a line), for curl to fetch
 *   tiles_check DIR LOG.VKEY    DIR holds checkpoint and tile/... as
 *                               fetched from <prefix>/: verifies the
 *                               checkpoint with the log key, recomputes
 *                               its root from the hash tiles alone
 *                               (RFC 6962, crypto/merkle.h), holds every
 *                               full tile to its hash in the tile above,
 *                               checks that every entry of every bundle present in
 *                               DIR hashes to its level-0 tile's hash,
 *                               and proves some of them whole against
 *                               that root, each proof built from tiles
 *
 * Prints "root ok SIZE", "full tiles ok K", "entries N" (leaves matched
 * to their tile) and "proved M" (0 on success), or says what failed (1).
 * Nothing here uses the service's own proof API or its store: a tile that lies, or a bundle whose
 * leaf is not the one hashed in the level-0 tile, fails. Test data only: leaves hold no personal
 * data, and none is printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/key.h"
#include "crypto/merkle.h"
#include "log/tilepath.h"

#define LEVELS      8  /* tile levels of a tree of up to 2^64 leaves */
#define PROVE_EVERY 97 /* a leaf proven whole in so many (check_bundle) */

struct mirror {
	const char *dir;
	uint64_t size;
	/* tiles[L][N]: the hashes of tile N at level L, loaded once */
	uint8_t **tiles[LEVELS];
	uint64_t ntiles[LEVELS];
};

/* The tile t as the tree of m->size has it: full, or the partial width. */
static void tile_of(const struct mirror *m, unsigned level, uint64_t n, struct tilepath *t)
{
	uint64_t nodes = tilepath_nodes(level, m->size);

	t->entries = 0;
	t->level = level;
	t->index = n;
	t->width = (n + 1) * TILE_WIDTH <= nodes ? TILE_WIDTH : (unsigned)(nodes % TILE_WIDTH);
}

static int read_at(const struct mirror *m, const struct tilepath *t, char **data, size_t *len)
{
	char rel[TILEPATH_MAX], path[4096];

	if (tilepath_format(rel, sizeof rel, t) < 0)
		return AK_EINVAL;
	snprintf(path, sizeof path, "%s/%s", m->dir, rel);
	return util_read_file(path, 1u << 20, data, len);
}

/* The hashes of tile (level, n), from its file, checked for its width. */
static const uint8_t *tile(struct mirror *m, unsigned level, uint64_t n)
{
	struct tilepath t;
	char *data;
	size_t len;

	if (level >= LEVELS || n >= m->ntiles[level])
		return NULL;
	if (m->tiles[level][n] != NULL)
		return m->tiles[level][n];
	tile_of(m, level, n, &t);
	if (read_at(m, &t, &data, &len) != 0)
		data = NULL;
	if (data == NULL || len != (size_t)t.width * MERKLE_HASH_BYTES) {
		fprintf(stderr, "tiles_check: tile %u/%" PRIu64 " missing or not %u hashes\n",
			level, n, t.width);
		free(data);
		return NULL;
	}
	m->tiles[level][n] = (uint8_t *)data;
	return m->tiles[level][n];
}

/*
 * merkle_node_fn over the tiles: the perfect subtree (h, i), h = 8L + r,
 * is the root of the 2^r hashes of tile level L from i << r on, which lie
 * in one tile (r < 8 and they are aligned).
 */
static int node(void *ctx, unsigned h, uint64_t i, merkle_hash out)
{
	struct mirror *m = ctx;
	unsigned level = h / TILE_HEIGHT, r = h % TILE_HEIGHT;
	uint64_t first = i << r;
	const uint8_t *hashes = tile(m, level, first / TILE_WIDTH);
	merkle_hash buf[TILE_WIDTH];
	size_t count = (size_t)1 << r, off = first % TILE_WIDTH;

	if (hashes == NULL)
		return AK_ENOENT;
	memcpy(buf, hashes + off * MERKLE_HASH_BYTES, count * MERKLE_HASH_BYTES);
	for (; count > 1; count /= 2)
		for (size_t k = 0; k < count / 2; k++)
			merkle_node_hash(buf[k], buf[2 * k], buf[2 * k + 1]);
	memcpy(out, buf[0], MERKLE_HASH_BYTES);
	return 0;
}

/*
 * Every full tile hashes to its hash in the tile above (the spec: each
 * hash of a level L+1 tile is the root of a full tile of level L), so a
 * tile the root does not read is still held to it. The count checked
 * into *n; 0 or 1.
 */
static int check_parents(struct mirror *m, uint64_t *n)
{
	for (unsigned level = 0; level + 1 < LEVELS; level++) {
		for (uint64_t t = 0; t < m->ntiles[level]; t++) {
			merkle_hash h, right;
			unsigned half = level * TILE_HEIGHT + TILE_HEIGHT - 1;
			const uint8_t *above;
			if ((t + 1) * TILE_WIDTH > tilepath_nodes(level, m->size))
				continue; /* partial: the root itself holds it */
			/* Its two halves from its own hashes: node() would read
			 * the whole tile's hash from the tile above. */
			if (node(m, half, 2 * t, h) != 0 || node(m, half, 2 * t + 1, right) != 0)
				return 1;
			merkle_node_hash(h, h, right);
			if ((above = tile(m, level + 1, t / TILE_WIDTH)) == NULL ||
			    memcmp(h, above + (t % TILE_WIDTH) * MERKLE_HASH_BYTES, sizeof h) !=
				0) {
				fprintf(stderr,
					"tiles_check: tile %u/%" PRIu64 " is not its parent's\n",
					level, t);
				return 1;
			}
			(*n)++;
		}
	}
	return 0;
}

static int list(uint64_t size)
{
	char rel[TILEPATH_MAX];

	for (unsigned level = 0; level < LEVELS; level++) {
		uint64_t nodes = tilepath_nodes(level, size);
		for (uint64_t n = 0; n * TILE_WIDTH < nodes; n++) {
			struct tilepath t = {.level = level, .index = n};
			t.width = (n + 1) * TILE_WIDTH <= nodes ? TILE_WIDTH
								: (unsigned)(nodes % TILE_WIDTH);
			if (tilepath_format(rel, sizeof rel, &t) > 0)
				puts(rel);
			if (level == 0) {
				t.entries = 1;
				if (tilepath_format(rel, sizeof rel, &t) > 0)
					puts(rel);
			}
		}
	}
	return 0;
}

/* Checks every leaf of bundle n (if DIR has it) against its hash in the
 * level-0 tile, and proves some of them against root. */
static int check_bundle(struct mirror *m, uint64_t n, const uint8_t root[32], uint64_t *matched,
			uint64_t *proved)
{
	const uint8_t *hashes = tile(m, 0, n);
	struct tilepath t;
	char *data;
	size_t len, at = 0;
	unsigned k = 0;

	tile_of(m, 0, n, &t);
	t.entries = 1;
	if (read_at(m, &t, &data, &len) != 0)
		return 0; /* not fetched: nothing to prove */
	while (at < len) {
		merkle_hash leaf, proof[MERKLE_MAX_PROOF];
		size_t np, l;
		uint64_t idx = n * TILE_WIDTH + k;

		if (len - at < 2 || (l = (size_t)data[at] << 8 | (uint8_t)data[at + 1]) == 0 ||
		    len - at - 2 < l || k >= t.width) {
			fprintf(stderr, "tiles_check: bundle %" PRIu64 " is malformed\n", n);
			free(data);
			return 1;
		}
		merkle_leaf_hash(leaf, (const uint8_t *)data + at + 2, l);
		if ((hashes == NULL || memcmp(leaf, hashes + (size_t)k * MERKLE_HASH_BYTES,
					      MERKLE_HASH_BYTES) != 0)) {
			fprintf(stderr, "tiles_check: leaf %" PRIu64 " is not its tile's\n", idx);
			free(data);
			return 1;
		}
		(*matched)++;
		/* A whole proof for some: the first and last of each bundle and
		 * every PROVE_EVERY-th, which reach every level of the tree
		 * without rehashing a subtree a proof at a time. */
		if (k == 0 || k + 1 == t.width || idx % PROVE_EVERY == 0) {
			if (merkle_prove_inclusion(proof, &np, idx, m->size, node, m) != 0 ||
			    merkle_verify_inclusion(leaf, idx, m->size, proof, np, root) != 0) {
				fprintf(stderr, "tiles_check: leaf %" PRIu64 " is not proven\n",
					idx);
				free(data);
				return 1;
			}
			(*proved)++;
		}
		at += 2 + l;
		k++;
	}
	free(data);
	if (k != t.width) {
		fprintf(stderr, "tiles_check: bundle %" PRIu64 " has %u entries, not %u\n", n, k,
			t.width);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mirror m = {0};
	struct key_verifier key;
	struct checkpoint cp;
	merkle_hash root;
	char path[4096], *note = NULL;
	size_t len;
	uint64_t matched = 0, proved = 0, full = 0;
	int status = 1;

	if (argc == 3 && strcmp(argv[1], "--list") == 0) {
		uint64_t size;
		if (util_parse_u64(argv[2], strlen(argv[2]), &size) != 0)
			return 2;
		return list(size);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: tiles_check --list SIZE | tiles_check DIR LOG.VKEY\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	m.dir = argv[1];
	snprintf(path, sizeof path, "%s/checkpoint", m.dir);
	if (key_verifier_load(&key, argv[2]) != 0 ||
	    util_read_file(path, 1u << 16, &note, &len) != 0) {
		fprintf(stderr, "tiles_check: cannot read the key or %s\n", path);
		return 2;
	}
	if (checkpoint_open(&cp, note, len, &key) != 0) {
		fprintf(stderr, "tiles_check: the checkpoint does not verify with the log key\n");
		goto done;
	}
	m.size = cp.size;
	for (unsigned l = 0; l < LEVELS; l++) {
		uint64_t nodes = tilepath_nodes(l, m.size);
		m.ntiles[l] = (nodes + TILE_WIDTH - 1) / TILE_WIDTH;
		if (m.ntiles[l] > 0 &&
		    (m.tiles[l] = calloc(m.ntiles[l], sizeof(uint8_t *))) == NULL)
			goto done;
	}
	if (merkle_root(root, m.size, node, &m) != 0) {
		fprintf(stderr, "tiles_check: a tile the root needs is missing\n");
		goto done;
	}
	if (memcmp(root, cp.root, sizeof root) != 0) {
		fprintf(stderr, "tiles_check: the tiles' root is not the checkpoint's\n");
		goto done;
	}
	printf("root ok %" PRIu64 "\n", m.size);
	if (check_parents(&m, &full) != 0)
		goto done;
	printf("full tiles ok %" PRIu64 "\n", full);
	for (uint64_t n = 0; n < m.ntiles[0]; n++)
		if (check_bundle(&m, n, cp.root, &matched, &proved) != 0)
			goto done;
	printf("entries %" PRIu64 "\n", matched);
	printf("proved %" PRIu64 "\n", proved);
	status = 0;
done:
	for (unsigned l = 0; l < LEVELS; l++) {
		for (uint64_t n = 0; m.tiles[l] != NULL && n < m.ntiles[l]; n++)
			free(m.tiles[l][n]);
		free(m.tiles[l]);
	}
	free(note);
	return status;
}
