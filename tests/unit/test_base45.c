/*
 * test_base45: RFC 9285 known answers, every strict-rejection class, and
 * round trips of random byte strings of every length 0..200.
 */
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/base45.h"
#include "tests/lib/tap.h"

static const struct {
	const char *bytes, *text;
} rfc[] = {
    {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"},
    {"", ""},
};

static void test_known_answers(void)
{
	for (size_t i = 0; i < AK_ARRAY_LEN(rfc); i++) {
		char text[64];
		uint8_t bytes[64];
		size_t n = strlen(rfc[i].bytes), got = 99;
		int rc = b45_encode(text, sizeof text, (const uint8_t *)rfc[i].bytes, n);

		is_int(rc, strlen(rfc[i].text), "rfc %zu: encoded length", i);
		is_str(text, rfc[i].text, "rfc %zu: encodes", i);
		is_int(b45_encoded_len(n), strlen(rfc[i].text), "rfc %zu: b45_encoded_len", i);
		rc = b45_decode(bytes, sizeof bytes, &got, rfc[i].text, strlen(rfc[i].text));
		ok(rc == 0 && got == n && memcmp(bytes, rfc[i].bytes, n) == 0, "rfc %zu: decodes",
		   i);
	}
}

static void test_rejects(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"B", "length 1 (3k+1)"},
	    {"BB8B", "length 4 (3k+1)"},
	    {"BB8BB8B", "length 7 (3k+1)"},
	    {"bb8", "lowercase letters"},
	    {"BB8,B", "comma"},
	    {"B_", "underscore in a pair"},
	    {"BB\n", "newline"},
	    {"=B8", "'=' padding character"},
	    {"GGW", "triple 65536 (lowest value above 65535)"},
	    {":::", "triple 91124 (all ':')"},
	    {"V5", "pair 256 (lowest value above 255)"},
	    {"::", "pair 2024"},
	    {"BB8:::", "bad triple after a good one"},
	    {"BB8V5", "bad pair after a good triple"},
	};
	uint8_t out[16];
	size_t n;

	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		is_int(b45_decode(out, sizeof out, &n, bad[i].text, strlen(bad[i].text)), AK_EINVAL,
		       "rejects %s", bad[i].why);

	/* The largest legal values sit just below the rejected ones. */
	ok(b45_decode(out, sizeof out, &n, "FGW", 3) == 0 && n == 2 && out[0] == 0xff &&
	       out[1] == 0xff,
	   "triple 65535 decodes to ff ff");
	ok(b45_decode(out, sizeof out, &n, "U5", 2) == 0 && n == 1 && out[0] == 0xff,
	   "pair 255 decodes to ff");

	/* Every byte value outside the alphabet, alone in a triple and in a pair. */
	int all_rejected = 1;
	for (int c = 0; c < 256; c++) {
		const char *alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
		char t3[3] = {'0', '0', (char)c}, t2[2] = {(char)c, '0'};
		int in_alpha = c != 0 && strchr(alpha, c) != NULL;
		int r3 = b45_decode(out, sizeof out, &n, t3, 3);
		int r2 = b45_decode(out, sizeof out, &n, t2, 2);
		if (in_alpha != (r2 == 0) || (!in_alpha && r3 != AK_EINVAL))
			all_rejected = 0;
	}
	ok(all_rejected, "every byte outside the 45-character alphabet is rejected, NUL too");

	/* Capacity: exact fits, one short is AK_ETOOBIG. */
	is_int(b45_decode(out, 1, &n, "BB8", 3), AK_ETOOBIG, "decode into too small a buffer");
	is_int(b45_decode(out, 2, &n, "BB8", 3), 0, "decode into an exact buffer");
	char text[8];
	is_int(b45_encode(text, 3, (const uint8_t *)"AB", 2), AK_ETOOBIG,
	       "encode without room for the NUL");
	is_int(b45_encode(text, 4, (const uint8_t *)"AB", 2), 3, "encode into an exact buffer");
}

static void test_round_trips(void)
{
	uint8_t in[200], back[200];
	char text[301];
	int bad = 0;

	for (size_t n = 0; n <= sizeof in; n++) {
		for (int rep = 0; rep < 20; rep++) {
			size_t got;
			int len;

			randombytes_buf(in, n);
			len = b45_encode(text, sizeof text, in, n);
			if (len < 0 || (size_t)len != b45_encoded_len(n) ||
			    strlen(text) != (size_t)len ||
			    b45_decode(back, sizeof back, &got, text, (size_t)len) != 0 ||
			    got != n || memcmp(in, back, n) != 0) {
				diag("round trip failed at length %zu", n);
				bad++;
			}
		}
	}
	ok(bad == 0, "random round trips, 20 each of lengths 0..200");

	/* All-0xff and all-zero strings exercise the extreme digit values. */
	memset(in, 0xff, sizeof in);
	size_t got;
	int len = b45_encode(text, sizeof text, in, sizeof in);
	ok(len > 0 && b45_decode(back, sizeof back, &got, text, (size_t)len) == 0 &&
	       got == sizeof in && memcmp(in, back, got) == 0,
	   "200 bytes of ff round trip");
	memset(in, 0, sizeof in);
	len = b45_encode(text, sizeof text, in, sizeof in);
	ok(len > 0 && b45_decode(back, sizeof back, &got, text, (size_t)len) == 0 &&
	       got == sizeof in && memcmp(in, back, got) == 0,
	   "200 zero bytes round trip");
}

int main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	test_known_answers();
	test_rejects();
	test_round_trips();
	return tap_done();
}
