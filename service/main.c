/*
 * ankangd: the issuer service and its administration commands.
 *
 *   ankangd init  --data DIR --origin ORIGIN [--issuer ISS] [--kek-file F]
 *   ankangd issue --data DIR --name NAME|- --status green|yellow|red [--ttl S]
 *   ankangd check --data DIR [--full]
 *   ankangd account add|list|disable --data DIR ...
 *   ankangd keys rotate --data DIR
 *
 * main() only dispatches; each subcommand lives in its own cmd_*.c file.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "service/commands.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"init", cmd_init, "create a data folder: keys, KEK, signed trust list"},
    {"serve", cmd_serve, "run the HTTP service"},
    {"issue", cmd_issue, "sign one credential from the command line"},
    {"check", cmd_check, "check the audit log against its signed checkpoint"},
    {"account", cmd_account, "add, list or disable accounts (tokens printed once)"},
    {"keys", cmd_keys, "rotate the issuer key (with the service stopped)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ankangd COMMAND [OPTIONS]   (ankangd COMMAND --help for more)\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	cli_prog = "ankangd";
	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		return CLI_FAILED;
	}
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command '%.40s' (try --help)", argv[1]);
	return CLI_USAGE;
}
