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
 * survives power loss. Erasure: secure_delete on every connection that
 * writes, and store_wal_truncate, so what a transaction deleted can be
 * made to leave no copy in any file. Guards on every connection the service opens:
 * SQLITE_DBCONFIG_DEFENSIVE, an authorizer that denies UPDATE and DELETE
 * on the log tables and any DROP, and no insert into them that resolves a
 * conflict (refused at prepare). The schema's triggers refuse the same on
 * every other connection; ours run without them (store.c says why).
 *
 * A store handle is one connection, used by one thread at a time.
 *
 * The same API runs on PostgreSQL when store_open is given a
 * postgresql:// URL instead of a path (docs/MULTINODE.md; log/store_pg.h):
 * the log's functions have a PostgreSQL body (the subject and time
 * indexes are tables of the same database, schema/pg/005_log_index.sql,
 * with no file to attach), and the service's tables run on it through store_q
 * (store_int.h); a function with neither fails there with AK_EDB. There
 * the guards are grants
 * and triggers, a COMMIT is durable by the server's fsync, and the WAL
 * calls do nothing (store_wal_truncate returns 0 at once: erasure's
 * promise is restated for that backend).
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
 * Opens the database at path (or, for a postgresql:// URL, the
 * PostgreSQL database it names: store_pg.h). Applies pending migrations (unless
 * read-only), refuses a database whose user_version is newer than this
 * build knows (AK_EINVAL), sets the pragmas and installs the guards.
 * Returns 0, AK_ENOENT (no file and no STORE_CREATE), AK_EDB.
 */
int store_open(store **out, const char *path, unsigned flags);
/* 1 when where is a postgresql:// or postgres:// URL (the PostgreSQL
 * backend), 0 for a file's path. */
int store_is_url(const char *where);
/*
 * The rules a store URL must keep before anything connects with it
 * (SECURITY.md, "Several front-ends on one PostgreSQL database"):
 * libpq's parse of it succeeds; it carries no password; it names no
 * pg_service.conf service (service=, or PGSERVICE in the environment),
 * which could set the host and sslmode out of sight; and when any host
 * it reaches (each hostaddr, else host; PGHOST and PGHOSTADDR for what
 * the URL leaves out, as libpq would) is not on this machine -- a Unix
 * socket's folder, localhost, 127.0.0.0/8 or ::1 are -- it says
 * sslmode=verify-full itself (PGSSLMODE does not count: ankang.conf
 * shows what the node does). Returns 0, or AK_EINVAL with one line in
 * why (which may be NULL) that names the host and no other part of the
 * URL. store_open runs it on every URL; datadir_open and init run it
 * first, so a refused URL is refused by parsing alone.
 */
int store_url_check(const char *url, char *why, size_t cap);
/* Finalizes statements and closes; NULL is a no-op. */
void store_close(store *s);
/*
 * Why the calling thread's last store_open of a postgresql:// URL failed,
 * for an operator's message ("connection to server ... failed", "role
 * ... does not exist", "the server runs with fsync off", "the store URL
 * carries a password"); "" when it did not fail, or opened a file.
 * Thread-local, valid until the thread's next store_open. PostgreSQL's
 * terse messages, which quote no row.
 */
const char *store_open_why(void);
/* store_open_why() when it says something, else ak_strerror(rc): the
 * message for an operator after a store_open that returned rc. */
const char *store_open_err(int rc);

/*
 * A PostgreSQL handle outlives its connection (log/store_pg.c, "Lost
 * connections"): when the server goes away, the call that meets it and
 * every call after it in the same transaction fail with AK_EDB; the
 * first call outside a transaction (a BEGIN, or a statement on its own)
 * connects again, with a capped back-off between tries, and the handle
 * goes on. The new session holds nothing of the old one: no lock (the
 * log's leader lock), no prepared statement. store_generation is a number
 * that changes each time s connects again (always 1 on SQLite), so that
 * a holder of session state can tell it is gone; store_lost is 1 while
 * the connection is lost and not yet made again (0 on SQLite);
 * store_reconnect tries now, when it is lost and the back-off allows,
 * and is 0 once s is connected.
 */
unsigned store_generation(store *s);
int store_lost(store *s);
int store_reconnect(store *s);

/* The last SQLite error message, for operators' logs (never has data). */
const char *store_errmsg(store *s);
/* 1 when the connection's last call failed reading, writing or syncing a
 * file (SQLite's SQLITE_IOERR family, but for its out-of-memory member);
 * 0 otherwise, and for a full disk (SQLITE_FULL), which is not an I/O
 * error: nothing was written that SQLite counts on. */
int store_io_failed(store *s);

/* Transactions. begin is BEGIN IMMEDIATE (the writer owns the write lock).
 * Savepoints nest inside: one per operation in a group-committed batch.
 * begin_read is a plain BEGIN: one snapshot for every read until
 * store_commit or store_rollback, and no lock that a writer waits for;
 * in WAL mode it holds the WAL's checkpoints back while it lasts, so keep
 * it short. */
int store_begin(store *s);
int store_begin_read(store *s);
/* A request's reads (service/http/dispatch.c): on SQLite store_begin_read,
 * 0, to end with store_commit (one read transaction costs less than one a
 * statement). On PostgreSQL none, 1: each statement reads its own
 * snapshot, where a transaction would cost two statements more (BEGIN and
 * COMMIT) a request. Else an AK_E* code. */
int store_begin_reads(store *s);
int store_commit(store *s);
int store_rollback(store *s);
int store_savepoint(store *s);
int store_release(store *s);
int store_rollback_to(store *s);
/* 1 while a transaction is open. After some errors (I/O, disk full) SQLite
 * rolls the whole transaction back by itself; this tells the caller. */
int store_in_transaction(store *s);
/*
 * For a reader that answers without a leaf of its own (the revocation
 * list, the log's entries): called after its reads, outside a
 * transaction, before anything read is answered or signed. On
 * PostgreSQL a writer's batch commits asynchronously and other sessions
 * see its rows before they are durable (store_log_append_commit); this
 * waits until every commit s could have seen is (store_pg_durable: a
 * round trip, and a WAL flush if one is owed). On SQLite 0 at once: a
 * commit is seen by other connections only once the WAL is synced.
 * 0, or an AK_E* code (then answer nothing that was read).
 */
int store_durable(store *s);

/*
 * WAL checkpoints: copying committed pages from the -wal file back into
 * the database file so the WAL can start over. By default a connection
 * does it itself, inside the COMMIT that takes the WAL past
 * STORE_WAL_AUTOCHECKPOINT frames. store_wal_hook turns that off for s
 * and calls fn(ctx, frames) after each of its commits instead, with the
 * WAL's size in frames, so that another thread can checkpoint on another
 * connection with store_checkpoint: restart 0 copies what it can without
 * waiting for anyone; restart 1 waits (the busy timeout) until no
 * transaction uses the WAL, copies all of it and has the next writer
 * start it over. *frames and *copied (may be NULL) are the WAL's size and
 * how much of it is in the database file now. Neither changes what a
 * COMMIT promises: the WAL is synced before COMMIT returns either way.
 */
int store_wal_hook(store *s, void (*fn)(void *ctx, int frames), void *ctx);
int store_checkpoint(store *s, int restart, int *frames, int *copied);

/*
 * Copies the whole WAL into the database file and truncates the WAL to
 * zero bytes (wal_checkpoint(TRUNCATE)), then syncs the truncation: what
 * the WAL held of older versions of pages is then in no file. It waits
 * at most wait_ms, for readers of older snapshots (whose pages the copy
 * would overwrite) and for another connection's checkpoint, and meanwhile
 * holds the database's write lock. Call it outside a transaction. 0;
 * AK_EBUSY (the wait ran out: part of the WAL may still be there; what
 * could be copied was); AK_EIO; AK_EDB.
 *
 * With it, secure_delete (on for every connection that writes: store.c)
 * is what keeps the database file itself clean: SQLite overwrites with
 * zeros the space a deleted or shrunk row leaves, and pages it frees.
 */
int store_wal_truncate(store *s, unsigned wait_ms);

/* ------------------------------------------------------------ audit log */

/* Number of leaves in the log. */
int store_log_size(store *s, uint64_t *n);
/*
 * Appends leaf number idx (which must equal the current size): its exact
 * bytes and the Merkle hashes it completes (the schema says which),
 * computed here from the leaf and the stored hashes of the subtrees to
 * its left: O(log n) reads. Nothing parsed from the bytes is stored: a
 * query reads a leaf's fields from its bytes. AK_EDENIED when idx is not
 * the next index (checked here: our connections run without the schema's
 * triggers, see store.c). The writer, which keeps those hashes in memory
 * and appends at the size it read inside its transaction, uses
 * store_log_append_hashed instead.
 */
int store_log_append(store *s, uint64_t idx, const char *leaf, size_t len);
/*
 * The same with the hashes given: hashes[0] is the leaf's hash and
 * hashes[k] the perfect subtree of level k that ends at this leaf, for
 * k = 1 .. (trailing one bits of idx), as merkle_range_append hands them
 * out; n must be that count + 1 (else AK_EINVAL). idx must be the
 * current size, which is not checked again (AK_EDENIED for an index that
 * is taken). The schema refuses a count that does not fit idx; that the
 * hashes are right, and that the bytes are a leaf, is the caller's to
 * know (the self-check and every auditor recompute and parse them).
 */
int store_log_append_hashed(store *s, uint64_t idx, const char *leaf, size_t len,
			    const merkle_hash *hashes, size_t n);
/*
 * A run of count leaves at idx, idx + 1, ..., each as
 * store_log_append_hashed takes it: on PostgreSQL one statement (the
 * writer's batch, auditlog.c), on SQLite one append each. All of them or
 * none (on SQLite inside the caller's transaction, which a failure
 * leaves for the caller to roll back).
 */
struct store_leaf_row {
	const char *leaf;
	size_t len;
	const merkle_hash *hashes;
	size_t n;
};
int store_log_append_run(store *s, uint64_t idx, const struct store_leaf_row *rows, size_t count);
/* 1 when s is a PostgreSQL store. */
int store_is_pg(store *s);
/*
 * For the self-check, O(n): the number of leaf rows, one more than the
 * largest leaf index (0 when empty), the number of rows whose stored
 * hashes are whole (at least the leaf hash; the schema's CHECK holds the
 * rest) and one more than the largest such index. A whole log has all
 * four equal.
 */
struct store_log_counts {
	uint64_t leaves, leaves_end, hashes, hashes_end;
};
int store_log_counts(store *s, struct store_log_counts *c);
/*
 * Nodes are stored with the leaf that completes them (store_log_append)
 * and never change. This checks one against what is stored: 0 when the
 * stored hash is h, AK_EDENIED when it is another (a node is stored once),
 * AK_ENOENT when the leaf that completes it is not stored (yet).
 */
int store_log_put_node(store *s, unsigned level, uint64_t idx, const merkle_hash h);
/* Reads one; AK_ENOENT when it was never stored. Fits merkle_node_fn. */
int store_log_get_node(void *ctx, unsigned level, uint64_t idx, merkle_hash out);
/* Reads leaf idx into a malloc'd buffer (NUL-terminated, not counted in
 * *len). AK_ENOENT when there is no such leaf. */
int store_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len);
/*
 * For a scan of the log in index order (log/logcheck.c, log/scrub.c):
 * calls fn for each leaf row with from <= idx < to, in order, with its
 * bytes and its stored hashes as they are (hlen bytes; the schema says
 * what they should be, a damaged file may hold anything). Rows that are
 * missing are simply not seen. Stops early and returns fn's value if it
 * is non-zero. leaf and hashes are valid only during the call, and fn
 * must not use s.
 */
typedef int (*store_log_row_fn)(void *ctx, uint64_t idx, const char *leaf, size_t len,
				const uint8_t *hashes, size_t hlen);
int store_log_rows(store *s, uint64_t from, uint64_t to, store_log_row_fn fn, void *ctx);

/*
 * The mark of verified leaves (schema/003_log_verified.sql): every leaf
 * below it was once rehashed against its stored hashes, by a start-up or
 * a scrub pass. Only where the next start-up begins rehashing, never
 * evidence. AK_ENOENT when its row is missing (read it as 0).
 */
int store_log_verified(store *s, uint64_t *upto);
int store_log_set_verified(store *s, uint64_t upto);

/*
 * The log's index file, db_path + "-index" (STORE_INDEX_SUFFIX), attached
 * as schema "ix" by store_log_open: created (0600) with its
 * tables when s may write, left out when it may not and the file is
 * missing (queries then scan the log itself), replaced (it is derived
 * data) when a writable s finds a file that is not a database or is
 * damaged. 0, AK_EIO, AK_EDB. The index is only ever written by the one
 * connection that keeps it up to date (log/walkeeper.c's thread); the
 * audit writer's connection never attaches it, so that keeping it up to
 * date never takes a lock the writer waits for.
 *
 * Its tables are described in store_log.c: a subject index and a time
 * index that cover the leaves below their mark; a query by subject or
 * time reads them below the mark and scans the leaves from the mark on.
 *
 * store_log_index: once at least min leaves lie past the mark, adds up to
 * max of them (0: all) to both indexes, in one transaction of its own on
 * the index file alone (the log is only read), and moves the mark (*mark,
 * if not NULL, receives it either way). AK_EINVAL without an index file
 * attached for writing. Keeping it in steps of STORE_INDEX_STEP bounds
 * the scan a query makes past the mark (well under a millisecond) at a
 * cost of ~2 us a leaf; in the audit writer's transaction that step
 * stalled the writer (bench/bench_auditlog.c), so it runs on a thread and
 * a file of its own (auditlog.c).
 *
 * store_log_index_check: the index must describe this log. It records the
 * leaf hash of the last leaf below its mark; if the log has no such leaf
 * (a log restored from an older copy, a file from another log), or its
 * hash differs, the index is emptied and starts again from leaf 0
 * (*reset = 1). AK_EINVAL without an index file attached for writing.
 *
 * On PostgreSQL the indexes are tables of the log's own database
 * (schema/pg/005_log_index.sql): store_log_open attaches nothing;
 * store_log_index is the same step, in a transaction that holds the
 * mark's row, so that two connections filling in at once add each leaf
 * once (docs/MULTINODE.md: the log's leader alone fills in, through
 * log/walkeeper.c); store_log_index_check has nothing to check (the
 * indexes move with the log they index) and returns 0. Both are
 * AK_EINVAL on a read-only handle or inside a transaction.
 */
#define STORE_INDEX_SUFFIX "-index"
#define STORE_INDEX_STEP   2048
/* store_open, then the index file attached; on failure nothing stays open. */
int store_log_open(store **out, const char *path, unsigned flags);
int store_log_index(store *s, uint64_t min, uint64_t max, uint64_t *mark);
int store_log_index_check(store *s, int *reset);

/*
 * Several writers on one log (docs/MULTINODE.md, "Sequencing"). Each
 * writer's batch, inside its write transaction: store_log_head_lock
 * replaces *r, the range the writer holds (its last head, or an empty
 * one), with the tree's size and compact range as stored, and holds the
 * head until COMMIT or ROLLBACK, so that another writer's batch waits;
 * the writer appends at that size and store_log_head_set writes the new
 * range back before it commits. A size below the one the writer held
 * means the log was truncated behind its back: the caller's to notice.
 * On PostgreSQL the head is one row taken FOR UPDATE, its range checked
 * (AK_ECORRUPT when not one hash a set bit of its size) and, on a
 * session's first lock, its size against the leaves (AK_ECORRUPT when
 * not one past the largest index); after that a head that disagrees
 * with the leaves is refused by the append (store_log_append_commit),
 * without a statement more a batch. On SQLite the write
 * transaction already is the lock, the range is reloaded from the stored
 * hashes only when the stored size is not r's (what auditlog.c's
 * sync_range does today: another process appended), and set does
 * nothing; so a writer that uses them costs on SQLite what it costs now.
 */
int store_log_head_lock(store *s, struct merkle_range *r);
int store_log_head_set(store *s, const struct merkle_range *r);
/*
 * The end of a writer's batch: the run of count leaves at idx (as
 * store_log_append_run), the head set to *r, whose size is idx + count
 * (as store_log_head_set), and the transaction committed (as
 * store_commit). On SQLite those three calls. On PostgreSQL one
 * statement and the COMMIT, in one round trip, the COMMIT asynchronous so
 * that the head's lock goes before the WAL's flush, which a transaction
 * of its own in the same round trip waits for (store_pg_log.c): 0 only
 * once the batch is durable, though other sessions may see its rows
 * before (store_durable); without a run, the head's UPDATE and then a
 * synchronous COMMIT. A run the database refuses (an index taken
 * or out of order, which under the head's lock means the head disagrees
 * with the leaves) is AK_ECORRUPT, nothing stored. On failure the
 * transaction may still be open: the caller rolls back, as after a
 * failed store_commit. A failure after the COMMIT ran (the flush's
 * transaction failed, or the connection broke under it) is AK_EDB, as a
 * COMMIT whose outcome is unknown: the batch may or may not be stored.
 */
int store_log_append_commit(store *s, uint64_t idx, const struct store_leaf_row *rows, size_t count,
			    const struct merkle_range *r);
/*
 * The size of the newest signed checkpoint (the signer's row) as the last
 * store_log_head_lock on s read it, in the same statement as the head:
 * what a writer's bound on leaves not yet signed compares with
 * (auditlog.h, max_unsigned). AK_ENOENT before a head lock read it, and
 * always on SQLite, where the one writer signs its own checkpoints.
 */
int store_log_head_signed(store *s, uint64_t *size);
/* The signer's read of the head: on PostgreSQL the row as committed,
 * without its lock (another writer's batch does not wait for it), in or
 * out of a transaction; on SQLite store_log_head_lock. */
int store_log_head_read(store *s, struct merkle_range *r);

/*
 * The one signer (docs/MULTINODE.md, "One checkpoint signer"), inside
 * the transaction that stores its checkpoint: store_log_signer_lock reads
 * the size of the newest checkpoint a signer stored and holds it until
 * the end of the transaction; store_log_signer_swap moves it from old to
 * size with its root, and is AK_ECONFLICT when it no longer says old
 * (another signer stored one meanwhile: sign nothing). On SQLite, whose
 * one writer signs, lock reads the newest checkpoint's size (0 for none)
 * and swap does nothing.
 *
 * store_log_leader_try: whether this connection holds, or now takes, the
 * log's leader lock, a PostgreSQL session-level advisory lock whose key
 * is derived from origin; it lasts as long as the connection (*held 1 or
 * 0). On SQLite, *held is always 1: one node.
 */
int store_log_signer_lock(store *s, uint64_t *size);
int store_log_signer_swap(store *s, uint64_t old, uint64_t size, const merkle_hash root);
int store_log_leader_try(store *s, const char *origin, int *held);

/* Keeps a signed checkpoint note (every one is kept). */
int store_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
			     uint64_t time_ms);
/* The newest checkpoint (largest size); AK_ENOENT when there is none.
 * Notes are malloc'd and NUL-terminated (the NUL not counted in *len). */
int store_log_last_checkpoint(store *s, uint64_t *size, char **note, size_t *len);
/* The checkpoint stored for exactly this size; AK_ENOENT if none. */
int store_log_checkpoint_at(store *s, uint64_t size, char **note, size_t *len);
/* The checkpoint with the smallest size >= min (its size in *size);
 * AK_ENOENT if none. */
int store_log_checkpoint_from(store *s, uint64_t min, uint64_t *size, char **note, size_t *len);

/* A query over the log; a zero field means "any". */
struct store_log_filter {
	uint64_t start, end;         /* index range [start, end); end 0 = to the end */
	uint64_t since_ms, until_ms; /* time range [since, until); until 0 = no end */
	int action;                  /* enum leaf_action, or -1 */
	int result;                  /* enum leaf_result, or -1 */
	int role;                    /* enum leaf_role, or -1 */
	uint64_t actor_id;           /* with role: LEAF_NO_ID means any */
	int has_subject;
	uint8_t subject[LEAF_ID_BYTES];
	size_t limit; /* 0 = no limit */
	/* Descending index order, for "the last N accesses to my data". */
	int newest_first;
};
void store_log_filter_init(struct store_log_filter *f);
/*
 * Calls fn for each matching leaf in index order (descending with
 * newest_first); stops early and returns fn's value if it is non-zero.
 * A subject, else a time range, is served by its index (plus a scan of
 * the leaves past the indexes' mark); anything else by a scan of the
 * index range. Every condition is checked on the leaf's own bytes (also
 * where an index chose the rows: store_log.c says how); a leaf whose
 * bytes do not parse where a condition needs them (a damaged file) ends
 * the query with AK_ECORRUPT. leaf is valid only during the call; fn
 * may use the same store, but not call store_log_query on it.
 */
typedef int (*store_log_fn)(void *ctx, uint64_t idx, const char *leaf, size_t len);
int store_log_query(store *s, const struct store_log_filter *f, store_log_fn fn, void *ctx);

#endif
