/*
 * store_people: every SQL statement over residents, accounts, sessions,
 * issued codes, revocations and offline scans (schema in
 * schema/002_people.sql, contract in store_people.h).
 *
 * The statements are constants, prepared once per connection and cached
 * (store_q_get); every value is bound. They run on SQLite and on
 * PostgreSQL alike (store_q, log/store_int.h), so each is written in the
 * SQL both engines read the same way. Each use of a cached statement ends
 * with finish(), which resets it and clears its bindings, on every path,
 * so the next user gets it clean: the step_* helpers finish what they
 * step (but step_row, whose caller reads the row first), and unbound()
 * finishes a statement whose binding failed.
 *
 * What the rows may hold is the schema's business (its CHECKs refuse a
 * tombstone with data in it, free text in a closed-list column, a sealed
 * field of an impossible size); what this file adds is refusing bad
 * arguments before any SQL runs, so a CHECK firing means a bug, and
 * reading nothing back beyond the sizes store_people.h promises.
 *
 * Erasure and purges touch several tables: each runs inside a savepoint of
 * its own, so it is all-or-nothing whether or not the caller (the audit
 * writer) has a transaction open.
 *
 * Never: build SQL from input, or see personal data in the clear (callers
 * seal before writing and open after reading).
 */
#include "service/store_people.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "log/store_int.h"

/* This file's prepared statements, in the slots after the log's. */
enum {
	SQ_RES_INSERT = SQ_LOG_END,
	SQ_RES_SEAL,
	SQ_RES_BY_ID,
	SQ_RES_BY_BLIND,
	SQ_RES_BY_HANDLE,
	SQ_RES_SET_STATUS,
	SQ_RES_UNDER_EPOCH,
	SQ_RES_REWRAP,
	SQ_RES_EPOCHS,
	SQ_RES_ERASE,
	SQ_RES_ERASE_SESSIONS,
	SQ_RES_ERASE_HISTORY,
	SQ_HIST_ADD,
	SQ_HIST_LIST,
	SQ_HIST_BY_OFFICER,
	SQ_ACC_ADD,
	SQ_ACC_BY_TOKEN,
	SQ_ACC_WITH_CODE,
	SQ_ACC_BY_ID,
	SQ_ACC_BY_NAME,
	SQ_ACC_LIST,
	SQ_ACC_DISABLE,
	SQ_SESS_ADD,
	SQ_SESS_GET,
	SQ_SESS_GET_RESIDENT,
	SQ_SESS_PURGE,
	SQ_SESS_TOUCH,
	SQ_SESS_DELETE,
	SQ_SESS_DELETE_ALL,
	SQ_SESS_LIST,
	SQ_CODE_ADD,
	SQ_CODE_ADD_ALL,
	SQ_CODE_GET,
	SQ_CODES_REVOKE,
	SQ_REVOKED,
	SQ_CODE_LOOKUP,
	SQ_REVOCATIONS,
	SQ_CODES_PURGE,
	SQ_REVOCATIONS_PURGE,
	SQ_SCAN_ADD,
	SQ_SCAN_KNOWN,
	SQ_KEK_CHECK_GET,
	SQ_KEK_CHECK_PUT,
	SQ_ACC_SET_TEAM,
	SQ_APPEAL_ADD,
	SQ_APPEAL_BY_HANDLE,
	SQ_APPEAL_ANSWER,
	SQ_APPEALS_OF,
	SQ_APPEALS_OPEN,
	SQ_APPEALS_ANSWERED,
	SQ_APPEALS_ALL,
	SQ_APPEALS_OVERDUE,
	SQ_APPEAL_OPEN_OF,
	SQ_RES_ERASE_APPEALS,
	SQ_RES_ERASE_LINKS,
	SQ_LINK_ADD,
	SQ_LINK_BY_HANDLE,
	SQ_LINKS_OF_GUARDIAN,
	SQ_LINKS_OF_MEMBER,
	SQ_LINKS_PENDING,
	SQ_LINK_CONFIRM,
	SQ_LINK_DELETE,
	SQ_LINKS_COUNT,
	SQ_PEOPLE_END
};
_Static_assert(SQ_PEOPLE_END <= STORE_STMT_SLOTS - STORE_SLOTS_EPOCHS,
	       "store_int.h has room for these statements");

/* A resident's row, in the column order every resident query uses. */
#define RESIDENT_COLUMNS                                                                           \
	"id, erased, status, status_changed, created, wrapped_key, name_sealed, id_sealed,"        \
	" phone_sealed, passphrase, handle, status_index, key_epoch"

#define ACCOUNT_COLUMNS "id, role, name, created, disabled, team"

/* ------------------------------------------------------------ helpers */

static void finish(store_q *st)
{
	store_q_finish(st);
}

/*
 * An SQLite result code as an AK_E* code. Uniqueness is a conflict, a
 * missing referenced row (foreign key) is "no such row", a CHECK or NOT
 * NULL failure is bad input that slipped past the argument checks.
 */
static int sql_err(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return AK_ECONFLICT;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return AK_ENOENT;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return AK_EINVAL;
	default:
		return store_err(rc) ? store_err(rc) : AK_EDB;
	}
}

/* A bind failed: finishes the statement and returns AK_EDB. */
static int unbound(store_q *st)
{
	finish(st);
	return AK_EDB;
}

/* Steps a statement that returns no rows, then finishes it. */
static int step_done(store_q *st)
{
	int rc = store_q_step(st);

	finish(st);
	return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/* Like step_done, and reports how many rows the statement changed. */
static int step_changes(store_q *st, uint64_t *changes)
{
	int rc = store_q_step(st);

	*changes = rc == SQLITE_DONE ? store_q_changes(st) : 0;
	finish(st);
	return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/* Like step_done, for a statement that changes one row: AK_ENOENT when
 * it changed none (no such row, or one the WHERE clause excludes). */
static int step_one_change(store_q *st)
{
	uint64_t n;
	int rc = step_changes(st, &n);

	if (rc != 0)
		return rc;
	return n == 1 ? 0 : AK_ENOENT;
}

/* Steps an existence query (SELECT 1 ...), then finishes it: 1 when it
 * found a row, 0 when not, or an AK_E* code. */
static int step_exists(store_q *st)
{
	int rc = store_q_step(st);

	finish(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/* Steps a query that returns at most one row: 0 with the row ready to
 * read, AK_ENOENT when there is none, or an AK_E* code. The caller reads
 * the row, then finishes the statement. */
static int step_row(store_q *st)
{
	int rc = store_q_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? AK_ENOENT : sql_err(rc);
}

/* Steps an INSERT ... RETURNING id, then finishes it: 0 with the new
 * row's id, AK_ENOENT when it inserted none (an INSERT ... SELECT whose
 * rows the WHERE clause excluded). RETURNING rather than SQLite's
 * last_insert_rowid, which PostgreSQL has no twin of. */
static int inserted_id(store_q *st, uint64_t *id)
{
	int rc = step_row(st);

	if (rc == 0 && (store_q_type(st, 0) != SQLITE_INTEGER || store_q_int64(st, 0) < 0))
		rc = AK_ECORRUPT;
	if (rc == 0)
		*id = (uint64_t)store_q_int64(st, 0);
	finish(st);
	return rc;
}

/* SQLite integers are signed 64-bit: larger values are refused, not
 * wrapped. */
static int fits(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX;
}

static int bind_u64(store_q *st, int i, uint64_t v)
{
	return store_q_bind_int64(st, i, (int64_t)v);
}

/* A non-negative integer column, or AK_ECORRUPT. */
static int col_u64(store_q *st, int col, uint64_t *out)
{
	int64_t v = store_q_int64(st, col);

	if (store_q_type(st, col) != SQLITE_INTEGER || v < 0)
		return AK_ECORRUPT;
	*out = (uint64_t)v;
	return 0;
}

/* A blob column of exactly n bytes into out, or AK_ECORRUPT. */
static int col_fixed(store_q *st, int col, uint8_t *out, size_t n)
{
	const void *p = store_q_blob(st, col);

	if (store_q_type(st, col) != SQLITE_BLOB || (size_t)store_q_bytes(st, col) != n ||
	    p == NULL)
		return AK_ECORRUPT;
	memcpy(out, p, n);
	return 0;
}

/* Runs fn inside a savepoint of its own (nested in the caller's
 * transaction when there is one): all of it or none of it. */
static int atomically(store *s, int (*fn)(store *s, void *ctx), void *ctx)
{
	int rc, rc2;

	if ((rc = store_savepoint(s)) != 0)
		return rc;
	if ((rc = fn(s, ctx)) == 0)
		rc = store_release(s);
	if (rc != 0 && store_in_transaction(s)) {
		rc2 = store_rollback_to(s);
		if (rc2 == 0)
			rc2 = store_release(s);
		(void)rc2; /* rc already says what failed */
	}
	return rc;
}

/* ------------------------------------------------------------ residents */

/* A sealed column: NULL (len 0), or a blob of exactly want bytes. */
static int col_sealed(store_q *st, int col, size_t want, struct store_sealed *out)
{
	const void *p;
	int n;

	assert(want <= sizeof out->b);
	out->len = 0;
	if (store_q_type(st, col) == SQLITE_NULL)
		return 0;
	p = store_q_blob(st, col);
	n = store_q_bytes(st, col);
	if (store_q_type(st, col) != SQLITE_BLOB || (size_t)n != want || p == NULL)
		return AK_ECORRUPT;
	memcpy(out->b, p, want);
	out->len = want;
	return 0;
}

/* Fills out from a row of RESIDENT_COLUMNS. */
static int read_resident(store_q *st, struct store_resident *out)
{
	const unsigned char *pw;
	int64_t status;
	int rc, n;

	memset(out, 0, sizeof *out);
	if ((rc = col_u64(st, 0, &out->id)) != 0 ||
	    (rc = col_u64(st, 3, &out->status_changed)) != 0 ||
	    (rc = col_u64(st, 4, &out->created)) != 0)
		return rc;
	out->erased = store_q_type(st, 1) != SQLITE_NULL;
	status = store_q_int64(st, 2);
	if (status < CRED_GREEN || status > CRED_RED)
		return AK_ECORRUPT;
	out->status = (int)status;
	if (store_q_type(st, 5) != SQLITE_NULL) {
		if ((rc = col_fixed(st, 5, out->wrapped, sizeof out->wrapped)) != 0 ||
		    (rc = col_u64(st, 12, &out->key_epoch)) != 0)
			return rc;
		if (out->key_epoch == 0)
			return AK_ECORRUPT;
		out->has_key = 1;
	}
	if ((rc = col_sealed(st, 6, STORE_SEALED_NAME_BYTES, &out->name)) != 0 ||
	    (rc = col_sealed(st, 7, STORE_SEALED_ID_BYTES, &out->id_number)) != 0 ||
	    (rc = col_sealed(st, 8, STORE_SEALED_PHONE_BYTES, &out->phone)) != 0)
		return rc;
	if (store_q_type(st, 9) != SQLITE_NULL) {
		pw = store_q_text(st, 9);
		n = store_q_bytes(st, 9);
		if (pw == NULL || n <= 0 || (size_t)n >= sizeof out->passphrase ||
		    memchr(pw, '\0', (size_t)n) != NULL)
			return AK_ECORRUPT;
		memcpy(out->passphrase, pw, (size_t)n);
		out->passphrase[n] = '\0';
	}
	if ((rc = col_fixed(st, 10, out->handle, sizeof out->handle)) != 0 ||
	    (rc = col_u64(st, 11, &out->status_index)) != 0)
		return rc;
	return 0;
}

/* Runs a prepared single-row resident query. */
static int one_resident(store_q *st, struct store_resident *out)
{
	int rc = step_row(st);

	if (rc == 0)
		rc = read_resident(st, out);
	finish(st);
	return rc;
}

int store_resident_insert(store *s, const uint8_t blind[SEAL_BLIND_BYTES],
			  const uint8_t handle[STORE_HANDLE_BYTES], uint64_t now, uint64_t index,
			  uint64_t *id)
{
	store_q *st = store_q_get(
	    s, SQ_RES_INSERT,
	    "INSERT INTO residents (blind, handle, status, status_changed, status_index, created)"
	    " VALUES (?1, ?3, 0, ?2, ?4, ?2) RETURNING id");

	if (st == NULL)
		return AK_EDB;
	if (!fits(now) || !fits(index))
		return AK_EINVAL;
	if (store_q_bind_blob(st, 1, blind, SEAL_BLIND_BYTES) != SQLITE_OK ||
	    bind_u64(st, 2, now) != SQLITE_OK ||
	    store_q_bind_blob(st, 3, handle, STORE_HANDLE_BYTES) != SQLITE_OK ||
	    bind_u64(st, 4, index) != SQLITE_OK)
		return unbound(st);
	return inserted_id(st, id);
}

static int bind_sealed(store_q *st, int i, const struct store_sealed *f)
{
	if (f->len == 0)
		return store_q_bind_null(st, i);
	return store_q_bind_blob(st, i, f->b, (int)f->len);
}

static int sealed_ok(const struct store_sealed *f, size_t want)
{
	return f->len == want;
}

int store_resident_seal(store *s, const struct store_resident *r)
{
	store_q *st = store_q_get(s, SQ_RES_SEAL,
				  "UPDATE residents SET wrapped_key = ?2, name_sealed = ?3,"
				  " id_sealed = ?4, phone_sealed = ?5, passphrase = ?6,"
				  " key_epoch = ?7 WHERE id = ?1 AND erased IS NULL");
	size_t pwlen = strnlen(r->passphrase, sizeof r->passphrase);
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (!fits(r->id) || !r->has_key || r->key_epoch == 0 || !fits(r->key_epoch) ||
	    pwlen == sizeof r->passphrase || !sealed_ok(&r->name, STORE_SEALED_NAME_BYTES) ||
	    !sealed_ok(&r->id_number, STORE_SEALED_ID_BYTES) ||
	    !sealed_ok(&r->phone, STORE_SEALED_PHONE_BYTES))
		return AK_EINVAL;
	bad |= bind_u64(st, 1, r->id);
	bad |= store_q_bind_blob(st, 2, r->wrapped, SEAL_WRAPPED_BYTES);
	bad |= bind_sealed(st, 3, &r->name);
	bad |= bind_sealed(st, 4, &r->id_number);
	bad |= bind_sealed(st, 5, &r->phone);
	if (pwlen == 0)
		bad |= store_q_bind_null(st, 6);
	else
		bad |= store_q_bind_text(st, 6, r->passphrase, (int)pwlen);
	bad |= bind_u64(st, 7, r->key_epoch);
	if (bad)
		return unbound(st);
	return step_one_change(st);
}

int store_resident_by_id(store *s, uint64_t id, struct store_resident *out)
{
	store_q *st = store_q_get(s, SQ_RES_BY_ID,
				  "SELECT " RESIDENT_COLUMNS " FROM residents WHERE id = ?1");

	if (st == NULL)
		return AK_EDB;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	return one_resident(st, out);
}

int store_resident_by_blind(store *s, const uint8_t blind[SEAL_BLIND_BYTES],
			    struct store_resident *out)
{
	store_q *st = store_q_get(s, SQ_RES_BY_BLIND,
				  "SELECT " RESIDENT_COLUMNS " FROM residents WHERE blind = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, blind, SEAL_BLIND_BYTES) != SQLITE_OK)
		return unbound(st);
	return one_resident(st, out);
}

int store_resident_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES],
			     struct store_resident *out)
{
	store_q *st = store_q_get(s, SQ_RES_BY_HANDLE,
				  "SELECT " RESIDENT_COLUMNS " FROM residents WHERE handle = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, handle, STORE_HANDLE_BYTES) != SQLITE_OK)
		return unbound(st);
	return one_resident(st, out);
}

int store_resident_set_status(store *s, uint64_t id, int status, uint64_t now, uint64_t index)
{
	store_q *st =
	    store_q_get(s, SQ_RES_SET_STATUS,
			"UPDATE residents SET status = ?2, status_changed = ?3, status_index = ?4"
			" WHERE id = ?1 AND erased IS NULL");

	if (st == NULL)
		return AK_EDB;
	if (status < CRED_GREEN || status > CRED_RED || !fits(now) || !fits(index))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK || store_q_bind_int64(st, 2, status) != SQLITE_OK ||
	    bind_u64(st, 3, now) != SQLITE_OK || bind_u64(st, 4, index) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_residents_under_epoch(store *s, uint64_t below, size_t limit, store_rewrap_fn fn,
				void *ctx)
{
	store_q *st = store_q_get(s, SQ_RES_UNDER_EPOCH,
				  "SELECT id, key_epoch, wrapped_key FROM residents"
				  " WHERE key_epoch < ?1 ORDER BY key_epoch, id LIMIT ?2");
	uint8_t wrapped[SEAL_WRAPPED_BYTES];
	uint64_t id, epoch;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (limit == 0)
		return 0;
	if (!fits(below) || !fits(limit) || bind_u64(st, 1, below) != SQLITE_OK ||
	    bind_u64(st, 2, limit) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = col_u64(st, 0, &id)) != 0 || (rc = col_u64(st, 1, &epoch)) != 0 ||
		    (rc = col_fixed(st, 2, wrapped, sizeof wrapped)) != 0 ||
		    (rc = fn(ctx, id, epoch, wrapped)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

int store_resident_rewrap(store *s, uint64_t id, uint64_t old_epoch, uint64_t new_epoch,
			  const uint8_t wrapped[SEAL_WRAPPED_BYTES])
{
	store_q *st = store_q_get(s, SQ_RES_REWRAP,
				  "UPDATE residents SET wrapped_key = ?3, key_epoch = ?4"
				  " WHERE id = ?1 AND key_epoch = ?2 AND erased IS NULL");

	if (st == NULL)
		return AK_EDB;
	if (new_epoch == 0 || !fits(new_epoch))
		return AK_EINVAL;
	if (!fits(id) || !fits(old_epoch))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK || bind_u64(st, 2, old_epoch) != SQLITE_OK ||
	    store_q_bind_blob(st, 3, wrapped, SEAL_WRAPPED_BYTES) != SQLITE_OK ||
	    bind_u64(st, 4, new_epoch) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_key_epoch_next(store *s, uint64_t after, uint64_t *next)
{
	store_q *st = store_q_get(s, SQ_RES_EPOCHS,
				  "SELECT min(key_epoch) FROM residents WHERE key_epoch > ?1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(after))
		return AK_ENOENT;
	if (bind_u64(st, 1, after) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0) {
		if (store_q_type(st, 0) == SQLITE_NULL)
			rc = AK_ENOENT;
		else if (col_u64(st, 0, next) != 0)
			rc = AK_ECORRUPT;
	}
	finish(st);
	return rc;
}

/* Deletes one resident's rows from a table, by a statement keyed on ?1. */
static int delete_for(store *s, unsigned slot, const char *sql, uint64_t id)
{
	store_q *st = store_q_get(s, slot, sql);

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	return step_done(st);
}

struct erase_args {
	uint64_t id, now;
};

static int erase_steps(store *s, void *ctx)
{
	const struct erase_args *e = ctx;
	store_q *st = store_q_get(s, SQ_RES_ERASE,
				  "UPDATE residents SET erased = ?2, blind = NULL,"
				  " wrapped_key = NULL, key_epoch = NULL, name_sealed = NULL,"
				  " id_sealed = NULL,"
				  " phone_sealed = NULL, passphrase = NULL"
				  " WHERE id = ?1 AND erased IS NULL");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, e->id) != SQLITE_OK || bind_u64(st, 2, e->now) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_one_change(st)) != 0 ||
	    (rc = delete_for(s, SQ_RES_ERASE_SESSIONS,
			     "DELETE FROM sessions WHERE resident_id = ?1", e->id)) != 0 ||
	    (rc = delete_for(s, SQ_RES_ERASE_HISTORY,
			     "DELETE FROM status_history WHERE resident_id = ?1", e->id)) != 0 ||
	    (rc = delete_for(s, SQ_RES_ERASE_APPEALS,
			     "UPDATE appeals SET text_sealed = NULL WHERE resident_id = ?1",
			     e->id)) != 0 ||
	    (rc = delete_for(s, SQ_RES_ERASE_LINKS,
			     "DELETE FROM household_links WHERE guardian_id = ?1 OR member_id = ?1",
			     e->id)) != 0)
		return rc;
	return store_codes_revoke(s, e->id, e->now, NULL);
}

int store_resident_erase(store *s, uint64_t id, uint64_t now)
{
	struct erase_args e = {id, now};

	if (!fits(now))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	return atomically(s, erase_steps, &e);
}

/* ------------------------------------------------------- status history */

/* A status reason is one of leaf.h's reason words; the store refuses any
 * other word, so a status change can never be stored with a purpose or a
 * role for its reason. */
static int reason_detail(const char *w, size_t len)
{
	int d = leaf_detail_parse(w, len);
	return d >= DET_CONFIRMED_CASE && d <= DET_APPEAL_UPHELD ? d : -1;
}

static int reason_valid(const char *w)
{
	return w != NULL && strnlen(w, 33) <= 32 && reason_detail(w, strlen(w)) >= 0;
}

int store_status_history_add(store *s, uint64_t resident_id, const struct store_status_change *c)
{
	/* Through the resident row, so an erased resident gets no history. */
	store_q *st = store_q_get(
	    s, SQ_HIST_ADD,
	    "INSERT INTO status_history (resident_id, time, status, reason, officer_id)"
	    " SELECT id, ?2, ?3, ?4, ?5 FROM residents WHERE id = ?1 AND erased IS NULL");
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (!fits(c->time) || c->status < CRED_GREEN || c->status > CRED_RED ||
	    !reason_valid(c->reason) || (c->officer_id != LEAF_NO_ID && !fits(c->officer_id)))
		return AK_EINVAL;
	if (!fits(resident_id))
		return AK_ENOENT;
	bad |= bind_u64(st, 1, resident_id);
	bad |= bind_u64(st, 2, c->time);
	bad |= store_q_bind_int64(st, 3, c->status);
	bad |= store_q_bind_text(st, 4, c->reason, -1);
	if (c->officer_id == LEAF_NO_ID)
		bad |= store_q_bind_null(st, 5);
	else
		bad |= bind_u64(st, 5, c->officer_id);
	if (bad)
		return unbound(st);
	return step_one_change(st);
}

int store_status_history(store *s, uint64_t resident_id, size_t limit, store_status_fn fn,
			 void *ctx)
{
	store_q *st = store_q_get(s, SQ_HIST_LIST,
				  "SELECT time, status, reason, officer_id FROM status_history"
				  " WHERE resident_id = ?1 ORDER BY time DESC, id DESC LIMIT ?2");
	struct store_status_change c;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(resident_id))
		return 0;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK ||
	    store_q_bind_int64(
		st, 2, limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		const unsigned char *w = store_q_text(st, 2);
		int n = store_q_bytes(st, 2), d;
		int64_t status = store_q_int64(st, 1);

		memset(&c, 0, sizeof c);
		d = w != NULL ? reason_detail((const char *)w, (size_t)n) : -1;
		if (col_u64(st, 0, &c.time) != 0 || d < 0 || status < CRED_GREEN ||
		    status > CRED_RED) {
			rc = AK_ECORRUPT;
			goto out;
		}
		c.status = (int)status;
		c.reason = leaf_detail_word(d);
		c.officer_id = LEAF_NO_ID;
		if (store_q_type(st, 3) != SQLITE_NULL && col_u64(st, 3, &c.officer_id) != 0) {
			rc = AK_ECORRUPT;
			goto out;
		}
		if ((rc = fn(ctx, &c)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

int store_status_history_by_officer(store *s, uint64_t officer_id, uint64_t since, size_t rows,
				    store_resident_id_fn fn, void *ctx)
{
	/* The newest rows by the primary key, filtered in the outer query:
	 * no index on officer or time is needed (or kept up by the writer),
	 * and the read is bounded by rows whoever made them. */
	store_q *st = store_q_get(
	    s, SQ_HIST_BY_OFFICER,
	    "SELECT resident_id FROM (SELECT resident_id, time, officer_id FROM status_history"
	    " ORDER BY id DESC LIMIT ?3) AS h WHERE officer_id = ?1 AND time >= ?2");
	uint64_t id;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(officer_id) || rows == 0)
		return 0;
	if (bind_u64(st, 1, officer_id) != SQLITE_OK ||
	    bind_u64(st, 2, fits(since) ? since : INT64_MAX) != SQLITE_OK ||
	    store_q_bind_int64(st, 3, rows > INT64_MAX ? INT64_MAX : (int64_t)rows) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if (col_u64(st, 0, &id) != 0) {
			rc = AK_ECORRUPT;
			goto out;
		}
		if ((rc = fn(ctx, id)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

/* ------------------------------------------------------------- accounts */

static int account_role_ok(int role)
{
	return role >= ROLE_VERIFIER && role <= ROLE_ADMIN;
}

/* Fills out from a row of ACCOUNT_COLUMNS. */
static int read_account(store_q *st, struct store_account *out)
{
	const unsigned char *role = store_q_text(st, 1);
	const unsigned char *name = store_q_text(st, 2);
	int rlen = store_q_bytes(st, 1), nlen = store_q_bytes(st, 2), r, rc;

	memset(out, 0, sizeof *out);
	if ((rc = col_u64(st, 0, &out->id)) != 0 || (rc = col_u64(st, 3, &out->created)) != 0)
		return rc;
	r = role != NULL ? leaf_role_parse((const char *)role, (size_t)rlen) : -1;
	if (!account_role_ok(r) || name == NULL || nlen < 1 || nlen > STORE_ACCOUNT_NAME_MAX ||
	    memchr(name, '\0', (size_t)nlen) != NULL)
		return AK_ECORRUPT;
	out->role = (enum leaf_role)r;
	memcpy(out->name, name, (size_t)nlen);
	out->name[nlen] = '\0';
	out->disabled = store_q_type(st, 4) != SQLITE_NULL;
	if (store_q_type(st, 5) != SQLITE_NULL) {
		const unsigned char *team = store_q_text(st, 5);
		int tlen = store_q_bytes(st, 5);
		if (team == NULL || tlen < 1 || tlen > STORE_ACCOUNT_NAME_MAX ||
		    memchr(team, '\0', (size_t)tlen) != NULL)
			return AK_ECORRUPT;
		memcpy(out->team, team, (size_t)tlen);
		out->team[tlen] = '\0';
	}
	return 0;
}

static int one_account(store_q *st, struct store_account *out)
{
	int rc = step_row(st);

	if (rc == 0)
		rc = read_account(st, out);
	finish(st);
	return rc;
}

int store_account_add(store *s, enum leaf_role role, const char *name, const uint8_t token_hash[32],
		      uint64_t now, uint64_t *id)
{
	store_q *st = store_q_get(s, SQ_ACC_ADD,
				  "INSERT INTO accounts (role, name, token_hash, created)"
				  " VALUES (?1, ?2, ?3, ?4) RETURNING id");
	size_t nlen = name != NULL ? strnlen(name, STORE_ACCOUNT_NAME_MAX + 1) : 0;
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (!account_role_ok((int)role) || nlen < 1 || nlen > STORE_ACCOUNT_NAME_MAX || !fits(now))
		return AK_EINVAL;
	bad |= store_q_bind_text(st, 1, leaf_role_word((int)role), -1);
	bad |= store_q_bind_text(st, 2, name, (int)nlen);
	bad |= store_q_bind_blob(st, 3, token_hash, 32);
	bad |= bind_u64(st, 4, now);
	if (bad)
		return unbound(st);
	return inserted_id(st, id);
}

int store_account_by_token(store *s, const uint8_t token_hash[32], struct store_account *out)
{
	store_q *st = store_q_get(s, SQ_ACC_BY_TOKEN,
				  "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE token_hash = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, token_hash, 32) != SQLITE_OK)
		return unbound(st);
	return one_account(st, out);
}

int store_account_by_id(store *s, uint64_t id, struct store_account *out)
{
	store_q *st =
	    store_q_get(s, SQ_ACC_BY_ID, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?1");

	if (st == NULL)
		return AK_EDB;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	return one_account(st, out);
}

int store_account_by_name(store *s, const char *name, struct store_account *out)
{
	store_q *st = store_q_get(s, SQ_ACC_BY_NAME,
				  "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE name = ?1");
	size_t nlen = name != NULL ? strnlen(name, STORE_ACCOUNT_NAME_MAX + 1) : 0;

	if (st == NULL)
		return AK_EDB;
	if (nlen < 1 || nlen > STORE_ACCOUNT_NAME_MAX)
		return AK_ENOENT;
	if (store_q_bind_text(st, 1, name, (int)nlen) != SQLITE_OK)
		return unbound(st);
	return one_account(st, out);
}

int store_account_list(store *s, store_account_fn fn, void *ctx)
{
	store_q *st =
	    store_q_get(s, SQ_ACC_LIST, "SELECT " ACCOUNT_COLUMNS " FROM accounts ORDER BY id");
	struct store_account a;
	int rc;

	if (st == NULL)
		return AK_EDB;
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = read_account(st, &a)) != 0 || (rc = fn(ctx, &a)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

int store_account_disable(store *s, uint64_t id, uint64_t now)
{
	store_q *st = store_q_get(s, SQ_ACC_DISABLE,
				  "UPDATE accounts SET disabled = ?2"
				  " WHERE id = ?1 AND disabled IS NULL");

	if (st == NULL)
		return AK_EDB;
	if (!fits(now))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK || bind_u64(st, 2, now) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_account_set_team(store *s, uint64_t id, const char *team)
{
	store_q *st =
	    store_q_get(s, SQ_ACC_SET_TEAM, "UPDATE accounts SET team = ?2 WHERE id = ?1");
	size_t tlen = team != NULL ? strnlen(team, STORE_ACCOUNT_NAME_MAX + 1) : 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (team != NULL && (tlen < 1 || tlen > STORE_ACCOUNT_NAME_MAX))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	rc = bind_u64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = team != NULL ? store_q_bind_text(st, 2, team, (int)tlen)
				  : store_q_bind_null(st, 2);
	if (rc != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

/* ------------------------------------------------------------- sessions */

/* The minute a use at now is recorded as. */
static uint64_t touch_time(uint64_t now)
{
	return now - now % STORE_SESSION_TOUCH_S;
}

int store_session_add(store *s, const uint8_t token_hash[32], uint64_t resident_id, uint64_t now,
		      uint64_t expires)
{
	/* Through the resident row: an erased resident cannot log in. */
	store_q *st =
	    store_q_get(s, SQ_SESS_ADD,
			"INSERT INTO sessions (token_hash, resident_id, created, used, expires)"
			" SELECT ?1, id, ?3, ?3, ?4 FROM residents"
			" WHERE id = ?2 AND erased IS NULL");
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (!fits(now) || !fits(expires) || expires <= now)
		return AK_EINVAL;
	if (!fits(resident_id))
		return AK_ENOENT;
	bad |= store_q_bind_blob(st, 1, token_hash, 32);
	bad |= bind_u64(st, 2, resident_id);
	bad |= bind_u64(st, 3, now);
	bad |= bind_u64(st, 4, expires);
	if (bad)
		return unbound(st);
	return step_one_change(st);
}

#define SESSION_COLUMNS "token_hash, resident_id, created, used, expires"

static int read_session(store_q *st, struct store_session *out)
{
	memset(out, 0, sizeof *out);
	if (col_fixed(st, 0, out->token_hash, sizeof out->token_hash) != 0 ||
	    col_u64(st, 1, &out->resident_id) != 0 || col_u64(st, 2, &out->created) != 0 ||
	    col_u64(st, 3, &out->used) != 0 || col_u64(st, 4, &out->expires) != 0)
		return AK_ECORRUPT;
	return 0;
}

/* Binds a live session's query (?1 its token's hash, ?2 now) and steps
 * to its row: 0 with the row to read (the caller finishes st), or an
 * error (AK_ENOENT: no live session) with st finished. */
static int live_session_row(store_q *st, const uint8_t token_hash[32], uint64_t now)
{
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(now))
		return AK_EINVAL;
	if (store_q_bind_blob(st, 1, token_hash, 32) != SQLITE_OK ||
	    bind_u64(st, 2, now) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) != 0)
		finish(st);
	return rc;
}

int store_session_get(store *s, const uint8_t token_hash[32], uint64_t now,
		      struct store_session *out)
{
	store_q *st = store_q_get(s, SQ_SESS_GET,
				  "SELECT " SESSION_COLUMNS " FROM sessions"
				  " WHERE token_hash = ?1 AND expires > ?2");
	int rc;

	if ((rc = live_session_row(st, token_hash, now)) != 0)
		return rc;
	rc = read_session(st, out);
	finish(st);
	return rc;
}

int store_session_get_resident(store *s, const uint8_t token_hash[32], uint64_t now,
			       struct store_session *out, struct store_resident *r)
{
	/* The resident's columns first (read_resident's numbering), then
	 * the session's, named apart from them. */
	store_q *st = store_q_get(s, SQ_SESS_GET_RESIDENT,
				  "SELECT " RESIDENT_COLUMNS ", s_created, s_used, s_expires"
				  " FROM residents JOIN (SELECT resident_id AS s_id,"
				  " created AS s_created, used AS s_used, expires AS s_expires"
				  " FROM sessions WHERE token_hash = ?1 AND expires > ?2) AS s"
				  " ON id = s_id");
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = live_session_row(st, token_hash, now)) != 0) {
		sodium_memzero(r, sizeof *r);
		return rc;
	}
	if ((rc = read_resident(st, r)) == 0 &&
	    (col_u64(st, 13, &out->created) != 0 || col_u64(st, 14, &out->used) != 0 ||
	     col_u64(st, 15, &out->expires) != 0))
		rc = AK_ECORRUPT;
	finish(st);
	if (rc != 0) {
		sodium_memzero(r, sizeof *r);
		return rc;
	}
	out->resident_id = r->id;
	memcpy(out->token_hash, token_hash, sizeof out->token_hash);
	return 0;
}

int store_session_touch(store *s, const uint8_t token_hash[32], uint64_t now)
{
	store_q *st = store_q_get(s, SQ_SESS_TOUCH,
				  "UPDATE sessions SET used = ?2 WHERE token_hash = ?1"
				  " AND used < ?2");

	if (st == NULL)
		return AK_EDB;
	store_q_ends_operation(st); /* dispatch.c's change returns its failure */
	if (!fits(now))
		return AK_EINVAL;
	if (store_q_bind_blob(st, 1, token_hash, 32) != SQLITE_OK ||
	    bind_u64(st, 2, touch_time(now)) != SQLITE_OK)
		return unbound(st);
	return step_done(st);
}

int store_session_delete(store *s, const uint8_t token_hash[32])
{
	store_q *st = store_q_get(s, SQ_SESS_DELETE, "DELETE FROM sessions WHERE token_hash = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, token_hash, 32) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_sessions_delete_all(store *s, uint64_t resident_id, uint64_t *n)
{
	store_q *st =
	    store_q_get(s, SQ_SESS_DELETE_ALL, "DELETE FROM sessions WHERE resident_id = ?1");
	uint64_t k = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(resident_id))
		return AK_ENOENT;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK)
		return unbound(st);
	rc = step_changes(st, &k);
	if (n != NULL)
		*n = k;
	return rc;
}

int store_sessions_list(store *s, uint64_t resident_id, uint64_t now, store_session_fn fn,
			void *ctx)
{
	store_q *st = store_q_get(s, SQ_SESS_LIST,
				  "SELECT " SESSION_COLUMNS " FROM sessions"
				  " WHERE resident_id = ?1 AND expires > ?2"
				  " ORDER BY created DESC, token_hash");
	struct store_session ss;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(resident_id) || !fits(now))
		return 0;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK || bind_u64(st, 2, now) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = read_session(st, &ss)) != 0 || (rc = fn(ctx, &ss)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	sodium_memzero(&ss, sizeof ss);
	finish(st);
	return rc;
}

int store_session_purge(store *s, uint64_t now, uint64_t *n)
{
	store_q *st = store_q_get(s, SQ_SESS_PURGE, "DELETE FROM sessions WHERE expires <= ?1");
	uint64_t k = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(now))
		return AK_EINVAL;
	if (bind_u64(st, 1, now) != SQLITE_OK)
		return unbound(st);
	rc = step_changes(st, &k);
	if (n != NULL)
		*n = k;
	return rc;
}

/* ---------------------------------------------------- codes, revocations */

/* 0 for a code row the schema takes, AK_EINVAL, or AK_ENOENT for a
 * resident id no row can have. */
static int code_ok(const struct store_code *c)
{
	if (!fits(c->iat) || !fits(c->exp) || c->exp <= c->iat || c->status < CRED_GREEN ||
	    c->status > CRED_RED || (c->paper != 0 && c->paper != 1) || !fits(c->issued_index))
		return AK_EINVAL;
	return fits(c->resident_id) ? 0 : AK_ENOENT;
}

int store_code_add(store *s, const struct store_code *c)
{
	/* Through the resident row: no new code for an erased resident. */
	store_q *st = store_q_get(
	    s, SQ_CODE_ADD,
	    "INSERT INTO codes (cti, resident_id, iat, exp, status, paper, sig_hash, issued_index)"
	    " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM residents WHERE id = ?2 AND erased IS "
	    "NULL");
	int bad = 0, rc;

	if (st == NULL)
		return AK_EDB;
	/* Its three callers return its failures (an erased resident is no
	 * failure: no row changed). */
	store_q_ends_operation(st);
	if ((rc = code_ok(c)) != 0)
		return rc;
	bad |= store_q_bind_blob(st, 1, c->cti, CRED_CTI_BYTES);
	bad |= bind_u64(st, 2, c->resident_id);
	bad |= bind_u64(st, 3, c->iat);
	bad |= bind_u64(st, 4, c->exp);
	bad |= store_q_bind_int64(st, 5, c->status);
	bad |= store_q_bind_int64(st, 6, c->paper);
	bad |= store_q_bind_blob(st, 7, c->sig_hash, STORE_SIG_HASH_BYTES);
	bad |= bind_u64(st, 8, c->issued_index);
	if (bad)
		return unbound(st);
	return step_one_change(st);
}

/* On SQLite: each row alone, under a savepoint that undoes them all when
 * one fails. */
static int code_add_each(store *s, const struct store_code *const *c, size_t n)
{
	int rc = store_savepoint(s);

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = store_code_add(s, c[i]);
	if (rc == 0)
		return store_release(s);
	if (store_rollback_to(s) != 0 || store_release(s) != 0)
		return AK_EDB;
	return rc;
}

/* The element of store_code_add_all's array for c: its fields, separated
 * by ':', the two blobs in hex. Returns its length, at most CODE_ELEM_MAX:
 * the hex, four numbers of at most 20 digits, two of one, seven ':'. */
#define CODE_ELEM_MAX (2 * CRED_CTI_BYTES + 2 * STORE_SIG_HASH_BYTES + 4 * 20 + 2 + 7)
static int code_elem(char *out, const struct store_code *c)
{
	char cti[2 * CRED_CTI_BYTES + 1], sig[2 * STORE_SIG_HASH_BYTES + 1];

	util_hex_encode(cti, c->cti, CRED_CTI_BYTES);
	util_hex_encode(sig, c->sig_hash, STORE_SIG_HASH_BYTES);
	return snprintf(out, CODE_ELEM_MAX + 1,
			"%s:%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%d:%d:%s:%" PRIu64, cti,
			c->resident_id, c->iat, c->exp, c->status, c->paper, sig, c->issued_index);
}

int store_code_add_all(store *s, const struct store_code *const *c, size_t n)
{
	/*
	 * The rows as one text array (of code_elem's), split on the
	 * server; inserted only when every resident named is there and not
	 * erased, each as store_code_add would have, all of them at the
	 * statement's one moment. It begins with INSERT, so that store_q
	 * puts it under a savepoint of its own: a failure (a cti taken)
	 * undoes it alone.
	 */
	store_q *st;
	char *arr, *p;
	uint64_t k;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((rc = code_ok(c[i])) != 0)
			return rc;
	if (!store_is_pg(s))
		return code_add_each(s, c, n);
	st = store_q_get(
	    s, SQ_CODE_ADD_ALL,
	    "INSERT INTO codes (cti, resident_id, iat, exp, status, paper, sig_hash, issued_index)"
	    " WITH c AS (SELECT decode(f[1], 'hex') AS cti, f[2]::bigint AS rid,"
	    " f[3]::bigint AS iat, f[4]::bigint AS exp, f[5]::bigint AS status,"
	    " f[6]::bigint AS paper, decode(f[7], 'hex') AS sig, f[8]::bigint AS idx"
	    " FROM unnest(?1::text[]) AS u (e), string_to_array(u.e, ':') AS t (f))"
	    " SELECT cti, rid, iat, exp, status, paper, sig, idx FROM c"
	    " WHERE NOT EXISTS (SELECT 1 FROM c LEFT JOIN residents r ON r.id = c.rid"
	    " AND r.erased IS NULL WHERE r.id IS NULL)");
	if (st == NULL)
		return AK_EDB;
	if (n > SIZE_MAX / (CODE_ELEM_MAX + 1) - 3 ||
	    (arr = malloc(n * (CODE_ELEM_MAX + 1) + 3)) == NULL) {
		finish(st);
		return AK_ENOMEM;
	}
	p = arr;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		p += code_elem(p, c[i]);
	}
	*p++ = '}';
	*p = '\0';
	rc = store_q_bind_text(st, 1, arr, (int)(p - arr));
	free(arr);
	if (rc != 0)
		return unbound(st);
	if ((rc = step_changes(st, &k)) != 0)
		return rc;
	return k == n ? 0 : k == 0 ? AK_ENOENT : AK_ECORRUPT;
}

/* A code's row from columns b to b + 7 of st's current row. */
static int code_row(store_q *st, int b, struct store_code *out)
{
	int64_t status = store_q_int64(st, b + 4), paper = store_q_int64(st, b + 5);
	int rc = AK_ECORRUPT;

	memset(out, 0, sizeof *out);
	if (status >= CRED_GREEN && status <= CRED_RED && (paper == 0 || paper == 1) &&
	    col_fixed(st, b, out->cti, CRED_CTI_BYTES) == 0 &&
	    col_u64(st, b + 1, &out->resident_id) == 0 && col_u64(st, b + 2, &out->iat) == 0 &&
	    col_u64(st, b + 3, &out->exp) == 0 &&
	    col_fixed(st, b + 6, out->sig_hash, STORE_SIG_HASH_BYTES) == 0 &&
	    col_u64(st, b + 7, &out->issued_index) == 0)
		rc = 0;
	out->status = (int)status;
	out->paper = (int)paper;
	return rc;
}

int store_code_get(store *s, const uint8_t cti[CRED_CTI_BYTES], struct store_code *out)
{
	store_q *st = store_q_get(s, SQ_CODE_GET,
				  "SELECT cti, resident_id, iat, exp, status, paper, sig_hash,"
				  " issued_index FROM codes WHERE cti = ?1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, cti, CRED_CTI_BYTES) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0)
		rc = code_row(st, 0, out);
	finish(st);
	return rc;
}

int store_code_lookup(store *s, const uint8_t cti[CRED_CTI_BYTES], struct store_code *out,
		      int *revoked)
{
	store_q *st;
	int rc;

	*revoked = 0;
	/* One statement, one row whether the code is known or not (its
	 * columns NULL when not): on PostgreSQL one round trip, on SQLite one
	 * step where two statements took ~3,000 instructions more. */
	st = store_q_get(s, SQ_CODE_LOOKUP,
			 "SELECT c.cti, c.resident_id, c.iat, c.exp, c.status, c.paper, c.sig_hash,"
			 " c.issued_index, EXISTS (SELECT 1 FROM revocations WHERE cti = ?1)"
			 " FROM (SELECT 1) AS one LEFT JOIN codes c ON c.cti = ?1");
	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, cti, CRED_CTI_BYTES) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0) {
		*revoked = store_q_int64(st, 8) != 0;
		rc = store_q_type(st, 0) == SQLITE_NULL ? AK_ENOENT : code_row(st, 0, out);
	}
	finish(st);
	return rc;
}

int store_account_with_code(store *s, const uint8_t token_hash[32],
			    const uint8_t cti[CRED_CTI_BYTES], struct store_account *out,
			    struct store_code *code, int *code_rc, int *revoked)
{
	/* store_account_by_token's columns (read_account's numbering), then
	 * store_code_lookup's: one row whether either is there or not. */
	store_q *st = store_q_get(
	    s, SQ_ACC_WITH_CODE,
	    "SELECT a.id, a.role, a.name, a.created, a.disabled, a.team,"
	    " c.cti, c.resident_id, c.iat, c.exp, c.status, c.paper, c.sig_hash, c.issued_index,"
	    " EXISTS (SELECT 1 FROM revocations WHERE cti = ?2)"
	    " FROM (SELECT 1) AS one LEFT JOIN accounts a ON a.token_hash = ?1"
	    " LEFT JOIN codes c ON c.cti = ?2");
	int rc;

	*revoked = 0;
	*code_rc = AK_ENOENT;
	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, token_hash, 32) != SQLITE_OK ||
	    store_q_bind_blob(st, 2, cti, CRED_CTI_BYTES) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0) {
		*revoked = store_q_int64(st, 14) != 0;
		if (store_q_type(st, 6) != SQLITE_NULL)
			*code_rc = code_row(st, 6, code);
		rc = store_q_type(st, 0) == SQLITE_NULL ? AK_ENOENT : read_account(st, out);
	}
	finish(st);
	return rc;
}

/* The earliest exp a verifier could still accept at `now`. */
static uint64_t live_since(uint64_t now)
{
	return now > CRED_DEFAULT_SKEW ? now - CRED_DEFAULT_SKEW : 0;
}

int store_codes_revoke(store *s, uint64_t resident_id, uint64_t now, uint64_t *n)
{
	store_q *st = store_q_get(s, SQ_CODES_REVOKE,
				  "INSERT INTO revocations (cti, exp)"
				  " SELECT cti, exp FROM codes WHERE resident_id = ?1 AND exp >= ?2"
				  " ON CONFLICT DO NOTHING");
	uint64_t k = 0;
	int rc;

	if (n != NULL)
		*n = 0;
	if (st == NULL)
		return AK_EDB;
	if (!fits(now))
		return AK_EINVAL;
	if (!fits(resident_id))
		return 0;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK ||
	    bind_u64(st, 2, live_since(now)) != SQLITE_OK)
		return unbound(st);
	rc = step_changes(st, &k);
	if (n != NULL)
		*n = k;
	return rc;
}

int store_revoked(store *s, const uint8_t cti[CRED_CTI_BYTES])
{
	store_q *st = store_q_get(s, SQ_REVOKED, "SELECT 1 FROM revocations WHERE cti = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, cti, CRED_CTI_BYTES) != SQLITE_OK)
		return unbound(st);
	return step_exists(st);
}

int store_revocations(store *s, uint64_t since, store_cti_fn fn, void *ctx)
{
	/* The primary key of a WITHOUT ROWID table is its order: memcmp. */
	store_q *st = store_q_get(s, SQ_REVOCATIONS,
				  "SELECT cti FROM revocations WHERE exp >= ?1 ORDER BY cti");
	uint8_t cti[CRED_CTI_BYTES];
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(since))
		return 0;
	if (bind_u64(st, 1, since) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = col_fixed(st, 0, cti, sizeof cti)) != 0 || (rc = fn(ctx, cti)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

struct purge_args {
	uint64_t codes_before, revocations_before, n;
};

static int purge_steps(store *s, void *ctx)
{
	struct purge_args *p = ctx;
	const struct {
		unsigned slot;
		const char *sql;
		uint64_t before;
	} steps[] = {
	    {SQ_CODES_PURGE, "DELETE FROM codes WHERE exp < ?1", p->codes_before},
	    {SQ_REVOCATIONS_PURGE, "DELETE FROM revocations WHERE exp < ?1", p->revocations_before},
	};
	uint64_t k;
	int rc;

	for (size_t i = 0; i < AK_ARRAY_LEN(steps); i++) {
		store_q *st = store_q_get(s, steps[i].slot, steps[i].sql);
		if (st == NULL)
			return AK_EDB;
		if (bind_u64(st, 1, steps[i].before) != SQLITE_OK)
			return unbound(st);
		if ((rc = step_changes(st, &k)) != 0)
			return rc;
		p->n += k;
	}
	return 0;
}

int store_codes_purge(store *s, uint64_t codes_before, uint64_t revocations_before, uint64_t *n)
{
	struct purge_args p = {codes_before, revocations_before, 0};
	int rc;

	if (n != NULL)
		*n = 0;
	if (!fits(codes_before) || !fits(revocations_before))
		return AK_EINVAL;
	if ((rc = atomically(s, purge_steps, &p)) == 0 && n != NULL)
		*n = p.n;
	return rc;
}

/* ---------------------------------------------------------------- scans */

int store_scan_add(store *s, const struct store_scan *sc, uint64_t now)
{
	store_q *st =
	    store_q_get(s, SQ_SCAN_ADD,
			"INSERT INTO scans (scan_id, verifier_id, cti, time, result, uploaded)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (!fits(sc->verifier_id) || !fits(sc->time) || !fits(now) || sc->result < CRED_VALID ||
	    sc->result >= CRED_RESULT_COUNT)
		return AK_EINVAL;
	bad |= store_q_bind_blob(st, 1, sc->scan_id, sizeof sc->scan_id);
	bad |= bind_u64(st, 2, sc->verifier_id);
	if (sc->has_cti)
		bad |= store_q_bind_blob(st, 3, sc->cti, CRED_CTI_BYTES);
	else
		bad |= store_q_bind_null(st, 3);
	bad |= bind_u64(st, 4, sc->time);
	bad |= store_q_bind_text(st, 5, cred_result_word((enum cred_result)sc->result), -1);
	bad |= bind_u64(st, 6, now);
	if (bad)
		return unbound(st);
	return step_done(st);
}

/* Added with POST /v1/scans (see store_people.h). */
int store_scan_known(store *s, const uint8_t scan_id[16])
{
	store_q *st = store_q_get(s, SQ_SCAN_KNOWN, "SELECT 1 FROM scans WHERE scan_id = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, scan_id, 16) != SQLITE_OK)
		return unbound(st);
	return step_exists(st);
}

/* ------------------------------------------------------------ KEK check */

int store_kek_check_get(store *s, uint8_t out[32])
{
	store_q *st = store_q_get(s, SQ_KEK_CHECK_GET, "SELECT value FROM kek_check WHERE one = 1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if ((rc = step_row(st)) == 0)
		rc = col_fixed(st, 0, out, 32);
	finish(st);
	return rc;
}

int store_kek_check_put(store *s, const uint8_t value[32])
{
	store_q *st =
	    store_q_get(s, SQ_KEK_CHECK_PUT, "INSERT INTO kek_check (one, value) VALUES (1, ?1)");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, value, 32) != SQLITE_OK)
		return unbound(st);
	return step_done(st);
}

/* -------------------------------------------------------------- appeals */

/* An appeal's row, with its resident's handle, status and erasure, and
 * the team of the officer who set the status appealed, in the column
 * order every appeal query uses. */
#define APPEAL_COLUMNS                                                                             \
	"p.id, p.handle, p.resident_id, p.reason, p.text_sealed, p.status, p.status_officer,"      \
	" p.opened, p.due, p.answered, p.decision, p.answer_reason, p.officer_id, r.handle,"       \
	" r.status, r.erased, t.team"
#define APPEAL_FROM                                                                                \
	" FROM appeals p JOIN residents r ON r.id = p.resident_id"                                 \
	" LEFT JOIN accounts t ON t.id = p.status_officer"

static const char *const decision_words[] = {
    [STORE_APPEAL_UPHELD] = "upheld", [STORE_APPEAL_REJECTED] = "rejected"};

/* A nullable account id column: LEAF_NO_ID for NULL. */
static int col_account(store_q *st, int col, uint64_t *out)
{
	*out = LEAF_NO_ID;
	return store_q_type(st, col) == SQLITE_NULL ? 0 : col_u64(st, col, out);
}

/* A closed-list word column as its DET_* value, or AK_ECORRUPT. */
static int col_detail(store_q *st, int col, enum leaf_detail *out)
{
	const unsigned char *w = store_q_text(st, col);
	int d = w != NULL ? leaf_detail_parse((const char *)w, (size_t)store_q_bytes(st, col)) : -1;

	if (d <= DET_EMPTY)
		return AK_ECORRUPT;
	*out = (enum leaf_detail)d;
	return 0;
}

/* Fills out from a row of APPEAL_COLUMNS. */
static int read_appeal(store_q *st, struct store_appeal *out)
{
	int64_t status = store_q_int64(st, 5), now = store_q_int64(st, 14);
	const unsigned char *w;
	int rc, n;

	memset(out, 0, sizeof *out);
	if ((rc = col_u64(st, 0, &out->id)) != 0 ||
	    (rc = col_fixed(st, 1, out->handle, sizeof out->handle)) != 0 ||
	    (rc = col_u64(st, 2, &out->resident_id)) != 0 ||
	    (rc = col_detail(st, 3, &out->reason)) != 0 ||
	    (rc = col_account(st, 6, &out->status_officer)) != 0 ||
	    (rc = col_u64(st, 7, &out->opened)) != 0 || (rc = col_u64(st, 8, &out->due)) != 0 ||
	    (rc = col_fixed(st, 13, out->resident_handle, sizeof out->resident_handle)) != 0)
		return rc;
	if (status < CRED_GREEN || status > CRED_RED || now < CRED_GREEN || now > CRED_RED)
		return AK_ECORRUPT;
	out->status = (int)status;
	out->resident_status = (int)now;
	out->resident_erased = store_q_type(st, 15) != SQLITE_NULL;
	if (store_q_type(st, 4) != SQLITE_NULL) {
		if ((rc = col_fixed(st, 4, out->text, sizeof out->text)) != 0)
			return rc;
		out->has_text = 1;
	}
	out->officer_id = LEAF_NO_ID;
	out->answer_reason = DET_NONE;
	if (store_q_type(st, 9) != SQLITE_NULL) {
		w = store_q_text(st, 10);
		n = store_q_bytes(st, 10);
		if ((rc = col_u64(st, 9, &out->answered)) != 0 ||
		    (rc = col_detail(st, 11, &out->answer_reason)) != 0 ||
		    (rc = col_u64(st, 12, &out->officer_id)) != 0)
			return rc;
		if (w != NULL && (size_t)n == strlen("upheld") && memcmp(w, "upheld", 6) == 0)
			out->decision = STORE_APPEAL_UPHELD;
		else if (w != NULL && (size_t)n == strlen("rejected") &&
			 memcmp(w, "rejected", 8) == 0)
			out->decision = STORE_APPEAL_REJECTED;
		else
			return AK_ECORRUPT;
	}
	if (store_q_type(st, 16) != SQLITE_NULL) {
		w = store_q_text(st, 16);
		n = store_q_bytes(st, 16);
		if (w == NULL || n < 1 || n > STORE_ACCOUNT_NAME_MAX ||
		    memchr(w, '\0', (size_t)n) != NULL)
			return AK_ECORRUPT;
		memcpy(out->team, w, (size_t)n);
	}
	return 0;
}

/* Steps a query of APPEAL_COLUMNS, calling fn for each row. */
static int each_appeal(store_q *st, store_appeal_fn fn, void *ctx)
{
	struct store_appeal *a = malloc(sizeof *a);
	int rc;

	if (a == NULL) {
		finish(st);
		return AK_ENOMEM;
	}
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = read_appeal(st, a)) != 0 || (rc = fn(ctx, a)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	sodium_memzero(a, sizeof *a);
	free(a);
	return rc;
}

int store_appeal_add(store *s, const struct store_appeal *a, uint64_t *id)
{
	/* The status appealed and the account that set it are read here, in
	 * the writer's transaction, so they are the ones the appeal's leaf
	 * follows. */
	store_q *st = store_q_get(
	    s, SQ_APPEAL_ADD,
	    "INSERT INTO appeals (handle, resident_id, reason, text_sealed, status, status_officer,"
	    " opened, due)"
	    " SELECT ?2, r.id, ?3, ?4, r.status,"
	    " (SELECT h.officer_id FROM status_history h WHERE h.resident_id = r.id"
	    " ORDER BY h.time DESC, h.id DESC LIMIT 1), ?5, ?6"
	    " FROM residents r WHERE r.id = ?1 AND r.erased IS NULL RETURNING id");
	const char *reason = leaf_detail_word((int)a->reason);
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if (reason == NULL || !a->has_text || !fits(a->opened) || !fits(a->due) ||
	    a->due < a->opened)
		return AK_EINVAL;
	if (!fits(a->resident_id))
		return AK_ENOENT;
	bad |= bind_u64(st, 1, a->resident_id);
	bad |= store_q_bind_blob(st, 2, a->handle, sizeof a->handle);
	bad |= store_q_bind_text(st, 3, reason, -1);
	bad |= store_q_bind_blob(st, 4, a->text, sizeof a->text);
	bad |= bind_u64(st, 5, a->opened);
	bad |= bind_u64(st, 6, a->due);
	if (bad)
		return unbound(st);
	return inserted_id(st, id);
}

int store_appeal_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES],
			   struct store_appeal *out)
{
	store_q *st = store_q_get(s, SQ_APPEAL_BY_HANDLE,
				  "SELECT " APPEAL_COLUMNS APPEAL_FROM " WHERE p.handle = ?1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, handle, STORE_HANDLE_BYTES) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0)
		rc = read_appeal(st, out);
	finish(st);
	return rc;
}

int store_appeal_open_of(store *s, uint64_t resident_id)
{
	store_q *st = store_q_get(s, SQ_APPEAL_OPEN_OF,
				  "SELECT 1 FROM appeals WHERE resident_id = ?1"
				  " AND answered IS NULL");

	if (st == NULL)
		return AK_EDB;
	if (!fits(resident_id))
		return 0;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK)
		return unbound(st);
	return step_exists(st);
}

int store_appeal_answer(store *s, uint64_t id, uint64_t now, enum store_appeal_decision decision,
			enum leaf_detail reason, uint64_t officer_id)
{
	store_q *st = store_q_get(s, SQ_APPEAL_ANSWER,
				  "UPDATE appeals SET answered = ?2, decision = ?3,"
				  " answer_reason = ?4, officer_id = ?5"
				  " WHERE id = ?1 AND answered IS NULL");
	const char *w = leaf_detail_word((int)reason);
	int bad = 0;

	if (st == NULL)
		return AK_EDB;
	if ((decision != STORE_APPEAL_UPHELD && decision != STORE_APPEAL_REJECTED) || w == NULL ||
	    !fits(now) || !fits(officer_id))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	bad |= bind_u64(st, 1, id);
	bad |= bind_u64(st, 2, now);
	bad |= store_q_bind_text(st, 3, decision_words[decision], -1);
	bad |= store_q_bind_text(st, 4, w, -1);
	bad |= bind_u64(st, 5, officer_id);
	if (bad)
		return unbound(st);
	/* A CHECK failing here is a reason that is not the decision's. */
	return step_one_change(st);
}

int store_appeals_of(store *s, uint64_t resident_id, store_appeal_fn fn, void *ctx)
{
	store_q *st = store_q_get(s, SQ_APPEALS_OF,
				  "SELECT " APPEAL_COLUMNS APPEAL_FROM
				  " WHERE p.resident_id = ?1 ORDER BY p.opened DESC, p.id DESC");

	if (st == NULL)
		return AK_EDB;
	if (!fits(resident_id))
		return 0;
	if (bind_u64(st, 1, resident_id) != SQLITE_OK)
		return unbound(st);
	return each_appeal(st, fn, ctx);
}

int store_appeals_list(store *s, enum store_appeal_state which, size_t limit, store_appeal_fn fn,
		       void *ctx)
{
	static const char *const sql[] = {
	    [STORE_APPEALS_OPEN] = "SELECT " APPEAL_COLUMNS APPEAL_FROM
				   " WHERE p.answered IS NULL AND r.erased IS NULL"
				   " ORDER BY p.opened, p.id LIMIT ?1",
	    [STORE_APPEALS_ANSWERED] = "SELECT " APPEAL_COLUMNS APPEAL_FROM
				       " WHERE p.answered IS NOT NULL AND r.erased IS NULL"
				       " ORDER BY p.opened, p.id LIMIT ?1",
	    [STORE_APPEALS_ALL] = "SELECT " APPEAL_COLUMNS APPEAL_FROM " WHERE r.erased IS NULL"
				  " ORDER BY p.opened, p.id LIMIT ?1",
	};
	static const unsigned slot[] = {[STORE_APPEALS_OPEN] = SQ_APPEALS_OPEN,
					[STORE_APPEALS_ANSWERED] = SQ_APPEALS_ANSWERED,
					[STORE_APPEALS_ALL] = SQ_APPEALS_ALL};
	store_q *st;

	if (which < STORE_APPEALS_OPEN || which > STORE_APPEALS_ALL)
		return AK_EINVAL;
	if ((st = store_q_get(s, slot[which], sql[which])) == NULL)
		return AK_EDB;
	if (store_q_bind_int64(
		st, 1, limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit) != SQLITE_OK)
		return unbound(st);
	return each_appeal(st, fn, ctx);
}

int store_appeals_overdue(store *s, uint64_t now, store_appeal_fn fn, void *ctx)
{
	store_q *st = store_q_get(s, SQ_APPEALS_OVERDUE,
				  "SELECT " APPEAL_COLUMNS APPEAL_FROM
				  " WHERE p.answered IS NULL AND r.erased IS NULL AND p.due < ?1"
				  " ORDER BY p.opened, p.id");

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, fits(now) ? now : (uint64_t)INT64_MAX) != SQLITE_OK)
		return unbound(st);
	return each_appeal(st, fn, ctx);
}

/* ------------------------------------------------------ household links */

#define LINK_COLUMNS                                                                               \
	"id, handle, guardian_id, member_id, relation, state, requested, confirmed, consent,"      \
	" officer_id"

static const char *const consent_words[] = {
    [STORE_CONSENT_NONE] = NULL,
    [STORE_CONSENT_MINOR] = "minor",
    [STORE_CONSENT_SELF] = "self",
    [STORE_CONSENT_OFFICER] = "officer",
};

const char *store_consent_word(enum store_consent c)
{
	return c > STORE_CONSENT_NONE && c < STORE_CONSENT_COUNT ? consent_words[c] : NULL;
}

static int relation_valid(enum leaf_detail r)
{
	return r == DET_CHILD || r == DET_PARENT || r == DET_SPOUSE || r == DET_OTHER;
}

/* A text column holding one of n words of table (index 1 up), or -1. */
static int col_word(store_q *st, int col, const char *const *table, int n)
{
	const unsigned char *t = store_q_text(st, col);

	if (store_q_type(st, col) != SQLITE_TEXT || t == NULL)
		return -1;
	for (int i = 1; i < n; i++)
		if (strcmp((const char *)t, table[i]) == 0)
			return i;
	return -1;
}

static int read_link(store_q *st, struct store_link *out)
{
	const unsigned char *w;
	int rc, v;

	memset(out, 0, sizeof *out);
	if ((rc = col_u64(st, 0, &out->id)) != 0 ||
	    (rc = col_fixed(st, 1, out->handle, sizeof out->handle)) != 0 ||
	    (rc = col_u64(st, 2, &out->guardian_id)) != 0 ||
	    (rc = col_u64(st, 3, &out->member_id)) != 0 ||
	    (rc = col_u64(st, 6, &out->requested)) != 0)
		return rc;
	w = store_q_text(st, 4);
	if (w == NULL || (v = leaf_detail_parse((const char *)w, strlen((const char *)w))) < 0 ||
	    !relation_valid((enum leaf_detail)v))
		return AK_ECORRUPT;
	out->relation = (enum leaf_detail)v;
	w = store_q_text(st, 5);
	if (w == NULL)
		return AK_ECORRUPT;
	out->active = strcmp((const char *)w, "active") == 0;
	out->officer_id = LEAF_NO_ID;
	if (out->active) {
		if ((rc = col_u64(st, 7, &out->confirmed)) != 0)
			return rc;
		if ((v = col_word(st, 8, consent_words, STORE_CONSENT_COUNT)) < 0)
			return AK_ECORRUPT;
		out->consent = (enum store_consent)v;
		if (out->consent == STORE_CONSENT_OFFICER &&
		    (rc = col_u64(st, 9, &out->officer_id)) != 0)
			return rc;
	}
	return 0;
}

int store_link_add(store *s, const struct store_link *l)
{
	store_q *st = store_q_get(
	    s, SQ_LINK_ADD,
	    "INSERT INTO household_links (handle, guardian_id, member_id, relation, state,"
	    " requested, confirmed, consent)"
	    " SELECT ?1, g.id, m.id, ?4, ?5, ?6, ?7, ?8 FROM residents g, residents m"
	    " WHERE g.id = ?2 AND g.erased IS NULL AND m.id = ?3 AND m.erased IS NULL");
	uint64_t n;
	int bad = 0, rc;

	if (st == NULL)
		return AK_EDB;
	if (!relation_valid(l->relation) || !fits(l->requested) || l->guardian_id == l->member_id ||
	    (l->active && l->consent != STORE_CONSENT_MINOR && l->consent != STORE_CONSENT_SELF) ||
	    (!l->active && l->consent != STORE_CONSENT_NONE))
		return AK_EINVAL;
	if (!fits(l->guardian_id) || !fits(l->member_id))
		return AK_ENOENT;
	bad |= store_q_bind_blob(st, 1, l->handle, STORE_HANDLE_BYTES);
	bad |= bind_u64(st, 2, l->guardian_id);
	bad |= bind_u64(st, 3, l->member_id);
	bad |= store_q_bind_text(st, 4, leaf_detail_word(l->relation), -1);
	bad |= store_q_bind_text(st, 5, l->active ? "active" : "pending", -1);
	bad |= bind_u64(st, 6, l->requested);
	if (l->active) {
		bad |= bind_u64(st, 7, l->requested);
		bad |= store_q_bind_text(st, 8, consent_words[l->consent], -1);
	} else {
		bad |= store_q_bind_null(st, 7);
		bad |= store_q_bind_null(st, 8);
	}
	if (bad)
		return unbound(st);
	if ((rc = step_changes(st, &n)) != 0)
		return rc;
	return n == 1 ? 0 : AK_ENOENT;
}

int store_link_by_handle(store *s, const uint8_t handle[STORE_HANDLE_BYTES], struct store_link *out)
{
	store_q *st = store_q_get(s, SQ_LINK_BY_HANDLE,
				  "SELECT " LINK_COLUMNS " FROM household_links WHERE handle = ?1");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_blob(st, 1, handle, STORE_HANDLE_BYTES) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0)
		rc = read_link(st, out);
	finish(st);
	return rc;
}

/* Every row of a link query whose ?1 is bound to key (and ?2 to limit,
 * when limit is not 0), to fn. */
static int links_walk(store_q *st, uint64_t key, size_t limit, store_link_fn fn, void *ctx)
{
	struct store_link l;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (!fits(key))
		return 0;
	if (bind_u64(st, 1, key) != SQLITE_OK ||
	    (limit > 0 && bind_u64(st, 2, (uint64_t)limit) != SQLITE_OK))
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		if ((rc = read_link(st, &l)) != 0 || (rc = fn(ctx, &l)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(rc);
out:
	finish(st);
	return rc;
}

int store_links_of_guardian(store *s, uint64_t guardian_id, store_link_fn fn, void *ctx)
{
	return links_walk(store_q_get(s, SQ_LINKS_OF_GUARDIAN,
				      "SELECT " LINK_COLUMNS " FROM household_links"
				      " WHERE guardian_id = ?1 ORDER BY requested, id"),
			  guardian_id, 0, fn, ctx);
}

int store_links_of_member(store *s, uint64_t member_id, store_link_fn fn, void *ctx)
{
	return links_walk(store_q_get(s, SQ_LINKS_OF_MEMBER,
				      "SELECT " LINK_COLUMNS " FROM household_links"
				      " WHERE member_id = ?1 ORDER BY requested, id"),
			  member_id, 0, fn, ctx);
}

int store_links_pending(store *s, size_t limit, store_link_fn fn, void *ctx)
{
	/* ?1 is a dummy key so that links_walk binds ?2 alike. */
	if (limit == 0)
		return AK_EINVAL;
	return links_walk(store_q_get(s, SQ_LINKS_PENDING,
				      "SELECT " LINK_COLUMNS " FROM household_links"
				      " WHERE state = 'pending' AND ?1 = 1"
				      " ORDER BY requested, id LIMIT ?2"),
			  1, limit, fn, ctx);
}

int store_link_confirm(store *s, uint64_t id, uint64_t now, uint64_t officer_id)
{
	store_q *st = store_q_get(s, SQ_LINK_CONFIRM,
				  "UPDATE household_links SET state = 'active', confirmed = ?2,"
				  " consent = 'officer', officer_id = ?3"
				  " WHERE id = ?1 AND state = 'pending' AND requested <= ?2");

	if (st == NULL)
		return AK_EDB;
	if (!fits(now) || !fits(officer_id))
		return AK_EINVAL;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK || bind_u64(st, 2, now) != SQLITE_OK ||
	    bind_u64(st, 3, officer_id) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_link_delete(store *s, uint64_t id)
{
	store_q *st = store_q_get(s, SQ_LINK_DELETE, "DELETE FROM household_links WHERE id = ?1");

	if (st == NULL)
		return AK_EDB;
	if (!fits(id))
		return AK_ENOENT;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	return step_one_change(st);
}

int store_links_count(store *s, uint64_t guardian_id, uint64_t *n)
{
	store_q *st = store_q_get(s, SQ_LINKS_COUNT,
				  "SELECT count(*) FROM household_links WHERE guardian_id = ?1");
	int rc;

	*n = 0;
	if (st == NULL)
		return AK_EDB;
	if (!fits(guardian_id))
		return 0;
	if (bind_u64(st, 1, guardian_id) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_row(st)) == 0)
		rc = col_u64(st, 0, n);
	finish(st);
	return rc;
}
