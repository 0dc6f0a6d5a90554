/*
 * commands: ankang-audit's subcommands, one file each (cmd_<name>.c), and
 * the options they share (opts.c): where the log comes from (--db,
 * --server with a token, or --log with an optional token and --mirror),
 * the log's verifier key, time bounds, and the
 * option loop that takes them.
 *
 * Each command takes the arguments after its name (argv[0] is the
 * command) and returns an exit status of common/cli.h: 0 ok, 1 a check
 * failed, 2 usage or I/O.
 */
#ifndef ANKANG_AUDIT_COMMANDS_H
#define ANKANG_AUDIT_COMMANDS_H

#include <getopt.h>

#include "audit/source.h"
#include "crypto/key.h"

int cmd_verify(int argc, char **argv);
int cmd_entries(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_check_proof(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Long options shared by the commands (getopt_long values). */
enum {
	OPT_DB = 1000,
	OPT_SERVER,
	OPT_TOKEN,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_LOG,
	OPT_MIRROR,
	OPT_FIRST_LOCAL /* commands number their own options from here */
};

/* clang-format off */
#define OPTS_SOURCE                                                \
	{"db", required_argument, NULL, OPT_DB},                   \
	{"server", required_argument, NULL, OPT_SERVER},           \
	{"token", required_argument, NULL, OPT_TOKEN},             \
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},   \
	{"cacert", required_argument, NULL, OPT_CACERT},           \
	{"timeout", required_argument, NULL, OPT_TIMEOUT},         \
	{"help", no_argument, NULL, OPT_HELP},                     \
	{"log", required_argument, NULL, OPT_LOG},                 \
	{"mirror", required_argument, NULL, OPT_MIRROR}
/* clang-format on */

#define OPTS_SOURCE_USAGE                                                                          \
	"  --db FILE           read an auditor's copy of the database (read-only)\n"               \
	"  --server URL        read the service's auditor endpoints (http/https)\n"                \
	"  --token T           the auditor account's bearer token (--server, --log)\n"             \
	"  --token-file F      read the token from F (mode 0600), not the command line\n"          \
	"  --cacert FILE       CA bundle for an https server with a private CA\n"                  \
	"  --timeout SECONDS   per HTTP request, default 60\n"                                     \
	"  --log URL           read the log as C2SP tlog-tiles from its prefix (hash tiles\n"      \
	"                      public; entry bundles need --token or --token-file)\n"              \
	"  --mirror DIR        with --log: keep the tiles in DIR, fetch only what is new\n"

struct audit_opts {
	const char *db, *server, *log, *mirror, *token, *token_file, *cacert;
	long timeout_s;
};

/*
 * Handles option c (with optarg) if it is one of OPTS_SOURCE. Returns 1
 * when it was, 0 when it is the command's own, -1 on a bad value (after
 * printing why).
 */
int opts_source(struct audit_opts *o, int c, const char *arg);

/*
 * The getopt_long loop of a command that reads a source:
 *
 *	optind = 1;
 *	while ((c = opts_getopt(&o, argc, argv, opts, usage, &status)) > 0)
 *		switch (c) { the command's own options }
 *	if (c < 0)
 *		return status;
 *
 * Takes OPTS_SOURCE into o (opts_source), and answers --help (usage on
 * stdout, status CLI_OK), an unknown option or a missing value (usage on
 * stderr, status CLI_USAGE) and a bad value of a shared option (status
 * CLI_USAGE): cli_getopt with OPT_HELP. Returns the command's next own
 * option, 0 after the last option, or -1 when the command must return
 * status.
 */
int opts_getopt(struct audit_opts *o, int argc, char **argv, const struct option *opts,
		const char *usage, int *status);

/* Parses --since or --until (name) into *ms: unix seconds or an ISO date
 * and time (audit_time_parse). CLI_OK or CLI_USAGE (after printing why). */
int opts_time(const char *arg, const char *cmd, const char *name, uint64_t *ms);

/* Opens the source the options name, printing any error. Returns CLI_OK,
 * or CLI_USAGE (bad or missing options, unreadable files). */
int opts_open_source(const struct audit_opts *o, const char *cmd, audit_source **out);

/* Loads --log-key: verifier key text, or a file holding it. CLI_OK or
 * CLI_USAGE (after printing why). */
int opts_log_key(const char *arg, const char *cmd, struct key_verifier *k);

/* Loads a --witness: a cosigner vkey (cosig.h), as text or a file
 * holding it. CLI_OK or CLI_USAGE (after printing why). */
int opts_witness(const char *arg, const char *cmd, struct key_verifier *k);

/* Prints the source's summary line (what it fetched, what it reused) on
 * stderr, if it has one, and closes it. */
void opts_close_source(audit_source *src);

/* Parses a decimal count for option name; CLI_OK or CLI_USAGE. */
int opts_u64(const char *arg, const char *cmd, const char *name, uint64_t *out);

#endif
