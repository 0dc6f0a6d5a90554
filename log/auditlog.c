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
 * the service's 64 asynchronous submitters: bench/bench_auditlog.c.) On
 * PostgreSQL, where a batch costs round trips, a flush and the head's
 * lock handed between front-ends, a busy writer instead waits before the
 * batch, outside any transaction, for as many operations as its last
 * batch held (gather, cfg.gather_us). Then it
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
 * Group changes (PostgreSQL, where each statement is a round trip while
 * the head's lock is held). An operation may give, beside its change, a
 * group (auditlog_group_fn) that does the changes of many such
 * operations at once, all or none. The writer then appends its leaves at
 * once and keeps it in a window with the operations after it that have
 * no change; before the next operation with a change of its own (or of
 * another group), and at the batch's end, one call does the window's
 * changes (group_flush). When that call did none, the range and the run
 * go back to the window's start and its operations run again one by
 * one, as without a group: the one whose change fails fails alone, and
 * the leaves after it close up. So a batch of codes writes its rows in
 * one statement, and the outcome is the one the changes run in turn
 * would have had.
 *
 * The tree. The writer keeps the log's compact range (merkle_range: one
 * hash per set bit of the size) in memory, and every append stores, in
 * the leaf's own row, the leaf hash and each perfect subtree it completes
 * (schema/001_audit.sql), so roots and proofs read O(log n) stored
 * hashes. The range is copied before each batch (and
 * before each operation) and restored when the batch (the operation) is
 * rolled back, so memory never runs ahead of the disk. Inside each write
 * transaction the writer first takes the log's head (store_log_head_lock)
 * and compares its size with its own: another process (`ankangd issue`
 * next to a running service, or on PostgreSQL another front-end) may
 * have appended, and then the range is the stored one (on SQLite
 * reloaded from the stored hashes, on PostgreSQL read from the head row,
 * which the batch writes back before it commits: docs/MULTINODE.md). A log
 * that has become shorter than the writer's range has been truncated
 * behind its back; the writer then refuses all further writes.
 *
 * WAL checkpoints (copying the WAL back into the database file) and the
 * steps that keep the log's index file up to date run on a thread and
 * connection of their own, never inside the writer's transaction; see
 * "checkpointer" below.
 *
 * Wipes (AUDITLOG_WIPE). After a batch commits, the operations that asked
 * for a wipe and whose change committed are held back; everyone else is
 * answered as usual. The writer then copies the WAL into the database
 * file in full and truncates it (store_wal_truncate) on its own
 * connection, outside a transaction, waiting for readers of older
 * snapshots at most AUDITLOG_WIPE_FIRST_MS; its batches wait meanwhile
 * (they would wait anyway: a full checkpoint holds the write lock). When
 * that is done, the held operations are answered. When readers outlast
 * the wait, the writer goes back to its queue and tries again, between
 * batches, every AUDITLOG_WIPE_EVERY_MS for AUDITLOG_WIPE_RETRY_MS, so
 * that a reader holding an old snapshot for long costs the other
 * operations at most a fifth of the writer; a held operation still
 * waiting AUDITLOG_WIPE_ANSWER_MS after its commit is answered
 * AK_EPENDING. A wipe owed is tried until it succeeds, on close, and at
 * open, which always wipes: a crash between a commit and its wipe leaves
 * the wipe to the next start. Another connection's checkpoint (the WAL
 * keeper's) makes a try wait, not fail: store_wal_truncate retries it.
 * What it costs (bench/bench_erasure.c, 2-CPU VM, 16 threads of one-leaf
 * operations, 20000 residents): a wipe took 14-35 ms with the WAL file
 * at 25-90 MiB, the erasure was answered in the same time, and the load's
 * operations waited at most that long (their p99 went from 1.0 to
 * 1.5-2.0 ms); then, while the emptied WAL grows back, commits run about
 * a quarter slower for about 1.5 s (the file's new length is synced with
 * each). At one erasure a second, far more than a service sees, the
 * load's rate fell from 41-45k to 27-32k operations a second.
 *
 * Checkpoints. After a commit that grew the tree, and at most once per
 * checkpoint_ms, the writer signs the committed size and root with the
 * log key (C2SP checkpoint, origin = the key's name) and stores the note
 * in a transaction of its own. It signs only trees that are already
 * durable, so two checkpoints it signs are always consistent. On close it
 * drains the queue and signs the final state.
 *
 * The start-up check (log/logcheck.h, logcheck_since): the counts of
 * leaves and leaf hashes agree and have no gaps; the newest checkpoint
 * verifies with the log key; it claims no more leaves than are stored;
 * the root at its size, recomputed from stored hashes, is the signed
 * root; and every leaf from the mark of verified leaves (or from the
 * checkpoint, if that is earlier) to the end parses and its hashes,
 * recomputed, are the stored ones. Those are the leaves written since the
 * previous start (or not yet reached by the scrubber): a start-up costs
 * what was written since, not the whole log.
 *
 * The mark of verified leaves (schema/003_log_verified.sql) is the
 * writer's to store: the size verified at open; then as far as the
 * scrubber's passes have got, in the transaction of the next checkpoint
 * and on close; and down to the leaf where the scrubber found a mismatch,
 * at once, so that the next start-up rehashes that leaf and refuses to
 * open. The scrubber (log/scrub.h) rehashes the whole log on a thread
 * and connection of its own and only reads; on a mismatch it calls
 * scrub_found, which sets `broken`: from then on every batch fails with
 * AK_ECORRUPT and no checkpoint is signed.
 *
 * Storage failures. A full disk (SQLITE_FULL) fails the batch and nothing
 * more: the transaction is rolled back, its submitters get AK_EDB, and
 * the next batch tries again, so writes come back by themselves when
 * space does. Nothing SQLite counts on was written: WAL frames past the
 * last commit are ignored and overwritten, and a commit that could not
 * write its frames never became one. An I/O error (SQLITE_IOERR: a
 * write, read or fsync that failed) is different. After a failed fsync
 * the kernel may have dropped the dirty pages it could not write and
 * marked them clean, so a later fsync can succeed without them ever
 * reaching the disk (PostgreSQL's "fsyncgate", 2018): retrying cannot
 * tell what is durable. So the first I/O error in one of the writer's
 * transactions sets `broken` to AK_EIO, and from then on every batch
 * fails with AK_EIO and no checkpoint is signed, until an operator has
 * looked at the disk and restarted the service, whose start-up check
 * verifies what the log holds before anything is written again. Reads
 * go on from what was committed before. stats.fault keeps the last
 * failure's SQLite message, for the operator's log.
 *
 * A lost connection (PostgreSQL: the server restarted, the session ended,
 * the network cut). The batch in flight fails with AK_EDB and is rolled
 * back, its submitters answered: a connection lost during COMMIT is the
 * one case where the writer cannot know whether the batch landed, and it
 * answers AK_EDB either way (a request may be logged but not answered,
 * never answered but not logged). The range is the one saved before the
 * batch; the next batch's BEGIN connects again (store.h, store_generation:
 * with a capped back-off, failing the batches meanwhile at once) and its
 * head lock reads the stored head, which is the truth whichever way the
 * lost COMMIT went. While the connection is lost and nothing is queued,
 * the writer tries again by itself every AUDITLOG_RECONNECT_MS, so that
 * it signs what is owed without waiting for a request. A new session
 * holds no leader lock: write_checkpoint asks for it again, and the
 * compare-and-swap of the signer's row catches a size it saw signed
 * before that another signer has moved since.
 *
 * Back-pressure (AUDITLOG_SHED, auditlog.h). An operation that may be
 * shed is refused with AK_EOVERLOAD when max_queue operations already
 * wait (checked at enqueue, under the queue's lock), or, in its batch,
 * when its leaves would take the leaves not under a signed checkpoint
 * past max_unsigned: the writer reads the signed size with the head
 * (store_log_head_signed, PostgreSQL), so that a node whose leader is
 * gone or slow stops taking leaves no one signs. A refused operation
 * writes nothing and its batch goes on.
 *
 * Never: answer a submitter before COMMIT returned, or one that asked for
 * a wipe before the wipe (but with AK_EPENDING); sign a tree that is not
 * committed; write a log table except by appending.
 */
#include "log/auditlog.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bg.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/note_sign.h"
#include "log/logcheck.h"
#include "log/scrub.h"
#include "log/walkeeper.h"

#define DEFAULT_MAX_BATCH     256
#define DEFAULT_MAX_WAIT_US   0
#define DEFAULT_CHECKPOINT_MS 1000
/* How often an idle writer tries its lost connection again. */
#define AUDITLOG_RECONNECT_MS 500

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
	auditlog_group_fn group; /* NULL: the change runs alone */
	void *ctx;
	unsigned flags; /* AUDITLOG_WIPE */
	int rc;
	uint64_t first;
	uint64_t wipe_by_ns; /* AUDITLOG_WIPE: answered AK_EPENDING after this */
	uint64_t submit_ms;  /* given to leaves whose time_ms is 0 */
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

/* A batch's leaves on PostgreSQL, from first on: their bytes and their
 * hashes one after another, and where each leaf's start. */
struct leaf_run {
	uint64_t first;
	size_t n, cap;
	struct run_leaf {
		size_t off, len, hoff, nh;
	} * leaf;
	char *bytes;
	size_t used, bytes_cap;
	merkle_hash *h;
	size_t nh, h_cap;
};

struct auditlog {
	struct auditlog_config cfg;
	const key_signer *key;
	bg *thread;

	/* The queue, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake; /* CLOCK_MONOTONIC; only while straggling or gathering */
	struct op *head, *tail;
	size_t queued;       /* operations on the queue */
	uint64_t shed_queue; /* refused at enqueue: past max_queue */
	int closing;
	int straggling;     /* the writer waits on wake for a batch to fill */
	int gathering;      /* the writer waits on wake before a batch (gather) */
	size_t gather_want; /* for this many operations queued */

	/* The writer's own: no lock. */
	store *st;
	int multi;         /* st is PostgreSQL's: other front-ends may share the log */
	atomic_int leader; /* the writer's belief that its connection leads */
	struct op **batch;
	size_t last_ops; /* operations in the last batch (gather) */
	struct merkle_range range;
	uint64_t cp_size;  /* size of the newest stored checkpoint */
	uint64_t cp_at_ns; /* when the writer last tried to sign one */
	uint64_t mark;     /* the stored mark of verified leaves */
	uint64_t verified; /* what the start-up check verified: [0, verified) */
	/* The signed size the batch's head lock read, when signed_known
	 * (PostgreSQL, with max_unsigned set); refusals in this batch. */
	uint64_t signed_seen;
	int signed_known;
	uint64_t shed_unsigned;
	unsigned session; /* store_generation of the writer's connection */
	atomic_int db_lost;
	/* PostgreSQL (multi): the batch's leaves, kept until the head moves
	 * and inserted then in one statement (run_flush). */
	struct leaf_run run;
	/* PostgreSQL (multi): the window of a group change (group_flush):
	 * the operations since the first whose change the group will do
	 * (those, and any without a change after them, nwin in all, in
	 * order), the group, and the range before the first. Arrays of
	 * max_batch. */
	struct op **win;
	void **win_ctx;
	uint64_t *win_first;
	size_t nwin;
	auditlog_group_fn win_group;
	struct merkle_range win_range;

	/* AK_ECORRUPT once the log shrank under the writer or the scrubber
	 * found a mismatch, AK_EIO once a write transaction met an I/O error;
	 * set by either thread, never cleared. */
	atomic_int broken;

	/* AUDITLOG_WIPE, the writer's own: committed operations waiting for
	 * the wipe (linked by next), whether one is owed, when to try next. */
	struct op *wiping;
	int wipe_owed;
	uint64_t wipe_retry_ns;

	/* The WAL and the index file, kept on a thread of their own. */
	walkeeper *wk;
	/* The whole log rehashed, on a thread of its own; NULL when off. */
	scrub *scrub;

	/* A mismatch the signer's rehash found (multi), under head_mu:
	 * reported as the scrubber's are (auditlog_stats). */
	int signer_bad;
	uint64_t signer_bad_at;
	char signer_why[SCRUB_WHY_MAX];

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
	c->gather_us = AUDITLOG_GATHER_STORE;
	c->checkpoint_ms = DEFAULT_CHECKPOINT_MS;
	c->scrub_leaves_per_s = AUDITLOG_SCRUB_LEAVES_PER_S;
	c->max_queue = 0;
	c->max_unsigned = AUDITLOG_MAX_UNSIGNED;
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
static int sync_range(auditlog *a, int lock)
{
	struct merkle_range r = a->range;
	int rc;

	/* The head, held until the transaction ends (store.h): on SQLite the
	 * range reloaded only if the stored size moved; on PostgreSQL the
	 * head row, which another front-end's batch may have moved. The
	 * signer on PostgreSQL only reads it (lock 0), so that it never holds
	 * another front-end's batch. */
	if ((rc = lock ? store_log_head_lock(a->st, &r) : store_log_head_read(a->st, &r)) != 0)
		return rc;
	if (r.size < a->range.size) {
		atomic_store(&a->broken, AK_ECORRUPT);
		return AK_ECORRUPT;
	}
	a->range = r;
	return 0;
}

/*
 * The mark of verified leaves the writer should store: down to where the
 * scrubber found a mismatch, else up to the furthest that the start-up
 * check or one scrubber pass verified.
 */
static uint64_t mark_wanted(auditlog *a)
{
	struct scrub_stats ss;
	uint64_t want = a->verified;

	scrub_stats(a->scrub, &ss);
	if (ss.verified > want)
		want = ss.verified;
	if (ss.mismatch && ss.mismatch_at < want)
		want = ss.mismatch_at;
	pthread_mutex_lock(&a->head_mu);
	if (a->signer_bad && a->signer_bad_at < want)
		want = a->signer_bad_at;
	pthread_mutex_unlock(&a->head_mu);
	return want;
}

/*
 * The writer no longer leads, or may not (multi): after any failure on
 * its connection, which is the one that holds the leader lock, and when
 * the lock is not granted. It asks for the lock again at the next
 * checkpoint it is due; until then the index keeper stops filling in.
 * A connection made anew starts here too: the lock was its old
 * session's, and ended with it.
 */
static void step_down(auditlog *a)
{
	if (!a->multi)
		return;
	if (a->leader)
		walkeeper_lead(a->wk, 0);
	a->leader = 0;
}

/*
 * A write transaction of the writer's failed: keeps SQLite's message for
 * the operator and, for an I/O error, refuses every write from now on
 * (see "Storage failures" above). Called before the rollback, which would
 * clear the connection's error.
 */
static void failed(auditlog *a)
{
	int io = store_io_failed(a->st);

	pthread_mutex_lock(&a->head_mu);
	snprintf(a->stats.fault, sizeof a->stats.fault, "%s%s", store_errmsg(a->st),
		 io ? "; writes refused until a restart" : "");
	pthread_mutex_unlock(&a->head_mu);
	if (io) {
		int none = 0;
		atomic_compare_exchange_strong(&a->broken, &none, AK_EIO);
	}
	step_down(a);
}

/* Stores the mark in a transaction of its own. On failure the stored one
 * stays: it is only where the next start-up begins to rehash. */
static int write_mark(auditlog *a, uint64_t upto)
{
	int rc;

	if ((rc = store_begin(a->st)) != 0)
		return rc;
	if ((rc = store_log_set_verified(a->st, upto)) != 0 || (rc = store_commit(a->st)) != 0) {
		failed(a);
		store_rollback(a->st);
		return rc;
	}
	a->mark = upto;
	return 0;
}

/* The signer's row, read again after another signer moved it, so that
 * this one's next compare-and-swap starts from there. */
static void signer_reload(auditlog *a)
{
	uint64_t signed_size;

	if (store_begin(a->st) != 0)
		return;
	if (store_log_signer_lock(a->st, &signed_size) == 0)
		a->cp_size = signed_size;
	store_rollback(a->st);
}

/* The signer's rehash (multi): each leaf row held against the range of
 * the leaves before it, as every rehash of the log does it. */
struct signer_rehash {
	struct merkle_range r;
	const char *why;
};

static int rehash_row(void *ctx, uint64_t idx, const char *leaf, size_t len, const uint8_t *hashes,
		      size_t hlen)
{
	struct signer_rehash *h = ctx;

	return logcheck_row(&h->r, idx, leaf, len, hashes, hlen, &h->why);
}

/* Records what the signer's rehash found and refuses every write from
 * now on, as the scrubber's finding does (scrub_found). */
static void signer_mismatch(auditlog *a, uint64_t at, const char *why)
{
	pthread_mutex_lock(&a->head_mu);
	if (!a->signer_bad) {
		a->signer_bad = 1;
		a->signer_bad_at = at;
		snprintf(a->signer_why, sizeof a->signer_why, "%s", why);
	}
	pthread_mutex_unlock(&a->head_mu);
	atomic_store(&a->broken, AK_ECORRUPT);
}

/*
 * Before a leader signs on PostgreSQL (docs/MULTINODE.md, "One
 * checkpoint signer", step 2), inside its transaction: every leaf from
 * the last signed size (a->cp_size) to the head's size (a->range, as
 * read) is rehashed from its stored bytes and held against its stored
 * hashes, from the range at the signed size (loaded from stored hashes
 * that the last signer checked the same way); and the range that makes,
 * hence the root, must be the head's. So a front-end whose hash was
 * wrong, or a head row that says another tree, is caught before it is
 * signed. 0; AK_ECORRUPT after signer_mismatch; a database error.
 */
static int signer_check(auditlog *a)
{
	struct signer_rehash h;
	uint64_t from = a->cp_size, to = a->range.size;
	char why[SCRUB_WHY_MAX];
	int rc;

	h.why = NULL;
	if ((rc = merkle_range_load(&h.r, from, store_log_get_node, a->st)) != 0) {
		if (rc != AK_ENOENT && rc != AK_ECORRUPT)
			return rc;
		snprintf(why, sizeof why,
			 "the stored hashes at the signed size %" PRIu64 " cannot be read", from);
		signer_mismatch(a, from, why);
		return AK_ECORRUPT;
	}
	rc = store_log_rows(a->st, from, to, rehash_row, &h);
	if (rc == AK_ECORRUPT) {
		signer_mismatch(a, h.r.size, h.why != NULL ? h.why : "a leaf does not rehash");
		return rc;
	}
	if (rc != 0)
		return rc;
	if (h.r.size != to) {
		snprintf(why, sizeof why, "leaf %" PRIu64 " is missing", h.r.size);
		signer_mismatch(a, h.r.size, why);
		return AK_ECORRUPT;
	}
	if (h.r.depth != a->range.depth ||
	    memcmp(h.r.stack, a->range.stack, (size_t)h.r.depth * MERKLE_HASH_BYTES) != 0) {
		snprintf(why, sizeof why,
			 "the head's range at size %" PRIu64
			 " is not the one its leaves' stored hashes make",
			 to);
		signer_mismatch(a, from, why);
		return AK_ECORRUPT;
	}
	return 0;
}

/*
 * Signs and stores a checkpoint for the committed tree, unless the newest
 * stored one already covers it, and moves the mark of verified leaves up
 * with it. Its own transaction.
 *
 * Only the log's leader signs (docs/MULTINODE.md): the writer's own
 * connection asks for the leader lock (store_log_leader_try: on SQLite,
 * always this one), and a writer that is not the leader signs nothing,
 * and asks again at the next checkpoint, at most once per checkpoint_ms.
 * The lock is the connection's, and the checkpoint is stored on that
 * connection, so a leader whose session the server ended stores nothing.
 *
 * On PostgreSQL (multi) the leader reads the head row without taking
 * it; moves the signer's row from the newest stored checkpoint's size,
 * as it read it in this transaction, to the head's size and root (store_log_signer_swap, which
 * holds the row to the end: if another signer moved it, this one stores nothing, takes the row's
 * size and tries again next time); rehashes the leaves since (signer_check), and only then signs
 * and stores the note, in that one transaction. On SQLite the write transaction holds the log, the
 * swap does nothing and the writer signs what it wrote itself.
 */
static int write_checkpoint(auditlog *a)
{
	const key_signer *signer = a->key;
	struct checkpoint cp;
	char text[CHECKPOINT_TEXT_MAX + 1], *note = NULL, *last = NULL;
	size_t note_len, last_len;
	uint64_t last_size = 0, mark = mark_wanted(a);
	int rc, tlen, have_last, leader = 0;
	unsigned gen;

	a->cp_at_ns = util_mono_ns();
	if ((rc = atomic_load(&a->broken)) != 0)
		return rc;
	if ((rc = store_log_leader_try(a->st, key_signer_verifier(signer)->name, &leader)) != 0) {
		step_down(a);
		return rc;
	}
	if (!leader) {
		step_down(a);
		return 0;
	}
	if (!a->leader)
		walkeeper_lead(a->wk, 1);
	a->leader = 1;
	gen = store_generation(a->st);
	if ((rc = store_begin(a->st)) != 0) {
		step_down(a);
		return rc;
	}
	/* A BEGIN that met a lost connection made a new session, which does
	 * not hold the lock the old one took: sign nothing on it. */
	if (store_generation(a->st) != gen) {
		store_rollback(a->st);
		step_down(a);
		return 0;
	}
	if ((rc = sync_range(a, !a->multi)) != 0) {
		if (a->multi && rc == AK_ECORRUPT)
			signer_mismatch(a, a->cp_size, "the head row does not describe the log");
		goto fail;
	}
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
	if (a->multi) {
		/* From the newest checkpoint as this transaction read it, not
		 * as this writer last stored one: another leader may have
		 * signed since, and the swap still fails if one signs between
		 * this read and the swap. */
		if (have_last)
			a->cp_size = last_size;
		if ((rc = store_log_signer_swap(a->st, a->cp_size, cp.size, cp.root)) ==
		    AK_ECONFLICT) {
			store_rollback(a->st);
			signer_reload(a);
			return 0;
		}
		if (rc != 0 || (rc = signer_check(a)) != 0)
			goto fail;
	}
	if ((tlen = checkpoint_format(text, sizeof text, &cp)) < 0) {
		rc = tlen;
		goto fail;
	}
	if ((rc = note_sign(&note, &note_len, text, (size_t)tlen, &signer, 1)) != 0)
		goto fail;
	rc = store_log_put_checkpoint(a->st, cp.size, note, note_len, util_now_ms());
	free(note);
	if (rc == 0 && !a->multi &&
	    (rc = store_log_signer_swap(a->st, a->cp_size, cp.size, cp.root)) == AK_ECONFLICT) {
		store_rollback(a->st);
		signer_reload(a);
		return 0;
	}
	if (rc == 0 && mark != a->mark)
		rc = store_log_set_verified(a->st, mark);
	if (rc != 0 || (rc = store_commit(a->st)) != 0)
		goto fail;
	a->cp_size = cp.size;
	a->mark = mark;
	pthread_mutex_lock(&a->head_mu);
	a->stats.checkpoints++;
	a->stats.checkpoint_size = cp.size;
	pthread_mutex_unlock(&a->head_mu);
	return 0;
fail:
	/* A mismatch the rehash found is no storage failure (stats.fault). */
	if (a->multi && rc == AK_ECORRUPT)
		step_down(a);
	else
		failed(a);
	store_rollback(a->st);
	return rc;
}

/* On PostgreSQL every checkpoint_ms whatever this writer wrote: a
 * standby asks for the lead, and the leader signs what the other
 * front-ends appended. */
static int checkpoint_due(const auditlog *a, uint64_t now_ns)
{
	return (a->multi || a->range.size > a->cp_size) &&
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

/* Room for the bytes of an operation of n leaves: a leaf is at most 201
 * bytes (the longest words of leaf.c, 20-digit numbers, a resident actor
 * by pseudonym), and each one is formatted into LEAF_MAX + 1 bytes of
 * room; prepare grows it if not. */
#define PREP_BYTES_PER_LEAF 208

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

/* Grows *p (of *cap elements of size each) to hold want. */
static int grow(void *p, size_t *cap, size_t want, size_t size)
{
	size_t n = *cap > 0 ? *cap : 64;
	void *more;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	if ((more = realloc(*(void **)p, n * size)) == NULL)
		return AK_ENOMEM;
	*(void **)p = more;
	*cap = n;
	return 0;
}

/* Keeps a leaf at idx (the next of the run) for run_flush. */
static int run_add(struct leaf_run *r, uint64_t idx, const char *bytes, size_t len,
		   const struct completed *c)
{
	struct run_leaf *l;

	if (r->n == 0)
		r->first = idx;
	if (idx != r->first + r->n)
		return AK_EINVAL;
	if (grow(&r->leaf, &r->cap, r->n + 1, sizeof *r->leaf) != 0 ||
	    grow(&r->bytes, &r->bytes_cap, r->used + len, 1) != 0 ||
	    grow(&r->h, &r->h_cap, r->nh + c->n, sizeof *r->h) != 0)
		return AK_ENOMEM;
	l = &r->leaf[r->n++];
	l->off = r->used;
	l->len = len;
	l->hoff = r->nh;
	l->nh = c->n;
	memcpy(r->bytes + r->used, bytes, len);
	r->used += len;
	memcpy(r->h + r->nh, c->h, c->n * sizeof *c->h);
	r->nh += c->n;
	return 0;
}

/* Forgets the run's leaves from index size on (an operation undone). */
static void run_cut(struct leaf_run *r, uint64_t size)
{
	size_t keep = size <= r->first ? 0 : (size_t)(size - r->first);

	if (keep >= r->n)
		return;
	r->n = keep;
	r->used = keep > 0 ? r->leaf[keep].off : 0;
	r->nh = keep > 0 ? r->leaf[keep].hoff : 0;
}

/* Inserts the run's leaves, moves the head and commits
 * (store_log_append_commit: on PostgreSQL one round trip), and empties
 * the run. */
static int run_flush(auditlog *a)
{
	struct leaf_run *r = &a->run;
	struct store_leaf_row *rows;
	int rc;

	if (r->n == 0)
		return store_log_append_commit(a->st, a->range.size, NULL, 0, &a->range);
	if ((rows = calloc(r->n, sizeof *rows)) == NULL)
		return AK_ENOMEM;
	for (size_t k = 0; k < r->n; k++) {
		rows[k].leaf = r->bytes + r->leaf[k].off;
		rows[k].len = r->leaf[k].len;
		rows[k].hashes = (const merkle_hash *)(r->h + r->leaf[k].hoff);
		rows[k].n = r->leaf[k].nh;
	}
	rc = store_log_append_commit(a->st, r->first, rows, r->n, &a->range);
	free(rows);
	run_cut(r, 0);
	return rc;
}

static void run_free(struct leaf_run *r)
{
	free(r->leaf);
	free(r->bytes);
	free(r->h);
	memset(r, 0, sizeof *r);
}

/*
 * Appends one leaf, given its bytes and leaf hash, at the range's size: on
 * SQLite its row at once, on PostgreSQL into the batch's run, which
 * run_flush inserts in one statement before the head moves (a statement
 * a leaf fewer; the rows are in the batch's transaction either way, and
 * a failed insert fails the batch).
 */
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
	if (a->multi)
		return run_add(&a->run, idx, bytes, len, &c);
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

		/* Byte for byte: snap is a memcpy of *l, padding included, and a
		 * false "changed" only formats the leaf again. */
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
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

/* Appends the leaves of an operation as they were prepared. */
static int append_prepared(auditlog *a, const struct op *op)
{
	int rc;

	for (size_t i = 0; i < op->n; i++) {
		const struct prep *p = &op->prep[i];
		if ((rc = append_one(a, op->bytes + p->off, p->len, p->hash)) != 0)
			return rc;
	}
	return 0;
}

/* Whether op is refused for the leaves not yet signed (AUDITLOG_SHED):
 * then its rc says so, and it writes nothing. */
static int shed(auditlog *a, struct op *op)
{
	if (!(op->flags & AUDITLOG_SHED) || !a->signed_known ||
	    a->range.size + op->n <= a->signed_seen + a->cfg.max_unsigned)
		return 0;
	op->rc = AK_EOVERLOAD;
	a->shed_unsigned++;
	return 1;
}

/*
 * Runs one operation inside the open transaction, its change alone.
 * Returns 0 when the batch may go on (op->rc says how the operation
 * itself went), or an error that fails the whole batch.
 */
static int run_alone(auditlog *a, struct op *op)
{
	struct merkle_range before;
	int rc;

	op->first = a->range.size;
	if (shed(a, op))
		return 0;
	if (op->change == NULL) /* prepared in full: only the database can fail */
		return append_prepared(a, op);

	memcpy(&before, &a->range, sizeof before);
	if ((rc = store_savepoint(a->st)) != 0)
		return rc;
	op->rc = op->change(op->ctx, a->st, op->leaves, op->n, op->first);
	if (op->rc > 0) /* not an AK_E* code: a bug in the callback */
		op->rc = AK_EINVAL;
	if (!store_in_transaction(a->st)) {
		/* The change (or an I/O error under it) ended the transaction:
		 * nothing more may be written, or it would commit on its own. */
		memcpy(&a->range, &before, sizeof before);
		run_cut(&a->run, before.size);
		op->rc = AK_EDB;
		return AK_EDB;
	}
	if (op->rc == 0)
		op->rc = append_changed(a, op);
	if (op->rc == 0)
		return store_release(a->st);
	/* Undo this operation alone, if the transaction is still there. */
	memcpy(&a->range, &before, sizeof before);
	run_cut(&a->run, before.size);
	if (store_in_transaction(a->st) && store_rollback_to(a->st) == 0 &&
	    store_release(a->st) == 0)
		return 0;
	return AK_EDB;
}

/*
 * Does the changes of the window's operations by their group, in one
 * call (auditlog_group_fn), and empties the window. When the group did
 * none, the range and the run go back to where the window began and its
 * operations run again, each change alone (run_alone), as they would
 * have without a group: nothing of the group was written, and the
 * operations without a change only appended leaves, which they append
 * again. Returns as run_alone does.
 */
static int group_flush(auditlog *a)
{
	size_t n = a->nwin, k = 0;
	int rc;

	a->nwin = 0;
	for (size_t i = 0; i < n; i++) {
		if (a->win[i]->change == NULL || a->win[i]->rc != 0)
			continue; /* its leaves alone, or shed */
		a->win_ctx[k] = a->win[i]->ctx;
		a->win_first[k++] = a->win[i]->first;
	}
	if (k == 0)
		return 0;
	rc = a->win_group(a->st, a->win_ctx, a->win_first, k);
	if (rc > 0) /* not an AK_E* code: a bug in the callback */
		rc = AK_EINVAL;
	if (!store_in_transaction(a->st))
		return AK_EDB; /* nothing more may be written: the batch fails */
	pthread_mutex_lock(&a->head_mu);
	if (rc == 0)
		a->stats.grouped_ops += k;
	else
		a->stats.group_fallbacks++;
	pthread_mutex_unlock(&a->head_mu);
	if (rc == 0)
		return 0;
	memcpy(&a->range, &a->win_range, sizeof a->range);
	run_cut(&a->run, a->win_range.size);
	for (size_t i = 0; i < n; i++) {
		struct op *op = a->win[i];
		if (op->rc == AK_EOVERLOAD) { /* shed: weighed again */
			op->rc = 0;
			a->shed_unsigned--;
		}
		if ((rc = run_alone(a, op)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Runs one operation inside the open transaction (as run_alone), or, on
 * PostgreSQL, adds it to the window of a group change: an operation that
 * gives a group (and whose leaves were all prepared, so that it needs
 * no change to fill them in) appends its leaves now and leaves its
 * change to the group, done once for the window by group_flush before
 * the next operation with a change of its own, or one of another group,
 * and at the batch's end. An operation without a change inside a window
 * joins it, so that it can append again if the group falls back.
 */
static int run_op(auditlog *a, struct op *op)
{
	int grouped = a->multi && op->group != NULL && op->change != NULL;
	int rc;

	for (size_t i = 0; grouped && i < op->n; i++)
		grouped = op->prep[i].len != 0;
	if (a->nwin > 0 && (grouped || op->change != NULL) &&
	    (!grouped || op->group != a->win_group) && (rc = group_flush(a)) != 0)
		return rc;
	if (!grouped && a->nwin == 0)
		return run_alone(a, op);
	if (a->nwin == 0) {
		memcpy(&a->win_range, &a->range, sizeof a->range);
		a->win_group = op->group;
	}
	a->win[a->nwin++] = op;
	if (!grouped)
		return run_alone(a, op); /* no change: its leaves alone */
	op->first = a->range.size;
	if (shed(a, op))
		return 0;
	return append_prepared(a, op);
}

/* Takes up to room operations off the queue (mu held). */
static size_t take(auditlog *a, struct op **out, size_t room)
{
	size_t k = 0;

	while (k < room && a->head != NULL) {
		out[k++] = a->head;
		a->head = a->head->next;
		a->queued--;
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

/* Answers an asynchronous operation through its callback; the op is
 * ours, and goes. */
static void finish_async(struct op *op, int rc)
{
	op->on_done(op->on_done_arg, rc, rc == 0 || rc == AK_EPENDING ? op->first : 0);
	prep_free(op);
	free(op);
}

/* Answers one operation that is the writer's to answer alone (not part
 * of a batch's wake-up tree): a held AUDITLOG_WIPE operation. */
static void answer_one(struct op *op, int rc)
{
	op->rc = rc;
	if (op->on_done != NULL) {
		finish_async(op, rc);
		return;
	}
	op->wake[0] = op->wake[1] = NULL;
	sem_post(&op->done);
}

/*
 * One try at the wipe that is owed, waiting at most wait_ms. On success
 * every held operation is answered; else those held past their time are
 * answered AK_EPENDING, and the next try is set.
 */
static void try_wipe(auditlog *a, unsigned wait_ms)
{
	struct op *op, *keep = NULL;
	uint64_t t0 = util_mono_ns(), t1;
	int rc;

	assert(a->wipe_owed);
	rc = store_wal_truncate(a->st, wait_ms);
	t1 = util_mono_ns();
	pthread_mutex_lock(&a->head_mu);
	if (rc == 0) {
		a->stats.wipes++;
		a->stats.wipe_ns_total += t1 - t0;
		if (t1 - t0 > a->stats.wipe_ns_max)
			a->stats.wipe_ns_max = t1 - t0;
	} else {
		a->stats.wipe_timeouts++;
	}
	pthread_mutex_unlock(&a->head_mu);
	if (rc == 0)
		a->wipe_owed = 0;
	else
		a->wipe_retry_ns = t1 + (uint64_t)AUDITLOG_WIPE_EVERY_MS * 1000000u;
	while ((op = a->wiping) != NULL) {
		a->wiping = op->next;
		if (rc != 0 && t1 < op->wipe_by_ns) {
			op->next = keep;
			keep = op;
			continue;
		}
		if (rc != 0) {
			pthread_mutex_lock(&a->head_mu);
			a->stats.wipes_late++;
			pthread_mutex_unlock(&a->head_mu);
		}
		answer_one(op, rc == 0 ? 0 : AK_EPENDING);
	}
	a->wiping = keep;
}

/*
 * Gathering (cfg.gather_us): called with mu held and the queue non-empty,
 * before the batch's transaction opens. Only while busy: a lone request
 * on a quiet service is taken at once. It waits for as many operations
 * as the last batch held (at most AUDITLOG_GATHER_OPS): under a steady
 * load they come soon, since the last batch's submitters are answered
 * and send again; with fewer clients the batches shrink, the first
 * after the drop waiting out gather_us; never for more than max_queue,
 * past which shed operations are refused rather than queued. The
 * submitter that makes the queue that long wakes the writer, the others
 * do not, so the wait costs one wake-up. Counted only when it waits.
 */
static void gather(auditlog *a)
{
	uint64_t start, deadline;
	struct timespec ts;
	size_t want;

	if (a->cfg.gather_us == 0 || a->last_ops < 2)
		return;
	want = a->last_ops;
	if (want > AUDITLOG_GATHER_OPS)
		want = AUDITLOG_GATHER_OPS;
	/* No more than max_queue can wait, when operations are shed past
	 * it (AUDITLOG_SHED). */
	if (a->cfg.max_queue > 0 && want > a->cfg.max_queue)
		want = a->cfg.max_queue;
	if (a->queued >= want)
		return;
	start = util_mono_ns();
	deadline = start + (uint64_t)a->cfg.gather_us * 1000u;
	abs_deadline(&ts, deadline);
	a->gathering = 1;
	a->gather_want = want;
	while (a->queued < want && !a->closing && util_mono_ns() < deadline)
		pthread_cond_timedwait(&a->wake, &a->mu, &ts);
	a->gathering = 0;
	pthread_mutex_lock(&a->head_mu);
	a->stats.gathers++;
	a->stats.gather_ns_total += util_mono_ns() - start;
	pthread_mutex_unlock(&a->head_mu);
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
	rc = atomic_load(&a->broken);
	if (rc == 0 && (rc = store_begin(a->st)) == 0 && (rc = sync_range(a, 1)) != 0)
		store_rollback(a->st);
	old_size = a->range.size;
	if (rc == 0)
		memcpy(&saved, &a->range, sizeof saved);
	a->signed_known = rc == 0 && a->cfg.max_unsigned > 0 &&
			  store_log_head_signed(a->st, &a->signed_seen) == 0;

	while (rc == 0) {
		for (; done < k && rc == 0; done++)
			rc = run_op(a, batch[done]);
		if (rc != 0 || k == a->cfg.max_batch)
			break;
		/* Room left: take newcomers, waiting for them until the deadline. */
		pthread_mutex_lock(&a->mu);
		a->straggling = 1;
		while (a->head == NULL && !a->closing && util_mono_ns() < deadline) {
			struct timespec ts;
			abs_deadline(&ts, deadline);
			pthread_cond_timedwait(&a->wake, &a->mu, &ts);
		}
		a->straggling = 0;
		k += take(a, batch + k, a->cfg.max_batch - k);
		pthread_mutex_unlock(&a->mu);
		if (done == k)
			break;
	}

	/* The window's group changes, before the leaves go in. */
	if (rc == 0 && a->nwin > 0)
		rc = group_flush(a);
	a->nwin = 0;
	t0 = util_mono_ns();
	/* The head moves with the batch's leaves, in its transaction. */
	if (rc == 0)
		rc = run_flush(a);
	run_cut(&a->run, 0);
	t1 = util_mono_ns();
	if (rc != 0) {
		if (rc != AK_ECORRUPT && rc != AK_EIO)
			failed(a);
		/* After an I/O error the batch's answer is the refusal that
		 * follows it, so that its submitters are told the same as
		 * everyone after them. */
		if (atomic_load(&a->broken) == AK_EIO)
			rc = AK_EIO;
		store_rollback(a->st);
		memcpy(&a->range, &saved, sizeof saved);
		for (size_t i = 0; i < k; i++)
			if (i >= done || batch[i]->rc == 0)
				batch[i]->rc = rc == AK_ECORRUPT || rc == AK_EIO ? rc : AK_EDB;
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
	a->last_ops = k;
	a->stats.batches++;
	a->stats.ops += k;
	a->stats.shed_unsigned = a->shed_unsigned;
	if (a->signed_known)
		a->stats.unsigned_leaves =
		    a->range.size > a->signed_seen ? a->range.size - a->signed_seen : 0;
	a->stats.batch_hist[hist_bucket(k)]++;
	pthread_mutex_unlock(&a->head_mu);

	/*
	 * One pass over the batch. An operation that asked for a wipe and
	 * whose change committed is held until the wipe is done (try_wipe,
	 * below). An asynchronous one is answered now: its callback (a server
	 * resuming a suspended connection) is quick and must not block. The
	 * blocking submitters are left for the wake-up tree.
	 */
	{
		size_t m = 0;
		for (size_t i = 0; i < k; i++) {
			struct op *op = batch[i];
			if (rc == 0 && (op->flags & AUDITLOG_WIPE) && op->rc == 0) {
				op->wipe_by_ns = t1 + (uint64_t)AUDITLOG_WIPE_ANSWER_MS * 1000000u;
				op->next = a->wiping;
				a->wiping = op;
				a->wipe_owed = 1;
			} else if (op->on_done != NULL) {
				finish_async(op, op->rc);
			} else {
				batch[m++] = op;
			}
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
	/* The batch's other submitters are on their way: now the wipe. */
	if (a->wiping != NULL && a->wipe_owed)
		try_wipe(a, AUDITLOG_WIPE_FIRST_MS);
	pthread_mutex_lock(&a->mu);
}

/* Publishes whether the writer's connection is lost, and counts each
 * time it was made again (a new session: store.h), which holds no leader
 * lock: the writer steps down, whatever failure did or did not say so. */
static void watch_session(auditlog *a)
{
	unsigned now = store_generation(a->st);

	atomic_store(&a->db_lost, store_lost(a->st));
	if (now == a->session)
		return;
	step_down(a);
	pthread_mutex_lock(&a->head_mu);
	a->stats.reconnects += now - a->session;
	pthread_mutex_unlock(&a->head_mu);
	a->session = now;
}

/*
 * The writer thread's step (common/bg.h): the batches queued, then a
 * checkpoint if one is due, then the mark lowered if the scrubber found
 * a mismatch below it, then another try at a wipe that is owed, if its
 * time has come. It sleeps until the next submission (or the scrubber's
 * call), or until growth that is not yet signed may be, or until the
 * next try at a wipe.
 */
static uint64_t writer_step(void *arg)
{
	auditlog *a = arg;
	uint64_t now, due_at, mark, wait;
	int more, broken;

	pthread_mutex_lock(&a->mu);
	if (a->head != NULL) {
		gather(a);
		run_batch(a);
	}
	more = a->head != NULL;
	pthread_mutex_unlock(&a->mu);
	/* A lost connection, tried again now if nothing else did. */
	if (store_lost(a->st))
		store_reconnect(a->st);
	watch_session(a);
	now = util_mono_ns();
	if (checkpoint_due(a, now))
		write_checkpoint(a);
	broken = atomic_load(&a->broken);
	if (broken == AK_ECORRUPT && (mark = mark_wanted(a)) < a->mark)
		write_mark(a, mark);
	if (a->wipe_owed && util_mono_ns() >= a->wipe_retry_ns)
		try_wipe(a, AUDITLOG_WIPE_RETRY_MS);
	if (more)
		return 0;
	now = util_mono_ns();
	wait = BG_IDLE;
	if ((a->multi || a->range.size > a->cp_size) && !broken) {
		due_at = a->cp_at_ns + (uint64_t)a->cfg.checkpoint_ms * 1000000u;
		wait = due_at > now ? due_at - now : 0;
	}
	if (a->wipe_owed) {
		uint64_t retry = a->wipe_retry_ns > now ? a->wipe_retry_ns - now : 0;
		if (retry < wait)
			wait = retry;
	}
	if (atomic_load(&a->db_lost) && wait > (uint64_t)AUDITLOG_RECONNECT_MS * 1000000u)
		wait = (uint64_t)AUDITLOG_RECONNECT_MS * 1000000u;
	return wait;
}

/* ------------------------------------------------------------- the API */

/* Fills in and prepares an operation; AK_EINVAL for arguments no
 * operation may have. */
static int op_init(struct op *op, struct leaf *leaves, size_t n, auditlog_change_fn change,
		   auditlog_group_fn group, void *ctx, unsigned flags)
{
	if (n == 0 || n > AUDITLOG_MAX_OP_LEAVES || leaves == NULL ||
	    (flags & ~(AUDITLOG_WIPE | AUDITLOG_SHED)) || (group != NULL && change == NULL))
		return AK_EINVAL;
	op->leaves = leaves;
	op->n = n;
	op->change = change;
	op->group = group;
	op->ctx = ctx;
	op->flags = flags;
	return prepare(op);
}

/*
 * Queues op for the writer: 0, AK_EBUSY once the log is closing, or
 * AK_EOVERLOAD for an op that may be shed when max_queue wait already. The
 * writer is woken only when the queue was empty: it looks at the queue
 * again, under a->mu, after every batch, so an op added behind others is
 * always taken, and a submission costs one lock, not two.
 */
static int enqueue(auditlog *a, struct op *op)
{
	int was_empty;

	pthread_mutex_lock(&a->mu);
	if (a->closing) {
		pthread_mutex_unlock(&a->mu);
		return AK_EBUSY;
	}
	if ((op->flags & AUDITLOG_SHED) && a->cfg.max_queue > 0 && a->queued >= a->cfg.max_queue) {
		a->shed_queue++;
		pthread_mutex_unlock(&a->mu);
		return AK_EOVERLOAD;
	}
	a->queued++;
	was_empty = a->head == NULL;
	if (a->tail != NULL)
		a->tail->next = op;
	else
		a->head = op;
	a->tail = op;
	if (a->straggling || (a->gathering && a->queued == a->gather_want))
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->mu);
	if (was_empty)
		bg_wake(a->thread);
	return 0;
}

int auditlog_submit(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
		    void *ctx, uint64_t *first_index)
{
	return auditlog_submit_flags(a, leaves, n, change, ctx, 0, first_index);
}

int auditlog_submit_flags(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
			  void *ctx, unsigned flags, uint64_t *first_index)
{
	struct op op;
	int rc;

	memset(&op, 0, sizeof op);
	if ((rc = op_init(&op, leaves, n, change, NULL, ctx, flags)) != 0)
		return rc;
	if (sem_init(&op.done, 0, 0) != 0) {
		prep_free(&op);
		return AK_ENOMEM;
	}
	if ((rc = enqueue(a, &op)) != 0) {
		sem_destroy(&op.done);
		prep_free(&op);
		return rc;
	}

	while (sem_wait(&op.done) != 0 && errno == EINTR)
		;
	for (int i = 0; i < 2; i++)
		if (op.wake[i] != NULL)
			sem_post(&op.wake[i]->done);
	sem_destroy(&op.done);
	prep_free(&op);
	if ((op.rc == 0 || op.rc == AK_EPENDING) && first_index != NULL)
		*first_index = op.first;
	return op.rc;
}

int auditlog_submit_async(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
			  void *ctx, auditlog_done_fn done, void *arg)
{
	return auditlog_submit_async_flags(a, leaves, n, change, ctx, 0, done, arg);
}

int auditlog_submit_async_flags(auditlog *a, struct leaf *leaves, size_t n,
				auditlog_change_fn change, void *ctx, unsigned flags,
				auditlog_done_fn done, void *arg)
{
	return auditlog_submit_async_group(a, leaves, n, change, NULL, ctx, flags, done, arg);
}

int auditlog_submit_async_group(auditlog *a, struct leaf *leaves, size_t n,
				auditlog_change_fn change, auditlog_group_fn group, void *ctx,
				unsigned flags, auditlog_done_fn done, void *arg)
{
	struct op *op;
	int rc;

	if (done == NULL)
		return AK_EINVAL;
	if ((op = calloc(1, sizeof *op)) == NULL)
		return AK_ENOMEM;
	if ((rc = op_init(op, leaves, n, change, group, ctx, flags)) != 0) {
		free(op);
		return rc;
	}
	op->on_done = done;
	op->on_done_arg = arg;
	if ((rc = enqueue(a, op)) != 0) {
		prep_free(op);
		free(op);
	}
	return rc;
}

void auditlog_head(auditlog *a, uint64_t *size, merkle_hash root)
{
	pthread_mutex_lock(&a->head_mu);
	*size = a->head_size;
	memcpy(root, a->head_root, MERKLE_HASH_BYTES);
	pthread_mutex_unlock(&a->head_mu);
}

int auditlog_refusing(auditlog *a)
{
	return atomic_load(&a->broken);
}

void auditlog_stats(auditlog *a, struct auditlog_stats *out)
{
	pthread_mutex_lock(&a->head_mu);
	*out = a->stats;
	pthread_mutex_unlock(&a->head_mu);
	pthread_mutex_lock(&a->mu);
	out->queued = a->queued;
	out->shed_queue = a->shed_queue;
	pthread_mutex_unlock(&a->mu);
	out->db_lost = atomic_load(&a->db_lost);
	out->writes_refused = atomic_load(&a->broken) != 0;
	/* Read without the writer's lock: a moment's staleness is fine. */
	out->wipe_owed = a->wipe_owed;
	scrub_stats(a->scrub, &out->scrub);
	out->leader = a->leader;
	/* The signer's rehash reports as the scrubber does. */
	pthread_mutex_lock(&a->head_mu);
	if (a->signer_bad && !out->scrub.mismatch) {
		out->scrub.mismatch = 1;
		out->scrub.mismatch_at = a->signer_bad_at;
		memcpy(out->scrub.why, a->signer_why, sizeof out->scrub.why);
	}
	pthread_mutex_unlock(&a->head_mu);
}

/* The scrubber's report of a mismatch, from its thread: no more writes,
 * and the writer wakes to lower the mark (unless it is stopping: then
 * auditlog_close does it). */
static void scrub_found(void *ctx)
{
	auditlog *a = ctx;

	atomic_store(&a->broken, AK_ECORRUPT);
	pthread_mutex_lock(&a->mu);
	if (!a->closing)
		bg_wake(a->thread);
	pthread_mutex_unlock(&a->mu);
}

/* The WAL keeper's report, on the writer's thread after each COMMIT. */
static void wal_grew(void *ctx, int frames)
{
	auditlog *a = ctx;
	walkeeper_report(a->wk, frames, a->range.size);
}

static void destroy(auditlog *a)
{
	scrub_stop(a->scrub);
	walkeeper_stop(a->wk);
	store_close(a->st);
	run_free(&a->run);
	free(a->batch);
	free(a->win);
	free(a->win_ctx);
	free(a->win_first);
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
	struct logcheck_head head = {0, 0, 0};
	const char *dummy;
	int rc;

	*out = NULL;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return AK_ENOMEM;
	if (cfg != NULL) {
		a->cfg = *cfg;
	} else {
		auditlog_config_default(&a->cfg);
		a->cfg.scrub_leaves_per_s = 0;
	}
	if (a->cfg.max_batch == 0)
		a->cfg.max_batch = 1;
	a->key = log_key;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->head_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((a->batch = calloc(a->cfg.max_batch, sizeof(struct op *))) == NULL ||
	    (a->win = calloc(a->cfg.max_batch, sizeof(struct op *))) == NULL ||
	    (a->win_ctx = calloc(a->cfg.max_batch, sizeof *a->win_ctx)) == NULL ||
	    (a->win_first = calloc(a->cfg.max_batch, sizeof *a->win_first)) == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}

	a->multi = store_is_url(db_path);
	/* One node on SQLite: it always leads (store_log_leader_try). */
	a->leader = !a->multi;
	if (a->cfg.gather_us == AUDITLOG_GATHER_STORE)
		a->cfg.gather_us = a->multi ? AUDITLOG_GATHER_PG_US : 0;
	if ((rc = store_open(&a->st, db_path, 0)) != 0) {
		*why = "the database cannot be opened";
		goto fail;
	}
	a->session = store_generation(a->st);
	/* A mark that cannot be read is read as 0: the whole log is rehashed. */
	if (store_log_verified(a->st, &a->mark) != 0)
		a->mark = 0;
	rc = logcheck_since(a->st, key_signer_verifier(log_key), a->mark, why, &head);
	if (rc == AK_ENOENT) {
		/* A new log: its first checkpoint, of the empty tree, comes next. */
		*why = NULL;
	} else if (rc == 0) {
		a->cp_size = head.checkpoint_size;
	} else {
		goto fail;
	}
	if ((rc = merkle_range_load(&a->range, head.size, store_log_get_node, a->st)) != 0) {
		*why = "the stored hashes of the log's right edge cannot be read";
		goto fail;
	}
	/* The first checkpoint's transaction moves the mark too, if there is
	 * one to sign; a mark that cannot be stored only makes the next
	 * start-up rehash more. */
	a->verified = head.size;
	if (head.size > a->cp_size || a->cp_size == 0) {
		if ((rc = write_checkpoint(a)) != 0) {
			*why = "the first checkpoint cannot be signed or stored";
			goto fail;
		}
	}
	if (a->mark != a->verified)
		write_mark(a, a->verified);
	/* An erasure whose wipe a crash interrupted is wiped now; if readers
	 * hold the WAL, the writer tries again once it runs. */
	a->wipe_owed = 1;
	if (store_wal_truncate(a->st, AUDITLOG_WIPE_FIRST_MS) == 0)
		a->wipe_owed = 0;
	a->head_size = a->range.size;
	merkle_range_root(&a->range, a->head_root);
	a->stats.checkpoint_size = a->cp_size;

	/* Without a keeper, SQLite's own WAL checkpoints stay on. */
	if (walkeeper_start(&a->wk, db_path, a->range.size) == 0) {
		store_wal_hook(a->st, wal_grew, a);
		/* The first checkpoint above asked for the lead. */
		if (a->multi && a->leader)
			walkeeper_lead(a->wk, 1);
	}
	if ((rc = bg_start(&a->thread, "auditlog-writer", writer_step, a,
			   a->wipe_owed ? (uint64_t)AUDITLOG_WIPE_EVERY_MS * 1000000u : BG_IDLE)) !=
	    0)
		goto fail;
	/* After the writer, whose thread its report wakes. */
	if ((rc = scrub_start(&a->scrub, db_path, key_signer_verifier(log_key),
			      a->cfg.scrub_leaves_per_s, scrub_found, a)) != 0) {
		*why = "the scrubber cannot be started";
		bg_stop(a->thread);
		goto fail;
	}
	*out = a;
	return 0;
fail:
	destroy(a);
	return rc;
}

/*
 * Stops the writer thread after the step in progress, runs what is still
 * queued on this thread (the writer's connection is now ours), signs the
 * final state and stores the mark of verified leaves as the scrubber has
 * it now; destroy then stops the scrubber.
 */
void auditlog_close(auditlog *a)
{
	uint64_t mark;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->closing = 1;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->mu);
	bg_stop(a->thread);
	pthread_mutex_lock(&a->mu);
	while (a->head != NULL)
		run_batch(a);
	pthread_mutex_unlock(&a->mu);
	/* Every held operation is answered before the log goes: wiped, or
	 * AK_EPENDING (the next open wipes). */
	if (a->wipe_owed) {
		for (struct op *op = a->wiping; op != NULL; op = op->next)
			op->wipe_by_ns = 0;
		try_wipe(a, AUDITLOG_WIPE_ANSWER_MS);
	}
	assert(a->wiping == NULL);
	if (a->range.size > a->cp_size)
		write_checkpoint(a);
	if ((mark = mark_wanted(a)) != a->mark)
		write_mark(a, mark);
	destroy(a);
}
