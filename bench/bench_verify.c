/*
 * bench_verify: the offline verifier against the machine's own limit
 * (DESIGN.md, "Performance"): credentials checked per second by
 * cred_verify (base45, strict CBOR parse and re-encode, kid lookup,
 * Ed25519, time and revocation checks), beside a bare loop of
 * crypto_sign_verify_detached over the same Sig_structure bytes, in the
 * same run, on one core. The ratio is what parsing and policy cost on top
 * of the signature check that cannot be avoided (target >= 0.95).
 *
 * Then the same with the spool on, as ankang-verify checks codes piped to
 * it: each scan appended to a spool (verifier/spool.h) in BENCH_DIR
 * (/var/tmp, a disk), batches of SPOOL_BATCH_MAX made durable by one
 * fdatasync each (spool_append_batch), against the same bare loop
 * (target >= 0.8); and, for context, one fdatasync a scan (what one code
 * at a time at a scanner costs: the disk's sync, not the check).
 *
 * The three loops of a round alternate in chunks (64, 64 and SPOOL_BATCH_MAX codes),
 * each timed by the thread's own CPU clock (the spool's sync by the wall
 * time it blocks), and the ratios are medians of each round's, so that
 * what else the machine does falls on both sides. Prints RESULT lines for
 * scripts/bench.
 *
 * Settings (environment): BENCH_SECONDS (2 per measurement), BENCH_ROUNDS
 * (3, medians reported), BENCH_CODES (distinct credentials, 1000),
 * BENCH_REVOKED (revocation-list size, 10000), BENCH_DIR (/var/tmp).
 *
 * Names are made up ("Bench 000123"); nothing personal is printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/cred_sign.h"
#include "crypto/key_secret.h"
#include "verifier/spool.h"

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	uint64_t x;
	return v != NULL && util_parse_u64(v, strlen(v), &x) == 0 ? x : dflt;
}

/* This thread's CPU time, seconds. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_cti(const void *a, const void *b)
{
	return memcmp(a, b, CRED_CTI_BYTES);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	uint64_t seconds = env_u64("BENCH_SECONDS", 2), rounds = env_u64("BENCH_ROUNDS", 3);
	size_t ncodes = (size_t)env_u64("BENCH_CODES", 1000);
	size_t nrevoked = (size_t)env_u64("BENCH_REVOKED", 10000);
	key_signer *issuer = NULL;
	struct cred_issuer ci;
	struct cred_trust trust;
	char(*codes)[CRED_TEXT_MAX + 1];
	struct cred *parsed;
	uint8_t(*revoked)[CRED_CTI_BYTES];
	double *ratio, *r_verify, *r_bare, *r_spool, *ratio_spool, r_sync = 0;
	char dir[4096];
	const char *base = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/var/tmp";
	spool *sp = NULL;
	uint64_t now;

	if (sodium_init() < 0 || key_signer_generate(&issuer, "bench.example/issuer") != 0)
		return 2;
	codes = calloc(ncodes, sizeof *codes);
	parsed = calloc(ncodes, sizeof *parsed);
	revoked = calloc(nrevoked ? nrevoked : 1, sizeof *revoked);
	ratio = calloc(rounds, sizeof *ratio);
	r_verify = calloc(rounds, sizeof *r_verify);
	r_bare = calloc(rounds, sizeof *r_bare);
	r_spool = calloc(rounds, sizeof *r_spool);
	ratio_spool = calloc(rounds, sizeof *ratio_spool);
	if (!codes || !parsed || !revoked || !ratio || !r_verify || !r_bare || !r_spool ||
	    !ratio_spool || ncodes == 0 || rounds == 0)
		return 2;
	snprintf(dir, sizeof dir, "%s/ankang-bench-verify.XXXXXX", base);
	if (mkdtemp(dir) == NULL || strlen(dir) + 16 >= sizeof dir)
		return 2;
	strcat(dir, "/spool");
	if (spool_open(&sp, dir) != 0)
		return 2;

	now = util_now();
	memset(&ci, 0, sizeof ci);
	cred_kid(ci.kid, key_signer_verifier(issuer)->pk);
	memcpy(ci.pk, key_signer_verifier(issuer)->pk, sizeof ci.pk);
	ci.not_before = now - 86400;
	ci.not_after = now + 86400;
	for (size_t i = 0; i < nrevoked; i++)
		randombytes_buf(revoked[i], CRED_CTI_BYTES);
	qsort(revoked, nrevoked, CRED_CTI_BYTES, cmp_cti);
	for (size_t i = 0; i < ncodes; i++) {
		struct cred_claims c;
		memset(&c, 0, sizeof c);
		snprintf(c.iss, sizeof c.iss, "CN-AH");
		snprintf(c.name, sizeof c.name, "Bench %06zu", i);
		c.status = (enum cred_status)(i % 3);
		c.iat = now;
		c.exp = now + 300;
		randombytes_buf(c.cti, sizeof c.cti);
		if (cred_issue(codes[i], sizeof codes[i], &c, issuer) < 0 ||
		    cred_parse(&parsed[i], codes[i], strlen(codes[i])) != 0)
			return 2;
	}
	memset(&trust, 0, sizeof trust);
	trust.issuers = &ci;
	trust.n_issuers = 1;
	trust.revoked = (const uint8_t(*)[CRED_CTI_BYTES])revoked;
	trust.n_revoked = nrevoked;
	trust.now = now;
	trust.skew = CRED_DEFAULT_SKEW;

	/* Each round interleaves the three in chunks for `seconds` of wall
	 * time, so that a change in what else the machine does falls on all
	 * of them alike, and counts each chunk's own CPU time (the thread's
	 * clock), not wall time, so that another process holding the core for
	 * a moment is charged to none of them. The spool's sync is waiting,
	 * not CPU: it is counted as the wall time spool_append_batch takes. */
	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t nv = 0, nb = 0, ns = 0, end = util_mono_ns() + seconds * 1000000000u;
		double tv = 0, tb = 0, tsp = 0, c0;
		size_t bad = 0;

		while (util_mono_ns() < end) {
			struct spool_scan sc[SPOOL_BATCH_MAX];
			uint64_t w0;

			c0 = cpu_now();
			for (int k = 0; k < 64; k++, nv++)
				bad += cred_verify(&trust, codes[nv % ncodes],
						   strlen(codes[nv % ncodes]), NULL) != CRED_VALID;
			tv += cpu_now() - c0;

			c0 = cpu_now();
			for (int k = 0; k < 64; k++, nb++) {
				const struct cred *c = &parsed[nb % ncodes];
				bad += crypto_sign_verify_detached(c->sig, c->tbs, c->tbs_len,
								   ci.pk) != 0;
			}
			tb += cpu_now() - c0;

			/* The spool on, batched as ankang-verify batches codes
			 * waiting on its stdin. */
			c0 = cpu_now();
			for (int k = 0; k < SPOOL_BATCH_MAX; k++, ns++) {
				struct cred c;
				enum cred_result res = cred_verify(&trust, codes[ns % ncodes],
								   strlen(codes[ns % ncodes]), &c);
				bad += res != CRED_VALID;
				spool_scan_init(&sc[k], res, &c, now);
			}
			tsp += cpu_now() - c0;
			w0 = util_mono_ns();
			if (spool_append_batch(sp, sc, SPOOL_BATCH_MAX) != 0) {
				fprintf(stderr, "bench_verify: the spool failed\n");
				return 1;
			}
			tsp += (double)(util_mono_ns() - w0) / 1e9;
		}
		r_verify[r] = (double)nv / tv;
		r_bare[r] = (double)nb / tb;
		r_spool[r] = (double)ns / tsp;
		ratio[r] = r_verify[r] / r_bare[r];
		ratio_spool[r] = r_spool[r] / r_bare[r];
		if (bad != 0) {
			fprintf(stderr, "bench_verify: %zu checks failed\n", bad);
			return 1;
		}
	}
	/* For context: one fdatasync a scan, for one second. */
	{
		uint64_t n = 0, t0 = util_mono_ns(), end = t0 + 1000000000u, t;
		while ((t = util_mono_ns()) < end) {
			struct spool_scan sc;
			struct cred c;
			enum cred_result res =
			    cred_verify(&trust, codes[n % ncodes], strlen(codes[n % ncodes]), &c);
			spool_scan_init(&sc, res, &c, now);
			if (spool_append(sp, &sc) != 0)
				return 1;
			n++;
		}
		r_sync = (double)n / ((double)(t - t0) / 1e9);
	}
	spool_close(sp);
	{
		char path[4200];
		snprintf(path, sizeof path, "%s/scans", dir);
		unlink(path);
		rmdir(dir);
		dir[strlen(dir) - strlen("/spool")] = '\0';
		rmdir(dir);
	}
	qsort(r_spool, rounds, sizeof *r_spool, cmp_double);
	qsort(ratio_spool, rounds, sizeof *ratio_spool, cmp_double);
	qsort(r_verify, rounds, sizeof *r_verify, cmp_double);
	qsort(r_bare, rounds, sizeof *r_bare, cmp_double);
	qsort(ratio, rounds, sizeof *ratio, cmp_double);
	printf("offline verify (cred_verify, %zu-entry revocation list): %.0f codes/s\n", nrevoked,
	       r_verify[rounds / 2]);
	printf("bare crypto_sign_verify_detached, same bytes:          %.0f sigs/s\n",
	       r_bare[rounds / 2]);
	printf("ratio verify / bare Ed25519: %.2f  (median of %" PRIu64 " rounds of %" PRIu64
	       " s, interleaved, CPU time, one core)\n",
	       ratio[rounds / 2], rounds, seconds);
	printf("offline verify, the spool on (batches of %d, one fdatasync each): %.0f codes/s,"
	       " ratio to bare Ed25519 %.2f\n",
	       SPOOL_BATCH_MAX, r_spool[rounds / 2], ratio_spool[rounds / 2]);
	printf(
	    "offline verify, one fdatasync a scan (a code at a time, for context): %.0f codes/s\n",
	    r_sync);
	printf("RESULT\toffline_verify_rate\t%.0f\tcodes/s\t%.0f\t%.2f\tratio >= 0.95 (bare "
	       "Ed25519 verify loop, same bytes)\n",
	       r_verify[rounds / 2], r_bare[rounds / 2], ratio[rounds / 2]);
	printf("RESULT\toffline_verify_spool_rate\t%.0f\tcodes/s\t%.0f\t%.2f\tratio >= 0.8 "
	       "(spool on, one fdatasync per %d)\n",
	       r_spool[rounds / 2], r_bare[rounds / 2], ratio_spool[rounds / 2], SPOOL_BATCH_MAX);
	printf("RESULT\toffline_verify_spool_each_rate\t%.0f\tcodes/s\t-\t-\tcontext: one "
	       "fdatasync a scan\n",
	       r_sync);

	key_signer_free(issuer);
	free(codes);
	free(parsed);
	free(revoked);
	free(ratio);
	free(r_verify);
	free(r_bare);
	free(r_spool);
	free(ratio_spool);
	return 0;
}
