/*
 * test_store_pg_log: the audit log's leader on PostgreSQL
 * (docs/MULTINODE.md): the subject and time indexes
 * (schema/pg/005_log_index.sql), the signer's rehash before it signs, and
 * a leader that steps down when its connection ends.
 *
 *   - On a log of INDEX_LEAVES planted leaves, store_log_query answers
 *     exactly what the leaves say (a reference computed here from what was
 *     planted) for subjects, time windows, both orders, limits and index
 *     ranges: with no index at all (the scan), with the indexes filled in
 *     up to a mark short of the end, and past it. With the indexes, a
 *     resident's list reads a few hundred rows of log_leaves where the scan
 *     read every one (the server's own count of the rows the transaction
 *     fetched, pg_stat_xact_user_tables).
 *   - The service's role may add to the indexes and read them, and move
 *     the mark up, and nothing else: no UPDATE, DELETE or TRUNCATE of an
 *     index, no mark moved back or deleted.
 *   - The writer that leads fills the indexes in (log/walkeeper.c); one
 *     that does not, does not lead.
 *   - A leaf whose stored hash is not its bytes', and a head row whose
 *     range is not the stored hashes', both written behind the writer's
 *     back: the leader refuses to sign them, refuses writes from then on
 *     and reports it as the scrubber's findings are reported.
 *   - The leader's session ended by the server: it no longer believes it
 *     leads, and the other writer takes the lead and signs.
 *   - The order rule, once a statement (schema/pg/007_log_run_order.sql):
 *     one INSERT of leaves at n and n + 2, or at n + 1 and n + 2, where
 *     the log ends at n - 1, is refused whole; n and n + 1 pass, in
 *     either order; n - 1 is taken.
 *   - A batch's head lock goes before its WAL flush: while every
 *     synchronous commit waits (a synchronous standby that never comes),
 *     another session takes the head and reads the batch's size, and the
 *     batch is not reported done; once the wait ends, it is. A batch
 *     whose flush is cut short (its session ended) is a failure, though
 *     its rows were committed.
 *
 * Runs when ANKANG_PG_SOCK names the socket of a cluster that has the
 * databases ankang_index, ankang_rehash and ankang_rehead, as
 * tests/sh/store_pg_log.sh makes them; skips otherwise. The leaves are
 * made up; no personal data anywhere.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/key_secret.h"
#include "crypto/note_sign.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "log/store_int.h"
#include "log/store_pg.h"
#include "tests/lib/tap.h"

#define INDEX_LEAVES 100000
#define SUBJECTS     97
#define PLANT_TX     5000
#define T0           1700000000000ull
/* Indexed up to here by hand; the rest is scanned past the mark. */
#define FIRST_MARK (INDEX_LEAVES - 777)

static const char *sock;
static key_signer *log_key;
static uint8_t subjects[SUBJECTS][LEAF_ID_BYTES];
/* What was planted: each leaf's subject (-1: none) and time. */
static int leaf_subject[INDEX_LEAVES];
static uint64_t leaf_time[INDEX_LEAVES];

static void url(char *out, size_t cap, const char *db, const char *user)
{
	snprintf(out, cap, "postgresql:///%s?host=%s&user=%s", db, sock, user);
}

/* "ok", "denied" (a missing privilege), "trigger" (the schema's RAISE),
 * "other": what the server answers to sql on s's connection. */
static const char *raw(store *s, const char *sql)
{
	PGresult *r = PQexec(s->pg, sql);
	ExecStatusType t = PQresultStatus(r);
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *v = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? "ok"
			: st != NULL && strcmp(st, "42501") == 0      ? "denied"
			: st != NULL && strcmp(st, "P0001") == 0      ? "trigger"
								      : "other";
	PQclear(r);
	return v;
}

/* One number the server answers to sql on s's connection; -1 if not. */
static long long number(store *s, const char *sql)
{
	PGresult *r = PQexec(s->pg, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* ---------------------------------------------------------------- planting */

struct completed {
	merkle_hash h[58];
	size_t n;
};

static int collect(void *ctx, unsigned level, uint64_t index, const merkle_hash h)
{
	struct completed *c = ctx;

	(void)index;
	if (level != c->n || c->n >= 58)
		return AK_ETOOBIG;
	memcpy(c->h[c->n++], h, MERKLE_HASH_BYTES);
	return 0;
}

static void make_leaf(struct leaf *l, uint64_t i)
{
	memset(l, 0, sizeof *l);
	/* Times grow with the index but for every 50th leaf, a scan uploaded
	 * late, whose time lies further back. */
	l->time_ms = i % 50 == 49 ? T0 + i - 40000 : T0 + i;
	l->role = ROLE_VERIFIER;
	l->actor_id = 7 + i % 3;
	l->action = ACT_VERIFY;
	l->result = RES_OK;
	l->detail = DET_EMPTY;
	if (i % 3 != 0) {
		l->has_subject = 1;
		memcpy(l->subject, subjects[(i / 3) % SUBJECTS], LEAF_ID_BYTES);
	}
	if (i < INDEX_LEAVES) {
		leaf_subject[i] = l->has_subject ? (int)((i / 3) % SUBJECTS) : -1;
		leaf_time[i] = l->time_ms;
	}
}

/* Signs the tree r and stores its checkpoint, moving the signer's row
 * from old, inside the caller's transaction: what a leader does. */
static int sign_tree(store *s, uint64_t old, const struct merkle_range *r)
{
	struct checkpoint cp;
	char text[CHECKPOINT_TEXT_MAX + 1], *note = NULL;
	const key_signer *signer = log_key;
	size_t len = 0;
	int n, rc;

	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", key_signer_verifier(log_key)->name);
	cp.size = r->size;
	merkle_range_root(r, cp.root);
	if ((n = checkpoint_format(text, sizeof text, &cp)) < 0)
		return n;
	if ((rc = note_sign(&note, &len, text, (size_t)n, &signer, 1)) != 0)
		return rc;
	rc = store_log_signer_swap(s, old, cp.size, cp.root);
	if (rc == 0)
		rc = store_log_put_checkpoint(s, cp.size, note, len, T0);
	free(note);
	return rc;
}

/*
 * Appends the leaves [size, size + n) as a writer does: each transaction
 * takes the head, appends with the hashes the range completes, and sets
 * the head. PLANT_BAD_HASH: the first leaf's stored hash is another
 * leaf's; PLANT_SIGN: the whole log signed at the end (a new log's first
 * checkpoint).
 */
enum {
	PLANT_BAD_HASH = 1,
	PLANT_SIGN = 2
};

static int plant(store *s, uint64_t n, unsigned flags)
{
	struct merkle_range r;
	uint64_t done = 0;
	int rc = 0;

	merkle_range_init(&r);
	while (rc == 0 && done < n) {
		if ((rc = store_begin(s)) != 0 || (rc = store_log_head_lock(s, &r)) != 0)
			break;
		for (uint64_t k = 0; rc == 0 && k < PLANT_TX && done < n; k++, done++) {
			char buf[LEAF_MAX + 1];
			struct completed c = {.n = 0};
			struct leaf l;
			merkle_hash h;
			uint64_t idx = r.size;
			int len;

			make_leaf(&l, idx);
			if ((len = leaf_format(buf, &l)) <= 0) {
				rc = AK_EINVAL;
				break;
			}
			merkle_leaf_hash(h, (const uint8_t *)buf, (size_t)len);
			if ((flags & PLANT_BAD_HASH) && done == 0)
				merkle_leaf_hash(h, (const uint8_t *)"not these bytes", 15);
			if ((rc = merkle_range_append(&r, h, collect, &c)) == 0)
				rc = store_log_append_hashed(s, idx, buf, (size_t)len, c.h, c.n);
		}
		if (rc == 0 && (rc = store_log_head_set(s, &r)) == 0 &&
		    (done < n || !(flags & PLANT_SIGN) || (rc = sign_tree(s, 0, &r)) == 0))
			rc = store_commit(s);
	}
	if (rc != 0)
		store_rollback(s);
	return rc;
}

/* ---------------------------------------------------------------- queries */

struct got {
	uint64_t idx[INDEX_LEAVES];
	size_t n;
};

static struct got got, want;

static int take(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct got *g = ctx;

	(void)leaf;
	(void)len;
	if (g->n >= INDEX_LEAVES)
		return AK_ETOOBIG;
	g->idx[g->n++] = idx;
	return 0;
}

/* The answer to f from what was planted (leaves below INDEX_LEAVES only;
 * the caller's filters never reach past them). */
static void reference(const struct store_log_filter *f, int subject)
{
	uint64_t end = f->end == 0 || f->end > INDEX_LEAVES ? INDEX_LEAVES : f->end;

	want.n = 0;
	for (uint64_t k = 0; k < end - f->start && k < INDEX_LEAVES; k++) {
		uint64_t i = f->newest_first ? end - 1 - k : f->start + k;
		if (i < f->start || i >= end)
			continue;
		if (f->has_subject && leaf_subject[i] != subject)
			continue;
		if (leaf_time[i] < f->since_ms || (f->until_ms != 0 && leaf_time[i] >= f->until_ms))
			continue;
		want.idx[want.n++] = i;
		if (f->limit != 0 && want.n == f->limit)
			break;
	}
}

#define ROWS_FETCHED                                                                               \
	"SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)"                            \
	" FROM pg_stat_xact_user_tables WHERE relname = 'log_leaves'"

/*
 * Runs f in a read transaction of its own and compares its answer with
 * the reference; *rows (may be NULL) gets the rows of log_leaves the
 * server fetched for it.
 */
static int same_answer(store *s, const struct store_log_filter *f, int subject, long long *rows)
{
	int rc;

	long long before = 0;

	reference(f, subject);
	got.n = 0;
	if (store_begin_read(s) != 0)
		return 0;
	/* The server's counts of the rows this backend fetched, not yet
	 * reported: inside one transaction nothing is reported, so the
	 * difference is this query's. */
	if (rows != NULL)
		before = number(s, ROWS_FETCHED);
	rc = store_log_query(s, f, take, &got);
	if (rows != NULL)
		*rows = before < 0 ? -1 : number(s, ROWS_FETCHED) - before;
	store_rollback(s);
	if (rc != 0) {
		diag("store_log_query: %s", ak_strerror(rc));
		return 0;
	}
	if (got.n != want.n) {
		diag("%zu leaves, want %zu", got.n, want.n);
		return 0;
	}
	return memcmp(got.idx, want.idx, got.n * sizeof got.idx[0]) == 0;
}

/* Every filter shape, each compared with the reference. */
static int all_same(store *s, const char *when)
{
	struct store_log_filter f;
	int good = 1;

	for (int subj = 0; subj < 3; subj++)
		for (int desc = 0; desc < 2; desc++) {
			store_log_filter_init(&f);
			f.has_subject = 1;
			memcpy(f.subject, subjects[subj * 40], LEAF_ID_BYTES);
			f.newest_first = desc;
			if (!same_answer(s, &f, subj * 40, NULL)) {
				diag("%s: subject %d, %s", when, subj * 40, desc ? "desc" : "asc");
				good = 0;
			}
		}
	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subjects[5], LEAF_ID_BYTES);
	f.newest_first = 1;
	f.limit = 5;
	good &= same_answer(s, &f, 5, NULL);
	f.newest_first = 0;
	f.limit = 7;
	f.start = 30000;
	f.end = INDEX_LEAVES - 100;
	good &= same_answer(s, &f, 5, NULL);
	f.limit = 0;
	f.since_ms = T0 + 20000;
	f.until_ms = T0 + 90000;
	good &= same_answer(s, &f, 5, NULL);
	store_log_filter_init(&f);
	f.since_ms = T0 + 59000;
	f.until_ms = T0 + 61000;
	good &= same_answer(s, &f, -1, NULL);
	f.newest_first = 1;
	good &= same_answer(s, &f, -1, NULL);
	f.since_ms = T0 + INDEX_LEAVES - 900;
	f.until_ms = 0;
	f.limit = 50;
	good &= same_answer(s, &f, -1, NULL);
	f.newest_first = 0;
	f.limit = 0;
	good &= same_answer(s, &f, -1, NULL);
	store_log_filter_init(&f);
	f.start = 99000;
	f.end = 99100;
	good &= same_answer(s, &f, -1, NULL);
	return good;
}

static void test_index(void)
{
	char owner[512], node[512], super[512];
	store *s = NULL, *o = NULL, *su = NULL;
	struct store_log_filter f;
	uint64_t mark = 99, n = 0;
	long long scan_rows = -1, index_rows = -1, per = 0;
	int same;
	auditlog *a[2] = {NULL, NULL};
	const char *why = NULL;
	struct auditlog_stats st;

	url(owner, sizeof owner, "ankang_index", "ankang_owner");
	url(node, sizeof node, "ankang_index", "ankang_node");
	url(super, sizeof super, "ankang_index", "ankang_super");
	if (!ok(store_open(&o, owner, STORE_CREATE) == 0 && store_open(&s, node, 0) == 0 &&
		    store_open(&su, super, 0) == 0,
		"index: the owner migrates, a node opens"))
		goto out;
	/* The rows a query reads are counted from this backend's own
	 * transaction (ROWS_FETCHED); a parallel scan's workers count theirs
	 * elsewhere. Whether the planner goes parallel on 100,000 leaves
	 * depends on whether autovacuum has analysed the table yet, so a slow
	 * run saw a scan that "read" fewer leaves than there are. */
	if (!ok(s != NULL &&
		    number(s, "SELECT set_config('max_parallel_workers_per_gather', '0', false)") ==
			0,
		"index: the counting session plans no parallel scan"))
		goto out;
	for (int i = 0; i < SUBJECTS; i++)
		randombytes_buf(subjects[i], LEAF_ID_BYTES);
	ok(plant(s, INDEX_LEAVES, PLANT_SIGN) == 0 && store_log_size(s, &n) == 0 &&
	       n == INDEX_LEAVES,
	   "index: %d leaves planted", INDEX_LEAVES);
	ok(store_log_index(s, UINT64_MAX, 0, &mark) == 0 && mark == 0,
	   "index: nothing indexed yet (mark 0)");
	ok(all_same(s, "no index"),
	   "index: with no index, every query answers what the leaves say");

	store_log_filter_init(&f);
	f.has_subject = 1;
	memcpy(f.subject, subjects[11], LEAF_ID_BYTES);
	for (int i = 0; i < INDEX_LEAVES; i++)
		per += leaf_subject[i] == 11;
	same = same_answer(s, &f, 11, &scan_rows);
	ok(same && scan_rows >= INDEX_LEAVES,
	   "index: a resident's list by scan reads every leaf (%lld rows)", scan_rows);

	ok(store_log_index(s, 1, FIRST_MARK, &mark) == 0 && mark == FIRST_MARK,
	   "index: one step indexes up to %d", FIRST_MARK);
	ok(store_log_index(s, 1000, 0, &mark) == 0 && mark == FIRST_MARK,
	   "index: fewer leaves past the mark than asked for: no step");
	ok(number(s, "SELECT count(*) FROM log_times") == FIRST_MARK &&
	       number(s, "SELECT count(*) FROM log_subjects") == FIRST_MARK - FIRST_MARK / 3 - 1,
	   "index: every leaf below the mark has its time, and its subject if it has one");
	ok(all_same(s, "indexed"),
	   "index: with the indexes up to the mark, every query answers the same");
	same = same_answer(s, &f, 11, &index_rows);
	ok(same && index_rows >= 0 && index_rows <= per + (INDEX_LEAVES - FIRST_MARK) + 200,
	   "index: that resident's list now reads %lld rows (their %lld leaves, runs and the"
	   " %d past the mark), not %d",
	   index_rows, per, INDEX_LEAVES - FIRST_MARK, INDEX_LEAVES);

	/* The service's role: the indexes grow, the mark moves up, no more. */
	is_str(raw(s, "UPDATE log_subjects SET idx = idx + 1"), "denied",
	       "index: the service may not UPDATE log_subjects");
	is_str(raw(s, "DELETE FROM log_times"), "denied",
	       "index: the service may not DELETE from log_times");
	is_str(raw(s, "TRUNCATE log_subjects"), "denied",
	       "index: the service may not TRUNCATE log_subjects");
	is_str(raw(s, "DELETE FROM log_index_mark"), "denied",
	       "index: the service may not DELETE the mark");
	is_str(raw(s, "UPDATE log_index_mark SET upto = 5"), "trigger",
	       "index: the mark never moves back");
	is_str(raw(o, "UPDATE log_index_mark SET upto = 5"), "trigger",
	       "index: not even the owner's");
	is_str(raw(s, "UPDATE log_leaves SET leaf = leaf"), "denied",
	       "index: the log itself is as guarded as before");
	ok(store_log_index(s, UINT64_MAX, 0, &mark) == 0 && mark == FIRST_MARK,
	   "index: the mark is where it was");

	/* Writers: the first leads and its keeper fills in; the second does
	 * not lead. Each polls once per checkpoint_ms. */
	for (int w = 0; w < 2; w++)
		if (auditlog_open(&a[w], node, log_key, NULL, &why) != 0)
			diag("%s", why != NULL ? why : "(no reason)");
	if (!ok(a[0] != NULL && a[1] != NULL, "index: two writers open the log"))
		goto out;
	for (int i = 0; i < STORE_INDEX_STEP + 100; i++) {
		struct leaf l;
		make_leaf(&l, INDEX_LEAVES + (uint64_t)i);
		if (auditlog_submit(a[i % 2], &l, 1, NULL, NULL, NULL) != 0) {
			diag("a submission failed");
			break;
		}
	}
	for (int i = 0, tries = patience(300); i < tries; i++) {
		if (store_log_index(s, UINT64_MAX, 0, &mark) == 0 && mark > INDEX_LEAVES)
			break;
		usleep(20000);
	}
	ok(mark > INDEX_LEAVES, "index: the leader's keeper moved the mark on to %" PRIu64, mark);
	auditlog_stats(a[0], &st);
	ok(st.leader == 1, "index: the first writer leads");
	auditlog_stats(a[1], &st);
	ok(st.leader == 0 && st.checkpoints == 0, "index: the second does not, and signs nothing");

	/* The leader's session ended by the server (an operator, a network
	 * that dropped it): the lock goes with it; the leader steps down at
	 * its next round, and the other takes the lead and signs. */
	ok(number(su, "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
		      " WHERE locktype = 'advisory' AND granted AND objsubid = 1") == 1,
	   "index: the leader's session is ended");
	{
		int a0 = 1, a1 = 0;
		uint64_t signed1 = 0;
		for (int i = 0, tries = patience(300); i < tries && (a0 || !a1 || !signed1); i++) {
			struct leaf l;
			make_leaf(&l, 1);
			auditlog_submit(a[1], &l, 1, NULL, NULL, NULL);
			auditlog_stats(a[0], &st);
			a0 = st.leader;
			auditlog_stats(a[1], &st);
			a1 = st.leader;
			signed1 = st.checkpoints;
			usleep(20000);
		}
		ok(!a0, "index: the first no longer believes it leads");
		ok(a1 && signed1 > 0, "index: the second leads and signs");
	}
out:
	auditlog_close(a[0]);
	auditlog_close(a[1]);
	store_close(s);
	store_close(o);
	store_close(su);
}

/*
 * Behind the leader's back, as the owner (a front-end with a bug, or
 * someone with the owner's role): bad_hash, a leaf whose stored leaf
 * hash is not its bytes'; else a leaf stored right, with a head row
 * whose range is garbage. The leader must refuse to sign either.
 */
/*
 * A run of leaves in one statement (the writer's batch on PostgreSQL):
 * contiguous, whole, all or none; and store_q's savepoints: a failed
 * write under its own is undone alone and the transaction goes on, one
 * that ends its operation (store_q_ends_operation) leaves the rest to
 * the operation's savepoint.
 */
#define RUN_LEAVES 300
static void test_run(const char *db)
{
	static char bytes[RUN_LEAVES][LEAF_MAX + 1];
	static struct completed c[RUN_LEAVES];
	static merkle_hash zero[58];
	struct store_leaf_row rows[RUN_LEAVES];
	char node[512];
	store *s = NULL;
	struct merkle_range r;
	struct store_log_counts n;
	uint64_t size0 = 0;
	store_q *q;
	int rc = 0;

	url(node, sizeof node, db, "ankang_node");
	if (!ok(store_open(&s, node, 0) == 0, "run: the node's store opens"))
		return;
	merkle_range_init(&r);
	if (store_begin(s) != 0 || store_log_head_lock(s, &r) != 0)
		rc = -1;
	size0 = r.size;
	for (int k = 0; rc == 0 && k < RUN_LEAVES; k++) {
		struct leaf l;
		merkle_hash h;
		int len;

		make_leaf(&l, size0 + (uint64_t)k);
		if ((len = leaf_format(bytes[k], &l)) <= 0) {
			rc = -1;
			break;
		}
		merkle_leaf_hash(h, (const uint8_t *)bytes[k], (size_t)len);
		c[k].n = 0;
		rc = merkle_range_append(&r, h, collect, &c[k]);
		rows[k].leaf = bytes[k];
		rows[k].len = (size_t)len;
		rows[k].hashes = (const merkle_hash *)c[k].h;
		rows[k].n = c[k].n;
	}
	ok(rc == 0 && store_log_append_run(s, size0, rows, RUN_LEAVES) == 0 &&
	       store_log_head_set(s, &r) == 0 && store_commit(s) == 0,
	   "run: %d leaves in one statement commit", RUN_LEAVES);
	ok(store_log_counts(s, &n) == 0 && n.leaves == size0 + RUN_LEAVES &&
	       n.leaves_end == n.leaves && n.hashes == n.leaves && n.hashes_end == n.leaves,
	   "run: contiguous and whole");
	/* Rows the store takes (the count of hashes its index needs), at an
	 * index the database must refuse. */
	rows[0].hashes = (const merkle_hash *)zero;
	rows[0].n = store_hashes_at(r.size + 1);
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 &&
	       store_log_append_run(s, r.size + 1, rows, 1) == AK_EDENIED &&
	       store_rollback(s) == 0 && store_log_counts(s, &n) == 0 &&
	       n.leaves == size0 + RUN_LEAVES,
	   "run: one past the size is refused, nothing stored");
	rows[0].n = store_hashes_at(r.size - 2);
	rows[1] = rows[0];
	rows[1].n = store_hashes_at(r.size - 1);
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 &&
	       store_log_append_run(s, r.size - 2, rows, 2) == AK_EDENIED &&
	       store_rollback(s) == 0 && store_log_counts(s, &n) == 0 &&
	       n.leaves == size0 + RUN_LEAVES,
	   "run: indices that are taken are refused, nothing stored");

	/* store_q's savepoints, on the log's table (an index that is taken). */
	q = store_q_get(s, SQ_LOG_END,
			"INSERT INTO log_leaves (idx, leaf, hashes) VALUES (?1, ?2, ?3)");
	ok(q != NULL && store_begin(s) == 0 && store_savepoint(s) == 0, "run: an operation begins");
	store_q_bind_int64(q, 1, 0);
	store_q_bind_blob(q, 2, "x", 1);
	store_q_bind_blob(q, 3, c[0].h, MERKLE_HASH_BYTES);
	rc = store_q_step(q);
	store_q_finish(q);
	ok(rc != SQLITE_DONE && rc != SQLITE_ROW && store_log_size(s, &size0) == 0,
	   "run: a write that fails under its own savepoint is undone alone: the transaction goes "
	   "on");
	q = store_q_get(s, SQ_LOG_END + 1,
			"INSERT INTO log_leaves (idx, leaf, hashes) VALUES (?1, ?2, ?3)");
	store_q_ends_operation(q);
	store_q_bind_int64(q, 1, 0);
	store_q_bind_blob(q, 2, "x", 1);
	store_q_bind_blob(q, 3, c[0].h, MERKLE_HASH_BYTES);
	rc = store_q_step(q);
	store_q_finish(q);
	ok(rc != SQLITE_DONE && rc != SQLITE_ROW && store_log_size(s, &size0) != 0,
	   "run: one that ends its operation has none: the transaction fails");
	ok(store_rollback_to(s) == 0 && store_release(s) == 0 && store_log_size(s, &size0) == 0 &&
	       store_commit(s) == 0,
	   "run: the operation's savepoint undoes it, and the transaction goes on and commits");
	store_close(s);
}

static void test_rehash(const char *db, int bad_hash)
{
	char owner[512], node[512];
	const char *what = bad_hash ? "a wrong leaf hash" : "a wrong head range";
	store *o = NULL;
	auditlog *a = NULL;
	struct auditlog_stats st;
	const char *why = NULL;
	uint64_t before = 0, size = 0;
	char *note = NULL;
	size_t len = 0;
	int refused = 0;

	url(owner, sizeof owner, db, "ankang_owner");
	url(node, sizeof node, db, "ankang_node");
	if (!ok(store_open(&o, owner, STORE_CREATE) == 0 &&
		    auditlog_open(&a, node, log_key, NULL, &why) == 0,
		"%s: a log opens", what))
		goto out;
	for (int i = 0; i < 10; i++) {
		struct leaf l;
		make_leaf(&l, (uint64_t)i);
		auditlog_submit(a, &l, 1, NULL, NULL, NULL);
	}
	for (int i = 0, tries = patience(300); i < tries; i++) {
		auditlog_stats(a, &st);
		if (st.checkpoint_size == 10)
			break;
		usleep(20000);
	}
	ok(st.checkpoint_size == 10 && st.leader, "%s: the leader signs 10 leaves", what);
	before = st.checkpoint_size;
	if (bad_hash) {
		ok(plant(o, 1, PLANT_BAD_HASH) == 0, "%s: one planted at 10", what);
	} else {
		ok(plant(o, 1, 0) == 0 &&
		       strcmp(raw(o, "UPDATE log_head SET range = decode(repeat('ab', 96), 'hex')"),
			      "ok") == 0,
		   "%s: one planted at 10, the head's range replaced", what);
	}
	for (int i = 0, tries = patience(300); i < tries && !refused; i++) {
		refused = auditlog_refusing(a) == AK_ECORRUPT;
		if (!refused)
			usleep(20000);
	}
	ok(refused, "%s: the leader refuses writes", what);
	auditlog_stats(a, &st);
	ok(st.scrub.mismatch == 1 && st.scrub.mismatch_at == 10 && st.scrub.why[0] != '\0' &&
	       st.fault[0] == '\0',
	   "%s: reported as the scrubber's finding (at %" PRIu64 ")", what, st.scrub.mismatch_at);
	diag("%s", st.scrub.why);
	ok(st.checkpoint_size == before &&
	       store_log_checkpoint_at(o, 11, &note, &len) == AK_ENOENT &&
	       store_log_last_checkpoint(o, &size, &note, &len) == 0 && size == before,
	   "%s: nothing signed past it", what);
	free(note);
out:
	auditlog_close(a);
	store_close(o);
}

/*
 * count leaves after *r, as a writer's batch makes them (into bytes, c
 * and rows), *r moved past them: 0, or -1.
 */
#define AC_MAX 8
static int batch_of(struct merkle_range *r, int count, char bytes[][LEAF_MAX + 1],
		    struct completed *c, struct store_leaf_row *rows)
{
	for (int k = 0; k < count; k++) {
		struct leaf l;
		merkle_hash h;
		int len;

		make_leaf(&l, r->size);
		if ((len = leaf_format(bytes[k], &l)) <= 0)
			return -1;
		merkle_leaf_hash(h, (const uint8_t *)bytes[k], (size_t)len);
		c[k].n = 0;
		if (merkle_range_append(r, h, collect, &c[k]) != 0)
			return -1;
		rows[k].leaf = bytes[k];
		rows[k].len = (size_t)len;
		rows[k].hashes = (const merkle_hash *)c[k].h;
		rows[k].n = c[k].n;
	}
	return 0;
}

/* The head row set to *r, in a transaction of s's own (as the owner's
 * mistake, or a writer's bug, would leave it). */
static int force_head(store *s, const struct merkle_range *r)
{
	struct merkle_range t;

	merkle_range_init(&t);
	if (store_begin(s) != 0 || store_log_head_lock(s, &t) != 0 ||
	    store_log_head_set(s, r) != 0 || store_commit(s) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

static uint64_t leaves_of(store *s)
{
	struct store_log_counts n;

	return store_log_counts(s, &n) == 0 && n.leaves == n.leaves_end ? n.leaves : UINT64_MAX;
}

/*
 * The end of a writer's batch in one round trip (store_log_append_commit:
 * the run, the head and the COMMIT). The head lock compares the head with
 * the leaves only on a session's first lock; after that a head that
 * disagrees (behind the leaves, or past them) is caught by the append
 * itself: AK_ECORRUPT, nothing stored, the head as it was. Two writers
 * that both take index n (one without the head's lock, so that nothing
 * but the database stands between them) cannot both append there.
 */
static void test_append_commit(const char *db)
{
	static char bytes[AC_MAX][LEAF_MAX + 1];
	static struct completed c[AC_MAX];
	struct store_leaf_row rows[AC_MAX];
	char node[512];
	store *s = NULL, *t = NULL;
	struct merkle_range r, r0, r5, r6, rt;
	uint64_t n0 = 0;

	url(node, sizeof node, db, "ankang_node");
	if (!ok(store_open(&s, node, 0) == 0 && store_open(&t, node, 0) == 0,
		"append_commit: two writers' stores open"))
		goto out;
	merkle_range_init(&r);
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && (n0 = leaves_of(s)) == r.size,
	   "append_commit: the head is the leaves' size");
	r0 = r;
	ok(batch_of(&r, 5, bytes, c, rows) == 0 &&
	       store_log_append_commit(s, n0, rows, 5, &r) == 0 && !store_in_transaction(s),
	   "append_commit: five leaves, the head and the COMMIT");
	r5 = r;
	merkle_range_init(&rt);
	ok(leaves_of(s) == n0 + 5 && store_log_head_read(s, &rt) == 0 && rt.size == n0 + 5 &&
	       memcmp(rt.stack, r.stack, r.depth * MERKLE_HASH_BYTES) == 0,
	   "append_commit: stored, and the head is the batch's range");
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0 + 5 &&
	       store_log_append_commit(s, r.size, NULL, 0, &r) == 0 && !store_in_transaction(s),
	   "append_commit: a batch with no leaf commits");
	ok(store_log_append_commit(s, r.size, NULL, 0, &r) == AK_EINVAL,
	   "append_commit: only inside a transaction");

	/* A head behind the leaves. */
	ok(force_head(s, &r0) == 0, "append_commit: the head set back five leaves");
	r = r0;
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0,
	   "append_commit: a session that checked already does not check again");
	is_int(batch_of(&r, 2, bytes, c, rows) == 0 ? store_log_append_commit(s, n0, rows, 2, &r)
						    : -1,
	       AK_ECORRUPT, "append_commit: a run at a head behind the leaves is refused");
	store_rollback(s);
	merkle_range_init(&rt);
	ok(leaves_of(s) == n0 + 5 && store_log_head_read(s, &rt) == 0 && rt.size == n0,
	   "append_commit: nothing stored, the head as it was");
	ok(store_begin(t) == 0 && store_log_head_lock(t, &rt) == AK_ECORRUPT,
	   "append_commit: a session's first head lock finds the disagreement");
	store_rollback(t);
	/* The run where the leaves end, but not where the head is: the
	 * order trigger lets it by, the head's UPDATE does not. */
	r = r5;
	merkle_range_init(&rt);
	is_int(store_begin(s) == 0 && store_log_head_lock(s, &rt) == 0 && rt.size == n0 &&
		       batch_of(&r, 2, bytes, c, rows) == 0
		   ? store_log_append_commit(s, n0 + 5, rows, 2, &r)
		   : -1,
	       AK_ECORRUPT, "append_commit: a run that is not at the head's size is refused");
	store_rollback(s);
	ok(leaves_of(s) == n0 + 5, "append_commit: nothing stored");

	/* A head past the leaves (a gap). */
	r6 = r5;
	ok(batch_of(&r6, 1, bytes, c, rows) == 0 && force_head(s, &r6) == 0,
	   "append_commit: the head set one leaf past the leaves");
	r = r6;
	is_int(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0 + 6 &&
		       batch_of(&r, 1, bytes, c, rows) == 0
		   ? store_log_append_commit(s, n0 + 6, rows, 1, &r)
		   : -1,
	       AK_ECORRUPT, "append_commit: a run after a gap is refused");
	store_rollback(s);
	ok(leaves_of(s) == n0 + 5 && force_head(s, &r5) == 0,
	   "append_commit: nothing stored; the head put right");

	/* Two writers at one index: t read the head (no lock), s appends
	 * under the lock, then t tries the same index. */
	r = r5;
	rt = r5;
	ok(store_begin(t) == 0 && store_log_head_read(t, &rt) == 0 && rt.size == n0 + 5 &&
	       store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0 + 5 &&
	       batch_of(&r, 3, bytes, c, rows) == 0 &&
	       store_log_append_commit(s, n0 + 5, rows, 3, &r) == 0,
	   "append_commit: the first writer appends three at %" PRIu64, n0 + 5);
	is_int(batch_of(&rt, 2, bytes, c, rows) == 0
		   ? store_log_append_commit(t, n0 + 5, rows, 2, &rt)
		   : -1,
	       AK_ECORRUPT, "append_commit: the second, at the same index, is refused");
	store_rollback(t);
	merkle_range_init(&rt);
	ok(leaves_of(s) == n0 + 8 && store_log_head_read(s, &rt) == 0 && rt.size == n0 + 8,
	   "append_commit: the first's three stored, contiguous, and the head says so");
out:
	store_close(s);
	store_close(t);
}

/* One operation's leaf at r->size, appended (r moved past it): 0 or -1. */
static int op_leaf(store *s, struct merkle_range *r)
{
	static char bytes[1][LEAF_MAX + 1];
	static struct completed c[1];
	struct store_leaf_row rows[1];
	uint64_t idx = r->size;

	if (batch_of(r, 1, bytes, c, rows) != 0)
		return -1;
	return store_log_append_run(s, idx, rows, 1) == 0 ? 0 : -1;
}

/*
 * The writer's savepoints on PostgreSQL (store_pg.c, "Deferred
 * commands"): an operation's outermost savepoint is kept unreleased, the
 * next one's nesting inside it; ROLLBACK TO must still undo the current
 * operation alone (after an inner savepoint of its own, released, as
 * store_people.c's atomically makes), never an earlier one's.
 */
static void test_kept_savepoints(const char *db)
{
	char node[512];
	store *s = NULL;
	struct merkle_range r, before, rt;
	uint64_t n0 = 0;

	url(node, sizeof node, db, "ankang_node");
	if (!ok(store_open(&s, node, 0) == 0, "savepoints: the store opens"))
		return;
	merkle_range_init(&r);
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == leaves_of(s),
	   "savepoints: a batch begins at the head");
	n0 = r.size;
	ok(store_savepoint(s) == 0 && op_leaf(s, &r) == 0 && store_release(s) == 0,
	   "savepoints: operation 1 appends");
	before = r;
	ok(store_savepoint(s) == 0 && op_leaf(s, &r) == 0 && store_rollback_to(s) == 0 &&
	       store_release(s) == 0,
	   "savepoints: operation 2 appends and is undone");
	r = before;
	ok(store_savepoint(s) == 0 && store_savepoint(s) == 0 && op_leaf(s, &r) == 0 &&
	       store_release(s) == 0 && op_leaf(s, &r) == 0 && store_rollback_to(s) == 0 &&
	       store_release(s) == 0,
	   "savepoints: operation 3 appends under an inner savepoint and after it, and is undone");
	r = before;
	ok(store_savepoint(s) == 0 && op_leaf(s, &r) == 0 && store_release(s) == 0,
	   "savepoints: operation 4 appends where 2 and 3 did");
	ok(store_savepoint(s) == 0 && store_rollback_to(s) == 0 && store_release(s) == 0,
	   "savepoints: operation 5 runs nothing and is undone");
	before = r;
	ok(store_savepoint(s) == 0 && op_leaf(s, &r) == 0 && store_rollback_to(s) == 0 &&
	       store_release(s) == 0,
	   "savepoints: operation 6 appends and is undone");
	r = before;
	ok(store_log_head_set(s, &r) == 0 && store_commit(s) == 0, "savepoints: the batch commits");
	merkle_range_init(&rt);
	ok(leaves_of(s) == n0 + 2 && store_log_head_read(s, &rt) == 0 && rt.size == n0 + 2,
	   "savepoints: operations 1 and 4 stored, contiguous, nothing of 2, 3, 5, 6");
	store_close(s);
}

/*
 * What one INSERT of leaves at the indices of arr (an SQL array
 * literal, in that order) gets from the server, in a transaction rolled
 * back: "ok", "trigger" (the order rule), "other" (the primary key). The
 * rows' bytes and hashes are ones the schema's checks accept.
 */
static const char *insert_at(store *s, uint64_t base, const int *offs, int n)
{
	char arr[128], sql[512];
	const char *v;
	size_t at = 0;

	for (int k = 0; k < n; k++)
		at += (size_t)snprintf(arr + at, sizeof arr - at, "%s%" PRIu64, k ? "," : "",
				       base + (uint64_t)offs[k]);
	snprintf(sql, sizeof sql,
		 "INSERT INTO log_leaves (idx, leaf, hashes)"
		 " SELECT i, 'x'::bytea, decode(repeat('00', 32 * (1 +"
		 " round(log(2, ((i + 1) & -(i + 1))::numeric))::int)), 'hex')"
		 " FROM unnest('{%s}'::bigint[]) WITH ORDINALITY AS u(i, o) ORDER BY o",
		 arr);
	if (strcmp(raw(s, "BEGIN"), "ok") != 0)
		return "no transaction";
	v = raw(s, sql);
	raw(s, "ROLLBACK");
	return v;
}

static void test_run_order(const char *db)
{
	static const int gap_inside[] = {0, 2}, gap_before[] = {1, 2}, run[] = {0, 1},
			 reversed[] = {1, 0}, taken[] = {-1}, behind[] = {-1, 0};
	char node[512];
	store *s = NULL;
	uint64_t n = 0;

	url(node, sizeof node, db, "ankang_node");
	if (!ok(store_open(&s, node, 0) == 0 && (n = leaves_of(s)) > 0 && n != UINT64_MAX,
		"run order: the writer's store opens on a log of leaves"))
		goto out;
	is_str(insert_at(s, n, gap_inside, 2), "trigger",
	       "run order: leaves at n and n + 2 in one statement are refused");
	is_str(insert_at(s, n, gap_before, 2), "trigger",
	       "run order: leaves at n + 1 and n + 2 (n missing) are refused");
	is_str(insert_at(s, n, behind, 2), "other",
	       "run order: a run from n - 1, which is taken, is refused");
	is_str(insert_at(s, n, taken, 1), "other", "run order: a leaf at n - 1 is taken");
	is_str(insert_at(s, n, run, 2), "ok", "run order: leaves at n and n + 1 pass");
	is_str(insert_at(s, n, reversed, 2), "ok",
	       "run order: and in the other order in one statement, the same rows");
	ok(leaves_of(s) == n, "run order: nothing stored (each was rolled back)");
out:
	store_close(s);
}

/*
 * The batch's lock let go before its flush (store_pg_log_append_commit).
 * Every synchronous commit is made to wait without end, by naming a
 * synchronous standby that never connects; an asynchronous one does not
 * wait. So the batch's end can only return once that wait is lifted.
 * Meanwhile another session takes the head's lock: it gets it, and reads
 * the batch's size (with the lock held through the flush it would wait
 * until its lock_timeout: the check fails, it does not hang).
 */
struct pending_batch {
	store *s;
	uint64_t idx;
	const struct store_leaf_row *rows;
	size_t n;
	const struct merkle_range *r;
	int rc;
	atomic_int done;
};

static void *end_batch(void *arg)
{
	struct pending_batch *b = arg;

	b->rc = store_log_append_commit(b->s, b->idx, b->rows, b->n, b->r);
	atomic_store(&b->done, 1);
	return NULL;
}

/* A reader's wait for what it read to be durable (store_durable). */
struct pending_read {
	store *s;
	int rc;
	atomic_int done;
};

static void *wait_durable(void *arg)
{
	struct pending_read *d = arg;

	d->rc = store_durable(d->s);
	atomic_store(&d->done, 1);
	return NULL;
}

/* Runs sql on c: 1 when it succeeded. */
static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType t = PQresultStatus(r);

	PQclear(r);
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Whether a synchronous commit on c waits now: one is sent, and given
 * 200 ms; if it has not answered, it is cancelled (its transaction is
 * committed locally all the same: it wrote nothing) and 1. */
static int commits_wait(PGconn *c)
{
	PGresult *r;
	int waits = 1;

	if (PQsendQuery(c, "SELECT pg_logical_emit_message(true, 'ankang.test', '')") != 1)
		return 0;
	for (int i = 0; i < 20 && waits; i++) {
		if (PQconsumeInput(c) != 1)
			return 0;
		if (!PQisBusy(c))
			waits = 0;
		else
			usleep(10000);
	}
	if (waits) {
		PGcancel *k = PQgetCancel(c);
		char err[256];
		if (k == NULL || PQcancel(k, err, sizeof err) != 1)
			waits = 0;
		PQfreeCancel(k);
	}
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	return waits;
}

/* The cluster's synchronous standby named (an absent one) or none; 1
 * once a commit waits (or no longer does). */
static int standby_wait(PGconn *su, int on)
{
	if (!exec_ok(su, on ? "ALTER SYSTEM SET synchronous_standby_names = 'ankang_absent'"
			    : "ALTER SYSTEM RESET synchronous_standby_names") ||
	    !exec_ok(su, "SELECT pg_reload_conf()"))
		return 0;
	for (int i = 0; i < patience(100); i++) {
		if (commits_wait(su) == on)
			return 1;
		usleep(50000);
	}
	return 0;
}

/* 1 once the session pid waits for a synchronous commit (for the
 * standby that never comes), looked at for a few seconds. */
static int in_syncrep(PGconn *su, int pid)
{
	char sql[128];
	PGresult *r;
	int yes = 0;

	snprintf(sql, sizeof sql,
		 "SELECT 1 FROM pg_stat_activity WHERE pid = %d AND wait_event = 'SyncRep'", pid);
	for (int i = 0; i < patience(250) && !yes; i++) {
		r = PQexec(su, sql);
		yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		PQclear(r);
		if (!yes)
			usleep(20000);
	}
	return yes;
}

/* The head's size as another session reads it under the head's lock,
 * waiting for that lock at most a few seconds; -1 when it could not. */
static long long locked_size(PGconn *c)
{
	char sql[128];
	PGresult *r;
	long long v = -1;

	snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = '%ds'", patience(5));
	if (!exec_ok(c, "BEGIN") || !exec_ok(c, sql))
		goto out;
	r = PQexec(c, "SELECT size FROM log_head WHERE one FOR UPDATE");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
out:
	exec_ok(c, "ROLLBACK");
	return v;
}

/* Takes the head's lock on c until it reads size (the batch's COMMIT has
 * run), bounded; the last size read, or -1 when no lock was had. */
static long long await_locked_size(PGconn *c, long long size)
{
	long long seen = -1;

	for (int i = 0; i < patience(100) && seen != size; i++) {
		seen = locked_size(c);
		if (seen == -1)
			break;
		if (seen != size)
			usleep(20000);
	}
	return seen;
}

static void test_flush_after_lock(const char *db)
{
	static char bytes[AC_MAX][LEAF_MAX + 1];
	static struct completed c[AC_MAX];
	struct store_leaf_row rows[AC_MAX];
	char node[512], super[512], pid[64];
	store *s = NULL, *reader = NULL;
	PGconn *su = NULL, *other = NULL;
	struct merkle_range r;
	struct pending_batch b;
	struct pending_read d = {NULL, -1, 0};
	pthread_t th, td;
	uint64_t seen_rows = 0;
	uint64_t n0 = 0;
	long long seen = -1;
	int waiting = 0, td_started = 0;

	url(node, sizeof node, db, "ankang_node");
	url(super, sizeof super, db, "ankang_super");
	su = PQconnectdb(super);
	other = PQconnectdb(node);
	if (!ok(store_open(&s, node, 0) == 0 && store_open(&reader, node, STORE_READONLY) == 0 &&
		    PQstatus(su) == CONNECTION_OK && PQstatus(other) == CONNECTION_OK,
		"flush: a writer, another session and the superuser's connect") ||
	    s == NULL || reader == NULL)
		goto out;
	if (!ok(standby_wait(su, 1), "flush: every synchronous commit now waits"))
		goto out;
	waiting = 1;

	merkle_range_init(&r);
	if (!ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 &&
		    (n0 = leaves_of(s)) == r.size && batch_of(&r, 3, bytes, c, rows) == 0,
		"flush: a batch of three under the head's lock"))
		goto out;
	b = (struct pending_batch){s, n0, rows, 3, &r, -1, 0};
	if (!ok(pthread_create(&th, NULL, end_batch, &b) == 0, "flush: the batch ends on a thread"))
		goto out;
	/* Until the batch's COMMIT has run, the other session waits for the
	 * lock and then reads the size it left; before, n0. */
	seen = await_locked_size(other, (long long)n0 + 3);
	is_int((int)(seen - (long long)n0), 3,
	       "flush: another session takes the head's lock while the batch's flush waits,"
	       " and reads its size");
	ok(!atomic_load(&b.done), "flush: the batch is not reported done before its flush");
	/* A reader that sees the batch's leaves waits for them to be
	 * durable before it may answer from them. */
	d.s = reader;
	seen_rows = leaves_of(reader);
	td_started = pthread_create(&td, NULL, wait_durable, &d) == 0;
	ok(seen_rows == n0 + 3 && td_started,
	   "flush: a read-only reader sees the batch's leaves, and waits for their flush");
	ok(in_syncrep(su, PQbackendPID(reader->pg)) && in_syncrep(su, PQbackendPID(s->pg)) &&
	       !atomic_load(&d.done) && !atomic_load(&b.done),
	   "flush: both wait for the flush, and neither has returned");
	ok(standby_wait(su, 0), "flush: synchronous commits wait no more");
	waiting = 0;
	pthread_join(th, NULL);
	if (td_started)
		pthread_join(td, NULL);
	ok(b.rc == 0 && !store_in_transaction(s) && leaves_of(s) == n0 + 3,
	   "flush: then the batch is done, its three leaves stored");
	is_int(d.rc, 0, "flush: and the reader's wait returns");
	ok(store_durable(reader) == 0, "flush: with nothing owed, a reader's wait returns");

	/* A flush cut short: the batch's session ended while it waits. */
	if (!ok(standby_wait(su, 1), "flush: synchronous commits wait again"))
		goto out;
	waiting = 1;
	n0 += 3;
	if (!ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0 &&
		    batch_of(&r, 2, bytes, c, rows) == 0,
		"flush: a second batch of two"))
		goto out;
	snprintf(pid, sizeof pid, "SELECT pg_terminate_backend(%d)", PQbackendPID(s->pg));
	b = (struct pending_batch){s, n0, rows, 2, &r, -1, 0};
	if (!ok(pthread_create(&th, NULL, end_batch, &b) == 0, "flush: it ends on a thread"))
		goto out;
	seen = await_locked_size(other, (long long)n0 + 2);
	ok(seen == (long long)n0 + 2 && !atomic_load(&b.done),
	   "flush: its COMMIT ran, and it waits for the flush");
	/* Ended whatever the check found, so that the thread returns. */
	ok(exec_ok(su, pid), "flush: its session is ended while it waits");
	pthread_join(th, NULL);
	is_int(b.rc, AK_EDB, "flush: a flush that did not finish is the batch's failure");
	store_rollback(s);
	ok(standby_wait(su, 0), "flush: synchronous commits wait no more");
	waiting = 0;
	ok(leaves_of(s) == n0 + 2,
	   "flush: its rows were committed (a request may be logged and not answered)");
	merkle_range_init(&r);
	ok(store_begin(s) == 0 && store_log_head_lock(s, &r) == 0 && r.size == n0 + 2 &&
	       store_rollback(s) == 0,
	   "flush: the writer's next head lock, on a new session, finds the head there");
out:
	if (waiting && su != NULL)
		standby_wait(su, 0);
	store_close(s);
	store_close(reader);
	PQfinish(other);
	PQfinish(su);
}

int main(void)
{
	sock = getenv("ANKANG_PG_SOCK");
	if (sock == NULL || sock[0] == '\0') {
		printf("1..0 # SKIP no PostgreSQL cluster (tests/sh/store_pg_log.sh runs this)\n");
		return 0;
	}
	if (sodium_init() < 0 || key_signer_generate(&log_key, "ankang.test/log") != 0)
		bail_out("setup");
	test_index();
	test_run("ankang_index");
	test_append_commit("ankang_index");
	test_kept_savepoints("ankang_index");
	test_flush_after_lock("ankang_index");
	test_run_order("ankang_index");
	test_rehash("ankang_rehash", 1);
	test_rehash("ankang_rehead", 0);
	key_signer_free(log_key);
	return tap_done();
}
