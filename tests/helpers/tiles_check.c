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
 * leaf is not the one hashed in the level-0 tile, fails. The tile arithmetic and authentication
 * are the library's (log/tilehash.h, log/tilebundle.h), the ones ankang-audit --log uses; this
 * helper only reads the files. Test data only: leaves hold no personal data, and none is printed.
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
#include "log/tilebundle.h"
#include "log/tilehash.h"
#include "log/tilepath.h"
#include "log/tiles.h"

#define PROVE_EVERY 97 /* a leaf proven whole in so many (check_bundle) */

/* tilehash_io's fetch: the tile's file under DIR, of exactly its width.
 * There is no other copy to ask, so a tile that failed is not read twice. */
static int fetch(void *ctx, const struct tilepath *t, int again, uint8_t *out)
{
	const char *dir = ctx;
	char rel[TILEPATH_MAX], path[4096], *data = NULL;
	size_t len;

	if (again)
		return AK_ECRYPTO;
	if (tilepath_format(rel, sizeof rel, t) < 0)
		return AK_EINVAL;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (util_read_file(path, TILEHASH_FULL_BYTES, &data, &len) != 0 ||
	    len != (size_t)t->width * MERKLE_HASH_BYTES) {
		fprintf(stderr, "tiles_check: tile %u/%" PRIu64 " missing or not %u hashes\n",
			t->level, t->index, t->width);
		free(data);
		return AK_ENOENT;
	}
	memcpy(out, data, len);
	free(data);
	return 0;
}

/*
 * Every full tile of every level, authenticated against its hash in the
 * tile above (tilehash_get), so a tile the root does not read is still
 * held to it. The count into *n; 0 or 1.
 */
static int check_full(tilehash *th, uint64_t *n)
{
	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		uint64_t full = tilepath_nodes(level, tilehash_size(th)) / TILE_WIDTH;
		for (uint64_t t = 0; t < full; t++) {
			const uint8_t *h;
			int rc = tilehash_get(th, level, t, &h);
			if (rc == AK_ECRYPTO) {
				fprintf(stderr,
					"tiles_check: tile %u/%" PRIu64 " is not its parent's\n",
					tilehash_bad(th)->level, tilehash_bad(th)->index);
				return 1;
			}
			if (rc != 0)
				return 1;
			(*n)++;
		}
	}
	return 0;
}

static int list(uint64_t size)
{
	char rel[TILEPATH_MAX];

	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		struct tilepath t;
		for (uint64_t n = 0; tilehash_tile(&t, level, n, size) == 0; n++) {
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

struct bundle {
	tilehash *th;
	const uint8_t *hashes, *root;
	uint64_t n, width, matched, proved;
};

/* tilebundle_fn: one leaf against its level-0 hash, some proven whole. */
static int check_leaf(void *ctx, unsigned k, const uint8_t *entry, size_t len)
{
	struct bundle *b = ctx;
	merkle_hash leaf, proof[MERKLE_MAX_PROOF];
	uint64_t idx = b->n * TILE_WIDTH + k, size = tilehash_size(b->th);
	size_t np;

	merkle_leaf_hash(leaf, entry, len);
	if (memcmp(leaf, b->hashes + (size_t)k * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES) != 0) {
		fprintf(stderr, "tiles_check: leaf %" PRIu64 " is not its tile's\n", idx);
		return 1;
	}
	b->matched++;
	/* A whole proof for some: the first and last of each bundle and
	 * every PROVE_EVERY-th, which reach every level of the tree
	 * without rehashing a subtree a proof at a time. */
	if (k == 0 || k + 1 == b->width || idx % PROVE_EVERY == 0) {
		if (tilehash_prove_inclusion(b->th, idx, size, proof, &np) != 0 ||
		    merkle_verify_inclusion(leaf, idx, size, proof, np, b->root) != 0) {
			fprintf(stderr, "tiles_check: leaf %" PRIu64 " is not proven\n", idx);
			return 1;
		}
		b->proved++;
	}
	return 0;
}

/* Checks every leaf of bundle n (if DIR has it) against its hash in the
 * level-0 tile, and proves some of them against root. */
static int check_bundle(const char *dir, struct bundle *b, uint64_t n)
{
	struct tilepath t;
	char rel[TILEPATH_MAX], path[4096], *data;
	size_t len;
	int rc;

	tilehash_tile(&t, 0, n, tilehash_size(b->th));
	t.entries = 1;
	if (tilepath_format(rel, sizeof rel, &t) < 0)
		return 1;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (util_read_file(path, TILES_BUNDLE_MAX, &data, &len) != 0)
		return 0; /* not fetched: nothing to prove */
	if (tilehash_get(b->th, 0, n, &b->hashes) != 0) {
		free(data);
		return 1;
	}
	b->n = n;
	b->width = t.width;
	rc = tilebundle_parse((const uint8_t *)data, len, t.width, check_leaf, b);
	free(data);
	if (rc == AK_EINVAL)
		fprintf(stderr, "tiles_check: bundle %" PRIu64 " is malformed or not %u entries\n",
			n, t.width);
	tilehash_drop(b->th, 0, n);
	return rc != 0;
}

int main(int argc, char **argv)
{
	struct key_verifier key;
	struct checkpoint cp;
	struct tilehash_io io = {fetch, NULL, NULL};
	struct bundle b = {0};
	tilehash *th = NULL;
	char path[4096], *note = NULL;
	size_t len;
	uint64_t full = 0;
	int rc, status = 1;

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
	io.ctx = argv[1];
	snprintf(path, sizeof path, "%s/checkpoint", argv[1]);
	if (key_verifier_load(&key, argv[2]) != 0 ||
	    util_read_file(path, 1u << 16, &note, &len) != 0) {
		fprintf(stderr, "tiles_check: cannot read the key or %s\n", path);
		return 2;
	}
	if (checkpoint_open(&cp, note, len, &key) != 0) {
		fprintf(stderr, "tiles_check: the checkpoint does not verify with the log key\n");
		goto done;
	}
	if ((rc = tilehash_open(&th, cp.size, cp.root, &io)) != 0) {
		fprintf(stderr, "tiles_check: %s\n",
			rc == AK_ECRYPTO ? "the tiles' root is not the checkpoint's"
					 : "a tile the root needs is missing");
		goto done;
	}
	printf("root ok %" PRIu64 "\n", cp.size);
	if (check_full(th, &full) != 0)
		goto done;
	printf("full tiles ok %" PRIu64 "\n", full);
	b.th = th;
	b.root = cp.root;
	for (uint64_t n = 0; n < tilehash_count(0, cp.size); n++)
		if (check_bundle(argv[1], &b, n) != 0)
			goto done;
	printf("entries %" PRIu64 "\n", b.matched);
	printf("proved %" PRIu64 "\n", b.proved);
	status = 0;
done:
	tilehash_close(th);
	free(note);
	return status;
}
