/*
 * store_pg_copy: a whole SQLite store copied into an empty PostgreSQL
 * one, in one transaction (contract in store_copy.h; docs/MULTINODE.md,
 * "Moving a SQLite deployment").
 *
 * What is copied is the list `tables` below, and only that. Each table
 * of either database is named there with what the copy does with it:
 *
 *   ROWS  copied row for row, every column, in the order of its key;
 *   SET   not copied: the target's row is set from the copied log (the
 *         coordination rows, and the mark of verified leaves, which is
 *         set to 0 so that the first start rehashes every leaf);
 *   LEFT  not copied: left as the target's migrations made it (the
 *         schema's version; derived tables, such as the log's subject and
 *         time indexes, which the leader fills from their mark: the mark
 *         as the migrations made it says "nothing indexed yet").
 *
 * A table that either database has and the list does not name makes the
 * copy refuse before it writes anything, and so does a column of a ROWS
 * table that the list does not name or types otherwise. A migration that
 * adds a table or a column (on either engine) must therefore add it here,
 * as copied or as left to be rebuilt, and the test that migrates a whole
 * day (tests/sh/migrate_pg.sh) fails until it does: nothing that holds
 * state is left behind by a copy that succeeded.
 *
 * The rows travel with COPY in PostgreSQL's binary format, which this
 * file writes itself (a header, then per row a count of fields and each
 * field's length and bytes, bigints big-endian): no value is ever turned
 * into text or SQL, and a sealed field arrives as the bytes it left.
 * Each table is then read back with COPY TO in the same format, and the
 * BLAKE2b of the bytes read must be that of the bytes sent: a copy whose
 * read-back differs is never committed. The SQLite side runs in one read
 * snapshot, the PostgreSQL side in one transaction that first locks every
 * table it writes; any failure, or the process killed, leaves the target
 * as it was.
 *
 * Never: put a row's value in a message (the server's DETAIL, which may
 * quote one, is never fetched: only its primary message), build SQL from
 * anything but the constants below, or commit before the read-back and
 * the log's check on the target have passed.
 */
#include "log/store_copy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "log/logcheck.h"
#include "log/store_pg.h"

/* ------------------------------------------------------------ the list */

enum copy_how {
	HOW_NONE = 0,
	HOW_ROWS,
	HOW_SET,
	HOW_LEFT,
};

/* Which database has the table. */
enum {
	ON_SQLITE = 1,
	ON_PG = 2,
	ON_BOTH = 3
};

struct copy_table {
	const char *name;
	enum copy_how how;
	unsigned on;
	const char *cols;     /* ROWS: the columns, as the statements name them */
	const char *types;    /* ROWS: a letter a column: i bigint, b bytea, t text */
	const char *select;   /* ROWS: SQLite's rows, in key order */
	const char *copy_in;  /* ROWS: PostgreSQL's COPY FROM */
	const char *copy_out; /* ROWS: the read-back, in the same order */
	const char *any;      /* ROWS: a row of the target's, if it has one */
	const char *lock;     /* ROWS, SET: the target's table held until COMMIT */
	const char *identity; /* the identity sequence moved past the ids, or NULL */
};

#define ROWS(name, cols, types, key, identity)                                                     \
	{                                                                                          \
		name, HOW_ROWS, ON_BOTH, cols, types,                                              \
		    "SELECT " cols " FROM " name " ORDER BY " key,                                 \
		    "COPY " name " (" cols ") FROM STDIN (FORMAT binary)",                         \
		    "COPY (SELECT " cols " FROM " name " ORDER BY " key                            \
		    ") TO STDOUT (FORMAT binary)",                                                 \
		    "SELECT 1 FROM " name " LIMIT 1",                                              \
		    "LOCK TABLE " name " IN ACCESS EXCLUSIVE MODE", identity                       \
	}
#define IDENTITY(name)                                                                             \
	"SELECT setval(pg_get_serial_sequence('" name "', 'id'), coalesce(max(id), 0) + 1, false)" \
	" FROM " name
#define SET(name, on)                                                                              \
	{                                                                                          \
		name, HOW_SET, on, NULL, NULL, NULL, NULL, NULL, NULL,                             \
		    "LOCK TABLE " name " IN ACCESS EXCLUSIVE MODE", NULL                           \
	}
#define LEFT(name, on)                                                                             \
	{                                                                                          \
		name, HOW_LEFT, on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL                 \
	}

/*
 * In the order they are copied, which the foreign keys need (accounts and
 * residents before what names them). The SQLite names and columns are
 * schema/NNN_*.sql's, the PostgreSQL ones schema/pg/NNN_*.sql's.
 */
static const struct copy_table tables[] = {
    ROWS("log_leaves", "idx, leaf, hashes", "ibb", "idx", NULL),
    ROWS("log_checkpoints", "size, note, time_ms", "ibi", "size", NULL),
    SET("log_head", ON_PG),
    SET("log_signer", ON_PG),
    /* SQLite's mark is this node's; the target's is set to 0. */
    SET("log_verified", ON_BOTH),
    LEFT("ankang_schema", ON_PG),
    /* The leader's indexes of the log (schema/pg/005_log_index.sql):
     * rebuilt from leaf 0 by the leader, since their mark is left at 0,
     * where the migration puts it. (SQLite's index file is not read.) */
    LEFT("log_subjects", ON_PG),
    LEFT("log_times", ON_PG),
    LEFT("log_index_mark", ON_PG),
    /* The KEK's epochs shared between nodes (schema/pg/006_epochs.sql):
     * metadata only, never a key. Left empty: the first leader lists the
     * epochs of its keys/epochs.key, which the folder keeps, and sets the
     * floor (service/epochshare.c, adopt); the nodes and their requests
     * are the running cluster's. */
    LEFT("epoch_state", ON_PG),
    LEFT("epochs", ON_PG),
    LEFT("epoch_nodes", ON_PG),
    LEFT("epoch_requests", ON_PG),
    ROWS("accounts", "id, role, name, token_hash, created, disabled, team", "ittbiit", "id",
	 IDENTITY("accounts")),
    ROWS("residents",
	 "id, handle, blind, wrapped_key, key_epoch, name_sealed, id_sealed, phone_sealed,"
	 " passphrase, status, status_changed, status_index, created, erased",
	 "ibbbibbbtiiiii", "id", IDENTITY("residents")),
    ROWS("status_history", "id, resident_id, time, status, reason, officer_id", "iiiiti", "id",
	 IDENTITY("status_history")),
    /* Sessions too: a resident logged in before the move stays so. */
    ROWS("sessions", "token_hash, resident_id, created, used, expires", "biiii", "token_hash",
	 NULL),
    ROWS("codes", "cti, resident_id, iat, exp, status, paper, sig_hash, issued_index", "biiiiibi",
	 "cti", NULL),
    ROWS("revocations", "cti, exp", "bi", "cti", NULL),
    ROWS("kek_check", "one, value", "ib", "one", NULL),
    ROWS("scans", "scan_id, verifier_id, cti, time, result, uploaded", "bibiti", "scan_id", NULL),
    ROWS("appeals",
	 "id, handle, resident_id, reason, text_sealed, status, status_officer, opened, due,"
	 " answered, decision, answer_reason, officer_id",
	 "ibitbiiiiitti", "id", IDENTITY("appeals")),
    ROWS("household_links",
	 "id, handle, guardian_id, member_id, relation, state, requested, confirmed, consent,"
	 " officer_id",
	 "ibiittiiti", "id", IDENTITY("household_links")),
};

static const struct copy_table *table_named(const char *name)
{
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

/* ------------------------------------------------------------ messages */

static __thread char why_buf[240];

static const char *why_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *why_fmt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	for (char *p = why_buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return why_buf;
}

/* The server's primary message for a failed result, never its DETAIL
 * (which can quote a row), or libpq's when the connection failed. */
static const char *pg_reason(store *s, const PGresult *r)
{
	const char *m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	return m != NULL ? m : PQerrorMessage(s->pg);
}

static int pg_code(const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (st == NULL)
		return AK_EDB;
	if (strcmp(st, "55P03") == 0)
		return AK_EBUSY; /* lock_timeout */
	if (strcmp(st, "42501") == 0)
		return AK_EDENIED;
	return AK_EDB;
}

/*
 * One statement on the target with at most one parameter, as text, rows
 * as text: the copy's few statements of its own (the rows themselves
 * travel by COPY). The result, or NULL with *rc and *why ("what: the
 * server's reason").
 */
static PGresult *pg_exec(store *s, const char *sql, const char *param, const char *what, int *rc,
			 const char **why)
{
	const char *vals[1] = {param};
	PGresult *r;
	ExecStatusType t;

	/* A deferred BEGIN (store_pg.c) goes first. */
	if ((*rc = store_pg_flush(s)) != 0) {
		*why = why_fmt("%s: %s", what, store_pg_errmsg(s));
		return NULL;
	}
	r = PQexecParams(s->pg, sql, param != NULL ? 1 : 0, NULL, vals, NULL, NULL, 0);
	t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		*rc = 0;
		return r;
	}
	*rc = r == NULL ? AK_ENOMEM : pg_code(r);
	*why = why_fmt("%s: %s", what, pg_reason(s, r));
	PQclear(r);
	return NULL;
}

static int pg_do(store *s, const char *sql, const char *what, const char **why)
{
	int rc;
	PGresult *r = pg_exec(s, sql, NULL, what, &rc, why);

	PQclear(r);
	return rc;
}

/* ------------------------------------------------------- the two schemas */

static const char *sqlite_type(char t)
{
	return t == 'i' ? "INTEGER" : t == 'b' ? "BLOB" : "TEXT";
}

static const char *pg_type(char t)
{
	return t == 'i' ? "bigint" : t == 'b' ? "bytea" : "text";
}

/* The type letter of column col (of len bytes) in t's list, or 0. */
static char col_type(const struct copy_table *t, const char *col, size_t len)
{
	const char *p = t->cols;

	for (size_t k = 0; t->types[k] != '\0'; k++) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, col, len) == 0)
			return t->types[k];
		p += n;
		p += strspn(p, ", ");
	}
	return 0;
}

/* One column a database reports for t: named in the list, and typed so. */
static int column_ok(const struct copy_table *t, const char *col, const char *type, int pg,
		     const char **why)
{
	char k = col_type(t, col, strlen(col));

	if (k == 0 || strcmp(type, pg ? pg_type(k) : sqlite_type(k)) != 0) {
		*why = why_fmt("the %s table %s has a column %s that migrate does not copy as it"
			       " is (log/store_pg_copy.c lists what it copies)",
			       pg ? "PostgreSQL" : "SQLite", t->name, col);
		return AK_EINVAL;
	}
	return 0;
}

/* SQLite's side: every table is in the list, every ROWS table has exactly
 * the listed columns. */
static int sqlite_schema_ok(store *s, const char **why)
{
	sqlite3_stmt *st = NULL;
	size_t seen[AK_ARRAY_LEN(tables)] = {0};
	int rc = 0, step;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT name FROM sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite!_%' ESCAPE '!'",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const struct copy_table *t = name != NULL ? table_named(name) : NULL;
		if (t == NULL || !(t->on & ON_SQLITE)) {
			*why = why_fmt("the SQLite store has a table %s that migrate does not know"
				       " (log/store_pg_copy.c lists what it copies)",
				       name != NULL ? name : "?");
			sqlite3_finalize(st);
			return AK_EINVAL;
		}
		seen[t - tables] = 1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (step != SQLITE_DONE)
		goto dberr;
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++) {
		const struct copy_table *t = &tables[i];
		size_t n = 0;
		if (t->how != HOW_ROWS)
			continue;
		if (!seen[i]) {
			*why = why_fmt("the SQLite store has no table %s", t->name);
			return AK_EINVAL;
		}
		if (sqlite3_prepare_v2(s->db, "SELECT name, type FROM pragma_table_info(?1)", -1,
				       &st, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC) != SQLITE_OK)
			goto dberr;
		while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
			const char *col = (const char *)sqlite3_column_text(st, 0);
			const char *type = (const char *)sqlite3_column_text(st, 1);
			rc = column_ok(t, col != NULL ? col : "?", type != NULL ? type : "?", 0,
				       why);
			n++;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != 0)
			return rc;
		if (step != SQLITE_DONE)
			goto dberr;
		if (n != strlen(t->types)) {
			*why =
			    why_fmt("the SQLite table %s lacks a column migrate copies", t->name);
			return AK_EINVAL;
		}
	}
	return 0;
dberr:
	*why = why_fmt("the SQLite store's schema cannot be read: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return AK_EDB;
}

/* PostgreSQL's side, the same. */
static int pg_schema_ok(store *s, const char **why)
{
	size_t seen[AK_ARRAY_LEN(tables)] = {0};
	PGresult *r;
	int rc;

	if ((r = pg_exec(s, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
			 NULL, "the target's tables", &rc, why)) == NULL)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		const struct copy_table *t = table_named(name);
		if (t == NULL || !(t->on & ON_PG)) {
			*why = why_fmt("the target has a table %s that migrate does not know"
				       " (log/store_pg_copy.c lists what it copies)",
				       name);
			PQclear(r);
			return AK_EINVAL;
		}
		seen[t - tables] = 1;
	}
	PQclear(r);
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++) {
		const struct copy_table *t = &tables[i];
		int n;
		if (t->how == HOW_LEFT)
			continue;
		if (!seen[i]) {
			*why = why_fmt("the target has no table %s: its schema is not ankang's",
				       t->name);
			return AK_EINVAL;
		}
		if (t->how != HOW_ROWS)
			continue;
		if ((r = pg_exec(s,
				 "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
				 " WHERE attrelid = to_regclass($1) AND attnum > 0"
				 " AND NOT attisdropped",
				 t->name, "the target's columns", &rc, why)) == NULL)
			return rc;
		n = PQntuples(r);
		for (int k = 0; rc == 0 && k < n; k++)
			rc = column_ok(t, PQgetvalue(r, k, 0), PQgetvalue(r, k, 1), 1, why);
		PQclear(r);
		if (rc != 0)
			return rc;
		if ((size_t)n != strlen(t->types)) {
			*why =
			    why_fmt("the target's table %s lacks a column migrate copies", t->name);
			return AK_EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the target */

/*
 * Other sessions of ours on the target's database: application_name is
 * "ankangd" on every connection store_pg.c makes (a node, a check, an
 * auditor's verify --db, another migrate). skip is one more pid to leave
 * out (the node URL's probe, whose backend may still be ending). Within
 * a transaction the server keeps one picture of its sessions, so it is
 * dropped first to see the present.
 */
static int sessions_none(store *s, int skip, const char **why)
{
	char pid[24];
	PGresult *r;
	int rc;

	snprintf(pid, sizeof pid, "%d", skip);
	if ((rc = pg_do(s, "SELECT pg_stat_clear_snapshot()", "the target's sessions", why)) != 0)
		return rc;
	if ((r = pg_exec(s,
			 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
			 " AND application_name = 'ankangd' AND pid <> pg_backend_pid()"
			 " AND pid <> $1::integer",
			 pid, "the target's sessions", &rc, why)) == NULL)
		return rc;
	if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
		*why = why_fmt("%s session(s) of ankangd are connected to the target's database: "
			       "stop every node that uses it first",
			       PQgetvalue(r, 0, 0));
		rc = AK_EBUSY;
	}
	PQclear(r);
	return rc;
}

/*
 * The nodes' URL must reach the same database and read the log's
 * tables (the migrations' grants), or the copy would be committed for a
 * role that cannot use it. *pid: its session's, to leave out of the
 * check for other sessions.
 */
static int probe_node(store *to, const char *node_url, int *pid, const char **why)
{
	store *n = NULL;
	PGresult *a = NULL, *b = NULL;
	uint64_t v;
	int rc;

	*pid = 0;
	if ((rc = store_open(&n, node_url, 0)) != 0) {
		*why = why_fmt("the nodes' URL: %s", store_open_err(rc));
		return rc;
	}
	if (n->pg == NULL) {
		store_close(n);
		*why = "the nodes' URL is not a PostgreSQL URL";
		return AK_EINVAL;
	}
	*pid = PQbackendPID(n->pg);
	if ((a = pg_exec(n, "SELECT current_database()", NULL, "the nodes' URL", &rc, why)) ==
		NULL ||
	    (b = pg_exec(to, "SELECT current_database()", NULL, "the target", &rc, why)) == NULL)
		goto done;
	if (strcmp(PQgetvalue(a, 0, 0), PQgetvalue(b, 0, 0)) != 0) {
		*why = "the nodes' URL and the owner's name different databases";
		rc = AK_EINVAL;
		goto done;
	}
	if ((rc = store_log_size(n, &v)) != 0 || (rc = store_log_verified(n, &v)) != 0) {
		*why = why_fmt("the nodes' URL cannot read the log's tables (%s): is its role in"
			       " ankang_service?",
			       store_errmsg(n));
		rc = AK_EDENIED;
	}
done:
	PQclear(a);
	PQclear(b);
	store_close(n);
	return rc;
}

/* Every table the copy writes held until COMMIT, then nothing in them. */
static int target_empty(store *s, const char **why)
{
	PGresult *r;
	int rc;

	/*
	 * The order trigger's probe for the largest index is planned once in
	 * this session, when log_leaves is empty: on a table whose statistics
	 * say so (after a VACUUM, by us or autovacuum) the planner would scan
	 * the whole table for it, once a leaf, quadratic in the log's size.
	 * With sequential scans off it reads the primary key's last entry.
	 */
	if ((rc = pg_do(s, "SET LOCAL lock_timeout = '5s'", "the target", why)) != 0 ||
	    (rc = pg_do(s, "SET LOCAL enable_seqscan = off", "the target", why)) != 0)
		return rc;
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++) {
		if (tables[i].lock == NULL)
			continue;
		if ((rc = pg_do(s, tables[i].lock, tables[i].name, why)) != 0) {
			if (rc == AK_EBUSY)
				*why = why_fmt("the target's table %s is held by another session",
					       tables[i].name);
			return rc;
		}
	}
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++) {
		const struct copy_table *t = &tables[i];
		if (t->any == NULL)
			continue;
		if ((r = pg_exec(s, t->any, NULL, t->name, &rc, why)) == NULL)
			return rc;
		rc = PQntuples(r) == 0 ? 0 : AK_EEXIST;
		PQclear(r);
		if (rc != 0) {
			*why = why_fmt(
			    "the target is not empty: its table %s has rows (a deployment, or a"
			    " copy that finished); migrate moves into an empty database only",
			    t->name);
			return rc;
		}
	}
	return 0;
}

/* ------------------------------------------------------- binary COPY */

#define CHUNK (1u << 20)

/* The bytes of one table's COPY, sent in chunks and hashed as they go. */
struct stream {
	store *s;
	crypto_generichash_state h;
	unsigned char *buf;
	size_t n;
	int rc;
};

static void flush(struct stream *w)
{
	if (w->rc == 0 && w->n > 0 && PQputCopyData(w->s->pg, (const char *)w->buf, (int)w->n) != 1)
		w->rc = AK_EDB;
	w->n = 0;
}

static void put(struct stream *w, const void *p, size_t n)
{
	if (w->rc != 0)
		return;
	crypto_generichash_update(&w->h, p, n);
	if (w->n + n > CHUNK)
		flush(w);
	if (n > CHUNK) {
		if (PQputCopyData(w->s->pg, p, (int)n) != 1)
			w->rc = AK_EDB;
		return;
	}
	memcpy(w->buf + w->n, p, n);
	w->n += n;
}

static void put_be(struct stream *w, uint64_t v, size_t bytes)
{
	unsigned char b[8];

	for (size_t i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	put(w, b, bytes);
}

/* The file's header: signature, no flags, no extension. */
static void put_header(struct stream *w)
{
	static const unsigned char sig[11] = "PGCOPY\n\377\r\n";

	put(w, sig, sizeof sig);
	put_be(w, 0, 4);
	put_be(w, 0, 4);
}

/* Column col of SQLite's row as the field of type letter k. */
static int put_field(struct stream *w, sqlite3_stmt *st, int col, char k)
{
	int type = sqlite3_column_type(st, col);
	int want = k == 'i' ? SQLITE_INTEGER : k == 'b' ? SQLITE_BLOB : SQLITE_TEXT;
	int n;

	if (type == SQLITE_NULL) {
		put_be(w, 0xffffffffu, 4);
		return 0;
	}
	if (type != want)
		return AK_ECORRUPT;
	if (k == 'i') {
		put_be(w, 8, 4);
		put_be(w, (uint64_t)sqlite3_column_int64(st, col), 8);
		return 0;
	}
	{
		const void *p = k == 'b' ? sqlite3_column_blob(st, col)
					 : (const void *)sqlite3_column_text(st, col);
		n = sqlite3_column_bytes(st, col);
		if (n < 0 || (n > 0 && p == NULL))
			return AK_ENOMEM;
		put_be(w, (uint64_t)n, 4);
		put(w, p, (size_t)n);
	}
	return 0;
}

/*
 * SQLite's rows of t into the target's table, then read back: the same
 * bytes, the same number of rows. *rows: how many.
 */
static int copy_table(store *from, store *to, const struct copy_table *t, uint64_t *rows,
		      const char **why)
{
	unsigned char sent[32], got[32];
	struct stream w = {.s = to};
	sqlite3_stmt *st = NULL;
	PGresult *r;
	size_t ncols = strlen(t->types);
	uint64_t n = 0, back = 0;
	int rc, step = SQLITE_DONE;
	char *data;
	int len;

	*rows = 0;
	if ((w.buf = malloc(CHUNK)) == NULL)
		return AK_ENOMEM;
	crypto_generichash_init(&w.h, NULL, 0, sizeof sent);
	if (sqlite3_prepare_v2(from->db, t->select, -1, &st, NULL) != SQLITE_OK) {
		*why = why_fmt("%s: the SQLite rows cannot be read: %s", t->name,
			       sqlite3_errmsg(from->db));
		free(w.buf);
		return AK_EDB;
	}
	if ((rc = store_pg_flush(to)) != 0) {
		*why = why_fmt("%s: %s", t->name, store_pg_errmsg(to));
		goto fail;
	}
	r = PQexec(to->pg, t->copy_in);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = r == NULL ? AK_ENOMEM : pg_code(r);
		*why = why_fmt("%s: %s", t->name, pg_reason(to, r));
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	put_header(&w);
	rc = 0;
	while (rc == 0 && w.rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		put_be(&w, ncols, 2);
		for (size_t c = 0; rc == 0 && c < ncols; c++)
			rc = put_field(&w, st, (int)c, t->types[c]);
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		rc = AK_EDB;
		*why = why_fmt("%s: the SQLite rows cannot be read: %s", t->name,
			       sqlite3_errmsg(from->db));
	} else if (rc != 0) {
		*why = why_fmt("%s: a value of another type than its column's", t->name);
	}
	put_be(&w, 0xffff, 2);
	flush(&w);
	crypto_generichash_final(&w.h, sent, sizeof sent);
	/* A failure on our side ends the COPY with an error: the server then
	 * fails the transaction, which is rolled back below. */
	if (PQputCopyEnd(to->pg, rc == 0 && w.rc == 0 ? NULL : "the source failed") != 1 && rc == 0)
		rc = AK_EDB;
	while ((r = PQgetResult(to->pg)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			rc = pg_code(r);
			*why = why_fmt("%s: the target refused the rows: %s", t->name,
				       pg_reason(to, r));
		}
		PQclear(r);
	}
	if (rc == 0 && w.rc != 0) {
		rc = w.rc;
		*why = why_fmt("%s: %s", t->name, PQerrorMessage(to->pg));
	}
	if (rc != 0)
		goto fail;

	/* The read-back. */
	crypto_generichash_init(&w.h, NULL, 0, sizeof got);
	if ((rc = store_pg_flush(to)) != 0) {
		*why = why_fmt("%s: %s", t->name, store_pg_errmsg(to));
		goto fail;
	}
	r = PQexec(to->pg, t->copy_out);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = r == NULL ? AK_ENOMEM : pg_code(r);
		*why = why_fmt("%s: reading back: %s", t->name, pg_reason(to, r));
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	while ((len = PQgetCopyData(to->pg, &data, 0)) > 0) {
		crypto_generichash_update(&w.h, (const unsigned char *)data, (size_t)len);
		PQfreemem(data);
	}
	crypto_generichash_final(&w.h, got, sizeof got);
	while ((r = PQgetResult(to->pg)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			if (rc == 0) {
				rc = pg_code(r);
				*why = why_fmt("%s: reading back: %s", t->name, pg_reason(to, r));
			}
		} else {
			const char *c = PQcmdTuples(r);
			char *end;
			errno = 0;
			back = strtoull(c, &end, 10);
			if (errno != 0 || end == c || *end != '\0')
				back = UINT64_MAX;
		}
		PQclear(r);
	}
	if (rc == 0 && len == -2) {
		rc = AK_EDB;
		*why = why_fmt("%s: reading back: %s", t->name, PQerrorMessage(to->pg));
	}
	if (rc == 0 && (back != n || sodium_memcmp(sent, got, sizeof sent) != 0)) {
		rc = AK_ECORRUPT;
		*why = why_fmt("%s: the rows read back are not the rows sent", t->name);
	}
	if (rc == 0 && t->identity != NULL)
		rc = pg_do(to, t->identity, t->name, why);
	if (rc == 0)
		*rows = n;
fail:
	sqlite3_finalize(st);
	free(w.buf);
	return rc;
}

/* ------------------------------------------------------------ the log */

/*
 * The coordination rows from the copied log (schema/pg/001_log.sql says
 * what each holds), and the log checked on the target: the root at the
 * newest checkpoint recomputed from the stored hashes must be the signed
 * one, and the root at the whole size the source's.
 */
static int set_log(store *from, store *to, const struct key_verifier *log_key,
		   const struct logcheck_head *src, struct store_copy_result *out, const char **why)
{
	struct merkle_range range;
	struct logcheck_head head;
	struct checkpoint cp;
	merkle_hash root_from, root_to, root_head;
	uint64_t size;
	char *note = NULL;
	size_t len;
	int rc;

	if ((rc = merkle_range_load(&range, src->size, store_log_get_node, to)) != 0) {
		*why = "the copied log's hashes do not make its range";
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	if ((rc = store_log_head_set(to, &range)) != 0) {
		*why = why_fmt("log_head: %s", store_errmsg(to));
		return rc;
	}
	if ((rc = store_log_last_checkpoint(to, &size, &note, &len)) != 0) {
		*why = "the copied log has no checkpoint";
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	rc = logcheck_checkpoint(note, len, log_key, size, &cp, why);
	free(note);
	if (rc != 0)
		return rc;
	if ((rc = store_log_signer_swap(to, 0, cp.size, cp.root)) != 0) {
		*why = rc == AK_ECONFLICT ? "log_signer was not the migrations' own"
					  : why_fmt("log_signer: %s", store_errmsg(to));
		return rc;
	}
	if ((rc = store_log_set_verified(to, 0)) != 0) {
		*why = why_fmt("log_verified: %s", store_errmsg(to));
		return rc;
	}
	if ((rc = logcheck_self(to, log_key, why, &head)) != 0)
		return rc;
	if (head.size != src->size || head.checkpoint_size != src->checkpoint_size) {
		*why =
		    why_fmt("the target's log has %" PRIu64 " leaves and a checkpoint at %" PRIu64
			    ", the source's %" PRIu64 " and %" PRIu64,
			    head.size, head.checkpoint_size, src->size, src->checkpoint_size);
		return AK_ECORRUPT;
	}
	if ((rc = merkle_root(root_from, src->size, store_log_get_node, from)) != 0 ||
	    (rc = merkle_root(root_to, src->size, store_log_get_node, to)) != 0) {
		*why = "a root cannot be recomputed";
		return rc == AK_ENOENT ? AK_ECORRUPT : rc;
	}
	merkle_range_root(&range, root_head);
	if (memcmp(root_from, root_to, sizeof root_to) != 0 ||
	    memcmp(root_head, root_to, sizeof root_to) != 0) {
		*why = "the root of the copied log is not the source's";
		return AK_ECORRUPT;
	}
	out->leaves = head.size;
	out->checkpoint_size = head.checkpoint_size;
	memcpy(out->root, root_to, sizeof root_to);
	return 0;
}

/* ------------------------------------------------------------ the copy */

static void tell(store_copy_fn fn, void *ctx, enum store_copy_event ev, const char *table,
		 uint64_t n)
{
	if (fn != NULL)
		fn(ctx, ev, table, n);
}

int store_copy(store *from, store *to, const char *node_url, const struct key_verifier *log_key,
	       store_copy_fn fn, void *ctx, struct store_copy_result *out, const char **why)
{
	struct logcheck_head src = {0, 0, 0};
	const char *dummy;
	int rc, probe = 0, read_open = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(out, 0, sizeof *out);
	if (from == NULL || to == NULL || from->db == NULL || to->pg == NULL) {
		*why = "migrate copies a SQLite store into a PostgreSQL one";
		return AK_EINVAL;
	}
	if (node_url != NULL && (rc = probe_node(to, node_url, &probe, why)) != 0)
		return rc;
	if ((rc = sessions_none(to, probe, why)) != 0)
		return rc;
	if ((rc = sqlite_schema_ok(from, why)) != 0 || (rc = pg_schema_ok(to, why)) != 0)
		return rc;

	/*
	 * A copy that failed left its leaves behind as dead rows, and the
	 * order trigger's probe for the largest index steps over every dead
	 * index entry above the leaf being inserted: a second attempt would
	 * cost time quadratic in the log's size. VACUUM (outside any
	 * transaction, as it must be) removes them first; on a target no copy
	 * ever touched it finds nothing to do.
	 */
	if ((rc = pg_do(to, "VACUUM log_leaves", "the target's log_leaves", why)) != 0)
		return rc;
	/* The target first, held and found empty, so that a refusal comes
	 * before the source's check, which reads the whole log. */
	if ((rc = store_begin(to)) != 0) {
		*why = why_fmt("the target: %s", store_errmsg(to));
		return rc;
	}
	if ((rc = target_empty(to, why)) != 0 || (rc = sessions_none(to, probe, why)) != 0)
		goto rollback;
	/* The source, in one snapshot: checked whole, then copied. */
	if ((rc = store_begin_read(from)) != 0) {
		*why = why_fmt("the SQLite store: %s", store_errmsg(from));
		goto rollback;
	}
	read_open = 1;
	if ((rc = logcheck_since(from, log_key, 0, why, &src)) != 0) {
		*why = why_fmt("the SQLite log does not check whole: %s",
			       *why != NULL ? *why : ak_strerror(rc));
		goto rollback;
	}
	tell(fn, ctx, STORE_COPY_CHECKED, NULL, src.size);
	for (size_t i = 0; i < AK_ARRAY_LEN(tables); i++) {
		const struct copy_table *t = &tables[i];
		uint64_t n;
		if (t->how != HOW_ROWS)
			continue;
		tell(fn, ctx, STORE_COPY_TABLE, t->name, 0);
		if ((rc = copy_table(from, to, t, &n, why)) != 0)
			goto rollback;
		tell(fn, ctx, STORE_COPY_TABLE_DONE, t->name, n);
		if (strcmp(t->name, "log_checkpoints") == 0)
			out->checkpoints = n;
		else if (strcmp(t->name, "log_leaves") != 0)
			out->rows += n;
	}
	if ((rc = set_log(from, to, log_key, &src, out, why)) != 0)
		goto rollback;
	tell(fn, ctx, STORE_COPY_LOG_CHECKED, NULL, out->leaves);
	if ((rc = store_commit(to)) != 0) {
		*why = why_fmt("COMMIT: %s", store_errmsg(to));
		goto rollback;
	}
	goto done;
rollback:
	if (store_in_transaction(to))
		store_rollback(to);
done:
	if (read_open)
		store_rollback(from);
	return rc;
}
