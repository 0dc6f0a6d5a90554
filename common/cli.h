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

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_OK     0
#define CLI_FAILED 1
#define CLI_USAGE  2

/* Set by main() to the program's name, used as the message prefix. */
extern const char *cli_prog;

/* Prints "<prog>: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A program's command: its name, what runs it, and its line in the usage. */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;
};

/*
 * --version as argv[1]: prints "<prog> <version>" to stdout and returns 1;
 * otherwise returns 0. The version is the VERSION file's, with `git
 * describe` appended when built from a git checkout (the Makefile passes it
 * in build/gen/version.h), so every program reports the same one.
 */
int cli_version(int argc, char **argv);

/*
 * main()'s dispatch on argv[1] among the n commands: runs the one named
 * and returns its status. With no command, usage(stderr) and CLI_USAGE;
 * with --help, -h or help, usage(stdout) and CLI_OK; with --version, the
 * version (cli_version) and CLI_OK; an unknown command is
 * CLI_USAGE after a message.
 */
int cli_dispatch(int argc, char **argv, const struct cli_command *commands, size_t n,
		 void (*usage)(FILE *f));

/*
 * The getopt_long loop of a command, with what every command does alike:
 *
 *	optind = 1;
 *	while ((c = cli_getopt(argc, argv, opts, help, usage, &status)) > 0)
 *		switch (c) { the command's options }
 *	if (c < 0)
 *		return status;
 *
 * help is the value opts gives --help: usage goes to stdout and status is
 * CLI_OK. An unknown option or a missing value puts usage on stderr, and
 * status is CLI_USAGE. Returns the next other option, 0 after the last
 * option, or -1 when the command must return status.
 */
int cli_getopt(int argc, char **argv, const struct option *opts, int help, const char *usage,
	       int *status);

/* --timeout's value: 1 to 3600 seconds into *out. 0, or -1 after printing
 * why not. */
int cli_timeout(const char *arg, long *out);

/* Nothing may follow a command's options (argv[optind..argc)): CLI_OK, or
 * CLI_USAGE after printing "cmd: unexpected argument". */
int cli_no_operands(int argc, char **argv, const char *cmd);

/* Reads one line (without its "\n" or "\r\n") of at most max bytes from
 * stdin into buf (cap > max). Returns the length, -1 at EOF, or -2 when the
 * line was longer than max (the rest of it is consumed). */
long cli_read_line(char *buf, size_t cap, size_t max);

#endif
