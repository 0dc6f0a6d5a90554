/*
 * token: bearer tokens. An account token ("aka_...") is printed once by
 * `ankangd account add`; a session token ("aks_...") is what a resident's
 * login returns. Both are 32 random bytes in unpadded base64url after the
 * prefix, and the service stores only a hash of the bytes, so a copy of
 * the database holds no usable token.
 */
#ifndef ANKANG_TOKEN_H
#define ANKANG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES      32
#define TOKEN_HASH_BYTES 32
#define TOKEN_TEXT_LEN   (4 + 43) /* prefix + base64url of 32 bytes */

enum {
	TOKEN_ACCOUNT = 1,
	TOKEN_SESSION = 2
};

/* A fresh token of the kind: its text (NUL-terminated) and stored hash. */
void token_new(int kind, char text[TOKEN_TEXT_LEN + 1], uint8_t hash[TOKEN_HASH_BYTES]);

/* Parses exactly text[0..len) and computes its hash. Returns the kind, or
 * -1 for anything that is not a well-formed token. */
int token_parse(const char *text, size_t len, uint8_t hash[TOKEN_HASH_BYTES]);

#endif
