/*
 * test_auditlog: the audit writer, its checkpoints, proofs and self-check.
 *
 * The tree is checked against an independent RFC 6962 implementation in
 * this file (a plain recursion over the leaf bytes with libsodium's
 * SHA-256), not against merkle.c's compact ranges. Group commit: one
 * failing change rolls back only its own operation; N threads x M appends
 * give exactly N*M leaves and a consistent tree and checkpoint. Tamper:
 * an attacker with the file drops the triggers with a plain sqlite3
 * connection and rewrites, truncates or re-signs; auditlog_open must
 * refuse each with its own reason. Under the newest checkpoint (one byte
 * of a leaf, two leaves' bytes or two whole rows swapped, an old
 * checkpoint re-signed): auditlog_open refuses what was written since the
 * previous start, naming the leaf, and the scrubber finds what lies below
 * that in its first pass, after which the writer refuses every write.
 *
 * No personal data: leaves hold random pseudonyms only.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/note_sign.h"
#include "log/auditlog.h"
#include "log/logcheck.h"
#include "log/proof.h"
#include "log/store.h"
#include "log/store_int.h"
#include "tests/lib/leaves.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-auditlog.XXXXXX";
static key_signer *log_key, *other_key;

/* ------------------------------------------------- an independent tree */

static void sha(uint8_t out[32], uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, a, alen);
	if (b != NULL)
		crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

/* RFC 6962 section 2.1 MTH over leaf hashes lh[0..n), n >= 1. */
static void mth(uint8_t out[32], uint8_t (*lh)[32], uint64_t n)
{
	uint64_t k = 1;
	uint8_t l[32], r[32];

	if (n == 1) {
		memcpy(out, lh[0], 32);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(l, lh, k);
	mth(r, lh + k, n - k);
	sha(out, 1, l, 32, r, 32);
}

/* The root over the first n stored leaves, from their bytes alone. */
static int independent_root(store *s, uint64_t n, uint8_t out[32])
{
	uint8_t(*lh)[32] = calloc(n ? n : 1, 32);
	char *leaf = NULL;
	size_t len;

	if (lh == NULL)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		if (store_log_get_leaf(s, i, &leaf, &len) != 0) {
			free(lh);
			return -1;
		}
		sha(lh[i], 0, (const uint8_t *)leaf, len, NULL, 0);
		free(leaf);
	}
	if (n == 0)
		crypto_hash_sha256(out, NULL, 0);
	else
		mth(out, lh, n);
	free(lh);
	return 0;
}

/* ------------------------------------------------------------- helpers */

static void db_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static int new_db(const char *path)
{
	store *s = NULL;
	int rc = store_open(&s, path, STORE_CREATE);
	store_close(s);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if ((rc = util_read_file(from, 64u << 20, &buf, &len)) != 0)
		return rc;
	unlink(to);
	rc = util_write_file_atomic(to, buf, len, 0600, 0);
	free(buf);
	return rc;
}

static int count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The newest checkpoint opens with the log key and signs (size, root). */
static int newest_checkpoint(const char *path, struct checkpoint *cp)
{
	store *s = NULL;
	char *note = NULL;
	size_t len;
	uint64_t size;
	int rc;

	if ((rc = store_open(&s, path, STORE_READONLY)) != 0)
		return rc;
	if ((rc = store_log_last_checkpoint(s, &size, &note, &len)) == 0)
		rc = checkpoint_open(cp, note, len, key_signer_verifier(log_key));
	if (rc == 0 && cp->size != size)
		rc = AK_ECORRUPT;
	free(note);
	store_close(s);
	return rc;
}

/* ----------------------------------------------------------- the tests */

static void test_basic(const char *path)
{
	struct auditlog_config cfg;
	auditlog *a = NULL;
	const char *why = "unset";
	struct leaf l;
	struct checkpoint cp = {0}; /* read by the checks even when the read failed */
	struct auditlog_stats st;
	merkle_hash root, want;
	uint64_t size, first = 99;
	store *rd = NULL;

	is_int(auditlog_open(&a, path, log_key, NULL, &why), AK_ENOENT,
	       "open: no database file, AK_ENOENT");
	if (new_db(path) != 0)
		bail_out("new database");
	auditlog_config_default(&cfg);
	ok(cfg.max_batch == 256 && cfg.max_wait_us == 0 && cfg.checkpoint_ms == 1000,
	   "defaults: 256 ops, 200 us, 1000 ms");
	cfg.checkpoint_ms = 0; /* a checkpoint after every commit, for the tamper tests */
	is_int(auditlog_open(&a, path, log_key, &cfg, &why), 0, "open a new log");
	ok(why == NULL, "no why on success");
	if (a == NULL)
		bail_out("open");
	auditlog_head(a, &size, root);
	merkle_empty_root(want);
	ok(size == 0 && memcmp(root, want, 32) == 0, "head of a new log: size 0, empty root");
	is_int(newest_checkpoint(path, &cp), 0, "a new log has a signed checkpoint");
	ok(cp.size == 0 && memcmp(cp.root, want, 32) == 0, "of the empty tree");
	is_str(cp.origin, "test.example/audit", "its origin is the log key's name");

	for (uint64_t i = 0; i < 20; i++) {
		uint64_t before = util_now_ms();
		test_verify_leaf(&l, i);
		first = 99;
		if (auditlog_submit(a, &l, 1, NULL, NULL, &first) != 0 || first != i)
			break;
		if (i == 0)
			ok(l.time_ms >= before && l.time_ms <= util_now_ms(),
			   "time_ms 0 is set to the time of submission");
	}
	is_int(first, 19, "20 single appends, indexes 0..19");
	{
		struct leaf three[3];
		for (int i = 0; i < 3; i++)
			test_verify_leaf(&three[i], 100 + (uint64_t)i);
		three[1].time_ms = 1234;
		is_int(auditlog_submit(a, three, 3, NULL, NULL, &first), 0, "one op of 3 leaves");
		is_int(first, 20, "its first index is 20");
		is_int(three[1].time_ms, 1234, "a given time_ms is kept");
	}
	test_verify_leaf(&l, 1);
	l.role = ROLE_COUNT;
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), AK_EINVAL,
	       "a leaf that will not format: AK_EINVAL");
	test_verify_leaf(&l, 1);
	l.role = ROLE_RESIDENT; /* a resident actor must be "-" */
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), AK_EINVAL,
	       "a resident actor with an id: AK_EINVAL");
	is_int(auditlog_submit(a, &l, 0, NULL, NULL, &first), AK_EINVAL, "no leaves: AK_EINVAL");
	test_verify_leaf(&l, 1);
	l.time_ms = UINT64_MAX;
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), AK_EINVAL,
	       "a time the database cannot hold: AK_EINVAL, not a failed batch");
	test_verify_leaf(&l, (uint64_t)INT64_MAX + 1);
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), AK_EINVAL,
	       "an actor id the database cannot hold: AK_EINVAL");

	auditlog_head(a, &size, root);
	is_int(size, 23, "23 leaves committed");
	if (store_open(&rd, path, STORE_READONLY) != 0)
		bail_out("reader");
	is_int(independent_root(rd, size, want), 0, "independent root computed");
	ok(memcmp(root, want, 32) == 0, "the writer's root equals the independent RFC 6962 root");
	{
		merkle_hash stored;
		is_int(merkle_root(stored, size, store_log_get_node, rd), 0,
		       "root from stored hashes");
		ok(memcmp(stored, want, 32) == 0, "equals it too");
	}
	{
		char *buf = NULL;
		size_t len;
		struct leaf back;
		store_log_get_leaf(rd, 22, &buf, &len);
		ok(buf != NULL && leaf_parse(&back, buf, len) == 0 && back.actor_id == 102,
		   "the last leaf is the last one submitted");
		free(buf);
	}

	/* Proofs from the store, checked against independent roots. */
	{
		int bad = 0, checked = 0;
		for (uint64_t sz = 1; sz <= size; sz++) {
			merkle_hash r, proof[MERKLE_MAX_PROOF], lh;
			size_t n;
			independent_root(rd, sz, r);
			for (uint64_t idx = 0; idx < sz; idx++) {
				char *buf = NULL;
				size_t len;
				store_log_get_leaf(rd, idx, &buf, &len);
				merkle_leaf_hash(lh, (const uint8_t *)buf, len);
				free(buf);
				if (proof_inclusion(rd, idx, sz, proof, &n) != 0 ||
				    merkle_verify_inclusion(lh, idx, sz, proof, n, r) != 0)
					bad++;
				checked++;
			}
			for (uint64_t old = 1; old <= sz; old++) {
				merkle_hash r1;
				independent_root(rd, old, r1);
				if (proof_consistency(rd, old, sz, proof, &n) != 0 ||
				    merkle_verify_consistency(old, sz, r1, r, proof, n) != 0)
					bad++;
				checked++;
			}
		}
		ok(bad == 0 && checked > 500, "%d inclusion and consistency proofs verify",
		   checked);
	}
	{
		merkle_hash proof[MERKLE_MAX_PROOF];
		size_t n;
		is_int(proof_inclusion(rd, 0, size + 1, proof, &n), AK_EINVAL,
		       "inclusion proof beyond the stored size: AK_EINVAL");
		is_int(proof_inclusion(rd, 5, 5, proof, &n), AK_EINVAL, "index == size: AK_EINVAL");
		is_int(proof_consistency(rd, 0, 5, proof, &n), AK_EINVAL,
		       "consistency from 0: AK_EINVAL");
		is_int(proof_consistency(rd, 3, size + 1, proof, &n), AK_EINVAL,
		       "consistency beyond the stored size: AK_EINVAL");
	}
	store_close(rd);

	auditlog_stats(a, &st);
	/* 21 operations: the leaves that would not format were refused when
	 * submitted and never reached the writer. */
	ok(st.leaves == 23 && st.ops == 21 && st.batches == 21 && st.failed_batches == 0,
	   "stats: 23 leaves in 21 operations, no failed batch");
	{
		uint64_t hist = 0;
		for (int i = 0; i < 8; i++)
			hist += st.batch_hist[i];
		ok(hist == st.batches && st.commit_ns_max > 0 &&
		       st.commit_ns_total >= st.commit_ns_max && st.checkpoints >= 1,
		   "stats: histogram, COMMIT times and checkpoints add up");
	}
	auditlog_close(a);
	auditlog_close(NULL);

	is_int(newest_checkpoint(path, &cp), 0, "after close the newest checkpoint verifies");
	ok(cp.size == 23 && memcmp(cp.root, want, 32) == 0, "and signs the final tree");
	ok(count_rows(path, "SELECT count(*) FROM log_checkpoints") >= 2,
	   "checkpoints are kept, not replaced");

	/* Reopening a clean log signs nothing new. */
	{
		int before = count_rows(path, "SELECT count(*) FROM log_checkpoints");
		a = NULL;
		is_int(auditlog_open(&a, path, log_key, NULL, &why), 0, "reopen");
		auditlog_head(a, &size, root);
		ok(size == 23 && memcmp(root, want, 32) == 0, "same head after reopen");
		auditlog_close(a);
		is_int(count_rows(path, "SELECT count(*) FROM log_checkpoints"), before,
		       "no new checkpoint for an unchanged log");
	}
	{
		store *s = NULL;
		store_open(&s, path, STORE_READONLY);
		is_int(logcheck_self(s, key_signer_verifier(log_key), &why, NULL), 0,
		       "the self-check passes on the clean log");
		is_int(logcheck_self(s, key_signer_verifier(other_key), &why, NULL), AK_ECORRUPT,
		       "and fails with another log key");
		store_close(s);
	}
}

/* ------------------------------------------------- group commit rollback */

struct change_arg {
	int value; /* row to insert into the scratch table */
	int fail;  /* then return this */
	auditlog *a;
	struct leaf leaf;
	int rc;
	uint64_t first;
};

static int change_fn(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct change_arg *c = ctx;
	char sql[64];

	(void)leaves;
	(void)n;
	if (c->value < 0) /* a change that ends the whole transaction */
		return sqlite3_exec(store_sqlite(st), "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK
			   ? 0
			   : AK_EDB;
	snprintf(sql, sizeof sql, "INSERT INTO scratch VALUES (%d)", c->value);
	if (sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return AK_EDB;
	return c->fail;
}

static void *submit_change(void *arg)
{
	struct change_arg *c = arg;
	c->rc = auditlog_submit(c->a, &c->leaf, 1, change_fn, c, &c->first);
	return NULL;
}

static void test_rollback(const char *path)
{
	struct auditlog_config cfg;
	struct auditlog_stats s0, s1;
	auditlog *a = NULL;
	const char *why = NULL;
	struct change_arg args[4];
	pthread_t th[4];
	sqlite3 *raw = NULL;

	if (new_db(path) != 0 || sqlite3_open(path, &raw) != SQLITE_OK ||
	    sqlite3_exec(raw, "CREATE TABLE scratch (x INTEGER)", NULL, NULL, NULL) != SQLITE_OK)
		bail_out("scratch table");
	sqlite3_close(raw);
	auditlog_config_default(&cfg);
	cfg.max_batch = 4;
	cfg.max_wait_us = 3000000; /* the batch closes when full: all four in one */
	if (auditlog_open(&a, path, log_key, &cfg, &why) != 0)
		bail_out("open");
	auditlog_stats(a, &s0);
	for (int i = 0; i < 4; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].value = i + 1;
		args[i].a = a;
		test_verify_leaf(&args[i].leaf, 50 + (uint64_t)i);
	}
	args[1].fail = AK_EDENIED;
	args[3].leaf.result = RES_COUNT; /* will not format, after its change ran */
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, submit_change, &args[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	auditlog_stats(a, &s1);
	is_int(s1.batches - s0.batches, 1, "the four operations ran in one batch");
	is_int(args[0].rc, 0, "op 1 (change ok) committed");
	is_int(args[1].rc, AK_EDENIED, "op 2 (change fails) gets its change's error");
	is_int(args[2].rc, 0, "op 3 (change ok) committed");
	is_int(args[3].rc, AK_EINVAL, "op 4 (bad leaf) gets AK_EINVAL");
	ok(args[0].first != args[2].first && args[0].first < 2 && args[2].first < 2,
	   "the two committed leaves got indexes 0 and 1");
	auditlog_close(a);
	is_int(count_rows(path, "SELECT count(*) FROM log_leaves"), 2, "two leaves in the log");
	is_int(count_rows(path, "SELECT count(*) FROM scratch"), 2, "two changes in the database");
	is_int(count_rows(path, "SELECT count(*) FROM scratch WHERE x IN (1, 3)"), 2,
	       "exactly the changes of the committed operations");
	is_int(count_rows(path, "SELECT count(*) FROM log_leaves WHERE CAST(leaf AS TEXT) GLOB"
				" '* verifier:5[02] *'"),
	       2, "exactly their leaves");

	/* A batch that fails as a whole: one operation's change ends the
	 * transaction. Every operation in that batch fails and nothing of it
	 * is written; operations that arrive after it land in a later batch
	 * and commit. Whatever the order, an operation's leaf and change are
	 * stored exactly when it returned 0, and the tree covers exactly
	 * those. */
	if (auditlog_open(&a, path, log_key, &cfg, &why) != 0)
		bail_out("reopen");
	auditlog_stats(a, &s0);
	for (int i = 0; i < 4; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].value = 10 + i;
		args[i].a = a;
		test_verify_leaf(&args[i].leaf, 60 + (uint64_t)i);
	}
	args[1].value = -1;
	args[2].fail = AK_EDENIED;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, submit_change, &args[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	auditlog_stats(a, &s1);
	is_int(s1.failed_batches - s0.failed_batches, 1, "one batch failed as a whole");
	is_int(args[1].rc, AK_EDB, "the operation that ended the transaction: AK_EDB");
	is_int(args[2].rc == AK_EDENIED || args[2].rc == AK_EDB, 1,
	       "the failing change: its own error, or AK_EDB if its batch failed");
	{
		int agree = 1, committed = 0;
		char sql[128];
		for (int i = 0; i < 4; i++) {
			int want = args[i].rc == 0;
			committed += want;
			snprintf(sql, sizeof sql,
				 "SELECT count(*) FROM log_leaves WHERE CAST(leaf AS TEXT) GLOB"
				 " '* verifier:%d *'",
				 60 + i);
			if (count_rows(path, sql) != want)
				agree = 0;
			snprintf(sql, sizeof sql, "SELECT count(*) FROM scratch WHERE x = %d",
				 10 + i);
			if (count_rows(path, sql) != want)
				agree = 0;
		}
		ok(agree, "leaf and change stored exactly for the %d operations that returned 0",
		   committed);
	}
	{
		struct leaf l;
		uint64_t first = 0, size;
		merkle_hash root;
		test_verify_leaf(&l, 70);
		is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), 0, "the next append works");
		auditlog_head(a, &size, root);
		is_int(first + 1, size, "at the index after the last committed leaf");
	}
	auditlog_close(a);
	{
		store *s = NULL;
		uint8_t r[32];
		struct checkpoint cp;
		uint64_t n = 0;
		store_open(&s, path, STORE_READONLY);
		store_log_size(s, &n);
		independent_root(s, n, r);
		store_close(s);
		ok(newest_checkpoint(path, &cp) == 0 && cp.size == n && memcmp(cp.root, r, 32) == 0,
		   "the tree and checkpoint cover exactly the committed leaves");
	}
}

/* ------------------------------------------- changes that edit leaves */

/*
 * Leaves are formatted and hashed when submitted (auditlog.c, prepare);
 * a change that fills a leaf in inside the transaction (a new resident's
 * pseudonym, a result of not_found) must still be logged as it left it.
 */
struct edit_arg {
	int which; /* 0: fill in a subject; 1: edit the middle of three; 2: none */
	uint8_t subject[LEAF_ID_BYTES];
};

static int edit_fn(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct edit_arg *e = ctx;

	(void)st;
	if (e->which == 0) {
		leaves[0].has_subject = 1;
		memcpy(leaves[0].subject, e->subject, LEAF_ID_BYTES);
	} else if (e->which == 1 && n == 3) {
		leaves[1].result = RES_DENIED;
		leaves[1].detail = DET_RATE_LIMITED;
		leaves[2].time_ms = 0; /* asks again for the time of submission */
	}
	return 0;
}

/* Whether leaf idx of the log at path holds exactly the bytes of *l. */
static int stored_as(const char *path, uint64_t idx, const struct leaf *l)
{
	char want[LEAF_MAX + 1], *got = NULL;
	store *s = NULL;
	size_t len = 0;
	int n = leaf_format(want, l), same;

	if (n <= 0 || store_open(&s, path, STORE_READONLY) != 0)
		return 0;
	same = store_log_get_leaf(s, idx, &got, &len) == 0 && len == (size_t)n &&
	       memcmp(got, want, len) == 0;
	free(got);
	store_close(s);
	return same;
}

static void test_change_edits(const char *path)
{
	struct edit_arg e;
	struct leaf one, three[3], plain;
	auditlog *a = NULL;
	const char *why = NULL;
	uint64_t first = 0, submitted;
	store *s = NULL;

	if (new_db(path) != 0 || auditlog_open(&a, path, log_key, NULL, &why) != 0)
		bail_out("open");
	test_verify_leaf(&one, 80);
	one.has_subject = 0;
	memset(one.subject, 0, sizeof one.subject);
	e.which = 0;
	randombytes_buf(e.subject, sizeof e.subject);
	is_int(auditlog_submit(a, &one, 1, edit_fn, &e, &first), 0,
	       "a change that fills in the subject");
	ok(one.has_subject && memcmp(one.subject, e.subject, LEAF_ID_BYTES) == 0,
	   "the caller's leaf has it");
	ok(stored_as(path, first, &one), "and the log holds the leaf as the change left it");

	for (int i = 0; i < 3; i++)
		test_verify_leaf(&three[i], 81 + (uint64_t)i);
	e.which = 1;
	submitted = util_now_ms();
	is_int(auditlog_submit(a, three, 3, edit_fn, &e, &first), 0,
	       "a change that edits two of three leaves");
	ok(three[1].result == RES_DENIED && three[2].time_ms >= submitted &&
	       three[2].time_ms <= util_now_ms(),
	   "one edited, one given the time of submission again");
	ok(stored_as(path, first, &three[0]) && stored_as(path, first + 1, &three[1]) &&
	       stored_as(path, first + 2, &three[2]),
	   "each stored as the change left it, in order");

	test_verify_leaf(&plain, 84);
	e.which = 2;
	is_int(auditlog_submit(a, &plain, 1, edit_fn, &e, &first), 0,
	       "a change that leaves its leaf alone");
	ok(stored_as(path, first, &plain), "the leaf as prepared");
	auditlog_close(a);

	/* Every stored hash, recomputed from the leaves: the prepared hashes
	 * and the recomputed ones are the leaves' own. */
	if (store_open(&s, path, STORE_READONLY) != 0)
		bail_out("reader");
	is_int(logcheck_full(s, key_signer_verifier(log_key), &why), 0,
	       "the full check passes: every hash is its leaf's");
	store_close(s);
}

/* ---------------------------------------------------------- concurrency */

#define NTHREADS   8
#define PER_THREAD 250

struct worker {
	auditlog *a;
	uint64_t id;
	int failures;
	uint64_t firsts[PER_THREAD];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct leaf l;

	for (int i = 0; i < PER_THREAD; i++) {
		test_verify_leaf(&l, w->id * 1000 + (uint64_t)i);
		if (auditlog_submit(w->a, &l, 1, NULL, NULL, &w->firsts[i]) != 0)
			w->failures++;
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int count_fn(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	(void)idx;
	(void)leaf;
	(void)len;
	(*(uint64_t *)ctx)++;
	return 0;
}

static void test_concurrency(const char *path)
{
	struct auditlog_config cfg;
	auditlog *a = NULL;
	const char *why = NULL;
	static struct worker w[NTHREADS];
	static uint64_t all[NTHREADS * PER_THREAD];
	pthread_t th[NTHREADS];
	struct checkpoint cp;
	struct auditlog_stats st;
	merkle_hash root, want;
	uint64_t size;
	int failures = 0, dup = 0;
	store *rd = NULL;

	if (new_db(path) != 0)
		bail_out("new database");
	auditlog_config_default(&cfg);
	cfg.max_batch = 16;
	cfg.checkpoint_ms = 20;
	if (auditlog_open(&a, path, log_key, &cfg, &why) != 0)
		bail_out("open");
	for (int i = 0; i < NTHREADS; i++) {
		w[i].a = a;
		w[i].id = (uint64_t)i + 1;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
		memcpy(all + i * PER_THREAD, w[i].firsts, sizeof w[i].firsts);
	}
	is_int(failures, 0, "%d threads x %d appends: no failure", NTHREADS, PER_THREAD);
	qsort(all, NTHREADS * PER_THREAD, sizeof all[0], cmp_u64);
	for (int i = 0; i < NTHREADS * PER_THREAD; i++)
		if (all[i] != (uint64_t)i)
			dup++;
	is_int(dup, 0, "every index 0..%d handed out exactly once", NTHREADS * PER_THREAD - 1);
	auditlog_head(a, &size, root);
	auditlog_stats(a, &st);
	auditlog_close(a);
	is_int(size, NTHREADS * PER_THREAD, "the head counts N x M leaves");
	is_int(count_rows(path, "SELECT count(*) FROM log_leaves"), NTHREADS * PER_THREAD,
	       "exactly N x M leaf rows");
	is_int(count_rows(path, "SELECT count(*) FROM log_leaves WHERE length(hashes) >= 32"),
	       NTHREADS * PER_THREAD, "and as many leaf hashes");
	diag("%llu batches for %llu ops, %llu checkpoints", (unsigned long long)st.batches,
	     (unsigned long long)st.ops, (unsigned long long)st.checkpoints);
	ok(st.batches < st.ops, "group commit: fewer batches than operations");
	store_open(&rd, path, STORE_READONLY);
	independent_root(rd, size, want);
	ok(memcmp(root, want, 32) == 0, "the root equals the independent root");
	{
		/* some of each thread's leaves, by actor: each there exactly once */
		int wrong = 0;
		for (int t = 1; t <= NTHREADS; t++) {
			for (int i = 0; i < PER_THREAD; i += 50) {
				struct store_log_filter f;
				uint64_t n = 0;
				store_log_filter_init(&f);
				f.role = ROLE_VERIFIER;
				f.actor_id = (uint64_t)t * 1000 + (uint64_t)i;
				if (store_log_query(rd, &f, count_fn, &n) != 0 || n != 1)
					wrong++;
			}
		}
		is_int(wrong, 0, "sampled leaves found by actor, once each");
	}
	store_close(rd);
	is_int(newest_checkpoint(path, &cp), 0, "the newest checkpoint opens with the log key");
	ok(cp.size == size && memcmp(cp.root, want, 32) == 0, "and signs the final tree");
}

/* --------------------------------------------------------------- tamper */

/* Runs attacker SQL on a copy of the good database with a plain
 * connection, triggers dropped first as an attacker would. */
static int tamper(const char *good, const char *bad, const char *sql)
{
	static const char drop[] =
	    "DROP TRIGGER log_leaves_append_only; DROP TRIGGER log_leaves_no_update;"
	    " DROP TRIGGER log_leaves_no_delete; DROP TRIGGER log_checkpoints_once;"
	    " DROP TRIGGER log_checkpoints_no_update; DROP TRIGGER log_checkpoints_no_delete;"
	    " PRAGMA ignore_check_constraints = ON;";
	sqlite3 *db = NULL;
	int rc = -1;

	if (copy_file(good, bad) != 0)
		return -1;
	if (sqlite3_open(bad, &db) == SQLITE_OK &&
	    sqlite3_exec(db, drop, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		rc = 0;
	sqlite3_close(db);
	return rc;
}

/* Stores a checkpoint for (size, root) signed by k, as a thief of k would. */
static int insert_signed(const char *path, const key_signer *k, uint64_t size,
			 const uint8_t root[32])
{
	struct checkpoint cp;
	char text[CHECKPOINT_TEXT_MAX + 1], *note = NULL;
	size_t len;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n, rc = -1;

	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", key_signer_verifier(k)->name);
	cp.size = size;
	memcpy(cp.root, root, 32);
	if ((n = checkpoint_format(text, sizeof text, &cp)) < 0 ||
	    note_sign(&note, &len, text, (size_t)n, &k, 1) != 0)
		return -1;
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "INSERT INTO log_checkpoints VALUES (?, ?, 0)", -1, &st, NULL) ==
		SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
		sqlite3_bind_blob(st, 2, note, (int)len, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(note);
	return rc;
}

/*
 * Attacker SQL that zeroes the stored hash of node (level, idx): it lives
 * in the row of its last leaf, ((idx + 1) << level) - 1, at byte
 * 32 * level (schema/001_audit.sql).
 */
static const char *zero_hash(char *sql, size_t cap, unsigned level, uint64_t idx)
{
	snprintf(sql, cap,
		 "UPDATE log_leaves SET hashes = CAST(substr(hashes, 1, %u) || zeroblob(32) ||"
		 " substr(hashes, %u) AS BLOB) WHERE idx = %llu",
		 32 * level, 32 * level + 33, (unsigned long long)(((idx + 1) << level) - 1));
	return sql;
}

static void expect_refusal(const char *bad, const char *want_why, const char *what)
{
	auditlog *a = NULL;
	const char *why = NULL;
	int rc = auditlog_open(&a, bad, log_key, NULL, &why);

	is_int(rc, AK_ECORRUPT, "%s: open refused", what);
	ok(a == NULL, "%s: no handle", what);
	if (!ok(why != NULL && strstr(why, want_why) != NULL, "%s: why names it", what))
		diag("why: %s", why ? why : "(null)");
	auditlog_close(a);
}

static void test_tamper(const char *good)
{
	char bad[300];
	uint8_t junk[32];
	int n = count_rows(good, "SELECT count(*) FROM log_leaves");
	char sql[300];

	db_path(bad, sizeof bad, "bad.db");
	memset(junk, 0xab, sizeof junk);
	if (n != 23)
		bail_out("the good log should have 23 leaves");

	ok(tamper(good, bad, "SELECT 1") == 0, "an untouched copy");
	{
		auditlog *a = NULL;
		const char *why = NULL;
		is_int(auditlog_open(&a, bad, log_key, NULL, &why), 0, "opens");
		auditlog_close(a);
	}

	/* 23 = 16 + 4 + 2 + 1: the root reads (4,0), (2,4), (1,10), (0,22). */
	tamper(good, bad, zero_hash(sql, sizeof sql, 0, 22));
	expect_refusal(bad, "does not match the signed checkpoint", "the last leaf's hash altered");

	tamper(good, bad, zero_hash(sql, sizeof sql, 2, 4));
	expect_refusal(bad, "does not match the signed checkpoint", "an inner hash altered");

	/* Off the root's path, only the full check (or a failing proof) sees it. */
	tamper(good, bad, zero_hash(sql, sizeof sql, 0, 3));
	{
		store *s = NULL;
		const char *why = NULL;
		store_open(&s, bad, STORE_READONLY);
		is_int(logcheck_self(s, key_signer_verifier(log_key), &why, NULL), 0,
		       "a leaf hash off the root's path: the O(log n) self-check passes");
		is_int(logcheck_full(s, key_signer_verifier(log_key), &why), AK_ECORRUPT,
		       "the full check refuses it");
		ok(why != NULL && strstr(why, "level 0, index 3 does not match leaf 3") != NULL,
		   "naming the hash and the leaf");
		store_close(s);
		s = NULL;
		store_open(&s, good, STORE_READONLY);
		is_int(logcheck_full(s, key_signer_verifier(log_key), &why), 0,
		       "the full check passes on the clean log");
		store_close(s);
	}
	tamper(good, bad, zero_hash(sql, sizeof sql, 1, 4));
	{
		store *s = NULL;
		const char *why = NULL;
		store_open(&s, bad, STORE_READONLY);
		is_int(logcheck_full(s, key_signer_verifier(log_key), &why), AK_ECORRUPT,
		       "an inner hash off the path: the full check refuses it");
		ok(why != NULL && strstr(why, "level 1, index 4 does not match leaf 9") != NULL,
		   "naming the hash and the leaf that completes it");
		store_close(s);
	}

	/* A leaf's hashes are in its row: they go with it. */
	tamper(good, bad, "DELETE FROM log_leaves WHERE idx >= 20");
	expect_refusal(bad, "signs 23 leaves but only 20 are stored",
		       "leaves and their hashes truncated");

	/* The one way left to part them: blank the hashes, CHECKs off. */
	tamper(good, bad, "UPDATE log_leaves SET hashes = x'' WHERE idx >= 20");
	expect_refusal(bad, "23 leaves are stored but 20 leaf hashes",
		       "leaves kept, their hashes truncated");

	tamper(good, bad, "DELETE FROM log_leaves WHERE idx = 7");
	expect_refusal(bad, "leaf indexes have gaps", "a leaf deleted from the middle");

	tamper(good, bad,
	       "UPDATE log_leaves SET leaf = CAST(replace(CAST(leaf AS TEXT), 'verify', 'lookup')"
	       " AS BLOB) WHERE idx = 22");
	expect_refusal(bad, "last leaf (22) do not match", "the last leaf's bytes rewritten");

	tamper(good, bad, "DELETE FROM log_checkpoints WHERE size = 23");
	insert_signed(bad, log_key, 23, junk);
	expect_refusal(bad, "root at size 23 recomputed from stored hashes does not match",
		       "a checkpoint with another root, signed with the stolen log key");

	tamper(good, bad, "DELETE FROM log_checkpoints WHERE size = 23");
	insert_signed(bad, other_key, 23, junk);
	expect_refusal(bad, "not signed by the log key", "a checkpoint signed by another key");

	tamper(good, bad, "SELECT 1");
	insert_signed(bad, log_key, 30, junk);
	expect_refusal(bad, "signs 30 leaves but only 23 are stored",
		       "a checkpoint claiming more leaves than stored");

	tamper(good, bad, "DELETE FROM log_checkpoints");
	expect_refusal(bad, "23 leaves are stored but no signed checkpoint",
		       "every checkpoint deleted");

	/* After the newest checkpoint, each leaf is rehashed before it is
	 * signed: alter one there and its stored hash no longer fits. */
	snprintf(sql, sizeof sql,
		 "DELETE FROM log_checkpoints WHERE size > 18; UPDATE log_leaves SET leaf ="
		 " CAST(replace(CAST(leaf AS TEXT), 'valid', 'expired') AS BLOB) WHERE idx = 20");
	tamper(good, bad, sql);
	expect_refusal(bad, "does not match leaf 20", "a leaf after the newest checkpoint altered");

	snprintf(sql, sizeof sql,
		 "DELETE FROM log_checkpoints WHERE size > 18; UPDATE log_leaves SET leaf ="
		 " CAST('not a leaf' || char(10) AS BLOB) WHERE idx = 19");
	tamper(good, bad, sql);
	expect_refusal(bad, "leaf 19 is not a well-formed entry",
		       "a malformed leaf after the newest checkpoint");

	/* The tail check passes an honest tail: the crash case. */
	tamper(good, bad, "DELETE FROM log_checkpoints WHERE size > 18");
	{
		auditlog *a = NULL;
		const char *why = NULL;
		struct checkpoint cp;
		is_int(auditlog_open(&a, bad, log_key, NULL, &why), 0,
		       "leaves after the newest checkpoint, honest: opens");
		auditlog_close(a);
		ok(newest_checkpoint(bad, &cp) == 0 && cp.size == 23,
		   "and the missing checkpoint is signed");
	}
}

/* Two writers on one database, one after the other: the second's appends
 * are noticed by the first, which reloads its range. */
static void test_two_writers(const char *path)
{
	auditlog *a = NULL, *b = NULL;
	const char *why = NULL;
	struct leaf l;
	uint64_t first = 0, size;
	merkle_hash root, want;
	store *rd = NULL;

	if (new_db(path) != 0 || auditlog_open(&a, path, log_key, NULL, &why) != 0)
		bail_out("open a");
	for (int i = 0; i < 3; i++) {
		test_verify_leaf(&l, 1);
		auditlog_submit(a, &l, 1, NULL, NULL, NULL);
	}
	is_int(auditlog_open(&b, path, log_key, NULL, &why), 0, "a second writer opens");
	for (int i = 0; i < 2; i++) {
		test_verify_leaf(&l, 2);
		auditlog_submit(b, &l, 1, NULL, NULL, &first);
	}
	is_int(first, 4, "it appends after the first's leaves");
	auditlog_close(b);
	test_verify_leaf(&l, 1);
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, &first), 0, "the first appends again");
	is_int(first, 5, "after the second's leaves");
	auditlog_head(a, &size, root);
	auditlog_close(a);
	store_open(&rd, path, STORE_READONLY);
	independent_root(rd, 6, want);
	is_int(logcheck_self(rd, key_signer_verifier(log_key), &why, NULL), 0,
	       "the self-check passes");
	store_close(rd);
	ok(size == 6 && memcmp(root, want, 32) == 0, "one consistent tree of 6 leaves");
}

/* ---------------------------------------------------------- async submit */

#define ASYNC_OPS 200

struct async_op {
	struct leaf leaf;
	int fail; /* the change fails with AK_ECONFLICT */
	int rc;   /* as reported to the callback */
	uint64_t first;
	int calls;
	int durable; /* the leaf was readable by another connection */
	const char *path;
	atomic_int *pending;
};

static int async_change(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct async_op *op = ctx;
	(void)st, (void)leaves, (void)n;
	return op->fail ? AK_ECONFLICT : 0;
}

static void async_done(void *arg, int rc, uint64_t first)
{
	struct async_op *op = arg;
	op->rc = rc;
	op->first = first;
	op->calls++;
	if (rc == 0) {
		/* Durable means visible to a fresh connection at this moment. */
		store *rd = NULL;
		char *leaf = NULL;
		size_t len;
		if (store_open(&rd, op->path, STORE_READONLY) == 0 &&
		    store_log_get_leaf(rd, first, &leaf, &len) == 0)
			op->durable = 1;
		free(leaf);
		store_close(rd);
	}
	atomic_fetch_sub(op->pending, 1);
}

static void test_async(const char *path)
{
	static struct async_op ops[ASYNC_OPS];
	atomic_int pending = ASYNC_OPS;
	auditlog *a = NULL;
	const char *why = NULL;
	int ok_calls = 1, ok_rc = 1, ok_durable = 1, failed_ok = 1;
	uint64_t seen_max = 0;
	uint8_t *seen;

	ok(new_db(path) == 0 && auditlog_open(&a, path, log_key, NULL, &why) == 0,
	   "async: log opens");
	if (a == NULL)
		return;
	for (int i = 0; i < ASYNC_OPS; i++) {
		test_verify_leaf(&ops[i].leaf, (uint64_t)i);
		ops[i].fail = i % 10 == 3;
		ops[i].path = path;
		ops[i].pending = &pending;
		if (auditlog_submit_async(a, &ops[i].leaf, 1, async_change, &ops[i], async_done,
					  &ops[i]) != 0)
			atomic_fetch_sub(&pending, 1), ops[i].calls = -1;
	}
	for (int t = 0; t < 1000 && atomic_load(&pending) > 0; t++)
		usleep(10000);
	is_int(atomic_load(&pending), 0, "async: every callback ran within 10 s");
	seen = calloc(ASYNC_OPS, 1);
	for (int i = 0; i < ASYNC_OPS; i++) {
		ok_calls &= ops[i].calls == 1;
		if (ops[i].fail) {
			failed_ok &= ops[i].rc == AK_ECONFLICT;
			continue;
		}
		ok_rc &= ops[i].rc == 0;
		ok_durable &= ops[i].durable;
		if (ops[i].first < ASYNC_OPS)
			seen[ops[i].first]++;
		if (ops[i].first > seen_max)
			seen_max = ops[i].first;
	}
	ok(ok_calls, "async: each callback ran exactly once");
	ok(ok_rc, "async: every good operation succeeded");
	ok(failed_ok, "async: a failing change fails only itself, with its own error");
	ok(ok_durable, "async: the leaf is durable when the callback runs");
	{
		int uniq = 1;
		for (uint64_t i = 0; i <= seen_max && i < ASYNC_OPS; i++)
			uniq &= seen[i] == 1;
		ok(uniq && seen_max == ASYNC_OPS - ASYNC_OPS / 10 - 1,
		   "async: the good operations hold indexes 0..%d, each once",
		   ASYNC_OPS - ASYNC_OPS / 10 - 1);
	}
	free(seen);
	auditlog_close(a);
}

static int count_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	(void)idx, (void)leaf, (void)len;
	(*(size_t *)ctx)++;
	return 0;
}

/* The index file's mark, read through a reader that has it attached. */
static int64_t index_mark_of(const char *path)
{
	store *rd = NULL;
	sqlite3_stmt *st = NULL;
	int64_t mark = -1;

	if (store_log_open(&rd, path, STORE_READONLY) != 0)
		return -1;
	if (sqlite3_prepare_v2(store_sqlite(rd), "SELECT upto FROM ix.log_index_mark", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mark = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	store_close(rd);
	return mark;
}

/*
 * The log's index file is kept up to date by the checkpointer's thread,
 * in the background: after three steps' worth of leaves its mark reaches
 * at least three steps, and a query by subject through a reader finds
 * the subject's leaves. Reopened, the log keeps the index it has.
 */
static void test_index_thread(const char *path)
{
	enum {
		N = 3 * STORE_INDEX_STEP + 100
	};
	static struct leaf ls[N];
	auditlog *a = NULL;
	const char *why = NULL;
	int64_t mark = -1;
	uint8_t subject[LEAF_ID_BYTES];

	ok(new_db(path) == 0 && auditlog_open(&a, path, log_key, NULL, &why) == 0,
	   "index: log opens");
	if (a == NULL)
		return;
	randombytes_buf(subject, sizeof subject);
	for (int i = 0; i < N; i++) {
		test_verify_leaf(&ls[i], (uint64_t)i);
		if (i == 10 || i == N - 10) {
			ls[i].has_subject = 1;
			memcpy(ls[i].subject, subject, sizeof subject);
		}
	}
	is_int(auditlog_submit(a, ls, N, NULL, NULL, NULL), 0, "index: %d leaves appended", N);
	for (int t = 0; t < 500 && mark < 3 * STORE_INDEX_STEP; t++) {
		usleep(10000);
		mark = index_mark_of(path);
	}
	ok(mark >= 3 * STORE_INDEX_STEP && mark <= N,
	   "index: the checkpointer brought the index up to %lld within 5 s", (long long)mark);
	{
		store *rd = NULL;
		struct store_log_filter f;
		size_t n = 0;
		store_log_filter_init(&f);
		f.has_subject = 1;
		memcpy(f.subject, subject, sizeof f.subject);
		is_int(store_log_open(&rd, path, STORE_READONLY) == 0
			   ? store_log_query(rd, &f, count_leaf, &n)
			   : AK_EDB,
		       0, "index: a query by subject");
		is_int(n, 2, "finds both leaves that name the subject");
		store_close(rd);
	}
	auditlog_close(a);
	ok(auditlog_open(&a, path, log_key, NULL, &why) == 0, "index: the log reopens");
	ok(index_mark_of(path) >= mark, "and keeps its index (mark %lld)", (long long)mark);
	auditlog_close(a);
}

/* ------------------------------------- rehash at start-up; the scrubber */

/* The stored mark of verified leaves, or -1. */
static int mark_of(const char *path)
{
	return count_rows(path, "SELECT upto FROM log_verified WHERE one = 1");
}

/* Opens with the scrubber at rate (0: off); NULL on failure, with *why. */
static auditlog *open_with(const char *path, unsigned rate, const char **why)
{
	struct auditlog_config cfg;
	auditlog *a = NULL;

	auditlog_config_default(&cfg);
	cfg.checkpoint_ms = 0; /* a checkpoint after every commit */
	cfg.scrub_leaves_per_s = rate;
	*why = NULL;
	if (auditlog_open(&a, path, log_key, &cfg, why) != 0)
		return NULL;
	return a;
}

/* Appends n leaves, one operation each. */
static int append_n(auditlog *a, int n)
{
	struct leaf l;

	for (int i = 0; i < n; i++) {
		test_verify_leaf(&l, 900 + (uint64_t)i);
		if (auditlog_submit(a, &l, 1, NULL, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

/*
 * Attacker SQL that changes one byte of leaf idx: the first hex digit of
 * its subject, to another hex digit, so that the leaf still parses.
 */
static const char *flip_byte(char *sql, size_t cap, uint64_t idx)
{
#define T "CAST(leaf AS TEXT)"
#define P "(instr(" T ", ' verify ') + 8)"
	snprintf(sql, cap,
		 "UPDATE log_leaves SET leaf = CAST(substr(" T ", 1, " P " - 1) ||"
		 " CASE substr(" T ", " P ", 1) WHEN '0' THEN '1' ELSE '0' END ||"
		 " substr(" T ", " P " + 1) AS BLOB) WHERE idx = %llu",
		 (unsigned long long)idx);
#undef P
#undef T
	return sql;
}

/* Attacker SQL that swaps the bytes of leaves i and j, each row keeping
 * its stored hashes. */
static const char *swap_leaves(char *sql, size_t cap, uint64_t i, uint64_t j)
{
	snprintf(
	    sql, cap,
	    "CREATE TEMP TABLE was AS SELECT idx, leaf FROM log_leaves WHERE idx IN (%llu, %llu);"
	    " UPDATE log_leaves SET leaf = (SELECT leaf FROM was WHERE was.idx = %llu -"
	    " log_leaves.idx) WHERE idx IN (%llu, %llu)",
	    (unsigned long long)i, (unsigned long long)j, (unsigned long long)i + j,
	    (unsigned long long)i, (unsigned long long)j);
	return sql;
}

/* Attacker SQL that swaps rows i and j whole: bytes and stored hashes. */
static const char *swap_rows(char *sql, size_t cap, uint64_t i, uint64_t j)
{
	snprintf(sql, cap,
		 "UPDATE log_leaves SET idx = -1 WHERE idx = %llu;"
		 " UPDATE log_leaves SET idx = %llu WHERE idx = %llu;"
		 " UPDATE log_leaves SET idx = %llu WHERE idx = -1",
		 (unsigned long long)i, (unsigned long long)i, (unsigned long long)j,
		 (unsigned long long)j);
	return sql;
}

/*
 * Leaves written since the previous start are rehashed at the next one,
 * also under the newest checkpoint, where the self-check alone holds them
 * against the signed root through their stored hashes only. The log
 * here: 10 leaves, a start that verifies them (the mark at 10), then 10
 * more and a checkpoint at 20; the scrubber stays off, so the mark moves
 * only at a start.
 */
static void test_startup_rehash(const char *good)
{
	auditlog *a;
	const char *why;
	char bad[300], sql[600];

	db_path(bad, sizeof bad, "startup-bad.db");
	if (new_db(good) != 0 || (a = open_with(good, 0, &why)) == NULL || append_n(a, 10) != 0)
		bail_out("a log of 10 leaves");
	auditlog_close(a);
	is_int(mark_of(good), 0,
	       "start-up: a new log's mark is 0, and stays there without a start");
	ok((a = open_with(good, 0, &why)) != NULL,
	   "start-up: the log reopens, its 10 leaves rehashed");
	auditlog_close(a);
	is_int(mark_of(good), 10, "start-up: the mark moved to the size verified");
	if ((a = open_with(good, 0, &why)) == NULL || append_n(a, 10) != 0)
		bail_out("10 more leaves");
	auditlog_close(a);
	is_int(mark_of(good), 10, "start-up: leaves written since stay above the mark");
	{
		struct checkpoint cp;
		ok(newest_checkpoint(good, &cp) == 0 && cp.size == 20,
		   "start-up: the newest checkpoint signs all 20 leaves");
	}

	/* Each of these passes logcheck_self: the signed root is recomputed
	 * from stored hashes, which the attacker left alone. */
	tamper(good, bad, flip_byte(sql, sizeof sql, 15));
	{
		store *s = NULL;
		store_open(&s, bad, STORE_READONLY);
		is_int(logcheck_self(s, key_signer_verifier(log_key), &why, NULL), 0,
		       "one byte of leaf 15 changed: the self-check alone passes");
		store_close(s);
	}
	expect_refusal(bad, "does not match leaf 15",
		       "one byte of leaf 15, written since the previous start, changed");
	tamper(good, bad, swap_leaves(sql, sizeof sql, 12, 13));
	expect_refusal(bad, "does not match leaf 12", "the bytes of leaves 12 and 13 swapped");
	/* Rows 16 and 18 hold one hash each, so each carries its own leaf
	 * hash with it: the first stored hash that covers a moved leaf is the
	 * node (1, 8), completed by leaf 17. */
	tamper(good, bad, swap_rows(sql, sizeof sql, 16, 18));
	expect_refusal(bad, "level 1, index 8 does not match leaf 17",
		       "rows 16 and 18 swapped whole, hashes and all");

	/* Below the mark a start-up does not look: that is the scrubber's. */
	tamper(good, bad, flip_byte(sql, sizeof sql, 5));
	ok((a = open_with(bad, 0, &why)) != NULL,
	   "one byte of leaf 5, below the mark, changed: start-up passes");
	auditlog_close(a);
	/* The mark is only a starting point: set lower, start-up checks more. */
	snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "; UPDATE log_verified SET upto = 3");
	tamper(good, bad, sql);
	expect_refusal(bad, "does not match leaf 5", "the same with the mark set to 3");
	flip_byte(sql, sizeof sql, 5);
	snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "; DELETE FROM log_verified");
	tamper(good, bad, sql);
	expect_refusal(bad, "does not match leaf 5", "the same with the mark's row deleted");
	/* Set higher, it checks less, but never past the newest checkpoint. */
	flip_byte(sql, sizeof sql, 15);
	snprintf(
	    sql + strlen(sql), sizeof sql - strlen(sql),
	    "; DELETE FROM log_checkpoints WHERE size > 14; UPDATE log_verified SET upto = 1000");
	tamper(good, bad, sql);
	expect_refusal(bad, "does not match leaf 15",
		       "leaf 15 after the newest checkpoint changed, the mark set to 1000");
	tamper(good, bad, "UPDATE log_verified SET upto = 1000");
	ok((a = open_with(bad, 0, &why)) != NULL, "a mark past the end: the log opens");
	auditlog_close(a);
	is_int(mark_of(bad), 20, "and the mark is moved back to the size verified");
}

/* Waits (at most 20 s) until the scrubber has found a mismatch or has
 * completed `passes` passes. */
static void wait_scrub(auditlog *a, uint64_t passes, struct auditlog_stats *st)
{
	for (int t = 0; t < 2000; t++) {
		auditlog_stats(a, st);
		if (st->scrub.mismatch || st->scrub.passes >= passes)
			return;
		usleep(10000);
	}
}

/*
 * The scrubber, on changes below the mark that start-up does not look
 * at: it finds each in its first pass, at the leaf (or checkpoint) that
 * no longer matches, and from then on the writer refuses every write
 * with AK_ECORRUPT; the mark goes down to where it was found, so the
 * next start-up refuses the log too. The log: 40 leaves, a checkpoint
 * after nearly each, all below the mark.
 */
static void expect_scrub_finds(const char *bad, uint64_t at, const char *want_why,
			       const char *startup_why, const char *what)
{
	auditlog *a;
	const char *why;
	struct auditlog_stats st;
	struct leaf l;

	if (!ok((a = open_with(bad, 1000000, &why)) != NULL, "%s: start-up passes", what)) {
		diag("why: %s", why ? why : "(null)");
		return;
	}
	wait_scrub(a, 1, &st);
	ok(st.scrub.mismatch, "%s: the scrubber finds it", what);
	ok(st.scrub.passes == 0, "%s: in its first pass", what);
	is_int(st.scrub.mismatch_at, at, "%s: at %llu", what, (unsigned long long)at);
	if (!ok(strstr(st.scrub.why, want_why) != NULL, "%s: its why names it", what))
		diag("why: %s", st.scrub.why);
	ok(st.writes_refused, "%s: the stats say writes are refused", what);
	test_verify_leaf(&l, 1);
	is_int(auditlog_submit(a, &l, 1, NULL, NULL, NULL), AK_ECORRUPT,
	       "%s: the writer refuses a write with AK_ECORRUPT", what);
	auditlog_close(a);
	is_int(mark_of(bad), (int)at, "%s: the mark went down to %llu", what,
	       (unsigned long long)at);
	expect_refusal(bad, startup_why, what);
}

static void test_scrub(const char *good)
{
	auditlog *a;
	const char *why;
	struct auditlog_stats st;
	char bad[300], sql[600];
	uint8_t junk[32];
	int cps, mid;

	db_path(bad, sizeof bad, "scrub-bad.db");
	memset(junk, 0xcd, sizeof junk);
	if (new_db(good) != 0 || (a = open_with(good, 0, &why)) == NULL || append_n(a, 40) != 0)
		bail_out("a log of 40 leaves");
	auditlog_close(a);
	if ((a = open_with(good, 0, &why)) == NULL)
		bail_out("reopen");
	auditlog_close(a);
	is_int(mark_of(good), 40, "scrub: every leaf lies below the mark");
	cps = count_rows(good, "SELECT count(*) FROM log_checkpoints");
	mid = count_rows(good, "SELECT size FROM log_checkpoints WHERE size BETWEEN 15 AND 35"
			       " ORDER BY size LIMIT 1");
	if (cps < 3 || mid < 15)
		bail_out("checkpoints inside the log");

	/* A clean log: whole passes, every checkpoint held against its root. */
	ok((a = open_with(good, 1000000, &why)) != NULL, "scrub: a clean log opens");
	wait_scrub(a, 2, &st);
	ok(!st.scrub.mismatch && st.scrub.passes >= 2, "scrub: two whole passes, no mismatch");
	ok(st.scrub.leaves >= 80 && st.scrub.checkpoints >= 2 * (uint64_t)cps,
	   "scrub: every leaf and each of the %d checkpoints, in each pass", cps);
	ok(st.scrub.last_pass_ms > 0 && st.scrub.last_pass_ms <= util_now_ms() &&
	       st.scrub.verified >= 40 && st.scrub.leaves_per_s == 1000000,
	   "scrub: the stats say when and how far");
	ok(!st.writes_refused && append_n(a, 2) == 0, "scrub: writes go on");
	for (int t = 0; t < 2000 && st.scrub.verified < 42; t++) {
		usleep(10000);
		auditlog_stats(a, &st);
	}
	is_int(st.scrub.verified, 42, "scrub: a later pass verified the 2 new leaves too");
	auditlog_close(a);
	is_int(mark_of(good), 42, "scrub: the mark follows the scrubber");
	{
		a = open_with(good, 0, &why);
		auditlog_stats(a, &st);
		ok(st.scrub.leaves_per_s == 0 && st.scrub.passes == 0 && !st.writes_refused,
		   "scrub: rate 0 turns it off");
		auditlog_close(a);
	}

	tamper(good, bad, flip_byte(sql, sizeof sql, 7));
	expect_scrub_finds(bad, 7, "level 0, index 7 does not match leaf 7",
			   "level 0, index 7 does not match leaf 7",
			   "scrub: one byte of leaf 7 changed");
	tamper(good, bad, swap_leaves(sql, sizeof sql, 7, 8));
	expect_scrub_finds(bad, 7, "level 0, index 7 does not match leaf 7",
			   "level 0, index 7 does not match leaf 7",
			   "scrub: the bytes of leaves 7 and 8 swapped");
	/* Rows 4 and 6 carry their leaf hashes with them. The first thing
	 * that covers a moved leaf is the checkpoint at size 5, if there is
	 * one (the scrubber reads it before leaf 5), else node (1, 2), stored
	 * with leaf 5, which is where a start-up from the mark sees it. */
	tamper(good, bad, swap_rows(sql, sizeof sql, 4, 6));
	expect_scrub_finds(bad, 5,
			   count_rows(good, "SELECT count(*) FROM log_checkpoints WHERE size = 5")
			       ? "the checkpoint at size 5 signs a root that the leaves below it"
			       : "level 1, index 2 does not match leaf 5",
			   "level 1, index 2 does not match leaf 5",
			   "scrub: rows 4 and 6 swapped whole");
	tamper(good, bad,
	       "UPDATE log_leaves SET leaf = CAST('ankang/v1 1 nonsense' || char(10) AS BLOB)"
	       " WHERE idx = 9");
	expect_scrub_finds(bad, 9, "leaf 9 is not a well-formed entry",
			   "leaf 9 is not a well-formed entry",
			   "scrub: leaf 9 replaced by bytes that do not parse");

	/* A checkpoint under the newest: start-up reads only the newest. */
	snprintf(sql, sizeof sql, "DELETE FROM log_checkpoints WHERE size = %d", mid);
	tamper(good, bad, sql);
	insert_signed(bad, log_key, (uint64_t)mid, junk);
	{
		char what[120];
		snprintf(what, sizeof what,
			 "scrub: the checkpoint at %d re-signed over another root with the log key",
			 mid);
		/* Its size is where the mark goes: the leaves below it match. */
		a = open_with(bad, 1000000, &why);
		ok(a != NULL, "%s: start-up passes", what);
		if (a != NULL) {
			wait_scrub(a, 1, &st);
			ok(st.scrub.mismatch && st.scrub.passes == 0 &&
			       st.scrub.mismatch_at == (uint64_t)mid,
			   "%s: found in the first pass, at its size", what);
			ok(strstr(st.scrub.why, "signs a root that the leaves below it do not") !=
			       NULL,
			   "%s: its why says so", what);
			ok(st.writes_refused, "%s: writes are refused", what);
			auditlog_close(a);
		}
	}
	tamper(good, bad, sql);
	insert_signed(bad, other_key, (uint64_t)mid, junk);
	a = open_with(bad, 1000000, &why);
	ok(a != NULL,
	   "scrub: a checkpoint under the newest signed by another key: start-up passes");
	if (a != NULL) {
		wait_scrub(a, 1, &st);
		ok(st.scrub.mismatch && st.scrub.mismatch_at == (uint64_t)mid &&
		       strstr(st.scrub.why, "is not signed by the log key") != NULL,
		   "scrub: and the scrubber finds it");
		auditlog_close(a);
	}
}

int main(void)
{
	uint8_t seed[KEY_SEED_BYTES];
	char p1[300], p2[300], p3[300], p4[300], p5[300], p6[300], p7[300], p8[300], p9[300];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	memset(seed, 7, sizeof seed);
	if (key_signer_from_seed(&log_key, "test.example/audit", seed) != 0)
		bail_out("log key");
	memset(seed, 8, sizeof seed);
	if (key_signer_from_seed(&other_key, "test.example/audit", seed) != 0)
		bail_out("other key");
	db_path(p1, sizeof p1, "basic.db");
	db_path(p2, sizeof p2, "rollback.db");
	db_path(p3, sizeof p3, "many.db");
	db_path(p4, sizeof p4, "two.db");
	db_path(p5, sizeof p5, "async.db");
	db_path(p6, sizeof p6, "edits.db");
	db_path(p7, sizeof p7, "index.db");
	db_path(p8, sizeof p8, "startup.db");
	db_path(p9, sizeof p9, "scrub.db");

	test_basic(p1);
	test_rollback(p2);
	test_change_edits(p6);
	test_concurrency(p3);
	test_tamper(p1);
	test_two_writers(p4);
	test_async(p5);
	test_index_thread(p7);
	test_startup_rehash(p8);
	test_scrub(p9);

	key_signer_free(log_key);
	key_signer_free(other_key);
	{
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
