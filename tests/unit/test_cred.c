/*
 * test_cred: the credential codec of FORMAT.md section 1.
 *
 *   - every case of tests/vectors/credential.json through cred_verify, with
 *     the trust list's issuer window and (for the revoked case) the
 *     revocation list of tests/vectors/lists.json, opened by revoc_open;
 *   - the first vector's layers byte for byte against cred_encode_*, and
 *     cred_issue reproducing each vector credential from its seed;
 *   - hand-built non-deterministic encodings, validly signed, that must
 *     still be malformed; hostile CBOR (deep nesting, huge lengths);
 *   - cred_check's order and boundaries; claim range checks;
 *   - properties: random claims round-trip issue -> verify, and no single
 *     bit flip or character change of a credential is ever valid.
 *
 * Names never appear in the output: cases are identified by index and
 * their vector description.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"
#include "crypto/cred.h"
#include "crypto/cred_sign.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"
#include "tests/lib/tap.h"

#define CRED_VECTORS  "tests/vectors/credential.json"
#define LISTS_VECTORS "tests/vectors/lists.json"

/* The trust list of lists.json: one issuer, this window. */
#define WINDOW_NOT_BEFORE 1767139200u
#define WINDOW_NOT_AFTER  1798761600u

static json_t *vectors, *lists;
static uint8_t issuer_seed[32], issuer_pk[32];
static struct cred_issuer issuer;
static key_signer *signer;
static struct revoc_list revocations;
static uint8_t (*revoked)[CRED_CTI_BYTES];
static size_t n_revoked;
static uint64_t skew;

/* ------------------------------------------------------------ helpers */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		bail_out("vector field missing");
	return s;
}

static void hex_fixed(uint8_t *out, size_t n, const char *hex)
{
	if (util_hex_decode_lower(out, n, hex, strlen(hex)) != 0)
		bail_out("bad hex in vector");
}

/* Decodes variable-length hex into out (cap bytes); returns the length. */
static size_t hex_var(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > cap || util_hex_decode_lower(out, n, hex, strlen(hex)) != 0)
		bail_out("bad hex in vector");
	return n;
}

static struct cred_trust trust_at(uint64_t now, int with_revocations)
{
	struct cred_trust t = {
	    .issuers = &issuer,
	    .n_issuers = 1,
	    .revoked = with_revocations ? (const uint8_t(*)[CRED_CTI_BYTES])revocations.cti : NULL,
	    .n_revoked = with_revocations ? revocations.n : 0,
	    .now = now,
	    .skew = skew,
	};
	return t;
}

/* "AK1:" + base45(cose) into text (cap >= CRED_TEXT_MAX + 1 is plenty). */
static size_t wrap_text(char *text, size_t cap, const uint8_t *cose, size_t n)
{
	int len;

	memcpy(text, CRED_PREFIX, CRED_PREFIX_LEN);
	len = b45_encode(text + CRED_PREFIX_LEN, cap - CRED_PREFIX_LEN, cose, n);
	if (len < 0)
		bail_out("b45_encode failed in a test helper");
	return CRED_PREFIX_LEN + (size_t)len;
}

/*
 * A credential around arbitrary protected and payload bytes, correctly
 * signed by the vector issuer. The encoders do not validate, so this can
 * sign what cred_issue never would: the parser must still refuse it.
 */
static size_t signed_text(char *text, size_t cap, const uint8_t *prot, size_t prot_len,
			  const uint8_t *payload, size_t payload_len)
{
	uint8_t tbs[2048], cose[2048], sig[CRED_SIG_BYTES];
	int tlen = cred_encode_tbs(tbs, sizeof tbs, prot, prot_len, payload, payload_len);
	int clen;

	if (tlen < 0)
		bail_out("cred_encode_tbs failed in a test helper");
	key_signer_sign(signer, sig, tbs, (size_t)tlen);
	clen = cred_encode_cose(cose, sizeof cose, prot, prot_len, payload, payload_len, sig);
	if (clen < 0)
		bail_out("cred_encode_cose failed in a test helper");
	return wrap_text(text, cap, cose, (size_t)clen);
}

static int claims_equal(const struct cred_claims *a, const struct cred_claims *b)
{
	return strcmp(a->iss, b->iss) == 0 && a->iat == b->iat && a->exp == b->exp &&
	       memcmp(a->cti, b->cti, CRED_CTI_BYTES) == 0 && strcmp(a->name, b->name) == 0 &&
	       a->status == b->status;
}

static int cti_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CRED_CTI_BYTES);
}

/*
 * The revoked ctis of lists.json: the note opened with the root key by
 * revoc_open, as a verifier does it, and cross-checked against the cti
 * lines read from the text by hand (three header lines, then hex lines up
 * to the blank line before the signature).
 */
static void load_revocations(void)
{
	const char *text = jstr(lists, "revocation_list");
	const char *vkey = jstr(json_object_get(lists, "root_key"), "vkey");
	const char *p = text;
	size_t cap = 16;
	struct key_verifier root;

	if (key_verifier_parse(&root, vkey, strlen(vkey)) != 0)
		bail_out("lists.json root key does not parse");
	if (revoc_open(&revocations, text, strlen(text), &root) != 0)
		bail_out("lists.json revocation list does not open with its root key");

	if ((revoked = malloc(cap * sizeof *revoked)) == NULL)
		bail_out("out of memory");
	for (int line = 0; *p != '\0'; line++) {
		const char *nl = strchr(p, '\n');
		size_t len;

		if (nl == NULL)
			bail_out("revocation list text without final newline");
		len = (size_t)(nl - p);
		if (len == 0)
			break; /* the blank line before the signatures */
		if (line >= 3) {
			if (n_revoked == cap) {
				void *grown = realloc(revoked, (cap *= 2) * sizeof *revoked);
				if (grown == NULL)
					bail_out("out of memory");
				revoked = grown;
			}
			if (util_hex_decode_lower(revoked[n_revoked++], CRED_CTI_BYTES, p, len) !=
			    0)
				bail_out("bad cti line in the revocation list");
		}
		p = nl + 1;
	}
	qsort(revoked, n_revoked, sizeof *revoked, cti_cmp);
	ok(n_revoked == revocations.n &&
	       memcmp(revoked, revocations.cti, n_revoked * sizeof *revoked) == 0,
	   "revoc_open gives the cti lines of the revocation list text");
}

static void setup(void)
{
	json_error_t err;
	const json_t *is;
	uint8_t kid[CRED_KID_BYTES], want_kid[CRED_KID_BYTES];

	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	if ((vectors = json_load_file(CRED_VECTORS, 0, &err)) == NULL)
		bail_out("cannot read " CRED_VECTORS " (run from the source root)");
	if ((lists = json_load_file(LISTS_VECTORS, 0, &err)) == NULL)
		bail_out("cannot read " LISTS_VECTORS);
	is = json_object_get(vectors, "issuer");
	hex_fixed(issuer_seed, 32, jstr(is, "seed"));
	hex_fixed(issuer_pk, 32, jstr(is, "public_key"));
	hex_fixed(want_kid, CRED_KID_BYTES, jstr(is, "kid"));
	skew = (uint64_t)json_integer_value(json_object_get(vectors, "clock_skew"));
	ok(skew == CRED_DEFAULT_SKEW, "vector clock skew is the default, 60 s");

	cred_kid(kid, issuer_pk);
	ok(memcmp(kid, want_kid, CRED_KID_BYTES) == 0, "cred_kid of the vector key is its kid");
	memcpy(issuer.kid, kid, CRED_KID_BYTES);
	memcpy(issuer.pk, issuer_pk, 32);
	issuer.not_before = WINDOW_NOT_BEFORE;
	issuer.not_after = WINDOW_NOT_AFTER;

	if (key_signer_from_seed(&signer, "CN-AH", issuer_seed) != 0)
		bail_out("key_signer_from_seed failed");
	ok(memcmp(key_signer_verifier(signer)->pk, issuer_pk, 32) == 0,
	   "signer from the vector seed has the vector public key");
	load_revocations();
	ok(n_revoked == 2, "two cti lines on the lists.json revocation list");
}

/* The trust list note of lists.json, opened with its root key, says what the
 * hard-coded issuer entry says. */
static void test_trust_list_agrees(void)
{
	struct key_verifier root;
	static struct trust_list tl;
	const char *vkey =
	    json_string_value(json_object_get(json_object_get(lists, "root_key"), "vkey"));
	const char *note = jstr(lists, "trust_list");
	int rc;

	if (vkey == NULL || key_verifier_parse(&root, vkey, strlen(vkey)) != 0) {
		ok(0, "lists.json root key parses");
		return;
	}
	rc = trust_open(&tl, note, strlen(note), &root);
	ok(rc == 0 && tl.n_issuers == 1 && memcmp(&tl.issuers[0], &issuer, sizeof issuer) == 0,
	   "lists.json trust list holds exactly the issuer entry the tests use");
}

/* ------------------------------------------------------------ vectors */

static void test_vectors(void)
{
	const json_t *cases = json_object_get(vectors, "cases");
	size_t i;
	const json_t *c;

	if (json_array_size(cases) < 39)
		bail_out("fewer credential vectors than expected");
	json_array_foreach(cases, i, c)
	{
		const char *text = jstr(c, "credential"), *want = jstr(c, "want");
		const char *desc = jstr(c, "desc");
		uint64_t now = (uint64_t)json_integer_value(json_object_get(c, "now"));
		int with_rev = json_object_get(c, "revocations") != NULL;
		struct cred_trust t = trust_at(now, with_rev);
		struct cred cr;
		enum cred_result r = cred_verify(&t, text, strlen(text), &cr);

		is_str(cred_result_word(r), want, "vector %zu (%s): %s", i, desc, want);
		/* The vectors give name and status for the valid cases. */
		if (json_object_get(c, "name") != NULL && r == CRED_VALID) {
			const char *name = jstr(c, "name"), *status = jstr(c, "status");
			ok(strcmp(cr.claims.name, name) == 0, "vector %zu: name as the vector says",
			   i);
			is_str(cred_status_word((int)cr.claims.status), status,
			       "vector %zu: status", i);
		}
		/* Same answer without an out parameter. */
		is_int(cred_verify(&t, text, strlen(text), NULL), r, "vector %zu: out may be NULL",
		       i);
	}
}

/* The first vector's layers, byte for byte, from our encoder. */
static void test_layers(void)
{
	const json_t *c0 = json_array_get(json_object_get(vectors, "cases"), 0);
	const json_t *layers = json_object_get(c0, "layers");
	const char *text = jstr(c0, "credential");
	uint8_t want[1024], got[1024], prot[64], payload[512], cose_in[1024];
	size_t wn, prot_len, payload_len, in_len;
	struct cred cr;
	int n;

	if (cred_parse(&cr, text, strlen(text)) != 0)
		bail_out("first vector does not parse");

	wn = hex_var(want, sizeof want, jstr(layers, "protected"));
	n = cred_encode_protected(got, sizeof got, cr.kid);
	ok(n > 0 && (size_t)n == wn && memcmp(got, want, wn) == 0, "layer protected");
	prot_len = wn;
	memcpy(prot, want, wn);

	wn = hex_var(want, sizeof want, jstr(layers, "payload"));
	n = cred_encode_claims(got, sizeof got, &cr.claims);
	ok(n > 0 && (size_t)n == wn && memcmp(got, want, wn) == 0, "layer payload");
	payload_len = wn;
	memcpy(payload, want, wn);

	wn = hex_var(want, sizeof want, jstr(layers, "sig_structure"));
	n = cred_encode_tbs(got, sizeof got, prot, prot_len, payload, payload_len);
	ok(n > 0 && (size_t)n == wn && memcmp(got, want, wn) == 0, "layer sig_structure");
	ok(cr.tbs_len == wn && memcmp(cr.tbs, want, wn) == 0,
	   "cred_parse's tbs is the sig_structure layer");

	wn = hex_var(want, sizeof want, jstr(layers, "cose"));
	n = cred_encode_cose(got, sizeof got, prot, prot_len, payload, payload_len, cr.sig);
	ok(n > 0 && (size_t)n == wn && memcmp(got, want, wn) == 0, "layer cose");
	ok(b45_decode(cose_in, sizeof cose_in, &in_len, text + CRED_PREFIX_LEN,
		      strlen(text) - CRED_PREFIX_LEN) == 0 &&
	       in_len == wn && memcmp(cose_in, want, wn) == 0,
	   "credential text is AK1: + base45(cose layer)");

	/* Capacity handling of the encoders. */
	is_int(cred_encode_protected(got, 12, cr.kid), AK_ETOOBIG, "protected into 12 bytes");
	is_int(cred_encode_protected(got, 13, cr.kid), 13, "protected into exactly 13 bytes");
	is_int(cred_encode_claims(got, payload_len - 1, &cr.claims), AK_ETOOBIG,
	       "claims one byte short");
	is_int(cred_encode_cose(got, wn - 1, prot, prot_len, payload, payload_len, cr.sig),
	       AK_ETOOBIG, "cose one byte short");
}

/* cred_issue with the vector seed reproduces each signed vector exactly. */
static void test_reissue(void)
{
	const json_t *cases = json_object_get(vectors, "cases");
	size_t i, done = 0, same = 0;
	const json_t *c;

	json_array_foreach(cases, i, c)
	{
		const char *want = jstr(c, "want"), *text = jstr(c, "credential");
		char out[CRED_TEXT_MAX + 1];
		struct cred cr;

		if (strcmp(want, "valid") != 0 && strcmp(want, "expired") != 0 &&
		    strcmp(want, "not_yet_valid") != 0 && strcmp(want, "revoked") != 0)
			continue;
		if (cred_parse(&cr, text, strlen(text)) != 0)
			continue;
		done++;
		if (cred_issue(out, sizeof out, &cr.claims, signer) == (int)strlen(text) &&
		    strcmp(out, text) == 0)
			same++;
		else
			diag("vector %zu is not reproduced by cred_issue", i);
	}
	ok(done >= 9 && same == done, "cred_issue reproduces all %zu signed vectors exactly", done);
}

/* ------------------------------------------------------------ strictness */

/* The first vector's decoded layers, for building variants. */
static struct cred base;
static uint8_t base_prot[32], base_payload[512];
static size_t base_prot_len, base_payload_len;

static void load_base(void)
{
	const json_t *c0 = json_array_get(json_object_get(vectors, "cases"), 0);
	const json_t *layers = json_object_get(c0, "layers");
	const char *text = jstr(c0, "credential");

	if (cred_parse(&base, text, strlen(text)) != 0)
		bail_out("first vector does not parse");
	base_prot_len = hex_var(base_prot, sizeof base_prot, jstr(layers, "protected"));
	base_payload_len = hex_var(base_payload, sizeof base_payload, jstr(layers, "payload"));
}

static enum cred_result verify_at_iat(const char *text, size_t len)
{
	struct cred_trust t = trust_at(base.claims.iat, 0);
	return cred_verify(&t, text, len, NULL);
}

/* A payload variant given as hex, signed, must be malformed. */
static void payload_variant(const char *hex, const char *why)
{
	uint8_t p[512];
	char text[2048];
	size_t n = hex_var(p, sizeof p, hex);
	size_t len = signed_text(text, sizeof text, base_prot, base_prot_len, p, n);

	is_str(cred_result_word(verify_at_iat(text, len)), "malformed", "signed payload: %s", why);
}

static void protected_variant(const char *hex, const char *why)
{
	uint8_t p[64];
	char text[2048];
	size_t n = hex_var(p, sizeof p, hex);
	size_t len = signed_text(text, sizeof text, p, n, base_payload, base_payload_len);

	is_str(cred_result_word(verify_at_iat(text, len)), "malformed", "signed protected: %s",
	       why);
}

/* A COSE variant given as hex must be malformed. */
static void cose_variant(const char *hex, const char *why)
{
	uint8_t p[1024];
	char text[2048];
	size_t n = hex_var(p, sizeof p, hex);
	size_t len = wrap_text(text, sizeof text, p, n);

	is_str(cred_result_word(verify_at_iat(text, len)), "malformed", "cose: %s", why);
}

static void test_strict(void)
{
	char text[2048], hex[4096];
	size_t len;
	uint8_t cose[1024];
	int n;

	load_base();

	/* Positive control: the helper signs canonical layers into the vector. */
	len = signed_text(text, sizeof text, base_prot, base_prot_len, base_payload,
			  base_payload_len);
	is_str(text, jstr(json_array_get(json_object_get(vectors, "cases"), 0), "credential"),
	       "test signer reproduces the first vector from its layers");
	is_str(cred_result_word(verify_at_iat(text, len)), "valid", "and it verifies");

	/*
	 * Canonical payload (first vector):
	 * a5 01 65 434e2d4148 04 1a 6955bb58 06 1a 6955b900
	 *    07 50 000102030405060708090a0b0c0d0e0f 3a 00010000 a2 01 66 e5bca0e4b889 02 00
	 */
#define ISS "0165434e2d4148"
#define EXP "041a6955bb58"
#define IAT "061a6955b900"
#define CTI "0750000102030405060708090a0b0c0d0e0f"
#define HCK "3a00010000"
#define HC  "a20166e5bca0e4b8890200"
	{
		uint8_t p[512];
		size_t pn = hex_var(p, sizeof p, "a5" ISS EXP IAT CTI HCK HC);
		len = signed_text(text, sizeof text, base_prot, base_prot_len, p, pn);
		is_str(cred_result_word(verify_at_iat(text, len)), "valid",
		       "hex-built canonical payload is valid (control for the variants)");
	}
	payload_variant("a5" EXP ISS IAT CTI HCK HC, "keys out of order (4 before 1)");
	payload_variant("a5" ISS EXP IAT HCK HC CTI, "keys out of order (-65537 before 7)");
	payload_variant("a6" ISS ISS EXP IAT CTI HCK HC, "duplicate key 1");
	payload_variant("a5" ISS ISS EXP IAT CTI, "duplicate key 1 in place of -65537");
	payload_variant("b805" ISS EXP IAT CTI HCK HC, "map head in two bytes");
	payload_variant("bf" ISS EXP IAT CTI HCK HC "ff", "indefinite-length claims map");
	payload_variant("a5" ISS "041b000000006955bb58" IAT CTI HCK HC, "exp as 8-byte integer");
	payload_variant("a5" ISS "041a6955bb58"
			"061b000000006955b900" CTI HCK HC,
			"iat as 8-byte integer");
	payload_variant("a5"
			"180165434e2d4148" EXP IAT CTI HCK HC,
			"key 1 as 2-byte integer");
	payload_variant("a5"
			"017f65434e2d4148ff" EXP IAT CTI HCK HC,
			"iss as indefinite tstr");
	payload_variant("a5" ISS EXP IAT CTI "3b0000000000010000" HC, "hc key as 8-byte integer");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20166e5bca0e4b889021800",
			"status as 2-byte int");
	payload_variant("a5" ISS EXP IAT CTI HCK "a202000166e5bca0e4b889", "hc keys out of order");
	payload_variant("a5" ISS EXP IAT CTI HCK "a30166e5bca0e4b88902000300", "extra hc entry");
	payload_variant("a5" ISS EXP IAT CTI HCK "a10166e5bca0e4b889", "hc without status");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20166e5bca0e4b8890203", "status 3");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20146e5bca0e4b8890200", "name as bstr");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20164c080c0800200", "name overlong UTF-8");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20163eda0800200", "name a UTF-16 surrogate");
	payload_variant("a5" ISS EXP IAT CTI HCK "a2016241ff0200", "name with byte ff");
	payload_variant("a5" ISS EXP IAT CTI HCK "a2016241000200", "name with NUL");
	payload_variant("a5" ISS EXP IAT CTI HCK "a20162417f0200", "name with DEL");
	payload_variant("a5" ISS EXP IAT CTI HCK "a201620a410200", "name with LF");
	payload_variant("a5"
			"0165434e5f4148" EXP IAT CTI HCK HC,
			"iss with '_'");
	payload_variant("a5"
			"0160" EXP IAT CTI HCK HC,
			"empty iss");
	payload_variant(
	    "a5"
	    "0178216161616161616161616161616161616161616161616161616161616161616161" EXP IAT CTI HCK
		HC,
	    "iss of 33 characters");
	payload_variant("a5"
			"0145434e2d4148" EXP IAT CTI HCK HC,
			"iss as bstr");
	payload_variant("a5" ISS "043a6955bb58" IAT CTI HCK HC, "exp negative");
	payload_variant("a5" ISS "04fb41da5556ed600000" IAT CTI HCK HC, "exp as a float");
	payload_variant("a5" ISS "04c11a6955bb58" IAT CTI HCK HC, "exp tagged as epoch time");
	payload_variant("a5" ISS "041a6955b900" IAT CTI HCK HC, "exp equal to iat");
	payload_variant("a5" ISS "041a697e9781" IAT CTI HCK HC, "exp = iat + 31 days + 1");
	payload_variant("a5" ISS EXP IAT "0751000102030405060708090a0b0c0d0e0f10" HCK HC,
			"cti of 17 bytes");
	payload_variant("a5" ISS EXP IAT "0750000102030405060708090a0b0c0d0e0f" HCK HC "00",
			"trailing byte inside the payload");
	payload_variant("a4" ISS EXP IAT CTI, "no hc claim");
	payload_variant("a5" ISS EXP IAT CTI "3a00010001" HC, "hc under -65538");
	payload_variant("a5" ISS EXP IAT CTI "0800" HC, "key 8 in place of -65537");
	payload_variant("85" ISS EXP IAT CTI HCK, "claims as an array");
	payload_variant("", "empty payload");
	{
		/* exp = iat + 31 days exactly is the limit, and valid. */
		uint8_t p[512];
		size_t pn = hex_var(p, sizeof p, "a5" ISS "041a697e9780" IAT CTI HCK HC);
		len = signed_text(text, sizeof text, base_prot, base_prot_len, p, pn);
		is_str(cred_result_word(verify_at_iat(text, len)), "valid",
		       "exp = iat + 31 days exactly is valid");
	}
#undef ISS
#undef EXP
#undef IAT
#undef CTI
#undef HCK
#undef HC

	protected_variant("a2012604"
			  "4856475aa75463474c",
			  "alg -7 (ES256)");
	protected_variant("a2044856475aa75463474c0127", "keys in reverse order");
	protected_variant("a20127045808"
			  "56475aa75463474c",
			  "kid head in two bytes");
	protected_variant("b8020127044856475aa75463474c", "map head in two bytes");
	protected_variant("bf0127044856475aa75463474cff", "indefinite map");
	protected_variant("a3012703000448"
			  "56475aa75463474c",
			  "extra header (content type)");
	protected_variant("a201380704"
			  "4856475aa75463474c",
			  "alg -8 as 2-byte negint");
	protected_variant("a20127044956475aa75463474c00", "kid of 9 bytes");
	protected_variant("a20127046856475aa75463474c", "kid as tstr");
	protected_variant("a2012701"
			  "27",
			  "alg twice");
	protected_variant("a0", "empty protected map");
	protected_variant("", "empty protected bstr");

	/*
	 * Outer layer variants around the canonical inner layers, from the
	 * parts' hex: P protected bstr, U unprotected map, Y payload bstr, S
	 * signature bstr. Canonical: d2 84 P U Y S.
	 */
	{
		char P[128], Y[1100], S[256], ph[64], yh[1030], sh[160], v[4096];

		util_hex_encode(ph, base_prot, base_prot_len);
		util_hex_encode(yh, base_payload, base_payload_len);
		util_hex_encode(sh, base.sig, CRED_SIG_BYTES);
		snprintf(P, sizeof P, "4d%s", ph);
		snprintf(Y, sizeof Y, "5836%s", yh);
		snprintf(S, sizeof S, "5840%s", sh);
		n = cred_encode_cose(cose, sizeof cose, base_prot, base_prot_len, base_payload,
				     base_payload_len, base.sig);
		snprintf(v, sizeof v, "d284%sa0%s%s", P, Y, S);
		util_hex_encode(hex, cose, n > 0 ? (size_t)n : 0);
		is_str(hex, v, "variant parts reassemble the canonical COSE (control)");

#define VARIANT(why, ...)                                                                          \
	do {                                                                                       \
		snprintf(v, sizeof v, __VA_ARGS__);                                                \
		cose_variant(v, why);                                                              \
	} while (0)
		VARIANT("tag 18 in two bytes", "d81284%sa0%s%s", P, Y, S);
		VARIANT("tag 18 in three bytes", "d9001284%sa0%s%s", P, Y, S);
		VARIANT("tag 18 twice", "d2d284%sa0%s%s", P, Y, S);
		VARIANT("tag 0", "c084%sa0%s%s", P, Y, S);
		VARIANT("tag 98", "d86284%sa0%s%s", P, Y, S);
		VARIANT("no tag", "84%sa0%s%s", P, Y, S);
		VARIANT("array head in two bytes", "d29804%sa0%s%s", P, Y, S);
		VARIANT("indefinite array", "d29f%sa0%s%sff", P, Y, S);
		VARIANT("array of 5 items", "d285%sa0%s%sf6", P, Y, S);
		VARIANT("array of 3 items", "d283%sa0%s", P, Y);
		VARIANT("trailing byte", "d284%sa0%s%s00", P, Y, S);
		VARIANT("two credentials back to back", "d284%sa0%s%sd284%sa0%s%s", P, Y, S, P, Y,
			S);
		VARIANT("protected bstr head in two bytes", "d284580d%sa0%s%s", ph, Y, S);
		VARIANT("protected as a map, not a bstr", "d284%sa0%s%s", ph, Y, S);
		VARIANT("unprotected map head in two bytes", "d284%sb800%s%s", P, Y, S);
		VARIANT("non-empty unprotected map", "d284%sa10101%s%s", P, Y, S);
		VARIANT("unprotected kid", "d284%sa10448%.16s%s%s", P, ph + 10, Y, S);
		VARIANT("indefinite empty unprotected map", "d284%sbfff%s%s", P, Y, S);
		VARIANT("unprotected as nil", "d284%sf6%s%s", P, Y, S);
		VARIANT("payload bstr head in three bytes", "d284%sa0590036%s%s", P, yh, S);
		VARIANT("payload in an indefinite bstr", "d284%sa05f%sff%s", P, Y, S);
		VARIANT("payload nil (detached)", "d284%sa0f6%s", P, S);
		VARIANT("payload as a map, not a bstr", "d284%sa0%s%s", P, yh, S);
		VARIANT("signature head in three bytes", "d284%sa0%s590040%s", P, Y, sh);
		VARIANT("signature of 63 bytes", "d284%sa0%s583f%.126s", P, Y, sh);
		VARIANT("signature of 65 bytes", "d284%sa0%s5841%s00", P, Y, sh);
		VARIANT("signature in an indefinite bstr", "d284%sa0%s5f%sff", P, Y, S);
		VARIANT("items in the wrong order", "d284%sa0%s%s", P, S, Y);
#undef VARIANT
	}

	/* Hostile CBOR that must be refused without a crash or a big allocation. */
	{
		char v[4096];
		size_t k = 0;
		for (int d = 0; d < 680; d++)
			k += (size_t)snprintf(v + k, sizeof v - k, "81");
		snprintf(v + k, sizeof v - k, "00");
		cose_variant(v, "680 nested arrays");
		k = 0;
		for (int d = 0; d < 680; d++)
			k += (size_t)snprintf(v + k, sizeof v - k, "d2");
		snprintf(v + k, sizeof v - k, "00");
		cose_variant(v, "680 nested tags");
		k = (size_t)snprintf(v, sizeof v, "d284");
		for (int d = 0; d < 600; d++)
			k += (size_t)snprintf(v + k, sizeof v - k, "a1");
		cose_variant(v, "600 nested maps, no content");
		cose_variant("9b0fffffffffffffff00", "array of 2^60 items");
		cose_variant("9a10000000", "array of 2^28 items");
		cose_variant("bb0fffffffffffffff", "map of 2^60 entries");
		cose_variant("d2845bffffffffffffffff", "bstr of 2^64-1 bytes");
		cose_variant("d2847bffffffffffffffff", "tstr of 2^64-1 bytes");
		cose_variant("d2849fffffffff", "array of 4 with indefinite item");
		cose_variant("d28400000000", "four integers");
		cose_variant("d284f7f6f5f4", "simple values");
		cose_variant("fb7ff8000000000000", "a NaN");
		cose_variant("ff", "a lone break");
		cose_variant("1c", "reserved additional info");
		cose_variant("", "no bytes at all");
	}

	/* The parser's text gate. */
	{
		struct cred cr;
		is_int(cred_parse(&cr, "", 0), AK_EINVAL, "empty text");
		is_int(cred_parse(&cr, "AK1", 3), AK_EINVAL, "prefix cut short");
		is_int(cred_parse(&cr, "AK1:", 4), AK_EINVAL, "prefix only");
		char big[CRED_TEXT_MAX + 2];
		memset(big, '0', sizeof big);
		memcpy(big, CRED_PREFIX, CRED_PREFIX_LEN);
		is_int(cred_parse(&cr, big, CRED_TEXT_MAX + 1), AK_EINVAL, "1025 characters");
		/* 1024 characters of zeros are 3k+1 base45 digits: malformed, but
		 * they reach the decoder, which must cope with its full size. */
		is_int(cred_parse(&cr, big, CRED_TEXT_MAX), AK_EINVAL, "1024 characters of zeros");
		is_int(cred_parse(&cr, big, CRED_TEXT_MAX - 1), AK_EINVAL,
		       "1023 characters of zeros");
	}
}

/* ------------------------------------------------------------ claims */

static struct cred_claims sample_claims(void)
{
	struct cred_claims c = {.iss = "CN-AH",
				.iat = 1767225600,
				.exp = 1767226200,
				.name = "Zhang San",
				.status = CRED_GREEN};
	memset(c.cti, 0x42, sizeof c.cti);
	return c;
}

static void test_claims_check(void)
{
	struct cred_claims c;
	char out[CRED_TEXT_MAX + 1];

	c = sample_claims();
	is_int(cred_claims_check(&c), 0, "sample claims pass");
	c.exp = c.iat;
	is_int(cred_claims_check(&c), AK_EINVAL, "exp == iat");
	c.exp = c.iat - 1;
	is_int(cred_claims_check(&c), AK_EINVAL, "exp < iat");
	c.exp = c.iat + CRED_MAX_VALIDITY;
	is_int(cred_claims_check(&c), 0, "exp = iat + 31 days");
	c.exp = c.iat + CRED_MAX_VALIDITY + 1;
	is_int(cred_claims_check(&c), AK_EINVAL, "exp = iat + 31 days + 1");
	c = sample_claims();
	c.iat = UINT64_MAX - 10, c.exp = UINT64_MAX;
	is_int(cred_claims_check(&c), 0, "times near 2^64 are in range");

	c = sample_claims();
	c.status = (enum cred_status)3;
	is_int(cred_claims_check(&c), AK_EINVAL, "status 3");
	c.status = (enum cred_status) - 1;
	is_int(cred_claims_check(&c), AK_EINVAL, "status -1");
	c.status = CRED_RED;
	is_int(cred_claims_check(&c), 0, "status red");

	c = sample_claims();
	memset(c.iss, 'A', CRED_ISS_MAX);
	c.iss[CRED_ISS_MAX] = '\0';
	is_int(cred_claims_check(&c), 0, "iss of 32 characters");
	memset(c.iss, 'A', sizeof c.iss);
	is_int(cred_claims_check(&c), AK_EINVAL, "iss without a NUL");
	strcpy(c.iss, "");
	is_int(cred_claims_check(&c), AK_EINVAL, "empty iss");
	strcpy(c.iss, "a.b-C9");
	is_int(cred_claims_check(&c), 0, "iss with . and -");
	strcpy(c.iss, "CN AH");
	is_int(cred_claims_check(&c), AK_EINVAL, "iss with a space");
	strcpy(c.iss, "CN_AH");
	is_int(cred_claims_check(&c), AK_EINVAL, "iss with an underscore");
	strcpy(c.iss, "CN-\xc3\xa9");
	is_int(cred_claims_check(&c), AK_EINVAL, "iss with non-ASCII");

	c = sample_claims();
	memset(c.name, 'a', CRED_NAME_MAX);
	c.name[CRED_NAME_MAX] = '\0';
	is_int(cred_claims_check(&c), 0, "name of 128 bytes");
	memset(c.name, 'a', sizeof c.name);
	is_int(cred_claims_check(&c), AK_EINVAL, "name of 129 bytes (no NUL)");
	strcpy(c.name, "");
	is_int(cred_claims_check(&c), AK_EINVAL, "empty name");
	strcpy(c.name, "a\x1f");
	is_int(cred_claims_check(&c), AK_EINVAL, "name with U+001F");
	strcpy(c.name, "a\x7f");
	is_int(cred_claims_check(&c), AK_EINVAL, "name with U+007F");
	strcpy(c.name, "a\t");
	is_int(cred_claims_check(&c), AK_EINVAL, "name with a tab");
	strcpy(c.name, "\xc2\x80\xc2\x9f");
	is_int(cred_claims_check(&c), 0, "name with C1 controls (allowed by FORMAT.md)");
	strcpy(c.name, "\xe5\xbc\xa0");
	is_int(cred_claims_check(&c), 0, "name of one CJK character");
	strcpy(c.name, "\xe5\xbc");
	is_int(cred_claims_check(&c), AK_EINVAL, "name with a cut UTF-8 sequence");
	strcpy(c.name, "\xc0\xa0");
	is_int(cred_claims_check(&c), AK_EINVAL, "name with an overlong space");
	strcpy(c.name, "\xf0\x9f\x98\x80");
	is_int(cred_claims_check(&c), 0, "name with a 4-byte character");

	/* cred_name_valid is the name rule on its own, on exact lengths. */
	ok(cred_name_valid("\xe5\xbc\xa0\xe4\xb8\x89", 6), "cred_name_valid: two CJK characters");
	ok(!cred_name_valid("\xe5\xbc\xa0\xe4\xb8\x89", 5), "cred_name_valid: cut UTF-8");
	ok(!cred_name_valid("a\0b", 3), "cred_name_valid: embedded NUL");
	ok(!cred_name_valid("a", 0), "cred_name_valid: empty");

	/* cred_issue refuses what the check refuses, and small buffers. */
	c = sample_claims();
	c.exp = c.iat;
	is_int(cred_issue(out, sizeof out, &c, signer), AK_EINVAL, "cred_issue: bad claims");
	c = sample_claims();
	is_int(cred_issue(out, CRED_TEXT_MAX, &c, signer), AK_ETOOBIG, "cred_issue: cap 1024");
	ok(cred_issue(out, sizeof out, &c, signer) > 0, "cred_issue: cap 1025");
}

static void test_words(void)
{
	static const char *const results[] = {"valid",         "malformed",     "unknown_key",
					      "bad_signature", "not_yet_valid", "expired",
					      "revoked",       "superseded"};
	int all = 1;

	for (int r = 0; r < CRED_RESULT_COUNT; r++) {
		if (strcmp(cred_result_word((enum cred_result)r), results[r]) != 0 ||
		    cred_result_parse(results[r], strlen(results[r])) != r)
			all = 0;
	}
	ok(all, "result words and their parse, in FORMAT.md's order");
	is_str(cred_result_word((enum cred_result)CRED_RESULT_COUNT), "malformed",
	       "out-of-range result is malformed");
	is_str(cred_result_word((enum cred_result) - 1), "malformed",
	       "negative result is malformed");
	is_int(cred_result_parse("valid", 4), -1, "a prefix of a word is not the word");
	is_int(cred_result_parse("VALID", 5), -1, "words are lowercase");
	is_int(cred_result_parse("valid\n", 6), -1, "no trailing newline");
	is_str(cred_status_word(0), "green", "status 0");
	is_str(cred_status_word(1), "yellow", "status 1");
	is_str(cred_status_word(2), "red", "status 2");
	ok(cred_status_word(3) == NULL && cred_status_word(-1) == NULL, "no other statuses");
	is_int(cred_status_parse("yellow", 6), 1, "parse yellow");
	is_int(cred_status_parse("red", 3), 2, "parse red");
	is_int(cred_status_parse("redd", 4), -1, "parse redd");
	ok(cred_result_shows_data(CRED_VALID) && cred_result_shows_data(CRED_REVOKED) &&
	       cred_result_shows_data(CRED_SUPERSEDED),
	   "valid, revoked and superseded show data");
	ok(!cred_result_shows_data(CRED_MALFORMED) && !cred_result_shows_data(CRED_UNKNOWN_KEY) &&
	       !cred_result_shows_data(CRED_BAD_SIGNATURE) &&
	       !cred_result_shows_data(CRED_NOT_YET_VALID) && !cred_result_shows_data(CRED_EXPIRED),
	   "no other result shows data");
}

/* ------------------------------------------------------------ cred_check */

static void test_check(void)
{
	struct cred c = base;
	struct cred_issuer two[2];
	struct cred_trust t = trust_at(c.claims.iat, 0);
	uint8_t list[3][CRED_CTI_BYTES];

	is_int(cred_check(&t, &c), CRED_VALID, "base credential valid at iat");

	/* The issuer window, inclusive at both ends. */
	struct cred_issuer w = issuer;
	t.issuers = &w;
	w.not_before = c.claims.iat;
	is_int(cred_check(&t, &c), CRED_VALID, "iat == not_before");
	/* cppcheck-suppress redundantAssignment ; cred_check reads w through t */
	w.not_before = c.claims.iat + 1;
	is_int(cred_check(&t, &c), CRED_UNKNOWN_KEY, "iat == not_before - 1");
	/* cppcheck-suppress redundantAssignment ; as above */
	w.not_before = 0, w.not_after = c.claims.iat;
	is_int(cred_check(&t, &c), CRED_VALID, "iat == not_after");
	w.not_after = c.claims.iat - 1;
	is_int(cred_check(&t, &c), CRED_UNKNOWN_KEY, "iat == not_after + 1");
	t.n_issuers = 0;
	is_int(cred_check(&t, &c), CRED_UNKNOWN_KEY, "no issuers at all");

	/* Two entries with this kid: a wrong key first must not hide the right one. */
	two[0] = issuer, two[1] = issuer;
	two[0].pk[0] ^= 1;
	t.issuers = two, t.n_issuers = 2;
	is_int(cred_check(&t, &c), CRED_VALID, "second entry with the same kid verifies");
	two[1].pk[0] ^= 1;
	is_int(cred_check(&t, &c), CRED_BAD_SIGNATURE, "both entries with the kid wrong");
	two[1] = issuer;
	/* cppcheck-suppress unreadVariable ; cred_check reads two through t */
	two[1].not_after = c.claims.iat - 1;
	is_int(cred_check(&t, &c), CRED_BAD_SIGNATURE,
	       "the right key outside its window is not tried");

	/* Order: unknown_key before bad_signature before time before revoked. */
	t = trust_at(c.claims.exp + 1000, 0);
	c.sig[0] ^= 1;
	is_int(cred_check(&t, &c), CRED_BAD_SIGNATURE, "bad signature and expired: bad_signature");
	c.kid[0] ^= 1;
	is_int(cred_check(&t, &c), CRED_UNKNOWN_KEY, "unknown kid, bad signature: unknown_key");
	c = base;
	memcpy(list[0], c.claims.cti, CRED_CTI_BYTES);
	t.revoked = (const uint8_t(*)[CRED_CTI_BYTES])list, t.n_revoked = 1;
	is_int(cred_check(&t, &c), CRED_EXPIRED, "expired and revoked: expired");
	t.now = 0;
	is_int(cred_check(&t, &c), CRED_NOT_YET_VALID, "now 0: not_yet_valid");
	t.now = c.claims.iat;
	is_int(cred_check(&t, &c), CRED_REVOKED, "revoked");

	/* Clock boundaries with skew 0 and extreme values. */
	t = trust_at(c.claims.iat, 0);
	t.skew = 0;
	is_int(cred_check(&t, &c), CRED_VALID, "skew 0, now == iat");
	t.now = c.claims.iat - 1;
	is_int(cred_check(&t, &c), CRED_NOT_YET_VALID, "skew 0, now == iat - 1");
	t.now = c.claims.exp;
	is_int(cred_check(&t, &c), CRED_VALID, "skew 0, now == exp");
	t.now = c.claims.exp + 1;
	is_int(cred_check(&t, &c), CRED_EXPIRED, "skew 0, now == exp + 1");
	t.now = UINT64_MAX;
	is_int(cred_check(&t, &c), CRED_EXPIRED, "now 2^64-1: expired, no overflow");
	t.skew = UINT64_MAX;
	is_int(cred_check(&t, &c), CRED_VALID, "skew 2^64-1 accepts any time");
	t.now = 0;
	is_int(cred_check(&t, &c), CRED_VALID, "skew 2^64-1 at now 0");

	/* cred_is_revoked on a sorted list of three. */
	t = trust_at(c.claims.iat, 0);
	memset(list[0], 0x00, CRED_CTI_BYTES);
	memcpy(list[1], c.claims.cti, CRED_CTI_BYTES);
	memset(list[2], 0xff, CRED_CTI_BYTES);
	qsort(list, 3, sizeof list[0], cti_cmp);
	t.revoked = (const uint8_t(*)[CRED_CTI_BYTES])list, t.n_revoked = 3;
	ok(cred_is_revoked(&t, list[0]) && cred_is_revoked(&t, list[1]) &&
	       cred_is_revoked(&t, list[2]),
	   "first, middle and last entries are revoked");
	uint8_t other[CRED_CTI_BYTES];
	memset(other, 0x80, sizeof other);
	ok(!cred_is_revoked(&t, other), "an absent cti is not revoked");
	t.n_revoked = 0;
	ok(!cred_is_revoked(&t, list[1]), "an empty list revokes nothing");
	t.revoked = NULL, t.n_revoked = 5;
	ok(!cred_is_revoked(&t, list[1]), "a NULL list revokes nothing");
}

/* ------------------------------------------------------------ properties */

static uint32_t rnd(uint32_t n)
{
	return randombytes_uniform(n);
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A random code point of a kind of name: 0 CJK, 1 Latin, 2 anything mixed. */
static uint32_t random_cp(int kind)
{
	static const uint32_t latin_extra[] = {0xb7,  0xe9,  0xfc, 0xf1, 0x101,
					       0x14d, 0x2bb, '\'', '-',  ' '};
	if (kind == 2)
		kind = (int)rnd(5);
	switch (kind) {
	case 0:
		return 0x4e00 + rnd(0x9fff - 0x4e00 + 1);
	case 1:
		if (rnd(4) == 0)
			return latin_extra[rnd(AK_ARRAY_LEN(latin_extra))];
		return (rnd(2) ? 'a' : 'A') + rnd(26);
	case 2:
		return 0x20000 + rnd(0xa6df); /* CJK extension B, 4 bytes */
	case 3:
		return 0x80 + rnd(0x7ff - 0x80 + 1); /* any 2-byte character, C1 included */
	default:
		return 0x20 + rnd(0x7f - 0x20); /* printable ASCII, not DEL */
	}
}

/*
 * A random name: code points appended while they fit, so the string is
 * cut on a UTF-8 boundary at or below a random length of 1..128 bytes.
 */
static void random_name(char *out, int kind)
{
	size_t target = 1 + rnd(CRED_NAME_MAX), len = 0;
	char buf[4];

	for (int tries = 0; tries < 400; tries++) {
		size_t n = put_utf8(buf, random_cp(kind));
		if (len + n > target)
			continue;
		memcpy(out + len, buf, n);
		len += n;
		if (len == target)
			break;
	}
	if (len == 0)
		out[len++] = 'A';
	out[len] = '\0';
}

static void random_claims(struct cred_claims *c, int kind)
{
	static const char iss_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789.-";
	size_t iss_len = 1 + rnd(CRED_ISS_MAX);

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < iss_len; i++)
		c->iss[i] = iss_chars[rnd(sizeof iss_chars - 1)];
	c->iat = WINDOW_NOT_BEFORE + rnd(WINDOW_NOT_AFTER - WINDOW_NOT_BEFORE + 1);
	switch (rnd(3)) {
	case 0:
		c->exp = c->iat + 1;
		break;
	case 1:
		c->exp = c->iat + CRED_MAX_VALIDITY;
		break;
	default:
		c->exp = c->iat + 1 + rnd(CRED_MAX_VALIDITY);
	}
	randombytes_buf(c->cti, sizeof c->cti);
	random_name(c->name, kind);
	c->status = (enum cred_status)rnd(3);
}

static void test_round_trip_property(void)
{
	const int count = 1500;
	int issued = 0, valid = 0, same = 0, longest = 0;

	for (int i = 0; i < count; i++) {
		struct cred_claims c;
		struct cred back;
		char text[CRED_TEXT_MAX + 1];
		int len;

		random_claims(&c, i % 3);
		if ((len = cred_issue(text, sizeof text, &c, signer)) <= 0) {
			diag("random claims %d: cred_issue returned %d", i, len);
			continue;
		}
		issued++;
		if (len > longest)
			longest = len;
		/* Any time within iat - skew .. exp + skew. */
		uint64_t span = c.exp - c.iat + 2 * skew;
		struct cred_trust t = trust_at(c.iat - skew + rnd((uint32_t)span + 1), 0);
		if (cred_verify(&t, text, (size_t)len, &back) != CRED_VALID) {
			diag("random claims %d: not valid", i);
			continue;
		}
		valid++;
		if (claims_equal(&c, &back.claims))
			same++;
		else
			diag("random claims %d: claims differ after the round trip", i);
	}
	ok(issued == count && valid == count && same == count,
	   "%d random claims: issued %d, valid %d, same claims %d", count, issued, valid, same);
	ok(longest <= CRED_TEXT_MAX, "longest random credential %d characters", longest);
}

/* Flips every bit of the credential's COSE bytes: never valid. */
static void tamper_bits(const char *text, const char *label)
{
	uint8_t cose[CRED_COSE_MAX], flip[CRED_COSE_MAX];
	char t2[2 * CRED_TEXT_MAX];
	size_t n, tries = 0, valid = 0;
	struct cred_trust t;
	struct cred cr;

	if (cred_parse(&cr, text, strlen(text)) != 0 ||
	    b45_decode(cose, sizeof cose, &n, text + CRED_PREFIX_LEN,
		       strlen(text) - CRED_PREFIX_LEN) != 0) {
		ok(0, "%s: parses before tampering", label);
		return;
	}
	t = trust_at(cr.claims.iat, 0);
	for (size_t bit = 0; bit < n * 8; bit++) {
		memcpy(flip, cose, n);
		flip[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		size_t len = wrap_text(t2, sizeof t2, flip, n);
		tries++;
		if (cred_verify(&t, t2, len, NULL) == CRED_VALID)
			valid++;
	}
	ok(tries == n * 8 && valid == 0, "%s: none of %zu single-bit flips is valid", label, tries);
}

/* Changes every character to every other alphabet character and a few
 * non-alphabet ones; also deletes each character. Never valid. */
static void tamper_chars(const char *text, const char *label)
{
	static const char others[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:az_=\n\x80\xff";
	size_t len = strlen(text), tries = 0, valid = 0;
	char t2[CRED_TEXT_MAX + 2];
	struct cred_trust t;
	struct cred cr;

	if (cred_parse(&cr, text, len) != 0) {
		ok(0, "%s: parses before tampering", label);
		return;
	}
	t = trust_at(cr.claims.iat, 0);
	for (size_t i = 0; i < len; i++) {
		/* sizeof others includes its NUL, which is tried too. */
		for (size_t k = 0; k < sizeof others; k++) {
			if (others[k] == text[i])
				continue;
			memcpy(t2, text, len);
			t2[i] = others[k];
			tries++;
			if (cred_verify(&t, t2, len, NULL) == CRED_VALID)
				valid++;
		}
		memcpy(t2, text, i);
		memcpy(t2 + i, text + i + 1, len - i - 1);
		tries++;
		if (cred_verify(&t, t2, len - 1, NULL) == CRED_VALID)
			valid++;
	}
	for (size_t cut = 0; cut < len; cut++) {
		tries++;
		if (cred_verify(&t, text, cut, NULL) == CRED_VALID)
			valid++;
	}
	ok(valid == 0, "%s: none of %zu character changes, deletions, truncations is valid", label,
	   tries);
}

static void test_tamper_property(void)
{
	const json_t *cases = json_object_get(vectors, "cases");
	struct cred_claims c;
	char text[CRED_TEXT_MAX + 1];

	tamper_bits(jstr(json_array_get(cases, 0), "credential"), "vector 0");
	tamper_chars(jstr(json_array_get(cases, 0), "credential"), "vector 0");
	tamper_bits(jstr(json_array_get(cases, 3), "credential"), "vector 3 (128-byte name)");
	tamper_chars(jstr(json_array_get(cases, 3), "credential"), "vector 3 (128-byte name)");
	for (int k = 0; k < 3; k++) {
		char label[32];
		random_claims(&c, k);
		if (cred_issue(text, sizeof text, &c, signer) <= 0)
			bail_out("cred_issue failed on random claims");
		snprintf(label, sizeof label, "random credential %d", k);
		tamper_bits(text, label);
		tamper_chars(text, label);
	}
}

int main(void)
{
	setup();
	test_trust_list_agrees();
	test_vectors();
	test_layers();
	test_reissue();
	test_strict();
	test_claims_check();
	test_words();
	test_check();
	test_round_trip_property();
	test_tamper_property();
	key_signer_free(signer);
	free(revoked);
	revoc_free(&revocations);
	json_decref(vectors);
	json_decref(lists);
	return tap_done();
}
