/*
 * me: a resident's own endpoints (docs/API.md), each for the resident the
 * session token names and no other:
 *
 *   GET /v1/me/code, .png, .svg   a fresh signed code     leaf `issue`
 *       (?with=svg: the JSON with the SVG image in it)
 *   GET /v1/me/accesses           every access to my data leaf `accesses_read`
 *   GET /v1/me/history            my status changes       leaf `history_read`
 *   DELETE /v1/me                 erasure                 leaf `erase`
 *
 * An erasure is answered only once nothing of what it removed is left in
 * any file of the data folder (AUDITLOG_WIPE): 200 then, or 503
 * erasure_incomplete when the wipe did not finish in time (the erasure
 * itself committed; the service goes on wiping).
 *
 * Each leaf names the resident's pseudonym as subject and `resident:-` as
 * actor. A code is signed (and its image drawn) before it is submitted,
 * so the writer only stores the code's row; the row and the `issue` leaf
 * commit together, which is what lets a later status change or erasure
 * revoke every code that was handed out.
 *
 * The accesses list is the log itself, read through the subject index:
 * every leaf whose subject is my pseudonym, newest first, the resident's
 * own log-ins and reads included, each with its log index (for an
 * inclusion proof) and the acting account's name (a label such as
 * "checkpoint-17", never a person's name: policy_account_name_valid). It
 * is paged back to the beginning of the log: `before` (a log index,
 * exclusive) and `limit` choose a page, `next` in the answer is the
 * `before` of the next one (null on the last), and `action` keeps one
 * kind of access.
 *
 * Never: keep a name or a credential past the request (states are wiped
 * on free); put anything but the code in an image.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/http/accesses.h"
#include "service/http/account_names.h"
#include "service/http/code_answer.h"
#include "service/http/request.h"
#include "service/lists.h"
#include "service/record.h"

#define ACCESSES_PAGE_MAX 1000
#define ACCESSES_PAGE     100

/* The caller's own pseudonym into the leaf's subject. */
/* ------------------------------------------------------------------ code */

struct code_st {
	struct code_answer c;
	struct authz_ahead ahead; /* the caller's own row, read with the session */
};

static void code_free(void *p)
{
	code_answer_wipe(&((struct code_st *)p)->c);
}

static int code_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct code_st *s = state;
	(void)l;
	(void)n;
	s->c.code.issued_index = first;
	/* AK_ENOENT (erased since the read) rolls the leaf back too: no code
	 * is handed out, so none was issued. */
	return store_code_add(w, &s->c.code);
}

/* The codes of a batch's code requests at once (auditlog_group_fn): their
 * rows in one statement, on PostgreSQL a round trip for all of them. */
static int code_group(store *w, void *const *ctx, const uint64_t *first, size_t n)
{
	const struct store_code **rows = malloc(n * sizeof(const struct store_code *));
	int rc;

	if (rows == NULL)
		return AK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct code_st *s = ((struct request *)ctx[i])->state;
		s->c.code.issued_index = first[i];
		rows[i] = &s->c.code;
	}
	rc = store_code_add_all(w, rows, n);
	free(rows);
	return rc;
}

static enum api_error me_code(struct request *rq, enum code_format format)
{
	struct code_st *s = rq->state;
	enum api_error e;

	s->c.format = format;
	if ((e = code_answer_make(rq, &s->c, rq->who.resident_id,
				  s->ahead.got ? &s->ahead.me : NULL)) != API_OK)
		return e;
	rq->op.change = code_change;
	rq->op.group = code_group;
	return API_OK;
}

/* The caller's own row, read with the session (authz_ahead). */
static struct authz_ahead *code_ahead(struct request *rq)
{
	struct code_st *s = rq->state;

	s->ahead.want = AHEAD_OWN_RECORD;
	return &s->ahead;
}

static enum api_error code_json(struct request *rq)
{
	enum api_error e = code_answer_with(rq, &((struct code_st *)rq->state)->c);

	return e != API_OK ? e : me_code(rq, CODE_JSON);
}

static enum api_error code_png(struct request *rq)
{
	return me_code(rq, CODE_PNG);
}

static enum api_error code_svg(struct request *rq)
{
	return me_code(rq, CODE_SVG);
}

static enum api_error code_answer(struct request *rq, uint64_t index)
{
	return code_answer_reply(rq, &((struct code_st *)rq->state)->c, index);
}

/* -------------------------------------------------------------- accesses */

void accesses_free(void *p)
{
	json_decref(((struct accesses_st *)p)->list);
}

struct accesses_walk {
	json_t *list;
	size_t got;
	uint64_t oldest;
	struct account_names names;
};

static int accesses_row(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct accesses_walk *w = ctx;
	struct leaf l;
	json_t *e;

	if (leaf_parse(&l, text, len) != 0)
		return AK_ECORRUPT; /* the log's own bytes: the scrubber would say so */
	e = json_pack("{s:I, s:I, s:s, s:o, s:s, s:s, s:s}", "log_index", (json_int_t)idx,
		      "time_ms", (json_int_t)l.time_ms, "actor_role", leaf_role_word(l.role),
		      "actor", account_names_get(&w->names, l.role, l.actor_id), "action",
		      leaf_action_word(l.action), "result", leaf_result_word(l.result), "detail",
		      leaf_detail_word(l.detail));
	/* A guardian showing my code acts by their pseudonym (FORMAT.md
	 * 3.1): said, so that my list tells my displays from theirs. */
	if (e != NULL && l.has_actor_pseudonym) {
		char hex[2 * LEAF_ID_BYTES + 1];
		util_hex_encode(hex, l.actor_pseudonym, LEAF_ID_BYTES);
		if (json_object_set_new(e, "actor_pseudonym", json_string(hex)) != 0) {
			json_decref(e);
			e = NULL;
		}
	}
	if (e == NULL || json_array_append_new(w->list, e) != 0)
		return AK_ENOMEM;
	w->got++;
	w->oldest = idx;
	return 0;
}

enum api_error accesses_of(struct request *rq, uint64_t resident_id)
{
	struct accesses_st *s = rq->state;
	struct accesses_walk w;
	struct store_log_filter f;
	uint64_t limit = ACCESSES_PAGE, before = 0;
	const char *action;
	enum api_error e;
	int rc, has_limit, has_before, act = -1;

	if ((e = request_query_uint(rq, "limit", &limit, &has_limit)) != API_OK ||
	    (e = request_query_uint(rq, "before", &before, &has_before)) != API_OK)
		return e;
	if (limit == 0)
		return API_BAD_LIMIT;
	if (limit > ACCESSES_PAGE_MAX)
		limit = ACCESSES_PAGE_MAX;
	if (has_before && before == 0)
		return API_BAD_CURSOR;
	if ((action = request_query(rq, "action")) != NULL &&
	    (act = leaf_action_parse(action, strlen(action))) < 0)
		return API_BAD_ACTION;
	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing accesses", AK_ENOMEM);

	request_subject(rq, resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, rq->leaf.subject, sizeof f.subject);
	f.newest_first = 1;
	f.limit = (size_t)limit;
	f.action = act;
	f.end = has_before ? before : 0;
	memset(&w, 0, sizeof w);
	w.list = s->list;
	account_names_init(&w.names, rq->db);
	rc = store_log_query(rq->db, &f, accesses_row, &w);
	account_names_clear(&w.names);
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "listing accesses", rc);
	/* A full page may have more before it; the first leaf has none. */
	s->next = w.got == limit && w.oldest > 0 ? w.oldest : 0;
	return API_OK;
}

static enum api_error accesses(struct request *rq)
{
	return accesses_of(rq, rq->who.resident_id);
}

enum api_error accesses_answer(struct request *rq, uint64_t index)
{
	struct accesses_st *s = rq->state;

	return reply_json(rq, 200,
			  json_pack("{s:O, s:o, s:I}", "accesses", s->list, "next",
				    s->next ? json_integer((json_int_t)s->next) : json_null(),
				    "log_index", (json_int_t)index));
}

/* --------------------------------------------------------------- history */

static int history_row(void *ctx, const struct store_status_change *c)
{
	json_t *list = ctx;
	json_t *e = json_pack("{s:I, s:s, s:s}", "time", (json_int_t)c->time, "status",
			      cred_status_word((enum cred_status)c->status), "reason", c->reason);

	if (e == NULL || json_array_append_new(list, e) != 0)
		return AK_ENOMEM;
	return 0;
}

static enum api_error history(struct request *rq)
{
	struct request_list_st *s = rq->state;
	int rc;

	if ((s->list = json_array()) == NULL)
		return request_fault(rq, API_INTERNAL, "listing history", AK_ENOMEM);
	if ((rc = store_status_history(rq->db, rq->who.resident_id, 0, history_row, s->list)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "listing history", rc);
	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	return API_OK;
}

static enum api_error history_answer(struct request *rq, uint64_t index)
{
	struct request_list_st *s = rq->state;

	return reply_list(rq, "history", s->list, index);
}

/* ----------------------------------------------------------------- erase */

struct erase_st {
	uint64_t resident_id, now;
	int found;
};

static int erase_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct erase_st *s = state;
	int rc;
	(void)n;
	(void)first;

	rc = store_resident_erase(w, s->resident_id, s->now);
	if (rc == AK_ENOENT) {
		/* Erased by a request that committed first: say so in the log. */
		l->result = RES_NOT_FOUND;
		return 0;
	}
	if (rc == 0)
		s->found = 1;
	return rc;
}

static enum api_error erase(struct request *rq)
{
	struct erase_st *s = rq->state;

	s->resident_id = rq->who.resident_id;
	s->now = rq->now;
	request_subject(rq, rq->who.resident_id);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	rq->op.change = erase_change;
	/* Answered only once no file holds the wrapped key or the sealed
	 * fields any more (log/auditlog.h). */
	rq->op.flags = AUDITLOG_WIPE;
	return API_OK;
}

static enum api_error erase_answer(struct request *rq, uint64_t index)
{
	struct erase_st *s = rq->state;

	if (!s->found)
		return API_NO_RESIDENT;
	/* Outstanding codes were revoked in the same transaction: the
	 * published revocation list must now say so, wiped or not yet. */
	lists_changed(app_lists(rq->app));
	if (rq->op.wipe_owed)
		return API_ERASE_PENDING;
	return reply_json(rq, 200,
			  json_pack("{s:b, s:I}", "erased", 1, "log_index", (json_int_t)index));
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_me_code = {code_json, code_answer, sizeof(struct code_st), code_free,
					code_ahead};
const struct route_handler h_me_code_png = {code_png, code_answer, sizeof(struct code_st),
					    code_free, code_ahead};
const struct route_handler h_me_code_svg = {code_svg, code_answer, sizeof(struct code_st),
					    code_free, code_ahead};
const struct route_handler h_me_accesses = {accesses, accesses_answer, sizeof(struct accesses_st),
					    accesses_free};
const struct route_handler h_me_history = {history, history_answer, sizeof(struct request_list_st),
					   request_list_free};
const struct route_handler h_me_erase = {erase, erase_answer, sizeof(struct erase_st), NULL};
