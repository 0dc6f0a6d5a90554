/*
 * enroll: POST /v1/enroll (docs/API.md), a resident's enrolment.
 *
 *   {"name", "id_number", "phone"?, "passphrase"}
 *     -> 201 {"resident": "res_...", "status": "green", "log_index"}
 *
 * Who may enrol (anyone, or officers only with --enroll officer) is
 * authz.c's rule, the per-address limit limits.c's; both run before this.
 * Every field is validated here, the passphrase hashed with Argon2id on
 * the server thread (slow work stays out of the writer), and then one
 * audit operation whose change inserts the row, seals the fields
 * (record_create) and names the new resident's pseudonym in the `enroll`
 * leaf. A duplicate ID number is audited too (result denied, subject "-":
 * the existing resident is not read to find theirs) and answered 409.
 *
 * A household member whom a guardian added before they enrolled has a
 * sealed record without a passphrase (h_household.c): enrolling with that
 * ID number and the same name claims it (record_claim) rather than being
 * refused as a duplicate. The record keeps its handle, status and links;
 * the answer is 201 with that status, the leaf `enroll` with the record's
 * pseudonym. A different name is a duplicate, as for anyone enrolled.
 *
 * Dates of birth: idcard_normalise refuses one after today, and today
 * (idcard_today) is the server's local date (run the service with
 * TZ=Asia/Shanghai to judge by Beijing time, as the ID numbers do).
 *
 * Never: echo a field in an error, keep the clear fields or the
 * passphrase past the request (the state is wiped, and so is the parsed
 * body, like all of jansson's memory).
 */
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/request.h"
#include "service/passphrase.h"
#include "service/record.h"

struct enroll_st {
	const struct record_keys *keys;
	struct record_view v;               /* name, id_number, phone in the clear */
	char passhash[PASSPHRASE_HASH_MAX]; /* Argon2id string */
	uint64_t now, id;
	uint8_t handle[STORE_HANDLE_BYTES];
	int duplicate;
	int status; /* enum cred_status: green, or a claimed record's */
};

/* In the writer, inside the operation's savepoint. */
static int enroll_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct enroll_st *s = state;
	int rc;
	(void)n;

	rc = record_create(s->keys, w, &s->v, s->passhash, s->now, first, &s->id, s->handle);
	if (rc == AK_ECONFLICT &&
	    (rc = record_claim(s->keys, w, &s->v, s->passhash, &s->id, s->handle, &s->status)) == 0)
		l->detail = leaf_detail_of_status(s->status);
	/* The clear fields are sealed (or refused): they go now. */
	record_wipe(&s->v);
	sodium_memzero(s->passhash, sizeof s->passhash);
	if (rc == AK_ECONFLICT) {
		s->duplicate = 1;
		l->result = RES_DENIED;
		l->detail = DET_EMPTY;
		l->has_subject = 0;
		return 0; /* the attempt is recorded; nothing was written */
	}
	if (rc != 0)
		return rc;
	seal_pseudonym(s->keys->kek, l->subject, s->id);
	l->has_subject = 1;
	return 0;
}

/* Copies the validated fields into s->v. */
static enum api_error fields(struct request *rq, struct enroll_st *s, const char **pw,
			     size_t *pwlen)
{
	const char *v;
	size_t len;
	enum api_error e;
	int rc;

	if ((e = request_string(rq, "name", 1, &v, &len)) != API_OK)
		return e;
	/* The NFC form is what is sealed and later printed in codes. */
	rc = policy_name_normalise(s->v.name, sizeof s->v.name, v, len, NULL);
	if (rc == AK_ENOMEM)
		return request_fault(rq, API_INTERNAL, "normalising a name", rc);
	if (rc != 0)
		return API_BAD_NAME;

	if ((e = request_string(rq, "id_number", 1, &v, &len)) != API_OK)
		return e;
	if (idcard_normalise(s->v.id_number, v, len, idcard_today()) != 0)
		return API_BAD_ID_NUMBER;

	if ((e = request_string(rq, "phone", 0, &v, &len)) != API_OK)
		return e;
	if (v != NULL) {
		if (!policy_phone_valid(v, len))
			return API_BAD_PHONE;
		memcpy(s->v.phone, v, len);
		s->v.phone[len] = '\0';
	}

	if ((e = request_string(rq, "passphrase", 1, pw, pwlen)) != API_OK)
		return e;
	if (!policy_passphrase_valid(*pw, *pwlen))
		return API_BAD_PASSPHRASE;
	return API_OK;
}

static enum api_error enroll(struct request *rq)
{
	static const char *const allowed[] = {"name", "id_number", "phone", "passphrase", NULL};
	struct enroll_st *s = rq->state;
	const char *pw = NULL;
	size_t pwlen = 0;
	enum api_error e;
	int rc;

	if ((e = request_json(rq, allowed)) != API_OK || (e = fields(rq, s, &pw, &pwlen)) != API_OK)
		return e;
	if ((rc = passphrase_hash(s->passhash, pw, pwlen)) != 0)
		return request_fault(rq, API_INTERNAL, "hashing a passphrase", rc);
	s->keys = app_record_keys(rq->app);
	s->now = rq->now;
	s->status = CRED_GREEN;
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_GREEN; /* the status every resident starts with */
	rq->op.change = enroll_change;
	return API_OK;
}

static enum api_error enroll_answer(struct request *rq, uint64_t index)
{
	struct enroll_st *s = rq->state;
	char handle[REQUEST_HANDLE_TEXT];

	if (s->duplicate)
		return API_DUPLICATE;
	request_handle_text(handle, s->handle);
	return reply_json(rq, 201,
			  json_pack("{s:s, s:s, s:I}", "resident", handle, "status",
				    cred_status_word(s->status), "log_index", (json_int_t)index));
}

const struct route_handler h_enroll = {enroll, enroll_answer, sizeof(struct enroll_st), NULL};
