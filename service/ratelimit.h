/*
 * ratelimit: counting failures per key in a fixed window, in memory.
 *
 *   failed logins per account   5 per 15 minutes
 *   failed logins per address  20 per 15 minutes
 *   enrolments per address     10 per hour
 *
 * Keys are hashed with a random per-process key (crypto_shorthash) before
 * they are stored, so the table never holds an address or an ID number.
 * The table is bounded (RATELIMIT_SLOTS); when full, the oldest window is
 * evicted. Limits reset when the service restarts (documented).
 * Thread-safe.
 */
#ifndef ANKANG_RATELIMIT_H
#define ANKANG_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 65536

enum ratelimit_kind {
	RL_LOGIN_ACCOUNT,
	RL_LOGIN_ADDRESS,
	RL_ENROLL_ADDRESS,
	RL_KIND_COUNT
};

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *r);

/* 1 when key has used up its allowance in the current window. */
int ratelimit_blocked(struct ratelimit *r, enum ratelimit_kind kind, const void *key, size_t n,
		      uint64_t now);
/* Counts one event (a failure, an enrolment) for key. */
void ratelimit_hit(struct ratelimit *r, enum ratelimit_kind kind, const void *key, size_t n,
		   uint64_t now);
/* Forgets key (a successful login clears its account's failures). */
void ratelimit_clear(struct ratelimit *r, enum ratelimit_kind kind, const void *key, size_t n);
/* Seconds until key's window ends (for Retry-After), 0 if not blocked. */
uint64_t ratelimit_retry_after(struct ratelimit *r, enum ratelimit_kind kind, const void *key,
			       size_t n, uint64_t now);

#endif
