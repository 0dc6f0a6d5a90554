/*
 * rewrap: the KEK epoch rotation (see rewrap.h), its steps as audit
 * operations, and the service's thread that runs them.
 *
 * Every step is one operation whose change runs in the writer's
 * transaction: record_rewrap moves up to a chunk of keys to the current
 * epoch; when it finds none left, the change destroys the older epochs
 * instead and the leaf's detail becomes kek_epoch. A step that finds
 * neither to do rolls back (NOTHING_DUE), leaf included: the log records
 * only what changed.
 *
 * Never: destroy an epoch outside the writer's transaction, or before the
 * check, in that transaction, that no key is left under it.
 */
#include "service/rewrap.h"

#include <stdlib.h>
#include <string.h>

#include "common/bg.h"
#include "common/util.h"
#include "service/oplog.h"

/* The change callback's "nothing to do": rolls the operation back. */
#define NOTHING_DUE AK_ENOENT
/* How long the thread waits after a failed step before it tries again. */
#define RETRY_S 60u
/* The thread looks at the clock at least this often (it may be set). */
#define LOOK_S 3600u

struct step {
	const struct rewrap_config *c;
	size_t moved, dropped;
	int nothing;   /* the change found nothing to do */
	int destroyed; /* the change wrote the file without the older epochs */
	int waiting;   /* the destroy hook said not yet */
};

/* Whether a rotation is under way: an epoch older than the current one
 * is held (the current one may be below the newest held: epoch.h's
 * limit). */
static int under_way(epoch_set *e)
{
	struct epoch_info info[EPOCH_MAX];

	epoch_list(e, info, EPOCH_MAX);
	return info[0].number < epoch_current_number(e);
}

static int step_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct step *s = ctx;
	size_t chunk = s->c->chunk ? s->c->chunk : REWRAP_CHUNK;
	int rc;
	(void)n;
	(void)first;

	s->moved = s->dropped = 0;
	s->nothing = s->destroyed = s->waiting = 0;
	if ((rc = record_rewrap(s->c->keys, w, chunk, &s->moved)) != 0)
		return rc;
	if (s->moved > 0) {
		l->detail = DET_KEK_REWRAP;
		return 0;
	}
	/* No live key is under an older epoch, as of this transaction, which
	 * sees every chunk committed before it. On several nodes the hook
	 * moves the database's floor in this transaction, or says not yet. */
	if (s->c->destroy_ok != NULL && under_way(s->c->keys->epochs) &&
	    (rc = s->c->destroy_ok(s->c->destroy_ctx, w,
				   epoch_current_number(s->c->keys->epochs))) != 0) {
		s->waiting = rc == AK_EBUSY;
		return rc;
	}
	rc = epoch_drop_below(s->c->keys->epochs, epoch_current_number(s->c->keys->epochs),
			      &s->dropped);
	if (rc != 0)
		return rc;
	if (s->dropped == 0) {
		s->nothing = 1;
		return NOTHING_DUE;
	}
	s->destroyed = 1;
	l->detail = DET_KEK_EPOCH;
	return 0;
}

int rewrap_step(const struct rewrap_config *c, struct rewrap_report *r)
{
	struct step s;
	struct leaf l;
	int rc;

	r->epoch = epoch_current_number(c->keys->epochs);
	if (!under_way(c->keys->epochs))
		return 0;
	memset(&s, 0, sizeof s);
	s.c = c;
	leaf_init(&l, c->role, LEAF_NO_ID, ACT_KEY_ROTATE);
	l.result = RES_OK;
	l.detail = DET_KEK_REWRAP;
	rc = auditlog_submit(c->log, &l, 1, step_change, &s, NULL);
	if (s.destroyed) {
		/* The file no longer holds them, whatever the commit did. */
		r->destroyed += s.dropped;
		r->unlogged |= rc != 0;
	}
	r->epoch = epoch_current_number(c->keys->epochs);
	if (rc == NOTHING_DUE && s.nothing)
		return 0;
	if (rc == AK_EBUSY && s.waiting)
		return AK_EBUSY;
	if (rc != 0)
		return rc;
	if (s.moved > 0) {
		r->rewrapped += s.moved;
		r->chunks++;
	}
	return 1;
}

int rewrap_finish(const struct rewrap_config *c, size_t max_steps, struct rewrap_report *r)
{
	size_t steps = 0;
	int rc;

	while ((rc = rewrap_step(c, r)) == 1)
		if (max_steps != 0 && ++steps == max_steps)
			return AK_EBUSY;
	if (rc == 0 && under_way(c->keys->epochs))
		return AK_ECORRUPT; /* nothing to do, yet older epochs are held */
	return rc;
}

int rewrap_rotate(const struct rewrap_config *c, uint64_t now, struct rewrap_report *r)
{
	int rc;

	if ((rc = rewrap_finish(c, 0, r)) != 0)
		return rc;
	if ((rc = epoch_add(c->keys->epochs, now, &r->epoch)) != 0)
		return rc;
	return rewrap_finish(c, 0, r);
}

/* ------------------------------------------------------------ the thread */

struct rewrap {
	struct rewrap_config cfg;
	uint64_t every_s;
	struct rewrap_report report; /* of the rotation under way */
	bg *thread;
};

static uint64_t seconds(uint64_t s)
{
	return s * 1000000000u;
}

static uint64_t rewrap_thread_step(void *ctx)
{
	struct rewrap *w = ctx;
	struct epoch_info info[EPOCH_MAX];
	size_t n = epoch_list(w->cfg.keys->epochs, info, EPOCH_MAX);
	uint64_t now = util_now(), due;
	int rc;

	if (n > 1) {
		rc = rewrap_step(&w->cfg, &w->report);
		/* The step that destroys the older epochs commits (1), and
		 * leaves one epoch: the rotation is over, and is told now, as
		 * the next call finds nothing left to step through. */
		if (rc == 1 && epoch_list(w->cfg.keys->epochs, info, EPOCH_MAX) > 1)
			return 0;
		if (rc == 0 || rc == 1) {
			oplog_note("KEK epoch %llu: %llu keys re-wrapped in %llu steps, %llu older "
				   "epoch(s) destroyed",
				   (unsigned long long)w->report.epoch,
				   (unsigned long long)w->report.rewrapped,
				   (unsigned long long)w->report.chunks,
				   (unsigned long long)w->report.destroyed);
			memset(&w->report, 0, sizeof w->report);
			return 0;
		}
		if (rc != AK_EBUSY)
			oplog_fault(NULL, NULL,
				    w->report.unlogged
					? "rotating the KEK epoch (older epochs destroyed, their "
					  "leaf not written)"
					: "rotating the KEK epoch",
				    rc, NULL);
		return seconds(RETRY_S);
	}
	if (w->every_s == 0)
		return BG_IDLE;
	due = info[0].created + w->every_s;
	if (now < due)
		return seconds(due - now < LOOK_S ? due - now : LOOK_S);
	if ((rc = epoch_add(w->cfg.keys->epochs, now, NULL)) != 0) {
		oplog_fault(NULL, NULL, "making a new KEK epoch", rc, NULL);
		return seconds(RETRY_S);
	}
	return 0;
}

int rewrap_start(struct rewrap **out, const struct rewrap_config *c, uint64_t every_s)
{
	struct rewrap *w;
	int rc;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return AK_ENOMEM;
	w->cfg = *c;
	w->every_s = every_s;
	/* At once: a rotation a crash interrupted is finished first. */
	if ((rc = bg_start(&w->thread, "epoch-rotate", rewrap_thread_step, w, 0)) != 0) {
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void rewrap_stop(struct rewrap *w)
{
	if (w == NULL)
		return;
	bg_stop(w->thread);
	free(w);
}
