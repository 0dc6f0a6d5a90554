/*
 * opts: the options every ankang-audit command shares (commands.h): the
 * choice of log source and the log's verifier key.
 *
 * Tokens: --token puts the secret in the process list; --token-file reads
 * it from a file that must not be readable by group or others, into
 * sodium_malloc'd memory that is wiped once libcurl holds its copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/commands.h"
#include "common/cli.h"
#include "common/util.h"

#define TOKEN_FILE_MAX 1024

int opts_u64(const char *arg, const char *cmd, const char *name, uint64_t *out)
{
	if (util_parse_u64(arg, strlen(arg), out) != 0) {
		cli_error("%s: %s takes a decimal number", cmd, name);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int opts_source(struct audit_opts *o, int c, const char *arg)
{
	uint64_t v;

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
	case OPT_CACERT:
		o->cacert = arg;
		return 1;
	case OPT_TIMEOUT:
		if (util_parse_u64(arg, strlen(arg), &v) != 0 || v == 0 || v > 3600) {
			cli_error("--timeout takes 1 to 3600 seconds");
			return -1;
		}
		o->timeout_s = (long)v;
		return 1;
	default:
		return 0;
	}
}

static int open_http(const struct audit_opts *o, const char *cmd, audit_source **out)
{
	struct source_http_options ho = {o->server, o->token, o->cacert, o->timeout_s};
	char *secret = NULL;
	size_t len = 0;
	int rc;

	if ((o->token == NULL) == (o->token_file == NULL)) {
		cli_error("%s: --server needs one of --token or --token-file", cmd);
		return CLI_USAGE;
	}
	if (o->token_file != NULL) {
		if ((rc = util_read_secret_file(o->token_file, TOKEN_FILE_MAX, &secret, &len)) !=
		    0) {
			cli_error("%s: token file %s: %s", cmd, o->token_file, ak_strerror(rc));
			return CLI_USAGE;
		}
		while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
			secret[--len] = '\0';
		ho.token = secret;
	}
	rc = source_open_http(out, &ho);
	if (secret != NULL) {
		sodium_memzero(secret, len);
		sodium_free(secret);
	}
	if (rc != 0) {
		cli_error("%s: --server must be an http:// or https:// URL without credentials, "
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
	if ((o->db == NULL) == (o->server == NULL)) {
		cli_error("%s: give exactly one of --db FILE or --server URL (try --help)", cmd);
		return CLI_USAGE;
	}
	if (o->server != NULL)
		return open_http(o, cmd, out);
	if (o->token != NULL || o->token_file != NULL || o->cacert != NULL) {
		cli_error("%s: --token, --token-file and --cacert go with --server", cmd);
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
