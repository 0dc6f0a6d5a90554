/*
 * lists: GET /v1/trust and GET /v1/revocations, the signed notes the
 * publisher (service/lists.c) holds, as text/plain. Public: they carry
 * issuer keys and revoked code ids, nothing about anyone.
 */
#include "service/http/request.h"
#include "service/lists.h"

static enum api_error serve_note(struct request *rq, const struct lists_note *n)
{
	enum api_error e;

	if (n == NULL)
		return API_LIST_NOT_READY;
	e = reply_bytes(rq, 200, "text/plain; charset=utf-8", n->text, n->len);
	lists_release(app_lists(rq->app), n);
	return e;
}

static enum api_error trust(struct request *rq, uint64_t index)
{
	(void)index;
	return serve_note(rq, lists_trust(app_lists(rq->app)));
}

static enum api_error revocations(struct request *rq, uint64_t index)
{
	(void)index;
	return serve_note(rq, lists_revocations(app_lists(rq->app)));
}

const struct route_handler h_trust = {NULL, trust, 0, NULL};
const struct route_handler h_revocations = {NULL, revocations, 0, NULL};
