/*
 * http: ankangd's HTTP transport on libmicrohttpd, on top of an open app
 * (app.h). It reads requests, hands them to the dispatcher (routes.h says
 * the order), suspends a connection while its operation waits for the
 * audit writer, and sends what the dispatcher answered.
 *
 * The server's threads never wait on the writer, so a few threads carry
 * many requests in flight and the writer gathers them into large batches.
 *
 * Never: log a body, a token, a query string, a path or a client address;
 * answer a request that changes state or reveals personal data before its
 * operation's leaves are durable.
 */
#ifndef ANKANG_HTTP_H
#define ANKANG_HTTP_H

#include <stddef.h>

#include "service/app.h"
#include "service/http/forwarded.h"

#define HTTP_DEFAULT_MAX_BODY    16384
#define HTTP_DEFAULT_CONNECTIONS 4096
#define HTTP_DEFAULT_PER_ADDRESS 64
#define HTTP_DEFAULT_IDLE_S      30
#define HTTP_DEFAULT_HEAD_S      10
#define HTTP_DEFAULT_REQUEST_S   30
#define HTTP_MAX_TRUSTED         64 /* --trusted-proxy ranges at most */

#define HTTP_MAX_LISTEN  16 /* --listen addresses at most */
#define HTTP_MAX_SOCKETS 32 /* listening sockets at most, names resolved */

/* An address to listen on: a host name, an IPv4 address, or an IPv6
 * address (without its brackets). A name listens on every address it
 * resolves to. */
struct http_listen {
	char host[256];
	unsigned port; /* 0: any free port */
};

struct http_settings {
	struct http_listen listen[HTTP_MAX_LISTEN]; /* default: 127.0.0.1:8080 */
	size_t n_listen;
	unsigned threads;     /* server threads */
	const char *tls_cert; /* PEM files, or NULL for plain HTTP */
	const char *tls_key;
	size_t max_body;      /* cap on any request body */
	unsigned connections; /* open connections at most */
	unsigned per_address; /* open connections per client address at most */
	unsigned idle_s;      /* a keep-alive connection idle this long is closed */
	unsigned head_s;      /* a request's head must arrive within this (guard.h) */
	unsigned request_s;   /* and its head and body within this */
	int quiet;            /* no per-request log lines */
	/* Peers whose X-Forwarded-For names the client (forwarded.h). */
	struct forwarded_net trusted[HTTP_MAX_TRUSTED];
	size_t n_trusted;
};

void http_settings_default(struct http_settings *s);

typedef struct http_server http_server;

/* A listening socket, as bound. */
struct http_bound {
	char addr[FORWARDED_ADDR_MAX]; /* numeric */
	int v6;
	unsigned port; /* the port bound (useful with port 0) */
};

/*
 * Starts one libmicrohttpd daemon per listening socket: each --listen
 * address, a name's every address (IPv6 sockets are IPv6 only, so
 * [::]:P and 0.0.0.0:P both bind). --threads and --max-connections are
 * shared out among the sockets; --per-address counts per socket.
 * s->listen holds at least one address.
 * Returns 0 with the sockets in bound[0..*n_bound) (room for
 * HTTP_MAX_SOCKETS), in the order of s->listen; or an AK_E* code with
 * *failed the index in s->listen of the address that failed: AK_ENOENT
 * when a name does not resolve, AK_EINVAL when the address is not one of
 * this machine's, AK_EEXIST when it is in use, AK_EDENIED when it may not
 * be bound (a port below 1024), AK_ETOOBIG past HTTP_MAX_SOCKETS.
 */
int http_start(http_server **out, app *a, const struct http_settings *s, struct http_bound *bound,
	       size_t *n_bound, size_t *failed);

/* Stops accepting, lets every request waiting on the writer finish and be
 * answered, then stops. NULL is a no-op. */
void http_stop(http_server *h);

#endif
