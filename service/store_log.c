/*
 * store_log: every SQL statement over the audit log's tables (schema in
 * schema/001_audit.sql, contract in store.h).
 *
 * The statements are constants, prepared once per connection and cached
 * (store_stmt). Queries pick one of three fixed texts by which filter
 * fields are set (a subject, a time window, or neither), so that each is
 * served by the index it names; the other conditions are written with a
 * unary "+", which keeps SQLite's planner from choosing a worse index for
 * them. Values are always bound.
 *
 * The columns next to a leaf's bytes are a copy of what those bytes say,
 * made by the writer from the same struct it formatted the bytes from;
 * the bytes are the record and the Merkle tree covers only them.
 *
 * Never: write a log table other than by INSERT (the authorizer and the
 * triggers refuse it anyway), or return a row's bytes beyond its length.
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
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_COUNTS,
		       "SELECT (SELECT count(*) FROM log_leaves),"
		       " (SELECT coalesce(max(idx) + 1, 0) FROM log_leaves),"
		       " (SELECT count(*) FROM log_nodes WHERE level = 0),"
		       " (SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0)");
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

int store_log_append(store *s, uint64_t idx, const char *leaf, size_t len, const struct leaf *l)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_APPEND,
				      "INSERT INTO log_leaves (idx, leaf, time_ms, role, actor_id,"
				      " action, subject, object, result, detail)"
				      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (idx > (uint64_t)INT64_MAX || l->time_ms > (uint64_t)INT64_MAX || len == 0 ||
	    len > LEAF_MAX || (l->actor_id != LEAF_NO_ID && l->actor_id > (uint64_t)INT64_MAX))
		return AK_EINVAL;
	bad |= sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	bad |= sqlite3_bind_blob(st, 2, leaf, (int)len, SQLITE_STATIC);
	bad |= sqlite3_bind_int64(st, 3, (sqlite3_int64)l->time_ms);
	bad |= bind_word(st, 4, leaf_role_word(l->role));
	if (l->actor_id == LEAF_NO_ID)
		bad |= sqlite3_bind_null(st, 5);
	else
		bad |= sqlite3_bind_int64(st, 5, (sqlite3_int64)l->actor_id);
	bad |= bind_word(st, 6, leaf_action_word(l->action));
	if (l->has_subject)
		bad |= sqlite3_bind_blob(st, 7, l->subject, LEAF_ID_BYTES, SQLITE_STATIC);
	if (l->has_object)
		bad |= sqlite3_bind_blob(st, 8, l->object, LEAF_ID_BYTES, SQLITE_STATIC);
	bad |= bind_word(st, 9, leaf_result_word(l->result));
	bad |= bind_word(st, 10, leaf_detail_word(l->detail));
	if (bad) {
		finish(st);
		return AK_EINVAL;
	}
	return step_done(st);
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
 * The key of node (level, idx): (index of its last leaf << 6) | level, which
 * orders nodes as they are completed (see the schema). 0, or -1 beyond
 * 2^57 leaves.
 */
static int node_pos(unsigned level, uint64_t idx, sqlite3_int64 *pos)
{
	uint64_t end;

	if (level > 57 || idx >= (uint64_t)1 << (57 - level))
		return -1;
	end = ((idx + 1) << level) - 1;
	*pos = (sqlite3_int64)((end << 6) | level);
	return 0;
}

int store_log_put_node(store *s, unsigned level, uint64_t idx, const merkle_hash h)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_PUT_NODE,
				      "INSERT INTO log_nodes (pos, level, idx, hash)"
				      " VALUES (?1, ?2, ?3, ?4)");
	sqlite3_int64 pos;

	if (st == NULL)
		return AK_EDB;
	if (node_pos(level, idx, &pos) != 0)
		return AK_ETOOBIG;
	sqlite3_bind_int64(st, 1, pos);
	sqlite3_bind_int(st, 2, (int)level);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)idx);
	sqlite3_bind_blob(st, 4, h, MERKLE_HASH_BYTES, SQLITE_STATIC);
	return step_done(st);
}

int store_log_get_node(void *ctx, unsigned level, uint64_t idx, merkle_hash out)
{
	store *s = ctx;
	sqlite3_stmt *st =
	    store_stmt(s, SQ_LOG_GET_NODE, "SELECT hash FROM log_nodes WHERE pos = ?1");
	sqlite3_int64 pos;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (node_pos(level, idx, &pos) != 0)
		return AK_ENOENT;
	sqlite3_bind_int64(st, 1, pos);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* The schema checks the length; a short hash is a damaged file. */
		if (sqlite3_column_bytes(st, 0) == MERKLE_HASH_BYTES) {
			memcpy(out, sqlite3_column_blob(st, 0), MERKLE_HASH_BYTES);
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

/* ----------------------------------------------------------- checkpoints */

int store_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
			     uint64_t time_ms)
{
	sqlite3_stmt *st = store_stmt(s, SQ_LOG_PUT_CHECKPOINT,
				      "INSERT INTO log_checkpoints (size, note, time_ms)"
				      " VALUES (?1, ?2, ?3)");

	if (st == NULL)
		return AK_EDB;
	if (size > (uint64_t)INT64_MAX || len > INT32_MAX)
		return AK_EINVAL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, note, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clamp(time_ms));
	return step_done(st);
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
 *   ?9 limit (-1 = none)
 */
#define Q_SELECT  "SELECT idx, leaf FROM log_leaves WHERE "
#define Q_TAIL    " ORDER BY idx LIMIT ?9"
#define Q_TAIL_DESC " ORDER BY idx DESC LIMIT ?9"
#define Q_IDX     "idx >= ?1 AND idx < ?2"
#define Q_NO_IDX  "+idx >= ?1 AND +idx < ?2"
#define Q_TIME    " AND time_ms >= ?3 AND time_ms < ?4"
#define Q_NO_TIME " AND +time_ms >= ?3 AND +time_ms < ?4"
#define Q_ACTION  " AND (?5 IS NULL OR +action = ?5)"
#define Q_ROLE    " AND (?6 IS NULL OR +role = ?6)"
#define Q_ACTOR   " AND (?7 IS NULL OR +actor_id = ?7)"
#define Q_SUBJECT " AND (?8 IS NULL OR +subject = ?8)"

static const struct {
	enum store_slot slot;
	const char *sql;
} queries[] = {
    /* by index range, and everything without an index: the table itself */
    {SQ_LOG_QUERY_RANGE, Q_SELECT Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL},
    /* a resident's entries: log_leaves_subject, already in index order */
    {SQ_LOG_QUERY_SUBJECT,
     Q_SELECT "subject = ?8 AND " Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_TAIL},
    /* a time window: log_leaves_time, then sorted by index */
    {SQ_LOG_QUERY_TIME, Q_SELECT Q_NO_IDX Q_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL},
    /* newest first: a resident's own list of accesses, and the table's tail */
    {SQ_LOG_QUERY_SUBJECT_DESC,
     Q_SELECT "subject = ?8 AND " Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_TAIL_DESC},
    {SQ_LOG_QUERY_RANGE_DESC,
     Q_SELECT Q_IDX Q_NO_TIME Q_ACTION Q_ROLE Q_ACTOR Q_SUBJECT Q_TAIL_DESC},
};

void store_log_filter_init(struct store_log_filter *f)
{
	memset(f, 0, sizeof *f);
	f->action = -1;
	f->role = -1;
	f->actor_id = LEAF_NO_ID;
}

/* Which statement serves f best: the most selective index it can use.
 * Actor, role and action have no index of their own (see the schema);
 * they filter a time window or the index range. */
static size_t pick_query(const struct store_log_filter *f)
{
	if (f->newest_first)
		return f->has_subject ? 3 : 4;
	if (f->has_subject)
		return 1;
	if (f->since_ms != 0 || f->until_ms != 0)
		return 2;
	return 0;
}

int store_log_query(store *s, const struct store_log_filter *f, store_log_fn fn, void *ctx)
{
	size_t q = pick_query(f);
	sqlite3_stmt *st;
	int rc, frc = 0, bad = 0;

	if ((f->action >= 0 && leaf_action_word(f->action) == NULL) ||
	    (f->role >= 0 && leaf_role_word(f->role) == NULL) ||
	    (f->actor_id != LEAF_NO_ID && (f->role < 0 || f->actor_id > (uint64_t)INT64_MAX)))
		return AK_EINVAL;
	if ((st = store_stmt(s, queries[q].slot, queries[q].sql)) == NULL)
		return AK_EDB;
	bad |= sqlite3_bind_int64(st, 1, clamp(f->start));
	bad |= sqlite3_bind_int64(st, 2, f->end == 0 ? INT64_MAX : clamp(f->end));
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
	bad |= sqlite3_bind_int64(st, 9, f->limit == 0 ? -1 : clamp(f->limit));
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
		if ((frc = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), leaf, (size_t)n)) != 0)
			break;
	}
	finish(st);
	if (frc != 0)
		return frc;
	if (rc == SQLITE_DONE)
		return 0;
	return store_err(rc) ? store_err(rc) : AK_EDB;
}
