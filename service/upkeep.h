/*
 * upkeep: the service's housekeeping thread. Once a minute it deletes
 * what has run out: resident sessions past their expiry, and issued codes
 * and revocations that expired more than the clock-skew allowance ago (no
 * verifier would accept them any more, so neither the online check nor
 * the published list needs them).
 *
 * A purge changes state, so it goes through the audit writer like any
 * other change, with a `purge` leaf (actor system:-, result ok) in the
 * same transaction; a minute in which nothing expired writes nothing.
 */
#ifndef ANKANG_UPKEEP_H
#define ANKANG_UPKEEP_H

#include <stdint.h>

#define UPKEEP_INTERVAL_S 60

struct server;
struct upkeep;

/* Starts the thread (first run one interval after start). 0, AK_ENOMEM. */
int upkeep_start(struct upkeep **out, struct server *srv);
/* Stops the thread, waiting for a purge in progress; NULL is a no-op.
 * Call before the audit log closes. */
void upkeep_stop(struct upkeep *u);

/*
 * One purge, now, through srv's audit log: for tests and for the thread.
 * *purged (may be NULL) gets the number of rows deleted. Returns 0 (also
 * when nothing was due), or the writer's error.
 */
int upkeep_run(struct server *srv, uint64_t *purged);

#endif
