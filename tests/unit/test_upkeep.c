/*
 * test_upkeep: the housekeeping run (service/upkeep.h) on a real data
 * folder and audit writer. Expired sessions, codes and revocations go,
 * live ones stay (a code stays for the scan window after it expires, its
 * revocation does not), and the purge is logged as one `purge` leaf
 * (system:-, ok); a run with nothing due writes nothing at all. A burst of
 * failed log-ins folded by limits.c is written as one summary leaf once it
 * is over, and the bursts still open are written when the thread stops.
 *
 * No personal data: the resident rows here have no sealed fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "service/datadir.h"
#include "service/limits.h"
#include "service/store_people.h"
#include "service/upkeep.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-upkeep.XXXXXX";

struct plant {
	uint64_t now, rid;
};

/* A resident with one expired and one live session, one code long
 * expired (revoked) and one live code (revoked). */
static int plant(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	(void)first;
	struct plant *p = ctx;
	uint8_t blind[SEAL_BLIND_BYTES], handle[STORE_HANDLE_BYTES], h1[32], h2[32];
	struct store_code c;
	uint64_t past = p->now - 3600;
	int rc;
	(void)l;
	(void)n;

	randombytes_buf(blind, sizeof blind);
	randombytes_buf(h1, sizeof h1);
	randombytes_buf(h2, sizeof h2);
	randombytes_buf(handle, sizeof handle);
	if ((rc = store_resident_insert(w, blind, handle, past, 0, &p->rid)) != 0 ||
	    (rc = store_session_add(w, h1, p->rid, past, past + 60)) != 0 ||
	    (rc = store_session_add(w, h2, p->rid, p->now, p->now + 3600)) != 0)
		return rc;
	memset(&c, 0, sizeof c);
	c.resident_id = p->rid;
	randombytes_buf(c.cti, sizeof c.cti);
	c.iat = past;
	c.exp = past + 300; /* expired 55 minutes ago: beyond any skew */
	if ((rc = store_code_add(w, &c)) != 0 || (rc = store_codes_revoke(w, p->rid, past, NULL)))
		return rc;
	randombytes_buf(c.cti, sizeof c.cti);
	c.iat = past - 86400;
	c.exp = past - 86400 + 300; /* expired a day ago: beyond the scan window too */
	if ((rc = store_code_add(w, &c)) != 0)
		return rc;
	randombytes_buf(c.cti, sizeof c.cti);
	c.iat = p->now;
	c.exp = p->now + 300;
	if ((rc = store_code_add(w, &c)) != 0)
		return rc;
	return store_codes_revoke(w, p->rid, p->now, NULL);
}

static int count_cti(void *ctx, const uint8_t cti[CRED_CTI_BYTES])
{
	(void)cti;
	(*(int *)ctx)++;
	return 0;
}

static int count_login_leaves(store *rd, uint64_t from, uint64_t to, struct leaf *last)
{
	int n = 0;

	for (uint64_t i = from; i < to; i++) {
		char *leaf = NULL;
		size_t len;
		struct leaf l;
		if (store_log_get_leaf(rd, i, &leaf, &len) == 0 && leaf_parse(&l, leaf, len) == 0 &&
		    l.action == ACT_LOGIN) {
			n++;
			*last = l;
		}
		free(leaf);
	}
	return n;
}

int main(void)
{
	struct upkeep_config cfg;
	struct limits_config lc;
	struct limits *lim;
	struct datadir *d = NULL;
	char db[4200];
	struct plant p;
	struct leaf l;
	store *rd = NULL;
	const char *why = NULL;
	char path[4200], *leaf = NULL;
	uint64_t size0, size1, size2, purged = 99;
	size_t len;
	int n_revoked = 0;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(path, sizeof path, "%s/d", dir);
	if (datadir_create(path, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&d, path, DATADIR_LOG, NULL, NULL, 0) != 0)
		bail_out("data folder");
	memset(&cfg, 0, sizeof cfg);
	limits_config_default(&lc);
	if ((lim = limits_new(&lc)) == NULL)
		bail_out("limits");
	cfg.limits = lim;
	cfg.skew = CRED_DEFAULT_SKEW;
	cfg.scan_window = 3600; /* the first planted code expired 55 minutes ago */
	if (datadir_file(d, db, sizeof db, DATADIR_DB) != 0 ||
	    auditlog_open(&cfg.log, db, d->log, NULL, &why) != 0 ||
	    store_open(&rd, db, STORE_READONLY) != 0)
		bail_out("audit log");

	/* Planted with a leaf of its own, as the service would. */
	memset(&l, 0, sizeof l);
	l.role = ROLE_SYSTEM;
	l.actor_id = LEAF_NO_ID;
	l.action = ACT_ENROLL;
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	p.now = util_now();
	ok(auditlog_submit(cfg.log, &l, 1, plant, &p, NULL) == 0, "planted rows");
	store_log_size(rd, &size0);
	store_revocations(rd, 0, count_cti, &n_revoked);
	is_int(n_revoked, 2, "two revocations before the purge");

	ok(upkeep_run(&cfg, p.now, &purged) == 0, "purge runs");
	is_int((long long)purged, 3,
	       "one session, the code past its scan window, and one revocation purged");
	store_log_size(rd, &size1);
	is_int((long long)(size1 - size0), 1, "the purge wrote one leaf");
	ok(store_log_get_leaf(rd, size0, &leaf, &len) == 0 && leaf_parse(&l, leaf, len) == 0,
	   "the purge leaf parses");
	ok(l.action == ACT_PURGE && l.role == ROLE_SYSTEM && l.actor_id == LEAF_NO_ID &&
	       l.result == RES_OK && !l.has_subject && !l.has_object && l.detail == DET_EMPTY,
	   "purge, system:-, no subject or object, ok, -");
	free(leaf);

	n_revoked = 0;
	store_revocations(rd, 0, count_cti, &n_revoked);
	is_int(n_revoked, 1, "the live code's revocation stays");

	purged = 99;
	ok(upkeep_run(&cfg, p.now, &purged) == 0, "a second purge runs");
	is_int((long long)purged, 0, "nothing more was due");
	store_log_size(rd, &size2);
	is_int((long long)(size2 - size1), 0, "and nothing was logged");
	purged = 99;
	ok(upkeep_run(&cfg, p.now + 3600, &purged) == 0 && purged == 3,
	   "an hour later: the code expired 55 minutes ago (its scan window is over), the "
	   "live code's revocation and the live session, all expired by then");

	/* Bursts of failed log-ins. */
	{
		uint8_t blind[SEAL_BLIND_BYTES], subject[LEAF_ID_BYTES];
		struct leaf last;
		uint64_t t = util_now(), s0, s1;
		int own = 0;
		randombytes_buf(blind, sizeof blind);
		randombytes_buf(subject, sizeof subject);
		for (int i = 0; i < 12; i++)
			own += limits_login_failed(lim, blind, "192.0.2.7", subject, 0, t) ==
			       LIMITS_LOG_IT;
		is_int(own, 1, "12 failures on one account: only the first gets a leaf of its own");
		store_log_size(rd, &s0);
		ok(upkeep_run(&cfg, t + 1, NULL) == 0, "a run while the burst goes on");
		store_log_size(rd, &s1);
		is_int(count_login_leaves(rd, s0, s1, &last), 0, "writes no summary yet");
		ok(upkeep_run(&cfg, t + lc.login_burst_quiet_s, NULL) == 0,
		   "a run once the burst is over");
		store_log_size(rd, &s0);
		is_int(count_login_leaves(rd, s1, s0, &last), 1, "writes one summary leaf");
		ok(last.role == ROLE_RESIDENT && last.actor_id == LEAF_NO_ID &&
		       last.result == RES_DENIED && last.detail == DET_BURST_10_99 &&
		       last.has_subject && memcmp(last.subject, subject, sizeof subject) == 0,
		   "resident:- login <the account's pseudonym> denied burst_10_99");
		ok(upkeep_run(&cfg, t + 2 * lc.login_burst_quiet_s, NULL) == 0, "another run");
		store_log_size(rd, &s1);
		is_int(count_login_leaves(rd, s0, s1, &last), 0, "writes it only once");
		is_int(limits_login_failed(lim, blind, "192.0.2.8", subject, 0, t + 10000),
		       LIMITS_LOG_IT, "a failure after the burst starts a new one, logged");
		ok(limits_login_failed(lim, blind, "192.0.2.8", subject, 0, t + 10001) ==
		       LIMITS_FOLDED_IN,
		   "the next is folded in");
		{
			struct upkeep *u = NULL;
			ok(upkeep_start(&u, &cfg) == 0, "the thread starts");
			upkeep_stop(u);
			store_log_size(rd, &s0);
			is_int(count_login_leaves(rd, s1, s0, &last), 1,
			       "stopping it writes the summary of the burst still open");
			ok(last.detail == DET_BURST_2_9, "two failures: burst_2_9");
		}
		/* A summary the log refused is given back and written next time. */
		{
			struct leaf taken[4];
			size_t k;
			limits_login_failed(lim, blind, "192.0.2.9", subject, 0, t + 20000);
			limits_login_failed(lim, blind, "192.0.2.9", subject, 0, t + 20001);
			k = limits_bursts_take(lim, UINT64_MAX, taken, 4);
			is_int(k, 1, "a burst's summary taken (as if its submit then failed)");
			limits_bursts_unsent(lim, taken, k);
			store_log_size(rd, &s0);
			ok(upkeep_run(&cfg, t + 20002, NULL) == 0, "the next run");
			store_log_size(rd, &s1);
			is_int(count_login_leaves(rd, s0, s1, &last), 1,
			       "writes the summary that was given back");
			ok(last.detail == DET_BURST_2_9 &&
			       memcmp(last.subject, subject, sizeof subject) == 0,
			   "the same summary");
		}
	}

	store_close(rd);
	auditlog_close(cfg.log);
	limits_free(lim);
	datadir_close(d);
	{
		char cmd[4300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
