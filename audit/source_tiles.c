/*
 * source_tiles: the log read as C2SP tlog-tiles from its prefix URL
 * (`<URL>/checkpoint`, `<URL>/tile/<L>/<N>[.p/<W>]`, and, with an
 * auditor token, `<URL>/tile/entries/<N>[.p/<W>]`), optionally kept in a
 * local mirror directory under the same paths.
 *
 * Nothing the server or the mirror gives is used unchecked. The
 * checkpoint's size and root (the caller checks its signature) bound
 * everything: hash tiles are authenticated by log/tilehash.h before any
 * hash is used, proofs are computed here from those tiles (no proof API
 * is asked), and every leaf of a bundle must hash to its authenticated
 * level-0 hash before it is handed on. A mirror copy is read first and
 * is subject to the same checks; one that fails is set aside and the
 * tile fetched from the server, and only authenticated tiles and
 * matching bundles are written to the mirror (atomically: temporary
 * file, fsync, rename). Full tiles and full bundles never change, so a
 * mirror keeps them and a later run fetches only what is new; a partial
 * one is replaced by the wider one that follows it.
 *
 * Every request goes through common/httpc.h (bounded size, time,
 * redirects); the token, when given, is sent on every request to the
 * URL's origin only, and only bundles need it. Entry bundles hold
 * pseudonyms, so the mirror keeps them in a directory only its owner
 * may read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/source_int.h"
#include "common/httpc.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "log/tilebundle.h"
#include "log/tilehash.h"
#include "log/tiles.h"

#define CAP_NOTE (64u << 10)

struct tiles_source {
	struct audit_source base; /* first: the handle is cast back and forth */
	httpc *c;
	int has_token;
	char *mirror; /* NULL: no mirror */
	char *note;   /* the newest checkpoint, once fetched */
	size_t note_len;
	struct checkpoint cp;
	tilehash *th;
	uint64_t fetched, mirrored, refused;
};

static struct tiles_source *ts(audit_source *s)
{
	return (struct tiles_source *)s;
}

/* --------------------------------------------------------------- mirror */

static void mirror_path(const struct tiles_source *t, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->mirror, rel);
}

/*
 * A partial tile is superseded by a wider one and by the full tile:
 * removes the files of <base>.p/ other than keep_width's (all of them
 * when keep_width is 0, the full tile being kept).
 */
static void mirror_prune(const char *base, unsigned keep_width)
{
	char dir[4200], path[4200 + 260];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s.p", base);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char keep[8];
		snprintf(keep, sizeof keep, "%u", keep_width);
		if (e->d_name[0] == '.' || strcmp(e->d_name, keep) == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (keep_width == 0)
		rmdir(dir);
}

/* Writes an authenticated tile or checked bundle to the mirror, unless
 * it already holds these bytes. */
static int mirror_write(audit_source *s, const struct tilepath *t, const void *buf, size_t len)
{
	struct tiles_source *m = ts(s);
	char rel[TILEPATH_MAX], path[4200], dir[4200], *old = NULL, *slash;
	size_t oldlen;
	int rc;

	if (m->mirror == NULL || tilepath_format(rel, sizeof rel, t) < 0)
		return 0;
	mirror_path(m, rel, path, sizeof path);
	if (util_read_file(path, len, &old, &oldlen) == 0 && oldlen == len &&
	    memcmp(old, buf, len) == 0) {
		free(old);
		return 0;
	}
	free(old);
	memcpy(dir, path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	/* Bundles hold pseudonyms: their directory is the owner's alone. */
	if (t->entries) {
		char entries[4200];
		mirror_path(m, "tile/entries", entries, sizeof entries);
		if ((rc = util_mkdir_p(entries, 0700)) != 0)
			goto fail;
	}
	if ((rc = util_mkdir_p(dir, 0755)) != 0 ||
	    (rc = util_write_file_atomic(path, buf, len, t->entries ? 0600 : 0644, 0)) != 0)
		goto fail;
	/* Drop what this tile supersedes: <base> is the path without .p/W. */
	if (t->width == TILE_WIDTH) {
		mirror_prune(path, 0);
	} else if ((slash = strstr(path, ".p/")) != NULL) {
		*slash = '\0';
		mirror_prune(path, t->width);
	}
	return 0;
fail:
	return source_fail(s, AK_EIO, "mirror %s: cannot write %s (%s)", m->mirror, rel,
			   rc == AK_EIO ? strerror(errno) : ak_strerror(rc));
}

/* Reads the mirror's copy of t, if it has one of exactly len bytes. */
static int mirror_read(const struct tiles_source *m, const struct tilepath *t, size_t max,
		       char **out, size_t *len)
{
	char rel[TILEPATH_MAX], path[4200];

	*out = NULL;
	if (m->mirror == NULL || tilepath_format(rel, sizeof rel, t) < 0)
		return AK_ENOENT;
	mirror_path(m, rel, path, sizeof path);
	return util_read_file(path, max, out, len);
}

/* --------------------------------------------------------------- server */

/*
 * GETs tile t (hash tile or bundle). A partial tile the server no longer
 * has (404) may be read from its full tile, as tlog-tiles lets clients
 * do: *full is set then, and the body is the full tile's.
 */
static int server_get(audit_source *s, const struct tilepath *t, size_t max, char **out,
		      size_t *len, int *full)
{
	char rel[TILEPATH_MAX + 1], path[TILEPATH_MAX + 2];
	struct tilepath f = *t;
	int rc;

	*full = 0;
	tilepath_format(rel, sizeof rel, t);
	snprintf(path, sizeof path, "/%s", rel);
	rc = httpc_get(ts(s)->c, path, max, out, len);
	if (rc == AK_ENOENT && t->width < TILE_WIDTH) {
		f.width = TILE_WIDTH;
		tilepath_format(rel, sizeof rel, &f);
		snprintf(path, sizeof path, "/%s", rel);
		if ((rc = httpc_get(ts(s)->c, path, max, out, len)) == 0)
			*full = 1;
	}
	if (rc == AK_EDENIED && t->entries)
		return source_fail(s, rc, "%s: entry bundles need an auditor's token (%s)",
				   path + 1, httpc_what(ts(s)->c));
	if (rc != 0)
		return source_fail(s, rc, "%s", httpc_what(ts(s)->c));
	ts(s)->fetched++;
	return 0;
}

/* ---------------------------------------------------------- hash tiles */

static int tile_fetch(void *ctx, const struct tilepath *t, int again, uint8_t *out)
{
	audit_source *s = ctx;
	struct tiles_source *m = ts(s);
	size_t want = (size_t)t->width * MERKLE_HASH_BYTES, len;
	char *body = NULL, rel[TILEPATH_MAX];
	int rc, full;

	if (mirror_read(m, t, want, &body, &len) == 0) {
		if (!again && len == want) {
			memcpy(out, body, want);
			free(body);
			m->mirrored++;
			return 0;
		}
		if (again)
			m->refused++; /* its copy did not authenticate */
		free(body);
	}
	if ((rc = server_get(s, t, TILEHASH_FULL_BYTES, &body, &len, &full)) != 0)
		return rc;
	if (len != (full ? TILEHASH_FULL_BYTES : want)) {
		free(body);
		tilepath_format(rel, sizeof rel, t);
		return source_fail(s, AK_ECORRUPT, "%s: %zu bytes, not %u hashes", rel, len,
				   full ? TILE_WIDTH : t->width);
	}
	memcpy(out, body, want);
	free(body);
	return 0;
}

static int tile_keep(void *ctx, const struct tilepath *t, const uint8_t *hashes)
{
	return mirror_write(ctx, t, hashes, (size_t)t->width * MERKLE_HASH_BYTES);
}

/* A failure of tilehash, in words: which tile did not authenticate. */
static int tiles_fail(audit_source *s, int rc)
{
	const struct tilepath *b;
	char rel[TILEPATH_MAX];

	if (rc != AK_ECRYPTO || ts(s)->th == NULL)
		return rc;
	b = tilehash_bad(ts(s)->th);
	tilepath_format(rel, sizeof rel, b);
	return source_fail(s, rc,
			   "hash tile %s does not match the signed checkpoint (size %llu): the "
			   "%s lies",
			   rel, (unsigned long long)ts(s)->cp.size,
			   b->width == TILE_WIDTH
			       ? "tile, or the tile above it,"
			       : "log's tiles do not hash to its root; the server");
}

/* ---------------------------------------------------------- operations */

static int tiles_checkpoint(audit_source *s, char **note, size_t *len)
{
	struct tiles_source *m = ts(s);
	int rc;

	if (m->note == NULL) {
		if ((rc = httpc_get(m->c, "/checkpoint", CAP_NOTE, &m->note, &m->note_len)) != 0)
			return source_fail(s, rc, "%s", httpc_what(m->c));
		if (source_note_peek(m->note, m->note_len, &m->cp) != 0) {
			free(m->note);
			m->note = NULL;
			return source_fail(s, AK_EINVAL, "/checkpoint is not a checkpoint note");
		}
	}
	if ((*note = malloc(m->note_len + 1)) == NULL)
		return AK_ENOMEM;
	memcpy(*note, m->note, m->note_len + 1);
	*len = m->note_len;
	return 0;
}

static int tiles_checkpoint_at(audit_source *s, uint64_t size, char **note, size_t *len)
{
	int rc;

	if ((rc = tiles_checkpoint(s, note, len)) != 0)
		return rc;
	if (ts(s)->cp.size != size) {
		free(*note);
		*note = NULL;
		*len = 0;
		return source_fail(s, AK_ENOENT,
				   "a tiled log offers only its newest checkpoint, not one of size "
				   "%llu",
				   (unsigned long long)size);
	}
	return 0;
}

/* The tiles of the newest checkpoint, opened (its root recomputed and
 * compared) on first use; the mirror's checkpoint follows. */
static int ensure(audit_source *s)
{
	struct tiles_source *m = ts(s);
	struct tilehash_io io = {tile_fetch, tile_keep, s};
	char *note = NULL, path[4200];
	size_t len;
	int rc;

	if (m->th != NULL)
		return 0;
	if ((rc = tiles_checkpoint(s, &note, &len)) != 0)
		return rc;
	free(note);
	if ((rc = tilehash_open(&m->th, m->cp.size, m->cp.root, &io)) != 0) {
		rc = tiles_fail(s, rc);
		tilehash_close(m->th);
		m->th = NULL;
		return rc;
	}
	if (m->mirror != NULL) {
		mirror_path(m, "checkpoint", path, sizeof path);
		if ((rc = util_mkdir_p(m->mirror, 0755)) != 0 ||
		    (rc = util_write_file_atomic(path, m->note, m->note_len, 0644, 0)) != 0)
			return source_fail(s, AK_EIO, "mirror %s: cannot write the checkpoint (%s)",
					   m->mirror,
					   rc == AK_EIO ? strerror(errno) : ak_strerror(rc));
	}
	return 0;
}

struct bundle_check {
	const uint8_t *hashes;
	unsigned width; /* the tree's width of this bundle */
	unsigned bad;   /* the first entry that is not its hash, or width */
};

static int bundle_check(void *ctx, unsigned k, const uint8_t *entry, size_t len)
{
	struct bundle_check *b = ctx;
	merkle_hash h;

	if (k >= b->width)
		return 0; /* a full bundle read in place of a partial one */
	merkle_leaf_hash(h, entry, len);
	if (memcmp(h, b->hashes + (size_t)k * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES) != 0) {
		b->bad = k;
		return 1;
	}
	return 0;
}

/* Checks a bundle's bytes against the level-0 hashes: 0, or 1 when
 * malformed or a leaf differs (b->bad: which, or width if malformed). */
static int bundle_ok(struct bundle_check *b, const char *body, size_t len, unsigned framed)
{
	b->bad = b->width;
	return tilebundle_parse((const uint8_t *)body, len, framed, bundle_check, b) != 0;
}

struct hand_out {
	uint64_t first, start, end; /* first: the bundle's first index */
	source_leaf_fn fn;
	void *ctx;
};

static int hand_out(void *ctx, unsigned k, const uint8_t *entry, size_t len)
{
	struct hand_out *h = ctx;
	uint64_t idx = h->first + k;

	if (idx < h->start || idx >= h->end)
		return 0;
	return h->fn(h->ctx, idx, (const char *)entry, len);
}

/*
 * Bundle n, checked against its authenticated level-0 tile: the mirror's
 * copy if it matches, else the server's. *framed: the entries its bytes
 * hold (the tree's width, or 256 when read from the full bundle).
 */
static int get_bundle(audit_source *s, uint64_t n, char **body, size_t *len, unsigned *framed)
{
	struct tiles_source *m = ts(s);
	struct bundle_check b;
	struct tilepath t;
	int rc, full;

	*body = NULL;
	*len = 0;
	tilehash_tile(&t, 0, n, m->cp.size);
	t.entries = 1;
	if ((rc = tilehash_get(m->th, 0, n, &b.hashes)) != 0)
		return tiles_fail(s, rc);
	b.width = t.width;
	*framed = t.width;
	if (mirror_read(m, &t, TILES_BUNDLE_MAX, body, len) == 0) {
		if (bundle_ok(&b, *body, *len, t.width) == 0) {
			m->mirrored++;
			return 0;
		}
		m->refused++;
		free(*body);
	}
	if ((rc = server_get(s, &t, TILES_BUNDLE_MAX, body, len, &full)) != 0)
		return rc;
	*framed = full ? TILE_WIDTH : t.width;
	if (bundle_ok(&b, *body, *len, *framed) != 0) {
		uint64_t bad = n * TILE_WIDTH + b.bad;
		free(*body);
		*body = NULL;
		if (b.bad == b.width)
			return source_fail(s, AK_ECRYPTO,
					   "entry bundle %llu is malformed or not %u entries",
					   (unsigned long long)n, *framed);
		return source_fail(s, AK_ECRYPTO,
				   "leaf %llu is not the leaf its authenticated hash tile holds "
				   "(entry bundle %llu)",
				   (unsigned long long)bad, (unsigned long long)n);
	}
	if (!full && (rc = mirror_write(s, &t, *body, *len)) != 0) {
		free(*body);
		*body = NULL;
		return rc;
	}
	return 0;
}

static int tiles_entries(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn,
			 void *ctx)
{
	struct tiles_source *m = ts(s);
	struct hand_out h = {0, start, end, fn, ctx};
	int rc;

	if (!m->has_token)
		return source_fail(
		    s, AK_EDENIED,
		    "entry bundles need an auditor's token (--token or --token-file)");
	if ((rc = ensure(s)) != 0)
		return rc;
	if (h.end > m->cp.size)
		h.end = m->cp.size;
	for (uint64_t n = start / TILE_WIDTH; n * TILE_WIDTH < h.end; n++) {
		char *body = NULL;
		size_t len = 0;
		unsigned framed = 0;
		if ((rc = get_bundle(s, n, &body, &len, &framed)) != 0)
			return rc;
		h.first = n * TILE_WIDTH;
		rc = tilebundle_parse((const uint8_t *)body, len, framed, hand_out, &h);
		free(body);
		tilehash_drop(m->th, 0, n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int tiles_prove_inclusion(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
				 size_t *n)
{
	int rc;

	if ((rc = ensure(s)) != 0)
		return rc;
	if (size > ts(s)->cp.size)
		return source_fail(s, AK_EINVAL, "the tiles cover %llu leaves, not %llu",
				   (unsigned long long)ts(s)->cp.size, (unsigned long long)size);
	rc = tilehash_prove_inclusion(ts(s)->th, index, size, proof, n);
	return rc == 0 ? 0 : tiles_fail(s, rc);
}

static int tiles_prove_consistency(audit_source *s, uint64_t size1, uint64_t size2,
				   merkle_hash *proof, size_t *n)
{
	int rc;

	if ((rc = ensure(s)) != 0)
		return rc;
	if (size2 > ts(s)->cp.size)
		return source_fail(s, AK_EINVAL, "the tiles cover %llu leaves, not %llu",
				   (unsigned long long)ts(s)->cp.size, (unsigned long long)size2);
	rc = tilehash_prove_consistency(ts(s)->th, size1, size2, proof, n);
	return rc == 0 ? 0 : tiles_fail(s, rc);
}

/* The leaf hash of index: its authenticated level-0 tile's. */
static int tiles_stored_leaf_hash(audit_source *s, uint64_t index, merkle_hash out)
{
	const uint8_t *h;
	int rc;

	if ((rc = ensure(s)) != 0)
		return rc;
	if (index >= ts(s)->cp.size)
		return source_fail(s, AK_ENOENT, "no leaf %llu", (unsigned long long)index);
	if ((rc = tilehash_get(ts(s)->th, 0, index / TILE_WIDTH, &h)) != 0)
		return tiles_fail(s, rc);
	memcpy(out, h + (index % TILE_WIDTH) * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES);
	return 0;
}

/* Every hash tile of the tree, authenticated, level by level. They stay
 * held (32 bytes a leaf) so that reading the bundles next reads no tile
 * twice; tiles_entries lets each level-0 tile go once its bundle is
 * read. */
static int tiles_check_tiles(audit_source *s, uint64_t *count)
{
	struct tiles_source *m = ts(s);
	int rc;

	if ((rc = ensure(s)) != 0)
		return rc;
	for (unsigned level = 0; level < TILEHASH_LEVELS; level++) {
		for (uint64_t n = 0; n < tilehash_count(level, m->cp.size); n++) {
			const uint8_t *h;
			if ((rc = tilehash_get(m->th, level, n, &h)) != 0)
				return tiles_fail(s, rc);
		}
	}
	*count = tilehash_authenticated(m->th);
	return 0;
}

static void tiles_summary(audit_source *s, char *buf, size_t cap)
{
	struct tiles_source *m = ts(s);

	snprintf(buf, cap, "tiles: %llu fetched, %llu from the mirror%s",
		 (unsigned long long)m->fetched, (unsigned long long)m->mirrored,
		 m->mirror == NULL ? " (no --mirror)" : "");
	if (m->refused)
		snprintf(buf + strlen(buf), cap - strlen(buf),
			 ", %llu mirror copies refused (they did not match the signed root)",
			 (unsigned long long)m->refused);
}

static void tiles_close(audit_source *s)
{
	struct tiles_source *m = ts(s);

	tilehash_close(m->th);
	httpc_close(m->c);
	free(m->note);
	free(m->mirror);
	free(m);
}

static const struct source_ops tiles_ops = {
    .checkpoint = tiles_checkpoint,
    .checkpoint_at = tiles_checkpoint_at,
    .entries = tiles_entries,
    .prove_inclusion = tiles_prove_inclusion,
    .prove_consistency = tiles_prove_consistency,
    .stored_leaf_hash = tiles_stored_leaf_hash,
    .size = NULL,
    .appeals = NULL,
    .check_tiles = tiles_check_tiles,
    .summary = tiles_summary,
    .close = tiles_close,
};

int source_open_tiles(audit_source **out, const struct source_tiles_options *o)
{
	struct httpc_options ho = {o->url, o->token, o->cacert, o->timeout_s, "ankang-audit/1"};
	struct tiles_source *m;
	int rc;

	*out = NULL;
	if (o->url == NULL)
		return AK_EINVAL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return AK_ENOMEM;
	m->base.ops = &tiles_ops;
	m->has_token = o->token != NULL;
	if (o->mirror != NULL && (m->mirror = strdup(o->mirror)) == NULL) {
		free(m);
		return AK_ENOMEM;
	}
	if ((rc = httpc_open(&m->c, &ho)) != 0) {
		free(m->mirror);
		free(m);
		return rc;
	}
	snprintf(m->base.name, sizeof m->base.name, "log %.140s", httpc_base_url(m->c));
	*out = &m->base;
	return 0;
}
