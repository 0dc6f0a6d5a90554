/*
 * ankang-audit: the auditor's tool. It checks the audit log's signed
 * checkpoints, consistency and leaves (verify), lists entries (entries),
 * proves single entries in the C2SP tlog-proof form and checks such
 * proofs offline (prove, check-proof), and reports on the patterns an
 * inspector looks for (report).
 *
 *   ankang-audit verify      (--db F | --server U --token T | --log U [--token T] [--mirror D])
 *                            --log-key VKEY [--state FILE] [--witness VKEY]... [--quorum N]
 *   ankang-audit entries     (--db F | --server U --token T) [selection] [--json]
 *   ankang-audit prove       (--db F | --server U --token T) INDEX [--size N]
 *   ankang-audit check-proof FILE --log-key VKEY [--leaf FILE | --leaf-b64 B]
 *   ankang-audit report      (--db F | --server U --token T) [--since T] [--until T] [--json]
 *
 * main() only dispatches; each command lives in its own cmd_*.c file, and
 * the log is read through audit/source.h from any of its backends.
 * Exit statuses: 0 ok, 1 a check failed, 2 usage or I/O errors.
 */
#include <stdio.h>

#include <sodium.h>

#include "audit/commands.h"
#include "common/cli.h"
#include "common/util.h"

static const struct cli_command commands[] = {
    {"verify", cmd_verify, "check checkpoints, consistency and every leaf"},
    {"entries", cmd_entries, "list entries (table or JSON lines)"},
    {"prove", cmd_prove, "print one entry's inclusion proof (C2SP tlog-proof)"},
    {"check-proof", cmd_check_proof, "verify a tlog-proof offline"},
    {"report", cmd_report, "counts and flags for an inspector"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ankang-audit COMMAND [OPTIONS]   (ankang-audit COMMAND --help for "
		   "more)\n\n");
	for (size_t i = 0; i < AK_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nThe log comes from --db FILE (a read-only copy of the database),\n"
		   "--server URL with --token T, or --log URL (its tlog-tiles, with a token for\n"
		   "the leaves; --mirror DIR keeps them). Exit 0 ok, 1 a check failed, 2 errors.\n"
		   "ankang-audit --version prints the program's name and version.\n");
}

int main(int argc, char **argv)
{
	cli_prog = "ankang-audit";
	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		return CLI_USAGE;
	}
	return cli_dispatch(argc, argv, commands, AK_ARRAY_LEN(commands), usage);
}
