/*
 * appeals: a resident contests their status and an officer answers
 * (docs/API.md, "Appeals"; schema/004_appeals.sql).
 *
 *   POST /v1/me/appeals                 open one        leaf `appeal_open`
 *   GET  /v1/me/appeals                 my appeals      leaf `appeals_read`
 *   GET  /v1/appeals?state=...          officers' list  a leaf `appeal_list`
 *                                                       per appeal shown
 *   GET  /v1/appeals/{appeal}           one, its text   leaf `appeal_read`
 *   POST /v1/appeals/{appeal}/answer    the answer      leaf `appeal_answer`
 *                                       (upheld: and `status_set`)
 *
 * An appeal is named by its handle, "apl_" and 32 hex digits (random, as
 * a resident's "res_" handle is). Its text is the resident's words: it is
 * sealed under the resident's data key before it is stored (record.h,
 * record_seal_field), padded to the longest text so its sealed length
 * says nothing, with the appeal's handle in its associated data so it
 * opens only as that appeal's text; and it is opened only for the
 * resident (appeals_read) and for an officer reading that one appeal
 * (appeal_read), each under its leaf. The officers' list shows no text,
 * only the masked name, and each appeal in it is an access to its
 * resident's data: one leaf each, with the resident's pseudonym, so the
 * resident's own list of accesses shows that an officer saw the appeal.
 *
 * Upholding changes the status in the same transaction as the answer,
 * with reason appeal_upheld and the outstanding codes revoked, as any
 * status change (h_residents.c): two leaves, appeal_answer then
 * status_set, and the status's index is the second's. An answer that
 * lost a race to another (answered between the read and the write) rolls
 * back whole and is answered 503 overlapped; asked again, 409.
 *
 * Deadline: an appeal is due --appeal-deadline seconds after it opened;
 * unanswered past that, it is overdue (the officers' list says so, and
 * the auditors' report counts it against the team of the officer who set
 * the status appealed: h_audit_report.c).
 *
 * Never: log, print or put in an error the text or a name; keep either
 * past the request (states are wiped on free).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/account_names.h"
#include "service/http/appeals.h"
#include "service/http/request.h"
#include "service/lists.h"
#include "service/mask.h"
#include "service/policy.h"
#include "service/record.h"

#define APPEAL_PREFIX      "apl_"
#define APPEAL_PREFIX_LEN  4
#define APPEAL_HANDLE_TEXT (APPEAL_PREFIX_LEN + 2 * STORE_HANDLE_BYTES + 1)
/* The text is padded to one length: the longest, and a byte of padding. */
#define APPEAL_PAD (POLICY_APPEAL_TEXT_BYTES + 1)
/* "appeal_text:" and the handle in hex: the sealed text's field name. */
#define APPEAL_FIELD_TEXT (12 + 2 * STORE_HANDLE_BYTES + 1)
/* An officers' list shows at most this many appeals (?limit=). */
#define APPEAL_LIST_DEFAULT 50
#define APPEAL_LIST_MAX     200

_Static_assert(APPEAL_PAD + SEAL_OVERHEAD == STORE_SEALED_APPEAL_BYTES, "sealed appeal text");
_Static_assert(APPEAL_PAD <= SEAL_FIELD_MAX, "an appeal's text seals as a field");

/* ------------------------------------------------------------- helpers */

static void appeal_handle_text(char out[APPEAL_HANDLE_TEXT], const uint8_t h[STORE_HANDLE_BYTES])
{
	memcpy(out, APPEAL_PREFIX, APPEAL_PREFIX_LEN);
	util_hex_encode(out + APPEAL_PREFIX_LEN, h, STORE_HANDLE_BYTES);
}

/* The name the sealed text's associated data gives it. */
static void appeal_field(char out[APPEAL_FIELD_TEXT], const uint8_t h[STORE_HANDLE_BYTES])
{
	memcpy(out, "appeal_text:", 12);
	util_hex_encode(out + 12, h, STORE_HANDLE_BYTES);
}

/* The appeal the path names: API_OK, or API_NO_APPEAL (a malformed
 * handle is no appeal). */
static enum api_error appeal_param(struct request *rq, uint8_t out[STORE_HANDLE_BYTES])
{
	const char *p = rq->param;

	if (strlen(p) != APPEAL_HANDLE_TEXT - 1 ||
	    memcmp(p, APPEAL_PREFIX, APPEAL_PREFIX_LEN) != 0 ||
	    util_hex_decode_lower(out, STORE_HANDLE_BYTES, p + APPEAL_PREFIX_LEN,
				  2 * STORE_HANDLE_BYTES) != 0)
		return API_NO_APPEAL;
	return API_OK;
}

static const char *decision_word(enum store_appeal_decision d)
{
	return d == STORE_APPEAL_UPHELD ? "upheld" : d == STORE_APPEAL_REJECTED ? "rejected" : NULL;
}

static json_t *word_or_null(const char *w)
{
	return w != NULL ? json_string(w) : json_null();
}

/* An appeal's fields every answer shows (the officer's label and the
 * text are added by the caller that may show them). */
static json_t *appeal_json(const struct store_appeal *a, uint64_t now)
{
	char h[APPEAL_HANDLE_TEXT];
	int open = a->decision == STORE_APPEAL_OPEN;

	appeal_handle_text(h, a->handle);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:b}", "appeal", h, "state",
			 open ? "open" : "answered", "reason", leaf_detail_word((int)a->reason),
			 "appealed_status", cred_status_word((enum cred_status)a->status), "opened",
			 (json_int_t)a->opened, "due", (json_int_t)a->due, "answered",
			 open ? json_null() : json_integer((json_int_t)a->answered), "decision",
			 word_or_null(decision_word(a->decision)), "answer_reason",
			 word_or_null(open ? NULL : leaf_detail_word((int)a->answer_reason)),
			 "overdue", open && now > a->due);
}

/* Opens a's text into out (APPEAL_PAD + 1 bytes) under leaf, whose
 * subject becomes the resident's. "" for an erased resident's. */
static int open_text(struct request *rq, const struct store_appeal *a, struct leaf *leaf, char *out)
{
	char field[APPEAL_FIELD_TEXT];

	out[0] = '\0';
	if (!a->has_text)
		return AK_ENOENT;
	appeal_field(field, a->handle);
	return record_open_field(app_record_keys(rq->app), rq->db, a->resident_id, leaf, field,
				 a->text, sizeof a->text, APPEAL_PAD, out, APPEAL_PAD + 1);
}

/* ====================================================== POST /v1/me/appeals */

struct open_st {
	struct store_appeal a;
	int conflict; /* the writer found an open appeal: 409 */
};

static int open_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct open_st *s = state;
	uint64_t id;
	int rc;
	(void)n;
	(void)first;

	rc = store_appeal_add(w, &s->a, &id);
	if (rc == AK_ECONFLICT) {
		/* Another appeal opened since the read: refused, and logged. */
		s->conflict = 1;
		l->result = RES_DENIED;
		return 0;
	}
	return rc;
}

static enum api_error appeal_open(struct request *rq)
{
	static const char *const allowed[] = {"reason", "text", NULL};
	struct open_st *s = rq->state;
	char field[APPEAL_FIELD_TEXT];
	const char *w, *text;
	size_t wlen, tlen = 0;
	enum api_error e;
	int reason, rc;

	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "reason", 1, &w, &wlen)) != API_OK)
		return e;
	if ((reason = policy_appeal_reason_parse(w, wlen)) < 0)
		return API_BAD_APPEAL_REASON;
	if ((e = request_string(rq, "text", 0, &text, &tlen)) != API_OK)
		return e;
	if (text == NULL) {
		text = "";
		tlen = 0;
	}
	if (!policy_appeal_text_valid(text, tlen))
		return API_BAD_APPEAL_TEXT;

	if ((rc = store_appeal_open_of(rq->db, rq->who.resident_id)) == 1)
		return API_APPEAL_OPEN;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "looking for an open appeal", rc);
	randombytes_buf(s->a.handle, sizeof s->a.handle);
	appeal_field(field, s->a.handle);
	rc = record_seal_field(app_record_keys(rq->app), rq->db, rq->who.resident_id, field, text,
			       tlen, APPEAL_PAD, s->a.text);
	if (rc == AK_ENOENT)
		return API_NO_RESIDENT;
	if (rc != 0)
		return request_fault(rq, API_INTERNAL, "sealing an appeal", rc);
	s->a.has_text = 1;
	s->a.resident_id = rq->who.resident_id;
	s->a.reason = (enum leaf_detail)reason;
	s->a.opened = rq->now;
	s->a.due = rq->now + app_config(rq->app)->appeal_deadline;

	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = s->a.reason;
	rq->op.change = open_change;
	return API_OK;
}

static enum api_error appeal_open_answer(struct request *rq, uint64_t index)
{
	struct open_st *s = rq->state;
	char h[APPEAL_HANDLE_TEXT];

	if (s->conflict)
		return API_APPEAL_OPEN;
	appeal_handle_text(h, s->a.handle);
	return reply_json(rq, 201,
			  json_pack("{s:s, s:s, s:I, s:I}", "appeal", h, "state", "open", "due",
				    (json_int_t)s->a.due, "log_index", (json_int_t)index));
}

/* ======================================================= GET /v1/me/appeals */

struct mine_walk {
	struct request *rq;
	json_t *list;
	struct account_names names;
};

static int mine_row(void *ctx, const struct store_appeal *a)
{
	struct mine_walk *w = ctx;
	char *text = sodium_malloc(APPEAL_PAD + 1);
	json_t *e = NULL, *officer;
	int rc;

	if (text == NULL)
		return AK_ENOMEM;
	/* An erased resident's appeal has no text; a live one's always has. */
	rc = open_text(w->rq, a, &w->rq->leaf, text);
	if (rc == 0 || rc == AK_ENOENT) {
		officer = a->officer_id == LEAF_NO_ID
			      ? json_null()
			      : account_names_get(&w->names, ROLE_OFFICER, a->officer_id);
		e = appeal_json(a, w->rq->now);
		rc = e != NULL && officer != NULL &&
			     json_object_set_new(e, "text", json_string(text)) == 0 &&
			     json_object_set(e, "officer", officer) == 0 &&
			     json_array_append(w->list, e) == 0
			 ? 0
			 : AK_ENOMEM;
		json_decref(officer);
		json_decref(e);
	}
	sodium_free(text); /* wiped by sodium_free */
	return rc;
}

int appeals_mine_json(struct request *rq, json_t **out)
{
	struct mine_walk w;
	int rc;

	*out = NULL;
	memset(&w, 0, sizeof w);
	if ((w.list = json_array()) == NULL)
		return AK_ENOMEM;
	w.rq = rq;
	account_names_init(&w.names, rq->db);
	rc = store_appeals_of(rq->db, rq->who.resident_id, mine_row, &w);
	account_names_clear(&w.names);
	if (rc != 0) {
		json_decref(w.list);
		return rc;
	}
	*out = w.list;
	return 0;
}

static enum api_error appeals_mine(struct request *rq)
{
	struct request_list_st *s = rq->state;
	int rc;

	if ((rc = appeals_mine_json(rq, &s->list)) != 0)
		return request_fault(
		    rq, rc == AK_ENOMEM || rc == AK_ECRYPTO ? API_INTERNAL : API_UNAVAILABLE,
		    "listing appeals", rc);
	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	return API_OK;
}

static enum api_error appeals_mine_answer(struct request *rq, uint64_t index)
{
	return reply_list(rq, "appeals", ((struct request_list_st *)rq->state)->list, index);
}

/* ========================================================= GET /v1/appeals */

struct list_st {
	json_t *list;
	uint64_t now;
	struct leaf *leaves;
	size_t n, cap;
	struct list_item {
		uint64_t resident_id, opened;
		json_t *e;
	} * items;
};

static void list_free(void *p)
{
	struct list_st *s = p;

	json_decref(s->list);
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->items[i].e);
	free(s->items);
	free(s->leaves);
}

static int list_row(void *ctx, const struct store_appeal *a)
{
	struct list_st *s = ctx;
	char rh[REQUEST_HANDLE_TEXT];
	json_t *e;

	if (s->n == s->cap)
		return AK_ETOOBIG;
	if ((e = appeal_json(a, s->now)) == NULL)
		return AK_ENOMEM;
	request_handle_text(rh, a->resident_handle);
	s->items[s->n].resident_id = a->resident_id;
	s->items[s->n].opened = a->opened;
	s->items[s->n].e = e;
	s->n++;
	if (json_object_set_new(e, "resident", json_string(rh)) != 0 ||
	    json_object_set_new(
		e, "status", json_string(cred_status_word((enum cred_status)a->resident_status))) !=
		0 ||
	    json_object_set_new(e, "team", a->team[0] ? json_string(a->team) : json_null()) != 0)
		return AK_ENOMEM;
	return 0;
}

/* The masked name, opened under the appeal's own leaf, and the age. */
static int list_finish_item(struct request *rq, struct list_item *it, struct leaf *leaf)
{
	struct record_view v;
	char masked[CRED_NAME_MAX + 1];
	uint64_t o = it->opened;
	int rc;

	authz_leaf(&rq->who, ACT_APPEAL_LIST, leaf);
	leaf->result = RES_OK;
	leaf->detail = DET_APPEAL_REVIEW;
	rc = record_open_name(app_record_keys(rq->app), rq->db, it->resident_id, leaf, &v);
	if (rc != 0)
		return rc;
	rc = mask_name(masked, sizeof masked, v.name, strlen(v.name));
	record_wipe(&v);
	if (rc != 0)
		return rc;
	if (json_object_set_new(it->e, "name", json_string(masked)) != 0 ||
	    json_object_set_new(it->e, "age",
				json_integer((json_int_t)(rq->now > o ? rq->now - o : 0))) != 0)
		rc = AK_ENOMEM;
	sodium_memzero(masked, sizeof masked);
	return rc;
}

static enum api_error appeals_list(struct request *rq)
{
	struct list_st *s = rq->state;
	const char *state = request_query(rq, "state");
	enum store_appeal_state which = STORE_APPEALS_OPEN;
	uint64_t limit = APPEAL_LIST_DEFAULT;
	enum api_error e;
	int rc, has_limit;

	if (state != NULL) {
		if (strcmp(state, "open") == 0)
			which = STORE_APPEALS_OPEN;
		else if (strcmp(state, "answered") == 0)
			which = STORE_APPEALS_ANSWERED;
		else if (strcmp(state, "all") == 0)
			which = STORE_APPEALS_ALL;
		else
			return API_BAD_APPEAL_STATE;
	}
	if ((e = request_query_uint(rq, "limit", &limit, &has_limit)) != API_OK)
		return e;
	if (limit == 0)
		return API_BAD_LIMIT;
	if (limit > APPEAL_LIST_MAX)
		limit = APPEAL_LIST_MAX;
	s->cap = (size_t)limit;
	s->now = rq->now;
	if ((s->items = calloc(s->cap, sizeof *s->items)) == NULL ||
	    (s->leaves = calloc(s->cap, sizeof *s->leaves)) == NULL)
		return request_fault(rq, API_INTERNAL, "listing appeals", AK_ENOMEM);
	rc = store_appeals_list(rq->db, which, s->cap, list_row, s);
	if (rc != 0)
		return request_fault(rq, rc == AK_ENOMEM ? API_INTERNAL : API_UNAVAILABLE,
				     "listing appeals", rc);
	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing appeals", AK_ENOMEM);
	for (size_t i = 0; i < s->n; i++) {
		if ((rc = list_finish_item(rq, &s->items[i], &s->leaves[i])) != 0)
			return request_fault(rq, API_INTERNAL, "opening a record", rc);
		if (json_array_append(s->list, s->items[i].e) != 0)
			return request_fault(rq, API_INTERNAL, "listing appeals", AK_ENOMEM);
	}
	/* One leaf per appeal shown, each with its resident's pseudonym; an
	 * empty list showed no one, and says so in one leaf about nobody. */
	if (s->n > 0) {
		rq->op.leaves = s->leaves;
		rq->op.n = s->n;
	} else {
		rq->leaf.result = RES_OK;
		rq->leaf.detail = DET_APPEAL_REVIEW;
	}
	return API_OK;
}

static enum api_error appeals_list_answer(struct request *rq, uint64_t index)
{
	return reply_list(rq, "appeals", ((struct list_st *)rq->state)->list, index);
}

/* ================================================= GET /v1/appeals/{appeal} */

struct one_st {
	json_t *e; /* NULL: no such appeal (logged not_found) */
};

static void one_free(void *p)
{
	json_decref(((struct one_st *)p)->e);
}

static enum api_error appeal_one(struct request *rq)
{
	struct one_st *s = rq->state;
	struct store_appeal *a = NULL;
	struct record_view v;
	struct account_names names;
	uint8_t handle[STORE_HANDLE_BYTES];
	char rh[REQUEST_HANDLE_TEXT], masked[CRED_NAME_MAX + 1], *text = NULL;
	enum api_error e = API_OK;
	int rc;

	rq->leaf.detail = DET_APPEAL_REVIEW;
	rq->leaf.result = RES_NOT_FOUND;
	if (appeal_param(rq, handle) != API_OK)
		return API_OK; /* recorded as not_found, answered 404 */
	if ((a = malloc(sizeof *a)) == NULL || (text = sodium_malloc(APPEAL_PAD + 1)) == NULL) {
		e = request_fault(rq, API_INTERNAL, "reading an appeal", AK_ENOMEM);
		goto out;
	}
	rc = store_appeal_by_handle(rq->db, handle, a);
	if (rc == AK_ENOENT || (rc == 0 && a->resident_erased))
		goto out;
	if (rc != 0) {
		e = request_fault(rq, API_UNAVAILABLE, "reading an appeal", rc);
		goto out;
	}
	rc = record_open_name(app_record_keys(rq->app), rq->db, a->resident_id, &rq->leaf, &v);
	if (rc == 0) {
		rc = mask_name(masked, sizeof masked, v.name, strlen(v.name));
		record_wipe(&v);
	}
	if (rc == 0)
		rc = open_text(rq, a, &rq->leaf, text);
	if (rc == AK_ENOENT)
		goto out; /* erased since the read */
	if (rc != 0) {
		e = request_fault(rq, API_INTERNAL, "opening an appeal", rc);
		goto out;
	}
	request_handle_text(rh, a->resident_handle);
	account_names_init(&names, rq->db);
	if ((s->e = appeal_json(a, rq->now)) == NULL ||
	    json_object_set_new(s->e, "resident", json_string(rh)) != 0 ||
	    json_object_set_new(s->e, "name", json_string(masked)) != 0 ||
	    json_object_set_new(
		s->e, "status",
		json_string(cred_status_word((enum cred_status)a->resident_status))) != 0 ||
	    json_object_set_new(
		s->e, "age",
		json_integer((json_int_t)(rq->now > a->opened ? rq->now - a->opened : 0))) != 0 ||
	    json_object_set_new(s->e, "team", a->team[0] ? json_string(a->team) : json_null()) !=
		0 ||
	    json_object_set_new(s->e, "officer",
				a->officer_id == LEAF_NO_ID
				    ? json_null()
				    : account_names_get(&names, ROLE_OFFICER, a->officer_id)) !=
		0 ||
	    json_object_set_new(s->e, "text", json_string(text)) != 0)
		e = request_fault(rq, API_INTERNAL, "reading an appeal", AK_ENOMEM);
	account_names_clear(&names);
	if (e == API_OK)
		rq->leaf.result = RES_OK;
out:
	sodium_memzero(masked, sizeof masked);
	if (a != NULL)
		sodium_memzero(a, sizeof *a);
	free(a);
	sodium_free(text);
	return e;
}

static enum api_error appeal_one_answer(struct request *rq, uint64_t index)
{
	struct one_st *s = rq->state;

	if (s->e == NULL)
		return API_NO_APPEAL;
	if (json_object_set_new(s->e, "log_index", json_integer((json_int_t)index)) != 0)
		return request_fault(rq, API_INTERNAL, "answering", AK_ENOMEM);
	return reply_json(rq, 200, json_incref(s->e));
}

/* ========================================= POST /v1/appeals/{appeal}/answer */

struct answer_st {
	uint64_t appeal_id, resident_id, officer_id, now, revoked;
	uint8_t handle[STORE_HANDLE_BYTES];
	enum store_appeal_decision decision;
	enum leaf_detail reason;
	int status; /* the new status, when upheld */
	struct leaf leaves[2];
};

/* In the writer: the answer, and when upheld the status, its history row
 * and the revocations, all with the leaves or none of them. */
static int answer_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct answer_st *s = state;
	struct store_status_change c;
	int rc;
	(void)l;
	(void)n;

	rc = store_appeal_answer(w, s->appeal_id, s->now, s->decision, s->reason, s->officer_id);
	if (rc == AK_ENOENT)
		return AK_ECONFLICT; /* answered since the read: 503 overlapped */
	if (rc != 0 || s->decision != STORE_APPEAL_UPHELD)
		return rc;
	assert(n == 2);
	/* The status is set by the second leaf, status_set. */
	if ((rc = store_resident_set_status(w, s->resident_id, s->status, s->now, first + 1)) != 0)
		return rc;
	c.time = s->now;
	c.status = s->status;
	c.reason = leaf_detail_word(DET_APPEAL_UPHELD);
	c.officer_id = s->officer_id;
	if ((rc = store_status_history_add(w, s->resident_id, &c)) != 0)
		return rc;
	return store_codes_revoke(w, s->resident_id, s->now, &s->revoked);
}

static enum api_error appeal_answer(struct request *rq)
{
	static const char *const allowed[] = {"decision", "reason", "status", NULL};
	struct answer_st *s = rq->state;
	struct store_appeal *a;
	const char *w;
	size_t wlen;
	enum api_error e;
	int reason, st = CRED_GREEN, rc;

	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "decision", 1, &w, &wlen)) != API_OK)
		return e;
	if (wlen == 6 && memcmp(w, "upheld", 6) == 0)
		s->decision = STORE_APPEAL_UPHELD;
	else if (wlen == 8 && memcmp(w, "rejected", 8) == 0)
		s->decision = STORE_APPEAL_REJECTED;
	else
		return API_BAD_DECISION;
	if ((e = request_string(rq, "reason", 1, &w, &wlen)) != API_OK)
		return e;
	if ((reason = policy_appeal_answer_parse(s->decision == STORE_APPEAL_UPHELD, w, wlen)) < 0)
		return API_BAD_ANSWER_REASON;
	if ((e = request_string(rq, "status", 0, &w, &wlen)) != API_OK)
		return e;
	if (w != NULL &&
	    (s->decision != STORE_APPEAL_UPHELD || (st = cred_status_parse(w, wlen)) < 0))
		return API_BAD_STATUS;
	if (appeal_param(rq, s->handle) != API_OK)
		return API_NO_APPEAL;

	if ((a = malloc(sizeof *a)) == NULL)
		return request_fault(rq, API_INTERNAL, "reading an appeal", AK_ENOMEM);
	rc = store_appeal_by_handle(rq->db, s->handle, a);
	if (rc == 0 && a->resident_erased)
		rc = AK_ENOENT;
	if (rc == 0) {
		s->appeal_id = a->id;
		s->resident_id = a->resident_id;
		if (a->decision != STORE_APPEAL_OPEN)
			rc = AK_ECONFLICT;
	}
	sodium_memzero(a, sizeof *a);
	free(a);
	if (rc == AK_ENOENT)
		return API_NO_APPEAL;
	if (rc == AK_ECONFLICT)
		return API_APPEAL_CLOSED;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading an appeal", rc);

	s->officer_id = rq->who.account_id;
	s->reason = (enum leaf_detail)reason;
	s->status = st;
	s->now = rq->now;
	request_subject(rq, s->resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = s->reason;
	s->leaves[0] = rq->leaf;
	rq->op.leaves = s->leaves;
	rq->op.n = 1;
	if (s->decision == STORE_APPEAL_UPHELD) {
		authz_leaf(&rq->who, ACT_STATUS_SET, &s->leaves[1]);
		s->leaves[1].has_subject = 1;
		memcpy(s->leaves[1].subject, rq->leaf.subject, sizeof rq->leaf.subject);
		s->leaves[1].result = RES_OK;
		s->leaves[1].detail = DET_APPEAL_UPHELD;
		rq->op.n = 2;
	}
	rq->op.change = answer_change;
	return API_OK;
}

static enum api_error appeal_answer_answer(struct request *rq, uint64_t index)
{
	struct answer_st *s = rq->state;
	char h[APPEAL_HANDLE_TEXT];
	json_t *j;

	appeal_handle_text(h, s->handle);
	j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "appeal", h, "state", "answered", "decision",
		      decision_word(s->decision), "reason", leaf_detail_word((int)s->reason),
		      "log_index", (json_int_t)index);
	if (j != NULL && s->decision == STORE_APPEAL_UPHELD) {
		/* Durable: the revocation list may now be re-signed. */
		lists_changed(app_lists(rq->app));
		if (json_object_set_new(
			j, "status", json_string(cred_status_word((enum cred_status)s->status))) !=
			0 ||
		    json_object_set_new(j, "revoked", json_integer((json_int_t)s->revoked)) != 0) {
			json_decref(j);
			j = NULL;
		}
	}
	return reply_json(rq, 200, j);
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_me_appeal_open = {appeal_open, appeal_open_answer,
					       sizeof(struct open_st), NULL};
const struct route_handler h_me_appeals = {appeals_mine, appeals_mine_answer,
					   sizeof(struct request_list_st), request_list_free};
const struct route_handler h_appeals = {appeals_list, appeals_list_answer, sizeof(struct list_st),
					list_free};
const struct route_handler h_appeal = {appeal_one, appeal_one_answer, sizeof(struct one_st),
				       one_free};
const struct route_handler h_appeal_answer = {appeal_answer, appeal_answer_answer,
					      sizeof(struct answer_st), NULL};
