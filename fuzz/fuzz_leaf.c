/*
 * fuzz_leaf: libFuzzer target for crypto/leaf.c.
 *
 * The input is used twice. As a line, leaf_parse must either refuse it or
 * give a leaf that leaf_format turns into exactly the input again (one
 * spelling per entry). As raw bytes, it is spread over a struct leaf,
 * enums a little beyond their range included: leaf_format must either
 * refuse it or write a line of at most LEAF_MAX bytes that parses back to
 * the same leaf.
 *
 * Seeds: fuzz/corpus/leaf/. Build and run: see fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/leaf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Bytes -> leaf: 8 time, 8 actor id, 4 enums, 1 flags, 16 + 16 ids, and
 * 16 for an actor pseudonym. */
#define RAW_LEN 69

static void raw_leaf(struct leaf *l, const uint8_t *p)
{
	memset(l, 0, sizeof *l);
	l->time_ms = get_u64(p);
	/* Often "-", so that residents and the sentinel are reached. */
	l->actor_id = p[16] & 0x80 ? LEAF_NO_ID : get_u64(p + 8);
	l->role = (enum leaf_role)(p[16] % (ROLE_COUNT + 2));
	l->action = (enum leaf_action)(p[17] % (ACT_COUNT + 2));
	l->result = (enum leaf_result)(p[18] % (RES_COUNT + 2));
	l->detail = (enum leaf_detail)(p[19] % (DET_COUNT + 2));
	l->has_subject = p[20] & 1;
	l->has_object = (p[20] >> 1) & 1;
	if (l->has_subject)
		memcpy(l->subject, p + 21, LEAF_ID_BYTES);
	if (l->has_object)
		memcpy(l->object, p + 37, LEAF_ID_BYTES);
	l->has_actor_pseudonym = (p[20] >> 2) & 1;
	if (l->has_actor_pseudonym)
		memcpy(l->actor_pseudonym, p + 53, LEAF_ID_BYTES);
}

/* Field by field: struct padding is no part of a leaf. */
static int same_leaf(const struct leaf *a, const struct leaf *b)
{
	return a->time_ms == b->time_ms && a->role == b->role && a->actor_id == b->actor_id &&
	       a->action == b->action && a->has_subject == b->has_subject &&
	       memcmp(a->subject, b->subject, LEAF_ID_BYTES) == 0 &&
	       a->has_object == b->has_object && memcmp(a->object, b->object, LEAF_ID_BYTES) == 0 &&
	       a->result == b->result && a->detail == b->detail &&
	       a->has_actor_pseudonym == b->has_actor_pseudonym &&
	       memcmp(a->actor_pseudonym, b->actor_pseudonym, LEAF_ID_BYTES) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[LEAF_MAX + 1];
	struct leaf l, back;
	int n;

	if (leaf_parse(&l, (const char *)data, size) == 0) {
		n = leaf_format(out, &l);
		if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
			abort();
	}

	if (size >= RAW_LEN) {
		raw_leaf(&l, data);
		n = leaf_format(out, &l);
		if (n >= 0) {
			if (n > LEAF_MAX || strlen(out) != (size_t)n)
				abort();
			if (leaf_parse(&back, out, (size_t)n) != 0 || !same_leaf(&back, &l))
				abort();
		} else if (l.role > ROLE_NONE && l.role < ROLE_COUNT && l.action > ACT_NONE &&
			   l.action < ACT_COUNT && l.result > RES_NONE && l.result < RES_COUNT &&
			   l.detail > DET_NONE && l.detail < DET_COUNT &&
			   !((l.role == ROLE_RESIDENT || l.role == ROLE_SYSTEM) &&
			     l.actor_id != LEAF_NO_ID) &&
			   !(l.has_actor_pseudonym &&
			     (l.role != ROLE_RESIDENT || l.actor_id != LEAF_NO_ID))) {
			abort(); /* refused a leaf it should format */
		}
	}
	return 0;
}
