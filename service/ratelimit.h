/*
 * ratelimit: counting events per key, in memory; the mechanism under
 * limits.c, which holds the policy (which events, which keys, how many).
 *
 * Two kinds of rule:
 *   fixed window  at most `limit` events per `window` seconds; the window
 *                 starts at a key's first event;
 *   back-off      after `limit` events the key is blocked for `window`
 *                 seconds, doubling with each further event up to
 *                 `backoff_cap`; the count is forgotten `memory` seconds
 *                 after the key's last event (or when cleared).
 *
 * Keys are hashed with a random per-process key (crypto_shorthash) before
 * they are stored, so the table never holds an address or an ID number.
 * The table is bounded (RATELIMIT_SLOTS); when full, the entry whose last
 * event is oldest is evicted. Limits reset when the service restarts.
 * Thread-safe.
 */
#ifndef ANKANG_RATELIMIT_H
#define ANKANG_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 65536
#define RATELIMIT_KINDS 8

struct ratelimit_rule {
	uint32_t limit;       /* events allowed (0: the kind is not used) */
	uint64_t window;      /* seconds: the window, or the first block */
	uint64_t backoff_cap; /* 0: fixed window; else the longest block */
	uint64_t memory;      /* back-off: forget the count this long after the last event */
};

struct ratelimit;

/* A table for up to RATELIMIT_KINDS kinds, rules[kind] each. */
struct ratelimit *ratelimit_new(const struct ratelimit_rule rules[RATELIMIT_KINDS]);
void ratelimit_free(struct ratelimit *r);

/* Seconds until key may have an event of this kind again; 0 when it may
 * now. An unknown kind, or one with limit 0, never blocks. */
uint64_t ratelimit_retry_after(struct ratelimit *r, unsigned kind, const void *key, size_t n,
			       uint64_t now);
/* Counts one event for key. */
void ratelimit_hit(struct ratelimit *r, unsigned kind, const void *key, size_t n, uint64_t now);

/*
 * Check and count in one step, under one lock: when none of the keys is
 * blocked, counts one event for each and returns 0; else counts nothing
 * and returns the longest wait. A check (ratelimit_retry_after) and a
 * later hit would let requests that arrive together all pass the check
 * before any of them is counted: forty look-ups sent at once by an
 * officer with one left, or a passphrase guessed from sixty-four
 * connections while Argon2id runs.
 */
#define RATELIMIT_TAKE_MAX 4
struct ratelimit_key {
	unsigned kind;
	const void *key;
	size_t n;
};
uint64_t ratelimit_take(struct ratelimit *r, const struct ratelimit_key *keys, size_t nkeys,
			uint64_t now);
/* Gives back one event ratelimit_take counted for key, when what it was
 * taken for did not happen after all (a request refused as invalid). */
void ratelimit_refund(struct ratelimit *r, unsigned kind, const void *key, size_t n);
/* Forgets key (a successful log-in clears its failures). */
void ratelimit_clear(struct ratelimit *r, unsigned kind, const void *key, size_t n);

#endif
