/*
 * upkeep: the housekeeping thread (see upkeep.h), on common/bg.c.
 *
 * Each purge is one audit operation: the change callback deletes expired
 * sessions (store_session_purge), codes and revocations
 * (store_codes_purge) on the writer's connection, and the operation's one
 * leaf says so (`purge`, system:-, result ok). When nothing was due the
 * callback returns NOTHING_DUE, a private code that makes the writer roll
 * the operation back, leaf included: an idle service's log does not grow
 * by a leaf a minute. Burst summaries go first, as operations of leaves
 * alone, BURSTS_PER_OP at a time.
 *
 * Never: purge outside the writer, or leave a purge unlogged.
 */
#include "service/upkeep.h"

#include <stdlib.h>
#include <string.h>

#include "common/bg.h"
#include "common/util.h"
#include "service/oplog.h"
#include "service/store_people.h"

/* The change callback's "nothing to do": rolls the operation back. */
#define NOTHING_DUE   AK_ENOENT
#define BURSTS_PER_OP 64

struct upkeep {
	struct upkeep_config cfg;
	bg *thread;
};

struct purge {
	uint64_t now, skew, scan_window, n;
};

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static int purge_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct purge *p = ctx;
	uint64_t sessions = 0, codes = 0;
	int rc;
	(void)l;
	(void)n;
	(void)first;

	if ((rc = store_session_purge(w, p->now, &sessions)) != 0)
		return rc;
	if ((rc = store_codes_purge(w, minus(p->now, p->skew + p->scan_window),
				    minus(p->now, p->skew), &codes)) != 0)
		return rc;
	p->n = sessions + codes;
	return p->n == 0 ? NOTHING_DUE : 0;
}

/* The summaries of the bursts over by now, written to the log. */
static int write_bursts(const struct upkeep_config *cfg, uint64_t now)
{
	struct leaf leaves[BURSTS_PER_OP];
	size_t k;
	int rc;

	if (cfg->limits == NULL)
		return 0;
	do {
		k = limits_bursts_take(cfg->limits, now, leaves, BURSTS_PER_OP);
		if (k > 0 && (rc = auditlog_submit(cfg->log, leaves, k, NULL, NULL, NULL)) != 0) {
			/* Not written: kept for the next run. */
			limits_bursts_unsent(cfg->limits, leaves, k);
			return rc;
		}
	} while (k == BURSTS_PER_OP);
	return 0;
}

int upkeep_run(const struct upkeep_config *cfg, uint64_t now, uint64_t *purged)
{
	struct purge p = {now, cfg->skew, cfg->scan_window, 0};
	struct leaf l;
	int rc;

	if (purged != NULL)
		*purged = 0;
	if ((rc = write_bursts(cfg, now)) != 0)
		return rc;
	leaf_init(&l, ROLE_SYSTEM, LEAF_NO_ID, ACT_PURGE);
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	rc = auditlog_submit(cfg->log, &l, 1, purge_change, &p, NULL);
	if (rc == NOTHING_DUE)
		return 0;
	if (rc == 0 && purged != NULL)
		*purged = p.n;
	return rc;
}

static uint64_t upkeep_step(void *ctx)
{
	struct upkeep *u = ctx;
	int rc = upkeep_run(&u->cfg, util_now(), NULL);

	if (rc != 0 && rc != AK_EBUSY)
		oplog_fault(NULL, NULL, "upkeep: purging expired rows", rc, NULL);
	return (uint64_t)UPKEEP_INTERVAL_S * 1000000000u;
}

int upkeep_start(struct upkeep **out, const struct upkeep_config *cfg)
{
	struct upkeep *u;
	int rc;

	*out = NULL;
	if ((u = calloc(1, sizeof *u)) == NULL)
		return AK_ENOMEM;
	u->cfg = *cfg;
	if ((rc = bg_start(&u->thread, "upkeep", upkeep_step, u,
			   (uint64_t)UPKEEP_INTERVAL_S * 1000000000u)) != 0) {
		free(u);
		return rc;
	}
	*out = u;
	return 0;
}

void upkeep_stop(struct upkeep *u)
{
	int rc;

	if (u == NULL)
		return;
	bg_stop(u->thread);
	/* The bursts still open end with the service: their counts are in
	 * memory only. */
	if ((rc = write_bursts(&u->cfg, UINT64_MAX)) != 0)
		oplog_fault(NULL, NULL, "upkeep: writing the last log-in summaries", rc, NULL);
	free(u);
}
