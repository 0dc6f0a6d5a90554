/*
 * notify_listen: a test helper that plays systemd's side of the readiness
 * protocol (sd_notify(3)) for tests/sh/serve_notify.sh.
 *
 *   notify_listen SOCKET PORT_FILE SECONDS
 *
 * Binds a Unix datagram socket at SOCKET (a path, or @name in the
 * abstract namespace, as NOTIFY_SOCKET spells them), prints "bound" once
 * it can receive, then prints each assignment of each datagram as
 *
 *   PID KEY=value
 *
 * PID being the sender's, from the kernel (SCM_CREDENTIALS), so a test
 * can tell the main process from a child. On READY=1 it reads the first
 * port in PORT_FILE and connects to 127.0.0.1 on it at once, printing
 * "PID accepting=yes" when the connection is taken and "PID accepting=no"
 * when it is refused or there is no port yet: READY=1 sent before the
 * socket listens shows as "no". It exits 0 after a datagram with
 * STOPPING=1, 1 after SECONDS without one, 2 on bad usage or a socket it
 * cannot bind. Output is flushed line by line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

/* Whether something accepts TCP connections on 127.0.0.1 at the port
 * PORT_FILE names first. */
static int accepting(const char *port_file)
{
	struct sockaddr_in sin;
	char *text = NULL;
	size_t len = 0, digits;
	uint64_t port;
	int fd, ok;

	if (util_read_file(port_file, 4096, &text, &len) != 0)
		return 0;
	digits = strspn(text, "0123456789");
	ok = digits > 0 && util_parse_u64(text, digits, &port) == 0 && port > 0 && port < 65536;
	free(text);
	if (!ok || (fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return ok;
}

/* Prints one datagram's assignments; 1 when it held STOPPING=1. */
static int print_datagram(char *msg, size_t n, long pid, const char *port_file)
{
	int stopping = 0;
	char *line = msg, *end = msg + n, *nl;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if (*line == '\0')
			continue;
		printf("%ld %s\n", pid, line);
		if (strcmp(line, "READY=1") == 0)
			printf("%ld accepting=%s\n", pid, accepting(port_file) ? "yes" : "no");
		if (strcmp(line, "STOPPING=1") == 0)
			stopping = 1;
	}
	fflush(stdout);
	return stopping;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	socklen_t salen;
	uint64_t seconds;
	size_t plen;
	int fd, one = 1;

	if (argc != 4 || (plen = strlen(argv[1])) == 0 || plen >= sizeof sa.sun_path ||
	    (argv[1][0] != '/' && argv[1][0] != '@') ||
	    util_parse_u64(argv[3], strlen(argv[3]), &seconds) != 0 || seconds > 3600) {
		fprintf(stderr, "usage: notify_listen /PATH|@NAME PORT_FILE SECONDS\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], plen);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	if (argv[1][0] == '@') {
		sa.sun_path[0] = '\0';
		salen--; /* an abstract name has no terminator */
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, salen) != 0) {
		perror("notify_listen: bind");
		return 2;
	}
	printf("bound\n");
	fflush(stdout);

	/* Bounded: SECONDS of 100 ms polls at most. */
	for (uint64_t tick = 0; tick < seconds * 10; tick++) {
		struct pollfd p = {fd, POLLIN, 0};
		char msg[4096], ctl[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = {msg, sizeof msg - 1};
		struct msghdr mh = {0};
		struct cmsghdr *c;
		long pid = -1;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof ctl;
		if ((n = recvmsg(fd, &mh, 0)) < 0)
			continue;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cr;
				memcpy(&cr, CMSG_DATA(c), sizeof cr);
				pid = (long)cr.pid;
			}
		if (print_datagram(msg, (size_t)n, pid, argv[2]))
			return 0;
	}
	return 1;
}
