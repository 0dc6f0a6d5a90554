/*
 * proof: inclusion and consistency proofs of the audit log (RFC 9162
 * 2.1.3 and 2.1.4, hashes listed leaf-side first), read from the hashes
 * stored with its leaves (schema/001_audit.sql) through any connection: a
 * reader's, an auditor's read-only copy. O(log n) stored hashes each.
 */
#ifndef ANKANG_PROOF_H
#define ANKANG_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "log/store.h"

/*
 * The proof that leaf index is in the tree of the first size leaves
 * (index < size <= stored size), into proof[MERKLE_MAX_PROOF] and *n.
 * 0, AK_EINVAL (a range with no proof), AK_ECORRUPT (a stored hash is
 * missing), AK_EDB.
 */
int proof_inclusion(store *rd, uint64_t index, uint64_t size, merkle_hash *proof, size_t *n);

/* The proof that the tree of size1 leaves is a prefix of the tree of
 * size2 (0 < size1 <= size2 <= stored size). Returns as proof_inclusion. */
int proof_consistency(store *rd, uint64_t size1, uint64_t size2, merkle_hash *proof, size_t *n);

#endif
