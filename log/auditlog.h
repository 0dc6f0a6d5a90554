/*
 * auditlog: the append-only, tamper-evident audit log (DESIGN.md, "The
 * audit log's promises"; FORMAT.md section 3).
 *
 * One writer thread owns the write connection. Callers submit an
 * operation: an optional state change (a callback run inside the
 * transaction) and the leaves that record it. The writer gathers
 * operations into a batch, runs each inside its own savepoint, appends
 * their leaves and Merkle nodes, commits the batch in one durable
 * transaction, and only then wakes the callers. So:
 *   - nothing is answered before its leaf is durable;
 *   - a change and its leaves commit together or not at all;
 *   - one operation failing (its callback returns an error) fails only that
 *     operation; a failed commit fails every operation in the batch and
 *     writes nothing.
 * After a commit that grew the tree, the writer signs a checkpoint with the
 * log key, at most one per checkpoint interval, and always one for the
 * final state on close.
 *
 * Opening checks the stored tree against the newest signed checkpoint and
 * rehashes every leaf written since the previous opening
 * (log/logcheck.h), and refuses to run on any disagreement. While open, a
 * scrubber (log/scrub.h) rehashes the whole log in the background, pass
 * after pass; once it finds a mismatch the log refuses every write with
 * AK_ECORRUPT, as it does once it finds itself truncated, and with AK_EIO
 * once the database met an I/O error (a full disk only fails the batch it
 * hit). Proofs are in
 * log/proof.h; the WAL and the index file are kept by log/walkeeper.h.
 * An operation may ask to be answered only once nothing of what it
 * removed is left in any file (AUDITLOG_WIPE, below).
 */
#ifndef ANKANG_AUDITLOG_H
#define ANKANG_AUDITLOG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "log/scrub.h"
#include "log/store.h"

typedef struct auditlog auditlog;

struct auditlog_config {
	size_t max_batch;     /* operations per transaction (default 256) */
	unsigned max_wait_us; /* how long a batch may wait to fill (default 0: not at all) */
	/*
	 * Gathering, before a batch's transaction opens: while the writer is
	 * busy (its last batch held more than one operation), it waits up
	 * to gather_us for as many operations to queue as its last batch
	 * held (at most AUDITLOG_GATHER_OPS, and max_queue when set) before
	 * it takes the batch, so that the batches keep the size the load
	 * gives them rather than splitting it. Nothing is locked meanwhile,
	 * unlike max_wait_us, which waits inside the transaction (on
	 * PostgreSQL holding the head's row lock, which the other
	 * front-ends wait for). Default AUDITLOG_GATHER_STORE: the store's
	 * own, AUDITLOG_GATHER_PG_US on PostgreSQL, where each batch costs
	 * round trips, a flush and the head's lock handed between
	 * front-ends, and 0 (not at all) on SQLite, where a batch costs a
	 * few microseconds and an fsync (docs/MULTINODE.md, "Sequencing").
	 */
	unsigned gather_us;
	unsigned checkpoint_ms; /* minimum gap between checkpoints (default 1000) */
	/* Leaves a second the scrubber rehashes (default
	 * AUDITLOG_SCRUB_LEAVES_PER_S); 0: no scrubber. */
	unsigned scrub_leaves_per_s;
	/*
	 * Back-pressure (AUDITLOG_SHED below). max_queue: operations waiting
	 * for this writer, past which one more is refused (default 0: no
	 * bound). max_unsigned: leaves not yet under a signed checkpoint
	 * (the head's size less the newest signed one's, as the writer reads
	 * them with the head: store_log_head_signed), past which an
	 * operation's leaves are refused (default AUDITLOG_MAX_UNSIGNED; 0:
	 * no bound). It applies on PostgreSQL only, where another node may
	 * be the signer, or none: on SQLite the writer signs its own.
	 */
	size_t max_queue;
	uint64_t max_unsigned;
};
#define AUDITLOG_MAX_UNSIGNED 100000
/* Queued operations that end any gathering at once (gather_us): past
 * this many a batch's fixed cost is a small share of each operation's. */
#define AUDITLOG_GATHER_OPS 32
/* gather_us: the store's default, and PostgreSQL's. */
#define AUDITLOG_GATHER_STORE UINT_MAX
#define AUDITLOG_GATHER_PG_US 4000
/* 0.7% of one CPU on a 2-CPU VM, for 7.2 million leaves an hour (173
 * million a day) read again (measured: log/scrub.c, "Rate"): cheap enough
 * to leave on everywhere. A larger log wants a higher rate (ankangd serve
 * --scrub-rate): 10000 a second cost 2.5% of a CPU. */
#define AUDITLOG_SCRUB_LEAVES_PER_S 2000

/* Fills in the defaults. */
void auditlog_config_default(struct auditlog_config *c);

/*
 * Opens the log on the database at db_path (its own write connection),
 * runs the start-up self-check, rehashing the leaves from the mark of
 * verified leaves (store_log_verified: where the previous opening, or the
 * scrubber, got to) or from the newest checkpoint if that is earlier, to
 * the end, and moves the mark to the end. It then signs a checkpoint if
 * the log has grown past the last one (or, for a new database, the empty
 * tree's), and starts the writer thread, a second thread on a second
 * connection that copies the WAL back into the database file off the
 * commit path, and the scrubber (unless cfg turns it off). cfg NULL: the
 * defaults with no scrubber, for a short-lived opener (a command that
 * appends a leaf or two and exits) that would never finish a pass.
 * The database must exist (store_open with STORE_CREATE makes one).
 * log_key must stay valid until auditlog_close.
 * *why, if not NULL, receives a description of a failed self-check ("the
 * root at size N recomputed from stored hashes does not match the signed
 * checkpoint", "the stored hash at level 0, index N does not match leaf
 * N", ...): thread-local static text, valid until the same thread's next
 * auditlog_open or logcheck_*. Returns 0, AK_ECORRUPT, AK_ENOENT (no
 * database), AK_EDB, AK_ENOMEM.
 */
int auditlog_open(auditlog **out, const char *db_path, const key_signer *log_key,
		  const struct auditlog_config *cfg, const char **why);

/* Stops the writer thread, drains queued operations, signs the final
 * checkpoint, stores the mark of verified leaves, stops the scrubber and
 * the WAL keeper, closes the connection. NULL is a no-op. */
void auditlog_close(auditlog *a);

/*
 * A state change run by the writer inside the operation's savepoint, on
 * the writer's connection. first is the log index leaves[0] will have, so
 * a change can record where in the log it happened. Returns 0 to commit
 * with the leaves, or a negative AK_E* code to roll the operation back
 * (the code is returned to the submitter). It may fill in leaf fields it
 * only learns inside the transaction (a new resident's pseudonym, say)
 * through ctx, or edit them: the leaves are logged as the change leaves
 * them.
 */
typedef int (*auditlog_change_fn)(void *ctx, store *st, struct leaf *leaves, size_t n,
				  uint64_t first);

/*
 * Submits an operation and blocks until it is durable or has failed.
 * leaves[0..n) (1 <= n <= AUDITLOG_MAX_OP_LEAVES) are appended in order,
 * with consecutive indexes. A leaf's time_ms of 0 is set, in the caller's
 * leaves, to the time of this call (not of the commit, which may be a
 * batch later: leaves are formatted and hashed here, in the caller's
 * thread, to keep that work off the writer's). Leaves are read only
 * here and, after a change, by the writer; the caller must not touch
 * them until this returns. On success *first_index (if not NULL) is the
 * log index of leaves[0]. Returns 0, the change callback's error,
 * AK_EINVAL (a leaf that will not format, found here when there is no
 * change to fill it in), AK_EDB (the batch failed: nothing of it was
 * written), AK_ECORRUPT (the log was truncated behind the writer's back,
 * or the scrubber found a mismatch; it takes no more writes), AK_EIO (the
 * database met an I/O error, in this batch or before: nothing of the batch
 * was written, and it takes no more writes until it is opened again), AK_EBUSY
 * (closing), AK_ENOMEM.
 */
#define AUDITLOG_MAX_OP_LEAVES 65536
int auditlog_submit(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
		    void *ctx, uint64_t *first_index);

/*
 * Flags of an operation (auditlog_submit_flags, auditlog_submit_async_flags).
 *
 * AUDITLOG_WIPE: what the change removes must leave no copy in any file
 * of the database (an erasure). The submitter is answered only once the
 * batch holding the operation has committed and, after that, the whole
 * WAL has been copied into the database file and the WAL truncated to
 * nothing (store_wal_truncate); every connection that writes runs with
 * secure_delete, so the space the change freed in the database file is
 * zeros. The other operations of the batch are answered at their COMMIT,
 * as always: only the ones that asked wait for the wipe.
 *
 * The wipe waits for readers of snapshots older than the commit (whose
 * pages it would overwrite), the writer's first try at most
 * AUDITLOG_WIPE_FIRST_MS while it holds the write lock; if readers are
 * still there, the writer goes back to its batches and tries again every
 * AUDITLOG_WIPE_EVERY_MS for AUDITLOG_WIPE_RETRY_MS each. A submitter
 * still waiting AUDITLOG_WIPE_ANSWER_MS after its commit gets AK_EPENDING:
 * its change did commit, with its leaves (*first_index is set), but the
 * WAL or the file may still hold what it removed. The writer keeps trying
 * until a wipe succeeds, on close, and at the next open (which always
 * wipes first, so a crash between a commit and its wipe is wiped there).
 * An operation whose change failed removed nothing and is answered at
 * once.
 */
#define AUDITLOG_WIPE           1u
#define AUDITLOG_WIPE_FIRST_MS  250
#define AUDITLOG_WIPE_RETRY_MS  20
#define AUDITLOG_WIPE_EVERY_MS  100
#define AUDITLOG_WIPE_ANSWER_MS 5000

/*
 * AUDITLOG_SHED: the operation may be refused, with AK_EOVERLOAD and
 * nothing done, when the writer is behind: at submission, when max_queue
 * operations already wait for it; in its batch, when its leaves would
 * take the leaves not yet under a signed checkpoint past max_unsigned.
 * For the requests of clients, who may try again (a 503 with
 * Retry-After); the service's own operations go without it.
 */
#define AUDITLOG_SHED 2u

/* auditlog_submit with flags: AUDITLOG_WIPE, AUDITLOG_SHED; AK_EPENDING
 * and AK_EOVERLOAD as above. */
int auditlog_submit_flags(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
			  void *ctx, unsigned flags, uint64_t *first_index);

/*
 * Called by the writer thread once an asynchronous operation is durable
 * (rc 0, first_index = log index of its first leaf) or has failed. It
 * must return quickly and must not submit.
 */
typedef void (*auditlog_done_fn)(void *arg, int rc, uint64_t first_index);

/*
 * Like auditlog_submit (time_ms of 0 included), but returns at once:
 * done(arg, ...) is called from the writer thread after the batch holding
 * the operation has committed (or failed). leaves and ctx must stay valid
 * and untouched until then. Returns 0 when queued (done will be called
 * exactly once), or AK_EINVAL (as auditlog_submit), AK_ENOMEM, AK_EBUSY
 * (closing), and then done is never called.
 */
int auditlog_submit_async(auditlog *a, struct leaf *leaves, size_t n, auditlog_change_fn change,
			  void *ctx, auditlog_done_fn done, void *arg);
/* auditlog_submit_async with flags (AUDITLOG_WIPE: done is called after
 * the wipe, or with AK_EPENDING and the first index). */
int auditlog_submit_async_flags(auditlog *a, struct leaf *leaves, size_t n,
				auditlog_change_fn change, void *ctx, unsigned flags,
				auditlog_done_fn done, void *arg);

/*
 * A group change: the changes of several operations done at once, where
 * each statement is a round trip to the database (PostgreSQL), so that a
 * batch of operations of one kind costs one statement rather than one
 * each while the head's lock is held. ctx[i] and first[i] are the i-th
 * operation's ctx and first log index, in log order. Returns 0 when
 * every change is done, or a negative AK_E* code when none is: nothing
 * of them written, and the writer then runs each operation's own change
 * in turn, as if it had given no group. So the group's outcome must be
 * all or none, and the same as the changes run one after another; and
 * since no change runs when the group succeeds, the operation's leaves
 * are logged as submitted.
 *
 * The writer gathers into one call the operations of a batch that give
 * the same group, from the first to the next operation with a change of
 * its own (run before it) or the batch's end. On SQLite, where a
 * statement is a function call, it runs each change alone and never
 * calls the group.
 */
typedef int (*auditlog_group_fn)(store *st, void *const *ctx, const uint64_t *first, size_t n);

/* auditlog_submit_async_flags with a group change (NULL: none); change
 * must be given with it. */
int auditlog_submit_async_group(auditlog *a, struct leaf *leaves, size_t n,
				auditlog_change_fn change, auditlog_group_fn group, void *ctx,
				unsigned flags, auditlog_done_fn done, void *arg);

/* The committed size and root (what the next checkpoint will sign). */
void auditlog_head(auditlog *a, uint64_t *size, merkle_hash root);

/* 0, or why every write is refused until a restart: AK_ECORRUPT (the
 * scrub found stored hashes that disagree) or AK_EIO (the storage failed
 * a write or an fsync). One atomic load: cheap enough for /healthz. */
int auditlog_refusing(auditlog *a);

/* Statistics for /metrics. */
struct auditlog_stats {
	uint64_t leaves, batches, ops, failed_batches, checkpoints;
	uint64_t checkpoint_size;                /* tree size of the newest one signed */
	uint64_t commit_ns_total, commit_ns_max; /* time inside COMMIT */
	uint64_t batch_hist[8];                  /* batch sizes: 1, 2-3, 4-7, ..., 64-127, >=128 */
	int writes_refused;                      /* every write fails (AK_ECORRUPT, AK_EIO) */
	char fault[128];                         /* SQLite's message for the last failed write */
	/* AUDITLOG_WIPE: wipes that succeeded, their time (ns) in total and
	 * at most, attempts that ran out of time, submitters answered
	 * AK_EPENDING, and whether a wipe is owed now. */
	uint64_t wipes, wipe_ns_total, wipe_ns_max, wipe_timeouts, wipes_late;
	int wipe_owed;
	/* The scrubber's progress (zeros when it is off); its mismatch also
	 * carries the one the signer's rehash found before signing, on
	 * PostgreSQL. */
	struct scrub_stats scrub;
	/* 1 while this writer believes it holds the log's leader lock (always
	 * on SQLite); cleared by any failure on its connection. */
	int leader;
	/* Back-pressure: operations waiting for the writer now, the leaves
	 * not yet signed at its last batch (PostgreSQL), and operations
	 * refused for each bound (AUDITLOG_SHED). */
	uint64_t queued, unsigned_leaves, shed_queue, shed_unsigned;
	/* The writer's connection: lost now (PostgreSQL), and how many times
	 * it was made again. */
	int db_lost;
	uint64_t reconnects;
	/* Group changes (auditlog_group_fn, PostgreSQL): operations whose
	 * change a group did, and groups that did none (their operations
	 * then ran alone). */
	uint64_t grouped_ops, group_fallbacks;
	/* Gathering (gather_us): batches the writer waited for before it
	 * took them, and the time it waited in all (ns). */
	uint64_t gathers, gather_ns_total;
};
void auditlog_stats(auditlog *a, struct auditlog_stats *out);

#endif
