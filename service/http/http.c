/*
 * http: the libmicrohttpd glue (see http.h).
 *
 * Life of a request, in libmicrohttpd's terms: the access callback is
 * called once with no body (we make the request and let the dispatcher
 * match its route), then once per body chunk (we copy up to the route's
 * cap), then once with an empty chunk (the dispatcher runs). When it has
 * an operation for the audit writer, the connection is suspended first
 * and the operation submitted after; the writer's completion resumes the
 * connection, which makes libmicrohttpd call the access callback once
 * more, and there the dispatcher answers. Suspending before submitting
 * matters: the writer may finish before the submit call returns, and a
 * resume must never precede its suspend.
 */
#include "service/http/http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common/util.h"
#include "service/http/guard.h"
#include "service/http/http_int.h"
#include "service/http/web.h"
#include "service/http/metrics.h"
#include "service/oplog.h"

/* Per-connection memory for headers and buffers; larger headers get 431. */
#define HTTP_CONN_MEMORY (16 * 1024)

struct http_server {
	app *app;
	struct http_settings s;
	struct MHD_Daemon *d[HTTP_MAX_SOCKETS];
	size_t n_d;
	struct metrics *metrics;
	struct guard *guard;
	/* Requests being dispatched, or suspended and not yet taken back by
	 * the daemon's thread: the drain at stop waits for none. Counted
	 * before dispatch_run looks at app_stopping, which http_stop sets
	 * before it reads the count, so a request either sees the stop (and
	 * is answered 503 without being suspended) or is waited for. A
	 * resume is only a request to the daemon's thread: until it has moved
	 * the connection off its suspended list, MHD_stop_daemon aborts the
	 * process, so the count drops when the request runs again (or
	 * completes), not when it is resumed. */
	atomic_int inflight;
	/* libmicrohttpd keeps pointers to these until the daemon stops. */
	char *tls_cert, *tls_key;
};

void http_settings_default(struct http_settings *s)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(s, 0, sizeof *s);
	snprintf(s->listen[0].host, sizeof s->listen[0].host, "127.0.0.1");
	s->listen[0].port = 8080;
	s->n_listen = 1;
	s->threads = ncpu > 2 ? (unsigned)(2 * ncpu) : 4;
	s->max_body = HTTP_DEFAULT_MAX_BODY;
	s->connections = HTTP_DEFAULT_CONNECTIONS;
	s->per_address = HTTP_DEFAULT_PER_ADDRESS;
	s->idle_s = HTTP_DEFAULT_IDLE_S;
	s->head_s = HTTP_DEFAULT_HEAD_S;
	s->request_s = HTTP_DEFAULT_REQUEST_S;
}

/* A request and its transport state, allocated together. */
struct conn_request {
	struct request rq;
	struct http_internal in;
	http_server *h;
};

/* ---------------------------------------------------------- lookups */

static const char *lookup_header(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *lookup_query(void *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

/* X-Forwarded-For's values, joined by ',' in the order received: a proxy
 * may add a header line of its own rather than extend the client's. */
struct xff {
	char text[1024];
	size_t len;
	int overflow;
};

static enum MHD_Result add_xff(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct xff *x = cls;
	size_t n;

	(void)kind;
	/* A header with no value names no address (and memcpy may not be
	 * given NULL, even for 0 bytes). */
	if (value == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	n = strlen(value);
	if (x->len + n + 2 > sizeof x->text) {
		x->overflow = 1;
		return MHD_NO;
	}
	if (x->len > 0)
		x->text[x->len++] = ',';
	memcpy(x->text + x->len, value, n);
	x->len += n;
	x->text[x->len] = '\0';
	return MHD_YES;
}

/* The address the rate limits count the request under (forwarded.h). */
static void client_address(const http_server *h, struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct xff x = {.len = 0};
	int any = 0;

	if (h->s.n_trusted > 0)
		any =
		    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_xff, &x) > 0 && x.len > 0;
	/* Too long to be a proxy chain: as malformed, the peer itself. */
	forwarded_client(ci ? ci->client_addr : NULL, any && !x.overflow ? x.text : NULL,
			 x.overflow ? NULL : h->s.trusted, x.overflow ? 0 : h->s.n_trusted, out,
			 cap);
}

/* ------------------------------------------------------------- sending */

/* Queues the dispatcher's reply. MHD_NO closes the connection. */
static enum MHD_Result send_reply(struct conn_request *cr)
{
	struct http_reply *r = &cr->in.reply;
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (r->status == 0) {
		/* The dispatcher always answers; a request without one is a bug
		 * of ours, and the client gets a plain 500. */
		reply_error(&cr->rq, API_INTERNAL);
	}
	/* The body goes to libmicrohttpd as it is, not copied; it frees it
	 * (wiping) once sent. */
	resp = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, reply_body_free);
	if (resp == NULL)
		return MHD_NO;
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	/* Answers may carry personal data: never cached (but the pages'
	 * files, h_web.c), never sniffed, never framed, no Referer sent on
	 * from a page, and nothing loaded but what web_csp allows. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				r->cache != NULL ? r->cache : "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", web_csp(r->content_type));
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	/* The camera for the checkpoint's scanner, and nothing else a page
	 * could ask a phone for. */
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(self), microphone=(), geolocation=(), payment=(), usb=()");
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ok = MHD_queue_response(cr->in.conn, r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* The writer's completion, on its thread: wakes the connection. */
static void on_durable(void *arg, int rc, uint64_t index)
{
	struct conn_request *cr = arg;

	cr->in.op_index = index;
	atomic_store(&cr->in.op_rc, rc);
	/* Once resumed, the connection's thread may answer and free cr at
	 * any moment: nothing of it is touched after this. */
	MHD_resume_connection(cr->in.conn);
}

/* The request no longer counts for the drain (see inflight). */
static void unpark(struct conn_request *cr)
{
	if (!cr->in.parked)
		return;
	cr->in.parked = 0;
	atomic_fetch_sub(&cr->h->inflight, 1);
}

static enum MHD_Result run(struct conn_request *cr)
{
	int rc;

	guard_received(cr->in.conn); /* in: its deadline stops */
	cr->in.parked = 1;
	atomic_fetch_add(&cr->h->inflight, 1);
	if (dispatch_run(&cr->rq) == DISPATCH_REPLY) {
		unpark(cr);
		return send_reply(cr);
	}
	MHD_suspend_connection(cr->in.conn);
	if ((rc = dispatch_submit(&cr->rq, on_durable, cr)) != 0)
		on_durable(cr, rc, 0); /* not queued: resume at once with the error */
	return MHD_YES;
}

/* --------------------------------------------------------- the callbacks */

/* Room for need bytes of body. Grown by doubling, never by realloc: the
 * old block may hold a passphrase, and is wiped before it is freed. */
static int body_reserve(struct http_internal *in, size_t need)
{
	size_t cap = in->body_room ? in->body_room : 1024;
	char *p;

	if (need <= in->body_room)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = malloc(cap)) == NULL)
		return AK_ENOMEM;
	if (in->body != NULL) {
		memcpy(p, in->body, in->body_len);
		sodium_memzero(in->body, in->body_room);
		free(in->body);
	}
	in->body = p;
	in->body_room = cap;
	return 0;
}

static struct conn_request *request_new(http_server *h, struct MHD_Connection *conn,
					const char *method, const char *url, const char *version)
{
	struct conn_request *cr = calloc(1, sizeof *cr);

	if (cr == NULL)
		return NULL;
	cr->h = h;
	cr->rq.app = h->app;
	cr->rq.in = &cr->in;
	cr->in.conn = conn;
	cr->in.method = method;
	cr->in.path = url;
	cr->in.header = lookup_header;
	cr->in.query = lookup_query;
	cr->in.metrics = h->metrics;
	cr->in.t0 = util_mono_ns();
	client_address(h, conn, cr->rq.client, sizeof cr->rq.client);
	cr->in.route_index = n_routes; /* unmatched, until a route is found */
	if (guard_check(conn, version) != GUARD_OK) {
		/* Refused before any route is looked at; the connection closes
		 * after the answer, so nothing behind this request is read. */
		cr->in.reply.close = 1;
		reply_error(&cr->rq, API_BAD_REQUEST);
		return cr;
	}
	dispatch_begin(&cr->rq, h->s.max_body);
	return cr;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	http_server *h = cls;
	struct conn_request *cr = *con_cls;

	if (cr == NULL) {
		if ((cr = request_new(h, conn, method, url, version)) == NULL)
			return MHD_NO;
		*con_cls = cr;
		/* Answered at the head (400, 404, 405, a declared 413): at once,
		 * and the body, if any, is never read. */
		if (cr->in.reply.status == 0)
			return MHD_YES;
		guard_received(conn);
		return send_reply(cr);
	}
	if (*upload_size > 0) {
		struct http_internal *in = &cr->in;
		size_t n = *upload_size;
		*upload_size = 0;
		if (in->reply.status != 0 || in->too_big)
			return MHD_YES; /* discard */
		if (in->body_len + n > in->body_cap) {
			in->too_big = 1;
			return MHD_YES;
		}
		if (body_reserve(in, in->body_len + n + 1) != 0)
			return MHD_NO;
		memcpy(in->body + in->body_len, upload_data, n);
		in->body_len += n;
		in->body[in->body_len] = '\0';
		return MHD_YES;
	}
	switch (cr->in.phase) {
	case PHASE_READING:
		return run(cr);
	case PHASE_WAITING:
		unpark(cr);
		dispatch_resumed(&cr->rq, atomic_load(&cr->in.op_rc), cr->in.op_index);
		return send_reply(cr);
	default:
		return MHD_YES;
	}
}

/* The method as the request log shows it: the route's when one matched,
 * else a standard method word, else "?". A method the route table does not
 * know is whatever the client sent, and the log holds no request data. */
static const char *log_method(const struct conn_request *cr)
{
	static const char *const known[] = {"GET",     "HEAD",  "POST",    "PUT",  "DELETE",
					    "OPTIONS", "PATCH", "CONNECT", "TRACE"};

	if (cr->rq.route != NULL)
		return cr->rq.route->method;
	for (size_t i = 0; i < AK_ARRAY_LEN(known); i++)
		if (strcmp(cr->in.method, known[i]) == 0)
			return known[i];
	return "?";
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_server *h = cls;
	struct conn_request *cr = *con_cls;
	const struct api_error_info *e;
	uint64_t ns;
	unsigned status;

	/* Also for requests libmicrohttpd refused itself (cr NULL). */
	guard_completed(conn);
	if (cr == NULL)
		return;
	unpark(cr);
	ns = util_mono_ns() - cr->in.t0;
	/* Status 0: the client went away before it was answered. */
	status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? cr->in.reply.status : 0;
	metrics_request(h->metrics, cr->in.route_index, status, ns);
	e = cr->in.error != API_OK ? api_error_info(cr->in.error) : NULL;
	/* The route's pattern, never the path: it may hold a handle. */
	oplog_request(log_method(cr), cr->rq.route ? cr->rq.route->pattern : "-", status,
		      e ? e->code : NULL, ns);
	dispatch_free(&cr->rq);
	if (cr->in.body != NULL) {
		sodium_memzero(cr->in.body, cr->in.body_room); /* may hold a passphrase */
		free(cr->in.body);
	}
	free(cr);
	*con_cls = NULL;
}

/* libmicrohttpd's own complaints (malformed requests, TLS failures): they
 * never include bodies, but may include a client's header line, so only
 * their first words reach the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[120];
	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	oplog_note("libmicrohttpd: %.60s", line);
}

/* ------------------------------------------------------ start and stop */

/*
 * A listening socket, made here rather than by libmicrohttpd so that a
 * taken address is told apart (AK_EEXIST) and no other process can share
 * it: SO_REUSEADDR (a restart need not wait out TIME_WAIT), never
 * SO_REUSEPORT, with which a second service would silently take half of
 * the first one's connections. An IPv6 socket is IPv6 only, so that
 * [::]:P and 0.0.0.0:P are two sockets, each as asked. *b receives what
 * was bound.
 */
static int listen_socket(const struct addrinfo *ai, int *fd, struct http_bound *b)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof bound;
	int s, one = 1, err;

	if ((s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errno == EAFNOSUPPORT ? AK_EINVAL : AK_EIO;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, SOMAXCONN) != 0 ||
	    getsockname(s, (struct sockaddr *)&bound, &len) != 0) {
		err = errno;
		close(s);
		return err == EADDRINUSE      ? AK_EEXIST
		       : err == EACCES        ? AK_EDENIED
		       : err == EADDRNOTAVAIL ? AK_EINVAL
					      : AK_EIO;
	}
	memset(b, 0, sizeof *b);
	/* getsockname filled bound, which the analyser does not know. */
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	if (bound.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&bound;
		inet_ntop(AF_INET6, &v6->sin6_addr, b->addr, sizeof b->addr);
		b->v6 = 1;
		b->port = ntohs(v6->sin6_port);
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&bound;
		inet_ntop(AF_INET, &v4->sin_addr, b->addr, sizeof b->addr);
		b->port = ntohs(v4->sin_port);
	}
	*fd = s;
	return 0;
}

/*
 * The sockets of one --listen address into fds and bound from *n on. A
 * name may resolve to an address this machine cannot bind (::1 where
 * IPv6 is off): that one is left out while another binds.
 */
static int listen_on(const struct http_listen *l, int *fds, struct http_bound *bound, size_t *n)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	size_t first = *n;
	int rc = 0, skipped = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", l->port);
	if (getaddrinfo(l->host, port, &hints, &res) != 0)
		return AK_ENOENT;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int dup = 0;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		/* /etc/hosts may list an address twice. */
		for (struct addrinfo *p = res; p != ai && !dup; p = p->ai_next)
			dup = p->ai_addrlen == ai->ai_addrlen &&
			      memcmp(p->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0;
		if (dup)
			continue;
		if (*n == HTTP_MAX_SOCKETS) {
			rc = AK_ETOOBIG;
			break;
		}
		rc = listen_socket(ai, &fds[*n], &bound[*n]);
		if (rc == AK_EINVAL && (res->ai_next != NULL)) {
			skipped = 1;
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		(*n)++;
	}
	freeaddrinfo(res);
	if (rc == 0 && *n == first)
		rc = skipped ? AK_EINVAL : AK_ENOENT;
	return rc;
}

static void free_server(http_server *h)
{
	guard_stop(h->guard);
	free(h->tls_cert);
	if (h->tls_key != NULL)
		sodium_free(h->tls_key);
	metrics_free(h->metrics);
	free(h);
}

static void stop_daemons(http_server *h)
{
	for (size_t i = 0; i < h->n_d; i++)
		MHD_stop_daemon(h->d[i]);
	h->n_d = 0;
}

int http_start(http_server **out, app *a, const struct http_settings *s, struct http_bound *bound,
	       size_t *n_bound, size_t *failed)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	int fds[HTTP_MAX_SOCKETS];
	unsigned threads, connections;
	http_server *h;
	size_t len, n = 0;
	int rc;

	/* cmd_serve always has one (127.0.0.1:8080 by default); with none,
	 * the sharing out below would divide by zero. */
	assert(s->n_listen > 0);
	*out = NULL;
	*n_bound = 0;
	*failed = 0;
	reply_install_allocator();
	oplog_quiet(s->quiet);
	if ((h = calloc(1, sizeof *h)) == NULL)
		return AK_ENOMEM;
	h->app = a;
	h->s = *s;
	if ((h->metrics = metrics_new(n_routes)) == NULL) {
		free_server(h);
		return AK_ENOMEM;
	}
	{
		struct guard_config gc = {s->head_s, s->request_s};
		if ((rc = guard_start(&h->guard, &gc)) != 0) {
			free_server(h);
			return rc;
		}
		metrics_set_guard(h->metrics, h->guard);
	}
	metrics_set_witnessing(h->metrics, app_witnessing(a));
	metrics_set_epochshare(h->metrics, app_epochshare(a));
	if (s->tls_cert != NULL) {
		if ((rc = util_read_file(s->tls_cert, 1 << 20, &h->tls_cert, &len)) != 0 ||
		    (rc = util_read_secret_file(s->tls_key, 1 << 20, &h->tls_key, &len)) != 0) {
			free_server(h);
			return rc;
		}
		flags |= MHD_USE_TLS;
	}
	for (size_t i = 0; i < s->n_listen; i++)
		if ((rc = listen_on(&s->listen[i], fds, bound, &n)) != 0) {
			*failed = i;
			goto fail;
		}
	/* Shared out, so that more sockets do not mean more of either. */
	threads = (s->threads + (unsigned)n - 1) / (unsigned)n;
	connections = (s->connections + (unsigned)n - 1) / (unsigned)n;
	for (; h->n_d < n; h->n_d++) {
		h->d[h->n_d] = MHD_start_daemon(
		    flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
		    NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fds[h->n_d],
		    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->per_address,
		    MHD_OPTION_URI_LOG_CALLBACK, guard_uri_log, h->guard,
		    MHD_OPTION_NOTIFY_CONNECTION, guard_connection, h->guard,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->idle_s,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		    h->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->tls_cert,
		    MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_END);
		if (h->d[h->n_d] == NULL) {
			rc = AK_EIO;
			goto fail;
		}
	}
	*n_bound = n;
	*out = h;
	return 0;

fail:
	/* A started daemon closes its own socket when it stops. */
	for (size_t i = h->n_d; i < n; i++)
		close(fds[i]);
	stop_daemons(h);
	free_server(h);
	return rc;
}

void http_stop(http_server *h)
{
	if (h == NULL)
		return;
	app_stop_accepting(h->app);
	for (size_t i = 0; i < h->n_d; i++) {
		MHD_socket fd = MHD_quiesce_daemon(h->d[i]);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	/* Requests already waiting on the writer finish: their leaves are
	 * durable or failed, and their callers get an answer. The writer
	 * answers every queued operation, so this ends; the bound is for a
	 * writer stuck on its disk. */
	for (int i = 0; i < 6000 && atomic_load(&h->inflight) > 0; i++)
		usleep(10000);
	if (atomic_load(&h->inflight) > 0) {
		/* Stopping the daemons would free connections the writer will
		 * still resume: leave them to the process's exit. */
		oplog_note("%d requests still wait on the audit writer at shutdown",
			   atomic_load(&h->inflight));
		return;
	}
	stop_daemons(h);
	free_server(h);
}
