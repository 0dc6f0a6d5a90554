/*
 * fuzz_scan: libFuzzer target for verifier/scan.c, the PNG and JPEG reader
 * behind `ankang-verify --image`: arbitrary bytes through scan_image_buffer
 * (libpng or libjpeg decoding to grey, then zbar). It must return an error
 * or a count, never crash, leak or read outside the input.
 *
 * Every PNG chunk's CRC is recomputed before the bytes go in. Without that,
 * nearly every mutation dies at libpng's CRC check and the decoder and
 * zbar are never reached; the CRC check itself is tested in test_qr.
 *
 * Images within scan.c's limits but over FUZZ_PIXELS_MAX pixels are
 * skipped: a few hundred compressed bytes can declare 32 Mpixel of zeros,
 * and decoding and scanning that takes seconds an input, which would starve
 * the fuzzer without reaching any new code. Images over scan.c's limits are
 * kept, since refusing them is cheap and is part of what is tested.
 *
 * Seeds: fuzz/corpus/scan/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/scan.h"

#define FUZZ_PIXELS_MAX (1u << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32 as PNG chunks use it (ISO 3309). Bitwise: inputs are small. */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* Sets the CRC of every whole chunk after the signature. */
static void fix_crcs(uint8_t *p, size_t size)
{
	size_t pos = 8;
	while (size - pos >= 12) {
		size_t len = be32(p + pos);
		if (len > size - pos - 12)
			break;
		uint32_t crc = crc32_png(p + pos + 4, len + 4);
		p[pos + 8 + len] = (uint8_t)(crc >> 24);
		p[pos + 9 + len] = (uint8_t)(crc >> 16);
		p[pos + 10 + len] = (uint8_t)(crc >> 8);
		p[pos + 11 + len] = (uint8_t)crc;
		pos += len + 12;
	}
}

/* Reads every byte it is given, so a bad length shows up under ASan, and
 * holds scan.h to its word that text[len] is NUL. */
static int sink(void *ctx, const char *text, size_t len)
{
	unsigned *sum = ctx;
	for (size_t i = 0; i < len; i++)
		*sum += (unsigned char)text[i];
	if (text[len] != '\0')
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sum = 0;

	if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
		uint64_t w = be32(data + 16), h = be32(data + 20);
		if (w * h > FUZZ_PIXELS_MAX && w <= SCAN_DIM_MAX && h <= SCAN_DIM_MAX &&
		    w * h <= SCAN_PIXELS_MAX)
			return 0;
	}
	/* A copy of exactly size bytes (ASan sees any over-read), CRCs set. */
	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (size >= 8 && memcmp(copy, "\x89PNG", 4) == 0)
		fix_crcs(copy, size);
	scan_image_buffer(copy, size, sink, &sum);
	free(copy);
	return 0;
}
