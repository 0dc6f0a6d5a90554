/*
 * audit_report: GET /v1/audit/report[?since=UNIX_MS], the anomaly report
 * of `ankang-audit report` for the auditors' dashboard, computed and
 * rendered by the same code (log/report.h, log/report_json.h) with the
 * default rules, so the two answer the same JSON. The service adds the
 * account names (actor_label, as GET /v1/audit/entries does) and says
 * where it cut the log (cut_at).
 *
 * Bounded: it reads the newest REPORT_HTTP_LEAVES leaves at most (those
 * since `since` when given, through the log's time index), oldest first
 * as the tool does (the report lists the first events it meets, so the
 * order shows in the answer); `cut_at` is the lowest index it read when
 * older leaves (of the window asked) were left out, null when none were. ~1 us a leaf:
 * about a tenth of a second at the bound. Off hours are the service's
 * local hours (its TZ), as the tool's are its own.
 *
 * The appeals section (log/report_appeals.h) comes from the appeals
 * table, not the log: open appeals, and those overdue under the dues the
 * service gave them (--appeal-deadline when each opened), counted by the
 * team of the officer who set the status appealed. An overdue appeal
 * flags the report.
 *
 * No leaf: the log holds no personal data (h_audit.c says why reading it
 * writes none), account names are labels of posts and devices, and the
 * appeals section shows an appeal's handle, times, and the account and
 * team that set the status, never a resident or a text.
 */
#include <string.h>

#include "common/util.h"
#include "log/report.h"
#include "log/report_appeals.h"
#include "log/report_json.h"
#include "service/app.h"
#include "service/http/account_names.h"
#include "service/http/request.h"
#include "service/store_people.h"

#define REPORT_HTTP_LEAVES 100000

struct report_walk {
	report *r;
	int rc;
};

static int report_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct report_walk *w = ctx;

	return w->rc = report_add_bytes(w->r, idx, leaf, len);
}

static int seen_one(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	(void)idx, (void)leaf, (void)len;
	*(int *)ctx = 1;
	return 0;
}

static json_t *label(void *ctx, int role, uint64_t id)
{
	return account_names_get(ctx, role, id);
}

struct appeals_walk {
	report_appeals *r;
	struct account_names *names;
};

static int appeal_row(void *ctx, const struct store_appeal *a)
{
	struct appeals_walk *w = ctx;
	struct report_appeal x;
	json_t *name = NULL;
	int rc;

	memset(&x, 0, sizeof x);
	memcpy(x.handle, a->handle, sizeof x.handle);
	x.opened = a->opened;
	x.due = a->due;
	x.officer_id = a->status_officer == LEAF_NO_ID ? UINT64_MAX : a->status_officer;
	if (a->status_officer != LEAF_NO_ID &&
	    (name = account_names_get(w->names, ROLE_OFFICER, a->status_officer)) == NULL)
		return AK_ENOMEM;
	x.officer = json_string_value(name); /* NULL for json null */
	x.team = a->team[0] != '\0' ? a->team : NULL;
	rc = report_appeals_add(w->r, &x);
	json_decref(name);
	return rc;
}

/* The appeals section into j, and the report flagged when one is
 * overdue. */
static int add_appeals(struct request *rq, json_t *j, const struct report_config *cfg,
		       struct account_names *names)
{
	unsigned deadline = app_config(rq->app)->appeal_deadline;
	struct appeals_walk w = {NULL, names};
	json_t *section = NULL;
	int rc;

	if ((rc = report_appeals_new(&w.r, rq->now, 0, cfg->max_list)) != 0)
		return rc;
	rc = store_appeals_list(rq->db, STORE_APPEALS_OPEN, 0, appeal_row, &w);
	if (rc == 0 && (section = report_appeals_json(w.r, deadline)) == NULL)
		rc = AK_ENOMEM;
	if (rc == 0 && json_object_set_new(j, "appeals", section) != 0)
		rc = AK_ENOMEM;
	if (rc == 0 && report_appeals_overdue(w.r) > 0 &&
	    json_object_set_new(j, "flagged", json_true()) != 0)
		rc = AK_ENOMEM;
	report_appeals_free(w.r);
	return rc;
}

static enum api_error audit_report(struct request *rq, uint64_t index)
{
	struct report_walk w = {NULL};
	struct report_config cfg;
	struct store_log_filter f;
	struct account_names names;
	enum api_error e;
	json_t *j = NULL;
	merkle_hash root;
	uint64_t size;
	int rc, has_since, cut = 0;
	(void)index;

	report_config_default(&cfg);
	if ((e = request_query_uint(rq, "since", &cfg.since_ms, &has_since)) != API_OK)
		return e;
	if ((rc = report_new(&w.r, &cfg)) != 0)
		return request_fault(rq, API_INTERNAL, "starting a report", rc);
	/* The newest REPORT_HTTP_LEAVES leaves, read oldest first as
	 * ankang-audit reads them: the report keeps the first events it
	 * meets, so the order is part of the answer. */
	auditlog_head(app_log(rq->app), &size, root);
	store_log_filter_init(&f);
	f.since_ms = cfg.since_ms;
	f.start = size > REPORT_HTTP_LEAVES ? size - REPORT_HTTP_LEAVES : 0;
	rc = store_log_query(rq->db, &f, report_leaf, &w);
	if (rc == 0 && f.start > 0) {
		/* Cut only if a leaf the range left out would have counted. */
		struct store_log_filter older = f;
		older.start = 0;
		older.end = f.start;
		older.newest_first = 1;
		older.limit = 1;
		rc = store_log_query(rq->db, &older, seen_one, &cut);
	}
	if (rc == 0)
		rc = report_finish(w.r);
	if (rc != 0) {
		report_free(w.r);
		return request_fault(rq,
				     w.rc != 0 || rc == AK_ENOMEM ? API_INTERNAL : API_UNAVAILABLE,
				     "reading the log for a report", rc);
	}
	account_names_init(&names, rq->db);
	j = report_json(report_result(w.r), &cfg, label, &names);
	if (j != NULL && (rc = add_appeals(rq, j, &cfg, &names)) != 0) {
		json_decref(j);
		account_names_clear(&names);
		report_free(w.r);
		return request_fault(rq, rc == AK_ENOMEM ? API_INTERNAL : API_UNAVAILABLE,
				     "reading appeals for a report", rc);
	}
	account_names_clear(&names);
	report_free(w.r);
	if (j != NULL &&
	    json_object_set_new(j, "cut_at",
				cut ? json_integer((json_int_t)f.start) : json_null()) != 0) {
		json_decref(j);
		j = NULL;
	}
	return reply_json(rq, 200, j);
}

const struct route_handler h_audit_report = {NULL, audit_report, 0, NULL};
