/*
 * lists: GET /v1/trust and GET /v1/revocations, the signed notes the
 * publisher (service/lists.c) holds, as text/plain, and GET /v1/keys, the
 * public keys that verify them and the log's checkpoints. Public: they
 * carry keys and revoked code ids, nothing about anyone.
 *
 * GET /v1/keys is what the web pages pin on first use: a browser that has
 * the root and log keys checks every list and checkpoint it later fetches
 * against them itself (WebCrypto), so a server that later signs with
 * other keys is caught by the pages that saw it before. Answered from the
 * keys the service signs with (app_public_keys), not from the copies in
 * the data folder's public/.
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

static enum api_error keys(struct request *rq, uint64_t index)
{
	const struct app_public_keys *k = app_public_keys(rq->app);
	const struct witnessing_config *wc = &app_config(rq->app)->witnesses;
	json_t *ws = json_array();
	(void)index;

	/* The cosigners a checkpoint needs, in the configured order, and how
	 * many of them: what a client checks /log/checkpoint against. */
	for (size_t i = 0; ws != NULL && i < wc->n; i++)
		json_array_append_new(ws, json_string(wc->peers[i].vkey));
	return reply_json(rq, 200,
			  json_pack("{s:s, s:s, s:s, s:o*, s:i}", "origin", k->origin, "root",
				    k->root, "log", k->log, "witnesses", ws, "witness_quorum",
				    wc->n > 0 ? (int)witnessing_quorum(wc) : 0));
}

const struct route_handler h_keys = {NULL, keys, 0, NULL};
const struct route_handler h_trust = {NULL, trust, 0, NULL};
const struct route_handler h_revocations = {NULL, revocations, 0, NULL};
