/*
 * report: what an inspector asks of the audit log, computed from parsed
 * leaves. Counts by action, by result and by actor, and five flags:
 *
 *   no purpose   every `lookup` whose detail is "-": an officer found a
 *                resident without stating a purpose.
 *   busy officer an officer whose `status_set` count is at least
 *                busy_min AND more than busy_factor times the median of
 *                all officers with at least one status_set (the lower
 *                median: of an even number of officers, the smaller of
 *                the two middle counts, so one outlier cannot lift the
 *                bar it is measured against). One officer alone is never
 *                flagged: there is no one to compare with.
 *   off hours    every `verify` or `verify_offline` whose leaf time falls
 *                outside the expected local hours [hours_from, hours_to).
 *   denied burst at least burst_n denied attempts (leaves with result
 *                `denied`) whose times lie within burst_window_s seconds
 *                of each other, counted per actor and over the whole log.
 *                The summary leaf of a burst of failed log-ins counts as
 *                the least number its size word allows (burst_10_99: 10),
 *                at the time of its last failure. Overlapping windows
 *                merge into one burst, reported with its first and last
 *                time, its count and its first index.
 *   read burst   at least read_burst_n leaves of one officer (role officer,
 *                any id) whose action is `lookup` or `print_code`, whatever
 *                their result, with times within read_burst_window_s
 *                seconds of each other: an officer reading residents one
 *                after another. Every result counts: a not_found look-up
 *                still tried an ID number (a read refused by the
 *                service's own rate limit writes no leaf: nothing was
 *                read). Counted per officer only:
 *                many officers at work together are not one burst.
 *                Overlapping windows merge as for denied bursts; reported
 *                with the officer, first and last time, count and first
 *                index.
 *
 * It also counts the leaves of each hour (UTC hours: hour_s is a
 * multiple of 3600), by action and by result, for plots.
 *
 * The engine keeps counts and the flagged events only (up to max_list
 * events per flag are kept for listing; totals are always exact), and the
 * times of denied leaves and of officers' reads, so its memory grows with
 * the number of actors, of hours and of those leaves, not with the log.
 *
 * Part of the audit-log library because two programs compute it, and
 * must compute it alike: ankang-audit report, and the service's
 * GET /v1/audit/report (report_json.h renders it for both).
 *
 * Pure apart from the local time zone (for off hours): no I/O.
 */
#ifndef ANKANG_LOG_REPORT_H
#define ANKANG_LOG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/leaf.h"

#define REPORT_BUSY_FACTOR         3
#define REPORT_BUSY_MIN            10
#define REPORT_BURST_N             10
#define REPORT_BURST_WINDOW_S      60
#define REPORT_READ_BURST_N        20
#define REPORT_READ_BURST_WINDOW_S 600
#define REPORT_HOURS_FROM          6
#define REPORT_HOURS_TO            22
#define REPORT_MAX_LIST            20

struct report_config {
	uint64_t since_ms, until_ms; /* leaf times [since, until); until 0 = no bound */
	unsigned hours_from, hours_to;
	uint64_t busy_factor, busy_min;
	uint64_t burst_n, burst_window_s;
	uint64_t read_burst_n, read_burst_window_s;
	size_t max_list;
};

void report_config_default(struct report_config *c);

struct report_actor {
	enum leaf_role role;
	uint64_t id; /* LEAF_NO_ID for "-" */
	uint64_t total;
	uint64_t by_action[ACT_COUNT];
	uint64_t denied;
	uint64_t off_hours;
};

/* A flagged leaf. */
struct report_event {
	uint64_t index, time_ms;
	enum leaf_role role;
	uint64_t id;
	enum leaf_action action;
};

struct report_busy {
	enum leaf_role role; /* always ROLE_OFFICER */
	uint64_t id;
	uint64_t count;
};

/* A burst of denied results, or of one officer's reads. */
struct report_burst {
	int overall; /* 1: over all actors; 0: role and id say whose */
	enum leaf_role role;
	uint64_t id;
	uint64_t start_ms, end_ms, count, first_index;
};

/* The leaves of one hour. */
struct report_hour {
	uint64_t hour_s; /* unix seconds of the hour's start */
	uint64_t by_action[ACT_COUNT];
	uint64_t by_result[RES_COUNT];
};

struct report_result {
	uint64_t leaves;     /* leaves in the time range */
	uint64_t seen;       /* leaves read, in range or not */
	uint64_t unparsable; /* leaves that did not parse (counted, not analysed) */
	uint64_t first_unparsable;
	uint64_t first_index, last_index; /* of the leaves in range */
	uint64_t min_time_ms, max_time_ms;
	uint64_t by_action[ACT_COUNT];
	uint64_t by_result[RES_COUNT];
	struct report_hour *hours; /* oldest first; hours without leaves left out */
	size_t nhours;
	struct report_actor *actors; /* sorted by role, then id ("-" last) */
	size_t nactors;

	uint64_t no_purpose_total;
	struct report_event *no_purpose;
	size_t nno_purpose;

	uint64_t officers_median; /* 0 when no officer changed a status */
	size_t officers;          /* officers with at least one status_set */
	struct report_busy *busy; /* by count, largest first */
	size_t nbusy;

	uint64_t off_hours_total;
	struct report_event *off_hours;
	size_t noff_hours;

	struct report_burst *bursts; /* overall first, then per actor; by time */
	size_t nbursts;

	struct report_burst *read_bursts; /* never overall; by officer id, then time */
	size_t nread_bursts;
};

typedef struct report report;

/* Returns 0, AK_EINVAL (a zero factor, burst count or window, or a window
 * over a hundred years), AK_ENOMEM. */
int report_new(report **out, const struct report_config *c);
void report_free(report *r);

/* Feeds the leaf at index (leaves in any order, each once). 0, AK_ENOMEM, or
 * AK_EINVAL after report_finish. */
int report_add(report *r, uint64_t index, const struct leaf *l);
/* Counts a leaf that did not parse. */
void report_add_unparsable(report *r, uint64_t index);
/* Feeds a leaf's bytes: report_add when they parse, else
 * report_add_unparsable. 0, AK_ENOMEM or AK_EINVAL as report_add. */
int report_add_bytes(report *r, uint64_t index, const char *leaf, size_t len);

/*
 * Computes the flags; afterwards report_result is valid and no more
 * leaves may be added. 0 or AK_ENOMEM.
 */
int report_finish(report *r);
const struct report_result *report_result(const report *r);

/* 1 when anything is flagged (or a leaf did not parse). */
int report_flagged(const struct report_result *res);

/* The local hour of day (0..23) at ms, or -1 if it cannot be told. */
int report_local_hour(uint64_t ms);
/* 1 when hour (0..23) lies in the expected window [from, to); from ==
 * to expects every hour, from > to wraps midnight. */
int report_hour_expected(unsigned hour, unsigned from, unsigned to);

#endif
