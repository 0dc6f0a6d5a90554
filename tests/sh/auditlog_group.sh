#!/bin/bash
# auditlog_group: tests/unit/test_auditlog_group.c with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): the writer's group changes, and
# the one the service gives a batch's codes (store_code_add_all), on
# SQLite and PostgreSQL: a batch's codes in one statement, all or none;
# a group that cannot be done whole falls back to each change alone,
# the failing one alone; an operation with a change of its own runs
# after the codes before it are written; a leaf that may be shed is
# weighed again when the group falls back. Skips without PostgreSQL. Its
# output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

pg_unit test_auditlog_group ankang_group ankang_group_log
