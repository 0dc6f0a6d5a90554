/*
 * ankangd check: the audit log's start-up self-check, on demand, for an
 * operator or a test (after a crash, before a restart, from cron).
 *
 * The log key comes from the data folder's trust list, which is checked
 * against the root key first, so a swapped public/log.vkey cannot make a
 * forged log pass. Prints the log's size and root (no leaf contents, and
 * leaves hold no personal data anyway), and which leaves it rehashed and
 * which it held against the signed root through their stored hashes
 * only, so that a pass is never read as more than it is. Exit 0 when the
 * log is whole, 1 when it is not, 2 on usage errors or an unreadable data
 * folder.
 */
#include <getopt.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/util.h"
#include "log/auditlog.h"
#include "log/logcheck.h"
#include "service/commands.h"
#include "service/datadir.h"
#include "service/record.h"
#include "log/store.h"

static const char check_usage[] =
    "usage: ankangd check --data DIR [--full] [--kek-file FILE]\n"
    "\n"
    "Checks DIR/ankang.db's audit log: the newest checkpoint is signed by\n"
    "the log key of the trust list, the root recomputed from the stored\n"
    "hashes is the signed root, the counts of leaves and hashes agree, and\n"
    "every leaf after the checkpoint parses and hashes to what is stored.\n"
    "The leaves under the newest checkpoint are NOT rehashed: a leaf whose\n"
    "bytes changed while its stored hashes did not passes. Prints what was\n"
    "and was not rehashed, the size and the root. Exit 0 when the log is\n"
    "whole, 1 when it is not.\n"
    "When the key-encryption key is readable, it is also held against the\n"
    "database's check value: another deployment's KEK fails the check.\n"
    "  --full            rehash every leaf and recompute every stored hash from\n"
    "                    the leaves (reads the whole log)\n"
    "  --kek-file FILE   the key-encryption key, if not where init put it\n";

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"full", no_argument, NULL, 'f'},
	    {"kek-file", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *why = NULL, *kek_file = NULL;
	struct datadir *d = NULL;
	char path[PATH_MAX], b64[45];
	store *st = NULL;
	merkle_hash root;
	struct logcheck_head head = {0, 0, 0};
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
		case 'k':
			kek_file = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (cli_no_operands(argc, argv, "check") != CLI_OK)
		return CLI_USAGE;
	if (data == NULL) {
		cli_error("check: --data is required (try --help)");
		return CLI_USAGE;
	}
	if ((rc = cmd_open_datadir(&d, "check", data, 0, kek_file, path)) != CLI_OK)
		return rc;
	/* Read-write: after a crash, opening replays the WAL, which needs it. */
	if ((rc = store_open(&st, path, 0)) != 0) {
		cli_error("check: %s: %s", path, store_open_err(rc));
		goto done;
	}
	/* The keys, when this user may read the KEK: an auditor checking a
	 * copy of the log has none, and needs none. A KEK named with
	 * --kek-file must be there. */
	if (access(d->kek_path, R_OK) != 0 && kek_file != NULL) {
		cli_error("check: --kek-file %s: %s", kek_file, strerror(errno));
		status = CLI_USAGE;
		goto done;
	} else if (access(d->kek_path, R_OK) != 0) {
		printf("keys: not checked (%s: %s)\n", d->kek_path, strerror(errno));
	} else {
		struct record_keys keys;
		char keys_why[PATH_MAX + 160];
		if ((rc = record_keys_open(&keys, path, d->kek_path, d->epochs_path, keys_why,
					   sizeof keys_why)) != 0) {
			cli_error("check: %s", keys_why);
			goto done;
		}
		record_keys_close(&keys);
		printf("key-encryption key: matches the database's check value\n"
		       "epoch keys: every epoch residents' keys are wrapped under is held\n");
	}
	rc = logcheck_since(st, &d->trust.log_key, full ? 0 : UINT64_MAX, &why, &head);
	if (rc != 0) {
		cli_error("check: %s: %s%s%s", path, ak_strerror(rc), why ? ": " : "",
			  why ? why : "");
		goto done;
	}
	if ((rc = merkle_root(root, head.size, store_log_get_node, st)) != 0) {
		cli_error("check: %s: %s", path, store_open_err(rc));
		goto done;
	}
	util_b64_encode(b64, root, sizeof root);
	printf("log ok: %" PRIu64 " leaves, newest signed checkpoint at %" PRIu64 "\n", head.size,
	       head.checkpoint_size);
	if (head.rehashed_from == 0)
		printf("every leaf was rehashed and every stored hash recomputed\n");
	else
		printf(
		    "leaves 0..%" PRIu64 " under the newest signed checkpoint were checked against"
		    " the signed root through their stored hashes but not rehashed; use --full\n",
		    head.rehashed_from - 1);
	if (head.rehashed_from > 0 && head.rehashed_from < head.size)
		printf("leaves %" PRIu64 "..%" PRIu64 " after it were rehashed\n",
		       head.rehashed_from, head.size - 1);
	printf("size %" PRIu64 "\nroot %s\n", head.size, b64);
	status = CLI_OK;
done:
	store_close(st);
	datadir_close(d);
	return status;
}
