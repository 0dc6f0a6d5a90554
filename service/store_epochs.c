/*
 * store_epochs: the epoch tables' statements (contract in
 * store_epochs.h, schema in schema/pg/006_epochs.sql), through store_q
 * in the connection's last slots. PostgreSQL only: the tables exist
 * there alone, and store_epochs_* is called only on a PostgreSQL store.
 *
 * Never: build SQL from input, or write anything here that opens an
 * epoch with a key that lives on.
 */
#include "service/store_epochs.h"

#include <string.h>

#include "common/util.h"
#include "log/store_int.h"

enum {
	SQ_EP_STATE = STORE_STMT_SLOTS - STORE_SLOTS_EPOCHS,
	SQ_EP_LIST,
	SQ_EP_ADD,
	SQ_EP_HELD,
	SQ_EP_ORPHAN,
	SQ_EP_FLOOR,
	SQ_EP_FLOOR_DROP,
	SQ_EP_ASK,
	SQ_EP_NODE_SEEN,
	SQ_EP_NODE_LEAVE,
	SQ_EP_NODES,
	SQ_EP_NODES_PURGE,
	SQ_EP_REQ_ADD,
	SQ_EP_REQ_ANSWER,
	SQ_EP_REQ_DELETE,
	SQ_EP_REQ_OPEN,
	SQ_EP_REQ_PUT,
	SQ_EP_REQ_PURGE,
	SQ_EP_LOCK,
	SQ_EP_END
};
_Static_assert(SQ_EP_END <= STORE_STMT_SLOTS, "store_int.h has room for these statements");

/* ------------------------------------------------------------ helpers */

static int q_err(int rc)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return AK_ECONFLICT;
	return AK_EDB;
}

static int fits(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX;
}

static int bind_u64(store_q *st, int i, uint64_t v)
{
	return fits(v) ? store_q_bind_int64(st, i, (int64_t)v) : SQLITE_RANGE;
}

/* Steps a statement that returns no rows; *changes (may be NULL) gets
 * how many rows it changed. Finishes it. */
static int step_changes(store_q *st, uint64_t *changes)
{
	int rc = store_q_step(st);

	if (changes != NULL)
		*changes = rc == SQLITE_DONE ? store_q_changes(st) : 0;
	store_q_finish(st);
	return rc == SQLITE_DONE ? 0 : q_err(rc);
}

static int unbound(store_q *st)
{
	store_q_finish(st);
	return AK_EDB;
}

static int col_u64(store_q *st, int col, uint64_t *out)
{
	int64_t v;

	if (store_q_type(st, col) != SQLITE_INTEGER || (v = store_q_int64(st, col)) < 0)
		return AK_ECORRUPT;
	*out = (uint64_t)v;
	return 0;
}

static int col_fixed(store_q *st, int col, uint8_t *out, size_t n)
{
	const void *p = store_q_blob(st, col);

	if (store_q_type(st, col) != SQLITE_BLOB || (size_t)store_q_bytes(st, col) != n ||
	    p == NULL)
		return AK_ECORRUPT;
	memcpy(out, p, n);
	return 0;
}

/* ------------------------------------------------------------- epochs */

int store_epochs_state(store *s, uint64_t *floor, int *rotate_asked)
{
	store_q *st = store_q_get(s, SQ_EP_STATE,
				  "SELECT floor, CASE WHEN rotate_asked THEN 1 ELSE 0 END"
				  " FROM epoch_state WHERE one");
	uint64_t asked = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	rc = store_q_step(st);
	if (rc == SQLITE_ROW)
		rc = col_u64(st, 0, floor) != 0 || col_u64(st, 1, &asked) != 0 ? AK_ECORRUPT : 0;
	else
		rc = rc == SQLITE_DONE ? AK_ECORRUPT : q_err(rc);
	*rotate_asked = asked != 0;
	store_q_finish(st);
	return rc;
}

int store_epochs_list(store *s, struct store_epoch *out, size_t cap, size_t *n)
{
	store_q *st = store_q_get(
	    s, SQ_EP_LIST,
	    "SELECT number, created, check_value, CASE WHEN state = 'held' THEN 1 ELSE 0"
	    " END FROM epochs ORDER BY number LIMIT ?1");
	uint64_t held;
	int rc;

	*n = 0;
	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, cap) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		struct store_epoch *e = &out[*n];
		if (*n == cap || col_u64(st, 0, &e->number) != 0 ||
		    col_u64(st, 1, &e->created) != 0 ||
		    col_fixed(st, 2, e->check, sizeof e->check) != 0 ||
		    col_u64(st, 3, &held) != 0) {
			store_q_finish(st);
			return AK_ECORRUPT;
		}
		e->held = held != 0;
		(*n)++;
	}
	store_q_finish(st);
	return rc == SQLITE_DONE ? 0 : q_err(rc);
}

int store_epochs_add(store *s, const struct store_epoch *e, uint64_t after)
{
	store_q *st = store_q_get(s, SQ_EP_ADD,
				  "INSERT INTO epochs (number, created, check_value, state)"
				  " SELECT ?1, ?2, ?3, CASE WHEN ?4 = 1 THEN 'held' ELSE 'made' END"
				  " WHERE (SELECT coalesce(max(number), 0) FROM epochs) = ?5");
	uint64_t n = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, e->number) != SQLITE_OK || bind_u64(st, 2, e->created) != SQLITE_OK ||
	    store_q_bind_blob(st, 3, e->check, sizeof e->check) != SQLITE_OK ||
	    store_q_bind_int64(st, 4, e->held ? 1 : 0) != SQLITE_OK ||
	    bind_u64(st, 5, after) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_changes(st, &n)) != 0)
		return rc;
	return n == 1 ? 0 : AK_ECONFLICT;
}

int store_epochs_set_held(store *s, uint64_t number)
{
	store_q *st = store_q_get(
	    s, SQ_EP_HELD, "UPDATE epochs SET state = 'held' WHERE number = ?1 AND state = 'made'");
	uint64_t n = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, number) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_changes(st, &n)) != 0)
		return rc;
	return n == 1 ? 0 : AK_ENOENT;
}

int store_epochs_drop_orphan(store *s, uint64_t number)
{
	store_q *st = store_q_get(s, SQ_EP_ORPHAN,
				  "DELETE FROM epochs WHERE number = ?1 AND state = 'made' AND NOT"
				  " EXISTS (SELECT 1 FROM epoch_nodes WHERE newest >= ?1)");
	uint64_t n = 0;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, number) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_changes(st, &n)) != 0)
		return rc;
	return n == 1 ? 0 : AK_ENOENT;
}

int store_epochs_floor(store *s, uint64_t floor)
{
	store_q *st = store_q_get(s, SQ_EP_FLOOR,
				  "UPDATE epoch_state SET floor = ?1 WHERE one AND floor < ?1");
	store_q *dr;
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, floor) != SQLITE_OK)
		return unbound(st);
	if ((rc = step_changes(st, NULL)) != 0)
		return rc;
	if ((dr = store_q_get(s, SQ_EP_FLOOR_DROP, "DELETE FROM epochs WHERE number < ?1")) == NULL)
		return AK_EDB;
	if (bind_u64(dr, 1, floor) != SQLITE_OK)
		return unbound(dr);
	return step_changes(dr, NULL);
}

int store_epochs_ask(store *s, int asked)
{
	store_q *st =
	    store_q_get(s, SQ_EP_ASK, "UPDATE epoch_state SET rotate_asked = (?1 = 1) WHERE one");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_int64(st, 1, asked ? 1 : 0) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

/* -------------------------------------------------------------- nodes */

int store_epochs_node_seen(store *s, const char *node, uint64_t newest, uint64_t now_ms)
{
	store_q *st = store_q_get(s, SQ_EP_NODE_SEEN,
				  "INSERT INTO epoch_nodes (node, newest, seen) VALUES (?1, ?2, ?3)"
				  " ON CONFLICT (node) DO UPDATE SET newest = excluded.newest,"
				  " seen = excluded.seen");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_text(st, 1, node, -1) != SQLITE_OK ||
	    bind_u64(st, 2, newest) != SQLITE_OK || bind_u64(st, 3, now_ms) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

int store_epochs_node_leave(store *s, const char *node)
{
	store_q *st = store_q_get(s, SQ_EP_NODE_LEAVE, "DELETE FROM epoch_nodes WHERE node = ?1");

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_text(st, 1, node, -1) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

int store_epochs_nodes_purge(store *s, uint64_t before_ms, uint64_t *removed)
{
	store_q *st = store_q_get(s, SQ_EP_NODES_PURGE, "DELETE FROM epoch_nodes WHERE seen < ?1");

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, before_ms) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, removed);
}

int store_epochs_nodes(store *s, uint64_t number, uint64_t since_ms, uint64_t *lagging,
		       uint64_t *stale)
{
	store_q *st =
	    store_q_get(s, SQ_EP_NODES,
			"SELECT (SELECT count(*) FROM epoch_nodes WHERE seen >= ?2 AND"
			" newest < ?1), (SELECT count(*) FROM epoch_nodes WHERE seen < ?2)");
	int rc;

	*lagging = *stale = 0;
	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, number) != SQLITE_OK || bind_u64(st, 2, since_ms) != SQLITE_OK)
		return unbound(st);
	rc = store_q_step(st);
	if (rc == SQLITE_ROW)
		rc = col_u64(st, 0, lagging) != 0 || col_u64(st, 1, stale) != 0 ? AK_ECORRUPT : 0;
	else
		rc = rc == SQLITE_DONE ? AK_ECORRUPT : q_err(rc);
	store_q_finish(st);
	return rc;
}

/* ----------------------------------------------------------- requests */

int store_epochs_request_add(store *s, const char *node, uint64_t number, uint64_t made,
			     const uint8_t req[STORE_EPOCH_REQ_BYTES], uint64_t *id)
{
	store_q *st = store_q_get(s, SQ_EP_REQ_ADD,
				  "INSERT INTO epoch_requests (node, number, made, request)"
				  " VALUES (?1, ?2, ?3, ?4) RETURNING id");
	int rc;

	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_text(st, 1, node, -1) != SQLITE_OK ||
	    bind_u64(st, 2, number) != SQLITE_OK || bind_u64(st, 3, made) != SQLITE_OK ||
	    store_q_bind_blob(st, 4, req, STORE_EPOCH_REQ_BYTES) != SQLITE_OK)
		return unbound(st);
	rc = store_q_step(st);
	if (rc == SQLITE_ROW)
		rc = col_u64(st, 0, id);
	else
		rc = rc == SQLITE_DONE ? AK_EDB : q_err(rc);
	store_q_finish(st);
	return rc;
}

int store_epochs_request_answer(store *s, uint64_t id, int *answered,
				uint8_t out[STORE_EPOCH_ANSWER_BYTES])
{
	store_q *st =
	    store_q_get(s, SQ_EP_REQ_ANSWER, "SELECT answer FROM epoch_requests WHERE id = ?1");
	int rc;

	*answered = 0;
	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	rc = store_q_step(st);
	if (rc == SQLITE_ROW) {
		rc = 0;
		if (store_q_type(st, 0) != SQLITE_NULL) {
			rc = col_fixed(st, 0, out, STORE_EPOCH_ANSWER_BYTES);
			*answered = rc == 0;
		}
	} else {
		rc = rc == SQLITE_DONE ? AK_ENOENT : q_err(rc);
	}
	store_q_finish(st);
	return rc;
}

int store_epochs_request_delete(store *s, uint64_t id)
{
	store_q *st = store_q_get(s, SQ_EP_REQ_DELETE, "DELETE FROM epoch_requests WHERE id = ?1");

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, id) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

int store_epochs_requests_open(store *s, struct store_epoch_request *out, size_t cap, size_t *n)
{
	store_q *st = store_q_get(s, SQ_EP_REQ_OPEN,
				  "SELECT id, number, made, node, request FROM epoch_requests"
				  " WHERE answer IS NULL ORDER BY id LIMIT ?1");
	int rc;

	*n = 0;
	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, cap) != SQLITE_OK)
		return unbound(st);
	while ((rc = store_q_step(st)) == SQLITE_ROW) {
		struct store_epoch_request *r = &out[*n];
		const unsigned char *node = store_q_text(st, 3);
		int len = store_q_bytes(st, 3);
		if (*n == cap || col_u64(st, 0, &r->id) != 0 || col_u64(st, 1, &r->number) != 0 ||
		    col_u64(st, 2, &r->made) != 0 || node == NULL || len <= 0 ||
		    len > STORE_EPOCH_NODE_MAX || col_fixed(st, 4, r->req, sizeof r->req) != 0) {
			store_q_finish(st);
			return AK_ECORRUPT;
		}
		memcpy(r->node, node, (size_t)len);
		r->node[len] = '\0';
		(*n)++;
	}
	store_q_finish(st);
	return rc == SQLITE_DONE ? 0 : q_err(rc);
}

int store_epochs_request_put(store *s, uint64_t id, const uint8_t answer[STORE_EPOCH_ANSWER_BYTES])
{
	store_q *st =
	    store_q_get(s, SQ_EP_REQ_PUT,
			"UPDATE epoch_requests SET answer = ?2 WHERE id = ?1 AND answer IS NULL");

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, id) != SQLITE_OK ||
	    store_q_bind_blob(st, 2, answer, STORE_EPOCH_ANSWER_BYTES) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

int store_epochs_requests_purge(store *s, uint64_t before_ms)
{
	store_q *st = store_q_get(s, SQ_EP_REQ_PURGE, "DELETE FROM epoch_requests WHERE made < ?1");

	if (st == NULL)
		return AK_EDB;
	if (bind_u64(st, 1, before_ms) != SQLITE_OK)
		return unbound(st);
	return step_changes(st, NULL);
}

/* --------------------------------------------------------------- lock */

int store_epochs_lock_try(store *s, uint32_t k1, uint32_t k2, int *held)
{
	store_q *st = store_q_get(
	    s, SQ_EP_LOCK,
	    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
	    " AND pid = pg_backend_pid() AND granted AND objsubid = 2 AND classid = ?1"
	    " AND objid = ?2) THEN 1 WHEN pg_try_advisory_lock(?3, ?4) THEN 1 ELSE 0 END");
	uint64_t v = 0;
	int rc;

	*held = 0;
	if (st == NULL)
		return AK_EDB;
	if (store_q_bind_int64(st, 1, k1 & 0x7fffffff) != SQLITE_OK ||
	    store_q_bind_int64(st, 2, k2 & 0x7fffffff) != SQLITE_OK ||
	    store_q_bind_int64(st, 3, k1 & 0x7fffffff) != SQLITE_OK ||
	    store_q_bind_int64(st, 4, k2 & 0x7fffffff) != SQLITE_OK)
		return unbound(st);
	rc = store_q_step(st);
	if (rc == SQLITE_ROW)
		rc = col_u64(st, 0, &v);
	else
		rc = rc == SQLITE_DONE ? AK_EDB : q_err(rc);
	*held = rc == 0 && v == 1;
	store_q_finish(st);
	return rc;
}
