/*
 * ankangd account: the service's accounts (verifiers, officers, auditors,
 * admins), managed at the data folder by its operator.
 *
 *   account add     --data DIR --role ROLE --name LABEL [--team TEAM]
 *   account list    --data DIR
 *   account disable --data DIR --id N
 *
 * An account is known by its bearer token, which `add` prints once on
 * standard output and the store keeps only as a hash (service/token.h);
 * nothing ever shows it again. The account's id is its actor id in the
 * audit log. Names are labels for posts and devices, not people
 * (policy_account_name_valid), so the accounts table and the "who
 * accessed my data" answers carry no personal data.
 *
 * Every change is an audit-log operation: the account row is written by
 * the change callback inside the writer's transaction, with its leaf
 * (account_add, account_disable; actor admin:-, detail the role), so the
 * row and its record commit together or not at all. The service may be
 * running on the same folder meanwhile: the audit writer re-reads the
 * stored tree inside each transaction, so two writer processes take
 * turns. `list` only reads.
 *
 * Never: print or log a token except the one line `add` prints, or keep
 * the token text past that line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "log/auditlog.h"
#include "service/commands.h"
#include "service/datadir.h"
#include "service/policy.h"
#include "service/store_people.h"
#include "service/token.h"

_Static_assert(DET_ROLE_OFFICER - DET_ROLE_VERIFIER == ROLE_OFFICER - ROLE_VERIFIER &&
		   DET_ROLE_AUDITOR - DET_ROLE_VERIFIER == ROLE_AUDITOR - ROLE_VERIFIER &&
		   DET_ROLE_ADMIN - DET_ROLE_VERIFIER == ROLE_ADMIN - ROLE_VERIFIER,
	       "account roles and their detail words are in the same order");
_Static_assert(POLICY_ACCOUNT_NAME_MAX == STORE_ACCOUNT_NAME_MAX, "account name limit");
_Static_assert(TOKEN_HASH_BYTES == 32, "the store keeps 32-byte token hashes");

static const char account_usage[] =
    "usage: ankangd account add     --data DIR --role ROLE --name LABEL [--team TEAM]\n"
    "       ankangd account list    --data DIR\n"
    "       ankangd account disable --data DIR --id N\n"
    "\n"
    "Manages the accounts of verifiers, officers, auditors and admins.\n"
    "  add      creates an account and prints its bearer token once, on\n"
    "           standard output; only a hash of it is stored, so keep it\n"
    "           --role   verifier, officer, auditor or admin\n"
    "           --name   a label for the post or device, 1-64 of\n"
    "                    [A-Za-z0-9._-] (checkpoint-17, officer.hefei.3),\n"
    "                    never a person's name\n"
    "           --team   the officer's team, a label like a name (district-3):\n"
    "                    the auditors' report counts overdue appeals by it\n"
    "  list     prints id, role, created, team, state and name of every account\n"
    "           (never a token)\n"
    "  disable  disables account N for good; its token stops working\n"
    "Each change is recorded in the audit log (account_add,\n"
    "account_disable) before the command reports success. Safe to run\n"
    "while the service runs.\n";

static enum leaf_detail role_detail(enum leaf_role role)
{
	return (enum leaf_detail)(DET_ROLE_VERIFIER + (role - ROLE_VERIFIER));
}

/* ------------------------------------------------------------- options */

struct account_opts {
	const char *data, *role, *name, *id, *team;
};

/* Parses the subcommand's options; returns -1 to go on, else an exit
 * status (help printed, or a usage error reported). */
static int parse_opts(int argc, char **argv, struct account_opts *o)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"role", required_argument, NULL, 'r'},
	    {"name", required_argument, NULL, 'n'},
	    {"id", required_argument, NULL, 'i'},
	    {"team", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof *o);
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->data = optarg;
			break;
		case 'r':
			o->role = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'i':
			o->id = optarg;
			break;
		case 't':
			o->team = optarg;
			break;
		case 'h':
			fputs(account_usage, stdout);
			return CLI_OK;
		default:
			cli_error("account %s: unknown option or missing value (try --help)",
				  argv[0]);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("account %s: unexpected argument (try --help)", argv[0]);
		return CLI_USAGE;
	}
	if (o->data == NULL) {
		cli_error("account %s: --data is required (try --help)", argv[0]);
		return CLI_USAGE;
	}
	return -1;
}

/*
 * Submits one leaf with its change through a short-lived audit writer on
 * the folder's database. Returns the submit's result; an exit status in
 * *status when the log itself could not be opened.
 */
static int submit(const char *sub, struct datadir *d, const char *db, struct leaf *l,
		  auditlog_change_fn change, void *ctx, int *status)
{
	auditlog *a = NULL;
	const char *why = NULL;
	int rc;

	*status = -1;
	if ((rc = auditlog_open(&a, db, d->log, NULL, &why)) != 0) {
		cli_error("account %s: audit log %s: %s%s%s", sub, db, ak_strerror(rc),
			  why ? ": " : "", why ? why : "");
		*status = CLI_FAILED;
		return rc;
	}
	rc = auditlog_submit(a, l, 1, change, ctx, NULL);
	auditlog_close(a);
	return rc;
}

/* ------------------------------------------------------------------ add */

struct add_ctx {
	enum leaf_role role;
	const char *name, *team;
	const uint8_t *hash;
	uint64_t id;
};

/* Inside the writer's transaction: the row goes in with its leaf. */
static int add_change(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct add_ctx *c = ctx;

	int rc;

	(void)leaves;
	(void)n;
	rc = store_account_add(st, c->role, c->name, c->hash, util_now(), &c->id);
	if (rc == 0 && c->team != NULL)
		rc = store_account_set_team(st, c->id, c->team);
	return rc;
}

static int account_add(int argc, char **argv)
{
	struct account_opts o;
	struct datadir *d = NULL;
	struct add_ctx ctx;
	struct leaf l;
	char db[PATH_MAX], token[TOKEN_TEXT_LEN + 1];
	uint8_t hash[TOKEN_HASH_BYTES];
	int rc, status, role;

	if ((status = parse_opts(argc, argv, &o)) >= 0)
		return status;
	if (o.role == NULL || o.name == NULL) {
		cli_error("account add: --role and --name are required (try --help)");
		return CLI_USAGE;
	}
	role = leaf_role_parse(o.role, strlen(o.role));
	if (role < ROLE_VERIFIER || role > ROLE_ADMIN) {
		cli_error("account add: --role must be verifier, officer, auditor or admin");
		return CLI_USAGE;
	}
	if (!policy_account_name_valid(o.name, strlen(o.name))) {
		cli_error("account add: --name must be 1-%d of [A-Za-z0-9._-], a label for a "
			  "post or device",
			  POLICY_ACCOUNT_NAME_MAX);
		return CLI_USAGE;
	}
	if (o.team != NULL && !policy_account_name_valid(o.team, strlen(o.team))) {
		cli_error("account add: --team must be 1-%d of [A-Za-z0-9._-], a label for a team",
			  POLICY_ACCOUNT_NAME_MAX);
		return CLI_USAGE;
	}
	/* With the log key when writing. */
	if ((status = cmd_open_datadir(&d, "account add", o.data, DATADIR_LOG, NULL, db)) != CLI_OK)
		return status;

	token_new(TOKEN_ACCOUNT, token, hash);
	ctx = (struct add_ctx){
	    .role = (enum leaf_role)role, .name = o.name, .team = o.team, .hash = hash};
	leaf_init(&l, ROLE_ADMIN, LEAF_NO_ID, ACT_ACCOUNT_ADD);
	l.result = RES_OK;
	l.detail = role_detail((enum leaf_role)role);
	rc = submit("add", d, db, &l, add_change, &ctx, &status);
	datadir_close(d);
	sodium_memzero(hash, sizeof hash);
	if (status >= 0 || rc != 0) {
		sodium_memzero(token, sizeof token);
		if (status >= 0)
			return status;
		if (rc == AK_ECONFLICT) {
			cli_error("account add: an account with that name exists");
			return CLI_USAGE;
		}
		cli_error("account add: the audit log refused the entry (%s); no account added",
			  ak_strerror(rc));
		return CLI_FAILED;
	}
	/* The one time the token is shown: alone on stdout, for a script to
	 * capture; the note goes to stderr. */
	printf("%s\n", token);
	fflush(stdout);
	sodium_memzero(token, sizeof token);
	fprintf(stderr, "account %" PRIu64 " (%s) added; the token above is shown only this once\n",
		ctx.id, leaf_role_word(role));
	return CLI_OK;
}

/* ----------------------------------------------------------------- list */

static void format_time(char out[32], uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t > (uint64_t)INT64_MAX || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%" PRIu64, t);
}

static int print_account(void *ctx, const struct store_account *a)
{
	char when[32];

	(void)ctx;
	format_time(when, a->created);
	printf("%-6" PRIu64 " %-8s %-20s %-12s %-8s %s\n", a->id, leaf_role_word(a->role), when,
	       a->team[0] ? a->team : "-", a->disabled ? "disabled" : "active", a->name);
	return 0;
}

static int account_list(int argc, char **argv)
{
	struct account_opts o;
	struct datadir *d = NULL;
	store *st = NULL;
	char db[PATH_MAX];
	int rc, status;

	if ((status = parse_opts(argc, argv, &o)) >= 0)
		return status;
	if (o.role != NULL || o.name != NULL || o.id != NULL || o.team != NULL) {
		cli_error("account list: takes only --data (try --help)");
		return CLI_USAGE;
	}
	if ((status = cmd_open_datadir(&d, "account list", o.data, 0, NULL, db)) != CLI_OK)
		return status;
	datadir_close(d);
	if ((rc = store_open(&st, db, STORE_READONLY)) != 0) {
		cli_error("account list: %s: %s", db, store_open_err(rc));
		return CLI_USAGE;
	}
	printf("%-6s %-8s %-20s %-12s %-8s %s\n", "ID", "ROLE", "CREATED", "TEAM", "STATE", "NAME");
	rc = store_account_list(st, print_account, NULL);
	if (rc != 0)
		cli_error("account list: %s: %s", db, store_open_err(rc));
	store_close(st);
	return rc == 0 ? CLI_OK : CLI_FAILED;
}

/* -------------------------------------------------------------- disable */

struct disable_ctx {
	uint64_t id;
	int already; /* set when the account was disabled before */
};

/* Inside the writer's transaction: the leaf learns the account's role. */
static int disable_change(void *ctx, store *st, struct leaf *leaves, size_t n, uint64_t first)
{
	(void)first;
	struct disable_ctx *c = ctx;
	struct store_account a;
	int rc;

	(void)n;
	if ((rc = store_account_by_id(st, c->id, &a)) != 0)
		return rc;
	if (a.disabled) {
		c->already = 1;
		return AK_ENOENT;
	}
	leaves[0].detail = role_detail(a.role);
	return store_account_disable(st, c->id, util_now());
}

static int account_disable(int argc, char **argv)
{
	struct account_opts o;
	struct datadir *d = NULL;
	struct disable_ctx ctx = {0};
	struct leaf l;
	char db[PATH_MAX];
	int rc, status;

	if ((status = parse_opts(argc, argv, &o)) >= 0)
		return status;
	if (o.id == NULL || o.role != NULL || o.name != NULL || o.team != NULL) {
		cli_error("account disable: takes --data and --id (try --help)");
		return CLI_USAGE;
	}
	if (util_parse_u64(o.id, strlen(o.id), &ctx.id) != 0 || ctx.id == 0 ||
	    ctx.id > (uint64_t)INT64_MAX) {
		cli_error("account disable: --id must be an account number (see account list)");
		return CLI_USAGE;
	}
	/* With the log key when writing. */
	if ((status = cmd_open_datadir(&d, "account disable", o.data, DATADIR_LOG, NULL, db)) !=
	    CLI_OK)
		return status;
	leaf_init(&l, ROLE_ADMIN, LEAF_NO_ID, ACT_ACCOUNT_DISABLE);
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	rc = submit("disable", d, db, &l, disable_change, &ctx, &status);
	datadir_close(d);
	if (status >= 0)
		return status;
	if (rc == AK_ENOENT) {
		cli_error("account disable: account %" PRIu64 " %s", ctx.id,
			  ctx.already ? "is already disabled" : "does not exist");
		return CLI_USAGE;
	}
	if (rc != 0) {
		cli_error("account disable: the audit log refused the entry (%s); nothing changed",
			  ak_strerror(rc));
		return CLI_FAILED;
	}
	printf("account %" PRIu64 " disabled\n", ctx.id);
	return CLI_OK;
}

/* ------------------------------------------------------------- dispatch */

int cmd_account(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
	    {"add", account_add},
	    {"list", account_list},
	    {"disable", account_disable},
	};

	if (argc < 2) {
		cli_error("account: add, list or disable? (try --help)");
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(account_usage, stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < AK_ARRAY_LEN(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	cli_error("account: unknown subcommand '%.40s' (add, list, disable; try --help)", argv[1]);
	return CLI_USAGE;
}
