/*
 * audit_report: GET /v1/audit/report[?since=UNIX_MS], the anomaly report
 * of `ankang-audit report` for the auditors' dashboard, computed and
 * rendered by the same code (log/report.h, log/report_json.h) with the
 * default rules, so the two answer the same JSON. The service adds the
 * account names (actor_label, as GET /v1/audit/entries does) and says
 * where it cut the log (cut_at).
 *
 * Bounded: it reads the newest REPORT_HTTP_LEAVES leaves at most (those
 * since `since` when given, through the log's time index), newest
 * first; `cut_at` is the lowest index it read when older leaves (of the
 * window asked) were left out, null when none were. ~1 us a leaf:
 * about a tenth of a second at the bound. Off hours are the service's
 * local hours (its TZ), as the tool's are its own.
 *
 * No leaf: the log holds no personal data (h_audit.c says why reading it
 * writes none), and account names are labels of posts and devices.
 */
#include "common/util.h"
#include "log/report.h"
#include "log/report_json.h"
#include "service/http/account_names.h"
#include "service/http/request.h"

#define REPORT_HTTP_LEAVES 100000

struct report_walk {
	report *r;
	size_t read;
	uint64_t lowest; /* the index of the oldest leaf read */
	int cut, rc;
};

static int report_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct report_walk *w = ctx;

	/* The query asks for one leaf past the bound: seeing it means
	 * older leaves were left out. */
	if (w->read == REPORT_HTTP_LEAVES) {
		w->cut = 1;
		return 0;
	}
	if ((w->rc = report_add_bytes(w->r, idx, leaf, len)) != 0)
		return w->rc;
	w->read++;
	w->lowest = idx;
	return 0;
}

static json_t *label(void *ctx, int role, uint64_t id)
{
	return account_names_get(ctx, role, id);
}

static enum api_error audit_report(struct request *rq, uint64_t index)
{
	struct report_walk w = {NULL};
	struct report_config cfg;
	struct store_log_filter f;
	struct account_names names;
	enum api_error e;
	json_t *j = NULL;
	int rc, has_since;
	(void)index;

	report_config_default(&cfg);
	if ((e = request_query_uint(rq, "since", &cfg.since_ms, &has_since)) != API_OK)
		return e;
	if ((rc = report_new(&w.r, &cfg)) != 0)
		return request_fault(rq, API_INTERNAL, "starting a report", rc);
	store_log_filter_init(&f);
	f.since_ms = cfg.since_ms;
	f.newest_first = 1;
	f.limit = REPORT_HTTP_LEAVES + 1;
	rc = store_log_query(rq->db, &f, report_leaf, &w);
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
	account_names_clear(&names);
	report_free(w.r);
	if (j != NULL &&
	    json_object_set_new(j, "cut_at",
				w.cut ? json_integer((json_int_t)w.lowest) : json_null()) != 0) {
		json_decref(j);
		j = NULL;
	}
	return reply_json(rq, 200, j);
}

const struct route_handler h_audit_report = {NULL, audit_report, 0, NULL};
