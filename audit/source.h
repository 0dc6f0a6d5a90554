/*
 * source: where ankang-audit reads the log from. Every command works on
 * either backend through this one interface:
 *
 *   db    an auditor's read-only copy of the service's database
 *         (source_db.c, through the store's read-only connection);
 *   http  the service's auditor endpoints, with a bearer token
 *         (source_http.c, libcurl);
 *   tiles the log as C2SP tlog-tiles under its prefix URL, hash tiles
 *         public, entry bundles with an auditor token, optionally kept
 *         in a local mirror (source_tiles.c); roots and proofs are
 *         computed from authenticated tiles, never asked for.
 *
 * Neither backend is trusted: what they return is checked by the caller
 * against the log key (checkpoints), by recomputing (roots, leaf parses)
 * or by verifying proofs. The backends only fetch, and bound what they
 * fetch.
 *
 * Errors: functions return 0 or a negative AK_E* code. AK_EIO means the
 * source could not be reached or read (network, file); anything else
 * means it answered but refused or gave something unusable. After any
 * failure source_what() describes it in plain words (no personal data;
 * never text from the server beyond a sanitised error code).
 */
#ifndef ANKANG_AUDIT_SOURCE_H
#define ANKANG_AUDIT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/merkle.h"

typedef struct audit_source audit_source;

/* Opens a database copy read-only. 0, AK_ENOENT, AK_EDB, AK_EINVAL. */
int source_open_db(audit_source **out, const char *path);

struct source_http_options {
	const char *url;    /* http:// or https://, optionally with a path prefix */
	const char *token;  /* the auditor account's bearer token */
	const char *cacert; /* a CA bundle for https, or NULL for the system's */
	long timeout_s;     /* per request; 0 = default */
};
/* Sets up (does not yet contact) the server. 0, AK_EINVAL, AK_ENOMEM. */
int source_open_http(audit_source **out, const struct source_http_options *o);

struct source_tiles_options {
	const char *url;    /* the tlog-tiles prefix, e.g. http://host/log */
	const char *token;  /* an auditor's token for entry bundles, or NULL */
	const char *cacert; /* a CA bundle for https, or NULL for the system's */
	long timeout_s;     /* per request; 0 = default */
	const char *mirror; /* a directory to keep tiles in, or NULL */
};
/* Sets up (does not yet contact) a tiled log. 0, AK_EINVAL, AK_ENOMEM. */
int source_open_tiles(audit_source **out, const struct source_tiles_options *o);

/* NULL is a no-op. */
void source_close(audit_source *s);

/* What went wrong last, for messages; never NULL. */
const char *source_what(const audit_source *s);

/* "database FILE" or "server URL", for messages. */
const char *source_name(const audit_source *s);

/* The newest signed checkpoint note (malloc'd, NUL-terminated). */
int source_checkpoint(audit_source *s, char **note, size_t *len);

/* The signed checkpoint for exactly this size; AK_ENOENT when the source
 * has none (a server offers only its newest). */
int source_checkpoint_at(audit_source *s, uint64_t size, char **note, size_t *len);

/*
 * Calls fn for each leaf the source holds in [start, end), in ascending
 * index order (end UINT64_MAX: to the end). Indexes may have gaps if the
 * source lost leaves: the caller checks. Stops and returns fn's value
 * when it is non-zero. leaf is valid only during the call.
 */
typedef int (*source_leaf_fn)(void *ctx, uint64_t idx, const char *leaf, size_t len);
int source_entries(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn, void *ctx);

/* Proofs as the source computes them (RFC 9162; the caller verifies). */
int source_prove_inclusion(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
			   size_t *n);
int source_prove_consistency(audit_source *s, uint64_t size1, uint64_t size2, merkle_hash *proof,
			     size_t *n);

/* The leaf hash the source stored for index (database only: the level-0
 * hash); AK_ENOENT where the source keeps none or does not expose it. */
int source_stored_leaf_hash(audit_source *s, uint64_t index, merkle_hash out);

/* How many leaves the source holds, signed or not; AK_ENOENT where it
 * cannot tell (a server). */
int source_size(audit_source *s, uint64_t *n);

/*
 * The appeals section of the report (log/report_appeals.h) as of as_of
 * (unix seconds): a database copy computes it from its appeals table,
 * judging each appeal by its own due, or, with deadline > 0, by opened +
 * deadline; a server answers its own (GET /v1/audit/report), as of its
 * own time and under its own deadline, so deadline must be 0 there
 * (AK_EINVAL). *out is a new object. AK_ENOENT when the source has no
 * appeals (a database or server from before them).
 */
int source_appeals(audit_source *s, uint64_t as_of, uint64_t deadline, size_t max_list,
		   json_t **out);

/*
 * Authenticates every hash tile of the newest checkpoint's tree against
 * its root (a tiled log only): *count tiles. AK_ENOENT for the other
 * sources; AK_ECRYPTO or AK_ECORRUPT when a tile lies.
 */
int source_check_tiles(audit_source *s, uint64_t *count);

/* What the source fetched and reused, in a line for the user ("tiles: 3
 * fetched, 277 from the mirror"), or NULL where there is nothing to say. */
const char *source_summary(audit_source *s, char *buf, size_t cap);

/*
 * The checkpoint body of a note, parsed without checking the signature
 * (for choosing a checkpoint and for messages only: the caller still opens
 * the note with the log key before trusting it). 0 or AK_EINVAL.
 */
struct checkpoint;
int source_note_peek(const char *note, size_t len, struct checkpoint *c);

#endif
