/*
 * health: GET /healthz (liveness, anyone) and GET /metrics (Prometheus
 * text, admin token). Neither reads personal data, so neither writes an
 * audit leaf; both are cheap enough to be the load generator's baseline.
 */
#include <stdlib.h>

#include "common/util.h"
#include "service/metrics.h"
#include "service/routes.h"
#include "service/server.h"

int h_healthz(struct http_request *rq)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	if (rq->srv->stopping)
		return http_error(rq, 503, "unavailable", "The service is shutting down.");
	return http_reply(rq, 200, "application/json", ok, sizeof ok - 1);
}

int h_metrics(struct http_request *rq)
{
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = metrics_render(rq->srv->metrics, rq->srv, &text, &len)) != 0)
		return rc;
	rc = http_reply(rq, 200, "text/plain; version=0.0.4", text, len);
	free(text);
	return rc;
}
