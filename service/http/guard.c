/*
 * guard: requests refused before any handler, and deadlines (see guard.h).
 *
 * What libmicrohttpd 0.9.75 does without it (src/microhttpd/connection.c):
 *   - parse_connection_headers reads only the first Content-Length and the
 *     first Transfer-Encoding, ignores Content-Length when there is a
 *     Transfer-Encoding, and reads a body of any Transfer-Encoding other
 *     than "chunked" until the connection closes: a proxy in front that
 *     reads the other header sees another message;
 *   - process_header_line keeps "Content-Length " (a space before the
 *     colon) as a header of another name, which it then ignores;
 *   - MHD_http_unescape turns "%00" into a NUL, so the handler's path ends
 *     there;
 *   - its idle timeout is reset by every byte received, so one byte every
 *     few seconds keeps a connection forever.
 * MHD_get_connection_values_n shows every header in arrival order,
 * duplicates included; MHD_OPTION_URI_LOG_CALLBACK sees the request
 * target before it is split and decoded. Queuing a response in the first
 * access-handler call makes libmicrohttpd close the connection after it
 * (MHD_queue_response sets discard_request), and "Connection: close" says
 * so to the client.
 *
 * Per connection (its socket context) a small record: its descriptor, its
 * phase (head arriving, body arriving, in), when its request started, and
 * the kernel's count of bytes received at the start of its wait (TCP_INFO
 * tcpi_bytes_received): while that count does not move, the connection is
 * idle and its clock is held. Only the reaper reads that count, so a
 * request costs no system call here: a connection's wait for its next
 * request starts with no count, and the reaper's next pass takes it.
 * Bytes that came before that pass (at most GUARD_TICK_MS after the last
 * answer) do not start the clock; the next byte does, and
 * libmicrohttpd's idle timeout bounds the wait for it. All records are in one list under one lock,
 * which the close notification also takes before it unlinks a record;
 * libmicrohttpd sends that notification before it closes the descriptor
 * (daemon.c, MHD_cleanup_connections), so the reaper, holding the lock,
 * only ever shuts down a descriptor that is still its connection's.
 *
 * Never: close a descriptor (libmicrohttpd owns them); call into
 * libmicrohttpd while holding the lock.
 */
#include "service/http/guard.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/bg.h"
#include "common/util.h"

enum phase {
	PHASE_HEAD, /* waiting for (the rest of) a request head */
	PHASE_BODY, /* head in, body may be coming */
	PHASE_IN,   /* request in: never cut */
	PHASE_CUT,  /* shut down by the reaper */
};

struct conn {
	struct guard *g;
	struct conn *prev, *next;
	MHD_socket fd;
	/* Under the guard's lock. */
	enum phase phase;
	int idle;       /* no byte of the next request yet: clock held */
	int rx_known;   /* rx_at has been taken */
	uint64_t rx_at; /* the count when the wait began */
	uint64_t start; /* ms: when the current request started */
	/* The connection's own thread only. */
	enum guard_verdict uri;
};

struct guard {
	struct guard_config cfg;
	pthread_mutex_t mu;
	struct conn *head;
	struct guard_stats st;
	bg *reaper;
};

static uint64_t now_ms(void)
{
	return util_mono_ns() / 1000000u;
}

/* The kernel's count of bytes received on fd; -1 when it cannot tell
 * (not TCP, or a kernel before 4.1). */
static int rx_bytes(MHD_socket fd, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
		return -1;
	*out = (uint64_t)ti.tcpi_bytes_received;
	return 0;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* ------------------------------------------------------------ the reaper */

/* The time a connection in this phase may take, in ms (0: no limit). */
static uint64_t limit_of(const struct guard *g, enum phase p)
{
	unsigned s = g->cfg.request_s;

	if (p == PHASE_HEAD && g->cfg.head_s != 0 && (s == 0 || g->cfg.head_s < s))
		s = g->cfg.head_s;
	return (uint64_t)s * 1000u;
}

static uint64_t reap_step(void *ctx)
{
	struct guard *g = ctx;
	uint64_t now = now_ms(), rx, limit;

	/* Only non-blocking system calls under the lock: a connection's
	 * callbacks wait for it at most one pass. */
	pthread_mutex_lock(&g->mu);
	for (struct conn *k = g->head; k != NULL; k = k->next) {
		if (k->phase == PHASE_IN || k->phase == PHASE_CUT)
			continue;
		if (k->idle) {
			/* Two reasons, one action: each branch says why the clock runs. */
			/* NOLINTNEXTLINE(bugprone-branch-clone) */
			if (rx_bytes(k->fd, &rx) != 0) {
				k->idle = 0; /* cannot tell: the clock runs */
			} else if (!k->rx_known || rx == k->rx_at) {
				k->rx_at = rx;
				k->rx_known = 1;
				k->start = now; /* idle: the clock is held */
				continue;
			} else {
				k->idle = 0; /* its first byte came since the last pass */
			}
		}
		limit = limit_of(g, k->phase);
		if (limit == 0 || now <= k->start || now - k->start < limit)
			continue;
		/* libmicrohttpd sees the hang-up and closes the connection on
		 * its own thread, without an answer. */
		shutdown(k->fd, SHUT_RDWR);
		if (k->phase == PHASE_HEAD)
			g->st.cut_head++;
		else
			g->st.cut_request++;
		k->phase = PHASE_CUT;
	}
	pthread_mutex_unlock(&g->mu);
	return (uint64_t)GUARD_TICK_MS * 1000000u;
}

int guard_start(struct guard **out, const struct guard_config *cfg)
{
	struct guard *g;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof *g)) == NULL)
		return AK_ENOMEM;
	g->cfg = *cfg;
	pthread_mutex_init(&g->mu, NULL);
	if ((rc = bg_start(&g->reaper, "http-reaper", reap_step, g,
			   (uint64_t)GUARD_TICK_MS * 1000000u)) != 0) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void guard_stop(struct guard *g)
{
	if (g == NULL)
		return;
	bg_stop(g->reaper);
	/* After MHD_stop_daemon every connection has had its close
	 * notification; what is left is freed all the same. */
	while (g->head != NULL) {
		struct conn *k = g->head;
		g->head = k->next;
		free(k);
	}
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void guard_get_stats(struct guard *g, struct guard_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->st;
	pthread_mutex_unlock(&g->mu);
}

/* ------------------------------------------------------- notifications */

void guard_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode toe)
{
	struct guard *g = cls;
	struct conn *k;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		if (ci == NULL || (k = calloc(1, sizeof *k)) == NULL) {
			/* A connection the guard cannot watch is not served:
			 * guard_check refuses its requests. */
			return;
		}
		k->g = g;
		k->fd = ci->connect_fd;
		k->phase = PHASE_HEAD;
		/* A new connection's bytes are all its first request's. */
		k->idle = 1;
		k->rx_known = 1;
		k->rx_at = 0;
		pthread_mutex_lock(&g->mu);
		k->start = now_ms();
		k->next = g->head;
		if (g->head != NULL)
			g->head->prev = k;
		g->head = k;
		pthread_mutex_unlock(&g->mu);
		*socket_context = k;
		return;
	}
	/* Closed: called before libmicrohttpd closes the descriptor. */
	if ((k = *socket_context) == NULL)
		return;
	*socket_context = NULL;
	pthread_mutex_lock(&g->mu);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		g->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&g->mu);
	free(k);
}

/* ---------------------------------------------------------- the request */

void *guard_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	(void)cls;

	if (k == NULL)
		return NULL;
	k->uri = GUARD_OK;
	for (const unsigned char *p = (const unsigned char *)uri; p != NULL && *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || (p[0] == '%' && p[1] == '0' && p[2] == '0')) {
			k->uri = GUARD_URI;
			break;
		}
	}
	/* What this returns becomes the request's context: none yet. */
	return NULL;
}

struct scan {
	unsigned cl, te, host;
	int te_other, bad;
};

static int is_token_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int name_is(const char *key, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(key, name, n) == 0;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct scan *s = cls;
	(void)kind;

	if (key_size == 0)
		s->bad = 1;
	for (size_t i = 0; i < key_size; i++)
		if (!is_token_char((unsigned char)key[i]))
			s->bad = 1;
	for (size_t i = 0; value != NULL && i < value_size; i++) {
		unsigned char ch = (unsigned char)value[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			s->bad = 1;
	}
	if (name_is(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		s->cl++;
	} else if (name_is(key, key_size, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		s->te++;
		if (value == NULL || value_size != 7 || strncasecmp(value, "chunked", 7) != 0)
			s->te_other = 1;
	} else if (name_is(key, key_size, MHD_HTTP_HEADER_HOST)) {
		s->host++;
	}
	return MHD_YES;
}

static enum guard_verdict verdict_of(struct conn *k, struct MHD_Connection *c, const char *version)
{
	struct scan s;

	/* The head is in: the request's whole deadline runs from now on. */
	pthread_mutex_lock(&k->g->mu);
	if (k->phase != PHASE_CUT)
		k->phase = PHASE_BODY;
	k->idle = 0;
	pthread_mutex_unlock(&k->g->mu);
	if (k->uri != GUARD_OK)
		return k->uri;
	memset(&s, 0, sizeof s);
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &s);
	if (s.bad)
		return GUARD_HEADER;
	if (s.cl > 1 || (s.te > 0 && (s.cl > 0 || s.te > 1 || s.te_other)))
		return GUARD_FRAMING;
	/* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty
	 * framing. */
	if (s.te > 0 && version != NULL && strcmp(version, MHD_HTTP_VERSION_1_0) == 0)
		return GUARD_FRAMING;
	if (s.host > 1)
		return GUARD_HOST;
	return GUARD_OK;
}

enum guard_verdict guard_check(struct MHD_Connection *c, const char *version)
{
	struct conn *k = conn_of(c);
	enum guard_verdict v;

	if (k == NULL)
		return GUARD_NO_CONTEXT;
	if ((v = verdict_of(k, c, version)) != GUARD_OK) {
		pthread_mutex_lock(&k->g->mu);
		k->g->st.refused++;
		pthread_mutex_unlock(&k->g->mu);
	}
	return v;
}

void guard_received(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->g->mu);
	if (k->phase != PHASE_CUT)
		k->phase = PHASE_IN;
	pthread_mutex_unlock(&k->g->mu);
}

void guard_completed(struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->g->mu);
	if (k->phase != PHASE_CUT) {
		/* The next request's clock starts with its first byte after
		 * the reaper's next pass, which takes the count (see the top
		 * of the file). */
		k->phase = PHASE_HEAD;
		k->start = now_ms();
		k->idle = 1;
		k->rx_known = 0;
	}
	pthread_mutex_unlock(&k->g->mu);
}
