/*
 * cosig_sign: producing cosignature/v1 lines (see cosig.h for the bytes),
 * with a note signer key: the same Ed25519 seed and key file as any other
 * ankang key, presented to the world with type byte 0x04. Not linked into
 * the verifier program.
 */
#ifndef ANKANG_COSIG_SIGN_H
#define ANKANG_COSIG_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cosig.h"
#include "crypto/key_secret.h"

/* The cosigner's public half of k (name, cosignature key id, key). */
void cosig_signer_verifier(struct key_verifier *out, const key_signer *k);

/*
 * Writes k's cosignature line at time t on body[0..body_len) (a checkpoint
 * note's text, through its last "\n"), with its "\n" and a NUL, into out
 * (cap >= COSIG_LINE_MAX). Returns the line's length, or AK_EINVAL (t
 * beyond 2^63 - 1, body not note text), AK_ENOMEM, AK_ETOOBIG.
 */
int cosig_line(char *out, size_t cap, const key_signer *k, uint64_t t, const char *body,
	       size_t body_len);

#endif
