/*
 * store_log: every SQL statement over the audit log's tables (schema in
 * schema/001_audit.sql, contract in store.h).
 *
 * The statements are constants, prepared once per connection and cached
 * (store_stmt). Queries pick fixed texts by which filter fields are set
 * (a subject, a time window, or neither; oldest or newest first), so that
 * each is served by the index it names; the other conditions are written
 * with a unary "+", which keeps SQLite's planner from choosing a worse
 * index for them. A subject is looked up in two parts, the subject index
 * below its mark and the leaves from the mark on (see store_log_query).
 * Values are always bound.
 *
 * The columns next to a leaf's bytes are a copy of what those bytes say,
 * made by the writer from the same struct it formatted the bytes from;
 * the bytes are the record and the Merkle tree covers only them. The
 * `hashes` column holds the tree's stored hashes: node (level, idx) is in
 * the row of its last leaf, ((idx + 1) << level) - 1, at byte 32 * level.
 *
 * Never: write a log table other than by INSERT (the authorizer refuses
 * it on our connections, the triggers on everyone else's), use a conflict
 * clause (OR REPLACE would delete a leaf, and our connections run without
 * the triggers: store.c), or return a row's bytes beyond its length.
 */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/store_int.h"

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

static int bind_word(sqlite3_stmt *st, int i, const char *w)
{
	return w == NULL ? SQLITE_MISUSE : sqlite3_bind_text(st, i, w, -1, SQLITE_STATIC);
}

/* How many hashes leaf idx stores: its own and one per trailing one bit
 * (the subtrees that end at it). */
static size_t hashes_at(uint64_t idx)
{
	return 1 + (size_t)__builtin_ctzll(~idx);
}

int store_log_append_hashed(store *s, uint64_t idx, const char *leaf, size_t len,
			    const struct leaf *l, const merkle_hash *hashes, size_t n)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_APPEND,
				      "INSERT INTO log_leaves (idx, leaf, hashes, time_ms, role,"
				      " actor_id, action, subject, object, result, detail)"
				      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	int bad = 0, rc;

	if (st == NULL)
		return AK_EDB;
	if (idx >= (uint64_t)1 << 57 || l->time_ms > (uint64_t)INT64_MAX || len == 0 ||
	    len > LEAF_MAX || (l->actor_id != LEAF_NO_ID && l->actor_id > (uint64_t)INT64_MAX) ||
	    n != hashes_at(idx))
		return AK_EINVAL;
	bad |= sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	bad |= sqlite3_bind_blob(st, 2, leaf, (int)len, SQLITE_STATIC);
	bad |= sqlite3_bind_blob(st, 3, hashes, (int)(n * MERKLE_HASH_BYTES), SQLITE_STATIC);
	bad |= sqlite3_bind_int64(st, 4, (sqlite3_int64)l->time_ms);
	bad |= bind_word(st, 5, leaf_role_word(l->role));
	if (l->actor_id == LEAF_NO_ID)
		bad |= sqlite3_bind_null(st, 6);
	else
		bad |= sqlite3_bind_int64(st, 6, (sqlite3_int64)l->actor_id);
	bad |= bind_word(st, 7, leaf_action_word(l->action));
	if (l->has_subject)
		bad |= sqlite3_bind_blob(st, 8, l->subject, LEAF_ID_BYTES, SQLITE_STATIC);
	if (l->has_object)
		bad |= sqlite3_bind_blob(st, 9, l->object, LEAF_ID_BYTES, SQLITE_STATIC);
	bad |= bind_word(st, 10, leaf_result_word(l->result));
	bad |= bind_word(st, 11, leaf_detail_word(l->detail));
	if (bad) {
		finish(st);
		return AK_EINVAL;
	}
	/* A second row at an index: the PRIMARY KEY refuses it (our
	 * connections run without the triggers, which would say so). */
	rc = step_done(st);
	return rc == AK_ECONFLICT ? AK_EDENIED : rc;
}

int store_log_append(store *s, uint64_t idx, const char *leaf, size_t len, const struct leaf *l)
{
	merkle_hash h[58];
	size_t n = hashes_at(idx);
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
	return store_log_append_hashed(s, idx, leaf, len, l, h, n);
}

int store_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_GET_LEAF, "SELECT leaf FROM log_leaves WHERE idx = ?1");
	int rc;

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

/* ----------------------------------------------------------------- nodes */

/*
 * The row that stores node (level, idx): the one of its last leaf,
 * ((idx + 1) << level) - 1. 0, or -1 beyond 2^57 leaves.
 */
static int node_row(unsigned level, uint64_t idx, sqlite3_int64 *row)
{
	if (level > 57 || idx >= (uint64_t)1 << (57 - level))
		return -1;
	*row = (sqlite3_int64)(((idx + 1) << level) - 1);
	return 0;
}

int store_log_get_node(void *ctx, unsigned level, uint64_t idx, merkle_hash out)
{
	store *s = ctx;
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_GET_NODE, "SELECT hashes FROM log_leaves WHERE idx = ?1");
	sqlite3_int64 row;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (node_row(level, idx, &row) != 0)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, row);
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

/* ------------------------------------------------------- subject index */

static int subject_mark(store *s, uint64_t *mark)
{
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_SUBJECT_MARK, "SELECT upto FROM log_subjects_mark WHERE one = 1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	*mark = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*mark = (uint64_t)sqlite3_column_int64(st, 0);
	finish(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? AK_ECORRUPT : AK_EDB;
}

int store_log_index_subjects(store *s, uint64_t min, uint64_t *mark_out)
{
	sqlite3_stmt *add = store_stmt(s, SQ_LOG_SUBJECT_ADD,
				       "INSERT INTO log_subjects (rowid, subject)"
				       " SELECT idx, hex(subject) FROM log_leaves"
				       " WHERE idx >= ?1 AND idx < ?2 AND subject IS NOT NULL");
	sqlite3_stmt *set = store_stmt(s, SQ_LOG_SUBJECT_SET_MARK,
				       "UPDATE log_subjects_mark SET upto = ?1 WHERE one = 1");
	uint64_t mark, n;
	int rc, own = !store_in_transaction(s);

	if (add == NULL || set == NULL)
		return AK_EDB;
	/* The entries and the mark move together, or neither does. */
	if (own && (rc = store_begin(s)) != 0)
		return rc;
	if ((rc = subject_mark(s, &mark)) != 0 || (rc = store_log_size(s, &n)) != 0)
		goto fail;
	if (n > mark && n - mark >= min) {
		sqlite3_bind_int64(add, 1, (sqlite3_int64)mark);
		sqlite3_bind_int64(add, 2, (sqlite3_int64)n);
		if ((rc = step_done(add)) != 0)
			goto fail;
		sqlite3_bind_int64(set, 1, (sqlite3_int64)n);
		if ((rc = step_done(set)) != 0)
			goto fail;
		mark = n;
	}
	if (own && (rc = store_commit(s)) != 0)
		goto fail;
	if (mark_out != NULL)
		*mark_out = mark;
	return 0;
fail:
	if (own)
		store_rollback(s);
	return rc;
}

/* ----------------------------------------------------------- checkpoints */

int store_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
			     uint64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_PUT_CHECKPOINT,
				      "INSERT INTO log_checkpoints (size, note, time_ms)"
				      " VALUES (?1, ?2, ?3)");
	int rc;

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

	*note = NULL;
	*len = 0;
	if (st == NULL)
		return AK_EDB;
	if (size > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	return checkpoint_row(st, NULL, note, len);
}

/* --------------------------------------------------------------- queries */

/*
 * Parameters, the same in every variant:
 *   ?1 start  ?2 end  ?3 since_ms  ?4 until_ms  (bounds; "any" bound wide)
 *   ?5 action ?6 role ?7 actor_id  ?8 subject   (NULL = any)
 *   ?9 limit (-1 = none)  ?10 the subject as an FTS5 query (subject index)
 */
#define Q_SELECT    "SELECT idx, leaf FROM log_leaves WHERE "
#define Q_TAIL      " ORDER BY idx LIMIT ?9"
#define Q_TAIL_DESC " ORDER BY idx DESC LIMIT ?9"
#define Q_IDX       "idx >= ?1 AND idx < ?2"
#define Q_NO_IDX    "+idx >= ?1 AND +idx < ?2"
#define Q_TIME      " AND time_ms >= ?3 AND time_ms < ?4"
#define Q_NO_TIME   " AND +time_ms >= ?3 AND +time_ms < ?4"
#define Q_ACTION    " AND (?5 IS NULL OR +action = ?5)"
#define Q_ROLE      " AND (?6 IS NULL OR +role = ?6)"
#define Q_ACTOR     " AND (?7 IS NULL OR +actor_id = ?7)"
#define Q_SUBJECT   " AND (?8 IS NULL OR +subject = ?8)"
/* The subject index, below its mark (the caller bounds ?2 by it). Its
 * entries are checked against the leaf's own column, which costs nothing
 * and keeps a damaged index from answering with someone else's leaves. */
#define Q_INDEXED                                                                                  \
	"SELECT l.idx, l.leaf FROM log_subjects s JOIN log_leaves l ON l.idx = s.rowid"            \
	" WHERE s.log_subjects MATCH ?10 AND s.rowid >= ?1 AND s.rowid < ?2 AND +l.subject = ?8"   \
	" AND +l.time_ms >= ?3 AND +l.time_ms < ?4 AND (?5 IS NULL OR +l.action = ?5)"             \
	" AND (?6 IS NULL OR +l.role = ?6) AND (?7 IS NULL OR +l.actor_id = ?7)"

enum {
	Q_RANGE,
	Q_RANGE_DESC,
	Q_TIME_WINDOW,
	Q_BY_SUBJECT,
	Q_BY_SUBJECT_DESC
};

static const struct {
	enum store_slot slot;
	const char *sql;
} queries[] = {
    /* by index range, and everything without an index: the table itself
     * (for a subject, the leaves past the subject index's mark) */
    [Q_RANGE] = {SQ_LOG_QUERY_RANGE,
		 Q_SELECT Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL},
    [Q_RANGE_DESC] = {SQ_LOG_QUERY_RANGE_DESC,
		      Q_SELECT Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL_DESC},
    /* a time window: log_leaves_time, then sorted by index */
    [Q_TIME_WINDOW] = {SQ_LOG_QUERY_TIME,
		       Q_SELECT Q_NO_IDX Q_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL},
    /* a resident's entries below the mark: the subject index, whose
     * rowids come in order either way */
    [Q_BY_SUBJECT] = {SQ_LOG_QUERY_SUBJECT, Q_INDEXED " ORDER BY s.rowid LIMIT ?9"},
    [Q_BY_SUBJECT_DESC] = {SQ_LOG_QUERY_SUBJECT_DESC, Q_INDEXED " ORDER BY s.rowid DESC LIMIT ?9"},
};

void store_log_filter_init(struct store_log_filter *f)
{
	memset(f, 0, sizeof *f);
	f->action = -1;
	f->role = -1;
	f->actor_id = LEAF_NO_ID;
}

/* One statement of a query, over the index range [start, end), calling fn
 * for each row while *left (0: no limit) allows. */
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
	char match[2 * LEAF_ID_BYTES + 3];
	int rc, frc = 0, bad = 0;

	if (start >= end || (r->limited && r->left == 0))
		return 0;
	if ((st = store_stmt(s, queries[q].slot, queries[q].sql)) == NULL)
		return AK_EDB;
	bad |= sqlite3_bind_int64(st, 1, start);
	bad |= sqlite3_bind_int64(st, 2, end);
	bad |= sqlite3_bind_int64(st, 3, clamp(f->since_ms));
	bad |= sqlite3_bind_int64(st, 4, f->until_ms == 0 ? INT64_MAX : clamp(f->until_ms));
	if (f->action >= 0)
		bad |= bind_word(st, 5, leaf_action_word(f->action));
	if (f->role >= 0)
		bad |= bind_word(st, 6, leaf_role_word(f->role));
	if (f->actor_id != LEAF_NO_ID)
		bad |= sqlite3_bind_int64(st, 7, (sqlite3_int64)f->actor_id);
	if (f->has_subject)
		bad |= sqlite3_bind_blob(st, 8, f->subject, LEAF_ID_BYTES, SQLITE_STATIC);
	bad |= sqlite3_bind_int64(st, 9, r->limited ? clamp(r->left) : -1);
	if (q == Q_BY_SUBJECT || q == Q_BY_SUBJECT_DESC) {
		/* One quoted token: 32 hex digits, as the index stores them. */
		match[0] = '"';
		util_hex_encode(match + 1, f->subject, LEAF_ID_BYTES);
		match[1 + 2 * LEAF_ID_BYTES] = '"';
		match[2 + 2 * LEAF_ID_BYTES] = '\0';
		bad |= sqlite3_bind_text(st, 10, match, -1, SQLITE_STATIC);
	}
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

/*
 * Which statement serves f best: the most selective index it can use.
 * Actor, role and action have no index of their own (see the schema);
 * they filter a time window or the index range. A subject is looked up
 * in two parts split at the subject index's mark, M: the index for
 * [start, M), then the leaves themselves for [M, end) (the other way
 * round for newest first). The two parts need not come from one
 * snapshot: the mark only moves up, the index below it only grows and
 * leaves are never removed, so whatever moved in between, the index holds
 * every leaf below the M read here and the scan reads every one above.
 */
int store_log_query(store *s, const struct store_log_filter *f, store_log_fn fn, void *ctx)
{
	struct run r = {fn, ctx, f->limit, f->limit != 0};
	sqlite3_int64 start = clamp(f->start), end = f->end == 0 ? INT64_MAX : clamp(f->end), mid;
	uint64_t mark;
	int rc;

	if ((f->action >= 0 && leaf_action_word(f->action) == NULL) ||
	    (f->role >= 0 && leaf_role_word(f->role) == NULL) ||
	    (f->actor_id != LEAF_NO_ID && (f->role < 0 || f->actor_id > (uint64_t)INT64_MAX)))
		return AK_EINVAL;
	if (!f->has_subject) {
		if (f->newest_first)
			return run_one(s, Q_RANGE_DESC, f, start, end, &r);
		if (f->since_ms != 0 || f->until_ms != 0)
			return run_one(s, Q_TIME_WINDOW, f, start, end, &r);
		return run_one(s, Q_RANGE, f, start, end, &r);
	}
	if ((rc = subject_mark(s, &mark)) != 0)
		return rc;
	mid = clamp(mark);
	mid = mid < start ? start : mid > end ? end : mid;
	if (f->newest_first) {
		if ((rc = run_one(s, Q_RANGE_DESC, f, mid, end, &r)) != 0)
			return rc;
		return run_one(s, Q_BY_SUBJECT_DESC, f, start, mid, &r);
	}
	if ((rc = run_one(s, Q_BY_SUBJECT, f, start, mid, &r)) != 0)
		return rc;
	return run_one(s, Q_RANGE, f, mid, end, &r);
}
