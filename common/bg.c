/*
 * bg: the background threads' skeleton (contract in bg.h).
 *
 * State under mu: pending (a wake-up not yet consumed by a step), stop,
 * and sleeping (the thread waits on cv), so that bg_wake makes a futex
 * call only when there is someone to wake. The clock is CLOCK_MONOTONIC:
 * a wall clock set back must not stretch a sleep.
 */
#include "common/bg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

struct bg {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bg_step_fn step;
	void *ctx;
	uint64_t first_ns;
	char name[16];
	int pending, sleeping;
	atomic_int stop;
};

static void deadline_in(struct timespec *ts, uint64_t ns)
{
	uint64_t at = util_mono_ns() + ns;

	ts->tv_sec = (time_t)(at / 1000000000u);
	ts->tv_nsec = (long)(at % 1000000000u);
}

/* Sleeps (mu held) until woken, stopped, or ns have passed. */
static void nap(bg *b, uint64_t ns)
{
	struct timespec ts;

	b->sleeping = 1;
	if (ns == BG_IDLE) {
		while (!b->pending && !atomic_load(&b->stop))
			pthread_cond_wait(&b->cv, &b->mu);
	} else {
		deadline_in(&ts, ns);
		while (!b->pending && !atomic_load(&b->stop) &&
		       pthread_cond_timedwait(&b->cv, &b->mu, &ts) == 0)
			;
	}
	b->sleeping = 0;
}

static void *bg_main(void *arg)
{
	bg *b = arg;
	uint64_t wait = b->first_ns;

	pthread_setname_np(pthread_self(), b->name);
	pthread_mutex_lock(&b->mu);
	for (;;) {
		if (wait > 0 && !b->pending)
			nap(b, wait);
		if (atomic_load(&b->stop))
			break;
		b->pending = 0;
		pthread_mutex_unlock(&b->mu);
		wait = b->step(b->ctx);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

int bg_start(bg **out, const char *name, bg_step_fn step, void *ctx, uint64_t first_ns)
{
	pthread_condattr_t ca;
	bg *b;

	*out = NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return AK_ENOMEM;
	b->step = step;
	b->ctx = ctx;
	b->first_ns = first_ns;
	snprintf(b->name, sizeof b->name, "%s", name);
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&b->thread, NULL, bg_main, b) != 0) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		free(b);
		return AK_ENOMEM;
	}
	*out = b;
	return 0;
}

void bg_wake(bg *b)
{
	pthread_mutex_lock(&b->mu);
	b->pending = 1;
	if (b->sleeping)
		pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void bg_stop(bg *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	atomic_store(&b->stop, 1);
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
