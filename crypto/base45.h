/*
 * base45: RFC 9285 encoding, as the credential's text form uses it.
 *
 * The alphabet is QR alphanumeric mode's 45 characters, which is why a
 * credential fits QR alphanumeric mode. Decoding is strict: a character
 * outside the alphabet, a length of 3k+1, a triple above 65535 or a final
 * pair above 255 is an error, never a guess.
 */
#ifndef ANKANG_BASE45_H
#define ANKANG_BASE45_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes (no NUL). */
size_t b45_encoded_len(size_t n);

/*
 * Encodes in[0..n) into out, NUL-terminated; cap counts the NUL.
 * Returns the length written (without NUL), or AK_ETOOBIG.
 */
int b45_encode(char *out, size_t cap, const uint8_t *in, size_t n);

/*
 * Decodes exactly in[0..len) into out (at most cap bytes), setting *outlen.
 * Returns 0, AK_EINVAL on any malformation, or AK_ETOOBIG.
 */
int b45_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len);

#endif
