/*
 * ratelimit: counters in a bounded table (contract in ratelimit.h; the
 * rules come from limits.c).
 *
 *   key    SipHash-2-4 (crypto_shorthash) of the caller's key under a
 *          random per-process key, one per kind: the table holds 64-bit
 *          hashes, never an address or an ID number, and an outsider
 *          cannot aim keys at one bucket.
 *   fixed  a window starts at a key's first event and lasts the rule's
 *          window; an event after it has ended starts a new one.
 *   back-off  count events; from the limit-th on, the key is blocked
 *          until last + window * 2^(count - limit), capped; the entry
 *          ends `memory` seconds after its last event.
 *   table  RATELIMIT_SLOTS entries, chained hash buckets, and a list in
 *          order of last event. An event moves its entry to the list's
 *          tail, so the head is the entry left alone longest: when every
 *          slot is taken, the head is evicted. All O(1) but the bucket
 *          walk.
 *
 * Memory: the arrays are calloc'd and index 0 means "none" (entries are
 * numbered from 1), so pages are touched only as slots are used.
 *
 * Eviction is what bounds the memory, and it has a price: a flood of new
 * keys (many addresses) pushes out the oldest windows, blocked ones
 * included. The table is sized so that this takes tens of thousands of
 * distinct keys within one window.
 */
#include "service/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define NBUCKETS RATELIMIT_SLOTS /* a power of two */
_Static_assert((NBUCKETS & (NBUCKETS - 1)) == 0, "buckets: power of two");

struct entry {
	uint64_t h;          /* keyed hash of (kind, key) */
	uint64_t start;      /* fixed: window start, unix seconds */
	uint64_t last;       /* the last event */
	uint32_t count;      /* events in the window, or since the last clear */
	uint32_t bnext;      /* next in the bucket's chain */
	uint32_t prev, next; /* the list in order of last event */
};

struct ratelimit {
	pthread_mutex_t mu;
	struct ratelimit_rule rules[RATELIMIT_KINDS];
	unsigned char keys[RATELIMIT_KINDS][crypto_shorthash_KEYBYTES];
	struct entry *e;  /* e[1..RATELIMIT_SLOTS]; e[0] unused */
	uint32_t *bucket; /* first entry of each bucket, 0 for none */
	uint32_t head, tail;
	uint32_t used; /* entries ever handed out (the high-water mark) */
	uint32_t free; /* chain (through bnext) of entries given back */
};

struct ratelimit *ratelimit_new(const struct ratelimit_rule rules[RATELIMIT_KINDS])
{
	struct ratelimit *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	memcpy(r->rules, rules, sizeof r->rules);
	r->e = calloc((size_t)RATELIMIT_SLOTS + 1, sizeof *r->e);
	r->bucket = calloc(NBUCKETS, sizeof *r->bucket);
	if (r->e == NULL || r->bucket == NULL || pthread_mutex_init(&r->mu, NULL) != 0) {
		free(r->e);
		free(r->bucket);
		free(r);
		return NULL;
	}
	randombytes_buf(r->keys, sizeof r->keys);
	return r;
}

void ratelimit_free(struct ratelimit *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	sodium_memzero(r->keys, sizeof r->keys);
	free(r->e);
	free(r->bucket);
	free(r);
}

/* ------------------------------------------------------------ the table */

static uint64_t key_hash(const struct ratelimit *r, unsigned kind, const void *key, size_t n)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h = 0;

	crypto_shorthash(out, key, n, r->keys[kind]);
	for (size_t i = 0; i < sizeof out; i++)
		h = h << 8 | out[i];
	return h;
}

static uint32_t *bucket_of(struct ratelimit *r, uint64_t h)
{
	return &r->bucket[h & (NBUCKETS - 1)];
}

static uint32_t find(struct ratelimit *r, uint64_t h)
{
	uint32_t i = *bucket_of(r, h);

	while (i != 0 && r->e[i].h != h)
		i = r->e[i].bnext;
	return i;
}

static void list_remove(struct ratelimit *r, uint32_t i)
{
	struct entry *x = &r->e[i];

	if (x->prev != 0)
		r->e[x->prev].next = x->next;
	else
		r->head = x->next;
	if (x->next != 0)
		r->e[x->next].prev = x->prev;
	else
		r->tail = x->prev;
	x->prev = x->next = 0;
}

static void list_append(struct ratelimit *r, uint32_t i)
{
	r->e[i].prev = r->tail;
	r->e[i].next = 0;
	if (r->tail != 0)
		r->e[r->tail].next = i;
	else
		r->head = i;
	r->tail = i;
}

/* Takes entry i out of its bucket and the list and gives it back. */
static void drop(struct ratelimit *r, uint32_t i)
{
	uint32_t *p = bucket_of(r, r->e[i].h);

	while (*p != i)
		p = &r->e[*p].bnext;
	*p = r->e[i].bnext;
	list_remove(r, i);
	memset(&r->e[i], 0, sizeof r->e[i]);
	r->e[i].bnext = r->free;
	r->free = i;
}

/* A fresh entry for h with a window starting at now; evicts the oldest
 * window when the table is full. */
static uint32_t insert(struct ratelimit *r, uint64_t h, uint64_t now)
{
	uint32_t i, *b;

	if (r->free == 0 && r->used == RATELIMIT_SLOTS)
		drop(r, r->head);
	if (r->free != 0) {
		i = r->free;
		r->free = r->e[i].bnext;
	} else {
		i = ++r->used;
	}
	b = bucket_of(r, h);
	r->e[i] = (struct entry){.h = h, .start = now, .last = now, .bnext = *b};
	*b = i;
	list_append(r, i);
	return i;
}

static int is_backoff(const struct ratelimit_rule *rule)
{
	return rule->backoff_cap > 0;
}

/* Whether entry i's count no longer matters at now: a fixed window that
 * has ended, a back-off left alone for `memory`. A clock that went back
 * leaves the entry running. */
static int ended(const struct ratelimit *r, uint32_t i, unsigned kind, uint64_t now)
{
	const struct ratelimit_rule *rule = &r->rules[kind];
	const struct entry *x = &r->e[i];

	if (is_backoff(rule))
		return now >= x->last && now - x->last >= rule->memory;
	return now >= x->start && now - x->start >= rule->window;
}

/* How long a back-off entry of count events blocks after its last one. */
static uint64_t block_for(const struct ratelimit_rule *rule, uint32_t count)
{
	uint64_t d = rule->window;

	for (uint32_t k = rule->limit; k < count && d < rule->backoff_cap; k++)
		d *= 2;
	return d < rule->backoff_cap ? d : rule->backoff_cap;
}

static int used_kind(const struct ratelimit *r, unsigned kind)
{
	return kind < RATELIMIT_KINDS && r->rules[kind].limit > 0;
}

/* ------------------------------------------------------------ the calls */

/* mu held: counts one event of kind for the key hashed to h. */
static void hit_locked(struct ratelimit *r, unsigned kind, uint64_t h, uint64_t now)
{
	uint32_t i = find(r, h);

	if (i != 0 && ended(r, i, kind, now)) {
		r->e[i].start = now;
		r->e[i].count = 0;
	}
	if (i == 0)
		i = insert(r, h, now);
	r->e[i].last = now;
	/* The youngest event: the list's tail. */
	list_remove(r, i);
	list_append(r, i);
	if (r->e[i].count < UINT32_MAX)
		r->e[i].count++;
}

/* mu held: seconds until the key hashed to h may have an event of kind. */
static uint64_t wait_locked(struct ratelimit *r, unsigned kind, uint64_t h, uint64_t now)
{
	const struct ratelimit_rule *rule = &r->rules[kind];
	uint32_t i = find(r, h);
	const struct entry *x;
	uint64_t until;

	if (i == 0 || ended(r, i, kind, now) || r->e[i].count < rule->limit)
		return 0;
	x = &r->e[i];
	until = is_backoff(rule) ? x->last + block_for(rule, x->count) : x->start + rule->window;
	/* A clock that went back: the whole block is still ahead. */
	if (now < (is_backoff(rule) ? x->last : x->start))
		return is_backoff(rule) ? block_for(rule, x->count) : rule->window;
	return until > now ? until - now : 0;
}

void ratelimit_hit(struct ratelimit *r, unsigned kind, const void *key, size_t n, uint64_t now)
{
	uint64_t h;

	if (!used_kind(r, kind))
		return;
	h = key_hash(r, kind, key, n);
	pthread_mutex_lock(&r->mu);
	hit_locked(r, kind, h, now);
	pthread_mutex_unlock(&r->mu);
}

uint64_t ratelimit_take(struct ratelimit *r, const struct ratelimit_key *keys, size_t nkeys,
			uint64_t now)
{
	uint64_t h[RATELIMIT_TAKE_MAX] = {0}, wait = 0, w;
	size_t k;

	if (nkeys > RATELIMIT_TAKE_MAX)
		nkeys = RATELIMIT_TAKE_MAX;
	/* Hashed before the lock is taken; an unused kind's is never read. */
	for (k = 0; k < nkeys; k++)
		if (used_kind(r, keys[k].kind))
			h[k] = key_hash(r, keys[k].kind, keys[k].key, keys[k].n);
	pthread_mutex_lock(&r->mu);
	for (k = 0; k < nkeys; k++)
		if (used_kind(r, keys[k].kind) &&
		    (w = wait_locked(r, keys[k].kind, h[k], now)) > wait)
			wait = w;
	if (wait == 0)
		for (k = 0; k < nkeys; k++)
			if (used_kind(r, keys[k].kind))
				hit_locked(r, keys[k].kind, h[k], now);
	pthread_mutex_unlock(&r->mu);
	return wait;
}

/* Takes one event back from key's count (whole: all of them, and the
 * entry with them). */
static void forget(struct ratelimit *r, unsigned kind, const void *key, size_t n, int whole)
{
	uint64_t h;
	uint32_t i;

	if (!used_kind(r, kind))
		return;
	h = key_hash(r, kind, key, n);
	pthread_mutex_lock(&r->mu);
	if ((i = find(r, h)) != 0) {
		if (whole)
			drop(r, i);
		else if (r->e[i].count > 0)
			r->e[i].count--;
	}
	pthread_mutex_unlock(&r->mu);
}

void ratelimit_refund(struct ratelimit *r, unsigned kind, const void *key, size_t n)
{
	forget(r, kind, key, n, 0);
}

void ratelimit_clear(struct ratelimit *r, unsigned kind, const void *key, size_t n)
{
	forget(r, kind, key, n, 1);
}

uint64_t ratelimit_retry_after(struct ratelimit *r, unsigned kind, const void *key, size_t n,
			       uint64_t now)
{
	uint64_t wait, h;

	if (!used_kind(r, kind))
		return 0;
	h = key_hash(r, kind, key, n);
	pthread_mutex_lock(&r->mu);
	wait = wait_locked(r, kind, h, now);
	pthread_mutex_unlock(&r->mu);
	return wait;
}
