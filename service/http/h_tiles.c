/*
 * the log as tiles: the audit log served as C2SP tlog-tiles under /log/
 * (docs/API.md, "The log as tiles"), so that any tlog client can mirror
 * it, recompute its roots and prove its entries without the proof API:
 *
 *   GET /log/checkpoint              the newest signed checkpoint (with
 *                                    witnesses: the newest a quorum
 *                                    cosigned), public, cached a few
 *                                    seconds
 *   GET /log/tile/<L>/<N>[.p/<W>]    a hash tile, public: a full one is
 *                                    cached for a year (it never changes),
 *                                    a partial one a few seconds
 *   GET /log/tile/entries/<N>[.p/<W>]  an entry bundle: auditors only,
 *                                    never cached (routes.c)
 *
 * The paths are log/tilepath.h's, parsed strictly (400 bad_tile for any
 * other spelling); a tile is read from the hashes stored with the leaves
 * (log/tiles.h), in the dispatcher's one read transaction, together with
 * the newest checkpoint's size that bounds it. A hash tile holds only
 * hashes, from which nothing about an entry can be learnt without the
 * entry; an entry bundle holds the leaves themselves, whose pseudonyms,
 * actors and times are for auditors (SECURITY.md).
 *
 * None of these writes a leaf, for the reasons h_audit.c gives: the log
 * holds no personal data, and reading it must not grow it.
 *
 * Never: serve a tile, or a width of one, that the newest signed
 * checkpoint does not cover (404 no tile), so every byte served is
 * checkable against a signature; cache an entry bundle.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "log/tiles.h"
#include "service/http/request.h"

/* A full tile never changes; the checkpoint and a partial tile are
 * replaced as the log grows (the spec: no caching beyond a few seconds
 * for what is mutable). */
#define CACHE_FOREVER "public, max-age=31536000, immutable"
#define CACHE_SHORT   "public, max-age=5"

/* ---------------------------------------------------------- checkpoint */

/* The same note GET /v1/audit/checkpoint answers (h_audit.c), public. */
static enum api_error checkpoint(struct request *rq, uint64_t index)
{
	reply_cache(rq, CACHE_SHORT);
	return h_audit_checkpoint.answer(rq, index);
}

const struct route_handler h_log_checkpoint = {.answer = checkpoint};

/* -------------------------------------------------------------- tiles */

struct tile_st {
	struct tilepath t;
	uint8_t *data; /* the hashes or the bundle, malloc'd */
	size_t len;
};

static void tile_free(void *state)
{
	struct tile_st *st = state;

	if (st->data != NULL)
		sodium_memzero(st->data, st->len);
	free(st->data);
}

/* Parses the path, and reads the tile if the newest signed checkpoint
 * covers it. */
static enum api_error read_tile(struct request *rq, int entries)
{
	struct tile_st *st = rq->state;
	uint64_t size;
	char *note = NULL;
	size_t len;
	int rc;

	if (tilepath_parse(&st->t, entries, rq->param, strlen(rq->param)) != 0)
		return API_BAD_TILE;
	rc = store_log_last_checkpoint(rq->db, &size, &note, &len);
	free(note);
	if (rc == AK_ENOENT)
		return API_NO_TILE;
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading the newest checkpoint", rc);
	if (!tilepath_covered(&st->t, size))
		return API_NO_TILE;
	if (entries) {
		rc = tiles_read_bundle(rq->db, &st->t, &st->data, &st->len);
	} else {
		st->len = (size_t)st->t.width * MERKLE_HASH_BYTES;
		rc = (st->data = malloc(st->len)) == NULL
			 ? AK_ENOMEM
			 : tiles_read_hashes(rq->db, &st->t, st->data);
	}
	if (rc != 0)
		return request_fault(rq, API_UNAVAILABLE, "reading a tile", rc);
	return API_OK;
}

static enum api_error hash_tile_prepare(struct request *rq)
{
	return read_tile(rq, 0);
}

static enum api_error bundle_prepare(struct request *rq)
{
	return read_tile(rq, 1);
}

static enum api_error tile_answer(struct request *rq, uint64_t index)
{
	const struct tile_st *st = rq->state;
	(void)index;

	/* An entry bundle is an auditor's answer: no-store, as every answer
	 * that needs a token. */
	if (!st->t.entries)
		reply_cache(rq, st->t.width == TILE_WIDTH ? CACHE_FOREVER : CACHE_SHORT);
	return reply_bytes(rq, 200, "application/octet-stream", st->data, st->len);
}

const struct route_handler h_log_tile = {
    .prepare = hash_tile_prepare,
    .answer = tile_answer,
    .state_size = sizeof(struct tile_st),
    .state_free = tile_free,
};

const struct route_handler h_log_entries = {
    .prepare = bundle_prepare,
    .answer = tile_answer,
    .state_size = sizeof(struct tile_st),
    .state_free = tile_free,
};
