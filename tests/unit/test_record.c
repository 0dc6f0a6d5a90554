/*
 * test_record: service/record.c on a real data folder (ankangd init's
 * keys and database) without the HTTP layer: a resident created through
 * record_create opens back to the same fields; the fields never reach the
 * database file in the clear; nothing opens without the audit leaf that
 * records it, and opening names the resident in that leaf; a code from
 * record_issue verifies under the folder's trust list with the claims
 * asked for, and its store row matches it, its signature's keyed hash
 * included. Every tamper has its twin that must fail: a sealed field or a
 * wrapped key moved to another resident, a different KEK (refused by the
 * check value too), an erased resident, an unknown id; a failed open
 * leaves the view wiped.
 *
 * The made-up personal data is compared, never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/seal.h"
#include "service/datadir.h"
#include "service/record.h"
#include "log/store_int.h"
#include "service/store_people.h"
#include "tests/lib/tap.h"

#define NOW 1750000000u

static char dir[] = "/tmp/ankang-test-resident.XXXXXX";
static char data[512], db_path[600];
static struct datadir *dd;
static seal_kek *kek;
static struct record_keys keys;
static struct record_issuer issuer;
static store *st;
static struct leaf audit; /* the leaf each open is recorded under */

static const char NAME1[] = "测试居民甲";
static const char IDNO1[] = "11010519800101106X";
static const char PHONE1[] = "+8613900000001";
static const char NAME2[] = "Test Resident Two";
static const char IDNO2[] = "340102199006150024";
static const char PASSHASH[] = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
			       "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void view_of(struct record_view *v, const char *name, const char *idno, const char *phone)
{
	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", name);
	snprintf(v->id_number, sizeof v->id_number, "%s", idno);
	snprintf(v->phone, sizeof v->phone, "%s", phone ? phone : "");
}

/* record_create inside a transaction, as the audit writer runs it. */
static int create(const struct record_view *v, uint64_t *id)
{
	uint8_t handle[STORE_HANDLE_BYTES];
	int rc;

	if (store_begin(st) != 0)
		bail_out("store_begin");
	rc = record_create(&keys, st, v, PASSHASH, NOW, 3, id, handle);
	if ((rc == 0 ? store_commit(st) : store_rollback(st)) != 0)
		bail_out("commit");
	return rc;
}

/* 1 when text occurs in the database file or its WAL. */
static int in_files(const char *text)
{
	const char *suffix[] = {"", "-wal"};
	int found = 0;

	for (size_t i = 0; i < 2; i++) {
		char path[700];
		char *buf = NULL;
		size_t len;
		snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
		if (util_read_file(path, 64u << 20, &buf, &len) != 0)
			continue;
		found |= memmem(buf, len, text, strlen(text)) != NULL;
		free(buf);
	}
	return found;
}

static void exec_sql(const char *sql)
{
	if (sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		bail_out("raw SQL");
}

static uint64_t id1, id2;

/* An officer's leaf, as authz_leaf would make one. */
static void authz_like_leaf(struct leaf *l, enum leaf_action action)
{
	leaf_init(l, ROLE_OFFICER, 1, action);
	l->result = RES_OK;
	l->detail = DET_EMPTY;
}

static void test_create_open(void)
{
	struct record_view in, v;
	uint8_t pseudo[SEAL_PSEUDONYM_BYTES];
	uint64_t dup = 0;

	view_of(&in, NAME1, IDNO1, PHONE1);
	is_int(create(&in, &id1), 0, "record_create: 0");
	view_of(&in, NAME2, IDNO2, NULL);
	is_int(create(&in, &id2), 0, "a second resident, without a phone");
	ok(id1 != 0 && id2 != 0 && id1 != id2, "two distinct ids");
	view_of(&in, "Someone Else", IDNO1, NULL);
	is_int(create(&in, &dup), AK_ECONFLICT, "the same ID number again: AK_ECONFLICT");
	is_int(dup, 0, "and no id given out");

	is_int(record_open(&keys, st, id1, &audit, &v), 0, "record_open: 0");
	ok(strcmp(v.name, NAME1) == 0, "the name opens back");
	ok(strcmp(v.id_number, IDNO1) == 0, "the ID number opens back");
	ok(strcmp(v.phone, PHONE1) == 0, "the phone opens back");
	is_int(v.id, id1, "the view's id");
	is_int(v.status, CRED_GREEN, "status green");
	seal_pseudonym(kek, pseudo, id1);
	ok(memcmp(v.pseudonym, pseudo, sizeof pseudo) == 0, "the view carries the pseudonym");
	ok(audit.has_subject && memcmp(audit.subject, pseudo, sizeof pseudo) == 0,
	   "and the audit leaf names the resident");
	record_wipe(&v);
	ok(all_zero(&v, sizeof v), "resident_wipe zeroes the view");

	memset(&audit, 0, sizeof audit);
	authz_like_leaf(&audit, ACT_ISSUE);
	memset(&v, 0x55, sizeof v);
	is_int(record_open_name(&keys, st, id1, &audit, &v), 0, "record_open_name: 0");
	ok(strcmp(v.name, NAME1) == 0 && v.status == CRED_GREEN && v.id == id1,
	   "the name, status and id open");
	ok(all_zero(v.id_number, sizeof v.id_number) && all_zero(v.phone, sizeof v.phone),
	   "and nothing else is unsealed");
	ok(audit.has_subject && memcmp(audit.subject, pseudo, sizeof pseudo) == 0,
	   "the audit leaf names the resident all the same");
	record_wipe(&v);
	is_int(record_open_name(&keys, st, id1, NULL, &v), AK_EDENIED,
	       "record_open_name without an audit leaf: AK_EDENIED");
	{
		/* From a row read before (the session's lookup reads the
		 * caller's own): the same view, the same leaf, and still no
		 * opening without a leaf. */
		struct store_resident row;
		memset(&audit, 0, sizeof audit);
		authz_like_leaf(&audit, ACT_ISSUE);
		is_int(store_resident_by_id(st, id1, &row), 0, "a row read beforehand");
		is_int(record_open_name_row(&keys, st, &row, &audit, &v), 0,
		       "record_open_name_row: 0");
		ok(strcmp(v.name, NAME1) == 0 && v.status == CRED_GREEN && v.id == id1 &&
		       all_zero(v.id_number, sizeof v.id_number),
		   "the same name, status and id, nothing else");
		ok(audit.has_subject && memcmp(audit.subject, pseudo, sizeof pseudo) == 0,
		   "the audit leaf names the resident");
		record_wipe(&v);
		is_int(record_open_name_row(&keys, st, &row, NULL, &v), AK_EDENIED,
		       "record_open_name_row without an audit leaf: AK_EDENIED");
		sodium_memzero(&row, sizeof row);
	}

	is_int(record_open(&keys, st, id2, &audit, &v), 0, "the second opens");
	ok(strcmp(v.name, NAME2) == 0 && strcmp(v.id_number, IDNO2) == 0 && v.phone[0] == '\0',
	   "its fields, and an empty phone");
	record_wipe(&v);

	{
		struct store_resident r;
		is_int(store_resident_by_id(st, id1, &r), 0, "the row reads back");
		ok(strcmp(r.passphrase, PASSHASH) == 0, "with the passphrase hash stored");
		sodium_memzero(&r, sizeof r);
	}
	ok(!in_files(NAME1) && !in_files(NAME2), "no name in the database file or WAL");
	ok(!in_files(IDNO1) && !in_files(IDNO2), "no ID number in the database file or WAL");
	ok(!in_files(PHONE1), "no phone in the database file or WAL");

	{
		struct leaf none;
		memset(&v, 0x55, sizeof v);
		is_int(record_open(&keys, st, id1, NULL, &v), AK_EDENIED,
		       "without an audit leaf: AK_EDENIED");
		ok(all_zero(&v, sizeof v), "and nothing unsealed");
		authz_like_leaf(&none, ACT_NONE);
		is_int(record_open(&keys, st, id1, &none, &v), AK_EDENIED,
		       "with a leaf of no action: AK_EDENIED");
		ok(all_zero(&v, sizeof v), "nothing unsealed either");
	}

	view_of(&in, "", "34010219900615002", NULL);
	is_int(create(&in, &dup), AK_EINVAL, "a 17-character ID number: AK_EINVAL");
	view_of(&in, "", IDNO2, NULL);
	is_int(create(&in, &dup), AK_EINVAL, "an empty name: AK_EINVAL");
}

static void test_issue(void)
{
	struct record_view v;
	struct store_code code, code2;
	struct cred_trust t;
	struct cred c;
	char text[CRED_TEXT_MAX + 1], text2[CRED_TEXT_MAX + 1];
	int n;

	if (record_open(&keys, st, id1, &audit, &v) != 0)
		bail_out("record_open");
	n = record_issue(&issuer, &v, util_now(), 300, 0, text, &code);
	ok(n > 0 && (size_t)n == strlen(text), "record_issue returns the text's length");
	ok(strncmp(text, CRED_PREFIX, CRED_PREFIX_LEN) == 0, "an AK1: credential");

	memset(&t, 0, sizeof t);
	t.issuers = dd->trust.issuers;
	t.n_issuers = dd->trust.n_issuers;
	t.now = util_now();
	t.skew = CRED_DEFAULT_SKEW;
	is_int(cred_verify(&t, text, (size_t)n, &c), CRED_VALID,
	       "it verifies under the trust list");
	ok(strcmp(c.claims.iss, dd->issuer_id) == 0, "iss is the folder's issuer id");
	{
		uint8_t h[SEAL_SIG_HASH_BYTES];
		seal_sig_hash(kek, h, c.sig);
		ok(memcmp(h, code.sig_hash, sizeof h) == 0,
		   "the row keeps the keyed hash of the code's signature");
		h[0] ^= 1;
		ok(memcmp(h, code.sig_hash, sizeof h) != 0,
		   "which another signature would not match");
	}
	ok(strcmp(c.claims.name, NAME1) == 0, "it carries the name");
	is_int(c.claims.status, CRED_GREEN, "and the status");
	is_int(c.claims.exp - c.claims.iat, 300, "valid for the ttl");
	ok(c.claims.iat + 5 >= t.now && c.claims.iat <= t.now, "signed now");
	ok(memcmp(code.cti, c.claims.cti, CRED_CTI_BYTES) == 0, "the store row has its cti");
	ok(code.resident_id == id1 && code.iat == c.claims.iat && code.exp == c.claims.exp &&
	       code.status == CRED_GREEN && code.paper == 0,
	   "and its resident, times, status, not paper");
	sodium_memzero(&c, sizeof c);

	n = record_issue(&issuer, &v, util_now(), 14 * 86400, 1, text2, &code2);
	ok(n > 0, "a paper code for 14 days");
	ok(code2.paper == 1 && code2.exp - code2.iat == 14 * 86400, "marked paper, 14 days");
	ok(memcmp(code.cti, code2.cti, CRED_CTI_BYTES) != 0, "every code has a fresh cti");
	is_int(store_code_add(st, &code), 0, "the row stores");

	v.status = CRED_RED;
	n = record_issue(&issuer, &v, util_now(), 60, 0, text2, &code2);
	is_int(cred_verify(&t, text2, (size_t)n, &c), CRED_VALID, "a red code verifies");
	is_int(c.claims.status, CRED_RED, "and says red");
	is_int(code2.status, CRED_RED, "its row too");
	sodium_memzero(&c, sizeof c);

	is_int(record_issue(&issuer, &v, util_now(), 0, 0, text2, &code2), AK_EINVAL,
	       "ttl 0: AK_EINVAL");
	is_int(record_issue(&issuer, &v, util_now(), CRED_MAX_VALIDITY + 1, 0, text2, &code2),
	       AK_EINVAL, "ttl over 31 days: AK_EINVAL");
	record_wipe(&v);
}

/* record_rewrap in a transaction, as the audit writer runs it. */
static int rewrap(size_t limit, size_t *done)
{
	int rc;

	if (store_begin(st) != 0)
		bail_out("store_begin");
	rc = record_rewrap(&keys, st, limit, done);
	if ((rc == 0 ? store_commit(st) : store_rollback(st)) != 0)
		bail_out("commit");
	return rc;
}

/* Every resident in ids opens to a view (the fields are checked above). */
/* record_keys' lacking in the test: counts the wake-ups. */
static void count_wake(void *ctx)
{
	(*(int *)ctx)++;
}

static int all_open(const uint64_t *ids, size_t n)
{
	struct record_view v;
	int good = 1;

	for (size_t i = 0; i < n; i++) {
		good &= record_open(&keys, st, ids[i], &audit, &v) == 0;
		record_wipe(&v);
	}
	return good;
}

/*
 * Epochs: keys are wrapped under the current epoch; after a new epoch,
 * record_rewrap moves them over in chunks, every resident opening at
 * every step; once the old epoch is dropped they still open. The twin:
 * an older copy of the epochs file, which lacks the new epoch, is found
 * out by record_epochs_check, and opens no one whose key moved.
 */
static void test_epochs(void)
{
	char old_copy[700], *text = NULL;
	size_t len = 0, done = 9;
	uint64_t e2 = 0, missing = 0, id3 = 0, ids[3];
	struct record_view in;
	epoch_set *old = NULL;
	struct record_keys old_keys;
	struct store_resident r;

	is_int(record_epochs_check(&keys, st, &missing), 0,
	       "the epochs file holds every epoch in use");
	snprintf(old_copy, sizeof old_copy, "%s/epochs.old", dir);
	if (util_read_file(dd->epochs_path, 4096, &text, &len) != 0 ||
	    util_write_file_atomic(old_copy, text, len, 0600, 0) != 0)
		bail_out("copy the epochs file");
	free(text);

	is_int(epoch_add(keys.epochs, NOW + 100, &e2), 0, "a new epoch");
	is_int(e2, 2, "numbered 2");
	view_of(&in, "Test Resident Three", "110105197001010033", NULL);
	is_int(create(&in, &id3), 0, "a resident enrolled now");
	is_int(store_resident_by_id(st, id3, &r), 0, "reads back");
	is_int(r.key_epoch, 2, "with its key under the new epoch");
	ids[0] = id1, ids[1] = id2, ids[2] = id3;
	ok(all_open(ids, 3), "the older residents, still under epoch 1, open too");

	is_int(rewrap(1, &done), 0, "re-wrap a chunk of one");
	is_int(done, 1, "one key moved");
	ok(all_open(ids, 3), "everyone opens, half-way through");
	is_int(rewrap(100, &done), 0, "re-wrap the rest");
	is_int(done, 1, "the other key moved");
	is_int(rewrap(100, &done), 0, "and again");
	is_int(done, 0, "nothing is left under epoch 1");
	ok(all_open(ids, 3), "everyone opens");

	if (epoch_open(&old, old_copy, kek) != 0)
		bail_out("the old copy");
	old_keys.kek = kek;
	old_keys.epochs = old;
	is_int(record_epochs_check(&old_keys, st, &missing), AK_ENOENT,
	       "the old copy of the epochs file is found out");
	is_int(missing, 2, "it lacks epoch 2");
	{
		struct record_view v;
		int woken = 0;

		is_int(record_open(&old_keys, st, id1, &audit, &v), AK_ECRYPTO,
		       "and opens no one whose key moved: AK_ECRYPTO");
		/* A node that fetches epochs (several on PostgreSQL) is behind
		 * instead: a retry opens it once the fetch is done. */
		old_keys.lacking = count_wake;
		old_keys.lacking_ctx = &woken;
		is_int(record_open(&old_keys, st, id1, &audit, &v), AK_EBEHIND,
		       "a node that fetches epochs is behind: AK_EBEHIND");
		is_int(woken, 1, "and its fetch is woken");
		old_keys.lacking = NULL;
	}
	epoch_close(old);

	is_int(epoch_drop_below(keys.epochs, 2, &done), 0, "epoch 1 destroyed");
	is_int(done, 1, "one epoch went");
	ok(all_open(ids, 3), "everyone still opens");
	is_int(record_epochs_check(&keys, st, &missing), 0,
	       "and the file holds every epoch in use");
	sodium_memzero(&r, sizeof r);
}

/* The length of a column of a resident's row, as the file holds it. */
static long long column_length(const char *column, uint64_t id)
{
	char sql[200];
	sqlite3_stmt *q = NULL;
	long long n = -1;

	snprintf(sql, sizeof sql, "SELECT length(%s) FROM residents WHERE id = %llu", column,
		 (unsigned long long)id);
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &q, NULL) != SQLITE_OK)
		bail_out("prepare");
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/*
 * Finding 12 of issue 8: a sealed column's length was the clear text's
 * plus 40. Two residents as far apart as names go (2 bytes and 120), one
 * with a phone and one without, now have sealed columns of one length
 * each; and a field sealed under the right key but not padded as
 * record_create pads is refused when opened.
 */
static void test_padding(void)
{
	static const char *const columns[] = {"name_sealed", "id_sealed", "phone_sealed"};
	char longname[121];
	struct record_view in, v;
	uint64_t a = 0, b = 0;
	int same = 1;

	/* 40 CJK characters of 3 bytes each. */
	for (size_t i = 0; i < 40; i++)
		memcpy(longname + 3 * i, "\xe6\xb5\x8b", 3);
	longname[120] = '\0';
	view_of(&in, "Li", "110105197001010017", PHONE1);
	is_int(create(&in, &a), 0, "a resident with a 2-byte name and a phone");
	view_of(&in, longname, "110105197001010025", NULL);
	is_int(create(&in, &b), 0, "one with a 120-byte name and no phone");
	for (size_t i = 0; i < AK_ARRAY_LEN(columns); i++)
		same &= column_length(columns[i], a) == column_length(columns[i], b) &&
			column_length(columns[i], a) > 0;
	ok(same, "their sealed name, ID number and phone columns have the same lengths");
	is_int(column_length("name_sealed", a), STORE_SEALED_NAME_BYTES,
	       "a sealed name: 169 bytes");
	is_int(column_length("id_sealed", a), STORE_SEALED_ID_BYTES, "a sealed ID number: 59");
	is_int(column_length("phone_sealed", b), STORE_SEALED_PHONE_BYTES,
	       "a sealed phone, even when none was given: 61");
	is_int(record_open(&keys, st, b, &audit, &v), 0, "the long name opens");
	ok(strcmp(v.name, longname) == 0 && v.phone[0] == '\0', "to itself, with no phone");
	record_wipe(&v);
	is_int(record_open(&keys, st, a, &audit, &v), 0, "the short one opens");
	ok(strcmp(v.name, "Li") == 0 && strcmp(v.phone, PHONE1) == 0, "to itself and its phone");
	record_wipe(&v);

	/* The twin: the right data key and associated data, no padding. */
	{
		struct store_resident r;
		seal_datakey dk;
		uint8_t ad[8 + 4], pt[STORE_SEALED_NAME_BYTES - SEAL_OVERHEAD];
		uint8_t ct[STORE_SEALED_NAME_BYTES];
		sqlite3_stmt *q = NULL;

		seal_epochkey ek;

		if (store_resident_by_id(st, a, &r) != 0 ||
		    epoch_key(keys.epochs, r.key_epoch, &ek) != 0 ||
		    seal_datakey_unwrap(&ek, a, r.wrapped, &dk) != 0)
			bail_out("the resident's data key");
		seal_epochkey_wipe(&ek);
		for (int i = 0; i < 8; i++)
			ad[i] = (uint8_t)(a >> (56 - 8 * i));
		memcpy(ad + 8, "name", 4);
		memset(pt, 'x', sizeof pt);
		randombytes_buf(ct, SEAL_NONCE_BYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(
		    ct + SEAL_NONCE_BYTES, NULL, pt, sizeof pt, ad, sizeof ad, NULL, ct, dk.key);
		seal_datakey_wipe(&dk);
		sodium_memzero(&r, sizeof r);
		if (sqlite3_prepare_v2(store_sqlite(st),
				       "UPDATE residents SET name_sealed = ?1 WHERE id = ?2", -1,
				       &q, NULL) != SQLITE_OK ||
		    sqlite3_bind_blob(q, 1, ct, sizeof ct, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 2, (sqlite3_int64)a) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_DONE)
			bail_out("write an unpadded name");
		sqlite3_finalize(q);
		memset(&v, 0x55, sizeof v);
		is_int(record_open(&keys, st, a, &audit, &v), AK_ECORRUPT,
		       "a name sealed without its padding: refused, AK_ECORRUPT");
		ok(all_zero(&v, sizeof v), "and nothing of it is in the view");
	}
}

/*
 * A field kept outside the row (an appeal's text): sealed under the
 * resident's data key, it opens back under a leaf that then names the
 * resident; its twins fail: no leaf, another resident, another field
 * name (another appeal's), a byte changed; and it is not in the file.
 */
static void test_fields(void)
{
	static const char text[] = "申诉的文字 appeal words kept sealed";
	enum {
		PAD = 2001
	};
	uint8_t *ct = malloc(PAD + SEAL_OVERHEAD);
	char *out = malloc(PAD + 1);
	struct leaf l;

	if (ct == NULL || out == NULL)
		bail_out("malloc");
	is_int(record_seal_field(&keys, st, id1, "appeal_text:aa", text, strlen(text), PAD, ct), 0,
	       "record_seal_field: 0");
	authz_like_leaf(&l, ACT_APPEAL_READ);
	is_int(record_open_field(&keys, st, id1, &l, "appeal_text:aa", ct, PAD + SEAL_OVERHEAD, PAD,
				 out, PAD + 1),
	       0, "record_open_field: 0");
	ok(strcmp(out, text) == 0, "the text opens back");
	ok(l.has_subject, "and the leaf names the resident");
	is_int(record_open_field(&keys, st, id1, NULL, "appeal_text:aa", ct, PAD + SEAL_OVERHEAD,
				 PAD, out, PAD + 1),
	       AK_EDENIED, "without a leaf: AK_EDENIED");
	is_int(record_open_field(&keys, st, id1, &l, "appeal_text:bb", ct, PAD + SEAL_OVERHEAD, PAD,
				 out, PAD + 1),
	       AK_ECRYPTO, "as another appeal's text: AK_ECRYPTO");
	ok(!l.has_subject && out[0] == '\0', "and nothing opens, no one is named");
	is_int(record_open_field(&keys, st, id2, &l, "appeal_text:aa", ct, PAD + SEAL_OVERHEAD, PAD,
				 out, PAD + 1),
	       AK_ECRYPTO, "as another resident's: AK_ECRYPTO");
	ct[100] ^= 1;
	is_int(record_open_field(&keys, st, id1, &l, "appeal_text:aa", ct, PAD + SEAL_OVERHEAD, PAD,
				 out, PAD + 1),
	       AK_ECRYPTO, "a byte changed: AK_ECRYPTO");
	is_int(record_seal_field(&keys, st, id1, "appeal_text:aa", text, PAD, PAD, ct), AK_EINVAL,
	       "a text as long as its padding: AK_EINVAL");
	is_int(record_seal_field(&keys, st, 999999, "appeal_text:aa", text, 1, PAD, ct), AK_ENOENT,
	       "an unknown resident: AK_ENOENT");
	free(ct);
	free(out);
}

static void test_tamper(void)
{
	struct record_view v;
	char sql[512];
	seal_kek *other = NULL;
	struct record_keys other_keys;
	char other_path[700];

	/* Twin of the good open: a name sealed for resident 2 moved into
	 * resident 1's row. The bytes are genuine; the associated data is not. */
	snprintf(sql, sizeof sql,
		 "UPDATE residents SET name_sealed = (SELECT name_sealed FROM residents"
		 " WHERE id = %llu) WHERE id = %llu",
		 (unsigned long long)id2, (unsigned long long)id1);
	exec_sql("SAVEPOINT t");
	exec_sql(sql);
	memset(&v, 0x55, sizeof v);
	is_int(record_open(&keys, st, id1, &audit, &v), AK_ECRYPTO,
	       "a name moved from another row: AK_ECRYPTO");
	ok(all_zero(&v, sizeof v), "and the view is left wiped");
	exec_sql("ROLLBACK TO t");
	exec_sql("RELEASE t");

	snprintf(sql, sizeof sql, "UPDATE residents SET phone_sealed = id_sealed WHERE id = %llu",
		 (unsigned long long)id1);
	ok(sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) != SQLITE_OK,
	   "the ID number's sealed bytes in the phone column: refused by the schema (length)");
	snprintf(sql, sizeof sql,
		 "UPDATE residents SET phone_sealed = (SELECT phone_sealed FROM residents"
		 " WHERE id = %llu) WHERE id = %llu",
		 (unsigned long long)id2, (unsigned long long)id1);
	exec_sql("SAVEPOINT t");
	exec_sql(sql);
	is_int(record_open(&keys, st, id1, &audit, &v), AK_ECRYPTO,
	       "another resident's (empty) sealed phone: AK_ECRYPTO");
	exec_sql("ROLLBACK TO t");
	exec_sql("RELEASE t");

	snprintf(sql, sizeof sql,
		 "UPDATE residents SET wrapped_key = (SELECT wrapped_key FROM residents"
		 " WHERE id = %llu) WHERE id = %llu",
		 (unsigned long long)id2, (unsigned long long)id1);
	exec_sql("SAVEPOINT t");
	exec_sql(sql);
	is_int(record_open(&keys, st, id1, &audit, &v), AK_ECRYPTO,
	       "another resident's key: AK_ECRYPTO");
	exec_sql("ROLLBACK TO t");
	exec_sql("RELEASE t");

	is_int(record_open(&keys, st, id1, &audit, &v), 0, "untouched again: opens");
	record_wipe(&v);

	snprintf(other_path, sizeof other_path, "%s/other.kek", dir);
	if (seal_kek_create(other_path) != 0 || seal_kek_load(&other, other_path) != 0)
		bail_out("another KEK");
	other_keys.kek = other;
	other_keys.epochs = NULL;
	{
		/* Another KEK's epochs file: its own epoch 1, not ours. */
		char other_epochs[700];
		epoch_set *none = NULL;
		snprintf(other_epochs, sizeof other_epochs, "%s/other.epochs", dir);
		if (epoch_file_create(other_epochs, other, NOW) != 0 ||
		    epoch_open(&other_keys.epochs, other_epochs, other) != 0)
			bail_out("another epochs file");
		is_int(epoch_open(&none, dd->epochs_path, other), AK_ECRYPTO,
		       "this folder's epochs file does not open under another KEK");
	}
	is_int(record_open(&other_keys, st, id1, &audit, &v), AK_ECRYPTO,
	       "under another KEK and its epochs: AK_ECRYPTO");
	is_int(record_kek_check(&keys, st), 0, "the folder's KEK matches its check value");
	is_int(record_kek_check(&other_keys, st), AK_ECRYPTO,
	       "another KEK does not: it is refused before anything is opened");
	epoch_close(other_keys.epochs);
	seal_kek_free(other);

	is_int(record_open(&keys, st, 999999, &audit, &v), AK_ENOENT, "an unknown id: AK_ENOENT");
	is_int(store_resident_erase(st, id2, NOW + 10), 0, "erase the second resident");
	is_int(record_open(&keys, st, id2, &audit, &v), AK_ENOENT, "an erased resident: AK_ENOENT");
	ok(all_zero(&v, sizeof v), "with the view wiped");
}

/* A household member's record without a passphrase, and its claim. */
static void test_claim(void)
{
	static const char name[] = "测试家人";
	static const char idno[] = "110105201803012024";
	struct record_view in, v;
	struct store_resident r;
	uint8_t handle[STORE_HANDLE_BYTES], h2[STORE_HANDLE_BYTES];
	uint64_t id = 0, claimed = 0;
	int status = -1, rc;

	view_of(&in, name, idno, NULL);
	if (store_begin(st) != 0)
		bail_out("store_begin");
	rc = record_create(&keys, st, &in, NULL, NOW, 4, &id, handle);
	store_commit(st);
	is_int(rc, 0, "record_create without a passphrase: 0");
	ok(store_resident_by_id(st, id, &r) == 0 && r.passphrase[0] == '\0' && r.has_key,
	   "sealed, with no passphrase");
	is_int(record_open(&keys, st, id, &audit, &v), 0, "and it opens");
	record_wipe(&v);

	view_of(&in, "Someone Else", idno, "13900000009");
	store_begin(st);
	is_int(record_claim(&keys, st, &in, PASSHASH, &claimed, h2, &status), AK_ECONFLICT,
	       "record_claim with another name: AK_ECONFLICT");
	store_rollback(st);
	view_of(&in, name, IDNO1, NULL);
	store_begin(st);
	is_int(record_claim(&keys, st, &in, PASSHASH, &claimed, h2, &status), AK_ECONFLICT,
	       "record_claim of a number with a passphrase: AK_ECONFLICT");
	store_rollback(st);
	view_of(&in, name, idno, "13900000009");
	store_begin(st);
	rc = record_claim(&keys, st, &in, PASSHASH, &claimed, h2, &status);
	store_commit(st);
	is_int(rc, 0, "record_claim with the same name: 0");
	ok(claimed == id && memcmp(h2, handle, sizeof h2) == 0 && status == CRED_GREEN,
	   "the same record, handle and status");
	ok(store_resident_by_id(st, id, &r) == 0 && strcmp(r.passphrase, PASSHASH) == 0,
	   "with the passphrase set");
	is_int(record_open(&keys, st, id, &audit, &v), 0, "it opens");
	ok(strcmp(v.phone, "13900000009") == 0 && strcmp(v.name, name) == 0,
	   "with the enrolment's phone and the same name");
	record_wipe(&v);
	store_begin(st);
	is_int(record_claim(&keys, st, &in, PASSHASH, &claimed, h2, &status), AK_ECONFLICT,
	       "claimed once: a second claim is a duplicate");
	store_rollback(st);
	sodium_memzero(&r, sizeof r);
}

int main(void)
{

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(data, sizeof data, "%s/d", dir);
	if (datadir_create(data, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&dd, data, DATADIR_ISSUER, NULL, NULL, 0) != 0 ||
	    seal_kek_load(&kek, dd->kek_path) != 0)
		bail_out("data folder");
	if (epoch_open(&keys.epochs, dd->epochs_path, kek) != 0)
		bail_out("epochs");
	keys.kek = kek;
	issuer = (struct record_issuer){dd->issuer, dd->issuer_id, kek};
	authz_like_leaf(&audit, ACT_LOOKUP);
	snprintf(db_path, sizeof db_path, "%s/%s", data, DATADIR_DB);
	if (store_open(&st, db_path, 0) != 0)
		bail_out("store_open");

	test_create_open();
	test_issue();
	test_epochs();
	test_padding();
	test_fields();
	test_tamper();
	test_claim();

	store_close(st);
	epoch_close(keys.epochs);
	seal_kek_free(kek);
	datadir_close(dd);
	{
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", dir);
	}
	return tap_done();
}
