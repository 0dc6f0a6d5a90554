/*
 * test_auditlog_group: the writer's group changes (log/auditlog.h,
 * auditlog_group_fn) and the one the service gives a batch's codes
 * (store_code_add_all, service/store_people.h).
 *
 *   - store_code_add_all, inside a transaction, on SQLite and on
 *     PostgreSQL: every row added, each as store_code_add adds it; none
 *     when one names an erased or an unknown resident, or is malformed,
 *     or takes a cti already there; and the transaction goes on after a
 *     refusal (a row added after it commits).
 *   - The writer on PostgreSQL, a batch of code operations among
 *     operations with leaves alone: the group is called once for the
 *     batch's codes, in log order with each one's first index, no change
 *     runs, and each row records its own leaf's index.
 *   - A group that cannot be done whole (a resident erased before the
 *     batch): each operation runs its change alone, the one for the
 *     erased resident fails alone, its leaf is not written, and every
 *     other leaf, and row, is at the index it would have had without it.
 *   - An operation with a change of its own (an erasure) between code
 *     operations: the codes before it are written before it runs, those
 *     after it see it (the erased resident's next code is refused).
 *   - Leaves that may be shed (AUDITLOG_SHED) in a window, with room
 *     for one unsigned leaf: shed while a grouped code's leaf takes the
 *     room; when the group falls back and that code fails alone, weighed
 *     again and recorded in the room it left; shed again when the
 *     fallback's codes still fill it; shed when the group holds.
 *   - The writer on SQLite never calls the group: each change runs
 *     alone.
 *
 * PostgreSQL runs when ANKANG_PG_SOCK names the socket of a cluster with
 * the databases ankang_group and ankang_group_log (as
 * tests/sh/auditlog_group.sh makes them); SQLite always. The residents
 * are rows with no personal data; the leaves are made up.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "service/store_people.h"
#include "tests/lib/leaves.h"
#include "tests/lib/tap.h"

#define NOW     1750000000u
#define MAX_OPS 8

static const char *sock;
static key_signer *log_key;
static char dir[] = "/tmp/ankang-test-group.XXXXXX";

static void url(char *out, size_t cap, const char *db, const char *user)
{
	snprintf(out, cap, "postgresql:///%s?host=%s&user=%s", db, sock, user);
}

/* A live resident with no fields: its id. */
static uint64_t resident(store *s)
{
	uint8_t blind[SEAL_BLIND_BYTES], handle[STORE_HANDLE_BYTES];
	uint64_t id = 0;

	randombytes_buf(blind, sizeof blind);
	randombytes_buf(handle, sizeof handle);
	if (store_begin(s) != 0 || store_resident_insert(s, blind, handle, NOW, 0, &id) != 0 ||
	    store_commit(s) != 0) {
		store_rollback(s);
		return 0;
	}
	return id;
}

static int erase(store *s, uint64_t id)
{
	int rc = store_begin(s);

	if (rc == 0 && (rc = store_resident_erase(s, id, NOW)) == 0)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

static void code_for(struct store_code *c, uint64_t resident_id)
{
	memset(c, 0, sizeof *c);
	randombytes_buf(c->cti, sizeof c->cti);
	randombytes_buf(c->sig_hash, sizeof c->sig_hash);
	c->resident_id = resident_id;
	c->iat = NOW;
	c->exp = NOW + 86400;
	c->status = CRED_GREEN;
	c->issued_index = 7;
}

/* Whether c's row is there with c's fields (1), not there (0), or -1. */
static int stored(store *s, const struct store_code *c)
{
	struct store_code got;
	int rc = store_code_get(s, c->cti, &got);

	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0)
		return -1;
	return got.resident_id == c->resident_id && got.iat == c->iat && got.exp == c->exp &&
		       got.status == c->status && got.paper == c->paper &&
		       got.issued_index == c->issued_index &&
		       memcmp(got.sig_hash, c->sig_hash, sizeof got.sig_hash) == 0
		   ? 1
		   : -1;
}

/* ----------------------------------------------------- store_code_add_all */

static void test_add_all(store *s, const char *b)
{
	struct store_code c[4], fresh;
	const struct store_code *p[4] = {&c[0], &c[1], &c[2], &c[3]};
	uint64_t r1 = resident(s), r2 = resident(s), gone = resident(s);
	int rc;

	if (!ok(r1 != 0 && r2 != 0 && gone != 0 && erase(s, gone) == 0,
		"%s: three residents, one erased", b))
		return;
	code_for(&c[0], r1);
	code_for(&c[1], r2);
	code_for(&c[2], r1); /* the same resident twice */
	c[2].paper = 1;
	c[2].status = CRED_RED;
	c[2].issued_index = 9;
	is_int(store_begin(s), 0, "%s: begin", b);
	is_int(store_code_add_all(s, p, 3), 0, "%s: three rows, two residents: all added", b);
	is_int(store_commit(s), 0, "%s: commit", b);
	ok(stored(s, &c[0]) == 1 && stored(s, &c[1]) == 1 && stored(s, &c[2]) == 1,
	   "%s: each row as given", b);

	/* Refusals: nothing of the call added. */
	code_for(&c[0], r1);
	code_for(&c[1], gone);
	code_for(&c[2], r2);
	is_int(store_begin(s), 0, "%s: begin", b);
	is_int(store_code_add_all(s, p, 3), AK_ENOENT, "%s: one for an erased resident: AK_ENOENT",
	       b);
	code_for(&c[1], 1u << 30);
	is_int(store_code_add_all(s, p, 3), AK_ENOENT, "%s: one for an unknown resident: AK_ENOENT",
	       b);
	code_for(&c[1], r2);
	c[1].exp = c[1].iat;
	is_int(store_code_add_all(s, p, 3), AK_EINVAL, "%s: one malformed: AK_EINVAL", b);
	code_for(&c[1], r2);
	code_for(&c[3], r1);
	memcpy(c[3].cti, c[0].cti, sizeof c[3].cti); /* c[0] added just before */
	is_int(store_code_add(s, &c[0]), 0, "%s: a row added alone", b);
	rc = store_code_add_all(s, p + 1, 3);
	is_int(rc, AK_ECONFLICT, "%s: one with a cti already there: AK_ECONFLICT", b);
	is_int(store_code_add_all(s, p, 0), 0, "%s: none at all: nothing to do", b);
	code_for(&fresh, r2);
	is_int(store_code_add(s, &fresh), 0, "%s: the transaction goes on after the refusals", b);
	is_int(store_commit(s), 0, "%s: and commits", b);
	ok(stored(s, &c[0]) == 1 && stored(s, &fresh) == 1, "%s: what was added is there", b);
	ok(stored(s, &c[1]) == 0 && stored(s, &c[2]) == 0, "%s: nothing of the refused calls is",
	   b);
}

/* ------------------------------------------------------------- the writer */

enum kind {
	K_CODE,
	K_LEAF,
	K_ERASE,
	K_SHED /* a leaf alone that may be shed (AUDITLOG_SHED) */
};

struct gop {
	enum kind kind;
	struct leaf leaf;
	struct store_code code;
	uint64_t resident_id;
	int rc;
	uint64_t first;
	atomic_int done;
};

/* What the callbacks saw. */
static struct {
	int group_calls, group_ops, changes, order_ok;
} seen;

static int code_change(void *ctx, store *st, struct leaf *l, size_t n, uint64_t first)
{
	struct gop *o = ctx;
	(void)l;
	(void)n;
	seen.changes++;
	if (o->kind == K_ERASE)
		return store_resident_erase(st, o->resident_id, NOW);
	o->code.issued_index = first;
	return store_code_add(st, &o->code);
}

static int code_group(store *st, void *const *ctx, const uint64_t *first, size_t n)
{
	const struct store_code *rows[MAX_OPS];

	seen.group_calls++;
	seen.group_ops += (int)n;
	if (n > MAX_OPS)
		return AK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct gop *o = ctx[i];
		if (o->kind != K_CODE || (i > 0 && first[i] <= first[i - 1]))
			seen.order_ok = 0;
		o->code.issued_index = first[i];
		rows[i] = &o->code;
	}
	return store_code_add_all(st, rows, n);
}

static void op_done(void *arg, int rc, uint64_t first)
{
	struct gop *o = arg;

	o->rc = rc;
	o->first = first;
	atomic_store(&o->done, 1);
}

/* Submits ops[0..n) at once (one batch: max_batch is n, and the writer
 * waits for them) and waits until each is answered. */
static int run_ops(auditlog *a, struct gop *ops, size_t n)
{
	memset(&seen, 0, sizeof seen);
	seen.order_ok = 1;
	for (size_t i = 0; i < n; i++) {
		struct gop *o = &ops[i];
		test_verify_leaf(&o->leaf, 1);
		atomic_store(&o->done, 0);
		if (o->kind == K_CODE)
			code_for(&o->code, o->resident_id);
		if (auditlog_submit_async_group(
			a, &o->leaf, 1, o->kind == K_LEAF || o->kind == K_SHED ? NULL : code_change,
			o->kind == K_CODE ? code_group : NULL, o,
			o->kind == K_SHED ? AUDITLOG_SHED : 0, op_done, o) != 0)
			return -1;
	}
	for (int t = 0, tries = patience(1000); t < tries; t++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			k += (size_t)atomic_load(&ops[i].done);
		if (k == n)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* ops[i]'s leaf at base + at[i] (at[i] < 0: it failed). */
static int placed(const struct gop *ops, size_t n, uint64_t base, const int *at)
{
	for (size_t i = 0; i < n; i++) {
		if (at[i] < 0 ? ops[i].rc == 0
			      : ops[i].rc != 0 || ops[i].first != base + (uint64_t)at[i]) {
			diag("op %zu: rc %d, first %" PRIu64 ", expected %d after %" PRIu64, i,
			     ops[i].rc, ops[i].first, at[i], base);
			return 0;
		}
	}
	return 1;
}

static int rows_as_leaves(store *s, const struct gop *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct store_code want = ops[i].code;
		if (ops[i].kind != K_CODE)
			continue;
		want.issued_index = ops[i].first;
		if (stored(s, &want) != (ops[i].rc == 0 ? 1 : 0)) {
			diag("op %zu: its row is not as its answer says", i);
			return 0;
		}
	}
	return 1;
}

/* Leaves past the newest signed checkpoint after which operations that
 * may be shed are refused (auditlog_config's max_unsigned); 0: none. The
 * writer signs a checkpoint of the whole log when it opens, so that a
 * batch run by batch() begins with none unsigned. */
static uint64_t max_unsigned;

/* The writer (again) with max_batch n, waiting for the batch to fill. */
static int reopen(auditlog **a, const char *node, size_t n)
{
	struct auditlog_config cfg;
	const char *why = NULL;

	auditlog_close(*a);
	*a = NULL;
	auditlog_config_default(&cfg);
	cfg.scrub_leaves_per_s = 0;
	cfg.max_unsigned = max_unsigned;
	cfg.max_batch = n;
	cfg.max_wait_us = 2000000; /* a bound: the batch is full sooner */
	if (auditlog_open(a, node, log_key, &cfg, &why) == 0)
		return 0;
	diag("%s", why != NULL ? why : "(no reason)");
	return -1;
}

/* Sets ops[0..n) up as kinds k for residents who, runs them in one batch,
 * and sets *base to the index the batch began at (it wrote `wrote`
 * leaves). */
static int batch(auditlog **a, const char *node, struct gop *ops, size_t n, const enum kind *k,
		 const uint64_t *who, size_t wrote, uint64_t *base)
{
	merkle_hash root;
	uint64_t size;

	memset(ops, 0, n * sizeof *ops);
	for (size_t i = 0; i < n; i++) {
		ops[i].kind = k[i];
		ops[i].resident_id = who[i];
	}
	if (reopen(a, node, n) != 0 || run_ops(*a, ops, n) != 0)
		return -1;
	auditlog_head(*a, &size, root);
	*base = size - wrote;
	return 0;
}

static void test_writer(const char *b, const char *owner, const char *node, int pg)
{
	struct auditlog_stats st;
	struct gop ops[MAX_OPS];
	auditlog *a = NULL;
	store *s = NULL;
	uint64_t r1, r2, r3, base;

	if (!ok(store_open(&s, owner, STORE_CREATE) == 0, "%s: the store opens", b))
		return;
	r1 = resident(s);
	r2 = resident(s);
	r3 = resident(s);
	if (!ok(r1 != 0 && r2 != 0 && r3 != 0, "%s: three residents", b))
		goto out;

	/* Codes among leaves alone. */
	{
		const enum kind k[] = {K_CODE, K_CODE, K_LEAF, K_CODE,
				       K_CODE, K_LEAF, K_CODE, K_CODE};
		const uint64_t who[] = {r1, r2, 0, r3, r1, 0, r2, r3};
		const int at[] = {0, 1, 2, 3, 4, 5, 6, 7};
		if (!ok(batch(&a, node, ops, 8, k, who, 8, &base) == 0,
			"%s: eight operations, six of them codes, answered", b))
			goto out;
		ok(placed(ops, 8, base, at), "%s: each leaf in submission order", b);
		ok(rows_as_leaves(s, ops, 8), "%s: each code's row names its own leaf's index", b);
		if (pg) {
			ok(seen.group_calls == 1 && seen.group_ops == 6 && seen.changes == 0 &&
			       seen.order_ok,
			   "%s: one group call for the six codes, in log order; no change alone "
			   "(%d calls, %d codes, %d changes)",
			   b, seen.group_calls, seen.group_ops, seen.changes);
			auditlog_stats(a, &st);
			ok(st.grouped_ops == 6 && st.group_fallbacks == 0,
			   "%s: the writer counts 6 grouped, no fallback", b);
		} else {
			ok(seen.group_calls == 0 && seen.changes == 6,
			   "%s: never the group; six changes alone (%d, %d)", b, seen.group_calls,
			   seen.changes);
		}
	}
	if (!pg)
		goto out;

	/* A resident erased before the batch: the group falls back. */
	{
		const enum kind k[] = {K_CODE, K_CODE, K_LEAF, K_CODE};
		const uint64_t who[] = {r1, r3, 0, r2};
		const int at[] = {0, -1, 1, 2};
		ok(erase(s, r3) == 0, "%s: one resident erased", b);
		if (!ok(batch(&a, node, ops, 4, k, who, 3, &base) == 0,
			"%s: a batch with a code for the erased resident, answered", b))
			goto out;
		ok(seen.group_calls == 1 && seen.changes == 3,
		   "%s: the group tried once, then each code alone (%d, %d)", b, seen.group_calls,
		   seen.changes);
		is_int(ops[1].rc, AK_ENOENT, "%s: the erased resident's code fails alone", b);
		ok(placed(ops, 4, base, at), "%s: the others' leaves close up behind it", b);
		ok(rows_as_leaves(s, ops, 4), "%s: their rows name their leaves; it has none", b);
		auditlog_stats(a, &st);
		ok(st.group_fallbacks == 1 && st.grouped_ops == 0,
		   "%s: the writer counts one fallback", b);
	}

	/* An erasure between codes: the group before it is done first; after
	 * it, the erased resident's code is refused. */
	{
		const enum kind k[] = {K_CODE, K_ERASE, K_CODE, K_CODE};
		const uint64_t who[] = {r1, r1, r1, r2};
		const int at[] = {0, 1, -1, 2};
		if (!ok(batch(&a, node, ops, 4, k, who, 3, &base) == 0,
			"%s: code, erasure, code, code: answered", b))
			goto out;
		ok(seen.group_calls == 2 && seen.changes == 3,
		   "%s: the first code's group ran before the erasure, the rest fell back (%d, %d)",
		   b, seen.group_calls, seen.changes);
		is_int(ops[2].rc, AK_ENOENT, "%s: the code after the erasure is refused", b);
		ok(placed(ops, 4, base, at), "%s: every other operation committed in order", b);
		ok(stored(s, &ops[2].code) == 0 && rows_as_leaves(s, ops + 3, 1),
		   "%s: no row for the refused code; the other resident's names its leaf", b);
	}

	/* Room for one unsigned leaf (r1 and r3 are erased, r2 is not). A
	 * leaf that may be shed, after a
	 * grouped code in the same window: shed while the code's leaf takes
	 * the room; when the group falls back and the code fails alone, its
	 * room is free again, and the shed leaf is weighed again and
	 * recorded. */
	max_unsigned = 1;
	{
		const enum kind k[] = {K_CODE, K_SHED};
		const uint64_t who[] = {r3, 0};
		const int at[] = {-1, 0};
		if (!ok(batch(&a, node, ops, 2, k, who, 1, &base) == 0,
			"%s: one unsigned leaf allowed: the erased resident's code, then a leaf "
			"that may be shed, answered",
			b))
			goto out;
		ok(ops[0].rc == AK_ENOENT && ops[1].rc == 0,
		   "%s: the code fails alone; the leaf, weighed again, is recorded (%d, %d)", b,
		   ops[0].rc, ops[1].rc);
		ok(placed(ops, 2, base, at), "%s: in the room the code left", b);
	}
	{
		const enum kind k[] = {K_CODE, K_SHED};
		const uint64_t who[] = {r2, 0};
		const int at[] = {0, -1};
		if (!ok(batch(&a, node, ops, 2, k, who, 1, &base) == 0,
			"%s: a live resident's code, then a leaf that may be shed, answered", b))
			goto out;
		is_int(ops[1].rc, AK_EOVERLOAD, "%s: the group holds: the leaf stays shed", b);
		ok(placed(ops, 2, base, at) && rows_as_leaves(s, ops, 1),
		   "%s: the code's leaf and row are there", b);
	}
	{
		const enum kind k[] = {K_CODE, K_CODE, K_SHED};
		const uint64_t who[] = {r2, r3, 0};
		const int at[] = {0, -1, -1};
		if (!ok(batch(&a, node, ops, 3, k, who, 1, &base) == 0,
			"%s: two codes, the second the erased resident's, then a leaf that may be "
			"shed, answered",
			b))
			goto out;
		ok(ops[1].rc == AK_ENOENT && ops[2].rc == AK_EOVERLOAD,
		   "%s: the group falls back, the first code takes the room alone, the leaf is "
		   "shed again (%d, %d)",
		   b, ops[1].rc, ops[2].rc);
		ok(placed(ops, 3, base, at) && rows_as_leaves(s, ops, 2),
		   "%s: the first code's leaf and row, nothing else", b);
		auditlog_stats(a, &st);
		ok(st.group_fallbacks == 1 && st.shed_unsigned == 1,
		   "%s: the writer counts one fallback and one leaf shed (%" PRIu64 ", %" PRIu64
		   ")",
		   b, st.group_fallbacks, st.shed_unsigned);
	}
	max_unsigned = 0;
out:
	auditlog_close(a);
	store_close(s);
}

int main(void)
{
	char path[256], owner[512], node[512];
	store *s = NULL;

	if (sodium_init() < 0 || key_signer_generate(&log_key, "ankang.test/log") != 0 ||
	    mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(path, sizeof path, "%s/people.db", dir);
	if (store_open(&s, path, STORE_CREATE) != 0)
		bail_out("SQLite store");
	test_add_all(s, "SQLite");
	store_close(s);
	snprintf(path, sizeof path, "%s/log.db", dir);
	test_writer("SQLite", path, path, 0);

	sock = getenv("ANKANG_PG_SOCK");
	if (sock == NULL || sock[0] == '\0') {
		diag("no PostgreSQL cluster: SQLite alone (tests/sh/auditlog_group.sh runs both)");
	} else {
		url(owner, sizeof owner, "ankang_group", "ankang_owner");
		url(node, sizeof node, "ankang_group", "ankang_node");
		/* The owner makes the schema; the service's role uses it. */
		if (store_open(&s, owner, STORE_CREATE) != 0)
			bail_out("PostgreSQL store (owner)");
		store_close(s);
		if (store_open(&s, node, 0) != 0)
			bail_out("PostgreSQL store (service)");
		test_add_all(s, "PostgreSQL");
		store_close(s);
		url(owner, sizeof owner, "ankang_group_log", "ankang_owner");
		url(node, sizeof node, "ankang_group_log", "ankang_node");
		test_writer("PostgreSQL", owner, node, 1);
	}
	key_signer_free(log_key);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
