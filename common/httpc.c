/*
 * httpc: the bounded HTTP client of the command-line tools (see httpc.h).
 * Moved here from ankang-audit's source_http.c so that ankang-verify's
 * sync and online mode share the same limits rather than a second copy.
 *
 * One easy handle per httpc, reused for every request (connection reuse);
 * the options that bound a request are set once in setup() and the
 * per-request ones (URL, method, body, cap) in perform(). The token is in
 * exactly three curl_slist header lists, wiped in httpc_close(). Both tools'
 * --token-file is read here (httpc_token_read), into sodium_malloc'd
 * memory the caller frees as soon as httpc_open has its copy.
 */
#include "common/httpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common/util.h"

#define CONNECT_TIMEOUT_S 10L

struct httpc {
	CURL *curl;
	struct curl_slist *get_headers, *post_headers, *text_headers;
	char base_url[HTTPC_URL_MAX];
	char errbuf[CURL_ERROR_SIZE];
	char what[256];
	long status;
};

struct body {
	char *buf;
	size_t len, cap, max;
	int too_big;
};

static int curl_users;

/* Sets h->what; returns rc so callers can `return failf(...)`. */
static int failf(httpc *h, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(httpc *h, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->what, sizeof h->what, fmt, ap);
	va_end(ap);
	return rc;
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
static int set_base(httpc *h, const char *url)
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

void httpc_error_code(const char *body, size_t len, char *code, size_t cap)
{
	json_error_t err;
	json_t *root, *e;
	const char *s;
	size_t j = 0;

	if (cap == 0)
		return;
	code[0] = '\0';
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err)) == NULL)
		return;
	e = json_object_get(root, "error");
	if (json_is_string(e)) {
		s = json_string_value(e);
		for (size_t i = 0; s[i] != '\0' && j + 1 < cap; i++) {
			char c = s[i];
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
				code[j++] = c;
		}
		code[j] = '\0';
	}
	json_decref(root);
}

static int status_error(httpc *h, const char *method, long status, const char *path,
			const struct body *b)
{
	char code[48];
	int rc;

	httpc_error_code(b->buf ? b->buf : "", b->len, code, sizeof code);
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
	return failf(h, rc, "%s %s: HTTP %ld%s%s%s", method, path, status, code[0] ? " (" : "",
		     code, code[0] ? ")" : "");
}

/*
 * One request to base URL + path: a GET when body is NULL, else a POST of
 * body[0..len) with the headers hdrs (NULL: the JSON ones). Same-origin
 * redirects of a GET are followed by hand. any_status: an answer of any
 * status other than a redirect is a success (the caller reads
 * httpc_status), so its body reaches the caller.
 */
static int perform(httpc *h, const char *path, const char *body, size_t len,
		   struct curl_slist *hdrs, int any_status, size_t max, char **out, size_t *outlen)
{
	const char *method = body != NULL ? "POST" : "GET";
	struct body b = {NULL, 0, 0, max, 0};
	char *url;
	int rc = AK_EIO;

	*out = NULL;
	*outlen = 0;
	h->status = 0;
	if ((url = malloc(HTTPC_URL_MAX)) == NULL)
		return failf(h, AK_ENOMEM, "%s %s: out of memory", method, path);
	if ((size_t)snprintf(url, HTTPC_URL_MAX, "%s%s", h->base_url, path) >= HTTPC_URL_MAX) {
		free(url);
		return failf(h, AK_EINVAL, "URL too long");
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
		if (body != NULL) {
			curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER,
					 hdrs != NULL ? hdrs : h->post_headers);
			curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->get_headers);
			curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		}
		cc = curl_easy_perform(h->curl);
		if (cc == CURLE_FILESIZE_EXCEEDED || (cc == CURLE_WRITE_ERROR && b.too_big)) {
			rc = failf(h, AK_ETOOBIG, "%s %s: response larger than %zu bytes", method,
				   path, max);
			goto done;
		}
		if (cc != CURLE_OK) {
			rc = failf(h, cc == CURLE_OUT_OF_MEMORY ? AK_ENOMEM : AK_EIO, "%s %s: %s",
				   method, path, h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
			goto done;
		}
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
		if (h->status >= 300 && h->status < 400) {
			if (body != NULL) {
				rc = failf(h, AK_EIO,
					   "POST %s: HTTP %ld; refusing to redirect a POST", path,
					   h->status);
				goto done;
			}
			curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &next);
			if (next == NULL || strlen(next) >= HTTPC_URL_MAX) {
				rc = failf(h, AK_EIO, "GET %s: HTTP %ld without a usable Location",
					   path, h->status);
				goto done;
			}
			if (!same_origin(h->base_url, next)) {
				rc = failf(h, AK_EDENIED,
					   "GET %s: redirected to another host, scheme or port;"
					   " refusing (the token goes only to the server named)",
					   path);
				goto done;
			}
			if (hop + 1 >= HTTPC_MAX_HOPS) {
				rc = failf(h, AK_EIO, "GET %s: more than %d redirects", path,
					   HTTPC_MAX_HOPS - 1);
				goto done;
			}
			snprintf(url, HTTPC_URL_MAX, "%s", next);
			continue;
		}
		if (!any_status && h->status != 200 && !(body != NULL && h->status == 201)) {
			rc = status_error(h, method, h->status, path, &b);
			goto done;
		}
		break;
	}
	if (b.buf == NULL && (b.buf = calloc(1, 1)) == NULL) {
		rc = failf(h, AK_ENOMEM, "%s %s: out of memory", method, path);
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

int httpc_get(httpc *h, const char *path, size_t max, char **out, size_t *outlen)
{
	return perform(h, path, NULL, 0, NULL, 0, max, out, outlen);
}

int httpc_post_json(httpc *h, const char *path, const char *body, size_t len, size_t max,
		    char **out, size_t *outlen)
{
	return perform(h, path, body != NULL ? body : "", len, NULL, 0, max, out, outlen);
}

int httpc_post_text(httpc *h, const char *path, const char *body, size_t len, size_t max,
		    char **out, size_t *outlen)
{
	return perform(h, path, body != NULL ? body : "", len, h->text_headers, 1, max, out,
		       outlen);
}

/* ------------------------------------------------------------ the handle */

const char *httpc_base_url(const httpc *h)
{
	return h->base_url;
}

const char *httpc_what(const httpc *h)
{
	return h->what;
}

long httpc_status(const httpc *h)
{
	return h->status;
}

static void wipe_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

void httpc_close(httpc *h)
{
	if (h == NULL)
		return;
	wipe_headers(h->get_headers);
	wipe_headers(h->post_headers);
	wipe_headers(h->text_headers);
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
	if (--curl_users == 0)
		curl_global_cleanup();
}

int httpc_token_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > HTTPC_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e)
			return 0;
	return 1;
}

int httpc_token_read(const char *path, char **token)
{
	char *t = NULL;
	size_t len = 0;
	int rc;

	*token = NULL;
	if ((rc = util_read_secret_file(path, HTTPC_TOKEN_FILE_MAX, &t, &len)) != 0)
		return rc;
	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
		t[--len] = '\0';
	*token = t;
	return 0;
}

void httpc_token_free(char *token)
{
	if (token != NULL) {
		sodium_memzero(token, strlen(token));
		sodium_free(token); /* which wipes the whole allocation too */
	}
}

/* Builds one header list: the token (if any), then the fixed lines. */
static int headers(struct curl_slist **out, const char *token, const char *const *lines)
{
	char auth[32 + HTTPC_TOKEN_MAX];
	struct curl_slist *l = NULL, *n;

	*out = NULL;
	if (token != NULL) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		l = curl_slist_append(NULL, auth);
		sodium_memzero(auth, sizeof auth);
		if (l == NULL)
			return AK_ENOMEM;
	}
	for (; *lines != NULL; lines++) {
		if ((n = curl_slist_append(l, *lines)) == NULL) {
			wipe_headers(l);
			return AK_ENOMEM;
		}
		l = n;
	}
	*out = l;
	return 0;
}

static int setup(httpc *h, const struct httpc_options *o)
{
	static const char *const get_lines[] = {"Accept: application/json, text/plain", NULL};
	static const char *const post_lines[] = {
	    "Accept: application/json", "Content-Type: application/json",
	    /* No "100-continue" round trip for small bodies. */
	    "Expect:", NULL};
	static const char *const text_lines[] = {"Content-Type: text/plain; charset=utf-8",
						 "Expect:", NULL};
	long timeout = o->timeout_s > 0 ? o->timeout_s : HTTPC_TIMEOUT_S;
	int bad = 0, rc;

	if ((rc = headers(&h->get_headers, o->token, get_lines)) != 0 ||
	    (rc = headers(&h->post_headers, o->token, post_lines)) != 0 ||
	    (rc = headers(&h->text_headers, o->token, text_lines)) != 0)
		return rc;
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
	bad |= curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->get_headers) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_USERAGENT,
				o->user_agent != NULL ? o->user_agent : "ankang/1") != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	if (o->cacert != NULL)
		bad |= curl_easy_setopt(h->curl, CURLOPT_CAINFO, o->cacert) != CURLE_OK;
	return bad ? AK_EINVAL : 0;
}

int httpc_open(httpc **out, const struct httpc_options *o)
{
	httpc *h;
	int rc;

	*out = NULL;
	if (o->url == NULL || (o->token != NULL && !httpc_token_valid(o->token)))
		return AK_EINVAL;
	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return AK_ENOMEM;
	curl_users++;
	if ((h = calloc(1, sizeof *h)) == NULL) {
		if (--curl_users == 0)
			curl_global_cleanup();
		return AK_ENOMEM;
	}
	if ((rc = set_base(h, o->url)) != 0)
		goto fail;
	rc = AK_ENOMEM;
	/* cppcheck-suppress redundantAssignment ; rc stays AK_ENOMEM when init fails */
	if ((h->curl = curl_easy_init()) == NULL || (rc = setup(h, o)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	httpc_close(h);
	return rc;
}
