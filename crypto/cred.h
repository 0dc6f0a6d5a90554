/*
 * cred: the health-code credential of FORMAT.md section 1, parse and
 * verify side.
 *
 *   credential = "AK1:" base45(COSE_Sign1)
 *   COSE_Sign1 = 18([bstr .cbor {1: -8, 4: kid(8)}, {}, bstr .cbor claims, sig(64)])
 *   claims     = {1: iss, 4: exp, 6: iat, 7: cti(16), -65537: {1: name, 2: status}}
 *
 * The parser is strict: it accepts only the one deterministic CBOR
 * encoding of a well-formed credential and nothing longer than
 * CRED_TEXT_MAX characters. A verifier shows name and status only for
 * CRED_VALID, CRED_REVOKED and CRED_SUPERSEDED.
 *
 * Signing is in cred_sign.h, which the verifier program does not link.
 */
#ifndef ANKANG_CRED_H
#define ANKANG_CRED_H

#include <stddef.h>
#include <stdint.h>

#define CRED_PREFIX       "AK1:"
#define CRED_PREFIX_LEN   4
#define CRED_TEXT_MAX     1024
#define CRED_ISS_MAX      32
#define CRED_NAME_MAX     128
#define CRED_KID_BYTES    8
#define CRED_CTI_BYTES    16
#define CRED_SIG_BYTES    64
#define CRED_MAX_VALIDITY (31u * 86400u)
#define CRED_DEFAULT_SKEW 60
/* Largest COSE structure a CRED_TEXT_MAX text can carry. */
#define CRED_COSE_MAX ((CRED_TEXT_MAX - CRED_PREFIX_LEN) / 3 * 2 + 1)

enum cred_status {
	CRED_GREEN = 0,
	CRED_YELLOW = 1,
	CRED_RED = 2
};

/* In FORMAT.md's order of checking. */
enum cred_result {
	CRED_VALID = 0,
	CRED_MALFORMED,
	CRED_UNKNOWN_KEY,
	CRED_BAD_SIGNATURE,
	CRED_NOT_YET_VALID,
	CRED_EXPIRED,
	CRED_REVOKED,
	CRED_SUPERSEDED
};
#define CRED_RESULT_COUNT 8

/* "valid", "malformed", ...; never NULL (out of range gives "malformed"). */
const char *cred_result_word(enum cred_result r);
/* The result for a word, or -1. */
int cred_result_parse(const char *word, size_t len);
/* "green", "yellow", "red"; NULL when out of range. */
const char *cred_status_word(int status);
/* The status for a word, or -1. */
int cred_status_parse(const char *word, size_t len);
/* 1 when a verifier may show name and status for this result. */
int cred_result_shows_data(enum cred_result r);

struct cred_claims {
	char iss[CRED_ISS_MAX + 1];   /* 1..32 of [A-Za-z0-9.-], NUL-terminated */
	uint64_t iat, exp;            /* unix seconds, iat < exp <= iat + 31 d */
	uint8_t cti[CRED_CTI_BYTES];  /* random, fresh for every code */
	char name[CRED_NAME_MAX + 1]; /* UTF-8, 1..128 bytes, no C0 or DEL */
	enum cred_status status;
};

/* A parsed credential and the bytes its signature covers. */
struct cred {
	uint8_t kid[CRED_KID_BYTES];
	struct cred_claims claims;
	uint8_t sig[CRED_SIG_BYTES];
	uint8_t tbs[CRED_COSE_MAX + 32]; /* Sig_structure, CBOR */
	size_t tbs_len;
};

/* 0 when every claim is in range (both issuing and parsing use it). */
int cred_claims_check(const struct cred_claims *c);
/* 1 when s[0..len) may be a credential's name (cred_claims_check's rule:
 * 1..CRED_NAME_MAX bytes of UTF-8, no C0 control or DEL), else 0. */
int cred_name_valid(const char *s, size_t len);

/* kid = first 8 bytes of SHA-256(pk). */
void cred_kid(uint8_t kid[CRED_KID_BYTES], const uint8_t pk[32]);

/*
 * Parses text[0..len) strictly. Returns 0, or AK_EINVAL for anything that
 * FORMAT.md calls malformed. Never reads outside text[0..len).
 */
int cred_parse(struct cred *out, const char *text, size_t len);

/* An issuer key as the trust list states it. */
struct cred_issuer {
	uint8_t kid[CRED_KID_BYTES];
	uint8_t pk[32];
	uint64_t not_before, not_after; /* the window iat must fall in, inclusive */
};

/* What a verifier checks against. */
struct cred_trust {
	const struct cred_issuer *issuers;
	size_t n_issuers;
	const uint8_t (*revoked)[CRED_CTI_BYTES]; /* sorted ascending (memcmp), may be NULL */
	size_t n_revoked;
	uint64_t now;  /* unix seconds */
	uint64_t skew; /* seconds of clock skew allowed, usually CRED_DEFAULT_SKEW */
};

/*
 * Parses and checks a credential in FORMAT.md's order: malformed,
 * unknown_key, bad_signature, not_yet_valid, expired, revoked. (superseded
 * is decided by the service, which knows current statuses.) out, if not
 * NULL, receives the parsed credential whenever the result is not
 * CRED_MALFORMED.
 */
enum cred_result cred_verify(const struct cred_trust *t, const char *text, size_t len,
			     struct cred *out);

/* The checks after parsing, for a credential already parsed. */
enum cred_result cred_check(const struct cred_trust *t, const struct cred *c);

/* 1 when cti is in the sorted revoked list. */
int cred_is_revoked(const struct cred_trust *t, const uint8_t cti[CRED_CTI_BYTES]);

/*
 * The one deterministic encoding of each layer (FORMAT.md section 1), built
 * with libcbor's encoders in shortest form. cred_issue assembles a
 * credential from these, and cred_parse re-encodes what it decoded with
 * the very same functions and demands identical bytes: that comparison is
 * what rejects every non-deterministic spelling. No validation happens
 * here (see cred_claims_check). Each returns the number of bytes written
 * into out, or AK_ETOOBIG when cap is too small.
 */
/* protected = {1: -8, 4: kid} */
int cred_encode_protected(uint8_t *out, size_t cap, const uint8_t kid[CRED_KID_BYTES]);
/* claims = {1: iss, 4: exp, 6: iat, 7: cti, -65537: {1: name, 2: status}} */
int cred_encode_claims(uint8_t *out, size_t cap, const struct cred_claims *c);
/* Sig_structure = ["Signature1", bstr(protected), h'', bstr(payload)] */
int cred_encode_tbs(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
		    const uint8_t *payload, size_t payload_len);
/* 18([bstr(protected), {}, bstr(payload), bstr(sig)]) */
int cred_encode_cose(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
		     const uint8_t *payload, size_t payload_len, const uint8_t sig[CRED_SIG_BYTES]);

#endif
