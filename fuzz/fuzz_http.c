/*
 * fuzz_http: whole requests through the service's real dispatcher and
 * handlers (service/http/dispatch.c and h_*.c), on a real core with a
 * data folder, accounts and a resident (fuzz/http_fixture.h), without the
 * socket: the input is the request's text, an HTTP/1.1 head and body with
 * placeholders for live tokens ($R, $O, ...: see the fixture), split as
 * libmicrohttpd would and handed over through the same two lookups
 * http.c installs. That reaches, with every input: route matching and
 * the path's parameter, the query arguments (request_query_uint and each
 * handler's own), Authorization (authz_identify), X-Forwarded-For
 * (forwarded.c, from a trusted peer), Content-Type and Content-Length,
 * the JSON body of every route (request_json and the handlers' fields),
 * the audit writer, and the answer.
 *
 * Invariants checked on every answer (fx_check): a status the API has
 * (200, 201, or a row of the error table), never a 5xx (the fixture's
 * storage does not fail, so a 5xx is a bug of ours); a JSON answer is
 * JSON; an error is {"error": its row's code, "message": text}; no error
 * shows the resident's name, ID number or passphrase. Plus ASan, UBSan
 * and the dispatcher's own asserts (no data before its leaf).
 *
 * Seeds (corpus/http/): a few requests per route, as the shell tests
 * send them, each with a mistake or two beside.
 */
#include <stdint.h>

#include "fuzz/http_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct metrics *metrics;
/* FUZZ_HTTP_TRACE set: each request and its answer on stderr (to see
 * what the seeds reach). */
static int trace;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	trace = getenv("FUZZ_HTTP_TRACE") != NULL;
	if ((metrics = metrics_new(n_routes)) == NULL)
		fx_die("metrics_new");
	fx_open(metrics);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[FX_EXPANDED];
	static struct fx_req r;
	struct fx_answer a;
	enum api_error e;
	size_t n;

	fx_settle(metrics);
	n = fx_expand(data, size, buf, sizeof buf);
	if (fx_parse(&r, buf, n) != 0)
		return 0;
	fx_dispatch(&r, metrics, &a);
	e = fx_check(&a);
	if (trace)
		fprintf(stderr, "%s %s -> %u %s\n", r.method, r.path, a.status,
			e == API_OK ? "" : api_error_info(e)->code);
	if (e != API_OK && api_error_is_ours(e))
		fx_die("a 5xx: the service's own failure");
	fx_answer_free(&a);
	return 0;
}
