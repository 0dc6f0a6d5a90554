/*
 * test_store: the SQLite store's guards and the audit log's statements.
 *
 * Migrations are idempotent and tracked by user_version, and a newer
 * database is refused; the schema's triggers refuse UPDATE, DELETE,
 * out-of-order and replacing INSERTs on every log table, even through a
 * plain sqlite3 connection; our own connection additionally refuses those
 * and any DROP at prepare time (the authorizer) and runs in defensive mode
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
#include "service/schema.h"
#include "service/store.h"
#include "service/store_int.h"
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
	l->detail = DET_NONE;
}

static int append(store *s, uint64_t idx, struct leaf *l)
{
	char buf[LEAF_MAX + 1];
	int n = leaf_format(buf, l);
	merkle_hash h;
	int rc;

	if (n <= 0)
		return AK_EINVAL;
	if ((rc = store_log_append(s, idx, buf, (size_t)n, l)) != 0)
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
	is_int(append(s, 5, &l), AK_EDENIED, "append out of order: refused by the trigger");
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
	is_int(exec_rc(raw, "UPDATE log_leaves SET time_ms = 1 WHERE idx = 0"), SQLITE_CONSTRAINT,
	       "raw: UPDATE log_leaves refused");
	is_int(exec_rc(raw, "UPDATE log_leaves SET leaf = x'00' WHERE idx = 1"), SQLITE_CONSTRAINT,
	       "raw: UPDATE of a leaf's bytes refused");
	is_int(exec_rc(raw, "DELETE FROM log_leaves WHERE idx = 1"), SQLITE_CONSTRAINT,
	       "raw: DELETE FROM log_leaves refused");
	is_int(exec_rc(raw, "DELETE FROM log_leaves"), SQLITE_CONSTRAINT,
	       "raw: DELETE of every leaf refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_leaves (idx, leaf, time_ms, role, action,"
			    " result, detail) VALUES (1, x'41', 1, 'admin', 'issue', 'ok', '-')"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a leaf refused");
	is_int(exec_rc(raw, "INSERT INTO log_leaves (idx, leaf, time_ms, role, action, result,"
			    " detail) VALUES (9, x'41', 1, 'admin', 'issue', 'ok', '-')"),
	       SQLITE_CONSTRAINT, "raw: a leaf with a gap refused");
	is_int(exec_rc(raw, "UPDATE log_nodes SET hash = zeroblob(32)"), SQLITE_CONSTRAINT,
	       "raw: UPDATE log_nodes refused");
	is_int(exec_rc(raw, "DELETE FROM log_nodes WHERE level = 0 AND idx = 1"), SQLITE_CONSTRAINT,
	       "raw: DELETE FROM log_nodes refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_nodes VALUES (64, 0, 1, zeroblob(32))"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a node refused");
	is_int(exec_rc(raw, "UPDATE log_checkpoints SET note = x'00'"), SQLITE_CONSTRAINT,
	       "raw: UPDATE log_checkpoints refused");
	is_int(exec_rc(raw, "DELETE FROM log_checkpoints"), SQLITE_CONSTRAINT,
	       "raw: DELETE FROM log_checkpoints refused");
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_checkpoints VALUES (2, x'00', 1)"),
	       SQLITE_CONSTRAINT, "raw: INSERT OR REPLACE over a checkpoint refused");
	/* With recursive triggers off (the default) REPLACE fires no DELETE
	 * trigger; the insert triggers refuse it. */
	sqlite3_exec(raw, "PRAGMA recursive_triggers = OFF", NULL, NULL, NULL);
	is_int(exec_rc(raw, "INSERT OR REPLACE INTO log_nodes VALUES (0, 0, 0, zeroblob(32))"),
	       SQLITE_CONSTRAINT, "raw, recursive_triggers off: REPLACE over a node refused");
	is_int(pragma_int(raw, "SELECT count(*) FROM log_leaves"), 2, "both leaves still there");
	is_int(pragma_int(raw, "SELECT count(*) FROM log_nodes WHERE hash = zeroblob(32)"), 0,
	       "no node was replaced");
	sqlite3_close(raw);
}

static void test_authorizer(void)
{
	store *s = NULL;
	sqlite3 *db;

	if (store_open(&s, path, 0) != 0)
		bail_out("open");
	db = store_sqlite(s);
	is_int(exec_rc(db, "UPDATE log_leaves SET time_ms = 1"), SQLITE_AUTH,
	       "ours: UPDATE log_leaves denied at prepare");
	is_int(exec_rc(db, "DELETE FROM log_leaves"), SQLITE_AUTH,
	       "ours: DELETE log_leaves denied");
	is_int(exec_rc(db, "UPDATE log_nodes SET hash = zeroblob(32)"), SQLITE_AUTH,
	       "ours: UPDATE log_nodes denied");
	is_int(exec_rc(db, "DELETE FROM log_nodes"), SQLITE_AUTH, "ours: DELETE log_nodes denied");
	is_int(exec_rc(db, "UPDATE log_checkpoints SET time_ms = 0"), SQLITE_AUTH,
	       "ours: UPDATE log_checkpoints denied");
	is_int(exec_rc(db, "DELETE FROM log_checkpoints"), SQLITE_AUTH,
	       "ours: DELETE log_checkpoints denied");
	is_int(exec_rc(db, "DROP TRIGGER log_leaves_no_update"), SQLITE_AUTH,
	       "ours: DROP TRIGGER denied");
	is_int(exec_rc(db, "DROP TABLE log_leaves"), SQLITE_AUTH,
	       "ours: DROP TABLE log_leaves denied");
	is_int(exec_rc(db, "DROP INDEX log_leaves_time"), SQLITE_AUTH, "ours: DROP INDEX denied");
	is_int(exec_rc(db, "ALTER TABLE log_leaves RENAME TO old_leaves"), SQLITE_AUTH,
	       "ours: ALTER TABLE log_leaves denied");
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
	store_close(s);
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
	is_int(store_log_get_node(s, 1, 0, h), AK_ENOENT, "node never stored: AK_ENOENT");

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
