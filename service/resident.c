/*
 * resident: opening and creating one resident's sealed record, and
 * signing codes for it and answering with them (see resident.h). This file and the store are the
 * only places a resident's fields pass between sealed and clear.
 *
 * Record layout (DESIGN.md, "Sealing personal data"): the row holds the
 * data key wrapped by the KEK with the resident id as associated data,
 * and name, id_number and phone each sealed under that key with the id
 * and the field's name ("name", "id_number", "phone") as associated data.
 * A field that does not open is never shown: the whole record is refused
 * (AK_ECRYPTO), since a swapped or altered field means the row was
 * tampered with or the KEK is not the one that sealed it.
 *
 * Invariant: every buffer that held a field in the clear, a data key or a
 * passphrase hash is wiped before it goes out of scope, on every path.
 *
 * Never: log, print or return a field through anything but the caller's
 * resident_view; keep a data key beyond one call.
 */
#include "service/resident.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred_sign.h"
#include "service/datadir.h"
#include "service/passphrase.h"
#include "service/qr.h"

/* The longest clear text of each field (what resident_view holds). */
#define FIELD_NAME_MAX  CRED_NAME_MAX
#define FIELD_PHONE_MAX POLICY_PHONE_MAX

/* Sealed forms must fit the store's column. */
_Static_assert(FIELD_NAME_MAX + SEAL_OVERHEAD <= STORE_SEALED_MAX, "sealed name fits");
_Static_assert(IDCARD_LEN + SEAL_OVERHEAD <= STORE_SEALED_MAX, "sealed ID number fits");
_Static_assert(FIELD_PHONE_MAX + SEAL_OVERHEAD <= STORE_SEALED_MAX, "sealed phone fits");
_Static_assert(PASSPHRASE_HASH_MAX <= STORE_PASSHASH_MAX, "passphrase hash fits");

/* ------------------------------------------------------------------ open */

/*
 * Opens sealed field f into out (cap bytes, NUL-terminated), refusing
 * clear text longer than max or holding a NUL. 0, AK_ECRYPTO, AK_ECORRUPT.
 */
static int open_field(const seal_datakey *dk, uint64_t id, const char *field,
		      const struct store_sealed *f, size_t max, char *out, size_t cap)
{
	size_t n;
	int rc;

	if (f->len <= SEAL_OVERHEAD || f->len - SEAL_OVERHEAD > max || max >= cap)
		return AK_ECORRUPT;
	n = f->len - SEAL_OVERHEAD;
	if ((rc = seal_open_field(dk, id, field, f->b, f->len, (uint8_t *)out)) != 0) {
		sodium_memzero(out, cap);
		return rc;
	}
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL) {
		sodium_memzero(out, cap);
		return AK_ECORRUPT;
	}
	return 0;
}

int resident_open(struct server *srv, store *db, uint64_t id, struct resident_view *out)
{
	struct store_resident r;
	seal_datakey dk;
	int rc;

	memset(&dk, 0, sizeof dk);
	memset(out, 0, sizeof *out);
	if ((rc = store_resident_by_id(db, id, &r)) != 0)
		goto done;
	if (r.erased) {
		rc = AK_ENOENT;
		goto done;
	}
	/* A live row always has its key and its two required fields: insert
	 * and seal commit together (resident_create runs in one operation). */
	if (!r.has_key || r.name.len == 0 || r.id_number.len == 0) {
		rc = AK_ECORRUPT;
		goto done;
	}
	if ((rc = seal_datakey_unwrap(srv->kek, id, r.wrapped, &dk)) != 0)
		goto done;
	if ((rc = open_field(&dk, id, "name", &r.name, FIELD_NAME_MAX, out->name,
			     sizeof out->name)) != 0 ||
	    (rc = open_field(&dk, id, "id_number", &r.id_number, IDCARD_LEN, out->id_number,
			     sizeof out->id_number)) != 0)
		goto done;
	if (r.phone.len != 0 && (rc = open_field(&dk, id, "phone", &r.phone, FIELD_PHONE_MAX,
						 out->phone, sizeof out->phone)) != 0)
		goto done;
	/* What opened must still be what enrolment accepted; anything else
	 * was sealed by something that is not this service. */
	if (!policy_name_valid(out->name, strlen(out->name)) ||
	    strlen(out->id_number) != IDCARD_LEN ||
	    (out->phone[0] != '\0' && !policy_phone_valid(out->phone, strlen(out->phone)))) {
		rc = AK_ECORRUPT;
		goto done;
	}
	out->id = id;
	out->status = r.status;
	out->status_changed = r.status_changed;
	server_pseudonym(srv, id, out->pseudonym);
done:
	seal_datakey_wipe(&dk);
	sodium_memzero(&r, sizeof r);
	if (rc != 0)
		resident_wipe(out);
	return rc;
}

void resident_wipe(struct resident_view *v)
{
	if (v != NULL)
		sodium_memzero(v, sizeof *v);
}

/* ---------------------------------------------------------------- create */

/* Seals the clear text pt (may be "") into f; f->len 0 for "". */
static int seal_into(struct store_sealed *f, const seal_datakey *dk, uint64_t id, const char *field,
		     const char *pt, size_t max)
{
	size_t n = strnlen(pt, max + 1);
	int rc;

	f->len = 0;
	if (n == 0)
		return 0;
	if (n > max)
		return AK_EINVAL;
	if ((rc = seal_field(dk, id, field, (const uint8_t *)pt, n, f->b)) != 0)
		return rc;
	f->len = n + SEAL_OVERHEAD;
	return 0;
}

int resident_create(struct server *srv, store *w, const struct resident_view *v,
		    const char *passhash, uint64_t now, uint64_t *id)
{
	uint8_t blind[SEAL_BLIND_BYTES];
	struct store_resident r;
	seal_datakey dk;
	size_t hlen = strnlen(passhash, sizeof r.passphrase);
	int rc;

	memset(&r, 0, sizeof r);
	memset(&dk, 0, sizeof dk);
	if (strnlen(v->id_number, sizeof v->id_number) != IDCARD_LEN || v->name[0] == '\0' ||
	    hlen == 0 || hlen >= sizeof r.passphrase)
		return AK_EINVAL;
	seal_blind_index(srv->kek, blind, v->id_number, IDCARD_LEN);
	if ((rc = store_resident_insert(w, blind, now, &r.id)) != 0)
		goto done;
	if ((rc = seal_datakey_new(srv->kek, r.id, r.wrapped, &dk)) != 0)
		goto done;
	r.has_key = 1;
	if ((rc = seal_into(&r.name, &dk, r.id, "name", v->name, FIELD_NAME_MAX)) != 0 ||
	    (rc = seal_into(&r.id_number, &dk, r.id, "id_number", v->id_number, IDCARD_LEN)) != 0 ||
	    (rc = seal_into(&r.phone, &dk, r.id, "phone", v->phone, FIELD_PHONE_MAX)) != 0)
		goto done;
	memcpy(r.passphrase, passhash, hlen + 1);
	if ((rc = store_resident_seal(w, &r)) != 0)
		goto done;
	*id = r.id;
done:
	seal_datakey_wipe(&dk);
	sodium_memzero(&r, sizeof r);
	sodium_memzero(blind, sizeof blind);
	return rc;
}

/* ----------------------------------------------------------------- issue */

int resident_issue(struct server *srv, const struct resident_view *v, uint64_t ttl, int paper,
		   char text[CRED_TEXT_MAX + 1], struct store_code *code)
{
	struct cred_claims c;
	int n;

	if (ttl == 0 || ttl > CRED_MAX_VALIDITY || srv->dd == NULL || srv->dd->issuer == NULL)
		return AK_EINVAL;
	memset(&c, 0, sizeof c);
	snprintf(c.iss, sizeof c.iss, "%s", srv->dd->issuer_id);
	c.iat = util_now();
	c.exp = c.iat + ttl;
	randombytes_buf(c.cti, sizeof c.cti);
	snprintf(c.name, sizeof c.name, "%s", v->name);
	c.status = (enum cred_status)v->status;
	n = cred_issue(text, CRED_TEXT_MAX + 1, &c, srv->dd->issuer);
	if (n >= 0) {
		memset(code, 0, sizeof *code);
		memcpy(code->cti, c.cti, sizeof code->cti);
		code->resident_id = v->id;
		code->iat = c.iat;
		code->exp = c.exp;
		code->status = v->status;
		code->paper = paper ? 1 : 0;
	}
	sodium_memzero(&c, sizeof c);
	return n;
}

/* ------------------------------------------------------- code answers */

int resident_code_draw(struct resident_code *c)
{
	qr *q = NULL;
	char *svg = NULL;
	int rc;

	if (c->format == RESIDENT_CODE_JSON)
		return 0;
	if ((rc = qr_encode(&q, c->text, strlen(c->text), QR_ECC_DEFAULT)) != 0)
		return rc;
	if (c->format == RESIDENT_CODE_PNG) {
		rc = qr_render_png(q, c->code.status, QR_SCALE_DEFAULT, &c->image, &c->image_len);
	} else {
		rc = qr_render_svg(q, c->code.status, &svg, &c->image_len);
		c->image = (uint8_t *)svg;
	}
	qr_free(q);
	return rc;
}

int resident_code_reply(struct http_request *rq, const struct resident_code *c, uint64_t index)
{
	char idx[24];

	if (c->format == RESIDENT_CODE_JSON)
		return resident_reply_json(
		    rq, 200,
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "credential", c->text, "name",
			      c->name, "status", cred_status_word(c->code.status), "iat",
			      (json_int_t)c->code.iat, "exp", (json_int_t)c->code.exp, "log_index",
			      (json_int_t)index));
	snprintf(idx, sizeof idx, "%" PRIu64, index);
	http_header(rq, "X-Ankang-Log-Index", idx);
	return http_reply(rq, 200, c->format == RESIDENT_CODE_PNG ? "image/png" : "image/svg+xml",
			  c->image, c->image_len);
}

void resident_code_wipe(struct resident_code *c)
{
	if (c->image != NULL) {
		sodium_memzero(c->image, c->image_len);
		free(c->image);
	}
	sodium_memzero(c, sizeof *c);
}

/* ------------------------------------------------------------------ JSON */

void resident_json_wipe(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		/* jansson's own malloc'd copy: writable, and about to be freed. */
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x)
		{
			resident_json_wipe(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			resident_json_wipe(x);
		}
	}
}

int resident_reply_json(struct http_request *rq, unsigned status, json_t *body)
{
	int rc;

	if (body == NULL)
		return http_json(rq, status, NULL);
	json_incref(body); /* keep it past http_json's decref, to wipe it */
	rc = http_json(rq, status, body);
	resident_json_wipe(body);
	json_decref(body);
	return rc;
}
