/*
 * test_store: the SQLite store's guards and the audit log's statements.
 *
 * Migrations are idempotent and tracked by user_version, and a newer
 * database is refused; the schema's triggers refuse UPDATE, DELETE,
 * out-of-order and replacing INSERTs on every log table, even through a
 * plain sqlite3 connection; our own connection additionally refuses those
 * and any DROP at prepare time (the authorizer), allows only UPDATE on the
 * log's mark of verified leaves, and runs in defensive mode
 * with WAL and synchronous=FULL; and every log statement in store_log.c
 * does what store.h says, queries included.
 *
 * No personal data: leaves hold random pseudonyms only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/leaf.h"
#include "log/schema.h"
#include "log/store.h"
#include "log/store_int.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-store.XXXXXX";
static char path[256];

static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *pragma_text(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
	sqlite3_stmt *st = NULL;

	snprintf(buf, cap, "?");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* The SQLite primary result code of running sql on db. */
static int exec_rc(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff;
}

static void make_leaf(struct leaf *l, int role, uint64_t actor, int action, int with_subject)
{
	memset(l, 0, sizeof *l);
	l->time_ms = 1700000000000ull;
	l->role = role;
	l->actor_id = actor;
	l->action = action;
	if (with_subject) {
		l->has_subject = 1;
		randombytes_buf(l->subject, sizeof l->subject);
	}
	l->result = RES_OK;
	l->detail = DET_EMPTY;
}

static int append(store *s, uint64_t idx, struct leaf *l)
{
	char buf[LEAF_MAX + 1];
	int n = leaf_format(buf, l);
	merkle_hash h;
	int rc;

	if (n <= 0)
		return AK_EINVAL;
	if ((rc = store_log_append(s, idx, buf, (size_t)n)) != 0)
		return rc;
	merkle_leaf_hash(h, (const uint8_t *)buf, (size_t)n);
	return store_log_put_node(s, 0, idx, h);
}

struct collect {
	uint64_t idx[64];
	size_t n;
	int stop_at;
};

static int collect_fn(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct collect *c = ctx;
	struct leaf l;

	if (leaf_parse(&l, leaf, len) != 0)
		return -100;
	if (c->n < AK_ARRAY_LEN(c->idx))
		c->idx[c->n++] = idx;
	if (c->stop_at > 0 && (int)c->n == c->stop_at)
		return 42;
	return 0;
}

static int count_fn(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	(void)idx, (void)leaf, (void)len;
	++*(size_t *)ctx;
	return 0;
}

static size_t run_query(store *s, const struct store_log_filter *f, struct collect *c)
{
	memset(c, 0, sizeof *c);
	return store_log_query(s, f, collect_fn, c) == 0 ? c->n : (size_t)-1;
}

static void test_open_and_migrations(void)
{
	store *s = NULL;
	sqlite3 *raw = NULL;
	char buf[32];

	is_int(store_open(&s, path, 0), AK_ENOENT, "no file and no STORE_CREATE: AK_ENOENT");
	is_int(store_open(&s, path, STORE_CREATE | STORE_READONLY), AK_EINVAL,
	       "CREATE with READONLY is refused");
	is_int(store_open(&s, path, STORE_CREATE), 0, "create a new database");
	if (s == NULL)
		bail_out("cannot create a database");
	{
		struct stat st;
		ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0,
		   "the new database file is for its owner only (0600)");
	}
	is_int(pragma_int(store_sqlite(s), "PRAGMA user_version"), schema_version,
	       "user_version is the schema version (%d)", schema_version);
	is_str(pragma_text(store_sqlite(s), "PRAGMA journal_mode", buf, sizeof buf), "wal",
	       "journal_mode is WAL");
	is_int(pragma_int(store_sqlite(s), "PRAGMA synchronous"), 2, "synchronous is FULL");
	is_int(pragma_int(store_sqlite(s), "PRAGMA foreign_keys"), 1, "foreign_keys is on");
	{
		int on = -1;
		sqlite3_db_config(store_sqlite(s), SQLITE_DBCONFIG_DEFENSIVE, -1, &on);
		is_int(on, 1, "SQLITE_DBCONFIG_DEFENSIVE is on");
	}
	store_close(s);
	store_close(NULL);

	s = NULL;
	is_int(store_open(&s, path, 0), 0, "reopen: migrations already applied");
	is_int(pragma_int(store_sqlite(s), "PRAGMA user_version"), schema_version,
	       "user_version unchanged on reopen");
	is_int(pragma_int(store_sqlite(s),
			  "SELECT count(*) FROM sqlite_schema WHERE name = 'log_leaves'"),
	       1, "one log_leaves table after two opens");
	store_close(s);

	/* A database from a newer build is refused, read-only too. */
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		bail_out("raw open");
	sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL);
	s = NULL;
	is_int(store_open(&s, path, 0), AK_EINVAL, "a newer user_version is refused");
	is_int(store_open(&s, path, STORE_READONLY), AK_EINVAL, "read-only too");
	ok(s == NULL, "no handle on refusal");
	{
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", schema_version);
		sqlite3_exec(raw, sql, NULL, NULL, NULL);
	}
	sqlite3_close(raw);
}

static void test_triggers_raw(void)
{
	sqlite3 *raw = NULL;
	store *s = NULL;
	struct leaf l;

	/* Two leaves and a checkpoint, through the store. */
	if (store_open(&s, path, 0) != 0)
		bail_out("open");
	make_leaf(&l, ROLE_VERIFIER, 7, ACT_VERIFY, 1);
	is_int(append(s, 0, &l), 0, "append leaf 0");
	is_int(append(s, 1, &l), 0, "append leaf 1");
	is_int(append(s, 5, &l), AK_EDENIED, "append out of order: refused");
	is_int(append(s, 1, &l), AK_EDENIED, "append an existing index: refused");
	is_int(store_log_put_checkpoint(s, 2, "note\n", 5, 1), 0, "put a checkpoint");
	is_int(store_log_put_checkpoint(s, 2, "other\n", 6, 1), AK_EDENIED,
	       "a second checkpoint for the same size: refused");
	{
		merkle_hash h = {1};
		is_int(store_log_put_node(s, 0, 1, h), AK_EDENIED, "a node stored twice: refused");
	}
	store_close(s);

	/* A plain connection: no authorizer, only the triggers stand. */
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		bail_out("raw open");
	is_int(exec_rc(raw, "UPDATE log_leaves SET idx = 7 WHERE idx = 0"), SQLITE_CONSTRAINT,
	       "raw: UPDATE log_leaves refused");
	is_int(exec_rc(raw, "UPDATE log_leaves SET leaf = x'00' WHERE idx = 1"), SQLITE_CONSTRAINT,
	       "raw: UPDATE of a leaf's bytes refused");
	is_int(exec_rc(raw, "DELETE FROM log_leaves WHERE idx = 1"), SQLITE_CONSTRAINT,
	       "raw: DELETE FROM log_leaves refused");
	is_int(exec_rc(raw, "DELETE FROM log_leaves"), SQLITE_CONSTRAINT,
	       "raw: DELETE of every leaf refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_leaves (idx, leaf, hashes)"
			    " VALUES (1, x'41', zeroblob(64))"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a leaf refused");
	is_int(
	    exec_rc(raw,
		    "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (9, x'41', zeroblob(64))"),
	    SQLITE_CONSTRAINT, "raw: a leaf with a gap refused");
	/* The Merkle hashes live in the leaf rows (hashes): the same rules. */
	is_int(exec_rc(raw, "UPDATE log_leaves SET hashes = zeroblob(32)"), SQLITE_CONSTRAINT,
	       "raw: UPDATE of the stored hashes refused");
	is_int(exec_rc(raw, "UPDATE log_leaves SET hashes = substr(hashes, 1, 32) WHERE idx = 1"),
	       SQLITE_CONSTRAINT, "raw: dropping a stored inner hash refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_leaves (idx, leaf, hashes)"
			    " VALUES (1, x'41', zeroblob(64))"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a leaf's hashes refused");
	is_int(
	    exec_rc(raw,
		    "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (2, x'41', zeroblob(64))"),
	    SQLITE_CONSTRAINT, "raw: a hash count that does not fit the index refused");
	is_int(exec_rc(raw, "UPDATE log_checkpoints SET note = x'00'"), SQLITE_CONSTRAINT,
	       "raw: UPDATE log_checkpoints refused");
	is_int(exec_rc(raw, "DELETE FROM log_checkpoints"), SQLITE_CONSTRAINT,
	       "raw: DELETE FROM log_checkpoints refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_checkpoints VALUES (2, x'00', 1)"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a checkpoint refused");
	/* With recursive triggers off (the default) REPLACE fires no DELETE
	 * trigger; the insert triggers refuse it. */
	sqlite3_exec(raw, "PRAGMA recursive_triggers = OFF", NULL, NULL, NULL);
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_leaves (idx, leaf, hashes)"
			    " VALUES (0, x'41', zeroblob(32))"),
	       SQLITE_CONSTRAINT, "raw, recursive_triggers off: REPLACE over a leaf refused");
	is_int(pragma_int(raw, "SELECT count(*) FROM log_leaves"), 2, "both leaves still there");
	is_int(pragma_int(raw, "SELECT count(*) FROM log_leaves WHERE substr(hashes, 1, 32) ="
			       " zeroblob(32)"),
	       0, "no hash was replaced");
	sqlite3_close(raw);
}

static void test_authorizer(void)
{
	store *s = NULL;
	sqlite3 *db;

	if (store_log_open(&s, path, 0) != 0)
		bail_out("open");
	db = store_sqlite(s);
	is_int(exec_rc(db, "UPDATE log_leaves SET leaf = x'41'"), SQLITE_AUTH,
	       "ours: UPDATE log_leaves denied at prepare");
	is_int(exec_rc(db, "DELETE FROM log_leaves"), SQLITE_AUTH,
	       "ours: DELETE log_leaves denied");
	is_int(exec_rc(db, "UPDATE log_leaves SET hashes = zeroblob(32)"), SQLITE_AUTH,
	       "ours: UPDATE of the stored hashes denied");
	is_int(exec_rc(db, "UPDATE log_checkpoints SET time_ms = 0"), SQLITE_AUTH,
	       "ours: UPDATE log_checkpoints denied");
	is_int(exec_rc(db, "DELETE FROM log_checkpoints"), SQLITE_AUTH,
	       "ours: DELETE log_checkpoints denied");
	is_int(exec_rc(db, "DROP TRIGGER log_leaves_no_update"), SQLITE_AUTH,
	       "ours: DROP TRIGGER denied");
	is_int(exec_rc(db, "DROP TABLE log_leaves"), SQLITE_AUTH,
	       "ours: DROP TABLE log_leaves denied");
	is_int(exec_rc(db, "DROP TABLE ix.log_times"), SQLITE_AUTH,
	       "ours: DROP of a table of the index file denied");
	is_int(exec_rc(db, "ALTER TABLE log_leaves RENAME TO old_leaves"), SQLITE_AUTH,
	       "ours: ALTER TABLE log_leaves denied");
	/* The mark of verified leaves is updated in place, and only that. */
	is_int(exec_rc(db, "UPDATE log_verified SET upto = 2 WHERE one = 1"), SQLITE_OK,
	       "ours: the mark of verified leaves may be updated");
	is_int(pragma_int(db, "SELECT upto FROM log_verified"), 2, "and holds the new value");
	is_int(exec_rc(db, "DELETE FROM log_verified"), SQLITE_AUTH,
	       "ours: DELETE of the mark denied");
	is_int(exec_rc(db, "INSERT INTO log_verified VALUES (2, 0)"), SQLITE_AUTH,
	       "ours: INSERT into the mark's table denied");
	is_int(exec_rc(db, "ALTER TABLE log_verified RENAME TO old_verified"), SQLITE_AUTH,
	       "ours: ALTER TABLE log_verified denied");
	is_int(exec_rc(db, "DROP TABLE log_verified"), SQLITE_AUTH, "ours: DROP of it denied");
	{
		uint64_t upto = 99;
		is_int(store_log_set_verified(s, 1), 0, "store_log_set_verified");
		ok(store_log_verified(s, &upto) == 0 && upto == 1, "store_log_verified reads it");
	}
	is_int(exec_rc(db, "CREATE TEMP TABLE scratch (x)"), SQLITE_OK,
	       "ours: other tables may be created");
	is_int(exec_rc(db, "INSERT INTO scratch VALUES (1); UPDATE scratch SET x = 2;"
			   " DELETE FROM scratch"),
	       SQLITE_OK, "ours: and updated and deleted from");
	is_int(exec_rc(db, "DROP TABLE scratch"), SQLITE_AUTH, "ours: any DROP is denied");
	is_int(exec_rc(db, "PRAGMA writable_schema = ON;"
			   " UPDATE sqlite_schema SET sql = 'x' WHERE name = 'log_leaves'"),
	       SQLITE_ERROR, "defensive: the schema cannot be written");
	is_int(pragma_int(db, "SELECT count(*) FROM log_leaves"), 2, "the log is intact");
	/* Our connections run without the log's triggers: no insert into the
	 * log may resolve a conflict, so none can replace or skip a leaf. */
	ok(store_stmt(s, SQ_LOG_SUBJECT_ADD,
		      "INSERT OR REPLACE INTO log_leaves (idx, leaf, hashes)"
		      " VALUES (0, x'41', zeroblob(32))") == NULL,
	   "ours: INSERT OR REPLACE into the log refused at prepare");
	ok(store_stmt(s, SQ_LOG_SUBJECT_ADD,
		      "REPLACE INTO log_checkpoints (size, note, time_ms) VALUES (2, x'00', 1)") ==
	       NULL,
	   "ours: REPLACE INTO a checkpoint refused at prepare");
	ok(store_stmt(s, SQ_LOG_SUBJECT_ADD,
		      "INSERT OR IGNORE INTO log_leaves (idx, leaf, hashes)"
		      " VALUES (0, x'41', zeroblob(32))") == NULL,
	   "ours: INSERT OR IGNORE into the log refused at prepare");
	ok(store_stmt(s, SQ_LOG_SUBJECT_ADD,
		      "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (0, x'41', zeroblob(32))"
		      " ON CONFLICT DO NOTHING") == NULL,
	   "ours: ON CONFLICT DO NOTHING on the log refused at prepare");
	is_int(
	    exec_rc(db,
		    "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (1, x'41', zeroblob(64))"),
	    SQLITE_CONSTRAINT, "ours: a second leaf at an index fails on its key");
	is_int(exec_rc(db, "DELETE FROM ix.log_subjects_data"), SQLITE_ERROR,
	       "defensive: the subject index's shadow tables cannot be written");
	ok(store_stmt(s, SQ_LOG_SUBJECT_ADD, "INSERT OR IGNORE INTO scratch VALUES (1)") != NULL,
	   "ours: other tables may use a conflict clause");
	{
		int on = -1;
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &on);
		is_int(on, 0, "ours: the log's triggers are off (the rules above keep it)");
	}
	store_close(s);

	/* A trigger of another table's (a later migration's) keeps them all on. */
	{
		sqlite3 *raw = NULL;
		int on = -1;
		if (sqlite3_open(path, &raw) != SQLITE_OK ||
		    sqlite3_exec(raw,
				 "CREATE TABLE other (x INTEGER); CREATE TRIGGER other_rule BEFORE"
				 " INSERT ON other BEGIN SELECT RAISE(ABORT, 'no'); END;",
				 NULL, NULL, NULL) != SQLITE_OK)
			bail_out("another trigger");
		if (store_open(&s, path, 0) != 0)
			bail_out("open");
		sqlite3_db_config(store_sqlite(s), SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &on);
		is_int(on, 1, "ours, with a trigger the log does not own: triggers stay on");
		is_int(exec_rc(store_sqlite(s), "INSERT INTO other VALUES (1)"), SQLITE_CONSTRAINT,
		       "and that trigger runs");
		store_close(s);
		s = NULL;
		is_int(exec_rc(raw, "DROP TRIGGER other_rule; DROP TABLE other"), SQLITE_OK,
		       "(the other trigger removed again)");
		sqlite3_close(raw);
	}
}

static void test_statements(void)
{
	store *s = NULL;
	struct leaf l;
	struct store_log_filter f;
	struct collect c;
	struct store_log_counts cnt;
	uint8_t subj[LEAF_ID_BYTES];
	char *buf = NULL;
	size_t len;
	uint64_t n = 0, sz = 0;
	merkle_hash h;

	if (store_open(&s, path, 0) != 0)
		bail_out("open");
	is_int(store_log_size(s, &n), 0, "size");
	is_int(n, 2, "two leaves so far");

	/* Leaves 2..9: a mix of actors, actions, subjects and times. */
	make_leaf(&l, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, 1);
	memcpy(subj, l.subject, sizeof subj);
	for (uint64_t i = 2; i < 10; i++) {
		struct leaf m;
		if (i % 3 == 0) {
			make_leaf(&m, ROLE_OFFICER, 11, ACT_LOOKUP, 0);
			m.has_subject = 1;
			memcpy(m.subject, subj, sizeof subj);
			m.detail = DET_APPEAL_REVIEW;
		} else if (i % 3 == 1) {
			make_leaf(&m, ROLE_OFFICER, 12, ACT_STATUS_SET, 1);
		} else {
			m = l;
		}
		m.time_ms = 1700000000000ull + i * 1000;
		if (append(s, i, &m) != 0)
			bail_out("append");
	}
	is_int(store_log_size(s, &n), 0, "size again");
	is_int(n, 10, "ten leaves");
	is_int(store_log_counts(s, &cnt), 0, "counts");
	ok(cnt.leaves == 10 && cnt.leaves_end == 10 && cnt.hashes == 10 && cnt.hashes_end == 10,
	   "counts agree: 10 leaves, 10 hashes, no gaps");

	is_int(store_log_get_leaf(s, 3, &buf, &len), 0, "get leaf 3");
	ok(buf != NULL && len > 10 && buf[len - 1] == '\n' && buf[len] == '\0' &&
	       strncmp(buf, "ankang/v1 ", 10) == 0,
	   "leaf 3's bytes, NUL-terminated");
	{
		merkle_hash want;
		merkle_leaf_hash(want, (const uint8_t *)buf, len);
		ok(store_log_get_node(s, 0, 3, h) == 0 && memcmp(h, want, sizeof h) == 0,
		   "level-0 node 3 is its hash");
	}
	free(buf);
	is_int(store_log_get_leaf(s, 10, &buf, &len), AK_ENOENT, "leaf 10: AK_ENOENT");
	is_int(store_log_get_node(s, 1, 5, h), AK_ENOENT, "node never stored: AK_ENOENT");

	/* Checkpoints */
	is_int(store_log_put_checkpoint(s, 10, "ten\n", 4, 5), 0, "checkpoint at 10");
	is_int(store_log_put_checkpoint(s, 7, "seven\n", 6, 6), 0, "checkpoint at 7");
	is_int(store_log_last_checkpoint(s, &sz, &buf, &len), 0, "newest checkpoint");
	ok(sz == 10 && len == 4 && strcmp(buf, "ten\n") == 0, "newest is the largest size");
	free(buf);
	is_int(store_log_checkpoint_at(s, 7, &buf, &len), 0, "checkpoint at 7");
	ok(len == 6 && strcmp(buf, "seven\n") == 0, "its note");
	free(buf);
	is_int(store_log_checkpoint_at(s, 8, &buf, &len), AK_ENOENT, "none at 8");

	/* Queries: each variant, and the generic conditions inside it. */
	store_log_filter_init(&f);
	is_int(run_query(s, &f, &c), 10, "all leaves");
	ok(c.idx[0] == 0 && c.idx[9] == 9, "in index order");
	f.start = 3;
	f.end = 6;
	is_int(run_query(s, &f, &c), 3, "range [3, 6)");
	ok(c.idx[0] == 3 && c.idx[2] == 5, "the right ones");
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subj, sizeof subj);
	is_int(run_query(s, &f, &c), 6, "by subject: the resident's logins and look-ups");
	ok(c.idx[0] == 2 && c.idx[1] == 3 && c.idx[5] == 9, "in index order");
	f.action = ACT_LOOKUP;
	is_int(run_query(s, &f, &c), 3, "by subject and action");
	store_log_filter_init(&f);
	f.role = ROLE_OFFICER;
	f.actor_id = 12;
	is_int(run_query(s, &f, &c), 2, "by actor officer:12");
	ok(c.idx[0] == 4 && c.idx[1] == 7, "leaves 4 and 7");
	store_log_filter_init(&f);
	f.role = ROLE_OFFICER;
	is_int(run_query(s, &f, &c), 5, "by role officer");
	ok(c.idx[0] == 3 && c.idx[1] == 4 && c.idx[4] == 9, "sorted by index");
	store_log_filter_init(&f);
	f.action = ACT_STATUS_SET;
	is_int(run_query(s, &f, &c), 2, "by action");
	f.result = RES_OK;
	is_int(run_query(s, &f, &c), 2, "by action and result");
	f.result = RES_DENIED;
	is_int(run_query(s, &f, &c), 0, "another result: none");
	store_log_filter_init(&f);
	f.result = RES_OK;
	is_int(run_query(s, &f, &c), 10, "by result alone");
	store_log_filter_init(&f);
	f.since_ms = 1700000000000ull + 4000;
	f.until_ms = 1700000000000ull + 7000;
	is_int(run_query(s, &f, &c), 3, "by time [4 s, 7 s)");
	ok(c.idx[0] == 4 && c.idx[2] == 6, "leaves 4..6");
	f.limit = 2;
	is_int(run_query(s, &f, &c), 2, "limit 2");
	store_log_filter_init(&f);
	f.role = ROLE_AUDITOR;
	f.actor_id = 1;
	is_int(run_query(s, &f, &c), 0, "nobody: no rows");
	store_log_filter_init(&f);
	memset(&c, 0, sizeof c);
	c.stop_at = 3;
	is_int(store_log_query(s, &f, collect_fn, &c), 42, "the callback's value stops the query");
	is_int(c.n, 3, "after three rows");
	store_log_filter_init(&f);
	f.actor_id = 3;
	is_int(store_log_query(s, &f, collect_fn, &c), AK_EINVAL, "an actor id without a role");
	store_log_filter_init(&f);
	f.action = ACT_COUNT;
	is_int(store_log_query(s, &f, collect_fn, &c), AK_EINVAL, "an action out of range");
	store_log_filter_init(&f);
	f.result = RES_COUNT;
	is_int(store_log_query(s, &f, collect_fn, &c), AK_EINVAL, "a result out of range");

	/* Savepoints: an operation rolled back alone. */
	is_int(store_in_transaction(s), 0, "no transaction open");
	is_int(store_begin(s), 0, "BEGIN IMMEDIATE");
	is_int(store_in_transaction(s), 1, "a transaction is open");
	is_int(store_savepoint(s), 0, "SAVEPOINT");
	make_leaf(&l, ROLE_ADMIN, LEAF_NO_ID, ACT_ISSUE, 0);
	is_int(append(s, 10, &l), 0, "append 10 inside it");
	is_int(store_rollback_to(s), 0, "ROLLBACK TO");
	is_int(store_release(s), 0, "RELEASE");
	is_int(store_savepoint(s), 0, "SAVEPOINT again");
	is_int(append(s, 10, &l), 0, "append 10 again");
	is_int(store_release(s), 0, "RELEASE");
	is_int(store_commit(s), 0, "COMMIT");
	is_int(store_log_size(s, &n), 0, "size");
	is_int(n, 11, "one leaf added, none twice");
	is_int(store_begin(s), 0, "BEGIN");
	is_int(append(s, 11, &l), 0, "append 11");
	is_int(store_rollback(s), 0, "ROLLBACK");
	is_int(store_rollback(s), 0, "ROLLBACK with none open is a no-op");
	store_log_size(s, &n);
	is_int(n, 11, "leaf 11 rolled back");
	store_close(s);

	/* Read-only */
	s = NULL;
	is_int(store_open(&s, path, STORE_READONLY), 0, "open read-only");
	store_log_size(s, &n);
	is_int(n, 11, "reads the log");
	is_int(append(s, 11, &l), AK_EDB, "cannot write");
	store_close(s);
}

/* The query plan of sql on db, one line per row, joined by "; ". */
static const char *plan(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
	char q[2048];
	sqlite3_stmt *st = NULL;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return buf;
	while (sqlite3_step(st) == SQLITE_ROW && used + 1 < cap) {
		int n = snprintf(buf + used, cap - used, "%s%s", used ? "; " : "",
				 (const char *)sqlite3_column_text(st, 3));
		if (n < 0)
			break;
		used += (size_t)n < cap - used ? (size_t)n : cap - used - 1;
	}
	sqlite3_finalize(st);
	return buf;
}

/* How many entries the subject index holds for one subject (its key: the
 * first 16 hex digits, store_log.c). */
static int indexed(sqlite3 *db, const uint8_t subject[LEAF_ID_BYTES])
{
	char hex[2 * LEAF_ID_BYTES + 1];
	sqlite3_stmt *st = NULL;
	int n = -1;

	util_hex_encode(hex, subject, LEAF_ID_BYTES);
	hex[16] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM ix.log_subjects WHERE log_subjects MATCH ?",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * An index file that is not a database: a reader goes without it (and
 * still answers), a writable connection replaces it with an empty index.
 */
static void test_index_garbage(void)
{
	char p3[300], ipath[320];
	store *s = NULL, *rd = NULL;
	struct store_log_filter f;
	uint64_t mark = 99;
	size_t n = 0;
	FILE *fp;

	snprintf(p3, sizeof p3, "%s/garbage.db", dir);
	snprintf(ipath, sizeof ipath, "%s" STORE_INDEX_SUFFIX, p3);
	if (store_open(&s, p3, STORE_CREATE) != 0)
		bail_out("open garbage.db");
	for (int i = 0; i < 5; i++) {
		struct leaf l;
		make_leaf(&l, ROLE_OFFICER, 5, ACT_LOOKUP, 0);
		if (append(s, (uint64_t)i, &l) != 0)
			bail_out("append");
	}
	store_close(s);
	s = NULL;
	if ((fp = fopen(ipath, "w")) == NULL)
		bail_out("writing garbage");
	fputs("this is not an SQLite database, not even close to one\n", fp);
	fclose(fp);
	is_int(store_log_open(&rd, p3, STORE_READONLY), 0,
	       "garbage index file: a reader still opens");
	store_log_filter_init(&f);
	f.action = ACT_LOOKUP;
	f.since_ms = 1;
	is_int(store_log_query(rd, &f, count_fn, &n), 0, "and answers a time window");
	is_int(n, 5, "by scanning the log");
	store_close(rd);
	is_int(store_log_open(&s, p3, 0), 0, "a writable connection opens");
	is_int(store_log_index(s, 1, 0, &mark), 0, "with a new, empty index");
	is_int(mark, 5, "filled in from leaf 0");
	store_close(s);
}

/*
 * The subject and time indexes (the index file, store_log.c): queries by
 * subject or time answer the same whether the leaves lie below the
 * indexes' mark, above it, or on both sides, in either order and with a
 * limit; the lookup below the mark reads the index, not the table; an
 * index entry that a damaged file holds for the wrong leaf does not bring
 * that leaf back; a reader without the index file scans and answers the
 * same; an index that is not this log's is emptied; and a leaf whose
 * bytes do not parse stops a filtered query.
 */
static void test_indexes(void)
{
	const int n = 40;
	char p2[300], ipath[320], buf[1024];
	uint8_t subj[3][LEAF_ID_BYTES];
	store *s = NULL;
	struct store_log_filter f;
	struct collect c;
	uint64_t mark = 99;

	snprintf(p2, sizeof p2, "%s/subjects.db", dir);
	snprintf(ipath, sizeof ipath, "%s" STORE_INDEX_SUFFIX, p2);
	if (store_log_open(&s, p2, STORE_CREATE) != 0)
		bail_out("open subjects.db");
	for (int k = 0; k < 3; k++)
		randombytes_buf(subj[k], sizeof subj[k]);
	/* Leaf i names subject i % 4 (3: none), at time i seconds. */
	for (int i = 0; i < n; i++) {
		struct leaf l;
		make_leaf(&l, ROLE_OFFICER, 5, i % 2 ? ACT_LOOKUP : ACT_STATUS_SET, 0);
		l.time_ms = 1700000000000ull + (uint64_t)i * 1000;
		if (i % 4 < 3) {
			l.has_subject = 1;
			memcpy(l.subject, subj[i % 4], sizeof l.subject);
		}
		if (append(s, (uint64_t)i, &l) != 0)
			bail_out("append");
		if (i == 17) {
			is_int(store_log_index(s, 100, 0, &mark), 0,
			       "an index step with fewer leaves waiting than asked");
			is_int(mark, 0, "leaves the mark at 0");
			is_int(store_log_index(s, 10, 12, &mark), 0, "an index step of at most 12");
			is_int(mark, 12, "moves the mark by 12");
			is_int(store_log_index(s, 1, 0, &mark), 0, "an index step of the rest");
			is_int(mark, 18, "moves the mark to the end (18)");
		}
	}
	{
		int hits = 0;
		for (int k = 0; k < 3; k++)
			hits += indexed(store_sqlite(s), subj[k]);
		is_int(hits, 14, "the index holds the 14 leaves with a subject below the mark");
	}

	/* Subject 1 names leaves 1, 5, 9, ..., 37: five below the mark, five above. */
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subj[1], sizeof f.subject);
	is_int(run_query(s, &f, &c), 10, "subject 1: all ten, across the mark");
	ok(c.idx[0] == 1 && c.idx[4] == 17 && c.idx[5] == 21 && c.idx[9] == 37, "in index order");
	f.limit = 6;
	is_int(run_query(s, &f, &c), 6, "limit 6 (five from the index, one after)");
	ok(c.idx[5] == 21, "the sixth is 21");
	f.limit = 0;
	f.newest_first = 1;
	is_int(run_query(s, &f, &c), 10, "newest first: all ten");
	ok(c.idx[0] == 37 && c.idx[4] == 21 && c.idx[5] == 17 && c.idx[9] == 1,
	   "in descending order, across the mark");
	f.limit = 7;
	is_int(run_query(s, &f, &c), 7, "newest first, limit 7");
	ok(c.idx[5] == 17 && c.idx[6] == 13, "reaches below the mark for the last two");
	f.limit = 0;
	f.newest_first = 0;
	f.start = 5;
	f.end = 30;
	is_int(run_query(s, &f, &c), 7, "an index range [5, 30): 5 .. 29");
	ok(c.idx[0] == 5 && c.idx[6] == 29, "the right ones");
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subj[0], sizeof f.subject);
	f.action = ACT_STATUS_SET;
	f.since_ms = 1700000000000ull + 8000;
	f.until_ms = 1700000000000ull + 25000;
	is_int(run_query(s, &f, &c), 5, "subject 0, status changes, [8 s, 25 s): 8 .. 24");
	ok(c.idx[0] == 8 && c.idx[4] == 24, "the right ones");

	/* The time index: leaf i is at i seconds; the mark is at 18. */
	store_log_filter_init(&f);
	f.since_ms = 1700000000000ull + 10000;
	f.until_ms = 1700000000000ull + 25000;
	is_int(run_query(s, &f, &c), 15, "a time window [10 s, 25 s) across the mark: 10 .. 24");
	ok(c.idx[0] == 10 && c.idx[7] == 17 && c.idx[8] == 18 && c.idx[14] == 24, "in index order");
	f.newest_first = 1;
	f.limit = 10;
	is_int(run_query(s, &f, &c), 10, "newest first, limit 10");
	ok(c.idx[0] == 24 && c.idx[6] == 18 && c.idx[7] == 17 && c.idx[9] == 15,
	   "seven past the mark, then three from the index");
	f.newest_first = 0;
	f.limit = 0;
	f.action = ACT_LOOKUP;
	is_int(run_query(s, &f, &c), 7, "a time window and an action: the odd ones 11 .. 23");
	f.action = -1;
	f.until_ms = 0;
	f.since_ms = 1700000000000ull + 38000;
	is_int(run_query(s, &f, &c), 2, "a window with no end: 38, 39");
	{
		/* A damaged file: index entries that name the wrong leaves. */
		sqlite3 *raw = NULL;
		char sql[200], hex[2 * LEAF_ID_BYTES + 1];
		util_hex_encode(hex, subj[1], LEAF_ID_BYTES);
		hex[16] = '\0'; /* the index's key */
		snprintf(sql, sizeof sql,
			 "INSERT INTO log_times VALUES (%llu, 3);"
			 " INSERT INTO log_subjects (rowid, subject) VALUES (2, '%s')",
			 1700000000000ull + 12000, hex);
		if (sqlite3_open(ipath, &raw) != SQLITE_OK || exec_rc(raw, sql) != SQLITE_OK)
			bail_out("damaging the indexes");
		sqlite3_close(raw);
		store_log_filter_init(&f);
		f.since_ms = 1700000000000ull + 10000;
		f.until_ms = 1700000000000ull + 25000;
		is_int(run_query(s, &f, &c), 15, "a time entry for the wrong leaf: not answered");
		ok(c.idx[0] == 10, "leaf 3 is not among them");
		store_log_filter_init(&f);
		f.has_subject = 1;
		memcpy(f.subject, subj[1], sizeof f.subject);
		is_int(run_query(s, &f, &c), 10,
		       "a subject entry for the wrong leaf: not answered");
		ok(c.idx[0] == 1 && c.idx[1] == 5, "leaf 2 is not among them");
	}
	plan(store_sqlite(s),
	     "SELECT idx, leaf FROM log_leaves WHERE idx IN (SELECT idx FROM ix.log_times"
	     " WHERE time_ms >= 0 AND time_ms < 9 AND idx >= 0 AND idx < 9)"
	     " ORDER BY idx DESC LIMIT 10",
	     buf, sizeof buf);
	ok(strstr(buf, "log_times") != NULL && strstr(buf, "TEMP B-TREE") == NULL &&
	       strstr(buf, "SCAN log_leaves") == NULL,
	   "a time window reads the time index, sorts no leaves, and fetches them by key (%s)",
	   buf);

	is_int(store_begin(s), 0, "BEGIN");
	is_int(store_log_index(s, 1, 0, &mark), AK_EINVAL,
	       "no index step inside a transaction (it would hold the log's write lock)");
	is_int(store_commit(s), 0, "COMMIT");
	is_int(store_log_index(s, 1, 0, &mark), 0, "an index step");
	is_int(mark, (uint64_t)n, "the mark is at the end");
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subj[2], sizeof f.subject);
	f.newest_first = 1;
	is_int(run_query(s, &f, &c), 10, "subject 2 after the last step: all ten");
	ok(c.idx[0] == 38 && c.idx[9] == 2, "from the index alone, newest first");
	{
		/* A reader with the index file, and one without. */
		store *rd = NULL;
		is_int(store_log_open(&rd, p2, STORE_READONLY), 0,
		       "a reader attaches the index file");
		is_int(run_query(rd, &f, &c), 10, "and answers the same");
		store_close(rd);
		rd = NULL;
		is_int(store_open(&rd, p2, STORE_READONLY), 0, "a reader without it");
		is_int(run_query(rd, &f, &c), 10, "scans the log and answers the same");
		ok(c.idx[0] == 38 && c.idx[9] == 2, "in the same order");
		store_close(rd);
	}
	{
		int reset = -1;
		is_int(store_log_index_check(s, &reset), 0, "the index is this log's");
		is_int(reset, 0, "and is kept");
	}
	{
		/* An index file whose last leaf is not this log's (a log put back
		 * from an older copy beside a newer index, say). */
		sqlite3 *raw = NULL;
		int reset = -1;
		if (sqlite3_open(ipath, &raw) != SQLITE_OK ||
		    exec_rc(raw, "UPDATE log_index_mark SET tip = zeroblob(32)") != SQLITE_OK)
			bail_out("raw open of the index");
		sqlite3_close(raw);
		is_int(store_log_index_check(s, &reset), 0, "an index from elsewhere: checked");
		is_int(reset, 1, "and emptied");
		is_int(store_log_index(s, UINT64_MAX, 0, &mark), 0, "its mark");
		is_int(mark, 0, "is back at 0");
		is_int(indexed(store_sqlite(s), subj[2]), 0, "it holds no entries");
		is_int(run_query(s, &f, &c), 10, "a query scans the log instead: all ten");
		is_int(store_log_index(s, 1, 0, &mark), 0, "filled in again");
		is_int(mark, (uint64_t)n, "up to the end");
		is_int(indexed(store_sqlite(s), subj[2]), 10, "with subject 2's ten leaves");
		if (sqlite3_open(ipath, &raw) != SQLITE_OK ||
		    exec_rc(raw, "UPDATE log_index_mark SET upto = 1000") != SQLITE_OK)
			bail_out("raw open of the index");
		sqlite3_close(raw);
		is_int(store_log_index_check(s, &reset), 0, "an index past the log's end: checked");
		is_int(reset, 1, "and emptied too");
		is_int(store_log_index(s, 1, 0, &mark), 0, "and filled in again");
	}

	/* What a resident's list costs: the index, then one row per hit. */
	plan(store_sqlite(s),
	     "SELECT l.idx, l.leaf FROM ix.log_subjects s JOIN log_leaves l ON l.idx = s.rowid"
	     " WHERE s.log_subjects MATCH 'x' AND s.rowid >= 0 AND s.rowid < 9"
	     " ORDER BY s.rowid DESC LIMIT 10",
	     buf, sizeof buf);
	ok(strstr(buf, "VIRTUAL TABLE INDEX") != NULL && strstr(buf, "USING INTEGER PRIMARY KEY") &&
	       strstr(buf, "TEMP B-TREE") == NULL && strstr(buf, "SCAN l") == NULL,
	   "the subject lookup reads the index and fetches leaves by key (%s)", buf);

	/* A leaf whose bytes do not parse (leaf 35: no subject, a look-up). */
	{
		sqlite3 *raw = NULL;
		if (sqlite3_open(p2, &raw) != SQLITE_OK ||
		    exec_rc(raw, "DROP TRIGGER log_leaves_no_update; UPDATE log_leaves SET leaf ="
				 " CAST('ankang/v1 oops' || char(10) AS BLOB) WHERE idx = 35") !=
			SQLITE_OK)
			bail_out("garbling a leaf");
		sqlite3_close(raw);
	}
	store_log_filter_init(&f);
	{
		size_t all = 0;
		is_int(store_log_query(s, &f, count_fn, &all), 0, "no filter: a plain read");
		is_int(all, 40, "of every leaf, the garbled one too");
	}
	f.action = ACT_LOOKUP;
	memset(&c, 0, sizeof c);
	is_int(store_log_query(s, &f, collect_fn, &c), AK_ECORRUPT,
	       "a filter that meets a leaf that does not parse: AK_ECORRUPT");
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subj[2], sizeof f.subject);
	is_int(run_query(s, &f, &c), 10, "by subject: a garbled leaf without it is passed over");
	store_close(s);
	unlink(p2);
	snprintf(buf, sizeof buf, "%s-wal", p2);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", p2);
	unlink(buf);
}

int main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(path, sizeof path, "%s/ankang.db", dir);
	diag("SQLite %s, schema version %d", sqlite3_libversion(), schema_version);

	test_open_and_migrations();
	test_triggers_raw();
	test_authorizer();
	test_statements();
	test_indexes();
	test_index_garbage();

	{
		char p[300];
		unlink(path);
		snprintf(p, sizeof p, "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", path);
		unlink(p);
		rmdir(dir);
	}
	return tap_done();
}
