/*
 * test_upkeep: the housekeeping purge (service/upkeep.h) on a real data
 * folder and audit writer. Expired sessions, codes and revocations go, live
 * ones stay, and the purge is logged as one `purge` leaf (system:-, ok);
 * a run with nothing due writes nothing at all.
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
#include "service/server.h"
#include "service/store_people.h"
#include "service/upkeep.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-upkeep.XXXXXX";

struct plant {
	uint64_t now, rid;
};

/* A resident with one expired and one live session, one code long
 * expired (revoked) and one live code (revoked). */
static int plant(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct plant *p = ctx;
	uint8_t blind[SEAL_BLIND_BYTES], h1[32], h2[32];
	struct store_code c;
	uint64_t past = p->now - 3600;
	int rc;
	(void)l;
	(void)n;

	randombytes_buf(blind, sizeof blind);
	randombytes_buf(h1, sizeof h1);
	randombytes_buf(h2, sizeof h2);
	if ((rc = store_resident_insert(w, blind, past, &p->rid)) != 0 ||
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

int main(void)
{
	struct server srv;
	struct datadir *d = NULL;
	struct plant p;
	struct leaf l;
	store *rd = NULL;
	const char *what = NULL, *why = NULL;
	char path[4200], *leaf = NULL;
	uint64_t size0, size1, size2, purged = 99;
	size_t len;
	int n_revoked = 0;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(path, sizeof path, "%s/d", dir);
	if (datadir_create(path, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&d, path, DATADIR_LOG, NULL, &what) != 0)
		bail_out("data folder");
	memset(&srv, 0, sizeof srv);
	srv.dd = d;
	srv.cfg.skew = CRED_DEFAULT_SKEW;
	if (datadir_file(d, srv.db_path, sizeof srv.db_path, DATADIR_DB) != 0 ||
	    auditlog_open(&srv.log, srv.db_path, d->log, NULL, &why) != 0 ||
	    store_open(&rd, srv.db_path, STORE_READONLY) != 0)
		bail_out("audit log");

	/* Planted with a leaf of its own, as the service would. */
	memset(&l, 0, sizeof l);
	l.role = ROLE_SYSTEM;
	l.actor_id = LEAF_NO_ID;
	l.action = ACT_ENROLL;
	l.result = RES_OK;
	l.detail = DET_EMPTY;
	p.now = util_now();
	ok(auditlog_submit(srv.log, &l, 1, plant, &p, NULL) == 0, "planted rows");
	store_log_size(rd, &size0);
	store_revocations(rd, 0, count_cti, &n_revoked);
	is_int(n_revoked, 2, "two revocations before the purge");

	ok(upkeep_run(&srv, &purged) == 0, "purge runs");
	is_int((long long)purged, 3, "one session, one code and one revocation purged");
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
	ok(upkeep_run(&srv, &purged) == 0, "a second purge runs");
	is_int((long long)purged, 0, "nothing more was due");
	store_log_size(rd, &size2);
	is_int((long long)(size2 - size1), 0, "and nothing was logged");

	store_close(rd);
	auditlog_close(srv.log);
	datadir_close(d);
	{
		char cmd[4300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
