/*
 * upkeep: the housekeeping thread (see upkeep.h).
 *
 * Each run is one audit operation: the change callback deletes expired
 * sessions (store_session_purge) and the codes and revocations that
 * expired more than the skew ago (store_codes_purge) on the writer's
 * connection, and the operation's one leaf says so (`purge`, system:-,
 * result ok). When nothing was due the callback returns NOTHING_DUE, a
 * private code that makes the writer roll the operation back, leaf
 * included: an idle service's log does not grow by a leaf a minute.
 *
 * The thread sleeps on a condition variable, so stopping it is immediate;
 * a purge already submitted is waited for (auditlog_submit blocks), which
 * is why upkeep_stop must come before auditlog_close.
 *
 * Never: purge outside the writer, or leave a purge unlogged.
 */
#include "service/upkeep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "service/server.h"
#include "service/store_people.h"

/* The change callback's "nothing to do": rolls the operation back. */
#define NOTHING_DUE AK_ENOENT

struct upkeep {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	int stop;
};

struct purge {
	uint64_t now, skew, n;
};

static int purge_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct purge *p = ctx;
	uint64_t sessions = 0, codes = 0;
	int rc;
	(void)l;
	(void)n;

	if ((rc = store_session_purge(w, p->now, &sessions)) != 0)
		return rc;
	if ((rc = store_codes_purge(w, p->now > p->skew ? p->now - p->skew : 0, &codes)) != 0)
		return rc;
	p->n = sessions + codes;
	return p->n == 0 ? NOTHING_DUE : 0;
}

int upkeep_run(struct server *srv, uint64_t *purged)
{
	struct purge p = {util_now(), srv->cfg.skew, 0};
	struct leaf l;
	int rc;

	if (purged != NULL)
		*purged = 0;
	leaf_init(&l, ROLE_SYSTEM, LEAF_NO_ID, ACT_PURGE);
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	rc = auditlog_submit(srv->log, &l, 1, purge_change, &p, NULL);
	if (rc == NOTHING_DUE)
		return 0;
	if (rc == 0 && purged != NULL)
		*purged = p.n;
	return rc;
}

static void *upkeep_thread(void *arg)
{
	struct upkeep *u = arg;
	struct timespec ts;

	pthread_mutex_lock(&u->mu);
	while (!u->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += UPKEEP_INTERVAL_S;
		while (!u->stop && pthread_cond_timedwait(&u->cv, &u->mu, &ts) == 0)
			; /* woken early: only a stop ends the wait */
		if (u->stop)
			break;
		pthread_mutex_unlock(&u->mu);
		int rc = upkeep_run(u->srv, NULL);
		if (rc != 0 && rc != AK_EBUSY)
			fprintf(stderr, "ankangd: upkeep: purging expired rows: %s\n",
				ak_strerror(rc));
		pthread_mutex_lock(&u->mu);
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

int upkeep_start(struct upkeep **out, struct server *srv)
{
	struct upkeep *u;
	pthread_condattr_t ca;

	*out = NULL;
	if ((u = calloc(1, sizeof *u)) == NULL)
		return AK_ENOMEM;
	u->srv = srv;
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&u->thread, NULL, upkeep_thread, u) != 0) {
		pthread_cond_destroy(&u->cv);
		pthread_mutex_destroy(&u->mu);
		free(u);
		return AK_ENOMEM;
	}
	*out = u;
	return 0;
}

void upkeep_stop(struct upkeep *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = 1;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
