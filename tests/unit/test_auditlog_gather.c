/*
 * test_auditlog_gather: the writer's gathering before a batch
 * (auditlog_config.gather_us, log/auditlog.h), on SQLite, where it is
 * off by default and set here by hand:
 *
 *   - a quiet writer (no batch yet, or a last batch of one operation)
 *     takes an operation at once, even with a gather_us of a minute:
 *     nothing is counted as gathered;
 *   - a busy writer waits until as many operations are queued as its
 *     last batch held (three, then after a batch of 40, at most
 *     AUDITLOG_GATHER_OPS), woken by the submitter that makes them that
 *     many, and takes them in one batch;
 *   - closing the writer ends a gathering, and the operation it waited
 *     with is still recorded;
 *   - with max_queue set it waits for no more than max_queue operations
 *     (more would be shed, not queued);
 *   - the default (AUDITLOG_GATHER_STORE) is no gathering on SQLite.
 *
 * A batch is made busy deterministically: the first operation's change
 * blocks until two more are queued, and the writer takes those into the
 * same batch once the change returns. The leaves are made up.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "tests/lib/leaves.h"
#include "tests/lib/tap.h"

#define N_OPS    AUDITLOG_GATHER_OPS
#define BUSY_MAX (AUDITLOG_GATHER_OPS + 8)
#define MINUTE   60000000u

static key_signer *log_key;
static char dir[] = "/tmp/ankang-test-gather.XXXXXX";

struct gop {
	struct leaf leaf;
	atomic_int done;
	int rc;
};

/* The blocking change: says it started, then waits to be let go. */
static atomic_int started, let_go;

static int blocking_change(void *ctx, store *st, struct leaf *l, size_t n, uint64_t first)
{
	(void)ctx;
	(void)st;
	(void)l;
	(void)n;
	(void)first;
	atomic_store(&started, 1);
	for (int t = 0, tries = patience(1000); t < tries && !atomic_load(&let_go); t++)
		usleep(10000);
	return 0;
}

static void op_done(void *arg, int rc, uint64_t first)
{
	struct gop *o = arg;

	(void)first;
	o->rc = rc;
	atomic_store(&o->done, 1);
}

static int submit(auditlog *a, struct gop *o, auditlog_change_fn change)
{
	test_verify_leaf(&o->leaf, 1);
	atomic_store(&o->done, 0);
	o->rc = -1;
	return auditlog_submit_async(a, &o->leaf, 1, change, NULL, op_done, o);
}

/* Until ops[0..n) are answered, each recorded (bounded). */
static int answered(struct gop *ops, size_t n)
{
	for (int t = 0, tries = patience(1000); t < tries; t++) {
		size_t k = 0, good = 0;
		for (size_t i = 0; i < n; i++) {
			k += (size_t)atomic_load(&ops[i].done);
			good += atomic_load(&ops[i].done) && ops[i].rc == 0;
		}
		if (k == n)
			return good == n;
		usleep(10000);
	}
	return 0;
}

/* A batch of n (at most BUSY_MAX): the first operation's change holds
 * the writer until the others are queued, and the writer takes them in
 * after it. */
static int busy_batch(auditlog *a, size_t n)
{
	static struct gop ops[BUSY_MAX];

	atomic_store(&started, 0);
	atomic_store(&let_go, 0);
	if (n > BUSY_MAX || submit(a, &ops[0], blocking_change) != 0)
		return 0;
	for (int t = 0, tries = patience(1000); t < tries && !atomic_load(&started); t++)
		usleep(10000);
	for (size_t i = 1; i < n; i++) {
		if (!atomic_load(&started) || submit(a, &ops[i], NULL) != 0) {
			atomic_store(&let_go, 1);
			return 0;
		}
	}
	atomic_store(&let_go, 1);
	return answered(ops, n);
}

/* Submits ops[0..n) and checks, 50 ms on, that none is answered and all
 * wait on the queue: the writer gathers. */
static int waiting(auditlog *a, struct gop *ops, size_t n)
{
	struct auditlog_stats st;

	for (size_t i = 0; i < n; i++)
		if (submit(a, &ops[i], NULL) != 0)
			return 0;
	usleep(50000);
	auditlog_stats(a, &st);
	for (size_t i = 0; i < n; i++)
		if (atomic_load(&ops[i].done))
			return 0;
	return st.queued == n;
}

/* The writer on path, with gather_us (AUDITLOG_GATHER_STORE: the store's
 * default) and max_queue (0: none). */
static int open_log(auditlog **a, const char *path, unsigned gather_us, unsigned max_queue)
{
	struct auditlog_config cfg;
	const char *why = NULL;

	auditlog_config_default(&cfg);
	cfg.scrub_leaves_per_s = 0;
	cfg.max_queue = max_queue;
	if (gather_us != AUDITLOG_GATHER_STORE)
		cfg.gather_us = gather_us;
	if (auditlog_open(a, path, log_key, &cfg, &why) == 0)
		return 0;
	diag("%s", why != NULL ? why : "(no reason)");
	return -1;
}

static struct auditlog_stats stats(auditlog *a)
{
	struct auditlog_stats st;

	auditlog_stats(a, &st);
	return st;
}

int main(void)
{
	char path[256];
	struct gop ops[N_OPS];
	struct auditlog_stats st;
	auditlog *a = NULL;
	store *s = NULL;

	if (sodium_init() < 0 || key_signer_generate(&log_key, "ankang.test/log") != 0 ||
	    mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(path, sizeof path, "%s/log.db", dir);
	if (store_open(&s, path, STORE_CREATE) != 0)
		bail_out("SQLite store");
	store_close(s);

	/* Quiet: taken at once, a minute's gathering set or not. */
	if (open_log(&a, path, MINUTE, 0) != 0)
		bail_out("the writer opens");
	test_verify_leaf(&ops[0].leaf, 1);
	test_verify_leaf(&ops[1].leaf, 1);
	ok(auditlog_submit(a, &ops[0].leaf, 1, NULL, NULL, NULL) == 0 &&
	       auditlog_submit(a, &ops[1].leaf, 1, NULL, NULL, NULL) == 0,
	   "a quiet writer records two operations one after the other");
	st = stats(a);
	is_int((int)st.gathers, 0,
	       "  and gathered for neither (no batch yet, then a batch of one)");

	/* Busy: a batch of three, then the next waits for three. */
	ok(busy_batch(a, 3), "a batch of three (the first one's change held the writer)");
	st = stats(a);
	ok(st.batches == 3 && st.batch_hist[1] == 1,
	   "  one batch of 2-3 operations after the two of one (%llu batches)",
	   (unsigned long long)st.batches);
	ok(waiting(a, ops, 2), "two more operations wait on the queue: the writer gathers");
	if (submit(a, &ops[2], NULL) != 0)
		bail_out("submit");
	ok(answered(ops, 3), "a third: the three are recorded");
	st = stats(a);
	is_int((int)st.gathers, 1, "  after one gathering");
	ok(st.batches == 4 && st.batch_hist[1] == 2,
	   "  in one batch of three, as many as the last batch held (%llu batches)",
	   (unsigned long long)st.batches);
	ok(st.gather_ns_total < (uint64_t)MINUTE * 1000u,
	   "  woken by the third, not at the minute's end");

	/* After a batch of more than AUDITLOG_GATHER_OPS, it waits for that
	 * many (a writer opened again: quiet, so that the batch can begin). */
	auditlog_close(a);
	if (open_log(&a, path, MINUTE, 0) != 0)
		bail_out("the writer opens again");
	ok(busy_batch(a, BUSY_MAX), "a batch of %d", BUSY_MAX);
	ok(waiting(a, ops, N_OPS - 1), "%d operations wait on the queue", N_OPS - 1);
	if (submit(a, &ops[N_OPS - 1], NULL) != 0)
		bail_out("submit");
	ok(answered(ops, N_OPS), "one more: the %d are recorded, AUDITLOG_GATHER_OPS being enough",
	   N_OPS);
	st = stats(a);
	ok(st.gathers == 1 && st.batches == 2 && st.batch_hist[5] == 2,
	   "  in one batch (%llu gatherings, %llu batches)", (unsigned long long)st.gathers,
	   (unsigned long long)st.batches);

	/* Closing ends a gathering; the operation is still recorded. */
	ok(waiting(a, ops, 1), "a lone operation after that batch waits on the queue");
	{
		uint64_t t0 = util_mono_ns();
		auditlog_close(a);
		a = NULL;
		ok(atomic_load(&ops[0].done) && ops[0].rc == 0,
		   "closing the writer ends the gathering, and the operation is recorded");
		ok(util_mono_ns() - t0 < (uint64_t)MINUTE * 500u,
		   "  at once, not at the end of the minute's gathering");
	}

	/* With --max-queue 2, no more than two can wait: it waits for two. */
	if (open_log(&a, path, MINUTE, 2) != 0)
		bail_out("the writer opens with max_queue");
	ok(busy_batch(a, 3), "max_queue 2: a batch of three (operations never shed)");
	for (size_t i = 0; i < 2; i++) {
		test_verify_leaf(&ops[i].leaf, 1);
		atomic_store(&ops[i].done, 0);
		if (auditlog_submit_async_flags(a, &ops[i].leaf, 1, NULL, NULL, AUDITLOG_SHED,
						op_done, &ops[i]) != 0)
			bail_out("submit");
	}
	ok(answered(ops, 2),
	   "  two that may be shed are recorded: the writer waited for two, not three");
	auditlog_close(a);

	/* The default on SQLite: no gathering. */
	if (open_log(&a, path, AUDITLOG_GATHER_STORE, 0) != 0)
		bail_out("the writer opens again");
	ok(busy_batch(a, 3), "with the default: a batch of three");
	for (size_t i = 0; i < 4; i++)
		if (submit(a, &ops[i], NULL) != 0)
			bail_out("submit");
	ok(answered(ops, 4), "  then four operations recorded");
	is_int((int)stats(a).gathers, 0, "  none of them gathered: SQLite's default is not to");
	auditlog_close(a);

	key_signer_free(log_key);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
