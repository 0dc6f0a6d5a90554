/*
 * accesses: the list of every access to one resident's data, read from
 * the log through its subject index (h_me.c): GET /v1/me/accesses for my
 * own, and GET /v1/me/household/{member}/accesses for a household
 * member's, which the guardian may see (h_household.c). Entries written
 * by a guardian acting for the resident carry "actor_pseudonym".
 */
#ifndef ANKANG_ACCESSES_H
#define ANKANG_ACCESSES_H

#include <stdint.h>

#include <jansson.h>

#include "service/http/request.h"

/* A route's state for the list (state_size, state_free: accesses_free). */
struct accesses_st {
	json_t *list;
	uint64_t next; /* the next page's `before`; 0 when this is the last */
};

/* The prepare step for resident resident_id's list: reads the query
 * (limit, before, action), the page, and sets the leaf's subject to the
 * resident's pseudonym, result ok, detail "-". */
enum api_error accesses_of(struct request *rq, uint64_t resident_id);
/* 200 {accesses, next, log_index}. */
enum api_error accesses_answer(struct request *rq, uint64_t index);
void accesses_free(void *p);

#endif
