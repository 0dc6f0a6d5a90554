/*
 * fakehttp.h: what the fake servers in tests/helpers share, header only:
 * their arguments, the replies (a body, JSON, an error, a redirect) and
 * the life of the libmicrohttpd daemon (listen on 127.0.0.1 on a port the
 * kernel picks, write the port to a file, serve until SIGTERM or SIGINT).
 *
 * Error bodies have the service's shape, {"error": code, "message": ...},
 * with the code as the message: clients must read only the code. Test use
 * only: no limits beyond what each fake sets, single-threaded (MHD's
 * internal polling thread).
 */
#ifndef ANKANG_FAKEHTTP_H
#define ANKANG_FAKEHTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/util.h"

/* Every fake's arguments: its own option (--db FILE, --dir D) and
 * --token T --port-file F [--fault NAME]. */
struct fakehttp_args {
	const char *own, *token, *port_file;
	const char *fault; /* "" for none */
};

/* Reads argv as option-value pairs, own naming the fake's own option.
 * Returns 0, or -1 when own, --token or --port-file is missing. */
static inline int fakehttp_args(int argc, char **argv, const char *own, struct fakehttp_args *a)
{
	memset(a, 0, sizeof *a);
	a->fault = "";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], own) == 0)
			a->own = argv[i + 1];
		else if (strcmp(argv[i], "--token") == 0)
			a->token = argv[i + 1];
		else if (strcmp(argv[i], "--port-file") == 0)
			a->port_file = argv[i + 1];
		else if (strcmp(argv[i], "--fault") == 0)
			a->fault = argv[i + 1];
	}
	return a->own != NULL && a->token != NULL && a->port_file != NULL ? 0 : -1;
}

/* Queues body[0..len) (malloc'd; always freed) with status and type. */
static inline enum MHD_Result fakehttp_body(struct MHD_Connection *c, unsigned status,
					    const char *type, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ok;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Queues j as compact JSON; takes the reference to j. */
static inline enum MHD_Result fakehttp_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL)
		return MHD_NO;
	return fakehttp_body(c, status, "application/json", s, strlen(s));
}

static inline enum MHD_Result fakehttp_error(struct MHD_Connection *c, unsigned status,
					     const char *code)
{
	return fakehttp_json(c, status, json_pack("{s:s,s:s}", "error", code, "message", code));
}

/* Queues a 302 to location, with an empty body. */
static inline enum MHD_Result fakehttp_redirect(struct MHD_Connection *c, const char *location)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok;

	MHD_add_response_header(r, "Location", location);
	ok = MHD_queue_response(c, 302, r);
	MHD_destroy_response(r);
	return ok;
}

/*
 * Serves with handle (and done, when not NULL, on each request's end) on
 * 127.0.0.1 port port_no (0: a port the kernel picks), written with a
 * newline to port_file, until SIGTERM or SIGINT. prog names the fake in
 * messages. Returns main()'s exit status: 0, or 2 when it cannot listen
 * or write the port. A fixed port lets a test stop a fake and start it
 * again where its clients expect it.
 */
static inline int fakehttp_serve_on(const char *prog, unsigned port_no,
				    MHD_AccessHandlerCallback handle,
				    MHD_RequestCompletedCallback done, const char *port_file)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	sigset_t set;
	char port[16];
	int sig;

	/* Block the signals before MHD's thread starts, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port_no);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	if (d == NULL || (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		fprintf(stderr, "%s: cannot listen\n", prog);
		return 2;
	}
	snprintf(port, sizeof port, "%u\n", (unsigned)info->port);
	if (util_write_file_atomic(port_file, port, strlen(port), 0644, 0) != 0) {
		fprintf(stderr, "%s: cannot write %s\n", prog, port_file);
		return 2;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}

/* fakehttp_serve_on a port the kernel picks. */
static inline int fakehttp_serve(const char *prog, MHD_AccessHandlerCallback handle,
				 MHD_RequestCompletedCallback done, const char *port_file)
{
	return fakehttp_serve_on(prog, 0, handle, done, port_file);
}

#endif
