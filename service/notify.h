/*
 * notify: tells the service manager what state ankangd serve is in, by
 * systemd's readiness protocol (sd_notify(3)): one datagram of
 * newline-separated KEY=value assignments to the Unix socket named by
 * $NOTIFY_SOCKET, which systemd sets for a Type=notify unit.
 *
 *   READY=1       the store is open, its self-check passed and every
 *                 listening socket accepts connections
 *   STATUS=...    one line for `systemctl status` (never personal data)
 *   STOPPING=1    a clean stop has begun
 *
 * Without NOTIFY_SOCKET (a start by hand, the tests) it does nothing.
 */
#ifndef ANKANG_NOTIFY_H
#define ANKANG_NOTIFY_H

/*
 * Sends the assignments fmt spells (printf-style, at most 1 KiB) to
 * $NOTIFY_SOCKET. 0 when sent or when there is no NOTIFY_SOCKET;
 * AK_EINVAL for a NOTIFY_SOCKET that is not a Unix socket's path or
 * abstract name; AK_ETOOBIG for a longer message; AK_EIO when the
 * datagram could not be sent. Safe from one thread at a time.
 */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
