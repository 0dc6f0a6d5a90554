#!/bin/bash
# store_pg: tests/unit/test_store_backends.c again, with a PostgreSQL
# cluster of its own (tests/lib/pg.sh): the audit log's store functions
# checked the same way on SQLite and on PostgreSQL, the service's role
# refused UPDATE, DELETE and TRUNCATE by its grants, and the schema's
# triggers behind them, and the audit log's writer on a database of each.
# Skips without PostgreSQL. Its output is the program's TAP.
. tests/lib/tap.sh
. tests/lib/pg.sh

# Fresh databases for the audit log's writer, two writers' heads and two
# audit logs on one database.
pg_unit test_store_backends ankang_writer ankang_heads ankang_two
