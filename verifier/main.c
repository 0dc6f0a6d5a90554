/*
 * ankang-verify: the checkpoint's verifier, offline.
 *
 *   ankang-verify [--dir DIR] [--trust FILE] [--revocations FILE] [--root VKEY]
 *                 [--now UNIX] [--skew S] [--json]
 *                 CREDENTIAL... | - | --image FILE.png...
 *
 * For each code it prints the result word and, only when FORMAT.md allows
 * a verifier to show them (valid, revoked), the status and the name:
 * nothing else exists in a code, so nothing else can be shown. Exit 0 when
 * every code is valid, 1 when any is not, 2 on usage or I/O errors.
 *
 * This program links the verify half of crypto/ only: no signing key code,
 * no sealing code (the test suite checks its symbols).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/key.h"
#include "crypto/note.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"
#include "verifier/scan.h"

static const char usage_text[] =
	"usage: ankang-verify [OPTIONS] CREDENTIAL...\n"
	"       ankang-verify [OPTIONS] -                (one credential per line on stdin)\n"
	"       ankang-verify [OPTIONS] --image FILE.png...\n"
	"\n"
	"Checks health codes against a signed trust list and revocation list and\n"
	"prints, per code: the result, and for a valid or revoked code the status\n"
	"and the name. Exit 0 if every code is valid, 1 if any is not, 2 on errors.\n"
	"\n"
	"  --dir DIR           folder holding root.vkey, trust.note, revocations.note\n"
	"                      (default $ANKANG_VERIFY_DIR, else ~/.cache/ankang-verify)\n"
	"  --root VKEY         the root verifier key: key text or a file holding it\n"
	"  --trust FILE        signed trust list (default DIR/trust.note)\n"
	"  --revocations FILE  signed revocation list (default DIR/revocations.note)\n"
	"  --now UNIX          check as of this time (tests, forensics)\n"
	"  --skew SECONDS      clock skew allowed, default 60\n"
	"  --json              one JSON object per code: {\"result\",\"status\",\"name\"}\n"
	"  --image             the arguments are PNG images to scan for QR codes\n";

struct verifier {
	struct cred_trust trust;
	struct trust_list list;
	struct revoc_list revoked;
	int json;
	int any_invalid;
};

/* Prints one result line and remembers whether it was valid. */
static void report(struct verifier *v, const char *text, size_t len)
{
	struct cred c;
	enum cred_result r = cred_verify(&v->trust, text, len, &c);
	int show = cred_result_shows_data(r);

	if (r != CRED_VALID)
		v->any_invalid = 1;
	if (v->json) {
		json_t *o = json_object();
		json_object_set_new(o, "result", json_string(cred_result_word(r)));
		if (show) {
			json_object_set_new(o, "status",
					    json_string(cred_status_word(c.claims.status)));
			json_object_set_new(o, "name", json_string(c.claims.name));
		}
		char *s = json_dumps(o, JSON_COMPACT);
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	} else if (show) {
		printf("%s %s %s\n", cred_result_word(r), cred_status_word(c.claims.status),
		       c.claims.name);
	} else {
		printf("%s\n", cred_result_word(r));
	}
	fflush(stdout);
	sodium_memzero(&c, sizeof c);
}

static int report_scanned(void *ctx, const char *text, size_t len)
{
	report(ctx, text, len);
	return 0;
}

static int load_root(struct key_verifier *root, const char *arg)
{
	if (key_verifier_parse(root, arg, strlen(arg)) == 0)
		return 0;
	return key_verifier_load(root, arg);
}

static int load_lists(struct verifier *v, const char *dir, const char *root_arg,
		      const char *trust_path, const char *revoc_path, int revoc_given)
{
	struct key_verifier root;
	char path[4096], *note = NULL;
	size_t len;
	int rc;

	if (root_arg == NULL) {
		snprintf(path, sizeof path, "%s/root.vkey", dir);
		root_arg = path;
	}
	if ((rc = load_root(&root, root_arg)) != 0) {
		cli_error("root key %s: %s", root_arg, ak_strerror(rc));
		return -1;
	}
	if ((rc = util_read_file(trust_path, TRUST_TEXT_MAX, &note, &len)) != 0 ||
	    (rc = trust_open(&v->list, note, len, &root)) != 0) {
		cli_error("trust list %s: %s", trust_path,
			  rc == AK_ENOENT && note ? "not signed by the root key" : ak_strerror(rc));
		free(note);
		return -1;
	}
	free(note);
	note = NULL;
	rc = util_read_file(revoc_path, NOTE_MAX_BYTES, &note, &len);
	if (rc == AK_ENOENT && !revoc_given) {
		cli_error("warning: no revocation list at %s; revoked codes cannot be "
			  "recognised",
			  revoc_path);
	} else if (rc != 0 || (rc = revoc_open(&v->revoked, note, len, &root)) != 0) {
		cli_error("revocation list %s: %s", revoc_path, ak_strerror(rc));
		free(note);
		return -1;
	} else if (strcmp(v->revoked.origin, v->list.origin) != 0) {
		cli_error("revocation list %s is for another origin than the trust list",
			  revoc_path);
		free(note);
		return -1;
	}
	free(note);
	v->trust.issuers = v->list.issuers;
	v->trust.n_issuers = v->list.n_issuers;
	v->trust.revoked = (const uint8_t(*)[CRED_CTI_BYTES])v->revoked.cti;
	v->trust.n_revoked = v->revoked.n;
	return 0;
}

static void default_dir(char *out, size_t cap)
{
	const char *env = getenv("ANKANG_VERIFY_DIR"), *home = getenv("HOME");
	if (env != NULL && env[0] != '\0')
		snprintf(out, cap, "%s", env);
	else
		snprintf(out, cap, "%s/.cache/ankang-verify", home ? home : ".");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"root", required_argument, NULL, 'r'},
		{"trust", required_argument, NULL, 't'},
		{"revocations", required_argument, NULL, 'v'},
		{"now", required_argument, NULL, 'n'},
		{"skew", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"image", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct verifier v;
	char dir[2048], trust_path[4096], revoc_path[4096];
	const char *root_arg = NULL, *trust_arg = NULL, *revoc_arg = NULL;
	int c, image = 0, status = CLI_OK;
	uint64_t now = 0, skew = CRED_DEFAULT_SKEW;
	int have_now = 0;

	cli_prog = "ankang-verify";
	memset(&v, 0, sizeof v);
	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		return CLI_USAGE;
	}
	default_dir(dir, sizeof dir);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			snprintf(dir, sizeof dir, "%s", optarg);
			break;
		case 'r':
			root_arg = optarg;
			break;
		case 't':
			trust_arg = optarg;
			break;
		case 'v':
			revoc_arg = optarg;
			break;
		case 'n':
			if (util_parse_u64(optarg, strlen(optarg), &now) != 0) {
				cli_error("--now must be unix seconds");
				return CLI_USAGE;
			}
			have_now = 1;
			break;
		case 's':
			if (util_parse_u64(optarg, strlen(optarg), &skew) != 0 || skew > 86400) {
				cli_error("--skew must be 0 to 86400 seconds");
				return CLI_USAGE;
			}
			break;
		case 'j':
			v.json = 1;
			break;
		case 'i':
			image = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_OK;
		default:
			fputs(usage_text, stderr);
			return CLI_USAGE;
		}
	}
	if (optind == argc) {
		cli_error("no credential given (a code, '-' for stdin, or --image FILE)");
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	if (trust_arg != NULL)
		snprintf(trust_path, sizeof trust_path, "%s", trust_arg);
	else
		snprintf(trust_path, sizeof trust_path, "%s/trust.note", dir);
	if (revoc_arg != NULL)
		snprintf(revoc_path, sizeof revoc_path, "%s", revoc_arg);
	else
		snprintf(revoc_path, sizeof revoc_path, "%s/revocations.note", dir);
	if (load_lists(&v, dir, root_arg, trust_path, revoc_path, revoc_arg != NULL) != 0)
		return CLI_USAGE;
	v.trust.now = have_now ? now : util_now();
	v.trust.skew = skew;

	for (int i = optind; i < argc; i++) {
		if (image) {
			int rc = scan_png_file(argv[i], report_scanned, &v);
			if (rc == 0) {
				cli_error("%s: no QR code found", argv[i]);
				v.any_invalid = 1;
			} else if (rc < 0) {
				cli_error("%s: %s", argv[i], ak_strerror(rc));
				status = CLI_USAGE;
			}
		} else if (strcmp(argv[i], "-") == 0) {
			/* One code per line: a scanner that types into a terminal, or
			 * `zbarcam --raw | ankang-verify -`. Blank lines are skipped. */
			char line[CRED_TEXT_MAX + 3];
			long n;
			while ((n = cli_read_line(line, sizeof line, CRED_TEXT_MAX + 1)) != -1) {
				if (n == -2) { /* longer than any credential */
					report(&v, line, CRED_TEXT_MAX + 1);
					continue;
				}
				if (n > 0)
					report(&v, line, (size_t)n);
			}
		} else {
			report(&v, argv[i], strlen(argv[i]));
		}
	}
	revoc_free(&v.revoked);
	if (status != CLI_OK)
		return status;
	return v.any_invalid ? CLI_FAILED : CLI_OK;
}
