/*
 * store_int: what the store_*.c files share and nothing else may use (tests
 * excepted): the connection struct and the per-connection cache of
 * prepared statements. A handle is SQLite's (db) or PostgreSQL's (pg,
 * log/store_pg.h), never both; the public functions that have a
 * PostgreSQL body hand a pg handle to it first thing.
 *
 * Every statement has a slot in enum store_slot and a constant SQL text in
 * the file that owns it. store_stmt prepares it on first use and hands out
 * the cached statement afterwards, reset and with its bindings cleared, so
 * a statement is compiled once per connection. Never pass SQL that was
 * built from input: the texts are string literals.
 */
#ifndef ANKANG_STORE_INT_H
#define ANKANG_STORE_INT_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "log/store.h"

enum store_slot {
	/* store.c */
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	SQ_BEGIN_READ,
	/* store_report.c */
	SQ_REPORT_APPEALS,
	/* store_log.c */
	SQ_LOG_SIZE,
	SQ_LOG_COUNTS,
	SQ_LOG_APPEND,
	SQ_LOG_GET_NODE,
	SQ_LOG_INDEX_MARK,
	SQ_LOG_SUBJECT_ADD,
	SQ_LOG_TIME_ADD,
	SQ_LOG_INDEX_SET_MARK,
	SQ_LOG_INDEX_LOCK,
	SQ_LOG_INDEX_TIP,
	SQ_LOG_LEAF_HASH,
	SQ_LOG_GET_LEAF,
	SQ_LOG_PUT_CHECKPOINT,
	SQ_LOG_LAST_CHECKPOINT,
	SQ_LOG_CHECKPOINT_AT,
	SQ_LOG_QUERY_RANGE,
	SQ_LOG_QUERY_SUBJECT,
	SQ_LOG_QUERY_TIME,
	SQ_LOG_QUERY_TIME_DESC,
	SQ_LOG_QUERY_SUBJECT_DESC,
	SQ_LOG_QUERY_RANGE_DESC,
	SQ_LOG_ROWS,
	SQ_LOG_CHECKPOINT_FROM,
	SQ_LOG_VERIFIED,
	SQ_LOG_SET_VERIFIED,
	SQ_LOG_END /* the first slot free for the service (store_people.c) */
};

/* Slots per connection: the log's, then the service's own, and the last
 * STORE_SLOTS_EPOCHS for the epoch tables (service/store_epochs.c). */
#define STORE_STMT_SLOTS   128
#define STORE_SLOTS_EPOCHS 24

/* PostgreSQL's statements per connection (log/store_pg.h), prepared once. */
#define STORE_PG_SLOTS 64
/* Commands a PostgreSQL store may defer (store_pg.c). */
#define STORE_PG_PEND 6

struct store {
	sqlite3 *db;
	PGconn *pg;           /* instead of db: a PostgreSQL store */
	uint64_t pg_prepared; /* bit k: slot k is prepared on pg */
	char pg_err[160];     /* store_pg.c's own errors, for store_errmsg */
	char pg_state[6];     /* the SQLSTATE of the last failure, "" */
	/* A PostgreSQL handle outlives its connection (store_pg.c, "Lost
	 * connections"): the session it is on (1 at open, one more at each
	 * reconnection: prepared statements and locks are the session's),
	 * whether the caller holds a transaction open (no reconnection
	 * inside one), and when the next try to connect again may run. */
	unsigned pg_session;
	int pg_tx;
	int pg_down; /* connected, but not configured: as good as lost */
	/* Commands deferred until the next statement, which carries them in
	 * its round trip (store_pg.c, "Deferred commands"): a BEGIN, the
	 * writer's SAVEPOINT op and RELEASE SAVEPOINT op. */
	const char *pg_pend[STORE_PG_PEND];
	int pg_npend;
	/* Savepoints open (store_pg_tx), and how many outermost ones the
	 * transaction keeps unreleased. */
	int pg_sp_depth;
	int pg_sp_kept;
	uint64_t pg_retry_ns;
	unsigned pg_backoff_ms;
	/* The signer row's size, as the last head lock read it
	 * (store_log_head_signed); pg_signed_seen 0 before one did. */
	uint64_t pg_signed;
	int pg_signed_seen;
	/* The session whose first head lock checked the head against the
	 * leaves (store_pg_log_head_lock): once a session. */
	unsigned pg_head_checked;
	unsigned flags;
	int guarded;    /* the authorizer is installed */
	int log_insert; /* the statement being prepared inserts into the log */
	int index;      /* the index file is attached as "ix" (store_log_open) */
	void (*wal_fn)(void *ctx, int frames); /* store_wal_hook */
	void *wal_ctx;
	sqlite3_stmt *stmt[STORE_STMT_SLOTS];
	struct store_q *q[STORE_STMT_SLOTS]; /* store_q.c, made on first use */
	/* Set by store_q.c when it makes its first statement: frees them on
	 * close, so the connection's code (store.c, store_pg.c) needs nothing
	 * of the layer built on it. */
	void (*q_free)(store *s);
};

/* The cached statement for slot, prepared from sql on first use; NULL on
 * failure (store_errmsg says why), and always on a PostgreSQL handle, so
 * a function with no PostgreSQL body fails there with AK_EDB. The
 * statement is ready to bind. */
sqlite3_stmt *store_stmt(store *s, unsigned slot, const char *sql);

/*
 * store_q (log/store_q.c): one statement that runs on either backend, for
 * the service's tables (service/store_people.c), whose SQL is the same on
 * both. It keeps SQLite's calling convention (bind by position, step to
 * SQLITE_ROW or SQLITE_DONE, read columns, finish), so the SQLite path is
 * the cached sqlite3_stmt as before. On PostgreSQL the text's ?N become
 * $N once, the statement is prepared once a connection with its
 * parameters' types inferred by the server from where they stand, the
 * values travel as text and the rows come back whole, in binary; a
 * failure is reported as the SQLite code that means the same (a
 * uniqueness, foreign key, CHECK or NOT NULL violation), so the callers'
 * error mapping is one. Column types: SQLITE_INTEGER for any integer,
 * SQLITE_BLOB for bytea, SQLITE_TEXT for text, SQLITE_NULL.
 *
 * Never: "no limit" as LIMIT -1 (PostgreSQL refuses a negative limit;
 * bind INT64_MAX), an unaliased subquery in FROM, or anything but
 * standard SQL both engines read alike (RETURNING, ON CONFLICT DO NOTHING
 * are both engines').
 */
typedef struct store_q store_q;
store_q *store_q_get(store *s, unsigned slot, const char *sql);
int store_q_bind_int64(store_q *q, int i, int64_t v);
int store_q_bind_blob(store_q *q, int i, const void *p, int n);
int store_q_bind_text(store_q *q, int i, const char *t, int n);
int store_q_bind_null(store_q *q, int i);
int store_q_step(store_q *q);
int store_q_type(store_q *q, int col);
int64_t store_q_int64(store_q *q, int col);
const void *store_q_blob(store_q *q, int col);
const unsigned char *store_q_text(store_q *q, int col);
int store_q_bytes(store_q *q, int col);
/* Rows the last step's statement changed (sqlite3_changes64). */
uint64_t store_q_changes(store_q *q);
/* Reset and bindings cleared; ready for the next user. */
void store_q_finish(store_q *q);
/*
 * Says that every caller of q ends its operation when q fails (returns
 * the failure to the writer, which undoes the operation under its own
 * savepoint): on PostgreSQL q's writes then run without a savepoint of
 * their own (store_q.c). Never for a statement whose failure a caller
 * answers and goes on after (an enrolment's taken ID number). Nothing on
 * SQLite, where a failed statement is undone alone anyway.
 */
void store_q_ends_operation(store_q *q);

/* Maps an SQLite result code to an AK_E* code. */
int store_err(int sqlite_rc);

/* The raw connection, for tests that probe the guards (NULL on a
 * PostgreSQL handle). */
sqlite3 *store_sqlite(store *s);

/* How many hashes leaf idx stores (schema/001_audit.sql): its own and one
 * per trailing one bit of idx. The same row layout on both backends. */
static inline size_t store_hashes_at(uint64_t idx)
{
	return 1 + (size_t)__builtin_ctzll(~idx);
}
/* The leaf whose row stores node (level, idx): ((idx + 1) << level) - 1.
 * 0, or -1 beyond 2^57 leaves. */
static inline int store_node_row(unsigned level, uint64_t idx, uint64_t *row)
{
	if (level > 57 || idx >= (uint64_t)1 << (57 - level))
		return -1;
	*row = ((idx + 1) << level) - 1;
	return 0;
}

#endif
