/*
 * fuzz_cred_cose: libFuzzer target for crypto/cred.c one layer down. The
 * input is taken as the COSE bytes, wrapped as "AK1:" + base45(input) and
 * verified like fuzz_cred does. Mutating the bytes rather than the text
 * lets the fuzzer reach the CBOR decoding (the bounding pass, cbor_load,
 * the walk, the re-encoding comparison) far more directly.
 *
 * Same oracle as fuzz_cred: whatever is not malformed must be exactly the
 * canonical encoding of what was parsed from it.
 *
 * Seeds: fuzz/corpus/cred_cose/ (the COSE bytes of every vector). Build
 * and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"
#include "crypto/cred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cred_issuer issuer;

static void fuzz_init(void)
{
	if (sodium_init() < 0 ||
	    util_hex_decode_lower(
		issuer.pk, 32, "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
		64) != 0)
		__builtin_trap();
	cred_kid(issuer.kid, issuer.pk);
	issuer.not_before = 1767139200;
	issuer.not_after = 1798761600;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cred_trust t = {
	    .issuers = &issuer, .n_issuers = 1, .now = 1767225660, .skew = CRED_DEFAULT_SKEW};
	char text[CRED_PREFIX_LEN + 3 * CRED_COSE_MAX];
	uint8_t prot[32], payload[CRED_COSE_MAX], cose[CRED_COSE_MAX];
	struct cred c;
	int len, pl, yl, cl;

	if (!ready) {
		fuzz_init();
		ready = 1;
	}
	if (size > CRED_COSE_MAX)
		return 0;
	memcpy(text, CRED_PREFIX, CRED_PREFIX_LEN);
	len = b45_encode(text + CRED_PREFIX_LEN, sizeof text - CRED_PREFIX_LEN, data, size);
	if (len < 0)
		__builtin_trap();
	if (cred_verify(&t, text, CRED_PREFIX_LEN + (size_t)len, &c) == CRED_MALFORMED)
		return 0;
	if (cred_claims_check(&c.claims) != 0)
		__builtin_trap();
	pl = cred_encode_protected(prot, sizeof prot, c.kid);
	yl = cred_encode_claims(payload, sizeof payload, &c.claims);
	if (pl < 0 || yl < 0)
		__builtin_trap();
	cl = cred_encode_cose(cose, sizeof cose, prot, (size_t)pl, payload, (size_t)yl, c.sig);
	if (cl < 0 || (size_t)cl != size || memcmp(cose, data, size) != 0)
		__builtin_trap();
	return 0;
}
