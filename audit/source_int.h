/*
 * source_int: what the source backends share (see source.h): the handle
 * every backend embeds first, and its table of operations. Nothing
 * outside audit/source*.c includes this.
 */
#ifndef ANKANG_AUDIT_SOURCE_INT_H
#define ANKANG_AUDIT_SOURCE_INT_H

#include <stdarg.h>

#include <jansson.h>

#include "audit/source.h"

struct source_ops {
	int (*checkpoint)(audit_source *s, char **note, size_t *len);
	int (*checkpoint_at)(audit_source *s, uint64_t size, char **note, size_t *len);
	int (*entries)(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn, void *ctx);
	int (*prove_inclusion)(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
			       size_t *n);
	int (*prove_consistency)(audit_source *s, uint64_t size1, uint64_t size2,
				 merkle_hash *proof, size_t *n);
	int (*stored_leaf_hash)(audit_source *s, uint64_t index, merkle_hash out); /* may be NULL */
	int (*size)(audit_source *s, uint64_t *n);                                 /* may be NULL */
	int (*appeals)(audit_source *s, uint64_t as_of, uint64_t deadline, size_t max_list,
		       json_t **out);
	int (*check_tiles)(audit_source *s, uint64_t *count);    /* may be NULL */
	void (*summary)(audit_source *s, char *buf, size_t cap); /* may be NULL */
	void (*close)(audit_source *s);
};

struct audit_source {
	const struct source_ops *ops;
	char name[160];
	char what[256];
};

/* Sets s->what; returns rc so callers can `return source_fail(...)`. */
int source_fail(audit_source *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
