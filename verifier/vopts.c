/*
 * vopts: what ankang-verify's commands share (commands.h): the option
 * loop, the folder, the root key, the held lists, and the server
 * connection.
 *
 * Tokens: --token puts the secret in the process list, so its argument is
 * copied into sodium_malloc'd memory and overwritten in argv at once (a
 * window remains: prefer --token-file or the environment). A token file
 * must not be readable by group or others (httpc_token_read). The token
 * is wiped as soon as libcurl holds its copy (httpc wipes that one when
 * it closes). No message ever includes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/note.h"
#include "verifier/commands.h"
#include "verifier/state.h"

#define DEFAULT_TIMEOUT_S 30
/* "cmd: " before a message, or nothing for the default command (""). */
#define PFX(cmd) (cmd), (cmd)[0] != '\0' ? ": " : ""

void vopts_init(struct vopts *o)
{
	const char *env = getenv(VOPTS_DIR_ENV);

	memset(o, 0, sizeof *o);
	if (env != NULL && env[0] != '\0') {
		snprintf(o->dir, sizeof o->dir, "%s", env);
	} else if (vstate_default_dir(o->dir, sizeof o->dir, getenv("XDG_STATE_HOME"),
				      getenv("HOME")) == 0) {
		o->dir_default = 1;
	} else {
		/* Too long a $HOME: vopts_finish refuses it. */
		o->dir[0] = '\0';
	}
	o->stale_s = VOPTS_STALE_S;
	o->timeout_s = DEFAULT_TIMEOUT_S;
}

void vopts_free(struct vopts *o)
{
	if (o->token != NULL) {
		sodium_memzero(o->token, strlen(o->token));
		sodium_free(o->token);
		o->token = NULL;
	}
}

static int set_token(struct vopts *o, char *arg)
{
	size_t n = strlen(arg);

	if (o->token != NULL) {
		cli_error("--token given twice");
		return -1;
	}
	if ((o->token = sodium_malloc(n + 1)) == NULL) {
		cli_error("out of memory");
		return -1;
	}
	memcpy(o->token, arg, n + 1);
	/* Off the process list (what ps shows is argv's memory). */
	memset(arg, 'x', n);
	return 1;
}

int vopts_parse(struct vopts *o, int c, char *arg)
{
	uint64_t v;

	switch (c) {
	case VOPT_DIR:
		if (arg[0] == '\0' ||
		    snprintf(o->dir, sizeof o->dir, "%s", arg) >= (int)sizeof o->dir) {
			cli_error("--dir needs a folder");
			return -1;
		}
		o->dir_default = 0;
		return 1;
	case VOPT_ROOT:
		o->root = arg;
		return 1;
	case VOPT_SPOOL:
		if (arg[0] == '\0' ||
		    snprintf(o->spool, sizeof o->spool, "%s", arg) >= (int)sizeof o->spool) {
			cli_error("--spool needs a folder");
			return -1;
		}
		return 1;
	case VOPT_STALE:
		if (util_parse_u64(arg, strlen(arg), &v) != 0 || v > 366u * 86400u) {
			cli_error("--stale takes 0 to 31622400 seconds");
			return -1;
		}
		o->stale_s = v;
		return 1;
	case VOPT_SERVER:
		o->server = arg;
		return 1;
	case VOPT_TOKEN:
		return set_token(o, arg);
	case VOPT_TOKEN_FILE:
		o->token_file = arg;
		return 1;
	case VOPT_CACERT:
		o->cacert = arg;
		return 1;
	case VOPT_TIMEOUT:
		return cli_timeout(arg, &o->timeout_s) == 0 ? 1 : -1;
	case VOPT_JSON:
		o->json = 1;
		return 1;
	default:
		return 0;
	}
}

int vopts_getopt(struct vopts *o, int argc, char **argv, const struct option *opts,
		 const char *usage, int *status)
{
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts, VOPT_HELP, usage, status)) > 0) {
		if ((rc = vopts_parse(o, c, optarg)) == 0)
			return c;
		if (rc < 0) {
			*status = CLI_USAGE;
			return -1;
		}
	}
	return c;
}

/* The default folder moves once from the old ~/.cache one (state.h). */
static int move_old_state(const struct vopts *o, const char *cmd)
{
	char old[2048];
	int rc;

	if (vstate_old_dir(old, sizeof old, getenv("HOME")) != 0)
		return CLI_OK; /* no old folder could have had that name */
	switch ((rc = vstate_move(old, o->dir))) {
	case VSTATE_NOTHING:
		return CLI_OK;
	case VSTATE_RENAMED:
	case VSTATE_COPIED:
	case VSTATE_FINISHED:
		cli_error("%s%smoved the verifier's folder from %s to %s (it holds state, "
			  "not a cache)",
			  PFX(cmd), old, o->dir);
		return CLI_OK;
	case VSTATE_KEPT_OLD:
		cli_error("%s%swarning: %s.moving holds scans that %s/spool lacks (a verifier "
			  "from before wrote them after the copy); it is kept: upload them with "
			  "ankang-verify sync --dir %s.moving, then remove it",
			  PFX(cmd), old, o->dir, old);
		return CLI_OK;
	case VSTATE_BOTH_EXIST:
		cli_error("%s%swarning: %s is no longer read; the folder is %s", PFX(cmd), old,
			  o->dir);
		return CLI_OK;
	default:
		cli_error("%s%scannot move %s to %s: %s (nothing is lost: run again, or move "
			  "it by hand)",
			  PFX(cmd), old, o->dir,
			  rc == AK_EINVAL ? "it holds something that is not a file, folder or "
					    "link"
					  : strerror(errno));
		return CLI_USAGE;
	}
}

int vopts_finish(struct vopts *o, const char *cmd)
{
	if (o->dir[0] == '\0') {
		cli_error("%s%s$HOME is too long for the default folder: give --dir", PFX(cmd));
		return CLI_USAGE;
	}
	if (o->dir_default && move_old_state(o, cmd) != CLI_OK)
		return CLI_USAGE;
	if (o->spool[0] == '\0')
		snprintf(o->spool, sizeof o->spool, "%.2000s/spool", o->dir);
	return CLI_OK;
}

int vopts_path(char *out, size_t cap, const struct vopts *o, const char *name)
{
	return (size_t)snprintf(out, cap, "%s/%s", o->dir, name) < cap ? 0 : -1;
}

int vopts_root(const struct vopts *o, const char *cmd, struct key_verifier *root)
{
	char path[4096];
	const char *arg = o->root;
	int rc;

	if (arg != NULL && key_verifier_parse(root, arg, strlen(arg)) == 0)
		return CLI_OK;
	if (arg == NULL) {
		if (vopts_path(path, sizeof path, o, "root.vkey") != 0) {
			cli_error("%s%s--dir is too long", PFX(cmd));
			return CLI_USAGE;
		}
		arg = path;
	}
	if ((rc = key_verifier_load(root, arg)) != 0) {
		cli_error("%s%sroot key %s: %s%s", PFX(cmd), arg, ak_strerror(rc),
			  rc == AK_ENOENT ? " (the root key is installed by hand, never fetched: "
					    "copy it from the service's public/root.vkey)"
					  : "");
		return CLI_USAGE;
	}
	return CLI_OK;
}

int vopts_connect(const struct vopts *o, const char *cmd, httpc **out)
{
	struct httpc_options ho = {o->server, o->token, o->cacert, o->timeout_s, "ankang-verify/1"};
	const char *env = getenv(VOPTS_TOKEN_ENV);
	char *secret = NULL;
	int rc;

	*out = NULL;
	if (o->server == NULL) {
		cli_error("%s%s--server URL is required", PFX(cmd));
		return CLI_USAGE;
	}
	if (o->token != NULL && o->token_file != NULL) {
		cli_error("%s%sgive one of --token or --token-file", PFX(cmd));
		return CLI_USAGE;
	}
	if (o->token_file != NULL) {
		if ((rc = httpc_token_read(o->token_file, &secret)) != 0) {
			cli_error("%s%stoken file %s: %s", PFX(cmd), o->token_file,
				  rc == AK_EPERM ? "readable by group or others (chmod 0600)"
						 : ak_strerror(rc));
			return CLI_USAGE;
		}
		ho.token = secret;
	} else if (o->token == NULL) {
		if (env == NULL || env[0] == '\0') {
			cli_error("%s%s--server needs a token: --token, --token-file, or $%s",
				  PFX(cmd), VOPTS_TOKEN_ENV);
			return CLI_USAGE;
		}
		ho.token = env;
	}
	if (!httpc_token_valid(ho.token)) {
		rc = AK_EINVAL;
		cli_error("%s%sthe token is not printable ASCII of 1 to %d characters", PFX(cmd),
			  HTTPC_TOKEN_MAX);
	} else if ((rc = httpc_open(out, &ho)) != 0) {
		cli_error("%s%s--server must be an http:// or https:// URL without credentials, "
			  "query or fragment (%s)",
			  PFX(cmd), ak_strerror(rc));
	}
	httpc_token_free(secret);
	return rc == 0 ? CLI_OK : CLI_USAGE;
}

int vopts_held_trust(const char *path, const struct key_verifier *root, struct trust_list *t)
{
	char *note = NULL;
	size_t len;
	int rc;

	if ((rc = util_read_file(path, TRUST_TEXT_MAX, &note, &len)) != 0)
		return rc;
	rc = trust_open(t, note, len, root);
	free(note);
	/* trust_open's AK_ENOENT means "no signature by this key", not "no file". */
	return rc == AK_ENOENT ? AK_ECRYPTO : rc;
}

int vopts_held_revoc(const char *path, const struct key_verifier *root, struct revoc_list *r)
{
	char *note = NULL;
	size_t len;
	int rc;

	if ((rc = util_read_file(path, NOTE_MAX_BYTES, &note, &len)) != 0)
		return rc;
	rc = revoc_open(r, note, len, root);
	free(note);
	return rc == AK_ENOENT ? AK_ECRYPTO : rc;
}

uint64_t vopts_age(uint64_t issued, uint64_t now)
{
	return now > issued ? now - issued : 0;
}

void vopts_duration(char *out, size_t cap, uint64_t s)
{
	static const struct {
		uint64_t secs;
		const char *name;
	} unit[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
	size_t i = 0;

	while (i + 1 < sizeof unit / sizeof *unit && s < unit[i].secs)
		i++;
	if (i + 1 == sizeof unit / sizeof *unit || s % unit[i].secs < unit[i + 1].secs)
		snprintf(out, cap, "%llu %s", (unsigned long long)(s / unit[i].secs), unit[i].name);
	else
		snprintf(out, cap, "%llu %s %llu %s", (unsigned long long)(s / unit[i].secs),
			 unit[i].name, (unsigned long long)(s % unit[i].secs / unit[i + 1].secs),
			 unit[i + 1].name);
}

void vopts_utc(char *out, size_t cap, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%llu", (unsigned long long)t);
}
