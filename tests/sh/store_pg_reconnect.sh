#!/bin/bash
# store_pg_reconnect: tests/unit/test_store_reconnect.c with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): a store handle and the audit
# log's writer outlive their connections. Skips without PostgreSQL. Its
# output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

pg_unit test_store_reconnect
