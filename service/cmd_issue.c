/*
 * ankangd issue: signs one credential from the command line, for an admin
 * at the data folder (demos, paper codes before the service runs, tests).
 * The name is personal data: it can come from standard input (--name -)
 * so it need not sit in the process list or shell history, and it is never
 * echoed in a message.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/cred_sign.h"
#include "service/commands.h"
#include "service/datadir.h"

#define DEFAULT_TTL 300

static const char issue_usage[] =
	"usage: ankangd issue --data DIR --name NAME|- --status green|yellow|red\n"
	"                     [--ttl SECONDS]\n"
	"\n"
	"Signs one credential with the data folder's active issuer key and prints\n"
	"it (AK1:...) on one line. --name - reads the name from standard input.\n"
	"  --ttl SECONDS   validity, 1 to 2678400 (31 days); default 300\n";

int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"status", required_argument, NULL, 's'},
		{"ttl", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *data = NULL, *name = NULL, *status = NULL, *what = NULL;
	uint64_t ttl = DEFAULT_TTL;
	struct datadir *d = NULL;
	struct cred_claims claims;
	char text[CRED_TEXT_MAX + 1], line[CRED_NAME_MAX + 2];
	int c, rc, st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			status = optarg;
			break;
		case 't':
			if (util_parse_u64(optarg, strlen(optarg), &ttl) != 0 || ttl == 0 ||
			    ttl > CRED_MAX_VALIDITY) {
				cli_error("issue: --ttl must be 1 to %u seconds", CRED_MAX_VALIDITY);
				return CLI_USAGE;
			}
			break;
		case 'h':
			fputs(issue_usage, stdout);
			return CLI_OK;
		default:
			fputs(issue_usage, stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc || data == NULL || name == NULL || status == NULL) {
		cli_error("issue: --data, --name and --status are required (try --help)");
		return CLI_USAGE;
	}
	if ((st = cred_status_parse(status, strlen(status))) < 0) {
		cli_error("issue: --status must be green, yellow or red");
		return CLI_USAGE;
	}
	if (strcmp(name, "-") == 0) {
		long n = cli_read_line(line, sizeof line, CRED_NAME_MAX + 1);
		if (n < 0) {
			cli_error("issue: no name on standard input, or longer than %d bytes",
				  CRED_NAME_MAX);
			return CLI_USAGE;
		}
		name = line;
	}

	memset(&claims, 0, sizeof claims);
	if (strlen(name) > CRED_NAME_MAX) {
		cli_error("issue: the name is longer than %d bytes", CRED_NAME_MAX);
		return CLI_USAGE;
	}
	memcpy(claims.name, name, strlen(name) + 1);
	claims.status = (enum cred_status)st;
	claims.iat = util_now();
	claims.exp = claims.iat + ttl;
	randombytes_buf(claims.cti, sizeof claims.cti);

	if ((rc = datadir_open(&d, data, DATADIR_ISSUER, NULL, &what)) != 0) {
		cli_error("issue: %s: %s: %s", data, what ? what : "", ak_strerror(rc));
		return CLI_USAGE;
	}
	memcpy(claims.iss, d->issuer_id, sizeof claims.iss);
	if (cred_claims_check(&claims) != 0) {
		cli_error("issue: the name must be 1-%d bytes of UTF-8 without control characters",
			  CRED_NAME_MAX);
		datadir_close(d);
		return CLI_USAGE;
	}
	rc = cred_issue(text, sizeof text, &claims, d->issuer);
	datadir_close(d);
	sodium_memzero(&claims, sizeof claims);
	sodium_memzero(line, sizeof line);
	if (rc < 0) {
		cli_error("issue: signing failed: %s", ak_strerror(rc));
		return CLI_FAILED;
	}
	printf("%s\n", text);
	return CLI_OK;
}
