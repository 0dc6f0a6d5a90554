/*
 * cmd_status: ankang-verify status [--dir DIR] [--spool DIR] [--root VKEY]
 * [--stale SECONDS] [--json]
 *
 * What a checkpoint's operator needs to know before trusting an offline
 * verdict: when the held lists were issued (each opened with the root
 * key, so an age shown is an age signed), whether the revocation list is
 * stale (older than --stale, default 600 s: codes revoked since then
 * still pass offline), and how many scans wait in the spool for sync.
 *
 *   trust: issued 2026-01-01T00:00:00Z, 120 s ago
 *   revocations: issued 2026-01-01T00:00:00Z, 700 s ago, 2 revoked, stale (older
 *                than 600 s: run ankang-verify sync)          (one line)
 *   spool: 4410 bytes, 3 scans unsent
 *   synced: 2026-01-01T00:00:05Z, 115 s ago
 *   offline: 8 min left, until 2026-01-01T00:10:00Z (then the revocation
 *            list is stale: run ankang-verify sync before)   (one line)
 *   offline: none left, stale since 2026-01-01T00:10:00Z (5 min ago): run
 *            ankang-verify sync                              (when stale)
 *
 * "synced" is when the revocation list file was last written: sync
 * rewrites both lists on every run that fetched them, so it is the last
 * sync that got through, or the day the files were copied in by hand. It
 * is the file's time, unsigned, and only informs; "offline", like
 * "stale", counts from the list's signed issued time, the rule checks
 * follow. New lines go after the old ones, so a script reading the first
 * three lines reads what it always did.
 *
 * Exit 0 when the revocation list is fresh, 1 when it is stale or
 * missing, 2 when the root key or the trust list cannot be read or does
 * not verify, or the spool cannot be read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/cli.h"
#include "common/util.h"
#include "verifier/commands.h"
#include "verifier/spool.h"

static const char usage_text[] =
    "usage: ankang-verify status [OPTIONS]\n"
    "\n"
    "Shows when the held trust and revocation lists were issued, whether the\n"
    "revocation list is stale, the spool's size and unsent scans, when the lists\n"
    "were last synced, and how long offline checks may go on before the revocation\n"
    "list is stale.\n"
    "Exit 0 when fresh, 1 when the revocation list is stale or missing, 2 on errors.\n"
    "\n" VOPTS_LOCAL_USAGE "  --json              one JSON object\n";

struct spool_count {
	uint64_t size, sent, unsent, bad;
	int exists;
};

static int count_spool(const struct vopts *o, struct spool_count *sc)
{
	struct spool_reader r;
	struct spool_scan s;
	int rc;

	memset(sc, 0, sizeof *sc);
	if ((rc = spool_sent_read(o->spool, &sc->sent)) != 0) {
		cli_error("status: spool %s/sent: %s", o->spool,
			  rc == AK_EINVAL ? "not a byte offset" : ak_strerror(rc));
		return -1;
	}
	rc = spool_reader_open(&r, o->spool, sc->sent);
	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0) {
		cli_error("status: spool %s/scans: %s", o->spool,
			  rc == AK_EINVAL ? "shorter than the part already sent" : ak_strerror(rc));
		return -1;
	}
	sc->exists = 1;
	sc->size = r.size;
	while ((rc = spool_reader_next(&r, &s)) > 0) {
		if (rc == SPOOL_SCAN)
			sc->unsent++;
		else
			sc->bad++;
	}
	spool_reader_close(&r);
	if (rc < 0) {
		cli_error("status: spool %s/scans: %s", o->spool, ak_strerror(rc));
		return -1;
	}
	return 0;
}

/* When path was last written (sync rewrites it), or 0 when unknown. */
static uint64_t written_at(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0;
}

/* The "offline:" line: how long checks may go on before the list is stale. */
static void say_offline(int have_r, int stale, uint64_t stale_at, uint64_t now)
{
	char when[32], left[32];

	vopts_utc(when, sizeof when, stale_at);
	if (!have_r) {
		printf("offline: no revocation list, so revoked codes pass: run ankang-verify "
		       "sync\n");
	} else if (!stale) {
		vopts_duration(left, sizeof left, vopts_age(now, stale_at));
		printf("offline: %s left, until %s (then the revocation list is stale: run "
		       "ankang-verify sync before)\n",
		       left, when);
	} else {
		vopts_duration(left, sizeof left, vopts_age(stale_at, now));
		printf("offline: none left, stale since %s (%s ago): run ankang-verify sync\n",
		       when, left);
	}
}

int vcmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
	    VOPTS_LOCAL, {"json", no_argument, NULL, VOPT_JSON}, {NULL, 0, NULL, 0}};
	char tpath[4096], rpath[4096], tw[32], rw[32];
	struct key_verifier root;
	struct trust_list t;
	struct revoc_list r;
	struct spool_count sc;
	struct vopts o;
	uint64_t now = util_now(), tage, rage = 0, synced, stale_at = 0, left = 0;
	int rc, have_r, stale, status = CLI_USAGE;

	memset(&r, 0, sizeof r);
	vopts_init(&o);
	/* No options of its own, so one call reads them all. */
	optind = 1;
	if (vopts_getopt(&o, argc, argv, opts, usage_text, &status) != 0 ||
	    cli_no_operands(argc, argv, "status") != CLI_OK)
		goto done;
	if (vopts_finish(&o, "status") != CLI_OK)
		goto done;
	if (vopts_path(tpath, sizeof tpath, &o, "trust.note") != 0 ||
	    vopts_path(rpath, sizeof rpath, &o, "revocations.note") != 0) {
		cli_error("status: --dir is too long");
		goto done;
	}
	if (vopts_root(&o, "status", &root) != CLI_OK)
		goto done;
	if ((rc = vopts_held_trust(tpath, &root, &t)) != 0) {
		cli_error("status: trust list %s: %s", tpath,
			  rc == AK_ENOENT    ? "none (run ankang-verify sync)"
			  : rc == AK_ECRYPTO ? "not signed by the root key"
					     : ak_strerror(rc));
		goto done;
	}
	rc = vopts_held_revoc(rpath, &root, &r);
	if (rc != 0 && rc != AK_ENOENT) {
		cli_error("status: revocation list %s: %s", rpath,
			  rc == AK_ECRYPTO ? "not signed by the root key" : ak_strerror(rc));
		goto done;
	}
	have_r = rc == 0;
	if (count_spool(&o, &sc) != 0)
		goto done;
	tage = vopts_age(t.issued, now);
	if (have_r)
		rage = vopts_age(r.issued, now);
	stale = !have_r || rage > o.stale_s;
	synced = have_r ? written_at(rpath) : 0;
	if (have_r) {
		/* Fresh while the age is at most stale_s: up to issued + stale_s. */
		stale_at = r.issued > UINT64_MAX - o.stale_s ? UINT64_MAX : r.issued + o.stale_s;
		left = stale_at > now ? stale_at - now : 0;
	}
	vopts_utc(tw, sizeof tw, t.issued);
	vopts_utc(rw, sizeof rw, have_r ? r.issued : 0);

	if (o.json) {
		json_t *j = json_pack(
		    "{s:{s:I,s:I}, s:o, s:b, s:I, s:{s:I,s:I,s:I}, s:o, s:o}", "trust", "issued",
		    (json_int_t)t.issued, "age", (json_int_t)tage, "revocations",
		    have_r ? json_pack("{s:I,s:I,s:I}", "issued", (json_int_t)r.issued, "age",
				       (json_int_t)rage, "revoked", (json_int_t)r.n)
			   : json_null(),
		    "stale", stale, "stale_after", (json_int_t)o.stale_s, "spool", "bytes",
		    (json_int_t)sc.size, "unsent", (json_int_t)sc.unsent, "malformed",
		    (json_int_t)sc.bad, "synced",
		    synced != 0 ? json_pack("{s:I,s:I}", "time", (json_int_t)synced, "age",
					    (json_int_t)vopts_age(synced, now))
				: json_null(),
		    "offline",
		    have_r ? json_pack("{s:I,s:I}", "left", (json_int_t)left, "until",
				       (json_int_t)(stale_at > INT64_MAX ? INT64_MAX : stale_at))
			   : json_null());
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s == NULL) {
			cli_error("status: out of memory");
			json_decref(j);
			goto done;
		}
		puts(s);
		free(s);
		json_decref(j);
	} else {
		printf("trust: issued %s, %" PRIu64 " s ago\n", tw, tage);
		if (have_r)
			printf("revocations: issued %s, %" PRIu64 " s ago, %zu revoked", rw, rage,
			       r.n);
		else
			printf("revocations: none");
		if (stale)
			printf(", stale (older than %" PRIu64 " s: run ankang-verify sync)",
			       o.stale_s);
		printf("\n");
		if (sc.exists)
			printf("spool: %" PRIu64 " bytes, %" PRIu64 " scan%s unsent%s\n", sc.size,
			       sc.unsent, sc.unsent == 1 ? "" : "s",
			       sc.bad > 0 ? ", some lines malformed" : "");
		else
			printf("spool: empty\n");
		if (synced != 0) {
			char sw[32], ago[32];
			vopts_utc(sw, sizeof sw, synced);
			vopts_duration(ago, sizeof ago, vopts_age(synced, now));
			printf("synced: %s, %s ago\n", sw, ago);
		} else {
			printf("synced: never\n");
		}
		say_offline(have_r, stale, stale_at, now);
	}
	fflush(stdout);
	status = stale ? CLI_FAILED : CLI_OK;
done:
	revoc_free(&r);
	vopts_free(&o);
	return status;
}
