/*
 * fuzz_cred: libFuzzer target for crypto/cred.c. The input is a credential
 * text, verified by cred_verify against a fixed trust list (the vector
 * issuer of tests/vectors/credential.json, its lists.json window, and that
 * list's two revoked ctis) at a fixed clock.
 *
 * Beyond "never crash, leak or read outside the input", it checks the
 * parser's central promise: a text that is not malformed is exactly the
 * canonical encoding of what was parsed from it. Anything else accepted
 * would mean two texts for one credential, so that traps.
 *
 * Seeds: fuzz/corpus/cred/ (every vector credential). Build and run: see
 * fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"
#include "crypto/cred.h"

#define FUZZ_NOW 1767225660u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cred_issuer issuer;
static uint8_t revoked[2][CRED_CTI_BYTES];

static void fuzz_init(void)
{
	if (sodium_init() < 0)
		__builtin_trap();
	if (util_hex_decode_lower(
		issuer.pk, 32, "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
		64) != 0 ||
	    util_hex_decode_lower(revoked[0], CRED_CTI_BYTES, "000102030405060708090a0b0c0d0e0f",
				  32) != 0 ||
	    util_hex_decode_lower(revoked[1], CRED_CTI_BYTES, "2d711642b726b04401627ca9fbac32f5",
				  32) != 0)
		__builtin_trap();
	cred_kid(issuer.kid, issuer.pk);
	issuer.not_before = 1767139200;
	issuer.not_after = 1798761600;
}

/* The text cred_issue would write for c (without signing: c's own sig). */
static size_t canonical_text(char *out, size_t cap, const struct cred *c)
{
	uint8_t prot[32], payload[CRED_COSE_MAX], cose[CRED_COSE_MAX];
	int pl = cred_encode_protected(prot, sizeof prot, c->kid);
	int yl = cred_encode_claims(payload, sizeof payload, &c->claims);
	int cl, tl;

	if (pl < 0 || yl < 0)
		__builtin_trap();
	cl = cred_encode_cose(cose, sizeof cose, prot, (size_t)pl, payload, (size_t)yl, c->sig);
	if (cl < 0)
		__builtin_trap();
	memcpy(out, CRED_PREFIX, CRED_PREFIX_LEN);
	tl = b45_encode(out + CRED_PREFIX_LEN, cap - CRED_PREFIX_LEN, cose, (size_t)cl);
	if (tl < 0)
		__builtin_trap();
	return CRED_PREFIX_LEN + (size_t)tl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cred_trust t = {.issuers = &issuer,
			       .n_issuers = 1,
			       .revoked = (const uint8_t(*)[CRED_CTI_BYTES])revoked,
			       .n_revoked = 2,
			       .now = FUZZ_NOW,
			       .skew = CRED_DEFAULT_SKEW};
	char again[2 * CRED_TEXT_MAX];
	struct cred c;
	enum cred_result r;

	if (!ready) {
		fuzz_init();
		ready = 1;
	}
	r = cred_verify(&t, (const char *)data, size, &c);
	if ((unsigned)r >= CRED_RESULT_COUNT)
		__builtin_trap();
	if (r == CRED_MALFORMED)
		return 0;
	if (cred_claims_check(&c.claims) != 0)
		__builtin_trap();
	size_t n = canonical_text(again, sizeof again, &c);
	if (n != size || memcmp(again, data, size) != 0)
		__builtin_trap();
	return 0;
}
