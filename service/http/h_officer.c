/*
 * officer: what an officer reads about their own work (docs/API.md,
 * "Officers").
 *
 *   GET /v1/officer/actions?limit=&before=   my own recent log entries,
 *                                            newest first
 *
 * The list is the log itself: the leaves whose actor is the calling
 * officer's account, each with its log index (so it can be proven), its
 * time, action, result and detail (the purpose or reason the officer
 * gave). The log has no index by actor (schema/001_audit.sql says why),
 * so a request reads at most ACTIONS_SCAN_MAX leaves back from `before`
 * (or the end of the log), keeps the first `limit` of this officer's, and
 * says in `next` where the following request starts (a `before`; null
 * once the beginning of the log is reached). A page may then be short or
 * empty with more behind it.
 *
 * A leaf names its resident by pseudonym, a keyed hash the service can
 * compute from a resident's id but not reverse; and the database keeps
 * no pseudonym beside a resident's row, so that a copy of it without the
 * KEK cannot join the log to the register. So each entry's subject is
 * shown as the resident's handle only where the service holds a record
 * that names a candidate resident for it, checked by computing that
 * resident's pseudonym: the code a leaf's object names (a paper code),
 * the status changes this officer made in the period the page covers
 * (the newest HISTORY_ROWS_MAX of anyone's; an upheld appeal is one), and
 * the open appeals, as many as the officers' list shows (h_appeals.c).
 * Every entry of the page about a resident so found is named, a look-up
 * before the action included. Any other subject, and an erased resident,
 * is null. Every handle shown is one the officer gave, or was given in an
 * answer (a look-up's, the appeals list's).
 *
 * No leaf of its own (routes.c: DATA_LOG): the answer is this officer's
 * own entries of a log that holds no personal data, and handles the
 * officer already had; the desk page reads it after every action, and
 * logging each read would fill the officer's own list with its reads.
 *
 * Never: list another account's entries, or name a resident the officer
 * did not act on.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/request.h"

#define ACTIONS_PAGE     20
#define ACTIONS_PAGE_MAX 100
/* Leaves one request reads at most, this officer's or not (~20 ms of
 * leaf_parse), and status changes it reads to name residents. */
#define ACTIONS_SCAN_MAX 20000
#define HISTORY_ROWS_MAX 5000
#define OPEN_APPEALS_MAX 200 /* h_appeals.c's APPEAL_LIST_MAX */
#define CANDIDATES_MAX   (ACTIONS_PAGE_MAX + HISTORY_ROWS_MAX + OPEN_APPEALS_MAX)

struct action_row {
	uint64_t index, time_ms;
	int action, result, detail;
	int has_subject, has_object;
	uint8_t subject[LEAF_ID_BYTES], object[LEAF_ID_BYTES];
	int named; /* handle holds the subject's resident's handle */
	uint8_t handle[STORE_HANDLE_BYTES];
};

struct actions_walk {
	struct action_row *rows;
	size_t got, limit;
};

static int actions_row(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct actions_walk *w = ctx;
	struct action_row *r = &w->rows[w->got];
	struct leaf l;

	if (leaf_parse(&l, text, len) != 0)
		return AK_ECORRUPT; /* the query matched on these bytes: cannot happen */
	memset(r, 0, sizeof *r);
	r->index = idx;
	r->time_ms = l.time_ms;
	r->action = (int)l.action;
	r->result = (int)l.result;
	r->detail = (int)l.detail;
	r->has_subject = l.has_subject;
	memcpy(r->subject, l.subject, sizeof r->subject);
	r->has_object = l.has_object;
	memcpy(r->object, l.object, sizeof r->object);
	w->got++;
	return 0;
}

/* ------------------------------------------------------------ handles */

struct candidates {
	uint64_t *ids;
	size_t n;
};

static int candidate_add(void *ctx, uint64_t id)
{
	struct candidates *c = ctx;

	for (size_t i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return 0;
	if (c->n < CANDIDATES_MAX)
		c->ids[c->n++] = id;
	return 0;
}

static int appeal_candidate(void *ctx, const struct store_appeal *a)
{
	return candidate_add(ctx, a->resident_id);
}

/*
 * Names the rows' subjects where a candidate's pseudonym matches (see the
 * top of this file). 0, or a store error.
 */
static int name_subjects(struct request *rq, struct action_row *rows, size_t n)
{
	struct candidates c = {NULL, 0};
	struct store_resident res;
	struct store_code code;
	uint8_t p[SEAL_PSEUDONYM_BYTES];
	uint64_t since;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((c.ids = calloc(CANDIDATES_MAX, sizeof *c.ids)) == NULL)
		return AK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].has_object || !rows[i].has_subject)
			continue;
		rc = store_code_get(rq->db, rows[i].object, &code);
		if (rc == 0)
			candidate_add(&c, code.resident_id);
		else if (rc != AK_ENOENT)
			goto out;
	}
	/* The oldest row's second, less one: a history row's time is the
	 * request's second, the leaf's its millisecond. */
	since = rows[n - 1].time_ms / 1000;
	since = since > 0 ? since - 1 : 0;
	rc = store_status_history_by_officer(rq->db, rq->who.account_id, since, HISTORY_ROWS_MAX,
					     candidate_add, &c);
	if (rc == 0)
		rc = store_appeals_list(rq->db, STORE_APPEALS_OPEN, OPEN_APPEALS_MAX,
					appeal_candidate, &c);
	if (rc != 0)
		goto out;
	for (size_t k = 0; k < c.n; k++) {
		int found = 0;
		seal_pseudonym(app_kek(rq->app), p, c.ids[k]);
		for (size_t i = 0; i < n; i++) {
			if (rows[i].named || !rows[i].has_subject ||
			    sodium_memcmp(rows[i].subject, p, sizeof p) != 0)
				continue;
			if (!found) {
				rc = store_resident_by_id(rq->db, c.ids[k], &res);
				if (rc == AK_ENOENT)
					break;
				if (rc != 0)
					goto out;
				if (res.erased) {
					sodium_memzero(&res, sizeof res);
					break;
				}
				found = 1;
			}
			rows[i].named = 1;
			memcpy(rows[i].handle, res.handle, sizeof rows[i].handle);
		}
		if (found)
			sodium_memzero(&res, sizeof res);
	}
	rc = 0;
out:
	free(c.ids);
	return rc;
}

/* ------------------------------------------------------------ actions */

static json_t *rows_json(const struct action_row *rows, size_t n)
{
	json_t *a = json_array(), *e;
	char handle[REQUEST_HANDLE_TEXT];

	for (size_t i = 0; a != NULL && i < n; i++) {
		const struct action_row *r = &rows[i];
		json_t *subject = json_null();
		if (r->named) {
			request_handle_text(handle, r->handle);
			subject = json_string(handle);
		}
		e = json_pack("{s:I, s:I, s:I, s:s, s:o, s:s, s:s}", "index", (json_int_t)r->index,
			      "time", (json_int_t)(r->time_ms / 1000), "time_ms",
			      (json_int_t)r->time_ms, "action", leaf_action_word(r->action),
			      "subject_handle", subject, "result", leaf_result_word(r->result),
			      "detail", leaf_detail_word(r->detail));
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static enum api_error actions(struct request *rq, uint64_t index)
{
	struct store_log_filter f;
	struct actions_walk w = {NULL, 0, 0};
	uint64_t limit = ACTIONS_PAGE, before = 0, size, lo, hi, pos;
	int has_limit, has_before, rc;
	enum api_error e;
	json_t *list, *next;
	(void)index;

	if ((e = request_query_uint(rq, "limit", &limit, &has_limit)) != API_OK ||
	    (e = request_query_uint(rq, "before", &before, &has_before)) != API_OK)
		return e;
	if (limit == 0)
		return API_BAD_LIMIT;
	if (limit > ACTIONS_PAGE_MAX)
		limit = ACTIONS_PAGE_MAX;
	if (has_before && before == 0)
		return API_BAD_CURSOR;
	if ((rc = store_log_size(rq->db, &size)) != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading the log's size", rc);
	hi = has_before && before < size ? before : size;
	lo = hi > ACTIONS_SCAN_MAX ? hi - ACTIONS_SCAN_MAX : 0;

	if ((w.rows = calloc((size_t)limit, sizeof *w.rows)) == NULL)
		return request_fault(rq, API_INTERNAL, "listing actions", AK_ENOMEM);
	w.limit = (size_t)limit;
	rc = 0;
	if (lo < hi) {
		store_log_filter_init(&f);
		f.role = ROLE_OFFICER;
		f.actor_id = rq->who.account_id;
		f.start = lo;
		f.end = hi;
		f.newest_first = 1;
		f.limit = (size_t)limit;
		rc = store_log_query(rq->db, &f, actions_row, &w);
	}
	if (rc == 0)
		rc = name_subjects(rq, w.rows, w.got);
	/* Answered without a leaf: what was read, once durable
	 * (store_durable). */
	if (rc == 0)
		rc = store_durable(rq->db);
	if (rc != 0) {
		free(w.rows);
		return request_fault(rq, API_UNAVAILABLE, "listing actions", rc);
	}
	list = rows_json(w.rows, w.got);
	/* A full page goes on below its last entry; any other below the
	 * leaves this request read. */
	pos = w.got == limit ? w.rows[w.got - 1].index : lo;
	free(w.rows);
	if (list == NULL)
		return request_fault(rq, API_INTERNAL, "listing actions", AK_ENOMEM);
	next = pos > 0 ? json_integer((json_int_t)pos) : json_null();
	return reply_json(rq, 200, json_pack("{s:o, s:o}", "actions", list, "next", next));
}

const struct route_handler h_officer_actions = {NULL, actions, 0, NULL};
