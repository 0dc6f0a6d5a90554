/*
 * me: a resident's own endpoints (docs/API.md), each for the resident the
 * session token names and no other:
 *
 *   GET /v1/me/code, .png, .svg   a fresh signed code     leaf `issue`
 *   GET /v1/me/accesses           every access to my data leaf `accesses_read`
 *   GET /v1/me/history            my status changes       leaf `history_read`
 *   DELETE /v1/me                 erasure                 leaf `erase`
 *
 * Every one of them reads personal data or changes state, so each answers
 * only in its continuation, after its leaf is durable, and each leaf
 * names the resident's pseudonym as subject and `resident:-` as actor.
 * A code is signed (and its image drawn) before it is submitted, so the
 * writer only stores the code row; the row and the `issue` leaf commit
 * together, which is what lets a later status change or erasure revoke
 * every code that was handed out.
 *
 * The accesses list is the log itself, read through the subject index:
 * every leaf whose subject is my pseudonym, newest first, the resident's
 * own log-ins and reads included, each with its log index (for an
 * inclusion proof) and the acting account's name (a label such as
 * "checkpoint-17", never a person's name: policy_account_name_valid).
 *
 * Never: answer before the leaf is durable; keep a name or a credential
 * past the request (states are wiped on free); put anything but the code
 * in an image.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/lists.h"
#include "service/resident.h"
#include "service/routes.h"
#include "service/server.h"

#define ME_ACCESSES_MAX 1000

/* Failures after submit: the database or the writer, never the caller. */
static int answer_failure(struct http_request *rq, int rc)
{
	if (rc == AK_ENOENT)
		return http_error(rq, 404, "not_found", "No such resident.");
	return http_error(rq, 503, "unavailable", "The request could not be recorded.");
}

/* A leaf about the caller, by the caller: resident:- on their pseudonym. */
static void own_leaf(struct http_request *rq, struct leaf *l, enum leaf_action action)
{
	leaf_init(l, ROLE_RESIDENT, LEAF_NO_ID, action);
	l->result = RES_OK;
	l->detail = DET_EMPTY;
	server_pseudonym(rq->srv, rq->who.resident_id, l->subject);
	l->has_subject = 1;
}

/* ------------------------------------------------------------------ code */

struct code_state {
	struct leaf leaf;
	struct resident_code c;
};

static void code_free(void *p)
{
	struct code_state *s = p;
	if (s == NULL)
		return;
	resident_code_wipe(&s->c);
	http_state_wipe(s, sizeof *s);
}

static int code_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct code_state *s = ctx;
	(void)l;
	(void)n;
	/* AK_ENOENT (erased since the read) rolls the leaf back too: no code
	 * is handed out, so none was issued. */
	return store_code_add(w, &s->c.code);
}

static int code_then(struct http_request *rq, int rc, uint64_t index)
{
	struct code_state *s = rq->state;

	if (rc != 0)
		return answer_failure(rq, rc);
	return resident_code_reply(rq, &s->c, index);
}

static int me_code(struct http_request *rq, enum resident_code_format format)
{
	struct resident_view v;
	struct code_state *s;
	int rc, len;

	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = code_free;
	s->c.format = format;

	rc = resident_open(rq->srv, rq->db, rq->who.resident_id, &v);
	if (rc == AK_ENOENT)
		return http_error(rq, 404, "not_found", "No such resident.");
	if (rc != 0)
		return rc;
	len = resident_issue(rq->srv, &v, rq->srv->cfg.code_ttl, 0, s->c.text, &s->c.code);
	if (len < 0) {
		resident_wipe(&v);
		return len;
	}
	memcpy(s->c.name, v.name, sizeof s->c.name);
	own_leaf(rq, &s->leaf, ACT_ISSUE);
	memcpy(s->leaf.subject, v.pseudonym, sizeof s->leaf.subject);
	memcpy(s->leaf.object, s->c.code.cti, sizeof s->leaf.object);
	s->leaf.has_object = 1;
	s->leaf.detail = leaf_detail_of_status(s->c.code.status);
	resident_wipe(&v);
	if ((rc = resident_code_draw(&s->c)) != 0)
		return rc;
	return http_submit(rq, &s->leaf, 1, code_change, s, code_then);
}

int h_me_code(struct http_request *rq)
{
	return me_code(rq, RESIDENT_CODE_JSON);
}

int h_me_code_png(struct http_request *rq)
{
	return me_code(rq, RESIDENT_CODE_PNG);
}

int h_me_code_svg(struct http_request *rq)
{
	return me_code(rq, RESIDENT_CODE_SVG);
}

/* -------------------------------------------------------------- accesses */

/* Account names seen so far in one listing: few distinct actors repeat. */
#define NAME_CACHE 16

struct accesses_state {
	struct leaf leaf;
	json_t *list;
};

struct accesses_walk {
	store *db;
	json_t *list;
	size_t cached;
	struct {
		uint64_t id;
		json_t *name; /* a string, or null for an unknown account */
	} cache[NAME_CACHE];
};

static void accesses_free(void *p)
{
	struct accesses_state *s = p;
	if (s == NULL)
		return;
	json_decref(s->list);
	free(s);
}

/* The acting account's name (a new reference), or null for "-". */
static json_t *actor_name(struct accesses_walk *w, const struct leaf *l)
{
	struct store_account a;
	json_t *name;

	if (l->actor_id == LEAF_NO_ID)
		return json_null();
	for (size_t i = 0; i < w->cached; i++)
		if (w->cache[i].id == l->actor_id)
			return json_incref(w->cache[i].name);
	name = store_account_by_id(w->db, l->actor_id, &a) == 0 ? json_string(a.name) : json_null();
	if (name != NULL && w->cached < NAME_CACHE) {
		w->cache[w->cached].id = l->actor_id;
		w->cache[w->cached].name = json_incref(name);
		w->cached++;
	}
	return name;
}

static int accesses_row(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct accesses_walk *w = ctx;
	struct leaf l;
	json_t *e;

	if (leaf_parse(&l, text, len) != 0)
		return AK_ECORRUPT; /* the log's own bytes: the self-check would say so */
	e = json_pack("{s:I, s:I, s:s, s:o, s:s, s:s, s:s}", "log_index", (json_int_t)idx,
		      "time_ms", (json_int_t)l.time_ms, "actor_role", leaf_role_word(l.role),
		      "actor", actor_name(w, &l), "action", leaf_action_word(l.action), "result",
		      leaf_result_word(l.result), "detail", leaf_detail_word(l.detail));
	if (e == NULL || json_array_append_new(w->list, e) != 0)
		return AK_ENOMEM;
	return 0;
}

static int accesses_then(struct http_request *rq, int rc, uint64_t index)
{
	struct accesses_state *s = rq->state;

	if (rc != 0)
		return answer_failure(rq, rc);
	return http_json(
	    rq, 200, json_pack("{s:O, s:I}", "accesses", s->list, "log_index", (json_int_t)index));
}

int h_me_accesses(struct http_request *rq)
{
	struct accesses_state *s;
	struct accesses_walk w;
	struct store_log_filter f;
	uint64_t limit = ME_ACCESSES_MAX;
	int rc;

	if ((rc = http_query_uint(rq, "limit", &limit)) < 0)
		return 0;
	if (limit == 0)
		return http_error(rq, 400, "bad_query",
				  "Query argument 'limit' must be at least 1.");
	if (limit > ME_ACCESSES_MAX)
		limit = ME_ACCESSES_MAX;
	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = accesses_free;
	if ((s->list = json_array()) == NULL)
		return AK_ENOMEM;

	own_leaf(rq, &s->leaf, ACT_ACCESSES_READ);
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, s->leaf.subject, sizeof f.subject);
	f.newest_first = 1;
	f.limit = (size_t)limit;
	memset(&w, 0, sizeof w);
	w.db = rq->db;
	w.list = s->list;
	rc = store_log_query(rq->db, &f, accesses_row, &w);
	for (size_t i = 0; i < w.cached; i++)
		json_decref(w.cache[i].name);
	if (rc != 0)
		return rc;
	return http_submit(rq, &s->leaf, 1, NULL, NULL, accesses_then);
}

/* --------------------------------------------------------------- history */

struct history_state {
	struct leaf leaf;
	json_t *list;
};

static void history_free(void *p)
{
	struct history_state *s = p;
	if (s == NULL)
		return;
	resident_json_wipe(s->list);
	json_decref(s->list);
	free(s);
}

static int history_row(void *ctx, const struct store_status_change *c)
{
	json_t *list = ctx;
	json_t *e = json_pack("{s:I, s:s, s:s}", "time", (json_int_t)c->time, "status",
			      cred_status_word(c->status), "reason", c->reason);

	if (e == NULL || json_array_append_new(list, e) != 0)
		return AK_ENOMEM;
	return 0;
}

static int history_then(struct http_request *rq, int rc, uint64_t index)
{
	struct history_state *s = rq->state;

	if (rc != 0)
		return answer_failure(rq, rc);
	return http_json(
	    rq, 200, json_pack("{s:O, s:I}", "history", s->list, "log_index", (json_int_t)index));
}

int h_me_history(struct http_request *rq)
{
	struct history_state *s;
	int rc;

	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = history_free;
	if ((s->list = json_array()) == NULL)
		return AK_ENOMEM;
	if ((rc = store_status_history(rq->db, rq->who.resident_id, 0, history_row, s->list)) != 0)
		return rc;
	own_leaf(rq, &s->leaf, ACT_HISTORY_READ);
	return http_submit(rq, &s->leaf, 1, NULL, NULL, history_then);
}

/* ----------------------------------------------------------------- erase */

struct erase_state {
	struct leaf leaf;
	uint64_t resident_id, now;
	int found;
};

static int erase_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct erase_state *s = ctx;
	int rc;
	(void)n;

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

static int erase_then(struct http_request *rq, int rc, uint64_t index)
{
	struct erase_state *s = rq->state;

	if (rc != 0)
		return answer_failure(rq, rc);
	if (!s->found)
		return http_error(rq, 404, "not_found", "No such resident.");
	/* Outstanding codes were revoked in the same transaction: the
	 * published revocation list must now say so. */
	if (rq->srv->lists != NULL)
		lists_changed(rq->srv->lists);
	return http_json(rq, 200,
			 json_pack("{s:b, s:I}", "erased", 1, "log_index", (json_int_t)index));
}

int h_me_erase(struct http_request *rq)
{
	struct erase_state *s = calloc(1, sizeof *s);

	if (s == NULL)
		return AK_ENOMEM;
	rq->state = s;
	rq->state_free = free;
	s->resident_id = rq->who.resident_id;
	s->now = util_now();
	own_leaf(rq, &s->leaf, ACT_ERASE);
	return http_submit(rq, &s->leaf, 1, erase_change, s, erase_then);
}
