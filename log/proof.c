/*
 * proof: inclusion and consistency proofs (RFC 9162 2.1.3, 2.1.4) of the
 * audit log, read from the hashes stored with its leaves through any
 * connection (contract in proof.h).
 */
#include "log/proof.h"

#include "common/util.h"

int proof_inclusion(store *rd, uint64_t index, uint64_t size, merkle_hash *proof, size_t *n)
{
	uint64_t stored;
	int rc;

	*n = 0;
	if ((rc = store_log_size(rd, &stored)) != 0)
		return rc;
	if (index >= size || size > stored)
		return AK_EINVAL;
	return merkle_prove_inclusion(proof, n, index, size, store_log_get_node, rd);
}

int proof_consistency(store *rd, uint64_t size1, uint64_t size2, merkle_hash *proof, size_t *n)
{
	uint64_t stored;
	int rc;

	*n = 0;
	if ((rc = store_log_size(rd, &stored)) != 0)
		return rc;
	if (size1 == 0 || size1 > size2 || size2 > stored)
		return AK_EINVAL;
	return merkle_prove_consistency(proof, n, size1, size2, store_log_get_node, rd);
}
