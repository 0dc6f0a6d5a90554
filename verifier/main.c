/*
 * ankang-verify: the checkpoint's verifier.
 *
 *   ankang-verify [OPTIONS] CREDENTIAL... | - | --image IMAGE...
 *   ankang-verify --server URL --token T CREDENTIAL...      (online)
 *   ankang-verify sync --server URL --token T [--dir DIR]
 *   ankang-verify status [--dir DIR]
 *
 * For each code it prints the result word and, only when FORMAT.md allows
 * a verifier to show them (valid, revoked, superseded), the status and the
 * name: nothing else exists in a code, so nothing else can be shown. A
 * refused code's status is printed in words that say it is not a pass
 * (show.h), and on a terminal each result is a coloured banner.
 * Offline scans are spooled for `sync` to upload. Exit 0 when every code
 * is valid, 1 when any is not, 2 on usage or I/O errors.
 *
 * main() only dispatches: cmd_check.c checks codes, cmd_sync.c and
 * cmd_status.c are the two subcommands (see commands.h).
 *
 * This program links the verify half of crypto/ only: no signing key code,
 * no sealing code (the test suite checks its symbols).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "verifier/commands.h"

static const char usage_text[] =
    "usage: ankang-verify [OPTIONS] CREDENTIAL...\n"
    "       ankang-verify [OPTIONS] -                (one credential per line on stdin,\n"
    "                                                 zbarcam's \"QR-Code:\" prefix allowed)\n"
    "       ankang-verify [OPTIONS] --image IMAGE...     (PNG or JPEG, any number of codes)\n"
    "       ankang-verify --server URL --token T [OPTIONS] CREDENTIAL...   (online)\n"
    "       ankang-verify sync --server URL --token T [--dir DIR]\n"
    "       ankang-verify status [--dir DIR]\n"
    "       ankang-verify --version\n"
    "\n"
    "Checks health codes against a signed trust list and revocation list and\n"
    "prints, per code: the result, and for a valid, revoked or superseded code\n"
    "the status and the name. Each offline check is recorded in the spool, which\n"
    "sync uploads. Exit 0 if every code is valid, 1 if any is not, 2 on errors.\n"
    "\n" VOPTS_LOCAL_USAGE "  --trust FILE        signed trust list (default DIR/trust.note)\n"
    "  --revocations FILE  signed revocation list (default DIR/revocations.note)\n"
    "  --now UNIX          check as of this time (tests, forensics; not spooled)\n"
    "  --skew SECONDS      clock skew allowed, default 60\n"
    "  --no-spool          do not record the checks in the spool\n"
    "  --json              one JSON object per code: {\"result\",\"status\",\"name\"}\n"
    "  --color WHEN        auto (a coloured banner per code when stdout is a terminal\n"
    "                      and NO_COLOR is unset), always, or never (one line per code)\n"
    "  --image             the arguments are PNG or JPEG images (a phone's photo will\n"
    "                      do): every QR code in each is checked, one line each\n"
    "\n"
    "Online, the service checks each code (and may answer superseded):\n" VOPTS_NET_USAGE "\n"
    "  sync     fetch and verify the lists (the root key is never fetched), upload\n"
    "           the spool               (ankang-verify sync --help)\n"
    "  status   list ages and the spool's backlog; exit 1 when the revocation\n"
    "           list is stale           (ankang-verify status --help)\n";

int main(int argc, char **argv)
{
	cli_prog = "ankang-verify";
	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		return CLI_USAGE;
	}
	if (cli_version(argc, argv))
		return CLI_OK;
	/* A credential starts with "AK1:", so these words cannot be one. */
	if (argc >= 2 && strcmp(argv[1], "sync") == 0)
		return vcmd_sync(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return vcmd_status(argc - 1, argv + 1);
	return vcmd_check(argc, argv, usage_text);
}
