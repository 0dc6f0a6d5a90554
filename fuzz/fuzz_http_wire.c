/*
 * fuzz_http_wire: the bytes of a connection, through the whole server:
 * ankangd's HTTP layer (http_start: libmicrohttpd, guard.c's checks of
 * the request target and header lines, X-Forwarded-For from a trusted
 * proxy, the body's cap) on a real core (fuzz/http_fixture.h), listening
 * on 127.0.0.1 with port 0. Each input, its placeholders replaced, is
 * written to a new connection and followed by one last request,
 *
 *   GET /healthz HTTP/1.1, Connection: close
 *
 * so that the server closes the connection once it has answered
 * everything; the answers are read until then (or 1.5 s idle: an
 * input may leave a body unfinished, which the server's own deadlines,
 * set to a second here, cut).
 *
 * Where fuzz_http splits a request itself, this target lets
 * libmicrohttpd do it, so it reaches what only the wire has: request
 * lines and header lines of any shape, several Content-Length or
 * Transfer-Encoding lines (guard.c refuses them), chunked bodies, NULs
 * and controls in the target, pipelined requests, and bodies cut short.
 *
 * Invariants checked, on every answer read: a status line with a status
 * the API has; our answers (JSON) pass fx_check (an error from the
 * table, no 5xx, no personal data); an answer that is not ours comes
 * from libmicrohttpd itself refusing the request, with a 4xx or 505 it
 * may give. Plus ASan and UBSan over the server's threads.
 *
 * Seeds (corpus/http_wire/): requests of corpus/http/ in wire form (CRLF,
 * Host), pipelined, chunked, with smuggling-shaped headers.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fuzz/http_fixture.h"
#include "service/http/http.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LAST     "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n"
#define READ_MAX (4u << 20)

static struct metrics *metrics;
static http_server *server;
static unsigned port;
static int trace;

static void stop(void)
{
	http_stop(server);
	server = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_settings s;
	struct http_bound bound[HTTP_MAX_SOCKETS];
	size_t n = 0, failed = 0;

	(void)argc, (void)argv;
	trace = getenv("FUZZ_HTTP_TRACE") != NULL;
	signal(SIGPIPE, SIG_IGN);
	if ((metrics = metrics_new(n_routes)) == NULL)
		fx_die("metrics_new");
	fx_open(metrics);
	http_settings_default(&s);
	s.listen[0].port = 0;
	s.threads = 2;
	s.idle_s = 1;
	s.head_s = 1;
	s.request_s = 2;
	s.quiet = 1;
	if (forwarded_net_parse("127.0.0.0/8", &s.trusted[0]) != 0)
		fx_die("forwarded_net_parse");
	s.n_trusted = 1;
	if (http_start(&server, fx.app, &s, bound, &n, &failed) != 0 || n == 0)
		fx_die("http_start");
	port = bound[0].port;
	/* After fx_open's: atexit runs this first, so the server stops
	 * before the core closes. */
	atexit(stop);
	return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the server closed early: it may, having answered */
		p += w;
		n -= (size_t)w;
	}
}

/* Everything the server sends until it closes, or 1.5 s without a byte. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;
		if (poll(&p, 1, 1500) <= 0)
			break;
		if ((r = recv(fd, buf + n, cap - n, 0)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

/* The value of header name in head[0..len), or NULL (into out). */
static const char *head_value(const char *head, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *p = head; p < head + len;) {
		const char *eol = memmem(p, (size_t)(head + len - p), "\r\n", 2);
		size_t ln = eol ? (size_t)(eol - p) : (size_t)(head + len - p);
		if (ln > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(p + ln - v), v);
			return out;
		}
		p += ln + 2;
	}
	return NULL;
}

/* libmicrohttpd's own refusals: a request it cannot take as HTTP. */
static int mhd_status(unsigned s)
{
	return s == 400 || s == 413 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505;
}

/* Checks each answer in buf[0..n); returns how many there were. */
static unsigned check_answers(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n;
	unsigned count = 0;

	while (end - p >= 12 && memcmp(p, "HTTP/1.", 7) == 0) {
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		char v[64], ct[64];
		struct fx_answer a = {0};
		uint64_t len = 0;
		unsigned status;

		if (hend == NULL || p[8] != ' ' || p[9] < '1' || p[9] > '5') {
			fprintf(stderr, "%.*s\n", (int)(end - p < 200 ? end - p : 200), p);
			fx_die("an answer without a head");
		}
		status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
		if (status == 100) {
			/* Expect: 100-continue's interim answer: a head alone. */
			p = hend + 4;
			continue;
		}
		if (head_value(p, (size_t)(hend - p), "Content-Length", v, sizeof v) == NULL ||
		    util_parse_u64(v, strlen(v), &len) != 0)
			break; /* not framed by length: the rest cannot be split */
		if ((uint64_t)(end - (hend + 4)) < len)
			break; /* cut short (the connection was cut) */
		if (head_value(p, (size_t)(hend - p), "Content-Type", ct, sizeof ct) == NULL)
			ct[0] = '\0';
		count++;
		if (trace)
			fprintf(stderr, "  -> %u %s\n", status, ct);
		if (strncmp(ct, "application/json", 16) != 0 && !fx_is_success(status)) {
			/* Not ours: all our errors are JSON. */
			if (!mhd_status(status))
				fx_die("a refusal of libmicrohttpd's with a status it should not "
				       "give");
		} else {
			enum api_error e;
			a.status = status;
			snprintf(a.content_type, sizeof a.content_type, "%s", ct);
			a.body = (char *)hend + 4;
			a.len = (size_t)len;
			e = fx_check(&a);
			if (e != API_OK && api_error_is_ours(e))
				fx_die("a 5xx: the service's own failure");
		}
		p = hend + 4 + len;
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char req[FX_EXPANDED], buf[READ_MAX];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	size_t n, got;
	int fd;

	fx_settle(metrics);
	n = fx_expand(data, size, req, sizeof req - strlen(LAST));
	a.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		fx_die("connecting to the server");
	/* In one write: two would wait out Nagle and the delayed ACK. */
	memcpy(req + n, LAST, strlen(LAST));
	send_all(fd, req, n + strlen(LAST));
	got = read_all(fd, buf, sizeof buf);
	close(fd);
	if (trace)
		fprintf(stderr, "%zu bytes in, %zu out, %u answers\n", n, got,
			check_answers(buf, got));
	else
		check_answers(buf, got);
	return 0;
}
