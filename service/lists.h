/*
 * lists: the signed trust list and revocation list the service publishes
 * (GET /v1/trust, GET /v1/revocations, and the .note files in public/ of the data
 * folder for verifiers that copy files).
 *
 * The trust list changes only at key rotation (ankangd keys rotate). The
 * revocation list changes whenever codes are revoked (a status change, an
 * erasure): lists_changed() marks it stale, and a background thread
 * re-signs it from the database at most once per LISTS_RESIGN_MS, plus
 * once a minute so that its `issued` time stays fresh and expired entries
 * drop off. Readers get the current note without waiting for a re-sign.
 */
#ifndef ANKANG_LISTS_H
#define ANKANG_LISTS_H

#include <stddef.h>
#include <stdint.h>

#define LISTS_RESIGN_MS 1000
#define LISTS_REFRESH_S 60

#include "service/datadir.h"

struct lists;

struct lists_config {
	const char *db_path;      /* read through a connection of its own */
	const struct datadir *dd; /* root key loaded; origin; public/ files */
	uint64_t skew;            /* revocations stay listed this long past exp */
};

/* Loads the trust note, signs a fresh revocation list, starts the thread.
 * cfg's pointers must outlive the lists. */
int lists_open(struct lists **out, const struct lists_config *cfg);
/* Stops the thread (after a last re-sign if stale); NULL is a no-op. */
void lists_close(struct lists *l);

/* The revocation list is stale: re-sign soon. Cheap, any thread. */
void lists_changed(struct lists *l);

/*
 * A reference-counted copy of a current note: the caller gets a pointer
 * valid until lists_release(). Never blocks on a re-sign in progress.
 */
struct lists_note {
	const char *text;
	size_t len;
};
const struct lists_note *lists_trust(struct lists *l);
const struct lists_note *lists_revocations(struct lists *l);
void lists_release(struct lists *l, const struct lists_note *n);

#endif
