/*
 * record: one resident's sealed record, and the only code that turns it
 * into clear text or back (DESIGN.md, "Sealing personal data"):
 *
 *   record_open    unwrap the data key with its epoch key, unseal the
 *                  fields;
 *   record_create  a fresh data key wrapped under the current epoch, the
 *                  fields sealed under it;
 *   record_rewrap  data keys wrapped again under the current epoch (a
 *                  rotation: service/rewrap.h);
 *   record_issue   a signed code carrying the name and status.
 *
 * Nothing is unsealed that is not logged: record_open takes the audit
 * leaf that will record the access and writes the resident's pseudonym
 * into its subject; without a leaf it refuses. So whoever reads a name
 * holds, in the same hand, the entry that says so.
 *
 * A record_view holds personal data in the clear: keep it on the stack or
 * in a request's state, and record_wipe it before it goes away.
 */
#ifndef ANKANG_RECORD_H
#define ANKANG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/epoch.h"
#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "crypto/seal.h"
#include "service/idcard.h"
#include "service/policy.h"
#include "service/store_people.h"

/* What opening and sealing records needs: the KEK (blind indexes,
 * pseudonyms, the check value) and its epoch keys (which wrap data
 * keys). `lacking`, when set, is called with lacking_ctx when a row's
 * key is wrapped under an epoch newer than any held (a node behind
 * others on one PostgreSQL database: service/epochshare.h fetches it),
 * so that the fetch starts at once; it must not block. */
struct record_keys {
	const seal_kek *kek;
	epoch_set *epochs;
	void (*lacking)(void *ctx);
	void *lacking_ctx;
};

/* What signing codes needs: the active issuer key, the iss claim, and the
 * KEK, whose subkey hashes each code's signature (seal_sig_hash). */
struct record_issuer {
	const key_signer *key;
	const char *iss;
	const seal_kek *kek;
};

struct record_view {
	uint64_t id;
	int status; /* enum cred_status */
	uint8_t pseudonym[SEAL_PSEUDONYM_BYTES];
	char name[CRED_NAME_MAX + 1];
	char id_number[IDCARD_LEN + 1];
	char phone[POLICY_PHONE_MAX + 1]; /* "" when none */
};

/*
 * Reads resident id through db and unseals its fields into out, and sets
 * audit's subject to the resident's pseudonym. Returns 0; AK_EDENIED
 * without an audit leaf (audit NULL or its action ACT_NONE); AK_ENOENT
 * (no such resident, or erased: audit's subject is then "-"); AK_ECRYPTO
 * (the key or a sealed field does not open: the KEK is wrong, the epoch
 * its key is wrapped under was destroyed here, or the row was tampered
 * with); AK_EBEHIND (k->lacking set, and the key is wrapped under an
 * epoch newer than any held: another node made it and this one is still
 * fetching it, so a retry, here shortly or on another node, opens it;
 * without `lacking` that is AK_ECRYPTO, an older epochs file); AK_ECORRUPT (a
 * field opens but is not what record_create seals, its padding
 * included); AK_EDB.
 */
int record_open(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		struct record_view *out);
/*
 * The same, unsealing the name alone (id_number and phone are left
 * empty): all a code carries, so a code opens nothing it does not show.
 * The same leaf, subject and outcomes.
 */
int record_open_name(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		     struct record_view *out);
/* record_open_name of the resident whose row (row->id's) was read with
 * the caller's session (store_session_get_resident): read again only
 * when its key is under an epoch no longer held. */
int record_open_name_row(const struct record_keys *k, store *db, const struct store_resident *row,
			 struct leaf *audit, struct record_view *out);

/*
 * A field of resident id kept outside its row (an appeal's text), sealed
 * under the resident's data key like the row's own: padded to `padded`
 * bytes (at most SEAL_FIELD_MAX), with the resident id and `field` as
 * associated data (a name that says which row the field belongs to, so
 * that it opens nowhere else).
 *
 * record_seal_field reads the resident's key through db and seals
 * pt[0..n) into out (padded + SEAL_OVERHEAD bytes). 0, AK_ENOENT (no such
 * resident, or erased), AK_EINVAL (n >= padded), AK_ECRYPTO, AK_ECORRUPT,
 * AK_EDB. It writes nothing: the caller stores out.
 *
 * record_open_field opens one into out (cap > padded bytes, NUL-
 * terminated, refused if it holds a NUL), under the audit leaf that
 * records the read, whose subject it sets to the resident's pseudonym
 * as record_open does, with the same outcomes (AK_EDENIED without a
 * leaf; AK_ECRYPTO for a field sealed for another resident or field).
 */
int record_seal_field(const struct record_keys *k, store *db, uint64_t id, const char *field,
		      const char *pt, size_t n, size_t padded, uint8_t *out);
int record_open_field(const struct record_keys *k, store *db, uint64_t id, struct leaf *audit,
		      const char *field, const uint8_t *ct, size_t ctlen, size_t padded, char *out,
		      size_t cap);

/*
 * Whether k's KEK is the one the database's records were sealed with: its
 * check value (seal_kek_check) against the one stored at init. 0,
 * AK_ECRYPTO (another KEK), AK_ENOENT (none stored: a database this build
 * did not make), AK_EDB. record_kek_check_put stores it (at init, on the
 * writer's connection).
 */
int record_kek_check(const struct record_keys *k, store *db);
/* record_kek_check for the KEK in kek_path against the store at db_path,
 * alone (before the epochs are fetched: service/app.c). 0, or as
 * record_keys_open, with *why saying which. */
int record_kek_matches(const char *db_path, const char *kek_path, char *why, size_t cap);
int record_kek_check_put(const struct record_keys *k, store *w);

/*
 * Whether k's epoch keys include every epoch the database's keys are
 * wrapped under: 0, AK_ENOENT (*missing gets the first epoch in use that
 * is not held: the epochs file is an older copy, or another folder's),
 * AK_EDB.
 */
int record_epochs_check(const struct record_keys *k, store *db, uint64_t *missing);

/*
 * A data folder's keys, as every command that unseals or re-wraps opens
 * them: the KEK from kek_path, checked against the database at db_path
 * (record_kek_check), then the epoch keys from epochs_path, checked to
 * hold every epoch the database uses (record_epochs_check). 0 with *out
 * filled (record_keys_close frees it), or an AK_E* code and in why a
 * sentence for the operator naming the file and what is wrong with it
 * (never a key). The database is only read.
 */
int record_keys_open(struct record_keys *out, const char *db_path, const char *kek_path,
		     const char *epochs_path, char *why, size_t cap);
void record_keys_close(struct record_keys *k);

/*
 * Wraps again, under the current epoch, the data keys of up to limit live
 * residents whose keys are under an older one, on the writer's connection
 * w inside an audit operation (service/rewrap.c). *done gets how many;
 * 0 means none is left under an older epoch. Returns 0, AK_ECRYPTO (a
 * key does not open under its epoch: nothing of the chunk may commit),
 * AK_ENOMEM, AK_EDB.
 */
int record_rewrap(const struct record_keys *k, store *w, size_t limit, size_t *done);

/* Wipes a view (sodium_memzero); NULL is a no-op. */
void record_wipe(struct record_view *v);

/*
 * Enrols the view's person (name, id_number, phone; id and status are
 * ignored) on the writer's connection w, inside an audit operation: a row
 * for the ID number's blind index, then a fresh data key wrapped under the
 * current epoch, the fields padded and sealed under it with the new id as
 * associated data, and
 * passhash (passphrase_hash's string); index is the log index of the
 * enroll leaf, which set the first status. *id receives the new
 * resident's id, handle its handle: 128 random bits (a collision would be
 * refused by the schema, never two people merged). Returns 0, AK_ECONFLICT (the ID number is
 * enrolled), AK_EINVAL (a field too long to seal), AK_ENOMEM, AK_EDB.
 * passhash NULL makes a record without a passphrase, which nobody can log
 * in to: a household member added by a guardian (index is then the
 * household_add leaf's), until an enrolment claims it (record_claim).
 */
int record_create(const struct record_keys *k, store *w, const struct record_view *v,
		  const char *passhash, uint64_t now, uint64_t index, uint64_t *id,
		  uint8_t handle[STORE_HANDLE_BYTES]);

/*
 * An enrolment of v's ID number, which record_create refused as enrolled:
 * claims the record when it has no passphrase (a household member whose
 * guardian added them) and its sealed name is v's name, byte for byte
 * (both NFC). Sets the passphrase hash and seals v's phone under the
 * record's own key; the status, its history and the household links stay.
 * *id, handle and *status get the record's. Returns 0, AK_ECONFLICT (the
 * number is held by someone with a passphrase, or the name differs: a
 * duplicate as before), AK_ENOENT (nobody holds it: record_create), or
 * record_open's errors. On the writer's connection, inside an operation.
 */
int record_claim(const struct record_keys *k, store *w, const struct record_view *v,
		 const char *passhash, uint64_t *id, uint8_t handle[STORE_HANDLE_BYTES],
		 int *status);

/*
 * Signs a fresh code for the resident: iss from the issuer, iat now, exp
 * now + ttl, a new random cti, the view's name and status. Writes the
 * credential text into text and the row to store (store_code_add, inside
 * the operation that also writes the `issue` or `print_code` leaf) into
 * code, with the keyed hash of its signature; code->issued_index is the
 * caller's to set once the leaf's index is known. Returns the text's
 * length or an AK_E* code.
 */
int record_issue(const struct record_issuer *is, const struct record_view *v, uint64_t now,
		 uint64_t ttl, int paper, char text[CRED_TEXT_MAX + 1], struct store_code *code);

#endif
