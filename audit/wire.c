/*
 * wire: strict parsing of the auditor endpoints' JSON bodies with jansson
 * (see wire.h). Decoded leaves go through one fixed buffer; nothing is
 * allocated per entry.
 */
#include "audit/wire.h"

#include <string.h>

#include <jansson.h>

#include "common/util.h"

static json_t *load(const char *body, size_t len)
{
	json_error_t err;

	return json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
}

/*
 * One entry of a page: its index, and its leaf decoded into buf. 0 or
 * AK_EINVAL. next is the smallest index allowed here.
 */
static int entry(json_t *e, uint64_t next, uint64_t end, uint64_t *idx, uint8_t *buf, size_t *len)
{
	json_t *ji = json_object_get(e, "index"), *jl = json_object_get(e, "leaf");
	json_int_t v;

	if (!json_is_object(e) || !json_is_integer(ji) || !json_is_string(jl))
		return AK_EINVAL;
	v = json_integer_value(ji);
	/* Strictly ascending, inside the page asked for. */
	if (v < 0 || (uint64_t)v < next || (uint64_t)v >= end)
		return AK_EINVAL;
	if (util_b64_decode(buf, WIRE_LEAF_MAX, len, json_string_value(jl),
			    json_string_length(jl)) != 0 ||
	    *len == 0)
		return AK_EINVAL;
	*idx = (uint64_t)v;
	return 0;
}

int wire_parse_entries(const char *body, size_t len, uint64_t start, uint64_t end, wire_leaf_fn fn,
		       void *ctx, size_t *count, uint64_t *last)
{
	uint8_t buf[WIRE_LEAF_MAX];
	json_t *root, *arr;
	uint64_t next, idx = 0;
	size_t n, got;
	int rc = AK_EINVAL;

	*count = 0;
	*last = 0;
	if ((root = load(body, len)) == NULL)
		return AK_EINVAL;
	arr = json_object_get(root, "entries");
	if (!json_is_object(root) || !json_is_array(arr) || start >= end)
		goto done;
	n = json_array_size(arr);
	if (n > WIRE_PAGE_MAX || n > end - start)
		goto done;
	/* The whole page is checked before any leaf is handed on, so a page
	 * that is bad anywhere is refused as a page, not half used. */
	next = start;
	for (size_t i = 0; i < n; i++) {
		if (entry(json_array_get(arr, i), next, end, &idx, buf, &got) != 0)
			goto done;
		next = idx + 1;
	}
	next = start;
	for (size_t i = 0; i < n; i++) {
		entry(json_array_get(arr, i), next, end, &idx, buf, &got);
		if ((rc = fn(ctx, idx, (const char *)buf, got)) != 0)
			goto done;
		next = idx + 1;
		*count = i + 1;
		*last = idx;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

int wire_parse_proof(const char *body, size_t len, merkle_hash *proof, size_t *n)
{
	json_t *root, *arr;
	size_t cnt;
	int rc = AK_EINVAL;

	*n = 0;
	if ((root = load(body, len)) == NULL)
		return AK_EINVAL;
	arr = json_object_get(root, "proof");
	if (!json_is_object(root) || !json_is_array(arr))
		goto done;
	cnt = json_array_size(arr);
	if (cnt > MERKLE_MAX_PROOF)
		goto done;
	for (size_t i = 0; i < cnt; i++) {
		json_t *h = json_array_get(arr, i);
		size_t got;
		if (!json_is_string(h) ||
		    util_b64_decode(proof[i], MERKLE_HASH_BYTES, &got, json_string_value(h),
				    json_string_length(h)) != 0 ||
		    got != MERKLE_HASH_BYTES)
			goto done;
	}
	*n = cnt;
	rc = 0;
done:
	json_decref(root);
	return rc;
}
