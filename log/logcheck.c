/*
 * logcheck: the audit log checked against itself and its signatures, on
 * any connection to its database (contract in logcheck.h; the tables in
 * schema/001_audit.sql; the tree in crypto/merkle.h).
 *
 * The self-check, on open and by `ankangd check`: the counts of leaves and
 * leaf hashes agree and have no gaps; the newest checkpoint verifies with
 * the log key; it claims no more leaves than are stored; the root at its
 * size, recomputed from stored hashes, is the signed root; every leaf
 * after it parses and its hashes, recomputed, are the stored ones (those
 * are what the next checkpoint will sign); and the last leaf's bytes hash
 * to its stored hash. The full check adds every leaf before the
 * checkpoint: each parses, each stored hash is recomputed from the leaves.
 *
 * Never: write to the database; trust a stored hash that a leaf's own
 * bytes can be held against.
 */
#include "log/logcheck.h"

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

/* Compares each hash an append would store with the stored one. */
struct compare_ctx {
	store *st;
	int bad;
	unsigned level;
	uint64_t index;
};

static int compare_node(void *vctx, unsigned level, uint64_t index, const merkle_hash h)
{
	struct compare_ctx *c = vctx;
	merkle_hash stored;
	int rc = store_log_get_node(c->st, level, index, stored);

	if (rc == 0 && memcmp(stored, h, MERKLE_HASH_BYTES) == 0)
		return 0;
	c->bad = 1;
	c->level = level;
	c->index = index;
	return rc == 0 || rc == AK_ENOENT ? AK_ECORRUPT : rc;
}

/*
 * The leaves after the checkpoint, [from, n): each must parse, and the
 * hashes an append of it would store must be the stored ones.
 */
static int check_tail(store *st, uint64_t from, uint64_t n, const char **why)
{
	struct compare_ctx c = {st, 0, 0, 0};
	struct merkle_range r;
	struct leaf l;
	merkle_hash h;
	char *leaf = NULL;
	size_t len;
	int rc;

	if ((rc = merkle_range_load(&r, from, store_log_get_node, st)) != 0) {
		*why = why_fmt("a stored hash of the first %" PRIu64 " leaves is missing", from);
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	for (uint64_t i = from; i < n; i++) {
		if ((rc = store_log_get_leaf(st, i, &leaf, &len)) != 0) {
			*why = why_fmt("leaf %" PRIu64 " cannot be read", i);
			return rc == AK_ENOENT ? AK_ECORRUPT : rc;
		}
		if (leaf_parse(&l, leaf, len) != 0) {
			free(leaf);
			*why = why_fmt("leaf %" PRIu64 " is not a well-formed entry", i);
			return AK_ECORRUPT;
		}
		merkle_leaf_hash(h, (const uint8_t *)leaf, len);
		free(leaf);
		if ((rc = merkle_range_append(&r, h, compare_node, &c)) != 0) {
			if (c.bad)
				*why = why_fmt("the stored hash at level %u, index %" PRIu64
					       " does not match leaf %" PRIu64,
					       c.level, c.index, i);
			return rc;
		}
	}
	return 0;
}

/*
 * The self-check; see the file comment. On success *cp_size is the newest
 * checkpoint's size and *n the number of leaves. AK_ENOENT (with *n = 0)
 * for a new log: no checkpoint, no leaves, no hashes.
 */
static int self_check(store *st, const struct key_verifier *vk, const char **why, uint64_t *cp_size,
		      uint64_t *n)
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
	*n = cnt.leaves;

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
	rc = checkpoint_open(&cp, note, len, vk);
	free(note);
	if (rc == AK_ECRYPTO || rc == AK_ENOENT) {
		*why =
		    why_fmt("the newest checkpoint (size %" PRIu64 ") is not signed by the log key",
			    row_size);
		return AK_ECORRUPT;
	}
	if (rc != 0) {
		*why = why_fmt("the newest checkpoint (size %" PRIu64
			       ") is malformed or names another origin",
			       row_size);
		return AK_ECORRUPT;
	}
	if (cp.size != row_size) {
		*why = why_fmt("a checkpoint stored as size %" PRIu64 " signs size %" PRIu64,
			       row_size, cp.size);
		return AK_ECORRUPT;
	}
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
	if ((rc = check_tail(st, cp.size, cnt.leaves, why)) != 0)
		return rc;
	if (cnt.leaves > 0 && cp.size == cnt.leaves) {
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
	*cp_size = cp.size;
	return 0;
}

int logcheck_self(store *st, const struct key_verifier *log_key, const char **why,
		  struct logcheck_head *head)
{
	const char *dummy;
	uint64_t cp_size = 0, n = 0;
	int rc = self_check(st, log_key, why != NULL ? why : &dummy, &cp_size, &n);

	if (head != NULL) {
		head->checkpoint_size = cp_size;
		head->size = n;
	}
	return rc;
}

int logcheck_full(store *st, const struct key_verifier *log_key, const char **why)
{
	const char *dummy;
	uint64_t cp_size, n;
	int rc;

	if (why == NULL)
		why = &dummy;
	if ((rc = self_check(st, log_key, why, &cp_size, &n)) != 0)
		return rc;
	return check_tail(st, 0, n, why);
}
