/*
 * tilebundle: strict parsing of tlog-tiles entry bundles (tilebundle.h).
 * Two passes: the first checks the whole framing, so that a malformed
 * bundle hands the caller no entry at all; the second hands them out.
 */
#include "log/tilebundle.h"

#include "common/util.h"
#include "log/tilepath.h"

/* The entries framed in data[0..len), or -1 when the framing breaks. */
static long count(const uint8_t *data, size_t len)
{
	size_t at = 0;
	long k = 0;

	while (at < len) {
		size_t l;
		if (len - at < 2 || k == TILE_WIDTH)
			return -1;
		l = (size_t)data[at] << 8 | data[at + 1];
		if (l == 0 || len - at - 2 < l)
			return -1;
		at += 2 + l;
		k++;
	}
	return k;
}

int tilebundle_parse(const uint8_t *data, size_t len, unsigned width, tilebundle_fn fn, void *ctx)
{
	size_t at = 0;
	int rc;

	if (width == 0 || width > TILE_WIDTH || count(data, len) != (long)width)
		return AK_EINVAL;
	for (unsigned k = 0; k < width; k++) {
		size_t l = (size_t)data[at] << 8 | data[at + 1];
		if ((rc = fn(ctx, k, data + at + 2, l)) != 0)
			return rc;
		at += 2 + l;
	}
	return 0;
}
