#!/bin/bash
# auditlog_group: tests/unit/test_auditlog_group.c with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): the writer's group changes, and
# the one the service gives a batch's codes (store_code_add_all), on
# SQLite and PostgreSQL: a batch's codes in one statement, all or none;
# a group that cannot be done whole falls back to each change alone,
# the failing one alone; an operation with a change of its own runs
# after the codes before it are written. Skips without PostgreSQL. Its
# output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

prog=${ANKANG_HELPERS:-build/tests/helpers}/../test_auditlog_group
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
for db in ankang_group ankang_group_log; do
	pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE $db OWNER ankang_owner" &&
		pg_psql "$ANKANG_PG_SUPER_URL" "GRANT CONNECT ON DATABASE $db TO ankang_service" ||
		diag "the database $db could not be made"
done
export ANKANG_PG_SOCK=$PG_SOCK
"$prog"
