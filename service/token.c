/*
 * token: bearer tokens (see token.h). The raw bytes exist only on the way
 * in and out and are wiped; what is stored is BLAKE2b of them under a
 * fixed context, which is enough for 256-bit random secrets: there is
 * nothing to guess.
 */
#include "service/token.h"

#include <string.h>

#include <sodium.h>

static const char PREFIX_ACCOUNT[] = "aka_";
static const char PREFIX_SESSION[] = "aks_";
static const uint8_t HASH_CTX[] = "ankang token v1";

/* The kind is hashed with the bytes: an account token's body presented
 * as a session token (or the reverse) hashes to something else. */
static void token_hash(int kind, const uint8_t raw[TOKEN_BYTES], uint8_t hash[TOKEN_HASH_BYTES])
{
	crypto_generichash_state st;
	uint8_t k = (uint8_t)kind;

	crypto_generichash_init(&st, HASH_CTX, sizeof HASH_CTX - 1, TOKEN_HASH_BYTES);
	crypto_generichash_update(&st, &k, 1);
	crypto_generichash_update(&st, raw, TOKEN_BYTES);
	crypto_generichash_final(&st, hash, TOKEN_HASH_BYTES);
}

void token_new(int kind, char text[TOKEN_TEXT_LEN + 1], uint8_t hash[TOKEN_HASH_BYTES])
{
	uint8_t raw[TOKEN_BYTES];

	randombytes_buf(raw, sizeof raw);
	memcpy(text, kind == TOKEN_SESSION ? PREFIX_SESSION : PREFIX_ACCOUNT, 4);
	sodium_bin2base64(text + 4, TOKEN_TEXT_LEN - 4 + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_hash(kind == TOKEN_SESSION ? TOKEN_SESSION : TOKEN_ACCOUNT, raw, hash);
	sodium_memzero(raw, sizeof raw);
}

int token_parse(const char *text, size_t len, uint8_t hash[TOKEN_HASH_BYTES])
{
	uint8_t raw[TOKEN_BYTES];
	size_t n = 0;
	const char *end = NULL;
	int kind;

	if (len != TOKEN_TEXT_LEN)
		return -1;
	if (memcmp(text, PREFIX_ACCOUNT, 4) == 0)
		kind = TOKEN_ACCOUNT;
	else if (memcmp(text, PREFIX_SESSION, 4) == 0)
		kind = TOKEN_SESSION;
	else
		return -1;
	/* libsodium 1.0.18 maps bytes >= 0x80 to '/': check the alphabet. */
	for (size_t i = 4; i < len; i++) {
		char c = text[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
	}
	if (sodium_base642bin(raw, sizeof raw, text + 4, len - 4, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof raw || end != text + len) {
		sodium_memzero(raw, sizeof raw);
		return -1;
	}
	token_hash(kind, raw, hash);
	sodium_memzero(raw, sizeof raw);
	return kind;
}
