/*
 * test_policy: the service's acceptance rules (service/policy.h).
 *
 * The closed lists of status reasons and look-up purposes are exactly
 * DESIGN.md's words, each mapping onto its leaf.h detail, and no other
 * detail word (a status, a role, a purpose where a reason is wanted)
 * slips through; names: every part of the enrolment rule (policy.h) with a
 * case that keeps it and one that breaks it, NFC checked byte for byte,
 * every accepted name one a credential may carry (cred_claims_check), the
 * 128-byte bound counted after NFC; phones, passphrases and account names
 * at and past each bound. Names are made up, and only their cases'
 * descriptions are ever printed.
 */
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/leaf.h"
#include "service/policy.h"
#include "tests/lib/tap.h"

static const char *const reasons[] = {
    "confirmed_case",        "suspected_case",       "close_contact", "secondary_contact",
    "travel_from_risk_area", "quarantine_completed", "negative_test", "recovered",
    "data_correction",       "appeal_upheld",
};
static const char *const purposes[] = {"epidemiological_investigation", "status_correction",
				       "appeal_review", "paper_code"};

static int reason(const char *w)
{
	return policy_reason_parse(w, strlen(w));
}

static int purpose(const char *w)
{
	return policy_purpose_parse(w, strlen(w));
}

/* What cred_claims_check says of a claim set carrying this name. */
static int claims_accept(const char *name, size_t len)
{
	struct cred_claims c;

	if (len > CRED_NAME_MAX || memchr(name, '\0', len) != NULL)
		return 0; /* cannot even be put into the struct */
	memset(&c, 0, sizeof c);
	strcpy(c.iss, "ankang.test");
	memcpy(c.name, name, len);
	c.iat = 1000;
	c.exp = 1300;
	c.status = CRED_GREEN;
	return cred_claims_check(&c) == 0;
}

static void account_names(void)
{
	char n64[65], n65[66];

	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	ok(policy_account_name_valid("checkpoint-17", 13), "account name checkpoint-17");
	ok(policy_account_name_valid("officer.hefei.3", 15), "account name officer.hefei.3");
	ok(policy_account_name_valid("A_z-9.", 6), "every allowed character class");
	ok(policy_account_name_valid("a", 1), "1 character");
	ok(policy_account_name_valid(n64, 64), "64 characters");
	ok(!policy_account_name_valid(n65, 65), "65 characters: refused");
	ok(!policy_account_name_valid("", 0), "empty: refused");
	ok(!policy_account_name_valid("two words", 9), "a space: refused");
	ok(!policy_account_name_valid("\xe5\xbc\xa0\xe4\xb8\x89", 6),
	   "CJK (a person's name): refused");
	ok(!policy_account_name_valid("a/b", 3), "a slash: refused");
	ok(!policy_account_name_valid("a'; --", 6), "SQL punctuation: refused");
	ok(!policy_account_name_valid("a\0b", 3), "an embedded NUL: refused");
	ok(!policy_account_name_valid(NULL, 0), "NULL: refused");
}

/* A byte string and its length, embedded NULs included. */
#define B(lit) lit, sizeof(lit) - 1

/*
 * Names: each case is an input, whether enrolment accepts it, and the NFC
 * form it must come out as (NULL: the input itself). Only ok() is used on
 * names, so a failure prints the case's description, never the name.
 */
static const struct name_case {
	const char *in;
	size_t len;
	int want;
	const char *nfc; /* NULL: unchanged */
	size_t nfc_len;
	const char *what;
} name_cases[] = {
    /* What real names carry. */
    {B("Test Resident"), 1, NULL, 0, "ASCII words with a space"},
    {B("\xe5\xbc\xa0\xe4\xb8\x89"), 1, NULL, 0, "a Chinese name"},
    {B("\xe9\x98\xbf\xe6\xb2\x9b\xc2\xb7\xe9\x98\xbf\xe6\x97\xba\xe6\x99\x8b\xe7\xbe\x8e"), 1, NULL,
     0, "a Chinese name with U+00B7 MIDDLE DOT"},
    {B("\xe9\x98\xbf\xe6\xb2\x9b\xe3\x83\xbb\xe9\x98\xbf\xe6\x97\xba\xe6\x99\x8b\xe7\xbe\x8e"), 1,
     NULL, 0, "the same with U+30FB KATAKANA MIDDLE DOT"},
    {B("\xf0\xa0\x80\x80\xe4\xb8\x89"), 1, NULL, 0, "a four-byte CJK letter (U+20000)"},
    {B("Siobh\xc3\xa1n O'Brien"), 1, NULL, 0, "O'Brien (U+0027)"},
    {B("O\xe2\x80\x99"
       "Brien"),
     1, NULL, 0, "O'Brien with U+2019"},
    {B("Jean-Luc Picard"), 1, NULL, 0, "Jean-Luc (a hyphen)"},
    {B("Martin Luther King Jr."), 1, NULL, 0, "a full stop, last"},
    {B("Gerard 't Hooft"), 1, NULL, 0, "an apostrophe after a space"},
    {B("'t Hooft Gerard"), 1, NULL, 0, "an apostrophe first"},
    {B("\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0"), 1, NULL, 0, "Cyrillic"},
    {B("\xe0\xa4\xb0\xe0\xa4\xb5\xe0\xa4\xbf"), 1, NULL, 0,
     "Devanagari ending in a vowel sign (Mc)"},
    {B("a"), 1, NULL, 0, "one letter"},
    /* NFC: the composed form is what comes out. */
    {B("Jose\xcc\x81"), 1, B("Jos\xc3\xa9"), "e + U+0301 becomes U+00E9"},
    {B("\xe2\x84\xab"
       "ngstr\xc3\xb6m"),
     1, B("\xc3\x85ngstr\xc3\xb6m"), "U+212B ANGSTROM SIGN becomes U+00C5"},
    {B("\xe1\x84\x80\xe1\x85\xa1"), 1, B("\xea\xb0\x80"), "Hangul jamo become a syllable"},
    {B("\xe9\x98\xbf\xe6\xb2\x9b\xce\x87\xe9\x98\xbf\xe6\x97\xba"), 1,
     B("\xe9\x98\xbf\xe6\xb2\x9b\xc2\xb7\xe9\x98\xbf\xe6\x97\xba"),
     "U+0387 GREEK ANO TELEIA becomes the middle dot U+00B7"},
    {B("Vie\xcc\xa3\xcc\x82t"), 1, B("Vi\xe1\xbb\x87t"),
     "e + U+0323 + U+0302 becomes U+1EC7 (two marks composed)"},
    {B("\xd9\x85\xd8\xad\xd9\x85\xd9\x91\xd9\x8e\xd8\xaf"), 1,
     B("\xd9\x85\xd8\xad\xd9\x85\xd9\x8e\xd9\x91\xd8\xaf"),
     "Arabic shadda then fatha: NFC puts fatha (ccc 30) first"},
    /* Marks. */
    {B("Ax\xcc\x81\xcc\x81\xcc\x81\xcc\x81"), 1, NULL, 0, "four marks in a row"},
    {B("Ax\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"), 0, NULL, 0, "five marks in a row"},
    {B("\xcc\x81"
       "Anna"),
     0, NULL, 0, "a mark first"},
    {B("Ann \xcc\x81"
       "a"),
     0, NULL, 0, "a mark after a space"},
    {B("Ann-\xcc\x81"
       "a"),
     0, NULL, 0, "a mark after a hyphen"},
    {B("Anna\xe2\x83\x9d"), 0, NULL, 0, "an enclosing mark (U+20DD, Me)"},
    {B("Anna\xe2\x83\xa0"), 0, NULL, 0, "U+20E0 COMBINING ENCLOSING CIRCLE BACKSLASH"},
    /* Spaces. */
    {B("   "), 0, NULL, 0, "only spaces"},
    {B(" Anna Li"), 0, NULL, 0, "a leading space"},
    {B("Anna Li "), 0, NULL, 0, "a trailing space"},
    {B("Anna  Li"), 0, NULL, 0, "two spaces in a row"},
    {B("Anna\xc2\xa0Li"), 0, NULL, 0, "U+00A0 NO-BREAK SPACE"},
    {B("\xe5\xbc\xa0\xe3\x80\x80\xe4\xb8\x89"), 0, NULL, 0, "U+3000 IDEOGRAPHIC SPACE"},
    {B("Anna\tLi"), 0, NULL, 0, "a tab"},
    /* Punctuation: where it may stand, and no other. */
    {B("-Anna"), 0, NULL, 0, "a hyphen first"},
    {B(".Anna"), 0, NULL, 0, "a full stop first"},
    {B("\xc2\xb7\xe5\xbc\xa0\xe4\xb8\x89"), 0, NULL, 0, "a middle dot first"},
    {B("'"), 0, NULL, 0, "an apostrophe alone (no letter)"},
    {B("'-."), 0, NULL, 0, "punctuation only"},
    {B("Li, Anna"), 0, NULL, 0, "a comma"},
    {B("Anna (Li)"), 0, NULL, 0, "brackets"},
    {B("Anna \"Li\""), 0, NULL, 0, "double quotes"},
    {B("Anna\\Li"), 0, NULL, 0, "a backslash"},
    {B("Anna\xe2\x80\x90Li"), 0, NULL, 0, "U+2010 HYPHEN (only U+002D is allowed)"},
    /* Digits, symbols, emoji. */
    {B("Anna Li 2"), 0, NULL, 0, "a digit"},
    {B("\xe5\xbc\xa0\xe4\xb8\x89\xef\xbc\x91"), 0, NULL, 0, "a fullwidth digit"},
    {B("Anna \xf0\x9f\x98\x80"), 0, NULL, 0, "an emoji"},
    {B("Anna\xe2\x9c\x93"), 0, NULL, 0, "a check mark symbol"},
    /* Controls, format characters, invisible letters. */
    /* The bidirectional controls in the next two are what they test. */
    /* NOLINTNEXTLINE(misc-misleading-bidirectional) */
    {B("Anna\xe2\x80\xae"
       "iL"),
     0, NULL, 0, "U+202E RIGHT-TO-LEFT OVERRIDE"},
    /* NOLINTNEXTLINE(misc-misleading-bidirectional) */
    {B("Anna\xe2\x81\xa7Li"), 0, NULL, 0, "U+2067 RIGHT-TO-LEFT ISOLATE"},
    {B("Anna\xe2\x80\x8fLi"), 0, NULL, 0, "U+200F RIGHT-TO-LEFT MARK"},
    {B("Anna\xd8\x9cLi"), 0, NULL, 0, "U+061C ARABIC LETTER MARK"},
    {B("Anna\xe2\x80\x8bLi"), 0, NULL, 0, "U+200B ZERO WIDTH SPACE"},
    {B("Anna\xe2\x80\x8dLi"), 0, NULL, 0, "U+200D ZERO WIDTH JOINER"},
    {B("Anna\xc2\x85Li"), 0, NULL, 0, "U+0085, a C1 control"},
    {B("a\xc2\x9b"
       "31m"),
     0, NULL, 0, "U+009B, a C1 CSI"},
    {B("Anna\xe3\x85\xa4Li"), 0, NULL, 0, "U+3164 HANGUL FILLER (a letter that shows nothing)"},
    {B("\xe3\x85\xa4"), 0, NULL, 0, "a name of one Hangul filler"},
    {B("Anna\xcd\x8fLi"), 0, NULL, 0, "U+034F COMBINING GRAPHEME JOINER (an invisible mark)"},
    {B("\xe8\xbe\xbb\xef\xb8\x80"), 0, NULL, 0, "a variation selector (U+FE00)"},
    {B("a\nb"), 0, NULL, 0, "a newline"},
    {B("a\x7f"), 0, NULL, 0, "DEL"},
    {B("a\0b"), 0, NULL, 0, "an embedded NUL"},
    /* Code points that are not characters. */
    {B("Anna\xef\xb7\x90"), 0, NULL, 0, "U+FDD0, a non-character"},
    {B("Anna\xef\xbf\xbe"), 0, NULL, 0, "U+FFFE, a non-character"},
    {B("Anna\xef\xbf\xbf"), 0, NULL, 0, "U+FFFF, a non-character"},
    {B("Anna\xee\x80\x80"), 0, NULL, 0, "U+E000, private use"},
    {B("Anna\xcd\xb8"), 0, NULL, 0, "U+0378, unassigned"},
    /* Not UTF-8. */
    {B(""), 0, NULL, 0, "empty"},
    {B("Anna\xff"), 0, NULL, 0, "invalid UTF-8 (0xff)"},
    {B("\xc0\x80"), 0, NULL, 0, "an overlong NUL"},
    {B("Anna\xed\xa0\x80"), 0, NULL, 0, "an encoded surrogate"},
    {B("\xe5\xbc\xa0\xe4\xb8"), 0, NULL, 0, "a cut CJK character"},
};

static void name_rule(void)
{
	for (size_t i = 0; i < AK_ARRAY_LEN(name_cases); i++) {
		const struct name_case *c = &name_cases[i];
		const char *want = c->nfc != NULL ? c->nfc : c->in;
		size_t want_len = c->nfc != NULL ? c->nfc_len : c->len, n = 99;
		char out[CRED_NAME_MAX + 1];
		int rc;

		memset(out, 'X', sizeof out);
		rc = policy_name_normalise(out, sizeof out, c->in, c->len, &n);
		if (!c->want) {
			ok(rc == AK_EINVAL && out[0] == '\0' && n == 0 &&
			       !policy_name_valid(c->in, c->len),
			   "name refused: %s", c->what);
			continue;
		}
		ok(rc == 0 && n == want_len && memcmp(out, want, n) == 0 && out[n] == '\0',
		   "name accepted: %s%s", c->what, c->nfc != NULL ? " (bytes checked)" : "");
		ok(policy_name_valid(out, n) && claims_accept(out, n),
		   "  what came out is a valid name and a credential may carry it");
		if (c->nfc != NULL)
			ok(!policy_name_valid(c->in, c->len),
			   "  policy_name_valid refuses the input: not NFC");
	}
}

static void name_lengths(void)
{
	char in[POLICY_NAME_INPUT_MAX + 8], out[CRED_NAME_MAX + 1];
	size_t n = 0;

	memset(in, 'n', sizeof in);
	is_int(policy_name_normalise(out, sizeof out, in, CRED_NAME_MAX, &n), 0,
	       "a name of %d bytes", CRED_NAME_MAX);
	ok(n == CRED_NAME_MAX && policy_name_valid(out, n), "  comes out whole and valid");
	is_int(policy_name_normalise(out, sizeof out, in, CRED_NAME_MAX + 1, &n), AK_EINVAL,
	       "a name of %d bytes: refused", CRED_NAME_MAX + 1);
	ok(!policy_name_valid(in, CRED_NAME_MAX + 1), "  and not valid");
	ok(claims_accept(in, CRED_NAME_MAX) && !claims_accept(in, CRED_NAME_MAX + 1),
	   "the same limit as a credential's");

	/* 64 decomposed e-acute: 192 bytes in, 128 after NFC. */
	for (int i = 0; i < 64; i++)
		memcpy(in + 3 * i, "e\xcc\x81", 3);
	is_int(policy_name_normalise(out, sizeof out, in, 192, &n), 0,
	       "192 bytes that NFC brings to %d: accepted", CRED_NAME_MAX);
	ok(n == CRED_NAME_MAX && memcmp(out, "\xc3\xa9\xc3\xa9", 4) == 0,
	   "  as 64 composed characters");
	memcpy(in + 192, "e", 1);
	is_int(policy_name_normalise(out, sizeof out, in, 193, &n), AK_EINVAL,
	       "one letter more (%d bytes after NFC): refused", CRED_NAME_MAX + 1);

	/* Input whose NFC could never fit, refused before any work. */
	memset(in, 'n', sizeof in);
	is_int(policy_name_normalise(out, sizeof out, in, POLICY_NAME_INPUT_MAX + 1, &n), AK_EINVAL,
	       "input over POLICY_NAME_INPUT_MAX: refused");
	in[0] = 'A';
	for (int i = 0; i < 200; i++)
		memcpy(in + 1 + 2 * i, "\xcc\x81", 2);
	is_int(policy_name_normalise(out, sizeof out, in, 401, &n), AK_EINVAL,
	       "a letter and 200 marks: refused");
	is_int(policy_name_normalise(out, 2, "Anna", 4, &n), AK_EINVAL, "cap too small: refused");
	is_int(policy_name_normalise(out, sizeof out, NULL, 0, &n), AK_EINVAL, "NULL input");
	is_int(policy_name_normalise(NULL, 0, "Anna", 4, NULL), AK_EINVAL, "NULL output");
	is_int(policy_name_normalise(out, sizeof out, "Anna", 4, NULL), 0, "outlen may be NULL");
	ok(!policy_name_valid(NULL, 0), "NULL name: not valid");
}

static void phones(void)
{
	ok(policy_phone_valid("13800000000", 11), "an 11-digit mobile number");
	ok(policy_phone_valid("+8613800000000", 14), "with +86");
	ok(policy_phone_valid("123456", 6), "6 digits");
	ok(policy_phone_valid("+12345", 6), "+ and 5 digits (6 characters)");
	ok(!policy_phone_valid("12345", 5), "5 digits: refused");
	ok(policy_phone_valid("12345678901234567890", 20), "20 digits");
	ok(!policy_phone_valid("123456789012345678901", 21), "21 digits: refused");
	ok(!policy_phone_valid("+", 1), "+ alone: refused");
	ok(!policy_phone_valid("++123456", 8), "two +: refused");
	ok(!policy_phone_valid("138+00000000", 12), "+ inside: refused");
	ok(!policy_phone_valid("138 0000 0000", 13), "spaces: refused");
	ok(!policy_phone_valid("138-0000-0000", 13), "dashes: refused");
	ok(!policy_phone_valid("13800000000x", 12), "a letter: refused");
	ok(!policy_phone_valid("", 0), "empty: refused");
}

static void passphrases(void)
{
	char p[POLICY_PASSPHRASE_MAX + 2];

	memset(p, 'p', sizeof p);
	ok(!policy_passphrase_valid(p, 7), "7 bytes: refused");
	ok(policy_passphrase_valid(p, 8), "8 bytes");
	ok(policy_passphrase_valid(p, POLICY_PASSPHRASE_MAX), "%d bytes", POLICY_PASSPHRASE_MAX);
	ok(!policy_passphrase_valid(p, POLICY_PASSPHRASE_MAX + 1), "%d bytes: refused",
	   POLICY_PASSPHRASE_MAX + 1);
	ok(policy_passphrase_valid("\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8\x89", 9),
	   "3 CJK characters (9 bytes)");
	ok(!policy_passphrase_valid("\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8", 8),
	   "8 bytes ending in half a character: refused");
	ok(!policy_passphrase_valid("password\xff", 9), "invalid UTF-8: refused");
	ok(!policy_passphrase_valid("pass\0word", 9), "an embedded NUL: refused");
	ok(policy_passphrase_valid("pass word\t!", 11), "spaces and tabs are allowed");
}

int main(void)
{
	int all = 1, none = 1;

	/* Reasons and purposes: each word, its detail, its word back. */
	for (size_t i = 0; i < AK_ARRAY_LEN(reasons); i++) {
		int d = reason(reasons[i]);
		all &= d >= 0 && strcmp(leaf_detail_word(d), reasons[i]) == 0;
		none &= purpose(reasons[i]) == -1;
	}
	ok(all, "every DESIGN.md status reason parses to its own leaf detail");
	ok(none, "no status reason is a look-up purpose");
	is_int(reason("confirmed_case"), DET_CONFIRMED_CASE,
	       "confirmed_case -> DET_CONFIRMED_CASE");
	is_int(reason("appeal_upheld"), DET_APPEAL_UPHELD, "appeal_upheld -> DET_APPEAL_UPHELD");
	all = none = 1;
	for (size_t i = 0; i < AK_ARRAY_LEN(purposes); i++) {
		int d = purpose(purposes[i]);
		all &= d >= 0 && strcmp(leaf_detail_word(d), purposes[i]) == 0;
		none &= reason(purposes[i]) == -1;
	}
	ok(all, "every DESIGN.md look-up purpose parses to its own leaf detail");
	ok(none, "no look-up purpose is a status reason");

	/* Every other detail word is neither. */
	{
		int n_reason = 0, n_purpose = 0;
		for (int d = DET_NONE + 1; d < DET_COUNT; d++) {
			const char *w = leaf_detail_word(d);
			n_reason += reason(w) >= 0;
			n_purpose += purpose(w) >= 0;
		}
		is_int(n_reason, AK_ARRAY_LEN(reasons),
		       "of all leaf detail words, exactly the 10 reasons are reasons");
		is_int(n_purpose, AK_ARRAY_LEN(purposes),
		       "of all leaf detail words, exactly the 4 purposes are purposes");
	}
	is_int(reason("green"), -1, "a status is not a reason");
	is_int(reason("officer"), -1, "a role is not a reason");
	is_int(reason("-"), -1, "\"-\" is not a reason");
	is_int(reason(""), -1, "empty is not a reason");
	is_int(reason("Close_contact"), -1, "reasons are case-sensitive");
	is_int(reason("close_contact "), -1, "a trailing space is refused");
	is_int(policy_reason_parse("close_contact", 5), -1, "a prefix of a word is refused");
	is_int(policy_reason_parse(NULL, 0), -1, "NULL is refused");
	is_int(purpose("rate_limited"), -1, "rate_limited is not a purpose");
	is_int(policy_purpose_parse(NULL, 0), -1, "NULL purpose is refused");

	/* Appeals. */
	{
		static const char *const why[] = {"wrong_person", "negative_test",
						  "not_in_risk_area", "quarantine_completed",
						  "other"};
		int n = 0;
		all = 1;
		for (size_t i = 0; i < AK_ARRAY_LEN(why); i++) {
			int d = policy_appeal_reason_parse(why[i], strlen(why[i]));
			all &= d > 0 && strcmp(leaf_detail_word(d), why[i]) == 0;
		}
		ok(all, "every appeal reason parses to its own leaf detail");
		for (int d = DET_NONE + 1; d < DET_COUNT; d++) {
			const char *w = leaf_detail_word(d);
			n += policy_appeal_reason_parse(w, strlen(w)) >= 0;
		}
		is_int(n, 5, "of all detail words, exactly the 5 appeal reasons are");
		is_int(policy_appeal_reason_parse("close_contact", 13), -1,
		       "a status reason that is not an appeal's is refused");
		is_int(policy_appeal_answer_parse(1, "record_error", 12), DET_RECORD_ERROR,
		       "upheld: record_error");
		is_int(policy_appeal_answer_parse(1, "evidence_accepted", 17),
		       DET_EVIDENCE_ACCEPTED, "upheld: evidence_accepted");
		is_int(policy_appeal_answer_parse(1, "status_confirmed", 16), -1,
		       "upheld: not status_confirmed");
		is_int(policy_appeal_answer_parse(0, "status_confirmed", 16), DET_STATUS_CONFIRMED,
		       "rejected: status_confirmed");
		is_int(policy_appeal_answer_parse(0, "evidence_insufficient", 21),
		       DET_EVIDENCE_INSUFFICIENT, "rejected: evidence_insufficient");
		is_int(policy_appeal_answer_parse(0, "record_error", 12), -1,
		       "rejected: not record_error");
		is_int(policy_appeal_answer_parse(0, NULL, 0), -1, "NULL is refused");
	}
	{
		char buf[POLICY_APPEAL_TEXT_BYTES + 8];
		size_t i;
		ok(policy_appeal_text_valid("", 0), "an empty text is valid");
		ok(policy_appeal_text_valid("line\nnext\ttab\r\n", 15), "line breaks and tabs are");
		ok(!policy_appeal_text_valid("a\x07"
					     "b",
					     3),
		   "a bell is not");
		ok(!policy_appeal_text_valid("a\x7f", 2), "DEL is not");
		ok(!policy_appeal_text_valid("a\xc2\x85", 3), "a C1 control (NEL) is not");
		ok(!policy_appeal_text_valid("a\0b", 3), "a NUL is not");
		ok(!policy_appeal_text_valid("\xff", 1), "invalid UTF-8 is not");
		for (i = 0; i < 500; i++)
			memcpy(buf + 3 * i, "\xe7\x94\xb3", 3);
		ok(policy_appeal_text_valid(buf, 1500), "500 CJK characters (1500 bytes) are");
		memset(buf, 'x', 501);
		ok(policy_appeal_text_valid(buf, 500), "500 letters are");
		ok(!policy_appeal_text_valid(buf, 501), "501 are not");
		for (i = 0; i < 500; i++)
			memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
		ok(policy_appeal_text_valid(buf, 2000), "500 emoji (2000 bytes) are");
		ok(!policy_appeal_text_valid(buf, 2001), "a byte more is not");
	}

	name_rule();
	name_lengths();
	phones();
	passphrases();
	account_names();
	return tap_done();
}
