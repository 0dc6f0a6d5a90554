/*
 * ankangd check: the audit log's start-up self-check, on demand, for an
 * operator or a test (after a crash, before a restart, from cron).
 *
 * The log key comes from the data folder's trust list, which is checked
 * against the root key first, so a swapped public/log.vkey cannot make a
 * forged log pass. Prints the log's size and root (no leaf contents, and
 * leaves hold no personal data anyway). Exit 0 when the log is whole, 1
 * when it is not, 2 on usage errors or an unreadable data folder.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"
#include "log/auditlog.h"
#include "log/logcheck.h"
#include "service/commands.h"
#include "service/datadir.h"
#include "log/store.h"

static const char check_usage[] =
    "usage: ankangd check --data DIR [--full]\n"
    "\n"
    "Checks DIR/ankang.db's audit log as the service does before it starts:\n"
    "the newest checkpoint is signed by the log key of the trust list, the\n"
    "root recomputed from the stored hashes is the signed root, the counts\n"
    "of leaves and hashes agree, and every leaf after the checkpoint hashes\n"
    "to what is stored. Prints the size and root. Exit 0 when the log is\n"
    "whole, 1 when it is not.\n"
    "  --full   also recompute every stored hash from the leaves (reads the\n"
    "           whole log)\n";

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"full", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *why = NULL;
	struct datadir *d = NULL;
	char path[PATH_MAX], b64[45], *note = NULL;
	store *st = NULL;
	merkle_hash root;
	uint64_t size = 0, cp_size = 0;
	size_t len;
	int c, rc, full = 0, status = CLI_FAILED;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, 'h', check_usage, &status)) > 0) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'f':
			full = 1;
			break;
		}
	}
	if (c < 0)
		return status;
	if (optind != argc || data == NULL) {
		cli_error("check: --data is required (try --help)");
		return CLI_USAGE;
	}
	if ((rc = cmd_open_datadir(&d, "check", data, 0, NULL, path)) != CLI_OK)
		return rc;
	/* Read-write: after a crash, opening replays the WAL, which needs it. */
	if ((rc = store_open(&st, path, 0)) != 0) {
		cli_error("check: %s: %s", path, ak_strerror(rc));
		goto done;
	}
	rc = full ? logcheck_full(st, &d->trust.log_key, &why)
		  : logcheck_self(st, &d->trust.log_key, &why, NULL);
	if (rc != 0) {
		cli_error("check: %s: %s%s%s", path, ak_strerror(rc), why ? ": " : "",
			  why ? why : "");
		goto done;
	}
	if ((rc = store_log_size(st, &size)) != 0 ||
	    (rc = merkle_root(root, size, store_log_get_node, st)) != 0 ||
	    (rc = store_log_last_checkpoint(st, &cp_size, &note, &len)) != 0) {
		cli_error("check: %s: %s", path, ak_strerror(rc));
		goto done;
	}
	util_b64_encode(b64, root, sizeof root);
	printf("log ok: %" PRIu64 " leaves, newest signed checkpoint at %" PRIu64 "%s\n", size,
	       cp_size, full ? ", every hash recomputed" : "");
	printf("size %" PRIu64 "\nroot %s\n", size, b64);
	status = CLI_OK;
done:
	free(note);
	store_close(st);
	datadir_close(d);
	return status;
}
