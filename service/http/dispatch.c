/*
 * dispatch: the order every request follows (routes.h), owned here and not
 * by the handlers:
 *
 *   head:  route (404, 405 with Allow), a declared body over the cap (413)
 *   body:  the cap (413), the content type (415), the caller (authz.c:
 *          401), the route's who (403), the route's rate limit (limits.c:
 *          429), then the handler's prepare, on the thread's read
 *          connection, which reads and fills in the operation;
 *   then:  a route with an action submits its operation to the audit
 *          writer and waits (the transport suspends the connection); once
 *          the operation is durable the handler's answer replies. A route
 *          without an action answers at once.
 *
 * Every error, wherever it arises, is answered from the table
 * (api_error.h) by reply_error; the service's own failures are logged with
 * their cause. The reply functions refuse data before the answer step
 * (reply.c); phase says where a request stands.
 *
 * The change the writer runs for a request is the handler's, preceded by
 * one thing every resident request shares: the session's last use,
 * written at most once a minute (STORE_SESSION_TOUCH_S) and only with an
 * operation the request makes anyway.
 *
 * Never: run a handler for a caller authz refused; submit an operation of
 * a route without an action; answer an audited route's data before its
 * operation's COMMIT returned.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/http.h"
#include "service/http/http_int.h"
#include "service/oplog.h"
#include "service/store_people.h"

/* ------------------------------------------------------------ routing */

/* Matches path against a pattern; a "{...}" segment matches one
 * non-empty segment of fewer than cap bytes, copied into param; a
 * "{...*}" at the pattern's end matches the rest of the path, slashes
 * and all (the tlog-tiles paths, h_tiles.c), under the same cap. */
static int route_match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *p = pattern, *s = path;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			int rest = close != NULL && close > p + 1 && close[-1] == '*';
			size_t n = rest ? strlen(s) : strcspn(s, "/");
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

/* The route for method and path; with none, *allow lists the methods the
 * path has (empty when it has none). */
static const struct route *route_find(const char *method, const char *path, char *param, size_t cap,
				      size_t *index, char *allow, size_t allow_cap)
{
	allow[0] = '\0';
	for (size_t i = 0; i < n_routes; i++) {
		const struct route *r = &routes[i];
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
	*index = n_routes;
	return NULL;
}

void dispatch_begin(struct request *rq, size_t max_body)
{
	struct http_internal *in = rq->in;
	const char *cl;
	char allow[64];

	in->phase = PHASE_READING;
	rq->route = route_find(in->method, in->path, rq->param, sizeof rq->param, &in->route_index,
			       allow, sizeof allow);
	if (rq->route == NULL) {
		if (allow[0] != '\0')
			reply_header(rq, "Allow", allow);
		reply_error(rq, allow[0] != '\0' ? API_METHOD : API_NO_ROUTE);
		return;
	}
	in->body_cap = rq->route->max_body < max_body ? rq->route->max_body : max_body;
	/* A declared oversize body is refused before any of it is read. */
	cl = in->header(in->conn, "Content-Length");
	if (cl != NULL) {
		uint64_t n;
		if (util_parse_u64(cl, strlen(cl), &n) == 0 && n > in->body_cap) {
			in->reply.close = 1;
			reply_error(rq, API_TOO_LARGE);
		}
	}
}

/* ---------------------------------------------------------- the order */

static int content_type_ok(struct request *rq)
{
	const char *ct = rq->in->header(rq->in->conn, "Content-Type");
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* A reply is ready: the error e. */
static enum dispatch_next refuse(struct request *rq, enum api_error e)
{
	reply_error(rq, e);
	return DISPATCH_REPLY;
}

/* Gives back what the route's limit counted for a request it admitted
 * that will not be recorded. */
static void give_back(struct request *rq)
{
	limits_refund(app_limits(rq->app), rq->route->limit, &rq->who, rq->client);
}

/* An admitted request refused after all: the count back, and e. */
static enum dispatch_next refund(struct request *rq, enum api_error e)
{
	give_back(rq);
	return refuse(rq, e);
}

/* The answer step: the leaves are durable, or the route writes none. */
static void answer(struct request *rq, uint64_t index)
{
	enum api_error e;

	rq->in->phase = PHASE_ANSWERING;
	e = rq->route->h->answer(rq, index);
	if (e != API_OK)
		reply_error(rq, e);
	else if (rq->in->reply.status == 0)
		reply_error(rq, request_fault(rq, API_INTERNAL, "answering", AK_EINVAL));
}

/* The caller (authz.c: 401), the route's who (403), its rate limit
 * (limits.c: 429), then the handler's prepare. API_OK or the error to
 * answer. The handler's state comes first, for what it reads with the
 * caller's token (route_handler's ahead). */
static enum api_error identify_and_prepare(struct request *rq)
{
	const struct route *r = rq->route;
	const struct app_config *cfg = app_config(rq->app);
	struct http_internal *in = rq->in;
	struct authz_ahead *ahead = NULL;
	enum api_error e;

	if (r->h->state_size > 0 && (rq->state = calloc(1, r->h->state_size)) == NULL)
		return request_fault(rq, API_INTERNAL, "allocating", AK_ENOMEM);
	if (rq->state != NULL && r->h->ahead != NULL)
		ahead = r->h->ahead(rq);
	e = authz_identify_ahead(rq->db, in->header(in->conn, "Authorization"), rq->now, &rq->who,
				 ahead);
	if (e == API_UNAVAILABLE)
		e = request_fault(rq, e, "looking up a token", AK_EDB);
	if (e == API_OK)
		e = authz_allows(r->who, &rq->who, &cfg->authz);
	if (e == API_OK)
		e = limits_admit(app_limits(rq->app), r->limit, &rq->who, rq->client, rq->now,
				 &rq->retry_after);
	if (e != API_OK)
		return e;

	/* From here the route's limit has counted this request: it gives the
	 * count back unless the request is recorded (refused as invalid, or
	 * a bulk upload with nothing new). */
	if (r->action != ACT_NONE) {
		authz_leaf(&rq->who, r->action, &rq->leaf);
		rq->op.leaves = &rq->leaf;
		rq->op.n = 1;
	}
	if (r->h->prepare != NULL)
		e = r->h->prepare(rq);
	if (e != API_OK)
		give_back(rq);
	return e;
}

enum dispatch_next dispatch_run(struct request *rq)
{
	const struct route *r = rq->route;
	struct http_internal *in = rq->in;
	enum api_error e;
	int began, rc;

	in->phase = PHASE_PREPARING;
	rq->now = util_now();
	if (in->too_big)
		return refuse(rq, API_TOO_LARGE);
	if (in->body_len > 0 && !content_type_ok(rq))
		return refuse(rq, API_MEDIA_TYPE);
	if (r->action != ACT_NONE && app_stopping(rq->app))
		return refuse(rq, API_STOPPING);
	if ((rq->db = app_reader(rq->app)) == NULL)
		return refuse(
		    rq, request_fault(rq, API_UNAVAILABLE, "opening a read connection", AK_EDB));

	/* On SQLite the caller's and prepare's reads share one snapshot: one
	 * read transaction, where each statement alone would begin and end
	 * its own (a WAL read lock and a look at the WAL's index each). On
	 * PostgreSQL each reads its own (store_begin_reads): the
	 * transaction's BEGIN and COMMIT would be two statements more. A
	 * request with neither reads nothing here (/healthz). */
	began = (r->h->prepare != NULL || in->header(in->conn, "Authorization") != NULL) &&
		store_begin_reads(rq->db) == 0;
	e = identify_and_prepare(rq);
	if (began && store_commit(rq->db) != 0)
		store_rollback(rq->db);
	/* A refusal writes no leaf, and may come of rows another
	 * front-end's batch committed and has not flushed yet (a session
	 * its logout ended): it is answered once they are durable
	 * (store_durable; nothing to wait for on SQLite). */
	if (e != API_OK &&
	    (r->h->prepare != NULL || in->header(in->conn, "Authorization") != NULL) &&
	    (rc = store_durable(rq->db)) != 0)
		e = request_fault(rq, API_UNAVAILABLE, "waiting for the database's flush", rc);
	if (e != API_OK)
		return refuse(rq, e);

	if (r->action == ACT_NONE || rq->op.n == 0) {
		/* Nothing to record. An audited route may say so only when its
		 * answer reveals nothing about anyone (an upload of scans all
		 * seen before): never one that reads personal data. */
		assert(r->action == ACT_NONE || r->data != DATA_PERSONAL);
		if (r->action != ACT_NONE && r->data == DATA_PERSONAL)
			return refund(
			    rq, request_fault(rq, API_INTERNAL, "skipping a leaf", AK_EDENIED));
		give_back(rq);
		answer(rq, 0);
		return DISPATCH_REPLY;
	}
	in->phase = PHASE_WAITING;
	return DISPATCH_SUBMIT;
}

/* ---------------------------------------------------------- the writer */

/* A resident's session is due its last-use mark. */
static int touch_due(const struct request *rq)
{
	return rq->who.role == ROLE_RESIDENT &&
	       rq->now >= rq->who.session_used + STORE_SESSION_TOUCH_S;
}

/* The operation's change, in the writer's transaction. */
static int change(void *ctx, store *w, struct leaf *leaves, size_t n, uint64_t first)
{
	struct request *rq = ctx;
	int rc;

	if (touch_due(rq) && (rc = store_session_touch(w, rq->who.session, rq->now)) != 0)
		return rc;
	if (rq->op.change == NULL)
		return 0;
	return rq->op.change(rq->state, w, leaves, n, first);
}

static int needs_change(const struct request *rq)
{
	return rq->op.change != NULL || touch_due(rq);
}

int dispatch_submit(struct request *rq, auditlog_done_fn done, void *arg)
{
	assert(rq->in->phase == PHASE_WAITING && rq->route->action != ACT_NONE);
	/* A client's request may be shed when the writer is behind (503
	 * overloaded): the service's own operations never are. The group
	 * does the handler's change alone: not a session's touch. */
	return auditlog_submit_async_group(
	    app_log(rq->app), rq->op.leaves, rq->op.n, needs_change(rq) ? change : NULL,
	    touch_due(rq) ? NULL : rq->op.group, rq, rq->op.flags | AUDITLOG_SHED, done, arg);
}

void dispatch_resumed(struct request *rq, int rc, uint64_t index)
{
	enum api_error e;

	if (rc == AK_EPENDING) {
		/* Committed, its leaf durable, the wipe still owed: the
		 * handler answers (and refuses), as it knows what the commit
		 * changed. */
		rq->op.wipe_owed = 1;
		answer(rq, index);
		return;
	}
	if (rc != 0) {
		rq->in->phase = PHASE_ANSWERING;
		e = api_error_of_writer(rc);
		/* An overload is counted (/metrics), not logged a line a
		 * request: under load there would be thousands. */
		if (api_error_is_ours(e) && rc != AK_EOVERLOAD) {
			struct auditlog_stats st;
			auditlog_stats(app_log(rq->app), &st);
			request_fault_detail(rq, e, "recording the operation", rc,
					     st.fault[0] != '\0' ? st.fault : NULL);
		}
		reply_error(rq, e);
		return;
	}
	answer(rq, index);
}

void dispatch_free(struct request *rq)
{
	const struct route *r = rq->route;

	if (rq->state != NULL) {
		if (r->h->state_free != NULL)
			r->h->state_free(rq->state);
		sodium_memzero(rq->state, r->h->state_size);
		free(rq->state);
		rq->state = NULL;
	}
	json_decref(rq->json); /* jansson's memory is wiped on free (reply.c) */
	rq->json = NULL;
	reply_free(&rq->in->reply);
	sodium_memzero(&rq->who, sizeof rq->who);
}
