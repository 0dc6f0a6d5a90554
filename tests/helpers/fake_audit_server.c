/*
 * fake_audit_server: a test helper that serves the auditor endpoints of
 * DESIGN.md's HTTP API from a database copy, so ankang-audit's --server
 * backend is tested before the real service exists, and against a server
 * that misbehaves on purpose.
 *
 *   fake_audit_server --db FILE --token T --port-file F [--fault NAME]
 *
 * Listens on 127.0.0.1 on a port the kernel picks, writes it to F, and
 * serves until SIGTERM or SIGINT:
 *   GET /v1/audit/checkpoint                       the newest signed checkpoint
 *   GET /v1/audit/entries?start=&end=              at most 1000 leaves
 *   GET /v1/audit/proof/inclusion?index=&size=     {"proof": [...]}
 *   GET /v1/audit/proof/consistency?old=&new=      {"proof": [...]}
 * each only with "Authorization: Bearer T" (else 401 and an error body).
 *
 * Faults, one at a time:
 *   redirect-other  every request is redirected to another host
 *   redirect-same   every request is redirected to /moved/<path> on this
 *                   server, which then answers normally
 *   huge            entries answers with a body of 12 MiB
 *   slow            every answer waits 3 seconds first
 *   badjson         entries answers with a leaf that is not base64
 *   disorder        entries lists the page's leaves in reverse order
 *   small-pages     entries returns at most 7 leaves a page
 *   liar            consistency proofs have one bit flipped
 * Test use only; single-threaded (MHD's internal polling thread). The
 * replies and the daemon's life are tests/lib/fakehttp.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "log/auditlog.h"
#include "log/proof.h"
#include "log/store.h"
#include "tests/lib/fakehttp.h"

static store *st;
static const char *token, *fault = "";

static int arg_u64(struct MHD_Connection *c, const char *name, uint64_t *v)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	return s == NULL ? -1 : util_parse_u64(s, strlen(s), v);
}

struct page {
	json_t *arr;
};

static int add_entry(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct page *p = ctx;
	char b64[1024];

	if (util_b64_encoded_len(len) >= sizeof b64)
		return AK_ETOOBIG;
	util_b64_encode(b64, (const uint8_t *)leaf, len);
	json_array_append_new(p->arr, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)idx, "leaf",
						b64, "note", "fields the client must ignore"));
	return 0;
}

static enum MHD_Result entries(struct MHD_Connection *c)
{
	struct store_log_filter f;
	struct page p;
	uint64_t start, end;

	if (arg_u64(c, "start", &start) != 0 || arg_u64(c, "end", &end) != 0 || end <= start)
		return fakehttp_error(c, 400, "bad_range");
	if (strcmp(fault, "huge") == 0) {
		size_t n = 12u << 20;
		char *s = malloc(n);
		if (s == NULL)
			return MHD_NO;
		memset(s, ' ', n);
		memcpy(s, "{\"entries\":[]", 13);
		s[n - 1] = '}';
		return fakehttp_body(c, 200, "application/json", s, n);
	}
	if (strcmp(fault, "badjson") == 0)
		return fakehttp_json(c, 200,
				     json_pack("{s:[{s:I,s:s}]}", "entries", "index",
					       (json_int_t)start, "leaf", "!!not base64!!"));
	store_log_filter_init(&f);
	f.start = start;
	f.end = end;
	f.limit = strcmp(fault, "small-pages") == 0 ? 7 : 1000;
	p.arr = json_array();
	if (store_log_query(st, &f, add_entry, &p) != 0) {
		json_decref(p.arr);
		return fakehttp_error(c, 500, "internal");
	}
	if (strcmp(fault, "disorder") == 0 && json_array_size(p.arr) > 1) {
		json_t *rev = json_array();
		for (size_t i = json_array_size(p.arr); i-- > 0;)
			json_array_append(rev, json_array_get(p.arr, i));
		json_decref(p.arr);
		p.arr = rev;
	}
	return fakehttp_json(c, 200, json_pack("{s:o}", "entries", p.arr));
}

static enum MHD_Result proof(struct MHD_Connection *c, int consistency)
{
	merkle_hash hs[MERKLE_MAX_PROOF];
	char b64[64];
	uint64_t a, b;
	size_t n;
	json_t *arr;
	int rc;

	if (consistency) {
		if (arg_u64(c, "old", &a) != 0 || arg_u64(c, "new", &b) != 0)
			return fakehttp_error(c, 400, "bad_range");
		rc = proof_consistency(st, a, b, hs, &n);
	} else {
		if (arg_u64(c, "index", &a) != 0 || arg_u64(c, "size", &b) != 0)
			return fakehttp_error(c, 400, "bad_range");
		rc = proof_inclusion(st, a, b, hs, &n);
	}
	if (rc != 0)
		return fakehttp_error(c, rc == AK_EINVAL ? 400 : 500, "no_proof");
	if (consistency && n > 0 && strcmp(fault, "liar") == 0)
		hs[0][0] ^= 1;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		util_b64_encode(b64, hs[i], MERKLE_HASH_BYTES);
		json_array_append_new(arr, json_string(b64));
	}
	return fakehttp_json(c, 200, json_pack("{s:o}", "proof", arr));
}

/* Rebuilds "?k=v&..." from the parsed query (MHD keeps no raw copy). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	char *q = cls;
	size_t n = strlen(q);

	(void)kind;
	snprintf(q + n, 256 - n, "%c%s=%s", n == 0 ? '?' : '&', k, v ? v : "");
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char want[600];

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (*req == NULL) { /* first call: headers only */
		*req = (void *)1;
		return MHD_YES;
	}
	if (strcmp(fault, "slow") == 0)
		sleep(3);
	if (strcmp(method, "GET") != 0)
		return fakehttp_error(c, 405, "method_not_allowed");
	snprintf(want, sizeof want, "Bearer %s", token);
	if (auth == NULL || strcmp(auth, want) != 0)
		return fakehttp_error(c, 401, "unauthorized");
	if (strcmp(fault, "redirect-other") == 0 ||
	    (strcmp(fault, "redirect-same") == 0 && strncmp(url, "/moved/", 7) != 0)) {
		char loc[700], query[256] = "";
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, query);
		if (strcmp(fault, "redirect-other") == 0)
			snprintf(loc, sizeof loc, "http://other.invalid%s%s", url, query);
		else
			snprintf(loc, sizeof loc, "/moved%s%s", url, query);
		return fakehttp_redirect(c, loc);
	}
	if (strncmp(url, "/moved/", 7) == 0)
		url += 6;
	/* MHD hands over the path without the query string. */
	if (strcmp(url, "/v1/audit/checkpoint") == 0) {
		uint64_t size;
		char *note;
		size_t len;
		if (store_log_last_checkpoint(st, &size, &note, &len) != 0)
			return fakehttp_error(c, 500, "internal");
		return fakehttp_body(c, 200, "text/plain; charset=utf-8", note, len);
	}
	if (strcmp(url, "/v1/audit/entries") == 0)
		return entries(c);
	if (strcmp(url, "/v1/audit/proof/inclusion") == 0)
		return proof(c, 0);
	if (strcmp(url, "/v1/audit/proof/consistency") == 0)
		return proof(c, 1);
	return fakehttp_error(c, 404, "not_found");
}

int main(int argc, char **argv)
{
	struct fakehttp_args a;
	int rc;

	if (fakehttp_args(argc, argv, "--db", &a) != 0) {
		fprintf(stderr, "usage: fake_audit_server --db FILE --token T --port-file F "
				"[--fault NAME]\n");
		return 2;
	}
	token = a.token;
	fault = a.fault;
	if ((rc = store_open(&st, a.own, STORE_READONLY)) != 0) {
		fprintf(stderr, "fake_audit_server: %s: %s\n", a.own, ak_strerror(rc));
		return 2;
	}
	rc = fakehttp_serve("fake_audit_server", handle, NULL, a.port_file);
	store_close(st);
	return rc;
}
