/*
 * opts: the options every ankang-audit command shares (commands.h): the
 * choice of log source, the log's verifier key, the time bounds, and the
 * option loop that takes them.
 *
 * Tokens: --token puts the secret in the process list; --token-file reads
 * it from a file that must not be readable by group or others
 * (httpc_token_read), into sodium_malloc'd memory that is wiped once
 * libcurl holds its copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/commands.h"
#include "audit/timeparse.h"
#include "common/cli.h"
#include "common/httpc.h"
#include "common/util.h"
#include "crypto/cosig.h"

int opts_u64(const char *arg, const char *cmd, const char *name, uint64_t *out)
{
	if (util_parse_u64(arg, strlen(arg), out) != 0) {
		cli_error("%s: %s takes a decimal number", cmd, name);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int opts_time(const char *arg, const char *cmd, const char *name, uint64_t *ms)
{
	if (audit_time_parse(arg, ms) != 0) {
		cli_error("%s: %s: not unix seconds or YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]", cmd,
			  name);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int opts_source(struct audit_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_DB:
		o->db = arg;
		return 1;
	case OPT_SERVER:
		o->server = arg;
		return 1;
	case OPT_TOKEN:
		o->token = arg;
		return 1;
	case OPT_TOKEN_FILE:
		o->token_file = arg;
		return 1;
	case OPT_LOG:
		o->log = arg;
		return 1;
	case OPT_MIRROR:
		o->mirror = arg;
		return 1;
	case OPT_CACERT:
		o->cacert = arg;
		return 1;
	case OPT_TIMEOUT:
		return cli_timeout(arg, &o->timeout_s) == 0 ? 1 : -1;
	default:
		return 0;
	}
}

int opts_getopt(struct audit_opts *o, int argc, char **argv, const struct option *opts,
		const char *usage, int *status)
{
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts, OPT_HELP, usage, status)) > 0) {
		if ((rc = opts_source(o, c, optarg)) == 0)
			return c;
		if (rc < 0) {
			*status = CLI_USAGE;
			return -1;
		}
	}
	return c;
}

static int open_http(const struct audit_opts *o, const char *cmd, audit_source **out)
{
	struct source_http_options ho = {o->server, o->token, o->cacert, o->timeout_s};
	char *secret = NULL;
	int rc;

	if ((o->token == NULL) == (o->token_file == NULL)) {
		cli_error("%s: --server needs one of --token or --token-file", cmd);
		return CLI_USAGE;
	}
	if (o->token_file != NULL) {
		if ((rc = httpc_token_read(o->token_file, &secret)) != 0) {
			cli_error("%s: token file %s: %s", cmd, o->token_file, ak_strerror(rc));
			return CLI_USAGE;
		}
		ho.token = secret;
	}
	rc = source_open_http(out, &ho);
	httpc_token_free(secret);
	if (rc != 0) {
		cli_error("%s: --server must be an http:// or https:// URL without credentials, "
			  "query or fragment, and the token printable ASCII (%s)",
			  cmd, ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int open_tiles(const struct audit_opts *o, const char *cmd, audit_source **out)
{
	struct source_tiles_options to = {o->log, o->token, o->cacert, o->timeout_s, o->mirror};
	char *secret = NULL;
	int rc;

	if (o->token != NULL && o->token_file != NULL) {
		cli_error("%s: give --token or --token-file, not both", cmd);
		return CLI_USAGE;
	}
	if (o->token_file != NULL) {
		if ((rc = httpc_token_read(o->token_file, &secret)) != 0) {
			cli_error("%s: token file %s: %s", cmd, o->token_file, ak_strerror(rc));
			return CLI_USAGE;
		}
		to.token = secret;
	}
	rc = source_open_tiles(out, &to);
	httpc_token_free(secret);
	if (rc != 0) {
		cli_error("%s: --log must be an http:// or https:// URL without credentials, "
			  "query or fragment, and the token printable ASCII (%s)",
			  cmd, ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

int opts_open_source(const struct audit_opts *o, const char *cmd, audit_source **out)
{
	int rc;

	*out = NULL;
	if ((o->db != NULL) + (o->server != NULL) + (o->log != NULL) != 1) {
		cli_error(
		    "%s: give exactly one of --db FILE, --server URL or --log URL (try --help)",
		    cmd);
		return CLI_USAGE;
	}
	if (o->mirror != NULL && o->log == NULL) {
		cli_error("%s: --mirror goes with --log", cmd);
		return CLI_USAGE;
	}
	if (o->log != NULL)
		return open_tiles(o, cmd, out);
	if (o->server != NULL)
		return open_http(o, cmd, out);
	if (o->token != NULL || o->token_file != NULL || o->cacert != NULL) {
		cli_error("%s: --token, --token-file and --cacert go with --server or --log", cmd);
		return CLI_USAGE;
	}
	if ((rc = source_open_db(out, o->db)) != 0) {
		cli_error("%s: database %s: %s", cmd, o->db,
			  rc == AK_EINVAL ? "its schema is newer than this program"
					  : ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

void opts_close_source(audit_source *src)
{
	char line[256];
	const char *sum = source_summary(src, line, sizeof line);

	if (sum != NULL)
		cli_error("%s", sum);
	source_close(src);
}

int opts_witness(const char *arg, const char *cmd, struct key_verifier *k)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (cosig_verifier_parse(k, arg, strlen(arg)) == 0)
		return CLI_OK;
	rc = util_read_file(arg, KEY_VKEY_MAX + 1, &buf, &len);
	if (rc == 0) {
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		rc = cosig_verifier_parse(k, buf, len);
		free(buf);
	}
	if (rc != 0) {
		cli_error("%s: --witness: neither a witness's vkey (name+id+key, type 0x04) nor a "
			  "file holding one (%s)",
			  cmd, ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

int opts_log_key(const char *arg, const char *cmd, struct key_verifier *k)
{
	int rc;

	if (arg == NULL) {
		cli_error("%s: --log-key VKEY is required (key text or a .vkey file)", cmd);
		return CLI_USAGE;
	}
	if (key_verifier_parse(k, arg, strlen(arg)) == 0)
		return CLI_OK;
	if ((rc = key_verifier_load(k, arg)) != 0) {
		cli_error("%s: --log-key: neither verifier key text nor a readable key file (%s)",
			  cmd, ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}
