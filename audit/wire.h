/*
 * wire: the bodies of the service's auditor endpoints (DESIGN.md, HTTP
 * API), as ankang-audit reads them.
 *
 *   GET /v1/audit/entries?start=&end=
 *       {"entries": [{"index": N, "leaf": "<base64 of the exact leaf>", ...}]}
 *   GET /v1/audit/proof/inclusion?index=&size=
 *   GET /v1/audit/proof/consistency?old=&new=
 *       {"proof": ["<base64 of 32 bytes>", ...]}
 *   any error
 *       {"error": "<stable code>", "message": "..."}
 *
 * The server is not trusted: bodies are parsed strictly (no duplicate
 * keys, exact types, canonical base64, bounded counts, indexes strictly
 * ascending inside the page asked for). Fields other than index and leaf
 * are ignored: an auditor re-derives them from the leaf bytes. The
 * message of an error is never shown (only its code, reduced to
 * [a-z0-9_] by httpc_error_code in common/httpc.h), so nothing the server
 * says reaches the terminal unchecked.
 *
 * Pure: no I/O.
 */
#ifndef ANKANG_AUDIT_WIRE_H
#define ANKANG_AUDIT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"

/* Entries in one page, as the API promises. */
#define WIRE_PAGE_MAX 1000
/* The largest leaf we pass on. A real leaf is at most 512 bytes (FORMAT.md
 * 3.1); a longer one is still handed to the caller, which hashes it and
 * reports it as unparsable, rather than dropping it here. */
#define WIRE_LEAF_MAX 4096

typedef int (*wire_leaf_fn)(void *ctx, uint64_t idx, const char *leaf, size_t len);

/*
 * Parses an entries page asked for as [start, end): calls fn for each
 * entry in order and sets *count to the number of entries and *last to
 * the last index (if any). Returns 0, AK_EINVAL (malformed, out of order,
 * outside [start, end), more than asked for), AK_ENOMEM, or fn's non-zero
 * value.
 */
int wire_parse_entries(const char *body, size_t len, uint64_t start, uint64_t end, wire_leaf_fn fn,
		       void *ctx, size_t *count, uint64_t *last);

/* Parses a proof body: up to MERKLE_MAX_PROOF hashes. 0 or AK_EINVAL. */
int wire_parse_proof(const char *body, size_t len, merkle_hash *proof, size_t *n);

#endif
