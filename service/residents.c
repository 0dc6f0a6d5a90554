/*
 * residents: what officers do to a resident (docs/API.md, "Officers").
 *
 *   PUT  /v1/residents/{id}/status       set status with a reason code
 *   POST /v1/residents/{id}/paper-code   a long-lived code to print
 *   POST /v1/lookup                      find a resident by ID number, with a purpose
 *
 * Every one of them is an access to a resident's data, so each writes its
 * leaf through the audit writer and answers only in the continuation,
 * once the leaf is durable; a request about nobody (an unknown or erased
 * resident, an ID number not enrolled) is audited too, as `not_found` with
 * subject `-`. A status change, its history row and the revocation of the
 * resident's outstanding codes happen inside the writer's transaction,
 * together with the leaf. Look-ups and paper codes unseal the record
 * (resident_open) on the reader before submitting, and keep only what the
 * answer needs (masked name and ID number; the code) in the request state.
 *
 * Invariant: the request state is wiped before it is freed; nothing here
 * prints or logs a field, and error messages are fixed strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/idcard.h"
#include "service/lists.h"
#include "service/mask.h"
#include "service/policy.h"
#include "service/resident.h"
#include "service/routes.h"
#include "service/server.h"
#include "service/store_people.h"

/* ================================================================ status */

struct status_st {
	struct leaf leaf;
	uint64_t resident_id, officer_id;
	int status; /* enum cred_status */
	enum leaf_detail reason;
	int found;
	uint64_t revoked;
};

static void status_free(void *p)
{
	http_state_wipe(p, sizeof(struct status_st));
}

/* In the writer: the status, its history row and the revocations, or a
 * not_found leaf when there is no live resident of that id. */
static int status_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct status_st *s = ctx;
	struct store_status_change c;
	uint64_t now = util_now();
	int rc;
	(void)n;

	rc = store_resident_set_status(w, s->resident_id, s->status, now);
	if (rc == AK_ENOENT) {
		s->found = 0;
		l->result = RES_NOT_FOUND;
		l->has_subject = 0;
		memset(l->subject, 0, sizeof l->subject);
		return 0;
	}
	if (rc != 0)
		return rc;
	c.time = now;
	c.status = s->status;
	c.reason = leaf_detail_word((int)s->reason);
	c.officer_id = s->officer_id;
	if ((rc = store_status_history_add(w, s->resident_id, &c)) != 0)
		return rc;
	if ((rc = store_codes_revoke(w, s->resident_id, now, &s->revoked)) != 0)
		return rc;
	s->found = 1;
	return 0;
}

static int status_then(struct http_request *rq, int rc, uint64_t index)
{
	struct status_st *s = rq->state;

	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The change could not be recorded.");
	if (!s->found)
		return http_error(rq, 404, "not_found", "No such resident.");
	/* Durable: the revocation list may now be re-signed from the store. */
	lists_changed(rq->srv->lists);
	return http_json(rq, 200,
			 json_pack("{s:I, s:s, s:I, s:I}", "resident_id",
				   (json_int_t)s->resident_id, "status",
				   cred_status_word(s->status), "revoked", (json_int_t)s->revoked,
				   "log_index", (json_int_t)index));
}

int h_resident_status(struct http_request *rq)
{
	static const char *const allowed[] = {"status", "reason", NULL};
	struct status_st *s;
	const char *w;
	size_t wlen;
	uint64_t id;
	int status, reason;
	json_t *body;

	if (http_param_id(rq, &id) != 0)
		return 0;
	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	if (http_field_string(rq, body, "status", 1, &w, &wlen) != 0)
		goto replied;
	if ((status = cred_status_parse(w, wlen)) < 0) {
		http_error(rq, 400, "bad_status", "The status must be green, yellow or red.");
		goto replied;
	}
	if (http_field_string(rq, body, "reason", 1, &w, &wlen) != 0)
		goto replied;
	if ((reason = policy_reason_parse(w, wlen)) < 0) {
		http_error(rq, 400, "bad_reason", "The reason is not on the list of reason codes.");
		goto replied;
	}
	json_decref(body);

	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = status_free;
	s->resident_id = id;
	s->officer_id = rq->who.account_id;
	s->status = status;
	s->reason = (enum leaf_detail)reason;
	s->leaf.action = ACT_STATUS_SET;
	s->leaf.result = RES_OK;
	s->leaf.detail = s->reason;
	s->leaf.has_subject = 1;
	server_pseudonym(rq->srv, id, s->leaf.subject);
	http_leaf_actor(rq, &s->leaf);
	return http_submit(rq, &s->leaf, 1, status_change, s, status_then);
replied:
	json_decref(body);
	return 0;
}

/* ================================================================ lookup */

struct lookup_st {
	struct leaf leaf;
	int found;
	uint64_t resident_id;
	int status;
	char name[CRED_NAME_MAX + 1];   /* masked */
	char id_number[IDCARD_LEN + 1]; /* masked */
};

static void lookup_free(void *p)
{
	http_state_wipe(p, sizeof(struct lookup_st));
}

static int lookup_then(struct http_request *rq, int rc, uint64_t index)
{
	struct lookup_st *s = rq->state;

	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The look-up could not be recorded.");
	if (!s->found)
		return http_error(rq, 404, "not_found", "No resident has that ID number.");
	return resident_reply_json(
	    rq, 200,
	    json_pack("{s:I, s:s, s:s, s:s, s:I}", "resident_id", (json_int_t)s->resident_id,
		      "name", s->name, "id_number", s->id_number, "status",
		      cred_status_word(s->status), "log_index", (json_int_t)index));
}

int h_lookup(struct http_request *rq)
{
	static const char *const allowed[] = {"id_number", "purpose", NULL};
	struct lookup_st *s = NULL;
	struct store_resident r;
	struct resident_view v;
	uint8_t blind[SEAL_BLIND_BYTES];
	char idn[IDCARD_LEN + 1];
	const char *w;
	size_t wlen;
	int purpose = -1, rc, fr;
	json_t *body;

	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	/* The purpose first: a look-up without one is refused outright (the
	 * auditors' report would flag it, so it must never happen). */
	fr = http_field_string(rq, body, "purpose", 0, &w, &wlen);
	if (fr < 0)
		goto replied;
	if (fr == 1 || (purpose = policy_purpose_parse(w, wlen)) < 0) {
		http_error(rq, 400, "bad_purpose", "A look-up needs a purpose from the list.");
		goto replied;
	}
	if (http_field_string(rq, body, "id_number", 1, &w, &wlen) != 0)
		goto replied;
	if (idcard_normalise(idn, w, wlen, idcard_today()) != 0) {
		http_error(rq, 400, "bad_id_number", "The ID-card number is not valid.");
		goto replied;
	}
	resident_json_wipe(body); /* it held the ID number */
	json_decref(body);
	body = NULL;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		sodium_memzero(idn, sizeof idn);
		return AK_ENOMEM;
	}
	rq->state = s;
	rq->state_free = lookup_free;
	seal_blind_index(rq->srv->kek, blind, idn, IDCARD_LEN);
	sodium_memzero(idn, sizeof idn);
	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");

	rc = store_resident_by_blind(rq->db, blind, &r);
	if (rc == 0)
		s->resident_id = r.id;
	sodium_memzero(&r, sizeof r);
	if (rc == 0) {
		rc = resident_open(rq->srv, rq->db, s->resident_id, &v);
		if (rc == 0) {
			s->found = 1;
			s->status = v.status;
			mask_id_number(s->id_number, v.id_number);
			rc = mask_name(s->name, sizeof s->name, v.name, strlen(v.name));
			memcpy(s->leaf.subject, v.pseudonym, sizeof s->leaf.subject);
			resident_wipe(&v);
			if (rc != 0)
				return rc;
		}
	}
	if (rc != 0 && rc != AK_ENOENT) {
		fprintf(stderr, "ankangd: lookup: a resident record does not open: %s\n",
			ak_strerror(rc));
		return http_error(rq, 500, "internal", "The server failed; the failure is logged.");
	}
	s->leaf.action = ACT_LOOKUP;
	s->leaf.has_subject = s->found;
	s->leaf.result = s->found ? RES_OK : RES_NOT_FOUND;
	s->leaf.detail = (enum leaf_detail)purpose;
	http_leaf_actor(rq, &s->leaf);
	return http_submit(rq, &s->leaf, 1, NULL, NULL, lookup_then);
replied:
	resident_json_wipe(body);
	json_decref(body);
	return 0;
}

/* ============================================================ paper code */

struct paper_st {
	struct leaf leaf;
	int found;
	struct resident_code c; /* the image is rendered before submitting */
};

static void paper_free(void *p)
{
	struct paper_st *s = p;

	if (s == NULL)
		return;
	resident_code_wipe(&s->c);
	http_state_wipe(s, sizeof *s);
}

/* In the writer: the code's row, unless the resident was erased since. */
static int paper_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct paper_st *s = ctx;
	int rc;
	(void)n;

	if (!s->found)
		return 0;
	rc = store_code_add(w, &s->c.code);
	if (rc == AK_ENOENT) {
		s->found = 0;
		l->result = RES_NOT_FOUND;
		l->has_subject = l->has_object = 0;
		memset(l->subject, 0, sizeof l->subject);
		memset(l->object, 0, sizeof l->object);
		return 0;
	}
	return rc;
}

static int paper_then(struct http_request *rq, int rc, uint64_t index)
{
	struct paper_st *s = rq->state;

	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The code could not be recorded.");
	if (!s->found)
		return http_error(rq, 404, "not_found", "No such resident.");
	return resident_code_reply(rq, &s->c, index);
}

int h_paper_code(struct http_request *rq)
{
	static const char *const allowed[] = {"days", NULL};
	struct paper_st *s;
	struct resident_view v;
	const char *fmt = http_query(rq, "format");
	enum resident_code_format format = RESIDENT_CODE_JSON;
	uint64_t id, days = POLICY_PAPER_DEFAULT_DAYS;
	int rc;

	if (http_param_id(rq, &id) != 0)
		return 0;
	if (fmt != NULL) {
		if (strcmp(fmt, "png") == 0)
			format = RESIDENT_CODE_PNG;
		else if (strcmp(fmt, "svg") == 0)
			format = RESIDENT_CODE_SVG;
		else
			return http_error(rq, 400, "bad_query",
					  "Query argument 'format' must be png or svg.");
	}
	/* The body is optional: no body means the default validity. */
	if (rq->body_len > 0) {
		json_t *body = http_json_body(rq, allowed);
		int fr;
		if (body == NULL)
			return 0;
		fr = http_field_uint(rq, body, "days", 0, &days);
		json_decref(body);
		if (fr < 0)
			return 0;
		if (days < 1 || days > POLICY_PAPER_MAX_DAYS)
			return http_error(rq, 400, "bad_field", "Field 'days' must be 1 to 31.");
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = paper_free;
	s->c.format = format;
	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");

	s->leaf.action = ACT_PRINT_CODE;
	s->leaf.detail = DET_PAPER_CODE;
	http_leaf_actor(rq, &s->leaf);
	rc = resident_open(rq->srv, rq->db, id, &v);
	if (rc == AK_ENOENT) {
		s->leaf.result = RES_NOT_FOUND;
		return http_submit(rq, &s->leaf, 1, paper_change, s, paper_then);
	}
	if (rc != 0) {
		fprintf(stderr, "ankangd: paper-code: a resident record does not open: %s\n",
			ak_strerror(rc));
		return http_error(rq, 500, "internal", "The server failed; the failure is logged.");
	}
	/* Signed before submitting: the writer's transaction does no crypto. */
	rc = resident_issue(rq->srv, &v, days * 86400u, 1, s->c.text, &s->c.code);
	if (rc >= 0) {
		memcpy(s->c.name, v.name, sizeof s->c.name);
		memcpy(s->leaf.subject, v.pseudonym, sizeof s->leaf.subject);
	}
	resident_wipe(&v);
	if (rc < 0)
		return rc;
	if ((rc = resident_code_draw(&s->c)) != 0)
		return rc;
	s->found = 1;
	s->leaf.result = RES_OK;
	s->leaf.has_subject = 1;
	s->leaf.has_object = 1;
	memcpy(s->leaf.object, s->c.code.cti, sizeof s->leaf.object);
	return http_submit(rq, &s->leaf, 1, paper_change, s, paper_then);
}
