/*
 * store_pg_log: the audit log's tables on PostgreSQL (schema in
 * schema/pg/001_log.sql, contracts in store.h, the same as SQLite's in
 * store_log.c).
 *
 * A leaf row is the same as on SQLite: its index, its exact bytes and
 * the Merkle hashes it completes (node (level, idx) in the row of its
 * last leaf, at byte 32 * level: store_node_row). Values travel in
 * binary, bound, never in the SQL's text.
 *
 * What differs is who guards the log. Here the service's role has
 * INSERT and SELECT on the log's tables and nothing else (grants), and
 * the schema's triggers refuse UPDATE, DELETE, TRUNCATE and a leaf out of
 * order for every role; an append that the primary key, the order
 * trigger or a missing grant refuses is AK_EDENIED, as a taken index is
 * on SQLite. No statement here has a conflict clause, and an insert that
 * reports anything but one row is a failure.
 *
 * Never: write a log table other than by INSERT, or return a row's
 * bytes beyond its length.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "log/store_pg.h"

/* A malloc'd, NUL-terminated copy of a binary bytea column. */
static int copy_bytes(const PGresult *r, int row, int col, char **out, size_t *len)
{
	int n = PQgetlength(r, row, col);
	char *buf;

	if (PQgetisnull(r, row, col) || n < 0)
		return AK_ECORRUPT;
	if ((buf = malloc((size_t)n + 1)) == NULL)
		return AK_ENOMEM;
	memcpy(buf, PQgetvalue(r, row, col), (size_t)n);
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* An insert of one row: 0, or AK_EDENIED for whatever refused it (an
 * index or a size that is taken, the order trigger, a missing grant). */
static int insert_one(store *s, unsigned slot, const char *sql, const char *types,
		      const char *const *vals, const int *lens)
{
	int rc;
	PGresult *r = store_pg_run(s, slot, sql, types, vals, lens, &rc);

	if (r == NULL)
		return rc == AK_ECONFLICT ? AK_EDENIED : rc;
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : AK_EDB;
	PQclear(r);
	return rc;
}

/* A query of at most one row: 0 with *out, AK_ENOENT for none. */
static int query_row(store *s, unsigned slot, const char *sql, const char *types,
		     const char *const *vals, const int *lens, PGresult **out)
{
	int rc;
	PGresult *r = store_pg_run(s, slot, sql, types, vals, lens, &rc);

	*out = NULL;
	if (r == NULL)
		return rc;
	if (PQntuples(r) != 1) {
		rc = PQntuples(r) == 0 ? AK_ENOENT : AK_ECORRUPT;
		PQclear(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ----------------------------------------------------------------- leaves */

int store_pg_log_size(store *s, uint64_t *n)
{
	PGresult *r;
	int rc = query_row(s, PQ_LOG_SIZE, "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves", "",
			   NULL, NULL, &r);

	if (rc != 0)
		return rc == AK_ENOENT ? AK_EDB : rc;
	rc = store_pg_get_u64(r, 0, 0, n);
	PQclear(r);
	return rc;
}

int store_pg_log_append_hashed(store *s, uint64_t idx, const char *leaf, size_t len,
			       const merkle_hash *hashes, size_t n)
{
	char i8[8];
	const char *vals[3] = {i8, leaf, (const char *)hashes};
	int lens[3] = {8, (int)len, (int)(n * MERKLE_HASH_BYTES)};

	if (idx >= (uint64_t)1 << 57 || len == 0 || len > LEAF_MAX || n != store_hashes_at(idx))
		return AK_EINVAL;
	store_pg_put_u64(i8, idx);
	return insert_one(s, PQ_LOG_APPEND,
			  "INSERT INTO log_leaves (idx, leaf, hashes) VALUES ($1, $2, $3)", "ibb",
			  vals, lens);
}

/* Appends a big-endian 32-bit number. */
static char *put_u32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
	return p + 4;
}

/*
 * A bytea[] of count elements in PostgreSQL's binary array form (array.c's
 * array_send: dimensions, flags, element type, length and lower bound,
 * then each element's length and bytes), element k being
 * part(rows + k): malloc'd, its length in *len.
 */
static char *bytea_array(const struct store_leaf_row *rows, size_t count, int hashes, int *len)
{
	size_t total = 20;
	char *out, *p;

	for (size_t k = 0; k < count; k++)
		total += 4 + (hashes ? rows[k].n * MERKLE_HASH_BYTES : rows[k].len);
	if (total > INT32_MAX || (out = malloc(total)) == NULL)
		return NULL;
	p = put_u32(out, 1);             /* one dimension */
	p = put_u32(p, 0);               /* no NULLs */
	p = put_u32(p, 17);              /* bytea */
	p = put_u32(p, (uint32_t)count); /* its length */
	p = put_u32(p, 1);               /* its lower bound */
	for (size_t k = 0; k < count; k++) {
		size_t n = hashes ? rows[k].n * MERKLE_HASH_BYTES : rows[k].len;
		p = put_u32(p, (uint32_t)n);
		memcpy(p, hashes ? (const void *)rows[k].hashes : (const void *)rows[k].leaf, n);
		p += n;
	}
	*len = (int)total;
	return out;
}

/* A run's checks, and its two arrays (free both). */
static int run_arrays(uint64_t idx, const struct store_leaf_row *rows, size_t count, char **leaves,
		      char **hashes, int lens[2])
{
	*leaves = *hashes = NULL;
	if (idx >= (uint64_t)1 << 57 || count >= (uint64_t)1 << 20)
		return AK_EINVAL;
	for (size_t k = 0; k < count; k++)
		if (rows[k].len == 0 || rows[k].len > LEAF_MAX ||
		    rows[k].n != store_hashes_at(idx + k))
			return AK_EINVAL;
	if ((*leaves = bytea_array(rows, count, 0, &lens[0])) == NULL ||
	    (*hashes = bytea_array(rows, count, 1, &lens[1])) == NULL) {
		free(*leaves);
		*leaves = NULL;
		return AK_ENOMEM;
	}
	return 0;
}

int store_pg_log_append_run(store *s, uint64_t idx, const struct store_leaf_row *rows, size_t count)
{
	char i8[8], *leaves = NULL, *hashes = NULL;
	const char *vals[3];
	int lens[3], rc;
	PGresult *r;

	if (count == 0)
		return 0;
	if ((rc = run_arrays(idx, rows, count, &leaves, &hashes, lens + 1)) != 0)
		return rc;
	store_pg_put_u64(i8, idx);
	vals[0] = i8;
	lens[0] = 8;
	vals[1] = leaves;
	vals[2] = hashes;
	/* In the arrays' order; the order trigger checks the statement's
	 * rows once it has inserted them all (a run at max(idx) + 1 with no
	 * gap: schema/pg/007_log_run_order.sql). */
	r = store_pg_run(s, PQ_LOG_APPEND_RUN,
			 "INSERT INTO log_leaves (idx, leaf, hashes)"
			 " SELECT $1 + u.o - 1, u.l, u.h FROM unnest($2::bytea[], $3::bytea[])"
			 " WITH ORDINALITY AS u(l, h, o) ORDER BY u.o",
			 "iBB", vals, lens, &rc);
	free(leaves);
	free(hashes);
	if (r == NULL)
		return rc == AK_ECONFLICT ? AK_EDENIED : rc;
	rc = strtoull(PQcmdTuples(r), NULL, 10) == count ? 0 : AK_EDB;
	PQclear(r);
	return rc;
}

int store_pg_log_get_leaf(store *s, uint64_t idx, char **leaf, size_t *len)
{
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};
	PGresult *r;
	int rc;

	*leaf = NULL;
	*len = 0;
	if (idx > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	store_pg_put_u64(i8, idx);
	if ((rc = query_row(s, PQ_LOG_GET_LEAF, "SELECT leaf FROM log_leaves WHERE idx = $1", "i",
			    vals, lens, &r)) != 0)
		return rc;
	rc = copy_bytes(r, 0, 0, leaf, len);
	PQclear(r);
	return rc;
}

int store_pg_log_counts(store *s, struct store_log_counts *c)
{
	PGresult *r;
	int rc;

	/* One pass over the table, as on SQLite (store_log.c says why the
	 * second pair). */
	if ((rc = query_row(s, PQ_LOG_COUNTS,
			    "SELECT count(*), coalesce(max(idx) + 1, 0),"
			    " count(*) FILTER (WHERE octet_length(hashes) >= 32),"
			    " coalesce(max(idx) FILTER (WHERE octet_length(hashes) >= 32) + 1, 0)"
			    " FROM log_leaves",
			    "", NULL, NULL, &r)) != 0)
		return rc == AK_ENOENT ? AK_EDB : rc;
	if ((rc = store_pg_get_u64(r, 0, 0, &c->leaves)) == 0 &&
	    (rc = store_pg_get_u64(r, 0, 1, &c->leaves_end)) == 0 &&
	    (rc = store_pg_get_u64(r, 0, 2, &c->hashes)) == 0)
		rc = store_pg_get_u64(r, 0, 3, &c->hashes_end);
	PQclear(r);
	return rc;
}

/*
 * A page at a time, so that a pass over millions of leaves (the start-up
 * check, the scrubber) holds one page of them in memory, never the range:
 * libpq hands a result over whole. Each page starts after the last index
 * the previous one saw, so rows that are missing are simply not seen.
 */
#define ROWS_PAGE 1000

int store_pg_log_rows(store *s, uint64_t from, uint64_t to, store_log_row_fn fn, void *ctx)
{
	char lo[8], hi[8], lim[8];
	const char *vals[3] = {lo, hi, lim};
	int lens[3] = {8, 8, 8}, rc = 0, n;

	if (to > (uint64_t)INT64_MAX)
		to = (uint64_t)INT64_MAX;
	store_pg_put_u64(hi, to);
	store_pg_put_u64(lim, ROWS_PAGE);
	while (rc == 0 && from < to) {
		PGresult *r;
		uint64_t idx = 0;

		store_pg_put_u64(lo, from);
		r = store_pg_run(s, PQ_LOG_ROWS,
				 "SELECT idx, leaf, hashes FROM log_leaves"
				 " WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3",
				 "iii", vals, lens, &rc);
		if (r == NULL)
			return rc;
		n = PQntuples(r);
		for (int i = 0; rc == 0 && i < n; i++) {
			if ((rc = store_pg_get_u64(r, i, 0, &idx)) != 0)
				break;
			rc = fn(ctx, idx, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1),
				(const uint8_t *)PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2));
		}
		PQclear(r);
		if (n < ROWS_PAGE)
			break;
		from = idx + 1;
	}
	return rc;
}

int store_pg_log_scan(store *s, uint64_t start, uint64_t end, int desc, store_log_fn fn, void *ctx)
{
	char lo[8], hi[8], lim[8];
	const char *vals[3] = {lo, hi, lim};
	int lens[3] = {8, 8, 8}, rc = 0, n;

	if (end > (uint64_t)INT64_MAX)
		end = (uint64_t)INT64_MAX;
	store_pg_put_u64(lim, ROWS_PAGE);
	while (rc == 0 && start < end) {
		PGresult *r;
		uint64_t idx = 0;

		store_pg_put_u64(lo, start);
		store_pg_put_u64(hi, end);
		r = desc ? store_pg_run(
			       s, PQ_LOG_SCAN_DESC,
			       "SELECT idx, leaf FROM log_leaves WHERE idx >= $1 AND idx < $2"
			       " ORDER BY idx DESC LIMIT $3",
			       "iii", vals, lens, &rc)
			 : store_pg_run(
			       s, PQ_LOG_SCAN,
			       "SELECT idx, leaf FROM log_leaves WHERE idx >= $1 AND idx < $2"
			       " ORDER BY idx LIMIT $3",
			       "iii", vals, lens, &rc);
		if (r == NULL)
			return rc;
		n = PQntuples(r);
		for (int i = 0; rc == 0 && i < n; i++) {
			if ((rc = store_pg_get_u64(r, i, 0, &idx)) != 0)
				break;
			rc = fn(ctx, idx, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		}
		PQclear(r);
		if (n < ROWS_PAGE)
			break;
		if (desc)
			end = idx;
		else
			start = idx + 1;
	}
	return rc;
}

/* ----------------------------------------------------------------- nodes */

int store_pg_log_get_node(store *s, unsigned level, uint64_t idx, merkle_hash out)
{
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};
	uint64_t row;
	PGresult *r;
	int rc;

	if (store_node_row(level, idx, &row) != 0)
		return AK_ENOENT;
	store_pg_put_u64(i8, row);
	if ((rc = query_row(s, PQ_LOG_GET_NODE, "SELECT hashes FROM log_leaves WHERE idx = $1", "i",
			    vals, lens, &r)) != 0)
		return rc;
	/* The schema holds the count to the row; fewer is a damaged table. */
	if (!PQgetisnull(r, 0, 0) &&
	    (size_t)PQgetlength(r, 0, 0) >= ((size_t)level + 1) * MERKLE_HASH_BYTES) {
		memcpy(out, PQgetvalue(r, 0, 0) + (size_t)level * MERKLE_HASH_BYTES,
		       MERKLE_HASH_BYTES);
		rc = 0;
	} else {
		rc = AK_ECORRUPT;
	}
	PQclear(r);
	return rc;
}

/* ------------------------------------------------- writers and signers */

int store_pg_log_head_lock(store *s, struct merkle_range *r)
{
	struct merkle_range t;
	PGresult *q;
	uint64_t n;
	int rc;
	size_t len;

	if (!store_pg_in_transaction(s))
		return AK_EINVAL;
	/* Waits while another writer's batch holds the row; then reads the
	 * row as that batch left it, and the signer's size beside it (for
	 * the writer's bound on leaves not yet signed: no round trip more,
	 * and no lock on the signer's row). */
	s->pg_signed_seen = 0;
	if ((rc = query_row(s, PQ_LOG_HEAD_LOCK,
			    "SELECT h.size, h.range, g.size FROM log_head h, log_signer g"
			    " WHERE h.one AND g.one FOR UPDATE OF h",
			    "", NULL, NULL, &q)) != 0)
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	merkle_range_init(&t);
	rc = store_pg_get_u64(q, 0, 0, &t.size);
	if (rc == 0 && (rc = store_pg_get_u64(q, 0, 2, &s->pg_signed)) == 0)
		s->pg_signed_seen = 1;
	t.depth = (unsigned)__builtin_popcountll(t.size);
	len = (size_t)PQgetlength(q, 0, 1);
	if (rc == 0 && (PQgetisnull(q, 0, 1) || len != (size_t)t.depth * MERKLE_HASH_BYTES))
		rc = AK_ECORRUPT;
	if (rc == 0)
		memcpy(t.stack, PQgetvalue(q, 0, 1), len);
	PQclear(q);
	if (rc != 0)
		return rc;
	/* The head against the leaves, once a session (a writer's start, and
	 * each time its connection is made again): a statement of its own,
	 * whose snapshot is taken after the lock, so it sees the leaves of
	 * the batch it waited for. After that each batch's append is the
	 * check (store_pg_log_append_commit: the order trigger and the
	 * primary key refuse a run that is not at max(idx) + 1, and the
	 * head's UPDATE one not at the head's size), without a statement
	 * more under the lock. */
	if (s->pg_head_checked != s->pg_session) {
		if ((rc = store_pg_log_size(s, &n)) != 0)
			return rc;
		if (n != t.size)
			return AK_ECORRUPT;
		s->pg_head_checked = s->pg_session;
	}
	*r = t;
	return 0;
}

/* A head row (size, range) into *r: AK_ECORRUPT when the range is not
 * one hash a set bit of the size. */
static int head_row(const PGresult *q, struct merkle_range *r)
{
	struct merkle_range t;
	size_t len;
	int rc;

	merkle_range_init(&t);
	rc = store_pg_get_u64(q, 0, 0, &t.size);
	t.depth = (unsigned)__builtin_popcountll(t.size);
	len = (size_t)PQgetlength(q, 0, 1);
	if (rc == 0 && (PQgetisnull(q, 0, 1) || len != (size_t)t.depth * MERKLE_HASH_BYTES))
		rc = AK_ECORRUPT;
	if (rc == 0) {
		memcpy(t.stack, PQgetvalue(q, 0, 1), len);
		*r = t;
	}
	return rc;
}

/*
 * The signer's read of the head (docs/MULTINODE.md, "One checkpoint
 * signer"): the row as the last batch committed it, without its lock, so
 * that signing never holds another front-end's batch. A batch commits its
 * leaves with the head, so every leaf below the size read here is there
 * for the statements that follow.
 */
int store_pg_log_head_read(store *s, struct merkle_range *r)
{
	PGresult *q;
	int rc;

	if ((rc = query_row(s, PQ_LOG_HEAD_READ, "SELECT size, range FROM log_head WHERE one", "",
			    NULL, NULL, &q)) != 0)
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	rc = head_row(q, r);
	PQclear(q);
	return rc;
}

int store_pg_log_head_set(store *s, const struct merkle_range *r)
{
	char i8[8];
	const char *vals[2] = {i8, (const char *)r->stack};
	int lens[2] = {8, (int)(r->depth * MERKLE_HASH_BYTES)};
	PGresult *q;
	int rc;

	if (!store_pg_in_transaction(s) || r->depth > 57 || r->size > (uint64_t)INT64_MAX)
		return AK_EINVAL;
	store_pg_put_u64(i8, r->size);
	q = store_pg_run(s, PQ_LOG_HEAD_SET, "UPDATE log_head SET size = $1, range = $2 WHERE one",
			 "ib", vals, lens, &rc);
	if (q == NULL)
		return rc;
	rc = strcmp(PQcmdTuples(q), "1") == 0 ? 0 : AK_ECORRUPT;
	PQclear(q);
	return rc;
}

/*
 * The end of a writer's batch (store.h, store_log_append_commit): the run
 * inserted and the head moved in one statement, and the COMMIT in its
 * pipeline, so one round trip while the head's lock is held. The COMMIT
 * is asynchronous, so that the lock goes as soon as the commit record is
 * in the WAL, not after its flush, and the flush is waited for in the
 * same round trip by a transaction of its own
 * (store_pg_run_commit_flushed): the front-ends' flushes then overlap
 * with each other's batches, and group commit merges them. 0 only once
 * the batch is durable. Until then other sessions may already see its
 * rows; docs/MULTINODE.md, "Sequencing", says why no one is answered
 * from them before they are durable. The head's
 * UPDATE takes the row only at the run's first index, and only when the
 * run inserted every row (else it sets a negative size, which the
 * row's CHECK refuses, failing the statement and so the COMMIT after
 * it); the order trigger and the primary key refuse a leaf at any index
 * but max(idx) + 1. So a head that disagrees with the
 * leaves (the only way a run appended at the locked head's size can be
 * refused) fails the batch, nothing stored: AK_ECORRUPT, as
 * store_pg_log_head_lock reports one it finds.
 */
int store_pg_log_append_commit(store *s, uint64_t idx, const struct store_leaf_row *rows,
			       size_t count, const struct merkle_range *r)
{
	char i8[8], n8[8], *leaves = NULL, *hashes = NULL;
	const char *vals[5];
	int lens[5], rc;
	PGresult *q;

	if (!store_pg_in_transaction(s) || r->depth > 57 || r->size > (uint64_t)INT64_MAX ||
	    r->size - count != idx || r->size < count)
		return AK_EINVAL;
	if (count == 0) {
		/* No run (a batch whose operations all failed, or leaves
		 * appended one by one): the head set as before, then COMMIT,
		 * synchronous (rare: not worth a statement more). */
		if ((rc = store_pg_log_head_set(s, r)) != 0)
			return rc;
		return store_pg_tx(s, STORE_PG_COMMIT);
	}
	if ((rc = run_arrays(idx, rows, count, &leaves, &hashes, lens + 1)) != 0)
		return rc;
	store_pg_put_u64(i8, idx);
	store_pg_put_u64(n8, r->size);
	vals[0] = i8;
	lens[0] = 8;
	vals[1] = leaves;
	vals[2] = hashes;
	vals[3] = n8;
	lens[3] = 8;
	vals[4] = (const char *)r->stack;
	lens[4] = (int)(r->depth * MERKLE_HASH_BYTES);
	/* The rows in the arrays' order, which the order trigger checks once
	 * the statement has inserted them all (as store_pg_log_append_run);
	 * a data-modifying WITH runs to its end whatever the outer statement
	 * reads of it. */
	q = store_pg_run_commit_flushed(
	    s, PQ_LOG_APPEND_COMMIT,
	    "WITH ins AS (INSERT INTO log_leaves (idx, leaf, hashes)"
	    " SELECT $1 + u.o - 1, u.l, u.h"
	    " FROM unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS u(l, h, o)"
	    " ORDER BY u.o RETURNING 1)"
	    " UPDATE log_head SET range = $5, size = CASE WHEN size = $1"
	    " AND $4 = $1 + (SELECT count(*) FROM ins) THEN $4 ELSE -1 END"
	    " WHERE one",
	    "iBBib", vals, lens, &rc);
	free(leaves);
	free(hashes);
	if (q == NULL) {
		/* The trigger's refusal or a taken index: the head is not
		 * one past the largest index. */
		if (strcmp(s->pg_state, "P0001") == 0 || strcmp(s->pg_state, "23505") == 0 ||
		    strcmp(s->pg_state, "23514") == 0)
			rc = AK_ECORRUPT;
		return rc;
	}
	/* The row is there: this transaction holds its lock. */
	rc = strcmp(PQcmdTuples(q), "1") == 0 ? 0 : AK_ECORRUPT;
	PQclear(q);
	return rc;
}

int store_pg_log_signer_lock(store *s, uint64_t *size)
{
	PGresult *q;
	int rc;

	if (!store_pg_in_transaction(s))
		return AK_EINVAL;
	if ((rc = query_row(s, PQ_LOG_SIGNER_LOCK,
			    "SELECT size FROM log_signer WHERE one FOR UPDATE", "", NULL, NULL,
			    &q)) != 0)
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	rc = store_pg_get_u64(q, 0, 0, size);
	PQclear(q);
	return rc;
}

int store_pg_log_signer_swap(store *s, uint64_t old, uint64_t size, const merkle_hash root)
{
	char o8[8], n8[8];
	const char *vals[3] = {o8, n8, (const char *)root};
	int lens[3] = {8, 8, MERKLE_HASH_BYTES};
	PGresult *q;
	int rc;

	if (!store_pg_in_transaction(s) || old > (uint64_t)INT64_MAX || size > (uint64_t)INT64_MAX)
		return AK_EINVAL;
	store_pg_put_u64(o8, old);
	store_pg_put_u64(n8, size);
	q = store_pg_run(s, PQ_LOG_SIGNER_SWAP,
			 "UPDATE log_signer SET size = $2, root = $3 WHERE one AND size = $1",
			 "iib", vals, lens, &rc);
	if (q == NULL)
		return rc;
	rc = strcmp(PQcmdTuples(q), "1") == 0 ? 0 : AK_ECONFLICT;
	PQclear(q);
	return rc;
}

/*
 * The leader lock's key: 63 bits of BLAKE2b of the origin, keyed with a
 * label of our own so that no other application's advisory lock on the
 * same database collides with it by accident. pg_locks shows a bigint
 * key as classid (its high half) and objid (its low half), objsubid 1:
 * the holder asks whether it holds it before it asks for it again, as a
 * session-level lock taken twice would have to be released twice.
 */
int store_pg_log_leader_try(store *s, const char *origin, int *held)
{
	static const unsigned char label[crypto_generichash_KEYBYTES_MIN] = "ankang-leader-v1";
	unsigned char h[crypto_generichash_BYTES_MIN];
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};
	uint64_t key = 0;
	PGresult *q;
	int rc;

	*held = 0;
	if (crypto_generichash(h, sizeof h, (const unsigned char *)origin, strlen(origin), label,
			       sizeof label) != 0)
		return AK_EINVAL;
	for (int i = 0; i < 8; i++)
		key = key << 8 | h[i];
	store_pg_put_u64(i8, key >> 1);
	if ((rc = query_row(s, PQ_LOG_LEADER_TRY,
			    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks"
			    " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
			    " AND objsubid = 1 AND classid = ($1 >> 32)::oid"
			    " AND objid = ($1 & 4294967295)::oid)"
			    " THEN true ELSE pg_try_advisory_lock($1) END",
			    "i", vals, lens, &q)) != 0)
		return rc == AK_ENOENT ? AK_EDB : rc;
	if (PQgetlength(q, 0, 0) == 1)
		*held = PQgetvalue(q, 0, 0)[0] == 1;
	else
		rc = AK_EDB;
	PQclear(q);
	return rc;
}

/* ------------------------------------------------------- verified leaves */

int store_pg_log_verified(store *s, uint64_t *upto)
{
	PGresult *r;
	int rc;

	*upto = 0;
	if ((rc = query_row(s, PQ_LOG_VERIFIED, "SELECT upto FROM log_verified WHERE one", "", NULL,
			    NULL, &r)) != 0)
		return rc;
	rc = store_pg_get_u64(r, 0, 0, upto);
	PQclear(r);
	return rc;
}

int store_pg_log_set_verified(store *s, uint64_t upto)
{
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};
	PGresult *r;
	int rc;

	store_pg_put_u64(i8, upto > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : upto);
	r = store_pg_run(s, PQ_LOG_SET_VERIFIED, "UPDATE log_verified SET upto = $1 WHERE one", "i",
			 vals, lens, &rc);
	if (r == NULL)
		return rc;
	PQclear(r);
	return 0;
}

/* ----------------------------------------------------------- checkpoints */

int store_pg_log_put_checkpoint(store *s, uint64_t size, const char *note, size_t len,
				uint64_t time_ms)
{
	char sz[8], tm[8];
	const char *vals[3] = {sz, note, tm};
	int lens[3] = {8, (int)len, 8};

	if (size > (uint64_t)INT64_MAX || len > INT32_MAX)
		return AK_EINVAL;
	store_pg_put_u64(sz, size);
	store_pg_put_u64(tm, time_ms > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : time_ms);
	/* One per size: the primary key says no (AK_EDENIED). */
	return insert_one(s, PQ_LOG_PUT_CHECKPOINT,
			  "INSERT INTO log_checkpoints (size, note, time_ms) VALUES ($1, $2, $3)",
			  "ibi", vals, lens);
}

/* The (size, note) row of a checkpoint query. */
static int checkpoint_row(store *s, unsigned slot, const char *sql, const char *types,
			  const char *const *vals, const int *lens, uint64_t *size, char **note,
			  size_t *len)
{
	PGresult *r;
	uint64_t sz;
	int rc;

	*note = NULL;
	*len = 0;
	if ((rc = query_row(s, slot, sql, types, vals, lens, &r)) != 0)
		return rc;
	if ((rc = store_pg_get_u64(r, 0, 0, &sz)) == 0 &&
	    (rc = copy_bytes(r, 0, 1, note, len)) == 0 && size != NULL)
		*size = sz;
	PQclear(r);
	return rc;
}

int store_pg_log_last_checkpoint(store *s, uint64_t *size, char **note, size_t *len)
{
	return checkpoint_row(s, PQ_LOG_LAST_CHECKPOINT,
			      "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1",
			      "", NULL, NULL, size, note, len);
}

int store_pg_log_checkpoint_at(store *s, uint64_t size, char **note, size_t *len)
{
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};

	*note = NULL;
	*len = 0;
	if (size > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	store_pg_put_u64(i8, size);
	return checkpoint_row(s, PQ_LOG_CHECKPOINT_AT,
			      "SELECT size, note FROM log_checkpoints WHERE size = $1", "i", vals,
			      lens, NULL, note, len);
}

int store_pg_log_checkpoint_from(store *s, uint64_t min, uint64_t *size, char **note, size_t *len)
{
	char i8[8];
	const char *vals[1] = {i8};
	int lens[1] = {8};

	*note = NULL;
	*len = 0;
	if (min > (uint64_t)INT64_MAX)
		return AK_ENOENT;
	store_pg_put_u64(i8, min);
	return checkpoint_row(s, PQ_LOG_CHECKPOINT_FROM,
			      "SELECT size, note FROM log_checkpoints WHERE size >= $1"
			      " ORDER BY size LIMIT 1",
			      "i", vals, lens, size, note, len);
}

/* ------------------------------------------------ subject and time index */

/*
 * What the index file holds on SQLite (store_log.c), read from each
 * leaf's bytes by the server: the subject's first 16 hex digits (as 8
 * bytes) for a leaf whose fourth field is 32 lowercase hex digits, and
 * the time as the digits the line starts with after its prefix (0 when
 * there are none, as SQLite's CAST reads them; at most INT64_MAX). The
 * bytes go through encode(..., 'escape'), which is ASCII whatever they
 * hold, so a damaged leaf cannot fail the step: it lands where its bytes
 * say, and a query checks every leaf's own bytes anyway.
 */
#define LEAF_TEXT  "encode(leaf, 'escape')"
#define SUBJECT_RE "'^" LEAF_PREFIX " [^ ]* [^ ]* [^ ]* ([0-9a-f]{16})[0-9a-f]{16} '"
#define TIME_RE    "'^" LEAF_PREFIX " ([0-9]{1,19})'"

int store_pg_log_index_mark(store *s, uint64_t *mark)
{
	PGresult *r;
	int rc;

	*mark = 0;
	if ((rc = query_row(s, PQ_LOG_INDEX_MARK, "SELECT upto FROM log_index_mark WHERE one", "",
			    NULL, NULL, &r)) != 0)
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	rc = store_pg_get_u64(r, 0, 0, mark);
	PQclear(r);
	return rc;
}

/* [from, to) added to both indexes, and the mark moved to to. */
static int index_range(store *s, uint64_t from, uint64_t to)
{
	char lo[8], hi[8];
	const char *vals[2] = {lo, hi};
	int lens[2] = {8, 8}, rc;
	PGresult *r;

	store_pg_put_u64(lo, from);
	store_pg_put_u64(hi, to);
	r = store_pg_run(s, PQ_LOG_INDEX_SUBJECTS,
			 "INSERT INTO log_subjects (subject, idx)"
			 " SELECT decode(m[1], 'hex'), idx FROM (SELECT idx,"
			 " regexp_match(" LEAF_TEXT ", " SUBJECT_RE ") AS m"
			 " FROM log_leaves WHERE idx >= $1 AND idx < $2) AS t WHERE m IS NOT NULL",
			 "ii", vals, lens, &rc);
	if (r == NULL)
		return rc;
	PQclear(r);
	r = store_pg_run(s, PQ_LOG_INDEX_TIMES,
			 "INSERT INTO log_times (time_ms, idx)"
			 " SELECT coalesce(least(substring(" LEAF_TEXT " FROM " TIME_RE
			 ")::numeric,"
			 " 9223372036854775807)::bigint, 0), idx"
			 " FROM log_leaves WHERE idx >= $1 AND idx < $2",
			 "ii", vals, lens, &rc);
	if (r == NULL)
		return rc;
	PQclear(r);
	r = store_pg_run(s, PQ_LOG_INDEX_SET_MARK, "UPDATE log_index_mark SET upto = $2 WHERE one",
			 "ii", vals, lens, &rc);
	if (r == NULL)
		return rc;
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : AK_ECORRUPT;
	PQclear(r);
	return rc;
}

int store_pg_log_index(store *s, uint64_t min, uint64_t max, uint64_t *mark_out)
{
	PGresult *r;
	uint64_t mark = 0, n;
	int rc;

	if ((s->flags & STORE_READONLY) || store_pg_in_transaction(s))
		return AK_EINVAL;
	if ((rc = store_pg_tx(s, STORE_PG_BEGIN)) != 0)
		return rc;
	/* The row first: another filler's step, if one runs, is waited for,
	 * and its mark read (READ COMMITTED reads the row it waited for). */
	if ((rc = query_row(s, PQ_LOG_INDEX_LOCK,
			    "SELECT upto FROM log_index_mark WHERE one FOR UPDATE", "", NULL, NULL,
			    &r)) != 0) {
		rc = rc == AK_ENOENT ? AK_ECORRUPT : rc;
		goto fail;
	}
	rc = store_pg_get_u64(r, 0, 0, &mark);
	PQclear(r);
	if (rc != 0 || (rc = store_pg_log_size(s, &n)) != 0)
		goto fail;
	if (n > mark && n - mark >= min) {
		if (max != 0 && n - mark > max)
			n = mark + max;
		if ((rc = index_range(s, mark, n)) != 0)
			goto fail;
		mark = n;
	}
	if ((rc = store_pg_tx(s, STORE_PG_COMMIT)) != 0)
		goto fail;
	if (mark_out != NULL)
		*mark_out = mark;
	return 0;
fail:
	store_pg_tx(s, STORE_PG_ROLLBACK);
	return rc;
}

/* Parameters: $1 the subject's key (or unused), $2 since, $3 until,
 * $4 start, $5 end. */
#define BY_SUBJECT_SQL "SELECT idx FROM log_subjects WHERE subject = $1 AND idx >= $4 AND idx < $5"
#define BY_TIME_SQL                                                                                \
	"SELECT idx FROM log_times WHERE time_ms >= $2 AND time_ms < $3 AND idx >= $4 AND idx < "  \
	"$5"                                                                                       \
	" AND $1 IS NOT NULL"

int store_pg_log_index_ids(store *s, const uint8_t *key, uint64_t since_ms, uint64_t until_ms,
			   uint64_t start, uint64_t end, int desc, uint64_t **ids, size_t *n)
{
	static const uint8_t none[8] = {0};
	char s8[8], u8[8], lo[8], hi[8];
	const char *vals[5] = {key != NULL ? (const char *)key : (const char *)none, s8, u8, lo,
			       hi};
	int lens[5] = {8, 8, 8, 8, 8}, rc = 0, rows;
	unsigned slot = key != NULL
			    ? (desc ? PQ_LOG_INDEX_BY_SUBJECT_DESC : PQ_LOG_INDEX_BY_SUBJECT)
			    : (desc ? PQ_LOG_INDEX_BY_TIME_DESC : PQ_LOG_INDEX_BY_TIME);
	static const char *const sql[] = {
	    BY_SUBJECT_SQL " ORDER BY idx", BY_SUBJECT_SQL " ORDER BY idx DESC",
	    BY_TIME_SQL " ORDER BY idx", BY_TIME_SQL " ORDER BY idx DESC"};
	PGresult *r;
	uint64_t *out = NULL;

	*ids = NULL;
	*n = 0;
	if (start >= end)
		return 0;
	store_pg_put_u64(s8, since_ms > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : since_ms);
	store_pg_put_u64(u8, until_ms > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : until_ms);
	store_pg_put_u64(lo, start > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : start);
	store_pg_put_u64(hi, end > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : end);
	r = store_pg_run(s, slot, sql[(key != NULL ? 0 : 2) + (desc ? 1 : 0)], "biiii", vals, lens,
			 &rc);
	if (r == NULL)
		return rc;
	rows = PQntuples(r);
	if (rows > 0 && (out = malloc((size_t)rows * sizeof *out)) == NULL)
		rc = AK_ENOMEM;
	for (int i = 0; rc == 0 && i < rows; i++)
		rc = store_pg_get_u64(r, i, 0, &out[i]);
	PQclear(r);
	if (rc != 0) {
		free(out);
		return rc;
	}
	*ids = out;
	*n = (size_t)rows;
	return 0;
}
