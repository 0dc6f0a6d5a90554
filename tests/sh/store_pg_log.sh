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

pg_unit test_store_pg_log ankang_index ankang_rehash ankang_rehead
