/*
 * export: GET /v1/me/export, everything the service holds about me in
 * one JSON document, decrypted for me, to keep (docs/API.md, "My data"):
 *
 *   {"exported": <unix seconds>,
 *    "resident": {handle, name, id_number, phone|null, status, created,
 *                 status_changed},
 *    "status_history": [{time, status, reason, officer|null}],
 *    "sessions": [{created, last_used, expires, current}],
 *    "accesses": [{index, time, time_ms, actor_role, actor|null, action,
 *                  code|null, result, detail}],
 *    "appeals": [...], "household": {members, guardians},
 *    "log_index": <this export's own leaf>}
 *
 * Each part is a section (export.h), in the table below; the document is
 * built in prepare and answered only once the `export` leaf is durable,
 * as an attachment (a file to keep, not a page to show).
 *
 * The accesses are the log itself, every leaf whose subject is my
 * pseudonym, newest first, each with its log index, so that each can be
 * proven to be in the log the auditors check (GET
 * /v1/audit/proof/inclusion). They are not paged: the export is whole.
 * The export's own leaf is not among them (it is written after they are
 * read); its index is the document's log_index.
 *
 * Only the resident the session names is exported; no one else may ask
 * (routes.c), so no officer's or guardian's route reaches it.
 *
 * Never: log or print the document; keep it past the request (the state
 * is freed with it, and jansson's memory is wiped on free).
 */
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/export.h"
#include "service/record.h"
#include "service/token.h"

/* -------------------------------------------------------------- resident */

static int section_resident(struct export_ctx *x, json_t **out)
{
	struct request *rq = x->rq;
	struct store_resident r;
	struct record_view v;
	char handle[REQUEST_HANDLE_TEXT];
	int rc;

	rc = store_resident_by_id(rq->db, x->resident_id, &r);
	if (rc == 0 && r.erased)
		rc = AK_ENOENT;
	if (rc != 0) {
		sodium_memzero(&r, sizeof r);
		return rc;
	}
	request_handle_text(handle, r.handle);
	if ((rc = record_open(app_record_keys(rq->app), rq->db, x->resident_id, &rq->leaf, &v)) ==
	    0) {
		*out = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I}", "handle", handle, "name",
				 v.name, "id_number", v.id_number, "phone",
				 v.phone[0] ? json_string(v.phone) : json_null(), "status",
				 cred_status_word((enum cred_status)v.status), "created",
				 (json_int_t)r.created, "status_changed",
				 (json_int_t)r.status_changed);
		rc = *out ? 0 : AK_ENOMEM;
	}
	record_wipe(&v);
	sodium_memzero(&r, sizeof r);
	return rc;
}

/* -------------------------------------------------------- status history */

struct list_walk {
	struct export_ctx *x;
	json_t *list;
};

static int history_row(void *ctx, const struct store_status_change *c)
{
	struct list_walk *w = ctx;
	json_t *e =
	    json_pack("{s:I, s:s, s:s, s:o}", "time", (json_int_t)c->time, "status",
		      cred_status_word((enum cred_status)c->status), "reason", c->reason, "officer",
		      account_names_get(&w->x->names, ROLE_OFFICER, c->officer_id));

	return e != NULL && json_array_append_new(w->list, e) == 0 ? 0 : AK_ENOMEM;
}

static int section_history(struct export_ctx *x, json_t **out)
{
	struct list_walk w = {x, json_array()};
	int rc;

	if (w.list == NULL)
		return AK_ENOMEM;
	rc = store_status_history(x->rq->db, x->resident_id, 0, history_row, &w);
	*out = w.list;
	return rc;
}

/* -------------------------------------------------------------- sessions */

static int session_row(void *ctx, const struct store_session *ss)
{
	struct list_walk *w = ctx;
	json_t *e =
	    json_pack("{s:I, s:I, s:I, s:b}", "created", (json_int_t)ss->created, "last_used",
		      (json_int_t)ss->used, "expires", (json_int_t)ss->expires, "current",
		      sodium_memcmp(ss->token_hash, w->x->rq->who.session, TOKEN_HASH_BYTES) == 0);

	return e != NULL && json_array_append_new(w->list, e) == 0 ? 0 : AK_ENOMEM;
}

static int section_sessions(struct export_ctx *x, json_t **out)
{
	struct list_walk w = {x, json_array()};
	int rc;

	if (w.list == NULL)
		return AK_ENOMEM;
	rc = store_sessions_list(x->rq->db, x->resident_id, x->rq->now, session_row, &w);
	*out = w.list;
	return rc;
}

/* -------------------------------------------------------------- accesses */

static int access_row(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct list_walk *w = ctx;
	char cti[2 * LEAF_ID_BYTES + 1];
	struct leaf l;
	json_t *e;

	if (leaf_parse(&l, text, len) != 0)
		return AK_ECORRUPT; /* the log's own bytes: the scrubber would say so */
	if (l.has_object)
		sodium_bin2hex(cti, sizeof cti, l.object, sizeof l.object);
	e = json_pack("{s:I, s:I, s:I, s:s, s:o, s:s, s:o, s:s, s:s}", "index", (json_int_t)idx,
		      "time", (json_int_t)(l.time_ms / 1000), "time_ms", (json_int_t)l.time_ms,
		      "actor_role", leaf_role_word(l.role), "actor",
		      account_names_get(&w->x->names, l.role, l.actor_id), "action",
		      leaf_action_word(l.action), "code",
		      l.has_object ? json_string(cti) : json_null(), "result",
		      leaf_result_word(l.result), "detail", leaf_detail_word(l.detail));
	return e != NULL && json_array_append_new(w->list, e) == 0 ? 0 : AK_ENOMEM;
}

/* After section_resident, which set the leaf's subject: my pseudonym. */
static int section_accesses(struct export_ctx *x, json_t **out)
{
	struct list_walk w = {x, json_array()};
	struct store_log_filter f;
	int rc;

	if (w.list == NULL)
		return AK_ENOMEM;
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, x->rq->leaf.subject, sizeof f.subject);
	f.newest_first = 1;
	rc = store_log_query(x->rq->db, &f, access_row, &w);
	*out = w.list;
	return rc;
}

/* --------------------------------------------------------------- handler */

/* The document's parts, in its order. The resident comes first: opening
 * the record is what names me in the leaf (record.h), and the accesses
 * are read by that name. */
static const struct {
	const char *key;
	export_section_fn fn;
} sections[] = {
    {"resident", section_resident}, {"status_history", section_history},
    {"sessions", section_sessions}, {"accesses", section_accesses},
    {"appeals", export_appeals},    {"household", export_household},
};

struct export_st {
	json_t *doc;
};

static void export_free(void *p)
{
	json_decref(((struct export_st *)p)->doc);
}

static enum api_error export_prepare(struct request *rq)
{
	struct export_st *s = rq->state;
	struct export_ctx x = {.rq = rq, .resident_id = rq->who.resident_id};
	json_t *part = NULL;
	int rc = 0;

	if ((s->doc = json_pack("{s:I}", "exported", (json_int_t)rq->now)) == NULL)
		return request_fault(rq, API_INTERNAL, "exporting", AK_ENOMEM);
	account_names_init(&x.names, rq->db);
	for (size_t i = 0; i < AK_ARRAY_LEN(sections) && rc == 0; i++) {
		part = NULL;
		rc = sections[i].fn(&x, &part);
		if (rc == 0 && json_object_set_new(s->doc, sections[i].key, part) != 0)
			rc = AK_ENOMEM;
		else if (rc != 0)
			json_decref(part);
	}
	account_names_clear(&x.names);
	if (rc == AK_ENOENT)
		return API_NO_RESIDENT; /* erased since the session was checked */
	if (rc != 0)
		return request_fault(rq, rc == AK_EDB ? API_UNAVAILABLE : API_INTERNAL, "exporting",
				     rc);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = DET_EMPTY;
	return API_OK;
}

static enum api_error export_answer(struct request *rq, uint64_t index)
{
	struct export_st *s = rq->state;

	if (json_object_set_new(s->doc, "log_index", json_integer((json_int_t)index)) != 0)
		return API_INTERNAL;
	reply_header(rq, "Content-Disposition", "attachment; filename=\"ankang-export.json\"");
	return reply_json(rq, 200, json_incref(s->doc));
}

const struct route_handler h_me_export = {export_prepare, export_answer, sizeof(struct export_st),
					  export_free};
