/*
 * http_int: what the HTTP layer's files share and handlers do not see:
 * the transport's per-request state, and the dispatcher's entry points.
 *
 *   http.c      libmicrohttpd: the daemon, the connection, the body, suspend
 *               and resume, the request's log line and metrics
 *   dispatch.c  the order every request follows (routes.h)
 *   request.c   a handler's input; reply.c its output
 *
 * The dispatcher never calls libmicrohttpd: it reads headers and query
 * arguments through the two lookups http.c installs, and leaves its
 * answer in `reply` for http.c to send. So it runs the same in a unit
 * test, with lookups of the test's own.
 */
#ifndef ANKANG_HTTP_INT_H
#define ANKANG_HTTP_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "service/http/request.h"

#define HTTP_MAX_HEADERS 8

/* Where a request stands; the reply guard reads it. */
enum rq_phase {
	PHASE_READING,   /* head and body arriving */
	PHASE_PREPARING, /* authorise, limits, prepare: data may not be answered */
	PHASE_WAITING,   /* submitted to the audit writer */
	PHASE_ANSWERING, /* the leaves are durable, or the route writes none */
	PHASE_REPLIED,
};

/* The answer, built by reply.c, sent by http.c. */
struct http_reply {
	unsigned status; /* 0: none yet */
	const char *content_type;
	const char *cache; /* Cache-Control; NULL: no-store */
	char *body;        /* reply_body_free frees it (wiping), with the request or,
			    * once handed to the transport, after it is sent */
	size_t len;
	const char *hname[HTTP_MAX_HEADERS];
	char hvalue[HTTP_MAX_HEADERS][128];
	size_t nheaders;
	int close; /* close the connection after it */
};

struct http_settings; /* http.h: what the daemon was started with */
struct metrics;

struct http_internal {
	void *conn; /* the transport's connection (struct MHD_Connection) */
	const char *method, *path;
	struct metrics *metrics;
	/* The transport's lookups: a header, a query argument. */
	const char *(*header)(void *conn, const char *name);
	const char *(*query)(void *conn, const char *key);
	enum rq_phase phase;
	size_t route_index; /* n_routes when no route matched */
	size_t body_cap;
	int too_big;
	char *body; /* NUL-terminated, body_len bytes */
	size_t body_len;
	size_t body_room; /* bytes allocated at body */
	uint64_t t0;
	enum api_error error; /* the error answered, for the log line */
	struct http_reply reply;
	/* The operation in flight. */
	atomic_int op_rc;
	uint64_t op_index;
	int parked; /* counted in the server's inflight (http.c) */
};

/* ------------------------------------------------------------ dispatch.c */

/*
 * Once the request's head is in: matches the route (404, 405 with Allow)
 * and checks a declared Content-Length against the route's cap (413).
 * rq->in must be set up (method, path, lookups). A reply may be
 * ready afterwards.
 */
void dispatch_begin(struct request *rq, size_t max_body);

/* What the transport does next. */
enum dispatch_next {
	DISPATCH_REPLY, /* rq->in->reply is ready: send it */
	DISPATCH_SUBMIT /* suspend the connection, then dispatch_submit */
};

/*
 * Once the body is in: authorise, limits, prepare, and either a reply
 * (errors, and routes without an action) or an operation to submit.
 */
enum dispatch_next dispatch_run(struct request *rq);

/*
 * Submits the prepared operation; done(arg, rc, index) is called from the
 * writer's thread once it is durable or failed, after which the transport
 * calls dispatch_resumed. Returns 0, or an AK_E* code when nothing was
 * queued (done will not be called; call dispatch_resumed with that code).
 */
int dispatch_submit(struct request *rq, auditlog_done_fn done, void *arg);

/* After the operation: the answer, or the writer's failure. A reply is
 * ready afterwards. */
void dispatch_resumed(struct request *rq, int rc, uint64_t index);

/* Frees the request's state (wiped), parsed body and reply. */
void dispatch_free(struct request *rq);

/* --------------------------------------------------------------- reply.c */

/* The error e as the reply ({"error", "message"}; WWW-Authenticate on a
 * 401, Allow on a 405 when allow is set, Retry-After on a 429). */
void reply_error(struct request *rq, enum api_error e);

/* Frees (wiping) what the reply holds. */
void reply_free(struct http_reply *r);
/* Frees a reply body the transport took over (its own free callback):
 * wiped, as it may hold a token or a name. */
void reply_body_free(void *body);

/* jansson allocates through a wiping allocator from now on (reply.c). */
void reply_install_allocator(void);

#endif
