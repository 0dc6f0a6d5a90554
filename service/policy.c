/*
 * policy: what the service accepts (rules in policy.h).
 *
 * The closed lists are leaf.h's: a status reason or a look-up purpose is
 * a word of leaf.h's detail list that falls in that list's range, so the
 * word an officer sends, the word the log records and the word an auditor
 * reads are the same table.
 *
 * Names. NFC and the character tables are libunistring's (u8_normalize,
 * unictype), not tables of our own, so they follow Unicode as Debian
 * updates it. The rule is checked on the normalised text, and is
 * narrower than cred_name_valid (asserted), so nothing is enrolled that
 * could not later be put in a code. libunistring never allocates here:
 * u8_normalize writes into our stack buffer when it is large enough for
 * the result, and it is (NFC at most triples UTF-8, UAX #15), and it
 * sorts marks in a fixed buffer of 64 code points on its own stack,
 * which input with at most INPUT_MARKS marks in a row never outgrows
 * (see input_marks_ok). Our buffers are wiped before returning; the
 * library's own stack frame is not ours to wipe.
 */
#include "service/policy.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "common/util.h"

/* UAX #15's Stream-Safe Text Format limit on marks in a row. */
#define INPUT_MARKS 30

_Static_assert(CRED_NAME_MAX == 128, "POLICY_NAME_MESSAGE and policy.h say 128 bytes");

/* d when it lies in [lo, hi], else -1. */
static int in_range(int d, int lo, int hi)
{
	return d >= lo && d <= hi ? d : -1;
}

int policy_reason_parse(const char *w, size_t len)
{
	if (w == NULL)
		return -1;
	return in_range(leaf_detail_parse(w, len), DET_CONFIRMED_CASE, DET_APPEAL_UPHELD);
}

int policy_purpose_parse(const char *w, size_t len)
{
	if (w == NULL)
		return -1;
	return in_range(leaf_detail_parse(w, len), DET_EPIDEMIOLOGICAL_INVESTIGATION,
			DET_PAPER_CODE);
}

int policy_relation_parse(const char *w, size_t len)
{
	int d = w != NULL ? leaf_detail_parse(w, len) : -1;

	/* Named one by one: `other` is shared with the appeal reasons, so the
	 * four need not stand together in leaf.h's list. */
	return d == DET_CHILD || d == DET_PARENT || d == DET_SPOUSE || d == DET_OTHER ? d : -1;
}

/* ---------------------------------------------------------------- names */

/* What a character is to the name rule (policy.h). */
enum name_class {
	NC_NONE = 0, /* before the first character */
	NC_LETTER,
	NC_MARK,
	NC_SPACE,
	NC_APOSTROPHE,
	NC_PUNCT, /* hyphen, full stop, the two middle dots */
	NC_OTHER  /* refused */
};

static enum name_class name_class(ucs4_t c)
{
	/* First: the Hangul fillers are letters and CGJ is a mark, yet all
	 * show as nothing. */
	if (uc_is_property_default_ignorable_code_point(c))
		return NC_OTHER;
	if (uc_is_general_category(c, UC_CATEGORY_L))
		return NC_LETTER;
	if (uc_is_general_category(c, UC_CATEGORY_Mn) || uc_is_general_category(c, UC_CATEGORY_Mc))
		return NC_MARK;
	switch (c) {
	case 0x0020:
		return NC_SPACE;
	case 0x0027: /* APOSTROPHE */
	case 0x2019: /* RIGHT SINGLE QUOTATION MARK, the typographic apostrophe */
		return NC_APOSTROPHE;
	case 0x002d: /* HYPHEN-MINUS */
	case 0x002e: /* FULL STOP */
	case 0x00b7: /* MIDDLE DOT */
	case 0x30fb: /* KATAKANA MIDDLE DOT */
		return NC_PUNCT;
	default:
		return NC_OTHER;
	}
}

/* 1 when s[0..len), valid UTF-8, keeps the rule of policy.h apart from
 * being NFC (the callers see to that), else 0. */
static int name_rule(const uint8_t *s, size_t len)
{
	enum name_class prev = NC_NONE;
	int letters = 0, marks = 0;
	size_t i = 0;

	if (len < 1 || len > CRED_NAME_MAX)
		return 0;
	while (i < len) {
		ucs4_t c;
		enum name_class k;

		i += (size_t)u8_mbtouc(&c, s + i, len - i);
		k = name_class(c);
		switch (k) {
		case NC_LETTER:
			letters = 1;
			break;
		case NC_MARK:
			/* A mark draws on the character before it: on nothing, a
			 * space or punctuation it makes a symbol of its own. */
			if ((prev != NC_LETTER && prev != NC_MARK) ||
			    marks == POLICY_NAME_MARKS_MAX)
				return 0;
			break;
		case NC_SPACE:
			if (prev == NC_NONE || prev == NC_SPACE)
				return 0;
			break;
		case NC_APOSTROPHE:
			break;
		case NC_PUNCT:
			if (prev == NC_NONE)
				return 0;
			break;
		default:
			return 0;
		}
		marks = k == NC_MARK ? marks + 1 : 0;
		prev = k;
	}
	return letters && prev != NC_SPACE;
}

/*
 * 1 when s[0..len), valid UTF-8, has at most INPUT_MARKS marks (any M) in
 * a row. That keeps u8_normalize's sort buffer on its stack: it holds one
 * starter and the marks after it, decomposed; a character decomposes to
 * a starter and at most 3 marks, a mark to at most 2 marks, and nothing
 * but a mark decomposes to start with one (Unicode 14), so the buffer
 * holds at most 1 + 3 + 2 * 30 = 64 code points, its preallocated size.
 * (Were a later Unicode to break that, the library would sort in a heap
 * buffer it frees unwiped: a copy of the name left behind, not a fault.)
 */
static int input_marks_ok(const uint8_t *s, size_t len)
{
	size_t i = 0, run = 0;

	while (i < len) {
		ucs4_t c;

		i += (size_t)u8_mbtouc(&c, s + i, len - i);
		run = uc_is_general_category(c, UC_CATEGORY_M) ? run + 1 : 0;
		if (run > INPUT_MARKS)
			return 0;
	}
	return 1;
}

/*
 * NFC of s[0..len) into buf (cap bytes, at least 3 * len) and its length
 * into *n. 0, AK_ENOMEM, or AK_EINVAL (libunistring refused the text).
 */
static int nfc(uint8_t *buf, size_t cap, const uint8_t *s, size_t len, size_t *n)
{
	uint8_t *r;

	assert(cap >= 3 * len);
	*n = cap;
	errno = 0;
	r = u8_normalize(UNINORM_NFC, s, len, buf, n);
	if (r == NULL) {
		*n = 0;
		return errno == ENOMEM ? AK_ENOMEM : AK_EINVAL;
	}
	if (r != buf) {
		/* Only if the result outgrew buf, which the cap rules out. */
		sodium_memzero(r, *n);
		free(r);
		*n = 0;
		return AK_EINVAL;
	}
	return 0;
}

int policy_name_normalise(char *out, size_t cap, const char *in, size_t len, size_t *outlen)
{
	uint8_t work[3 * POLICY_NAME_INPUT_MAX];
	size_t n = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (out == NULL || cap < CRED_NAME_MAX + 1)
		return AK_EINVAL;
	out[0] = '\0';
	if (in == NULL || len < 1 || len > POLICY_NAME_INPUT_MAX || !util_utf8_valid(in, len) ||
	    !input_marks_ok((const uint8_t *)in, len))
		return AK_EINVAL;
	rc = nfc(work, sizeof work, (const uint8_t *)in, len, &n);
	if (rc == 0 && !name_rule(work, n)) /* its length too, counted after NFC */
		rc = AK_EINVAL;
	if (rc == 0) {
		/* The rule admits nothing a credential may not carry. */
		assert(cred_name_valid((const char *)work, n));
		memcpy(out, work, n);
		out[n] = '\0';
		if (outlen != NULL)
			*outlen = n;
	}
	sodium_memzero(work, sizeof work);
	return rc;
}

int policy_name_valid(const char *s, size_t len)
{
	uint8_t work[3 * CRED_NAME_MAX];
	size_t n = 0;
	int same;

	/* cred_name_valid first: it bounds len and checks the UTF-8 the
	 * others rely on. A name within the rule has at most 4 marks in a
	 * row, so nfc's sort buffer suffices. */
	if (s == NULL || !cred_name_valid(s, len) || !name_rule((const uint8_t *)s, len))
		return 0;
	same = nfc(work, sizeof work, (const uint8_t *)s, len, &n) == 0 && n == len &&
	       memcmp(work, s, len) == 0;
	sodium_memzero(work, sizeof work);
	return same;
}

int policy_phone_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (s == NULL || len < 6 || len > POLICY_PHONE_MAX)
		return 0;
	if (s[0] == '+')
		i = 1;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int policy_passphrase_valid(const char *s, size_t len)
{
	/* No NUL: a passphrase may pass through C strings on its way in. */
	return s != NULL && len >= POLICY_PASSPHRASE_MIN && len <= POLICY_PASSPHRASE_MAX &&
	       util_utf8_valid(s, len) && memchr(s, '\0', len) == NULL;
}

int policy_account_name_valid(const char *s, size_t len)
{
	if (s == NULL || len < 1 || len > POLICY_ACCOUNT_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* -------------------------------------------------------------- appeals */

int policy_appeal_reason_parse(const char *w, size_t len)
{
	int d = w != NULL ? leaf_detail_parse(w, len) : -1;

	switch (d) {
	case DET_WRONG_PERSON:
	case DET_NEGATIVE_TEST:
	case DET_NOT_IN_RISK_AREA:
	case DET_QUARANTINE_COMPLETED:
	case DET_OTHER:
		return d;
	default:
		return -1;
	}
}

int policy_appeal_answer_parse(int upheld, const char *w, size_t len)
{
	int d = w != NULL ? leaf_detail_parse(w, len) : -1;

	if (upheld)
		return in_range(d, DET_EVIDENCE_ACCEPTED, DET_RECORD_ERROR);
	return in_range(d, DET_EVIDENCE_INSUFFICIENT, DET_STATUS_CONFIRMED);
}

int policy_appeal_text_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	size_t chars = 0;
	ucs4_t c;
	int n;

	if (len > POLICY_APPEAL_TEXT_BYTES || (len > 0 && u8_check(p, len) != NULL))
		return 0;
	while (p < end) {
		if ((n = u8_mbtouc(&c, p, (size_t)(end - p))) <= 0)
			return 0;
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || (c >= 0x7f && c < 0xa0))
			return 0;
		if (++chars > POLICY_APPEAL_TEXT_MAX)
			return 0;
		p += n;
	}
	return 1;
}
