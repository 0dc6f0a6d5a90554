/*
 * notify: systemd's readiness protocol (notify.h), done here rather than
 * by linking libsystemd's sd_notify. The protocol is one datagram to a
 * Unix socket, documented in sd_notify(3) as a stable interface that
 * services may speak themselves; libsystemd would bring its own
 * dependencies (libgcrypt, liblz4, libzstd, liblzma, libcap) into the
 * process that holds the keys, for these few lines.
 *
 * NOTIFY_SOCKET is a path ("/run/systemd/notify") or, starting with '@',
 * a name in the abstract namespace, whose address is its bytes after a
 * leading NUL (unix(7)) with no terminator. Other forms systemd may grow
 * (vsock:...) are refused, not guessed at.
 *
 * Never: block (a datagram socket whose reader is gone fails at once),
 * raise SIGPIPE, or leave the socket open across an exec.
 */
#include "service/notify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

#define NOTIFY_MAX_BYTES 1024

int notify_send(const char *fmt, ...)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	char msg[NOTIFY_MAX_BYTES];
	size_t wlen;
	socklen_t salen;
	va_list ap;
	ssize_t sent;
	int n, fd;

	if (where == NULL || where[0] == '\0')
		return 0;
	wlen = strlen(where);
	if ((where[0] != '/' && where[0] != '@') || wlen >= sizeof sa.sun_path)
		return AK_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg)
		return AK_ETOOBIG;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, where, wlen);
	if (where[0] == '@') {
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + wlen);
	} else {
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + wlen + 1);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return AK_EIO;
	sent = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	close(fd);
	return sent == n ? 0 : AK_EIO;
}
