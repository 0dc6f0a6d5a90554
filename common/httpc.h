/*
 * httpc: the bounded HTTP client the command-line tools use to talk to
 * the service (ankang-audit's --server backend, ankang-verify's sync and
 * online mode), over libcurl.
 *
 * The server is not trusted, and this module is the boundary, so every
 * request is bounded:
 *   - only http and https, for the first request and any redirect;
 *   - GET redirects are followed by hand, at most HTTPC_MAX_HOPS, and only
 *     to the same scheme, host and port: the bearer token is never sent
 *     anywhere the user did not name. A POST is never redirected;
 *   - a connect timeout and a whole-request timeout;
 *   - a size cap per response (checked against Content-Length up front
 *     and while the body arrives), so a hostile server cannot exhaust
 *     memory;
 *   - TLS peers are verified (the system's CAs, or a given bundle).
 * The token lives in the request headers only; every copy is wiped when
 * the handle closes, and it never appears in a message. Of an error body
 * only its "error" code, reduced to [a-z0-9_], reaches a message, so
 * nothing the server says reaches a terminal unchecked.
 *
 * Library code: returns 0 or a negative AK_E* code and never prints;
 * after a failure httpc_what() says what went wrong in plain words.
 * One handle per thread; the tools are single-threaded, and ankangd's
 * witness workers (service/witnessing.h) each own one, opened and closed
 * in the main thread (httpc_open and httpc_close keep a count of users of
 * libcurl's global state, which is not thread-safe).
 */
#ifndef ANKANG_HTTPC_H
#define ANKANG_HTTPC_H

#include <stddef.h>

#define HTTPC_MAX_HOPS  3
#define HTTPC_URL_MAX   2048
#define HTTPC_TOKEN_MAX 512
/* The most a token file may hold (httpc_token_read). */
#define HTTPC_TOKEN_FILE_MAX 1024
/* Default whole-request timeout, when the options give 0. */
#define HTTPC_TIMEOUT_S 60L

typedef struct httpc httpc;

struct httpc_options {
	const char *url;    /* http(s)://host[:port][/prefix]; no credentials, query, fragment */
	const char *token;  /* bearer token (printable ASCII), or NULL to send none */
	const char *cacert; /* a CA bundle for https, or NULL for the system's */
	long timeout_s;     /* per request; 0 = HTTPC_TIMEOUT_S */
	const char *user_agent; /* e.g. "ankang-audit/1"; NULL = "ankang/1" */
};

/*
 * Sets up (does not yet contact) a server. The token is copied into the
 * handle's headers; the caller may wipe its own copy at once. Returns 0,
 * AK_EINVAL (a URL or token not of the forms above) or AK_ENOMEM.
 */
int httpc_open(httpc **out, const struct httpc_options *o);

/* Wipes the token's copies and frees the handle. NULL is a no-op. */
void httpc_close(httpc *h);

/* The base URL as kept (without trailing slashes), for messages. */
const char *httpc_base_url(const httpc *h);

/* What went wrong last, in plain words; "" before any failure. */
const char *httpc_what(const httpc *h);

/* The HTTP status of the last answer, 0 when there was none. */
long httpc_status(const httpc *h);

/*
 * GETs base URL + path (path holds no secrets and is printable: messages
 * show it) with a body cap of max bytes. On 200 returns 0 with the body in
 * *out (malloc'd, NUL-terminated, the NUL not counted in *outlen).
 * Failures:
 *   AK_EIO      no answer (connection, timeout, TLS), a redirect without a
 *               usable Location or too many of them, or an HTTP status
 *               other than those below;
 *   AK_ETOOBIG  the answer is larger than max;
 *   AK_EDENIED  HTTP 401 or 403, or a redirect to another origin;
 *   AK_ENOENT   HTTP 404;
 *   AK_EINVAL   HTTP 400, or a path that makes the URL too long;
 *   AK_ENOMEM.
 */
int httpc_get(httpc *h, const char *path, size_t max, char **out, size_t *outlen);

/*
 * POSTs body[0..len) as application/json to base URL + path; the answer is
 * handled as httpc_get's (a 3xx is AK_EIO: a POST is never redirected).
 * Only 200 and 201 are success.
 */
int httpc_post_json(httpc *h, const char *path, const char *body, size_t len, size_t max,
		    char **out, size_t *outlen);

/*
 * POSTs body[0..len) as text/plain to base URL + path, for protocols whose
 * error answers carry meaning (a C2SP witness's 409 holds its tree size):
 * any answer but a redirect is a success, with its status in
 * httpc_status() and its body in *out as httpc_get's. Failures: AK_EIO (no
 * answer, or a 3xx: a POST is never redirected), AK_ETOOBIG, AK_EINVAL (a
 * path that makes the URL too long), AK_ENOMEM.
 */
int httpc_post_text(httpc *h, const char *path, const char *body, size_t len, size_t max,
		    char **out, size_t *outlen);

/* 1 when t could be a bearer token: 1..HTTPC_TOKEN_MAX printable ASCII. */
int httpc_token_valid(const char *t);

/*
 * Reads a bearer token from a file that group and others may not read or
 * write (a tool's --token-file), so the token stays off the command line:
 * the file's bytes less trailing CR and LF, NUL-terminated, in
 * sodium_malloc'd memory. The caller passes it to httpc_open (which
 * copies it) and then releases it with httpc_token_free; whether it is a
 * token at all is httpc_token_valid's or httpc_open's to say. Returns 0,
 * or util_read_secret_file's AK_EPERM (group or others have access),
 * AK_ENOENT, AK_ETOOBIG (over HTTPC_TOKEN_FILE_MAX bytes), AK_EIO,
 * AK_ENOMEM.
 */
int httpc_token_read(const char *path, char **token);

/* Wipes and frees a token from httpc_token_read. NULL is a no-op. */
void httpc_token_free(char *token);

/*
 * The "error" code of an error body ({"error": "...", "message": ...}),
 * reduced to at most cap-1 characters of [a-z0-9_]; "" when the body is
 * not such an object. Pure.
 */
void httpc_error_code(const char *body, size_t len, char *code, size_t cap);

#endif
