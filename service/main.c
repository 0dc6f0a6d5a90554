/*
 * ankangd: the issuer service and its administration commands.
 *
 *   ankangd init  --data DIR --origin ORIGIN [--issuer ISS] [--kek-file F]
 *   ankangd issue --data DIR --name NAME|- --status green|yellow|red [--ttl S]
 *   ankangd check --data DIR [--full]
 *   ankangd account add|list|disable --data DIR ...
 *   ankangd keys rotate --data DIR
 *   ankangd migrate --from DIR --to URL [--to-owner URL]
 *   ankangd --version
 *
 * main() only dispatches; each subcommand lives in its own cmd_*.c file.
 */
#include <stdio.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "service/commands.h"

static const struct cli_command commands[] = {
    {"init", cmd_init, "create a data folder: keys, KEK, signed trust list"},
    {"serve", cmd_serve, "run the HTTP service"},
    {"issue", cmd_issue, "sign one credential from the command line"},
    {"check", cmd_check, "check the audit log against its signed checkpoint"},
    {"account", cmd_account, "add, list or disable accounts (tokens printed once)"},
    {"keys", cmd_keys, "rotate the issuer key or the KEK epoch (with the service stopped)"},
    {"migrate", cmd_migrate, "move a SQLite deployment to PostgreSQL (with the service stopped)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ankangd COMMAND [OPTIONS]   (ankangd COMMAND --help for more)\n\n");
	for (size_t i = 0; i < AK_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  --version  print the program's name and version\n");
}

int main(int argc, char **argv)
{
	cli_prog = "ankangd";
	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		return CLI_FAILED;
	}
	return cli_dispatch(argc, argv, commands, AK_ARRAY_LEN(commands), usage);
}
