/*
 * request: what a handler sees of one HTTP request, and all it may do with
 * it: read its input (the path's parameter, the query, the JSON body),
 * build the audit operation the dispatcher submits, and, once the
 * operation is durable, reply.
 *
 * The reply functions are guarded: they answer only in the answer step,
 * that is after the request's leaves are durable (or, for a route with
 * no action, at once). Called any earlier, they break the promise that
 * nothing is answered before its leaf; in a build with assertions that
 * is an assert, otherwise the request is answered 500 with no data from
 * the handler and the fault is logged. Errors are not replies: a handler
 * returns an api_error, and the dispatcher answers it from the table,
 * which holds no data.
 */
#ifndef ANKANG_REQUEST_H
#define ANKANG_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "service/api_error.h"
#include "service/app.h"
#include "service/authz.h"
#include "service/http/routes.h"

#define REQUEST_PARAM_MAX 48

/*
 * A change the writer runs inside the operation's transaction (see
 * auditlog_change_fn): state is the request's state; first is the log
 * index of the operation's first leaf.
 */
typedef int (*request_change_fn)(void *state, store *w, struct leaf *leaves, size_t n,
				 uint64_t first);

/* The audit operation a handler's prepare builds. */
struct request_op {
	struct leaf *leaves;      /* &rq->leaf unless prepare points elsewhere */
	size_t n;                 /* 1 unless prepare says otherwise; 0: nothing to record */
	request_change_fn change; /* NULL: the leaves alone */
	/* NULL, or the change of many requests' operations at once, done by
	 * the writer instead of each one's change when it can
	 * (auditlog_group_fn; ctx[i] is the i-th struct request *). */
	auditlog_group_fn group;
	unsigned flags; /* auditlog_submit_flags: AUDITLOG_WIPE for an erasure */
	int wipe_owed;  /* set by the dispatcher: the operation committed, but
			 * the wipe AUDITLOG_WIPE asked for is not done yet */
};

struct request {
	app *app;
	const struct route *route;
	char param[REQUEST_PARAM_MAX]; /* the {...} segment of the path */
	json_t *json;                  /* the parsed body (request_json), freed with the request */
	struct caller who;
	char client[64];  /* the peer address, for rate limits; never logged */
	store *db;        /* this thread's read connection */
	uint64_t now;     /* the request's time, unix seconds */
	void *state;      /* the route's state: zeroed, wiped and freed with the request */
	struct leaf leaf; /* authz_leaf(who, route's action): the first leaf */
	struct request_op op;
	const char *error_arg;    /* names the field or argument an error is about */
	uint64_t retry_after;     /* for a 429 */
	struct http_internal *in; /* the transport's own */
};

/* --------------------------------------------------------------- input */

/*
 * The body as a JSON object, strictly: valid UTF-8, no duplicate keys, no
 * trailing bytes, an object at the top, and no key outside allowed (a
 * NULL-terminated list). Into rq->json. API_OK or the error to answer.
 */
enum api_error request_json(struct request *rq, const char *const *allowed);

/*
 * A field of rq->json. A missing optional field gives API_OK with *out
 * NULL (string) or *present 0 (number); errors name the field (never its
 * value) through rq->error_arg.
 */
enum api_error request_string(struct request *rq, const char *key, int required, const char **out,
			      size_t *len);
enum api_error request_uint(struct request *rq, const char *key, int required, uint64_t *out,
			    int *present);

/*
 * The body as {"key": string} and nothing else, the string into *out
 * (*len bytes, not NUL-terminated: it may point into the body). What
 * request_json(allowed: key) and then request_string(key, required)
 * answer, errors included; the body a client sends most often, exactly
 * {"key":"..."} with printable ASCII and no escape in the string, is read
 * as it is, without building a JSON tree (POST /v1/verify: a
 * credential's characters are all such).
 */
enum api_error request_string_only(struct request *rq, const char *key, const char **out,
				   size_t *len);

/* A query-string argument, or NULL. */
const char *request_query(struct request *rq, const char *key);
/* A query argument as a canonical decimal: API_OK with *present 0 when
 * absent, API_QUERY_NOT_NUMBER when malformed. */
enum api_error request_query_uint(struct request *rq, const char *key, uint64_t *out, int *present);

/* A resident handle in the path ("res_" and 32 lowercase hex digits):
 * API_OK or API_NO_RESIDENT (a malformed one is no one). */
enum api_error request_handle(struct request *rq, uint8_t out[16]);

/* ----------------------------------------------------------------- reply */

/* Adds a header to the reply about to be made (at most a few). */
void reply_header(struct request *rq, const char *name, const char *value);
/* The reply may be cached as cache says (a static string), where every
 * other answer is no-store: for the pages' files (h_web.c), never for an
 * answer that carries anyone's data. */
void reply_cache(struct request *rq, const char *cache);
/* A JSON reply; takes body (wiped on free, like all of jansson's memory). */
enum api_error reply_json(struct request *rq, unsigned status, json_t *body);
/* Any other body; data is copied. */
enum api_error reply_bytes(struct request *rq, unsigned status, const char *content_type,
			   const void *data, size_t len);
/* 200 {key: list, "log_index": index}; list stays the caller's. */
enum api_error reply_list(struct request *rq, const char *key, json_t *list, uint64_t index);

/* ---------------------------------------------------------- a few helpers */

/* The leaf's subject: the pseudonym of resident resident_id. */
void request_subject(struct request *rq, uint64_t resident_id);

/* The state of a handler that answers one JSON list (reply_list), and its
 * state_free. */
struct request_list_st {
	json_t *list;
};
void request_list_free(void *state);

/* The text form of a resident handle ("res_" + 32 hex digits, NUL). */
#define REQUEST_HANDLE_TEXT 37
void request_handle_text(char out[REQUEST_HANDLE_TEXT], const uint8_t handle[16]);

/* The service's own failure, logged with its cause (oplog_fault): returns
 * e (API_UNAVAILABLE or API_INTERNAL) for the handler to return; but
 * API_UNAVAILABLE for API_INTERNAL when rc is AK_EDB (the database
 * failing is a 503, whatever the step). */
enum api_error request_fault(struct request *rq, enum api_error e, const char *doing, int rc);
/* The same with the cause's detail given (the audit writer's, which the
 * request's own read connection does not know). */
enum api_error request_fault_detail(struct request *rq, enum api_error e, const char *doing, int rc,
				    const char *detail);

#endif
