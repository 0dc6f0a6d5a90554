/*
 * store_pg: the store on PostgreSQL, through libpq (docs/MULTINODE.md).
 * Internal to the store module, like store_int.h: store.c and
 * store_log.c hand a PostgreSQL handle (s->pg set, s->db NULL) to these
 * functions, whose contracts are the public ones of store.h; callers
 * outside the store never see the difference but in what store.h says
 * of each backend.
 *
 * A store URL is libpq's (postgresql://... or postgres://...). One that
 * carries a password is refused: a password belongs in libpq's password
 * file, not in a configuration that may be shown. The DDL is
 * schema/pg/NNN_*.sql, applied at open by the owner's role; every
 * statement is a constant with bound parameters (binary), prepared once
 * per connection in a slot of enum store_pg_slot.
 *
 * Never: build SQL from input, or report a COMMIT that the server turned
 * into a ROLLBACK (a transaction that had failed) as a commit.
 */
#ifndef ANKANG_STORE_PG_H
#define ANKANG_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "log/store_int.h"

enum store_pg_slot {
	/* store_pg_log.c */
	PQ_LOG_SIZE,
	PQ_LOG_APPEND,
	PQ_LOG_APPEND_RUN,
	PQ_LOG_APPEND_COMMIT,
	PQ_LOG_GET_NODE,
	PQ_LOG_GET_LEAF,
	PQ_LOG_PUT_CHECKPOINT,
	PQ_LOG_LAST_CHECKPOINT,
	PQ_LOG_CHECKPOINT_AT,
	PQ_LOG_CHECKPOINT_FROM,
	PQ_LOG_VERIFIED,
	PQ_LOG_SET_VERIFIED,
	PQ_LOG_COUNTS,
	PQ_LOG_ROWS,
	PQ_LOG_HEAD_LOCK,
	PQ_LOG_HEAD_SET,
	PQ_LOG_SIGNER_LOCK,
	PQ_LOG_SIGNER_SWAP,
	PQ_LOG_LEADER_TRY,
	PQ_LOG_SCAN,
	PQ_LOG_SCAN_DESC,
	PQ_LOG_HEAD_READ,
	PQ_LOG_INDEX_MARK,
	PQ_LOG_INDEX_LOCK,
	PQ_LOG_INDEX_SUBJECTS,
	PQ_LOG_INDEX_TIMES,
	PQ_LOG_INDEX_SET_MARK,
	PQ_LOG_INDEX_BY_SUBJECT,
	PQ_LOG_INDEX_BY_SUBJECT_DESC,
	PQ_LOG_INDEX_BY_TIME,
	PQ_LOG_INDEX_BY_TIME_DESC,
	PQ_LOG_END
};

enum store_pg_tx {
	STORE_PG_BEGIN = 1,
	STORE_PG_BEGIN_READ,
	STORE_PG_COMMIT,
	STORE_PG_ROLLBACK,
	STORE_PG_SAVEPOINT,
	STORE_PG_RELEASE,
	STORE_PG_ROLLBACK_TO
};

/* 1 when where is a PostgreSQL URL rather than a file's path. */
int store_pg_is_url(const char *where);

/*
 * store_open for a URL: connects, refuses a URL with a password
 * (AK_EINVAL) and a server running with fsync off (AK_EDB), brings the
 * schema to schema_pg_version unless STORE_READONLY (each migration in
 * its own transaction, under a transaction-level advisory lock, so two
 * openers apply it once), and refuses a schema newer than this build
 * (AK_EINVAL). A database with no ankang schema at all is AK_ENOENT
 * without STORE_CREATE, as a missing file is. A role that may not run
 * the migrations (the service's) gets AK_EDENIED when one is pending.
 */
int store_pg_open(store **out, const char *url, unsigned flags);
void store_pg_close(store *s);
/* store_open_why's text: store_pg_open keeps its failure there. */
void store_pg_open_why_clear(void);
const char *store_pg_errmsg(store *s);
int store_pg_io_failed(store *s);
int store_pg_tx(store *s, enum store_pg_tx op);
int store_pg_in_transaction(store *s);
/*
 * A lost connection (store_pg.c, "Lost connections"): store_pg_ready is
 * 0 when the connection can take a statement, made again first if it was
 * lost and no transaction is open (and the back-off allows a try now);
 * else AK_EDB. Every statement runs after it. store_pg_lost: 1 while the
 * connection is lost and not made again.
 */
int store_pg_ready(store *s);
int store_pg_lost(store *s);

/*
 * One statement in one round trip (store_pg.c, "Deferred commands"): the
 * commands deferred so far, then pre (or NULL), then the statement (sql,
 * prepared first as name when *prepared is 0, or run unnamed when name is
 * NULL), then post (or NULL), then after (or NULL: a statement that
 * follows a COMMIT in post, and so runs in a transaction of its own,
 * committed by the pipeline's sync), sent in one pipeline. *prepared is 1
 * on return when name is prepared on the session. Returns the statement's
 * result, whatever its status (PQclear it), or NULL when it did not run;
 * *part says what failed: 0 nothing, 1 a deferred command or pre, 2 the
 * statement, 3 post, 4 after or its commit at the sync; store_pg_errmsg
 * and store_pg_io_failed see the failure, and *rc is its AK_E* code.
 */
struct store_pg_stmt {
	const char *name;
	const char *sql;
	int nparams;
	const Oid *types; /* NULL: the server infers them */
	const char *const *vals;
	const int *lens;
	const int *fmts;
	int binary; /* results in binary */
	const char *pre, *post, *after;
};
PGresult *store_pg_send(store *s, const struct store_pg_stmt *q, int *prepared, int *part, int *rc);
/* Sends the deferred commands now, alone: before a statement that does
 * not go through store_pg_send (a COPY). 0, or the AK_E* code. */
int store_pg_flush(store *s);
/* 1 when s has a transaction open or a BEGIN deferred. */
int store_pg_tx_open(store *s);

/*
 * Runs the statement of slot (sql, prepared on first use) with its
 * parameters in binary: types has one letter a parameter, 'i' for a
 * bigint (vals[k] 8 bytes, big-endian: store_pg_put_u64) or 'b' for a
 * bytea (vals[k] lens[k] bytes). Results come in binary too. Returns the
 * result of a statement that succeeded (PQclear it), or NULL with *rc
 * the AK_E* code (store_pg_errmsg says why).
 */
PGresult *store_pg_run(store *s, unsigned slot, const char *sql, const char *types,
		       const char *const *vals, const int *lens, int *rc);
/* store_pg_run, the COMMIT of the caller's transaction sent after the
 * statement in its pipeline (one round trip), and its answer checked as
 * STORE_PG_COMMIT does: the result when both succeeded; else NULL with
 * *rc, the transaction over if the COMMIT ran or may have (the
 * connection broke under it), else left open, failed, for the caller's
 * ROLLBACK. AK_EINVAL, nothing sent, when no transaction has begun on the
 * server (a BEGIN still deferred). */
PGresult *store_pg_run_commit(store *s, unsigned slot, const char *sql, const char *types,
			      const char *const *vals, const int *lens, int *rc);
/*
 * store_pg_run_commit with the lock let go before the flush
 * (docs/MULTINODE.md, "Sequencing"): the transaction commits with
 * synchronous_commit off (its locks released, and its rows seen by other
 * sessions, as soon as its commit record is in the WAL), and in the same
 * pipeline a transaction of its own that writes a WAL record commits
 * synchronously, which flushes the WAL up to its own commit record, and
 * so the first one's, which is before it (store_pg.c, FLUSH_SQL).
 * Returns as store_pg_run_commit, the result only when both committed: a
 * flush that failed, or whose outcome is unknown (the connection broke),
 * is a failure (AK_EDB), the caller's transaction over, its commit
 * perhaps durable, perhaps not.
 */
PGresult *store_pg_run_commit_flushed(store *s, unsigned slot, const char *sql, const char *types,
				      const char *const *vals, const int *lens, int *rc);
/*
 * Waits, outside a transaction, until every commit this session could
 * have seen is durable: one round trip, which, unless the WAL is flushed
 * as far as it is written, commits a transaction of its own
 * synchronously, as store_pg_run_commit_flushed's second one. For a
 * reader that answers from rows other sessions may have committed with
 * synchronous_commit off (store_pg_run_commit_flushed) and writes no leaf
 * of its own: called after its reads and before its answer. 0, or the
 * AK_E* code (then nothing read may be answered).
 */
int store_pg_durable(store *s);
/* A bigint parameter's 8 bytes. */
void store_pg_put_u64(char out[8], uint64_t v);
/* A bigint column of a binary result: 0, or AK_ECORRUPT for a NULL, a
 * negative value or a column that is not 8 bytes. */
int store_pg_get_u64(const PGresult *r, int row, int col, uint64_t *out);

/* The log (store_pg_log.c): store.h's contracts. */
int store_pg_log_size(store *s, uint64_t *n);
int store_pg_log_append_hashed(store *s, uint64_t idx, const char *leaf, size_t len,
			       const merkle_hash *hashes, size_t n);
int store_pg_log_append_run(store *s, uint64_t idx, const struct store_leaf_row *rows,
			    size_t count);
int store_pg_log_append_commit(store *s, uint64_t idx, const struct store_leaf_row *rows,
			       size_t count, const struct merkle_range *r);
int store_pg_log_counts(store *s, struct store_log_counts *c);
int store_pg_log_rows(store *s, uint64_t from, uint64_t to, store_log_row_fn fn, void *ctx);
int store_pg_log_get_node(store *s, unsigned level, uint64_t idx, merkle_hash out);
int store_pg_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len);
int store_pg_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
				uint64_t time_ms);
int store_pg_log_last_checkpoint(store *s, uint64_t *size, char **note, size_t *len);
int store_pg_log_checkpoint_at(store *s, uint64_t size, char **note, size_t *len);
int store_pg_log_checkpoint_from(store *s, uint64_t min, uint64_t *size, char **note, size_t *len);
int store_pg_log_head_lock(store *s, struct merkle_range *r);
int store_pg_log_head_set(store *s, const struct merkle_range *r);
int store_pg_log_head_read(store *s, struct merkle_range *r);
int store_pg_log_signer_lock(store *s, uint64_t *size);
int store_pg_log_signer_swap(store *s, uint64_t old, uint64_t size, const merkle_hash root);
int store_pg_log_leader_try(store *s, const char *origin, int *held);
int store_pg_log_verified(store *s, uint64_t *upto);
/*
 * For store_log_query, which has no index tables on PostgreSQL yet: fn
 * for each leaf with start <= idx < end, in index order (descending with
 * desc), a page at a time; stops early and returns fn's value if it is
 * non-zero. leaf is valid only during the call.
 */
int store_pg_log_scan(store *s, uint64_t start, uint64_t end, int desc, store_log_fn fn, void *ctx);
int store_pg_log_set_verified(store *s, uint64_t upto);

/*
 * The subject and time indexes (schema/pg/005_log_index.sql), for
 * store_log_query and store_log_index. store_pg_log_index_mark reads the
 * mark (every leaf below it is indexed); store_pg_log_index is
 * store_log_index's step, in a transaction of its own that holds the
 * mark's row, so two fillers add each leaf once. store_pg_log_index_ids
 * gives the indices of the leaves an index names in [start, end), which
 * must lie below the mark: those with the subject's key (key not NULL,
 * its first 8 bytes), else those whose time is in [since_ms, until_ms);
 * ascending, or descending with desc; a malloc'd array in *ids (NULL when
 * none), to free. The index is a derived copy: the caller checks each
 * leaf's own bytes.
 */
int store_pg_log_index_mark(store *s, uint64_t *mark);
int store_pg_log_index(store *s, uint64_t min, uint64_t max, uint64_t *mark);
int store_pg_log_index_ids(store *s, const uint8_t *key, uint64_t since_ms, uint64_t until_ms,
			   uint64_t start, uint64_t end, int desc, uint64_t **ids, size_t *n);

#endif
