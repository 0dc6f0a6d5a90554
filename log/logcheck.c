/*
 * logcheck: the audit log checked against itself and its signatures, on
 * any connection to its database (contract in logcheck.h; the tables in
 * schema/001_audit.sql; the tree in crypto/merkle.h).
 *
 * The self-check, by `ankangd check`: the counts of leaves and leaf
 * hashes agree and have no gaps; the newest checkpoint verifies with the
 * log key; it claims no more leaves than are stored; the root at its
 * size, recomputed from stored hashes, is the signed root; every leaf
 * after it parses and its hashes, recomputed, are the stored ones (those
 * are what the next checkpoint will sign); and the last leaf's bytes hash
 * to its stored hash. The start-up check (logcheck_since) rehashes the
 * same way from an earlier leaf on, the full check from leaf 0: each leaf
 * parses, each stored hash is recomputed from the leaves. Starting the
 * rehash at leaf k trusts the stored hashes of the first k leaves only as
 * far as the signed root vouches for them: a leaf below k whose bytes
 * changed while its stored hashes did not is not seen.
 *
 * Every check reads in one snapshot of the database (logcheck_since).
 *
 * Never: write to the database; trust a stored hash that a leaf's own
 * bytes can be held against.
 */
#include "log/logcheck.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"

/* Room for a why with numbers in it. Thread-local, so each thread's
 * answer stays valid until its own next call. */
static __thread char why_buf[200];

static const char *why_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *why_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	return why_buf;
}

int logcheck_checkpoint(const char *note, size_t len, const struct key_verifier *log_key,
			uint64_t size, struct checkpoint *cp, const char **why)
{
	int rc = checkpoint_open(cp, note, len, log_key);

	if (rc == AK_ECRYPTO || rc == AK_ENOENT)
		*why = why_fmt("the checkpoint at size %" PRIu64 " is not signed by the log key",
			       size);
	else if (rc != 0)
		*why = why_fmt("the checkpoint at size %" PRIu64
			       " is malformed or names another origin",
			       size);
	else if (cp->size != size)
		*why = why_fmt("a checkpoint stored as size %" PRIu64 " signs size %" PRIu64, size,
			       cp->size);
	else
		return 0;
	return AK_ECORRUPT;
}

/*
 * The hashes an append completes, held against the ones stored in the
 * leaf's row: the node of level k that the append of leaf idx completes
 * is stored in that row at byte 32 * k (schema/001_audit.sql).
 */
struct row_hashes {
	const uint8_t *h;
	size_t len;
	unsigned seen; /* levels compared so far */
	unsigned bad_level;
	uint64_t bad_index;
};

static int compare_row(void *ctx, unsigned level, uint64_t index, const merkle_hash h)
{
	struct row_hashes *r = ctx;

	assert(level == r->seen);
	r->seen++;
	if ((size_t)(level + 1) * MERKLE_HASH_BYTES <= r->len &&
	    memcmp(r->h + (size_t)level * MERKLE_HASH_BYTES, h, MERKLE_HASH_BYTES) == 0)
		return 0;
	r->bad_level = level;
	r->bad_index = index;
	return AK_ECORRUPT;
}

int logcheck_row(struct merkle_range *r, uint64_t idx, const char *leaf, size_t len,
		 const uint8_t *hashes, size_t hlen, const char **why)
{
	struct row_hashes c = {hashes, hlen, 0, 0, 0};
	struct leaf l;
	merkle_hash h;
	int rc;

	if (idx != r->size) {
		*why = why_fmt("leaf %" PRIu64 " is missing", r->size);
		return AK_ECORRUPT;
	}
	if (leaf_parse(&l, leaf, len) != 0) {
		*why = why_fmt("leaf %" PRIu64 " is not a well-formed entry", idx);
		return AK_ECORRUPT;
	}
	merkle_leaf_hash(h, (const uint8_t *)leaf, len);
	if ((rc = merkle_range_append(r, h, compare_row, &c)) != 0) {
		if (rc == AK_ECORRUPT)
			*why = why_fmt("the stored hash at level %u, index %" PRIu64
				       " does not match leaf %" PRIu64,
				       c.bad_level, c.bad_index, idx);
		return rc;
	}
	if ((size_t)c.seen * MERKLE_HASH_BYTES != hlen) {
		*why = why_fmt("the row of leaf %" PRIu64 " stores more hashes than it completes",
			       idx);
		return AK_ECORRUPT;
	}
	return 0;
}

struct tail {
	struct merkle_range r;
	const char **why;
};

static int tail_row(void *ctx, uint64_t idx, const char *leaf, size_t len, const uint8_t *hashes,
		    size_t hlen)
{
	struct tail *t = ctx;
	return logcheck_row(&t->r, idx, leaf, len, hashes, hlen, t->why);
}

/*
 * The leaves [from, n), read in one scan: each must parse, and the hashes
 * an append of it completes must be the ones stored in its row. The
 * range starts from the stored hashes of the first `from` leaves.
 */
static int check_tail(store *st, uint64_t from, uint64_t n, const char **why)
{
	struct tail t;
	int rc;

	t.why = why;
	if ((rc = merkle_range_load(&t.r, from, store_log_get_node, st)) != 0) {
		*why = why_fmt("a stored hash of the first %" PRIu64 " leaves is missing", from);
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	*why = NULL;
	if ((rc = store_log_rows(st, from, n, tail_row, &t)) != 0) {
		if (*why == NULL)
			*why = "the log's leaves cannot be read";
		return rc;
	}
	if (t.r.size != n) {
		*why = why_fmt("leaf %" PRIu64 " is missing", t.r.size);
		return AK_ECORRUPT;
	}
	return 0;
}

/*
 * The self-check, with the leaves from min(from, the checkpoint's size)
 * on rehashed; see the file comment. On success head has the sizes.
 * AK_ENOENT (with head->size = 0) for a new log: no checkpoint, no
 * leaves, no hashes.
 */
static int self_check(store *st, const struct key_verifier *vk, uint64_t from, const char **why,
		      struct logcheck_head *head)
{
	struct store_log_counts cnt;
	struct checkpoint cp;
	merkle_hash root;
	char *note = NULL;
	size_t len;
	uint64_t row_size;
	int rc;

	*why = NULL;
	if ((rc = store_log_counts(st, &cnt)) != 0) {
		*why = "the log's tables cannot be read";
		return rc;
	}
	if (cnt.leaves != cnt.leaves_end) {
		*why = why_fmt("leaf indexes have gaps: %" PRIu64 " leaves up to index %" PRIu64,
			       cnt.leaves, cnt.leaves_end);
		return AK_ECORRUPT;
	}
	if (cnt.hashes != cnt.hashes_end) {
		*why = why_fmt("leaf hashes have gaps: %" PRIu64 " hashes up to index %" PRIu64,
			       cnt.hashes, cnt.hashes_end);
		return AK_ECORRUPT;
	}
	if (cnt.leaves != cnt.hashes) {
		*why = why_fmt("%" PRIu64 " leaves are stored but %" PRIu64 " leaf hashes",
			       cnt.leaves, cnt.hashes);
		return AK_ECORRUPT;
	}
	head->size = cnt.leaves;

	rc = store_log_last_checkpoint(st, &row_size, &note, &len);
	if (rc == AK_ENOENT) {
		if (cnt.leaves == 0) {
			*why = "the log has no signed checkpoint yet";
			return AK_ENOENT;
		}
		*why =
		    why_fmt("%" PRIu64 " leaves are stored but no signed checkpoint", cnt.leaves);
		return AK_ECORRUPT;
	}
	if (rc != 0) {
		*why = "the checkpoints cannot be read";
		return rc;
	}
	rc = logcheck_checkpoint(note, len, vk, row_size, &cp, why);
	free(note);
	if (rc != 0)
		return rc;
	if (cp.size > cnt.leaves) {
		*why = why_fmt("the newest checkpoint signs %" PRIu64 " leaves but only %" PRIu64
			       " are stored",
			       cp.size, cnt.leaves);
		return AK_ECORRUPT;
	}
	if ((rc = merkle_root(root, cp.size, store_log_get_node, st)) != 0) {
		*why = why_fmt("a stored hash under the checkpoint at size %" PRIu64 " is missing",
			       cp.size);
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	if (memcmp(root, cp.root, MERKLE_HASH_BYTES) != 0) {
		*why =
		    why_fmt("the root at size %" PRIu64
			    " recomputed from stored hashes does not match the signed checkpoint",
			    cp.size);
		return AK_ECORRUPT;
	}
	if (from > cp.size)
		from = cp.size;
	if ((rc = check_tail(st, from, cnt.leaves, why)) != 0)
		return rc;
	if (cnt.leaves > 0 && from == cnt.leaves) {
		/* check_tail covered it when the tail is not empty */
		merkle_hash h, stored;
		char *leaf = NULL;
		uint64_t last = cnt.leaves - 1;

		if ((rc = store_log_get_leaf(st, last, &leaf, &len)) != 0 ||
		    (rc = store_log_get_node(st, 0, last, stored)) != 0) {
			*why = "the last leaf or its hash cannot be read";
			return rc == AK_ENOENT ? AK_ECORRUPT : rc;
		}
		merkle_leaf_hash(h, (const uint8_t *)leaf, len);
		free(leaf);
		if (memcmp(h, stored, MERKLE_HASH_BYTES) != 0) {
			*why = why_fmt("the bytes of the last leaf (%" PRIu64
				       ") do not match its stored hash",
				       last);
			return AK_ECORRUPT;
		}
	}
	head->checkpoint_size = cp.size;
	head->rehashed_from = from;
	return 0;
}

/*
 * The check reads in one snapshot (a read transaction of its own, unless
 * the caller holds one): another process may append and sign while it
 * runs (a second front-end, `ankangd account`), and counts read before a
 * checkpoint that was signed after them would contradict it.
 */
int logcheck_since(store *st, const struct key_verifier *log_key, uint64_t from, const char **why,
		   struct logcheck_head *head)
{
	struct logcheck_head h = {0, 0, 0};
	const char *dummy;
	int own = !store_in_transaction(st), rc;

	if (why == NULL)
		why = &dummy;
	if (own && (rc = store_begin_read(st)) != 0) {
		*why = "the log's tables cannot be read";
		return rc;
	}
	rc = self_check(st, log_key, from, why, &h);
	if (own)
		store_rollback(st);
	if (head != NULL)
		*head = h;
	return rc;
}

int logcheck_self(store *st, const struct key_verifier *log_key, const char **why,
		  struct logcheck_head *head)
{
	return logcheck_since(st, log_key, UINT64_MAX, why, head);
}

int logcheck_full(store *st, const struct key_verifier *log_key, const char **why)
{
	return logcheck_since(st, log_key, 0, why, NULL);
}
