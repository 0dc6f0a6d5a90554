/*
 * api_error: the table of the API's errors (see api_error.h). One row per
 * enum value, checked complete at compile time; the unit test checks that
 * every row has a status, a code of [a-z_] and a message.
 */
#include "service/api_error.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/policy.h"
#include "service/store_people.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

static const struct api_error_info table[API_ERROR_COUNT] = {
    [API_OK] = {200, "ok", "OK."},

    [API_JSON_MISSING] = {400, "bad_json", "The request needs a JSON object as its body."},
    [API_JSON_INVALID] = {400, "bad_json", "The body is not valid JSON."},
    [API_JSON_NOT_OBJECT] = {400, "bad_json", "The body must be a JSON object."},
    [API_UNKNOWN_FIELD] = {400, "unknown_field",
			   "The body has a field this endpoint does not take."},
    [API_FIELD_MISSING] = {400, "bad_field", "Field '%s' is required."},
    [API_FIELD_NOT_STRING] = {400, "bad_field", "Field '%s' must be a string."},
    [API_FIELD_NOT_UINT] = {400, "bad_field", "Field '%s' must be a non-negative integer."},
    [API_QUERY_MISSING] = {400, "bad_query", "Query argument '%s' is required."},
    [API_QUERY_NOT_NUMBER] = {400, "bad_query", "Query argument '%s' must be a decimal number."},
    [API_BAD_REQUEST] = {400, "bad_request", "The request is malformed."},

    [API_BAD_NAME] = {400, "bad_field", POLICY_NAME_MESSAGE},
    [API_BAD_ID_NUMBER] = {400, "bad_id_number",
			   "Field 'id_number' is not a valid GB 11643 ID-card number."},
    /* clang-format off */
    [API_BAD_PHONE] = {400, "bad_field",
		       "Field 'phone' must be 6 to " STR(POLICY_PHONE_MAX)
		       " digits, with an optional leading '+'."},
    [API_BAD_PASSPHRASE] = {400, "bad_field",
			    "Field 'passphrase' must be " STR(POLICY_PASSPHRASE_MIN)
			    " to " STR(POLICY_PASSPHRASE_MAX) " bytes of UTF-8."},
    /* clang-format on */
    [API_BAD_STATUS] = {400, "bad_status", "The status must be green, yellow or red."},
    [API_BAD_REASON] = {400, "bad_reason", "The reason is not on the list of reason codes."},
    [API_BAD_PURPOSE] = {400, "bad_purpose", "The request needs a purpose from the list."},
    [API_BAD_DAYS] = {400, "bad_field",
		      "Field 'days' must be 1 to " STR(POLICY_PAPER_MAX_DAYS) "."},
    [API_BAD_LIMIT] = {400, "bad_query", "Query argument 'limit' must be at least 1."},
    [API_BAD_CURSOR] = {400, "bad_query",
			"Query argument 'before' must be a log index from an earlier page."},
    [API_BAD_ACTION] = {400, "bad_query", "Query argument 'action' is not an audit action."},
    [API_BAD_FORMAT] = {400, "bad_query", "Query argument 'format' must be pdf, png or svg."},
    [API_BAD_WITH] = {400, "bad_query", "Query argument 'with' must be svg."},
    [API_BAD_RANGE] = {400, "bad_query", "'end' must not be before 'start'."},
    [API_BAD_RESULT] = {400, "bad_query", "Query argument 'result' is not a result word."},
    [API_BAD_ACTOR] = {400, "bad_query",
		       "Query argument 'actor' must be a role, or a role and an account id "
		       "(officer:3)."},
    [API_BAD_ORDER] = {400, "bad_query", "Query argument 'order' must be asc or desc."},
    [API_BAD_BEFORE] = {400, "bad_query",
			"Query argument 'before' must be a log index above 0, with order=desc."},
    [API_BAD_TIMES] = {400, "bad_query", "'until' must be after 'since'."},
    [API_BAD_PROOF_RANGE] = {400, "bad_query",
			     "There is no proof for that range under the newest signed "
			     "checkpoint."},
    [API_BAD_SCANS] = {400, "bad_field",
		       "Field 'scans' must be an array of at most 1000 objects {id, cti, time, "
		       "result, sig}."},
    [API_BAD_SCAN_TIME] = {400, "bad_field", "A scan's 'time' is out of range."},
    [API_BAD_SCAN_RESULT] = {400, "bad_field", "A scan's 'result' is not a result word."},

    [API_NO_TOKEN] = {401, "no_token", "This endpoint needs a bearer token."},
    [API_BAD_TOKEN] = {401, "bad_token", "The bearer token is malformed."},
    [API_UNKNOWN_TOKEN] = {401, "bad_token",
			   "The bearer token is unknown, expired, ended or disabled."},
    [API_BAD_LOGIN] = {401, "bad_login",
		       "The ID number and passphrase do not match an enrolled resident."},
    [API_WRONG_ROLE] = {403, "wrong_role", "Your role may not use this endpoint."},
    [API_OFFICERS_ENROL] = {403, "wrong_role", "Only officers may enrol residents here."},
    [API_NOT_YOURS] = {403, "not_yours", "That entry is not about you; ask an auditor."},
    [API_ID_NUMBER_MISMATCH] = {403, "id_number_mismatch",
				"The ID-card number is not this resident's."},

    [API_NO_ROUTE] = {404, "not_found", "No such resource."},
    [API_METHOD] = {405, "method_not_allowed", "This path does not take that method."},
    [API_NO_RESIDENT] = {404, "not_found", "No such resident."},
    [API_NO_SUCH_ID_NUMBER] = {404, "not_found", "No resident has that ID number."},
    [API_NO_ENTRY] = {404, "not_found", "No such entry."},
    [API_NO_CHECKPOINT] = {404, "not_found", "No checkpoint has been signed yet."},
    [API_DUPLICATE] = {409, "duplicate", "This ID number is already enrolled."},
    [API_TOO_LARGE] = {413, "too_large", "The request body is larger than allowed."},
    [API_MEDIA_TYPE] = {415, "unsupported_media_type",
			"Send the body as Content-Type: application/json."},

    [API_LIMIT_ENROL] = {429, "rate_limited",
			 "Too many enrolments from this address; try again later."},
    [API_LIMIT_LOGIN] = {429, "rate_limited", "Too many failed log-ins; try again later."},
    [API_LIMIT_OFFICER] = {429, "rate_limited",
			   "Too many look-ups and paper codes from this account; try again "
			   "later."},

    [API_INTERNAL] = {500, "internal", "The server failed; the failure is logged."},
    [API_UNAVAILABLE] = {503, "unavailable", "The database is not available."},
    [API_UNRECORDED] = {503, "unavailable",
			"The request could not be recorded in the audit log, so nothing was "
			"done; try again."},
    [API_STORAGE_FAILED] = {503, "unavailable",
			    "The service's storage failed, so nothing was done; it takes no "
			    "changes until an operator has restarted it."},
    [API_OVERLAPPED] = {503, "unavailable",
			"Another request about the same record got there first; try again."},
    [API_STOPPING] = {503, "unavailable", "The service is shutting down."},
    [API_LIST_NOT_READY] = {503, "unavailable", "The list is not available yet."},
    [API_ERASE_PENDING] = {503, "erasure_incomplete",
			   "Your data is erased from the records, but wiping its last copies from "
			   "the service's files has not finished yet. The service goes on wiping "
			   "them; you do not need to ask again."},
    [API_BEHIND] = {503, "unavailable",
		    "This server is still fetching a key that another server made; try again "
		    "in a moment."},
    [API_OVERLOADED] = {503, "overloaded",
			"The service has more waiting to be recorded than it takes at once, "
			"so nothing was done; try again in a moment."},

    [API_BAD_APPEAL_REASON] = {400, "bad_reason",
			       "The reason must be wrong_person, negative_test, not_in_risk_area, "
			       "quarantine_completed or other."},
    [API_BAD_APPEAL_TEXT] = {400, "bad_field", POLICY_APPEAL_TEXT_MESSAGE},
    [API_BAD_DECISION] = {400, "bad_field", "Field 'decision' must be upheld or rejected."},
    [API_BAD_ANSWER_REASON] = {400, "bad_reason",
			       "The reason must be evidence_accepted or record_error for an "
			       "appeal upheld, evidence_insufficient or status_confirmed for one "
			       "rejected."},
    [API_BAD_APPEAL_STATE] = {400, "bad_query",
			      "Query argument 'state' must be open, answered or all."},
    [API_NO_APPEAL] = {404, "not_found", "No such appeal."},
    [API_APPEAL_OPEN] = {409, "appeal_open",
			 "You have an appeal open already; it must be answered before you "
			 "appeal again."},
    [API_APPEAL_CLOSED] = {409, "appeal_closed", "This appeal has been answered already."},
    [API_BAD_RELATION] = {400, "bad_relation",
			  "Field 'relation' must be child, parent, spouse or other."},
    /* clang-format off */
    [API_BAD_MEMBER_PASSPHRASE] = {400, "bad_field",
				   "Field 'member_passphrase' must be " STR(POLICY_PASSPHRASE_MIN)
				   " to " STR(POLICY_PASSPHRASE_MAX) " bytes of UTF-8."},
    [API_HOUSEHOLD_FULL] = {409, "household_full",
			    "A household has at most " STR(STORE_HOUSEHOLD_MAX) " members."},
    /* clang-format on */
    [API_HOUSEHOLD_SELF] = {400, "bad_member", "You cannot add yourself to your household."},
    [API_MEMBER_PASSPHRASE_WRONG] = {403, "member_passphrase",
				     "The member's passphrase does not match an enrolled resident "
				     "with that ID number."},
    [API_MEMBER_MISMATCH] = {403, "member_mismatch",
			     "The name does not match the record of that ID number."},
    [API_MEMBER_PENDING] = {403, "member_pending",
			    "The member has not consented yet: an officer must confirm it, or "
			    "add them again with their own passphrase."},
    [API_NO_MEMBER] = {404, "not_found", "No such household member."},
    [API_NO_LINK] = {404, "not_found", "No such household link."},
    [API_MEMBER_EXISTS] = {409, "duplicate", "This person is in your household already."},
    [API_LINK_NOT_PENDING] = {409, "not_pending", "This link is confirmed already."},
    [API_BAD_TILE] = {400, "bad_tile",
		      "Not a tile path: tile/L/N or tile/entries/N, N in groups of three digits "
		      "(x001/x234/067), with .p/W (1 to 255) for a partial tile."},
    [API_NO_TILE] = {404, "not_found", "No signed checkpoint covers that tile yet."},
};

const struct api_error_info *api_error_info(enum api_error e)
{
	if ((unsigned)e >= API_ERROR_COUNT || table[e].code == NULL)
		return &table[API_INTERNAL];
	return &table[e];
}

const char *api_error_message(enum api_error e, const char *arg, char *out, size_t cap)
{
	const char *m = api_error_info(e)->message;
	const char *pct = strstr(m, "%s");

	if (pct == NULL || arg == NULL) {
		snprintf(out, cap, "%s", m);
		return out;
	}
	snprintf(out, cap, "%.*s%s%s", (int)(pct - m), m, arg, pct + 2);
	return out;
}

int api_error_is_ours(enum api_error e)
{
	return api_error_info(e)->status >= 500;
}

enum api_error api_error_of_writer(int rc)
{
	switch (rc) {
	case AK_ENOENT:
		return API_NO_RESIDENT;
	case AK_ECONFLICT:
		return API_OVERLAPPED;
	case AK_EBUSY:
		return API_STOPPING;
	case AK_EOVERLOAD:
		return API_OVERLOADED;
	case AK_EBEHIND:
		return API_BEHIND;
	case AK_EIO:
		/* The audit writer's own: a write, read or fsync failed under
		 * the database, and it refuses writes until a restart. */
		return API_STORAGE_FAILED;
	case AK_EINVAL:
		/* A leaf that would not format, or a change given bad values:
		 * a bug of ours, not the database's. */
		return API_INTERNAL;
	default:
		return API_UNRECORDED;
	}
}
