/*
 * audit_api: the auditors' endpoints (docs/API.md, "Auditors"), what
 * `ankang-audit --server` reads.
 *
 *   GET /v1/audit/checkpoint                 the newest signed checkpoint
 *                                            (with witnesses: the newest
 *                                            a quorum of them cosigned)
 *   GET /v1/audit/entries?start=&end=        leaves [start, end), 1000 a page
 *       [&action=&result=&actor=&since=&until=&order=desc&before=&limit=]
 *                                            a query: the matches of a
 *                                            bounded scan, and where to go on
 *   GET /v1/audit/proof/inclusion?index=&size=
 *   GET /v1/audit/proof/consistency?old=&new=
 *
 * Everything is read on the thread's read connection from what the
 * writer committed. Proofs are only for tree sizes a signed checkpoint
 * covers (size <= the newest checkpoint's), so an auditor can always check
 * them against a signature. An entries range that runs past the end of
 * the log answers the leaves there are (possibly none): ankang-audit pages
 * until it gets an empty page.
 *
 * Residents may read the checkpoint and ask for inclusion proofs of
 * leaves whose subject is their own pseudonym (authz_may_prove: 403
 * not_yours otherwise), so they can check the indexes GET /v1/me/accesses
 * gave them.
 *
 * None of these reads writes a leaf. The log holds no personal data by
 * construction (FORMAT.md 3.1): reading it, or a proof about it, reveals
 * nothing about a resident that the reader could not already see, and a
 * resident's proof request concerns an entry the resident was already
 * shown. Logging the reads would also make every audit pass grow the log
 * it is auditing.
 *
 * Never: answer a proof for a size no checkpoint signs, or give a resident
 * anything about another resident's leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "log/proof.h"
#include "service/http/account_names.h"
#include "service/http/request.h"

#define ENTRIES_PAGE_MAX 1000
/* A query's page (filters, order or limit) by default, and the leaves one
 * query reads at most, matching or not: ~20 ms of leaf_parse. */
#define ENTRIES_PAGE     100
#define ENTRIES_SCAN_MAX 20000

/* The newest checkpoint's tree size; 0 with none. */
static int signed_size(store *db, uint64_t *size)
{
	char *note = NULL;
	size_t len;
	int rc = store_log_last_checkpoint(db, size, &note, &len);

	free(note);
	if (rc == AK_ENOENT) {
		*size = 0;
		rc = 0;
	}
	return rc;
}

static json_t *b64_json(const merkle_hash h)
{
	char text[2 * MERKLE_HASH_BYTES + 4];

	util_b64_encode(text, h, MERKLE_HASH_BYTES);
	return json_string(text);
}

static json_t *proof_json(const merkle_hash *proof, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, b64_json(proof[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A required query argument. */
static enum api_error query_required(struct request *rq, const char *key, uint64_t *v)
{
	int present;
	enum api_error e = request_query_uint(rq, key, v, &present);

	if (e == API_OK && !present) {
		rq->error_arg = key;
		return API_QUERY_MISSING;
	}
	return e;
}

/*
 * The two required query arguments of a proof request (index and size, or
 * old and new) and the newest checkpoint's size, which bounds them.
 */
static enum api_error proof_query(struct request *rq, const char *ka, uint64_t *a, const char *kb,
				  uint64_t *b, uint64_t *signed_n)
{
	enum api_error e;
	int rc;

	if ((e = query_required(rq, ka, a)) != API_OK || (e = query_required(rq, kb, b)) != API_OK)
		return e;
	if ((rc = signed_size(rq->db, signed_n)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading the newest checkpoint", rc);
	return API_OK;
}

/* A failed proof_*: a range with no proof is the caller's mistake, anything
 * else the database's. */
static enum api_error no_proof(struct request *rq, int rc)
{
	if (rc == AK_EINVAL)
		return API_BAD_PROOF_RANGE;
	return request_fault(rq, API_UNAVAILABLE, "reading a proof", rc);
}

/* ---------------------------------------------------------- checkpoint */

static enum api_error checkpoint(struct request *rq, uint64_t index)
{
	enum api_error e;
	uint64_t size;
	char *note = NULL;
	size_t len;
	int rc;
	(void)index;

	/* With witnesses, only a checkpoint a quorum cosigned is the log's
	 * word (witnessing.h); newer ones wait for their cosignatures. */
	if (app_witnessing(rq->app) != NULL)
		rc = witnessing_served(app_witnessing(rq->app), &note, &len);
	else
		rc = store_log_last_checkpoint(rq->db, &size, &note, &len);
	if (rc == AK_ENOENT)
		return API_NO_CHECKPOINT;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading the newest checkpoint", rc);
	e = reply_bytes(rq, 200, "text/plain; charset=utf-8", note, len);
	free(note);
	return e;
}

/* ------------------------------------------------------------- entries */

struct entries_ctx {
	json_t *arr;
	struct account_names names;
	size_t got;
	uint64_t last; /* the index of the last entry listed */
	int rc;
};

/* One entry: its index and bytes, and, when the leaf parses, its fields
 * spelt as in the leaf and, for an account, the account's name. */
static int add_entry(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct entries_ctx *e = ctx;
	char *b64 = malloc(util_b64_encoded_len(len) + 1);
	json_t *o = json_object(), *label;
	struct leaf l;
	int bad = 0;

	if (b64 == NULL || o == NULL)
		goto nomem;
	util_b64_encode(b64, (const uint8_t *)text, len);
	bad |= json_object_set_new(o, "index", json_integer((json_int_t)idx));
	bad |= json_object_set_new(o, "leaf", json_string(b64));
	/* The fields are a convenience: an auditor re-derives them from the
	 * leaf bytes. A stored leaf that does not parse gets none. */
	if (leaf_parse(&l, text, len) == 0) {
		char actor[LEAF_ACTOR_TEXT], subject[2 * LEAF_ID_BYTES + 1],
		    object[2 * LEAF_ID_BYTES + 1];
		leaf_actor_of(actor, &l);
		if (l.has_subject)
			util_hex_encode(subject, l.subject, LEAF_ID_BYTES);
		else
			strcpy(subject, "-");
		if (l.has_object)
			util_hex_encode(object, l.object, LEAF_ID_BYTES);
		else
			strcpy(object, "-");
		bad |= json_object_set_new(o, "time_ms", json_integer((json_int_t)l.time_ms));
		bad |= json_object_set_new(o, "actor", json_string(actor));
		if ((label = account_names_get(&e->names, (int)l.role, l.actor_id)) == NULL)
			bad = 1;
		else if (json_is_string(label))
			bad |= json_object_set_new(o, "actor_label", label);
		else
			json_decref(label);
		bad |=
		    json_object_set_new(o, "action", json_string(leaf_action_word((int)l.action)));
		bad |= json_object_set_new(o, "subject", json_string(subject));
		bad |= json_object_set_new(o, "object", json_string(object));
		bad |=
		    json_object_set_new(o, "result", json_string(leaf_result_word((int)l.result)));
		bad |=
		    json_object_set_new(o, "detail", json_string(leaf_detail_word((int)l.detail)));
	}
	if (bad)
		goto nomem;
	free(b64);
	if (json_array_append_new(e->arr, o) != 0) { /* it frees o on failure */
		e->rc = AK_ENOMEM;
		return AK_ENOMEM;
	}
	e->got++;
	e->last = idx;
	return 0;
nomem:
	json_decref(o);
	free(b64);
	e->rc = AK_ENOMEM;
	return AK_ENOMEM;
}

/* Runs f into e->arr; API_OK or the error to answer. */
static enum api_error list_entries(struct request *rq, const struct store_log_filter *f,
				   struct entries_ctx *e)
{
	int rc;

	account_names_init(&e->names, rq->db);
	rc = store_log_query(rq->db, f, add_entry, e);
	account_names_clear(&e->names);
	/* No leaf of this request's follows them: the leaves read are
	 * answered once durable (on PostgreSQL another front-end's batch is
	 * seen before its flush: store_durable). */
	if (rc == 0 && e->rc == 0)
		rc = store_durable(rq->db);
	if (rc != 0)
		return request_fault(rq, e->rc != 0 ? API_INTERNAL : API_UNAVAILABLE,
				     "listing entries", e->rc != 0 ? e->rc : rc);
	return API_OK;
}

/*
 * The filters of a query (docs/API.md): action, result, actor (a role, or
 * role:id), since and until (leaf times), into f. API_OK with *any 1 when
 * one was given.
 */
static enum api_error entries_filters(struct request *rq, struct store_log_filter *f, int *any)
{
	const char *action = request_query(rq, "action"), *result = request_query(rq, "result");
	const char *actor = request_query(rq, "actor"), *colon;
	enum api_error e;
	int has_since, has_until;
	size_t rlen;

	if ((e = request_query_uint(rq, "since", &f->since_ms, &has_since)) != API_OK ||
	    (e = request_query_uint(rq, "until", &f->until_ms, &has_until)) != API_OK)
		return e;
	if (has_until && f->until_ms <= f->since_ms)
		return API_BAD_TIMES;
	if (action != NULL && (f->action = leaf_action_parse(action, strlen(action))) < 0)
		return API_BAD_ACTION;
	if (result != NULL && (f->result = leaf_result_parse(result, strlen(result))) < 0)
		return API_BAD_RESULT;
	if (actor != NULL) {
		colon = strchr(actor, ':');
		rlen = colon != NULL ? (size_t)(colon - actor) : strlen(actor);
		if ((f->role = leaf_role_parse(actor, rlen)) < 0 ||
		    (colon != NULL &&
		     (util_parse_u64(colon + 1, strlen(colon + 1), &f->actor_id) != 0 ||
		      f->actor_id > (uint64_t)INT64_MAX)))
			return API_BAD_ACTOR;
	}
	*any = has_since || has_until || action != NULL || result != NULL || actor != NULL;
	return API_OK;
}

/*
 * A query: the matching leaves of [start, end), oldest first from start,
 * or newest first (order=desc) below before, at most limit of them, read
 * from at most ENTRIES_SCAN_MAX leaves, so that a request's work is
 * bounded however few leaves match. `next` says where the following
 * request starts (its start, or its before), null once the range is
 * done.
 */
static enum api_error entries_query(struct request *rq, struct store_log_filter *f)
{
	struct entries_ctx e = {NULL};
	const char *order = request_query(rq, "order");
	uint64_t start = 0, end = 0, before = 0, limit = ENTRIES_PAGE, size, pos, lo, hi;
	int has_start, has_end, has_before, has_limit, desc, rc;
	enum api_error err;
	json_t *next;

	if ((err = request_query_uint(rq, "start", &start, &has_start)) != API_OK ||
	    (err = request_query_uint(rq, "end", &end, &has_end)) != API_OK ||
	    (err = request_query_uint(rq, "before", &before, &has_before)) != API_OK ||
	    (err = request_query_uint(rq, "limit", &limit, &has_limit)) != API_OK)
		return err;
	if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		return API_BAD_ORDER;
	desc = order != NULL && strcmp(order, "desc") == 0;
	if (has_end && end < start)
		return API_BAD_RANGE;
	if (has_before && (!desc || before == 0))
		return API_BAD_BEFORE;
	if (limit == 0)
		return API_BAD_LIMIT;
	if (limit > ENTRIES_PAGE_MAX)
		limit = ENTRIES_PAGE_MAX;
	if ((rc = store_log_size(rq->db, &size)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading the log's size", rc);
	/* The range there is: [start, end) within the log as it is now. */
	if (!has_end || end > size)
		end = size;
	if (has_before && before < end)
		end = before;
	if (start > end)
		start = end;
	if (desc) {
		hi = end;
		lo = hi - start > ENTRIES_SCAN_MAX ? hi - ENTRIES_SCAN_MAX : start;
	} else {
		lo = start;
		hi = end - lo > ENTRIES_SCAN_MAX ? lo + ENTRIES_SCAN_MAX : end;
	}
	if ((e.arr = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing entries", AK_ENOMEM);
	if (lo < hi) {
		f->start = lo;
		f->end = hi;
		f->newest_first = desc;
		f->limit = (size_t)limit;
		if ((err = list_entries(rq, f, &e)) != API_OK) {
			json_decref(e.arr);
			return err;
		}
	}
	/* A full page ends at its last entry; any other at the scan's end. */
	if (desc) {
		pos = e.got == limit ? e.last : lo;
		next = pos > start ? json_integer((json_int_t)pos) : json_null();
	} else {
		pos = e.got == limit ? e.last + 1 : hi;
		next = pos < end ? json_integer((json_int_t)pos) : json_null();
	}
	return reply_json(rq, 200, json_pack("{s:o, s:o}", "entries", e.arr, "next", next));
}

static enum api_error entries(struct request *rq, uint64_t index)
{
	struct store_log_filter f;
	struct entries_ctx e = {NULL};
	uint64_t start = 0, end = 0;
	enum api_error err;
	int has_start, has_end, filtered;
	(void)index;

	store_log_filter_init(&f);
	if ((err = entries_filters(rq, &f, &filtered)) != API_OK)
		return err;
	if (filtered || request_query(rq, "order") != NULL || request_query(rq, "before") != NULL ||
	    request_query(rq, "limit") != NULL)
		return entries_query(rq, &f);
	/* Without them, a page of the range as ankang-audit reads the log. */
	if ((err = request_query_uint(rq, "start", &start, &has_start)) != API_OK ||
	    (err = request_query_uint(rq, "end", &end, &has_end)) != API_OK)
		return err;
	if (has_end && end < start)
		return API_BAD_RANGE;
	/* No log reaches 2^62 leaves: beyond that every page is empty, and
	 * start + a page cannot overflow. */
	if (start > ((uint64_t)1 << 62))
		start = end = (uint64_t)1 << 62;
	if (!has_end || end > start + ENTRIES_PAGE_MAX)
		end = start + ENTRIES_PAGE_MAX; /* a page at most, whatever was asked */
	if ((e.arr = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing entries", AK_ENOMEM);
	if (end > start) {
		f.start = start;
		f.end = end;
		if ((err = list_entries(rq, &f, &e)) != API_OK) {
			json_decref(e.arr);
			return err;
		}
	}
	return reply_json(rq, 200, json_pack("{s:o}", "entries", e.arr));
}

/* ----------------------------------------------------------- inclusion */

static enum api_error inclusion(struct request *rq, uint64_t unused)
{
	merkle_hash proof[MERKLE_MAX_PROOF], lh;
	uint64_t index, size, signed_n;
	enum api_error e;
	struct leaf l;
	char *leaf = NULL;
	size_t len, n;
	json_t *p;
	int rc;
	(void)unused;

	if ((e = proof_query(rq, "index", &index, "size", &size, &signed_n)) != API_OK)
		return e;
	if (index >= size || size > signed_n)
		return API_BAD_PROOF_RANGE;
	rc = store_log_get_leaf(rq->db, index, &leaf, &len);
	if (rc != 0)
		return rc == AK_ENOENT ? API_NO_ENTRY
				       : request_fault(rq, API_UNAVAILABLE, "reading a leaf", rc);
	if (rq->who.role != ROLE_AUDITOR) {
		/* Only the entries about the caller (authz.h). A leaf that does
		 * not parse is about no one. */
		memset(&l, 0, sizeof l);
		e = leaf_parse(&l, leaf, len) == 0 ? authz_may_prove(&rq->who, &l, app_kek(rq->app))
						   : API_NOT_YOURS;
		if (e != API_OK) {
			free(leaf);
			return e;
		}
	}
	merkle_leaf_hash(lh, (const uint8_t *)leaf, len);
	free(leaf);
	if ((rc = proof_inclusion(rq->db, index, size, proof, &n)) != 0)
		return no_proof(rq, rc);
	if ((p = proof_json(proof, n)) == NULL)
		return request_fault(rq, API_INTERNAL, "building a proof", AK_ENOMEM);
	return reply_json(rq, 200,
			  json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)index, "size",
				    (json_int_t)size, "leaf_hash", b64_json(lh), "proof", p));
}

/* --------------------------------------------------------- consistency */

static enum api_error consistency(struct request *rq, uint64_t unused)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	uint64_t old, new_size, signed_n;
	enum api_error e;
	size_t n;
	json_t *p;
	int rc;
	(void)unused;

	if ((e = proof_query(rq, "old", &old, "new", &new_size, &signed_n)) != API_OK)
		return e;
	if (old == 0 || old > new_size || new_size > signed_n)
		return API_BAD_PROOF_RANGE;
	if ((rc = proof_consistency(rq->db, old, new_size, proof, &n)) != 0)
		return no_proof(rq, rc);
	if ((p = proof_json(proof, n)) == NULL)
		return request_fault(rq, API_INTERNAL, "building a proof", AK_ENOMEM);
	return reply_json(rq, 200,
			  json_pack("{s:I, s:I, s:o}", "old", (json_int_t)old, "new",
				    (json_int_t)new_size, "proof", p));
}

const struct route_handler h_audit_checkpoint = {NULL, checkpoint, 0, NULL};
const struct route_handler h_audit_entries = {NULL, entries, 0, NULL};
const struct route_handler h_audit_inclusion = {NULL, inclusion, 0, NULL};
const struct route_handler h_audit_consistency = {NULL, consistency, 0, NULL};
