/*
 * scrub: the whole audit log rehashed in the background (contract in
 * scrub.h; the tables in schema/001_audit.sql; the tree in
 * crypto/merkle.h).
 *
 * A pass. It keeps its own compact range of the tree (merkle_range),
 * built by appending the leaf hash of each leaf's bytes from leaf 0 on,
 * never loaded from stored hashes. Every hash an append completes (the
 * leaf's own, then one per merge) is the one the leaf's row must store
 * (schema/001_audit.sql), so a leaf is held against its row alone, read
 * in one sequential scan, as every rehash of the log does it
 * (logcheck_row). A pass ends at the size the log had when it began, so
 * a log that grows faster than the scrubber reads still gets whole
 * passes; what was appended meanwhile is the next pass's. Before it reads
 * past a stored checkpoint's size, the pass checks that checkpoint: its
 * note opens with the log key and signs the root of the range there.
 * Each checkpoint is checked where it stands in the tree, so a forged
 * old one is found, not only the newest.
 *
 * Chunks. A step of the thread reads at most a tenth of a second's worth
 * of leaves (SCRUB_CHUNK_MAX at most) inside one read transaction on its
 * own read-only connection: one snapshot for the chunk, and never more
 * than a few milliseconds in which the WAL cannot be copied back past
 * it (log/walkeeper.c). Between chunks nothing is held but the range in
 * memory: leaves never change, so a chunk may start from a later
 * snapshot than the one before it ended in.
 *
 * Rate. After a chunk the step sleeps until the chunk's leaves, at the
 * configured rate, would have taken (and at least SCRUB_PASS_GAP_NS
 * after a pass ends); a checkpoint counts as
 * SCRUB_CHECKPOINT_COST leaves, the time its signature takes to verify.
 * So the scrubber's CPU is bounded by the rate whatever the mix: a log of
 * one leaf per checkpoint costs what one of a thousand does. Measured on
 * the 2-CPU VM this was written on (a log of 2 * 10^5 and 10^6 leaves
 * written through the writer, on ext4, process CPU time over a pass or
 * 5 s): a pass at full speed costs 2.21-2.28 us of CPU a leaf, linear in
 * the log's size; a checkpoint's signature 42-44 us, about 20 leaves. At
 * 2000 leaves a second (the default, AUDITLOG_SCRUB_LEAVES_PER_S) it
 * used 7.0-7.4 ms of CPU a second, 0.7% of one CPU (chunks of 200 leaves
 * cost a little more a leaf than a pass at full speed), and a pass covers
 * 7.2 million leaves an hour; at 10000 a second, 2.5% of a CPU.
 *
 * A mismatch ends the scrubber for good: the thread keeps what it found
 * in its stats, calls found() once and then only sleeps. A database
 * error (a lock held for longer than the busy timeout, say) is not a
 * mismatch: the chunk is retried SCRUB_RETRY_NS later from where it
 * stood.
 *
 * Never: write to the database, hold a read transaction across a sleep,
 * or trust a stored hash it can recompute.
 */
#include "log/scrub.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bg.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "log/logcheck.h"
#include "log/store.h"

/* Leaves a step reads at most: a few milliseconds inside one read
 * transaction. */
#define SCRUB_CHUNK_MAX 1024
/* Steps a second at most, so a low rate still moves in small steps. */
#define SCRUB_STEPS_PER_S 10
/* What a checkpoint costs, in leaves (the measurement above). */
#define SCRUB_CHECKPOINT_COST 20
/* After a database error, the chunk is tried again this much later. */
#define SCRUB_RETRY_NS 1000000000u
/* A pass starts at most this long after the one before it ended: a small
 * log gains nothing from being read again many times a second. */
#define SCRUB_PASS_GAP_NS 1000000000u

struct scrub {
	bg *thread;
	store *st; /* the thread's own, read-only */
	const struct key_verifier *vk;
	unsigned rate;
	void (*found)(void *ctx);
	void *found_ctx;

	/* The thread's own: no lock. */
	struct merkle_range range; /* the pass, recomputed from leaf 0 */
	uint64_t pass_size;        /* where this pass ends */
	uint64_t cp_from;          /* the checkpoints below it are checked */
	int in_pass;               /* 0: the next chunk starts a pass */
	int failed;                /* a mismatch was found: nothing more to do */
	uint64_t leaves, checkpoints, passes, last_pass_ms, verified;
	uint64_t bad_at;
	char why[SCRUB_WHY_MAX];

	/* Published after each chunk, under mu. */
	pthread_mutex_t mu;
	struct scrub_stats stats;
};

/* Records the first mismatch; returns AK_ECORRUPT for the caller to pass
 * up. */
static int mismatch(scrub *s, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int mismatch(scrub *s, uint64_t at, const char *fmt, ...)
{
	va_list ap;

	assert(!s->failed);
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
	s->bad_at = at;
	s->failed = 1;
	return AK_ECORRUPT;
}

/* One leaf row, at or past the range's size (store_log_row_fn): checked
 * as every rehash checks it (logcheck_row). */
static int scrub_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len, const uint8_t *hashes,
		      size_t hlen)
{
	scrub *s = ctx;
	uint64_t at = s->range.size; /* the leaf found missing, or this one */
	const char *why = NULL;
	int rc = logcheck_row(&s->range, idx, leaf, len, hashes, hlen, &why);

	if (rc == AK_ECORRUPT)
		return mismatch(s, at, "%s", why);
	if (rc == 0)
		s->leaves++;
	return rc;
}

/* The stored checkpoint at size, which the range has reached. */
static int scrub_checkpoint(scrub *s, uint64_t size, const char *note, size_t len)
{
	struct checkpoint cp;
	merkle_hash root;
	const char *why = NULL;

	assert(s->range.size == size);
	if (logcheck_checkpoint(note, len, s->vk, size, &cp, &why) != 0)
		return mismatch(s, size, "%s", why);
	merkle_range_root(&s->range, root);
	if (memcmp(root, cp.root, MERKLE_HASH_BYTES) != 0)
		return mismatch(s, size,
				"the checkpoint at size %" PRIu64
				" signs a root that the leaves below it do not hash to",
				size);
	s->checkpoints++;
	return 0;
}

/*
 * One chunk, inside the read transaction: leaves and checkpoints worth at
 * most budget leaves, in tree order, ending early at the pass's end.
 * *units gets what was done. 0, AK_ECORRUPT (s->failed), or a database
 * error.
 */
static int run_chunk(scrub *s, uint64_t budget, uint64_t *units)
{
	int rc;

	*units = 0;
	if (!s->in_pass) {
		if ((rc = store_log_size(s->st, &s->pass_size)) != 0)
			return rc;
		merkle_range_init(&s->range);
		s->cp_from = 0;
		s->in_pass = 1;
	}
	for (;;) {
		uint64_t pos = s->range.size, cp_size, end;
		char *note = NULL;
		size_t len;

		if (s->cp_from < pos)
			s->cp_from = pos;
		rc = store_log_checkpoint_from(s->st, s->cp_from, &cp_size, &note, &len);
		if (rc == AK_ENOENT)
			cp_size = UINT64_MAX;
		else if (rc != 0)
			return rc;
		if (cp_size == pos) {
			if (*units >= budget) {
				free(note);
				return 0;
			}
			rc = scrub_checkpoint(s, cp_size, note, len);
			free(note);
			*units += SCRUB_CHECKPOINT_COST;
			if (rc != 0)
				return rc;
			s->cp_from = pos + 1;
			continue;
		}
		free(note);
		if (pos >= s->pass_size) {
			s->in_pass = 0;
			s->passes++;
			s->last_pass_ms = util_now_ms();
			if (s->pass_size > s->verified)
				s->verified = s->pass_size;
			return 0;
		}
		if (*units >= budget)
			return 0;
		end = pos + (budget - *units);
		if (end > s->pass_size)
			end = s->pass_size;
		if (end > cp_size)
			end = cp_size;
		if ((rc = store_log_rows(s->st, pos, end, scrub_leaf, s)) != 0)
			return rc;
		if (s->range.size != end)
			return mismatch(s, s->range.size, "leaf %" PRIu64 " is missing",
					s->range.size);
		*units += end - pos;
	}
}

static void publish(scrub *s)
{
	pthread_mutex_lock(&s->mu);
	s->stats.passes = s->passes;
	s->stats.leaves = s->leaves;
	s->stats.checkpoints = s->checkpoints;
	s->stats.pass_size = s->pass_size;
	s->stats.position = s->in_pass ? s->range.size : 0;
	s->stats.verified = s->verified > s->stats.position ? s->verified : s->stats.position;
	s->stats.last_pass_ms = s->last_pass_ms;
	if (s->failed && !s->stats.mismatch) {
		s->stats.mismatch = 1;
		s->stats.mismatch_at = s->bad_at;
		memcpy(s->stats.why, s->why, sizeof s->why);
	}
	pthread_mutex_unlock(&s->mu);
}

/* The thread's step (common/bg.h): one chunk, then a sleep that keeps the
 * rate. */
static uint64_t scrub_step(void *ctx)
{
	scrub *s = ctx;
	uint64_t budget = s->rate / SCRUB_STEPS_PER_S, units = 0, t0 = util_mono_ns(), want, took;
	uint64_t passes = s->passes;
	int rc;

	if (s->failed)
		return BG_IDLE;
	if (budget < 1)
		budget = 1;
	if (budget > SCRUB_CHUNK_MAX)
		budget = SCRUB_CHUNK_MAX;
	if ((rc = store_begin_read(s->st)) == 0) {
		rc = run_chunk(s, budget, &units);
		store_rollback(s->st); /* it only read */
	}
	publish(s);
	if (s->failed) {
		if (s->found != NULL)
			s->found(s->found_ctx);
		return BG_IDLE;
	}
	if (rc != 0)
		return SCRUB_RETRY_NS;
	if (units < 1)
		units = 1;
	want = units * 1000000000u / s->rate;
	if (s->passes != passes && want < SCRUB_PASS_GAP_NS)
		want = SCRUB_PASS_GAP_NS;
	took = util_mono_ns() - t0;
	return want > took ? want - took : 0;
}

int scrub_start(scrub **out, const char *db_path, const struct key_verifier *log_key,
		unsigned leaves_per_s, void (*found)(void *ctx), void *ctx)
{
	scrub *s;
	int rc;

	*out = NULL;
	if (leaves_per_s == 0)
		return 0;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	s->vk = log_key;
	s->rate = leaves_per_s;
	s->found = found;
	s->found_ctx = ctx;
	s->stats.leaves_per_s = leaves_per_s;
	pthread_mutex_init(&s->mu, NULL);
	/* *out is set before the thread exists: found() may run at once, and
	 * whoever it wakes may already read *out. */
	*out = s;
	if ((rc = store_open(&s->st, db_path, STORE_READONLY)) != 0 ||
	    (rc = bg_start(&s->thread, "auditlog-scrub", scrub_step, s, 0)) != 0) {
		*out = NULL;
		store_close(s->st);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return rc;
	}
	return 0;
}

void scrub_stats(scrub *s, struct scrub_stats *out)
{
	if (s == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

void scrub_stop(scrub *s)
{
	if (s == NULL)
		return;
	bg_stop(s->thread);
	store_close(s->st);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
