/*
 * test_lists: trust lists, revocation lists and checkpoints (crypto/trust,
 * revoc, checkpoint) against tests/vectors/lists.json: each vector opens
 * under its key, formats back to the very same text, and re-signing that
 * text reproduces the note byte for byte. Then the tampered twins, and a
 * table of near-miss texts per kind that the strict parsers must refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/cred.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"
#include "crypto/note.h"
#include "crypto/note_sign.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"
#include "tests/lib/tap.h"

static json_t *vectors;

static const char *vec(const char *group, const char *field)
{
	json_t *g = group != NULL ? json_object_get(vectors, group) : vectors;
	const char *s = json_string_value(json_object_get(g, field));
	if (s == NULL)
		bail_out("missing field in tests/vectors/lists.json");
	return s;
}

static struct key_verifier parse_vkey(const char *text)
{
	struct key_verifier v;
	if (key_verifier_parse(&v, text, strlen(text)) != 0)
		bail_out("a vector's verifier key does not parse");
	return v;
}

static key_signer *parse_skey(const char *text)
{
	key_signer *k = NULL;
	if (key_signer_parse(&k, text, strlen(text)) != 0)
		bail_out("a vector's signer key does not parse");
	return k;
}

/* The text part of a note: everything through the first "\n\n", minus one "\n". */
static size_t text_len_of(const char *note)
{
	const char *sep = strstr(note, "\n\n");
	if (sep == NULL)
		bail_out("vector note without a separator");
	return (size_t)(sep - note) + 1;
}

/* Signs text with k and compares with the vector's note. */
static void resign(const char *note, size_t tlen, const key_signer *k, const char *what)
{
	const key_signer *signers[1] = {k};
	char *out = NULL;
	size_t outlen = 0;

	is_int(note_sign(&out, &outlen, note, tlen, signers, 1), 0, "%s: re-sign", what);
	ok(out != NULL && outlen == strlen(note) && memcmp(out, note, outlen) == 0,
	   "%s: re-signing reproduces the note byte for byte", what);
	free(out);
}

/* ---------------------------------------------------------------- keys */

static void test_keys(void)
{
	static const char *const groups[] = {"root_key", "log_key"};
	static const char *const names[] = {"ankang.test/root", "ankang.test/audit"};

	for (size_t i = 0; i < 2; i++) {
		const char *skey = vec(groups[i], "skey"), *vkey = vec(groups[i], "vkey");
		char out[KEY_SKEY_MAX + 1];
		uint8_t seed[KEY_SEED_BYTES];
		key_signer *k = parse_skey(skey), *k2 = NULL;

		ok(key_verifier_format(out, sizeof out, key_signer_verifier(k)) > 0 &&
		       strcmp(out, vkey) == 0,
		   "%s: signer key's verifier is the vector's", groups[i]);
		if (util_hex_decode_lower(seed, sizeof seed, vec(groups[i], "seed"), 64) != 0)
			bail_out("seed hex");
		is_int(key_signer_from_seed(&k2, names[i], seed), 0, "%s: from seed", groups[i]);
		ok(key_signer_format(k2, out, sizeof out) == (int)strlen(skey) &&
		       strcmp(out, skey) == 0,
		   "%s: seed gives the same signer key text", groups[i]);
		sodium_memzero(out, sizeof out);
		sodium_memzero(seed, sizeof seed);
		key_signer_free(k);
		key_signer_free(k2);
	}
}

/* ---------------------------------------------------------- trust list */

static void test_trust(void)
{
	const char *note = vec(NULL, "trust_list");
	struct key_verifier root = parse_vkey(vec("root_key", "vkey"));
	struct key_verifier logk = parse_vkey(vec("log_key", "vkey"));
	key_signer *rk = parse_skey(vec("root_key", "skey"));
	size_t tlen = text_len_of(note), len = 0;
	struct trust_list t;
	char kid[17], vk[KEY_VKEY_MAX + 1];
	char *text = NULL;

	is_int(trust_open(&t, note, strlen(note), &root), 0, "trust list opens under the root key");
	is_str(t.origin, "ankang.test", "  origin");
	ok(t.issued == 1767225600, "  issued");
	is_int(t.n_issuers, 1, "  one issuer");
	util_hex_encode(kid, t.issuers[0].kid, 8);
	is_str(kid, "56475aa75463474c", "  issuer kid");
	ok(t.issuers[0].not_before == 1767139200 && t.issuers[0].not_after == 1798761600,
	   "  issuer window");
	key_verifier_format(vk, sizeof vk, &t.log_key);
	is_str(vk, vec("log_key", "vkey"), "  log key");
	ok(t.log_key.id == logk.id, "  log key id");

	is_int(trust_format(&text, &len, &t), 0, "trust_format");
	ok(text != NULL && len == tlen && memcmp(text, note, tlen) == 0 && text[len] == '\0',
	   "trust_format gives the exact text");
	free(text);
	resign(note, tlen, rk, "trust list");

	is_int(trust_open(&t, vec("bad", "trust_list_text_changed"),
			  strlen(vec("bad", "trust_list_text_changed")), &root),
	       AK_ECRYPTO, "trust list with a changed window: AK_ECRYPTO");
	ok(t.n_issuers == 0, "  and nothing is left in the struct");
	is_int(trust_open(&t, note, strlen(note), &logk), AK_ENOENT,
	       "trust list opened with the log key: AK_ENOENT");

	/* A root key for another origin must not vouch for this list. */
	{
		key_signer *other = NULL;
		uint8_t seed[KEY_SEED_BYTES] = {7};
		char *signed_note = NULL;
		size_t n = 0;
		key_signer_from_seed(&other, "other.test/root", seed);
		const key_signer *s[1] = {other};
		note_sign(&signed_note, &n, note, tlen, s, 1);
		is_int(trust_open(&t, signed_note, n, key_signer_verifier(other)), AK_EINVAL,
		       "signed by other.test/root: origin rule refuses it");
		free(signed_note);
		key_signer_free(other);
		key_signer_from_seed(&other, "ankang.test/rootx", seed);
		s[0] = other;
		note_sign(&signed_note, &n, note, tlen, s, 1);
		is_int(trust_open(&t, signed_note, n, key_signer_verifier(other)), AK_EINVAL,
		       "signed by ankang.test/rootx: origin rule refuses it");
		free(signed_note);
		key_signer_free(other);
	}

	/* trust_format refuses what trust_parse would refuse. */
	{
		struct trust_list good, bad;
		char *out = NULL;
		trust_parse(&good, note, tlen);

		bad = good;
		bad.n_issuers = 0;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL, "format refuses: no issuers");
		bad = good;
		bad.issuers[0].not_before = bad.issuers[0].not_after + 1;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL,
		       "format refuses: window inverted");
		bad = good;
		bad.issuers[0].kid[7] ^= 1;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL,
		       "format refuses: kid not of the key");
		bad = good;
		bad.issuers[1] = bad.issuers[0];
		bad.n_issuers = 2;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL, "format refuses: repeated kid");
		bad = good;
		strcpy(bad.origin, "ankang test");
		is_int(trust_format(&out, &len, &bad), AK_EINVAL, "format refuses: bad origin");
		bad = good;
		bad.origin[0] = '\0';
		is_int(trust_format(&out, &len, &bad), AK_EINVAL, "format refuses: empty origin");
		bad = good;
		bad.log_key.id ^= 1;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL, "format refuses: log key id");
		bad = good;
		bad.n_issuers = TRUST_MAX_ISSUERS + 1;
		is_int(trust_format(&out, &len, &bad), AK_EINVAL,
		       "format refuses: too many issuers");
		ok(out == NULL, "  nothing allocated");

		/* A full list of TRUST_MAX_ISSUERS formats and parses back. */
		bad = good;
		for (size_t i = 0; i < TRUST_MAX_ISSUERS; i++) {
			struct cred_issuer *is = &bad.issuers[i];
			memset(is->pk, (int)i, sizeof is->pk);
			cred_kid(is->kid, is->pk);
			is->not_before = UINT64_MAX - 1;
			is->not_after = UINT64_MAX;
		}
		bad.n_issuers = TRUST_MAX_ISSUERS;
		bad.issued = UINT64_MAX;
		memset(bad.origin, 'o', TRUST_ORIGIN_MAX);
		bad.origin[TRUST_ORIGIN_MAX] = '\0';
		is_int(trust_format(&out, &len, &bad), 0, "a maximal trust list formats");
		ok(len <= TRUST_TEXT_MAX, "  within TRUST_TEXT_MAX");
		is_int(trust_parse(&good, out, len), 0, "  and parses back");
		ok(good.n_issuers == TRUST_MAX_ISSUERS &&
		       memcmp(&good.issuers, &bad.issuers, sizeof good.issuers) == 0,
		   "  to the same issuers");
		free(out);
	}
	key_signer_free(rk);
}

/*
 * Near misses of a trust list text: each is the vector's text with one
 * surprise. P is the pubkey, L the log line.
 */
#define T_HEAD "ankang/trust/v1\nankang.test\n1767225600\n"
#define T_KID  "56475aa75463474c"
#define T_PK   "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
#define T_ISS  "issuer " T_KID " " T_PK " 1767139200 1798761600\n"
#define T_LOG  "log ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK\n"

static void test_trust_strict(void)
{
	static const struct {
		const char *desc, *text;
	} bad[] = {
	    {"wrong magic", "ankang/trust/v2\nankang.test\n1767225600\n" T_ISS T_LOG},
	    {"magic with trailing space",
	     "ankang/trust/v1 \nankang.test\n1767225600\n" T_ISS T_LOG},
	    {"empty origin", "ankang/trust/v1\n\n1767225600\n" T_ISS T_LOG},
	    {"origin with a space", "ankang/trust/v1\nankang test\n1767225600\n" T_ISS T_LOG},
	    {"origin with '+'", "ankang/trust/v1\nankang+test\n1767225600\n" T_ISS T_LOG},
	    {"issued with a leading zero",
	     "ankang/trust/v1\nankang.test\n01767225600\n" T_ISS T_LOG},
	    {"issued with '+'", "ankang/trust/v1\nankang.test\n+1767225600\n" T_ISS T_LOG},
	    {"issued negative", "ankang/trust/v1\nankang.test\n-1\n" T_ISS T_LOG},
	    {"issued overflows",
	     "ankang/trust/v1\nankang.test\n18446744073709551616\n" T_ISS T_LOG},
	    {"issued empty", "ankang/trust/v1\nankang.test\n\n" T_ISS T_LOG},
	    {"not_before with a leading zero",
	     T_HEAD "issuer " T_KID " " T_PK " 01767139200 1798761600\n" T_LOG},
	    {"extra space between fields",
	     T_HEAD "issuer " T_KID "  " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"two spaces after issuer",
	     T_HEAD "issuer  " T_KID " " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"trailing space", T_HEAD "issuer " T_KID " " T_PK " 1767139200 1798761600 \n" T_LOG},
	    {"tab separator", T_HEAD "issuer " T_KID "\t" T_PK " 1767139200 1798761600\n" T_LOG},
	    {"extra field", T_HEAD "issuer " T_KID " " T_PK " 1767139200 1798761600 1\n" T_LOG},
	    {"missing field", T_HEAD "issuer " T_KID " " T_PK " 1767139200\n" T_LOG},
	    {"uppercase kid hex",
	     T_HEAD "issuer 56475AA75463474C " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"kid not matching the key",
	     T_HEAD "issuer 56475aa75463474d " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"short kid", T_HEAD "issuer 56475aa75463474 " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"non-canonical base64 key",
	     T_HEAD "issuer " T_KID " A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh= 1767139200 "
		    "1798761600\n" T_LOG},
	    {"key without padding",
	     T_HEAD "issuer " T_KID " A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg 1767139200 "
		    "1798761600\n" T_LOG},
	    {"not_before > not_after",
	     T_HEAD "issuer " T_KID " " T_PK " 1798761600 1767139200\n" T_LOG},
	    {"repeated issuer", T_HEAD T_ISS T_ISS T_LOG},
	    {"missing log line", T_HEAD T_ISS},
	    {"log line before issuers", T_HEAD T_LOG T_ISS},
	    {"two log lines", T_HEAD T_ISS T_LOG T_LOG},
	    {"no issuers", T_HEAD T_LOG},
	    {"log key with a wrong id", T_HEAD T_ISS
	     "log ankang.test/audit+f1b26f1e+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK\n"},
	    {"log key text with trailing space", T_HEAD T_ISS
	     "log ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK "
	     "\n"},
	    {"unknown line", T_HEAD T_ISS "witness x\n" T_LOG},
	    {"blank line", T_HEAD T_ISS "\n" T_LOG},
	    {"no final newline", T_HEAD T_ISS
	     "log ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK"},
	    {"trailing junk", T_HEAD T_ISS T_LOG "x"},
	    {"CRLF line ends", "ankang/trust/v1\r\nankang.test\r\n1767225600\r\n" T_ISS T_LOG},
	    {"Issuer capitalised",
	     T_HEAD "Issuer " T_KID " " T_PK " 1767139200 1798761600\n" T_LOG},
	    {"empty", ""},
	};
	struct trust_list t;

	is_int(trust_parse(&t, T_HEAD T_ISS T_LOG, strlen(T_HEAD T_ISS T_LOG)), 0,
	       "the near-miss template itself parses");
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		is_int(trust_parse(&t, bad[i].text, strlen(bad[i].text)), AK_EINVAL,
		       "trust_parse refuses: %s", bad[i].desc);

	/* TRUST_MAX_ISSUERS + 1 issuer lines (distinct keys). */
	{
		size_t cap = 200 * (TRUST_MAX_ISSUERS + 2), at = 0;
		char *text = malloc(cap);
		at += (size_t)snprintf(text + at, cap - at, "%s", T_HEAD);
		for (int i = 0; i <= TRUST_MAX_ISSUERS; i++) {
			uint8_t pk[32], kid[8];
			char kh[17], pb[45];
			memset(pk, i, sizeof pk);
			cred_kid(kid, pk);
			util_hex_encode(kh, kid, 8);
			util_b64_encode(pb, pk, 32);
			at += (size_t)snprintf(text + at, cap - at, "issuer %s %s 1 2\n", kh, pb);
		}
		at += (size_t)snprintf(text + at, cap - at, "%s", T_LOG);
		is_int(trust_parse(&t, text, at), AK_EINVAL,
		       "trust_parse refuses: too many issuers");
		free(text);
	}
	{
		char *big = malloc(TRUST_TEXT_MAX + 1);
		memset(big, 'a', TRUST_TEXT_MAX + 1);
		is_int(trust_parse(&t, big, TRUST_TEXT_MAX + 1), AK_EINVAL,
		       "trust_parse refuses: longer than TRUST_TEXT_MAX");
		free(big);
	}
}

/* ----------------------------------------------------- revocation list */

static void test_revoc(void)
{
	const char *note = vec(NULL, "revocation_list");
	struct key_verifier root = parse_vkey(vec("root_key", "vkey"));
	struct key_verifier logk = parse_vkey(vec("log_key", "vkey"));
	key_signer *rk = parse_skey(vec("root_key", "skey"));
	size_t tlen = text_len_of(note), len = 0;
	struct revoc_list r = {0};
	char hex[33], *text = NULL;

	is_int(revoc_open(&r, note, strlen(note), &root), 0, "revocation list opens");
	is_str(r.origin, "ankang.test", "  origin");
	ok(r.issued == 1767225630, "  issued");
	is_int(r.n, 2, "  two ctis");
	util_hex_encode(hex, r.cti[0], 16);
	is_str(hex, "000102030405060708090a0b0c0d0e0f", "  first cti");
	util_hex_encode(hex, r.cti[1], 16);
	is_str(hex, "2d711642b726b04401627ca9fbac32f5", "  second cti");
	is_int(revoc_format(&text, &len, &r), 0, "revoc_format");
	ok(text != NULL && len == tlen && memcmp(text, note, tlen) == 0,
	   "revoc_format gives the exact text");
	free(text);
	resign(note, tlen, rk, "revocation list");

	/* Building a list: normalise sorts and removes repeats. */
	{
		struct revoc_list b = r;
		b.cti = malloc(5 * CRED_CTI_BYTES);
		memcpy(b.cti[0], r.cti[1], 16);
		memcpy(b.cti[1], r.cti[0], 16);
		memcpy(b.cti[2], r.cti[1], 16);
		memcpy(b.cti[3], r.cti[0], 16);
		memcpy(b.cti[4], r.cti[1], 16);
		b.n = 5;
		is_int(revoc_format(&text, &len, &b), AK_EINVAL, "unsorted list does not format");
		revoc_normalise(&b);
		is_int(b.n, 2, "normalise removes repeats");
		is_int(revoc_format(&text, &len, &b), 0, "normalised list formats");
		ok(len == tlen && memcmp(text, note, tlen) == 0, "  to the vector's text");
		/* cppcheck-suppress doubleFree ; revoc_format gave a new text since */
		free(text);
		revoc_free(&b);
		ok(b.cti == NULL && b.n == 0, "revoc_free empties the list");
		revoc_free(&b);
		revoc_free(NULL);
	}
	revoc_free(&r);

	/* An empty list. */
	{
		struct revoc_list e = {0};
		const char *empty = "ankang/revocations/v1\nankang.test\n0\n";
		is_int(revoc_parse(&e, empty, strlen(empty)), 0, "an empty list parses");
		ok(e.n == 0 && e.cti == NULL, "  with no entries");
		is_int(revoc_format(&text, &len, &e), 0, "  and formats");
		ok(len == strlen(empty) && memcmp(text, empty, len) == 0, "  back to itself");
		/* cppcheck-suppress doubleFree ; revoc_format gave a new text since */
		free(text);
		revoc_normalise(&e);
		ok(e.n == 0 && e.cti == NULL, "  normalise keeps it empty");
	}

	is_int(revoc_open(&r, note, strlen(note), &logk), AK_ENOENT,
	       "revocation list opened with the log key: AK_ENOENT");
	{
		char *copy = strdup(note);
		copy[strlen("ankang/revocations/v1\nankang.test\n1767225630\n0")] = '1';
		is_int(revoc_open(&r, copy, strlen(copy), &root), AK_ECRYPTO,
		       "revocation list with a cti changed: AK_ECRYPTO");
		ok(r.n == 0 && r.cti == NULL, "  and nothing is left");
		free(copy);
	}
	key_signer_free(rk);
}

#define R_HEAD "ankang/revocations/v1\nankang.test\n1767225630\n"
#define R_A    "000102030405060708090a0b0c0d0e0f\n"
#define R_B    "2d711642b726b04401627ca9fbac32f5\n"

static void test_revoc_strict(void)
{
	static const struct {
		const char *desc, *text;
	} bad[] = {
	    {"wrong magic", "ankang/revocation/v1\nankang.test\n1767225630\n" R_A R_B},
	    {"origin with a space", "ankang/revocations/v1\nankang test\n1767225630\n" R_A},
	    {"empty origin", "ankang/revocations/v1\n\n1767225630\n" R_A},
	    {"issued with a leading zero", "ankang/revocations/v1\nankang.test\n01767225630\n" R_A},
	    {"issued with a space", "ankang/revocations/v1\nankang.test\n 1767225630\n" R_A},
	    {"issued missing", "ankang/revocations/v1\nankang.test\n"},
	    {"unsorted ctis", R_HEAD R_B R_A},
	    {"duplicate ctis", R_HEAD R_A R_A},
	    {"uppercase hex", R_HEAD "2D711642B726B04401627CA9FBAC32F5\n"},
	    {"31 hex digits", R_HEAD "000102030405060708090a0b0c0d0e0\n"},
	    {"33 hex digits", R_HEAD "000102030405060708090a0b0c0d0e0f0\n"},
	    {"space after a cti", R_HEAD "000102030405060708090a0b0c0d0e0f \n"},
	    {"non-hex character", R_HEAD "000102030405060708090a0b0c0d0e0g\n"},
	    {"blank line", R_HEAD R_A "\n" R_B},
	    {"no final newline", R_HEAD "000102030405060708090a0b0c0d0e0f"},
	    {"trailing junk", R_HEAD R_A "x"},
	    {"CRLF", "ankang/revocations/v1\r\nankang.test\r\n1767225630\r\n" R_A},
	    {"no newline after issued", "ankang/revocations/v1\nankang.test\n1767225630"},
	    {"empty", ""},
	};
	struct revoc_list r = {0};

	is_int(revoc_parse(&r, R_HEAD R_A R_B, strlen(R_HEAD R_A R_B)), 0,
	       "the near-miss template itself parses");
	revoc_free(&r);
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
		is_int(revoc_parse(&r, bad[i].text, strlen(bad[i].text)), AK_EINVAL,
		       "revoc_parse refuses: %s", bad[i].desc);
		ok(r.cti == NULL && r.n == 0, "  and leaves nothing allocated");
	}

	/* REVOC_MAX_ENTRIES entries parse; one more does not. */
	{
		size_t head = strlen(R_HEAD), n = REVOC_MAX_ENTRIES + 1;
		size_t len = head + n * 33;
		char *text = malloc(len);
		memcpy(text, R_HEAD, head);
		for (size_t i = 0; i < n; i++) {
			uint8_t cti[16] = {0};
			cti[12] = (uint8_t)(i >> 24), cti[13] = (uint8_t)(i >> 16);
			cti[14] = (uint8_t)(i >> 8), cti[15] = (uint8_t)i;
			util_hex_encode(text + head + i * 33, cti, 16);
			text[head + i * 33 + 32] = '\n';
		}
		is_int(revoc_parse(&r, text, len), AK_EINVAL,
		       "REVOC_MAX_ENTRIES + 1 entries: refused");
		is_int(revoc_parse(&r, text, len - 33), 0, "REVOC_MAX_ENTRIES entries: parse");
		is_int(r.n, REVOC_MAX_ENTRIES, "  all of them");
		revoc_free(&r);
		free(text);
	}
}

/* ---------------------------------------------------------- checkpoint */

static void test_checkpoint(void)
{
	const char *note = vec(NULL, "checkpoint");
	struct key_verifier root = parse_vkey(vec("root_key", "vkey"));
	struct key_verifier logk = parse_vkey(vec("log_key", "vkey"));
	key_signer *lk = parse_skey(vec("log_key", "skey"));
	size_t tlen = text_len_of(note);
	struct checkpoint c;
	char out[CHECKPOINT_TEXT_MAX + 1], b64[45];
	const char *bad = vec("bad", "checkpoint_signed_by_root");

	is_int(checkpoint_open(&c, note, strlen(note), &logk), 0,
	       "checkpoint opens under the log key");
	is_str(c.origin, "ankang.test/audit", "  origin");
	ok(c.size == 5, "  size 5");
	util_b64_encode(b64, c.root, 32);
	is_str(b64, "Hxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nho=", "  root as given");
	is_int(checkpoint_format(out, sizeof out, &c), (int)tlen, "checkpoint_format");
	ok(memcmp(out, note, tlen) == 0, "  gives the exact text");
	is_int(checkpoint_format(out, tlen, &c), AK_ETOOBIG, "  refuses a buffer one byte short");
	resign(note, tlen, lk, "checkpoint");

	is_int(checkpoint_open(&c, bad, strlen(bad), &logk), AK_ENOENT,
	       "checkpoint signed by the root, opened with the log key: AK_ENOENT");
	is_int(checkpoint_open(&c, bad, strlen(bad), &root), AK_EINVAL,
	       "  opened with the root key: origin is not the key name");
	is_int(checkpoint_open(&c, note, strlen(note), &root), AK_ENOENT,
	       "checkpoint opened with the root key: AK_ENOENT");
	{
		char *copy = strdup(note);
		copy[strlen("ankang.test/audit\n")] = '6';
		is_int(checkpoint_open(&c, copy, strlen(copy), &logk), AK_ECRYPTO,
		       "checkpoint with the size changed: AK_ECRYPTO");
		free(copy);
	}
	{
		struct checkpoint b = c;
		b.origin[0] = '\0';
		is_int(checkpoint_format(out, sizeof out, &b), AK_EINVAL,
		       "format refuses empty origin");
		b = c;
		b.origin[3] = '\n';
		is_int(checkpoint_format(out, sizeof out, &b), AK_EINVAL,
		       "format refuses a newline in the origin");
		b = c;
		b.size = UINT64_MAX;
		memset(b.origin, 'o', CHECKPOINT_ORIGIN_MAX);
		b.origin[CHECKPOINT_ORIGIN_MAX] = '\0';
		int n = checkpoint_format(out, sizeof out, &b);
		ok(n > 0 && n <= CHECKPOINT_TEXT_MAX,
		   "a maximal checkpoint fits CHECKPOINT_TEXT_MAX");
		struct checkpoint back;
		is_int(checkpoint_parse(&back, out, (size_t)n), 0, "  and parses back");
		ok(strcmp(back.origin, b.origin) == 0 && back.size == b.size &&
		       memcmp(back.root, b.root, sizeof b.root) == 0,
		   "  to itself");
	}
	key_signer_free(lk);
}

#define C_ORIGIN "ankang.test/audit\n"
#define C_ROOT   "Hxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nho=\n"

static void test_checkpoint_strict(void)
{
	static const struct {
		const char *desc, *text;
	} good[] = {
	    {"the template", C_ORIGIN "5\n" C_ROOT},
	    {"an origin with spaces", "go.sum database tree\n5\n" C_ROOT},
	    {"a UTF-8 origin", "j\xc3\xb6urnal\n5\n" C_ROOT},
	    {"size 0", C_ORIGIN "0\n" C_ROOT},
	    {"size 2^64-1", C_ORIGIN "18446744073709551615\n" C_ROOT},
	};
	static const struct {
		const char *desc, *text;
	} bad[] = {
	    {"size with a leading zero", C_ORIGIN "05\n" C_ROOT},
	    {"size 00", C_ORIGIN "00\n" C_ROOT},
	    {"size with '+'", C_ORIGIN "+5\n" C_ROOT},
	    {"size with a space", C_ORIGIN " 5\n" C_ROOT},
	    {"size negative", C_ORIGIN "-5\n" C_ROOT},
	    {"size overflows", C_ORIGIN "18446744073709551616\n" C_ROOT},
	    {"size in hex", C_ORIGIN "0x5\n" C_ROOT},
	    {"empty size", C_ORIGIN "\n" C_ROOT},
	    {"extension line", C_ORIGIN "5\n" C_ROOT "ext\n"},
	    {"blank line after root", C_ORIGIN "5\n" C_ROOT "\n"},
	    {"missing root line", C_ORIGIN "5\n"},
	    {"root without newline", C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nho="},
	    {"root with trailing space",
	     C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nho= \n"},
	    {"root non-canonical base64",
	     C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nhp=\n"},
	    {"root without padding", C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nho\n"},
	    {"root of 31 bytes", C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/NQ==\n"},
	    {"root of 33 bytes", C_ORIGIN "5\nHxcpc/Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE/Nhoo\n"},
	    {"root url-safe base64", C_ORIGIN "5\nHxcpc_Gak8XmNmeVXHmqD4ZtoQjAj8QpGkzhpnE_Nho=\n"},
	    {"empty origin", "\n5\n" C_ROOT},
	    {"origin with a tab", "ankang\ttest\n5\n" C_ROOT},
	    {"origin with CR", "ankang.test/audit\r\n5\n" C_ROOT},
	    {"origin invalid UTF-8", "ankang\xff\n5\n" C_ROOT},
	    {"CRLF line ends", "ankang.test/audit\r\n5\r\n" C_ROOT},
	    {"only an origin", C_ORIGIN},
	    {"empty", ""},
	};
	struct checkpoint c;
	char origin[CHECKPOINT_ORIGIN_MAX + 80];

	for (size_t i = 0; i < AK_ARRAY_LEN(good); i++)
		is_int(checkpoint_parse(&c, good[i].text, strlen(good[i].text)), 0,
		       "checkpoint_parse accepts %s", good[i].desc);
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		is_int(checkpoint_parse(&c, bad[i].text, strlen(bad[i].text)), AK_EINVAL,
		       "checkpoint_parse refuses: %s", bad[i].desc);
	memset(origin, 'o', CHECKPOINT_ORIGIN_MAX + 1);
	snprintf(origin + CHECKPOINT_ORIGIN_MAX + 1, sizeof origin - CHECKPOINT_ORIGIN_MAX - 1,
		 "\n5\n%s", C_ROOT);
	is_int(checkpoint_parse(&c, origin, strlen(origin)), AK_EINVAL,
	       "checkpoint_parse refuses: origin too long");
	is_int(checkpoint_parse(&c, origin + 1, strlen(origin + 1)), 0,
	       "checkpoint_parse accepts an origin of CHECKPOINT_ORIGIN_MAX bytes");
}

int main(void)
{
	json_error_t err;

	if (sodium_init() < 0)
		bail_out("sodium_init");
	if ((vectors = json_load_file("tests/vectors/lists.json", 0, &err)) == NULL)
		bail_out("cannot read tests/vectors/lists.json (run from the project root)");
	test_keys();
	test_trust();
	test_trust_strict();
	test_revoc();
	test_revoc_strict();
	test_checkpoint();
	test_checkpoint_strict();
	json_decref(vectors);
	(void)diag;
	return tap_done();
}
