/*
 * store_q: one statement on either backend (contract in store_int.h).
 *
 * On SQLite a store_q is the slot's cached sqlite3_stmt and each call is
 * the sqlite3_* call of the same name: the service's SQLite path runs
 * what it ran before.
 *
 * On PostgreSQL it keeps the parameters until the first step, which
 * runs the statement (prepared on first use as "q<slot>", with no
 * parameter types given: the server infers each from its place, as
 * SQLite's loose typing lets the same text mean the same there) and
 * keeps the whole result; each step then moves to the next row. Values
 * go as text (an integer in decimal, a blob as bytea's hex form), so
 * that a parameter's type is the server's choice, never ours to guess;
 * rows come back in binary, read by the column's type.
 *
 * A statement is prepared once a session: after the connection was lost
 * and made again (store_pg.c) it is prepared again on the new one.
 *
 * Never: put a value into the SQL's text (values are parameters), or
 * hand out a column beyond the row's length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "log/store_int.h"
#include "log/store_pg.h"

/* Parameters a statement of the service's may have. */
#define Q_PARAMS 12
/* PostgreSQL's type numbers (pg_type.dat) of the columns we read. */
#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT2  21
#define OID_INT4  23

struct store_q {
	store *s;
	sqlite3_stmt *st; /* SQLite */
	unsigned slot;
	char *sql;           /* PostgreSQL: the text with $N */
	unsigned prepared;   /* the session it is prepared on (store_generation), or 0 */
	int nparams;         /* the largest ?N in the text */
	char *val[Q_PARAMS]; /* malloc'd text values, NULL for NULL */
	PGresult *res;       /* the result being stepped, or NULL */
	int row;             /* the current row of res */
	uint64_t changes;    /* rows the statement changed */
	int alone;           /* store_q_ends_operation: no savepoint of its own */
};

/* The text with each ?N as $N, and the largest N. */
static char *pg_text(const char *sql, int *nparams)
{
	size_t n = strlen(sql);
	char *out = malloc(n + 1);

	*nparams = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		out[i] = sql[i] == '?' ? '$' : sql[i];
		if (sql[i] == '?') {
			long k = strtol(sql + i + 1, NULL, 10);
			if (k > *nparams && k <= Q_PARAMS + 1)
				*nparams = (int)k;
		}
	}
	return out;
}

/* Frees s's statements of this kind, on close (store_int.h, q_free). */
static void free_all(store *s)
{
	for (size_t i = 0; i < STORE_STMT_SLOTS; i++) {
		store_q *q = s->q[i];
		if (q == NULL)
			continue;
		q->st = NULL; /* SQLite's is finalized with the connection's */
		store_q_finish(q);
		free(q->sql);
		free(q);
		s->q[i] = NULL;
	}
}

store_q *store_q_get(store *s, unsigned slot, const char *sql)
{
	store_q *q;

	if (slot >= STORE_STMT_SLOTS)
		return NULL;
	q = s->q[slot];
	if (q == NULL) {
		if ((q = calloc(1, sizeof *q)) == NULL)
			return NULL;
		q->s = s;
		q->slot = slot;
		q->row = -1;
		if (s->pg != NULL &&
		    ((q->sql = pg_text(sql, &q->nparams)) == NULL || q->nparams > Q_PARAMS)) {
			free(q->sql);
			free(q);
			return NULL;
		}
		s->q[slot] = q;
		s->q_free = free_all;
	}
	if (s->pg == NULL && (q->st = store_stmt(s, slot, sql)) == NULL)
		return NULL;
	return q;
}

/* ------------------------------------------------------------- binding */

static int set_val(store_q *q, int i, char *v)
{
	if (i < 1 || i > Q_PARAMS) {
		free(v);
		return SQLITE_RANGE;
	}
	free(q->val[i - 1]);
	q->val[i - 1] = v;
	return SQLITE_OK;
}

int store_q_bind_int64(store_q *q, int i, int64_t v)
{
	char *t;

	if (q->st != NULL)
		return sqlite3_bind_int64(q->st, i, v);
	if ((t = malloc(24)) == NULL)
		return SQLITE_NOMEM;
	snprintf(t, 24, "%" PRId64, v);
	return set_val(q, i, t);
}

int store_q_bind_blob(store_q *q, int i, const void *p, int n)
{
	char *t;

	if (q->st != NULL)
		return sqlite3_bind_blob(q->st, i, p, n, SQLITE_STATIC);
	if (n < 0 || (t = malloc(2 * (size_t)n + 3)) == NULL)
		return SQLITE_NOMEM;
	t[0] = '\\';
	t[1] = 'x';
	util_hex_encode(t + 2, p, (size_t)n);
	return set_val(q, i, t);
}

int store_q_bind_text(store_q *q, int i, const char *t, int n)
{
	size_t len;
	char *v;

	if (q->st != NULL)
		return sqlite3_bind_text(q->st, i, t, n, SQLITE_STATIC);
	len = n < 0 ? strlen(t) : (size_t)n;
	if (memchr(t, '\0', len) != NULL || (v = malloc(len + 1)) == NULL)
		return SQLITE_MISUSE;
	memcpy(v, t, len);
	v[len] = '\0';
	return set_val(q, i, v);
}

int store_q_bind_null(store_q *q, int i)
{
	if (q->st != NULL)
		return sqlite3_bind_null(q->st, i);
	return set_val(q, i, NULL);
}

/* ------------------------------------------------------------- running */

/* A failed statement's SQLSTATE as the SQLite code that means the same. */
static int pg_code(const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (st == NULL)
		return SQLITE_ERROR;
	if (strcmp(st, "23505") == 0)
		return SQLITE_CONSTRAINT_UNIQUE;
	if (strcmp(st, "23503") == 0)
		return SQLITE_CONSTRAINT_FOREIGNKEY;
	if (strcmp(st, "23514") == 0)
		return SQLITE_CONSTRAINT_CHECK;
	if (strcmp(st, "23502") == 0)
		return SQLITE_CONSTRAINT_NOTNULL;
	if (strcmp(st, "42501") == 0)
		return SQLITE_AUTH;
	if (strcmp(st, "53200") == 0)
		return SQLITE_NOMEM;
	return SQLITE_ERROR;
}

/*
 * SQLite undoes a failed statement and leaves its transaction open, and
 * the service counts on it: an enrolment whose ID number is taken gets
 * the uniqueness error, and its operation goes on to record the denial.
 * PostgreSQL fails the whole transaction instead. So a statement that
 * writes, inside a transaction, runs under a savepoint of its own, rolled
 * back when it fails: the same statement-level atomicity; but for the
 * statements whose failure always ends their operation
 * (store_q_ends_operation), which the writer's savepoint around the
 * operation undoes, so that a code costs two statements fewer. The SAVEPOINT
 * and its RELEASE ride in the statement's own round trip (one pipeline,
 * store_pg_send); only a failure costs one more, for the ROLLBACK TO.
 * Reads need none (a failed read is the connection's or a bug's, and
 * ends the operation).
 */
static int pg_writes(const char *sql)
{
	return strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
	       strncmp(sql, "DELETE", 6) == 0;
}

static int pg_run(store_q *q)
{
	store *s = q->s;
	char name[16];
	int sp = pg_writes(q->sql) && !q->alone && store_pg_tx_open(s);
	int prepared = q->prepared == s->pg_session, part, rc;
	struct store_pg_stmt st = {name,
				   q->sql,
				   q->nparams,
				   NULL,
				   (const char *const *)q->val,
				   NULL,
				   NULL,
				   1,
				   sp ? "SAVEPOINT store_q" : NULL,
				   sp ? "RELEASE SAVEPOINT store_q" : NULL,
				   NULL};
	PGresult *r;

	snprintf(name, sizeof name, "q%u", q->slot);
	r = store_pg_send(s, &st, &prepared, &part, &rc);
	q->prepared = prepared ? s->pg_session : 0;
	if (part == 2 && sp) {
		/* The statement failed under its savepoint: undone alone, the
		 * transaction goes on. */
		int code = pg_code(r);
		PGresult *u =
		    PQexec(s->pg, "ROLLBACK TO SAVEPOINT store_q; RELEASE SAVEPOINT store_q");
		int ok = u != NULL && PQresultStatus(u) == PGRES_COMMAND_OK;

		PQclear(u);
		PQclear(r);
		return ok ? code : SQLITE_ERROR;
	}
	if (part != 0) {
		int code = part == 2 ? pg_code(r) : SQLITE_ERROR;
		PQclear(r);
		return code;
	}
	q->changes = strtoull(PQcmdTuples(r), NULL, 10);
	q->res = r;
	q->row = -1;
	return SQLITE_OK;
}

int store_q_step(store_q *q)
{
	int rc;

	if (q->st != NULL)
		return sqlite3_step(q->st);
	if (q->res == NULL && (rc = pg_run(q)) != SQLITE_OK)
		return rc;
	if (q->row + 1 < PQntuples(q->res)) {
		q->row++;
		return SQLITE_ROW;
	}
	return SQLITE_DONE;
}

void store_q_ends_operation(store_q *q)
{
	q->alone = 1;
}

uint64_t store_q_changes(store_q *q)
{
	if (q->st != NULL)
		return (uint64_t)sqlite3_changes64(sqlite3_db_handle(q->st));
	return q->changes;
}

void store_q_finish(store_q *q)
{
	if (q->st != NULL) {
		sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
		return;
	}
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	for (int i = 0; i < Q_PARAMS; i++) {
		free(q->val[i]);
		q->val[i] = NULL;
	}
}

/* ------------------------------------------------------------- columns */

static int pg_has(store_q *q, int col)
{
	return q->res != NULL && q->row >= 0 && q->row < PQntuples(q->res) && col >= 0 &&
	       col < PQnfields(q->res);
}

int store_q_type(store_q *q, int col)
{
	Oid t;

	if (q->st != NULL)
		return sqlite3_column_type(q->st, col);
	if (!pg_has(q, col) || PQgetisnull(q->res, q->row, col))
		return SQLITE_NULL;
	t = PQftype(q->res, col);
	if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2 || t == OID_BOOL)
		return SQLITE_INTEGER;
	return t == OID_BYTEA ? SQLITE_BLOB : SQLITE_TEXT;
}

int64_t store_q_int64(store_q *q, int col)
{
	const unsigned char *p;
	int n;
	uint64_t v = 0;

	if (q->st != NULL)
		return sqlite3_column_int64(q->st, col);
	if (store_q_type(q, col) != SQLITE_INTEGER)
		return 0;
	p = (const unsigned char *)PQgetvalue(q->res, q->row, col);
	n = PQgetlength(q->res, q->row, col);
	if (n != 1 && n != 2 && n != 4 && n != 8)
		return 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	/* Sign-extends the narrower integers (big-endian, two's complement). */
	if (n < 8 && (p[0] & 0x80) && PQftype(q->res, col) != OID_BOOL)
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

const void *store_q_blob(store_q *q, int col)
{
	if (q->st != NULL)
		return sqlite3_column_blob(q->st, col);
	return pg_has(q, col) && !PQgetisnull(q->res, q->row, col) ? PQgetvalue(q->res, q->row, col)
								   : NULL;
}

const unsigned char *store_q_text(store_q *q, int col)
{
	if (q->st != NULL)
		return sqlite3_column_text(q->st, col);
	/* libpq ends every value with a NUL of its own. */
	return (const unsigned char *)store_q_blob(q, col);
}

int store_q_bytes(store_q *q, int col)
{
	if (q->st != NULL)
		return sqlite3_column_bytes(q->st, col);
	return pg_has(q, col) && !PQgetisnull(q->res, q->row, col)
		   ? PQgetlength(q->res, q->row, col)
		   : 0;
}
