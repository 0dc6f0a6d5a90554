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
 *      indefinite lengths, nesting deeper than CBOR_DEPTH_MAX, more items
 *      than a credential's layer has, and any declared array or map size
 *      larger than the bytes that could hold it;
 *   2. in the same pass, each item written down in order, allocating
 *      nothing (a string points into the input), and the one top-level
 *      item must end at the last byte;
 *   3. a walk over those items that checks every type, size and key and
 *      extracts values;
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
 * Steps 1 and 2 in one pass of libcbor's streaming decoder, which hands
 * over each item as it reads it and allocates nothing: the bounds are
 * checked, and each item is written down in the order the bytes hold it
 * (a container, then its children), with a string's bytes pointing into
 * the input. A layer of a credential has at most 16 items (the claims:
 * the map, five keys, four values, the hc map and its four items); a
 * layer with more cannot be one, and is refused before it is walked.
 *
 * left[d] counts the items still due at nesting level d; level 0 is the
 * single top-level item. avail is the number of input bytes from the
 * current head to the end: each child of a container takes at least one
 * byte, so a container claiming avail or more children cannot be
 * genuine.
 */
#define ITEMS_MAX 16

enum item_kind {
	IT_UINT,
	IT_NEGINT,
	IT_BSTR,
	IT_TSTR,
	IT_ARRAY,
	IT_MAP,
	IT_OTHER
};

struct item {
	enum item_kind kind;
	uint64_t v;       /* an integer's argument (a negint's n of -1-n), a container's size */
	const uint8_t *p; /* a string's bytes, in the input */
	size_t len;
};

struct gate {
	size_t left[CBOR_DEPTH_MAX + 1];
	size_t depth;
	size_t avail;
	bool bad;
	struct item *items;
	size_t n;
};

/* One item with children items below it. */
static void gate_item(struct gate *g, size_t children, struct item it)
{
	if (g->bad)
		return;
	if (g->left[g->depth] == 0 || g->n == ITEMS_MAX) { /* after the top-level one */
		g->bad = true;
		return;
	}
	g->items[g->n++] = it;
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

static void gate_int(void *ctx, enum item_kind kind, uint64_t v)
{
	gate_item(ctx, 0, (struct item){kind, v, NULL, 0});
}

static void gate_reject(void *ctx)
{
	((struct gate *)ctx)->bad = true;
}

static void gate_leaf(void *ctx)
{
	gate_item(ctx, 0, (struct item){IT_OTHER, 0, NULL, 0});
}

static void gate_u8(void *ctx, uint8_t v)
{
	gate_int(ctx, IT_UINT, v);
}

static void gate_u16(void *ctx, uint16_t v)
{
	gate_int(ctx, IT_UINT, v);
}

static void gate_u32(void *ctx, uint32_t v)
{
	gate_int(ctx, IT_UINT, v);
}

static void gate_u64(void *ctx, uint64_t v)
{
	gate_int(ctx, IT_UINT, v);
}

static void gate_n8(void *ctx, uint8_t v)
{
	gate_int(ctx, IT_NEGINT, v);
}

static void gate_n16(void *ctx, uint16_t v)
{
	gate_int(ctx, IT_NEGINT, v);
}

static void gate_n32(void *ctx, uint32_t v)
{
	gate_int(ctx, IT_NEGINT, v);
}

static void gate_n64(void *ctx, uint64_t v)
{
	gate_int(ctx, IT_NEGINT, v);
}

static void gate_bstr(void *ctx, cbor_data p, size_t n)
{
	gate_item(ctx, 0, (struct item){IT_BSTR, 0, p, n});
}

static void gate_tstr(void *ctx, cbor_data p, size_t n)
{
	gate_item(ctx, 0, (struct item){IT_TSTR, 0, p, n});
}

static void gate_float(void *ctx, float v)
{
	(void)v;
	gate_leaf(ctx);
}

static void gate_double(void *ctx, double v)
{
	(void)v;
	gate_leaf(ctx);
}

static void gate_bool(void *ctx, bool v)
{
	(void)v;
	gate_leaf(ctx);
}

static void gate_array(void *ctx, size_t n)
{
	gate_item(ctx, n, (struct item){IT_ARRAY, n, NULL, 0});
}

static void gate_map(void *ctx, size_t n)
{
	struct gate *g = ctx;
	/* Two items per entry; a size past avail is refused without doubling it. */
	gate_item(g, n >= g->avail ? g->avail : 2 * n, (struct item){IT_MAP, n, NULL, 0});
}

static void gate_tag(void *ctx, uint64_t tag)
{
	gate_item(ctx, 1, (struct item){IT_OTHER, tag, NULL, 0});
}

static const struct cbor_callbacks gate_callbacks = {
    .uint8 = gate_u8,
    .uint16 = gate_u16,
    .uint32 = gate_u32,
    .uint64 = gate_u64,
    .negint8 = gate_n8,
    .negint16 = gate_n16,
    .negint32 = gate_n32,
    .negint64 = gate_n64,
    .byte_string = gate_bstr,
    .byte_string_start = gate_reject, /* indefinite */
    .string = gate_tstr,
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

/* Steps 1 and 2: the items of exactly one complete, bounded CBOR item
 * filling p[0..n), at most ITEMS_MAX of them; their number, or 0. */
static size_t cbor_items(const uint8_t *p, size_t n, struct item items[ITEMS_MAX])
{
	struct gate g = {.left = {1}, .items = items};
	size_t off = 0;

	while (off < n) {
		struct cbor_decoder_result r;

		g.avail = n - off;
		r = cbor_stream_decode(p + off, n - off, &gate_callbacks, &g);
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > n - off || g.bad)
			return 0;
		off += r.read;
	}
	return g.depth == 0 && g.left[0] == 0 ? g.n : 0;
}

static bool is_uint(const struct item *it, uint64_t v)
{
	return it->kind == IT_UINT && it->v == v;
}

static bool is_negint(const struct item *it, uint64_t v)
{
	return it->kind == IT_NEGINT && it->v == v;
}

static bool is_bstr_of(const struct item *it, size_t n)
{
	return it->kind == IT_BSTR && it->len == n;
}

static bool is_map_of(const struct item *it, size_t n)
{
	return it->kind == IT_MAP && it->v == n;
}

static bool same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* {1: -8, 4: kid(8)}, the kid into out->kid. */
static bool parse_protected(struct cred *out, const uint8_t *p, size_t n)
{
	struct item it[ITEMS_MAX];
	uint8_t again[32];
	bool alg = false, kid = false;
	int len;

	/* The map and two pairs of scalars: a nested container is refused. */
	if (cbor_items(p, n, it) != 5 || !is_map_of(&it[0], 2))
		return false;
	for (size_t i = 1; i < 5; i += 2) {
		if (is_uint(&it[i], COSE_HDR_ALG) && !alg) {
			if (!is_negint(&it[i + 1], COSE_ALG_EDDSA_NEG))
				return false;
			alg = true;
		} else if (is_uint(&it[i], COSE_HDR_KID) && !kid) {
			if (!is_bstr_of(&it[i + 1], CRED_KID_BYTES))
				return false;
			memcpy(out->kid, it[i + 1].p, CRED_KID_BYTES);
			kid = true;
		} else {
			return false;
		}
	}
	len = cred_encode_protected(again, sizeof again, out->kid);
	return len > 0 && same_bytes(again, (size_t)len, p, n);
}

/* Copies a definite text string of 1..max bytes and NUL-terminates it. */
static bool take_tstr(char *dst, size_t max, const struct item *it)
{
	if (it->kind != IT_TSTR || it->len < 1 || it->len > max)
		return false;
	memcpy(dst, it->p, it->len);
	dst[it->len] = '\0';
	return true;
}

/* {1: name, 2: status}: the map at it[0] and the four items after it. */
static bool parse_hc(struct cred_claims *c, const struct item *it)
{
	bool name = false, status = false;

	if (!is_map_of(&it[0], 2))
		return false;
	for (size_t i = 1; i < 5; i += 2) {
		const struct item *v = &it[i + 1];

		if (is_uint(&it[i], HC_NAME) && !name) {
			if (!take_tstr(c->name, CRED_NAME_MAX, v) || !name_valid(c->name, v->len))
				return false;
			name = true;
		} else if (is_uint(&it[i], HC_STATUS) && !status) {
			if (v->kind != IT_UINT || v->v > CRED_RED)
				return false;
			c->status = (enum cred_status)v->v;
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
	struct item it[ITEMS_MAX];
	uint8_t again[CRED_COSE_MAX];
	struct cred_claims *c = &out->claims;
	size_t count = cbor_items(p, n, it), j = 1;
	unsigned seen = 0;
	int len;

	if (count == 0 || !is_map_of(&it[0], 5))
		return false;
	for (size_t i = 0; i < 5; i++) {
		const struct item *k, *v;
		unsigned bit;

		/* A key and its value; only hc's value is a container (its
		 * map and four items). */
		if (j + 1 >= count)
			return false;
		k = &it[j];
		v = &it[j + 1];
		if (k->kind == IT_UINT && k->v < 16)
			bit = 1u << k->v;
		else if (is_negint(k, CWT_HC_NEG))
			bit = 1u << 16;
		else
			return false;
		if (seen & bit)
			return false;
		seen |= bit;
		switch (bit) {
		case 1u << CWT_ISS:
			if (!take_tstr(c->iss, CRED_ISS_MAX, v) || !iss_valid(c->iss, v->len))
				return false;
			break;
		case 1u << CWT_EXP:
			if (v->kind != IT_UINT)
				return false;
			c->exp = v->v;
			break;
		case 1u << CWT_IAT:
			if (v->kind != IT_UINT)
				return false;
			c->iat = v->v;
			break;
		case 1u << CWT_CTI:
			if (!is_bstr_of(v, CRED_CTI_BYTES))
				return false;
			memcpy(c->cti, v->p, CRED_CTI_BYTES);
			break;
		case 1u << 16:
			if (j + 6 > count || !parse_hc(c, v))
				return false;
			j += 4;
			break;
		default:
			return false;
		}
		j += 2;
	}
	/* Five distinct keys from a set of five: all present, and no item
	 * left over. */
	if (j != count || cred_claims_check(c) != 0)
		return false;
	len = cred_encode_claims(again, sizeof again, c);
	return len > 0 && same_bytes(again, (size_t)len, p, n);
}

/* The COSE_Sign1 bytes: fills out and its Sig_structure, or fails. */
static bool parse_cose(struct cred *out, const uint8_t *p, size_t n)
{
	struct item it[ITEMS_MAX];
	uint8_t again[CRED_COSE_MAX], tag[9];
	size_t tag_len;
	int len;

	/*
	 * libcbor 0.8.0's decoder refuses the one-byte tag heads 0xc6..0xd4,
	 * tag 18's among them (PJK/libcbor#307, fixed in 0.11.0), so the tag
	 * head is compared here, against libcbor's own encoding of it, and
	 * only the array is decoded. The shortest head is the only
	 * deterministic spelling of tag 18, so nothing valid is refused; the
	 * re-encoding comparison below covers these bytes again.
	 */
	tag_len = cbor_encode_tag(COSE_TAG_SIGN1, tag, sizeof tag);
	if (tag_len == 0 || n < tag_len || memcmp(p, tag, tag_len) != 0)
		return false;
	/* [bstr, {}, bstr, bstr(64)]: the array and four items. */
	if (cbor_items(p + tag_len, n - tag_len, it) != 5 || it[0].kind != IT_ARRAY ||
	    it[0].v != 4 || it[1].kind != IT_BSTR || !is_map_of(&it[2], 0) ||
	    it[3].kind != IT_BSTR || !is_bstr_of(&it[4], CRED_SIG_BYTES))
		return false;
	memcpy(out->sig, it[4].p, CRED_SIG_BYTES);
	if (!parse_protected(out, it[1].p, it[1].len) || !parse_claims(out, it[3].p, it[3].len))
		return false;
	/* The inner layers are canonical now; this checks the outer one. */
	len =
	    cred_encode_cose(again, sizeof again, it[1].p, it[1].len, it[3].p, it[3].len, out->sig);
	if (len <= 0 || !same_bytes(again, (size_t)len, p, n))
		return false;
	len = cred_encode_tbs(out->tbs, sizeof out->tbs, it[1].p, it[1].len, it[3].p, it[3].len);
	if (len <= 0)
		return false;
	out->tbs_len = (size_t)len;
	return true;
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
