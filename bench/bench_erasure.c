/*
 * bench_erasure: what an erasure's wipe (log/auditlog.h, AUDITLOG_WIPE)
 * and a KEK epoch rotation (service/rewrap.h) cost the audit writer and
 * everyone who waits on it (issue 8, finding 1).
 *
 * A data folder with BENCH_RESIDENTS residents (sealed as the service
 * seals them), and BENCH_THREADS threads submitting one-leaf operations
 * as fast as the writer takes them, each waiting for its own; for
 * BENCH_SECONDS each:
 *
 * 1. the load alone: operations a second, and their submit-to-answer
 *    latency (median, p99, max);
 * 2. the same load with one erasure (AUDITLOG_WIPE) every
 *    BENCH_ERASE_MS: each erasure's own latency, the WAL's length before
 *    it, the wipe's time (the writer's stats), and what the load's
 *    operations saw meanwhile (rate, p99, max);
 * 3. the same load during a whole rotation of every resident's key
 *    (rewrap_rotate, REWRAP_CHUNK keys an operation): its time, its time
 *    a chunk, and the load's rate, p99 and max meanwhile.
 *
 * Settings (environment): BENCH_DIR (default /var/tmp: a disk, not tmpfs),
 * BENCH_RESIDENTS (20000), BENCH_THREADS (16), BENCH_SECONDS (5),
 * BENCH_ERASE_MS (500), BENCH_WIPE (1; 0: the same erasures without
 * AUDITLOG_WIPE, for the comparison), BENCH_TIMELINE (0; 1: part 2 prints
 * the load's rate every 250 ms, its first erasure a second in).
 *
 * Prints no personal data: residents are made up, and only counts and
 * times are printed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "log/auditlog.h"
#include "service/datadir.h"
#include "service/record.h"
#include "service/rewrap.h"
#include "service/store_people.h"

#define MAX_SAMPLES (1u << 20)

static auditlog *log_;
static struct record_keys keys;
static char db[4200];

static unsigned env_u(const char *name, unsigned def)
{
	const char *v = getenv(name);
	uint64_t n;

	if (v == NULL || util_parse_u64(v, strlen(v), &n) != 0 || n > 100000000u)
		return def;
	return (unsigned)n;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_erasure: %s: %s\n", what, ak_strerror(rc));
	exit(1);
}

static void leaf_for(struct leaf *l, enum leaf_action a)
{
	leaf_init(l, ROLE_SYSTEM, LEAF_NO_ID, a);
	l->result = RES_OK;
	l->detail = DET_EMPTY;
}

/* ------------------------------------------------------------ residents */

struct enrol_many {
	unsigned from, n;
	uint64_t *ids;
};

static int enrol_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	static const char hash[] = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
				   "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
	struct enrol_many *e = ctx;
	uint8_t handle[STORE_HANDLE_BYTES];
	int rc;
	(void)l;
	(void)n;

	for (unsigned i = 0; i < e->n; i++) {
		struct record_view v;
		memset(&v, 0, sizeof v);
		snprintf(v.name, sizeof v.name, "Bench Resident");
		/* Unique 18-character numbers: only the blind index sees them. */
		snprintf(v.id_number, sizeof v.id_number, "9%017u", e->from + i);
		snprintf(v.phone, sizeof v.phone, "13900000000");
		if ((rc = record_create(&keys, w, &v, hash, util_now(), first, &e->ids[e->from + i],
					handle)) != 0)
			return rc;
	}
	return 0;
}

static uint64_t *enrol_all(unsigned n)
{
	uint64_t *ids = calloc(n, sizeof *ids);
	struct leaf l;
	int rc;

	if (ids == NULL)
		die("memory", AK_ENOMEM);
	for (unsigned from = 0; from < n; from += 1000) {
		struct enrol_many e = {from, n - from < 1000 ? n - from : 1000, ids};
		leaf_for(&l, ACT_ENROLL);
		if ((rc = auditlog_submit(log_, &l, 1, enrol_change, &e, NULL)) != 0)
			die("enrolling", rc);
	}
	return ids;
}

/* ----------------------------------------------------------------- load */

struct load {
	atomic_int stop;
	atomic_uint_fast64_t ops;
	pthread_mutex_t mu;
	uint64_t *lat; /* ns, every operation's */
	size_t n;
};

static void *load_thread(void *arg)
{
	struct load *ld = arg;
	struct leaf l;

	while (!atomic_load(&ld->stop)) {
		uint64_t t0 = util_mono_ns(), t1;
		leaf_for(&l, ACT_VERIFY);
		if (auditlog_submit(log_, &l, 1, NULL, NULL, NULL) != 0)
			die("load", AK_EDB);
		t1 = util_mono_ns();
		atomic_fetch_add(&ld->ops, 1);
		pthread_mutex_lock(&ld->mu);
		if (ld->n < MAX_SAMPLES)
			ld->lat[ld->n++] = t1 - t0;
		pthread_mutex_unlock(&ld->mu);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double pct(uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	return ms(v[(size_t)((double)(n - 1) * p)]);
}

static void report(const char *what, struct load *ld, uint64_t ns)
{
	qsort(ld->lat, ld->n, sizeof *ld->lat, cmp_u64);
	printf("%-34s %8.0f ops/s   latency median %6.2f ms  p99 %7.2f ms  max %7.2f ms\n", what,
	       (double)atomic_load(&ld->ops) / ((double)ns / 1e9), pct(ld->lat, ld->n, 0.5),
	       pct(ld->lat, ld->n, 0.99), pct(ld->lat, ld->n, 1.0));
}

static void start_load(struct load *ld, pthread_t *t, unsigned nthreads)
{
	atomic_store(&ld->stop, 0);
	atomic_store(&ld->ops, 0);
	ld->n = 0;
	for (unsigned i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, load_thread, ld) != 0)
			die("threads", AK_ENOMEM);
}

static void stop_load(struct load *ld, pthread_t *t, unsigned nthreads)
{
	atomic_store(&ld->stop, 1);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

/* -------------------------------------------------------------- erasure */

struct erase {
	uint64_t id;
};

static int erase_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct erase *e = ctx;
	(void)l;
	(void)n;
	(void)first;
	return store_resident_erase(w, e->id, util_now());
}

static long long wal_bytes(void)
{
	char path[4300];
	struct stat st;

	snprintf(path, sizeof path, "%s-wal", db);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(void)
{
	const char *dir_env = getenv("BENCH_DIR");
	unsigned nres = env_u("BENCH_RESIDENTS", 20000), nthreads = env_u("BENCH_THREADS", 16);
	unsigned seconds = env_u("BENCH_SECONDS", 5), erase_ms = env_u("BENCH_ERASE_MS", 500);
	unsigned wipe = env_u("BENCH_WIPE", 1) ? AUDITLOG_WIPE : 0;
	unsigned timeline = env_u("BENCH_TIMELINE", 0);
	uint64_t next_tick = 0, last_tick = 0, last_ops = 0;
	char dir[4096], data[4150], cmd[4200];
	struct datadir *dd = NULL;
	seal_kek *kek = NULL;
	const char *why = NULL;
	struct load ld;
	pthread_t *t;
	uint64_t *ids, t0, t1, next_erase = 0, e_lat[4096], wal_before[4096];
	size_t n_erase = 0;
	struct auditlog_stats st0, st1;
	int rc;

	if (sodium_init() < 0)
		die("libsodium", AK_ECRYPTO);
	if (nthreads == 0 || nthreads > 256)
		nthreads = 16;
	if (nres < 10)
		nres = 10;
	snprintf(dir, sizeof dir, "%s/bench-erasure.XXXXXX", dir_env ? dir_env : "/var/tmp");
	if (mkdtemp(dir) == NULL)
		die(dir, AK_EIO);
	snprintf(data, sizeof data, "%s/d", dir);
	if ((rc = datadir_create(data, "bench.test", NULL, NULL)) != 0 ||
	    (rc = datadir_open(&dd, data, DATADIR_LOG, NULL, NULL, 0)) != 0 ||
	    (rc = seal_kek_load(&kek, dd->kek_path)) != 0 ||
	    (rc = epoch_open(&keys.epochs, dd->epochs_path, kek)) != 0 ||
	    (rc = datadir_file(dd, db, sizeof db, DATADIR_DB)) != 0 ||
	    (rc = auditlog_open(&log_, db, dd->log, NULL, &why)) != 0)
		die("data folder", rc);
	keys.kek = kek;
	if ((t = calloc(nthreads, sizeof *t)) == NULL ||
	    (ld.lat = malloc(MAX_SAMPLES * sizeof *ld.lat)) == NULL)
		die("memory", AK_ENOMEM);
	pthread_mutex_init(&ld.mu, NULL);
	{
		double load[3] = {0, 0, 0};
		getloadavg(load, 3);
		printf("# bench_erasure: %u residents, %u threads of one-leaf operations, %u s a "
		       "part, load average %.2f %.2f %.2f\n",
		       nres, nthreads, seconds, load[0], load[1], load[2]);
	}
	t0 = util_mono_ns();
	ids = enrol_all(nres);
	printf("%-34s %8.2f s\n", "enrolling (sealed as the service)", (util_mono_ns() - t0) / 1e9);

	/* 1. The load alone. */
	start_load(&ld, t, nthreads);
	t0 = util_mono_ns();
	sleep(seconds);
	t1 = util_mono_ns();
	stop_load(&ld, t, nthreads);
	report("1. load alone", &ld, t1 - t0);

	/* 2. The load, with an erasure every erase_ms. */
	auditlog_stats(log_, &st0);
	start_load(&ld, t, nthreads);
	t0 = util_mono_ns();
	next_erase = t0 + (timeline ? 1000000000u : 0);
	last_tick = next_tick = t0;
	while ((t1 = util_mono_ns()) - t0 < (uint64_t)seconds * 1000000000u) {
		struct erase e;
		struct leaf l;
		uint64_t a, b;
		if (timeline && t1 >= next_tick) {
			uint64_t now_ops = atomic_load(&ld.ops);
			printf("   t=%5.2f s: %8.0f ops/s\n", (t1 - t0) / 1e9,
			       (double)(now_ops - last_ops) / ((double)(t1 - last_tick) / 1e9));
			last_ops = now_ops;
			last_tick = t1;
			next_tick = t1 + 250000000u;
		}
		if (t1 < next_erase) {
			if (timeline) {
				usleep(10000);
				continue;
			}
			usleep((useconds_t)((next_erase - t1) / 1000u));
			continue;
		}
		next_erase += (uint64_t)erase_ms * 1000000u;
		if (n_erase >= nres || n_erase >= AK_ARRAY_LEN(e_lat))
			continue;
		e.id = ids[n_erase];
		wal_before[n_erase] = (uint64_t)wal_bytes();
		leaf_for(&l, ACT_ERASE);
		a = util_mono_ns();
		if ((rc = auditlog_submit_flags(log_, &l, 1, erase_change, &e, wipe, NULL)) != 0)
			die("erasing", rc);
		b = util_mono_ns();
		e_lat[n_erase++] = b - a;
	}
	t1 = util_mono_ns();
	stop_load(&ld, t, nthreads);
	auditlog_stats(log_, &st1);
	report("2. load, with erasures", &ld, t1 - t0);
	if (n_erase > 0) {
		uint64_t wal_sum = 0;
		for (size_t i = 0; i < n_erase; i++)
			wal_sum += wal_before[i];
		qsort(e_lat, n_erase, sizeof *e_lat, cmp_u64);
		printf("   %zu erasures: answered in median %.2f ms, max %.2f ms; WAL before them "
		       "%.1f MiB on average\n",
		       n_erase, pct(e_lat, n_erase, 0.5), pct(e_lat, n_erase, 1.0),
		       (double)wal_sum / (double)n_erase / 1048576.0);
		printf("   wipes: %llu, %.2f ms each on average, %.2f ms at most; tries that ran "
		       "out of time: %llu\n",
		       (unsigned long long)(st1.wipes - st0.wipes),
		       st1.wipes > st0.wipes
			   ? ms((st1.wipe_ns_total - st0.wipe_ns_total) / (st1.wipes - st0.wipes))
			   : 0.0,
		       ms(st1.wipe_ns_max),
		       (unsigned long long)(st1.wipe_timeouts - st0.wipe_timeouts));
	}

	/* 3. The load, during a rotation of every key. */
	{
		struct rewrap_config c = {log_, &keys, ROLE_SYSTEM, 0};
		struct rewrap_report r;
		uint64_t a, b;

		memset(&r, 0, sizeof r);
		start_load(&ld, t, nthreads);
		usleep(200000);
		a = util_mono_ns();
		if ((rc = rewrap_rotate(&c, util_now(), &r)) != 0)
			die("rotating", rc);
		b = util_mono_ns();
		stop_load(&ld, t, nthreads);
		report("3. load, during a rotation", &ld, b - a + 200000000u);
		printf("   rotation: %llu keys in %llu chunks of %u, %.2f s, %.2f ms a chunk "
		       "(%.1f us a key)\n",
		       (unsigned long long)r.rewrapped, (unsigned long long)r.chunks, REWRAP_CHUNK,
		       (b - a) / 1e9, r.chunks ? ms((b - a) / r.chunks) : 0.0,
		       r.rewrapped ? (double)(b - a) / 1e3 / (double)r.rewrapped : 0.0);
	}

	auditlog_close(log_);
	epoch_close(keys.epochs);
	seal_kek_free(kek);
	datadir_close(dd);
	free(ids);
	free(ld.lat);
	free(t);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_erasure: could not remove %s\n", dir);
	return 0;
}
