/*
 * authz: who is asking, and whether they may. Every rule about callers
 * lives here and answers with a verdict (API_OK or the api_error to
 * answer); nothing here replies, and no handler decides a 401 or 403 of
 * its own:
 *
 *   authz_identify   the bearer token -> the caller: a resident's session,
 *                    an account (verifier, officer, auditor, admin), or
 *                    anonymous when there is no Authorization header;
 *   authz_allows     the route's WHO_* bits against the caller, including
 *                    enrolment by officers only (--enroll officer);
 *   authz_may_prove  residents get inclusion proofs only of entries about
 *                    themselves; auditors of any;
 *   authz_leaf       the audit leaf's actor from the caller, for every
 *                    leaf a request writes (the one constructor).
 */
#ifndef ANKANG_AUTHZ_H
#define ANKANG_AUTHZ_H

#include <stdint.h>

#include "crypto/leaf.h"
#include "crypto/seal.h"
#include "log/store.h"
#include "service/api_error.h"
#include "service/store_people.h"
#include "service/token.h"

/* Who may call a route: a set of these bits (the route table's `who`). */
enum {
	WHO_ANYONE = 1 << 0, /* no token needed (a token, if sent, is still checked) */
	WHO_RESIDENT = 1 << 1,
	WHO_VERIFIER = 1 << 2,
	WHO_OFFICER = 1 << 3,
	WHO_AUDITOR = 1 << 4,
	WHO_ADMIN = 1 << 5,
	/* Enrolment: anyone, or officers alone when the service runs with
	 * --enroll officer (struct authz_config). */
	WHO_ENROLLERS = 1 << 6,
};

struct authz_config {
	int enroll_officer_only;
};

/* The caller, as the token says. */
struct caller {
	enum leaf_role role;  /* ROLE_NONE when anonymous */
	uint64_t account_id;  /* accounts (verifier, officer, auditor, admin) */
	uint64_t resident_id; /* resident sessions */
	/* A resident's session: its token's hash (the session's key) and
	 * when it was last used, rounded to STORE_SESSION_TOUCH_S. */
	uint8_t session[TOKEN_HASH_BYTES];
	uint64_t session_used;
};

/*
 * The caller that authorization (the whole header value, or NULL when
 * there is none) names, looked up through db at now. API_OK (anonymous
 * without a header), API_BAD_TOKEN (not "Bearer <token>"),
 * API_UNKNOWN_TOKEN (no such session or account, expired, disabled),
 * API_UNAVAILABLE (the database failed).
 */
enum api_error authz_identify(store *db, const char *authorization, uint64_t now,
			      struct caller *out);

/*
 * What a route's handler will read anyway, read with the caller's token
 * in the same statement: a statement fewer, on PostgreSQL a round trip.
 * The handler says what (route_handler's ahead) before the caller is
 * identified, and finds it here after; got is 1 only when it was read,
 * which is only with the kind of token it goes with:
 *   AHEAD_OWN_RECORD  a resident's session: the resident's own row, as
 *                     store_resident_by_id reads it
 *                     (store_session_get_resident), into me;
 *   AHEAD_CODE        an account: the row of the code cti and its
 *                     revocation, as store_code_lookup reads them
 *                     (store_account_with_code), into code, code_rc
 *                     (0 or AK_ENOENT) and revoked.
 * Nothing read ahead is used before the caller is known and allowed.
 */
enum authz_ahead_kind {
	AHEAD_NONE,
	AHEAD_OWN_RECORD,
	AHEAD_CODE
};
struct authz_ahead {
	enum authz_ahead_kind want;
	uint8_t cti[CRED_CTI_BYTES]; /* AHEAD_CODE: the code to read */
	int got;
	struct store_resident me;
	struct store_code code;
	int code_rc, revoked;
};

/* authz_identify, and what *ahead wants (NULL: nothing) read with the
 * token. */
enum api_error authz_identify_ahead(store *db, const char *authorization, uint64_t now,
				    struct caller *out, struct authz_ahead *ahead);

/* Whether c may call a route whose who bits are `who`. API_OK,
 * API_NO_TOKEN, API_WRONG_ROLE, API_OFFICERS_ENROL. */
enum api_error authz_allows(unsigned who, const struct caller *c, const struct authz_config *cfg);

/*
 * Whether c may have an inclusion proof of leaf l: auditors always,
 * residents only when l's subject is their own pseudonym (kek derives
 * it). API_OK or API_NOT_YOURS.
 */
enum api_error authz_may_prove(const struct caller *c, const struct leaf *l, const seal_kek *kek);

/*
 * A fresh leaf for c doing action (leaf_init with c's actor): accounts act
 * as role:id; residents and anonymous callers (who can only enrol or log
 * in, that is, act as would-be residents) as resident:-. Result and
 * detail are left unset, so the route must say them.
 */
void authz_leaf(const struct caller *c, enum leaf_action action, struct leaf *out);

#endif
