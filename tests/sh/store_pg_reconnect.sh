#!/bin/bash
# store_pg_reconnect: tests/unit/test_store_reconnect.c with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): a store handle and the audit
# log's writer outlive their connections. Skips without PostgreSQL. Its
# output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

prog=${ANKANG_HELPERS:-build/tests/helpers}/../test_store_reconnect
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
"$prog"
