/*
 * verify: what verifiers ask the service (docs/API.md, "Verifiers").
 *
 *   POST /v1/verify   one credential, checked online
 *   POST /v1/scans    offline scans from ankang-verify's spool
 *
 * The online check is cred_verify against the service's own trust (the
 * data folder's issuer keys) with the configured clock skew, and then two
 * things only the service knows, read from the store rather than from the
 * published list (which may be up to a second behind):
 *
 *   revoked     the cti is in the revocations table;
 *   superseded  the holder's status changed after the code was issued.
 *
 * FORMAT.md orders `revoked` before `superseded`, but every status change
 * revokes all of the resident's live codes (store_codes_revoke), so taken
 * literally `superseded` could never be answered. The rule here is:
 *
 *   a revoked code whose resident is live and whose status changed after
 *   the code's iat (status_changed > iat, or the status differs from the
 *   code's) is `superseded`, shown with the CURRENT status; any other
 *   revoked code (the resident was erased, the code is not one the store
 *   knows) is `revoked`, shown with the status the code carries.
 *
 * A code that is not revoked cannot have been superseded (the change would
 * have revoked it), so the common case, a valid code, costs two indexed
 * reads: the code's row (whose resident is the leaf's subject) and the
 * revocation. Only a revoked code needs the resident's row as well.
 *
 * The answer is {result, name?, status?} and nothing else: name and status
 * only for valid, revoked and superseded, the name taken from the
 * credential itself, so nothing is unsealed on this path. It is built into
 * a fixed buffer in the request's state and sent once the `verify` leaf
 * (actor verifier:ID, subject the holder's pseudonym when the cti is
 * known, object the cti when the credential parsed, result the result
 * word, detail the status shown or `-`) is durable.
 *
 * Scans are the same facts gathered offline: one `verify_offline` leaf per
 * scan not seen before, time-stamped with the scan's own time, in one
 * operation with the scan rows. A scan id already stored is counted as a
 * duplicate and not logged again, so an upload can be retried.
 *
 * Never: unseal a record, put anything but result/name/status into a
 * verify answer, or log a credential.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/routes.h"
#include "service/server.h"
#include "service/store_people.h"

/* {"result":"superseded","name":"<128 bytes, escaped: at most 256>","status":"yellow"} */
#define VERIFY_ANSWER_MAX 512
#define SCANS_MAX         1000

/* ================================================================ verify */

struct verify_st {
	struct leaf leaf;
	size_t len;
	char answer[VERIFY_ANSWER_MAX];
};

static void verify_free(void *p)
{
	if (p != NULL) {
		sodium_memzero(p, sizeof(struct verify_st)); /* the answer holds a name */
		free(p);
	}
}

/*
 * Appends s to out as a JSON string body. A credential's name has no C0
 * control or DEL (cred_name_valid) and is valid UTF-8, so only '"' and
 * '\\' need escaping. Returns the new length, or 0 if it would not fit.
 */
static size_t put_escaped(char *out, size_t at, size_t cap, const char *s)
{
	for (; *s != '\0'; s++) {
		if (at + 3 > cap)
			return 0;
		if (*s == '"' || *s == '\\')
			out[at++] = '\\';
		out[at++] = *s;
	}
	return at;
}

/* The answer for result r: name and status only when a verifier may see them. */
static int build_answer(struct verify_st *s, enum cred_result r, const char *name, int status)
{
	size_t at;
	int n;

	n = snprintf(s->answer, sizeof s->answer, "{\"result\":\"%s\"", cred_result_word(r));
	if (n < 0 || (size_t)n >= sizeof s->answer)
		return AK_ETOOBIG;
	at = (size_t)n;
	if (cred_result_shows_data(r)) {
		memcpy(s->answer + at, ",\"name\":\"", 9);
		at += 9;
		if ((at = put_escaped(s->answer, at, sizeof s->answer, name)) == 0)
			return AK_ETOOBIG;
		n = snprintf(s->answer + at, sizeof s->answer - at, "\",\"status\":\"%s\"",
			     cred_status_word(status));
		if (n < 0 || (size_t)n >= sizeof s->answer - at)
			return AK_ETOOBIG;
		at += (size_t)n;
	}
	if (at + 2 > sizeof s->answer)
		return AK_ETOOBIG;
	s->answer[at++] = '}';
	s->answer[at] = '\0';
	s->len = at;
	return 0;
}

static int verify_then(struct http_request *rq, int rc, uint64_t index)
{
	struct verify_st *s = rq->state;
	(void)index;

	if (rc != 0)
		return http_error(rq, 503, "unavailable",
				  "The verification could not be recorded.");
	return http_reply(rq, 200, "application/json", s->answer, s->len);
}

/*
 * The service's own checks after cred_verify said the signature and the
 * times are good (result valid): revoked or superseded. Sets *status to
 * the status to show. Returns the result, or a negative AK_E* code.
 */
static int online_checks(struct http_request *rq, const struct cred *c, int known,
			 const struct store_code *code, int *status)
{
	struct store_resident r;
	int rc;

	if ((rc = store_revoked(rq->db, c->claims.cti)) < 0)
		return rc;
	if (rc == 0)
		return CRED_VALID;
	if (!known)
		return CRED_REVOKED;
	rc = store_resident_by_id(rq->db, code->resident_id, &r);
	if (rc != 0 && rc != AK_ENOENT)
		return rc;
	if (rc == 0 && !r.erased && (r.status != code->status || r.status_changed > code->iat)) {
		*status = r.status;
		rc = CRED_SUPERSEDED;
	} else {
		rc = CRED_REVOKED;
	}
	sodium_memzero(&r, sizeof r);
	return rc;
}

int h_verify(struct http_request *rq)
{
	static const char *const allowed[] = {"credential", NULL};
	struct server *srv = rq->srv;
	struct verify_st *s;
	struct cred c;
	struct cred_trust t;
	struct store_code code;
	const char *text;
	size_t len;
	json_t *body;
	int r, rc, status = CRED_GREEN, known = 0;

	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	if (http_field_string(rq, body, "credential", 1, &text, &len) != 0) {
		json_decref(body);
		return 0;
	}
	if (rq->db == NULL) {
		json_decref(body);
		return http_error(rq, 503, "unavailable", "The database is not available.");
	}
	memset(&t, 0, sizeof t);
	t.issuers = srv->dd->trust.issuers;
	t.n_issuers = srv->dd->trust.n_issuers;
	t.now = util_now();
	t.skew = srv->cfg.skew;
	/* Revocations come from the store below, not from a list here. */
	r = (int)cred_verify(&t, text, len, &c);
	json_decref(body);

	if ((s = calloc(1, sizeof *s)) == NULL) {
		sodium_memzero(&c, sizeof c);
		return AK_ENOMEM;
	}
	rq->state = s;
	rq->state_free = verify_free;
	s->leaf.action = ACT_VERIFY;
	http_leaf_actor(rq, &s->leaf);
	memset(&code, 0, sizeof code);
	if (r == CRED_MALFORMED) {
		c.claims.name[0] = '\0'; /* never shown, but defined */
	} else {
		status = c.claims.status;
		s->leaf.has_object = 1;
		memcpy(s->leaf.object, c.claims.cti, sizeof s->leaf.object);
	}
	/* Only a correctly signed code is attributed to a resident: a forged
	 * one's cti means nothing. */
	if (r == CRED_VALID || r == CRED_NOT_YET_VALID || r == CRED_EXPIRED) {
		rc = store_code_get(rq->db, c.claims.cti, &code);
		if (rc != 0 && rc != AK_ENOENT)
			goto fail;
		if (rc == 0) {
			known = 1;
			s->leaf.has_subject = 1;
			server_pseudonym(srv, code.resident_id, s->leaf.subject);
		}
	}
	if (r == CRED_VALID && (r = online_checks(rq, &c, known, &code, &status)) < 0) {
		rc = r;
		goto fail;
	}
	s->leaf.result = leaf_result_of_cred(r);
	s->leaf.detail =
	    cred_result_shows_data((enum cred_result)r) ? leaf_detail_of_status(status) : DET_EMPTY;
	rc = build_answer(s, (enum cred_result)r, c.claims.name, status);
	sodium_memzero(&c, sizeof c);
	if (rc != 0)
		return rc;
	return http_submit(rq, &s->leaf, 1, NULL, NULL, verify_then);
fail:
	sodium_memzero(&c, sizeof c);
	return http_error(rq, 503, "unavailable", "The database is not available.");
}

/* ================================================================= scans */

struct scan_item {
	struct store_scan sc;
	int fresh; /* not seen before: stored and logged */
};

struct scans_st {
	struct scan_item *items;
	size_t n;
	struct leaf *leaves; /* one per fresh item, in order */
	size_t n_leaves, duplicates;
	uint64_t verifier_id, now;
	int raced; /* a scan id turned up in the store between check and commit */
};

static void scans_free(void *p)
{
	struct scans_st *s = p;

	if (s == NULL)
		return;
	free(s->items);
	free(s->leaves);
	free(s);
}

static int scans_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct scans_st *s = ctx;
	(void)l;
	(void)n;

	for (size_t i = 0; i < s->n; i++) {
		int rc;
		if (!s->items[i].fresh)
			continue;
		rc = store_scan_add(w, &s->items[i].sc, s->now);
		if (rc == AK_ECONFLICT) {
			/* Another upload of the same scan committed after our
			 * check: its leaf is already logged, so this operation
			 * would log it twice. Roll back; the retry sees it. */
			s->raced = 1;
			return AK_ECONFLICT;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int scans_then(struct http_request *rq, int rc, uint64_t index)
{
	struct scans_st *s = rq->state;
	(void)index;

	if (rc != 0 && s->raced)
		return http_error(rq, 503, "unavailable",
				  "Another upload of the same scans overlapped; retry.");
	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The scans could not be recorded.");
	return http_json(rq, 200,
			 json_pack("{s:I, s:I}", "accepted", (json_int_t)s->n_leaves, "duplicates",
				   (json_int_t)s->duplicates));
}

static int bad_scans(struct http_request *rq)
{
	return http_error(rq, 400, "bad_field",
			  "Field 'scans' must be an array of at most 1000 objects "
			  "{id, cti, time, result}.");
}

/* Reads one scan object into sc; 0, or -1 after replying 400. "cti" may
 * be null or left out for a scan that did not parse as a credential. */
static int scan_parse(struct http_request *rq, json_t *o, struct store_scan *sc, uint64_t latest)
{
	json_t *id = NULL, *cti = NULL, *time = NULL, *res = NULL, *v;
	const char *key;
	json_int_t t;
	int r;

	if (!json_is_object(o))
		return bad_scans(rq), -1;
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "id") == 0)
			id = v;
		else if (strcmp(key, "cti") == 0)
			cti = v;
		else if (strcmp(key, "time") == 0)
			time = v;
		else if (strcmp(key, "result") == 0)
			res = v;
		else
			return http_error(rq, 400, "unknown_field",
					  "A scan has a field this endpoint does not take."),
			       -1;
	}
	if (!json_is_string(id) || !json_is_integer(time) || !json_is_string(res) ||
	    (cti != NULL && !json_is_null(cti) && !json_is_string(cti)))
		return bad_scans(rq), -1;
	if (util_hex_decode(sc->scan_id, sizeof sc->scan_id, json_string_value(id),
			    json_string_length(id)) != 0)
		return bad_scans(rq), -1;
	sc->has_cti = json_is_string(cti);
	if (sc->has_cti && util_hex_decode(sc->cti, sizeof sc->cti, json_string_value(cti),
					   json_string_length(cti)) != 0)
		return bad_scans(rq), -1;
	/* A time the verifier's clock can stand behind: after 1970, and not
	 * in the future beyond the skew. It becomes the leaf's time. */
	t = json_integer_value(time);
	if (t <= 0 || (uint64_t)t > latest)
		return http_error(rq, 400, "bad_field", "A scan's 'time' is out of range."), -1;
	sc->time = (uint64_t)t;
	if ((r = cred_result_parse(json_string_value(res), json_string_length(res))) < 0)
		return http_error(rq, 400, "bad_field", "A scan's 'result' is not a result word."),
		       -1;
	sc->result = r;
	return 0;
}

int h_scans(struct http_request *rq)
{
	static const char *const allowed[] = {"scans", NULL};
	struct scans_st *s;
	json_t *body, *arr;
	size_t n;
	int rc;

	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	arr = json_object_get(body, "scans");
	if (!json_is_array(arr) || (n = json_array_size(arr)) > SCANS_MAX) {
		json_decref(body);
		return bad_scans(rq);
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		json_decref(body);
		return AK_ENOMEM;
	}
	rq->state = s;
	rq->state_free = scans_free;
	s->now = util_now();
	s->verifier_id = rq->who.account_id;
	if (n > 0 && (s->items = calloc(n, sizeof *s->items)) == NULL) {
		json_decref(body);
		return AK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (scan_parse(rq, json_array_get(arr, i), &s->items[i].sc,
			       s->now + rq->srv->cfg.skew) != 0) {
			json_decref(body);
			return 0;
		}
		s->items[i].sc.verifier_id = s->verifier_id;
	}
	json_decref(body);
	s->n = n;
	if (rq->db == NULL)
		return http_error(rq, 503, "unavailable", "The database is not available.");

	/* Fresh: not repeated earlier in this upload, and not stored before. */
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = s->items[j].fresh &&
			      memcmp(s->items[j].sc.scan_id, s->items[i].sc.scan_id, 16) == 0;
		if (!dup && (rc = store_scan_known(rq->db, s->items[i].sc.scan_id)) < 0)
			goto db_fail;
		s->items[i].fresh = !dup && rc == 0;
		if (s->items[i].fresh)
			s->n_leaves++;
		else
			s->duplicates++;
	}
	if (s->n_leaves == 0)
		return http_json(rq, 200,
				 json_pack("{s:I, s:I}", "accepted", (json_int_t)0, "duplicates",
					   (json_int_t)s->duplicates));
	if ((s->leaves = calloc(s->n_leaves, sizeof *s->leaves)) == NULL)
		return AK_ENOMEM;
	for (size_t i = 0, k = 0; i < n; i++) {
		struct store_scan *sc = &s->items[i].sc;
		struct leaf *l;
		if (!s->items[i].fresh)
			continue;
		l = &s->leaves[k++];
		l->time_ms = sc->time * 1000u;
		l->action = ACT_VERIFY_OFFLINE;
		l->result = leaf_result_of_cred(sc->result);
		l->detail = DET_EMPTY; /* the spool keeps no status */
		http_leaf_actor(rq, l);
		if (sc->has_cti) {
			struct store_code code;
			l->has_object = 1;
			memcpy(l->object, sc->cti, sizeof l->object);
			rc = store_code_get(rq->db, sc->cti, &code);
			if (rc != 0 && rc != AK_ENOENT)
				goto db_fail;
			if (rc == 0) {
				l->has_subject = 1;
				server_pseudonym(rq->srv, code.resident_id, l->subject);
			}
		}
	}
	return http_submit(rq, s->leaves, s->n_leaves, scans_change, s, scans_then);
db_fail:
	return http_error(rq, 503, "unavailable", "The database is not available.");
}
