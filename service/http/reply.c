/*
 * reply: a request's answer, built here and sent by http.c (request.h and
 * http_int.h say who may call what).
 *
 * The guard: reply_json and reply_bytes answer only in the answer step
 * (PHASE_ANSWERING). Anywhere else they break the promise that nothing is
 * answered before its leaf is durable: with assertions that is an
 * assert; without, the request gets a 500 that carries nothing from the
 * handler, and the fault is logged. reply_error is the one reply allowed
 * at any step, because an error from the table carries no data.
 *
 * jansson's memory: jansson copies every string it parses (a passphrase,
 * an ID number) and every reply it builds (a name) into its own
 * allocations. The allocator installed here remembers each block's size
 * and wipes it on free, so personal data does not linger in freed heap.
 * It is process-wide and installed before the first request; every block
 * jansson hands out must then be freed through it (json_decref does;
 * json_dumps text goes to json_free below).
 */
#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/http_int.h"
#include "service/oplog.h"

/* ------------------------------------- a wiping allocator, for jansson
 * and for reply bodies: each block remembers its length, so whoever
 * frees it (jansson, the transport) needs only the pointer. */

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

static pthread_once_t allocator_once = PTHREAD_ONCE_INIT;

static void install(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

void reply_install_allocator(void)
{
	pthread_once(&allocator_once, install);
}

static void json_free(char *text)
{
	json_free_t f = NULL;
	json_get_alloc_funcs(NULL, &f);
	(f != NULL ? f : free)(text);
}

/* ------------------------------------------------------------ replies */

void reply_body_free(void *body)
{
	wipe_free(body);
}

void reply_free(struct http_reply *r)
{
	wipe_free(r->body);
	r->body = NULL;
	r->len = 0;
}

void reply_header(struct request *rq, const char *name, const char *value)
{
	struct http_reply *r = &rq->in->reply;

	if (r->nheaders >= HTTP_MAX_HEADERS)
		return;
	r->hname[r->nheaders] = name;
	snprintf(r->hvalue[r->nheaders], sizeof r->hvalue[0], "%s", value);
	r->nheaders++;
}

void reply_cache(struct request *rq, const char *cache)
{
	rq->in->reply.cache = cache;
}

/* Sets the reply (the first one stands). 0 or AK_ENOMEM. */
static int set(struct request *rq, unsigned status, const char *type, const void *data, size_t len)
{
	struct http_reply *r = &rq->in->reply;

	if (r->status != 0)
		return 0;
	if ((r->body = wipe_malloc(len > 0 ? len : 1)) == NULL)
		return AK_ENOMEM;
	if (len > 0)
		memcpy(r->body, data, len);
	r->len = len;
	r->content_type = type;
	r->status = status;
	rq->in->phase = PHASE_REPLIED;
	return 0;
}

void reply_error(struct request *rq, enum api_error e)
{
	const struct api_error_info *info = api_error_info(e);
	char msg[256], ra[24];
	json_t *o;
	char *text;

	if (rq->in->reply.status != 0)
		return;
	rq->in->error = e;
	if (info->status == 401)
		reply_header(rq, "WWW-Authenticate", "Bearer");
	/* A rate limit says when; an overload or a key still being fetched,
	 * a second from now. */
	if (info->status == 429 || e == API_OVERLOADED || e == API_BEHIND) {
		snprintf(ra, sizeof ra, "%" PRIu64, rq->retry_after > 0 ? rq->retry_after : 1);
		reply_header(rq, "Retry-After", ra);
	}
	api_error_message(e, rq->error_arg, msg, sizeof msg);
	o = json_pack("{s:s, s:s}", "error", info->code, "message", msg);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL || set(rq, info->status, "application/json", text, strlen(text)) != 0)
		set(rq, info->status, "application/json", "{\"error\":\"internal\"}", 20);
	if (text != NULL)
		json_free(text);
}

/* The guard (see the file comment). 0 when data may be answered now. */
static int may_answer(struct request *rq)
{
	if (rq->in->phase == PHASE_ANSWERING)
		return 0;
	assert(!"a reply with data before the request's leaf is durable");
	oplog_fault(rq->route ? rq->route->method : NULL, rq->route ? rq->route->pattern : NULL,
		    "replying before the audit leaf was durable", AK_EDENIED, NULL);
	reply_error(rq, API_INTERNAL);
	return -1;
}

enum api_error reply_bytes(struct request *rq, unsigned status, const char *content_type,
			   const void *data, size_t len)
{
	if (may_answer(rq) != 0)
		return API_OK; /* answered: the 500 */
	if (set(rq, status, content_type, data, len) != 0)
		return API_INTERNAL;
	return API_OK;
}

enum api_error reply_json(struct request *rq, unsigned status, json_t *body)
{
	enum api_error e;
	char *text;

	if (may_answer(rq) != 0) {
		json_decref(body);
		return API_OK;
	}
	if (body == NULL)
		return API_INTERNAL;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return API_INTERNAL;
	e = set(rq, status, "application/json", text, strlen(text)) == 0 ? API_OK : API_INTERNAL;
	json_free(text); /* wiped: it may hold a name */
	return e;
}

enum api_error reply_list(struct request *rq, const char *key, json_t *list, uint64_t index)
{
	return reply_json(rq, 200,
			  json_pack("{s:O, s:I}", key, list, "log_index", (json_int_t)index));
}
