/*
 * limits: the rate-limit policy (rules and contract in limits.h).
 *
 * The counters are ratelimit.c's, one kind per rule. Keys: the client
 * address for enrolment and the per-address log-in rule; the blind index
 * and the address together for the per-pair log-in rule; the account id
 * for officer reads. ratelimit hashes every key before keeping it.
 *
 * Bursts of failed log-ins live in a small table of their own, keyed by a
 * keyed hash of the blind index (never the index itself), holding the
 * pseudonym the burst's leaves name (already in the log; not personal
 * data), the time of the first and last failure, and how many failures
 * were folded in. When the table is full a new burst is not tracked and
 * its failures are logged one by one: the log grows, nothing is lost.
 */
#include "service/limits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/authz.h"
#include "service/ratelimit.h"

enum {
	KIND_ENROL,
	KIND_LOGIN_PAIR,
	KIND_LOGIN_ADDRESS,
	KIND_OFFICER_READ,
};

#define LOGIN_ADDRESS_WINDOW_S (15u * 60u)
#define LOGIN_PAIR_MEMORY_S    86400u
#define BURSTS                 4096

struct burst {
	uint64_t key; /* keyed hash of the blind index; 0: a free slot */
	int has_subject;
	uint8_t subject[LEAF_ID_BYTES];
	uint64_t last_ms; /* the last failure: its summary's time */
	uint64_t last;    /* unix seconds of the last failure */
	uint32_t folded;
	int ended; /* a success came since */
};

struct limits {
	struct limits_config cfg;
	struct ratelimit *rl;
	pthread_mutex_t mu; /* the bursts */
	unsigned char burst_key[crypto_shorthash_KEYBYTES];
	struct burst bursts[BURSTS];
	struct leaf unsent[LIMITS_UNSENT]; /* summaries given back, oldest first */
	size_t n_unsent;
};

void limits_config_default(struct limits_config *c)
{
	c->enrol_per_hour = 10;
	c->login_tries = 5;
	c->login_lock_s = 60;
	c->login_lock_max_s = 3600;
	c->login_per_address = 20;
	c->officer_reads = 60;
	c->officer_window_s = 600;
	c->login_burst_quiet_s = 300;
}

struct limits *limits_new(const struct limits_config *cfg)
{
	struct ratelimit_rule rules[RATELIMIT_KINDS];
	struct limits *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->cfg = *cfg;
	memset(rules, 0, sizeof rules);
	rules[KIND_ENROL] = (struct ratelimit_rule){cfg->enrol_per_hour, 3600, 0, 0};
	rules[KIND_LOGIN_PAIR] = (struct ratelimit_rule){
	    cfg->login_tries, cfg->login_lock_s, cfg->login_lock_max_s, LOGIN_PAIR_MEMORY_S};
	rules[KIND_LOGIN_ADDRESS] =
	    (struct ratelimit_rule){cfg->login_per_address, LOGIN_ADDRESS_WINDOW_S, 0, 0};
	rules[KIND_OFFICER_READ] =
	    (struct ratelimit_rule){cfg->officer_reads, cfg->officer_window_s, 0, 0};
	if (cfg->login_lock_max_s < cfg->login_lock_s)
		rules[KIND_LOGIN_PAIR].backoff_cap = cfg->login_lock_s;
	if (rules[KIND_LOGIN_PAIR].backoff_cap == 0)
		rules[KIND_LOGIN_PAIR].backoff_cap = 1;
	if ((l->rl = ratelimit_new(rules)) == NULL) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	randombytes_buf(l->burst_key, sizeof l->burst_key);
	return l;
}

void limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	ratelimit_free(l->rl);
	pthread_mutex_destroy(&l->mu);
	sodium_memzero(l, sizeof *l);
	free(l);
}

/* At least a second: "Retry-After: 0" would invite an immediate retry. */
static enum api_error limited(enum api_error e, uint64_t wait, uint64_t *retry_after)
{
	*retry_after = wait > 0 ? wait : 1;
	return e;
}

/* ------------------------------------------------------------- routes */

/* The rule's kind and key for this caller; -1 when the rule does not
 * apply to them. */
static int route_key(enum limit_rule rule, const struct caller *c, const char *client,
		     const void **key, size_t *n)
{
	switch (rule) {
	case LIMIT_ENROL:
		/* Officers enrol people at a desk; each enrolment names them. */
		if (c->role == ROLE_OFFICER)
			return -1;
		*key = client;
		*n = strlen(client);
		return KIND_ENROL;
	case LIMIT_OFFICER_READ:
		if (c->role != ROLE_OFFICER)
			return -1;
		*key = &c->account_id;
		*n = sizeof c->account_id;
		return KIND_OFFICER_READ;
	default:
		return -1;
	}
}

static enum api_error rule_error(enum limit_rule rule)
{
	return rule == LIMIT_ENROL ? API_LIMIT_ENROL : API_LIMIT_OFFICER;
}

enum api_error limits_admit(struct limits *l, enum limit_rule rule, const struct caller *c,
			    const char *client, uint64_t now, uint64_t *retry_after)
{
	struct ratelimit_key k;
	int kind = route_key(rule, c, client, &k.key, &k.n);
	uint64_t wait;

	if (kind < 0)
		return API_OK;
	k.kind = (unsigned)kind;
	wait = ratelimit_take(l->rl, &k, 1, now);
	return wait > 0 ? limited(rule_error(rule), wait, retry_after) : API_OK;
}

void limits_refund(struct limits *l, enum limit_rule rule, const struct caller *c,
		   const char *client)
{
	const void *key;
	size_t n;
	int kind = route_key(rule, c, client, &key, &n);

	if (kind >= 0)
		ratelimit_refund(l->rl, (unsigned)kind, key, n);
}

/* ------------------------------------------------------------- log-in */

/* The pair's key: the blind index, then the address. */
static size_t pair_key(uint8_t *out, size_t cap, const uint8_t blind[SEAL_BLIND_BYTES],
		       const char *client)
{
	size_t n = strnlen(client, cap - SEAL_BLIND_BYTES);

	memcpy(out, blind, SEAL_BLIND_BYTES);
	memcpy(out + SEAL_BLIND_BYTES, client, n);
	return SEAL_BLIND_BYTES + n;
}

enum api_error limits_login_admit(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
				  const char *client, uint64_t now, uint64_t *retry_after)
{
	uint8_t key[SEAL_BLIND_BYTES + 64];
	struct ratelimit_key k[2] = {
	    {KIND_LOGIN_PAIR, key, pair_key(key, sizeof key, blind, client)},
	    {KIND_LOGIN_ADDRESS, client, strlen(client)},
	};
	uint64_t wait = ratelimit_take(l->rl, k, 2, now);

	sodium_memzero(key, sizeof key);
	return wait == 0 ? API_OK : limited(API_LIMIT_LOGIN, wait, retry_after);
}

static uint64_t burst_hash(const struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES])
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, blind, SEAL_BLIND_BYTES, l->burst_key);
	for (size_t i = 0; i < sizeof h; i++)
		v = v << 8 | h[i];
	return v != 0 ? v : 1;
}

/* mu held: the slot of key, or a free one (key 0), or NULL when full. */
static struct burst *burst_slot(struct limits *l, uint64_t key)
{
	size_t i = (size_t)(key % BURSTS);

	for (size_t k = 0; k < BURSTS; k++, i = (i + 1) % BURSTS)
		if (l->bursts[i].key == key || l->bursts[i].key == 0)
			return &l->bursts[i];
	return NULL;
}

static int burst_over(const struct limits *l, const struct burst *b, uint64_t now)
{
	return b->ended || now == UINT64_MAX ||
	       (now >= b->last && now - b->last >= l->cfg.login_burst_quiet_s);
}

enum limits_record limits_login_failed(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
				       const char *client, const uint8_t *subject, int admitted,
				       uint64_t now)
{
	uint8_t key[SEAL_BLIND_BYTES + 64];
	size_t n = pair_key(key, sizeof key, blind, client);
	uint64_t h = burst_hash(l, blind);
	enum limits_record how = LIMITS_LOG_IT;
	struct burst *b;

	/* An admitted attempt was counted as a failure when it was admitted;
	 * a refused one counts now (and lengthens the back-off). */
	if (!admitted) {
		ratelimit_hit(l->rl, KIND_LOGIN_PAIR, key, n, now);
		ratelimit_hit(l->rl, KIND_LOGIN_ADDRESS, client, strlen(client), now);
	}
	sodium_memzero(key, sizeof key);

	pthread_mutex_lock(&l->mu);
	b = burst_slot(l, h);
	if (b != NULL && b->key == h && !burst_over(l, b, now)) {
		b->folded++;
		b->last = now;
		b->last_ms = util_now_ms();
		how = LIMITS_FOLDED_IN;
	} else if (b != NULL && b->key == 0) {
		/* A new burst (one that is over stays until it is handed to
		 * the writer: this failure is logged on its own meanwhile). */
		memset(b, 0, sizeof *b);
		b->key = h;
		b->has_subject = subject != NULL;
		if (subject != NULL)
			memcpy(b->subject, subject, sizeof b->subject);
		b->last_ms = util_now_ms();
		b->last = now;
	}
	pthread_mutex_unlock(&l->mu);
	return how;
}

void limits_login_succeeded(struct limits *l, const uint8_t blind[SEAL_BLIND_BYTES],
			    const char *client)
{
	uint8_t key[SEAL_BLIND_BYTES + 64];
	size_t n = pair_key(key, sizeof key, blind, client);
	uint64_t h = burst_hash(l, blind);
	struct burst *b;

	ratelimit_clear(l->rl, KIND_LOGIN_PAIR, key, n);
	/* The address counts failures only: this attempt's gives back. */
	ratelimit_refund(l->rl, KIND_LOGIN_ADDRESS, client, strlen(client));
	sodium_memzero(key, sizeof key);
	pthread_mutex_lock(&l->mu);
	if ((b = burst_slot(l, h)) != NULL && b->key == h)
		b->ended = 1;
	pthread_mutex_unlock(&l->mu);
}

static enum leaf_detail burst_size(uint64_t failures)
{
	if (failures >= 1000)
		return DET_BURST_1000_PLUS;
	if (failures >= 100)
		return DET_BURST_100_999;
	if (failures >= 10)
		return DET_BURST_10_99;
	return DET_BURST_2_9;
}

/* Removes slot i of an open-addressed table: the entries after it in its
 * run move up where their home slot allows (no tombstones). mu held. */
static void burst_remove(struct limits *l, size_t i)
{
	size_t j = i;

	memset(&l->bursts[i], 0, sizeof l->bursts[i]);
	for (;;) {
		size_t home;
		j = (j + 1) % BURSTS;
		if (l->bursts[j].key == 0)
			return;
		home = (size_t)(l->bursts[j].key % BURSTS);
		/* j may move to i when home is not cyclically in (i, j]. */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			l->bursts[i] = l->bursts[j];
			memset(&l->bursts[j], 0, sizeof l->bursts[j]);
			i = j;
		}
	}
}

size_t limits_bursts_take(struct limits *l, uint64_t now, struct leaf *out, size_t max)
{
	size_t taken = 0;

	pthread_mutex_lock(&l->mu);
	if (l->n_unsent > 0) {
		taken = l->n_unsent < max ? l->n_unsent : max;
		memcpy(out, l->unsent, taken * sizeof *out);
		memmove(l->unsent, l->unsent + taken, (l->n_unsent - taken) * sizeof *out);
		l->n_unsent -= taken;
	}
	for (size_t i = 0; i < BURSTS && taken < max; i++) {
		struct burst *b = &l->bursts[i];

		if (b->key == 0 || !burst_over(l, b, now))
			continue;
		if (b->folded > 0) {
			struct leaf *s = &out[taken++];
			leaf_init(s, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN);
			s->time_ms = b->last_ms;
			s->has_subject = b->has_subject;
			memcpy(s->subject, b->subject, sizeof s->subject);
			s->result = RES_DENIED;
			s->detail = burst_size((uint64_t)b->folded + 1);
		}
		burst_remove(l, i);
		i--; /* an entry may have moved into slot i (wraps to 0 from 0) */
	}
	pthread_mutex_unlock(&l->mu);
	return taken;
}

void limits_bursts_unsent(struct limits *l, const struct leaf *s, size_t n)
{
	size_t drop;

	if (n > LIMITS_UNSENT) {
		s += n - LIMITS_UNSENT;
		n = LIMITS_UNSENT;
	}
	pthread_mutex_lock(&l->mu);
	drop = l->n_unsent + n > LIMITS_UNSENT ? l->n_unsent + n - LIMITS_UNSENT : 0;
	memmove(l->unsent, l->unsent + drop, (l->n_unsent - drop) * sizeof *s);
	l->n_unsent -= drop;
	memcpy(l->unsent + l->n_unsent, s, n * sizeof *s);
	l->n_unsent += n;
	pthread_mutex_unlock(&l->mu);
}
