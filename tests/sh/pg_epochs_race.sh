#!/usr/bin/env bash
# pg_epochs_race: tests/unit/test_epochshare.c again, on a data folder
# whose store is PostgreSQL (a cluster of its own, tests/lib/pg.sh): a
# node that wraps under an epoch the leader destroys meanwhile is refused
# by the database's floor, and no committed row is left under a destroyed
# epoch. Skips without PostgreSQL. Its output is the program's TAP.
. tests/lib/tap.sh
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh

prog=${ANKANG_HELPERS:-build/tests/helpers}/../test_epochshare
case $prog in /*) ;; *) prog=$TOP/$prog ;; esac
[ -x "$prog" ] || skip_all "$prog is not built (make tests)"
svc_init "$T/d" || bail_out "init on PostgreSQL failed"
ANKANG_EPOCHS_DATA=$T/d "$prog"
