/*
 * term: terminal-safe text (see term.h). A small strict UTF-8 decoder:
 * overlong forms, surrogates and code points above U+10FFFF count as
 * invalid, and each invalid byte becomes one U+FFFD.
 */
#include "verifier/term.h"

#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

int term_unsafe_cp(unsigned long c)
{
	return c < 0x20 || c == 0x7f ||        /* C0, DEL */
	       (c >= 0x80 && c <= 0x9f) ||     /* C1 */
	       (c >= 0x202a && c <= 0x202e) || /* LRE RLE PDF LRO RLO */
	       (c >= 0x2066 && c <= 0x2069) || /* LRI RLI FSI PDI */
	       c == 0x200e || c == 0x200f ||   /* LRM RLM */
	       c == 0x061c ||                  /* ALM */
	       c == 0x2028 || c == 0x2029;     /* line, paragraph separators */
}

/* Decodes one code point at s[0..len); returns its length, 0 if invalid. */
static size_t decode(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned long c;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

long term_safe(char *out, size_t cap, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	long replaced = 0;

	if (cap == 0)
		return -1;
	while (i < len) {
		unsigned long cp = 0;
		size_t n = decode(s + i, len - i, &cp);
		const char *src = in + i;
		size_t m = n;

		if (n == 0 || term_unsafe_cp(cp)) {
			src = replacement;
			m = 3;
			replaced++;
		}
		if (m >= cap - o) {
			out[0] = '\0';
			return -1;
		}
		memcpy(out + o, src, m);
		o += m;
		i += n == 0 ? 1 : n;
	}
	out[o] = '\0';
	return replaced;
}
