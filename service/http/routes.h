/*
 * routes: the route table, the one place that says, for every endpoint,
 * its method and path, who may call it, how large its body may be, which
 * rate-limit rule it is under, what it touches, and the audit action its
 * leaf records. The dispatcher (dispatch.c) owns the order every request
 * follows:
 *
 *   parse -> authorise (authz.c) -> limits (limits.c) -> prepare (reads)
 *     -> submit the leaf and the change to the audit writer -> COMMIT
 *     -> resume -> answer
 *
 * A route with an action cannot answer with data before its leaf is
 * durable: the reply functions refuse (request.h). A route without one
 * (action ACT_NONE) says why in its `data`: it reads only what is public,
 * only the log (which holds no personal data), or only the service's own
 * figures. tests/unit/test_routes.c walks this table: every route that
 * reads personal data or changes state has an action.
 *
 * One file per resource holds the handlers:
 *
 *   h_enroll.c     POST /v1/enroll
 *   h_session.c    POST /v1/login, DELETE /v1/session, DELETE /v1/sessions,
 *                  GET /v1/me/sessions
 *   h_me.c         GET /v1/me/code(.png|.svg), /v1/me/accesses, /v1/me/history,
 *                  DELETE /v1/me
 *   h_residents.c  PUT /v1/residents/{handle}/status,
 *                  POST /v1/residents/{handle}/paper-code, POST /v1/lookup
 *   h_verify.c     POST /v1/verify, POST /v1/scans
 *   h_lists.c      GET /v1/keys, GET /v1/trust, GET /v1/revocations
 *   h_audit.c      GET /v1/audit/checkpoint, /entries, /proof/inclusion,
 *                  /proof/consistency
 *   h_audit_report.c  GET /v1/audit/report
 *   h_health.c     GET /healthz, GET /metrics
 *   h_household.c  /v1/me/household..., /v1/me/guardians...,
 *                  /v1/household/pending, /v1/household/{link}/confirm
 *   h_web.c        GET /, /check, /audit, /officer, /assets/{file}: the pages (web.h)
 *   h_appeals.c    POST/GET /v1/me/appeals, GET /v1/appeals,
 *                  GET /v1/appeals/{appeal}, POST /v1/appeals/{appeal}/answer
 *   h_export.c     GET /v1/me/export (its sections: export.h)
 *   h_officer.c    GET /v1/officer/actions
 *   h_tiles.c      GET /log/checkpoint, /log/tile/{tile*}, /log/tile/entries/{bundle*}:
 *                  the log as C2SP tlog-tiles ({name*} matches the rest of the path)
 */
#ifndef ANKANG_ROUTES_H
#define ANKANG_ROUTES_H

#include <stddef.h>

#include "crypto/leaf.h"
#include "service/api_error.h"
#include "service/authz.h"
#include "service/limits.h"

struct request;

/* What a route touches: why it may, or must, write a leaf. */
enum route_data {
	DATA_NONE,     /* never valid: a row must say */
	DATA_PUBLIC,   /* public material (signed lists, liveness) */
	DATA_LOG,      /* the audit log, which holds no personal data */
	DATA_OPS,      /* the service's own figures (metrics) */
	DATA_PERSONAL, /* a resident's data: needs an action */
	DATA_STATE,    /* changes state: needs an action */
};

/*
 * prepare: parses and validates the request, reads what the answer needs
 * (the thread's read connection), and fills in the leaves and the change
 * to submit (struct request's op). Returns API_OK to go on, or the error
 * to answer at once; an error answered before the leaf carries no data.
 * answer: called once the operation is durable (or at once, for a route
 * without an action), with the log index of its first leaf; replies with
 * reply_* and returns API_OK, or returns the error to answer.
 */
typedef enum api_error (*route_prepare_fn)(struct request *rq);
typedef enum api_error (*route_answer_fn)(struct request *rq, uint64_t index);

/* A handler: its two steps and its per-request state, zeroed before
 * prepare, wiped (sodium_memzero) and freed with the request; state_free,
 * if any, first releases what the state points to. */
struct route_handler {
	route_prepare_fn prepare; /* NULL: nothing to prepare */
	route_answer_fn answer;
	size_t state_size;
	void (*state_free)(void *state);
	/* NULL, or what the handler will read anyway, to be read with the
	 * caller's token (authz_ahead): called with the state allocated,
	 * before the caller is identified; returns the request, kept in
	 * the state, or NULL. It may look at the body, and nothing else:
	 * what it found is used only once prepare runs. */
	struct authz_ahead *(*ahead)(struct request *rq);
};

struct route {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *pattern; /* "/v1/residents/{handle}/status": {...} is one segment,
			      * {...*} at the end the rest of the path */
	unsigned who;        /* WHO_* (authz.h) */
	size_t max_body;     /* 0: no body accepted */
	enum limit_rule limit;
	enum route_data data;
	enum leaf_action action; /* ACT_NONE: answers without a leaf (see data) */
	const struct route_handler *h;
};

extern const struct route routes[];
extern const size_t n_routes;

extern const struct route_handler h_enroll, h_login, h_logout, h_logout_all, h_sessions, h_me_code,
    h_me_code_png, h_me_code_svg, h_me_accesses, h_me_history, h_me_erase, h_status, h_paper_code,
    h_lookup, h_verify, h_scans, h_keys, h_trust, h_revocations, h_audit_checkpoint,
    h_audit_entries, h_audit_report, h_audit_inclusion, h_audit_consistency, h_healthz, h_metrics,
    h_page, h_asset, h_me_export, h_officer_actions;
extern const struct route_handler h_me_appeal_open, h_me_appeals, h_appeals, h_appeal,
    h_appeal_answer;
/* h_household.c */
extern const struct route_handler h_household_add, h_household_list, h_household_code,
    h_household_code_png, h_household_code_svg, h_household_accesses, h_household_remove,
    h_guardians, h_guardian_withdraw, h_household_pending, h_household_confirm;
/* h_tiles.c */
extern const struct route_handler h_log_checkpoint, h_log_tile, h_log_entries;

#endif
