#!/bin/bash
# store_pg: tests/unit/test_store_backends.c again, with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): the audit log's store functions
# checked the same way on SQLite and on PostgreSQL, the service's role
# refused UPDATE, DELETE and TRUNCATE by its grants, and the schema's
# triggers behind them, and the audit log's writer on a database of each.
# Skips without PostgreSQL. Its output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

prog=$ANKANG_HELPERS/../test_store_backends
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
# A second database, fresh, for the audit log's writer.
pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE ankang_writer OWNER ankang_owner" &&
	pg_psql "$ANKANG_PG_SUPER_URL" \
		"GRANT CONNECT ON DATABASE ankang_writer TO ankang_service" ||
	diag "the writer's database could not be made"
ANKANG_PG_WRITER_URL=$(pg_url "$PG_SOCK" ankang_writer ankang_owner)
ANKANG_PG_WRITER_SERVICE_URL=$(pg_url "$PG_SOCK" ankang_writer ankang_node)
export ANKANG_PG_WRITER_URL ANKANG_PG_WRITER_SERVICE_URL
"$prog"
