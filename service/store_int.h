/*
 * store_int: what the store_*.c files share and nothing else may use (tests
 * excepted): the connection struct and the per-connection cache of
 * prepared statements.
 *
 * Every statement has a slot in enum store_slot and a constant SQL text in
 * the file that owns it. store_stmt prepares it on first use and hands out
 * the cached statement afterwards, reset and with its bindings cleared, so
 * a statement is compiled once per connection. Never pass SQL that was
 * built from input: the texts are string literals.
 */
#ifndef ANKANG_STORE_INT_H
#define ANKANG_STORE_INT_H

#include <sqlite3.h>

#include "service/store.h"

enum store_slot {
	/* store.c */
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
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
	/* store_people.c */
	SQ_RES_INSERT,
	SQ_RES_SEAL,
	SQ_RES_BY_ID,
	SQ_RES_BY_BLIND,
	SQ_RES_SET_STATUS,
	SQ_RES_ERASE,
	SQ_RES_ERASE_SESSIONS,
	SQ_RES_ERASE_HISTORY,
	SQ_HIST_ADD,
	SQ_HIST_LIST,
	SQ_ACC_ADD,
	SQ_ACC_BY_TOKEN,
	SQ_ACC_BY_ID,
	SQ_ACC_BY_NAME,
	SQ_ACC_LIST,
	SQ_ACC_DISABLE,
	SQ_SESS_ADD,
	SQ_SESS_GET,
	SQ_SESS_PURGE,
	SQ_CODE_ADD,
	SQ_CODE_GET,
	SQ_CODES_REVOKE,
	SQ_REVOKED,
	SQ_REVOCATIONS,
	SQ_CODES_PURGE,
	SQ_REVOCATIONS_PURGE,
	SQ_SCAN_ADD,
	SQ_SCAN_KNOWN, /* added with POST /v1/scans (verify.c) */
	SQ_COUNT
};

struct store {
	sqlite3 *db;
	unsigned flags;
	int guarded;    /* the authorizer is installed */
	int log_insert; /* the statement being prepared inserts into the log */
	int index;      /* the index file is attached as "ix" (STORE_INDEX) */
	void (*wal_fn)(void *ctx, int frames); /* store_wal_hook */
	void *wal_ctx;
	sqlite3_stmt *stmt[SQ_COUNT];
};

/* The cached statement for slot, prepared from sql on first use; NULL on
 * failure (store_errmsg says why). The statement is ready to bind. */
sqlite3_stmt *store_stmt(store *s, enum store_slot slot, const char *sql);

/* Registers the SQL functions the log's statements use (store_log.c) on a
 * connection: ankang_leaf_subject_key(leaf). 0 or AK_EDB. */
int store_log_functions(sqlite3 *db);
/* Attaches the index file at path as "ix" (store_log.c); for a writable
 * connection, creates it (the caller made the file) and its tables. 0,
 * AK_EDB. */
int store_log_attach_index(store *s, const char *path);

/* Maps an SQLite result code to an AK_E* code. */
int store_err(int sqlite_rc);

/* The raw connection, for tests that probe the guards. */
sqlite3 *store_sqlite(store *s);

#endif
