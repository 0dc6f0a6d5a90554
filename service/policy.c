/*
 * policy: what the service accepts (rules in policy.h).
 *
 * The closed lists are leaf.h's: a status reason or a look-up purpose is
 * a word of leaf.h's detail list that falls in that list's range, so the
 * word an officer sends, the word the log records and the word an auditor
 * reads are the same table. A name is whatever a credential may carry
 * (cred_name_valid, the rule cred_claims_check applies), so nothing is
 * enrolled that could not later be put in a code.
 */
#include "service/policy.h"

#include <string.h>

#include "common/util.h"

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

int policy_name_valid(const char *s, size_t len)
{
	return s != NULL && cred_name_valid(s, len);
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
