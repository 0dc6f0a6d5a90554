/*
 * leaves.h: a made-up audit leaf for the C tests that drive the writer,
 * header only (needs libsodium initialised: sodium_init).
 */
#ifndef ANKANG_TEST_LEAVES_H
#define ANKANG_TEST_LEAVES_H

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto/leaf.h"

/* A verifier's valid verify, by account `actor`, of a random subject and
 * object (no personal data: the ids are random bytes). */
static inline void test_verify_leaf(struct leaf *l, uint64_t actor)
{
	memset(l, 0, sizeof *l);
	l->role = ROLE_VERIFIER;
	l->actor_id = actor;
	l->action = ACT_VERIFY;
	l->has_subject = 1;
	randombytes_buf(l->subject, sizeof l->subject);
	l->has_object = 1;
	randombytes_buf(l->object, sizeof l->object);
	l->result = RES_VALID;
	l->detail = DET_GREEN;
}

#endif
