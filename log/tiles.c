/*
 * tiles: hash tiles and entry bundles read from the stored log
 * (tiles.h).
 */
#include "log/tiles.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Whether the t->width nodes of t at tree level `level` lie within a
 * tree of 2^63 leaves, the most the store can index. */
static int in_range(const struct tilepath *t, unsigned level)
{
	uint64_t nodes = level >= 63 ? 0 : ((uint64_t)1 << 63) >> level;

	return t->width > 0 && t->width <= TILE_WIDTH && nodes >= t->width &&
	       t->index <= (nodes - t->width) / TILE_WIDTH;
}

int tiles_read_hashes(store *s, const struct tilepath *t, uint8_t *out)
{
	unsigned level = t->level * TILE_HEIGHT;
	uint64_t first;
	int rc;

	if (t->entries || !in_range(t, level))
		return AK_EINVAL;
	first = t->index * TILE_WIDTH;
	for (unsigned i = 0; i < t->width; i++) {
		rc = store_log_get_node(s, level, first + i, out + (size_t)i * MERKLE_HASH_BYTES);
		if (rc != 0)
			return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	return 0;
}

struct bundle {
	uint8_t *buf;
	size_t len;
	uint64_t next; /* the index the next row must have */
};

static int add_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len, const uint8_t *hashes,
		    size_t hlen)
{
	struct bundle *b = ctx;
	(void)hashes;
	(void)hlen;

	/* A gap in the rows, or a leaf the schema would not hold. */
	if (idx != b->next || len == 0 || len > 0xffff || b->len + 2 + len > TILES_BUNDLE_MAX)
		return AK_ECORRUPT;
	b->buf[b->len] = (uint8_t)(len >> 8);
	b->buf[b->len + 1] = (uint8_t)len;
	memcpy(b->buf + b->len + 2, leaf, len);
	b->len += 2 + len;
	b->next++;
	return 0;
}

int tiles_read_bundle(store *s, const struct tilepath *t, uint8_t **out, size_t *len)
{
	struct bundle b = {0};
	uint64_t first;
	int rc;

	*out = NULL;
	*len = 0;
	if (!t->entries || !in_range(t, 0))
		return AK_EINVAL;
	if ((b.buf = malloc(TILES_BUNDLE_MAX)) == NULL)
		return AK_ENOMEM;
	first = t->index * TILE_WIDTH;
	b.next = first;
	rc = store_log_rows(s, first, first + t->width, add_leaf, &b);
	if (rc == 0 && b.next != first + t->width)
		rc = AK_ECORRUPT; /* rows missing at the end */
	if (rc != 0) {
		free(b.buf);
		return rc;
	}
	*out = b.buf;
	*len = b.len;
	return 0;
}
