/*
 * cli: shared helpers for the programs' main() paths (see cli.h).
 */
#include "common/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cli_prog = "ankang";

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

long cli_read_line(char *buf, size_t cap, size_t max)
{
	size_t n = 0;
	int c, too_long = 0;

	if (cap <= max)
		return -2;
	while ((c = getchar()) != EOF && c != '\n') {
		if (n < max)
			buf[n++] = (char)c;
		else
			too_long = 1;
	}
	if (c == EOF && n == 0 && !too_long)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return too_long ? -2 : (long)n;
}
