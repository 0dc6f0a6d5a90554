/*
 * tiles: the log's tlog-tiles resources (log/tilepath.h) read from the
 * store, through any connection: the service's readers, an auditor's
 * copy. Nothing is stored for them: a tile's hashes are the perfect
 * subtrees the log already keeps with the leaves that complete them
 * (schema/001_audit.sql: node (l, i) is element l of row
 * ((i + 1) << l) - 1), so a hash tile is W reads of a row by its primary
 * key and an entry bundle one range of rows. Call them inside one read
 * transaction (store_begin_read) so that the rows and the checkpoint that
 * bounds them are one snapshot.
 *
 * Never: read a tile that no tree of the given size covers (the caller
 * checks tilepath_covered against a signed checkpoint's size first).
 */
#ifndef ANKANG_TILES_H
#define ANKANG_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "log/store.h"
#include "log/tilepath.h"

/* A full bundle's bytes at most: 256 leaves of LEAF_MAX (512) bytes,
 * each after its 2-byte length. */
#define TILES_BUNDLE_MAX (TILE_WIDTH * (2 + 512))

/*
 * The t->width hashes of hash tile t into out (t->width * 32 bytes: a
 * full tile needs TILE_WIDTH * MERKLE_HASH_BYTES). 0; AK_EINVAL for an
 * entry bundle or a tile beyond 2^63 leaves; AK_ECORRUPT when a row that
 * must hold one is missing or short (a damaged file); AK_EDB.
 */
int tiles_read_hashes(store *s, const struct tilepath *t, uint8_t *out);

/*
 * Entry bundle t: for each of its t->width leaves, in order, the leaf's
 * length as 2 bytes big-endian and its exact bytes. *out is malloc'd
 * (*len bytes; the caller frees it). 0; AK_EINVAL for a hash tile;
 * AK_ECORRUPT when a leaf is missing or too long for the encoding;
 * AK_ENOMEM; AK_EDB.
 */
int tiles_read_bundle(store *s, const struct tilepath *t, uint8_t **out, size_t *len);

#endif
