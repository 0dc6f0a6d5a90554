/*
 * trust: the trust list of FORMAT.md section 4, a signed note by the root
 * key (name "<origin>/root") that tells verifiers which issuer keys to
 * accept and for which iat window, and which key signs the audit log.
 *
 *   ankang/trust/v1\n
 *   <origin>\n
 *   <issued, unix seconds>\n
 *   issuer <kid hex16> <base64 pubkey32> <not_before> <not_after>\n   (one or more)
 *   log <log verifier key text>\n
 */
#ifndef ANKANG_TRUST_H
#define ANKANG_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/key.h"

#define TRUST_MAGIC       "ankang/trust/v1"
#define TRUST_ORIGIN_MAX  100
#define TRUST_MAX_ISSUERS 64
#define TRUST_TEXT_MAX    16384

struct trust_list {
	char origin[TRUST_ORIGIN_MAX + 1];
	uint64_t issued;
	struct cred_issuer issuers[TRUST_MAX_ISSUERS];
	size_t n_issuers;
	struct key_verifier log_key;
};

/*
 * An origin is 1..TRUST_ORIGIN_MAX bytes of printable ASCII other than
 * space and '+' (it becomes part of key names). Returns 1 if valid.
 */
int trust_origin_valid(const char *origin, size_t len);

/*
 * Writes the list's text (unsigned) into a malloc'd, NUL-terminated
 * buffer. Checks every field first: AK_EINVAL when one is out of range
 * (no issuers, not_before > not_after, kid not matching the key, ...).
 */
int trust_format(char **out, size_t *len, const struct trust_list *t);

/* Parses the text strictly (exact spelling, canonical numbers). 0 or AK_EINVAL. */
int trust_parse(struct trust_list *t, const char *text, size_t len);

/*
 * Verifies a trust-list note with the root verifier key, parses its text,
 * and checks that the root key's name is "<origin>/root" for the list's
 * origin. Returns 0, AK_EINVAL, AK_ECRYPTO or AK_ENOENT (see note_open).
 */
int trust_open(struct trust_list *t, const char *note, size_t len, const struct key_verifier *root);

#endif
