/*
 * auditlog: the audit log's writer thread, its checkpoints, its start-up
 * self-check and its proofs (contract in auditlog.h; the tables in
 * schema/001_audit.sql; the tree in crypto/merkle.h).
 *
 * Group commit. Submitters put an operation on a queue (mutex + condition
 * variable) and sleep on a semaphore of their own. The writer takes what
 * is queued, opens one write transaction, and runs operation after
 * operation in it; while the batch has room it keeps taking the newcomers
 * that arrived meanwhile, and (when max_wait_us is set) waits for more at
 * most that long from the batch's start. By default it waits for no one:
 * the batch closes when the queue is empty, so a lone request commits at
 * once and under load the batch is what queued while the last one
 * committed. (Waiting 200 us for stragglers cost 20-25% of the rate with
 * the service's 64 asynchronous submitters: bench/bench_auditlog.c.) Then it
 * commits once (one fsync for the whole batch), and only after COMMIT has
 * returned does it wake the batch's submitters (as a tree, see run_batch).
 * An operation with a state change runs inside its own SAVEPOINT, so a
 * change that fails is rolled back alone; an operation without one can
 * fail only on a leaf that will not format, which is found before
 * anything is written.
 * Anything else that fails inside the transaction is the database
 * failing, and fails the whole batch: it is rolled back and every
 * operation in it gets AK_EDB.
 *
 * The tree. The writer keeps the log's compact range (merkle_range: one
 * hash per set bit of the size) in memory, and every append stores, in
 * the leaf's own row, the leaf hash and each perfect subtree it completes
 * (schema/001_audit.sql), so roots and proofs read O(log n) stored
 * hashes. The range is copied before each batch (and
 * before each operation) and restored when the batch (the operation) is
 * rolled back, so memory never runs ahead of the disk. Inside each write
 * transaction the writer first compares the stored size with its own:
 * another process (`ankangd issue` next to a running service) may have
 * appended, and then the range is reloaded from the stored hashes. A log
 * that has become shorter than the writer's range has been truncated
 * behind its back; the writer then refuses all further writes.
 *
 * WAL checkpoints (copying the WAL back into the database file) and the
 * steps that keep the log's index file up to date run on a thread and
 * connection of their own, never inside the writer's transaction; see
 * "checkpointer" below.
 *
 * Checkpoints. After a commit that grew the tree, and at most once per
 * checkpoint_ms, the writer signs the committed size and root with the
 * log key (C2SP checkpoint, origin = the key's name) and stores the note
 * in a transaction of its own. It signs only trees that are already
 * durable, so two checkpoints it signs are always consistent. On close it
 * drains the queue and signs the final state.
 *
 * The self-check, on open and by `ankangd check`: the counts of leaves and
 * leaf hashes agree and have no gaps; the newest checkpoint verifies with
 * the log key; it claims no more leaves than are stored; the root at its
 * size, recomputed from stored hashes, is the signed root; every leaf
 * after it parses and its hashes, recomputed, are the stored ones (those
 * are what the next checkpoint will sign); and the last leaf's bytes hash
 * to its stored hash. The leaves inside the signed tree are not rehashed
 * here (that is O(n), the auditor's job: ankang-audit verify).
 *
 * Never: answer a submitter before COMMIT returned; sign a tree that is
 * not committed; write a log table except by appending.
 */
#include "service/auditlog.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/note_sign.h"

#define DEFAULT_MAX_BATCH     256
#define DEFAULT_MAX_WAIT_US   0
#define DEFAULT_CHECKPOINT_MS 1000

/*
 * One leaf as its submitter prepared it (prepare): its bytes at
 * op->bytes + off, their leaf hash, and the fields they were formatted
 * from, so that the writer can tell whether a change edited the leaf.
 * len 0: not prepared (it would not format before its change ran).
 */
struct prep {
	merkle_hash hash;
	struct leaf snap;
	uint32_t off, len;
};

struct op {
	struct leaf *leaves;
	size_t n;
	auditlog_change_fn change;
	void *ctx;
	int rc;
	uint64_t first;
	uint64_t submit_ms; /* given to leaves whose time_ms is 0 */
	/* n preparations and their bytes: the two below for a one-leaf
	 * operation (the usual kind: no allocation), else malloc'd. */
	struct prep *prep;
	char *bytes;
	struct prep prep1;
	char bytes1[LEAF_MAX + 1];
	/* A blocking submitter sleeps on done; an asynchronous one has a
	 * callback instead, and the op is the writer's to free. */
	auditlog_done_fn on_done;
	void *on_done_arg;
	sem_t done;
	struct op *next;
	struct op *wake[2]; /* whom this op's submitter wakes in turn */
};

struct auditlog {
	struct auditlog_config cfg;
	const key_signer *key;
	pthread_t thread;
	int started;

	/* The queue, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	struct op *head, *tail;
	int closing;

	/* The writer's own: no lock. */
	store *st;
	struct op **batch;
	struct merkle_range range;
	uint64_t cp_size;  /* size of the newest stored checkpoint */
	uint64_t cp_at_ns; /* when the writer last tried to sign one */
	int broken;        /* AK_ECORRUPT once the log shrank under us */

	/* The checkpointer: its own thread and connection, under ck_mu. */
	pthread_t ck_thread;
	int ck_started, ck_closing;
	store *ck;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_wake;
	int wal_frames;   /* the WAL's size after the writer's last commit */
	int wal_copied;   /* how much of it the last checkpoint copied back */
	int ck_index;     /* ck has the index file attached */
	uint64_t ck_size; /* the log's size after the writer's last commit */
	uint64_t ix_mark; /* the index file covers the leaves below this */

	/* Published after each commit, under head_mu. */
	pthread_mutex_t head_mu;
	uint64_t head_size;
	merkle_hash head_root;
	struct auditlog_stats stats;
};

void auditlog_config_default(struct auditlog_config *c)
{
	c->max_batch = DEFAULT_MAX_BATCH;
	c->max_wait_us = DEFAULT_MAX_WAIT_US;
	c->checkpoint_ms = DEFAULT_CHECKPOINT_MS;
}

/* ------------------------------------------------------------ the checks */

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

int auditlog_self_check(store *st, const struct key_verifier *log_key, const char **why)
{
	const char *dummy;
	uint64_t cp_size, n;

	return self_check(st, log_key, why != NULL ? why : &dummy, &cp_size, &n);
}

int auditlog_check_all(store *st, const struct key_verifier *log_key, const char **why)
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

/* ------------------------------------------------------------ the writer */

static void abs_deadline(struct timespec *ts, uint64_t mono_ns)
{
	ts->tv_sec = (time_t)(mono_ns / 1000000000u);
	ts->tv_nsec = (long)(mono_ns % 1000000000u);
}

/* The hashes one append completes, in the order merkle_range_append hands
 * them out (the leaf's, then each merge's): what the leaf's row stores. */
struct completed {
	merkle_hash h[58];
	size_t n;
};

static int collect_node(void *ctx, unsigned level, uint64_t index, const merkle_hash h)
{
	struct completed *c = ctx;

	(void)index;
	if (level != c->n || c->n >= AK_ARRAY_LEN(c->h))
		return AK_ETOOBIG;
	memcpy(c->h[c->n++], h, MERKLE_HASH_BYTES);
	return 0;
}

/*
 * Inside a write transaction: makes the in-memory range agree with what
 * is stored. Another process may have appended (reload); a shorter log
 * means someone truncated it (refuse, for good).
 */
static int sync_range(auditlog *a)
{
	uint64_t n;
	int rc;

	if ((rc = store_log_size(a->st, &n)) != 0)
		return rc;
	if (n == a->range.size)
		return 0;
	if (n < a->range.size) {
		a->broken = AK_ECORRUPT;
		return AK_ECORRUPT;
	}
	return merkle_range_load(&a->range, n, store_log_get_node, a->st);
}

/* Signs and stores a checkpoint for the committed tree, unless the newest
 * stored one already covers it. Its own transaction. */
static int write_checkpoint(auditlog *a)
{
	const key_signer *signer = a->key;
	struct checkpoint cp;
	char text[CHECKPOINT_TEXT_MAX + 1], *note = NULL, *last = NULL;
	size_t note_len, last_len;
	uint64_t last_size = 0;
	int rc, tlen, have_last;

	a->cp_at_ns = util_mono_ns();
	if (a->broken)
		return a->broken;
	if ((rc = store_begin(a->st)) != 0)
		return rc;
	if ((rc = sync_range(a)) != 0)
		goto fail;
	rc = store_log_last_checkpoint(a->st, &last_size, &last, &last_len);
	free(last);
	if (rc != 0 && rc != AK_ENOENT)
		goto fail;
	have_last = rc == 0;
	if (have_last && last_size >= a->range.size) {
		a->cp_size = last_size;
		return store_rollback(a->st);
	}

	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", key_signer_verifier(signer)->name);
	cp.size = a->range.size;
	merkle_range_root(&a->range, cp.root);
	if ((tlen = checkpoint_format(text, sizeof text, &cp)) < 0) {
		rc = tlen;
		goto fail;
	}
	if ((rc = note_sign(&note, &note_len, text, (size_t)tlen, &signer, 1)) != 0)
		goto fail;
	rc = store_log_put_checkpoint(a->st, cp.size, note, note_len, util_now_ms());
	free(note);
	if (rc != 0 || (rc = store_commit(a->st)) != 0)
		goto fail;
	a->cp_size = cp.size;
	pthread_mutex_lock(&a->head_mu);
	a->stats.checkpoints++;
	a->stats.checkpoint_size = cp.size;
	pthread_mutex_unlock(&a->head_mu);
	return 0;
fail:
	store_rollback(a->st);
	return rc;
}

static int checkpoint_due(const auditlog *a, uint64_t now_ns)
{
	return a->range.size > a->cp_size &&
	       now_ns - a->cp_at_ns >= (uint64_t)a->cfg.checkpoint_ms * 1000000u;
}

/*
 * Formats one leaf into out (LEAF_MAX + 1 bytes): its length, or
 * AK_EINVAL for a leaf that will not format or whose numbers the database
 * cannot hold (SQLite integers are signed), so that a bad leaf fails its
 * own operation and never the INSERT, which would fail the batch.
 */
static int format_one(char *out, const struct leaf *l)
{
	int n;

	if (l->time_ms > (uint64_t)INT64_MAX ||
	    (l->actor_id != LEAF_NO_ID && l->actor_id > (uint64_t)INT64_MAX))
		return AK_EINVAL;
	n = leaf_format(out, l);
	return n > 0 ? n : AK_EINVAL;
}

/* Room for the bytes of an operation of n leaves: a leaf is at most 185
 * bytes (the longest words of leaf.c, 19-digit numbers), and each one is
 * formatted into LEAF_MAX + 1 bytes of room; prepare grows it if not. */
#define PREP_BYTES_PER_LEAF 192

static void prep_free(struct op *op)
{
	if (op->prep != &op->prep1)
		free(op->prep);
	if (op->bytes != op->bytes1)
		free(op->bytes);
	op->prep = NULL;
	op->bytes = NULL;
}

/*
 * In the submitter's thread, before the operation is queued: gives each
 * leaf whose time_ms is 0 the time of submission, formats it and hashes
 * it. The writer, which every submitter waits for, is left with only what
 * depends on the order: the index, the inner nodes and the row. (On the
 * 2-CPU VM, formatting and hashing a leaf took ~1.5 us of the writer's
 * ~7.5 us a leaf; bench/bench_auditlog.c has the numbers.) A leaf that
 * will not format fails the submission with AK_EINVAL, unless the
 * operation has a change, which may still fill it in: then it stays
 * unprepared and the writer formats it after the change (run_op).
 * AK_ENOMEM. On failure nothing is left to free.
 */
static int prepare(struct op *op)
{
	size_t cap = sizeof op->bytes1, used = 0;

	op->submit_ms = util_now_ms();
	op->prep = &op->prep1;
	op->bytes = op->bytes1;
	if (op->n > 1) {
		cap = op->n * PREP_BYTES_PER_LEAF + LEAF_MAX + 1;
		op->prep = malloc(op->n * sizeof *op->prep);
		op->bytes = malloc(cap);
		if (op->prep == NULL || op->bytes == NULL) {
			prep_free(op);
			return AK_ENOMEM;
		}
	}
	for (size_t i = 0; i < op->n; i++) {
		struct leaf *l = &op->leaves[i];
		struct prep *p = &op->prep[i];
		int n;

		if (cap - used < LEAF_MAX + 1) {
			char *more = realloc(op->bytes, 2 * cap);
			if (more == NULL) {
				prep_free(op);
				return AK_ENOMEM;
			}
			op->bytes = more;
			cap *= 2;
		}
		if (l->time_ms == 0)
			l->time_ms = op->submit_ms;
		p->off = (uint32_t)used;
		if ((n = format_one(op->bytes + used, l)) < 0) {
			if (op->change == NULL) {
				prep_free(op);
				return AK_EINVAL;
			}
			p->len = 0;
			continue;
		}
		p->len = (uint32_t)n;
		used += (size_t)n;
		memcpy(&p->snap, l, sizeof *l);
		merkle_leaf_hash(p->hash, (const uint8_t *)op->bytes + p->off, (size_t)n);
	}
	return 0;
}

/* Appends one leaf, given its bytes and leaf hash, at the range's size. */
static int append_one(auditlog *a, const char *bytes, size_t len, const merkle_hash h)
{
	struct completed c;
	uint64_t idx = a->range.size;
	int rc;

	/* The range moves first; if the row cannot be stored, the caller puts
	 * back the range it saved (run_op, run_batch). */
	c.n = 0;
	if ((rc = merkle_range_append(&a->range, h, collect_node, &c)) != 0)
		return rc;
	return store_log_append_hashed(a->st, idx, bytes, len, c.h, c.n);
}

/*
 * Appends the leaves of an operation whose change has run: each as it was
 * prepared, unless the change edited it (or it was not prepared), which
 * is formatted and hashed again here. Leaves the change left alone are
 * the common case: a change fills a leaf in only on some outcomes (a new
 * resident's pseudonym, a result of not_found).
 */
static int append_changed(auditlog *a, struct op *op)
{
	for (size_t i = 0; i < op->n; i++) {
		struct leaf *l = &op->leaves[i];
		const struct prep *p = &op->prep[i];
		char buf[LEAF_MAX + 1];
		merkle_hash h;
		int n, rc;

		if (p->len != 0 && memcmp(&p->snap, l, sizeof *l) == 0) {
			rc = append_one(a, op->bytes + p->off, p->len, p->hash);
		} else {
			if (l->time_ms == 0)
				l->time_ms = op->submit_ms;
			if ((n = format_one(buf, l)) < 0)
				return n;
			merkle_leaf_hash(h, (const uint8_t *)buf, (size_t)n);
			rc = append_one(a, buf, (size_t)n, h);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Runs one operation inside the open transaction. Returns 0 when the
 * batch may go on (op->rc says how the operation itself went), or an
 * error that fails the whole batch.
 */
static int run_op(auditlog *a, struct op *op)
{
	struct merkle_range before;
	int rc;

	op->first = a->range.size;
	if (op->change == NULL) {
		/* Prepared in full when submitted: only the database can fail. */
		for (size_t i = 0; i < op->n; i++) {
			const struct prep *p = &op->prep[i];
			if ((rc = append_one(a, op->bytes + p->off, p->len, p->hash)) != 0)
				return rc;
		}
		return 0;
	}

	memcpy(&before, &a->range, sizeof before);
	if ((rc = store_savepoint(a->st)) != 0)
		return rc;
	op->rc = op->change(op->ctx, a->st, op->leaves, op->n);
	if (op->rc > 0) /* not an AK_E* code: a bug in the callback */
		op->rc = AK_EINVAL;
	if (!store_in_transaction(a->st)) {
		/* The change (or an I/O error under it) ended the transaction:
		 * nothing more may be written, or it would commit on its own. */
		memcpy(&a->range, &before, sizeof before);
		op->rc = AK_EDB;
		return AK_EDB;
	}
	if (op->rc == 0)
		op->rc = append_changed(a, op);
	if (op->rc == 0)
		return store_release(a->st);
	/* Undo this operation alone, if the transaction is still there. */
	memcpy(&a->range, &before, sizeof before);
	if (store_in_transaction(a->st) && store_rollback_to(a->st) == 0 &&
	    store_release(a->st) == 0)
		return 0;
	return AK_EDB;
}

/* Takes up to room operations off the queue (mu held). */
static size_t take(auditlog *a, struct op **out, size_t room)
{
	size_t k = 0;

	while (k < room && a->head != NULL) {
		out[k++] = a->head;
		a->head = a->head->next;
	}
	if (a->head == NULL)
		a->tail = NULL;
	return k;
}

static unsigned hist_bucket(size_t n)
{
	unsigned b = 0;

	while (b < 7 && n >= ((size_t)2 << b))
		b++;
	return b;
}

/*
 * One batch: called with mu held and the queue non-empty; returns with mu
 * held. The lock is dropped while the database works.
 */
static void run_batch(auditlog *a)
{
	struct op **batch = a->batch;
	struct merkle_range saved;
	size_t k, done = 0;
	uint64_t start = util_mono_ns(), deadline, t0, t1;
	uint64_t old_size;
	int rc;

	deadline = start + (uint64_t)a->cfg.max_wait_us * 1000u;
	k = take(a, batch, a->cfg.max_batch);
	pthread_mutex_unlock(&a->mu);

	memcpy(&saved, &a->range, sizeof saved);
	rc = a->broken;
	if (rc == 0 && (rc = store_begin(a->st)) == 0 && (rc = sync_range(a)) != 0)
		store_rollback(a->st);
	old_size = a->range.size;
	if (rc == 0)
		memcpy(&saved, &a->range, sizeof saved);

	while (rc == 0) {
		for (; done < k && rc == 0; done++)
			rc = run_op(a, batch[done]);
		if (rc != 0 || k == a->cfg.max_batch)
			break;
		/* Room left: take newcomers, waiting for them until the deadline. */
		pthread_mutex_lock(&a->mu);
		while (a->head == NULL && !a->closing && util_mono_ns() < deadline) {
			struct timespec ts;
			abs_deadline(&ts, deadline);
			pthread_cond_timedwait(&a->wake, &a->mu, &ts);
		}
		k += take(a, batch + k, a->cfg.max_batch - k);
		pthread_mutex_unlock(&a->mu);
		if (done == k)
			break;
	}

	t0 = util_mono_ns();
	if (rc == 0)
		rc = store_commit(a->st);
	t1 = util_mono_ns();
	if (rc != 0) {
		store_rollback(a->st);
		memcpy(&a->range, &saved, sizeof saved);
		for (size_t i = 0; i < k; i++)
			if (i >= done || batch[i]->rc == 0)
				batch[i]->rc = rc == AK_ECORRUPT ? AK_ECORRUPT : AK_EDB;
	}

	pthread_mutex_lock(&a->head_mu);
	if (rc == 0) {
		a->head_size = a->range.size;
		merkle_range_root(&a->range, a->head_root);
		a->stats.leaves += a->range.size - old_size;
		a->stats.commit_ns_total += t1 - t0;
		if (t1 - t0 > a->stats.commit_ns_max)
			a->stats.commit_ns_max = t1 - t0;
	} else {
		a->stats.failed_batches++;
	}
	a->stats.batches++;
	a->stats.ops += k;
	a->stats.batch_hist[hist_bucket(k)]++;
	pthread_mutex_unlock(&a->head_mu);

	/*
	 * Asynchronous operations first: their callbacks (a server resuming a
	 * suspended connection) are quick and must not block. The op is ours
	 * and goes once its callback has run.
	 */
	{
		size_t m = 0;
		for (size_t i = 0; i < k; i++) {
			struct op *op = batch[i];
			if (op->on_done == NULL) {
				batch[m++] = op;
				continue;
			}
			op->on_done(op->on_done_arg, op->rc, op->rc == 0 ? op->first : 0);
			prep_free(op);
			free(op);
		}
		k = m;
	}
	/*
	 * Wake the blocking submitters as a binary tree: the writer wakes the
	 * first, and each woken submitter wakes two more before it returns. A
	 * wake-up is a system call; this way the writer makes one per batch
	 * instead of one per operation, and is back at work sooner. Each
	 * submitter may free its op the moment it wakes, so everything is
	 * written first, and an op is touched only by whoever wakes it, while
	 * it still sleeps.
	 */
	for (size_t i = 0; i < k; i++) {
		batch[i]->wake[0] = 2 * i + 1 < k ? batch[2 * i + 1] : NULL;
		batch[i]->wake[1] = 2 * i + 2 < k ? batch[2 * i + 2] : NULL;
	}
	if (k > 0)
		sem_post(&batch[0]->done);
	pthread_mutex_lock(&a->mu);
}

static void *writer_main(void *arg)
{
	auditlog *a = arg;

	pthread_setname_np(pthread_self(), "auditlog-writer");

	pthread_mutex_lock(&a->mu);
	for (;;) {
		uint64_t now = util_mono_ns();

		if (a->head != NULL) {
			run_batch(a);
			now = util_mono_ns();
			if (checkpoint_due(a, now)) {
				pthread_mutex_unlock(&a->mu);
				write_checkpoint(a);
				pthread_mutex_lock(&a->mu);
			}
			continue;
		}
		if (a->closing)
			break;
		if (a->range.size > a->cp_size && !a->broken) {
			/* Growth not yet signed: sleep only until it is due. */
			struct timespec ts;
			if (checkpoint_due(a, now)) {
				pthread_mutex_unlock(&a->mu);
				write_checkpoint(a);
				pthread_mutex_lock(&a->mu);
				continue;
			}
			abs_deadline(&ts, a->cp_at_ns + (uint64_t)a->cfg.checkpoint_ms * 1000000u);
			pthread_cond_timedwait(&a->wake, &a->mu, &ts);
		} else {
			pthread_cond_wait(&a->wake, &a->mu);
		}
	}
	pthread_mutex_unlock(&a->mu);
	/* The final state is always signed. */
	if (a->range.size > a->cp_size)
		write_checkpoint(a);
	return NULL;
}

/* ------------------------------------------------------------- the API */

int auditlog_submit(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
		    void *ctx, uint64_t *first_index)
{
	struct op op;
	int rc;

	if (n == 0 || n > AUDITLOG_MAX_OP_LEAVES || leaves == NULL)
		return AK_EINVAL;
	memset(&op, 0, sizeof op);
	op.leaves = leaves;
	op.n = n;
	op.change = change;
	op.ctx = ctx;
	if ((rc = prepare(&op)) != 0)
		return rc;
	if (sem_init(&op.done, 0, 0) != 0) {
		prep_free(&op);
		return AK_ENOMEM;
	}

	pthread_mutex_lock(&a->mu);
	if (a->closing) {
		pthread_mutex_unlock(&a->mu);
		sem_destroy(&op.done);
		prep_free(&op);
		return AK_EBUSY;
	}
	if (a->tail != NULL)
		a->tail->next = &op;
	else
		a->head = &op;
	a->tail = &op;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->mu);

	while (sem_wait(&op.done) != 0 && errno == EINTR)
		;
	for (int i = 0; i < 2; i++)
		if (op.wake[i] != NULL)
			sem_post(&op.wake[i]->done);
	sem_destroy(&op.done);
	prep_free(&op);
	if (op.rc == 0 && first_index != NULL)
		*first_index = op.first;
	return op.rc;
}

int auditlog_submit_async(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
			  void *ctx, auditlog_done_fn done, void *arg)
{
	struct op *op;
	int rc;

	if (n == 0 || n > AUDITLOG_MAX_OP_LEAVES || leaves == NULL || done == NULL)
		return AK_EINVAL;
	if ((op = calloc(1, sizeof *op)) == NULL)
		return AK_ENOMEM;
	op->leaves = leaves;
	op->n = n;
	op->change = change;
	op->ctx = ctx;
	op->on_done = done;
	op->on_done_arg = arg;
	if ((rc = prepare(op)) != 0) {
		free(op);
		return rc;
	}

	pthread_mutex_lock(&a->mu);
	if (a->closing) {
		pthread_mutex_unlock(&a->mu);
		prep_free(op);
		free(op);
		return AK_EBUSY;
	}
	if (a->tail != NULL)
		a->tail->next = op;
	else
		a->head = op;
	a->tail = op;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void auditlog_head(auditlog *a, uint64_t *size, merkle_hash root)
{
	pthread_mutex_lock(&a->head_mu);
	*size = a->head_size;
	memcpy(root, a->head_root, MERKLE_HASH_BYTES);
	pthread_mutex_unlock(&a->head_mu);
}

void auditlog_stats(auditlog *a, struct auditlog_stats *out)
{
	pthread_mutex_lock(&a->head_mu);
	*out = a->stats;
	pthread_mutex_unlock(&a->head_mu);
}

/* -------------------------------------------------------- checkpointer */

/*
 * WAL checkpoints, off the commit path. Left to SQLite, the writer's own
 * COMMIT copies the WAL back into the database file whenever it has
 * grown past STORE_WAL_AUTOCHECKPOINT frames: 16 MiB read, written and
 * synced while every submitter of that batch waits, the writer's longest
 * stalls (COMMIT max 12-22 ms in bench/bench_auditlog.c, against 5-8 ms
 * this way; throughput was the same within the machine's noise). So the
 * writer's connection only reports the WAL's size after each commit
 * (store_wal_hook), and this thread copies it back on a connection of its
 * own, CKPT_STEP frames at a time, without stopping the writer. A WAL
 * that is appended to while it is copied never empties by itself, and
 * one that only grows makes every commit dearer (no checkpoints at all
 * measured 30% slower), so past CKPT_MAX frames the checkpoint waits for
 * a gap between two of the writer's transactions and has the next one
 * start the WAL over. Without a second connection, SQLite's own
 * checkpoints stay on. Durability is the same either way: COMMIT syncs
 * the WAL before it returns.
 *
 * The same thread keeps the log's index file up to date (store.h,
 * store_log_index): once STORE_INDEX_STEP leaves lie past its mark, it
 * adds them, at most INDEX_MAX_STEP a transaction, on its own connection,
 * which has the index file attached and only reads the log. Done inside
 * the writer's transaction, as it was first, a step of 2048 leaves held
 * the writer for some milliseconds: with the service's 64 asynchronous
 * submitters (bench/bench_auditlog.c, part 1b) submit-to-durable p99 was
 * 4-5 ms with steps and 0.9-1.5 ms without, and 15-20% of the rate went.
 */
#define CKPT_STEP      1000 /* frames: 4 MiB */
#define CKPT_MAX       8000
#define INDEX_MAX_STEP 16384

/* ck_mu held: what the checkpointer has to do. */
static int wal_due(const auditlog *a)
{
	return a->wal_frames - a->wal_copied >= CKPT_STEP;
}

static int index_due(const auditlog *a)
{
	return a->ck_index && a->ck_size > a->ix_mark &&
	       a->ck_size - a->ix_mark >= STORE_INDEX_STEP;
}

/* The writer's WAL hook, on the writer's thread, after each COMMIT. */
static void wal_grew(void *ctx, int frames)
{
	auditlog *a = ctx;

	pthread_mutex_lock(&a->ck_mu);
	a->wal_frames = frames;
	if (frames < a->wal_copied) /* the WAL started over */
		a->wal_copied = 0;
	a->ck_size = a->range.size;
	if (wal_due(a) || index_due(a))
		pthread_cond_signal(&a->ck_wake);
	pthread_mutex_unlock(&a->ck_mu);
}

static void *checkpointer_main(void *arg)
{
	auditlog *a = arg;

	pthread_setname_np(pthread_self(), "auditlog-ckpt");
	pthread_mutex_lock(&a->ck_mu);
	for (;;) {
		int restart, copied = 0;
		uint64_t mark;

		while (!a->ck_closing && !wal_due(a) && !index_due(a))
			pthread_cond_wait(&a->ck_wake, &a->ck_mu);
		if (a->ck_closing)
			break;
		if (wal_due(a)) {
			restart = a->wal_frames >= CKPT_MAX;
			pthread_mutex_unlock(&a->ck_mu);
			/* A failure (or BUSY) leaves the WAL longer; the next
			 * step retries. */
			if (store_checkpoint(a->ck, restart, NULL, &copied) != 0)
				copied = 0;
			pthread_mutex_lock(&a->ck_mu);
			if (copied > 0 && copied <= a->wal_frames)
				a->wal_copied = copied;
			else if (copied == 0)
				a->wal_copied = a->wal_frames; /* wait a whole step */
		}
		if (index_due(a)) {
			pthread_mutex_unlock(&a->ck_mu);
			/* A failure only slows queries down; retried a step
			 * later. */
			if (store_log_index(a->ck, STORE_INDEX_STEP, INDEX_MAX_STEP, &mark) != 0)
				mark = UINT64_MAX;
			pthread_mutex_lock(&a->ck_mu);
			a->ix_mark = mark != UINT64_MAX ? mark : a->ck_size;
		}
	}
	pthread_mutex_unlock(&a->ck_mu);
	return NULL;
}

/*
 * Without a connection of its own (or its thread) there is no
 * checkpointer: SQLite's own WAL checkpoints stay on, and queries scan the
 * leaves the index file does not cover. An index file that is not this
 * log's is emptied first (store_log_index_check); the thread then fills
 * it in from its mark.
 */
static void checkpointer_start(auditlog *a, const char *db_path)
{
	uint64_t mark = 0;
	int reset;

	if (store_open(&a->ck, db_path, STORE_INDEX) == 0) {
		if (store_log_index_check(a->ck, &reset) == 0 &&
		    store_log_index(a->ck, UINT64_MAX, 0, &mark) == 0)
			a->ck_index = 1;
	} else if (store_open(&a->ck, db_path, 0) != 0) {
		return;
	}
	a->ix_mark = mark;
	a->ck_size = a->range.size;
	if (pthread_create(&a->ck_thread, NULL, checkpointer_main, a) != 0) {
		store_close(a->ck);
		a->ck = NULL;
		return;
	}
	a->ck_started = 1;
	store_wal_hook(a->st, wal_grew, a);
	/* Catches the index up at once, if it is behind. */
	pthread_mutex_lock(&a->ck_mu);
	pthread_cond_signal(&a->ck_wake);
	pthread_mutex_unlock(&a->ck_mu);
}

/* After the writer has stopped: no more reports come. */
static void checkpointer_stop(auditlog *a)
{
	if (!a->ck_started)
		return;
	pthread_mutex_lock(&a->ck_mu);
	a->ck_closing = 1;
	pthread_cond_signal(&a->ck_wake);
	pthread_mutex_unlock(&a->ck_mu);
	pthread_join(a->ck_thread, NULL);
	a->ck_started = 0;
}

static void destroy(auditlog *a)
{
	checkpointer_stop(a);
	store_close(a->ck);
	pthread_cond_destroy(&a->ck_wake);
	pthread_mutex_destroy(&a->ck_mu);
	store_close(a->st);
	free(a->batch);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->head_mu);
	free(a);
}

int auditlog_open(auditlog **out, const char *db_path, const key_signer *log_key,
		  const struct auditlog_config *cfg, const char **why)
{
	auditlog *a;
	pthread_condattr_t ca;
	const char *dummy;
	uint64_t cp_size = 0, n = 0;
	int rc;

	*out = NULL;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return AK_ENOMEM;
	if (cfg != NULL)
		a->cfg = *cfg;
	else
		auditlog_config_default(&a->cfg);
	if (a->cfg.max_batch == 0)
		a->cfg.max_batch = 1;
	a->key = log_key;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->head_mu, NULL);
	pthread_mutex_init(&a->ck_mu, NULL);
	pthread_cond_init(&a->ck_wake, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((a->batch = calloc(a->cfg.max_batch, sizeof *a->batch)) == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}

	if ((rc = store_open(&a->st, db_path, 0)) != 0) {
		*why = "the database cannot be opened";
		goto fail;
	}
	rc = self_check(a->st, key_signer_verifier(log_key), why, &cp_size, &n);
	if (rc == AK_ENOENT) {
		/* A new log: its first checkpoint, of the empty tree, comes next. */
		*why = NULL;
		rc = 0;
	} else if (rc == 0) {
		a->cp_size = cp_size;
	} else {
		goto fail;
	}
	if ((rc = merkle_range_load(&a->range, n, store_log_get_node, a->st)) != 0) {
		*why = "the stored hashes of the log's right edge cannot be read";
		goto fail;
	}
	if (n > cp_size || cp_size == 0) {
		if ((rc = write_checkpoint(a)) != 0) {
			*why = "the first checkpoint cannot be signed or stored";
			goto fail;
		}
	}
	a->head_size = a->range.size;
	merkle_range_root(&a->range, a->head_root);
	a->stats.checkpoint_size = a->cp_size;

	checkpointer_start(a, db_path);
	if (pthread_create(&a->thread, NULL, writer_main, a) != 0) {
		rc = AK_ENOMEM;
		goto fail;
	}
	a->started = 1;
	*out = a;
	return 0;
fail:
	destroy(a);
	return rc;
}

void auditlog_close(auditlog *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->closing = 1;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->mu);
	if (a->started)
		pthread_join(a->thread, NULL);
	destroy(a);
}

/* ---------------------------------------------------------------- proofs */

int auditlog_prove_inclusion(store *rd, uint64_t index, uint64_t size, merkle_hash *proof,
			     size_t *n)
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

int auditlog_prove_consistency(store *rd, uint64_t size1, uint64_t size2, merkle_hash *proof,
			       size_t *n)
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
