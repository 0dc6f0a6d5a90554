/*
 * test_passphrase: Argon2id hashing and its concurrency cap
 * (service/passphrase.h).
 *
 * A hash verifies its passphrase and nothing else, names Argon2id with the
 * header's costs and carries its own salt; a hash that is not a string is
 * refused; passphrase_waste costs about what a verification costs; and
 * however many threads verify at once, no more than PASSPHRASE_PARALLEL
 * Argon2id computations run together, which the wall clock confirms.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/passphrase.h"
#include "tests/lib/tap.h"

#define THREADS 6

static char shared[PASSPHRASE_HASH_MAX];
static int thread_ok[THREADS];

static void *verifier(void *arg)
{
	int i = (int)(intptr_t)arg;

	thread_ok[i] = passphrase_verify(shared, "made-up passphrase", 18) == 0;
	return NULL;
}

static double secs_since(uint64_t t0)
{
	return (double)(util_mono_ns() - t0) / 1e9;
}

int main(void)
{
	char h1[PASSPHRASE_HASH_MAX], h2[PASSPHRASE_HASH_MAX], prefix[64], bad[PASSPHRASE_HASH_MAX];
	const char *pw = "correct horse battery";
	double t_verify = 1e9, t_waste = 1e9, elapsed;
	unsigned running, peak;
	uint64_t t0;

	if (sodium_init() < 0)
		bail_out("sodium_init");

	is_int(passphrase_hash(h1, pw, strlen(pw)), 0, "hash");
	snprintf(prefix, sizeof prefix, "$argon2id$v=19$m=%u,t=%u,p=1$", PASSPHRASE_MEMLIMIT / 1024,
		 (unsigned)PASSPHRASE_OPSLIMIT);
	ok(strncmp(h1, prefix, strlen(prefix)) == 0, "Argon2id with 19 MiB and 2 passes");
	ok(strlen(h1) < PASSPHRASE_HASH_MAX, "fits PASSPHRASE_HASH_MAX with its NUL");
	is_int(passphrase_verify(h1, pw, strlen(pw)), 0, "the passphrase verifies");
	is_int(passphrase_verify(h1, pw, strlen(pw) - 1), AK_ECRYPTO, "one byte short: AK_ECRYPTO");
	is_int(passphrase_verify(h1, "correct horse battery!", 22), AK_ECRYPTO,
	       "one byte more: AK_ECRYPTO");
	is_int(passphrase_verify(h1, "", 0), AK_ECRYPTO, "empty: AK_ECRYPTO");
	is_int(passphrase_hash(h2, pw, strlen(pw)), 0, "hash again");
	ok(strcmp(h1, h2) != 0, "the same passphrase hashes differently (salted)");
	is_int(passphrase_verify(h2, pw, strlen(pw)), 0, "and both verify");
	{
		/* Binary passphrases with a NUL inside are length-delimited. */
		char hb[PASSPHRASE_HASH_MAX];
		passphrase_hash(hb, "ab\0cdefgh", 9);
		is_int(passphrase_verify(hb, "ab\0cdefgh", 9), 0,
		       "length, not NUL, ends a passphrase");
		is_int(passphrase_verify(hb, "ab", 2), AK_ECRYPTO,
		       "its prefix up to the NUL fails");
	}

	/* Broken hashes. */
	is_int(passphrase_verify("", pw, strlen(pw)), AK_ECRYPTO, "an empty hash: AK_ECRYPTO");
	is_int(passphrase_verify("$argon2id$v=19$garbage", pw, strlen(pw)), AK_ECRYPTO,
	       "a garbled hash: AK_ECRYPTO");
	memcpy(bad, h1, sizeof bad);
	bad[strlen(bad) - 3] ^= 1;
	is_int(passphrase_verify(bad, pw, strlen(pw)), AK_ECRYPTO, "a hash with a changed byte");
	memset(bad, 'a', sizeof bad);
	is_int(passphrase_verify(bad, pw, strlen(pw)), AK_ECRYPTO,
	       "a hash with no NUL within PASSPHRASE_HASH_MAX: refused, not overread");
	is_int(passphrase_verify(NULL, pw, strlen(pw)), AK_ECRYPTO, "NULL hash: AK_ECRYPTO");

	/* Waste costs what a verification costs (best of 3 each). */
	passphrase_waste(pw, strlen(pw)); /* the first call makes the dummy */
	for (int i = 0; i < 3; i++) {
		double t;
		t0 = util_mono_ns();
		passphrase_verify(h1, "wrong", 5);
		t = secs_since(t0);
		t_verify = t < t_verify ? t : t_verify;
		t0 = util_mono_ns();
		passphrase_waste("wrong", 5);
		t = secs_since(t0);
		t_waste = t < t_waste ? t : t_waste;
	}
	diag("verify %.1f ms, waste %.1f ms (best of 3)", t_verify * 1e3, t_waste * 1e3);
	ok(t_waste > 0.4 * t_verify && t_waste < 3.0 * t_verify,
	   "passphrase_waste takes about as long as a failed verification");

	/* The cap: THREADS verifications at once. */
	passphrase_load(&running, &peak);
	is_int(running, 0, "nothing running before the threads");
	{
		char h3[PASSPHRASE_HASH_MAX];
		passphrase_hash(h3, "made-up passphrase", 18);
		memcpy(shared, h3, sizeof shared);
	}
	{
		pthread_t th[THREADS];
		int all = 1;
		t0 = util_mono_ns();
		for (int i = 0; i < THREADS; i++)
			pthread_create(&th[i], NULL, verifier, (void *)(intptr_t)i);
		for (int i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		elapsed = secs_since(t0);
		for (int i = 0; i < THREADS; i++)
			all &= thread_ok[i];
		ok(all, "%d threads verifying at once all succeed", THREADS);
	}
	passphrase_load(&running, &peak);
	is_int(running, 0, "nothing running after");
	ok(peak <= PASSPHRASE_PARALLEL, "at most %d ran at once (peak %u)", PASSPHRASE_PARALLEL,
	   peak);
	is_int(peak, PASSPHRASE_PARALLEL, "and the cap was reached: they did run side by side");
	/* THREADS / PARALLEL rounds, each at least one verification long (a
	 * lower bound: a loaded machine only makes it longer). */
	diag("%d verifications in %.1f ms", THREADS, elapsed * 1e3);
	/* Whole rounds. */
	/* NOLINTNEXTLINE(bugprone-integer-division) */
	ok(elapsed >= 0.6 * (THREADS / PASSPHRASE_PARALLEL) * t_verify,
	   "the wall clock agrees: %d verifications took at least %d rounds", THREADS,
	   THREADS / PASSPHRASE_PARALLEL);
	return tap_done();
}
