/*
 * store_report: the rows of the auditors' report that are not the log,
 * read through the store's own statements (store_q), so that
 * `ankang-audit report --db` reads them on SQLite and on PostgreSQL
 * alike (log/report_appeals.h says what the section holds).
 *
 * Only the appeals table's handles and times and the accounts' labels
 * and teams are read: nothing sealed, nothing personal.
 *
 * Never: write, or read a column of the residents table but its erasure
 * mark.
 */
#include <string.h>

#include "common/util.h"
#include "log/report_appeals.h"
#include "log/store_int.h"

/* Open appeals of live residents, oldest first, with the account that
 * set the status appealed. */
static const char appeals_sql[] =
    "SELECT p.handle, p.opened, p.due, p.status_officer, a.name, a.team"
    " FROM appeals p JOIN residents r ON r.id = p.resident_id"
    " LEFT JOIN accounts a ON a.id = p.status_officer"
    " WHERE p.answered IS NULL AND r.erased IS NULL ORDER BY p.opened, p.id";

int store_report_appeals(store *s, report_appeals *r)
{
	store_q *q = store_q_get(s, SQ_REPORT_APPEALS, appeals_sql);
	struct report_appeal a;
	int rc = 0, step;

	/* On SQLite, a database from before appeals has no such table. */
	if (q == NULL)
		return AK_ENOENT;
	while ((step = store_q_step(q)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		if (store_q_bytes(q, 0) != (int)sizeof a.handle || store_q_int64(q, 1) < 0 ||
		    store_q_int64(q, 2) < 0) {
			rc = AK_ECORRUPT;
			break;
		}
		memcpy(a.handle, store_q_blob(q, 0), sizeof a.handle);
		a.opened = (uint64_t)store_q_int64(q, 1);
		a.due = (uint64_t)store_q_int64(q, 2);
		a.officer_id =
		    store_q_type(q, 3) == SQLITE_NULL ? UINT64_MAX : (uint64_t)store_q_int64(q, 3);
		a.officer = (const char *)store_q_text(q, 4);
		a.team = (const char *)store_q_text(q, 5);
		if ((rc = report_appeals_add(r, &a)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = store_err(step);
	store_q_finish(q);
	return rc;
}
