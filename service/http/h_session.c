/*
 * session: a resident's log-in and sessions (docs/API.md).
 *
 *   POST /v1/login       {"id_number", "passphrase"} -> {"token", "expires"}
 *   DELETE /v1/session   ends this session (log out here)
 *   DELETE /v1/sessions  ends every session of mine (log out everywhere)
 *   GET /v1/me/sessions  my live sessions: created, last used, expires,
 *                        and which one is asking (never an address)
 *
 * Log-in. The account is found by the ID number's blind index on this
 * thread's read connection, and the passphrase checked with Argon2id. An
 * unknown ID number costs one Argon2id computation too
 * (passphrase_waste) and gets the same 401, so neither the answer nor its
 * time tells which numbers are enrolled. The rate limits and how failures
 * are recorded are limits.c's: an attempt the limits refuse runs no
 * Argon2id; a failure is either the first of a burst on its account,
 * logged at once (`login denied`, with the resident's pseudonym when the
 * number is enrolled), or folded into the burst's summary and answered
 * without a leaf of its own. A success is logged and its session stored
 * in one operation; the token is made here, only its hash is stored, and
 * it is answered only once that leaf is durable.
 *
 * Never: log or keep the ID number or passphrase (the parsed body is
 * wiped when freed, like all of jansson's memory); answer differently for
 * unknown and wrong.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/request.h"
#include "service/idcard.h"
#include "service/limits.h"
#include "service/passphrase.h"
#include "service/policy.h"
#include "service/store_people.h"
#include "service/token.h"

/* ----------------------------------------------------------------- login */

enum login_outcome {
	LOGIN_OK = 1,
	LOGIN_BAD,
	LOGIN_LIMITED
};

struct login_st {
	enum login_outcome outcome;
	uint64_t resident_id, now, expires;
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t token_hash[TOKEN_HASH_BYTES];
};

/* In the writer: the session row, for a good passphrase only. */
static int login_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct login_st *s = state;
	int rc;
	(void)n;
	(void)first;

	if (s->outcome != LOGIN_OK)
		return 0;
	rc = store_session_add(w, s->token_hash, s->resident_id, s->now, s->expires);
	if (rc == AK_ENOENT) {
		/* Erased between the check and now: no session, and the log
		 * says the attempt was refused. */
		s->outcome = LOGIN_BAD;
		l->result = RES_DENIED;
		return 0;
	}
	return rc;
}

/* A failed or refused attempt: a leaf of its own, or folded into its
 * burst and answered at once. */
static enum api_error failed(struct request *rq, struct login_st *s, const uint8_t *blind,
			     const uint8_t *subject, enum login_outcome outcome)
{
	enum limits_record how = limits_login_failed(app_limits(rq->app), blind, rq->client,
						     subject, outcome != LOGIN_LIMITED, rq->now);

	s->outcome = outcome;
	if (how == LIMITS_FOLDED_IN)
		return outcome == LOGIN_LIMITED ? API_LIMIT_LOGIN : API_BAD_LOGIN;
	rq->leaf.result = RES_DENIED;
	rq->leaf.detail = outcome == LOGIN_LIMITED ? DET_RATE_LIMITED : DET_EMPTY;
	return API_OK;
}

static enum api_error login(struct request *rq)
{
	static const char *const allowed[] = {"id_number", "passphrase", NULL};
	struct login_st *s = rq->state;
	struct store_resident r;
	uint8_t blind[SEAL_BLIND_BYTES], subject[SEAL_PSEUDONYM_BYTES];
	char idno[IDCARD_LEN + 1];
	const char *v, *pw;
	size_t len, pwlen;
	enum api_error e;
	int rc, known;

	memset(&r, 0, sizeof r);
	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "id_number", 1, &v, &len)) != API_OK ||
	    (e = request_string(rq, "passphrase", 1, &pw, &pwlen)) != API_OK)
		return e;
	/* A malformed number or passphrase cannot belong to anyone, so saying
	 * so tells nothing about who is enrolled. */
	if (idcard_normalise(idno, v, len, idcard_today()) != 0)
		return API_BAD_ID_NUMBER;
	if (!policy_passphrase_valid(pw, pwlen))
		return API_BAD_PASSPHRASE;

	seal_blind_index(app_kek(rq->app), blind, idno, IDCARD_LEN);
	sodium_memzero(idno, sizeof idno);
	rc = store_resident_by_blind(rq->db, blind, &r);
	if (rc != 0 && rc != AK_ENOENT) {
		e = request_fault(rq, API_UNAVAILABLE, "finding an account", rc);
		goto out;
	}
	known = rc == 0 && !r.erased && r.passphrase[0] != '\0';
	if (known) {
		s->resident_id = r.id;
		seal_pseudonym(app_kek(rq->app), subject, r.id);
		memcpy(rq->leaf.subject, subject, sizeof subject);
		rq->leaf.has_subject = 1;
	}

	if (limits_login_admit(app_limits(rq->app), blind, rq->client, rq->now, &rq->retry_after) !=
	    API_OK) {
		e = failed(rq, s, blind, known ? subject : NULL, LOGIN_LIMITED);
		goto out;
	}
	if (known) {
		rc = passphrase_verify(r.passphrase, pw, pwlen);
	} else {
		passphrase_waste(pw, pwlen);
		rc = AK_ECRYPTO;
	}
	if (rc != 0) {
		e = failed(rq, s, blind, known ? subject : NULL, LOGIN_BAD);
		goto out;
	}
	limits_login_succeeded(app_limits(rq->app), blind, rq->client);
	s->outcome = LOGIN_OK;
	s->now = rq->now;
	s->expires = rq->now + app_config(rq->app)->session_ttl;
	token_new(TOKEN_SESSION, s->token, s->token_hash);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	rq->op.change = login_change;
	e = API_OK;
out:
	sodium_memzero(&r, sizeof r);
	sodium_memzero(blind, sizeof blind);
	return e;
}

static enum api_error login_answer(struct request *rq, uint64_t index)
{
	struct login_st *s = rq->state;
	(void)index;

	switch (s->outcome) {
	case LOGIN_OK:
		return reply_json(
		    rq, 200,
		    json_pack("{s:s, s:I}", "token", s->token, "expires", (json_int_t)s->expires));
	case LOGIN_LIMITED:
		return API_LIMIT_LOGIN;
	default:
		return API_BAD_LOGIN;
	}
}

/* --------------------------------------------------------------- log-out */

struct logout_st {
	uint8_t session[TOKEN_HASH_BYTES];
	uint64_t resident_id, ended;
	int all;
};

static int logout_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct logout_st *s = state;
	int rc;
	(void)l;
	(void)n;
	(void)first;

	if (s->all)
		return store_sessions_delete_all(w, s->resident_id, &s->ended);
	rc = store_session_delete(w, s->session);
	s->ended = rc == 0;
	return rc == AK_ENOENT ? 0 : rc; /* ended by a request that came first */
}

static enum api_error logout_prepare(struct request *rq, int all)
{
	struct logout_st *s = rq->state;

	s->all = all;
	s->resident_id = rq->who.resident_id;
	memcpy(s->session, rq->who.session, sizeof s->session);
	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = all ? DET_ALL_SESSIONS : DET_THIS_SESSION;
	rq->op.change = logout_change;
	return API_OK;
}

static enum api_error logout(struct request *rq)
{
	return logout_prepare(rq, 0);
}

static enum api_error logout_all(struct request *rq)
{
	return logout_prepare(rq, 1);
}

static enum api_error logout_answer(struct request *rq, uint64_t index)
{
	struct logout_st *s = rq->state;

	return reply_json(
	    rq, 200,
	    json_pack("{s:I, s:I}", "ended", (json_int_t)s->ended, "log_index", (json_int_t)index));
}

/* -------------------------------------------------------------- sessions */

struct sessions_walk {
	json_t *list;
	const uint8_t *mine;
};

static int sessions_row(void *ctx, const struct store_session *ss)
{
	struct sessions_walk *w = ctx;
	json_t *e =
	    json_pack("{s:I, s:I, s:I, s:b}", "created", (json_int_t)ss->created, "last_used",
		      (json_int_t)ss->used, "expires", (json_int_t)ss->expires, "current",
		      sodium_memcmp(ss->token_hash, w->mine, TOKEN_HASH_BYTES) == 0);

	if (e == NULL || json_array_append_new(w->list, e) != 0)
		return AK_ENOMEM;
	return 0;
}

static enum api_error sessions(struct request *rq)
{
	struct request_list_st *s = rq->state;
	struct sessions_walk w;
	int rc;

	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing sessions", AK_ENOMEM);
	w.list = s->list;
	w.mine = rq->who.session;
	if ((rc = store_sessions_list(rq->db, rq->who.resident_id, rq->now, sessions_row, &w)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "listing sessions", rc);
	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	return API_OK;
}

static enum api_error sessions_answer(struct request *rq, uint64_t index)
{
	struct request_list_st *s = rq->state;

	return reply_list(rq, "sessions", s->list, index);
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_login = {login, login_answer, sizeof(struct login_st), NULL};
const struct route_handler h_logout = {logout, logout_answer, sizeof(struct logout_st), NULL};
const struct route_handler h_logout_all = {logout_all, logout_answer, sizeof(struct logout_st),
					   NULL};
const struct route_handler h_sessions = {sessions, sessions_answer, sizeof(struct request_list_st),
					 request_list_free};
