/*
 * test_store_backends: the audit log's store functions that the writer
 * needs, checked the same way on SQLite and on PostgreSQL
 * (docs/MULTINODE.md): appends (with the hashes computed from the stored
 * ones, and given), reading leaves and nodes back, the root they make,
 * refusing an index that is not the next one, checkpoints (one a size),
 * the mark of verified leaves, transactions and savepoints; on
 * PostgreSQL, two connections racing for one index; and that the
 * service's connection cannot UPDATE, DELETE (or on PostgreSQL TRUNCATE)
 * a leaf or a checkpoint: SQLite's authorizer, PostgreSQL's grants; and
 * behind them, for whoever may write, the schema's triggers.
 *
 * SQLite always runs. PostgreSQL runs when ANKANG_PG_URL (the owner, who
 * runs the migrations) and ANKANG_PG_SERVICE_URL (a node in the group
 * ankang_service) are set, as tests/sh/store_pg.sh does with a cluster of
 * its own (tests/lib/pg.sh); without them it says so and checks SQLite
 * alone. Then the audit log's writer (log/auditlog.h) runs on a fresh
 * database of each (for PostgreSQL the databases ankang_writer and
 * ankang_heads on the cluster's socket, ANKANG_PG_SOCK): appends, signs, closes, and opens again
 * through its start-up self-check; and two writers share a head, a signer swaps, a leader is
 * elected. The leaves are made up; no personal data anywhere.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "log/auditlog.h"
#include "log/logcheck.h"
#include "log/schema.h"
#include "log/store.h"
#include "log/store_int.h"
#include "log/store_pg.h"
#include "tests/lib/tap.h"

#define LEAVES 13 /* a size with three set bits: a root of three subtrees */

struct backend {
	const char *name;
	const char *owner; /* opened with STORE_CREATE: runs the migrations */
	const char *node;  /* the service's connection */
};

static char dir[] = "/tmp/ankang-test-backends.XXXXXX";
static char sqlite_path[256], sqlite_writer[256], sqlite_heads[256], sqlite_two[256];
static char leaves[LEAVES][LEAF_MAX + 1];
static size_t lens[LEAVES];
static merkle_hash want_root;
/* The root each backend stored, to compare them with each other. */
static merkle_hash roots[2];
static key_signer *log_key;

static void make_leaves(void)
{
	struct merkle_range r;

	merkle_range_init(&r);
	for (int i = 0; i < LEAVES; i++) {
		struct leaf l;
		merkle_hash h;
		int n;

		memset(&l, 0, sizeof l);
		l.time_ms = 1700000000000ull + (uint64_t)i;
		l.role = ROLE_VERIFIER;
		l.actor_id = 7;
		l.action = ACT_VERIFY;
		l.result = RES_OK;
		l.detail = DET_EMPTY;
		n = leaf_format(leaves[i], &l);
		if (n <= 0)
			bail_out("leaf_format");
		lens[i] = (size_t)n;
		merkle_leaf_hash(h, (const uint8_t *)leaves[i], lens[i]);
		if (merkle_range_append(&r, h, NULL, NULL) != 0)
			bail_out("merkle_range_append");
	}
	merkle_range_root(&r, want_root);
}

/*
 * What the backend answers to sql on the raw connection: "ok", or why
 * not: "denied" (SQLite's authorizer, PostgreSQL's missing privilege),
 * "trigger" (the schema's triggers), "other".
 */
static const char *raw(store *s, const char *sql)
{
	if (s->pg != NULL) {
		PGresult *r = PQexec(s->pg, sql);
		ExecStatusType t = PQresultStatus(r);
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *v = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? "ok"
				: st != NULL && strcmp(st, "42501") == 0      ? "denied"
				: st != NULL && strcmp(st, "P0001") == 0      ? "trigger"
									      : "other";
		PQclear(r);
		return v;
	}
	switch (sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL) & 0xff) {
	case SQLITE_OK:
		return "ok";
	case SQLITE_AUTH:
		return "denied";
	case SQLITE_CONSTRAINT:
		return "trigger";
	default:
		return "other";
	}
}

/* A connection that is not the service's: SQLite's raw, with the
 * triggers on and no authorizer; PostgreSQL's owner. */
static int open_other(const struct backend *b, store **s, sqlite3 **db)
{
	*s = NULL;
	*db = NULL;
	if (b->owner != b->node)
		return store_open(s, b->owner, 0);
	return sqlite3_open_v2(sqlite_path, db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK ? 0
											  : AK_EDB;
}

static const char *raw_other(store *s, sqlite3 *db, const char *sql)
{
	if (s != NULL)
		return raw(s, sql);
	switch (sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff) {
	case SQLITE_OK:
		return "ok";
	case SQLITE_CONSTRAINT:
		return "trigger";
	default:
		return "other";
	}
}

static void test_appends(const struct backend *b, store *s, int k)
{
	uint64_t n = 99;
	char *got = NULL;
	size_t len = 0;
	merkle_hash h, root;
	int same = 1;

	ok(store_log_size(s, &n) == 0 && n == 0, "%s: a new log is empty", b->name);
	/* Leaves 0..3 one by one, each its own statement. */
	for (uint64_t i = 0; i < 4; i++)
		if (store_log_append(s, i, leaves[i], lens[i]) != 0)
			same = 0;
	ok(same, "%s: store_log_append appends leaves 0..3 (hashes from the stored ones)", b->name);
	/* The rest in a transaction, one of them rolled back to its
	 * savepoint first and then appended again. */
	ok(store_begin(s) == 0 && store_in_transaction(s), "%s: a transaction begins", b->name);
	ok(store_savepoint(s) == 0 && store_log_append(s, 4, leaves[4], lens[4]) == 0 &&
	       store_rollback_to(s) == 0 && store_release(s) == 0,
	   "%s: an append rolled back to its savepoint", b->name);
	ok(store_log_size(s, &n) == 0 && n == 4, "%s: leaves nothing behind", b->name);
	same = 1;
	for (uint64_t i = 4; i < LEAVES; i++)
		if (store_log_append(s, i, leaves[i], lens[i]) != 0)
			same = 0;
	ok(same && store_commit(s) == 0 && !store_in_transaction(s),
	   "%s: leaves 4..%d appended and committed", b->name, LEAVES - 1);
	ok(store_log_size(s, &n) == 0 && n == LEAVES, "%s: the size is %d", b->name, LEAVES);

	same = 1;
	for (uint64_t i = 0; i < LEAVES; i++) {
		merkle_hash stored;
		if (store_log_get_leaf(s, i, &got, &len) != 0 || len != lens[i] ||
		    memcmp(got, leaves[i], len) != 0 || got[len] != '\0')
			same = 0;
		free(got);
		got = NULL;
		merkle_leaf_hash(h, (const uint8_t *)leaves[i], lens[i]);
		if (store_log_get_node(s, 0, i, stored) != 0 || memcmp(stored, h, sizeof h) != 0)
			same = 0;
	}
	ok(same, "%s: every leaf and its leaf hash read back as written", b->name);
	ok(store_log_get_leaf(s, LEAVES, &got, &len) == AK_ENOENT && got == NULL,
	   "%s: no leaf past the end", b->name);
	ok(store_log_get_node(s, 2, 3, h) == AK_ENOENT, "%s: no node whose last leaf is not stored",
	   b->name);
	ok(merkle_root(root, LEAVES, store_log_get_node, s) == 0 &&
	       memcmp(root, want_root, sizeof root) == 0,
	   "%s: the root from the stored hashes is the leaves' root", b->name);
	memcpy(roots[k], root, sizeof root);
	merkle_leaf_hash(h, (const uint8_t *)leaves[2], lens[2]);
	ok(store_log_put_node(s, 0, 2, h) == 0 && store_log_put_node(s, 0, 3, h) == AK_EDENIED,
	   "%s: store_log_put_node knows a stored node from another", b->name);
}

static void test_refusals(const struct backend *b, store *s)
{
	merkle_hash h[1];
	uint64_t n = 0;

	ok(store_log_append(s, LEAVES + 1, leaves[0], lens[0]) == AK_EDENIED,
	   "%s: an append past the next index is refused", b->name);
	ok(store_log_append(s, 3, leaves[0], lens[0]) == AK_EDENIED,
	   "%s: an append at a taken index is refused", b->name);
	merkle_leaf_hash(h[0], (const uint8_t *)leaves[0], lens[0]);
	ok(store_log_append_hashed(s, 4, leaves[0], lens[0], h, 1) == AK_EDENIED,
	   "%s: store_log_append_hashed at a taken index is refused", b->name);
	/* 13 ends in one set bit: its row holds two hashes, not one. */
	ok(store_log_append_hashed(s, LEAVES, leaves[0], lens[0], h, 1) == AK_EINVAL,
	   "%s: a count of hashes that does not fit the index is refused", b->name);
	ok(store_log_size(s, &n) == 0 && n == LEAVES, "%s: the size is still %d", b->name, LEAVES);
}

static void test_checkpoints(const struct backend *b, store *s)
{
	uint64_t size = 0, upto = 0;
	char *note = NULL;
	size_t len = 0;

	ok(store_log_last_checkpoint(s, &size, &note, &len) == AK_ENOENT && note == NULL,
	   "%s: no checkpoint yet", b->name);
	ok(store_log_put_checkpoint(s, 4, "note four\n", 10, 1) == 0 &&
	       store_log_put_checkpoint(s, LEAVES, "note thirteen\n", 14, 2) == 0,
	   "%s: two checkpoints stored", b->name);
	ok(store_log_put_checkpoint(s, 4, "another four\n", 13, 3) == AK_EDENIED,
	   "%s: a second checkpoint of one size is refused", b->name);
	ok(store_log_last_checkpoint(s, &size, &note, &len) == 0 && size == LEAVES && len == 14 &&
	       strcmp(note, "note thirteen\n") == 0,
	   "%s: the newest is the largest", b->name);
	free(note);
	note = NULL;
	ok(store_log_checkpoint_at(s, 4, &note, &len) == 0 && len == 10 &&
	       strcmp(note, "note four\n") == 0,
	   "%s: the one at size 4 is the first, unchanged", b->name);
	free(note);
	note = NULL;
	ok(store_log_checkpoint_from(s, 5, &size, &note, &len) == 0 && size == LEAVES,
	   "%s: the first from size 5 is at %d", b->name, LEAVES);
	free(note);
	note = NULL;
	ok(store_log_checkpoint_at(s, 5, &note, &len) == AK_ENOENT &&
	       store_log_checkpoint_from(s, LEAVES + 1, &size, &note, &len) == AK_ENOENT,
	   "%s: none where there is none", b->name);
	ok(store_log_verified(s, &upto) == 0 && upto == 0 && store_log_set_verified(s, 9) == 0 &&
	       store_log_verified(s, &upto) == 0 && upto == 9,
	   "%s: the mark of verified leaves moves", b->name);
}

static void test_guards(const struct backend *b, store *s)
{
	static const char *const writes[] = {
	    "UPDATE log_leaves SET leaf = leaf WHERE idx = 0",
	    "DELETE FROM log_leaves WHERE idx = 12",
	    "UPDATE log_checkpoints SET note = note WHERE size = 4",
	    "DELETE FROM log_checkpoints WHERE size = 4",
	};
	store *other = NULL;
	sqlite3 *db = NULL;
	char *got = NULL, *note = NULL;
	size_t len = 0, nlen = 0;
	uint64_t n = 0;

	for (size_t i = 0; i < AK_ARRAY_LEN(writes); i++)
		is_str(raw(s, writes[i]), "denied", "%s: the service's connection: %s", b->name,
		       writes[i]);
	if (s->pg != NULL) {
		is_str(raw(s, "TRUNCATE log_leaves"), "denied",
		       "%s: the service's role may not TRUNCATE leaves", b->name);
		is_str(raw(s, "TRUNCATE log_checkpoints"), "denied", "%s: nor checkpoints",
		       b->name);
		is_str(raw(s, "ALTER TABLE log_leaves DISABLE TRIGGER USER"), "denied",
		       "%s: nor switch the log's triggers off", b->name);
		is_str(raw(s, "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (20, 'x', "
			      "decode(repeat('00', 32), 'hex'))"),
		       "trigger", "%s: a raw insert out of order meets the trigger", b->name);
	}
	if (!ok(open_other(b, &other, &db) == 0, "%s: a connection with more rights opens",
		b->name))
		return;
	for (size_t i = 0; i < AK_ARRAY_LEN(writes); i++)
		is_str(raw_other(other, db, writes[i]), "trigger",
		       "%s: the triggers stop it elsewhere too: %s", b->name, writes[i]);
	if (other != NULL)
		is_str(raw_other(other, db, "TRUNCATE log_leaves"), "trigger",
		       "%s: the owner's TRUNCATE meets the trigger", b->name);
	store_close(other);
	sqlite3_close(db);
	ok(store_log_size(s, &n) == 0 && n == LEAVES && store_log_get_leaf(s, 0, &got, &len) == 0 &&
	       len == lens[0] && memcmp(got, leaves[0], len) == 0 &&
	       store_log_checkpoint_at(s, 4, &note, &nlen) == 0 && nlen == 10,
	   "%s: the log is as it was", b->name);
	free(got);
	free(note);
	note = NULL;
}

/* PostgreSQL alone: a transaction that failed is not committed, and the
 * schema's version is this build's. */
static void test_pg_only(const struct backend *b, store *s)
{
	PGresult *r;
	merkle_hash h[1];
	uint64_t n = 0;
	char want[16];

	/* The server refuses the second (the order trigger), which fails
	 * the whole transaction. */
	merkle_leaf_hash(h[0], (const uint8_t *)leaves[0], lens[0]);
	ok(store_begin(s) == 0 && store_log_append(s, LEAVES, leaves[0], lens[0]) == 0 &&
	       store_log_append_hashed(s, LEAVES + 5, leaves[0], lens[0], h, 1) == AK_EDENIED &&
	       store_commit(s) == AK_EDB && !store_in_transaction(s),
	   "%s: COMMIT of a transaction that failed is a failure", b->name);
	ok(store_log_size(s, &n) == 0 && n == LEAVES, "%s: and nothing of it is stored", b->name);
	snprintf(want, sizeof want, "%d", schema_pg_version);
	r = PQexec(s->pg, "SELECT version FROM ankang_schema");
	ok(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	       strcmp(PQgetvalue(r, 0, 0), want) == 0,
	   "%s: the schema is at version %d", b->name, schema_pg_version);
	PQclear(r);
}

/*
 * PostgreSQL alone: two front-ends' connections racing for one index.
 * The first appends leaf n in a transaction it has not committed; the
 * second's append of n waits for it (the primary key), as a thread here;
 * a third connection of the same role (pg_stat_activity hides the wait
 * of other roles' sessions) sees it waiting. If the first commits, the second is
 * refused; if the first rolls back, the second gets n. Either way one
 * leaf at n, never two.
 */
struct racer {
	store *s;
	uint64_t idx;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	merkle_hash h[3];

	/* The hashes are made up: the index, not the tree, is at stake, and
	 * the row's count is what the schema checks. */
	memset(h, 0x5a, sizeof h);
	r->rc =
	    store_log_append_hashed(r->s, r->idx, leaves[0], lens[0], h, store_hashes_at(r->idx));
	return NULL;
}

/* 1 once the session pid is waiting for a lock (bounded). */
static int waits_for_lock(store *watch, int pid)
{
	char sql[128];

	snprintf(sql, sizeof sql,
		 "SELECT 1 FROM pg_stat_activity WHERE pid = %d AND wait_event_type = 'Lock'", pid);
	for (int i = 0, tries = patience(3000); i < tries; i++) {
		PGresult *r = PQexec(watch->pg, sql);
		int n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1;
		PQclear(r);
		if (n != 0)
			return n > 0;
		usleep(10000);
	}
	return 0;
}

static void test_pg_race(const struct backend *b, int commit_first)
{
	store *first = NULL, *second = NULL, *watch = NULL;
	struct racer r = {0};
	pthread_t t;
	uint64_t n = 0, after = 0;
	merkle_hash h[3];
	int rc;

	store_open(&first, b->node, 0);
	store_open(&second, b->node, 0);
	store_open(&watch, b->node, 0);
	ok(first != NULL && second != NULL && watch != NULL,
	   "%s race: two front-ends' connections and a watcher", b->name);
	if (first == NULL || second == NULL || watch == NULL)
		goto out;
	memset(h, 0x5a, sizeof h);
	if (store_log_size(first, &n) != 0)
		n = UINT64_MAX;
	ok(store_begin(first) == 0 &&
	       store_log_append_hashed(first, n, leaves[0], lens[0], h, store_hashes_at(n)) == 0,
	   "%s race: the first appends leaf %" PRIu64 " and holds it uncommitted", b->name, n);
	r.s = second;
	r.idx = n;
	rc = pthread_create(&t, NULL, race, &r);
	ok(rc == 0, "%s race: the second tries the same", b->name);
	if (rc != 0)
		goto out;
	ok(waits_for_lock(watch, PQbackendPID(second->pg)),
	   "%s race: the second waits for the first", b->name);
	if (commit_first) {
		ok(store_commit(first) == 0, "%s race: the first commits", b->name);
		pthread_join(t, NULL);
		is_int(r.rc, AK_EDENIED, "%s race: the second is refused", b->name);
	} else {
		ok(store_rollback(first) == 0, "%s race: the first rolls back", b->name);
		pthread_join(t, NULL);
		is_int(r.rc, 0, "%s race: the second gets the index", b->name);
	}
	ok(store_log_size(watch, &after) == 0 && after == n + 1,
	   "%s race: one leaf at %" PRIu64 ", the log one longer", b->name, n);
out:
	store_close(first);
	store_close(second);
	store_close(watch);
}

static void run(const struct backend *b, int k)
{
	store *owner = NULL, *s = NULL, *ro = NULL;

	ok(store_open(&s, b->node, 0) == AK_ENOENT && s == NULL,
	   "%s: before the owner made the schema there is no store", b->name);
	if (store_pg_is_url(b->node))
		ok(strstr(store_open_why(), "no ankang schema") != NULL,
		   "%s: and store_open_why says so", b->name);
	if (!ok(store_open(&owner, b->owner, STORE_CREATE) == 0, "%s: the owner opens and migrates",
		b->name))
		return;
	store_close(owner);
	ok(store_open(&owner, b->owner, STORE_CREATE) == 0,
	   "%s: opening again applies nothing twice", b->name);
	store_close(owner);
	if (!ok(store_open(&s, b->node, 0) == 0, "%s: the service's connection opens", b->name))
		return;
	test_appends(b, s, k);
	test_refusals(b, s);
	test_checkpoints(b, s);
	test_guards(b, s);
	if (s->pg != NULL) {
		test_pg_only(b, s);
		test_pg_race(b, 1);
		test_pg_race(b, 0);
	}
	ok(store_open(&ro, b->node, STORE_READONLY) == 0 &&
	       store_log_append(ro, LEAVES, leaves[0], lens[0]) != 0,
	   "%s: a read-only connection appends nothing", b->name);
	store_close(ro);
	store_close(s);
}

/*
 * Two writers' heads on a fresh database (store_log_head_lock): the
 * first appends three leaves and sets the head; on PostgreSQL the
 * second's lock, taken meanwhile, waits and then finds the first's size
 * and range (on SQLite it comes after: one write transaction at a time);
 * a head that disagrees with the leaves is refused; the signer's
 * compare-and-swap; the leader lock, which a closed connection gives up.
 */
struct header {
	store *s;
	struct merkle_range r;
	int rc;
};

static void *take_head(void *arg)
{
	struct header *h = arg;

	h->rc = store_begin(h->s);
	if (h->rc == 0)
		h->rc = store_log_head_lock(h->s, &h->r);
	return NULL;
}

static int append_ranged(store *s, struct merkle_range *r, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++) {
		merkle_hash h;
		int rc;
		if ((rc = store_log_append(s, i, leaves[i], lens[i])) != 0)
			return rc;
		merkle_leaf_hash(h, (const uint8_t *)leaves[i], lens[i]);
		if ((rc = merkle_range_append(r, h, NULL, NULL)) != 0)
			return rc;
	}
	return 0;
}

static void test_heads(const struct backend *b)
{
	store *w1 = NULL, *w2 = NULL, *watch = NULL;
	struct header two = {0};
	struct merkle_range r;
	merkle_hash root, stored;
	uint64_t size = 99;
	int pg = store_pg_is_url(b->node), held = -1, rc;
	pthread_t t;

	if (!ok(store_open(&w1, b->owner, STORE_CREATE) == 0, "%s heads: a fresh database",
		b->name))
		return;
	store_close(w1);
	w1 = NULL;
	store_open(&w1, b->node, 0);
	store_open(&w2, b->node, 0);
	store_open(&watch, b->node, 0);
	ok(w1 != NULL && w2 != NULL && watch != NULL, "%s heads: two writers and a watcher",
	   b->name);
	if (w1 == NULL || w2 == NULL || watch == NULL)
		goto out;
	merkle_range_init(&r);
	merkle_range_init(&two.r);
	ok(store_log_head_lock(w1, &r) == AK_EINVAL, "%s heads: only inside a transaction",
	   b->name);
	ok(store_begin(w1) == 0 && store_log_head_lock(w1, &r) == 0 && r.size == 0,
	   "%s heads: the first writer locks the empty log's head", b->name);
	ok(append_ranged(w1, &r, 0, 3) == 0 && store_log_head_set(w1, &r) == 0,
	   "%s heads: appends three and sets the head", b->name);
	two.s = w2;
	if (pg) {
		rc = pthread_create(&t, NULL, take_head, &two);
		ok(rc == 0 && waits_for_lock(watch, PQbackendPID(w2->pg)),
		   "%s heads: the second writer's lock waits", b->name);
		ok(store_commit(w1) == 0, "%s heads: the first commits", b->name);
		if (rc == 0)
			pthread_join(t, NULL);
	} else {
		ok(store_commit(w1) == 0, "%s heads: the first commits", b->name);
		take_head(&two);
	}
	ok(two.rc == 0 && two.r.size == 3 && two.r.depth == r.depth &&
	       memcmp(two.r.stack, r.stack, r.depth * MERKLE_HASH_BYTES) == 0,
	   "%s heads: the second finds the first's size and range", b->name);
	ok(append_ranged(w2, &two.r, 3, 5) == 0 && store_log_head_set(w2, &two.r) == 0 &&
	       store_commit(w2) == 0,
	   "%s heads: and appends after them", b->name);
	merkle_range_root(&two.r, root);
	ok(store_begin(watch) == 0 && store_log_head_lock(watch, &r) == 0 && r.size == 5 &&
	       merkle_root(stored, 5, store_log_get_node, watch) == 0 &&
	       memcmp(stored, root, sizeof root) == 0,
	   "%s heads: the head's range is the stored tree's", b->name);
	store_rollback(watch);
	if (pg) {
		ok(store_begin(watch) == 0 &&
		       strcmp(raw(watch, "UPDATE log_head SET size = 4 WHERE one"), "ok") == 0 &&
		       store_log_head_lock(watch, &r) == AK_ECORRUPT,
		   "%s heads: a head that disagrees with the leaves is refused", b->name);
		store_rollback(watch);
	}

	ok(store_begin(w1) == 0 && store_log_signer_lock(w1, &size) == 0 && size == 0 &&
	       store_log_signer_swap(w1, 0, 5, root) == 0 && store_commit(w1) == 0,
	   "%s heads: the signer's swap from 0 to 5", b->name);
	ok(store_begin(w2) == 0 && store_log_signer_lock(w2, &size) == 0, "%s heads: locked again",
	   b->name);
	if (pg) {
		is_int(size, 5, "%s heads: the signer's row says 5", b->name);
		is_int(store_log_signer_swap(w2, 0, 6, root), AK_ECONFLICT,
		       "%s heads: a swap from a stale size is refused", b->name);
	}
	store_rollback(w2);

	ok(store_log_leader_try(w1, "ankang.test", &held) == 0 && held == 1 &&
	       store_log_leader_try(w1, "ankang.test", &held) == 0 && held == 1,
	   "%s heads: the first takes the leader lock, and holds it", b->name);
	ok(store_log_leader_try(w2, "ankang.test", &held) == 0 && held == !pg,
	   pg ? "%s heads: the second does not get it" : "%s heads: one node always leads",
	   b->name);
	store_close(w1);
	w1 = NULL;
	/* The server ends the first's session after its connection closed,
	 * not with it: the second polls, as a standby does (bounded). */
	held = 0;
	rc = 0;
	for (int i = 0, tries = patience(3000); i < tries && rc == 0 && !held; i++)
		if ((rc = store_log_leader_try(w2, "ankang.test", &held)) == 0 && !held)
			usleep(10000);
	ok(rc == 0 && held == 1, "%s heads: once the first's connection ends, the second gets it",
	   b->name);
out:
	store_close(w1);
	store_close(w2);
	store_close(watch);
}

/*
 * The writer on a fresh database: WRITES one-leaf operations, their
 * indices contiguous from 0; the head as they left it; a checkpoint of it
 * on close; and an opening again that passes the self-check and finds
 * the same head.
 */
#define WRITES 20
/* Then so many more asynchronously, in the writer's batches: past one
 * page of store_pg_log_rows (1000), which the checks then read whole. */
#define BULK 1100

static struct leaf bulk[BULK];
static int bulk_done, bulk_failed;

static void bulk_cb(void *arg, int rc, uint64_t first_index)
{
	(void)arg;
	(void)first_index;
	if (rc != 0)
		__atomic_add_fetch(&bulk_failed, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&bulk_done, 1, __ATOMIC_SEQ_CST);
}

static void make_verify_leaf(struct leaf *l)
{
	memset(l, 0, sizeof *l);
	l->role = ROLE_VERIFIER;
	l->actor_id = 7;
	l->action = ACT_VERIFY;
	l->result = RES_OK;
	l->detail = DET_EMPTY;
}

static void test_writer(const struct backend *b)
{
	auditlog *a = NULL;
	store *s = NULL;
	const char *why = NULL;
	merkle_hash root, again;
	uint64_t size = 0, first, cp = 0;
	char *note = NULL;
	size_t len = 0;
	int in_order = 1;

	if (!ok(store_open(&s, b->owner, STORE_CREATE) == 0, "%s writer: a fresh database",
		b->name))
		return;
	store_close(s);
	s = NULL;
	if (!ok(auditlog_open(&a, b->node, log_key, NULL, &why) == 0,
		"%s writer: the audit log opens on it", b->name)) {
		diag("%s", why != NULL ? why : "(no reason)");
		return;
	}
	for (uint64_t i = 0; i < WRITES; i++) {
		struct leaf l;
		make_verify_leaf(&l);
		if (auditlog_submit(a, &l, 1, NULL, NULL, &first) != 0 || first != i)
			in_order = 0;
	}
	ok(in_order, "%s writer: %d operations durable at indices 0..%d", b->name, WRITES,
	   WRITES - 1);
	__atomic_store_n(&bulk_done, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&bulk_failed, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < BULK; i++) {
		make_verify_leaf(&bulk[i]);
		if (auditlog_submit_async(a, &bulk[i], 1, NULL, NULL, bulk_cb, NULL) != 0)
			bulk_cb(NULL, AK_EDB, 0);
	}
	/* Bounded: a minute at most, whatever the machine. */
	for (int i = 0, tries = patience(6000);
	     i < tries && __atomic_load_n(&bulk_done, __ATOMIC_SEQ_CST) < BULK; i++)
		usleep(10000);
	ok(__atomic_load_n(&bulk_done, __ATOMIC_SEQ_CST) == BULK &&
	       __atomic_load_n(&bulk_failed, __ATOMIC_SEQ_CST) == 0,
	   "%s writer: %d more, in batches, all durable", b->name, BULK);
	auditlog_head(a, &size, root);
	is_int(size, WRITES + BULK, "%s writer: the head's size", b->name);
	auditlog_close(a);
	a = NULL;

	if (ok(store_open(&s, b->node, STORE_READONLY) == 0, "%s writer: a reader opens",
	       b->name)) {
		ok(store_log_last_checkpoint(s, &cp, &note, &len) == 0 && cp == WRITES + BULK,
		   "%s writer: the newest checkpoint signs all %d", b->name, WRITES + BULK);
		free(note);
		why = NULL;
		ok(logcheck_full(s, key_signer_verifier(log_key), &why) == 0,
		   "%s writer: every leaf rehashes to its stored hashes and the signed root",
		   b->name);
		store_close(s);
	}
	why = NULL;
	if (!ok(auditlog_open(&a, b->node, log_key, NULL, &why) == 0,
		"%s writer: opens again through its self-check", b->name)) {
		diag("%s", why != NULL ? why : "(no reason)");
		return;
	}
	auditlog_head(a, &size, again);
	ok(size == WRITES + BULK && memcmp(root, again, sizeof root) == 0,
	   "%s writer: with the same head", b->name);
	auditlog_close(a);
}

/*
 * Two writers on one log, as two front-ends on one database (or, on
 * SQLite, `ankangd issue` beside a running service): both submit at
 * once; every operation is durable at an index of its own, the indices
 * run 0..2 * PER_WRITER - 1 without a gap, and the log checks whole.
 */
#define PER_WRITER 400

static struct leaf two_leaves[2][PER_WRITER];
static unsigned char seen[2 * PER_WRITER];
static int two_done, two_failed, two_stray;

static void two_cb(void *arg, int rc, uint64_t first_index)
{
	(void)arg;
	if (rc != 0)
		__atomic_add_fetch(&two_failed, 1, __ATOMIC_SEQ_CST);
	else if (first_index < 2 * PER_WRITER)
		__atomic_add_fetch(&seen[first_index], 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&two_stray, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&two_done, 1, __ATOMIC_SEQ_CST);
}

static void test_two_writers(const struct backend *b)
{
	auditlog *a[2] = {NULL, NULL};
	store *s = NULL;
	struct store_log_counts c = {0};
	const char *why = NULL;
	int once = 1;

	if (!ok(store_open(&s, b->owner, STORE_CREATE) == 0, "%s two writers: a fresh database",
		b->name))
		return;
	store_close(s);
	s = NULL;
	for (int w = 0; w < 2; w++)
		if (auditlog_open(&a[w], b->node, log_key, NULL, &why) != 0)
			diag("%s", why != NULL ? why : "(no reason)");
	ok(a[0] != NULL && a[1] != NULL, "%s two writers: both open the log", b->name);
	if (a[0] == NULL || a[1] == NULL)
		goto out;
	memset(seen, 0, sizeof seen);
	two_done = two_failed = two_stray = 0;
	for (int i = 0; i < PER_WRITER; i++)
		for (int w = 0; w < 2; w++) {
			make_verify_leaf(&two_leaves[w][i]);
			if (auditlog_submit_async(a[w], &two_leaves[w][i], 1, NULL, NULL, two_cb,
						  NULL) != 0)
				two_cb(NULL, AK_EDB, 0);
		}
	for (int i = 0, tries = patience(6000);
	     i < tries && __atomic_load_n(&two_done, __ATOMIC_SEQ_CST) < 2 * PER_WRITER; i++)
		usleep(10000);
	ok(__atomic_load_n(&two_done, __ATOMIC_SEQ_CST) == 2 * PER_WRITER && two_failed == 0 &&
	       two_stray == 0,
	   "%s two writers: all %d operations durable", b->name, 2 * PER_WRITER);
	for (int i = 0; i < 2 * PER_WRITER; i++)
		if (__atomic_load_n(&seen[i], __ATOMIC_SEQ_CST) != 1)
			once = 0;
	ok(once, "%s two writers: each index given once, none skipped", b->name);
	if (store_pg_is_url(b->node)) {
		struct auditlog_stats st0, st1;
		struct leaf l;
		uint64_t first;
		int took = 0;

		/* The first opened first and took the leader lock: only it
		 * signs. Closed, its lock goes with its session, and the
		 * second, asking at each checkpoint it is due, takes over. */
		auditlog_stats(a[0], &st0);
		auditlog_stats(a[1], &st1);
		ok(st0.checkpoints > 0 && st1.checkpoints == 0,
		   "%s two writers: only the leader signs", b->name);
		auditlog_close(a[0]);
		a[0] = NULL;
		for (int i = 0, tries = patience(200); i < tries && !took; i++) {
			make_verify_leaf(&l);
			if (auditlog_submit(a[1], &l, 1, NULL, NULL, &first) != 0)
				break;
			auditlog_stats(a[1], &st1);
			took = st1.checkpoints > 0;
			if (!took)
				usleep(50000);
		}
		ok(took, "%s two writers: the other takes over and signs", b->name);
	}
out:
	auditlog_close(a[0]);
	auditlog_close(a[1]);
	if (!ok(store_open(&s, b->node, STORE_READONLY) == 0, "%s two writers: a reader opens",
		b->name))
		return;
	ok(store_log_counts(s, &c) == 0 && c.leaves >= 2 * PER_WRITER && c.leaves_end == c.leaves &&
	       c.hashes == c.leaves && c.hashes_end == c.leaves_end,
	   "%s two writers: at least %d leaves, no gap, every one with its hashes", b->name,
	   2 * PER_WRITER);
	why = NULL;
	ok(logcheck_full(s, key_signer_verifier(log_key), &why) == 0,
	   "%s two writers: every leaf rehashes to its stored hashes and the signed root", b->name);
	if (why != NULL)
		diag("%s", why);
	store_close(s);
}

int main(void)
{
	const char *pg = getenv("ANKANG_PG_URL"), *pg_node = getenv("ANKANG_PG_SERVICE_URL");
	const char *sock = getenv("ANKANG_PG_SOCK");
	char pw[512], pwn[512], ph[512], phn[512];
	struct backend sq = {"sqlite", sqlite_path, sqlite_path};
	struct backend pq = {"postgresql", pg, pg_node};
	store *s = NULL;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(sqlite_path, sizeof sqlite_path, "%s/ankang.db", dir);
	snprintf(sqlite_writer, sizeof sqlite_writer, "%s/writer.db", dir);
	snprintf(sqlite_heads, sizeof sqlite_heads, "%s/heads.db", dir);
	snprintf(sqlite_two, sizeof sqlite_two, "%s/two.db", dir);
	if (key_signer_generate(&log_key, "ankang.test/log") != 0)
		bail_out("log key");
	make_leaves();

	run(&sq, 0);
	if (pg != NULL && pg_node != NULL && pg[0] != '\0' && pg_node[0] != '\0') {
		run(&pq, 1);
		ok(memcmp(roots[0], roots[1], sizeof roots[0]) == 0,
		   "both backends store the same tree");
	} else {
		diag("PostgreSQL: not checked here (tests/sh/store_pg.sh runs this on a cluster)");
	}
	test_writer(&(struct backend){"sqlite", sqlite_writer, sqlite_writer});
	test_heads(&(struct backend){"sqlite", sqlite_heads, sqlite_heads});
	test_two_writers(&(struct backend){"sqlite", sqlite_two, sqlite_two});
	/* Fresh databases of the cluster, made by tests/sh/store_pg.sh. */
	if (sock != NULL && sock[0] != '\0') {
		snprintf(pw, sizeof pw, "postgresql:///ankang_writer?host=%s&user=ankang_owner",
			 sock);
		snprintf(pwn, sizeof pwn, "postgresql:///ankang_writer?host=%s&user=ankang_node",
			 sock);
		snprintf(ph, sizeof ph, "postgresql:///ankang_heads?host=%s&user=ankang_owner",
			 sock);
		snprintf(phn, sizeof phn, "postgresql:///ankang_heads?host=%s&user=ankang_node",
			 sock);
		test_writer(&(struct backend){"postgresql", pw, pwn});
		test_heads(&(struct backend){"postgresql", ph, phn});
		snprintf(pw, sizeof pw, "postgresql:///ankang_two?host=%s&user=ankang_owner", sock);
		snprintf(pwn, sizeof pwn, "postgresql:///ankang_two?host=%s&user=ankang_node",
			 sock);
		test_two_writers(&(struct backend){"postgresql", pw, pwn});
	}
	ok(store_open(&s, "postgresql://node:secret@/ankang?host=/nonexistent", 0) == AK_EINVAL &&
	       store_open(&s, "postgresql:///ankang?host=/nonexistent&password=secret", 0) ==
		   AK_EINVAL &&
	       s == NULL,
	   "a store URL with a password is refused before connecting");
	ok(strstr(store_open_why(), "password") != NULL, "store_open_why says why");
	ok(store_open(&s, "postgresql:///ankang?host=/nonexistent", 0) == AK_EDB && s == NULL,
	   "a server that is not there is AK_EDB");
	ok(strstr(store_open_why(), "connection to server") != NULL &&
	       strchr(store_open_why(), '\n') == NULL,
	   "store_open_why says why, on one line");
	ok(store_open(&s, sqlite_path, 0) == 0 && store_open_why()[0] == '\0',
	   "an opening that succeeds leaves no reason behind");
	store_close(s);

	key_signer_free(log_key);
	for (int i = 0; i < 4; i++) {
		const char *const dbs[] = {sqlite_path, sqlite_writer, sqlite_heads, sqlite_two};
		const char *db = dbs[i];
		static const char *const suffixes[] = {"",
						       "-wal",
						       "-shm",
						       STORE_INDEX_SUFFIX,
						       STORE_INDEX_SUFFIX "-wal",
						       STORE_INDEX_SUFFIX "-shm"};
		char p[300];
		for (size_t k = 0; k < AK_ARRAY_LEN(suffixes); k++) {
			snprintf(p, sizeof p, "%s%s", db, suffixes[k]);
			unlink(p);
		}
	}
	rmdir(dir);
	return tap_done();
}
