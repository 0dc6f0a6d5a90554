/*
 * merkle: RFC 6962 / RFC 9162 Merkle tree hashing, proofs and compact
 * ranges over SHA-256 (FORMAT.md section 3.2).
 *
 * The tree of n leaves is seen through its perfect subtrees: the node at
 * (level, index) covers leaves [index << level, (index + 1) << level), and
 * exists as a stored hash once all of those leaves exist. Every node of
 * the RFC 6962 tree is either such a perfect subtree or lies on the right
 * border, spanning [start, n) with start aligned to a power of two larger
 * than n - start; a border node's hash is the fold of the perfect subtrees
 * named by the set bits of n - start. So a root costs popcount(n) reads
 * and a proof at most about 2 * log2(n) reads, never a walk over leaves.
 *
 * Proofs are placed by bit arithmetic rather than by the RFC's recursion:
 * the path from a leaf (or, for consistency, from the last leaf of the old
 * tree) splits at the level where it joins the path of the tree's last
 * leaf. Below that level ("inner") each node has a sibling on either side;
 * above it ("border") the path runs up the right edge and has a sibling
 * only at the levels where it is a right child, always on the left. Both
 * verifiers check the proof length against that shape before they index
 * it, and compute every shift so that a count of 64 cannot occur.
 *
 * Never: read a proof hash beyond the count given; shift a 64-bit value by
 * 64 or more; call the node callback for a subtree that is not complete.
 * Nothing here is secret, so comparisons are plain memcmp.
 */
#include <assert.h>
#include <string.h>

#include <nettle/sha2.h>

#include "common/util.h"
#include "crypto/merkle.h"

/* ---------------------------------------------------------------- hashing */

/*
 * SHA-256 from nettle rather than libsodium: nettle picks the CPU's SHA
 * instructions at run time where it has them (x86 SHA-NI, ARMv8 SHA2),
 * libsodium never does. On the 2-CPU VM the service was measured on, a
 * leaf hash (129 bytes) took 0.20-0.40 us against libsodium's 1.0-1.2,
 * and a node 0.12-0.20 us against 0.49-0.80: every leaf the writer
 * appends, every proof, every start-up and scrubber rehash and every
 * `ankang-audit verify` is made of these. Nothing hashed here is secret,
 * so nettle's plain (not constant-time) code is fine. The library is no
 * new weight in ankangd: GnuTLS, which libmicrohttpd links for TLS, is
 * built on it.
 */
void merkle_leaf_hash(merkle_hash out, const uint8_t *leaf, size_t len)
{
	static const uint8_t prefix = 0x00;
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, 1, &prefix);
	sha256_update(&c, len, leaf);
	sha256_digest(&c, MERKLE_HASH_BYTES, out);
}

/* out may be the same array as left or right: both are read in full by
 * the updates before the digest writes out. The proof chains rely on
 * this. */
void merkle_node_hash(merkle_hash out, const merkle_hash left, const merkle_hash right)
{
	static const uint8_t prefix = 0x01;
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, 1, &prefix);
	sha256_update(&c, MERKLE_HASH_BYTES, left);
	sha256_update(&c, MERKLE_HASH_BYTES, right);
	sha256_digest(&c, MERKLE_HASH_BYTES, out);
}

void merkle_empty_root(merkle_hash out)
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_digest(&c, MERKLE_HASH_BYTES, out);
}

/* ------------------------------------------------------- bit arithmetic */

/* Number of significant bits of x: 0 for 0, 64 for x >= 2^63. */
static unsigned bit_len(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static unsigned ones(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* x >> s for any s: C leaves a shift by 64 undefined, the tree wants 0. */
static uint64_t shr(uint64_t x, unsigned s)
{
	return s >= 64 ? 0 : x >> s;
}

/* --------------------------------------------------------- reading nodes */

/*
 * Hash of the leaves [start, end), where start is a multiple of a power of
 * two greater than end - start > 0: a node on the right border of the
 * tree of size end (the whole tree when start is 0). Folds the perfect
 * subtrees of the set bits of end - start from the right, as RFC 6962's
 * MTH splits them.
 */
static int border_hash(merkle_hash out, uint64_t start, uint64_t end, merkle_node_fn fn, void *ctx)
{
	uint64_t width = end - start, pos = end;
	int first = 1, rc;

	for (unsigned level = 0; level < 64; level++) {
		merkle_hash h;
		if (((width >> level) & 1) == 0)
			continue;
		pos -= (uint64_t)1 << level;
		if ((rc = fn(ctx, level, pos >> level, h)) != 0)
			return rc;
		if (first)
			memcpy(out, h, MERKLE_HASH_BYTES);
		else
			merkle_node_hash(out, h, out);
		first = 0;
	}
	return 0;
}

int merkle_root(merkle_hash out, uint64_t size, merkle_node_fn fn, void *ctx)
{
	if (size == 0) {
		merkle_empty_root(out);
		return 0;
	}
	return border_hash(out, 0, size, fn, ctx);
}

/*
 * Appends to proof the siblings of the path from node (from >> lo) at
 * level lo up to the root of a tree of size leaves, where from < size and
 * lo < bit_len(from ^ (size - 1)) unless from == size - 1.
 * This is the common tail of both proof kinds.
 */
static int path_siblings(merkle_hash *proof, size_t *n, uint64_t from, unsigned lo, uint64_t size,
			 merkle_node_fn fn, void *ctx)
{
	unsigned inner = bit_len(from ^ (size - 1));
	int rc;

	for (unsigned level = lo; level < inner; level++) {
		uint64_t sib = (from >> level) ^ 1;
		if (level + 1 < inner)
			rc = fn(ctx, level, sib, proof[*n]);
		else /* the sibling holds the last leaf: a border node */
			rc = border_hash(proof[*n], sib << level, size, fn, ctx);
		if (rc != 0)
			return rc;
		(*n)++;
	}
	for (unsigned level = inner; level < 64; level++) {
		if (((from >> level) & 1) == 0)
			continue;
		if ((rc = fn(ctx, level, (from >> level) - 1, proof[*n])) != 0)
			return rc;
		(*n)++;
	}
	return 0;
}

int merkle_prove_inclusion(merkle_hash *proof, size_t *n, uint64_t index, uint64_t size,
			   merkle_node_fn fn, void *ctx)
{
	size_t k = 0;
	int rc;

	*n = 0;
	if (index >= size)
		return AK_EINVAL;
	/* inner + border <= 64 for every index < size: always fits. */
	if ((rc = path_siblings(proof, &k, index, 0, size, fn, ctx)) != 0)
		return rc;
	*n = k;
	return 0;
}

/* Length of the consistency proof from size1 to size2, 0 < size1 < size2. */
static size_t consistency_len(uint64_t size1, uint64_t size2, unsigned *shift, unsigned *inner,
			      unsigned *border)
{
	unsigned full = bit_len((size1 - 1) ^ (size2 - 1));
	int pow2 = (size1 & (size1 - 1)) == 0;

	*shift = (unsigned)__builtin_ctzll(size1);
	/* full > shift: size2 - 1 lies outside the aligned block of 2^shift
	 * leaves that ends at size1, since size2 > size1. */
	*inner = full - *shift;
	*border = ones(shr(size1 - 1, full));
	return (pow2 ? 0 : 1) + (size_t)*inner + *border;
}

int merkle_prove_consistency(merkle_hash *proof, size_t *n, uint64_t size1, uint64_t size2,
			     merkle_node_fn fn, void *ctx)
{
	unsigned shift, inner, border;
	size_t k = 0;
	int rc;

	*n = 0;
	if (size1 == 0 || size1 > size2)
		return AK_EINVAL;
	if (size1 == size2)
		return 0;
	/* Only past 2^63 leaves can a proof need 65 hashes. */
	if (consistency_len(size1, size2, &shift, &inner, &border) > MERKLE_MAX_PROOF)
		return AK_ETOOBIG;
	/* Unless the old tree is itself a perfect subtree (whose hash the
	 * verifier has as root1), the proof starts with the largest perfect
	 * subtree ending at size1, where the old and new paths part. */
	if ((size1 & (size1 - 1)) != 0) {
		if ((rc = fn(ctx, shift, (size1 - 1) >> shift, proof[k])) != 0)
			return rc;
		k++;
	}
	if ((rc = path_siblings(proof, &k, size1 - 1, shift, size2, fn, ctx)) != 0)
		return rc;
	*n = k;
	return 0;
}

/* ---------------------------------------------------------- verification */

int merkle_verify_inclusion(const merkle_hash leaf_hash, uint64_t index, uint64_t size,
			    const merkle_hash *proof, size_t n, const merkle_hash root)
{
	unsigned inner, border;
	merkle_hash r;
	size_t i;

	if (index >= size)
		return AK_EINVAL;
	inner = bit_len(index ^ (size - 1));
	border = ones(shr(index, inner));
	if (n != (size_t)inner + border)
		return AK_ECRYPTO;

	memcpy(r, leaf_hash, MERKLE_HASH_BYTES);
	for (i = 0; i < inner; i++) {
		if ((index >> i) & 1)
			merkle_node_hash(r, proof[i], r);
		else
			merkle_node_hash(r, r, proof[i]);
	}
	for (; i < n; i++)
		merkle_node_hash(r, proof[i], r);
	return memcmp(r, root, MERKLE_HASH_BYTES) == 0 ? 0 : AK_ECRYPTO;
}

int merkle_verify_consistency(uint64_t size1, uint64_t size2, const merkle_hash root1,
			      const merkle_hash root2, const merkle_hash *proof, size_t n)
{
	unsigned shift, inner, border;
	const merkle_hash *p = proof;
	merkle_hash h1, h2;
	uint64_t path;
	size_t i;

	if (size1 == 0 || size1 > size2)
		return AK_EINVAL;
	if (size1 == size2)
		return n == 0 && memcmp(root1, root2, MERKLE_HASH_BYTES) == 0 ? 0 : AK_ECRYPTO;
	if (n != consistency_len(size1, size2, &shift, &inner, &border))
		return AK_ECRYPTO;

	/* The seed is the perfect subtree of 2^shift leaves ending at size1:
	 * root1 itself when size1 is a power of two, else the first hash. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(h1, root1, MERKLE_HASH_BYTES);
	} else {
		memcpy(h1, p[0], MERKLE_HASH_BYTES);
		p++;
		n--;
	}
	memcpy(h2, h1, MERKLE_HASH_BYTES);

	/* h1 rebuilds the old root from the left siblings only (the right
	 * ones did not exist yet); h2 the new root from all of them. */
	path = (size1 - 1) >> shift;
	for (i = 0; i < inner; i++) {
		if ((path >> i) & 1) {
			merkle_node_hash(h1, p[i], h1);
			merkle_node_hash(h2, p[i], h2);
		} else {
			merkle_node_hash(h2, h2, p[i]);
		}
	}
	for (; i < n; i++) {
		merkle_node_hash(h1, p[i], h1);
		merkle_node_hash(h2, p[i], h2);
	}
	if (memcmp(h1, root1, MERKLE_HASH_BYTES) != 0)
		return AK_ECRYPTO;
	return memcmp(h2, root2, MERKLE_HASH_BYTES) == 0 ? 0 : AK_ECRYPTO;
}

/* ------------------------------------------------------- compact ranges */

void merkle_range_init(struct merkle_range *r)
{
	memset(r, 0, sizeof *r);
}

int merkle_range_load(struct merkle_range *r, uint64_t size, merkle_node_fn fn, void *ctx)
{
	struct merkle_range t;
	int rc;

	merkle_range_init(&t);
	for (unsigned level = 64; level-- > 0;) {
		if (((size >> level) & 1) == 0)
			continue;
		if ((rc = fn(ctx, level, (size >> level) - 1, t.stack[t.depth])) != 0)
			return rc;
		t.depth++;
	}
	t.size = size;
	*r = t;
	return 0;
}

int merkle_range_append(struct merkle_range *r, const merkle_hash leaf_hash, merkle_store_fn store,
			void *ctx)
{
	uint64_t size = r->size;
	unsigned level = 0, pops = 0;
	merkle_hash cur;
	int rc;

	assert(r->depth == ones(size));
	if (size == UINT64_MAX)
		return AK_ETOOBIG;
	memcpy(cur, leaf_hash, MERKLE_HASH_BYTES);
	if (store != NULL && (rc = store(ctx, 0, size, cur)) != 0)
		return rc;
	/* Each trailing one bit of size is a subtree of the same size as the
	 * one just completed, waiting on its left: merge them. The range is
	 * changed only once every store has succeeded, so a failed store
	 * leaves it as it was and the append can be retried. */
	while ((size >> level) & 1) {
		merkle_node_hash(cur, r->stack[r->depth - 1 - pops], cur);
		pops++;
		level++;
		if (store != NULL && (rc = store(ctx, level, size >> level, cur)) != 0)
			return rc;
	}
	r->depth -= pops;
	memcpy(r->stack[r->depth], cur, MERKLE_HASH_BYTES);
	r->depth++;
	r->size = size + 1;
	return 0;
}

void merkle_range_root(const struct merkle_range *r, merkle_hash out)
{
	if (r->depth == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(out, r->stack[r->depth - 1], MERKLE_HASH_BYTES);
	for (unsigned i = r->depth - 1; i-- > 0;)
		merkle_node_hash(out, r->stack[i], out);
}
