/*
 * commands: ankang-verify's commands, one file each, and what they share
 * (vopts.c): the option loop, the verifier's folder, the root key, the
 * held lists, and the connection to a server with its token.
 *
 *   (none)  check codes, offline (cmd_check.c) or online with --server
 *   sync    fetch and verify the lists, upload the spool (cmd_sync.c)
 *   status  the lists' ages and the spool's backlog (cmd_status.c)
 *
 * The folder (--dir, default $ANKANG_VERIFY_DIR, else
 * $XDG_STATE_HOME/ankang-verify or ~/.local/state/ankang-verify, moved
 * there once from ~/.cache/ankang-verify: state.h):
 *   root.vkey          the root verifier key, put there out of band: it is
 *                      never fetched, since it is what makes fetching safe
 *   trust.note         the signed trust list, replaced by sync
 *   revocations.note   the signed revocation list, replaced by sync
 *   spool/             the offline scans (spool.h)
 *
 * Each command takes the arguments after its name (argv[0] is the name)
 * and returns an exit status of common/cli.h. These are main() paths:
 * they print, to stderr, one line per problem, never a token or a name.
 * Symbols carry a v prefix: the tests link every program's archive.
 */
#ifndef ANKANG_VERIFIER_COMMANDS_H
#define ANKANG_VERIFIER_COMMANDS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "common/httpc.h"
#include "crypto/key.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"

/* A revocation list older than this is stale (status, and a warning). */
#define VOPTS_STALE_S 600
/* ANKANG_VERIFY_DIR: the folder, when --dir does not give it (a system
 * unit sets /var/lib/ankang-verify). */
#define VOPTS_DIR_ENV "ANKANG_VERIFY_DIR"
/* ANKANG_VERIFY_TOKEN: the token, when neither option gives it. */
#define VOPTS_TOKEN_ENV "ANKANG_VERIFY_TOKEN"

/* usage: the program's usage text, for --help and mistakes. */
int vcmd_check(int argc, char **argv, const char *usage);
int vcmd_sync(int argc, char **argv);
int vcmd_status(int argc, char **argv);

/* Long options shared by the commands (getopt_long values). */
enum {
	VOPT_DIR = 1000,
	VOPT_ROOT,
	VOPT_SPOOL,
	VOPT_STALE,
	VOPT_SERVER,
	VOPT_TOKEN,
	VOPT_TOKEN_FILE,
	VOPT_CACERT,
	VOPT_TIMEOUT,
	VOPT_JSON,
	VOPT_HELP,
	VOPT_FIRST_LOCAL /* commands number their own options from here */
};

/* clang-format off */
#define VOPTS_LOCAL                                                \
	{"dir", required_argument, NULL, VOPT_DIR},                \
	{"root", required_argument, NULL, VOPT_ROOT},              \
	{"spool", required_argument, NULL, VOPT_SPOOL},            \
	{"stale", required_argument, NULL, VOPT_STALE},            \
	{"help", no_argument, NULL, VOPT_HELP}
#define VOPTS_NET                                                  \
	{"server", required_argument, NULL, VOPT_SERVER},          \
	{"token", required_argument, NULL, VOPT_TOKEN},            \
	{"token-file", required_argument, NULL, VOPT_TOKEN_FILE},  \
	{"cacert", required_argument, NULL, VOPT_CACERT},          \
	{"timeout", required_argument, NULL, VOPT_TIMEOUT}
/* clang-format on */

#define VOPTS_LOCAL_USAGE                                                                          \
	"  --dir DIR           folder of root.vkey, trust.note, revocations.note, spool/\n"        \
	"                      (default $ANKANG_VERIFY_DIR, else $XDG_STATE_HOME/ankang-verify\n"  \
	"                      or ~/.local/state/ankang-verify)\n"                                 \
	"  --root VKEY         the root verifier key: key text or a file (default "                \
	"DIR/root.vkey)\n"                                                                         \
	"  --spool DIR         the spool folder (default DIR/spool)\n"                             \
	"  --stale SECONDS     a revocation list older than this is stale (default 600)\n"

#define VOPTS_NET_USAGE                                                                            \
	"  --server URL        the service (http:// or https://)\n"                                \
	"  --token T           the verifier account's token (or --token-file, or\n"                \
	"                      $ANKANG_VERIFY_TOKEN: keeps it off the command line)\n"             \
	"  --token-file F      read the token from F (not readable by group or others)\n"          \
	"  --cacert FILE       CA bundle for an https server with a private CA\n"                  \
	"  --timeout SECONDS   per HTTP request, default 30\n"

struct vopts {
	char dir[2048];
	int dir_default; /* dir is the default folder: move the old one (state.h) */
	char spool[2048];
	const char *root; /* NULL: DIR/root.vkey */
	uint64_t stale_s;
	int json;
	const char *server, *token_file, *cacert;
	char *token; /* sodium_malloc'd copy of --token; wiped by vopts_free */
	long timeout_s;
};

/* Defaults: the folder from the environment, stale 600 s, timeout 30 s. */
void vopts_init(struct vopts *o);
/* Wipes and frees the token copy. */
void vopts_free(struct vopts *o);

/*
 * Handles option c (with optarg) if it is one of VOPTS_LOCAL, VOPTS_NET or
 * --json (in the tables of the commands that have it). Returns 1 when it
 * was, 0 when it is not, -1 on a bad value (after printing why).
 * --token's argument is copied and wiped in argv.
 */
int vopts_parse(struct vopts *o, int c, char *arg);

/*
 * The getopt_long loop of every command:
 *
 *	optind = 1;
 *	while ((c = vopts_getopt(&o, argc, argv, opts, usage, &status)) > 0)
 *		switch (c) { the command's own options }
 *	if (c < 0)
 *		goto done;      (and return status)
 *
 * Takes the shared options into o (vopts_parse), and answers --help
 * (usage on stdout, status CLI_OK), an unknown option or a missing value
 * (usage on stderr, status CLI_USAGE) and a bad value of a shared option
 * (status CLI_USAGE): cli_getopt with VOPT_HELP. Returns the command's
 * next own option, 0 after the last option, or -1 when the command must
 * stop with status. A command with no options of its own gets 0 or -1
 * from its first call.
 */
int vopts_getopt(struct vopts *o, int argc, char **argv, const struct option *opts,
		 const char *usage, int *status);

/*
 * After the options: for the default folder, moves the old one there the
 * first time (state.h, saying so on stderr); fills o->spool from DIR when
 * --spool was not given. CLI_OK, or CLI_USAGE after printing why.
 */
int vopts_finish(struct vopts *o, const char *cmd);

/* Loads the root key (--root, or DIR/root.vkey). CLI_OK or CLI_USAGE. */
int vopts_root(const struct vopts *o, const char *cmd, struct key_verifier *root);

/*
 * Opens the connection to --server with the token from --token,
 * --token-file or the environment, in that order. CLI_OK or CLI_USAGE
 * (after printing why, without the token).
 */
int vopts_connect(const struct vopts *o, const char *cmd, httpc **out);

/* DIR/name into out. 0, or -1 when it does not fit. */
int vopts_path(char *out, size_t cap, const struct vopts *o, const char *name);

/*
 * The held lists, opened with the root key. Return 0, AK_ENOENT (no file),
 * or another AK_E* code (unreadable, or not verified by the root key:
 * AK_ECRYPTO, AK_EINVAL). r must be zeroed; revoc_free() it after.
 */
int vopts_held_trust(const char *path, const struct key_verifier *root, struct trust_list *t);
int vopts_held_revoc(const char *path, const struct key_verifier *root, struct revoc_list *r);

/* Seconds from issued to now; 0 when issued is in the future. */
uint64_t vopts_age(uint64_t issued, uint64_t now);

/* A span in words, two units at most ("45 s", "8 min 20 s", "3 h 5 min",
 * "2 d 4 h") into out (at least 32 bytes). */
void vopts_duration(char *out, size_t cap, uint64_t s);

/* "2026-01-01T00:00:00Z" into out (at least 21 bytes). */
void vopts_utc(char *out, size_t cap, uint64_t t);

#endif
