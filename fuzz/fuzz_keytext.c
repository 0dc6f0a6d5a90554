/*
 * fuzz_keytext: key_verifier_parse and key_signer_parse on arbitrary
 * bytes.
 *
 * Invariant checked beyond "no crash": key text has one spelling, so a
 * key that parses formats back to the same bytes. (The inputs are fuzzer
 * data, not real keys; the signer text buffer is still wiped.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char out[KEY_SKEY_MAX + 1];
	struct key_verifier v;
	key_signer *k = NULL;
	int n;

	if (key_verifier_parse(&v, text, size) == 0) {
		n = key_verifier_format(out, sizeof out, &v);
		if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
			abort();
	}
	if (key_signer_parse(&k, text, size) == 0) {
		n = key_signer_format(k, out, sizeof out);
		if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
			abort();
		sodium_memzero(out, sizeof out);
		key_signer_free(k);
	}
	return 0;
}
