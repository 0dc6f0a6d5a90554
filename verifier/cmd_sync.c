/*
 * cmd_sync: ankang-verify sync --server URL (--token T | --token-file F |
 * $ANKANG_VERIFY_TOKEN) [--dir DIR] [--spool DIR]
 *
 * 1. Lists. GET /v1/trust and GET /v1/revocations, each opened with the
 *    root key held in DIR (never fetched: it is what makes fetching safe).
 *    Both must verify, be for the same origin, and be issued no earlier
 *    than the lists held (a server, or anyone between, replaying an old
 *    revocation list would un-revoke codes); only then are the files
 *    replaced, each atomically. On any refusal both held files stay as
 *    they were and nothing is uploaded.
 * 2. Scans. The spool's lines after the sent offset go to POST /v1/scans
 *    in pages of at most VWIRE_SCANS_PAGE; after each page the server
 *    accepted (its accepted + duplicates count every scan sent), the
 *    offset past that page is recorded atomically. The server ignores scan
 *    ids it has seen, so a crash between the two re-sends a page, no more.
 *    Lines that do not parse are skipped (counted, and passed by the
 *    offset: they could never be sent).
 *
 * Prints one line per step on stdout; errors are one line on stderr with
 * the server's sanitised error code, never the token. Exit 0, or 2.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "crypto/note.h"
#include "verifier/commands.h"
#include "verifier/spool.h"
#include "verifier/vwire.h"

#define CAP_ANSWER (64u << 10)

static const char usage_text[] =
    "usage: ankang-verify sync --server URL [--token T | --token-file F] [OPTIONS]\n"
    "\n"
    "Fetches the trust list and the revocation list, checks them with the root\n"
    "key held in DIR and refuses any older than the lists held, replaces the\n"
    "held files, then uploads the spool's new scans. Exit 0, or 2 on errors.\n"
    "\n" VOPTS_NET_USAGE VOPTS_LOCAL_USAGE;

/* A fetched list that passed every check, waiting to be written. */
struct fetched {
	char *note;
	size_t len;
};

static void say_list(const char *what, uint64_t issued, int had, uint64_t held_issued,
		     const char *extra)
{
	char when[32];

	vopts_utc(when, sizeof when, issued);
	printf("%s: issued %s%s (%s)\n", what, when, extra,
	       !had                   ? "new"
	       : issued > held_issued ? "updated"
				      : "unchanged");
}

static int fetch(httpc *h, const char *path, size_t cap, struct fetched *f)
{
	if (httpc_get(h, path, cap, &f->note, &f->len) != 0) {
		cli_error("sync: %s; the held lists are unchanged", httpc_what(h));
		return -1;
	}
	return 0;
}

static int refuse(const char *path, const char *why)
{
	cli_error("sync: GET %s: %s; the held lists are unchanged", path, why);
	return -1;
}

/* A fetched list issued before the one held: a replayed old list. */
static int refuse_rollback(const char *path, uint64_t issued, uint64_t held_issued)
{
	char a[32], b[32], why[160];

	vopts_utc(a, sizeof a, issued);
	vopts_utc(b, sizeof b, held_issued);
	snprintf(why, sizeof why, "issued %s, before the held list (%s): refusing a rollback", a,
		 b);
	return refuse(path, why);
}

static int sync_lists(const struct vopts *o, httpc *h, const struct key_verifier *root)
{
	char tpath[4096], rpath[4096], extra[64];
	struct trust_list held_t, new_t;
	struct revoc_list held_r, new_r;
	struct fetched ft = {NULL, 0}, fr = {NULL, 0};
	int have_t, have_r, rc, ret = -1;

	memset(&held_r, 0, sizeof held_r);
	memset(&new_r, 0, sizeof new_r);
	if (vopts_path(tpath, sizeof tpath, o, "trust.note") != 0 ||
	    vopts_path(rpath, sizeof rpath, o, "revocations.note") != 0) {
		cli_error("sync: --dir is too long");
		return -1;
	}
	/* What is held now; a held file that no longer verifies is replaced,
	 * but with a warning: its issued time cannot be trusted for the
	 * rollback check. */
	rc = vopts_held_trust(tpath, root, &held_t);
	have_t = rc == 0;
	if (rc != 0 && rc != AK_ENOENT)
		cli_error("sync: warning: the held trust list %s does not verify (%s); "
			  "replacing it",
			  tpath, ak_strerror(rc));
	rc = vopts_held_revoc(rpath, root, &held_r);
	have_r = rc == 0;
	if (rc != 0 && rc != AK_ENOENT)
		cli_error("sync: warning: the held revocation list %s does not verify (%s); "
			  "replacing it",
			  rpath, ak_strerror(rc));

	if (fetch(h, "/v1/trust", TRUST_TEXT_MAX, &ft) != 0)
		goto done;
	rc = trust_open(&new_t, ft.note, ft.len, root);
	if (rc != 0) {
		refuse("/v1/trust", rc == AK_EINVAL ? "not a trust list"
						    : "not signed by the root key held here");
		goto done;
	}
	if (have_t && new_t.issued < held_t.issued) {
		refuse_rollback("/v1/trust", new_t.issued, held_t.issued);
		goto done;
	}
	if (fetch(h, "/v1/revocations", NOTE_MAX_BYTES, &fr) != 0)
		goto done;
	rc = revoc_open(&new_r, fr.note, fr.len, root);
	if (rc != 0) {
		refuse("/v1/revocations", rc == AK_EINVAL ? "not a revocation list"
					  : rc == AK_ENOMEM
					      ? "out of memory"
					      : "not signed by the root key held here");
		goto done;
	}
	if (strcmp(new_r.origin, new_t.origin) != 0) {
		refuse("/v1/revocations", "for another origin than the trust list");
		goto done;
	}
	if (have_r && new_r.issued < held_r.issued) {
		refuse_rollback("/v1/revocations", new_r.issued, held_r.issued);
		goto done;
	}
	/* Every check passed: now, and only now, replace the files. */
	if ((rc = util_write_file_atomic(tpath, ft.note, ft.len, 0644, 0)) != 0) {
		cli_error("sync: cannot write %s: %s", tpath, ak_strerror(rc));
		goto done;
	}
	if ((rc = util_write_file_atomic(rpath, fr.note, fr.len, 0644, 0)) != 0) {
		cli_error("sync: cannot write %s: %s (the trust list was updated)", rpath,
			  ak_strerror(rc));
		goto done;
	}
	snprintf(extra, sizeof extra, ", %zu issuer key%s", new_t.n_issuers,
		 new_t.n_issuers == 1 ? "" : "s");
	say_list("trust", new_t.issued, have_t, have_t ? held_t.issued : 0, extra);
	snprintf(extra, sizeof extra, ", %zu revoked code%s", new_r.n, new_r.n == 1 ? "" : "s");
	say_list("revocations", new_r.issued, have_r, have_r ? held_r.issued : 0, extra);
	ret = 0;
done:
	free(ft.note);
	free(fr.note);
	revoc_free(&held_r);
	revoc_free(&new_r);
	return ret;
}

static int post_page(const struct vopts *o, httpc *h, const struct spool_scan *page, size_t n,
		     uint64_t *accepted, uint64_t *dups)
{
	char *body = NULL, *ans = NULL;
	size_t blen, alen;
	int rc;

	if ((rc = vwire_scans_body(&body, &blen, page, n)) != 0) {
		cli_error("sync: cannot build an upload: %s", ak_strerror(rc));
		return -1;
	}
	rc = httpc_post_json(h, "/v1/scans", body, blen, CAP_ANSWER, &ans, &alen);
	free(body);
	if (rc != 0) {
		cli_error("sync: %s; those scans stay in the spool (%s)", httpc_what(h), o->spool);
		return -1;
	}
	rc = vwire_parse_scans_answer(ans, alen, accepted, dups);
	free(ans);
	if (rc != 0 || *accepted > n || *dups > n - *accepted || *accepted + *dups != n) {
		cli_error("sync: POST /v1/scans: the answer does not account for the %zu scans "
			  "sent; they stay in the spool",
			  n);
		return -1;
	}
	return 0;
}

static int upload(const struct vopts *o, httpc *h)
{
	struct spool_reader r;
	struct spool_scan *page;
	uint64_t sent, total = 0, acc = 0, dup = 0, bad = 0;
	int rc, st = SPOOL_SCAN, ret = -1;

	if ((rc = spool_sent_read(o->spool, &sent)) != 0) {
		cli_error("sync: spool %s/sent: %s", o->spool,
			  rc == AK_EINVAL ? "not a byte offset" : ak_strerror(rc));
		return -1;
	}
	rc = spool_reader_open(&r, o->spool, sent);
	if (rc == AK_ENOENT) {
		printf("scans: none to upload (no spool)\n");
		return 0;
	}
	if (rc != 0) {
		cli_error("sync: spool %s/scans: %s", o->spool,
			  rc == AK_EINVAL ? "shorter than the part already sent (replaced or "
					    "truncated?); move it aside to start again"
					  : ak_strerror(rc));
		return -1;
	}
	if ((page = calloc(VWIRE_SCANS_PAGE, sizeof *page)) == NULL) {
		cli_error("sync: out of memory");
		goto done;
	}
	while (st != SPOOL_END) {
		uint64_t before = r.off, a, d;
		size_t n = 0;

		while (n < VWIRE_SCANS_PAGE && (st = spool_reader_next(&r, &page[n])) > 0) {
			if (st == SPOOL_SCAN)
				n++;
			else
				bad++;
		}
		if (st < 0) {
			cli_error("sync: spool %s/scans: %s", o->spool, ak_strerror(st));
			goto done;
		}
		if (n > 0 && post_page(o, h, page, n, &a, &d) != 0)
			goto done;
		if (r.off != before && (rc = spool_sent_write(o->spool, r.off)) != 0) {
			cli_error("sync: spool %s/sent: %s (the page will be sent again)", o->spool,
				  ak_strerror(rc));
			goto done;
		}
		if (n > 0) {
			total += n;
			acc += a;
			dup += d;
		}
	}
	if (total == 0)
		printf("scans: none to upload\n");
	else
		printf("scans: %" PRIu64 " uploaded (%" PRIu64 " new, %" PRIu64 " already there)\n",
		       total, acc, dup);
	if (bad > 0)
		cli_error("sync: warning: skipped %" PRIu64 " malformed spool line%s", bad,
			  bad == 1 ? "" : "s");
	ret = 0;
done:
	if (page != NULL) {
		sodium_memzero(page, VWIRE_SCANS_PAGE * sizeof *page);
		free(page);
	}
	spool_reader_close(&r);
	return ret;
}

int vcmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {VOPTS_LOCAL, VOPTS_NET, {NULL, 0, NULL, 0}};
	struct key_verifier root;
	struct vopts o;
	httpc *h = NULL;
	int status = CLI_USAGE;

	vopts_init(&o);
	/* No options of its own, so one call reads them all. */
	optind = 1;
	if (vopts_getopt(&o, argc, argv, opts, usage_text, &status) != 0 ||
	    cli_no_operands(argc, argv, "sync") != CLI_OK)
		goto done;
	if (vopts_finish(&o, "sync") != CLI_OK)
		goto done;
	if (vopts_root(&o, "sync", &root) != CLI_OK || vopts_connect(&o, "sync", &h) != CLI_OK)
		goto done;
	if (sync_lists(&o, h, &root) != 0 || upload(&o, h) != 0)
		goto done;
	status = CLI_OK;
done:
	httpc_close(h);
	vopts_free(&o);
	return status;
}
