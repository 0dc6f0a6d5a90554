/*
 * export_household: the export's household section (export.h): the
 * links in which I am the guardian (members) and those in which I am the
 * member (guardians), each {member | link, relation, state, requested,
 * confirmed, consent, officer}.
 *
 * The other person's name is not in it. It is their data, not mine: GET
 * /v1/me/household and /v1/me/guardians show it masked, each showing a
 * leaf in that person's own log, which one export leaf about me cannot
 * be. What the service holds about me here is that the link exists, who
 * it links by handle, and how it came to be.
 */
#include "service/http/export.h"

#include "common/util.h"
#include "service/store_people.h"

struct walk {
	struct export_ctx *x;
	json_t *list;
	const char *key; /* "member" (my members) or "link" (my guardians) */
};

static json_t *when(uint64_t t)
{
	return t != 0 ? json_integer((json_int_t)t) : json_null();
}

static int one(void *ctx, const struct store_link *l)
{
	struct walk *w = ctx;
	char h[2 * STORE_HANDLE_BYTES + 1];
	const char *consent = store_consent_word(l->consent);
	json_t *officer = l->officer_id != LEAF_NO_ID
			      ? account_names_get(&w->x->names, ROLE_OFFICER, l->officer_id)
			      : json_null();
	json_t *e;

	if (officer == NULL)
		return AK_ENOMEM;

	util_hex_encode(h, l->handle, STORE_HANDLE_BYTES);
	e = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", w->key, h, "relation",
		      leaf_detail_word(l->relation), "state", l->active ? "active" : "pending",
		      "requested", when(l->requested), "confirmed", when(l->confirmed), "consent",
		      consent != NULL ? json_string(consent) : json_null(), "officer", officer);
	if (e == NULL || json_array_append_new(w->list, e) != 0)
		return AK_ENOMEM;
	return 0;
}

int export_household(struct export_ctx *x, json_t **out)
{
	struct walk mine = {x, json_array(), "member"}, theirs = {x, json_array(), "link"};
	store *db = x->rq->db;
	int rc = AK_ENOMEM;

	*out = NULL;
	if (mine.list != NULL && theirs.list != NULL &&
	    (rc = store_links_of_guardian(db, x->resident_id, one, &mine)) == 0 &&
	    (rc = store_links_of_member(db, x->resident_id, one, &theirs)) == 0) {
		*out = json_pack("{s:o, s:o}", "members", mine.list, "guardians", theirs.list);
		return *out != NULL ? 0 : AK_ENOMEM;
	}
	json_decref(mine.list);
	json_decref(theirs.list);
	return rc;
}
