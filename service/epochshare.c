/*
 * epochshare: the KEK's epochs handed from node to node through the
 * database, sealed each time to a one-time key (contract and the order of
 * a rotation in epochshare.h; byte formats in docs/FORMATS.md, "Epoch
 * requests and answers").
 *
 * Each round (every EPOCHSHARE_POLL_MS, on a thread of its own with a
 * connection of its own) has a node's half, which every node runs, and a
 * leader's half, which only the node holding the advisory lock runs:
 *
 *   node     read the floor and the listed epochs; check every epoch held
 *            against its check value (a copy that does not match is not
 *            used, and not destroyed either); fetch the oldest one lacking (one
 *            request at a time); destroy those below the floor; set the
 *            current epoch's limit to the newest listed as held; say what
 *            it holds (epoch_nodes).
 *   leader   list the epochs it holds if none is listed (the first start
 *            on a database); answer the requests that verify; mark a made
 *            epoch held once every node seen lately holds it, or drop one
 *            no node holds; step the rotation under way (rewrap.h); make a
 *            new epoch when the newest is every_s old or one was asked
 *            for.
 *
 * Invariants: the one-time secret key lives in sodium_malloc'd memory and
 * is wiped as soon as its answer is opened, refused or abandoned; an
 * epoch key leaves epoch.c's set only into a seal_epochkey on the stack,
 * wiped on every path; nothing is written to the database that any key
 * that lives on opens; a node never wraps under an epoch not yet held by
 * every node seen lately.
 *
 * Never: answer a request whose MAC does not verify, keep an answer whose
 * MAC, number, time or check value does not, or log a key, a box or a
 * MAC.
 */
#include "service/epochshare.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/bg.h"
#include "common/util.h"
#include "service/oplog.h"
#include "service/rewrap.h"
#include "service/store_epochs.h"

/* Epoch rows read at once: the floor's and a newer one, with room. */
#define LIST_MAX (EPOCH_MAX + 4)
/* Requests answered per round. */
#define ANSWER_MAX 16
/* A request not answered within this is withdrawn and made again; the
 * leader purges any older than REQ_PURGE_MS. */
#define REQ_TTL_MS   60000u
#define REQ_PURGE_MS 600000u
/* Rotation steps (chunks of REWRAP_CHUNK keys) per round. */
#define STEPS_MAX 64

static const char REQ_LABEL[] = "ankang-epoch-request-v1";
static const char ANS_LABEL[] = "ankang-epoch-answer-v1";
static const char CHECK_LABEL[] = "ankang-epoch-check-v1";

#define PT_BYTES  (8 + 8 + SEAL_KEY_BYTES)
#define BOX_BYTES (crypto_box_SEALBYTES + PT_BYTES)
_Static_assert(BOX_BYTES + SEAL_SHARE_MAC_BYTES == STORE_EPOCH_ANSWER_BYTES, "answer size");
_Static_assert(crypto_box_PUBLICKEYBYTES + SEAL_SHARE_MAC_BYTES == STORE_EPOCH_REQ_BYTES,
	       "request size");

/* One node's side: its connection and its one request under way. */
struct share {
	const struct epochshare_config *c;
	uint64_t stale_ms;
	store *st;
	uint64_t req_id, req_number, req_made; /* req_id 0: none */
	uint64_t missing;                      /* the oldest listed epoch not held, 0 */
	uint64_t noted;                        /* the epoch last noted as a problem */
	uint8_t *sk;                           /* sodium_malloc'd, with req_id */
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	/* What the last node round saw. */
	uint64_t floor;
	int asked;
	size_t n_listed;
	struct store_epoch listed[LIST_MAX];
	int verified[LIST_MAX]; /* listed[i] is held here, and the same epoch */
};

struct epochshare {
	struct share sh;
	struct rewrap_config rw;
	struct rewrap_report report;
	uint32_t k1, k2; /* the leader lock */
	atomic_int leading;
	int waiting_noted;
	uint64_t stale_noted;
	bg *thread;
	/* For epochshare_stats, written by the thread. */
	atomic_int behind;
	_Atomic uint64_t floor, stale, failed;
};

/* ------------------------------------------------------------- helpers */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

uint64_t epochshare_stale_ms(uint64_t every_s)
{
	uint64_t ms = every_s == 0 ? EPOCHSHARE_STALE_MS : every_s * 250u;

	if (ms < 5000u)
		ms = 5000u;
	return ms > EPOCHSHARE_STALE_MS ? EPOCHSHARE_STALE_MS : ms;
}

int epochshare_node_name(char out[EPOCHSHARE_NODE_MAX + 1], const char *data_dir)
{
	char host[65], real[PATH_MAX], hex[17];
	uint8_t h[8];
	size_t n = 0;

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "node");
	host[sizeof host - 1] = '\0';
	for (char *p = host; *p != '\0' && n < 60; p++)
		if (isalnum((unsigned char)*p) || *p == '.' || *p == '-')
			host[n++] = *p;
	host[n] = '\0';
	if (n == 0)
		snprintf(host, sizeof host, "node");
	if (realpath(data_dir, real) == NULL)
		snprintf(real, sizeof real, "%s", data_dir);
	crypto_generichash(h, sizeof h, (const uint8_t *)real, strlen(real), NULL, 0);
	util_hex_encode(hex, h, sizeof h);
	return snprintf(out, EPOCHSHARE_NODE_MAX + 1, "%s:%s", host, hex) > EPOCHSHARE_NODE_MAX
		   ? AK_EINVAL
		   : 0;
}

/* The check value of an epoch: says whether a copy is this epoch, and
 * opens nothing (a keyed hash under the epoch key itself). */
static void check_value(const seal_epochkey *ek, uint64_t created,
			uint8_t out[STORE_EPOCH_CHECK_BYTES])
{
	uint8_t msg[sizeof CHECK_LABEL + 16];

	memcpy(msg, CHECK_LABEL, sizeof CHECK_LABEL);
	put_u64(msg + sizeof CHECK_LABEL, ek->number);
	put_u64(msg + sizeof CHECK_LABEL + 8, created);
	crypto_generichash(out, STORE_EPOCH_CHECK_BYTES, msg, sizeof msg, ek->key, sizeof ek->key);
}

/* The request's MAC: label, node, number, time, public key. */
static void request_mac(const seal_kek *k, const char *node, uint64_t number, uint64_t made,
			const uint8_t pk[crypto_box_PUBLICKEYBYTES],
			uint8_t out[SEAL_SHARE_MAC_BYTES])
{
	uint8_t msg[sizeof REQ_LABEL + 1 + EPOCHSHARE_NODE_MAX + 16 + crypto_box_PUBLICKEYBYTES];
	size_t len = strnlen(node, EPOCHSHARE_NODE_MAX), off = 0;

	memcpy(msg, REQ_LABEL, sizeof REQ_LABEL);
	off += sizeof REQ_LABEL;
	msg[off++] = (uint8_t)len;
	memcpy(msg + off, node, len);
	off += len;
	put_u64(msg + off, number);
	put_u64(msg + off + 8, made);
	off += 16;
	memcpy(msg + off, pk, crypto_box_PUBLICKEYBYTES);
	off += crypto_box_PUBLICKEYBYTES;
	seal_share_mac(k, out, msg, off);
}

/* The answer's MAC: label, number, time, the request's public key, the
 * box. */
static void answer_mac(const seal_kek *k, uint64_t number, uint64_t created,
		       const uint8_t pk[crypto_box_PUBLICKEYBYTES], const uint8_t box[BOX_BYTES],
		       uint8_t out[SEAL_SHARE_MAC_BYTES])
{
	uint8_t msg[sizeof ANS_LABEL + 16 + crypto_box_PUBLICKEYBYTES + BOX_BYTES];
	size_t off = sizeof ANS_LABEL;

	memcpy(msg, ANS_LABEL, sizeof ANS_LABEL);
	put_u64(msg + off, number);
	put_u64(msg + off + 8, created);
	off += 16;
	memcpy(msg + off, pk, crypto_box_PUBLICKEYBYTES);
	off += crypto_box_PUBLICKEYBYTES;
	memcpy(msg + off, box, BOX_BYTES);
	off += BOX_BYTES;
	seal_share_mac(k, out, msg, off);
}

/* The epoch's creation time in this node's file; 0 when not held. */
static uint64_t held_created(epoch_set *e, uint64_t number)
{
	struct epoch_info info[EPOCH_MAX];
	size_t n = epoch_list(e, info, EPOCH_MAX);

	for (size_t i = 0; i < n && i < EPOCH_MAX; i++)
		if (info[i].number == number)
			return info[i].created;
	return 0;
}

/* Whether the node holds listed epoch m, the same one. */
static int holds(const struct share *sh, const struct store_epoch *m)
{
	uint8_t mine[STORE_EPOCH_CHECK_BYTES];
	seal_epochkey ek;
	uint64_t created = held_created(sh->c->epochs, m->number);
	int same;

	if (created == 0 || epoch_key(sh->c->epochs, m->number, &ek) != 0)
		return 0;
	check_value(&ek, created, mine);
	seal_epochkey_wipe(&ek);
	same = created == m->created && sodium_memcmp(mine, m->check, sizeof mine) == 0;
	sodium_memzero(mine, sizeof mine);
	return same ? 1 : -1;
}

/* ---------------------------------------------------------- a request */

/* Forgets the request under way: the secret key wiped, the row deleted
 * (if it cannot be, the leader purges it; it opens nothing now). */
static void request_forget(struct share *sh)
{
	if (sh->req_id != 0 && sh->st != NULL)
		store_epochs_request_delete(sh->st, sh->req_id);
	sodium_free(sh->sk); /* wipes */
	sh->sk = NULL;
	sh->req_id = sh->req_number = sh->req_made = 0;
	sodium_memzero(sh->pk, sizeof sh->pk);
}

static int request_post(struct share *sh, uint64_t number)
{
	uint8_t req[STORE_EPOCH_REQ_BYTES];
	int rc;

	request_forget(sh);
	if ((sh->sk = sodium_malloc(crypto_box_SECRETKEYBYTES)) == NULL)
		return AK_ENOMEM;
	crypto_box_keypair(sh->pk, sh->sk);
	sh->req_made = util_now_ms();
	memcpy(req, sh->pk, sizeof sh->pk);
	request_mac(sh->c->kek, sh->c->node, number, sh->req_made, sh->pk, req + sizeof sh->pk);
	if ((rc = store_epochs_request_add(sh->st, sh->c->node, number, sh->req_made, req,
					   &sh->req_id)) != 0) {
		request_forget(sh);
		return rc;
	}
	sh->req_number = number;
	return 0;
}

/*
 * Opens the answer to the request under way for listed epoch m and keeps
 * the epoch. 0 (kept), AK_EPENDING (no answer yet), AK_ECRYPTO (refused:
 * the request is withdrawn, a new one goes next round), or an error.
 */
static int request_take(struct share *sh, const struct store_epoch *m)
{
	uint8_t ans[STORE_EPOCH_ANSWER_BYTES], mac[SEAL_SHARE_MAC_BYTES];
	uint8_t pt[PT_BYTES], check[STORE_EPOCH_CHECK_BYTES];
	seal_epochkey ek;
	int answered = 0, rc;

	memset(&ek, 0, sizeof ek);
	rc = store_epochs_request_answer(sh->st, sh->req_id, &answered, ans);
	if (rc == AK_ENOENT) {
		request_forget(sh);
		return AK_EPENDING;
	}
	if (rc != 0)
		return rc;
	if (!answered) {
		if (util_now_ms() - sh->req_made > REQ_TTL_MS)
			request_forget(sh);
		return AK_EPENDING;
	}
	rc = AK_ECRYPTO;
	answer_mac(sh->c->kek, m->number, m->created, sh->pk, ans, mac);
	if (sodium_memcmp(mac, ans + BOX_BYTES, sizeof mac) != 0 ||
	    crypto_box_seal_open(pt, ans, BOX_BYTES, sh->pk, sh->sk) != 0)
		goto done;
	ek.number = get_u64(pt);
	memcpy(ek.key, pt + 16, sizeof ek.key);
	check_value(&ek, get_u64(pt + 8), check);
	if (ek.number != m->number || get_u64(pt + 8) != m->created ||
	    sodium_memcmp(check, m->check, sizeof check) != 0)
		goto done;
	rc = epoch_insert(sh->c->epochs, &ek, m->created);
done:
	if (rc == AK_ECRYPTO)
		oplog_note("KEK epoch %llu: refused an answer that does not verify (not from a "
			   "node holding the KEK); asking again",
			   (unsigned long long)m->number);
	request_forget(sh);
	seal_epochkey_wipe(&ek);
	sodium_memzero(pt, sizeof pt);
	sodium_memzero(ans, sizeof ans);
	return rc;
}

/* --------------------------------------------------------- node round */

/*
 * The node's half of a round (see the top of the file). *complete: every
 * epoch listed at or above the floor is held here, the same one.
 */
static int node_round(struct share *sh, int *complete)
{
	epoch_set *e = sh->c->epochs;
	struct epoch_info info[EPOCH_MAX];
	uint64_t newest_ok = 0, limit = 0;
	const struct store_epoch *missing = NULL;
	int rc, h;

	*complete = 0;
	if ((rc = store_epochs_state(sh->st, &sh->floor, &sh->asked)) != 0 ||
	    (rc = store_epochs_list(sh->st, sh->listed, LIST_MAX, &sh->n_listed)) != 0)
		return rc;
	for (size_t i = 0; i < sh->n_listed; i++) {
		const struct store_epoch *m = &sh->listed[i];
		sh->verified[i] = 0;
		if (m->number < sh->floor)
			continue;
		if ((h = holds(sh, m)) < 0) {
			/* This node's copy is not the listed epoch: the listing
			 * was altered, or a bug. Never wrap, answer or ack with
			 * it, and never destroy it on the database's word (that
			 * would let whoever edits the database destroy keys):
			 * an operator looks. */
			if (sh->noted != m->number)
				oplog_note(
				    "KEK epoch %llu: this node's copy does not match the "
				    "database's check value; not used until an operator looks",
				    (unsigned long long)m->number);
			sh->noted = m->number;
			*complete = 0;
			sh->missing = m->number;
			return store_epochs_node_seen(sh->st, sh->c->node, newest_ok,
						      util_now_ms());
		}
		if (h == 1) {
			sh->verified[i] = 1;
			newest_ok = m->number;
			if (m->held)
				limit = m->number;
		} else if (missing == NULL) {
			missing = m;
		}
	}
	if (missing != NULL) {
		/* One request at a time, for the oldest epoch lacking; it can
		 * only join above the newest held (epoch_insert). */
		size_t n = epoch_list(e, info, EPOCH_MAX);
		if (missing->number <= info[n - 1].number) {
			if (sh->noted != missing->number)
				oplog_note("KEK epoch %llu: listed, not held, and older than this "
					   "node's newest: cannot be kept here",
					   (unsigned long long)missing->number);
			sh->noted = missing->number;
		} else if (sh->req_id != 0 && sh->req_number == missing->number)
			rc = request_take(sh, missing);
		else
			rc = request_post(sh, missing->number);
		if (rc == 0 && holds(sh, missing) == 1)
			missing = NULL; /* kept this round */
		if (rc == AK_EPENDING || rc == AK_ECRYPTO)
			rc = 0;
		if (rc != 0)
			return rc;
	}
	/* The floor: the older epochs are destroyed everywhere, here too. */
	if (sh->floor > 0 && epoch_key(e, sh->floor, NULL) == 0 &&
	    epoch_list(e, info, EPOCH_MAX) > 0 && info[0].number < sh->floor) {
		size_t dropped = 0;
		if ((rc = epoch_drop_below(e, sh->floor, &dropped)) != 0)
			return rc;
		oplog_note("KEK epoch %llu: %zu older epoch(s) destroyed on this node",
			   (unsigned long long)sh->floor, dropped);
	}
	/* New keys under the newest epoch every node holds; none listed yet
	 * (a database no leader has listed its epochs in): the floor, else
	 * no limit. Never below the floor: a key under it would be refused. */
	epoch_set_limit(e, limit != 0 ? limit : sh->floor);
	if ((rc = store_epochs_node_seen(sh->st, sh->c->node, newest_ok, util_now_ms())) != 0)
		return rc;
	*complete = missing == NULL;
	sh->missing = missing != NULL ? missing->number : 0;
	return 0;
}

/* ------------------------------------------------------- leader round */

/* Lists every epoch this node holds, as held, and the floor at the
 * oldest: the first leader on a database whose epochs are not listed
 * (every live key is under one of them: app_open checked). */
static int adopt(struct share *sh)
{
	struct epoch_info info[EPOCH_MAX];
	size_t n = epoch_list(sh->c->epochs, info, EPOCH_MAX);
	uint64_t after = 0;
	int rc;

	for (size_t i = 0; i < n && i < EPOCH_MAX; i++) {
		struct store_epoch m = {info[i].number, info[i].created, {0}, 1};
		seal_epochkey ek;
		if (epoch_key(sh->c->epochs, m.number, &ek) != 0)
			return AK_ECORRUPT;
		check_value(&ek, m.created, m.check);
		seal_epochkey_wipe(&ek);
		if ((rc = store_epochs_add(sh->st, &m, after)) != 0)
			return rc == AK_ECONFLICT ? 0 : rc; /* another leader did */
		after = m.number;
	}
	oplog_note("KEK epochs: %zu listed in the database (metadata only)", n);
	return store_epochs_floor(sh->st, info[0].number);
}

/* The listed row of epoch number, or NULL. */
static const struct store_epoch *listed(const struct share *sh, uint64_t number, int *verified)
{
	for (size_t i = 0; i < sh->n_listed; i++)
		if (sh->listed[i].number == number) {
			*verified = sh->verified[i];
			return &sh->listed[i];
		}
	return NULL;
}

static int answer_one(struct share *sh, const struct store_epoch_request *r, int *forged)
{
	uint8_t mac[SEAL_SHARE_MAC_BYTES], pt[PT_BYTES], ans[STORE_EPOCH_ANSWER_BYTES];
	const struct store_epoch *m;
	seal_epochkey ek;
	int verified = 0, rc;

	request_mac(sh->c->kek, r->node, r->number, r->made, r->req, mac);
	if (sodium_memcmp(mac, r->req + crypto_box_PUBLICKEYBYTES, sizeof mac) != 0) {
		*forged = 1;
		return 0; /* never answered; purged when old */
	}
	if (r->number < sh->floor || (m = listed(sh, r->number, &verified)) == NULL || !verified ||
	    epoch_key(sh->c->epochs, r->number, &ek) != 0)
		return 0; /* not this node's to give (yet) */
	put_u64(pt, m->number);
	put_u64(pt + 8, m->created);
	memcpy(pt + 16, ek.key, sizeof ek.key);
	seal_epochkey_wipe(&ek);
	rc = crypto_box_seal(ans, pt, sizeof pt, r->req) == 0 ? 0 : AK_ECRYPTO;
	sodium_memzero(pt, sizeof pt);
	if (rc != 0)
		return rc;
	answer_mac(sh->c->kek, m->number, m->created, r->req, ans, ans + BOX_BYTES);
	return store_epochs_request_put(sh->st, r->id, ans);
}

static int answer_requests(struct share *sh)
{
	struct store_epoch_request req[ANSWER_MAX];
	uint64_t now = util_now_ms();
	size_t n = 0;
	int rc, forged = 0;

	if ((rc = store_epochs_requests_open(sh->st, req, ANSWER_MAX, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (req[i].made + REQ_PURGE_MS < now)
			continue;
		if ((rc = answer_one(sh, &req[i], &forged)) != 0)
			return rc;
	}
	if (forged)
		oplog_note("KEK epochs: a request for an epoch does not verify (not made with "
			   "the KEK): not answered");
	return now > REQ_PURGE_MS ? store_epochs_requests_purge(sh->st, now - REQ_PURGE_MS) : 0;
}

/* Makes epoch after+1, lists it as made, then keeps it. */
static int make_epoch(struct epochshare *w, uint64_t after)
{
	struct share *sh = &w->sh;
	struct store_epoch m;
	seal_epochkey ek;
	int rc;

	memset(&m, 0, sizeof m);
	m.number = after + 1;
	m.created = util_now();
	seal_epochkey_new(m.number, &ek);
	check_value(&ek, m.created, m.check);
	/* Listed first, by compare-and-swap on the newest number: of two
	 * leaders only one lists its epoch n+1, and the other forgets its
	 * own. A crash before the file is written leaves a listed epoch no
	 * node holds, which the next leader drops. */
	if ((rc = store_epochs_add(sh->st, &m, after)) != 0) {
		seal_epochkey_wipe(&ek);
		return rc == AK_ECONFLICT ? 0 : rc;
	}
	rc = epoch_insert(sh->c->epochs, &ek, m.created);
	seal_epochkey_wipe(&ek);
	if (rc != 0) {
		store_epochs_drop_orphan(sh->st, m.number);
		return rc;
	}
	if (sh->asked)
		store_epochs_ask(sh->st, 0);
	oplog_note("KEK epoch %llu made; handing it to the nodes", (unsigned long long)m.number);
	return 0;
}

static int under_way(epoch_set *e)
{
	struct epoch_info info[EPOCH_MAX];

	epoch_list(e, info, EPOCH_MAX);
	return info[0].number < epoch_current_number(e);
}

/* The rotation under way, some steps of it. */
static int rotate_steps(struct epochshare *w)
{
	int rc = 1;

	for (int i = 0; i < STEPS_MAX && rc == 1; i++)
		rc = rewrap_step(&w->rw, &w->report);
	if (rc == AK_EBUSY) {
		if (!w->waiting_noted)
			oplog_note(
			    "KEK epoch %llu: every key re-wrapped; the older epochs wait for "
			    "the nodes seen lately to hold it",
			    (unsigned long long)w->report.epoch);
		w->waiting_noted = 1;
		return 0;
	}
	if (rc == 0 && !under_way(w->sh.c->epochs)) {
		oplog_note(
		    "KEK epoch %llu: %llu keys re-wrapped in %llu steps, %llu older epoch(s) "
		    "destroyed",
		    (unsigned long long)w->report.epoch, (unsigned long long)w->report.rewrapped,
		    (unsigned long long)w->report.chunks, (unsigned long long)w->report.destroyed);
		memset(&w->report, 0, sizeof w->report);
		w->waiting_noted = 0;
	}
	return rc == 1 ? 0 : rc;
}

/* Removes the rows of nodes unseen for EPOCHSHARE_GONE_MS, and says so. */
static int purge_gone(struct share *sh)
{
	uint64_t now = util_now_ms(), removed = 0;
	int rc;

	if (now <= EPOCHSHARE_GONE_MS)
		return 0;
	if ((rc = store_epochs_nodes_purge(sh->st, now - EPOCHSHARE_GONE_MS, &removed)) != 0)
		return rc;
	if (removed > 0)
		oplog_note("KEK epochs: %llu node(s) not seen for %llu hours forgotten: they no "
			   "longer count as stale",
			   (unsigned long long)removed,
			   (unsigned long long)(EPOCHSHARE_GONE_MS / 3600000u));
	return 0;
}

static int leader_round(struct epochshare *w)
{
	struct share *sh = &w->sh;
	const struct store_epoch *newest;
	uint64_t now = util_now(), lagging = 0, stale = 0;
	int held = 0, rc;

	if ((rc = store_epochs_lock_try(sh->st, w->k1, w->k2, &held)) != 0)
		return rc;
	atomic_store(&w->leading, held);
	if (!held)
		return 0;
	if (sh->n_listed == 0)
		return adopt(sh);
	if ((rc = answer_requests(sh)) != 0)
		return rc;
	newest = &sh->listed[sh->n_listed - 1];
	if ((rc = purge_gone(sh)) != 0)
		return rc;
	if ((rc = store_epochs_nodes(sh->st, newest->number, util_now_ms() - sh->stale_ms, &lagging,
				     &stale)) != 0)
		return rc;
	if (stale != w->stale_noted && stale > 0)
		oplog_note(
		    "KEK epochs: %llu node(s) not seen for %llu s do not hold rotations back; "
		    "each fetches the epochs it lacks before it serves again",
		    (unsigned long long)stale, (unsigned long long)(sh->stale_ms / 1000u));
	w->stale_noted = stale;
	atomic_store(&w->stale, stale);
	if (!newest->held) {
		if (!sh->verified[sh->n_listed - 1]) {
			/* Listed, and not held by the leader: its maker died
			 * before keeping it (or lost the lock). */
			if (now > newest->created + sh->stale_ms / 1000u &&
			    store_epochs_drop_orphan(sh->st, newest->number) == 0)
				oplog_note("KEK epoch %llu: listed but held by no node; dropped",
					   (unsigned long long)newest->number);
			return 0;
		}
		if (lagging == 0 && (rc = store_epochs_set_held(sh->st, newest->number)) == 0)
			oplog_note("KEK epoch %llu: held by every node seen lately; new keys go "
				   "under it",
				   (unsigned long long)newest->number);
		return rc == AK_ENOENT ? 0 : rc;
	}
	/* A leader that does not hold the newest epoch yet (it fetches it
	 * like any node) neither steps nor makes one. */
	if (!sh->verified[sh->n_listed - 1])
		return 0;
	if (under_way(sh->c->epochs))
		return rotate_steps(w);
	if (sh->asked || (w->sh.c->every_s != 0 && now >= newest->created + w->sh.c->every_s))
		return make_epoch(w, newest->number);
	return 0;
}

/* -------------------------------------------------------------- thread */

static void disconnect(struct share *sh)
{
	request_forget(sh);
	store_close(sh->st);
	sh->st = NULL;
}

static uint64_t thread_step(void *ctx)
{
	struct epochshare *w = ctx;
	int complete = 0, rc;

	if (w->sh.st == NULL && store_open(&w->sh.st, w->sh.c->url, 0) != 0) {
		w->sh.st = NULL;
		atomic_store(&w->leading, 0);
		return (uint64_t)EPOCHSHARE_POLL_MS * 1000000u;
	}
	if ((rc = node_round(&w->sh, &complete)) == 0) {
		atomic_store(&w->behind, !complete);
		atomic_store(&w->floor, w->sh.floor);
		rc = leader_round(w);
	}
	if (rc != 0) {
		atomic_fetch_add(&w->failed, 1);
		oplog_fault(NULL, NULL, "sharing the KEK epochs", rc, NULL);
		if (rc == AK_EDB) {
			atomic_store(&w->leading, 0);
			disconnect(&w->sh);
		}
	}
	return (uint64_t)EPOCHSHARE_POLL_MS * 1000000u;
}

int epochshare_start(epochshare **out, const struct epochshare_config *c)
{
	uint8_t h[8];
	static const uint8_t label[crypto_generichash_KEYBYTES_MIN] = "ankang-epochs-v1";
	struct epochshare *w;
	int complete = 0, rc;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return AK_ENOMEM;
	w->sh.c = c;
	w->sh.stale_ms = c->stale_ms != 0 ? c->stale_ms : epochshare_stale_ms(c->every_s);
	crypto_generichash(h, sizeof h, (const uint8_t *)c->origin, strlen(c->origin), label,
			   sizeof label);
	w->k1 = (uint32_t)get_u64(h) & 0x7fffffff;
	w->k2 = (uint32_t)(get_u64(h) >> 32) & 0x7fffffff;
	w->rw = (struct rewrap_config){c->log, c->keys, ROLE_SYSTEM, 0, epochshare_destroy_ok, w};
	/* One node round now: the limit is set before the node serves. */
	if ((rc = store_open(&w->sh.st, c->url, 0)) != 0 ||
	    (rc = node_round(&w->sh, &complete)) != 0) {
		disconnect(&w->sh);
		free(w);
		return rc;
	}
	if ((rc = bg_start(&w->thread, "epoch-share", thread_step, w,
			   (uint64_t)EPOCHSHARE_POLL_MS * 1000000u)) != 0) {
		disconnect(&w->sh);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void epochshare_stop(epochshare *w)
{
	if (w == NULL)
		return;
	bg_stop(w->thread);
	if (w->sh.st != NULL)
		store_epochs_node_leave(w->sh.st, w->sh.c->node);
	disconnect(&w->sh);
	free(w);
}

void epochshare_wake(epochshare *w)
{
	if (w != NULL)
		bg_wake(w->thread);
}

int epochshare_leading(epochshare *w)
{
	return w != NULL && atomic_load(&w->leading);
}

void epochshare_stats(epochshare *w, struct epochshare_stats *out)
{
	memset(out, 0, sizeof *out);
	if (w == NULL)
		return;
	out->leading = atomic_load(&w->leading);
	out->behind = atomic_load(&w->behind);
	out->current = epoch_current_number(w->sh.c->epochs);
	out->floor = atomic_load(&w->floor);
	out->stale_nodes = out->leading ? atomic_load(&w->stale) : 0;
	out->rounds_failed = atomic_load(&w->failed);
}

int epochshare_destroy_ok(void *ctx, store *w, uint64_t current)
{
	struct epochshare *es = ctx;
	uint64_t lagging = 0, stale = 0;
	int rc;

	if (!atomic_load(&es->leading))
		return AK_EBUSY;
	if ((rc = store_epochs_nodes(w, current, util_now_ms() - es->sh.stale_ms, &lagging,
				     &stale)) != 0)
		return rc;
	if (lagging != 0)
		return AK_EBUSY;
	return store_epochs_floor(w, current);
}

/* ---------------------------------------------------------------- join */

int epochshare_join(const struct epochshare_config *c, const char *kek_path,
		    const char *epochs_path, unsigned wait_s, char *why, size_t cap)
{
	struct epochshare_config jc = *c;
	struct share sh;
	seal_kek *kek = NULL;
	epoch_set *e = NULL;
	int complete = 0, rc;
	unsigned rounds = wait_s * 4u + 1u;

	memset(&sh, 0, sizeof sh);
	why[0] = '\0';
	if ((rc = seal_kek_load(&kek, kek_path)) != 0)
		return util_why(why, cap, rc, "key-encryption key %s: %s", kek_path,
				ak_strerror(rc));
	if ((rc = epoch_open(&e, epochs_path, kek)) != 0) {
		util_why(why, cap, rc, "epoch keys %s: %s", epochs_path, ak_strerror(rc));
		goto done;
	}
	jc.kek = kek;
	jc.epochs = e;
	sh.c = &jc;
	sh.stale_ms = c->stale_ms != 0 ? c->stale_ms : epochshare_stale_ms(c->every_s);
	if ((rc = store_open(&sh.st, c->url, 0)) != 0) {
		util_why(why, cap, rc, "epoch keys: the store: %s", store_open_err(rc));
		sh.st = NULL;
		goto done;
	}
	for (unsigned i = 0; i < rounds; i++) {
		if ((rc = node_round(&sh, &complete)) != 0) {
			util_why(why, cap, rc, "epoch keys: reading the epochs' metadata: %s",
				 ak_strerror(rc));
			goto done;
		}
		if (complete)
			break;
		struct timespec ts = {0, 250 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (!complete && sh.st != NULL)
		store_epochs_node_leave(sh.st, c->node); /* holds nothing back */
	if (!complete)
		rc = util_why(why, cap, AK_EBUSY,
			      "epoch keys %s: epoch %llu is listed in the database and not held "
			      "here, and no leader answered within %u s (is a node that holds it "
			      "running?)",
			      epochs_path, (unsigned long long)sh.missing, wait_s);
done:
	disconnect(&sh);
	epoch_close(e);
	seal_kek_free(kek);
	return rc;
}

/* ------------------------------------------------ keys rotate-epoch */

int epochshare_ask_rotation(const char *url, int *asked)
{
	store *st = NULL;
	uint64_t running = 0, stale = 0;
	int rc;

	*asked = 0;
	if ((rc = store_open(&st, url, 0)) != 0)
		return rc;
	rc = store_epochs_nodes(st, (uint64_t)INT64_MAX, util_now_ms() - EPOCHSHARE_STALE_MS,
				&running, &stale);
	if (rc == 0 && running > 0 && (rc = store_epochs_ask(st, 1)) == 0)
		*asked = 1;
	store_close(st);
	return rc;
}

int epochshare_offline_destroy(void *ctx, store *w, uint64_t current)
{
	const struct record_keys *k = ctx;
	struct store_epoch m = {current, held_created(k->epochs, current), {0}, 1};
	seal_epochkey ek;
	int rc;

	if (epoch_key(k->epochs, current, &ek) != 0)
		return AK_ECORRUPT;
	check_value(&ek, m.created, m.check);
	seal_epochkey_wipe(&ek);
	if ((rc = store_epochs_floor(w, current)) != 0)
		return rc;
	/* Nothing below it is listed any more: list it, unless it is. */
	rc = store_epochs_add(w, &m, 0);
	return rc == AK_ECONFLICT ? 0 : rc;
}
