/*
 * limits: the service's rate-limit policy, every rule in this file, each
 * answered as a verdict (API_OK, or the 429 error with how many seconds
 * to wait); nothing here replies. The counting itself is ratelimit.c's.
 *
 *   enrolment       open enrolment: at most enrol_per_hour valid attempts
 *                   per client address an hour (duplicates count: they
 *                   reveal that a number is enrolled). Officers are not
 *                   limited: each of their enrolments names them.
 *   log-in          per (account, address): after login_tries failures the
 *                   pair is locked for login_lock_s, doubling with each
 *                   further failure up to login_lock_max_s, forgotten a day
 *                   after the last one, cleared by a success. An attacker
 *                   elsewhere cannot lock the owner out. Per address, any
 *                   account: login_per_address failures in 15 minutes.
 *   officer reads   look-ups and paper codes: at most officer_reads per
 *                   officer_window_s per officer account, so no officer can
 *                   read the resident register in a loop.
 *   failed log-ins  summarised, not one leaf each: the first failure on
 *                   an account starts a burst and is logged at once; the
 *                   failures that follow within login_burst_quiet_s of the
 *                   previous one are counted, and the burst's summary
 *                   (one leaf, its size as a bucket word) is logged when
 *                   it ends (limits_bursts_take, called by the
 *                   housekeeping thread). A flood against one ID number
 *                   writes two leaves about its owner, not a thousand.
 *
 * Thread-safe. Limits reset when the service restarts.
 */
#ifndef ANKANG_LIMITS_H
#define ANKANG_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/leaf.h"
#include "crypto/seal.h"
#include "service/api_error.h"

struct caller;

struct limits_config {
	unsigned enrol_per_hour;
	unsigned login_tries, login_lock_s, login_lock_max_s;
	unsigned login_per_address;
	unsigned officer_reads, officer_window_s;
	unsigned login_burst_quiet_s;
};

void limits_config_default(struct limits_config *c);

/* Which rule a route is under (the route table's `limit`). */
enum limit_rule {
	LIMIT_NONE,
	LIMIT_ENROL,
	LIMIT_OFFICER_READ,
};

struct limits;

struct limits *limits_new(const struct limits_config *cfg);
void limits_free(struct limits *l);

/*
 * A route's rule, before its request is prepared: whether caller c from
 * address client may make it now, counted in the same step (so that
 * requests sent together cannot all pass before any is counted). API_OK,
 * or the rule's 429 error with *retry_after (seconds, at least 1).
 */
enum api_error limits_admit(struct limits *l, enum limit_rule rule, const struct caller *c,
			    const char *client, uint64_t now, uint64_t *retry_after);
/* An admitted request that will not be recorded after all (refused as
 * invalid, or nothing to read): gives its count back. */
void limits_refund(struct limits *l, enum limit_rule rule, const struct caller *c,
		   const char *client);

/*
 * A log-in attempt on the account whose ID number's blind index is
 * blind, from client: may it be tried (before any passphrase hashing)?
 * API_OK, counting it as a failure until limits_login_succeeded says
 * otherwise (attempts sent together while Argon2id runs cannot all pass
 * before the first failure is counted), or API_LIMIT_LOGIN with
 * *retry_after.
 */
enum api_error limits_login_admit(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
				  const char *client, uint64_t now, uint64_t *retry_after);

/* How a failed or refused log-in is to be recorded. */
enum limits_record {
	LIMITS_LOG_IT,   /* a leaf of its own: the first of a burst */
	LIMITS_FOLDED_IN /* counted into its burst's summary leaf, none of its own */
};

/*
 * The outcome of an attempt: a failure (admitted: limits_login_admit let
 * it be tried, and has counted it already; else it was refused, and is
 * counted now), or a success, which clears the pair. For a failure,
 * returns how to record it; subject (NULL for an ID number nobody holds)
 * is what its leaf names.
 */
enum limits_record limits_login_failed(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
				       const char *client, const uint8_t *subject, int admitted,
				       uint64_t now);
void limits_login_succeeded(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
			    const char *client);

/*
 * Takes up to max of the bursts that have ended by now (no failure for
 * login_burst_quiet_s, or a success since; `now` of UINT64_MAX ends them
 * all) and writes each one's summary leaf into out: resident:- login
 * <subject> - denied <burst size>, at the time of its last failure. Only
 * bursts with failures folded in get a summary (a lone failure's own leaf
 * says all there is); the others are simply forgotten. Returns how many
 * summaries it wrote; the caller submits them, and calls again while it
 * gets max. Summaries given back (limits_bursts_unsent) come first.
 */
size_t limits_bursts_take(struct limits *l, uint64_t now, struct leaf *out, size_t max);
/* Gives back summaries taken but not written (the log refused them), to
 * be taken again first; at most LIMITS_UNSENT are kept, the oldest go. */
#define LIMITS_UNSENT 256
void limits_bursts_unsent(struct limits *l, const struct leaf *s, size_t n);

#endif
