/*
 * http: the libmicrohttpd glue (see http.h for the handler contract).
 *
 * Life of a request, in libmicrohttpd's terms: the access callback is
 * called once with no body (we allocate the context and match the route),
 * then once per body chunk (we copy up to the route's cap), then once with
 * an empty chunk (we dispatch). A handler that submits to the audit writer
 * suspends the connection first and then submits; the writer's completion
 * resumes it, which makes libmicrohttpd call the access callback once more,
 * and there we run the handler's continuation. Suspending before
 * submitting matters: the writer may finish before the submit call
 * returns, and a resume must never precede its suspend.
 *
 * The server's threads never wait on the writer, so a few threads carry
 * many requests in flight and the writer gathers them into large batches.
 *
 * Never: log a body, a token, a query string or a client address; echo
 * input in an error message; answer a request that changes state or
 * reveals personal data before its operation's leaves are durable.
 */
#include "service/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common/util.h"
#include "service/metrics.h"
#include "service/server.h"
#include "service/store_people.h"
#include "service/token.h"

#define HTTP_MAX_HEADERS 8
/* Per-connection memory for headers and buffers; larger headers get 431. */
#define HTTP_CONN_MEMORY  (16 * 1024)
#define HTTP_CONN_TIMEOUT 30

enum rq_state {
	RQ_READING,
	RQ_DONE_READING,
	RQ_WAITING,
	RQ_RESUMED,
	RQ_REPLIED
};

struct http_internal {
	struct MHD_Connection *conn;
	enum rq_state state;
	int too_big;
	size_t body_cap;
	size_t route_index; /* n_routes when no route matched */
	unsigned status;
	uint64_t t0;
	/* Headers for the reply being built. */
	const char *hname[HTTP_MAX_HEADERS];
	char hvalue[HTTP_MAX_HEADERS][128];
	size_t nheaders;
	/* The operation in flight. */
	http_then then;
	atomic_int op_rc;
	uint64_t op_index;
};

static atomic_int inflight; /* suspended requests, for the drain at stop */
/* libmicrohttpd keeps pointers to the TLS certificate and key: they live
 * until http_stop. */
static char *tls_cert, *tls_key;

/* ------------------------------------------------- jansson's allocator */

/*
 * jansson copies every string it parses (a passphrase, an ID number) and
 * every reply it builds (a name) into its own allocations. These wrappers
 * remember each block's size and wipe it on free, so personal data does
 * not linger in freed heap. Installed once, before the first request; all
 * memory jansson hands out in this process must then be freed through it
 * (json_decref does; json_dumps text goes to json_free below).
 */
#define WIPE_HDR 16 /* keeps malloc's 16-byte alignment */

static void *wipe_malloc(size_t n)
{
	unsigned char *p = malloc(n + WIPE_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof n);
	return p + WIPE_HDR;
}

static void wipe_free(void *ptr)
{
	unsigned char *p;
	size_t n;

	if (ptr == NULL)
		return;
	p = (unsigned char *)ptr - WIPE_HDR;
	memcpy(&n, p, sizeof n);
	sodium_memzero(ptr, n);
	free(p);
}

static void json_free(char *text)
{
	json_free_t f = NULL;
	json_get_alloc_funcs(NULL, &f);
	(f != NULL ? f : free)(text);
}

/* ------------------------------------------------------------ replies */

void http_header(struct http_request *rq, const char *name, const char *value)
{
	struct http_internal *in = rq->in;
	if (in->nheaders >= HTTP_MAX_HEADERS)
		return;
	in->hname[in->nheaders] = name;
	snprintf(in->hvalue[in->nheaders], sizeof in->hvalue[0], "%s", value);
	in->nheaders++;
}

int http_reply(struct http_request *rq, unsigned status, const char *content_type, const void *data,
	       size_t len)
{
	struct http_internal *in = rq->in;
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (in->state == RQ_REPLIED)
		return 0; /* one answer per request; the first one stands */
	resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return AK_ENOMEM;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	/* Answers may carry personal data: never cached, never sniffed. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < in->nheaders; i++)
		MHD_add_response_header(resp, in->hname[i], in->hvalue[i]);
	ok = MHD_queue_response(in->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return AK_EIO;
	in->status = status;
	in->state = RQ_REPLIED;
	return 0;
}

int http_json(struct http_request *rq, unsigned status, json_t *body)
{
	char *text;
	int rc;

	if (body == NULL)
		return http_error(rq, 500, "internal", "The server failed to build its answer.");
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return http_error(rq, 500, "internal", "The server failed to build its answer.");
	rc = http_reply(rq, status, "application/json", text, strlen(text));
	json_free(text); /* wiped: it may hold a name */
	return rc;
}

int http_error(struct http_request *rq, unsigned status, const char *code, const char *message)
{
	json_t *o = json_pack("{s:s, s:s}", "error", code, "message", message);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (text == NULL)
		return http_reply(rq, status, "application/json", "{\"error\":\"internal\"}", 20);
	rc = http_reply(rq, status, "application/json", text, strlen(text));
	json_free(text);
	return rc;
}

/* ------------------------------------------------------------- input */

json_t *http_json_body(struct http_request *rq, const char *const *allowed)
{
	json_error_t err;
	json_t *o;
	const char *key;
	json_t *val;

	if (rq->body == NULL || rq->body_len == 0) {
		http_error(rq, 400, "bad_json", "The request needs a JSON object as its body.");
		return NULL;
	}
	/* jansson rejects invalid UTF-8, NUL in strings, trailing bytes and
	 * (with the flag) duplicate keys; its depth limit bounds nesting. */
	o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL) {
		http_error(rq, 400, "bad_json", "The body is not valid JSON.");
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(rq, 400, "bad_json", "The body must be a JSON object.");
		return NULL;
	}
	json_object_foreach(o, key, val)
	{
		int known = 0;
		for (size_t i = 0; allowed != NULL && allowed[i] != NULL; i++)
			known |= strcmp(key, allowed[i]) == 0;
		if (!known) {
			json_decref(o);
			http_error(rq, 400, "unknown_field",
				   "The body has a field this endpoint does not take.");
			return NULL;
		}
	}
	return o;
}

static void field_error(struct http_request *rq, const char *key, const char *what)
{
	char msg[160];
	/* The field's name is ours (from the allowed list), never the value. */
	snprintf(msg, sizeof msg, "Field '%s' %s.", key, what);
	http_error(rq, 400, "bad_field", msg);
}

/* The field key of obj into *v: 0; 1 when it is absent and optional; -1,
 * after replying 400, when it is absent and required. */
static int field_get(struct http_request *rq, json_t *obj, const char *key, int required,
		     json_t **v)
{
	if ((*v = json_object_get(obj, key)) != NULL)
		return 0;
	if (!required)
		return 1;
	field_error(rq, key, "is required");
	return -1;
}

int http_field_string(struct http_request *rq, json_t *obj, const char *key, int required,
		      const char **out, size_t *len)
{
	json_t *v;
	int rc = field_get(rq, obj, key, required, &v);

	if (rc != 0)
		return rc;
	if (!json_is_string(v)) {
		field_error(rq, key, "must be a string");
		return -1;
	}
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

int http_field_uint(struct http_request *rq, json_t *obj, const char *key, int required,
		    uint64_t *out)
{
	json_t *v;
	int rc = field_get(rq, obj, key, required, &v);

	if (rc != 0)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		field_error(rq, key, "must be a non-negative integer");
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

const char *http_query(struct http_request *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->in->conn, MHD_GET_ARGUMENT_KIND, key);
}

int http_query_uint(struct http_request *rq, const char *key, uint64_t *out)
{
	const char *v = http_query(rq, key);
	if (v == NULL)
		return 1;
	if (util_parse_u64(v, strlen(v), out) != 0) {
		char msg[120];
		snprintf(msg, sizeof msg, "Query argument '%s' must be a decimal number.", key);
		http_error(rq, 400, "bad_query", msg);
		return -1;
	}
	return 0;
}

int http_param_id(struct http_request *rq, uint64_t *out)
{
	if (util_parse_u64(rq->param, strlen(rq->param), out) != 0 || *out == 0) {
		http_error(rq, 404, "not_found", "No such resource.");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- audit */

void http_leaf_actor(const struct http_request *rq, struct leaf *l)
{
	l->role = rq->who.role;
	if (rq->who.role == ROLE_RESIDENT || rq->who.role == ROLE_SYSTEM || rq->who.anonymous)
		l->actor_id = LEAF_NO_ID;
	else
		l->actor_id = rq->who.account_id;
}

void http_state_wipe(void *state, size_t n)
{
	if (state != NULL) {
		sodium_memzero(state, n);
		free(state);
	}
}

static void op_done(void *arg, int rc, uint64_t index)
{
	struct http_request *rq = arg;
	rq->in->op_index = index;
	atomic_store(&rq->in->op_rc, rc);
	MHD_resume_connection(rq->in->conn);
	atomic_fetch_sub(&inflight, 1);
}

int http_submit(struct http_request *rq, struct leaf *leaves, size_t n, auditlog_change_fn change,
		void *ctx, http_then then)
{
	struct http_internal *in = rq->in;
	int rc;

	if (atomic_load(&rq->srv->stopping))
		return http_error(rq, 503, "unavailable", "The service is shutting down.");
	in->then = then;
	in->state = RQ_WAITING;
	atomic_fetch_add(&inflight, 1);
	MHD_suspend_connection(in->conn);
	rc = auditlog_submit_async(rq->srv->log, leaves, n, change, ctx, op_done, rq);
	if (rc != 0) /* not queued: resume at once and let the continuation see rc */
		op_done(rq, rc, 0);
	return 0;
}

/* ---------------------------------------------------------- dispatch */

/* Matches path against a pattern; a "{...}" segment matches one
 * non-empty segment of at most 47 bytes, copied into param. */
static int route_match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *p = pattern, *s = path;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			size_t n = strcspn(s, "/");
			const char *close = strchr(p, '}');
			if (close == NULL || n == 0 || n >= cap)
				return 0;
			memcpy(param, s, n);
			param[n] = '\0';
			p = close + 1;
			s += n;
			continue;
		}
		if (*p != *s)
			return 0;
		p++, s++;
	}
	return *p == '\0' && *s == '\0';
}

/* Finds the route; with none, *allow lists the methods the path has. */
static const struct http_route *route_find(const struct server *srv, const char *method,
					   const char *path, char *param, size_t cap, size_t *index,
					   char *allow, size_t allow_cap)
{
	allow[0] = '\0';
	for (size_t i = 0; i < srv->n_routes; i++) {
		const struct http_route *r = &srv->routes[i];
		if (!route_match(r->pattern, path, param, cap))
			continue;
		if (strcmp(r->method, method) == 0) {
			*index = i;
			return r;
		}
		if (strstr(allow, r->method) == NULL) {
			size_t used = strlen(allow);
			snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "",
				 r->method);
		}
	}
	*index = srv->n_routes;
	return NULL;
}

static unsigned who_bit(enum leaf_role role)
{
	switch (role) {
	case ROLE_RESIDENT:
		return WHO_RESIDENT;
	case ROLE_VERIFIER:
		return WHO_VERIFIER;
	case ROLE_OFFICER:
		return WHO_OFFICER;
	case ROLE_AUDITOR:
		return WHO_AUDITOR;
	case ROLE_ADMIN:
		return WHO_ADMIN;
	default:
		return 0;
	}
}

/*
 * Resolves the bearer token into rq->who. Returns 0 (anonymous when no
 * Authorization header), or replies 401 and returns -1.
 */
static int authenticate(struct http_request *rq)
{
	const char *h = MHD_lookup_connection_value(rq->in->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	uint8_t hash[32];
	int kind, rc;

	rq->who.anonymous = 1;
	rq->who.role = ROLE_SYSTEM;
	if (h == NULL)
		return 0;
	/* The scheme name is case-insensitive (RFC 9110 11.1). */
	if (strncasecmp(h, "Bearer ", 7) != 0 ||
	    (kind = token_parse(h + 7, strlen(h + 7), hash)) < 0) {
		http_header(rq, "WWW-Authenticate", "Bearer");
		http_error(rq, 401, "bad_token", "The bearer token is malformed.");
		return -1;
	}
	if (rq->db == NULL) {
		http_error(rq, 503, "unavailable", "The database is not available.");
		return -1;
	}
	if (kind == TOKEN_SESSION) {
		uint64_t rid;
		rc = store_session_get(rq->db, hash, util_now(), &rid);
		if (rc == 0) {
			rq->who.anonymous = 0;
			rq->who.role = ROLE_RESIDENT;
			rq->who.resident_id = rid;
			return 0;
		}
	} else {
		struct store_account a;
		rc = store_account_by_token(rq->db, hash, &a);
		if (rc == 0 && !a.disabled) {
			rq->who.anonymous = 0;
			rq->who.role = a.role;
			rq->who.account_id = a.id;
			return 0;
		}
	}
	if (rc != 0 && rc != AK_ENOENT) {
		http_error(rq, 503, "unavailable", "The database is not available.");
		return -1;
	}
	http_header(rq, "WWW-Authenticate", "Bearer");
	http_error(rq, 401, "bad_token", "The bearer token is unknown, expired or disabled.");
	return -1;
}

static int authorise(struct http_request *rq)
{
	unsigned who = rq->route->who;

	if (who & WHO_ANYONE)
		return 0;
	if (rq->who.anonymous) {
		http_header(rq, "WWW-Authenticate", "Bearer");
		http_error(rq, 401, "no_token", "This endpoint needs a bearer token.");
		return -1;
	}
	if ((who & who_bit(rq->who.role)) == 0) {
		http_error(rq, 403, "wrong_role", "Your role may not use this endpoint.");
		return -1;
	}
	return 0;
}

static int content_type_ok(struct http_request *rq)
{
	const char *ct = MHD_lookup_connection_value(rq->in->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");
	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void dispatch(struct http_request *rq)
{
	int rc;

	if (rq->in->too_big) {
		http_error(rq, 413, "too_large", "The request body is larger than allowed.");
		return;
	}
	if (rq->body_len > 0 && !content_type_ok(rq)) {
		http_error(rq, 415, "unsupported_media_type",
			   "Send the body as Content-Type: application/json.");
		return;
	}
	rq->db = server_reader(rq->srv);
	if (authenticate(rq) != 0 || authorise(rq) != 0)
		return;
	rc = rq->route->handler(rq);
	if (rc != 0 && rq->in->state != RQ_REPLIED && rq->in->state != RQ_WAITING)
		http_error(rq, 500, "internal", "The server failed; the failure is logged.");
}

static void reply_not_routed(struct http_request *rq, const char *allow)
{
	if (allow[0] != '\0') {
		http_header(rq, MHD_HTTP_HEADER_ALLOW, allow);
		http_error(rq, 405, "method_not_allowed", "This path does not take that method.");
	} else {
		http_error(rq, 404, "not_found", "No such resource.");
	}
}

static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, cap, "?");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)cap);
}

static struct http_request *request_new(struct server *srv, struct MHD_Connection *conn,
					const char *method, const char *url)
{
	struct http_request *rq = calloc(1, sizeof *rq);
	struct http_internal *in = calloc(1, sizeof *in);
	char allow[64];
	const char *cl;

	if (rq == NULL || in == NULL) {
		free(rq);
		free(in);
		return NULL;
	}
	rq->in = in;
	rq->srv = srv;
	rq->method = method;
	rq->path = url;
	in->conn = conn;
	in->t0 = util_mono_ns();
	in->state = RQ_READING;
	client_address(conn, rq->client, sizeof rq->client);
	rq->route = route_find(srv, method, url, rq->param, sizeof rq->param, &in->route_index,
			       allow, sizeof allow);
	if (rq->route == NULL) {
		reply_not_routed(rq, allow);
		return rq;
	}
	in->body_cap =
	    rq->route->max_body < srv->cfg.max_body ? rq->route->max_body : srv->cfg.max_body;
	/* Refuse a declared oversize body before reading any of it. */
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		uint64_t n;
		if (util_parse_u64(cl, strlen(cl), &n) == 0 && n > in->body_cap)
			http_error(rq, 413, "too_large",
				   "The request body is larger than allowed.");
	}
	return rq;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct http_request *rq = *con_cls;
	(void)version;

	if (rq == NULL) {
		if ((rq = request_new(srv, conn, method, url)) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		struct http_internal *in = rq->in;
		size_t n = *upload_size;
		*upload_size = 0;
		if (in->state == RQ_REPLIED || in->too_big)
			return MHD_YES; /* discard */
		if (rq->body_len + n > in->body_cap) {
			in->too_big = 1;
			return MHD_YES;
		}
		char *grown = realloc(rq->body, rq->body_len + n + 1);
		if (grown == NULL)
			return MHD_NO;
		rq->body = grown;
		memcpy(rq->body + rq->body_len, upload_data, n);
		rq->body_len += n;
		rq->body[rq->body_len] = '\0';
		return MHD_YES;
	}
	switch (rq->in->state) {
	case RQ_READING:
		rq->in->state = RQ_DONE_READING;
		dispatch(rq);
		break;
	case RQ_WAITING: {
		int rc = atomic_load(&rq->in->op_rc);
		rq->in->state = RQ_RESUMED;
		if (rq->in->then(rq, rc, rq->in->op_index) != 0 || rq->in->state != RQ_REPLIED)
			http_error(rq, 500, "internal",
				   "The server failed; the failure is logged.");
		break;
	}
	default:
		break;
	}
	if (rq->in->state != RQ_REPLIED && rq->in->state != RQ_WAITING)
		http_error(rq, 500, "internal", "The server failed; the failure is logged.");
	return MHD_YES;
}

/* The method as the request log shows it: the route's when one matched,
 * else a standard method word, else "?". A method the route table does not
 * know is whatever the client sent, and the log holds no request data.
 * (Added by the test helper; found by tests/sh/service_badinput.sh.) */
static const char *log_method(const struct http_request *rq)
{
	static const char *const known[] = {"GET",     "HEAD",  "POST",    "PUT",  "DELETE",
					    "OPTIONS", "PATCH", "CONNECT", "TRACE"};

	if (rq->route != NULL)
		return rq->route->method;
	for (size_t i = 0; i < AK_ARRAY_LEN(known); i++)
		if (strcmp(rq->method, known[i]) == 0)
			return known[i];
	return "?";
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct http_request *rq = *con_cls;
	uint64_t ns;
	(void)conn;
	(void)toe;

	if (rq == NULL)
		return;
	ns = util_mono_ns() - rq->in->t0;
	metrics_request(srv->metrics, rq->in->route_index, rq->in->status, ns);
	if (!srv->cfg.quiet) {
		/* Method, route pattern (not the path: it may hold an id), status,
		 * time. Never the body, query, token or client address. */
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s %s %u %.3fms\n", stamp, log_method(rq),
			rq->route ? rq->route->pattern : "-", rq->in->status, (double)ns / 1e6);
	}
	if (rq->state_free != NULL)
		rq->state_free(rq->state);
	if (rq->body != NULL) {
		sodium_memzero(rq->body, rq->body_len); /* may hold a passphrase */
		free(rq->body);
	}
	free(rq->in);
	free(rq);
	*con_cls = NULL;
}

/* libmicrohttpd's own complaints (malformed requests, TLS failures): they
 * never include bodies, but may include a client's header line, so only
 * their first words reach the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[120];
	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	fprintf(stderr, "libmicrohttpd: %.60s\n", line);
}

/* ------------------------------------------------------ start and stop */

static void tls_free(void)
{
	free(tls_cert);
	if (tls_key != NULL)
		sodium_free(tls_key);
	tls_cert = tls_key = NULL;
}

int http_start(struct server *srv, unsigned *port)
{
	struct sockaddr_in sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	size_t len;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	int rc;

	json_set_alloc_funcs(wipe_malloc, wipe_free);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)srv->cfg.listen_port);
	if (inet_pton(AF_INET, srv->cfg.listen_host, &sa.sin_addr) != 1)
		return AK_EINVAL;
	if (srv->cfg.tls_cert != NULL) {
		if ((rc = util_read_file(srv->cfg.tls_cert, 1 << 20, &tls_cert, &len)) != 0)
			return rc;
		if ((rc = util_read_secret_file(srv->cfg.tls_key, 1 << 20, &tls_key, &len)) != 0) {
			free(tls_cert);
			tls_cert = NULL;
			return rc;
		}
		flags |= MHD_USE_TLS;
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
			     on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONN_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
			     tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls_cert,
			     MHD_OPTION_HTTPS_MEM_KEY, tls_key, MHD_OPTION_END);
	if (d == NULL) {
		tls_free();
		return AK_EIO;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	srv->mhd = d;
	srv->port = info ? info->port : srv->cfg.listen_port;
	if (port != NULL)
		*port = srv->port;
	return 0;
}

void http_stop(struct server *srv)
{
	struct MHD_Daemon *d = srv->mhd;
	MHD_socket fd;

	if (d == NULL)
		return;
	atomic_store(&srv->stopping, 1);
	fd = MHD_quiesce_daemon(d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* Requests already waiting on the writer finish: their leaves are
	 * durable or failed, and their callers get an answer. Bounded. */
	for (int i = 0; i < 1000 && atomic_load(&inflight) > 0; i++)
		usleep(10000);
	MHD_stop_daemon(d);
	srv->mhd = NULL;
	tls_free();
}
