#!/bin/bash
# store_pg: tests/unit/test_store_backends.c again, with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): the audit log's store functions
# checked the same way on SQLite and on PostgreSQL, the service's role
# refused UPDATE, DELETE and TRUNCATE by its grants, and the schema's
# triggers behind them, and the audit log's writer on a database of each.
# Skips without PostgreSQL. Its output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

prog=${ANKANG_HELPERS:-build/tests/helpers}/../test_store_backends
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
# Fresh databases for the audit log's writer, two writers' heads and two
# audit logs on one database.
for db in ankang_writer ankang_heads ankang_two; do
	pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE $db OWNER ankang_owner" &&
		pg_psql "$ANKANG_PG_SUPER_URL" "GRANT CONNECT ON DATABASE $db TO ankang_service" ||
		diag "the database $db could not be made"
done
export ANKANG_PG_SOCK=$PG_SOCK
"$prog"
