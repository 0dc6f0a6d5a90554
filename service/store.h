/*
 * store: the SQLite database, and every SQL statement ankang runs.
 *
 * The DDL lives in schema/NNN_*.sql (compiled in, applied in order at open,
 * tracked by PRAGMA user_version). Every statement lives in a store_*.c
 * file as a prepared statement with bound parameters: no SQL text is ever
 * built from input. store.c holds the connection, the pragmas and the
 * guards; store_log.c the audit log's tables; later files the rest.
 *
 * Durability: WAL and synchronous=FULL, so a committed transaction
 * survives power loss. Guards on every connection the service opens:
 * SQLITE_DBCONFIG_DEFENSIVE, and an authorizer that denies UPDATE and
 * DELETE on the log tables and any DROP (the schema's triggers refuse the
 * same, so a connection without our authorizer is refused too).
 *
 * A store handle is one connection, used by one thread at a time.
 */
#ifndef ANKANG_STORE_H
#define ANKANG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/leaf.h"
#include "crypto/merkle.h"

typedef struct store store;

enum {
	STORE_CREATE = 1,   /* create the file and apply migrations if needed */
	STORE_READONLY = 2, /* open read-only (auditors' copies, readers) */
};

/*
 * Opens the database at path. Applies pending migrations (unless
 * read-only), refuses a database whose user_version is newer than this
 * build knows (AK_EINVAL), sets the pragmas and installs the guards.
 * Returns 0, AK_ENOENT (no file and no STORE_CREATE), AK_EDB.
 */
int store_open(store **out, const char *path, unsigned flags);
/* Finalizes statements and closes; NULL is a no-op. */
void store_close(store *s);

/* The last SQLite error message, for operators' logs (never has data). */
const char *store_errmsg(store *s);

/* Transactions. begin is BEGIN IMMEDIATE (the writer owns the write lock).
 * Savepoints nest inside: one per operation in a group-committed batch. */
int store_begin(store *s);
int store_commit(store *s);
int store_rollback(store *s);
int store_savepoint(store *s);
int store_release(store *s);
int store_rollback_to(store *s);
/* 1 while a transaction is open. After some errors (I/O, disk full) SQLite
 * rolls the whole transaction back by itself; this tells the caller. */
int store_in_transaction(store *s);

/* ------------------------------------------------------------ audit log */

/* Number of leaves in the log. */
int store_log_size(store *s, uint64_t *n);
/*
 * Appends leaf number idx (which must equal the current size): its exact
 * bytes, and the parsed fields into indexed columns for queries.
 */
int store_log_append(store *s, uint64_t idx, const char *leaf, size_t len, const struct leaf *l);
/*
 * For the self-check, O(n): the number of leaf rows, one more than the
 * largest leaf index (0 when empty), the number of level-0 hashes and one
 * more than the largest level-0 index. A whole log has all four equal.
 */
struct store_log_counts {
	uint64_t leaves, leaves_end, hashes, hashes_end;
};
int store_log_counts(store *s, struct store_log_counts *c);
/* Stores the hash of the perfect subtree (level, idx). */
int store_log_put_node(store *s, unsigned level, uint64_t idx, const merkle_hash h);
/* Reads one; AK_ENOENT when it was never stored. Fits merkle_node_fn. */
int store_log_get_node(void *s, unsigned level, uint64_t idx, merkle_hash out);
/* Reads leaf idx into a malloc'd buffer (NUL-terminated, not counted in
 * *len). AK_ENOENT when there is no such leaf. */
int store_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len);

/* Keeps a signed checkpoint note (every one is kept). */
int store_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
			     uint64_t time_ms);
/* The newest checkpoint (largest size); AK_ENOENT when there is none.
 * Notes are malloc'd and NUL-terminated (the NUL not counted in *len). */
int store_log_last_checkpoint(store *s, uint64_t *size, char **note, size_t *len);
/* The checkpoint stored for exactly this size; AK_ENOENT if none. */
int store_log_checkpoint_at(store *s, uint64_t size, char **note, size_t *len);

/* A query over the log; a zero field means "any". */
struct store_log_filter {
	uint64_t start, end;         /* index range [start, end); end 0 = to the end */
	uint64_t since_ms, until_ms; /* time range [since, until) */
	int action;                  /* enum leaf_action, or -1 */
	int role;                    /* enum leaf_role, or -1 */
	uint64_t actor_id;           /* with role: LEAF_NO_ID means any */
	int has_subject;
	uint8_t subject[LEAF_ID_BYTES];
	size_t limit; /* 0 = no limit */
	/* Descending index order, for "the last N accesses to my data"
	 * (a time range is honoured, but scanned rather than indexed). */
	int newest_first;
};
void store_log_filter_init(struct store_log_filter *f);
/*
 * Calls fn for each matching leaf in index order (descending with
 * newest_first); stops early and returns
 * fn's value if it is non-zero. leaf is valid only during the call; fn may
 * use the same store, but not call store_log_query on it.
 */
typedef int (*store_log_fn)(void *ctx, uint64_t idx, const char *leaf, size_t len);
int store_log_query(store *s, const struct store_log_filter *f, store_log_fn fn, void *ctx);

#endif
