/*
 * request: a handler's input (see request.h). Every helper answers with
 * an api_error; an error about a field or an argument names it through
 * rq->error_arg, and the name is always one of ours (the allowed list, a
 * literal), never anything the client sent.
 */
#include "service/http/request.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "service/http/http_int.h"
#include "service/oplog.h"

enum api_error request_json(struct request *rq, const char *const *allowed)
{
	struct http_internal *in = rq->in;
	json_error_t err;
	const char *key;
	json_t *o, *val;

	if (in->body == NULL || in->body_len == 0)
		return API_JSON_MISSING;
	/* jansson rejects invalid UTF-8, NUL in strings, trailing bytes and
	 * (with the flag) duplicate keys; its depth limit bounds nesting. */
	if ((o = json_loadb(in->body, in->body_len, JSON_REJECT_DUPLICATES, &err)) == NULL)
		return API_JSON_INVALID;
	json_decref(rq->json);
	rq->json = o;
	if (!json_is_object(o))
		return API_JSON_NOT_OBJECT;
	json_object_foreach(o, key, val)
	{
		int known = 0;
		for (size_t i = 0; allowed != NULL && allowed[i] != NULL; i++)
			known |= strcmp(key, allowed[i]) == 0;
		if (!known)
			return API_UNKNOWN_FIELD;
	}
	return API_OK;
}

/* The field key of rq->json: API_OK with *v NULL when it is absent and
 * optional. */
static enum api_error field(struct request *rq, const char *key, int required, json_t **v)
{
	*v = json_is_object(rq->json) ? json_object_get(rq->json, key) : NULL;
	if (*v != NULL || !required)
		return API_OK;
	rq->error_arg = key;
	return API_FIELD_MISSING;
}

enum api_error request_string(struct request *rq, const char *key, int required, const char **out,
			      size_t *len)
{
	json_t *v;
	enum api_error e = field(rq, key, required, &v);

	*out = NULL;
	*len = 0;
	if (e != API_OK || v == NULL)
		return e;
	if (!json_is_string(v)) {
		rq->error_arg = key;
		return API_FIELD_NOT_STRING;
	}
	*out = json_string_value(v);
	*len = json_string_length(v);
	return API_OK;
}

enum api_error request_string_only(struct request *rq, const char *key, const char **out,
				   size_t *len)
{
	const char *allowed[] = {key, NULL};
	const char *b = rq->in->body;
	size_t n = rq->in->body_len, k = strlen(key);
	enum api_error e;

	/* {"KEY":"VALUE"}: 7 bytes around the key and the value. jansson
	 * would give the same string for it: VALUE has no escape, no
	 * control, no quote and no byte above 0x7e, so it is its own
	 * decoding and valid UTF-8; and an object of one member has no
	 * duplicate and no other key. Anything else goes the long way. */
	if (b != NULL && n >= k + 7 && b[0] == '{' && b[1] == '"' && memcmp(b + 2, key, k) == 0 &&
	    memcmp(b + 2 + k, "\":\"", 3) == 0 && b[n - 2] == '"' && b[n - 1] == '}') {
		const char *v = b + k + 5;
		size_t vlen = n - k - 7, i;
		for (i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
				break;
		}
		if (i == vlen) {
			*out = v;
			*len = vlen;
			return API_OK;
		}
	}
	if ((e = request_json(rq, allowed)) != API_OK)
		return e;
	return request_string(rq, key, 1, out, len);
}

enum api_error request_uint(struct request *rq, const char *key, int required, uint64_t *out,
			    int *present)
{
	json_t *v;
	enum api_error e = field(rq, key, required, &v);

	*present = 0;
	if (e != API_OK || v == NULL)
		return e;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		rq->error_arg = key;
		return API_FIELD_NOT_UINT;
	}
	*out = (uint64_t)json_integer_value(v);
	*present = 1;
	return API_OK;
}

const char *request_query(struct request *rq, const char *key)
{
	return rq->in->query(rq->in->conn, key);
}

enum api_error request_query_uint(struct request *rq, const char *key, uint64_t *out, int *present)
{
	const char *v = request_query(rq, key);

	*present = 0;
	if (v == NULL)
		return API_OK;
	if (util_parse_u64(v, strlen(v), out) != 0) {
		rq->error_arg = key;
		return API_QUERY_NOT_NUMBER;
	}
	*present = 1;
	return API_OK;
}

#define HANDLE_PREFIX     "res_"
#define HANDLE_PREFIX_LEN 4

enum api_error request_handle(struct request *rq, uint8_t out[16])
{
	const char *p = rq->param;

	if (strlen(p) != HANDLE_PREFIX_LEN + 32 ||
	    memcmp(p, HANDLE_PREFIX, HANDLE_PREFIX_LEN) != 0 ||
	    util_hex_decode_lower(out, 16, p + HANDLE_PREFIX_LEN, 32) != 0)
		return API_NO_RESIDENT;
	return API_OK;
}

void request_handle_text(char out[REQUEST_HANDLE_TEXT], const uint8_t handle[16])
{
	memcpy(out, HANDLE_PREFIX, HANDLE_PREFIX_LEN);
	util_hex_encode(out + HANDLE_PREFIX_LEN, handle, 16);
}

enum api_error request_fault_detail(struct request *rq, enum api_error e, const char *doing, int rc,
				    const char *detail)
{
	oplog_fault(rq->route ? rq->route->method : rq->in->method,
		    rq->route ? rq->route->pattern : "-", doing, rc, detail);
	return e;
}

enum api_error request_fault(struct request *rq, enum api_error e, const char *doing, int rc)
{
	/* The database failing (down, restarting, its connection lost) is
	 * the service being unavailable, never an internal error. */
	if (e == API_INTERNAL && rc == AK_EDB)
		e = API_UNAVAILABLE;
	/* Nor is a node behind on the KEK epochs (record.h, AK_EBEHIND):
	 * the request may be tried again, here in a moment or on another
	 * node. */
	if ((e == API_INTERNAL || e == API_UNAVAILABLE) && rc == AK_EBEHIND)
		e = API_BEHIND;
	return request_fault_detail(rq, e, doing, rc,
				    rc == AK_EDB && rq->db != NULL ? store_errmsg(rq->db) : NULL);
}

void request_subject(struct request *rq, uint64_t resident_id)
{
	seal_pseudonym(app_kek(rq->app), rq->leaf.subject, resident_id);
	rq->leaf.has_subject = 1;
}

void request_list_free(void *state)
{
	json_decref(((struct request_list_st *)state)->list);
}
