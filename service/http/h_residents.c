/*
 * residents: what officers do to a resident (docs/API.md, "Officers").
 *
 *   PUT  /v1/residents/{handle}/status       set status with a reason code
 *   POST /v1/residents/{handle}/paper-code   a long-lived code to print,
 *                                            for a person at the desk
 *   POST /v1/lookup                          find a resident by ID number,
 *                                            with a purpose
 *
 * A resident is named by their handle (random, from enrolment or a
 * look-up), never by a row id, so no one can walk the register by
 * counting. Every one of these is an access to a resident's data, so each
 * writes its leaf and answers only once it is durable; a request about
 * nobody (an unknown or erased resident, an ID number not enrolled) is
 * audited too, as `not_found` with subject `-`. A status change, its
 * history row and the revocation of the resident's outstanding codes
 * happen inside the writer's transaction, together with the leaf.
 *
 * A paper code needs the purpose `paper_code` and the person's ID-card
 * number: the officer prints it for someone standing at the desk, whose
 * card matches the record (a wrong number is recorded as `denied` and
 * answered 403). Its JSON answer shows the name masked; the code itself
 * carries the full name, as every code must for the checkpoint; so does
 * the PDF card (?format=pdf, service/paper.h), which is the person's own
 * to carry. Look-ups
 * and paper codes are limited per officer (limits.c).
 *
 * Invariant: nothing here prints or logs a field; request states are
 * wiped when freed.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/code_answer.h"
#include "service/http/request.h"
#include "service/idcard.h"
#include "service/lists.h"
#include "service/mask.h"
#include "service/policy.h"
#include "service/record.h"

/*
 * The resident the path's handle names (decoded into handle): 0 with *id,
 * or AK_ENOENT (no such handle, or erased). A tombstone's handle finds no
 * one.
 */
static int by_handle(struct request *rq, uint8_t handle[STORE_HANDLE_BYTES], uint64_t *id)
{
	struct store_resident r;
	int rc;

	if (request_handle(rq, handle) != API_OK)
		return AK_ENOENT;
	rc = store_resident_by_handle(rq->db, handle, &r);
	if (rc == 0 && r.erased)
		rc = AK_ENOENT;
	if (rc == 0)
		*id = r.id;
	sodium_memzero(&r, sizeof r);
	return rc;
}

/* The ID number in the body, normalised into out. */
static enum api_error id_number_field(struct request *rq, char out[IDCARD_LEN + 1])
{
	const char *w;
	size_t len;
	enum api_error e;

	if ((e = request_string(rq, "id_number", 1, &w, &len)) != API_OK)
		return e;
	return idcard_normalise(out, w, len, idcard_today()) == 0 ? API_OK : API_BAD_ID_NUMBER;
}

/* ================================================================ status */

struct status_st {
	uint64_t resident_id, officer_id, now, revoked;
	int status; /* enum cred_status */
	enum leaf_detail reason;
	int found;
	uint8_t handle[STORE_HANDLE_BYTES];
};

/* In the writer: the status, its history row and the revocations, or a
 * not_found leaf when there is no live resident of that id. */
static int status_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct status_st *s = state;
	struct store_status_change c;
	int rc;
	(void)n;

	rc = s->found ? store_resident_set_status(w, s->resident_id, s->status, s->now, first)
		      : AK_ENOENT;
	if (rc == AK_ENOENT) {
		s->found = 0;
		l->result = RES_NOT_FOUND;
		l->has_subject = 0;
		memset(l->subject, 0, sizeof l->subject);
		return 0;
	}
	if (rc != 0)
		return rc;
	c.time = s->now;
	c.status = s->status;
	c.reason = leaf_detail_word((int)s->reason);
	c.officer_id = s->officer_id;
	if ((rc = store_status_history_add(w, s->resident_id, &c)) != 0)
		return rc;
	return store_codes_revoke(w, s->resident_id, s->now, &s->revoked);
}

static enum api_error status(struct request *rq)
{
	static const char *const allowed[] = {"status", "reason", NULL};
	struct status_st *s = rq->state;
	const char *w;
	size_t wlen;
	enum api_error e;
	int st, reason, rc;

	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "status", 1, &w, &wlen)) != API_OK)
		return e;
	if ((st = cred_status_parse(w, wlen)) < 0)
		return API_BAD_STATUS;
	if ((e = request_string(rq, "reason", 1, &w, &wlen)) != API_OK)
		return e;
	if ((reason = policy_reason_parse(w, wlen)) < 0)
		return API_BAD_REASON;

	rc = by_handle(rq, s->handle, &s->resident_id);
	if (rc != 0 && rc != AK_ENOENT)
		return request_fault(rq, API_UNAVAILABLE, "finding a resident", rc);
	s->found = rc == 0;
	s->officer_id = rq->who.account_id;
	s->status = st;
	s->reason = (enum leaf_detail)reason;
	s->now = rq->now;
	rq->leaf.result = RES_OK;
	rq->leaf.detail = s->reason;
	if (s->found)
		request_subject(rq, s->resident_id);
	rq->op.change = status_change;
	return API_OK;
}

static enum api_error status_answer(struct request *rq, uint64_t index)
{
	struct status_st *s = rq->state;
	char handle[REQUEST_HANDLE_TEXT];

	if (!s->found)
		return API_NO_RESIDENT;
	/* Durable: the revocation list may now be re-signed from the store. */
	lists_changed(app_lists(rq->app));
	request_handle_text(handle, s->handle);
	return reply_json(rq, 200,
			  json_pack("{s:s, s:s, s:I, s:I}", "resident", handle, "status",
				    cred_status_word((enum cred_status)s->status), "revoked",
				    (json_int_t)s->revoked, "log_index", (json_int_t)index));
}

/* ================================================================ lookup */

struct lookup_st {
	int found;
	int status;
	uint8_t handle[STORE_HANDLE_BYTES];
	char name[CRED_NAME_MAX + 1];   /* masked */
	char id_number[IDCARD_LEN + 1]; /* masked */
};

static enum api_error lookup(struct request *rq)
{
	static const char *const allowed[] = {"id_number", "purpose", NULL};
	struct lookup_st *s = rq->state;
	struct store_resident r;
	struct record_view v;
	uint8_t blind[SEAL_BLIND_BYTES];
	char idn[IDCARD_LEN + 1];
	const char *w;
	size_t wlen;
	enum api_error e;
	int purpose, rc;

	if ((e = request_json(rq, allowed)) != API_OK)
		return e;
	/* The purpose first: a look-up without one is refused outright (the
	 * auditors' report would flag it, so it must never happen). */
	if ((e = request_string(rq, "purpose", 0, &w, &wlen)) != API_OK)
		return e;
	if (w == NULL || (purpose = policy_purpose_parse(w, wlen)) < 0)
		return API_BAD_PURPOSE;
	if ((e = id_number_field(rq, idn)) != API_OK)
		return e;
	seal_blind_index(app_kek(rq->app), blind, idn, IDCARD_LEN);
	sodium_memzero(idn, sizeof idn);

	rq->leaf.detail = (enum leaf_detail)purpose;
	rq->leaf.result = RES_NOT_FOUND;
	rc = store_resident_by_blind(rq->db, blind, &r);
	if (rc == 0) {
		memcpy(s->handle, r.handle, sizeof s->handle);
		rc = record_open(app_record_keys(rq->app), rq->db, r.id, &rq->leaf, &v);
	}
	sodium_memzero(&r, sizeof r);
	if (rc == 0) {
		s->found = 1;
		s->status = v.status;
		mask_id_number(s->id_number, v.id_number);
		rc = mask_name(s->name, sizeof s->name, v.name, strlen(v.name));
		record_wipe(&v);
		if (rc != 0)
			return request_fault(rq, API_INTERNAL, "masking a name", rc);
		rq->leaf.result = RES_OK;
	} else if (rc != AK_ENOENT) {
		return request_fault(rq, API_INTERNAL, "opening a record", rc);
	}
	return API_OK;
}

static enum api_error lookup_answer(struct request *rq, uint64_t index)
{
	struct lookup_st *s = rq->state;
	char handle[REQUEST_HANDLE_TEXT];

	if (!s->found)
		return API_NO_SUCH_ID_NUMBER;
	request_handle_text(handle, s->handle);
	return reply_json(rq, 200,
			  json_pack("{s:s, s:s, s:s, s:s, s:I}", "resident", handle, "name",
				    s->name, "id_number", s->id_number, "status",
				    cred_status_word((enum cred_status)s->status), "log_index",
				    (json_int_t)index));
}

/* ============================================================ paper code */

enum paper_outcome {
	PAPER_OK = 1,
	PAPER_NOBODY,
	PAPER_MISMATCH
};

struct paper_st {
	enum paper_outcome outcome;
	char idn[IDCARD_LEN + 1]; /* the person's own, to compare (state is wiped) */
	struct code_answer c;     /* the image is drawn before submitting */
};

static void paper_free(void *p)
{
	code_answer_wipe(&((struct paper_st *)p)->c);
}

/* In the writer: the code's row, unless the resident was erased since. */
static int paper_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct paper_st *s = state;
	int rc;
	(void)n;

	if (s->outcome != PAPER_OK)
		return 0;
	s->c.code.issued_index = first;
	rc = store_code_add(w, &s->c.code);
	if (rc == AK_ENOENT) {
		s->outcome = PAPER_NOBODY;
		l->result = RES_NOT_FOUND;
		l->has_subject = l->has_object = 0;
		memset(l->subject, 0, sizeof l->subject);
		memset(l->object, 0, sizeof l->object);
		return 0;
	}
	return rc;
}

static enum api_error paper_code(struct request *rq)
{
	static const char *const allowed[] = {"purpose", "id_number", "days", NULL};
	struct paper_st *s = rq->state;
	struct record_view v;
	const char *fmt = request_query(rq, "format"), *w;
	uint8_t handle[STORE_HANDLE_BYTES];
	uint64_t id, days = POLICY_PAPER_DEFAULT_DAYS;
	size_t wlen;
	enum api_error e;
	int rc, present, same;

	s->c.format = CODE_JSON;
	if (fmt != NULL) {
		if (strcmp(fmt, "png") == 0)
			s->c.format = CODE_PNG;
		else if (strcmp(fmt, "svg") == 0)
			s->c.format = CODE_SVG;
		else if (strcmp(fmt, "pdf") == 0)
			s->c.format = CODE_PDF;
		else
			return API_BAD_FORMAT;
	}
	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "purpose", 0, &w, &wlen)) != API_OK)
		return e;
	if (w == NULL || policy_purpose_parse(w, wlen) != DET_PAPER_CODE)
		return API_BAD_PURPOSE;
	if ((e = id_number_field(rq, s->idn)) != API_OK ||
	    (e = request_uint(rq, "days", 0, &days, &present)) != API_OK)
		return e;
	if (days < 1 || days > POLICY_PAPER_MAX_DAYS)
		return API_BAD_DAYS;

	rq->leaf.detail = DET_PAPER_CODE;
	rq->leaf.result = RES_NOT_FOUND;
	rq->op.change = paper_change;
	s->outcome = PAPER_NOBODY;
	rc = by_handle(rq, handle, &id);
	if (rc == 0)
		rc = record_open(app_record_keys(rq->app), rq->db, id, &rq->leaf, &v);
	if (rc == AK_ENOENT)
		return API_OK; /* recorded as not_found, answered 404 */
	if (rc != 0)
		return request_fault(rq, API_INTERNAL, "opening a record", rc);
	/* The person at the desk is the resident of the handle. */
	same = sodium_memcmp(s->idn, v.id_number, IDCARD_LEN) == 0;
	if (!same) {
		record_wipe(&v);
		s->outcome = PAPER_MISMATCH;
		rq->leaf.result = RES_DENIED;
		return API_OK;
	}
	rc = record_issue(app_record_issuer(rq->app), &v, rq->now, days * 86400u, 1, s->c.text,
			  &s->c.code);
	if (rc >= 0 && s->c.format == CODE_PDF)
		memcpy(s->c.name, v.name, sizeof s->c.name); /* the card is the holder's own */
	else if (rc >= 0)
		rc = mask_name(s->c.name, sizeof s->c.name, v.name, strlen(v.name));
	record_wipe(&v);
	if (rc < 0)
		return request_fault(rq, API_INTERNAL, "signing a paper code", rc);
	if ((rc = code_answer_draw(&s->c)) != 0)
		return request_fault(rq, API_INTERNAL, "drawing a code", rc);
	s->outcome = PAPER_OK;
	rq->leaf.result = RES_OK;
	rq->leaf.has_object = 1;
	memcpy(rq->leaf.object, s->c.code.cti, sizeof rq->leaf.object);
	return API_OK;
}

static enum api_error paper_answer(struct request *rq, uint64_t index)
{
	struct paper_st *s = rq->state;

	switch (s->outcome) {
	case PAPER_OK:
		return code_answer_reply(rq, &s->c, index);
	case PAPER_MISMATCH:
		return API_ID_NUMBER_MISMATCH;
	default:
		return API_NO_RESIDENT;
	}
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_status = {status, status_answer, sizeof(struct status_st), NULL};
const struct route_handler h_lookup = {lookup, lookup_answer, sizeof(struct lookup_st), NULL};
const struct route_handler h_paper_code = {paper_code, paper_answer, sizeof(struct paper_st),
					   paper_free};
