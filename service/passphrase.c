/*
 * passphrase: Argon2id through libsodium's crypto_pwhash_str (costs and
 * the concurrency cap in passphrase.h).
 *
 * Every hash and every verification takes a slot first: a mutex and a
 * condition variable count the Argon2id computations running, and a
 * caller waits while PASSPHRASE_PARALLEL are. That bounds the memory the
 * hashing can take at PASSPHRASE_PARALLEL x 19 MiB, whatever the number
 * of request threads.
 *
 * passphrase_waste verifies against a dummy hash, made once (on first
 * use, inside a slot) from a random passphrase with the same costs, so
 * that a login for an unknown ID number costs the same as a wrong
 * passphrase and the timing does not tell which ID numbers are enrolled.
 *
 * Never: keep or log a passphrase; the hashes carry their own salt.
 */
#include "service/passphrase.h"

#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"

_Static_assert(PASSPHRASE_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer");
_Static_assert(PASSPHRASE_OPSLIMIT >= crypto_pwhash_OPSLIMIT_MIN, "opslimit");
_Static_assert(PASSPHRASE_MEMLIMIT >= crypto_pwhash_MEMLIMIT_MIN, "memlimit");

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static unsigned running, peak;

static char dummy[PASSPHRASE_HASH_MAX];
static int dummy_ready; /* guarded by mu */

static void slot_take(void)
{
	pthread_mutex_lock(&mu);
	while (running >= PASSPHRASE_PARALLEL)
		pthread_cond_wait(&freed, &mu);
	running++;
	if (running > peak)
		peak = running;
	pthread_mutex_unlock(&mu);
}

static void slot_give(void)
{
	pthread_mutex_lock(&mu);
	running--;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&mu);
}

/* Argon2id into out with our costs; the caller holds a slot. */
static int hash_in_slot(char out[PASSPHRASE_HASH_MAX], const char *pw, size_t len)
{
	if (crypto_pwhash_str(out, pw, len, PASSPHRASE_OPSLIMIT, PASSPHRASE_MEMLIMIT) != 0)
		return AK_ENOMEM;
	return 0;
}

int passphrase_hash(char out[PASSPHRASE_HASH_MAX], const char *pw, size_t len)
{
	int rc;

	slot_take();
	rc = hash_in_slot(out, pw, len);
	slot_give();
	return rc;
}

int passphrase_verify(const char *hash, const char *pw, size_t len)
{
	int rc;

	if (hash == NULL || strnlen(hash, PASSPHRASE_HASH_MAX) == PASSPHRASE_HASH_MAX)
		return AK_ECRYPTO;
	slot_take();
	rc = crypto_pwhash_str_verify(hash, pw, len) == 0 ? 0 : AK_ECRYPTO;
	slot_give();
	return rc;
}

/*
 * The dummy hash, made on first use; the caller holds a slot. mu guards
 * the flag and the copy, but the hashing runs outside mu (it takes tens
 * of milliseconds): two first callers may both make one, and the first
 * to publish it wins.
 */
static int dummy_hash(char out[PASSPHRASE_HASH_MAX])
{
	char fresh[PASSPHRASE_HASH_MAX];
	unsigned char pw[32];
	int ready;

	pthread_mutex_lock(&mu);
	if ((ready = dummy_ready))
		memcpy(out, dummy, sizeof dummy);
	pthread_mutex_unlock(&mu);
	if (ready)
		return 0;
	randombytes_buf(pw, sizeof pw);
	ready = hash_in_slot(fresh, (const char *)pw, sizeof pw) == 0;
	sodium_memzero(pw, sizeof pw);
	if (!ready)
		return AK_ENOMEM;
	pthread_mutex_lock(&mu);
	if (!dummy_ready) {
		memcpy(dummy, fresh, sizeof dummy);
		dummy_ready = 1;
	}
	memcpy(out, dummy, sizeof dummy);
	pthread_mutex_unlock(&mu);
	return 0;
}

void passphrase_waste(const char *pw, size_t len)
{
	char h[PASSPHRASE_HASH_MAX];
	volatile int sink = 0; /* the answer is known: it never matches */

	slot_take();
	if (dummy_hash(h) == 0)
		sink = crypto_pwhash_str_verify(h, pw, len);
	slot_give();
	(void)sink;
}

void passphrase_load(unsigned *now_running, unsigned *most)
{
	pthread_mutex_lock(&mu);
	if (now_running != NULL)
		*now_running = running;
	if (most != NULL)
		*most = peak;
	pthread_mutex_unlock(&mu);
}
