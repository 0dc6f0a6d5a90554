/*
 * logcheck: the audit log held against its own hashes and its signed
 * checkpoints (DESIGN.md, "The audit log's promises"). What a rewritten
 * leaf, a truncated log or a forged checkpoint looks like to each check:
 *
 *   logcheck_self   `ankangd check`, O(leaves after the newest
 *                   checkpoint + log n): catches a log that disagrees with
 *                   its newest signature, gaps, a truncation, and any
 *                   damage to leaves not yet signed. A leaf under the
 *                   signed root whose bytes changed while its stored hash
 *                   did not is NOT caught here: the root is recomputed
 *                   from stored hashes.
 *   logcheck_since  the start-up check (auditlog_open): the same, with the
 *                   leaves from an earlier one on rehashed too (those
 *                   written since the previous start). What lies below
 *                   that is left to log/scrub.h.
 *   logcheck_full   all of the above and every leaf rehashed, every stored
 *                   hash recomputed: O(n). Catches any change to any leaf
 *                   or hash.
 *
 * Both run on any connection (read-only is enough) and write nothing.
 * *why, if not NULL, receives a description of a failure ("the root at
 * size N recomputed from stored hashes does not match the signed
 * checkpoint", ...): thread-local static text, valid until the same
 * thread's next call.
 */
#ifndef ANKANG_LOGCHECK_H
#define ANKANG_LOGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/checkpoint.h"
#include "crypto/key.h"
#include "crypto/merkle.h"
#include "log/store.h"

/* What a passing self-check found. */
struct logcheck_head {
	uint64_t size;            /* leaves stored */
	uint64_t checkpoint_size; /* the newest signed checkpoint's size */
	/* Leaves [rehashed_from, size) were each parsed and rehashed; those
	 * below were held against the signed root through their stored
	 * hashes only. */
	uint64_t rehashed_from;
};

/*
 * The self-check. head (may be NULL) gets the sizes on success. 0,
 * AK_ECORRUPT (with *why), AK_ENOENT (a new log: no checkpoint and no
 * leaves), AK_EDB.
 */
int logcheck_self(store *st, const struct key_verifier *log_key, const char **why,
		  struct logcheck_head *head);

/*
 * The self-check, with every leaf from min(from, the newest checkpoint's
 * size) on rehashed as the leaves after the checkpoint are (a mismatch's
 * why names the leaf). logcheck_self is this with from = UINT64_MAX,
 * logcheck_full with from = 0. Returns as logcheck_self.
 */
int logcheck_since(store *st, const struct key_verifier *log_key, uint64_t from, const char **why,
		   struct logcheck_head *head);

/* The self-check, then every leaf before the checkpoint too. 0,
 * AK_ECORRUPT, AK_ENOENT, AK_EDB. */
int logcheck_full(store *st, const struct key_verifier *log_key, const char **why);

/*
 * One leaf row (store_log_rows) held against r, the range of the leaves
 * before it: idx must be r->size, the bytes must parse, and the leaf hash
 * and every inner hash that appending it completes must be the hashes
 * stored in the row, no more and no fewer. On success the leaf is
 * appended to r; on failure r is unchanged. What every rehash of the log
 * does per leaf (the checks above, log/scrub.c). 0, or AK_ECORRUPT with
 * *why naming the leaf.
 */
int logcheck_row(struct merkle_range *r, uint64_t idx, const char *leaf, size_t len,
		 const uint8_t *hashes, size_t hlen, const char **why);

/*
 * A checkpoint note as the log's table stores it, at size: it must open
 * under log_key (signature, origin, form) and sign that same size. Its
 * root is the caller's to compare, against what it recomputed. What
 * every check of the stored checkpoints does (the self-check and
 * log/scrub.c). 0 with *cp, or AK_ECORRUPT with *why ("the checkpoint at
 * size N is not signed by the log key", ...).
 */
int logcheck_checkpoint(const char *note, size_t len, const struct key_verifier *log_key,
			uint64_t size, struct checkpoint *cp, const char **why);

#endif
