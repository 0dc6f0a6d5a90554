/*
 * fuzz_base45: libFuzzer target for crypto/base45.c.
 *
 * The input is used twice. As text, b45_decode must either refuse it or
 * give bytes whose encoding is exactly the input again (strict decoding
 * means one text per byte string). As bytes, b45_encode then b45_decode
 * must give them back, and the text must have b45_encoded_len characters.
 *
 * Seeds: fuzz/corpus/base45/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base45.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size + 1, n;
	uint8_t *bytes = malloc(cap);
	char *text = malloc(b45_encoded_len(size) + 1);
	int len;

	if (bytes == NULL || text == NULL)
		__builtin_trap();

	if (b45_decode(bytes, cap, &n, (const char *)data, size) == 0) {
		len = b45_encode(text, b45_encoded_len(n) + 1, bytes, n);
		if (len < 0 || (size_t)len != size || memcmp(text, data, size) != 0)
			__builtin_trap();
	}

	len = b45_encode(text, b45_encoded_len(size) + 1, data, size);
	if (len < 0 || (size_t)len != b45_encoded_len(size) || text[len] != '\0')
		__builtin_trap();
	if (b45_decode(bytes, cap, &n, text, (size_t)len) != 0 || n != size ||
	    memcmp(bytes, data, size) != 0)
		__builtin_trap();

	free(bytes);
	free(text);
	return 0;
}
