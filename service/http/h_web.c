/*
 * web pages: GET /, /check, /audit, /officer, /sw.js and /assets/{file}
 * (web.h).
 *
 *   /         the resident's page: enrol, log in, the code, who checked it
 *   /check    the checkpoint's scanner
 *   /audit    the auditor's dashboard
 *   /officer  the officer's desk: look-ups, status changes, paper codes,
 *             appeals, household consent, the officer's own actions
 *   /sw.js    the pages' service worker, which keeps / and /check and
 *             their assets so that they open with no network (the last
 *             code, the saved lists); at the top of the site, since a
 *             worker controls only pages under its own folder
 *
 * All are public and read nothing of anyone's (routes.c: DATA_PUBLIC, no
 * leaf): a page is the same bytes for everyone, and everything personal
 * it shows comes from the API, with a token the page holds in the
 * browser's storage and sends in a header, never in a URL.
 *
 * Headers (web_csp here, sent by http.c for every answer): the pages'
 * policy allows scripts and styles from this origin only, no inline
 * script, no eval; images from this origin and blob: (the code's SVG,
 * fetched with the token, is shown through a blob URL); the camera's
 * stream (mediastream:); no framing. A script's own policy matters only
 * when it runs as a worker, whose fetches it governs: it may fetch from
 * this origin and nothing else. Every other answer gets "default-src
 * 'none'", so an SVG or a JSON body opened directly can run nothing.
 * Hashed assets are cached for a year; pages and the worker never (a new
 * build is seen on the next load). Text goes gzipped to a client that
 * takes it (compressed at build time: no work per request).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/http/http_int.h"
#include "service/http/web.h"

static const char page_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
static const char worker_csp[] = "default-src 'none'; connect-src 'self'; frame-ancestors 'none'";
static const char data_csp[] = "default-src 'none'; frame-ancestors 'none'; sandbox";

const char *web_csp(const char *content_type)
{
	if (content_type != NULL && strncmp(content_type, "text/html", 9) == 0)
		return page_csp;
	if (content_type != NULL && strncmp(content_type, "text/javascript", 15) == 0)
		return worker_csp;
	return data_csp;
}

const struct web_file *web_find(const char *url)
{
	for (size_t i = 0; i < n_web_files; i++)
		if (strcmp(web_files[i].url, url) == 0)
			return &web_files[i];
	return NULL;
}

/* Whether the client takes gzip: "gzip" among Accept-Encoding's codings,
 * and not refused with q=0. */
static int takes_gzip(const char *accept)
{
	const char *p = accept;

	while (p != NULL && *p != '\0') {
		size_t n;
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,;");
		if (n == 4 && strncasecmp(p, "gzip", 4) == 0) {
			const char *end = p + strcspn(p, ",");
			const char *q = strstr(p, "q=");
			return !(q != NULL && q < end && strtod(q + 2, NULL) == 0.0);
		}
		p = strchr(p, ',');
	}
	return 0;
}

static enum api_error send_file(struct request *rq, const struct web_file *f)
{
	if (f == NULL)
		return API_NO_ROUTE;
	reply_cache(rq, f->cache);
	if (f->gz == NULL)
		return reply_bytes(rq, 200, f->content_type, f->data, f->len);
	reply_header(rq, "Vary", "Accept-Encoding");
	if (!takes_gzip(rq->in->header(rq->in->conn, "Accept-Encoding")))
		return reply_bytes(rq, 200, f->content_type, f->data, f->len);
	reply_header(rq, "Content-Encoding", "gzip");
	return reply_bytes(rq, 200, f->content_type, f->gz, f->gz_len);
}

static enum api_error page(struct request *rq, uint64_t index)
{
	(void)index;
	return send_file(rq, web_find(rq->in->path));
}

static enum api_error asset(struct request *rq, uint64_t index)
{
	char url[sizeof "/assets/" + REQUEST_PARAM_MAX];
	(void)index;

	snprintf(url, sizeof url, "/assets/%s", rq->param);
	return send_file(rq, web_find(url));
}

const struct route_handler h_page = {NULL, page, 0, NULL};
const struct route_handler h_asset = {NULL, asset, 0, NULL};
