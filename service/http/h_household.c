/*
 * household: a guardian's household members, whose codes the guardian may
 * show (docs/API.md, "Household"; schema/005_household.sql).
 *
 *   POST   /v1/me/household                   add a member   leaf household_add
 *   GET    /v1/me/household                   my members     household_list, one a member
 *   GET    /v1/me/household/{member}/code     (.png, .svg)   issue, in the member's log
 *   GET    /v1/me/household/{member}/accesses the member's   accesses_read
 *   DELETE /v1/me/household/{member}         remove         household_remove
 *   GET    /v1/me/guardians                   who may show mine  household_list, one each
 *   DELETE /v1/me/guardians/{link}            withdraw       household_remove
 *   GET    /v1/household/pending              (officer)      household_list, two a link
 *   POST   /v1/household/{link}/confirm       (officer)      household_confirm
 *
 * A link is named by one random handle (32 lowercase hex digits): the
 * guardian calls it `member`, the member `link`. Each handler looks the
 * link up from the side of the caller (the guardian's own links, or the
 * member's own), so a handle of someone else's link, a removed one or a
 * resident's handle finds nothing: 404.
 *
 * Consent. A child under 14 by the ID number's date of birth (on the
 * service's date: idcard_today) is added active: the guardian decides for
 * them. An adult is active at once only with their own passphrase
 * (checked like a log-in, under the same per-account limits: a wrong one
 * counts as a failed log-in on the member's account); else the link is
 * pending until an officer confirms, stating the purpose
 * household_consent. Only an active link gives codes and accesses.
 *
 * A member who never enrolled gets a sealed record without a passphrase
 * (record_create with no hash), in the same operation as the link and the
 * household_add leaf; enrolling later with the same ID number and name
 * claims it (h_enroll.c, record_claim). A member who is enrolled must be
 * named as enrolled: the name given is held against the sealed one, and a
 * mismatch is refused (recorded as denied in the member's log).
 *
 * The log. Whatever the guardian does with a member's data is a leaf in
 * the MEMBER's log (subject: the member's pseudonym) with the guardian as
 * actor, `resident:<guardian's pseudonym>` (FORMAT.md 3.1): so the
 * member's own access list shows every display of their code. A member
 * withdrawing consent acts on their own data: `resident:-`. A list shows
 * masked names, and every name it unseals has its leaf.
 *
 * Removal and withdrawal delete the link in the writer's transaction; a
 * code request checks, in the writer, that its link is still there and
 * active, so no code is handed out after the removal committed.
 *
 * Never: put a name, an ID number or a passphrase in a leaf, an error or
 * the operator's log; keep them past the request (states are wiped).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/accesses.h"
#include "service/http/code_answer.h"
#include "service/http/request.h"
#include "service/idcard.h"
#include "service/limits.h"
#include "service/mask.h"
#include "service/passphrase.h"
#include "service/policy.h"
#include "service/record.h"

/* Under this age (in years, by the ID number's date of birth) a member is
 * a child whom the guardian adds without their consent. */
#define HOUSEHOLD_CHILD_AGE 14
/* Officers' list of pending links: at most this many, oldest first. */
#define PENDING_MAX 50

/* ------------------------------------------------------------- helpers */

/* A link handle in the path: 32 lowercase hex digits. 0 or AK_ENOENT. */
static int link_handle(struct request *rq, uint8_t out[STORE_HANDLE_BYTES])
{
	return strlen(rq->param) == 2 * STORE_HANDLE_BYTES &&
		       util_hex_decode_lower(out, STORE_HANDLE_BYTES, rq->param,
					     2 * STORE_HANDLE_BYTES) == 0
		   ? 0
		   : AK_ENOENT;
}

static void handle_hex(char out[2 * STORE_HANDLE_BYTES + 1], const uint8_t h[STORE_HANDLE_BYTES])
{
	util_hex_encode(out, h, STORE_HANDLE_BYTES);
}

/*
 * The link the path names, seen from the caller: as guardian (member 0)
 * or as member (member 1). 0 with *l, AK_ENOENT (no such link, or not the
 * caller's), or a store error.
 */
static int my_link(struct request *rq, int as_member, struct store_link *l)
{
	uint8_t h[STORE_HANDLE_BYTES];
	int rc;

	if (link_handle(rq, h) != 0)
		return AK_ENOENT;
	if ((rc = store_link_by_handle(rq->db, h, l)) != 0)
		return rc;
	if ((as_member ? l->member_id : l->guardian_id) != rq->who.resident_id)
		return AK_ENOENT;
	return 0;
}

/* The leaf acts for the caller by their pseudonym: a resident acting on
 * another resident's data (FORMAT.md 3.1). */
static void act_by_pseudonym(struct request *rq, struct leaf *l)
{
	seal_pseudonym(app_kek(rq->app), l->actor_pseudonym, rq->who.resident_id);
	l->has_actor_pseudonym = 1;
}

static const char *state_word(const struct store_link *l)
{
	return l->active ? "active" : "pending";
}

/* The masked name of resident id, opened with leaf l (its subject set to
 * the resident's pseudonym), into out; *status may be NULL. */
static int masked_name(struct request *rq, uint64_t id, struct leaf *l, char *out, size_t cap,
		       int *status)
{
	struct record_view v;
	int rc;

	if ((rc = record_open_name(app_record_keys(rq->app), rq->db, id, l, &v)) != 0)
		return rc;
	rc = mask_name(out, cap, v.name, strlen(v.name));
	if (status != NULL)
		*status = v.status;
	record_wipe(&v);
	return rc;
}

/* Collects a store walk's links into a bounded array. */
struct links {
	struct store_link l[PENDING_MAX];
	size_t n, cap;
};

static int collect(void *ctx, const struct store_link *l)
{
	struct links *c = ctx;

	if (c->n == c->cap)
		return 1; /* full: stop (the caller bounded the walk) */
	c->l[c->n++] = *l;
	return 0;
}

/* A list answer's state: the JSON list and one leaf per name unsealed. */
struct list_st {
	json_t *list;
	struct links links;
	struct leaf leaves[2 * PENDING_MAX];
};

static void list_free(void *p)
{
	json_decref(((struct list_st *)p)->list);
}

/* ================================================================= add */

enum add_outcome {
	ADD_OK = 1,
	ADD_EXISTS,
	ADD_PASSPHRASE,
	ADD_MISMATCH,
	ADD_LIMITED,
};

struct add_st {
	enum add_outcome outcome;
	const struct record_keys *keys;
	struct record_view v; /* a member to create: name, id_number ("" phone) */
	int create;
	struct store_link link;
	char masked[CRED_NAME_MAX + 1];
};

/* In the writer: the member's record (when new), then the link. */
static int add_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct add_st *s = state;
	uint8_t handle[STORE_HANDLE_BYTES];
	int rc;
	(void)n;

	if (s->outcome != ADD_OK)
		return 0;
	if (s->create) {
		rc = record_create(s->keys, w, &s->v, NULL, s->link.requested, first,
				   &s->link.member_id, handle);
		record_wipe(&s->v);
		sodium_memzero(handle, sizeof handle);
		if (rc != 0)
			return rc; /* AK_ECONFLICT: enrolled since the read; try again */
		seal_pseudonym(s->keys->kek, l->subject, s->link.member_id);
		l->has_subject = 1;
	}
	rc = store_link_add(w, &s->link);
	if (rc == AK_ECONFLICT) {
		s->outcome = ADD_EXISTS;
		l->result = RES_DENIED;
		return 0;
	}
	return rc;
}

/* Stops a walk of the guardian's links at the member *ctx: 1. */
static int is_member(void *ctx, const struct store_link *l)
{
	return l->member_id == *(const uint64_t *)ctx;
}

/* The member's passphrase against their record r, as a log-in is checked
 * and under the same limits: a wrong one counts as a failed log-in on the
 * member's account, and a locked account is not tried (ADD_LIMITED).
 * ADD_OK or the outcome to record. */
static enum add_outcome member_passphrase(struct request *rq, const struct store_resident *r,
					  const uint8_t blind[SEAL_BLIND_BYTES], const char *pw,
					  size_t pwlen)
{
	struct limits *lim = app_limits(rq->app);

	if (r->passphrase[0] == '\0') {
		passphrase_waste(pw, pwlen); /* the same time as a wrong one */
		return ADD_PASSPHRASE;
	}
	if (limits_login_admit(lim, blind, rq->client, rq->now, &rq->retry_after) != API_OK) {
		(void)limits_login_failed(lim, blind, rq->client, rq->leaf.subject, 0, rq->now);
		return ADD_LIMITED;
	}
	if (passphrase_verify(r->passphrase, pw, pwlen) == 0) {
		limits_login_succeeded(lim, blind, rq->client);
		return ADD_OK;
	}
	(void)limits_login_failed(lim, blind, rq->client, rq->leaf.subject, 1, rq->now);
	return ADD_PASSPHRASE;
}

static enum api_error add_fields(struct request *rq, struct add_st *s, const char **pw,
				 size_t *pwlen)
{
	const char *w;
	size_t len;
	enum api_error e;
	int rc, rel;

	if ((e = request_string(rq, "name", 1, &w, &len)) != API_OK)
		return e;
	rc = policy_name_normalise(s->v.name, sizeof s->v.name, w, len, NULL);
	if (rc == AK_ENOMEM)
		return request_fault(rq, API_INTERNAL, "normalising a name", rc);
	if (rc != 0)
		return API_BAD_NAME;
	if ((e = request_string(rq, "id_number", 1, &w, &len)) != API_OK)
		return e;
	if (idcard_normalise(s->v.id_number, w, len, idcard_today()) != 0)
		return API_BAD_ID_NUMBER;
	if ((e = request_string(rq, "relation", 1, &w, &len)) != API_OK)
		return e;
	if ((rel = policy_relation_parse(w, len)) < 0)
		return API_BAD_RELATION;
	s->link.relation = (enum leaf_detail)rel;
	if ((e = request_string(rq, "member_passphrase", 0, pw, pwlen)) != API_OK)
		return e;
	if (*pw != NULL && !policy_passphrase_valid(*pw, *pwlen))
		return API_BAD_MEMBER_PASSPHRASE;
	return API_OK;
}

static enum api_error add(struct request *rq)
{
	static const char *const allowed[] = {"name", "id_number", "relation", "member_passphrase",
					      NULL};
	struct add_st *s = rq->state;
	struct store_resident r;
	struct record_view v;
	uint8_t blind[SEAL_BLIND_BYTES];
	const char *pw = NULL;
	size_t pwlen = 0;
	uint64_t count;
	enum api_error e = API_OK;
	int rc, child;

	memset(&r, 0, sizeof r);
	memset(&v, 0, sizeof v);
	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = add_fields(rq, s, &pw, &pwlen)) != API_OK)
		return e;
	if ((rc = store_links_count(rq->db, rq->who.resident_id, &count)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "counting a household", rc);
	if (count >= STORE_HOUSEHOLD_MAX)
		return API_HOUSEHOLD_FULL;

	s->keys = app_record_keys(rq->app);
	s->outcome = ADD_OK;
	s->link.guardian_id = rq->who.resident_id;
	s->link.requested = rq->now;
	s->link.officer_id = LEAF_NO_ID;
	randombytes_buf(s->link.handle, sizeof s->link.handle);
	child = idcard_under_age(s->v.id_number, idcard_today(), HOUSEHOLD_CHILD_AGE);
	act_by_pseudonym(rq, &rq->leaf);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = s->link.relation;
	rq->op.change = add_change;

	seal_blind_index(app_kek(rq->app), blind, s->v.id_number, IDCARD_LEN);
	rc = store_resident_by_blind(rq->db, blind, &r);
	if (rc == AK_ENOENT) {
		/* Nobody holds the number: a sealed record, made in the change. */
		s->create = 1;
		if (pw != NULL && !child) {
			passphrase_waste(pw, pwlen);
			s->outcome = ADD_PASSPHRASE;
			rq->leaf.result = RES_DENIED;
			goto out;
		}
		rc = mask_name(s->masked, sizeof s->masked, s->v.name, strlen(s->v.name));
		if (rc != 0) {
			e = request_fault(rq, API_INTERNAL, "masking a name", rc);
			goto out;
		}
		s->link.active = child;
		s->link.consent = child ? STORE_CONSENT_MINOR : STORE_CONSENT_NONE;
		goto out;
	}
	if (rc != 0) {
		e = request_fault(rq, API_UNAVAILABLE, "finding a member", rc);
		goto out;
	}
	if (r.id == rq->who.resident_id) {
		e = API_HOUSEHOLD_SELF;
		goto out;
	}
	rc = record_open_name(s->keys, rq->db, r.id, &rq->leaf, &v);
	if (rc == AK_ENOENT) {
		e = API_OVERLAPPED; /* erased since the look-up */
		goto out;
	}
	if (rc != 0) {
		e = request_fault(rq, API_INTERNAL, "opening a record", rc);
		goto out;
	}
	s->link.member_id = r.id;
	if ((rc = store_links_of_guardian(rq->db, rq->who.resident_id, is_member, &r.id)) < 0) {
		e = request_fault(rq, API_UNAVAILABLE, "listing members", rc);
		goto out;
	}
	if (rc > 0) {
		s->outcome = ADD_EXISTS; /* before any passphrase is tried */
		rq->leaf.result = RES_DENIED;
		goto out;
	}
	if (strcmp(v.name, s->v.name) != 0) {
		s->outcome = ADD_MISMATCH;
		rq->leaf.result = RES_DENIED;
		goto out;
	}
	if ((rc = mask_name(s->masked, sizeof s->masked, v.name, strlen(v.name))) != 0) {
		e = request_fault(rq, API_INTERNAL, "masking a name", rc);
		goto out;
	}
	if (child) {
		s->link.active = 1;
		s->link.consent = STORE_CONSENT_MINOR;
	} else if (pw != NULL) {
		/* The name was opened: whatever the passphrase, the leaf says so. */
		if ((s->outcome = member_passphrase(rq, &r, blind, pw, pwlen)) != ADD_OK) {
			rq->leaf.result = RES_DENIED;
			if (s->outcome == ADD_LIMITED)
				rq->leaf.detail = DET_RATE_LIMITED;
			goto out;
		}
		s->link.active = 1;
		s->link.consent = STORE_CONSENT_SELF;
	}
out:
	record_wipe(&v);
	sodium_memzero(&r, sizeof r);
	sodium_memzero(blind, sizeof blind);
	if (!s->create || s->outcome != ADD_OK)
		record_wipe(&s->v); /* only a record to create keeps the fields */
	return e;
}

static enum api_error add_answer(struct request *rq, uint64_t index)
{
	struct add_st *s = rq->state;
	char h[2 * STORE_HANDLE_BYTES + 1];

	switch (s->outcome) {
	case ADD_OK:
		break;
	case ADD_EXISTS:
		return API_MEMBER_EXISTS;
	case ADD_MISMATCH:
		return API_MEMBER_MISMATCH;
	case ADD_LIMITED:
		return API_LIMIT_LOGIN;
	default:
		return API_MEMBER_PASSPHRASE_WRONG;
	}
	handle_hex(h, s->link.handle);
	return reply_json(rq, 201,
			  json_pack("{s:s, s:s, s:s, s:s, s:I}", "member", h, "name", s->masked,
				    "relation", leaf_detail_word(s->link.relation), "state",
				    state_word(&s->link), "log_index", (json_int_t)index));
}

/* ========================================================= the lists */

/*
 * One leaf per person whose name a list shows, each a copy of the route's
 * leaf with that person as subject (masked_name sets it); a list of no
 * one records the route's leaf about the caller. Points the operation at
 * them.
 */
static void list_leaves(struct request *rq, struct list_st *s, size_t n)
{
	if (n == 0) {
		request_subject(rq, rq->who.resident_id);
		rq->leaf.result = RES_OK;
		rq->leaf.detail = DET_EMPTY;
		return;
	}
	rq->op.leaves = s->leaves;
	rq->op.n = n;
}

/* A fresh copy of the route's leaf for one name in a list. */
static struct leaf *list_leaf(struct request *rq, struct list_st *s, size_t i,
			      enum leaf_detail detail)
{
	struct leaf *l = &s->leaves[i];

	*l = rq->leaf;
	l->result = RES_OK;
	l->detail = detail;
	return l;
}

/* GET /v1/me/household */
static enum api_error members(struct request *rq)
{
	struct list_st *s = rq->state;
	char masked[CRED_NAME_MAX + 1], h[2 * STORE_HANDLE_BYTES + 1];
	int rc, status;

	s->links.cap = STORE_HOUSEHOLD_MAX;
	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing members", AK_ENOMEM);
	rc = store_links_of_guardian(rq->db, rq->who.resident_id, collect, &s->links);
	if (rc < 0)
		return request_fault(rq, API_UNAVAILABLE, "listing members", rc);
	for (size_t i = 0; i < s->links.n; i++) {
		const struct store_link *k = &s->links.l[i];
		struct leaf *l = list_leaf(rq, s, i, k->relation);
		json_t *e;

		act_by_pseudonym(rq, l);
		rc = masked_name(rq, k->member_id, l, masked, sizeof masked, &status);
		if (rc != 0)
			return request_fault(rq, API_INTERNAL, "opening a record", rc);
		handle_hex(h, k->handle);
		/* A member's status is theirs to share: not before they consent. */
		e = json_pack("{s:s, s:s, s:s, s:s, s:o}", "member", h, "name", masked, "relation",
			      leaf_detail_word(k->relation), "state", state_word(k), "status",
			      k->active ? json_string(cred_status_word((enum cred_status)status))
					: json_null());
		sodium_memzero(masked, sizeof masked);
		if (e == NULL || json_array_append_new(s->list, e) != 0)
			return request_fault(rq, API_INTERNAL, "listing members", AK_ENOMEM);
	}
	list_leaves(rq, s, s->links.n);
	return API_OK;
}

static enum api_error members_answer(struct request *rq, uint64_t index)
{
	return reply_list(rq, "members", ((struct list_st *)rq->state)->list, index);
}

/* GET /v1/me/guardians */
static enum api_error guardians(struct request *rq)
{
	struct list_st *s = rq->state;
	char masked[CRED_NAME_MAX + 1], h[2 * STORE_HANDLE_BYTES + 1];
	int rc;

	s->links.cap = PENDING_MAX;
	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing guardians", AK_ENOMEM);
	rc = store_links_of_member(rq->db, rq->who.resident_id, collect, &s->links);
	if (rc < 0)
		return request_fault(rq, API_UNAVAILABLE, "listing guardians", rc);
	for (size_t i = 0; i < s->links.n; i++) {
		const struct store_link *k = &s->links.l[i];
		struct leaf *l = list_leaf(rq, s, i, k->relation);
		json_t *e;

		/* The guardian's name is the guardian's data, read by me. */
		act_by_pseudonym(rq, l);
		if ((rc = masked_name(rq, k->guardian_id, l, masked, sizeof masked, NULL)) != 0)
			return request_fault(rq, API_INTERNAL, "opening a record", rc);
		handle_hex(h, k->handle);
		e = json_pack("{s:s, s:s, s:s, s:s}", "link", h, "name", masked, "relation",
			      leaf_detail_word(k->relation), "state", state_word(k));
		sodium_memzero(masked, sizeof masked);
		if (e == NULL || json_array_append_new(s->list, e) != 0)
			return request_fault(rq, API_INTERNAL, "listing guardians", AK_ENOMEM);
	}
	list_leaves(rq, s, s->links.n);
	return API_OK;
}

static enum api_error guardians_answer(struct request *rq, uint64_t index)
{
	return reply_list(rq, "guardians", ((struct list_st *)rq->state)->list, index);
}

/* GET /v1/household/pending (officer): both names of each link, masked. */
static enum api_error pending(struct request *rq)
{
	struct list_st *s = rq->state;
	char g[CRED_NAME_MAX + 1], m[CRED_NAME_MAX + 1], h[2 * STORE_HANDLE_BYTES + 1];
	int rc;

	s->links.cap = PENDING_MAX;
	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing links", AK_ENOMEM);
	if ((rc = store_links_pending(rq->db, PENDING_MAX, collect, &s->links)) < 0)
		return request_fault(rq, API_UNAVAILABLE, "listing links", rc);
	for (size_t i = 0; i < s->links.n; i++) {
		const struct store_link *k = &s->links.l[i];
		json_t *e;

		rc = masked_name(rq, k->guardian_id, list_leaf(rq, s, 2 * i, DET_HOUSEHOLD_CONSENT),
				 g, sizeof g, NULL);
		if (rc == 0)
			rc = masked_name(rq, k->member_id,
					 list_leaf(rq, s, 2 * i + 1, DET_HOUSEHOLD_CONSENT), m,
					 sizeof m, NULL);
		if (rc != 0)
			return request_fault(rq, API_INTERNAL, "opening a record", rc);
		handle_hex(h, k->handle);
		e = json_pack("{s:s, s:s, s:s, s:s, s:I}", "link", h, "guardian", g, "member", m,
			      "relation", leaf_detail_word(k->relation), "requested",
			      (json_int_t)k->requested);
		sodium_memzero(g, sizeof g);
		sodium_memzero(m, sizeof m);
		if (e == NULL || json_array_append_new(s->list, e) != 0)
			return request_fault(rq, API_INTERNAL, "listing links", AK_ENOMEM);
	}
	if (s->links.n == 0) {
		rq->leaf.result = RES_OK;
		rq->leaf.detail = DET_HOUSEHOLD_CONSENT;
		return API_OK;
	}
	rq->op.leaves = s->leaves;
	rq->op.n = 2 * s->links.n;
	return API_OK;
}

static enum api_error pending_answer(struct request *rq, uint64_t index)
{
	return reply_list(rq, "links", ((struct list_st *)rq->state)->list, index);
}

/* ================================================ a member's code */

struct code_st {
	uint8_t handle[STORE_HANDLE_BYTES];
	uint64_t link_id;
	struct code_answer c;
};

static void code_free(void *p)
{
	code_answer_wipe(&((struct code_st *)p)->c);
}

/* The link the state names is still there, the same one, and active: 0 or
 * AK_ENOENT. In the writer, so a removal that committed first wins. */
static int still_linked(store *w, const uint8_t handle[STORE_HANDLE_BYTES], uint64_t link_id)
{
	struct store_link k;
	int rc = store_link_by_handle(w, handle, &k);

	if (rc != 0)
		return rc;
	return k.id == link_id && k.active ? 0 : AK_ENOENT;
}

static int code_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct code_st *s = state;
	int rc;
	(void)l;
	(void)n;

	/* AK_ENOENT rolls the leaf back: no code was handed out. */
	if ((rc = still_linked(w, s->handle, s->link_id)) != 0)
		return rc;
	s->c.code.issued_index = first;
	return store_code_add(w, &s->c.code);
}

/* The caller's active link of the path, as guardian: API_OK, or 404 (not
 * theirs, removed), 403 (pending). */
static enum api_error active_link(struct request *rq, struct store_link *k)
{
	int rc = my_link(rq, 0, k);

	if (rc == AK_ENOENT)
		return API_NO_MEMBER;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "finding a member", rc);
	return k->active ? API_OK : API_MEMBER_PENDING;
}

static enum api_error member_code(struct request *rq, enum code_format format)
{
	struct code_st *s = rq->state;
	struct store_link k;
	enum api_error e;

	if ((e = active_link(rq, &k)) != API_OK)
		return e;
	memcpy(s->handle, k.handle, sizeof s->handle);
	s->link_id = k.id;
	s->c.format = format;
	if ((e = code_answer_make(rq, &s->c, k.member_id, NULL)) != API_OK)
		return e;
	act_by_pseudonym(rq, &rq->leaf);
	rq->op.change = code_change;
	return API_OK;
}

static enum api_error code_json(struct request *rq)
{
	enum api_error e = code_answer_with(rq, &((struct code_st *)rq->state)->c);

	return e != API_OK ? e : member_code(rq, CODE_JSON);
}

static enum api_error code_png(struct request *rq)
{
	return member_code(rq, CODE_PNG);
}

static enum api_error code_svg(struct request *rq)
{
	return member_code(rq, CODE_SVG);
}

static enum api_error code_answer(struct request *rq, uint64_t index)
{
	return code_answer_reply(rq, &((struct code_st *)rq->state)->c, index);
}

/* ============================================ a member's accesses */

static enum api_error member_accesses(struct request *rq)
{
	struct store_link k;
	enum api_error e;

	if ((e = active_link(rq, &k)) != API_OK)
		return e;
	if ((e = accesses_of(rq, k.member_id)) != API_OK)
		return e;
	act_by_pseudonym(rq, &rq->leaf);
	return API_OK;
}

/* ============================================ removal, withdrawal */

enum end_outcome {
	END_OK = 1,
	END_GONE
};

struct end_st {
	enum end_outcome outcome;
	int as_member;
	uint64_t link_id;
};

static int end_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct end_st *s = state;
	int rc;
	(void)n;
	(void)first;

	rc = store_link_delete(w, s->link_id);
	if (rc == AK_ENOENT) {
		/* Ended by a request that committed first: say so. */
		s->outcome = END_GONE;
		l->result = RES_NOT_FOUND;
		return 0;
	}
	return rc;
}

/* DELETE /v1/me/household/{member} (as_member 0) and DELETE
 * /v1/me/guardians/{link} (as_member 1): the leaf is about the member
 * either way; the guardian acts by pseudonym, the member as themself. */
static enum api_error end_link(struct request *rq, int as_member)
{
	struct end_st *s = rq->state;
	struct store_link k;
	int rc = my_link(rq, as_member, &k);

	if (rc == AK_ENOENT)
		return as_member ? API_NO_LINK : API_NO_MEMBER;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "finding a link", rc);
	s->outcome = END_OK;
	s->as_member = as_member;
	s->link_id = k.id;
	request_subject(rq, k.member_id);
	if (!as_member)
		act_by_pseudonym(rq, &rq->leaf);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = k.relation;
	rq->op.change = end_change;
	return API_OK;
}

static enum api_error remove_member(struct request *rq)
{
	return end_link(rq, 0);
}

static enum api_error withdraw(struct request *rq)
{
	return end_link(rq, 1);
}

static enum api_error end_answer(struct request *rq, uint64_t index)
{
	struct end_st *s = rq->state;

	if (s->outcome != END_OK)
		return s->as_member ? API_NO_LINK : API_NO_MEMBER;
	return reply_json(rq, 200,
			  json_pack("{s:b, s:I}", "removed", 1, "log_index", (json_int_t)index));
}

/* ============================================ an officer's confirmation */

enum confirm_outcome {
	CONFIRM_OK = 1,
	CONFIRM_NOBODY,
	CONFIRM_NOT_PENDING
};

struct confirm_st {
	enum confirm_outcome outcome;
	uint64_t link_id, officer_id, now;
};

static int confirm_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct confirm_st *s = state;
	int rc;
	(void)n;
	(void)first;

	if (s->outcome != CONFIRM_OK)
		return 0;
	rc = store_link_confirm(w, s->link_id, s->now, s->officer_id);
	if (rc == AK_ENOENT) {
		/* Removed, withdrawn or confirmed since the read. */
		s->outcome = CONFIRM_NOBODY;
		l->result = RES_NOT_FOUND;
		return 0;
	}
	return rc;
}

static enum api_error confirm(struct request *rq)
{
	static const char *const allowed[] = {"purpose", NULL};
	struct confirm_st *s = rq->state;
	struct store_link k;
	uint8_t h[STORE_HANDLE_BYTES];
	const char *w;
	size_t len;
	enum api_error e;
	int rc;

	if ((e = request_json(rq, allowed)) != API_OK ||
	    (e = request_string(rq, "purpose", 0, &w, &len)) != API_OK)
		return e;
	if (w == NULL || leaf_detail_parse(w, len) != DET_HOUSEHOLD_CONSENT)
		return API_BAD_PURPOSE;
	rq->leaf.detail = DET_HOUSEHOLD_CONSENT;
	rq->leaf.result = RES_NOT_FOUND;
	rq->op.change = confirm_change;
	s->outcome = CONFIRM_NOBODY;
	s->officer_id = rq->who.account_id;
	s->now = rq->now;
	rc = link_handle(rq, h) == 0 ? store_link_by_handle(rq->db, h, &k) : AK_ENOENT;
	if (rc == AK_ENOENT)
		return API_OK; /* recorded as not_found, answered 404 */
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "finding a link", rc);
	request_subject(rq, k.member_id);
	s->link_id = k.id;
	if (k.active) {
		s->outcome = CONFIRM_NOT_PENDING;
		rq->leaf.result = RES_DENIED;
		return API_OK;
	}
	s->outcome = CONFIRM_OK;
	rq->leaf.result = RES_OK;
	return API_OK;
}

static enum api_error confirm_answer(struct request *rq, uint64_t index)
{
	struct confirm_st *s = rq->state;

	if (s->outcome == CONFIRM_NOT_PENDING)
		return API_LINK_NOT_PENDING;
	if (s->outcome != CONFIRM_OK)
		return API_NO_LINK;
	return reply_json(rq, 200,
			  json_pack("{s:s, s:s, s:I}", "link", rq->param, "state", "active",
				    "log_index", (json_int_t)index));
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_household_add = {add, add_answer, sizeof(struct add_st), NULL};
const struct route_handler h_household_list = {members, members_answer, sizeof(struct list_st),
					       list_free};
const struct route_handler h_household_code = {code_json, code_answer, sizeof(struct code_st),
					       code_free};
const struct route_handler h_household_code_png = {code_png, code_answer, sizeof(struct code_st),
						   code_free};
const struct route_handler h_household_code_svg = {code_svg, code_answer, sizeof(struct code_st),
						   code_free};
const struct route_handler h_household_accesses = {member_accesses, accesses_answer,
						   sizeof(struct accesses_st), accesses_free};
const struct route_handler h_household_remove = {remove_member, end_answer, sizeof(struct end_st),
						 NULL};
const struct route_handler h_guardians = {guardians, guardians_answer, sizeof(struct list_st),
					  list_free};
const struct route_handler h_guardian_withdraw = {withdraw, end_answer, sizeof(struct end_st),
						  NULL};
const struct route_handler h_household_pending = {pending, pending_answer, sizeof(struct list_st),
						  list_free};
const struct route_handler h_household_confirm = {confirm, confirm_answer,
						  sizeof(struct confirm_st), NULL};
