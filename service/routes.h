/*
 * routes: ankangd's route table, the one place that says which method and
 * path go to which handler, who may call it, and how large its body may
 * be. One file per resource holds the handlers:
 *
 *   enroll.c     POST /v1/enroll
 *   session.c    POST /v1/login
 *   me.c         GET /v1/me/code(.png|.svg), /v1/me/accesses, /v1/me/history,
 *                DELETE /v1/me
 *   residents.c  PUT /v1/residents/{id}/status, POST /v1/residents/{id}/paper-code,
 *                POST /v1/lookup
 *   verify.c     POST /v1/verify, POST /v1/scans
 *   lists.c      GET /v1/trust, GET /v1/revocations
 *   audit_api.c  GET /v1/audit/checkpoint, /entries, /proof/inclusion, /proof/consistency
 *   health.c     GET /healthz, GET /metrics
 */
#ifndef ANKANG_ROUTES_H
#define ANKANG_ROUTES_H

#include <stddef.h>

#include "service/http.h"

extern const struct http_route server_routes[];
extern const size_t server_n_routes;

int h_enroll(struct http_request *rq);
int h_login(struct http_request *rq);
int h_me_code(struct http_request *rq);
int h_me_code_png(struct http_request *rq);
int h_me_code_svg(struct http_request *rq);
int h_me_accesses(struct http_request *rq);
int h_me_history(struct http_request *rq);
int h_me_erase(struct http_request *rq);
int h_resident_status(struct http_request *rq);
int h_paper_code(struct http_request *rq);
int h_lookup(struct http_request *rq);
int h_verify(struct http_request *rq);
int h_scans(struct http_request *rq);
int h_trust(struct http_request *rq);
int h_revocations(struct http_request *rq);
int h_audit_checkpoint(struct http_request *rq);
int h_audit_entries(struct http_request *rq);
int h_audit_inclusion(struct http_request *rq);
int h_audit_consistency(struct http_request *rq);
int h_healthz(struct http_request *rq);
int h_metrics(struct http_request *rq);

#endif
