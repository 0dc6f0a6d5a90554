/*
 * walkeeper: the WAL and the index file kept in shape (contract in
 * walkeeper.h).
 *
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
 * which has the index file attached and only reads the log. Inside the
 * writer's transaction, a step of 2048 leaves would hold the writer for
 * some milliseconds: measured with the service's 64 asynchronous
 * submitters (bench/bench_auditlog.c, part 1b), submit-to-durable p99 is
 * 4-5 ms that way and 0.9-1.5 ms this way, and the rate 15-20% lower.
 *
 * On PostgreSQL there is no WAL of ours to copy and no index file: the
 * indexes are tables of the log's database (store.h), filled in by the
 * log's leader alone (docs/MULTINODE.md). The writer says whether it
 * leads (walkeeper_lead); while it does, this thread takes a step every
 * INDEX_POLL_NS, since other front-ends' appends are never reported
 * here, and none while it does not. A step holds the mark's row, so a
 * leader that has just lost the lead and its successor cannot both add
 * a leaf.
 *
 * Never: write the log's tables, or make the writer wait for this thread.
 */
#include "log/walkeeper.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/bg.h"
#include "common/util.h"
#include "log/store.h"

#define CKPT_STEP      1000 /* frames: 4 MiB */
#define CKPT_MAX       8000
#define INDEX_MAX_STEP 16384
/* PostgreSQL: how often the leader's keeper looks at the log's size. */
#define INDEX_POLL_NS 1000000000u

struct walkeeper {
	bg *thread;
	store *st;     /* the thread's own connection */
	int has_index; /* st has the index file attached */
	int pg;        /* st is PostgreSQL's: the indexes are its tables */
	pthread_mutex_t mu;
	/* Under mu: what the writer reported, what the thread has done. */
	int wal_frames;   /* the WAL's length after the writer's last commit */
	int wal_copied;   /* how much of it the last checkpoint copied back */
	uint64_t size;    /* the log's size after the writer's last commit */
	uint64_t ix_mark; /* the index file covers the leaves below this */
	int leader;       /* PostgreSQL: the writer leads the log */
};

/* mu held: what the thread has to do. */
static int wal_due(const walkeeper *w)
{
	return w->wal_frames - w->wal_copied >= CKPT_STEP;
}

static int index_due(const walkeeper *w)
{
	if (w->pg)
		return w->has_index && w->leader;
	return w->has_index && w->size > w->ix_mark && w->size - w->ix_mark >= STORE_INDEX_STEP;
}

void walkeeper_report(walkeeper *w, int wal_frames, uint64_t log_size)
{
	int due;

	pthread_mutex_lock(&w->mu);
	w->wal_frames = wal_frames;
	if (wal_frames < w->wal_copied) /* the WAL started over */
		w->wal_copied = 0;
	w->size = log_size;
	due = wal_due(w) || index_due(w);
	pthread_mutex_unlock(&w->mu);
	if (due)
		bg_wake(w->thread);
}

static uint64_t keeper_step(void *ctx)
{
	walkeeper *w = ctx;
	int restart, copied = 0, frames, wal, index;
	uint64_t mark;

	pthread_mutex_lock(&w->mu);
	wal = wal_due(w);
	index = index_due(w);
	frames = w->wal_frames;
	pthread_mutex_unlock(&w->mu);

	if (wal) {
		restart = frames >= CKPT_MAX;
		/* A failure (or BUSY) leaves the WAL longer; the next step
		 * retries. */
		if (store_checkpoint(w->st, restart, NULL, &copied) != 0)
			copied = 0;
		pthread_mutex_lock(&w->mu);
		if (copied > 0 && copied <= w->wal_frames)
			w->wal_copied = copied;
		else if (copied == 0)
			w->wal_copied = w->wal_frames; /* wait a whole step */
		pthread_mutex_unlock(&w->mu);
	}
	if (index && w->pg) {
		uint64_t before = w->ix_mark;

		/* A failure only slows queries down; retried a poll later.
		 * A whole step may leave more behind it: the next one at once. */
		if (store_log_index(w->st, STORE_INDEX_STEP, INDEX_MAX_STEP, &mark) != 0)
			return INDEX_POLL_NS;
		pthread_mutex_lock(&w->mu);
		w->ix_mark = mark;
		index = w->leader;
		pthread_mutex_unlock(&w->mu);
		return !index ? BG_IDLE : mark - before >= INDEX_MAX_STEP ? 0 : INDEX_POLL_NS;
	}
	if (index) {
		/* A failure only slows queries down; retried a step later. */
		if (store_log_index(w->st, STORE_INDEX_STEP, INDEX_MAX_STEP, &mark) != 0)
			mark = UINT64_MAX;
		pthread_mutex_lock(&w->mu);
		w->ix_mark = mark != UINT64_MAX ? mark : w->size;
		pthread_mutex_unlock(&w->mu);
	}
	pthread_mutex_lock(&w->mu);
	index = wal_due(w) || index_due(w);
	pthread_mutex_unlock(&w->mu);
	return index ? 0 : BG_IDLE;
}

/*
 * An index file that is not this log's is emptied first
 * (store_log_index_check); the thread then fills it in from its mark.
 */
int walkeeper_start(walkeeper **out, const char *db_path, uint64_t log_size)
{
	walkeeper *w;
	uint64_t mark = 0;
	int reset, rc;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return AK_ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	if (store_log_open(&w->st, db_path, 0) == 0) {
		if (store_log_index_check(w->st, &reset) == 0 &&
		    store_log_index(w->st, UINT64_MAX, 0, &mark) == 0)
			w->has_index = 1;
	} else if ((rc = store_open(&w->st, db_path, 0)) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return rc;
	}
	w->ix_mark = mark;
	w->size = log_size;
	w->pg = store_is_url(db_path);
	/* The first step catches the index up, if it is behind. */
	if ((rc = bg_start(&w->thread, "auditlog-wal", keeper_step, w, 0)) != 0) {
		store_close(w->st);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void walkeeper_lead(walkeeper *w, int leader)
{
	if (w == NULL || !w->pg)
		return;
	pthread_mutex_lock(&w->mu);
	w->leader = leader;
	pthread_mutex_unlock(&w->mu);
	if (leader)
		bg_wake(w->thread);
}

void walkeeper_stop(walkeeper *w)
{
	if (w == NULL)
		return;
	bg_stop(w->thread);
	store_close(w->st);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
