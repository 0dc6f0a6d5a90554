/*
 * source_http: the log read from the service's auditor endpoints over
 * HTTP(S) with libcurl (contract in wire.h and DESIGN.md's API table).
 *
 * The server is not trusted, and this file is the boundary, so every
 * request is bounded:
 *   - only http and https, for the first request and any redirect;
 *   - redirects are followed by hand, at most MAX_HOPS, and only to the
 *     same scheme, host and port: the bearer token is never sent anywhere
 *     the auditor did not name;
 *   - a connect timeout and a whole-request timeout;
 *   - a size cap per response (checked against Content-Length up front
 *     and while the body arrives), so a hostile server cannot exhaust
 *     memory;
 *   - TLS peers are verified (the system's CAs, or --cacert).
 * The token lives in one header; its copies are wiped when the source
 * closes. Error bodies contribute only their sanitised code to messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "audit/source_int.h"
#include "audit/wire.h"
#include "common/util.h"
#include "crypto/checkpoint.h"

#define MAX_HOPS          3
#define CONNECT_TIMEOUT_S 10L
#define DEFAULT_TIMEOUT_S 60L
#define TOKEN_MAX         512
#define URL_MAX           2048
#define CAP_NOTE          (64u << 10)
#define CAP_PROOF         (64u << 10)
/* A page of 1000 leaves of at most 512 bytes, base64 and fields: ~1.5 MB. */
#define CAP_ENTRIES (8u << 20)

struct http_source {
	struct audit_source base; /* first: the handle is cast back and forth */
	CURL *curl;
	struct curl_slist *headers;
	char base_url[URL_MAX];
	char errbuf[CURL_ERROR_SIZE];
};

struct body {
	char *buf;
	size_t len, cap, max;
	int too_big;
};

static int curl_users;

static struct http_source *hs(audit_source *s)
{
	return (struct http_source *)s;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;

	if (nmemb != 0 && n / nmemb != size)
		return 0;
	if (n > b->max - b->len) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		if ((q = realloc(b->buf, cap)) == NULL)
			return 0;
		b->buf = q;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* ------------------------------------------------------------------ URLs */

/* Scheme, host and port of url (lowercased by libcurl); 0 or -1. */
static int url_origin(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = *port = NULL;
	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

static void free_origin(char *a, char *b, char *c)
{
	curl_free(a);
	curl_free(b);
	curl_free(c);
}

/* 1 when both URLs have the same scheme, host and port. */
static int same_origin(const char *a, const char *b)
{
	char *s1, *h1, *p1, *s2, *h2, *p2;
	int same = 0;

	if (url_origin(a, &s1, &h1, &p1) == 0 && url_origin(b, &s2, &h2, &p2) == 0)
		same = strcasecmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 && strcmp(p1, p2) == 0;
	else
		s2 = h2 = p2 = NULL;
	free_origin(s1, h1, p1);
	free_origin(s2, h2, p2);
	return same;
}

/*
 * Accepts http(s)://host[:port][/prefix] with no credentials, query or
 * fragment, and keeps it without trailing slashes.
 */
static int set_base(struct http_source *h, const char *url)
{
	CURLU *u = curl_url();
	char *part = NULL;
	size_t len = strlen(url);
	int ok = 0;

	if (u == NULL)
		return AK_ENOMEM;
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof h->base_url || strpbrk(url, "?# \t\r\n") != NULL)
		goto done;
	memcpy(h->base_url, url, len);
	h->base_url[len] = '\0';
	if (curl_url_set(u, CURLUPART_URL, h->base_url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK ||
	    (strcmp(part, "http") != 0 && strcmp(part, "https") != 0))
		goto done;
	/* The scheme as typed must be the one libcurl read (no "host:port" guess). */
	if (strncasecmp(h->base_url, part, strlen(part)) != 0 ||
	    strncmp(h->base_url + strlen(part), "://", 3) != 0)
		goto done;
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER)
		goto done;
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || part[0] == '\0')
		goto done;
	ok = 1;
done:
	curl_free(part);
	curl_url_cleanup(u);
	return ok ? 0 : AK_EINVAL;
}

/* --------------------------------------------------------------- requests */

static int status_error(audit_source *s, long status, const char *path, const struct body *b)
{
	char code[48];
	int rc;

	wire_error_code(b->buf ? b->buf : "", b->len, code, sizeof code);
	switch (status) {
	case 400:
		rc = AK_EINVAL;
		break;
	case 401:
	case 403:
		rc = AK_EDENIED;
		break;
	case 404:
		rc = AK_ENOENT;
		break;
	default:
		rc = AK_EIO;
	}
	return source_fail(s, rc, "GET %s: HTTP %ld%s%s%s", path, status, code[0] ? " (" : "", code,
			   code[0] ? ")" : "");
}

/*
 * GETs base_url + path (path has no secrets and is printable) with a body
 * cap of max bytes. On 200 returns 0 and the body (malloc'd,
 * NUL-terminated). The path is what messages show.
 */
static int http_get(audit_source *s, const char *path, size_t max, char **out, size_t *outlen)
{
	struct http_source *h = hs(s);
	struct body b = {NULL, 0, 0, max, 0};
	char *url;
	long status = 0;
	int rc = AK_EIO;

	*out = NULL;
	*outlen = 0;
	if ((url = malloc(URL_MAX)) == NULL)
		return AK_ENOMEM;
	if ((size_t)snprintf(url, URL_MAX, "%s%s", h->base_url, path) >= URL_MAX) {
		free(url);
		return source_fail(s, AK_EINVAL, "URL too long");
	}
	for (int hop = 0;; hop++) {
		CURLcode cc;
		char *next = NULL;

		free(b.buf);
		b = (struct body){NULL, 0, 0, max, 0};
		h->errbuf[0] = '\0';
		curl_easy_setopt(h->curl, CURLOPT_URL, url);
		curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
		cc = curl_easy_perform(h->curl);
		if (cc == CURLE_FILESIZE_EXCEEDED || (cc == CURLE_WRITE_ERROR && b.too_big)) {
			rc = source_fail(s, AK_ETOOBIG, "GET %s: response larger than %zu bytes",
					 path, max);
			goto done;
		}
		if (cc != CURLE_OK) {
			rc = source_fail(s, cc == CURLE_OUT_OF_MEMORY ? AK_ENOMEM : AK_EIO,
					 "GET %s: %s", path,
					 h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
			goto done;
		}
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 300 && status < 400) {
			curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &next);
			if (next == NULL || strlen(next) >= URL_MAX) {
				rc = source_fail(s, AK_EIO,
						 "GET %s: HTTP %ld without a usable Location", path,
						 status);
				goto done;
			}
			if (!same_origin(h->base_url, next)) {
				rc = source_fail(
				    s, AK_EDENIED,
				    "GET %s: redirected to another host, scheme or port;"
				    " refusing (the token goes only to the server named)",
				    path);
				goto done;
			}
			if (hop + 1 >= MAX_HOPS) {
				rc = source_fail(s, AK_EIO, "GET %s: more than %d redirects", path,
						 MAX_HOPS - 1);
				goto done;
			}
			snprintf(url, URL_MAX, "%s", next);
			continue;
		}
		if (status != 200) {
			rc = status_error(s, status, path, &b);
			goto done;
		}
		break;
	}
	if (b.buf == NULL && (b.buf = calloc(1, 1)) == NULL) {
		rc = AK_ENOMEM;
		goto done;
	}
	*out = b.buf;
	*outlen = b.len;
	b.buf = NULL;
	rc = 0;
done:
	free(b.buf);
	free(url);
	return rc;
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

static void http_close(audit_source *s)
{
	struct http_source *h = hs(s);

	for (struct curl_slist *l = h->headers; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(h->headers);
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
	if (--curl_users == 0)
		curl_global_cleanup();
}

static const struct source_ops http_ops = {
    .checkpoint = http_checkpoint,
    .checkpoint_at = http_checkpoint_at,
    .entries = http_entries,
    .prove_inclusion = http_prove_inclusion,
    .prove_consistency = http_prove_consistency,
    .stored_leaf_hash = NULL,
    .size = NULL,
    .close = http_close,
};

static int token_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return 0;
	return 1;
}

static int setup(struct http_source *h, const struct source_http_options *o)
{
	char auth[32 + TOKEN_MAX];
	long timeout = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	struct curl_slist *l;
	int bad = 0;

	snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
	l = curl_slist_append(NULL, auth);
	sodium_memzero(auth, sizeof auth);
	if (l == NULL)
		return AK_ENOMEM;
	h->headers = l;
	if ((l = curl_slist_append(h->headers, "Accept: application/json, text/plain")) == NULL)
		return AK_ENOMEM;
	h->headers = l;

#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
	bad |= curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS,
				CURLPROTO_HTTP | CURLPROTO_HTTPS) != CURLE_OK;
#endif
	bad |= curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "ankang-audit/1") != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	if (o->cacert != NULL)
		bad |= curl_easy_setopt(h->curl, CURLOPT_CAINFO, o->cacert) != CURLE_OK;
	return bad ? AK_EINVAL : 0;
}

int source_open_http(audit_source **out, const struct source_http_options *o)
{
	struct http_source *h;
	int rc;

	*out = NULL;
	if (o->url == NULL || o->token == NULL || !token_valid(o->token))
		return AK_EINVAL;
	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return AK_ENOMEM;
	curl_users++;
	if ((h = calloc(1, sizeof *h)) == NULL) {
		if (--curl_users == 0)
			curl_global_cleanup();
		return AK_ENOMEM;
	}
	h->base.ops = &http_ops;
	if ((rc = set_base(h, o->url)) != 0)
		goto fail;
	snprintf(h->base.name, sizeof h->base.name, "server %.140s", h->base_url);
	rc = AK_ENOMEM;
	if ((h->curl = curl_easy_init()) == NULL || (rc = setup(h, o)) != 0)
		goto fail;
	*out = &h->base;
	return 0;
fail:
	http_close(&h->base);
	return rc;
}
