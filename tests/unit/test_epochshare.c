/*
 * test_epochshare: what several nodes on one PostgreSQL database add to
 * the epoch keys (service/epochshare.h), below the service.
 *
 * Always (no database): an epochs file takes a given epoch above its
 * newest (epoch_insert, durable: reopened, the key is the same), forgets
 * one (epoch_forget, never the last), and its current epoch follows the
 * limit (epoch_set_limit: the newest epoch every node holds). A rotation
 * whose destroy hook says not yet (AK_EBUSY) moves every key and destroys
 * nothing; said yes, it destroys; under a limit, a newer epoch held is no
 * rotation under way.
 *
 * With ANKANG_EPOCHS_DATA (a data folder on PostgreSQL, made by
 * tests/sh/pg_epochs_race.sh): the race of a node that wraps under epoch
 * n while the leader destroys it. Two writers on one database play the
 * leader (A) and a node (B) whose view of the epochs is stale (it holds n
 * and n+1 but wraps under n). B's key committed before the floor moves
 * is re-wrapped by A's rotation; B's key wrapped under n after it moved
 * is refused by the database (the operation fails: a 503, retried), and
 * every committed row opens with the leader's keys alone (epoch n+1):
 * no row is left under a destroyed epoch.
 *
 * The made-up personal data is compared, never printed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "log/auditlog.h"
#include "service/datadir.h"
#include "service/record.h"
#include "service/rewrap.h"
#include "service/store_epochs.h"
#include "tests/lib/tap.h"

#define NOW 1750000000u

static char dir[] = "/tmp/ankang-test-epochshare.XXXXXX";

static const char PASSHASH[] = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
			       "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/* ------------------------------------------------------------ epoch set */

static void test_epoch_set(void)
{
	char kp[600], ep[600];
	seal_kek *k = NULL;
	epoch_set *e = NULL;
	seal_epochkey ek, got;
	struct epoch_info info[EPOCH_MAX];

	snprintf(kp, sizeof kp, "%s/kek.key", dir);
	snprintf(ep, sizeof ep, "%s/epochs.key", dir);
	if (seal_kek_create(kp) != 0 || seal_kek_load(&k, kp) != 0 ||
	    epoch_file_create(ep, k, NOW) != 0 || epoch_open(&e, ep, k) != 0)
		bail_out("epochs file");
	seal_epochkey_new(3, &ek);
	is_int(epoch_insert(e, &ek, NOW + 5), 0, "a given epoch joins above the newest");
	is_int(epoch_current_number(e), 3, "and is the current one");
	is_int(epoch_insert(e, &ek, NOW + 5), AK_EINVAL, "not again");
	epoch_set_limit(e, 2);
	is_int(epoch_current_number(e), 1, "a limit of 2: the current epoch is 1");
	epoch_current(e, &got);
	is_int(got.number, 1, "and its key is epoch 1's");
	epoch_set_limit(e, 0);
	is_int(epoch_current_number(e), 3, "no limit: 3 again");
	epoch_close(e);
	if (epoch_open(&e, ep, k) != 0)
		bail_out("reopen");
	ok(epoch_key(e, 3, &got) == 0 && sodium_memcmp(got.key, ek.key, sizeof ek.key) == 0,
	   "reopened, the file holds the same epoch 3");
	is_int(epoch_list(e, info, EPOCH_MAX), 2, "two epochs");
	is_int(info[1].created, NOW + 5, "with its creation time");
	is_int(epoch_forget(e, 3), 0, "epoch 3 forgotten");
	is_int(epoch_forget(e, 3), AK_ENOENT, "once");
	is_int(epoch_forget(e, 1), AK_EINVAL, "never the last epoch");
	epoch_close(e);
	if (epoch_open(&e, ep, k) != 0)
		bail_out("reopen");
	is_int(epoch_list(e, info, EPOCH_MAX), 1, "reopened, the file holds epoch 1 alone");
	seal_epochkey_wipe(&ek);
	seal_epochkey_wipe(&got);
	epoch_close(e);
	seal_kek_free(k);
}

/* ------------------------------------------------------- a node's writes */

struct node {
	struct record_keys keys;
	auditlog *log;
};

struct enrol {
	const struct record_keys *keys;
	struct record_view v;
	uint64_t id;
};

static int enrol_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct enrol *e = ctx;
	uint8_t handle[STORE_HANDLE_BYTES];
	(void)l;
	(void)n;
	return record_create(e->keys, w, &e->v, PASSHASH, NOW, first, &e->id, handle);
}

static int enrol(struct node *nd, unsigned i, uint64_t *id)
{
	struct enrol e;
	struct leaf l;
	int rc;

	memset(&e, 0, sizeof e);
	e.keys = &nd->keys;
	snprintf(e.v.name, sizeof e.v.name, "Test Share %c", 'A' + (int)i);
	snprintf(e.v.id_number, sizeof e.v.id_number, "1101051980010200%02u", i % 100u);
	leaf_init(&l, ROLE_SYSTEM, LEAF_NO_ID, ACT_ENROLL);
	l.result = RES_OK;
	l.detail = DET_GREEN;
	rc = auditlog_submit(nd->log, &l, 1, enrol_change, &e, NULL);
	*id = e.id;
	return rc;
}

/* Whether resident id, enrolled as number i, opens with k at db. */
static int opens(const struct record_keys *k, const char *db, uint64_t id, unsigned i)
{
	struct record_view v;
	struct leaf audit;
	store *st = NULL;
	char want[32];
	int good;

	if (store_open(&st, db, STORE_READONLY) != 0)
		bail_out("open the store");
	leaf_init(&audit, ROLE_OFFICER, 1, ACT_LOOKUP);
	snprintf(want, sizeof want, "Test Share %c", 'A' + (int)i);
	good = record_open(k, st, id, &audit, &v) == 0 && strcmp(v.name, want) == 0;
	record_wipe(&v);
	store_close(st);
	return good;
}

static int hook_calls;
static uint64_t hook_current;

static int hook_busy(void *ctx, store *w, uint64_t current)
{
	(void)ctx;
	(void)w;
	hook_calls++;
	hook_current = current;
	return AK_EBUSY;
}

static int hook_yes(void *ctx, store *w, uint64_t current)
{
	(void)ctx;
	(void)w;
	hook_calls++;
	hook_current = current;
	return 0;
}

/* The leader's hook on PostgreSQL, every node acked: the floor moves. */
static int hook_floor(void *ctx, store *w, uint64_t current)
{
	(void)ctx;
	hook_calls++;
	return store_epochs_floor(w, current);
}

static void open_node(struct node *nd, struct datadir *dd, seal_kek *k, const char *epochs,
		      const char *db)
{
	const char *why = NULL;

	nd->keys.kek = k;
	if (epoch_open(&nd->keys.epochs, epochs, k) != 0)
		bail_out("a node's epochs");
	if (auditlog_open(&nd->log, db, dd->log, NULL, &why) != 0)
		bail_out(why ? why : "a node's audit log");
}

static void close_node(struct node *nd)
{
	auditlog_close(nd->log);
	epoch_close(nd->keys.epochs);
}

static void test_destroy_hook(void)
{
	char data[600], db[700];
	struct datadir *dd = NULL;
	struct epoch_info info[EPOCH_MAX];
	struct rewrap_config c;
	struct rewrap_report r;
	seal_kek *k = NULL;
	struct node a;
	uint64_t id[3];

	snprintf(data, sizeof data, "%s/d", dir);
	if (datadir_create(data, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&dd, data, DATADIR_LOG, NULL, NULL, 0) != 0 ||
	    seal_kek_load(&k, dd->kek_path) != 0 ||
	    datadir_file(dd, db, sizeof db, DATADIR_DB) != 0)
		bail_out("data folder");
	open_node(&a, dd, k, dd->epochs_path, db);
	for (unsigned i = 0; i < 3; i++)
		if (enrol(&a, i, &id[i]) != 0)
			bail_out("enrol");
	if (epoch_add(a.keys.epochs, NOW, NULL) != 0)
		bail_out("epoch 2");
	c = (struct rewrap_config){a.log, &a.keys, ROLE_SYSTEM, 0, hook_busy, NULL};
	memset(&r, 0, sizeof r);
	is_int(rewrap_finish(&c, 0, &r), AK_EBUSY, "the hook says not yet: the rotation waits");
	is_int(r.rewrapped, 3, "every key was moved to epoch 2");
	ok(hook_calls >= 1 && hook_current == 2, "the hook was asked about epoch 2");
	is_int(epoch_list(a.keys.epochs, info, EPOCH_MAX), 2, "and nothing was destroyed");
	c.destroy_ok = hook_yes;
	is_int(rewrap_finish(&c, 0, &r), 0, "the hook says yes: the rotation ends");
	is_int(epoch_list(a.keys.epochs, info, EPOCH_MAX), 1, "epoch 1 destroyed");
	ok(opens(&a.keys, db, id[0], 0) && opens(&a.keys, db, id[2], 2), "residents open");
	if (epoch_add(a.keys.epochs, NOW + 1, NULL) != 0)
		bail_out("epoch 3");
	epoch_set_limit(a.keys.epochs, 2);
	is_int(rewrap_step(&c, &r), 0, "under a limit of 2, epoch 3 held is no rotation under way");
	is_int(epoch_list(a.keys.epochs, info, EPOCH_MAX), 2, "epoch 3 kept for later");
	close_node(&a);
	seal_kek_free(k);
	datadir_close(dd);
}

/* ---------------------------------------------------- the race, on PG */

static void test_pg_race(const char *folder)
{
	char db[4096], bpath[700], cmd[PATH_MAX + 800];
	struct datadir *dd = NULL;
	struct rewrap_config c;
	struct rewrap_report r;
	struct epoch_info info[EPOCH_MAX];
	seal_kek *k = NULL;
	seal_epochkey ek;
	struct node a, b;
	uint64_t id[4], floor = 0, missing = 0;
	store *st = NULL;
	int asked = 0;

	if (datadir_open(&dd, folder, DATADIR_LOG, NULL, NULL, 0) != 0 ||
	    seal_kek_load(&k, dd->kek_path) != 0 || datadir_db(dd, db, sizeof db) != 0 ||
	    !store_is_url(db))
		bail_out("a data folder on PostgreSQL");
	snprintf(bpath, sizeof bpath, "%s/b-epochs.key", dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", dd->epochs_path, bpath);
	if (system(cmd) != 0)
		bail_out("copy the epochs file");
	open_node(&a, dd, k, dd->epochs_path, db);
	open_node(&b, dd, k, bpath, db);
	is_int(enrol(&b, 0, &id[0]), 0, "node B enrols a resident under epoch 1");

	/* The leader makes epoch 2; B fetches it but its view is stale: it
	 * still wraps under 1 (its limit), as a node does until it has seen
	 * epoch 2 held. */
	if (epoch_add(a.keys.epochs, NOW, NULL) != 0 || epoch_key(a.keys.epochs, 2, &ek) != 0 ||
	    epoch_list(a.keys.epochs, info, EPOCH_MAX) != 2 ||
	    epoch_insert(b.keys.epochs, &ek, info[1].created) != 0)
		bail_out("epoch 2 on both");
	seal_epochkey_wipe(&ek);
	epoch_set_limit(b.keys.epochs, 1);
	is_int(enrol(&b, 1, &id[1]), 0, "B wraps a new key under epoch 1, before the floor moves");

	c = (struct rewrap_config){a.log, &a.keys, ROLE_SYSTEM, 0, hook_floor, NULL};
	memset(&r, 0, sizeof r);
	hook_calls = 0;
	is_int(rewrap_finish(&c, 0, &r), 0, "the leader's rotation ends");
	is_int(r.rewrapped, 2, "it moved both keys, B's late one too");
	ok(hook_calls == 1 && epoch_list(a.keys.epochs, info, EPOCH_MAX) == 1,
	   "the floor moved and the leader destroyed epoch 1");
	if (store_open(&st, db, 0) != 0 || store_epochs_state(st, &floor, &asked) != 0)
		bail_out("read the floor");
	is_int(floor, 2, "the database's floor is 2");

	/* B, still stale, seals under epoch 1 in memory and commits after
	 * the destruction: refused, nothing stored. */
	ok(enrol(&b, 2, &id[2]) != 0, "B's key wrapped under the destroyed epoch is refused");
	is_int(record_epochs_check(&a.keys, st, &missing), 0,
	       "no committed key is under an epoch the leader no longer holds");
	ok(opens(&a.keys, db, id[0], 0) && opens(&a.keys, db, id[1], 1),
	   "every committed resident opens with the leader's epoch 2 alone");
	/* B catches up (it sees epoch 2 held): its next try commits. */
	epoch_set_limit(b.keys.epochs, 2);
	is_int(enrol(&b, 2, &id[2]), 0, "B, caught up, enrols under epoch 2");
	ok(opens(&a.keys, db, id[2], 2), "and the leader opens it");
	is_int(enrol(&a, 3, &id[3]), 0, "the leader's own writer still works");
	store_close(st);
	close_node(&a);
	close_node(&b);
	seal_kek_free(k);
	datadir_close(dd);
}

int main(void)
{
	const char *pg = getenv("ANKANG_EPOCHS_DATA");
	char cmd[600];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	test_epoch_set();
	test_destroy_hook();
	if (pg != NULL && pg[0] != '\0')
		test_pg_race(pg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
