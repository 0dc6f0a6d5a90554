/*
 * ankangd issue: signs one credential from the command line, for an admin
 * at the data folder (demos, paper codes before the service runs, tests).
 * The name is personal data: it can come from standard input (--name -)
 * so it need not sit in the process list or shell history, and it is never
 * echoed in a message.
 *
 * An issue is an access to be accounted for: an `issue` leaf (actor
 * admin:-, object the credential's cti, detail its status) is made durable
 * in the audit log before the credential is printed. No leaf, no code.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/cred_sign.h"
#include "log/auditlog.h"
#include "service/commands.h"
#include "service/policy.h"
#include "service/datadir.h"
#include "service/qr.h"

#define DEFAULT_TTL 300

static const char issue_usage[] =
    "usage: ankangd issue --data DIR --name NAME|- --status green|yellow|red\n"
    "                     [--ttl SECONDS] [--png FILE] [--qr]\n"
    "\n"
    "Signs one credential with the data folder's active issuer key and prints\n"
    "it (AK1:...) on one line, once the issue is recorded in the audit log.\n"
    "--name - reads the name from standard input.\n"
    "  --ttl SECONDS   validity, 1 to 2678400 (31 days); default 300\n"
    "  --png FILE      also write the QR code as a PNG in the status colour\n"
    "  --qr[=plain|colour]  also draw the QR code in the terminal, after the\n"
    "                  text (colour: status colour on white, readable on dark\n"
    "                  terminals; plain: dark on light; default: colour on a tty)\n";

/* The issue leaf, durable before the caller may print the code. */
static int log_issue(struct datadir *d, const uint8_t cti[CRED_CTI_BYTES], int status)
{
	char db[PATH_MAX];
	auditlog *a = NULL;
	const char *why = NULL;
	struct leaf l;
	int rc;

	leaf_init(&l, ROLE_ADMIN, LEAF_NO_ID, ACT_ISSUE);
	l.result = RES_OK;
	l.has_object = 1;
	memcpy(l.object, cti, LEAF_ID_BYTES);
	l.detail = leaf_detail_of_status(status);

	if ((rc = datadir_db(d, db, sizeof db)) != 0 ||
	    (rc = auditlog_open(&a, db, d->log, NULL, &why)) != 0) {
		cli_error("issue: audit log %s/%s: %s%s%s", d->path, DATADIR_DB, ak_strerror(rc),
			  why ? ": " : "", why ? why : "");
		return CLI_FAILED;
	}
	rc = auditlog_submit(a, &l, 1, NULL, NULL, NULL);
	auditlog_close(a);
	if (rc != 0) {
		cli_error("issue: the audit log refused the entry (%s); no code issued",
			  ak_strerror(rc));
		return CLI_FAILED;
	}
	return CLI_OK;
}

/* Writes the QR renderings asked for; the credential is already printed. */
static int write_qr(const char *text, int status, const char *png_path, int term)
{
	qr *q = NULL;
	uint8_t *png = NULL;
	char *drawn = NULL;
	size_t len;
	int rc;

	if ((rc = qr_encode(&q, text, strlen(text), QR_ECC_DEFAULT)) != 0)
		return rc;
	if (png_path != NULL) {
		if ((rc = qr_render_png(q, status, QR_SCALE_DEFAULT, &png, &len)) != 0 ||
		    (rc = util_write_file_atomic(png_path, png, len, 0644, 0)) != 0)
			goto done;
	}
	if (term) {
		if ((rc = qr_render_text(q, status, term == 2 ? QR_TEXT_COLOUR : 0, &drawn,
					 &len)) != 0)
			goto done;
		fwrite(drawn, 1, len, stdout);
	}
done:
	free(png);
	free(drawn);
	qr_free(q);
	return rc;
}

int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},   {"name", required_argument, NULL, 'n'},
	    {"status", required_argument, NULL, 's'}, {"ttl", required_argument, NULL, 't'},
	    {"png", required_argument, NULL, 'p'},    {"qr", optional_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *name = NULL, *status = NULL, *png = NULL;
	uint64_t ttl = DEFAULT_TTL;
	struct datadir *d = NULL;
	struct cred_claims claims;
	char text[CRED_TEXT_MAX + 1], line[CRED_NAME_MAX + 2];
	uint8_t cti[CRED_CTI_BYTES];
	size_t nlen;
	int c, rc, st, ret, term = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, 'h', issue_usage, &ret)) > 0) {
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
			/* --ttl requires an argument: getopt_long has set optarg. */
			/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
			if (util_parse_u64(optarg, strlen(optarg), &ttl) != 0 || ttl == 0 ||
			    ttl > CRED_MAX_VALIDITY) {
				cli_error("issue: --ttl must be 1 to %u seconds",
					  CRED_MAX_VALIDITY);
				return CLI_USAGE;
			}
			break;
		case 'p':
			png = optarg;
			break;
		case 'q':
			if (optarg == NULL)
				term = isatty(1) ? 2 : 1;
			else if (strcmp(optarg, "plain") == 0)
				term = 1;
			else if (strcmp(optarg, "colour") == 0 || strcmp(optarg, "color") == 0)
				term = 2;
			else {
				cli_error("issue: --qr takes plain or colour");
				return CLI_USAGE;
			}
			break;
		}
	}
	if (c < 0)
		return ret;
	if (cli_no_operands(argc, argv, "issue") != CLI_OK)
		return CLI_USAGE;
	if (data == NULL || name == NULL || status == NULL) {
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
	/* The enrolment rule (service/policy.h): a code issued here is shown
	 * at a checkpoint like any other. */
	if (policy_name_normalise(claims.name, sizeof claims.name, name, strlen(name), &nlen) !=
	    0) {
		sodium_memzero(line, sizeof line);
		cli_error("issue: %s", POLICY_NAME_MESSAGE);
		return CLI_USAGE;
	}
	claims.status = (enum cred_status)st;
	claims.iat = util_now();
	claims.exp = claims.iat + ttl;
	randombytes_buf(claims.cti, sizeof claims.cti);

	if ((rc = cmd_open_datadir(&d, "issue", data, DATADIR_ISSUER | DATADIR_LOG, NULL, NULL)) !=
	    CLI_OK)
		return rc;
	memcpy(claims.iss, d->issuer_id, sizeof claims.iss);
	if (cred_claims_check(&claims) != 0) {
		cli_error("issue: the name must be 1-%d bytes of UTF-8 without control characters",
			  CRED_NAME_MAX);
		datadir_close(d);
		return CLI_USAGE;
	}
	rc = cred_issue(text, sizeof text, &claims, d->issuer);
	memcpy(cti, claims.cti, sizeof cti);
	sodium_memzero(&claims, sizeof claims);
	sodium_memzero(line, sizeof line);
	if (rc < 0) {
		datadir_close(d);
		cli_error("issue: signing failed: %s", ak_strerror(rc));
		return CLI_FAILED;
	}
	rc = log_issue(d, cti, st);
	datadir_close(d);
	if (rc != CLI_OK) {
		sodium_memzero(text, sizeof text);
		return rc;
	}
	printf("%s\n", text);
	fflush(stdout);
	if ((png != NULL || term) && (rc = write_qr(text, st, png, term)) != 0) {
		cli_error("issue: QR code: %s%s%s", png ? png : "", png ? ": " : "",
			  ak_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}
