/*
 * fuzz_proof: the inclusion and consistency proof verifiers of
 * crypto/merkle.c (RFC 9162's iterative algorithms, bit arithmetic on the
 * index and sizes) held against a plain recursive reference written here
 * from RFC 6962 section 2.1, which follows the definitions of MTH, PATH
 * and PROOF and nothing else:
 *
 *   MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest
 *               power of two below n; SHA-256(0x00 || d) for one leaf
 *   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])        for m < k
 *                 = PATH(m - k, D[k:n]) : MTH(D[0:k])    for m >= k
 *   PROOF(m, D[n]) = SUBPROOF(m, D[n], true), where SUBPROOF(m, D[m], b) is
 *                 [] when b, else [MTH(D[m])], and for m < n
 *                 SUBPROOF(m, D[0:k], b) : MTH(D[k:n])  when m <= k,
 *                 SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) otherwise.
 *
 * The reference verifiers walk those definitions backwards: the proof's
 * last hash belongs to the top split, so they recurse on (m, k) or
 * (m - k, n - k), taking hashes from the end, and fold the hash they get
 * back with the one they took. A proof is correct when it is used up
 * exactly and the fold gives the roots. Recursion depth is the tree's
 * height, so sizes up to 2^64 - 1 need no tree at all.
 *
 * Input, all of it optional (short inputs read as zeros):
 *   byte 0:  bit 0 consistency (else inclusion); bit 1 sizes as raw u64
 *            (else small, from one byte each); bit 2 the proof's hashes
 *            from the input (else the reference's own proof of the
 *            leaf sequence, then mutated); bit 3 the leaf hash and
 *            roots from the input after the proof (else leaf m of the
 *            sequence and the sequence's roots)
 *   sizes:   small: two bytes (index or size1, size or size2, each taken
 *            mod 300); raw: two u64 LE
 *   then:    mutations of 3 bytes each (drop, insert, replace with a pool
 *            hash, flip a bit, swap, truncate), or raw hashes of 32 bytes.
 *
 * Invariants checked: for every input, merkle_verify_* accepts exactly
 * when the reference does; a root the reference folds is accepted, and
 * the same root with one bit flipped refused; for small real trees the
 * provers' proofs equal the reference's PATH and PROOF, and merkle_root
 * equals MTH.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_MAX  300 /* largest small tree */
#define PROOF_ROOM 80  /* hashes a proof may have here (MERKLE_MAX_PROOF + slack) */

/* ---------------------------------------------------- the leaf sequence */

/* D[i]: "leaf" and i, distinct for every i. */
static void leaf_hash_of(uint64_t i, merkle_hash out)
{
	uint8_t d[12] = {'l', 'e', 'a', 'f'};

	for (int b = 0; b < 8; b++)
		d[4 + b] = (uint8_t)(i >> (8 * b));
	merkle_leaf_hash(out, d, sizeof d);
}

/* k: the largest power of two strictly below n (n >= 2). */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/* MTH(D[lo:lo+n]), recursively (n >= 1). */
static void mth(uint64_t lo, uint64_t n, merkle_hash out)
{
	merkle_hash l, r;
	uint64_t k;

	if (n == 1) {
		leaf_hash_of(lo, out);
		return;
	}
	k = split(n);
	mth(lo, k, l);
	mth(lo + k, n - k, r);
	merkle_node_hash(out, l, r);
}

/* PATH(m, D[lo:lo+n]) appended to p (count *np). */
static void path(uint64_t lo, uint64_t m, uint64_t n, merkle_hash *p, size_t *np)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = split(n);
	if (m < k) {
		path(lo, m, k, p, np);
		mth(lo + k, n - k, p[(*np)++]);
	} else {
		path(lo + k, m - k, n - k, p, np);
		mth(lo, k, p[(*np)++]);
	}
}

/* SUBPROOF(m, D[lo:lo+n], b) appended to p. */
static void subproof(uint64_t lo, uint64_t m, uint64_t n, int b, merkle_hash *p, size_t *np)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			mth(lo, n, p[(*np)++]);
		return;
	}
	k = split(n);
	if (m <= k) {
		subproof(lo, m, k, b, p, np);
		mth(lo + k, n - k, p[(*np)++]);
	} else {
		subproof(lo + k, m - k, n - k, 0, p, np);
		mth(lo, k, p[(*np)++]);
	}
}

/* ------------------------------------------------- reference verifiers */

/* The fold of an inclusion proof for leaf m of n: the root it claims.
 * Takes hashes from p[*left - 1] down; 0, or -1 when they run out. */
static int fold_path(uint64_t m, uint64_t n, const merkle_hash leaf, const merkle_hash *p,
		     size_t *left, merkle_hash out)
{
	merkle_hash sub;
	uint64_t k;

	if (n == 1) {
		memcpy(out, leaf, MERKLE_HASH_BYTES);
		return 0;
	}
	if (*left == 0)
		return -1;
	k = split(n);
	const uint8_t *sib = p[--*left];
	if (m < k) {
		if (fold_path(m, k, leaf, p, left, sub) != 0)
			return -1;
		merkle_node_hash(out, sub, sib);
	} else {
		if (fold_path(m - k, n - k, leaf, p, left, sub) != 0)
			return -1;
		merkle_node_hash(out, sib, sub);
	}
	return 0;
}

/* 1 when the reference accepts the inclusion proof; *folded (if not
 * NULL) receives the root the proof claims when it has the right length. */
static int ref_inclusion(const merkle_hash leaf, uint64_t m, uint64_t n, const merkle_hash *p,
			 size_t np, const merkle_hash root, merkle_hash folded, int *has)
{
	merkle_hash got;
	size_t left = np;

	*has = 0;
	if (m >= n || fold_path(m, n, leaf, p, &left, got) != 0 || left != 0)
		return 0;
	*has = 1;
	memcpy(folded, got, MERKLE_HASH_BYTES);
	return memcmp(got, root, MERKLE_HASH_BYTES) == 0;
}

/* The fold of a consistency proof from m to n: the old tree's and the new
 * tree's roots it claims; seed is the old root, used where the proof
 * leaves it out (b true down to m == n). */
static int fold_proof(uint64_t m, uint64_t n, int b, const merkle_hash seed, const merkle_hash *p,
		      size_t *left, merkle_hash old, merkle_hash nw)
{
	merkle_hash o, w;
	uint64_t k;

	if (m == n) {
		if (b) {
			memcpy(old, seed, MERKLE_HASH_BYTES);
			memcpy(nw, seed, MERKLE_HASH_BYTES);
			return 0;
		}
		if (*left == 0)
			return -1;
		--*left;
		memcpy(old, p[*left], MERKLE_HASH_BYTES);
		memcpy(nw, p[*left], MERKLE_HASH_BYTES);
		return 0;
	}
	if (*left == 0)
		return -1;
	k = split(n);
	const uint8_t *y = p[--*left];
	if (m <= k) {
		if (fold_proof(m, k, b, seed, p, left, o, w) != 0)
			return -1;
		memcpy(old, o, MERKLE_HASH_BYTES);
		merkle_node_hash(nw, w, y);
	} else {
		if (fold_proof(m - k, n - k, 0, seed, p, left, o, w) != 0)
			return -1;
		merkle_node_hash(old, y, o);
		merkle_node_hash(nw, y, w);
	}
	return 0;
}

static int ref_consistency(uint64_t m, uint64_t n, const merkle_hash r1, const merkle_hash r2,
			   const merkle_hash *p, size_t np, merkle_hash old, merkle_hash nw,
			   int *has)
{
	size_t left = np;

	*has = 0;
	if (m == 0 || m > n || fold_proof(m, n, 1, r1, p, &left, old, nw) != 0 || left != 0)
		return 0;
	*has = 1;
	return memcmp(old, r1, MERKLE_HASH_BYTES) == 0 && memcmp(nw, r2, MERKLE_HASH_BYTES) == 0;
}

/* ------------------------------------------------------------ input */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

/* A hash for the mutations: one of the tree's subtrees or leaves, or
 * junk. */
static void pool_hash(uint8_t sel, uint64_t n, merkle_hash out)
{
	uint64_t lo, len;

	if (sel < 16) {
		memset(out, sel, MERKLE_HASH_BYTES);
		return;
	}
	if (n == 0 || n > SMALL_MAX)
		n = SMALL_MAX;
	lo = (sel * 7u) % n;
	len = 1 + (sel >> 3) % (n - lo);
	mth(lo, len, out);
}

static void mutate(struct in *in, merkle_hash *p, size_t *np, uint64_t n)
{
	for (int round = 0; round < 8 && in->n >= 3; round++) {
		uint8_t op = take8(in), a = take8(in), b = take8(in);
		size_t at = *np ? a % (*np + 1) : 0;

		switch (op % 6) {
		case 0: /* drop */
			if (*np > 0) {
				at = a % *np;
				memmove(p[at], p[at + 1], (*np - at - 1) * MERKLE_HASH_BYTES);
				(*np)--;
			}
			break;
		case 1: /* insert */
			if (*np < PROOF_ROOM) {
				memmove(p[at + 1], p[at], (*np - at) * MERKLE_HASH_BYTES);
				pool_hash(b, n, p[at]);
				(*np)++;
			}
			break;
		case 2: /* replace */
			if (*np > 0)
				pool_hash(b, n, p[a % *np]);
			break;
		case 3: /* flip a bit */
			if (*np > 0)
				p[a % *np][b % MERKLE_HASH_BYTES] ^= (uint8_t)(1u << (b >> 5));
			break;
		case 4: /* swap */
			if (*np > 1) {
				merkle_hash t;
				size_t i = a % *np, j = b % *np;
				memcpy(t, p[i], MERKLE_HASH_BYTES);
				memcpy(p[i], p[j], MERKLE_HASH_BYTES);
				memcpy(p[j], t, MERKLE_HASH_BYTES);
			}
			break;
		default: /* truncate */
			*np = *np ? a % *np : 0;
			break;
		}
	}
}

static void raw_hashes(struct in *in, merkle_hash *p, size_t *np)
{
	*np = take8(in) % (PROOF_ROOM + 1);
	for (size_t i = 0; i < *np; i++)
		for (size_t b = 0; b < MERKLE_HASH_BYTES; b++)
			p[i][b] = take8(in);
}

/* ------------------------------------------------------ the provers */

static int tree_node(void *ctx, unsigned level, uint64_t index, merkle_hash out)
{
	uint64_t n = *(const uint64_t *)ctx;

	if (level >= 64 || ((index + 1) << level) > n)
		abort(); /* not a complete subtree of the tree */
	mth(index << level, (uint64_t)1 << level, out);
	return 0;
}

/* On a real tree of n leaves: our root and proofs are the reference's. */
static void check_provers(uint64_t a, uint64_t n)
{
	merkle_hash ours[MERKLE_MAX_PROOF], ref[PROOF_ROOM], r1, r2;
	size_t no = 0, nr = 0;

	if (n == 0 || n > SMALL_MAX)
		return;
	if (merkle_root(r1, n, tree_node, &n) != 0)
		abort();
	mth(0, n, r2);
	if (memcmp(r1, r2, MERKLE_HASH_BYTES) != 0)
		abort();
	if (a < n) {
		path(0, a, n, ref, &nr);
		if (merkle_prove_inclusion(ours, &no, a, n, tree_node, &n) != 0 || no != nr ||
		    memcmp(ours, ref, nr * MERKLE_HASH_BYTES) != 0)
			abort();
	}
	if (a > 0 && a <= n) {
		nr = 0;
		subproof(0, a, n, 1, ref, &nr);
		if (merkle_prove_consistency(ours, &no, a, n, tree_node, &n) != 0 || no != nr ||
		    memcmp(ours, ref, nr * MERKLE_HASH_BYTES) != 0)
			abort();
	}
}

/* -------------------------------------------------------------- target */

static void check_inclusion(struct in *in, unsigned flags, uint64_t m, uint64_t n)
{
	static merkle_hash p[PROOF_ROOM];
	merkle_hash leaf, root, folded;
	size_t np = 0;
	int want, has;

	leaf_hash_of(m, leaf);
	if (flags & 4) {
		raw_hashes(in, p, &np);
	} else if (m < n && n <= SMALL_MAX) {
		path(0, m, n, p, &np);
		mutate(in, p, &np, n);
	} else {
		mutate(in, p, &np, n);
	}
	if (flags & 8) {
		for (size_t b = 0; b < MERKLE_HASH_BYTES; b++)
			leaf[b] = take8(in);
		for (size_t b = 0; b < MERKLE_HASH_BYTES; b++)
			root[b] = take8(in);
	} else if (n >= 1 && n <= SMALL_MAX) {
		mth(0, n, root);
	} else {
		memset(root, 0, sizeof root);
	}
	/* The verdict on the roots as given. */
	want = ref_inclusion(leaf, m, n, p, np, root, folded, &has);
	if ((merkle_verify_inclusion(leaf, m, n, p, np, root) == 0) != want)
		abort();
	if (!has)
		return;
	/* The root the proof folds to is accepted; one bit off is not. */
	if (np <= MERKLE_MAX_PROOF && merkle_verify_inclusion(leaf, m, n, p, np, folded) != 0)
		abort();
	folded[0] ^= 1;
	if (merkle_verify_inclusion(leaf, m, n, p, np, folded) == 0)
		abort();
}

static void check_consistency(struct in *in, unsigned flags, uint64_t m, uint64_t n)
{
	static merkle_hash p[PROOF_ROOM];
	merkle_hash r1, r2, old, nw;
	size_t np = 0;
	int want, has;

	if (flags & 4) {
		raw_hashes(in, p, &np);
	} else if (m > 0 && m <= n && n <= SMALL_MAX) {
		subproof(0, m, n, 1, p, &np);
		mutate(in, p, &np, n);
	} else {
		mutate(in, p, &np, n);
	}
	if (flags & 8) {
		for (size_t b = 0; b < MERKLE_HASH_BYTES; b++)
			r1[b] = take8(in);
		for (size_t b = 0; b < MERKLE_HASH_BYTES; b++)
			r2[b] = take8(in);
	} else if (m >= 1 && n >= 1 && m <= SMALL_MAX && n <= SMALL_MAX) {
		mth(0, m, r1);
		mth(0, n, r2);
	} else {
		memset(r1, 0, sizeof r1);
		memset(r2, 0, sizeof r2);
	}
	want = ref_consistency(m, n, r1, r2, p, np, old, nw, &has);
	/* Ours holds at most MERKLE_MAX_PROOF hashes and refuses a longer
	 * proof, which only a size2 beyond 2^63 needs (merkle.h). */
	if (np > MERKLE_MAX_PROOF)
		want = 0;
	if ((merkle_verify_consistency(m, n, r1, r2, p, np) == 0) != want)
		abort();
	if (!has || np > MERKLE_MAX_PROOF)
		return;
	/* The roots the proof folds to (the old one from the seed when the
	 * proof leaves it out) are accepted; either one a bit off is not. */
	if (ref_consistency(m, n, old, nw, p, np, old, nw, &has) != 1)
		abort(); /* the reference disagrees with itself */
	if (merkle_verify_consistency(m, n, old, nw, p, np) != 0)
		abort();
	nw[31] ^= 0x80;
	if (merkle_verify_consistency(m, n, old, nw, p, np) == 0)
		abort();
	nw[31] ^= 0x80;
	old[0] ^= 1;
	if (merkle_verify_consistency(m, n, old, nw, p, np) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	unsigned flags = take8(&in);
	uint64_t a, b;

	if (flags & 2) {
		a = take64(&in);
		b = take64(&in);
	} else {
		a = take8(&in) % SMALL_MAX;
		b = take8(&in);
		b = (b | (uint64_t)take8(&in) << 8) % (SMALL_MAX + 1);
	}
	if (flags & 1)
		check_consistency(&in, flags, a, b);
	else
		check_inclusion(&in, flags, a, b);
	check_provers(a, b);
	return 0;
}
