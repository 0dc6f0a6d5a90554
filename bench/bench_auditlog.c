/*
 * bench_auditlog: the audit writer against the machine's own SQLite limit,
 * and inclusion proofs at a million leaves (issue 3's targets: ratio >= 0.5,
 * >= 100k durable leaves/s, a proof in <= 1 ms).
 *
 * 1. Writer: 64 threads each submit one-leaf operations (a verifier's
 *    `verify`, random subject and object, as the service writes them) and
 *    wait for each to be durable, for BENCH_SECONDS. Leaves per second.
 * 2. Bare SQLite, same run, same disk, same rows: every row the writer
 *    stored (the leaf rows with their columns and the node rows, read back
 *    from its database) is inserted into a fresh database with the same
 *    schema, pragmas and synchronous=FULL, with plain prepared INSERTs, one
 *    transaction per batch of the writer's mean batch size. So the ratio is
 *    what group commit, threads, hashing, savepoints and signing cost on
 *    top of storing exactly the same rows. For context it also inserts the
 *    leaf bytes alone into a two-column table (idx, leaf) with no index, no
 *    trigger and no node rows: the floor of "bare rows" on this disk.
 * 3. Proofs: a log of BENCH_PROOF_LEAVES leaves (default 10^6), built
 *    through the writer by one submitter sending operations of 1000 leaves
 *    (the ordinary code path, only fewer wake-ups), then random inclusion
 *    proofs for the full size through a separate reader connection, each
 *    checked against the root.
 *
 * Parts 1 and 2 alternate for BENCH_ROUNDS rounds, and the medians are
 * reported, so that a change in what else the machine is doing falls on
 * both sides of each ratio.
 *
 * Settings (environment): BENCH_DIR (default /var/tmp: a disk, not tmpfs),
 * BENCH_ROUNDS (3), BENCH_SECONDS (2 per round), BENCH_THREADS (64),
 * BENCH_BATCH (max_batch, 256), BENCH_WAIT_US (max_wait_us, 200),
 * BENCH_PROOF_LEAVES (1000000, 0 skips), BENCH_PROOFS (2000).
 *
 * Prints no personal data: leaves carry random pseudonyms only.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/key_secret.h"
#include "service/auditlog.h"
#include "service/store.h"

static unsigned env_u(const char *name, unsigned def)
{
	const char *v = getenv(name);
	uint64_t x;

	if (v == NULL || util_parse_u64(v, strlen(v), &x) != 0 || x > 100000000u)
		return def;
	return (unsigned)x;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_auditlog: %s: %s\n", what, ak_strerror(rc));
	exit(2);
}

/* splitmix64: random-looking pseudonyms without a system call per leaf, so
 * that the submitters measure the writer and not the kernel's RNG. */
static uint64_t mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void random_leaf(struct leaf *l, uint64_t actor, uint64_t *rng)
{
	uint64_t r[4] = {mix(rng), mix(rng), mix(rng), mix(rng)};

	memset(l, 0, sizeof *l);
	l->role = ROLE_VERIFIER;
	l->actor_id = actor;
	l->action = ACT_VERIFY;
	l->has_subject = 1;
	memcpy(l->subject, r, sizeof l->subject);
	l->has_object = 1;
	memcpy(l->object, r + 2, sizeof l->object);
	l->result = RES_VALID;
	l->detail = DET_GREEN;
}

static void remove_db(const char *path)
{
	char p[4200];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static int new_db(const char *path)
{
	store *s = NULL;
	int rc;

	remove_db(path);
	if ((rc = store_open(&s, path, STORE_CREATE)) != 0)
		return rc;
	store_close(s);
	return 0;
}

/* ------------------------------------------------------------- 1. writer */

struct submitter {
	auditlog *log;
	uint64_t id, stop_ns, count;
	int rc;
};

static void *submit_loop(void *arg)
{
	struct submitter *s = arg;
	struct leaf l;
	uint64_t rng = randombytes_random();

	while (util_mono_ns() < s->stop_ns) {
		random_leaf(&l, s->id, &rng);
		if ((s->rc = auditlog_submit(s->log, &l, 1, NULL, NULL, NULL)) != 0)
			break;
		s->count++;
	}
	return NULL;
}

/* ------------------------------------------------------------ 2. bare */

struct rows {
	sqlite3_stmt *leaf_ins, *node_ins;
	uint64_t leaves, nodes;
};

/* The writer's rows, read back in index order with every column. */
static int load_rows(const char *path, sqlite3 **db, sqlite3_stmt **leaves, sqlite3_stmt **nodes)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(*db,
			       "SELECT idx, leaf, time_ms, role, actor_id, action, subject,"
			       " object, result, detail FROM log_leaves ORDER BY idx",
			       -1, leaves, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(*db, "SELECT pos, level, idx, hash FROM log_nodes ORDER BY pos", -1,
			       nodes, NULL) != SQLITE_OK)
		return AK_EDB;
	return 0;
}

/*
 * Inserts the same rows as the writer stored into the fresh database at
 * dst, batch leaves (and the nodes completed by them) per transaction.
 * Returns rows per second counted as leaves, like the writer.
 */
static double bare_same_rows(const char *src, const char *dst, unsigned batch, uint64_t *n)
{
	sqlite3 *in = NULL, *out = NULL;
	sqlite3_stmt *ls = NULL, *ns = NULL, *li = NULL, *ni = NULL;
	uint64_t t0, t1, done = 0;
	int rc, have_node;
	/* Materialise all rows first so that reading is not timed. */
	struct row {
		sqlite3_value *v[10];
	};
	struct row *lr = NULL, *nr = NULL;
	size_t nl = 0, nn = 0, capl = 0, capn = 0;

	if ((rc = load_rows(src, &in, &ls, &ns)) != 0)
		die("reading the writer's rows", rc);
	while (sqlite3_step(ls) == SQLITE_ROW) {
		if (nl == capl &&
		    (lr = realloc(lr, (capl = capl ? 2 * capl : 1024) * sizeof *lr)) == NULL)
			die("memory", AK_ENOMEM);
		for (int i = 0; i < 10; i++)
			lr[nl].v[i] = sqlite3_value_dup(sqlite3_column_value(ls, i));
		nl++;
	}
	while (sqlite3_step(ns) == SQLITE_ROW) {
		if (nn == capn &&
		    (nr = realloc(nr, (capn = capn ? 2 * capn : 1024) * sizeof *nr)) == NULL)
			die("memory", AK_ENOMEM);
		for (int i = 0; i < 4; i++)
			nr[nn].v[i] = sqlite3_value_dup(sqlite3_column_value(ns, i));
		nn++;
	}
	sqlite3_finalize(ls);
	sqlite3_finalize(ns);
	sqlite3_close(in);

	if ((rc = new_db(dst)) != 0)
		die("creating the bare database", rc);
	/* The same schema as the service's (store_open made it) and the same
	 * pragmas, on a plain connection. */
	if (sqlite3_open_v2(dst, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK ||
	    sqlite3_exec(out,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 " PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 4000;"
			 " PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(out,
			       "INSERT INTO log_leaves (idx, leaf, time_ms, role, actor_id, action,"
			       " subject, object, result, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
			       -1, &li, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(out,
			       "INSERT INTO log_nodes (pos, level, idx, hash) VALUES (?,?,?,?)", -1,
			       &ni, NULL) != SQLITE_OK)
		die("preparing the bare inserts", AK_EDB);

	t0 = util_mono_ns();
	size_t j = 0;
	for (size_t i = 0; i < nl;) {
		size_t end = i + batch < nl ? i + batch : nl;
		sqlite3_exec(out, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (; i < end; i++) {
			for (int c = 0; c < 10; c++)
				sqlite3_bind_value(li, c + 1, lr[i].v[c]);
			if (sqlite3_step(li) != SQLITE_DONE)
				die("bare leaf insert", AK_EDB);
			sqlite3_reset(li);
			/* the nodes completed by this leaf: pos >> 6 is their last leaf */
			have_node = 1;
			while (have_node && j < nn) {
				if ((uint64_t)sqlite3_value_int64(nr[j].v[0]) >> 6 != (uint64_t)i) {
					have_node = 0;
					break;
				}
				for (int c = 0; c < 4; c++)
					sqlite3_bind_value(ni, c + 1, nr[j].v[c]);
				if (sqlite3_step(ni) != SQLITE_DONE)
					die("bare node insert", AK_EDB);
				sqlite3_reset(ni);
				j++;
			}
		}
		if (sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("bare commit", AK_EDB);
		done = end;
	}
	t1 = util_mono_ns();
	sqlite3_finalize(li);
	sqlite3_finalize(ni);
	sqlite3_close(out);
	for (size_t i = 0; i < nl; i++)
		for (int c = 0; c < 10; c++)
			sqlite3_value_free(lr[i].v[c]);
	for (size_t i = 0; i < nn; i++)
		for (int c = 0; c < 4; c++)
			sqlite3_value_free(nr[i].v[c]);
	free(lr);
	free(nr);
	*n = done;
	return (double)done / ((double)(t1 - t0) / 1e9);
}

/* The leaf bytes alone into (idx, leaf): no index, trigger or node. */
static double bare_leaf_bytes(const char *src, const char *dst, unsigned batch, uint64_t *n)
{
	sqlite3 *in = NULL, *out = NULL;
	sqlite3_stmt *ls = NULL, *ns = NULL, *ins = NULL;
	char **bytes = NULL;
	int *lens = NULL;
	size_t nl = 0, cap = 0;
	uint64_t t0, t1;
	int rc;

	if ((rc = load_rows(src, &in, &ls, &ns)) != 0)
		die("reading the writer's rows", rc);
	while (sqlite3_step(ls) == SQLITE_ROW) {
		if (nl == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((bytes = realloc(bytes, cap * sizeof *bytes)) == NULL ||
			    (lens = realloc(lens, cap * sizeof *lens)) == NULL)
				die("memory", AK_ENOMEM);
		}
		lens[nl] = sqlite3_column_bytes(ls, 1);
		if ((bytes[nl] = malloc((size_t)lens[nl])) == NULL)
			die("memory", AK_ENOMEM);
		memcpy(bytes[nl], sqlite3_column_blob(ls, 1), (size_t)lens[nl]);
		nl++;
	}
	sqlite3_finalize(ls);
	sqlite3_finalize(ns);
	sqlite3_close(in);

	remove_db(dst);
	if (sqlite3_open_v2(dst, &out,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(out,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 " CREATE TABLE t (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL) STRICT",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(out, "INSERT INTO t (idx, leaf) VALUES (?, ?)", -1, &ins, NULL) !=
		SQLITE_OK)
		die("preparing the bare table", AK_EDB);
	t0 = util_mono_ns();
	for (size_t i = 0; i < nl;) {
		size_t end = i + batch < nl ? i + batch : nl;
		sqlite3_exec(out, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (; i < end; i++) {
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)i);
			sqlite3_bind_blob(ins, 2, bytes[i], lens[i], SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("bare insert", AK_EDB);
			sqlite3_reset(ins);
		}
		if (sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("bare commit", AK_EDB);
	}
	t1 = util_mono_ns();
	sqlite3_finalize(ins);
	sqlite3_close(out);
	for (size_t i = 0; i < nl; i++)
		free(bytes[i]);
	free(bytes);
	free(lens);
	*n = nl;
	return (double)nl / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------ 3. proofs */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench_proofs(const char *path, const key_signer *key, unsigned leaves, unsigned k)
{
	struct auditlog_config cfg;
	auditlog *log = NULL;
	store *rd = NULL;
	const char *why = NULL;
	struct leaf *ls;
	merkle_hash root, proof[MERKLE_MAX_PROOF], lh;
	uint64_t size, t0, t1, *times;
	const unsigned per_op = 1000;
	uint64_t rng = 1;
	size_t n;
	int rc;

	if ((rc = new_db(path)) != 0)
		die("creating the proof database", rc);
	auditlog_config_default(&cfg);
	if ((rc = auditlog_open(&log, path, key, &cfg, &why)) != 0)
		die(why ? why : "opening the proof log", rc);
	if ((ls = calloc(per_op, sizeof *ls)) == NULL || (times = calloc(k, sizeof *times)) == NULL)
		die("memory", AK_ENOMEM);
	t0 = util_mono_ns();
	for (unsigned done = 0; done < leaves;) {
		unsigned m = leaves - done < per_op ? leaves - done : per_op;
		for (unsigned i = 0; i < m; i++)
			random_leaf(&ls[i], i % 50, &rng);
		if ((rc = auditlog_submit(log, ls, m, NULL, NULL, NULL)) != 0)
			die("building the proof log", rc);
		done += m;
	}
	t1 = util_mono_ns();
	auditlog_head(log, &size, root);
	auditlog_close(log);
	printf("  built a %" PRIu64 "-leaf log through the writer (ops of %u leaves) in %.1f s"
	       " (%.0f leaves/s)\n",
	       size, per_op, (double)(t1 - t0) / 1e9, (double)size / ((double)(t1 - t0) / 1e9));

	if ((rc = store_open(&rd, path, STORE_READONLY)) != 0)
		die("opening a reader", rc);
	for (unsigned i = 0; i < k; i++) {
		uint64_t idx = randombytes_uniform((uint32_t)size);
		char *leaf = NULL;
		size_t len;

		t0 = util_mono_ns();
		rc = auditlog_prove_inclusion(rd, idx, size, proof, &n);
		t1 = util_mono_ns();
		if (rc != 0)
			die("inclusion proof", rc);
		times[i] = t1 - t0;
		if ((rc = store_log_get_leaf(rd, idx, &leaf, &len)) != 0)
			die("reading a leaf", rc);
		merkle_leaf_hash(lh, (const uint8_t *)leaf, len);
		free(leaf);
		if (merkle_verify_inclusion(lh, idx, size, proof, n, root) != 0)
			die("a proof did not verify", AK_ECRYPTO);
	}
	qsort(times, k, sizeof *times, cmp_u64);
	{
		double sum = 0;
		for (unsigned i = 0; i < k; i++)
			sum += (double)times[i];
		printf("inclusion proof at %" PRIu64 " leaves: mean %.1f us, median %.1f us,"
		       " p99 %.1f us, max %.1f us (%zu hashes; target <= 1000 us)\n",
		       size, sum / k / 1e3, (double)times[k / 2] / 1e3,
		       (double)times[k * 99 / 100] / 1e3, (double)times[k - 1] / 1e3, n);
	}
	t0 = util_mono_ns();
	for (unsigned i = 0; i < k; i++) {
		uint64_t old = 1 + randombytes_uniform((uint32_t)size - 1);
		if ((rc = auditlog_prove_consistency(rd, old, size, proof, &n)) != 0)
			die("consistency proof", rc);
	}
	t1 = util_mono_ns();
	printf("consistency proof to %" PRIu64 " leaves: mean %.1f us\n", size,
	       (double)(t1 - t0) / k / 1e3);
	store_close(rd);
	free(ls);
	free(times);
}

static double median(double *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round of part 1: returns leaves per second, and the mean batch. */
static double run_writer(const char *db, const key_signer *key, const struct auditlog_config *cfg,
			 unsigned nthreads, unsigned seconds, unsigned *mean_batch)
{
	struct auditlog_stats st;
	struct submitter *subs;
	auditlog *log = NULL;
	const char *why = NULL;
	pthread_t *th;
	uint64_t t0, t1, total = 0;
	double rate;
	int rc;

	if ((rc = new_db(db)) != 0)
		die("creating the database", rc);
	if ((rc = auditlog_open(&log, db, key, cfg, &why)) != 0)
		die(why ? why : "opening the log", rc);
	if ((subs = calloc(nthreads, sizeof *subs)) == NULL ||
	    (th = calloc(nthreads, sizeof *th)) == NULL)
		die("memory", AK_ENOMEM);
	t0 = util_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		subs[i].log = log;
		subs[i].id = i + 1;
		subs[i].stop_ns = t0 + (uint64_t)seconds * 1000000000u;
		if (pthread_create(&th[i], NULL, submit_loop, &subs[i]) != 0)
			die("threads", AK_ENOMEM);
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		if (subs[i].rc != 0)
			die("submit", subs[i].rc);
		total += subs[i].count;
	}
	t1 = util_mono_ns();
	auditlog_stats(log, &st);
	auditlog_close(log);
	free(subs);
	free(th);
	rate = (double)total / ((double)(t1 - t0) / 1e9);
	*mean_batch = st.batches ? (unsigned)((st.ops + st.batches / 2) / st.batches) : 1;
	printf("  writer: %" PRIu64 " durable leaves in %.2f s = %.0f leaves/s; %" PRIu64
	       " batches (mean %u ops), COMMIT mean %.0f us, max %.0f us; %" PRIu64
	       " checkpoints\n",
	       total, (double)(t1 - t0) / 1e9, rate, st.batches, *mean_batch,
	       st.batches ? (double)st.commit_ns_total / st.batches / 1e3 : 0.0,
	       (double)st.commit_ns_max / 1e3, st.checkpoints);
	printf("    batch sizes:");
	for (int i = 0; i < 8; i++)
		printf(" %s%u:%" PRIu64, i == 7 ? ">=" : "", 1u << i, st.batch_hist[i]);
	printf("\n");
	return rate;
}

#define MAX_ROUNDS 10

int main(void)
{
	const char *dir_env = getenv("BENCH_DIR");
	unsigned seconds = env_u("BENCH_SECONDS", 2), nthreads = env_u("BENCH_THREADS", 64);
	unsigned rounds = env_u("BENCH_ROUNDS", 3);
	unsigned proof_leaves = env_u("BENCH_PROOF_LEAVES", 1000000);
	unsigned nproofs = env_u("BENCH_PROOFS", 2000);
	struct auditlog_config cfg;
	char dir[4096], db[4200], bare[4200], proofdb[4200];
	uint8_t seed[KEY_SEED_BYTES] = {0};
	key_signer *key = NULL;
	double w[MAX_ROUNDS], b[MAX_ROUNDS], y[MAX_ROUNDS], rb[MAX_ROUNDS], ry[MAX_ROUNDS];
	uint64_t nb;
	int rc;

	if (sodium_init() < 0)
		die("libsodium", AK_ECRYPTO);
	if (rounds == 0 || rounds > MAX_ROUNDS)
		rounds = 3;
	if (nthreads == 0 || nthreads > 1024)
		nthreads = 64;
	snprintf(dir, sizeof dir, "%s/bench-auditlog.XXXXXX", dir_env ? dir_env : "/var/tmp");
	if (mkdtemp(dir) == NULL)
		die("making the bench folder", AK_EIO);
	snprintf(db, sizeof db, "%s/writer.db", dir);
	snprintf(bare, sizeof bare, "%s/bare.db", dir);
	snprintf(proofdb, sizeof proofdb, "%s/proof.db", dir);
	if ((rc = key_signer_from_seed(&key, "bench.example/audit", seed)) != 0)
		die("log key", rc);

	auditlog_config_default(&cfg);
	cfg.max_batch = env_u("BENCH_BATCH", (unsigned)cfg.max_batch);
	cfg.max_wait_us = env_u("BENCH_WAIT_US", cfg.max_wait_us);
	printf("bench_auditlog: %s, %u submitters, %u rounds of %u s, max_batch %zu,"
	       " max_wait_us %u, %ld CPUs\n",
	       dir, nthreads, rounds, seconds, cfg.max_batch, cfg.max_wait_us,
	       sysconf(_SC_NPROCESSORS_ONLN));

	/* 1 and 2, in alternation, so that a change in the machine's load
	 * falls on both sides of each ratio. */
	for (unsigned r = 0; r < rounds; r++) {
		unsigned mean_batch;

		printf("round %u\n", r + 1);
		w[r] = run_writer(db, key, &cfg, nthreads, seconds, &mean_batch);
		b[r] = bare_same_rows(db, bare, mean_batch, &nb);
		printf(
		    "  bare SQLite, the same rows (leaves, nodes, same schema), %u a transaction:"
		    " %.0f leaves/s\n",
		    mean_batch, b[r]);
		y[r] = bare_leaf_bytes(db, bare, mean_batch, &nb);
		printf("  bare SQLite, the leaf bytes alone (idx, leaf), %u a transaction:"
		       " %.0f rows/s\n",
		       mean_batch, y[r]);
		rb[r] = w[r] / b[r];
		ry[r] = w[r] / y[r];
		remove_db(db);
		remove_db(bare);
	}
	printf("RATE audit writer: %.0f durable leaves/s, median of %u (target >= 100000)\n",
	       median(w, rounds), rounds);
	printf("RATIO audit writer / bare SQLite, same rows: %.2f, median of %u (target >= 0.5)\n",
	       median(rb, rounds), rounds);
	printf("RATIO audit writer / bare SQLite, leaf bytes alone: %.2f, median of %u\n",
	       median(ry, rounds), rounds);

	/* 3. proofs */
	if (proof_leaves >= 2 && nproofs > 0)
		bench_proofs(proofdb, key, proof_leaves, nproofs);
	remove_db(proofdb);
	rmdir(dir);
	key_signer_free(key);
	return 0;
}
