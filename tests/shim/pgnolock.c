/*
 * pgnolock: an LD_PRELOAD shim that makes an ankangd believe it always
 * holds the log's leader lock on PostgreSQL, for
 * tests/sh/pg_split_brain.sh. Test build only: never installed.
 *
 * The leader's statement (log/store_pg_log.c, store_pg_log_leader_try)
 * is the one prepared statement that calls pg_try_advisory_lock; this
 * shim prepares, in its place, one that answers true without asking the
 * server for anything. So two nodes run with it both sign, and what
 * keeps their checkpoints from diverging is the compare-and-swap on
 * log_signer alone (docs/MULTINODE.md, "One checkpoint signer"). Every
 * other statement goes to libpq as it is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <libpq-fe.h>

typedef PGresult *(*prepare_fn)(PGconn *, const char *, const char *, int, const Oid *);

PGresult *PQprepare(PGconn *conn, const char *name, const char *query, int n, const Oid *types)
{
	static prepare_fn real;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "PQprepare");
	/* The same parameter, unused but for its type: the caller binds it. */
	if (query != NULL && strstr(query, "pg_try_advisory_lock(") != NULL)
		query = "SELECT $1::bigint IS NOT NULL";
	return real(conn, name, query, n, types);
}
