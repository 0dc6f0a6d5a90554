/*
 * test_store_reconnect: a PostgreSQL store handle outlives its connection
 * (log/store_pg.c, "Lost connections"), and the audit log's writer with
 * it (log/auditlog.c, "A lost connection").
 *
 * The session is ended from another connection (pg_terminate_backend).
 * The call that meets the loss fails with AK_EDB; the next call outside a
 * transaction connects again, as a new session (store_generation), whose
 * statements are prepared anew (store_pg_run's and store_q's); inside a
 * transaction every call fails and none connects again, until
 * store_rollback ends it; a BEGIN that meets the loss connects again at
 * once. While the role may not log in, a try fails and the next call
 * within the back-off fails at once without trying; once it may, the
 * handle comes back by itself. The writer: a batch that meets the loss
 * fails with AK_EDB, a later one commits, and the log opens again
 * through its start-up self-check with every committed leaf.
 *
 * SQLite always runs (a handle that is never lost). PostgreSQL runs when
 * ANKANG_PG_URL, ANKANG_PG_SERVICE_URL and ANKANG_PG_SUPER_URL are set,
 * as tests/sh/store_pg_reconnect.sh does with a cluster of its own. The
 * leaves are made up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "log/store_int.h"
#include "tests/lib/tap.h"

static PGconn *super;

/* Runs sql as the cluster's superuser: 1 when it succeeded. */
static int su(const char *sql)
{
	PGresult *r = PQexec(super, sql);
	int good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return good;
}

/* Ends s's session from the superuser's connection. */
static int end_session(store *s)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)", PQbackendPID(s->pg));
	return su(sql);
}

/* A statement of the service's kind (store_q), prepared once a session:
 * 0 when it answers 42. */
static int q_works(store *s)
{
	store_q *q = store_q_get(s, SQ_LOG_END, "SELECT 41 + ?1");
	int good;

	if (q == NULL)
		return -1;
	store_q_bind_int64(q, 1, 1);
	good = store_q_step(q) == SQLITE_ROW && store_q_int64(q, 0) == 42;
	store_q_finish(q);
	return good ? 0 : -1;
}

static void test_sqlite(void)
{
	char dir[] = "/tmp/ankang-test-reconnect.XXXXXX", path[300];
	store *s = NULL;

	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	snprintf(path, sizeof path, "%s/ankang.db", dir);
	ok(store_open(&s, path, STORE_CREATE) == 0, "sqlite: opens");
	ok(store_generation(s) == 1 && store_lost(s) == 0 && store_reconnect(s) == 0,
	   "sqlite: one session, never lost, nothing to connect again");
	store_close(s);
	unlink(path);
	rmdir(dir);
}

static void test_handle(const char *node)
{
	store *s = NULL;
	uint64_t n = 0;
	int rc, back = 0;

	if (store_open(&s, node, 0) != 0)
		bail_out("the node's store");
	ok(store_log_size(s, &n) == 0 && q_works(s) == 0 && store_generation(s) == 1,
	   "a node's handle: statements of both kinds run, session 1");

	/* Outside a transaction. */
	ok(end_session(s), "its session is ended from another connection");
	rc = store_log_size(s, &n);
	is_int(rc, AK_EDB, "the call that meets the loss fails with AK_EDB");
	ok(store_lost(s) == 1, "store_lost says so");
	ok(store_log_size(s, &n) == 0 && store_generation(s) == 2 && store_lost(s) == 0,
	   "the next call connects again: a new session, and it runs");
	ok(q_works(s) == 0, "a store_q statement is prepared again on it and runs");

	/* Inside a transaction (its BEGIN is sent with its first statement). */
	ok(store_begin(s) == 0 && store_log_size(s, &n) == 0 && end_session(s),
	   "a transaction, and its session ended");
	ok(store_log_size(s, &n) == AK_EDB && store_log_size(s, &n) == AK_EDB && q_works(s) != 0 &&
	       store_generation(s) == 2,
	   "inside it every call fails, and none connects again");
	ok(store_savepoint(s) == AK_EDB && store_commit(s) == AK_EDB,
	   "a savepoint and the COMMIT fail too");
	ok(store_rollback(s) == 0, "store_rollback ends it");
	ok(store_begin(s) == 0 && store_generation(s) == 3 && store_log_size(s, &n) == 0 &&
	       store_commit(s) == 0,
	   "the next BEGIN connects again, and its transaction commits");

	/* A BEGIN that meets the loss itself: deferred, it meets it with the
	 * transaction's first statement, which connects again and runs. */
	ok(end_session(s) && store_begin(s) == 0 && store_log_size(s, &n) == 0 &&
	       store_generation(s) == 4 && store_rollback(s) == 0,
	   "a BEGIN that meets a lost connection connects again at once");
	ok(store_begin(s) == 0 && end_session(s) && q_works(s) == 0 && store_generation(s) == 5 &&
	       store_commit(s) == 0,
	   "so does a store_q statement's, and its transaction commits");

	/* The back-off, while the role may not log in. */
	ok(su("ALTER ROLE ankang_node NOLOGIN") && end_session(s), "the node may not log in");
	ok(store_log_size(s, &n) == AK_EDB, "the call that meets the loss fails");
	ok(store_log_size(s, &n) == AK_EDB && store_lost(s) == 1,
	   "a try to connect again fails: still lost");
	ok(store_log_size(s, &n) == AK_EDB && strstr(store_errmsg(s), "shortly") != NULL,
	   "within the back-off a call fails at once, without a try");
	ok(su("ALTER ROLE ankang_node LOGIN"), "the node may log in again");
	for (int i = 0; i < patience(100) && !back; i++) {
		back = store_reconnect(s) == 0;
		if (!back)
			usleep(50000);
	}
	ok(back && store_log_size(s, &n) == 0 && q_works(s) == 0,
	   "the handle comes back by itself after the back-off");
	store_close(s);
}

static int submit_one(auditlog *a)
{
	struct leaf l;

	memset(&l, 0, sizeof l);
	l.role = ROLE_VERIFIER;
	l.actor_id = 7;
	l.action = ACT_VERIFY;
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	return auditlog_submit(a, &l, 1, NULL, NULL, NULL);
}

static void test_writer(const char *node, const key_signer *key)
{
	auditlog *a = NULL;
	uint64_t size = 0, size2 = 0;
	merkle_hash root;
	int committed = 0, rc, after = 0;

	ok(auditlog_open(&a, node, key, NULL, NULL) == 0, "the writer opens on PostgreSQL");
	for (int i = 0; i < 5; i++)
		committed += submit_one(a) == 0;
	is_int(committed, 5, "and commits five leaves");
	ok(su("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
	      " WHERE usename = 'ankang_node'"),
	   "its sessions are ended");
	rc = submit_one(a);
	ok(rc == AK_EDB || rc == 0, "the batch that meets the loss fails with AK_EDB (or runs "
				    "on a connection made again)");
	committed += rc == 0;
	for (int i = 0; i < patience(100) && !after; i++) {
		after = submit_one(a) == 0;
		if (!after)
			usleep(50000);
	}
	ok(after, "a later batch commits, on a connection made again");
	committed += after;
	auditlog_head(a, &size, root);
	auditlog_close(a);
	is_int((long long)size, committed, "the head counts every committed leaf");
	a = NULL;
	ok(auditlog_open(&a, node, key, NULL, NULL) == 0,
	   "the log opens again through its start-up self-check");
	if (a != NULL)
		auditlog_head(a, &size2, root);
	is_int((long long)size2, (long long)size, "with the same size");
	auditlog_close(a);
}

int main(void)
{
	const char *owner = getenv("ANKANG_PG_URL"), *node = getenv("ANKANG_PG_SERVICE_URL");
	const char *su_url = getenv("ANKANG_PG_SUPER_URL");
	key_signer *key = NULL;
	store *s = NULL;

	if (sodium_init() < 0)
		bail_out("sodium");
	test_sqlite();
	if (owner == NULL || node == NULL || su_url == NULL || owner[0] == '\0') {
		diag("PostgreSQL: not checked here (tests/sh/store_pg_reconnect.sh runs this on a "
		     "cluster)");
		return tap_done();
	}
	if (store_open(&s, owner, STORE_CREATE) != 0)
		bail_out("the owner's store (migrations)");
	store_close(s);
	super = PQconnectdb(su_url);
	if (PQstatus(super) != CONNECTION_OK)
		bail_out("the superuser's connection");
	test_handle(node);
	if (key_signer_generate(&key, "ankang.test/log") != 0)
		bail_out("log key");
	test_writer(node, key);
	key_signer_free(key);
	PQfinish(super);
	return tap_done();
}
