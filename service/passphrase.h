/*
 * passphrase: Argon2id hashing of residents' passphrases (crypto_pwhash_str),
 * with the cost tuned for a server that must also stay small: 19 MiB and
 * 2 passes each (OWASP's recommended Argon2id setting), and at most
 * PASSPHRASE_PARALLEL hashes at once, so a burst of logins cannot push the
 * service's memory past its budget.
 */
#ifndef ANKANG_PASSPHRASE_H
#define ANKANG_PASSPHRASE_H

#include <stddef.h>

#define PASSPHRASE_HASH_MAX 128
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define PASSPHRASE_OPSLIMIT 2
#define PASSPHRASE_MEMLIMIT (19u << 20)
#else
/* The fuzzing build only (fuzz/Makefile, the usual libFuzzer macro):
 * libsodium's least costs, so an input that reaches a log-in costs
 * microseconds rather than tens of milliseconds. A hash carries its own
 * costs, so verification follows whatever made it. */
#define PASSPHRASE_OPSLIMIT 1
#define PASSPHRASE_MEMLIMIT 8192u
#endif
#define PASSPHRASE_PARALLEL 2

/* Hashes pw[0..len) into out (NUL-terminated). 0 or AK_ENOMEM. */
int passphrase_hash(char out[PASSPHRASE_HASH_MAX], const char *pw, size_t len);
/* 0 when pw matches hash, AK_ECRYPTO when not. */
int passphrase_verify(const char *hash, const char *pw, size_t len);
/*
 * Spends the same time as a verification against nothing, so a login for
 * an unknown ID number takes as long as one with a wrong passphrase.
 */
void passphrase_waste(const char *pw, size_t len);

/* Argon2id computations running now, and the most ever running at once
 * (for /metrics, and for the test that the cap holds). Either may be NULL. */
void passphrase_load(unsigned *now_running, unsigned *most);

#endif
