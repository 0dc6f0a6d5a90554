/*
 * fake_verify_server: a test helper that serves the verifier side of
 * DESIGN.md's HTTP API from files, so `ankang-verify sync` can be tested
 * against lists the test controls (tampered, rolled back) and an upload
 * endpoint that misbehaves on purpose.
 *
 *   fake_verify_server --dir D --token T --port-file F [--fault NAME]
 *
 * Listens on 127.0.0.1 on a port the kernel picks, writes it to F, and
 * serves until SIGTERM or SIGINT:
 *   GET  /v1/trust          the bytes of D/trust.note, read afresh each time
 *   GET  /v1/revocations    the bytes of D/revocations.note
 *   POST /v1/scans          {"scans": [...]}: appends "<id> <cti|-> <time>
 *                           <result> <sig|->" to D/received for each id not
 *                           seen before and "<count>" to D/pages per
 *                           request; answers {"accepted": N, "duplicates": M}
 *
 * When D/codes exists (one credential text a line, read afresh for each
 * upload: the codes the test "issued"), a scan is attributed as the
 * service attributes it (docs/API.md, POST /v1/scans) only when its sig is
 * the signature of the code in D/codes with its cti; any other scan is
 * recorded as "<id> - <time> malformed -". That is how the test sees that
 * ankang-verify uploads the very signature of the code it scanned. The
 * service's other rule (the time within the code's validity) is not
 * modelled: it is the service's to test.
 * A request with an Authorization header other than "Bearer T" gets 401
 * bad_token, as the real service answers; POST /v1/scans without one gets
 * 401 no_token.
 *
 * Faults, one at a time:
 *   fail-second   the second POST /v1/scans answers 503 (nothing recorded)
 *   miscount      POST /v1/scans answers accepted 0, duplicates 0
 *   redirect-other  every request is redirected to another host
 * Test use only; single-threaded (MHD's internal polling thread). The
 * replies and the daemon's life are tests/lib/fakehttp.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "tests/lib/fakehttp.h"

#define BODY_MAX (1u << 20)

static const char *dir, *token, *fault = "";
static int posts;

struct req {
	char *buf;
	size_t len;
	int too_big;
};

static enum MHD_Result send_file(struct MHD_Connection *c, const char *name)
{
	char path[4096], *text;
	size_t len;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (util_read_file(path, 16u << 20, &text, &len) != 0)
		return fakehttp_error(c, 404, "not_found");
	return fakehttp_body(c, 200, "text/plain; charset=utf-8", text, len);
}

/* 1 when id is a line's first field in D/received. */
static int seen(const char *id)
{
	char path[4096], line[256];
	size_t n = strlen(id);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "%s/received", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strncmp(line, id, n) == 0 && line[n] == ' ';
	fclose(f);
	return found;
}

/* The codes in D/codes: each one's cti and signature. */
struct issued {
	uint8_t cti[CRED_CTI_BYTES];
	uint8_t sig[CRED_SIG_BYTES];
};

/* Loads D/codes into *out (malloc'd, *n entries). Returns 1 when the file
 * exists, 0 when it does not, -1 when it does not parse as codes. */
static int load_codes(struct issued **out, size_t *n)
{
	char path[4096], *text, *line, *save = NULL;
	size_t len, cap = 0;
	struct cred *cr;
	int rc = 1;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof path, "%s/codes", dir);
	if (util_read_file(path, 1u << 20, &text, &len) != 0)
		return 0;
	if ((cr = malloc(sizeof *cr)) == NULL) {
		free(text);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		void *p;
		if (cred_parse(cr, line, strlen(line)) != 0) {
			rc = -1;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((p = realloc(*out, cap * sizeof **out)) == NULL) {
				rc = -1;
				break;
			}
			*out = p;
		}
		memcpy((*out)[*n].cti, cr->claims.cti, CRED_CTI_BYTES);
		memcpy((*out)[*n].sig, cr->sig, CRED_SIG_BYTES);
		(*n)++;
	}
	free(cr);
	free(text);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* 1 when the scan's cti (hex, or NULL) and sig (hex, or NULL) are a code
 * of codes[0..n): the verifier saw that code. */
static int attributed(const struct issued *codes, size_t n, const char *cti, const char *sig)
{
	uint8_t c[CRED_CTI_BYTES], s[CRED_SIG_BYTES];

	if (cti == NULL || sig == NULL ||
	    util_hex_decode_lower(c, sizeof c, cti, strlen(cti)) != 0 ||
	    util_hex_decode_lower(s, sizeof s, sig, strlen(sig)) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (memcmp(codes[i].cti, c, sizeof c) == 0 &&
		    memcmp(codes[i].sig, s, sizeof s) == 0)
			return 1;
	return 0;
}

static enum MHD_Result scans(struct MHD_Connection *c, const struct req *q)
{
	char path[4096];
	json_error_t err;
	json_t *root, *arr;
	size_t accepted = 0, dups = 0, ncodes = 0;
	struct issued *codes = NULL;
	int have_codes;
	FILE *rf, *pf;

	root = json_loadb(q->buf ? q->buf : "", q->len, JSON_REJECT_DUPLICATES, &err);
	arr = json_object_get(root, "scans");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(arr) ||
	    json_array_size(arr) == 0 || json_array_size(arr) > 1000) {
		json_decref(root);
		return fakehttp_error(c, 400, "bad_field");
	}
	if (++posts == 2 && strcmp(fault, "fail-second") == 0) {
		json_decref(root);
		return fakehttp_error(c, 503, "unavailable");
	}
	if ((have_codes = load_codes(&codes, &ncodes)) < 0) {
		json_decref(root);
		return fakehttp_error(c, 500, "internal");
	}
	snprintf(path, sizeof path, "%s/received", dir);
	rf = fopen(path, "a");
	snprintf(path, sizeof path, "%s/pages", dir);
	pf = fopen(path, "a");
	if (rf == NULL || pf == NULL) {
		if (rf)
			fclose(rf);
		if (pf)
			fclose(pf);
		free(codes);
		json_decref(root);
		return fakehttp_error(c, 500, "internal");
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		json_t *id = json_object_get(s, "id"), *cti = json_object_get(s, "cti");
		json_t *t = json_object_get(s, "time"), *r = json_object_get(s, "result");
		json_t *sig = json_object_get(s, "sig");
		const char *cti_s, *sig_s;
		/* Exactly the API's keys: sig only beside a cti (vwire.h). */
		if (!json_is_object(s) || json_object_size(s) != 4u + (sig != NULL) ||
		    !json_is_string(id) || json_string_length(id) != 32 ||
		    !(json_is_string(cti) || json_is_null(cti)) || !json_is_integer(t) ||
		    !json_is_string(r) || (sig != NULL && !json_is_string(sig)) ||
		    (sig != NULL && !json_is_string(cti))) {
			fclose(rf);
			fclose(pf);
			free(codes);
			json_decref(root);
			return fakehttp_error(c, 400, "bad_field");
		}
		if (seen(json_string_value(id))) {
			dups++;
			continue;
		}
		cti_s = json_is_string(cti) ? json_string_value(cti) : NULL;
		sig_s = sig != NULL ? json_string_value(sig) : NULL;
		if (have_codes && !attributed(codes, ncodes, cti_s, sig_s))
			fprintf(rf, "%s - %lld malformed -\n", json_string_value(id),
				(long long)json_integer_value(t));
		else
			fprintf(rf, "%s %s %lld %s %s\n", json_string_value(id),
				cti_s != NULL ? cti_s : "-", (long long)json_integer_value(t),
				json_string_value(r), sig_s != NULL ? sig_s : "-");
		fflush(rf);
		accepted++;
	}
	fprintf(pf, "%zu\n", json_array_size(arr));
	fclose(rf);
	fclose(pf);
	free(codes);
	json_decref(root);
	if (strcmp(fault, "miscount") == 0)
		accepted = dups = 0;
	return fakehttp_json(c, 200,
			     json_pack("{s:I,s:I}", "accepted", (json_int_t)accepted, "duplicates",
				       (json_int_t)dups));
}

static void done_cb(void *cls, struct MHD_Connection *c, void **req,
		    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *req;

	(void)cls;
	(void)c;
	(void)toe;
	if (q != NULL) {
		free(q->buf);
		free(q);
	}
	*req = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **reqp)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	struct req *q = *reqp;
	char want[600];

	(void)cls;
	(void)version;
	if (q == NULL) { /* first call: headers only */
		if ((q = calloc(1, sizeof *q)) == NULL)
			return MHD_NO;
		*reqp = q;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (q->len + *upload_size > BODY_MAX) {
			q->too_big = 1;
		} else {
			char *p = realloc(q->buf, q->len + *upload_size + 1);
			if (p == NULL)
				return MHD_NO;
			q->buf = p;
			memcpy(q->buf + q->len, upload, *upload_size);
			q->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return fakehttp_error(c, 413, "too_large");
	snprintf(want, sizeof want, "Bearer %s", token);
	if (auth != NULL && strcmp(auth, want) != 0)
		return fakehttp_error(c, 401, "bad_token");
	if (strcmp(fault, "redirect-other") == 0) {
		char loc[700];
		snprintf(loc, sizeof loc, "http://other.invalid%s", url);
		return fakehttp_redirect(c, loc);
	}
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/trust") == 0)
		return send_file(c, "trust.note");
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/revocations") == 0)
		return send_file(c, "revocations.note");
	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/scans") == 0) {
		if (auth == NULL)
			return fakehttp_error(c, 401, "no_token");
		return scans(c, q);
	}
	return fakehttp_error(c, 404, "not_found");
}

int main(int argc, char **argv)
{
	struct fakehttp_args a;

	if (fakehttp_args(argc, argv, "--dir", &a) != 0) {
		fprintf(stderr, "usage: fake_verify_server --dir D --token T --port-file F "
				"[--fault NAME]\n");
		return 2;
	}
	dir = a.own;
	token = a.token;
	fault = a.fault;
	return fakehttp_serve("fake_verify_server", handle, done_cb, a.port_file);
}
