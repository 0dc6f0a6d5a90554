/*
 * test_rewrap: the KEK epoch rotation (service/rewrap.h) on a real data
 * folder and audit writer.
 *
 * Residents are enrolled under epoch 1; a rotation is stopped after two
 * chunks, as a crash would stop it, and everything is reopened from the
 * files: both epochs are held, every resident opens, and finishing moves
 * the rest and destroys epoch 1 (the twin: the same rotation, finished,
 * leaves no key under epoch 1 and no epoch 1 in the file). Stopped again
 * after the last chunk, before the destruction; and right after the new
 * epoch was made, before any chunk: each resumes and ends the same way.
 * Every step is a `key_rotate` leaf: kek_rewrap per chunk, kek_epoch for
 * the destruction, nothing for a step with nothing to do. A copy of the
 * database taken before a rotation opens every resident with the live
 * keys until the rotation ends, and no one after (the backup window).
 * The service's thread rotates on its schedule.
 *
 * The made-up personal data is compared, never printed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "log/auditlog.h"
#include "log/store_int.h"
#include "service/datadir.h"
#include "service/record.h"
#include "service/rewrap.h"
#include "service/store_people.h"
#include "tests/lib/tap.h"

#define N_RES 10
#define NOW   1750000000u

static char dir[] = "/tmp/ankang-test-rewrap.XXXXXX";
static char data[512], db[700];
static struct datadir *dd;
static seal_kek *kek;
static struct record_keys keys;
static auditlog *log_;
static uint64_t ids[N_RES];

static const char PASSHASH[] = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
			       "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/* Opens the keys and the log from the folder's files, as a start does. */
static void open_all(void)
{
	const char *why = NULL;

	if (epoch_open(&keys.epochs, dd->epochs_path, kek) != 0)
		bail_out("epochs");
	keys.kek = kek;
	if (auditlog_open(&log_, db, dd->log, NULL, &why) != 0)
		bail_out("audit log");
}

/* Closes them, as a crash would leave them (every step either committed
 * or did not: the writer's transactions). */
static void close_all(void)
{
	auditlog_close(log_);
	log_ = NULL;
	epoch_close(keys.epochs);
	keys.epochs = NULL;
}

struct enrol {
	struct record_view v;
	uint64_t id;
};

static int enrol_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct enrol *e = ctx;
	uint8_t handle[STORE_HANDLE_BYTES];
	(void)l;
	(void)n;
	return record_create(&keys, w, &e->v, PASSHASH, NOW, first, &e->id, handle);
}

static void enrol_all(void)
{
	for (unsigned i = 0; i < N_RES; i++) {
		struct enrol e;
		struct leaf l;
		memset(&e, 0, sizeof e);
		snprintf(e.v.name, sizeof e.v.name, "Test Rewrap %c", 'A' + (int)i);
		snprintf(e.v.id_number, sizeof e.v.id_number, "1101051980010100%02u", i % 100u);
		leaf_init(&l, ROLE_SYSTEM, LEAF_NO_ID, ACT_ENROLL);
		l.result = RES_OK;
		l.detail = DET_GREEN;
		if (auditlog_submit(log_, &l, 1, enrol_change, &e, NULL) != 0)
			bail_out("enrol");
		ids[i] = e.id;
	}
}

/* How many of the residents open with k through the database at path. */
static int opening(const struct record_keys *k, const char *path)
{
	struct record_view v;
	struct leaf audit;
	store *st = NULL;
	int n = 0;

	if (store_open(&st, path, STORE_READONLY) != 0)
		bail_out("open a database");
	leaf_init(&audit, ROLE_OFFICER, 1, ACT_LOOKUP);
	for (int i = 0; i < N_RES; i++) {
		char want[32];
		snprintf(want, sizeof want, "Test Rewrap %c", 'A' + i);
		if (record_open(k, st, ids[i], &audit, &v) == 0 && strcmp(v.name, want) == 0)
			n++;
		record_wipe(&v);
	}
	store_close(st);
	return n;
}

/* Residents whose key is under an epoch below `below`. */
static long long under(uint64_t below)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *q = NULL;
	long long n = -1;

	if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d, "SELECT count(*) FROM residents WHERE key_epoch < ?1", -1, &q,
			       NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 1, (sqlite3_int64)below) != SQLITE_OK)
		bail_out("count keys");
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(d);
	return n;
}

/* The key_rotate leaves with this detail in the log. */
static int leaves(const char *detail)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *q = NULL;
	char like[64];
	int n = -1;

	snprintf(like, sizeof like, "%% key_rotate - - ok %s\n", detail);
	if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d,
			       "SELECT count(*) FROM log_leaves WHERE CAST(leaf AS TEXT) LIKE ?1",
			       -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, like, -1, SQLITE_STATIC) != SQLITE_OK)
		bail_out("count leaves");
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(d);
	return n;
}

static size_t held(void)
{
	struct epoch_info info[EPOCH_MAX];
	return epoch_list(keys.epochs, info, EPOCH_MAX);
}

/* A copy of the database, as a backup takes it (SQLite's backup API). */
static void backup(const char *to)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;

	unlink(to);
	if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open(to, &dst) != SQLITE_OK ||
	    (b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		bail_out("backup");
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK)
		bail_out("backup");
	sqlite3_close(src);
	sqlite3_close(dst);
}

static void test_crash_mid_chunks(void)
{
	struct rewrap_config c;
	struct rewrap_report r;
	uint64_t e2 = 0;
	uint64_t head0, head1;
	merkle_hash root;
	char copy[800];

	snprintf(copy, sizeof copy, "%s/before.db", dir);
	backup(copy);
	is_int(opening(&keys, copy), N_RES, "a backup taken before the rotation opens everyone");

	auditlog_head(log_, &head0, root);
	memset(&r, 0, sizeof r);
	c = (struct rewrap_config){log_, &keys, ROLE_ADMIN, 3};
	is_int(rewrap_step(&c, &r), 0, "a step with no rotation under way: nothing to do");
	auditlog_head(log_, &head1, root);
	is_int(head1, head0, "and nothing written");

	is_int(epoch_add(keys.epochs, NOW + 100, &e2), 0, "a new epoch");
	is_int(rewrap_finish(&c, 2, &r), AK_EBUSY, "stopped after two chunks of three");
	is_int(r.rewrapped, 6, "six keys moved");
	is_int(under(e2), N_RES - 6, "four are still under epoch 1");
	is_int(opening(&keys, db), N_RES, "everyone opens, half-way through");

	close_all();
	open_all();
	is_int(held(), 2, "reopened from the files: both epochs are held");
	{
		uint64_t missing = 0;
		store *st = NULL;
		if (store_open(&st, db, STORE_READONLY) != 0)
			bail_out("store");
		is_int(record_epochs_check(&keys, st, &missing), 0,
		       "and they are every epoch the keys are under");
		store_close(st);
	}
	is_int(opening(&keys, db), N_RES, "everyone opens after the crash");
	is_int(opening(&keys, copy), N_RES, "and so does the backup, while epoch 1 lives");

	c.log = log_;
	memset(&r, 0, sizeof r);
	is_int(rewrap_finish(&c, 0, &r), 0, "the rotation is finished");
	is_int(r.rewrapped, N_RES - 6, "the other four keys moved");
	is_int(r.destroyed, 1, "epoch 1 destroyed");
	ok(!r.unlogged, "with its leaf");
	is_int(r.epoch, e2, "epoch 2 is current");
	is_int(under(e2), 0, "no key is under epoch 1");
	is_int(held(), 1, "the file holds one epoch");
	is_int(opening(&keys, db), N_RES, "everyone opens");
	is_int(opening(&keys, copy), 0, "the backup taken before opens no one");
	is_int(leaves("kek_rewrap"), 4, "four kek_rewrap leaves (3 + 3 + 3 + 1 keys)");
	is_int(leaves("kek_epoch"), 1, "one kek_epoch leaf");
}

static void test_crash_before_destroy(void)
{
	struct rewrap_config c = {log_, &keys, ROLE_ADMIN, 5};
	struct rewrap_report r;
	uint64_t e3 = 0;

	memset(&r, 0, sizeof r);
	is_int(epoch_add(keys.epochs, NOW + 200, &e3), 0, "epoch 3");
	is_int(rewrap_finish(&c, 2, &r), AK_EBUSY, "stopped after the last chunk of five");
	is_int(under(e3), 0, "every key is under epoch 3");
	is_int(held(), 2, "epoch 2 is not yet destroyed");
	close_all();
	open_all();
	c.log = log_;
	is_int(opening(&keys, db), N_RES, "reopened: everyone opens");
	is_int(rewrap_finish(&c, 0, &r), 0, "finished");
	is_int(r.destroyed, 1, "by destroying epoch 2 alone");
	is_int(held(), 1, "one epoch left");
	is_int(opening(&keys, db), N_RES, "everyone opens");
}

static void test_crash_after_new_epoch(void)
{
	struct rewrap_config c = {log_, &keys, ROLE_SYSTEM, 0};
	struct rewrap_report r;
	uint64_t e4 = 0;

	memset(&r, 0, sizeof r);
	is_int(epoch_add(keys.epochs, NOW + 300, &e4), 0, "epoch 4, then a crash");
	close_all();
	open_all();
	c.log = log_;
	is_int(held(), 2, "reopened: epochs 3 and 4 are held");
	is_int(opening(&keys, db), N_RES, "everyone opens (all under 3)");
	is_int(rewrap_rotate(&c, NOW + 400, &r), 0, "a rotation: the one under way first");
	is_int(r.epoch, e4 + 1, "then a new epoch, 5");
	is_int(r.rewrapped, 2 * N_RES, "every key moved twice");
	is_int(r.destroyed, 2, "epochs 3 and 4 destroyed");
	is_int(held(), 1, "one epoch left");
	is_int(under(e4 + 1), 0, "every key is under it");
	is_int(opening(&keys, db), N_RES, "everyone opens");
}

static void test_thread(void)
{
	struct rewrap_config c = {log_, &keys, ROLE_SYSTEM, 0};
	struct epoch_info info[EPOCH_MAX];
	struct rewrap *w = NULL;
	uint64_t before, after = 0;
	int i;

	epoch_list(keys.epochs, info, EPOCH_MAX);
	before = info[0].number;
	char logpath[600], text[4096] = "";
	int saved, fd;
	FILE *f;

	/* The operator's log (stderr) to a file, to read the note. */
	snprintf(logpath, sizeof logpath, "%s/oplog", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0 || dup2(fd, 2) < 0)
		bail_out("redirecting stderr");
	close(fd);

	/* The current epoch was made at NOW + 400, long ago: due at once. */
	is_int(rewrap_start(&w, &c, 60), 0, "the service's thread starts");
	for (i = 0; i < 200; i++) {
		if (epoch_list(keys.epochs, info, EPOCH_MAX) == 1 && info[0].number > before) {
			after = info[0].number;
			break;
		}
		usleep(20000);
	}
	rewrap_stop(w);
	rewrap_stop(NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if ((f = fopen(logpath, "r")) != NULL) {
		text[fread(text, 1, sizeof text - 1, f)] = '\0';
		fclose(f);
	}
	is_int(after, before + 1, "it rotated the overdue epoch, and finished");
	/* The step that destroys the older epochs is the last: the note
	 * once said nothing, as the next step found one epoch and skipped. */
	ok(strstr(text, "keys re-wrapped in") != NULL && strstr(text, "epoch(s) destroyed") != NULL,
	   "the operator's log says the rotation finished");
	is_int(opening(&keys, db), N_RES, "everyone opens");
	ok(leaves("kek_epoch") >= 4, "each rotation logged");
}

int main(void)
{
	char cmd[600];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(data, sizeof data, "%s/d", dir);
	if (datadir_create(data, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&dd, data, DATADIR_LOG, NULL, NULL, 0) != 0 ||
	    seal_kek_load(&kek, dd->kek_path) != 0 ||
	    datadir_file(dd, db, sizeof db, DATADIR_DB) != 0)
		bail_out("data folder");
	open_all();
	enrol_all();
	is_int(under(2), N_RES, "ten residents, their keys under epoch 1");

	test_crash_mid_chunks();
	test_crash_before_destroy();
	test_crash_after_new_epoch();
	test_thread();

	close_all();
	seal_kek_free(kek);
	datadir_close(dd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
