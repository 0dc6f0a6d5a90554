#!/bin/bash
# store_pg_log: tests/unit/test_store_pg_log.c with a PostgreSQL cluster
# of its own (tests/lib/pg.sh): the log's subject and time indexes on
# PostgreSQL answer what a scan answers, on 100,000 leaves, and a
# resident's list stops reading the whole log; the service's role may
# only add to them; the leader fills them in; the leader rehashes before
# it signs and refuses a wrong hash or head; a leader whose session ends
# steps down. Skips without PostgreSQL. Its output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

prog=${ANKANG_HELPERS:-build/tests/helpers}/../test_store_pg_log
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
for db in ankang_index ankang_rehash ankang_rehead; do
	pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE $db OWNER ankang_owner" &&
		pg_psql "$ANKANG_PG_SUPER_URL" "GRANT CONNECT ON DATABASE $db TO ankang_service" ||
		diag "the database $db could not be made"
done
export ANKANG_PG_SOCK=$PG_SOCK
"$prog"
