/*
 * record: opening and creating one resident's sealed record, and signing
 * codes for it (see record.h). This file is the only place a resident's
 * fields pass between sealed and clear.
 *
 * Record layout (DESIGN.md, "Sealing personal data"): the row holds the
 * data key wrapped under an epoch key (crypto/epoch.h), with the resident
 * id and the epoch's number as associated data, and that number,
 * and name, id_number and phone each sealed under that key with the id
 * and the field's name ("name", "id_number", "phone") as associated data,
 * each padded first to one length per field (PAD_* below), so that every
 * row's sealed columns have the same lengths.
 * A field that does not open is never shown: the whole record is refused
 * (AK_ECRYPTO), since a swapped or altered field means the row was
 * tampered with or the KEK is not the one that sealed it.
 *
 * Invariant: every buffer that held a field in the clear, a data key or a
 * passphrase hash is wiped before it goes out of scope, on every path.
 *
 * Never: log, print or return a field through anything but the caller's
 * record_view; keep a data key beyond one call; unseal without the audit
 * leaf that records it.
 */
#include "service/record.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred_sign.h"
#include "service/passphrase.h"

/* The longest clear text of each field (what record_view holds). */
#define FIELD_NAME_MAX  CRED_NAME_MAX
#define FIELD_PHONE_MAX POLICY_PHONE_MAX

/*
 * Every field is padded to one length before it is sealed (seal_field),
 * one byte longer than its longest clear text (the padding is at least
 * one byte): every sealed name is as long as every other, and so is every
 * sealed ID number and every sealed phone. A phone is always sealed, ""
 * when none was given, so the database does not say who gave one either.
 */
#define PAD_NAME  (FIELD_NAME_MAX + 1)
#define PAD_ID    (IDCARD_LEN + 1)
#define PAD_PHONE (FIELD_PHONE_MAX + 1)

/* The sealed forms are the store's (and the schema's) exact lengths. */
_Static_assert(PAD_NAME + SEAL_OVERHEAD == STORE_SEALED_NAME_BYTES, "sealed name length");
_Static_assert(PAD_ID + SEAL_OVERHEAD == STORE_SEALED_ID_BYTES, "sealed ID number length");
_Static_assert(PAD_PHONE + SEAL_OVERHEAD == STORE_SEALED_PHONE_BYTES, "sealed phone length");
_Static_assert(PAD_NAME <= SEAL_FIELD_MAX && PAD_PHONE <= SEAL_FIELD_MAX, "padded fields fit");
_Static_assert(PASSPHRASE_HASH_MAX <= STORE_PASSHASH_MAX, "passphrase hash fits");

/* ------------------------------------------------------------------ open */

/*
 * Opens sealed field f, padded to `padded` bytes, into out (cap bytes,
 * NUL-terminated), refusing clear text holding a NUL. 0, AK_ECRYPTO,
 * AK_ECORRUPT (a wrong length, a wrong padding: see seal_open_field).
 */
static int open_field(const seal_datakey *dk, uint64_t id, const char *field,
		      const struct store_sealed *f, size_t padded, char *out, size_t cap)
{
	size_t n = 0;
	int rc;

	assert(padded <= cap);
	if (f->len != padded + SEAL_OVERHEAD)
		return AK_ECORRUPT;
	if ((rc = seal_open_field(dk, id, field, f->b, f->len, padded, (uint8_t *)out, &n)) != 0) {
		sodium_memzero(out, cap);
		return rc == AK_EINVAL ? AK_ECORRUPT : rc;
	}
	/* n < padded <= cap: the padding took one byte at least. */
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL) {
		sodium_memzero(out, cap);
		return AK_ECORRUPT;
	}
	return 0;
}

/* The newest epoch the set holds (the current one may be older: a limit). */
static uint64_t newest_held(epoch_set *s)
{
	struct epoch_info held[EPOCH_MAX];
	size_t n = epoch_list(s, held, EPOCH_MAX);

	return held[(n < EPOCH_MAX ? n : EPOCH_MAX) - 1].number;
}

/*
 * Reads resident id into *r and unwraps its data key into *dk. A key read
 * under an epoch that is no longer held was re-wrapped by a rotation that
 * destroyed the epoch between the read and the unwrap (a rotation destroys
 * an epoch only once no committed row is under it): the row is read once
 * more, and then it must be under a held epoch. A key under an epoch
 * newer than every held one is this node being behind (the epoch was made
 * by another node's rotation and this one has not fetched it yet):
 * where k->lacking is set, AK_EBEHIND, and k->lacking starts the fetch.
 */
static int read_and_unwrap(const struct record_keys *k, store *db, uint64_t id,
			   const struct store_resident *pre, struct store_resident *r,
			   seal_datakey *dk)
{
	seal_epochkey ek;
	int rc;

	for (int tries = 0; tries < 2; tries++) {
		/* The row the caller read already (pre), the first time. */
		if (tries == 0 && pre != NULL && pre->id == id)
			memcpy(r, pre, sizeof *r);
		else if ((rc = store_resident_by_id(db, id, r)) != 0)
			return rc;
		if (r->erased)
			return AK_ENOENT;
		/* A live row always has its key and its three fields: insert
		 * and seal commit together (record_create runs in one
		 * operation). */
		if (!r->has_key || r->name.len == 0 || r->id_number.len == 0 || r->phone.len == 0)
			return AK_ECORRUPT;
		if ((rc = epoch_key(k->epochs, r->key_epoch, &ek)) == AK_ENOENT)
			continue;
		rc = seal_datakey_unwrap(&ek, id, r->wrapped, dk);
		seal_epochkey_wipe(&ek);
		return rc;
	}
	/* Only a node that fetches epochs (k->lacking set) catches up; alone,
	 * a newer epoch than any held is an older copy of the epochs file. */
	if (k->lacking != NULL && r->key_epoch > newest_held(k->epochs)) {
		k->lacking(k->lacking_ctx);
		return AK_EBEHIND;
	}
	return AK_ECRYPTO;
}

/* record_open and record_open_name: all three fields, or the name alone. */
static int open_view(const struct record_keys *k, store *db, uint64_t id,
		     const struct store_resident *pre, struct leaf *audit, struct record_view *out,
		     int all)
{
	struct store_resident r;
	seal_datakey dk;
	int rc;

	memset(&dk, 0, sizeof dk);
	memset(&r, 0, sizeof r);
	memset(out, 0, sizeof *out);
	if (audit == NULL || audit->action == ACT_NONE)
		return AK_EDENIED;
	audit->has_subject = 0;
	memset(audit->subject, 0, sizeof audit->subject);
	if ((rc = read_and_unwrap(k, db, id, pre, &r, &dk)) != 0)
		goto done;
	if ((rc = open_field(&dk, id, "name", &r.name, PAD_NAME, out->name, sizeof out->name)) !=
		0 ||
	    (all && (rc = open_field(&dk, id, "id_number", &r.id_number, PAD_ID, out->id_number,
				     sizeof out->id_number)) != 0) ||
	    (all && (rc = open_field(&dk, id, "phone", &r.phone, PAD_PHONE, out->phone,
				     sizeof out->phone)) != 0))
		goto done;
	/* What opened must still be what enrolment accepted; anything else
	 * was sealed by something that is not this service. */
	if (!policy_name_valid(out->name, strlen(out->name)) ||
	    (all && strlen(out->id_number) != IDCARD_LEN) ||
	    (all && out->phone[0] != '\0' && !policy_phone_valid(out->phone, strlen(out->phone)))) {
		rc = AK_ECORRUPT;
		goto done;
	}
	out->id = id;
	out->status = r.status;
	seal_pseudonym(k->kek, out->pseudonym, id);
	memcpy(audit->subject, out->pseudonym, sizeof audit->subject);
	audit->has_subject = 1;
done:
	seal_datakey_wipe(&dk);
	sodium_memzero(&r, sizeof r);
	if (rc != 0)
		record_wipe(out);
	return rc;
}

int record_open(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		struct record_view *out)
{
	return open_view(k, db, id, NULL, audit, out, 1);
}

int record_open_name(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		     struct record_view *out)
{
	return open_view(k, db, id, NULL, audit, out, 0);
}

int record_open_name_row(const struct record_keys *k, store *db, const struct store_resident *row,
			 struct leaf *audit, struct record_view *out)
{
	return open_view(k, db, row->id, row, audit, out, 0);
}

void record_wipe(struct record_view *v)
{
	if (v != NULL)
		sodium_memzero(v, sizeof *v);
}

/* ------------------------------------------------------- fields elsewhere */

int record_seal_field(const struct record_keys *k, store *db, uint64_t id, const char *field,
		      const char *pt, size_t n, size_t padded, uint8_t *out)
{
	struct store_resident r;
	seal_datakey dk;
	int rc;

	memset(&dk, 0, sizeof dk);
	memset(&r, 0, sizeof r);
	if (n >= padded || padded > SEAL_FIELD_MAX)
		return AK_EINVAL;
	if ((rc = read_and_unwrap(k, db, id, NULL, &r, &dk)) == 0)
		rc = seal_field(&dk, id, field, (const uint8_t *)pt, n, padded, out);
	seal_datakey_wipe(&dk);
	sodium_memzero(&r, sizeof r);
	return rc;
}

int record_open_field(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		      const char *field, const uint8_t *ct, size_t ctlen, size_t padded, char *out,
		      size_t cap)
{
	struct store_resident r;
	seal_datakey dk;
	size_t n = 0;
	int rc;

	memset(&dk, 0, sizeof dk);
	memset(&r, 0, sizeof r);
	if (cap > 0)
		out[0] = '\0';
	if (audit == NULL || audit->action == ACT_NONE)
		return AK_EDENIED;
	if (cap <= padded || padded > SEAL_FIELD_MAX)
		return AK_EINVAL;
	audit->has_subject = 0;
	memset(audit->subject, 0, sizeof audit->subject);
	if ((rc = read_and_unwrap(k, db, id, NULL, &r, &dk)) != 0)
		goto done;
	if (ctlen != padded + SEAL_OVERHEAD) {
		rc = AK_ECORRUPT;
		goto done;
	}
	if ((rc = seal_open_field(&dk, id, field, ct, ctlen, padded, (uint8_t *)out, &n)) != 0) {
		rc = rc == AK_EINVAL ? AK_ECORRUPT : rc;
		goto done;
	}
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL) {
		rc = AK_ECORRUPT;
		goto done;
	}
	seal_pseudonym(k->kek, audit->subject, id);
	audit->has_subject = 1;
done:
	seal_datakey_wipe(&dk);
	sodium_memzero(&r, sizeof r);
	if (rc != 0)
		sodium_memzero(out, cap);
	return rc;
}

/* ------------------------------------------------------------- KEK check */

int record_kek_check(const struct record_keys *k, store *db)
{
	uint8_t stored[SEAL_CHECK_BYTES], mine[SEAL_CHECK_BYTES];
	int rc;

	if ((rc = store_kek_check_get(db, stored)) != 0)
		return rc;
	seal_kek_check(k->kek, mine);
	return sodium_memcmp(stored, mine, sizeof mine) == 0 ? 0 : AK_ECRYPTO;
}

int record_kek_check_put(const struct record_keys *k, store *w)
{
	uint8_t v[SEAL_CHECK_BYTES];

	seal_kek_check(k->kek, v);
	return store_kek_check_put(w, v);
}

/* --------------------------------------------------------------- epochs */

int record_epochs_check(const struct record_keys *k, store *db, uint64_t *missing)
{
	uint64_t e = 0;
	int rc;

	*missing = 0;
	while ((rc = store_key_epoch_next(db, e, &e)) == 0) {
		if (epoch_key(k->epochs, e, NULL) != 0) {
			*missing = e;
			return AK_ENOENT;
		}
	}
	return rc == AK_ENOENT ? 0 : rc;
}

/* A chunk's rows, collected before any is written (store_rewrap_fn). */
struct rewrap_rows {
	size_t n, cap;
	struct rewrap_row {
		uint64_t id, epoch;
		uint8_t wrapped[SEAL_WRAPPED_BYTES];
	} * row;
};

static int collect_row(void *ctx, uint64_t id, uint64_t epoch,
		       const uint8_t wrapped[SEAL_WRAPPED_BYTES])
{
	struct rewrap_rows *c = ctx;

	assert(c->n < c->cap);
	c->row[c->n].id = id;
	c->row[c->n].epoch = epoch;
	memcpy(c->row[c->n].wrapped, wrapped, SEAL_WRAPPED_BYTES);
	c->n++;
	return 0;
}

int record_rewrap(const struct record_keys *k, store *w, size_t limit, size_t *done)
{
	struct rewrap_rows c = {0, limit, NULL};
	seal_epochkey cur, old;
	seal_datakey dk;
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
	int rc;

	*done = 0;
	memset(&old, 0, sizeof old);
	memset(&dk, 0, sizeof dk);
	if (limit == 0)
		return 0;
	if ((c.row = calloc(limit, sizeof *c.row)) == NULL)
		return AK_ENOMEM;
	epoch_current(k->epochs, &cur);
	if ((rc = store_residents_under_epoch(w, cur.number, limit, collect_row, &c)) != 0)
		goto out;
	for (size_t i = 0; i < c.n; i++) {
		const struct rewrap_row *r = &c.row[i];
		/* Rows come oldest epoch first: one look-up per epoch. */
		if (old.number != r->epoch && (rc = epoch_key(k->epochs, r->epoch, &old)) != 0) {
			rc = AK_ECRYPTO;
			goto out;
		}
		if ((rc = seal_datakey_unwrap(&old, r->id, r->wrapped, &dk)) != 0 ||
		    (rc = seal_datakey_wrap(&cur, r->id, &dk, wrapped)) != 0 ||
		    (rc = store_resident_rewrap(w, r->id, r->epoch, cur.number, wrapped)) != 0)
			goto out;
		seal_datakey_wipe(&dk);
	}
	*done = c.n;
out:
	seal_datakey_wipe(&dk);
	seal_epochkey_wipe(&cur);
	seal_epochkey_wipe(&old);
	free(c.row);
	return rc;
}

/* ---------------------------------------------------------------- create */

/* Seals the clear text pt (may be "", which seals too) into f, padded to
 * `padded` bytes. */
static int seal_into(struct store_sealed *f, const seal_datakey *dk, uint64_t id, const char *field,
		     const char *pt, size_t padded)
{
	size_t n = strnlen(pt, padded);
	int rc;

	f->len = 0;
	if (n >= padded)
		return AK_EINVAL;
	if ((rc = seal_field(dk, id, field, (const uint8_t *)pt, n, padded, f->b)) != 0)
		return rc;
	f->len = padded + SEAL_OVERHEAD;
	return 0;
}

int record_create(const struct record_keys *k, store *w, const struct record_view *v,
		  const char *passhash, uint64_t now, uint64_t index, uint64_t *id,
		  uint8_t handle[STORE_HANDLE_BYTES])
{
	uint8_t blind[SEAL_BLIND_BYTES];
	struct store_resident r;
	seal_datakey dk;
	seal_epochkey ek;
	size_t hlen = passhash != NULL ? strnlen(passhash, sizeof r.passphrase) : 0;
	int rc;

	memset(&r, 0, sizeof r);
	memset(&dk, 0, sizeof dk);
	memset(&ek, 0, sizeof ek);
	if (strnlen(v->id_number, sizeof v->id_number) != IDCARD_LEN || v->name[0] == '\0' ||
	    (passhash != NULL && hlen == 0) || hlen >= sizeof r.passphrase)
		return AK_EINVAL;
	seal_blind_index(k->kek, blind, v->id_number, IDCARD_LEN);
	randombytes_buf(handle, STORE_HANDLE_BYTES);
	if ((rc = store_resident_insert(w, blind, handle, now, index, &r.id)) != 0)
		goto done;
	epoch_current(k->epochs, &ek);
	if ((rc = seal_datakey_new(&ek, r.id, r.wrapped, &dk)) != 0)
		goto done;
	r.has_key = 1;
	r.key_epoch = ek.number;
	if ((rc = seal_into(&r.name, &dk, r.id, "name", v->name, PAD_NAME)) != 0 ||
	    (rc = seal_into(&r.id_number, &dk, r.id, "id_number", v->id_number, PAD_ID)) != 0 ||
	    (rc = seal_into(&r.phone, &dk, r.id, "phone", v->phone, PAD_PHONE)) != 0)
		goto done;
	if (passhash != NULL)
		memcpy(r.passphrase, passhash, hlen + 1);
	if ((rc = store_resident_seal(w, &r)) != 0)
		goto done;
	*id = r.id;
done:
	seal_datakey_wipe(&dk);
	seal_epochkey_wipe(&ek);
	sodium_memzero(&r, sizeof r);
	sodium_memzero(blind, sizeof blind);
	return rc;
}

int record_claim(const struct record_keys *k, store *w, const struct record_view *v,
		 const char *passhash, uint64_t *id, uint8_t handle[STORE_HANDLE_BYTES],
		 int *status)
{
	uint8_t blind[SEAL_BLIND_BYTES];
	struct store_resident r;
	seal_datakey dk;
	char name[PAD_NAME];
	size_t hlen = strnlen(passhash, sizeof r.passphrase);
	int rc;

	memset(&r, 0, sizeof r);
	memset(&dk, 0, sizeof dk);
	memset(name, 0, sizeof name);
	if (strnlen(v->id_number, sizeof v->id_number) != IDCARD_LEN || hlen == 0 ||
	    hlen >= sizeof r.passphrase)
		return AK_EINVAL;
	seal_blind_index(k->kek, blind, v->id_number, IDCARD_LEN);
	rc = store_resident_by_blind(w, blind, &r);
	sodium_memzero(blind, sizeof blind);
	if (rc != 0)
		goto done;
	/* Someone holds the number already: a duplicate, as before. */
	if (r.erased || r.passphrase[0] != '\0') {
		rc = AK_ECONFLICT;
		goto done;
	}
	if ((rc = read_and_unwrap(k, w, r.id, NULL, &r, &dk)) != 0 ||
	    (rc = open_field(&dk, r.id, "name", &r.name, PAD_NAME, name, sizeof name)) != 0)
		goto done;
	/* The record is the person the guardian named: only that name may
	 * claim it, so a number alone does not take over a member's record. */
	if (strcmp(name, v->name) != 0) {
		rc = AK_ECONFLICT;
		goto done;
	}
	if ((rc = seal_into(&r.phone, &dk, r.id, "phone", v->phone, PAD_PHONE)) != 0)
		goto done;
	memcpy(r.passphrase, passhash, hlen + 1);
	if ((rc = store_resident_seal(w, &r)) != 0)
		goto done;
	*id = r.id;
	*status = r.status;
	memcpy(handle, r.handle, STORE_HANDLE_BYTES);
done:
	seal_datakey_wipe(&dk);
	sodium_memzero(name, sizeof name);
	sodium_memzero(&r, sizeof r);
	return rc;
}

/* ----------------------------------------------------------------- issue */

int record_issue(const struct record_issuer *is, const struct record_view *v, uint64_t now,
		 uint64_t ttl, int paper, char text[CRED_TEXT_MAX + 1], struct store_code *code)
{
	struct cred_claims c;
	uint8_t sig[CRED_SIG_BYTES];
	int n;

	if (ttl == 0 || ttl > CRED_MAX_VALIDITY || is == NULL || is->key == NULL ||
	    is->iss == NULL || is->kek == NULL)
		return AK_EINVAL;
	memset(&c, 0, sizeof c);
	snprintf(c.iss, sizeof c.iss, "%s", is->iss);
	c.iat = now;
	c.exp = c.iat + ttl;
	randombytes_buf(c.cti, sizeof c.cti);
	snprintf(c.name, sizeof c.name, "%s", v->name);
	c.status = (enum cred_status)v->status;
	n = cred_issue_sig(text, CRED_TEXT_MAX + 1, &c, is->key, sig);
	if (n >= 0) {
		memset(code, 0, sizeof *code);
		memcpy(code->cti, c.cti, sizeof code->cti);
		code->resident_id = v->id;
		code->iat = c.iat;
		code->exp = c.exp;
		code->status = v->status;
		code->paper = paper ? 1 : 0;
		seal_sig_hash(is->kek, code->sig_hash, sig);
	}
	sodium_memzero(&c, sizeof c);
	return n;
}

/* ----------------------------------------------------- opening the keys */

int record_kek_matches(const char *db_path, const char *kek_path, char *why, size_t cap)
{
	struct record_keys k = {NULL, NULL, NULL, NULL};
	seal_kek *kek = NULL;
	store *st = NULL;
	int rc;

	why[0] = '\0';
	if ((rc = seal_kek_load(&kek, kek_path)) != 0) {
		snprintf(why, cap, "key-encryption key %s: %s", kek_path, ak_strerror(rc));
		return rc;
	}
	k.kek = kek;
	if ((rc = store_open(&st, db_path, STORE_READONLY)) != 0)
		snprintf(why, cap, "%s: %s", db_path, store_open_err(rc));
	else if ((rc = record_kek_check(&k, st)) != 0)
		snprintf(why, cap, "key-encryption key %s: %s", kek_path,
			 rc == AK_ECRYPTO ? "it is not the key this data folder's records were "
					    "sealed with"
					  : ak_strerror(rc));
	store_close(st);
	seal_kek_free(kek);
	return rc;
}

int record_keys_open(struct record_keys *out, const char *db_path, const char *kek_path,
		     const char *epochs_path, char *why, size_t cap)
{
	seal_kek *kek = NULL;
	store *st = NULL;
	uint64_t missing = 0;
	int rc;

	memset(out, 0, sizeof *out);
	why[0] = '\0';
	if ((rc = seal_kek_load(&kek, kek_path)) != 0) {
		snprintf(why, cap, "key-encryption key %s: %s", kek_path, ak_strerror(rc));
		return rc;
	}
	out->kek = kek;
	if ((rc = store_open(&st, db_path, STORE_READONLY)) != 0) {
		snprintf(why, cap, "%s: %s", db_path, store_open_err(rc));
		goto fail;
	}
	if ((rc = record_kek_check(out, st)) != 0) {
		snprintf(why, cap, "key-encryption key %s: %s", kek_path,
			 rc == AK_ECRYPTO ? "it is not the key this data folder's records were "
					    "sealed with"
					  : ak_strerror(rc));
		goto fail;
	}
	if ((rc = epoch_open(&out->epochs, epochs_path, kek)) != 0) {
		snprintf(why, cap, "epoch keys %s: %s", epochs_path,
			 rc == AK_ECRYPTO ? "not wrapped by this key-encryption key"
					  : ak_strerror(rc));
		goto fail;
	}
	if ((rc = record_epochs_check(out, st, &missing)) != 0) {
		if (rc == AK_ENOENT) {
			snprintf(why, cap,
				 "epoch keys %s: no epoch %" PRIu64 ", which residents' keys are "
				 "wrapped under (an older copy of the file?)",
				 epochs_path, missing);
			rc = AK_ECORRUPT;
		} else {
			snprintf(why, cap, "epoch keys %s: %s", epochs_path, ak_strerror(rc));
		}
		goto fail;
	}
	store_close(st);
	return 0;
fail:
	store_close(st);
	record_keys_close(out);
	return rc;
}

void record_keys_close(struct record_keys *k)
{
	epoch_close(k->epochs);
	seal_kek_free((seal_kek *)k->kek); /* record_keys_open's own: not const to it */
	k->epochs = NULL;
	k->kek = NULL;
}
