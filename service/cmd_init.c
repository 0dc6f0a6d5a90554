/*
 * ankangd init: creates a data folder (see datadir.h for its layout).
 * Refuses to touch an existing, non-empty folder: keys are never replaced
 * by accident.
 *
 * --if-missing is for a service manager's start-up step (the systemd unit's
 * ExecStartPre): a folder that already holds its database is left alone,
 * with status 0. The database is the last thing init writes (and a failed
 * init removes what it made), so its presence means a finished init; a
 * folder with files but no database is still refused, for a person to look
 * at, rather than taken as initialised. On PostgreSQL the database is
 * elsewhere, and what init writes last is ankang.conf naming it
 * (datadir_made).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/cred.h"
#include "log/store.h"
#include "service/commands.h"
#include "service/datadir.h"

static const char init_usage[] =
    "usage: ankangd init --data DIR --origin ORIGIN [--issuer ISS] [--kek-file FILE]\n"
    "                    [--store URL [--store-owner URL]] [--if-missing]\n"
    "\n"
    "Creates DIR with the root, log and issuer keys and the key-encryption\n"
    "key (each its own 0600 file), DIR/public/ with root.vkey, log.vkey,\n"
    "trust.note and revocations.note for verifiers and auditors, and the\n"
    "database DIR/ankang.db with the audit log's first signed checkpoint.\n"
    "\n"
    "  --origin ORIGIN   names the deployment, e.g. ankang.example; keys are\n"
    "                    ORIGIN/root, ORIGIN/audit, ORIGIN/issuer\n"
    "  --issuer ISS      the credentials' iss claim, 1-32 of [A-Za-z0-9.-]\n"
    "                    (default: ORIGIN when it fits, else \"ankang\")\n"
    "  --kek-file FILE   keep the key-encryption key outside DIR (a separate\n"
    "                    mount or secret store); used as is if it exists\n"
    "  --store URL       keep the database in PostgreSQL (postgresql://...),\n"
    "                    recorded in DIR/ankang.conf, instead of DIR/ankang.db:\n"
    "                    the URL the service connects with, never with a\n"
    "                    password (libpq's ~/.pgpass or PGPASSFILE holds it)\n"
    "  --store-owner URL the database owner's URL, which runs the schema's\n"
    "                    migrations once (default: --store's); not recorded\n"
    "  --if-missing      do nothing (exit 0) when DIR already holds its database,\n"
    "                    for a service's start-up step; the other options are\n"
    "                    then not checked\n";

static int iss_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CRED_ISS_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"origin", required_argument, NULL, 'o'},
	    {"issuer", required_argument, NULL, 'i'},
	    {"kek-file", required_argument, NULL, 'k'},
	    {"if-missing", no_argument, NULL, 'm'},
	    {"store", required_argument, NULL, 's'},
	    {"store-owner", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *origin = NULL, *issuer = NULL, *kek = NULL, *url = NULL,
		   *owner = NULL, *which = NULL;
	char why[240];
	int c, rc, status, if_missing = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, 'h', init_usage, &status)) > 0) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'k':
			kek = optarg;
			break;
		case 'm':
			if_missing = 1;
			break;
		case 's':
			url = optarg;
			break;
		case 'O':
			owner = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (cli_no_operands(argc, argv, "init") != CLI_OK)
		return CLI_USAGE;
	if (if_missing && data != NULL && datadir_made(data)) {
		printf("%s already holds a database; nothing to do\n", data);
		return CLI_OK;
	}
	if (data == NULL || origin == NULL) {
		cli_error("init: --data and --origin are required (try --help)");
		return CLI_USAGE;
	}
	if (!trust_origin_valid(origin, strlen(origin)) || strlen(origin) > KEY_NAME_MAX - 7) {
		cli_error("init: --origin must be 1-%d printable characters without spaces or '+'",
			  KEY_NAME_MAX - 7);
		return CLI_USAGE;
	}
	if (issuer != NULL && !iss_valid(issuer)) {
		cli_error("init: --issuer must be 1-%d characters of [A-Za-z0-9.-]", CRED_ISS_MAX);
		return CLI_USAGE;
	}
	if ((url != NULL && !store_is_url(url)) ||
	    (owner != NULL && (url == NULL || !store_is_url(owner)))) {
		cli_error("init: --store and --store-owner take a postgresql:// URL, --store-owner"
			  " only with --store");
		return CLI_USAGE;
	}
	/* The URLs' rules (a password, TLS to a host elsewhere) by parsing
	 * alone: nothing is made and nothing connects when they fail. */
	if (url != NULL && store_url_check(url, why, sizeof why) != 0)
		which = "--store";
	else if (owner != NULL && store_url_check(owner, why, sizeof why) != 0)
		which = "--store-owner";
	if (which != NULL) {
		cli_error("init: %s: %s", which, why);
		return CLI_USAGE;
	}
	if ((rc = datadir_create_store(data, origin, issuer, kek, url, owner)) != 0) {
		if (store_open_why()[0] != '\0')
			cli_error("init: %s: the store: %s", data, store_open_why());
		else if (rc == AK_EEXIST)
			cli_error("init: %s: exists and is not an empty folder; refusing to "
				  "overwrite keys",
				  data);
		else
			cli_error("init: %s: %s", data, ak_strerror(rc));
		return CLI_USAGE;
	}
	printf("created %s for origin %s\n", data, origin);
	printf("  verifiers need: %s/public/root.vkey (and trust.note, revocations.note)\n", data);
	printf("  auditors need:  %s/public/log.vkey\n", data);
	return CLI_OK;
}
