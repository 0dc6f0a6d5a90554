/*
 * health: GET /healthz (liveness, anyone) and GET /metrics (Prometheus
 * text, admin token). Neither reads personal data, so neither writes an
 * audit leaf (routes.c: DATA_PUBLIC, DATA_OPS); both are cheap enough to
 * be the load generator's baseline.
 *
 *   GET /healthz -> 200 {"status": "ok", "log_size": N}, or 503 while the
 *                   service shuts down, and 503 while the audit log
 *                   refuses every write until a restart (its storage
 *                   failed, or the scrub found a mismatch): nearly every
 *                   request needs a leaf, so a load balancer should send
 *                   them elsewhere and a monitor should call an operator.
 *                   A full disk is not such a state (writes resume by
 *                   themselves once there is room), so it stays 200.
 *                   log_size is the audit log's committed size, which an
 *                   outside monitor can watch grow (and never shrink).
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "service/http/http_int.h"
#include "service/http/metrics.h"

static enum api_error healthz(struct request *rq, uint64_t index)
{
	char text[64];
	merkle_hash root;
	uint64_t size;
	int n;
	(void)index;

	if (app_stopping(rq->app))
		return API_STOPPING;
	if (auditlog_refusing(app_log(rq->app)) != 0)
		return API_STORAGE_FAILED;
	auditlog_head(app_log(rq->app), &size, root);
	n = snprintf(text, sizeof text, "{\"status\":\"ok\",\"log_size\":%llu}",
		     (unsigned long long)size);
	return reply_bytes(rq, 200, "application/json", text, (size_t)n);
}

static enum api_error metrics(struct request *rq, uint64_t index)
{
	enum api_error e;
	char *text = NULL;
	size_t len;
	int rc;
	(void)index;

	if ((rc = metrics_render(rq->in->metrics, app_log(rq->app), &text, &len)) != 0)
		return request_fault(rq, API_INTERNAL, "rendering the metrics", rc);
	e = reply_bytes(rq, 200, "text/plain; version=0.0.4", text, len);
	free(text);
	return e;
}

const struct route_handler h_healthz = {NULL, healthz, 0, NULL};
const struct route_handler h_metrics = {NULL, metrics, 0, NULL};
