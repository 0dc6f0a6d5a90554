/*
 * cred: parsing and verifying the health-code credential (FORMAT.md
 * section 1), and the deterministic encoder both sides share.
 *
 *   "AK1:" base45( 18([ bstr .cbor {1: -8, 4: kid(8)},
 *                       {},
 *                       bstr .cbor {1: iss, 4: exp, 6: iat, 7: cti(16),
 *                                   -65537: {1: name, 2: status}},
 *                       sig(64) ]) )
 *
 * How strictness is kept. CBOR allows many spellings of one value (wide
 * integers, indefinite lengths, any key order), and libcbor's decoder
 * faithfully keeps whichever it saw, so decoding and re-serialising proves
 * nothing. Instead each CBOR layer goes through four steps:
 *
 *   1. a bounding pass with libcbor's streaming decoder, which rejects
 *      indefinite lengths, nesting deeper than CBOR_DEPTH_MAX, and any
 *      declared array or map size larger than the bytes that could hold
 *      it, so that cbor_load never allocates for sizes an attacker merely
 *      claims and cbor_decref never recurses deeply;
 *   2. cbor_load, which must consume every byte;
 *   3. a walk that checks every type, size and key and extracts values;
 *   4. re-encoding the extracted values with cred_encode_*, the encoder
 *      cred_issue uses, and requiring byte-identical output.
 *
 * Step 4 is what catches non-shortest integers, key order, duplicates and
 * trailing bytes; steps 1-3 make sure only sane input reaches it. The
 * result: exactly one text is accepted for a given credential. (The COSE
 * tag head is compared before step 1, because libcbor 0.8.0 cannot decode
 * tag 18; see parse_cose.)
 *
 * This file must never touch a secret key: the verifier links it.
 */
#include "crypto/cred.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"

/* COSE header and CWT claim labels, and our private-use claim. */
#define COSE_TAG_SIGN1     18
#define COSE_HDR_ALG       1
#define COSE_HDR_KID       4
#define COSE_ALG_EDDSA_NEG 7 /* -8 is encoded as negint 7 (-1 - 7) */
#define CWT_ISS            1
#define CWT_EXP            4
#define CWT_IAT            6
#define CWT_CTI            7
#define CWT_HC_NEG         65536 /* -65537 is encoded as negint 65536 */
#define HC_NAME            1
#define HC_STATUS          2

/*
 * A layer nests at most two deep (the COSE array and its items; the claims
 * map, the hc map and its values); anything past this is hostile.
 */
#define CBOR_DEPTH_MAX 8

/* ------------------------------------------------------------ words */

static const char *const result_words[CRED_RESULT_COUNT] = {
    [CRED_VALID] = "valid",
    [CRED_MALFORMED] = "malformed",
    [CRED_UNKNOWN_KEY] = "unknown_key",
    [CRED_BAD_SIGNATURE] = "bad_signature",
    [CRED_NOT_YET_VALID] = "not_yet_valid",
    [CRED_EXPIRED] = "expired",
    [CRED_REVOKED] = "revoked",
    [CRED_SUPERSEDED] = "superseded",
};

static const char *const status_words[] = {
    [CRED_GREEN] = "green",
    [CRED_YELLOW] = "yellow",
    [CRED_RED] = "red",
};

const char *cred_result_word(enum cred_result r)
{
	if ((unsigned)r >= CRED_RESULT_COUNT)
		return result_words[CRED_MALFORMED];
	return result_words[r];
}

static int word_index(const char *const *words, size_t n, const char *word, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(words[i]) == len && memcmp(words[i], word, len) == 0)
			return (int)i;
	return -1;
}

int cred_result_parse(const char *word, size_t len)
{
	return word_index(result_words, CRED_RESULT_COUNT, word, len);
}

const char *cred_status_word(int status)
{
	if (status < 0 || (size_t)status >= AK_ARRAY_LEN(status_words))
		return NULL;
	return status_words[status];
}

int cred_status_parse(const char *word, size_t len)
{
	return word_index(status_words, AK_ARRAY_LEN(status_words), word, len);
}

int cred_result_shows_data(enum cred_result r)
{
	return r == CRED_VALID || r == CRED_REVOKED || r == CRED_SUPERSEDED;
}

/* ------------------------------------------------------------ claims */

static bool iss_valid(const char *s, size_t len)
{
	if (len < 1 || len > CRED_ISS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/*
 * In UTF-8 the bytes 0x00-0x1f and 0x7f only ever stand for themselves, so
 * a byte scan finds U+0000-U+001F and U+007F.
 */
static bool name_valid(const char *s, size_t len)
{
	if (len < 1 || len > CRED_NAME_MAX || !util_utf8_valid(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

int cred_name_valid(const char *s, size_t len)
{
	return name_valid(s, len);
}

int cred_claims_check(const struct cred_claims *c)
{
	size_t iss_len = strnlen(c->iss, sizeof c->iss);
	size_t name_len = strnlen(c->name, sizeof c->name);

	/* A length equal to the array size means no NUL: not a string. */
	if (iss_len == sizeof c->iss || !iss_valid(c->iss, iss_len))
		return AK_EINVAL;
	if (name_len == sizeof c->name || !name_valid(c->name, name_len))
		return AK_EINVAL;
	if ((unsigned)c->status > CRED_RED)
		return AK_EINVAL;
	if (c->exp <= c->iat || c->exp - c->iat > CRED_MAX_VALIDITY)
		return AK_EINVAL;
	return 0;
}

void cred_kid(uint8_t kid[CRED_KID_BYTES], const uint8_t pk[32])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, 32);
	memcpy(kid, h, CRED_KID_BYTES);
}

/* ------------------------------------------------------------ encoding */

/*
 * A bounded output buffer. Every libcbor encoder returns 0 when the item
 * does not fit; the first such failure sticks, so a sequence of writes
 * needs only one check at the end.
 */
struct cw {
	uint8_t *buf;
	size_t cap, len;
	bool full;
};

static void cw_advance(struct cw *w, size_t n)
{
	if (n == 0)
		w->full = true;
	else
		w->len += n;
}

static uint8_t *cw_at(struct cw *w)
{
	return w->buf + w->len;
}

static size_t cw_room(const struct cw *w)
{
	return w->full ? 0 : w->cap - w->len;
}

static void cw_uint(struct cw *w, uint64_t v)
{
	cw_advance(w, cbor_encode_uint(v, cw_at(w), cw_room(w)));
}

/* The negative integer -1 - v. */
static void cw_negint(struct cw *w, uint64_t v)
{
	cw_advance(w, cbor_encode_negint(v, cw_at(w), cw_room(w)));
}

static void cw_raw(struct cw *w, const void *p, size_t n)
{
	if (n > cw_room(w)) {
		w->full = true;
		return;
	}
	if (n > 0)
		memcpy(cw_at(w), p, n);
	w->len += n;
}

static void cw_bstr(struct cw *w, const void *p, size_t n)
{
	cw_advance(w, cbor_encode_bytestring_start(n, cw_at(w), cw_room(w)));
	cw_raw(w, p, n);
}

static void cw_tstr(struct cw *w, const char *s, size_t n)
{
	cw_advance(w, cbor_encode_string_start(n, cw_at(w), cw_room(w)));
	cw_raw(w, s, n);
}

static void cw_array(struct cw *w, size_t n)
{
	cw_advance(w, cbor_encode_array_start(n, cw_at(w), cw_room(w)));
}

static void cw_map(struct cw *w, size_t n)
{
	cw_advance(w, cbor_encode_map_start(n, cw_at(w), cw_room(w)));
}

static void cw_tag(struct cw *w, uint64_t tag)
{
	cw_advance(w, cbor_encode_tag(tag, cw_at(w), cw_room(w)));
}

static int cw_done(const struct cw *w)
{
	if (w->full || w->len > INT_MAX)
		return AK_ETOOBIG;
	return (int)w->len;
}

int cred_encode_protected(uint8_t *out, size_t cap, const uint8_t kid[CRED_KID_BYTES])
{
	struct cw w = {out, cap, 0, false};

	cw_map(&w, 2);
	cw_uint(&w, COSE_HDR_ALG);
	cw_negint(&w, COSE_ALG_EDDSA_NEG);
	cw_uint(&w, COSE_HDR_KID);
	cw_bstr(&w, kid, CRED_KID_BYTES);
	return cw_done(&w);
}

/* Keys in bytewise order of their encodings: 01 04 06 07 3a..., as RFC 8949 4.2.1 wants. */
int cred_encode_claims(uint8_t *out, size_t cap, const struct cred_claims *c)
{
	struct cw w = {out, cap, 0, false};

	cw_map(&w, 5);
	cw_uint(&w, CWT_ISS);
	cw_tstr(&w, c->iss, strnlen(c->iss, sizeof c->iss));
	cw_uint(&w, CWT_EXP);
	cw_uint(&w, c->exp);
	cw_uint(&w, CWT_IAT);
	cw_uint(&w, c->iat);
	cw_uint(&w, CWT_CTI);
	cw_bstr(&w, c->cti, CRED_CTI_BYTES);
	cw_negint(&w, CWT_HC_NEG);
	cw_map(&w, 2);
	cw_uint(&w, HC_NAME);
	cw_tstr(&w, c->name, strnlen(c->name, sizeof c->name));
	cw_uint(&w, HC_STATUS);
	cw_uint(&w, (uint64_t)c->status);
	return cw_done(&w);
}

int cred_encode_tbs(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
		    const uint8_t *payload, size_t payload_len)
{
	static const char context[] = "Signature1";
	struct cw w = {out, cap, 0, false};

	cw_array(&w, 4);
	cw_tstr(&w, context, sizeof context - 1);
	cw_bstr(&w, prot, prot_len);
	cw_bstr(&w, NULL, 0);
	cw_bstr(&w, payload, payload_len);
	return cw_done(&w);
}

int cred_encode_cose(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
		     const uint8_t *payload, size_t payload_len, const uint8_t sig[CRED_SIG_BYTES])
{
	struct cw w = {out, cap, 0, false};

	cw_tag(&w, COSE_TAG_SIGN1);
	cw_array(&w, 4);
	cw_bstr(&w, prot, prot_len);
	cw_map(&w, 0);
	cw_bstr(&w, payload, payload_len);
	cw_bstr(&w, sig, CRED_SIG_BYTES);
	return cw_done(&w);
}

/* ------------------------------------------------------------ decoding */

/*
 * The bounding pass (step 1 above). left[d] counts the items still due at
 * nesting level d; level 0 is the single top-level item. avail is the
 * number of input bytes from the current head to the end: each child of a
 * container takes at least one byte, so a container claiming avail or more
 * children cannot be genuine.
 */
struct gate {
	size_t left[CBOR_DEPTH_MAX + 1];
	size_t depth;
	size_t avail;
	bool bad;
};

static void gate_item(struct gate *g, size_t children)
{
	if (g->bad)
		return;
	if (g->left[g->depth] == 0) { /* an item after the top-level one */
		g->bad = true;
		return;
	}
	g->left[g->depth]--;
	if (children > 0) {
		if (children >= g->avail || g->depth == CBOR_DEPTH_MAX) {
			g->bad = true;
			return;
		}
		g->left[++g->depth] = children;
	}
	while (g->depth > 0 && g->left[g->depth] == 0)
		g->depth--;
}

static void gate_reject(void *ctx)
{
	((struct gate *)ctx)->bad = true;
}

static void gate_leaf(void *ctx)
{
	gate_item(ctx, 0);
}

static void gate_u8(void *ctx, uint8_t v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_u16(void *ctx, uint16_t v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_u32(void *ctx, uint32_t v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_u64(void *ctx, uint64_t v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_string(void *ctx, cbor_data p, size_t n)
{
	(void)p, (void)n;
	gate_item(ctx, 0);
}

static void gate_float(void *ctx, float v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_double(void *ctx, double v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_bool(void *ctx, bool v)
{
	(void)v;
	gate_item(ctx, 0);
}

static void gate_array(void *ctx, size_t n)
{
	struct gate *g = ctx;
	gate_item(g, n);
}

static void gate_map(void *ctx, size_t n)
{
	struct gate *g = ctx;
	/* Two items per entry; a size past avail is refused without doubling it. */
	gate_item(g, n >= g->avail ? g->avail : 2 * n);
}

static void gate_tag(void *ctx, uint64_t tag)
{
	(void)tag;
	gate_item(ctx, 1);
}

static const struct cbor_callbacks gate_callbacks = {
    .uint8 = gate_u8,
    .uint16 = gate_u16,
    .uint32 = gate_u32,
    .uint64 = gate_u64,
    .negint8 = gate_u8,
    .negint16 = gate_u16,
    .negint32 = gate_u32,
    .negint64 = gate_u64,
    .byte_string = gate_string,
    .byte_string_start = gate_reject, /* indefinite */
    .string = gate_string,
    .string_start = gate_reject,
    .array_start = gate_array,
    .indef_array_start = gate_reject,
    .map_start = gate_map,
    .indef_map_start = gate_reject,
    .tag = gate_tag,
    .float2 = gate_float,
    .float4 = gate_float,
    .float8 = gate_double,
    .undefined = gate_leaf,
    .null = gate_leaf,
    .boolean = gate_bool,
    .indef_break = gate_reject,
};

static bool cbor_gate(const uint8_t *p, size_t n)
{
	struct gate g = {.left = {1}};
	size_t off = 0;

	while (off < n) {
		struct cbor_decoder_result r;

		g.avail = n - off;
		r = cbor_stream_decode(p + off, n - off, &gate_callbacks, &g);
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > n - off || g.bad)
			return false;
		off += r.read;
	}
	return g.depth == 0 && g.left[0] == 0;
}

/* Steps 1 and 2: one complete, bounded item, or NULL. The caller decrefs. */
static cbor_item_t *cbor_load_strict(const uint8_t *p, size_t n)
{
	struct cbor_load_result r;
	cbor_item_t *item;

	if (n == 0 || !cbor_gate(p, n))
		return NULL;
	item = cbor_load(p, n, &r);
	if (item == NULL)
		return NULL;
	if (r.error.code != CBOR_ERR_NONE || r.read != n) {
		cbor_decref(&item);
		return NULL;
	}
	return item;
}

static bool is_uint(const cbor_item_t *it, uint64_t v)
{
	return cbor_isa_uint(it) && cbor_get_int(it) == v;
}

static bool is_negint(const cbor_item_t *it, uint64_t v)
{
	return cbor_isa_negint(it) && cbor_get_int(it) == v;
}

static bool is_bstr(const cbor_item_t *it)
{
	return cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

static bool is_bstr_of(const cbor_item_t *it, size_t n)
{
	return is_bstr(it) && cbor_bytestring_length(it) == n;
}

static bool is_tstr(const cbor_item_t *it)
{
	return cbor_isa_string(it) && cbor_string_is_definite(it);
}

static bool is_map_of(const cbor_item_t *it, size_t n)
{
	return cbor_isa_map(it) && cbor_map_is_definite(it) && cbor_map_size(it) == n;
}

static bool same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* {1: -8, 4: kid(8)}, the kid into out->kid. */
static bool parse_protected(struct cred *out, const uint8_t *p, size_t n)
{
	uint8_t again[32];
	cbor_item_t *root = cbor_load_strict(p, n);
	bool alg = false, kid = false, good = false;
	struct cbor_pair *pairs;
	int len;

	if (root == NULL)
		return false;
	if (!is_map_of(root, 2))
		goto fail;
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < 2; i++) {
		if (is_uint(pairs[i].key, COSE_HDR_ALG) && !alg) {
			if (!is_negint(pairs[i].value, COSE_ALG_EDDSA_NEG))
				goto fail;
			alg = true;
		} else if (is_uint(pairs[i].key, COSE_HDR_KID) && !kid) {
			if (!is_bstr_of(pairs[i].value, CRED_KID_BYTES))
				goto fail;
			memcpy(out->kid, cbor_bytestring_handle(pairs[i].value), CRED_KID_BYTES);
			kid = true;
		} else {
			goto fail;
		}
	}
	len = cred_encode_protected(again, sizeof again, out->kid);
	good = len > 0 && same_bytes(again, (size_t)len, p, n);
fail:
	cbor_decref(&root);
	return good;
}

/* Copies a definite text string of 1..max bytes and NUL-terminates it. */
static bool take_tstr(char *dst, size_t max, const cbor_item_t *it)
{
	size_t n;

	if (!is_tstr(it))
		return false;
	n = cbor_string_length(it);
	if (n < 1 || n > max)
		return false;
	memcpy(dst, cbor_string_handle(it), n);
	dst[n] = '\0';
	return true;
}

/* {1: name, 2: status} */
static bool parse_hc(struct cred_claims *c, const cbor_item_t *map)
{
	struct cbor_pair *pairs;
	bool name = false, status = false;

	if (!is_map_of(map, 2))
		return false;
	pairs = cbor_map_handle(map);
	for (size_t i = 0; i < 2; i++) {
		const cbor_item_t *v = pairs[i].value;

		if (is_uint(pairs[i].key, HC_NAME) && !name) {
			if (!take_tstr(c->name, CRED_NAME_MAX, v) ||
			    !name_valid(c->name, cbor_string_length(v)))
				return false;
			name = true;
		} else if (is_uint(pairs[i].key, HC_STATUS) && !status) {
			if (!cbor_isa_uint(v) || cbor_get_int(v) > CRED_RED)
				return false;
			c->status = (enum cred_status)cbor_get_int(v);
			status = true;
		} else {
			return false;
		}
	}
	return true;
}

/* The claims map, exactly the five claims, into out->claims. */
static bool parse_claims(struct cred *out, const uint8_t *p, size_t n)
{
	uint8_t again[CRED_COSE_MAX];
	struct cred_claims *c = &out->claims;
	cbor_item_t *root = cbor_load_strict(p, n);
	unsigned seen = 0;
	bool good = false;
	struct cbor_pair *pairs;
	int len;

	if (root == NULL)
		return false;
	if (!is_map_of(root, 5))
		goto fail;
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < 5; i++) {
		const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
		unsigned bit;

		if (cbor_isa_uint(k) && cbor_get_int(k) < 16)
			bit = 1u << cbor_get_int(k);
		else if (is_negint(k, CWT_HC_NEG))
			bit = 1u << 16;
		else
			goto fail;
		if (seen & bit)
			goto fail;
		seen |= bit;
		switch (bit) {
		case 1u << CWT_ISS:
			if (!take_tstr(c->iss, CRED_ISS_MAX, v) ||
			    !iss_valid(c->iss, cbor_string_length(v)))
				goto fail;
			break;
		case 1u << CWT_EXP:
			if (!cbor_isa_uint(v))
				goto fail;
			c->exp = cbor_get_int(v);
			break;
		case 1u << CWT_IAT:
			if (!cbor_isa_uint(v))
				goto fail;
			c->iat = cbor_get_int(v);
			break;
		case 1u << CWT_CTI:
			if (!is_bstr_of(v, CRED_CTI_BYTES))
				goto fail;
			memcpy(c->cti, cbor_bytestring_handle(v), CRED_CTI_BYTES);
			break;
		case 1u << 16:
			if (!parse_hc(c, v))
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	/* Five distinct keys from a set of five: all present. */
	if (cred_claims_check(c) != 0)
		goto fail;
	len = cred_encode_claims(again, sizeof again, c);
	good = len > 0 && same_bytes(again, (size_t)len, p, n);
fail:
	cbor_decref(&root);
	return good;
}

/* The COSE_Sign1 bytes: fills out and its Sig_structure, or fails. */
static bool parse_cose(struct cred *out, const uint8_t *p, size_t n)
{
	uint8_t again[CRED_COSE_MAX], tag[9];
	cbor_item_t *arr, **items;
	const uint8_t *prot, *payload;
	size_t prot_len, payload_len, tag_len;
	bool good = false;
	int len;

	/*
	 * libcbor 0.8.0 refuses the one-byte tag heads 0xc6..0xd4, tag 18's
	 * among them (PJK/libcbor#307, fixed in 0.11.0), so the tag head is
	 * compared here, against libcbor's own encoding of it, and only the
	 * array goes to cbor_load. The shortest head is the only
	 * deterministic spelling of tag 18, so nothing valid is refused; the
	 * re-encoding comparison below covers these bytes again.
	 */
	tag_len = cbor_encode_tag(COSE_TAG_SIGN1, tag, sizeof tag);
	if (tag_len == 0 || n < tag_len || memcmp(p, tag, tag_len) != 0)
		return false;
	if ((arr = cbor_load_strict(p + tag_len, n - tag_len)) == NULL)
		return false;
	if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr) || cbor_array_size(arr) != 4)
		goto fail;
	items = cbor_array_handle(arr);
	if (!is_bstr(items[0]) || !is_map_of(items[1], 0) || !is_bstr(items[2]) ||
	    !is_bstr_of(items[3], CRED_SIG_BYTES))
		goto fail;
	prot = cbor_bytestring_handle(items[0]);
	prot_len = cbor_bytestring_length(items[0]);
	payload = cbor_bytestring_handle(items[2]);
	payload_len = cbor_bytestring_length(items[2]);
	memcpy(out->sig, cbor_bytestring_handle(items[3]), CRED_SIG_BYTES);
	if (!parse_protected(out, prot, prot_len) || !parse_claims(out, payload, payload_len))
		goto fail;
	/* The inner layers are canonical now; this checks the outer one. */
	len = cred_encode_cose(again, sizeof again, prot, prot_len, payload, payload_len, out->sig);
	if (len <= 0 || !same_bytes(again, (size_t)len, p, n))
		goto fail;
	len = cred_encode_tbs(out->tbs, sizeof out->tbs, prot, prot_len, payload, payload_len);
	if (len <= 0)
		goto fail;
	out->tbs_len = (size_t)len;
	good = true;
fail:
	cbor_decref(&arr);
	return good;
}

int cred_parse(struct cred *out, const char *text, size_t len)
{
	uint8_t cose[CRED_COSE_MAX];
	size_t n;

	memset(out, 0, sizeof *out);
	if (len > CRED_TEXT_MAX || len < CRED_PREFIX_LEN ||
	    memcmp(text, CRED_PREFIX, CRED_PREFIX_LEN) != 0)
		return AK_EINVAL;
	if (b45_decode(cose, sizeof cose, &n, text + CRED_PREFIX_LEN, len - CRED_PREFIX_LEN) != 0)
		return AK_EINVAL;
	if (!parse_cose(out, cose, n)) {
		/* No half-parsed claims for a caller that ignores the result. */
		memset(out, 0, sizeof *out);
		return AK_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ verifying */

static int cti_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CRED_CTI_BYTES);
}

int cred_is_revoked(const struct cred_trust *t, const uint8_t cti[CRED_CTI_BYTES])
{
	if (t->revoked == NULL || t->n_revoked == 0)
		return 0;
	return bsearch(cti, t->revoked, t->n_revoked, sizeof t->revoked[0], cti_cmp) != NULL;
}

enum cred_result cred_check(const struct cred_trust *t, const struct cred *c)
{
	const struct cred_claims *cl = &c->claims;
	bool known = false, signed_ok = false;

	assert(t != NULL && c != NULL);
	/*
	 * Every issuer entry with this kid whose window holds iat is tried, so
	 * a kid shared by two entries (rotation with overlap, or a collision)
	 * cannot hide the key that really signed.
	 */
	for (size_t i = 0; i < t->n_issuers && !signed_ok; i++) {
		const struct cred_issuer *is = &t->issuers[i];

		if (memcmp(is->kid, c->kid, CRED_KID_BYTES) != 0 || cl->iat < is->not_before ||
		    cl->iat > is->not_after)
			continue;
		known = true;
		signed_ok = crypto_sign_verify_detached(c->sig, c->tbs, c->tbs_len, is->pk) == 0;
	}
	if (!known)
		return CRED_UNKNOWN_KEY;
	if (!signed_ok)
		return CRED_BAD_SIGNATURE;
	/* Valid while iat - skew <= now <= exp + skew, written without overflow. */
	if (cl->iat > t->now && cl->iat - t->now > t->skew)
		return CRED_NOT_YET_VALID;
	if (t->now > cl->exp && t->now - cl->exp > t->skew)
		return CRED_EXPIRED;
	if (cred_is_revoked(t, cl->cti))
		return CRED_REVOKED;
	return CRED_VALID;
}

enum cred_result cred_verify(const struct cred_trust *t, const char *text, size_t len,
			     struct cred *out)
{
	struct cred local;
	/* cppcheck-suppress uninitvar ; cred_parse fills *c, it reads none of it */
	struct cred *c = out != NULL ? out : &local;

	if (cred_parse(c, text, len) != 0)
		return CRED_MALFORMED;
	return cred_check(t, c);
}
