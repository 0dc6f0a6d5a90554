/*
 * account_names: the names of the accounts that act in a listing of the
 * log (GET /v1/me/accesses, GET /v1/audit/entries, GET /v1/audit/report),
 * each looked up once per listing. A name is a label for a post or a
 * device ("checkpoint-17": policy_account_name_valid), never a person's.
 *
 * Only accounts (verifier, officer, auditor, admin with an id) have one.
 * A resident's or the system's actor id is "-" (a resident's row id would
 * link the log to the resident table beyond the pseudonym), and such an
 * actor is never looked up, whatever its id.
 */
#ifndef ANKANG_ACCOUNT_NAMES_H
#define ANKANG_ACCOUNT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/leaf.h"
#include "log/store.h"

/* Distinct accounts remembered in one listing: few actors repeat. */
#define ACCOUNT_NAMES_CACHE 16

struct account_names {
	store *db;
	size_t cached;
	struct {
		uint64_t id;
		json_t *name; /* a string, or null for an unknown account */
	} cache[ACCOUNT_NAMES_CACHE];
};

/* Starts a listing's names, read through db (the thread's connection). */
void account_names_init(struct account_names *n, store *db);

/*
 * The name of the actor role:id, as a new reference: a string for an
 * account the database knows, null for any other actor. NULL only when
 * out of memory.
 */
json_t *account_names_get(struct account_names *n, int role, uint64_t id);

/* Releases what the listing remembered. */
void account_names_clear(struct account_names *n);

#endif
