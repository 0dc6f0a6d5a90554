/*
 * cred_sign: encoding and signing credentials (FORMAT.md section 1).
 * Only the issuer links this; the verifier program must not.
 */
#ifndef ANKANG_CRED_SIGN_H
#define ANKANG_CRED_SIGN_H

#include <stddef.h>

#include "crypto/cred.h"
#include "crypto/key_secret.h"

/*
 * Encodes claims deterministically, signs them with the issuer key (kid
 * from its public key) and writes "AK1:..." and a NUL into out (cap must
 * be at least CRED_TEXT_MAX + 1). Returns the text length, AK_EINVAL when
 * a claim is out of range, or AK_ETOOBIG.
 */
int cred_issue(char *out, size_t cap, const struct cred_claims *c, const key_signer *issuer);
/* The same, and the signature into sig_out (when not NULL): what the
 * service keeps a keyed hash of, to recognise the code's holders later. */
int cred_issue_sig(char *out, size_t cap, const struct cred_claims *c, const key_signer *issuer,
		   uint8_t sig_out[CRED_SIG_BYTES]);

#endif
