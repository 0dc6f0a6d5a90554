/*
 * report_appeals: the appeals section of the auditors' report, the same
 * JSON from GET /v1/audit/report and from `ankang-audit report --db`:
 *
 *   "appeals": {"as_of", "deadline", "open", "overdue",
 *               "overdue_by_team": [{"team", "count"}],
 *               "overdue_list": [{"appeal", "opened", "due", "officer_id",
 *                                 "officer", "team"}]}
 *
 * An appeal is overdue when it is unanswered and as_of is past its due
 * (opened + the service's --appeal-deadline when it opened; or, when the
 * caller judges by a deadline of its own, opened + that deadline). Each
 * overdue appeal counts against the team of the officer who set the
 * status being appealed (null: the status was set at enrolment, or by an
 * officer without a team). The list is oldest first, at most max_list;
 * the counts are complete. Teams are sorted by count, most first, then
 * by name.
 *
 * Unlike the rest of the report, this does not come from the log: the
 * log says when an appeal opened and was answered, but not its due. The
 * rows come from the appeals table (schema/004_appeals.sql), which holds
 * nothing personal the section shows: an appeal's handle, its times, the
 * account that set the status and its label and team.
 */
#ifndef ANKANG_LOG_REPORT_APPEALS_H
#define ANKANG_LOG_REPORT_APPEALS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "log/store.h"

#define REPORT_APPEAL_HANDLE_BYTES 16

/* One open appeal. */
struct report_appeal {
	uint8_t handle[REPORT_APPEAL_HANDLE_BYTES];
	uint64_t opened, due;
	uint64_t officer_id; /* who set the status appealed; UINT64_MAX: none */
	const char *officer; /* that account's label, or NULL */
	const char *team;    /* its team, or NULL */
};

typedef struct report_appeals report_appeals;

/* deadline 0: each appeal's own due; else opened + deadline. 0 or
 * AK_ENOMEM. */
int report_appeals_new(report_appeals **out, uint64_t as_of, uint64_t deadline, size_t max_list);
/* Counts one open appeal (strings are copied). 0 or AK_ENOMEM. */
int report_appeals_add(report_appeals *r, const struct report_appeal *a);
uint64_t report_appeals_overdue(const report_appeals *r);
/* The section; deadline_shown is the deadline to report (0: null). NULL
 * when out of memory. */
json_t *report_appeals_json(const report_appeals *r, uint64_t deadline_shown);
/* NULL is a no-op. */
void report_appeals_free(report_appeals *r);

/* Counts into r every open appeal of a live resident in s's appeals
 * table, on either backend (log/store_report.c). 0, AK_ENOENT (a SQLite
 * database from before appeals), AK_ECORRUPT (a row breaks the schema),
 * AK_EDB or AK_ENOMEM. */
int store_report_appeals(store *s, report_appeals *r);

#endif
