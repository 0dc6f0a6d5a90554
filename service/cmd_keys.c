/*
 * ankangd keys: the data folder's keys.
 *
 *   keys rotate --data DIR [--compromised]
 *   keys rotate-epoch --data DIR [--kek-file FILE]
 *
 * Rotation makes a new issuer key, closes the active key's window at now
 * and re-signs the trust list with the root key (datadir_rotate_issuer).
 * Codes signed before stay verifiable until they expire, because the old
 * key stays in the trust list with a window that still holds their iat;
 * its secret file is deleted, since it never signs again.
 *
 * --compromised is for a key that may have been copied (a stolen node's
 * folder; SECURITY.md, "A compromised front-end"): the window is no
 * defence then, since a thief sets a code's iat to any time inside it
 * and its exp up to CRED_MAX_VALIDITY later. Every key of the trust list
 * is withdrawn instead (datadir_withdraw_issuer; the older ones too, since
 * a folder stolen before an earlier rotation held one of them), so every
 * code they signed fails, genuine ones too: residents fetch new codes.
 *
 * The running service holds DIR/serve.lock and has the trust list and the
 * active issuer key in memory; rotating under it would leave it signing
 * with a key whose window is closed. So rotation takes the lock first and
 * refuses while the service holds it.
 *
 * The rotation runs inside the audit writer's transaction, as the change
 * of the `key_rotate` leaf (actor admin:-): if it fails, no leaf is
 * written; if it succeeds, its leaf commits with it. (The files are not in
 * the transaction: a commit failing after the files were replaced would
 * leave a rotation without its leaf, which the command then reports.)
 *
 * rotate-epoch rotates the KEK's epoch (service/rewrap.h): it finishes a
 * rotation a crash left under way, then makes a new epoch, wraps every
 * live resident's data key again under it and destroys the older epochs,
 * each step an operation of the audit writer with its `key_rotate` leaf
 * (actor admin:-). It too takes the lock: the running service holds the
 * epoch keys in memory and rotates them itself (serve --epoch-seconds).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/epoch.h"
#include "service/epochshare.h"
#include "log/auditlog.h"
#include "service/commands.h"
#include "service/datadir.h"
#include "service/record.h"
#include "service/rewrap.h"

static const char keys_usage[] =
    "usage: ankangd keys rotate --data DIR [--compromised]\n"
    "       ankangd keys rotate-epoch --data DIR [--kek-file FILE]\n"
    "\n"
    "rotate: rotates the issuer key: a new key signs codes from now on, the\n"
    "old key's window in the trust list closes now (its codes stay valid\n"
    "until they expire), its secret file is deleted, and public/trust.note\n"
    "is re-signed. Prints the new key id.\n"
    "  --compromised  the key may have been copied: withdraw every key of\n"
    "                 the trust list instead (older ones too), so that every\n"
    "                 code they signed, whatever issue time it claims, is\n"
    "                 refused from now on; residents need new codes. Copy DIR/keys/issuer-*.key\n"
    "                 and DIR/public/trust.note to the other nodes (see\n"
    "                 docs/MULTINODE.md, \"A compromised node\").\n"
    "\n"
    "rotate-epoch: rotates the key-encryption key's epoch: a new epoch key\n"
    "wraps every resident's data key, and the older epoch keys are destroyed\n"
    "(DIR/keys/epochs.key is written without them). From then on no copy of\n"
    "ankang.db taken before the rotation opens anyone, even with the KEK.\n"
    "A rotation a crash interrupted is finished first. Prints the new epoch.\n"
    "\n"
    "Both are recorded in the audit log as key_rotate, and refused while the\n"
    "service runs on DIR (it holds DIR/serve.lock): stop it, rotate, start\n"
    "it again.\n";

struct rotate_ctx {
	struct datadir *d;
	uint8_t kid[CRED_KID_BYTES];
	int compromised; /* --compromised: withdraw rather than close */
	size_t withdrawn;
	int rotated; /* the files were replaced */
};

static int rotate_change(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct rotate_ctx *c = ctx;
	int rc;

	(void)st;
	(void)leaves;
	(void)n;
	if ((rc = c->compromised ? datadir_withdraw_issuer(c->d, util_now(), c->kid, &c->withdrawn)
				 : datadir_rotate_issuer(c->d, util_now(), c->kid)) == 0)
		c->rotated = 1;
	return rc;
}

/* Takes the folder's lock, or says why not. */
static int lock_folder(struct datadir *d, const char *cmd, const char *data, int *lock)
{
	int rc = datadir_lock(d, lock);

	if (rc == AK_EBUSY)
		cli_error("%s: %s/%s is held: the service is running; stop it first", cmd, data,
			  DATADIR_LOCK);
	else if (rc != 0)
		cli_error("%s: %s/%s: %s", cmd, data, DATADIR_LOCK, ak_strerror(rc));
	return rc;
}

static int keys_rotate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"compromised", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *why = NULL;
	struct rotate_ctx ctx = {0};
	struct datadir *d = NULL;
	auditlog *a = NULL;
	struct leaf l;
	char db[PATH_MAX], hex[2 * CRED_KID_BYTES + 1];
	int c, rc, lock = -1, status = CLI_FAILED;

	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'c':
			ctx.compromised = 1;
			break;
		case 'h':
			fputs(keys_usage, stdout);
			return CLI_OK;
		default:
			cli_error("keys rotate: unknown option or missing value (try --help)");
			return CLI_USAGE;
		}
	}
	if (cli_no_operands(argc, argv, "keys rotate") != CLI_OK)
		return CLI_USAGE;
	if (data == NULL) {
		cli_error("keys rotate: --data is required (try --help)");
		return CLI_USAGE;
	}
	if ((rc = cmd_open_datadir(&d, "keys rotate", data,
				   DATADIR_ROOT | DATADIR_LOG | DATADIR_ISSUER, NULL, NULL)) !=
	    CLI_OK)
		return rc;
	if (lock_folder(d, "keys rotate", data, &lock) != 0)
		goto done;
	if ((rc = datadir_db(d, db, sizeof db)) != 0 ||
	    (rc = auditlog_open(&a, db, d->log, NULL, &why)) != 0) {
		cli_error("keys rotate: audit log %s/%s: %s%s%s", data, DATADIR_DB, ak_strerror(rc),
			  why ? ": " : "", why ? why : "");
		goto done;
	}
	leaf_init(&l, ROLE_ADMIN, LEAF_NO_ID, ACT_KEY_ROTATE);
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	ctx.d = d;
	rc = auditlog_submit(a, &l, 1, rotate_change, &ctx, NULL);
	auditlog_close(a);
	if (rc != 0) {
		if (ctx.rotated)
			cli_error("keys rotate: the key was rotated but its audit entry failed "
				  "(%s); check the log with `ankangd check`",
				  ak_strerror(rc));
		else
			cli_error("keys rotate: %s; nothing changed", ak_strerror(rc));
		goto done;
	}
	util_hex_encode(hex, ctx.kid, sizeof ctx.kid);
	if (ctx.compromised)
		printf("issuer key rotated: new kid %s; %zu key(s) withdrawn from the trust list: "
		       "every code they signed is refused from now on\n",
		       hex, ctx.withdrawn);
	else
		printf("issuer key rotated: new kid %s\n", hex);
	status = CLI_OK;
done:
	datadir_unlock(lock);
	datadir_close(d);
	return status;
}

static int keys_rotate_epoch(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"kek-file", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *kek_file = NULL, *why = NULL;
	struct rewrap_report report = {0};
	struct record_keys keys = {NULL, NULL};
	struct rewrap_config rc_cfg;
	struct datadir *d = NULL;
	auditlog *a = NULL;
	char db[PATH_MAX];
	char keys_why[PATH_MAX + 160];
	int c, rc, lock = -1, status = CLI_FAILED, asked = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'k':
			kek_file = optarg;
			break;
		case 'h':
			fputs(keys_usage, stdout);
			return CLI_OK;
		default:
			cli_error(
			    "keys rotate-epoch: unknown option or missing value (try --help)");
			return CLI_USAGE;
		}
	}
	if (cli_no_operands(argc, argv, "keys rotate-epoch") != CLI_OK)
		return CLI_USAGE;
	if (data == NULL) {
		cli_error("keys rotate-epoch: --data is required (try --help)");
		return CLI_USAGE;
	}
	if ((rc = cmd_open_datadir(&d, "keys rotate-epoch", data, DATADIR_LOG, kek_file, db)) !=
	    CLI_OK)
		return rc;
	/* Several nodes on PostgreSQL: running nodes rotate themselves
	 * (service/epochshare.h). */
	if (store_is_url(db) && (rc = epochshare_ask_rotation(db, &asked)) != 0) {
		cli_error("keys rotate-epoch: the store: %s; nothing changed", ak_strerror(rc));
		goto done;
	}
	if (asked) {
		printf("KEK epoch rotation asked for: nodes are running, and their leader rotates "
		       "at its next round (its log says when it is done)\n");
		status = CLI_OK;
		goto done;
	}
	if (lock_folder(d, "keys rotate-epoch", data, &lock) != 0)
		goto done;
	if ((rc = record_keys_open(&keys, db, d->kek_path, d->epochs_path, keys_why,
				   sizeof keys_why)) != 0) {
		cli_error("keys rotate-epoch: %s; nothing changed", keys_why);
		goto done;
	}
	if ((rc = auditlog_open(&a, db, d->log, NULL, &why)) != 0) {
		cli_error("keys rotate-epoch: audit log %s/%s: %s%s%s", data, DATADIR_DB,
			  ak_strerror(rc), why ? ": " : "", why ? why : "");
		goto done;
	}
	rc_cfg = (struct rewrap_config){a, &keys, ROLE_ADMIN, 0, NULL, NULL};
	if (store_is_url(db)) {
		rc_cfg.destroy_ok = epochshare_offline_destroy;
		rc_cfg.destroy_ctx = &keys;
	}
	rc = rewrap_rotate(&rc_cfg, util_now(), &report);
	auditlog_close(a);
	if (rc != 0) {
		if (report.unlogged)
			cli_error("keys rotate-epoch: older epochs were destroyed but their audit "
				  "entry failed (%s); check the log with `ankangd check`",
				  ak_strerror(rc));
		else
			cli_error("keys rotate-epoch: %s; the rotation is left under way, every "
				  "key under an epoch the file holds: run it again",
				  ak_strerror(rc));
		goto done;
	}
	printf("KEK epoch rotated: epoch %llu, %llu keys re-wrapped, %llu older epoch(s) "
	       "destroyed\n",
	       (unsigned long long)report.epoch, (unsigned long long)report.rewrapped,
	       (unsigned long long)report.destroyed);
	status = CLI_OK;
done:
	record_keys_close(&keys);
	datadir_unlock(lock);
	datadir_close(d);
	return status;
}

int cmd_keys(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("keys: rotate or rotate-epoch? (try --help)");
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(keys_usage, stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "rotate") == 0)
		return keys_rotate(argc - 1, argv + 1);
	if (strcmp(argv[1], "rotate-epoch") == 0)
		return keys_rotate_epoch(argc - 1, argv + 1);
	cli_error("keys: unknown subcommand '%.40s' (rotate, rotate-epoch; try --help)", argv[1]);
	return CLI_USAGE;
}
