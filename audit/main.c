/*
 * ankang-audit: the auditor's tool. It checks the audit log's signed
 * checkpoints, consistency and leaves, lists entries, proves single
 * entries and reports on patterns an inspector looks for.
 *
 * The log itself arrives with the audit-log work (issue 3); until then
 * this program states its interface and refuses to pretend.
 */
#include <stdio.h>
#include <string.h>

#include "common/cli.h"

static const char usage_text[] =
	"usage: ankang-audit verify  (--db FILE | --server URL --token T) --log-key VKEY\n"
	"                            [--state FILE]\n"
	"       ankang-audit entries (--db FILE | --server URL --token T) [--since T]\n"
	"                            [--until T] [--action A] [--actor R:ID] [--json]\n"
	"       ankang-audit prove   (--db FILE | --server URL --token T) INDEX [--size N]\n"
	"       ankang-audit check-proof FILE --log-key VKEY\n"
	"       ankang-audit report  (--db FILE | --server URL --token T) [--since T]\n"
	"                            [--until T] [--json]\n";

int main(int argc, char **argv)
{
	cli_prog = "ankang-audit";
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	if (argc >= 2)
		cli_error("%.40s: not available yet: this build has no audit log", argv[1]);
	fputs(usage_text, stderr);
	return CLI_USAGE;
}
