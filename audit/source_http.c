/*
 * source_http: the log read from the service's auditor endpoints over
 * HTTP(S) (contract in wire.h and DESIGN.md's API table).
 *
 * The server is not trusted. Every request goes through common/httpc.h,
 * which bounds it (http and https only, same-origin redirects only, so the
 * token never goes anywhere the auditor did not name; timeouts; a size cap
 * per response; TLS peers verified) and wipes the token when the source
 * closes. This file only chooses the paths and caps and parses the bodies;
 * error bodies contribute only their sanitised code to messages.
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit/source_int.h"
#include "audit/wire.h"
#include "common/httpc.h"
#include "common/util.h"
#include "crypto/checkpoint.h"

#define CAP_NOTE  (64u << 10)
#define CAP_PROOF (64u << 10)
/* A page of 1000 leaves of at most 512 bytes, base64 and fields: ~1.5 MB. */
#define CAP_ENTRIES (8u << 20)
/* A report: counts and at most a few lists of max_list entries. */
#define CAP_REPORT (4u << 20)

struct http_source {
	struct audit_source base; /* first: the handle is cast back and forth */
	httpc *c;
};

static struct http_source *hs(audit_source *s)
{
	return (struct http_source *)s;
}

/* GETs path with a body cap of max bytes (see httpc_get). */
static int http_get(audit_source *s, const char *path, size_t max, char **out, size_t *outlen)
{
	int rc = httpc_get(hs(s)->c, path, max, out, outlen);

	if (rc != 0)
		return source_fail(s, rc, "%s", httpc_what(hs(s)->c));
	return 0;
}

/* ------------------------------------------------------------ operations */

static int http_checkpoint(audit_source *s, char **note, size_t *len)
{
	return http_get(s, "/v1/audit/checkpoint", CAP_NOTE, note, len);
}

static int http_checkpoint_at(audit_source *s, uint64_t size, char **note, size_t *len)
{
	struct checkpoint c;
	int rc;

	if ((rc = http_checkpoint(s, note, len)) != 0)
		return rc;
	if (source_note_peek(*note, *len, &c) != 0 || c.size != size) {
		free(*note);
		*note = NULL;
		*len = 0;
		return source_fail(
		    s, AK_ENOENT,
		    "the server offers only its newest checkpoint, not one of size %llu",
		    (unsigned long long)size);
	}
	return 0;
}

static int http_entries(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn, void *ctx)
{
	char path[128];
	uint64_t at = start;

	while (at < end) {
		uint64_t stop = end - at > WIRE_PAGE_MAX ? at + WIRE_PAGE_MAX : end, last;
		char *body;
		size_t len, count;
		int rc;

		snprintf(path, sizeof path, "/v1/audit/entries?start=%llu&end=%llu",
			 (unsigned long long)at, (unsigned long long)stop);
		if ((rc = http_get(s, path, CAP_ENTRIES, &body, &len)) != 0)
			return rc;
		rc = wire_parse_entries(body, len, at, stop, fn, ctx, &count, &last);
		free(body);
		if (rc == AK_EINVAL)
			return source_fail(s, rc,
					   "GET %s: not a valid entries page (malformed JSON, "
					   "a bad leaf encoding, or indexes out of order or range)",
					   path);
		if (rc != 0)
			return rc;
		/* An empty page: the server has nothing more from here. */
		if (count == 0)
			break;
		at = last + 1;
	}
	return 0;
}

static int get_proof(audit_source *s, const char *path, merkle_hash *proof, size_t *n)
{
	char *body;
	size_t len;
	int rc;

	if ((rc = http_get(s, path, CAP_PROOF, &body, &len)) != 0)
		return rc;
	rc = wire_parse_proof(body, len, proof, n);
	free(body);
	if (rc != 0)
		return source_fail(s, AK_EINVAL, "GET %s: not a valid proof body", path);
	return 0;
}

static int http_prove_inclusion(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
				size_t *n)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/audit/proof/inclusion?index=%llu&size=%llu",
		 (unsigned long long)index, (unsigned long long)size);
	return get_proof(s, path, proof, n);
}

static int http_prove_consistency(audit_source *s, uint64_t size1, uint64_t size2,
				  merkle_hash *proof, size_t *n)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/audit/proof/consistency?old=%llu&new=%llu",
		 (unsigned long long)size1, (unsigned long long)size2);
	return get_proof(s, path, proof, n);
}

/* The server's own appeals section, from its report. */
static int http_appeals(audit_source *s, uint64_t as_of, uint64_t deadline, size_t max_list,
			json_t **out)
{
	json_t *j, *a;
	char *body;
	size_t len;
	int rc;
	(void)as_of;
	(void)max_list;

	if (deadline != 0)
		return source_fail(s, AK_EINVAL,
				   "a server judges appeals by its own deadline (--appeal-deadline "
				   "needs --db)");
	if ((rc = http_get(s, "/v1/audit/report", CAP_REPORT, &body, &len)) != 0)
		return rc;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	a = json_object_get(j, "appeals");
	if (!json_is_object(a) || !json_is_integer(json_object_get(a, "overdue")) ||
	    !json_is_array(json_object_get(a, "overdue_by_team")) ||
	    !json_is_array(json_object_get(a, "overdue_list"))) {
		json_decref(j);
		return source_fail(s, j == NULL ? AK_EINVAL : AK_ENOENT, "GET /v1/audit/report: %s",
				   j == NULL ? "not JSON"
					     : "no appeals section (an older server?)");
	}
	*out = json_incref(a);
	json_decref(j);
	return 0;
}

static void http_close(audit_source *s)
{
	httpc_close(hs(s)->c);
	free(s);
}

static const struct source_ops http_ops = {
    .checkpoint = http_checkpoint,
    .checkpoint_at = http_checkpoint_at,
    .entries = http_entries,
    .prove_inclusion = http_prove_inclusion,
    .prove_consistency = http_prove_consistency,
    .stored_leaf_hash = NULL,
    .size = NULL,
    .appeals = http_appeals,
    .close = http_close,
};

int source_open_http(audit_source **out, const struct source_http_options *o)
{
	struct httpc_options ho = {o->url, o->token, o->cacert, o->timeout_s, "ankang-audit/1"};
	struct http_source *h;
	int rc;

	*out = NULL;
	if (o->url == NULL || o->token == NULL)
		return AK_EINVAL;
	if ((h = calloc(1, sizeof *h)) == NULL)
		return AK_ENOMEM;
	h->base.ops = &http_ops;
	if ((rc = httpc_open(&h->c, &ho)) != 0) {
		free(h);
		return rc;
	}
	snprintf(h->base.name, sizeof h->base.name, "server %.140s", httpc_base_url(h->c));
	*out = &h->base;
	return 0;
}
