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
 *   superseded  the holder's status was set after the code was issued:
 *               the status's leaf comes later in the log than the code's
 *               (residents.status_index > codes.issued_index), an order
 *               no clock can blur.
 *
 * FORMAT.md orders `revoked` before `superseded`, but every status change
 * revokes all of the resident's live codes (store_codes_revoke), so taken
 * literally `superseded` could never be answered. The rule here: a
 * revoked code of a live resident whose status was set after it is
 * `superseded`; any other revoked code (the resident was erased, the code
 * is not one the store knows) is `revoked`, shown with the status the
 * code carries.
 *
 * What a superseded answer shows. A verifier could otherwise follow a
 * person's status over a long-lived (paper) code by presenting it again
 * after each change. So the current status is shown only while the code
 * is within its online window, the resident code's lifetime (--code-ttl)
 * from its iat, that is while a holder could be standing at the
 * checkpoint with a freshly shown code; after that the answer is
 * `superseded` with the name and no status.
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
 * Scans are the same facts gathered offline, each with the proof that
 * its verifier saw the code: the code's signature, which appears nowhere
 * but in the code (never in the revocation list). A scan is attributed to
 * the code's holder only when a code the service issued has that cti, the
 * signature's keyed hash is the one kept for it (seal_sig_hash), and the
 * scan's time lies within the code's validity plus the skew. Any other
 * scan proves nothing about anyone: it is logged with subject and object
 * `-`, and with the verifier's result when that claims no verified code
 * (malformed, unknown_key, bad_signature), else as `malformed`. One
 * `verify_offline` leaf per scan not seen before, time-stamped with the
 * scan's own time, in one operation with the scan rows; a scan id stored
 * already is counted as a duplicate and not logged again, so an upload
 * can be retried.
 *
 * Never: unseal a record, put anything but result/name/status into a
 * verify answer, attribute a scan without its proof, or log a credential.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "service/http/jsonw.h"
#include "service/http/request.h"
#include "service/store_people.h"

/* {"result":"superseded","name":"<128 bytes, escaped: at most 256>","status":"yellow"}
 * (a valid name has no control character, so no byte takes more than 2) */
#define VERIFY_ANSWER_MAX 512
#define SCANS_MAX         1000

/* ================================================================ verify */

struct verify_st {
	size_t len;
	char answer[VERIFY_ANSWER_MAX];
	/* The code, parsed before the caller was identified, and its row
	 * read with the verifier's token (verify_ahead); its signature and
	 * times are checked in verify. */
	struct cred c;
	int parsed;
	struct authz_ahead ahead;
};

/* The answer for result r: the name when a verifier may see it, the
 * status too when status >= 0. */
static int build_answer(struct verify_st *s, enum cred_result r, const char *name, int status)
{
	struct jsonw w;
	long n;

	jsonw_begin(&w, s->answer, sizeof s->answer);
	jsonw_str(&w, "result", cred_result_word(r));
	if (cred_result_shows_data(r)) {
		jsonw_str(&w, "name", name);
		if (status >= 0)
			jsonw_str(&w, "status", cred_status_word((enum cred_status)status));
	}
	if ((n = jsonw_end(&w)) < 0)
		return (int)n;
	s->len = (size_t)n;
	return 0;
}

/*
 * The service's own checks after cred_verify said the signature and the
 * times are good (result valid): revoked or superseded. *status is the
 * status to show (the code's, the current one, or -1 for none). Returns
 * the result, or a negative AK_E* code.
 */
static int online_checks(struct request *rq, const struct cred *c, int known, int revoked,
			 const struct store_code *code, int *status)
{
	struct store_resident r;
	uint64_t window = app_config(rq->app)->code_ttl;
	int rc;

	if (!revoked)
		return CRED_VALID;
	if (!known)
		return CRED_REVOKED;
	rc = store_resident_by_id(rq->db, code->resident_id, &r);
	if (rc != 0 && rc != AK_ENOENT)
		return rc;
	if (rc == 0 && !r.erased && r.status_index > code->issued_index) {
		/* The current status, only within the code's online window. */
		*status = rq->now <= c->claims.iat + window ? r.status : -1;
		rc = CRED_SUPERSEDED;
	} else {
		rc = CRED_REVOKED;
	}
	sodium_memzero(&r, sizeof r);
	return rc;
}

/*
 * The code in the body, parsed before the caller is identified, so that
 * its row is read with the verifier's token in one statement
 * (authz_ahead): a parse only, its signature checked in verify once the
 * caller is known and allowed. A body that does not parse reads nothing
 * ahead, and verify answers it as before.
 */
static struct authz_ahead *verify_ahead(struct request *rq)
{
	struct verify_st *s = rq->state;
	const char *text;
	size_t len;

	if (request_string_only(rq, "credential", &text, &len) != API_OK ||
	    cred_parse(&s->c, text, len) != 0) {
		rq->error_arg = NULL; /* verify names it again */
		sodium_memzero(&s->c, sizeof s->c);
		return NULL;
	}
	s->parsed = 1;
	s->ahead.want = AHEAD_CODE;
	memcpy(s->ahead.cti, s->c.claims.cti, sizeof s->ahead.cti);
	return &s->ahead;
}

static enum api_error verify(struct request *rq)
{
	struct verify_st *s = rq->state;
	const struct trust_list *tl = app_trust(rq->app);
	struct cred *c = &s->c;
	struct cred_trust t;
	struct store_code code;
	const char *text = NULL;
	size_t len = 0;
	enum api_error e;
	int r, rc, status = -1, known = 0, revoked = 0;

	/* A body verify_ahead parsed was read already; any other is read
	 * here, and refused as it says. */
	if (!s->parsed && (e = request_string_only(rq, "credential", &text, &len)) != API_OK)
		return e;
	memset(&t, 0, sizeof t);
	t.issuers = tl->issuers;
	t.n_issuers = tl->n_issuers;
	t.now = rq->now;
	t.skew = app_config(rq->app)->skew;
	/* Revocations come from the store below, not from a list here. */
	r = s->parsed ? (int)cred_check(&t, c) : (int)cred_verify(&t, text, len, c);

	memset(&code, 0, sizeof code);
	if (r == CRED_MALFORMED) {
		c->claims.name[0] = '\0'; /* never shown, but defined */
	} else {
		status = (int)c->claims.status;
		rq->leaf.has_object = 1;
		memcpy(rq->leaf.object, c->claims.cti, sizeof rq->leaf.object);
	}
	/* Only a correctly signed code is attributed to a resident: a forged
	 * one's cti means nothing. */
	if (r == CRED_VALID || r == CRED_NOT_YET_VALID || r == CRED_EXPIRED) {
		/* A valid code's revocation with its row: one statement on
		 * PostgreSQL, read with the caller's token when it could be
		 * (verify_ahead: got only for the code parsed there, this
		 * one). */
		if (s->ahead.got) {
			rc = s->ahead.code_rc;
			code = s->ahead.code;
			revoked = s->ahead.revoked;
		} else {
			rc = r == CRED_VALID
				 ? store_code_lookup(rq->db, c->claims.cti, &code, &revoked)
				 : store_code_get(rq->db, c->claims.cti, &code);
		}
		if (rc != 0 && rc != AK_ENOENT)
			goto fail;
		if (rc == 0) {
			known = 1;
			request_subject(rq, code.resident_id);
		}
	}
	if (r == CRED_VALID && (r = online_checks(rq, c, known, revoked, &code, &status)) < 0) {
		rc = r;
		goto fail;
	}
	if (!cred_result_shows_data((enum cred_result)r))
		status = -1;
	rq->leaf.result = leaf_result_of_cred(r);
	rq->leaf.detail = status >= 0 ? leaf_detail_of_status(status) : DET_EMPTY;
	rc = build_answer(s, (enum cred_result)r, c->claims.name, status);
	sodium_memzero(c, sizeof *c);
	if (rc != 0)
		return request_fault(rq, API_INTERNAL, "building a verify answer", rc);
	return API_OK;
fail:
	sodium_memzero(c, sizeof *c);
	return request_fault(rq, API_UNAVAILABLE, "reading a code", rc);
}

static enum api_error verify_answer(struct request *rq, uint64_t index)
{
	struct verify_st *s = rq->state;
	(void)index;
	return reply_bytes(rq, 200, "application/json", s->answer, s->len);
}

/* ================================================================= scans */

struct scan_item {
	struct store_scan sc;
	int fresh;   /* not seen before: stored and logged */
	int has_sig; /* the upload carried the code's signature */
	uint8_t sig[CRED_SIG_BYTES];
};

struct scans_st {
	struct scan_item *items;
	size_t n;
	struct leaf *leaves; /* one per fresh item, in order */
	size_t n_leaves, duplicates;
	uint64_t now;
};

static void scans_free(void *p)
{
	struct scans_st *s = p;

	free(s->items);
	free(s->leaves);
}

static int scans_change(void *state, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct scans_st *s = state;
	(void)l;
	(void)n;
	(void)first;

	for (size_t i = 0; i < s->n; i++) {
		int rc;
		if (!s->items[i].fresh)
			continue;
		rc = store_scan_add(w, &s->items[i].sc, s->now);
		if (rc == AK_ECONFLICT) {
			/* Another upload of the same scan committed after our
			 * check: its leaf is already logged, so this operation
			 * would log it twice. Roll back; the retry sees it. */
			return AK_ECONFLICT;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Reads one scan object. "cti" and "sig" may be null or left out. */
static enum api_error scan_parse(json_t *o, struct scan_item *it, uint64_t latest)
{
	json_t *id = NULL, *cti = NULL, *time = NULL, *res = NULL, *sig = NULL, *v;
	struct store_scan *sc = &it->sc;
	const char *key;
	json_int_t t;
	int r;

	if (!json_is_object(o))
		return API_BAD_SCANS;
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
		else if (strcmp(key, "sig") == 0)
			sig = v;
		else
			return API_UNKNOWN_FIELD;
	}
	if (!json_is_string(id) || !json_is_integer(time) || !json_is_string(res) ||
	    (cti != NULL && !json_is_null(cti) && !json_is_string(cti)) ||
	    (sig != NULL && !json_is_null(sig) && !json_is_string(sig)))
		return API_BAD_SCANS;
	if (util_hex_decode(sc->scan_id, sizeof sc->scan_id, json_string_value(id),
			    json_string_length(id)) != 0)
		return API_BAD_SCANS;
	sc->has_cti = json_is_string(cti);
	if (sc->has_cti && util_hex_decode(sc->cti, sizeof sc->cti, json_string_value(cti),
					   json_string_length(cti)) != 0)
		return API_BAD_SCANS;
	it->has_sig = json_is_string(sig);
	if (it->has_sig && util_hex_decode(it->sig, sizeof it->sig, json_string_value(sig),
					   json_string_length(sig)) != 0)
		return API_BAD_SCANS;
	/* A time the verifier's clock can stand behind: after 1970, and not
	 * in the future beyond the skew. It becomes the leaf's time. */
	t = json_integer_value(time);
	if (t <= 0 || (uint64_t)t > latest)
		return API_BAD_SCAN_TIME;
	sc->time = (uint64_t)t;
	if ((r = cred_result_parse(json_string_value(res), json_string_length(res))) < 0)
		return API_BAD_SCAN_RESULT;
	sc->result = r;
	return API_OK;
}

/*
 * Whether scan it proves its verifier saw a code the service issued: the
 * code is known, the signature's keyed hash matches, the time is within
 * its validity plus the skew. 1 with *code, 0, or an AK_E* code.
 */
static int proven(struct request *rq, const struct scan_item *it, struct store_code *code)
{
	uint64_t skew = app_config(rq->app)->skew;
	uint8_t h[SEAL_SIG_HASH_BYTES];
	int rc;

	if (!it->sc.has_cti || !it->has_sig)
		return 0;
	rc = store_code_get(rq->db, it->sc.cti, code);
	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	seal_sig_hash(app_kek(rq->app), h, it->sig);
	if (sodium_memcmp(h, code->sig_hash, sizeof h) != 0)
		return 0;
	return it->sc.time + skew >= code->iat && it->sc.time <= code->exp + skew;
}

/* The leaf (and the stored row) of a fresh scan. */
static int scan_leaf(struct request *rq, struct scan_item *it, struct leaf *l)
{
	struct store_scan *sc = &it->sc;
	struct store_code code;
	int rc = proven(rq, it, &code);

	if (rc < 0)
		return rc;
	authz_leaf(&rq->who, ACT_VERIFY_OFFLINE, l);
	l->time_ms = sc->time * 1000u;
	l->detail = DET_EMPTY; /* the spool keeps no status */
	if (rc == 1) {
		l->result = leaf_result_of_cred(sc->result);
		l->has_object = 1;
		memcpy(l->object, sc->cti, sizeof l->object);
		l->has_subject = 1;
		seal_pseudonym(app_kek(rq->app), l->subject, code.resident_id);
		return 0;
	}
	/* Proves nothing about anyone. */
	if (sc->result != CRED_UNKNOWN_KEY && sc->result != CRED_BAD_SIGNATURE)
		sc->result = CRED_MALFORMED;
	sc->has_cti = 0;
	memset(sc->cti, 0, sizeof sc->cti);
	l->result = leaf_result_of_cred(sc->result);
	return 0;
}

static enum api_error scans(struct request *rq)
{
	static const char *const allowed[] = {"scans", NULL};
	struct scans_st *s = rq->state;
	enum api_error e;
	json_t *arr;
	size_t n;
	int rc;

	if ((e = request_json(rq, allowed)) != API_OK)
		return e;
	arr = json_object_get(rq->json, "scans");
	if (!json_is_array(arr) || (n = json_array_size(arr)) > SCANS_MAX)
		return API_BAD_SCANS;
	s->now = rq->now;
	if (n > 0 && (s->items = calloc(n, sizeof *s->items)) == NULL)
		return request_fault(rq, API_INTERNAL, "reading scans", AK_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		if ((e = scan_parse(json_array_get(arr, i), &s->items[i],
				    s->now + app_config(rq->app)->skew)) != API_OK)
			return e;
		s->items[i].sc.verifier_id = rq->who.account_id;
	}
	s->n = n;

	/* Fresh: not repeated earlier in this upload, and not stored before. */
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = s->items[j].fresh &&
			      memcmp(s->items[j].sc.scan_id, s->items[i].sc.scan_id, 16) == 0;
		if (!dup && (rc = store_scan_known(rq->db, s->items[i].sc.scan_id)) < 0)
			return request_fault(rq, API_UNAVAILABLE, "reading scans", rc);
		s->items[i].fresh = !dup && rc == 0;
		if (s->items[i].fresh)
			s->n_leaves++;
		else
			s->duplicates++;
	}
	rq->op.n = s->n_leaves; /* 0: nothing new, nothing to record */
	if (s->n_leaves == 0)
		return API_OK;
	if ((s->leaves = calloc(s->n_leaves, sizeof *s->leaves)) == NULL)
		return request_fault(rq, API_INTERNAL, "reading scans", AK_ENOMEM);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!s->items[i].fresh)
			continue;
		if ((rc = scan_leaf(rq, &s->items[i], &s->leaves[k++])) != 0)
			return request_fault(rq, API_UNAVAILABLE, "reading a code", rc);
	}
	rq->op.leaves = s->leaves;
	rq->op.change = scans_change;
	return API_OK;
}

static enum api_error scans_answer(struct request *rq, uint64_t index)
{
	struct scans_st *s = rq->state;
	(void)index;

	return reply_json(rq, 200,
			  json_pack("{s:I, s:I}", "accepted", (json_int_t)s->n_leaves, "duplicates",
				    (json_int_t)s->duplicates));
}

/* ------------------------------------------------------------- handlers */

const struct route_handler h_verify = {verify, verify_answer, sizeof(struct verify_st), NULL,
				       verify_ahead};
const struct route_handler h_scans = {scans, scans_answer, sizeof(struct scans_st), scans_free};
