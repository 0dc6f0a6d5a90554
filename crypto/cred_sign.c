/*
 * cred_sign: issuing a credential (FORMAT.md section 1).
 *
 * The bytes come from cred_encode_* in cred.c, the same encoder the parser
 * re-encodes with, so whatever is issued here is exactly what a strict
 * parser accepts. The signature is Ed25519 (deterministic, RFC 8032) over
 * the COSE Sig_structure ["Signature1", protected, h'', payload].
 *
 * Must never: be linked into the verifier program; issue a credential
 * whose claims cred_claims_check refuses.
 */
#include "crypto/cred_sign.h"

#include <string.h>

#include "common/util.h"
#include "crypto/base45.h"

_Static_assert(KEY_SIG_BYTES == CRED_SIG_BYTES, "a credential carries one Ed25519 signature");

int cred_issue(char *out, size_t cap, const struct cred_claims *c, const key_signer *issuer)
{
	return cred_issue_sig(out, cap, c, issuer, NULL);
}

int cred_issue_sig(char *out, size_t cap, const struct cred_claims *c, const key_signer *issuer,
		   uint8_t sig_out[CRED_SIG_BYTES])
{
	uint8_t kid[CRED_KID_BYTES], sig[KEY_SIG_BYTES];
	uint8_t prot[32], payload[CRED_COSE_MAX], tbs[CRED_COSE_MAX + 32], cose[CRED_COSE_MAX];
	int prot_len, payload_len, tbs_len, cose_len, text_len;

	if (cap < CRED_TEXT_MAX + 1)
		return AK_ETOOBIG;
	if (cred_claims_check(c) != 0)
		return AK_EINVAL;
	cred_kid(kid, key_signer_verifier(issuer)->pk);
	if ((prot_len = cred_encode_protected(prot, sizeof prot, kid)) < 0)
		return prot_len;
	if ((payload_len = cred_encode_claims(payload, sizeof payload, c)) < 0)
		return payload_len;
	tbs_len =
	    cred_encode_tbs(tbs, sizeof tbs, prot, (size_t)prot_len, payload, (size_t)payload_len);
	if (tbs_len < 0)
		return tbs_len;
	key_signer_sign(issuer, sig, tbs, (size_t)tbs_len);
	cose_len = cred_encode_cose(cose, sizeof cose, prot, (size_t)prot_len, payload,
				    (size_t)payload_len, sig);
	if (cose_len < 0)
		return cose_len;
	/* Valid claims always fit; this guards the limit if a field ever grows. */
	if (CRED_PREFIX_LEN + b45_encoded_len((size_t)cose_len) > CRED_TEXT_MAX)
		return AK_ETOOBIG;
	memcpy(out, CRED_PREFIX, CRED_PREFIX_LEN);
	text_len = b45_encode(out + CRED_PREFIX_LEN, cap - CRED_PREFIX_LEN, cose, (size_t)cose_len);
	if (text_len < 0)
		return text_len;
	if (sig_out != NULL)
		memcpy(sig_out, sig, CRED_SIG_BYTES);
	return CRED_PREFIX_LEN + text_len;
}
