/*
 * test_ratelimit: counters in a bounded table (service/ratelimit.h).
 *
 * Fixed windows: each kind's allowance and window, the window ending and
 * a new one starting, Retry-After counting down, clear, kinds and keys
 * kept apart, the eviction bound (a full table drops exactly the entry
 * left alone longest, and never grows past RATELIMIT_SLOTS). Back-off:
 * the first block, doubling, the cap, forgetting, clear. Several threads
 * at once. Take: check and count in one step, for several keys or none,
 * and refund; eight threads taking at once never get more than the
 * allowance between them.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "service/ratelimit.h"
#include "tests/lib/tap.h"

#define T0 1750000000u

static struct ratelimit *rl;

/* The kinds of this test, with limits.c's shapes. */
enum {
	RL_LOGIN_ACCOUNT,
	RL_LOGIN_ADDRESS,
	RL_ENROLL_ADDRESS,
	RL_PAIR,
	RL_UNUSED,
};

static struct ratelimit *fresh(void)
{
	struct ratelimit_rule rules[RATELIMIT_KINDS] = {
	    [RL_LOGIN_ACCOUNT] = {5, 15 * 60, 0, 0},
	    [RL_LOGIN_ADDRESS] = {20, 15 * 60, 0, 0},
	    [RL_ENROLL_ADDRESS] = {10, 60 * 60, 0, 0},
	    [RL_PAIR] = {5, 60, 3600, 86400},
	};
	return ratelimit_new(rules);
}

static int blocked(unsigned k, const char *key, uint64_t now)
{
	return ratelimit_retry_after(rl, k, key, strlen(key), now) > 0;
}

static void hit(unsigned k, const char *key, uint64_t now, int times)
{
	for (int i = 0; i < times; i++)
		ratelimit_hit(rl, k, key, strlen(key), now);
}

static uint64_t retry(unsigned k, const char *key, uint64_t now)
{
	return ratelimit_retry_after(rl, k, key, strlen(key), now);
}

/* The hits a fresh key takes before it is blocked (at most max). */
static int allowance(unsigned k, const char *key, uint64_t now, int max)
{
	for (int n = 0; n < max; n++) {
		if (blocked(k, key, now))
			return n;
		hit(k, key, now, 1);
	}
	return blocked(k, key, now) ? max : -1;
}

/* Threads taking from one key at once: each counts what it got. */
static int taken_total;
static pthread_mutex_t taken_mu = PTHREAD_MUTEX_INITIALIZER;
static void *taker(void *arg)
{
	struct ratelimit_key k = {RL_ENROLL_ADDRESS, "together", 8};
	int got = 0;
	(void)arg;
	for (int i = 0; i < 50; i++)
		got += ratelimit_take(rl, &k, 1, T0) == 0;
	pthread_mutex_lock(&taken_mu);
	taken_total += got;
	pthread_mutex_unlock(&taken_mu);
	return NULL;
}

static void *hammer(void *arg)
{
	char key[32];
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "thread-%d-%d", t, i % 50);
		ratelimit_hit(rl, RL_LOGIN_ADDRESS, key, strlen(key), T0);
		(void)ratelimit_retry_after(rl, RL_LOGIN_ADDRESS, key, strlen(key), T0);
		if (i % 7 == 0)
			ratelimit_clear(rl, RL_LOGIN_ADDRESS, key, strlen(key));
	}
	return NULL;
}

int main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init");
	ratelimit_free(NULL);
	ok(1, "ratelimit_free(NULL) is a no-op");
	if ((rl = fresh()) == NULL)
		bail_out("ratelimit_new");

	/* Allowances. */
	is_int(allowance(RL_LOGIN_ACCOUNT, "acct-1", T0, 100), 5, "login per account: 5 failures");
	is_int(allowance(RL_LOGIN_ADDRESS, "192.0.2.1", T0, 100), 20,
	       "login per address: 20 failures");
	is_int(allowance(RL_ENROLL_ADDRESS, "192.0.2.1", T0, 100), 10,
	       "enrolments per address: 10");

	/* The account window: 15 minutes from its first failure. */
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-2", T0), "a key never seen is not blocked");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0), 0, "and has no Retry-After");
	hit(RL_LOGIN_ACCOUNT, "acct-2", T0, 4);
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 10), "4 failures: not blocked");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0 + 10), 0, "not blocked: Retry-After 0");
	hit(RL_LOGIN_ACCOUNT, "acct-2", T0 + 10, 1);
	ok(blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 10), "the 5th failure blocks");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0 + 100), 800,
	       "Retry-After counts from the window's start (900 - 100)");
	ok(blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 899), "still blocked at 899 s");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0 + 899), 1, "Retry-After 1 at 899 s");
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 900), "free again when the window ends");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0 + 900), 0, "Retry-After 0 then");
	hit(RL_LOGIN_ACCOUNT, "acct-2", T0 + 900, 4);
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 901),
	   "a failure after the window starts a new one (4 in it: not blocked)");
	hit(RL_LOGIN_ACCOUNT, "acct-2", T0 + 901, 1);
	ok(blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 901), "the new window's 5th blocks");
	is_int(retry(RL_LOGIN_ACCOUNT, "acct-2", T0 + 901), 899,
	       "Retry-After from the new window's start");
	ok(blocked(RL_LOGIN_ACCOUNT, "acct-2", T0 + 800),
	   "a clock that went back keeps the window running");

	/* Enrolment: one hour. */
	ok(blocked(RL_ENROLL_ADDRESS, "192.0.2.1", T0 + 3599), "enrolment block lasts 3599 s");
	ok(!blocked(RL_ENROLL_ADDRESS, "192.0.2.1", T0 + 3600), "and ends at an hour");

	/* Kinds and keys are apart. */
	ok(!blocked(RL_LOGIN_ADDRESS, "acct-1", T0), "the same key under another kind is apart");
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-10", T0), "a key with one more byte is apart");
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-", T0), "a key with one byte less is apart");
	hit(RL_LOGIN_ACCOUNT, "", T0, 5);
	ok(ratelimit_retry_after(rl, RL_LOGIN_ACCOUNT, "", 0, T0) > 0,
	   "an empty key works like any other");
	hit(RL_UNUSED, "x", T0, 100);
	ok(!blocked(RL_UNUSED, "x", T0) && !blocked(RATELIMIT_KINDS, "x", T0),
	   "a kind without a rule, or out of range, never blocks");

	/* Clear. */
	ok(blocked(RL_LOGIN_ACCOUNT, "acct-1", T0), "acct-1 is blocked");
	ratelimit_clear(rl, RL_LOGIN_ACCOUNT, "acct-1", 6);
	ok(!blocked(RL_LOGIN_ACCOUNT, "acct-1", T0), "clear forgets its failures");
	is_int(allowance(RL_LOGIN_ACCOUNT, "acct-1", T0, 100), 5, "and it has its full allowance");
	ratelimit_clear(rl, RL_LOGIN_ACCOUNT, "never-seen", 10);
	ok(1, "clearing a key never seen is a no-op");
	ok(blocked(RL_LOGIN_ADDRESS, "192.0.2.1", T0), "clear of one kind leaves the others");

	/* Eviction: a full table drops the oldest window, only it. */
	ratelimit_free(rl);
	rl = fresh();
	hit(RL_LOGIN_ACCOUNT, "oldest", T0, 5);
	hit(RL_LOGIN_ACCOUNT, "second", T0 + 1, 5);
	{
		char key[32];
		int still = 1;
		for (unsigned i = 0; i < RATELIMIT_SLOTS - 2; i++) {
			snprintf(key, sizeof key, "flood-%u", i);
			hit(RL_LOGIN_ADDRESS, key, T0 + 2, 1);
		}
		ok(blocked(RL_LOGIN_ACCOUNT, "oldest", T0 + 2) &&
		       blocked(RL_LOGIN_ACCOUNT, "second", T0 + 2),
		   "a table filled to RATELIMIT_SLOTS keeps every window");
		hit(RL_LOGIN_ADDRESS, "one-more", T0 + 3, 1);
		ok(!blocked(RL_LOGIN_ACCOUNT, "oldest", T0 + 3),
		   "one key past the bound evicts the oldest window");
		ok(blocked(RL_LOGIN_ACCOUNT, "second", T0 + 3), "and only that one");
		hit(RL_LOGIN_ADDRESS, "one-more", T0 + 3, 19);
		ok(blocked(RL_LOGIN_ADDRESS, "one-more", T0 + 3),
		   "the newest key is counted in the full table");
		hit(RL_LOGIN_ADDRESS, "and-another", T0 + 4, 1);
		ok(!blocked(RL_LOGIN_ACCOUNT, "second", T0 + 4),
		   "the next one evicts the next oldest");
		for (unsigned i = 0; i < RATELIMIT_SLOTS - 2; i += 4097) {
			snprintf(key, sizeof key, "flood-%u", i);
			hit(RL_LOGIN_ADDRESS, key, T0 + 5, 19);
			still &= blocked(RL_LOGIN_ADDRESS, key, T0 + 5);
		}
		ok(still, "the flood's own windows are still counted");
		/* A window restarted goes to the young end. */
		ratelimit_free(rl);
		rl = fresh();
		hit(RL_LOGIN_ACCOUNT, "restarted", T0, 1);
		hit(RL_ENROLL_ADDRESS, "younger", T0 + 1, 10);    /* an hour's window */
		hit(RL_LOGIN_ACCOUNT, "restarted", T0 + 1000, 5); /* a new window */
		ok(blocked(RL_ENROLL_ADDRESS, "younger", T0 + 1000) &&
		       blocked(RL_LOGIN_ACCOUNT, "restarted", T0 + 1000),
		   "two running windows, the restarted one now the younger");
		for (unsigned i = 0; i < RATELIMIT_SLOTS - 1; i++) {
			snprintf(key, sizeof key, "flood-%u", i);
			hit(RL_LOGIN_ADDRESS, key, T0 + 1000, 1);
		}
		ok(blocked(RL_LOGIN_ACCOUNT, "restarted", T0 + 1000) &&
		       !blocked(RL_ENROLL_ADDRESS, "younger", T0 + 1000),
		   "a window that restarted counts as young: the older one is evicted first");
	}

	/* Back-off: blocked after the limit, for longer with each failure. */
	ratelimit_free(rl);
	rl = fresh();
	hit(RL_PAIR, "pair", T0, 4);
	ok(!blocked(RL_PAIR, "pair", T0), "back-off: 4 failures, not blocked");
	hit(RL_PAIR, "pair", T0, 1);
	is_int(retry(RL_PAIR, "pair", T0), 60, "the 5th blocks for the first block, 60 s");
	is_int(retry(RL_PAIR, "pair", T0 + 59), 1, "1 s left at 59 s");
	ok(!blocked(RL_PAIR, "pair", T0 + 60), "free again at 60 s");
	hit(RL_PAIR, "pair", T0 + 60, 1);
	is_int(retry(RL_PAIR, "pair", T0 + 60), 120, "the next failure doubles it");
	hit(RL_PAIR, "pair", T0 + 180, 1);
	is_int(retry(RL_PAIR, "pair", T0 + 180), 240, "and again");
	hit(RL_PAIR, "pair", T0 + 420, 20);
	is_int(retry(RL_PAIR, "pair", T0 + 420), 3600, "up to the cap, never more");
	ok(blocked(RL_PAIR, "pair", T0 + 420 + 3599) && !blocked(RL_PAIR, "pair", T0 + 420 + 3600),
	   "the capped block ends on time");
	hit(RL_PAIR, "pair", T0 + 420 + 3600, 1);
	ok(blocked(RL_PAIR, "pair", T0 + 420 + 3600),
	   "the count is remembered after a block: the next failure blocks again");
	ok(!blocked(RL_PAIR, "pair", T0 + 420 + 3600 + 86400), "a day without failures forgets it");
	hit(RL_PAIR, "pair", T0 + 420 + 3600 + 86400, 1);
	ok(!blocked(RL_PAIR, "pair", T0 + 420 + 3600 + 86400), "and the allowance is whole again");
	hit(RL_PAIR, "pair-2", T0, 7);
	ratelimit_clear(rl, RL_PAIR, "pair-2", 6);
	ok(!blocked(RL_PAIR, "pair-2", T0), "clear ends a back-off at once");
	ok(!blocked(RL_PAIR, "pair-3", T0), "another key is not blocked by the first's");

	/* Take: check and count at once. */
	{
		struct ratelimit_key one = {RL_LOGIN_ACCOUNT, "taker", 5};
		struct ratelimit_key two[2] = {{RL_PAIR, "tpair", 5},
					       {RL_LOGIN_ADDRESS, "taddr", 5}};
		int n = 0;
		while (n < 10 && ratelimit_take(rl, &one, 1, T0) == 0)
			n++;
		is_int(n, 5, "take grants exactly the allowance (5), counting each");
		is_int(retry(RL_LOGIN_ACCOUNT, "taker", T0), 15 * 60, "then says how long to wait");
		ratelimit_refund(rl, RL_LOGIN_ACCOUNT, "taker", 5);
		ok(!blocked(RL_LOGIN_ACCOUNT, "taker", T0), "a refund gives one back");
		is_int(ratelimit_take(rl, &one, 1, T0), 0, "which can be taken again");
		ok(ratelimit_take(rl, &one, 1, T0) > 0, "and no more");
		ratelimit_refund(rl, RL_LOGIN_ACCOUNT, "never-seen", 10);
		ok(!blocked(RL_LOGIN_ACCOUNT, "never-seen", T0),
		   "a refund for an unknown key is nothing");

		hit(RL_LOGIN_ADDRESS, "taddr", T0, 20);
		ok(ratelimit_take(rl, two, 2, T0) > 0, "two keys: one blocked blocks the take");
		is_int(retry(RL_PAIR, "tpair", T0), 0, "and the other key was not counted");
		ok(ratelimit_take(rl, two, 1, T0) == 0 && ratelimit_take(rl, two, 1, T0) == 0,
		   "the free key alone can be taken");
		is_int(ratelimit_take(rl, NULL, 0, T0), 0, "no keys: nothing to wait for");
		struct ratelimit_key unused = {RL_UNUSED, "x", 1};
		is_int(ratelimit_take(rl, &unused, 1, T0), 0, "an unused kind never blocks");

		pthread_t th[8];
		for (int i = 0; i < 8; i++)
			pthread_create(&th[i], NULL, taker, NULL);
		for (int i = 0; i < 8; i++)
			pthread_join(th[i], NULL);
		is_int(taken_total, 10,
		       "8 threads taking 50 times each at once get 10, the allowance");
	}

	/* Threads. */
	{
		pthread_t th[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		ok(1, "4 threads hitting, checking and clearing at once");
	}
	ratelimit_free(rl);
	return tap_done();
}
