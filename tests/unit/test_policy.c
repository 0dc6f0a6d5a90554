/*
 * test_policy: the service's acceptance rules (service/policy.h).
 *
 * The closed lists of status reasons and look-up purposes are exactly
 * DESIGN.md's words, each mapping onto its leaf.h detail, and no other
 * detail word (a status, a role, a purpose where a reason is wanted)
 * slips through; a name is valid exactly when a credential could carry it
 * (the same answer as cred_claims_check); phones, passphrases and account
 * names at and past each bound.
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

static void names(void)
{
	static const struct {
		const char *s;
		size_t len;
		int want;
		const char *what;
	} cases[] = {
	    {"Test Resident", 13, 1, "ASCII with a space"},
	    {"\xe5\xbc\xa0\xe4\xb8\x89", 6, 1, "CJK"},
	    {"\xf0\xa0\x80\x80", 4, 1, "a four-byte character"},
	    {"a", 1, 1, "one byte"},
	    {"", 0, 0, "empty"},
	    {"a\tb", 3, 0, "a tab (C0 control)"},
	    {"a\nb", 3, 0, "a newline"},
	    {"a\x7f", 2, 0, "DEL"},
	    {"a\0b", 3, 0, "an embedded NUL"},
	    {"\xff", 1, 0, "invalid UTF-8"},
	    {"\xc0\x80", 2, 0, "an overlong NUL"},
	};
	char n128[CRED_NAME_MAX + 2];
	int same = 1;

	for (size_t i = 0; i < AK_ARRAY_LEN(cases); i++) {
		int got = policy_name_valid(cases[i].s, cases[i].len);
		is_int(got, cases[i].want, "name, %s", cases[i].what);
		same &= got == claims_accept(cases[i].s, cases[i].len);
	}
	memset(n128, 'n', sizeof n128);
	ok(policy_name_valid(n128, CRED_NAME_MAX), "name of %d bytes", CRED_NAME_MAX);
	same &= claims_accept(n128, CRED_NAME_MAX) == 1;
	ok(!policy_name_valid(n128, CRED_NAME_MAX + 1), "name of %d bytes: refused",
	   CRED_NAME_MAX + 1);
	ok(same, "policy_name_valid agrees with cred_claims_check on every case");
	ok(!policy_name_valid(NULL, 0), "NULL name: refused");
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

	names();
	phones();
	passphrases();
	account_names();
	return tap_done();
}
