/*
 * store: the SQLite connection, its pragmas and guards, the migrations and
 * the transactions (see store.h for the contract).
 *
 * Every connection the service opens gets the same treatment, in this
 * order: opened without following symlinks and without SQLite's own
 * mutex (a handle belongs to one thread at a time); defensive mode, no
 * trusted schema, no double-quoted string literals; WAL journal with
 * synchronous=FULL (a COMMIT that returned survives power loss); on
 * connections that write, secure_delete (the space a deleted or shrunk
 * row leaves, and a freed page, are overwritten with zeros, so an erased
 * resident's bytes are not left in the file's free space); foreign keys;
 * a busy timeout; the pending migrations, each in its own
 * transaction with its PRAGMA user_version; the log's triggers switched
 * off for this connection (log_triggers_off says why and when); and last
 * the authorizer, which from then on refuses UPDATE and DELETE on the
 * audit log's tables, ALTER on them, and any DROP, lets store_stmt
 * refuse an insert into them that would resolve a conflict, and allows
 * nothing but UPDATE on the log's mark of verified leaves. The
 * authorizer comes after the migrations because a later migration may
 * legitimately rebuild one of the other tables.
 *
 * Never: build SQL from input (the only formatted statement is the
 * user_version pragma, from a loop counter), or open a database whose
 * user_version is newer than this build's schema.
 */
#include "log/store_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "log/schema.h"
#include "log/store_pg.h"

/*
 * Tuning, measured with bench/bench_auditlog.c on a 2-CPU VM (ext4): a
 * commit writes every page it touched to the WAL in full. When the audit
 * log had a B-tree index on its random subjects (about one page per
 * leaf), 4096 was the fastest page size (1024 and 2048: 10-20% slower;
 * 8192: up to 40% slower); without it, a commit of ~60 leaves writes ~12
 * pages and 8192 measured the same within the machine's noise, so 4096
 * stays. A WAL of 4000 frames before a connection copies it back itself
 * (default 1000) was 20% faster; the audit writer does not copy it back
 * itself at all but leaves that to a thread of its own (auditlog.c). The
 * cache: see STORE_CACHE_KIB.
 */
#define STORE_BUSY_MS            5000
#define STORE_PAGE_SIZE          4096
#define STORE_WAL_AUTOCHECKPOINT 4000
/* Page cache per connection. The writer's holds the hot right edges of the
 * log's B-trees and the dirty pages of a batch; a reader's, the pages its
 * thread's requests read. 64 MiB each measured 97-101 MB of resident
 * memory after 45 s of load (bench/http.sh), over the service's 64 MB
 * budget, with no throughput gained over 8 MiB.
 *
 * No memory-mapped I/O (mmap_size 0, SQLite's default). With 256 MiB of
 * it, every connection mapped the file again whenever it had grown (at
 * each WAL checkpoint): a munmap, and a TLB flush on every CPU, each time.
 * bench/http.sh, alternating, two pairs of 2 rounds: server CPU per
 * request 133-140 -> 112-122 us for POST /v1/verify, 95-98 -> 78-81 us
 * for GET /v1/me/code; memory with 1000 connections the same (37 MB); a
 * proof or a resident's accesses at 10^6 leaves within the noise
 * (bench/bench_auditlog.c). */
#define STORE_CACHE_KIB        8192
#define STORE_READER_CACHE_KIB 2048
#define STORE_MMAP_BYTES       0

#define STR_(x) #x
#define STR(x)  STR_(x)

/* The log's own tables: append-only (schema/001_audit.sql). The subject
 * index is not one of them: FTS5 rewrites its segments as it merges. */
static const char *const log_tables[] = {"log_leaves", "log_checkpoints"};
/* The log's mark of verified leaves (schema/003_log_verified.sql): one
 * row, which our connections only UPDATE. */
static const char log_mark_table[] = "log_verified";

int store_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return AK_ENOMEM;
	case SQLITE_AUTH:
		return AK_EDENIED;
	case SQLITE_CONSTRAINT:
		/* RAISE(ABORT) in our triggers: the log refused a rewrite. */
		return rc == SQLITE_CONSTRAINT_TRIGGER ? AK_EDENIED : AK_ECONFLICT;
	case SQLITE_CANTOPEN:
		return AK_ENOENT;
	default:
		return AK_EDB;
	}
}

sqlite3 *store_sqlite(store *s)
{
	return s->db;
}

int store_io_failed(store *s)
{
	int code;

	if (s != NULL && s->pg != NULL)
		return store_pg_io_failed(s);
	if (s == NULL || s->db == NULL)
		return 0;
	code = sqlite3_extended_errcode(s->db);
	return (code & 0xff) == SQLITE_IOERR && code != SQLITE_IOERR_NOMEM;
}

const char *store_errmsg(store *s)
{
	if (s != NULL && s->pg != NULL)
		return store_pg_errmsg(s);
	return s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : "no database";
}

/*
 * Whether sql resolves a conflict other than by failing: OR REPLACE (which
 * deletes the row in the way), OR IGNORE, ON CONFLICT DO NOTHING (which
 * skip a row and report success), OR FAIL. Our statements are literals,
 * so a plain case-insensitive search is enough.
 */
static int has_conflict_clause(const char *sql)
{
	static const char *const words[] = {"replace", " or ignore", "on conflict", " or fail"};

	for (size_t i = 0; i < AK_ARRAY_LEN(words); i++)
		if (strcasestr(sql, words[i]) != NULL)
			return 1;
	return 0;
}

sqlite3_stmt *store_stmt(store *s, unsigned slot, const char *sql)
{
	sqlite3_stmt *st;

	assert(slot < STORE_STMT_SLOTS);
	if (s->db == NULL)
		return NULL;
	st = s->stmt[slot];

	if (st == NULL) {
		s->log_insert = 0;
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK)
			return NULL;
		/* Our connections run without the log's triggers (see
		 * log_triggers_off): an insert into the log may only fail on a
		 * conflict, never resolve it. */
		if (s->log_insert && has_conflict_clause(sql)) {
			sqlite3_finalize(st);
			return NULL;
		}
		s->stmt[slot] = st;
	}
	return st;
}

/* Runs a statement that returns no rows, from the cache. */
static int exec_cached(store *s, enum store_slot slot, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, slot, sql);
	int rc;

	if (st == NULL)
		return AK_EDB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_err(rc) ? store_err(rc) : AK_EDB;
}

/* ------------------------------------------------------------ the guards */

static int is_log_table(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < AK_ARRAY_LEN(log_tables); i++)
		if (sqlite3_stricmp(name, log_tables[i]) == 0)
			return 1;
	return 0;
}

static int is_log_mark(const char *name)
{
	return name != NULL && sqlite3_stricmp(name, log_mark_table) == 0;
}

/*
 * Called by SQLite while it compiles each statement. The triggers refuse
 * the same writes at run time; this refuses them before a statement can
 * even exist on our connection, DROP included, so neither a bug of ours
 * nor a future code path can remove the triggers and then rewrite the log.
 * The mark of verified leaves is updated in place, and only that: its
 * one row is made by its migration, before the authorizer is installed.
 */
static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *dbname,
		     const char *trigger)
{
	store *s = ctx;

	(void)dbname;
	(void)trigger;
	switch (action) {
	case SQLITE_DROP_INDEX:
	case SQLITE_DROP_TABLE:
	case SQLITE_DROP_TEMP_INDEX:
	case SQLITE_DROP_TEMP_TABLE:
	case SQLITE_DROP_TEMP_TRIGGER:
	case SQLITE_DROP_TEMP_VIEW:
	case SQLITE_DROP_TRIGGER:
	case SQLITE_DROP_VIEW:
	case SQLITE_DROP_VTABLE:
		return SQLITE_DENY;
	case SQLITE_INSERT: /* a1: table */
		if (is_log_table(a1))
			s->log_insert = 1;
		return is_log_mark(a1) ? SQLITE_DENY : SQLITE_OK;
	case SQLITE_UPDATE: /* a1: table, a2: column */
		return is_log_table(a1) ? SQLITE_DENY : SQLITE_OK;
	case SQLITE_DELETE: /* a1: table */
		return is_log_table(a1) || is_log_mark(a1) ? SQLITE_DENY : SQLITE_OK;
	case SQLITE_ALTER_TABLE: /* a1: database, a2: table */
		return is_log_table(a2) || is_log_mark(a2) ? SQLITE_DENY : SQLITE_OK;
	default:
		return SQLITE_OK;
	}
}

/*
 * The log's triggers (schema/001_audit.sql) are what stop a connection
 * that is not ours. On ours they are switched off: the authorizer refuses
 * UPDATE, DELETE, ALTER and DROP on the log before a statement can exist,
 * a leaf's PRIMARY KEY refuses a second row at its index (and store_stmt
 * refuses to prepare an insert into the log with a conflict clause, so
 * none of ours can REPLACE or IGNORE), and the
 * writer appends at the size it reads inside its own write transaction
 * (store_log_append checks the same for everyone else). Left on, the
 * append-order rule alone ran a trigger program per leaf: 2 us of the
 * writer's 7.5 us of SQL per leaf, measured with bench/bench_auditlog.c.
 * SQLite can only switch triggers off per connection, all of them, so
 * this is done only while the log's are the only triggers in the schema:
 * a later migration that adds one of its own keeps them all on.
 */
static int log_triggers_off(store *s)
{
	sqlite3_stmt *st = NULL;
	int others = -1, on = 1;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND"
			       " tbl_name NOT IN ('log_leaves', 'log_checkpoints')",
			       -1, &st, NULL) != SQLITE_OK)
		return AK_EDB;
	if (sqlite3_step(st) == SQLITE_ROW)
		others = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (others != 0)
		return others > 0 ? 0 : AK_EDB;
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &on) != SQLITE_OK || on)
		return AK_EDB;
	return 0;
}

/* ------------------------------------------------------------ migrations */

static int user_version(store *s, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return AK_EDB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : AK_EDB;
}

/*
 * Brings the database to schema_version, one migration per transaction.
 * The version is read again inside each write transaction, so two
 * processes opening a new database at once apply each migration once.
 */
static int migrate(store *s)
{
	char sql[64];
	int v, rc;

	if ((rc = user_version(s, &v)) != 0)
		return rc;
	if (v > schema_version || v < 0)
		return AK_EINVAL;
	while (v < schema_version) {
		if ((rc = store_begin(s)) != 0)
			return rc;
		if ((rc = user_version(s, &v)) != 0)
			goto fail;
		if (v >= schema_version)
			break;
		rc = AK_EDB;
		if (sqlite3_exec(s->db, schema_migrations[v], NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if ((rc = store_commit(s)) != 0)
			goto fail;
		v++;
	}
	if (!sqlite3_get_autocommit(s->db))
		return store_commit(s);
	return 0;
fail:
	store_rollback(s);
	return rc;
}

/* ------------------------------------------------------------ open/close */

static int pragma(store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : AK_EDB;
}

/* secure_delete answers with the setting in force, which must be on
 * (1): Debian's SQLite has it on by default, not every build does. */
static int set_secure_delete(store *s)
{
	sqlite3_stmt *st = NULL;
	int rc = AK_EDB;

	if (sqlite3_prepare_v2(s->db, "PRAGMA secure_delete = ON", -1, &st, NULL) != SQLITE_OK)
		return AK_EDB;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1)
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

/* journal_mode answers with the mode in force, which must be WAL. */
static int set_wal(store *s)
{
	sqlite3_stmt *st = NULL;
	int rc = AK_EDB;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return AK_EDB;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0)
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

static int configure(store *s, int fresh)
{
	int on;

	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK || !on)
		return AK_EDB;
	if (sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) != SQLITE_OK)
		return AK_EDB;
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, STORE_BUSY_MS) != SQLITE_OK)
		return AK_EDB;
	if (pragma(s, "PRAGMA foreign_keys = ON") != 0 ||
	    pragma(s, (s->flags & STORE_READONLY)
			  ? "PRAGMA cache_size = -" STR(STORE_READER_CACHE_KIB)
			  : "PRAGMA cache_size = -" STR(STORE_CACHE_KIB)) != 0 ||
	    pragma(s, "PRAGMA mmap_size = " STR(STORE_MMAP_BYTES)) != 0 ||
	    pragma(s, "PRAGMA temp_store = MEMORY") != 0)
		return AK_EDB;
	if (s->flags & STORE_READONLY)
		return 0;
	/* The page size is fixed when the first table is written. */
	if (fresh && pragma(s, "PRAGMA page_size = " STR(STORE_PAGE_SIZE)) != 0)
		return AK_EDB;
	/*
	 * FULL, not NORMAL with an fdatasync of the WAL of our own after
	 * COMMIT (which would let the writer's next batch run during the
	 * sync): with FULL, SQLite syncs the WAL before it publishes the
	 * commit to other connections (wal.c, sqlite3WalFrames: the sync,
	 * then the wal-index header), so no reader ever sees a commit that is
	 * not durable, and a failed sync publishes nothing. With NORMAL, the
	 * commit is visible at once, and after a failed sync of our own it
	 * stays visible and is copied into the database at the next
	 * checkpoint, although its submitters were told nothing was done
	 * (bench/NOTES.md, "Audit writer, issue 11").
	 */
	if (set_wal(s) != 0 || pragma(s, "PRAGMA synchronous = FULL") != 0 ||
	    set_secure_delete(s) != 0 ||
	    pragma(s, "PRAGMA wal_autocheckpoint = " STR(STORE_WAL_AUTOCHECKPOINT)) != 0)
		return AK_EDB;
	return 0;
}

/*
 * Process-wide settings, before SQLite initialises: memory statistics
 * would take a global mutex on every allocation, and nothing reads them.
 * If SQLite is already initialised the call is refused and changes
 * nothing, which is harmless.
 */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(store **out, const char *path, unsigned flags)
{
	store *s;
	struct stat st;
	int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, rc, fresh = 0;

	*out = NULL;
	if ((flags & STORE_READONLY) && (flags & STORE_CREATE))
		return AK_EINVAL;
	store_pg_open_why_clear();
	if (store_pg_is_url(path))
		return store_pg_open(out, path, flags);
	pthread_once(&global_once, global_init);
	if (stat(path, &st) != 0) {
		int fd;
		if (errno != ENOENT || !(flags & STORE_CREATE))
			return errno == ENOENT ? AK_ENOENT : AK_EIO;
		/* The store will hold sealed personal data: owner only, from the
		 * start. SQLite gives the -wal and -shm files the same mode. */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) <
		    0)
			return AK_EIO;
		close(fd);
		fresh = 1;
	} else if (st.st_size == 0) {
		fresh = 1;
	}
	if (flags & STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE | (flags & STORE_CREATE ? SQLITE_OPEN_CREATE : 0);

	if ((s = calloc(1, sizeof *s)) == NULL)
		return AK_ENOMEM;
	s->flags = flags;
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		rc = s->db != NULL ? store_err(sqlite3_errcode(s->db)) : AK_ENOMEM;
		if (rc == AK_ENOENT && (flags & STORE_CREATE))
			rc = AK_EIO;
		goto fail;
	}
	if ((rc = configure(s, fresh)) != 0)
		goto fail;
	if (flags & STORE_READONLY) {
		int v;
		if ((rc = user_version(s, &v)) != 0)
			goto fail;
		rc = AK_EINVAL;
		if (v > schema_version || v < 0)
			goto fail;
	} else if ((rc = migrate(s)) != 0) {
		goto fail;
	}
	if ((rc = log_triggers_off(s)) != 0)
		goto fail;
	if (sqlite3_set_authorizer(s->db, authorize, s) != SQLITE_OK) {
		rc = AK_EDB;
		goto fail;
	}
	s->guarded = 1;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

const char *store_open_err(int rc)
{
	const char *why = store_open_why();

	return why[0] != '\0' ? why : ak_strerror(rc);
}

int store_is_url(const char *where)
{
	return store_pg_is_url(where);
}

unsigned store_generation(store *s)
{
	return s->pg != NULL ? s->pg_session : 1;
}

int store_lost(store *s)
{
	return s->pg != NULL && store_pg_lost(s);
}

int store_reconnect(store *s)
{
	return s->pg != NULL ? store_pg_ready(s) : 0;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	if (s->pg != NULL) {
		store_pg_close(s);
		return;
	}
	if (s->q_free != NULL)
		s->q_free(s);
	for (size_t i = 0; i < STORE_STMT_SLOTS; i++)
		sqlite3_finalize(s->stmt[i]);
	/* close_v2 would defer the close while a statement is alive; every
	 * statement is ours and finalized above, so plain close suffices. */
	sqlite3_close(s->db);
	free(s);
}

/* ------------------------------------------------------ WAL checkpoints */

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	store *s = ctx;

	(void)db;
	(void)name;
	s->wal_fn(s->wal_ctx, frames);
	return SQLITE_OK;
}

int store_wal_hook(store *s, void (*fn)(void *ctx, int frames), void *ctx)
{
	if (s->flags & STORE_READONLY)
		return AK_EINVAL;
	/* PostgreSQL's own checkpointer copies its WAL: fn is never called. */
	if (s->pg != NULL)
		return 0;
	s->wal_fn = fn;
	s->wal_ctx = ctx;
	/* Replaces the automatic checkpoint, which is itself a WAL hook. */
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}

int store_checkpoint(store *s, int restart, int *frames, int *copied)
{
	int rc;

	if (s->pg != NULL) {
		if (frames != NULL)
			*frames = 0;
		if (copied != NULL)
			*copied = 0;
		return 0;
	}
	rc = sqlite3_wal_checkpoint_v2(
	    s->db, "main", restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, frames,
	    copied);

	/* BUSY: someone else is checkpointing, or (restart) the wait ran out:
	 * what could be copied was. Not an error for a caller that retries. */
	return rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY ? 0
	       : store_err(rc)                               ? store_err(rc)
							     : AK_EDB;
}

/* The truncated WAL's length is the file system's metadata: synced, so
 * that after a power loss the WAL does not come back with its old bytes. */
static int sync_wal_file(store *s)
{
	const char *db = sqlite3_db_filename(s->db, "main");
	char path[4096];
	int fd, rc = 0;

	if (db == NULL || snprintf(path, sizeof path, "%s-wal", db) >= (int)sizeof path)
		return AK_EIO;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : AK_EIO;
	if (fsync(fd) != 0)
		rc = AK_EIO;
	close(fd);
	return rc;
}

int store_wal_truncate(store *s, unsigned wait_ms)
{
	uint64_t deadline = util_mono_ns() + (uint64_t)wait_ms * 1000000u, now;
	int rc, log = -1, copied = -1;

	/* Nothing PostgreSQL can do: docs/MULTINODE.md restates erasure's
	 * promise there as the epoch's. */
	if (s->pg != NULL)
		return s->flags & STORE_READONLY || store_in_transaction(s) ? AK_EINVAL : 0;
	if (s->flags & STORE_READONLY || !sqlite3_get_autocommit(s->db))
		return AK_EINVAL;
	for (;;) {
		now = util_mono_ns();
		/* The busy handler waits for readers and for the write lock;
		 * another connection's checkpoint is BUSY at once, without it. */
		sqlite3_busy_timeout(s->db,
				     now < deadline ? (int)((deadline - now) / 1000000u) : 0);
		rc = sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log,
					       &copied);
		if ((rc & 0xff) != SQLITE_BUSY || util_mono_ns() >= deadline)
			break;
		usleep(1000);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if ((rc & 0xff) == SQLITE_BUSY)
		return AK_EBUSY;
	if (rc != SQLITE_OK)
		return store_err(rc) ? store_err(rc) : AK_EDB;
	/* TRUNCATE returns OK only with the WAL empty. */
	assert(log == 0);
	return sync_wal_file(s);
}

/* ---------------------------------------------------------- transactions */

int store_begin(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_BEGIN);
	return exec_cached(s, SQ_BEGIN, "BEGIN IMMEDIATE");
}

int store_begin_read(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_BEGIN_READ);
	return exec_cached(s, SQ_BEGIN_READ, "BEGIN");
}

int store_begin_reads(store *s)
{
	return s->pg != NULL ? 1 : store_begin_read(s);
}

int store_commit(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_COMMIT);
	return exec_cached(s, SQ_COMMIT, "COMMIT");
}

int store_rollback(store *s)
{
	/* On PostgreSQL also after a lost connection, whose transaction the
	 * caller must still end (store_pg.c). */
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_ROLLBACK);
	/* After some errors SQLite has already rolled the transaction back. */
	if (!store_in_transaction(s))
		return 0;
	return exec_cached(s, SQ_ROLLBACK, "ROLLBACK");
}

int store_savepoint(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_SAVEPOINT);
	return exec_cached(s, SQ_SAVEPOINT, "SAVEPOINT op");
}

int store_release(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_RELEASE);
	return exec_cached(s, SQ_RELEASE, "RELEASE op");
}

int store_rollback_to(store *s)
{
	if (s->pg != NULL)
		return store_pg_tx(s, STORE_PG_ROLLBACK_TO);
	return exec_cached(s, SQ_ROLLBACK_TO, "ROLLBACK TO op");
}

int store_in_transaction(store *s)
{
	if (s->pg != NULL)
		return store_pg_in_transaction(s);
	return !sqlite3_get_autocommit(s->db);
}

int store_durable(store *s)
{
	return s->pg != NULL ? store_pg_durable(s) : 0;
}
