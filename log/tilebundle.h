/*
 * tilebundle: the C2SP tlog-tiles entry bundle, as a client reads one:
 * for each entry of the bundle, in order, its length as 2 bytes
 * big-endian and then its exact bytes (log/tiles.h writes them).
 *
 * The parser is strict: exactly `width` entries, each of 1 to 65535
 * bytes, nothing after the last. It reads nothing past len. Whether an
 * entry is the one the tree holds is the caller's to check (its leaf
 * hash against the level-0 hash tile, log/tilehash.h).
 *
 * Pure code: no I/O, no allocation.
 */
#ifndef ANKANG_TILEBUNDLE_H
#define ANKANG_TILEBUNDLE_H

#include <stddef.h>
#include <stdint.h>

/* Called for entry k (0-based in the bundle); non-zero stops the parse. */
typedef int (*tilebundle_fn)(void *ctx, unsigned k, const uint8_t *entry, size_t len);

/*
 * Checks that data[0..len) is a bundle of exactly width entries (1..256),
 * then calls fn for each in order. 0; AK_EINVAL for anything malformed
 * (fn is not called then); or fn's non-zero value.
 */
int tilebundle_parse(const uint8_t *data, size_t len, unsigned width, tilebundle_fn fn, void *ctx);

#endif
