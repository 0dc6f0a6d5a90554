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

/* Slots per connection: the log's, then the service's own. */
#define STORE_STMT_SLOTS 96

/* PostgreSQL's statements per connection (log/store_pg.h), prepared once. */
#define STORE_PG_SLOTS 64

struct store {
	sqlite3 *db;
	PGconn *pg;           /* instead of db: a PostgreSQL store */
	uint64_t pg_prepared; /* bit k: slot k is prepared on pg */
	char pg_err[160];     /* store_pg.c's own errors, for store_errmsg */
	char pg_state[6];     /* the SQLSTATE of the last failure, "" */
	unsigned flags;
	int guarded;    /* the authorizer is installed */
	int log_insert; /* the statement being prepared inserts into the log */
	int index;      /* the index file is attached as "ix" (store_log_open) */
	void (*wal_fn)(void *ctx, int frames); /* store_wal_hook */
	void *wal_ctx;
	sqlite3_stmt *stmt[STORE_STMT_SLOTS];
};

/* The cached statement for slot, prepared from sql on first use; NULL on
 * failure (store_errmsg says why), and always on a PostgreSQL handle, so
 * a function with no PostgreSQL body fails there with AK_EDB. The
 * statement is ready to bind. */
sqlite3_stmt *store_stmt(store *s, unsigned slot, const char *sql);

/* Maps an SQLite result code to an AK_E* code. */
int store_err(int sqlite_rc);

/* The raw connection, for tests that probe the guards (NULL on a
 * PostgreSQL handle). */
sqlite3 *store_sqlite(store *s);

/* How many hashes leaf idx stores (schema/001_audit.sql): its own and one
 * per trailing one bit of idx. */
size_t store_hashes_at(uint64_t idx);
/* The leaf whose row stores node (level, idx): ((idx + 1) << level) - 1.
 * 0, or -1 beyond 2^57 leaves. */
int store_node_row(unsigned level, uint64_t idx, uint64_t *row);

#endif
