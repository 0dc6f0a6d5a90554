/*
 * source: the backend-independent half of the log source (see source.h):
 * dispatch to the backend's operations and the messages they leave.
 */
#include "audit/source_int.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "crypto/checkpoint.h"

int source_fail(audit_source *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->what, sizeof s->what, fmt, ap);
	va_end(ap);
	return rc;
}

void source_close(audit_source *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *source_what(const audit_source *s)
{
	return s->what[0] != '\0' ? s->what : "no details";
}

const char *source_name(const audit_source *s)
{
	return s->name;
}

int source_checkpoint(audit_source *s, char **note, size_t *len)
{
	*note = NULL;
	*len = 0;
	s->what[0] = '\0';
	return s->ops->checkpoint(s, note, len);
}

int source_checkpoint_at(audit_source *s, uint64_t size, char **note, size_t *len)
{
	*note = NULL;
	*len = 0;
	s->what[0] = '\0';
	return s->ops->checkpoint_at(s, size, note, len);
}

int source_entries(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn, void *ctx)
{
	s->what[0] = '\0';
	if (start >= end)
		return 0;
	return s->ops->entries(s, start, end, fn, ctx);
}

int source_prove_inclusion(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
			   size_t *n)
{
	*n = 0;
	s->what[0] = '\0';
	if (index >= size)
		return source_fail(s, AK_EINVAL, "no inclusion proof for index %llu at size %llu",
				   (unsigned long long)index, (unsigned long long)size);
	return s->ops->prove_inclusion(s, index, size, proof, n);
}

int source_prove_consistency(audit_source *s, uint64_t size1, uint64_t size2, merkle_hash *proof,
			     size_t *n)
{
	*n = 0;
	s->what[0] = '\0';
	if (size1 == 0 || size1 > size2)
		return source_fail(s, AK_EINVAL, "no consistency proof from %llu to %llu",
				   (unsigned long long)size1, (unsigned long long)size2);
	return s->ops->prove_consistency(s, size1, size2, proof, n);
}

int source_stored_leaf_hash(audit_source *s, uint64_t index, merkle_hash out)
{
	s->what[0] = '\0';
	if (s->ops->stored_leaf_hash == NULL)
		return source_fail(s, AK_ENOENT, "this source exposes no stored hashes");
	return s->ops->stored_leaf_hash(s, index, out);
}

int source_size(audit_source *s, uint64_t *n)
{
	s->what[0] = '\0';
	if (s->ops->size == NULL)
		return source_fail(s, AK_ENOENT, "this source does not tell its size");
	return s->ops->size(s, n);
}

int source_appeals(audit_source *s, uint64_t as_of, uint64_t deadline, size_t max_list,
		   json_t **out)
{
	*out = NULL;
	s->what[0] = '\0';
	if (s->ops->appeals == NULL)
		return source_fail(s, AK_ENOENT, "this source holds no appeals");
	return s->ops->appeals(s, as_of, deadline, max_list, out);
}

int source_check_tiles(audit_source *s, uint64_t *count)
{
	*count = 0;
	s->what[0] = '\0';
	if (s->ops->check_tiles == NULL)
		return source_fail(s, AK_ENOENT, "this source serves no tiles");
	return s->ops->check_tiles(s, count);
}

const char *source_summary(audit_source *s, char *buf, size_t cap)
{
	if (s == NULL || s->ops->summary == NULL || cap == 0)
		return NULL;
	s->ops->summary(s, buf, cap);
	return buf;
}

int source_note_peek(const char *note, size_t len, struct checkpoint *c)
{
	const char *sep = NULL;

	/* The body ends at the first blank line (note.h). */
	for (size_t i = 0; i + 1 < len; i++) {
		if (note[i] == '\n' && note[i + 1] == '\n') {
			sep = note + i + 1;
			break;
		}
	}
	if (sep == NULL)
		return AK_EINVAL;
	return checkpoint_parse(c, note, (size_t)(sep - note));
}
