/*
 * fuzz_merkle: libFuzzer target for crypto/merkle.c.
 *
 * Input layout (short inputs are zero-padded, never read past):
 *   a: u64 LE   leaf index, or size1
 *   b: u64 LE   tree size, or size2
 *   c: u8       proof count, 0..80 (beyond MERKLE_MAX_PROOF on purpose)
 *   32-byte hashes: leaf hash or root1, root or root2, then the proof
 *
 * Both verifiers get the same numbers and hashes and must return without
 * a crash, an out-of-bounds read or undefined behaviour (ASan, UBSan).
 * Then the provers run on a virtual tree of identical leaves, which is a
 * real RFC 6962 tree of any size up to 2^64 - 1 with nothing stored: a
 * proof they produce must verify, must have read only complete subtrees,
 * and a compact range loaded and grown from it must agree with its root.
 *
 * Seeds: fuzz/corpus/merkle/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HASHES 82

struct virt {
	merkle_hash level[64];
	uint64_t size;
	long calls;
};

static struct virt virt;

static int virt_get(void *ctx, unsigned level, uint64_t index, merkle_hash out)
{
	struct virt *v = ctx;
	v->calls++;
	if (level >= 64 || index >= (v->size >> level))
		abort(); /* asked for a subtree that is not complete */
	memcpy(out, v->level[level], MERKLE_HASH_BYTES);
	return 0;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void provers(uint64_t a, uint64_t b)
{
	merkle_hash proof[MERKLE_MAX_PROOF], root_a, root_b, h;
	struct merkle_range r;
	size_t n;
	int rc;

	if (b == 0)
		return;
	virt.size = b;
	if (merkle_root(root_b, b, virt_get, &virt) != 0)
		abort();

	if (a < b) {
		if (merkle_prove_inclusion(proof, &n, a, b, virt_get, &virt) != 0 ||
		    n > MERKLE_MAX_PROOF ||
		    merkle_verify_inclusion(virt.level[0], a, b, proof, n, root_b) != 0)
			abort();
	}

	if (a > 0 && a <= b) {
		virt.size = a;
		if (merkle_root(root_a, a, virt_get, &virt) != 0)
			abort();
		virt.size = b;
		rc = merkle_prove_consistency(proof, &n, a, b, virt_get, &virt);
		if (rc == AK_ETOOBIG && b > (uint64_t)1 << 63)
			return;
		if (rc != 0 || n > MERKLE_MAX_PROOF ||
		    merkle_verify_consistency(a, b, root_a, root_b, proof, n) != 0)
			abort();
	}

	/* A range loaded at size b - 1 and grown by one leaf has root b. */
	virt.size = b - 1;
	if (merkle_range_load(&r, b - 1, virt_get, &virt) != 0)
		abort();
	if (merkle_range_append(&r, virt.level[0], NULL, NULL) != 0)
		abort();
	merkle_range_root(&r, h);
	if (r.size != b || memcmp(h, root_b, MERKLE_HASH_BYTES) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static merkle_hash h[MAX_HASHES];
	uint8_t head[17] = {0};
	uint64_t a, b;
	size_t n, have;

	if (virt.size == 0 && virt.calls == 0) {
		merkle_leaf_hash(virt.level[0], (const uint8_t *)"leaf", 4);
		for (unsigned l = 1; l < 64; l++)
			merkle_node_hash(virt.level[l], virt.level[l - 1], virt.level[l - 1]);
		virt.calls = 1;
	}

	memcpy(head, data, size < sizeof head ? size : sizeof head);
	a = get_u64(head);
	b = get_u64(head + 8);
	n = head[16] % (MAX_HASHES - 1);
	have = size > sizeof head ? size - sizeof head : 0;
	if (have > sizeof h)
		have = sizeof h;
	memset(h, 0, sizeof h);
	memcpy(h, data + sizeof head, have);

	/* h[0], h[1]: leaf and root, or the two roots; h[2..2+n): the proof. */
	(void)merkle_verify_inclusion(h[0], a, b, (const merkle_hash *)&h[2], n, h[1]);
	(void)merkle_verify_consistency(a, b, h[0], h[1], (const merkle_hash *)&h[2], n);

	provers(a, b);
	return 0;
}
