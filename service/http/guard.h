/*
 * guard: what the HTTP transport refuses before any handler runs, and how
 * long a client may take to send a request. Written against
 * libmicrohttpd 0.9.75 (Debian 12), whose own parser lets through what
 * is refused here (guard.c says where in its source).
 *
 * Refused with 400 bad_request, and the connection closed after it so
 * that nothing sent behind the request is read as another one (request
 * smuggling):
 *   - a request target with "%00", a control byte or a space (the
 *     handler would see a path cut short at the NUL);
 *   - more than one Content-Length; Transfer-Encoding together with
 *     Content-Length; more than one Transfer-Encoding, or one other than
 *     "chunked", or one in an HTTP/1.0 request; more than one Host;
 *   - a header name that is not an RFC 9110 token ("Content-Length :"),
 *     a control byte in a header value.
 *
 * Deadlines: a request's head must arrive within head_s, and its head and
 * body within request_s, counted from its first byte (the kernel's count
 * of bytes received tells when that was: TCP_INFO), so that an idle
 * keep-alive connection is left to libmicrohttpd's idle timeout while a
 * client trickling a request a byte at a time is cut off. A connection
 * whose request is in (waiting on the audit writer, or being answered) is
 * never cut. Cutting is a shutdown(2) of the socket under the lock that
 * the connection's close notification takes; libmicrohttpd 0.9.75 sends
 * that notification before it closes the descriptor, so the reaper never
 * touches a descriptor that was closed or reused.
 *
 * The per-address connection limit is libmicrohttpd's own
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT), set beside these in http.c.
 *
 * Thread-safe: one guard per daemon, shared by its threads.
 */
#ifndef ANKANG_GUARD_H
#define ANKANG_GUARD_H

#include <stdint.h>

#include <microhttpd.h>

struct guard;

struct guard_config {
	unsigned head_s;    /* 0: no head deadline */
	unsigned request_s; /* 0: no request deadline */
};

/* What a request may be refused for (0: nothing). */
enum guard_verdict {
	GUARD_OK = 0,
	GUARD_NO_CONTEXT, /* the connection was not registered: refused */
	GUARD_URI,        /* %00, a control byte or a space in the target */
	GUARD_FRAMING, /* Content-Length / Transfer-Encoding that two readers could read two ways */
	GUARD_HOST,    /* more than one Host */
	GUARD_HEADER,  /* a header name not a token, a control byte in a value */
};

struct guard_stats {
	uint64_t refused;     /* requests refused (any verdict) */
	uint64_t cut_head;    /* connections cut: head too slow */
	uint64_t cut_request; /* connections cut: request too slow */
};

/* 0, or AK_ENOMEM. The reaper runs on a thread of its own (common/bg.h),
 * every GUARD_TICK_MS. */
#define GUARD_TICK_MS 250
int guard_start(struct guard **out, const struct guard_config *cfg);
/* After MHD_stop_daemon. NULL is a no-op. */
void guard_stop(struct guard *g);

/* libmicrohttpd's callbacks; cls is the guard. */
void *guard_uri_log(void *cls, const char *uri, struct MHD_Connection *c);
void guard_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode toe);

/* The first access-handler call: the head is in. Its verdict. */
enum guard_verdict guard_check(struct MHD_Connection *c, const char *version);
/* The request is in (head and body), or is being answered early: its
 * deadline no longer runs. */
void guard_received(struct MHD_Connection *c);
/* The request is done (libmicrohttpd's completion callback, any outcome):
 * the next one's deadline starts with its first byte. */
void guard_completed(struct MHD_Connection *c);

void guard_get_stats(struct guard *g, struct guard_stats *out);

#endif
