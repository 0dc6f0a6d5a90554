/*
 * mkcred: a test helper that signs a credential with a data folder's
 * active issuer key at times of the test's choosing, so shell tests can
 * present codes that are expired, not yet valid or badly signed to the
 * online verifier without waiting out a clock-skew allowance.
 *
 *   mkcred --data DIR --status S --iat T --exp T [--bad-sig] < name
 *   mkcred --data DIR --backdate SECONDS
 *
 * T is unix seconds, or +N / -N seconds from now. The name is read from
 * standard input (one line), so it never sits in the process list.
 * --bad-sig flips one bit of the signature after signing (a code whose
 * kid is trusted but whose signature does not verify). Prints the
 * credential. Only reads the issuer key: it writes no audit leaf and may
 * run beside a service on the same folder.
 *
 * A code's iat must fall inside its key's window in the trust list, which
 * starts when `ankangd init` ran; --backdate moves the start of every
 * issuer window back by SECONDS and re-signs the trust list with the root
 * key, so that a fresh folder can hold codes issued (and expired) in the
 * past. Run it before the service starts. Test use only, never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"
#include "crypto/cred.h"
#include "crypto/cred_sign.h"
#include "service/datadir.h"

static int parse_time(const char *s, uint64_t *out)
{
	uint64_t now = util_now(), v;

	if (s[0] == '+' || s[0] == '-') {
		if (util_parse_u64(s + 1, strlen(s + 1), &v) != 0 || (s[0] == '-' && v > now))
			return -1;
		*out = s[0] == '+' ? now + v : now - v;
		return 0;
	}
	return util_parse_u64(s, strlen(s), out);
}

static int usage(void)
{
	fprintf(stderr, "usage: mkcred --data DIR --status S --iat T --exp T [--bad-sig] < name\n"
			"       mkcred --data DIR --backdate SECONDS\n");
	return 2;
}

static int backdate(const char *data, const char *secs)
{
	struct datadir *d = NULL;
	char what[512];
	uint64_t n;
	int rc;

	if (util_parse_u64(secs, strlen(secs), &n) != 0)
		return usage();
	if (datadir_open(&d, data, DATADIR_ROOT, NULL, what, sizeof what) != 0) {
		fprintf(stderr, "mkcred: cannot open the data folder (%s)\n", what);
		return 2;
	}
	for (size_t i = 0; i < d->trust.n_issuers; i++)
		d->trust.issuers[i].not_before =
		    d->trust.issuers[i].not_before > n ? d->trust.issuers[i].not_before - n : 0;
	rc = datadir_write_trust(d, util_now());
	datadir_close(d);
	if (rc != 0) {
		fprintf(stderr, "mkcred: cannot re-sign the trust list: %s\n", ak_strerror(rc));
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *data = NULL, *status = NULL;
	char what[512];
	struct datadir *d = NULL;
	struct cred_claims c;
	char text[CRED_TEXT_MAX + 1];
	uint8_t cose[CRED_COSE_MAX];
	size_t len;
	int bad_sig = 0, have_iat = 0, have_exp = 0, st, n;

	if (sodium_init() < 0)
		return 2;
	if (argc == 5 && strcmp(argv[1], "--data") == 0 && strcmp(argv[3], "--backdate") == 0)
		return backdate(argv[2], argv[4]);
	memset(&c, 0, sizeof c);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bad-sig") == 0) {
			bad_sig = 1;
		} else if (i + 1 < argc && strcmp(argv[i], "--data") == 0) {
			data = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--status") == 0) {
			status = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--iat") == 0) {
			if (parse_time(argv[++i], &c.iat) != 0)
				return usage();
			have_iat = 1;
		} else if (i + 1 < argc && strcmp(argv[i], "--exp") == 0) {
			if (parse_time(argv[++i], &c.exp) != 0)
				return usage();
			have_exp = 1;
		} else {
			return usage();
		}
	}
	if (data == NULL || status == NULL || !have_iat || !have_exp ||
	    (st = cred_status_parse(status, strlen(status))) < 0)
		return usage();
	if (fgets(c.name, sizeof c.name, stdin) == NULL)
		return usage();
	c.name[strcspn(c.name, "\n")] = '\0';
	c.status = (enum cred_status)st;
	randombytes_buf(c.cti, sizeof c.cti);
	if (datadir_open(&d, data, DATADIR_ISSUER, NULL, what, sizeof what) != 0) {
		fprintf(stderr, "mkcred: cannot open the data folder (%s)\n", what);
		return 2;
	}
	snprintf(c.iss, sizeof c.iss, "%s", d->issuer_id);
	n = cred_issue(text, sizeof text, &c, d->issuer);
	datadir_close(d);
	sodium_memzero(&c, sizeof c);
	if (n < 0) {
		fprintf(stderr, "mkcred: cannot sign: %s\n", ak_strerror(n));
		return 2;
	}
	if (bad_sig) {
		/* The signature is the COSE structure's last 64 bytes. */
		if (b45_decode(cose, sizeof cose, &len, text + CRED_PREFIX_LEN,
			       (size_t)n - CRED_PREFIX_LEN) != 0 ||
		    len < CRED_SIG_BYTES)
			return 2;
		cose[len - 1] ^= 1;
		if (b45_encode(text + CRED_PREFIX_LEN, sizeof text - CRED_PREFIX_LEN, cose, len) <
		    0)
			return 2;
	}
	printf("%s\n", text);
	return 0;
}
