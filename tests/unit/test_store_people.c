/*
 * test_store_people: the statements over residents, accounts, sessions,
 * codes, revocations and scans (service/store_people.h), on a temporary
 * database opened with store_open.
 *
 * Residents are enrolled as the service will: a row for the blind index
 * first, then the fields sealed under a fresh data key with the row's id
 * as associated data, then read back and opened. Erasure is checked as
 * crypto-shredding: the key and fields are gone (even the raw row has
 * NULLs, and the schema refuses to put data back into a tombstone),
 * sessions and history deleted, outstanding codes revoked, and every
 * later change to the erased id refused. The made-up personal data never
 * reaches the database file in the clear (it is searched for), and is
 * compared, never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/seal.h"
#include "log/store_int.h"
#include "service/store_people.h"
#include "tests/lib/tap.h"

#define NOW 1750000000u

static char dir[] = "/tmp/ankang-test-people.XXXXXX";
static char db_path[256], kek_path[256];
static store *s;
static seal_kek *kek;
static seal_epochkey ek1; /* the epoch every fixture's key is wrapped under */

static const char *const NAME1 = "Test Resident One";
static const char *const IDNO1 = "34010419900101123X";
static const char *const PHONE1 = "+8613800000000";

/* --------------------------------------------------------------- helpers */

/* Seals pt as the service does: padded to the length that makes the
 * sealed form exactly `sealed` bytes long. */
static void seal_into(struct store_sealed *f, const seal_datakey *dk, uint64_t id,
		      const char *field, const char *pt, size_t sealed)
{
	size_t n = strlen(pt);

	if (sealed > sizeof f->b ||
	    seal_field(dk, id, field, (const uint8_t *)pt, n, sealed - SEAL_OVERHEAD, f->b) != 0)
		bail_out("seal_field");
	f->len = sealed;
}

/* Enrols a resident the way the service does; returns its id. */
static uint64_t enrol(const char *idno, const char *name, const char *phone,
		      struct store_resident *r)
{
	uint8_t blind[SEAL_BLIND_BYTES];
	seal_datakey dk;
	uint64_t id = 0;

	uint8_t handle[STORE_HANDLE_BYTES];

	seal_blind_index(kek, blind, idno, strlen(idno));
	randombytes_buf(handle, sizeof handle);
	if (store_resident_insert(s, blind, handle, NOW, 7, &id) != 0)
		bail_out("store_resident_insert");
	memset(r, 0, sizeof *r);
	r->id = id;
	if (seal_datakey_new(&ek1, id, r->wrapped, &dk) != 0)
		bail_out("seal_datakey_new");
	r->has_key = 1;
	r->key_epoch = ek1.number;
	seal_into(&r->name, &dk, id, "name", name, STORE_SEALED_NAME_BYTES);
	seal_into(&r->id_number, &dk, id, "id_number", idno, STORE_SEALED_ID_BYTES);
	seal_into(&r->phone, &dk, id, "phone", phone != NULL ? phone : "",
		  STORE_SEALED_PHONE_BYTES);
	snprintf(r->passphrase, sizeof r->passphrase, "$argon2id$v=19$m=19456,t=2,p=1$%s",
		 "c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g");
	seal_datakey_wipe(&dk);
	if (store_resident_seal(s, r) != 0)
		bail_out("store_resident_seal");
	return id;
}

/* Opens a stored field and compares it with what was sealed. */
static int opens_to(const struct store_resident *r, const char *field, const struct store_sealed *f,
		    const char *want)
{
	seal_datakey dk;
	uint8_t pt[STORE_SEALED_MAX];
	size_t n = 0;
	int same;

	if (!r->has_key || r->key_epoch != ek1.number ||
	    seal_datakey_unwrap(&ek1, r->id, r->wrapped, &dk) != 0)
		return 0;
	same =
	    f->len > SEAL_OVERHEAD &&
	    seal_open_field(&dk, r->id, field, f->b, f->len, f->len - SEAL_OVERHEAD, pt, &n) == 0 &&
	    n == strlen(want) && memcmp(pt, want, n) == 0;
	sodium_memzero(pt, sizeof pt);
	seal_datakey_wipe(&dk);
	return same;
}

/* 1 when needle occurs in the file at path (the DB or its WAL). */
static int file_contains(const char *path, const char *needle)
{
	char *buf = NULL;
	size_t len = 0;
	int found;

	if (util_read_file(path, 64u << 20, &buf, &len) != 0)
		return 0;
	found = memmem(buf, len, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static int raw_int(const char *sql, uint64_t id)
{
	sqlite3_stmt *st = NULL;
	int v = -999;

	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 1, (sqlite3_int64)id) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void random_cti(uint8_t cti[CRED_CTI_BYTES])
{
	randombytes_buf(cti, CRED_CTI_BYTES);
}

static void token_hash(uint8_t h[32], int seed)
{
	memset(h, 0, 32);
	h[0] = (uint8_t)seed;
	h[31] = 0xa5;
}

/* ------------------------------------------------------------- residents */

static uint64_t rid1, rid2, officer_id, verifier_id;
static const uint8_t zero_handle[STORE_HANDLE_BYTES] = {0};

static void residents(void)
{
	struct store_resident r, back;
	uint8_t blind[SEAL_BLIND_BYTES];
	uint64_t id;
	char wal[300];

	rid1 = enrol(IDNO1, NAME1, PHONE1, &r);
	ok(rid1 > 0, "a resident is inserted and sealed");
	seal_blind_index(kek, blind, IDNO1, strlen(IDNO1));
	is_int(store_resident_insert(s, blind, zero_handle, NOW, 7, &id), AK_ECONFLICT,
	       "the same blind index again: AK_ECONFLICT (already enrolled)");
	is_int(store_resident_by_id(s, rid1, &back), 0, "read back by id");
	{
		struct store_resident h;
		uint8_t other[SEAL_BLIND_BYTES] = {9}, unknown[STORE_HANDLE_BYTES];
		is_int(store_resident_by_handle(s, back.handle, &h), 0, "found by its handle");
		ok(h.id == rid1 && h.status_index == 7, "the same row, with its status index");
		memcpy(unknown, back.handle, sizeof unknown);
		unknown[0] ^= 1;
		is_int(store_resident_by_handle(s, unknown, &h), AK_ENOENT,
		       "a handle one bit off: AK_ENOENT");
		is_int(store_resident_insert(s, other, back.handle, NOW, 8, &id), AK_ECONFLICT,
		       "a second resident with the same handle: AK_ECONFLICT, never merged");
	}

	is_int(store_resident_by_id(s, rid1, &back), 0, "read back by id");
	ok(back.id == rid1 && !back.erased && back.status == CRED_GREEN && back.created == NOW &&
	       back.status_changed == NOW,
	   "id, not erased, green, created and status_changed = now");
	ok(back.has_key && memcmp(back.wrapped, r.wrapped, SEAL_WRAPPED_BYTES) == 0,
	   "the wrapped key is stored as given");
	ok(back.name.len == r.name.len && memcmp(back.name.b, r.name.b, r.name.len) == 0 &&
	       back.id_number.len == r.id_number.len &&
	       memcmp(back.id_number.b, r.id_number.b, r.id_number.len) == 0 &&
	       back.phone.len == r.phone.len && memcmp(back.phone.b, r.phone.b, r.phone.len) == 0,
	   "the sealed fields are stored byte for byte");
	ok(strcmp(back.passphrase, r.passphrase) == 0, "the passphrase hash is stored");
	ok(opens_to(&back, "name", &back.name, NAME1) &&
	       opens_to(&back, "id_number", &back.id_number, IDNO1) &&
	       opens_to(&back, "phone", &back.phone, PHONE1),
	   "with the KEK, every field read back opens to what was sealed");
	ok(!opens_to(&back, "id_number", &back.name, NAME1),
	   "a field opened as another field does not open");

	is_int(store_resident_by_blind(s, blind, &back), 0, "found by blind index");
	is_int(back.id, rid1, "the same resident");
	seal_blind_index(kek, blind, "110105194912310021", 18);
	is_int(store_resident_by_blind(s, blind, &back), AK_ENOENT, "another blind: AK_ENOENT");
	is_int(store_resident_by_id(s, 999999, &back), AK_ENOENT, "an unknown id: AK_ENOENT");
	is_int(store_resident_by_id(s, UINT64_MAX, &back), AK_ENOENT, "id UINT64_MAX: AK_ENOENT");

	rid2 = enrol("11010519491231002X", "Test Resident Two", NULL, &r);
	ok(rid2 != rid1, "a second resident gets its own id");
	is_int(store_resident_by_id(s, rid2, &back), 0, "read back");
	ok(back.phone.len == STORE_SEALED_PHONE_BYTES && opens_to(&back, "phone", &back.phone, ""),
	   "no phone given: an empty one is sealed, as long as any other");
	ok(back.name.len == STORE_SEALED_NAME_BYTES && back.id_number.len == STORE_SEALED_ID_BYTES,
	   "every sealed name and ID number has its one length");

	/* Bad arguments to seal. */
	r.has_key = 0;
	is_int(store_resident_seal(s, &r), AK_EINVAL, "seal without a key: AK_EINVAL");
	r.has_key = 1;
	r.name.len = STORE_SEALED_MAX + 1;
	is_int(store_resident_seal(s, &r), AK_EINVAL, "a sealed field over the maximum: AK_EINVAL");
	r.name.len = STORE_SEALED_NAME_BYTES - 1;
	is_int(store_resident_seal(s, &r), AK_EINVAL, "a sealed name a byte short: AK_EINVAL");
	r.name.len = STORE_SEALED_NAME_BYTES;
	r.phone.len = 0;
	is_int(store_resident_seal(s, &r), AK_EINVAL, "a row without its sealed phone: AK_EINVAL");
	r.phone.len = STORE_SEALED_PHONE_BYTES;
	memset(r.passphrase, 'p', sizeof r.passphrase);
	is_int(store_resident_seal(s, &r), AK_EINVAL, "a passphrase hash without NUL: AK_EINVAL");
	r.passphrase[0] = '\0';
	r.id = 999999;
	is_int(store_resident_seal(s, &r), AK_ENOENT, "seal of an unknown id: AK_ENOENT");

	/* Status. */
	is_int(store_resident_set_status(s, rid1, CRED_RED, NOW + 10, 42), 0, "set status red");
	store_resident_by_id(s, rid1, &back);
	ok(back.status == CRED_RED && back.status_changed == NOW + 10,
	   "status red, status_changed updated");
	is_int(store_resident_set_status(s, rid1, 3, NOW, 43), AK_EINVAL, "status 3: AK_EINVAL");
	is_int(store_resident_set_status(s, rid1, -1, NOW, 43), AK_EINVAL, "status -1: AK_EINVAL");
	is_int(store_resident_set_status(s, 999999, CRED_GREEN, NOW, 43), AK_ENOENT,
	       "set status of an unknown id: AK_ENOENT");

	/* The clear text never reaches the file. */
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	ok(!file_contains(db_path, NAME1) && !file_contains(wal, NAME1) &&
	       !file_contains(db_path, IDNO1) && !file_contains(wal, IDNO1) &&
	       !file_contains(db_path, PHONE1) && !file_contains(wal, PHONE1),
	   "no name, ID number or phone in the database file or its WAL");
}

/* ------------------------------------------------------------- accounts */

struct collect {
	int n, stop_at;
	uint64_t ids[16];
	struct store_status_change ch[16];
};

static int collect_account(void *ctx, const struct store_account *a)
{
	struct collect *c = ctx;

	if (c->n < 16)
		c->ids[c->n] = a->id;
	c->n++;
	return c->stop_at && c->n == c->stop_at ? 42 : 0;
}

static void accounts(void)
{
	struct store_account a;
	struct collect c = {0};
	uint8_t h1[32], h2[32], h3[32], h4[32];
	char long_name[STORE_ACCOUNT_NAME_MAX + 2];
	uint64_t id;

	token_hash(h1, 1);
	token_hash(h2, 2);
	token_hash(h3, 3);
	token_hash(h4, 4);
	is_int(store_account_add(s, ROLE_OFFICER, "officer.hefei.3", h1, NOW, &officer_id), 0,
	       "add an officer");
	is_int(store_account_add(s, ROLE_VERIFIER, "checkpoint-17", h2, NOW + 1, &verifier_id), 0,
	       "add a verifier");
	ok(officer_id != verifier_id, "each has its own id");
	is_int(store_account_add(s, ROLE_AUDITOR, "officer.hefei.3", h3, NOW, &id), AK_ECONFLICT,
	       "a taken name: AK_ECONFLICT");
	is_int(store_account_add(s, ROLE_AUDITOR, "auditor-1", h1, NOW, &id), AK_ECONFLICT,
	       "a taken token hash: AK_ECONFLICT");
	is_int(store_account_add(s, ROLE_RESIDENT, "resident-x", h3, NOW, &id), AK_EINVAL,
	       "role resident: AK_EINVAL");
	is_int(store_account_add(s, ROLE_SYSTEM, "system-x", h3, NOW, &id), AK_EINVAL,
	       "role system: AK_EINVAL");
	is_int(store_account_add(s, ROLE_ADMIN, "", h3, NOW, &id), AK_EINVAL,
	       "an empty name: AK_EINVAL");
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	is_int(store_account_add(s, ROLE_ADMIN, long_name, h3, NOW, &id), AK_EINVAL,
	       "a name over %d bytes: AK_EINVAL", STORE_ACCOUNT_NAME_MAX);
	is_int(store_account_add(s, ROLE_ADMIN, "Test Resident", h3, NOW, &id), AK_EINVAL,
	       "a name with a space (a person's name): refused by the schema's CHECK");
	is_int(store_account_add(s, ROLE_AUDITOR, "auditor-1", h3, NOW, &id), 0, "add an auditor");
	is_int(store_account_add(s, ROLE_ADMIN, "admin-1", h4, NOW, &id), 0, "add an admin");

	is_int(store_account_by_token(s, h1, &a), 0, "by token hash");
	ok(a.id == officer_id && a.role == ROLE_OFFICER && strcmp(a.name, "officer.hefei.3") == 0 &&
	       a.created == NOW && !a.disabled,
	   "id, role, name, created, active");
	is_int(store_account_by_id(s, verifier_id, &a), 0, "by id");
	ok(a.role == ROLE_VERIFIER && strcmp(a.name, "checkpoint-17") == 0 && a.created == NOW + 1,
	   "the verifier");
	is_int(store_account_by_name(s, "auditor-1", &a), 0, "by name");
	is_int(a.role, ROLE_AUDITOR, "the auditor");
	token_hash(h3, 99);
	is_int(store_account_by_token(s, h3, &a), AK_ENOENT, "an unknown token hash: AK_ENOENT");
	is_int(store_account_by_id(s, 999, &a), AK_ENOENT, "an unknown id: AK_ENOENT");
	is_int(store_account_by_name(s, "nobody", &a), AK_ENOENT, "an unknown name: AK_ENOENT");
	is_int(store_account_by_name(s, long_name, &a), AK_ENOENT, "an over-long name: AK_ENOENT");

	is_int(store_account_list(s, collect_account, &c), 0, "list");
	ok(c.n == 4 && c.ids[0] < c.ids[1] && c.ids[1] < c.ids[2] && c.ids[2] < c.ids[3],
	   "4 accounts, in id order");
	memset(&c, 0, sizeof c);
	c.stop_at = 2;
	is_int(store_account_list(s, collect_account, &c), 42,
	       "a callback's non-zero return stops the list and is returned");
	is_int(c.n, 2, "after 2 accounts");

	is_int(store_account_disable(s, verifier_id, NOW + 5), 0, "disable the verifier");
	is_int(store_account_by_token(s, h2, &a), 0, "a disabled account is still found by token");
	ok(a.disabled, "and reads as disabled");
	is_int(store_account_disable(s, verifier_id, NOW + 6), AK_ENOENT,
	       "disabling it again: AK_ENOENT");
	is_int(store_account_disable(s, 999, NOW), AK_ENOENT, "disabling an unknown id: AK_ENOENT");
	is_int(raw_int("SELECT disabled FROM accounts WHERE id = ?1", verifier_id), NOW + 5,
	       "the first disable's time is kept");
}

/* -------------------------------------------------------- status history */

static int collect_change(void *ctx, const struct store_status_change *ch)
{
	struct collect *c = ctx;

	if (c->n < 16)
		c->ch[c->n] = *ch;
	c->n++;
	return c->stop_at && c->n == c->stop_at ? 7 : 0;
}

static void history(void)
{
	struct store_status_change ch = {NOW + 1, CRED_YELLOW, "close_contact", 0};
	struct collect c = {0};

	ch.officer_id = officer_id;
	is_int(store_status_history_add(s, rid1, &ch), 0, "history: close_contact by an officer");
	ch = (struct store_status_change){NOW + 3, CRED_GREEN, "negative_test", LEAF_NO_ID};
	is_int(store_status_history_add(s, rid1, &ch), 0, "history: negative_test, no officer");
	ch = (struct store_status_change){NOW + 2, CRED_RED, "confirmed_case", 0};
	ch.officer_id = officer_id;
	is_int(store_status_history_add(s, rid1, &ch), 0, "history: confirmed_case (out of order)");
	ch = (struct store_status_change){NOW + 2, CRED_RED, "suspected_case", LEAF_NO_ID};
	is_int(store_status_history_add(s, rid2, &ch), 0, "another resident's history");

	is_int(store_status_history(s, rid1, 0, collect_change, &c), 0, "list all (limit 0)");
	is_int(c.n, 3, "3 changes, the other resident's not among them");
	ok(c.ch[0].time == NOW + 3 && c.ch[1].time == NOW + 2 && c.ch[2].time == NOW + 1,
	   "newest first");
	ok(strcmp(c.ch[0].reason, "negative_test") == 0 && c.ch[0].status == CRED_GREEN &&
	       c.ch[0].officer_id == LEAF_NO_ID,
	   "reason, status and no officer");
	ok(strcmp(c.ch[2].reason, "close_contact") == 0 && c.ch[2].officer_id == officer_id &&
	       c.ch[2].status == CRED_YELLOW,
	   "reason, status and officer id");
	ok(c.ch[1].reason == leaf_detail_word(DET_CONFIRMED_CASE),
	   "the reason handed back is leaf.h's static word");
	memset(&c, 0, sizeof c);
	is_int(store_status_history(s, rid1, 2, collect_change, &c), 0, "limit 2");
	ok(c.n == 2 && c.ch[0].time == NOW + 3, "the 2 newest");
	memset(&c, 0, sizeof c);
	c.stop_at = 1;
	is_int(store_status_history(s, rid1, 0, collect_change, &c), 7,
	       "a callback's non-zero return stops and is returned");
	memset(&c, 0, sizeof c);
	is_int(store_status_history(s, 999999, 0, collect_change, &c), 0, "an unknown resident");
	is_int(c.n, 0, "has no history");

	ch = (struct store_status_change){NOW, CRED_RED, "green", LEAF_NO_ID};
	is_int(store_status_history_add(s, rid1, &ch), AK_EINVAL, "reason green: AK_EINVAL");
	ch.reason = "paper_code";
	is_int(store_status_history_add(s, rid1, &ch), AK_EINVAL, "a purpose as reason: AK_EINVAL");
	ch.reason = "Test Resident One";
	is_int(store_status_history_add(s, rid1, &ch), AK_EINVAL, "free text as reason: AK_EINVAL");
	ch.reason = NULL;
	is_int(store_status_history_add(s, rid1, &ch), AK_EINVAL, "no reason: AK_EINVAL");
	ch.reason = "recovered";
	ch.status = 5;
	is_int(store_status_history_add(s, rid1, &ch), AK_EINVAL, "status 5: AK_EINVAL");
	ch.status = CRED_GREEN;
	is_int(store_status_history_add(s, 999999, &ch), AK_ENOENT, "unknown resident: AK_ENOENT");
	ch.officer_id = 999;
	is_int(store_status_history_add(s, rid1, &ch), AK_ENOENT,
	       "an officer id with no account: AK_ENOENT");
}

/* ------------------------------------------------------------- sessions */

static int count_session(void *ctx, const struct store_session *ss)
{
	(void)ss;
	(*(int *)ctx)++;
	return 0;
}

static void sessions(void)
{
	uint8_t t1[32], t2[32], t3[32];
	struct store_session who;
	uint64_t n = 99;

	token_hash(t1, 11);
	token_hash(t2, 12);
	token_hash(t3, 13);
	is_int(store_session_add(s, t1, rid1, NOW, NOW + 100), 0, "add a session");
	is_int(store_session_add(s, t2, rid1, NOW, NOW + 50), 0, "and a shorter one");
	is_int(store_session_add(s, t1, rid2, NOW, NOW + 100), AK_ECONFLICT,
	       "the same token hash again: AK_ECONFLICT");
	is_int(store_session_add(s, t3, rid1, NOW, NOW), AK_EINVAL, "expires = now: AK_EINVAL");
	is_int(store_session_add(s, t3, 999999, NOW, NOW + 5), AK_ENOENT,
	       "for an unknown resident: AK_ENOENT");
	is_int(store_session_get(s, t1, NOW + 99, &who), 0, "live at now + 99");
	is_int(who.resident_id, rid1, "and belongs to the resident");
	ok(who.created == NOW && who.used == NOW && who.expires == NOW + 100,
	   "created, last used and expires as stored");
	is_int(store_session_get(s, t1, NOW + 100, &who), AK_ENOENT,
	       "at its expiry time it is gone (expires > now)");
	is_int(store_session_get(s, t3, NOW, &who), AK_ENOENT, "an unknown token: AK_ENOENT");
	{
		/* With the resident's row, in one statement: the same session,
		 * and the row as store_resident_by_id reads it. */
		struct store_session both;
		struct store_resident row, alone;
		is_int(store_session_get_resident(s, t1, NOW + 99, &both, &row), 0,
		       "with the resident's row: live at now + 99");
		ok(both.resident_id == rid1 && both.created == NOW && both.used == NOW &&
		       both.expires == NOW + 100 && memcmp(both.token_hash, t1, 32) == 0,
		   "the same session");
		/* Byte for byte: read_resident zeroes the struct, padding
		 * included, before it fills it in. */
		ok(store_resident_by_id(s, rid1, &alone) == 0 && row.id == rid1 &&
		       /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		       memcmp(&row, &alone, sizeof row) == 0,
		   "and the row store_resident_by_id reads, byte for byte");
		is_int(store_session_get_resident(s, t1, NOW + 100, &both, &row), AK_ENOENT,
		       "with the row: gone at its expiry time");
		is_int(row.id, 0, "and the row is wiped");
		is_int(store_session_get_resident(s, t3, NOW, &both, &row), AK_ENOENT,
		       "with the row: an unknown token");
		sodium_memzero(&alone, sizeof alone);
	}
	is_int(store_session_purge(s, NOW + 50, &n), 0, "purge at now + 50");
	is_int(n, 1, "removes the expired one only");
	is_int(store_session_get(s, t1, NOW + 60, &who), 0, "the longer one is kept");
	is_int(store_session_purge(s, NOW + 50, NULL), 0, "purge with NULL count");
	is_int(store_session_add(s, t2, rid2, NOW, NOW + 1000), 0,
	       "a purged token hash may be used again");

	/* Last use: to the minute, never backwards. */
	is_int(store_session_touch(s, t1, NOW + 30 + STORE_SESSION_TOUCH_S), 0, "touch a session");
	store_session_get(s, t1, NOW + 61, &who);
	is_int(who.used,
	       (NOW + 30 + STORE_SESSION_TOUCH_S) -
		   (NOW + 30 + STORE_SESSION_TOUCH_S) % STORE_SESSION_TOUCH_S,
	       "its last use, rounded down to the minute");
	is_int(store_session_touch(s, t1, NOW), 0, "a touch from the past");
	store_session_get(s, t1, NOW + 61, &who);
	ok(who.used > NOW, "does not move it back");

	/* Listing, and log-outs. */
	{
		uint8_t t4[32];
		uint64_t ended = 0;
		struct collect_sessions {
			int n;
		} cs = {0};
		token_hash(t4, 14);
		is_int(store_session_add(s, t4, rid1, NOW + 1, NOW + 100), 0, "a second session");
		is_int(store_sessions_list(s, rid1, NOW + 2, count_session, &cs.n), 0,
		       "list a resident's sessions");
		is_int(cs.n, 2, "both live ones");
		is_int(store_session_delete(s, t4), 0, "end one");
		is_int(store_session_get(s, t4, NOW + 2, &who), AK_ENOENT, "it is gone");
		is_int(store_session_delete(s, t4), AK_ENOENT, "ending it again: AK_ENOENT");
		is_int(store_session_add(s, t4, rid1, NOW + 1, NOW + 100), 0, "a new one");
		is_int(store_sessions_delete_all(s, rid1, &ended), 0, "end all of a resident's");
		is_int(ended, 2, "both");
		cs.n = 0;
		store_sessions_list(s, rid1, NOW + 2, count_session, &cs.n);
		is_int(cs.n, 0, "none left");
		is_int(store_session_get(s, t2, NOW + 2, &who), 0,
		       "another resident's session is untouched");
	}
}

/* ---------------------------------------------------- codes, revocations */

struct ctis {
	int n;
	uint8_t v[64][CRED_CTI_BYTES];
};

static int collect_cti(void *ctx, const uint8_t cti[CRED_CTI_BYTES])
{
	struct ctis *c = ctx;

	if (c->n < 64)
		memcpy(c->v[c->n], cti, CRED_CTI_BYTES);
	c->n++;
	return 0;
}

static int sorted(const struct ctis *c)
{
	for (int i = 1; i < c->n && i < 64; i++)
		if (memcmp(c->v[i - 1], c->v[i], CRED_CTI_BYTES) >= 0)
			return 0;
	return 1;
}

static int listed(const struct ctis *c, const uint8_t cti[CRED_CTI_BYTES])
{
	for (int i = 0; i < c->n && i < 64; i++)
		if (memcmp(c->v[i], cti, CRED_CTI_BYTES) == 0)
			return 1;
	return 0;
}

static void codes(void)
{
	struct store_code live, old, skew, other, back, bad;
	struct ctis list = {0};
	uint64_t n = 99;

	/* rid2: a live code, an expired one, one just inside the skew. */
	live = (struct store_code){
	    .resident_id = rid2, .iat = NOW, .exp = NOW + 300, .status = CRED_RED};
	random_cti(live.cti);
	old = (struct store_code){
	    .resident_id = rid2, .iat = NOW - 100, .exp = NOW + 30, .status = CRED_GREEN};
	random_cti(old.cti);
	skew = (struct store_code){.resident_id = rid2,
				   .iat = NOW,
				   .exp = NOW + 150,
				   .status = CRED_RED,
				   .paper = 1,
				   .issued_index = 1234};
	random_cti(skew.cti);
	memset(skew.sig_hash, 0xab, sizeof skew.sig_hash);
	other = (struct store_code){
	    .resident_id = rid1, .iat = NOW, .exp = NOW + 300, .status = CRED_RED};
	random_cti(other.cti);
	is_int(store_code_add(s, &live), 0, "add a code");
	is_int(store_code_add(s, &old), 0, "add a short-lived code");
	is_int(store_code_add(s, &skew), 0, "add a paper code");
	is_int(store_code_add(s, &other), 0, "add another resident's code");
	is_int(store_code_add(s, &live), AK_ECONFLICT, "the same cti again: AK_ECONFLICT");

	is_int(store_code_get(s, skew.cti, &back), 0, "get a code");
	ok(memcmp(back.cti, skew.cti, CRED_CTI_BYTES) == 0 && back.resident_id == rid2 &&
	       back.iat == NOW && back.exp == NOW + 150 && back.status == CRED_RED &&
	       back.paper == 1 && back.issued_index == 1234 &&
	       memcmp(back.sig_hash, skew.sig_hash, sizeof back.sig_hash) == 0,
	   "every field back, the signature's hash and the issue leaf's index included");
	{
		uint8_t none[CRED_CTI_BYTES] = {0};
		is_int(store_code_get(s, none, &back), AK_ENOENT, "an unknown cti: AK_ENOENT");
	}
	bad = live;
	random_cti(bad.cti);
	bad.exp = bad.iat;
	is_int(store_code_add(s, &bad), AK_EINVAL, "exp = iat: AK_EINVAL");
	bad.exp = bad.iat + 1;
	bad.status = 3;
	is_int(store_code_add(s, &bad), AK_EINVAL, "status 3: AK_EINVAL");
	bad.status = CRED_GREEN;
	bad.paper = 2;
	is_int(store_code_add(s, &bad), AK_EINVAL, "paper 2: AK_EINVAL");
	bad.paper = 0;
	bad.resident_id = 999999;
	is_int(store_code_add(s, &bad), AK_ENOENT, "for an unknown resident: AK_ENOENT");

	/* Revoke at NOW + 200: live (exp +300) and skew (exp +150, within
	 * the verifiers' 60 s of skew) go on the list; old (exp +30) has
	 * expired for every verifier and does not. */
	is_int(store_codes_revoke(s, rid2, NOW + 200, &n), 0, "revoke the resident's codes");
	is_int(n, 2, "2 revoked");
	is_int(store_revoked(s, live.cti), 1, "the live code is revoked");
	is_int(store_revoked(s, skew.cti), 1,
	       "a code expired 50 s ago is revoked too (a verifier with skew still takes it)");
	is_int(store_revoked(s, old.cti), 0, "a code long expired is not listed");
	{
		/* A verifier's token and a code in one statement: each as
		 * store_account_by_token and store_code_lookup read it. */
		uint8_t th[32], nobody[32], none[CRED_CTI_BYTES] = {0};
		struct store_account acc, alone;
		uint64_t aid = 0;
		int code_rc = 1, rev = -1;
		token_hash(th, 41);
		token_hash(nobody, 42);
		is_int(store_account_add(s, ROLE_VERIFIER, "checkpoint-ahead", th, NOW, &aid), 0,
		       "a verifier's account");
		is_int(store_account_with_code(s, th, live.cti, &acc, &back, &code_rc, &rev), 0,
		       "the account and a revoked code at once");
		ok(store_account_by_token(s, th, &alone) == 0 && acc.id == aid &&
		       acc.role == ROLE_VERIFIER && strcmp(acc.name, alone.name) == 0 &&
		       acc.created == alone.created && acc.disabled == 0,
		   "the account as store_account_by_token reads it");
		ok(code_rc == 0 && rev == 1 && memcmp(back.cti, live.cti, CRED_CTI_BYTES) == 0 &&
		       back.resident_id == rid2 && back.exp == live.exp && back.status == CRED_RED,
		   "the code's row, and its revocation");
		is_int(store_account_with_code(s, th, other.cti, &acc, &back, &code_rc, &rev), 0,
		       "with a code not revoked");
		ok(code_rc == 0 && rev == 0 && back.resident_id == rid1, "its row, not revoked");
		is_int(store_account_with_code(s, th, none, &acc, &back, &code_rc, &rev), 0,
		       "with an unknown code");
		ok(code_rc == AK_ENOENT && rev == 0, "the code: AK_ENOENT");
		is_int(store_account_with_code(s, nobody, live.cti, &acc, &back, &code_rc, &rev),
		       AK_ENOENT, "an unknown token: AK_ENOENT");
		ok(code_rc == 0 && rev == 1, "the code is read all the same");
	}
	is_int(store_revoked(s, other.cti), 0, "another resident's code is untouched");
	is_int(store_codes_revoke(s, rid2, NOW + 200, &n), 0, "revoke again");
	is_int(n, 0, "nothing new: codes already revoked are ignored");
	is_int(store_codes_revoke(s, 999999, NOW, NULL), 0, "revoke for an unknown resident: 0");

	/* A sorted listing: many ctis. */
	for (int i = 0; i < 20; i++) {
		struct store_code c = {
		    .resident_id = rid1, .iat = NOW, .exp = NOW + 1000 + i, .status = CRED_GREEN};
		random_cti(c.cti);
		if (store_code_add(s, &c) != 0)
			bail_out("store_code_add");
	}
	is_int(store_codes_revoke(s, rid1, NOW, &n), 0, "revoke 21 codes of the first resident");
	is_int(n, 21, "21 revoked");
	is_int(store_revocations(s, 0, collect_cti, &list), 0, "list revocations");
	is_int(list.n, 23, "23 listed");
	ok(sorted(&list), "in ascending byte order, no duplicates");
	ok(listed(&list, live.cti) && listed(&list, skew.cti) && !listed(&list, old.cti),
	   "the revoked ones, not the expired one");
	memset(&list, 0, sizeof list);
	is_int(store_revocations(s, NOW + 1010, collect_cti, &list), 0, "list since now + 1010");
	is_int(list.n, 10, "only revocations with exp >= since");
	ok(sorted(&list), "sorted");

	/* Purge what expired before NOW + 301. */
	is_int(store_codes_purge(s, NOW + 301, NOW + 301, &n), 0, "purge before now + 301");
	is_int(n, 4 + 3, "4 codes and the 3 revocations that expired with them");
	is_int(store_code_get(s, live.cti, &back), AK_ENOENT, "an expired code is gone");
	is_int(store_revoked(s, live.cti), 0, "and so is its revocation");
	memset(&list, 0, sizeof list);
	store_revocations(s, 0, collect_cti, &list);
	is_int(list.n, 20, "the 20 unexpired revocations remain");
	is_int(store_codes_purge(s, NOW + 301, NOW + 301, NULL), 0, "purge again, NULL count");
}

/* --------------------------------------------------------------- epochs */

struct under {
	size_t n;
	uint64_t id[8], epoch[8];
	uint8_t wrapped[8][SEAL_WRAPPED_BYTES];
};

static int collect_under(void *ctx, uint64_t id, uint64_t epoch,
			 const uint8_t wrapped[SEAL_WRAPPED_BYTES])
{
	struct under *u = ctx;

	if (u->n == 8)
		return AK_ETOOBIG;
	u->id[u->n] = id;
	u->epoch[u->n] = epoch;
	memcpy(u->wrapped[u->n], wrapped, SEAL_WRAPPED_BYTES);
	u->n++;
	return 0;
}

/* The statements a rotation runs (service/rewrap.c, record_rewrap). */
static void epochs(void)
{
	struct store_resident r, back;
	struct under u;
	uint64_t e = 0, a, b, c, first = 0;
	seal_epochkey ek2;
	seal_datakey dk;
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
	int n;

	is_int(store_key_epoch_next(s, 0, &first), 0, "the oldest epoch in use:");
	is_int(first, 1, "1 (every fixture's)");
	is_int(store_key_epoch_next(s, 1, &e), AK_ENOENT, "and none after it");

	a = enrol("110105196001010011", "Test Epoch A", NULL, &r);
	b = enrol("110105196001010038", "Test Epoch B", NULL, &r);
	c = enrol("110105196001010054", "Test Epoch C", NULL, &r);
	memset(&u, 0, sizeof u);
	is_int(store_residents_under_epoch(s, 2, 2, collect_under, &u), 0,
	       "keys under an epoch below 2, at most 2:");
	ok(u.n == 2 && u.epoch[0] == 1 && u.id[0] < u.id[1], "two, oldest epoch then id first");

	/* Move b to epoch 2, as record_rewrap does. */
	seal_epochkey_new(2, &ek2);
	if (store_resident_by_id(s, b, &back) != 0 ||
	    seal_datakey_unwrap(&ek1, b, back.wrapped, &dk) != 0 ||
	    seal_datakey_wrap(&ek2, b, &dk, wrapped) != 0)
		bail_out("rewrap b");
	seal_datakey_wipe(&dk);
	is_int(store_resident_rewrap(s, b, 1, 2, wrapped), 0, "b's key re-wrapped under epoch 2");
	is_int(store_resident_rewrap(s, b, 1, 2, wrapped), AK_ENOENT,
	       "again from epoch 1: AK_ENOENT (it is no longer under 1)");
	is_int(store_resident_rewrap(s, b, 2, 0, wrapped), AK_EINVAL, "to epoch 0: AK_EINVAL");
	is_int(store_resident_by_id(s, b, &back), 0, "b reads back");
	ok(back.key_epoch == 2 && memcmp(back.wrapped, wrapped, sizeof wrapped) == 0,
	   "with its new key and epoch");
	is_int(store_key_epoch_next(s, 0, &e), 0, "the oldest epoch in use");
	is_int(e, 1, "is still 1");
	is_int(store_key_epoch_next(s, 1, &e), 0, "the next one");
	is_int(e, 2, "is 2");

	memset(&u, 0, sizeof u);
	is_int(store_residents_under_epoch(s, 2, 8, collect_under, &u), 0, "under 2 again:");
	n = 0;
	for (size_t i = 0; i < u.n; i++)
		n += u.id[i] == b;
	ok(n == 0 && u.n >= 2, "b is not among them, a and c are");
	memset(&u, 0, sizeof u);
	is_int(store_residents_under_epoch(s, 1, 8, collect_under, &u), 0, "under 1:");
	is_int(u.n, 0, "none");
	is_int(store_residents_under_epoch(s, 2, 0, collect_under, &u), 0, "a limit of 0: none");

	is_int(store_resident_erase(s, a, NOW + 50), 0, "erase a");
	is_int(raw_int("SELECT key_epoch IS NULL FROM residents WHERE id = ?1", a), 1,
	       "an erased row keeps no epoch");
	is_int(store_resident_rewrap(s, a, 1, 2, wrapped), AK_ENOENT,
	       "an erased resident's key cannot be put back by a rotation");
	ok(sqlite3_exec(store_sqlite(s),
			"UPDATE residents SET key_epoch = NULL WHERE key_epoch = 2", NULL, NULL,
			NULL) != SQLITE_OK,
	   "the schema refuses a key without its epoch");
	ok(sqlite3_exec(store_sqlite(s), "UPDATE residents SET key_epoch = 0 WHERE key_epoch = 2",
			NULL, NULL, NULL) != SQLITE_OK,
	   "and an epoch 0");
	(void)c;
	seal_epochkey_wipe(&ek2);
}

/* ---------------------------------------------------------------- erase */

static void erase(void)
{
	struct store_resident r, back;
	struct collect c = {0};
	struct store_code code = {.iat = NOW, .exp = NOW + 300, .status = CRED_GREEN};
	struct store_status_change ch = {NOW + 1, CRED_YELLOW, "close_contact", LEAF_NO_ID};
	uint8_t tok[32], blind[SEAL_BLIND_BYTES];
	uint64_t id, again;
	struct store_session sess;
	uint8_t other_handle[STORE_HANDLE_BYTES];
	const char *idno = "440524188001010014";

	randombytes_buf(other_handle, sizeof other_handle);
	id = enrol(idno, "Test Resident Three", PHONE1, &r);
	token_hash(tok, 77);
	code.resident_id = id;
	random_cti(code.cti);
	if (store_session_add(s, tok, id, NOW, NOW + 1000) != 0 ||
	    store_status_history_add(s, id, &ch) != 0 || store_code_add(s, &code) != 0)
		bail_out("erase fixtures");

	/* Inside a transaction that is rolled back, an erasure leaves nothing. */
	store_begin(s);
	is_int(store_resident_erase(s, id, NOW + 10), 0, "erase inside a transaction");
	store_rollback(s);
	is_int(store_resident_by_id(s, id, &back), 0, "rolled back:");
	ok(!back.erased && back.has_key &&
	       opens_to(&back, "name", &back.name, "Test Resident Three"),
	   "the resident is whole again (the erasure nests in the caller's transaction)");
	is_int(store_revoked(s, code.cti), 0, "and the code is not revoked");

	is_int(store_resident_erase(s, id, NOW + 10), 0, "erase");
	is_int(store_resident_by_id(s, id, &back), 0, "the row stays, as a tombstone");
	ok(back.erased && !back.has_key && back.name.len == 0 && back.id_number.len == 0 &&
	       back.phone.len == 0 && back.passphrase[0] == '\0',
	   "erased: no key, no fields, no passphrase");
	is_int(raw_int("SELECT blind IS NULL AND wrapped_key IS NULL AND name_sealed IS NULL"
		       " AND id_sealed IS NULL AND phone_sealed IS NULL AND passphrase IS NULL"
		       " AND erased IS NOT NULL FROM residents WHERE id = ?1",
		       id),
	       1, "the raw row holds NULLs");
	is_int(raw_int("SELECT erased FROM residents WHERE id = ?1", id), NOW + 10,
	       "and the erasure time");
	ok(sqlite3_exec(store_sqlite(s),
			"UPDATE residents SET name_sealed = zeroblob(60)"
			" WHERE erased IS NOT NULL",
			NULL, NULL, NULL) != SQLITE_OK,
	   "the schema refuses to put a field back into a tombstone");
	seal_blind_index(kek, blind, idno, strlen(idno));
	is_int(store_resident_by_blind(s, blind, &back), AK_ENOENT, "the blind index is gone");
	is_int(store_session_get(s, tok, NOW + 11, &sess), AK_ENOENT, "the session is gone");
	is_int(store_status_history(s, id, 0, collect_change, &c), 0, "history:");
	is_int(c.n, 0, "gone");
	is_int(store_revoked(s, code.cti), 1, "the outstanding code is revoked");

	is_int(store_resident_set_status(s, id, CRED_RED, NOW + 20, 44), AK_ENOENT,
	       "an erased id refuses a status change");
	is_int(store_status_history_add(s, id, &ch), AK_ENOENT, "and new history");
	is_int(store_session_add(s, tok, id, NOW + 20, NOW + 100), AK_ENOENT, "and a new session");
	random_cti(code.cti);
	is_int(store_code_add(s, &code), AK_ENOENT, "and a new code");
	r.id = id;
	is_int(store_resident_seal(s, &r), AK_ENOENT, "and new sealed fields");
	is_int(store_resident_erase(s, id, NOW + 30), AK_ENOENT, "erasing again: AK_ENOENT");
	is_int(store_resident_erase(s, 999999, NOW), AK_ENOENT, "erasing an unknown id: AK_ENOENT");
	is_int(store_resident_insert(s, blind, other_handle, NOW + 40, 45, &again), 0,
	       "the same ID number may enrol again, as a new resident");
	ok(again != id, "with a new id");
}

/* -------------------------------------------------------------- appeals */

struct appeals_seen {
	size_t n;
	uint64_t ids[8];
	int erased[8];
};

static int collect_appeal(void *ctx, const struct store_appeal *a)
{
	struct appeals_seen *c = ctx;

	if (c->n < 8) {
		c->erased[c->n] = a->resident_erased;
		c->ids[c->n++] = a->id;
	}
	return 0;
}

static void new_appeal(struct store_appeal *a, uint64_t resident, uint64_t opened)
{
	memset(a, 0, sizeof *a);
	randombytes_buf(a->handle, sizeof a->handle);
	a->resident_id = resident;
	a->reason = DET_NOT_IN_RISK_AREA;
	a->has_text = 1;
	randombytes_buf(a->text, sizeof a->text);
	a->opened = opened;
	a->due = opened + 60;
}

/*
 * Appeals: one open at a time per resident (the schema's partial unique
 * index), the status appealed and its officer read in the same statement,
 * an answer once and only with a reason of its decision, lists in their
 * orders, overdue by due time, and an erasure that nulls the text and
 * takes the appeal out of the lists.
 */
static void appeals(void)
{
	struct store_resident r;
	struct store_appeal a, b, back;
	struct appeals_seen c;
	struct store_status_change ch = {NOW + 2, CRED_RED, "close_contact", 0};
	uint64_t x = 0, y = 0, z = 0, id, id2;

	ch.officer_id = officer_id;
	id = enrol("110105196001010031", "Test Appellant", NULL, &r);
	id2 = enrol("110105196001010058", "Test Appellant Two", NULL, &r);
	if (store_resident_set_status(s, id, CRED_RED, NOW + 2, 50) != 0 ||
	    store_status_history_add(s, id, &ch) != 0 ||
	    store_account_set_team(s, officer_id, "district-3") != 0)
		bail_out("appeal fixtures");

	new_appeal(&a, id, NOW + 10);
	is_int(store_appeal_add(s, &a, &x), 0, "an appeal opens");
	is_int(store_appeal_by_handle(s, a.handle, &back), 0, "and reads back by its handle");
	ok(back.id == x && back.resident_id == id && back.reason == DET_NOT_IN_RISK_AREA &&
	       back.has_text && memcmp(back.text, a.text, sizeof a.text) == 0 &&
	       back.decision == STORE_APPEAL_OPEN && back.officer_id == LEAF_NO_ID,
	   "with its resident, reason and sealed text, open");
	ok(back.status == CRED_RED && back.status_officer == officer_id &&
	       strcmp(back.team, "district-3") == 0,
	   "the status appealed, the officer who set it and their team");
	is_int(store_appeal_open_of(s, id), 1, "the resident has an open appeal");
	is_int(store_appeal_open_of(s, id2), 0, "the other has none");
	new_appeal(&b, id, NOW + 11);
	is_int(store_appeal_add(s, &b, &y), AK_ECONFLICT, "a second open appeal: AK_ECONFLICT");
	b.reason = DET_CLOSE_CONTACT;
	b.resident_id = id2;
	is_int(store_appeal_add(s, &b, &y), AK_EINVAL,
	       "a reason not on the appeal list: refused by the schema");
	b.reason = DET_OTHER;
	is_int(store_appeal_add(s, &b, &y), 0, "another resident's appeal opens");
	b.resident_id = 999999;
	randombytes_buf(b.handle, sizeof b.handle);
	is_int(store_appeal_add(s, &b, &z), AK_ENOENT, "an unknown resident: AK_ENOENT");

	memset(&c, 0, sizeof c);
	is_int(store_appeals_list(s, STORE_APPEALS_OPEN, 0, collect_appeal, &c), 0, "open list:");
	ok(c.n == 2 && c.ids[0] == x && c.ids[1] == y, "oldest first");
	memset(&c, 0, sizeof c);
	is_int(store_appeals_overdue(s, NOW + 71, collect_appeal, &c), 0, "overdue at due + 1:");
	ok(c.n == 1 && c.ids[0] == x, "only the first (the second is due a second later)");

	is_int(store_appeal_answer(s, x, NOW + 20, STORE_APPEAL_UPHELD, DET_STATUS_CONFIRMED,
				   officer_id),
	       AK_EINVAL, "upheld with a rejection's reason: refused by the schema");
	is_int(
	    store_appeal_answer(s, x, NOW + 20, STORE_APPEAL_UPHELD, DET_RECORD_ERROR, officer_id),
	    0, "upheld, record_error");
	is_int(store_appeal_answer(s, x, NOW + 21, STORE_APPEAL_REJECTED, DET_STATUS_CONFIRMED,
				   officer_id),
	       AK_ENOENT, "a second answer: AK_ENOENT");
	is_int(store_appeal_by_handle(s, a.handle, &back), 0, "reads back:");
	ok(back.decision == STORE_APPEAL_UPHELD && back.answer_reason == DET_RECORD_ERROR &&
	       back.answered == NOW + 20 && back.officer_id == officer_id,
	   "answered, upheld, its reason, time and officer");
	is_int(store_appeal_open_of(s, id), 0, "no open appeal left");
	new_appeal(&b, id, NOW + 30);
	is_int(store_appeal_add(s, &b, &z), 0, "so a new one may open");

	memset(&c, 0, sizeof c);
	is_int(store_appeals_of(s, id, collect_appeal, &c), 0, "the resident's own:");
	ok(c.n == 2 && c.ids[0] == z && c.ids[1] == x, "newest first");
	memset(&c, 0, sizeof c);
	is_int(store_appeals_list(s, STORE_APPEALS_ANSWERED, 0, collect_appeal, &c), 0,
	       "answered list:");
	ok(c.n == 1 && c.ids[0] == x, "the answered one");
	is_int(store_appeals_list(s, (enum store_appeal_state)0, 0, collect_appeal, &c), AK_EINVAL,
	       "no such list: AK_EINVAL");

	is_int(store_resident_erase(s, id, NOW + 40), 0, "erase the appellant");
	is_int(
	    raw_int("SELECT count(*) FROM appeals WHERE resident_id = ?1 AND text_sealed IS NULL",
		    id),
	    2, "both appeals' texts are gone");
	memset(&c, 0, sizeof c);
	is_int(store_appeals_list(s, STORE_APPEALS_ALL, 0, collect_appeal, &c), 0, "all:");
	ok(c.n == 1 && c.ids[0] == y, "an erased resident's appeals are not listed");
	is_int(store_appeal_by_handle(s, b.handle, &back), 0, "read by handle:");
	ok(back.resident_erased && !back.has_text, "the tombstone's appeal, without its text");
	ok(sqlite3_exec(store_sqlite(s), "UPDATE appeals SET text_sealed = zeroblob(100)", NULL,
			NULL, NULL) != SQLITE_OK,
	   "the schema refuses a sealed text of another length");
	ok(sqlite3_exec(store_sqlite(s), "UPDATE accounts SET team = 'Team Nine'", NULL, NULL,
			NULL) != SQLITE_OK,
	   "and a team that is not a label");
	is_int(store_account_set_team(s, officer_id, NULL), 0, "a team is cleared");
}

/* ---------------------------------------------------------------- scans */

static void scans(void)
{
	struct store_scan sc = {.verifier_id = 0, .has_cti = 1, .time = NOW, .result = CRED_VALID};
	char word[32] = "";
	sqlite3_stmt *st = NULL;

	randombytes_buf(sc.scan_id, sizeof sc.scan_id);
	random_cti(sc.cti);
	sc.verifier_id = verifier_id;
	is_int(store_scan_add(s, &sc, NOW + 60), 0, "add a scan");
	is_int(store_scan_add(s, &sc, NOW + 61), AK_ECONFLICT,
	       "the same scan id again: AK_ECONFLICT (uploads are idempotent)");
	sc.result = CRED_REVOKED;
	is_int(store_scan_add(s, &sc, NOW + 62), AK_ECONFLICT, "even with other fields");
	randombytes_buf(sc.scan_id, sizeof sc.scan_id);
	sc.has_cti = 0;
	sc.result = CRED_MALFORMED;
	is_int(store_scan_add(s, &sc, NOW + 60), 0, "a scan of a malformed code (no cti)");
	randombytes_buf(sc.scan_id, sizeof sc.scan_id);
	sc.result = CRED_RESULT_COUNT;
	is_int(store_scan_add(s, &sc, NOW), AK_EINVAL, "a result out of range: AK_EINVAL");
	sc.result = -1;
	is_int(store_scan_add(s, &sc, NOW), AK_EINVAL, "a negative result: AK_EINVAL");
	sc.result = CRED_VALID;
	sc.verifier_id = 999;
	is_int(store_scan_add(s, &sc, NOW), AK_ENOENT, "an unknown verifier: AK_ENOENT");
	if (sqlite3_prepare_v2(store_sqlite(s),
			       "SELECT group_concat(result, ',') FROM"
			       " (SELECT result FROM scans ORDER BY uploaded, result)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(word, sizeof word, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	is_str(word, "malformed,valid", "results are stored as FORMAT.md's words");
	is_int(raw_int("SELECT count(*) FROM scans WHERE cti IS NULL AND ?1", 1), 1,
	       "no cti is stored as NULL");
}

/* -------------------------------------------------------- limits, reopen */

static void kek_check(void)
{
	uint8_t v[32], back[32];

	is_int(store_kek_check_get(s, back), AK_ENOENT, "no KEK check value at first");
	memset(v, 0x5a, sizeof v);
	is_int(store_kek_check_put(s, v), 0, "store one");
	is_int(store_kek_check_get(s, back), 0, "read it");
	ok(memcmp(v, back, sizeof v) == 0, "the same bytes");
	v[0] ^= 1;
	is_int(store_kek_check_put(s, v), AK_ECONFLICT, "a second one: AK_ECONFLICT");
	is_int(store_kek_check_get(s, back), 0, "and the first stays");
	ok(back[0] == 0x5a, "unchanged");
}

static void limits(void)
{
	uint64_t id;
	uint8_t blind[SEAL_BLIND_BYTES] = {1};
	struct store_code c = {
	    .resident_id = rid1, .iat = (uint64_t)INT64_MAX + 1, .exp = UINT64_MAX, .status = 0};

	is_int(store_resident_insert(s, blind, blind, UINT64_MAX, 1, &id), AK_EINVAL,
	       "a time past SQLite's 63 bits: AK_EINVAL, not wrapped");
	is_int(store_code_add(s, &c), AK_EINVAL, "iat past 63 bits: AK_EINVAL");
	is_int(store_account_disable(s, (uint64_t)INT64_MAX + 1, NOW), AK_ENOENT,
	       "an id past 63 bits: AK_ENOENT");
	is_int(store_session_purge(s, UINT64_MAX, NULL), AK_EINVAL, "purge time past 63 bits");
}

static void reopen(void)
{
	struct store_resident back;
	struct store_account a;

	store_close(s);
	s = NULL;
	is_int(store_open(&s, db_path, 0), 0, "reopen the database");
	is_int(store_resident_by_id(s, rid1, &back), 0, "a fresh connection prepares anew:");
	ok(opens_to(&back, "name", &back.name, NAME1), "the first resident still opens");
	is_int(store_account_by_id(s, officer_id, &a), 0, "and the officer is there");
	store_close(s);
	s = NULL;
	is_int(store_open(&s, db_path, STORE_READONLY), 0, "reopen read-only");
	is_int(store_account_by_id(s, officer_id, &a), 0, "reads work read-only");
	is_int(store_account_disable(s, officer_id, NOW), AK_EDB, "writes fail read-only");
}

int main(void)
{
	char cmd[600];

	if (sodium_init() < 0)
		bail_out("sodium_init");
	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	snprintf(db_path, sizeof db_path, "%s/ankang.db", dir);
	snprintf(kek_path, sizeof kek_path, "%s/kek.key", dir);
	if (seal_kek_create(kek_path) != 0 || seal_kek_load(&kek, kek_path) != 0)
		bail_out("KEK");
	seal_epochkey_new(1, &ek1);
	if (store_open(&s, db_path, STORE_CREATE) != 0)
		bail_out("store_open");

	residents();
	accounts();
	history();
	sessions();
	codes();
	erase();
	appeals();
	epochs();
	scans();
	kek_check();
	limits();
	reopen();

	store_close(s);
	seal_kek_free(kek);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
