/*
 * authz: callers and what they may do (rules in authz.h).
 *
 * A token says what kind it is by its prefix (token.h): a resident's
 * session or an account. Only its hash is looked up; a session must not
 * have expired, an account must not be disabled. An unknown token and an
 * expired one get the same answer, so the answer tells nothing about
 * which tokens once existed.
 */
#include "service/authz.h"

#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/util.h"
#include "service/store_people.h"

enum api_error authz_identify(store *db, const char *authorization, uint64_t now,
			      struct caller *out)
{
	return authz_identify_ahead(db, authorization, now, out, NULL);
}

enum api_error authz_identify_ahead(store *db, const char *authorization, uint64_t now,
				    struct caller *out, struct authz_ahead *ahead)
{
	enum authz_ahead_kind want = ahead != NULL ? ahead->want : AHEAD_NONE;
	uint8_t hash[TOKEN_HASH_BYTES];
	int kind, rc;

	memset(out, 0, sizeof *out);
	if (ahead != NULL)
		ahead->got = 0;
	out->role = ROLE_NONE;
	if (authorization == NULL)
		return API_OK;
	/* The scheme name is case-insensitive (RFC 9110 11.1), and one or
	 * more spaces may follow it ("Bearer" 1*SP b64token, RFC 6750 2.1). */
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return API_BAD_TOKEN;
	authorization += 7 + strspn(authorization + 7, " ");
	if ((kind = token_parse(authorization, strlen(authorization), hash)) < 0)
		return API_BAD_TOKEN;
	if (db == NULL)
		return API_UNAVAILABLE;
	if (kind == TOKEN_SESSION) {
		struct store_session s;
		rc = want == AHEAD_OWN_RECORD
			 ? store_session_get_resident(db, hash, now, &s, &ahead->me)
			 : store_session_get(db, hash, now, &s);
		if (rc == 0 && want == AHEAD_OWN_RECORD)
			ahead->got = 1;
		if (rc == 0) {
			out->role = ROLE_RESIDENT;
			out->resident_id = s.resident_id;
			out->session_used = s.used;
			memcpy(out->session, hash, sizeof out->session);
		}
	} else {
		struct store_account a;
		rc = want == AHEAD_CODE
			 ? store_account_with_code(db, hash, ahead->cti, &a, &ahead->code,
						   &ahead->code_rc, &ahead->revoked)
			 : store_account_by_token(db, hash, &a);
		if (rc == 0 && want == AHEAD_CODE)
			ahead->got = 1;
		if (rc == 0 && a.disabled)
			rc = AK_ENOENT;
		if (rc == 0) {
			out->role = a.role;
			out->account_id = a.id;
		}
	}
	sodium_memzero(hash, sizeof hash);
	if (rc == 0)
		return API_OK;
	return rc == AK_ENOENT ? API_UNKNOWN_TOKEN : API_UNAVAILABLE;
}

static unsigned who_bit(enum leaf_role role)
{
	switch (role) {
	case ROLE_RESIDENT:
		return WHO_RESIDENT;
	case ROLE_VERIFIER:
		return WHO_VERIFIER;
	case ROLE_OFFICER:
		return WHO_OFFICER;
	case ROLE_AUDITOR:
		return WHO_AUDITOR;
	case ROLE_ADMIN:
		return WHO_ADMIN;
	default:
		return 0;
	}
}

enum api_error authz_allows(unsigned who, const struct caller *c, const struct authz_config *cfg)
{
	if (who & WHO_ENROLLERS) {
		/* Enrolment at a desk only: an officer enrols the person. */
		if (!cfg->enroll_officer_only)
			return API_OK;
		if (c->role != ROLE_OFFICER)
			return c->role == ROLE_NONE ? API_NO_TOKEN : API_OFFICERS_ENROL;
		return API_OK;
	}
	if (who & WHO_ANYONE)
		return API_OK;
	if (c->role == ROLE_NONE)
		return API_NO_TOKEN;
	return (who & who_bit(c->role)) != 0 ? API_OK : API_WRONG_ROLE;
}

enum api_error authz_may_prove(const struct caller *c, const struct leaf *l, const seal_kek *kek)
{
	uint8_t mine[SEAL_PSEUDONYM_BYTES];
	int same;

	if (c->role == ROLE_AUDITOR)
		return API_OK;
	if (c->role != ROLE_RESIDENT || !l->has_subject)
		return API_NOT_YOURS;
	seal_pseudonym(kek, mine, c->resident_id);
	same = sodium_memcmp(mine, l->subject, sizeof mine) == 0;
	return same ? API_OK : API_NOT_YOURS;
}

void authz_leaf(const struct caller *c, enum leaf_action action, struct leaf *out)
{
	if (c->role == ROLE_NONE || c->role == ROLE_RESIDENT)
		leaf_init(out, ROLE_RESIDENT, LEAF_NO_ID, action);
	else
		leaf_init(out, c->role, c->account_id, action);
}
