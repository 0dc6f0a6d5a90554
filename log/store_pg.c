/*
 * store_pg: the PostgreSQL connection, its settings, the migrations and
 * the transactions (contract in store_pg.h; the plan in
 * docs/MULTINODE.md).
 *
 * Every connection: the URL checked before libpq sees it (no password;
 * TLS with the server's name checked for a host not on this machine:
 * store_url_check); fallback_application_name "ankangd", so that an operator (and
 * `ankangd migrate`) can see which sessions are ours; terse errors,
 * since a server's DETAIL may quote a row's values; synchronous_commit on
 * for the session, whatever the server's default (a COMMIT that returned
 * is durable), and a server with fsync off refused, since then nothing
 * is; the pending migrations, unless read-only, which also makes every
 * transaction of the session read-only.
 *
 * The schema's version is the one row of ankang_schema, which the first
 * migration makes. Each migration runs in a transaction of its own under
 * pg_advisory_xact_lock(MIGRATE_LOCK), reading the version again once it
 * holds the lock, so two nodes opening a new database at once apply each
 * migration once.
 *
 * Lost connections. The server may go away under a handle: restarted,
 * the session ended by pg_terminate_backend, the network cut. The call
 * that meets it fails (AK_EDB, libpq's words), and so does every call
 * after it until the caller's transaction ends: a transaction cannot
 * outlive its session, and connecting again in the middle of one would
 * run the rest of it outside any transaction. Once none is open, the next
 * call connects again (PQreset: the same URL and options), configures
 * the new session as at open, and goes on; a BEGIN that meets a lost
 * connection connects again and begins once more, since nothing of a
 * transaction exists before its BEGIN. Tries are spaced by a back-off,
 * RETRY_MIN_MS doubling up to RETRY_MAX_MS, back to the minimum once
 * connected; between tries a call fails at once, so that a request meets
 * its 503 at once rather than a connect each time. The new session has
 * none of the old one's prepared statements (the slots are cleared, and
 * store_q compares its session number) nor its locks: a leader's advisory
 * lock died with the old session. Connecting is bounded by
 * connect_timeout (CONNECT_TIMEOUT_S unless the URL says otherwise), and a
 * peer that vanished from the network by TCP keepalives (the KEEPALIVE_*
 * defaults, the same way), so no call waits for a dead server without end.
 *
 * Deferred commands. A round trip costs CPU on both sides of the socket,
 * so what need not be a round trip of its own rides with the next
 * statement, in one libpq pipeline (store_pg_send): a BEGIN (sent with
 * the transaction's first statement; a transaction that ran none, its
 * COMMIT and ROLLBACK cost nothing), the writer's SAVEPOINT op (with the
 * operation's first statement; one that ran none is dropped unsent,
 * with its RELEASE or ROLLBACK TO) and RELEASE SAVEPOINT op (with the
 * next statement or the COMMIT), and store_q's savepoint pair around a
 * write. An outermost savepoint (the writer's, around an operation) that
 * something ran under is not released at all, up to SAVEPOINTS_KEPT a
 * transaction: the next operation's nests inside it, and ROLLBACK TO
 * SAVEPOINT op still finds the newest, which is the current operation's;
 * the COMMIT commits them all, a ROLLBACK undoes them all. That is one
 * statement less an operation (RELEASE undoes nothing a COMMIT would not:
 * the savepoint's subtransaction is merged into its parent either way).
 * In the pipeline a failure aborts what follows it until the
 * sync, and the failure is the statement's: the deferred commands come
 * first, so a statement never runs without them. A deferred BEGIN that
 * meets a lost connection connects again and sends it all once more, as
 * a BEGIN run at once did: nothing of the transaction existed. Nothing
 * else is deferred: a COMMIT is always its own statement, its answer
 * read before anyone is answered, and a ROLLBACK TO runs at once.
 *
 * Never: build SQL from input (the only SQL not in a constant is a
 * migration, compiled in), let a COMMIT that the server answered with
 * ROLLBACK pass as a commit, or connect again inside a transaction.
 */
#include "log/store_pg.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "log/schema.h"

/* The migrations' advisory lock: "ankang" in ASCII, a number no other
 * lock of ours uses (the leader's is derived from the log's origin). */
#define MIGRATE_LOCK "107083543735911"
/* PostgreSQL's type numbers (pg_type.dat) of our parameters. */
#define OID_BYTEA       17
#define OID_INT8        20
#define OID_BYTEA_ARRAY 1001
/* The outermost savepoints a transaction keeps unreleased (store_pg_tx,
 * STORE_PG_RELEASE): each one kept is a statement fewer; past this many
 * they are released again, so that a big batch does not nest without
 * end. */
#define SAVEPOINTS_KEPT 64
/* Parameters a statement may have. */
#define PARAMS_MAX 8
/* Connecting again after a lost connection: the back-off's bounds. */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
/* libpq's defaults for what the URL does not set: a connect gives up
 * after this long, and a TCP peer silent this long (idle, then probes
 * every interval, count of them) is taken for gone. Unused on a Unix
 * socket. */
#define CONNECT_TIMEOUT_S "10"
#define KEEPALIVE_IDLE_S  "10"
#define KEEPALIVE_EVERY_S "5"
#define KEEPALIVE_PROBES  "3"
/*
 * A transaction of its own whose synchronous commit waits for the WAL's
 * flush up to its commit record (store_pg_run_commit_flushed,
 * store_pg_durable). It must write WAL before its commit record and have
 * an xid: a transaction that wrote none commits without a flush
 * whatever synchronous_commit says (xact.c, RecordTransactionCommit), so
 * taking an xid alone (pg_current_xact_id) would wait for nothing. A
 * transactional logical message is both, and touches no table: one small
 * WAL record, which logical decoding, if an operator runs it, shows as a
 * message with the prefix "ankang" and no content. Any role may emit
 * one, a read-only transaction too; with synchronous standbys the commit
 * waits for them as every commit does.
 */
#define FLUSH_SQL_CALL "pg_logical_emit_message(true, 'ankang', '')"
#define FLUSH_SQL      "SELECT " FLUSH_SQL_CALL

int store_pg_is_url(const char *where)
{
	return where != NULL &&
	       (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

/* ------------------------------------------------------------ errors */

static void set_err(store *s, const char *msg)
{
	snprintf(s->pg_err, sizeof s->pg_err, "%s", msg);
}

const char *store_pg_errmsg(store *s)
{
	if (s->pg_err[0] != '\0')
		return s->pg_err;
	return s->pg != NULL ? PQerrorMessage(s->pg) : "no database";
}

/* A failed result's SQLSTATE, "" when the failure was the connection's. */
static const char *sqlstate(const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return st != NULL ? st : "";
}

/*
 * SQLSTATE to AK_E*, as store_err does for SQLite: a uniqueness or other
 * constraint, AK_ECONFLICT; a missing privilege or our triggers' RAISE
 * (the log refused a rewrite), AK_EDENIED; anything else, AK_EDB.
 */
static int map_state(const char *st)
{
	if (strcmp(st, "42501") == 0 || strcmp(st, "P0001") == 0)
		return AK_EDENIED;
	if (strncmp(st, "23", 2) == 0)
		return AK_ECONFLICT;
	if (strcmp(st, "53200") == 0)
		return AK_ENOMEM;
	return AK_EDB;
}

/*
 * Whether the server failed reading or writing its files (58030) or found
 * them damaged (XX001, XX002): as SQLite's I/O errors, what the writer
 * then refuses to go on after (auditlog.c). A lost connection is not one
 * of them: the server's files are fine, and the next session
 * reconnects.
 */
int store_pg_io_failed(store *s)
{
	return strcmp(s->pg_state, "58030") == 0 || strcmp(s->pg_state, "XX001") == 0 ||
	       strcmp(s->pg_state, "XX002") == 0;
}

/*
 * Keeps a result's outcome for store_pg_errmsg and store_pg_io_failed;
 * 0 when it succeeded. libpq returns no result at all (NULL) when it
 * could not send the command: on a connection that broke, that is the
 * connection's failure (AK_EDB, with libpq's words, "server closed the
 * connection unexpectedly"), and the next call connects again; only on a
 * connection still up is it out of memory. (Every NULL was AK_ENOMEM
 * before: after `pg_ctl restart` the node logs said "waiting for the
 * database's flush: out of memory", 25 times in one run of
 * tests/sh/cluster_pg_restart.sh, each with libpq's status
 * CONNECTION_BAD.)
 */
static int outcome(store *s, const PGresult *r)
{
	ExecStatusType t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	s->pg_err[0] = '\0';
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		s->pg_state[0] = '\0';
		return 0;
	}
	snprintf(s->pg_state, sizeof s->pg_state, "%s", sqlstate(r));
	if (r == NULL)
		return PQstatus(s->pg) != CONNECTION_OK ? AK_EDB : AK_ENOMEM;
	return map_state(s->pg_state);
}

/* ------------------------------------------------------------ statements */

void store_pg_put_u64(char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

int store_pg_get_u64(const PGresult *r, int row, int col, uint64_t *out)
{
	const unsigned char *p;
	uint64_t v = 0;

	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8 ||
	    PQftype(r, col) != OID_INT8)
		return AK_ECORRUPT;
	p = (const unsigned char *)PQgetvalue(r, row, col);
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	if (v > (uint64_t)INT64_MAX)
		return AK_ECORRUPT;
	*out = v;
	return 0;
}

static int lost(const store *s);
static int reconnect(store *s);
static int exec_simple(store *s, const char *sql, PGresult **keep);

static int is_begin(const char *cmd)
{
	return strncmp(cmd, "BEGIN", 5) == 0;
}

int store_pg_tx_open(store *s)
{
	PGTransactionStatusType t = PQtransactionStatus(s->pg);

	return (s->pg_npend > 0 && is_begin(s->pg_pend[0])) || t == PQTRANS_INTRANS ||
	       t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Reads one command's results in a pipeline: its result (or NULL when
 * the connection broke), the NULL that ends it consumed. */
static PGresult *one_result(PGconn *c)
{
	PGresult *r = PQgetResult(c), *x;

	if (r == NULL)
		return NULL;
	while ((x = PQgetResult(c)) != NULL) {
		/* A pipeline's command has one result; anything more is the
		 * connection's failure, and ends the reading. */
		PQclear(x);
		if (PQstatus(c) != CONNECTION_OK)
			break;
	}
	return r;
}

static int sent_ok(const PGresult *r)
{
	ExecStatusType t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* One try of store_pg_send: the pipeline, or a plain call when nothing
 * rides with the statement. */
static PGresult *send_once(store *s, const struct store_pg_stmt *q, int *prepared, int *part,
			   int *rc)
{
	PGconn *c = s->pg;
	const char *before[STORE_PG_PEND + 1];
	int nb = 0, prep = q->name != NULL && !*prepared, ok = 1;
	PGresult *r = NULL, *res = NULL;

	for (int i = 0; i < s->pg_npend; i++)
		before[nb++] = s->pg_pend[i];
	if (q->pre != NULL)
		before[nb++] = q->pre;
	*part = 0;
	if (nb == 0 && q->post == NULL && q->after == NULL) {
		/* Nothing rides with it: the plain calls. */
		if (prep) {
			r = PQprepare(c, q->name, q->sql, q->types != NULL ? q->nparams : 0,
				      q->types);
			if ((*rc = outcome(s, r)) != 0) {
				*part = 2;
				return r;
			}
			PQclear(r);
			*prepared = 1;
		}
		if (q->name != NULL)
			r = PQexecPrepared(c, q->name, q->nparams, q->vals, q->lens, q->fmts,
					   q->binary);
		else
			r = PQexecParams(c, q->sql, q->nparams, q->types, q->vals, q->lens, q->fmts,
					 q->binary);
		if ((*rc = outcome(s, r)) != 0)
			*part = 2;
		return r;
	}
	if (PQenterPipelineMode(c) != 1) {
		*part = 1;
		*rc = outcome(s, NULL);
		return NULL;
	}
	for (int i = 0; i < nb && ok; i++)
		ok = PQsendQueryParams(c, before[i], 0, NULL, NULL, NULL, NULL, 0);
	if (ok && prep)
		ok = PQsendPrepare(c, q->name, q->sql, q->types != NULL ? q->nparams : 0, q->types);
	if (ok && q->name != NULL)
		ok = PQsendQueryPrepared(c, q->name, q->nparams, q->vals, q->lens, q->fmts,
					 q->binary);
	else if (ok)
		ok = PQsendQueryParams(c, q->sql, q->nparams, q->types, q->vals, q->lens, q->fmts,
				       q->binary);
	if (ok && q->post != NULL)
		ok = PQsendQueryParams(c, q->post, 0, NULL, NULL, NULL, NULL, 0);
	if (ok && q->after != NULL)
		ok = PQsendQueryParams(c, q->after, 0, NULL, NULL, NULL, NULL, 0);
	if (ok)
		ok = PQpipelineSync(c);
	if (!ok) {
		/* Nothing was sent (libpq buffers until the sync): the
		 * connection is unusable. */
		s->pg_down = 1;
		*part = 1;
		*rc = AK_EDB;
		set_err(s, "the connection to the database failed while sending");
		return NULL;
	}
	/* The results, in order; the first failure is kept, the rest were
	 * aborted by it. */
	*rc = 0;
	for (int i = 0; i < nb; i++) {
		r = one_result(c);
		if (*part == 0 && !sent_ok(r)) {
			*part = 1;
			*rc = outcome(s, r);
		}
		PQclear(r);
	}
	if (prep) {
		r = one_result(c);
		if (*part == 0 && !sent_ok(r)) {
			*part = 2;
			*rc = outcome(s, r);
		} else if (*part == 0) {
			*prepared = 1;
		}
		PQclear(r);
	}
	res = one_result(c);
	if (*part == 0 && !sent_ok(res)) {
		*part = 2;
		*rc = outcome(s, res);
	} else if (*part == 0) {
		(void)outcome(s, res);
	}
	if (q->post != NULL) {
		r = one_result(c);
		if (*part == 0 && !sent_ok(r)) {
			*part = 3;
			*rc = outcome(s, r);
		} else if (*part == 0 && strcmp(q->post, "COMMIT") == 0 &&
			   strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			/* The server answers COMMIT of a failed transaction
			 * with ROLLBACK, and no error. */
			*part = 3;
			*rc = AK_EDB;
			set_err(s, "the transaction had failed: COMMIT rolled it back");
		}
		PQclear(r);
	}
	if (q->after != NULL) {
		r = one_result(c);
		if (*part == 0 && !sent_ok(r)) {
			*part = 4;
			*rc = outcome(s, r);
		}
		PQclear(r);
	}
	r = PQgetResult(c);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		/* The connection broke under the pipeline (or, after a
		 * statement in a transaction of its own, its commit at the
		 * sync failed: its outcome is not known either way). */
		s->pg_down = 1;
		if (*part == 0) {
			*part = q->after != NULL ? 4 : 2;
			*rc = AK_EDB;
			set_err(s, "the connection to the database failed during a statement");
		}
	}
	PQclear(r);
	if (PQexitPipelineMode(c) != 1)
		s->pg_down = 1;
	if (*part == 1) {
		PQclear(res);
		res = NULL;
	}
	return res;
}

PGresult *store_pg_send(store *s, const struct store_pg_stmt *q, int *prepared, int *part, int *rc)
{
	int begins = s->pg_npend > 0 && is_begin(s->pg_pend[0]), n = s->pg_npend;
	unsigned session = s->pg_session;
	const char *keep[STORE_PG_PEND];
	PGresult *r;

	if ((*rc = store_pg_ready(s)) != 0) {
		*part = 1;
		return NULL;
	}
	if (s->pg_session != session)
		*prepared = 0; /* connected again: a new session */
	memcpy(keep, s->pg_pend, sizeof keep);
	/* Sent, whatever came of them: a failure aborted the transaction. */
	r = send_once(s, q, prepared, part, rc);
	s->pg_npend = 0;
	/* A deferred BEGIN that met a lost connection: nothing of the
	 * transaction existed, so it connects again and tries once more, as
	 * a BEGIN run at once does (begin). */
	if (*part == 1 && begins && lost(s)) {
		PQclear(r);
		r = NULL;
		if (reconnect(s) == 0) {
			memcpy(s->pg_pend, keep, sizeof keep);
			s->pg_npend = n;
			s->pg_tx = 1;
			*prepared = 0;
			r = send_once(s, q, prepared, part, rc);
			s->pg_npend = 0;
		}
	}
	return r;
}

int store_pg_flush(store *s)
{
	int prepared = 0, part, rc;
	struct store_pg_stmt q = {NULL, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL};
	PGresult *r;

	if (s->pg_npend == 0)
		return 0;
	r = store_pg_send(s, &q, &prepared, &part, &rc);
	PQclear(r);
	return rc;
}

/* store_pg_run and the commits: pre, post and after, when not NULL, are
 * sent around the statement in its pipeline (store_pg_send). */
static PGresult *run_post(store *s, unsigned slot, const char *sql, const char *types,
			  const char *const *vals, const int *lens, const char *pre,
			  const char *post, const char *after, int *part, int *rc)
{
	Oid oids[PARAMS_MAX];
	int fmts[PARAMS_MAX], n = (int)strlen(types);
	int prepared;
	char name[16];
	PGresult *r;
	struct store_pg_stmt q;

	assert(slot < STORE_PG_SLOTS && n <= PARAMS_MAX);
	for (int k = 0; k < n; k++) {
		oids[k] = types[k] == 'i'   ? OID_INT8
			  : types[k] == 'B' ? OID_BYTEA_ARRAY
					    : OID_BYTEA;
		fmts[k] = 1;
	}
	snprintf(name, sizeof name, "ak%u", slot);
	q = (struct store_pg_stmt){name, sql, n, oids, vals, lens, fmts, 1, pre, post, after};
	prepared = (s->pg_prepared & (uint64_t)1 << slot) != 0;
	r = store_pg_send(s, &q, &prepared, part, rc);
	if (prepared)
		s->pg_prepared |= (uint64_t)1 << slot;
	else
		s->pg_prepared &= ~((uint64_t)1 << slot);
	if (*rc != 0) {
		PQclear(r);
		return NULL;
	}
	return r;
}

PGresult *store_pg_run(store *s, unsigned slot, const char *sql, const char *types,
		       const char *const *vals, const int *lens, int *rc)
{
	int part;

	return run_post(s, slot, sql, types, vals, lens, NULL, NULL, NULL, &part, rc);
}

/* store_pg_run_commit, and with flushed set its flushed variant. */
static PGresult *run_commit(store *s, unsigned slot, const char *sql, const char *types,
			    const char *const *vals, const int *lens, int flushed, int *rc)
{
	int part = 1;
	PGresult *r;

	/* As STORE_PG_COMMIT: never on a connection made again, and never
	 * with the BEGIN still deferred (the statement would run, and
	 * commit, alone). */
	if (lost(s)) {
		s->pg_tx = 0;
		s->pg_npend = 0;
		set_err(s, "the connection to the database was lost inside a transaction");
		*rc = AK_EDB;
		return NULL;
	}
	if (!s->pg_tx || (s->pg_npend > 0 && is_begin(s->pg_pend[0])) ||
	    PQtransactionStatus(s->pg) != PQTRANS_INTRANS) {
		set_err(s, "no transaction is open to commit");
		*rc = AK_EINVAL;
		return NULL;
	}
	/* Flushed: the commit asynchronous (SET LOCAL: this transaction
	 * only; the session's setting stays on), and the flush's own
	 * transaction after it (FLUSH_SQL); its commit at the pipeline's
	 * sync waits for the WAL to be flushed up to its record, past the
	 * batch's, with the other sessions' flushes merged by group commit,
	 * and the sync's answer comes after that. */
	r = run_post(s, slot, sql, types, vals, lens,
		     flushed ? "SET LOCAL synchronous_commit = off" : NULL, "COMMIT",
		     flushed ? FLUSH_SQL : NULL, &part, rc);
	/* The COMMIT ran, or its outcome is unknown (the connection broke
	 * under it, or under the flush after it): the transaction is over
	 * either way. A failed statement left it open, failed, for the
	 * caller's ROLLBACK. */
	if (part == 0 || part == 3 || part == 4 || lost(s)) {
		s->pg_tx = 0;
		s->pg_npend = 0;
	}
	return r;
}

PGresult *store_pg_run_commit(store *s, unsigned slot, const char *sql, const char *types,
			      const char *const *vals, const int *lens, int *rc)
{
	return run_commit(s, slot, sql, types, vals, lens, 0, rc);
}

PGresult *store_pg_run_commit_flushed(store *s, unsigned slot, const char *sql, const char *types,
				      const char *const *vals, const int *lens, int *rc)
{
	return run_commit(s, slot, sql, types, vals, lens, 1, rc);
}

int store_pg_durable(store *s)
{
	PGresult *r = NULL;
	int rc;

	if (store_pg_tx_open(s))
		return AK_EINVAL;
	if ((rc = store_pg_ready(s)) != 0)
		return rc;
	/* FLUSH_SQL, unless the WAL is flushed already as far as it is
	 * written now, which is past every commit this session has seen
	 * (each was in the WAL before its rows could be seen), and no
	 * synchronous standby is named (whose flush the local one does not
	 * tell): then nothing is written, and nothing waited for. A
	 * read-only session may run it too. */
	if ((rc = exec_simple(s,
			      "SELECT CASE WHEN current_setting('synchronous_standby_names') = ''"
			      " AND pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()"
			      " THEN NULL ELSE " FLUSH_SQL_CALL " END",
			      &r)) != 0)
		return rc;
	PQclear(r);
	return 0;
}

/* A statement without parameters or rows, in text (transactions, SET),
 * with the deferred commands before it. */
static int exec_simple(store *s, const char *sql, PGresult **keep)
{
	PGresult *r;
	int rc, prepared = 0, part;
	struct store_pg_stmt q = {NULL, sql, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL};

	if (s->pg_npend == 0) {
		r = PQexec(s->pg, sql);
		rc = outcome(s, r);
	} else {
		r = store_pg_send(s, &q, &prepared, &part, &rc);
	}
	if (keep != NULL && rc == 0)
		*keep = r;
	else
		PQclear(r);
	return rc;
}

/* ------------------------------------------------------ lost connections */

static int configure(store *s);

static int lost(const store *s)
{
	return PQstatus(s->pg) != CONNECTION_OK || s->pg_down;
}

/* One try at connecting again, if the back-off allows it now. */
static int reconnect(store *s)
{
	uint64_t now = util_mono_ns();

	if (now < s->pg_retry_ns) {
		set_err(s, "the connection to the database is lost; connecting again shortly");
		return AK_EDB;
	}
	PQreset(s->pg);
	s->pg_npend = 0;
	s->pg_prepared = 0;
	s->pg_session++;
	s->pg_tx = 0;
	s->pg_down = 1;
	if (PQstatus(s->pg) == CONNECTION_OK && configure(s) == 0) {
		s->pg_down = 0;
		s->pg_backoff_ms = 0;
		s->pg_retry_ns = 0;
		return 0;
	}
	s->pg_backoff_ms = s->pg_backoff_ms == 0 ? RETRY_MIN_MS : 2 * s->pg_backoff_ms;
	if (s->pg_backoff_ms > RETRY_MAX_MS)
		s->pg_backoff_ms = RETRY_MAX_MS;
	s->pg_retry_ns = util_mono_ns() + (uint64_t)s->pg_backoff_ms * 1000000u;
	return AK_EDB;
}

int store_pg_ready(store *s)
{
	if (!lost(s))
		return 0;
	if (s->pg_tx) {
		set_err(s, "the connection to the database was lost inside a transaction");
		return AK_EDB;
	}
	return reconnect(s);
}

int store_pg_lost(store *s)
{
	return lost(s);
}

/* ---------------------------------------------------------- transactions */

int store_pg_in_transaction(store *s)
{
	return store_pg_tx_open(s);
}

/* Defers cmd until the next statement (sending those deferred before
 * it now if there were ever too many). */
static int defer(store *s, const char *cmd)
{
	int rc;

	if (s->pg_npend == STORE_PG_PEND && (rc = store_pg_flush(s)) != 0)
		return rc;
	s->pg_pend[s->pg_npend++] = cmd;
	return 0;
}

/* The last deferred command, or "". */
static const char *last_deferred(const store *s)
{
	return s->pg_npend > 0 ? s->pg_pend[s->pg_npend - 1] : "";
}

/* A BEGIN, deferred: the connection made again first if it was lost, and
 * the BEGIN sent with the transaction's first statement (once more on a
 * connection made again if that finds it lost: nothing of the
 * transaction exists before its BEGIN). */
static int begin(store *s, const char *sql)
{
	int rc;

	s->pg_tx = 0; /* whatever the caller held before is gone */
	s->pg_npend = 0;
	if ((rc = store_pg_ready(s)) != 0)
		return rc;
	if (PQtransactionStatus(s->pg) != PQTRANS_IDLE) {
		set_err(s, "a transaction is already open");
		return AK_EDB;
	}
	s->pg_tx = 1;
	s->pg_sp_depth = 0;
	s->pg_sp_kept = 0;
	return defer(s, sql);
}

int store_pg_tx(store *s, enum store_pg_tx op)
{
	PGresult *r = NULL;
	int rc;

	switch (op) {
	case STORE_PG_BEGIN:
		return begin(s, "BEGIN");
	case STORE_PG_BEGIN_READ:
		/* One snapshot for every read until the end, as on SQLite. */
		return begin(s, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	case STORE_PG_ROLLBACK:
		/* A lost session's transaction is gone with it, and a deferred
		 * BEGIN never began one. */
		s->pg_tx = 0;
		s->pg_npend = 0;
		if (lost(s) || PQtransactionStatus(s->pg) == PQTRANS_IDLE)
			return 0;
		return exec_simple(s, "ROLLBACK", NULL);
	default:
		break;
	}
	/* The rest run inside the caller's transaction: never on a
	 * connection made again. */
	if (lost(s)) {
		if (op == STORE_PG_COMMIT) {
			s->pg_tx = 0;
			s->pg_npend = 0;
		}
		set_err(s, "the connection to the database was lost inside a transaction");
		return AK_EDB;
	}
	switch (op) {
	case STORE_PG_COMMIT:
		/* A transaction whose BEGIN is still deferred ran nothing:
		 * there is nothing to commit, nor a round trip to make. The
		 * server answers COMMIT of a failed transaction with ROLLBACK,
		 * and no error. A connection lost during COMMIT leaves the
		 * outcome unknown: it fails, and the caller may answer
		 * nothing as done. */
		s->pg_tx = 0;
		if (s->pg_npend > 0 && is_begin(s->pg_pend[0])) {
			s->pg_npend = 0;
			return 0;
		}
		if ((rc = exec_simple(s, "COMMIT", &r)) != 0) {
			s->pg_npend = 0;
			return rc;
		}
		rc = strcmp(PQcmdStatus(r), "COMMIT") == 0 ? 0 : AK_EDB;
		if (rc != 0)
			set_err(s, "the transaction had failed: COMMIT rolled it back");
		PQclear(r);
		return rc;
	case STORE_PG_SAVEPOINT:
		/* Sent with the operation's first statement. */
		if ((rc = defer(s, "SAVEPOINT op")) == 0)
			s->pg_sp_depth++;
		return rc;
	case STORE_PG_RELEASE:
		/* A savepoint that nothing ran under is dropped unsent; else
		 * the release goes with the next statement (or the COMMIT);
		 * but an outermost one is kept, unreleased (below). */
		if (s->pg_sp_depth > 0)
			s->pg_sp_depth--;
		if (strcmp(last_deferred(s), "SAVEPOINT op") == 0) {
			s->pg_npend--;
			return 0;
		}
		if (s->pg_sp_depth == 0 && s->pg_sp_kept < SAVEPOINTS_KEPT) {
			s->pg_sp_kept++;
			return 0;
		}
		return defer(s, "RELEASE SAVEPOINT op");
	case STORE_PG_ROLLBACK_TO:
		/* Nothing ran under a savepoint still deferred: there is
		 * nothing to undo (the RELEASE that follows drops it). Else
		 * the newest savepoint of the name is the caller's: those
		 * inside it were released or rolled back and released, and
		 * those kept unreleased are older. */
		if (strcmp(last_deferred(s), "SAVEPOINT op") == 0)
			return 0;
		return exec_simple(s, "ROLLBACK TO SAVEPOINT op", NULL);
	default:
		break;
	}
	return AK_EINVAL;
}

/* ------------------------------------------------------------ migrations */

/* The schema's version: 0 when the database has no ankang schema yet. */
static int schema_version_of(store *s, int *v)
{
	PGresult *r = NULL;
	int rc;

	*v = 0;
	if ((rc = exec_simple(s, "SELECT to_regclass('ankang_schema') IS NOT NULL", &r)) != 0)
		return rc;
	rc = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!rc)
		return 0;
	if ((rc = exec_simple(s, "SELECT version FROM ankang_schema WHERE one", &r)) != 0)
		return rc;
	rc = AK_ECORRUPT;
	if (PQntuples(r) == 1) {
		char *end;
		long n = strtol(PQgetvalue(r, 0, 0), &end, 10);
		if (*end == '\0' && n >= 0 && n <= INT32_MAX) {
			*v = (int)n;
			rc = 0;
		}
	}
	PQclear(r);
	return rc;
}

static int migrate(store *s)
{
	char sql[64];
	int v, rc;

	if ((rc = schema_version_of(s, &v)) != 0)
		return rc;
	if (v > schema_pg_version || v < 0) {
		set_err(s, "the database's schema is newer than this build's");
		return AK_EINVAL;
	}
	if (v == 0 && !(s->flags & STORE_CREATE)) {
		set_err(s, "the database has no ankang schema (its owner's store_open makes it)");
		return AK_ENOENT;
	}
	while (v < schema_pg_version) {
		if ((rc = store_pg_tx(s, STORE_PG_BEGIN)) != 0)
			return rc;
		if ((rc = exec_simple(s, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", NULL)) !=
			0 ||
		    (rc = schema_version_of(s, &v)) != 0)
			goto fail;
		if (v >= schema_pg_version || v < 0) {
			rc = v < 0 ? AK_EINVAL : 0;
			goto fail;
		}
		if ((rc = exec_simple(s, schema_pg_migrations[v], NULL)) != 0)
			goto fail;
		snprintf(sql, sizeof sql, "UPDATE ankang_schema SET version = %d", v + 1);
		if ((rc = exec_simple(s, sql, NULL)) != 0 ||
		    (rc = store_pg_tx(s, STORE_PG_COMMIT)) != 0)
			goto fail;
		v++;
	}
	return 0;
fail:
	store_pg_tx(s, STORE_PG_ROLLBACK);
	return rc;
}

/* ------------------------------------------------------------ open/close */

/* ------------------------------------------------------------ the URL's rules */

/* The value of keyword in libpq's parse of a URL, NULL when unset or "". */
static const char *opt_val(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* What libpq will use for keyword: the URL's value, else its environment
 * variable's (libpq's order once no service file is read), else NULL. */
static const char *effective(const PQconninfoOption *opts, const char *keyword, const char *env)
{
	const char *v = opt_val(opts, keyword), *e;

	if (v != NULL)
		return v;
	e = getenv(env);
	return e != NULL && e[0] != '\0' ? e : NULL;
}

/* Copies the i-th comma-separated item of list (NULL: none) into out;
 * "" when the list is shorter or the item empty. */
static void list_item(const char *list, size_t i, char *out, size_t cap)
{
	size_t n;

	out[0] = '\0';
	if (list == NULL)
		return;
	for (; i > 0; i--) {
		list = strchr(list, ',');
		if (list == NULL)
			return;
		list++;
	}
	n = strcspn(list, ",");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, list, n);
	out[n] = '\0';
}

static size_t list_len(const char *list)
{
	size_t n = 1;

	if (list == NULL)
		return 0;
	for (; *list != '\0'; list++)
		n += *list == ',';
	return n;
}

/* 1 when host (a host or hostaddr entry) is reached on this machine. */
static int host_local(const char *host)
{
	unsigned char a[16];

	if (host[0] == '\0' || host[0] == '/' || host[0] == '@')
		return 1; /* libpq's default socket, a socket's folder, an abstract socket */
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
	return 0;
}

int store_url_check(const char *url, char *why, size_t cap)
{
	PQconninfoOption *opts;
	const char *host, *addr, *mode, *svc, *bad = NULL;
	char h[256], ha[256], none[1];
	size_t n;
	int rc = AK_EINVAL;

	if (why == NULL || cap == 0) {
		why = none;
		cap = sizeof none;
	}
	why[0] = '\0';
	if (url == NULL || !store_pg_is_url(url) || (opts = PQconninfoParse(url, NULL)) == NULL)
		return util_why(why, cap, AK_EINVAL, "the store URL does not parse as libpq's URL");
	if (opt_val(opts, "password") != NULL) {
		util_why(
		    why, cap, rc,
		    "the store URL carries a password: keep passwords in libpq's password file");
		goto out;
	}
	/* A service file may name the host and the sslmode where nobody
	 * reads them with ankang.conf: the URL must say both itself. */
	svc = getenv("PGSERVICE");
	if (opt_val(opts, "service") != NULL || (svc != NULL && svc[0] != '\0')) {
		util_why(why, cap, rc,
			 "the store URL names a pg_service.conf service (service= or PGSERVICE):"
			 " write the host and sslmode in the URL itself");
		goto out;
	}
	/* Each host entry: its hostaddr when given (where libpq connects),
	 * else its host; PGHOST and PGHOSTADDR stand in for what the URL
	 * leaves out, as they would for libpq. */
	host = effective(opts, "host", "PGHOST");
	addr = effective(opts, "hostaddr", "PGHOSTADDR");
	n = list_len(host) > list_len(addr) ? list_len(host) : list_len(addr);
	for (size_t i = 0; i < n || i == 0; i++) {
		list_item(host, i, h, sizeof h);
		list_item(addr, i, ha, sizeof ha);
		if (!host_local(ha[0] != '\0' ? ha : h)) {
			bad = ha[0] != '\0' ? ha : h;
			break;
		}
	}
	mode = opt_val(opts, "sslmode");
	if (bad != NULL && (mode == NULL || strcmp(mode, "verify-full") != 0)) {
		util_why(why, cap, rc,
			 "the store's host %.64s is not on this machine: its URL must say"
			 " sslmode=verify-full (and sslrootcert=), so that the connection is"
			 " encrypted and the server's certificate checked",
			 bad);
		goto out;
	}
	rc = 0;
out:
	PQconninfoFree(opts);
	return rc;
}

static int configure(store *s)
{
	PGresult *r = NULL;
	int rc;

	PQsetErrorVerbosity(s->pg, PQERRORS_TERSE);
	PQsetErrorContextVisibility(s->pg, PQSHOW_CONTEXT_NEVER);
	if ((rc = exec_simple(s, "SET synchronous_commit = on", NULL)) != 0 ||
	    (rc = exec_simple(s, "SET client_min_messages = warning", NULL)) != 0)
		return rc;
	if ((rc = exec_simple(s, "SHOW fsync", &r)) != 0)
		return rc;
	rc = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "on") == 0 ? 0 : AK_EDB;
	PQclear(r);
	if (rc != 0) {
		set_err(s, "the server runs with fsync off: no commit would be durable");
		return rc;
	}
	if (s->flags & STORE_READONLY)
		return exec_simple(s, "SET default_transaction_read_only = on", NULL);
	return 0;
}

/* Why the thread's last store_pg_open failed (store_open_why). */
static __thread char open_why[200];

void store_pg_open_why_clear(void)
{
	open_why[0] = '\0';
}

const char *store_open_why(void)
{
	return open_why;
}

/* Keeps s's last message as the reason its opening failed, on one line
 * (libpq ends its messages with a newline, and may have several). */
static void keep_why(store *s, int rc)
{
	const char *m = s != NULL && (s->pg != NULL || s->pg_err[0] != '\0') ? store_pg_errmsg(s)
									     : ak_strerror(rc);
	size_t n;

	snprintf(open_why, sizeof open_why, "%s", m);
	for (n = 0; open_why[n] != '\0'; n++)
		if (open_why[n] == '\n' || open_why[n] == '\r')
			open_why[n] = ' ';
	while (n > 0 && open_why[n - 1] == ' ')
		open_why[--n] = '\0';
	if (n == 0)
		snprintf(open_why, sizeof open_why, "%s", ak_strerror(rc));
}

int store_pg_open(store **out, const char *url, unsigned flags)
{
	/* Before dbname, which the URL expands into: what the URL says of
	 * them wins (libpq: the last value given for a keyword). */
	const char *const keys[] = {"connect_timeout",
				    "keepalives_idle",
				    "keepalives_interval",
				    "keepalives_count",
				    "dbname",
				    "fallback_application_name",
				    NULL};
	const char *const vals[] = {CONNECT_TIMEOUT_S,
				    KEEPALIVE_IDLE_S,
				    KEEPALIVE_EVERY_S,
				    KEEPALIVE_PROBES,
				    url,
				    "ankangd",
				    NULL};
	store *s;
	int rc;

	*out = NULL;
	if (store_url_check(url, open_why, sizeof open_why) != 0)
		return AK_EINVAL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	s->flags = flags;
	s->pg_session = 1;
	s->pg = PQconnectdbParams(keys, vals, 1);
	if (s->pg == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}
	rc = AK_EDB;
	if (PQstatus(s->pg) != CONNECTION_OK)
		goto fail;
	if ((rc = configure(s)) != 0)
		goto fail;
	if (flags & STORE_READONLY) {
		int v;
		if ((rc = schema_version_of(s, &v)) != 0)
			goto fail;
		rc = v == 0 ? AK_ENOENT : AK_EINVAL;
		if (v > schema_pg_version || v <= 0) {
			set_err(s, v == 0 ? "the database has no ankang schema"
					  : "the database's schema is newer than this build's");
			goto fail;
		}
	} else if ((rc = migrate(s)) != 0) {
		goto fail;
	}
	*out = s;
	return 0;
fail:
	keep_why(s, rc);
	store_pg_close(s);
	return rc;
}

void store_pg_close(store *s)
{
	if (s == NULL)
		return;
	/* PQfinish ends the session: the server rolls back what was open and
	 * drops the prepared statements and the session's locks. */
	if (s->q_free != NULL)
		s->q_free(s);
	if (s->pg != NULL)
		PQfinish(s->pg);
	free(s);
}
