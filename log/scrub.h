/*
 * scrub: the audit log rehashed in the background, whole, pass after pass
 * (DESIGN.md, "The audit log's promises"), on a thread (common/bg.h) and
 * a read-only connection of its own.
 *
 * A pass reads the leaves in index order, from 0 to the log's size when
 * the pass began, and holds each against what is stored: it must parse,
 * and its leaf hash and every inner node its append completes, recomputed
 * from the leaves alone (never from stored hashes), must be the hashes
 * stored in its row. Each stored checkpoint, when the pass reaches its
 * size, must be signed by the log key and sign the root recomputed there.
 * So a pass finds any change to a leaf, a stored hash or a checkpoint,
 * also under the newest checkpoint, where the start-up check
 * (log/logcheck.h) trusts the stored hashes the signed root vouches for.
 *
 * On the first mismatch it stops for good, keeps what it found (in its
 * stats) and calls found() once, from its thread; the audit log then
 * refuses every write (log/auditlog.h). It never writes to the database.
 */
#ifndef ANKANG_SCRUB_H
#define ANKANG_SCRUB_H

#include <stdint.h>

#include "crypto/key.h"

typedef struct scrub scrub;

/* Room for the description of a mismatch, NUL included. */
#define SCRUB_WHY_MAX 160

struct scrub_stats {
	unsigned leaves_per_s; /* the rate it runs at; 0: no scrubber */
	uint64_t passes;       /* passes completed */
	uint64_t leaves;       /* leaves rehashed, in every pass */
	uint64_t checkpoints;  /* stored checkpoints checked, in every pass */
	uint64_t pass_size;    /* the log's size when this pass began: it ends there */
	uint64_t position;     /* leaves verified in this pass: the next leaf it reads */
	uint64_t verified;     /* one pass has verified every leaf below this */
	uint64_t last_pass_ms; /* when the last pass completed (Unix ms); 0: none yet */
	int mismatch;          /* 1 once a mismatch was found (then it has stopped) */
	/* The leaf whose check failed, or, for a checkpoint whose signature or
	 * root is wrong, its size. */
	uint64_t mismatch_at;
	char why[SCRUB_WHY_MAX]; /* "" until a mismatch */
};

/*
 * Opens a read-only connection on db_path and starts the thread, which
 * rehashes at most leaves_per_s leaves a second (a checkpoint's signature
 * counts as SCRUB_CHECKPOINT_COST leaves), in short read transactions.
 * log_key must stay valid until scrub_stop. found (may be NULL) is called
 * once, from the scrubber's thread, on the first mismatch; it must return
 * quickly. leaves_per_s 0 starts nothing: *out = NULL and 0. Returns 0,
 * AK_EDB (no connection), AK_ENOMEM.
 */
int scrub_start(scrub **out, const char *db_path, const struct key_verifier *log_key,
		unsigned leaves_per_s, void (*found)(void *ctx), void *ctx);

/* A copy of its progress; zeros for NULL. Any thread. */
void scrub_stats(scrub *s, struct scrub_stats *out);

/* Stops the thread (after the chunk in progress) and closes its
 * connection. NULL is a no-op. */
void scrub_stop(scrub *s);

#endif
