/*
 * fuzz_tilebundle: libFuzzer target for log/tilebundle.c, the tlog-tiles
 * entry bundles ankang-audit --log reads from a server it does not trust.
 *
 * The first byte is the width asked for (0..255, 0 standing for 256);
 * the rest is the bundle. A bundle that parses must be exactly width
 * entries, none empty, that encode back to the same bytes; one that does
 * not must hand out no entry at all.
 *
 * Seeds: fuzz/corpus/tilebundle/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log/tilebundle.h"
#include "log/tilepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct back {
	const uint8_t *in;
	size_t at, len;
	unsigned n;
};

static int reencode(void *ctx, unsigned k, const uint8_t *entry, size_t len)
{
	struct back *b = ctx;

	if (k != b->n || len == 0 || len > 0xffff || b->len - b->at < 2 + len ||
	    b->in[b->at] != (uint8_t)(len >> 8) || b->in[b->at + 1] != (uint8_t)len ||
	    memcmp(b->in + b->at + 2, entry, len) != 0)
		__builtin_trap();
	b->at += 2 + len;
	b->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct back b = {0};
	unsigned width;

	if (size == 0)
		return 0;
	width = data[0] == 0 ? TILE_WIDTH : data[0];
	b.in = data + 1;
	b.len = size - 1;
	if (tilebundle_parse(data + 1, size - 1, width, reencode, &b) == 0) {
		if (b.n != width || b.at != b.len)
			__builtin_trap();
	} else if (b.n != 0) {
		__builtin_trap();
	}
	return 0;
}
