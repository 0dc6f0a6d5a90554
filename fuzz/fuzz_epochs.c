/*
 * fuzz_epochs: libFuzzer target for crypto/epoch.c's parser of the epochs
 * file (the KEK's epoch keys, wrapped).
 *
 * Whatever epoch_parse accepts must format back (epoch_format) to exactly
 * the input: one text per file, so nothing in it is read past or ignored.
 * The keys stay wrapped: no KEK is involved.
 *
 * Seeds: fuzz/corpus/epochs/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/epoch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct epoch_line lines[EPOCH_MAX];
	char out[EPOCH_FILE_MAX + 1];
	size_t n = 0;
	int len;

	if (epoch_parse((const char *)data, size, lines, &n) != 0)
		return 0;
	if (n == 0 || n > EPOCH_MAX)
		__builtin_trap();
	len = epoch_format(out, sizeof out, lines, n);
	if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
		__builtin_trap();
	return 0;
}
