/*
 * merkle: the RFC 6962 / RFC 9162 Merkle tree over SHA-256 that the audit
 * log is (FORMAT.md section 3.2).
 *
 *   leaf hash  = SHA-256(0x00 || leaf bytes)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty tree = SHA-256("")
 *
 * Storage is the caller's: a tree is read through a callback that returns
 * the hash of a *perfect* subtree, the 2^level leaves starting at
 * index << level. Those hashes never change once the subtree is complete,
 * so a log stores each once and computes roots and proofs in O(log n)
 * reads. merkle_range builds them while appending.
 */
#ifndef ANKANG_MERKLE_H
#define ANKANG_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_BYTES 32
/* A proof for a tree of up to 2^63 leaves has at most 64 hashes. */
#define MERKLE_MAX_PROOF 64

typedef uint8_t merkle_hash[MERKLE_HASH_BYTES];

void merkle_leaf_hash(merkle_hash out, const uint8_t *leaf, size_t len);
/* out may be the same array as left or right. */
void merkle_node_hash(merkle_hash out, const merkle_hash left, const merkle_hash right);
void merkle_empty_root(merkle_hash out);

/*
 * Hash source: writes into out the hash of the perfect subtree covering
 * leaves [index << level, (index + 1) << level). level 0 is a leaf hash.
 * Returns 0 or a negative error, which the caller passes back up.
 */
typedef int (*merkle_node_fn)(void *ctx, unsigned level, uint64_t index, merkle_hash out);

/* Root of the first size leaves. Empty tree for size 0. */
int merkle_root(merkle_hash out, uint64_t size, merkle_node_fn fn, void *ctx);

/*
 * Inclusion proof for leaf index in a tree of size leaves (RFC 9162
 * 2.1.3.1), leaf side first. Writes up to MERKLE_MAX_PROOF hashes into
 * proof and their count into *n. AK_EINVAL unless index < size.
 */
int merkle_prove_inclusion(merkle_hash *proof, size_t *n, uint64_t index, uint64_t size,
			   merkle_node_fn fn, void *ctx);

/*
 * Consistency proof from size1 to size2 (RFC 9162 2.1.4.1). AK_EINVAL
 * unless 0 < size1 <= size2; for size1 == size2 the proof is empty.
 * AK_ETOOBIG when the proof would need more than MERKLE_MAX_PROOF hashes,
 * which only a size2 beyond 2^63 can ask for.
 */
int merkle_prove_consistency(merkle_hash *proof, size_t *n, uint64_t size1, uint64_t size2,
			     merkle_node_fn fn, void *ctx);

/*
 * Verifies an inclusion proof (RFC 9162 2.1.3.2). Returns 0 when it proves
 * leaf_hash at index in the tree of size with the given root, else
 * AK_ECRYPTO (or AK_EINVAL for impossible parameters).
 */
int merkle_verify_inclusion(const merkle_hash leaf_hash, uint64_t index, uint64_t size,
			    const merkle_hash *proof, size_t n, const merkle_hash root);

/*
 * Verifies a consistency proof (RFC 9162 2.1.4.2), with the edge rules of
 * the transparency-dev corpus: size1 == 0 is an error, size1 == size2 needs
 * an empty proof and equal roots, size1 > size2 is an error.
 * 0 when consistent; AK_ECRYPTO or AK_EINVAL otherwise.
 */
int merkle_verify_consistency(uint64_t size1, uint64_t size2, const merkle_hash root1,
			      const merkle_hash root2, const merkle_hash *proof, size_t n);

/*
 * A compact range: the perfect subtrees of a tree of `size` leaves, one
 * per set bit of size, largest first. Appending a leaf merges equal-sized
 * neighbours; every merge completes a perfect subtree, which the optional
 * callback receives so the caller can store it.
 */
struct merkle_range {
	uint64_t size;
	merkle_hash stack[64]; /* stack[i]: subtree for the i-th set bit, high to low */
	unsigned depth;
};

/* Called for every perfect subtree completed by an append (level >= 0). */
typedef int (*merkle_store_fn)(void *ctx, unsigned level, uint64_t index, const merkle_hash h);

void merkle_range_init(struct merkle_range *r);
/* Rebuilds the range for a tree of size leaves from stored subtrees. */
int merkle_range_load(struct merkle_range *r, uint64_t size, merkle_node_fn fn, void *ctx);
/* Appends one leaf hash; calls store for the leaf (level 0) and each merge. */
int merkle_range_append(struct merkle_range *r, const merkle_hash leaf_hash, merkle_store_fn store,
			void *ctx);
/* Root of the range (empty-tree hash when size is 0). */
void merkle_range_root(const struct merkle_range *r, merkle_hash out);

#endif
