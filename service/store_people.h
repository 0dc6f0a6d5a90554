/*
 * store_people: the SQL for residents, accounts, sessions, issued codes,
 * revocations and offline scans (schema/002_people.sql). Part of the store
 * module: same connection rules as store.h, statements cached in
 * store_int.h's slots, no SQL built from input.
 *
 * Nothing here sees personal data in the clear: the callers seal before
 * they write and open after they read (crypto/seal.h). Functions that
 * change state are called by the audit writer inside an operation's
 * savepoint (auditlog_change_fn), on the writer's connection; reads run on
 * any connection.
 *
 * All return 0 or a negative AK_E* code: AK_ENOENT when no row matches
 * (or a referenced resident or account does not exist), AK_ECONFLICT on a
 * uniqueness violation, AK_EINVAL for an argument out of range (sizes and
 * ranges are checked before any SQL runs; the schema's CHECKs catch the
 * rest, e.g. an account name's characters), AK_ECORRUPT for a stored row
 * that breaks the schema's sizes, AK_EDB otherwise.
 * Functions that write more than one statement are atomic on their own
 * (a savepoint), inside or outside the caller's transaction.
 */
#ifndef ANKANG_STORE_PEOPLE_H
#define ANKANG_STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/leaf.h"
#include "crypto/seal.h"
#include "log/store.h"

/*
 * A sealed field's exact length (the schema's CHECKs): its clear text
 * padded to one length per field (record.c: a name of at most 128 bytes
 * to 129, an ID number of 18 to 19, a phone of at most 20 to 21), plus
 * SEAL_OVERHEAD.
 */
#define STORE_SEALED_NAME_BYTES  169
#define STORE_SEALED_ID_BYTES    59
#define STORE_SEALED_PHONE_BYTES 61
#define STORE_SEALED_MAX         STORE_SEALED_NAME_BYTES
#define STORE_PASSHASH_MAX       128 /* crypto_pwhash_STRBYTES */
#define STORE_ACCOUNT_NAME_MAX   64
#define STORE_HANDLE_BYTES       16
#define STORE_SIG_HASH_BYTES     16
/* A session's last use is written at most this often (store_session_touch). */
#define STORE_SESSION_TOUCH_S 60

struct store_sealed {
	uint8_t b[STORE_SEALED_MAX];
	size_t len; /* 0: absent */
};

struct store_resident {
	uint64_t id;
	uint8_t handle[STORE_HANDLE_BYTES];
	int erased;
	int status; /* enum cred_status */
	uint64_t status_changed, created;
	uint64_t status_index; /* log index of the leaf that set the status */
	int has_key;
	uint64_t key_epoch; /* with has_key: the epoch `wrapped` is wrapped under */
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
	struct store_sealed name, id_number, phone;
	char passphrase[STORE_PASSHASH_MAX]; /* Argon2id string, NUL-terminated */
};

/* ------------------------------------------------------------ residents */

/*
 * Inserts a new resident row with its blind index, its handle (random:
 * the caller's) and status green set by the leaf at log index `index`,
 * and returns its id (needed as associated data before anything is
 * sealed). AK_ECONFLICT when the blind index exists: the ID number is
 * enrolled.
 */
int store_resident_insert(store *s, const uint8_t blind[SEAL_BLIND_BYTES],
			  const uint8_t handle[STORE_HANDLE_BYTES], uint64_t now, uint64_t index,
			  uint64_t *id);
/* Writes the wrapped key and its epoch (>= 1), the three sealed fields
 * (each exactly its STORE_SEALED_*_BYTES long, else AK_EINVAL) and the
 * passphrase hash of r->id. */
int store_resident_seal(store *s, const struct store_resident *r);
/* An erased resident reads back as its tombstone: erased set, no key, no
 * fields, no passphrase. */
int store_resident_by_id(store *s, uint64_t id, struct store_resident *out);
int store_resident_by_blind(store *s, const uint8_t blind[SEAL_BLIND_BYTES],
			    struct store_resident *out);
/* By the handle the API shows; AK_ENOENT for none (an erased resident's
 * handle still finds its tombstone). */
int store_resident_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES],
			     struct store_resident *out);
/* Sets the status, status_changed and the index of the leaf that set it;
 * AK_ENOENT for an unknown or erased id. */
int store_resident_set_status(store *s, uint64_t id, int status, uint64_t now, uint64_t index);
/*
 * Keys under an older epoch, for a rotation (service/rewrap.h): calls fn
 * for each live resident whose key is wrapped under an epoch below
 * `below`, oldest epoch first, then by id, at most limit of them; fn's
 * non-zero return stops and is returned. fn must not use s (collect, then
 * write: store_resident_rewrap).
 */
typedef int (*store_rewrap_fn)(void *ctx, uint64_t id, uint64_t epoch,
			       const uint8_t wrapped[SEAL_WRAPPED_BYTES]);
int store_residents_under_epoch(store *s, uint64_t below, size_t limit, store_rewrap_fn fn,
				void *ctx);
/* Replaces the wrapped key of resident id, wrapped under old_epoch, by
 * one wrapped under new_epoch. AK_ENOENT when the row is not (or no
 * longer) a live one under old_epoch. */
int store_resident_rewrap(store *s, uint64_t id, uint64_t old_epoch, uint64_t new_epoch,
			  const uint8_t wrapped[SEAL_WRAPPED_BYTES]);
/* The lowest epoch above `after` that some live key is wrapped under
 * (after 0: the oldest in use); AK_ENOENT when there is none. O(log n):
 * by the index on key_epoch. */
int store_key_epoch_next(store *s, uint64_t after, uint64_t *next);

/*
 * Erases: nulls wrapped key, sealed fields, blind index and passphrase,
 * sets erased, deletes sessions, status history and household links
 * (as guardian and as member), and revokes the
 * resident's outstanding codes. AK_ENOENT for an unknown or erased id.
 */
int store_resident_erase(store *s, uint64_t id, uint64_t now);

struct store_status_change {
	uint64_t time;
	int status;
	const char *reason;  /* a DET_* word (status reason), static */
	uint64_t officer_id; /* LEAF_NO_ID when none */
};
int store_status_history_add(store *s, uint64_t resident_id, const struct store_status_change *c);
/* Newest first, at most limit (0: all); fn's non-zero return stops and is
 * returned. c->reason is static (leaf.h's word). fn may use the same store
 * but not call store_status_history on it. Adding to an unknown or erased
 * resident is AK_ENOENT. */
typedef int (*store_status_fn)(void *ctx, const struct store_status_change *c);
int store_status_history(store *s, uint64_t resident_id, size_t limit, store_status_fn fn,
			 void *ctx);
/*
 * The residents whose status officer_id changed at or after since (unix
 * seconds), among the newest `rows` status changes of anyone: fn(ctx,
 * resident id) for each such change, newest first (a resident may come
 * more than once); fn's non-zero return stops and is returned. Bounded by
 * rows, so an officer's own recent actions can name their residents
 * without an index the writer would keep up for it.
 */
typedef int (*store_resident_id_fn)(void *ctx, uint64_t resident_id);
int store_status_history_by_officer(store *s, uint64_t officer_id, uint64_t since, size_t rows,
				    store_resident_id_fn fn, void *ctx);

/* ------------------------------------------------------------- accounts */

struct store_account {
	uint64_t id;
	enum leaf_role role; /* ROLE_VERIFIER .. ROLE_ADMIN */
	char name[STORE_ACCOUNT_NAME_MAX + 1];
	uint64_t created;
	int disabled;
	char team[STORE_ACCOUNT_NAME_MAX + 1]; /* "" when none (schema/004_appeals.sql) */
};

/* AK_ECONFLICT when the name is taken. */
int store_account_add(store *s, enum leaf_role role, const char *name, const uint8_t token_hash[32],
		      uint64_t now, uint64_t *id);
/* The active or disabled account holding this token hash. */
int store_account_by_token(store *s, const uint8_t token_hash[32], struct store_account *out);
int store_account_by_id(store *s, uint64_t id, struct store_account *out);
int store_account_by_name(store *s, const char *name, struct store_account *out);
typedef int (*store_account_fn)(void *ctx, const struct store_account *a);
int store_account_list(store *s, store_account_fn fn, void *ctx);
/* AK_ENOENT for an unknown or already disabled account. */
int store_account_disable(store *s, uint64_t id, uint64_t now);
/* Sets an account's team (a label of 1-64 of [A-Za-z0-9._-], else
 * AK_EINVAL from the schema), or clears it (team NULL). AK_ENOENT for an
 * unknown account. */
int store_account_set_team(store *s, uint64_t id, const char *team);

/* ------------------------------------------------------------- sessions */

struct store_session {
	uint64_t resident_id;
	uint64_t created, used, expires;
	uint8_t token_hash[32];
};

/* AK_ENOENT for an unknown or erased resident; AK_EINVAL unless expires > now. */
int store_session_add(store *s, const uint8_t token_hash[32], uint64_t resident_id, uint64_t now,
		      uint64_t expires);
/* A live session (expires > now), else AK_ENOENT. */
int store_session_get(store *s, const uint8_t token_hash[32], uint64_t now,
		      struct store_session *out);
/*
 * store_session_get, and the session's resident's row into *r (as
 * store_resident_by_id reads it), in one statement: for a request that
 * opens the caller's own record (GET /v1/me/code), a statement fewer, on
 * PostgreSQL a round trip. The same outcomes as store_session_get; *r is
 * wiped unless it returns 0.
 */
int store_session_get_resident(store *s, const uint8_t token_hash[32], uint64_t now,
			       struct store_session *out, struct store_resident *r);
/* Records a use at now (rounded down to STORE_SESSION_TOUCH_S). */
int store_session_touch(store *s, const uint8_t token_hash[32], uint64_t now);
/* Ends one session (log-out); AK_ENOENT when it is not there. */
int store_session_delete(store *s, const uint8_t token_hash[32]);
/* Ends every session of a resident; *n (may be NULL) gets the count. */
int store_sessions_delete_all(store *s, uint64_t resident_id, uint64_t *n);
/* A resident's live sessions, newest first; fn's non-zero return stops
 * and is returned. */
typedef int (*store_session_fn)(void *ctx, const struct store_session *ss);
int store_sessions_list(store *s, uint64_t resident_id, uint64_t now, store_session_fn fn,
			void *ctx);
/* Deletes expired sessions; *n (may be NULL) gets the count. */
int store_session_purge(store *s, uint64_t now, uint64_t *n);

/* ---------------------------------------------------- codes, revocations */

struct store_code {
	uint8_t cti[CRED_CTI_BYTES];
	uint64_t resident_id;
	uint64_t iat, exp;
	int status;
	int paper;
	uint8_t sig_hash[STORE_SIG_HASH_BYTES]; /* seal_sig_hash of its signature */
	uint64_t issued_index;                  /* its issue or print_code leaf */
};
/* AK_ENOENT for an unknown or erased resident: an erased resident gets no
 * new code, even from a request that read the row before the erasure. */
int store_code_add(store *s, const struct store_code *c);
/*
 * The rows c[0..n) at once, all or none: 0 when each is added as
 * store_code_add would add it, AK_ENOENT (nothing added) when one names an
 * unknown or erased resident, or the first error. On PostgreSQL one
 * statement (the writer's group change for a batch's codes,
 * auditlog_group_fn); on SQLite each row in turn under a savepoint.
 */
int store_code_add_all(store *s, const struct store_code *const *c, size_t n);
int store_code_get(store *s, const uint8_t cti[CRED_CTI_BYTES], struct store_code *out);
/*
 * Puts every code of the resident that has not expired by `now` on the
 * revocation list (until its exp). "Expired" allows for verifiers' clock
 * skew (CRED_DEFAULT_SKEW): a code a verifier would still accept is
 * revoked. Codes already revoked are left as they are. *n (may be NULL)
 * gets the count of codes newly revoked.
 */
int store_codes_revoke(store *s, uint64_t resident_id, uint64_t now, uint64_t *n);
/* 1 when cti is revoked, 0 when not, or an error. */
int store_revoked(store *s, const uint8_t cti[CRED_CTI_BYTES]);
/* store_code_get and store_revoked at once (a verify): 0 or AK_ENOENT as
 * store_code_get says, *revoked as store_revoked does; else an error. One
 * statement on either store. */
int store_code_lookup(store *s, const uint8_t cti[CRED_CTI_BYTES], struct store_code *out,
		      int *revoked);
/*
 * store_account_by_token (returned) and store_code_lookup (*code_rc, with
 * *code and *revoked) in one statement: a verifier's token and the code
 * it shows, a statement fewer and on PostgreSQL a round trip (POST
 * /v1/verify, authz_identify_ahead).
 */
int store_account_with_code(store *s, const uint8_t token_hash[32],
			    const uint8_t cti[CRED_CTI_BYTES], struct store_account *out,
			    struct store_code *code, int *code_rc, int *revoked);
/* Revoked ctis with exp >= since, in ascending byte order. */
typedef int (*store_cti_fn)(void *ctx, const uint8_t cti[CRED_CTI_BYTES]);
int store_revocations(store *s, uint64_t since, store_cti_fn fn, void *ctx);
/* Deletes codes that expired before codes_before and revocations that
 * expired before revocations_before (callers keep codes longer, for late
 * offline scans, than the published list needs them). *n (may be NULL)
 * gets the count of rows deleted from both. */
int store_codes_purge(store *s, uint64_t codes_before, uint64_t revocations_before, uint64_t *n);

/* ------------------------------------------------------------ KEK check */

/* The stored check value of the KEK (seal_kek_check); AK_ENOENT when none
 * is stored yet. */
int store_kek_check_get(store *s, uint8_t out[32]);
/* Stores it; AK_ECONFLICT when one is stored already. */
int store_kek_check_put(store *s, const uint8_t value[32]);

/* ---------------------------------------------------------------- scans */

struct store_scan {
	uint8_t scan_id[16];
	uint64_t verifier_id;
	int has_cti;
	uint8_t cti[CRED_CTI_BYTES];
	uint64_t time;
	int result; /* enum cred_result */
};
/* AK_ECONFLICT when this scan id was uploaded before (uploads are idempotent). */
int store_scan_add(store *s, const struct store_scan *sc, uint64_t now);
/* 1 when this scan id was uploaded before, 0 when not, or an error. Added
 * with POST /v1/scans, which leaves out known scans before it builds the
 * operation's leaves (one per new scan). */
int store_scan_known(store *s, const uint8_t scan_id[16]);

/* -------------------------------------------------------------- appeals */

/*
 * Appeals (schema/004_appeals.sql, service/appeal.h): the text is sealed
 * by the caller (record_seal_field) and only ever passes through here
 * sealed.
 */
#define STORE_SEALED_APPEAL_BYTES 2041 /* POLICY_APPEAL_TEXT_BYTES + 1 + SEAL_OVERHEAD */

enum store_appeal_decision {
	STORE_APPEAL_OPEN = 0, /* not answered yet */
	STORE_APPEAL_UPHELD,
	STORE_APPEAL_REJECTED
};

struct store_appeal {
	uint64_t id;
	uint8_t handle[STORE_HANDLE_BYTES];
	uint64_t resident_id;
	enum leaf_detail reason; /* policy_appeal_reason_parse's words */
	int has_text;            /* 0 once the resident is erased */
	uint8_t text[STORE_SEALED_APPEAL_BYTES];
	int status;              /* the status appealed (enum cred_status) */
	uint64_t status_officer; /* the account that set it; LEAF_NO_ID: enrolment */
	uint64_t opened, due;
	enum store_appeal_decision decision;
	uint64_t answered;              /* with a decision */
	enum leaf_detail answer_reason; /* with a decision, else DET_NONE */
	uint64_t officer_id;            /* the answering account; LEAF_NO_ID while open */
	/* read with the appeal, not written: */
	uint8_t resident_handle[STORE_HANDLE_BYTES];
	int resident_status; /* the resident's status now */
	int resident_erased;
	char team[STORE_ACCOUNT_NAME_MAX + 1]; /* status_officer's team, "" when none */
};

/*
 * Opens an appeal: handle, resident_id, reason, text (has_text must be
 * set), opened and due are the caller's; the status appealed and the
 * account that set it (the newest status history row's) are read in the
 * same statement. *id gets the new row's id. AK_ENOENT for an unknown or
 * erased resident; AK_ECONFLICT when the resident has an open appeal
 * (or, never in practice, the handle is taken).
 */
int store_appeal_add(store *s, const struct store_appeal *a, uint64_t *id);
/* AK_ENOENT for no such handle. */
int store_appeal_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES],
			   struct store_appeal *out);
/* 1 when the resident has an open appeal, 0 when not, or an error. */
int store_appeal_open_of(store *s, uint64_t resident_id);
/* Answers appeal id: AK_ENOENT when there is no such appeal or it was
 * answered already; AK_EINVAL for a reason that is not the decision's. */
int store_appeal_answer(store *s, uint64_t id, uint64_t now, enum store_appeal_decision decision,
			enum leaf_detail reason, uint64_t officer_id);
/* fn's non-zero return stops and is returned; fn must not use s's appeal
 * queries. A resident's own appeals, newest first. */
typedef int (*store_appeal_fn)(void *ctx, const struct store_appeal *a);
int store_appeals_of(store *s, uint64_t resident_id, store_appeal_fn fn, void *ctx);
/* Live residents' appeals, oldest first, at most limit (0: all). */
enum store_appeal_state {
	STORE_APPEALS_OPEN = 1,
	STORE_APPEALS_ANSWERED,
	STORE_APPEALS_ALL
};
int store_appeals_list(store *s, enum store_appeal_state which, size_t limit, store_appeal_fn fn,
		       void *ctx);
/* Live residents' open appeals whose due is before now, oldest first. */
int store_appeals_overdue(store *s, uint64_t now, store_appeal_fn fn, void *ctx);
/* ------------------------------------------------------ household links */

/* How a link became active (schema/005_household.sql). */
enum store_consent {
	STORE_CONSENT_NONE, /* pending */
	STORE_CONSENT_MINOR,
	STORE_CONSENT_SELF,
	STORE_CONSENT_OFFICER,
	STORE_CONSENT_COUNT
};

/* The consent's word as the schema spells it; NULL for NONE (pending). */
const char *store_consent_word(enum store_consent c);

/* At most this many members per guardian: a household, not a register. */
#define STORE_HOUSEHOLD_MAX 16

struct store_link {
	uint64_t id;
	uint8_t handle[STORE_HANDLE_BYTES]; /* random: the caller's */
	uint64_t guardian_id, member_id;
	enum leaf_detail relation; /* DET_CHILD, DET_PARENT, DET_SPOUSE, DET_OTHER */
	int active;
	uint64_t requested, confirmed; /* confirmed: 0 while pending */
	enum store_consent consent;    /* NONE while pending */
	uint64_t officer_id;           /* with STORE_CONSENT_OFFICER, else LEAF_NO_ID */
};

/*
 * Adds a link (l->id is ignored): pending with consent NONE, or active
 * at once with consent MINOR or SELF (confirmed = requested); an
 * officer's confirmation is store_link_confirm's. AK_ECONFLICT when the
 * guardian has this member already (or the handle exists), AK_ENOENT
 * when either resident is unknown or erased, AK_EINVAL for a bad field.
 */
int store_link_add(store *s, const struct store_link *l);
int store_link_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES],
			 struct store_link *out);
/* A guardian's links, a member's links, or the pending links (at most
 * limit, >= 1), oldest first; fn's non-zero return stops and is
 * returned. fn must not use s. */
typedef int (*store_link_fn)(void *ctx, const struct store_link *l);
int store_links_of_guardian(store *s, uint64_t guardian_id, store_link_fn fn, void *ctx);
int store_links_of_member(store *s, uint64_t member_id, store_link_fn fn, void *ctx);
int store_links_pending(store *s, size_t limit, store_link_fn fn, void *ctx);
/* A pending link made active by officer officer_id; AK_ENOENT when the
 * link is gone or not pending. */
int store_link_confirm(store *s, uint64_t id, uint64_t now, uint64_t officer_id);
/* Ends a link; AK_ENOENT when it is gone already. */
int store_link_delete(store *s, uint64_t id);
/* How many links guardian_id has, pending or active. */
int store_links_count(store *s, uint64_t guardian_id, uint64_t *n);

#endif
