/*
 * cmd_check: ankang-verify's default command, checking codes.
 *
 *   offline  against DIR/trust.note and DIR/revocations.note, opened with
 *            the root key; each scan is appended to the spool and made
 *            durable before its result is printed (spool.h), unless
 *            --no-spool or --now (a check as of another time is forensics,
 *            not a scan, and must not be uploaded as one). Codes on stdin
 *            that arrive faster than they are checked (a file, a queue)
 *            go in batches of up to SPOOL_BATCH_MAX: checked, spooled
 *            with one fdatasync, then shown; a code with nothing behind
 *            it is shown at once;
 *   online   with --server: POST /v1/verify per code; the service audits
 *            the check itself, so nothing is spooled, and it may answer
 *            superseded (the holder's status changed since issue).
 *
 * Output per code, the same in both modes: the result word and, only when
 * the result may show them (valid, revoked, superseded), the status and
 * the name, as show.h lays them out: a refused code's status in words
 * that say it is not a pass ("revoked (was green) NAME"). On a terminal
 * (--color=auto), or with --color=always, each result is a coloured
 * banner instead, and a refusal rings the bell. Online, a superseded code
 * past its online window comes with the name and no status: "-" stands
 * for it in text, and JSON leaves the key out. In text the name passes
 * through term_safe() first (C1 controls and bidi controls become
 * U+FFFD); --json leaves escaping to jansson. Exit 0 when every code is
 * valid, 1 when any is not, 2 on usage or I/O errors (a code that could
 * not be checked prints nothing on stdout, only its error on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/note.h"
#include "verifier/commands.h"
#include "verifier/scan.h"
#include "verifier/show.h"
#include "verifier/spool.h"
#include "verifier/vwire.h"

/* A verify answer is three short fields. */
#define CAP_VERDICT (16u << 10)

enum {
	OPT_TRUST = VOPT_FIRST_LOCAL,
	OPT_REVOC,
	OPT_NOW,
	OPT_SKEW,
	OPT_IMAGE,
	OPT_NO_SPOOL,
	OPT_COLOR,
};

/* An offline check whose result waits for its scan to be durable. */
struct pending {
	enum cred_result r;
	uint64_t t;
	struct cred c;
};

struct checker {
	struct vopts o;
	struct cred_trust trust;
	struct trust_list list;
	struct revoc_list revoked;
	spool *sp;  /* NULL: not spooling */
	httpc *net; /* non-NULL: online */
	int banner; /* results as banners (show.h), not lines */
	int bell;   /* a bell for each refusal: stdout is a terminal */
	int any_invalid;
	int failed; /* CLI_USAGE once a code could not be checked */
	int fatal;  /* stop: the spool failed, or the server refused the token */
	/* Offline, codes read from stdin while more are waiting are checked
	 * as a batch: their scans are spooled with one fdatasync, then their
	 * results shown (spool_append_batch). */
	int batching;
	struct pending batch[SPOOL_BATCH_MAX];
	size_t n_batch;
};

/* Prints one result: JSON, a line, or a banner (show.h), and on a
 * terminal rings the bell for a refusal. */
static void print_result(const struct checker *k, enum cred_result r, int has_name, int has_status,
			 enum cred_status st, const char *name)
{
	int show = has_name && cred_result_shows_data(r);

	if (k->o.json) {
		json_t *o = json_object();
		char *s;
		json_object_set_new(o, "result", json_string(cred_result_word(r)));
		if (show && has_status)
			json_object_set_new(o, "status", json_string(cred_status_word(st)));
		if (show)
			json_object_set_new(o, "name", json_string(name));
		if ((s = json_dumps(o, JSON_COMPACT)) != NULL)
			puts(s);
		free(s);
		json_decref(o);
	} else {
		struct show_result sr = {r, has_status, st, show ? name : NULL};
		char text[SHOW_CAP];
		long n = k->banner ? show_banner(text, sizeof text, &sr)
				   : show_line(text, sizeof text, &sr);

		if (k->bell && r != CRED_VALID)
			fputc('\a', stdout);
		if (n > 0)
			fwrite(text, 1, (size_t)n, stdout);
		sodium_memzero(text, sizeof text);
	}
	fflush(stdout);
}

/* Spools the batch's scans (one write, one fdatasync), then shows their
 * results, in order; wipes the batch. A spool that fails shows none. */
static void flush(struct checker *k)
{
	struct spool_scan s[SPOOL_BATCH_MAX];
	int rc;

	if (k->n_batch == 0)
		return;
	if (k->sp != NULL) {
		for (size_t i = 0; i < k->n_batch; i++) {
			const struct pending *p = &k->batch[i];
			spool_scan_init(&s[i], p->r, p->r == CRED_MALFORMED ? NULL : &p->c, p->t);
		}
		if ((rc = spool_append_batch(k->sp, s, k->n_batch)) != 0) {
			cli_error("spool %s: %s; the result is not shown (--no-spool checks "
				  "without recording)",
				  k->o.spool, ak_strerror(rc));
			k->failed = CLI_USAGE;
			k->fatal = 1;
		}
	}
	for (size_t i = 0; i < k->n_batch && !k->fatal; i++) {
		const struct pending *p = &k->batch[i];
		if (p->r != CRED_VALID)
			k->any_invalid = 1;
		print_result(k, p->r, 1, 1, p->c.claims.status, p->c.claims.name);
	}
	sodium_memzero(k->batch, k->n_batch * sizeof k->batch[0]);
	k->n_batch = 0;
}

static void check_offline(struct checker *k, const char *text, size_t len)
{
	struct pending *p = &k->batch[k->n_batch++];

	memset(p, 0, sizeof *p);
	p->r = cred_verify(&k->trust, text, len, &p->c);
	p->t = util_now();
	if (!k->batching || k->n_batch == SPOOL_BATCH_MAX)
		flush(k);
}

static void check_online(struct checker *k, const char *text, size_t len)
{
	struct vwire_verdict v;
	char *body = NULL, *ans = NULL;
	size_t blen, alen = 0;
	int rc;

	if (vwire_verify_body(&body, &blen, text, len) == AK_EINVAL) {
		/* Not even a credential's characters: nothing to ask. */
		k->any_invalid = 1;
		print_result(k, CRED_MALFORMED, 0, 0, CRED_GREEN, "");
		return;
	}
	if (body == NULL) {
		cli_error("out of memory");
		k->failed = CLI_USAGE;
		k->fatal = 1;
		return;
	}
	rc = httpc_post_json(k->net, "/v1/verify", body, blen, CAP_VERDICT, &ans, &alen);
	free(body);
	if (rc != 0) {
		cli_error("%s", httpc_what(k->net));
		k->failed = CLI_USAGE;
		/* A refused token refuses every code alike: stop at the first. */
		k->fatal = rc == AK_EDENIED;
		return;
	}
	rc = vwire_parse_verdict(&v, ans, alen);
	sodium_memzero(ans, alen);
	free(ans);
	if (rc != 0) {
		cli_error("POST /v1/verify: the server's answer is not what the API allows "
			  "(result, and name and status only for valid, revoked or superseded)");
		k->failed = CLI_USAGE;
		return;
	}
	if (v.result != CRED_VALID)
		k->any_invalid = 1;
	print_result(k, v.result, v.has_name, v.has_status, v.status, v.name);
	sodium_memzero(&v, sizeof v);
}

static void check(struct checker *k, const char *text, size_t len)
{
	if (k->fatal)
		return;
	if (k->net != NULL)
		check_online(k, text, len);
	else
		check_offline(k, text, len);
}

static int check_scanned(void *ctx, const char *text, size_t len)
{
	struct checker *k = ctx;

	check(k, text, len);
	return k->fatal ? 1 : 0;
}

/* Opens the held lists for an offline check; warns once when stale. */
static int load_lists(struct checker *k, const char *trust_path, const char *revoc_path,
		      int revoc_given, uint64_t now)
{
	struct key_verifier root;
	char when[32];
	int rc;

	if (vopts_root(&k->o, "", &root) != CLI_OK)
		return -1;
	if ((rc = vopts_held_trust(trust_path, &root, &k->list)) != 0) {
		cli_error("trust list %s: %s%s", trust_path,
			  rc == AK_ECRYPTO ? "not signed by the root key" : ak_strerror(rc),
			  rc == AK_ENOENT ? " (run ankang-verify sync)" : "");
		return -1;
	}
	rc = vopts_held_revoc(revoc_path, &root, &k->revoked);
	if (rc == AK_ENOENT && !revoc_given) {
		cli_error("warning: no revocation list at %s; revoked codes cannot be "
			  "recognised",
			  revoc_path);
	} else if (rc != 0) {
		cli_error("revocation list %s: %s", revoc_path,
			  rc == AK_ECRYPTO ? "not signed by the root key" : ak_strerror(rc));
		return -1;
	} else if (strcmp(k->revoked.origin, k->list.origin) != 0) {
		cli_error("revocation list %s is for another origin than the trust list",
			  revoc_path);
		return -1;
	} else if (vopts_age(k->revoked.issued, now) > k->o.stale_s) {
		vopts_utc(when, sizeof when, k->revoked.issued);
		cli_error("warning: the revocation list is %llu s old (issued %s, stale after "
			  "%llu s); codes revoked since are accepted: run ankang-verify sync",
			  (unsigned long long)vopts_age(k->revoked.issued, now), when,
			  (unsigned long long)k->o.stale_s);
	}
	k->trust.issuers = k->list.issuers;
	k->trust.n_issuers = k->list.n_issuers;
	k->trust.revoked = (const uint8_t(*)[CRED_CTI_BYTES])k->revoked.cti;
	k->trust.n_revoked = k->revoked.n;
	return 0;
}

/*
 * zbarcam and zbarimg print each symbol as "TYPE:DATA" unless --raw; only
 * QR codes carry credentials, so "QR-Code:" is taken off and any other
 * type is left on, where it makes the line malformed (a credential starts
 * with "AK1:", so no code can be mistaken for a prefix).
 */
#define ZBAR_QR_PREFIX     "QR-Code:"
#define ZBAR_QR_PREFIX_LEN (sizeof ZBAR_QR_PREFIX - 1)

/* More of stdin is waiting to be read (as far as the kernel knows: lines
 * stdio has buffered already only make a batch end early). */
static int input_waiting(void)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void read_stdin(struct checker *k)
{
	/* One code per line: a scanner that types into a terminal, or
	 * `zbarcam --nodisplay | ankang-verify -`. Blank lines (nothing but
	 * spaces and tabs: no code is) are skipped. */
	char line[ZBAR_QR_PREFIX_LEN + CRED_TEXT_MAX + 3];
	const size_t max = ZBAR_QR_PREFIX_LEN + CRED_TEXT_MAX + 1;
	long n;

	k->batching = 1;
	while (!k->fatal && (n = cli_read_line(line, sizeof line, max)) != -1) {
		const char *code = line;
		size_t len = (size_t)n;

		if (n == -2) { /* longer than any credential, with or without the prefix */
			check(k, line, CRED_TEXT_MAX + 1);
		} else if (len > 0 && strspn(line, " \t\r") != len) {
			if (len >= ZBAR_QR_PREFIX_LEN &&
			    memcmp(line, ZBAR_QR_PREFIX, ZBAR_QR_PREFIX_LEN) == 0) {
				code += ZBAR_QR_PREFIX_LEN;
				len -= ZBAR_QR_PREFIX_LEN;
			}
			check(k, code, len > CRED_TEXT_MAX ? CRED_TEXT_MAX + 1 : len);
		}
		/* Nothing more waiting: a person at the scanner sees the
		 * result now, not when the next code comes. */
		if (!input_waiting())
			flush(k);
	}
	sodium_memzero(line, sizeof line);
	flush(k);
	k->batching = 0;
}

int vcmd_check(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
	    VOPTS_LOCAL,
	    VOPTS_NET,
	    {"json", no_argument, NULL, VOPT_JSON},
	    {"trust", required_argument, NULL, OPT_TRUST},
	    {"revocations", required_argument, NULL, OPT_REVOC},
	    {"now", required_argument, NULL, OPT_NOW},
	    {"skew", required_argument, NULL, OPT_SKEW},
	    {"image", no_argument, NULL, OPT_IMAGE},
	    {"no-spool", no_argument, NULL, OPT_NO_SPOOL},
	    {"color", required_argument, NULL, OPT_COLOR},
	    {NULL, 0, NULL, 0},
	};
	struct checker *k;
	char trust_path[4096], revoc_path[4096];
	const char *trust_arg = NULL, *revoc_arg = NULL;
	uint64_t now = 0, skew = CRED_DEFAULT_SKEW;
	enum show_color color = SHOW_COLOR_AUTO;
	int c, rc, image = 0, no_spool = 0, have_now = 0, have_skew = 0, status = CLI_OK;

	if ((k = calloc(1, sizeof *k)) == NULL) {
		cli_error("out of memory");
		return CLI_USAGE;
	}
	vopts_init(&k->o);
	optind = 1;
	while ((c = vopts_getopt(&k->o, argc, argv, opts, usage, &status)) > 0) {
		switch (c) {
		case OPT_TRUST:
			trust_arg = optarg;
			break;
		case OPT_REVOC:
			revoc_arg = optarg;
			break;
		case OPT_NOW:
			if (util_parse_u64(optarg, strlen(optarg), &now) != 0) {
				cli_error("--now must be unix seconds");
				status = CLI_USAGE;
				goto done;
			}
			have_now = 1;
			break;
		case OPT_SKEW:
			if (util_parse_u64(optarg, strlen(optarg), &skew) != 0 || skew > 86400) {
				cli_error("--skew must be 0 to 86400 seconds");
				status = CLI_USAGE;
				goto done;
			}
			have_skew = 1;
			break;
		case OPT_IMAGE:
			image = 1;
			break;
		case OPT_NO_SPOOL:
			no_spool = 1;
			break;
		case OPT_COLOR:
			if (show_color_parse(optarg, &color) != 0) {
				cli_error("--color takes auto, always or never");
				status = CLI_USAGE;
				goto done;
			}
			break;
		}
	}
	if (c < 0)
		goto done;
	k->banner = !k->o.json && show_banner_wanted(color, isatty(STDOUT_FILENO),
						     getenv("NO_COLOR"), getenv("TERM"));
	k->bell = k->banner || (!k->o.json && isatty(STDOUT_FILENO));
	if (optind == argc) {
		cli_error("no credential given (a code, '-' for stdin, or --image FILE)");
		fputs(usage, stderr);
		status = CLI_USAGE;
		goto done;
	}
	if ((status = vopts_finish(&k->o, "")) != CLI_OK)
		goto done;
	if (k->o.server != NULL) {
		if (trust_arg != NULL || revoc_arg != NULL || k->o.root != NULL || have_now ||
		    have_skew) {
			cli_error(
			    "--trust, --revocations, --root, --now and --skew are for offline "
			    "checks; with --server the service checks");
			status = CLI_USAGE;
			goto done;
		}
		if ((status = vopts_connect(&k->o, "", &k->net)) != CLI_OK)
			goto done;
	} else {
		if (k->o.token != NULL || k->o.token_file != NULL || k->o.cacert != NULL) {
			cli_error("--token, --token-file and --cacert go with --server");
			status = CLI_USAGE;
			goto done;
		}
		if (trust_arg != NULL)
			snprintf(trust_path, sizeof trust_path, "%s", trust_arg);
		else
			vopts_path(trust_path, sizeof trust_path, &k->o, "trust.note");
		if (revoc_arg != NULL)
			snprintf(revoc_path, sizeof revoc_path, "%s", revoc_arg);
		else
			vopts_path(revoc_path, sizeof revoc_path, &k->o, "revocations.note");
		k->trust.now = have_now ? now : util_now();
		k->trust.skew = skew;
		if (load_lists(k, trust_path, revoc_path, revoc_arg != NULL, k->trust.now) != 0) {
			status = CLI_USAGE;
			goto done;
		}
		if (!no_spool && !have_now && (rc = spool_open(&k->sp, k->o.spool)) != 0) {
			cli_error("spool %s: %s (--no-spool checks without recording)", k->o.spool,
				  rc == AK_EPERM ? "open to group or others (want 0700 and 0600)"
						 : ak_strerror(rc));
			status = CLI_USAGE;
			goto done;
		}
	}

	for (int i = optind; i < argc && !k->fatal; i++) {
		if (image) {
			rc = scan_image_file(argv[i], check_scanned, k);
			if (rc == 0) {
				cli_error("%s: no QR code found", argv[i]);
				k->any_invalid = 1;
			} else if (rc < 0) {
				cli_error("%s: %s", argv[i], ak_strerror(rc));
				status = CLI_USAGE;
			}
		} else if (strcmp(argv[i], "-") == 0) {
			read_stdin(k);
		} else {
			check(k, argv[i], strlen(argv[i]));
		}
	}
	if (status == CLI_OK)
		status = k->failed ? k->failed : k->any_invalid ? CLI_FAILED : CLI_OK;
done:
	spool_close(k->sp);
	httpc_close(k->net);
	revoc_free(&k->revoked);
	vopts_free(&k->o);
	sodium_memzero(k, sizeof *k);
	free(k);
	return status;
}
