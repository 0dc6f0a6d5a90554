/*
 * test_token: bearer tokens (service/token.h).
 *
 * A new token's text parses back to its kind and the same hash; every
 * malformed form is refused (length, prefix, alphabet, non-canonical
 * base64, stray bytes); one character changed is another token. Tokens
 * are secrets: they are compared here, never printed.
 */
#include <string.h>

#include <sodium.h>

#include "service/token.h"
#include "tests/lib/tap.h"

static int parse(const char *t, size_t len)
{
	uint8_t h[TOKEN_HASH_BYTES];
	return token_parse(t, len, h);
}

int main(void)
{
	char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1], bad[TOKEN_TEXT_LEN + 2];
	uint8_t ha[TOKEN_HASH_BYTES], hb[TOKEN_HASH_BYTES], h[TOKEN_HASH_BYTES];
	int refused;

	if (sodium_init() < 0)
		bail_out("sodium_init");

	/* Round trips. */
	token_new(TOKEN_ACCOUNT, a, ha);
	is_int(strlen(a), TOKEN_TEXT_LEN, "an account token is %d characters", TOKEN_TEXT_LEN);
	ok(strncmp(a, "aka_", 4) == 0, "and starts aka_");
	is_int(token_parse(a, strlen(a), h), TOKEN_ACCOUNT, "it parses as an account token");
	ok(sodium_memcmp(h, ha, sizeof h) == 0, "to the hash token_new gave");
	token_new(TOKEN_SESSION, b, hb);
	is_int(strlen(b), TOKEN_TEXT_LEN, "a session token is %d characters", TOKEN_TEXT_LEN);
	ok(strncmp(b, "aks_", 4) == 0, "and starts aks_");
	is_int(token_parse(b, strlen(b), h), TOKEN_SESSION, "it parses as a session token");
	ok(sodium_memcmp(h, hb, sizeof h) == 0, "to the hash token_new gave");
	ok(strcmp(a + 4, b + 4) != 0 && sodium_memcmp(ha, hb, sizeof ha) != 0,
	   "two new tokens differ, and so do their hashes");
	{
		int alphabet = 1, distinct = 1;
		uint8_t prev[TOKEN_HASH_BYTES] = {0};
		for (int i = 0; i < 200; i++) {
			token_new(i % 2 ? TOKEN_SESSION : TOKEN_ACCOUNT, b, hb);
			alphabet &=
			    strlen(b) == TOKEN_TEXT_LEN &&
			    strspn(b + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					  "0123456789-_") == TOKEN_TEXT_LEN - 4 &&
			    token_parse(b, strlen(b), h) ==
				(i % 2 ? TOKEN_SESSION : TOKEN_ACCOUNT) &&
			    sodium_memcmp(h, hb, sizeof h) == 0;
			distinct &= sodium_memcmp(prev, hb, sizeof hb) != 0;
			memcpy(prev, hb, sizeof prev);
		}
		ok(alphabet, "200 new tokens: base64url only, each parsing to its kind and hash");
		ok(distinct, "and no two in a row alike");
	}
	{
		char unknown[TOKEN_TEXT_LEN + 1];
		token_new(0, unknown, h);
		is_int(parse(unknown, strlen(unknown)), TOKEN_ACCOUNT,
		       "an unknown kind asked of token_new makes an account token");
	}

	/* Lengths. */
	is_int(parse(a, TOKEN_TEXT_LEN - 1), -1, "one character short: refused");
	memcpy(bad, a, TOKEN_TEXT_LEN);
	bad[TOKEN_TEXT_LEN] = 'A';
	is_int(parse(bad, TOKEN_TEXT_LEN + 1), -1, "one character long: refused");
	is_int(parse("", 0), -1, "empty: refused");
	is_int(parse("aka_", 4), -1, "the prefix alone: refused");

	/* Prefixes. */
	static const char *const prefixes[] = {"akx_", "AKA_", "aka-", "aks-",
					       "ak_a", "Aks_", "bka_", "\0ka_"};
	refused = 0;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		memcpy(bad, a, TOKEN_TEXT_LEN + 1);
		memcpy(bad, prefixes[i], 4);
		refused += parse(bad, TOKEN_TEXT_LEN) == -1;
	}
	is_int(refused, 8, "8 wrong prefixes: all refused");

	/* The alphabet, at every position of the body. */
	static const char junk[] = {'+',  '/',  '=',        ' ',        '.',
				    '\0', '\n', (char)0x80, (char)0xff, '~'};
	refused = 0;
	for (size_t pos = 4; pos < TOKEN_TEXT_LEN; pos++)
		for (size_t j = 0; j < sizeof junk; j++) {
			memcpy(bad, a, TOKEN_TEXT_LEN + 1);
			bad[pos] = junk[j];
			refused += parse(bad, TOKEN_TEXT_LEN) == -1;
		}
	is_int(refused, (TOKEN_TEXT_LEN - 4) * (int)sizeof junk,
	       "standard base64's + / =, space, dot, NUL, newline, high bytes, ~ anywhere in the "
	       "body: refused");

	/* The last character carries 4 bits and 2 zero bits: a non-zero pad
	 * bit would be a second spelling of the same bytes. */
	{
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(b64, a[TOKEN_TEXT_LEN - 1]) - b64), spellings = 0;
		refused = 0;
		for (int low = 1; low < 4; low++) {
			memcpy(bad, a, TOKEN_TEXT_LEN + 1);
			bad[TOKEN_TEXT_LEN - 1] = b64[(v & ~3) | low];
			refused += parse(bad, TOKEN_TEXT_LEN) == -1;
		}
		is_int(refused, 3, "non-canonical last character (pad bits set): refused");
		for (int c = 0; c < 64; c++) {
			memcpy(bad, a, TOKEN_TEXT_LEN + 1);
			bad[TOKEN_TEXT_LEN - 1] = b64[c];
			if (token_parse(bad, TOKEN_TEXT_LEN, h) == TOKEN_ACCOUNT &&
			    sodium_memcmp(h, ha, sizeof h) == 0)
				spellings++;
		}
		is_int(spellings, 1, "exactly one spelling of the token gives its hash");
	}

	/* One character changed: another token, another hash. */
	{
		int differ = 1;
		for (size_t pos = 4; pos < TOKEN_TEXT_LEN - 1; pos++) {
			memcpy(bad, a, TOKEN_TEXT_LEN + 1);
			bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
			differ &= token_parse(bad, TOKEN_TEXT_LEN, h) == TOKEN_ACCOUNT &&
				  sodium_memcmp(h, ha, sizeof h) != 0;
		}
		ok(differ, "changing any one body character gives a different hash");
	}

	/* The kinds: the prefix decides it. */
	memcpy(bad, a, TOKEN_TEXT_LEN + 1);
	memcpy(bad, "aks_", 4);
	is_int(parse(bad, TOKEN_TEXT_LEN), TOKEN_SESSION,
	       "an account body behind aks_ reads as a "
	       "session token (the prefix is the kind)");
	return tap_done();
}
