/*
 * session: POST /v1/login (docs/API.md), a resident's log-in.
 *
 *   {"id_number", "passphrase"} -> 200 {"token": "aks_...", "expires"}
 *
 * The account is found by the ID number's blind index on this thread's
 * read connection, and the passphrase checked with Argon2id. An unknown
 * ID number costs one Argon2id computation too (passphrase_waste) and
 * gets the same 401 body, so neither the answer nor its time tells which
 * numbers are enrolled.
 *
 * Rate limits (ratelimit.h): RL_LOGIN_ACCOUNT keyed by the blind index,
 * RL_LOGIN_ADDRESS by the client address. The account's counter is
 * charged before the check, so a burst of parallel guesses cannot slip
 * past it while Argon2id runs, and cleared by a success; the address's
 * counter counts failures. A refused attempt runs no Argon2id at all.
 *
 * Every attempt is audited (`login`): ok or denied with the resident's
 * pseudonym when the ID number is enrolled, denied with subject "-" when
 * it is not, detail `rate_limited` when refused for that. A session
 * token is made here and only its hash is stored, by the operation's
 * change; the token is answered only after that leaf is durable.
 *
 * Never: log or keep the ID number or passphrase (the parsed body and
 * every copy are wiped), answer differently for unknown and wrong.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/passphrase.h"
#include "service/ratelimit.h"
#include "service/resident.h"
#include "service/routes.h"
#include "service/server.h"
#include "service/token.h"

enum login_outcome {
	LOGIN_OK,
	LOGIN_BAD,
	LOGIN_LIMITED
};

struct login_state {
	struct leaf leaf;
	enum login_outcome outcome;
	uint64_t resident_id;
	uint64_t now, expires, retry_after;
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t token_hash[TOKEN_HASH_BYTES];
};

static void login_free(void *p)
{
	http_state_wipe(p, sizeof(struct login_state));
}

/* In the writer: the session row, for a good passphrase only. */
static int login_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct login_state *s = ctx;
	int rc;
	(void)n;

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

static int login_then(struct http_request *rq, int rc, uint64_t index)
{
	struct login_state *s = rq->state;
	char ra[24];
	(void)index;

	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The log-in could not be recorded.");
	switch (s->outcome) {
	case LOGIN_OK:
		return resident_reply_json(
		    rq, 200,
		    json_pack("{s:s, s:I}", "token", s->token, "expires", (json_int_t)s->expires));
	case LOGIN_LIMITED:
		snprintf(ra, sizeof ra, "%" PRIu64, s->retry_after > 0 ? s->retry_after : 1);
		http_header(rq, "Retry-After", ra);
		return http_error(rq, 429, "rate_limited",
				  "Too many failed log-ins; try again later.");
	default:
		return http_error(rq, 401, "bad_login",
				  "The ID number and passphrase do not match an enrolled "
				  "resident.");
	}
}

/* Seconds until both of this attempt's limits allow it again. */
static uint64_t retry_after(struct ratelimit *rl, const uint8_t *blind, const char *client,
			    uint64_t now)
{
	uint64_t a = ratelimit_retry_after(rl, RL_LOGIN_ACCOUNT, blind, SEAL_BLIND_BYTES, now);
	uint64_t b = ratelimit_retry_after(rl, RL_LOGIN_ADDRESS, client, strlen(client), now);
	return a > b ? a : b;
}

int h_login(struct http_request *rq)
{
	static const char *const allowed[] = {"id_number", "passphrase", NULL};
	struct server *srv = rq->srv;
	struct login_state *s;
	struct store_resident r;
	uint8_t blind[SEAL_BLIND_BYTES];
	char idno[IDCARD_LEN + 1];
	const char *v, *pw;
	size_t len, pwlen;
	json_t *body;
	int rc, known;

	memset(&r, 0, sizeof r);
	memset(idno, 0, sizeof idno);
	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	if (http_field_string(rq, body, "id_number", 1, &v, &len) != 0 ||
	    http_field_string(rq, body, "passphrase", 1, &pw, &pwlen) != 0) {
		rc = 0;
		goto out_body;
	}
	/* A malformed number or passphrase cannot belong to anyone, so saying
	 * so tells nothing about who is enrolled. */
	if (idcard_normalise(idno, v, len, idcard_today()) != 0) {
		rc = http_error(rq, 400, "bad_id_number",
				"Field 'id_number' is not a valid GB 11643 ID-card number.");
		goto out_body;
	}
	if (!policy_passphrase_valid(pw, pwlen)) {
		rc = http_error(rq, 400, "bad_field",
				"Field 'passphrase' must be 8 to 256 bytes of UTF-8.");
		goto out_body;
	}
	if (rq->db == NULL) {
		rc = http_error(rq, 503, "unavailable", "The database is not available.");
		goto out_body;
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		rc = AK_ENOMEM;
		goto out_body;
	}
	rq->state = s;
	rq->state_free = login_free;
	s->now = util_now();

	seal_blind_index(srv->kek, blind, idno, IDCARD_LEN);
	rc = store_resident_by_blind(rq->db, blind, &r);
	if (rc != 0 && rc != AK_ENOENT) {
		rc = http_error(rq, 503, "unavailable", "The database is not available.");
		goto out;
	}
	known = rc == 0 && !r.erased && r.passphrase[0] != '\0';
	if (known)
		s->resident_id = r.id;

	s->leaf.action = ACT_LOGIN;
	s->leaf.role = ROLE_RESIDENT;
	s->leaf.actor_id = LEAF_NO_ID;
	s->leaf.detail = DET_EMPTY;
	if (known) {
		server_pseudonym(srv, r.id, s->leaf.subject);
		s->leaf.has_subject = 1;
	}

	if (ratelimit_blocked(srv->rl, RL_LOGIN_ADDRESS, rq->client, strlen(rq->client), s->now) ||
	    ratelimit_blocked(srv->rl, RL_LOGIN_ACCOUNT, blind, sizeof blind, s->now)) {
		s->outcome = LOGIN_LIMITED;
		s->retry_after = retry_after(srv->rl, blind, rq->client, s->now);
		s->leaf.result = RES_DENIED;
		s->leaf.detail = DET_RATE_LIMITED;
	} else {
		ratelimit_hit(srv->rl, RL_LOGIN_ACCOUNT, blind, sizeof blind, s->now);
		if (known) {
			rc = passphrase_verify(r.passphrase, pw, pwlen);
		} else {
			passphrase_waste(pw, pwlen);
			rc = AK_ECRYPTO;
		}
		if (rc == 0) {
			ratelimit_clear(srv->rl, RL_LOGIN_ACCOUNT, blind, sizeof blind);
			s->outcome = LOGIN_OK;
			s->expires = s->now + srv->cfg.session_ttl;
			token_new(TOKEN_SESSION, s->token, s->token_hash);
			s->leaf.result = RES_OK;
		} else {
			ratelimit_hit(srv->rl, RL_LOGIN_ADDRESS, rq->client, strlen(rq->client),
				      s->now);
			s->outcome = LOGIN_BAD;
			s->leaf.result = RES_DENIED;
		}
	}
	rc = http_submit(rq, &s->leaf, 1, login_change, s, login_then);
out:
	sodium_memzero(&r, sizeof r);
	sodium_memzero(blind, sizeof blind);
out_body:
	sodium_memzero(idno, sizeof idno);
	resident_json_wipe(body);
	json_decref(body);
	return rc;
}
