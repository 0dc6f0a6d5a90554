/*
 * test_routes: the structure that keeps "nothing personal is answered
 * before its audit leaf is durable" (service/http/routes.h, dispatch.c,
 * reply.c), tested without a server:
 *
 *   - the route table itself: every route that reads personal data or
 *     changes state carries an audit action; a route without one says it
 *     touches only public material, the log or the service's figures;
 *     every row is whole (method, pattern, who, handler, body cap);
 *   - the reply guard: a reply with data before the answer step is an
 *     assert in a build with assertions (the child process aborts), and a
 *     500 that carries nothing of the handler's in a release build; an
 *     error from the table may be answered at any step; data may be
 *     answered in the answer step;
 *   - the error table: every error has a status, a stable code of [a-z_]
 *     and a message, 4xx for a client's mistakes and 5xx for ours;
 *   - routing at the head: 404, 405 with Allow, 413 on a declared body
 *     over the route's cap.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "service/api_error.h"
#include "service/http/http_int.h"
#include "service/http/routes.h"
#include "tests/lib/tap.h"

/* ------------------------------------------------------------ the table */

static int word_of(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static void test_table(void)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	int audited = 0, bad_action = 0, bad_none = 0, bad_row = 0, dup = 0, bad_body = 0;

	ok(n_routes > 20, "the table has its routes (%zu)", n_routes);
	for (size_t i = 0; i < n_routes; i++) {
		const struct route *r = &routes[i];
		int touches_people = r->data == DATA_PERSONAL || r->data == DATA_STATE;

		if (!word_of(r->method, methods, AK_ARRAY_LEN(methods)) || r->pattern[0] != '/' ||
		    r->who == 0 || r->h == NULL || r->h->answer == NULL || r->data == DATA_NONE ||
		    (r->h->state_free != NULL && r->h->state_size == 0)) {
			bad_row++;
			diag("%s %s: an incomplete row", r->method, r->pattern);
		}
		if (touches_people && r->action == ACT_NONE) {
			bad_action++;
			diag("%s %s reads personal data or changes state without an audit action",
			     r->method, r->pattern);
		}
		if (r->action == ACT_NONE && r->data != DATA_PUBLIC && r->data != DATA_LOG &&
		    r->data != DATA_OPS) {
			bad_none++;
			diag("%s %s writes no leaf without saying why", r->method, r->pattern);
		}
		if (r->action != ACT_NONE) {
			audited++;
			if (leaf_action_word(r->action) == NULL) {
				bad_action++;
				diag("%s %s: an action that is not on the list", r->method,
				     r->pattern);
			}
		}
		if ((strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0) &&
		    r->max_body != 0) {
			bad_body++;
			diag("%s %s takes a body", r->method, r->pattern);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(routes[j].method, r->method) == 0 &&
			    strcmp(routes[j].pattern, r->pattern) == 0) {
				dup++;
				diag("%s %s is in the table twice", r->method, r->pattern);
			}
	}
	is_int(bad_row, 0, "every row is whole: method, pattern, who, handler, what it touches");
	is_int(bad_action, 0,
	       "every route that reads personal data or changes state has an action");
	is_int(bad_none, 0,
	       "every route without an action touches only public data, the log or "
	       "the service's figures");
	is_int(bad_body, 0, "GET and DELETE routes take no body");
	is_int(dup, 0, "no route twice");
	ok(audited >= 15, "most routes are audited (%d)", audited);

	/* Each rule of the table, held against what the routes are. */
	for (size_t i = 0; i < n_routes; i++) {
		const struct route *r = &routes[i];
		if (strncmp(r->pattern, "/v1/me", 6) == 0 && r->who != WHO_RESIDENT)
			diag("%s %s: a /v1/me route for someone other than residents", r->method,
			     r->pattern);
		if (strcmp(r->pattern, "/v1/lookup") == 0 ||
		    strstr(r->pattern, "/paper-code") != NULL) {
			ok(r->limit == LIMIT_OFFICER_READ && r->action != ACT_NONE &&
			       r->data == DATA_PERSONAL,
			   "%s %s: an officer's read, audited and rate-limited per officer",
			   r->method, r->pattern);
		}
		if (strncmp(r->pattern, "/v1/household", 13) == 0)
			ok(r->who == WHO_OFFICER && r->action != ACT_NONE,
			   "%s %s: officers only, audited", r->method, r->pattern);
		if (strncmp(r->pattern, "/v1/me/household/{member}/code", 30) == 0)
			ok(r->action == ACT_ISSUE && r->data == DATA_PERSONAL,
			   "%s %s: a member's code is an issue, as my own is", r->method,
			   r->pattern);
		if (strcmp(r->pattern, "/v1/enroll") == 0)
			ok(r->who == WHO_ENROLLERS && r->limit == LIMIT_ENROL,
			   "POST /v1/enroll: authz decides who enrols, limits how often");
	}
}

/* ---------------------------------------------------------- the guard */

static const char *no_header(void *conn, const char *name)
{
	(void)conn;
	(void)name;
	return NULL;
}

static const char *cl_header(void *conn, const char *name)
{
	return strcmp(name, "Content-Length") == 0 ? conn : NULL;
}

struct fake {
	struct request rq;
	struct http_internal in;
};

static void fake_init(struct fake *f, const char *method, const char *path)
{
	memset(f, 0, sizeof *f);
	f->rq.in = &f->in;
	f->in.method = method;
	f->in.path = path;
	f->in.header = no_header;
	f->in.query = no_header;
}

static const struct route *route_of(const char *method, const char *pattern)
{
	for (size_t i = 0; i < n_routes; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return &routes[i];
	bail_out("no such route");
	return NULL;
}

/* A made-up name a handler could hold. */
#define SECRET "Zhang San 张三"

static void test_guard(void)
{
	struct fake f;
	pid_t pid;
	int status;

	/* Before the answer step, in a build with assertions: the process
	 * aborts. Run in a child, whatever this build is. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct fake c;
		fake_init(&c, "GET", "/v1/me/code");
		c.rq.route = route_of("GET", "/v1/me/code");
		c.in.phase = PHASE_PREPARING;
		reply_bytes(&c.rq, 200, "application/json", SECRET, strlen(SECRET));
		/* Only a release build gets here: it must have answered 500,
		 * with nothing of the handler's. */
		_exit(c.in.reply.status == 500 &&
			      memmem(c.in.reply.body, c.in.reply.len, "Zhang", 5) == NULL
			  ? 42
			  : 43);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		bail_out("fork");
#ifdef NDEBUG
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	   "release build: data before the leaf is answered 500, with none of it");
#else
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "a build with assertions: data before the leaf is an assert");
#endif

	/* The same in the waiting step (submitted, not yet durable). */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct fake c;
		fake_init(&c, "POST", "/v1/lookup");
		c.rq.route = route_of("POST", "/v1/lookup");
		c.in.phase = PHASE_WAITING;
		reply_json(&c.rq, 200, json_pack("{s:s}", "name", SECRET));
		_exit(c.in.reply.status == 500 &&
			      memmem(c.in.reply.body, c.in.reply.len, "Zhang", 5) == NULL
			  ? 42
			  : 43);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		bail_out("fork");
#ifdef NDEBUG
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	   "release build: JSON while the leaf is being written is answered 500, with none of it");
#else
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "with assertions: JSON while the leaf is being written is an assert");
#endif

	/* An error from the table may be answered at any step. */
	fake_init(&f, "POST", "/v1/lookup");
	f.rq.route = route_of("POST", "/v1/lookup");
	f.in.phase = PHASE_PREPARING;
	reply_error(&f.rq, API_BAD_PURPOSE);
	ok(f.in.reply.status == 400 && memmem(f.in.reply.body, f.in.reply.len, "bad_purpose", 11),
	   "an error before the leaf: 400 bad_purpose from the table");
	reply_free(&f.in.reply);

	/* Data in the answer step. */
	fake_init(&f, "GET", "/v1/me/code");
	f.rq.route = route_of("GET", "/v1/me/code");
	f.in.phase = PHASE_ANSWERING;
	is_int(reply_bytes(&f.rq, 200, "application/json", "{}", 2), API_OK,
	       "the answer step may answer");
	is_int(f.in.reply.status, 200, "200");
	reply_error(&f.rq, API_INTERNAL);
	is_int(f.in.reply.status, 200, "one answer per request: the first stands");
	reply_free(&f.in.reply);
}

/* --------------------------------------------------------- the errors */

static void test_errors(void)
{
	int bad = 0, mixed = 0;
	char msg[256];

	for (int e = API_OK + 1; e < API_ERROR_COUNT; e++) {
		const struct api_error_info *info = api_error_info((enum api_error)e);
		int word = info->code != NULL && info->code[0] != '\0';
		for (const char *c = info->code; word && *c; c++)
			word = (*c >= 'a' && *c <= 'z') || *c == '_';
		if (!word || info->message == NULL || info->status < 400 || info->status > 599) {
			bad++;
			diag("error %d: an incomplete row", e);
		}
		if (api_error_is_ours((enum api_error)e) != (info->status >= 500))
			mixed++;
	}
	is_int(bad, 0, "every error has a 4xx/5xx status, a code of [a-z_] and a message");
	is_int(mixed, 0, "5xx are the service's own failures, 4xx the client's");
	ok(api_error_info((enum api_error)9999) == api_error_info(API_INTERNAL),
	   "a value outside the table reads as internal");
	is_str(api_error_message(API_FIELD_MISSING, "name", msg, sizeof msg),
	       "Field 'name' is required.", "a message names its field");
	is_int(api_error_info(api_error_of_writer(AK_EINVAL))->status, 500,
	       "the writer's AK_EINVAL (a bug of ours) is a 500, not a 503");
	is_int(api_error_info(api_error_of_writer(AK_EDB))->status, 503,
	       "the database failing is a 503");
	ok(api_error_of_writer(AK_EIO) == API_STORAGE_FAILED &&
	       api_error_info(API_STORAGE_FAILED)->status == 503,
	   "the writer refusing writes after an I/O error is a 503 of its own");
	is_int(api_error_info(api_error_of_writer(AK_ENOENT))->status, 404,
	       "a resident gone meanwhile is a 404");
}

/* -------------------------------------------------------------- routing */

static void test_routing(void)
{
	struct fake f;

	fake_init(&f, "GET", "/v1/nothing");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route == NULL && f.in.reply.status == 404, "an unknown path: 404");
	dispatch_free(&f.rq);

	fake_init(&f, "PATCH", "/v1/me/code");
	dispatch_begin(&f.rq, 16384);
	ok(f.in.reply.status == 405 && f.in.reply.nheaders == 1 &&
	       strcmp(f.in.reply.hname[0], "Allow") == 0 &&
	       strcmp(f.in.reply.hvalue[0], "GET") == 0,
	   "a known path, another method: 405 with Allow: GET");
	dispatch_free(&f.rq);

	fake_init(&f, "PUT", "/v1/residents/res_0123/status");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route != NULL && strcmp(f.rq.param, "res_0123") == 0 && f.in.reply.status == 0,
	   "a pattern with {handle}: matched, the segment kept");
	dispatch_free(&f.rq);

	/* {name*}: the rest of the path, slashes and all (the log's tiles). */
	fake_init(&f, "GET", "/log/tile/0/x001/x234/067.p/5");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route == route_of("GET", "/log/tile/{tile*}") &&
	       strcmp(f.rq.param, "0/x001/x234/067.p/5") == 0 && f.in.reply.status == 0,
	   "a pattern ending {tile*}: matched, the rest of the path kept");
	dispatch_free(&f.rq);

	fake_init(&f, "GET", "/log/tile/entries/x001/000");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route == route_of("GET", "/log/tile/entries/{bundle*}") &&
	       strcmp(f.rq.param, "x001/000") == 0 && f.rq.route->who == WHO_AUDITOR,
	   "an entry bundle takes the auditors' row, not the public tiles'");
	dispatch_free(&f.rq);

	fake_init(&f, "GET", "/log/tile/");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route == NULL && f.in.reply.status == 404, "{tile*} matches no empty rest");
	dispatch_free(&f.rq);

	fake_init(&f, "GET", "/log/tile/0/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/000");
	dispatch_begin(&f.rq, 16384);
	ok(f.rq.route == NULL && f.in.reply.status == 404,
	   "nor a rest longer than a parameter holds: 404");
	dispatch_free(&f.rq);

	fake_init(&f, "POST", "/v1/lookup");
	f.in.header = cl_header;
	f.in.conn = (void *)"999999";
	dispatch_begin(&f.rq, 16384);
	ok(f.in.reply.status == 413 && f.in.reply.close,
	   "a declared body over the cap: 413, closed");
	dispatch_free(&f.rq);
}

int main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init");
	reply_install_allocator();
	test_table();
	test_guard();
	test_errors();
	test_routing();
	return tap_done();
}
