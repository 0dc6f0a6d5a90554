/*
 * store_log: every SQL statement over the audit log's tables (schema in
 * schema/001_audit.sql, contract in store.h).
 *
 * The statements are constants, prepared once per connection and cached
 * (store_stmt). Queries pick fixed texts by which filter fields are set
 * (a subject, a time window, or neither; oldest or newest first), so that
 * each is served by the index it names. The subject and time indexes are
 * brought up to date in steps (store_log_index), so a query by either
 * reads the index below the step's mark and scans the leaves from the
 * mark on (see store_log_query). Values are always bound.
 *
 * A leaf row holds the leaf's exact bytes and the tree's stored hashes,
 * nothing parsed from the bytes: whatever a filter asks of a leaf's fields
 * (action, role, actor, subject, time) is checked in C, on those bytes
 * (leaf_matches). The bytes are the record and the Merkle
 * tree covers only them. The `hashes` column: node (level, idx) is in the
 * row of its last leaf, ((idx + 1) << level) - 1, at byte 32 * level.
 *
 * On a PostgreSQL handle, the functions that have a body in
 * store_pg_log.c hand over to it first thing; the others fail there with
 * AK_EDB (store_stmt answers NULL), until they have one.
 *
 * Never: write a log table other than by INSERT (the authorizer refuses
 * it on our connections, the triggers on everyone else's), use a conflict
 * clause (OR REPLACE would delete a leaf, and our connections run without
 * the triggers: store.c), return a row's bytes beyond its length, or
 * answer a filtered query with a leaf whose own bytes do not match.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "log/store_int.h"
#include "log/store_pg.h"

/* Unsigned values beyond SQLite's signed 64 bits cannot be stored; where a
 * bound means "no bound" it is clamped instead. */
static sqlite3_int64 clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* Steps a statement expected to finish without rows, then resets it. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(rc) ? store_err(rc) : AK_EDB;
}

static void finish(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* A malloc'd, NUL-terminated copy of column col. */
static int copy_blob(sqlite3_stmt *st, int col, char **out, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	char *buf;

	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return AK_ENOMEM;
	if (n > 0)
		memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* ----------------------------------------------------------------- sizes */

int store_log_size(store *s, uint64_t *n)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_SIZE, "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves");
	int rc;

	if (s->pg != NULL)
		return store_pg_log_size(s, n);
	if (st == NULL)
		return AK_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	finish(st);
	return rc == SQLITE_ROW ? 0 : AK_EDB;
}

int store_log_counts(store *s, struct store_log_counts *c)
{
	/* One pass over the table. Every row has its hashes (NOT NULL and the
	 * CHECK): the second pair differs only where someone switched the
	 * CHECKs off to rewrite the file. */
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_COUNTS,
		       "SELECT count(*), coalesce(max(idx) + 1, 0),"
		       " count(*) FILTER (WHERE length(hashes) >= 32),"
		       " coalesce(max(idx) FILTER (WHERE length(hashes) >= 32) + 1, 0)"
		       " FROM log_leaves");
	int rc;

	if (s->pg != NULL)
		return store_pg_log_counts(s, c);
	if (st == NULL)
		return AK_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->leaves = (uint64_t)sqlite3_column_int64(st, 0);
		c->leaves_end = (uint64_t)sqlite3_column_int64(st, 1);
		c->hashes = (uint64_t)sqlite3_column_int64(st, 2);
		c->hashes_end = (uint64_t)sqlite3_column_int64(st, 3);
	}
	finish(st);
	return rc == SQLITE_ROW ? 0 : AK_EDB;
}

/* ---------------------------------------------------------------- leaves */

int store_is_pg(store *s)
{
	return s->pg != NULL;
}

int store_log_append_run(store *s, uint64_t idx, const struct store_leaf_row *rows, size_t count)
{
	int rc;

	if (s->pg != NULL)
		return store_pg_log_append_run(s, idx, rows, count);
	for (size_t k = 0; k < count; k++)
		if ((rc = store_log_append_hashed(s, idx + k, rows[k].leaf, rows[k].len,
						  rows[k].hashes, rows[k].n)) != 0)
			return rc;
	return 0;
}

int store_log_append_hashed(store *s, uint64_t idx, const char *leaf, size_t len,
			    const merkle_hash *hashes, size_t n)
{
	sqlite3_stmt *st = store_stmt(
	    s, SQ_LOG_APPEND, "INSERT INTO log_leaves (idx, leaf, hashes) VALUES (?1, ?2, ?3)");
	int bad = 0, rc;

	if (s->pg != NULL)
		return store_pg_log_append_hashed(s, idx, leaf, len, hashes, n);
	if (st == NULL)
		return AK_EDB;
	if (idx >= (uint64_t)1 << 57 || len == 0 || len > LEAF_MAX || n != store_hashes_at(idx))
		return AK_EINVAL;
	bad |= sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	bad |= sqlite3_bind_blob(st, 2, leaf, (int)len, SQLITE_STATIC);
	bad |= sqlite3_bind_blob(st, 3, hashes, (int)(n * MERKLE_HASH_BYTES), SQLITE_STATIC);
	if (bad) {
		finish(st);
		return AK_EINVAL;
	}
	/* A second row at an index: the PRIMARY KEY refuses it (our
	 * connections run without the triggers, which would say so). */
	rc = step_done(st);
	return rc == AK_ECONFLICT ? AK_EDENIED : rc;
}

int store_log_append(store *s, uint64_t idx, const char *leaf, size_t len)
{
	merkle_hash h[58];
	size_t n = store_hashes_at(idx);
	uint64_t size;
	int rc;

	if (idx >= (uint64_t)1 << 57 || len == 0 || len > LEAF_MAX)
		return AK_EINVAL;
	/* The triggers are off on our connections (store.c): the order is
	 * checked here, inside the caller's transaction if it has one. */
	if ((rc = store_log_size(s, &size)) != 0)
		return rc;
	if (idx != size)
		return AK_EDENIED;
	/* Level k ends here: its left half is the stored subtree (k - 1) just
	 * before the right half, which is the one computed one step below. */
	merkle_leaf_hash(h[0], (const uint8_t *)leaf, len);
	for (size_t k = 1; k < n; k++) {
		merkle_hash left;
		if ((rc = store_log_get_node(s, (unsigned)k - 1, ((idx + 1) >> (k - 1)) - 2,
					     left)) != 0)
			return rc == AK_ENOENT ? AK_ECORRUPT : rc;
		merkle_node_hash(h[k], left, h[k - 1]);
	}
	return store_log_append_hashed(s, idx, leaf, len, h, n);
}

int store_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_GET_LEAF, "SELECT leaf FROM log_leaves WHERE idx = ?1");
	int rc;

	if (s->pg != NULL)
		return store_pg_log_get_leaf(s, idx, leaf, len);
	*leaf = NULL;
	*len = 0;
	if (st == NULL)
		return AK_EDB;
	if (idx > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = copy_blob(st, 0, leaf, len);
	else
		rc = rc == SQLITE_DONE ? AK_ENOENT : AK_EDB;
	finish(st);
	return rc;
}

int store_log_rows(store *s, uint64_t from, uint64_t to, store_log_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_ROWS,
				      "SELECT idx, leaf, hashes FROM log_leaves"
				      " WHERE idx >= ?1 AND idx < ?2 ORDER BY idx");
	int rc, frc = 0;

	if (s->pg != NULL)
		return store_pg_log_rows(s, from, to, fn, ctx);
	if (st == NULL)
		return AK_EDB;
	if (from >= to)
		return 0;
	sqlite3_bind_int64(st, 1, clamp(from));
	sqlite3_bind_int64(st, 2, clamp(to));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* A blob's pointer first, then its length (SQLite's rule). */
		const char *leaf = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		const uint8_t *hashes = sqlite3_column_blob(st, 2);
		int hlen = sqlite3_column_bytes(st, 2);

		if ((frc = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), leaf != NULL ? leaf : "",
			      leaf != NULL ? (size_t)len : 0, hashes,
			      hashes != NULL ? (size_t)hlen : 0)) != 0)
			break;
	}
	finish(st);
	if (frc != 0)
		return frc;
	return rc == SQLITE_DONE ? 0 : store_err(rc) ? store_err(rc) : AK_EDB;
}

/* ------------------------------------------------------- verified leaves */

int store_log_verified(store *s, uint64_t *upto)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_VERIFIED, "SELECT upto FROM log_verified WHERE one = 1");
	int rc;

	if (s->pg != NULL)
		return store_pg_log_verified(s, upto);
	*upto = 0;
	if (st == NULL)
		return AK_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) >= 0)
		*upto = (uint64_t)sqlite3_column_int64(st, 0);
	finish(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? AK_ENOENT : AK_EDB;
}

int store_log_set_verified(store *s, uint64_t upto)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_SET_VERIFIED, "UPDATE log_verified SET upto = ?1 WHERE one = 1");

	if (s->pg != NULL)
		return store_pg_log_set_verified(s, upto);
	if (st == NULL)
		return AK_EDB;
	sqlite3_bind_int64(st, 1, clamp(upto));
	return step_done(st);
}

/* ----------------------------------------------------------------- nodes */

int store_log_get_node(void *ctx, unsigned level, uint64_t idx, merkle_hash out)
{
	store *s = ctx;
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_GET_NODE, "SELECT hashes FROM log_leaves WHERE idx = ?1");
	uint64_t row;
	int rc;

	if (s->pg != NULL)
		return store_pg_log_get_node(s, level, idx, out);
	if (st == NULL)
		return AK_EDB;
	if (store_node_row(level, idx, &row) != 0)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)row);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* The schema holds the count to the row; fewer is a damaged
		 * file (or one whose CHECKs someone switched off). */
		const uint8_t *p = sqlite3_column_blob(st, 0);
		if (p != NULL && (size_t)sqlite3_column_bytes(st, 0) >=
				     ((size_t)level + 1) * MERKLE_HASH_BYTES) {
			memcpy(out, p + (size_t)level * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES);
			rc = 0;
		} else {
			rc = AK_ECORRUPT;
		}
	} else {
		rc = rc == SQLITE_DONE ? AK_ENOENT : AK_EDB;
	}
	sqlite3_reset(st);
	return rc;
}

int store_log_put_node(store *s, unsigned level, uint64_t idx, const merkle_hash h)
{
	merkle_hash stored;
	int rc = store_log_get_node(s, level, idx, stored);

	if (rc != 0)
		return rc;
	return memcmp(stored, h, MERKLE_HASH_BYTES) == 0 ? 0 : AK_EDENIED;
}

/* ------------------------------------------------ subject and time index */

/*
 * The index file (store_log_open in store.h), attached as "ix". Its tables:
 *
 *   log_subjects    which leaves name a subject (a resident's accesses):
 *                   FTS5, an LSM tree inside SQLite, so that a step adds
 *                   one sorted segment, merged a little at a time later,
 *                   where a B-tree index on random pseudonyms wrote a
 *                   4 KiB page per leaf. Each entry is the subject's first
 *                   SUBJECT_KEY_DIGITS hex digits (one token of the ascii
 *                   tokenizer) with the leaf's index as its rowid; nothing
 *                   else is stored. A leaf without a subject adds a row of
 *                   no terms, which FTS5 stores as nothing.
 *   log_times       (time, index) for every leaf, for an auditor's time
 *                   window. Times nearly grow with the index, so a step
 *                   appends at the right edge (a scan uploaded late, with
 *                   the time of the scan, lands further left).
 *   log_index_mark  upto: both hold every leaf below it; tip: the leaf
 *                   hash of leaf upto - 1, which ties the index to this
 *                   log (store_log_index_check).
 *
 * It is derived data, in a file of its own so that keeping it up to date
 * (one writer: auditlog.c's checkpointer) never waits for the audit
 * writer's lock nor makes the writer wait for its own. Synced lazily
 * (synchronous=NORMAL): after a crash it may have lost its last steps,
 * and redoes them. A damaged or foreign index could hide an entry from a
 * resident's list or an auditor's window, never from the log, which an
 * auditor reads whole; and no query answers with a leaf whose own bytes
 * do not match its filter (leaf_matches), whatever an index says.
 */
static const char index_schema[] =
    "CREATE VIRTUAL TABLE IF NOT EXISTS ix.log_subjects USING fts5("
    " subject, content = '', detail = none, columnsize = 0, tokenize = 'ascii');"
    "CREATE TABLE IF NOT EXISTS ix.log_times ("
    " time_ms INTEGER NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (time_ms, idx)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ix.log_index_mark ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " upto INTEGER NOT NULL CHECK (upto >= 0),"
    " tip BLOB CHECK (tip IS NULL OR length(tip) = 32)"
    ") STRICT;"
    "INSERT INTO ix.log_index_mark (one, upto, tip)"
    " SELECT 1, 0, NULL WHERE NOT EXISTS (SELECT 1 FROM ix.log_index_mark);";

/* Puts the index file in WAL mode; 1 when it is. */
static int index_wal(store *s)
{
	sqlite3_stmt *st = NULL;
	int wal = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA ix.journal_mode = WAL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	return wal;
}

static int attach_file(store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(s->db, "ATTACH ?1 AS ix", -1, &st, NULL) != SQLITE_OK)
		return AK_EDB;
	if (sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE)
		ok = 1;
	sqlite3_finalize(st);
	if (!ok)
		return sqlite3_errcode(s->db) == SQLITE_NOTADB ? AK_ECORRUPT : AK_EDB;
	/* The one writer of the index (the checkpointer's connection) reads
	 * the log once, in order: its page cache for the log stays small.
	 * WAL, so that its steps never block the service's readers. That WAL
	 * is checkpointed by SQLite's own auto-checkpoint, at
	 * STORE_WAL_AUTOCHECKPOINT frames (store.c), and a WAL file keeps the
	 * largest size it ever reached (5 MB seen in a ten-minute soak): the
	 * size limit cuts it back to 1 MiB each time it starts over. */
	if (!(s->flags & STORE_READONLY) &&
	    (!index_wal(s) ||
	     sqlite3_exec(s->db,
			  "PRAGMA ix.synchronous = NORMAL; PRAGMA ix.journal_size_limit = 1048576;"
			  " PRAGMA main.cache_size = -1024;",
			  NULL, NULL, NULL) != SQLITE_OK ||
	     sqlite3_exec(s->db, index_schema, NULL, NULL, NULL) != SQLITE_OK))
		ok = 0;
	/* Readers look a resident or a time window up in it now and then: a
	 * small cache of its own (the 64 MB budget: store.c). */
	if (ok && (s->flags & STORE_READONLY) &&
	    sqlite3_exec(s->db, "PRAGMA ix.cache_size = -1024", NULL, NULL, NULL) != SQLITE_OK)
		ok = 0;
	/* Readable, and what this build expects. */
	if (ok && sqlite3_exec(s->db,
			       "SELECT upto, tip FROM ix.log_index_mark WHERE one = 1;"
			       " SELECT time_ms, idx FROM ix.log_times LIMIT 0;"
			       " SELECT rowid FROM ix.log_subjects LIMIT 0;",
			       NULL, NULL, NULL) != SQLITE_OK)
		ok = 0;
	if (!ok) {
		/* Only a file that is not a database, or a damaged one, is worth
		 * replacing; anything else (another process holding a lock at
		 * that moment, say) is left alone. */
		int code = sqlite3_errcode(s->db);
		sqlite3_exec(s->db, "DETACH ix", NULL, NULL, NULL);
		return code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? AK_ECORRUPT : AK_EDB;
	}
	return 0;
}

/* The index's mark; 0 without an index file (every query then scans). */
static int index_mark(store *s, uint64_t *mark)
{
	sqlite3_stmt *st;
	int rc;

	*mark = 0;
	if (!s->index)
		return 0;
	if ((st = store_stmt(s, SQ_LOG_INDEX_MARK,
			     "SELECT upto FROM ix.log_index_mark WHERE one = 1")) == NULL)
		return AK_EDB;
	*mark = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*mark = (uint64_t)sqlite3_column_int64(st, 0);
	finish(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? AK_ECORRUPT : AK_EDB;
}

/*
 * Field k of a leaf's bytes (0 time, 1 actor, 2 action, 3 subject:
 * FORMAT.md 3.1), each of which a space ends, and its length in *flen;
 * NULL for bytes that do not start with the prefix or run out first
 * (only a damaged file has them). Not a parser: the few queries and the
 * index step that look at one field use it where a leaf_parse, ~1 us,
 * would cost more than everything else they do for the leaf. It never
 * reads past len.
 */
enum {
	FIELD_TIME,
	FIELD_ACTOR,
	FIELD_ACTION,
	FIELD_SUBJECT
};

static const char *field_at(const char *leaf, size_t len, unsigned k, size_t *flen)
{
	static const char prefix[] = LEAF_PREFIX " ";
	size_t pos = sizeof prefix - 1;
	const char *sp;

	if (len <= pos || memcmp(leaf, prefix, pos) != 0)
		return NULL;
	for (;; k--) {
		if ((sp = memchr(leaf + pos, ' ', len - pos)) == NULL)
			return NULL;
		if (k == 0)
			break;
		pos = (size_t)(sp - leaf) + 1;
	}
	*flen = (size_t)(sp - leaf) - pos;
	return leaf + pos;
}

/*
 * The subject of a leaf's bytes, as the 32 lowercase hex digits the leaf
 * holds, or NULL for "-" (and for bytes that are not a leaf's: they stay
 * out of the index, and the self-check and every auditor name them).
 */
static const char *subject_hex(const char *leaf, size_t len)
{
	size_t n;
	const char *at = field_at(leaf, len, FIELD_SUBJECT, &n);

	if (at == NULL || n != 2 * LEAF_ID_BYTES)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!((at[i] >= '0' && at[i] <= '9') || (at[i] >= 'a' && at[i] <= 'f')))
			return NULL;
	return at;
}

/*
 * The subject index holds a subject's first SUBJECT_KEY_DIGITS hex digits
 * (64 bits of a keyed pseudonym), not all 32: half the token costs the
 * index step ~20% less CPU and 43% fewer pages (66 instead of 116 per
 * 2048 leaves, on the 2-CPU VM), and a query compares the whole subject
 * on each leaf anyway (leaf_matches), so a shared prefix, once in about
 * 2^64 pairs, costs one leaf read.
 */
#define SUBJECT_KEY_DIGITS 16

/* ankang_leaf_subject_key(leaf): subject_hex's first SUBJECT_KEY_DIGITS
 * digits as SQL text, or NULL. */
static void sql_leaf_subject_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *leaf = sqlite3_value_blob(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	const char *hex = leaf != NULL && n > 0 ? subject_hex(leaf, (size_t)n) : NULL;

	(void)argc;
	if (hex == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, hex, SUBJECT_KEY_DIGITS, SQLITE_TRANSIENT);
}

static int register_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "ankang_leaf_subject_key", 1,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
					  NULL, sql_leaf_subject_key, NULL, NULL, NULL) == SQLITE_OK
		   ? 0
		   : AK_EDB;
}

/* Creates path (0600, like the database) unless it exists. */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EEXIST ? 0 : AK_EIO;
}

/*
 * A reader goes without an index file that is missing or will not open. A
 * writer finding one that is not a database, or damaged, removes it (with
 * its -wal and -shm) and makes a new one: the file is derived from the
 * log, and the new one is filled in from leaf 0 by the index's keeper.
 * Any other failure (a lock another process held too long) fails and
 * leaves the file to its other users.
 */
static int attach_index(store *s, const char *db_path)
{
	char ipath[4096], aux[4096 + 8];
	struct stat st;
	int rc;

	if (s->index)
		return 0;
	if (snprintf(ipath, sizeof ipath, "%s" STORE_INDEX_SUFFIX, db_path) >= (int)sizeof ipath)
		return AK_EINVAL;
	if (register_functions(s->db) != 0)
		return AK_EDB;
	if (s->flags & STORE_READONLY) {
		if (stat(ipath, &st) == 0 && attach_file(s, ipath) == 0)
			s->index = 1;
		return 0;
	}
	if (create_private(ipath) != 0)
		return AK_EIO;
	if ((rc = attach_file(s, ipath)) == 0) {
		s->index = 1;
		return 0;
	}
	if (rc != AK_ECORRUPT)
		return rc;
	unlink(ipath);
	snprintf(aux, sizeof aux, "%s-wal", ipath);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", ipath);
	unlink(aux);
	if (create_private(ipath) != 0 || attach_file(s, ipath) != 0)
		return AK_EDB;
	s->index = 1;
	return 0;
}

int store_log_open(store **out, const char *path, unsigned flags)
{
	int rc = store_open(out, path, flags);

	/* PostgreSQL keeps no index file (docs/MULTINODE.md). */
	if (rc == 0 && (*out)->pg == NULL && (rc = attach_index(*out, path)) != 0) {
		store_close(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Adds the leaves [from, to) to both indexes, reading their fields from
 * their bytes: the subject's key with ankang_leaf_subject_key (a leaf without one
 * adds a row of no terms, which FTS5 stores as nothing), the time as the
 * number the line starts with after its prefix (FORMAT.md 3.1: bytes 11
 * on; CAST reads the leading digits).
 */
static int index_range(store *s, uint64_t from, uint64_t to)
{
	sqlite3_stmt *subj = store_stmt(s, SQ_LOG_SUBJECT_ADD,
					"INSERT INTO ix.log_subjects (rowid, subject)"
					" SELECT idx, ankang_leaf_subject_key(leaf) FROM log_leaves"
					" WHERE idx >= ?1 AND idx < ?2");
	sqlite3_stmt *time =
	    store_stmt(s, SQ_LOG_TIME_ADD,
		       "INSERT INTO ix.log_times (time_ms, idx)"
		       " SELECT CAST(substr(leaf, 11) AS INTEGER), idx FROM log_leaves"
		       " WHERE idx >= ?1 AND idx < ?2");
	int rc;

	if (subj == NULL || time == NULL)
		return AK_EDB;
	sqlite3_bind_int64(subj, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(subj, 2, (sqlite3_int64)to);
	if ((rc = step_done(subj)) != 0)
		return rc;
	sqlite3_bind_int64(time, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(time, 2, (sqlite3_int64)to);
	return step_done(time);
}

/*
 * A write transaction on the index file alone: plain BEGIN, then a write
 * to ix first. (BEGIN IMMEDIATE would take the log's write lock too, and
 * wait for the audit writer; the log is only read here, from a snapshot.)
 */
static int index_begin(store *s)
{
	sqlite3_stmt *lock = store_stmt(s, SQ_LOG_INDEX_LOCK,
					"UPDATE ix.log_index_mark SET upto = upto WHERE one = 1");
	int rc;

	if (lock == NULL)
		return AK_EDB;
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return AK_EDB;
	if ((rc = step_done(lock)) != 0)
		store_rollback(s);
	return rc;
}

/* The leaf hash of leaf idx, as stored with it. */
static int leaf_hash_at(store *s, uint64_t idx, merkle_hash out)
{
	sqlite3_stmt *st = store_stmt(
	    s, SQ_LOG_LEAF_HASH, "SELECT substr(hashes, 1, 32) FROM log_leaves WHERE idx = ?1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == MERKLE_HASH_BYTES)
		memcpy(out, sqlite3_column_blob(st, 0), MERKLE_HASH_BYTES);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_DONE;
	finish(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? AK_ENOENT : AK_EDB;
}

static int set_mark(store *s, uint64_t upto)
{
	sqlite3_stmt *set =
	    store_stmt(s, SQ_LOG_INDEX_SET_MARK,
		       "UPDATE ix.log_index_mark SET upto = ?1, tip = ?2 WHERE one = 1");
	merkle_hash tip;
	int rc;

	if (set == NULL)
		return AK_EDB;
	if (upto > 0 && (rc = leaf_hash_at(s, upto - 1, tip)) != 0)
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	sqlite3_bind_int64(set, 1, (sqlite3_int64)upto);
	if (upto > 0)
		sqlite3_bind_blob(set, 2, tip, MERKLE_HASH_BYTES, SQLITE_STATIC);
	return step_done(set);
}

int store_log_index(store *s, uint64_t min, uint64_t max, uint64_t *mark_out)
{
	uint64_t mark, n;
	int rc;

	if (s->pg != NULL)
		return store_pg_log_index(s, min, max, mark_out);
	if (!s->index || (s->flags & STORE_READONLY) || store_in_transaction(s))
		return AK_EINVAL;
	/* The entries and the mark move together, or neither does. */
	if ((rc = index_begin(s)) != 0)
		return rc;
	if ((rc = index_mark(s, &mark)) != 0 || (rc = store_log_size(s, &n)) != 0)
		goto fail;
	if (n > mark && n - mark >= min) {
		if (max != 0 && n - mark > max)
			n = mark + max;
		if ((rc = index_range(s, mark, n)) != 0 || (rc = set_mark(s, n)) != 0)
			goto fail;
		mark = n;
	}
	if ((rc = store_commit(s)) != 0)
		goto fail;
	if (mark_out != NULL)
		*mark_out = mark;
	return 0;
fail:
	store_rollback(s);
	return rc;
}

int store_log_index_check(store *s, int *reset)
{
	sqlite3_stmt *st;
	merkle_hash tip, have;
	uint64_t mark, n;
	int rc, has_tip = 0;

	*reset = 0;
	/* On PostgreSQL the indexes live in the log's own database, and move
	 * with it: they cannot describe another log. */
	if (s->pg != NULL)
		return (s->flags & STORE_READONLY) || store_pg_in_transaction(s) ? AK_EINVAL : 0;
	if (!s->index || (s->flags & STORE_READONLY) || store_in_transaction(s))
		return AK_EINVAL;
	if ((rc = index_begin(s)) != 0)
		return rc;
	if ((st = store_stmt(s, SQ_LOG_INDEX_TIP,
			     "SELECT upto, tip FROM ix.log_index_mark WHERE one = 1")) == NULL) {
		rc = AK_EDB;
		goto fail;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		finish(st);
		rc = AK_ECORRUPT;
		goto fail;
	}
	mark = (uint64_t)sqlite3_column_int64(st, 0);
	if (sqlite3_column_bytes(st, 1) == MERKLE_HASH_BYTES) {
		memcpy(tip, sqlite3_column_blob(st, 1), MERKLE_HASH_BYTES);
		has_tip = 1;
	}
	finish(st);
	if ((rc = store_log_size(s, &n)) != 0)
		goto fail;
	if (mark == 0 || (mark <= n && has_tip && leaf_hash_at(s, mark - 1, have) == 0 &&
			  memcmp(tip, have, MERKLE_HASH_BYTES) == 0))
		return store_commit(s);
	/* Not this log's: empty both tables and start again. */
	if (sqlite3_exec(s->db,
			 "INSERT INTO ix.log_subjects (log_subjects) VALUES ('delete-all');"
			 " DELETE FROM ix.log_times;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		rc = AK_EDB;
		goto fail;
	}
	if ((rc = set_mark(s, 0)) != 0 || (rc = store_commit(s)) != 0)
		goto fail;
	*reset = 1;
	return 0;
fail:
	store_rollback(s);
	return rc;
}

/* ------------------------------------------------- writers and signers */

int store_log_head_lock(store *s, struct merkle_range *r)
{
	uint64_t n;
	int rc;

	if (s->pg != NULL)
		return store_pg_log_head_lock(s, r);
	if (!store_in_transaction(s))
		return AK_EINVAL;
	if ((rc = store_log_size(s, &n)) != 0)
		return rc;
	if (n == r->size)
		return 0;
	rc = merkle_range_load(r, n, store_log_get_node, s);
	return rc == AK_ENOENT ? AK_ECORRUPT : rc;
}

int store_log_head_read(store *s, struct merkle_range *r)
{
	if (s->pg != NULL)
		return store_pg_log_head_read(s, r);
	return store_log_head_lock(s, r);
}

int store_log_head_set(store *s, const struct merkle_range *r)
{
	if (s->pg != NULL)
		return store_pg_log_head_set(s, r);
	return store_in_transaction(s) ? 0 : AK_EINVAL;
}

int store_log_append_commit(store *s, uint64_t idx, const struct store_leaf_row *rows, size_t count,
			    const struct merkle_range *r)
{
	int rc;

	if (s->pg != NULL)
		return store_pg_log_append_commit(s, idx, rows, count, r);
	if ((rc = store_log_append_run(s, idx, rows, count)) != 0 ||
	    (rc = store_log_head_set(s, r)) != 0)
		return rc;
	return store_commit(s);
}

int store_log_head_signed(store *s, uint64_t *size)
{
	if (s->pg == NULL || !s->pg_signed_seen)
		return AK_ENOENT;
	*size = s->pg_signed;
	return 0;
}

int store_log_signer_lock(store *s, uint64_t *size)
{
	char *note = NULL;
	size_t len = 0;
	int rc;

	if (s->pg != NULL)
		return store_pg_log_signer_lock(s, size);
	if (!store_in_transaction(s))
		return AK_EINVAL;
	*size = 0;
	rc = store_log_last_checkpoint(s, size, &note, &len);
	free(note);
	return rc == AK_ENOENT ? 0 : rc;
}

int store_log_signer_swap(store *s, uint64_t old, uint64_t size, const merkle_hash root)
{
	if (s->pg != NULL)
		return store_pg_log_signer_swap(s, old, size, root);
	return store_in_transaction(s) ? 0 : AK_EINVAL;
}

int store_log_leader_try(store *s, const char *origin, int *held)
{
	if (s->pg != NULL)
		return store_pg_log_leader_try(s, origin, held);
	*held = 1;
	return 0;
}

/* ----------------------------------------------------------- checkpoints */

int store_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
			     uint64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_PUT_CHECKPOINT,
				      "INSERT INTO log_checkpoints (size, note, time_ms)"
				      " VALUES (?1, ?2, ?3)");
	int rc;

	if (s->pg != NULL)
		return store_pg_log_put_checkpoint(s, size, note, len, time_ms);
	if (st == NULL)
		return AK_EDB;
	if (size > (uint64_t)INT64_MAX || len > INT32_MAX)
		return AK_EINVAL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, note, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clamp(time_ms));
	/* One per size: the PRIMARY KEY (or, elsewhere, the trigger) says no. */
	rc = step_done(st);
	return rc == AK_ECONFLICT ? AK_EDENIED : rc;
}

static int checkpoint_row(sqlite3_stmt *st, uint64_t *size, char **note, size_t *len)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		if (size != NULL)
			*size = (uint64_t)sqlite3_column_int64(st, 0);
		rc = copy_blob(st, 1, note, len);
	} else {
		rc = rc == SQLITE_DONE ? AK_ENOENT : AK_EDB;
	}
	finish(st);
	return rc;
}

int store_log_last_checkpoint(store *s, uint64_t *size, char **note, size_t *len)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_LAST_CHECKPOINT,
				      "SELECT size, note FROM log_checkpoints"
				      " ORDER BY size DESC LIMIT 1");

	if (s->pg != NULL)
		return store_pg_log_last_checkpoint(s, size, note, len);
	*note = NULL;
	*len = 0;
	if (st == NULL)
		return AK_EDB;
	return checkpoint_row(st, size, note, len);
}

int store_log_checkpoint_at(store *s, uint64_t size, char **note, size_t *len)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_CHECKPOINT_AT,
				      "SELECT size, note FROM log_checkpoints WHERE size = ?1");

	if (s->pg != NULL)
		return store_pg_log_checkpoint_at(s, size, note, len);
	*note = NULL;
	*len = 0;
	if (st == NULL)
		return AK_EDB;
	if (size > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	return checkpoint_row(st, NULL, note, len);
}

int store_log_checkpoint_from(store *s, uint64_t min, uint64_t *size, char **note, size_t *len)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_CHECKPOINT_FROM,
				      "SELECT size, note FROM log_checkpoints WHERE size >= ?1"
				      " ORDER BY size LIMIT 1");

	if (s->pg != NULL)
		return store_pg_log_checkpoint_from(s, min, size, note, len);
	*note = NULL;
	*len = 0;
	if (st == NULL)
		return AK_EDB;
	if (min > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)min);
	return checkpoint_row(st, size, note, len);
}

/* --------------------------------------------------------------- queries */

/*
 * Parameters, the same in every variant:
 *   ?1 start  ?2 end  (the index range)  ?3 since_ms  ?4 until_ms
 *   ?5 limit (-1 = none)  ?6 the subject as an FTS5 query
 * Whatever a filter asks of a leaf's fields is checked in C on the leaf's
 * own bytes (leaf_matches), also where an index has chosen the rows: an
 * index is a derived copy, and a damaged one must not answer with someone
 * else's leaves.
 */
#define Q_RANGE_SQL "SELECT idx, leaf FROM log_leaves WHERE idx >= ?1 AND idx < ?2"
/* The indexes, below their mark (the caller bounds ?2 by it). The rows
 * they name come in index order either way; the time index's matches are
 * gathered (as integers, SQLite's IN list) before any leaf is read. */
#define Q_SUBJECT_SQL                                                                              \
	"SELECT l.idx, l.leaf FROM ix.log_subjects s JOIN log_leaves l ON l.idx = s.rowid"         \
	" WHERE s.log_subjects MATCH ?6 AND s.rowid >= ?1 AND s.rowid < ?2"
#define Q_TIME_SQL                                                                                 \
	"SELECT idx, leaf FROM log_leaves WHERE idx IN (SELECT idx FROM ix.log_times"              \
	" WHERE time_ms >= ?3 AND time_ms < ?4 AND idx >= ?1 AND idx < ?2)"

enum {
	Q_RANGE,
	Q_RANGE_DESC,
	Q_BY_TIME,
	Q_BY_TIME_DESC,
	Q_BY_SUBJECT,
	Q_BY_SUBJECT_DESC
};

static const struct {
	enum store_slot slot;
	const char *sql;
} queries[] = {
    /* by index range, and the leaves past an index's mark */
    [Q_RANGE] = {SQ_LOG_QUERY_RANGE, Q_RANGE_SQL " ORDER BY idx LIMIT ?5"},
    [Q_RANGE_DESC] = {SQ_LOG_QUERY_RANGE_DESC, Q_RANGE_SQL " ORDER BY idx DESC LIMIT ?5"},
    /* an auditor's time window, below the mark */
    [Q_BY_TIME] = {SQ_LOG_QUERY_TIME, Q_TIME_SQL " ORDER BY idx LIMIT ?5"},
    [Q_BY_TIME_DESC] = {SQ_LOG_QUERY_TIME_DESC, Q_TIME_SQL " ORDER BY idx DESC LIMIT ?5"},
    /* a resident's entries, below the mark */
    [Q_BY_SUBJECT] = {SQ_LOG_QUERY_SUBJECT, Q_SUBJECT_SQL " ORDER BY s.rowid LIMIT ?5"},
    [Q_BY_SUBJECT_DESC] = {SQ_LOG_QUERY_SUBJECT_DESC,
			   Q_SUBJECT_SQL " ORDER BY s.rowid DESC LIMIT ?5"},
};

void store_log_filter_init(struct store_log_filter *f)
{
	memset(f, 0, sizeof *f);
	f->action = -1;
	f->result = -1;
	f->role = -1;
	f->actor_id = LEAF_NO_ID;
}

static int has_time(const struct store_log_filter *f)
{
	return f->since_ms != 0 || f->until_ms != 0;
}

/* Whether f asks anything of a leaf's fields. */
static int filters_fields(const struct store_log_filter *f)
{
	return f->action >= 0 || f->result >= 0 || f->role >= 0 || f->actor_id != LEAF_NO_ID ||
	       f->has_subject || has_time(f);
}

/*
 * 1 when the leaf's own bytes match everything f asks, 0 when not, and
 * AK_ECORRUPT for bytes that do not parse where f needs them parsed. A
 * subject (hex: its 32 hex digits) and a time window are read from their
 * field alone (field_at), which costs tens of ns: a resident's query then
 * scans the leaves past the indexes' mark (up to STORE_INDEX_STEP of
 * them) in a few hundred us, and neither it nor an auditor's time window
 * parses the leaves it returns (their callers do). Actor, role, action and
 * result take a leaf_parse, ~1 us: a scan of a million leaves by action costs
 * about a second. A leaf whose subject field is not the one asked for
 * does not match, whatever else its bytes say; one whose time field does
 * not parse, or that does not parse where an actor, role, action or
 * result is asked, stops the query (only a damaged file has one; the self-check and
 * every auditor name it).
 */
static int leaf_matches(const struct store_log_filter *f, const char *hex, const char *leaf,
			size_t len)
{
	struct leaf l;
	const char *at;
	size_t n;
	uint64_t t;

	if (f->has_subject && ((at = field_at(leaf, len, FIELD_SUBJECT, &n)) == NULL ||
			       n != 2 * LEAF_ID_BYTES || memcmp(at, hex, n) != 0))
		return 0;
	if (has_time(f)) {
		if ((at = field_at(leaf, len, FIELD_TIME, &n)) == NULL ||
		    util_parse_u64(at, n, &t) != 0)
			return AK_ECORRUPT;
		if (t < f->since_ms || (f->until_ms != 0 && t >= f->until_ms))
			return 0;
	}
	if (f->action < 0 && f->result < 0 && f->role < 0 && f->actor_id == LEAF_NO_ID)
		return 1;
	if (leaf_parse(&l, leaf, len) != 0)
		return AK_ECORRUPT;
	return (f->action < 0 || (int)l.action == f->action) &&
	       (f->result < 0 || (int)l.result == f->result) &&
	       (f->role < 0 || (int)l.role == f->role) &&
	       (f->actor_id == LEAF_NO_ID || l.actor_id == f->actor_id);
}

/* One statement of a query, over the index range [start, end), calling fn
 * for each matching row while *left (0: no limit) allows. */
struct run {
	store_log_fn fn;
	void *ctx;
	size_t left;
	int limited;
};

static int run_one(store *s, int q, const struct store_log_filter *f, sqlite3_int64 start,
		   sqlite3_int64 end, struct run *r)
{
	sqlite3_stmt *st;
	/* The subject's 32 hex digits, and its key as an FTS5 query: the
	 * first SUBJECT_KEY_DIGITS of them, quoted. */
	char hex[2 * LEAF_ID_BYTES + 1], match[SUBJECT_KEY_DIGITS + 3];
	int rc, frc = 0, bad = 0, check = filters_fields(f);

	if (start >= end || (r->limited && r->left == 0))
		return 0;
	if ((st = store_stmt(s, queries[q].slot, queries[q].sql)) == NULL)
		return AK_EDB;
	bad |= sqlite3_bind_int64(st, 1, start);
	bad |= sqlite3_bind_int64(st, 2, end);
	bad |= sqlite3_bind_int64(st, 3, clamp(f->since_ms));
	bad |= sqlite3_bind_int64(st, 4, f->until_ms == 0 ? INT64_MAX : clamp(f->until_ms));
	/* SQL can stop at the limit only when every row it returns counts. */
	bad |= sqlite3_bind_int64(st, 5, r->limited && !check ? clamp(r->left) : -1);
	util_hex_encode(hex, f->subject, LEAF_ID_BYTES);
	match[0] = '"';
	memcpy(match + 1, hex, SUBJECT_KEY_DIGITS);
	match[1 + SUBJECT_KEY_DIGITS] = '"';
	match[2 + SUBJECT_KEY_DIGITS] = '\0';
	if (q == Q_BY_SUBJECT || q == Q_BY_SUBJECT_DESC)
		bad |= sqlite3_bind_text(st, 6, match, -1, SQLITE_STATIC);
	if (bad) {
		finish(st);
		return AK_EDB;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 1);
		const char *leaf = sqlite3_column_blob(st, 1);
		if (n <= 0 || leaf == NULL) {
			frc = AK_ECORRUPT;
			break;
		}
		if (check && (frc = leaf_matches(f, hex, leaf, (size_t)n)) != 1) {
			if (frc < 0)
				break;
			frc = 0;
			continue;
		}
		if ((frc = r->fn(r->ctx, (uint64_t)sqlite3_column_int64(st, 0), leaf, (size_t)n)) !=
		    0)
			break;
		if (r->limited && --r->left == 0)
			break;
	}
	finish(st);
	if (frc != 0)
		return frc;
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return store_err(rc) ? store_err(rc) : AK_EDB;
}

/* One leaf of a scan on PostgreSQL: f's conditions on its own bytes,
 * then the caller's fn while the limit allows. */
struct pg_scan {
	const struct store_log_filter *f;
	char hex[2 * LEAF_ID_BYTES + 1];
	struct run *r;
	int full; /* the limit is reached: the scan stopped here */
};

static int pg_scan_one(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct pg_scan *p = ctx;
	int rc;

	if (p->r->limited && p->r->left == 0)
		return p->full = 1;
	if (len == 0)
		return AK_ECORRUPT;
	if (filters_fields(p->f) && (rc = leaf_matches(p->f, p->hex, leaf, len)) != 1)
		return rc < 0 ? rc : 0;
	if ((rc = p->r->fn(p->r->ctx, idx, leaf, len)) != 0)
		return rc;
	if (p->r->limited && --p->r->left == 0)
		return p->full = 1;
	return 0;
}

/*
 * On PostgreSQL, as above with the index tables of the log's own
 * database (schema/pg/005_log_index.sql): a range with no subject and
 * no time is a scan of its index range, a page at a time; a subject
 * (else a time window) is looked up in its index below the mark, and
 * the leaves from the mark on are scanned. The indices an index names
 * are read whole (a resident's are a few hundred; a time window's as
 * many as it holds, 8 bytes each), then their leaves in runs: indices
 * closer than PG_RUN_GAP go in one scan, whose extra leaves the
 * conditions on each leaf's bytes leave out, as they leave out a leaf an
 * index named wrongly.
 */
#define PG_RUN_GAP 32

static int pg_scan(store *s, struct pg_scan *p, uint64_t start, uint64_t end, int desc)
{
	int rc;

	if (start >= end || p->full)
		return 0;
	rc = store_pg_log_scan(s, start, end, desc, pg_scan_one, p);
	return p->full ? 0 : rc;
}

static int pg_indexed(store *s, struct pg_scan *p, uint64_t start, uint64_t end)
{
	const struct store_log_filter *f = p->f;
	uint8_t key[SUBJECT_KEY_DIGITS / 2];
	uint64_t *ids = NULL;
	size_t n = 0, i = 0;
	int rc, desc = f->newest_first;

	if (start >= end || p->full)
		return 0;
	memcpy(key, f->subject, sizeof key);
	if ((rc = store_pg_log_index_ids(s, f->has_subject ? key : NULL, f->since_ms,
					 f->until_ms == 0 ? UINT64_MAX : f->until_ms, start, end,
					 desc, &ids, &n)) != 0)
		return rc;
	while (rc == 0 && i < n && !p->full) {
		/* A run: ids[i] .. ids[j - 1], each within the gap of the next. */
		size_t j = i + 1;
		while (j < n && (desc ? ids[j - 1] - ids[j] : ids[j] - ids[j - 1]) <= PG_RUN_GAP)
			j++;
		rc = desc ? pg_scan(s, p, ids[j - 1], ids[i] + 1, 1)
			  : pg_scan(s, p, ids[i], ids[j - 1] + 1, 0);
		i = j;
	}
	free(ids);
	return rc;
}

static int pg_query(store *s, const struct store_log_filter *f, struct run *r)
{
	struct pg_scan p = {f, {0}, r, 0};
	uint64_t start = f->start, end = f->end == 0 ? (uint64_t)INT64_MAX : f->end, mark, mid;
	int rc;

	util_hex_encode(p.hex, f->subject, LEAF_ID_BYTES);
	if (!f->has_subject && !has_time(f))
		return pg_scan(s, &p, start, end, f->newest_first);
	if ((rc = store_pg_log_index_mark(s, &mark)) != 0)
		return rc;
	mid = mark < start ? start : mark > end ? end : mark;
	if (f->newest_first) {
		if ((rc = pg_scan(s, &p, mid, end, 1)) != 0)
			return rc;
		return pg_indexed(s, &p, start, mid);
	}
	if ((rc = pg_indexed(s, &p, start, mid)) != 0)
		return rc;
	return pg_scan(s, &p, mid, end, 0);
}

/*
 * Which statements serve f: a subject (the most selective) or else a time
 * window is looked up in two parts split at the indexes' mark, M: the
 * index for [start, M), then the leaves themselves for [M, end) (the
 * other way round for newest first); anything else scans the index
 * range. Actor, role, action and result have no index (see the schema): they
 * filter whatever is read. The two parts need not come from one
 * snapshot: the mark only moves up, the indexes below it only grow and
 * leaves are never removed, so whatever moved in between, the indexes
 * hold every leaf below the M read here and the scan reads every one
 * above.
 */
int store_log_query(store *s, const struct store_log_filter *f, store_log_fn fn, void *ctx)
{
	struct run r = {fn, ctx, f->limit, f->limit != 0};
	sqlite3_int64 start = clamp(f->start), end = f->end == 0 ? INT64_MAX : clamp(f->end), mid;
	uint64_t mark;
	int rc, asc, desc;

	if ((f->action >= 0 && leaf_action_word(f->action) == NULL) ||
	    (f->result >= 0 && leaf_result_word(f->result) == NULL) ||
	    (f->role >= 0 && leaf_role_word(f->role) == NULL) ||
	    (f->actor_id != LEAF_NO_ID && (f->role < 0 || f->actor_id > (uint64_t)INT64_MAX)))
		return AK_EINVAL;
	if (s->pg != NULL)
		return pg_query(s, f, &r);
	if (!f->has_subject && !has_time(f))
		return run_one(s, f->newest_first ? Q_RANGE_DESC : Q_RANGE, f, start, end, &r);
	asc = f->has_subject ? Q_BY_SUBJECT : Q_BY_TIME;
	desc = f->has_subject ? Q_BY_SUBJECT_DESC : Q_BY_TIME_DESC;
	if ((rc = index_mark(s, &mark)) != 0)
		return rc;
	mid = clamp(mark);
	mid = mid < start ? start : mid > end ? end : mid;
	if (f->newest_first) {
		if ((rc = run_one(s, Q_RANGE_DESC, f, mid, end, &r)) != 0)
			return rc;
		return run_one(s, desc, f, start, mid, &r);
	}
	if ((rc = run_one(s, asc, f, start, mid, &r)) != 0)
		return rc;
	return run_one(s, Q_RANGE, f, mid, end, &r);
}
