/*
 * test_authz: how authz_identify reads the Authorization header, before
 * any look-up (no database: a token that parses gets as far as asking
 * for one, API_UNAVAILABLE; one that does not is API_BAD_TOKEN).
 * tests/sh/service_authz.sh tests who may call what over HTTP.
 */
#include <string.h>

#include "service/authz.h"
#include "service/token.h"
#include "tests/lib/tap.h"

static enum api_error identify(const char *header)
{
	struct caller c;

	return authz_identify(NULL, header, 1767225600, &c);
}

int main(void)
{
	char token[TOKEN_TEXT_LEN + 1], h[TOKEN_TEXT_LEN + 32];
	uint8_t hash[TOKEN_HASH_BYTES];

	token_new(TOKEN_ACCOUNT, token, hash);
	is_int(identify(NULL), API_OK, "no header: anonymous");

	snprintf(h, sizeof h, "Bearer %s", token);
	is_int(identify(h), API_UNAVAILABLE, "Bearer and a token: looked up");
	snprintf(h, sizeof h, "bEARER %s", token);
	is_int(identify(h), API_UNAVAILABLE, "the scheme in any case (RFC 9110 11.1)");
	/* Found by fuzz_http's seeds (corpus/http/code-svg-lower-bearer):
	 * more than one space was refused as a bad token. */
	snprintf(h, sizeof h, "Bearer   %s", token);
	is_int(identify(h), API_UNAVAILABLE,
	       "several spaces after the scheme (RFC 6750 2.1: 1*SP)");

	snprintf(h, sizeof h, "Bearer\t%s", token);
	is_int(identify(h), API_BAD_TOKEN, "a tab is not the space the grammar asks for");
	snprintf(h, sizeof h, "Bearer %s ", token);
	is_int(identify(h), API_BAD_TOKEN, "a byte after the token");
	snprintf(h, sizeof h, "Bearer%s", token);
	is_int(identify(h), API_BAD_TOKEN, "no space at all");
	is_int(identify("Bearer "), API_BAD_TOKEN, "no token");
	is_int(identify("Bearer    "), API_BAD_TOKEN, "only spaces");
	snprintf(h, sizeof h, "Basic %s", token);
	is_int(identify(h), API_BAD_TOKEN, "another scheme");
	return tap_done();
}
