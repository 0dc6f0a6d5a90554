/*
 * cli: shared helpers for the programs' main() paths (see cli.h): error
 * lines, dispatch to a command, the option loop, and the option rules the
 * tools share.
 */
#include "common/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "gen/version.h"

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

int cli_version(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--version") != 0)
		return 0;
	printf("%s %s\n", cli_prog, ANKANG_VERSION);
	return 1;
}

int cli_dispatch(int argc, char **argv, const struct cli_command *commands, size_t n,
		 void (*usage)(FILE *f))
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (cli_version(argc, argv))
		return CLI_OK;
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command '%.40s' (try --help)", argv[1]);
	return CLI_USAGE;
}

int cli_getopt(int argc, char **argv, const struct option *opts, int help, const char *usage,
	       int *status)
{
	int c = getopt_long(argc, argv, "", opts, NULL);

	if (c == -1)
		return 0;
	if (c != help && c != '?')
		return c;
	fputs(usage, c == help ? stdout : stderr);
	*status = c == help ? CLI_OK : CLI_USAGE;
	return -1;
}

int cli_timeout(const char *arg, long *out)
{
	uint64_t v;

	if (util_parse_u64(arg, strlen(arg), &v) != 0 || v == 0 || v > 3600) {
		cli_error("--timeout takes 1 to 3600 seconds");
		return -1;
	}
	*out = (long)v;
	return 0;
}

int cli_no_operands(int argc, char **argv, const char *cmd)
{
	if (optind == argc)
		return CLI_OK;
	/* Not echoed: a stray word may be half of a name. */
	(void)argv;
	cli_error("%s: unexpected argument (try --help)", cmd);
	return CLI_USAGE;
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
