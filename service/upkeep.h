/*
 * upkeep: the service's housekeeping thread. Once a minute it
 *   - writes the summaries of bursts of failed log-ins that have ended
 *     (limits.h), one `login` leaf each;
 *   - deletes what has run out: resident sessions past their expiry,
 *     revocations that expired more than the clock-skew allowance ago (no
 *     verifier would accept those codes any more), and issued codes once
 *     the scan window after their expiry is over too (a late offline scan
 *     of a code can be attributed while its row is there).
 *
 * A purge changes state, so it goes through the audit writer like any
 * other change, with a `purge` leaf (actor system:-, result ok) in the
 * same transaction; a minute in which nothing expired writes nothing.
 */
#ifndef ANKANG_UPKEEP_H
#define ANKANG_UPKEEP_H

#include <stdint.h>

#include "log/auditlog.h"
#include "service/limits.h"

#define UPKEEP_INTERVAL_S 60

struct upkeep_config {
	auditlog *log;
	struct limits *limits; /* may be NULL */
	uint64_t skew;         /* seconds */
	uint64_t scan_window;  /* seconds */
};

struct upkeep;

/* Starts the thread (first run one interval after start). 0, AK_ENOMEM. */
int upkeep_start(struct upkeep **out, const struct upkeep_config *cfg);
/* Stops the thread, waiting for a run in progress, then writes the
 * summaries of every burst still open; NULL is a no-op. Call before the
 * audit log closes. */
void upkeep_stop(struct upkeep *u);

/*
 * One run, now, through cfg's audit log: for tests and for the thread.
 * *purged (may be NULL) gets the number of rows deleted. Returns 0 (also
 * when nothing was due), or the writer's error.
 */
int upkeep_run(const struct upkeep_config *cfg, uint64_t now, uint64_t *purged);

#endif
