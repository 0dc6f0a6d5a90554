/*
 * test_wipe: operations that ask for a wipe (log/auditlog.h,
 * AUDITLOG_WIPE), on a real data folder and audit writer.
 *
 * A resident row holding random bytes where its key, fields and
 * passphrase go is erased by an operation with AUDITLOG_WIPE: when the
 * submitter is answered, the WAL is empty and no file of the database
 * (file, WAL, shared memory) holds any of those bytes. The twin: the same
 * erasure without the flag leaves them in the files. A reader holding an
 * older snapshot holds the answer back (not the writer: an operation
 * without the flag commits meanwhile) until it lets go; one that holds on
 * past AUDITLOG_WIPE_ANSWER_MS gets the erasure answered AK_EPENDING,
 * with its log index, and the writer wipes as soon as the reader is gone.
 * An erasure whose change fails is answered at once with its error. A
 * crash between the commit and the wipe is wiped by the next open.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "log/auditlog.h"
#include "service/datadir.h"
#include "service/store_people.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-wipe.XXXXXX";
static char db[700];
static struct datadir *dd;
static auditlog *log_;

/* What a row held, to look for in the files afterwards. */
struct secret {
	uint64_t id;
	struct store_resident r;
};

static void leaf_for(struct leaf *l, enum leaf_action action)
{
	leaf_init(l, ROLE_SYSTEM, LEAF_NO_ID, action);
	l->result = RES_OK;
	l->detail = DET_EMPTY;
}

static int plant_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct secret *s = ctx;
	uint8_t blind[SEAL_BLIND_BYTES], handle[STORE_HANDLE_BYTES];
	int rc;
	(void)l;
	(void)n;

	randombytes_buf(blind, sizeof blind);
	randombytes_buf(handle, sizeof handle);
	if ((rc = store_resident_insert(w, blind, handle, 1750000000u, first, &s->id)) != 0)
		return rc;
	s->r.id = s->id;
	return store_resident_seal(w, &s->r);
}

/* A resident row whose key, fields and passphrase are random bytes. */
static void plant(struct secret *s)
{
	struct leaf l;
	char hex[33];
	uint8_t rnd[16];

	memset(s, 0, sizeof *s);
	s->r.has_key = 1;
	s->r.key_epoch = 1;
	randombytes_buf(s->r.wrapped, sizeof s->r.wrapped);
	randombytes_buf(s->r.name.b, STORE_SEALED_NAME_BYTES);
	s->r.name.len = STORE_SEALED_NAME_BYTES;
	randombytes_buf(s->r.id_number.b, STORE_SEALED_ID_BYTES);
	s->r.id_number.len = STORE_SEALED_ID_BYTES;
	randombytes_buf(s->r.phone.b, STORE_SEALED_PHONE_BYTES);
	s->r.phone.len = STORE_SEALED_PHONE_BYTES;
	randombytes_buf(rnd, sizeof rnd);
	util_hex_encode(hex, rnd, sizeof rnd);
	snprintf(s->r.passphrase, sizeof s->r.passphrase, "$argon2id$v=19$%s", hex);
	leaf_for(&l, ACT_ENROLL);
	if (auditlog_submit(log_, &l, 1, plant_change, s, NULL) != 0)
		bail_out("plant a row");
}

/* How many of the row's byte strings some file of the database holds. */
static int traces(const struct secret *s)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	const struct {
		const void *b;
		size_t n;
	} needle[] = {
	    {s->r.wrapped, sizeof s->r.wrapped},        {s->r.name.b, s->r.name.len},
	    {s->r.id_number.b, s->r.id_number.len},     {s->r.phone.b, s->r.phone.len},
	    {s->r.passphrase, strlen(s->r.passphrase)},
	};
	int found = 0;

	for (size_t f = 0; f < AK_ARRAY_LEN(suffix); f++) {
		char path[800], *buf = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s%s", db, suffix[f]);
		if (util_read_file(path, 256u << 20, &buf, &len) != 0)
			continue;
		for (size_t i = 0; i < AK_ARRAY_LEN(needle); i++)
			found += memmem(buf, len, needle[i].b, needle[i].n) != NULL;
		free(buf);
	}
	return found;
}

static long long wal_size(void)
{
	char path[800];
	struct stat st;

	snprintf(path, sizeof path, "%s-wal", db);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

struct erase {
	uint64_t id;
	int fail; /* the change fails after erasing: nothing commits */
};

static int erase_change(void *ctx, store *w, struct leaf *l, size_t n, uint64_t first)
{
	struct erase *e = ctx;
	int rc;
	(void)l;
	(void)n;
	(void)first;

	if ((rc = store_resident_erase(w, e->id, util_now())) != 0)
		return rc;
	return e->fail ? AK_EINVAL : 0;
}

static int erase(uint64_t id, unsigned flags, uint64_t *index)
{
	struct erase e = {id, 0};
	struct leaf l;

	leaf_for(&l, ACT_ERASE);
	return auditlog_submit_flags(log_, &l, 1, erase_change, &e, flags, index);
}

/* An erasure submitted on a thread of its own, to be waited for. */
struct pending {
	pthread_t t;
	uint64_t id, index;
	atomic_int rc, done;
	uint64_t t0, t1;
};

static void *erase_thread(void *arg)
{
	struct pending *p = arg;
	p->t0 = util_mono_ns();
	atomic_store(&p->rc, erase(p->id, AUDITLOG_WIPE, &p->index));
	p->t1 = util_mono_ns();
	atomic_store(&p->done, 1);
	return NULL;
}

/* A reader that holds a snapshot from before the erasure. */
static sqlite3 *hold_snapshot(void)
{
	sqlite3 *r = NULL;

	if (sqlite3_open_v2(db, &r, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_exec(r, "BEGIN; SELECT count(*) FROM residents;", NULL, NULL, NULL) !=
		SQLITE_OK)
		bail_out("a reader");
	return r;
}

static void let_go(sqlite3 *r)
{
	sqlite3_exec(r, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(r);
}

static void test_wipe_and_twin(void)
{
	struct secret s, t;
	uint64_t index = 0;

	plant(&s);
	ok(traces(&s) > 0, "a planted row's bytes are in the files");
	is_int(erase(s.id, AUDITLOG_WIPE, &index), 0, "erased, with AUDITLOG_WIPE");
	ok(index > 0, "its log index");
	is_int(wal_size(), 0, "when it is answered, the WAL is empty");
	is_int(traces(&s), 0, "and no file holds the key, a field or the passphrase");

	/* The twin: without the flag the bytes stay behind. */
	plant(&t);
	is_int(erase(t.id, 0, &index), 0, "erased, without the flag");
	ok(traces(&t) > 0, "its bytes are still in the files (the WAL's older frames)");
	ok(wal_size() > 0, "the WAL has not been truncated");

	/* A failing erasure removed nothing: answered at once. */
	{
		struct secret u;
		struct erase e;
		struct leaf l;
		uint64_t t0;
		sqlite3 *r;
		plant(&u);
		r = hold_snapshot();
		e = (struct erase){u.id, 1};
		leaf_for(&l, ACT_ERASE);
		t0 = util_mono_ns();
		is_int(auditlog_submit_flags(log_, &l, 1, erase_change, &e, AUDITLOG_WIPE, NULL),
		       AK_EINVAL, "an erasure whose change fails: its error");
		ok(util_mono_ns() - t0 < 200000000u, "at once, though a reader would hold a wipe");
		let_go(r);
		ok(traces(&u) > 0, "and its row is still there");
	}
}

static void test_reader_holds(void)
{
	struct secret s;
	struct pending p;
	struct auditlog_stats st;
	struct leaf l;
	uint64_t t0, t1;
	sqlite3 *r;

	plant(&s);
	r = hold_snapshot();
	memset(&p, 0, sizeof p);
	p.id = s.id;
	if (pthread_create(&p.t, NULL, erase_thread, &p) != 0)
		bail_out("thread");
	usleep(600000);
	ok(!atomic_load(&p.done), "a reader of an older snapshot holds the answer back");
	leaf_for(&l, ACT_PURGE);
	t0 = util_mono_ns();
	is_int(auditlog_submit(log_, &l, 1, NULL, NULL, NULL), 0,
	       "meanwhile another operation commits");
	t1 = util_mono_ns();
	ok(t1 - t0 < 400000000u, "without waiting for the wipe (%.0f ms)", (t1 - t0) / 1e6);
	let_go(r);
	pthread_join(p.t, NULL);
	is_int(atomic_load(&p.rc), 0, "once the reader lets go, the erasure is answered: 0");
	ok((p.t1 - p.t0) / 1000000u < AUDITLOG_WIPE_ANSWER_MS, "before its time ran out (%.0f ms)",
	   (p.t1 - p.t0) / 1e6);
	is_int(traces(&s), 0, "and nothing of the row is left");
	auditlog_stats(log_, &st);
	ok(st.wipe_timeouts > 0 && !st.wipe_owed, "after tries that ran out of time, none owed");

	/* A reader that outlasts the answer's time. */
	plant(&s);
	r = hold_snapshot();
	memset(&p, 0, sizeof p);
	p.id = s.id;
	if (pthread_create(&p.t, NULL, erase_thread, &p) != 0)
		bail_out("thread");
	pthread_join(p.t, NULL);
	is_int(atomic_load(&p.rc), AK_EPENDING,
	       "a reader past AUDITLOG_WIPE_ANSWER_MS: AK_EPENDING, not done");
	ok(p.index > 0, "with the log index: the erasure did commit");
	ok(traces(&s) > 0, "its bytes are still in the files while the reader holds on");
	auditlog_stats(log_, &st);
	ok(st.wipe_owed && st.wipes_late > 0, "a wipe is owed, and one answer was late");
	let_go(r);
	for (int i = 0; i < 100; i++) {
		auditlog_stats(log_, &st);
		if (!st.wipe_owed)
			break;
		usleep(20000);
	}
	ok(!st.wipe_owed, "the writer wipes once the reader is gone, unasked");
	is_int(traces(&s), 0, "and nothing of the row is left");
}

/* A crash between an erasure's commit and its wipe: the next open wipes. */
static void test_wiped_at_open(void)
{
	struct secret s;
	const char *why = NULL;

	plant(&s);
	is_int(erase(s.id, 0, NULL), 0, "an erasure committed, and no wipe (as a crash leaves it)");
	ok(traces(&s) > 0, "its bytes are in the files");
	auditlog_close(log_);
	log_ = NULL;
	/* A closed log signs its last checkpoint: the bytes may still be in
	 * the WAL, which is what a crash leaves too. */
	if (auditlog_open(&log_, db, dd->log, NULL, &why) != 0)
		bail_out("reopen");
	is_int(traces(&s), 0, "the next open wipes them");
	is_int(wal_size(), 0, "and starts with an empty WAL");
}

int main(void)
{
	const char *why = NULL;
	char data[600], cmd[700];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	snprintf(data, sizeof data, "%s/d", dir);
	if (datadir_create(data, "ankang.test", NULL, NULL) != 0 ||
	    datadir_open(&dd, data, DATADIR_LOG, NULL, NULL, 0) != 0 ||
	    datadir_file(dd, db, sizeof db, DATADIR_DB) != 0 ||
	    auditlog_open(&log_, db, dd->log, NULL, &why) != 0)
		bail_out("data folder");

	test_wipe_and_twin();
	test_reader_holds();
	test_wiped_at_open();

	auditlog_close(log_);
	datadir_close(dd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
