/*
 * audit_api: the auditors' endpoints (docs/API.md, "Auditors"), what
 * `ankang-audit --server` reads.
 *
 *   GET /v1/audit/checkpoint                 the newest signed checkpoint
 *   GET /v1/audit/entries?start=&end=        leaves [start, end), 1000 a page
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
 * leaves whose subject is their own pseudonym (403 not_yours otherwise),
 * so they can check the indexes GET /v1/me/accesses gave them.
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
#include "log/auditlog.h"
#include "log/proof.h"
#include "service/routes.h"
#include "service/server.h"

#define ENTRIES_PAGE_MAX 1000

static int db_unavailable(struct http_request *rq)
{
	return http_error(rq, 503, "unavailable", "The database is not available.");
}

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

static json_t *b64_json(const uint8_t *b, size_t n)
{
	char text[2 * MERKLE_HASH_BYTES + 4];
	json_t *j;

	if (util_b64_encoded_len(n) >= sizeof text) {
		char *big = malloc(util_b64_encoded_len(n) + 1);
		if (big == NULL)
			return NULL;
		util_b64_encode(big, b, n);
		j = json_string(big);
		free(big);
		return j;
	}
	util_b64_encode(text, b, n);
	return json_string(text);
}

static json_t *proof_json(const merkle_hash *proof, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, b64_json(proof[i], MERKLE_HASH_BYTES)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A required query argument; -1 after replying 400. */
static int query_required(struct http_request *rq, const char *key, uint64_t *v)
{
	int rc = http_query_uint(rq, key, v);

	if (rc == 1) {
		char msg[96];
		snprintf(msg, sizeof msg, "Query argument '%s' is required.", key);
		http_error(rq, 400, "bad_query", msg);
		return -1;
	}
	return rc;
}

/*
 * The two required query arguments of a proof request (index and size, or
 * old and new) and the newest checkpoint's size, which bounds them: 0, or
 * -1 after replying (400, 503).
 */
static int proof_query(struct http_request *rq, const char *ka, uint64_t *a, const char *kb,
		       uint64_t *b, uint64_t *signed_n)
{
	if (query_required(rq, ka, a) != 0 || query_required(rq, kb, b) != 0)
		return -1;
	if (rq->db == NULL || signed_size(rq->db, signed_n) != 0) {
		db_unavailable(rq);
		return -1;
	}
	return 0;
}

/* Replies to a failed auditlog_prove_*: a range with no proof is the
 * caller's mistake (400), anything else the database's (503). */
static int no_proof(struct http_request *rq, int rc)
{
	if (rc == AK_EINVAL)
		return http_error(rq, 400, "bad_query", "No proof for that range.");
	return db_unavailable(rq);
}

/* ---------------------------------------------------------- checkpoint */

int h_audit_checkpoint(struct http_request *rq)
{
	uint64_t size;
	char *note = NULL;
	size_t len;
	int rc;

	if (rq->db == NULL)
		return db_unavailable(rq);
	rc = store_log_last_checkpoint(rq->db, &size, &note, &len);
	if (rc == AK_ENOENT)
		return http_error(rq, 404, "not_found", "No checkpoint has been signed yet.");
	if (rc != 0)
		return db_unavailable(rq);
	rc = http_reply(rq, 200, "text/plain; charset=utf-8", note, len);
	free(note);
	return rc;
}

/* ------------------------------------------------------------- entries */

struct entries_ctx {
	json_t *arr;
	int rc;
};

static int add_entry(void *ctx, uint64_t idx, const char *text, size_t len)
{
	struct entries_ctx *e = ctx;
	char *b64 = malloc(util_b64_encoded_len(len) + 1);
	json_t *o = json_object();
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
		char actor[48], subject[2 * LEAF_ID_BYTES + 1], object[2 * LEAF_ID_BYTES + 1];
		if (l.actor_id == LEAF_NO_ID)
			snprintf(actor, sizeof actor, "%s:-", leaf_role_word((int)l.role));
		else
			snprintf(actor, sizeof actor, "%s:%llu", leaf_role_word((int)l.role),
				 (unsigned long long)l.actor_id);
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
	return 0;
nomem:
	json_decref(o);
	free(b64);
	e->rc = AK_ENOMEM;
	return AK_ENOMEM;
}

int h_audit_entries(struct http_request *rq)
{
	struct store_log_filter f;
	struct entries_ctx e = {NULL, 0};
	uint64_t start = 0, end;
	int rc;

	if (http_query_uint(rq, "start", &start) < 0)
		return 0;
	if ((rc = http_query_uint(rq, "end", &end)) < 0)
		return 0;
	if (rc == 0 && end < start)
		return http_error(rq, 400, "bad_query", "'end' must not be before 'start'.");
	/* No log reaches 2^62 leaves: beyond that every page is empty, and
	 * start + a page cannot overflow. */
	if (start > ((uint64_t)1 << 62))
		start = end = (uint64_t)1 << 62;
	if (rc == 1 || end > start + ENTRIES_PAGE_MAX)
		end = start + ENTRIES_PAGE_MAX; /* a page at most, whatever was asked */
	if (rq->db == NULL)
		return db_unavailable(rq);
	if ((e.arr = json_array()) == NULL)
		return AK_ENOMEM;
	if (end > start) {
		store_log_filter_init(&f);
		f.start = start;
		f.end = end;
		rc = store_log_query(rq->db, &f, add_entry, &e);
		if (rc != 0) {
			json_decref(e.arr);
			return e.rc != 0 ? e.rc : db_unavailable(rq);
		}
	}
	return http_json(rq, 200, json_pack("{s:o}", "entries", e.arr));
}

/* ----------------------------------------------------------- inclusion */

int h_audit_inclusion(struct http_request *rq)
{
	merkle_hash proof[MERKLE_MAX_PROOF], lh;
	uint64_t index, size, signed_n;
	char *leaf = NULL;
	size_t len, n;
	json_t *p;
	int rc;

	if (proof_query(rq, "index", &index, "size", &size, &signed_n) != 0)
		return 0;
	if (index >= size || size > signed_n)
		return http_error(rq, 400, "bad_query",
				  "Need index < size <= the newest checkpoint's size.");
	rc = store_log_get_leaf(rq->db, index, &leaf, &len);
	if (rc != 0)
		return rc == AK_ENOENT ? http_error(rq, 404, "not_found", "No such entry.")
				       : db_unavailable(rq);
	if (rq->who.role == ROLE_RESIDENT) {
		uint8_t mine[SEAL_PSEUDONYM_BYTES];
		struct leaf l;
		server_pseudonym(rq->srv, rq->who.resident_id, mine);
		if (leaf_parse(&l, leaf, len) != 0 || !l.has_subject ||
		    memcmp(l.subject, mine, sizeof mine) != 0) {
			free(leaf);
			return http_error(rq, 403, "not_yours",
					  "That entry is not about you; ask an auditor.");
		}
	}
	merkle_leaf_hash(lh, (const uint8_t *)leaf, len);
	free(leaf);
	if ((rc = proof_inclusion(rq->db, index, size, proof, &n)) != 0)
		return no_proof(rq, rc);
	if ((p = proof_json(proof, n)) == NULL)
		return AK_ENOMEM;
	return http_json(rq, 200,
			 json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)index, "size",
				   (json_int_t)size, "leaf_hash", b64_json(lh, sizeof lh), "proof",
				   p));
}

/* --------------------------------------------------------- consistency */

int h_audit_consistency(struct http_request *rq)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	uint64_t old, new_size, signed_n;
	size_t n;
	json_t *p;
	int rc;

	if (proof_query(rq, "old", &old, "new", &new_size, &signed_n) != 0)
		return 0;
	if (old == 0 || old > new_size || new_size > signed_n)
		return http_error(rq, 400, "bad_query",
				  "Need 0 < old <= new <= the newest checkpoint's size.");
	if ((rc = proof_consistency(rq->db, old, new_size, proof, &n)) != 0)
		return no_proof(rq, rc);
	if ((p = proof_json(proof, n)) == NULL)
		return AK_ENOMEM;
	return http_json(rq, 200,
			 json_pack("{s:I, s:I, s:o}", "old", (json_int_t)old, "new",
				   (json_int_t)new_size, "proof", p));
}
