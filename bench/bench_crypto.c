/*
 * bench_crypto: the bare crypto each HTTP endpoint cannot avoid, as CPU
 * time per operation on one core: the denominators of bench/http.sh's
 * ratios (DESIGN.md, "Performance": an endpoint's limit is the server's
 * own cost for /healthz, plus the bare crypto it must do, plus the audit
 * writer's CPU per durable leaf).
 *
 *   verify   crypto_sign_verify_detached over a credential's signed bytes
 *            (POST /v1/verify must check the signature)
 *   sign     crypto_sign_detached over the same bytes (GET /v1/me/code
 *            must sign a fresh code)
 *   unwrap   seal_datakey_unwrap: the resident's data key out of its
 *            wrapped form (the code must unseal the name it carries)
 *   unseal   seal_open_field of one name padded as the store pads it
 *            (the one field a code needs)
 *
 * Each is timed with CLOCK_THREAD_CPUTIME_ID over a loop, so that what
 * the other processes on the machine do changes the figure as little as
 * it can (it still shares caches and a core's pipeline).
 *
 *   bench_crypto             the table, BENCH_SECONDS (1) per operation
 *   bench_crypto --line S    one line for a script: "VERIFY SIGN UNWRAP
 *                            UNSEAL", microseconds of CPU each, S seconds
 *                            (a decimal, e.g. 0.3) per operation
 *
 * Nothing personal: the name is made up and nothing of it is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/cred_sign.h"
#include "crypto/key_secret.h"
#include "crypto/seal.h"

/* As service/record.c pads a name: one byte longer than the longest. */
#define PAD_NAME (CRED_NAME_MAX + 1)

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct material {
	key_signer *issuer;
	struct cred c;
	seal_epochkey ek;
	seal_datakey dk;
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
	uint8_t sealed[PAD_NAME + SEAL_OVERHEAD];
};

enum op {
	OP_VERIFY,
	OP_SIGN,
	OP_UNWRAP,
	OP_UNSEAL,
	N_OPS
};
static const char *const op_name[N_OPS] = {"verify", "sign", "unwrap", "unseal"};

/* One operation, returns nonzero when it failed. */
static int run_op(struct material *m, enum op o)
{
	uint8_t sig[crypto_sign_BYTES], out[PAD_NAME];
	seal_datakey dk;
	size_t n;
	int bad = 0;

	switch (o) {
	case OP_VERIFY:
		bad = crypto_sign_verify_detached(m->c.sig, m->c.tbs, m->c.tbs_len,
						  key_signer_verifier(m->issuer)->pk) != 0;
		break;
	case OP_SIGN:
		key_signer_sign(m->issuer, sig, m->c.tbs, m->c.tbs_len);
		break;
	case OP_UNWRAP:
		bad = seal_datakey_unwrap(&m->ek, 1, m->wrapped, &dk) != 0;
		seal_datakey_wipe(&dk);
		break;
	case OP_UNSEAL:
		bad = seal_open_field(&m->dk, 1, "name", m->sealed, sizeof m->sealed, PAD_NAME, out,
				      &n) != 0;
		break;
	default:
		bad = 1;
	}
	return bad;
}

/* CPU microseconds per operation o, over about `seconds` of CPU. */
static double time_op(struct material *m, enum op o, double seconds, int *bad)
{
	double t0 = cpu_now(), t;
	unsigned long n = 0;

	do {
		for (int k = 0; k < 32; k++, n++)
			*bad |= run_op(m, o);
		t = cpu_now();
	} while (t - t0 < seconds);
	return (t - t0) * 1e6 / (double)n;
}

static int setup(struct material *m)
{
	struct cred_claims cl;
	char text[CRED_TEXT_MAX + 1];
	const char *name = "Bench Resident";

	memset(m, 0, sizeof *m);
	if (key_signer_generate(&m->issuer, "bench.example/issuer") != 0)
		return -1;
	memset(&cl, 0, sizeof cl);
	snprintf(cl.iss, sizeof cl.iss, "CN-AH");
	snprintf(cl.name, sizeof cl.name, "%s", name);
	cl.iat = util_now();
	cl.exp = cl.iat + 300;
	randombytes_buf(cl.cti, sizeof cl.cti);
	if (cred_issue(text, sizeof text, &cl, m->issuer) < 0 ||
	    cred_parse(&m->c, text, strlen(text)) != 0)
		return -1;
	seal_epochkey_new(1, &m->ek);
	if (seal_datakey_new(&m->ek, 1, m->wrapped, &m->dk) != 0 ||
	    seal_field(&m->dk, 1, "name", (const uint8_t *)name, strlen(name), PAD_NAME,
		       m->sealed) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct material m;
	double seconds = 1, us[N_OPS];
	int line = 0, bad = 0;
	const char *env = getenv("BENCH_SECONDS");

	if (argc == 3 && strcmp(argv[1], "--line") == 0) {
		line = 1;
		seconds = atof(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench_crypto [--line SECONDS]\n");
		return 2;
	} else if (env != NULL) {
		seconds = atof(env);
	}
	if (!(seconds > 0 && seconds <= 60)) {
		fprintf(stderr, "bench_crypto: seconds must be above 0 and at most 60\n");
		return 2;
	}
	if (sodium_init() < 0 || setup(&m) != 0) {
		fprintf(stderr, "bench_crypto: set-up failed\n");
		return 1;
	}
	for (int o = 0; o < N_OPS; o++)
		us[o] = time_op(&m, (enum op)o, seconds, &bad);
	key_signer_free(m.issuer);
	seal_epochkey_wipe(&m.ek);
	seal_datakey_wipe(&m.dk);
	if (bad) {
		fprintf(stderr, "bench_crypto: an operation failed\n");
		return 1;
	}
	if (line) {
		printf("%.3f %.3f %.3f %.3f\n", us[OP_VERIFY], us[OP_SIGN], us[OP_UNWRAP],
		       us[OP_UNSEAL]);
		return 0;
	}
	printf("bare crypto, CPU time per operation on one core (%.1f s each):\n", seconds);
	for (int o = 0; o < N_OPS; o++)
		printf("  %-7s %8.2f us  (%.0f/s)\n", op_name[o], us[o], 1e6 / us[o]);
	return 0;
}
