/*
 * store_copy: a whole SQLite store copied into an empty PostgreSQL one,
 * for `ankangd migrate` (docs/MULTINODE.md, "Moving a SQLite
 * deployment"; the code in log/store_pg_copy.c).
 *
 * The copy is one transaction on the target: it commits whole, with
 * every table's rows read back byte for byte and the log checked on the
 * target, or it leaves the target as it found it (a killed process, a
 * lost connection, any failure: the server rolls back). The source is
 * read in one snapshot, and written nothing (store_open may have
 * applied its pending migrations before).
 *
 * What the copy promises on success:
 *   - every row of the log's and the people's tables, the same bytes in
 *     the same columns (leaves with their stored hashes, checkpoint notes,
 *     sealed fields, the KEK's check value, token hashes), row ids
 *     included, and the identity sequences moved past them;
 *   - the coordination rows set from the copied log: log_head to its size
 *     and compact range, log_signer to the newest checkpoint's size and
 *     root, log_verified to 0 (the first start of a node rehashes every
 *     leaf);
 *   - the source's log checked in full first (as `ankangd check --full`),
 *     and on the target the root at the newest checkpoint recomputed from
 *     the stored hashes and held against the signed note, and the root of
 *     the whole log the same on both sides.
 * Which tables are copied, set or left to the target's migrations is one
 * list in store_pg_copy.c; a table of either database that the list does
 * not name makes the copy refuse (AK_EINVAL), so a table added by a later
 * migration is never left behind unnoticed.
 *
 * Never: name a row's values in *why (sealed or not), or commit a copy
 * whose read-back or log check failed.
 */
#ifndef ANKANG_STORE_COPY_H
#define ANKANG_STORE_COPY_H

#include <stdint.h>

#include "crypto/key.h"
#include "crypto/merkle.h"
#include "log/store.h"

/* What a copy reports as it goes (store_copy's fn), one event a call. */
enum store_copy_event {
	STORE_COPY_NONE = 0,
	STORE_COPY_CHECKED,     /* the source's log checked whole: n leaves */
	STORE_COPY_TABLE,       /* table is being copied */
	STORE_COPY_TABLE_DONE,  /* table copied and read back: n rows */
	STORE_COPY_LOG_CHECKED, /* the target's log checked: n leaves */
};
typedef void (*store_copy_fn)(void *ctx, enum store_copy_event ev, const char *table, uint64_t n);

/* What a copy that committed holds. */
struct store_copy_result {
	uint64_t leaves;          /* the log's size */
	uint64_t checkpoints;     /* signed checkpoints copied */
	uint64_t checkpoint_size; /* the newest one's size */
	uint64_t rows;            /* rows of the other tables */
	merkle_hash root;         /* the root at size leaves, on both sides */
};

/*
 * Copies from (a SQLite store) into to (a PostgreSQL store opened by the
 * database's owner, its migrations applied), in one transaction on to.
 * node_url (may be NULL) is the URL the service's nodes will use: it is
 * opened first and must read the log's tables, so that a copy is never
 * committed for a role that could not use it. log_key is the log's
 * verifier key (the trust list's); fn (may be NULL) hears the progress.
 *
 * Refuses, leaving to as it was:
 *   AK_EBUSY   another session named "ankangd" (a node, an auditor, a
 *              second migrate) is connected to to's database, or holds
 *              its tables for longer than a few seconds
 *   AK_EEXIST  to already holds rows: a log, a deployment, people
 *   AK_EINVAL  a table of either side that the copy's list does not name,
 *              or a column that differs from it; or from is not SQLite
 *              and to not PostgreSQL
 *   AK_ECORRUPT the source's log does not check whole, or the copy does
 *              not read back or check on the target
 *   AK_EDENIED node_url's role cannot read the log's tables
 *   AK_EDB, AK_ENOMEM, AK_EIO
 * and then *why (if not NULL) says what, in a sentence without data:
 * thread-local, valid until the thread's next call.
 */
int store_copy(store *from, store *to, const char *node_url, const struct key_verifier *log_key,
	       store_copy_fn fn, void *ctx, struct store_copy_result *out, const char **why);

#endif
