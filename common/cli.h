/*
 * cli: what the three programs share at their edges: one-line error
 * messages and the exit statuses they mean.
 *
 *   0  success (for ankang-verify: every code valid)
 *   1  a check failed (a code not valid, a log that does not verify)
 *   2  usage, bad input or I/O error
 *
 * Messages name files, options and error kinds, never personal data.
 */
#ifndef ANKANG_CLI_H
#define ANKANG_CLI_H

#include <stddef.h>

#define CLI_OK     0
#define CLI_FAILED 1
#define CLI_USAGE  2

/* Set by main() to the program's name, used as the message prefix. */
extern const char *cli_prog;

/* Prints "<prog>: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads one line (without its "\n" or "\r\n") of at most max bytes from
 * stdin into buf (cap > max). Returns the length, -1 at EOF, or -2 when the
 * line was longer than max (the rest of it is consumed). */
long cli_read_line(char *buf, size_t cap, size_t max);

#endif
