/*
 * base45: RFC 9285, the text form of a credential's COSE bytes.
 *
 * Every two bytes [a, b] become the number n = a * 256 + b, written as
 * three base-45 digits c + d * 45 + e * 45^2 in the order c d e (least
 * significant first); a lone final byte becomes two digits. Decoding is the
 * exact inverse and nothing more: a length of 3k+1, a character outside the
 * alphabet, a triple above 65535 or a final pair above 255 has no preimage,
 * so it is rejected. That keeps the encoding of a byte string unique, which
 * the credential parser relies on (one credential, one text).
 *
 * Never reads past in[0..len) or writes past out[0..cap).
 */
#include "crypto/base45.h"

#include <limits.h>

#include "common/util.h"

static const char b45_alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The digit value of c, or -1 when c is not in the alphabet. */
static int b45_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	switch (c) {
	case ' ':
		return 36;
	case '$':
		return 37;
	case '%':
		return 38;
	case '*':
		return 39;
	case '+':
		return 40;
	case '-':
		return 41;
	case '.':
		return 42;
	case '/':
		return 43;
	case ':':
		return 44;
	}
	return -1;
}

size_t b45_encoded_len(size_t n)
{
	return n / 2 * 3 + (n % 2) * 2;
}

int b45_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
	size_t len, o = 0, i = 0;

	/* Beyond this the length computation below would overflow. */
	if (n > (SIZE_MAX - 1) / 2)
		return AK_ETOOBIG;
	len = b45_encoded_len(n);
	if (len > INT_MAX || cap < len + 1)
		return AK_ETOOBIG;
	for (; i + 1 < n; i += 2) {
		unsigned v = (unsigned)in[i] << 8 | in[i + 1];
		out[o++] = b45_alphabet[v % 45];
		v /= 45;
		out[o++] = b45_alphabet[v % 45];
		out[o++] = b45_alphabet[v / 45];
	}
	if (i < n) {
		unsigned v = in[i];
		out[o++] = b45_alphabet[v % 45];
		out[o++] = b45_alphabet[v / 45];
	}
	out[o] = '\0';
	return (int)o;
}

int b45_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t need, o = 0, i = 0;

	*outlen = 0;
	if (len % 3 == 1)
		return AK_EINVAL;
	need = len / 3 * 2 + (len % 3 == 2);
	if (need > cap)
		return AK_ETOOBIG;
	for (; i + 3 <= len; i += 3) {
		int c = b45_digit(s[i]), d = b45_digit(s[i + 1]), e = b45_digit(s[i + 2]);
		unsigned long v;

		if (c < 0 || d < 0 || e < 0)
			return AK_EINVAL;
		v = (unsigned long)c + (unsigned long)d * 45 + (unsigned long)e * 45 * 45;
		if (v > 0xffff)
			return AK_EINVAL;
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (i < len) {
		int c = b45_digit(s[i]), d = b45_digit(s[i + 1]);
		unsigned v;

		if (c < 0 || d < 0)
			return AK_EINVAL;
		v = (unsigned)c + (unsigned)d * 45;
		if (v > 0xff)
			return AK_EINVAL;
		out[o++] = (uint8_t)v;
	}
	*outlen = o;
	return 0;
}
