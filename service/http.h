/*
 * http: ankangd's HTTP layer on libmicrohttpd: one route table, one
 * request context, one error function, and the bridge that lets a handler
 * wait for the audit writer without holding a server thread.
 *
 * Every handler follows the same order (STYLE.md):
 *
 *   parse -> authorise -> validate -> act (through the audit writer) -> reply
 *
 * The dispatcher does the first two: it matches the route (404, or 405
 * with Allow), reads the body up to the route's cap (413), checks the
 * content type of a body (415), resolves the bearer token (401) and checks
 * the caller's role against the route's (403). The handler then validates
 * its input, and either replies at once (reads of public data) or submits
 * an operation with http_submit: the connection is suspended, the writer
 * commits the operation and its audit leaves, and only then is the
 * handler's continuation called to build the answer. So nothing that reads
 * personal data or changes state is answered before its leaf is durable.
 *
 * Error replies all go through http_error: {"error": code, "message":
 * text}, where code is a stable word from the table in http.c and text is
 * plain English that never contains personal data or echoes input.
 */
#ifndef ANKANG_HTTP_H
#define ANKANG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "log/store.h"

struct server;
struct http_request;

/* Who may call a route: a set of these bits. */
enum {
	WHO_ANYONE = 1 << 0, /* no token needed (a token, if sent, is still checked) */
	WHO_RESIDENT = 1 << 1,
	WHO_VERIFIER = 1 << 2,
	WHO_OFFICER = 1 << 3,
	WHO_AUDITOR = 1 << 4,
	WHO_ADMIN = 1 << 5,
};

/* Handlers return 0 once they have replied or submitted, or a negative
 * AK_E* code for an internal failure (the dispatcher answers 500). */
typedef int (*http_handler)(struct http_request *rq);

/* Called after an operation submitted with http_submit is durable or has
 * failed (rc), with the log index of its first leaf. It must reply. */
typedef int (*http_then)(struct http_request *rq, int rc, uint64_t index);

struct http_route {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *pattern; /* "/v1/residents/{id}/status": {id} is one segment */
	unsigned who;        /* WHO_* bits */
	http_handler handler;
	size_t max_body; /* 0: no body accepted */
};

/* The caller, as the token says. */
struct http_caller {
	enum leaf_role role; /* ROLE_SYSTEM when anonymous */
	int anonymous;
	uint64_t account_id;  /* accounts (verifier, officer, auditor, admin) */
	uint64_t resident_id; /* resident sessions */
};

struct http_request {
	struct server *srv;
	const struct http_route *route;
	const char *method;
	const char *path;
	char param[48]; /* the {id} segment of the path, if the pattern has one */
	char *body;     /* NUL-terminated, body_len bytes; NULL when none */
	size_t body_len;
	struct http_caller who;
	char client[64]; /* the peer address, for rate limits; never logged */
	store *db;       /* this thread's read connection */

	/* Handler's own state across http_submit, freed with the request. */
	void *state;
	void (*state_free)(void *state);

	/* Internal to http.c. */
	struct http_internal *in;
};

/* Starts the daemon on cfg's address with the server's route table.
 * Returns 0 and the bound port (useful with port 0), or an AK_E* code. */
int http_start(struct server *srv, unsigned *port);
/* Stops accepting, waits for suspended requests to finish, stops. */
void http_stop(struct server *srv);

/* ----------------------------------------------------------- replies */

/* {"error": code, "message": message} with status. Returns 0. */
int http_error(struct http_request *rq, unsigned status, const char *code, const char *message);
/* A JSON reply; takes ownership of body. Returns 0 (or 500 on failure). */
int http_json(struct http_request *rq, unsigned status, json_t *body);
/* Any other body; data is copied. */
int http_reply(struct http_request *rq, unsigned status, const char *content_type, const void *data,
	       size_t len);
/* Adds a header to the reply about to be queued (before http_json/_reply). */
void http_header(struct http_request *rq, const char *name, const char *value);

/* ------------------------------------------------------------ input */

/*
 * The body as a JSON object, strictly: valid UTF-8, no duplicate keys, no
 * trailing bytes, an object at the top, and no key outside allowed (a
 * NULL-terminated list). On failure it has already replied 400 and
 * returns NULL. The caller owns the result.
 */
json_t *http_json_body(struct http_request *rq, const char *const *allowed);

/*
 * Field helpers for http_json_body's object. Each replies 400 naming the
 * field (never its value) and returns -1 on a missing or mistyped field;
 * 0 on success; 1 for an optional field that is absent.
 */
int http_field_string(struct http_request *rq, json_t *obj, const char *key, int required,
		      const char **out, size_t *len);
int http_field_uint(struct http_request *rq, json_t *obj, const char *key, int required,
		    uint64_t *out);

/* A query-string argument, or NULL. */
const char *http_query(struct http_request *rq, const char *key);
/* A query argument as a canonical decimal; 1 if absent, -1 (replied 400) if bad. */
int http_query_uint(struct http_request *rq, const char *key, uint64_t *out);
/* The {id} path segment as a canonical decimal; -1 (replied 404) if bad. */
int http_param_id(struct http_request *rq, uint64_t *out);

/* ------------------------------------------------------------- audit */

/*
 * Submits an operation (a change and its leaves, see auditlog_submit) and
 * suspends the connection; `then` is called on a server thread once the
 * operation is durable or failed. leaves and ctx must live in rq->state
 * (or be static) until then. A leaf's actor is not filled in: set it with
 * http_leaf_actor. Returns 0; on an immediate failure it has replied.
 */
int http_submit(struct http_request *rq, struct leaf *leaves, size_t n, auditlog_change_fn change,
		void *ctx, http_then then);

/* Fills a leaf's role and actor id from the caller (residents act as "-"). */
void http_leaf_actor(const struct http_request *rq, struct leaf *l);

/*
 * For the state_free of a state that held personal data or a secret:
 * wipes the n bytes at state (sodium_memzero), then frees it. NULL is a
 * no-op.
 */
void http_state_wipe(void *state, size_t n);

#endif
