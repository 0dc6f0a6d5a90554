/*
 * rewrap: rotating the KEK's epoch (DESIGN.md, "Sealing personal data":
 * backups; crypto/epoch.h). A rotation
 *
 *   1. makes a new epoch (epoch_add: the epochs file is written with it
 *      before anything is wrapped under it);
 *   2. wraps every live resident's data key again under it
 *      (record_rewrap), chunk by chunk, each chunk one audit operation
 *      with a `key_rotate ... kek_rewrap` leaf, so a request waits behind
 *      one chunk at most;
 *   3. once no live key is under an older epoch, destroys the older
 *      epochs (epoch_drop_below: the file written without them) in an
 *      operation of its own whose leaf is `key_rotate ... kek_epoch`. That
 *      no key is left, and the destruction, happen inside the writer's
 *      transaction, after every chunk has committed: no key a committed
 *      row needs is ever destroyed.
 *
 * After step 3 a copy of the database taken before step 1 opens no one
 * with the live folder's keys: its wrapped keys are all under destroyed
 * epochs. A copy taken during a rotation holds keys under the new epoch
 * too, so it lasts until the next rotation ends.
 *
 * Restartable at any point: the state is the epochs file (more than one
 * epoch in it: a rotation is under way) and each row's key_epoch, and a
 * crash anywhere leaves every key under an epoch the file holds.
 * rewrap_finish picks up where a rotation stopped: the service does it
 * as it starts, `ankangd keys rotate-epoch` before its own rotation.
 *
 * The leaves' actor is the configured role with no id: system:- for the
 * service's own rotations, admin:- for the command. If the commit of the
 * destroying operation fails after the file was written, the epochs are
 * destroyed without their leaf (the report says so); the file cannot be
 * in the transaction.
 */
#ifndef ANKANG_REWRAP_H
#define ANKANG_REWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "log/auditlog.h"
#include "service/record.h"

/* Keys per operation: each costs two AEADs and an UPDATE in the writer's
 * transaction, which other operations wait behind. 256 took 1.7-2.1 ms
 * (7-8.5 us a key; 20000 keys in 0.13-0.17 s), and 16 threads of
 * one-leaf operations saw a p99 of 1.9-4.2 ms meanwhile
 * (bench/bench_erasure.c, 2-CPU VM). */
#define REWRAP_CHUNK 256
/* How often the service rotates by default (serve --epoch-seconds). */
#define REWRAP_EVERY_S 86400u

struct rewrap_config {
	auditlog *log;
	const struct record_keys *keys;
	enum leaf_role role; /* ROLE_SYSTEM or ROLE_ADMIN */
	size_t chunk;        /* keys per operation; 0: REWRAP_CHUNK */
	/*
	 * NULL on one node. On several (service/epochshare.h): called in the
	 * writer's transaction w, once no live key is under an epoch older
	 * than `current`, before they are destroyed; it moves the database's
	 * floor to `current` and returns 0, or AK_EBUSY (not yet: a node seen
	 * lately does not hold `current`), or an error. Either rolls the step
	 * back, and rewrap_step returns it.
	 */
	int (*destroy_ok)(void *ctx, store *w, uint64_t current);
	void *destroy_ctx;
};

/* What rotations did, added up over calls. */
struct rewrap_report {
	uint64_t epoch;     /* the current epoch when the call returned */
	uint64_t rewrapped; /* keys wrapped again */
	uint64_t chunks;    /* operations that re-wrapped keys */
	uint64_t destroyed; /* epochs destroyed */
	int unlogged;       /* epochs were destroyed, but their leaf did not commit */
};

/*
 * One step of a rotation under way: a chunk of keys re-wrapped, or the
 * older epochs destroyed. Returns 1 when there is more to do, 0 when no
 * rotation is under way (any more), AK_EBUSY when destroy_ok said not
 * yet, or the writer's error (nothing of that step was committed, unless
 * r->unlogged).
 */
int rewrap_step(const struct rewrap_config *c, struct rewrap_report *r);
/*
 * Steps until no rotation is under way. max_steps (0: no limit) stops it
 * after that many steps, left under way as a crash would leave it, with
 * AK_EBUSY: for tests.
 */
int rewrap_finish(const struct rewrap_config *c, size_t max_steps, struct rewrap_report *r);
/* A whole rotation at now: one under way is finished first, then a new
 * epoch is made, every key moved to it and the older epochs destroyed. */
int rewrap_rotate(const struct rewrap_config *c, uint64_t now, struct rewrap_report *r);

/*
 * The service's rotations, on a thread of its own (common/bg.h): it
 * finishes a rotation under way at once, one step at a time, and starts
 * one whenever the current epoch is every_s old (0: never on a schedule).
 * The config (and what it points to) must outlive the thread. 0 or
 * AK_ENOMEM.
 */
struct rewrap;
int rewrap_start(struct rewrap **out, const struct rewrap_config *c, uint64_t every_s);
/* Stops the thread after the step in progress; NULL is a no-op. Call
 * before the audit log closes. */
void rewrap_stop(struct rewrap *w);

#endif
