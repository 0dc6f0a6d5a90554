/*
 * fuzz_cosig: cosig_open on arbitrary bytes, with the known-answer
 * cosigner of tests/vectors/cosig.json trusted (so inputs derived from its
 * seed reach the signature check, not just the parser), and the same
 * bytes as a cosigner vkey.
 *
 * Invariants checked: no crash or out-of-bounds read; a bit is set only
 * for the one trusted key; a vkey that parses formats back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cosig.h"

static const char vkey[] =
    "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

static struct key_verifier key;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *note = (const char *)data;
	struct key_verifier v;
	char back[KEY_VKEY_MAX + 1];
	uint64_t t[1];
	uint32_t bits = 0;

	if (!ready) {
		if (cosig_verifier_parse(&key, vkey, strlen(vkey)) != 0)
			abort();
		ready = 1;
	}
	if (cosig_open(note, size, &key, 1, &bits, t) == 0 && (bits & ~1u) != 0)
		abort();
	if (cosig_verifier_parse(&v, note, size) == 0) {
		int n = cosig_verifier_format(back, sizeof back, &v);
		if (n < 0 || (size_t)n != size || memcmp(back, note, size) != 0)
			abort();
	}
	return 0;
}
